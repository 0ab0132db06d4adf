import { currentSession } from '@/lib/session'

export const dynamic = 'force-dynamic'

const NO_STORE = { 'cache-control': 'private, no-store' }

/** The session as the proxy and this handler see it (checked again here: middleware can be skipped). */
export async function GET() {
  let session
  try {
    session = await currentSession()
  } catch (err) {
    // The store could not answer: say so (503), do not pretend the user signed out.
    if ((err as { storeUnavailable?: boolean }).storeUnavailable) {
      return Response.json({ error: 'SessionStoreUnavailable' }, { status: 503, headers: { ...NO_STORE, 'retry-after': '5' } })
    }
    throw err
  }
  if (!session) return Response.json({ error: 'Unauthorized' }, { status: 401, headers: NO_STORE })
  return Response.json(session, { headers: NO_STORE })
}
