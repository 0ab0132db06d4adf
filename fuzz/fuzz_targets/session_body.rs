//! The check of an `/api/auth/session` response body (the endpoint store).
//!
//! Calls: `store::http::check_body`, `store::time::parse_iso_ms`.
//!
//! Properties: no panic; a body is accepted only if it is UTF-8, one JSON
//! object without duplicate members at any depth (checked independently),
//! with a non-empty `user` object and an `expires` string that parses to a
//! time after `now`; the returned `expires_ms` is that time and the returned
//! JSON is the same tree, re-serialised; and every body the reference
//! accepts is accepted.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use next_auth_native::store::http::check_body;
use next_auth_native::store::{time, Candidate};

fuzz_target!(|data: &[u8]| {
    let now_ms = common::NOW * 1000;
    let got = check_body(data, now_ms);
    let want = std::str::from_utf8(data)
        .ok()
        .and_then(common::strict_object)
        .and_then(|obj| {
            let user = obj.get("user")?.as_object()?;
            if user.is_empty() {
                return None;
            }
            let exp = time::parse_iso_ms(obj.get("expires")?.as_str()?)?;
            (exp > now_ms).then_some((exp, obj))
        });
    match (got, want) {
        (None, None) => {}
        (Some(Candidate::Body { expires_ms, json }), Some((exp, obj))) => {
            assert_eq!(expires_ms, exp);
            let back: serde_json::Value =
                serde_json::from_str(&json).expect("returned JSON parses");
            assert_eq!(
                back,
                serde_json::Value::Object(obj),
                "returned JSON is not the body's tree"
            );
        }
        (g, w) => panic!(
            "check_body {g:?} but the reference says {:?} for {:?}",
            w.map(|x| x.0),
            String::from_utf8_lossy(data)
        ),
    }
});
