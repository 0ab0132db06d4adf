// Database sessions: what checking a next-auth database session costs per
// request in middleware, in one run:
//
//   workaround   fetch(<app>/api/auth/session) with the cookie, as middlewares
//                do today (examples/next-app-db under `next start`, next-auth
//                4.24.15 + @auth/pg-adapter on the same PostgreSQL)
//   native       verifySession({ strategy: 'database' }): PostgreSQL with the
//                cache off and on (hit), SQLite with the cache off, and the
//                sessionEndpoint mode (our HTTP client) with the cache off
//
//   node bench/db.mjs            (or through `npm run bench`, via bench/more.mjs)
//   import bench from './db.mjs'; const results = await bench()
//
// Sequential calls, median of several rounds, µs per call; ratios are
// workaround ÷ native. These are IN-PROCESS figures: a function call against
// one loopback HTTP round trip, not what a whole server gains (that is
// `npm run bench:server`). PostgreSQL is a throw-away cluster this script
// starts (initdb + pg_ctl), never the shared server. Needs `npm run build`.

import { performance } from 'node:perf_hooks'
import { createRequire } from 'node:module'
import { readFileSync, rmSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { OUTPUT_DIR, REPO_ROOT, buildApp, installApp, signInByEmail, startApp } from '../__test__/helpers/next-app.mjs'
import { getPostgres, query, writeTempFile } from '../__test__/helpers/pg.mjs'

const require = createRequire(import.meta.url)
const { verifySession } = require('../lib/session.js')
const { NextRequest } = require('next/server')
const initSqlJs = require('sql.js')

const APP_DIR = path.join(REPO_ROOT, 'examples', 'next-app-db')
const COOKIE = 'next-auth.session-token'

async function perCall(n, fn, rounds = 5) {
  const per = []
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) await fn(i)
    per.push(((performance.now() - t0) * 1000) / n)
  }
  return per.sort((a, b) => a - b)[Math.floor(rounds / 2)]
}

/** Signs in through the app with a magic link; returns the opaque session token. */
async function signIn(origin, linkFile, email) {
  const { token } = await signInByEmail(origin, linkFile, email, { cookieName: COOKIE })
  if (!token) throw new Error('magic-link sign-in did not set a session cookie')
  return token
}

/** The same session in an SQLite file (pg-adapter layout, ISO text expires). */
async function sqliteCopy(dbUrl, token) {
  const { rows } = await query(dbUrl, `SELECT s.expires, u.id, u.name, u.email, u.image FROM sessions s JOIN users u ON u.id = s."userId" WHERE s."sessionToken" = $1`, [token])
  const r = rows[0]
  const SQL = await initSqlJs()
  const db = new SQL.Database()
  db.run(`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, "emailVerified" TEXT, image TEXT);
          CREATE TABLE sessions (id INTEGER PRIMARY KEY, "userId" INTEGER NOT NULL, expires TEXT NOT NULL, "sessionToken" TEXT UNIQUE NOT NULL);`)
  db.run('INSERT INTO users VALUES (?, ?, ?, NULL, ?)', [r.id, r.name, r.email, r.image])
  db.run('INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (?, ?, ?)', [r.id, r.expires.toISOString(), token])
  for (let i = 0; i < 5000; i++) db.run('INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (?, ?, ?)', [r.id, r.expires.toISOString(), `filler-${i}`])
  return writeTempFile('bench.db', Buffer.from(db.export()))
}

export default async function benchDb({ quiet = false } = {}) {
  const log = quiet ? () => {} : (...a) => console.log(...a)
  const pgs = await getPostgres({ own: true })
  if (!pgs) throw new Error('the database-session benchmark needs initdb/pg_ctl for a throw-away PostgreSQL cluster')
  let app
  let sqlite
  try {
    const dbUrl = await pgs.createDatabase('nan_bench')
    await query(dbUrl, readFileSync(path.join(APP_DIR, 'db', 'schema.sql'), 'utf8'))
    mkdirSync(OUTPUT_DIR, { recursive: true })
    const linkFile = path.join(OUTPUT_DIR, `bench-links-${process.pid}.jsonl`)
    const logFile = path.join(OUTPUT_DIR, 'bench-next-app-db.log')
    rmSync(logFile, { force: true })
    log('database sessions: installing and building examples/next-app-db …')
    await installApp(APP_DIR, { logFile })
    await buildApp(APP_DIR, { logFile })
    app = await startApp(APP_DIR, {
      logFile,
      env: { NEXTAUTH_SECRET: randomBytes(32).toString('base64url'), DATABASE_URL: dbUrl, MAGIC_LINK_FILE: linkFile },
    })
    const token = await signIn(app.url, linkFile, 'bench@example.com')
    rmSync(linkFile, { force: true })
    sqlite = await sqliteCopy(dbUrl, token)

    const cookie = `theme=dark; ${COOKIE}=${token}`
    const req = new NextRequest(`${app.url}/dashboard`, { headers: { cookie } })
    const sessionUrl = `${app.url}/api/auth/session`

    // The workaround, exactly as such middlewares do it: fetch, parse, check.
    const workaround = async () => {
      const res = await fetch(sessionUrl, { headers: { cookie: `${COOKIE}=${token}` } })
      const body = await res.json()
      if (!(res.ok && body?.user && Date.parse(body.expires) > Date.now())) throw new Error('workaround: no session')
      return body
    }
    const pg = { req, strategy: 'database', database: { url: dbUrl, schema: 'pg-adapter' } }
    const variants = {
      'PostgreSQL, cache off': { ...pg, cacheTtlMs: 0 },
      'PostgreSQL, cache hit': { ...pg, cacheTtlMs: 60_000 },
      'SQLite, cache off': { req, strategy: 'database', database: { url: sqlite.file, schema: 'pg-adapter' }, cacheTtlMs: 0 },
      'sessionEndpoint (native HTTP), cache off': { req, strategy: 'database', sessionEndpoint: sessionUrl, cacheTtlMs: 0 },
    }
    // Sanity: every variant sees the same user as the endpoint.
    const expected = (await workaround()).user.email
    for (const [name, p] of Object.entries(variants)) {
      const s = await verifySession(p)
      if (s?.user?.email !== expected) throw new Error(`${name}: no session (${JSON.stringify(s)})`)
    }

    for (let i = 0; i < 200; i++) await workaround()
    const refUs = await perCall(300, workaround)
    log(`${'fetch /api/auth/session (workaround)'.padEnd(44)} ${refUs.toFixed(1).padStart(9)} µs   (in-process, one loopback fetch)`)
    const results = { 'fetch /api/auth/session (workaround)': { us: +refUs.toFixed(2) } }
    const counts = { 'PostgreSQL, cache off': 3000, 'PostgreSQL, cache hit': 50_000, 'SQLite, cache off': 5000, 'sessionEndpoint (native HTTP), cache off': 300 }
    for (const [name, p] of Object.entries(variants)) {
      for (let i = 0; i < 300; i++) await verifySession(p)
      const us = await perCall(counts[name], () => verifySession(p))
      const ratio = refUs / us
      results[`verifySession, ${name}`] = { us: +us.toFixed(3), vsWorkaround: +ratio.toFixed(1) }
      log(`${`verifySession, ${name}`.padEnd(44)} ${us.toFixed(2).padStart(9)} µs   ${ratio.toFixed(1).padStart(7)}x less time per check than the fetch (in-process)`)
    }
    return results
  } finally {
    await app?.stop()
    sqlite?.remove()
    await pgs.close()
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results = await benchDb()
  console.log('\n' + JSON.stringify(results, null, 2))
  process.exit(0)
}
