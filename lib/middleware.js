'use strict'
// next-auth-native/middleware: drop-in for next-auth/middleware (withAuth),
// for Next.js middleware in the Node.js runtime (Next 15.5+ middleware.ts
// with runtime: 'nodejs', Next 16 proxy.ts). The native core makes the
// decision; this file only builds NextResponse objects and runs callbacks.
const native = require('./native')
const jwt = require('./jwt')
const { sessionFromToken, _internal: sessionInternal } = require('./session')
const { NextResponse } = require('next/server')
const { checkMiddlewareOptionsOnce, asConfigError, NextAuthNativeError } = require('./options')
const { handles } = require('./handles')

const DENY_HEADERS = { 'cache-control': 'private, no-store', vary: 'Cookie, Authorization' }

// ---------------------------------------------------------------------------
// Next.js version guard (docs/security.md NX-1…NX-5).

let versionChecked = false
function checkNextVersion(logger = console) {
  if (versionChecked) return
  versionChecked = true
  let version
  try {
    version = require('next/package.json').version
  } catch {
    return
  }
  warnIfVulnerableNext(version, logger)
}

/** Logs one warning when `version` predates the fixes for the known middleware bypasses. */
function warnIfVulnerableNext(version, logger = console) {
  const [maj, min, pat] = String(version).split(/[.-]/).map(Number)
  const atLeast = (a, b, c) => maj > a || (maj === a && (min > b || (min === b && pat >= c)))
  const fixed = maj >= 16 ? atLeast(16, 2, 6) : maj === 15 ? atLeast(15, 5, 18) : false
  if (!fixed) {
    logger.warn?.(
      `[next-auth-native][warn][NEXT_VERSION] next@${version} has known middleware bypasses ` +
        '(CVE-2025-29927, CVE-2026-44573, CVE-2026-44574, CVE-2026-44575/45109). Upgrade to next >= 15.5.18 ' +
        'or >= 16.2.6, and keep requireSession() checks in routes and pages.',
    )
  }
  return !fixed
}

// ---------------------------------------------------------------------------
// Configuration.

let envCache = { url: undefined, value: null }
/** next-auth's parseUrl(NEXTAUTH_URL), cached per value; throws for "" as next-auth does. */
function nextAuthUrl() {
  const url = process.env.NEXTAUTH_URL
  if (url === envCache.url && envCache.value !== null) return envCache.value
  let value
  if (url === undefined) value = { url, origin: null, authPath: '/api/auth' }
  else {
    const parsed = native.parseNextauthUrl(url)
    if (!parsed) throw new TypeError('Invalid URL: NEXTAUTH_URL')
    value = { url, origin: parsed[0], authPath: parsed[1] }
  }
  envCache = { url, value }
  return value
}

// Compiled path policies, per options object (and one shared default, in the
// handle cache, for calls whose options carry no page or path settings). The fields that may
// be edited in place (pages, the path arrays and their elements) are
// compared on each call, so an edit takes effect on the next request.
const policies = new WeakMap()
let lastDefault = null
const { pushList, sameList } = jwt._internal

function pathList(v, name) {
  if (v === undefined || v === null) return undefined
  const list = typeof v === 'string' ? [v] : v
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string')) {
    throw new TypeError(`withAuth: ${name} must be an array of path strings, e.g. ['/', '/blog/:path*']`)
  }
  return list
}

function stringOr(v, fallback) {
  if (v === undefined || v === null) return fallback
  if (typeof v !== 'string') throw new TypeError(`withAuth: pages entries must be strings (got ${typeof v})`)
  return v
}

/** The compiled policy for these settings, shared through the handle cache. */
function compilePolicy(options, authPath) {
  let init
  try {
    init = {
      signIn: stringOr(options?.pages?.signIn, '/api/auth/signin'),
      error: stringOr(options?.pages?.error, '/api/auth/error'),
      authPath,
      publicPaths: pathList(options?.publicPaths, 'publicPaths'),
      protectedPaths: pathList(options?.protectedPaths, 'protectedPaths'),
    }
  } catch (e) {
    throw asConfigError(e)
  }
  return handles.get('policy', JSON.stringify(init), () => {
    try {
      return native.compilePolicy(init)
    } catch (e) {
      throw asConfigError(e)
    }
  })
}

