// The session stores of the fault soak (scripts/soak.mjs --stores …): each
// starts a throw-away server (or file, or endpoint), writes users and
// sessions in the layout its adapter uses, and offers the faults the soak
// injects under load:
//   down(ms)  the store is unreachable for about `ms` (stopped, then started)
//   slow(ms)  every lookup blocks for `ms` (a lock, a paused server, a slow endpoint)
//   pool(ms)  (PostgreSQL) the pool is held busy by lookups of a slow view
// Every fault resolves to { from, hard0, hard1, to } (performance.now()):
// [from, to] the fault's whole span, [hard0, hard1] the part in which the
// store certainly could not answer.
//
// Nothing here depends on a test framework. Load goes to 127.0.0.1 only.

import http from 'node:http'
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { getFreePort, REPO_ROOT, SESSION_COOKIE } from '../tools/next-app.mjs'

export const DB_DIR = path.join(REPO_ROOT, 'examples', 'next-app-db')
export const STORE_NAMES = ['pg', 'mysql', 'redis', 'endpoint', 'sqlite']

const now = () => performance.now()

/** A store down for `ms`: stop, wait, start; the marks the soak's judge reads (from/hard0/hard1/to). */
async function outage(ms, stop, start) {
  const m = { from: now() }
  await stop()
  m.hard0 = now()
  await sleep(Math.max(0, ms - (m.hard0 - m.from)))
  m.hard1 = now()
  await start()
  m.to = now()
  return m
}
const sqlq = (s) => `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`

/** users: [{ id, name, email }], sessions: [{ token, user, expiresMs }]. */
function values(rows, f) {
  return rows.map(f).join(',')
}

// ---------------------------------------------------------------------------
// PostgreSQL: @auth/pg-adapter's tables (db/schema.sql). `users` is a view
// over `users_t` whose `name` takes 3 s for users with id > 60 (a function
// declared IMMUTABLE STRICT so the planner evaluates it only for the row
// returned): lookups of those users' sessions hold a pool connection until
// the deadline. Users 1..60 are not affected.

export async function pgStore() {
  const { startCluster, query, clusterUnavailable, pg } = await import('../tools/pg.mjs')
  const why = clusterUnavailable()
  if (why) throw new Error(`the PostgreSQL store needs a throw-away cluster: ${why}`)
  const cluster = await startCluster()
  const url = cluster.url.replace(/\/postgres$/, '/soak')
  await query(cluster.url, 'CREATE DATABASE soak')
  await query(url, readFileSync(path.join(DB_DIR, 'db', 'schema.sql'), 'utf8'))
  await query(
    url,
    `ALTER TABLE users RENAME TO users_t;
     CREATE FUNCTION soak_slow_name(uid int, n text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
       BEGIN IF uid > 60 THEN PERFORM pg_sleep(3); END IF; RETURN n; END $$;
     CREATE VIEW users AS SELECT id, soak_slow_name(id, name) AS name, email, "emailVerified", image FROM users_t;`,
  )
  let locker = null
  return {
    name: 'pg',
    title: 'PostgreSQL',
    layout: '@auth/pg-adapter tables (a throw-away cluster)',
    env: { DATABASE_URL: url },
    slowUsers: [61, 62, 63, 64],
    async seed({ users, sessions }) {
      await query(url, 'TRUNCATE sessions, users_t RESTART IDENTITY CASCADE')
      await query(url, `INSERT INTO users_t (id, name, email) VALUES ${values(users, (u) => `(${u.id}, ${sqlq(u.name)}, ${sqlq(u.email)})`)}`)
      await query(
        url,
        `INSERT INTO sessions ("sessionToken", "userId", expires) VALUES ${values(sessions, (s) => `(${sqlq(s.token)}, ${s.user}, to_timestamp(${s.expiresMs / 1000}))`)}`,
      )
    },
    async setExpires(tokens, ms) {
      await query(url, `UPDATE sessions SET expires = to_timestamp(${ms / 1000}) WHERE "sessionToken" = ANY($1)`, [tokens])
    },
    down: (ms) => outage(ms, () => cluster.stop(), () => cluster.start()),
    /** sessions locked ACCESS EXCLUSIVE: every lookup blocks, the pool (4) fills, later lookups wait for a connection. */
    async slow(ms) {
      locker = new pg.Client({ connectionString: url })
      await locker.connect()
      await locker.query('BEGIN')
      await locker.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE')
      const m = { from: now() }
      m.hard0 = m.from
      await sleep(ms)
      m.hard1 = now()
      await locker.query('COMMIT')
      await locker.end()
      locker = null
      m.to = now()
      return m
    },
    slowLabel: '`sessions` locked (ACCESS EXCLUSIVE), pool of 4 exhausted',
    async destroy() {
      if (locker) await locker.end().catch(() => {})
      await cluster.destroy().catch(() => {})
    },
  }
}

