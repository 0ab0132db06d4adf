// @tier unit
// Every requirement ID cited in code, tests, benchmarks or examples resolves
// inside the repository: `INV-1`, `CK-2`, `DD-7`, … to an entry of
// docs/security.md, and `compatibility.md §N.M` to a section of
// docs/compatibility.md. Documents outside the repository are never cited.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SKIP = new Set(['node_modules', 'target', 'output', '.next', 'dist', 'corpus', 'artifacts', '.git', 'docs'])
const EXT = /\.(rs|js|mjs|cjs|ts|tsx|toml|yml|sh)$/

function* files(dir) {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue
    const p = path.join(dir, name)
    const s = statSync(p)
    if (s.isDirectory()) yield* files(p)
    else if (EXT.test(name) || name === 'run') yield p
  }
}

const security = readFileSync(path.join(root, 'docs', 'security.md'), 'utf8')
const compatibility = readFileSync(path.join(root, 'docs', 'compatibility.md'), 'utf8')
const ids = new Set([...security.matchAll(/^#{3,4} ((?:INV|NX|NA|JW|RS|CK|RD|SS|SC)-\d+)\b/gm)].map((m) => m[1]))
for (const m of security.matchAll(/\*\*(DD-\d+)\*\*/g)) ids.add(m[1])
const sections = new Set([...compatibility.matchAll(/^#{2,3} (§\d+(?:\.\d+)?)\s/gm)].map((m) => m[1]))

const ID = /\b(INV|NX|NA|JW|RS|CK|RD|SS|SC|DD)-(\d+)\b/g
// A range such as JW-3…JW-10 cites both ends.
const SECTION = /compatibility\.md (§\d+(?:\.\d+)?(?:[,–-] ?§?\d+(?:\.\d+)?)*)/g

test('docs define the IDs and sections they promise', () => {
  assert.ok(ids.has('INV-1') && ids.has('CK-2') && ids.has('DD-1'), 'docs/security.md lost its IDs')
  assert.ok(sections.has('§5.2') && sections.has('§1.2'), 'docs/compatibility.md lost its sections')
})

test('every cited ID and section resolves inside the repository', () => {
  const bad = []
  for (const f of files(root)) {
    const rel = path.relative(root, f)
    if (rel === path.join('__test__', 'citations.test.mjs')) continue
    const text = readFileSync(f, 'utf8')
    for (const m of text.matchAll(ID)) {
      if (!ids.has(`${m[1]}-${m[2]}`)) bad.push(`${rel}: ${m[0]} is not an entry of docs/security.md`)
    }
    for (const m of text.matchAll(SECTION)) {
      for (const part of m[1].split(/[,–-] ?/)) {
        const s = part.startsWith('§') ? part : `§${part}`
        if (!sections.has(s)) bad.push(`${rel}: compatibility.md ${s} is not a section of docs/compatibility.md`)
      }
    }
    for (const outside of ['nextauth-v4.md', 'nextjs-integration.md', 'anchors.md', 'shared/spec']) {
      if (text.includes(outside)) bad.push(`${rel}: cites ${outside}, which is not in the repository`)
    }
  }
  assert.deepEqual(bad, [])
})
