// Database sessions through a real PgBouncer (Debian's `pgbouncer`, started
// by this test with its own ini on a free port, as the `postgres` user) in
// transaction mode, in front of a throw-away PostgreSQL cluster:
//
// - with `pgbouncer=true` (Prisma's flag) lookups are unnamed statements and
//   the startup packet carries no `options`, so hundreds of concurrent
//   lookups over 16 client connections sharing 2 server connections all
//   find the session (and expired/unknown tokens none);
// - without it, PgBouncer refuses the `options` startup parameter: denied,
//   one log line that names the fix;
// - the reason the flag exists: with `options` tolerated
//   (ignore_startup_parameters) but named prepared statements, transaction
//   mode loses statements between server connections.
//
// Needs initdb/pg_ctl and pgbouncer; without them it skips loudly, except
// under CI=true, where that is a failure.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { IS_CI, PG_ADAPTER_DDL, clusterUnavailable, pgbouncerUnavailable, startCluster, startPgBouncer } from '../tools/pg.mjs'
import { recorder, skipOrFail } from './helpers/skip.mjs'

const require = createRequire(import.meta.url)
const { verifySession } = require('../lib/session.js')
const { NextRequest } = require('next/server')

const COOKIE = 'next-auth.session-token'
const TOK = { valid: randomUUID(), expired: randomUUID(), unknown: randomUUID() }

function req(token) {
  return new NextRequest('http://localhost:3000/dashboard', { headers: { cookie: `${COOKIE}=${token}` } })
}

describe('database sessions through PgBouncer (transaction mode)', { timeout: 5 * 60_000 }, () => {
  let cluster
  let bouncer
  let tolerant
  let skip = null

  before(async () => {
    skip = clusterUnavailable() ?? pgbouncerUnavailable()
    if (skip) return
    cluster = await startCluster()
    await cluster.sql('CREATE DATABASE nan_pgb')
    await cluster.sql(PG_ADAPTER_DDL, [], 'nan_pgb')
    await cluster.sql(`INSERT INTO users (name, email) VALUES ('Pooled User', 'pooled@example.com')`, [], 'nan_pgb')
    for (const [tok, ms] of [[TOK.valid, 3600_000], [TOK.expired, -60_000]]) {
      await cluster.sql(`INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (1, now() + $2 * interval '1 millisecond', $1)`, [tok, ms], 'nan_pgb')
    }
    bouncer = await startPgBouncer(cluster.port, { poolMode: 'transaction', poolSize: 2 })
    tolerant = await startPgBouncer(cluster.port, { poolMode: 'transaction', poolSize: 2, extra: 'ignore_startup_parameters = options' })
  })
  after(async () => {
    await bouncer?.stop()
    await tolerant?.stop()
    await cluster?.destroy()
  })

  const verify = (url, token, logger = recorder(), pool = 16) =>
    verifySession({ req: req(token), strategy: 'database', cacheTtlMs: 0, logger, database: { url, schema: 'pg-adapter', pool, timeoutMs: 3000 } })

  test('pgbouncer=true: concurrent lookups all answer correctly through 2 server connections', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const url = `${bouncer.url('nan_pgb')}?pgbouncer=true&application_name=nan_pgb_flag`
    const logger = recorder()
    const tokens = Array.from({ length: 600 }, (_, i) => [TOK.valid, TOK.valid, TOK.expired, TOK.unknown][i % 4])
    for (let i = 0; i < tokens.length; i += 100) {
      const batch = await Promise.all(tokens.slice(i, i + 100).map((tok) => verify(url, tok, logger)))
      batch.forEach((s, j) => {
        const tok = tokens[i + j]
        if (tok === TOK.valid) assert.equal(s?.user?.email, 'pooled@example.com', `lookup ${i + j}: ${JSON.stringify(s)} ${logger.lines.join(' | ')}`)
        else assert.equal(s, null)
      })
    }
    assert.deepEqual(logger.lines, [])
    // The server only ever saw PgBouncer's 2 connections for this database.
    const { rows } = await cluster.sql(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'nan_pgb'`)
    assert.ok(rows[0].n <= 2, `server connections: ${rows[0].n}`)
    // And no named statement was left behind on them.
    assert.doesNotMatch(bouncer.log(), /prepared statement .* does not exist/)
  })

  test('without the flag: PgBouncer refuses the startup options; one log line names pgbouncer=true', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const url = `${bouncer.url('nan_pgb')}?application_name=nan_pgb_noflag`
    const logger = recorder()
    for (let i = 0; i < 5; i++) assert.equal(await verify(url, TOK.valid, logger), null)
    assert.equal(logger.lines.length, 1, JSON.stringify(logger.lines))
    assert.match(logger.lines[0], /unsupported startup parameter: options.*add pgbouncer=true to database\.url/)
    assert.ok(!logger.lines[0].includes(TOK.valid))
  })

  test('why unnamed statements: named prepared statements break in transaction mode', async (t) => {
    if (skip) return skipOrFail(t, skip)
    // This PgBouncer tolerates `options`, so the only difference is the statements.
    const named = `${tolerant.url('nan_pgb')}?application_name=nan_pgb_named`
    const unnamed = `${tolerant.url('nan_pgb')}?application_name=nan_pgb_unnamed&pgbouncer=true`
    const run = async (url) => {
      const logger = recorder()
      let found = 0
      for (let round = 0; round < 5; round++) {
        const r = await Promise.all(Array.from({ length: 64 }, () => verify(url, TOK.valid, logger)))
        found += r.filter((s) => s?.user?.email === 'pooled@example.com').length
      }
      return { found, lines: logger.lines }
    }
    const good = await run(unnamed)
    assert.equal(good.found, 320, JSON.stringify(good.lines))
    const bad = await run(named)
    assert.ok(bad.found < 320, 'named statements through a transaction pooler should fail some lookups')
    assert.match(bad.lines.join('\n'), /SQLSTATE (26000|42P05)/)
  })
})
