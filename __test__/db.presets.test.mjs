// The "drizzle" and "kysely" schema presets against a real PostgreSQL, each
// seeded from the adapter's published schema (tools/pg.mjs DRIZZLE_DDL,
// KYSELY_DDL) and written the way the adapter writes:
//
// - @auth/drizzle-adapter: `session`/`user`, text ids, `expires timestamp`
//   with mode "date" (drizzle sends Date.toISOString(); a timestamp column
//   drops the "Z", so it holds UTC wall-clock time, whatever the session
//   time zone);
// - @auth/kysely-adapter: "Session"/"User" (its Database interface), uuid
//   ids, `expires timestamptz`.
//
// PostgreSQL: the machine's server or a throw-away cluster (tools/pg.mjs);
// without either it skips loudly, except under CI=true.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { DRIZZLE_DDL, IS_CI, KYSELY_DDL, getPostgres, noPostgresReason } from '../tools/pg.mjs'
import { skipOrFail } from './helpers/skip.mjs'

const require = createRequire(import.meta.url)
const { verifySession } = require('../lib/session.js')
const { NextRequest } = require('next/server')
const pg = require('pg')

const COOKIE = 'next-auth.session-token'
const HOUR = 3600_000

function req(token) {
  return new NextRequest('http://localhost:3000/dashboard', { headers: { cookie: `${COOKIE}=${token}` } })
}

describe('schema presets "drizzle" and "kysely" (PostgreSQL, seeded from the adapters\' schemas)', { timeout: 3 * 60_000 }, () => {
  let pgs
  let url
  let skip = null
  const tok = { drizzle: randomUUID(), drizzleExpired: randomUUID(), kysely: randomUUID(), kyselyExpired: randomUUID() }
  // Millisecond-precision instants, as a Date would carry them.
  const validUntil = new Date(Math.floor((Date.now() + HOUR) / 1000) * 1000 + 123)
  const expiredAt = new Date(Date.now() - 60_000)
  let drizzleUserId
  let kyselyUserId

  before(async () => {
    pgs = await getPostgres()
    if (!pgs) {
      skip = noPostgresReason()
      return
    }
    url = await pgs.createDatabase('nan_presets')
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    try {
      await c.query(DRIZZLE_DDL)
      await c.query(KYSELY_DDL)
      // The app's connection is in another time zone: a drizzle "timestamp" must still hold UTC.
      await c.query("SET TIME ZONE 'America/Los_Angeles'")
      // drizzle: createUser with its $defaultFn uuid; createSession with Date values mapped by toISOString().
      drizzleUserId = randomUUID()
      await c.query('INSERT INTO "user" (id, name, email, image) VALUES ($1, $2, $3, $4)', [drizzleUserId, 'Drizzle User', 'd@example.com', 'https://img.example/d.png'])
      await c.query('INSERT INTO "session" ("sessionToken", "userId", expires) VALUES ($1, $2, $3)', [tok.drizzle, drizzleUserId, validUntil.toISOString()])
      await c.query('INSERT INTO "session" ("sessionToken", "userId", expires) VALUES ($1, $2, $3)', [tok.drizzleExpired, drizzleUserId, expiredAt.toISOString()])
      // kysely: the uuid default; Date values through node-postgres into timestamptz.
      const { rows } = await c.query('INSERT INTO "User" (name, email) VALUES ($1, $2) RETURNING id', ['Kysely User', 'k@example.com'])
      kyselyUserId = rows[0].id
      await c.query('INSERT INTO "Session" ("userId", "sessionToken", expires) VALUES ($1, $2, $3)', [kyselyUserId, tok.kysely, validUntil])
      await c.query('INSERT INTO "Session" ("userId", "sessionToken", expires) VALUES ($1, $2, $3)', [kyselyUserId, tok.kyselyExpired, expiredAt])
      // The column types are the adapters' own.
      const types = await c.query(`SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE column_name IN ('expires', 'id', 'userId') AND table_name IN ('session', 'user', 'Session', 'User') ORDER BY 1, 2`)
      const t = Object.fromEntries(types.rows.map((r) => [`${r.table_name}.${r.column_name}`, r.data_type]))
      assert.equal(t['session.expires'], 'timestamp without time zone')
      assert.equal(t['user.id'], 'text')
      assert.equal(t['Session.expires'], 'timestamp with time zone')
      assert.equal(t['User.id'], 'uuid')
    } finally {
      await c.end()
    }
  })
  after(async () => {
    await pgs?.close()
  })

  const verify = (token, schema, extra = {}) =>
    verifySession({ req: req(token), strategy: 'database', cacheTtlMs: 0, database: { url, schema, ...extra } })

  test('drizzle: the session and user, expires as drizzle wrote it (UTC)', async (t) => {
    if (skip) return skipOrFail(t, skip)
    assert.deepEqual(await verify(tok.drizzle, 'drizzle'), {
      user: { id: drizzleUserId, name: 'Drizzle User', email: 'd@example.com', image: 'https://img.example/d.png' },
      expires: validUntil.toISOString(),
    })
    assert.equal(await verify(tok.drizzleExpired, 'drizzle'), null)
    assert.equal(await verify(randomUUID(), 'drizzle'), null)
    // Another preset's tables do not hold this token.
    assert.equal(await verify(tok.drizzle, 'kysely'), null)
  })

  test('drizzle through a transaction-mode pooler flag (unnamed statements) gives the same answer', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const s = await verify(tok.drizzle, 'drizzle', { url: `${url}?pgbouncer=true` })
    assert.equal(s?.expires, validUntil.toISOString())
  })

  test('kysely: "Session"/"User" with uuid ids and timestamptz', async (t) => {
    if (skip) return skipOrFail(t, skip)
    assert.deepEqual(await verify(tok.kysely, 'kysely'), {
      user: { id: kyselyUserId, name: 'Kysely User', email: 'k@example.com', image: null },
      expires: validUntil.toISOString(),
    })
    assert.equal(await verify(tok.kyselyExpired, 'kysely'), null)
    assert.equal(await verify(tok.kysely, 'drizzle'), null)
  })

  test('unknown presets list the new ones', async (t) => {
    if (skip) return skipOrFail(t, skip)
    await assert.rejects(verify(tok.drizzle, 'drizzle-orm'), /"prisma", "drizzle", "kysely", "pg-adapter"/)
  })
})
