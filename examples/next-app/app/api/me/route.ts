import { getToken } from 'next-auth-native/jwt'
import { NextResponse, type NextRequest } from 'next/server'
import { NEXTAUTH_SECRET } from '@/lib/env'

export const dynamic = 'force-dynamic'

const noStore = { 'Cache-Control': 'private, no-store', Vary: 'Cookie' }

// Checks the session itself (never trusts that proxy.ts ran): returns the
// decoded next-auth JWT, or 401. getToken is the drop-in for next-auth/jwt's.
export async function GET(req: NextRequest) {
  const token = await getToken({ req, secret: NEXTAUTH_SECRET })
  if (!token) {
    return NextResponse.json({ error: 'Unauthorized' }, { status: 401, headers: noStore })
  }
  return NextResponse.json(token, { headers: noStore })
}
