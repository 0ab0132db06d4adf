// Shared by the database tests: a log recorder, and the one skip rule (a test
// may skip for a missing server only outside CI, loudly; under CI=true that
// is a failure).
import assert from 'node:assert/strict'

export const IS_CI = process.env.CI === 'true'

/** A logger whose `error` lines are kept, for "one log line per incident" checks. */
export function recorder() {
  const lines = []
  return { lines, error: (...a) => lines.push(a.join(' ')) }
}

/** Skips `t` loudly for `reason`, or fails it under CI=true. */
export function skipOrFail(t, reason) {
  if (IS_CI) assert.fail(`cannot run under CI=true: ${reason}`)
  console.warn(`\n!!!!!!!! SKIPPING: ${reason} !!!!!!!!\n`)
  t.skip(reason)
}
