//! PostgreSQL session lookups: a bounded deadpool of tokio-postgres
//! connections, one prepared statement per connection, hard deadlines.
//!
//! Every connection is opened with `statement_timeout` (so the server gives up
//! too) and `default_transaction_read_only=on` (the lookup never writes). A
//! query that misses its deadline takes its connection out of the pool and
//! asks the server to cancel it, so a slow statement never blocks the next
//! lookup. The deadline covers everything: pool wait, TCP connect, the TLS
//! handshake, authentication and the query.
//!
//! TLS follows libpq's `sslmode` (rustls, [`super::tls`]): `disable`,
//! `prefer` (the default: TLS when the server offers it, no verification),
//! `require` (TLS, no verification), `verify-ca` (chain), `verify-full`
//! (chain and host name). `sslrootcert=<file>` or `sslrootcert=system`;
//! `PGSSLMODE`/`PGSSLROOTCERT` apply when the URL does not say. As in libpq,
//! `require`/`prefer` with a root certificate file verify the chain, and
//! `sslrootcert=system` implies (and needs) `verify-full`. Where libpq would
//! fail because `~/.postgresql/root.crt` is missing, verification uses the
//! system store. Stricter than libpq: a failed handshake under `prefer` is
//! a failure, never a retry in plaintext, and a named `sslrootcert` file
//! that cannot be read is a configuration error, not "no verification".
//!
//! Transaction-mode poolers (`pgbouncer=true`, Prisma's flag): every lookup
//! is one unnamed statement (Parse/Bind/Execute/Sync in one round trip), and
//! the startup packet carries no `options` (PgBouncer refuses startup
//! parameters it does not track); the deadline and the cancel request
//! still bound a slow query.

use super::tls::{self, RootCerts, TlsMode};
use super::{Candidate, LookupError, User};
use crate::store::schema::IntUnit;
use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
};
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{timeout_at, Instant};
use tokio_postgres::config::{Host, SslMode, SslNegotiation};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::Socket;

pub struct PgSource {
    pool: Pool,
    sql: String,
    int_unit: IntUnit,
    tls: PgTls,
    /// Unnamed statements only (a transaction-mode pooler is in front).
    unnamed: bool,
}

/// 2000-01-01T00:00:00Z in ms since the Unix epoch (PostgreSQL's timestamp epoch).
const PG_EPOCH_MS: i64 = 946_684_800_000;

/// `expires` as PostgreSQL sends it in binary: TIMESTAMP / TIMESTAMPTZ as
/// microseconds since 2000-01-01 (TIMESTAMP WITHOUT TIME ZONE read as UTC, as
/// Prisma stores it), or an integer in the mapping's unit.
enum PgExpires {
    Ms(i64),
    Int(i64),
}

impl<'a> FromSql<'a> for PgExpires {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let int = |raw: &[u8]| -> Result<i64, Box<dyn std::error::Error + Sync + Send>> {
            Ok(match raw.len() {
                8 => i64::from_be_bytes(raw.try_into()?),
                4 => i64::from(i32::from_be_bytes(raw.try_into()?)),
                _ => return Err("bad integer length".into()),
            })
        };
        match *ty {
            Type::TIMESTAMP | Type::TIMESTAMPTZ => {
                let us = int(raw)?;
                Ok(PgExpires::Ms(
                    us.div_euclid(1000)
                        .checked_add(PG_EPOCH_MS)
                        .ok_or("timestamp out of range")?,
                ))
            }
            _ => Ok(PgExpires::Int(int(raw)?)),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::TIMESTAMP | Type::TIMESTAMPTZ | Type::INT8 | Type::INT4
        )
    }
}

/// What a connection to one PostgreSQL URL needs: tokio-postgres' settings
/// and the TLS connector, with libpq's `sslmode`/`sslrootcert` rules (and the
/// `PGSSLMODE`/`PGSSLROOTCERT` fallbacks) applied. The lookup pool and the
/// revocation listener (`push.rs`) both connect through this, so a URL means
/// the same server and the same TLS checks for both.
pub struct Connection {
    pub cfg: tokio_postgres::Config,
    pub tls: PgTls,
    /// `pgbouncer=true`: a transaction-mode pooler sits in front.
    pub pgbouncer: bool,
}

