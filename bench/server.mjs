// npm run bench:server: whole-server throughput of the example apps under
// `next start`, every variant against a pass-through proxy in the same run.
//
//   JWT mode      examples/next-app:    next-auth-native's withAuth (the example's options, with
//                                       forwardIdentity) | the same without forwardIdentity |
//                                       next-auth's withAuth | pass-through | pass-through forwarding
//                                       request headers
//   database mode examples/next-app-db: next-auth-native, cache on (with forwardIdentity) | the same
//                                       without forwardIdentity | cache off | the
//                                       fetch-/api/auth/session workaround | pass-through |
//                                       pass-through forwarding request headers
//
//   A second pass-through server in each mode (A/A) measures the method's own
//   spread in the same rounds: a ratio is only as good as how close that row is to 1.
//   Rows with forwardIdentity are also set against the pass-through that forwards
//   the same request headers through Next's own protocol: that part of their cost is
//   Next's, and any proxy that hands headers to a route pays it.
//
//   node bench/server.mjs [--duration 10] [--rounds 3] [--slice 1] [--connections 10,100] [--warmup 10]
//                         [--modes jwt,db] [--variants id,…] [--path /api/bench-ping] [--no-install] [--keep-temp]
//   node bench/server.mjs --profile [--profile-seconds 20] [--connections 10]
//   --baseline <git ref> adds the native variants (JWT and database, with and without
//   forwardIdentity) again with next-auth-native as it was at <ref>: its lib/, its loader
//   and its addon, built with cargo into target/bench-baseline/. Same run, same rounds:
//   a before/after on one machine state.
//   --keep-temp keeps the built apps; --reuse <that dir> runs on them again with a
//   fresh install of next-auth-native (no rebuild: it is a server-external package).
//   --slice S gives each server its --duration seconds of a round in S-second turns
//   that cycle through the servers of a mode (0: one turn of --duration). --variants
//   picks rows by id.
//
// How: each example app is copied to a temp dir (node_modules hard-linked)
// and gets a trivial route /api/bench-ping (inside the proxy matcher: it
// answers "ok" and does nothing else) and a generated proxy.ts holding every
// variant: the example's own withAuth options, next-auth's withAuth with the
// same options (JWT mode), the fetch workaround (database mode) and a
// pass-through `() => undefined`. BENCH_PROXY picks one when the server
// starts, so one build serves all variants of a mode and the per-request code
// is only the chosen function. Every variant runs as its own `next start`
// (127.0.0.1 only), signed in through the real next-auth flows; database
// mode runs on a throw-away PostgreSQL cluster this script starts (initdb +
// pg_ctl, never the shared server).
//
// Load (bench/load.mjs): each server gets --connections keep-alive connections
// (autocannon's HTTP client), all opened and answered once before anything is
// timed, and kept open, parked, while other servers take their turns (the
// servers start with a long --keepAliveTimeout so they do not close them). A
// turn opens one server's gate: every connection keeps one request in flight
// for the turn's seconds. A response counts only when it is the route's own
// answer (status 200, body "ok"); any other answer is "bad", wherever it falls.
// req/s counts the good answers inside the turn; p50/p99 are over every answer
// of a round's turns. The turns of a round cycle through the servers of a mode
// (the order rotates every turn and every round), so a drift in the machine's
// speed falls on all of them alike. Ratios are per round against the
// pass-through of the same mode and round. Database transactions per request
// come from one counted 3 s turn per server (pg_stat_database cannot tell
// interleaved turns apart).
//
// --profile: the database-mode servers (cache on with and without
// forwardIdentity, the forwarding pass-through, the pass-through, and with
// --baseline the baseline's) under `node --cpu-prof`, each loaded for
// --profile-seconds in one turn; prints where the CPU time per request goes
// (bench/profile.mjs).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { spawn, execFileSync } from 'node:child_process'
import { availableParallelism, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'

import {
  DEMO_USER,
  EXAMPLE_DIR,
  REPO_ROOT,
  SESSION_COOKIE,
  buildApp,
  childEnv,
  copyApp,
  getFreePort,
  installApp,
  request,
  requireFromApp,
  signIn,
  signInByEmail,
  startApp,
} from '../tools/next-app.mjs'
import { query, startCluster } from '../tools/pg.mjs'
import { binaryName, hostTarget } from '../scripts/package.mjs'
import { summarizeProfile, formatProfile, diffProfiles } from './profile.mjs'
import { openLoad, percentiles } from './load.mjs'

const DB_APP_DIR = path.join(REPO_ROOT, 'examples', 'next-app-db')
// A server waits, idle, while the other servers take their turns (bench/load.mjs). Its connections
// stay open (a keep-alive longer than Node's default 5 s, which would close them and make the next
// turn open new ones), and V8's memory reducer is off: after about 10 s without load it shrinks the
// heap, and a Next server then served about 0.7x for its next 10 s of load (measured here), a cost
// of taking turns that a server under steady load never pays. Every variant runs with both.
const NEXT_START_ARGS = ['--keepAliveTimeout', String(3600_000)]
const NODE_ARGS = ['--no-memory-reducer', '--random-seed=1', '--hash-seed=1']
const BENCH_PATH = '/api/bench-ping'
const BODY = 'ok'

const BENCH_ROUTE = `// generated by bench/server.mjs: inside the proxy matcher, does nothing itself
export const dynamic = 'force-dynamic'
export function GET() {
  return new Response('${BODY}', { headers: { 'content-type': 'text/plain', 'cache-control': 'private, no-store' } })
}
`

/**
 * A pass-through that forwards request headers the way Next documents it,
 * `NextResponse.next({ request: { headers } })`, with made-up x-auth-* values
 * for the same names forwardIdentity sets (and a MAC-sized x-auth-mac): what
 * any proxy pays Next to hand request headers to the route, with no auth at all.
 */
const passForward = (names) => `
function passForward(req: any) {
  const headers = new Headers(req.headers)
${names.map((n) => `  headers.set('x-auth-${n}', 'bench-${n}')`).join('\n')}
  headers.set('x-auth-mac', 'v1 1796152621 ${names.join(',')} 3oFX4aiKhWYeB2pLfridUml33h_4k4Bk5Z7rGEqZ_c4')
  return NextResponse.next({ request: { headers } })
}
`

/** JWT mode: examples/next-app/proxy.ts's options, for both withAuth implementations. */
const JWT_PROXY = `// generated by bench/server.mjs (BENCH_PROXY = native | native-noid | next-auth | pass | pass-forward)
import { NextResponse } from 'next/server'
import { withAuth as nativeWithAuth } from 'next-auth-native/middleware'
import { withAuth as nextAuthWithAuth } from 'next-auth/middleware'
import { NEXTAUTH_SECRET, SIGN_IN_PAGE } from '@/lib/env'

// The options of examples/next-app/proxy.ts (next-auth ignores unauthorized and forwardIdentity).
const options: any = {
  secret: NEXTAUTH_SECRET,
  pages: { signIn: SIGN_IN_PAGE },
  callbacks: {
    authorized: ({ req, token }: any) => {
      if (!token) return false
      const { pathname } = req.nextUrl
      if (pathname === '/admin' || pathname.startsWith('/admin/')) return token.role === 'admin'
      return true
    },
  },
  unauthorized: 'auto',
  forwardIdentity: ['sub', 'email', 'role'],
}

// The same decision without forwardIdentity: what next-auth's withAuth does (it has no such option).
const { forwardIdentity: _forwarded, ...noIdentity } = options

function passThrough() {
  return undefined
}
${passForward(['sub', 'email', 'role'])}
const variant = process.env.BENCH_PROXY
const handler: any =
  variant === 'native' ? nativeWithAuth(options)
    : variant === 'native-noid' ? nativeWithAuth(noIdentity)
    : variant === 'next-auth' ? nextAuthWithAuth(options)
    : variant === 'pass' ? passThrough
    : variant === 'pass-forward' ? passForward
    : null
if (!handler) throw new Error('BENCH_PROXY must be native, native-noid, next-auth, pass or pass-forward')

export default function proxy(req: any, event: any) {
  return handler(req, event)
}

export const config = { matcher: ['/dashboard/:path*', '/admin/:path*', '/api/me', '${BENCH_PATH}'] }
`

/** Database mode: examples/next-app-db/proxy.ts's options, the fetch workaround, and pass-through. */
const DB_PROXY = `// generated by bench/server.mjs (BENCH_PROXY = native | native-noid | fetch | pass | pass-forward)
import { NextResponse } from 'next/server'
import { withAuth } from 'next-auth-native/middleware'
import { sessionOptions } from '@/lib/session-options'

// The options of examples/next-app-db/proxy.ts.
const nativeProxy = withAuth({
  session: sessionOptions,
  callbacks: { authorized: ({ session }: any) => !!session?.user },
  unauthorized: 'auto',
  forwardIdentity: ['sub', 'email'],
})

// The same without forwardIdentity: what the identity headers cost (NextResponse.next({ request })).
const nativeNoIdentity = withAuth({
  session: sessionOptions,
  callbacks: { authorized: ({ session }: any) => !!session?.user },
  unauthorized: 'auto',
})

// What middlewares do today for database sessions: ask the app's own endpoint.
const SESSION_URL = \`\${process.env.NEXTAUTH_URL}/api/auth/session\`
async function fetchWorkaround(req: any) {
  const res = await fetch(SESSION_URL, { headers: { cookie: req.headers.get('cookie') ?? '' }, cache: 'no-store' })
  const body: any = res.ok ? await res.json() : null
  if (body?.user && Date.parse(body.expires) > Date.now()) return NextResponse.next()
  if (req.nextUrl.pathname.startsWith('/api/')) return NextResponse.json({ error: 'Unauthorized' }, { status: 401 })
  return NextResponse.redirect(new URL('/api/auth/signin', req.url))
}

function passThrough() {
  return undefined
}
${passForward(['sub', 'email'])}
const variant = process.env.BENCH_PROXY
const handler: any =
  variant === 'native' ? nativeProxy
    : variant === 'native-noid' ? nativeNoIdentity
    : variant === 'fetch' ? fetchWorkaround
    : variant === 'pass' ? passThrough
    : variant === 'pass-forward' ? passForward
    : null
if (!handler) throw new Error('BENCH_PROXY must be native, native-noid, fetch, pass or pass-forward')

export default function proxy(req: any, event: any) {
  return handler(req, event)
}

export const config = { matcher: ['/dashboard/:path*', '/api/me', '${BENCH_PATH}'] }
`

/** Every variant: its mode, the proxy it runs and its extra environment. */
export const VARIANTS = {
  'jwt:native': { mode: 'jwt', label: 'next-auth-native, forwardIdentity (the example)', proxy: 'native', env: {} },
  'jwt:native-noid': { mode: 'jwt', label: 'next-auth-native, no forwardIdentity', proxy: 'native-noid', env: {} },
  'jwt:next-auth': { mode: 'jwt', label: "next-auth's withAuth", proxy: 'next-auth', env: {} },
  'jwt:pass': { mode: 'jwt', label: 'pass-through', proxy: 'pass', env: {}, reference: true },
  'jwt:pass-forward': { mode: 'jwt', label: 'pass-through forwarding request headers', proxy: 'pass-forward', env: {}, forwardReference: true },
  'jwt:pass-again': { mode: 'jwt', label: 'pass-through again, a second server (A/A: the noise floor)', proxy: 'pass', env: {}, noAuth: true },
  'db:cache-on': { mode: 'db', label: 'native, cache on (2 s), forwardIdentity (the example)', proxy: 'native', env: { SESSION_CACHE_TTL_MS: '2000' } },
  'db:cache-on-noid': { mode: 'db', label: 'native, cache on, no forwardIdentity', proxy: 'native-noid', env: { SESSION_CACHE_TTL_MS: '2000' } },
  'db:cache-off': { mode: 'db', label: 'native, cache off, forwardIdentity', proxy: 'native', env: { SESSION_CACHE_TTL_MS: '0' } },
  'db:fetch': { mode: 'db', label: 'fetch /api/auth/session', proxy: 'fetch', env: {} },
  'db:pass': { mode: 'db', label: 'pass-through', proxy: 'pass', env: {}, reference: true },
  'db:pass-forward': { mode: 'db', label: 'pass-through forwarding request headers', proxy: 'pass-forward', env: {}, forwardReference: true },
  'db:pass-again': { mode: 'db', label: 'pass-through again, a second server (A/A: the noise floor)', proxy: 'pass', env: {}, noAuth: true },
}

// --baseline: the native variants again, with next-auth-native (lib/ and the addon) as it was at a git ref.
const BASELINED = ['jwt:native', 'jwt:native-noid', 'db:cache-on', 'db:cache-on-noid']
for (const id of BASELINED) VARIANTS[`${id}-base`] = { ...VARIANTS[id], label: `${VARIANTS[id].label}, baseline`, base: true }

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN
}
const r1 = (n, d = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : n)
const total = (xs, k) => xs.reduce((a, x) => a + (x[k] ?? 0), 0)
const txPerRequest = (runs) => {
  const reqs = total(runs, 'answered')
  return reqs ? r1(total(runs, 'dbTx') / reqs, 3) : undefined
}

