// PostgreSQL for the database-session tests: the machine's server when one
// answers (127.0.0.1:5432, trust auth, or $NAN_TEST_PG_URL), otherwise a
// throw-away cluster (initdb + pg_ctl in a temp dir, on a free port, as the
// `postgres` user when we run as root). Every run works in databases of its
// own (unique names), dropped at the end; a cluster we started is stopped
// and removed. Tests that stop the database always use their own cluster.
//
// Nothing here depends on a test framework.

import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { getFreePort } from './next-app.mjs'

const execFileP = promisify(execFile)
const require = createRequire(import.meta.url)
export const pg = require('pg')

export const IS_CI = process.env.CI === 'true'
const SHARED_URLS = process.env.NAN_TEST_PG_URL
  ? [process.env.NAN_TEST_PG_URL]
  : ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://root@127.0.0.1:5432/postgres', 'postgres://postgres@127.0.0.1:5432/test']

/** A unique, valid database name for this run. */
export function uniqueName(tag = 'nan') {
  return `${tag}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase()
}

/** Runs `sql` on `url` with a short-lived client. */
export async function query(url, sql, params = []) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  await c.connect()
  try {
    return await c.query(sql, params)
  } finally {
    await c.end().catch(() => {})
  }
}

async function answers(url) {
  try {
    await query(url, 'SELECT 1')
    return true
  } catch {
    return false
  }
}

function withDb(url, db) {
  const u = new URL(url)
  u.pathname = `/${db}`
  return u.href
}

// ---------------------------------------------------------------------------
// Throw-away clusters

function findBinDir() {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/local/bin', '/usr/bin'])
  for (const d of dirs) if (d && existsSync(path.join(d, 'initdb')) && existsSync(path.join(d, 'pg_ctl'))) return d
  const base = '/usr/lib/postgresql'
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    for (const v of versions) {
      const d = path.join(base, v, 'bin')
      if (existsSync(path.join(d, 'initdb')) && existsSync(path.join(d, 'pg_ctl'))) return d
    }
  }
  return null
}

/** Why a throw-away cluster cannot be started here, or null. */
export function clusterUnavailable() {
  if (process.platform === 'win32') return 'throw-away clusters are not supported on Windows'
  if (!findBinDir()) return 'no initdb/pg_ctl found (PATH, /usr/local/bin, /usr/lib/postgresql/*/bin)'
  if (process.getuid?.() === 0 && !hasPostgresUser()) return 'running as root and there is no `postgres` user for initdb'
  return null
}

let postgresUser
function hasPostgresUser() {
  if (postgresUser === undefined) {
    try {
      postgresUser = require('node:child_process').execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()
    } catch {
      postgresUser = null
    }
  }
  return postgresUser !== null
}

function asPostgres(bin, args) {
  if (process.getuid?.() !== 0) return [bin, args]
  if (existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser')) return ['runuser', ['-u', 'postgres', '--', bin, ...args]]
  return ['su', ['postgres', '-s', '/bin/sh', '-c', [bin, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')]]
}

async function runPg(bin, args, timeout = 60_000) {
  const [cmd, argv] = asPostgres(bin, args)
  try {
    return await execFileP(cmd, argv, { timeout, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } })
  } catch (err) {
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${err.stderr || err.message}`)
  }
}

/**
 * initdb + pg_ctl start in a fresh temp dir on a free port. Returns
 * { url, port, dir, stop(), start(), destroy() }; `url` is the superuser's
 * `postgres` database.
 */
