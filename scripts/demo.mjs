// `npm run demo`: install, build and start the example app (examples/next-app)
// against the freshly built next-auth-native addon, in the foreground.
//
//   PORT=4000 npm run demo          # default port 3000
//   NEXTAUTH_SECRET=... npm run demo # default: the app's embedded DEV-ONLY secret
//   NEXTAUTH_URL=https://...         # default: http://localhost:$PORT
//
// The root `demo` script runs `npm install` and `npm run build` first.

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'

import { ADMIN_USER, DEMO_USER, EXAMPLE_DIR, buildApp, childEnv, installApp } from '../__test__/helpers/next-app.mjs'

const port = Number(process.env.PORT || 3000)
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`Invalid PORT ${JSON.stringify(process.env.PORT)}`)
  process.exit(1)
}
const host = process.env.HOST || undefined
const nextauthUrl = process.env.NEXTAUTH_URL || `http://localhost:${port}`

function step(msg) {
  console.log(`\n[demo] ${msg}`)
}

try {
  step(`installing ${path.relative(process.cwd(), EXAMPLE_DIR) || EXAMPLE_DIR} (fresh copy of next-auth-native)…`)
  await installApp(EXAMPLE_DIR, { echo: true })
  step('next build…')
  await buildApp(EXAMPLE_DIR, { echo: true })
} catch (err) {
  console.error(`\n[demo] failed: ${err.message}`)
  process.exit(1)
}

const env = childEnv({ PORT: String(port), NEXTAUTH_URL: nextauthUrl, NEXT_AUTH_NATIVE_EXAMPLE_QUIET: '' })
if (process.env.NEXTAUTH_SECRET) env.NEXTAUTH_SECRET = process.env.NEXTAUTH_SECRET

const args = [path.join(EXAMPLE_DIR, 'node_modules', 'next', 'dist', 'bin', 'next'), 'start', '-p', String(port)]
if (host) args.push('-H', host)
if (!existsSync(args[0])) {
  console.error('[demo] next is not installed in the example app')
  process.exit(1)
}

step('starting next start…')
const child = spawn(process.execPath, args, { cwd: EXAMPLE_DIR, env, stdio: 'inherit' })

// Print the banner once the server answers.
for (let i = 0; i < 300 && child.exitCode === null; i++) {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) })
    break
  } catch {
    await new Promise((r) => setTimeout(r, 200))
  }
}

console.log(`
============================================================
  next-auth-native example app: ${nextauthUrl}

  Sign in at ${nextauthUrl}/signin with
    ${DEMO_USER.email} / ${DEMO_USER.password}   (role user:  /dashboard)
    ${ADMIN_USER.email} / ${ADMIN_USER.password} (role admin: /dashboard, /admin)

  Try: ${nextauthUrl}/dashboard  ${nextauthUrl}/admin  ${nextauthUrl}/api/me
  ${process.env.NEXTAUTH_SECRET ? 'NEXTAUTH_SECRET from the environment.' : 'Using the embedded DEV-ONLY secret (set NEXTAUTH_SECRET for anything real).'}
  Press Ctrl+C to stop.
============================================================
`)

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (child.exitCode === null) child.kill(sig)
  })
}
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1))
})
