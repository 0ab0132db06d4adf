//! A single-pass, allocation-light validator for JWT payloads: the hot path
//! behind [`crate::json::scan_claims`]. It accepts exactly the JSON that the
//! serde-based scanner accepts (strict RFC 8259, no duplicate members at any
//! depth, finite numbers, nesting below 128) and gathers the same
//! [`ClaimFacts`]; `json::tests` and this module's tests check the two
//! against each other. Objects with many members and keys with escapes are
//! handed back to the serde scanner (`Fallback`), which is slower but general.

use crate::json::{ClaimFacts, Num};

/// serde_json rejects the 128th nested level; so do we.
const MAX_DEPTH: usize = 127;
/// Past this many members in one object, duplicate detection goes to serde.
const MAX_LINEAR_KEYS: usize = 32;

pub enum Scan {
    Valid(ClaimFacts),
    Invalid,
    /// Valid or not, this input needs the general scanner.
    Fallback,
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
    /// Keys of the objects being parsed, innermost last (stack of ranges in `keys`).
    keys: Vec<&'a [u8]>,
}

enum E {
    Invalid,
    Fallback,
}

type R<T> = Result<T, E>;

impl<'a> P<'a> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> R<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(E::Invalid)
        }
    }

    fn hex4(&mut self) -> R<u16> {
        let s = self.b.get(self.i..self.i + 4).ok_or(E::Invalid)?;
        let mut v = 0u16;
        for &c in s {
            let d = (c as char).to_digit(16).ok_or(E::Invalid)? as u16;
            v = v * 16 + d;
        }
        self.i += 4;
        Ok(v)
    }

    /// A string after its opening quote. Returns the raw contents and whether
    /// it had escapes.
    fn string(&mut self) -> R<(&'a [u8], bool)> {
        let start = self.i;
        let mut escaped = false;
        loop {
            let c = *self.b.get(self.i).ok_or(E::Invalid)?;
            match c {
                b'"' => {
                    let raw = &self.b[start..self.i];
                    self.i += 1;
                    return Ok((raw, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.i += 1;
                    match self.b.get(self.i).ok_or(E::Invalid)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                        b'u' => {
                            self.i += 1;
                            let u = self.hex4()?;
                            match u {
                                0xD800..=0xDBFF => {
                                    // A leading surrogate must be followed by a trailing one.
                                    if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                                        return Err(E::Invalid);
                                    }
                                    self.i += 2;
                                    if !(0xDC00..=0xDFFF).contains(&self.hex4()?) {
                                        return Err(E::Invalid);
                                    }
                                }
                                0xDC00..=0xDFFF => return Err(E::Invalid),
                                _ => {}
                            }
                        }
                        _ => return Err(E::Invalid),
                    }
                }
                0x00..=0x1F => return Err(E::Invalid),
                _ => self.i += 1,
            }
        }
    }

    /// A number; returns its value when `want` (else only validates it).
    fn number(&mut self, want: bool) -> R<Option<f64>> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
            }
            _ => return Err(E::Invalid),
        }
        let mut simple = true;
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(E::Invalid);
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            simple = false;
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(E::Invalid);
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        let lit = &self.b[start..self.i];
        // Short literals without an exponent are always finite.
        if !want && simple && lit.len() < 300 {
            return Ok(None);
        }
        let s = std::str::from_utf8(lit).map_err(|_| E::Invalid)?;
        let v: f64 = s.parse().map_err(|_| E::Invalid)?;
        if !v.is_finite() {
            return Err(E::Invalid);
        }
        Ok(Some(v))
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(E::Invalid)
        }
    }

    /// Any value; `Num` describes it for the time claims.
    fn value(&mut self, want_num: bool) -> R<Num> {
        match self.peek().ok_or(E::Invalid)? {
            b'{' => {
                self.object(None)?;
                Ok(Num::NotANumber)
            }
            b'[' => {
                self.array()?;
                Ok(Num::NotANumber)
            }
            b'"' => {
                self.i += 1;
                self.string()?;
                Ok(Num::NotANumber)
            }
            b't' => self.literal(b"true").map(|_| Num::NotANumber),
            b'f' => self.literal(b"false").map(|_| Num::NotANumber),
            b'n' => self.literal(b"null").map(|_| Num::NotANumber),
            _ => Ok(match self.number(want_num)? {
                Some(v) => Num::Finite(v),
                None => Num::NotANumber, // not asked for: the caller ignores it
            }),
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(E::Invalid)
        } else {
            Ok(())
        }
    }

    fn array(&mut self) -> R<()> {
        self.enter()?;
        self.i += 1; // '['
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.value(false)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(E::Invalid),
            }
        }
    }

    /// An object; with `facts`, also the top-level claim facts.
    fn object(&mut self, mut facts: Option<&mut ClaimFacts>) -> R<()> {
        self.enter()?;
        self.i += 1; // '{'
        let mark = self.keys.len();
        let mut has_value = false;
        let mut only_check_keys = true;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                self.eat(b'"')?;
                let (key, escaped) = self.string()?;
                if escaped {
                    return Err(E::Fallback);
                }
                if self.keys[mark..].contains(&key) {
                    return Err(E::Invalid);
                }
                if self.keys.len() - mark >= MAX_LINEAR_KEYS {
                    return Err(E::Fallback);
                }
                self.keys.push(key);
                self.ws();
                self.eat(b':')?;
                self.ws();
                match facts.as_deref_mut() {
                    Some(f) => {
                        let slot = match key {
                            b"exp" => Some(&mut f.exp),
                            b"nbf" => Some(&mut f.nbf),
                            b"iat" => Some(&mut f.iat),
                            _ => None,
                        };
                        match slot {
                            Some(slot) => *slot = Some(self.value(true)?),
                            None => {
                                self.value(false)?;
                            }
                        }
                        has_value |= key == b"value";
                        only_check_keys &= matches!(key, b"value" | b"provider" | b"iat" | b"exp" | b"jti");
                    }
                    None => {
                        self.value(false)?;
                    }
                }
                self.ws();
                match self.peek() {
                    Some(b',') => self.i += 1,
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(E::Invalid),
                }
            }
        }
        self.keys.truncate(mark);
        self.depth -= 1;
        if let Some(f) = facts {
            f.check_cookie_shape = has_value && only_check_keys;
        }
        Ok(())
    }
}

