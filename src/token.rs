//! The session-token reader behind `getToken`: which cookie (or Bearer
//! header) holds the token, and which rules decode it. A [`Reader`] is
//! compiled once per configuration, with its keys derived up front (v4) or on
//! first use (v5); reading a request derives nothing.

use crate::claims;
use crate::error::SessionError;
use crate::cookies::{self, Lookup};
use crate::jwe::{self, Enc};
use crate::jws::JwsVerifier;
use crate::keys::{self, Secret};
use aes_gcm::{Aes256Gcm, KeyInit};
use std::sync::OnceLock;
use zeroize::Zeroizing;

pub const V4_COOKIE: &str = "next-auth.session-token";
pub const V4_SECURE_COOKIE: &str = "__Secure-next-auth.session-token";
pub const V5_COOKIE: &str = "authjs.session-token";
pub const V5_SECURE_COOKIE: &str = "__Secure-authjs.session-token";

/// How a token found in a given place is decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rules {
    /// next-auth v4: `dir` + A256GCM, HKDF salt "".
    V4,
    /// Auth.js v5: `dir` + A256CBC-HS512 / A256GCM, HKDF salt = `salt`, `kid` selection.
    V5 { salt: String },
    /// An app-signed JWS, verified natively.
    Jws,
}

pub struct ReaderOptions {
    /// Secrets in priority order (v5: the first encrypts; `kid` picks on decode).
    pub secrets: Vec<Secret>,
    pub secure_cookie: bool,
    /// next-auth's `cookieName`: the base name of the session cookie.
    pub cookie_name: Option<String>,
    /// An explicit v5 salt: the cookie is read with Auth.js v5 rules only.
    pub salt: Option<String>,
    /// Native JWS verification instead of JWE.
    pub jws: Option<JwsVerifier>,
    /// Also read Auth.js v5 cookies when no v4 cookie is present.
    pub v5_fallback: bool,
}

struct V5Key {
    cbc: Zeroizing<[u8; 64]>,
    cbc_kid: String,
    gcm: Aes256Gcm,
    gcm_kid: String,
}

struct V5Keys {
    salt: String,
    keys: OnceLock<Vec<V5Key>>,
}

/// A bounded cache of decoded tokens, keyed by the exact token string
/// (security.md RS-6): never returns a token past its `exp`, keeps an entry
/// at most [`CACHE_TTL_SECS`], evicts the oldest entry when full. Only tokens
/// that decoded are cached, so unauthenticated input cannot fill it.
///
/// The map is indexed by a keyed hash of the token's last 64 bytes (its
/// authentication tag and ciphertext tail) and every hit compares the whole
/// token, so a lookup hashes a few dozen bytes instead of the whole token.
/// A token is cached on its second sighting: the first only marks its hash
/// in a fixed table, so tokens seen once (the common case under many users)
/// cost no allocation.
struct TokenCache {
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

const CACHE_CAPACITY: usize = 1024;
const CACHE_TTL_SECS: i64 = 60;
const CACHE_MAX_JSON: usize = 8 * 1024;
const SEEN_SLOTS: usize = 4096;

impl TokenCache {
    fn new() -> Self {
        TokenCache {
            hasher: Default::default(),
            map: Default::default(),
            order: Default::default(),
            seen: vec![0; SEEN_SLOTS].into_boxed_slice(),
        }
    }

    fn key(&self, token: &str) -> u64 {
        use std::hash::BuildHasher;
        let b = token.as_bytes();
        self.hasher.hash_one(&b[b.len().saturating_sub(64)..])
    }

    fn get(&self, key: u64, token: &str, rules: &Rules, now: i64) -> Option<(String, f64)> {
        let e = self.map.get(&key)?;
        let fresh = *e.token == *token
            && e.rules == *rules
            && now - e.inserted < CACHE_TTL_SECS
            && e.exp > (now - claims::CLOCK_TOLERANCE) as f64;
        fresh.then(|| (e.json.clone(), e.exp))
    }

