//! Database sessions (next-auth's `database` strategy, docs/compatibility.md §6):
//! the opaque session token from the cookie is looked up, read-only, in
//! PostgreSQL ([`postgres`]), SQLite ([`sqlite`]) or the app's own
//! `/api/auth/session` ([`http`]), behind a bounded cache ([`cache`]).
//!
//! A [`SessionDb`] is built once per configuration. Every outcome other
//! than a found, unexpired session with its user is "no session" (docs/security.md
//! INV-1, SS-1…SS-5): malformed tokens are refused before any I/O, failures
//! and timeouts deny, and each run of failures produces one log line (no
//! token material) instead of one per request.

pub mod cache;
pub mod http;
pub mod mysql;
pub mod postgres;
pub mod push;
pub mod redis;
pub mod schema;
pub mod sqlite;
pub mod time;
pub mod tls;

use crate::cookies::{self, Lookup};
use crate::error::SessionError;
use crate::limits::{COOKIE_FAMILIES_MAX, SESSION_TOKEN_MAX, STORE_POOL_MAX, STORE_TIMEOUT_MAX};
use cache::{Cached, SessionCache};
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default lookup deadline.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1000);
/// Default cache TTL.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_millis(5000);
/// Default connection pool size.
pub const DEFAULT_POOL: usize = 4;
/// How often a persisting failure is logged again.
pub const RELOG_AFTER: Duration = Duration::from_secs(60);

/// The one row a session token may match: none is no session, more than one
/// is [`LookupError::Ambiguous`] (a token names one session, or none).
pub fn only_row<R>(rows: Vec<R>) -> Result<Option<R>, LookupError> {
    let mut rows = rows.into_iter();
    match (rows.next(), rows.next()) {
        (None, _) => Ok(None),
        (Some(row), None) => Ok(Some(row)),
        (Some(_), Some(_)) => Err(LookupError::Ambiguous),
    }
}

/// SS-1: 1…255 printable ASCII characters, none of `;` `,` space `"` `\`.
/// Not UUID-only: `session.generateSessionToken` may produce other shapes.
pub fn valid_token(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= SESSION_TOKEN_MAX
        && t.bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && !matches!(b, b';' | b',' | b'"' | b'\\'))
}

/// A user row (every field as text; null stays null).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    pub id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub image: Option<String>,
}

impl User {
    /// The user of a SQL row as `schema::Mapping`'s query selects it: columns
    /// 1 to 4 are id, name, email and image (column 0 is `expires`).
    pub(crate) fn from_columns(
        mut text: impl FnMut(usize) -> Result<Option<String>, LookupError>,
    ) -> Result<User, LookupError> {
        Ok(User {
            id: text(1)?,
            name: text(2)?,
            email: text(3)?,
            image: text(4)?,
        })
    }
}

/// What a source found for a token, before the expiry check.
#[derive(Debug, PartialEq, Eq)]
pub enum Candidate {
    /// A session row joined to its user; `expires_ms` is `None` when the
    /// column could not be read as a time.
    Row { expires_ms: Option<i64>, user: User },
    /// A checked `/api/auth/session` body (JSON text).
    Body { expires_ms: i64, json: String },
}

/// Why a lookup could not answer. Descriptions never contain token material.
#[derive(Debug, PartialEq, Eq)]
pub enum LookupError {
    Timeout,
    PoolExhausted,
    Unavailable(String),
    Query(String),
    /// More than one session row for one token.
    Ambiguous,
    BadResponse(String),
    /// The backend rejected the token's value (e.g. a UUID column): no session, no incident.
    NotASession,
    Internal,
}

impl LookupError {
    fn describe(&self, timeout: Duration) -> String {
        match self {
            LookupError::Timeout => format!("no answer within {} ms", timeout.as_millis()),
            LookupError::PoolExhausted => format!(
                "all connections busy for {} ms (pool exhausted)",
                timeout.as_millis()
            ),
            LookupError::Unavailable(s) => format!("unavailable: {s}"),
            LookupError::Query(s) => format!("query failed: {s}"),
            LookupError::Ambiguous => {
                "more than one session row for one token (the token column must be unique)".into()
            }
            LookupError::BadResponse(s) => format!("unusable response: {s}"),
            LookupError::NotASession => "token rejected by the database".into(),
            LookupError::Internal => "internal error".into(),
        }
    }
}

