// Route protection with next-auth-native's withAuth: the same options as
// next-auth/middleware's withAuth, decided by the native (Rust) core.
//
// Next 16: proxy.ts always runs on Node.js (no `runtime` key allowed), which
// is what a native addon needs. next.config.ts lists next-auth-native in
// serverExternalPackages. Keep `export default withAuth(...)` explicit: Next 16
// rejects the v4 docs' `export { default } from 'next-auth/middleware'`.
import { withAuth, type NextRequestWithAuth } from 'next-auth-native/middleware'
import { NextResponse } from 'next/server'
import { NEXTAUTH_SECRET, SIGN_IN_PAGE } from '@/lib/env'

// The middleware form, withAuth(middleware, options): the middleware runs for
// authorized requests only (req.nextauth.token is the session token).
export default withAuth(
  function proxy(req: NextRequestWithAuth) {
    const res = NextResponse.next()
    if (req.nextauth.token?.role === 'admin') res.headers.set('x-example-admin', '1')
    return res
  },
  {
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
    // Next.js matcher syntax, matched against the decoded path: '/' is the home page only.
    publicPaths: ['/', '/api/echo/public'],
    protectedPaths: ['/dashboard/:path*', '/admin/:path*', '/api/me', '/api/echo/:path*', '/api/item/:id'],
    // Route handlers and server components get x-auth-sub / -email / -role and an
    // x-auth-mac that readIdentity() verifies (client-sent x-auth-* headers are
    // removed). Still re-check the session where data is served: a route outside
    // the matcher never runs the proxy.
    forwardIdentity: ['sub', 'email', 'role'],
  },
)

export const config = {
  matcher: ['/', '/dashboard/:path*', '/admin/:path*', '/api/me', '/api/echo/:path*', '/api/item/:path*', '/api/open/:path*'],
}
