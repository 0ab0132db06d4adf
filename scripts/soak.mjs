#!/usr/bin/env node
// Soak and faults under load on real `next start` servers (issue 12).
//
//   npm run soak                                  JWT soak (100 connections, 60 s) + database faults
//   npm run soak -- --duration 10 --connections 20 --db-duration 16 --db-connections 10 --store-duration 12 --outage-s 3   (the CI smoke)
//   options: --only jwt|db          one half
//            --no-install --no-build reuse the installed/built example apps
//            --json FILE             also write every figure as JSON
//            --stores pg,mysql,redis,endpoint,sqlite   the stores of the fault runs (default all)
//            --store-duration N      least seconds of a fault run for the stores other than pg
//                                    (default --db-duration; a run lasts as long as its faults need)
//            --cache-on-all          the cache-on run for every store (default: PostgreSQL only)
//            --baseline / --no-baseline   the pass-through memory baseline (default: on from 60 s)
//            --warmup-s N            full-load warm-up before the memory samples (default 15, 3 under 60 s)
//            --timeout-ms N          session lookup deadline in the DB app (default 1000)
//            --margin-ms N           least latency margin above that deadline (default 1000); the margin
//                                    used is the larger of this and the slowest answer outside the faults
//            --cache-ttl-ms N        cache TTL of the cache-on DB run (default 3000)
//            --outage-s N            seconds a store is down (default 5)
//
// 1. JWT soak, examples/next-app (withAuth in proxy.ts, getToken in /api/me,
//    the pages check again). Tokens come from the real sign-in flow
//    (credentials) and from next-auth's own `encode`. Every response is
//    checked against the decision it must get; the request mix: signed in,
//    signed out, tampered, expired, wrong role on /admin, /api/me JSON, path
//    tricks (encoded, doubled and mixed-case paths, _next/data), oversized and
//    many-pair Cookie headers. Reported: wrong decisions and 5xx (both must be
//    0), p50/p99/max latency, req/s, and the server's RSS (process group)
//    every 5 s. Memory: from 60 s on a plateau check (growth over the last
//    half at most 16 MB or 5 %, see memoryVerdict), beside the same load on
//    a copy of the app whose proxy.ts passes everything through (the baseline).
// 2. Faults under load, examples/next-app-db, per store (scripts/soak-stores.mjs):
//    PostgreSQL (a throw-away cluster, @auth/pg-adapter tables), MariaDB
//    (Prisma's MySQL layout), Redis (upstash-redis keys), the session
//    endpoint (a local /api/auth/session; the app built with
//    sessionEndpoint), SQLite (a file, pg-adapter tables). Sessions are
//    written in the store's layout. Faults in order, 3 s apart:
//    a. cache off: the store is down for --outage-s seconds (stopped, then
//       started; not SQLite); it is slow for 3 s (a lock, a paused server, a
//       slow endpoint, a file held by an exclusive transaction); PostgreSQL
//       only: the pool (4) held busy for 3 s by lookups of a slow view,
//       with no lock. Counted: allows while down (must be 0; with the pool
//       exhausted: allows of tokens the store denies), denials (a 503 is a
//       denial), max latency (must be <= deadline + margin, see
//       --margin-ms), seconds until signed-in requests succeed again (<= 2).
//    b. cache on (TTL --cache-ttl-ms), PostgreSQL (all with --cache-on-all):
//       the same outage. What is served while down: a session looked up
//       before the outage keeps being served from the cache until its
//       entry's TTL runs out (so never later than outage start + TTL), never
//       after the session's own `expires`; tokens not looked up before the
//       outage get nothing. Checked per response.
// Load goes to 127.0.0.1 only; every phase is bounded in time.

