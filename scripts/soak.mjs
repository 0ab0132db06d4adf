#!/usr/bin/env node
// Soak and faults under load on real `next start` servers (issue 12).
//
//   npm run soak                                  JWT soak (100 connections, 60 s) + database faults
//   npm run soak -- --duration 10 --connections 20 --db-duration 16 --db-connections 10   (the CI smoke)
//   options: --only jwt|db          one half
//            --no-install --no-build reuse the installed/built example apps
//            --json FILE             also write every figure as JSON
//            --timeout-ms N          session lookup deadline in the DB app (default 1000)
//            --margin-ms N           least latency margin above that deadline (default 1000); the margin
//                                    used is the larger of this and the slowest answer outside the faults
//            --cache-ttl-ms N        cache TTL of the cache-on DB run (default 3000)
//            --outage-s N            seconds the database is stopped (default 5)
//
// 1. JWT soak, examples/next-app (withAuth in proxy.ts, getToken in /api/me,
//    the pages check again). Tokens come from the real sign-in flow
//    (credentials) and from next-auth's own `encode`. Every response is
//    checked against the decision it must get; the request mix: signed in,
//    signed out, tampered, expired, wrong role on /admin, /api/me JSON, path
//    tricks (encoded, doubled and mixed-case paths, _next/data), oversized and
//    many-pair Cookie headers. Reported: wrong decisions and 5xx (both must be
//    0), p50/p99/max latency, req/s, and the server's RSS (process group) at
//    start, middle and end.
// 2. Database faults, examples/next-app-db on a throw-away PostgreSQL cluster
//    started here (sessions inserted as @auth/pg-adapter stores them):
//    a. cache off: the database is stopped for --outage-s seconds mid-load,
//       then restarted; then sessions is locked (ACCESS EXCLUSIVE) for 3 s:
//       every lookup blocks, the pool (4) is exhausted and later requests
//       wait for a connection until the deadline. Counted: allows while down
//       (must be 0), denials (a 503 is a denial), max latency (must be <=
//       deadline + margin, see --margin-ms), seconds until signed-in requests
//       succeed again (target <= 2).
//    b. cache on (TTL --cache-ttl-ms): the same outage. What is served while
//       down: a session looked up before the outage keeps being served from
//       the cache until its entry's TTL runs out (so never later than
//       outage start + TTL), never after the session's own `expires`; tokens
//       not looked up before the outage get nothing. Checked per response.
// Load goes to 127.0.0.1 only; every phase is bounded in time.

import http from 'node:http'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  ADMIN_USER,
  DEMO_USER,
  EXAMPLE_DIR,
  REPO_ROOT,
  SESSION_COOKIE,
  buildApp,
  installApp,
  signIn,
  startApp,
} from '../__test__/helpers/next-app.mjs'

const DB_DIR = path.join(REPO_ROOT, 'examples', 'next-app-db')

const { values: argv } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    connections: { type: 'string', default: '100' },
    'db-duration': { type: 'string', default: '30' },
    'db-connections': { type: 'string', default: '20' },
    only: { type: 'string', default: 'all' },
    'no-install': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    json: { type: 'string' },
    'timeout-ms': { type: 'string', default: '1000' },
    'margin-ms': { type: 'string', default: '1000' },
    'cache-ttl-ms': { type: 'string', default: '3000' },
    'outage-s': { type: 'string', default: '5' },
  },
})
const opt = {
  duration: Number(argv.duration),
  connections: Number(argv.connections),
  dbDuration: Number(argv['db-duration']),
  dbConnections: Number(argv['db-connections']),
  only: argv.only,
  install: !argv['no-install'],
  build: !argv['no-build'],
  timeoutMs: Number(argv['timeout-ms']),
  marginMs: Number(argv['margin-ms']),
  cacheTtlMs: Number(argv['cache-ttl-ms']),
  outageS: Number(argv['outage-s']),
}
if (!(opt.duration > 0 && opt.duration <= 600)) throw new Error('--duration must be in (0, 600] seconds')
if (!(opt.connections > 0 && opt.connections <= 512)) throw new Error('--connections must be in (0, 512]')
if (!(opt.dbDuration >= opt.outageS + 8 && opt.dbDuration <= 300)) throw new Error('--db-duration must be at least --outage-s + 8 and at most 300')
if (!['all', 'jwt', 'db'].includes(opt.only)) throw new Error('--only is jwt, db or all')

