//! The napi binding: thin conversions between JS values and the core. Every
//! export catches panics (docs/security.md RS-1); every failure is `null` or a
//! thrown configuration error, never a crash.

mod db;

use crate::error::{self, NameChoice, SessionError};
use crate::explain;
use crate::jose::claims::now_seconds;
use crate::jose::jws::{JwsVerifier, KeyInput};
use crate::limits::{COOKIE_HEADER_MAX, JWT_MAX};
use crate::reader::{Cookies, Outcome, Reader, ReaderOptions, ReaderSet, Step, V4Key};
use napi::bindgen_prelude::{Buffer, Either, Either3, External, Null, Undefined};
use napi::{Error, JsString, JsValue, Result, Status};
use napi_derive::napi;
use std::mem::MaybeUninit;
use zeroize::Zeroizing;

type SecretInput = Either<String, Buffer>;

fn secret_bytes(s: &SecretInput) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(match s {
        Either::A(s) => s.as_bytes().to_vec(),
        Either::B(b) => b.to_vec(),
    })
}

#[napi(object)]
pub struct JwsOptions {
    /// e.g. ["HS256"] or ["RS256", "PS256"]; one key type.
    pub algorithms: Vec<String>,
    /// Shared secret for HS* (at least 32 bytes).
    pub secret: Option<SecretInput>,
    /// PEM public key, or a JWK as JSON text, for RS*/PS*/ES*/EdDSA.
    pub public_key: Option<String>,
    pub issuer: Option<Vec<String>>,
    pub audience: Option<Vec<String>>,
}

#[napi(object)]
pub struct ReaderInit {
    pub secrets: Vec<SecretInput>,
    /// Resolved by the JS side: `params.secureCookie`, or next-auth's env
    /// default (`defaultSecureCookie` in lib/jwt.js).
    pub secure_cookie: bool,
    pub cookie_name: Option<String>,
    pub salt: Option<String>,
    pub jwt: Option<JwsOptions>,
    /// Read `authjs.session-token` when no v4 cookie is present (default true).
    pub v5_fallback: Option<bool>,
}

/// Compiles a reader: cookie names, rules and derived keys, once per configuration.
#[napi(catch_unwind)]
pub fn compile_reader(init: ReaderInit) -> Result<External<ReaderSet>> {
    let reader = |secure_cookie: bool| -> Result<Reader> {
        Ok(Reader::new(ReaderOptions {
            secrets: init
                .secrets
                .iter()
                .map(secret_bytes)
                .filter(|s| !s.is_empty())
                .collect(),
            secure_cookie,
            cookie_name: init.cookie_name.clone(),
            salt: init.salt.clone(),
            jws: init.jwt.as_ref().map(jws_verifier).transpose()?,
            v5_fallback: init.v5_fallback.unwrap_or(true),
        }))
    };
    Ok(External::new(ReaderSet::fixed(reader(init.secure_cookie)?)))
}

fn jws_verifier(j: &JwsOptions) -> Result<JwsVerifier> {
    let secret = j.secret.as_ref().map(secret_bytes);
    let key = match (&secret, &j.public_key) {
        (Some(s), None) => KeyInput::Secret(s),
        (None, Some(pem)) => KeyInput::Public(pem),
        _ => {
            return Err(Error::new(
                Status::InvalidArg,
                "jwt needs exactly one of `secret` (HS*) or `publicKey` (RS*/PS*/ES*/EdDSA)",
            ))
        }
    };
    JwsVerifier::new(&j.algorithms, key, j.issuer.clone(), j.audience.clone())
        .map_err(|e| Error::new(Status::InvalidArg, e))
}

/// Room for a Cookie header at the cap plus one UTF-8 character, so that a
/// longer header always reads as longer than the cap (and is denied).
const HEADER_BUF: usize = COOKIE_HEADER_MAX + 8;
/// The same for a bare token (`decode`): one past the token cap, and more.
const TOKEN_BUF: usize = JWT_MAX + 8;

/// Copies a JS string into `buf` as UTF-8 with a single napi call (napi-rs's
/// `String` conversion asks V8 for the UTF-8 length first, then copies into
/// a zeroed allocation). A string that does not fit comes back cut short,
/// which for a Cookie header in a [`HEADER_BUF`] buffer is still over the cap.
#[allow(unsafe_code)] // the crate's only unsafe: one FFI call and the slice it initialised
fn utf8_into<'b>(s: &JsString, buf: &'b mut [MaybeUninit<u8>]) -> Option<&'b str> {
    let v = s.value();
    let mut written = 0usize;
    // SAFETY: `buf` is writable for `buf.len()` bytes; napi writes at most
    // `buf.len() - 1` bytes plus a NUL and reports how many it wrote.
    let status = unsafe {
        napi::sys::napi_get_value_string_utf8(
            v.env,
            v.value,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut written,
        )
    };
    if status != napi::sys::Status::napi_ok || written >= buf.len() {
        return None;
    }
    // SAFETY: the first `written` bytes were initialised by napi.
    let bytes = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), written) };
    std::str::from_utf8(bytes).ok()
}