import http from 'node:http'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  ADMIN_USER,
  DEMO_USER,
  EXAMPLE_DIR,
  SESSION_COOKIE,
  buildApp,
  copyApp,
  installApp,
  signIn,
  startApp,
} from '../tools/next-app.mjs'
import { DB_DIR, STORES, STORE_NAMES, endpointVariant } from './soak-stores.mjs'

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
    stores: { type: 'string', default: STORE_NAMES.join(',') },
    'store-duration': { type: 'string' },
    'cache-on-all': { type: 'boolean', default: false },
    baseline: { type: 'boolean' },
    'no-baseline': { type: 'boolean', default: false },
    'warmup-s': { type: 'string' },
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
  stores: argv.stores.split(',').map((x) => x.trim()).filter(Boolean),
  storeDuration: Number(argv['store-duration'] ?? argv['db-duration']),
  cacheOnAll: argv['cache-on-all'],
  // The pass-through baseline by default only where memory is judged (>= 60 s).
  baseline: argv['no-baseline'] ? false : (argv.baseline ?? Number(argv.duration) >= 60),
  // A longer warm-up at full load for the memory runs: the JIT, Next's caches and V8's heap settle first.
  warmupS: Number(argv['warmup-s'] ?? (Number(argv.duration) >= 60 ? 15 : 3)),
}
if (!(opt.duration > 0 && opt.duration <= 600)) throw new Error('--duration must be in (0, 600] seconds')
if (!(opt.connections > 0 && opt.connections <= 512)) throw new Error('--connections must be in (0, 512]')
if (!(opt.dbDuration > 0 && opt.dbDuration <= 300)) throw new Error('--db-duration must be in (0, 300] seconds (a run lasts as long as its faults need, at least this)')
if (!(opt.storeDuration > 0 && opt.storeDuration <= 300)) throw new Error('--store-duration must be in (0, 300] seconds')
if (!(opt.outageS >= 1 && opt.outageS <= 60)) throw new Error('--outage-s must be in [1, 60]')
if (!(opt.warmupS >= 0 && opt.warmupS <= 120)) throw new Error('--warmup-s must be in [0, 120]')
for (const st of opt.stores) if (!STORE_NAMES.includes(st)) throw new Error(`--stores: unknown store ${st} (${STORE_NAMES.join(', ')})`)
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
 * { atMs, run } callbacks started at those offsets (faults), awaited at the
 * end; with `untilEvents`, the load goes on until they are done plus
 * `tailMs` (3 s), if that is later than `durationMs`.
 */
async function load(url, { durationMs, connections, next, events = [], untilEvents = false, tailMs = 3000 }) {
  const base = new URL(url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections })
  const records = []
  const start = performance.now()
  let end = start + durationMs
  let pending = untilEvents && events.length > 0
  let i = 0
  const worker = async () => {
    while (pending || performance.now() < end) {
      const spec = next(i++)
      const res = await send(agent, base, spec)
      const verdict = res.error ? { ok: false, allowed: false } : spec.check(res)
      records.push({ kind: spec.kind, path: spec.path, t0: res.t0, t1: res.t1, status: res.status, error: res.error, ok: verdict.ok, allowed: verdict.allowed, meta: spec.meta })
    }
  }
  const evs = Promise.all(events.map((e) => sleep(e.atMs).then(() => e.run()))).finally(() => {
    if (pending) end = Math.max(end, performance.now() + tailMs)
    pending = false
  })
  await Promise.all([...Array.from({ length: connections }, worker), evs])
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

function groupMem(pgid) {
  let rss = 0
  let anon = 0
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) !== pgid) continue
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      rss += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0)
      anon += Number(/RssAnon:\s+(\d+) kB/.exec(status)?.[1] ?? 0)
    } catch {
      /* gone */
    }
  }
  return { mb: Math.round(rss / 1024), anonMb: Math.round(anon / 1024) }
}
const groupRssMb = (pgid) => groupMem(pgid).mb

/**
 * The memory verdict on RSS samples taken every 5 s. From 60 s on, a plateau
 * check: the growth over the last half of the run (the least-squares slope of
 * the samples in it, times its length) must be at most PLATEAU_MB or
 * PLATEAU_SHARE of the RSS at the middle, whichever is larger. Shorter runs
 * (the CI smoke) are too short for that: in a server's first seconds under
 * load V8 grows its heap in steps (two CI smokes of one commit: +27 and +78 MB
 * middle -> end over 5 s), so they catch only a gross leak (middle -> end at
 * most SHORT_RUN_MB or SHORT_RUN_SHARE of the middle).
 */
