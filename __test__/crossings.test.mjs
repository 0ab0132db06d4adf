// @tier unit
// Crossings between JS and Rust per withAuth decision (docs/architecture.md
// "One withAuth"): JWT mode decides in one native call, whether the path is
// skipped, allowed or denied; an `authorized` callback that denies a valid
// token adds the Location call, forwardIdentity adds the MAC. Database mode:
// one call too, the Cookie header parsed once, a cache hit answered as text
// (the Location only when a callback denies it), a cache miss continuing as
// that call's own Promise. Counted on the real addon by wrapping its exports.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { randomUUID } from 'node:crypto'
import { tamper, withEnv } from './helpers/tokens.mjs'
import { writeTempFile } from '../tools/pg.mjs'

const require = createRequire(import.meta.url)
const native = require('../lib/native.js')
const mw = require('../lib/middleware.js')
const jwt = require('../lib/jwt.js')
const { NextRequest } = require('next/server')

const SECRET = 'crossings-secret-0123456789abcdef0123456789'
const ENV = { NEXTAUTH_URL: 'http://localhost:3000', NEXTAUTH_SECRET: undefined, AUTH_SECRET: undefined, VERCEL: undefined }
let calls = []
const originals = new Map()

before(() => {
  for (const [name, fn] of Object.entries(native)) {
    if (typeof fn !== 'function') continue
    originals.set(name, fn)
    native[name] = function (...args) {
      calls.push(name)
      return fn.apply(this, args)
    }
  }
})
after(() => {
  for (const [name, fn] of originals) native[name] = fn
})

const mk = (path, cookie) => new NextRequest(`http://localhost:3000${path}`, { headers: cookie ? { cookie: `next-auth.session-token=${cookie}` } : {} })

/** The native calls one decision makes, after a warm-up call that compiles the handles. */
async function crossings(options, path, cookie) {
  const f = mw.withAuth(options)
  await withEnv(ENV, () => f(mk(path, cookie), {}))
  calls = []
  const res = await withEnv(ENV, () => f(mk(path, cookie), {}))
  return { calls: [...calls], res }
}

test('JWT mode: one native call per decision (skipped, allowed, denied)', async () => {
  const token = await jwt.encode({ token: { sub: 'u1', role: 'user' }, secret: SECRET })
  const base = { secret: SECRET }
  const allowed = await crossings(base, '/dashboard', token)
  assert.equal(allowed.res, undefined, 'allowed: continue')
  assert.deepEqual(allowed.calls, ['middlewareDecide'])
  const denied = await crossings(base, '/dashboard')
  assert.equal(denied.res.status, 307)
  assert.deepEqual(denied.calls, ['middlewareDecide'], 'the sign-in Location comes with the decision')
  const tampered = await crossings(base, '/dashboard', tamper(token))
  assert.equal(tampered.res.status, 307)
  assert.deepEqual(tampered.calls, ['middlewareDecide'])
  const skipped = await crossings({ ...base, publicPaths: ['/blog/:path*'] }, '/blog/a')
  assert.equal(skipped.res, undefined)
  assert.deepEqual(skipped.calls, ['middlewareDecide'])
  // next-auth's Bearer fallback (no session cookie): still the one call
  const f = mw.withAuth(base)
  const viaBearer = () => new NextRequest('http://localhost:3000/dashboard', { headers: { authorization: `Bearer ${token}` } })
  await withEnv(ENV, () => f(viaBearer(), {}))
  calls = []
  assert.equal(await withEnv(ENV, () => f(viaBearer(), {})), undefined, 'Bearer: allowed')
  assert.deepEqual(calls, ['middlewareDecide'])
})

test('JWT mode: the extra calls are the ones the options ask for', async () => {
  const token = await jwt.encode({ token: { sub: 'u1', role: 'user' }, secret: SECRET })
  const admin = { secret: SECRET, callbacks: { authorized: ({ token: t }) => t?.role === 'admin' } }
  const denied = await crossings(admin, '/admin', token)
  assert.equal(denied.res.status, 307)
  assert.deepEqual(denied.calls, ['middlewareDecide', 'signInLocation'], 'a callback denying a valid token builds the Location')
  const fwd = await crossings({ secret: SECRET, forwardIdentity: ['sub'] }, '/dashboard', token)
  assert.equal(fwd.res.headers.get('x-middleware-request-x-auth-sub'), 'u1')
  assert.deepEqual(fwd.calls, ['middlewareDecide', 'signIdentity'], 'forwardIdentity adds the MAC')
})

test('database mode: one native call per decision, hit, miss or denied; verifySession: one read', async () => {
  const SQL = await require('sql.js')()
  const db = new SQL.Database()
  const token = randomUUID()
  db.run(`CREATE TABLE "User" (id TEXT PRIMARY KEY, name TEXT, email TEXT, "emailVerified" INTEGER, image TEXT);
    CREATE TABLE "Session" (id TEXT PRIMARY KEY, "sessionToken" TEXT UNIQUE NOT NULL, "userId" TEXT NOT NULL, expires INTEGER NOT NULL);
    INSERT INTO "User" VALUES ('u1', 'U', 'u@example.com', NULL, NULL);`)
  db.run(`INSERT INTO "Session" VALUES (?, ?, 'u1', ?)`, [token, token, Date.now() + 3600_000])
  const file = writeTempFile('crossings.db', Buffer.from(db.export()))
  try {
    const session = (ttl) => ({ strategy: 'database', database: { url: file.file, schema: 'prisma' }, cacheTtlMs: ttl })
    const hit = await crossings({ session: session(60_000) }, '/dashboard', token)
    assert.equal(hit.res, undefined, 'allowed from the cache')
    assert.deepEqual(hit.calls, ['middlewareSession'])
    // A cache hit answers the session text alone (no Location): a callback that denies it builds the Location.
    const refused = await crossings({ session: session(60_000), callbacks: { authorized: () => false } }, '/dashboard', token)
    assert.equal(refused.res.status, 307)
    assert.equal(refused.res.headers.get('location'), 'http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard')
    assert.deepEqual(refused.calls, ['middlewareSession', 'signInLocation'], 'a callback denying a cached session builds the Location')
    const miss = await crossings({ session: session(0) }, '/dashboard', token)
    assert.equal(miss.res, undefined, 'allowed after the lookup')
    assert.deepEqual(miss.calls, ['middlewareSession'], 'a miss continues as the same call\'s Promise')
    const denied = await crossings({ session: session(0) }, '/dashboard', randomUUID())
    assert.equal(denied.res.status, 307)
    assert.deepEqual(denied.calls, ['middlewareSession'], 'the Location comes with the decision')
    const { verifySession } = require('../lib/session.js')
    calls = []
    const req = new NextRequest('http://localhost:3000/x', { headers: { cookie: `next-auth.session-token=${token}` } })
    assert.equal((await verifySession({ req, ...session(0) })).user.id, 'u1')
    assert.deepEqual(calls, ['sessionRead'])
  } finally {
    file.remove()
  }
})
