// Issue 10: the error model and debug logging must not slow the hot path
// with debug off. Times getTokenSync (debug off) of this tree against a
// baseline tree (a checkout of the commit before issue 10, built in release
// the same way), in one process, alternating rounds, same inputs:
//
//   node bench/explain-overhead.mjs /path/to/baseline-tree
//
// Prints per-call µs of each and the ratio baseline/this (1.00 = same speed).
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { alternate } from './harness.mjs'

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const baseDir = path.resolve(process.argv[2] ?? '')
if (!process.argv[2]) {
  console.error('usage: node bench/explain-overhead.mjs <baseline tree with a release build>')
  process.exit(2)
}
const require = createRequire(import.meta.url)
const { NextRequest } = require('next/server')
const nextAuthJwt = require('next-auth/jwt')
const ours = require(path.join(here, 'lib/jwt.js'))
const base = require(path.join(baseDir, 'lib/jwt.js'))

const SECRET = 'bench-secret-bench-secret-0123456789abcdef'
const COOKIE = 'next-auth.session-token'
const claims = { name: 'Demo User', email: 'demo@example.com', sub: 'user-1', role: 'admin' }
const req = (cookie) => new NextRequest('http://localhost:3000/dashboard', { headers: { cookie } })

const valid = await nextAuthJwt.encode({ token: claims, secret: SECRET, maxAge: 3600 })
const expired = await nextAuthJwt.encode({ token: claims, secret: SECRET, maxAge: -3600 })
const other = await nextAuthJwt.encode({ token: claims, secret: 'another-secret-another-secret-0123456789', maxAge: 3600 })
const cases = {
  'valid token (cached)': req(`theme=dark; ${COOKIE}=${valid}`),
  'no session cookie (NO_COOKIE)': req('theme=dark; a=1'),
  'wrong secret (DECRYPT_FAILED)': req(`theme=dark; ${COOKIE}=${other}`),
  'expired token (EXPIRED)': req(`theme=dark; ${COOKIE}=${expired}`),
  'malformed cookie (MALFORMED)': req(`theme=dark; ${COOKIE}=garbage`),
}


/** The same getTokenSync call on `lib`, as an alternate() side. */
const side = (lib, r, n) => {
  const params = { req: r, secret: SECRET }
  return { n, fn: () => lib.getTokenSync(params) }
}

const N = 20_000
const ROUNDS = 15
const results = {}
for (const [name, r] of Object.entries(cases)) {
  // warm both
  await alternate(side(base, r, 2000), side(ours, r, 2000), { rounds: 1, isAsync: false })
  const [b, o] = await alternate(side(base, r, N), side(ours, r, N), { rounds: ROUNDS, isAsync: false })
  results[name] = { baseline: +b.toFixed(3), issue10: +o.toFixed(3), ratio: +(b / o).toFixed(2) }
  console.log(`${name.padEnd(34)} baseline ${b.toFixed(3).padStart(7)} µs   issue-10 ${o.toFixed(3).padStart(7)} µs   ratio ${(b / o).toFixed(2)}`)
}
console.log(JSON.stringify(results))
