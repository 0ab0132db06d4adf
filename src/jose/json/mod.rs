//! Strict JSON for headers and payloads (docs/security.md JW-12, JW-13): one parse
//! each, duplicate object members rejected at every depth, valid UTF-8 (the
//! caller passes `&str`), finite numbers, serde_json's recursion limit (128)
//! left on. The payload is validated without building a value tree; the JS
//! side parses the same text, so the claims keep the payload's key order.

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

mod fast;
pub(crate) use fast::scan_flat;

/// Parses a JOSE header into `T` (a struct with `deny_unknown_fields`): one
/// JSON object, no duplicate or unknown members, every member of its type.
/// serde would also read a struct from a JSON array; we don't.
pub fn parse_header<T: DeserializeOwned>(text: &str) -> Option<T> {
    if !text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// What the claim checks need from a payload, gathered in the same single
/// strict parse that validates it (no value tree is built).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ClaimFacts {
    pub exp: Option<Num>,
    pub nbf: Option<Num>,
    pub iat: Option<Num>,
    /// Has a `value` member and nothing outside {value, provider, iat, exp, jti}:
    /// the shape of next-auth's OAuth check cookies.
    pub check_cookie_shape: bool,
}

/// A registered time claim: a number, or something that is not one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Finite(f64),
    NotANumber,
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Duplicate-key tracking for one object: the first 16 keys in a stack
/// array (no allocation for typical payloads), a hash set past that.
struct Seen<'de> {
    small: [Option<std::borrow::Cow<'de, str>>; 16],
    len: usize,
    big: Option<std::collections::HashSet<std::borrow::Cow<'de, str>>>,
}

impl<'de> Seen<'de> {
    fn new() -> Self {
        Seen {
            small: Default::default(),
            len: 0,
            big: None,
        }
    }
    /// False if `k` was already there.
    fn insert(&mut self, k: std::borrow::Cow<'de, str>) -> bool {
        if let Some(set) = &mut self.big {
            return set.insert(k);
        }
        if self.small[..self.len].iter().flatten().any(|s| *s == k) {
            return false;
        }
        if self.len < self.small.len() {
            self.small[self.len] = Some(k);
            self.len += 1;
        } else {
            let mut set: std::collections::HashSet<_> =
                self.small.iter_mut().filter_map(Option::take).collect();
            set.insert(k);
            self.big = Some(set);
        }
        true
    }
}

