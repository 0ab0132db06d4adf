'use strict'
// Loads the native addon through the napi-generated loader (../index.js), which
// tries a locally built `next-auth-native.<target>.node` first (contributors)
// and then the `next-auth-native-<target>` package that npm installed from
// optionalDependencies. The generated loader's own failure message is npm's
// generic optional-dependency advice; this wrapper replaces it with one that
// names the platform, the package it looked for and the two fixes.

const PACKAGE = 'next-auth-native'

/** The seven targets published as `next-auth-native-<target>` (package.json `napi.targets`). */
const PUBLISHED = [
  'linux-x64-gnu',
  'linux-x64-musl',
  'linux-arm64-gnu',
  'linux-arm64-musl',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64-msvc',
]

function isMusl() {
  if (process.platform !== 'linux') return false
  try {
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
    if (report?.header?.glibcVersionRuntime) return false
    if (Array.isArray(report?.sharedObjects) && report.sharedObjects.some((f) => /libc\.musl-|ld-musl-/.test(f))) return true
  } catch {
    /* fall through */
  }
  try {
    return require('node:fs').readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {
    return false
  }
}

/** napi-rs' name for this platform, e.g. `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`. */
function hostTarget() {
  const { platform, arch } = process
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/** The one error for "no binary fits": platform, the package looked for, the two fixes. */
function noBinaryError(cause) {
  const target = hostTarget()
  const pkg = `${PACKAGE}-${target}`
  const published = PUBLISHED.includes(target)
  const lines = [
    `${PACKAGE}: no native binary for this platform (${target}, Node ${process.versions.node}).`,
    published
      ? `It looked for the optional dependency "${pkg}" (and a locally built ${PACKAGE}.${target}.node) and found neither.`
      : `It looked for "${pkg}", but no prebuilt package is published for ${target} (prebuilt: ${PUBLISHED.join(', ')}).`,
    'Fix it in one of two ways:',
    `  1. Install with optional dependencies enabled, on the platform that runs the app: remove node_modules and reinstall` +
      ` without --omit=optional / --no-optional (a node_modules or lockfile made on another OS/CPU lacks "${pkg}").`,
    `  2. Build from source (needs a Rust toolchain): in a clone of ${PACKAGE} run \`npm ci && npm run build\`;` +
      ` \`npm run package\` then writes installable tarballs of the package and this platform's binary to dist/.`,
  ]
  const err = new Error(lines.join('\n'))
  err.code = 'ERR_NEXT_AUTH_NATIVE_NO_BINARY'
  err.cause = cause
  return err
}

function edgeError() {
  const err = new Error(
    `${PACKAGE} is a native Node.js addon and cannot run in the Edge runtime. ` +
      "Run this code in the Node.js runtime: in Next 15.5 middleware.ts add `export const config = { runtime: 'nodejs' }` " +
      "(Next 16's proxy.ts always runs on Node.js); in a route or page remove `export const runtime = 'edge'`.",
  )
  err.code = 'ERR_NEXT_AUTH_NATIVE_EDGE'
  return err
}

function bundledError(cause) {
  const err = new Error(
    `${PACKAGE} was bundled by the Next.js bundler, so its native binary cannot be loaded. ` +
      "Add it to serverExternalPackages in next.config: `serverExternalPackages: ['next-auth-native']`, " +
      "or wrap the config: `const { withNextAuthNative } = require('next-auth-native/next-config'); module.exports = withNextAuthNative(nextConfig)`.",
  )
  err.code = 'ERR_NEXT_AUTH_NATIVE_BUNDLED'
  err.cause = cause
  return err
}

// Inside a webpack or Turbopack bundle `require` is the bundler's, not Node's.
function isBundled() {
  return typeof __webpack_require__ === 'function' || typeof __turbopack_require__ === 'function' || typeof require?.resolve !== 'function'
}

function load() {
  // eslint-disable-next-line no-undef
  if (typeof EdgeRuntime === 'string' || typeof process === 'undefined' || !process.versions?.node) throw edgeError()
  let binding
  try {
    // The ignore comments keep a bundler (next build without serverExternalPackages) from
    // inlining the loader and failing on the .node file with its own, unhelpful, error:
    // the bundled copy then fails here at runtime with the message that names the fix.
    binding = require(/* webpackIgnore: true */ /* turbopackIgnore: true */ '../index.js')
  } catch (e) {
    if (isBundled() || (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes("'../index.js'"))) throw bundledError(e)
    if (e && /Cannot find native binding|Failed to load native binding/.test(String(e.message))) throw noBinaryError(e.cause ?? e)
    throw e
  }
  if (!binding || typeof binding.compileReader !== 'function') {
    throw isBundled() ? bundledError() : noBinaryError()
  }
  return binding
}

module.exports = load()
