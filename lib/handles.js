'use strict'
// The compiled native handles of this process (JWT readers, encode/decode
// keys, session stores, path policies), in one bounded cache keyed by the
// configuration's canonical text. Compiling is the expensive part (HKDF key
// derivation, a database pool, a path matcher); a handle is reused by every
// call with the same settings, wherever in the package the call comes from.
//
// Least recently used handles are dropped past the bound, so an app that
// builds options per request cannot grow the process without limit. A
// dropped handle stays valid for whoever still holds it (a store's pool
// closes once nothing references it).

const MAX_HANDLES = 128

class HandleCache {
  constructor(max) {
    this.max = max
    this.map = new Map()
  }

  /** The handle for `kind` and `key`, compiled by `make()` on a miss. */
  get(kind, key, make) {
    const k = kind + '\u0000' + key
    let handle = this.map.get(k)
    if (handle !== undefined) {
      // Refresh: Map iteration order is insertion order, so the oldest is first.
      this.map.delete(k)
      this.map.set(k, handle)
      return handle
    }
    handle = make()
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value)
    this.map.set(k, handle)
    return handle
  }

  get size() {
    return this.map.size
  }
}

const handles = new HandleCache(MAX_HANDLES)

module.exports = { handles, HandleCache, MAX_HANDLES }
