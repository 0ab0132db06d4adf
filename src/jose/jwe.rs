//! Compact JWE with `alg: "dir"` (RFC 7516), the only form next-auth v4 and
//! Auth.js v5 produce. The header is checked against an allow-list before any
//! key is touched (docs/security.md JW-3…JW-10); lengths are checked before any
//! fixed-size construction, so no input can panic.

use super::{b64, json};
use crate::limits::{JWE_HEADER_MAX, JWT_MAX};
use aes_gcm::aead::AeadInPlace;
use aes_gcm::Aes256Gcm;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha512;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    A256Gcm,
    A256CbcHs512,
}

impl Enc {
    fn from_name(name: &str) -> Option<Enc> {
        match name {
            "A256GCM" => Some(Enc::A256Gcm),
            "A256CBC-HS512" => Some(Enc::A256CbcHs512),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JweError {
    Malformed,
    Header,
    Decrypt,
}

/// The protected-header members we read. Other members (`typ`, `cty`, names
/// we do not know) are accepted as jose accepts them: the header is
/// authenticated, so nobody without the key can add them (issue 14, item 8).
/// `crit` and `zip` are refused whatever their value.
#[derive(serde::Deserialize)]
struct Header {
    alg: String,
    enc: String,
    #[serde(default, deserialize_with = "string_if_present")]
    kid: Option<String>,
    #[serde(default, deserialize_with = "present")]
    crit: bool,
    #[serde(default, deserialize_with = "present")]
    zip: bool,
}

/// A member that, when present, must be a string: `"kid": null` is refused, as
/// Auth.js refuses it (its key lookup treats only an absent `kid` as "none";
/// finding F1 in src/regressions.rs).
fn string_if_present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

/// True for a member that is present, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

/// A compact JWE whose structure and header passed the allow-list.
#[derive(Debug)]
pub struct Jwe<'a> {
    header_b64: &'a str,
    pub enc: Enc,
    pub kid: Option<String>,
    iv_b64: &'a str,
    ct_b64: &'a str,
    tag_b64: &'a str,
}

/// Reads the `enc` of a token's protected header without any other check.
/// Used only to route a Bearer token to v4 or v5 rules.
pub fn peek_enc(token: &str) -> Option<Enc> {
    let seg = token.split('.').next()?;
    if seg.len() > JWE_HEADER_MAX {
        return None;
    }
    let bytes = b64::decode(seg)?;
    #[derive(serde::Deserialize)]
    struct Peek {
        enc: String,
    }
    let header: Peek = json::parse_header(std::str::from_utf8(&bytes).ok()?)?;
    Enc::from_name(&header.enc)
}

/// The five dot-separated segments of a compact JWE, or `None` for any
/// other number of segments.
fn split_compact(token: &str) -> Option<[&str; 5]> {
    let mut dots = memchr::memchr_iter(b'.', token.as_bytes());
    let (a, b, c, d) = (dots.next()?, dots.next()?, dots.next()?, dots.next()?);
    if dots.next().is_some() {
        return None;
    }
    // Slicing at ASCII dots is always on a char boundary.
    Some([
        &token[..a],
        &token[a + 1..b],
        &token[b + 1..c],
        &token[c + 1..d],
        &token[d + 1..],
    ])
}

/// Splits and checks a compact JWE: exactly five segments, empty encrypted
/// key, `alg` = "dir", `enc` in `allowed`, `kid` (if present) a string, no
/// duplicate `alg`/`enc`/`kid`, no `zip` and no `crit`; other members are ignored.
pub fn parse<'a>(token: &'a str, allowed: &[Enc]) -> Result<Jwe<'a>, JweError> {
    if token.len() > JWT_MAX {
        return Err(JweError::Malformed);
    }
    let [h, ek, iv, ct, tag] = split_compact(token).ok_or(JweError::Malformed)?;
    if h.is_empty() || h.len() > JWE_HEADER_MAX || !ek.is_empty() || iv.is_empty() || tag.is_empty()
    {
        return Err(JweError::Malformed);
    }
    if h == V4_HEADER_B64 && allowed.contains(&Enc::A256Gcm) {
        // The exact header next-auth v4 writes: nothing to parse.
        return Ok(Jwe {
            header_b64: h,
            enc: Enc::A256Gcm,
            kid: None,
            iv_b64: iv,
            ct_b64: ct,
            tag_b64: tag,
        });
    }
    let header_bytes = b64::decode(h).ok_or(JweError::Header)?;
    let header_text = std::str::from_utf8(&header_bytes).map_err(|_| JweError::Header)?;
    let header: Header = json::parse_header(header_text).ok_or(JweError::Header)?;
    if header.crit || header.zip {
        return Err(JweError::Header);
    }
    let enc = Enc::from_name(&header.enc).filter(|e| allowed.contains(e));
    match (header.alg.as_str(), enc) {
        ("dir", Some(enc)) => Ok(Jwe {
            header_b64: h,
            enc,
            kid: header.kid,
            iv_b64: iv,
            ct_b64: ct,
            tag_b64: tag,
        }),
        _ => Err(JweError::Header),
    }
}

