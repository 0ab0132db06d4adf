// The deploy path, from the tarballs `npm run package` writes to dist/, with no
// cargo/rustc on PATH:
//   - the tarballs themselves (no .node in the JS package; the binary in its platform package);
//   - both installed into an empty folder: getToken on a next-auth-minted token, CJS and ESM;
//   - the JS package alone: the one clear "no binary" error;
//   - a fresh Next.js 16 app (next-auth 4.24.15, Credentials) built once with
//     `output: 'standalone'`: `next start`, and the standalone server copied to
//     another folder, each signing in over HTTP and deciding protected/public routes.
// e2e tier: one `next build` (~1-3 min).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

import { ADMIN_USER, DEMO_USER, OUTPUT_DIR, REPO_ROOT, SESSION_COOKIE, getFreePort, request, run, signIn, startApp } from '../tools/next-app.mjs'
import { tamper } from './helpers/tokens.mjs'
import { APP_SECRET, assertNoRust, envWithoutRust, packagedTarballs, writePackageApp } from './helpers/package-app.mjs'

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const APP_DIR = path.join(OUTPUT_DIR, 'package-app')
const STANDALONE_COPY = path.join(OUTPUT_DIR, 'package-standalone-copy')
const logFile = path.join(OUTPUT_DIR, 'package.e2e.log')
const version = JSON.parse(execFileSync(process.execPath, ['-p', 'JSON.stringify(require("./package.json"))'], { cwd: REPO_ROOT, encoding: 'utf8' })).version

let tarballs
let env
let built = null

before(async () => {
  mkdirSync(OUTPUT_DIR, { recursive: true })
  rmSync(logFile, { force: true })
  tarballs = packagedTarballs()
  env = envWithoutRust()
  assertNoRust(env)
})

function tarList(file) {
  return execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).trim().split('\n')
}

test('npm run package: the JS tarball has no .node; the platform tarball holds the binary', () => {
  assert.equal(path.basename(tarballs.root), `next-auth-native-${version}.tgz`)
  assert.equal(path.basename(tarballs.platform), `next-auth-native-${tarballs.target}-${version}.tgz`)
  const rootFiles = tarList(tarballs.root)
  assert.deepEqual(rootFiles.filter((f) => f.endsWith('.node')), [])
  for (const f of ['package/index.js', 'package/index.d.ts', 'package/lib/native.js', 'package/lib/next-config.js', 'package/LICENSE', 'package/package.json']) {
    assert.ok(rootFiles.includes(f), `${f} in ${rootFiles.join(', ')}`)
  }
  const manifest = JSON.parse(execFileSync('tar', ['xzf', tarballs.root, '-O', 'package/package.json'], { encoding: 'utf8' }))
  const pinned = Object.keys(manifest.optionalDependencies ?? {})
  assert.equal(pinned.length, 7, `all seven platform packages pinned: ${pinned}`)
  for (const [name, v] of Object.entries(manifest.optionalDependencies)) assert.equal(v, version, name)
  const platformFiles = tarList(tarballs.platform).filter((f) => !/\/(README\.md|LICENSE|package\.json)$/.test(f))
  assert.deepEqual(platformFiles, [`package/next-auth-native.${tarballs.target}.node`])
})

