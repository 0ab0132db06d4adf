// Issue 14: the holes a hostile review found, one describe per item. Each
// test failed before the fix and passes after it. Differential where
// next-auth 4.24.15 is the reference; HTTP coverage of items 1-4 against a
// real `next start` app is in e2e.test.mjs ("issue 14" tests).
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import {
  SECRET, OTHER_SECRET, V4, mintV4, craftJwe, withEnv, NextRequest, nextAuthJwt, nextRequest, chunk, now, jose4,
} from './helpers/tokens.mjs'

const require = createRequire(import.meta.url)
const ref = require('next-auth/middleware')
const ours = require('../lib/middleware.js')
const jwt = require('../lib/jwt.js')
const { NextResponse } = require('next/server')

const ENV = { NEXTAUTH_URL: undefined, NEXTAUTH_SECRET: undefined, AUTH_SECRET: undefined }
const mk = (path, headers = {}) => new NextRequest(`http://localhost:3000${path}`, { headers })
const run = (fn, req) => withEnv(ENV, () => fn(req, {}))

function shape(res) {
  if (res === undefined || res === null) return 'continue'
  if (res.headers.get('x-middleware-next') !== null) return 'continue'
  return `${res.status} ${res.headers.get('location') ?? ''}`
}

/** The request headers a middleware response hands to the route (NextResponse.next({ request })). */
function forwarded(res) {
  const list = res?.headers.get('x-middleware-override-headers')
  if (list === null || list === undefined) return null
  const h = new Headers()
  for (const n of list.split(',')) if (n) h.set(n, res.headers.get(`x-middleware-request-${n}`))
  return h
}

const user = () => mintV4({ sub: '1', role: 'user', name: 'U' })

describe('item 1: rules decide on the decoded path', () => {
  test('an encoded letter does not move a path out of protectedPaths', async () => {
    const mw = ours.withAuth({ secret: SECRET, protectedPaths: ['/api/echo/private'] })
    assert.equal(shape(await run(mw, mk('/api/echo/%70rivate'))), '307 http://localhost:3000/api/auth/signin?callbackUrl=%2Fapi%2Fecho%2F%2570rivate')
    assert.equal(shape(await run(mw, mk('/api/echo/%70RIVATE'))).slice(0, 3), '307') // protected rules fold case
    assert.equal(shape(await run(mw, mk('/api/echo/public'))), 'continue')
  })
  test('an encoded letter does not make a path public, and a decoded public path is public', async () => {
    const mw = ours.withAuth({ secret: SECRET, publicPaths: ['/docs'] })
    assert.equal(shape(await run(mw, mk('/%64ocs'))), 'continue')
    assert.equal(shape(await run(mw, mk('/docs%2Fx'))).slice(0, 3), '307')
  })
  test('ambiguous decodings are protected, never public, also outside protectedPaths', async () => {
    const pub = ours.withAuth({ secret: SECRET, publicPaths: ['/api/echo/:path*'] })
    const prot = ours.withAuth({ secret: SECRET, protectedPaths: ['/admin'] })
    for (const p of ['/api/echo/a%2Fb', '/api/echo/a%5Cb', '/api/echo/%2e%2e%2fx', '/api/echo/%FF', '/api/echo/%C0%AF',
      '/api/echo/%E0%80%AF', '/api/echo/a%252F', '/api/echo/%zz', '/api/echo/a%00']) {
      assert.equal(shape(await run(pub, mk(p))).slice(0, 3), '307', p)
      assert.equal(shape(await run(prot, mk(p))).slice(0, 3), '307', p)
    }
    // Paths Next never normalises itself (plain request objects, raw dot segments): the same rule.
    for (const pathname of ['/api/echo/%2e%2e', '/api/echo/../admin', '/api//echo', '/api/echo/a\\b']) {
      const req = { nextUrl: { pathname, search: '', origin: 'http://localhost:3000' }, headers: {} }
      assert.equal(shape(await run(pub, req)).slice(0, 3), '307', pathname)
      assert.equal(shape(await run(prot, req)).slice(0, 3), '307', pathname)
    }
  })
})

