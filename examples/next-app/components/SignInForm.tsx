'use client'

import { signIn } from 'next-auth/react'
import { useEffect, useState, type FormEvent } from 'react'

export function SignInForm({ callbackUrl }: { callbackUrl: string }) {
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)
  // Keep the button disabled until React has hydrated, so an early click can
  // never fall back to a native form submission.
  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    setError(null)
    setPending(true)
    const form = new FormData(e.currentTarget)
    const res = await signIn('credentials', {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
      callbackUrl,
      redirect: false,
    })
    if (!res || res.error || !res.ok) {
      setPending(false)
      setError('Invalid email or password.')
      return
    }
    // Full navigation so the proxy sees the new session cookie.
    window.location.assign(callbackUrl)
  }

  return (
    <form method="post" onSubmit={onSubmit} aria-label="Sign in">
      <label>
        Email
        <input id="email" name="email" type="email" autoComplete="username" required defaultValue="" />
      </label>
      <label>
        Password
        <input id="password" name="password" type="password" autoComplete="current-password" required />
      </label>
      <button type="submit" disabled={!hydrated || pending}>{pending ? 'Signing in…' : 'Sign in'}</button>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  )
}
