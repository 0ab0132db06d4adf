// The deliberate differences from next-auth 4.24.15, one named test each.
// Every one is either stricter (docs/security.md, "Deliberate differences" (DD-1…DD-6)) or an addition
// next-auth does not have; each asserts what next-auth does and what we do.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import { nextAuthJwt, SECRET, V4, V5, claims, mintV4, mintV5, craftJwe, nextRequest, now, tamper, v4Key, jose4 } from './helpers/tokens.mjs'

const require = createRequire(import.meta.url)
const native = require('../lib/jwt.js')

async function refAndOurs(makeReq, params = { secret: SECRET }) {
  return [await nextAuthJwt.getToken({ req: makeReq(), ...params }), await native.getToken({ req: makeReq(), ...params })]
}

function stricter(name, build) {
  test(`stricter: ${name}`, async () => {
    const cookie = await build()
    const [ref, ours] = await refAndOurs(() => nextRequest(cookie))
    assert.notEqual(ref, null, 'next-auth accepts this')
    assert.equal(ours, null, 'we reject it')
  })
}

const exp = () => now() + 3600
const body = (extra = '') => `{"sub":"1","exp":${exp()}${extra}}`

describe('stricter than next-auth (docs/security.md DD-3…DD-5)', () => {
  stricter('conflicting duplicate session cookies deny (CK-1)', async () => {
    return `${V4}=${await mintV4({ who: 'a' })}; ${V4}=${await mintV4({ who: 'b' })}`
  })
  stricter('a token without exp (JW-11a)', async () => `${V4}=${await craftJwe('{"sub":"1"}')}`)
  stricter('exp: 1e400 (never expires in JS) (JW-11b)', async () => `${V4}=${await craftJwe('{"sub":"1","exp":1e400}')}`)
  stricter('duplicate exp member (JW-12)', async () => `${V4}=${await craftJwe(`{"exp":1,"sub":"1","exp":${exp()}}`)}`)
  stricter('invalid UTF-8 in the payload (JW-13)', async () => {
    const bytes = Buffer.concat([Buffer.from(`{"sub":"`), Buffer.from([0xff, 0xfe]), Buffer.from(`","exp":${exp()}}`)])
    return `${V4}=${await craftJwe(bytes)}`
  })
  // jose 4 deflates the plaintext itself when the header says zip: "DEF".
  stricter('zip: "DEF" header (JW-4)', async () => `${V4}=${await craftJwe(body(), { alg: 'dir', enc: 'A256GCM', zip: 'DEF' })}`)
  // cty/typ/unknown header members are accepted now, as next-auth does (issue 14 item 8: security.test.mjs).
  stricter('alg A256KW instead of dir (JW-3)', async () => `${V4}=${await craftJwe(body(), { alg: 'A256KW', enc: 'A256GCM' })}`)
  stricter('padding and junk in the ciphertext segment (JW-9)', async () => {
    const p = (await mintV4()).split('.')
    return `${V4}=${[p[0], '', p[2], p[3] + '=', p[4]].join('.')}`
  })
  stricter('a check-cookie-shaped payload under the session key (NA-1)', async () =>
    `${V4}=${await craftJwe(`{"value":"x","provider":"github","iat":${now()},"exp":${exp()},"jti":"j"}`)}`)
  stricter('a chunk beyond .7 (CK-2, CK-5)', async () => {
    const t = await mintV4({ ...claims, blob: 'q'.repeat(30000) })
    const parts = []
    for (let i = 0; i * 3933 < t.length; i++) parts.push(`${V4}.${i}=${t.slice(i * 3933, (i + 1) * 3933)}`)
    assert.ok(parts.length > 8)
    return parts.join('; ')
  })

  test('a Cookie header over 32 KiB denies, exactly at the cap, also with multi-byte characters there (CK-5)', async () => {
    const t = await mintV4()
    const cap = 32 * 1024
    const head = `${V4}=${t}; pad=`
    const ref = await nextAuthJwt.getToken({ req: nextRequest(head + 'x'.repeat(cap)), secret: SECRET })
    assert.notEqual(ref, null, 'next-auth has no cap')
    for (const tail of ['', 'é', '€', '😀']) {
      for (let over = -3; over <= 8; over++) {
        const cookie = head + 'x'.repeat(cap + over - Buffer.byteLength(head) - Buffer.byteLength(tail)) + tail
        const bytes = Buffer.byteLength(cookie)
        // a bare Node request object: its header may hold any characters
        const ours = await native.getToken({ req: { headers: { cookie } }, secret: SECRET })
        assert.equal(ours === null, bytes > cap, `${bytes} bytes, ending ${JSON.stringify(tail)}`)
      }
    }
    const huge = await native.getToken({ req: { headers: { cookie: head + '😀'.repeat(100000) } }, secret: SECRET })
    assert.equal(huge, null)
  })
  test('PBES2 junk token is refused on its header, before any key work (JW-3)', async () => {
    const h = Buffer.from(JSON.stringify({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2c: 10000, p2s: 'AAAAAAAAAAAAAAAAAAAAAA' })).toString('base64url')
    const cookie = `${V4}=${h}.${'A'.repeat(96)}.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA`
    const [ref, ours] = await refAndOurs(() => nextRequest(cookie))
    assert.equal(ref, null)
    assert.equal(ours, null)
  })
})