const log = (m) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}`)

// ---------------------------------------------------------------------------
// Load engine: `connections` workers on keep-alive sockets, each sending the
// next request of the mix as soon as the previous one is answered.

function send(agent, base, spec) {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const req = http.request(
      { host: base.hostname, port: base.port, path: spec.path, method: 'GET', headers: spec.headers, agent },
      (res) => {
        const chunks = []
        let size = 0
        res.on('data', (c) => {
          if (size < 256 * 1024) chunks.push(c)
          size += c.length
        })
        res.on('end', () =>
          resolve({ t0, t1: performance.now(), status: res.statusCode, location: res.headers.location ?? '', body: Buffer.concat(chunks).toString('utf8') }),
        )
        res.on('error', (e) => resolve({ t0, t1: performance.now(), status: 0, error: e.code || e.message, body: '' }))
      },
    )
    req.setTimeout(30_000, () => req.destroy(new Error('client timeout')))
    req.on('error', (e) => resolve({ t0, t1: performance.now(), status: 0, error: e.code || e.message, body: '' }))
    req.end()
  })
}

/**
 * Runs the mix for `durationMs`. `next(i)` gives the i-th request spec
 * ({ kind, path, headers, check(res, t0) -> { ok, allowed } }). Returns the
 * records { kind, t0, t1, status, ok, allowed, error }. `events` are
 * { atMs, run } callbacks started at those offsets (faults), awaited at the end.
 */
async function load(url, { durationMs, connections, next, events = [] }) {
  const base = new URL(url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections })
  const records = []
  const start = performance.now()
  const end = start + durationMs
  let i = 0
  const worker = async () => {
    while (performance.now() < end) {
      const spec = next(i++)
      const res = await send(agent, base, spec)
      const verdict = res.error ? { ok: false, allowed: false } : spec.check(res)
      records.push({ kind: spec.kind, path: spec.path, t0: res.t0, t1: res.t1, status: res.status, error: res.error, ok: verdict.ok, allowed: verdict.allowed, meta: spec.meta })
    }
  }
  const evs = events.map((e) => sleep(e.atMs).then(() => e.run()))
  await Promise.all([...Array.from({ length: connections }, worker), ...evs])
  agent.destroy()
  return { records, start, end: performance.now() }
}

function pct(sorted, p) {
  if (!sorted.length) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function summarize(records, wallMs) {
  const lat = Float64Array.from(records.map((r) => r.t1 - r.t0)).sort()
  return {
    requests: records.length,
    reqPerSec: Math.round(records.length / (wallMs / 1000)),
    p50: round(pct(lat, 50)),
    p99: round(pct(lat, 99)),
    max: round(lat[lat.length - 1] ?? NaN),
    wrong: records.filter((r) => !r.ok && !r.error).length,
    errors: records.filter((r) => r.error).length,
    fiveXX: records.filter((r) => r.status >= 500).length,
  }
}

const round = (n, d = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : n)

export function table(rows, cols) {
  const w = cols.map(([h, k]) => Math.max(h.length, ...rows.map((r) => String(r[k] ?? '').length)))
  const line = (cells) => '| ' + cells.map((c, i) => String(c ?? '').padEnd(w[i])).join(' | ') + ' |'
  return [line(cols.map((c) => c[0])), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map((r) => line(cols.map((c) => r[c[1]])))].join('\n')
}

function byKind(records) {
  const kinds = new Map()
  for (const r of records) {
    const k = kinds.get(r.kind) ?? { kind: r.kind, count: 0, wrong: 0, allowed: 0, errors: 0, statuses: new Map() }
    k.count++
    if (r.error) k.errors++
    else if (!r.ok) k.wrong++
    if (r.allowed) k.allowed++
    const s = r.error ? `ERR:${r.error}` : String(r.status)
    k.statuses.set(s, (k.statuses.get(s) ?? 0) + 1)
    kinds.set(r.kind, k)
  }
  return [...kinds.values()].map((k) => ({ ...k, statuses: [...k.statuses].map(([s, n]) => `${s}x${n}`).join(' ') }))
}

// ---------------------------------------------------------------------------
// Server memory: RSS of every process in the `next start` process group.

function groupRssMb(pgid) {
  let kb = 0
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) !== pgid) continue
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) kb += Number(m[1])
    } catch {
      /* gone */
    }
  }
  return Math.round(kb / 1024)
}

// ---------------------------------------------------------------------------
// Checks: what a response must be.

const allowPage = (marker) => (res) => {
  const allowed = res.status === 200 && res.body.includes(marker)
  return { ok: allowed, allowed }
}
const allowJson = (email, role) => (res) => {
  let j = null
  try {
    j = JSON.parse(res.body)
  } catch {
    /* not JSON */
  }
  const allowed = res.status === 200 && j?.email === email && (role === undefined || j?.role === role)
  return { ok: allowed, allowed }
}
/** A denial of a page: 307 to the sign-in page on the app's origin (or a 503 outage answer). */
const denyPage = (origin, markers) => (res) => {
  const allowed = res.status === 200 && markers.some((m) => res.body.includes(m))
  // Next serves a same-origin redirect with a relative Location.
  const redirect = res.status === 307 && [`${origin}/signin?callbackUrl=`, '/signin?callbackUrl='].some((p) => res.location.startsWith(p))
  return { ok: !allowed && (redirect || res.status === 503), allowed }
}
const denyApi = (markers) => (res) => {
  const allowed = res.status === 200 && markers.some((m) => res.body.includes(m))
  return { ok: !allowed && (res.status === 401 || res.status === 503), allowed }
}
/** Path tricks: any answer but protected content (and no 5xx). */
const notAllowed = (markers) => (res) => {
  const allowed = res.status === 200 && markers.some((m) => res.body.includes(m))
  return { ok: !allowed && res.status < 500, allowed }
}
const exactStatus = (status) => (res) => ({ ok: res.status === status, allowed: res.status === 200 })

// ---------------------------------------------------------------------------
// 1. JWT soak

function tamper(token) {
  const parts = token.split('.')
  const ct = parts[3]
  const i = Math.floor(ct.length / 2)
  parts[3] = ct.slice(0, i) + (ct[i] === 'A' ? 'B' : 'A') + ct.slice(i + 1)
  return parts.join('.')
}

async function jwtSoak() {
  const secret = `soak-secret-${process.pid}-0123456789abcdef0123456789abcdef`
  if (opt.install) {
    log('installing examples/next-app with this build of next-auth-native…')
    await installApp(EXAMPLE_DIR)
  }
  if (opt.build) {
    log('next build examples/next-app…')
    await buildApp(EXAMPLE_DIR)
  }
  const app = await startApp(EXAMPLE_DIR, { env: { NEXTAUTH_SECRET: secret } })
  log(`next start at ${app.url} (pid ${app.child.pid})`)
  try {
    const { encode } = (await import('next-auth/jwt')).default
    const user = (await signIn(app.url, DEMO_USER)).get(SESSION_COOKIE)
    const admin = (await signIn(app.url, ADMIN_USER)).get(SESSION_COOKIE)
    const expired = await encode({ token: { name: DEMO_USER.name, email: DEMO_USER.email, sub: '1', role: 'user' }, secret, maxAge: -3600 })
    const origin = app.url
    const c = (t) => ({ cookie: `${SESSION_COOKIE}=${t}` })
    const PAGE = 'data-testid="user-email"'
    const ADMIN = 'data-testid="admin-welcome"'
    const JSONM = `"email":"`
    const protectedMarkers = [PAGE, ADMIN, JSONM]
    const pad = (n) => 'x'.repeat(n)
    const manyPairs = Array.from({ length: 300 }, (_, i) => `c${i}=1`).join('; ')
    const mix = [
      // [weight, spec]
      [6, { kind: 'signed in /dashboard', path: '/dashboard', headers: c(user), check: allowPage(DEMO_USER.email) }],
      [3, { kind: 'admin /admin', path: '/admin', headers: c(admin), check: allowPage(ADMIN) }],
      [6, { kind: 'signed in /api/me', path: '/api/me', headers: c(user), check: allowJson(DEMO_USER.email, 'user') }],
      [4, { kind: 'signed out /dashboard', path: '/dashboard', headers: {}, check: denyPage(origin, protectedMarkers) }],
      [4, { kind: 'signed out /api/me', path: '/api/me', headers: {}, check: denyApi(protectedMarkers) }],
      [3, { kind: 'tampered /dashboard', path: '/dashboard', headers: c(tamper(user)), check: denyPage(origin, protectedMarkers) }],
      [3, { kind: 'tampered /api/me', path: '/api/me', headers: c(tamper(admin)), check: denyApi(protectedMarkers) }],
      [3, { kind: 'expired /dashboard', path: '/dashboard', headers: c(expired), check: denyPage(origin, protectedMarkers) }],
      [4, { kind: 'wrong role /admin', path: '/admin', headers: c(user), check: denyPage(origin, [ADMIN]) }],
      // path tricks, signed out
      ...['/dashboard/', '//dashboard', '/%64ashboard', '/dashboard%2F', '/dashboard/..%2Fadmin', '/Dashboard', '/dashboard?__nextDataReq=1',
        '/api/me/', '/api//me', '/api/%6De', '/api/me%2F', '/_next/data/x/dashboard.json', '/admin/', '/%61dmin', '/api/auth/..%2F..%2Fdashboard']
        .map((p) => [1, { kind: `trick out ${p}`, path: p, headers: {}, check: notAllowed(protectedMarkers) }]),
      // path tricks, signed in without the admin role
      ...['/admin/', '//admin', '/%61dmin', '/admin%2F', '/ADMIN', '/admin?__nextDataReq=1', '/admin/../admin']
        .map((p) => [1, { kind: `trick user ${p}`, path: p, headers: c(user), check: notAllowed([ADMIN]) }]),
      // oversized and crowded headers
      [1, { kind: 'cookie 20 KiB (431)', path: '/dashboard', headers: { cookie: `${SESSION_COOKIE}=${user}; pad=${pad(20_000)}` }, check: exactStatus(431) }],
      [2, { kind: 'signed in + 8 KiB junk', path: '/api/me', headers: { cookie: `pad=${pad(8_000)}; ${SESSION_COOKIE}=${user}` }, check: allowJson(DEMO_USER.email, 'user') }],
      [1, { kind: 'signed out + 12 KiB junk', path: '/dashboard', headers: { cookie: `pad=${pad(12_000)}` }, check: denyPage(origin, protectedMarkers) }],
      [1, { kind: '300 cookie pairs + token', path: '/api/me', headers: { cookie: `${manyPairs}; ${SESSION_COOKIE}=${user}` }, check: denyApi(protectedMarkers) }],
      [1, { kind: 'header 12 KiB x-junk', path: '/api/me', headers: { ...c(user), 'x-junk': pad(12_000) }, check: allowJson(DEMO_USER.email, 'user') }],
    ]
    const wheel = mix.flatMap(([w, s]) => Array(w).fill(s))
    // Probe every kind once (a wrong answer here is reported, and counted again under load).
    for (const [, spec] of mix) {
      const r = await send(new http.Agent(), new URL(app.url), spec)
      const v = r.error ? { ok: false } : spec.check(r)
      if (!v.ok) log(`probe: ${spec.kind} -> ${r.status || r.error} ${r.location || ''} (WRONG)`)
    }
    log(`warm-up 3 s, then ${opt.duration} s at ${opt.connections} connections (${mix.length} request kinds)`)
    await load(app.url, { durationMs: 3000, connections: Math.min(10, opt.connections), next: (i) => wheel[i % wheel.length] })
    const pgid = app.child.pid
    const rss = { start: groupRssMb(pgid), middle: 0, end: 0 }
    const samples = [{ t: 0, mb: rss.start }]
    const durationMs = opt.duration * 1000
    const events = []
    for (let t = 5000; t < durationMs; t += 5000) events.push({ atMs: t, run: () => samples.push({ t: t / 1000, mb: groupRssMb(pgid) }) })
    events.push({ atMs: durationMs / 2, run: () => (rss.middle = groupRssMb(pgid)) })
    const { records, start, end } = await load(app.url, { durationMs, connections: opt.connections, next: (i) => wheel[(i * 7919) % wheel.length], events })
    rss.end = groupRssMb(pgid)
    samples.push({ t: opt.duration, mb: rss.end })
    const s = summarize(records, end - start)
    const kinds = byKind(records)
    const serverErrors = (app.output().match(/\n\s*(Error|TypeError|RangeError|⨯)/g) ?? []).length
    return { ...s, rss, rssSamples: samples, kinds, connections: opt.connections, seconds: opt.duration, serverErrors }
  } finally {
    await app.stop()
  }
}

