//! The one error model: every way a session check can end other than with a
//! session, as a small `Copy` enum with a stable [`SessionError::code`].
//!
//! The hot path returns these by value (no allocation, no formatting); the
//! sentences a person reads ([`SessionError::fix`], [`explain_message`]) are
//! built only when a decision is explained or logged. Codes are public API:
//! they are listed in the README and never change meaning. `OK` is the
//! absence of an error.
//!
//! This module is self-contained (it depends on the per-module error types
//! only through `From` impls) so that the crate's restructure can move it.

use crate::jose::claims::ClaimError;
use crate::jose::jwe::JweError;
use crate::store::LookupError;
use std::fmt;

/// Why a session check produced no session.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionError {
    /// No secret is configured (`secret`, `NEXTAUTH_SECRET`, `AUTH_SECRET`), so no token can be decoded.
    NoSecret,
    /// The request carries no session cookie (and no Bearer token) under the names this app reads.
    NoCookie,
    /// No session cookie under the expected name, but one under another known name
    /// (plain vs `__Secure-`, v4 vs v5, a custom name).
    CookieNameMismatch,
    /// The session cookie appears more than once with different values.
    DuplicateCookie,
    /// The session cookie's chunks (`name.0`, `name.1`, …) have a gap, too many
    /// parts, or are mixed with an unchunked cookie.
    ChunksInvalid,
    /// The token is not a compact JWE/JWS of the expected shape (segments, base64url, lengths, payload).
    Malformed,
    /// The token's protected header is not on the allow-list (`alg`, `enc`, extra members).
    HeaderNotAllowed,
    /// Decryption failed: a different secret (or salt) or a tampered token; the two cannot be told apart.
    DecryptFailed,
    /// A JWS signature did not verify under the configured key.
    SignatureInvalid,
    /// The token's `exp` is in the past (beyond the 15 s clock tolerance).
    Expired,
    /// The token's `nbf` is in the future (beyond the 15 s clock tolerance).
    NotYetValid,
    /// A claim is missing or of the wrong type (`exp` required, numeric times, `iss`/`aud`),
    /// or the payload is an OAuth check cookie rather than a session.
    ClaimInvalid,
    /// The Cookie header, the number of cookies or the token exceeds a size cap.
    TooLarge,
    /// The database (or endpoint) has no session for this token.
    DbNotFound,
    /// The database session's `expires` is in the past.
    DbExpired,
    /// The database session exists but its user row does not.
    DbNoUser,
    /// The session store could not be reached or the lookup failed.
    DbUnavailable,
    /// The session store did not answer within the deadline (or its pool stayed busy).
    DbTimeout,
    /// The session endpoint answered with something other than a session body.
    EndpointBadResponse,
    /// An option is invalid; the message names the option and the fix.
    ConfigInvalid,
}

/// Every variant, in the order of the README's table.
pub const ALL: [SessionError; 20] = [
    SessionError::NoSecret,
    SessionError::NoCookie,
    SessionError::CookieNameMismatch,
    SessionError::DuplicateCookie,
    SessionError::ChunksInvalid,
    SessionError::Malformed,
    SessionError::HeaderNotAllowed,
    SessionError::DecryptFailed,
    SessionError::SignatureInvalid,
    SessionError::Expired,
    SessionError::NotYetValid,
    SessionError::ClaimInvalid,
    SessionError::TooLarge,
    SessionError::DbNotFound,
    SessionError::DbExpired,
    SessionError::DbNoUser,
    SessionError::DbUnavailable,
    SessionError::DbTimeout,
    SessionError::EndpointBadResponse,
    SessionError::ConfigInvalid,
];

