import type { NextRequest } from 'next/server'
import { echo } from '@/lib/echo'

export const dynamic = 'force-dynamic'

// A dynamic route protected by proxy.ts alone (see app/api/echo): for the tests.
export async function GET(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  return echo(req, await ctx.params)
}
