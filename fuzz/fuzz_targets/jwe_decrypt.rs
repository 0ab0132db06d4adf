//! JWE compact parse + decrypt under next-auth v4 (dir/A256GCM, salt "") and
//! Auth.js v5 (dir/A256CBC-HS512 or A256GCM, salt = cookie name, `kid`) keys.
//!
//! Calls: `Reader::new` + `Reader::decode` (Rules::V4 and Rules::V5),
//! `V4Key::derive` + `V4Key::decode`/`encode`, `jwe::parse`,
//! `jwe::peek_enc`, `jwe::encrypt_v4`, `jwe::encrypt_v5_cbc`.
//!
//! Properties: no panic; an accepted token is a valid token under the key,
//! checked independently (strict base64url, the exact header members, AES-GCM
//! or AES-CBC + HMAC-SHA-512 with keys derived here by HKDF, the plaintext
//! equal to what was returned, the claim rules evaluated on a serde_json
//! tree); the v4 entry points agree with each other; and the encrypt side
//! round-trips (input bytes as plaintext are accepted iff the claims are).
#![no_main]

#[path = "common.rs"]
mod common;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use common::*;
use libfuzzer_sys::fuzz_target;
use next_auth_native::keys::Secret;
use next_auth_native::{jwe, keys, Reader, ReaderOptions, Rules, V4Key};
use std::sync::OnceLock;

struct Fixture {
    reader: Reader,
    v4: V4Key,
    v4_key: [u8; 32],
    v5_cbc: [u8; 64],
    v5_gcm: [u8; 32],
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| Fixture {
        reader: Reader::new(ReaderOptions {
            secrets: vec![Secret::new(SECRET.to_vec())],
            secure_cookie: false,
            cookie_name: None,
            salt: None,
            jws: None,
            v5_fallback: true,
        }),
        v4: V4Key::derive(SECRET, "").unwrap(),
        v4_key: v4_key(),
        v5_cbc: v5_key::<64>(V5_SALT),
        v5_gcm: v5_key::<32>(V5_SALT),
    })
}

