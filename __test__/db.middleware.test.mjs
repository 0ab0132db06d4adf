// withAuth / handleMiddleware / requireSession with next-auth's database
// strategy (`session: { strategy: "database", database | sessionEndpoint }`),
// in process, on a real SQLite file (so these never skip). The denial is the
// same redirect / 401 as in JWT mode; next-auth's own withAuth, for contrast,
// denies every database session.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { writeTempFile } from '../tools/pg.mjs'
import { SECRET, mintV4, withEnv } from './helpers/tokens.mjs'

const require = createRequire(import.meta.url)
const ours = require('../lib/middleware.js')
const ref = require('next-auth/middleware')
const { NextRequest, NextResponse } = require('next/server')
const initSqlJs = require('sql.js')

const COOKIE = 'next-auth.session-token'
const VALID = randomUUID()
const EXPIRED = randomUUID()
const ENV = { NEXTAUTH_URL: undefined, NEXTAUTH_SECRET: undefined, AUTH_SECRET: undefined, VERCEL: undefined }

const mk = (path, cookie, headers = {}) =>
  new NextRequest(`http://localhost:3000${path}`, { headers: cookie ? { cookie: `${COOKIE}=${cookie}`, ...headers } : headers })

function shape(res) {
  if (res === undefined || res === null) return 'continue'
  return `${res.status} ${res.headers.get('location') ?? ''}`
}

