//! Redis session lookups (`redis://`, `rediss://` with TLS) for the key/value
//! adapters: one multiplexed connection per store (lookups are pipelined on
//! it; it is re-opened after a failure), two `GET`s per lookup (the session,
//! then its user), hard deadlines, fail closed.
//!
//! Layouts (checked against the adapters' published source):
//! - `"upstash-redis"` (@auth/upstash-redis-adapter, @next-auth/upstash-redis-adapter):
//!   `<baseKeyPrefix>user:session:<sessionToken>` holds the session as JSON text
//!   (`{"sessionToken","userId","expires":"<ISO>"}`; Upstash's client passes
//!   the adapter's `JSON.stringify` output through unchanged), and
//!   `<baseKeyPrefix>user:<userId>` the user.
//! - `"unstorage"` (@auth/unstorage-adapter on unstorage's Redis driver): the
//!   same JSON values; keys are `<base>:<baseKeyPrefix>user:session:<token>`
//!   after unstorage's key normalisation (`/` and `\` become `:`, repeated `:`
//!   collapse, everything after `?` is cut). A token that normalisation would
//!   change is refused rather than looked up under another name.
//!
//! Keys are exact `GET`s: a token shaped like a glob (`*`, `?`, `[`) names
//! one key and matches no other (no KEYS, no SCAN).

use super::{Candidate, LookupError, User};
use crate::limits::{REDIS_PREFIX_MAX, REDIS_VALUE_MAX};
use crate::store::time;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, IntoConnectionInfo, TlsCertificates};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::{timeout_at, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Upstash,
    Unstorage,
}

/// Where sessions and users live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub flavor: Flavor,
    /// The full prefix of session keys, e.g. `app:user:session:`.
    pub session_prefix: String,
    /// The full prefix of user keys, e.g. `app:user:`.
    pub user_prefix: String,
}

/// unstorage's `normalizeKey`.
fn unstorage_normalize(key: &str) -> String {
    let head = key.split('?').next().unwrap_or("");
    let mut out = String::with_capacity(head.len());
    for c in head.chars() {
        let c = if c == '/' || c == '\\' { ':' } else { c };
        if c == ':' && out.ends_with(':') {
            continue;
        }
        out.push(c);
    }
    let out = out.strip_prefix(':').unwrap_or(&out);
    out.strip_suffix(':').unwrap_or(out).to_owned()
}

impl Layout {
    /// `preset`: "upstash-redis" | "unstorage"; `key_prefix`: the adapter's
    /// `baseKeyPrefix`; `base`: unstorage's driver `base`.
    pub fn new(preset: &str, key_prefix: &str, base: &str) -> Result<Layout, String> {
        if key_prefix.len() > REDIS_PREFIX_MAX || base.len() > REDIS_PREFIX_MAX {
            return Err(format!(
                "database.keyPrefix / database.base: at most {REDIS_PREFIX_MAX} characters"
            ));
        }
        match preset {
            "upstash-redis" | "upstash" => {
                if !base.is_empty() {
                    return Err("database.base is unstorage's driver option; for \"upstash-redis\" use keyPrefix (baseKeyPrefix)".into());
                }
                Ok(Layout {
                    flavor: Flavor::Upstash,
                    session_prefix: format!("{key_prefix}user:session:"),
                    user_prefix: format!("{key_prefix}user:"),
                })
            }
            "unstorage" => {
                let base = unstorage_normalize(base.trim_end_matches(':'));
                let join = |rest: &str| {
                    let k = unstorage_normalize(&if base.is_empty() { rest.to_owned() } else { format!("{base}:{rest}") });
                    format!("{k}:")
                };
                Ok(Layout {
                    flavor: Flavor::Unstorage,
                    session_prefix: join(&format!("{key_prefix}user:session")),
                    user_prefix: join(&format!("{key_prefix}user")),
                })
            }
            other => Err(format!(
                "unknown Redis schema preset {other:?}: use \"upstash-redis\" (keyPrefix = the adapter's baseKeyPrefix) or \"unstorage\""
            )),
        }
    }

