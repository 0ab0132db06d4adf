// Database sessions on Redis (issue 11): a throw-away redis-server
// (tools/redis.mjs), written the way the adapters write it:
//   "upstash-redis": @auth/upstash-redis-adapter / @next-auth/upstash-redis-adapter:
//     SET <baseKeyPrefix>user:session:<token> JSON.stringify(session) (Upstash's client
//     passes strings through), SET <baseKeyPrefix>user:<id> JSON.stringify(user);
//   "unstorage": @auth/unstorage-adapter on unstorage's Redis driver: the same JSON,
//     under <base>:<baseKeyPrefix>user:session:<token>.
// Then glob-shaped tokens, revocation, TLS (rediss:// with an openssl CA), a
// stopped server and one that never answers.
//
// Without redis-server the tests skip loudly, except under CI=true.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import { IS_CI } from '../tools/pg.mjs'
import { redisUnavailable, startRedis } from '../tools/redis.mjs'
import { recorder, skipOrFail } from './helpers/skip.mjs'

const require = createRequire(import.meta.url)
const { verifySession } = require('../lib/session.js')
const { NextRequest } = require('next/server')

const COOKIE = 'next-auth.session-token'
const HOUR = 3600_000

function req(token) {
  const cookie = token === undefined ? 'theme=dark' : `theme=dark; ${COOKIE}=${token}`
  return new NextRequest('http://localhost:3000/dashboard', { headers: { cookie } })
}

const USER = { id: 'b9f4c1a2-user', name: 'Redis User', email: 'r@example.com', emailVerified: null, image: 'https://img.example/r.png' }

/** What the adapters' setSession/setUser write (values as JSON text). */
async function writeSession(r, prefix, token, { expires = new Date(Date.now() + HOUR), userId = USER.id } = {}) {
  await r.cmd('SET', `${prefix}user:session:${token}`, JSON.stringify({ sessionToken: token, userId, expires }))
  await r.cmd('SET', `${prefix}user:session:by-user-id:${userId}`, `${prefix}user:session:${token}`)
}
async function writeUser(r, prefix, user = USER) {
  await r.cmd('SET', `${prefix}user:${user.id}`, JSON.stringify(user))
  await r.cmd('SET', `${prefix}user:email:${user.email}`, user.id)
}

