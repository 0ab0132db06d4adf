// An outage of the session store is not a sign-out (issue 13): when the
// store cannot answer (stopped, hung past the deadline, pool exhausted, an
// endpoint that fails), withAuth in database mode answers 503 with
// Retry-After and Cache-Control: private, no-store, for pages and APIs, and
// never allows. `onStoreError: 'deny'` keeps the sign-in redirect / 401, and
// `authorized` sees `storeUnavailable: true` next to `session: null`, and the
// second gate (requireSession) rejects with DB_UNAVAILABLE instead of null.
//
// Real faults only: a throw-away PostgreSQL cluster of our own that is
// stopped and restarted, a view that sleeps past the deadline, a 1-connection
// pool, and a real HTTP endpoint that answers 500 or closes the connection.
// Without initdb/pg_ctl the PostgreSQL parts skip loudly (fail under CI=true).

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { IS_CI, PG_ADAPTER_DDL, clusterUnavailable, query, startCluster } from '../tools/pg.mjs'
import { withEnv } from './helpers/tokens.mjs'
import { skipOrFail } from './helpers/skip.mjs'

const require = createRequire(import.meta.url)
const ours = require('../lib/middleware.js')
const { verifySession } = require('../lib/session.js')
const { NextRequest } = require('next/server')

const COOKIE = 'next-auth.session-token'
const ENV = { NEXTAUTH_URL: undefined, NEXTAUTH_SECRET: undefined, AUTH_SECRET: undefined, VERCEL: undefined }
const VALID = randomUUID()
const TIMEOUT = 400

const mk = (path, token) =>
  new NextRequest(`http://localhost:3000${path}`, { headers: token ? { cookie: `theme=dark; ${COOKIE}=${token}` } : {} })

function shape(res) {
  if (res === undefined || res === null) return 'continue'
  return `${res.status} ${res.headers.get('location') ?? ''}`.trim()
}

/** A logger that records what it is given (and keeps the test output quiet). */
function quietConsole() {
  const lines = []
  const orig = console.error
  console.error = (...a) => lines.push(a.join(' '))
  return { lines, restore: () => (console.error = orig) }
}

async function assertUnavailable(res, { json, what }) {
  assert.equal(res?.status, 503, `${what}: ${shape(res)}`)
  assert.equal(res.headers.get('retry-after'), '5', what)
  assert.match(res.headers.get('cache-control') ?? '', /(^|[ ,])no-store/, what)
  assert.match(res.headers.get('vary') ?? '', /Cookie/, what)
  assert.equal(res.headers.get('location'), null, `${what}: no redirect`)
  assert.equal(res.headers.get('x-middleware-next'), null, `${what}: not a pass`)
  if (json) {
    assert.match(res.headers.get('content-type') ?? '', /application\/json/, what)
    assert.deepEqual(await res.json(), { error: 'SessionStoreUnavailable' }, what)
  } else {
    assert.match(res.headers.get('content-type') ?? '', /text\/html/, what)
    assert.match(await res.text(), /Temporarily unavailable/, what)
  }
}

