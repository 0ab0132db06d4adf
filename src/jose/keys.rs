//! Key derivation (HKDF-SHA-256) for v4 and Auth.js v5 session tokens, done
//! once per compiled configuration and kept in zeroising buffers
//! (docs/security.md SC-5). Nothing here is derived per request.

use crate::jose::b64;
use crate::limits::HKDF_INFO_MAX;
use hkdf::Hkdf;
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

const V4_INFO: &str = "NextAuth.js Generated Encryption Key";
const V5_INFO: &str = "Auth.js Generated Encryption Key";

/// A secret as the app configured it (UTF-8 bytes of a string, or raw bytes).
pub type Secret = Zeroizing<Vec<u8>>;

fn hkdf<const N: usize>(secret: &[u8], salt: &str, info: &str) -> Option<Zeroizing<[u8; N]>> {
    if secret.is_empty() || info.len() > HKDF_INFO_MAX {
        return None;
    }
    let mut okm = Zeroizing::new([0u8; N]);
    Hkdf::<Sha256>::new(Some(salt.as_bytes()), secret)
        .expand(info.as_bytes(), okm.as_mut())
        .ok()?;
    Some(okm)
}

/// next-auth v4 `getDerivedEncryptionKey(secret, salt)`: 32 bytes for A256GCM.
pub fn derive_v4(secret: &[u8], salt: &str) -> Option<Zeroizing<[u8; 32]>> {
    if salt.is_empty() {
        hkdf(secret, salt, V4_INFO)
    } else {
        hkdf(secret, salt, &format!("{V4_INFO} ({salt})"))
    }
}

/// Auth.js v5 key for `enc`: 64 bytes for A256CBC-HS512, 32 for A256GCM.
pub fn derive_v5<const N: usize>(secret: &[u8], salt: &str) -> Option<Zeroizing<[u8; N]>> {
    if salt.is_empty() {
        return None; // v5 requires a salt (the cookie name)
    }
    hkdf(secret, salt, &format!("{V5_INFO} ({salt})"))
}

/// RFC 7638 thumbprint of `{"k":…,"kty":"oct"}`, hashed with SHA-(8·len) as Auth.js does.
pub fn oct_thumbprint(key: &[u8]) -> String {
    let jwk = Zeroizing::new(format!(r#"{{"k":"{}","kty":"oct"}}"#, b64::encode(key)));
    match key.len() {
        64 => b64::encode(&Sha512::digest(jwk.as_bytes())),
        _ => b64::encode(&Sha256::digest(jwk.as_bytes())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn spec_vector() {
        // docs/compatibility.md §3.1 test value.
        let k = derive_v4(b"nextauth-spec-test-secret-0123456789abcdef", "").unwrap();
        assert_eq!(
            hex(k.as_ref()),
            "4599ef3db5258cfd0846cf43a28715c7a4d5166e55eac9aa4b90ace99d75817e"
        );
    }

    #[test]
    fn empty_secret_and_long_info_fail() {
        assert!(derive_v4(b"", "").is_none());
        assert!(derive_v4(b"s", &"x".repeat(1100)).is_none());
        assert!(derive_v5::<64>(b"s", "").is_none());
    }

    #[test]
    fn salted_keys_differ() {
        let a = derive_v4(b"secret", "").unwrap();
        let b = derive_v4(b"secret", "next-auth.state").unwrap();
        assert_ne!(a.as_ref(), b.as_ref());
    }
}