describe('item 2: forwardIdentity in every call form', () => {
  const opts = { secret: SECRET, forwardIdentity: ['sub', 'role'] }
  test('withAuth(middleware, { forwardIdentity }): the route sees the token\'s role, never the client\'s', async () => {
    const t = await user()
    const req = () => mk('/dashboard', { cookie: `${V4}=${t}`, 'x-auth-role': 'admin', 'x-other': 'kept' })
    for (const [what, mw] of [
      ['returns NextResponse.next()', () => NextResponse.next()],
      ['returns undefined', () => undefined],
      ['overrides request headers itself', () => {
        const h = new Headers({ 'x-custom': '1', 'x-auth-role': 'admin' })
        return NextResponse.next({ request: { headers: h } })
      }],
      ['rewrites', () => NextResponse.rewrite(new URL('http://localhost:3000/other'))],
    ]) {
      const res = await run(ours.withAuth(mw, opts), req())
      const h = forwarded(res)
      assert.ok(h, what)
      assert.equal(h.get('x-auth-role'), 'user', what)
      assert.equal(h.get('x-auth-sub'), '1', what)
      assert.ok(h.get('x-auth-mac'), what)
      if (what.startsWith('overrides')) assert.equal(h.get('x-custom'), '1')
      else assert.equal(h.get('x-other'), 'kept', what)
    }
    // A rewrite to another origin proxies the request there: client copies stripped, no identity, no MAC.
    const ext = forwarded(await run(ours.withAuth(() => NextResponse.rewrite(new URL('https://other.example/x')), opts), req()))
    assert.equal(ext.get('x-auth-role'), null)
    assert.equal(ext.get('x-auth-mac'), null)
    assert.equal(ext.get('x-other'), 'kept')
    // A redirect from the middleware ends the request: returned as it is.
    const redirect = await run(ours.withAuth(() => NextResponse.redirect('http://localhost:3000/x'), opts), req())
    assert.equal(redirect.status, 307)
  })
  test('withAuth(options) and withAuth(req, options) too', async () => {
    const t = await user()
    const req = mk('/dashboard', { cookie: `${V4}=${t}`, 'x-auth-role': 'admin' })
    assert.equal(forwarded(await run(ours.withAuth(opts), req)).get('x-auth-role'), 'user')
    const direct = await withEnv(ENV, () => ours.withAuth(mk('/dashboard', { cookie: `${V4}=${t}`, 'x-auth-role': 'admin' }), opts))
    assert.equal(forwarded(direct).get('x-auth-role'), 'user')
  })
})

