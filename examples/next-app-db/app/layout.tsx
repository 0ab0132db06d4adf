import type { Metadata } from 'next'

export const metadata: Metadata = {
  title: 'next-auth-native database-session example',
  description: 'next-auth v4 database sessions + next-auth-native withAuth in a Next.js 16 proxy.ts',
}

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 720, margin: '2rem auto', padding: '0 1rem' }}>
        <nav style={{ display: 'flex', gap: '1rem' }}>
          <a href="/">Home</a>
          <a href="/dashboard">Dashboard</a>
          <a href="/api/me">/api/me</a>
          <a href="/api/auth/signin">Sign in</a>
          <a href="/api/auth/signout">Sign out</a>
        </nav>
        <main>{children}</main>
      </body>
    </html>
  )
}
