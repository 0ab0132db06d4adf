// Database sessions: what checking a next-auth database session costs per
// request in middleware, in one run:
//
//   workaround   fetch(<app>/api/auth/session) with the cookie, as middlewares
//                do today (examples/next-app-db under `next start`, next-auth
//                4.24.15 + @auth/pg-adapter, DATABASE_URL a hosted-style TLS URL:
//                sslmode=verify-full&sslrootcert=<the test CA>)
//   native       verifySession({ strategy: 'database' }) on the same
//                PostgreSQL (a throw-away cluster with a test CA): over TLS
//                (verify-full) with the cache off and on (hit), without TLS
//                (sslmode=disable) with the cache off, SQLite with the cache
//                off, and the sessionEndpoint mode (our HTTP client)
//   warm-up      the first lookup of a fresh store (connect + TLS handshake +
//                auth + prepare + query), TLS vs plaintext, and proof that the
//                handshake is not paid per request: the pooled backends (pids,
//                backend_start) are the same before and after the timed loop.
//
//   node bench/db.mjs            (or through `npm run bench`, via bench/more.mjs)
//   import bench from './db.mjs'; const results = await bench()
//
// Sequential calls, median of several rounds, µs per call; ratios are
// workaround ÷ native. These are IN-PROCESS figures: a function call against
// one loopback HTTP round trip, not what a whole server gains (that is
// `npm run bench:server`). PostgreSQL is a throw-away TLS cluster this script
// starts (initdb + pg_ctl, openssl), never the shared server. Needs `npm run build`.

