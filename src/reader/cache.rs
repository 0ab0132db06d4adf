//! The bounded cache of decoded tokens behind [`Reader::finish`](super::Reader::finish).

use super::Rules;
use crate::jose::claims;
use crate::limits::{TOKEN_CACHE_ENTRIES, TOKEN_CACHE_JSON_MAX};

/// A bounded cache of decoded tokens, keyed by the exact token string
/// (docs/security.md RS-6), consulted by [`Reader::finish`](super::Reader::finish): never returns a token past its `exp`, keeps an entry
/// at most [`CACHE_TTL_SECS`], evicts the oldest entry when full. Only tokens
/// that decoded are cached, so unauthenticated input cannot fill it.
///
/// The map is indexed by a keyed hash of the token's last 64 bytes (its
/// authentication tag and ciphertext tail) and every hit compares the whole
/// token, so a lookup hashes a few dozen bytes instead of the whole token.
/// A token is cached on its second sighting: the first only marks its hash
/// in a fixed table, so tokens seen once (the common case under many users)
/// cost no allocation.
pub(super) struct TokenCache {
    hasher: std::collections::hash_map::RandomState,
    /// Keyed by `key()`, already a keyed hash: the map does not hash it again.
    map: std::collections::HashMap<u64, CacheEntry, std::hash::BuildHasherDefault<PreHashed>>,
    order: std::collections::VecDeque<u64>,
    seen: Box<[u64]>,
}

struct CacheEntry {
    token: Box<str>,
    rules: Rules,
    json: String,
    exp: f64,
    inserted: i64,
}

/// A `Hasher` for keys that are already uniformly distributed hashes.
#[derive(Default)]
struct PreHashed(u64);

impl std::hash::Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys come here (write_u64); fold anything else anyway.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

const CACHE_TTL_SECS: i64 = 60;
const SEEN_SLOTS: usize = 4096;

impl TokenCache {
    pub(super) fn new() -> Self {
        TokenCache {
            hasher: Default::default(),
            map: Default::default(),
            order: Default::default(),
            seen: vec![0; SEEN_SLOTS].into_boxed_slice(),
        }
    }

    pub(super) fn key(&self, token: &str) -> u64 {
        use std::hash::BuildHasher;
        let b = token.as_bytes();
        self.hasher.hash_one(&b[b.len().saturating_sub(64)..])
    }

    pub(super) fn get(
        &self,
        key: u64,
        token: &str,
        rules: &Rules,
        now: i64,
    ) -> Option<(String, f64)> {
        let e = self.map.get(&key)?;
        let fresh = *e.token == *token
            && e.rules == *rules
            && now - e.inserted < CACHE_TTL_SECS
            && e.exp > (now - claims::CLOCK_TOLERANCE) as f64;
        fresh.then(|| (e.json.clone(), e.exp))
    }

    pub(super) fn put(
        &mut self,
        key: u64,
        token: &str,
        rules: &Rules,
        json: &str,
        exp: f64,
        now: i64,
    ) {
        if json.len() > TOKEN_CACHE_JSON_MAX {
            return;
        }
        let slot = &mut self.seen[(key % SEEN_SLOTS as u64) as usize];
        if *slot != key {
            *slot = key; // first sighting: remember, don't cache yet
            return;
        }
        if self.map.len() >= TOKEN_CACHE_ENTRIES && !self.map.contains_key(&key) {
            while let Some(old) = self.order.pop_front() {
                if self.map.remove(&old).is_some() {
                    break;
                }
            }
        }
        let entry = CacheEntry {
            token: token.into(),
            rules: rules.clone(),
            json: json.to_owned(),
            exp,
            inserted: now,
        };
        if self.map.insert(key, entry).is_none() {
            self.order.push_back(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{claims_of, now, reader, v4_token};
    use super::super::*;
    use crate::limits::TOKEN_CACHE_ENTRIES;

    #[test]
    fn cache_never_outlives_exp() {
        let r = reader(|_| {});
        let t0 = now();
        let json = format!(r#"{{"sub":"1","exp":{}}}"#, t0 + 100);
        let h = format!("{V4_COOKIE}={}", v4_token(&json));
        assert!(claims_of(r.read(Cookies::Header(&h), None, false, t0)).is_some());
        assert!(claims_of(r.read(Cookies::Header(&h), None, false, t0)).is_some()); // now cached
        assert_eq!(r.cache.lock().unwrap().map.len(), 1);
        assert!(claims_of(r.read(Cookies::Header(&h), None, false, t0 + 50)).is_some());
        assert!(matches!(
            r.read(Cookies::Header(&h), None, false, t0 + 115),
            Outcome::Denied(_)
        ));
        // bounded
        for i in 0..(TOKEN_CACHE_ENTRIES + 10) {
            let t = v4_token(&format!(r#"{{"i":{i},"exp":{}}}"#, t0 + 100));
            let h = format!("{V4_COOKIE}={t}");
            r.read(Cookies::Header(&h), None, false, t0);
            r.read(Cookies::Header(&h), None, false, t0);
        }
        let c = r.cache.lock().unwrap();
        assert!(c.map.len() <= TOKEN_CACHE_ENTRIES && c.order.len() <= TOKEN_CACHE_ENTRIES);
    }
}
