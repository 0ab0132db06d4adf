import { headers } from 'next/headers'
import { requireSession } from 'next-auth-native/middleware'
import { NEXTAUTH_SECRET } from './env'

export interface SessionUser {
  sub: string
  name: string
  email: string
  role: string
}

/**
 * The signed-in user for server components, or null. Decodes the session
 * cookie natively (next-auth-native's requireSession): the page's own check,
 * independent of proxy.ts.
 */
export async function currentUser(): Promise<SessionUser | null> {
  const token = await requireSession(await headers(), { secret: NEXTAUTH_SECRET })
  if (!token) return null
  return {
    sub: String(token.sub ?? ''),
    name: String(token.name ?? ''),
    email: String(token.email ?? ''),
    role: typeof token.role === 'string' ? token.role : 'user',
  }
}
