// npm run bench: native vs next-auth 4.24.15 in one process, same inputs.
// Prints per-call times and ratios; ratios are what we report. Everything
// here is IN-PROCESS (function calls, no HTTP, no Next server): whole-server
// figures come from `npm run bench:server` (bench/server.mjs).
import { createRequire } from 'node:module'
import { alternate, median, perCall } from './harness.mjs'
import { hkdfSync } from 'node:crypto'

const require = createRequire(import.meta.url)
const nextAuthJwt = require('next-auth/jwt')
const jose4 = createRequire(require.resolve('next-auth/jwt'))('jose')
const { NextRequest } = require('next/server')
const ours = require('../lib/jwt.js')
const nativeBinding = require('../index.js')
// `readTokenObject` is a bench-only export (Cargo feature `bench`, never shipped):
// `npm run bench` builds it into target/bench/ with `npm run build:bench`.
let benchBinding = null
try {
  benchBinding = require('../target/bench/index.js')
} catch {
  benchBinding = null
}

const SECRET = 'bench-secret-bench-secret-0123456789abcdef'
const COOKIE = 'next-auth.session-token'
const claims = { name: 'Demo User', email: 'demo@example.com', picture: 'https://example.com/a.png', sub: 'user-1', role: 'admin' }
const FAR = 50 * 365 * 24 * 3600
const only = process.argv[2]
const results = {}

/** Times a (reference) and b (native) in alternating rounds (bench/harness.mjs). */
const pair = (a, b, rounds = 5) => alternate(a, b, { rounds })
const time = (n, fn, { rounds = 5, isAsync = false } = {}) => perCall(n, fn, { rounds, isAsync })

/** One row: the reference's time, ours (labelled `oursLabel`: "native", or "floor" for the JS-only floor), the ratio. */
function report(name, refUs, oursUs, refLabel = 'next-auth', oursLabel = 'native') {
  const ratio = refUs / oursUs
  results[name] = { [refLabel]: +refUs.toFixed(3), [oursLabel]: +oursUs.toFixed(3), ratio: +ratio.toFixed(1) }
  console.log(`${name.padEnd(50)} ${refLabel} ${refUs.toFixed(2).padStart(8)} µs   ${oursLabel.padStart(6)} ${oursUs.toFixed(3).padStart(7)} µs   ${ratio.toFixed(1).padStart(6)}x`)
}

const mkReq = (cookie) => new NextRequest('http://localhost:3000/dashboard', { headers: { cookie: `theme=dark; ${COOKIE}=${cookie}` } })

async function mint(n) {
  const out = []
  for (let i = 0; i < n; i++) out.push(await ours.encode({ token: { ...claims, i }, secret: SECRET, maxAge: FAR }))
  return out
}

/**
 * µs per call of `fn` over `batches` batches of `size` fresh requests each
 * (the median batch); every batch is built, untimed, just before it is timed
 * (tokens nobody has decoded) and dropped after, so both implementations run
 * on the same working set.
 */
function timeBatches(fn, batches, size, mkBatch, isAsync = true) {
  return perCall(size, (i, _r, batch) => fn(batch[i]), { rounds: batches, isAsync, setup: () => mkBatch(size) })
}

async function getTokenBench() {
  // Sanity: both agree on the tokens used.
  const probe = (await mint(1))[0]
  const a = await nextAuthJwt.getToken({ req: mkReq(probe), secret: SECRET })
  const b = await ours.getToken({ req: mkReq(probe), secret: SECRET })
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('native and next-auth disagree')

  // 1. never-seen tokens: every call gets a fresh NextRequest with a token nobody has decoded.
  // Every contestant gets the same number of batches of the same size in
  // every round, and the order rotates from round to round.
  const SIZE = 4000
  const BATCHES = 2
  const rounds = 5
  const fresh = async (n) => (await mint(n)).map(mkReq)
  // warm up every code path on other tokens
  for (const r of await fresh(400)) {
    await nextAuthJwt.getToken({ req: r, secret: SECRET })
    const again = () => mkReq(r.headers.get('cookie').split('=').pop())
    await ours.getToken({ req: again(), secret: SECRET })
    ours.getTokenSync({ req: again(), secret: SECRET })
  }
  // What any drop-in must do in JS on these requests, with no decoding at
  // all: read the Cookie header, JSON.parse claims of the same size into a
  // fresh object, resolve a Promise. The best ratio anything can reach.
  const floorBatch = async (n) => {
    const tokens = await mint(n)
    return Promise.all(tokens.map(async (t) => [mkReq(t), JSON.stringify(await ours.decode({ token: t, secret: SECRET }))]))
  }
  const contestants = [
    ['next-auth', (req) => nextAuthJwt.getToken({ req, secret: SECRET }), fresh],
    ['native', (req) => ours.getToken({ req, secret: SECRET }), fresh],
    ['sync', (req) => ours.getTokenSync({ req, secret: SECRET }), fresh, false],
    ['floor', async ([req, json]) => { req.headers.get('cookie'); return JSON.parse(json) }, floorBatch],
  ]
  const unseen = Object.fromEntries(contestants.map(([k]) => [k, []]))
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < contestants.length; i++) {
      const [k, fn, mkBatch, isAsync] = contestants[(i + r) % contestants.length]
      unseen[k].push(await timeBatches(fn, BATCHES, SIZE, mkBatch, isAsync !== false))
    }
  }
  const refUnseen = median(unseen['next-auth'])
  report('getToken, never-seen token (fresh NextRequest)', refUnseen, median(unseen.native))
  report('getTokenSync, never-seen token', refUnseen, median(unseen.sync))
  report('  floor: Cookie header + JSON.parse + Promise only', refUnseen, median(unseen.floor), 'next-auth', 'floor')

  // 2. the same cookie repeated, fresh NextRequest per call; the three alternate.
  const same = probe
  const N_REF = 2000
  const N_OURS = 20000
  const sameReqsRef = Array.from({ length: N_REF }, () => mkReq(same))
  const sameReqsOurs = Array.from({ length: N_OURS }, () => mkReq(same))
  const sameReqsSync = Array.from({ length: N_OURS }, () => mkReq(same))
  const t = { ref: [], ours: [], sync: [] }
  const sameRuns = [
    ['ref', () => time(N_REF, (i) => nextAuthJwt.getToken({ req: sameReqsRef[i], secret: SECRET }), { rounds: 1, isAsync: true })],
    ['ours', () => time(N_OURS, (i) => ours.getToken({ req: sameReqsOurs[i], secret: SECRET }), { rounds: 1, isAsync: true })],
    ['sync', () => time(N_OURS, (i) => ours.getTokenSync({ req: sameReqsSync[i], secret: SECRET }), { rounds: 1 })],
  ]
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < sameRuns.length; i++) {
      const [k, run] = sameRuns[(i + r) % sameRuns.length]
      t[k].push(await run())
    }
  }
  const refSame = median(t.ref)
  report('getToken, same cookie repeated', refSame, median(t.ours))
  report('getTokenSync, same cookie repeated', refSame, median(t.sync))
}

