// Differential tests: the same requests through next-auth 4.24.15's getToken
// and ours (docs/compatibility.md §1–3). Deliberate differences (docs/security.md) are
// the named tests in strict.test.mjs.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import {
  nextAuthJwt, SECRET, OTHER_SECRET, V4, V4S, V5, V5S, claims, mintV4, mintV5, authCoreJwt,
  nextRequest, chunk, withEnv, now, craftJwe,
} from './helpers/tokens.mjs'

const require = createRequire(import.meta.url)
const native = require('../lib/jwt.js')
const nativeMain = require('../lib/index.js')

/** Runs both getTokens on the same request and asserts equal results (values and key order). */
async function agree(makeReq, params = {}, expectNull) {
  const ref = await nextAuthJwt.getToken({ req: makeReq(), ...params })
  const ours = await native.getToken({ req: makeReq(), ...params })
  assert.deepStrictEqual(ours, ref)
  assert.equal(JSON.stringify(ours), JSON.stringify(ref))
  if (expectNull === true) assert.equal(ours, null)
  if (expectNull === false) assert.notEqual(ours, null)
  if (params.decode === undefined) {
    const { decode, ...rest } = params
    assert.deepStrictEqual(native.getTokenSync({ req: makeReq(), ...rest }), ref)
  }
  return ours
}

const req = (cookie, auth) => () => nextRequest(cookie, auth)

describe('exports', () => {
  test('main and /jwt export the same functions', () => {
    for (const k of ['getToken', 'getTokenSync', 'encode', 'decode']) assert.equal(typeof nativeMain[k], 'function')
    assert.equal(nativeMain.getToken, native.getToken)
  })
  test('missing req throws like next-auth', async () => {
    await assert.rejects(nextAuthJwt.getToken({}), /Must pass `req`/)
    await assert.rejects(native.getToken({}), /Must pass `req`/)
    await assert.rejects(native.getToken({ req: null, secret: SECRET }), /Must pass `req`/)
    assert.throws(() => native.getTokenSync({ secret: SECRET }), /Must pass `req`/)
  })
})