impl Jwe<'_> {
    /// AES-256-GCM (RFC 7518 §5.3): 96-bit IV, 128-bit tag, AAD = header segment.
    /// The plaintext is the claims the caller hands to JS, so it is not zeroised.
    pub fn decrypt_gcm(&self, cipher: &Aes256Gcm) -> Result<Vec<u8>, JweError> {
        debug_assert_eq!(self.enc, Enc::A256Gcm);
        let iv = b64::decode_array::<12>(self.iv_b64).ok_or(JweError::Malformed)?;
        let tag = b64::decode_array::<16>(self.tag_b64).ok_or(JweError::Malformed)?;
        let mut buf = b64::decode(self.ct_b64).ok_or(JweError::Malformed)?;
        cipher
            .decrypt_in_place_detached(
                &iv.into(),
                self.header_b64.as_bytes(),
                &mut buf,
                &tag.into(),
            )
            .map_err(|_| JweError::Decrypt)?;
        Ok(buf)
    }

    /// A256CBC-HS512 (RFC 7518 §5.2.5): MAC first, constant-time, then decrypt.
    pub fn decrypt_cbc_hs512(&self, key: &[u8; 64]) -> Result<Vec<u8>, JweError> {
        debug_assert_eq!(self.enc, Enc::A256CbcHs512);
        use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
        let iv = b64::decode_array::<16>(self.iv_b64).ok_or(JweError::Malformed)?;
        let tag = b64::decode_array::<32>(self.tag_b64).ok_or(JweError::Malformed)?;
        let ct = b64::decode(self.ct_b64).ok_or(JweError::Malformed)?;
        if ct.is_empty() || ct.len() % 16 != 0 {
            return Err(JweError::Malformed);
        }
        let (mac_key, enc_key) = key.split_at(32);
        let aad = self.header_b64.as_bytes();
        let mut mac =
            <Hmac<Sha512> as Mac>::new_from_slice(mac_key).map_err(|_| JweError::Decrypt)?;
        mac.update(aad);
        mac.update(&iv);
        mac.update(&ct);
        mac.update(&((aad.len() as u64) * 8).to_be_bytes());
        let full = mac.finalize().into_bytes();
        if !bool::from(full[..32].ct_eq(&tag)) {
            return Err(JweError::Decrypt);
        }
        let dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(enc_key, &iv)
            .map_err(|_| JweError::Decrypt)?;
        dec.decrypt_padded_vec_mut::<Pkcs7>(&ct)
            .map_err(|_| JweError::Decrypt)
    }
}

/// The exact protected header next-auth v4 writes, base64url-encoded.
pub const V4_HEADER_B64: &str = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0";

/// Encrypts `plaintext` as next-auth v4's `encode` does: `dir` + A256GCM,
/// fresh random 96-bit IV.
pub fn encrypt_v4(cipher: &Aes256Gcm, plaintext: &[u8]) -> Option<String> {
    let mut iv = [0u8; 12];
    getrandom::getrandom(&mut iv).ok()?;
    let mut buf = Zeroizing::new(plaintext.to_vec());
    let tag = cipher
        .encrypt_in_place_detached(&iv.into(), V4_HEADER_B64.as_bytes(), &mut buf)
        .ok()?;
    Some(format!(
        "{V4_HEADER_B64}..{}.{}.{}",
        b64::encode(&iv),
        b64::encode(&buf),
        b64::encode(&tag)
    ))
}

