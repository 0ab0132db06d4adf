// `npx next-auth-native doctor` (issue 10): the checklist, the code and the
// fix, exit 0 for OK and 1 otherwise, for cookies minted by the real
// next-auth and for real stores; the env read from .env files like Next.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SECRET, V4 } from './helpers/tokens.mjs'
import { IS_CI, noPostgresReason } from '../tools/pg.mjs'
import { jwtCases, dbCases, dbCookie, DB_TOK, postgresStore, sqliteStore, endpointServer } from './helpers/codes.mjs'
import { skipOrFail } from './helpers/skip.mjs'

const DOCTOR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'doctor.mjs')

/** An app directory with .env files. */
function appDir(files) {
  const dir = mkdtempSync(path.join(tmpdir(), 'nan-doctor-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  return dir
}

function cleanEnv() {
  const env = { ...process.env }
  for (const k of ['NEXTAUTH_SECRET', 'AUTH_SECRET', 'NEXTAUTH_URL', 'VERCEL', 'NODE_ENV']) delete env[k]
  return env
}

function doctor(dir, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [DOCTOR, 'doctor', '--dir', dir, ...args], { env: cleanEnv(), timeout: 60_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => resolve({ status: err ? err.code : 0, stdout, stderr }))
  })
}

function lastLine(out) {
  return out.trimEnd().split('\n').at(-1)
}

