// getToken stays null-on-failure and tells logger.debug why (issue 10):
// once per failed decision, rate-limited per code and configuration; the
// same codes as explainSession; withAuth's logger/debug options; decode
// rejects with the codes next-auth's decode (jose 4) gives.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { SECRET, OTHER_SECRET, V4, mintV4, craftJwe, now, nextRequest, nextAuthJwt } from './helpers/tokens.mjs'
import { IS_CI, noPostgresReason } from '../tools/pg.mjs'
import { jwtCases, jwtRequest, withEnv, dbCases, dbRequest, dbCookie, DB_TOK, realStores } from './helpers/codes.mjs'
import { skipOrFail } from './helpers/skip.mjs'

const require = createRequire(import.meta.url)
const nan = require('../lib/index.js')
const withAuth = require('../lib/middleware.js')

function recorder() {
  const calls = []
  return { calls, debug: (code, meta) => calls.push([code, meta]), error() {}, warn() {} }
}

const JWT_FAILURES = ['NO_SECRET', 'NO_COOKIE', 'COOKIE_NAME_MISMATCH', 'DUPLICATE_COOKIE', 'CHUNKS_INVALID', 'MALFORMED',
  'HEADER_NOT_ALLOWED', 'DECRYPT_FAILED', 'SIGNATURE_INVALID', 'EXPIRED', 'NOT_YET_VALID', 'CLAIM_INVALID', 'TOO_LARGE']

describe('getToken with logger.debug', () => {
  let cases
  before(async () => {
    cases = await jwtCases()
  })

  for (const code of JWT_FAILURES) {
    test(`${code}: null, and logger.debug(code, metadata) once, rate-limited`, async () => {
      const c = cases[code]
      await withEnv(c.noEnvSecret, async () => {
        const logger = recorder()
        assert.equal(await nan.getToken({ ...jwtRequest(c), logger }), null)
        assert.equal(logger.calls.length, 1)
        const [got, meta] = logger.calls[0]
        assert.equal(got, code, meta.message)
        assert.equal(typeof meta.message, 'string')
        assert.ok(Array.isArray(meta.cookie.expected))
        const text = JSON.stringify(meta)
        assert.ok(!text.includes(SECRET))
        const v = c.cookie.split(';').map((p) => p.split('=').slice(1).join('=')).find((x) => x.length > 20)
        if (v) assert.ok(!text.includes(v.slice(0, 20)), 'no token material')
        // the same code and configuration again: suppressed
        assert.equal(nan.getTokenSync({ ...jwtRequest(c), logger }), null)
        assert.equal(logger.calls.length, 1)
      })
    })
  }

  test('OK logs nothing; debug off logs nothing; debug: true without a logger uses console.debug', async () => {
    await withEnv(false, async () => {
      const logger = recorder()
      assert.ok(await nan.getToken({ ...jwtRequest(cases.OK), logger }))
      assert.equal(logger.calls.length, 0)
      const quiet = { error() {}, warn() {} }
      assert.equal(await nan.getToken({ ...jwtRequest(cases.EXPIRED), logger: quiet }), null)
      const orig = console.debug
      const seen = []
      console.debug = (...a) => seen.push(a)
      try {
        assert.equal(await nan.getToken({ ...jwtRequest(cases.MALFORMED), debug: true }), null)
      } finally {
        console.debug = orig
      }
      assert.equal(seen.length, 1)
      assert.equal(seen[0][0], '[next-auth-native][debug][MALFORMED]')
    })
  })

  test('different codes under one configuration are each logged', async () => {
    await withEnv(false, async () => {
      const logger = recorder()
      await nan.getToken({ ...jwtRequest(cases.EXPIRED), logger })
      await nan.getToken({ ...jwtRequest(cases.DECRYPT_FAILED), logger })
      await nan.getToken({ ...jwtRequest(cases.EXPIRED), logger })
      assert.deepEqual(logger.calls.map((c) => c[0]), ['EXPIRED', 'DECRYPT_FAILED'])
    })
  })
})