describe('database sessions: Redis, upstash-redis and unstorage layouts', { timeout: 4 * 60_000 }, () => {
  let r = null
  const skip = redisUnavailable()
  const T = { valid: randomUUID(), expired: randomUUID(), orphan: randomUUID(), revoked: randomUUID(), hex: 'cd'.repeat(32) }
  const verify = (token, extra = {}, params = {}) =>
    verifySession({ req: req(token), cacheTtlMs: 0, ...params, database: { url: r.url(), timeoutMs: 1500, ...extra } })

  before(async () => {
    if (skip) return
    r = await startRedis()
    for (const prefix of ['', 'app1:', 'nuxt:app2:']) {
      await writeUser(r, prefix)
      for (const tok of [T.valid, T.revoked, T.hex]) await writeSession(r, prefix, tok)
      await writeSession(r, prefix, T.expired, { expires: new Date(Date.now() - 60_000) })
      await writeSession(r, prefix, T.orphan, { userId: 'ghost' })
    }
  })
  after(async () => {
    await r?.destroy()
  })

  test('valid sessions: the /api/auth/session shape, expires as the adapter stored it', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const expected = async (prefix) => {
      const stored = JSON.parse(await r.cmd('GET', `${prefix}user:session:${T.valid}`))
      return { user: { id: USER.id, name: USER.name, email: USER.email, image: USER.image }, expires: stored.expires }
    }
    assert.deepEqual(await verify(T.valid), await expected('')) // schema defaults to "upstash-redis" for redis:// URLs
    assert.deepEqual(await verify(T.valid, { schema: 'upstash-redis' }), await expected(''))
    assert.deepEqual(await verify(T.valid, { schema: 'upstash-redis', keyPrefix: 'app1:' }), await expected('app1:'))
    assert.deepEqual(await verify(T.valid, { schema: 'unstorage' }), await expected(''))
    assert.deepEqual(await verify(T.valid, { schema: 'unstorage', base: 'nuxt', keyPrefix: 'app2:' }), await expected('nuxt:app2:'))
    assert.ok(await verify(T.hex))
  })

  test('expired, orphaned, unknown and other-prefix tokens are no session', async (t) => {
    if (skip) return skipOrFail(t, skip)
    for (const extra of [{}, { keyPrefix: 'app1:' }, { schema: 'unstorage', base: 'nuxt', keyPrefix: 'app2:' }]) {
      const tag = JSON.stringify(extra)
      assert.equal(await verify(T.expired, extra), null, `${tag} expired`)
      assert.equal(await verify(T.orphan, extra), null, `${tag} orphaned`)
      assert.equal(await verify(randomUUID(), extra), null, `${tag} unknown`)
      assert.equal(await verify(undefined, extra), null, `${tag} no cookie`)
    }
    await writeSession(r, 'only:', 'only-prefixed')
    await writeUser(r, 'only:')
    assert.ok(await verify('only-prefixed', { keyPrefix: 'only:' }))
    assert.equal(await verify('only-prefixed'), null)
  })

  test('glob-shaped tokens name one key and match no other', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const globs = ['*', '?', `${T.valid.slice(0, 8)}*`, `${T.valid.slice(0, -1)}?`, '[a-f0-9]*', `[${T.valid[0]}]*`, '\\*', 'user:session:*']
    for (const g of globs) {
      assert.equal(await verify(g), null, g)
      assert.equal(await verify(g, { schema: 'unstorage' }), null, g)
    }
    // A key literally named with glob characters is still found exactly.
    await writeSession(r, '', 'lit*[x]?')
    assert.ok(await verify('lit*[x]?'))
    assert.equal(await verify('lit*'), null)
    // Tokens that unstorage would normalise to another key are refused there.
    for (const odd of [`${T.valid}?x`, `:${T.valid}`, `${T.valid}:`]) assert.equal(await verify(odd, { schema: 'unstorage' }), null, odd)
  })

  test('revocation with the cache off: DEL (upstash) and UNLINK (unstorage) deny the next lookup', async (t) => {
    if (skip) return skipOrFail(t, skip)
    assert.ok(await verify(T.revoked))
    await r.cmd('DEL', `user:session:${T.revoked}`)
    assert.equal(await verify(T.revoked), null)
    assert.ok(await verify(T.revoked, { schema: 'unstorage', base: 'nuxt', keyPrefix: 'app2:' }))
    await r.cmd('UNLINK', `nuxt:app2:user:session:${T.revoked}`)
    assert.equal(await verify(T.revoked, { schema: 'unstorage', base: 'nuxt', keyPrefix: 'app2:' }), null)
  })

  test('bad values deny with one log line (no token in it): not JSON, a hash, no expires', async (t) => {
    if (skip) return skipOrFail(t, skip)
    await r.cmd('SET', 'user:session:bad-json', '{nope')
    await r.cmd('HSET', 'user:session:a-hash', 'sessionToken', 'a-hash')
    await r.cmd('SET', 'user:session:no-expires', JSON.stringify({ sessionToken: 'no-expires', userId: USER.id }))
    await r.cmd('SET', 'user:session:other-token', JSON.stringify({ sessionToken: 'someone-else', userId: USER.id, expires: new Date(Date.now() + HOUR) }))
    for (const tok of ['bad-json', 'a-hash', 'no-expires']) {
      const log = recorder()
      assert.equal(await verify(tok, {}, { logger: log }), null, tok)
      assert.equal(await verify(tok, {}, { logger: log }), null, tok)
      assert.equal(log.lines.length, 1, `${tok}: one line per incident: ${log.lines.join('\n')}`)
      assert.ok(!log.lines[0].includes(tok), log.lines[0])
      assert.ok(await verify(T.valid), 'a good lookup ends the incident')
    }
    assert.equal(await verify('other-token'), null, 'the stored sessionToken must be the cookie\'s')
  })

  test('configuration errors are reported up front', async (t) => {
    if (skip) return skipOrFail(t, skip)
    await assert.rejects(verify(T.valid, { schema: 'prisma' }), /unknown Redis schema preset/)
    await assert.rejects(verify(T.valid, { schema: { sessionTable: 'x' } }), /does not apply to Redis/)
    await assert.rejects(verify(T.valid, { schema: 'upstash-redis', base: 'x' }), /unstorage/)
    await assert.rejects(verify(T.valid, { push: 'sometimes' }), /push/)
    await assert.rejects(verifySession({ req: req(T.valid), database: { url: 'postgres://h/db', keyPrefix: 'x' } }), /Redis stores only/)
  })

  test('server stopped: denied within the deadline, one log line; restarted: allowed again', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const log = recorder()
    const p = () => verifySession({ req: req(T.valid), cacheTtlMs: 0, logger: log, database: { url: r.url(), timeoutMs: 500 } })
    assert.ok(await p())
    await r.stop()
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now()
      assert.equal(await p(), null)
      assert.ok(Date.now() - t0 < 500 + 400, `denied after ${Date.now() - t0} ms`)
    }
    assert.equal(log.lines.length, 1, log.lines.join('\n'))
    assert.match(log.lines[0], /SESSION_STORE\] Redis 127\.0\.0\.1:\d+\/0: session lookup failed/)
    await r.start()
    for (const prefix of ['']) {
      await writeUser(r, prefix)
      await writeSession(r, prefix, T.valid)
    }
    let ok = null
    for (let i = 0; i < 20 && !ok; i++) {
      ok = await p()
      if (!ok) await new Promise((res) => setTimeout(res, 200))
    }
    assert.ok(ok, 'allowed again after the restart')
  })

  test('a server that accepts and never answers: denied within the deadline', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const sockets = []
    const silent = createServer((s) => sockets.push(s))
    await new Promise((res) => silent.listen(0, '127.0.0.1', res))
    try {
      const log = recorder()
      const t0 = Date.now()
      const out = await Promise.all([1, 2, 3].map(() => verifySession({
        req: req(T.valid), cacheTtlMs: 0, logger: log,
        database: { url: `redis://127.0.0.1:${silent.address().port}`, timeoutMs: 400, push: false },
      })))
      assert.deepEqual(out, [null, null, null])
      assert.ok(Date.now() - t0 < 400 + 600, `${Date.now() - t0} ms`)
      assert.ok(log.lines.length >= 1 && log.lines.length <= 3, log.lines.join('\n'))
    } finally {
      for (const s of sockets) s.destroy()
      silent.close()
    }
  })
})

