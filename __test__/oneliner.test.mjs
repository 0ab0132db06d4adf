// Next 16 rejects next-auth's one-liner `export { default } from "next-auth/middleware"`
// at build time. This proves the form we document builds and protects pages:
//   export { default as proxy } from 'next-auth-native/middleware'
// (secret from NEXTAUTH_SECRET, next-auth's default pages), on next build + next start.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  DEMO_USER, EXAMPLE_DIR, OUTPUT_DIR, buildApp, copyApp, installApp, request, signIn, startApp,
} from '../tools/next-app.mjs'

const tmp = mkdtempSync(path.join(tmpdir(), 'next-auth-native-oneliner-'))
let server
after(async () => {
  await server?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

test('Next 16 proxy.ts one-liner: export { default as proxy } from "next-auth-native/middleware"', { timeout: 10 * 60_000 }, async () => {
  await installApp(EXAMPLE_DIR)
  const app = path.join(tmp, 'app')
  copyApp(app)
  writeFileSync(
    path.join(app, 'proxy.ts'),
    "export { default as proxy } from 'next-auth-native/middleware'\n" +
      "export const config = { matcher: ['/dashboard/:path*', '/api/me'] }\n",
  )
  const secret = `oneliner-secret-${process.pid}-0123456789abcdef0123456789`
  mkdirSync(OUTPUT_DIR, { recursive: true })
  const logFile = path.join(OUTPUT_DIR, 'oneliner.log')
  await buildApp(app, { logFile, env: { NEXTAUTH_SECRET: secret } })
  server = await startApp(app, { logFile, env: { NEXTAUTH_SECRET: secret } })

  const anon = await request(server.url, '/dashboard')
  assert.equal(anon.status, 307)
  const loc = new URL(anon.headers.get('location'), server.url)
  assert.equal(loc.pathname, '/api/auth/signin')
  assert.equal(loc.searchParams.get('callbackUrl'), '/dashboard')
  assert.equal(anon.headers.get('cache-control'), 'private, no-store')

  const jar = await signIn(server.url, DEMO_USER)
  const me = await request(server.url, '/api/me', { jar })
  assert.equal(me.status, 200)
  assert.equal((await me.json()).email, DEMO_USER.email)
  const dash = await request(server.url, '/dashboard', { jar })
  assert.equal(dash.status, 200)
})
