import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // REQUIRED for a napi-rs addon: keeps next-auth-native (and its .node binary)
  // out of the bundle so Node's own require() loads it at runtime. This also
  // applies to proxy.ts.
  serverExternalPackages: ['next-auth-native'],
  // This app lives inside the next-auth-native repository, which has its own
  // lockfile; pin the project root so Next does not pick the repository root.
  turbopack: { root: __dirname },
  outputFileTracingRoot: __dirname,
  poweredByHeader: false,
}

export default nextConfig