describe('documented deviations and additions', () => {
  test('names that merely share the prefix are ignored, not concatenated (CK-2)', async () => {
    const t = await mintV4()
    const [ref, ours] = await refAndOurs(() => nextRequest(`${V4}-other=x; ${V4}=${t}`))
    assert.equal(ref, null, 'next-auth joins both values into an invalid token')
    assert.equal(ours?.sub, claims.sub)
  })
  test('a bare IncomingMessage: its Cookie header is read (next-auth reads nothing there)', async () => {
    const t = await mintV4()
    const mk = () => Object.assign(new Readable({ read() {} }), { headers: { cookie: `${V4}=${t}` } })
    const [ref, ours] = await refAndOurs(mk)
    assert.equal(ref, null)
    assert.equal(ours?.email, claims.email)
  })
  test('an Auth.js v5 cookie is read when no v4 cookie is present', async () => {
    const t = await mintV5()
    const [ref, ours] = await refAndOurs(() => nextRequest(`${V5}=${t}`))
    assert.equal(ref, null)
    assert.equal(ours?.email, claims.email)
  })
  test('secret arrays: v4 tokens are tried against each secret', async () => {
    const t = await mintV4()
    const ours = await native.getToken({ req: nextRequest(`${V4}=${t}`), secret: ['new-secret-new-secret-new-secret-00', SECRET] })
    assert.equal(ours?.sub, claims.sub)
  })
})