function policyFor(options, authPath) {
  if (!options?.pages && !options?.publicPaths && !options?.protectedPaths) {
    // The default settings depend on authPath alone: remember the last one.
    if (lastDefault === null || lastDefault.authPath !== authPath) lastDefault = { authPath, policy: compilePolicy(undefined, authPath) }
    return lastDefault.policy
  }
  let entry = policies.get(options)
  if (!entry || entry.authPath !== authPath || entry.signIn !== options.pages?.signIn ||
      entry.error !== options.pages?.error || !sameList(entry.pub, options.publicPaths) ||
      !sameList(entry.prot, options.protectedPaths)) {
    const pub = []
    const prot = []
    pushList(pub, options.publicPaths)
    pushList(prot, options.protectedPaths)
    entry = {
      authPath, signIn: options.pages?.signIn, error: options.pages?.error, pub, prot,
      policy: compilePolicy(options, authPath),
    }
    policies.set(options, entry)
  }
  return entry.policy
}

// ---------------------------------------------------------------------------
// Forwarded identity (forwardIdentity, readIdentity).

const IDENTITY_PREFIX = 'x-auth-'
const MAC_HEADER = 'x-auth-mac'
const specs = new WeakMap()

/** The forwardIdentity claims and their header names (checked natively), or null when unset. */
function forwardSpec(options) {
  const claims = options?.forwardIdentity
  if (claims === undefined || claims === null || claims === false) return null
  if (!Array.isArray(claims) || claims.some((c) => typeof c !== 'string')) {
    const hint = typeof claims === 'string' ? `['${claims}']` : "['sub', 'email', 'role']"
    throw asConfigError(new TypeError(`withAuth: \`forwardIdentity\` must be an array of claim names: \`forwardIdentity: ${hint}\``))
  }
  if (!claims.length) return null
  let entry = specs.get(options)
  if (!entry || !sameList(entry.parts, claims)) {
    const parts = []
    pushList(parts, claims)
    let headers
    try {
      headers = native.identityHeaderNames(claims)
    } catch (e) {
      throw asConfigError(e)
    }
    entry = { parts, spec: { claims: claims.slice(), headers } }
    specs.set(options, entry)
  }
  return entry.spec
}

let lastIdentityKey = null
/** The native MAC key for `secret` (a string, bytes, or an array of them), or null. */
function identityKeyFor(secret) {
  if (lastIdentityKey !== null && sameList(lastIdentityKey.parts, secret)) return lastIdentityKey.key
  const list = secret ? jwt._internal.normalizeSecrets(secret) : []
  const key = list.length ? native.compileIdentityKey(list) : null
  const parts = []
  pushList(parts, secret)
  lastIdentityKey = { parts, key: key ?? null }
  return lastIdentityKey.key
}

function appSecret(options) {
  return options?.secret ?? jwt._internal.defaultSecret()
}

/** True when the request carries any `x-auth-*` header. */
function hasIdentityHeaders(headers) {
  if (headers == null || typeof headers !== 'object') return false
  if (typeof headers.keys === 'function' && typeof headers.get === 'function') {
    for (const k of headers.keys()) if (k.startsWith(IDENTITY_PREFIX)) return true
    return false
  }
  for (const k of Object.keys(headers)) if (k.toLowerCase().startsWith(IDENTITY_PREFIX)) return true
  return false
}

function toHeaders(h) {
  if (h instanceof Headers) return new Headers(h)
  const out = new Headers()
  if (h && typeof h === 'object') {
    for (const [k, v] of Object.entries(h)) {
      if (typeof v === 'string') out.append(k, v)
      else if (Array.isArray(v)) for (const x of v) out.append(k, String(x))
    }
  }
  return out
}

function headerValue(v) {
  let s = typeof v === 'string' ? v : JSON.stringify(v)
  if (/[^\x20-\x7e]/.test(s)) s = encodeURIComponent(s)
  return s
}