impl SessionError {
    /// The stable code (public API; never changes meaning).
    pub const fn code(self) -> &'static str {
        match self {
            SessionError::NoSecret => "NO_SECRET",
            SessionError::NoCookie => "NO_COOKIE",
            SessionError::CookieNameMismatch => "COOKIE_NAME_MISMATCH",
            SessionError::DuplicateCookie => "DUPLICATE_COOKIE",
            SessionError::ChunksInvalid => "CHUNKS_INVALID",
            SessionError::Malformed => "MALFORMED",
            SessionError::HeaderNotAllowed => "HEADER_NOT_ALLOWED",
            SessionError::DecryptFailed => "DECRYPT_FAILED",
            SessionError::SignatureInvalid => "SIGNATURE_INVALID",
            SessionError::Expired => "EXPIRED",
            SessionError::NotYetValid => "NOT_YET_VALID",
            SessionError::ClaimInvalid => "CLAIM_INVALID",
            SessionError::TooLarge => "TOO_LARGE",
            SessionError::DbNotFound => "DB_NOT_FOUND",
            SessionError::DbExpired => "DB_EXPIRED",
            SessionError::DbNoUser => "DB_NO_USER",
            SessionError::DbUnavailable => "DB_UNAVAILABLE",
            SessionError::DbTimeout => "DB_TIMEOUT",
            SessionError::EndpointBadResponse => "ENDPOINT_BAD_RESPONSE",
            SessionError::ConfigInvalid => "CONFIG_INVALID",
        }
    }

    /// The error from its code (`None` for `OK` and unknown codes).
    pub fn from_code(code: &str) -> Option<SessionError> {
        ALL.into_iter().find(|e| e.code() == code)
    }

    /// The code jose 4 (behind next-auth's `decode`) gives the same failure,
    /// so `decode` rejections stay compatible with code written for next-auth.
    pub const fn jose_code(self) -> &'static str {
        match self {
            SessionError::DecryptFailed => "ERR_JWE_DECRYPTION_FAILED",
            SessionError::Expired => "ERR_JWT_EXPIRED",
            SessionError::NotYetValid | SessionError::ClaimInvalid => {
                "ERR_JWT_CLAIM_VALIDATION_FAILED"
            }
            SessionError::SignatureInvalid => "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            _ => "ERR_JWE_INVALID",
        }
    }

    /// The class name of jose 4's error for [`SessionError::jose_code`].
    pub const fn jose_name(self) -> &'static str {
        match self {
            SessionError::DecryptFailed => "JWEDecryptionFailed",
            SessionError::Expired => "JWTExpired",
            SessionError::NotYetValid | SessionError::ClaimInvalid => "JWTClaimValidationFailed",
            SessionError::SignatureInvalid => "JWSSignatureVerificationFailed",
            _ => "JWEInvalid",
        }
    }

    /// The message jose 4 uses for [`SessionError::jose_code`].
    pub const fn jose_message(self) -> &'static str {
        match self {
            SessionError::DecryptFailed => "decryption operation failed",
            SessionError::Expired => "\"exp\" claim timestamp check failed",
            SessionError::NotYetValid => "\"nbf\" claim timestamp check failed",
            SessionError::ClaimInvalid => "JWT claims validation failed",
            SessionError::SignatureInvalid => "signature verification failed",
            SessionError::HeaderNotAllowed => "JWE Protected Header is not allowed",
            _ => "Invalid Compact JWE",
        }
    }

    /// One sentence saying what to do about it (no token material, no secrets).
    pub const fn fix(self) -> &'static str {
        match self {
            SessionError::NoSecret => "Set NEXTAUTH_SECRET (or pass `secret`) to the same value the NextAuth route uses.",
            SessionError::NoCookie => "Sign in first; if you are signed in, check that the cookie is sent to this path and host (cookie domain and path).",
            SessionError::CookieNameMismatch => "Make the reader use the cookie name the NextAuth route sets: set NEXTAUTH_URL to the URL the browser uses (https:// for __Secure- names), or pass `secureCookie`/`cookieName` explicitly.",
            SessionError::DuplicateCookie => "Delete the stale session cookie (usually one set for another domain or path) and sign in again.",
            SessionError::ChunksInvalid => "Delete the session cookies (name.0, name.1, …) and sign in again; keep the session small so it fits one cookie.",
            SessionError::Malformed => "The cookie does not hold a NextAuth session token; delete it and sign in again.",
            SessionError::HeaderNotAllowed => "The token was not written by next-auth (its header uses an algorithm or member next-auth never writes); sign in again.",
            SessionError::DecryptFailed => "Use the same secret as the NextAuth route (NEXTAUTH_SECRET in both places); a wrong secret and a tampered token cannot be told apart.",
            SessionError::SignatureInvalid => "Check that the JWS key (`jwt.secret` or `jwt.publicKey`) matches the key that signed the token.",
            SessionError::Expired => "The session expired: sign in again (or raise session.maxAge in the NextAuth options).",
            SessionError::NotYetValid => "The token's nbf is in the future: check the clocks of the issuing and the checking machine.",
            SessionError::ClaimInvalid => "The token's claims are not a session's (exp missing or not a number, iss/aud mismatch, or an OAuth check cookie): sign in again.",
            SessionError::TooLarge => "The cookies are larger than accepted: delete stale cookies for this host and keep the session token small.",
            SessionError::DbNotFound => "The session is not in the database (signed out, or another database): sign in again, and check database.url.",
            SessionError::DbExpired => "The database session expired: sign in again.",
            SessionError::DbNoUser => "The session row's user does not exist: check the user table and the schema mapping (userId column).",
            SessionError::DbUnavailable => "The session store could not be queried: check database.url, that the server is up, and the schema mapping.",
            SessionError::DbTimeout => "The session store did not answer in time: check the server's load and network, or raise timeoutMs.",
            SessionError::EndpointBadResponse => "The session endpoint did not answer with a session: check that sessionEndpoint is the app's own /api/auth/session.",
            SessionError::ConfigInvalid => "Fix the option named in the message.",
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.fix())
    }
}