/**
 * One server's turns of a round as one sample: counts and CPU summed, req/s over the
 * loaded seconds, p50/p99 over every answer of the round's turns.
 */
function combineTurns(turns) {
  const ok = total(turns, 'ok')
  const answered = total(turns, 'answered')
  const out = {
    window: [turns[0].window[0], turns.at(-1).window[1]],
    seconds: total(turns, 'seconds'),
    cpuMs: total(turns, 'cpuMs'),
    turns: turns.length,
    ...percentiles(turns.flatMap((t) => t.latencies)),
    requests: answered,
    ok,
    bad: total(turns, 'bad'),
    non2xx: total(turns, 'non2xx'),
    errors: total(turns, 'errors'),
    reconnects: total(turns, 'reconnects'),
  }
  out.rps = r1(ok / out.seconds)
  out.cpuUsPerRequest = r1((out.cpuMs * 1000) / Math.max(1, answered))
  if (turns.some((t) => t.dbTx !== undefined)) out.dbTx = total(turns, 'dbTx')
  return out
}

/** RSS (MB) of a server's whole process group (`next start` and any children), from /proc. */
function groupRssMb(pgid) {
  let kb = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) !== pgid) continue // field 5: pgrp
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) kb += Number(m[1])
    } catch {
      // gone meanwhile
    }
  }
  return r1(kb / 1024)
}