export async function startCluster({ options = '', hba = null, prepare = null } = {}) {
  const reason = clusterUnavailable()
  if (reason) throw new Error(reason)
  const bin = findBinDir()
  const dir = mkdtempSync(path.join(tmpdir(), 'nan-pg-'))
  if (process.getuid?.() === 0) {
    const uid = Number(postgresUser)
    const gid = Number(require('node:child_process').execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, uid, gid)
  }
  const data = path.join(dir, 'data')
  await runPg(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync'])
  if (hba !== null) writeFileSync(path.join(data, 'pg_hba.conf'), hba)
  if (prepare) await prepare({ dir, data })
  if (process.getuid?.() === 0) await execFileP('chown', ['-R', 'postgres:postgres', dir])
  const port = await getFreePort()
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50 ${typeof options === 'function' ? options(dir) : options}`
  const logFile = path.join(dir, 'server.log')
  let running = false
  const cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    /** Runs SQL as the superuser over the cluster's Unix socket (works whatever pg_hba says about TCP). */
    async sql(text, params = [], database = 'postgres') {
      const c = new pg.Client({ host: dir, port, user: 'postgres', database })
      await c.connect()
      try {
        return await c.query(text, params)
      } finally {
        await c.end().catch(() => {})
      }
    },
    async start() {
      await runPg(path.join(bin, 'pg_ctl'), ['-D', data, '-l', logFile, '-o', opts, '-w', '-t', '60', 'start'])
      running = true
    },
    /** Fast shutdown: clients are disconnected, new connections are refused. */
    async stop() {
      if (!running) return
      await runPg(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'])
      running = false
    },
    async destroy() {
      try {
        await cluster.stop()
      } catch {
        await runPg(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await cluster.start()
  return cluster
}

// ---------------------------------------------------------------------------

/**
 * A PostgreSQL server for one test file:
 *   { adminUrl, cluster (null when shared), createDatabase(tag) -> url, close() }
 * `own: true` always starts a throw-away cluster (for tests that stop it).
 * Resolves to null when none can be had (callers skip loudly, or fail under CI).
 */
export async function getPostgres({ own = false } = {}) {
  let adminUrl = null
  let cluster = null
  if (!own) {
    for (const u of SHARED_URLS) {
      if (await answers(u)) {
        adminUrl = u
        break
      }
    }
  }
  if (!adminUrl) {
    if (clusterUnavailable()) return null
    cluster = await startCluster()
    adminUrl = cluster.url
  }
  const created = []
  return {
    adminUrl,
    cluster,
    async createDatabase(tag) {
      const name = uniqueName(tag)
      await query(adminUrl, `CREATE DATABASE "${name}"`)
      created.push(name)
      return withDb(adminUrl, name)
    },
    async close() {
      if (cluster) {
        await cluster.destroy()
        return
      }
      for (const name of created) {
        await query(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {})
      }
    },
  }
}

/** Why Postgres tests cannot run, for a loud skip (or a failure under CI). */
export function noPostgresReason() {
  return `no PostgreSQL answers on ${SHARED_URLS.join(', ')} and ${clusterUnavailable() ?? 'a throw-away cluster failed to start'}`
}

// ---------------------------------------------------------------------------
// The two schema presets, as their adapters create them.

/** @next-auth/prisma-adapter's documented schema, as `prisma migrate` emits it for PostgreSQL. */
export const PRISMA_DDL = `
CREATE TABLE "User" ("id" TEXT NOT NULL, "name" TEXT, "email" TEXT, "emailVerified" TIMESTAMP(3), "image" TEXT,
  CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Session" ("id" TEXT NOT NULL, "sessionToken" TEXT NOT NULL, "userId" TEXT NOT NULL, "expires" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "Session_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "Session_sessionToken_key" ON "Session"("sessionToken");
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
`

/** @auth/pg-adapter's tables (examples/next-app-db/db/schema.sql). */
export const PG_ADAPTER_DDL = `
CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR(255), email VARCHAR(255) UNIQUE, "emailVerified" TIMESTAMPTZ, image TEXT);
CREATE TABLE sessions (id SERIAL PRIMARY KEY, "userId" INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires TIMESTAMPTZ NOT NULL, "sessionToken" VARCHAR(255) UNIQUE NOT NULL);
`

/**
 * @auth/drizzle-adapter's PostgreSQL tables (packages/adapter-drizzle/src/lib/pg.ts), as drizzle-kit
 * generates them: text ids, `expires timestamp` (mode "date": drizzle writes Date.toISOString(), so the
 * column holds UTC wall-clock time).
 */
export const DRIZZLE_DDL = `
CREATE TABLE "user" ("id" text PRIMARY KEY NOT NULL, "name" text, "email" text NOT NULL, "emailVerified" timestamp, "image" text);
CREATE TABLE "session" ("sessionToken" text PRIMARY KEY NOT NULL, "userId" text NOT NULL, "expires" timestamp NOT NULL);
ALTER TABLE "session" ADD CONSTRAINT "session_userId_user_id_fk" FOREIGN KEY ("userId") REFERENCES "public"."user"("id") ON DELETE cascade ON UPDATE no action;
`

/**
 * @auth/kysely-adapter: its Database interface names "User" and "Session"; the documented PostgreSQL
 * migration uses uuid ids (gen_random_uuid()) and `expires timestamptz`.
 */
export const KYSELY_DDL = `
CREATE TABLE "User" ("id" uuid PRIMARY KEY DEFAULT gen_random_uuid(), "name" text, "email" text UNIQUE NOT NULL,
  "emailVerified" timestamptz DEFAULT NOW(), "image" text);
CREATE TABLE "Session" ("id" uuid PRIMARY KEY DEFAULT gen_random_uuid(), "userId" uuid NOT NULL REFERENCES "User"("id") ON DELETE CASCADE,
  "sessionToken" text UNIQUE NOT NULL, "expires" timestamptz NOT NULL);
CREATE INDEX "Session_userId_index" ON "Session" ("userId");
`

export function writeTempFile(name, text) {
  const dir = mkdtempSync(path.join(tmpdir(), 'nan-'))
  const file = path.join(dir, name)
  writeFileSync(file, text)
  return { file, dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

// ---------------------------------------------------------------------------
// TLS: a throw-away CA and server certificates, made with the openssl CLI.

async function openssl(args, cwd) {
  try {
    return await execFileP('openssl', args, { cwd, timeout: 60_000 })
  } catch (err) {
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr || err.message}`)
  }
}

