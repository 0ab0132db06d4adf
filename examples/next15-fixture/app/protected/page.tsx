import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { requireSession } from 'next-auth-native/middleware'
import { SECRET } from '../../secret'

export const dynamic = 'force-dynamic'

export default async function Protected() {
  // Second gate, independent of middleware.ts.
  const token = await requireSession(await headers(), { secret: SECRET })
  if (!token) redirect('/api/auth/signin?callbackUrl=%2Fprotected')
  return (
    <p>
      PROTECTED-PAGE next15 fixture, sub <span data-testid="sub">{String(token.sub)}</span>
    </p>
  )
}