fn outcome(o: Outcome) -> Option<String> {
    match o {
        Outcome::Denied(_) => None,
        Outcome::Raw(t) => Some(t),
        Outcome::Claims { json, .. } => Some(json),
    }
}

/// The cookie half of getToken, in the result vocabulary: the result string
/// (`Found`), `null` (`Denied`: a present but unusable cookie, or a token that
/// did not decode), or `undefined` (`Absent`: no session cookie; the caller
/// consults the Authorization header with `readBearer`, so it reads that
/// header only when it matters). Both no-token answers are falsy, so a
/// caller that tests the result for truth fails closed.
#[napi(catch_unwind)]
pub fn read_cookie(
    reader: &External<ReaderSet>,
    cookie: JsString,
    raw: bool,
) -> Either3<String, Null, Undefined> {
    let mut buf = [MaybeUninit::<u8>::uninit(); HEADER_BUF];
    let Some(cookie) = utf8_into(&cookie, &mut buf) else {
        return Either3::B(Null);
    };
    let reader = reader.get();
    match reader.from_cookies(Cookies::Header(cookie)) {
        Step::Found(token, rules) => {
            match outcome(reader.finish(&token, &rules, raw, now_seconds())) {
                Some(s) => Either3::A(s),
                None => Either3::B(Null),
            }
        }
        Step::Denied(_) => Either3::B(Null),
        Step::Absent => Either3::C(()),
    }
}

/// The Bearer half of getToken (next-auth v4's rule).
#[napi(catch_unwind)]
pub fn read_bearer(
    reader: &External<ReaderSet>,
    authorization: String,
    raw: bool,
) -> Option<String> {
    outcome(reader.get().read_bearer(&authorization, raw, now_seconds()))
}

/// getToken on already-parsed cookies (Pages-router `req.cookies`).
#[napi(catch_unwind)]
pub fn read_token_pairs(
    reader: &External<ReaderSet>,
    names: Vec<String>,
    values: Vec<String>,
    authorization: Option<String>,
    raw: bool,
) -> Option<String> {
    let pairs: Vec<(String, String)> = names.into_iter().zip(values).collect();
    outcome(reader.get().read(
        Cookies::Pairs(&pairs),
        authorization.as_deref(),
        raw,
        now_seconds(),
    ))
}

/// getToken on a raw `Cookie` header, with the claims object built natively
/// instead of returned as JSON text: only for the benchmark that compares
/// the two (bench/run.mjs), so only in a `--features bench` build.
#[cfg(feature = "bench")]
#[napi(catch_unwind)]
pub fn read_token_object(
    reader: &External<ReaderSet>,
    cookie: Option<String>,
    authorization: Option<String>,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let cookies = cookie.as_deref().map_or(Cookies::None, Cookies::Header);
    match reader
        .get()
        .read(cookies, authorization.as_deref(), false, now_seconds())
    {
        Outcome::Claims { json, .. } => serde_json::from_str(&json).ok(),
        _ => None,
    }
}

/// Derives a next-auth v4 key (session key for salt "", check-cookie keys
/// otherwise) once, for `encodeWithKey`/`decodeWithKey`.
#[napi(catch_unwind)]
pub fn compile_key(secret: SecretInput, salt: String) -> Result<External<V4Key>> {
    V4Key::derive(&secret_bytes(&secret), &salt)
        .map(External::new)
        .ok_or_else(|| Error::new(Status::InvalidArg, "the secret must be non-empty"))
}

/// next-auth v4 `encode` of a prepared claims JSON text (iat/exp/jti already set).
#[napi(catch_unwind)]
pub fn encode_with_key(key: &External<V4Key>, claims_json: String) -> Result<String> {
    key.encode(&claims_json)
        .ok_or_else(|| Error::new(Status::GenericFailure, "encode failed"))
}

/// Why `decode` failed: this crate's code and jose 4's code and message
/// for the same failure (what next-auth's `decode` would reject with).
#[napi(object, object_from_js = false)]
pub struct DecodeFailure {
    pub code: &'static str,
    pub jose_code: &'static str,
    pub jose_message: &'static str,
    pub jose_name: &'static str,
}

