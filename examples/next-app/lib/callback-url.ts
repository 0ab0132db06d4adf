/**
 * Accept only a same-origin, path-absolute callbackUrl ("/dashboard?x=1").
 * Anything else ("//evil.com", "/\\evil.com", "https://…", control characters)
 * falls back to /dashboard, so the sign-in page is never an open redirect.
 */
export function safeCallbackUrl(value: unknown, fallback = '/dashboard'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return fallback
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback
  try {
    const base = 'http://same-origin.invalid'
    const url = new URL(value, base)
    if (url.origin !== base) return fallback
    return url.pathname + url.search + url.hash
  } catch {
    return fallback
  }
}
