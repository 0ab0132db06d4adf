'use strict'
// next-auth-native/jwt: drop-in for next-auth/jwt (getToken, encode, decode).
const native = require('./native')
const { randomUUID } = require('node:crypto')
const { checkSecret, NextAuthNativeError } = require('./options')
const { handles } = require('./handles')

const DEFAULT_MAX_AGE = 30 * 24 * 60 * 60

// ---------------------------------------------------------------------------
// Compiled readers. Keys are derived once per configuration, in Rust; the
// package's handle cache maps the configuration to the compiled reader.

let last = null // fast path: the configuration of the previous call

function secretId(s) {
  if (typeof s === 'string') return 's' + s
  if (s instanceof Uint8Array) return 'b' + Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString('base64')
  return '-'
}

function normalizeSecrets(secret) {
  const list = Array.isArray(secret) ? secret : [secret]
  return list.filter((s) => (typeof s === 'string' && s !== '') || (s instanceof Uint8Array && s.byteLength > 0))
    .map((s) => (typeof s === 'string' ? s : Buffer.from(s)))
}

/**
 * The parts of a configuration that may be edited in place: the `secret`
 * array's elements and the `jwt` object's key fields (and their arrays'
 * elements), flattened so that one identity comparison per element tells
 * whether the configuration changed since the previous call (issue 14, item 6).
 */
function pushList(out, v) {
  out.push(v)
  if (Array.isArray(v)) {
    out.push(v.length)
    for (let i = 0; i < v.length; i++) out.push(v[i])
  }
}

function configParts(secret, jwt) {
  const out = []
  pushList(out, secret)
  if (jwt !== null && typeof jwt === 'object') {
    pushList(out, jwt.algorithms)
    out.push(jwt.secret, jwt.publicKey)
    pushList(out, jwt.issuer)
    pushList(out, jwt.audience)
  }
  return out
}

/** Compares `v` with parts[i…] as pushList wrote it; returns the next index, or -1. */
function matchList(parts, i, v) {
  if (parts[i] !== v) return -1
  if (!Array.isArray(v)) return i + 1
  const n = v.length
  if (parts[i + 1] !== n) return -1
  i += 2
  for (let j = 0; j < n; j++) if (parts[i + j] !== v[j]) return -1
  return i + n
}

function sameParts(parts, secret, jwt) {
  let i = matchList(parts, 0, secret)
  if (i < 0) return false
  if (jwt !== null && typeof jwt === 'object') {
    if ((i = matchList(parts, i, jwt.algorithms)) < 0) return false
    if (parts[i] !== jwt.secret || parts[i + 1] !== jwt.publicKey) return false
    if ((i = matchList(parts, i + 2, jwt.issuer)) < 0) return false
    if ((i = matchList(parts, i, jwt.audience)) < 0) return false
  }
  return i === parts.length
}

/** Whether `list` (an array or not) still equals `parts` from pushList. */
function sameList(parts, v) {
  if (parts[0] !== v) return false
  if (!Array.isArray(v)) return parts.length === 1
  if (parts.length !== v.length + 2 || parts[1] !== v.length) return false
  for (let j = 0; j < v.length; j++) if (parts[j + 2] !== v[j]) return false
  return true
}

function compileReader(secret, secureCookie, cookieName, salt, jwt, v5Fallback) {
  if (last !== null && last.secret === secret && last.secureCookie === secureCookie && last.cookieName === cookieName &&
      last.salt === salt && last.jwt === jwt && last.v5Fallback === v5Fallback &&
      (last.parts === null || sameParts(last.parts, secret, jwt))) {
    return last.reader
  }
  checkSecret(secret) // CONFIG_INVALID, thrown (checked off the fast path: only when the configuration changes)
  const key = [
    Array.isArray(secret) ? secret.map(secretId).join('\u0000') : secretId(secret),
    secureCookie ? 1 : 0, cookieName ?? '', salt === undefined ? '\u0001' : salt,
    jwt ? JSON.stringify(jwt) : '', v5Fallback ? 1 : 0,
  ].join('\u0002')
  const reader = handles.get('reader', key, () =>
    native.compileReader({
      secrets: normalizeSecrets(secret),
      secureCookie, // a boolean: secureCookieOf already applied next-auth's env default
      cookieName: typeof cookieName === 'string' ? cookieName : undefined,
      salt: typeof salt === 'string' ? salt : undefined,
      jwt: jwt ? jwsOptions(jwt) : undefined,
      v5Fallback,
    }),
  )
  // Only arrays and objects can change in place; a string secret without `jwt` needs no parts.
  const parts = Array.isArray(secret) || (jwt !== null && typeof jwt === 'object') ? configParts(secret, jwt) : null
  last = { secret, secureCookie, cookieName, salt, jwt, v5Fallback, reader, parts }
  return reader
}