test('installed from the two tarballs into an empty folder (no Rust on PATH): getToken reads a next-auth token', async () => {
  const dir = path.join(OUTPUT_DIR, 'package-empty-folder')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'empty-folder', private: true, type: 'module' }))
  await run(NPM, ['install', '--no-audit', '--no-fund', '--loglevel=error', tarballs.root, tarballs.platform], { cwd: dir, env, logFile })
  assert.ok(existsSync(path.join(dir, 'node_modules', `next-auth-native-${tarballs.target}`, `next-auth-native.${tarballs.target}.node`)))
  // A token minted by the real next-auth (the repository's devDependency).
  const { encode } = createRequire(path.join(REPO_ROOT, 'package.json'))('next-auth/jwt')
  const token = await encode({ token: { sub: 'user-1', email: 'a@example.com', role: 'admin' }, secret: APP_SECRET })
  const script = `
    import { getToken } from 'next-auth-native'
    import { createRequire } from 'node:module'
    const cjs = createRequire(import.meta.url)('next-auth-native')
    const req = { headers: new Headers({ cookie: '${SESSION_COOKIE}=' + process.env.TOKEN }) }
    const a = await getToken({ req, secret: process.env.SECRET })
    const b = cjs.getTokenSync({ req, secret: process.env.SECRET })
    const wrong = await getToken({ req, secret: 'another-secret-0123456789abcdef0123' })
    console.log(JSON.stringify({ a, b, wrong }))
  `
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env: { ...env, TOKEN: token, SECRET: APP_SECRET }, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  assert.equal(out.a.sub, 'user-1')
  assert.equal(out.a.role, 'admin')
  assert.equal(out.b.email, 'a@example.com')
  assert.equal(out.wrong, null)
})

test('the JS tarball alone (optional package missing): the one clear error names the package to install', async () => {
  const dir = path.join(OUTPUT_DIR, 'package-root-only')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'root-only', private: true }))
  await run(NPM, ['install', '--no-audit', '--no-fund', '--loglevel=error', '--omit=optional', tarballs.root], { cwd: dir, env, logFile })
  assert.equal(existsSync(path.join(dir, 'node_modules', `next-auth-native-${tarballs.target}`)), false)
  const r = spawnSync(process.execPath, ['-e', "require('next-auth-native')"], { cwd: dir, env, encoding: 'utf8' })
  assert.notEqual(r.status, 0)
  assert.ok(r.stderr.includes(`no native binary for this platform (${tarballs.target}`), r.stderr)
  assert.ok(r.stderr.includes(`"next-auth-native-${tarballs.target}"`), r.stderr)
  assert.match(r.stderr, /--omit=optional/)
  assert.match(r.stderr, /npm run build/)
})

async function buildOnce() {
  if (built) return built
  // For iterating on the HTTP checks only (never set in CI): reuse the previous build.
  if (process.env.PACKAGE_TEST_REUSE_BUILD === '1' && process.env.CI !== 'true' && existsSync(path.join(APP_DIR, '.next', 'standalone', 'server.js'))) {
    built = true
    return built
  }
  writePackageApp(APP_DIR, { tarballs })
  await run(NPM, ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: APP_DIR, env, logFile, timeoutMs: 15 * 60_000 })
  await run(process.execPath, [path.join(APP_DIR, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], {
    cwd: APP_DIR,
    env: { ...env, NEXTAUTH_SECRET: APP_SECRET },
    logFile,
    timeoutMs: 15 * 60_000,
  })
  built = true
  return built
}

