// The benchmarks' one timing harness (in-process figures). Every row that
// compares two implementations alternates them round by round, so drift in
// the machine's load hits both alike, and reports the median.
import { performance } from 'node:perf_hooks'

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/**
 * µs per call of fn(i, round, input) over n calls, `rounds` times: the median
 * round. `setup(round)`, untimed, makes each round's input (fresh requests).
 */
export async function perCall(n, fn, { rounds = 5, isAsync = true, setup } = {}) {
  const per = []
  for (let r = 0; r < rounds; r++) {
    const input = setup ? await setup(r) : undefined
    const t0 = performance.now()
    if (isAsync) for (let i = 0; i < n; i++) await fn(i, r, input)
    else for (let i = 0; i < n; i++) fn(i, r, input)
    per.push(((performance.now() - t0) * 1000) / n)
  }
  return median(per)
}

/**
 * `a` and `b` ({ n, fn(i, round, input), setup? }) in alternating rounds, the
 * order swapped every round; returns [median µs per call of a, of b].
 */
export async function alternate(a, b, { rounds = 5, isAsync = true } = {}) {
  const ta = []
  const tb = []
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [[b, tb], [a, ta]] : [[a, ta], [b, tb]]
    for (const [x, out] of order) {
      out.push(await perCall(x.n, (i, _r, input) => x.fn(i, r, input), { rounds: 1, isAsync, setup: x.setup && (() => x.setup(r)) }))
    }
  }
  return [median(ta), median(tb)]
}
