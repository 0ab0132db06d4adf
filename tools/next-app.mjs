// Shared helpers for the end-to-end tests, the demo script and the benchmarks:
// install / build / start the example Next.js apps, and talk next-auth over HTTP.
//
// Nothing here depends on a test framework.

import { spawn, execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, mkdtempSync, createWriteStream, cpSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import { binaryName, hostTarget } from '../scripts/package.mjs'

const execFileP = promisify(execFile)

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const EXAMPLE_DIR = path.join(REPO_ROOT, 'examples', 'next-app')
export const FIXTURE15_DIR = path.join(REPO_ROOT, 'examples', 'next15-fixture')
export const OUTPUT_DIR = path.join(REPO_ROOT, '__test__', 'output')

export const DEMO_USER = { email: 'demo@example.com', password: 'demo1234', name: 'Demo User', role: 'user' }
export const ADMIN_USER = { email: 'admin@example.com', password: 'admin1234', name: 'Admin User', role: 'admin' }

/** Same value as DEV_SECRET in examples/next-app/lib/env.ts. Tests pass their own secret through the env. */
export const SESSION_COOKIE = 'next-auth.session-token'

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** Environment for child processes: no telemetry, no inherited NEXTAUTH_* surprises unless given. */
export function childEnv(extra = {}) {
  const env = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    // Next 15.5 otherwise tries (and fails, harmlessly) to "patch" the lockfile over the network.
    NEXT_IGNORE_INCORRECT_LOCKFILE: '1',
    NEXT_AUTH_NATIVE_EXAMPLE_QUIET: '1',
  }
  for (const k of ['NEXTAUTH_URL', 'NEXTAUTH_SECRET', 'AUTH_SECRET', 'AUTH_URL', 'AUTH_TRUST_HOST', 'VERCEL', 'PORT', 'NODE_OPTIONS']) {
    delete env[k]
  }
  // npm sets these when the tests run under `npm test`; they would leak into the child npm/next.
  for (const k of Object.keys(env)) if (k.startsWith('npm_')) delete env[k]
  return { ...env, ...extra }
}

// Every child we spawn runs in its own process group (so a whole `next start`
// tree can be killed). Ctrl+C therefore does not reach them: clean up on exit
// and on SIGINT/SIGTERM ourselves.
const liveChildren = new Set()
let cleanupInstalled = false
function track(child) {
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
  if (!cleanupInstalled) {
    cleanupInstalled = true
    process.once('exit', () => {
      for (const c of liveChildren) killTree(c, 'SIGKILL')
    })
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
      process.once(sig, () => {
        for (const c of liveChildren) killTree(c, 'SIGTERM')
        process.exit(code)
      })
    }
  }
  return child
}

/**
 * Run a command to completion. Output goes to `logFile` (if given) and is kept
 * (last 64 KiB) for the error message. Rejects on non-zero exit or timeout.
 */
