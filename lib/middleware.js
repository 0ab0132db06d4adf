'use strict'
// next-auth-native/middleware: drop-in for next-auth/middleware (withAuth),
// for Next.js middleware in the Node.js runtime (Next 15.5+ middleware.ts
// with runtime: 'nodejs', Next 16 proxy.ts). The native core makes the
// decision; this file only builds NextResponse objects and runs callbacks.
const native = require('./native')
const jwt = require('./jwt')
const { verifySession, sessionFromToken, _internal: sessionInternal } = require('./session')
const { NextResponse } = require('next/server')

const DENY_HEADERS = { 'cache-control': 'private, no-store', vary: 'Cookie, Authorization' }

// ---------------------------------------------------------------------------
// Next.js version guard (security.md NX-1…NX-5, §3 item 7).

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

// Compiled path policies: per options object, and one shared default for
// calls whose options carry no page or path settings (withAuth(req, event)).
const policies = new WeakMap()
const defaultPolicies = new Map()

function compilePolicy(options, authPath) {
  const list = (v) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : undefined)
  return native.compilePolicy({
    signIn: options?.pages?.signIn ?? '/api/auth/signin',
    error: options?.pages?.error ?? '/api/auth/error',
    authPath,
    publicPaths: list(options?.publicPaths),
    protectedPaths: list(options?.protectedPaths),
  })
}

