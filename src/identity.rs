//! Forwarded identity headers (`forwardIdentity`) and the MAC that proves
//! this middleware set them (issue 14, items 3 and 5).
//!
//! The middleware forwards claim `c` as request header `x-auth-<mapped c>`
//! and adds `x-auth-mac: v1 <t> <claims> <mac>`, where `<claims>` lists the
//! forwarded claim names (percent-encoded, comma-separated) and `<mac>` is
//! base64url HMAC-SHA256 over the version, `t` and every (claim, header
//! value) pair, length-prefixed. The key is HKDF-SHA256 of the app's secret
//! with a label of its own, so it is the same on every instance and never
//! equal to a session-token key. A route reads the identity with
//! `readIdentity`, which verifies the MAC and the age of `t`.

use crate::cookies;
use crate::jose::b64;
use crate::limits::IDENTITY_CLAIMS_MAX;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Every forwarded header starts with this; the middleware removes all
/// client-sent headers with this prefix when `forwardIdentity` is set.
pub const PREFIX: &str = "x-auth-";
/// The MAC header.
pub const MAC_HEADER: &str = "x-auth-mac";
/// How old a MAC may be, in seconds (the hop from middleware to route).
pub const MAX_AGE: i64 = 60;
/// How far in the future a MAC's time may lie (clock skew between instances).
pub const SKEW: i64 = 15;
const INFO: &[u8] = b"next-auth-native forwarded identity MAC v1";

/// RFC 9110 `tchar`.
fn tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// The header a claim is forwarded as: `x-auth-` + the claim name in lower
/// case, with every character that may not appear in a header name
/// replaced by `-` (`https://example.com/roles` → `x-auth-https---example.com-roles`).
pub fn header_name(claim: &str) -> String {
    let mut out = String::with_capacity(PREFIX.len() + claim.len());
    out.push_str(PREFIX);
    out.extend(claim.chars().map(|c| {
        if tchar(c) {
            c.to_ascii_lowercase()
        } else {
            '-'
        }
    }));
    out
}