    /// The session key of `token`, or `None` when this layout cannot hold it.
    pub fn session_key(&self, token: &str) -> Option<String> {
        self.key(&self.session_prefix, token)
    }

    fn key(&self, prefix: &str, id: &str) -> Option<String> {
        if id.is_empty() {
            return None;
        }
        match self.flavor {
            Flavor::Upstash => Some(format!("{prefix}{id}")),
            Flavor::Unstorage => {
                let k = format!("{prefix}{id}");
                (unstorage_normalize(&k) == k).then_some(k)
            }
        }
    }

    /// The token of a session key (for push eviction).
    pub fn token_of<'a>(&self, key: &'a str) -> Option<&'a str> {
        key.strip_prefix(self.session_prefix.as_str())
            .filter(|t| !t.is_empty())
    }
}

/// The TLS material of a `rediss://` store, built in this one place: the CA
/// file's PEM when `ssl-ca` is given, else the system's roots.
pub fn redis_tls_config(ca_pem: Option<Vec<u8>>) -> TlsCertificates {
    TlsCertificates {
        client_tls: None,
        root_cert: ca_pem,
    }
}

pub struct RedisSource {
    client: Client,
    conn: Mutex<Option<MultiplexedConnection>>,
    connecting: tokio::sync::Mutex<()>,
    layout: Layout,
    timeout: Duration,
}

pub fn is_redis_url(url: &str) -> bool {
    let u = url.trim_start();
    u.starts_with("redis://") || u.starts_with("rediss://")
}

/// The URL without our `ssl-ca` parameter, and that file's contents.
fn split_ca(url: &str) -> Result<(String, Option<Vec<u8>>), String> {
    let (head, frag) = match url.split_once('#') {
        Some((h, f)) => (h, Some(f)),
        None => (url, None),
    };
    let (base, query) = head.split_once('?').unwrap_or((head, ""));
    let mut ca = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if matches!(k, "ssl-ca" | "ssl_ca" | "sslca") {
            let path = v.replace("%2F", "/").replace("%2f", "/");
            let pem = std::fs::read(&path)
                .map_err(|e| format!("database.url: cannot read ssl-ca file {path}: {e}"))?;
            ca = Some(pem);
        } else {
            rest.push(pair);
        }
    }
    let mut out = base.to_owned();
    if !rest.is_empty() {
        out.push('?');
        out.push_str(&rest.join("&"));
    }
    if let Some(f) = frag {
        out.push('#');
        out.push_str(f);
    }
    Ok((out, ca))
}

/// A client for `url` (used by the lookups and by the push subscriber).
pub fn client_for(url: &str) -> Result<(Client, String), String> {
    let (url, ca) = split_ca(url.trim())?;
    let tls = url.starts_with("rediss://");
    if ca.is_some() && !tls {
        return Err("database.url: ssl-ca needs a rediss:// URL".into());
    }
    let info = url
        .as_str()
        .into_connection_info()
        .map_err(|e| format!("database.url is not a valid Redis URL ({e})"))?;
    let label = format!(
        "Redis {}/{}{}",
        match &info.addr {
            redis::ConnectionAddr::Tcp(h, p) => format!("{h}:{p}"),
            redis::ConnectionAddr::TcpTls { host, port, .. } => format!("{host}:{port}"),
            other => other.to_string(),
        },
        info.redis.db,
        if tls { " (TLS)" } else { "" }
    );
    let client = if tls {
        Client::build_with_tls(info, redis_tls_config(ca))
    } else {
        Client::open(info)
    }
    .map_err(|e| format!("database.url: {e}"))?;
    Ok((client, label))
}