impl std::error::Error for SessionError {}

impl From<JweError> for SessionError {
    fn from(e: JweError) -> Self {
        match e {
            JweError::Malformed => SessionError::Malformed,
            JweError::Header => SessionError::HeaderNotAllowed,
            JweError::Decrypt => SessionError::DecryptFailed,
        }
    }
}

impl From<ClaimError> for SessionError {
    fn from(e: ClaimError) -> Self {
        match e {
            ClaimError::Expired => SessionError::Expired,
            ClaimError::NotYetValid => SessionError::NotYetValid,
            ClaimError::MissingExp | ClaimError::BadType | ClaimError::CheckCookieShape => {
                SessionError::ClaimInvalid
            }
        }
    }
}

impl From<&LookupError> for SessionError {
    fn from(e: &LookupError) -> Self {
        match e {
            LookupError::Timeout | LookupError::PoolExhausted => SessionError::DbTimeout,
            LookupError::BadResponse(_) => SessionError::EndpointBadResponse,
            LookupError::NotASession => SessionError::DbNotFound,
            LookupError::Unavailable(_)
            | LookupError::Query(_)
            | LookupError::Ambiguous
            | LookupError::Internal => SessionError::DbUnavailable,
        }
    }
}

impl From<LookupError> for SessionError {
    fn from(e: LookupError) -> Self {
        SessionError::from(&e)
    }
}

/// What an explanation knows about the cookies, for the message.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CookieContext {
    /// The cookie base names read, in order.
    pub expected: Vec<String>,
    /// The session cookies the request holds (any known family; chunks by base name).
    pub found: Vec<String>,
    /// Why these names are read (scheme, VERCEL, custom names).
    pub reason: String,
}

/// `fix` with a lower-case first letter, to follow a semicolon.
fn then(fix: &str) -> String {
    let mut c = fix.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The one sentence explaining `error` (or success), with the cookie names
/// when they matter. Never contains token material or secrets: only cookie
/// names, the configured origin and static text.
pub fn explain_message(error: Option<SessionError>, ctx: &CookieContext) -> String {
    let expected = ctx.expected.first().map_or("", String::as_str);
    match error {
        None => format!("A valid session was found in `{}`.", ctx.found.first().map_or(expected, String::as_str)),
        Some(SessionError::CookieNameMismatch) => format!(
            "The request has the session cookie `{}` but this app reads `{}` ({}); {}",
            ctx.found.first().map_or("", String::as_str),
            ctx.expected.join("` or `"),
            ctx.reason,
            then(SessionError::CookieNameMismatch.fix())
        ),
        Some(SessionError::NoCookie) => format!(
            "The request has no session cookie `{}` ({}); {}",
            ctx.expected.join("` or `"),
            ctx.reason,
            then(SessionError::NoCookie.fix())
        ),
        Some(SessionError::DecryptFailed) => format!(
            "The token in `{}` did not decrypt: the secret differs from the one that issued it, or the token was tampered with (the two cannot be told apart); use the same secret as the NextAuth route (NEXTAUTH_SECRET in both places).",
            ctx.found.iter().find(|f| ctx.expected.contains(f)).map_or(expected, String::as_str)
        ),
        Some(e) => format!("{} ({})", e.fix(), e.code()),
    }
}

/// Why a reader reads the names it reads, for [`CookieContext::reason`].
#[derive(Debug, Clone, Default)]
pub struct NameChoice<'a> {
    /// `cookieName` was given.
    pub cookie_name: Option<&'a str>,
    /// `salt` was given (Auth.js v5 rules).
    pub salt: bool,
    /// `secureCookie` was given explicitly.
    pub secure_given: Option<bool>,
    /// The environment the default follows.
    pub nextauth_url: Option<&'a str>,
    pub vercel: Option<&'a str>,
}

/// `scheme://host[:port]` of a URL, without userinfo, path or query.
fn origin_only(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => return "(not a URL)".into(),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}")
}