describe('Redis over TLS (rediss://) with an openssl-generated CA', { timeout: 4 * 60_000 }, () => {
  let r = null
  const skip = redisUnavailable()
  before(async () => {
    if (skip) return
    r = await startRedis({ tls: true })
    await writeUser(r, '')
    await writeSession(r, '', 'tls-token')
  })
  after(async () => {
    await r?.destroy()
  })
  const v = (url, logger) => verifySession({ req: req('tls-token'), cacheTtlMs: 0, logger, database: { url, timeoutMs: 2000 } })

  test('the right CA: found; another CA, no CA, or plain text to the TLS port: denied, one log line each', async (t) => {
    if (skip) return skipOrFail(t, skip)
    assert.ok(await v(`${r.tlsUrl()}?ssl-ca=${encodeURIComponent(r.certs.ca)}`))
    assert.ok(await v(`${r.tlsUrl(0, 'localhost')}?ssl-ca=${encodeURIComponent(r.certs.ca)}`))
    for (const u of [
      `${r.tlsUrl()}?ssl-ca=${encodeURIComponent(r.certs.otherCa)}`,
      r.tlsUrl(), // the system roots do not know our CA
      `redis://127.0.0.1:${r.tlsPort}/0`,
    ]) {
      const log = recorder()
      assert.equal(await v(u, log), null, u)
      assert.equal(await v(u, log), null, u)
      assert.equal(log.lines.length, 1, `${u}: ${log.lines.join('\n')}`)
    }
  })
})