impl Connection {
    pub fn from_url(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Connection, String> {
        let (rest, params) = split_url(url)?;
        let mut cfg: tokio_postgres::Config = rest.parse().map_err(|e| {
            format!("database.url is not a valid PostgreSQL connection string ({e})")
        })?;
        let plan = TlsPlan::resolve(
            params.sslmode.as_deref(),
            params.sslrootcert.as_deref(),
            env,
            home_root_cert().as_deref(),
        )?;
        if cfg.get_hosts().is_empty() {
            cfg.host("localhost");
        }
        cfg.ssl_mode(plan.ssl_mode());
        let tls = match plan.mode {
            TlsMode::Disable => PgTls { config: None },
            _ => {
                let mut config = tls::client_config(plan.verify(), &plan.roots)
                    .map_err(|e| format!("database.url: {e}"))?;
                if cfg.get_ssl_negotiation() == SslNegotiation::Direct {
                    let mut c = (*config).clone();
                    c.alpn_protocols = vec![b"postgresql".to_vec()];
                    config = Arc::new(c);
                }
                PgTls {
                    config: Some(config),
                }
            }
        };
        Ok(Connection {
            cfg,
            tls,
            pgbouncer: params.pgbouncer,
        })
    }
}

impl PgSource {
    /// Parses the URL and sets up the pool; connects lazily. TLS settings
    /// (and root certificates) are read and checked here, so a mistake is
    /// reported when the options are given.
    pub fn new(
        url: &str,
        sql: String,
        int_unit: IntUnit,
        pool_max: usize,
        timeout: Duration,
    ) -> Result<(PgSource, String), String> {
        Self::with_env(url, sql, int_unit, pool_max, timeout, &|k| {
            std::env::var(k).ok()
        })
    }

    fn with_env(
        url: &str,
        sql: String,
        int_unit: IntUnit,
        pool_max: usize,
        timeout: Duration,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(PgSource, String), String> {
        let Connection {
            mut cfg,
            tls,
            pgbouncer,
        } = Connection::from_url(url, env)?;
        if !pgbouncer {
            let ms = timeout.as_millis().max(1);
            let mut options = cfg.get_options().unwrap_or("").to_owned();
            options.push_str(&format!(
                " -c statement_timeout={ms} -c default_transaction_read_only=on"
            ));
            cfg.options(options.trim_start());
        }
        if cfg.get_application_name().is_none() {
            cfg.application_name("next-auth-native");
        }
        cfg.connect_timeout(timeout);
        cfg.keepalives(true);
        let label = label(&cfg);
        let mgr = Manager::from_config(
            cfg,
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(mgr)
            .max_size(pool_max.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .build()
            .map_err(|e| format!("cannot build the PostgreSQL pool: {e}"))?;
        Ok((
            PgSource {
                pool,
                sql,
                int_unit,
                tls,
                unnamed: pgbouncer,
            },
            label,
        ))
    }

    pub async fn find(
        &self,
        token: &str,
        deadline: Instant,
    ) -> Result<Option<Candidate>, LookupError> {
        let client = match timeout_at(deadline, self.pool.get()).await {
            Err(_) => return Err(LookupError::Timeout),
            Ok(Err(e)) => return Err(pool_error(e)),
            Ok(Ok(c)) => c,
        };
        match timeout_at(deadline, query(&client, &self.sql, token, self.unnamed)).await {
            Ok(Ok(rows)) => self.candidate(rows),
            Ok(Err(e)) => {
                if client.is_closed() {
                    drop(Object::take(client));
                }
                Err(e)
            }
            Err(_) => {
                // The statement is still running: never hand this connection to
                // another lookup. Ask the server to cancel, then drop it.
                let cancel = client.cancel_token();
                drop(Object::take(client));
                let tls = self.tls.clone();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(2), cancel.cancel_query(tls))
                        .await;
                });
                Err(LookupError::Timeout)
            }
        }
    }