export function run(cmd, args, { cwd, env = childEnv(), timeoutMs = 10 * 60_000, logFile, echo = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' }))
    let tail = ''
    const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : null
    log?.write(`\n$ ${cmd} ${args.join(' ')}   (cwd ${cwd})\n`)
    const onData = (chunk) => {
      const s = chunk.toString()
      tail = (tail + s).slice(-65536)
      log?.write(s)
      if (echo) process.stderr.write(s)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    const timer = setTimeout(() => {
      killTree(child)
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms\n${tail}`))
    }, timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      log?.end()
      if (code === 0) resolve(tail)
      else reject(new Error(`${cmd} ${args.join(' ')} (cwd ${cwd}) exited with ${code ?? signal}\n${tail}`))
    })
  })
}

function killTree(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return
  try {
    if (process.platform !== 'win32') process.kill(-child.pid, signal)
    else child.kill(signal)
  } catch {
    try { child.kill(signal) } catch { /* already gone */ }
  }
}

function nextBin(appDir) {
  const bin = path.join(appDir, 'node_modules', 'next', 'dist', 'bin', 'next')
  if (!existsSync(bin)) throw new Error(`next is not installed in ${appDir}; run installApp() first`)
  return bin
}

/**
 * The root package must have been built (`npm run build`). The binary is then
 * put into its platform package (npm/<target>/, as `npm run package` does),
 * which the example apps install from `file:` as an optional dependency, the
 * way a registry install gets `next-auth-native-<target>`.
 */
export function assertAddonBuilt() {
  const target = hostTarget()
  const binary = binaryName(target)
  if (!existsSync(path.join(REPO_ROOT, binary)) || !existsSync(path.join(REPO_ROOT, 'index.js'))) {
    throw new Error(`next-auth-native is not built (no ${binary} / index.js in ${REPO_ROOT}): run \`npm run build\` in the repository root first`)
  }
  cpSync(path.join(REPO_ROOT, binary), path.join(REPO_ROOT, 'npm', target, binary))
  return { target, binary }
}

/**
 * `npm install` an example app so that it gets a fresh copy of next-auth-native
 * and of its platform package. With install-links=true npm copies `file:`
 * dependencies as real directories, and it does NOT re-copy them after the
 * addon is rebuilt (npm says "up to date"), so the old copies are removed first.
 */
export async function installApp(appDir, { logFile, echo = false, requireMiddleware = true } = {}) {
  const { target, binary } = assertAddonBuilt()
  rmSync(path.join(appDir, 'node_modules', 'next-auth-native'), { recursive: true, force: true })
  rmSync(path.join(appDir, 'node_modules', `next-auth-native-${target}`), { recursive: true, force: true })
  await run(NPM, ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: appDir, logFile, echo, env: childEnv() })
  const installed = path.join(appDir, 'node_modules', 'next-auth-native')
  const platformBinary = path.join(appDir, 'node_modules', `next-auth-native-${target}`, binary)
  if (!existsSync(platformBinary)) {
    throw new Error(`${platformBinary} is missing after npm install (does the app list next-auth-native-${target} as a file: optional dependency?)`)
  }
  if (requireMiddleware && !existsSync(path.join(installed, 'lib', 'middleware.js'))) {
    throw new Error(`${installed}/lib/middleware.js is missing: the next-auth-native package has no middleware entry point yet`)
  }
}

/**
 * Copies examples/next-app (already installed) to `dest`, sources copied and
 * node_modules hard-linked: a real directory, as Next needs for the addon.
 */
export function copyApp(dest, from = EXAMPLE_DIR) {
  cpSync(from, dest, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(from, src)
      return rel !== 'node_modules' && rel !== '.next' && !rel.startsWith(`node_modules${path.sep}`) && !rel.startsWith(`.next${path.sep}`)
    },
  })
  try {
    execFileSync('cp', ['-al', path.join(from, 'node_modules'), path.join(dest, 'node_modules')], { stdio: 'ignore' })
  } catch {
    rmSync(path.join(dest, 'node_modules'), { recursive: true, force: true })
    cpSync(path.join(from, 'node_modules'), path.join(dest, 'node_modules'), { recursive: true, verbatimSymlinks: true })
  }
}

