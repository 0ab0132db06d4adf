// Server-only settings shared by the NextAuth route, proxy.ts and the pages.
// Environment variables always win; the defaults make `next dev` work locally.
export const DEV_SECRET = 'next-auth-native-db-example-DEV-ONLY-secret-8c2d1f7a5b3e4c9d0a6f'

if (!process.env.NEXTAUTH_SECRET) process.env.NEXTAUTH_SECRET = DEV_SECRET
if (!process.env.NEXTAUTH_URL) process.env.NEXTAUTH_URL = `http://localhost:${process.env.PORT || 3000}`

export const NEXTAUTH_SECRET: string = process.env.NEXTAUTH_SECRET
/**
 * @auth/pg-adapter's database (tables: db/schema.sql, `npm run db:init`), as the provider gives it:
 * e.g. `postgres://app:pass@db.example.com:5432/app?sslmode=verify-full&sslrootcert=/app/ca.pem`, plus
 * `&pgbouncer=true` behind a transaction-mode pooler. The native lookup (proxy.ts, pages) and the
 * adapter's `pg` pool both read this one URL, TLS settings included.
 */
export const DATABASE_URL: string = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/next_auth_native_example'
/**
 * Where proxy.ts and the pages look sessions up; DATABASE_URL unless set. Its scheme picks the
 * store: postgres://, mysql:// (MySQL/MariaDB), redis:// or rediss:// (Redis), or an SQLite file.
 */
export const SESSION_DATABASE_URL: string = process.env.SESSION_DATABASE_URL || DATABASE_URL
/** The schema preset; by default the one this app's adapter writes for the store (see session-options.ts). */
export const SESSION_SCHEMA: string | undefined = process.env.SESSION_SCHEMA || undefined
/** Where sendVerificationRequest appends the magic links (one JSON line each); unset: printed to the console. */
export const MAGIC_LINK_FILE: string | undefined = process.env.MAGIC_LINK_FILE || undefined

function ms(name: string, fallback: number): number {
  const v = Number(process.env[name])
  return Number.isFinite(v) && v >= 0 ? v : fallback
}
/** How long proxy.ts and the pages may reuse a verified session (0 = ask the database every time). */
export const SESSION_CACHE_TTL_MS = ms('SESSION_CACHE_TTL_MS', 2000)
/** Deadline of one session lookup. */
export const SESSION_TIMEOUT_MS = ms('SESSION_TIMEOUT_MS', 1000)
