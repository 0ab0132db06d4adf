//! The in-process session cache (docs/security.md RS-6): keyed by the exact token,
//! bounded, first-in-first-out eviction, a positive entry lives at most the
//! TTL and never past the session's `expires`; a separate, bounded negative
//! cache remembers "no such session" for the TTL. A TTL of 0 disables both.

use crate::error::SessionError;
use crate::limits::{SESSION_CACHE_ENTRIES, SESSION_CACHE_TTL_MAX, SESSION_NEGATIVE_ENTRIES};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// A bounded map with FIFO eviction. Removals leave a stale key in `order`;
/// generations tell stale from live, and `order` is compacted when it grows
/// past twice the capacity, so memory stays bounded.
struct Bounded<V> {
    map: HashMap<Box<str>, (u64, V)>,
    order: VecDeque<(Box<str>, u64)>,
    cap: usize,
    gen: u64,
}

impl<V> Bounded<V> {
    fn new(cap: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            cap,
            gen: 0,
        }
    }

    fn get(&self, k: &str) -> Option<&V> {
        self.map.get(k).map(|(_, v)| v)
    }

    fn remove(&mut self, k: &str) {
        self.map.remove(k);
    }

    fn insert(&mut self, k: &str, v: V) {
        if let Some(slot) = self.map.get_mut(k) {
            slot.1 = v;
            return;
        }
        while self.map.len() >= self.cap {
            match self.order.pop_front() {
                Some((old, g)) => {
                    if self.map.get(&old).is_some_and(|(live, _)| *live == g) {
                        self.map.remove(&old);
                    }
                }
                None => break,
            }
        }
        self.gen += 1;
        let key: Box<str> = k.into();
        self.order.push_back((key.clone(), self.gen));
        self.map.insert(key, (self.gen, v));
        if self.order.len() > 2 * self.cap {
            let map = &self.map;
            self.order
                .retain(|(k, g)| map.get(k).is_some_and(|(live, _)| live == g));
        }
    }

    fn retain_keys(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.map.retain(|k, _| keep(k));
    }

    fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }

    #[cfg(test)]
    fn sizes(&self) -> (usize, usize) {
        (self.map.len(), self.order.len())
    }
}

struct Positive {
    json: String,
    expires_ms: i64,
    until: Instant,
}

/// What the cache knows about a token (the vocabulary of [`crate::cookies::Lookup`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Cached {
    /// A valid session (its JSON text).
    Found(String),
    /// Recently looked up and not a session (the negative cache), and why.
    Denied(SessionError),
    /// Not cached: ask the source.
    Absent,
}

pub struct SessionCache {
    ttl: Duration,
    pos: Bounded<Positive>,
    neg: Bounded<(Instant, SessionError)>,
    /// Counts push evictions, so a lookup that raced one can tell.
    epoch: u64,
}

impl SessionCache {
    /// `ttl` is capped at [`SESSION_CACHE_TTL_MAX`]; zero disables the cache.
    pub fn new(ttl: Duration) -> Self {
        SessionCache {
            ttl: ttl.min(SESSION_CACHE_TTL_MAX),
            pos: Bounded::new(SESSION_CACHE_ENTRIES),
            neg: Bounded::new(SESSION_NEGATIVE_ENTRIES),
            epoch: 0,
        }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    pub fn get(&self, token: &str, now: Instant, now_ms: i64) -> Cached {
        if !self.enabled() {
            return Cached::Absent;
        }
        if let Some(p) = self.pos.get(token) {
            if now < p.until && now_ms <= p.expires_ms {
                return Cached::Found(p.json.clone());
            }
        }
        match self.neg.get(token) {
            Some((until, why)) if now < *until => Cached::Denied(*why),
            _ => Cached::Absent,
        }
    }

    pub fn put_session(&mut self, token: &str, json: &str, expires_ms: i64, now: Instant) {
        if !self.enabled() {
            return;
        }
        self.neg.remove(token);
        self.pos.insert(
            token,
            Positive {
                json: json.to_owned(),
                expires_ms,
                until: now + self.ttl,
            },
        );
    }

    pub fn put_none(&mut self, token: &str, why: SessionError, now: Instant) {
        if !self.enabled() {
            return;
        }
        self.pos.remove(token);
        self.neg.insert(token, (now + self.ttl, why));
    }
}

// Push revocation (issue 11, src/store/push.rs): evictions by token, by the
// SHA-256 of a token (PostgreSQL notifications never carry the token itself),
// and all at once (after the subscription was lost and re-established).
impl SessionCache {
    /// Forgets everything known about `token` (positive and negative).
    pub fn evict(&mut self, token: &str) {
        self.epoch += 1;
        self.pos.remove(token);
        self.neg.remove(token);
    }

