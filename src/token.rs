//! The session-token reader behind `getToken`: which cookie (or Bearer
//! header) holds the token, and which rules decode it. A [`Reader`] is
//! compiled once per configuration, with its keys derived up front (v4) or on
//! first use (v5); reading a request derives nothing.

use crate::claims;
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
}

/// What a read produced.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    None,
    /// `raw: true`: the token as found, unchecked.
    Raw(String),
    /// Validated claims as JSON text (a single object), with its `exp`.
    Claims { json: String, exp: f64 },
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
        Reader { families, bearer, bearer_v5_salt, secrets: opts.secrets, v4, v5, jws: opts.jws }
    }

    /// The cookie base names this reader looks at, in order.
    pub fn cookie_names(&self) -> impl Iterator<Item = &str> {
        self.families.iter().map(|(n, _)| n.as_str())
    }

    /// next-auth's getToken: find the token (cookie first, then Bearer), then
    /// return it raw or decode it.
    pub fn read(&self, cookies: Cookies<'_>, authorization: Option<&str>, raw: bool, now: i64) -> Outcome {
        let (token, rules) = match self.find(cookies, authorization) {
            Some(found) => found,
            None => return Outcome::None,
        };
        if raw {
            return Outcome::Raw(token);
        }
        match self.decode(&token, &rules, now) {
            Some((json, exp)) => Outcome::Claims { json, exp },
            None => Outcome::None,
        }
    }

    fn find(&self, cookies: Cookies<'_>, authorization: Option<&str>) -> Option<(String, Rules)> {
        let names: Vec<&str> = self.cookie_names().collect();
        let lookups = match cookies {
            Cookies::Header(h) => cookies::lookup_header(h, &names),
            Cookies::Pairs(pairs) => {
                let mut c = cookies::Collector::new(&names);
                for (n, v) in pairs {
                    c.offer(n, v.as_str().into());
                }
                c.finish()
            }
            Cookies::None => names.iter().map(|_| Lookup::Absent).collect(),
        };
        for (i, (lookup, (_, rules))) in lookups.into_iter().zip(&self.families).enumerate() {
            match lookup {
                Lookup::Found(t) => return Some((t, rules.clone())),
                // A present but unusable primary cookie denies: no Bearer fallback (CK-6).
                // The v5 fallback family is ignored by next-auth v4, so it only falls through.
                Lookup::Invalid if i == 0 => return None,
                Lookup::Invalid | Lookup::Absent => {}
            }
        }
        let token = bearer_token(authorization?)?;
        let rules = match (&self.bearer_v5_salt, &self.bearer) {
            (Some(salt), Rules::V4) if jwe::peek_enc(&token) == Some(Enc::A256CbcHs512) => {
                Rules::V5 { salt: salt.clone() }
            }
            (_, r) => r.clone(),
        };
        Some((token, rules))
    }

    /// Decodes and validates `token` under `rules`; JSON text and `exp` on success.
    pub fn decode(&self, token: &str, rules: &Rules, now: i64) -> Option<(String, f64)> {
        let plaintext = match rules {
            Rules::Jws => return self.jws.as_ref()?.verify(token, now),
            Rules::V4 => {
                let jwe = jwe::parse(token, &[Enc::A256Gcm]).ok()?;
                self.v4.iter().find_map(|c| jwe.decrypt_gcm(c).ok())?
            }
            Rules::V5 { salt } => {
                let jwe = jwe::parse(token, &[Enc::A256CbcHs512, Enc::A256Gcm]).ok()?;
                let keys = self.v5_keys(salt)?;
                let key = match &jwe.kid {
                    // Without kid Auth.js tries only the first secret.
                    None => keys.first()?,
                    Some(kid) => keys.iter().find(|k| match jwe.enc {
                        Enc::A256CbcHs512 => k.cbc_kid == *kid,
                        Enc::A256Gcm => k.gcm_kid == *kid,
                    })?,
                };
                match jwe.enc {
                    Enc::A256CbcHs512 => jwe.decrypt_cbc_hs512(&key.cbc).ok()?,
                    Enc::A256Gcm => jwe.decrypt_gcm(&key.gcm).ok()?,
                }
            }
        };
        let text = std::str::from_utf8(&plaintext).ok()?;
        let claims = crate::json::parse_object(text)?;
        let exp = claims::validate(&claims, now).ok()?;
        Some((text.to_owned(), exp))
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
pub fn bearer_token(header: &str) -> Option<String> {
    let mut parts = header.split(' ');
    if parts.next()? != "Bearer" {
        return None;
    }
    let token = match parts.next() {
        None => "undefined".to_owned(),
        Some(t) => cookies::decode_uri_component(t)?.into_owned(),
    };
    (!token.is_empty()).then_some(token)
}

/// next-auth v4 `encode`: A256GCM under HKDF(secret, salt) of a JSON text.
pub fn encode_v4(secret: &[u8], salt: &str, claims_json: &str) -> Option<String> {
    let key = keys::derive_v4(secret, salt)?;
    jwe::encrypt_v4(&Aes256Gcm::new(&(*key).into()), claims_json.as_bytes())
}

/// next-auth v4 `decode` with salt: validated claims JSON text.
pub fn decode_v4(secret: &[u8], salt: &str, token: &str, now: i64) -> Option<String> {
    let key = keys::derive_v4(secret, salt)?;
    let cipher = Aes256Gcm::new(&(*key).into());
    let jwe = jwe::parse(token, &[Enc::A256Gcm]).ok()?;
    let plaintext = jwe.decrypt_gcm(&cipher).ok()?;
    let text = std::str::from_utf8(&plaintext).ok()?;
    claims::validate(&crate::json::parse_object(text)?, now).ok()?;
    Some(text.to_owned())
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
        assert_eq!(r.read(Cookies::Header(&h), None, false, now()), Outcome::None);
        let secure = reader(|o| o.secure_cookie = true);
        assert!(claims_of(secure.read(Cookies::Header(&h), None, false, now())).is_some());
    }

    #[test]
    fn bearer_rules() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc".into()));
        assert_eq!(bearer_token("Bearer abc extra"), Some("abc".into()));
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
        assert_eq!(r.read(Cookies::Header(&h), Some(&auth), false, now()), Outcome::None);
        // conflicting duplicates deny, with no fallback
        let h = format!("{V4_COOKIE}=a; {V4_COOKIE}=b");
        assert_eq!(r.read(Cookies::Header(&h), Some(&auth), false, now()), Outcome::None);
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
        assert_eq!(r.read(Cookies::Header(&format!("{V5_COOKIE}={t2}")), None, false, now()), Outcome::None);
        // minted for another cookie name (salt binding)
        let other = keys::derive_v5::<64>(b"new-secret", "other").unwrap();
        let t3 = jwe::encrypt_v5_cbc(&other, &keys::oct_thumbprint(other.as_ref()), json.as_bytes()).unwrap();
        assert_eq!(r.read(Cookies::Header(&format!("{V5_COOKIE}={t3}")), None, false, now()), Outcome::None);
        // v4 cookie takes precedence when present
        let v4 = encode_v4(b"new-secret", "", &json).unwrap();
        let h = format!("{V5_COOKIE}={t}; {V4_COOKIE}={v4}");
        assert!(claims_of(r.read(Cookies::Header(&h), None, false, now())).is_some());
        // a v5 token in the v4 cookie is rejected (no cross-version decode)
        let h = format!("{V4_COOKIE}={t}");
        assert_eq!(r.read(Cookies::Header(&h), None, false, now()), Outcome::None);
    }

    #[test]
    fn state_cookie_jwe_is_not_a_session() {
        let r = reader(|_| {});
        // Encrypted with the session key (pre-4.24.5 issuer): shape check rejects it.
        let json = format!(r#"{{"value":"x","iat":1,"exp":{},"jti":"j"}}"#, now() + 900);
        let h = format!("{V4_COOKIE}={}", v4_token(&json));
        assert_eq!(r.read(Cookies::Header(&h), None, false, now()), Outcome::None);
        // Encrypted with the salted state key: wrong key.
        let t = encode_v4(SECRET.as_bytes(), "next-auth.state", &format!(r#"{{"sub":"1","exp":{}}}"#, now() + 60));
        let h = format!("{V4_COOKIE}={}", t.unwrap());
        assert_eq!(r.read(Cookies::Header(&h), None, false, now()), Outcome::None);
    }

    #[test]
    fn no_secret_reads_raw_only() {
        let r = reader(|o| o.secrets.clear());
        let t = v4_token(&format!(r#"{{"exp":{}}}"#, now() + 60));
        let h = format!("{V4_COOKIE}={t}");
        assert_eq!(r.read(Cookies::Header(&h), None, false, now()), Outcome::None);
        assert_eq!(r.read(Cookies::Header(&h), None, true, now()), Outcome::Raw(t));
    }
}