describe('cookie path', () => {
  test('valid v4 cookie, custom claims keep their order', async () => {
    const t = await mintV4({ z: 1, name: 'N', nested: { a: [1, 2, { b: null }] }, sub: 's', unicode: 'é😀' })
    const out = await agree(req(`${V4}=${t}`), { secret: SECRET }, false)
    assert.deepEqual(Object.keys(out).slice(0, 5), ['z', 'name', 'nested', 'sub', 'unicode'])
  })
  test('cookie among others, spaces after separators', async () => {
    const t = await mintV4()
    await agree(req(`a=1;  b=2;${V4}=${t}; c=3`), { secret: SECRET }, false)
  })
  test('optional whitespace around pairs and around = (issue 14 item 8)', async () => {
    const t = await mintV4()
    for (const c of [` ${V4}=${t} ;x=1`, `x=1;  ${V4}=${t} ; y=2`, `${V4}=${t}\t; x=1`, `${V4} =${t}`]) {
      await agree(req(c), { secret: SECRET }, false)
    }
    // A blank before the value breaks next-auth's AAD: both deny.
    await agree(req(`${V4}= ${t}`), { secret: SECRET }, true)
  })
  test('a future iat and extra JWE header members are accepted (issue 14 item 8)', async () => {
    const body = JSON.stringify({ sub: 'f', iat: now() + 86400, exp: now() + 3600 })
    await agree(req(`${V4}=${await craftJwe(body)}`), { secret: SECRET }, false)
    for (const extra of [{ typ: 'JWT' }, { cty: 'JWT' }, { kid: 'k', 'urn:x': [1] }]) {
      await agree(req(`${V4}=${await craftJwe(body, { alg: 'dir', enc: 'A256GCM', ...extra })}`), { secret: SECRET }, false)
    }
  })
  test('no cookie, other cookies only, empty value', async () => {
    await agree(req(undefined), { secret: SECRET }, true)
    await agree(req('a=1; b=2'), { secret: SECRET }, true)
    await agree(req(`${V4}=`), { secret: SECRET }, true)
  })
  test('other secret, missing secret, empty secret', async () => {
    const t = await mintV4()
    await agree(req(`${V4}=${t}`), { secret: OTHER_SECRET }, true)
    await withEnv({ NEXTAUTH_SECRET: undefined, AUTH_SECRET: undefined }, () => agree(req(`${V4}=${t}`), {}, true))
    await withEnv({ NEXTAUTH_SECRET: '', AUTH_SECRET: SECRET }, () => agree(req(`${V4}=${t}`), {}, true))
  })
  test('secret from env: NEXTAUTH_SECRET, then AUTH_SECRET', async () => {
    const t = await mintV4()
    await withEnv({ NEXTAUTH_SECRET: SECRET, AUTH_SECRET: undefined }, () => agree(req(`${V4}=${t}`), {}, false))
    await withEnv({ NEXTAUTH_SECRET: undefined, AUTH_SECRET: SECRET }, () => agree(req(`${V4}=${t}`), {}, false))
    await withEnv({ NEXTAUTH_SECRET: OTHER_SECRET, AUTH_SECRET: SECRET }, () => agree(req(`${V4}=${t}`), {}, true))
  })
  test('Buffer secret', async () => {
    const t = await mintV4(claims, { secret: Buffer.from(SECRET) })
    await agree(req(`${V4}=${t}`), { secret: Buffer.from(SECRET) }, false)
  })
  test('expired and not-yet-expired tokens', async () => {
    await agree(req(`${V4}=${await mintV4(claims, { maxAge: -30 })}`), { secret: SECRET }, true)
    await agree(req(`${V4}=${await mintV4(claims, { maxAge: -5 })}`), { secret: SECRET }, false) // within 15 s tolerance
    await agree(req(`${V4}=${await mintV4(claims, { maxAge: 60 })}`), { secret: SECRET }, false)
  })
  test('tampered and malformed tokens', async () => {
    const t = await mintV4()
    const parts = t.split('.')
    const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
    const cases = [
      [parts[0], '', flip(parts[2], 3), parts[3], parts[4]].join('.'),
      [parts[0], '', parts[2], flip(parts[3], 5), parts[4]].join('.'),
      [parts[0], '', parts[2], parts[3], flip(parts[4], 2)].join('.'),
      [parts[0], '', parts[2], parts[3]].join('.'),
      t + '.x',
      'garbage', 'a.b.c.d.e', '....', 'eyJhbGciOiJIUzI1NiJ9.e30.sig',
      '3f6c1b2e-7a44-4f0e-9d0b-1c2d3e4f5a6b', // a database session token
    ]
    for (const c of cases) await agree(req(`${V4}=${c}`), { secret: SECRET }, true)
  })
  test('v5 token in the v4 cookie is rejected by both', async () => {
    await agree(req(`${V4}=${await mintV5(claims, { salt: V4 })}`), { secret: SECRET }, true)
  })
})

