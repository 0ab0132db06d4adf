import { SignOutButton } from '@/components/SignOutButton'

export default function SignOutPage() {
  return (
    <>
      <h1>Sign out</h1>
      <p>This clears the next-auth session cookie.</p>
      <SignOutButton />
    </>
  )
}
