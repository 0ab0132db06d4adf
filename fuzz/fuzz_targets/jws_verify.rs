//! App-signed JWS verification, one verifier per algorithm family: HMAC
//! (HS256/384/512), RSA (RS256…PS512), ECDSA (ES256 on P-256, ES384 on
//! P-384) and EdDSA (Ed25519), keys in fuzz/keys/.
//!
//! Calls: `jws::JwsVerifier::new` (PEM public keys and an HMAC secret) and
//! `JwsVerifier::verify`, the latter through `Reader::decode`
//! (Rules::Jws) as getToken does.
//!
//! Properties: no panic; an accepted token has exactly three segments, a
//! header of only `alg`/`typ`/`kid` whose `alg` is in the family's list, a
//! payload the claim rules accept (evaluated here on a serde_json tree), and a
//! signature that verifies independently: HMAC recomputed with the `hmac`
//! crate, RSA/ECDSA/Ed25519 with `ring` (the core uses jsonwebtoken's
//! RustCrypto backend). The first byte picks the family; with its high bit
//! set the rest is a payload that the target signs (HMAC) before verifying,
//! so the fuzzer also explores the claim checks behind the signature.
#![no_main]

#[path = "common.rs"]
mod common;

use common::*;
use hmac::Mac;
use libfuzzer_sys::fuzz_target;
use next_auth_native::jws::{JwsVerifier, KeyInput};
use next_auth_native::keys::Secret;
use next_auth_native::{Reader, ReaderOptions, Rules};
use ring::signature as sig;
use std::sync::OnceLock;

const HS_SECRET: &[u8] = b"fuzz-jws-hmac-secret-0123456789abcdef-xyz";
const RSA_PEM: &str = include_str!("../keys/rsa.pub.pem");
const P256_PEM: &str = include_str!("../keys/p256.pub.pem");
const P384_PEM: &str = include_str!("../keys/p384.pub.pem");
const ED_PEM: &str = include_str!("../keys/ed25519.pub.pem");
const RSA_PKCS1: &[u8] = include_bytes!("../keys/rsa.pkcs1.der");
const P256_SPKI: &[u8] = include_bytes!("../keys/p256.pub.der");
const P384_SPKI: &[u8] = include_bytes!("../keys/p384.pub.der");
const ED_SPKI: &[u8] = include_bytes!("../keys/ed25519.pub.der");

#[derive(Clone, Copy, Debug)]
enum Fam {
    Hs,
    Rsa,
    P256,
    P384,
    Ed,
}

const FAMS: [Fam; 5] = [Fam::Hs, Fam::Rsa, Fam::P256, Fam::P384, Fam::Ed];

fn algs(f: Fam) -> &'static [&'static str] {
    match f {
        Fam::Hs => &["HS256", "HS384", "HS512"],
        Fam::Rsa => &["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
        Fam::P256 => &["ES256"],
        Fam::P384 => &["ES384"],
        Fam::Ed => &["EdDSA"],
    }
}

fn readers() -> &'static Vec<Reader> {
    static R: OnceLock<Vec<Reader>> = OnceLock::new();
    R.get_or_init(|| {
        FAMS.iter()
            .map(|&f| {
                let names: Vec<String> = algs(f).iter().map(|s| s.to_string()).collect();
                let key = match f {
                    Fam::Hs => KeyInput::Secret(HS_SECRET),
                    Fam::Rsa => KeyInput::Public(RSA_PEM),
                    Fam::P256 => KeyInput::Public(P256_PEM),
                    Fam::P384 => KeyInput::Public(P384_PEM),
                    Fam::Ed => KeyInput::Public(ED_PEM),
                };
                let jws = JwsVerifier::new(&names, key, None, None).expect("verifier");
                Reader::new(ReaderOptions {
                    secrets: vec![Secret::new(
                        b"unused-jwe-secret-for-the-jws-reader".to_vec(),
                    )],
                    secure_cookie: false,
                    cookie_name: None,
                    salt: None,
                    jws: Some(jws),
                    v5_fallback: false,
                })
            })
            .collect()
    })
}

