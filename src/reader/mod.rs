//! The session-token reader behind `getToken`: which cookie (or Bearer
//! header) holds the token, and which rules decode it. A [`Reader`] is
//! compiled once per configuration, with its keys derived up front (v4) or on
//! first use (v5); reading a request derives nothing.
//!
//! This file holds the reader's configuration: the cookie names, the
//! [`Rules`] per cookie family, [`ReaderOptions`] and [`Reader::new`]. The
//! rest, by concern:
//! - [`pipeline`]: one read, cookies first, then decode and validate;
//! - [`bearer`]: next-auth v4's `Authorization: Bearer` fallback;
//! - [`cache`]: the bounded cache of decoded tokens;
//! - [`codec`]: next-auth v4 `encode`/`decode` ([`V4Key`]).

use crate::error::SessionError;
use crate::jose::jws::JwsVerifier;
use crate::jose::keys::{self, Secret};
use aes_gcm::{Aes256Gcm, KeyInit};
use std::sync::OnceLock;
use zeroize::Zeroizing;

pub mod bearer;
mod cache;
pub mod codec;
pub mod pipeline;

pub use bearer::bearer_token;
#[cfg(test)]
pub use codec::encode_v4;
pub use codec::V4Key;

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

/// A compiled reader: its cookie families and rules, its derived keys, and
/// its cache of decoded tokens.
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
    cache: std::sync::Mutex<cache::TokenCache>,
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

/// What the cookies yielded (the vocabulary of [`crate::cookies::Lookup`]).
#[derive(Debug, PartialEq)]
pub enum Step<'a> {
    /// A session cookie's token, and the rules of the family it came from.
    Found(std::borrow::Cow<'a, str>, Rules),
    /// A present but unusable cookie, and why.
    Denied(SessionError),
    /// No session cookie: the caller may read a Bearer credential.
    Absent,
}

