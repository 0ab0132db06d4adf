// Writes the seed corpora of the fuzz targets (fuzz/seeds/<target>/) from
// tokens and cookies minted by the real next-auth@4.24.15, @auth/core and
// jose, never by the crate under test. Run from the repo root:
//   node fuzz/seed.mjs
// then `node scripts/fuzz.mjs --cmin` minimises them into fuzz/corpus/.
// The JWS keys are fuzz/keys/*.pub.*; their private halves live in
// fuzz/keys/private/ (not committed) and are made anew when missing,
// which also rewrites the public files.
import { mkdirSync, writeFileSync, existsSync, readFileSync, rmSync } from 'node:fs'
import { createHash, createHmac, generateKeyPairSync, createPrivateKey, createPublicKey } from 'node:crypto'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mintV4, mintV5, craftJwe, chunk, jose4, SECRET, v4Key, claims, FAR } from '../__test__/helpers/tokens.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const seeds = join(here, 'seeds')
const keysDir = join(here, 'keys')
const NOW = 1_796_083_200 // fuzz_targets/common.rs NOW
const HS_SECRET = 'fuzz-jws-hmac-secret-0123456789abcdef-xyz'
const V4 = 'next-auth.session-token'
const V5 = 'authjs.session-token'

const out = {}
function put(target, bytes) {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes)
  ;(out[target] ??= []).push(buf)
}
const withMode = (mode, s) => Buffer.concat([Buffer.from([mode]), Buffer.from(s)])

// ---- keys -------------------------------------------------------------
function ensureKeys() {
  const priv = join(keysDir, 'private')
  mkdirSync(priv, { recursive: true })
  const specs = {
    rsa: ['rsa', { modulusLength: 2048 }],
    p256: ['ec', { namedCurve: 'P-256' }],
    p384: ['ec', { namedCurve: 'P-384' }],
    ed25519: ['ed25519', {}],
  }
  const keys = {}
  for (const [name, [type, opts]] of Object.entries(specs)) {
    const file = join(priv, `${name}.pk8.pem`)
    if (!existsSync(file)) {
      const { privateKey } = generateKeyPairSync(type, opts)
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }))
    }
    const privateKey = createPrivateKey(readFileSync(file))
    const pub = createPublicKey(privateKey)
    writeFileSync(join(keysDir, `${name}.pub.pem`), pub.export({ type: 'spki', format: 'pem' }))
    writeFileSync(join(keysDir, `${name}.pub.der`), pub.export({ type: 'spki', format: 'der' }))
    if (name === 'rsa') writeFileSync(join(keysDir, 'rsa.pkcs1.der'), pub.export({ type: 'pkcs1', format: 'der' }))
    keys[name] = privateKey
  }
  return keys
}

// ---- tokens -----------------------------------------------------------
const far = { ...claims, iat: NOW, exp: NOW + FAR, jti: 'c6f2c3a0-5f5e-4d0c-9a8e-0d1f6f9c1a11' }
const v4a = await mintV4()
const v4b = await mintV4({ name: 'x'.repeat(6000), email: 'big@example.com', sub: 'u2' }) // chunked
const v4c = await mintV4({ sub: 'u3', role: 'user' })
const v5a = await mintV5()
const v5b = await mintV5({ sub: 'u5', email: 'v5@example.com' })
const expired = await craftJwe(JSON.stringify({ ...claims, iat: NOW - 100, exp: NOW - 60 }))
const noExp = await craftJwe(JSON.stringify({ sub: 'u' }))
const checkCookie = await craftJwe(JSON.stringify({ value: 'abc', iat: NOW, exp: NOW + 900 }))
const v5Gcm = await craftJwe(
  JSON.stringify(far),
  { alg: 'dir', enc: 'A256GCM', kid: 'x' },
  // Auth.js v5 GCM key: HKDF info "Auth.js Generated Encryption Key (<salt>)"
  new Uint8Array((await import('node:crypto')).hkdfSync('sha256', SECRET, V5, `Auth.js Generated Encryption Key (${V5})`, 32)),
)
const withZip = await craftJwe(JSON.stringify(far), { alg: 'dir', enc: 'A256GCM', zip: 'DEF' })
const tokens = [v4a, v4b, v4c, v5a, v5b, expired, noExp, checkCookie, v5Gcm, withZip]

