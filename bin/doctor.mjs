#!/usr/bin/env node
// npx next-auth-native doctor: why is my session null?
//
// Reads the app's environment the way Next.js does (.env, .env.local,
// .env.<mode>, .env.<mode>.local; through @next/env when the app has it),
// takes the request's Cookie header from a flag, and prints a checklist
// ending with the code and the one-line fix. The decision is explainSession's
// (the same native reader or store as getToken/verifySession). Exit status 0
// for OK, 1 otherwise (2 for a usage error). Never prints a token or a secret.
import { createRequire } from 'node:module'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

const require = createRequire(import.meta.url)

const USAGE = `usage: next-auth-native doctor [options]
  --cookie "<Cookie header>"   the request's Cookie header (copy it from the browser's devtools)
  --cookie-file <file>         read the Cookie header from a file
  --url <request URL>          the URL the request was made to (default: NEXTAUTH_URL, or http://localhost:3000/)
  --secret <secret>            the secret (default: NEXTAUTH_SECRET or AUTH_SECRET from the environment)
  --database-url <url>         database sessions: PostgreSQL URL or SQLite file
  --session-endpoint <url>     database sessions: ask the app's own /api/auth/session
  --schema <prisma|pg-adapter|JSON> the schema preset (default prisma) or a JSON mapping
  --jws-algorithms <a,b>       app-signed JWS tokens (withAuth's jwt option): the algorithms, e.g. HS256
  --jws-secret <secret>        … and the HMAC secret (HS*), or
  --jws-public-key-file <file> … the PEM public key (RS*, PS*, ES*, EdDSA)
  --dir <app dir>              where the .env files are (default: the current directory)
  --mode <mode>                development | production | test (default: NODE_ENV, else development)`

function parseArgs(argv) {
  const out = {}
  const flags = new Set(['cookie', 'cookie-file', 'url', 'secret', 'database-url', 'session-endpoint', 'schema', 'dir', 'mode',
    'jws-algorithms', 'jws-secret', 'jws-public-key-file'])
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === 'doctor' && i === 0) continue
    if (a === '-h' || a === '--help') return { help: true }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a)
    if (!m || !flags.has(m[1])) throw new Error(`unknown argument ${JSON.stringify(a)}`)
    const v = m[2] ?? argv[++i]
    if (v === undefined) throw new Error(`--${m[1]} needs a value`)
    out[m[1]] = v
  }
  return out
}

/** withAuth's `jwt` option for app-signed JWS tokens, from the --jws-* flags (undefined without them). */
function jwsOf(args) {
  if (args['jws-algorithms'] === undefined) return undefined
  const jwt = { algorithms: args['jws-algorithms'].split(',').map((a) => a.trim()).filter(Boolean) }
  if (args['jws-secret'] !== undefined) jwt.secret = args['jws-secret']
  if (args['jws-public-key-file'] !== undefined) jwt.publicKey = readFileSync(args['jws-public-key-file'], 'utf8')
  return jwt
}

/** KEY=value lines as dotenv reads them (enough to say where a key came from). */
function parseEnvFile(text) {
  const env = {}
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*)?\s*$/.exec(line)
    if (!m) continue
    let v = (m[2] ?? '').trim()
    const q = v[0]
    if ((q === '"' || q === "'" || q === '`') && v.endsWith(q) && v.length >= 2) {
      v = v.slice(1, -1)
      if (q === '"') v = v.replace(/\\n/g, '\n')
    } else {
      v = v.replace(/\s+#.*$/, '')
    }
    env[m[1]] = v
  }
  return env
}

/** Next's file order, highest priority first (`.env.local` is skipped in test mode, as Next does). */
function envFiles(mode) {
  return [`.env.${mode}.local`, mode === 'test' ? null : '.env.local', `.env.${mode}`, '.env'].filter(Boolean)
}

/**
 * Loads the env files into process.env (existing variables win) and returns
 * where each key came from: 'environment' or the file name.
 */
