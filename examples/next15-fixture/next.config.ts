import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // REQUIRED: load the napi-rs addon with Node's require() instead of bundling it.
  serverExternalPackages: ['next-auth-native'],
  outputFileTracingRoot: __dirname,
}

export default nextConfig