    fn candidate(&self, rows: Vec<tokio_postgres::Row>) -> Result<Option<Candidate>, LookupError> {
        let Some(row) = super::only_row(rows)? else {
            return Ok(None);
        };
        let row = &row;
        let get_text = |i: usize| -> Result<Option<String>, LookupError> {
            row.try_get::<_, Option<String>>(i)
                .map_err(|e| LookupError::Query(format!("column {i}: {e}")))
        };
        let expires = row
            .try_get::<_, Option<PgExpires>>(0)
            .map_err(|e| LookupError::Query(format!("expires column: {e}")))?;
        let expires_ms = match expires {
            None => None,
            Some(PgExpires::Ms(ms)) => Some(ms),
            Some(PgExpires::Int(v)) => self.int_unit.to_ms(v),
        };
        Ok(Some(Candidate::Row {
            expires_ms,
            user: User::from_columns(get_text)?,
        }))
    }
}

async fn query(
    client: &Object,
    sql: &str,
    token: &str,
    unnamed: bool,
) -> Result<Vec<tokio_postgres::Row>, LookupError> {
    if unnamed {
        // One round trip on the unnamed statement: nothing outlives the
        // transaction a pooler lends us its server connection for.
        return client
            .query_typed(sql, &[(&token, Type::TEXT)])
            .await
            .map_err(pg_error);
    }
    let stmt = client.prepare_cached(sql).await.map_err(pg_error)?;
    client.query(&stmt, &[&token]).await.map_err(pg_error)
}

fn pool_error(e: PoolError) -> LookupError {
    match e {
        PoolError::Timeout(deadpool_postgres::TimeoutType::Wait) => LookupError::PoolExhausted,
        PoolError::Timeout(_) => LookupError::Timeout,
        PoolError::Backend(e) => pg_error(e),
        other => LookupError::Unavailable(other.to_string()),
    }
}

/// A log-safe description: SQLSTATE classes whose messages can quote
/// parameter values (class 22, data exceptions) are reported by code only.
/// TLS failures name what is wrong with the certificate; a pooler refusing
/// the startup parameters, or a server refusing plaintext, get the fix.
fn pg_error(e: tokio_postgres::Error) -> LookupError {
    match e.as_db_error() {
        Some(db) => {
            let code = db.code().code();
            if code.starts_with("22") {
                // e.g. a token column of another type rejecting the value: no session.
                return LookupError::NotASession;
            }
            let safe = ["08", "28", "3D", "42", "53", "57", "25"]
                .iter()
                .any(|c| code.starts_with(c));
            if !safe {
                return LookupError::Query(format!("SQLSTATE {code}"));
            }
            let msg = db.message();
            let hint = if msg.contains("unsupported startup parameter") {
                " (a connection pooler such as PgBouncer is in front: add pgbouncer=true to database.url)"
            } else if code == "28000" && msg.contains("no encryption") {
                " (the server only accepts TLS: use sslmode=require or stricter, not sslmode=disable)"
            } else {
                ""
            };
            LookupError::Query(format!("SQLSTATE {code}: {msg}{hint}"))
        }
        None if e.is_closed() => LookupError::Unavailable("connection closed".into()),
        None => {
            if let Some(reason) = tls::describe(&e) {
                return LookupError::Unavailable(format!("TLS: {reason}"));
            }
            // "error connecting to server: Connection refused (os error 111)"
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            if msg.contains("server does not support TLS") {
                return LookupError::Unavailable(
                    "TLS: the server does not offer TLS, and the sslmode (require or stricter) needs it".into(),
                );
            }
            LookupError::Unavailable(msg)
        }
    }
}

// ---------------------------------------------------------------------------
// The URL parameters handled here (tokio-postgres gets the rest)

/// What this module reads from the URL's query string itself.
#[derive(Debug, Default, PartialEq, Eq)]
struct UrlParams {
    sslmode: Option<String>,
    sslrootcert: Option<String>,
    pgbouncer: bool,
}

/// Takes `sslmode`, `sslrootcert` and `pgbouncer` out of a `postgres://` URL
/// (tokio-postgres knows no `verify-*` modes, no root certificates and no
/// `pgbouncer`), and refuses the libpq TLS parameters that are not
/// supported instead of ignoring them.
fn split_url(url: &str) -> Result<(String, UrlParams), String> {
    let mut p = UrlParams::default();
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let from = url[after_scheme..]
        .find('/')
        .map_or(after_scheme, |i| after_scheme + i);
    let Some(q) = url[from..].find('?').map(|i| from + i) else {
        return Ok((url.to_owned(), p));
    };
    let mut kept: Vec<&str> = Vec::new();
    for pair in url[q + 1..].split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(k)?;
        let value = || percent_decode(v);
        match key.as_str() {
            "sslmode" => p.sslmode = Some(value()?),
            "sslrootcert" => p.sslrootcert = Some(value()?),
            "pgbouncer" => {
                p.pgbouncer = match value()?.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    other => return Err(format!("database.url: pgbouncer must be true or false, not {other:?}")),
                }
            }
            "sslsni" if matches!(value()?.as_str(), "1") => {}
            "gssencmode" if matches!(value()?.as_str(), "disable" | "prefer") => {}
            // Prisma's own client and pool settings (a DATABASE_URL shared with Prisma carries them);
            // this store's pool is `database.pool`.
            "connection_limit" | "pool_timeout" | "statement_cache_size" | "socket_timeout" => {}
            "schema" => {
                return Err("database.url: schema= (Prisma's search path) is not read here; name the tables with their \
                     schema instead (a mapping with sessionTable: \"myschema.Session\", userTable: \"myschema.User\")"
                    .into())
            }
            "sslcert" | "sslkey" | "sslpassword" | "sslcertmode" | "sslcrl" | "sslcrldir" | "sslsni" | "ssl_min_protocol_version"
            | "ssl_max_protocol_version" | "sslcompression" | "requiressl" | "gssencmode" | "sslaccept" => {
                return Err(format!(
                    "database.url: {key} is not supported (TLS here is sslmode + sslrootcert: server verification with rustls, \
                     no client certificates); remove it"
                ))
            }
            _ => kept.push(pair),
        }
    }
    let mut rest = url[..q].to_owned();
    if !kept.is_empty() {
        rest.push('?');
        rest.push_str(&kept.join("&"));
    }
    Ok((rest, p))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        "database.url: invalid percent-encoding in a parameter".to_owned()
                    })?;
                out.push(byte);
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "database.url: a parameter is not valid UTF-8".to_owned())
}