impl RedisSource {
    pub fn new(
        url: &str,
        layout: Layout,
        timeout: Duration,
    ) -> Result<(RedisSource, String), String> {
        let (client, label) = client_for(url)?;
        Ok((
            RedisSource {
                client,
                conn: Mutex::new(None),
                connecting: tokio::sync::Mutex::new(()),
                layout,
                timeout,
            },
            label,
        ))
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn current(&self) -> Option<MultiplexedConnection> {
        self.conn.lock().ok()?.clone()
    }

    async fn connection(&self, deadline: Instant) -> Result<MultiplexedConnection, LookupError> {
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let _guard = timeout_at(deadline, self.connecting.lock())
            .await
            .map_err(|_| LookupError::Timeout)?;
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let cfg = AsyncConnectionConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout);
        let c = match timeout_at(
            deadline,
            self.client
                .get_multiplexed_async_connection_with_config(&cfg),
        )
        .await
        {
            Err(_) => return Err(LookupError::Timeout),
            Ok(Err(e)) => return Err(redis_error(&e)),
            Ok(Ok(c)) => c,
        };
        if let Ok(mut slot) = self.conn.lock() {
            *slot = Some(c.clone());
        }
        Ok(c)
    }

    fn forget(&self) {
        if let Ok(mut slot) = self.conn.lock() {
            *slot = None;
        }
    }

    async fn get(
        &self,
        conn: &mut MultiplexedConnection,
        key: &str,
        deadline: Instant,
    ) -> Result<Option<Vec<u8>>, LookupError> {
        let r = timeout_at(
            deadline,
            redis::cmd("GET")
                .arg(key)
                .query_async::<Option<Vec<u8>>>(conn),
        )
        .await;
        match r {
            Err(_) => {
                // The connection may be stuck behind a slow reply: open a fresh one next time.
                self.forget();
                Err(LookupError::Timeout)
            }
            Ok(Err(e)) => {
                if e.is_io_error()
                    || e.is_connection_dropped()
                    || e.is_unrecoverable_error()
                    || e.is_timeout()
                {
                    self.forget();
                }
                if e.kind() == redis::ErrorKind::TypeError || e.code() == Some("WRONGTYPE") {
                    return Err(LookupError::BadResponse(
                        "a session or user key holds a non-string value".into(),
                    ));
                }
                Err(redis_error(&e))
            }
            Ok(Ok(v)) => Ok(v),
        }
    }

    pub async fn find(
        &self,
        token: &str,
        deadline: Instant,
    ) -> Result<Option<Candidate>, LookupError> {
        let Some(key) = self.layout.session_key(token) else {
            return Ok(None);
        };
        let mut conn = self.connection(deadline).await?;
        let Some(raw) = self.get(&mut conn, &key, deadline).await? else {
            return Ok(None);
        };
        let session = parse_json(&raw).ok_or_else(|| {
            LookupError::BadResponse("a session value is not a JSON object".into())
        })?;
        // The stored token must be the one asked for (it always is, unless the data is corrupt).
        if let Some(t) = session.get("sessionToken") {
            if t.as_str() != Some(token) {
                return Ok(None);
            }
        }
        let Some(user_id) = session.get("userId").and_then(id_text) else {
            return Err(LookupError::BadResponse(
                "a session value has no userId".into(),
            ));
        };
        let expires_ms = session
            .get("expires")
            .and_then(|v| v.as_str())
            .and_then(time::parse_iso_ms);
        let Some(user_key) = self.layout.key(&self.layout.user_prefix, &user_id) else {
            return Ok(None);
        };
        let Some(raw) = self.get(&mut conn, &user_key, deadline).await? else {
            // An orphaned session: no user behind it (DB_NO_USER, as for SQL's LEFT JOIN).
            return Ok(Some(Candidate::Row {
                expires_ms,
                user: User::default(),
            }));
        };
        let user = parse_json(&raw)
            .ok_or_else(|| LookupError::BadResponse("a user value is not a JSON object".into()))?;
        let text = |k: &str| user.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        Ok(Some(Candidate::Row {
            expires_ms,
            user: User {
                id: user.get("id").and_then(id_text).or(Some(user_id)),
                name: text("name"),
                email: text("email"),
                image: text("image"),
            },
        }))
    }
}