const SHORT_RUN_MB = 128
const SHORT_RUN_SHARE = 0.5
const PLATEAU_MB = 16
const PLATEAU_SHARE = 0.05
function memoryVerdict(samples) {
  const T = samples.at(-1).t
  const half = samples.filter((x) => x.t >= T / 2)
  const mid = half[0]
  const slope = (xs) => {
    const n = xs.length
    const mt = xs.reduce((a, x) => a + x.t, 0) / n
    const mm = xs.reduce((a, x) => a + x.mb, 0) / n
    const num = xs.reduce((a, x) => a + (x.t - mt) * (x.mb - mm), 0)
    const den = xs.reduce((a, x) => a + (x.t - mt) ** 2, 0)
    return den ? num / den : 0
  }
  const growthLastHalf = round(slope(half) * (T - mid.t))
  if (T >= 60 && half.length >= 5) {
    const bound = Math.round(Math.max(PLATEAU_MB, PLATEAU_SHARE * mid.mb))
    return { kind: 'plateau', ok: growthLastHalf <= bound, growthLastHalf, bound, text: `growth over the last half (${round(T - mid.t)} s, least-squares fit of ${half.length} samples): ${growthLastHalf >= 0 ? '+' : ''}${growthLastHalf} MB, bound ${bound} MB (max of ${PLATEAU_MB} MB and ${PLATEAU_SHARE * 100} % of ${mid.mb} MB)` }
  }
  const growth = samples.at(-1).mb - mid.mb
  const bound = Math.round(Math.max(SHORT_RUN_MB, SHORT_RUN_SHARE * mid.mb))
  return { kind: 'bounded', ok: growth <= bound, growthLastHalf: growth, bound, text: `${T} s is too short for a plateau check; bounded: middle -> end ${growth >= 0 ? '+' : ''}${growth} MB, bound ${bound} MB` }
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
  const base = await jwtRun(EXAMPLE_DIR, secret, { judged: true })
  if (opt.baseline) {
    // The memory baseline: the same app and load with a pass-through proxy.ts
    // (no auth in the proxy; the pages still run their own check), so growth
    // that Next and V8 show anyway is told apart from ours.
    const dir = mkdtempSync(path.join(tmpdir(), 'nan-soak-passthrough-'))
    rmSync(dir, { recursive: true, force: true })
    try {
      copyApp(dir, EXAMPLE_DIR)
      const proxySrc = readFileSync(path.join(EXAMPLE_DIR, 'proxy.ts'), 'utf8')
      const matcher = /export const config = \{[\s\S]*\}\s*$/.exec(proxySrc)?.[0]
      if (!matcher) throw new Error('examples/next-app/proxy.ts: no `export const config` at its end')
      writeFileSync(
        path.join(dir, 'proxy.ts'),
        `// Written by scripts/soak.mjs: the memory baseline, a pass-through proxy (no auth).\nimport { NextResponse } from 'next/server'\n\nexport default function proxy() {\n  return NextResponse.next()\n}\n\n${matcher}`,
      )
      log('next build of examples/next-app with a pass-through proxy.ts (a copy)…')
      await buildApp(dir)
      base.baseline = await jwtRun(dir, secret, { judged: false })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return base
}

/** The JWT mix on `appDir`; `judged: false` (the baseline) records answers without judging them. */
async function jwtRun(appDir, secret, { judged }) {
  const app = await startApp(appDir, { env: { NEXTAUTH_SECRET: secret } })
  log(`next start at ${app.url} (pid ${app.child.pid})${judged ? '' : ', pass-through proxy'}`)
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
    const wheel = mix.flatMap(([w, s]) => Array(w).fill(judged ? s : { ...s, check: (r) => ({ ok: true, allowed: r.status === 200 }) }))
    if (judged) {
      // Probe every kind once (a wrong answer here is reported, and counted again under load).
      for (const [, spec] of mix) {
        const r = await send(new http.Agent(), new URL(app.url), spec)
        const v = r.error ? { ok: false } : spec.check(r)
        if (!v.ok) log(`probe: ${spec.kind} -> ${r.status || r.error} ${r.location || ''} (WRONG)`)
      }
    }
    log(`warm-up ${opt.warmupS} s, then ${opt.duration} s at ${opt.connections} connections (${mix.length} request kinds)`)
    await load(app.url, { durationMs: opt.warmupS * 1000, connections: Math.min(opt.warmupS > 3 ? opt.connections : 10, opt.connections), next: (i) => wheel[i % wheel.length] })
    const pgid = app.child.pid
    const samples = [{ t: 0, ...groupMem(pgid) }]
    const durationMs = opt.duration * 1000
    const events = []
    for (let t = 5000; t < durationMs; t += 5000) events.push({ atMs: t, run: () => samples.push({ t: t / 1000, ...groupMem(pgid) }) })
    const { records, start, end } = await load(app.url, { durationMs, connections: opt.connections, next: (i) => wheel[(i * 7919) % wheel.length], events })
    samples.push({ t: round((end - start) / 1000), ...groupMem(pgid) })
    const mid = samples.reduce((a, x) => (Math.abs(x.t - opt.duration / 2) < Math.abs(a.t - opt.duration / 2) ? x : a))
    const rss = { start: samples[0].mb, middle: mid.mb, end: samples.at(-1).mb }
    const s = summarize(records, end - start)
    const kinds = byKind(records)
    const serverErrors = (app.output().match(/\n\s*(Error|TypeError|RangeError|⨯)/g) ?? []).length
    return { ...s, rss, rssSamples: samples, memory: memoryVerdict(samples), kinds, connections: opt.connections, seconds: opt.duration, warmupSeconds: opt.warmupS, serverErrors }
  } finally {
    await app.stop()
  }
}

// ---------------------------------------------------------------------------
// 2. Faults under load, every store (scripts/soak-stores.mjs)

const WARM_MS = 5000 // before the first fault (the cache-on run caches the hot sessions)
const GAP_MS = 3000 // between faults (the load goes on 3 s after the last)
const SLOW_MS = 3000 // a slow store / an exhausted pool
const POOL_USERS = [61, 62, 63, 64] // PostgreSQL: their lookups take 3 s (the slow view)
const POOL_CLIENTS = 8 // clients asking for them during the pool fault (twice the pool)
const LOOKUPS = 2 // session lookups per request in examples/next-app-db: proxy.ts, then the page's or handler's gate

function sessionsFor(store) {
  const users = Array.from({ length: 64 }, (_, i) => ({ id: i + 1, name: `User ${i}`, email: `user${i}@example.com` }))
  const mk = () => randomUUID()
  const day = Date.now() + 30 * 86_400_000
  const s = {
    hot: Array.from({ length: 20 }, (_, i) => ({ token: mk(), user: i + 1, expiresMs: day })), // requested all along
    cold: Array.from({ length: 400 }, (_, i) => ({ token: mk(), user: (i % 60) + 1, expiresMs: day })), // cache on: first seen while down
    short: Array.from({ length: 10 }, (_, i) => ({ token: mk(), user: 41 + i, expiresMs: Date.now() + 3_600_000 })), // expire 1.5 s into the first fault
    expired: Array.from({ length: 10 }, (_, i) => ({ token: mk(), user: 51 + i, expiresMs: Date.now() - 3_600_000 })),
    slow: store.name === 'pg' ? POOL_USERS.map((u) => ({ token: mk(), user: u, expiresMs: day })) : [],
  }
  return { users, sessions: s, all: [...s.hot, ...s.cold, ...s.short, ...s.expired, ...s.slow], email: (u) => `user${u - 1}@example.com` }
}

/** The faults of one run, in order: cache off gets every fault the store has; cache on the outage. */
function planFor(store, cacheTtlMs) {
  if (cacheTtlMs) return store.down ? ['down'] : ['slow']
  return [store.down && 'down', store.slow && 'slow', store.name === 'pg' && 'pool'].filter(Boolean)
}

async function dbFaults() {
  if (opt.install) {
    log('installing examples/next-app-db…')
    await installApp(DB_DIR)
  }
  if (opt.build) {
    log('next build examples/next-app-db…')
    await buildApp(DB_DIR)
  }
  let endpointDir = null
  const runs = []
  for (const name of opt.stores) {
    const t0 = Date.now()
    const store = await STORES[name]()
    log(`${store.title}: ${store.layout}`)
    try {
      let appDir = DB_DIR
      if (store.variant === 'endpoint') {
        if (!endpointDir) {
          log('next build of examples/next-app-db with sessionEndpoint (a copy)…')
          endpointDir = await endpointVariant({ copyApp, buildApp })
        }
        appDir = endpointDir
      }
      runs.push(await faultRun({ store, appDir, cacheTtlMs: 0, minMs: (name === 'pg' ? opt.dbDuration : opt.storeDuration) * 1000 }))
      if (name === 'pg' || opt.cacheOnAll) runs.push(await faultRun({ store, appDir, cacheTtlMs: opt.cacheTtlMs, minMs: (name === 'pg' ? opt.dbDuration : opt.storeDuration) * 1000 }))
    } finally {
      await store.destroy().catch(() => {})
    }
    log(`${store.title}: done in ${Math.round((Date.now() - t0) / 1000)} s`)
  }
  if (endpointDir) rmSync(endpointDir, { recursive: true, force: true })
  return runs
}

async function faultRun({ store, appDir, cacheTtlMs, minMs }) {
  const data = sessionsFor(store)
  await store.seed({ users: data.users, sessions: data.all })
  const { sessions, email } = data
  const secret = `soak-db-secret-${process.pid}-0123456789abcdef0123456789`
  const app = await startApp(appDir, {
    env: { NEXTAUTH_SECRET: secret, ...store.env, SESSION_CACHE_TTL_MS: String(cacheTtlMs), SESSION_TIMEOUT_MS: String(opt.timeoutMs) },
  })
  const label = cacheTtlMs ? `cache on (TTL ${cacheTtlMs} ms)` : 'cache off'
  const plan = planFor(store, cacheTtlMs)
  log(`${store.title}, ${label}: next start at ${app.url}; faults: ${plan.join(', ')}`)
  const windows = []
  const extra = [] // answers to the pool fault's slow clients
  let current = null // the fault in progress: { kind }
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
    let seenFault = false
    const next = (i) => {
      const r = i % 10
      if (current) seenFault = true
      if (r < 4) return spec('valid', '/api/me', sessions.hot[i % sessions.hot.length])
      if (r === 4) return spec('valid', '/dashboard', sessions.hot[(i >> 3) % sessions.hot.length])
      // cold: with the cache on, only asked for once the first fault began
      if (r === 5) return cacheTtlMs && !seenFault ? spec('valid', '/api/me', sessions.hot[(i >> 2) % sessions.hot.length]) : spec('cold', '/api/me', sessions.cold[coldIdx++ % sessions.cold.length])
      if (r === 6) return spec('short', '/api/me', sessions.short[i % sessions.short.length])
      if (r === 7) return spec('expired', '/api/me', sessions.expired[i % sessions.expired.length])
      if (r === 8) return spec('unknown', '/api/me', { token: randomUUID(), user: 1 })
      return spec('signed out', '/dashboard', null)
    }
    const outageMs = opt.outageS * 1000
    const runFaults = async () => {
      for (const [k, kind] of plan.entries()) {
        current = { kind }
        let m
        if (kind === 'down') m = await store.down(outageMs)
        else if (kind === 'slow') m = await store.slow(SLOW_MS)
        else {
          // Pool exhaustion alone: POOL_CLIENTS extra clients ask for the slow view's sessions
          // for SLOW_MS, beside the load; each of their lookups holds a pool connection until the
          // deadline (the statement is then cancelled), so the pool (4) stays busy.
          m = { from: performance.now() }
          const agent = new http.Agent({ keepAlive: true, maxSockets: POOL_CLIENTS })
          const base = new URL(app.url)
          let on = true
          const loops = Array.from({ length: POOL_CLIENTS }, async (_, k) => {
            for (let j = k; on; j++) {
              const sp = spec('slow', '/api/me', sessions.slow[j % sessions.slow.length])
              const res = await send(agent, base, sp)
              const v = res.error ? { ok: false, allowed: false } : sp.check(res)
              extra.push({ kind: 'slow', path: sp.path, t0: res.t0, t1: res.t1, status: res.status, error: res.error, ok: v.ok, allowed: v.allowed })
            }
          })
          m.hard0 = m.from + 200 // every slow client has a lookup in flight
          await sleep(SLOW_MS)
          m.hard1 = performance.now()
          on = false
          await Promise.all(loops)
          agent.destroy()
          m.to = performance.now()
        }
        current = null
        windows.push({ kind, name: kind === 'down' ? `${store.title} stopped` : kind === 'slow' ? store.slowLabel : `pool (4) held busy: ${POOL_CLIENTS} clients on a slow view (3 s a lookup), no lock`, ...m })
        // Between faults; after the last one the load's tail (3 s) shows the recovery.
        if (k < plan.length - 1) await sleep(GAP_MS)
      }
    }
    const shortExpires = Date.now() + WARM_MS + 1500
    await store.setExpires(sessions.short.map((s) => s.token), shortExpires)
    const rss0 = groupRssMb(app.child.pid)
    const { records, start, end } = await load(app.url, {
      durationMs: minMs,
      connections: opt.dbConnections,
      next,
      events: [{ atMs: WARM_MS, run: runFaults }],
      untilEvents: true,
    })
    const rss1 = groupRssMb(app.child.pid)
    return judge({ store, records: [...records, ...extra].sort((a, b) => a.t0 - b.t0), start, end, windows, cacheTtlMs, shortExpires, label, rss: [rss0, rss1], log: app.output() })
  } finally {
    await app.stop()
  }
}