/** The pids of a server's process group (`next start` and any children), from /proc. */
function groupPids(pgid) {
  const out = []
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) === pgid) out.push(Number(pid))
    } catch {}
  }
  return out
}

/**
 * Where the processes run: each server (all its threads) on the last CPU, this
 * process (the load) on the others, so that a server never shares its CPU with
 * the load and every server gets the same placement. Linux with taskset and at
 * least 2 CPUs; otherwise null (not pinned).
 */
function pinPlan() {
  const n = availableParallelism()
  if (process.platform !== 'linux' || n < 2) return null
  try {
    execFileSync('taskset', ['-a', '-p', '-c', n === 2 ? '0' : `0-${n - 2}`, String(process.pid)], { stdio: 'ignore' })
  } catch {
    return null
  }
  return { server: String(n - 1), load: n === 2 ? '0' : `0-${n - 2}` }
}

/** CPU time (ms, user + system) used so far by a server's process group, from /proc (10 ms ticks). */
function groupCpuMs(pgid) {
  let ticks = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) !== pgid) continue
      ticks += Number(fields[11]) + Number(fields[12]) // utime, stime
    } catch {
      // gone meanwhile
    }
  }
  return ticks * 10
}

/** Transactions committed in `db` so far (pg_stat_database; flushed within about a second). */
async function dbTransactions(adminUrl, db) {
  const { rows } = await query(adminUrl, 'SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = $1', [db])
  return Number(rows[0]?.n ?? 0)
}

