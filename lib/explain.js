'use strict'
// explainSession: the decision of getToken / verifySession for one request,
// with its stable code and one sentence a person can act on. The decision is
// made by the same native reader or store, through the same calls; this file
// only gathers the request's parts and shapes the answer.
const native = require('./native')
const jwt = require('./jwt')
const session = require('./session')
const { NextAuthNativeError } = require('./options')

const { readerFor, secureCookieOf, defaultSecret, explainWith, nameChoice, codeOfDecodeError } = jwt._internal
const { strategyOf, storeFor, cookieHeaderOf, explainDatabase } = session._internal

let fixes = null
/** The fix sentence of a code. */
function fixOf(code) {
  if (fixes === null) fixes = new Map(native.errorCodes().map((c) => [c.code, c.fix]))
  return fixes.get(code) ?? ''
}

/** Every stable code with its fix and jose code (README table, doctor). */
function errorCodes() {
  return native.errorCodes().map((c) => ({ code: c.code, fix: c.fix, joseCode: c.joseCode }))
}

function secretSource(params) {
  if (params.secret !== undefined && params.secret !== null) return 'option'
  return jwt._internal.defaultSecretSource() ?? null
}

function expiresOf(exp) {
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return null
  const d = new Date(exp * 1000)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

// Claims an explanation shows; others (an OAuth access token an app keeps in its JWT, …) are
// named in `claimNames` but never copied, so an explanation holds no token material.
const SHOWN_CLAIMS = ['sub', 'name', 'email', 'picture', 'role', 'iat', 'nbf', 'exp', 'iss', 'aud']

function shownClaims(claims) {
  const out = {}
  for (const k of SHOWN_CLAIMS) if (claims[k] !== undefined) out[k] = claims[k]
  return out
}

function result({ code, message, session: s = null, expected = [], found = [], details = {} }) {
  return { ok: code === 'OK', code, message, session: s, cookie: { expected, found }, details: { fix: code === 'OK' ? '' : fixOf(code), ...details } }
}

function configResult(err, details) {
  return result({ code: 'CONFIG_INVALID', message: err.message, details })
}

async function explainJwt(params) {
  const secret = params.secret === undefined ? defaultSecret() : params.secret
  const from = secretSource(params)
  const decodeCb = typeof params.decode === 'function'
  let reader
  try {
    // The reader getToken uses for these params (a decode callback: v4 rules, found natively).
    reader = decodeCb
      ? readerFor({ ...params, jwt: undefined, salt: undefined }, secret, secureCookieOf(params), false)
      : readerFor(params, secret, secureCookieOf(params), true)
  } catch (err) {
    return configResult(err, { strategy: 'jwt', secretFrom: from })
  }
  if (reader === null) {
    return result({ code: 'CONFIG_INVALID', message: '[next-auth-native] CONFIG_INVALID: the `jwt` option is invalid (see the logged JWT_CONFIG error).', details: { strategy: 'jwt' } })
  }
  const raw = !!params.raw
  const e = explainWith(params, reader, raw || decodeCb)
  const details = { strategy: 'jwt', source: e.source || null, reason: e.reason, secretFrom: from }
  if (e.code !== 'OK') {
    return result({ code: e.code, message: e.message, expected: e.expected, found: e.found, details })
  }
  if (raw) {
    // getToken would return the raw token; an explanation never does.
    return result({ code: 'OK', message: e.message, expected: e.expected, found: e.found, details })
  }
  let claims
  if (decodeCb) {
    try {
      claims = await params.decode({ token: e.value, secret })
    } catch (err) {
      const code = codeOfDecodeError(err)
      return result({
        code,
        message: `The decode callback rejected the token in \`${e.found[0] ?? e.expected[0]}\` (${err?.code ?? 'error'}); ${fixOf(code)}`,
        expected: e.expected, found: e.found, details,
      })
    }
    if (!claims || typeof claims !== 'object') {
      return result({ code: 'MALFORMED', message: 'The decode callback returned no claims.', expected: e.expected, found: e.found, details })
    }
  } else {
    claims = JSON.parse(e.value)
  }
  const s = session.sessionFromToken(claims)
  return result({
    code: 'OK', message: e.message, session: s, expected: e.expected, found: e.found,
    details: { ...details, claims: shownClaims(claims), claimNames: Object.keys(claims), expires: expiresOf(claims.exp) },
  })
}

async function explainDb(params) {
  let store
  try {
    store = storeFor(params)
  } catch (err) {
    return configResult(err, { strategy: 'database' })
  }
  const cookie = cookieHeaderOf(params.req) ?? ''
  const e = await explainDatabase(params, store, cookie)
  const s = e.session ? JSON.parse(e.session) : null
  return result({
    code: e.code, message: e.message, session: s, expected: e.expected, found: e.found,
    details: { strategy: 'database', store: e.store, label: e.label, reason: e.reason, expires: s?.expires ?? null },
  })
}

/**
 * Explains the decision getToken (or verifySession) makes for `params.req`:
 * `{ ok, code, message, session, cookie: { expected, found }, details }`.
 * Takes the same parameters (and `strategy` rules) as verifySession or
 * getToken. Never contains token material or secrets; resolves with
 * CONFIG_INVALID for a bad configuration, rejects only without `req`.
 */
async function explainSession(params) {
  if (!params || !params.req) throw new NextAuthNativeError('CONFIG_INVALID', 'Must pass `req` to explainSession()')
  let strategy
  try {
    strategy = strategyOf(params)
  } catch (err) {
    return configResult(err, {})
  }
  return strategy === 'database' ? explainDb(params) : explainJwt(params)
}

module.exports = { explainSession, errorCodes, nameChoice }
