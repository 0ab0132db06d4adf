// Database sessions over TLS, against a real PostgreSQL that accepts TCP
// connections only with TLS (pg_hba `hostssl`, no `host` lines), with a CA
// and server certificates made by openssl in this test's setup
// (tools/pg.mjs startTlsCluster). libpq's sslmode semantics:
//
//   disable      refused by the server (no encryption)
//   prefer       upgrades to TLS when offered (pg_stat_ssl proves it)
//   require      TLS without verification (even an expired or foreign cert),
//                but with sslrootcert=<file> it verifies the chain (libpq rule)
//   verify-ca    the chain (right CA passes, wrong CA and expired deny)
//   verify-full  the chain and the host name (IP SAN, DNS SAN; a name not in
//                the certificate denies)
//
// plus sslrootcert=system and the default system store (SSL_CERT_FILE is the
// "system" store here), PGSSLMODE/PGSSLROOTCERT, SCRAM-SHA-256-PLUS channel
// binding, a plaintext-only server under require, a handshake that never
// finishes (the deadline covers it), and configuration errors. Every denial
// comes within the deadline with exactly one log line naming the reason and
// no token material.
//
// Needs initdb/pg_ctl and openssl; without them it skips loudly, except under
// CI=true, where that is a failure.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import { IS_CI, PG_ADAPTER_DDL, clusterUnavailable, opensslUnavailable, startCluster, startTlsCluster } from '../tools/pg.mjs'
import { recorder, skipOrFail } from './helpers/skip.mjs'

const require = createRequire(import.meta.url)
const { verifySession } = require('../lib/session.js')
const { NextRequest } = require('next/server')

const COOKIE = 'next-auth.session-token'
const TOKEN = randomUUID()
const TIMEOUT = 1500

function req(token) {
  return new NextRequest('http://localhost:3000/dashboard', { headers: { cookie: `theme=dark; ${COOKIE}=${token}` } })
}

let n = 0
/** A URL for the test database; a unique application_name gives every case its own store and pool. */
function urlOf(port, params = {}, { host = '127.0.0.1', user = 'postgres', db = 'nan_tls' } = {}) {
  const app = `nan_tls_${process.pid}_${++n}`
  const q = new URLSearchParams({ application_name: app, ...params })
  return { url: `postgres://${user}@${host}:${port}/${db}?${q}`, app }
}

async function verify(url, logger = recorder(), token = TOKEN) {
  const t0 = performance.now()
  const session = await verifySession({
    req: req(token), strategy: 'database', cacheTtlMs: 0, logger,
    database: { url, schema: 'pg-adapter', timeoutMs: TIMEOUT },
  })
  return { session, ms: performance.now() - t0, lines: logger.lines }
}

/** A denial: null, within the deadline (plus scheduling slack), one log line matching `re`, no token. */
async function assertDenied(url, re, what) {
  const logger = recorder()
  const first = await verify(url, logger)
  assert.equal(first.session, null, `${what}: must deny`)
  assert.ok(first.ms < TIMEOUT + 500, `${what}: denied after ${first.ms.toFixed(0)} ms (deadline ${TIMEOUT} ms)`)
  // The same incident again: still denied, no second line.
  const again = await verify(url, logger)
  assert.equal(again.session, null)
  assert.equal(logger.lines.length, 1, `${what}: one log line per incident, got ${JSON.stringify(logger.lines)}`)
  assert.match(logger.lines[0], re, `${what}: the log line names the reason`)
  assert.ok(!logger.lines[0].includes(TOKEN), 'no token material in the log')
  return logger.lines[0]
}

async function assertFound(url, what) {
  const logger = recorder()
  const r = await verify(url, logger)
  assert.equal(r.session?.user?.email, 'tls@example.com', `${what}: ${JSON.stringify(r.session)} ${logger.lines.join(' | ')}`)
  assert.deepEqual(logger.lines, [], what)
}

