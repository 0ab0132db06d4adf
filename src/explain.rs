//! Explanations: the decision of [`Reader::read`] or of a session store, with
//! its [`SessionError`] and the cookie context a person needs (which names are
//! read and why, which session cookies the request holds). This is the slow,
//! allocating side of the error model; the decision itself is the hot path's,
//! unchanged: the same functions decide, this module only describes.

use crate::cookies;
use crate::error::{self, CookieContext, NameChoice, SessionError};
use crate::reader::{self, Cookies, Outcome, Reader};

/// Every session cookie base name next-auth v4 or Auth.js v5 may set.
pub const KNOWN_NAMES: [&str; 4] = [
    reader::V4_COOKIE,
    reader::V4_SECURE_COOKIE,
    reader::V5_COOKIE,
    reader::V5_SECURE_COOKIE,
];

/// An explained decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// `None`: a session (or, with `raw`, a token) was found.
    pub error: Option<SessionError>,
    /// The claims JSON text (or the raw token with `raw`) on success.
    pub value: Option<String>,
    pub exp: Option<f64>,
    pub cookie: CookieContext,
    /// Where the token came from: "cookie", "bearer" or "" (none).
    pub source: &'static str,
    pub message: String,
}

impl Explanation {
    pub fn code(&self) -> &'static str {
        self.error.map_or("OK", SessionError::code)
    }
}

/// The cookie context of a request: `expected` as given, the session cookies
/// found among the known names, `expected` and `extra`.
pub fn cookie_context<'n>(
    names: impl IntoIterator<Item = &'n str>,
    expected: &[&str],
    extra: &[&str],
    choice: &NameChoice<'_>,
) -> CookieContext {
    let mut known: Vec<&str> = expected.to_vec();
    for n in KNOWN_NAMES.iter().chain(extra) {
        if !known.contains(n) {
            known.push(n);
        }
    }
    CookieContext {
        expected: expected.iter().map(|s| s.to_string()).collect(),
        found: cookies::present_families(names, &known)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        reason: error::name_reason(choice),
    }
}

/// Turns "no cookie" into [`SessionError::CookieNameMismatch`] when a session
/// cookie is present under another known name, and puts that name first.
pub fn refine(error: Option<SessionError>, ctx: &mut CookieContext) -> Option<SessionError> {
    if error != Some(SessionError::NoCookie) {
        return error;
    }
    let others: Vec<String> = ctx
        .found
        .iter()
        .filter(|f| !ctx.expected.contains(f))
        .cloned()
        .collect();
    if others.is_empty() {
        return error;
    }
    ctx.found = others;
    Some(SessionError::CookieNameMismatch)
}

