// One request per error code, from cookies and tokens minted by the real
// next-auth / jose 4 and from real stores (PostgreSQL via tools/pg.mjs, an
// SQLite file, a real HTTP endpoint). Shared by explain, debug-logger and
// doctor tests, so each code is produced by all three.
import { createServer } from 'node:http'
import { before, after } from 'node:test'
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import {
  mintV4, craftJwe, jose4, SECRET, OTHER_SECRET, V4, V4S, now, nextRequest,
} from './tokens.mjs'
import { getPostgres, PRISMA_DDL, query, writeTempFile } from '../../tools/pg.mjs'
import { getFreePort } from '../../tools/next-app.mjs'

const require = createRequire(import.meta.url)

export const JWS_SECRET = 'jws-secret-jws-secret-jws-secret-0123456789'

/** JWT-strategy cases: code -> { cookie, params } (params without req). */
export async function jwtCases() {
  const good = await mintV4()
  const other = await mintV4()
  const chunk = good.slice(0, 40)
  const signed = await new jose4.SignJWT({ sub: 'u', exp: now() + 3600 }).setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode('a-different-jws-secret-0123456789-abcdef'))
  return {
    OK: { cookie: `theme=dark; ${V4}=${good}` },
    NO_SECRET: { cookie: `${V4}=${good}`, params: { secret: undefined }, noEnvSecret: true },
    NO_COOKIE: { cookie: 'theme=dark' },
    COOKIE_NAME_MISMATCH: { cookie: `theme=dark; ${V4S}=${good}` },
    DUPLICATE_COOKIE: { cookie: `${V4}=${good}; ${V4}=${other}` },
    CHUNKS_INVALID: { cookie: `${V4}.0=${chunk}; ${V4}.2=${good.slice(40)}` },
    MALFORMED: { cookie: `${V4}=not-a-session-token` },
    HEADER_NOT_ALLOWED: {
      cookie: `${V4}=${await craftJwe(JSON.stringify({ sub: 'u', exp: now() + 3600 }), { alg: 'dir', enc: 'A256GCM', zip: 'DEF' })}`,
    },
    DECRYPT_FAILED: { cookie: `${V4}=${await mintV4(undefined, { secret: OTHER_SECRET })}` },
    SIGNATURE_INVALID: { cookie: `${V4}=${signed}`, params: { jwt: { algorithms: ['HS256'], secret: JWS_SECRET } } },
    EXPIRED: { cookie: `${V4}=${await mintV4(undefined, { maxAge: -3600 })}` },
    NOT_YET_VALID: { cookie: `${V4}=${await craftJwe(JSON.stringify({ sub: 'u', nbf: now() + 600, exp: now() + 3600 }))}` },
    CLAIM_INVALID: { cookie: `${V4}=${await craftJwe(JSON.stringify({ sub: 'u', exp: 'tomorrow' }))}` },
    TOO_LARGE: { cookie: `${V4}=${good}; padding=${'x'.repeat(33 * 1024)}` },
    CONFIG_INVALID: { cookie: `${V4}=${good}`, params: { secret: 123 } },
  }
}

