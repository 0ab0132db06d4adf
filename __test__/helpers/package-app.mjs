// A fresh Next.js 16 app that installs next-auth-native the way a user does:
// from the two tarballs `npm run package` writes to dist/ (no file: links to
// the repository, no Rust toolchain on PATH). Used by __test__/package.*.test.mjs.

import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'

import { packageAll, readPkg } from '../../scripts/package.mjs'
import { ADMIN_USER, DEMO_USER, OUTPUT_DIR, REPO_ROOT, childEnv } from '../../tools/next-app.mjs'

export const APP_SECRET = 'package-test-secret-0123456789abcdef0123456789'

/** The versions the example app pins (so npm mostly hits its cache). */
function exampleVersions() {
  const p = readPkg(path.join(REPO_ROOT, 'examples', 'next-app'))
  return { ...p.dependencies, ...p.devDependencies }
}

let packaged = null
/** `npm run package --no-build` once per process: { root, platform, target }. Needs `npm run build` first. */
export function packagedTarballs() {
  packaged ??= packageAll({ build: false })
  return packaged
}

/**
 * A PATH with node, npm and a shell but no cargo/rustc (this machine has both
 * in /usr/bin, so /usr/bin itself cannot be on it): a folder of symlinks.
 */
export function pathWithoutRust() {
  const dir = path.join(OUTPUT_DIR, 'bin-without-rust')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const which = (cmd) => {
    const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
    return r.status === 0 ? r.stdout.trim() : null
  }
  const tools = ['sh', 'bash', 'env', 'cat', 'ls', 'mkdir', 'rm', 'cp', 'mv', 'uname', 'tar', 'gzip', 'git', 'ldd', 'getconf']
  symlinkSync(process.execPath, path.join(dir, 'node'))
  for (const t of ['npm', 'npx']) {
    const f = path.join(path.dirname(process.execPath), t)
    const target = existsSync(f) ? f : which(t)
    if (target) symlinkSync(target, path.join(dir, t))
  }
  for (const t of tools) {
    const target = which(t)
    if (target) symlinkSync(target, path.join(dir, t))
  }
  return dir
}

/** childEnv() with the Rust-free PATH and no CARGO_* / RUSTUP_* variables. */
export function envWithoutRust(extra = {}) {
  const env = childEnv({ PATH: pathWithoutRust(), ...extra })
  for (const k of Object.keys(env)) if (/^(CARGO|RUSTUP|RUSTC)/.test(k)) delete env[k]
  return env
}

/** Throws unless `cargo` and `rustc` are really unreachable with this env. */
export function assertNoRust(env) {
  for (const tool of ['cargo', 'rustc']) {
    const r = spawnSync(tool, ['--version'], { env, encoding: 'utf8' })
    if (!r.error || r.error.code !== 'ENOENT') throw new Error(`${tool} is still reachable on the test PATH (${env.PATH})`)
  }
}