/// Checks a `forwardIdentity` list and returns the header of each claim.
/// Errors (with the fix) for empty names, `mac` (reserved), too many claims,
/// and two claims that map to the same header.
pub fn header_names(claims: &[String]) -> Result<Vec<String>, String> {
    if claims.len() > IDENTITY_CLAIMS_MAX {
        return Err(format!(
            "withAuth: forwardIdentity lists {} claims; forward at most {IDENTITY_CLAIMS_MAX}.",
            claims.len()
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(claims.len());
    for claim in claims {
        if claim.is_empty() {
            return Err(
                "withAuth: forwardIdentity contains an empty claim name; remove it.".into(),
            );
        }
        let name = header_name(claim);
        if name == MAC_HEADER {
            return Err(format!("withAuth: forwardIdentity claim {claim:?} would be sent as {MAC_HEADER}, which is reserved for the identity MAC; forward it under another name (e.g. copy it to another claim in the jwt callback)."));
        }
        if let Some(j) = out.iter().position(|n| *n == name) {
            return Err(format!(
                "withAuth: forwardIdentity claims {:?} and {claim:?} both map to the header {name}; keep one of them.",
                claims[j]
            ));
        }
        out.push(name);
    }
    Ok(out)
}

/// HMAC keys derived from the app's secrets; the first signs, all verify
/// (secret rotation, as next-auth's secret arrays).
pub struct IdentityKey {
    keys: Vec<Zeroizing<[u8; 32]>>,
}

type HmacSha256 = Hmac<Sha256>;

fn encode_claim(claim: &str) -> String {
    let mut out = String::with_capacity(claim.len());
    for &b in claim.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl IdentityKey {
    /// `None` when no secret is non-empty.
    pub fn new(secrets: &[&[u8]]) -> Option<IdentityKey> {
        let keys: Vec<_> = secrets
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| {
                let mut k = Zeroizing::new([0u8; 32]);
                Hkdf::<Sha256>::new(None, s)
                    .expand(INFO, k.as_mut())
                    .expect("32 bytes is a valid HKDF length");
                k
            })
            .collect();
        (!keys.is_empty()).then_some(IdentityKey { keys })
    }

    fn mac(key: &[u8; 32], t: i64, pairs: &[(&str, &str)]) -> [u8; 32] {
        let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
        m.update(b"v1\0");
        m.update(&t.to_be_bytes());
        m.update(&(pairs.len() as u64).to_be_bytes());
        for (claim, value) in pairs {
            m.update(&(claim.len() as u64).to_be_bytes());
            m.update(claim.as_bytes());
            m.update(&(value.len() as u64).to_be_bytes());
            m.update(value.as_bytes());
        }
        m.finalize().into_bytes().into()
    }

    /// The `x-auth-mac` value for the forwarded (claim, header value) pairs.
    pub fn sign(&self, pairs: &[(&str, &str)], now: i64) -> String {
        let claims: Vec<String> = pairs.iter().map(|(c, _)| encode_claim(c)).collect();
        let tag = Self::mac(&self.keys[0], now, pairs);
        format!("v1 {now} {} {}", claims.join(","), b64::encode(&tag))
    }

    /// Verifies `mac` against the request's headers (`headers` holds
    /// lower-case names and values) and returns the (claim, value) pairs it
    /// covers, or `None` when anything is missing, altered or too old.
    pub fn verify(
        &self,
        mac: &str,
        headers: &[(String, String)],
        now: i64,
    ) -> Option<Vec<(String, String)>> {
        let mut parts = mac.split(' ');
        if parts.next()? != "v1" {
            return None;
        }
        let t_text = parts.next()?;
        if t_text.is_empty() || t_text.len() > 12 || !t_text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let t: i64 = t_text.parse().ok()?;
        if t < now - MAX_AGE || t > now + SKEW {
            return None;
        }
        let list = parts.next()?;
        let tag = b64::decode_array::<32>(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        let claims: Vec<String> = if list.is_empty() {
            Vec::new()
        } else {
            list.split(',')
                .map(|c| cookies::decode_uri_component(c).map(|c| c.into_owned()))
                .collect::<Option<_>>()?
        };
        if claims.len() > IDENTITY_CLAIMS_MAX {
            return None;
        }
        let mut pairs = Vec::with_capacity(claims.len());
        for claim in &claims {
            let name = header_name(claim);
            let mut found = headers.iter().filter(|(n, _)| *n == name);
            let (_, value) = found.next()?;
            if found.next().is_some() {
                return None;
            }
            pairs.push((claim.as_str(), value.as_str()));
        }
        let ok = self
            .keys
            .iter()
            .any(|k| bool::from(Self::mac(k, t, &pairs).ct_eq(&tag)));
        ok.then(|| {
            pairs
                .into_iter()
                .map(|(c, v)| (c.to_owned(), v.to_owned()))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn hdrs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn names() {
        assert_eq!(header_name("role"), "x-auth-role");
        assert_eq!(header_name("userId"), "x-auth-userid");
        assert_eq!(
            header_name("https://example.com/roles"),
            "x-auth-https---example.com-roles"
        );
        assert_eq!(header_name("a b\né"), "x-auth-a-b--");
        assert!(header_names(&["sub".into(), "role".into()]).is_ok());
        assert!(header_names(&["Role".into(), "role".into()])
            .unwrap_err()
            .contains("both map"));
        assert!(header_names(&["".into()]).unwrap_err().contains("empty"));
        assert!(header_names(&["mac".into()])
            .unwrap_err()
            .contains("reserved"));
    }

    #[test]
    fn sign_verify() {
        let k = IdentityKey::new(&[b"secret-one".as_slice()]).unwrap();
        let mac = k.sign(&[("sub", "1"), ("https://x/roles", "[\"a\"]")], NOW);
        let h = hdrs(&[("x-auth-sub", "1"), ("x-auth-https---x-roles", "[\"a\"]")]);
        let got = k.verify(&mac, &h, NOW + 5).unwrap();
        assert_eq!(
            got,
            vec![
                ("sub".into(), "1".into()),
                ("https://x/roles".into(), "[\"a\"]".into())
            ]
        );
        // altered value, missing or duplicated header, other key, too old, from the future
        assert!(k
            .verify(
                &mac,
                &hdrs(&[("x-auth-sub", "2"), ("x-auth-https---x-roles", "[\"a\"]")]),
                NOW
            )
            .is_none());
        assert!(k.verify(&mac, &hdrs(&[("x-auth-sub", "1")]), NOW).is_none());
        let mut dup = h.clone();
        dup.push(("x-auth-sub".into(), "1".into()));
        assert!(k.verify(&mac, &dup, NOW).is_none());
        assert!(IdentityKey::new(&[b"other".as_slice()])
            .unwrap()
            .verify(&mac, &h, NOW)
            .is_none());
        assert!(k.verify(&mac, &h, NOW + MAX_AGE + 1).is_none());
        assert!(k.verify(&mac, &h, NOW - SKEW - 1).is_none());
        // rotation: a key list whose second entry signed
        let rotated = IdentityKey::new(&[b"new".as_slice(), b"secret-one".as_slice()]).unwrap();
        assert!(rotated.verify(&mac, &h, NOW).is_some());
        // a claim list edited to drop a claim no longer verifies
        let parts: Vec<&str> = mac.split(' ').collect();
        let edited = format!("v1 {} sub {}", parts[1], parts[3]);
        assert!(k.verify(&edited, &h, NOW).is_none());
        for bad in [
            "",
            "v1",
            "v2 1 sub x",
            "v1 -1 sub AAAA",
            "v1 1e3 sub AAAA",
            &format!("{mac} x"),
        ] {
            assert!(k.verify(bad, &h, NOW).is_none(), "{bad}");
        }
        // an empty claim list is a valid (empty) identity
        let empty = k.sign(&[], NOW);
        assert_eq!(k.verify(&empty, &[], NOW), Some(vec![]));
    }
}
