import { withAuth } from 'next-auth/middleware'
import { NEXTAUTH_SECRET, SIGN_IN_PAGE } from '@/lib/env'

export default withAuth({
  secret: NEXTAUTH_SECRET,
  pages: { signIn: SIGN_IN_PAGE },
  callbacks: {
    authorized: ({ req, token }) => {
      if (!token) return false
      const { pathname } = req.nextUrl
      if (pathname === '/admin' || pathname.startsWith('/admin/')) return token.role === 'admin'
      return true
    },
  },
})

export const config = { matcher: ['/dashboard/:path*', '/admin/:path*', '/api/me'] }
