#!/usr/bin/env node
// Coverage-guided fuzzing of the Rust core (issue 12).
//
//   npm run fuzz -- --seconds N      run every target N seconds (default 60)
//   options: --jobs J                targets run side by side (default 1)
//            --targets a,b           a subset
//            --cmin                  minimise fuzz/seeds + fuzz/corpus (+ the last run's finds) into fuzz/corpus
//            --json FILE             also write the table as JSON
//            --no-build              use the binaries already built
//
// The targets (fuzz/fuzz_targets/*.rs, the usual cargo-fuzz layout) are built
// once as plain libFuzzer binaries with the instrumentation `cargo fuzz build
// -s none` uses, with `cargo +nightly build`: no cargo-fuzz install needed,
// and no AddressSanitizer (the crate is #![deny(unsafe_code)]; a panic or an
// assertion is the finding). `cargo +nightly fuzz run <target>` works too.
// Each run reads the committed corpus fuzz/corpus/<target>/ and writes what it
// finds to fuzz/target/found/<target>/ (never into the committed corpus);
// crashing inputs land in fuzz/artifacts/<target>/. Exit status 1 on a crash.
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, statSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const fuzzDir = join(root, 'fuzz')
const TRIPLE = hostTriple()
const binDir = join(fuzzDir, 'target', TRIPLE, 'release')

// Longest input per target: room for the size caps to be exercised.
const MAX_LEN = {
  cookie_header: 36 * 1024,
  jwe_decrypt: 17 * 1024,
  jws_verify: 17 * 1024,
  json_differential: 8192,
  claims_check: 4096,
  path_policy: 4096,
  store_time: 256,
  session_body: 8192,
}
export const TARGETS = Object.keys(MAX_LEN)
/** Bytes of committed corpus per target at most (`--cmin`). */
const CORPUS_BUDGET = 64 * 1024

export const RUSTFLAGS = [
  '-Cpasses=sancov-module',
  '-Cllvm-args=-sanitizer-coverage-level=4',
  '-Cllvm-args=-sanitizer-coverage-inline-8bit-counters',
  '-Cllvm-args=-sanitizer-coverage-pc-table',
  '-Cllvm-args=-sanitizer-coverage-trace-compares',
  '--cfg', 'fuzzing',
  '-Cdebug-assertions',
  '-Coverflow-checks',
].join(' ')

function hostTriple() {
  const r = spawnSync('rustc', ['-vV'], { encoding: 'utf8' })
  const m = /host: (\S+)/.exec(r.stdout || '')
  return m ? m[1] : 'x86_64-unknown-linux-gnu'
}

function parseArgs(argv) {
  const o = { seconds: 60, jobs: 1, targets: TARGETS, cmin: false, build: true, json: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--seconds') o.seconds = Number(argv[++i])
    else if (a === '--jobs') o.jobs = Math.max(1, Number(argv[++i]))
    else if (a === '--targets') o.targets = argv[++i].split(',').filter(Boolean)
    else if (a === '--cmin') o.cmin = true
    else if (a === '--no-build') o.build = false
    else if (a === '--json') o.json = argv[++i]
    else throw new Error(`unknown option ${a} (see the header of scripts/fuzz.mjs)`)
  }
  if (!(o.seconds > 0)) throw new Error('--seconds must be a positive number')
  for (const t of o.targets) if (!MAX_LEN[t]) throw new Error(`unknown target ${t}; targets: ${TARGETS.join(', ')}`)
  return o
}

export function build() {
  const t0 = Date.now()
  const r = spawnSync(
    'cargo',
    ['+nightly', 'build', '--release', '--locked', '--target', TRIPLE, '--bins', '--manifest-path', join(fuzzDir, 'Cargo.toml')],
    { stdio: 'inherit', env: { ...process.env, RUSTFLAGS } },
  )
  if (r.status !== 0) throw new Error('building the fuzz targets failed (needs the nightly toolchain: rustup toolchain install nightly)')
  return (Date.now() - t0) / 1000
}

const dirs = (t) => ({
  corpus: join(fuzzDir, 'corpus', t),
  seeds: join(fuzzDir, 'seeds', t),
  found: join(fuzzDir, 'target', 'found', t),
  artifacts: join(fuzzDir, 'artifacts', t),
})

function run(bin, args, onLine) {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let buf = ''
    const feed = (d) => {
      buf += d
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i))
        buf = buf.slice(i + 1)
      }
    }
    p.stdout.on('data', feed)
    p.stderr.on('data', feed)
    p.on('close', (code, signal) => {
      if (buf) onLine(buf)
      resolve({ code, signal })
    })
  })
}