const byName = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)

/**
 * The request headers the route sees, as the [name, value] pairs a Headers
 * object holding them would iterate (sorted by name, repeated names combined
 * as Headers combines them): `base` without any client-sent `x-auth-*`
 * header, plus (when `identity` is given) the forwarded claims and the MAC
 * that proves this middleware set them. One pass over `base`: the identity
 * headers all start with `x-auth-`, so they go in as one sorted block where
 * the stripped client ones were.
 */
function identityRequestEntries(base, spec, identity, key) {
  const src = base instanceof Headers ? base : toHeaders(base)
  let block = null
  if (identity) {
    const set = new Map() // Headers.set: a repeated name keeps its first place and the last value
    const claims = []
    const values = []
    for (let i = 0; i < spec.claims.length; i++) {
      const v = identity[spec.claims[i]]
      if (v === undefined || v === null) continue
      const s = headerValue(v)
      set.set(spec.headers[i].toLowerCase(), s)
      claims.push(spec.claims[i])
      values.push(s)
    }
    if (key) set.set(MAC_HEADER, native.signIdentity(key, claims, values))
    block = [...set].sort(byName)
  }
  const out = []
  for (const entry of src) {
    const name = entry[0]
    if (name.startsWith(IDENTITY_PREFIX)) continue
    if (block !== null && name > IDENTITY_PREFIX) {
      for (const e of block) out.push(e)
      block = null
    }
    out.push(entry)
  }
  if (block !== null) for (const e of block) out.push(e)
  return out
}

/** The request headers a middleware response already overrides (NextResponse.next({ request })), if any. */
function overriddenRequestHeaders(res) {
  const list = res.headers.get('x-middleware-override-headers')
  if (list === null) return null
  const out = new Headers()
  for (const name of list.split(',')) {
    if (!name) continue
    const v = res.headers.get(`x-middleware-request-${name}`)
    if (v !== null) out.set(name, v)
  }
  return out
}

/**
 * What `NextResponse.next({ request: { headers } })` returns for the request
 * headers `entries` (identityRequestEntries), built in one pass: its
 * `x-middleware-next`, one `x-middleware-request-<name>` per header (a
 * repeated name, set-cookie, keeps its last value and is listed again, as
 * Headers.set does there) and `x-middleware-override-headers`. Appended to a
 * plain NextResponse.next(): no request Headers copy and none of the two
 * response-header copies NextResponse.next makes (a `new Headers(pairs)`
 * costs twice the appends: its sequence conversion re-checks every value).
 * __test__/identity-headers.test.mjs compares the two.
 */
function nextWithRequestHeaders(entries) {
  const res = NextResponse.next()
  const h = res.headers
  const keys = []
  let last = null
  for (const [k, v] of entries) {
    if (k === last) h.set('x-middleware-request-' + k, v)
    else h.append('x-middleware-request-' + k, v)
    keys.push(k)
    last = k
  }
  h.append('x-middleware-override-headers', keys.join(','))
  return res
}

/**
 * Applies forwardIdentity to what the request continues with. `res` is
 * undefined (continue) or the user middleware's response: a continuing or
 * rewriting response gets its request-header override replaced (a rewrite to
 * another origin without the identity); a redirect or a body ends the
 * request and is returned as it is.
 */
function withIdentity(req, spec, identity, key, res) {
  if (res === undefined || res === null) {
    return nextWithRequestHeaders(identityRequestEntries(req.headers, spec, identity, key))
  }
  const h = res.headers
  if (!h || typeof h.get !== 'function' || (h.get('x-middleware-next') === null && h.get('x-middleware-rewrite') === null)) {
    return res
  }
  // A rewrite to another origin proxies the request there: it gets no identity (and no MAC to replay).
  const target = h.get('x-middleware-rewrite')
  if (target !== null && identity) {
    let same = false
    try {
      const own = typeof req.url === 'string' ? new URL(req.url).origin : req.nextUrl?.origin
      same = typeof own === 'string' && new URL(target, own).origin === own
    } catch {}
    if (!same) identity = null
  }
  const entries = identityRequestEntries(overriddenRequestHeaders(res) ?? req.headers, spec, identity, key)
  for (const k of [...h.keys()]) if (k.startsWith('x-middleware-request-')) h.delete(k)
  const keys = []
  for (const [k, v] of entries) {
    h.set(`x-middleware-request-${k}`, v)
    keys.push(k)
  }
  h.set('x-middleware-override-headers', keys.join(','))
  return res
}

