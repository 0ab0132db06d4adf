import type { Metadata } from 'next'
import Link from 'next/link'
import { SignInForm } from '@/components/SignInForm'
import { safeCallbackUrl } from '@/lib/callback-url'
import { currentUser } from '@/lib/session'

export const metadata: Metadata = { title: 'Sign in · next-auth-native example' }

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ [key: string]: string | string[] | undefined }>
}) {
  const params = await searchParams
  const callbackUrl = safeCallbackUrl(Array.isArray(params.callbackUrl) ? params.callbackUrl[0] : params.callbackUrl)
  const user = await currentUser()

  return (
    <>
      <h1>Sign in</h1>
      {user && (
        <p>
          You are already signed in as <strong>{user.name}</strong> (role <code>{user.role}</code>). If you were
          sent here from <code>{callbackUrl}</code>, that account is not allowed there: sign in as another user, or
          go back <Link href="/">home</Link>.
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