describe('native JWS (jwt option)', () => {
  const hsSecret = 'hs256-secret-hs256-secret-hs256-secret!'
  async function hs256(payload, alg = 'HS256') {
    return new jose4.SignJWT(payload).setProtectedHeader({ alg }).sign(new TextEncoder().encode(hsSecret))
  }
  test('HS256 token in the session cookie', async () => {
    const t = await hs256({ sub: '1', role: 'admin', exp: exp() })
    const out = await native.getToken({ req: nextRequest(`${V4}=${t}`), jwt: { algorithms: ['HS256'], secret: hsSecret } })
    assert.deepEqual(out, { sub: '1', role: 'admin', exp: out.exp })
    assert.equal(native.getTokenSync({ req: nextRequest(undefined, `Bearer ${t}`), jwt: { algorithms: ['HS256'], secret: hsSecret } })?.sub, '1')
  })
  test('wrong algorithm, expired, no exp, tampered → null', async () => {
    const jwt = { algorithms: ['HS256'], secret: hsSecret }
    for (const t of [
      await hs256({ sub: '1', exp: exp() }, 'HS512'),
      await hs256({ sub: '1', exp: now() - 60 }),
      await hs256({ sub: '1' }),
      tamper(await hs256({ sub: '1', exp: exp() })),
    ]) {
      assert.equal(await native.getToken({ req: nextRequest(`${V4}=${t}`), jwt }), null)
    }
  })
  test('RS256 with a PEM public key and with a JWK; issuer and audience', async () => {
    const { publicKey, privateKey } = await jose4.generateKeyPair('RS256')
    const pem = await jose4.exportSPKI(publicKey)
    const jwk = await jose4.exportJWK(publicKey)
    const t = await new jose4.SignJWT({ sub: '9', exp: exp() }).setProtectedHeader({ alg: 'RS256' })
      .setIssuer('me').setAudience('app').sign(privateKey)
    for (const publicKeyOpt of [pem, jwk]) {
      const jwt = { algorithms: ['RS256'], publicKey: publicKeyOpt, issuer: 'me', audience: 'app' }
      assert.equal((await native.getToken({ req: nextRequest(`${V4}=${t}`), jwt }))?.sub, '9')
      assert.equal(await native.getToken({ req: nextRequest(`${V4}=${t}`), jwt: { ...jwt, audience: 'other' } }), null)
    }
  })
  test('every supported asymmetric algorithm, with a PEM key', async () => {
    for (const alg of ['RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']) {
      const { publicKey, privateKey } = await jose4.generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : undefined)
      const pem = await jose4.exportSPKI(publicKey)
      const t = await new jose4.SignJWT({ sub: alg, exp: exp() }).setProtectedHeader({ alg }).sign(privateKey)
      const jwt = { algorithms: [alg], publicKey: pem }
      assert.equal((await native.getToken({ req: nextRequest(`${V4}=${t}`), jwt }))?.sub, alg, alg)
      // the same token with a different key of the same type is rejected
      const other = await jose4.generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : undefined)
      const otherPem = await jose4.exportSPKI(other.publicKey)
      assert.equal(await native.getToken({ req: nextRequest(`${V4}=${t}`), jwt: { ...jwt, publicKey: otherPem } }), null, alg)
    }
  })
  test('HS384/HS512, and an HS token against an RSA-configured reader (key confusion) is rejected', async () => {
    for (const alg of ['HS384', 'HS512']) {
      const t = await hs256({ sub: alg, exp: exp() }, alg)
      assert.equal((await native.getToken({ req: nextRequest(`${V4}=${t}`), jwt: { algorithms: [alg], secret: hsSecret } }))?.sub, alg)
    }
    const { publicKey } = await jose4.generateKeyPair('RS256')
    const pem = await jose4.exportSPKI(publicKey)
    const forged = await new jose4.SignJWT({ sub: 'x', exp: exp() }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(pem))
    assert.equal(await native.getToken({ req: nextRequest(`${V4}=${forged}`), jwt: { algorithms: ['RS256'], publicKey: pem } }), null)
  })
  test('a bad jwt configuration denies (and logs once) instead of throwing', async () => {
    const errors = []
    const logger = { error: (...a) => errors.push(a.join(' ')) }
    const t = await hs256({ sub: '1', exp: exp() })
    assert.equal(await native.getToken({ req: nextRequest(`${V4}=${t}`), jwt: { algorithms: ['HS256'], secret: 'short' }, logger }), null)
    assert.equal(await native.getToken({ req: nextRequest(`${V4}=${t}`), jwt: { algorithms: ['none'], secret: hsSecret }, logger }), null)
    // once: the first bad configuration is logged (JWT_CONFIG, naming the problem), the second is not
    assert.equal(errors.length, 1, errors.join('\n'))
    assert.match(errors[0], /\[JWT_CONFIG\] jwt\.secret must be at least 32 bytes/)
  })
})

test('the v4 session key matches the spec test vector', () => {
  assert.equal(Buffer.from(v4Key('nextauth-spec-test-secret-0123456789abcdef')).toString('hex'),
    '4599ef3db5258cfd0846cf43a28715c7a4d5166e55eac9aa4b90ace99d75817e')
})