/// The reason sentence for the chosen cookie names.
pub fn name_reason(c: &NameChoice<'_>) -> String {
    if let Some(name) = c.cookie_name {
        return format!("cookieName is set, so `{name}` is read");
    }
    let secure = match c.secure_given {
        Some(s) => {
            return if s {
                "secureCookie: true was passed, so the __Secure- name is read".into()
            } else {
                "secureCookie: false was passed, so the non-secure name is read".into()
            }
        }
        None => crate::cookies::secure_default(c.nextauth_url, c.vercel),
    };
    let which = if secure {
        "the __Secure- name"
    } else {
        "the non-secure name"
    };
    let why = match (c.nextauth_url, c.vercel) {
        (Some(u), _) => format!("NEXTAUTH_URL is {}", origin_only(u)),
        (None, Some(v)) if !v.is_empty() => "NEXTAUTH_URL is unset and VERCEL is set".into(),
        (None, _) => "NEXTAUTH_URL and VERCEL are unset".into(),
    };
    let v5 = if c.salt {
        " (salt is set: Auth.js v5 rules)"
    } else {
        ""
    };
    format!("{why}, so {which} is read{v5}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_unique() {
        let codes: Vec<&str> = ALL.iter().map(|e| e.code()).collect();
        assert_eq!(
            codes,
            [
                "NO_SECRET",
                "NO_COOKIE",
                "COOKIE_NAME_MISMATCH",
                "DUPLICATE_COOKIE",
                "CHUNKS_INVALID",
                "MALFORMED",
                "HEADER_NOT_ALLOWED",
                "DECRYPT_FAILED",
                "SIGNATURE_INVALID",
                "EXPIRED",
                "NOT_YET_VALID",
                "CLAIM_INVALID",
                "TOO_LARGE",
                "DB_NOT_FOUND",
                "DB_EXPIRED",
                "DB_NO_USER",
                "DB_UNAVAILABLE",
                "DB_TIMEOUT",
                "ENDPOINT_BAD_RESPONSE",
                "CONFIG_INVALID",
            ]
        );
        for e in ALL {
            assert_eq!(SessionError::from_code(e.code()), Some(e));
            assert!(e.fix().ends_with('.'), "{e:?}");
            assert!(e.to_string().starts_with(e.code()));
        }
        assert_eq!(SessionError::from_code("OK"), None);
    }

    #[test]
    fn from_module_errors() {
        assert_eq!(
            SessionError::from(JweError::Decrypt),
            SessionError::DecryptFailed
        );
        assert_eq!(
            SessionError::from(JweError::Header),
            SessionError::HeaderNotAllowed
        );
        assert_eq!(
            SessionError::from(JweError::Malformed),
            SessionError::Malformed
        );
        assert_eq!(
            SessionError::from(ClaimError::Expired),
            SessionError::Expired
        );
        assert_eq!(
            SessionError::from(ClaimError::NotYetValid),
            SessionError::NotYetValid
        );
        assert_eq!(
            SessionError::from(ClaimError::MissingExp),
            SessionError::ClaimInvalid
        );
        assert_eq!(
            SessionError::from(LookupError::Timeout),
            SessionError::DbTimeout
        );
        assert_eq!(
            SessionError::from(LookupError::PoolExhausted),
            SessionError::DbTimeout
        );
        assert_eq!(
            SessionError::from(LookupError::Unavailable("x".into())),
            SessionError::DbUnavailable
        );
        assert_eq!(
            SessionError::from(LookupError::BadResponse("x".into())),
            SessionError::EndpointBadResponse
        );
        assert_eq!(
            SessionError::DecryptFailed.jose_code(),
            "ERR_JWE_DECRYPTION_FAILED"
        );
        assert_eq!(SessionError::Expired.jose_code(), "ERR_JWT_EXPIRED");
        assert_eq!(
            SessionError::NotYetValid.jose_code(),
            "ERR_JWT_CLAIM_VALIDATION_FAILED"
        );
        assert_eq!(SessionError::Malformed.jose_code(), "ERR_JWE_INVALID");
    }

    #[test]
    fn reasons_name_the_cause_without_credentials() {
        let r = name_reason(&NameChoice {
            nextauth_url: Some("http://user:pw@localhost:3000/x?y"),
            ..Default::default()
        });
        assert_eq!(
            r,
            "NEXTAUTH_URL is http://localhost:3000, so the non-secure name is read"
        );
        let r = name_reason(&NameChoice {
            nextauth_url: Some("https://app.example"),
            ..Default::default()
        });
        assert_eq!(
            r,
            "NEXTAUTH_URL is https://app.example, so the __Secure- name is read"
        );
        let r = name_reason(&NameChoice {
            vercel: Some("1"),
            ..Default::default()
        });
        assert!(r.contains("VERCEL is set") && r.contains("__Secure-"));
        let r = name_reason(&NameChoice {
            secure_given: Some(false),
            ..Default::default()
        });
        assert!(r.contains("secureCookie: false"));
        let r = name_reason(&NameChoice {
            cookie_name: Some("my.session"),
            ..Default::default()
        });
        assert!(r.contains("`my.session`"));
        let ctx = CookieContext {
            expected: vec!["next-auth.session-token".into()],
            found: vec!["__Secure-next-auth.session-token".into()],
            reason: r,
        };
        let m = explain_message(Some(SessionError::CookieNameMismatch), &ctx);
        assert!(
            m.contains("`__Secure-next-auth.session-token`")
                && m.contains("reads `next-auth.session-token`")
        );
    }
}
