// Differential tests for withAuth: the same requests through
// next-auth/middleware and next-auth-native/middleware (docs/compatibility.md §5).
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { SECRET, V4, mintV4, withEnv, NextRequest } from './helpers/tokens.mjs'

const require = createRequire(import.meta.url)
const ref = require('next-auth/middleware')
const ours = require('../lib/middleware.js')

const mk = (path, { cookie, basePath } = {}) =>
  new NextRequest(`http://localhost:3000${basePath ?? ''}${path}`, {
    headers: cookie ? { cookie } : {},
    ...(basePath ? { nextConfig: { basePath } } : {}),
  })

function shape(res) {
  if (res === undefined || res === null) return 'continue'
  return `${res.status} ${res.headers.get('location') ?? ''}`
}

async function agree(withAuthArgs, path, reqOpts, env = { NEXTAUTH_URL: undefined, NEXTAUTH_SECRET: undefined }) {
  return withEnv(env, async () => {
    const a = await ref.withAuth(...withAuthArgs)(mk(path, reqOpts), {})
    const b = await ours.withAuth(...withAuthArgs)(mk(path, reqOpts), {})
    assert.equal(shape(b), shape(a), `${path}`)
    if (b && b.status >= 300) {
      assert.equal(b.headers.get('cache-control'), 'private, no-store')
      assert.match(b.headers.get('vary'), /Cookie/)
    }
    return shape(b)
  })
}

describe('withAuth agrees with next-auth', async () => {
  const token = await mintV4({ name: 'U', role: 'user', sub: '1' })
  const admin = await mintV4({ name: 'A', role: 'admin', sub: '2' })
  const opts = { secret: SECRET }

  test('no session: 307 with the exact Location; with session: continue', async () => {
    assert.equal(await agree([opts], '/dashboard'), '307 http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard')
    await agree([opts], '/dashboard?tab=a%20b&x=1')
    await agree([opts], '/d/é/x y')
    assert.equal(await agree([opts], '/dashboard', { cookie: `${V4}=${token}` }), 'continue')
    await agree([opts], '/dashboard', { cookie: `${V4}=${token}x` })
  })
  test('skip rules: auth API, sign-in and error pages, assets', async () => {
    for (const p of ['/api/auth/session', '/api/auth/signin', '/api/auth/error', '/_next/static/x.js', '/favicon.ico']) {
      assert.equal(await agree([opts], p), 'continue', p)
    }
  })
  test('custom pages', async () => {
    const o = { ...opts, pages: { signIn: '/login', error: '/oops' } }
    assert.equal(await agree([o], '/login'), 'continue')
    assert.equal(await agree([o], '/oops'), 'continue')
    await agree([o], '/dashboard')
  })
  test('basePath', async () => {
    await agree([opts], '/dashboard', { basePath: '/app' })
    await agree([opts], '/api/auth/session', { basePath: '/app' }, { NEXTAUTH_URL: 'http://localhost:3000/app/api/auth' })
  })
  test('authorized callback', async () => {
    const o = { ...opts, callbacks: { authorized: ({ token: t }) => t?.role === 'admin' } }
    await agree([o], '/admin', { cookie: `${V4}=${token}` })
    assert.equal(await agree([o], '/admin', { cookie: `${V4}=${admin}` }), 'continue')
    const open = { ...opts, callbacks: { authorized: () => true } }
    assert.equal(await agree([open], '/x'), 'continue')
    const undef = { ...opts, callbacks: { authorized: () => undefined } }
    await agree([undef], '/x')
  })
  test('missing secret: Configuration error redirect', async () => {
    const s = await agree([{}], '/dashboard')
    assert.equal(s, '307 http://localhost:3000/api/auth/error?error=Configuration')
  })
  test('secret from env and secure-cookie env', async () => {
    await agree([{}], '/dashboard', { cookie: `${V4}=${token}` }, { NEXTAUTH_SECRET: SECRET, NEXTAUTH_URL: undefined })
    await agree([{}], '/dashboard', { cookie: `${V4}=${token}` }, { NEXTAUTH_SECRET: SECRET, VERCEL: '1', NEXTAUTH_URL: undefined })
    await agree([{}], '/dashboard', { cookie: `__Secure-${V4}=${token}` }, { NEXTAUTH_SECRET: SECRET, VERCEL: '1', NEXTAUTH_URL: undefined })
  })
  test('custom cookie name and decode', async () => {
    await agree([{ ...opts, cookies: { sessionToken: { name: 'my.sess' } } }], '/d', { cookie: `my.sess=${token}` })
    await agree([{ ...opts, jwt: { decode: async () => ({ sub: 'x' }) } }], '/d', { cookie: `${V4}=abc` })
  })
  test('call forms: withAuth(fn, options) sets req.nextauth; withAuth(req, options)', async () => {
    const seen = []
    const fn = (req) => { seen.push(req.nextauth.token?.name); return new Response('ok', { status: 299 }) }
    for (const w of [ref.withAuth(fn, opts), ours.withAuth(fn, opts)]) {
      assert.equal((await w(mk('/d', { cookie: `${V4}=${token}` }), {})).status, 299)
      assert.equal((await w(mk('/d'), {})).status, 307)
    }
    assert.deepEqual(seen, ['U', 'U'])
    const a = await ref.withAuth(mk('/d'), opts)
    const b = await ours.withAuth(mk('/d'), opts)
    assert.equal(shape(b), shape(a))
    assert.equal(ours.default, ours.withAuth)
    await assert.rejects(ours.withAuth())
  })
})

