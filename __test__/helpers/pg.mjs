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
export async function startCluster() {
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
  const port = await getFreePort()
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50`
  const logFile = path.join(dir, 'server.log')
  let running = false
  const cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
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

export function writeTempFile(name, text) {
  const dir = mkdtempSync(path.join(tmpdir(), 'nan-'))
  const file = path.join(dir, name)
  writeFileSync(file, text)
  return { file, dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
