// Every session store, cache off and on, against the fetch workaround, in one run:
//
//   workaround   fetch(<app>/api/auth/session) with the cookie (examples/next-app-db
//                under `next start`: next-auth 4.24.15 + @auth/pg-adapter)
//   native       verifySession({ strategy: 'database' }) on PostgreSQL (pg-adapter),
//                MySQL/MariaDB (prisma, drizzle), Redis (upstash-redis), SQLite-free:
//                each with the cache off (every call asks the server) and on (hit)
//
// The session the app created by a real magic-link sign-in is copied into a
// throw-away mariadbd and redis-server (tools/mariadb.mjs, tools/redis.mjs),
// so every store answers for the same token and user.
//
// Two measurements per variant:
//   latency     sequential calls, median of 5 rounds, µs per call, and the ratio
//               workaround ÷ native;
//   capacity    64 lookups in flight for a fixed time; lookups/s, and the Node
//               process's CPU time per lookup (user+sys), from which
//               "lookups per second per core" = 1e6 / (CPU µs per lookup). The
//               database servers run on the same machine; their CPU is not counted.
//
//   node bench/stores.mjs      (needs `npm run build`; a debug build measures the wrong thing)

import { performance } from 'node:perf_hooks'
import { createRequire } from 'node:module'
import { readFileSync, rmSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { OUTPUT_DIR, REPO_ROOT, buildApp, installApp, signInByEmail, startApp } from '../tools/next-app.mjs'
import { getPostgres, query } from '../tools/pg.mjs'
import { startMariaDB } from '../tools/mariadb.mjs'
import { startRedis } from '../tools/redis.mjs'
import { perCall } from './harness.mjs'

const require = createRequire(import.meta.url)
const { verifySession } = require('../lib/session.js')
const { NextRequest } = require('next/server')

const APP_DIR = path.join(REPO_ROOT, 'examples', 'next-app-db')
const COOKIE = 'next-auth.session-token'


/** `inflight` concurrent loops for `ms`: { perSec, cpuUs } (CPU µs of this process per call). */
async function capacity(fn, { inflight = 64, ms = 1500 } = {}) {
  let n = 0
  const end = performance.now() + ms
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: inflight }, async () => {
    while (performance.now() < end) {
      await fn()
      n++
    }
  }))
  const secs = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  return { perSec: n / secs, cpuUs: (cpu.user + cpu.system) / n }
}

const q = (s) => `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`

