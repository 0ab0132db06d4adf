//! next-auth-native: reads and checks NextAuth.js session tokens natively.
//!
//! The layers, bottom up (docs/architecture.md draws them):
//! - `jose`: the token format (base64url, strict JSON, keys, JWE, JWS, claims);
//! - `cookies`: the Cookie header grammar, cookie-name choice and chunks;
//! - `reader`: the JWT reader behind `getToken` (configuration, decode
//!   pipeline, token cache, v4 codec, Bearer);
//! - `store`: database sessions;
//! - `middleware` and `identity`: `withAuth`'s decision and the forwarded
//!   identity headers;
//! - `error`, `explain`, `limits`: the error model, explanations and
//!   every size cap, shared by all of the above;
//! - `binding`: the napi binding, the only module with napi types (feature `node`), so
//!   `cargo test --no-default-features` covers the rest without Node.
//!
//! The modules are private. The `pub use` items below are the surface the
//! cargo-fuzz targets in `fuzz/` build against; it is not a stable API (the
//! package's API is the JS one). `cookies`, `limits`, `middleware` and
//! `store` are public modules because the targets name paths inside them.

#![deny(unsafe_code)]
// Without the binding (`--no-default-features`) the items only it uses are
// unused; the default build (`node`) keeps the dead-code lint meaningful.
#![cfg_attr(not(feature = "node"), allow(dead_code))]

pub mod cookies;
mod error;
mod explain;
mod identity;
mod jose;
pub mod limits;
pub mod middleware;
mod reader;
pub mod store;

pub use jose::{claims, json, jwe, jws, keys};
pub use reader::{bearer_token, Cookies, Reader, ReaderOptions, Rules, Step, V4Key};

#[cfg(test)]
mod regressions;

/// Internal entry points for the cargo-fuzz targets in `fuzz/` only; not a
/// stable API (the `fuzzing` feature is never enabled by the Node build).
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    use crate::jose::json::ClaimFacts;

    /// The hand-written fast path of [`crate::json::scan_claims`].
    pub fn scan_flat(text: &str) -> Option<ClaimFacts> {
        crate::jose::json::scan_flat(text)
    }

    /// The serde path of [`crate::json::scan_claims`].
    pub fn scan_serde(text: &str) -> Option<ClaimFacts> {
        crate::jose::json::scan_serde(text)
    }
}

#[cfg(feature = "node")]
mod binding;
