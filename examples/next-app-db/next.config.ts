import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // REQUIRED for a napi-rs addon (and fine for pg): Node's own require() loads
  // them at runtime instead of the bundler. This applies to proxy.ts too.
  serverExternalPackages: ['next-auth-native', 'pg'],
  // This app lives inside the next-auth-native repository: pin the project root.
  turbopack: { root: __dirname },
  outputFileTracingRoot: __dirname,
  poweredByHeader: false,
}

export default nextConfig
