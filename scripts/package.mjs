// `npm run package`: build this machine's binary, put it into its platform
// package (npm/<target>/, what `napi artifacts` does in the release workflow),
// and write two npm tarballs to dist/:
//
//   dist/next-auth-native-<version>.tgz           the JS package, no .node inside,
//                                                  optionalDependencies pinned to every
//                                                  platform package at <version>
//   dist/next-auth-native-<target>-<version>.tgz  this machine's platform package
//
//   node scripts/package.mjs             build (release) + package
//   node scripts/package.mjs --no-build  package the binary already built
//   node scripts/package.mjs --check     the `prepack` guard (see below)
//
// `prepack` runs `--check`: a bare `npm pack` / `npm publish` of the root is
// refused unless package.json pins every platform package (as `napi prepublish
// -t npm` does in the release workflow) and each of them has its binary.
// Otherwise it would silently produce a package that cannot load anywhere.

import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
export const DIST = path.join(ROOT, 'dist')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

export function readPkg(dir = ROOT) {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
}

/** napi-rs' platform name of a Rust triple: x86_64-unknown-linux-gnu -> linux-x64-gnu. */
export function platformOfTriple(triple) {
  const [archPart, , osPart, abi] = triple.split('-')
  const arch = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }[archPart] ?? archPart
  if (triple.includes('apple-darwin')) return `darwin-${arch}`
  if (triple.includes('windows-msvc')) return `win32-${arch}-msvc`
  if (osPart === 'linux') return `linux-${arch}-${abi}`
  throw new Error(`unknown target triple ${triple}`)
}

/** The platform packages' names in package.json `napi.targets` order. */
export function platformTargets(pkg = readPkg()) {
  return pkg.napi.targets.map(platformOfTriple)
}

/** This machine's platform name, e.g. linux-x64-gnu (glibc vs musl by the running Node). */
export function hostTarget() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report?.getReport?.()?.header?.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

export function binaryName(target, pkg = readPkg()) {
  return `${pkg.napi.binaryName}.${target}.node`
}

function fail(msg) {
  console.error(`\n[package] ${msg}\n`)
  process.exit(1)
}

/** `prepack`: refuse a half package. */
function check() {
  const pkg = readPkg()
  const targets = platformTargets(pkg)
  const opt = pkg.optionalDependencies ?? {}
  const missingPins = targets.map((t) => `${pkg.name}-${t}`).filter((n) => opt[n] !== pkg.version)
  if (missingPins.length > 0) {
    fail(
      `refusing to pack ${pkg.name}: package.json does not pin ${missingPins.join(', ')} at ${pkg.version} in optionalDependencies,\n` +
        'so the package would install without any native binary.\n' +
        '  - to make installable tarballs of this machine: `npm run package` (writes dist/*.tgz)\n' +
        '  - to publish: the release workflow (.github/workflows/release.yml) runs `npm publish`, whose\n' +
        '    prepublishOnly (`napi prepublish -t npm`) publishes every platform package and pins them first.',
    )
  }
  const missingBinaries = targets.filter((t) => !existsSync(path.join(ROOT, 'npm', t, binaryName(t, pkg))))
  if (missingBinaries.length > 0) {
    fail(`refusing to pack ${pkg.name}: no binary in ${missingBinaries.map((t) => `npm/${t}/`).join(', ')} (run \`napi artifacts\` after downloading the build artifacts)`)
  }
  const rootNodes = readdirSync(ROOT).filter((f) => f.endsWith('.node'))
  if (rootNodes.length > 0 && (pkg.files ?? []).some((f) => f.includes('.node'))) {
    fail(`refusing to pack ${pkg.name}: "files" would ship ${rootNodes.join(', ')} in the JS package`)
  }
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts })
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`)
}

function packInto(dir) {
  const out = execFileSync(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', DIST], { cwd: dir, encoding: 'utf8' })
  const [info] = JSON.parse(out)
  return { file: path.join(DIST, info.filename), files: info.files.map((f) => f.path), size: info.size }
}

export function packageAll({ build = true } = {}) {
  const pkg = readPkg()
  const target = hostTarget()
  const targets = platformTargets(pkg)
  if (!targets.includes(target)) fail(`this machine is ${target}, which is not in package.json napi.targets (${targets.join(', ')})`)
  if (build) {
    const napi = createRequire(path.join(ROOT, 'package.json')).resolve('@napi-rs/cli/package.json')
    const bin = path.join(path.dirname(napi), readPkgBin(napi))
    run(process.execPath, [bin, 'build', '--platform', '--release'])
  }
  const binary = binaryName(target, pkg)
  const built = path.join(ROOT, binary)
  if (!existsSync(built)) fail(`${binary} is not built: run \`npm run build\` (or \`npm run package\` without --no-build)`)
  for (const f of ['index.js', 'index.d.ts']) if (!existsSync(path.join(ROOT, f))) fail(`${f} (the napi-generated loader) is missing: run \`npm run build\``)

  // What `napi artifacts` does: the binary goes into its platform package.
  const platformDir = path.join(ROOT, 'npm', target)
  const platformPkg = readPkg(platformDir)
  if (platformPkg.version !== pkg.version) fail(`npm/${target}/package.json is at ${platformPkg.version}, the root at ${pkg.version}: run \`npx napi version\``)
  cpSync(built, path.join(platformDir, binary))

  rmSync(DIST, { recursive: true, force: true })
  mkdirSync(DIST, { recursive: true })
  const platform = packInto(platformDir)

  // The JS package, staged with every platform package pinned (as `napi prepublish` pins them).
  const files = JSON.parse(execFileSync(NPM, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }))[0].files.map((f) => f.path)
  const stage = path.join(DIST, '.stage')
  for (const f of files) {
    if (f.endsWith('.node')) fail(`the JS package would contain ${f}: remove it from "files"`)
    if (f === 'package.json') continue
    mkdirSync(path.dirname(path.join(stage, f)), { recursive: true })
    cpSync(path.join(ROOT, f), path.join(stage, f))
  }
  const staged = { ...pkg, optionalDependencies: Object.fromEntries(targets.map((t) => [`${pkg.name}-${t}`, pkg.version])) }
  writeFileSync(path.join(stage, 'package.json'), JSON.stringify(staged, null, 2) + '\n')
  const root = packInto(stage)
  rmSync(stage, { recursive: true, force: true })
  if (root.files.some((f) => f.endsWith('.node'))) fail(`${root.file} contains a .node file`)
  if (!platform.files.includes(binary)) fail(`${platform.file} lacks ${binary}`)
  return { root: root.file, platform: platform.file, target, rootFiles: root.files, platformFiles: platform.files }
}

function readPkgBin(pkgJsonPath) {
  const p = JSON.parse(readFileSync(pkgJsonPath, 'utf8'))
  return typeof p.bin === 'string' ? p.bin : p.bin.napi
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    check()
  } else {
    const r = packageAll({ build: !process.argv.includes('--no-build') })
    console.log(`\n[package] ${path.relative(process.cwd(), r.root)}  (${r.rootFiles.length} files, no .node)`)
    console.log(`[package] ${path.relative(process.cwd(), r.platform)}  (${r.platformFiles.join(', ')})`)
  }
}
