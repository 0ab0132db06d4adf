// Where a server's CPU time per request goes, from a V8 .cpuprofile
// (`node --cpu-prof`), for bench/server.mjs --profile:
//
//   node bench/profile.mjs <file.cpuprofile> <requests> [<reference.cpuprofile> <requests>]
//   node bench/profile.mjs --results <server-profile-*.json> <native.cpuprofile> <pass.cpuprofile>
//     (again, from a saved bench/server.mjs --profile run: its request counts and load windows)
//
// Busy time is every sample except (idle). "Inclusive" times count a
// function with everything it calls; nested matches are counted once.

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const OURS = /next-auth-native[\\/](lib|index\.js)/

/** The named parts of the auth path: label -> predicate on a call frame. */
const PARTS = [
  ['withAuth: handleMiddleware, all of it', (f) => f.functionName === 'handleMiddleware' && OURS.test(f.url)],
  ['  session lookup (databaseSession → databaseLookup)', (f) => f.functionName === 'databaseSession' && OURS.test(f.url)],
  ['    store key (storeFor)', (f) => f.functionName === 'storeFor' && OURS.test(f.url)],
  ['    Cookie header read (cookieHeaderOf)', (f) => f.functionName === 'cookieHeaderOf' && OURS.test(f.url)],
  ['    native sessionCheck (cookie parse + cache)', (f) => f.functionName === 'sessionCheck'],
  ['    native sessionLookup (napi async task)', (f) => f.functionName === 'sessionLookup'],
  ['  identity headers, all of it (withIdentity)', (f) => f.functionName === 'withIdentity' && OURS.test(f.url)],
  ['    before: identityRequestHeaders (Headers copy, strip, set)', (f) => f.functionName === 'identityRequestHeaders' && OURS.test(f.url)],
  ['    before: NextResponse.next({ request }) (two more copies)', (f) => f.functionName === 'next' && /spec-extension[\\/]response/.test(f.url)],
  ['    after: identityRequestEntries (one pass)', (f) => f.functionName === 'identityRequestEntries' && OURS.test(f.url)],
  ['    after: nextWithRequestHeaders (the response, one copy)', (f) => f.functionName === 'nextWithRequestHeaders' && OURS.test(f.url)],
  ['    native signIdentity (the MAC)', (f) => f.functionName === 'signIdentity'],
  ['  sessionIdentity (claims from the session)', (f) => f.functionName === 'sessionIdentity' && OURS.test(f.url)],
  ['  the authorized callback', (f) => f.functionName === 'authorized'],
  ['  path policy (native middlewareRoute)', (f) => f.functionName === 'middlewareRoute'],
  ['  req.nextUrl', (f) => f.functionName === 'get nextUrl'],
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

export function formatProfile({ native, pass, diff, runs, base = null, baseline = null }) {
  const lines = []
  const b = base ? `, baseline lib (${baseline?.ref ?? '?'} ${baseline?.commit ?? ''}) ${base.busyUsPerRequest}` : ''
  lines.push(`\nCPU per request (µs, busy = all samples but idle): native cache on ${native.busyUsPerRequest}${b}, pass-through ${pass.busyUsPerRequest}, difference ${diff.busyUsPerRequest}`)
  if (runs) {
    const rb = runs.base ? `, baseline ${runs.base.rps} req/s (${runs.base.ok} ok, ${runs.base.bad} bad)` : ''
    lines.push(`load: native ${runs.native.rps} req/s (${runs.native.ok} ok, ${runs.native.bad} bad)${rb}, pass-through ${runs.pass.rps} req/s (${runs.pass.ok} ok, ${runs.pass.bad} bad)`)
    const cb = runs.base ? `, baseline ${runs.base.cpuUsPerRequest} µs/req` : ''
    lines.push(`server CPU from /proc (user+system, whole process group): native ${runs.native.cpuUsPerRequest} µs/req${cb}, pass-through ${runs.pass.cpuUsPerRequest} µs/req`)
  }
  const bh = base ? ' baseline µs/req |' : ''
  const bs = base ? ' ---: |' : ''
  lines.push(`\n| category | native µs/req |${bh} pass-through µs/req | native − pass |`, `| --- | ---: |${bs} ---: | ---: |`)
  for (const [k, d] of Object.entries(diff.categories).sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]))) {
    lines.push(`| ${k} | ${native.categories[k] ?? 0} |${base ? ` ${base.categories[k] ?? 0} |` : ''} ${pass.categories[k] ?? 0} | ${d} |`)
  }
  lines.push(`\n| part of the auth path (inclusive) | native µs/req |${bh} pass-through µs/req |`, `| --- | ---: |${bs} ---: |`)
  for (const [k, v] of Object.entries(native.parts)) lines.push(`| ${k} | ${v} |${base ? ` ${base.parts[k] ?? 0} |` : ''} ${pass.parts[k] ?? 0} |`)
  lines.push('\ntop self time, native cache on (µs/req):')
  for (const [k, v] of native.top) lines.push(`  ${String(v).padStart(8)}  ${k}`)
  if (base) {
    lines.push('\ntop self time, baseline lib, cache on (µs/req):')
    for (const [k, v] of base.top) lines.push(`  ${String(v).padStart(8)}  ${k}`)
  }
  lines.push('\ntop self time, pass-through (µs/req):')
  for (const [k, v] of pass.top.slice(0, 12)) lines.push(`  ${String(v).padStart(8)}  ${k}`)
  return lines.join('\n')
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
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
