//! The token format (JOSE): strict base64url ([`b64`]) and JSON ([`json`]),
//! key derivation ([`keys`]), JWE decryption and encryption ([`jwe`]),
//! app-signed JWS verification ([`jws`]) and the time claims ([`claims`]).
//! Nothing here knows about cookies, requests or databases.

pub mod b64;
pub mod claims;
pub mod json;
pub mod jwe;
pub mod jws;
pub mod keys;
