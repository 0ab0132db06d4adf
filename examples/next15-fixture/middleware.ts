// Next.js 15.5: middleware.ts runs on the Edge runtime by default, where a
// native addon cannot load. `runtime: 'nodejs'` (stable in 15.5) is required.
import { withAuth } from 'next-auth/middleware'

export default withAuth({
  // Tests pass NEXTAUTH_SECRET; this fallback only keeps `next start` usable by hand.
  secret: process.env.NEXTAUTH_SECRET || 'next15-fixture-DEV-ONLY-secret-do-not-deploy-0123456789',
})

export const config = { runtime: 'nodejs', matcher: ['/protected/:path*'] }