// ---------------------------------------------------------------------------
// 2. Database faults

async function dbFaults() {
  const { startCluster, query, clusterUnavailable } = await import('../__test__/helpers/pg.mjs')
  const why = clusterUnavailable()
  if (why) throw new Error(`database faults need a throw-away PostgreSQL cluster: ${why}`)
  if (opt.install) {
    log('installing examples/next-app-db…')
    await installApp(DB_DIR)
  }
  if (opt.build) {
    log('next build examples/next-app-db…')
    await buildApp(DB_DIR)
  }
  const cluster = await startCluster() // initdb + start
  log(`PostgreSQL cluster on 127.0.0.1:${cluster.port}`)
  const dbUrl = cluster.url.replace(/\/postgres$/, '/soak')
  const runs = []
  try {
    await query(cluster.url, 'CREATE DATABASE soak')
    await query(dbUrl, readFileSync(path.join(DB_DIR, 'db', 'schema.sql'), 'utf8'))
    runs.push(await faultRun({ cluster, dbUrl, query, cacheTtlMs: 0, lock: true }))
    runs.push(await faultRun({ cluster, dbUrl, query, cacheTtlMs: opt.cacheTtlMs, lock: false }))
  } finally {
    await cluster.destroy().catch(() => {})
  }
  return runs
}

