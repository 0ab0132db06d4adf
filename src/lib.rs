//! next-auth-native: reads and checks NextAuth.js session tokens natively.
//!
//! The core (every module but `binding`) has no napi types, so `cargo test
//! --no-default-features` covers it without Node.

#![deny(unsafe_code)]

pub mod b64;
pub mod claims;
pub mod cookies;
pub mod error;
pub mod explain;
pub mod identity;
pub mod json;
pub mod jwe;
pub mod jws;
pub mod keys;
pub mod limits;
pub mod middleware;
pub mod reader;
pub mod store;
pub mod token;

#[cfg(test)]
mod regressions;

/// Internal entry points for the cargo-fuzz targets in `fuzz/` only; not a
/// stable API (the `fuzzing` feature is never enabled by the Node build).
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    use crate::json::ClaimFacts;

    /// The hand-written fast path of [`crate::json::scan_claims`].
    pub fn scan_flat(text: &str) -> Option<ClaimFacts> {
        crate::json::scan_flat(text)
    }

    /// The serde path of [`crate::json::scan_claims`].
    pub fn scan_serde(text: &str) -> Option<ClaimFacts> {
        crate::json::scan_serde(text)
    }
}

#[cfg(feature = "node")]
mod binding;
#[cfg(feature = "node")]
mod binding_db;