/** Sign in over HTTP as both users and check the decisions of proxy.ts and /api/me. */
async function checkDecisions(url) {
  // Public routes answer without a session.
  const home = await request(url, '/')
  assert.equal(home.status, 200)
  assert.match(await home.text(), /public home/)
  // Protected pages redirect to next-auth's sign-in page (pages.signIn) with the callbackUrl.
  const anon = await request(url, '/dashboard')
  assert.equal(anon.status, 307)
  const loc = new URL(anon.headers.get('location'), url)
  assert.equal(loc.origin + loc.pathname, `${url}/api/auth/signin`)
  assert.equal(loc.searchParams.get('callbackUrl'), '/dashboard')
  await anon.arrayBuffer()
  const anonApi = await request(url, '/api/me')
  assert.equal(anonApi.status, 401)
  await anonApi.arrayBuffer()

  const user = await signIn(url, DEMO_USER)
  const dash = await request(url, '/dashboard', { jar: user })
  assert.equal(dash.status, 200)
  assert.equal(dash.headers.get('x-proxy-role'), 'user', 'withAuth(middleware) saw req.nextauth.token.role')
  assert.match(await dash.text(), /dashboard for signed-in users/)
  const userAdmin = await request(url, '/admin', { jar: user })
  assert.equal(userAdmin.status, 307, 'role user is refused /admin by the authorized callback')
  await userAdmin.arrayBuffer()
  const me = await request(url, '/api/me', { jar: user })
  assert.equal(me.status, 200)
  assert.deepEqual(await me.json(), { sub: DEMO_USER.email, email: DEMO_USER.email, role: 'user' })

  const admin = await signIn(url, ADMIN_USER)
  const adm = await request(url, '/admin', { jar: admin })
  assert.equal(adm.status, 200)
  assert.match(await adm.text(), /admin area/)

  // A tampered cookie is a denial, not a crash.
  const bad = user.clone()
  bad.cookies.set(SESSION_COOKIE, tamper(user.get(SESSION_COOKIE)))
  const tampered = await request(url, '/dashboard', { jar: bad })
  assert.equal(tampered.status, 307)
  await tampered.arrayBuffer()
}

test('fresh Next.js 16 app from the tarballs: next build + next start, sign-in and decisions', { timeout: 25 * 60_000 }, async () => {
  await buildOnce()
  const app = await startApp(APP_DIR, { env: { ...env, NEXTAUTH_SECRET: APP_SECRET }, logFile })
  try {
    await checkDecisions(app.url)
    assert.doesNotMatch(app.output(), /no native binary|ERR_NEXT_AUTH_NATIVE|was bundled/)
  } finally {
    await app.stop()
  }
})

test("output: 'standalone': the server copied to another folder still loads the addon and decides", { timeout: 25 * 60_000 }, async () => {
  await buildOnce()
  const standalone = path.join(APP_DIR, '.next', 'standalone')
  assert.ok(existsSync(path.join(standalone, 'server.js')), 'next build wrote .next/standalone/server.js')
  rmSync(STANDALONE_COPY, { recursive: true, force: true })
  cpSync(standalone, STANDALONE_COPY, { recursive: true, verbatimSymlinks: true })
  cpSync(path.join(APP_DIR, '.next', 'static'), path.join(STANDALONE_COPY, '.next', 'static'), { recursive: true })
  // Next's file tracing carried the platform package and its binary.
  const platformDir = path.join(STANDALONE_COPY, 'node_modules', `next-auth-native-${tarballs.target}`)
  assert.ok(existsSync(path.join(platformDir, `next-auth-native.${tarballs.target}.node`)), `traced: ${existsSync(platformDir) ? readdirSync(platformDir) : 'no platform package'}`)
  // The original app folder is moved out of the way, so nothing can resolve back into it.
  const parked = `${APP_DIR}.parked`
  rmSync(parked, { recursive: true, force: true })
  execFileSync('mv', [APP_DIR, parked])
  const port = await getFreePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['server.js'], {
    cwd: STANDALONE_COPY,
    env: { ...env, PORT: String(port), HOSTNAME: '127.0.0.1', NEXTAUTH_URL: url, NEXTAUTH_SECRET: APP_SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  try {
    const deadline = Date.now() + 60_000
    for (;;) {
      try {
        const r = await fetch(url + '/', { signal: AbortSignal.timeout(2000) })
        await r.arrayBuffer()
        break
      } catch {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`standalone server did not start:\n${out}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    await checkDecisions(url)
    assert.doesNotMatch(out, /no native binary|ERR_NEXT_AUTH_NATIVE|was bundled/)
  } finally {
    child.kill('SIGTERM')
    execFileSync('mv', [parked, APP_DIR])
  }
})

after(() => {
  if (existsSync(`${APP_DIR}.parked`) && !existsSync(APP_DIR)) execFileSync('mv', [`${APP_DIR}.parked`, APP_DIR])
})
