import type { DatabaseSessionOptions } from 'next-auth-native/middleware'
import { SESSION_CACHE_TTL_MS, SESSION_DATABASE_URL, SESSION_SCHEMA, SESSION_TIMEOUT_MS } from './env'

/** The URL's scheme picks the store; each store's default preset is the adapter usually used with it. */
function schemaFor(url: string): string {
  if (SESSION_SCHEMA) return SESSION_SCHEMA
  if (/^rediss?:\/\//.test(url)) return 'upstash-redis' // @auth/upstash-redis-adapter
  if (/^(mysql|mariadb):\/\//.test(url)) return 'prisma' // Prisma on MySQL; 'drizzle' for @auth/drizzle-adapter
  return 'pg-adapter' // this app's @auth/pg-adapter (lib/auth.ts)
}

/**
 * next-auth's database strategy, checked natively: the opaque token in the
 * session cookie is looked up (read-only, prepared statement, pooled) in the
 * same PostgreSQL tables that @auth/pg-adapter writes. One object, shared by
 * proxy.ts and the pages, so both use the same pool and cache.
 */
export const sessionOptions: DatabaseSessionOptions = {
  strategy: 'database',
  database: { url: SESSION_DATABASE_URL, schema: schemaFor(SESSION_DATABASE_URL) as 'pg-adapter', timeoutMs: SESSION_TIMEOUT_MS },
  cacheTtlMs: SESSION_CACHE_TTL_MS,
}