    fn put(&mut self, key: u64, token: &str, rules: &Rules, json: &str, exp: f64, now: i64) {
        if json.len() > CACHE_MAX_JSON {
            return;
        }
        let slot = &mut self.seen[(key % SEEN_SLOTS as u64) as usize];
        if *slot != key {
            *slot = key; // first sighting: remember, don't cache yet
            return;
        }
        if self.map.len() >= CACHE_CAPACITY && !self.map.contains_key(&key) {
            while let Some(old) = self.order.pop_front() {
                if self.map.remove(&old).is_some() {
                    break;
                }
            }
        }
        let entry = CacheEntry { token: token.into(), rules: rules.clone(), json: json.to_owned(), exp, inserted: now };
        if self.map.insert(key, entry).is_none() {
            self.order.push_back(key);
        }
    }
}

pub struct Reader {
    /// Cookie families in lookup order: (base name, rules).
    families: Vec<(String, Rules)>,
    /// Rules for a Bearer token whose header does not say A256CBC-HS512.
    bearer: Rules,
    /// Salt for a Bearer token that does.
    bearer_v5_salt: Option<String>,
    secrets: Vec<Secret>,
    v4: Vec<Aes256Gcm>,
    v5: Vec<V5Keys>,
    jws: Option<JwsVerifier>,
    cache: std::sync::Mutex<TokenCache>,
}

/// A compiled configuration. `secureCookie` is always resolved by the JS
/// side (`params.secureCookie`, or next-auth's env default read from
/// `process.env` at call time), so this holds exactly one reader; the wrapper
/// keeps the napi handle type stable.
pub struct ReaderSet {
    first: Reader,
}

impl ReaderSet {
    pub fn fixed(reader: Reader) -> ReaderSet {
        ReaderSet { first: reader }
    }

    /// The reader for this call.
    pub fn get(&self) -> &Reader {
        &self.first
    }
}

/// What a read produced.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// No session, and why (a `Copy` enum: no allocation on failure).
    Denied(SessionError),
    /// `raw: true`: the token as found, unchecked.
    Raw(String),
    /// Validated claims as JSON text (a single object), with its `exp`.
    Claims { json: String, exp: f64 },
}

/// What the cookies yielded.
#[derive(Debug, PartialEq)]
pub enum Step<'a> {
    Found(std::borrow::Cow<'a, str>, Rules),
    /// A present but unusable cookie, and why.
    Deny(SessionError),
    NoCookie,
}

