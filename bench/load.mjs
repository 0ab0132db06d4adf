// A closed-loop HTTP load whose connections stay open between turns, for
// bench/server.mjs.
//
// Why not one autocannon run per turn: a saturated Node server accepts new
// connections slowly. Measured here against a bare `http.createServer` that
// spends 1 ms per request, 100 connections opened at once were all connected
// on the client's side within 20 ms, but the server's 'connection' events
// trickled in over 2 s (median 66 ms, p90 1,165 ms), and a 2 s autocannon run
// had answers on only 60–63 of its 100 connections. The first request of
// every late connection waited for that, so a run's p99 at 100 connections
// measured the accept queue (about 1 s), not the server's steady state, and
// it swung by 2x from run to run. Here every connection is opened and used
// once before any turn is timed, then parked between turns, so each turn
// measures the server under a steady load of exactly `connections` requests
// in flight.
//
// The connections are autocannon's own client (`autocannon/lib/httpClient`,
// the one its runs use, at the version pinned by examples/next-app's lockfile):
// the same request bytes and the same response parser as before. A gate
// decides whether a client sends its next request: while closed, a client
// whose response arrived parks instead. Its own timeout is disabled (a parked
// connection is idle on purpose); a request still unanswered when a turn has
// drained for `drainMs` counts as an error, and its connection is replaced.

const PARKED = Symbol('parked')

/**
 * Opens `connections` keep-alive connections to `url`, each sending GET
 * `url`'s path with `headers`, and counting an answer as ok only when
 * `isOk(status, body)`. Nothing is sent until the first turn.
 */
export async function openLoad(Client, { url, headers = {}, connections, isOk, drainMs = 10_000 }) {
  const u = new URL(url)
  let open = false
  let turn = null // the current turn's counters, or null between turns
  let connects = 0
  const clients = []
  const opts = {
    protocol: u.protocol,
    hostname: u.hostname,
    host: u.host,
    port: Number(u.port),
    path: u.pathname + u.search,
    origin: u.origin,
    method: 'GET',
    headers,
    pipelining: 1,
    timeout: 24 * 3600, // seconds: parked connections are idle on purpose; turns enforce drainMs
    requests: [{ method: 'GET', path: u.pathname + u.search, headers, onResponse: (status, body) => turn?.answer(status, body) }],
  }
  for (let i = 0; i < connections; i++) {
    const c = new Client(opts)
    const send = c._doRequest
    c._doRequest = function () {
      if (!open) {
        this[PARKED] = true
        return
      }
      this[PARKED] = false
      send.call(this)
    }
    const connect = c._connect
    c._connect = function () {
      connect.call(this)
      this.conn.once('connect', () => connects++)
    }
    c.on('response', (status, bytes, ms) => turn?.latency(ms))
    c.on('connError', () => turn && turn.errors++)
    // the constructor connected before the two wrappers were in place
    c.conn.once('connect', () => connects++)
    clients.push(c)
  }

  const parkedAll = () => clients.every((c) => c[PARKED])
  const until = async (pred, ms) => {
    const end = Date.now() + ms
    while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
    return pred()
  }

  /**
   * Opens the gate for `seconds`, then waits for every request in flight.
   * Returns the turn's figures; `window` is [start, end] in µs on the
   * monotonic clock (the V8 profiler's), the gate's open time.
   */
  async function run(seconds) {
    if (!(await until(parkedAll, drainMs))) throw new Error('a turn began while requests of the last one were in flight')
    const lat = []
    const t = {
      ok: 0,
      bad: 0,
      non2xx: 0,
      errors: 0,
      counting: true,
      answered: 0,
      answer(status, body) {
        this.answered++
        if (status < 200 || status > 299) this.non2xx++
        if (!isOk(status, body)) this.bad++ // wherever it falls: a wrong answer is never dropped
        else if (this.counting) this.ok++
      },
      latency(ms) {
        lat.push(ms)
      },
    }
    const connects0 = connects
    turn = t
    open = true
    const t0 = process.hrtime.bigint()
    for (const c of clients) if (c[PARKED]) c._doRequest()
    await new Promise((r) => setTimeout(r, seconds * 1000))
    open = false
    const t1 = process.hrtime.bigint()
    // Answers after the gate closed are not counted in req/s; their latencies and any wrong answer are.
    t.counting = false
    if (!(await until(parkedAll, drainMs))) {
      for (const c of clients) {
        if (c[PARKED]) continue
        t.errors++ // unanswered after drainMs: a new connection replaces it (parked until the next turn)
        c._resetConnection()
      }
    }
    turn = null
    return {
      window: [Number(t0 / 1000n), Number(t1 / 1000n)],
      seconds: Number(t1 - t0) / 1e9,
      ok: t.ok,
      answered: t.answered,
      bad: t.bad,
      non2xx: t.non2xx,
      errors: t.errors,
      latencies: lat,
      reconnects: connects - connects0,
    }
  }

  // Every connection opened and answered once before any turn counts.
  if (!(await until(() => connects >= connections, drainMs))) throw new Error(`${url}: only ${connects} of ${connections} connections opened`)
  await run(0)
  return {
    run,
    get connects() {
      return connects
    },
    close() {
      open = false
      for (const c of clients) c.destroy()
    },
  }
}

/** p50 and p99 (ms) of a list of latencies, by rank. */
export function percentiles(latencies) {
  if (!latencies.length) return { p50: NaN, p99: NaN }
  const s = Float64Array.from(latencies).sort()
  const at = (q) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]
  return { p50: Math.round(at(0.5) * 10) / 10, p99: Math.round(at(0.99) * 10) / 10 }
}
