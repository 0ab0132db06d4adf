//! The app's own `/api/auth/session` as a session source, for adapters with
//! no native store here (docs/security.md SS-4, NA-2): a fixed `http://` URL from
//! configuration (never from the request), only the session cookie is
//! forwarded, connections are kept alive, redirects are not followed, the
//! body is capped at 64 KiB, and a session is accepted only from a 200
//! `application/json` object with a non-empty `user` object and a future
//! `expires`. Anything else is no session.

use super::{Candidate, LookupError};
use crate::limits::SESSION_BODY_MAX;
use crate::store::time;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::header::{HeaderValue, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, USER_AGENT};
use hyper::{Request, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::time::Duration;
use tokio::time::{timeout_at, Instant};

pub struct HttpSource {
    uri: Uri,
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl HttpSource {
    pub fn new(
        url: &str,
        pool_max: usize,
        timeout: Duration,
    ) -> Result<(HttpSource, String), String> {
        let uri: Uri = url
            .parse()
            .map_err(|_| format!("sessionEndpoint {url:?} is not a valid URL"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err("sessionEndpoint must be the app's internal http:// URL (e.g. http://127.0.0.1:3000/api/auth/session); \
                     https is not supported here"
                    .into())
            }
            _ => return Err(format!("sessionEndpoint {url:?} must be an absolute http:// URL")),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("sessionEndpoint {url:?} has no host"))?;
        if authority.as_str().contains('@') {
            return Err("sessionEndpoint must not carry credentials".into());
        }
        let mut conn = HttpConnector::new();
        conn.set_connect_timeout(Some(timeout));
        conn.set_nodelay(true);
        conn.enforce_http(true);
        conn.set_keepalive(Some(Duration::from_secs(30)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_timer(TokioTimer::new())
            .pool_max_idle_per_host(pool_max.max(1))
            .http1_max_buf_size(SESSION_BODY_MAX + 16 * 1024)
            .build(conn);
        let label = format!("session endpoint {}", strip_query(&uri));
        Ok((HttpSource { uri, client }, label))
    }

    /// Asks the endpoint about `token`, sent as the cookie `cookie_name`.
    pub async fn find(
        &self,
        cookie_name: &str,
        token: &str,
        deadline: Instant,
    ) -> Result<Option<Candidate>, LookupError> {
        let cookie = format!("{cookie_name}={}", encode_uri_component(token));
        let req = Request::get(self.uri.clone())
            .header(
                COOKIE,
                HeaderValue::from_str(&cookie).map_err(|_| LookupError::NotASession)?,
            )
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, "next-auth-native")
            .body(Empty::<Bytes>::new())
            .map_err(|_| LookupError::Internal)?;
        let res = match timeout_at(deadline, self.client.request(req)).await {
            Err(_) => return Err(LookupError::Timeout),
            Ok(Err(e)) => return Err(LookupError::Unavailable(describe(&e))),
            Ok(Ok(r)) => r,
        };
        let status = res.status();
        if status != StatusCode::OK {
            return Err(LookupError::BadResponse(format!(
                "HTTP {}",
                status.as_u16()
            )));
        }
        let json = res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(LookupError::BadResponse("not application/json".into()));
        }
        let declared = res
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > SESSION_BODY_MAX as u64) {
            return Err(LookupError::BadResponse("body over 64 KiB".into()));
        }
        let body = match timeout_at(
            deadline,
            Limited::new(res.into_body(), SESSION_BODY_MAX).collect(),
        )
        .await
        {
            Err(_) => return Err(LookupError::Timeout),
            Ok(Err(_)) => {
                return Err(LookupError::BadResponse(
                    "body over 64 KiB or cut short".into(),
                ))
            }
            Ok(Ok(b)) => b.to_bytes(),
        };
        Ok(check_body(&body, time::now_ms()))
    }
}

/// The strict shape check: `Some` only for a JSON object (duplicate members
/// rejected) with a non-empty `user` object and an `expires` date-time after
/// `now_ms`. The candidate carries the body re-serialised.
pub fn check_body(body: &[u8], now_ms: i64) -> Option<Candidate> {
    let text = std::str::from_utf8(body).ok()?;
    let obj = strict_object(text)?;
    let user = obj.get("user")?.as_object()?;
    if user.is_empty() {
        return None;
    }
    let expires_ms = time::parse_iso_ms(obj.get("expires")?.as_str()?)?;
    if expires_ms <= now_ms {
        return None;
    }
    let json = serde_json::to_string(&obj).ok()?;
    Some(Candidate::Body { expires_ms, json })
}

/// A JSON value whose objects have no duplicate members, at any depth.
struct Strict(serde_json::Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Strict, E> {
        serde_json::Number::from_f64(v)
            .map(|n| Strict(n.into()))
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(v.into()))
    }
    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(v.into()))
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(serde_json::Value::Null))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Strict(out.into()))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom("duplicate member"));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Strict(out.into()))
    }
}