// jwe_decrypt: mode 0x00 + token; 0x80 + plaintext
for (const t of tokens) put('jwe_decrypt', withMode(0, t))
for (const t of [v4a, v5a]) {
  const [h, , iv, ct, tag] = t.split('.')
  put('jwe_decrypt', withMode(0, [h, 'AA', iv, ct, tag].join('.')))
  put('jwe_decrypt', withMode(0, [h, '', iv, ct.slice(0, -2), tag].join('.')))
}
for (const p of [far, { sub: 'u', exp: NOW + 10 }, { value: 'v', exp: NOW + 10 }, { exp: 'x' }, { exp: NOW + 60, nbf: NOW + 3600 }])
  put('jwe_decrypt', withMode(0x80, JSON.stringify(p)))

// cookie_header: mode (0 plain names, 1 __Secure- names, 2 "a"/"b") + header
const cookie = (pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('; ')
const headers = [
  cookie([[V4, v4a]]),
  cookie([['other', '1'], [V4, v4a], ['theme', 'dark']]),
  cookie(chunk(V4, v4b)),
  cookie([...chunk(V4, v4b)].reverse()),
  cookie([[V5, v5a]]),
  cookie([[V4, v4a], [V4, v4a]]),
  cookie([[V4, v4a], [V4, v4c]]),
  cookie([[`${V4}.0`, 'x'], [`${V4}.2`, 'y']]),
  cookie([[V4, 'a'], [`${V4}.0`, 'b']]),
  cookie([[`${V4}.01`, 'b'], [`${V4}.x`, 'c'], [`${V4}.8`, 'd']]),
  cookie([[V4, encodeURIComponent('a b;c')], [V5, '%E2%82%AC'], ['bad', '%ZZ']]),
  `${V4}; ${V5}=`,
  '  ' + cookie([[V4, v4a]]) + ';;;  ',
]
for (const h of headers) put('cookie_header', withMode(0, h))
put('cookie_header', withMode(1, cookie([[`__Secure-${V4}`, v4a], [`__Secure-${V5}`, v5a]])))
put('cookie_header', withMode(2, 'a.0=x; a.1=y; b=z; a.2=; c=1'))
put('cookie_header', withMode(2, 'Bearer ' + v4a))
put('cookie_header', withMode(2, 'Bearer%20x y'))

// jws_verify: family index (0 HS, 1 RSA, 2 P-256, 3 P-384, 4 Ed25519) + token
const keys = ensureKeys()
const jwsClaims = { sub: 'u1', name: 'JWS User', iat: NOW, exp: NOW + FAR }
const sign = (alg, key, payload = jwsClaims, header = {}) =>
  new jose4.SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...header }).sign(key)
const hs = new TextEncoder().encode(HS_SECRET)
// A header jose refuses to write (crit), signed by hand with node:crypto.
function hmacJws(header, payload) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = `${enc(header)}.${enc(payload)}`
  return `${input}.${createHmac('sha256', HS_SECRET).update(input).digest('base64url')}`
}
const jws = [
  [0, await sign('HS256', hs)],
  [0, await sign('HS384', hs)],
  [0, await sign('HS512', hs, { ...jwsClaims, nbf: NOW - 10 })],
  [0, await sign('HS256', hs, { sub: 'x', exp: NOW - 3600 })],
  [0, hmacJws({ alg: 'HS256', crit: ['x'], x: 1 }, jwsClaims)],
  [1, await sign('RS256', keys.rsa)],
  [1, await sign('PS256', keys.rsa)],
  [1, await sign('RS512', keys.rsa, jwsClaims, { kid: 'k1' })],
  [2, await sign('ES256', keys.p256)],
  [3, await sign('ES384', keys.p384)],
  [4, await sign('EdDSA', keys.ed25519)],
  [1, await sign('HS256', hs)], // wrong family
]
for (const [m, t] of jws) put('jws_verify', withMode(m, t))
const hsTok = jws[0][1].split('.')
put('jws_verify', withMode(0, `${Buffer.from('{"alg":"none"}').toString('base64url')}.${hsTok[1]}.`))
put('jws_verify', withMode(0x80, JSON.stringify(jwsClaims)))

