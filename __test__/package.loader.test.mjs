// The loader (lib/native.js around the napi-generated index.js): the one clear
// error when no binary fits (faked platforms), the Edge-runtime error, ESM named
// imports from plain Node, and withNextAuthNative. Runs against this checkout's
// locally built binary; no network, no cargo.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

import { hostTarget } from '../scripts/package.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const preload = path.join(root, '__test__', 'helpers', 'fake-platform.cjs')
const require = createRequire(import.meta.url)

function loadWith(env, code = "require('./lib/index.js').getTokenSync") {
  const r = spawnSync(process.execPath, ['--require', preload, '-e', code], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  })
  return { status: r.status, stderr: r.stderr, stdout: r.stdout }
}

function assertNoBinaryMessage(stderr, target) {
  assert.match(stderr, /ERR_NEXT_AUTH_NATIVE_NO_BINARY|no native binary for this platform/)
  assert.ok(stderr.includes(`(${target}, Node ${process.versions.node})`), `names the platform ${target}:\n${stderr}`)
  assert.ok(stderr.includes(`"next-auth-native-${target}"`), `names the package it looked for:\n${stderr}`)
  assert.match(stderr, /Install with optional dependencies enabled/, 'fix 1')
  assert.match(stderr, /--omit=optional/, 'fix 1 names the flag that causes it')
  assert.match(stderr, /npm run build/, 'fix 2: build from source')
  assert.doesNotMatch(stderr, /npm has a bug related to optional dependencies/, "npm's generic advice is replaced")
}

test('unsupported platform (freebsd-x64): one message with the platform, the package and both fixes', () => {
  const r = loadWith({ FAKE_PLATFORM: 'freebsd', FAKE_ARCH: 'x64' })
  assert.notEqual(r.status, 0)
  assertNoBinaryMessage(r.stderr, 'freebsd-x64')
  assert.match(r.stderr, /no prebuilt package is published for freebsd-x64/)
})

test('supported platform whose optional package is missing (darwin-arm64, win32-x64-msvc)', () => {
  // Two published targets other than this machine's (whose binary is present here).
  const fakes = [['darwin', 'arm64', 'darwin-arm64'], ['win32', 'x64', 'win32-x64-msvc'], ['darwin', 'x64', 'darwin-x64']]
  for (const [platform, arch, target] of fakes.filter(([, , t]) => t !== hostTarget()).slice(0, 2)) {
    const r = loadWith({ FAKE_PLATFORM: platform, FAKE_ARCH: arch })
    assert.notEqual(r.status, 0)
    assertNoBinaryMessage(r.stderr, target)
    assert.match(r.stderr, new RegExp(`looked for the optional dependency "next-auth-native-${target}"`))
  }
})

test('the error is thrown by every entry point, with the loader errors as its cause', () => {
  for (const entry of ['./lib/index.js', './lib/jwt.js', './lib/session.js', './lib/middleware.js']) {
    const r = loadWith(
      { FAKE_PLATFORM: 'freebsd', FAKE_ARCH: 'arm64' },
      `try { require(${JSON.stringify(entry)}); process.exit(3) } catch (e) { console.error(e.code, e.message, '| cause:', !!e.cause); process.exit(e.code === 'ERR_NEXT_AUTH_NATIVE_NO_BINARY' && e.cause ? 2 : 4) }`,
    )
    assert.equal(r.status, 2, `${entry}: ${r.stderr}`)
  }
})

test('Edge runtime: a clear "set runtime: \'nodejs\'" error', () => {
  const r = loadWith({ FAKE_EDGE_RUNTIME: '1' })
  assert.notEqual(r.status, 0)
  assert.match(r.stderr, /ERR_NEXT_AUTH_NATIVE_EDGE|cannot run in the Edge runtime/)
  assert.match(r.stderr, /runtime: 'nodejs'/)
})

test('ESM named imports from the package root and every subpath work in plain Node', () => {
  const code = `
    import { getToken, getTokenSync, encode, decode, verifySession } from 'next-auth-native'
    import def from 'next-auth-native'
    import { getToken as g2 } from 'next-auth-native/jwt'
    import withAuthDefault, { withAuth, requireSession, handleMiddleware } from 'next-auth-native/middleware'
    import { verifySession as v2, sessionFromToken } from 'next-auth-native/session'
    import { withNextAuthNative } from 'next-auth-native/next-config'
    const fns = { getToken, getTokenSync, encode, decode, verifySession, g2, withAuth, withAuthDefault, requireSession, handleMiddleware, v2, sessionFromToken, withNextAuthNative }
    for (const [k, f] of Object.entries(fns)) if (typeof f !== 'function') throw new Error(k + ' is ' + typeof f)
    if (getToken !== g2 || verifySession !== v2 || def.getToken !== getToken) throw new Error('not the same functions as CommonJS')
    const t = await encode({ token: { sub: 'u1' }, secret: 's'.repeat(32) })
    const back = await decode({ token: t, secret: 's'.repeat(32) })
    if (back.sub !== 'u1') throw new Error('round trip failed')
    console.log('ok')
  `
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim(), 'ok')
})

test('withNextAuthNative adds the package to serverExternalPackages (object and function configs)', async () => {
  const { withNextAuthNative } = require('../lib/next-config.js')
  assert.deepEqual(withNextAuthNative({}).serverExternalPackages, ['next-auth-native'])
  assert.deepEqual(withNextAuthNative().serverExternalPackages, ['next-auth-native'])
  const keep = withNextAuthNative({ output: 'standalone', serverExternalPackages: ['pg', 'next-auth-native'] })
  assert.deepEqual(keep.serverExternalPackages, ['pg', 'next-auth-native'])
  assert.equal(keep.output, 'standalone')
  const input = { serverExternalPackages: ['pg'] }
  withNextAuthNative(input)
  assert.deepEqual(input.serverExternalPackages, ['pg'], 'the input config is not mutated')
  const fn = withNextAuthNative((phase) => ({ poweredByHeader: phase === 'x' }))
  assert.equal(fn('x', {}).poweredByHeader, true)
  assert.deepEqual(fn('x', {}).serverExternalPackages, ['next-auth-native'])
  const asyncFn = withNextAuthNative(async () => ({ reactStrictMode: true }))
  assert.deepEqual((await asyncFn('x', {})).serverExternalPackages, ['next-auth-native'])
  // File tracing: the package's own files for every route, merged into the app's includes.
  const traced = withNextAuthNative({ outputFileTracingIncludes: { '/api/x': ['./data/**'], '/**': ['./extra'] } }).outputFileTracingIncludes
  assert.deepEqual(traced['/api/x'], ['./data/**'])
  assert.equal(traced['/**'][0], './extra')
  assert.ok(traced['/**'].length >= 2)
  assert.throws(() => withNextAuthNative({ outputFileTracingIncludes: [] }), /outputFileTracingIncludes must be an object/)
  assert.throws(() => withNextAuthNative({ serverExternalPackages: 'next-auth-native' }), /must be an array/)
  assert.throws(() => withNextAuthNative([]), /must be an object or a function/)
})
