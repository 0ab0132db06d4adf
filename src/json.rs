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
    fn keeps_key_order() {
        let m = parse_object(r#"{"z":1,"a":2,"m":3}"#).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["z", "a", "m"]);
    }
}
