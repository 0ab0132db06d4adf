// `npm run lint`: the hygiene checks CI runs.
//   1. cargo fmt --check (the whole crate, and fuzz/ when present);
//   2. cargo clippy -D warnings, for the core alone (--no-default-features,
//      with its tests) and for the napi binding (default features);
//   3. tsc --strict --noEmit over the shipped .d.ts files and a consumer's
//      type test (__test__/package.types.test.mjs).
// Each step prints its command; the first failure ends the run with its exit code.

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

function run(cmd, args, cwd = root) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' })
  if (r.status !== 0) {
    console.error(`\nlint failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`)
    process.exit(r.status || 1)
  }
}

run('cargo', ['fmt', '--all', '--check'])
if (existsSync(path.join(root, 'fuzz', 'Cargo.toml'))) {
  run('cargo', ['fmt', '--all', '--check', '--manifest-path', 'fuzz/Cargo.toml'])
}
run('cargo', ['clippy', '--locked', '--no-default-features', '--lib', '--tests', '--', '-D', 'warnings'])
run('cargo', ['clippy', '--locked', '--lib', '--', '-D', 'warnings'])

// The type test compiles a consumer app against the shipped declarations under
// three moduleResolution settings (see the test file).
run(process.execPath, ['--test', path.join('__test__', 'package.types.test.mjs')])
console.log('\nlint: all checks passed')