describe('withAuth: logger and debug options', () => {
  test('a denial is logged with its code; the response is next-auth\'s', async () => {
    await withEnv(false, async () => {
      const logger = recorder()
      const mw = withAuth({ secret: SECRET, logger })
      const expired = await mintV4(undefined, { maxAge: -3600 })
      const res = await mw(nextRequest(`${V4}=${expired}`), {})
      assert.equal(res.status, 307)
      assert.deepEqual(logger.calls.map((c) => c[0]), ['EXPIRED'])
      const ok = await mw(nextRequest(`${V4}=${await mintV4()}`), {})
      assert.equal(ok, undefined)
      assert.equal(logger.calls.length, 1)
    })
  })

  test('CONFIG_INVALID at withAuth(...) time, naming the option and the fix', () => {
    const bad = [
      [{ unauthorized: 'jsn' }, /`unauthorized`.*'redirect', 'json', 'auto'/],
      [{ forwardIdentity: 'role' }, /`forwardIdentity`.*\['role'\]/],
      [{ publicPaths: ['dashboard'] }, /`publicPaths`.*'\/dashboard'/],
      [{ secret: 123 }, /`secret`.*string/],
    ]
    for (const [options, msg] of bad) {
      assert.throws(() => withAuth(options), (e) => e.code === 'CONFIG_INVALID' && msg.test(e.message), JSON.stringify(options))
      assert.throws(() => withAuth(() => {}, options), (e) => e.code === 'CONFIG_INVALID')
    }
    assert.equal(typeof withAuth({ unauthorized: 'json', forwardIdentity: ['sub'], publicPaths: ['/about'], secret: SECRET }), 'function')
  })

  test('withAuth(req, options): rejected on first use', async () => {
    await assert.rejects(withAuth(nextRequest('a=1'), { unauthorized: 'jsn' }), (e) => e.code === 'CONFIG_INVALID')
  })
})

describe('verifySession (database) with logger.debug, real stores', { timeout: 60_000 }, () => {
  const stores = realStores()

  for (const backend of ['PostgreSQL', 'SQLite']) {
    test(`${backend}: each database code is logged`, async (t) => {
      const store = backend === 'PostgreSQL' ? stores.pg : stores.sqlite
      if (!store) return skipOrFail(t, noPostgresReason())
      await withEnv(false, async () => {
        for (const [code, c] of Object.entries(dbCases(store))) {
          const logger = recorder()
          const s = await nan.verifySession({ ...dbRequest(c), logger })
          if (code === 'OK') {
            assert.ok(s)
            assert.equal(logger.calls.length, 0)
            continue
          }
          assert.equal(s, null)
          assert.deepEqual(logger.calls.map((x) => x[0]), [code], backend)
        }
      })
    })
  }

  test('DB_UNAVAILABLE, DB_TIMEOUT and ENDPOINT_BAD_RESPONSE are logged', async (t) => {
    const logger = recorder()
    await nan.verifySession({ ...dbRequest({ cookie: dbCookie(DB_TOK.valid), params: { database: { url: '/nonexistent/dir/s.db' } } }), logger })
    await nan.verifySession({ req: nextRequest(dbCookie(DB_TOK.valid)), strategy: 'database', cacheTtlMs: 0, sessionEndpoint: `${stores.endpoint.base}?case=bad`, logger })
    assert.deepEqual(logger.calls.map((x) => x[0]), ['DB_UNAVAILABLE', 'ENDPOINT_BAD_RESPONSE'])
    if (!stores.pg) return skipOrFail(t, noPostgresReason())
    await nan.verifySession({
      ...dbRequest({ cookie: dbCookie(DB_TOK.valid), params: { database: { url: stores.pg.url, schema: { sessionTable: 'SlowSession', userTable: 'User' }, timeoutMs: 300 } } }),
      logger,
    })
    assert.equal(logger.calls.at(-1)[0], 'DB_TIMEOUT')
  })
})

describe('decode rejects with jose\'s codes, as next-auth\'s decode does (differential)', () => {
  test('ERR_JWE_DECRYPTION_FAILED, ERR_JWT_EXPIRED, ERR_JWE_INVALID, ERR_JWT_CLAIM_VALIDATION_FAILED', async () => {
    const inputs = {
      wrongSecret: await mintV4(undefined, { secret: OTHER_SECRET }),
      expired: await mintV4(undefined, { maxAge: -3600 }),
      garbage: 'not-a-jwe',
      fourSegments: 'a.b.c.d',
      notYetValid: await craftJwe(JSON.stringify({ sub: 'u', nbf: now() + 600, exp: now() + 3600 })),
    }
    const expected = {
      wrongSecret: 'ERR_JWE_DECRYPTION_FAILED', expired: 'ERR_JWT_EXPIRED', garbage: 'ERR_JWE_INVALID',
      fourSegments: 'ERR_JWE_INVALID', notYetValid: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    }
    for (const [name, token] of Object.entries(inputs)) {
      const theirs = await nextAuthJwt.decode({ token, secret: SECRET }).then(() => null, (e) => e)
      const ours = await nan.decode({ token, secret: SECRET }).then(() => null, (e) => e)
      assert.ok(theirs && ours, name)
      assert.equal(theirs.code, expected[name], `next-auth ${name}`)
      assert.equal(ours.code, theirs.code, name)
      assert.equal(ours.name, theirs.name, name)
      assert.equal(ours.message, theirs.message, name)
      if (theirs.claim) assert.equal(ours.claim, theirs.claim, name)
      if (theirs.reason) assert.equal(ours.reason, theirs.reason, name)
    }
  })
})
