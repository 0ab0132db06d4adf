// Revocation across instances (issue 11): two separate Node processes share
// one store, each with a long cache TTL and a cached session. The session is
// deleted from a third process (this one); with push on, both must deny it
// within 100 ms; with push off they keep serving it until the TTL.
//
// Redis: keyspace notifications (redis-server started with
// notify-keyspace-events K$gx). PostgreSQL: LISTEN/NOTIFY with the README's
// opt-in trigger. Throw-away servers; loud skips outside CI only.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { IS_CI, PRISMA_DDL, getPostgres, noPostgresReason, query } from '../tools/pg.mjs'
import { redisUnavailable, startRedis } from '../tools/redis.mjs'
import { skipOrFail } from './helpers/skip.mjs'

const SESSION_JS = fileURLToPath(new URL('../lib/session.js', import.meta.url))
const HOUR = 3600_000

// One instance: warms its cache, waits until push is live (when on), says
// "ready", then checks the session every millisecond and reports the first
// denial with a wall-clock timestamp (performance.timeOrigin + now()).
const CHILD = `
const { verifySession, _internal } = require(${JSON.stringify(SESSION_JS)})
const cfg = JSON.parse(process.argv[1])
const params = { req: { headers: { cookie: 'next-auth.session-token=' + cfg.token } }, cacheTtlMs: cfg.ttl, database: cfg.database,
  logger: { error: (...a) => process.stderr.write(a.join(' ') + '\\n') } }
const now = () => performance.timeOrigin + performance.now()
;(async () => {
  const first = await verifySession(params)
  if (!first) { console.log('nosession'); return }
  const end = Date.now() + 15000
  while (cfg.waitPush && !_internal.pushLive(params)) {
    if (Date.now() > end) { console.log('nopush'); return }
    await new Promise((r) => setTimeout(r, 20))
  }
  // The subscription clears the cache once when it is established: warm it again.
  await verifySession(params)
  console.log('ready')
  let lookups = 0
  for (;;) {
    const s = await verifySession(params)
    lookups++
    if (!s) { console.log('denied ' + now() + ' ' + lookups); return }
    if (Date.now() > end + 30000) { console.log('timeout'); return }
    await new Promise((r) => setTimeout(r, 1))
  }
})()
`

function instance(cfg) {
  const child = spawn(process.execPath, ['-e', CHILD, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const lines = createInterface({ input: child.stdout })
  const waiters = []
  const seen = []
  lines.on('line', (l) => {
    seen.push(l)
    for (const w of waiters.splice(0)) w()
  })
  const next = (pred, ms) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`instance: no ${pred} within ${ms} ms; saw ${JSON.stringify(seen)}; stderr ${stderr}`)), ms)
    const check = () => {
      const hit = seen.find((l) => l.startsWith(pred))
      if (hit) {
        clearTimeout(t)
        resolve(hit)
      } else waiters.push(check)
    }
    check()
  })
  return { child, next, kill: () => child.kill('SIGKILL'), stderr: () => stderr }
}

/** Starts two instances, deletes with `revoke`, returns each instance's latency in ms (or null: not denied within `waitMs`). */
async function twoInstances(cfg, revoke, waitMs) {
  const a = instance(cfg)
  const b = instance(cfg)
  try {
    await Promise.all([a.next('ready', 30_000), b.next('ready', 30_000)])
    const t0 = performance.timeOrigin + performance.now()
    await revoke()
    const lat = async (x) => {
      try {
        const line = await x.next('denied', waitMs)
        return Number(line.split(' ')[1]) - t0
      } catch {
        return null
      }
    }
    return await Promise.all([lat(a), lat(b)])
  } finally {
    a.kill()
    b.kill()
  }
}

const results = []

describe('revocation push across two processes: Redis keyspace notifications', { timeout: 3 * 60_000 }, () => {
  let r = null
  const skip = redisUnavailable()
  before(async () => {
    if (skip) return
    r = await startRedis({ notify: 'K$gx' })
    await r.cmd('SET', 'user:u1', JSON.stringify({ id: 'u1', name: 'N', email: 'n@example.com', image: null }))
  })
  after(async () => {
    await r?.destroy()
    if (results.length) console.log(`revocation latency (ms): ${results.join('; ')}`)
  })
  const seedSession = async (tok) =>
    r.cmd('SET', `user:session:${tok}`, JSON.stringify({ sessionToken: tok, userId: 'u1', expires: new Date(Date.now() + HOUR) }))

  test('push on: both instances deny a deleted session within 100 ms', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const lat = []
    for (let round = 0; round < 3; round++) {
      const tok = randomUUID()
      await seedSession(tok)
      const [a, b] = await twoInstances({ token: tok, ttl: 30_000, waitPush: true, database: { url: r.url(), schema: 'upstash-redis' } },
        () => r.cmd('DEL', `user:session:${tok}`), 2000)
      assert.ok(a !== null && b !== null, `round ${round}: not denied (${a}, ${b})`)
      lat.push(a, b)
    }
    results.push(`redis push on: ${lat.map((x) => x.toFixed(1)).join(', ')}`)
    for (const x of lat) assert.ok(x < 100, `denied ${x.toFixed(1)} ms after the DEL (limit 100): ${lat.join(', ')}`)
  })

  test('an expiring key (EXPIRE) and an overwritten one (SET) are evicted too', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const tok = randomUUID()
    await seedSession(tok)
    const [a, b] = await twoInstances({ token: tok, ttl: 30_000, waitPush: true, database: { url: r.url() } },
      () => r.cmd('PEXPIRE', `user:session:${tok}`, 1), 2000)
    assert.ok(a !== null && b !== null && a < 500 && b < 500, `${a} ${b}`)
    const tok2 = randomUUID()
    await seedSession(tok2)
    const [c, d] = await twoInstances({ token: tok2, ttl: 30_000, waitPush: true, database: { url: r.url() } },
      () => r.cmd('SET', `user:session:${tok2}`, JSON.stringify({ sessionToken: tok2, userId: 'u1', expires: new Date(Date.now() - 1000) })), 2000)
    assert.ok(c !== null && d !== null && c < 100 && d < 100, `${c} ${d}`)
  })

  test('push off: the bound stays the cache TTL', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const tok = randomUUID()
    await seedSession(tok)
    const ttl = 1500
    const [a, b] = await twoInstances({ token: tok, ttl, database: { url: r.url(), push: false } },
      () => r.cmd('DEL', `user:session:${tok}`), ttl + 2000)
    results.push(`redis push off (TTL ${ttl}): ${[a, b].map((x) => x?.toFixed(1)).join(', ')}`)
    for (const x of [a, b]) {
      assert.ok(x !== null, 'denied once the TTL is over')
      assert.ok(x > 300 && x < ttl + 500, `denied after ${x} ms; expected only after the cache entry ended (TTL ${ttl})`)
    }
  })
})

