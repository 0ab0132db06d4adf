// Server-only runtime defaults shared by the NextAuth route handler, proxy.ts,
// route handlers and server components. Environment variables always win.
//
// The embedded secret exists so that `npm run demo` works out of the box. Any
// real deployment MUST set NEXTAUTH_SECRET (e.g. `openssl rand -base64 32`).
export const DEV_SECRET = 'next-auth-native-example-DEV-ONLY-secret-3f1b6c2e9a7d4f08b5c1e6a2d9f47b3c'

if (!process.env.NEXTAUTH_SECRET) {
  process.env.NEXTAUTH_SECRET = DEV_SECRET
}
if (!process.env.NEXTAUTH_URL) {
  process.env.NEXTAUTH_URL = `http://localhost:${process.env.PORT || 3000}`
}

export const NEXTAUTH_SECRET: string = process.env.NEXTAUTH_SECRET
export const NEXTAUTH_URL: string = process.env.NEXTAUTH_URL
export const usingDevSecret = NEXTAUTH_SECRET === DEV_SECRET

/** Where the proxy and the pages send signed-out users (custom page, see app/signin). */
export const SIGN_IN_PAGE = '/signin'
