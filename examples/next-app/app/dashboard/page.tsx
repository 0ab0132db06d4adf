import type { Metadata } from 'next'
import { getServerSession } from 'next-auth'
import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { SignOutButton } from '@/components/SignOutButton'
import { authOptions } from '@/lib/auth'

export const metadata: Metadata = { title: 'Dashboard · next-auth-native example' }
export const dynamic = 'force-dynamic'

export default async function Dashboard() {
  // Second gate: proxy.ts already redirected signed-out users, but never rely
  // on middleware alone (it can be skipped, e.g. CVE-2025-29927).
  const session = await getServerSession(authOptions)
  if (!session?.user) redirect('/signin?callbackUrl=%2Fdashboard')
  const h = await headers()

  return (
    <>
      <h1>Dashboard</h1>
      <p data-testid="welcome">
        Welcome, <strong data-testid="user-name">{session.user.name}</strong>!
      </p>
      <dl>
        <dt>Email</dt>
        <dd data-testid="user-email">{session.user.email}</dd>
        <dt>Role</dt>
        <dd data-testid="user-role">{session.user.role}</dd>
        <dt>Identity forwarded by proxy.ts (informational only)</dt>
        <dd data-testid="forwarded-sub">{h.get('x-auth-sub') ?? '(none)'}</dd>
      </dl>
      <SignOutButton />
    </>
  )
}
