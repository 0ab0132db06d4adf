// The test runner behind `npm test` and its tiers:
//
//   node scripts/test.mjs [--tier unit|integration|e2e]... [substring...]
//
// - unit: the Rust core's cargo tests, then the JS tests that need no server
//   (seconds);
// - integration: the JS tests that talk to real databases (PostgreSQL,
//   PgBouncer, MariaDB, Redis, SQLite files);
// - e2e: the JS tests that run `next build` + `next start`, install packed
//   tarballs, or drive Chromium.
//
// With no --tier every tier runs, in that order. A test file names its tier in
// a `// @tier <name>` line near its top; files without one fall back on their
// name (`e2e`, `oneliner` and `package.*` are e2e; other `db.*` files are
// integration; everything else is unit). Substrings narrow the run to matching file names.
// A database or browser test never skips under CI=true: the tests enforce that.

import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { parseArgs } from 'node:util'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const TIERS = ['unit', 'integration', 'e2e']

const { values, positionals } = parseArgs({
  options: { tier: { type: 'string', multiple: true } },
  allowPositionals: true,
})
const tiers = values.tier?.length ? values.tier : TIERS
for (const t of tiers) {
  if (!TIERS.includes(t)) {
    console.error(`unknown tier "${t}": use one of ${TIERS.join(', ')}`)
    process.exit(2)
  }
}

function tierOf(file) {
  const head = readFileSync(path.join(root, '__test__', file), 'utf8').slice(0, 2000)
  const marked = /^\/\/\s*@tier\s+(\w+)/m.exec(head)
  if (marked) {
    if (!TIERS.includes(marked[1])) throw new Error(`${file}: unknown @tier ${marked[1]}`)
    return marked[1]
  }
  if (/e2e|oneliner|^package\./.test(file)) return 'e2e'
  if (/^db\./.test(file)) return 'integration'
  return 'unit'
}

function run(cmd, args) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) {
    console.error(`\n${cmd} failed (exit ${r.status ?? r.signal})`)
    process.exit(r.status || 1)
  }
}

const all = readdirSync(path.join(root, '__test__'))
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => positionals.length === 0 || positionals.some((o) => f.includes(o)))
  .sort()

for (const tier of tiers) {
  if (tier === 'unit' && positionals.length === 0) {
    run('cargo', ['test', '--no-default-features', '--lib', '--locked'])
  }
  const files = all.filter((f) => tierOf(f) === tier).map((f) => path.join('__test__', f))
  if (files.length === 0) continue
  console.log(`\n== ${tier} tier: ${files.length} file(s)`)
  run(process.execPath, ['--test', '--test-concurrency=1', ...files])
}