/**
 * The identity this middleware forwarded, for route handlers, API routes and
 * server components: `{ [claim]: value }` when the `x-auth-mac` header
 * verifies under the app's secret and is at most 60 s old, else null. Values
 * are the header strings as forwarded: strings unchanged, other values as
 * JSON, non-ASCII text percent-encoded.
 */
function readIdentity(target, options = {}) {
  if (target === null || typeof target !== 'object') throw new TypeError('readIdentity needs a request or its headers')
  const headers = typeof target.get === 'function' ? target : target.headers
  if (headers === null || typeof headers !== 'object') return null
  const isHeaders = typeof headers.get === 'function'
  const mac = isHeaders ? headers.get(MAC_HEADER) : headers[MAC_HEADER]
  if (typeof mac !== 'string') return null
  const secret = options?.secret ?? jwt._internal.defaultSecret()
  const key = identityKeyFor(secret)
  if (key === null) throw new Error('readIdentity needs the app secret: pass { secret } or set NEXTAUTH_SECRET')
  const names = []
  const values = []
  const entries = isHeaders ? headers.entries() : Object.entries(headers)
  for (const [k, v] of entries) {
    const name = k.toLowerCase()
    if (name.startsWith(IDENTITY_PREFIX) && name !== MAC_HEADER && typeof v === 'string') {
      names.push(name)
      values.push(v)
    }
  }
  const out = native.verifyIdentity(key, mac, names, values)
  if (!out) return null
  const identity = {}
  for (let i = 0; i < out.length; i += 2) identity[out[i]] = out[i + 1]
  return identity
}

/**
 * Checks `options` when withAuth(...) is called, so that a mistake shows at
 * startup with its fix rather than on the first request.
 */
function checkOptions(options) {
  checkMiddlewareOptionsOnce(options) // CONFIG_INVALID: the option types
  if (options === undefined || options === null || typeof options !== 'object') return
  try {
    storeErrorMode(options)
  } catch (e) {
    throw asConfigError(e)
  }
  let authPath = '/api/auth'
  try {
    authPath = nextAuthUrl().authPath
  } catch {}
  policyFor(options, authPath)
  forwardSpec(options)
}

/** `req.nextUrl`'s parts with next-auth's defaults; a shape that cannot be read is a clear TypeError. */
function urlParts(req) {
  if (req === null || typeof req !== 'object') {
    throw new TypeError('withAuth: expected a NextRequest or { nextUrl: { pathname, search, origin }, headers }')
  }
  let u = req.nextUrl
  if ((u === null || typeof u !== 'object') && typeof req.url === 'string') {
    try {
      u = new URL(req.url)
    } catch {
      u = null
    }
  }
  if (u === null || typeof u !== 'object' || typeof u.pathname !== 'string') {
    throw new TypeError('withAuth: the request has no nextUrl.pathname; pass a NextRequest or { nextUrl: { pathname, search, origin }, headers }')
  }
  const str = (v) => (typeof v === 'string' ? v : '')
  return {
    pathname: u.pathname,
    search: str(u.search),
    origin: str(u.origin),
    basePath: str(u.basePath),
    locale: str(u.locale),
    defaultLocale: str(u.defaultLocale),
  }
}

function denyHeaders(res) {
  for (const [k, v] of Object.entries(DENY_HEADERS)) res.headers.set(k, v)
  return res
}

function redirect(location) {
  return denyHeaders(NextResponse.redirect(location))
}

function unauthorizedJson() {
  return denyHeaders(NextResponse.json({ error: 'Unauthorized' }, { status: 401 }))
}

