// A throw-away redis-server for the Redis session-store tests: a free port
// on 127.0.0.1, no persistence, keyspace notifications on (or off), and
// optionally a TLS port with an openssl-generated CA. `cmd(...)` speaks RESP
// over node:net (no client library), so tests can write and delete keys the
// way the adapters do.
//
// Nothing here depends on a test framework.

import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { getFreePort } from './next-app.mjs'
import { makeCerts } from './mariadb.mjs'

function which(bin) {
  for (const d of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/local/bin', '/usr/sbin'])) {
    if (d && existsSync(path.join(d, bin))) return path.join(d, bin)
  }
  return null
}

/** Why a throw-away redis-server cannot be started here, or null. */
export function redisUnavailable() {
  if (process.platform === 'win32') return 'throw-away Redis servers are not supported on Windows'
  if (!which('redis-server')) return 'no redis-server on PATH (apt-get install redis-server)'
  return null
}

function encode(args) {
  let out = `*${args.length}\r\n`
  for (const a of args) {
    const b = Buffer.from(String(a))
    out += `$${b.length}\r\n${b.toString('latin1')}\r\n`
  }
  return Buffer.from(out, 'latin1')
}

/** Parses one RESP reply from `buf` at `i`: [value, next] or null if incomplete. */
function parse(buf, i = 0) {
  const nl = buf.indexOf('\r\n', i)
  if (nl < 0) return null
  const type = String.fromCharCode(buf[i])
  const line = buf.toString('utf8', i + 1, nl)
  const next = nl + 2
  if (type === '+') return [line, next]
  if (type === '-') return [new Error(line), next]
  if (type === ':') return [Number(line), next]
  if (type === '$') {
    const n = Number(line)
    if (n < 0) return [null, next]
    if (buf.length < next + n + 2) return null
    return [buf.toString('utf8', next, next + n), next + n + 2]
  }
  if (type === '*') {
    const n = Number(line)
    if (n < 0) return [null, next]
    const arr = []
    let j = next
    for (let k = 0; k < n; k++) {
      const r = parse(buf, j)
      if (!r) return null
      arr.push(r[0])
      j = r[1]
    }
    return [arr, j]
  }
  throw new Error(`bad RESP type ${type}`)
}

/** One command on a fresh connection. */
export function redisCmd(port, ...args) {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port })
    let buf = Buffer.alloc(0)
    const t = setTimeout(() => {
      s.destroy()
      reject(new Error('redis: no answer'))
    }, 5000)
    s.on('error', (e) => {
      clearTimeout(t)
      reject(e)
    })
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      const r = parse(buf)
      if (!r) return
      clearTimeout(t)
      s.end()
      if (r[0] instanceof Error) reject(r[0])
      else resolve(r[0])
    })
    s.write(encode(args))
  })
}

/**
 * Starts redis-server. Returns { port, tlsPort, certs, url(db), tlsUrl(db), cmd(...), stop(), start(), destroy() }.
 * `notify`: the notify-keyspace-events value ('' = off). `tls`: also a TLS port.
 * `persist`: an append-only file fsynced on every write, so a stopped server
 * (SIGKILL) starts again with its keys (the soak's outage).
 */
export async function startRedis({ notify = 'K$gx', tls = false, persist = false } = {}) {
  const reason = redisUnavailable()
  if (reason) throw new Error(reason)
  const dir = mkdtempSync(path.join(tmpdir(), 'nan-redis-'))
  const port = await getFreePort()
  const certs = tls ? makeCerts(dir) : null
  const tlsPort = tls ? await getFreePort() : null
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir,
    ...(persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    '--notify-keyspace-events', notify, '--protected-mode', 'no', '--loglevel', 'warning',
    ...(certs ? ['--tls-port', String(tlsPort), '--tls-cert-file', certs.cert, '--tls-key-file', certs.key,
      '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no'] : []),
  ]
  let child = null
  const server = {
    port,
    tlsPort,
    certs,
    dir,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    tlsUrl: (db = 0, host = '127.0.0.1') => `rediss://${host}:${tlsPort}/${db}`,
    cmd: (...a) => redisCmd(port, ...a),
    async start() {
      child = spawn(which('redis-server'), args, { stdio: ['ignore', 'ignore', 'pipe'] })
      let err = ''
      child.stderr.on('data', (d) => (err += d))
      child.on('error', () => {})
      const end = Date.now() + 20_000
      for (;;) {
        try {
          if ((await redisCmd(port, 'PING')) === 'PONG') return
        } catch {}
        if (Date.now() > end) throw new Error(`redis-server did not start: ${err}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    async stop() {
      if (!child) return
      const c = child
      child = null
      const gone = new Promise((r) => c.once('exit', r))
      c.kill('SIGKILL')
      await gone
    },
    async destroy() {
      await server.stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await server.start()
  return server
}
