// verifySession({ sessionEndpoint }): the app's own /api/auth/session as the
// session source (docs/security.md SS-4, NA-2), against a local HTTP server that
// plays every answer: a session, {}, an error object, HTML, a redirect, an
// oversized or endless body, an expired session, silence.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { verifySession } = require('../lib/session.js')
const { NextRequest } = require('next/server')

const COOKIE = 'next-auth.session-token'
const TOKEN = '3c5f0b8e-2a71-4c1d-9e43-7b6a1f0d2e95'
const future = () => new Date(Date.now() + 3600_000).toISOString()
const good = () => ({ user: { name: 'Endpoint User', email: 'e@example.com', image: null }, expires: future() })

function req(cookie) {
  return new NextRequest('http://localhost:3000/dashboard', { headers: cookie === undefined ? {} : { cookie } })
}

const CASES = {
  ok: (res) => json(res, 200, good()),
  okCharset: (res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(good()))
  },
  empty: (res) => json(res, 200, {}),
  nullBody: (res) => json(res, 200, null),
  emptyUser: (res) => json(res, 200, { user: {}, expires: future() }),
  noExpires: (res) => json(res, 200, { user: { name: 'x' } }),
  expired: (res) => json(res, 200, { user: { name: 'x' }, expires: new Date(Date.now() - 1000).toISOString() }),
  // GHSA-8fpg-xm3f-6cx3: the error object that once counted as a session
  configError: (res) => json(res, 500, { message: 'There was a problem with the server configuration.' }),
  errorWith200: (res) => json(res, 200, { message: 'There was a problem with the server configuration.' }),
  html: (res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<html>{"user":{"name":"x"}}</html>')
  },
  redirect: (res) => {
    res.writeHead(302, { location: '/api/auth/session?case=ok' })
    res.end()
  },
  huge: (res) => json(res, 200, { ...good(), pad: 'x'.repeat(70 * 1024) }),
  hugeChunked: (res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write(`{"user":{"name":"x"},"expires":"${future()}","pad":"`)
    let n = 0
    const more = () => {
      if (n++ > 40 || res.destroyed) return res.end('"}')
      res.write('y'.repeat(4096), more)
    }
    more()
  },
  duplicate: (res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(`{"user":{},"user":{"name":"x"},"expires":"${future()}"}`)
  },
  silent: () => {},
  slowBody: (res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"user":')
  },
}

function json(res, status, body) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

describe('database sessions: sessionEndpoint', () => {
  let server
  let base
  const seen = [] // { url, headers }
  let connections = 0

  before(async () => {
    server = createServer((rq, res) => {
      seen.push({ url: rq.url, headers: rq.headers })
      const c = new URL(rq.url, 'http://x').searchParams.get('case') ?? 'ok'
      ;(CASES[c] ?? CASES.empty)(res)
    })
    server.on('connection', () => connections++)
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${server.address().port}/api/auth/session`
  })
  after(() => {
    server.closeAllConnections?.()
    server.close()
  })

  const verify = (c, params = {}) =>
    verifySession({
      req: req(`theme=dark; next-auth.csrf-token=abc%7Cdef; ${COOKIE}=${TOKEN}; other=1`),
      strategy: 'database',
      sessionEndpoint: `${base}?case=${c}`,
      cacheTtlMs: 0,
      timeoutMs: 400,
      logger: { error() {} },
      ...params,
    })

  test('a 200 JSON session is accepted, as the endpoint sent it', async () => {
    const s = await verify('ok')
    assert.equal(s.user.email, 'e@example.com')
    assert.ok(Date.parse(s.expires) > Date.now())
    assert.ok(await verify('okCharset'))
  })

  test('only the session cookie is forwarded, to the fixed URL, with no redirect followed', async () => {
    seen.length = 0
    await verify('ok')
    assert.equal(seen.length, 1)
    assert.equal(seen[0].headers.cookie, `${COOKIE}=${TOKEN}`)
    assert.equal(seen[0].headers.authorization, undefined)
    assert.equal(seen[0].url, '/api/auth/session?case=ok')
    seen.length = 0
    assert.equal(await verify('redirect'), null)
    assert.equal(seen.length, 1, 'the redirect was not followed')
  })

  test('everything else is no session (NA-2): {}, null, error objects, HTML, expired, oversized, duplicates', async () => {
    for (const c of ['empty', 'nullBody', 'emptyUser', 'noExpires', 'expired', 'configError', 'errorWith200', 'html', 'huge', 'hugeChunked', 'duplicate']) {
      assert.equal(await verify(c), null, c)
    }
  })

  test('no cookie, a malformed cookie, an oversized token: no request at all', async () => {
    seen.length = 0
    const p = { strategy: 'database', sessionEndpoint: `${base}?case=ok`, cacheTtlMs: 0 }
    assert.equal(await verifySession({ req: req('theme=dark'), ...p }), null)
    assert.equal(await verifySession({ req: req(`${COOKIE}=a%20b`), ...p }), null)
    assert.equal(await verifySession({ req: req(`${COOKIE}=${'t'.repeat(256)}`), ...p }), null)
    assert.equal(await verifySession({ req: req(`${COOKIE}=a; ${COOKIE}=b`), ...p }), null)
    assert.equal(seen.length, 0)
  })

  test('silence and a stalled body: denied at the deadline, one log line', async () => {
    const lines = []
    const logger = { error: (...a) => lines.push(a.join(' ')) }
    // (each URL is its own store, with its own incident state)
    for (const c of ['silent', 'silent', 'silent', 'slowBody']) {
      const t0 = Date.now()
      assert.equal(await verify(c, { logger }), null)
      const took = Date.now() - t0
      assert.ok(took >= 350 && took < 1200, `${c}: ${took} ms (deadline 400)`)
    }
    assert.equal(lines.length, 2, lines.join('\n'))
    assert.match(lines[0], /session endpoint http:\/\/127\.0\.0\.1:\d+\/api\/auth\/session: session lookup failed \(no answer within 400 ms\)/)
    assert.ok(!lines[0].includes(TOKEN))
  })

  test('connections are kept alive', async () => {
    await verify('ok')
    const before = connections
    for (let i = 0; i < 20; i++) assert.ok(await verify('ok'))
    assert.ok(connections - before <= 1, `${connections - before} new connections for 20 lookups`)
  })

  test('cache: served for the TTL without asking again', async () => {
    seen.length = 0
    const p = { cacheTtlMs: 300 }
    for (let i = 0; i < 5; i++) assert.ok(await verify('ok', p))
    assert.equal(seen.length, 1)
    await new Promise((r) => setTimeout(r, 350))
    assert.ok(await verify('ok', p))
    assert.equal(seen.length, 2)
  })

  test('configuration: only a fixed http:// URL, not both sources', async () => {
    await assert.rejects(verify('ok', { sessionEndpoint: 'https://app.example/api/auth/session' }), /http:\/\//)
    await assert.rejects(verify('ok', { sessionEndpoint: '/api/auth/session' }), /absolute http/)
    await assert.rejects(verify('ok', { database: { url: 'x.db' } }), /either `database` or `sessionEndpoint`/)
    await assert.rejects(verifySession({ req: req(''), strategy: 'database' }), /needs `database/)
    await assert.rejects(verifySession({ req: req(''), strategy: 'magic' }), /unknown strategy/)
    await assert.rejects(verifySession({}), /Must pass `req`/)
  })
})