describe('named improvements over next-auth (docs/security.md)', async () => {
  const token = await mintV4({ name: 'U', sub: '1', email: 'u@example.com', role: 'user' })
  const opts = { secret: SECRET }
  const run = (o, path, reqOpts, env = { NEXTAUTH_URL: undefined }) =>
    withEnv(env, async () => [shape(await ref.withAuth(o)(mk(path, reqOpts), {})), await ours.withAuth(o)(mk(path, reqOpts), {})])

  test('segment-aware auth path: /api/authors is protected (NX-6)', async () => {
    const [a, b] = await run(opts, '/api/authors')
    assert.equal(a, 'continue')
    assert.equal(b.status, 307)
  })
  test('/_next/data is not exempt (NX-3): NextRequest maps it to the page, and we check it', async () => {
    const [, b] = await run(opts, '/_next/data/build/dashboard.json')
    assert.equal(b.status, 307)
    assert.match(b.headers.get('location'), /callbackUrl=%2Fdashboard$/)
  })
  test('denials are not cacheable (INV-7)', async () => {
    const [, b] = await run(opts, '/dashboard')
    assert.equal(b.headers.get('cache-control'), 'private, no-store')
    assert.equal(b.headers.get('vary'), 'Cookie, Authorization')
  })
  test('redirects use NEXTAUTH_URL\'s origin when set (NX-10)', async () => {
    const [a, b] = await run(opts, '/dashboard', {}, { NEXTAUTH_URL: 'https://app.example.com' })
    assert.equal(a, '307 http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard')
    assert.equal(b.headers.get('location'), 'https://app.example.com/api/auth/signin?callbackUrl=%2Fdashboard')
  })
  test('401 JSON for API paths with unauthorized: "auto"', async () => {
    const [, b] = await run({ ...opts, unauthorized: 'auto' }, '/api/me')
    assert.equal(b.status, 401)
    assert.deepEqual(await b.json(), { error: 'Unauthorized' })
    const [, page] = await run({ ...opts, unauthorized: 'auto' }, '/dashboard')
    assert.equal(page.status, 307)
  })
  test('publicPaths / protectedPaths use Next.js matcher syntax (issue 14 item 4)', async () => {
    const o = { ...opts, publicPaths: ['/docs/:path*'] }
    assert.equal((await run(o, '/docs/intro'))[1], undefined)
    assert.equal((await run(o, '/docs'))[1], undefined)
    assert.equal((await run({ ...opts, publicPaths: ['/docs'] }, '/docs/intro'))[1].status, 307) // exact by default
    assert.equal((await run(o, '/docsecret'))[1].status, 307)
    assert.equal((await run(o, '/docs%2F..%2Fadmin'))[1].status, 307)
    const p = { ...opts, protectedPaths: ['/admin/:path*'] }
    assert.equal((await run(p, '/about'))[1], undefined)
    assert.equal((await run(p, '/admin/x'))[1].status, 307)
  })
  test('forwardIdentity sets x-auth-* request headers and drops client copies', async () => {
    const o = { ...opts, forwardIdentity: ['sub', 'email'] }
    const req = new NextRequest('http://localhost:3000/d', { headers: { cookie: `${V4}=${token}`, 'x-auth-sub': 'forged' } })
    const res = await ours.withAuth(o)(req, {})
    assert.equal(res.headers.get('x-middleware-request-x-auth-sub'), '1')
    assert.equal(res.headers.get('x-middleware-request-x-auth-email'), 'u@example.com')
    const anon = await ours.withAuth({ ...o, callbacks: { authorized: () => true } })(
      new NextRequest('http://localhost:3000/d', { headers: { 'x-auth-sub': 'forged' } }), {})
    assert.equal(anon.headers.get('x-middleware-request-x-auth-sub'), null)
  })
  test('callbackUrl keeps a non-default locale segment', async () => {
    const mkI18n = (path) => new NextRequest(`http://localhost:3000${path}`, {
      nextConfig: { basePath: '/base', i18n: { locales: ['en', 'fr'], defaultLocale: 'en' } },
    })
    await withEnv({ NEXTAUTH_URL: undefined }, async () => {
      const a = await ref.withAuth(opts)(mkI18n('/base/fr/dash/?a=1'), {})
      const b = await ours.withAuth(opts)(mkI18n('/base/fr/dash/?a=1'), {})
      assert.match(a.headers.get('location'), /callbackUrl=%2Fbase%2Fdash%2F%3Fa%3D1$/)
      assert.match(b.headers.get('location'), /\/base\/api\/auth\/signin\?callbackUrl=%2Fbase%2Ffr%2Fdash%2F%3Fa%3D1$/)
      const c = await ours.withAuth(opts)(mkI18n('/base/dash'), {})
      assert.match(c.headers.get('location'), /callbackUrl=%2Fbase%2Fdash$/)
    })
  })
  test('warns once-per-process on Next versions with known middleware bypasses', () => {
    const { warnIfVulnerableNext } = ours._internal
    const logged = []
    const logger = { warn: (m) => logged.push(m) }
    for (const v of ['15.2.2', '15.5.17', '16.2.5', '14.2.30']) assert.equal(warnIfVulnerableNext(v, logger), true, v)
    for (const v of ['15.5.18', '15.5.29', '16.2.6', '16.4.6', '17.0.0']) assert.equal(warnIfVulnerableNext(v, logger), false, v)
    assert.equal(logged.length, 4)
    assert.match(logged[0], /CVE-2025-29927/)
  })
  test('requireSession reads a request or Headers (a Promise); requireSessionSync the same, synchronously', async () => {
    assert.equal((await ours.requireSession(mk('/d', { cookie: `${V4}=${token}` }), opts))?.sub, '1')
    assert.equal((await ours.requireSession(new Headers({ cookie: `${V4}=${token}` }), opts))?.sub, '1')
    assert.equal(await ours.requireSession(new Headers({}), opts), null)
    assert.equal(ours.requireSessionSync(new Headers({ cookie: `${V4}=${token}` }), opts)?.sub, '1')
    assert.equal(ours.requireSessionSync(new Headers({}), opts), null)
  })
})

// The intent of next-auth v4's own packages/next-auth/tests/middleware.test.ts (our own code):
// plain request-like objects, no basePath, both libraries side by side (issue 14 item 12).
describe("next-auth v4's own middleware tests, against both libraries", () => {
  const plain = (pathname) => ({ nextUrl: { pathname, search: '', origin: 'http://127.0.0.1' }, headers: { authorization: '' } })
  const both = (options, req) => withEnv({ NEXTAUTH_URL: undefined, NEXTAUTH_SECRET: undefined }, async () =>
    [await ref.withAuth(options)(req, null), await ours.withAuth(options)(req, null)])
  test('pages are not public paths: 307', async () => {
    const [a, b] = await both({ pages: { signIn: '/', error: '/' }, secret: 'secret' }, plain('/protected/pathA'))
    assert.equal(a?.status, 307)
    assert.equal(b?.status, 307)
  })
  test('no redirect on /_next paths: undefined', async () => {
    const [a, b] = await both({ secret: 'secret' }, plain('/_next/foo'))
    assert.equal(a, undefined)
    assert.equal(b, undefined)
  })
})