// An outage of the session store is not a sign-out (database strategy): the
// request is still denied, but with 503 + Retry-After instead of a redirect to
// sign-in or a 401, unless `onStoreError: 'deny'` asks for today's answer.
const STORE_ERROR_MODES = ['unavailable', 'deny']
const RETRY_AFTER_S = '5'
const UNAVAILABLE_HTML =
  '<!doctype html><html><head><meta charset="utf-8"><title>Temporarily unavailable</title></head>' +
  '<body><h1>Temporarily unavailable</h1><p>Sessions cannot be checked right now. Please try again in a few seconds.</p></body></html>'

/** options.onStoreError, checked: a mistake is reported when the options are given. */
function storeErrorMode(options) {
  const mode = options?.onStoreError
  if (mode === undefined || mode === null) return 'unavailable'
  if (STORE_ERROR_MODES.includes(mode)) return mode
  throw new TypeError(
    `[next-auth-native] withAuth: onStoreError must be 'unavailable' (default: 503 while the session store cannot answer) ` +
      `or 'deny' (redirect / 401 as for no session), not ${JSON.stringify(mode)}`,
  )
}

function storeUnavailable(options, pathname) {
  const headers = { ...DENY_HEADERS, 'retry-after': RETRY_AFTER_S }
  const api = pathname === '/api' || pathname.startsWith('/api/')
  if (api || options?.unauthorized === 'json') {
    return NextResponse.json({ error: 'SessionStoreUnavailable' }, { status: 503, headers })
  }
  return new NextResponse(UNAVAILABLE_HTML, { status: 503, headers: { ...headers, 'content-type': 'text/html; charset=utf-8' } })
}

function wantsJson(options, pathname) {
  const mode = options?.unauthorized ?? 'redirect'
  if (mode === 'json') return true
  if (mode === 'auto') return pathname === '/api' || pathname.startsWith('/api/')
  return false
}

/** The JWS settings inside `options.jwt` (native verification), if any. */
function nativeJws(j) {
  if (!j || !j.algorithms) return undefined
  const { decode, encode, maxAge, ...rest } = j
  return rest
}

// ---------------------------------------------------------------------------
// Database sessions (options.session.strategy === "database").

/** `options.session` when it selects the database strategy, else null. */
function databaseOptions(options) {
  const s = options?.session
  return s && typeof s === 'object' && s.strategy === 'database' ? s : null
}

const warnedSessionConfig = new WeakSet()

const CONFIG_DENIED = Object.freeze({ session: null, unavailable: false })

/**
 * What the one-call database decision reads: the store handle for these
 * options, the request's Cookie header and the lookup parameters; null for a
 * bad configuration, which is logged once and denies.
 */
function databaseRead(req, options, s, logger = console) {
  const params = {
    req,
    strategy: 'database',
    database: s.database,
    sessionEndpoint: s.sessionEndpoint,
    cacheTtlMs: s.cacheTtlMs,
    timeoutMs: s.timeoutMs,
    secureCookie: s.secureCookie, // undefined: next-auth's env default, applied by the session module
    cookieName: options?.cookies?.sessionToken?.name,
    logger: options?.logger,
    debug: options?.debug,
  }
  try {
    return { params, store: sessionInternal.storeFor(params), cookie: sessionInternal.cookieHeaderOf(req) }
  } catch (err) {
    if (!warnedSessionConfig.has(s)) {
      warnedSessionConfig.add(s)
      logger.error?.('[next-auth-native][error][SESSION_CONFIG]', err?.message)
    }
    return null
  }
}

/** The identity a database session offers to forwardIdentity: `sub` is the user id. */
function sessionIdentity(session) {
  if (!session || typeof session !== 'object') return null
  const user = session.user && typeof session.user === 'object' ? session.user : {}
  return { sub: user.id, ...user, expires: session.expires }
}

/**
 * The `authorized` callback's argument in JWT mode: `{ req, token }` as
 * next-auth passes it, plus `session` (the /api/auth/session shape of the
 * token), built only when the callback reads it.
 */
class JwtAuthorizedParams {
  constructor(req, token) {
    this.req = req
    this.token = token
  }

