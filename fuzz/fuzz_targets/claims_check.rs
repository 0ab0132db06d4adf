//! The claim check applied after decryption or verification.
//!
//! Calls: `json::scan_claims` + `claims::validate` (the pair every decoder
//! runs), and `claims::validate` on structured `ClaimFacts`.
//!
//! Properties: no panic; on text, the verdict and the returned `exp` equal
//! the rules evaluated independently on a serde_json tree (exp required and
//! a number, `exp <= now - 15` expired, `nbf > now + 15` not yet valid, a
//! non-number iat/nbf/exp rejected, OAuth check-cookie shapes rejected) at
//! a fuzzed `now`; on structured facts, an accepted result always has a
//! finite exp after `now - 15` and nbf not after `now + 15`.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use next_auth_native::claims;
use next_auth_native::json::{self, ClaimFacts, Num};

fn num(b: &[u8]) -> Option<Num> {
    match b.first()? % 4 {
        0 => None,
        1 => Some(Num::NotANumber),
        _ => {
            let mut x = [0u8; 8];
            for (d, s) in x.iter_mut().zip(b.iter().skip(1)) {
                *d = *s;
            }
            let v = f64::from_le_bytes(x);
            // A parse only ever yields finite numbers.
            Some(if v.is_finite() {
                Num::Finite(v)
            } else {
                Num::Finite(i64::from_le_bytes(x) as f64)
            })
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let (head, rest) = data.split_at(8);
    // now within ±2^40 s of the fixed clock
    let now = common::NOW + (i64::from_le_bytes(head.try_into().unwrap()) >> 24);
    if rest[0] & 1 == 0 {
        let Ok(text) = std::str::from_utf8(&rest[1..]) else {
            return;
        };
        let got = json::scan_claims(text).map(|f| claims::validate(&f, now));
        let want = common::strict_object(text).map(|o| common::reference_claims(&o, now));
        match (got, want) {
            (None, None) => {}
            (Some(g), Some(w)) => {
                assert_eq!(g.ok(), w, "claims verdict differs on {text:?} at {now}")
            }
            (g, w) => panic!("scan and tree disagree on {text:?}: {g:?} vs {w:?}"),
        }
    } else {
        let b = &rest[1..];
        let chunk = |i: usize| b.get(i * 9..(i + 1) * 9).unwrap_or(&[]);
        let facts = ClaimFacts {
            exp: num(chunk(0)),
            nbf: num(chunk(1)),
            iat: num(chunk(2)),
            check_cookie_shape: b.get(27).is_some_and(|x| x & 1 == 1),
        };
        if let Ok(exp) = claims::validate(&facts, now) {
            assert!(exp.is_finite() && exp > (now - 15) as f64);
            assert_eq!(facts.exp, Some(Num::Finite(exp)));
            if let Some(nbf) = facts.nbf {
                assert!(matches!(nbf, Num::Finite(n) if n <= (now + 15) as f64));
            }
            assert!(!matches!(facts.iat, Some(Num::NotANumber)));
            assert!(!facts.check_cookie_shape);
        }
    }
});
