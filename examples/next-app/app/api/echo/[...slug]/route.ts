import type { NextRequest } from 'next/server'
import { echo } from '@/lib/echo'

export const dynamic = 'force-dynamic'

// A catch-all route protected by proxy.ts ALONE (no second check here), so
// that the tests see exactly what the proxy lets through: /api/echo/public is
// public, everything else below /api/echo needs a session. Real routes should
// check the session themselves (requireSession) as app/api/me does.
export async function GET(req: NextRequest, ctx: { params: Promise<{ slug: string[] }> }) {
  return echo(req, await ctx.params)
}