describe('doctor: JWT strategy, cookies minted by next-auth', { timeout: 180_000 }, () => {
  let cases
  let dir
  let bare
  before(async () => {
    cases = await jwtCases()
    // .env.local wins over .env, as in Next.
    dir = appDir({ '.env': `NEXTAUTH_SECRET=wrong-secret-from-dot-env-0123456789\nNEXTAUTH_URL=https://wrong.example\n`, '.env.local': `NEXTAUTH_SECRET=${SECRET}\nNEXTAUTH_URL=http://localhost:3000\n` })
    bare = appDir({})
  })
  after(() => {
    rmSync(dir, { recursive: true, force: true })
    rmSync(bare, { recursive: true, force: true })
  })

  const CODES = ['OK', 'NO_SECRET', 'NO_COOKIE', 'COOKIE_NAME_MISMATCH', 'DUPLICATE_COOKIE', 'CHUNKS_INVALID', 'MALFORMED',
    'HEADER_NOT_ALLOWED', 'DECRYPT_FAILED', 'SIGNATURE_INVALID', 'EXPIRED', 'NOT_YET_VALID', 'CLAIM_INVALID', 'TOO_LARGE']
  for (const code of CODES) {
    test(`${code}: checklist, code and fix, exit status`, async () => {
      const c = cases[code]
      const jws = c.params?.jwt ? ['--jws-algorithms', c.params.jwt.algorithms.join(','), '--jws-secret', c.params.jwt.secret] : []
      const r = await doctor(c.noEnvSecret ? bare : dir, ['--cookie', c.cookie, ...jws])
      assert.equal(r.status, code === 'OK' ? 0 : 1, r.stdout + r.stderr)
      const last = lastLine(r.stdout)
      assert.ok(last === 'OK' ? code === 'OK' : last.startsWith(`${code}: `), last)
      assert.ok(!r.stdout.includes(SECRET), 'never prints the secret')
      const v = c.cookie.split(';').map((p) => p.split('=').slice(1).join('=')).find((x) => x.length > 20)
      if (v) assert.ok(!r.stdout.includes(v.slice(0, 20)), 'never prints a token')
      if (code !== 'NO_SECRET') assert.match(r.stdout, /secret is set \(NEXTAUTH_SECRET from \.env\.local/)
      else assert.match(r.stdout, /no secret/)
      assert.match(r.stdout, code === 'NO_SECRET'
        ? /this app reads `next-auth\.session-token`.*NEXTAUTH_URL and VERCEL are unset, so the non-secure name is read/
        : /this app reads `next-auth\.session-token`.*NEXTAUTH_URL is http:\/\/localhost:3000, so the non-secure name is read/)
      if (code === 'OK') assert.match(r.stdout, /valid session; claims sub="user-1".*expires 20\d\d-/)
      if (code === 'COOKIE_NAME_MISMATCH') assert.match(r.stdout, /session cookies: `__Secure-next-auth\.session-token`/)
    })
  }

  test('--cookie-file, --secret and --url', async () => {
    const file = path.join(dir, 'cookie.txt')
    writeFileSync(file, `Cookie: ${cases.OK.cookie}\n`)
    const r = await doctor(bare, ['--cookie-file', file, '--secret', SECRET, '--url', 'http://localhost:3000/dashboard'])
    assert.equal(r.status, 0, r.stdout)
    assert.match(r.stdout, /secret is set \(--secret/)
    const w = await doctor(bare, ['--cookie', cases.OK.cookie, '--secret', 'some-other-secret-0123456789abcdef'])
    assert.equal(w.status, 1)
    assert.match(lastLine(w.stdout), /^DECRYPT_FAILED: /)
  })

  test('CONFIG_INVALID: a bad --database-url', async () => {
    const r = await doctor(dir, ['--cookie', `${V4}=${DB_TOK.valid}`, '--database-url', 'mongodb://127.0.0.1/x'])
    assert.equal(r.status, 1)
    assert.match(lastLine(r.stdout), /^CONFIG_INVALID: /)
  })

  test('usage errors exit 2', async () => {
    const r = await doctor(dir, ['--nope'])
    assert.equal(r.status, 2)
  })
})

describe('doctor: database sessions on real stores', { timeout: 180_000 }, () => {
  let pg = null
  let sqlite = null
  let dir
  before(async () => {
    pg = await postgresStore()
    sqlite = await sqliteStore()
    dir = appDir({ '.env.development': 'NEXTAUTH_URL=http://localhost:3000\n' })
  })
  after(async () => {
    await pg?.close()
    sqlite?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  for (const backend of ['PostgreSQL', 'SQLite']) {
    test(`${backend}: every database code`, async (t) => {
      const store = backend === 'PostgreSQL' ? pg : sqlite
      if (!store) return skipOrFail(t, noPostgresReason())
      for (const [code, c] of Object.entries(dbCases(store))) {
        const r = await doctor(dir, ['--cookie', c.cookie, '--database-url', store.url, '--schema', 'prisma'])
        assert.equal(r.status, code === 'OK' ? 0 : 1, `${code}: ${r.stdout}${r.stderr}`)
        const last = lastLine(r.stdout)
        assert.ok(code === 'OK' ? last === 'OK' : last.startsWith(`${code}: `), `${backend} ${code}: ${last}`)
        if (code === 'OK') assert.match(r.stdout, /valid session; user id="cuid_1"/)
      }
    })
  }

  test('--session-endpoint: OK, DB_NOT_FOUND and ENDPOINT_BAD_RESPONSE (a real HTTP server)', async () => {
    const ep = await endpointServer()
    try {
      for (const [c, code] of [['ok', 'OK'], ['empty', 'DB_NOT_FOUND'], ['bad', 'ENDPOINT_BAD_RESPONSE']]) {
        const r = await doctor(dir, ['--cookie', dbCookie(DB_TOK.valid), '--session-endpoint', `${ep.base}?case=${c}`])
        assert.equal(r.status, code === 'OK' ? 0 : 1, r.stdout + r.stderr)
        const last = lastLine(r.stdout)
        assert.ok(code === 'OK' ? last === 'OK' : last.startsWith(`${code}: `), last)
      }
    } finally {
      await ep.close()
    }
  })

  test('DB_UNAVAILABLE and DB_TIMEOUT', async (t) => {
    const r = await doctor(dir, ['--cookie', dbCookie(DB_TOK.valid), '--database-url', '/nonexistent/dir/s.db'])
    assert.equal(r.status, 1)
    assert.match(lastLine(r.stdout), /^DB_UNAVAILABLE: /)
    if (!pg) return skipOrFail(t, noPostgresReason())
    const s = await doctor(dir, ['--cookie', dbCookie(DB_TOK.valid), '--database-url', pg.url, '--schema', JSON.stringify({ sessionTable: 'SlowSession', userTable: 'User' })])
    assert.equal(s.status, 1)
    assert.match(lastLine(s.stdout), /^DB_TIMEOUT: /)
  })
})