    /// Forgets the tokens whose SHA-256 is `hash`.
    pub fn evict_sha256(&mut self, hash: &[u8; 32]) {
        use sha2::{Digest, Sha256};
        self.epoch += 1;
        let hit = |k: &str| Sha256::digest(k.as_bytes()).as_slice() == hash;
        self.pos.retain_keys(|k| !hit(k));
        self.neg.retain_keys(|k| !hit(k));
    }

    /// Changes whenever push evicted something.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn clear(&mut self) {
        self.epoch += 1;
        self.pos.clear();
        self.neg.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_and_expiry() {
        let mut c = SessionCache::new(Duration::from_secs(5));
        let t0 = Instant::now();
        assert_eq!(c.get("a", t0, 1000), Cached::Absent);
        c.put_session("a", "{}", 2000, t0);
        assert_eq!(c.get("a", t0, 1000), Cached::Found("{}".into()));
        assert_eq!(c.get("a", t0, 2000), Cached::Found("{}".into())); // expires >= now
        assert_eq!(c.get("a", t0, 2001), Cached::Absent); // never past expires
        assert_eq!(
            c.get("a", t0 + Duration::from_secs(5), 1000),
            Cached::Absent
        ); // TTL over
        assert_eq!(c.get("A", t0, 1000), Cached::Absent); // exact key
        c.put_none("a", SessionError::DbNotFound, t0);
        assert_eq!(
            c.get("a", t0, 1000),
            Cached::Denied(SessionError::DbNotFound)
        );
        assert_eq!(
            c.get("a", t0 + Duration::from_secs(6), 1000),
            Cached::Absent
        );
        c.put_session("a", "{\"x\":1}", 5000, t0);
        assert_eq!(c.get("a", t0, 1000), Cached::Found("{\"x\":1}".into()));
    }

    #[test]
    fn disabled_and_capped() {
        let mut c = SessionCache::new(Duration::ZERO);
        let t0 = Instant::now();
        c.put_session("a", "{}", i64::MAX, t0);
        c.put_none("b", SessionError::DbNotFound, t0);
        assert_eq!(c.get("a", t0, 0), Cached::Absent);
        assert_eq!(c.get("b", t0, 0), Cached::Absent);
        let c = SessionCache::new(Duration::from_secs(3600));
        assert_eq!(c.ttl, SESSION_CACHE_TTL_MAX);
    }

    #[test]
    fn bounded() {
        let mut c = SessionCache::new(Duration::from_secs(5));
        let t0 = Instant::now();
        for i in 0..(3 * SESSION_CACHE_ENTRIES) {
            let k = format!("t{i}");
            c.put_session(&k, "{}", i64::MAX, t0);
            c.put_none(&k, SessionError::DbNotFound, t0); // moves it to the negative side
            c.put_session(&k, "{}", i64::MAX, t0);
        }
        let (m, o) = c.pos.sizes();
        assert!(
            m <= SESSION_CACHE_ENTRIES && o <= 2 * SESSION_CACHE_ENTRIES + 1,
            "{m} {o}"
        );
        let (m, o) = c.neg.sizes();
        assert!(
            m <= SESSION_NEGATIVE_ENTRIES && o <= 2 * SESSION_NEGATIVE_ENTRIES + 1,
            "{m} {o}"
        );
        // the newest entries survive
        let last = format!("t{}", 3 * SESSION_CACHE_ENTRIES - 1);
        assert_eq!(c.get(&last, t0, 0), Cached::Found("{}".into()));
        assert_eq!(c.get("t0", t0, 0), Cached::Absent);
    }

    #[test]
    fn push_evictions() {
        use sha2::{Digest, Sha256};
        let mut c = SessionCache::new(Duration::from_secs(5));
        let t0 = Instant::now();
        c.put_session("a", "{}", i64::MAX, t0);
        c.put_session("b", "{}", i64::MAX, t0);
        c.put_none("n", SessionError::DbNotFound, t0);
        c.evict("a");
        c.evict("n");
        assert_eq!(c.get("a", t0, 0), Cached::Absent);
        assert_eq!(c.get("n", t0, 0), Cached::Absent);
        assert_eq!(c.get("b", t0, 0), Cached::Found("{}".into()));
        let h: [u8; 32] = Sha256::digest(b"b").into();
        c.evict_sha256(&[0; 32]);
        assert_eq!(c.get("b", t0, 0), Cached::Found("{}".into()));
        c.evict_sha256(&h);
        assert_eq!(c.get("b", t0, 0), Cached::Absent);
        c.put_session("x", "{}", i64::MAX, t0);
        c.clear();
        assert_eq!(c.get("x", t0, 0), Cached::Absent);
        // re-inserting after evictions stays bounded and works
        c.put_session("x", "{}", i64::MAX, t0);
        assert_eq!(c.get("x", t0, 0), Cached::Found("{}".into()));
    }
}
