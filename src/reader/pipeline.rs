//! One read through a [`Reader`]: the session cookie(s) first, then the
//! Bearer header only when no cookie is present ([`super::bearer`]), then the
//! token cache ([`super::cache`]), then decryption (or JWS verification) and
//! claim validation.

use super::{Cookies, Outcome, Reader, Rules, Step};
use crate::cookies::{self, Lookup};
use crate::error::SessionError;
use crate::jose::claims;
use crate::jose::jwe::{self, Enc};

impl Reader {
    /// next-auth's getToken: find the token (cookie first, then Bearer), then
    /// return it raw or decode it.
    pub fn read(
        &self,
        cookies: Cookies<'_>,
        authorization: Option<&str>,
        raw: bool,
        now: i64,
    ) -> Outcome {
        match self.from_cookies(cookies) {
            Step::Found(token, rules) => self.finish(&token, &rules, raw, now),
            Step::Denied(e) => Outcome::Denied(e),
            Step::Absent => match authorization {
                Some(h) => self.read_bearer(h, raw, now),
                None => Outcome::Denied(SessionError::NoCookie),
            },
        }
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
        let mut names = [""; crate::limits::COOKIE_FAMILIES_MAX];
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
            Cookies::None => return Step::Absent,
        };
        for (i, (lookup, (_, rules))) in lookups.into_iter().zip(&self.families).enumerate() {
            match lookup {
                Lookup::Found(t) => return Step::Found(t, rules.clone()),
                // The v5 fallback family is ignored by next-auth v4, so it only falls through.
                Lookup::Denied(e) if i == 0 => return Step::Denied(e),
                Lookup::Denied(_) | Lookup::Absent => {}
            }
        }
        Step::Absent
    }

    /// Decodes and validates `token` under `rules`; JSON text and `exp` on
    /// success, or why not.
    pub fn decode(
        &self,
        token: &str,
        rules: &Rules,
        now: i64,
    ) -> Result<(String, f64), SessionError> {
        let plaintext = match rules {
            Rules::Jws => {
                return self
                    .jws
                    .as_ref()
                    .ok_or(SessionError::NoSecret)?
                    .verify(token, now)
            }
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
                        .ok_or(if keys.is_empty() {
                            SessionError::NoSecret
                        } else {
                            SessionError::DecryptFailed
                        })?,
                };
                match jwe.enc {
                    Enc::A256CbcHs512 => jwe.decrypt_cbc_hs512(&key.cbc)?,
                    Enc::A256Gcm => jwe.decrypt_gcm(&key.gcm)?,
                }
            }
        };
        let text = String::from_utf8(plaintext).map_err(|_| SessionError::Malformed)?;
        let exp = claims::validate(
            &crate::jose::json::scan_claims(&text).ok_or(SessionError::Malformed)?,
            now,
        )?;
        Ok((text, exp))
    }
}

/// Random and mutated input through every parser: no panic, no acceptance of
/// anything but the untouched token (docs/security.md RS-1, INV-2). A cheap,
/// deterministic stand-in for a coverage-guided fuzzer, run by `cargo test`.
#[cfg(test)]
mod no_panic {
    use super::super::*;
    use crate::jose::{claims, jwe, keys};
    use zeroize::Zeroizing;

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
        let t5 =
            jwe::encrypt_v5_cbc(&k5, &keys::oct_thumbprint(k5.as_ref()), json.as_bytes()).unwrap();
        let mut r = Rng(0x1234_5678_9abc_def1);
        for i in 0..40_000 {
            let base = if i % 2 == 0 { &t4 } else { &t5 };
            let tok = mutate(&mut r, base);
            let header = match i % 4 {
                0 => format!("{V4_COOKIE}={tok}"),
                1 => format!("{V5_COOKIE}={tok}; {V4_COOKIE}.0={tok}"),
                2 => format!(
                    "a=b; {}",
                    mutate(&mut r, &format!("{V4_COOKIE}.1=x; {V4_COOKIE}.0={tok}"))
                ),
                _ => mutate(&mut r, &format!("{V4_COOKIE}={tok}; x=1")),
            };
            let out = v4.read(
                Cookies::Header(&header),
                Some(&format!("Bearer {tok}")),
                false,
                now,
            );
            if let Outcome::Claims { json: got, .. } = out {
                assert_eq!(got, json, "accepted a mutated token: {header}");
            }
            let _ = jwe::peek_enc(&tok);
            let _ = crate::jose::json::scan_claims(&tok);
            let _ = bearer_token(&tok);
        }
    }
}
