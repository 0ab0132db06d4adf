import type { Metadata } from 'next'
import Link from 'next/link'
import './globals.css'

export const metadata: Metadata = {
  title: 'next-auth-native example',
  description: 'next-auth v4 + next-auth-native withAuth in a Next.js 16 proxy.ts',
}

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header>
          <nav>
            <Link href="/">Home</Link>
            <Link href="/dashboard">Dashboard</Link>
            <Link href="/admin">Admin</Link>
            <a href="/api/me">/api/me</a>
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  )
}