/** Users and sessions as @auth/pg-adapter writes them. */
async function seedSessions(dbUrl, query, { warmMs }) {
  await query(dbUrl, 'TRUNCATE sessions, users RESTART IDENTITY CASCADE')
  const n = 60
  const values = Array.from({ length: n }, (_, i) => `('User ${i}', 'user${i}@example.com')`).join(',')
  await query(dbUrl, `INSERT INTO users (name, email) VALUES ${values}`)
  const mk = () => randomUUID()
  const sessions = {
    hot: Array.from({ length: 20 }, (_, i) => ({ token: mk(), user: i + 1 })), // requested all along
    cold: Array.from({ length: 400 }, (_, i) => ({ token: mk(), user: (i % n) + 1 })), // first seen while down (cache on)
    short: Array.from({ length: 10 }, (_, i) => ({ token: mk(), user: 40 + i + 1 })), // expire 1.5 s into the outage
    expired: Array.from({ length: 10 }, (_, i) => ({ token: mk(), user: 50 + i + 1 })),
  }
  // Moved to 1.5 s into the outage once the server is up (setShortExpiry).
  const shortExpires = Date.now() + 3_600_000
  const rows = [
    ...sessions.hot.map((s) => [s.token, s.user, "now() + interval '30 days'"]),
    ...sessions.cold.map((s) => [s.token, s.user, "now() + interval '30 days'"]),
    ...sessions.short.map((s) => [s.token, s.user, `to_timestamp(${shortExpires / 1000})`]),
    ...sessions.expired.map((s) => [s.token, s.user, "now() - interval '1 hour'"]),
  ]
  await query(dbUrl, `INSERT INTO sessions ("sessionToken", "userId", expires) VALUES ${rows.map(([t, u, e]) => `('${t}', ${u}, ${e})`).join(',')}`)
  return { sessions, shortExpires, email: (u) => `user${u - 1}@example.com` }
}

