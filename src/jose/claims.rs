//! Claim checks applied after decryption/verification (docs/security.md JW-11,
//! NA-1). The boundaries are jose's: expired when `exp <= now - 15`, not yet
//! valid when `nbf > now + 15`. Stricter than next-auth: `exp` is required.

use crate::jose::json::{ClaimFacts, Num};

/// next-auth's clock tolerance, in seconds.
pub const CLOCK_TOLERANCE: i64 = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimError {
    MissingExp,
    Expired,
    NotYetValid,
    BadType,
    CheckCookieShape,
}

/// Seconds since the epoch, as jose computes `now` (`floor(Date.now() / 1000)`).
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn number(v: Num) -> Result<f64, ClaimError> {
    match v {
        Num::Finite(n) => Ok(n),
        Num::NotANumber => Err(ClaimError::BadType),
    }
}

/// `-2^63` and `2^63` as f64: `exp` must lie in `[EXP_MIN, EXP_MAX)`.
const EXP_MIN: f64 = -9_223_372_036_854_775_808.0;
const EXP_MAX: f64 = 9_223_372_036_854_775_808.0;

/// Validates the registered time claims and rejects OAuth check-cookie
/// payloads (`{value, provider?, iat, exp, jti}`) offered as sessions.
/// Returns `exp` so callers can bound cache lifetimes.
pub fn validate(claims: &ClaimFacts, now: i64) -> Result<f64, ClaimError> {
    if let Some(iat) = claims.iat {
        number(iat)?;
    }
    let now = now as f64;
    let tol = CLOCK_TOLERANCE as f64;
    if let Some(nbf) = claims.nbf {
        if number(nbf)? > now + tol {
            return Err(ClaimError::NotYetValid);
        }
    }
    let exp = number(claims.exp.ok_or(ClaimError::MissingExp)?)?;
    // Beyond the signed 64-bit range no clock or cache can represent it (issue 14, item 9).
    if !(EXP_MIN..EXP_MAX).contains(&exp) {
        return Err(ClaimError::BadType);
    }
    if exp <= now - tol {
        return Err(ClaimError::Expired);
    }
    if claims.check_cookie_shape {
        return Err(ClaimError::CheckCookieShape);
    }
    Ok(exp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn obj(v: Value) -> ClaimFacts {
        crate::jose::json::scan_claims(&v.to_string()).unwrap()
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn exp_boundaries_match_jose() {
        assert_eq!(
            validate(&obj(json!({"exp": NOW - 15})), NOW),
            Err(ClaimError::Expired)
        );
        assert!(validate(&obj(json!({"exp": NOW - 14})), NOW).is_ok());
        assert!(validate(&obj(json!({"exp": NOW as f64 - 14.5})), NOW).is_ok());
    }

    #[test]
    fn nbf_boundaries_match_jose() {
        assert!(validate(&obj(json!({"exp": NOW + 60, "nbf": NOW + 15})), NOW).is_ok());
        assert_eq!(
            validate(&obj(json!({"exp": NOW + 60, "nbf": NOW + 16})), NOW),
            Err(ClaimError::NotYetValid)
        );
    }

    #[test]
    fn exp_required_and_typed() {
        assert_eq!(validate(&obj(json!({})), NOW), Err(ClaimError::MissingExp));
        assert_eq!(
            validate(&obj(json!({"exp": "9999999999"})), NOW),
            Err(ClaimError::BadType)
        );
        assert_eq!(
            validate(&obj(json!({"exp": null})), NOW),
            Err(ClaimError::BadType)
        );
        assert_eq!(
            validate(&obj(json!({"exp": NOW + 60, "iat": "x"})), NOW),
            Err(ClaimError::BadType)
        );
        assert_eq!(
            validate(&obj(json!({"exp": NOW + 60, "nbf": true})), NOW),
            Err(ClaimError::BadType)
        );
    }

    #[test]
    fn future_iat_is_accepted() {
        // issue 14 item 8: jose checks no `iat` without maxTokenAge.
        assert!(validate(&obj(json!({"exp": NOW + 60, "iat": NOW + 3600})), NOW).is_ok());
        assert!(validate(&obj(json!({"exp": NOW + 60, "iat": 1e300})), NOW).is_ok());
    }

    #[test]
    fn exp_beyond_i64_is_denied() {
        // issue 14 item 9
        assert_eq!(
            validate(&obj(json!({"exp": 9.3e18})), NOW),
            Err(ClaimError::BadType)
        );
        assert_eq!(
            validate(&obj(json!({"exp": 1e300})), NOW),
            Err(ClaimError::BadType)
        );
        assert_eq!(
            validate(&obj(json!({"exp": 9_223_372_036_854_775_807u64})), NOW),
            Err(ClaimError::BadType)
        ); // rounds to 2^63
        assert!(validate(&obj(json!({"exp": 9.2e18})), NOW).is_ok());
    }

    #[test]
    fn check_cookie_shape_rejected() {
        let state =
            json!({"value": "abc", "provider": "github", "iat": NOW, "exp": NOW + 900, "jti": "j"});
        assert_eq!(
            validate(&obj(state), NOW),
            Err(ClaimError::CheckCookieShape)
        );
        let session = json!({"value": "abc", "sub": "1", "exp": NOW + 900});
        assert!(validate(&obj(session), NOW).is_ok());
    }
}
