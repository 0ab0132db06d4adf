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
pub mod middleware;
pub mod store;
pub mod reader;
pub mod token;

#[cfg(feature = "node")]
mod binding;
#[cfg(feature = "node")]
mod binding_db;
