// Route protection for next-auth's DATABASE strategy. next-auth's own
// withAuth cannot read the opaque session token (every signed-in user is sent
// back to sign in); next-auth-native looks it up in PostgreSQL instead, with a
// short cache. Next 16: proxy.ts runs on Node.js, as a native addon needs.
import { withAuth } from 'next-auth-native/middleware'
import { sessionOptions } from '@/lib/session-options'

export default withAuth({
  session: sessionOptions,
  callbacks: {
    // `session` is { user: { id, name, email, image }, expires } or null.
    authorized: ({ session }) => !!session?.user,
  },
  // Pages get a 307 to next-auth's sign-in page; /api/* gets 401 JSON.
  unauthorized: 'auto',
  // x-auth-sub (the user id) and x-auth-email for route handlers; client copies are removed.
  forwardIdentity: ['sub', 'email'],
})

export const config = { matcher: ['/dashboard/:path*', '/api/me'] }
