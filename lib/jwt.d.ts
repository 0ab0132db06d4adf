/// <reference types="node" />

import type { JWT as NextAuthJWT } from 'next-auth/jwt'

/**
 * The decoded session token: next-auth's own `JWT` interface (default claims plus whatever your
 * `jwt` callback added). It is the same type, so next-auth's documented augmentation
 * `declare module 'next-auth/jwt' { interface JWT { role?: string } }` types `getToken`'s result and
 * `req.nextauth.token` here too.
 */
export interface JWT extends NextAuthJWT {
  iat?: number
  exp?: number
  jti?: string
}

export type Awaitable<T> = T | PromiseLike<T>

export type Secret = string | Buffer | Uint8Array

/** Native verification of an app-signed JWS session token (no JS callback). */
export interface JwsOptions {
  /** Allowed algorithms, all of one key type: HS256/384/512, RS256/384/512, PS256/384/512, ES256/384 or EdDSA. */
  algorithms: string[]
  /** Shared secret for HS* (at least 32 bytes). */
  secret?: Secret
  /** PEM public key, or a JWK (object or JSON text), for RS*, PS*, ES*, EdDSA. */
  publicKey?: string | Record<string, unknown>
  /** Required `iss` (one of). */
  issuer?: string | string[]
  /** Required `aud` (one of). */
  audience?: string | string[]
}

/** Anything next-auth's getToken accepts as `req`, plus a bare IncomingMessage. */
export type RequestLike =
  | { headers: Headers | { get(name: string): string | null } ; cookies?: unknown }
  | { headers: Record<string, string | string[] | undefined>; cookies?: Record<string, string> }
  | { cookies: Record<string, string> | Map<string, unknown> | { getAll(): Array<{ name: string; value: string }> }; headers?: unknown }

export interface GetTokenParams<R extends boolean = false> {
  /** The request: NextRequest/Request, a Pages-router request, or an IncomingMessage. Required. */
  req: RequestLike | any
  /** Defaults to `NEXTAUTH_URL?.startsWith("https://") ?? !!VERCEL`, read at call time. */
  secureCookie?: boolean
  /** Base name of the session cookie. Defaults to next-auth's (`__Secure-` prefixed when secure). */
  cookieName?: string
  /** Return the token string without decoding or checking it. */
  raw?: R
  /** Defaults to `NEXTAUTH_SECRET ?? AUTH_SECRET`, read at call time. An array enables rotation. */
  secret?: Secret | Secret[]
  /** A custom decoder, called with `{ token, secret }` (as next-auth does). */
  decode?: (params: { token: string; secret: Secret | Secret[] }) => Awaitable<JWT | null>
  /**
   * next-auth's logger. With a `debug` function, each failed decision is reported as
   * `logger.debug(code, metadata)` (rate-limited per code and configuration; no token material).
   */
  logger?: Partial<Pick<Console, 'error' | 'warn' | 'debug'>>
  /** Report failed decisions through `logger.debug` (or `console.debug`). Default false. */
  debug?: boolean
  /** Auth.js v5: read the cookie with v5 rules and this HKDF salt (normally the cookie name). */
  salt?: string
  /** Verify app-signed JWS tokens natively instead of next-auth JWE. */
  jwt?: JwsOptions
}

/** Drop-in for `getToken` from `next-auth/jwt`: claims, raw token, or null. Rejects only when `req` is missing. */
export declare function getToken<R extends boolean = false>(
  params: GetTokenParams<R>,
): Promise<R extends true ? string | null : JWT | null>

/** `getToken` without a Promise, for hot paths. No `decode` callback. */
export declare function getTokenSync<R extends boolean = false>(
  params: Omit<GetTokenParams<R>, 'decode'>,
): R extends true ? string | null : JWT | null

export interface JWTEncodeParams {
  token?: JWT
  secret: Secret
  /** Seconds until `exp`. Default 30 days. */
  maxAge?: number
  /** HKDF salt; "" (default) for session tokens. */
  salt?: string
}

export interface JWTDecodeParams {
  token?: string
  secret: Secret
  salt?: string
}

/** Drop-in for next-auth/jwt `encode`: tokens decode in next-auth and vice versa. */
export declare function encode(params: JWTEncodeParams): Promise<string>

/** Drop-in for next-auth/jwt `decode`: null for an empty token, rejects for an invalid or expired one. */
export declare function decode(params: JWTDecodeParams): Promise<JWT | null>