/// Where the cookies come from.
pub enum Cookies<'a> {
    /// A raw `Cookie` header (NextRequest, IncomingMessage).
    Header(&'a str),
    /// Already-parsed (name, value) pairs (Pages-router `req.cookies`).
    Pairs(&'a [(String, String)]),
    None,
}

impl Reader {
    pub fn new(opts: ReaderOptions) -> Reader {
        let (v4_default, v5_default) = if opts.secure_cookie {
            (V4_SECURE_COOKIE, V5_SECURE_COOKIE)
        } else {
            (V4_COOKIE, V5_COOKIE)
        };
        let (families, bearer, bearer_v5_salt) = if opts.jws.is_some() {
            let name = opts.cookie_name.unwrap_or_else(|| v4_default.to_owned());
            (vec![(name, Rules::Jws)], Rules::Jws, None)
        } else if let Some(salt) = opts.salt {
            // Auth.js v5 getToken: cookieName defaults to the v5 name, salt is explicit.
            let name = opts.cookie_name.unwrap_or_else(|| v5_default.to_owned());
            let rules = Rules::V5 { salt: salt.clone() };
            (vec![(name, rules.clone())], rules, Some(salt))
        } else {
            let v4_name = opts.cookie_name.unwrap_or_else(|| v4_default.to_owned());
            if opts.v5_fallback {
                let v5 = Rules::V5 { salt: v5_default.to_owned() };
                (vec![(v4_name, Rules::V4), (v5_default.to_owned(), v5)], Rules::V4, Some(v5_default.to_owned()))
            } else {
                (vec![(v4_name, Rules::V4)], Rules::V4, None)
            }
        };
        let v4 = if families.iter().any(|(_, r)| *r == Rules::V4) {
            opts.secrets
                .iter()
                .filter_map(|s| keys::derive_v4(s, "").map(|k| Aes256Gcm::new(&(*k).into())))
                .collect()
        } else {
            Vec::new()
        };
        let mut salts: Vec<String> = families
            .iter()
            .filter_map(|(_, r)| match r {
                Rules::V5 { salt } => Some(salt.clone()),
                _ => None,
            })
            .chain(bearer_v5_salt.clone())
            .collect();
        salts.dedup();
        let v5 = salts.into_iter().map(|salt| V5Keys { salt, keys: OnceLock::new() }).collect();
        Reader {
            families,
            bearer,
            bearer_v5_salt,
            secrets: opts.secrets,
            v4,
            v5,
            jws: opts.jws,
            cache: std::sync::Mutex::new(TokenCache::new()),
        }
    }

    /// The cookie base names this reader looks at, in order.
    pub fn cookie_names(&self) -> impl Iterator<Item = &str> {
        self.families.iter().map(|(n, _)| n.as_str())
    }

    /// next-auth's getToken: find the token (cookie first, then Bearer), then
    /// return it raw or decode it.
    pub fn read(&self, cookies: Cookies<'_>, authorization: Option<&str>, raw: bool, now: i64) -> Outcome {
        match self.from_cookies(cookies) {
            Step::Found(token, rules) => self.finish(&token, &rules, raw, now),
            Step::Deny(e) => Outcome::Denied(e),
            Step::NoCookie => match authorization {
                Some(h) => self.read_bearer(h, raw, now),
                None => Outcome::Denied(SessionError::NoCookie),
            },
        }
    }

    /// The Bearer half of [`Reader::read`], for callers that fetch the
    /// `Authorization` header only when [`Reader::from_cookies`] found no cookie.
    pub fn read_bearer(&self, authorization: &str, raw: bool, now: i64) -> Outcome {
        let Some(token) = bearer_token(authorization) else {
            return Outcome::Denied(SessionError::NoCookie);
        };
        let rules = match (&self.bearer_v5_salt, &self.bearer) {
            (Some(salt), Rules::V4) if jwe::peek_enc(&token) == Some(Enc::A256CbcHs512) => {
                Rules::V5 { salt: salt.clone() }
            }
            (_, r) => r.clone(),
        };
        self.finish(&token, &rules, raw, now)
    }

    /// Returns `token` raw, or decodes it under `rules`.
    pub fn finish(&self, token: &str, rules: &Rules, raw: bool, now: i64) -> Outcome {
        if raw {
            return Outcome::Raw(token.to_owned());
        }
        let key = match self.cache.lock() {
            Ok(cache) => {
                let key = cache.key(token);
                if let Some((json, exp)) = cache.get(key, token, rules, now) {
                    return Outcome::Claims { json, exp };
                }
                Some(key)
            }
            Err(_) => None,
        };
        match self.decode(token, rules, now) {
            Ok((json, exp)) => {
                if let (Some(key), Ok(mut cache)) = (key, self.cache.lock()) {
                    cache.put(key, token, rules, &json, exp, now);
                }
                Outcome::Claims { json, exp }
            }
            Err(e) => Outcome::Denied(e),
        }
    }

    /// Looks for the session cookie(s): a token and its rules, a denial (a
    /// present but unusable cookie: no Bearer fallback, CK-6), or nothing.
    pub fn from_cookies<'a>(&self, cookies: Cookies<'a>) -> Step<'a> {
        let mut names = [""; cookies::MAX_FAMILIES];
        for (slot, name) in names.iter_mut().zip(self.cookie_names()) {
            *slot = name;
        }
        let names = &names[..self.families.len()];
        let lookups = match cookies {
            Cookies::Header(h) => cookies::lookup_header(h, names),
            Cookies::Pairs(pairs) => {
                let mut c = cookies::Collector::new(names);
                for (n, v) in pairs {
                    c.offer(n, v.as_str().into());
                }
                c.finish()
            }
            Cookies::None => return Step::NoCookie,
        };
        for (i, (lookup, (_, rules))) in lookups.into_iter().zip(&self.families).enumerate() {
            match lookup {
                Lookup::Found(t) => return Step::Found(t, rules.clone()),
                // The v5 fallback family is ignored by next-auth v4, so it only falls through.
                Lookup::Invalid(e) if i == 0 => return Step::Deny(e),
                Lookup::Invalid(_) | Lookup::Absent => {}
            }
        }
        Step::NoCookie
    }

    /// Decodes and validates `token` under `rules`; JSON text and `exp` on
    /// success, or why not.
    pub fn decode(&self, token: &str, rules: &Rules, now: i64) -> Result<(String, f64), SessionError> {
        let plaintext = match rules {
            Rules::Jws => return self.jws.as_ref().ok_or(SessionError::NoSecret)?.verify(token, now),
            Rules::V4 => {
                let jwe = jwe::parse(token, &[Enc::A256Gcm])?;
                let mut last = SessionError::NoSecret;
                let mut found = None;
                for c in &self.v4 {
                    match jwe.decrypt_gcm(c) {
                        Ok(p) => {
                            found = Some(p);
                            break;
                        }
                        Err(e) => last = e.into(),
                    }
                }
                found.ok_or(last)?
            }
            Rules::V5 { salt } => {
                let jwe = jwe::parse(token, &[Enc::A256CbcHs512, Enc::A256Gcm])?;
                let keys = self.v5_keys(salt).ok_or(SessionError::NoSecret)?;
                let key = match &jwe.kid {
                    // Without kid Auth.js tries only the first secret.
                    None => keys.first().ok_or(SessionError::NoSecret)?,
                    Some(kid) => keys
                        .iter()
                        .find(|k| match jwe.enc {
                            Enc::A256CbcHs512 => k.cbc_kid == *kid,
                            Enc::A256Gcm => k.gcm_kid == *kid,
                        })
                        .ok_or(if keys.is_empty() { SessionError::NoSecret } else { SessionError::DecryptFailed })?,
                };
                match jwe.enc {
                    Enc::A256CbcHs512 => jwe.decrypt_cbc_hs512(&key.cbc)?,
                    Enc::A256Gcm => jwe.decrypt_gcm(&key.gcm)?,
                }
            }
        };
        let text = String::from_utf8(plaintext).map_err(|_| SessionError::Malformed)?;
        let exp = claims::validate(&crate::json::scan_claims(&text).ok_or(SessionError::Malformed)?, now)?;
        Ok((text, exp))
    }

    /// Whether this reader has a key to decode with (a secret, or a JWS key).
    pub fn has_key(&self) -> bool {
        !self.secrets.is_empty() || self.jws.is_some()
    }

    /// The rules of the first cookie family (for explanations).
    pub fn first_rules(&self) -> Option<&Rules> {
        self.families.first().map(|(_, r)| r)
    }

    fn v5_keys(&self, salt: &str) -> Option<&[V5Key]> {
        let slot = self.v5.iter().find(|k| k.salt == salt)?;
        let keys = slot.keys.get_or_init(|| {
            self.secrets
                .iter()
                .filter_map(|s| {
                    let cbc = keys::derive_v5::<64>(s, salt)?;
                    let gcm = keys::derive_v5::<32>(s, salt)?;
                    Some(V5Key {
                        cbc_kid: keys::oct_thumbprint(cbc.as_ref()),
                        gcm_kid: keys::oct_thumbprint(gcm.as_ref()),
                        gcm: Aes256Gcm::new(&(*gcm).into()),
                        cbc,
                    })
                })
                .collect()
        });
        Some(keys.as_slice())
    }

}

