// Database sessions (verifySession, strategy "database") against a real
// PostgreSQL and a real SQLite file, each seeded with both schema presets
// ("prisma": "Session"/"User", TIMESTAMP(3) holding UTC; "pg-adapter":
// sessions/users, TIMESTAMPTZ, integer ids). Then the faults: a slow
// database, an exhausted pool, a server that never answers, and a stopped
// server (our own throw-away cluster), which must all deny quickly.
//
// PostgreSQL: the machine's server (127.0.0.1:5432) or a throw-away cluster
// (tools/pg.mjs). Without either the PostgreSQL parts skip loudly, except
// under CI=true, where that is a failure.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import { readFileSync, writeFileSync, rmSync } from 'node:fs'
import { IS_CI, PG_ADAPTER_DDL, PRISMA_DDL, getPostgres, noPostgresReason, query, startCluster, clusterUnavailable, writeTempFile } from '../tools/pg.mjs'
import { mintV4, SECRET } from './helpers/tokens.mjs'
import { recorder, skipOrFail } from './helpers/skip.mjs'

const require = createRequire(import.meta.url)
const { verifySession } = require('../lib/session.js')
const { NextRequest } = require('next/server')
const initSqlJs = require('sql.js')

const COOKIE = 'next-auth.session-token'
const HOUR = 3600_000

function req(token, extra = 'theme=dark') {
  const cookie = token === undefined ? extra : `${extra}; ${COOKIE}=${token}`
  return new NextRequest('http://localhost:3000/dashboard', { headers: { cookie } })
}

/** A logger that records what it is given. */
const TOK = {
  valid: randomUUID(),
  expired: randomUUID(),
  boundary: randomUUID(),
  orphan: randomUUID(),
  max: 'm'.repeat(255),
  over: 'o'.repeat(256),
  hex: 'ab'.repeat(32),
  short: randomUUID(),
  revoked: randomUUID(),
  late: randomUUID(),
}
// Shaped like SQL injection. Those that pass the charset rule reach the
// database only as a bound parameter and match nothing.
const SQL_SHAPED = [
  "x'OR'1'='1",
  `${TOK.valid}'--`,
  `'%20OR%201=1--`,
  "1;DROP%20TABLE%20sessions",
  `${TOK.valid}%27%20OR%20%271%27=%271`,
  '"sessionToken"',
  "'||(SELECT'x')||'",
  `${TOK.valid}\\`,
]

// ---------------------------------------------------------------------------
// PostgreSQL

/** Seeds both presets. Prisma's TIMESTAMP(3) gets UTC wall-clock values. */
async function seedPostgres(url, boundaryMs) {
  const c = new (require('pg').Client)({ connectionString: url })
  await c.connect()
  try {
    // A non-UTC session time zone while seeding: the stored values must not depend on it.
    await c.query("SET TIME ZONE 'Asia/Kolkata'")
    await c.query(PRISMA_DDL)
    await c.query(PG_ADAPTER_DDL)
    await c.query(`INSERT INTO "User" (id, name, email, image) VALUES ('cuid_1', 'Prisma User', 'p@example.com', 'https://img.example/p.png')`)
    await c.query(`INSERT INTO users (name, email) VALUES ('Pg User', 'g@example.com')`)
    const utc = (ms) => `(now() AT TIME ZONE 'UTC') + interval '${ms} milliseconds'`
    const tz = (ms) => `now() + interval '${ms} milliseconds'`
    const rows = [
      [TOK.valid, HOUR], [TOK.expired, -60_000], [TOK.boundary, boundaryMs], [TOK.max, HOUR],
      [TOK.over, HOUR], [TOK.hex, HOUR], [TOK.short, HOUR], [TOK.revoked, HOUR],
    ]
    for (const [tok, ms] of rows) {
      await c.query(`INSERT INTO "Session" (id, "sessionToken", "userId", expires) VALUES ($1, $1, 'cuid_1', ${utc(ms)})`, [tok])
      if (tok.length <= 255) await c.query(`INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (1, ${tz(ms)}, $1)`, [tok])
    }
    // Orphans: the foreign keys forbid them, so bypass the FK triggers as a superuser would.
    await c.query('SET session_replication_role = replica')
    await c.query(`INSERT INTO "Session" (id, "sessionToken", "userId", expires) VALUES ($1, $1, 'ghost', ${utc(HOUR)})`, [TOK.orphan])
    await c.query(`INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (999, ${tz(HOUR)}, $1)`, [TOK.orphan])
    await c.query('SET session_replication_role = DEFAULT')
    // A slow view for the timeout tests.
    await c.query(`CREATE VIEW slow_sessions AS SELECT s.* FROM sessions s CROSS JOIN LATERAL pg_sleep(3) AS z`)
    // A custom mapping in its own schema.
    await c.query(`CREATE SCHEMA auth;
      CREATE TABLE auth.people (uid BIGINT PRIMARY KEY, display TEXT, mail TEXT);
      CREATE TABLE auth.logins (token TEXT PRIMARY KEY, person BIGINT NOT NULL, valid_until TIMESTAMPTZ NOT NULL);
      INSERT INTO auth.people VALUES (42, 'Custom User', 'c@example.com');`)
    await c.query(`INSERT INTO auth.logins VALUES ($1, 42, now() + interval '1 hour')`, [TOK.valid])
  } finally {
    await c.end()
  }
}

