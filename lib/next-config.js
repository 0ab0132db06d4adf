'use strict'
// `withNextAuthNative(nextConfig)`: the next.config settings a native addon needs.
//
//   // next.config.js / next.config.ts
//   const { withNextAuthNative } = require('next-auth-native/next-config')
//   module.exports = withNextAuthNative({ /* your config */ })
//
// It adds next-auth-native to `serverExternalPackages`, so Node's own require()
// loads the addon at runtime instead of the bundler inlining it (this also
// covers proxy.ts and Node-runtime middleware). Next's file tracing then
// follows the loader's require() of the platform package, so
// `output: 'standalone'` carries the binary without extra settings.

const PACKAGE = 'next-auth-native'

function apply(config) {
  if (config == null) config = {}
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new TypeError(`withNextAuthNative(nextConfig): nextConfig must be an object or a function returning one, got ${Array.isArray(config) ? 'an array' : typeof config}`)
  }
  const current = config.serverExternalPackages
  if (current !== undefined && !Array.isArray(current)) {
    throw new TypeError('withNextAuthNative(nextConfig): nextConfig.serverExternalPackages must be an array of package names')
  }
  const list = current ? [...current] : []
  if (!list.includes(PACKAGE)) list.push(PACKAGE)
  return { ...config, serverExternalPackages: list }
}

/**
 * @template C
 * @param {C} nextConfig a Next.js config object, or a config function `(phase, ctx) => config | Promise<config>`
 * @returns {C}
 */
function withNextAuthNative(nextConfig = {}) {
  if (typeof nextConfig === 'function') {
    return function nextAuthNativeConfig(...args) {
      const out = nextConfig.apply(this, args)
      return out && typeof out.then === 'function' ? out.then(apply) : apply(out)
    }
  }
  return apply(nextConfig)
}

exports.withNextAuthNative = withNextAuthNative
exports.default = withNextAuthNative
