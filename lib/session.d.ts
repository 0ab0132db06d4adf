import type { JWT, JwsOptions, RequestLike, Secret } from './jwt'

/** The body of next-auth's /api/auth/session (plus the user id). */
export interface Session {
  user: { id: string | null; name: string | null; email: string | null; image: string | null; [key: string]: unknown }
  /** ISO 8601, UTC. */
  expires: string | null
  [key: string]: unknown
}

/** A custom table/column mapping (defaults: the pg-adapter names). Identifiers are validated and quoted. */
export interface SchemaMapping {
  /** e.g. "sessions", "Session" or "auth.sessions" */
  sessionTable?: string
  userTable?: string
  sessionToken?: string
  userId?: string
  expires?: string
  id?: string
  /** null/false: no such column (reads as null). */
  name?: string | null | false
  email?: string | null | false
  image?: string | null | false
  /** Unit of integer `expires` columns (SQLite, custom schemas): "ms" (default) or "s". */
  expiresUnit?: 'ms' | 's'
}

export interface DatabaseOptions {
  /**
   * `postgres://…` / `postgresql://…`, `mysql://…` (MySQL/MariaDB; `?ssl-mode=…&ssl-ca=…`),
   * `redis://…` / `rediss://…` (TLS; `?ssl-ca=…`), or an SQLite file (`/path/app.db`, `sqlite:./app.db`, `file:…`).
   * PostgreSQL: libpq's `sslmode` (disable, prefer = default, require, verify-ca, verify-full) and
   * `sslrootcert=<file>|system` (else PGSSLMODE/PGSSLROOTCERT), and `pgbouncer=true` behind a
   * transaction-mode pooler (PgBouncer, Supabase's pooler, Neon's pooled endpoint).
   */
  url: string
  /**
   * SQL: "prisma" (default: "Session"/"User"), "kysely" (@auth/kysely-adapter: the same tables),
   * "drizzle" (@auth/drizzle-adapter: "session"/"user"), "pg-adapter" ("sessions"/"users"), or a mapping.
   * Redis: "upstash-redis" (default) or "unstorage".
   */
  schema?: 'prisma' | 'drizzle' | 'kysely' | 'pg-adapter' | 'upstash-redis' | 'unstorage' | SchemaMapping
  /** Redis: the adapter's `baseKeyPrefix` (default ""). */
  keyPrefix?: string
  /** Redis, "unstorage": the Redis driver's `base` (default ""). */
  base?: string
  /**
   * Revocation push (docs/scaling.md): "auto" (default; Redis keyspace notifications when the server sends them),
   * true (also PostgreSQL LISTEN/NOTIFY, with the README's trigger), false (never; the bound is the cache TTL).
   */
  push?: boolean | 'auto'
  /** Most connections (default 4, at most 64). */
  pool?: number | { max?: number }
  /** Deadline of one lookup in ms (default 1000). */
  timeoutMs?: number
}

export type SessionEndpoint = string | URL | { url: string; timeoutMs?: number; pool?: number }

export interface VerifySessionParams {
  req: RequestLike | { headers: unknown }
  /** Default: "database" when `database` or `sessionEndpoint` is given, else "jwt". */
  strategy?: 'jwt' | 'database'
  /** JWT strategy: as getToken. */
  secret?: Secret | Secret[]
  salt?: string
  jwt?: JwsOptions
  decode?: (params: { token: string; secret: Secret | Secret[] }) => JWT | null | Promise<JWT | null>
  /** Database strategy: a native PostgreSQL/SQLite lookup … */
  database?: DatabaseOptions
  /** … or the app's own /api/auth/session at a fixed internal http:// URL. */
  sessionEndpoint?: SessionEndpoint
  /** Cache TTL in ms (default 5000, at most 60000, 0 disables). Never past `expires`. */
  cacheTtlMs?: number
  timeoutMs?: number
  secureCookie?: boolean
  cookieName?: string
  logger?: { error?: (...args: unknown[]) => void; debug?: (code: string, metadata: unknown) => void }
  /** Report failed decisions through `logger.debug` (or `console.debug`). */
  debug?: boolean
}

/** The session in the shape of /api/auth/session's body, or null (also for failures). */
export declare function verifySession(params: VerifySessionParams): Promise<Session | null>
/** The /api/auth/session shape of decoded JWT claims (user from sub/name/email/picture, expires from exp). */
export declare function sessionFromToken(token: JWT): Session
export default verifySession
