//! Session cookie selection and chunk reassembly.
//!
//! Parsing follows Next.js `RequestCookies` (what next-auth's middleware sees):
//! pairs split on `;` plus following spaces, a pair without `=` has value
//! `"true"`, values are percent-decoded once and a pair whose value does not
//! decode is dropped. Optional whitespace (space, tab) before `=` and after
//! the value is ignored, since next-auth reads such cookies too (it matches
//! names by prefix, and jose's base64 ignores blanks in the last segment):
//! `" C=T ;x=1"`, `"C=T\t; x=1"` and `"C =T"` all carry `T` (issue 14,
//! item 8). A blank before the value stays, as next-auth fails on it too
//! (the header segment is the AAD, byte for byte). On top of that, docs/security.md CK-1…CK-5:
//! exact names, a strict chunk grammar (`name` or `name.0 … name.(n-1)`,
//! contiguous), conflicting duplicates deny, size and count caps.

use crate::error::SessionError;
use crate::limits::{
    COOKIE_CHUNKS_MAX, COOKIE_FAMILIES_MAX, COOKIE_HEADER_MAX, COOKIE_PAIRS_MAX, JWT_MAX,
};
use std::borrow::Cow;

/// What one cookie family (a base name and its chunks) yields, in the crate's
/// one result vocabulary (docs/architecture.md): `Found`, `Denied(why)`, `Absent` (this layer has no answer; the next one decides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// No cookie of this family.
    Absent,
    /// Present but unusable (conflicting duplicates, gaps, base and chunks
    /// mixed, too many chunks, too long). Denies; never falls back to Bearer.
    /// Carries why: [`SessionError::DuplicateCookie`], [`SessionError::ChunksInvalid`]
    /// or [`SessionError::TooLarge`].
    Denied(SessionError),
    /// The token, borrowed from the header when it needed no reassembly.
    Found(Cow<'a, str>),
}

/// next-auth's default for `secureCookie` from given `NEXTAUTH_URL`/`VERCEL`
/// values, used only to explain a decision (the doctor, `explainSession`);
/// the decision's own default is computed in JS (`defaultSecureCookie` in
/// lib/jwt.js), which passes the boolean to the reader.
pub fn secure_default(nextauth_url: Option<&str>, vercel: Option<&str>) -> bool {
    match nextauth_url {
        Some(url) => url.starts_with("https://"),
        None => vercel.is_some_and(|v| !v.is_empty()),
    }
}

/// The base names of the session cookies in `names` (each cookie name, a
/// chunk `base.N` counted under `base`) that are one of `known`, in the
/// order first seen, without repeats. Used to explain, never to decide.
pub fn present_families<'k, 'n>(
    names: impl IntoIterator<Item = &'n str>,
    known: &[&'k str],
) -> Vec<&'k str> {
    let mut out: Vec<&'k str> = Vec::new();
    for name in names {
        let base = match name.rsplit_once('.') {
            Some((b, idx)) if chunk_index(idx).is_some() && known.contains(&b) => b,
            _ => name,
        };
        if let Some(k) = known.iter().find(|k| **k == base) {
            if !out.contains(k) {
                out.push(k);
            }
        }
    }
    out
}

/// The cookie names of a `Cookie` header, split as [`lookup_header`] splits it.
pub fn header_names(header: &str) -> impl Iterator<Item = &str> {
    header
        .split(';')
        .map(|p| p.trim_start_matches(' '))
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').map_or(p, |(n, _)| n))
        .take(COOKIE_PAIRS_MAX + 1)
}

#[derive(Default)]
struct Family<'a> {
    base: Option<Cow<'a, str>>,
    chunks: [Option<Cow<'a, str>>; COOKIE_CHUNKS_MAX],
    invalid: Option<SessionError>,
}

impl<'a> Family<'a> {
    fn put(slot: &mut Option<Cow<'a, str>>, value: Cow<'a, str>) -> bool {
        match slot {
            Some(prev) => *prev == value, // identical duplicates collapse, others conflict
            None => {
                *slot = Some(value);
                true
            }
        }
    }