/// Where the cookies come from.
pub enum Cookies<'a> {
    /// A raw `Cookie` header (NextRequest, IncomingMessage).
    Header(&'a str),
    /// Already-parsed (name, value) pairs (Pages-router `req.cookies`).
    Pairs(&'a [(String, String)]),
    None,
}

/// The default session cookie names, v4's then v5's, for `secure_cookie`.
fn default_names(secure_cookie: bool) -> (&'static str, &'static str) {
    if secure_cookie {
        (V4_SECURE_COOKIE, V5_SECURE_COOKIE)
    } else {
        (V4_COOKIE, V5_COOKIE)
    }
}

/// The session cookie names a database store reads, in lookup order: the v4
/// name (or `cookie_name`), then the v5 fallback, as `getToken` reads them
/// (the one owner of cookie names and their order, for the reader and the
/// store alike).
pub fn session_cookie_names(secure_cookie: bool, cookie_name: Option<&str>) -> Vec<String> {
    let (v4_default, v5_default) = default_names(secure_cookie);
    let v4 = cookie_name.filter(|n| !n.is_empty()).unwrap_or(v4_default);
    if v4 == v5_default {
        vec![v4.to_owned()]
    } else {
        vec![v4.to_owned(), v5_default.to_owned()]
    }
}

impl Reader {
    pub fn new(opts: ReaderOptions) -> Reader {
        let (v4_default, v5_default) = default_names(opts.secure_cookie);
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
                let v5 = Rules::V5 {
                    salt: v5_default.to_owned(),
                };
                (
                    vec![(v4_name, Rules::V4), (v5_default.to_owned(), v5)],
                    Rules::V4,
                    Some(v5_default.to_owned()),
                )
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
        let v5 = salts
            .into_iter()
            .map(|salt| V5Keys {
                salt,
                keys: OnceLock::new(),
            })
            .collect();
        Reader {
            families,
            bearer,
            bearer_v5_salt,
            secrets: opts.secrets,
            v4,
            v5,
            jws: opts.jws,
            cache: std::sync::Mutex::new(cache::TokenCache::new()),
        }
    }

    /// The cookie base names this reader looks at, in order.
    pub fn cookie_names(&self) -> impl Iterator<Item = &str> {
        self.families.iter().map(|(n, _)| n.as_str())
    }

    /// Whether this reader has a key to decode with (a secret, or a JWS key).
    pub fn has_key(&self) -> bool {
        !self.secrets.is_empty() || self.jws.is_some()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{claims, jwe};

    pub(super) const SECRET: &str = "nextauth-spec-test-secret-0123456789abcdef";

    pub(super) fn reader(f: impl FnOnce(&mut ReaderOptions)) -> Reader {
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

    pub(super) fn now() -> i64 {
        claims::now_seconds()
    }

    pub(super) fn v4_token(json: &str) -> String {
        encode_v4(SECRET.as_bytes(), "", json).unwrap()
    }

    pub(super) fn claims_of(o: Outcome) -> Option<String> {
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
        assert_eq!(
            claims_of(r.read(Cookies::Header(&h), None, false, now())),
            Some(json.clone())
        );
        assert_eq!(
            r.read(Cookies::Header(&h), None, true, now()),
            Outcome::Raw(t.clone())
        );
        // the secure name is not read by a non-secure reader
        let h = format!("{V4_SECURE_COOKIE}={t}");
        assert!(matches!(
            r.read(Cookies::Header(&h), None, false, now()),
            Outcome::Denied(_)
        ));
        let secure = reader(|o| o.secure_cookie = true);
        assert!(claims_of(secure.read(Cookies::Header(&h), None, false, now())).is_some());
    }

    #[test]
    fn v5_cookie_and_rotation() {
        let r = reader(|o| {
            o.secrets = vec![
                Zeroizing::new(b"new-secret".to_vec()),
                Zeroizing::new(b"old-secret".to_vec()),
            ]
        });
        let old = keys::derive_v5::<64>(b"old-secret", V5_COOKIE).unwrap();
        let kid = keys::oct_thumbprint(old.as_ref());
        let json = format!(r#"{{"sub":"1","exp":{}}}"#, now() + 60);
        let t = jwe::encrypt_v5_cbc(&old, &kid, json.as_bytes()).unwrap();
        let h = format!("{V5_COOKIE}={t}");
        assert_eq!(
            claims_of(r.read(Cookies::Header(&h), None, false, now())),
            Some(json.clone())
        );
        // wrong kid → no key; old secret without kid → only the first secret is tried
        let t2 = jwe::encrypt_v5_cbc(&old, "nope", json.as_bytes()).unwrap();
        assert!(matches!(
            r.read(
                Cookies::Header(&format!("{V5_COOKIE}={t2}")),
                None,
                false,
                now()
            ),
            Outcome::Denied(_)
        ));
        // minted for another cookie name (salt binding)
        let other = keys::derive_v5::<64>(b"new-secret", "other").unwrap();
        let t3 = jwe::encrypt_v5_cbc(
            &other,
            &keys::oct_thumbprint(other.as_ref()),
            json.as_bytes(),
        )
        .unwrap();
        assert!(matches!(
            r.read(
                Cookies::Header(&format!("{V5_COOKIE}={t3}")),
                None,
                false,
                now()
            ),
            Outcome::Denied(_)
        ));
        // v4 cookie takes precedence when present
        let v4 = encode_v4(b"new-secret", "", &json).unwrap();
        let h = format!("{V5_COOKIE}={t}; {V4_COOKIE}={v4}");
        assert!(claims_of(r.read(Cookies::Header(&h), None, false, now())).is_some());
        // a v5 token in the v4 cookie is rejected (no cross-version decode)
        let h = format!("{V4_COOKIE}={t}");
        assert!(matches!(
            r.read(Cookies::Header(&h), None, false, now()),
            Outcome::Denied(_)
        ));
    }

    #[test]
    fn state_cookie_jwe_is_not_a_session() {
        let r = reader(|_| {});
        // Encrypted with the session key (pre-4.24.5 issuer): shape check rejects it.
        let json = format!(r#"{{"value":"x","iat":1,"exp":{},"jti":"j"}}"#, now() + 900);
        let h = format!("{V4_COOKIE}={}", v4_token(&json));
        assert!(matches!(
            r.read(Cookies::Header(&h), None, false, now()),
            Outcome::Denied(_)
        ));
        // Encrypted with the salted state key: wrong key.
        let t = encode_v4(
            SECRET.as_bytes(),
            "next-auth.state",
            &format!(r#"{{"sub":"1","exp":{}}}"#, now() + 60),
        );
        let h = format!("{V4_COOKIE}={}", t.unwrap());
        assert!(matches!(
            r.read(Cookies::Header(&h), None, false, now()),
            Outcome::Denied(_)
        ));
    }

    #[test]
    fn no_secret_reads_raw_only() {
        let r = reader(|o| o.secrets.clear());
        let t = v4_token(&format!(r#"{{"exp":{}}}"#, now() + 60));
        let h = format!("{V4_COOKIE}={t}");
        assert!(matches!(
            r.read(Cookies::Header(&h), None, false, now()),
            Outcome::Denied(_)
        ));
        assert_eq!(
            r.read(Cookies::Header(&h), None, true, now()),
            Outcome::Raw(t)
        );
    }
}

#[cfg(test)]
mod names_tests {
    use super::*;

    #[test]
    fn store_cookie_names_follow_the_reader() {
        assert_eq!(session_cookie_names(false, None), [V4_COOKIE, V5_COOKIE]);
        assert_eq!(
            session_cookie_names(true, None),
            [V4_SECURE_COOKIE, V5_SECURE_COOKIE]
        );
        assert_eq!(
            session_cookie_names(false, Some("")),
            [V4_COOKIE, V5_COOKIE]
        );
        assert_eq!(
            session_cookie_names(true, Some("app.sid")),
            ["app.sid", V5_SECURE_COOKIE]
        );
        // a custom name equal to the v5 name is read once
        assert_eq!(session_cookie_names(false, Some(V5_COOKIE)), [V5_COOKIE]);
    }
}