describe('database sessions: PostgreSQL, both presets', { timeout: 5 * 60_000 }, () => {
  let pgs
  let url
  let skip = null
  const db = (schema, extra = {}) => ({ url, schema, timeoutMs: 2000, ...extra })
  const verify = (token, schema, params = {}) =>
    verifySession({ req: req(token), strategy: 'database', cacheTtlMs: 0, database: db(schema), ...params })

  before(async () => {
    pgs = await getPostgres()
    if (!pgs) {
      skip = noPostgresReason()
      return
    }
    url = await pgs.createDatabase('nan_db')
    await seedPostgres(url, 2500)
  })
  after(async () => {
    await pgs?.close()
  })

  test('valid sessions: the /api/auth/session shape, expires as stored (UTC)', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const { rows } = await query(url, `SELECT to_char(expires, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS iso FROM "Session" WHERE "sessionToken" = $1`, [TOK.valid])
    assert.deepEqual(await verify(TOK.valid, 'prisma'), {
      user: { id: 'cuid_1', name: 'Prisma User', email: 'p@example.com', image: 'https://img.example/p.png' },
      expires: rows[0].iso,
    })
    const { rows: g } = await query(url, `SELECT to_char(expires AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS iso FROM sessions WHERE "sessionToken" = $1`, [TOK.valid])
    assert.deepEqual(await verify(TOK.valid, 'pg-adapter'), {
      user: { id: '1', name: 'Pg User', email: 'g@example.com', image: null },
      expires: g[0].iso,
    })
    assert.ok(await verify(TOK.hex, 'prisma'), '64-hex token (next-auth fallback generator)')
    assert.ok(await verify(TOK.max, 'prisma'), 'a 255-character token is still looked up')
    assert.ok(await verify(TOK.max, 'pg-adapter'))
  })

  test('expired, orphaned, unknown and other-preset tokens are no session', async (t) => {
    if (skip) return skipOrFail(t, skip)
    for (const schema of ['prisma', 'pg-adapter']) {
      assert.equal(await verify(TOK.expired, schema), null, `${schema} expired`)
      assert.equal(await verify(TOK.orphan, schema), null, `${schema} orphaned session (no user row)`)
      assert.equal(await verify(randomUUID(), schema), null, `${schema} unknown`)
      assert.equal(await verify(undefined, schema), null, `${schema} no cookie`)
      assert.equal(await verify('', schema), null, `${schema} empty cookie`)
    }
    // A token present in another preset's tables only.
    await query(url, `INSERT INTO "Session" (id, "sessionToken", "userId", expires) VALUES ('only-prisma', 'only-prisma', 'cuid_1', (now() AT TIME ZONE 'UTC') + interval '1 hour')`)
    assert.ok(await verify('only-prisma', 'prisma'))
    assert.equal(await verify('only-prisma', 'pg-adapter'), null)
  })

  test('SQL-shaped and oversized tokens: no session, tables intact', async (t) => {
    if (skip) return skipOrFail(t, skip)
    for (const schema of ['prisma', 'pg-adapter']) {
      for (const tok of SQL_SHAPED) assert.equal(await verify(tok, schema), null, `${schema} ${tok}`)
      // 256 characters: refused before the query, although such a row exists (Prisma's TEXT column).
      assert.equal(await verify(TOK.over, schema), null, `${schema} oversized`)
      assert.equal(await verify('x'.repeat(10_000), schema), null)
    }
    const { rows } = await query(url, 'SELECT (SELECT count(*) FROM sessions)::int AS s, (SELECT count(*) FROM "Session")::int AS p')
    assert.ok(rows[0].s >= 8 && rows[0].p >= 9, JSON.stringify(rows[0]))
  })

  test('expiry at the boundary: valid until expires, then denied (cache off)', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const { rows } = await query(url, `SELECT (extract(epoch FROM expires) * 1000)::float8 AS ms FROM sessions WHERE "sessionToken" = $1`, [TOK.boundary])
    const expiresAt = rows[0].ms
    for (const schema of ['prisma', 'pg-adapter']) {
      if (Date.now() < expiresAt - 300) assert.ok(await verify(TOK.boundary, schema), `${schema} before expires`)
    }
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 150)))
    for (const schema of ['prisma', 'pg-adapter']) {
      assert.equal(await verify(TOK.boundary, schema), null, `${schema} after expires`)
    }
  })

  test('the connection time zone does not move expiry (UTC throughout)', async (t) => {
    if (skip) return skipOrFail(t, skip)
    for (const zone of ['Pacific/Kiritimati', 'America/Los_Angeles']) {
      // libpq syntax: percent-encoded, a space as %20
      const zoned = `${url}?options=${encodeURIComponent(`-c TimeZone=${zone}`)}`
      for (const schema of ['prisma', 'pg-adapter']) {
        const p = { database: { url: zoned, schema } }
        assert.ok(await verify(TOK.valid, schema, p), `${zone} ${schema} valid`)
        assert.equal(await verify(TOK.expired, schema, p), null, `${zone} ${schema} expired`)
      }
    }
  })

  test('cache: revocation within the TTL, never past expires, negative entries expire', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const params = { cacheTtlMs: 600, database: db('pg-adapter') }
    assert.ok(await verify(TOK.revoked, 'pg-adapter', params))
    await query(url, `DELETE FROM sessions WHERE "sessionToken" = $1`, [TOK.revoked])
    const deletedAt = Date.now()
    // Still served from the cache right after the delete …
    assert.ok(await verify(TOK.revoked, 'pg-adapter', params))
    // … and denied once the TTL has passed.
    let deniedAt = null
    while (Date.now() - deletedAt < 2000) {
      if ((await verify(TOK.revoked, 'pg-adapter', params)) === null) {
        deniedAt = Date.now()
        break
      }
      await new Promise((r) => setTimeout(r, 25))
    }
    assert.ok(deniedAt !== null && deniedAt - deletedAt <= 600 + 150, `denied ${deniedAt - deletedAt} ms after the delete (TTL 600)`)

    // Never past expires: an 800 ms session with a 60 s TTL.
    await query(url, `UPDATE sessions SET expires = now() + interval '800 milliseconds' WHERE "sessionToken" = $1`, [TOK.short])
    const long = { cacheTtlMs: 60_000, database: db('pg-adapter') }
    assert.ok(await verify(TOK.short, 'pg-adapter', long))
    await new Promise((r) => setTimeout(r, 1000))
    assert.equal(await verify(TOK.short, 'pg-adapter', long), null)

    // Negative cache: an unknown token stays unknown for the TTL, then is looked up again.
    assert.equal(await verify(TOK.late, 'pg-adapter', params), null)
    await query(url, `INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (1, now() + interval '1 hour', $1)`, [TOK.late])
    assert.equal(await verify(TOK.late, 'pg-adapter', params), null)
    await new Promise((r) => setTimeout(r, 700))
    assert.ok(await verify(TOK.late, 'pg-adapter', params))
  })

  test('custom table/column mapping (schema-qualified), and invalid identifiers', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const schema = {
      sessionTable: 'auth.logins', userTable: 'auth.people', sessionToken: 'token', userId: 'person',
      expires: 'valid_until', id: 'uid', name: 'display', email: 'mail', image: null,
    }
    assert.deepEqual((await verify(TOK.valid, schema)).user, { id: '42', name: 'Custom User', email: 'c@example.com', image: null })
    assert.equal(await verify(TOK.expired, schema), null)
    for (const bad of ['sessions; DROP TABLE users', 'a"b', 'x.y.z', '']) {
      await assert.rejects(verify(TOK.valid, { ...schema, sessionTable: bad }), /invalid session store configuration/)
    }
    await assert.rejects(verify(TOK.valid, 'mongodb'), /unknown schema preset/)
    await assert.rejects(verifySession({ req: req(TOK.valid), strategy: 'database', database: { url: 'mongodb://x/y' } }), /unsupported scheme/)
    // TLS settings are checked when the options are given (db.tls.test.mjs covers TLS itself).
    await assert.rejects(verifySession({ req: req(TOK.valid), strategy: 'database', database: { url: `${url}?sslmode=verify_full` } }), /sslmode/)
  })

  test('token type confusion (SS-5): a JWT in database mode, an opaque token in JWT mode', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const jwe = await mintV4({ sub: '1', name: 'x' })
    assert.equal(await verify(jwe, 'pg-adapter'), null)
    assert.equal(await verifySession({ req: req(TOK.valid), strategy: 'jwt', secret: SECRET }), null)
    // and the JWT strategy answers in the same shape
    assert.deepEqual(await verifySession({ req: req(jwe), strategy: 'jwt', secret: SECRET }), {
      user: { id: '1', name: 'x', email: null, image: null },
      expires: (await verifySession({ req: req(jwe), secret: SECRET })).expires,
    })
  })

  test('slow database: denied at the deadline, one log line, the pool recovers', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const slow = { sessionTable: 'slow_sessions', userTable: 'users' }
    const log = recorder()
    const params = { logger: log, database: { url, schema: slow, timeoutMs: 300, pool: 2 } }
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now()
      assert.equal(await verify(TOK.valid, slow, params), null)
      const took = Date.now() - t0
      assert.ok(took >= 250 && took < 1000, `slow lookup took ${took} ms (deadline 300)`)
    }
    assert.equal(log.lines.length, 1, log.lines.join('\n'))
    assert.match(log.lines[0], /SESSION_STORE.*PostgreSQL .*no answer within 300 ms/)
    assert.ok(!log.lines[0].includes(TOK.valid), 'no token in the log')
    // the same store (same pool) answers fast queries right after
    const pgStore = { logger: log, database: { url, schema: 'pg-adapter', timeoutMs: 300, pool: 2 } }
    assert.ok(await verify(TOK.valid, 'pg-adapter', pgStore))
  })

  test('pool exhausted: concurrent lookups are denied by the deadline, not queued behind it', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const slow = { sessionTable: 'slow_sessions', userTable: 'users' }
    const params = { logger: recorder(), database: { url, schema: slow, timeoutMs: 300, pool: 1 } }
    const t0 = Date.now()
    const results = await Promise.all(Array.from({ length: 6 }, () => verify(TOK.valid, slow, params)))
    const took = Date.now() - t0
    assert.deepEqual(results, Array(6).fill(null))
    assert.ok(took < 1200, `6 lookups on a 1-connection pool took ${took} ms (deadline 300 each)`)
  })

  test('a server that accepts and never answers: denied within the deadline', async (t) => {
    const sockets = new Set()
    const hole = createServer((s) => {
      sockets.add(s)
      s.on('error', () => {})
    })
    await new Promise((r) => hole.listen(0, '127.0.0.1', r))
    const log = recorder()
    try {
      const u = `postgres://postgres@127.0.0.1:${hole.address().port}/nothing`
      for (const schema of ['prisma', 'pg-adapter']) {
        const t0 = Date.now()
        const out = await verifySession({ req: req(TOK.valid), strategy: 'database', cacheTtlMs: 0, logger: log, database: { url: u, schema, timeoutMs: 300 } })
        const took = Date.now() - t0
        assert.equal(out, null)
        assert.ok(took < 1000, `black hole took ${took} ms`)
      }
      assert.ok(log.lines.length >= 1 && log.lines.length <= 2, log.lines.join('\n'))
      assert.match(log.lines[0], /no answer within 300 ms|unavailable/)
    } finally {
      for (const s of sockets) s.destroy()
      hole.close()
    }
  })
})