describe('cookie names (docs/compatibility.md §1.2)', () => {
  const matrix = [
    [{ NEXTAUTH_URL: undefined, VERCEL: undefined }, false],
    [{ NEXTAUTH_URL: undefined, VERCEL: '' }, false],
    [{ NEXTAUTH_URL: undefined, VERCEL: '0' }, true],
    [{ NEXTAUTH_URL: undefined, VERCEL: '1' }, true],
    [{ NEXTAUTH_URL: 'https://app.example.com', VERCEL: undefined }, true],
    [{ NEXTAUTH_URL: 'https://app.example.com', VERCEL: '1' }, true],
    [{ NEXTAUTH_URL: 'http://localhost:3000', VERCEL: '1' }, false],
    [{ NEXTAUTH_URL: 'HTTPS://app.example.com', VERCEL: undefined }, false],
    [{ NEXTAUTH_URL: 'app.example.com', VERCEL: undefined }, false],
    [{ NEXTAUTH_URL: '', VERCEL: '1' }, false],
  ]
  for (const [env, secure] of matrix) {
    test(`env ${JSON.stringify(env)} reads ${secure ? V4S : V4}`, async () => {
      const t = await mintV4()
      await withEnv(env, async () => {
        await agree(req(`${V4S}=${t}`), { secret: SECRET }, !secure)
        await agree(req(`${V4}=${t}`), { secret: SECRET }, secure)
      })
    })
  }
  // The JS side reads process.env.NEXTAUTH_URL/VERCEL at call time, as
  // next-auth does, whatever process.env is (Node's store, a copy, a Proxy,
  // a worker's own store).
  test('process.env replaced by a plain object or a Proxy (Jest-style): follows that object', async () => {
    const t = await mintV4()
    const real = process.env
    try {
      for (const fake of [{ ...real }, new Proxy({ ...real }, {})]) {
        process.env = fake
        fake.NEXTAUTH_URL = 'https://app.example.com'
        await agree(req(`${V4S}=${t}`), { secret: SECRET }, false)
        await agree(req(`${V4}=${t}`), { secret: SECRET }, true)
        delete fake.NEXTAUTH_URL
        fake.VERCEL = '1'
        await agree(req(`${V4S}=${t}`), { secret: SECRET }, false)
        delete fake.VERCEL
        await agree(req(`${V4}=${t}`), { secret: SECRET }, false)
        assert.equal(real.NEXTAUTH_URL, undefined, 'the OS environment was not touched')
      }
    } finally {
      process.env = real
    }
    await agree(req(`${V4}=${t}`), { secret: SECRET }, false)
  })
  test('worker thread: its own process.env decides, as in next-auth', async () => {
    const t = await mintV4()
    const { Worker } = await import('node:worker_threads')
    const script = `
      const { parentPort, workerData } = require('node:worker_threads')
      const ours = require(workerData.ours)
      const ref = require(workerData.ref)
      const { NextRequest } = require(workerData.next)
      const mk = (c) => new NextRequest('http://localhost/', { headers: { cookie: c } })
      ;(async () => {
        const out = []
        for (const url of [undefined, 'https://app.example.com', 'http://localhost:3000']) {
          if (url === undefined) delete process.env.NEXTAUTH_URL
          else process.env.NEXTAUTH_URL = url
          for (const name of workerData.names) {
            const r = mk(name + '=' + workerData.token)
            const a = await ref.getToken({ req: r, secret: workerData.secret })
            const b = await ours.getToken({ req: mk(name + '=' + workerData.token), secret: workerData.secret })
            out.push([url ?? null, name, a?.sub ?? null, b?.sub ?? null])
          }
        }
        parentPort.postMessage(out)
      })()`
    const rows = await new Promise((resolve, reject) => {
      const w = new Worker(script, {
        eval: true,
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NEXTAUTH_URL' && k !== 'VERCEL')),
        workerData: {
          ours: require.resolve('../lib/jwt.js'), ref: require.resolve('next-auth/jwt'), next: require.resolve('next/server'),
          token: t, secret: SECRET, names: [V4, V4S],
        },
      })
      w.once('message', resolve)
      w.once('error', reject)
    })
    assert.equal(rows.length, 6)
    for (const [url, name, ref, ours] of rows) {
      assert.equal(ours, ref, `${url} ${name}`)
      assert.equal(ref === null, (url?.startsWith('https://') ?? false) !== (name === V4S), `${url} ${name}`)
    }
    assert.equal(process.env.NEXTAUTH_URL, undefined, 'the worker did not change the main thread\'s env')
  })
  test('secureCookie and cookieName overrides', async () => {
    const t = await mintV4()
    await withEnv({ NEXTAUTH_URL: undefined, VERCEL: undefined }, async () => {
      await agree(req(`${V4S}=${t}`), { secret: SECRET, secureCookie: true }, false)
      await agree(req(`${V4}=${t}`), { secret: SECRET, secureCookie: true }, true)
      await agree(req(`my-app.session=${t}`), { secret: SECRET, cookieName: 'my-app.session' }, false)
      await agree(req(`${V4}=${t}`), { secret: SECRET, cookieName: 'my-app.session' }, true)
      await agree(req(`__Host-sess=${t}`), { secret: SECRET, cookieName: '__Host-sess', secureCookie: true }, false)
    })
  })
})

