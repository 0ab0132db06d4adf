// Middleware benchmarks for `npm run bench`, all IN-PROCESS: handleMiddleware
// vs next-auth's withAuth on the same requests, and database sessions
// (bench/db.mjs: a verifySession call vs a loopback fetch of
// /api/auth/session). Whole-server figures under `next start` (req/s, p99,
// against a pass-through proxy) come from `npm run bench:server`.
import { createRequire } from 'node:module'
import { alternate } from './harness.mjs'

const require = createRequire(import.meta.url)
const { NextRequest } = require('next/server')
const refMw = require('next-auth/middleware')
const oursMw = require('../lib/middleware.js')
const ours = require('../lib/jwt.js')

const SECRET = 'bench-secret-bench-secret-0123456789abcdef'

/** Median µs per call of `a` and `b`, alternating rounds on fresh requests (bench/harness.mjs). */
async function interleaved(n, rounds, mkReqs, a, b) {
  const run = (fn) => ({ n, setup: () => mkReqs(n), fn: (i, _r, reqs) => fn(reqs[i]) })
  return alternate(run(a), run(b), { rounds })
}

export default async function more() {
  const out = {}
  const token = await ours.encode({ token: { name: 'Demo User', email: 'demo@example.com', sub: '1', role: 'user' }, secret: SECRET, maxAge: 3600 })
  const opts = { secret: SECRET, callbacks: { authorized: ({ token: t }) => !!t } }
  const ref = refMw.withAuth(opts)
  const nat = oursMw.withAuth(opts)
  const mk = (cookie) => new NextRequest('http://localhost:3000/dashboard', { headers: cookie ? { cookie: `next-auth.session-token=${cookie}` } : {} })
  for (const [label, cookie, n] of [['signed in (allow)', token, 2000], ['signed out (307)', undefined, 2000]]) {
    for (let i = 0; i < 3000; i++) { await ref(mk(cookie), {}); await nat(mk(cookie), {}) }
    const mkReqs = (k) => Array.from({ length: k }, () => mk(cookie))
    const [a, b] = await interleaved(n, 7, mkReqs, (r) => ref(r, {}), (r) => nat(r, {}))
    out[`withAuth in-process, ${label}`] = { 'next-auth': +a.toFixed(2), native: +b.toFixed(2), ratio: +(a / b).toFixed(1) }
    console.log(`withAuth in-process, ${label.padEnd(20)} next-auth ${a.toFixed(2).padStart(8)} µs   native ${b.toFixed(2).padStart(7)} µs   ${(a / b).toFixed(1).padStart(6)}x`)
  }
  if (process.env.BENCH_SKIP_DB !== '1') {
    // Database sessions: verifySession (PostgreSQL, SQLite) vs the fetch-/api/auth/session workaround.
    try {
      const { default: benchDb } = await import('./db.mjs')
      console.log('\ndatabase sessions, in-process: one verifySession call vs one loopback fetch of /api/auth/session (examples/next-app-db).')
      console.log('This is the cost of the check alone, not the whole-server gain: see npm run bench:server.')
      out.databaseSessions = await benchDb()
    } catch (err) {
      console.error('database-session benchmark failed:', err.message)
      out.databaseSessions = { error: err.message }
    }
  }
  console.log('\nwhole-server figures (next start, req/s and p99 against a pass-through proxy): npm run bench:server')
  return out
}