describe('database sessions: PostgreSQL stopped (own throw-away cluster)', { timeout: 3 * 60_000 }, () => {
  let cluster
  let url
  let skip = null

  before(async () => {
    const reason = clusterUnavailable()
    if (reason) {
      skip = reason
      return
    }
    cluster = await startCluster()
    await query(cluster.url, 'CREATE DATABASE sessions_db')
    url = cluster.url.replace(/\/postgres$/, '/sessions_db')
    await query(url, PG_ADAPTER_DDL)
    await query(url, `INSERT INTO users (name, email) VALUES ('Pg User', 'g@example.com')`)
    await query(url, `INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (1, now() + interval '1 hour', $1)`, [TOK.valid])
  })
  after(async () => {
    await cluster?.destroy()
  })

  test('stopped: denied quickly (no hang), one log line; restarted: allowed again', async (t) => {
    if (skip) return skipOrFail(t, `throw-away PostgreSQL cluster: ${skip}`)
    const log = recorder()
    const params = () => ({ req: req(TOK.valid), strategy: 'database', cacheTtlMs: 0, logger: log, database: { url, schema: 'pg-adapter', timeoutMs: 1000 } })
    assert.ok(await verifySession(params()), 'valid while the server runs (pool warmed)')
    await cluster.stop()
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now()
      assert.equal(await verifySession(params()), null)
      const took = Date.now() - t0
      assert.ok(took < 1000, `lookup with the server stopped took ${took} ms`)
    }
    assert.equal(log.lines.length, 1, log.lines.join('\n'))
    assert.match(log.lines[0], /SESSION_STORE.*PostgreSQL 127\.0\.0\.1:\d+\/sessions_db/)
    assert.ok(!log.lines[0].includes(TOK.valid))
    await cluster.start()
    let back = null
    for (let i = 0; i < 20 && !back; i++) {
      back = await verifySession(params())
      if (!back) await new Promise((r) => setTimeout(r, 100))
    }
    assert.ok(back, 'allowed again once the server is back')
  })
})

