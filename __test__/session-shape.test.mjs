// @tier unit
// The /api/auth/session shape has one owner per language: Rust's store
// render (src/store/mod.rs `render`, for database sessions) and JS's
// sessionFromToken (lib/session.js, for JWT sessions). This test holds the
// two to the same text for the same user, nulls included, so they cannot
// drift apart; both are next-auth's session body ({ user: { name, email,
// image }, expires }) plus the user's id.

import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { writeTempFile } from '../tools/pg.mjs'

const require = createRequire(import.meta.url)
const { verifySession, sessionFromToken } = require('../lib/session.js')

const EXPIRES_MS = Math.floor(Date.now() / 1000 + 7200) * 1000 // whole seconds: a JWT's exp has no more
const users = [
  { id: 'u_full', name: 'Ada Lovelace', email: 'ada@example.com', image: 'https://example.com/a.png' },
  { id: 'u_bare', name: null, email: 'bare@example.com', image: null },
  { id: 'u_unicode', name: 'Zoë “quoted” \\ \u2028', email: 'z@example.com', image: null },
]
const tokens = new Map(users.map((u) => [u.id, randomUUID()]))
const files = []
after(() => files.forEach((f) => f.remove()))

async function sqliteFile() {
  const SQL = await require('sql.js')()
  const db = new SQL.Database()
  db.run(`CREATE TABLE "User" (id TEXT PRIMARY KEY, name TEXT, email TEXT, "emailVerified" INTEGER, image TEXT);
    CREATE TABLE "Session" (id TEXT PRIMARY KEY, "sessionToken" TEXT UNIQUE NOT NULL, "userId" TEXT NOT NULL, expires INTEGER NOT NULL);`)
  for (const u of users) {
    db.run(`INSERT INTO "User" VALUES (?, ?, ?, NULL, ?)`, [u.id, u.name, u.email, u.image])
    db.run(`INSERT INTO "Session" VALUES (?, ?, ?, ?)`, [tokens.get(u.id), tokens.get(u.id), u.id, EXPIRES_MS])
  }
  const f = writeTempFile('shape.db', Buffer.from(db.export()))
  files.push(f)
  return f.file
}

test('a database session and a JWT session of the same user have the same /api/auth/session text', async () => {
  const url = await sqliteFile()
  for (const u of users) {
    const req = { headers: new Headers({ cookie: `next-auth.session-token=${tokens.get(u.id)}` }) }
    const fromDb = await verifySession({ req, strategy: 'database', database: { url, schema: 'prisma' }, cacheTtlMs: 0 })
    // The claims next-auth's jwt callback writes for this user (picture, not image).
    const claims = { sub: u.id, email: u.email, exp: EXPIRES_MS / 1000, iat: 1, jti: randomUUID() }
    if (u.name !== null) claims.name = u.name
    if (u.image !== null) claims.picture = u.image
    const fromJwt = sessionFromToken(claims)
    assert.equal(JSON.stringify(fromDb), JSON.stringify(fromJwt), u.id)
    assert.deepEqual(fromDb, { user: { id: u.id, name: u.name, email: u.email, image: u.image }, expires: new Date(EXPIRES_MS).toISOString() })
  }
})
