// `npm test` (after `pretest` installed deps and built the addon): the Rust
// core's tests, then every JS test in __test__/ with node's test runner.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

function run(cmd, args) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) {
    console.error(`\n${cmd} failed (exit ${r.status ?? r.signal})`)
    process.exit(r.status || 1)
  }
}

run('cargo', ['test', '--no-default-features', '--lib', '--locked'])
const only = process.argv.slice(2)
const files = readdirSync(path.join(root, '__test__'))
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .map((f) => path.join('__test__', f))
run(process.execPath, ['--test', '--test-concurrency=1', ...files])