describe('withAuth with database sessions (SQLite)', () => {
  let tmp
  let session

  before(async () => {
    const SQL = await initSqlJs()
    const db = new SQL.Database()
    db.run(`
      CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, "emailVerified" TEXT, image TEXT);
      CREATE TABLE sessions (id INTEGER PRIMARY KEY, "userId" INTEGER NOT NULL, expires TEXT NOT NULL, "sessionToken" TEXT UNIQUE NOT NULL);
      INSERT INTO users VALUES (5, 'Db User', 'db@example.com', NULL, NULL);
    `)
    db.run(`INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (5, ?, ?)`, [new Date(Date.now() + 3600_000).toISOString(), VALID])
    db.run(`INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (5, ?, ?)`, [new Date(Date.now() - 1000).toISOString(), EXPIRED])
    tmp = writeTempFile('mw.db', Buffer.from(db.export()))
    session = { strategy: 'database', database: { url: tmp.file, schema: 'pg-adapter' }, cacheTtlMs: 0 }
  })
  after(() => tmp?.remove())

  const run = (options, path, cookie, headers) => withEnv(ENV, () => ours.withAuth(options)(mk(path, cookie, headers), {}))

  test('a valid database session passes; none, expired or unknown get next-auth\'s 307', async () => {
    const o = { session }
    assert.equal(shape(await run(o, '/dashboard', VALID)), 'continue')
    for (const c of [undefined, EXPIRED, randomUUID(), "x'OR'1'='1", 'a'.repeat(300)]) {
      const res = await run(o, '/dashboard?tab=1', c)
      assert.equal(shape(res), '307 http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard%3Ftab%3D1', String(c))
      assert.equal(res.headers.get('cache-control'), 'private, no-store')
    }
    // next-auth's withAuth cannot read the opaque token: it denies the valid session.
    const theirs = await withEnv({ ...ENV, NEXTAUTH_SECRET: SECRET }, () => ref.withAuth({})(mk('/dashboard', VALID), {}))
    assert.equal(theirs.status, 307)
  })

  test('the denial shapes are the JWT mode\'s: 401 JSON for unauthorized "json"/"auto"', async () => {
    const res = await run({ session, unauthorized: 'auto' }, '/api/me', randomUUID())
    assert.equal(res.status, 401)
    assert.deepEqual(await res.json(), { error: 'Unauthorized' })
    assert.equal(shape(await run({ session, unauthorized: 'auto' }, '/dashboard')), '307 http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard')
    assert.equal(shape(await run({ session, unauthorized: 'auto' }, '/api/me', VALID)), 'continue')
  })

  test('no secret is needed in database mode; skip rules still apply', async () => {
    assert.equal(shape(await run({ session }, '/dashboard', VALID)), 'continue')
    assert.equal(shape(await run({ session }, '/api/auth/session')), 'continue')
    // JWT mode without a secret is still next-auth's Configuration redirect
    assert.match(shape(await run({}, '/dashboard')), /^307 .*error=Configuration/)
  })

  test('authorized({ req, token, session }) receives the session', async () => {
    const calls = []
    const o = { session, callbacks: { authorized: (p) => (calls.push(p), p.session?.user?.email === 'db@example.com') } }
    assert.equal(shape(await run(o, '/dashboard', VALID)), 'continue')
    assert.equal(calls[0].token, null)
    assert.equal(calls[0].session.user.id, '5')
    assert.ok(calls[0].req instanceof NextRequest)
    assert.equal(shape(await run(o, '/dashboard')), '307 http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard')
    assert.equal(calls[1].session, null)
    // a callback may still allow without a session, as in next-auth
    assert.equal(shape(await run({ session, callbacks: { authorized: () => true } }, '/dashboard')), 'continue')
  })

  test('withAuth(fn, options) sets req.nextauth = { token: null, session }; forwardIdentity uses the user', async () => {
    let seen
    const mw = ours.withAuth((req) => {
      seen = req.nextauth
      return NextResponse.next()
    }, { session })
    await withEnv(ENV, () => mw(mk('/dashboard', VALID), {}))
    assert.equal(seen.token, null)
    assert.equal(seen.session.user.email, 'db@example.com')
    const res = await run({ session, forwardIdentity: ['sub', 'email'] }, '/dashboard', VALID, { 'x-auth-sub': 'spoofed' })
    assert.equal(res.headers.get('x-middleware-request-x-auth-sub'), '5')
    assert.equal(res.headers.get('x-middleware-request-x-auth-email'), 'db@example.com')
  })

  test('a bad configuration denies (logged once), never allows', async () => {
    const errors = []
    const orig = console.error
    console.error = (...a) => errors.push(a.join(' '))
    try {
      const bad = { session: { strategy: 'database', database: { url: 'mongodb://nope/x' } } }
      for (let i = 0; i < 3; i++) assert.equal((await run(bad, '/dashboard', VALID)).status, 307)
      const noUrl = { session: { strategy: 'database' } }
      assert.equal((await run(noUrl, '/dashboard', VALID)).status, 307)
    } finally {
      console.error = orig
    }
    assert.equal(errors.filter((e) => e.includes('SESSION_CONFIG')).length, 2, errors.join('\n'))
  })

  test('requireSession: a Promise of the session in database mode, a Promise of the token in JWT mode', async () => {
    const headers = new Headers({ cookie: `${COOKIE}=${VALID}` })
    const p = ours.requireSession(headers, { session })
    assert.ok(p instanceof Promise)
    assert.equal((await p).user.name, 'Db User')
    assert.equal(await ours.requireSession(new Headers({ cookie: `${COOKIE}=${EXPIRED}` }), { session }), null)
    assert.deepEqual(await ours.requireSession(mk('/x', VALID), { strategy: 'database', database: session.database }), await p)
    const jwt = await mintV4({ sub: '9', name: 'J' })
    const tok = ours.requireSession(new Headers({ cookie: `${COOKIE}=${jwt}` }), { secret: SECRET })
    assert.ok(tok instanceof Promise) // one shape in both modes (issue 14, item 11)
    assert.equal((await tok).sub, '9')
    assert.equal(ours.requireSessionSync(new Headers({ cookie: `${COOKIE}=${jwt}` }), { secret: SECRET }).sub, '9')
    assert.throws(() => ours.requireSessionSync(headers, { session }), /requireSessionSync reads JWT sessions only/)
  })

  test('JWT mode: authorized also gets `session` built from the token, and keeps next-auth\'s { token }', async () => {
    const jwt = await mintV4({ sub: '9', name: 'J', email: 'j@example.com', picture: 'https://img/j.png' })
    let params
    const o = { secret: SECRET, callbacks: { authorized: (p) => ((params = p), !!p.token) } }
    assert.equal(shape(await run(o, '/dashboard', jwt)), 'continue')
    assert.deepEqual(Object.keys(params), ['req', 'token'])
    assert.deepEqual(params.session.user, { id: '9', name: 'J', email: 'j@example.com', image: 'https://img/j.png' })
    assert.equal(params.session.expires, new Date(params.token.exp * 1000).toISOString())
    let seen
    await withEnv(ENV, () => ours.withAuth((req) => ((seen = req.nextauth), undefined), { secret: SECRET })(mk('/dashboard', jwt), {}))
    assert.deepEqual(Object.keys(seen), ['token'])
  })
})