function jwsOptions(jwt) {
  const list = (v) => (v === undefined || v === null ? undefined : Array.isArray(v) ? v.map(String) : [String(v)])
  const publicKey = jwt.publicKey
  return {
    algorithms: list(jwt.algorithms) ?? [],
    secret: jwt.secret,
    publicKey: publicKey === undefined || publicKey === null ? undefined
      : typeof publicKey === 'string' ? publicKey : JSON.stringify(publicKey),
    issuer: list(jwt.issuer),
    audience: list(jwt.audience),
  }
}

let warnedJwtConfig = false

// ---------------------------------------------------------------------------
// Reading the request.

/**
 * next-auth's env default for `secureCookie`, read from `process.env` at
 * call time as next-auth does. The one implementation: getToken, the
 * database session reader and explainSession all come through here.
 */
function defaultSecureCookie() {
  return process.env.NEXTAUTH_URL?.startsWith('https://') ?? !!process.env.VERCEL
}

/** `params.secureCookie`, or next-auth's env default: always a boolean for the native reader. */
function secureCookieOf(params) {
  const secureCookie = params.secureCookie
  return secureCookie !== undefined ? !!secureCookie : defaultSecureCookie()
}

/** Where next-auth looks for the secret when none is passed, in order (v4's name, then v5's). */
const SECRET_ENV = ['NEXTAUTH_SECRET', 'AUTH_SECRET']

/** The environment variable the default secret comes from, or undefined. */
function defaultSecretSource() {
  return SECRET_ENV.find((k) => process.env[k] !== undefined)
}

/** next-auth's default secret (the one owner of this rule: getToken, withAuth, readIdentity, explain). */
function defaultSecret() {
  const k = defaultSecretSource()
  return k === undefined ? undefined : process.env[k]
}

function cookiePairs(cookies) {
  const names = []
  const values = []
  const add = (n, v) => { names.push(String(n)); values.push(String(v)) }
  if (typeof cookies.getAll === 'function') {
    for (const { name, value } of cookies.getAll()) add(name, value)
  } else if (cookies instanceof Map) {
    for (const [name, value] of cookies) add(name, typeof value === 'object' && value !== null ? value.value : value)
  } else {
    for (const name in cookies) add(name, cookies[name])
  }
  return { names, values }
}

/**
 * Runs the native read for `req`: the claims JSON text, the raw token
 * (`raw`), or null. `req` may be a NextRequest/Request, a Pages-router
 * request, or a bare IncomingMessage (whose Cookie header is parsed).
 */
function readRequest(req, reader, raw) {
  const headers = req.headers
  const isHeaders = headers != null && typeof headers.get === 'function'
  const cookie = cookieHeaderOf(headers, isHeaders)
  if (cookie !== undefined) {
    const out = native.readCookie(reader, cookie, raw) // claims text | null (denied) | undefined (no session cookie)
    if (out !== undefined) return out
  } else if (req.cookies != null && typeof req.cookies === 'object') {
    const { names, values } = cookiePairs(req.cookies)
    const auth = authorizationOf(headers, isHeaders)
    return native.readTokenPairs(reader, names, values, auth, raw)
  }
  // No session cookie: next-auth's Bearer fallback.
  const auth = authorizationOf(headers, isHeaders)
  return auth === undefined ? null : native.readBearer(reader, auth, raw)
}

/** The raw Cookie header of a Headers object or a Node headers object, if any. */
function cookieHeaderOf(headers, isHeaders = headers != null && typeof headers.get === 'function') {
  let cookie = isHeaders ? headers.get('cookie') : headers != null && typeof headers === 'object' ? headers.cookie : undefined
  if (typeof cookie !== 'string' && Array.isArray(cookie)) cookie = cookie.join('; ')
  return typeof cookie === 'string' ? cookie : undefined
}

/** The Authorization header as next-auth reads it (`headers.get`, or the lowercase property). */
function authorizationOf(headers, isHeaders) {
  const v = isHeaders ? headers.get('authorization') : headers != null && typeof headers === 'object' ? headers.authorization : undefined
  return typeof v === 'string' ? v : undefined
}

function resolve(params) {
  if (!params || !params.req) throw new Error('Must pass `req` to JWT getToken()')
  let secret = params.secret
  if (secret === undefined) secret = defaultSecret()
  return { req: params.req, secureCookie: secureCookieOf(params), secret }
}

