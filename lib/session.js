'use strict'
// next-auth-native/session: verifySession for both next-auth strategies.
//
//   strategy "jwt":      the session cookie is decoded natively (getToken).
//   strategy "database": the opaque session token is looked up, read-only, in
//                        PostgreSQL or SQLite (src/store), or asked of the app's
//                        own /api/auth/session (sessionEndpoint), behind a
//                        short in-process cache.
//
// Both resolve to the shape of /api/auth/session's body,
// { user: { id, name, email, image }, expires }, or null. Failures (database
// down, timeout, pool exhausted, bad configuration at request time) resolve
// to null: a denial, never an allow. (withAuth tells an outage from "no
// session" through databaseLookup's `unavailable` and answers 503.)
const native = require('./native')
const jwt = require('./jwt')
const { NextAuthNativeError, checkSecret } = require('./options')
const { handles } = require('./handles')

// ---------------------------------------------------------------------------
// Compiled stores: one per configuration (pool, cache and prepared statements
// live in Rust and are shared by every call with the same settings), held in
// the package's handle cache.

const { defaultSecureCookie, cookieHeaderOf: rawCookieHeader, cookiePairs, nameChoice, logDebug } = jwt._internal

/** A configuration error with `.code === 'CONFIG_INVALID'`. */
function invalid(message) {
  return new NextAuthNativeError('CONFIG_INVALID', message)
}

/** verifySession's strategy rule (also explainSession's). */
function strategyOf(params) {
  const strategy = params.strategy ?? (params.database || params.sessionEndpoint ? 'database' : 'jwt')
  if (strategy !== 'jwt' && strategy !== 'database') {
    throw invalid(`[next-auth-native] CONFIG_INVALID: unknown strategy ${JSON.stringify(strategy)} in \`strategy\`. Use "jwt" or "database".`)
  }
  return strategy
}

/** Which session cookie the store reads: the names themselves are the native reader's (`session_cookie_names`). */
function cookieChoice(params) {
  return {
    secureCookie: !!(params.secureCookie ?? defaultSecureCookie()),
    cookieName: typeof params.cookieName === 'string' ? params.cookieName : undefined,
  }
}

function num(v, what) {
  if (v === undefined || v === null) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0 || n > 0xffffffff) throw new TypeError(`${what} must be a non-negative number`)
  return Math.floor(n)
}

function mappingOf(schema) {
  const col = (v) => (v === null || v === false ? '' : v === undefined ? undefined : String(v))
  return {
    sessionTable: col(schema.sessionTable ?? schema.sessions),
    userTable: col(schema.userTable ?? schema.users),
    sessionToken: col(schema.sessionToken),
    userId: col(schema.userId),
    expires: col(schema.expires),
    id: col(schema.id),
    name: col(schema.name),
    email: col(schema.email),
    image: col(schema.image),
    expiresUnit: schema.expiresUnit === undefined ? undefined : String(schema.expiresUnit),
  }
}