async function decodeBench() {
  // native decode vs jose's jwtDecrypt with a pre-derived key (no HKDF per call on either side).
  const key = new Uint8Array(hkdfSync('sha256', SECRET, '', 'NextAuth.js Generated Encryption Key', 32))
  const tokens = await mint(5000)
  const N = tokens.length
  const reader = nativeBinding.compileReader({ secrets: [SECRET], secureCookie: false })
  const header = (t) => `${COOKIE}=${t}`
  const headers = tokens.map(header)
  for (let i = 0; i < 2000; i++) { await jose4.jwtDecrypt(tokens[i], key, { clockTolerance: 15 }); JSON.parse(nativeBinding.readCookie(reader, headers[i], false)) }
  for (let i = 0; i < 2000; i++) await ours.decode({ token: tokens[i], secret: SECRET })
  const [joseUs, nativeUs] = await pair(
    { n: N, fn: (i) => jose4.jwtDecrypt(tokens[i], key, { clockTolerance: 15 }) },
    { n: N, fn: (i) => ours.decode({ token: tokens[i], secret: SECRET }) },
    9,
  )
  report('decode() vs jose 4 jwtDecrypt (pre-derived key)', joseUs, nativeUs, 'jose')
  const readerUs = await time(N, (i) => JSON.parse(nativeBinding.readCookie(reader, headers[i], false)))
  report('decode via compiled reader (keys cached)', joseUs, readerUs, 'jose')
  // JSON text + JSON.parse vs building the object through napi.
  if (!benchBinding) {
    console.log('SKIPPED claims: JSON text+JSON.parse vs napi object: no bench build (run `npm run build:bench`)')
    return
  }
  const benchReader = benchBinding.compileReader({ secrets: [SECRET], secureCookie: false })
  const objUs = await time(N, (i) => benchBinding.readTokenObject(benchReader, headers[i], undefined))
  report('claims: JSON text+JSON.parse vs napi object', objUs, readerUs, 'napi-object')
}

async function memoryBench() {
  // Never-seen tokens, as a server sees them: every call decodes a token
  // nobody has decoded before (fresh requests, minted batch by batch), so the
  // token cache's admission and eviction paths run on every call.
  const BATCH = 10_000
  const CALLS = 1_000_000
  const batch = async () => (await mint(BATCH)).map(mkReq)
  global.gc?.()
  for (const req of await batch()) await ours.getToken({ req, secret: SECRET })
  global.gc?.()
  const before = process.memoryUsage().rss
  for (let done = 0; done < CALLS; done += BATCH) {
    for (const req of await batch()) await ours.getToken({ req, secret: SECRET })
  }
  global.gc?.()
  const after = process.memoryUsage().rss
  const growthMb = (after - before) / 1024 / 1024
  results.memory = { calls: CALLS, tokens: 'never seen', rssBeforeMb: +(before / 1048576).toFixed(1), rssAfterMb: +(after / 1048576).toFixed(1), growthMb: +growthMb.toFixed(2) }
  console.log(`RSS over ${CALLS.toLocaleString()} getToken calls on never-seen tokens: ${(before / 1048576).toFixed(1)} MB -> ${(after / 1048576).toFixed(1)} MB (growth ${growthMb.toFixed(2)} MB)`)
}

const sections = { getToken: getTokenBench, decode: decodeBench, memory: memoryBench }
import { readFileSync } from 'node:fs'
const pkgVersion = (p) => JSON.parse(readFileSync(new URL(`../node_modules/${p}/package.json`, import.meta.url))).version
console.log(`node ${process.version}, next-auth ${pkgVersion('next-auth')}, jose ${pkgVersion('next-auth/node_modules/jose')}`)
console.log('in-process figures (function calls in one Node process; whole-server: npm run bench:server)')
for (const [name, fn] of Object.entries(sections)) {
  if (only && only !== name) continue
  await fn()
}
const extra = await import('./more.mjs').then((m) => m.default).catch(() => null)
if (extra && !only) Object.assign(results, await extra())
console.log('\n' + JSON.stringify(results, null, 2))