import { performance } from 'node:perf_hooks'
import { createRequire } from 'node:module'
import { readFileSync, rmSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { OUTPUT_DIR, REPO_ROOT, buildApp, installApp, signInByEmail, startApp } from '../tools/next-app.mjs'
import { query, startTlsCluster, writeTempFile } from '../tools/pg.mjs'
import { perCall } from './harness.mjs'

const require = createRequire(import.meta.url)
const { verifySession } = require('../lib/session.js')
const { NextRequest } = require('next/server')
const initSqlJs = require('sql.js')

const APP_DIR = path.join(REPO_ROOT, 'examples', 'next-app-db')
const COOKIE = 'next-auth.session-token'


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

/** The backends of one application_name: pid and start time (a new connection changes them). */
async function backends(cluster, app) {
  const { rows } = await cluster.sql(
    `SELECT pid, backend_start, s.ssl FROM pg_stat_activity a LEFT JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = $1 ORDER BY pid`, [app])
  return rows.map((r) => `${r.pid}@${r.backend_start.toISOString()}${r.ssl ? '+tls' : ''}`)
}

export default async function benchDb({ quiet = false } = {}) {
  const log = quiet ? () => {} : (...a) => console.log(...a)
  const cluster = await startTlsCluster({ allowPlaintext: true })
  let app
  let sqlite
  try {
    await cluster.sql('CREATE DATABASE nan_bench')
    const base = `postgres://postgres@127.0.0.1:${cluster.port}/nan_bench`
    const tlsUrl = (app, extra = '') => `${base}?sslmode=verify-full&sslrootcert=${encodeURIComponent(cluster.certs.ca)}&application_name=${app}${extra}`
    const plainUrl = (app) => `${base}?sslmode=disable&application_name=${app}`
    await cluster.sql(readFileSync(path.join(APP_DIR, 'db', 'schema.sql'), 'utf8'), [], 'nan_bench')
    mkdirSync(OUTPUT_DIR, { recursive: true })
    const linkFile = path.join(OUTPUT_DIR, `bench-links-${process.pid}.jsonl`)
    const logFile = path.join(OUTPUT_DIR, 'bench-next-app-db.log')
    rmSync(logFile, { force: true })
    log('database sessions: installing and building examples/next-app-db …')
    await installApp(APP_DIR, { logFile })
    await buildApp(APP_DIR, { logFile })
    // The app as a user runs it against a hosted database: one TLS URL for the adapter's pg pool and proxy.ts.
    app = await startApp(APP_DIR, {
      logFile,
      env: { NEXTAUTH_SECRET: randomBytes(32).toString('base64url'), DATABASE_URL: tlsUrl('nan_bench_app'), MAGIC_LINK_FILE: linkFile },
    })
    const token = await signIn(app.url, linkFile, 'bench@example.com')
    rmSync(linkFile, { force: true })
    const appBackends = await backends(cluster, 'nan_bench_app')
    if (!appBackends.length || !appBackends.every((b) => b.endsWith('+tls'))) throw new Error(`the app is not on TLS: ${appBackends}`)
    sqlite = await sqliteCopy(`${base}?sslmode=disable`, token)

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
    const db = (url) => ({ req, strategy: 'database', database: { url, schema: 'pg-adapter' } })
    const variants = {
      'PostgreSQL TLS verify-full, cache off': { ...db(tlsUrl('nan_bench_tls_off')), cacheTtlMs: 0 },
      'PostgreSQL TLS verify-full, cache hit': { ...db(tlsUrl('nan_bench_tls_hit')), cacheTtlMs: 60_000 },
      'PostgreSQL no TLS, cache off': { ...db(plainUrl('nan_bench_plain_off')), cacheTtlMs: 0 },
      'SQLite, cache off': { req, strategy: 'database', database: { url: sqlite.file, schema: 'pg-adapter' }, cacheTtlMs: 0 },
      'sessionEndpoint (native HTTP), cache off': { req, strategy: 'database', sessionEndpoint: sessionUrl, cacheTtlMs: 0 },
    }
    // Sanity: every variant sees the same user as the endpoint.
    // (Once more on a socket error: the keep-alive socket of the sign-in may have idled out meanwhile.)
    const expected = (await workaround().catch((err) => (err?.cause?.code === 'UND_ERR_SOCKET' ? workaround() : Promise.reject(err)))).user.email
    for (const [name, p] of Object.entries(variants)) {
      const s = await verifySession(p)
      if (s?.user?.email !== expected) throw new Error(`${name}: no session (${JSON.stringify(s)})`)
    }

    for (let i = 0; i < 200; i++) await workaround()
    const refUs = await perCall(300, workaround)
    log(`${'fetch /api/auth/session (workaround)'.padEnd(44)} ${refUs.toFixed(1).padStart(9)} µs   (in-process, one loopback fetch)`)
    const results = { 'fetch /api/auth/session (workaround)': { us: +refUs.toFixed(2) } }
    const counts = {
      'PostgreSQL TLS verify-full, cache off': 3000, 'PostgreSQL TLS verify-full, cache hit': 50_000, 'PostgreSQL no TLS, cache off': 3000,
      'SQLite, cache off': 5000, 'sessionEndpoint (native HTTP), cache off': 300,
    }
    for (const [name, p] of Object.entries(variants)) {
      for (let i = 0; i < 300; i++) await verifySession(p)
      const dbUrl = p.database?.url
      const app = typeof dbUrl === 'string' && dbUrl.startsWith('postgres') ? new URL(dbUrl).searchParams.get('application_name') : null
      const before = app ? await backends(cluster, app) : null
      const us = await perCall(counts[name], () => verifySession(p))
      const ratio = refUs / us
      results[`verifySession, ${name}`] = { us: +us.toFixed(3), vsWorkaround: +ratio.toFixed(1) }
      log(`${`verifySession, ${name}`.padEnd(44)} ${us.toFixed(2).padStart(9)} µs   ${ratio.toFixed(1).padStart(7)}x less time per check than the fetch (in-process)`)
      if (before) {
        // Not paid per request: the same pooled connections served the whole loop.
        const after = await backends(cluster, app)
        const same = JSON.stringify(before) === JSON.stringify(after)
        results[`verifySession, ${name}`].connectionsOpenedDuringLoop = same ? 0 : after.filter((b) => !before.includes(b)).length
        if (!same) log(`  !! new connections during the loop: ${before} -> ${after}`)
      }
    }
    // TLS vs no TLS per lookup (cache off), interleaved round by round so that load on the machine hits both alike.
    const tlsP = variants['PostgreSQL TLS verify-full, cache off']
    const plainP = variants['PostgreSQL no TLS, cache off']
    const tlsRounds = []
    const plainRounds = []
    for (let r = 0; r < 11; r++) {
      tlsRounds.push(await perCall(500, () => verifySession(tlsP), { rounds: 1 }))
      plainRounds.push(await perCall(500, () => verifySession(plainP), { rounds: 1 }))
    }
    const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]
    const [off, plainOff] = [med(tlsRounds), med(plainRounds)]
    results['TLS ÷ no TLS per lookup, cache off (steady state, interleaved)'] = { tlsUs: +off.toFixed(2), noTlsUs: +plainOff.toFixed(2), ratio: +(off / plainOff).toFixed(2) }
    log(`${'TLS ÷ no TLS per lookup, cache off'.padEnd(44)} ${(off / plainOff).toFixed(2).padStart(9)}x   (${off.toFixed(1)} vs ${plainOff.toFixed(1)} µs, interleaved)`)

    // Warm-up: the first lookup of a fresh store (new pool), median of several fresh stores each.
    const cold = async (mk) => {
      const ms = []
      for (let i = 0; i < 9; i++) {
        const p = { ...db(mk(`nan_bench_cold_${process.pid}_${i}_${Math.random().toString(36).slice(2, 7)}`)), cacheTtlMs: 0 }
        const t0 = performance.now()
        const s = await verifySession(p)
        ms.push(performance.now() - t0)
        if (s?.user?.email !== expected) throw new Error('cold lookup: no session')
      }
      return ms.sort((a, b) => a - b)[4]
    }
    const coldTls = await cold((a) => tlsUrl(a))
    const coldPlain = await cold(plainUrl)
    results['first lookup of a fresh pool (connect + auth + query), ms'] = {
      tlsVerifyFull: +coldTls.toFixed(2), noTls: +coldPlain.toFixed(2), handshakeCostMs: +(coldTls - coldPlain).toFixed(2),
    }
    log(`${'first lookup, fresh pool: TLS verify-full'.padEnd(44)} ${coldTls.toFixed(2).padStart(9)} ms`)
    log(`${'first lookup, fresh pool: no TLS'.padEnd(44)} ${coldPlain.toFixed(2).padStart(9)} ms   (TLS handshake ≈ ${(coldTls - coldPlain).toFixed(2)} ms, once per pooled connection)`)
    return results
  } finally {
    await app?.stop()
    sqlite?.remove()
    await cluster.destroy()
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results = await benchDb()
  console.log('\n' + JSON.stringify(results, null, 2))
  process.exit(0)
}
