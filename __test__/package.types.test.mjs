// `tsc --strict --noEmit` over the shipped .d.ts files from a consumer's point of view:
// next-auth's `declare module 'next-auth/jwt'` augmentation flowing into getToken and
// req.nextauth.token, next-auth's `pages`, `authorized: Awaitable<boolean>`, every withAuth
// call form, verifySession/requireSession, withNextAuthNative, the generated index.d.ts, under
// moduleResolution bundler, node (node10, via typesVersions) and nodenext.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc')
const work = path.join(root, '__test__', 'output', 'types-app')

function setup() {
  rmSync(work, { recursive: true, force: true })
  mkdirSync(path.join(work, 'node_modules'), { recursive: true })
  // The package as a consumer resolves it; next, next-auth and @types/* resolve from the repository.
  symlinkSync(root, path.join(work, 'node_modules', 'next-auth-native'), 'dir')
  cpSync(path.join(root, '__test__', 'fixtures', 'types', 'consumer.ts'), path.join(work, 'consumer.ts'))
}

function compile(name, compilerOptions) {
  const config = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      types: ['node'],
      // Our own declaration files are checked (they are part of the program through "files");
      // skipLibCheck stays on for next's and react's, which are not ours to fix.
      skipLibCheck: true,
      noUnusedLocals: false,
      ...compilerOptions,
    },
    files: ['consumer.ts', 'node_modules/next-auth-native/index.d.ts', ...['index', 'jwt', 'middleware', 'session', 'next-config'].map((f) => `node_modules/next-auth-native/lib/${f}.d.ts`)],
  }
  writeFileSync(path.join(work, `tsconfig.${name}.json`), JSON.stringify(config, null, 2))
  return spawnSync(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], { cwd: work, encoding: 'utf8' })
}

test('shipped .d.ts files compile under tsc --strict with the next-auth augmentation and every call form', async (t) => {
  setup()
  const variants = {
    bundler: { module: 'esnext', moduleResolution: 'bundler' },
    node10: { module: 'commonjs', moduleResolution: 'node', esModuleInterop: true },
    nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  }
  for (const [name, opts] of Object.entries(variants)) {
    await t.test(`moduleResolution ${opts.moduleResolution}`, () => {
      const r = compile(name, opts)
      assert.equal(r.status, 0, `tsc (${name}) failed:\n${r.stdout}${r.stderr}`)
    })
  }
})

test('skipLibCheck off: our declaration files themselves have no errors', () => {
  setup()
  const r = compile('strictlib', { module: 'esnext', moduleResolution: 'bundler', skipLibCheck: false })
  const ours = (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => /error TS/.test(l))
    // Errors are reported by real path: ours are consumer.ts and the repository's index.d.ts / lib/*.d.ts.
    .filter((l) => !l.includes('node_modules/') || /node_modules\/next-auth-native\//.test(l))
  assert.deepEqual(ours, [], ours.join('\n'))
})