  get session() {
    return this.token ? sessionFromToken(this.token) : null
  }
}

// ---------------------------------------------------------------------------

/** An `authorized` callback may answer a boolean or a Promise of one; only the latter costs an await. */
const isThenable = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function'

/** The path half alone (native `middlewarePath`): null (skipped) or `{ location }`. */
function pathDecision(policy, basePath, pathname, search, origin, callbackPath) {
  const location = native.middlewarePath(policy, basePath, pathname, search, origin, callbackPath)
  return location === null ? null : { location }
}

/**
 * next-auth's handleMiddleware (docs/compatibility.md §5.2), decided natively.
 * Returns undefined (continue), the result of onSuccess, or a denial.
 *
 * One native call per decision: `middlewareDecide` in JWT mode (the path
 * rule, the token read and, without a token, the sign-in Location),
 * `middlewareSession` in database mode (the path rule, the store's read and,
 * without a cached session, the Location; a cache miss continues as that
 * read's Promise). Both answer the allow path with text alone.
 * `signInLocation` runs only when an `authorized` callback denies a valid
 * session, and `signIdentity` only with forwardIdentity.
 */
async function handleMiddleware(req, options, onSuccess) {
  checkMiddlewareOptionsOnce(options) // CONFIG_INVALID (withAuth(req, options): on first use)
  const logger = options?.logger ?? console
  const { pathname, search, origin, basePath, locale, defaultLocale } = urlParts(req)
  checkNextVersion()
  const env = nextAuthUrl()
  const policy = policyFor(options, env.authPath)
  const spec = forwardSpec(options)
  const redirectOrigin = env.origin ?? origin
  // Keep a non-default locale segment in callbackUrl (next-auth drops it).
  const callbackPath = (locale && locale !== defaultLocale ? `/${locale}` : '') + pathname
  const db = databaseOptions(options)
  // Database strategy: no secret is needed to look a session up.
  const secret = db && !spec ? undefined : appSecret(options)
  const read = db ? null : nativeRead(req, options, secret)
  const dbRead = db ? databaseRead(req, options, db, logger) : null
  // One native call: null (skipped); text (JWT: the claims; database: the
  // cached session); or { location } (JWT) / { location, read } (database, read
  // as sessionRead answers a request it cannot answer from the cache).
  let decision
  if (read !== null) {
    decision = native.middlewareDecide(policy, read.reader, basePath, pathname, search, redirectOrigin ?? '', callbackPath, read.cookie, read.authorization)
  } else if (dbRead !== null) {
    try {
      decision = native.middlewareSession(policy, dbRead.store, basePath, pathname, search, redirectOrigin ?? '', callbackPath, dbRead.cookie)
    } catch (err) {
      // The store's read failed (a panic caught natively): an outage, never an allow.
      dbRead.failed = err
      decision = pathDecision(policy, basePath, pathname, search, redirectOrigin ?? '', callbackPath)
    }
  } else {
    decision = pathDecision(policy, basePath, pathname, search, redirectOrigin ?? '', callbackPath)
  }
  if (decision === null) {
    // Skipped, but never with a client-sent identity header (item 3).
    return spec && hasIdentityHeaders(req.headers) ? withIdentity(req, spec, null, null, undefined) : undefined
  }
  const text = typeof decision === 'string' ? decision : null
  const location = text === null ? decision.location : undefined
  if (!redirectOrigin) {
    throw new TypeError('withAuth: the request has no nextUrl.origin and NEXTAUTH_URL is not set, so no sign-in redirect can be built')
  }
  let token = null
  let session
  let authorized
  let storeDown = false
  if (db) {
    let r = dbRead === null ? CONFIG_DENIED
      : dbRead.failed ? sessionInternal.storeFailed(logger, dbRead.failed)
      : sessionInternal.answerOf(dbRead.params, dbRead.store, dbRead.cookie, text ?? decision.read)
    if (typeof r.then === 'function') r = await r // a cache miss: the lookup runs off the event loop
    session = r.session
    storeDown = r.unavailable
    const cb = options?.callbacks?.authorized
    authorized = cb ? cb({ req, token, session, storeUnavailable: storeDown }) : undefined
    if (isThenable(authorized)) authorized = await authorized
    authorized ??= !!session
  } else {
    if (!secret) {
      logger.error?.('[next-auth][error][NO_SECRET]', '\nhttps://next-auth.js.org/errors#no_secret')
      return redirect(native.configErrorLocation(policy, redirectOrigin, basePath))
    }
    if (read !== null) {
      token = text === null ? null : JSON.parse(text)
      if (token === null) jwt._internal.debugDenied(read.params, read.reader)
    } else {
      token = await jwt.getToken({
        req,
        // secureCookie unset: getToken applies next-auth's env default (its one owner)
        decode: options?.jwt?.decode,
        cookieName: options?.cookies?.sessionToken?.name,
        secret,
        jwt: nativeJws(options?.jwt),
        logger: options?.logger,
        debug: options?.debug,
      })
    }
    const cb = options?.callbacks?.authorized
    authorized = cb ? cb(new JwtAuthorizedParams(req, token)) : undefined
    if (isThenable(authorized)) authorized = await authorized
    authorized ??= !!token
  }
  if (authorized) {
    const res = onSuccess ? (db ? await onSuccess(token, session) : await onSuccess(token)) : undefined
    if (!spec) return res
    // forwardIdentity applies in every call form (item 2).
    const identity = db ? sessionIdentity(session) : token
    return withIdentity(req, spec, identity ?? {}, identityKey(secret), res)
  }
  if (storeDown && modeOf(options) === 'unavailable') return storeUnavailable(options, pathname)
  if (wantsJson(options, pathname)) return unauthorizedJson()
  return redirect(location ?? native.signInLocation(policy, redirectOrigin, basePath, callbackPath, search))
}