/** Why TLS test certificates cannot be made here, or null. */
export function opensslUnavailable() {
  try {
    require('node:child_process').execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return null
  } catch {
    return 'no openssl CLI on PATH'
  }
}

/**
 * Writes into `dir`: two CAs (`ca.crt`, `other-ca.crt`) and, signed by
 * `ca.crt`, `server.crt`/`server.key` (SAN localhost + 127.0.0.1, valid
 * now) and `expired.crt`/`expired.key` (same names, expired in 2020).
 * EC P-256 keys; `openssl ca` for explicit validity dates.
 */
export async function makeCertificates(dir) {
  const f = (n) => path.join(dir, n)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  const caExt = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']
  await openssl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '3', '-subj', '/CN=next-auth-native test CA', ...caExt], dir)
  await openssl(['req', '-x509', ...ec, '-keyout', f('other-ca.key'), '-out', f('other-ca.crt'), '-days', '3', '-subj', '/CN=some other CA', ...caExt], dir)
  writeFileSync(f('index.txt'), '')
  writeFileSync(f('serial'), '1000\n')
  writeFileSync(f('ca.cnf'), `[ca]
default_ca = d
[d]
database = ${f('index.txt')}
new_certs_dir = ${dir}
serial = ${f('serial')}
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[p]
commonName = supplied
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
`)
  const sign = async (name, start, end) => {
    await openssl(['req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', '/CN=localhost'], dir)
    await openssl(['ca', '-batch', '-notext', '-config', f('ca.cnf'), '-cert', f('ca.crt'), '-keyfile', f('ca.key'),
      '-extensions', 'server', '-in', f(`${name}.csr`), '-out', f(`${name}.crt`), '-startdate', start, '-enddate', end], dir)
  }
  const stamp = (d) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'
  await sign('server', stamp(new Date(Date.now() - 3600_000)), stamp(new Date(Date.now() + 2 * 86400_000)))
  await sign('expired', '20200101000000Z', '20200201000000Z')
  return { dir, ca: f('ca.crt'), otherCa: f('other-ca.crt'), cert: f('server.crt'), key: f('server.key'), expiredCert: f('expired.crt'), expiredKey: f('expired.key') }
}

/**
 * A throw-away cluster that accepts TCP connections only over TLS
 * (`hostssl` in pg_hba; plain `host` lines are absent), with certificates
 * from makeCertificates() in `<dir>/certs`. `scram` is a role that must
 * log in with SCRAM-SHA-256 (password `scram-pass`). Returns the cluster
 * plus `certs` and `useCert(cert, key)` (switches the server certificate
 * with a reload). `allowPlaintext` (benchmarks) also accepts plain TCP.
 */
