// Micro-measurement for issue 14 item 6: what noticing in-place configuration
// edits costs per call. getTokenSync on the same valid token with
//   a) a string secret      (no array to compare: the previous fast path),
//   b) a two-element array  (length + elements compared by identity each call),
//   c) a two-element array plus a native `jwt` object (key fields compared too),
// and withAuth's policy lookup with publicPaths (array compared each call).
// Prints ns/call and the ratios b/a, c/a in this run. Run: node bench/config-change.mjs
import { createRequire } from 'node:module'
import { perCall } from './harness.mjs'
const require = createRequire(import.meta.url)
const jwt = require('../lib/jwt.js')
const nextAuthJwt = require('next-auth/jwt')
const { NextRequest } = require('next/server')

const SECRET = 'bench-secret-bench-secret-bench-secret-0123'
const token = await nextAuthJwt.encode({ token: { sub: '1', name: 'B' }, secret: SECRET, maxAge: 3600 })
const req = { headers: { cookie: `next-auth.session-token=${token}` } }

async function measure(label, fn, n = 200_000) {
  for (let i = 0; i < 20_000; i++) fn()
  const ns = (await perCall(n, fn, { rounds: 5, isAsync: false })) * 1000
  console.log(`${label.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns/call (median of 5)`)
  return ns
}

const a = await measure('a) secret: string', () => jwt.getTokenSync({ req, secret: SECRET }))
const arr = [SECRET, 'old-secret-old-secret-old-secret-000']
const b = await measure('b) secret: [current, old]', () => jwt.getTokenSync({ req, secret: arr }))
const hs = { algorithms: ['HS256'], secret: 'hs-secret-hs-secret-hs-secret-hs-secret!', issuer: ['a', 'b'], audience: ['x'] }
const c = await measure('c) secret array + jwt options (no JWS token)', () => jwt.getTokenSync({ req, secret: arr, jwt: hs }))
console.log(`ratio b/a ${(b / a).toFixed(3)}   c/a ${(c / a).toFixed(3)}`)

// The reader lookup alone (the part item 6 changed): the compiled-reader fast path.
const { compileReader } = jwt._internal
const ra = await measure('reader lookup, string secret', () => compileReader(SECRET, false, undefined, undefined, undefined, true), 2_000_000)
const rb = await measure('reader lookup, [current, old] (compared)', () => compileReader(arr, false, undefined, undefined, undefined, true), 2_000_000)
const rc = await measure('reader lookup, array + jwt object (compared)', () => compileReader(arr, false, undefined, undefined, hs, true), 2_000_000)
console.log(`lookup cost of the comparison: +${(rb - ra).toFixed(1)} ns (array), +${(rc - ra).toFixed(1)} ns (array + jwt) per call`)

const mw = require('../lib/middleware.js')
const opts = { secret: SECRET, publicPaths: ['/', '/docs', '/blog/:path*', '/api/public/:path*'] }
const m = mw.withAuth(opts)
const r = new NextRequest('http://localhost:3000/docs')
let sink = 0
for (let i = 0; i < 5000; i++) sink += (await m(r, {})) === undefined ? 1 : 0
const p = (await perCall(50_000, async () => (sink += (await m(r, {})) === undefined ? 1 : 0), { rounds: 5 })) * 1000
console.log(`${'withAuth, public path, 4 publicPaths'.padEnd(44)} ${p.toFixed(0).padStart(6)} ns/call (${sink > 0 ? 'ok' : '?'})`)
