// explainSession (issue 10): every code, from real next-auth cookies and
// tokens and from real stores; the same decision as getToken/verifySession;
// no token material or secrets in any message.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { SECRET, V4, V4S, nextRequest } from './helpers/tokens.mjs'
import { IS_CI, noPostgresReason } from '../tools/pg.mjs'
import {
  jwtCases, jwtRequest, withEnv, dbCases, dbRequest, dbCookie, DB_TOK, realStores, closedPort,
} from './helpers/codes.mjs'
import { skipOrFail } from './helpers/skip.mjs'

const require = createRequire(import.meta.url)
const nan = require('../lib/index.js')
const { getToken, verifySession, explainSession, errorCodes } = nan

/** No token, no cookie value, no secret anywhere in the text. */
function assertClean(text, cookie, secrets = [SECRET]) {
  for (const pair of cookie.split(';')) {
    const v = pair.split('=').slice(1).join('=').trim()
    if (v.length >= 12) assert.ok(!text.includes(v.slice(0, 12)), `leaks cookie value: ${text}`)
  }
  for (const s of secrets) assert.ok(!text.includes(s), `leaks a secret: ${text}`)
}

describe('explainSession: JWT strategy, every code', () => {
  let cases
  before(async () => {
    cases = await jwtCases()
  })

  test('the codes table lists every code once', () => {
    const codes = errorCodes().map((c) => c.code)
    assert.equal(new Set(codes).size, codes.length)
    for (const c of Object.keys({ ...cases, DB_NOT_FOUND: 1, DB_EXPIRED: 1, DB_NO_USER: 1, DB_UNAVAILABLE: 1, DB_TIMEOUT: 1, ENDPOINT_BAD_RESPONSE: 1 })) {
      if (c !== 'OK') assert.ok(codes.includes(c), c)
    }
  })

  for (const code of ['OK', 'NO_SECRET', 'NO_COOKIE', 'COOKIE_NAME_MISMATCH', 'DUPLICATE_COOKIE', 'CHUNKS_INVALID', 'MALFORMED',
    'HEADER_NOT_ALLOWED', 'DECRYPT_FAILED', 'SIGNATURE_INVALID', 'EXPIRED', 'NOT_YET_VALID', 'CLAIM_INVALID', 'TOO_LARGE', 'CONFIG_INVALID']) {
    test(`${code}: explained, and the same decision as getToken`, async () => {
      const c = cases[code]
      await withEnv(c.noEnvSecret, async () => {
        const r = await explainSession(jwtRequest(c))
        assert.equal(r.code, code, r.message)
        assert.equal(r.ok, code === 'OK')
        assert.equal(typeof r.message, 'string')
        assert.ok(r.message.length > 10 && !r.message.includes('\n'), r.message)
        assert.deepEqual(Object.keys(r).sort(), ['code', 'cookie', 'details', 'message', 'ok', 'session'])
        assertClean(JSON.stringify({ ...r, details: { ...r.details, claims: undefined } }), c.cookie, [SECRET, '123'].filter((s) => code !== 'CONFIG_INVALID' || s !== '123'))
        if (code === 'CONFIG_INVALID') {
          await assert.rejects(getToken(jwtRequest(c)), (e) => e.code === 'CONFIG_INVALID' && /`secret`/.test(e.message))
          return
        }
        const token = await getToken(jwtRequest(c))
        assert.equal(token !== null, code === 'OK', 'explainSession and getToken agree')
        const session = await verifySession(jwtRequest(c))
        assert.deepEqual(r.session, session)
      })
    })
  }

  test('COOKIE_NAME_MISMATCH names the found and the expected cookie and the reason', async () => {
    const c = cases.COOKIE_NAME_MISMATCH
    await withEnv(false, async () => {
      const r = await explainSession(jwtRequest(c))
      assert.deepEqual(r.cookie.found, [V4S])
      assert.equal(r.cookie.expected[0], V4)
      assert.match(r.message, /NEXTAUTH_URL is http:\/\/localhost:3000, so the non-secure name is read/)
      assert.match(r.message, new RegExp(`\`${V4S.replace(/[.]/g, '\\.')}\``))
      // the other way round: https, a plain cookie
      process.env.NEXTAUTH_URL = 'https://app.example'
      const s = await explainSession({ req: nextRequest(c.cookie.replace(V4S, V4)), secret: SECRET })
      assert.equal(s.code, 'COOKIE_NAME_MISMATCH')
      assert.deepEqual(s.cookie.found, [V4])
      assert.match(s.message, /NEXTAUTH_URL is https:\/\/app\.example, so the __Secure- name is read/)
      // a custom cookieName, the default name present
      const u = await explainSession({ req: nextRequest(cases.OK.cookie), secret: SECRET, cookieName: 'my.session', secureCookie: false })
      assert.equal(u.code, 'COOKIE_NAME_MISMATCH')
      assert.match(u.message, /cookieName is set, so `my\.session` is read/)
    })
  })

  test('OK carries the session, the claims and the expiry', async () => {
    await withEnv(false, async () => {
      const r = await explainSession(jwtRequest(cases.OK))
      assert.equal(r.session.user.email, 'demo@example.com')
      assert.equal(r.details.claims.sub, 'user-1')
      assert.ok(r.details.claimNames.includes('jti'))
      assert.equal(r.details.claims.jti, undefined, 'only identity and time claims are copied')
      assert.ok(Date.parse(r.details.expires) > Date.now())
      assert.equal(r.details.secretFrom, 'option')
    })
  })

  test('a decode callback: the code of its rejection', async () => {
    await withEnv(false, async () => {
      const r = await explainSession({ ...jwtRequest(cases.DECRYPT_FAILED), decode: nan.decode })
      assert.equal(r.code, 'DECRYPT_FAILED')
      const e = await explainSession({ ...jwtRequest(cases.EXPIRED), decode: nan.decode })
      assert.equal(e.code, 'EXPIRED')
    })
  })
})

