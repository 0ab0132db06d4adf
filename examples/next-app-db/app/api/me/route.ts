import { currentSession } from '@/lib/session'

export const dynamic = 'force-dynamic'

/** The session as the proxy and this handler see it (checked again here: middleware can be skipped). */
export async function GET() {
  const session = await currentSession()
  if (!session) return Response.json({ error: 'Unauthorized' }, { status: 401, headers: { 'cache-control': 'private, no-store' } })
  return Response.json(session, { headers: { 'cache-control': 'private, no-store' } })
}
