'use strict'
// Option checks (issue 10, item 5) and coded errors: the one place where
// options are validated when they are given. Every thrown error carries a
// stable `.code` (see README, "Why is my session null?").

class NextAuthNativeError extends Error {
  constructor(code, message) {
    super(message)
    this.name = 'NextAuthNativeError'
    this.code = code
  }
}

function configError(option, problem, fix) {
  return new NextAuthNativeError('CONFIG_INVALID', `[next-auth-native] CONFIG_INVALID: \`${option}\` ${problem}. ${fix}`)
}

const describe = (v) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v) : typeof v)

function isSecretValue(s) {
  return typeof s === 'string' || s instanceof Uint8Array
}

/** `secret`: a string or Uint8Array, or an array of them (rotation); undefined falls back to the env. */
function checkSecret(secret, option = 'secret') {
  if (secret === undefined || secret === null || isSecretValue(secret)) return
  if (Array.isArray(secret) && secret.every(isSecretValue)) return
  throw configError(option, `is ${describe(secret)}`, 'Pass the secret as a string (or a Uint8Array, or an array of them for rotation), e.g. `secret: process.env.NEXTAUTH_SECRET`.')
}

function checkLogger(logger, option = 'logger') {
  if (logger === undefined || logger === null) return
  if (typeof logger !== 'object' && typeof logger !== 'function') {
    throw configError(option, `is ${describe(logger)}`, 'Pass an object with `debug`/`warn`/`error` functions (next-auth\'s logger shape), or leave it out.')
  }
}

function checkDebug(debug, option = 'debug') {
  if (debug !== undefined && typeof debug !== 'boolean') {
    throw configError(option, `is ${describe(debug)}`, 'Use `debug: true` or `debug: false`.')
  }
}

const UNAUTHORIZED = ['redirect', 'json', 'auto']

/**
 * A configuration mistake found elsewhere (the native path-rule compiler, the
 * forwardIdentity header mapping, a shape check) as a CONFIG_INVALID error;
 * the message, with its fix, is kept. `publicPaths`/`protectedPaths` syntax and
 * forwardIdentity claim names have their one owner there, not here.
 */
function asConfigError(e) {
  if (e instanceof NextAuthNativeError) return e
  const text = String(e?.message ?? e).replace(/^\[next-auth-native\] /, '').replace(/^withAuth: /, '')
  const err = new NextAuthNativeError('CONFIG_INVALID', `[next-auth-native] CONFIG_INVALID: ${text}`)
  err.cause = e
  return err
}

/** withAuth's options (and requireSession's). Throws CONFIG_INVALID naming the option and the fix. */
function checkMiddlewareOptions(options) {
  if (options === undefined || options === null) return
  if (typeof options !== 'object') throw configError('options', `is ${describe(options)}`, 'Pass withAuth an options object.')
  const u = options.unauthorized
  if (u !== undefined && !UNAUTHORIZED.includes(u)) {
    throw configError('unauthorized', `is ${describe(u)}`, `Use one of ${UNAUTHORIZED.map((v) => `'${v}'`).join(', ')}.`)
  }
  checkSecret(options.secret)
  checkLogger(options.logger)
  checkDebug(options.debug)
}

// Each options object is checked once; a bad one is rethrown at every use
// (a request is never served under an invalid configuration).
const checked = new WeakMap()

function checkMiddlewareOptionsOnce(options) {
  if (options === undefined || options === null || typeof options !== 'object') return checkMiddlewareOptions(options)
  let err = checked.get(options)
  if (err === undefined) {
    try {
      checkMiddlewareOptions(options)
      err = null
    } catch (e) {
      err = e
    }
    checked.set(options, err)
  }
  if (err) throw err
}

module.exports = { NextAuthNativeError, configError, asConfigError, checkSecret, checkLogger, checkDebug, checkMiddlewareOptions, checkMiddlewareOptionsOnce }
