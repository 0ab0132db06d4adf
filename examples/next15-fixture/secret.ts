// Tests pass NEXTAUTH_SECRET; this fallback only keeps `next start` usable by hand.
export const SECRET = process.env.NEXTAUTH_SECRET || 'next15-fixture-DEV-ONLY-secret-do-not-deploy-0123456789'
