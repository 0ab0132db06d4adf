// @tier unit
// forwardIdentity builds the continue response's x-middleware-request-* /
// x-middleware-override-headers headers itself, in one pass over the request
// headers (lib/middleware.js nextWithRequestHeaders). These tests hold it to
// exactly what NextResponse.next({ request: { headers } }) returns for the
// headers the route should see: the request's own without any client-sent
// x-auth-* header, plus the forwarded claims and the MAC.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { SECRET, V4, mintV4, withEnv, NextRequest } from './helpers/tokens.mjs'

const require = createRequire(import.meta.url)
const ours = require('../lib/middleware.js')
const native = require('../lib/native.js')
const { NextResponse } = require('next/server')

const ENV = { NEXTAUTH_URL: undefined, NEXTAUTH_SECRET: undefined, AUTH_SECRET: undefined }
const CLAIMS = ['sub', 'email', 'role', 'name', 'groups', 'n', 'padded', 'missing']
const TOKEN = { sub: '1', email: 'u@example.com', role: 'user', name: 'Zoë 日本', groups: ['a', 'b'], n: 42, padded: ' x ' }

/** Same rule as lib/middleware.js headerValue (the documented forwarded format). */
const headerValue = (v) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v)
  return /[^\x20-\x7e]/.test(s) ? encodeURIComponent(s) : s
}

/** A NextRequest whose headers are `pairs` appended in order (duplicates kept as Headers keeps them). */
function mk(path, pairs) {
  const headers = new Headers()
  for (const [k, v] of pairs) headers.append(k, v)
  return new NextRequest(`http://localhost:3000${path}`, { headers })
}

/** What the route should see: `base` without x-auth-*, plus the identity and the given MAC (or none). */
function expectedRequestHeaders(base, identity, mac) {
  const h = new Headers(base)
  for (const k of [...h.keys()]) if (k.startsWith('x-auth-')) h.delete(k)
  if (identity) {
    const names = native.identityHeaderNames(CLAIMS)
    CLAIMS.forEach((c, i) => {
      if (identity[c] !== undefined && identity[c] !== null) h.set(names[i], headerValue(identity[c]))
    })
    if (mac !== null) h.set('x-auth-mac', mac)
  }
  return h
}

function forwarded(res) {
  const h = new Headers()
  for (const n of res.headers.get('x-middleware-override-headers').split(',')) if (n) h.set(n, res.headers.get(`x-middleware-request-${n}`))
  return h
}

const entries = (res) => [...res.headers]

const INPUTS = {
  plain: [['accept', 'text/html'], ['user-agent', 'bench/1.0']],
  'client-sent identity headers': [
    ['x-auth-role', 'admin'], ['X-Auth-Sub', '0'], ['x-auth-mac', 'forged'], ['x-auth-unlisted', 'y'], ['x-other', 'kept'],
  ],
  'duplicated headers': [
    ['accept', 'text/html'], ['accept', 'application/json'], ['x-dup', 'a'], ['X-Dup', 'b'],
    ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-auth-role', 'admin'], ['x-auth-role', 'root'],
  ],
  'non-ASCII values': [['x-latin1', 'caf\u00e9'], ['user-agent', 'M\u00fcller/\u00ff'], ['x-auth-name', '\u00e9vil']],
  'names sorting around x-auth-': [
    ['z-last', '1'], ['x-authz', '2'], ['x-auth', '3'], ['x-auth!', '4'], ['x-auth.', '5'], ['a-first', '6'], ['x-b', '7'], ['x-auth-role', 'admin'],
  ],
  'only the cookie': [],
}

describe('identity headers: exactly what NextResponse.next({ request: { headers } }) gives', () => {
  const opts = { secret: SECRET, forwardIdentity: CLAIMS, publicPaths: ['/public'] }

  for (const [what, pairs] of Object.entries(INPUTS)) {
    test(`signed in, ${what}`, async () => {
      const t = await mintV4(TOKEN)
      const req = mk('/dashboard', [['cookie', `${V4}=${t}`], ...pairs])
      const res = await withEnv(ENV, () => ours.withAuth(opts)(req, {}))
      assert.ok(res instanceof NextResponse)
      assert.equal(res.status, 200)
      const mac = res.headers.get('x-middleware-request-x-auth-mac')
      assert.ok(mac, 'the MAC is set')
      const ref = NextResponse.next({ request: { headers: expectedRequestHeaders(req.headers, TOKEN, mac) } })
      assert.deepEqual(entries(res), entries(ref))
    })
  }

  test('signed in without untrimmed claims: readIdentity verifies the one-pass headers', async () => {
    const claims = CLAIMS.filter((c) => c !== 'padded')
    const t = await mintV4(TOKEN)
    const req = mk('/dashboard', [['cookie', `${V4}=${t}`], ...INPUTS['client-sent identity headers'], ...INPUTS['duplicated headers']])
    const res = await withEnv(ENV, () => ours.withAuth({ secret: SECRET, forwardIdentity: claims })(req, {}))
    const id = await withEnv(ENV, () => ours.readIdentity(forwarded(res), { secret: SECRET }))
    assert.deepEqual(id, { sub: '1', email: 'u@example.com', role: 'user', name: encodeURIComponent('Zoë 日本'), groups: '["a","b"]', n: '42' })
  })

  for (const [what, pairs] of Object.entries(INPUTS)) {
    if (!pairs.some(([k]) => k.toLowerCase().startsWith('x-auth-'))) continue
    test(`a skipped route, ${what}: client identity headers stripped, nothing added`, async () => {
      const req = mk('/public', pairs)
      const res = await withEnv(ENV, () => ours.withAuth(opts)(req, {}))
      const ref = NextResponse.next({ request: { headers: expectedRequestHeaders(req.headers, null, null) } })
      assert.deepEqual(entries(res), entries(ref))
    })
  }

  test('a middleware that overrides request headers itself: its headers, the same encoding', async () => {
    const t = await mintV4(TOKEN)
    const custom = () => {
      const h = new Headers()
      for (const [k, v] of [...INPUTS['duplicated headers'], ...INPUTS['non-ASCII values'], ['x-custom', '1']]) h.append(k, v)
      return h
    }
    const req = mk('/dashboard', [['cookie', `${V4}=${t}`], ['x-other', 'dropped by the override']])
    const res = await withEnv(ENV, () => ours.withAuth(() => NextResponse.next({ request: { headers: custom() } }), opts)(req, {}))
    const mac = res.headers.get('x-middleware-request-x-auth-mac')
    // The base is what the middleware's own response hands the route (a repeated set-cookie
    // arrives once, with its last value, as Next applies it).
    const theirs = forwarded(NextResponse.next({ request: { headers: custom() } }))
    const ref = NextResponse.next({ request: { headers: expectedRequestHeaders(theirs, TOKEN, mac) } })
    assert.deepEqual(entries(res), entries(ref))
    assert.equal(forwarded(res).get('x-other'), null)
  })
})