/** Runs `fn` with NEXTAUTH_URL=http://localhost:3000 and, if asked, without env secrets. */
export async function withEnv(noSecret, fn) {
  const saved = { NEXTAUTH_URL: process.env.NEXTAUTH_URL, NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET, AUTH_SECRET: process.env.AUTH_SECRET, VERCEL: process.env.VERCEL }
  process.env.NEXTAUTH_URL = 'http://localhost:3000'
  delete process.env.VERCEL
  if (noSecret) {
    delete process.env.NEXTAUTH_SECRET
    delete process.env.AUTH_SECRET
  }
  try {
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

export function jwtRequest(c) {
  return { req: nextRequest(c.cookie), secret: SECRET, ...(c.params ?? {}) }
}

// ---------------------------------------------------------------------------
// Database cases

const HOUR = 3600_000
export const DB_TOK = { valid: randomUUID(), expired: randomUUID(), orphan: randomUUID(), unknown: randomUUID() }

/** A real PostgreSQL with the Prisma schema seeded; null when none (the caller skips loudly or fails under CI). */
export async function postgresStore() {
  const pgs = await getPostgres()
  if (!pgs) return null
  const url = await pgs.createDatabase('nan_explain')
  await query(url, PRISMA_DDL)
  await query(url, `INSERT INTO "User" (id, name, email) VALUES ('cuid_1', 'Prisma User', 'p@example.com')`)
  const utc = (ms) => `(now() AT TIME ZONE 'UTC') + interval '${ms} milliseconds'`
  await query(url, `INSERT INTO "Session" (id, "sessionToken", "userId", expires) VALUES ($1, $1, 'cuid_1', ${utc(HOUR)})`, [DB_TOK.valid])
  await query(url, `INSERT INTO "Session" (id, "sessionToken", "userId", expires) VALUES ($1, $1, 'cuid_1', ${utc(-60_000)})`, [DB_TOK.expired])
  await query(url, `SET session_replication_role = replica; INSERT INTO "Session" (id, "sessionToken", "userId", expires) VALUES ('${DB_TOK.orphan}', '${DB_TOK.orphan}', 'ghost', ${utc(HOUR)}); SET session_replication_role = DEFAULT`)
  await query(url, `CREATE VIEW "SlowSession" AS SELECT s.* FROM "Session" s CROSS JOIN LATERAL pg_sleep(2) AS z`)
  return { url, close: () => pgs.close() }
}

/** A real SQLite file (Prisma on SQLite: integer milliseconds), written with sql.js. */
export async function sqliteStore() {
  const SQL = await require('sql.js')()
  const db = new SQL.Database()
  db.run(`CREATE TABLE "User" (id TEXT PRIMARY KEY, name TEXT, email TEXT, "emailVerified" INTEGER, image TEXT);
    CREATE TABLE "Session" (id TEXT PRIMARY KEY, "sessionToken" TEXT UNIQUE NOT NULL, "userId" TEXT NOT NULL, expires INTEGER NOT NULL);
    INSERT INTO "User" VALUES ('cuid_1', 'Sqlite User', 's@example.com', NULL, NULL);`)
  const t = Date.now()
  db.run(`INSERT INTO "Session" VALUES (?, ?, 'cuid_1', ?)`, [DB_TOK.valid, DB_TOK.valid, t + HOUR])
  db.run(`INSERT INTO "Session" VALUES (?, ?, 'cuid_1', ?)`, [DB_TOK.expired, DB_TOK.expired, t - 60_000])
  db.run(`INSERT INTO "Session" VALUES (?, ?, 'ghost', ?)`, [DB_TOK.orphan, DB_TOK.orphan, t + HOUR])
  const tmp = writeTempFile('sessions.db', Buffer.from(db.export()))
  return { url: tmp.file, close: tmp.remove }
}

/** A real HTTP session endpoint: ?case=ok | empty | bad. */
export async function endpointServer() {
  const port = await getFreePort()
  const server = createServer((req, res) => {
    const c = new URL(req.url, 'http://x').searchParams.get('case')
    if (c === 'bad') {
      res.writeHead(500, { 'content-type': 'text/html' })
      return res.end('<h1>error</h1>')
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    if (c === 'empty') return res.end('{}')
    res.end(JSON.stringify({ user: { name: 'E', email: 'e@example.com' }, expires: new Date(Date.now() + HOUR).toISOString() }))
  })
  await new Promise((r) => server.listen(port, '127.0.0.1', r))
  return { base: `http://127.0.0.1:${port}/api/auth/session`, close: () => new Promise((r) => server.close(r)) }
}

/**
 * PostgreSQL (Prisma schema; null without a server), SQLite and an endpoint
 * server for a describe block: started before its tests, closed after.
 */
export function realStores() {
  const stores = { pg: null, sqlite: null, endpoint: null }
  before(async () => {
    stores.pg = await postgresStore()
    stores.sqlite = await sqliteStore()
    stores.endpoint = await endpointServer()
  })
  after(async () => {
    await stores.pg?.close()
    stores.sqlite?.close()
    await stores.endpoint?.close()
  })
  return stores
}

/** A port nothing listens on. */
export async function closedPort() {
  return getFreePort()
}

export function dbCookie(token) {
  return `theme=dark; ${V4}=${token}`
}

/** Database cases over `store` ({ url }): code -> { cookie, params }. */
export function dbCases(store) {
  const database = (extra = {}) => ({ url: store.url, schema: 'prisma', ...extra })
  return {
    OK: { cookie: dbCookie(DB_TOK.valid), params: { database: database() } },
    NO_COOKIE: { cookie: 'theme=dark', params: { database: database() } },
    COOKIE_NAME_MISMATCH: { cookie: `${V4S}=${DB_TOK.valid}`, params: { database: database() } },
    MALFORMED: { cookie: dbCookie('x%20OR%201=1'), params: { database: database() } },
    DB_NOT_FOUND: { cookie: dbCookie(DB_TOK.unknown), params: { database: database() } },
    DB_EXPIRED: { cookie: dbCookie(DB_TOK.expired), params: { database: database() } },
    DB_NO_USER: { cookie: dbCookie(DB_TOK.orphan), params: { database: database() } },
  }
}

export function dbRequest(c) {
  return { req: nextRequest(c.cookie), strategy: 'database', cacheTtlMs: 0, ...c.params }
}