/// libpq's default root certificate file (`~/.postgresql/root.crt`,
/// `%APPDATA%\postgresql\root.crt` on Windows), when it exists.
fn home_root_cert() -> Option<PathBuf> {
    #[cfg(windows)]
    let p = PathBuf::from(std::env::var_os("APPDATA")?)
        .join("postgresql")
        .join("root.crt");
    #[cfg(not(windows))]
    let p = PathBuf::from(std::env::var_os("HOME")?)
        .join(".postgresql")
        .join("root.crt");
    p.is_file().then_some(p)
}

/// The TLS settings of a URL, with libpq's rules.
#[derive(Debug, PartialEq, Eq)]
struct TlsPlan {
    /// The mode as asked (URL, then PGSSLMODE, then the default).
    mode: TlsMode,
    roots: RootCerts,
    /// The roots are a file (named, or libpq's default file): then `prefer`
    /// and `require` verify the chain, as in libpq.
    roots_file: bool,
}

impl TlsPlan {
    fn resolve(
        url_mode: Option<&str>,
        url_root: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
        home_file: Option<&std::path::Path>,
    ) -> Result<TlsPlan, String> {
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
        let (mode_s, mode_src) = match url_mode {
            Some(m) => (Some(m.to_owned()), "sslmode"),
            None => (nonempty(env("PGSSLMODE")), "PGSSLMODE"),
        };
        let (root_s, root_src) = match url_root {
            Some(r) => (Some(r.to_owned()), "sslrootcert"),
            None => (nonempty(env("PGSSLROOTCERT")), "PGSSLROOTCERT"),
        };
        let system_named = root_s.as_deref() == Some("system");
        let (roots, roots_file) = match root_s {
            Some(s) if s == "system" => (RootCerts::System, false),
            Some(s) if s.is_empty() => {
                return Err(format!(
                    "database.url: {root_src} is empty (a PEM file, or \"system\")"
                ))
            }
            Some(s) => (RootCerts::File(PathBuf::from(s)), true),
            None => match home_file {
                Some(f) => (RootCerts::File(f.to_owned()), true),
                None => (RootCerts::System, false),
            },
        };
        let mode = match mode_s {
            Some(m) => {
                TlsMode::from_libpq(&m).map_err(|e| format!("database.url: {mode_src}: {e}"))?
            }
            None if system_named => TlsMode::VerifyFull,
            None => TlsMode::Prefer,
        };
        if system_named && mode != TlsMode::VerifyFull {
            return Err(format!(
                "database.url: sslrootcert=system needs sslmode=verify-full (as in libpq: against the public CAs \
                 only the host name check makes the certificate mean anything); not sslmode={}",
                mode.as_libpq()
            ));
        }
        if mode == TlsMode::VerifyCa && roots == RootCerts::System {
            return Err("database.url: sslmode=verify-ca needs your server's CA file in sslrootcert=<file> (against the \
                 system store it would accept any publicly issued certificate for any host); for a public CA use \
                 sslmode=verify-full"
                .into());
        }
        Ok(TlsPlan {
            mode,
            roots,
            roots_file,
        })
    }

