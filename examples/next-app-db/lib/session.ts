import { headers } from 'next/headers'
import { requireSession } from 'next-auth-native/middleware'
import { sessionOptions } from './session-options'

/** The signed-in session for server components and route handlers, or null: the second gate behind proxy.ts. */
export async function currentSession() {
  return requireSession(await headers(), { session: sessionOptions })
}