const files = {
  'next.config.ts': ({ mode }) =>
    mode === 'bundled'
      ? `import type { NextConfig } from 'next'
// Deliberately WITHOUT serverExternalPackages: the addon gets bundled by mistake.
const nextConfig: NextConfig = { outputFileTracingRoot: __dirname, turbopack: { root: __dirname } }
export default nextConfig
`
      : `import type { NextConfig } from 'next'
import { withNextAuthNative } from 'next-auth-native/next-config'

const nextConfig: NextConfig = {
  output: 'standalone',
  outputFileTracingRoot: __dirname,
  turbopack: { root: __dirname },
  poweredByHeader: false,
}

export default withNextAuthNative(nextConfig)
`,
  '.npmrc': () => 'legacy-peer-deps=true\nfund=false\naudit=false\n',
  'tsconfig.json': () =>
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          lib: ['dom', 'dom.iterable', 'esnext'],
          strict: true,
          noEmit: true,
          esModuleInterop: true,
          module: 'esnext',
          moduleResolution: 'bundler',
          resolveJsonModule: true,
          isolatedModules: true,
          jsx: 'react-jsx',
          incremental: true,
          skipLibCheck: true,
          plugins: [{ name: 'next' }],
          paths: { '@/*': ['./*'] },
        },
        include: ['next-env.d.ts', '**/*.ts', '**/*.tsx', '.next/types/**/*.ts'],
        exclude: ['node_modules'],
      },
      null,
      2,
    ),
  'types/next-auth.d.ts': () => `import 'next-auth'
import 'next-auth/jwt'

export type Role = 'user' | 'admin'

declare module 'next-auth' {
  interface User { role: Role }
}

// next-auth's documented augmentation: it must type next-auth-native's tokens too.
declare module 'next-auth/jwt' {
  interface JWT { role?: Role }
}
`,
  'lib/auth.ts': () => `import type { NextAuthOptions } from 'next-auth'
import CredentialsProvider from 'next-auth/providers/credentials'

const USERS = ${JSON.stringify([DEMO_USER, ADMIN_USER])} as const

export const authOptions: NextAuthOptions = {
  session: { strategy: 'jwt' },
  providers: [
    CredentialsProvider({
      name: 'Email and password',
      credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
      async authorize(credentials) {
        const u = USERS.find((x) => x.email === credentials?.email && x.password === credentials?.password)
        return u ? { id: u.email, email: u.email, name: u.name, role: u.role } : null
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) token.role = user.role
      return token
    },
  },
}
`,
  'app/api/auth/[...nextauth]/route.ts': () => `import NextAuth from 'next-auth'
import { authOptions } from '@/lib/auth'

const handler = NextAuth(authOptions)
export { handler as GET, handler as POST }
`,
  // Named import from the package root (the ESM path), typed through the augmentation.
  'app/api/me/route.ts': () => `import { getToken } from 'next-auth-native'
import { NextResponse, type NextRequest } from 'next/server'
import type { Role } from '@/types/next-auth'

export const dynamic = 'force-dynamic'

export async function GET(req: NextRequest) {
  const token = await getToken({ req })
  if (!token) return NextResponse.json({ error: 'Unauthorized' }, { status: 401 })
  const role: Role | undefined = token.role
  return NextResponse.json({ sub: token.sub, email: token.email, role })
}
`,
  // withAuth(middleware, options): req.nextauth.token is typed through the augmentation,
  // \`pages\` is next-auth's whole object, \`authorized\` returns Awaitable<boolean>.
  'proxy.ts': () => `import { withAuth, type NextRequestWithAuth } from 'next-auth-native/middleware'
import { NextResponse } from 'next/server'
import type { Role } from '@/types/next-auth'

export default withAuth(
  function proxy(req: NextRequestWithAuth) {
    const role: Role | undefined = req.nextauth.token?.role
    const res = NextResponse.next()
    res.headers.set('x-proxy-role', role ?? 'none')
    return res
  },
  {
    pages: { signIn: '/api/auth/signin', signOut: '/api/auth/signout', error: '/api/auth/error', newUser: '/' },
    callbacks: {
      authorized: async ({ req, token }) => {
        if (!token) return false
        const role: Role | undefined = token.role
        return req.nextUrl.pathname.startsWith('/admin') ? role === 'admin' : true
      },
    },
  },
)

export const config = { matcher: ['/dashboard/:path*', '/admin/:path*'] }
`,
  'app/layout.tsx': () => `export const metadata = { title: 'next-auth-native package test' }

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  )
}
`,
  'app/page.tsx': () => `export default function Home() {
  return <p>public home</p>
}
`,
  'app/dashboard/page.tsx': () => `export const dynamic = 'force-dynamic'
export default function Dashboard() {
  return <p>dashboard for signed-in users</p>
}
`,
  'app/admin/page.tsx': () => `export const dynamic = 'force-dynamic'
export default function Admin() {
  return <p>admin area</p>
}
`,
}

/**
 * Writes the app into `dir` (mode 'ok' | 'bundled'), with package.json
 * depending on the two tarballs. Does not install.
 */
export function writePackageApp(dir, { mode = 'ok', tarballs = packagedTarballs() } = {}) {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const v = exampleVersions()
  const pkg = {
    name: 'next-auth-native-package-test-app',
    private: true,
    version: '0.0.0',
    dependencies: {
      next: v.next,
      'next-auth': v['next-auth'],
      react: v.react,
      'react-dom': v['react-dom'],
      'next-auth-native': `file:${tarballs.root}`,
      [`next-auth-native-${tarballs.target}`]: `file:${tarballs.platform}`,
    },
    devDependencies: {
      typescript: v.typescript,
      '@types/node': v['@types/node'],
      '@types/react': v['@types/react'],
      '@types/react-dom': v['@types/react-dom'],
    },
  }
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
  for (const [rel, make] of Object.entries(files)) {
    const f = path.join(dir, rel)
    mkdirSync(path.dirname(f), { recursive: true })
    writeFileSync(f, make({ mode }))
  }
  return dir
}

/** Hard-link copy of an installed app's node_modules (fast; a real directory, as Next needs). */
export function linkNodeModules(from, to) {
  execFileSync('cp', ['-al', path.join(from, 'node_modules'), path.join(to, 'node_modules')])
}