/** `next build` (removes the previous .next first). */
export async function buildApp(appDir, { logFile, echo = false, env = {}, args = [] } = {}) {
  rmSync(path.join(appDir, '.next'), { recursive: true, force: true })
  await run(process.execPath, [nextBin(appDir), 'build', ...args], { cwd: appDir, logFile, echo, env: childEnv(env) })
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function getFreePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/**
 * `next start` an already built app. Resolves once it answers HTTP.
 * Returns { url, port, stop(), output() }. stop() kills the whole process group.
 *
 * env: extra environment (e.g. NEXTAUTH_SECRET). NEXTAUTH_URL defaults to the
 * server's own URL, PORT to the chosen port. host: null = Next's default (all
 * interfaces), with url http://localhost:PORT.
 */
export async function startApp(appDir, { port, host = '127.0.0.1', env = {}, logFile, echo = false, readyTimeoutMs = 60_000, inheritStdio = false, args: extra = [], nodeArgs = [] } = {}) {
  port ??= await getFreePort()
  const url = `http://${host ?? 'localhost'}:${port}`
  const args = [...nodeArgs, nextBin(appDir), 'start', '-p', String(port), ...extra]
  if (host) args.push('-H', host)
  const child = track(
    spawn(process.execPath, args, {
      cwd: appDir,
      env: childEnv({ PORT: String(port), NEXTAUTH_URL: url, ...env }),
      stdio: inheritStdio ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    }),
  )
  let out = ''
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : null
  if (!inheritStdio) {
    const onData = (chunk) => {
      const s = chunk.toString()
      out = (out + s).slice(-200_000)
      log?.write(s)
      if (echo) process.stderr.write(s)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
  }
  let exited = null
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal }
      log?.end()
      resolve(exited)
    })
  })

  const stop = async () => {
    if (exited) return exited
    killTree(child, 'SIGTERM')
    const t = setTimeout(() => killTree(child, 'SIGKILL'), 5000)
    await exitPromise
    clearTimeout(t)
    return exited
  }

  const deadline = Date.now() + readyTimeoutMs
  for (;;) {
    if (exited) throw new Error(`next start exited early (${JSON.stringify(exited)}):\n${out}`)
    try {
      const res = await fetch(`${url}/`, { redirect: 'manual', signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      break
    } catch {
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`next start did not answer on ${url} within ${readyTimeoutMs} ms:\n${out}`)
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  return { url, port, child, stop, output: () => out, exited: exitPromise }
}

/** Install, build and start in one go. */
export async function prepareAndStart(appDir, { install = true, build = true, buildEnv, ...startOpts } = {}) {
  if (install) await installApp(appDir, { logFile: startOpts.logFile })
  if (build) await buildApp(appDir, { logFile: startOpts.logFile, env: buildEnv })
  return startApp(appDir, startOpts)
}

// ---------------------------------------------------------------------------
// Minimal cookie jar + next-auth HTTP flows (credentials sign-in / sign-out)
// ---------------------------------------------------------------------------

export class CookieJar {
  constructor(init = {}) {
    this.cookies = new Map(Object.entries(init))
  }
  /** Apply the Set-Cookie headers of a fetch Response. */
  update(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair.indexOf('=')
      if (eq < 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const expired = attrs.some((a) => {
        const [k, v = ''] = a.split('=')
        const key = k.trim().toLowerCase()
        if (key === 'max-age') return Number(v.trim()) <= 0
        if (key === 'expires') return Date.parse(v.trim()) <= Date.now()
        return false
      })
      if (expired || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return this
  }
  get(name) {
    return this.cookies.get(name)
  }
  has(name) {
    return this.cookies.has(name)
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
  clone() {
    return new CookieJar(Object.fromEntries(this.cookies))
  }
}

/** fetch() without following redirects, sending the jar's cookies and updating it. */
export async function request(baseUrl, pathname, { jar, headers = {}, ...init } = {}) {
  const h = new Headers(headers)
  if (jar && jar.cookies.size && !h.has('cookie')) h.set('cookie', jar.header())
  const res = await fetch(new URL(pathname, baseUrl), { redirect: 'manual', ...init, headers: h, signal: AbortSignal.timeout(30_000) })
  jar?.update(res)
  return res
}

async function getCsrfToken(baseUrl, jar) {
  const res = await request(baseUrl, '/api/auth/csrf', { jar })
  if (res.status !== 200) throw new Error(`GET /api/auth/csrf -> ${res.status}`)
  const { csrfToken } = await res.json()
  if (typeof csrfToken !== 'string' || !csrfToken) throw new Error('no csrfToken from /api/auth/csrf')
  return csrfToken
}

/**
 * The real next-auth credentials flow: GET /api/auth/csrf (sets the csrf
 * cookie), POST /api/auth/callback/credentials with the token. Returns the jar
 * holding `next-auth.session-token`. Throws if no session cookie was set.
 */
export async function signIn(baseUrl, { email, password }, { jar = new CookieJar(), callbackUrl } = {}) {
  const csrfToken = await getCsrfToken(baseUrl, jar)
  const body = new URLSearchParams({ csrfToken, email, password, json: 'true' })
  if (callbackUrl) body.set('callbackUrl', callbackUrl)
  const res = await request(baseUrl, '/api/auth/callback/credentials', {
    jar,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  })
  await res.arrayBuffer()
  if (!jar.has(SESSION_COOKIE)) {
    throw new Error(`sign-in as ${email} failed: POST /api/auth/callback/credentials -> ${res.status}, set-cookie: ${res.headers.getSetCookie().map((c) => c.split('=')[0]).join(', ') || '(none)'}`)
  }
  return jar
}

/**
 * next-auth's Email sign-in over HTTP: GET /api/auth/csrf, POST
 * /api/auth/signin/email, then follow the newest magic link the app's
 * sendVerificationRequest wrote for `email` to `linkFile` (one JSON line per
 * link). Returns the jar, the session cookie's value and what each step answered.
 */
export async function signInByEmail(baseUrl, linkFile, email, { cookieName = SESSION_COOKIE } = {}) {
  const jar = new CookieJar()
  const csrfToken = await getCsrfToken(baseUrl, jar)
  const res = await request(baseUrl, '/api/auth/signin/email', {
    jar,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrfToken, email, callbackUrl: `${baseUrl}/dashboard`, json: 'true' }),
  })
  await res.arrayBuffer()
  const lines = existsSync(linkFile) ? readFileSync(linkFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []
  const mine = lines.filter((l) => l.identifier === email).at(-1)
  if (!mine) throw new Error(`no magic link written for ${email} (POST /api/auth/signin/email -> ${res.status})`)
  const link = new URL(mine.url)
  const cb = await request(baseUrl, link.pathname + link.search, { jar })
  await cb.arrayBuffer()
  return {
    jar,
    token: jar.get(cookieName),
    signinStatus: res.status,
    linkPath: link.pathname,
    callbackStatus: cb.status,
    callbackLocation: cb.headers.get('location') ?? '',
  }
}

/** next-auth sign-out: POST /api/auth/signout with the csrf token. The jar loses the session cookie. */
export async function signOut(baseUrl, jar) {
  const csrfToken = await getCsrfToken(baseUrl, jar)
  const res = await request(baseUrl, '/api/auth/signout', {
    jar,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrfToken, json: 'true' }),
  })
  await res.arrayBuffer()
  return res
}

// ---------------------------------------------------------------------------
// Optional tools installed as devDependencies of the example app
// ---------------------------------------------------------------------------

/** require() a package from the example app's node_modules (playwright-core, autocannon). */
export function requireFromApp(name, appDir = EXAMPLE_DIR) {
  return createRequire(path.join(appDir, 'package.json'))(name)
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Launch the system Chromium with playwright-core (never downloads a browser). */
export async function launchChromium({ userDataDir } = {}) {
  const { chromium } = requireFromApp('playwright-core')
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
  ]
  // A fresh, throw-away profile (user data dir) for every launch.
  const dir = userDataDir ?? mkdtempSync(path.join(tmpdir(), 'next-auth-native-chromium-'))
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args,
    viewport: { width: 1100, height: 800 },
  })
  return {
    context,
    async close() {
      await context.close().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Version string of a command, or null if it cannot run. */
export async function commandVersion(cmd, args = ['--version']) {
  try {
    const { stdout } = await execFileP(cmd, args, { timeout: 20_000 })
    return stdout.trim()
  } catch {
    return null
  }
}
