import type { NextAuthOptions } from 'next-auth'
import CredentialsProvider from 'next-auth/providers/credentials'
import { NEXTAUTH_SECRET, SIGN_IN_PAGE, usingDevSecret } from './env'
import { verifyCredentials } from './users'

if (
  usingDevSecret &&
  process.env.NODE_ENV === 'production' &&
  process.env.NEXT_PHASE !== 'phase-production-build' &&
  !process.env.NEXT_AUTH_NATIVE_EXAMPLE_QUIET
) {
  console.warn('[example] NEXTAUTH_SECRET is not set: using the embedded DEV-ONLY secret. Set NEXTAUTH_SECRET for any real deployment.')
}

export const authOptions: NextAuthOptions = {
  secret: NEXTAUTH_SECRET,
  session: { strategy: 'jwt' },
  pages: { signIn: SIGN_IN_PAGE },
  providers: [
    CredentialsProvider({
      name: 'Email and password',
      credentials: {
        email: { label: 'Email', type: 'email', placeholder: 'demo@example.com' },
        password: { label: 'Password', type: 'password' },
      },
      async authorize(credentials) {
        return verifyCredentials(credentials?.email, credentials?.password)
      },
    }),
  ],
  callbacks: {
    // Runs at sign-in (with `user`) and on every session read: copy the role
    // into the encrypted JWT so proxy.ts can authorize on it without a DB.
    async jwt({ token, user }) {
      if (user) token.role = user.role
      return token
    },
    async session({ session, token }) {
      if (session.user) {
        session.user.id = token.sub ?? ''
        session.user.role = token.role ?? 'user'
      }
      return session
    },
  },
}