describe('revocation push: a Redis without keyspace notifications', { timeout: 60_000 }, () => {
  let r = null
  const skip = redisUnavailable()
  before(async () => {
    if (skip) return
    r = await startRedis({ notify: '' })
    await r.cmd('SET', 'user:u1', JSON.stringify({ id: 'u1', name: 'N', email: null, image: null }))
  })
  after(async () => {
    await r?.destroy()
  })

  test('push is not live, one line says why, lookups still work (TTL bound)', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const { verifySession, _internal } = createRequire(import.meta.url)('../lib/session.js')
    const lines = []
    const logger = { error: (...a) => lines.push(a.join(' ')) }
    const params = (tok) => ({ req: { headers: { cookie: `next-auth.session-token=${tok}` } }, cacheTtlMs: 5000, logger, database: { url: r.url() } })
    const toks = [randomUUID(), randomUUID(), randomUUID()]
    for (const tok of toks) {
      await r.cmd('SET', `user:session:${tok}`, JSON.stringify({ sessionToken: tok, userId: 'u1', expires: new Date(Date.now() + HOUR) }))
    }
    assert.ok(await verifySession(params(toks[0])))
    await new Promise((res) => setTimeout(res, 700))
    assert.ok(await verifySession(params(toks[1])))
    assert.ok(await verifySession(params(toks[2])))
    assert.equal(_internal.pushLive(params(toks[0])), false)
    assert.equal(lines.filter((l) => /notify-keyspace-events/.test(l)).length, 1, lines.join('\n'))
  })
})

describe('revocation push across two processes: PostgreSQL LISTEN/NOTIFY', { timeout: 3 * 60_000 }, () => {
  let pgs = null
  let url
  let skip = null
  before(async () => {
    pgs = await getPostgres()
    if (!pgs) {
      skip = noPostgresReason()
      return
    }
    url = await pgs.createDatabase('nan_push')
    await query(url, PRISMA_DDL)
    await query(url, `INSERT INTO "User" (id, name) VALUES ('cuid_1', 'P')`)
    // The README's opt-in trigger, verbatim.
    await query(url, PG_TRIGGER)
  })
  after(async () => {
    await pgs?.close()
    if (results.length) console.log(`revocation latency (ms): ${results.join('; ')}`)
  })
  const seed = (tok) => query(url, `INSERT INTO "Session" (id, "sessionToken", "userId", expires) VALUES ($1, $1, 'cuid_1', (now() AT TIME ZONE 'UTC') + interval '1 hour')`, [tok])

  test('push on (with the trigger): both instances deny a deleted session within 100 ms', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const lat = []
    for (let round = 0; round < 3; round++) {
      const tok = randomUUID()
      await seed(tok)
      const [a, b] = await twoInstances({ token: tok, ttl: 30_000, waitPush: true, database: { url, schema: 'prisma', push: true } },
        () => query(url, `DELETE FROM "Session" WHERE "sessionToken" = $1`, [tok]), 2000)
      assert.ok(a !== null && b !== null, `round ${round}: not denied (${a}, ${b})`)
      lat.push(a, b)
    }
    results.push(`postgres push on: ${lat.map((x) => x.toFixed(1)).join(', ')}`)
    for (const x of lat) assert.ok(x < 100, `denied ${x.toFixed(1)} ms after the DELETE (limit 100): ${lat.join(', ')}`)
  })

  test('push off (the default for PostgreSQL): the bound stays the cache TTL', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const tok = randomUUID()
    await seed(tok)
    const ttl = 1500
    const [a, b] = await twoInstances({ token: tok, ttl, database: { url, schema: 'prisma' } },
      () => query(url, `DELETE FROM "Session" WHERE "sessionToken" = $1`, [tok]), ttl + 2000)
    for (const x of [a, b]) assert.ok(x !== null && x > 300 && x < ttl + 500, `denied after ${x} ms (TTL ${ttl})`)
  })
})

// README, "Revocation across instances": the PostgreSQL trigger (Prisma's "Session" table).
const PG_TRIGGER = `
CREATE OR REPLACE FUNCTION next_auth_native_revoke() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('next_auth_native_revoke', encode(sha256(convert_to(OLD."sessionToken", 'UTF8')), 'hex'));
  RETURN NULL;
END $$;
CREATE TRIGGER next_auth_native_revoke AFTER DELETE OR UPDATE ON "Session"
  FOR EACH ROW EXECUTE FUNCTION next_auth_native_revoke();
`