/// Independent decryption of a compact `dir` JWE: the plaintext if the token
/// is valid under the v4 key (`v5: false`) or the v5 keys (`v5: true`).
fn reference_decrypt(f: &Fixture, token: &str, v5: bool) -> Option<Vec<u8>> {
    if token.len() > 16 * 1024 {
        return None;
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [h, ek, iv, ct, tag] = parts[..] else {
        return None;
    };
    if !ek.is_empty() || h.is_empty() || h.len() > 512 {
        return None;
    }
    let header = strict_object(std::str::from_utf8(&b64(h)?).ok()?)?;
    // Members beyond alg/enc/kid are ignored, as jose ignores them (the
    // header is authenticated); crit and zip are refused whatever their value.
    if header.keys().any(|k| matches!(k.as_str(), "crit" | "zip")) {
        return None;
    }
    if header.get("alg")?.as_str()? != "dir" {
        return None;
    }
    let kid = match header.get("kid") {
        None => None,
        // A present kid must be a string; null is refused, as Auth.js does (F1).
        Some(v) => Some(v.as_str()?.to_owned()),
    };
    let enc = header.get("enc")?.as_str()?;
    let (iv, ct, tag) = (b64(iv)?, b64(ct)?, b64(tag)?);
    let gcm = |key: &[u8; 32]| -> Option<Vec<u8>> {
        if iv.len() != 12 || tag.len() != 16 {
            return None;
        }
        let mut msg = ct.clone();
        msg.extend_from_slice(&tag);
        aes_gcm::Aes256Gcm::new(key.into())
            .decrypt(
                iv.as_slice().into(),
                Payload {
                    msg: &msg,
                    aad: h.as_bytes(),
                },
            )
            .ok()
    };
    match (v5, enc) {
        (false, "A256GCM") => gcm(&f.v4_key),
        (true, "A256GCM") => {
            if kid.is_some_and(|k| k != keys::oct_thumbprint(&f.v5_gcm)) {
                return None;
            }
            gcm(&f.v5_gcm)
        }
        (true, "A256CBC-HS512") => {
            use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
            use hmac::Mac;
            if kid.is_some_and(|k| k != keys::oct_thumbprint(&f.v5_cbc)) {
                return None;
            }
            if iv.len() != 16 || tag.len() != 32 || ct.is_empty() || ct.len() % 16 != 0 {
                return None;
            }
            let mut mac =
                <hmac::Hmac<sha2::Sha512> as Mac>::new_from_slice(&f.v5_cbc[..32]).unwrap();
            mac.update(h.as_bytes());
            mac.update(&iv);
            mac.update(&ct);
            mac.update(&((h.len() as u64) * 8).to_be_bytes());
            mac.verify_truncated_left(&tag).ok()?;
            cbc::Decryptor::<aes::Aes256>::new_from_slices(&f.v5_cbc[32..], &iv)
                .unwrap()
                .decrypt_padded_vec_mut::<Pkcs7>(&ct)
                .ok()
        }
        _ => None,
    }
}

/// What the claim rules say about a plaintext: `Some(exp)` if acceptable.
fn reference_payload(plain: &[u8]) -> Option<f64> {
    reference_claims(&strict_object(std::str::from_utf8(plain).ok()?)?, NOW)
}

fn check_accepted(f: &Fixture, token: &str, v5: bool, got: Option<(String, f64)>) {
    let Some((json, exp)) = got else { return };
    let plain = reference_decrypt(f, token, v5).unwrap_or_else(|| {
        panic!("accepted a token the reference does not decrypt (v5={v5}): {token:?}")
    });
    assert_eq!(
        plain,
        json.as_bytes(),
        "returned claims differ from the plaintext"
    );
    let ref_exp = reference_payload(&plain)
        .unwrap_or_else(|| panic!("accepted claims the rules reject: {json:?}"));
    assert_eq!(ref_exp, exp, "exp differs");
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 0x80 == 0 {
        // A token, decoded under every rule set.
        let Ok(token) = std::str::from_utf8(rest) else {
            return;
        };
        let _ = jwe::peek_enc(token);
        let v4 = f.reader.decode(token, &Rules::V4, NOW).ok();
        check_accepted(f, token, false, v4.clone());
        let v4_key = f.v4.decode(token, NOW).ok();
        assert_eq!(
            v4.as_ref().map(|(j, _)| j.clone()),
            v4_key,
            "Reader::decode and V4Key::decode disagree"
        );
        let v5 = f
            .reader
            .decode(
                token,
                &Rules::V5 {
                    salt: V5_SALT.to_owned(),
                },
                NOW,
            )
            .ok();
        check_accepted(f, token, true, v5.clone());
        // Without a correct reference, decrypting should never succeed the other way round.
        if v4.is_none() && v5.is_none() {
            if let Some(plain) = reference_decrypt(f, token, false) {
                assert!(
                    reference_payload(&plain).is_none(),
                    "rejected a valid v4 token: {token:?}"
                );
            }
            if let Some(plain) = reference_decrypt(f, token, true) {
                assert!(
                    reference_payload(&plain).is_none(),
                    "rejected a valid v5 token: {token:?}"
                );
            }
        }
    } else {
        // Input bytes as plaintext: encrypt, then decode; accepted iff the claims are.
        let expect = reference_payload(rest);
        let t4 = f.v4.encode(std::str::from_utf8(rest).unwrap_or("{}"));
        if let (Some(t4), Ok(text)) = (t4, std::str::from_utf8(rest)) {
            let got = f.reader.decode(&t4, &Rules::V4, NOW).ok();
            let expect = if t4.len() > 16 * 1024 { None } else { expect };
            assert_eq!(
                got.as_ref().map(|(_, e)| *e),
                expect,
                "v4 round trip of {text:?}"
            );
            check_accepted(f, &t4, false, got);
        }
        if let Some(t5) = jwe::encrypt_v5_cbc(&f.v5_cbc, &keys::oct_thumbprint(&f.v5_cbc), rest) {
            let got = f
                .reader
                .decode(
                    &t5,
                    &Rules::V5 {
                        salt: V5_SALT.to_owned(),
                    },
                    NOW,
                )
                .ok();
            let expect = if t5.len() > 16 * 1024 { None } else { expect };
            assert_eq!(got.as_ref().map(|(_, e)| *e), expect, "v5 round trip");
            check_accepted(f, &t5, true, got);
        }
    }
});