function policyFor(options, authPath) {
  if (!options?.pages && !options?.publicPaths && !options?.protectedPaths) {
    let policy = defaultPolicies.get(authPath)
    if (policy === undefined) {
      policy = compilePolicy(undefined, authPath)
      defaultPolicies.set(authPath, policy)
    }
    return policy
  }
  let entry = policies.get(options)
  if (!entry || entry.authPath !== authPath) {
    entry = { authPath, policy: compilePolicy(options, authPath) }
    policies.set(options, entry)
  }
  return entry.policy
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

/**
 * NextResponse.next({ request: { headers } }) with the request's headers plus
 * the x-auth-<claim> identity headers (client-sent copies removed), built in
 * one pass: Next's own helper plus a `new Headers(req.headers)` copy moved
 * every header through three Headers objects, the largest part of the proxy's
 * own time (bench/server.mjs --profile; in process this cut the example
 * proxy's time on a cache hit by 40-50%). The same wire format: x-middleware-next,
 * x-middleware-override-headers and one x-middleware-request-<name> each.
 */
function continueWithIdentity(req, token, claims) {
  const own = []
  for (const claim of claims) own.push(`x-auth-${String(claim).toLowerCase()}`)
  const names = []
  const out = [['x-middleware-next', '1']]
  for (const [name, value] of req.headers) {
    if (own.includes(name)) continue // never trust a client-sent identity header
    names.push(name)
    out.push([`x-middleware-request-${name}`, value])
  }
  for (let i = 0; i < claims.length; i++) {
    const v = token?.[claims[i]]
    if (v === undefined || v === null) continue
    let s = typeof v === 'string' ? v : JSON.stringify(v)
    if (typeof s !== 'string' || names.includes(own[i])) continue // not representable, or the same claim listed twice
    if (/[^\x20-\x7e]/.test(s)) s = encodeURIComponent(s)
    names.push(own[i])
    out.push([`x-middleware-request-${own[i]}`, s])
  }
  out.push(['x-middleware-override-headers', names.join(',')])
  return new NextResponse(null, { headers: out })
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
 * `{ session, unavailable }` from the store (or a Promise of it: only a cache
 * miss needs one). A bad configuration is logged once and denies.
 */
function databaseSession(req, options, s, env, logger = console) {
  try {
    return sessionInternal.databaseLookup({
      req,
      strategy: 'database',
      database: s.database,
      sessionEndpoint: s.sessionEndpoint,
      cacheTtlMs: s.cacheTtlMs,
      timeoutMs: s.timeoutMs,
      // next-auth's env default from the NEXTAUTH_URL read once per request (process.env reads are slow)
      secureCookie: s.secureCookie ?? env.url?.startsWith('https://') ?? !!process.env.VERCEL,
      cookieName: options?.cookies?.sessionToken?.name,
      logger,
    })
  } catch (err) {
    if (!warnedSessionConfig.has(s)) {
      warnedSessionConfig.add(s)
      logger.error?.('[next-auth-native][error][SESSION_CONFIG]', err?.message)
    }
    return CONFIG_DENIED
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

/**
 * next-auth's handleMiddleware (nextauth-v4.md §5.2), decided natively.
 * Returns undefined (continue), the result of onSuccess, or a denial.
 */
async function handleMiddleware(req, options, onSuccess) {
  const { pathname, search, origin, basePath, locale, defaultLocale } = req.nextUrl
  checkNextVersion()
  const env = nextAuthUrl()
  const policy = policyFor(options, env.authPath)
  if (!native.middlewareRoute(policy, basePath, pathname, search)) return
  const redirectOrigin = env.origin ?? origin
  const db = databaseOptions(options)
  let token = null
  let session
  let authorized
  let storeDown = false
  if (db) {
    // Database strategy: no secret is needed to look a session up.
    let r = databaseSession(req, options, db, env)
    if (typeof r.then === 'function') r = await r // a cache miss: the lookup runs off the event loop
    session = r.session
    storeDown = r.unavailable
    const cb = options?.callbacks?.authorized
    authorized = (cb ? await cb({ req, token, session, storeUnavailable: storeDown }) : undefined) ?? !!session
  } else {
    const secret = options?.secret ?? process.env.NEXTAUTH_SECRET ?? process.env.AUTH_SECRET
    if (!secret) {
      console.error('[next-auth][error][NO_SECRET]', '\nhttps://next-auth.js.org/errors#no_secret')
      return redirect(native.configErrorLocation(policy, redirectOrigin, basePath))
    }
    token = await jwt.getToken({
      req,
      // next-auth's env default, from the NEXTAUTH_URL read above (one env read per request)
      secureCookie: env.url?.startsWith('https://') ?? !!process.env.VERCEL,
      decode: options?.jwt?.decode,
      cookieName: options?.cookies?.sessionToken?.name,
      secret,
      jwt: nativeJws(options?.jwt),
    })
    const cb = options?.callbacks?.authorized
    authorized = (cb ? await cb(new JwtAuthorizedParams(req, token)) : undefined) ?? !!token
  }
  if (authorized) {
    if (onSuccess) return db ? await onSuccess(token, session) : await onSuccess(token)
    const claims = options?.forwardIdentity
    if (Array.isArray(claims) && claims.length) {
      const identity = db ? sessionIdentity(session) : token
      return continueWithIdentity(req, identity, claims)
    }
    return
  }
  if (storeDown && modeOf(options) === 'unavailable') return storeUnavailable(options, pathname)
  if (wantsJson(options, pathname)) return unauthorizedJson()
  // Keep a non-default locale segment in callbackUrl (next-auth drops it).
  const localePrefix = locale && locale !== defaultLocale ? `/${locale}` : ''
  return redirect(native.signInLocation(policy, redirectOrigin, basePath, localePrefix + pathname, search))
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
 */
function withAuth(...args) {
  if (!args.length || args[0] instanceof Request) {
    return handleMiddleware(...args)
  }
  if (typeof args[0] === 'function') {
    const middleware = args[0]
    const options = args[1]
    storeErrorMode(options)
    return async (...a) =>
      handleMiddleware(a[0], options, async (token, ...session) => {
        // JWT strategy: next-auth's { token }; database strategy: { token: null, session }.
        a[0].nextauth = session.length ? { token, session: session[0] } : { token }
        return await middleware(...a)
      })
  }
  const options = args[0]
  storeErrorMode(options)
  return async (...a) => handleMiddleware(a[0], options)
}

/**
 * The second gate (security.md NX-12) for route handlers, API routes and
 * server components. Takes a request, or the Headers from `next/headers`'
 * headers().
 *
 * JWT strategy (default): the session token, or null, synchronously.
 * Database strategy (`{ session: { strategy: 'database', database | sessionEndpoint } }`,
 * the same object as withAuth's `session` option): a Promise of the session
 * ({ user, expires }) or null.
 */
function requireSession(reqOrHeaders, options = {}) {
  if (!reqOrHeaders) throw new Error('requireSession needs a request or headers')
  const req = typeof reqOrHeaders.get === 'function' && !('headers' in reqOrHeaders)
    ? { headers: reqOrHeaders }
    : reqOrHeaders
  const db = databaseOptions(options) ?? (options.strategy === 'database' ? options : null)
  if (db) {
    return verifySession({
      req,
      strategy: 'database',
      database: db.database,
      sessionEndpoint: db.sessionEndpoint,
      cacheTtlMs: db.cacheTtlMs,
      timeoutMs: db.timeoutMs,
      secureCookie: options.secureCookie ?? db.secureCookie,
      cookieName: options.cookies?.sessionToken?.name ?? options.cookieName,
    })
  }
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
Object.defineProperty(module.exports, '_internal', { value: { warnIfVulnerableNext }, enumerable: false })
