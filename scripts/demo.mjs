// `npm run demo`: install, build and start the example app (examples/next-app)
// against the freshly built next-auth-native addon, in the foreground.
//
//   PORT=4000 npm run demo           # default port 3000
//   HOST=0.0.0.0 npm run demo        # default 127.0.0.1: the demo has a DEV-ONLY secret,
//                                    # so it listens on this machine only unless you ask
//   NEXTAUTH_SECRET=... npm run demo # default: the app's embedded DEV-ONLY secret
//   NEXTAUTH_URL=https://...         # default: http://$HOST:$PORT
//
// The root `demo` script runs `npm run build` first (after `npm ci`).

import path from 'node:path'

import { ADMIN_USER, DEMO_USER, EXAMPLE_DIR, buildApp, installApp, startApp } from '../tools/next-app.mjs'

const port = Number(process.env.PORT || 3000)
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`[demo] invalid PORT ${JSON.stringify(process.env.PORT)}`)
  process.exit(1)
}
const host = process.env.HOST || '127.0.0.1'
const nextauthUrl = process.env.NEXTAUTH_URL || `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`

function step(msg) {
  console.log(`\n[demo] ${msg}`)
}

let app
try {
  step(`installing ${path.relative(process.cwd(), EXAMPLE_DIR) || EXAMPLE_DIR} with a fresh copy of next-auth-native…`)
  await installApp(EXAMPLE_DIR, { echo: true })
  step('next build…')
  await buildApp(EXAMPLE_DIR, { echo: true })
  step(`next start on port ${port}…`)
  const env = { NEXTAUTH_URL: nextauthUrl, NEXT_AUTH_NATIVE_EXAMPLE_QUIET: '' }
  if (process.env.NEXTAUTH_SECRET) env.NEXTAUTH_SECRET = process.env.NEXTAUTH_SECRET
  app = await startApp(EXAMPLE_DIR, { port, host, env, inheritStdio: true })
} catch (err) {
  console.error(`\n[demo] failed: ${err.message}`)
  process.exit(1)
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

// Ctrl+C / SIGTERM: the helpers stop the server and exit.
const { code, signal } = await app.exited
process.exit(code ?? (signal ? 0 : 1))
