//! Native verification of app-signed JWS session tokens (next-auth's
//! documented custom `jwt.encode`/`jwt.decode` with `jsonwebtoken`), with the
//! settings of docs/security.md RS-3: one key family, a fixed algorithm list,
//! 15 s leeway, `nbf` checked, `exp` required, `crit` rejected, HMAC keys of
//! at least 32 bytes. The header and payload get the same strict parse as
//! JWE tokens before the signature is checked by the `jsonwebtoken` crate.

use super::{b64, claims, json};
use crate::error::SessionError;
use crate::limits::JWT_MAX;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use std::str::FromStr;

/// Smallest HMAC secret we accept (docs/security.md RS-3).
pub const MIN_HMAC_SECRET: usize = 32;

pub enum KeyInput<'a> {
    /// Shared secret for HS256/384/512.
    Secret(&'a [u8]),
    /// A PEM public key (RSA, EC or Ed25519) or a JWK as JSON text.
    Public(&'a str),
}

pub struct JwsVerifier {
    algorithms: Vec<Algorithm>,
    key: DecodingKey,
    validation: Validation,
    issuer: Option<Vec<String>>,
    audience: Option<Vec<String>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    Hmac,
    Rsa,
    Ec,
    Ed,
}

fn family(alg: Algorithm) -> Family {
    use Algorithm::*;
    match alg {
        HS256 | HS384 | HS512 => Family::Hmac,
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => Family::Rsa,
        ES256 | ES384 => Family::Ec,
        EdDSA => Family::Ed,
    }
}

impl JwsVerifier {
    pub fn new(
        algorithms: &[String],
        key: KeyInput<'_>,
        issuer: Option<Vec<String>>,
        audience: Option<Vec<String>>,
    ) -> Result<Self, String> {
        let algs = algorithms
            .iter()
            .map(|a| Algorithm::from_str(a).map_err(|_| format!("unsupported JWS algorithm {a:?}")))
            .collect::<Result<Vec<_>, _>>()?;
        let fam = match algs.first() {
            Some(a) => family(*a),
            None => return Err("jwt.algorithms must name at least one algorithm".into()),
        };
        if algs.iter().any(|a| family(*a) != fam) {
            return Err(
                "jwt.algorithms must all use one key type (HS*, RS*/PS*, ES* or EdDSA)".into(),
            );
        }
        let key = match (key, fam) {
            (KeyInput::Secret(s), Family::Hmac) => {
                if s.len() < MIN_HMAC_SECRET {
                    return Err(format!(
                        "jwt.secret must be at least {MIN_HMAC_SECRET} bytes for HMAC"
                    ));
                }
                DecodingKey::from_secret(s)
            }
            (KeyInput::Secret(_), _) => {
                return Err("asymmetric algorithms need jwt.publicKey".into())
            }
            (KeyInput::Public(_), Family::Hmac) => {
                return Err("HS* algorithms take jwt.secret, never a public key".into())
            }
            (KeyInput::Public(text), fam) => {
                let text = text.trim();
                let parsed = if text.starts_with('{') {
                    serde_json::from_str::<jsonwebtoken::jwk::Jwk>(text)
                        .map_err(|e| e.to_string())
                        .and_then(|jwk| DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string()))
                } else {
                    let pem = text.as_bytes();
                    match fam {
                        Family::Rsa => DecodingKey::from_rsa_pem(pem),
                        Family::Ec => DecodingKey::from_ec_pem(pem),
                        _ => DecodingKey::from_ed_pem(pem),
                    }
                    .map_err(|e| e.to_string())
                };
                parsed.map_err(|e| format!("invalid jwt.publicKey: {e}"))?
            }
        };
        let mut validation = Validation::new(algs[0]);
        validation.algorithms = algs.clone();
        validation.leeway = claims::CLOCK_TOLERANCE as u64;
        validation.validate_nbf = true;
        validation.validate_exp = true;
        let mut required = vec!["exp"];
        match &audience {
            Some(aud) => {
                validation.set_audience(aud);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        if let Some(iss) = &issuer {
            validation.set_issuer(iss);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        Ok(JwsVerifier {
            algorithms: algs,
            key,
            validation,
            issuer,
            audience,
        })
    }

    /// Verifies `token`; returns the payload JSON text and its `exp`, or why not.
    pub fn verify(&self, token: &str, now: i64) -> Result<(String, f64), SessionError> {
        use SessionError::*;
        if token.len() > JWT_MAX {
            return Err(TooLarge);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(_sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Malformed);
        };
        // No crit, b64, cty, jwk, jku, x5u, …
        let header_bytes = b64::decode(h).ok_or(Malformed)?;
        let header: Header =
            json::parse_header(std::str::from_utf8(&header_bytes).map_err(|_| Malformed)?)
                .ok_or(HeaderNotAllowed)?;
        if !Algorithm::from_str(&header.alg).is_ok_and(|a| self.algorithms.contains(&a)) {
            return Err(HeaderNotAllowed);
        }
        let payload = String::from_utf8(b64::decode(p).ok_or(Malformed)?).map_err(|_| Malformed)?;
        let exp = claims::validate(&json::scan_claims(&payload).ok_or(Malformed)?, now)?;
        if self.issuer.is_some() || self.audience.is_some() {
            let reg: Registered = serde_json::from_str(&payload).map_err(|_| Malformed)?;
            if !self.issuer_ok(reg.iss.as_ref()) || !self.audience_ok(reg.aud.as_ref()) {
                return Err(ClaimInvalid);
            }
        }
        jsonwebtoken::decode::<serde::de::IgnoredAny>(token, &self.key, &self.validation).map_err(
            |e| {
                use jsonwebtoken::errors::ErrorKind as K;
                match e.kind() {
                    K::ExpiredSignature => Expired,
                    K::ImmatureSignature => NotYetValid,
                    K::InvalidIssuer
                    | K::InvalidAudience
                    | K::MissingRequiredClaim(_)
                    | K::InvalidSubject => ClaimInvalid,
                    K::InvalidToken | K::Base64(_) | K::Json(_) | K::Utf8(_) => Malformed,
                    K::InvalidAlgorithm => HeaderNotAllowed,
                    _ => SignatureInvalid,
                }
            },
        )?;
        Ok((payload, exp))
    }

    fn issuer_ok(&self, iss: Option<&Value>) -> bool {
        match &self.issuer {
            None => true,
            Some(allowed) => matches!(iss, Some(Value::String(s)) if allowed.contains(s)),
        }
    }

    /// `aud` (a string, or an array of strings) names one of the configured audiences.
    fn audience_ok(&self, aud: Option<&Value>) -> bool {
        let Some(allowed) = &self.audience else {
            return true;
        };
        match aud {
            Some(Value::String(s)) => allowed.contains(s),
            Some(Value::Array(items)) => {
                items.iter().all(Value::is_string)
                    && items
                        .iter()
                        .any(|v| v.as_str().is_some_and(|s| allowed.iter().any(|a| a == s)))
            }
            _ => false,
        }
    }
}

/// The JWS protected-header members we accept.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Header {
    alg: String,
    typ: Option<String>,
    kid: Option<String>,
}

/// The registered claims checked here beyond the time claims.
#[derive(serde::Deserialize)]
struct Registered {
    iss: Option<Value>,
    aud: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn hs(claims: Value, alg: Algorithm) -> String {
        encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    }

    fn verifier(algs: &[&str]) -> JwsVerifier {
        let algs: Vec<String> = algs.iter().map(|s| s.to_string()).collect();
        JwsVerifier::new(&algs, KeyInput::Secret(SECRET), None, None).unwrap()
    }

    fn now() -> i64 {
        claims::now_seconds()
    }

    #[test]
    fn hs256_round_trip_and_policy() {
        let v = verifier(&["HS256"]);
        let t = hs(json!({"sub": "1", "exp": now() + 60}), Algorithm::HS256);
        assert!(v.verify(&t, now()).is_ok());
        // algorithm not on the list
        assert!(v
            .verify(
                &hs(json!({"sub": "1", "exp": now() + 60}), Algorithm::HS512),
                now()
            )
            .is_err());
        // exp required, boundaries as jose
        assert!(v
            .verify(&hs(json!({"sub": "1"}), Algorithm::HS256), now())
            .is_err());
        assert!(v
            .verify(&hs(json!({"exp": now() - 15}), Algorithm::HS256), now())
            .is_err());
        // tampered signature
        let mut bad = t.clone();
        bad.pop();
        bad.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert!(v.verify(&bad, now()).is_err());
    }

    #[test]
    fn alg_none_and_crit_rejected() {
        let v = verifier(&["HS256"]);
        let payload = b64::encode(json!({"exp": now() + 60}).to_string().as_bytes());
        let none = format!("{}.{payload}.", b64::encode(br#"{"alg":"none"}"#));
        assert!(v.verify(&none, now()).is_err());
        let crit = format!(
            "{}.{payload}.AAAA",
            b64::encode(br#"{"alg":"HS256","crit":["b64"],"b64":false}"#)
        );
        assert!(v.verify(&crit, now()).is_err());
    }

    #[test]
    fn config_errors() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(JwsVerifier::new(&s(&["HS256"]), KeyInput::Secret(b"short"), None, None).is_err());
        assert!(JwsVerifier::new(
            &s(&["HS256", "RS256"]),
            KeyInput::Secret(SECRET),
            None,
            None
        )
        .is_err());
        assert!(JwsVerifier::new(&s(&["none"]), KeyInput::Secret(SECRET), None, None).is_err());
        assert!(JwsVerifier::new(&s(&["RS256"]), KeyInput::Secret(SECRET), None, None).is_err());
        assert!(
            JwsVerifier::new(&s(&["HS256"]), KeyInput::Public("-----BEGIN"), None, None).is_err()
        );
        assert!(JwsVerifier::new(&[], KeyInput::Secret(SECRET), None, None).is_err());
    }

    #[test]
    fn issuer_and_audience() {
        let algs = vec!["HS256".to_string()];
        let v = JwsVerifier::new(
            &algs,
            KeyInput::Secret(SECRET),
            Some(vec!["me".into()]),
            Some(vec!["app".into()]),
        )
        .unwrap();
        let ok = hs(
            json!({"iss": "me", "aud": ["x", "app"], "exp": now() + 60}),
            Algorithm::HS256,
        );
        assert!(v.verify(&ok, now()).is_ok());
        for bad in [
            json!({"iss": "you", "aud": "app", "exp": now() + 60}),
            json!({"iss": "me", "aud": "other", "exp": now() + 60}),
            json!({"iss": "me", "aud": 5, "exp": now() + 60}),
            json!({"aud": "app", "exp": now() + 60}),
        ] {
            assert!(v.verify(&hs(bad, Algorithm::HS256), now()).is_err());
        }
    }
}