    /// Takes `value` for the base (`suffix` empty) or chunk `suffix`.
    /// Returns false when the name is not of this family's grammar.
    fn offer(&mut self, suffix: Option<&str>, value: Cow<'a, str>) -> bool {
        let slot = match suffix {
            None => &mut self.base,
            Some(idx) => match chunk_index(idx) {
                Some(i) if i < COOKIE_CHUNKS_MAX => &mut self.chunks[i],
                Some(_) => {
                    self.invalid = Some(SessionError::ChunksInvalid); // more chunks than we accept
                    return true;
                }
                None => return false, // `name.x`, `name.01`: not ours, ignored
            },
        };
        // An empty value is no credential (v5 ignores them; v4 joins "" harmlessly).
        if !value.is_empty() && !Self::put(slot, value) && self.invalid.is_none() {
            self.invalid = Some(SessionError::DuplicateCookie);
        }
        true
    }

    fn finish(self) -> Lookup<'a> {
        if let Some(e) = self.invalid {
            return Lookup::Denied(e);
        }
        let n = self.chunks.iter().take_while(|c| c.is_some()).count();
        let trailing = self.chunks[n..].iter().any(Option::is_some);
        let out = match (self.base, n) {
            (None, 0) if !trailing => return Lookup::Absent,
            (Some(base), 0) if !trailing => base,
            (None, n) if n > 0 && !trailing => {
                let mut s =
                    String::with_capacity(self.chunks[..n].iter().flatten().map(|c| c.len()).sum());
                for c in self.chunks[..n].iter().flatten() {
                    s.push_str(c);
                }
                Cow::Owned(s)
            }
            _ => return Lookup::Denied(SessionError::ChunksInvalid), // gap, or base and chunks together
        };
        if out.len() > JWT_MAX {
            Lookup::Denied(SessionError::TooLarge)
        } else {
            Lookup::Found(out)
        }
    }
}

/// `0` or `[1-9][0-9]{0,2}`.
fn chunk_index(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let canonical = !b.is_empty()
        && b.len() <= 3
        && b.iter().all(u8::is_ascii_digit)
        && (b[0] != b'0' || b.len() == 1);
    if canonical {
        s.parse().ok()
    } else {
        None
    }
}