/// Where sessions are looked up.
pub enum Source {
    Postgres(postgres::PgSource),
    Sqlite(sqlite::SqliteSource),
    Http(http::HttpSource),
    Mysql(mysql::MysqlSource),
    Redis(redis::RedisSource),
}

/// Revocation push (push.rs): `Auto` subscribes where that needs nothing
/// from the user (Redis keyspace notifications), `On` also listens on
/// PostgreSQL (for the opt-in trigger), `Off` never subscribes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PushMode {
    #[default]
    Auto,
    On,
    Off,
}

/// Options of the MySQL and Redis stores and of push (issue 11).
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// The Redis layout preset ("upstash-redis" | "unstorage").
    pub redis_preset: Option<String>,
    /// The adapter's `baseKeyPrefix`.
    pub key_prefix: String,
    /// unstorage's driver `base`.
    pub base: String,
    pub push: PushMode,
}

/// The configuration of a store (built by the binding from JS options).
pub struct StoreConfig {
    /// `postgres://…`/`postgresql://…`, an SQLite file (`sqlite:…`, `file:…`
    /// or a path), or, with `endpoint`, the `http://…/api/auth/session` URL.
    pub url: String,
    pub endpoint: bool,
    pub mapping: schema::Mapping,
    pub pool_max: usize,
    pub timeout: Duration,
    pub cache_ttl: Duration,
    /// Cookie base names in lookup order (the v4 name, then the v5 fallback).
    pub cookie_names: Vec<String>,
}

/// The synchronous answer, in the crate's result vocabulary
/// ([`crate::cookies::Lookup`]): a cached session, a denial, or "ask the source".
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    /// A cached session (its JSON text).
    Found(String),
    /// Denied without I/O, and why.
    Denied(SessionError),
    /// No answer without I/O: ask the source, with [`SessionDb::fetch`].
    Absent(Pending),
}

/// A token the cache had no answer for, as `check` read it from the Cookie
/// header: `fetch` asks the source with it, so a request's header is parsed
/// once.
#[derive(Debug, PartialEq, Eq)]
pub struct Pending {
    /// The cookie family (index into the store's cookie names).
    family: usize,
    token: String,
}

/// The asynchronous answer: the session JSON text or none, plus at most one
/// log line for the caller to print. `unavailable` tells an outage (the
/// store could not answer: down, timeout, pool exhausted, query failed, an
/// unusable endpoint response) from "no session"; `session` is `None` then
/// too, so a caller that ignores the flag still fails closed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub session: Option<String>,
    pub log: Option<String>,
    /// Why there is no session (`None` with a session).
    pub error: Option<SessionError>,
    /// The store could not answer (down, timeout, pool exhausted, a panic):
    /// an outage, not "no session". The middleware answers 503 for it.
    pub unavailable: bool,
}

impl Verdict {
    fn found(json: String) -> Verdict {
        Verdict {
            session: Some(json),
            log: None,
            error: None,
            unavailable: false,
        }
    }

    /// The store answered: no session, for this reason.
    pub fn denied(error: SessionError) -> Verdict {
        Verdict {
            session: None,
            log: None,
            error: Some(error),
            unavailable: false,
        }
    }

    /// The store could not answer.
    pub fn failed(error: SessionError, log: Option<String>) -> Verdict {
        Verdict {
            session: None,
            log,
            error: Some(error),
            unavailable: true,
        }
    }

    /// The store answered, but its data about this token cannot be trusted
    /// (a duplicate row, an unreadable `expires`): denied, and not an outage.
    pub fn bad_data(error: SessionError, log: Option<String>) -> Verdict {
        Verdict {
            session: None,
            log,
            error: Some(error),
            unavailable: false,
        }
    }
}

pub struct SessionDb {
    source: Source,
    label: String,
    timeout: Duration,
    cookie_names: Vec<String>,
    cache: Arc<Mutex<SessionCache>>,
    incidents: Incidents,
    /// The push subscriber, started by the first lookup (on the runtime).
    push: Mutex<Option<push::PushSource>>,
    push_shared: Option<Arc<push::PushShared>>,
}

impl SessionDb {
    pub fn new(cfg: StoreConfig) -> Result<SessionDb, String> {
        SessionDb::with_options(cfg, StoreOptions::default())
    }

