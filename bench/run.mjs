// npm run bench: native vs next-auth 4.24.15 in one process, same inputs.
// Prints per-call times and ratios; ratios are what we report.
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { hkdfSync } from 'node:crypto'

const require = createRequire(import.meta.url)
const nextAuthJwt = require('next-auth/jwt')
const jose4 = createRequire(require.resolve('next-auth/jwt'))('jose')
const { NextRequest } = require('next/server')
const ours = require('../lib/jwt.js')
const nativeBinding = require('../index.js')

const SECRET = 'bench-secret-bench-secret-0123456789abcdef'
const COOKIE = 'next-auth.session-token'
const claims = { name: 'Demo User', email: 'demo@example.com', picture: 'https://example.com/a.png', sub: 'user-1', role: 'admin' }
const FAR = 50 * 365 * 24 * 3600
const only = process.argv[2]
const results = {}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** Times fn(i) over n calls, `rounds` times; returns the median µs per call. */
async function time(n, fn, { rounds = 5, isAsync = false } = {}) {
  const per = []
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now()
    if (isAsync) for (let i = 0; i < n; i++) await fn(i, r)
    else for (let i = 0; i < n; i++) fn(i, r)
    per.push(((performance.now() - t0) * 1000) / n)
  }
  return median(per)
}

/**
 * Times a (reference) and b (native) in alternating rounds, so drift in the
 * machine's load hits both alike; returns the median µs per call of each.
 */
async function pair(a, b, rounds = 5) {
  const ta = []
  const tb = []
  for (let r = 0; r < rounds; r++) {
    ta.push(await time(a.n, (i) => a.fn(i, r), { rounds: 1, isAsync: true }))
    tb.push(await time(b.n, (i) => b.fn(i, r), { rounds: 1, isAsync: true }))
  }
  return [median(ta), median(tb)]
}

function report(name, refUs, oursUs, refLabel = 'next-auth') {
  const ratio = refUs / oursUs
  results[name] = { [refLabel]: +refUs.toFixed(3), native: +oursUs.toFixed(3), ratio: +ratio.toFixed(1) }
  console.log(`${name.padEnd(48)} ${refLabel} ${refUs.toFixed(2).padStart(8)} µs   native ${oursUs.toFixed(3).padStart(7)} µs   ${ratio.toFixed(1).padStart(6)}x`)
}

const mkReq = (cookie) => new NextRequest('http://localhost:3000/dashboard', { headers: { cookie: `theme=dark; ${COOKIE}=${cookie}` } })

async function mint(n) {
  const out = []
  for (let i = 0; i < n; i++) out.push(await ours.encode({ token: { ...claims, i }, secret: SECRET, maxAge: FAR }))
  return out
}

/**
 * µs per call of `fn` over `batches` batches of `size` fresh requests each;
 * every batch is built just before it is timed (tokens nobody has decoded)
 * and dropped after, so both implementations run on the same working set.
 */
async function timeBatches(fn, batches, size, mkBatch) {
  let ms = 0
  for (let b = 0; b < batches; b++) {
    const batch = await mkBatch(size)
    const t0 = performance.now()
    for (let i = 0; i < size; i++) await fn(batch[i])
    ms += performance.now() - t0
  }
  return (ms * 1000) / (batches * size)
}

async function getTokenBench() {
  // Sanity: both agree on the tokens used.
  const probe = (await mint(1))[0]
  const a = await nextAuthJwt.getToken({ req: mkReq(probe), secret: SECRET })
  const b = await ours.getToken({ req: mkReq(probe), secret: SECRET })
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('native and next-auth disagree')

  // 1. never-seen tokens: every call gets a fresh NextRequest with a token nobody has decoded.
  const SIZE = 4000
  const rounds = 5
  const fresh = async (n) => (await mint(n)).map(mkReq)
  // warm up both code paths on other tokens
  for (const r of await fresh(400)) { await nextAuthJwt.getToken({ req: r, secret: SECRET }); await ours.getToken({ req: mkReq(r.headers.get('cookie').split('=').pop()), secret: SECRET }) }
  const refRounds = []
  const oursRounds = []
  const floorRounds = []
  for (let r = 0; r < rounds; r++) {
    refRounds.push(await timeBatches((req) => nextAuthJwt.getToken({ req, secret: SECRET }), 1, SIZE, fresh))
    oursRounds.push(await timeBatches((req) => ours.getToken({ req, secret: SECRET }), 5, SIZE, fresh))
    // What any drop-in must do in JS on these requests, with no decoding at
    // all: read the Cookie header, JSON.parse claims of the same size into
    // a fresh object, resolve a Promise. The best ratio anything can reach.
    floorRounds.push(await timeBatches(async ([req, json]) => { req.headers.get('cookie'); return JSON.parse(json) }, 5, SIZE, async (n) => {
      const tokens = await mint(n)
      return Promise.all(tokens.map(async (t) => [mkReq(t), JSON.stringify(await ours.decode({ token: t, secret: SECRET }))]))
    }))
  }
  const refUnseen = median(refRounds)
  report('getToken, never-seen token (fresh NextRequest)', refUnseen, median(oursRounds))
  report('  floor: Cookie header + JSON.parse + Promise only', refUnseen, median(floorRounds))
  const oursSyncUnseen = await timeBatches((req) => ours.getTokenSync({ req, secret: SECRET }), 5, SIZE, fresh)
  report('getTokenSync, never-seen token', refUnseen, oursSyncUnseen)

  // 2. the same cookie repeated, fresh NextRequest per call.
  const same = probe
  const N_REF = 2000
  const N_OURS = 20000
  const sameReqsRef = Array.from({ length: N_REF }, () => mkReq(same))
  const sameReqsOurs = Array.from({ length: N_OURS }, () => mkReq(same))
  const [refSame, oursSame] = await pair(
    { n: N_REF, fn: (i) => nextAuthJwt.getToken({ req: sameReqsRef[i], secret: SECRET }) },
    { n: N_OURS, fn: (i) => ours.getToken({ req: sameReqsOurs[i], secret: SECRET }) },
    rounds,
  )
  report('getToken, same cookie repeated', refSame, oursSame)
  const oursSameSync = await time(N_OURS, (i) => ours.getTokenSync({ req: sameReqsOurs[i], secret: SECRET }))
  report('getTokenSync, same cookie repeated', refSame, oursSameSync)
}

