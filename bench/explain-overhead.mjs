// Issue 10: the error model and debug logging must not slow the hot path
// with debug off. Times getTokenSync (debug off) of this tree against a
// baseline tree (a checkout of the commit before issue 10, built in release
// the same way), in one process, alternating rounds, same inputs:
//
//   node bench/explain-overhead.mjs /path/to/baseline-tree
//
// Prints per-call µs of each and the ratio baseline/this (1.00 = same speed).
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

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

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function time(lib, r, n) {
  const params = { req: r, secret: SECRET }
  const t0 = performance.now()
  for (let i = 0; i < n; i++) lib.getTokenSync(params)
  return ((performance.now() - t0) * 1000) / n
}

const N = 20_000
const ROUNDS = 15
const results = {}
for (const [name, r] of Object.entries(cases)) {
  // warm both
  time(base, r, 2000)
  time(ours, r, 2000)
  const tb = []
  const to = []
  for (let i = 0; i < ROUNDS; i++) {
    // alternate which goes first, so neither gets the warmer slot every round
    if (i % 2) {
      to.push(time(ours, r, N))
      tb.push(time(base, r, N))
    } else {
      tb.push(time(base, r, N))
      to.push(time(ours, r, N))
    }
  }
  const b = median(tb)
  const o = median(to)
  results[name] = { baseline: +b.toFixed(3), issue10: +o.toFixed(3), ratio: +(b / o).toFixed(2) }
  console.log(`${name.padEnd(34)} baseline ${b.toFixed(3).padStart(7)} µs   issue-10 ${o.toFixed(3).padStart(7)} µs   ratio ${(b / o).toFixed(2)}`)
}
console.log(JSON.stringify(results))