describe('chunked cookies (docs/compatibility.md §2)', () => {
  async function bigToken() {
    return mintV4({ ...claims, blob: 'x'.repeat(9000) })
  }
  test('chunks in order, reversed, shuffled', async () => {
    const t = await bigToken()
    const chunks = chunk(V4, t)
    assert.equal(chunks.length, 4)
    const h = (list) => list.map(([k, v]) => `${k}=${v}`).join('; ')
    await agree(req(h(chunks)), { secret: SECRET }, false)
    await agree(req(h([...chunks].reverse())), { secret: SECRET }, false)
    await agree(req(h([chunks[2], chunks[0], chunks[3], chunks[1]])), { secret: SECRET }, false)
    await agree(req(h(chunks)), { secret: SECRET, raw: true }, false)
  })
  test('a gap, a missing tail, a missing head', async () => {
    const t = await bigToken()
    const c = chunk(V4, t)
    const h = (list) => list.map(([k, v]) => `${k}=${v}`).join('; ')
    await agree(req(h([c[0], c[1], c[3]])), { secret: SECRET }, true)
    await agree(req(h([c[0], c[1], c[2]])), { secret: SECRET }, true)
    await agree(req(h([c[1], c[2], c[3]])), { secret: SECRET }, true)
  })
  test('base and chunks mixed', async () => {
    const t = await bigToken()
    const c = chunk(V4, t)
    const h = (list) => list.map(([k, v]) => `${k}=${v}`).join('; ')
    const small = await mintV4()
    await agree(req(h([[V4, small], ...c])), { secret: SECRET }, true)
    await agree(req(h([...c, [V4, small]])), { secret: SECRET }, true)
    // a deleted (empty) base next to the chunks: next-auth reads the chunks
    await agree(req(h([[V4, ''], ...c])), { secret: SECRET }, false)
  })
  test('a single chunk .0', async () => {
    const t = await mintV4()
    await agree(req(`${V4}.0=${t}`), { secret: SECRET }, false)
  })
})

describe('Bearer fallback (docs/security.md CK-6)', () => {
  test('header variants, NextRequest and plain headers', async () => {
    const t = await mintV4()
    const variants = [
      `Bearer ${t}`, `Bearer ${encodeURIComponent(t)}`, `Bearer  ${t}`, `bearer ${t}`,
      `Token ${t}`, 'Bearer', 'Bearer ', 'Bearer %E0%A4%A', 'Bearer %', `Bearer ${t.replace(/\./g, '%2E')}`,
    ]
    for (const v of variants) {
      await agree(req(undefined, v), { secret: SECRET })
      await agree(req(undefined, v), { secret: SECRET, raw: true })
      await agree(() => ({ headers: { authorization: v }, cookies: {} }), { secret: SECRET })
      await agree(() => ({ headers: { authorization: v }, cookies: {} }), { secret: SECRET, raw: true })
    }
    // Stricter (issue 14 item 9): a Bearer credential is one token; next-auth reads `Bearer T extra` as T.
    assert.notEqual(await nextAuthJwt.getToken({ req: req(undefined, `Bearer ${t} extra`)(), secret: SECRET }), null)
    assert.equal(await native.getToken({ req: req(undefined, `Bearer ${t} extra`)(), secret: SECRET }), null)
  })
  test('a cookie, even garbage, wins over Bearer', async () => {
    const t = await mintV4()
    await agree(req(`${V4}=garbage`, `Bearer ${t}`), { secret: SECRET }, true)
    await agree(req(`${V4}=${t}`, 'Bearer garbage'), { secret: SECRET }, false)
  })
  test('capitalised Authorization key in a plain object is not read', async () => {
    const t = await mintV4()
    await agree(() => ({ headers: { Authorization: `Bearer ${t}` }, cookies: {} }), { secret: SECRET }, true)
  })
})

