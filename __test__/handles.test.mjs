// @tier unit
// The one bounded cache of compiled native handles (lib/handles.js): readers,
// encode/decode keys, session stores and path policies share it, it never
// holds more than its bound, and a handle it dropped keeps working.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { handles, HandleCache, MAX_HANDLES } = require('../lib/handles.js')
const { getTokenSync, encode } = require('../lib/jwt.js')
const { verifySession } = require('../lib/session.js')

const req = (cookie) => ({ headers: new Headers(cookie ? { cookie } : {}) })

test('HandleCache: compiles once per key, drops the least recently used past its bound', () => {
  const c = new HandleCache(3)
  let made = 0
  const make = (v) => () => (made++, v)
  assert.equal(c.get('k', 'a', make('A')), 'A')
  assert.equal(c.get('k', 'a', make('other')), 'A', 'a hit does not compile')
  assert.equal(made, 1)
  c.get('k', 'b', make('B'))
  c.get('k', 'c', make('C'))
  c.get('k', 'a', make('x')) // refreshes a: b is now the oldest
  c.get('k', 'd', make('D'))
  assert.equal(c.size, 3)
  assert.equal(c.get('k', 'a', make('a2')), 'A', 'a was used recently: kept')
  assert.equal(c.get('k', 'b', make('b2')), 'b2', 'b was the least recently used: dropped')
  assert.equal(c.get('other-kind', 'a', make('kind')), 'kind', 'kinds do not share keys')
})

test('readers, keys, stores and policies all live in the one cache, within its bound', async () => {
  const secret = 'handles-test-secret-0123456789abcdef'
  const token = await encode({ token: { sub: 'u1' }, secret })
  const cookie = `next-auth.session-token=${token}`
  assert.equal(getTokenSync({ req: req(cookie), secret }).sub, 'u1')
  // Many distinct configurations (as an app that builds options per request would make).
  for (let i = 0; i < 2 * MAX_HANDLES; i++) {
    assert.equal(getTokenSync({ req: req(cookie), secret: `${secret}-${i}` }), null)
    // No cookie: the store is compiled, nothing is looked up (no file is opened).
    assert.equal(await verifySession({ req: req(), strategy: 'database', database: { url: `sqlite:/nonexistent/handles-${i}.db`, schema: 'prisma' } }), null)
  }
  assert.ok(handles.size <= MAX_HANDLES, `${handles.size} handles held (bound ${MAX_HANDLES})`)
  await encode({ token: { sub: 'u2' }, secret: `${secret}-encode` }) // a new key handle
  const kinds = new Set([...handles.map.keys()].map((k) => k.split('\u0000')[0]))
  for (const k of ['reader', 'key', 'store', 'store-options']) assert.ok(kinds.has(k), `kind ${k} present: ${[...kinds]}`)
  assert.ok(handles.size <= MAX_HANDLES)
  // The first reader was dropped long ago: asking again compiles a new one, with the same answer.
  assert.equal(getTokenSync({ req: req(cookie), secret }).sub, 'u1')
})
