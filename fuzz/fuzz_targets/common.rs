//! Shared by the fuzz targets: the fixed clock, the test secret, and
//! independent reference helpers (base64url, HKDF, claim rules) written
//! here from the specs, not taken from the crate under test.
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The fixed "now" of every target (2026-12-01T00:00:00Z), so that a corpus
/// entry means the same thing on every run. Seed tokens expire ~50 years later.
pub const NOW: i64 = 1_796_083_200;
/// The secret the seed tokens were minted with (__test__/helpers/tokens.mjs).
pub const SECRET: &[u8] = b"nextauth-spec-test-secret-0123456789abcdef";
pub const V5_SALT: &str = "authjs.session-token";
pub const TOLERANCE: f64 = 15.0;

/// Strict unpadded base64url (RFC 4648 §5) with the `base64` crate's engine.
pub fn b64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

pub fn b64e(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

pub fn hkdf_sha256<const N: usize>(secret: &[u8], salt: &str, info: &str) -> [u8; N] {
    let mut out = [0u8; N];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(salt.as_bytes()), secret)
        .expand(info.as_bytes(), &mut out)
        .expect("hkdf length");
    out
}

/// next-auth v4 session key (salt "").
pub fn v4_key() -> [u8; 32] {
    hkdf_sha256(SECRET, "", "NextAuth.js Generated Encryption Key")
}

/// Auth.js v5 key for `salt` (64 bytes for A256CBC-HS512, 32 for A256GCM).
pub fn v5_key<const N: usize>(salt: &str) -> [u8; N] {
    hkdf_sha256(
        SECRET,
        salt,
        &format!("Auth.js Generated Encryption Key ({salt})"),
    )
}

/// A JSON object read with every member kept (no last-wins merge): `None`
/// for anything but one object, or for duplicate members at any depth.
pub fn strict_object(text: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    // Re-serialising a parse drops duplicates; counting members in a second
    // token scan tells whether any were dropped.
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let obj = v.as_object()?.clone();
    (count_members(&v) == scan_members(text)?).then_some(obj)
}

fn count_members(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(m) => m.len() + m.values().map(count_members).sum::<usize>(),
        serde_json::Value::Array(a) => a.iter().map(count_members).sum(),
        _ => 0,
    }
}

/// Counts object members in valid JSON text by counting `:` outside strings.
fn scan_members(text: &str) -> Option<usize> {
    let (mut n, mut in_str, mut esc) = (0usize, false, false);
    for c in text.bytes() {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b':' {
            n += 1;
        }
    }
    Some(n)
}

/// The claim rules of docs/security.md JW-11 / NA-1, evaluated on a parsed
/// object: `Some(exp)` when a payload is acceptable at `now`.
pub fn reference_claims(obj: &serde_json::Map<String, serde_json::Value>, now: i64) -> Option<f64> {
    let now = now as f64;
    let num = |k: &str| -> Option<Option<f64>> {
        match obj.get(k) {
            None => Some(None),
            Some(v) => v.as_f64().map(Some), // present but not a number: reject
        }
    };
    num("iat")?;
    if let Some(nbf) = num("nbf")? {
        if nbf > now + TOLERANCE {
            return None;
        }
    }
    let exp = num("exp")??;
    // Within the signed 64-bit range (issue 14, item 9): [-2^63, 2^63).
    if !(-9.223_372_036_854_775_808e18..9.223_372_036_854_775_808e18).contains(&exp) {
        return None;
    }
    if exp <= now - TOLERANCE {
        return None;
    }
    let check_shape = obj.contains_key("value")
        && obj
            .keys()
            .all(|k| matches!(k.as_str(), "value" | "provider" | "iat" | "exp" | "jti"));
    (!check_shape).then_some(exp)
}