describe('raw', () => {
  test('raw returns the reassembled token without checks', async () => {
    const t = await mintV4()
    await agree(req(`${V4}=${t}`), { secret: SECRET, raw: true }, false)
    await agree(req(`${V4}=not-a-jwe`), { secret: SECRET, raw: true }, false)
    await agree(req(`${V4}=3f6c1b2e-7a44-4f0e-9d0b-1c2d3e4f5a6b`), { secret: OTHER_SECRET, raw: true }, false)
    await agree(req(undefined), { secret: SECRET, raw: true }, true)
  })
})

describe('request shapes (docs/compatibility.md §1.4)', () => {
  test('Pages-router request: plain cookies object and headers', async () => {
    const t = await mintV4()
    await agree(() => ({ headers: { cookie: `${V4}=${t}` }, cookies: { [V4]: t } }), { secret: SECRET }, false)
    await agree(() => ({ cookies: { [V4]: t }, headers: {} }), { secret: SECRET }, false)
    await agree(() => ({ cookies: new Map([[V4, t]]), headers: {} }), { secret: SECRET }, false)
    await agree(() => ({ cookies: { a: '1' }, headers: {} }), { secret: SECRET }, true)
  })
  test('custom decode callback receives { token, secret } only', async () => {
    const t = await mintV4()
    const seen = []
    const decode = async (p) => { seen.push(Object.keys(p).sort().join()); return { custom: p.token.length } }
    await agree(req(`${V4}=${t}`), { secret: SECRET, decode }, false)
    assert.deepEqual(seen, ['secret,token', 'secret,token'])
    await agree(req(`${V4}=${t}`), { secret: SECRET, decode: () => { throw new Error('x') } }, true)
    await agree(req(`${V4}=${t}`), { secret: SECRET, decode: nextAuthJwt.decode }, false)
    await agree(req(`${V4}=${t}`), { secret: SECRET, decode: native.decode }, false)
  })
})

describe('state/PKCE/nonce cookies offered as a session (GHSA-v64w-49xw-qq89)', () => {
  test('a salted check-cookie JWE does not decode as a session', async () => {
    for (const name of ['next-auth.state', 'next-auth.pkce.code_verifier', 'next-auth.nonce']) {
      const t = await mintV4({ value: 'abc', provider: 'github' }, { salt: name, maxAge: 900 })
      await agree(req(`${V4}=${t}`), { secret: SECRET }, true)
    }
  })
})

describe('encode/decode interoperate with next-auth/jwt', () => {
  test('our encode decodes in next-auth, and the reverse', async () => {
    const ours = await native.encode({ token: { ...claims, iat: 1, jti: 'x' }, secret: SECRET })
    const viaRef = await nextAuthJwt.decode({ token: ours, secret: SECRET })
    assert.equal(viaRef.name, claims.name)
    assert.deepEqual(Object.keys(viaRef), ['name', 'email', 'picture', 'sub', 'role', 'iat', 'jti', 'exp'])
    assert.ok(Math.abs(viaRef.exp - (now() + 30 * 24 * 3600)) <= 1)
    assert.match(viaRef.jti, /^[0-9a-f-]{36}$/)
    const theirs = await nextAuthJwt.encode({ token: claims, secret: SECRET })
    assert.deepEqual(await native.decode({ token: theirs, secret: SECRET }), await nextAuthJwt.decode({ token: theirs, secret: SECRET }))
    assert.equal(ours.split('.')[0], theirs.split('.')[0])
    assert.equal(ours.length, theirs.length)
  })
  test('salted encode/decode (check cookies) and maxAge', async () => {
    const ours = await native.encode({ token: { value: 'v' }, secret: SECRET, salt: 'next-auth.state', maxAge: 900 })
    const ref = await nextAuthJwt.decode({ token: ours, secret: SECRET, salt: 'next-auth.state' })
    assert.equal(ref.value, 'v')
    assert.ok(Math.abs(ref.exp - (now() + 900)) <= 1)
  })
  test('decode: null for empty, rejects for invalid, like next-auth', async () => {
    assert.equal(await native.decode({ token: '', secret: SECRET }), null)
    assert.equal(await nextAuthJwt.decode({ token: '', secret: SECRET }), null)
    await assert.rejects(native.decode({ token: 'garbage', secret: SECRET }))
    await assert.rejects(nextAuthJwt.decode({ token: 'garbage', secret: SECRET }))
    const t = await mintV4()
    await assert.rejects(native.decode({ token: t, secret: OTHER_SECRET }))
    await assert.rejects(native.encode({ token: 'str', secret: SECRET }))
    await assert.rejects(nextAuthJwt.encode({ token: 'str', secret: SECRET }))
  })
})