// ---------------------------------------------------------------------------
// SQLite

/** Both presets in one SQLite file, as their adapters would store them. */
async function buildSqlite(now, boundaryMs) {
  const SQL = await initSqlJs()
  const db = new SQL.Database()
  db.run(`
    CREATE TABLE "User" (id TEXT PRIMARY KEY, name TEXT, email TEXT UNIQUE, "emailVerified" INTEGER, image TEXT);
    CREATE TABLE "Session" (id TEXT PRIMARY KEY, "sessionToken" TEXT UNIQUE NOT NULL, "userId" TEXT NOT NULL, expires INTEGER NOT NULL);
    CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(255), email VARCHAR(255) UNIQUE, "emailVerified" TEXT, image TEXT);
    CREATE TABLE sessions (id INTEGER PRIMARY KEY, "userId" INTEGER NOT NULL, expires TEXT NOT NULL, "sessionToken" VARCHAR(255) UNIQUE NOT NULL);
    INSERT INTO "User" VALUES ('cuid_1', 'Prisma User', 'p@example.com', NULL, 'https://img.example/p.png');
    INSERT INTO users VALUES (1, 'Pg User', 'g@example.com', NULL, NULL);
  `)
  const rows = [
    [TOK.valid, HOUR], [TOK.expired, -60_000], [TOK.boundary, boundaryMs], [TOK.max, HOUR], [TOK.over, HOUR], [TOK.revoked, HOUR],
  ]
  for (const [tok, ms] of rows) {
    // Prisma on SQLite: DateTime as integer milliseconds; the other tables: ISO text.
    db.run(`INSERT INTO "Session" VALUES (?, ?, 'cuid_1', ?)`, [tok, tok, now + ms])
    db.run(`INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (1, ?, ?)`, [new Date(now + ms).toISOString(), tok])
  }
  db.run(`INSERT INTO "Session" VALUES (?, ?, 'ghost', ?)`, [TOK.orphan, TOK.orphan, now + HOUR])
  db.run(`INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (999, ?, ?)`, [new Date(now + HOUR).toISOString(), TOK.orphan])
  return { SQL, db }
}