    /// What tokio-postgres does when the server offers no TLS.
    fn ssl_mode(&self) -> SslMode {
        match self.mode {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            _ => SslMode::Require,
        }
    }

    /// What the certificate checks are (libpq: a root file makes
    /// `prefer`/`require` verify the chain).
    fn verify(&self) -> TlsMode {
        match self.mode {
            TlsMode::Prefer | TlsMode::Require if self.roots_file => TlsMode::VerifyCa,
            m => m,
        }
    }
}

// ---------------------------------------------------------------------------
// rustls behind tokio-postgres

/// tokio-postgres' TLS hook on top of [`tls::client_config`]: `None` when
/// TLS is disabled.
#[derive(Clone)]
pub struct PgTls {
    config: Option<Arc<ClientConfig>>,
}

pub struct PgTlsConnect {
    config: Option<Arc<ClientConfig>>,
    name: Option<ServerName<'static>>,
}

pub struct PgTlsStream(tokio_rustls::client::TlsStream<Socket>);

impl MakeTlsConnect<Socket> for PgTls {
    type Stream = PgTlsStream;
    type TlsConnect = PgTlsConnect;
    type Error = tls::TlsError;

    fn make_tls_connect(&mut self, host: &str) -> Result<PgTlsConnect, tls::TlsError> {
        // "" is a Unix socket (no TLS there; tokio-postgres refuses a
        // required handshake without a host name itself).
        let name = match (&self.config, host) {
            (None, _) | (_, "") => None,
            (Some(_), h) => Some(tls::server_name(h)?),
        };
        Ok(PgTlsConnect {
            config: self.config.clone(),
            name,
        })
    }
}

impl TlsConnect<Socket> for PgTlsConnect {
    type Stream = PgTlsStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<PgTlsStream>> + Send>>;

    fn connect(self, stream: Socket) -> Self::Future {
        Box::pin(async move {
            match (self.config, self.name) {
                (Some(config), Some(name)) => {
                    let s = tokio_rustls::TlsConnector::from(config)
                        .connect(name, stream)
                        .await?;
                    Ok(PgTlsStream(s))
                }
                _ => Err(io::Error::other(
                    "TLS is not configured for this connection",
                )),
            }
        })
    }
}

impl AsyncRead for PgTlsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for PgTlsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl TlsStream for PgTlsStream {
    /// SCRAM-SHA-256-PLUS: `tls-server-end-point` of the server's certificate.
    fn channel_binding(&self) -> ChannelBinding {
        let (_, conn) = self.0.get_ref();
        match conn
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|c| tls::tls_server_end_point(c))
        {
            Some(hash) => ChannelBinding::tls_server_end_point(hash),
            None => ChannelBinding::none(),
        }
    }
}

