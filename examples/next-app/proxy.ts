// Route protection with next-auth-native's withAuth: the same options as
// next-auth/middleware's withAuth, decided by the native (Rust) core.
//
// Next 16: proxy.ts always runs on Node.js (no `runtime` key allowed), which
// is what a native addon needs. next.config.ts lists next-auth-native in
// serverExternalPackages. Keep `export default withAuth(...)` explicit: Next 16
// rejects the v4 docs' `export { default } from 'next-auth/middleware'`.
import { withAuth } from 'next-auth-native/middleware'
import { NEXTAUTH_SECRET, SIGN_IN_PAGE } from '@/lib/env'

export default withAuth({
  secret: NEXTAUTH_SECRET,
  pages: { signIn: SIGN_IN_PAGE },
  callbacks: {
    // Any valid session may pass, except /admin, which needs the role that the
    // jwt callback (lib/auth.ts) put into the token.
    authorized: ({ req, token }) => {
      if (!token) return false
      const { pathname } = req.nextUrl
      if (pathname === '/admin' || pathname.startsWith('/admin/')) return token.role === 'admin'
      return true
    },
  },
  // Pages get a 307 to the sign-in page (as with next-auth); /api/* gets 401 JSON.
  unauthorized: 'auto',
  // Route handlers and server components can read x-auth-sub / -email / -role
  // (client-sent copies are removed). Informational only: always re-check the
  // session where data is served, since middleware can be skipped.
  forwardIdentity: ['sub', 'email', 'role'],
})

export const config = { matcher: ['/dashboard/:path*', '/admin/:path*', '/api/me'] }