describe('Auth.js v5 cookies (@auth/core 0.41.3)', () => {
  test('v5 cookie read with v5 rules when no v4 cookie is present', async () => {
    const { getToken: v5GetToken } = await authCoreJwt()
    const t = await mintV5()
    const mk = () => nextRequest(`${V5}=${t}`)
    const ref = await v5GetToken({ req: mk(), secret: SECRET })
    const ours = await native.getToken({ req: mk(), secret: SECRET })
    assert.deepStrictEqual(ours, ref)
    assert.equal(ours.name, claims.name)
  })
  test('explicit salt (v5 getToken form) and secure v5 name', async () => {
    const { getToken: v5GetToken } = await authCoreJwt()
    const t = await mintV5(claims, { salt: V5S })
    const mk = () => nextRequest(`${V5S}=${t}`)
    for (const p of [{ secureCookie: true }, { secureCookie: true, salt: V5S }]) {
      const ref = await v5GetToken({ req: mk(), secret: SECRET, ...p })
      assert.deepStrictEqual(await native.getToken({ req: mk(), secret: SECRET, ...p }), ref)
      assert.notEqual(ref, null)
    }
  })
  test('rotation: new secret first, old tokens still read via kid', async () => {
    const { getToken: v5GetToken } = await authCoreJwt()
    const old = await mintV5(claims, { secret: OTHER_SECRET })
    const fresh = await mintV5(claims, { secret: SECRET })
    const secret = [SECRET, OTHER_SECRET]
    for (const t of [old, fresh]) {
      const mk = () => nextRequest(`${V5}=${t}`)
      const ref = await v5GetToken({ req: mk(), secret })
      assert.notEqual(ref, null)
      assert.deepStrictEqual(await native.getToken({ req: mk(), secret }), ref)
    }
    // the old secret removed: its tokens stop working at once
    const mk = () => nextRequest(`${V5}=${old}`)
    assert.equal(await v5GetToken({ req: mk(), secret: [SECRET] }), null)
    assert.equal(await native.getToken({ req: mk(), secret: [SECRET] }), null)
  })
  test('chunked v5 cookie', async () => {
    const { getToken: v5GetToken } = await authCoreJwt()
    const t = await mintV5({ ...claims, blob: 'y'.repeat(8000) })
    const h = chunk(V5, t, 3936).reverse().map(([k, v]) => `${k}=${v}`).join('; ')
    const ref = await v5GetToken({ req: nextRequest(h), secret: SECRET })
    assert.notEqual(ref, null)
    assert.deepStrictEqual(await native.getToken({ req: nextRequest(h), secret: SECRET }), ref)
  })
  test('v5 token minted for another cookie name is rejected (salt binding)', async () => {
    const t = await mintV5(claims, { salt: 'other.session-token' })
    assert.equal(await native.getToken({ req: nextRequest(`${V5}=${t}`), secret: SECRET }), null)
  })
  test('v5 Bearer token is read with v5 rules and the default v5 salt', async () => {
    const t = await mintV5()
    const out = await native.getToken({ req: nextRequest(undefined, `Bearer ${t}`), secret: SECRET })
    assert.equal(out?.email, claims.email)
  })
  test('v4 cookie wins over a v5 cookie', async () => {
    const v4 = await mintV4({ v: 4 })
    const v5 = await mintV5({ v: 5 })
    const out = await native.getToken({ req: nextRequest(`${V5}=${v5}; ${V4}=${v4}`), secret: SECRET })
    assert.equal(out.v, 4)
  })
})