/// next-auth v4's Bearer rule: `value.split(" ")`, element 0 exactly
/// `Bearer`, element 1 through `decodeURIComponent` (absent: the string
/// `"undefined"`, as JS does); a decode failure or an empty token is no token.
/// Stricter than next-auth: a Bearer credential is one token, so
/// `Bearer T extra` is no token (issue 14, item 9).
pub fn bearer_token(header: &str) -> Option<String> {
    let mut parts = header.split(' ');
    if parts.next()? != "Bearer" {
        return None;
    }
    let first = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let token = match first {
        None => "undefined".to_owned(),
        Some(t) => cookies::decode_uri_component(t)?.into_owned(),
    };
    (!token.is_empty()).then_some(token)
}

/// A v4 key for `encode`/`decode` (next-auth's salted or session key),
/// derived once; the JS layer keeps one per (secret, salt).
pub struct V4Key(Aes256Gcm);

impl V4Key {
    pub fn derive(secret: &[u8], salt: &str) -> Option<V4Key> {
        let key = keys::derive_v4(secret, salt)?;
        Some(V4Key(Aes256Gcm::new(&(*key).into())))
    }

    /// next-auth v4 `encode` of a claims JSON text: A256GCM, fresh IV.
    pub fn encode(&self, claims_json: &str) -> Option<String> {
        jwe::encrypt_v4(&self.0, claims_json.as_bytes())
    }