fn id_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A JSON object, also when it was JSON-encoded twice (a JSON string holding it).
fn parse_json(raw: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    if raw.len() > REDIS_VALUE_MAX {
        return None;
    }
    match serde_json::from_slice::<serde_json::Value>(raw).ok()? {
        serde_json::Value::Object(m) => Some(m),
        serde_json::Value::String(s) => match serde_json::from_str::<serde_json::Value>(&s).ok()? {
            serde_json::Value::Object(m) => Some(m),
            _ => None,
        },
        _ => None,
    }
}

/// A log-safe description (no key names: they contain tokens).
pub fn redis_error(e: &redis::RedisError) -> LookupError {
    if e.is_timeout() {
        return LookupError::Timeout;
    }
    if e.is_io_error() || e.is_connection_refusal() || e.is_connection_dropped() {
        return LookupError::Unavailable(format!(
            "{:?}: {}",
            e.kind(),
            e.detail().unwrap_or("connection failed")
        ));
    }
    match e.code() {
        Some(code) => LookupError::Query(format!("server error {code}")),
        None => LookupError::Unavailable(format!("{:?}", e.kind())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let u = Layout::new("upstash-redis", "", "").unwrap();
        assert_eq!(u.session_key("abc").unwrap(), "user:session:abc");
        assert_eq!(u.session_key("a*b?[c]").unwrap(), "user:session:a*b?[c]");
        assert_eq!(u.token_of("user:session:abc"), Some("abc"));
        assert_eq!(u.token_of("user:abc"), None);
        let p = Layout::new("upstash-redis", "app1:", "").unwrap();
        assert_eq!(p.session_key("t").unwrap(), "app1:user:session:t");
        assert_eq!(p.user_prefix, "app1:user:");
        assert!(Layout::new("upstash-redis", "", "x").is_err());

        let s = Layout::new("unstorage", "", "").unwrap();
        assert_eq!(s.session_key("abc").unwrap(), "user:session:abc");
        let b = Layout::new("unstorage", "app2:", "nuxt:").unwrap();
        assert_eq!(b.session_key("abc").unwrap(), "nuxt:app2:user:session:abc");
        assert_eq!(b.user_prefix, "nuxt:app2:user:");
        for odd in ["a/b", "a\\b", "a?b", ":a", "a:", "a::b"] {
            assert_eq!(s.session_key(odd), None, "{odd}");
        }
        assert_eq!(s.session_key("a:b").unwrap(), "user:session:a:b");
        assert!(Layout::new("mongo", "", "").is_err());
    }

    #[test]
    fn normalize_like_unstorage() {
        assert_eq!(unstorage_normalize("/a//b\\c?x=1"), "a:b:c");
        assert_eq!(unstorage_normalize("::a::"), "a");
        assert_eq!(unstorage_normalize(""), "");
    }

    #[test]
    fn json_values() {
        assert!(parse_json(br#"{"a":1}"#).is_some());
        assert!(parse_json(br#""{\"a\":1}""#).is_some());
        assert!(parse_json(b"[1]").is_none());
        assert!(parse_json(b"nope").is_none());
    }

    #[test]
    fn urls() {
        let (_, l) = client_for("redis://:pw@127.0.0.1:6380/2").unwrap();
        assert_eq!(l, "Redis 127.0.0.1:6380/2");
        let (_, l) = client_for("rediss://cache.example:6380").unwrap();
        assert_eq!(l, "Redis cache.example:6380/0 (TLS)");
        assert!(client_for("redis://h?ssl-ca=/x.pem").is_err());
        assert!(client_for("rediss://h?ssl-ca=/nonexistent.pem").is_err());
        assert!(is_redis_url("rediss://x") && !is_redis_url("mysql://x"));
    }
}