/// Validates any JSON value without building it; rejects duplicate members.
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Skip, E> {
        if v.is_finite() {
            Ok(Skip)
        } else {
            Err(E::custom("non-finite number"))
        }
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        let mut seen = Seen::new();
        while let Some(Key(k)) = map.next_key()? {
            if !seen.insert(k) {
                return Err(de::Error::custom("duplicate member"));
            }
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}

/// A registered time claim's value: any JSON value, remembered as a number or not.
struct NumValue(Num);

impl<'de> de::Deserialize<'de> for NumValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NumValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_i64<E>(self, v: i64) -> Result<NumValue, E> {
                Ok(NumValue(Num::Finite(v as f64)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<NumValue, E> {
                Ok(NumValue(Num::Finite(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumValue, E> {
                SkipVisitor
                    .visit_f64::<E>(v)
                    .map(|_| NumValue(Num::Finite(v)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<NumValue, E> {
                Ok(NumValue(Num::NotANumber))
            }
            fn visit_str<E>(self, _: &str) -> Result<NumValue, E> {
                Ok(NumValue(Num::NotANumber))
            }
            fn visit_unit<E>(self) -> Result<NumValue, E> {
                Ok(NumValue(Num::NotANumber))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<NumValue, A::Error> {
                SkipVisitor
                    .visit_seq(seq)
                    .map(|_| NumValue(Num::NotANumber))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<NumValue, A::Error> {
                SkipVisitor
                    .visit_map(map)
                    .map(|_| NumValue(Num::NotANumber))
            }
        }
        d.deserialize_any(V)
    }
}

struct ClaimsVisitor;

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = ClaimFacts;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ClaimFacts, A::Error> {
        let mut facts = ClaimFacts::default();
        let mut seen = Seen::new();
        let mut has_value = false;
        let mut only_check_keys = true;
        while let Some(Key(k)) = map.next_key()? {
            let slot = match &*k {
                "exp" => Some(&mut facts.exp),
                "nbf" => Some(&mut facts.nbf),
                "iat" => Some(&mut facts.iat),
                _ => None,
            };
            match slot {
                Some(slot) => *slot = Some(map.next_value::<NumValue>()?.0),
                None => {
                    map.next_value::<Skip>()?;
                }
            }
            has_value |= k == "value";
            only_check_keys &= matches!(&*k, "value" | "provider" | "iat" | "exp" | "jti");
            if !seen.insert(k) {
                return Err(de::Error::custom("duplicate member"));
            }
        }
        facts.check_cookie_shape = has_value && only_check_keys;
        Ok(facts)
    }
}

/// Validates `text` as one JSON object (strict: no duplicate members at any
/// depth, finite numbers, depth ≤ 128) and returns the facts the claim checks
/// need. `None` for anything else.
pub fn scan_claims(text: &str) -> Option<ClaimFacts> {
    scan_flat(text).or_else(|| scan_serde(text))
}

pub(crate) fn scan_serde(text: &str) -> Option<ClaimFacts> {
    let mut de = serde_json::Deserializer::from_str(text);
    let facts = de::Deserializer::deserialize_map(&mut de, ClaimsVisitor).ok()?;
    de.end().ok()?;
    Some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_must_be_one_object() {
        assert!(scan_claims(r#"{"a":1,"b":[1,{"c":null}]}"#).is_some());
        for bad in ["[1]", "null", r#""s""#, r#"{"a":1} x"#, "", "{"] {
            assert!(scan_claims(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn duplicates_rejected_at_any_depth_even_when_escaped() {
        assert!(scan_claims(r#"{"exp":1,"exp":2}"#).is_none());
        assert!(scan_claims(r#"{"a":{"x":1,"x":1}}"#).is_none());
        assert!(scan_claims(r#"{"a":[{"x":1,"x":1}]}"#).is_none());
        assert!(scan_claims(r#"{"a":{"x":1,"\u0078":2}}"#).is_none());
        let many: Vec<String> = (0..100).map(|i| format!(r#""k{i}":{i}"#)).collect();
        assert!(scan_claims(&format!("{{{}}}", many.join(","))).is_some());
        assert!(scan_claims(&format!(r#"{{{},"k50":1}}"#, many.join(","))).is_none());
    }

    #[test]
    fn non_finite_and_deep_rejected() {
        assert!(scan_claims(r#"{"exp":1e400}"#).is_none());
        assert!(scan_claims(r#"{"a":[-1e309]}"#).is_none());
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(scan_claims(&format!(r#"{{"a":{deep}}}"#)).is_none());
    }

    #[test]
    fn facts() {
        let f = scan_claims(r#"{"a":1,"exp":5,"nbf":1.5,"iat":"x"}"#).unwrap();
        assert_eq!(f.exp, Some(Num::Finite(5.0)));
        assert_eq!(f.nbf, Some(Num::Finite(1.5)));
        assert_eq!(f.iat, Some(Num::NotANumber));
        assert!(!f.check_cookie_shape);
        assert_eq!(
            scan_claims(r#"{"\u0065xp":7}"#).unwrap().exp,
            Some(Num::Finite(7.0))
        );
        assert!(
            scan_claims(r#"{"value":"v","provider":"p","exp":1}"#)
                .unwrap()
                .check_cookie_shape
        );
    }

    #[test]
    fn flat_path_agrees_with_serde() {
        let typical = r#"{"name":"Demo User","email":"demo@example.com","picture":"https://example.com/a.png","sub":"user-1","role":"admin","i":0,"iat":1763870000,"exp":1863870000,"jti":"0b1f0f6e-5a0e-4f61-9e8e-6b3d0c9b2f11"}"#;
        assert!(
            scan_flat(typical).is_some(),
            "the common payload takes the fast path"
        );
        assert!(
            scan_flat(r#"{"value":"v","provider":"p","exp":1,"iat":-0}"#)
                .unwrap()
                .check_cookie_shape
        );
        // Inputs the fast path must leave to serde, or answer as serde does.
        let mut corpus: Vec<String> = vec![
            typical.into(),
            "{}".into(),
            " { } ".into(),
            r#"{"a":1,}"#.into(),
            r#"{"a" : 01}"#.into(),
            r#"{"a":-}"#.into(),
            r#"{"a":1.5}"#.into(),
            r#"{"a":1e3}"#.into(),
            r#"{"a":"\u0041"}"#.into(),
            r#"{"\u0065xp":1}"#.into(),
            r#"{"exp":1,"exp":2}"#.into(),
            r#"{"a":tru}"#.into(),
            r#"{"a":nulls}"#.into(),
            r#"{"a":[1]}"#.into(),
            r#"{"a":{"b":1}}"#.into(),
            "{\"a\":\"\u{1}\"}".into(),
            r#"{"a":1}x"#.into(),
            r#"{"a":1} "#.into(),
            r#"{"a":1234567890123456}"#.into(),
            r#"{"é":"ü"}"#.into(),
            r#"{"exp":"1"}"#.into(),
            r#"{"exp":true,"nbf":null,"iat":false}"#.into(),
            "{\"a\"\t:\r\n1}".into(),
        ];
        // Every single-byte mutation of a few payloads.
        let mut r: u64 = 0x9E37_79B9_7F4A_7C15;
        for base in [typical, r#"{"value":"v","provider":"p","exp":12,"iat":-0}"#] {
            for _ in 0..4000 {
                r ^= r << 13;
                r ^= r >> 7;
                r ^= r << 17;
                let mut bytes = base.as_bytes().to_vec();
                let at = (r as usize >> 8) % bytes.len();
                let pool = b"{}[],:\"\\-0123456789.eE+ tfnaulrsx\t\n\x01";
                match r % 3 {
                    0 => bytes[at] = pool[(r as usize >> 20) % pool.len()],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, pool[(r as usize >> 20) % pool.len()]),
                }
                if let Ok(s) = String::from_utf8(bytes) {
                    corpus.push(s);
                }
            }
        }
        let mut fast = 0;
        for text in &corpus {
            if let Some(f) = scan_flat(text) {
                fast += 1;
                assert_eq!(scan_serde(text), Some(f), "{text}");
            }
        }
        assert!(fast > 1000, "the fast path answered {fast} inputs");
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct H {
        alg: String,
        kid: Option<String>,
    }

    #[test]
    fn headers() {
        assert!(parse_header::<H>(r#"{"alg":"dir"}"#).is_some());
        assert!(parse_header::<H>(r#" {"alg":"dir","kid":"k"}"#).is_some());
        for bad in [
            r#"{"alg":"dir","alg":"dir"}"#,
            r#"{"alg":"dir","x":1}"#,
            r#"["dir"]"#,
            r#"{"alg":5}"#,
            r#"{}"#,
        ] {
            assert!(parse_header::<H>(bad).is_none(), "{bad}");
        }
    }
}