function readerFor(params, secret, secureCookie, v5Fallback) {
  try {
    return compileReader(secret, secureCookie, params.cookieName, params.salt, params.jwt, v5Fallback)
  } catch (err) {
    if (err?.code === 'CONFIG_INVALID') throw err
    // A bad `jwt` option is a configuration error: say so once, then deny.
    if (!warnedJwtConfig) {
      warnedJwtConfig = true
      ;(params.logger ?? console).error?.('[next-auth-native][error][JWT_CONFIG]', err.message)
    }
    return null
  }
}

/**
 * Synchronous getToken: the same parameters and results as next-auth's
 * getToken, without a Promise. A custom `decode` callback is not supported
 * here (use `getToken`).
 */
function getTokenSync(params) {
  if (!params || !params.req) throw new Error('Must pass `req` to JWT getToken()')
  if (params.decode) throw new TypeError('getTokenSync does not take a `decode` callback; use getToken')
  const reader = readerOf(params)
  if (reader === null) return null
  const raw = !!params.raw
  const out = readRequest(params.req, reader, raw)
  if (out === null || out === undefined) {
    debugDenied(params, reader, raw)
    return null
  }
  return raw ? out : JSON.parse(out)
}

/**
 * The compiled reader for getToken's parameters (next-auth's secret and
 * secureCookie defaults applied), or null for a bad `jwt` option (reported
 * once). withAuth reads through the same reader.
 */
function readerOf(params) {
  let secret = params.secret
  if (secret === undefined) secret = defaultSecret()
  return readerFor(params, secret, secureCookieOf(params), true)
}

/** After a denial: explains it through the debug logger, when one is asked for. */
function debugDenied(params, reader, raw = false) {
  // Only failed decisions pay for this check; with debug off nothing else runs.
  if (params.debug === true || typeof params.logger?.debug === 'function') debugDecision(params, reader, raw)
}

// ---------------------------------------------------------------------------
// Explanations and debug logging (issue 10). The decision is the native
// reader's; these only ask it why, after the fact, off the hot path.

/** Why the reader reads the names it reads, as the native side describes it. */
function nameChoice(params) {
  return {
    cookieName: typeof params.cookieName === 'string' ? params.cookieName : undefined,
    salt: typeof params.salt === 'string',
    secureCookie: params.secureCookie === undefined ? undefined : !!params.secureCookie,
    nextauthUrl: process.env.NEXTAUTH_URL,
    vercel: process.env.VERCEL,
  }
}

/** The request's cookies and Authorization as the native explain takes them. */
function requestParts(req) {
  const headers = req.headers
  const isHeaders = headers != null && typeof headers.get === 'function'
  const cookie = cookieHeaderOf(headers, isHeaders)
  let names
  let values
  if (cookie === undefined && req.cookies != null && typeof req.cookies === 'object') ({ names, values } = cookiePairs(req.cookies))
  return { cookie, names, values, authorization: authorizationOf(headers, isHeaders) }
}

/** getToken's decision for `req` under `reader`, explained natively. */
function explainWith(params, reader, raw) {
  const { cookie, names, values, authorization } = requestParts(params.req)
  return native.explainToken(reader, cookie, names, values, authorization, raw, nameChoice(params))
}

const DEBUG_INTERVAL_MS = 60_000
const debugSeen = new WeakMap() // configuration (logger or params) -> Map(code + reader -> state)
const readerIds = new WeakMap()
let nextReaderId = 1

/**
 * Logs one failed decision through `logger.debug(code, metadata)`, at most
 * once per code and configuration per minute (with the count suppressed).
 */
function debugDecision(params, reader, raw) {
  try {
    const e = explainWith(params, reader, raw)
    logDebug(params, reader, e.code, {
      message: e.message,
      cookie: { expected: e.expected, found: e.found },
      reason: e.reason,
      source: e.source || undefined,
    })
  } catch {
    // Debug logging never changes a decision.
  }
}

function logDebug(params, config, code, metadata) {
  const logger = typeof params.logger?.debug === 'function' ? params.logger : null
  const owner = logger ?? debugSeen
  let seen = debugSeen.get(owner)
  if (seen === undefined) {
    seen = new Map()
    debugSeen.set(owner, seen)
  }
  let id = readerIds.get(config)
  if (id === undefined) {
    id = nextReaderId++
    readerIds.set(config, id)
  }
  const key = `${code}\u0000${id}`
  const now = Date.now()
  const state = seen.get(key)
  if (state !== undefined && now - state.at < DEBUG_INTERVAL_MS) {
    state.suppressed++
    return
  }
  if (seen.size > 1024) seen.clear()
  seen.set(key, { at: now, suppressed: 0 })
  const meta = state?.suppressed ? { ...metadata, suppressed: state.suppressed } : metadata
  if (logger) logger.debug(code, meta)
  else console.debug(`[next-auth-native][debug][${code}]`, meta)
}