const isPageGate500 = (r) => r.status === 500 && r.path === '/dashboard' && !r.allowed
const MUST_DENY = new Set(['expired', 'unknown', 'signed out'])

function judge({ store, records, start, end, windows, cacheTtlMs, shortExpires, label, rss, log: serverLog }) {
  const wallToPerf = Date.now() - performance.now()
  const outside = (r) => windows.every((w) => r.t1 < w.from || r.t0 > w.to + 2000)
  // The latency bound: a deadline per lookup, plus a margin that is the
  // larger of --margin-ms and the slowest answer outside every fault window
  // (on a CPU-starved machine Next itself stalls longer than any deadline).
  // Every request with a cookie makes LOOKUPS lookups in series here
  // (proxy.ts, then the page's or route handler's own gate, cache off): when
  // the first is answered just inside its deadline and the second meets the
  // fault, the answer takes two deadlines.
  const calmMax = Math.max(0, ...records.filter(outside).map((r) => r.t1 - r.t0))
  const limit = Math.round(LOOKUPS * opt.timeoutMs + Math.max(opt.marginMs, calmMax))
  const pastExpires = records.filter((r) => r.allowed && r.kind === 'short' && r.t0 + wallToPerf > shortExpires + 250)
  const rows = []
  for (const [wi, w] of windows.entries()) {
    const during = records.filter((r) => r.t0 >= w.hard0 && r.t1 <= w.hard1)
    const touching = records.filter((r) => r.t1 >= w.from && r.t0 <= w.to)
    let badAllows
    let judged = during // the requests the row counts
    let cachedAllows = []
    let note = ''
    if (w.kind === 'pool') {
      // The store is up: a valid session may still be served when a connection frees up;
      // what must never be allowed is a token the store would deny. Judged: every request
      // started while the pool was held (most of them wait for a connection past the window).
      const started = records.filter((r) => r.t0 >= w.hard0 && r.t0 <= w.hard1)
      judged = started
      badAllows = started.filter((r) => r.allowed && (MUST_DENY.has(r.kind) || r.kind === 'slow'))
      const fast = started.filter((r) => r.kind === 'valid' || r.kind === 'cold')
      const slow = started.filter((r) => r.kind === 'slow')
      const lat = Float64Array.from(fast.map((r) => r.t1 - r.t0)).sort()
      note = `pool exhausted: of ${started.length} requests started while held, ${fast.length} valid sessions: ${fast.filter((r) => r.allowed).length} served, ${fast.filter((r) => !r.allowed).length} denied (${fast.filter((r) => r.status === 503).length} x 503), latency p50 ${Math.round(pct(lat, 50))} ms, max ${Math.round(lat.at(-1) ?? NaN)} ms; ${slow.length} slow-view lookups, ${slow.filter((r) => r.allowed).length} served; invalid tokens allowed: ${badAllows.length}`
    } else {
      badAllows = during.filter((r) => r.allowed && (MUST_DENY.has(r.kind) || r.kind === 'cold' || cacheTtlMs === 0))
      cachedAllows = during.filter((r) => r.allowed && (r.kind === 'valid' || r.kind === 'short') && cacheTtlMs > 0)
    }
    // Cache on: a served session was cached before the fault, so never later than fault start + TTL (+ 250 ms for timers).
    const pastTtl = cachedAllows.filter((r) => r.t1 > w.from + cacheTtlMs + 250)
    const nextFrom = windows[wi + 1]?.from ?? Infinity
    const after = records.filter((r) => r.t0 >= w.to && r.t1 < nextFrom && r.kind === 'valid')
    const lastFail = after.filter((r) => !r.allowed).at(-1)
    const firstOk = after.find((r) => r.allowed && (!lastFail || r.t0 > lastFail.t0))
    const recovery = firstOk ? Math.max(0, (firstOk.t0 - w.to) / 1000) : Infinity
    const maxLat = Math.max(0, ...touching.map((r) => r.t1 - r.t0))
    const other5xx = touching.filter((r) => r.status >= 500 && r.status !== 503 && !isPageGate500(r)).length
    rows.push({
      store: store.title,
      scenario: `${w.name}, ${label}`,
      downSeconds: round((w.hard1 - w.hard0) / 1000),
      requestsWhileDown: judged.length,
      uncachedAllows: badAllows.length,
      cachedAllows: cacheTtlMs ? `${cachedAllows.length} (last ${round(Math.max(0, ...cachedAllows.map((r) => r.t1 - w.from)) / 1000)} s in)` : '-',
      pastTtl: cacheTtlMs ? pastTtl.length : '-',
      pastExpires: wi === 0 ? pastExpires.length : '-',
      denials: judged.filter((r) => !r.allowed).length,
      s503: judged.filter((r) => r.status === 503).length,
      // The page's own gate: the proxy passed (a cache hit, or its lookup was
      // answered), and the page's requireSession met the fault and rejected
      // (storeUnavailable), so Next answers 500. A denial (nothing
      // rendered), never a sign-in redirect.
      pageGate500: touching.filter(isPageGate500).length,
      other5xx,
      maxLatencyMs: Math.round(maxLat),
      calmMaxMs: Math.round(calmMax),
      limitMs: limit,
      recoverySeconds: round(recovery, 2),
      note,
      ok: badAllows.length === 0 && pastTtl.length === 0 && pastExpires.length === 0 && maxLat <= limit && recovery <= 2 && other5xx === 0,
    })
  }
  // Outside the fault windows (and 2 s of recovery) every decision must be right.
  const calm = records.filter(outside)
  const wrongCalm = calm.filter((r) => {
    const shouldAllow = r.kind === 'valid' || r.kind === 'cold' || (r.kind === 'short' && r.t1 + wallToPerf < shortExpires - 250)
    const shortAmbiguous = r.kind === 'short' && Math.abs(r.t0 + wallToPerf - shortExpires) < 1500
    return !shortAmbiguous && r.allowed !== shouldAllow
  })
  const s = summarize(records, end - start)
  const storeLogs = (serverLog.match(/\[next-auth-native\]\[error\]\[SESSION_STORE\][^\n]*/g) ?? []).map((l) => l.slice(0, 220))
  return {
    store: store.title,
    label: `${store.title}, ${label}`,
    cacheTtlMs,
    seconds: round((end - start) / 1000),
    rows,
    calm: { requests: calm.length, wrong: wrongCalm.length, wrongKinds: [...new Set(wrongCalm.map((r) => r.kind))] },
    ...s,
    rss,
    storeLogs,
  }
}

