'use strict'
// `withNextAuthNative(nextConfig)`: the next.config settings a native addon needs.
//
//   // next.config.js / next.config.ts
//   const { withNextAuthNative } = require('next-auth-native/next-config')
//   module.exports = withNextAuthNative({ /* your config */ })
//
// It adds next-auth-native to `serverExternalPackages`, so Node's own require()
// loads the addon at runtime instead of the bundler inlining it (this also
// covers proxy.ts and Node-runtime middleware), and it adds the package and
// its installed platform package (`next-auth-native-<platform>`, the .node
// binary) to `outputFileTracingIncludes`, so `output: 'standalone'` and
// Vercel's traced functions carry the binary. (The loader is required with
// bundler-ignore comments, so that a bundled-by-mistake copy fails with a clear
// message; the same comments hide it from Next's file tracing.)

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
  const includes = config.outputFileTracingIncludes
  if (includes !== undefined && (includes === null || typeof includes !== 'object' || Array.isArray(includes))) {
    throw new TypeError('withNextAuthNative(nextConfig): nextConfig.outputFileTracingIncludes must be an object of route globs to file globs')
  }
  const traced = { ...includes }
  traced['/**'] = [...new Set([...(traced['/**'] ?? []), ...tracingGlobs()])]
  return { ...config, serverExternalPackages: list, outputFileTracingIncludes: traced }
}

/**
 * Globs (relative to the project directory, where next.config runs) for this
 * package's files and for every installed platform package next to it.
 */
function tracingGlobs() {
  const path = require('node:path')
  const fs = require('node:fs')
  const own = path.dirname(__dirname)
  const dirs = [own]
  // Platform packages sit beside this package in node_modules (npm, yarn, pnpm's virtual store).
  const parent = path.dirname(own)
  try {
    for (const name of fs.readdirSync(parent)) {
      if (name.startsWith(`${PACKAGE}-`)) dirs.push(path.join(parent, name))
    }
  } catch {
    /* no readable node_modules: nothing else to add */
  }
  const cwd = process.cwd()
  return dirs.map((d) => `${path.relative(cwd, d).split(path.sep).join('/') || '.'}/**/*`)
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