async function decodeBench() {
  // native decode vs jose's jwtDecrypt with a pre-derived key (no HKDF per call on either side).
  const key = new Uint8Array(hkdfSync('sha256', SECRET, '', 'NextAuth.js Generated Encryption Key', 32))
  const tokens = await mint(5000)
  const N = tokens.length
  const reader = nativeBinding.compileReader({ secrets: [SECRET], secureCookie: false })
  const header = (t) => `${COOKIE}=${t}`
  const headers = tokens.map(header)
  for (let i = 0; i < 2000; i++) { await jose4.jwtDecrypt(tokens[i], key, { clockTolerance: 15 }); JSON.parse(nativeBinding.readToken(reader, headers[i], undefined, false)) }
  for (let i = 0; i < 2000; i++) await ours.decode({ token: tokens[i], secret: SECRET })
  const [joseUs, nativeUs] = await pair(
    { n: N, fn: (i) => jose4.jwtDecrypt(tokens[i], key, { clockTolerance: 15 }) },
    { n: N, fn: (i) => ours.decode({ token: tokens[i], secret: SECRET }) },
    9,
  )
  report('decode() vs jose 4 jwtDecrypt (pre-derived key)', joseUs, nativeUs, 'jose')
  const readerUs = await time(N, (i) => JSON.parse(nativeBinding.readToken(reader, headers[i], undefined, false)))
  report('decode via compiled reader (keys cached)', joseUs, readerUs, 'jose')
  // JSON text + JSON.parse vs building the object through napi.
  const objUs = await time(N, (i) => nativeBinding.readTokenObject(reader, headers[i], undefined))
  report('claims: JSON text+JSON.parse vs napi object', objUs, readerUs, 'napi-object')
}

async function memoryBench() {
  const tokens = await mint(64)
  const reqs = tokens.map(mkReq)
  global.gc?.()
  for (let i = 0; i < 20000; i++) ours.getTokenSync({ req: reqs[i & 63], secret: SECRET })
  global.gc?.()
  const before = process.memoryUsage().rss
  const CALLS = 1_000_000
  for (let i = 0; i < CALLS; i++) {
    await ours.getToken({ req: reqs[i & 63], secret: SECRET })
  }
  global.gc?.()
  const after = process.memoryUsage().rss
  const growthMb = (after - before) / 1024 / 1024
  results.memory = { calls: CALLS, rssBeforeMb: +(before / 1048576).toFixed(1), rssAfterMb: +(after / 1048576).toFixed(1), growthMb: +growthMb.toFixed(2) }
  console.log(`RSS over ${CALLS.toLocaleString()} getToken calls: ${(before / 1048576).toFixed(1)} MB -> ${(after / 1048576).toFixed(1)} MB (growth ${growthMb.toFixed(2)} MB)`)
}

const sections = { getToken: getTokenBench, decode: decodeBench, memory: memoryBench }
import { readFileSync } from 'node:fs'
const pkgVersion = (p) => JSON.parse(readFileSync(new URL(`../node_modules/${p}/package.json`, import.meta.url))).version
console.log(`node ${process.version}, next-auth ${pkgVersion('next-auth')}, jose ${pkgVersion('next-auth/node_modules/jose')}`)
for (const [name, fn] of Object.entries(sections)) {
  if (only && only !== name) continue
  await fn()
}
const extra = await import('./more.mjs').then((m) => m.default).catch(() => null)
if (extra && !only) Object.assign(results, await extra())
console.log('\n' + JSON.stringify(results, null, 2))
