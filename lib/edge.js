'use strict'
// What the Edge runtime (and a browser bundle) gets for every entry point of
// next-auth-native, through the "edge-light" / "worker" / "browser" export
// conditions: a native Node.js addon cannot run there, so importing it throws
// a message with the fix instead of an opaque bundler or runtime error.
const onClient = typeof window !== 'undefined' && typeof document !== 'undefined'
const err = new Error(
  onClient
    ? 'next-auth-native runs on the server only (Node.js runtime): import it from proxy.ts, middleware, route handlers, ' +
        'API routes or server components, never from a client component.'
    : "next-auth-native is a native Node.js addon and cannot run in the Edge runtime. Set runtime: 'nodejs': " +
        "in Next 15.5 middleware.ts add `export const config = { runtime: 'nodejs', matcher: [...] }` " +
        "(Next 16's proxy.ts always runs on Node.js); in a route or page remove `export const runtime = 'edge'`.",
)
err.code = onClient ? 'ERR_NEXT_AUTH_NATIVE_CLIENT' : 'ERR_NEXT_AUTH_NATIVE_EDGE'
function fail() {
  throw err
}
// Dynamic exports, so a bundler lets every named import through to this error
// instead of stopping at "export getToken doesn't exist in target module".
module.exports = new Proxy(fail, { get: (_, key) => (key === '__esModule' ? false : fail()), apply: fail })
fail()
