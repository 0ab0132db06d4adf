import Link from 'next/link'

// Public page: not covered by the proxy matcher.
export default function Home() {
  return (
    <>
      <h1>next-auth-native example</h1>
      <p>
        This app signs users in with <code>next-auth</code> v4 (Credentials provider, JWT sessions) and protects
        routes in <code>proxy.ts</code> with <code>withAuth</code> from <code>next-auth-native/middleware</code>, a
        native (Rust) drop-in for <code>next-auth/middleware</code>.
      </p>
      <ul>
        <li><Link href="/signin">Sign in</Link> (demo@example.com / demo1234, or admin@example.com / admin1234)</li>
        <li><Link href="/dashboard">Dashboard</Link>: any signed-in user</li>
        <li><Link href="/admin">Admin</Link>: role <code>admin</code> only</li>
        <li><a href="/api/me">/api/me</a>: your decoded session token as JSON (401 when signed out)</li>
        <li><Link href="/signout">Sign out</Link></li>
      </ul>
    </>
  )
}