    /// next-auth v4 `decode`: the validated claims JSON text, or why not.
    pub fn decode(&self, token: &str, now: i64) -> Result<String, SessionError> {
        let jwe = jwe::parse(token, &[Enc::A256Gcm])?;
        let text = String::from_utf8(jwe.decrypt_gcm(&self.0)?).map_err(|_| SessionError::Malformed)?;
        claims::validate(&crate::json::scan_claims(&text).ok_or(SessionError::Malformed)?, now)?;
        Ok(text)
    }
}

/// next-auth v4 `encode` with a one-off key.
pub fn encode_v4(secret: &[u8], salt: &str, claims_json: &str) -> Option<String> {
    V4Key::derive(secret, salt)?.encode(claims_json)
}

/// next-auth v4 `decode` with a one-off key.
pub fn decode_v4(secret: &[u8], salt: &str, token: &str, now: i64) -> Result<String, SessionError> {
    V4Key::derive(secret, salt).ok_or(SessionError::NoSecret)?.decode(token, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "nextauth-spec-test-secret-0123456789abcdef";

    fn reader(f: impl FnOnce(&mut ReaderOptions)) -> Reader {
        let mut o = ReaderOptions {
            secrets: vec![Zeroizing::new(SECRET.as_bytes().to_vec())],
            secure_cookie: false,
            cookie_name: None,
            salt: None,
            jws: None,
            v5_fallback: true,
        };
        f(&mut o);
        Reader::new(o)
    }

    fn now() -> i64 {
        claims::now_seconds()
    }

    fn v4_token(json: &str) -> String {
        encode_v4(SECRET.as_bytes(), "", json).unwrap()
    }

    fn claims_of(o: Outcome) -> Option<String> {
        match o {
            Outcome::Claims { json, .. } => Some(json),
            _ => None,
        }
    }

    #[test]
    fn reads_v4_cookie() {
        let r = reader(|_| {});
        let json = format!(r#"{{"sub":"1","exp":{}}}"#, now() + 60);
        let t = v4_token(&json);
        let h = format!("{V4_COOKIE}={t}");
        assert_eq!(claims_of(r.read(Cookies::Header(&h), None, false, now())), Some(json.clone()));
        assert_eq!(r.read(Cookies::Header(&h), None, true, now()), Outcome::Raw(t.clone()));
        // the secure name is not read by a non-secure reader
        let h = format!("{V4_SECURE_COOKIE}={t}");
        assert!(matches!(r.read(Cookies::Header(&h), None, false, now()), Outcome::Denied(_)));
        let secure = reader(|o| o.secure_cookie = true);
        assert!(claims_of(secure.read(Cookies::Header(&h), None, false, now())).is_some());
    }

    #[test]
    fn bearer_rules() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc".into()));
        assert_eq!(bearer_token("Bearer abc extra"), None);
        assert_eq!(bearer_token("Bearer abc "), None);
        assert_eq!(bearer_token("Bearer"), Some("undefined".into()));
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer  abc"), None);
        assert_eq!(bearer_token("bearer abc"), None);
        assert_eq!(bearer_token("Bearer %E0%A4%A"), None);
        assert_eq!(bearer_token("Bearer a%2Eb"), Some("a.b".into()));
    }

    #[test]
    fn bearer_only_without_cookie() {
        let r = reader(|_| {});
        let json = format!(r#"{{"sub":"1","exp":{}}}"#, now() + 60);
        let t = v4_token(&json);
        let auth = format!("Bearer {t}");
        assert!(claims_of(r.read(Cookies::None, Some(&auth), false, now())).is_some());
        // garbage cookie wins and denies
        let h = format!("{V4_COOKIE}=garbage");
        assert!(matches!(r.read(Cookies::Header(&h), Some(&auth), false, now()), Outcome::Denied(_)));
        // conflicting duplicates deny, with no fallback
        let h = format!("{V4_COOKIE}=a; {V4_COOKIE}=b");
        assert!(matches!(r.read(Cookies::Header(&h), Some(&auth), false, now()), Outcome::Denied(_)));
    }

    #[test]
    fn v5_cookie_and_rotation() {
        let r = reader(|o| {
            o.secrets = vec![Zeroizing::new(b"new-secret".to_vec()), Zeroizing::new(b"old-secret".to_vec())]
        });
        let old = keys::derive_v5::<64>(b"old-secret", V5_COOKIE).unwrap();
        let kid = keys::oct_thumbprint(old.as_ref());
        let json = format!(r#"{{"sub":"1","exp":{}}}"#, now() + 60);
        let t = jwe::encrypt_v5_cbc(&old, &kid, json.as_bytes()).unwrap();
        let h = format!("{V5_COOKIE}={t}");
        assert_eq!(claims_of(r.read(Cookies::Header(&h), None, false, now())), Some(json.clone()));
        // wrong kid → no key; old secret without kid → only the first secret is tried
        let t2 = jwe::encrypt_v5_cbc(&old, "nope", json.as_bytes()).unwrap();
        assert!(matches!(r.read(Cookies::Header(&format!("{V5_COOKIE}={t2}")), None, false, now()), Outcome::Denied(_)));
        // minted for another cookie name (salt binding)
        let other = keys::derive_v5::<64>(b"new-secret", "other").unwrap();
        let t3 = jwe::encrypt_v5_cbc(&other, &keys::oct_thumbprint(other.as_ref()), json.as_bytes()).unwrap();
        assert!(matches!(r.read(Cookies::Header(&format!("{V5_COOKIE}={t3}")), None, false, now()), Outcome::Denied(_)));
        // v4 cookie takes precedence when present
        let v4 = encode_v4(b"new-secret", "", &json).unwrap();
        let h = format!("{V5_COOKIE}={t}; {V4_COOKIE}={v4}");
        assert!(claims_of(r.read(Cookies::Header(&h), None, false, now())).is_some());
        // a v5 token in the v4 cookie is rejected (no cross-version decode)
        let h = format!("{V4_COOKIE}={t}");
        assert!(matches!(r.read(Cookies::Header(&h), None, false, now()), Outcome::Denied(_)));
    }

    #[test]
    fn state_cookie_jwe_is_not_a_session() {
        let r = reader(|_| {});
        // Encrypted with the session key (pre-4.24.5 issuer): shape check rejects it.
        let json = format!(r#"{{"value":"x","iat":1,"exp":{},"jti":"j"}}"#, now() + 900);
        let h = format!("{V4_COOKIE}={}", v4_token(&json));
        assert!(matches!(r.read(Cookies::Header(&h), None, false, now()), Outcome::Denied(_)));
        // Encrypted with the salted state key: wrong key.
        let t = encode_v4(SECRET.as_bytes(), "next-auth.state", &format!(r#"{{"sub":"1","exp":{}}}"#, now() + 60));
        let h = format!("{V4_COOKIE}={}", t.unwrap());
        assert!(matches!(r.read(Cookies::Header(&h), None, false, now()), Outcome::Denied(_)));
    }

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
        assert!(matches!(r.read(Cookies::Header(&h), None, false, t0 + 115), Outcome::Denied(_)));
        // bounded
        for i in 0..(CACHE_CAPACITY + 10) {
            let t = v4_token(&format!(r#"{{"i":{i},"exp":{}}}"#, t0 + 100));
            let h = format!("{V4_COOKIE}={t}");
            r.read(Cookies::Header(&h), None, false, t0);
            r.read(Cookies::Header(&h), None, false, t0);
        }
        let c = r.cache.lock().unwrap();
        assert!(c.map.len() <= CACHE_CAPACITY && c.order.len() <= CACHE_CAPACITY);
    }

    #[test]
    fn no_secret_reads_raw_only() {
        let r = reader(|o| o.secrets.clear());
        let t = v4_token(&format!(r#"{{"exp":{}}}"#, now() + 60));
        let h = format!("{V4_COOKIE}={t}");
        assert!(matches!(r.read(Cookies::Header(&h), None, false, now()), Outcome::Denied(_)));
        assert_eq!(r.read(Cookies::Header(&h), None, true, now()), Outcome::Raw(t));
    }
}




/// Random and mutated input through every parser: no panic, no acceptance of
/// anything but the untouched token (security.md RS-1, INV-2). A cheap,
/// deterministic stand-in for a coverage-guided fuzzer, run by `cargo test`.
#[cfg(test)]
mod no_panic {
    use super::*;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn mutate(r: &mut Rng, s: &str) -> String {
        let mut b: Vec<u8> = s.as_bytes().to_vec();
        for _ in 0..=r.below(3) {
            let at = r.below(b.len() + 1);
            match r.below(5) {
                0 if at < b.len() => b[at] = (r.next() & 0x7f) as u8,
                1 if at < b.len() => {
                    b.remove(at);
                }
                2 => b.insert(at, b"%.=;, \"\\A_-"[r.below(11)]),
                3 => b.truncate(at),
                _ => b.extend_from_slice(b".."),
            }
        }
        String::from_utf8_lossy(&b).into_owned()
    }

    #[test]
    fn parsers_never_panic() {
        let secret = b"fuzz-secret-fuzz-secret-fuzz-secret-00";
        let v4 = Reader::new(ReaderOptions {
            secrets: vec![Zeroizing::new(secret.to_vec())],
            secure_cookie: false,
            cookie_name: None,
            salt: None,
            jws: None,
            v5_fallback: true,
        });
        let now = claims::now_seconds();
        let json = format!(r#"{{"sub":"1","exp":{}}}"#, now + 600);
        let t4 = encode_v4(secret, "", &json).unwrap();
        let k5 = keys::derive_v5::<64>(secret, V5_COOKIE).unwrap();
        let t5 = jwe::encrypt_v5_cbc(&k5, &keys::oct_thumbprint(k5.as_ref()), json.as_bytes()).unwrap();
        let mut r = Rng(0x1234_5678_9abc_def1);
        for i in 0..40_000 {
            let base = if i % 2 == 0 { &t4 } else { &t5 };
            let tok = mutate(&mut r, base);
            let header = match i % 4 {
                0 => format!("{V4_COOKIE}={tok}"),
                1 => format!("{V5_COOKIE}={tok}; {V4_COOKIE}.0={tok}"),
                2 => format!("a=b; {}", mutate(&mut r, &format!("{V4_COOKIE}.1=x; {V4_COOKIE}.0={tok}"))),
                _ => mutate(&mut r, &format!("{V4_COOKIE}={tok}; x=1")),
            };
            let out = v4.read(Cookies::Header(&header), Some(&format!("Bearer {tok}")), false, now);
            if let Outcome::Claims { json: got, .. } = out {
                assert_eq!(got, json, "accepted a mutated token: {header}");
            }
            let _ = jwe::peek_enc(&tok);
            let _ = crate::json::scan_claims(&tok);
            let _ = bearer_token(&tok);
        }
    }
}