/// JavaScript `decodeURIComponent`: `%XX` sequences must form valid UTF-8.
pub fn decode_uri_component(s: &str) -> Option<Cow<'_, str>> {
    if memchr::memchr(b'%', s.as_bytes()).is_none() {
        return Some(Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hi = (hex[0] as char).to_digit(16)?;
            let lo = (hex[1] as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// Optional whitespace after cookie names and values.
const BLANKS: [char; 2] = [' ', '\t'];

fn trim_blanks(v: Cow<'_, str>) -> Cow<'_, str> {
    match v {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim_end_matches(BLANKS)),
        Cow::Owned(s) if s.ends_with(BLANKS) => Cow::Owned(s.trim_end_matches(BLANKS).to_owned()),
        owned => owned,
    }
}

/// Collects the cookie families named by `bases` from (name, decoded value)
/// pairs. Feed pairs with [`Collector::offer`], then call [`Collector::finish`].
pub struct Collector<'a, 'b> {
    bases: &'b [&'b str],
    families: [Family<'a>; COOKIE_FAMILIES_MAX],
    pairs: usize,
}

impl<'a, 'b> Collector<'a, 'b> {
    /// `bases` holds at most [`COOKIE_FAMILIES_MAX`] names; extra names are ignored.
    pub fn new(bases: &'b [&'b str]) -> Self {
        let bases = &bases[..bases.len().min(COOKIE_FAMILIES_MAX)];
        Collector {
            bases,
            families: Default::default(),
            pairs: 0,
        }
    }

    /// Offers one cookie. `value` must already be percent-decoded.
    /// Blanks after the name and after the value are ignored.
    pub fn offer(&mut self, name: &str, value: Cow<'a, str>) {
        self.pairs += 1;
        let name = name.trim_end_matches(BLANKS);
        let value = trim_blanks(value);
        for (base, fam) in self.bases.iter().zip(self.families.iter_mut()) {
            let suffix = match name.strip_prefix(base) {
                Some("") => None,
                Some(rest) => match rest.strip_prefix('.') {
                    Some(idx) => Some(idx),
                    None => continue,
                },
                None => continue,
            };
            if fam.offer(suffix, value.clone()) {
                return;
            }
        }
    }

    /// Offers one raw `name=value` pair as `RequestCookies` parses it.
    fn offer_raw(&mut self, pair: &'a str) {
        let (name, raw) = match memchr::memchr(b'=', pair.as_bytes()) {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, "true"),
        };
        // Only decode values of names we care about.
        if self.bases.iter().any(|b| name.starts_with(b)) {
            if let Some(v) = decode_uri_component(raw.trim_end_matches(BLANKS)) {
                self.offer(name, v);
            }
        } else {
            self.pairs += 1;
        }
    }

    /// One [`Lookup`] per base name, in order (unused slots are `Absent`).
    pub fn finish(self) -> [Lookup<'a>; COOKIE_FAMILIES_MAX] {
        if self.pairs > COOKIE_PAIRS_MAX {
            return [
                Lookup::Denied(SessionError::TooLarge),
                Lookup::Denied(SessionError::TooLarge),
            ];
        }
        self.families.map(Family::finish)
    }
}

/// Parses a `Cookie` header and returns one [`Lookup`] per base name.
pub fn lookup_header<'a>(header: &'a str, bases: &[&str]) -> [Lookup<'a>; COOKIE_FAMILIES_MAX] {
    if header.len() > COOKIE_HEADER_MAX {
        return [
            Lookup::Denied(SessionError::TooLarge),
            Lookup::Denied(SessionError::TooLarge),
        ];
    }
    let mut c = Collector::new(bases);
    // Slicing at ASCII ';' is always on a char boundary.
    let mut start = 0;
    let ends = memchr::memchr_iter(b';', header.as_bytes()).chain(std::iter::once(header.len()));
    for end in ends {
        let pair = header[start..end].trim_start_matches(' ');
        start = end + 1;
        if !pair.is_empty() {
            c.offer_raw(pair);
        }
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: &str = "next-auth.session-token";
    const CHUNKS: Lookup<'static> = Lookup::Denied(SessionError::ChunksInvalid);
    const DUP: Lookup<'static> = Lookup::Denied(SessionError::DuplicateCookie);
    const BIG: Lookup<'static> = Lookup::Denied(SessionError::TooLarge);

    fn one(h: &str) -> Lookup<'_> {
        let [first, _] = lookup_header(h, &[N]);
        first
    }

    fn found(s: &str) -> Lookup<'_> {
        Lookup::Found(s.into())
    }

    #[test]
    fn base_and_ordering() {
        assert_eq!(one("a=1; next-auth.session-token=tok; b=2"), found("tok"));
        assert_eq!(one(""), Lookup::Absent);
        assert_eq!(one("x=1"), Lookup::Absent);
        assert_eq!(
            one("next-auth.session-token.1=B; next-auth.session-token.0=A"),
            found("AB")
        );
        let many: Vec<String> = (0..8).rev().map(|i| format!("{N}.{i}={i}")).collect();
        assert_eq!(one(&many.join("; ")), found("01234567"));
    }

    #[test]
    fn strict_chunk_grammar() {
        assert_eq!(one(&format!("{N}.0=A; {N}.2=C")), CHUNKS); // gap
        assert_eq!(one(&format!("{N}.1=B")), CHUNKS); // no .0
        assert_eq!(one(&format!("{N}=X; {N}.0=A; {N}.1=B")), CHUNKS); // mixed
        assert_eq!(one(&format!("{N}.8=A")), CHUNKS); // too many
                                                      // names that merely share the prefix are ignored, never concatenated
        assert_eq!(
            one(&format!("{N}.x=J; {N}.01=J; {N}X=J; {N}-foo=J; {N}=T")),
            found("T")
        );
        assert_eq!(one(&format!("{N}.0x1=J; {N}.-1=J")), Lookup::Absent);
        // empty base with chunks (a deleted base) reads the chunks, as next-auth does
        assert_eq!(one(&format!("{N}=; {N}.0=A; {N}.1=B")), found("AB"));
        assert_eq!(one(&format!("{N}=")), Lookup::Absent);
    }

    #[test]
    fn duplicates() {
        assert_eq!(one(&format!("{N}=A; {N}=A")), found("A"));
        assert_eq!(one(&format!("{N}=A; {N}=B")), DUP);
        assert_eq!(one(&format!("{N}.0=A; {N}.0=Z; {N}.1=B")), DUP);
    }

    #[test]
    fn request_cookies_parsing() {
        // spaces after `;` are eaten; names are not trimmed otherwise
        assert_eq!(one(&format!("a=1;   {N}=tok")), found("tok"));
        assert_eq!(one(&format!("{N} =tok")), found("tok")); // issue 14 item 8
        assert_eq!(one(&format!(" {N}=tok")), found("tok")); // Headers trims the value
        assert_eq!(one(&format!("\t{N}=tok")), Lookup::Absent);
        // bare name: value "true"
        assert_eq!(one(N), found("true"));
        // percent-decoding once; invalid escape drops the pair
        assert_eq!(one(&format!("{N}=a%2Eb")), found("a.b"));
        assert_eq!(one(&format!("{N}=a%252Eb")), found("a%2Eb"));
        assert_eq!(one(&format!("{N}=a%ZZb")), Lookup::Absent);
        assert_eq!(one(&format!("{N}=%ED%A0%80")), Lookup::Absent); // surrogate, as decodeURIComponent throws
                                                                    // Unicode whitespace is not trimmed
        assert_eq!(one(&format!("\u{2000}{N}=tok")), Lookup::Absent);
        // quotes are kept (and later fail to decode)
        assert_eq!(one(&format!("{N}=\"tok\"")), found("\"tok\""));
        // commas are not separators
        assert_eq!(one(&format!("{N}=a,b=c")), found("a,b=c"));
    }

    #[test]
    fn optional_whitespace_as_next_auth_reads_it() {
        // issue 14 item 8: the four shapes of the issue
        assert_eq!(one(&format!("{N}=T ;x=1")), found("T"));
        assert_eq!(one(&format!("x=1;  {N}=T ; y=2")), found("T"));
        assert_eq!(one(&format!("{N}=T\t; x=1")), found("T"));
        assert_eq!(one(&format!("{N} =T")), found("T"));
        assert_eq!(one(&format!("{N}= T")), found(" T")); // kept: next-auth fails on it too
                                                          // the strict rules on duplicates and chunks still hold
        assert_eq!(
            one(&format!("{N}=A ; {N} =B")),
            Lookup::Denied(SessionError::DuplicateCookie)
        );
        assert_eq!(one(&format!("{N}=A ; {N} =A")), found("A"));
        assert_eq!(
            one(&format!("{N}.0 =A; {N}.2=C ")),
            Lookup::Denied(SessionError::ChunksInvalid)
        );
        assert_eq!(one(&format!("{N}.0 =A; {N}.1=B\t")), found("AB"));
    }

    #[test]
    fn caps() {
        let big = format!("{N}={}", "a".repeat(COOKIE_HEADER_MAX));
        assert_eq!(one(&big), BIG);
        let pairs: Vec<String> = (0..300).map(|i| format!("c{i}=1")).collect();
        assert_eq!(one(&format!("{}; {N}=tok", pairs.join("; "))), BIG);
        let long = format!(
            "{N}.0={0}; {N}.1={0}; {N}.2={0}; {N}.3={0}; {N}.4={0}",
            "a".repeat(3933)
        );
        assert_eq!(one(&long), BIG);
    }

    #[test]
    fn two_families_one_pass() {
        let r = lookup_header(
            "authjs.session-token=v5; next-auth.session-token=v4",
            &[N, "authjs.session-token"],
        );
        assert_eq!(r, [found("v4"), found("v5")]);
        // The secure and plain names never mix.
        let r = lookup_header("__Secure-next-auth.session-token=s", &[N]);
        assert_eq!(r, [Lookup::Absent, Lookup::Absent]);
    }

    #[test]
    fn families_present() {
        let known = [
            N,
            "__Secure-next-auth.session-token",
            "authjs.session-token",
        ];
        let h = "a=1; __Secure-next-auth.session-token.1=x; __Secure-next-auth.session-token.0=y; authjs.session-token=z; next-auth.session-token.x=q";
        assert_eq!(
            present_families(header_names(h), &known),
            ["__Secure-next-auth.session-token", "authjs.session-token"]
        );
        assert!(
            secure_default(Some("https://x"), None) && !secure_default(Some("http://x"), Some("1"))
        );
        assert!(
            secure_default(None, Some("1"))
                && !secure_default(None, Some(""))
                && !secure_default(None, None)
        );
    }
}
