// Where a server's CPU time per request goes, from a V8 .cpuprofile
// (`node --cpu-prof`), for bench/server.mjs --profile:
//
//   node bench/profile.mjs <file.cpuprofile> <requests> [<reference.cpuprofile> <requests>]
//   node bench/profile.mjs --results <server-profile-*.json> <native.cpuprofile> <pass.cpuprofile>
//     (again, from a saved bench/server.mjs --profile run: its request counts and load windows)
//   node bench/profile.mjs --identity-ab <git ref> [--calls 20000] [--rounds 7]
//     (in process: withAuth with forwardIdentity, this lib vs lib/ at <ref>, and without
//     forwardIdentity, on fresh NextRequests with the headers autocannon and Next send; alternating)
//
// Busy time is every sample except (idle). "Inclusive" times count a
// function with everything it calls; nested matches are counted once.

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const OURS = /next-auth-native[\\/](lib|index\.js)/

/**
 * The named parts of the auth path: label -> predicate on a call frame. The
 * addon's own calls (middlewareSession, signIdentity) have no frames of their
 * own in a V8 profile: their time is their JS caller's self time.
 */
const ours = (name) => (f) => f.functionName === name && OURS.test(f.url)
const PARTS = [
  ['withAuth: handleMiddleware, all of it (incl. the native decision)', ours('handleMiddleware')],
  ['  req.nextUrl parts (urlParts)', ours('urlParts')],
  ['  store handle and Cookie header (databaseRead)', ours('databaseRead')],
  ['  the session as an object (answerOf: JSON.parse of the cached text)', ours('answerOf')],
  ['  the authorized callback', (f) => f.functionName === 'authorized'],
  ['  identity headers, all of it (withIdentity, incl. the native MAC)', ours('withIdentity')],
  ['    request headers without client x-auth-*, plus the identity (identityRequestEntries)', ours('identityRequestEntries')],
  ['    NextResponse.next() and its x-middleware-request-* headers (nextWithRequestHeaders)', ours('nextWithRequestHeaders')],
  ['  claims from the session (sessionIdentity)', ours('sessionIdentity')],
  ['Next: adapter (runs proxy.ts, builds its NextRequest), all of it', (f) => f.functionName === 'adapter'],
  ['Next: resolve-routes handleRoute (applies the proxy answer, routes), all of it', (f) => f.functionName === 'handleRoute' && /resolve-routes/.test(f.url)],
  ['garbage collector', (f) => f.functionName === '(garbage collector)'],
  ['(program): native code, microtask queue, libuv', (f) => f.functionName === '(program)'],
]

function category(f) {
  if (f.functionName === '(idle)') return 'idle'
  if (f.functionName === '(garbage collector)') return 'gc'
  if (f.functionName === '(program)') return 'program'
  if (OURS.test(f.url)) return 'next-auth-native'
  if (/[\\/]next[\\/]dist[\\/]/.test(f.url)) return 'next'
  if (/proxy\.ts|\.next[\\/]server/.test(f.url)) return 'app bundle (.next)'
  if (f.url.startsWith('node:')) return 'node core'
  if (!f.url) return 'builtins / native'
  return 'other'
}

