import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { currentSession } from '@/lib/session'

export const dynamic = 'force-dynamic'

export default async function Dashboard() {
  // Second gate: proxy.ts already denied signed-out users; never rely on it alone.
  // During a store outage this rejects (code DB_UNAVAILABLE): the page shows
  // an error instead of sending a signed-in user to sign-in.
  const session = await currentSession()
  if (!session) redirect('/api/auth/signin?callbackUrl=%2Fdashboard')
  const h = await headers()
  return (
    <>
      <h1>Dashboard</h1>
      <p data-testid="welcome">
        Signed in as <strong data-testid="user-email">{session.user.email}</strong>
      </p>
      <dl>
        <dt>User id</dt>
        <dd data-testid="user-id">{session.user.id}</dd>
        <dt>Session expires</dt>
        <dd data-testid="expires">{session.expires}</dd>
        <dt>
          <code>x-auth-sub</code> set by proxy.ts
        </dt>
        <dd data-testid="forwarded-sub">{h.get('x-auth-sub') ?? '(none)'}</dd>
      </dl>
      <p>
        <a href="/api/auth/signout">Sign out</a>
      </p>
    </>
  )
}
