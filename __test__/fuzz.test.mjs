// Random bytes and the malformed shapes of docs/security.md through getToken:
// no crash, no hang, no exception, only null (or the raw string with raw: true).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { randomBytes, randomInt } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { SECRET, V4, V5, mintV4, mintV5, nextRequest } from './helpers/tokens.mjs'

const require = createRequire(import.meta.url)
const native = require('../lib/jwt.js')

function mutate(s) {
  const ops = [
    () => s.slice(0, randomInt(s.length + 1)),
    () => s + randomBytes(randomInt(1, 8)).toString('latin1'),
    () => { const i = randomInt(s.length || 1); return s.slice(0, i) + String.fromCharCode(randomInt(0, 0x3000)) + s.slice(i + 1) },
    () => s.split('.').reverse().join('.'),
    () => s.replace(/\./g, () => (randomInt(2) ? '.' : '..')),
    () => s.replace(/[A-Za-z]/, '%'),
    () => s + '='.repeat(randomInt(1, 3)),
  ]
  return ops[randomInt(ops.length)]()
}

const shapes = (t, t5) => [
  '', ';', ';;;', '=', '==', `${V4}`, `${V4}=`, `${V4}==`, `=${t}`, `${V4}=${t};${V4}=${t}x`,
  `${V4}.0=${t}`, `${V4}.00=${t}`, `${V4}.-1=${t}`, `${V4}.0x1=${t}`, `${V4}.999999999999=${t}`, `${V4}.1=${t}`,
  `${V4}=%`, `${V4}=%E0%A4%A`, `${V4}=%00`, `${V4}="${t}"`, `${V4}=${'A'.repeat(70000)}`,
  `${V4}=${'a.'.repeat(5000)}`, `${V4}=${'.'.repeat(4)}`, `${V4}=e30.e30.e30.e30.e30`,
  `${V4}=${Buffer.from('{"alg":"dir","enc":"A256GCM","p":' + '['.repeat(1000) + ']'.repeat(1000) + '}').toString('base64url')}..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA`,
  Array.from({ length: 1000 }, (_, i) => `c${i}=${i}`).join('; ') + `; ${V4}=${t}`,
  `${V5}=${t}`, `${V4}=${t5}`, `\u0000${V4}=${t}`, `${V4}\u0000=${t}`, `${V4}=${t}\r\nX: y`,
  `${V4}=${t.replace(/\./g, '%2E')}`, `${V4}=${t.slice(0, 20)}`, `${V4}=${'\uFFFF'.repeat(100)}`,
]

test('malformed shapes and random mutations give null, never a throw', async () => {
  const t = await mintV4()
  const t5 = await mintV5()
  const inputs = shapes(t, t5)
  for (let i = 0; i < 3000; i++) inputs.push(`${V4}=${mutate(i % 2 ? t : t5)}`)
  for (let i = 0; i < 500; i++) inputs.push(randomBytes(randomInt(0, 600)).toString('latin1'))
  // What the two genuine tokens decode to: any input that is accepted must decode to one of these.
  const genuine = [`${V4}=${t}`, `${V5}=${t5}`].map((cookie) => native.getTokenSync({ req: { headers: { cookie } }, secret: SECRET }))
  assert.ok(genuine.every((g) => g !== null && typeof g.exp === 'number'))
  let nonNull = 0
  for (const cookie of inputs) {
    for (const auth of [undefined, `Bearer ${mutate(t)}`, randomBytes(40).toString('latin1')]) {
      const reqObj = { headers: { cookie, ...(auth === undefined ? {} : { authorization: auth }) } }
      const out = native.getTokenSync({ req: reqObj, secret: SECRET })
      if (out !== null) {
        nonNull++
        // a mutation may still be a valid token only if it is the token itself
        assert.ok(genuine.some((g) => isDeepStrictEqual(out, g)), `accepted an input that is not a genuine token: ${JSON.stringify(cookie).slice(0, 200)}`)
      }
      const raw = native.getTokenSync({ req: reqObj, secret: SECRET, raw: true })
      assert.ok(raw === null || typeof raw === 'string')
    }
  }
  assert.ok(nonNull < inputs.length * 0.05, `unexpectedly many accepted: ${nonNull}`)
})

test('random bytes in NextRequest headers', async () => {
  for (let i = 0; i < 300; i++) {
    const v = randomBytes(randomInt(1, 300)).toString('base64')
    const out = await native.getToken({ req: nextRequest(`${V4}=${v}`, `Bearer ${v}`), secret: SECRET })
    assert.equal(out, null)
  }
})

test('odd parameter types do not throw', async () => {
  const req = nextRequest(`${V4}=x`)
  for (const secret of [null, [], [''], Buffer.alloc(0), new Uint8Array(3), 'x'.repeat(5000)]) {
    assert.equal(await native.getToken({ req, secret }), null)
  }
  // Not a secret at all: a configuration error with a code (issue 10), never a crash.
  for (const secret of [0, {}, [null]]) {
    await assert.rejects(native.getToken({ req, secret }), (e) => e.code === 'CONFIG_INVALID')
  }
  for (const cookieName of [null, 5, '', 'x'.repeat(3000)]) {
    assert.equal(await native.getToken({ req, secret: SECRET, cookieName }), null)
  }
  assert.equal(await native.getToken({ req: { headers: null }, secret: SECRET }), null)
  assert.equal(await native.getToken({ req: { headers: { cookie: 5, authorization: ['Bearer x'] } }, secret: SECRET }), null)
  assert.equal(await native.getToken({ req: { cookies: { [V4]: 5 } }, secret: SECRET }), null)
  assert.equal(await native.getToken({ req: 'string', secret: SECRET }), null)
})