/// getToken's decision for one request, explained. `pairs` are the cookie
/// names when `cookies` is [`Cookies::Pairs`] (taken from it otherwise).
pub fn explain_read(
    reader: &Reader,
    cookies: Cookies<'_>,
    authorization: Option<&str>,
    raw: bool,
    now: i64,
    choice: &NameChoice<'_>,
) -> Explanation {
    let expected: Vec<&str> = reader.cookie_names().collect();
    let mut names: Vec<&str> = Vec::new();
    match &cookies {
        Cookies::Header(h) => names.extend(cookies::header_names(h)),
        Cookies::Pairs(p) => names.extend(p.iter().map(|(n, _)| n.as_str())),
        Cookies::None => {}
    }
    let mut ctx = cookie_context(names.iter().copied(), &expected, &[], choice);
    let from_cookie = ctx.found.iter().any(|f| ctx.expected.contains(f));
    let source = if from_cookie {
        "cookie"
    } else if authorization.is_some() {
        "bearer"
    } else {
        ""
    };
    // The decision itself: exactly getToken's.
    let outcome = reader.read(cookies, authorization, raw, now);
    let (error, value, exp) = match outcome {
        Outcome::Claims { json, exp } => (None, Some(json), Some(exp)),
        Outcome::Raw(t) => (None, Some(t), None),
        Outcome::Denied(e) => (Some(e), None, None),
    };
    // No key at all is the actionable cause whatever the cookies hold.
    let error = if !raw && !reader.has_key() && error.is_some() {
        Some(SessionError::NoSecret)
    } else {
        error
    };
    let error = refine(error, &mut ctx);
    let message = error::explain_message(error, &ctx);
    Explanation {
        error,
        value,
        exp,
        cookie: ctx,
        source,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::claims::now_seconds;
    use crate::reader::{encode_v4, ReaderOptions, V4_COOKIE, V4_SECURE_COOKIE};
    use zeroize::Zeroizing;

    const SECRET: &str = "explain-secret-explain-secret-0123456789";

    fn reader(secrets: &[&str], secure: bool) -> Reader {
        Reader::new(ReaderOptions {
            secrets: secrets
                .iter()
                .map(|s| Zeroizing::new(s.as_bytes().to_vec()))
                .collect(),
            secure_cookie: secure,
            cookie_name: None,
            salt: None,
            jws: None,
            v5_fallback: true,
        })
    }

    fn code(r: &Reader, header: &str) -> &'static str {
        let choice = NameChoice {
            nextauth_url: Some("http://localhost:3000"),
            ..Default::default()
        };
        explain_read(
            r,
            Cookies::Header(header),
            None,
            false,
            now_seconds(),
            &choice,
        )
        .code()
    }

    #[test]
    fn every_reader_code() {
        let now = now_seconds();
        let r = reader(&[SECRET], false);
        let good = encode_v4(
            SECRET.as_bytes(),
            "",
            &format!(r#"{{"sub":"1","exp":{}}}"#, now + 60),
        )
        .unwrap();
        assert_eq!(code(&r, &format!("{V4_COOKIE}={good}")), "OK");
        assert_eq!(code(&r, "a=1"), "NO_COOKIE");
        assert_eq!(
            code(&r, &format!("{V4_SECURE_COOKIE}={good}")),
            "COOKIE_NAME_MISMATCH"
        );
        assert_eq!(
            code(&r, &format!("{V4_COOKIE}=a; {V4_COOKIE}=b")),
            "DUPLICATE_COOKIE"
        );
        assert_eq!(code(&r, &format!("{V4_COOKIE}.1=a")), "CHUNKS_INVALID");
        assert_eq!(code(&r, &format!("{V4_COOKIE}=garbage")), "MALFORMED");
        let other = encode_v4(
            b"other-secret-other-secret-0123456789",
            "",
            &format!(r#"{{"exp":{}}}"#, now + 60),
        )
        .unwrap();
        assert_eq!(code(&r, &format!("{V4_COOKIE}={other}")), "DECRYPT_FAILED");
        let old = encode_v4(SECRET.as_bytes(), "", &format!(r#"{{"exp":{}}}"#, now - 60)).unwrap();
        assert_eq!(code(&r, &format!("{V4_COOKIE}={old}")), "EXPIRED");
        let nbf = encode_v4(
            SECRET.as_bytes(),
            "",
            &format!(r#"{{"exp":{},"nbf":{}}}"#, now + 600, now + 300),
        )
        .unwrap();
        assert_eq!(code(&r, &format!("{V4_COOKIE}={nbf}")), "NOT_YET_VALID");
        let noexp = encode_v4(SECRET.as_bytes(), "", r#"{"sub":"1"}"#).unwrap();
        assert_eq!(code(&r, &format!("{V4_COOKIE}={noexp}")), "CLAIM_INVALID");
        let hdr = format!(
            "{}..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA",
            crate::jose::b64::encode(br#"{"alg":"A256KW","enc":"A256GCM"}"#)
        );
        assert_eq!(
            code(&r, &format!("{V4_COOKIE}={hdr}")),
            "HEADER_NOT_ALLOWED"
        );
        assert_eq!(
            code(&r, &format!("{V4_COOKIE}={}", "a".repeat(17 * 1024))),
            "TOO_LARGE"
        );
        assert_eq!(
            code(&reader(&[], false), &format!("{V4_COOKIE}={good}")),
            "NO_SECRET"
        );
    }

    #[test]
    fn mismatch_names_both_cookies_and_the_reason() {
        let r = reader(&[SECRET], false);
        let choice = NameChoice {
            nextauth_url: Some("http://localhost:3000"),
            ..Default::default()
        };
        let e = explain_read(
            &r,
            Cookies::Header("__Secure-next-auth.session-token.0=abc"),
            None,
            false,
            0,
            &choice,
        );
        assert_eq!(e.error, Some(SessionError::CookieNameMismatch));
        assert_eq!(e.cookie.found, [V4_SECURE_COOKIE]);
        assert_eq!(e.cookie.expected, [V4_COOKIE, reader::V5_COOKIE]);
        assert!(
            e.message
                .contains("NEXTAUTH_URL is http://localhost:3000, so the non-secure name is read"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("abc"));
    }
}
