//! Every size and count cap, in one place, each with its own name
//! (docs/security.md CK-5, SS-1, RS-6). A cap is checked before the work it
//! bounds; going over it is a denial (usually `TOO_LARGE`), never a crash.
//! The README's "Limits" table lists the same values.

use std::time::Duration;

// --- The request: Cookie header and session cookie (CK-5) ---

/// Largest `Cookie` header parsed.
pub const COOKIE_HEADER_MAX: usize = 32 * 1024;
/// Most cookie pairs looked at in one header (or one parsed-pairs object).
pub const COOKIE_PAIRS_MAX: usize = 256;
/// Most chunks a session cookie may have (`.0` … `.7`).
pub const COOKIE_CHUNKS_MAX: usize = 8;
/// Most cookie families one pass collects (the v4 name and the v5 fallback).
pub const COOKIE_FAMILIES_MAX: usize = 2;

// --- The JWT (JWE or app-signed JWS) ---

/// Largest JWT looked at: a reassembled cookie, a Bearer credential, or a
/// token given to `decode`.
pub const JWT_MAX: usize = 16 * 1024;
/// Largest JWE protected header (base64url text).
pub const JWE_HEADER_MAX: usize = 512;
/// Longest HKDF `info` (`@panva/hkdf` refuses more).
pub const HKDF_INFO_MAX: usize = 1024;
/// Most claims one forwarded-identity MAC covers.
pub const IDENTITY_CLAIMS_MAX: usize = 32;

// --- The JWT reader's token cache ---

/// Most decoded tokens the reader caches per configuration.
pub const TOKEN_CACHE_ENTRIES: usize = 1024;
/// Largest claims JSON the token cache keeps (bigger tokens are decoded every time).
pub const TOKEN_CACHE_JSON_MAX: usize = 8 * 1024;

// --- Database sessions (SS-1, RS-6) ---

/// Longest database session token looked up (next-auth's own are 36 or 64
/// characters; `@auth/pg-adapter` stores at most 255).
pub const SESSION_TOKEN_MAX: usize = 255;
/// Largest `/api/auth/session` response body read.
pub const SESSION_BODY_MAX: usize = 64 * 1024;
/// Largest Redis value read (a session or user JSON).
pub const REDIS_VALUE_MAX: usize = 64 * 1024;
/// Longest Redis `keyPrefix` / unstorage `base` accepted.
pub const REDIS_PREFIX_MAX: usize = 200;
/// Longest table or column name in a schema mapping (PostgreSQL's NAMEDATALEN − 1).
pub const SQL_IDENT_MAX: usize = 63;
/// Most positive entries in a store's session cache.
pub const SESSION_CACHE_ENTRIES: usize = 4096;
/// Most negative ("no such session") entries in a store's session cache.
pub const SESSION_NEGATIVE_ENTRIES: usize = 4096;
/// Longest session-cache TTL accepted (RS-6: at most 60 s).
pub const SESSION_CACHE_TTL_MAX: Duration = Duration::from_secs(60);
/// Longest lookup deadline accepted.
pub const STORE_TIMEOUT_MAX: Duration = Duration::from_secs(30);
/// Largest connection pool accepted.
pub const STORE_POOL_MAX: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize) -> String {
        if n >= 1024 && n % 1024 == 0 {
            format!("{} KiB", n / 1024)
        } else {
            n.to_string()
        }
    }

    /// The README "Limits" table names every cap here, with its value.
    #[test]
    fn readme_table_matches() {
        let caps: &[(&str, String)] = &[
            ("COOKIE_HEADER_MAX", bytes(COOKIE_HEADER_MAX)),
            ("COOKIE_PAIRS_MAX", COOKIE_PAIRS_MAX.to_string()),
            ("COOKIE_CHUNKS_MAX", COOKIE_CHUNKS_MAX.to_string()),
            ("COOKIE_FAMILIES_MAX", COOKIE_FAMILIES_MAX.to_string()),
            ("JWT_MAX", bytes(JWT_MAX)),
            ("JWE_HEADER_MAX", format!("{JWE_HEADER_MAX} B")),
            ("HKDF_INFO_MAX", format!("{HKDF_INFO_MAX} B")),
            ("IDENTITY_CLAIMS_MAX", IDENTITY_CLAIMS_MAX.to_string()),
            (
                "TOKEN_CACHE_ENTRIES",
                format!("{TOKEN_CACHE_ENTRIES} entries"),
            ),
            ("TOKEN_CACHE_JSON_MAX", bytes(TOKEN_CACHE_JSON_MAX)),
            ("SESSION_TOKEN_MAX", format!("{SESSION_TOKEN_MAX} chars")),
            ("SESSION_BODY_MAX", bytes(SESSION_BODY_MAX)),
            ("REDIS_VALUE_MAX", bytes(REDIS_VALUE_MAX)),
            ("REDIS_PREFIX_MAX", format!("{REDIS_PREFIX_MAX} chars")),
            ("SQL_IDENT_MAX", format!("{SQL_IDENT_MAX} bytes")),
            ("SESSION_CACHE_ENTRIES", SESSION_CACHE_ENTRIES.to_string()),
            (
                "SESSION_NEGATIVE_ENTRIES",
                SESSION_NEGATIVE_ENTRIES.to_string(),
            ),
            (
                "SESSION_CACHE_TTL_MAX",
                format!("{} s", SESSION_CACHE_TTL_MAX.as_secs()),
            ),
            (
                "STORE_TIMEOUT_MAX",
                format!("{} s", STORE_TIMEOUT_MAX.as_secs()),
            ),
            ("STORE_POOL_MAX", STORE_POOL_MAX.to_string()),
        ];
        let source = include_str!("limits.rs");
        let declared = source
            .lines()
            .filter_map(|l| l.strip_prefix("pub const "))
            .map(|l| l.split(':').next().unwrap_or(""));
        for name in declared {
            assert!(
                caps.iter().any(|(n, _)| *n == name),
                "{name} is not checked here"
            );
        }
        let readme = include_str!("../README.md");
        for (name, value) in caps {
            let row = readme
                .lines()
                .find(|l| l.starts_with("| ") && l.contains(&format!("`{name}`")))
                .unwrap_or_else(|| panic!("README Limits table has no row for {name}"));
            assert!(
                row.contains(value.as_str()),
                "README row for {name} lacks {value:?}: {row}"
            );
        }
    }
}
