// A throw-away MariaDB server for the MySQL session-store tests:
// mariadb-install-db into a temp dir, mariadbd on a free port bound to
// 127.0.0.1 (optionally with TLS from an openssl-generated CA), a user
// `nan`/`nan` for TCP clients, SQL run with the `mariadb` CLI over the
// server's Unix socket. Stopped and removed by destroy().
//
// Nothing here depends on a test framework.

import { execFile, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { getFreePort } from './next-app.mjs'

const execFileP = promisify(execFile)

function which(bin) {
  for (const d of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/usr/bin', '/usr/local/bin'])) {
    if (d && existsSync(path.join(d, bin))) return path.join(d, bin)
  }
  return null
}

/** Why a throw-away MariaDB cannot be started here, or null. */
export function mariadbUnavailable() {
  if (process.platform === 'win32') return 'throw-away MariaDB servers are not supported on Windows'
  for (const b of ['mariadb-install-db', 'mariadbd', 'mariadb']) if (!which(b)) return `no ${b} on PATH (apt-get install mariadb-server mariadb-client)`
  return null
}

/**
 * A CA and a server certificate for 127.0.0.1/localhost in `dir`:
 * { ca, cert, key, otherCa } (paths). `otherCa` signed nothing here. The
 * certificate names `cn` (DNS) and, with `ip`, 127.0.0.1.
 */
export function makeCerts(dir, { cn = 'localhost', ip = true } = {}) {
  const f = (n) => path.join(dir, n)
  const ossl = (...a) => execFileSync('openssl', a, { stdio: 'pipe' })
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=nan test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'))
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f('server.key'), '-out', f('server.csr'))
  writeFileSync(f('san.ext'), `subjectAltName=DNS:${cn}${ip ? ',IP:127.0.0.1' : ''}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`)
  ossl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('san.ext'), '-out', f('server.pem'))
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other CA', '-keyout', f('other.key'), '-out', f('other.pem'))
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key'), otherCa: f('other.pem') }
}

async function waitFor(fn, ms, what) {
  const end = Date.now() + ms
  let last
  while (Date.now() < end) {
    try {
      if (await fn()) return
    } catch (e) {
      last = e
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  throw new Error(`${what} did not come up within ${ms} ms${last ? `: ${last.message}` : ''}`)
}

/**
 * Starts a server. Returns { port, dir, socket, certs, url(db, params), sql(text, db), stop(), start(), destroy() }.
 * `tls: true` serves TLS with an openssl-generated CA (`certs.ca`); the certificate names
 * localhost and 127.0.0.1 unless `certName` says otherwise.
 */
export async function startMariaDB({ tls = false, certName = { cn: 'localhost', ip: true } } = {}) {
  const reason = mariadbUnavailable()
  if (reason) throw new Error(reason)
  const dir = mkdtempSync(path.join(tmpdir(), 'nan-maria-'))
  const data = path.join(dir, 'data')
  const socket = path.join(dir, 'mysqld.sock')
  const asRoot = process.getuid?.() === 0
  await execFileP(which('mariadb-install-db'), [
    '--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db',
    ...(asRoot ? ['--user=root'] : []), '--skip-name-resolve',
  ], { timeout: 120_000 }).catch((e) => {
    throw new Error(`mariadb-install-db failed: ${e.stderr || e.message}`)
  })
  const certs = tls ? makeCerts(dir, certName) : null
  const port = await getFreePort()
  const args = [
    '--no-defaults', `--datadir=${data}`, `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1',
    `--pid-file=${path.join(dir, 'mysqld.pid')}`, '--skip-name-resolve', '--innodb-buffer-pool-size=16M',
    '--innodb-log-file-size=8M', '--skip-log-bin', '--max-connections=60', `--log-error=${path.join(dir, 'error.log')}`,
    ...(asRoot ? ['--user=root'] : []),
    ...(certs ? [`--ssl-ca=${certs.ca}`, `--ssl-cert=${certs.cert}`, `--ssl-key=${certs.key}`] : []),
  ]
  let child = null
  // SQL goes in on stdin (no argv size limit).
  const sql = (text, db) => new Promise((resolve, reject) => {
    const a = ['--no-defaults', '-uroot', `--socket=${socket}`, '--batch', '--skip-column-names', ...(db ? [db] : [])]
    const c = spawn(which('mariadb'), a, { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000)
    c.stdout.on('data', (d) => (out += d))
    c.stderr.on('data', (d) => (err += d))
    c.on('error', (e) => {
      clearTimeout(t)
      reject(new Error(`mariadb: ${e.message}`))
    })
    c.on('close', (code) => {
      clearTimeout(t)
      if (code === 0) resolve(out)
      else reject(new Error(`mariadb: ${err || `exit ${code}`}`))
    })
    // A client that exits before reading (the server is not up yet) closes its stdin: that EPIPE is
    // the failed attempt 'close' reports, not an error of the test process.
    c.stdin.on('error', () => {})
    c.stdin.end(text)
  })
  const server = {
    port,
    dir,
    socket,
    certs,
    /** A TCP URL for user `nan` on database `db`. */
    url: (db, params = '') => `mysql://nan:nan@127.0.0.1:${port}/${db}${params ? `?${params}` : ''}`,
    sql,
    async start() {
      child = spawn(which('mariadbd'), args, { stdio: 'ignore' })
      child.on('error', () => {})
      await waitFor(async () => (await sql('SELECT 1')).trim() === '1', 60_000, 'mariadbd')
    },
    async stop() {
      if (!child) return
      const c = child
      child = null
      const gone = new Promise((r) => c.once('exit', r))
      c.kill('SIGTERM')
      const t = setTimeout(() => c.kill('SIGKILL'), 15_000)
      await gone
      clearTimeout(t)
    },
    async destroy() {
      await server.stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await server.start()
  await sql(`CREATE USER 'nan'@'%' IDENTIFIED BY 'nan'; GRANT ALL ON *.* TO 'nan'@'%'; FLUSH PRIVILEGES;`)
  return server
}

/** Prisma's MySQL migration of the next-auth schema (prisma migrate, provider "mysql"): `User`, `Session`, DATETIME(3) in UTC. */
export const PRISMA_MYSQL_DDL = `
CREATE TABLE \`User\` (\`id\` VARCHAR(191) NOT NULL, \`name\` VARCHAR(191) NULL, \`email\` VARCHAR(191) NULL,
  \`emailVerified\` DATETIME(3) NULL, \`image\` VARCHAR(191) NULL,
  UNIQUE INDEX \`User_email_key\`(\`email\`), PRIMARY KEY (\`id\`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE \`Session\` (\`id\` VARCHAR(191) NOT NULL, \`sessionToken\` VARCHAR(191) NOT NULL, \`userId\` VARCHAR(191) NOT NULL,
  \`expires\` DATETIME(3) NOT NULL, UNIQUE INDEX \`Session_sessionToken_key\`(\`sessionToken\`), PRIMARY KEY (\`id\`))
  DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE \`Session\` ADD CONSTRAINT \`Session_userId_fkey\` FOREIGN KEY (\`userId\`) REFERENCES \`User\`(\`id\`) ON DELETE CASCADE ON UPDATE CASCADE;
`