export default async function benchStores({ quiet = false } = {}) {
  const log = quiet ? () => {} : (...a) => console.log(...a)
  const pgs = await getPostgres()
  if (!pgs) throw new Error('no PostgreSQL for the store benchmark')
  let app, maria, redis
  try {
    const dbUrl = await pgs.createDatabase('nan_bench_stores')
    await query(dbUrl, readFileSync(path.join(APP_DIR, 'db', 'schema.sql'), 'utf8'))
    mkdirSync(OUTPUT_DIR, { recursive: true })
    const linkFile = path.join(OUTPUT_DIR, `bench-stores-links-${process.pid}.jsonl`)
    const logFile = path.join(OUTPUT_DIR, 'bench-stores-next-app-db.log')
    rmSync(logFile, { force: true })
    if (process.env.NAN_BENCH_PREBUILT === '1') {
      log('stores: using the already installed and built examples/next-app-db (NAN_BENCH_PREBUILT=1)')
    } else {
      log('stores: installing and building examples/next-app-db …')
      await installApp(APP_DIR, { logFile })
      await buildApp(APP_DIR, { logFile })
    }
    app = await startApp(APP_DIR, {
      logFile,
      env: { NEXTAUTH_SECRET: randomBytes(32).toString('base64url'), DATABASE_URL: dbUrl, MAGIC_LINK_FILE: linkFile },
    })
    const { token } = await signInByEmail(app.url, linkFile, 'bench@example.com', { cookieName: COOKIE })
    rmSync(linkFile, { force: true })
    if (!token) throw new Error('magic-link sign-in did not set a session cookie')
    const { rows } = await query(dbUrl, `SELECT s.expires, u.id, u.name, u.email, u.image FROM sessions s JOIN users u ON u.id = s."userId" WHERE s."sessionToken" = $1`, [token])
    const row = rows[0]
    const expires = row.expires.toISOString()

    log('stores: starting mariadbd and redis-server …')
    ;[maria, redis] = await Promise.all([startMariaDB(), startRedis()])
    const DB = 'nan_bench'
    await maria.sql(`CREATE DATABASE ${DB}`)
    const mysqlDate = expires.replace('T', ' ').replace('Z', '')
    await maria.sql(`
      CREATE TABLE \`User\` (id VARCHAR(191) PRIMARY KEY, name VARCHAR(191), email VARCHAR(191) UNIQUE, emailVerified DATETIME(3), image VARCHAR(191)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci;
      CREATE TABLE \`Session\` (id VARCHAR(191) PRIMARY KEY, sessionToken VARCHAR(191) NOT NULL UNIQUE, userId VARCHAR(191) NOT NULL, expires DATETIME(3) NOT NULL) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci;
      CREATE TABLE \`user\` (id VARCHAR(255) PRIMARY KEY, name VARCHAR(255), email VARCHAR(255) NOT NULL, emailVerified TIMESTAMP(3) NULL, image VARCHAR(255));
      CREATE TABLE \`session\` (sessionToken VARCHAR(255) PRIMARY KEY, userId VARCHAR(255) NOT NULL, expires TIMESTAMP NOT NULL);
      INSERT INTO \`User\` VALUES (${q(row.id)}, ${q(row.name ?? '')}, ${q(row.email)}, NULL, NULL);
      INSERT INTO \`user\` VALUES (${q(row.id)}, ${q(row.name ?? '')}, ${q(row.email)}, NULL, NULL);
      SET time_zone = '+00:00';
      INSERT INTO \`Session\` VALUES (${q(token)}, ${q(token)}, ${q(row.id)}, ${q(mysqlDate)});
      INSERT INTO \`session\` VALUES (${q(token)}, ${q(row.id)}, ${q(mysqlDate)});`, DB)
    // 5000 other sessions in each, so the index does some work.
    let filler = ''
    for (let i = 0; i < 5000; i++) filler += `${i ? ',' : ''}('f${i}', 'f${i}', ${q(row.id)}, ${q(mysqlDate)})`
    await maria.sql(`INSERT INTO \`Session\` VALUES ${filler}`, DB)
    await redis.cmd('SET', `user:session:${token}`, JSON.stringify({ sessionToken: token, userId: String(row.id), expires }))
    await redis.cmd('SET', `user:${row.id}`, JSON.stringify({ id: String(row.id), name: row.name, email: row.email, image: row.image }))

    const cookie = `theme=dark; ${COOKIE}=${token}`
    const req = new NextRequest(`${app.url}/dashboard`, { headers: { cookie } })
    const sessionUrl = `${app.url}/api/auth/session`
    const workaround = async () => {
      const res = await fetch(sessionUrl, { headers: { cookie: `${COOKIE}=${token}` } })
      const body = await res.json()
      if (!(res.ok && body?.user && Date.parse(body.expires) > Date.now())) throw new Error('workaround: no session')
      return body
    }
    const mysqlUrl = maria.url(DB, 'ssl-mode=DISABLED')
    const stores = {
      'PostgreSQL (pg-adapter)': { url: dbUrl, schema: 'pg-adapter' },
      'MySQL (prisma)': { url: mysqlUrl, schema: 'prisma' },
      'MySQL (drizzle)': { url: mysqlUrl, schema: 'drizzle' },
      'Redis (upstash-redis)': { url: redis.url(), schema: 'upstash-redis', push: false },
    }
    const variants = {}
    for (const [name, database] of Object.entries(stores)) {
      variants[`${name}, cache off`] = { req, strategy: 'database', database, cacheTtlMs: 0 }
      variants[`${name}, cache hit`] = { req, strategy: 'database', database, cacheTtlMs: 60_000 }
    }
    const expected = (await workaround()).user.email
    for (const [name, p] of Object.entries(variants)) {
      const s = await verifySession(p)
      if (s?.user?.email !== expected) throw new Error(`${name}: no session (${JSON.stringify(s)})`)
    }

    for (let i = 0; i < 200; i++) await workaround()
    const refUs = await perCall(300, workaround)
    const refCap = await capacity(workaround, { inflight: 16 })
    const results = {
      'fetch /api/auth/session (workaround)': { us: +refUs.toFixed(1), perSec: Math.round(refCap.perSec), cpuUs: +refCap.cpuUs.toFixed(1) },
    }
    log(`${'variant'.padEnd(44)} ${'µs/call'.padStart(9)} ${'vs fetch'.padStart(9)} ${'lookups/s'.padStart(10)} ${'CPU µs'.padStart(8)} ${'/s/core'.padStart(9)}`)
    log(`${'fetch /api/auth/session (workaround)'.padEnd(44)} ${refUs.toFixed(1).padStart(9)} ${'1.0x'.padStart(9)} ${Math.round(refCap.perSec).toString().padStart(10)} ${refCap.cpuUs.toFixed(1).padStart(8)} ${'(app side not counted)'}`)
    for (const [name, p] of Object.entries(variants)) {
      const hit = name.endsWith('cache hit')
      for (let i = 0; i < 300; i++) await verifySession(p)
      const us = await perCall(hit ? 30_000 : 2000, () => verifySession(p))
      const cap = await capacity(() => verifySession(p), { inflight: hit ? 1 : 64 })
      const ratio = refUs / us
      const perCore = 1e6 / cap.cpuUs
      results[`verifySession, ${name}`] = {
        us: +us.toFixed(2), vsWorkaround: +ratio.toFixed(1), perSec: Math.round(cap.perSec), cpuUs: +cap.cpuUs.toFixed(2), perCore: Math.round(perCore),
      }
      log(`${name.padEnd(44)} ${us.toFixed(2).padStart(9)} ${`${ratio.toFixed(1)}x`.padStart(9)} ${Math.round(cap.perSec).toString().padStart(10)} ${cap.cpuUs.toFixed(2).padStart(8)} ${Math.round(perCore).toString().padStart(9)}`)
    }
    return results
  } finally {
    await app?.stop()
    await maria?.destroy()
    await redis?.destroy()
    await pgs.close()
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results = await benchStores()
  console.log('\n' + JSON.stringify(results, null, 2))
  process.exit(0)
}
