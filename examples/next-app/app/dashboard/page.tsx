import type { Metadata } from 'next'
import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { SignOutButton } from '@/components/SignOutButton'
import { currentUser } from '@/lib/session'

export const metadata: Metadata = { title: 'Dashboard · next-auth-native example' }
export const dynamic = 'force-dynamic'

export default async function Dashboard() {
  // Second gate: proxy.ts already redirected signed-out users, but never rely
  // on middleware alone (it can be skipped, e.g. CVE-2025-29927).
  const user = await currentUser()
  if (!user) redirect('/signin?callbackUrl=%2Fdashboard')
  const h = await headers()

  return (
    <>
      <h1>Dashboard</h1>
      <p data-testid="welcome">
        Welcome, <strong data-testid="user-name">{user.name}</strong>!
      </p>
      <dl>
        <dt>Email</dt>
        <dd data-testid="user-email">{user.email}</dd>
        <dt>Role</dt>
        <dd data-testid="user-role">{user.role}</dd>
        <dt>
          <code>x-auth-sub</code> set by proxy.ts (forwardIdentity, informational only)
        </dt>
        <dd data-testid="forwarded-sub">{h.get('x-auth-sub') ?? '(none)'}</dd>
      </dl>
      <SignOutButton />
    </>
  )
}