/// One JSON object, duplicate members rejected at every depth (docs/security.md
/// JW-12 applied to the endpoint's body), serde_json's recursion limit kept.
fn strict_object(text: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let Strict(v) = serde::Deserialize::deserialize(&mut de).ok()?;
    de.end().ok()?;
    match v {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

/// JavaScript's `encodeURIComponent` for the printable-ASCII tokens we forward.
fn encode_uri_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn strip_query(uri: &Uri) -> String {
    format!(
        "{}://{}{}",
        uri.scheme_str().unwrap_or("http"),
        uri.authority().map_or("", |a| a.as_str()),
        uri.path()
    )
}

fn describe(e: &hyper_util::client::legacy::Error) -> String {
    use std::error::Error;
    let mut msg = if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut src = e.source();
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            msg.push_str(&format!(": {io}"));
            break;
        }
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn ok(body: &str) -> bool {
        matches!(
            check_body(body.as_bytes(), NOW),
            Some(Candidate::Body { .. })
        )
    }

    #[test]
    fn shape() {
        assert!(ok(
            r#"{"user":{"name":"A","email":null,"image":null},"expires":"2030-01-01T00:00:00.000Z"}"#
        ));
        assert!(ok(
            r#"{"user":{"role":"admin"},"expires":"2030-01-01T00:00:00Z","extra":1}"#
        ));
        for bad in [
            "{}",
            "null",
            "[]",
            r#"{"message":"There was a problem with the server configuration"}"#,
            r#"{"user":{},"expires":"2030-01-01T00:00:00.000Z"}"#,
            r#"{"user":"x","expires":"2030-01-01T00:00:00.000Z"}"#,
            r#"{"user":{"name":"A"}}"#,
            r#"{"user":{"name":"A"},"expires":"2020-01-01T00:00:00.000Z"}"#,
            r#"{"user":{"name":"A"},"expires":1893456000000}"#,
            r#"{"user":{"name":"A"},"expires":"soon"}"#,
            r#"{"user":{"name":"A"},"user":{"name":"B"},"expires":"2030-01-01T00:00:00Z"}"#,
            r#"{"user":{"name":"A","name":"B"},"expires":"2030-01-01T00:00:00Z"}"#,
            r#"{"user":{"name":"A"},"expires":"2030-01-01T00:00:00Z"} trailing"#,
            "<html>",
        ] {
            assert!(!ok(bad), "{bad}");
        }
        assert!(check_body(&[0xff, b'{', b'}'], NOW).is_none());
    }

    #[test]
    fn config() {
        assert!(HttpSource::new(
            "http://127.0.0.1:3000/api/auth/session",
            4,
            Duration::from_secs(1)
        )
        .is_ok());
        for bad in [
            "https://app.example/api/auth/session",
            "/api/auth/session",
            "ftp://x/y",
            "http://u:p@127.0.0.1/x",
            "not a url",
        ] {
            assert!(
                HttpSource::new(bad, 4, Duration::from_secs(1)).is_err(),
                "{bad}"
            );
        }
        assert_eq!(encode_uri_component("ab-9_.~%/+="), "ab-9_.~%25%2F%2B%3D");
    }
}