describe('item 3: client identity headers never survive, and readIdentity proves who set them', () => {
  const opts = { secret: SECRET, forwardIdentity: ['sub', 'role'], publicPaths: ['/'], protectedPaths: ['/', '/dashboard/:path*'], pages: { signIn: '/login', error: '/oops' } }
  test('stripped on public paths, paths outside protectedPaths, /api/auth, the sign-in and error pages', async () => {
    const mw = ours.withAuth(opts)
    for (const p of ['/', '/elsewhere', '/api/auth/session', '/login', '/oops', '/_next/static/a.js']) {
      const res = await run(mw, mk(p, { 'x-auth-role': 'admin', 'x-auth-mac': 'v1 1 role AAAA', 'x-other': 'kept' }))
      const h = forwarded(res)
      assert.ok(h, p)
      assert.equal(h.get('x-auth-role'), null, p)
      assert.equal(h.get('x-auth-mac'), null, p)
      assert.equal(h.get('x-other'), 'kept', p)
    }
    // Without client identity headers a skipped request continues exactly as with next-auth.
    assert.equal(await run(mw, mk('/elsewhere')), undefined)
  })
  test('readIdentity returns the forwarded identity only when the MAC verifies', async () => {
    const t = await user()
    const res = await run(ours.withAuth(opts), mk('/dashboard', { cookie: `${V4}=${t}` }))
    const h = forwarded(res)
    assert.deepEqual(ours.readIdentity(h, { secret: SECRET }), { sub: '1', role: 'user' })
    assert.deepEqual(ours.readIdentity({ headers: h }, { secret: SECRET }), { sub: '1', role: 'user' })
    assert.deepEqual(ours.readIdentity({ headers: Object.fromEntries(h) }, { secret: SECRET }), { sub: '1', role: 'user' })
    assert.deepEqual(ours.readIdentity(h, { secret: [OTHER_SECRET, SECRET] }), { sub: '1', role: 'user' }) // rotation
    const forged = new Headers(h)
    forged.set('x-auth-role', 'admin')
    assert.equal(ours.readIdentity(forged, { secret: SECRET }), null)
    assert.equal(ours.readIdentity(h, { secret: OTHER_SECRET }), null)
    const noMac = new Headers(h)
    noMac.delete('x-auth-mac')
    assert.equal(ours.readIdentity(noMac, { secret: SECRET }), null)
    assert.equal(ours.readIdentity(new Headers({ 'x-auth-role': 'admin', 'x-auth-mac': 'v1 9999999999 role AAAA' }), { secret: SECRET }), null)
    await withEnv({ NEXTAUTH_SECRET: SECRET }, () => assert.deepEqual(ours.readIdentity(h), { sub: '1', role: 'user' }))
    await withEnv(ENV, () => assert.throws(() => ours.readIdentity(h), /needs the app secret/))
  })
})

describe('item 4: Next.js matcher syntax, `/` is the root only', () => {
  test("publicPaths: ['/'] makes the home page public and nothing else", async () => {
    const mw = ours.withAuth({ secret: SECRET, publicPaths: ['/'] })
    assert.equal(shape(await run(mw, mk('/'))), 'continue')
    assert.equal(shape(await run(mw, mk('/dashboard'))).slice(0, 3), '307')
    assert.equal(shape(await run(mw, mk('/api/echo/x'))).slice(0, 3), '307')
  })
  test("'/x' is exact; '/x/:path*' is /x and below; '/x/:path+' below only", async () => {
    const mw = ours.withAuth({ secret: SECRET, publicPaths: ['/docs', '/blog/:path*', '/x/:path+', '/u/:id'] })
    const cases = { '/docs': 'continue', '/docs/a': '307', '/blog': 'continue', '/blog/a/b': 'continue', '/x': '307', '/x/a': 'continue', '/u/1': 'continue', '/u/1/2': '307' }
    for (const [p, want] of Object.entries(cases)) assert.equal(shape(await run(mw, mk(p))).slice(0, want.length), want, p)
  })
  test('surprising patterns are rejected when withAuth(...) is called, with the fix', () => {
    for (const [bad, fix] of [['', "'/:path*'"], ['/*', "'/:path*'"], ['/x/', "'/x/:path*'"], ['/x/*', "'/x/:path+'"], ['docs', "'/docs'"], ['/x/(.*)', 'Remove']]) {
      assert.throws(() => ours.withAuth({ publicPaths: [bad] }), (e) => e.message.includes(fix) && e.message.includes('publicPaths'), bad)
      assert.throws(() => ours.withAuth(() => undefined, { protectedPaths: [bad] }), (e) => e.message.includes('protectedPaths'), bad)
    }
    assert.throws(() => ours.withAuth({ publicPaths: [5] }), /array of path strings/)
  })
})

describe('item 5: claim names that are not header names', () => {
  test('a URL-shaped claim is forwarded under a mapped header name, no 500', async () => {
    const t = await mintV4({ sub: '1', 'https://example.com/roles': ['a', 'b'] })
    const res = await run(ours.withAuth({ secret: SECRET, forwardIdentity: ['https://example.com/roles'] }), mk('/d', { cookie: `${V4}=${t}` }))
    const h = forwarded(res)
    assert.equal(h.get('x-auth-https---example.com-roles'), '["a","b"]')
    assert.deepEqual(ours.readIdentity(h, { secret: SECRET }), { 'https://example.com/roles': '["a","b"]' })
  })
  test('colliding, empty or reserved names are configuration errors at withAuth(...) time', () => {
    assert.throws(() => ours.withAuth({ forwardIdentity: ['Role', 'role'] }), /both map to the header x-auth-role/)
    assert.throws(() => ours.withAuth({ forwardIdentity: [''] }), /empty claim name/)
    assert.throws(() => ours.withAuth({ forwardIdentity: ['mac'] }), /reserved/)
    assert.throws(() => ours.withAuth({ forwardIdentity: [1] }), /array of claim names/)
  })
})