// ---------------------------------------------------------------------------
// MariaDB, Prisma's MySQL layout (`Session`/`User`, DATETIME(3) in UTC).

const mysqlTime = (ms) => `FROM_UNIXTIME(${(ms / 1000).toFixed(3)})`

export async function mysqlStore() {
  const { PRISMA_MYSQL_DDL, startMariaDB, mariadbUnavailable } = await import('../tools/mariadb.mjs')
  const why = mariadbUnavailable()
  if (why) throw new Error(`the MySQL store needs a throw-away MariaDB: ${why}`)
  const server = await startMariaDB()
  // The session time zone UTC, so FROM_UNIXTIME writes UTC as Prisma does.
  const sql = (text) => server.sql(`SET time_zone = '+00:00';\n${text}`, 'soak')
  await server.sql('CREATE DATABASE soak')
  await sql(PRISMA_MYSQL_DDL)
  let locker = null
  return {
    name: 'mysql',
    title: 'MariaDB',
    layout: 'Prisma on MySQL (`Session`/`User`), a throw-away mariadbd',
    env: { SESSION_DATABASE_URL: server.url('soak'), SESSION_SCHEMA: 'prisma' },
    async seed({ users, sessions }) {
      await sql(`DELETE FROM \`Session\`; DELETE FROM \`User\`;
        INSERT INTO \`User\` (id, name, email) VALUES ${values(users, (u) => `(${sqlq(`cuid_${u.id}`)}, ${sqlq(u.name)}, ${sqlq(u.email)})`)};
        INSERT INTO \`Session\` VALUES ${values(sessions, (s) => `(${sqlq(s.token)}, ${sqlq(s.token)}, ${sqlq(`cuid_${s.user}`)}, ${mysqlTime(s.expiresMs)})`)};`)
    },
    async setExpires(tokens, ms) {
      await sql(`UPDATE \`Session\` SET expires = ${mysqlTime(ms)} WHERE sessionToken IN (${tokens.map(sqlq).join(',')});`)
    },
    down: (ms) => outage(ms, () => server.stop(), () => server.start()),
    /** LOCK TABLES `Session` WRITE held by another session: every lookup blocks. */
    async slow(ms) {
      const m = {}
      locker = sql(`LOCK TABLES \`Session\` WRITE; SELECT SLEEP(${ms / 1000}) AS soak_lock; UNLOCK TABLES;`)
      m.from = now()
      // The lock is held once its session sleeps (the CLI prints nothing until it exits).
      const end = now() + 5000
      while (now() < end && !Number((await server.sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP%soak_lock%'")).trim())) await sleep(20)
      m.hard0 = now()
      await locker
      locker = null
      m.hard1 = now()
      m.to = now()
      return m
    },
    slowLabel: '`Session` locked (LOCK TABLES … WRITE)',
    async destroy() {
      await locker?.catch(() => {})
      await server.destroy().catch(() => {})
    },
  }
}

// ---------------------------------------------------------------------------
// Redis, @auth/upstash-redis-adapter's keys (JSON strings). Persistence on,
// so a stopped server comes back with its keys.

export async function redisStore() {
  const { startRedis, redisUnavailable } = await import('../tools/redis.mjs')
  const why = redisUnavailable()
  if (why) throw new Error(`the Redis store needs redis-server: ${why}`)
  const r = await startRedis({ notify: '', persist: true })
  const mset = async (pairs) => {
    for (let i = 0; i < pairs.length; i += 400) await r.cmd('MSET', ...pairs.slice(i, i + 400).flat())
  }
  const sessionPair = (s) => [`user:session:${s.token}`, JSON.stringify({ sessionToken: s.token, userId: `u${s.user}`, expires: new Date(s.expiresMs).toISOString() })]
  let byToken = new Map()
  return {
    name: 'redis',
    title: 'Redis',
    layout: '@auth/upstash-redis-adapter keys, a throw-away redis-server (appendfsync always)',
    env: { SESSION_DATABASE_URL: r.url(0), SESSION_SCHEMA: 'upstash-redis' },
    async seed({ users, sessions }) {
      await r.cmd('FLUSHALL')
      byToken = new Map(sessions.map((s) => [s.token, s]))
      await mset(users.map((u) => [`user:u${u.id}`, JSON.stringify({ id: `u${u.id}`, name: u.name, email: u.email, emailVerified: null, image: null })]))
      await mset(sessions.map(sessionPair))
    },
    async setExpires(tokens, ms) {
      await mset(tokens.map((t) => sessionPair({ ...byToken.get(t), expiresMs: ms })))
    },
    down: (ms) => outage(ms, () => r.stop(), () => r.start()),
    /** CLIENT PAUSE … ALL: the server answers no command for `ms`. */
    async slow(ms) {
      await r.cmd('CLIENT', 'PAUSE', String(ms), 'ALL')
      const m = { from: now() }
      m.hard0 = m.from
      await sleep(ms)
      m.hard1 = now()
      m.to = now()
      return m
    },
    slowLabel: 'server paused (CLIENT PAUSE ALL)',
    async destroy() {
      await r.destroy().catch(() => {})
    },
  }
}

// ---------------------------------------------------------------------------
// The session endpoint: a local HTTP server playing the app's own
// /api/auth/session (next-auth's body: { user, expires }, {} for no session).
// It answers a session even past its `expires` (a stale endpoint): the core
// must deny it. down: the server is closed (connections destroyed) and
// listens again on the same port; slow: every answer waits `ms`.

export async function endpointStore() {
  const port = await getFreePort()
  let db = { users: new Map(), sessions: new Map() }
  let delayMs = 0
  let server = null
  const sockets = new Set()
  const handle = async (req, res) => {
    if (delayMs) await sleep(delayMs)
    const cookie = req.headers.cookie ?? ''
    const m = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE.replace(/\./g, '\\.')}=([^;]*)`).exec(cookie)
    const s = m && db.sessions.get(m[1])
    const u = s && db.users.get(s.user)
    const body = JSON.stringify(u ? { user: { name: u.name, email: u.email, image: null }, expires: new Date(s.expiresMs).toISOString() } : {})
    if (res.destroyed) return
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }
  const listen = () =>
    new Promise((resolve, reject) => {
      server = http.createServer((req, res) => void handle(req, res))
      server.on('connection', (s) => {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
      })
      server.once('error', reject)
      server.listen(port, '127.0.0.1', resolve)
    })
  const close = () =>
    new Promise((resolve) => {
      if (!server) return resolve()
      server.close(() => resolve())
      for (const s of sockets) s.destroy()
      server = null
    })
  await listen()
  return {
    name: 'endpoint',
    title: 'sessionEndpoint',
    layout: 'a local /api/auth/session server (next-auth body), the app built with `sessionEndpoint`',
    variant: 'endpoint',
    env: { SOAK_SESSION_ENDPOINT: `http://127.0.0.1:${port}/api/auth/session` },
    async seed({ users, sessions }) {
      db = { users: new Map(users.map((u) => [u.id, u])), sessions: new Map(sessions.map((s) => [s.token, { ...s }])) }
    },
    async setExpires(tokens, ms) {
      for (const t of tokens) db.sessions.get(t).expiresMs = ms
    },
    down: (ms) => outage(ms, () => close(), () => listen()),
    async slow(ms) {
      delayMs = ms
      const m = { from: now() }
      m.hard0 = m.from
      await sleep(ms)
      m.hard1 = now()
      delayMs = 0
      // Answers already waiting finish within `ms` more; they are too late for the deadline anyway.
      m.to = now()
      return m
    },
    slowLabel: `every answer delayed`,
    async destroy() {
      delayMs = 0
      await close()
    },
  }
}

// ---------------------------------------------------------------------------
// SQLite: @auth/pg-adapter's tables in a file (the app's default preset for a
// file URL), `expires` as ISO text. slow: another process holds an
// exclusive transaction (rollback journal), so readers get SQLITE_BUSY and
// wait (busy_timeout) until the deadline. No `down` (a file has no server).

export async function sqliteStore() {
  const sqlite = ['/usr/bin/sqlite3', '/usr/local/bin/sqlite3'].find((p) => {
    try {
      execFileSync(p, ['-version'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  })
  if (!sqlite) throw new Error('the SQLite store needs the sqlite3 CLI (apt-get install sqlite3)')
  const dir = mkdtempSync(path.join(tmpdir(), 'nan-soak-sqlite-'))
  const file = path.join(dir, 'sessions.db')
  const run = (text) => execFileSync(sqlite, [file], { input: `.timeout 5000\n${text}`, stdio: ['pipe', 'pipe', 'pipe'] }).toString()
  run(`${readFileSync(path.join(DB_DIR, 'db', 'schema.sql'), 'utf8')}\nPRAGMA journal_mode=DELETE;`)
  const iso = (ms) => sqlq(new Date(ms).toISOString())
  let locker = null
  return {
    name: 'sqlite',
    title: 'SQLite',
    layout: '@auth/pg-adapter tables in a file, ISO text `expires`',
    env: { SESSION_DATABASE_URL: file },
    async seed({ users, sessions }) {
      const f = path.join(dir, 'seed.sql')
      writeFileSync(
        f,
        `BEGIN; DELETE FROM sessions; DELETE FROM users;
        INSERT INTO users (id, name, email) VALUES ${values(users, (u) => `(${u.id}, ${sqlq(u.name)}, ${sqlq(u.email)})`)};
        INSERT INTO sessions ("sessionToken", "userId", expires) VALUES ${values(sessions, (s) => `(${sqlq(s.token)}, ${s.user}, ${iso(s.expiresMs)})`)};
        COMMIT;`,
      )
      run(`.read ${f}`)
    },
    async setExpires(tokens, ms) {
      run(`UPDATE sessions SET expires = ${iso(ms)} WHERE "sessionToken" IN (${tokens.map(sqlq).join(',')});`)
    },
    async slow(ms) {
      locker = spawn(sqlite, [file], { stdio: ['pipe', 'pipe', 'ignore'] })
      const taken = new Promise((resolve) => {
        let out = ''
        locker.stdout.on('data', (d) => {
          out += d
          if (out.includes('locked')) resolve()
        })
      })
      locker.stdin.write(".timeout 5000\nBEGIN EXCLUSIVE;\nSELECT 'locked';\n")
      await taken
      const m = { from: now() }
      m.hard0 = m.from
      await sleep(ms)
      m.hard1 = now()
      const gone = new Promise((r) => locker.once('exit', r))
      locker.stdin.end('COMMIT;\n.quit\n')
      await gone
      locker = null
      m.to = now()
      return m
    },
    slowLabel: 'file locked (BEGIN EXCLUSIVE in another process)',
    async destroy() {
      if (locker) locker.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export const STORES = { pg: pgStore, mysql: mysqlStore, redis: redisStore, endpoint: endpointStore, sqlite: sqliteStore }

/**
 * The session-endpoint build of examples/next-app-db: the same app (a copy,
 * node_modules hard-linked) whose lib/session-options.ts gives
 * `sessionEndpoint` instead of `database`. Returns its directory.
 */
export async function endpointVariant({ copyApp, buildApp }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'nan-soak-endpoint-app-'))
  rmSync(dir, { recursive: true, force: true })
  copyApp(dir, DB_DIR)
  writeFileSync(
    path.join(dir, 'lib', 'session-options.ts'),
    `// Written by scripts/soak-stores.mjs: examples/next-app-db with the session endpoint as its store.
import type { DatabaseSessionOptions } from 'next-auth-native/middleware'
import { SESSION_CACHE_TTL_MS, SESSION_TIMEOUT_MS } from './env'

export const sessionOptions: DatabaseSessionOptions = {
  strategy: 'database',
  sessionEndpoint: { url: process.env.SOAK_SESSION_ENDPOINT || 'http://127.0.0.1:9/api/auth/session', timeoutMs: SESSION_TIMEOUT_MS },
  cacheTtlMs: SESSION_CACHE_TTL_MS,
}
`,
  )
  await buildApp(dir)
  return dir
}