/** Status 200 and the route's own body: anything else (a denial, an error page, a redirect) is "bad". */
const isOk = (status, body) => status === 200 && String(body) === BODY

/**
 * One turn of a server's open load (bench/load.mjs): `seconds` with its
 * connections' requests in flight, and the server's CPU from the gate's
 * opening until the last answer (per answered request).
 */
async function load(server, seconds) {
  const cpu0 = groupCpuMs(server.app.child.pid)
  const r = await server.load.run(seconds)
  const cpuMs = groupCpuMs(server.app.child.pid) - cpu0
  return { ...r, cpuMs, cpuUsPerRequest: r1((cpuMs * 1000) / Math.max(1, r.answered)), rps: r1(r.ok / r.seconds), ...percentiles(r.latencies) }
}

async function expectStatus(app, pathname, headers, allowed, what) {
  const res = await request(app.url, pathname, { headers })
  const body = await res.text()
  if (!allowed.includes(res.status)) throw new Error(`${what}: ${pathname} answered ${res.status}, expected ${allowed.join(' or ')}`)
  return body
}

/**
 * `node --cpu-prof … next start` (Node refuses --cpu-prof in NODE_OPTIONS).
 * stop() sends SIGINT to the server process, which exits through Next's own
 * handler, so V8 writes the profile.
 */