describe('item 6: in-place configuration changes are seen on the next call', () => {
  test('a secret removed from the secret array stops working at once', async () => {
    const t = await mintV4({ sub: '1' })
    const secret = [OTHER_SECRET, SECRET]
    const req = () => nextRequest(`${V4}=${t}`)
    assert.equal(jwt.getTokenSync({ req: req(), secret })?.sub, '1')
    secret.pop()
    assert.equal(jwt.getTokenSync({ req: req(), secret }), null)
    assert.equal(await nextAuthJwt.getToken({ req: req(), secret }), null) // as next-auth
    secret.push(SECRET)
    assert.equal(jwt.getTokenSync({ req: req(), secret })?.sub, '1')
  })
  test('a replaced jwt.publicKey stops accepting tokens of the old key', async () => {
    const a = await jose4.generateKeyPair('ES256')
    const b = await jose4.generateKeyPair('ES256')
    const t = await new jose4.SignJWT({ sub: 'e', exp: now() + 3600 }).setProtectedHeader({ alg: 'ES256' }).sign(a.privateKey)
    const j = { algorithms: ['ES256'], publicKey: await jose4.exportSPKI(a.publicKey) }
    const req = () => nextRequest(`${V4}=${t}`)
    assert.equal(jwt.getTokenSync({ req: req(), jwt: j })?.sub, 'e')
    j.publicKey = await jose4.exportSPKI(b.publicKey)
    assert.equal(jwt.getTokenSync({ req: req(), jwt: j }), null)
    j.algorithms[0] = 'ES384'
    assert.equal(jwt.getTokenSync({ req: req(), jwt: j }), null)
  })
  test('an edited publicPaths array applies on the next request', async () => {
    const opts = { secret: SECRET, publicPaths: ['/docs'] }
    const mw = ours.withAuth(opts)
    assert.equal(shape(await run(mw, mk('/docs'))), 'continue')
    opts.publicPaths[0] = '/other'
    assert.equal(shape(await run(mw, mk('/docs'))).slice(0, 3), '307')
    opts.forwardIdentity = ['sub']
    const t = await user()
    assert.equal(forwarded(await run(mw, mk('/d', { cookie: `${V4}=${t}` }))).get('x-auth-sub'), '1')
  })
})

describe('item 8: compatibility where strictness bought nothing (agrees with next-auth)', () => {
  const agree = async (cookie, wantNull) => {
    const a = await nextAuthJwt.getToken({ req: nextRequest(cookie), secret: SECRET })
    const b = await jwt.getToken({ req: nextRequest(cookie), secret: SECRET })
    assert.equal(b === null, a === null, cookie.slice(0, 60))
    assert.equal(b === null, wantNull, cookie.slice(0, 60))
    if (a) assert.equal(b.sub, a.sub)
  }
  test('a token whose iat lies in the future', async () => {
    await agree(`${V4}=${await craftJwe(JSON.stringify({ sub: '1', iat: now() + 3600, exp: now() + 7200 }))}`, false)
  })
  test('JWE protected header members beyond alg/enc/kid; crit and other alg/enc still refused', async () => {
    const body = JSON.stringify({ sub: '1', exp: now() + 3600 })
    await agree(`${V4}=${await craftJwe(body, { alg: 'dir', enc: 'A256GCM', typ: 'JWT' })}`, false)
    await agree(`${V4}=${await craftJwe(body, { alg: 'dir', enc: 'A256GCM', cty: 'JWT', 'x-new': { a: 1 } })}`, false)
    const crit = await craftJwe(body, { alg: 'dir', enc: 'A256GCM', crit: ['b64'], b64: true }).catch(() => null)
    if (crit) assert.equal(await jwt.getToken({ req: nextRequest(`${V4}=${crit}`), secret: SECRET }), null)
    assert.equal(await jwt.getToken({ req: nextRequest(`${V4}=${await craftJwe(body, { alg: 'dir', enc: 'A128GCM' }, new Uint8Array(16))}`), secret: SECRET }), null)
  })
  test('optional whitespace around cookie pairs and =, as Next parses them', async () => {
    const t = await mintV4({ sub: '1' })
    for (const c of [` ${V4}=${t} ;x=1`, `x=1;  ${V4}=${t} ; y=2`, `${V4}=${t}\t; x=1`, `${V4} =${t}`]) await agree(c, false)
    // strict rules on duplicates and chunks stay
    const other = await mintV4({ sub: '2' })
    assert.equal(await jwt.getToken({ req: nextRequest(`${V4}=${t} ; ${V4} =${other}`), secret: SECRET }), null)
  })
})

