import type { NextRequest } from 'next/server'
import { echo } from '@/lib/echo'

export const dynamic = 'force-dynamic'

// Outside the proxy's matcher: the proxy never runs here, so raw x-auth-*
// headers are whatever the client sent, and readIdentity() returns null.
export async function GET(req: NextRequest) {
  return echo(req, {})
}
