//! One strict JSON parse per header/payload (security.md JW-12, JW-13):
//! duplicate object members are rejected at every depth, the input must be
//! valid UTF-8 (the caller passes `&str`), numbers must be finite, and
//! serde_json's recursion limit (128) stays on. Key order is preserved
//! (`preserve_order`), so the claims keep the payload's order.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

struct StrictValue(Value);

impl<'de> de::Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom("duplicate member"));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Parses `text` as a single JSON object. `None` for anything else.
pub fn parse_object(text: &str) -> Option<Map<String, Value>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let StrictValue(v) = de::Deserialize::deserialize(&mut de).ok()?;
    de.end().ok()?;
    match v {
        Value::Object(m) => Some(m),
        _ => None,
    }
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

/// Duplicate-key tracking for one object: a short list, a hash set past 16 keys.
struct Seen<'de> {
    small: Vec<std::borrow::Cow<'de, str>>,
    big: Option<std::collections::HashSet<std::borrow::Cow<'de, str>>>,
}

impl<'de> Seen<'de> {
    fn new() -> Self {
        Seen { small: Vec::new(), big: None }
    }
    /// False if `k` was already there.
    fn insert(&mut self, k: std::borrow::Cow<'de, str>) -> bool {
        if let Some(set) = &mut self.big {
            return set.insert(k);
        }
        if self.small.contains(&k) {
            return false;
        }
        self.small.push(k);
        if self.small.len() > 16 {
            self.big = Some(self.small.drain(..).collect());
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
                SkipVisitor.visit_f64::<E>(v).map(|_| NumValue(Num::Finite(v)))
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
                SkipVisitor.visit_seq(seq).map(|_| NumValue(Num::NotANumber))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<NumValue, A::Error> {
                SkipVisitor.visit_map(map).map(|_| NumValue(Num::NotANumber))
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
    let mut de = serde_json::Deserializer::from_str(text);
    let facts = de::Deserializer::deserialize_map(&mut de, ClaimsVisitor).ok()?;
    de.end().ok()?;
    Some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_only() {
        assert!(parse_object(r#"{"a":1,"b":[1,{"c":null}]}"#).is_some());
        assert!(parse_object("[1]").is_none());
        assert!(parse_object("null").is_none());
        assert!(parse_object(r#""s""#).is_none());
        assert!(parse_object(r#"{"a":1} x"#).is_none());
    }

    #[test]
    fn duplicates_rejected_at_any_depth() {
        assert!(parse_object(r#"{"exp":1,"exp":2}"#).is_none());
        assert!(parse_object(r#"{"a":{"x":1,"x":1}}"#).is_none());
        assert!(parse_object(r#"{"a":[{"x":1,"x":1}]}"#).is_none());
    }

    #[test]
    fn non_finite_and_deep_rejected() {
        assert!(parse_object(r#"{"exp":1e400}"#).is_none());
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse_object(&format!(r#"{{"a":{deep}}}"#)).is_none());
    }

    #[test]
    fn scan_claims_agrees_with_parse_object() {
        let cases = [
            r#"{"a":1,"exp":5,"nbf":1.5,"iat":"x"}"#,
            r#"{"a":{"b":[1,2,{"c":"\u0041"}]},"exp":null}"#,
            r#"{"exp":1,"exp":2}"#,
            r#"{"a":{"x":1,"\u0078":2}}"#,
            r#"{"exp":1e400}"#,
            r#"[1]"#,
            r#"{"a":1} x"#,
            r#"{"value":"v","provider":"p","exp":1}"#,
        ];
        for c in cases {
            assert_eq!(scan_claims(c).is_some(), parse_object(c).is_some(), "{c}");
        }
        let f = scan_claims(r#"{"a":1,"exp":5,"nbf":1.5,"iat":"x"}"#).unwrap();
        assert_eq!(f.exp, Some(Num::Finite(5.0)));
        assert_eq!(f.nbf, Some(Num::Finite(1.5)));
        assert_eq!(f.iat, Some(Num::NotANumber));
        assert!(!f.check_cookie_shape);
        assert!(scan_claims(r#"{"value":"v","provider":"p","exp":1}"#).unwrap().check_cookie_shape);
        let many: Vec<String> = (0..100).map(|i| format!(r#""k{i}":{i}"#)).collect();
        assert!(scan_claims(&format!("{{{}}}", many.join(","))).is_some());
        assert!(scan_claims(&format!(r#"{{{},"k50":1}}"#, many.join(","))).is_none());
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(scan_claims(&format!(r#"{{"a":{deep}}}"#)).is_none());
    }

    #[test]
    fn keeps_key_order() {
        let m = parse_object(r#"{"z":1,"a":2,"m":3}"#).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["z", "a", "m"]);
    }
}