fn label(cfg: &tokio_postgres::Config) -> String {
    let host = match cfg.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    format!(
        "PostgreSQL {host}:{port}/{}",
        cfg.get_dbname().unwrap_or("(default db)")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config() {
        let (_, label) = PgSource::new(
            "postgres://u:secret@127.0.0.1:5433/app",
            "SELECT 1".into(),
            IntUnit::Millis,
            4,
            Duration::from_millis(500),
        )
        .unwrap();
        assert_eq!(label, "PostgreSQL 127.0.0.1:5433/app");
        assert!(!label.contains("secret"));
        assert!(PgSource::new(
            "postgres://h:notaport/db",
            String::new(),
            IntUnit::Millis,
            1,
            Duration::from_secs(1)
        )
        .is_err());
    }

    fn source(url: &str, env: &[(&str, &str)]) -> Result<PgSource, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        PgSource::with_env(
            url,
            "SELECT 1".into(),
            IntUnit::Millis,
            1,
            Duration::from_secs(1),
            &lookup,
        )
        .map(|(s, _)| s)
    }

    #[test]
    fn tls_configuration() {
        // Every mode is accepted; TLS is configured unless disabled.
        for m in ["disable", "allow", "prefer", "require"] {
            let s = source(&format!("postgres://u@h/db?sslmode={m}"), &[]).unwrap();
            assert_eq!(s.tls.config.is_some(), m != "disable", "{m}");
        }
        // verify-full with the system store (present on this machine; CI installs ca-certificates).
        if rustls_native_certs::load_native_certs().certs.is_empty() {
            eprintln!(
                "no system CA store here: skipping the system-store half of tls_configuration"
            );
        } else {
            assert!(source("postgres://u@h/db?sslmode=verify-full", &[]).is_ok());
            assert!(source("postgres://u@h/db?sslrootcert=system", &[]).is_ok());
        }
        let err = |url: &str, env: &[(&str, &str)]| source(url, env).err().unwrap_or_default();
        assert!(err(
            "postgres://h/db?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem",
            &[]
        )
        .contains("/nonexistent/ca.pem"));
        // libpq: a root file makes require verify, so a missing named file is an error there too.
        assert!(err(
            "postgres://h/db?sslmode=require&sslrootcert=/nonexistent/ca.pem",
            &[]
        )
        .contains("cannot read"));
        assert!(err("postgres://h/db?sslmode=verify_full", &[]).contains("verify-full"));
        assert!(err("postgres://h/db", &[("PGSSLMODE", "bogus")]).contains("PGSSLMODE"));
        assert!(
            err("postgres://h/db?sslrootcert=system&sslmode=require", &[])
                .contains("needs sslmode=verify-full")
        );
        assert!(err("postgres://h/db?sslmode=verify-ca", &[]).contains("sslrootcert=<file>"));
        assert!(err(
            "postgres://h/db?sslmode=require&sslcert=/c.pem&sslkey=/k.pem",
            &[]
        )
        .contains("sslcert is not supported"));
        assert!(
            err("postgres://h/db?pgbouncer=yes", &[]).contains("pgbouncer must be true or false")
        );
        assert!(err("postgres://h/db?sslmode=%zz", &[]).contains("percent-encoding"));
        // tokio-postgres still refuses what it does not know.
        assert!(err("postgres://h/db?bogus_option=1", &[])
            .contains("not a valid PostgreSQL connection string"));
        // A Prisma URL: its pool settings are ignored, its schema= is refused with the fix.
        assert!(source(
            "postgres://h/db?pgbouncer=true&connection_limit=1&pool_timeout=5&sslmode=require",
            &[]
        )
        .is_ok());
        assert!(err("postgres://h/db?schema=auth", &[]).contains("sessionTable"));
        let s = source(
            "postgres://u@h/db?pgbouncer=true&sslmode=require&application_name=x",
            &[],
        )
        .unwrap();
        assert!(s.unnamed);
    }

    #[test]
    fn url_split() {
        let (rest, p) = split_url("postgres://u:p%3Fw@h:5432/db?sslmode=verify-full&application_name=a&sslrootcert=%2Ftmp%2Fca%20x.pem&pgbouncer=1").unwrap();
        assert_eq!(rest, "postgres://u:p%3Fw@h:5432/db?application_name=a");
        assert_eq!(
            p,
            UrlParams {
                sslmode: Some("verify-full".into()),
                sslrootcert: Some("/tmp/ca x.pem".into()),
                pgbouncer: true
            }
        );
        let (rest, p) = split_url("postgresql://h/db").unwrap();
        assert_eq!(
            (rest.as_str(), p),
            ("postgresql://h/db", UrlParams::default())
        );
        let (rest, p) = split_url("postgres://h?sslmode=require").unwrap();
        assert_eq!(
            (rest.as_str(), p.sslmode.as_deref()),
            ("postgres://h", Some("require"))
        );
        let (rest, _) = split_url("postgres://h/db?pgbouncer=false&&connect_timeout=3").unwrap();
        assert_eq!(rest, "postgres://h/db?connect_timeout=3");
        assert!(split_url("postgres://h/db?sslsni=1").is_ok());
        assert!(split_url("postgres://h/db?sslsni=0").is_err());
    }

    #[test]
    fn libpq_rules() {
        let none = |_: &str| None;
        let env = |k: &str| match k {
            "PGSSLMODE" => Some("verify-full".to_owned()),
            "PGSSLROOTCERT" => Some("/etc/ca.pem".to_owned()),
            _ => None,
        };
        let plan = |m: Option<&str>,
                    r: Option<&str>,
                    e: &dyn Fn(&str) -> Option<String>,
                    home: Option<&str>| {
            TlsPlan::resolve(m, r, e, home.map(std::path::Path::new))
        };
        // The default is prefer, without verification.
        let p = plan(None, None, &none, None).unwrap();
        assert_eq!(
            (p.mode, p.verify(), p.ssl_mode()),
            (TlsMode::Prefer, TlsMode::Prefer, SslMode::Prefer)
        );
        // require: no verification ... unless a root file is there (libpq's compatibility rule).
        let p = plan(Some("require"), None, &none, None).unwrap();
        assert_eq!(
            (p.verify(), p.ssl_mode()),
            (TlsMode::Require, SslMode::Require)
        );
        let p = plan(Some("require"), Some("/ca.pem"), &none, None).unwrap();
        assert_eq!(
            (p.verify(), p.roots),
            (TlsMode::VerifyCa, RootCerts::File("/ca.pem".into()))
        );
        let p = plan(
            Some("prefer"),
            None,
            &none,
            Some("/home/u/.postgresql/root.crt"),
        )
        .unwrap();
        assert_eq!(
            (p.verify(), p.ssl_mode()),
            (TlsMode::VerifyCa, SslMode::Prefer)
        );
        // verify-full without sslrootcert: the system store (libpq would need ~/.postgresql/root.crt).
        let p = plan(Some("verify-full"), None, &none, None).unwrap();
        assert_eq!(
            (p.verify(), p.roots),
            (TlsMode::VerifyFull, RootCerts::System)
        );
        // ... or that file when it exists.
        let p = plan(Some("verify-full"), None, &none, Some("/h/root.crt")).unwrap();
        assert_eq!(p.roots, RootCerts::File("/h/root.crt".into()));
        // sslrootcert=system implies verify-full and refuses weaker modes.
        assert_eq!(
            plan(None, Some("system"), &none, None).unwrap().mode,
            TlsMode::VerifyFull
        );
        for weak in ["disable", "prefer", "require", "verify-ca"] {
            assert!(
                plan(Some(weak), Some("system"), &none, None).is_err(),
                "{weak}"
            );
        }
        assert!(plan(Some("verify-ca"), None, &none, None).is_err());
        assert!(plan(Some("verify-ca"), Some("/ca.pem"), &none, None).is_ok());
        // The environment applies only where the URL says nothing.
        let p = plan(None, None, &env, None).unwrap();
        assert_eq!(
            (p.mode, p.roots),
            (TlsMode::VerifyFull, RootCerts::File("/etc/ca.pem".into()))
        );
        let p = plan(Some("disable"), Some("system"), &|_| None, None);
        assert!(p.is_err());
        let p = plan(Some("disable"), None, &env, None).unwrap();
        assert_eq!((p.mode, p.ssl_mode()), (TlsMode::Disable, SslMode::Disable));
        let empty = |k: &str| (k == "PGSSLMODE").then(String::new);
        assert_eq!(
            plan(None, None, &empty, None).unwrap().mode,
            TlsMode::Prefer
        );
    }

    #[test]
    fn timestamps() {
        let ts = |us: i64| PgExpires::from_sql(&Type::TIMESTAMP, &us.to_be_bytes()).ok();
        assert!(matches!(ts(0), Some(PgExpires::Ms(PG_EPOCH_MS))));
        assert!(matches!(ts(-1), Some(PgExpires::Ms(ms)) if ms == PG_EPOCH_MS - 1));
        assert!(
            matches!(ts(i64::MAX), Some(PgExpires::Ms(ms)) if !crate::store::time::plausible(ms))
        );
        assert!(
            matches!(ts(i64::MIN), Some(PgExpires::Ms(ms)) if !crate::store::time::plausible(ms))
        );
        assert!(PgExpires::from_sql(&Type::TIMESTAMPTZ, &[1, 2, 3]).is_err());
        assert!(matches!(
            PgExpires::from_sql(&Type::INT4, &7i32.to_be_bytes()).ok(),
            Some(PgExpires::Int(7))
        ));
        assert!(!<PgExpires as FromSql>::accepts(&Type::TEXT));
    }
}