describe('database outage: withAuth answers 503, not a sign-out (own PostgreSQL cluster)', { timeout: 3 * 60_000 }, () => {
  let cluster
  let url
  let skip = null

  before(async () => {
    skip = clusterUnavailable()
    if (skip) return
    cluster = await startCluster()
    await query(cluster.url, 'CREATE DATABASE outage_db')
    url = cluster.url.replace(/\/postgres$/, '/outage_db')
    await query(url, PG_ADAPTER_DDL)
    await query(url, `INSERT INTO users (name, email) VALUES ('Pg User', 'g@example.com')`)
    await query(url, `INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (1, now() + interval '1 hour', $1)`, [VALID])
    await query(url, `CREATE VIEW slow_sessions AS SELECT s.* FROM sessions s CROSS JOIN LATERAL pg_sleep(3) AS z`)
  })
  after(async () => {
    await cluster?.destroy()
  })

  const session = (extra = {}) => ({
    strategy: 'database',
    database: { url, schema: 'pg-adapter', timeoutMs: TIMEOUT, ...extra },
    cacheTtlMs: 0,
  })
  const run = (options, path, token) => withEnv(ENV, () => ours.withAuth(options)(mk(path, token), {}))

  test('stopped: pages and APIs get 503 + Retry-After within the deadline; deny mode and authorized see the difference; restarted: allowed', async (t) => {
    if (skip) return skipOrFail(t, `throw-away PostgreSQL cluster: ${skip}`)
    const seen = []
    const options = { session: session(), unauthorized: 'auto', callbacks: { authorized: (p) => (seen.push(p), !!p.session) } }
    const deny = { session: session(), unauthorized: 'auto', onStoreError: 'deny' }
    assert.equal(shape(await run(options, '/dashboard', VALID)), 'continue', 'valid while the server runs')
    assert.deepEqual([seen[0].session?.user?.email, seen[0].storeUnavailable], ['g@example.com', false])
    assert.equal(shape(await run(options, '/dashboard', randomUUID())), '307 http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard')
    assert.equal(seen[1].storeUnavailable, false, 'an unknown token is no session, not an outage')

    await cluster.stop()
    const con = quietConsole()
    try {
      for (const [path, json] of [['/dashboard?tab=1', false], ['/api/me', true], ['/dashboard', false]]) {
        const t0 = Date.now()
        const res = await run(options, path, VALID)
        const took = Date.now() - t0
        await assertUnavailable(res, { json, what: `stopped, ${path}` })
        assert.ok(took < TIMEOUT + 600, `${path} took ${took} ms (deadline ${TIMEOUT})`)
      }
      const last = seen.at(-1)
      assert.equal(last.session, null, 'authorized: session === null')
      assert.equal(last.storeUnavailable, true, 'authorized: storeUnavailable === true')
      assert.equal(last.token, null)
      // no cookie at all: a sign-in, as before (nothing to look up, so no outage)
      assert.equal(shape(await run(options, '/dashboard')), '307 http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard')
      assert.equal(shape(await run(options, '/api/me')), '401')
      // a malformed token is refused before any I/O: a denial too
      assert.equal(shape(await run(options, '/dashboard', 'a'.repeat(300))), '307 http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard')
      // onStoreError: 'deny' keeps the old answer
      assert.equal(shape(await run(deny, '/dashboard', VALID)), '307 http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard')
      const res401 = await run(deny, '/api/me', VALID)
      assert.equal(res401.status, 401)
      assert.deepEqual(await res401.json(), { error: 'Unauthorized' })
      // the default (no callback) denies with 503 too; so does unauthorized 'json' for pages (JSON body)
      await assertUnavailable(await run({ session: session() }, '/dashboard', VALID), { json: false, what: 'no callback, page' })
      await assertUnavailable(await run({ session: session(), unauthorized: 'json' }, '/dashboard', VALID), { json: true, what: 'unauthorized json' })
      // withAuth(fn, options): the wrapped middleware never runs during the outage
      let ran = false
      const wrapped = ours.withAuth(() => ((ran = true), undefined), { session: session() })
      await assertUnavailable(await withEnv(ENV, () => wrapped(mk('/dashboard', VALID), {})), { json: false, what: 'withAuth(fn)' })
      assert.equal(ran, false, 'never allowed')
      // an authorized callback may still decide to let a request through (its choice, as without a session)
      assert.equal(shape(await run({ session: session(), callbacks: { authorized: ({ storeUnavailable }) => storeUnavailable } }, '/dashboard', VALID)), 'continue')
      // verifySession keeps its contract: null
      assert.equal(await verifySession({ req: mk('/x', VALID), ...session() }), null)
      // requireSession (the page's gate) rejects: the session is unknown, not absent
      await assert.rejects(ours.requireSession(mk('/x', VALID), { session: session() }), (e) => e.code === 'DB_UNAVAILABLE' && e.storeUnavailable === true)
    } finally {
      con.restore()
    }
    assert.ok(con.lines.some((l) => l.includes('[SESSION_STORE]')), 'the incident is logged')
    assert.ok(!con.lines.some((l) => l.includes(VALID)), 'no token in the logs')

    await cluster.start()
    let back = null
    for (let i = 0; i < 30 && back !== 'continue'; i++) {
      back = shape(await run(options, '/dashboard', VALID))
      if (back !== 'continue') await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(back, 'continue', 'allowed again once the server is back')
  })

  test('hung past the deadline and pool exhausted: 503, never allowed, never queued past the deadline', async (t) => {
    if (skip) return skipOrFail(t, `throw-away PostgreSQL cluster: ${skip}`)
    const slow = { strategy: 'database', database: { url, schema: { sessionTable: 'slow_sessions', userTable: 'users' }, timeoutMs: TIMEOUT, pool: 1 }, cacheTtlMs: 0 }
    const con = quietConsole()
    try {
      const t0 = Date.now()
      const all = await Promise.all(Array.from({ length: 5 }, (_, i) => run({ session: slow, unauthorized: 'auto' }, i % 2 ? '/api/me' : '/dashboard', VALID)))
      const took = Date.now() - t0
      for (const [i, res] of all.entries()) await assertUnavailable(res, { json: i % 2 === 1, what: `slow #${i}` })
      assert.ok(took < 2 * TIMEOUT + 800, `5 lookups on a 1-connection pool took ${took} ms (deadline ${TIMEOUT} each)`)
    } finally {
      con.restore()
    }
  })

  test('cache on: a cached session keeps working through an outage for the TTL; then 503', async (t) => {
    if (skip) return skipOrFail(t, `throw-away PostgreSQL cluster: ${skip}`)
    const cached = { ...session(), cacheTtlMs: 1500 }
    assert.equal(shape(await run({ session: cached }, '/dashboard', VALID)), 'continue')
    await cluster.stop()
    const con = quietConsole()
    try {
      assert.equal(shape(await run({ session: cached }, '/dashboard', VALID)), 'continue', 'served from the cache')
      await new Promise((r) => setTimeout(r, 1600))
      await assertUnavailable(await run({ session: cached }, '/dashboard', VALID), { json: false, what: 'after the TTL' })
    } finally {
      con.restore()
      await cluster.start()
    }
  })
})

describe('database outage: the session endpoint fails (real HTTP server)', () => {
  let server
  let mode = 'ok'
  let endpoint
  before(async () => {
    server = createServer((req, res) => {
      if (mode === 'close') return req.socket.destroy()
      if (mode === '500') {
        res.writeHead(500, { 'content-type': 'text/html' })
        return res.end('<h1>boom</h1>')
      }
      if (!String(req.headers.cookie ?? '').includes(VALID)) {
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end('{}')
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ user: { name: 'E', email: 'e@example.com' }, expires: new Date(Date.now() + 3600_000).toISOString() }))
    })
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
    endpoint = `http://127.0.0.1:${server.address().port}/api/auth/session`
  })
  after(() => server?.close())

  test('500 or a dropped connection: 503; "{}" (no session): the sign-in redirect', async () => {
    const options = { session: { strategy: 'database', sessionEndpoint: endpoint, cacheTtlMs: 0, timeoutMs: TIMEOUT }, unauthorized: 'auto' }
    const run = (path, token) => withEnv(ENV, () => ours.withAuth(options)(mk(path, token), {}))
    mode = 'ok'
    assert.equal(shape(await run('/dashboard', VALID)), 'continue')
    assert.equal(shape(await run('/dashboard', randomUUID())), '307 http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard')
    const con = quietConsole()
    try {
      for (const m of ['500', 'close']) {
        mode = m
        await assertUnavailable(await run('/dashboard', VALID), { json: false, what: `endpoint ${m}, page` })
        await assertUnavailable(await run('/api/me', VALID), { json: true, what: `endpoint ${m}, api` })
        // the second gate: an outage rejects (DB_UNAVAILABLE), so a page cannot mistake it for a sign-out
        await assert.rejects(
          withEnv(ENV, () => ours.requireSession(mk('/dashboard', VALID), { session: options.session })),
          (e) => ['DB_UNAVAILABLE', 'ENDPOINT_BAD_RESPONSE'].includes(e.code) && e.storeUnavailable === true && e.name === 'NextAuthNativeError' && /unknown, not absent/.test(e.message),
          `endpoint ${m}: requireSession`,
        )
        assert.equal(await withEnv(ENV, () => verifySession({ req: mk('/dashboard', VALID), ...options.session })), null, 'verifySession: null (getServerSession shape)')
      }
      // no session is still null, not an error
      assert.equal(await withEnv(ENV, () => ours.requireSession(mk('/dashboard'), { session: options.session })), null)
    } finally {
      con.restore()
    }
    mode = 'ok'
    assert.equal(shape(await run('/dashboard', VALID)), 'continue', 'allowed again')
  })

  test('onStoreError is checked when the options are given', () => {
    for (const bad of ['503', true, 'allow', {}]) {
      assert.throws(() => ours.withAuth({ session: { strategy: 'database', sessionEndpoint: endpoint }, onStoreError: bad }), /onStoreError must be 'unavailable'.*or 'deny'/)
      assert.throws(() => ours.withAuth(() => undefined, { onStoreError: bad }), (e) => e.code === 'CONFIG_INVALID')
    }
    assert.doesNotThrow(() => ours.withAuth({ onStoreError: 'deny' }))
    assert.doesNotThrow(() => ours.withAuth({ onStoreError: 'unavailable' }))
  })
})