/**
 * What the one-call JWT decision reads: the compiled reader (getToken's, so
 * its defaults have one owner) and the request's Cookie and Authorization
 * headers. Null where getToken itself must read: a JS `decode` callback, no
 * secret, a configuration getToken reports, or parsed cookies without a header.
 */
function nativeRead(req, options, secret) {
  if (!secret || options?.jwt?.decode) return null
  const params = {
    req,
    secret,
    cookieName: options?.cookies?.sessionToken?.name,
    jwt: nativeJws(options?.jwt),
    logger: options?.logger,
    debug: options?.debug,
  }
  let reader
  try {
    reader = jwt._internal.readerOf(params)
  } catch {
    return null // getToken throws it, at the same point of the decision as before
  }
  if (reader === null) return null
  const headers = req.headers
  const isHeaders = headers != null && typeof headers.get === 'function'
  const cookie = jwt._internal.cookieHeaderOf(headers, isHeaders)
  if (cookie === undefined && !isHeaders && req.cookies != null && typeof req.cookies === 'object') return null
  const authorization = isHeaders ? headers.get('authorization') : headers?.authorization
  return { params, reader, cookie, authorization: typeof authorization === 'string' ? authorization : undefined }
}

let warnedNoIdentityKey = false
/** The MAC key for forwarded identities; without a secret (database strategy) the headers go unsigned. */
function identityKey(secret) {
  const key = identityKeyFor(secret)
  if (key === null && !warnedNoIdentityKey) {
    warnedNoIdentityKey = true
    console.warn?.('[next-auth-native][warn][NO_IDENTITY_SECRET] forwardIdentity without a secret: the x-auth-* headers ' +
      'are forwarded without x-auth-mac, so readIdentity() returns null. Set `secret` or NEXTAUTH_SECRET.')
  }
  return key
}

/** The outage mode; an invalid value (reported by withAuth(options)) keeps the 503 default, which still denies. */
function modeOf(options) {
  try {
    return storeErrorMode(options)
  } catch {
    return 'unavailable'
  }
}

/**
 * Drop-in for next-auth/middleware's withAuth, with every call form:
 * withAuth(req[, options]), withAuth(middleware[, options]), withAuth(options).
 * The options are checked here, when withAuth(...) is called.
 */