async function setShortExpiry(dbUrl, query, sessions, ms) {
  await query(dbUrl, `UPDATE sessions SET expires = to_timestamp(${ms / 1000}) WHERE "sessionToken" = ANY($1)`, [sessions.short.map((s) => s.token)])
}

async function faultRun({ cluster, dbUrl, query, cacheTtlMs, lock }) {
  const warmMs = 6000
  const { sessions, email } = await seedSessions(dbUrl, query, { warmMs })
  const secret = `soak-db-secret-${process.pid}-0123456789abcdef0123456789`
  const app = await startApp(DB_DIR, {
    env: { NEXTAUTH_SECRET: secret, DATABASE_URL: dbUrl, SESSION_CACHE_TTL_MS: String(cacheTtlMs), SESSION_TIMEOUT_MS: String(opt.timeoutMs) },
  })
  const label = cacheTtlMs ? `cache on (TTL ${cacheTtlMs} ms)` : 'cache off'
  log(`${label}: next start at ${app.url}`)
  const marks = {}
  const at = (name) => (marks[name] = performance.now())
  let locker = null
  try {
    const cookie = (t) => ({ cookie: `${SESSION_COOKIE}=${t}` })
    // Every answer is judged after the run, against the fault timeline.
    // An allow: the session's user in the answer (JSON of /api/me, or the dashboard page).
    const allowedBy = (meta) => (res) => ({
      ok: true,
      allowed: res.status === 200 && (meta.email ? res.body.includes(meta.email) : res.body.includes('"email"') || res.body.includes('user-email')),
    })
    const spec = (kind, path, s) => {
      const meta = s ? { email: email(s.user), token: s.token } : {}
      return { kind, path, headers: s ? cookie(s.token) : {}, meta, check: allowedBy(meta) }
    }
    let coldIdx = 0
    const next = (i) => {
      const r = i % 10
      const down = marks.stop0 !== undefined && marks.start1 === undefined
      if (r < 4) return spec('valid', '/api/me', sessions.hot[i % sessions.hot.length])
      if (r === 4) return spec('valid', '/dashboard', sessions.hot[(i >> 3) % sessions.hot.length])
      // cold: with the cache on, only asked for once the database is down
      if (r === 5) return cacheTtlMs && !down ? spec('valid', '/api/me', sessions.hot[(i >> 2) % sessions.hot.length]) : spec('cold', '/api/me', sessions.cold[coldIdx++ % sessions.cold.length])
      if (r === 6) return spec('short', '/api/me', sessions.short[i % sessions.short.length])
      if (r === 7) return spec('expired', '/api/me', sessions.expired[i % sessions.expired.length])
      if (r === 8) return spec('unknown', '/api/me', { token: randomUUID(), user: 1 })
      return spec('signed out', '/dashboard', null)
    }
    const durationMs = opt.dbDuration * 1000
    const outageMs = opt.outageS * 1000
    const events = [
      {
        atMs: warmMs,
        run: async () => {
          at('stop0')
          await cluster.stop()
          at('stop1')
          await sleep(outageMs - (marks.stop1 - marks.stop0))
          at('start0')
          await cluster.start()
          at('start1')
          if (lock && durationMs - (marks.start1 - marks.loadStart) > 8000) {
            await sleep(3000)
            locker = new (await import('../__test__/helpers/pg.mjs')).pg.Client({ connectionString: dbUrl })
            await locker.connect()
            await locker.query('BEGIN')
            await locker.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE')
            at('lock0')
            await sleep(3000)
            at('lock1')
            await locker.query('COMMIT')
            await locker.end()
            at('lock2')
          }
        },
      },
    ]
    const shortExpires = Date.now() + warmMs + 1500
    await setShortExpiry(dbUrl, query, sessions, shortExpires)
    const rss0 = groupRssMb(app.child.pid)
    marks.loadStart = performance.now()
    const { records, start, end } = await load(app.url, { durationMs, connections: opt.dbConnections, next, events })
    const rss1 = groupRssMb(app.child.pid)
    return judge({ records, start, end, marks, cacheTtlMs, shortExpires, label, rss: [rss0, rss1], log: app.output() })
  } finally {
    if (locker) await locker.end().catch(() => {})
    await app.stop()
  }
}

