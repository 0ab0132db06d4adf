import type { NextRequest } from 'next/server'
import { echo } from '@/lib/echo'

export const dynamic = 'force-dynamic'

// Inside the proxy's matcher but outside protectedPaths: public. The proxy
// still removes client-sent x-auth-* headers here.
export async function GET(req: NextRequest, ctx: { params: Promise<{ slug: string[] }> }) {
  return echo(req, await ctx.params)
}