describe('database sessions over TLS: a hostssl-only PostgreSQL', { timeout: 5 * 60_000 }, () => {
  let cluster
  let plain
  let skip = null
  let certs

  before(async () => {
    skip = clusterUnavailable() ?? opensslUnavailable()
    if (skip) return
    cluster = await startTlsCluster()
    certs = cluster.certs
    await cluster.sql('CREATE DATABASE nan_tls')
    await cluster.sql(PG_ADAPTER_DDL, [], 'nan_tls')
    await cluster.sql(`INSERT INTO users (name, email) VALUES ('TLS User', 'tls@example.com')`, [], 'nan_tls')
    await cluster.sql(`INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (1, now() + interval '1 hour', $1)`, [TOKEN], 'nan_tls')
    await cluster.sql('GRANT ALL ON ALL TABLES IN SCHEMA public TO scram', [], 'nan_tls')
  })
  after(async () => {
    delete process.env.PGSSLMODE
    delete process.env.PGSSLROOTCERT
    delete process.env.SSL_CERT_FILE
    await cluster?.destroy()
    await plain?.destroy()
  })

  test('disable: the server refuses plaintext; denied with one log line', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const line = await assertDenied(urlOf(cluster.port, { sslmode: 'disable' }).url, /no encryption.*sslmode=require/, 'disable')
    assert.match(line, /SQLSTATE 28000/)
  })

  test('prefer (and the default): TLS when offered, proven by pg_stat_ssl', async (t) => {
    if (skip) return skipOrFail(t, skip)
    for (const params of [{ sslmode: 'prefer' }, {}]) {
      const { url, app } = urlOf(cluster.port, params)
      await assertFound(url, `prefer ${JSON.stringify(params)}`)
      // The pooled connection stays open: the server says it is encrypted.
      const { rows } = await cluster.sql(
        'SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1', [app])
      assert.equal(rows.length, 1, `one pooled connection for ${app}`)
      assert.equal(rows[0].ssl, true)
      assert.match(rows[0].version, /^TLSv1\.[23]$/)
    }
  })

  test('require: encrypts without verifying (a CA we were never told about)', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const { url, app } = urlOf(cluster.port, { sslmode: 'require' })
    await assertFound(url, 'require')
    const { rows } = await cluster.sql('SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1', [app])
    assert.equal(rows[0]?.ssl, true)
  })

  test('require + sslrootcert=<file> verifies the chain (libpq rule): right CA passes, wrong CA denies', async (t) => {
    if (skip) return skipOrFail(t, skip)
    await assertFound(urlOf(cluster.port, { sslmode: 'require', sslrootcert: certs.ca }).url, 'require + right CA')
    await assertDenied(urlOf(cluster.port, { sslmode: 'require', sslrootcert: certs.otherCa }).url,
      /TLS: server certificate rejected: it is not signed by a trusted CA/, 'require + wrong CA')
  })

  test('verify-ca: the right CA passes (any host name), a wrong CA denies', async (t) => {
    if (skip) return skipOrFail(t, skip)
    await assertFound(urlOf(cluster.port, { sslmode: 'verify-ca', sslrootcert: certs.ca }).url, 'verify-ca')
    // A host name the certificate does not name: verify-ca does not check it.
    await assertFound(urlOf(cluster.port, { sslmode: 'verify-ca', sslrootcert: certs.ca, hostaddr: '127.0.0.1' }, { host: 'db.example.test' }).url,
      'verify-ca, other host name')
    await assertDenied(urlOf(cluster.port, { sslmode: 'verify-ca', sslrootcert: certs.otherCa }).url,
      /TLS: server certificate rejected: it is not signed by a trusted CA \(unknown issuer/, 'verify-ca + wrong CA')
  })

  test('verify-full: IP and DNS names in the certificate pass; a name not in it denies', async (t) => {
    if (skip) return skipOrFail(t, skip)
    await assertFound(urlOf(cluster.port, { sslmode: 'verify-full', sslrootcert: certs.ca }).url, 'verify-full by IP')
    await assertFound(urlOf(cluster.port, { sslmode: 'verify-full', sslrootcert: certs.ca }, { host: 'localhost' }).url, 'verify-full by name')
    const line = await assertDenied(
      urlOf(cluster.port, { sslmode: 'verify-full', sslrootcert: certs.ca, hostaddr: '127.0.0.1' }, { host: 'db.example.test' }).url,
      /TLS: server certificate rejected: it is not valid for the host name "db\.example\.test"/, 'verify-full, host name mismatch')
    assert.match(line, /localhost/, 'names what the certificate is valid for')
    await assertDenied(urlOf(cluster.port, { sslmode: 'verify-full', sslrootcert: certs.otherCa }).url, /not signed by a trusted CA/, 'verify-full + wrong CA')
  })

  test('sslrootcert=system and the default system store (SSL_CERT_FILE), PGSSLMODE/PGSSLROOTCERT', async (t) => {
    if (skip) return skipOrFail(t, skip)
    // rustls-native-certs reads SSL_CERT_FILE as the system store.
    process.env.SSL_CERT_FILE = certs.ca
    try {
      await assertFound(urlOf(cluster.port, { sslrootcert: 'system' }).url, 'sslrootcert=system (implies verify-full)')
      await assertFound(urlOf(cluster.port, { sslmode: 'verify-full' }).url, 'verify-full, default roots = system store')
      process.env.SSL_CERT_FILE = certs.otherCa
      await assertDenied(urlOf(cluster.port, { sslmode: 'verify-full' }).url, /not signed by a trusted CA/, 'verify-full against a system store without our CA')
    } finally {
      delete process.env.SSL_CERT_FILE
    }
    process.env.PGSSLMODE = 'verify-full'
    process.env.PGSSLROOTCERT = certs.ca
    try {
      await assertFound(urlOf(cluster.port).url, 'PGSSLMODE=verify-full + PGSSLROOTCERT')
      // The URL wins over the environment.
      await assertDenied(urlOf(cluster.port, { sslmode: 'disable' }).url, /no encryption/, 'sslmode in the URL over PGSSLMODE')
      process.env.PGSSLROOTCERT = certs.otherCa
      await assertDenied(urlOf(cluster.port).url, /not signed by a trusted CA/, 'PGSSLROOTCERT = wrong CA')
    } finally {
      delete process.env.PGSSLMODE
      delete process.env.PGSSLROOTCERT
    }
  })

  test('SCRAM-SHA-256-PLUS: channel binding to the TLS certificate (channel_binding=require)', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const { url } = urlOf(cluster.port, { sslmode: 'verify-full', sslrootcert: certs.ca, channel_binding: 'require' }, { user: 'scram:scram-pass' })
    await assertFound(url, 'scram with channel binding')
    const wrong = urlOf(cluster.port, { sslmode: 'verify-full', sslrootcert: certs.ca }, { user: 'scram:wrong' }).url
    await assertDenied(wrong, /SQLSTATE 28P01/, 'wrong password')
  })

  test('an expired certificate: verify-ca/verify-full deny naming the expiry; require still connects', async (t) => {
    if (skip) return skipOrFail(t, skip)
    await cluster.useCert(certs.expiredCert, certs.expiredKey)
    try {
      for (const mode of ['verify-ca', 'verify-full']) {
        await assertDenied(urlOf(cluster.port, { sslmode: mode, sslrootcert: certs.ca }).url,
          /TLS: server certificate rejected: it expired at 2020-02-01T00:00:00\.000Z/, `${mode}, expired`)
      }
      await assertFound(urlOf(cluster.port, { sslmode: 'require' }).url, 'require does not verify (libpq)')
    } finally {
      await cluster.useCert(certs.cert, certs.key)
    }
    await assertFound(urlOf(cluster.port, { sslmode: 'verify-full', sslrootcert: certs.ca }).url, 'valid certificate again')
  })

  test('a plaintext-only server: require denies, prefer connects in plaintext', async (t) => {
    if (skip) return skipOrFail(t, skip)
    plain = await startCluster()
    await plain.sql('CREATE DATABASE nan_tls')
    await plain.sql(PG_ADAPTER_DDL, [], 'nan_tls')
    await plain.sql(`INSERT INTO users (name, email) VALUES ('TLS User', 'tls@example.com')`, [], 'nan_tls')
    await plain.sql(`INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (1, now() + interval '1 hour', $1)`, [TOKEN], 'nan_tls')
    for (const mode of ['require', 'verify-ca', 'verify-full']) {
      await assertDenied(urlOf(plain.port, { sslmode: mode, sslrootcert: certs.ca }).url,
        /TLS: the server does not offer TLS, and the sslmode \(require or stricter\) needs it/, `${mode} vs plaintext server`)
    }
    await assertFound(urlOf(plain.port, { sslmode: 'prefer' }).url, 'prefer vs plaintext server')
  })

  test('a server that accepts TLS and never finishes the handshake: denied at the deadline', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const sockets = new Set()
    const server = createServer((s) => {
      sockets.add(s)
      s.once('data', () => s.write('S')) // "TLS, go ahead", then silence
      s.on('error', () => {})
    })
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
    try {
      const line = await assertDenied(urlOf(server.address().port, { sslmode: 'require' }).url, new RegExp(`no answer within ${TIMEOUT} ms`), 'stalled handshake')
      assert.match(line, /SESSION_STORE/)
    } finally {
      for (const s of sockets) s.destroy()
      server.close()
    }
  })

  test('configuration mistakes are reported when the options are given, with the fix', async (t) => {
    if (skip) return skipOrFail(t, skip)
    const bad = async (params, re) => {
      const { url } = urlOf(cluster.port, params)
      await assert.rejects(
        verifySession({ req: req(TOKEN), strategy: 'database', database: { url, schema: 'pg-adapter' } }),
        (err) => err.code === 'CONFIG_INVALID' && re.test(err.message),
        JSON.stringify(params),
      )
    }
    await bad({ sslmode: 'verify_full' }, /sslmode "verify_full" is not one of disable, prefer, require, verify-ca, verify-full/)
    await bad({ sslmode: 'verify-full', sslrootcert: '/nonexistent/ca.pem' }, /cannot read the root certificate file \/nonexistent\/ca\.pem/)
    await bad({ sslmode: 'verify-ca' }, /verify-ca needs your server's CA file in sslrootcert=<file>/)
    await bad({ sslmode: 'require', sslrootcert: 'system' }, /sslrootcert=system needs sslmode=verify-full/)
    await bad({ sslmode: 'verify-full', sslrootcert: certs.key }, /no PEM certificate/)
    await bad({ sslmode: 'require', sslcert: certs.cert, sslkey: certs.key }, /sslcert is not supported/)
    await bad({ pgbouncer: 'maybe' }, /pgbouncer must be true or false/)
  })
})
