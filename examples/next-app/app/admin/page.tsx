import type { Metadata } from 'next'
import { redirect } from 'next/navigation'
import { currentUser } from '@/lib/session'
import { DEMO_USERS } from '@/lib/users'

export const metadata: Metadata = { title: 'Admin · next-auth-native example' }
export const dynamic = 'force-dynamic'

export default async function Admin() {
  // Second gate, mirroring the `authorized` callback in proxy.ts.
  const user = await currentUser()
  if (user?.role !== 'admin') redirect('/signin?callbackUrl=%2Fadmin')

  return (
    <>
      <h1>Admin</h1>
      <p data-testid="admin-welcome">{`Hello ${user.name}, you have the admin role.`}</p>
      <h2>Accounts</h2>
      <ul>
        {DEMO_USERS.map((u) => (
          <li key={u.id}>
            {u.name} &lt;{u.email}&gt;: <code>{u.role}</code>
          </li>
        ))}
      </ul>
    </>
  )
}