export async function startTlsCluster({ allowPlaintext = false } = {}) {
  let certs
  const cluster = await startCluster({
    hba: `local all all trust
hostssl all scram 127.0.0.1/32 scram-sha-256
hostssl all all 127.0.0.1/32 trust
${allowPlaintext ? 'host all all 127.0.0.1/32 trust\n' : ''}`,
    async prepare({ dir, data }) {
      const certDir = path.join(dir, 'certs')
      require('node:fs').mkdirSync(certDir)
      certs = await makeCertificates(certDir)
      for (const k of [certs.key, certs.expiredKey]) require('node:fs').chmodSync(k, 0o600)
      // In postgresql.conf, not on the command line, so that ALTER SYSTEM + reload can switch them.
      require('node:fs').appendFileSync(path.join(data, 'postgresql.conf'),
        `\nssl = on\nssl_cert_file = '${certs.cert}'\nssl_key_file = '${certs.key}'\n`)
    },
  })
  await cluster.sql("CREATE ROLE scram LOGIN SUPERUSER PASSWORD 'scram-pass'")
  cluster.certs = certs
  cluster.useCert = async (cert, key) => {
    await cluster.sql(`ALTER SYSTEM SET ssl_cert_file = '${cert}'`)
    await cluster.sql(`ALTER SYSTEM SET ssl_key_file = '${key}'`)
    await cluster.sql('SELECT pg_reload_conf()')
    await new Promise((r) => setTimeout(r, 300))
  }
  return cluster
}

// ---------------------------------------------------------------------------
// PgBouncer (Debian's `pgbouncer` package), started by the test.

function findPgBouncer() {
  for (const d of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/usr/bin', '/usr/local/bin'])) {
    if (d && existsSync(path.join(d, 'pgbouncer'))) return path.join(d, 'pgbouncer')
  }
  return null
}

/** Why PgBouncer cannot be started here, or null. */
export function pgbouncerUnavailable() {
  if (!findPgBouncer()) return 'no pgbouncer binary (apt-get install -y pgbouncer; .ci/run installs it)'
  if (process.getuid?.() === 0 && !hasPostgresUser()) return 'running as root and there is no `postgres` user to run pgbouncer as'
  return null
}

/**
 * PgBouncer on a free port in front of 127.0.0.1:`targetPort`, trust auth,
 * as the `postgres` user when we are root (it refuses to run as root).
 * Returns { port, url(db), log(), stop() }.
 */
export async function startPgBouncer(targetPort, { poolMode = 'transaction', poolSize = 2, extra = '' } = {}) {
  const reason = pgbouncerUnavailable()
  if (reason) throw new Error(reason)
  const bin = findPgBouncer()
  const dir = mkdtempSync(path.join(tmpdir(), 'nan-pgb-'))
  const port = await getFreePort()
  const f = (n) => path.join(dir, n)
  writeFileSync(f('userlist.txt'), '"postgres" ""\n')
  writeFileSync(f('pgbouncer.ini'), `[databases]
* = host=127.0.0.1 port=${targetPort}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${f('userlist.txt')}
pool_mode = ${poolMode}
default_pool_size = ${poolSize}
max_client_conn = 500
logfile = ${f('pgbouncer.log')}
pidfile = ${f('pgbouncer.pid')}
${extra}
`)
  if (process.getuid?.() === 0) await execFileP('chown', ['-R', 'postgres:postgres', dir])
  const [cmd, argv] = asPostgres(bin, [f('pgbouncer.ini')])
  const child = require('node:child_process').spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const readLog = () => {
    try {
      return require('node:fs').readFileSync(f('pgbouncer.log'), 'utf8')
    } catch {
      return ''
    }
  }
  const deadline = Date.now() + 15_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${stderr}${readLog()}`)
    const up = await new Promise((resolve) => {
      const s = require('node:net').connect(port, '127.0.0.1', () => {
        s.destroy()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (up) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`pgbouncer did not listen on ${port}: ${stderr}${readLog()}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    port,
    url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    log: readLog,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        // runuser forwards SIGTERM to pgbouncer.
        child.kill('SIGTERM')
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
        if (child.exitCode === null) child.kill('SIGKILL')
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