    pub fn with_options(cfg: StoreConfig, opts: StoreOptions) -> Result<SessionDb, String> {
        let timeout = cfg
            .timeout
            .clamp(Duration::from_millis(1), STORE_TIMEOUT_MAX);
        let pool = cfg.pool_max.clamp(1, STORE_POOL_MAX);
        if cfg.cookie_names.is_empty() || cfg.cookie_names.len() > COOKIE_FAMILIES_MAX {
            return Err("one or two session cookie names are needed".into());
        }
        let url = cfg.url.trim();
        let (source, label) = if cfg.endpoint {
            let (s, l) = http::HttpSource::new(url, pool, timeout)?;
            (Source::Http(s), l)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let (s, l) = postgres::PgSource::new(
                url,
                cfg.mapping.sql("$1"),
                cfg.mapping.int_unit,
                pool,
                timeout,
            )?;
            (Source::Postgres(s), l)
        } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            let url = url
                .strip_prefix("mariadb://")
                .map_or_else(|| url.to_owned(), |r| format!("mysql://{r}"));
            let (s, l) = mysql::MysqlSource::new(
                &url,
                cfg.mapping.sql_mysql(),
                cfg.mapping.int_unit,
                pool,
                timeout,
            )?;
            (Source::Mysql(s), l)
        } else if redis::is_redis_url(url) {
            let preset = opts.redis_preset.as_deref().unwrap_or("upstash-redis");
            let layout = redis::Layout::new(preset, &opts.key_prefix, &opts.base)?;
            let (s, l) = redis::RedisSource::new(url, layout, timeout)?;
            (Source::Redis(s), l)
        } else if url.contains("://") && !url.starts_with("sqlite://") {
            return Err(format!(
                "database.url: unsupported scheme in {:?} (postgres://…, mysql://…, redis://…/rediss://…, or an SQLite file path)",
                url.split("://").next().unwrap_or("")
            ));
        } else {
            let (s, l) =
                sqlite::SqliteSource::new(url, cfg.mapping.sql("?1"), cfg.mapping.int_unit, pool)?;
            (Source::Sqlite(s), l)
        };
        let push_source = match (&source, opts.push) {
            (_, PushMode::Off) => None,
            _ if cfg.cache_ttl.is_zero() => None, // nothing cached, nothing to evict
            (Source::Redis(r), _) => Some(push::PushSource::Redis {
                client: Box::new(r.client().clone()),
                db: r.client().get_connection_info().redis.db,
                layout: r.layout().clone(),
            }),
            (Source::Postgres(_), PushMode::On) => Some(push::PushSource::Postgres { url: url.to_owned() }),
            (_, PushMode::On) => {
                return Err("database.push: revocation push needs Redis (keyspace notifications) or PostgreSQL (LISTEN/NOTIFY)".into())
            }
            _ => None,
        };
        Ok(SessionDb {
            source,
            label,
            timeout,
            cookie_names: cfg.cookie_names,
            cache: Arc::new(Mutex::new(SessionCache::new(cfg.cache_ttl))),
            incidents: Incidents::default(),
            push_shared: push_source.as_ref().map(|_| push::PushShared::new()),
            push: Mutex::new(push_source),
        })
    }

    /// Starts the push subscriber once, from within the runtime.
    fn start_push(&self) {
        let Some(shared) = &self.push_shared else {
            return;
        };
        let Some(src) = self.push.lock().ok().and_then(|mut p| p.take()) else {
            return;
        };
        push::spawn(
            src,
            self.label.clone(),
            Arc::downgrade(&self.cache),
            Arc::clone(shared),
        );
    }

    /// Is the revocation push subscription established?
    pub fn push_live(&self) -> bool {
        self.push_shared
            .as_ref()
            .is_some_and(|s| s.live.load(Ordering::Acquire))
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// The session token from a `Cookie` header, with getToken's cookie rules
    /// (cookies.rs: exact names, strict chunks, conflicting duplicates deny;
    /// the second name is read only when the first is absent), and the index
    /// of the name it came from; otherwise why not (none, or malformed).
    pub fn token<'a>(&self, cookie_header: &'a str) -> Result<(usize, Cow<'a, str>), SessionError> {
        let names: Vec<&str> = self.cookie_names.iter().map(String::as_str).collect();
        let lookups = cookies::lookup_header(cookie_header, &names);
        for (i, lookup) in lookups.into_iter().enumerate().take(names.len()) {
            match lookup {
                Lookup::Found(t) if valid_token(&t) => return Ok((i, t)),
                Lookup::Found(_) => return Err(SessionError::Malformed),
                Lookup::Denied(e) if i == 0 => return Err(e),
                Lookup::Denied(_) | Lookup::Absent => {}
            }
        }
        Err(SessionError::NoCookie)
    }

    /// The cookie base names this store reads, in order.
    pub fn cookie_names(&self) -> &[String] {
        &self.cookie_names
    }

    /// Whether answers come from a session endpoint (not a database).
    pub fn is_endpoint(&self) -> bool {
        matches!(self.source, Source::Http(_))
    }

    /// The synchronous half: no I/O, just the token rules and the cache.
    pub fn check(&self, cookie_header: &str) -> Check {
        match self.token(cookie_header) {
            Ok((family, token)) => match self.cached(&token) {
                Cached::Found(json) => Check::Found(json),
                Cached::Denied(e) => Check::Denied(e),
                Cached::Absent => Check::Absent(Pending {
                    family,
                    token: token.into_owned(),
                }),
            },
            Err(e) => Check::Denied(e),
        }
    }

    fn cached(&self, token: &str) -> Cached {
        match self.cache.lock() {
            Ok(c) => c.get(token, Instant::now(), time::now_ms()),
            Err(_) => Cached::Absent,
        }
    }

    /// Both halves: the cache, then the source, within the deadline.
    pub async fn lookup(&self, cookie_header: &str) -> Verdict {
        match self.check(cookie_header) {
            Check::Found(json) => Verdict::found(json),
            Check::Denied(e) => Verdict::denied(e),
            Check::Absent(pending) => self.fetch(pending).await,
        }
    }

    /// The asynchronous half: asks the source for a token `check` could not
    /// answer for (the cache is consulted again: a concurrent lookup of the
    /// same token may have filled it meanwhile).
    pub async fn fetch(&self, pending: Pending) -> Verdict {
        self.start_push();
        let Pending { family, token } = pending;
        match self.cached(&token) {
            Cached::Found(json) => return Verdict::found(json),
            Cached::Denied(e) => return Verdict::denied(e),
            Cached::Absent => {}
        }
        let deadline = tokio::time::Instant::now() + self.timeout;
        let epoch = self.cache.lock().map(|c| c.epoch()).unwrap_or(0);
        let found = {
            let fut = async {
                match &self.source {
                    Source::Postgres(s) => s.find(&token, deadline).await,
                    Source::Sqlite(s) => s.find(&token, deadline).await,
                    Source::Mysql(s) => s.find(&token, deadline).await,
                    Source::Redis(s) => s.find(&token, deadline).await,
                    Source::Http(s) => {
                        let name = self.cookie_names.get(family).map_or("", String::as_str);
                        s.find(name, &token, deadline).await
                    }
                }
            };
            // A backstop: every source already honours the deadline itself.
            match tokio::time::timeout_at(deadline + Duration::from_millis(100), fut).await {
                Ok(r) => r,
                Err(_) => Err(LookupError::Timeout),
            }
        };
        let mut v = self.settle(&token, found, time::now_ms());
        // A push eviction arrived while we were reading: what we read may
        // predate it, so do not keep it.
        if let Ok(mut c) = self.cache.lock() {
            if c.epoch() != epoch {
                c.evict(&token);
            }
        }
        if v.log.is_none() {
            v.log = self.push_shared.as_ref().and_then(|s| s.take_log());
        }
        v
    }

    /// Turns a source's answer into a verdict, updating cache and incidents.
    fn settle(
        &self,
        token: &str,
        found: Result<Option<Candidate>, LookupError>,
        now_ms: i64,
    ) -> Verdict {
        let candidate = match found {
            Ok(c) => c,
            Err(LookupError::NotASession) => None,
            Err(e) => {
                let log = self
                    .incidents
                    .failure(&self.label, &e.describe(self.timeout));
                // A duplicate row is bad data about this token, not an outage.
                return if matches!(e, LookupError::Ambiguous) {
                    Verdict::bad_data((&e).into(), log)
                } else {
                    Verdict::failed((&e).into(), log)
                };
            }
        };
        // A data problem (below) continues an incident; anything else ends it.
        if !matches!(&candidate, Some(Candidate::Row { expires_ms, .. }) if !expires_ms.is_some_and(time::plausible))
        {
            self.incidents.success();
        }
        let (expires_ms, json) = match candidate {
            None => {
                self.put_none(token, SessionError::DbNotFound);
                return Verdict::denied(SessionError::DbNotFound);
            }
            Some(Candidate::Body { expires_ms, json }) => (expires_ms, json),
            Some(Candidate::Row { user, .. }) if user.id.is_none() => {
                // The LEFT JOIN found the session but no user row.
                self.put_none(token, SessionError::DbNoUser);
                return Verdict::denied(SessionError::DbNoUser);
            }
            Some(Candidate::Row { expires_ms, user }) => {
                let Some(ms) = expires_ms else {
                    let log = self.incidents.data_problem(
                        &self.label,
                        "a session's expires column is null or not a date-time",
                    );
                    return Verdict::bad_data(SessionError::DbUnavailable, log);
                };
                if !time::plausible(ms) {
                    let log = self.incidents.data_problem(
                        &self.label,
                        "a session's expires value is outside 1970…2200 (seconds stored where milliseconds are expected, or the reverse?)",
                    );
                    return Verdict::bad_data(SessionError::DbUnavailable, log);
                }
                // next-auth: a session is valid while expires >= now.
                if ms < now_ms {
                    self.put_none(token, SessionError::DbExpired);
                    return Verdict::denied(SessionError::DbExpired);
                }
                match render(&user, ms) {
                    Some(json) => (ms, json),
                    None => return Verdict::denied(SessionError::DbUnavailable),
                }
            }
        };
        if expires_ms < now_ms || !time::plausible(expires_ms) {
            self.put_none(token, SessionError::DbExpired);
            return Verdict::denied(SessionError::DbExpired);
        }
        if let Ok(mut c) = self.cache.lock() {
            c.put_session(token, &json, expires_ms, Instant::now());
        }
        Verdict::found(json)
    }

    fn put_none(&self, token: &str, why: SessionError) {
        if let Ok(mut c) = self.cache.lock() {
            c.put_none(token, why, Instant::now());
        }
    }
}