function loadEnv(dir, mode) {
  const sources = {}
  for (const k of Object.keys(process.env)) sources[k] = 'environment'
  let loader = 'built-in .env reader'
  let nextEnv = null
  try {
    nextEnv = createRequire(path.join(dir, 'package.json'))('@next/env')
  } catch {
    try {
      nextEnv = require('@next/env')
    } catch {}
  }
  const files = envFiles(mode)
  for (const f of files) {
    const p = path.join(dir, f)
    if (!existsSync(p)) continue
    const env = parseEnvFile(readFileSync(p, 'utf8'))
    for (const k of Object.keys(env)) if (!(k in sources)) sources[k] = f
    if (!nextEnv) for (const k of Object.keys(env)) if (process.env[k] === undefined) process.env[k] = env[k]
  }
  if (nextEnv) {
    const prev = process.env.NODE_ENV
    if (mode !== 'development') process.env.NODE_ENV = mode
    nextEnv.loadEnvConfig(dir, mode === 'development', { info() {}, error() {} })
    if (prev === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = prev
    loader = '@next/env'
  }
  return { sources, loader, files: files.filter((f) => existsSync(path.join(dir, f))) }
}

/** `--schema`: a preset name, or a JSON schema mapping ({"sessionTable": …}). */
function schemaOf(s) {
  if (s === undefined) return 'prisma'
  return s.trim().startsWith('{') ? JSON.parse(s) : s
}

function line(mark, text) {
  process.stdout.write(`${mark} ${text}\n`)
}

async function main() {
  let args
  try {
    args = parseArgs(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}\n`)
    return 2
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const dir = path.resolve(args.dir ?? process.cwd())
  const mode = args.mode ?? (['production', 'test', 'development'].includes(process.env.NODE_ENV) ? process.env.NODE_ENV : 'development')
  const env = loadEnv(dir, mode)
  const { explainSession } = require('../lib/index.js')

  process.stdout.write(`next-auth-native doctor (${dir}, mode ${mode}; env files: ${env.files.join(', ') || 'none'}; via ${env.loader})\n\n`)

  // 1. The secret: set or not, and where from (never its value).
  let secret = args.secret
  let secretFrom = secret !== undefined ? '--secret' : null
  if (secret === undefined) {
    for (const k of ['NEXTAUTH_SECRET', 'AUTH_SECRET']) {
      if (process.env[k]) {
        secret = process.env[k]
        secretFrom = `${k} from ${env.sources[k] ?? 'environment'}`
        break
      }
    }
  }
  const database = args['database-url']
  const endpoint = args['session-endpoint']
  if (secretFrom) line('[ok]', `secret is set (${secretFrom}, ${secret.length} characters)`)
  else if (database || endpoint) line('[--]', 'no secret set (not needed to look up database sessions)')
  else line('[!!]', 'no secret: set NEXTAUTH_SECRET (in .env.local, or the deployment\'s environment) to the NextAuth route\'s secret')

  // 2. The request.
  let cookie = args.cookie
  if (args['cookie-file'] !== undefined) cookie = readFileSync(args['cookie-file'], 'utf8')
  cookie = (cookie ?? '').trim().replace(/^cookie:\s*/i, '')
  const nextauthUrl = process.env.NEXTAUTH_URL
  line('[--]', `NEXTAUTH_URL: ${nextauthUrl === undefined ? 'unset' : `set (from ${env.sources.NEXTAUTH_URL ?? 'environment'})`}` +
    `; VERCEL: ${process.env.VERCEL ? 'set' : 'unset'}`)
  let url = args.url ?? nextauthUrl ?? 'http://localhost:3000/'
  try {
    url = new URL(url).href
  } catch {
    line('[!!]', `--url ${JSON.stringify(url)} is not an absolute URL`)
    return 1
  }
  const req = new Request(url, { headers: cookie ? { cookie } : {} })
  const params = endpoint
    ? { req, strategy: 'database', sessionEndpoint: endpoint, cacheTtlMs: 0 }
    : database
    ? { req, strategy: 'database', database: { url: database, schema: schemaOf(args.schema) }, cacheTtlMs: 0 }
    : { req, strategy: 'jwt', secret, jwt: jwsOf(args) }
  const r = await explainSession(params)

  // 3. Cookie names: which are read and why, which the header holds.
  if (r.cookie.expected.length) {
    line('[--]', `this app reads ${r.cookie.expected.map((n) => `\`${n}\``).join(', then ')}${r.details.reason ? ` (${r.details.reason})` : ''}`)
  }
  const pairs = cookie ? cookie.split(';').map((p) => p.trim()).filter(Boolean).length : 0
  line(r.cookie.found.length ? '[ok]' : '[!!]', `the Cookie header holds ${pairs} cookie(s); session cookies: ` +
    (r.cookie.found.length ? r.cookie.found.map((n) => `\`${n}\``).join(', ') : 'none'))

  // 4. The decode or the lookup.
  const what = database || endpoint ? `lookup in ${r.details.label ?? 'the session store'}` : 'decode'
  if (r.ok) {
    const c = r.details.claims
    if (c) {
      const shown = ['sub', 'name', 'email', 'role'].filter((k) => c[k] !== undefined).map((k) => `${k}=${JSON.stringify(c[k])}`)
      line('[ok]', `${what}: valid session; claims ${shown.join(', ') || '(none of sub/name/email)'}; expires ${r.details.expires ?? 'unknown'}`)
    } else {
      const u = r.session?.user ?? {}
      line('[ok]', `${what}: valid session; user id=${JSON.stringify(u.id)} email=${JSON.stringify(u.email)}; expires ${r.session?.expires ?? 'unknown'}`)
    }
  } else {
    line('[!!]', `${what}: ${r.code}`)
  }
  // Ends with the code and the one-line fix.
  process.stdout.write(`\n${r.message}\n${r.ok ? 'OK' : `${r.code}: ${r.details.fix || r.message}`}\n`)
  return r.ok ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`next-auth-native doctor: ${err?.code ? `${err.code}: ` : ''}${err?.message ?? err}\n`)
    process.exit(1)
  },
)