fn decode_failure(e: SessionError) -> DecodeFailure {
    DecodeFailure {
        code: e.code(),
        jose_code: e.jose_code(),
        jose_message: e.jose_message(),
        jose_name: e.jose_name(),
    }
}

/// next-auth v4 `decode`: validated claims JSON text, or why not.
#[napi(catch_unwind)]
pub fn decode_with_key(key: &External<V4Key>, token: JsString) -> Either<String, DecodeFailure> {
    let mut buf = [MaybeUninit::<u8>::uninit(); TOKEN_BUF];
    let Some(token) = utf8_into(&token, &mut buf) else {
        return Either::B(decode_failure(SessionError::TooLarge));
    };
    match key.decode(token, now_seconds()) {
        Ok(json) => Either::A(json),
        Err(e) => Either::B(decode_failure(e)),
    }
}

// --- explanations (src/explain.rs) -----------------------------------------

/// Why the reader reads the names it reads (see `error::NameChoice`).
#[napi(object)]
pub struct NameChoiceInit {
    pub cookie_name: Option<String>,
    pub salt: Option<bool>,
    pub secure_cookie: Option<bool>,
    pub nextauth_url: Option<String>,
    pub vercel: Option<String>,
}

impl NameChoiceInit {
    pub(crate) fn choice(&self) -> NameChoice<'_> {
        NameChoice {
            cookie_name: self.cookie_name.as_deref(),
            salt: self.salt.unwrap_or(false),
            secure_given: self.secure_cookie,
            nextauth_url: self.nextauth_url.as_deref(),
            vercel: self.vercel.as_deref(),
        }
    }
}

#[napi(object, object_from_js = false)]
pub struct ExplainResult {
    /// "OK" or a stable error code.
    pub code: &'static str,
    pub message: String,
    /// The claims JSON text (or the raw token with `raw`) when OK.
    pub value: Option<String>,
    pub exp: Option<f64>,
    pub expected: Vec<String>,
    pub found: Vec<String>,
    pub reason: String,
    /// "cookie", "bearer" or "".
    pub source: &'static str,
    /// The fix sentence of the code ("" for OK).
    pub fix: &'static str,
}

/// getToken's decision, explained: the same reader, the same read.
#[napi(catch_unwind)]
pub fn explain_token(
    reader: &External<ReaderSet>,
    cookie: Option<String>,
    names: Option<Vec<String>>,
    values: Option<Vec<String>>,
    authorization: Option<String>,
    raw: bool,
    choice: NameChoiceInit,
) -> ExplainResult {
    let pairs: Vec<(String, String)> = match (names, values) {
        (Some(n), Some(v)) => n.into_iter().zip(v).collect(),
        _ => Vec::new(),
    };
    let cookies = match &cookie {
        Some(h) => Cookies::Header(h),
        None if !pairs.is_empty() => Cookies::Pairs(&pairs),
        None => Cookies::None,
    };
    let e = explain::explain_read(
        reader.get(),
        cookies,
        authorization.as_deref(),
        raw,
        now_seconds(),
        &choice.choice(),
    );
    ExplainResult {
        code: e.code(),
        fix: e.error.map_or("", SessionError::fix),
        message: e.message,
        value: e.value,
        exp: e.exp,
        expected: e.cookie.expected,
        found: e.cookie.found,
        reason: e.cookie.reason,
        source: e.source,
    }
}

#[napi(object, object_from_js = false)]
pub struct CodeInfo {
    pub code: &'static str,
    pub fix: &'static str,
    pub jose_code: &'static str,
}

/// Every stable error code with its fix sentence (README table, doctor).
#[napi(catch_unwind)]
pub fn error_codes() -> Vec<CodeInfo> {
    error::ALL
        .iter()
        .map(|e| CodeInfo {
            code: e.code(),
            fix: e.fix(),
            jose_code: e.jose_code(),
        })
        .collect()
}

// --- middleware ------------------------------------------------------------

use crate::middleware::{self, Policy, Route};

#[napi(object)]
pub struct PolicyInit {
    pub sign_in: String,
    pub error: String,
    pub auth_path: String,
    pub public_paths: Option<Vec<String>>,
    pub protected_paths: Option<Vec<String>>,
}

/// Compiles a middleware path policy once per options object; a bad
/// `publicPaths`/`protectedPaths` entry throws an error that shows the fix.
#[napi(catch_unwind)]
pub fn compile_policy(init: PolicyInit) -> Result<External<Policy>> {
    Policy::new(
        init.sign_in,
        init.error,
        init.auth_path,
        &init.public_paths.unwrap_or_default(),
        &init.protected_paths.unwrap_or_default(),
    )
    .map(External::new)
    .map_err(|e| Error::new(Status::InvalidArg, e))
}

