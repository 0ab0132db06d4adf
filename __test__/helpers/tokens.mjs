// Token factories for differential tests: everything is minted with the real
// next-auth / @auth/core / jose code, never by the module under test.
import { createRequire } from 'node:module'
import { hkdfSync, randomBytes } from 'node:crypto'

const require = createRequire(import.meta.url)
export const nextAuthJwt = require('next-auth/jwt')
// next-auth 4.24.15's own jose (4.15.x), for crafting tokens it would accept.
export const jose4 = createRequire(require.resolve('next-auth/jwt'))('jose')
export const { NextRequest } = require('next/server')

export const SECRET = 'nextauth-spec-test-secret-0123456789abcdef'
export const OTHER_SECRET = 'another-secret-another-secret-0123456789'
export const FAR = 50 * 365 * 24 * 3600 // far-future maxAge (docs/compatibility.md §8)

export const V4 = 'next-auth.session-token'
export const V4S = '__Secure-next-auth.session-token'
export const V5 = 'authjs.session-token'
export const V5S = '__Secure-authjs.session-token'

export const now = () => Math.floor(Date.now() / 1000)

export const claims = { name: 'Demo User', email: 'demo@example.com', picture: null, sub: 'user-1', role: 'admin' }

export function mintV4(token = claims, { secret = SECRET, maxAge = FAR, salt } = {}) {
  return nextAuthJwt.encode({ token, secret, maxAge, ...(salt === undefined ? {} : { salt }) })
}

export async function authCoreJwt() {
  return import('@auth/core/jwt')
}

export async function mintV5(token = claims, { secret = SECRET, salt = V5, maxAge = FAR } = {}) {
  const { encode } = await authCoreJwt()
  return encode({ token, secret, salt, maxAge })
}

/** The v4 session key (HKDF-SHA256, info per docs/compatibility.md §3.1). */
export function v4Key(secret = SECRET, salt = '') {
  const info = salt ? `NextAuth.js Generated Encryption Key (${salt})` : 'NextAuth.js Generated Encryption Key'
  return new Uint8Array(hkdfSync('sha256', secret, salt, info, 32))
}

/** A compact JWE of arbitrary plaintext and header, with the real jose 4. */
export async function craftJwe(plaintext, header = { alg: 'dir', enc: 'A256GCM' }, key = v4Key()) {
  const bytes = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext
  return new jose4.CompactEncrypt(bytes).setProtectedHeader(header).encrypt(key)
}

/**
 * The token with one character of its last segment (the signature, or the JWE tag) changed.
 * The first character of a base64url segment carries six whole bits, so the result always
 * decodes to different bytes; rewriting the tail instead leaves the token intact whenever it
 * already ended that way (about 1 HS256 signature in 1,000 ends in "AA").
 */
export function tamper(token) {
  const at = token.lastIndexOf('.') + 1
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1)
}

export function cookieHeader(pairs) {
  return Object.entries(pairs).map(([k, v]) => `${k}=${v}`).join('; ')
}

export function nextRequest(cookie, authorization, url = 'http://localhost:3000/dashboard') {
  const headers = {}
  if (cookie !== undefined) headers.cookie = cookie
  if (authorization !== undefined) headers.authorization = authorization
  return new NextRequest(url, { headers })
}

/** Splits a token into next-auth's chunk cookies (CHUNK_SIZE 3933). */
export function chunk(name, value, size = 3933) {
  const out = []
  for (let i = 0; i * size < value.length; i++) out.push([`${name}.${i}`, value.slice(i * size, (i + 1) * size)])
  return out
}

export function randomText(n) {
  return randomBytes(n).toString('base64url')
}

export async function withEnv(vars, fn) {
  const saved = {}
  for (const k of Object.keys(vars)) {
    saved[k] = process.env[k]
    if (vars[k] === undefined) delete process.env[k]
    else process.env[k] = vars[k]
  }
  try {
    return await fn()
  } finally {
    for (const k of Object.keys(saved)) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
  }
}