const isPageGate500 = (r) => r.status === 500 && r.path === '/dashboard' && !r.allowed

function judge({ records, start, end, marks, cacheTtlMs, shortExpires, label, rss, log: serverLog }) {
  const wallToPerf = Date.now() - performance.now()
  const windows = [{ name: 'outage', from: marks.stop0, to: marks.start1, hard: [marks.stop1, marks.start0] }]
  if (marks.lock0) windows.push({ name: 'lock', from: marks.lock0, to: marks.lock2, hard: [marks.lock0, marks.lock1] })
  // The latency bound: the deadline, plus a margin that is the larger of
  // --margin-ms and the slowest answer outside every fault window (on a
  // CPU-starved machine Next itself stalls longer than any deadline; the
  // fault may add at most the deadline to that).
  const calmLat = records.filter((r) => windows.every((w) => r.t1 < w.from || r.t0 > w.to + 2000)).map((r) => r.t1 - r.t0)
  const calmMax = Math.max(0, ...calmLat)
  const limit = Math.round(opt.timeoutMs + Math.max(opt.marginMs, calmMax))
  const rows = []
  for (const [wi, w] of windows.entries()) {
    const during = records.filter((r) => r.t0 >= w.hard[0] && r.t1 <= w.hard[1])
    const touching = records.filter((r) => r.t1 >= w.from && r.t0 <= w.to)
    const uncachedAllows = during.filter((r) => r.allowed && (r.kind !== 'valid' && r.kind !== 'short' ? true : cacheTtlMs === 0))
    const cachedAllows = during.filter((r) => r.allowed && (r.kind === 'valid' || r.kind === 'short') && cacheTtlMs > 0)
    // Cache on: a served session was cached before the outage, so never later than outage start + TTL (+ 250 ms for timers).
    const pastTtl = cachedAllows.filter((r) => r.t1 > w.from + cacheTtlMs + 250)
    const pastExpires = records.filter((r) => r.allowed && r.kind === 'short' && r.t0 + wallToPerf > shortExpires + 250)
    const nextFrom = windows[wi + 1]?.from ?? Infinity
    const after = records.filter((r) => r.t0 >= w.to && r.t1 < nextFrom && r.kind === 'valid')
    const lastFail = after.filter((r) => !r.allowed).at(-1)
    const firstOk = after.find((r) => r.allowed && (!lastFail || r.t0 > lastFail.t0))
    const recovery = firstOk ? Math.max(0, (firstOk.t0 - w.to) / 1000) : Infinity
    const maxLat = Math.max(0, ...touching.map((r) => r.t1 - r.t0))
    rows.push({
      scenario: `${w.name}, ${label}`,
      downSeconds: round((w.hard[1] - w.hard[0]) / 1000),
      requestsWhileDown: during.length,
      uncachedAllows: uncachedAllows.length,
      cachedAllows: cacheTtlMs ? `${cachedAllows.length} (last ${round(Math.max(0, ...cachedAllows.map((r) => r.t1 - w.from)) / 1000)} s in)` : '-',
      pastTtl: cacheTtlMs ? pastTtl.length : '-',
      pastExpires: pastExpires.length,
      denials: during.filter((r) => !r.allowed).length,
      s503: during.filter((r) => r.status === 503).length,
      // The page's own gate: the proxy passed on a cache hit, and the page's
      // requireSession met the outage and rejected (DB_UNAVAILABLE), so Next
      // answers 500. A denial (nothing rendered), never a sign-in redirect.
      pageGate500: touching.filter(isPageGate500).length,
      other5xx: touching.filter((r) => r.status >= 500 && r.status !== 503 && !isPageGate500(r)).length,
      maxLatencyMs: Math.round(maxLat),
      calmMaxMs: Math.round(calmMax),
      limitMs: limit,
      recoverySeconds: round(recovery, 2),
      ok: uncachedAllows.length === 0 && pastTtl.length === 0 && pastExpires.length === 0 && maxLat <= limit && recovery <= 2,
    })
  }
  // Outside the fault windows (and 2 s of recovery) every decision must be right.
  const calm = records.filter((r) => windows.every((w) => r.t1 < w.from || r.t0 > w.to + 2000))
  const wrongCalm = calm.filter((r) => {
    const shouldAllow = r.kind === 'valid' || r.kind === 'cold' || (r.kind === 'short' && r.t1 + wallToPerf < shortExpires - 250)
    const shortAmbiguous = r.kind === 'short' && Math.abs(r.t0 + wallToPerf - shortExpires) < 1500
    return !shortAmbiguous && r.allowed !== shouldAllow
  })
  const s = summarize(records, end - start)
  const storeLogs = (serverLog.match(/\[next-auth-native\]\[error\]\[SESSION_STORE\][^\n]*/g) ?? []).map((l) => l.slice(0, 220))
  return { label, cacheTtlMs, rows, calm: { requests: calm.length, wrong: wrongCalm.length, wrongKinds: [...new Set(wrongCalm.map((r) => r.kind))] }, ...s, rss, storeLogs }
}