/// Encrypts as Auth.js v5 does (A256CBC-HS512 with `kid`). Used by tests and
/// for completeness; next-auth v4 never writes this form.
pub fn encrypt_v5_cbc(key: &[u8; 64], kid: &str, plaintext: &[u8]) -> Option<String> {
    use cbc::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
    let header = b64::encode(
        serde_json::json!({"alg": "dir", "enc": "A256CBC-HS512", "kid": kid})
            .to_string()
            .as_bytes(),
    );
    let mut iv = [0u8; 16];
    getrandom::getrandom(&mut iv).ok()?;
    let (mac_key, enc_key) = key.split_at(32);
    let enc = cbc::Encryptor::<aes::Aes256>::new_from_slices(enc_key, &iv).ok()?;
    let ct = enc.encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(mac_key).ok()?;
    mac.update(header.as_bytes());
    mac.update(&iv);
    mac.update(&ct);
    mac.update(&((header.len() as u64) * 8).to_be_bytes());
    let tag = mac.finalize().into_bytes();
    Some(format!(
        "{header}..{}.{}.{}",
        b64::encode(&iv),
        b64::encode(&ct),
        b64::encode(&tag[..32])
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::KeyInit;

    fn cipher() -> Aes256Gcm {
        Aes256Gcm::new(&[9u8; 32].into())
    }

    fn reassemble(parts: &[&str]) -> String {
        parts.join(".")
    }

    #[test]
    fn round_trip_v4() {
        let c = cipher();
        let t = encrypt_v4(&c, br#"{"a":1}"#).unwrap();
        let j = parse(&t, &[Enc::A256Gcm]).unwrap();
        assert_eq!(&*j.decrypt_gcm(&c).unwrap(), br#"{"a":1}"#);
        assert!(j.decrypt_gcm(&Aes256Gcm::new(&[8u8; 32].into())).is_err());
    }

    #[test]
    fn round_trip_v5() {
        let key = [3u8; 64];
        let t = encrypt_v5_cbc(&key, "k", br#"{"a":1}"#).unwrap();
        let j = parse(&t, &[Enc::A256CbcHs512, Enc::A256Gcm]).unwrap();
        assert_eq!(j.kid.as_deref(), Some("k"));
        assert_eq!(&*j.decrypt_cbc_hs512(&key).unwrap(), br#"{"a":1}"#);
        let mut other = key;
        other[0] ^= 1;
        assert_eq!(j.decrypt_cbc_hs512(&other).unwrap_err(), JweError::Decrypt);
        // v5 enc is not allowed in v4 mode.
        assert!(parse(&t, &[Enc::A256Gcm]).is_err());
    }

    #[test]
    fn structure_checks() {
        let c = cipher();
        let t = encrypt_v4(&c, b"{}").unwrap();
        let p: Vec<&str> = t.split('.').collect();
        // 4 and 6 segments, non-empty encrypted key.
        assert!(parse(&reassemble(&p[..4]), &[Enc::A256Gcm]).is_err());
        assert!(parse(&(t.clone() + ".x"), &[Enc::A256Gcm]).is_err());
        assert!(parse(
            &reassemble(&[p[0], "AAAA", p[2], p[3], p[4]]),
            &[Enc::A256Gcm]
        )
        .is_err());
        // truncated tag and short IV parse, then fail on length without panicking.
        let short_tag = reassemble(&[p[0], "", p[2], p[3], &p[4][..10]]);
        assert_eq!(
            parse(&short_tag, &[Enc::A256Gcm])
                .unwrap()
                .decrypt_gcm(&c)
                .unwrap_err(),
            JweError::Malformed
        );
        let long_iv = reassemble(&[p[0], "", &b64::encode(&[0u8; 16]), p[3], p[4]]);
        assert_eq!(
            parse(&long_iv, &[Enc::A256Gcm])
                .unwrap()
                .decrypt_gcm(&c)
                .unwrap_err(),
            JweError::Malformed
        );
        // padding in the ciphertext segment (Node's Buffer would accept it).
        let padded = reassemble(&[p[0], "", p[2], &format!("{}=", p[3]), p[4]]);
        assert!(parse(&padded, &[Enc::A256Gcm])
            .unwrap()
            .decrypt_gcm(&c)
            .is_err());
    }

    #[test]
    fn header_allow_list() {
        let bad = [
            r#"{"alg":"A256KW","enc":"A256GCM"}"#,
            r#"{"alg":"dir","enc":"A128GCM"}"#,
            r#"{"alg":"dir","enc":"A256GCM","zip":"DEF"}"#,
            r#"{"alg":"dir","enc":"A256GCM","crit":["exp"]}"#,
            r#"{"alg":"dir","enc":"A256GCM","zip":null}"#,
            r#"{"alg":"dir","enc":"A256GCM","crit":[]}"#,
            r#"{"alg":"dir","enc":"A128CBC-HS256"}"#,
            r#"{"alg":"dir","alg":"dir","enc":"A256GCM"}"#,
            r#"{"alg":"PBES2-HS512+A256KW","enc":"A256GCM","p2c":10000,"p2s":"AAAA"}"#,
            r#"{"enc":"A256GCM"}"#,
            r#"{"alg":"dir"}"#,
            r#"{"alg":"dir","enc":"A256GCM","kid":5}"#,
            r#"{"alg":"dir","enc":"A256GCM","kid":null}"#,
            r#"["dir"]"#,
        ];
        for h in bad {
            let t = format!(
                "{}..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA",
                b64::encode(h.as_bytes())
            );
            assert_eq!(
                parse(&t, &[Enc::A256Gcm]).unwrap_err(),
                JweError::Header,
                "{h}"
            );
        }
        let ok = format!(
            "{}..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA",
            V4_HEADER_B64
        );
        assert!(parse(&ok, &[Enc::A256Gcm]).is_ok());
        // issue 14 item 8: extra members are accepted (the header is authenticated)
        for h in [
            r#"{"alg":"dir","enc":"A256GCM","typ":"JWT"}"#,
            r#"{"alg":"dir","enc":"A256GCM","cty":"JWT"}"#,
            r#"{"alg":"dir","enc":"A256GCM","x-unknown":{"a":[1]},"kid":"k"}"#,
        ] {
            let t = format!(
                "{}..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA",
                b64::encode(h.as_bytes())
            );
            assert!(parse(&t, &[Enc::A256Gcm]).is_ok(), "{h}");
        }
    }

    #[test]
    fn peek() {
        let t = encrypt_v5_cbc(&[1u8; 64], "k", b"{}").unwrap();
        assert_eq!(peek_enc(&t), Some(Enc::A256CbcHs512));
        assert_eq!(peek_enc("garbage"), None);
    }
}
