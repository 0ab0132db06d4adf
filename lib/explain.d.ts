import type { GetTokenParams, JWT } from './jwt'
import type { Session, VerifySessionParams } from './session'

/** Every stable code (public API; never changes meaning). `OK` is the absence of an error. */
export type SessionCode =
  | 'OK' | 'NO_SECRET' | 'NO_COOKIE' | 'COOKIE_NAME_MISMATCH' | 'DUPLICATE_COOKIE' | 'CHUNKS_INVALID' | 'MALFORMED'
  | 'HEADER_NOT_ALLOWED' | 'DECRYPT_FAILED' | 'SIGNATURE_INVALID' | 'EXPIRED' | 'NOT_YET_VALID' | 'CLAIM_INVALID'
  | 'TOO_LARGE' | 'DB_NOT_FOUND' | 'DB_EXPIRED' | 'DB_NO_USER' | 'DB_UNAVAILABLE' | 'DB_TIMEOUT'
  | 'ENDPOINT_BAD_RESPONSE' | 'CONFIG_INVALID'

export interface SessionExplanation {
  ok: boolean
  code: SessionCode
  /** One sentence a person can act on; never token material or secrets. */
  message: string
  /** The verifySession result (the /api/auth/session shape), or null. */
  session: Session | null
  cookie: { expected: string[]; found: string[] }
  details: {
    fix: string
    strategy?: 'jwt' | 'database'
    /** Why these cookie names are read (scheme, VERCEL, custom names). */
    reason?: string
    source?: 'cookie' | 'bearer' | null
    secretFrom?: 'option' | 'NEXTAUTH_SECRET' | 'AUTH_SECRET' | null
    /** The identity and time claims (sub, name, email, picture, role, iat, nbf, exp, iss, aud); others are only named. */
    claims?: Partial<JWT>
    claimNames?: string[]
    expires?: string | null
    store?: 'database' | 'endpoint'
    label?: string
  }
}

/** The decision getToken / verifySession makes for `params.req`, explained. */
export declare function explainSession(params: GetTokenParams<boolean> | VerifySessionParams): Promise<SessionExplanation>

/** Every code with its fix sentence and the jose code `decode` rejects with. */
export declare function errorCodes(): { code: Exclude<SessionCode, 'OK'>; fix: string; joseCode: string }[]

/** Errors this package throws: `code` is a stable code (or a jose code from `decode`). */
export declare class NextAuthNativeError extends Error {
  code: string
  /** From `decode`: this package's code for the failure (`code` is jose's). */
  sessionCode?: SessionCode
  /** From `requireSession`: the session store could not answer (an outage, not a sign-out). */
  storeUnavailable?: true
}