// ---------------------------------------------------------------------------

async function main() {
  const out = { when: new Date().toISOString(), options: opt }
  let failed = false
  if (opt.only !== 'db') {
    const j = await jwtSoak()
    out.jwt = j
    console.log(`\nJWT soak: examples/next-app under next start, ${j.seconds} s at ${j.connections} connections`)
    console.log(
      table([{ ...j, rssStr: `${j.rss.start} / ${j.rss.middle} / ${j.rss.end}` }], [
        ['requests', 'requests'],
        ['req/s', 'reqPerSec'],
        ['p50 ms', 'p50'],
        ['p99 ms', 'p99'],
        ['max ms', 'max'],
        ['wrong decisions', 'wrong'],
        ['5xx', 'fiveXX'],
        ['client errors', 'errors'],
        ['RSS MB start / middle / end', 'rssStr'],
      ]),
    )
    console.log(`RSS every 5 s (MB): ${j.rssSamples.map((x) => x.mb).join(' ')}`)
    console.log(table(j.kinds, [['request kind', 'kind'], ['count', 'count'], ['wrong', 'wrong'], ['allowed', 'allowed'], ['statuses', 'statuses']]))
    const growth = j.rss.end - j.rss.middle
    j.memoryFlat = growth <= Math.max(64, 0.15 * j.rss.middle)
    if (j.wrong || j.fiveXX || j.errors || !j.memoryFlat) failed = true
    console.log(`memory ${j.memoryFlat ? 'flat' : 'GROWING'} (middle -> end: ${growth >= 0 ? '+' : ''}${growth} MB)`)
  }
  if (opt.only !== 'jwt') {
    const runs = await dbFaults()
    out.db = runs
    console.log(`\nDatabase faults: examples/next-app-db, ${opt.dbDuration} s at ${opt.dbConnections} connections per run; latency limit = deadline ${opt.timeoutMs} ms + max(${opt.marginMs} ms, slowest answer outside the faults)`)
    console.log(
      table(runs.flatMap((r) => r.rows), [
        ['scenario', 'scenario'],
        ['down s', 'downSeconds'],
        ['requests while down', 'requestsWhileDown'],
        ['allows (uncached)', 'uncachedAllows'],
        ['served from cache', 'cachedAllows'],
        ['past TTL', 'pastTtl'],
        ['past expires', 'pastExpires'],
        ['denials', 'denials'],
        ['of which 503', 's503'],
        ['page gate 500', 'pageGate500'],
        ['other 5xx', 'other5xx'],
        ['max latency ms', 'maxLatencyMs'],
        ['max outside faults ms', 'calmMaxMs'],
        ['limit ms', 'limitMs'],
        ['recovery s', 'recoverySeconds'],
        ['ok', 'ok'],
      ]),
    )
    console.log(
      table(runs.map((r) => ({ ...r, wrongCalm: r.calm.wrong, calmReq: r.calm.requests, rssStr: r.rss.join(' / ') })), [
        ['run', 'label'],
        ['requests', 'requests'],
        ['req/s', 'reqPerSec'],
        ['p50 ms', 'p50'],
        ['p99 ms', 'p99'],
        ['outside faults', 'calmReq'],
        ['wrong outside faults', 'wrongCalm'],
        ['RSS MB start / end', 'rssStr'],
      ]),
    )
    for (const r of runs) for (const l of r.storeLogs) console.log(`  server log (${r.label}): ${l}`)
    if (runs.some((r) => r.calm.wrong || r.rows.some((x) => !x.ok) || r.rows.some((x) => x.other5xx))) failed = true
  }
  if (argv.json) writeFileSync(argv.json, JSON.stringify(out, (k, v) => (k === 'meta' ? undefined : v), 2))
  if (failed) {
    console.error('\nsoak: FAILED (see the tables above)')
    process.exitCode = 1
  } else console.log('\nsoak: all checks passed')
}

main().catch((e) => {
  console.error(e.stack || e.message)
  process.exit(2)
})
