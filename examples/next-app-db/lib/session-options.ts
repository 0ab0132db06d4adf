import type { DatabaseSessionOptions } from 'next-auth-native/middleware'
import { DATABASE_URL, SESSION_CACHE_TTL_MS, SESSION_TIMEOUT_MS } from './env'

/**
 * next-auth's database strategy, checked natively: the opaque token in the
 * session cookie is looked up (read-only, prepared statement, pooled) in the
 * same PostgreSQL tables that @auth/pg-adapter writes. One object, shared by
 * proxy.ts and the pages, so both use the same pool and cache.
 */
export const sessionOptions: DatabaseSessionOptions = {
  strategy: 'database',
  database: { url: DATABASE_URL, schema: 'pg-adapter', timeoutMs: SESSION_TIMEOUT_MS },
  cacheTtlMs: SESSION_CACHE_TTL_MS,
}
