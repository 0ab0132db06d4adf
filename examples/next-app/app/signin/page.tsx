import type { Metadata } from 'next'
import Link from 'next/link'
import { getServerSession } from 'next-auth'
import { SignInForm } from '@/components/SignInForm'
import { authOptions } from '@/lib/auth'
import { safeCallbackUrl } from '@/lib/callback-url'

export const metadata: Metadata = { title: 'Sign in · next-auth-native example' }

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ [key: string]: string | string[] | undefined }>
}) {
  const params = await searchParams
  const callbackUrl = safeCallbackUrl(Array.isArray(params.callbackUrl) ? params.callbackUrl[0] : params.callbackUrl)
  const session = await getServerSession(authOptions)

  return (
    <>
      <h1>Sign in</h1>
      {session?.user && (
        <p>
          You are signed in as <strong>{session.user.name}</strong> (role <code>{session.user.role}</code>), which
          is not enough for <code>{callbackUrl}</code>. Sign in as another user, or go back <Link href="/">home</Link>.
        </p>
      )}
      <SignInForm callbackUrl={callbackUrl} />
      <p>
        Demo accounts: <code>demo@example.com</code> / <code>demo1234</code> (role user) and{' '}
        <code>admin@example.com</code> / <code>admin1234</code> (role admin).
      </p>
    </>
  )
}