describe('item 9: strictness that was missing', () => {
  test('Authorization: Bearer T extra is no credential', async () => {
    const t = await mintV4({ sub: '1' })
    assert.equal(jwt.getTokenSync({ req: nextRequest(undefined, `Bearer ${t}`), secret: SECRET })?.sub, '1')
    assert.equal(jwt.getTokenSync({ req: nextRequest(undefined, `Bearer ${t} extra`), secret: SECRET }), null)
    assert.equal(jwt.getTokenSync({ req: { headers: { authorization: `Bearer ${t} x` } }, secret: SECRET }), null)
  })
  test('exp beyond the signed 64-bit range is denied', async () => {
    for (const exp of ['1e19', '9223372036854775808', '1.8e308']) {
      const t = await craftJwe(`{"sub":"1","exp":${exp}}`)
      assert.equal(jwt.getTokenSync({ req: nextRequest(`${V4}=${t}`), secret: SECRET }), null, exp)
    }
    const ok = await craftJwe(`{"sub":"1","exp":9000000000000000000}`)
    assert.equal(jwt.getTokenSync({ req: nextRequest(`${V4}=${ok}`), secret: SECRET })?.sub, '1')
  })
})

describe('item 10: callbackUrl is always a same-origin path', () => {
  test('//evil.com, /\\evil.com and friends', async () => {
    const mw = ours.withAuth({ secret: SECRET })
    for (const url of ['http://localhost:3000//evil.com', 'http://localhost:3000/\\evil.com', 'http://localhost:3000///\\evil.com/x']) {
      const loc = (await run(mw, new NextRequest(url))).headers.get('location')
      const cb = new URL(loc).searchParams.get('callbackUrl')
      assert.match(cb, /^\/[^/\\]/, `${url} -> ${cb}`)
      assert.equal(new URL(cb, 'http://localhost:3000').origin, 'http://localhost:3000')
    }
    for (const pathname of ['//evil.com', '/\\evil.com', '\\\\evil.com']) {
      const res = await run(mw, { nextUrl: { pathname, search: '', origin: 'http://localhost:3000' }, headers: {} })
      assert.equal(new URL(res.headers.get('location')).searchParams.get('callbackUrl'), '/evil.com', pathname)
    }
  })
})

describe('item 11: requireSession has one shape', () => {
  test('always a Promise; requireSessionSync is the JWT-mode sync twin', async () => {
    const t = await user()
    const h = new Headers({ cookie: `${V4}=${t}` })
    const p = ours.requireSession(h, { secret: SECRET })
    assert.ok(p instanceof Promise)
    assert.equal((await p).sub, '1')
    const none = ours.requireSession(new Headers(), { secret: SECRET })
    assert.ok(none instanceof Promise)
    assert.equal(await none, null)
    assert.equal(ours.requireSessionSync(h, { secret: SECRET }).sub, '1')
    assert.equal(ours.requireSessionSync(new Headers(), { secret: SECRET }), null)
    assert.throws(() => ours.requireSessionSync(h, { session: { strategy: 'database', database: { url: 'sqlite:/x.db' } } }), /JWT sessions only/)
    await assert.rejects(ours.requireSession(undefined), /needs a request or headers/)
  })
})

