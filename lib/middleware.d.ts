import type { NextRequest, NextFetchEvent, NextMiddleware, NextResponse } from 'next/server'
import type { AuthOptions } from 'next-auth'
import type { Awaitable, JWT, JwsOptions, Secret } from './jwt'
import type { DatabaseOptions, Session, SessionEndpoint } from './session'

export interface NextRequestWithAuth extends NextRequest {
  /** JWT strategy: { token }; database strategy: { token: null, session }. */
  nextauth: { token: JWT | null; session?: Session | null }
}

/** What a middleware may return (as next-auth's `NextMiddlewareResult`). */
export type NextMiddlewareResult = ReturnType<NextMiddleware> | void

export type NextMiddlewareWithAuth = (
  request: NextRequestWithAuth,
  event: NextFetchEvent,
) => NextMiddlewareResult | Promise<NextMiddlewareResult>

/** next-auth's `authorized` callback, plus the database session (`null` in JWT mode without one). */
/**
 * `session`: the database session (database strategy) or the token in the /api/auth/session shape (JWT).
 * `storeUnavailable` (database strategy): true when the session store could not answer (down, timeout,
 * pool exhausted); `session` is null then, as for "no session".
 */
export type AuthorizedCallback = (params: {
  token: JWT | null
  req: NextRequest
  session: Session | null
  storeUnavailable?: boolean
}) => Awaitable<boolean>

export interface NextAuthMiddlewareOptions {
  /** next-auth's whole `pages` option; the middleware uses `signIn` and `error`. */
  pages?: AuthOptions['pages']
  cookies?: { sessionToken?: { name?: string } }
  /** next-auth's custom decode, and/or native JWS settings (algorithms, secret | publicKey, issuer, audience). */
  jwt?: Partial<JwsOptions> & { decode?: (params: { token: string; secret: Secret | Secret[] }) => JWT | null | Promise<JWT | null> }
  /** `session`: the database session (database strategy) or the token in the /api/auth/session shape (JWT). */
  callbacks?: { authorized?: AuthorizedCallback }
  /**
   * next-auth's database strategy: look the opaque session token up natively (PostgreSQL, SQLite)
   * or at the app's own /api/auth/session. No secret is needed in this mode.
   */
  session?: DatabaseSessionOptions
  secret?: Secret | Secret[]
  /** How denials look: 307 to sign-in (default), 401 JSON, or 401 JSON for /api paths only ("auto"). */
  unauthorized?: 'redirect' | 'json' | 'auto'
  /**
   * Database strategy, when the session store cannot answer and `authorized` does not allow:
   * 'unavailable' (default) answers 503 with `Retry-After` and `Cache-Control: private, no-store`
   * (JSON `{ error: 'SessionStoreUnavailable' }` for /api paths and `unauthorized: 'json'`, else a
   * short HTML page); 'deny' answers as for no session (redirect to sign-in / 401).
   */
  onStoreError?: 'unavailable' | 'deny'
  /**
   * Paths that never need a session, in Next.js `config.matcher` syntax, matched (case-sensitively)
   * against the decoded path: exact by default (`'/docs'`), `'/'` is the root page only,
   * `'/blog/:path*'` is /blog and below, `'/blog/:path+'` below /blog only, `'/u/:id'` one segment.
   * `''`, `'/*'`, `'/x/'`, `'/x/*'` and entries without a leading `/` are rejected when withAuth(...) is called.
   */
  publicPaths?: string[]
  /** When set, only these paths need a session (same syntax; matched case-insensitively). */
  protectedPaths?: string[]
  /**
   * Token claims passed to route handlers as `x-auth-<claim>` request headers (lower case; characters
   * not allowed in a header name become `-`), with an `x-auth-mac` header that `readIdentity()` verifies.
   * Every client-sent `x-auth-*` header is removed from every request the middleware sees.
   */
  forwardIdentity?: string[]
  /** next-auth's logger: `debug(code, metadata)` for denials (with a debug function or `debug: true`), `error` for configuration errors. */
  logger?: Partial<Pick<Console, 'error' | 'warn' | 'debug'>>
  /** Report each denial's code through `logger.debug` (or `console.debug`). */
  debug?: boolean
}