async function fuzzOne(t, seconds) {
  const d = dirs(t)
  for (const p of [d.found, d.artifacts, d.corpus]) mkdirSync(p, { recursive: true })
  const before = new Set(readdirSync(d.artifacts))
  const stats = { target: t, seconds, execs: 0, execsPerSec: 0, cov: 0, ft: 0, corpus: 0, newUnits: 0, peakRssMb: 0, crashes: 0, crashFiles: [] }
  const tail = []
  const args = [
    `-max_total_time=${seconds}`,
    '-print_final_stats=1',
    `-max_len=${MAX_LEN[t]}`,
    '-timeout=10',
    '-rss_limit_mb=2048',
    `-artifact_prefix=${d.artifacts}/`,
    d.found,
    d.corpus,
    ...(existsSync(d.seeds) ? [d.seeds] : []),
  ]
  const res = await run(join(binDir, t), args, (line) => {
    tail.push(line)
    if (tail.length > 60) tail.shift()
    let m
    if ((m = /^#(\d+)\s+\S+\s+cov: (\d+) ft: (\d+) corp: (\d+)/.exec(line))) {
      stats.execs = Math.max(stats.execs, Number(m[1]))
      stats.cov = Number(m[2])
      stats.ft = Number(m[3])
      stats.corpus = Number(m[4])
    } else if ((m = /^stat::number_of_executed_units: (\d+)/.exec(line))) stats.execs = Number(m[1])
    else if ((m = /^stat::average_exec_per_sec: (\d+)/.exec(line))) stats.execsPerSec = Number(m[1])
    else if ((m = /^stat::new_units_added: (\d+)/.exec(line))) stats.newUnits = Number(m[1])
    else if ((m = /^stat::peak_rss_mb: (\d+)/.exec(line))) stats.peakRssMb = Number(m[1])
  })
  if (!stats.execsPerSec) stats.execsPerSec = Math.round(stats.execs / seconds)
  stats.crashFiles = readdirSync(d.artifacts).filter((f) => !before.has(f) && /^(crash|timeout|oom|leak|slow-unit)-/.test(f))
  stats.crashes = stats.crashFiles.filter((f) => !f.startsWith('slow-unit')).length
  if (res.code !== 0 && stats.crashes === 0) stats.crashes = 1 // died without an artifact
  if (stats.crashes) {
    console.error(`\n--- ${t}: exit ${res.code ?? res.signal}; last output ---\n${tail.join('\n')}\n`)
  }
  return stats
}

function cmin(t) {
  const d = dirs(t)
  const next = `${d.corpus}.cmin`
  rmSync(next, { recursive: true, force: true })
  mkdirSync(next, { recursive: true })
  // A snapshot of the finds: a fuzzer still running may delete files from them.
  const snap = join(fuzzDir, 'target', 'cmin-snapshot', t)
  rmSync(snap, { recursive: true, force: true })
  if (existsSync(d.found)) cpSync(d.found, snap, { recursive: true })
  const inputs = [d.corpus, d.seeds, snap].filter((p) => existsSync(p))
  // What `cargo fuzz cmin` runs: libFuzzer's merge into an empty directory.
  const r = spawnSync(join(binDir, t), ['-merge=1', `-max_len=${MAX_LEN[t]}`, '-timeout=10', next, ...inputs], { encoding: 'utf8' })
  if (r.status !== 0) {
    rmSync(next, { recursive: true, force: true })
    throw new Error(`cmin of ${t} failed:\n${r.stderr.slice(-3000)}`)
  }
  // Keep the committed corpora small: past the budget, the largest inputs go
  // (the fuzzer regrows long inputs quickly from short ones).
  const sized = readdirSync(next).map((f) => ({ f, n: statSync(join(next, f)).size })).sort((a, b) => a.n - b.n)
  let total = 0
  for (const { f, n } of sized) {
    total += n
    if (total > CORPUS_BUDGET) rmSync(join(next, f))
  }
  rmSync(d.corpus, { recursive: true, force: true })
  renameSync(next, d.corpus)
  const files = readdirSync(d.corpus)
  const bytes = files.reduce((n, f) => n + statSync(join(d.corpus, f)).size, 0)
  return { target: t, files: files.length, bytes }
}

export function table(rows, cols) {
  const w = cols.map(([h, k]) => Math.max(h.length, ...rows.map((r) => String(r[k]).length)))
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(w[i])).join(' | ') + ' |'
  return [line(cols.map((c) => c[0])), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map((r) => line(cols.map((c) => r[c[1]])))].join('\n')
}

async function main() {
  const o = parseArgs(process.argv.slice(2))
  if (o.build) {
    const s = build()
    console.log(`built ${o.targets.length} targets in ${s.toFixed(0)} s`)
  }
  if (o.cmin) {
    const rows = o.targets.map(cmin)
    console.log(table(rows, [['target', 'target'], ['files', 'files'], ['bytes', 'bytes']]))
    return
  }
  const queue = [...o.targets]
  const results = []
  const t0 = Date.now()
  await Promise.all(
    Array.from({ length: Math.min(o.jobs, queue.length) }, async () => {
      while (queue.length) {
        const t = queue.shift()
        console.log(`[${new Date().toISOString()}] ${t}: ${o.seconds} s`)
        const r = await fuzzOne(t, o.seconds)
        console.log(`[${new Date().toISOString()}] ${t}: ${r.execs} execs, cov ${r.cov}, ft ${r.ft}, crashes ${r.crashes}`)
        results.push(r)
      }
    }),
  )
  results.sort((a, b) => o.targets.indexOf(a.target) - o.targets.indexOf(b.target))
  for (const r of results) r.crashList = r.crashFiles.join(' ') || '-'
  console.log(`\nfuzz: ${o.seconds} s per target, ${((Date.now() - t0) / 1000).toFixed(0)} s wall, ${o.jobs} at a time`)
  console.log(
    table(results, [
      ['target', 'target'],
      ['seconds', 'seconds'],
      ['execs', 'execs'],
      ['execs/s', 'execsPerSec'],
      ['cov (edges)', 'cov'],
      ['features', 'ft'],
      ['corpus', 'corpus'],
      ['new', 'newUnits'],
      ['peak RSS MB', 'peakRssMb'],
      ['crashes', 'crashes'],
    ]),
  )
  if (o.json) writeFileSync(o.json, JSON.stringify({ when: new Date().toISOString(), seconds: o.seconds, results }, null, 2))
  const crashed = results.filter((r) => r.crashes)
  if (crashed.length) {
    console.error(`\nCRASHES: ${crashed.map((r) => `${r.target}: ${r.crashList}`).join('; ')}`)
    process.exitCode = 1
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e.message)
    process.exit(2)
  })
}