describe("item 12: next-auth's own middleware tests and request shapes", () => {
  const plain = (pathname, extra = {}) => ({ nextUrl: { pathname, search: '', origin: 'http://127.0.0.1', ...extra }, headers: { authorization: '' } })
  test('should not match pages as public paths (307), as next-auth', async () => {
    const options = { pages: { signIn: '/', error: '/' }, secret: 'secret' }
    const a = await run(ref.withAuth(options), plain('/protected/pathA'))
    const b = await run(ours.withAuth(options), plain('/protected/pathA'))
    assert.equal(a?.status, 307)
    assert.equal(b?.status, 307)
    // next-auth builds `${undefined}/` here; ours defaults basePath to ''.
    assert.equal(b.headers.get('location'), 'http://127.0.0.1/?callbackUrl=%2Fprotected%2FpathA')
  })
  test('should not redirect on public paths (undefined on /_next/foo), as next-auth', async () => {
    const options = { secret: 'secret' }
    assert.equal(await run(ref.withAuth(options), plain('/_next/foo')), undefined)
    assert.equal(await run(ours.withAuth(options), plain('/_next/foo')), undefined)
  })
  test('plain shapes agree with next-auth on the decision; no napi conversion error ever reaches the user', async () => {
    const t = await mintV4({ sub: '1' })
    const shapes = [
      plain('/dashboard'),
      { nextUrl: { pathname: '/dashboard', origin: 'http://127.0.0.1' }, headers: {} },
      { nextUrl: { pathname: '/dashboard', search: '', origin: 'http://127.0.0.1' }, headers: { authorization: `Bearer ${t}` } },
      { nextUrl: { pathname: '/dashboard', search: '', origin: 'http://127.0.0.1', basePath: '' }, cookies: { [V4]: t }, headers: {} },
    ]
    for (const req of shapes) {
      const a = await run(ref.withAuth({ secret: SECRET }), req)
      const b = await run(ours.withAuth({ secret: SECRET }), req)
      assert.equal(b?.status, a?.status, JSON.stringify(req).slice(0, 80))
    }
    // Without basePath next-auth tests `undefined/api/auth/…` and checks the auth API; ours skips it (basePath '').
    assert.equal(await run(ours.withAuth({ secret: SECRET }), plain('/api/auth/session')), undefined)
    for (const bad of [{}, { nextUrl: {} }, { nextUrl: { pathname: 5 } }, { nextUrl: null }, null, 'x', { nextUrl: { pathname: '/d' }, headers: {} }]) {
      await assert.rejects(run(ours.withAuth({ secret: SECRET }), bad), (e) => {
        assert.doesNotMatch(e.message, /Failed to convert|rust type/)
        assert.match(e.message, /withAuth/)
        return true
      }, JSON.stringify(bad))
    }
  })
  test('cookie chunks (the intent of next-auth\'s chunk tests): any order, reassembled as next-auth does', async () => {
    const t = await mintV4({ sub: '1', blob: 'x'.repeat(6000) })
    const parts = chunk(V4, t)
    assert.ok(parts.length >= 2)
    for (const order of [parts, [...parts].reverse()]) {
      const cookie = order.map(([n, v]) => `${n}=${v}`).join('; ')
      const a = await nextAuthJwt.getToken({ req: nextRequest(cookie), secret: SECRET })
      const b = await jwt.getToken({ req: nextRequest(cookie), secret: SECRET })
      assert.equal(b?.sub, a?.sub)
      assert.equal(b.sub, '1')
      // the same through a plain request with a cookies object (req.cookies)
      const c = await jwt.getToken({ req: { cookies: Object.fromEntries(order), headers: {} }, secret: SECRET })
      assert.equal(c.sub, '1')
    }
  })
})