/** Per-request figures from one profile: busy µs, categories, named parts, top self-time functions. */
export function summarizeProfile(prof, { requests, window = null, top = 25 } = {}) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const self = new Map()
  const { samples, timeDeltas } = prof
  // only the samples inside the load window (µs on the profile's clock), so start-up is left out
  let ts = prof.startTime
  for (let i = 0; i < samples.length; i++) {
    ts += timeDeltas[i] ?? 0
    if (window && (ts < window[0] || ts > window[1])) continue
    self.set(samples[i], (self.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0))
  }
  let total = 0
  let idle = 0
  const cats = {}
  const fnSelf = new Map()
  for (const n of prof.nodes) {
    const t = self.get(n.id) ?? 0
    if (!t) continue
    total += t
    const c = category(n.callFrame)
    if (c === 'idle') idle += t
    cats[c] = (cats[c] ?? 0) + t
    const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url ? path.basename(n.callFrame.url) : ''}:${n.callFrame.lineNumber + 1}`
    fnSelf.set(key, (fnSelf.get(key) ?? 0) + t)
  }
  // inclusive time of the outermost frames matching each part
  const children = (n) => (n.children ?? []).map((id) => byId.get(id))
  const root = prof.nodes[0]
  const parts = {}
  for (const [label, pred] of PARTS) {
    let sum = 0
    const walk = (n, inside) => {
      const match = !inside && pred(n.callFrame)
      if (inside || match) sum += self.get(n.id) ?? 0
      for (const c of children(n)) walk(c, inside || match)
    }
    walk(root, false)
    parts[label] = sum
  }
  const per = (us) => Math.round((us / requests) * 100) / 100
  const busy = total - idle
  return {
    requests,
    seconds: Math.round(total / 1e4) / 100,
    busyUsPerRequest: per(busy),
    categories: Object.fromEntries(Object.entries(cats).filter(([c]) => c !== 'idle').sort((a, b) => b[1] - a[1]).map(([c, t]) => [c, per(t)])),
    parts: Object.fromEntries(Object.entries(parts).map(([k, t]) => [k, per(t)])),
    top: [...fnSelf].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, t]) => [k, per(t)]),
  }
}

/** Per-request differences a − b (e.g. native cache-on minus pass-through). */
export function diffProfiles(a, b) {
  const cats = {}
  for (const k of new Set([...Object.keys(a.categories), ...Object.keys(b.categories)])) {
    cats[k] = Math.round(((a.categories[k] ?? 0) - (b.categories[k] ?? 0)) * 100) / 100
  }
  return { busyUsPerRequest: Math.round((a.busyUsPerRequest - b.busyUsPerRequest) * 100) / 100, categories: cats }
}

/**
 * The profile report. `others` are extra columns beside native and pass-through:
 * `{ label, summary, run }` each (no forwardIdentity, a baseline lib).
 */
export function formatProfile({ native, pass, diff, runs, others = [] }) {
  const lines = []
  const extra = others.map((o) => `, ${o.label} ${o.summary.busyUsPerRequest}`).join('')
  lines.push(`\nCPU per request (µs, busy = all samples but idle): native cache on ${native.busyUsPerRequest}${extra}, pass-through ${pass.busyUsPerRequest}, difference ${diff.busyUsPerRequest}`)
  if (runs) {
    const load = (r) => `${r.rps} req/s (${r.ok} ok, ${r.bad} bad)`
    lines.push(`load: native ${load(runs.native)}${others.map((o) => `, ${o.label} ${load(o.run)}`).join('')}, pass-through ${load(runs.pass)}`)
    lines.push(`server CPU from /proc (user+system, whole process group): native ${runs.native.cpuUsPerRequest} µs/req${others.map((o) => `, ${o.label} ${o.run.cpuUsPerRequest} µs/req`).join('')}, pass-through ${runs.pass.cpuUsPerRequest} µs/req`)
  }
  const oh = others.map((o) => ` ${o.label} µs/req |`).join('')
  const os = others.map(() => ' ---: |').join('')
  lines.push(`\n| category | native µs/req |${oh} pass-through µs/req | native − pass |`, `| --- | ---: |${os} ---: | ---: |`)
  for (const [k, d] of Object.entries(diff.categories).sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]))) {
    lines.push(`| ${k} | ${native.categories[k] ?? 0} |${others.map((o) => ` ${o.summary.categories[k] ?? 0} |`).join('')} ${pass.categories[k] ?? 0} | ${d} |`)
  }
  lines.push(`\n| part of the auth path (inclusive) | native µs/req |${oh} pass-through µs/req |`, `| --- | ---: |${os} ---: |`)
  for (const [k, v] of Object.entries(native.parts)) lines.push(`| ${k} | ${v} |${others.map((o) => ` ${o.summary.parts[k] ?? 0} |`).join('')} ${pass.parts[k] ?? 0} |`)
  lines.push('\ntop self time, native cache on (µs/req):')
  for (const [k, v] of native.top) lines.push(`  ${String(v).padStart(8)}  ${k}`)
  for (const o of others) {
    lines.push(`\ntop self time, ${o.label} (µs/req):`)
    for (const [k, v] of o.summary.top) lines.push(`  ${String(v).padStart(8)}  ${k}`)
  }
  lines.push('\ntop self time, pass-through (µs/req):')
  for (const [k, v] of pass.top.slice(0, 12)) lines.push(`  ${String(v).padStart(8)}  ${k}`)
  return lines.join('\n')
}

/** In-process A/B of the identity headers: µs per withAuth call, this lib vs lib/ at `ref`. */
export async function identityAb({ ref, calls = 20000, rounds = 7 }) {
  const { execFileSync } = await import('node:child_process')
  const { mkdtempSync, rmSync, symlinkSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { createRequire } = await import('node:module')
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
  const dir = mkdtempSync(path.join(tmpdir(), 'nan-identity-ab-'))
  try {
    execFileSync('tar', ['-x', '-C', dir], { input: execFileSync('git', ['-C', root, 'archive', ref, 'lib']) })
    for (const f of ['index.js', 'package.json', 'node_modules']) symlinkSync(path.join(root, f), path.join(dir, f))
    for (const f of (await import('node:fs')).readdirSync(root).filter((f) => f.endsWith('.node'))) symlinkSync(path.join(root, f), path.join(dir, f))
    const require = createRequire(path.join(root, '__test__', 'x.mjs'))
    const { SECRET, V4, mintV4, NextRequest } = await import(path.join(root, '__test__', 'helpers', 'tokens.mjs'))
    const mine = require(path.join(root, 'lib', 'middleware.js'))
    const before = require(path.join(dir, 'lib', 'middleware.js'))
    const cookie = `${V4}=${await mintV4({ sub: '1', email: 'u@example.com', role: 'user', name: 'U' })}`
    const headers = { host: '127.0.0.1:3000', connection: 'keep-alive', cookie, 'user-agent': 'autocannon', accept: '*/*',
      'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': '127.0.0.1:3000', 'x-forwarded-port': '3000', 'x-forwarded-proto': 'http' }
    const authorized = ({ token }) => !!token
    const opts = { secret: SECRET, forwardIdentity: ['sub', 'email'], callbacks: { authorized } }
    const mws = {
      'this lib': mine.withAuth(opts),
      [`lib at ${ref}`]: before.withAuth(opts),
      'this lib, no forwardIdentity': mine.withAuth({ secret: SECRET, callbacks: { authorized } }),
    }
    const saved = process.env.NEXTAUTH_URL
    delete process.env.NEXTAUTH_URL
    const run = async (mw) => {
      const reqs = Array.from({ length: calls }, () => new NextRequest('http://127.0.0.1:3000/api/bench-ping', { headers }))
      const t0 = process.hrtime.bigint()
      for (const r of reqs) {
        const res = await mw(r, {})
        if (res !== undefined && res.headers.get('x-middleware-next') !== '1') throw new Error('identityAb: a request was denied')
      }
      return Number(process.hrtime.bigint() - t0) / 1e3 / calls
    }
    const out = Object.fromEntries(Object.keys(mws).map((k) => [k, []]))
    for (const k of Object.keys(mws)) await run(mws[k]) // warm-up
    for (let round = 0; round < rounds; round++) {
      const order = Object.keys(mws)
      if (round % 2) order.reverse()
      for (const k of order) out[k].push(await run(mws[k]))
    }
    if (saved !== undefined) process.env.NEXTAUTH_URL = saved
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
    return Object.fromEntries(Object.entries(out).map(([k, xs]) => [k, { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }]))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--identity-ab') {
    const { parseArgs } = await import('node:util')
    const { values, positionals } = parseArgs({ args: process.argv.slice(3), allowPositionals: true, options: { calls: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '7' } } })
    if (!positionals[0]) throw new Error('usage: node bench/profile.mjs --identity-ab <git ref>')
    const r = await identityAb({ ref: positionals[0], calls: Number(values.calls), rounds: Number(values.rounds) })
    const f = (x) => x.toFixed(2)
    for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(36)} ${f(v.median)} µs/call (${f(v.min)}–${f(v.max)})`)
    const [a, b, c] = Object.values(r).map((v) => v.median)
    console.log(`identity headers (over no forwardIdentity): this lib ${f(a - c)} µs, lib at ${positionals[0]} ${f(b - c)} µs (in process, ${values.rounds} alternating rounds of ${values.calls} calls)`)
    process.exit(0)
  }
  if (process.argv[2] === '--results') {
    const [, results, nativeFile, passFile] = process.argv.slice(2)
    const { runs } = JSON.parse(readFileSync(results, 'utf8')).profile
    const load = (f, r) => summarizeProfile(JSON.parse(readFileSync(f, 'utf8')), { requests: r.ok + r.bad, window: r.window })
    const a = load(nativeFile, runs.native)
    const b = load(passFile, runs.pass)
    console.log(formatProfile({ native: a, pass: b, diff: diffProfiles(a, b), runs }))
    process.exit(0)
  }
  const [file, n, refFile, refN] = process.argv.slice(2)
  if (!file || !n) {
    console.error('usage: node bench/profile.mjs <file.cpuprofile> <requests> [<reference.cpuprofile> <requests>]')
    process.exit(2)
  }
  const a = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), { requests: Number(n) })
  if (refFile) {
    const b = summarizeProfile(JSON.parse(readFileSync(refFile, 'utf8')), { requests: Number(refN) })
    console.log(formatProfile({ native: a, pass: b, diff: diffProfiles(a, b) }))
  } else {
    console.log(JSON.stringify(a, null, 2))
  }
}
