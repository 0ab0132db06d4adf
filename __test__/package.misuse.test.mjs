// The two ways a Next.js app can load the addon wrongly, each in a real `next build`
// of a fresh app installed from the dist/ tarballs (no Rust on PATH), and each must end
// in a message that names the fix:
//   - bundled by mistake (no serverExternalPackages): "add serverExternalPackages";
//   - imported from the Edge runtime: "set runtime: 'nodejs'".
// e2e tier: two `next build`s.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

import { DEMO_USER, OUTPUT_DIR, request, run, signIn, startApp } from '../tools/next-app.mjs'
import { APP_SECRET, assertNoRust, envWithoutRust, packagedTarballs, writePackageApp } from './helpers/package-app.mjs'

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const logFile = path.join(OUTPUT_DIR, 'package.misuse.log')
let env
let tarballs

before(() => {
  mkdirSync(OUTPUT_DIR, { recursive: true })
  rmSync(logFile, { force: true })
  tarballs = packagedTarballs()
  env = envWithoutRust()
  assertNoRust(env)
})

async function installAndBuild(dir) {
  await run(NPM, ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env, logFile, timeoutMs: 15 * 60_000 })
  try {
    const out = await run(process.execPath, [path.join(dir, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], { cwd: dir, env: { ...env, NEXTAUTH_SECRET: APP_SECRET }, logFile, timeoutMs: 15 * 60_000 })
    return { ok: true, out }
  } catch (err) {
    return { ok: false, out: err.message }
  }
}

const BUNDLED = /next-auth-native was bundled by the Next\.js bundler[^\n]*serverExternalPackages: \['next-auth-native'\]/
const EDGE = /next-auth-native is a native Node\.js addon and cannot run in the Edge runtime\. Set runtime: 'nodejs'/

test('bundled by mistake (no serverExternalPackages): the message says to add serverExternalPackages', { timeout: 25 * 60_000 }, async () => {
  const dir = writePackageApp(path.join(OUTPUT_DIR, 'package-app-bundled'), { mode: 'bundled', tarballs })
  const build = await installAndBuild(dir)
  if (!build.ok) {
    // The build itself refused: the reason must be ours, with the fix.
    assert.match(build.out, BUNDLED, build.out.slice(-6000))
    return
  }
  // The build went through: the first request that loads the addon fails with the fix in the log.
  const app = await startApp(dir, { env: { ...env, NEXTAUTH_SECRET: APP_SECRET }, logFile })
  try {
    const home = await request(app.url, '/')
    assert.equal(home.status, 200, 'pages that do not use the addon still work')
    await home.arrayBuffer()
    const jar = await signIn(app.url, DEMO_USER).catch(() => null)
    const res = await request(app.url, '/dashboard', { jar: jar ?? undefined })
    await res.arrayBuffer()
    assert.notEqual(res.status, 200, 'a bundled addon never allows')
    assert.match(app.output(), BUNDLED, app.output().slice(-6000))
  } finally {
    await app.stop()
  }
})

test("Edge runtime: importing the package from an edge route says to set runtime: 'nodejs'", { timeout: 25 * 60_000 }, async () => {
  const dir = writePackageApp(path.join(OUTPUT_DIR, 'package-app-edge'), { tarballs })
  mkdirSync(path.join(dir, 'app', 'api', 'edge'), { recursive: true })
  writeFileSync(
    path.join(dir, 'app', 'api', 'edge', 'route.ts'),
    `import { getToken } from 'next-auth-native'
export const runtime = 'edge'
export const dynamic = 'force-dynamic'
export async function GET(req: Request) {
  const token = await getToken({ req })
  return Response.json({ token })
}
`,
  )
  const build = await installAndBuild(dir)
  if (!build.ok) {
    assert.match(build.out, EDGE, build.out.slice(-6000))
    return
  }
  const app = await startApp(dir, { env: { ...env, NEXTAUTH_SECRET: APP_SECRET }, logFile })
  try {
    const res = await request(app.url, '/api/edge')
    await res.arrayBuffer()
    assert.equal(res.status, 500)
    assert.match(app.output(), EDGE, app.output().slice(-6000))
    // The Node-runtime parts of the same app are unaffected.
    const dash = await request(app.url, '/dashboard')
    assert.equal(dash.status, 307)
    await dash.arrayBuffer()
  } finally {
    await app.stop()
  }
})
