import { createHash, timingSafeEqual } from 'node:crypto'
import type { Role } from '@/types/next-auth'

// Two hard-coded demo accounts. A real app would look users up in a database
// and store password hashes (argon2/bcrypt), never plain passwords.
interface DemoUser {
  id: string
  name: string
  email: string
  password: string
  role: Role
}

export const DEMO_USERS: readonly DemoUser[] = [
  { id: '1', name: 'Demo User', email: 'demo@example.com', password: 'demo1234', role: 'user' },
  { id: '2', name: 'Admin User', email: 'admin@example.com', password: 'admin1234', role: 'admin' },
]

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest()

export function verifyCredentials(email: unknown, password: unknown) {
  if (typeof email !== 'string' || typeof password !== 'string') return null
  const user = DEMO_USERS.find((u) => u.email === email.trim().toLowerCase())
  // Compare fixed-length digests in constant time; also do the work for unknown users.
  const ok = timingSafeEqual(sha256(password), sha256(user?.password ?? '\u0000no-such-user'))
  if (!user || !ok) return null
  return { id: user.id, name: user.name, email: user.email, role: user.role }
}
