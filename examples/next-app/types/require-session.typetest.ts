// Type test (issue 14, item 11), checked by `next build` (strict): using
// requireSession's Promise as if it were the token is a compile error, so the
// README's `if (!token) redirect(...)` cannot silently never redirect. Each
// `@ts-expect-error` fails the build if the error it expects goes away.
import { requireSession, requireSessionSync, readIdentity } from 'next-auth-native/middleware'

export async function typeTest(h: Headers) {
  const pending = requireSession(h, { secret: 'x' })
  // @ts-expect-error TS2801: a Promise is always truthy; `await` it
  if (pending) return 'always'
  // @ts-expect-error a Promise has no claims
  pending.sub
  const token = await requireSession(h, { secret: 'x' })
  if (!token) return null
  const sync = requireSessionSync(h, { secret: 'x' })
  if (!sync) return null
  const id: Record<string, string> | null = readIdentity(h)
  return [token.sub, sync.sub, id?.role]
}
