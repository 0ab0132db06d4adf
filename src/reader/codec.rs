//! next-auth v4 `encode`/`decode` (lib/jwt.js `encode`/`decode`): A256GCM
//! `dir` JWE under a key derived from the secret and salt.

use crate::error::SessionError;
use crate::jose::claims;
use crate::jose::jwe::{self, Enc};
use crate::jose::keys;
use aes_gcm::{Aes256Gcm, KeyInit};

/// A v4 key for `encode`/`decode` (next-auth's salted or session key),
/// derived once; the JS layer keeps one per (secret, salt).
pub struct V4Key(Aes256Gcm);

impl V4Key {
    pub fn derive(secret: &[u8], salt: &str) -> Option<V4Key> {
        let key = keys::derive_v4(secret, salt)?;
        Some(V4Key(Aes256Gcm::new(&(*key).into())))
    }

    /// next-auth v4 `encode` of a claims JSON text: A256GCM, fresh IV.
    pub fn encode(&self, claims_json: &str) -> Option<String> {
        jwe::encrypt_v4(&self.0, claims_json.as_bytes())
    }

    /// next-auth v4 `decode`: the validated claims JSON text, or why not.
    pub fn decode(&self, token: &str, now: i64) -> Result<String, SessionError> {
        let jwe = jwe::parse(token, &[Enc::A256Gcm])?;
        let text =
            String::from_utf8(jwe.decrypt_gcm(&self.0)?).map_err(|_| SessionError::Malformed)?;
        claims::validate(
            &crate::jose::json::scan_claims(&text).ok_or(SessionError::Malformed)?,
            now,
        )?;
        Ok(text)
    }
}

/// next-auth v4 `encode` with a one-off key (the tests' token maker).
#[cfg(test)]
pub fn encode_v4(secret: &[u8], salt: &str, claims_json: &str) -> Option<String> {
    V4Key::derive(secret, salt)?.encode(claims_json)
}
