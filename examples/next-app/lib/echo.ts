import { readIdentity } from 'next-auth-native/middleware'
import { NextResponse, type NextRequest } from 'next/server'
import { NEXTAUTH_SECRET } from './env'

const noStore = { 'Cache-Control': 'private, no-store', Vary: 'Cookie' }

/**
 * The answer of the echo routes: what the route was routed to, the raw
 * x-auth-* headers it received, and the identity readIdentity() verified.
 */
export function echo(req: NextRequest, params: Record<string, unknown>) {
  const raw: Record<string, string> = {}
  for (const [k, v] of req.headers) if (k.startsWith('x-auth-') && k !== 'x-auth-mac') raw[k] = v
  return NextResponse.json({ params, raw, identity: readIdentity(req, { secret: NEXTAUTH_SECRET }) }, { headers: noStore })
}