// ---------------------------------------------------------------------------

async function main() {
  const out = { when: new Date().toISOString(), options: opt }
  let failed = false
  const t0 = Date.now()
  if (opt.only !== 'db') {
    const j = await jwtSoak()
    out.jwt = j
    console.log(`\nJWT soak: examples/next-app under next start, ${j.seconds} s at ${j.connections} connections (after a ${j.warmupSeconds} s warm-up)`)
    console.log(
      table([{ ...j, rssStr: `${j.rss.start} / ${j.rss.middle} / ${j.rss.end}`, growth: `${j.memory.growthLastHalf >= 0 ? '+' : ''}${j.memory.growthLastHalf} MB (bound ${j.memory.bound})` }], [
        ['requests', 'requests'],
        ['req/s', 'reqPerSec'],
        ['p50 ms', 'p50'],
        ['p99 ms', 'p99'],
        ['max ms', 'max'],
        ['wrong decisions', 'wrong'],
        ['5xx', 'fiveXX'],
        ['client errors', 'errors'],
        ['RSS MB start / middle / end', 'rssStr'],
        ['RSS growth, last half', 'growth'],
      ]),
    )
    console.log(table(j.kinds, [['request kind', 'kind'], ['count', 'count'], ['wrong', 'wrong'], ['allowed', 'allowed'], ['statuses', 'statuses']]))
    const memRows = [{ app: 'withAuth proxy (examples/next-app)', ...j }, ...(j.baseline ? [{ app: 'pass-through proxy, same app', ...j.baseline }] : [])]
    console.log(`\nServer RSS (process group), every 5 s:`)
    console.log(
      table(
        memRows.map((r) => ({ ...r, samples: r.rssSamples.map((x) => x.mb).join(' '), anon: r.rssSamples.map((x) => x.anonMb).join(' '), g: `${r.memory.growthLastHalf >= 0 ? '+' : ''}${r.memory.growthLastHalf} MB`, v: r.memory.ok ? (r.memory.kind === 'plateau' ? 'plateau' : 'bounded') : 'GROWING' })),
        [['app', 'app'], ['req/s', 'reqPerSec'], ['RSS MB', 'samples'], ['of which anonymous MB', 'anon'], ['growth, last half', 'g'], ['verdict', 'v']],
      ),
    )
    console.log(`memory: ${j.memory.ok ? (j.memory.kind === 'plateau' ? 'PLATEAU' : 'bounded') : 'GROWING'}: ${j.memory.text}`)
    if (j.baseline) console.log(`baseline (pass-through proxy): ${j.baseline.memory.text}`)
    if (j.wrong || j.fiveXX || j.errors || !j.memory.ok) failed = true
  }
  if (opt.only !== 'jwt' && opt.stores.length) {
    const runs = await dbFaults()
    out.db = runs
    console.log(`\nFaults under load: examples/next-app-db per store, ${opt.dbConnections} connections, lookup deadline ${opt.timeoutMs} ms; latency limit = ${LOOKUPS} lookups x deadline + max(${opt.marginMs} ms, slowest answer outside the faults). A 503, or a 500 from the dashboard page's own gate, is a denial.`)
    console.log(
      table(runs.flatMap((r) => r.rows), [
        ['store', 'store'],
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
    for (const r of runs) for (const x of r.rows) if (x.note) console.log(`  ${x.store}, ${x.scenario}: ${x.note}`)
    console.log(
      table(runs.map((r) => ({ ...r, wrongCalm: r.calm.wrong, calmReq: r.calm.requests, rssStr: r.rss.join(' / ') })), [
        ['run', 'label'],
        ['seconds', 'seconds'],
        ['requests', 'requests'],
        ['req/s', 'reqPerSec'],
        ['p50 ms', 'p50'],
        ['p99 ms', 'p99'],
        ['outside faults', 'calmReq'],
        ['wrong outside faults', 'wrongCalm'],
        ['RSS MB start / end', 'rssStr'],
      ]),
    )
    for (const r of runs) for (const l of r.storeLogs.slice(0, 3)) console.log(`  server log (${r.label}): ${l}`)
    for (const r of runs) if (r.calm.wrong) console.log(`  ${r.label}: wrong outside faults in ${r.calm.wrongKinds.join(', ')}`)
    if (runs.some((r) => r.calm.wrong || r.rows.some((x) => !x.ok))) failed = true
  }
  console.log(`\nsoak: ${Math.round((Date.now() - t0) / 1000)} s in all`)
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