/** The native store init for `params`, or a TypeError for a bad configuration. */
function storeInit(params, cookies) {
  const ttl = num(params.cacheTtlMs, 'cacheTtlMs')
  if (params.sessionEndpoint !== undefined && params.sessionEndpoint !== null) {
    if (params.database) throw new TypeError('give either `database` or `sessionEndpoint`, not both')
    const ep = params.sessionEndpoint
    const url = typeof ep === 'string' ? ep : ep instanceof URL ? ep.href : ep?.url
    if (typeof url !== 'string' || !url) throw new TypeError('sessionEndpoint must be the URL of the app\'s own /api/auth/session')
    return {
      url, endpoint: true, ...cookies, cacheTtlMs: ttl,
      timeoutMs: num(ep?.timeoutMs ?? params.timeoutMs, 'timeoutMs'),
      poolMax: num(ep?.pool ?? params.pool, 'pool'),
    }
  }
  const db = params.database
  if (!db || typeof db !== 'object') throw new TypeError('strategy "database" needs `database: { url }` or `sessionEndpoint`')
  if (typeof db.url !== 'string' || !db.url) throw new TypeError('database.url must be a postgres://, mysql:// or redis(s):// URL, or an SQLite file path')
  const schema = db.schema ?? (/^rediss?:\/\//.test(db.url) ? 'upstash-redis' : 'prisma')
  const pool = typeof db.pool === 'object' && db.pool !== null ? db.pool.max : db.pool
  const push = db.push === undefined || db.push === null ? undefined : db.push === true ? 'on' : db.push === false ? 'off' : String(db.push)
  return {
    url: db.url,
    endpoint: false,
    schema: typeof schema === 'string' ? schema : undefined,
    mapping: typeof schema === 'object' && schema !== null ? mappingOf(schema) : undefined,
    poolMax: num(pool, 'database.pool'),
    timeoutMs: num(db.timeoutMs ?? params.timeoutMs, 'timeoutMs'),
    cacheTtlMs: ttl,
    ...cookies,
    // Redis stores (issue 11): the adapter's baseKeyPrefix, unstorage's driver base; revocation push.
    keyPrefix: db.keyPrefix === undefined || db.keyPrefix === null ? undefined : String(db.keyPrefix),
    base: db.base === undefined || db.base === null ? undefined : String(db.base),
    push,
  }
}


/** The settings of a config object (read each call, so in-place edits are noticed). */
function snapshot(o) {
  if (o instanceof URL) return `u${o.href}`
  const schema = typeof o.schema === 'object' && o.schema !== null ? JSON.stringify(o.schema) : o.schema
  const pool = typeof o.pool === 'object' && o.pool !== null ? o.pool.max : o.pool
  return `o${o.url}\u0000${schema}\u0000${pool}\u0000${o.timeoutMs}\u0000${o.keyPrefix}\u0000${o.base}\u0000${o.push}`
}

// The settings a store was last resolved from, per options object: a
// request with unchanged settings costs a few comparisons instead of a key
// string (in-place edits of the options are still noticed).
const memo = new WeakMap()

function settingsOf(src, params) {
  const url = src instanceof URL ? src.href : src.url
  const schema = typeof src.schema === 'object' && src.schema !== null ? JSON.stringify(src.schema) : src.schema
  const pool = typeof src.pool === 'object' && src.pool !== null ? src.pool.max : src.pool
  return [url, schema, pool, src.timeoutMs, src.keyPrefix, src.base, src.push, params.cacheTtlMs, params.timeoutMs, params.pool,
    !!(params.secureCookie ?? defaultSecureCookie()), params.cookieName, params.sessionEndpoint != null && params.database != null]
}

function storeFor(params) {
  const src = params.sessionEndpoint ?? params.database
  const memoable = typeof src === 'object' && src !== null
  let settings
  if (memoable) {
    settings = settingsOf(src, params)
    const m = memo.get(src)
    if (m !== undefined && m.settings.every((v, i) => v === settings[i])) return m.store
  }
  const store = resolveStore(params)
  if (memoable) memo.set(src, { settings, store })
  return store
}

function resolveStore(params) {
  const cookies = cookieChoice(params)
  const src = params.sessionEndpoint ?? params.database
  const both = params.sessionEndpoint != null && params.database != null
  const fk = `${typeof src === 'object' && src !== null ? snapshot(src) : `s${src}`}\u0001${params.cacheTtlMs}\u0001` +
    `${params.timeoutMs}\u0001${params.pool}\u0001${cookies.secureCookie}\u0001${cookies.cookieName ?? '\u0002'}\u0001${both}`
  // Two keys: the options as given (cheap to build), then the resolved
  // settings, so that equal settings spelled differently share one pool.
  return handles.get('store-options', fk, () => {
    let init
    try {
      init = storeInit(params, cookies)
    } catch (err) {
      throw invalid(`[next-auth-native] CONFIG_INVALID: ${err.message}`)
    }
    return handles.get('store', JSON.stringify(init), () => {
      try {
        return native.compileSessionStore(init)
      } catch (err) {
        throw invalid(`[next-auth-native] CONFIG_INVALID: invalid session store configuration: ${err.message}`)
      }
    })
  })
}

// ---------------------------------------------------------------------------
// Reading the request's cookies.

function cookieHeaderOf(req) {
  const cookie = rawCookieHeader(req.headers)
  if (cookie !== undefined) return cookie
  const c = req.cookies
  if (c == null || typeof c !== 'object') return null
  // Already-parsed cookies (Pages router): rebuild a header; values are re-encoded
  // so that the native parser's single percent-decode restores them exactly.
  const { names, values } = cookiePairs(c)
  return names.map((n, i) => `${n}=${encodeURIComponent(values[i])}`).join('; ')
}

// ---------------------------------------------------------------------------

/** The /api/auth/session shape from decoded JWT claims. */
function sessionFromToken(token) {
  let expires = null
  if (typeof token.exp === 'number' && Number.isFinite(token.exp)) {
    const d = new Date(token.exp * 1000)
    if (!Number.isNaN(d.getTime())) expires = d.toISOString()
  }
  const s = (v) => (v === undefined ? null : v)
  return { user: { id: s(token.sub), name: s(token.name), email: s(token.email), image: s(token.picture) }, expires }
}

/** The database decision, explained by the store itself (the same lookup). */
async function explainDatabase(params, store, cookie) {
  return native.sessionExplain(store, cookie, nameChoice(params))
}

/** Debug log of a denial decided without I/O (no cookie, malformed, negative cache). */
async function debugDatabase(params, store, cookie) {
  try {
    const e = await explainDatabase(params, store, cookie)
    if (e.code !== 'OK') logDebug(params, store, e.code, { message: e.message, cookie: { expected: e.expected, found: e.found }, reason: e.reason })
  } catch {
    // Debug logging never changes a decision.
  }
}


// The database strategy's answer. `unavailable` tells an outage (the store
// could not answer: down, timeout, pool exhausted) from "no session"; the
// session is null in both, so a caller that ignores the flag fails closed.
// An outage also carries the store's code (DB_UNAVAILABLE, DB_TIMEOUT, …).
const NO_SESSION = Object.freeze({ session: null, unavailable: false })
const UNAVAILABLE = Object.freeze({ session: null, unavailable: true, code: 'DB_UNAVAILABLE' })

function storeFailed(logger, err) {
  logger.error?.('[next-auth-native][error][SESSION_STORE] session lookup failed; denied:', err?.message)
  return UNAVAILABLE
}

const wantsDebug = (params) => params.debug === true || typeof params.logger?.debug === 'function'

/** The answer of a lookup that had to ask the store (`pending`: sessionRead's Promise). */
async function settleLookup(params, store, pending, logger) {
  try {
    const r = await pending
    if (r.log) logger.error?.(r.log)
    if (!r.session) {
      if (r.code && wantsDebug(params)) {
        logDebug(params, store, r.code, { message: `The session store (${native.sessionStoreLabel(store)}) answered ${r.code}.` })
      }
      if (!r.unavailable) return NO_SESSION
      return r.code ? { session: null, unavailable: true, code: r.code } : UNAVAILABLE
    }
    return { session: JSON.parse(r.session), unavailable: false }
  } catch (err) {
    return storeFailed(logger, err)
  }
}

/**
 * `{ session, unavailable }` for the database strategy: synchronously when no
 * I/O is needed (no cookie, a malformed one, a cache hit or a negative-cache
 * entry), else a Promise of it. Never rejects for store failures; throws a
 * TypeError for an invalid configuration.
 */
function databaseLookup(params) {
  const store = storeFor(params) // throws TypeError for a bad configuration
  const cookie = cookieHeaderOf(params.req)
  if (cookie === null) return NO_SESSION
  try {
    // One native call, the header parsed once.
    return answerOf(params, store, cookie, native.sessionRead(store, cookie))
  } catch (err) {
    return storeFailed(params.logger ?? console, err)
  }
}

/**
 * The store's read of a request (`sessionRead`, or the `read` of withAuth's
 * `middlewareSession`) as `{ session, unavailable }`: a cached session
 * (text), a denial without I/O (null), or the Promise of a lookup.
 */
function answerOf(params, store, cookie, out) {
  const logger = params.logger ?? console
  try {
    if (typeof out === 'string') return { session: JSON.parse(out), unavailable: false }
    if (out === null) {
      // Decided without I/O (no cookie, malformed, negative cache): explained only when debugging.
      return cookie !== null && wantsDebug(params) ? debugDatabase(params, store, cookie).then(() => NO_SESSION) : NO_SESSION
    }
    return settleLookup(params, store, out, logger)
  } catch (err) {
    return storeFailed(logger, err)
  }
}

async function verifyDatabase(params) {
  return (await databaseLookup(params)).session
}

/**
 * The session for `req`, in the shape of /api/auth/session's body, or null.
 *
 *   verifySession({ req, strategy: 'jwt', secret })
 *   verifySession({ req, strategy: 'database', database: { url, schema: 'pg-adapter' } })
 *   verifySession({ req, strategy: 'database', sessionEndpoint: 'http://127.0.0.1:3000/api/auth/session' })
 *
 * Rejects only for a missing `req` or an invalid configuration.
 */
async function verifySession(params) {
  if (!params || !params.req) throw invalid('Must pass `req` to verifySession()')
  const strategy = strategyOf(params)
  if (strategy === 'database') return verifyDatabase(params)
  checkSecret(params.secret)
  const token = await jwt.getToken({
    req: params.req,
    secret: params.secret,
    secureCookie: params.secureCookie,
    cookieName: params.cookieName,
    salt: params.salt,
    jwt: params.jwt,
    decode: params.decode,
    logger: params.logger,
    debug: params.debug,
  })
  if (!token || typeof token !== 'object') return null
  return sessionFromToken(token)
}

module.exports = { verifySession, sessionFromToken }
module.exports.default = verifySession
Object.defineProperty(module.exports, '_internal', {
  value: {
    storeFor, cookieHeaderOf, storeInit, cookieChoice, strategyOf, answerOf, storeFailed, explainDatabase, invalid, databaseLookup,
    label: (params) => native.sessionStoreLabel(storeFor(params)),
    pushLive: (params) => native.sessionStorePushLive(storeFor(params)),
  },
  enumerable: false,
})