describe('explainSession: database strategy on real stores', { timeout: 120_000 }, () => {
  const stores = realStores()

  for (const backend of ['PostgreSQL', 'SQLite']) {
    test(`${backend}: every database code, the same decision as verifySession`, async (t) => {
      const store = backend === 'PostgreSQL' ? stores.pg : stores.sqlite
      if (!store) return skipOrFail(t, noPostgresReason())
      await withEnv(false, async () => {
        for (const [code, c] of Object.entries(dbCases(store))) {
          const r = await explainSession(dbRequest(c))
          assert.equal(r.code, code, `${backend} ${code}: ${r.message}`)
          assertClean(r.message, c.cookie)
          assert.deepEqual(r.session, await verifySession(dbRequest(c)), code)
        }
      })
    })
  }

  test('DB_UNAVAILABLE: PostgreSQL on a closed port, an SQLite file that is missing', async () => {
    const port = await closedPort()
    const r = await explainSession(dbRequest({ cookie: dbCookie(DB_TOK.valid), params: { database: { url: `postgres://nobody:pw-secret@127.0.0.1:${port}/x`, timeoutMs: 3000 } } }))
    assert.equal(r.code, 'DB_UNAVAILABLE', r.message)
    assert.ok(!JSON.stringify(r).includes('pw-secret'))
    const s = await explainSession(dbRequest({ cookie: dbCookie(DB_TOK.valid), params: { database: { url: '/nonexistent/dir/sessions.db' } } }))
    assert.equal(s.code, 'DB_UNAVAILABLE', s.message)
  })

  test('DB_TIMEOUT: a lookup slower than timeoutMs (real PostgreSQL)', async (t) => {
    if (!stores.pg) return skipOrFail(t, noPostgresReason())
    const r = await explainSession(dbRequest({
      cookie: dbCookie(DB_TOK.valid),
      params: { database: { url: stores.pg.url, schema: { sessionTable: 'SlowSession', userTable: 'User' }, timeoutMs: 300 } },
    }))
    assert.equal(r.code, 'DB_TIMEOUT', r.message)
  })

  test('endpoint: OK, DB_NOT_FOUND and ENDPOINT_BAD_RESPONSE', async () => {
    const ask = (c) => explainSession({ req: nextRequest(dbCookie(DB_TOK.valid)), strategy: 'database', cacheTtlMs: 0, sessionEndpoint: `${stores.endpoint.base}?case=${c}` })
    assert.equal((await ask('ok')).code, 'OK')
    assert.equal((await ask('empty')).code, 'DB_NOT_FOUND')
    assert.equal((await ask('bad')).code, 'ENDPOINT_BAD_RESPONSE')
  })

  test('CONFIG_INVALID: a bad store configuration resolves with the code', async () => {
    const r = await explainSession({ req: nextRequest('a=1'), strategy: 'database', database: { url: 'mysql://x' } })
    assert.equal(r.code, 'CONFIG_INVALID')
    await assert.rejects(verifySession({ req: nextRequest('a=1'), strategy: 'database', database: { url: 'mysql://x' } }), (e) => e.code === 'CONFIG_INVALID')
    const s = await explainSession({ req: nextRequest('a=1'), strategy: 'jvt' })
    assert.equal(s.code, 'CONFIG_INVALID')
    assert.match(s.message, /`strategy`/)
  })
})