function withAuth(...args) {
  if (!args.length || args[0] instanceof Request) {
    return handleMiddleware(...args)
  }
  if (typeof args[0] === 'function') {
    const middleware = args[0]
    const options = args[1]
    checkOptions(options)
    return async (...a) =>
      handleMiddleware(a[0], options, async (token, ...session) => {
        // JWT strategy: next-auth's { token }; database strategy: { token: null, session }.
        a[0].nextauth = session.length ? { token, session: session[0] } : { token }
        return await middleware(...a)
      })
  }
  const options = args[0]
  checkOptions(options)
  return (req) => handleMiddleware(req, options)
}

function requestOf(reqOrHeaders, name) {
  if (!reqOrHeaders) throw new TypeError(`${name} needs a request or headers`)
  return typeof reqOrHeaders.get === 'function' && !('headers' in reqOrHeaders)
    ? { headers: reqOrHeaders }
    : reqOrHeaders
}

function databaseOf(options) {
  return databaseOptions(options) ?? (options.strategy === 'database' ? options : null)
}

/**
 * The second gate (docs/security.md NX-12) for route handlers, API routes and
 * server components. Takes a request, or the Headers from `next/headers`'
 * headers(). Always returns a Promise: of the token or null (JWT strategy,
 * the default), or of the session ({ user, expires }) or null (database
 * strategy: `{ session: { strategy: 'database', database | sessionEndpoint } }`,
 * the same object as withAuth's `session` option). `await` it.
 */
async function requireSession(reqOrHeaders, options = {}) {
  const req = requestOf(reqOrHeaders, 'requireSession')
  const db = databaseOf(options ?? {})
  if (db) {
    const r = await sessionInternal.databaseLookup({
      req,
      strategy: 'database',
      database: db.database,
      sessionEndpoint: db.sessionEndpoint,
      cacheTtlMs: db.cacheTtlMs,
      timeoutMs: db.timeoutMs,
      secureCookie: options.secureCookie ?? db.secureCookie,
      cookieName: options.cookies?.sessionToken?.name ?? options.cookieName,
    })
    // An outage is not a sign-out: the page or route must not send the user
    // to sign-in because the store could not answer (docs/security.md SS-3).
    if (r.unavailable) throw storeUnavailableError(r.code)
    return r.session
  }
  return readJwtSession(req, options ?? {})
}

/** requireSession's outage error: `.code` is the store's (DB_UNAVAILABLE, DB_TIMEOUT, …), `.storeUnavailable` is true. */
function storeUnavailableError(code = 'DB_UNAVAILABLE') {
  const err = new NextAuthNativeError(
    code,
    `[next-auth-native] ${code}: the session store could not answer (down, timeout or pool exhausted), so the session ` +
      'is unknown, not absent. requireSession rejects rather than resolving to null, so that a page does not send a signed-in ' +
      'user to sign-in during an outage; catch it (err.storeUnavailable) to answer 503, as examples/next-app-db/app/api/me/route.ts does.',
  )
  err.storeUnavailable = true
  return err
}

/** JWT strategy only: the token or null, synchronously. */
function requireSessionSync(reqOrHeaders, options = {}) {
  const req = requestOf(reqOrHeaders, 'requireSessionSync')
  if (databaseOf(options ?? {})) {
    throw new TypeError('requireSessionSync reads JWT sessions only; for the database strategy use `await requireSession(req, options)`')
  }
  return readJwtSession(req, options ?? {})
}

function readJwtSession(req, options) {
  return jwt.getTokenSync({
    req,
    secret: options.secret,
    cookieName: options.cookies?.sessionToken?.name ?? options.cookieName,
    secureCookie: options.secureCookie,
    jwt: nativeJws(options.jwt),
  })
}

module.exports = withAuth
module.exports.default = withAuth
module.exports.withAuth = withAuth
module.exports.handleMiddleware = handleMiddleware
module.exports.requireSession = requireSession
module.exports.requireSessionSync = requireSessionSync
module.exports.readIdentity = readIdentity
Object.defineProperty(module.exports, '_internal', { value: { warnIfVulnerableNext }, enumerable: false })