async function startProfiled(appDir, { env, profileDir }) {
  const port = await getFreePort()
  const url = `http://127.0.0.1:${port}`
  const bin = path.join(appDir, 'node_modules', 'next', 'dist', 'bin', 'next')
  const args = [...NODE_ARGS, '--cpu-prof', '--cpu-prof-interval', '200', `--cpu-prof-dir=${profileDir}`, bin, 'start', '-p', String(port), '-H', '127.0.0.1', ...NEXT_START_ARGS]
  const child = spawn(process.execPath, args, { cwd: appDir, env: childEnv({ PORT: String(port), NEXTAUTH_URL: url, ...env }), stdio: 'ignore', detached: true })
  const exited = new Promise((r) => child.once('exit', r))
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`${url}/`, { redirect: 'manual', signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      break
    } catch {
      if (i > 300 || child.exitCode !== null) throw new Error(`profiled next start did not come up on ${url}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return
      process.kill(child.pid, 'SIGINT')
      const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL') } catch {} }, 20_000)
      await exited
      clearTimeout(t)
      try { process.kill(-child.pid, 'SIGKILL') } catch {}
    },
  }
}

/** Copies an example app, adds the bench route and the generated proxy.ts, and builds it. */
async function prepareApp(tmp, name, from, proxySource, logFile, log, reuse) {
  const dir = path.join(tmp, name)
  if (reuse && existsSync(path.join(dir, '.next'))) {
    // A kept build (--reuse): next-auth-native is loaded from node_modules at run time
    // (serverExternalPackages), so a fresh install of it (its lib and its platform
    // package's addon) needs no rebuild.
    for (const pkg of ['next-auth-native', `next-auth-native-${hostTarget()}`]) {
      rmSync(path.join(dir, 'node_modules', pkg), { recursive: true, force: true })
      execFileSync('cp', ['-a', path.join(from, 'node_modules', pkg), path.join(dir, 'node_modules', pkg)])
    }
    log(`${name}: reusing the build in ${dir}`)
    return dir
  }
  copyApp(dir, from)
  mkdirSync(path.join(dir, 'app', 'api', 'bench-ping'), { recursive: true })
  writeFileSync(path.join(dir, 'app', 'api', 'bench-ping', 'route.ts'), BENCH_ROUTE)
  writeFileSync(path.join(dir, 'proxy.ts'), proxySource)
  log(`${name}: next build…`)
  await buildApp(dir, { logFile })
  return dir
}

/**
 * The addon as it was at git `ref`: its Rust sources, built with cargo into
 * target/bench-baseline/ (incremental from one run to the next). Returns the
 * shared library's path.
 */
function baselineAddon(ref, log) {
  const commit = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', ref], { encoding: 'utf8' }).trim()
  const root = path.join(REPO_ROOT, 'target', 'bench-baseline')
  const src = path.join(root, `src-${commit.slice(0, 12)}`)
  if (!existsSync(path.join(src, 'Cargo.toml'))) {
    mkdirSync(src, { recursive: true })
    execFileSync('tar', ['-x', '-C', src], { input: execFileSync('git', ['-C', REPO_ROOT, 'archive', commit, 'Cargo.toml', 'Cargo.lock', 'build.rs', 'src']) })
  }
  log(`building the addon at ${ref} (${commit.slice(0, 7)}) with cargo…`)
  const target = path.join(root, 'target')
  execFileSync('cargo', ['build', '-q', '--release', '--locked', '--lib', '--manifest-path', path.join(src, 'Cargo.toml')], {
    env: { ...process.env, CARGO_TARGET_DIR: target },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const lib = { darwin: 'libnext_auth_native.dylib', win32: 'next_auth_native.dll' }[process.platform] ?? 'libnext_auth_native.so'
  return path.join(target, 'release', lib)
}

/**
 * A copy of a built app (`.next` copied, node_modules hard-linked) whose
 * next-auth-native is as it was at git `ref`: its lib/, its loader and the
 * addon built from its sources (`addon`, beside the loader, which tries a
 * local binary first). The baseline variants run on it.
 */
function baselineApp(tmp, name, fromDir, ref, addon, log) {
  const dir = path.join(tmp, name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir)
  for (const entry of readdirSync(fromDir)) {
    execFileSync('cp', [entry === 'node_modules' ? '-al' : '-a', path.join(fromDir, entry), path.join(dir, entry)])
  }
  const pkg = path.join(dir, 'node_modules', 'next-auth-native')
  rmSync(pkg, { recursive: true, force: true }) // hard links: never write through them
  execFileSync('cp', ['-a', path.join(fromDir, 'node_modules', 'next-auth-native'), pkg])
  rmSync(path.join(pkg, 'lib'), { recursive: true, force: true })
  const archive = execFileSync('git', ['-C', REPO_ROOT, 'archive', ref, 'lib', 'index.js'])
  execFileSync('tar', ['-x', '-C', pkg], { input: archive })
  execFileSync('cp', [addon, path.join(pkg, binaryName(hostTarget()))])
  const commit = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', '--short', ref], { encoding: 'utf8' }).trim()
  log(`${name}: ${fromDir} with next-auth-native at ${ref} (${commit}): lib/, index.js and the addon`)
  return { dir, commit }
}

/**
 * Runs the whole-server benchmark. Returns { rows, samples, config, seconds }.
 */
export async function benchServer({
  duration = 10,
  rounds = 3,
  slice = 1,
  connections = [10, 100],
  warmup = 10,
  modes = ['jwt', 'db'],
  variants = Object.keys(VARIANTS).filter((v) => modes.includes(VARIANTS[v].mode)),
  pathname = BENCH_PATH,
  install = true,
  keepTemp = false,
  profile = false,
  profileSeconds = 20,
  reuse = null,
  baseline = null,
  pinCpus = true,
  log = (msg) => console.error(`[bench:server] ${msg}`),
} = {}) {
  const t0 = Date.now()
  if (!(duration > 0 && duration <= 60)) throw new Error('--duration must be in (0, 60] seconds')
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 10)) throw new Error('--rounds must be an integer in [1, 10]')
  if (!(slice === 0 || (slice >= 0.5 && slice <= duration))) throw new Error('--slice must be 0 (one turn per server and round) or in [0.5, --duration] seconds')
  for (const c of connections) if (!(Number.isInteger(c) && c > 0 && c <= 256)) throw new Error('--connections: integers in [1, 256]')
  for (const v of variants) if (!VARIANTS[v]) throw new Error(`unknown variant ${v} (${Object.keys(VARIANTS).join(', ')})`)
  if (profile) variants = ['db:cache-on', 'db:cache-on-noid', 'db:pass-forward', 'db:pass']
  if (baseline) {
    for (const mine of BASELINED) {
      const base = `${mine}-base`
      if (variants.includes(mine) && !variants.includes(base)) variants.splice(variants.indexOf(mine) + 1, 0, base)
    }
  } else {
    variants = variants.filter((v) => !VARIANTS[v].base)
  }
  const usedModes = [...new Set(variants.map((v) => VARIANTS[v].mode))]

  if (install) {
    log('installing the example apps with a fresh copy of next-auth-native…')
    await installApp(EXAMPLE_DIR) // JWT mode's app, and autocannon (its devDependency) for both modes
    if (usedModes.includes('db')) await installApp(DB_APP_DIR)
  }
  const Client = requireFromApp('autocannon/lib/httpClient') // see bench/load.mjs

  const tmp = reuse ?? mkdtempSync(path.join(tmpdir(), 'nan-bench-server-'))
  if (reuse) keepTemp = true
  const logFile = path.join(tmp, 'next.log')
  const servers = []
  const samples = []
  const txProbes = [] // database transactions per request, from one counted turn per server
  // One turn with the database transactions it made (pg_stat_database, all database servers share it).
  const countedLoad = async (server) => {
    const tx0 = await dbTransactions(cluster.url, dbName)
    const { latencies, ...r } = await load(server, 3)
    await new Promise((res) => setTimeout(res, 1100)) // let the statistics flush
    return { ...r, dbTx: (await dbTransactions(cluster.url, dbName)) - tx0 }
  }
  let cluster = null
  let dbName = null
  const profiles = {}
  let baselineCommit = null
  let pin = null
  try {
    const dirs = {}
    if (usedModes.includes('jwt')) dirs.jwt = await prepareApp(tmp, 'jwt', EXAMPLE_DIR, JWT_PROXY, logFile, log, reuse)
    if (usedModes.includes('db')) dirs.db = await prepareApp(tmp, 'db', DB_APP_DIR, DB_PROXY, logFile, log, reuse)
    if (baseline) {
      const addon = baselineAddon(baseline, log)
      for (const mode of usedModes) baselineCommit = baselineApp(tmp, `${mode}-base`, dirs[mode], baseline, addon, log).commit
    }
    // After the builds (which use every CPU); PostgreSQL, started next, stays with the load.
    pin = pinCpus ? pinPlan() : null
    log(pin ? `servers pinned to CPU ${pin.server}; this process (the load) and PostgreSQL to CPU ${pin.load}` : 'not pinned: the servers and the load share every CPU')
    if (usedModes.includes('db')) {
      log('database mode: starting a throw-away PostgreSQL cluster…')
      cluster = await startCluster()
      dbName = `nan_bench_${process.pid}`
      await query(cluster.url, `CREATE DATABASE ${dbName}`)
    }
    const dbUrl = cluster ? cluster.url.replace(/\/postgres$/, `/${dbName}`) : null
    if (dbUrl) await query(dbUrl, readFileSync(path.join(DB_APP_DIR, 'db', 'schema.sql'), 'utf8'))
    const secrets = { jwt: randomBytes(32).toString('base64url'), db: randomBytes(32).toString('base64url') }
    const linkFile = path.join(tmp, 'magic-links.jsonl')

    // Sign in once per mode, through the real next-auth flows, on a server started for that alone, so
    // that every measured server has the same history (a sign-in loads next-auth's routes and, in
    // database mode, the adapter's pool into the process that serves it).
    const cookies = {}
    for (const mode of usedModes) {
      const app = await startApp(dirs[mode], {
        env: { NEXTAUTH_SECRET: secrets[mode], BENCH_PROXY: 'pass', ...(mode === 'db' ? { DATABASE_URL: dbUrl, MAGIC_LINK_FILE: linkFile } : {}) },
        logFile,
      })
      try {
        if (mode === 'jwt') {
          const jar = await signIn(app.url, DEMO_USER)
          cookies.jwt = `${SESSION_COOKIE}=${jar.get(SESSION_COOKIE)}`
        } else {
          const { token } = await signInByEmail(app.url, linkFile, 'bench@example.com')
          if (!token) throw new Error('magic-link sign-in did not set a session cookie')
          cookies.db = `${SESSION_COOKIE}=${token}`
        }
      } finally {
        await app.stop()
      }
    }
    rmSync(linkFile, { force: true })
    const start = async (server) => {
      const { id } = server
      log(`${id}: next start…`)
      const appDir = server.base ? path.join(tmp, `${server.mode}-base`) : dirs[server.mode]
      server.app = profile
        ? await startProfiled(appDir, { env: server.env, profileDir: profiles[id] })
        : await startApp(appDir, { env: server.env, logFile, args: NEXT_START_ARGS, nodeArgs: NODE_ARGS })
      const { app } = server
      server.cookie = cookies[server.mode]
      // Sanity: the proxy decides (a denial without the cookie, except pass-through) and allows with it.
      await expectStatus(app, pathname, {}, server.reference || server.forwardReference || server.noAuth ? [200] : [401, 307], `${id} without a session`)
      const body = await expectStatus(app, pathname, { cookie: server.cookie }, [200], `${id} signed in`)
      if (body !== BODY) throw new Error(`${id}: unexpected body ${JSON.stringify(body.slice(0, 80))}`)
      server.rssStart = groupRssMb(app.child.pid)
      if (pin) for (const pid of groupPids(app.child.pid)) execFileSync('taskset', ['-a', '-p', '-c', pin.server, String(pid)], { stdio: 'ignore' })
    }
    for (const id of variants) {
      const v = VARIANTS[id]
      const env = { NEXTAUTH_SECRET: secrets[v.mode], BENCH_PROXY: v.proxy, ...v.env }
      if (v.mode === 'db') Object.assign(env, { DATABASE_URL: dbUrl, MAGIC_LINK_FILE: linkFile })
      if (profile) {
        profiles[id] = path.join(tmp, `profile-${id.replace(':', '-')}-${Date.now()}`)
        mkdirSync(profiles[id], { recursive: true })
      }
      const server = { id, ...v, env, app: null, cookie: null, rssStart: null, rssEnd: null, rssMax: 0 }
      servers.push(server)
      await start(server)
    }

    const url = (s) => s.app.url + pathname
    const open = (s, conns) => openLoad(Client, { url: url(s), headers: { cookie: s.cookie }, connections: conns, isOk })
    if (profile) {
      for (const s of servers) {
        log(`profile: ${s.id}, ${connections[0]} connections, ${profileSeconds} s…`)
        s.load = await open(s, connections[0])
        await load(s, warmup)
        const { latencies, ...r } = await load(s, profileSeconds)
        s.load.close()
        s.profileRun = r
        log(`  ${r.rps} req/s, ${r.ok} ok, ${r.bad} bad, server CPU ${r.cpuUsPerRequest} µs/request`)
      }
    } else {
      for (const conns of connections) {
        // Every server's connections are opened and answered once, then every server is warmed
        // (JIT, heap) before any turn counts (bench/load.mjs).
        for (const s of servers) s.load = await open(s, conns)
        for (const s of servers) {
          if (warmup > 0) await load(s, warmup)
          // Turns of different servers cannot be told apart in pg_stat_database: one counted turn per server.
          if (s.mode === 'db') txProbes.push({ variant: s.id, connections: conns, ...(await countedLoad(s)) })
        }
        for (let round = 0; round < rounds; round++) {
          for (const mode of usedModes) {
            const group = servers.filter((s) => s.mode === mode)
            // rotate the order every round, reverse it every other round
            const rot = group.map((_, i) => group[(i + round) % group.length])
            const order = round % 2 ? rot.reverse() : rot
            // --slice: the round's seconds in turns that cycle through the group (see How:)
            const cycles = slice ? Math.max(1, Math.round(duration / slice)) : 1
            const turn = duration / cycles
            const parts = new Map(order.map((s) => [s, []]))
            for (let c = 0; c < cycles; c++) {
              const cyc = order.map((_, i) => order[(i + c) % order.length])
              for (const s of c % 2 ? cyc.reverse() : cyc) parts.get(s).push(await load(s, turn))
            }
            for (const s of order) {
              const r = combineTurns(parts.get(s))
              s.rssMax = Math.max(s.rssMax, groupRssMb(s.app.child.pid))
              samples.push({ variant: s.id, mode: s.mode, connections: conns, round, ...r })
              log(`${conns} conns, round ${round + 1}/${rounds}, ${s.id}: ${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, CPU ${r.cpuUsPerRequest} µs/req, bad ${r.bad}, errors ${r.errors}, reconnects ${r.reconnects}`)
            }
          }
        }
        for (const s of servers) s.load.close()
      }
    }
    for (const s of servers) s.rssEnd = groupRssMb(s.app.child.pid)
  } finally {
    await Promise.all(servers.map((s) => s.app.stop()))
    await cluster?.destroy().catch(() => {})
  }

  let profileReport = null
  try {
    if (profile) {
      const read = (dir) => {
        const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : []
        if (!files.length) throw new Error(`no .cpuprofile written in ${dir}`)
        // the server process writes the largest profile (the `next start` CLI may write its own)
        const sized = files.map((f) => ({ f, n: readFileSync(path.join(dir, f)).length })).sort((a, b) => b.n - a.n)
        return JSON.parse(readFileSync(path.join(dir, sized[0].f), 'utf8'))
      }
      const native = servers.find((s) => s.id === 'db:cache-on')
      const pass = servers.find((s) => s.id === 'db:pass')
      const a = summarizeProfile(read(profiles['db:cache-on']), { requests: native.profileRun.ok + native.profileRun.bad, window: native.profileRun.window })
      const b = summarizeProfile(read(profiles['db:pass']), { requests: pass.profileRun.ok + pass.profileRun.bad, window: pass.profileRun.window })
      profileReport = { native: a, pass: b, diff: diffProfiles(a, b), runs: { native: native.profileRun, pass: pass.profileRun } }
      profileReport.others = []
      for (const s of servers) {
        if (s === native || s === pass) continue
        const { id } = s
        const label = s.base ? `${s.label} (${baseline} ${baselineCommit})` : s.label
        const summary = summarizeProfile(read(profiles[id]), { requests: s.profileRun.ok + s.profileRun.bad, window: s.profileRun.window })
        profileReport.others.push({ id, label, summary, run: s.profileRun })
      }
      if (keepTemp) log(`profiles in ${Object.values(profiles).join(' and ')}`)
    }
  } finally {
    if (keepTemp) log(`temp apps kept in ${tmp}`)
    else rmSync(tmp, { recursive: true, force: true })
  }

  const rows = []
  for (const conns of connections) {
    for (const id of variants) {
      const v = VARIANTS[id]
      const mine = samples.filter((s) => s.variant === id && s.connections === conns)
      if (!mine.length) continue
      // per-round ratios against a reference variant of the same mode, connections and round
      // per-round ratios against a reference variant of the same mode, connections and round
      const ratiosTo = (flag) => {
        const refId = variants.find((x) => VARIANTS[x].mode === v.mode && VARIANTS[x][flag])
        const rps = []
        const p99 = []
        for (const s of mine) {
          const ref = samples.find((x) => x.variant === refId && x.connections === conns && x.round === s.round)
          if (ref && ref.rps > 0) rps.push(s.rps / ref.rps)
          if (ref && ref.p99 > 0) p99.push(s.p99 / ref.p99)
        }
        return { rps, p99 }
      }
      const { rps: ratios, p99: p99Ratios } = ratiosTo('reference')
      const fwd = ratiosTo('forwardReference')
      const server = servers.find((s) => s.id === id)
      const sum = (k) => total(mine, k)
      const reqs = sum('requests')
      rows.push({
        mode: v.mode,
        variant: id,
        label: v.label,
        connections: conns,
        rounds: mine.length,
        rps: r1(median(mine.map((s) => s.rps))),
        rpsMin: r1(Math.min(...mine.map((s) => s.rps))),
        rpsMax: r1(Math.max(...mine.map((s) => s.rps))),
        ratio: ratios.length ? r1(median(ratios), 2) : null,
        ratioMin: ratios.length ? r1(Math.min(...ratios), 2) : null,
        ratioMax: ratios.length ? r1(Math.max(...ratios), 2) : null,
        cpuUsPerRequest: r1(median(mine.map((s) => s.cpuUsPerRequest))),
        p50: r1(median(mine.map((s) => s.p50))),
        p99: r1(median(mine.map((s) => s.p99))),
        p99Max: Math.max(...mine.map((s) => s.p99)),
        p99Ratio: p99Ratios.length ? r1(median(p99Ratios), 2) : null,
        forwardRatio: fwd.rps.length ? r1(median(fwd.rps), 2) : null,
        forwardRatioMin: fwd.rps.length ? r1(Math.min(...fwd.rps), 2) : null,
        forwardRatioMax: fwd.rps.length ? r1(Math.max(...fwd.rps), 2) : null,
        forwardP99Ratio: fwd.p99.length ? r1(median(fwd.p99), 2) : null,
        requests: reqs,
        bad: sum('bad'),
        non2xx: sum('non2xx'),
        errors: sum('errors'),
        dbTxPerRequest: v.mode === 'db' ? txPerRequest(txProbes.filter((t) => t.variant === id && t.connections === conns)) : undefined,
        rssStartMb: server?.rssStart,
        rssEndMb: server?.rssEnd,
        rssMaxMb: server?.rssMax || undefined,
      })
    }
  }
  const seconds = r1((Date.now() - t0) / 1000)
  return {
    rows,
    samples,
    profile: profileReport,
    seconds,
    config: { duration, rounds, slice, connections, warmup, variants, pinned: pin, path: pathname, node: process.version, nextAuthNative: 'this checkout', baseline: baseline ? { ref: baseline, commit: baselineCommit } : null },
  }
}

export function formatRows(rows) {
  const out = []
  const modes = [...new Set(rows.map((r) => r.mode))]
  for (const mode of modes) {
    out.push(`\n${mode === 'jwt' ? 'JWT mode (examples/next-app)' : 'database mode (examples/next-app-db, PostgreSQL)'}, GET ${BENCH_PATH}, whole server (next start)`)
    const mine = rows.filter((x) => x.mode === mode)
    const withFwd = mine.some((r) => r.forwardRatio !== null)
    const ratio = (x, lo, hi) => (x === null ? '–' : `${x.toFixed(2)}x (${lo.toFixed(2)}–${hi.toFixed(2)})`)
    const times = (x) => (x === null ? '–' : `${x.toFixed(2)}x`)
    out.push(`| conns | variant | req/s median (range) | vs pass-through median (range) | p50 ms | p99 ms median (max) | p99 vs pass |${withFwd ? ' vs forwarding pass-through (range) | p99 vs it |' : ''} server CPU µs/req | bad | non-2xx | errors | db tx/req | RSS start → end (max) MB |`)
    out.push(`| ---: | --- | ---: | ---: | ---: | ---: | ---: |${withFwd ? ' ---: | ---: |' : ''} ---: | ---: | ---: | ---: | ---: | ---: |`)
    for (const r of mine) {
      const f = withFwd ? ` ${ratio(r.forwardRatio, r.forwardRatioMin, r.forwardRatioMax)} | ${times(r.forwardP99Ratio)} |` : ''
      out.push(
        `| ${r.connections} | ${r.label} | ${r.rps} (${r.rpsMin}–${r.rpsMax}) | ${ratio(r.ratio, r.ratioMin, r.ratioMax)} | ${r.p50} | ${r.p99} (${r.p99Max}) | ${times(r.p99Ratio)} |${f} ${r.cpuUsPerRequest} | ${r.bad} | ${r.non2xx} | ${r.errors} | ${r.dbTxPerRequest ?? '–'} | ${r.rssStartMb} → ${r.rssEndMb} (${r.rssMaxMb ?? '–'}) |`,
      )
    }
  }
  return out.join('\n')
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // the usage is the header comment's own, from the first `node bench/server.mjs` line to "How:"
  const usage = () => {
    const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n')
    const from = lines.findIndex((l) => l.startsWith('//   node bench/server.mjs'))
    const to = lines.findIndex((l) => l.startsWith('// How:'))
    return lines.slice(from, to).map((l) => l.replace(/^\/\/ ?/, '')).join('\n').trimEnd()
  }
  let parsed
  try {
    parsed = parseArgs({
      options: {
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      slice: { type: 'string', default: '1' },
      connections: { type: 'string', default: '10,100' },
      warmup: { type: 'string', default: '10' },
      modes: { type: 'string', default: 'jwt,db' },
      variants: { type: 'string' },
      path: { type: 'string', default: BENCH_PATH },
      'no-install': { type: 'boolean', default: false },
      'keep-temp': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'profile-seconds': { type: 'string', default: '20' },
      reuse: { type: 'string' },
      baseline: { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      },
    })
  } catch (err) {
    console.error(`${err.message}\n\n${usage()}`)
    process.exit(2)
  }
  const { values } = parsed
  if (values.help) {
    console.log(usage())
    process.exit(0)
  }
  const modes = values.modes.split(',').filter(Boolean)
  const out = await benchServer({
    duration: Number(values.duration),
    rounds: Number(values.rounds),
    slice: Number(values.slice),
    connections: values.connections.split(',').filter(Boolean).map(Number),
    warmup: Number(values.warmup),
    modes,
    variants: values.variants ? values.variants.split(',').filter(Boolean) : undefined,
    pathname: values.path,
    install: !values['no-install'],
    keepTemp: values['keep-temp'],
    profile: values.profile,
    profileSeconds: Number(values['profile-seconds']),
    reuse: values.reuse ?? null,
    baseline: values.baseline ?? null,
    pinCpus: !values['no-pin'],
  })
  if (out.profile) console.log(formatProfile(out.profile))
  else console.log(formatRows(out.rows))
  console.log(`\ntotal time ${out.seconds} s (node ${process.version}; loopback only; other processes on this machine share its CPUs)`)
  const dir = path.join(REPO_ROOT, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `server-${out.profile ? 'profile-' : ''}${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n')
  console.log(`saved ${path.relative(process.cwd(), file)}`)
  process.exit(0)
}