// json_differential + claims_check: the payloads next-auth and Auth.js write
const decode4 = (await import('next-auth/jwt')).decode
const payloads = [
  JSON.stringify(await decode4({ token: v4a, secret: SECRET })),
  JSON.stringify(await decode4({ token: v4c, secret: SECRET })),
  JSON.stringify(far),
  '{}',
  ' { "exp" : 1e10 , "a" : [1, {"b": null}], "s": "\\u00e9\\n" } ',
  '{"exp":1,"exp":2}',
  '{"a":{"x":1,"x":2},"exp":2000000000}',
  '{"exp":-0,"iat":12345678901234567,"nbf":1.5}',
  '{"value":"v","provider":"github","iat":1,"exp":2000000000,"jti":"j"}',
  '{"exp":"2000000000","iat":true}',
  '[1,2]',
]
for (const p of payloads) {
  put('json_differential', p)
  put('claims_check', Buffer.concat([Buffer.alloc(8), Buffer.from([0]), Buffer.from(p)]))
}
put('claims_check', Buffer.concat([Buffer.alloc(8), Buffer.from([1]), Buffer.alloc(28, 2)]))

// path_policy: pathname \n search \n basePath \n origin \n signIn \n error \n public \n protected
const paths = [
  ['/dashboard', '', '', 'http://localhost:3000'],
  ['/admin', '?x=1', '', 'http://localhost:3000'],
  ['/api/auth/session', '', '', 'http://localhost:3000'],
  ['/api/authors', '', '', 'http://localhost:3000'],
  ['/api/auth%2f../admin', '', '', 'http://localhost:3000'],
  ['/public/x', '?__nextDataReq=1', '', 'http://localhost:3000', '/login', '/err', '/public'],
  ['/docs', '?a=b c&d=é', '/base', 'https://example.com', '//evil.example/signin'],
  ['//admin', '', '', 'http://localhost:3000', '\\\\evil', '/api/auth/error', '', '/admin/*'],
  ['/_next/static/chunk.js', '', '', 'http://localhost:3000', 'https://auth.example/signin'],
  ['/_next/data/build/admin.json', '', '', 'http://localhost:3000'],
]
for (const p of paths) put('path_policy', p.join('\n'))
put('path_policy', 'example.com/custom/path/?q#f')

// store_time: what databases and /api/auth/session hand over
for (const s of [
  '2026-12-31T23:59:59.999Z', '2026-01-02 03:04:05', '2026-01-02T03:04:05.123456+05:30', '2026-01-02T03:04-0800',
  '2026-01-02T03:04:05+01', '2024-02-29', '2023-02-29', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999z',
  new Date(NOW * 1000 + 86400e3 * 30).toISOString(),
]) put('store_time', s)
put('store_time', Buffer.from(BigInt.asUintN(64, BigInt(NOW) * 1000n << 8n).toString(16).padStart(16, '0'), 'hex').reverse())

// session_body: the shape of /api/auth/session
const expires = new Date((NOW + 30 * 86400) * 1000).toISOString()
for (const b of [
  { user: { name: 'Demo User', email: 'demo@example.com', image: null, id: 'u1' }, expires },
  { user: { name: 'x' }, expires: '2200-01-01T00:00:00Z' },
  { user: {}, expires },
  { user: { name: 'x' }, expires: '2020-01-01T00:00:00.000Z' },
  {},
]) put('session_body', JSON.stringify(b))
put('session_body', `{"user":{"name":"a","name":"b"},"expires":"${expires}"}`)
put('session_body', `{"user":{"name":"a"},"expires":"${expires}","expires":"2020-01-01"}`)

// ---- write --------------------------------------------------------------
rmSync(seeds, { recursive: true, force: true })
let total = 0
for (const [target, list] of Object.entries(out)) {
  const dir = join(seeds, target)
  mkdirSync(dir, { recursive: true })
  for (const buf of list) {
    writeFileSync(join(dir, createHash('sha1').update(buf).digest('hex')), buf)
    total += buf.length
  }
  console.log(`${target}: ${list.length} seeds`)
}
console.log(`seeds: ${total} bytes in ${seeds}`)