/** A thrown decode callback's error as one of this package's codes. */
function codeOfDecodeError(err) {
  switch (err?.code) {
    case 'ERR_JWE_DECRYPTION_FAILED': return 'DECRYPT_FAILED'
    case 'ERR_JWT_EXPIRED': return 'EXPIRED'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': return 'CLAIM_INVALID'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'SIGNATURE_INVALID'
    default: return typeof err?.sessionCode === 'string' ? err.sessionCode : 'MALFORMED'
  }
}

/**
 * Drop-in for `getToken` from `next-auth/jwt`. Resolves to the decoded
 * claims, the raw token (`raw: true`) or null. Rejects only when `req` is
 * missing.
 */
async function getToken(params) {
  if (!params || !params.decode) return getTokenSync(params)
  const { req, secureCookie, secret } = resolve(params)
  // A JS decode callback: find the token natively (v4 rules), decode in JS.
  const reader = readerFor({ ...params, jwt: undefined, salt: undefined }, secret, secureCookie, false)
  if (reader === null) return null
  const token = readRequest(req, reader, true)
  const debug = params.debug === true || typeof params.logger?.debug === 'function'
  if (!token) {
    if (debug) debugDecision(params, reader, true)
    return null
  }
  if (params.raw) return token
  try {
    return await params.decode({ token, secret })
  } catch (err) {
    if (debug) logDebug(params, reader, codeOfDecodeError(err), { message: 'The decode callback rejected the session token.', error: err?.code })
    return null
  }
}

function isClaimsObject(token) {
  return typeof token === 'object' && token !== null && !Array.isArray(token)
}

// Derived keys for encode/decode, one per (secret, salt), in the handle cache.
let lastKey = null // fast path: the key of the previous call

function keyFor(secret, salt) {
  if (lastKey !== null && lastKey.secret === secret && lastKey.salt === salt && typeof secret === 'string') return lastKey.key
  if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) throw new TypeError('secret must be a string or Uint8Array')
  const id = secretId(secret) + '\u0000' + salt
  const key = handles.get('key', id, () => native.compileKey(typeof secret === 'string' ? secret : Buffer.from(secret), salt))
  lastKey = { secret, salt, key }
  return key
}

/**
 * Drop-in for next-auth/jwt's `encode`: A256GCM JWE under the HKDF-derived
 * key, with `iat`, `exp` and `jti` set as next-auth sets them.
 */
async function encode(params) {
  const { token = {}, secret, maxAge = DEFAULT_MAX_AGE, salt = '' } = params
  if (!isClaimsObject(token)) throw new TypeError('JWT Claims Set MUST be an object')
  const now = Date.now()
  const claims = { ...token, iat: Math.floor(now / 1000), exp: ((now / 1000) | 0) + maxAge, jti: randomUUID() }
  return native.encodeWithKey(keyFor(secret, String(salt)), JSON.stringify(claims))
}

/**
 * Drop-in for next-auth/jwt's `decode`: the claims, `null` for an empty
 * token, and a rejection for an invalid or expired one (as jose throws).
 */
async function decode(params) {
  const { token, secret, salt = '' } = params
  if (!token) return null
  const out = native.decodeWithKey(keyFor(secret, typeof salt === 'string' ? salt : String(salt)), String(token))
  if (typeof out !== 'string') throw decodeError(out)
  return JSON.parse(out)
}

/**
 * The rejection next-auth's `decode` gives for the same failure: jose 4's
 * `code` and message (ERR_JWE_DECRYPTION_FAILED, ERR_JWT_EXPIRED,
 * ERR_JWE_INVALID, ERR_JWT_CLAIM_VALIDATION_FAILED), plus this package's
 * code as `sessionCode`.
 */
function decodeError(f) {
  const err = new NextAuthNativeError(f.joseCode, f.joseMessage)
  err.name = f.joseName
  err.sessionCode = f.code
  if (f.code === 'EXPIRED' || f.code === 'NOT_YET_VALID') {
    err.claim = f.code === 'EXPIRED' ? 'exp' : 'nbf'
    err.reason = 'check_failed'
  }
  return err
}

module.exports = { getToken, getTokenSync, encode, decode }
// Internal helpers shared with the middleware module.
Object.defineProperty(module.exports, '_internal', {
  value: {
    compileReader, normalizeSecrets, pushList, sameList, readRequest, defaultSecureCookie, defaultSecret, readerFor, resolve,
    cookieHeaderOf, cookiePairs, secureCookieOf, explainWith, nameChoice, logDebug, codeOfDecodeError, readerOf, debugDenied,
    defaultSecretSource,
  },
  enumerable: false,
})