/// Independent signature check of `input` (header.payload) under `alg`.
fn reference_signature(alg: &str, input: &[u8], signature: &[u8]) -> bool {
    let hmac = |mac: Result<Vec<u8>, ()>| mac.is_ok_and(|m| m == signature);
    fn mac<M: Mac + hmac::digest::KeyInit>(input: &[u8]) -> Result<Vec<u8>, ()> {
        let mut m = <M as Mac>::new_from_slice(HS_SECRET).map_err(|_| ())?;
        m.update(input);
        Ok(m.finalize().into_bytes().to_vec())
    }
    let ring = |a: &'static dyn sig::VerificationAlgorithm, key: &[u8]| {
        sig::UnparsedPublicKey::new(a, key)
            .verify(input, signature)
            .is_ok()
    };
    match alg {
        "HS256" => hmac(mac::<hmac::Hmac<sha2::Sha256>>(input)),
        "HS384" => hmac(mac::<hmac::Hmac<sha2::Sha384>>(input)),
        "HS512" => hmac(mac::<hmac::Hmac<sha2::Sha512>>(input)),
        "RS256" => ring(&sig::RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1),
        "RS384" => ring(&sig::RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1),
        "RS512" => ring(&sig::RSA_PKCS1_2048_8192_SHA512, RSA_PKCS1),
        "PS256" => ring(&sig::RSA_PSS_2048_8192_SHA256, RSA_PKCS1),
        "PS384" => ring(&sig::RSA_PSS_2048_8192_SHA384, RSA_PKCS1),
        "PS512" => ring(&sig::RSA_PSS_2048_8192_SHA512, RSA_PKCS1),
        // SPKI DER ends with the uncompressed point / the raw Ed25519 key.
        "ES256" => ring(
            &sig::ECDSA_P256_SHA256_FIXED,
            &P256_SPKI[P256_SPKI.len() - 65..],
        ),
        "ES384" => ring(
            &sig::ECDSA_P384_SHA384_FIXED,
            &P384_SPKI[P384_SPKI.len() - 97..],
        ),
        "EdDSA" => ring(&sig::ED25519, &ED_SPKI[ED_SPKI.len() - 32..]),
        _ => false,
    }
}

/// Is `token` a valid JWS under family `f` at NOW? `Some(exp)` if so.
fn reference(f: Fam, token: &str) -> Option<f64> {
    if token.len() > 16 * 1024 {
        return None;
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts[..] else { return None };
    let header = strict_object(std::str::from_utf8(&b64(h)?).ok()?)?;
    if header
        .keys()
        .any(|k| !matches!(k.as_str(), "alg" | "typ" | "kid"))
    {
        return None;
    }
    for k in ["typ", "kid"] {
        if !matches!(
            header.get(k),
            None | Some(serde_json::Value::Null | serde_json::Value::String(_))
        ) {
            return None;
        }
    }
    let alg = header.get("alg")?.as_str()?;
    if !algs(f).contains(&alg) {
        return None;
    }
    let payload = strict_object(std::str::from_utf8(&b64(p)?).ok()?)?;
    let exp = reference_claims(&payload, NOW)?;
    let signing_input = &token.as_bytes()[..h.len() + 1 + p.len()];
    reference_signature(alg, signing_input, &b64(s)?).then_some(exp)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = FAMS[usize::from(mode & 0x7f) % FAMS.len()];
    let reader = &readers()[usize::from(mode & 0x7f) % FAMS.len()];
    let token = if mode & 0x80 != 0 && matches!(f, Fam::Hs) {
        // Sign the fuzzed payload bytes with HS256.
        let h = b64e(br#"{"alg":"HS256","typ":"JWT"}"#);
        let p = b64e(rest);
        let mut m = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(HS_SECRET).unwrap();
        m.update(format!("{h}.{p}").as_bytes());
        format!("{h}.{p}.{}", b64e(&m.finalize().into_bytes()))
    } else {
        match std::str::from_utf8(rest) {
            Ok(t) => t.to_owned(),
            Err(_) => return,
        }
    };
    if let Ok((json, exp)) = reader.decode(&token, &Rules::Jws, NOW) {
        let ref_exp = reference(f, &token)
            .unwrap_or_else(|| panic!("{f:?} accepted an invalid JWS: {token:?}"));
        assert_eq!(ref_exp, exp, "exp differs");
        let p = token.split('.').nth(1).unwrap();
        assert_eq!(
            b64(p).unwrap(),
            json.as_bytes(),
            "returned payload differs from the signed one"
        );
    }
});
