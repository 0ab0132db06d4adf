import type { NextRequest, NextFetchEvent, NextMiddleware, NextResponse } from 'next/server'
import type { JWT, JwsOptions, Secret } from './jwt'
import type { DatabaseOptions, Session, SessionEndpoint } from './session'

export interface NextRequestWithAuth extends NextRequest {
  /** JWT strategy: { token }; database strategy: { token: null, session }. */
  nextauth: { token: JWT | null; session?: Session | null }
}

export type NextMiddlewareWithAuth = (request: NextRequestWithAuth, event: NextFetchEvent) => ReturnType<NextMiddleware>

export interface NextAuthMiddlewareOptions {
  pages?: { signIn?: string; error?: string }
  cookies?: { sessionToken?: { name?: string } }
  /** next-auth's custom decode, and/or native JWS settings (algorithms, secret | publicKey, issuer, audience). */
  jwt?: Partial<JwsOptions> & { decode?: (params: { token: string; secret: Secret | Secret[] }) => JWT | null | Promise<JWT | null> }
  /**
   * `session`: the database session (database strategy) or the token in the /api/auth/session shape (JWT).
   * `storeUnavailable` (database strategy): true when the session store could not answer (down, timeout,
   * pool exhausted); `session` is null then, as for "no session".
   */
  callbacks?: {
    authorized?: (params: { token: JWT | null; req: NextRequest; session: Session | null; storeUnavailable?: boolean }) => unknown
  }
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
  /** Segment-aware paths that never need a session. */
  publicPaths?: string[]
  /** When set, only these (segment-aware) paths need a session. */
  protectedPaths?: string[]
  /** Token claims passed to route handlers as `x-auth-<claim>` request headers (client copies are removed). */
  forwardIdentity?: string[]
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
export declare function withAuth(req: NextRequest | NextRequestWithAuth): ReturnType<NextMiddlewareWithAuth>
export declare function withAuth(req: NextRequest | NextRequestWithAuth, event: NextFetchEvent): ReturnType<NextMiddlewareWithAuth>
export declare function withAuth(req: NextRequest | NextRequestWithAuth, options: NextAuthMiddlewareOptions): ReturnType<NextMiddlewareWithAuth>
export declare function withAuth(middleware: NextMiddlewareWithAuth, options?: NextAuthMiddlewareOptions): NextMiddlewareWithAuth
export declare function withAuth(options: NextAuthMiddlewareOptions): NextMiddlewareWithAuth

/** The second gate for route handlers, API routes and server components: the token or null. */
type RequireSessionTarget = NextRequest | Request | { headers: unknown } | Headers | { get(name: string): string | null }
/** Database strategy: a Promise of the session or null. */
export declare function requireSession(
  reqOrHeaders: RequireSessionTarget,
  options: { session: DatabaseSessionOptions; cookieName?: string; secureCookie?: boolean; cookies?: { sessionToken?: { name?: string } } },
): Promise<Session | null>
/** JWT strategy: the token or null, synchronously. */
export declare function requireSession(
  reqOrHeaders: RequireSessionTarget,
  options?: { secret?: Secret | Secret[]; cookieName?: string; secureCookie?: boolean; cookies?: { sessionToken?: { name?: string } }; jwt?: JwsOptions },
): JWT | null

export default withAuth
