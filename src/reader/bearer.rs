//! next-auth v4's Bearer fallback: read when no session cookie is present.

use super::{Outcome, Reader, Rules};
use crate::cookies;
use crate::error::SessionError;
use crate::jose::jwe::{self, Enc};

/// next-auth v4's Bearer rule: `value.split(" ")`, element 0 exactly
/// `Bearer`, element 1 through `decodeURIComponent` (absent: the string
/// `"undefined"`, as JS does); a decode failure or an empty token is no token.
/// Stricter than next-auth: a Bearer credential is one token, so
/// `Bearer T extra` is no token (issue 14, item 9).
pub fn bearer_token(header: &str) -> Option<String> {
    let mut parts = header.split(' ');
    if parts.next()? != "Bearer" {
        return None;
    }
    let first = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let token = match first {
        None => "undefined".to_owned(),
        Some(t) => cookies::decode_uri_component(t)?.into_owned(),
    };
    (!token.is_empty()).then_some(token)
}

impl Reader {
    /// The Bearer half of [`Reader::read`], for callers that fetch the
    /// `Authorization` header only when [`Reader::from_cookies`] found no cookie.
    pub fn read_bearer(&self, authorization: &str, raw: bool, now: i64) -> Outcome {
        let Some(token) = bearer_token(authorization) else {
            return Outcome::Denied(SessionError::NoCookie);
        };
        let rules = match (&self.bearer_v5_salt, &self.bearer) {
            (Some(salt), Rules::V4) if jwe::peek_enc(&token) == Some(Enc::A256CbcHs512) => {
                Rules::V5 { salt: salt.clone() }
            }
            (_, r) => r.clone(),
        };
        self.finish(&token, &rules, raw, now)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{claims_of, now, reader, v4_token};
    use super::super::*;

    #[test]
    fn bearer_rules() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc".into()));
        assert_eq!(bearer_token("Bearer abc extra"), None);
        assert_eq!(bearer_token("Bearer abc "), None);
        assert_eq!(bearer_token("Bearer"), Some("undefined".into()));
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer  abc"), None);
        assert_eq!(bearer_token("bearer abc"), None);
        assert_eq!(bearer_token("Bearer %E0%A4%A"), None);
        assert_eq!(bearer_token("Bearer a%2Eb"), Some("a.b".into()));
    }

    #[test]
    fn bearer_only_without_cookie() {
        let r = reader(|_| {});
        let json = format!(r#"{{"sub":"1","exp":{}}}"#, now() + 60);
        let t = v4_token(&json);
        let auth = format!("Bearer {t}");
        assert!(claims_of(r.read(Cookies::None, Some(&auth), false, now())).is_some());
        // garbage cookie wins and denies
        let h = format!("{V4_COOKIE}=garbage");
        assert!(matches!(
            r.read(Cookies::Header(&h), Some(&auth), false, now()),
            Outcome::Denied(_)
        ));
        // conflicting duplicates deny, with no fallback
        let h = format!("{V4_COOKIE}=a; {V4_COOKIE}=b");
        assert!(matches!(
            r.read(Cookies::Header(&h), Some(&auth), false, now()),
            Outcome::Denied(_)
        ));
    }
}