/// A denial's half of a `withAuth` decision: where the sign-in redirect goes.
#[napi(object)]
pub struct Denial {
    pub location: String,
}

/// One call per `withAuth` decision in JWT mode: `null` when the path needs no
/// session (skipped); the token's claims as JSON text when the request
/// carries a valid one (read from the Cookie header, or the Bearer fallback,
/// as getToken reads them); else a `Denial` with the sign-in Location.
/// `callback_path` is the path the callbackUrl names (a locale prefix
/// included). An `authorized` callback that denies a valid token asks
/// `signInLocation`.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn middleware_decide(
    policy: &External<Policy>,
    reader: &External<ReaderSet>,
    base_path: String,
    pathname: String,
    search: String,
    origin: String,
    callback_path: String,
    cookie: Option<String>,
    authorization: Option<String>,
) -> Option<Either<String, Denial>> {
    if policy.route(&base_path, &pathname, &search) != Route::Check {
        return None;
    }
    let cookies = cookie.as_deref().map_or(Cookies::None, Cookies::Header);
    let claims = outcome(reader.get().read(
        cookies,
        authorization.as_deref(),
        false,
        now_seconds(),
    ));
    Some(match claims {
        Some(json) => Either::A(json),
        None => Either::B(Denial {
            location: policy.sign_in_location(&origin, &base_path, &callback_path, &search),
        }),
    })
}

/// The path half alone (a JS `decode` callback, no secret, a store that
/// cannot be configured): `null` when the middleware skips the path, else the
/// sign-in Location a denial would use.
#[napi(catch_unwind)]
pub fn middleware_path(
    policy: &External<Policy>,
    base_path: String,
    pathname: String,
    search: String,
    origin: String,
    callback_path: String,
) -> Option<String> {
    policy.denial_location(&base_path, &pathname, &search, &origin, &callback_path)
}

/// The Location of a denial (307 to the sign-in page with callbackUrl).
#[napi(catch_unwind)]
pub fn sign_in_location(
    policy: &External<Policy>,
    origin: String,
    base_path: String,
    pathname: String,
    search: String,
) -> String {
    policy.sign_in_location(&origin, &base_path, &pathname, &search)
}

/// The Location when no secret is configured.
#[napi(catch_unwind)]
pub fn config_error_location(
    policy: &External<Policy>,
    origin: String,
    base_path: String,
) -> String {
    policy.config_error_location(&origin, &base_path)
}

/// next-auth's parseUrl(NEXTAUTH_URL): [origin, apiPath], or null.
#[napi(catch_unwind)]
pub fn parse_nextauth_url(value: String) -> Option<Vec<String>> {
    middleware::parse_nextauth_url(&value).map(|(o, p)| vec![o, p])
}

// --- forwarded identity ------------------------------------------------------

use crate::identity::{self, IdentityKey};

/// The request header of each `forwardIdentity` claim; throws (with the fix)
/// for names that cannot be forwarded.
#[napi(catch_unwind)]
pub fn identity_header_names(claims: Vec<String>) -> Result<Vec<String>> {
    identity::header_names(&claims).map_err(|e| Error::new(Status::InvalidArg, e))
}

/// The identity MAC key for the app's secrets, or null when none is non-empty.
#[napi(catch_unwind)]
pub fn compile_identity_key(secrets: Vec<SecretInput>) -> Option<External<IdentityKey>> {
    let bytes: Vec<Zeroizing<Vec<u8>>> = secrets.iter().map(secret_bytes).collect();
    let refs: Vec<&[u8]> = bytes.iter().map(|b| b.as_slice()).collect();
    IdentityKey::new(&refs).map(External::new)
}

/// The `x-auth-mac` value for the forwarded claims and their header values.
#[napi(catch_unwind)]
pub fn sign_identity(
    key: &External<IdentityKey>,
    claims: Vec<String>,
    values: Vec<String>,
) -> String {
    let pairs: Vec<(&str, &str)> = claims
        .iter()
        .map(String::as_str)
        .zip(values.iter().map(String::as_str))
        .collect();
    key.sign(&pairs, now_seconds())
}

/// Verifies an `x-auth-mac` value against the request's `x-auth-*` headers
/// (lower-case names): `[claim, value, claim, value, ...]`, or null.
#[napi(catch_unwind)]
pub fn verify_identity(
    key: &External<IdentityKey>,
    mac: String,
    names: Vec<String>,
    values: Vec<String>,
) -> Option<Vec<String>> {
    let headers: Vec<(String, String)> = names.into_iter().zip(values).collect();
    key.verify(&mac, &headers, now_seconds())
        .map(|pairs| pairs.into_iter().flat_map(|(c, v)| [c, v]).collect())
}
