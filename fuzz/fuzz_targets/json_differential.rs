//! The strict JSON reader of token payloads: the hand-written fast path
//! against the serde path (a differential target), and both against a
//! serde_json tree.
//!
//! Calls: `json::scan_claims`, `fuzzing::scan_flat`, `fuzzing::scan_serde`
//! (the two halves of `scan_claims`, exposed by the `fuzzing` feature),
//! `json::parse_header`.
//!
//! Properties: no panic; whenever the fast path answers, the serde path
//! answers the same facts (the fast path never accepts what serde rejects);
//! `scan_claims` is fast-or-serde; an accepted text is one JSON object with no
//! duplicate member at any depth, and its exp/nbf/iat facts match the tree.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use next_auth_native::fuzzing::{scan_flat, scan_serde};
use next_auth_native::json::{self, ClaimFacts, Num};

fn fact(obj: &serde_json::Map<String, serde_json::Value>, k: &str) -> Option<Num> {
    obj.get(k).map(|v| match v.as_f64() {
        Some(n) => Num::Finite(n),
        None => Num::NotANumber,
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Header {
    alg: String,
    enc: Option<String>,
    kid: Option<String>,
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let flat = scan_flat(text);
    let serde = scan_serde(text);
    if let Some(f) = &flat {
        assert_eq!(
            Some(f),
            serde.as_ref(),
            "fast path and serde disagree on {text:?}"
        );
    }
    let all = json::scan_claims(text);
    assert_eq!(all, flat.clone().or(serde.clone()));
    match (&all, common::strict_object(text)) {
        (Some(facts), Some(obj)) => {
            let want = ClaimFacts {
                exp: fact(&obj, "exp"),
                nbf: fact(&obj, "nbf"),
                iat: fact(&obj, "iat"),
                check_cookie_shape: obj.contains_key("value")
                    && obj.keys().all(|k| {
                        matches!(k.as_str(), "value" | "provider" | "iat" | "exp" | "jti")
                    }),
            };
            assert_eq!(facts, &want, "facts differ from the tree for {text:?}");
        }
        (Some(_), None) => panic!("accepted what is not one duplicate-free object: {text:?}"),
        (None, Some(_)) => panic!("rejected a duplicate-free object: {text:?}"),
        (None, None) => {}
    }
    // Headers: the same strictness, into a struct.
    if let Some(h) = json::parse_header::<Header>(text) {
        let obj = common::strict_object(text).expect("header accepted but not a strict object");
        assert_eq!(
            obj.get("alg").and_then(|v| v.as_str()),
            Some(h.alg.as_str())
        );
    }
});
