// Next.js 15.5: middleware.ts runs on the Edge runtime by default, where a
// native addon cannot load. `runtime: 'nodejs'` (stable in 15.5) is required,
// plus serverExternalPackages: ['next-auth-native'] in next.config.ts.
import { withAuth } from 'next-auth-native/middleware'
import { SECRET } from './secret'

export default withAuth({ secret: SECRET })

export const config = { runtime: 'nodejs', matcher: ['/protected/:path*'] }