/// `{"user":{"id","name","email","image"},"expires":"<ISO>"}`, the shape of
/// `/api/auth/session` (plus `id`).
pub fn render(user: &User, expires_ms: i64) -> Option<String> {
    let v = serde_json::json!({
        "user": { "id": user.id, "name": user.name, "email": user.email, "image": user.image },
        "expires": time::format_iso_ms(expires_ms)?,
    });
    serde_json::to_string(&v).ok()
}

/// One log line per incident: the first failure after a success is logged, a
/// persisting failure again after [`RELOG_AFTER`] with the count of denials
/// in between, and nothing else.
#[derive(Default)]
struct Incidents {
    active: AtomicBool,
    state: Mutex<IncidentState>,
}

#[derive(Default)]
struct IncidentState {
    last_log: Option<Instant>,
    suppressed: u64,
}

impl Incidents {
    fn failure(&self, label: &str, reason: &str) -> Option<String> {
        let was_active = self.active.swap(true, Ordering::AcqRel);
        let mut s = self.state.lock().ok()?;
        let now = Instant::now();
        let due = !was_active
            || s.last_log
                .is_none_or(|t| now.duration_since(t) >= RELOG_AFTER);
        if !due {
            s.suppressed += 1;
            return None;
        }
        let msg = if was_active && s.last_log.is_some() {
            format!(
                "[next-auth-native][error][SESSION_STORE] {label}: still failing ({reason}); {} more lookups were denied since the last message",
                s.suppressed
            )
        } else {
            format!(
                "[next-auth-native][error][SESSION_STORE] {label}: session lookup failed ({reason}). Sessions are denied until it \
                 answers again; repeats of this message are suppressed for {} s",
                RELOG_AFTER.as_secs()
            )
        };
        s.last_log = Some(now);
        s.suppressed = 0;
        Some(msg)
    }

    fn data_problem(&self, label: &str, what: &str) -> Option<String> {
        self.failure(label, what)
    }

    fn success(&self) {
        if self.active.load(Ordering::Acquire) {
            self.active.store(false, Ordering::Release);
            if let Ok(mut s) = self.state.lock() {
                s.last_log = None;
                s.suppressed = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests;
