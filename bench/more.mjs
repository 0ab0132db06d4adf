// Middleware benchmarks for `npm run bench`: in-process handleMiddleware vs
// next-auth's withAuth on the same requests, then `next start` under
// autocannon (bench/next-start.mjs), both implementations in the same run, and
// database sessions (bench/db.mjs) against the fetch-/api/auth/session workaround.
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'

const require = createRequire(import.meta.url)
const { NextRequest } = require('next/server')
const refMw = require('next-auth/middleware')
const oursMw = require('../lib/middleware.js')
const ours = require('../lib/jwt.js')

const SECRET = 'bench-secret-bench-secret-0123456789abcdef'

/** Median µs per call of `a` and `b`, over interleaved rounds on fresh requests. */
async function interleaved(n, rounds, mkReqs, a, b) {
  const ta = []
  const tb = []
  for (let r = 0; r < rounds; r++) {
    for (const [fn, out] of [[a, ta], [b, tb]]) {
      const reqs = mkReqs(n)
      const t0 = performance.now()
      for (let i = 0; i < n; i++) await fn(reqs[i])
      out.push(((performance.now() - t0) * 1000) / n)
    }
  }
  const med = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]
  return [med(ta), med(tb)]
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
  if (process.env.BENCH_SKIP_NEXT !== '1') {
    try {
      const { benchNextStart } = await import('./next-start.mjs')
      const { results } = await benchNextStart({ duration: 10, connections: 10, rounds: 3, baseline: true })
      out.nextStart = results
      for (const r of results) console.log(`next start ${r.impl.padEnd(12)} ${r.path.padEnd(16)} ${String(r.rps).padStart(8)} req/s   p99 ${r.p99} ms`)
    } catch (err) {
      console.error('next start benchmark failed:', err.message)
      out.nextStart = { error: err.message }
    }
  }
  if (process.env.BENCH_SKIP_DB !== '1') {
    // Database sessions: verifySession (PostgreSQL, SQLite) vs the fetch-/api/auth/session workaround.
    try {
      const { default: benchDb } = await import('./db.mjs')
      console.log('\ndatabase sessions: verifySession vs fetching /api/auth/session from middleware (examples/next-app-db)')
      out.databaseSessions = await benchDb()
    } catch (err) {
      console.error('database-session benchmark failed:', err.message)
      out.databaseSessions = { error: err.message }
    }
  }
  return out
}