export interface DatabaseSessionOptions {
  strategy: 'database'
  database?: DatabaseOptions
  sessionEndpoint?: SessionEndpoint
  /** Cache TTL in ms (default 5000, at most 60000, 0 disables). */
  cacheTtlMs?: number
  timeoutMs?: number
  secureCookie?: boolean
}

export declare function handleMiddleware(
  req: NextRequest,
  options: NextAuthMiddlewareOptions | undefined,
  onSuccess?: (token: JWT | null, session?: Session | null) => ReturnType<NextMiddleware>,
): Promise<NextResponse | Response | undefined | void | null>

export declare function withAuth(): ReturnType<NextMiddlewareWithAuth>
export declare function withAuth(req: NextRequestWithAuth | NextRequest): ReturnType<NextMiddlewareWithAuth>
export declare function withAuth(req: NextRequestWithAuth | NextRequest, event: NextFetchEvent): ReturnType<NextMiddlewareWithAuth>
export declare function withAuth(req: NextRequestWithAuth | NextRequest, options: NextAuthMiddlewareOptions): ReturnType<NextMiddlewareWithAuth>
export declare function withAuth(middleware: NextMiddlewareWithAuth, options?: NextAuthMiddlewareOptions): NextMiddlewareWithAuth
export declare function withAuth(options: NextAuthMiddlewareOptions): NextMiddlewareWithAuth

/** What requireSession / requireSessionSync read: a request, or the Headers of `next/headers`' headers(). */
type RequireSessionTarget = NextRequest | Request | { headers: unknown } | Headers | { get(name: string): string | null }
type JwtRequireOptions = { secret?: Secret | Secret[]; cookieName?: string; secureCookie?: boolean; cookies?: { sessionToken?: { name?: string } }; jwt?: JwsOptions }
/**
 * The second gate for route handlers, API routes and server components.
 * Always a Promise (`await` it). Under `strict`, using the Promise as the
 * token is a TypeScript error: `token.sub` (TS2339), `if (token)` (TS2801).
 * Database strategy: the session or null; rejects with a `NextAuthNativeError`
 * with `storeUnavailable: true` and the store's `code` (`'DB_UNAVAILABLE'`,
 * `'DB_TIMEOUT'`, …) when the store could not answer (down, timeout, pool
 * exhausted), so an outage is never mistaken for a sign-out.
 */
export declare function requireSession(
  reqOrHeaders: RequireSessionTarget,
  options: { session: DatabaseSessionOptions; cookieName?: string; secureCookie?: boolean; cookies?: { sessionToken?: { name?: string } } },
): Promise<Session | null>
/** JWT strategy: the token or null. */
export declare function requireSession(reqOrHeaders: RequireSessionTarget, options?: JwtRequireOptions): Promise<JWT | null>
/** JWT strategy only, synchronously: the token or null. Throws for database options. */
export declare function requireSessionSync(reqOrHeaders: RequireSessionTarget, options?: JwtRequireOptions): JWT | null

/**
 * The identity forwarded by withAuth's `forwardIdentity`, verified: returns
 * `{ [claim]: value }` only when the `x-auth-mac` header set by this
 * middleware verifies under the app's secret (and is at most 60 s old), else
 * null. Prefer it to reading `x-auth-*` headers: a route outside the matcher
 * never runs the middleware, so a header alone proves nothing. Values are the
 * header strings as forwarded (strings unchanged, other values as JSON,
 * non-ASCII text percent-encoded).
 */
export declare function readIdentity(
  reqOrHeaders: RequireSessionTarget,
  options?: { secret?: Secret | Secret[] },
): Record<string, string> | null

export default withAuth