/// Scans a payload; see the module docs.
pub fn scan(text: &str) -> Scan {
    let mut p = P { b: text.as_bytes(), i: 0, depth: 0, keys: Vec::with_capacity(16) };
    p.ws();
    if p.peek() != Some(b'{') {
        return Scan::Invalid;
    }
    let mut facts = ClaimFacts::default();
    match p.object(Some(&mut facts)) {
        Ok(()) => {}
        Err(E::Invalid) => return Scan::Invalid,
        Err(E::Fallback) => return Scan::Fallback,
    }
    p.ws();
    if p.i == p.b.len() {
        Scan::Valid(facts)
    } else {
        Scan::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::scan_claims_serde;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    const KEYS: &[&str] = &["exp", "nbf", "iat", "value", "provider", "jti", "sub", "name", "a", "b"];
    const ATOMS: &[&str] = &[
        "0", "-0", "1", "-1.5", "1e3", "1E-2", "2.5e+10", "1e400", "-1e309", "1e-400", "01", "1.", ".5", "+1",
        "12345678901234567890", "true", "false", "null", "tru", "\"\"", "\"x\"", "\"a\\nb\"", "\"\\u00e9\"",
        "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\x\"", "\"é😀\"", "\"\u{1}\"", "\"\\/\"",
    ];

    fn value(r: &mut Rng, depth: u32, out: &mut String) {
        match if depth > 4 { 2 } else { r.below(4) } {
            0 => {
                out.push('{');
                let n = r.below(5);
                for i in 0..n {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('"');
                    out.push_str(KEYS[r.below(KEYS.len() as u64) as usize]);
                    out.push_str("\":");
                    value(r, depth + 1, out);
                }
                out.push('}');
            }
            1 => {
                out.push('[');
                let n = r.below(4);
                for i in 0..n {
                    if i > 0 {
                        out.push_str(" , ");
                    }
                    value(r, depth + 1, out);
                }
                out.push(']');
            }
            _ => out.push_str(ATOMS[r.below(ATOMS.len() as u64) as usize]),
        }
    }

    fn check(text: &str) {
        let fast = match scan(text) {
            Scan::Valid(f) => Some(f),
            Scan::Invalid => None,
            Scan::Fallback => return,
        };
        assert_eq!(fast, scan_claims_serde(text), "{text:?}");
    }

    #[test]
    fn agrees_with_serde_on_generated_and_mutated_input() {
        let mut r = Rng(0x9e3779b97f4a7c15);
        let noise = [" ", "\t", "\n", ",", ":", "{", "}", "[", "]", "\"", "\\", "0", "e", "-", "x", "\u{0}"];
        for _ in 0..60_000 {
            let mut s = String::from("{");
            let n = r.below(6);
            for i in 0..n {
                if i > 0 {
                    s.push(',');
                }
                s.push('"');
                s.push_str(KEYS[r.below(KEYS.len() as u64) as usize]);
                s.push_str("\":");
                value(&mut r, 1, &mut s);
            }
            s.push('}');
            check(&s);
            // mutate at char boundaries
            let chars: Vec<char> = s.chars().collect();
            let at = r.below(chars.len() as u64 + 1) as usize;
            let mut m: String = chars[..at].iter().collect();
            match r.below(3) {
                0 => m.push_str(noise[r.below(noise.len() as u64) as usize]),
                1 => {}
                _ => m.push_str(noise[r.below(noise.len() as u64) as usize]),
            }
            let skip = if r.below(2) == 0 { 1 } else { 0 };
            m.extend(chars.iter().skip(at + skip));
            check(&m);
        }
    }

    #[test]
    fn boundaries() {
        for d in [1usize, 100, 126, 127, 128, 129, 200] {
            let s = format!("{{\"a\":{}{}}}", "[".repeat(d), "]".repeat(d));
            check(&s);
            let s = format!("{{\"a\":{}1{}}}", "{\"b\":".repeat(d), "}".repeat(d));
            check(&s);
        }
        for s in [" {} ", "{}x", "{\"exp\":1}\n", "{\"exp\" : 1 , \"exp\":2}", "{\"a\":{\"x\":1,\"x\":2}}", "[]", ""] {
            check(s);
        }
        assert!(matches!(scan(r#"{"\u0065xp":1}"#), Scan::Fallback));
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":1")).collect();
        assert!(matches!(scan(&format!("{{{}}}", many.join(","))), Scan::Fallback));
    }
}