describe('database sessions: SQLite file, both presets', () => {
  let tmp
  let file
  const verify = (token, schema, params = {}) =>
    verifySession({ req: req(token), strategy: 'database', cacheTtlMs: 0, database: { url: file, schema }, ...params })

  before(async () => {
    const { db } = await buildSqlite(Date.now(), 2000)
    tmp = writeTempFile('sessions.db', Buffer.from(db.export()))
    file = tmp.file
  })
  after(() => tmp?.remove())

  test('valid sessions in both presets', async () => {
    const p = await verify(TOK.valid, 'prisma')
    assert.deepEqual(p.user, { id: 'cuid_1', name: 'Prisma User', email: 'p@example.com', image: 'https://img.example/p.png' })
    assert.ok(Date.parse(p.expires) > Date.now() + HOUR - 60_000)
    const g = await verify(TOK.valid, 'pg-adapter')
    assert.deepEqual(g.user, { id: '1', name: 'Pg User', email: 'g@example.com', image: null })
    assert.equal(g.expires, p.expires)
    // sqlite:, file: and a plain path all name the file
    assert.ok(await verify(TOK.valid, 'prisma', { database: { url: `sqlite:${file}`, schema: 'prisma' } }))
    assert.ok(await verify(TOK.valid, 'prisma', { database: { url: `file:${file}?mode=ro`, schema: 'prisma' } }))
    assert.ok(await verify(TOK.max, 'prisma'))
  })

  test('expired, boundary, orphaned, unknown, SQL-shaped and oversized tokens', async () => {
    for (const schema of ['prisma', 'pg-adapter']) {
      assert.equal(await verify(TOK.expired, schema), null)
      assert.equal(await verify(TOK.orphan, schema), null)
      assert.equal(await verify(randomUUID(), schema), null)
      assert.equal(await verify(TOK.over, schema), null)
      for (const tok of SQL_SHAPED) assert.equal(await verify(tok, schema), null, tok)
    }
    const b = await verify(TOK.boundary, 'prisma')
    const until = Date.parse(b.expires)
    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now() + 100)))
    assert.equal(await verify(TOK.boundary, 'prisma'), null)
    assert.equal(await verify(TOK.boundary, 'pg-adapter'), null)
  })

  test('revocation: a deleted row is denied within the TTL', async () => {
    const params = { cacheTtlMs: 400 }
    assert.ok(await verify(TOK.revoked, 'pg-adapter', params))
    // Rewrite the file in place without the row (as another process's DELETE would change it).
    const SQL = await initSqlJs()
    const db = new SQL.Database(readFileSync(file))
    db.run(`DELETE FROM sessions WHERE "sessionToken" = ?`, [TOK.revoked])
    const out = Buffer.from(db.export())
    // Bump the file change counter (and its copy at offset 92) as a writing
    // SQLite would, so that open readers drop their page caches.
    const counter = readFileSync(file).readUInt32BE(24) + 1
    out.writeUInt32BE(counter, 24)
    out.writeUInt32BE(counter, 92)
    writeFileSync(file, out)
    assert.ok(await verify(TOK.revoked, 'pg-adapter', params), 'cached within the TTL')
    await new Promise((r) => setTimeout(r, 450))
    assert.equal(await verify(TOK.revoked, 'pg-adapter', params), null)
  })

  test('a missing or unreadable file denies with one log line', async () => {
    const log = recorder()
    const missing = `${file}.missing`
    rmSync(missing, { force: true })
    for (let i = 0; i < 3; i++) {
      assert.equal(await verifySession({ req: req(TOK.valid), database: { url: missing }, logger: log, cacheTtlMs: 0 }), null)
    }
    assert.equal(log.lines.length, 1)
    assert.match(log.lines[0], /SESSION_STORE.*SQLite/)
    const junk = writeTempFile('junk.db', 'this is not a database file at all, just text that is long enough')
    try {
      assert.equal(await verifySession({ req: req(TOK.valid), database: { url: junk.file }, logger: log, cacheTtlMs: 0 }), null)
    } finally {
      junk.remove()
    }
  })
})
