//! MySQL / MariaDB session lookups: a bounded mysql_async pool, the lookup as
//! a prepared statement (cached per connection), hard deadlines.
//!
//! Every connection is set up with `SET SESSION TRANSACTION READ ONLY` (the
//! lookup never writes) and `time_zone = '+00:00'`, so that `TIMESTAMP`
//! columns (@auth/drizzle-adapter) are handed over in UTC, like the
//! `DATETIME(3)` values Prisma writes in UTC. The server gives up on its own
//! too: MariaDB through `max_statement_time` (an executable comment MySQL
//! ignores), MySQL through the `MAX_EXECUTION_TIME` optimizer hint (a comment
//! to MariaDB).
//!
//! TLS follows the MySQL client's `--ssl-mode` names, given as URL parameters:
//! `ssl-mode=DISABLED|PREFERRED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY` and
//! `ssl-ca=/path/ca.pem`. As with the client, PREFERRED (the default)
//! encrypts when the server offers TLS and falls back to plain text when it
//! does not; REQUIRED encrypts without checking the certificate; VERIFY_CA
//! checks the chain against `ssl-ca` (or the webpki roots); VERIFY_IDENTITY
//! also checks the host name. Limitation: with mysql_async 0.37 on rustls
//! 0.23.3x, VERIFY_CA checks the host name too (mysql_async recognises a
//! name mismatch by an error text rustls no longer prints), so it is as
//! strict as VERIFY_IDENTITY: it fails closed, never open.
//!
//! Connections go over TCP as configured (`prefer_socket` is off unless the
//! URL asks for it): mysql_async would otherwise switch a loopback TCP
//! connection to the server's Unix socket, without TLS.

use super::{Candidate, LookupError, User};
use crate::store::schema::IntUnit;
use crate::store::time;
use mysql_async::prelude::Queryable;
use mysql_async::{
    Conn, DriverError, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts, SslOpts, Value,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;
use tokio::time::{timeout_at, Instant};

/// The MySQL client's `--ssl-mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disabled,
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

impl SslMode {
    fn parse(s: &str) -> Result<SslMode, String> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "DISABLED" => SslMode::Disabled,
            "PREFERRED" => SslMode::Preferred,
            "REQUIRED" => SslMode::Required,
            "VERIFY_CA" => SslMode::VerifyCa,
            "VERIFY_IDENTITY" => SslMode::VerifyIdentity,
            other => {
                return Err(format!(
                    "database.url: ssl-mode={other:?} is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY"
                ))
            }
        })
    }
}

/// The TLS settings of a store, built in this one place (so that a shared
/// TLS module can take it over): `None` means plain text.
pub fn mysql_tls_config(mode: SslMode, ca: Option<&PathBuf>) -> Option<SslOpts> {
    let base = || {
        let o = SslOpts::default();
        match ca {
            Some(p) => o
                .with_root_certs(vec![p.clone().into()])
                .with_disable_built_in_roots(true),
            None => o,
        }
    };
    match mode {
        SslMode::Disabled => None,
        SslMode::Preferred | SslMode::Required => {
            Some(base().with_danger_accept_invalid_certs(true))
        }
        SslMode::VerifyCa => Some(base().with_danger_skip_domain_validation(true)),
        SslMode::VerifyIdentity => Some(base()),
    }
}

const TLS_UNKNOWN: u8 = 0;
const TLS_NONE_OFFERED: u8 = 2;

pub struct MysqlSource {
    /// The pool with the configured TLS (or plain text for DISABLED).
    pool: Pool,
    /// PREFERRED only: the plain-text pool used once the server is known to offer no TLS.
    fallback: Option<Pool>,
    tls_state: AtomicU8,
    sql: String,
    int_unit: IntUnit,
}

/// Splits our own parameters (`ssl-mode`, `ssl-ca`) off the URL; the rest is
/// left for mysql_async, which rejects what it does not know.
fn split_params(url: &str) -> Result<(String, SslMode, Option<PathBuf>), String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut mode = None;
    let mut ca = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k.to_ascii_lowercase().replace('_', "-").as_str() {
            "ssl-mode" | "sslmode" => mode = Some(SslMode::parse(&percent_decode(v)?)?),
            "ssl-ca" | "sslca" => ca = Some(PathBuf::from(percent_decode(v)?)),
            "require-ssl" | "verify-ca" | "verify-identity" | "built-in-roots" => {
                return Err(format!(
                    "database.url: use ssl-mode=… (and ssl-ca=…) instead of {k}"
                ))
            }
            _ => rest.push(pair),
        }
    }
    let mode = mode.unwrap_or(SslMode::Preferred);
    if let Some(p) = &ca {
        if !p.is_file() {
            return Err(format!(
                "database.url: ssl-ca file {} does not exist or is not a file",
                p.display()
            ));
        }
        if matches!(mode, SslMode::Disabled) {
            return Err("database.url: ssl-ca is given but ssl-mode=DISABLED".into());
        }
    }
    let url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((url, mode, ca))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(h.ok_or("database.url: a bad percent escape")?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "database.url: a parameter is not UTF-8".into())
}

impl MysqlSource {
    /// Parses the URL and sets up the pool(s); connects lazily.
    pub fn new(
        url: &str,
        sql: String,
        int_unit: IntUnit,
        pool_max: usize,
        timeout: Duration,
    ) -> Result<(MysqlSource, String), String> {
        let (url, mode, ca) = split_params(url)?;
        let opts = Opts::from_url(&url)
            .map_err(|e| format!("database.url is not a valid MySQL URL ({e})"))?;
        let label = format!(
            "MySQL {}:{}/{}",
            opts.ip_or_hostname(),
            opts.tcp_port(),
            opts.db_name().unwrap_or("(default db)")
        );
        if opts.db_name().is_none() {
            return Err(
                "database.url: name the database (mysql://user:pass@host:3306/<database>)".into(),
            );
        }
        let secs = timeout.as_secs_f64().max(0.001);
        let constraints = PoolConstraints::new(0, pool_max.max(1)).ok_or("bad pool size")?;
        let prefer_socket = opts.prefer_socket() && url.contains("prefer_socket=");
        let build = |ssl: Option<SslOpts>| {
            let b = OptsBuilder::from_opts(opts.clone())
                .prefer_socket(prefer_socket)
                .init(vec![
                    "SET SESSION TRANSACTION READ ONLY".to_owned(),
                    format!(
                        "SET time_zone = '+00:00' /*M!100108 , max_statement_time = {secs:.3} */"
                    ),
                ])
                .pool_opts(
                    PoolOpts::default()
                        .with_constraints(constraints)
                        .with_inactive_connection_ttl(Duration::from_secs(60)),
                )
                .tcp_nodelay(true)
                .tcp_keepalive(Some(Duration::from_secs(30)))
                .stmt_cache_size(8)
                .ssl_opts(ssl);
            Pool::new(b)
        };
        let pool = build(mysql_tls_config(mode, ca.as_ref()));
        let fallback = matches!(mode, SslMode::Preferred).then(|| build(None));
        // MySQL's MAX_EXECUTION_TIME hint must follow SELECT directly.
        let ms = timeout.as_millis().max(1);
        let sql = match sql.strip_prefix("SELECT ") {
            Some(rest) => format!("SELECT /*+ MAX_EXECUTION_TIME({ms}) */ {rest}"),
            None => sql,
        };
        let tls = match mode {
            SslMode::Disabled => "",
            SslMode::Preferred => " (TLS preferred)",
            _ => " (TLS)",
        };
        Ok((
            MysqlSource {
                pool,
                fallback,
                tls_state: AtomicU8::new(TLS_UNKNOWN),
                sql,
                int_unit,
            },
            format!("{label}{tls}"),
        ))
    }

    async fn conn(&self, deadline: Instant) -> Result<Conn, LookupError> {
        let plain = self.tls_state.load(Ordering::Relaxed) == TLS_NONE_OFFERED;
        let pool = match (&self.fallback, plain) {
            (Some(f), true) => f,
            _ => &self.pool,
        };
        match timeout_at(deadline, pool.get_conn()).await {
            Err(_) => Err(LookupError::Timeout),
            Ok(Ok(c)) => Ok(c),
            Ok(Err(mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer)))
                if self.fallback.is_some() =>
            {
                // PREFERRED and the server offers no TLS: plain text from now on.
                self.tls_state.store(TLS_NONE_OFFERED, Ordering::Relaxed);
                let f = self.fallback.as_ref().ok_or(LookupError::Internal)?;
                match timeout_at(deadline, f.get_conn()).await {
                    Err(_) => Err(LookupError::Timeout),
                    Ok(r) => r.map_err(my_error),
                }
            }
            Ok(Err(e)) => Err(my_error(e)),
        }
    }

    pub async fn find(
        &self,
        token: &str,
        deadline: Instant,
    ) -> Result<Option<Candidate>, LookupError> {
        let mut conn = self.conn(deadline).await?;
        let r = timeout_at(
            deadline,
            conn.exec::<mysql_async::Row, _, _>(self.sql.as_str(), (token, token)),
        )
        .await;
        let rows = match r {
            Err(_) => {
                // Never hand a connection with a running statement back: the
                // server stops it (max_statement_time / MAX_EXECUTION_TIME).
                drop(tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(2), conn.disconnect()).await;
                }));
                return Err(LookupError::Timeout);
            }
            Ok(Err(e)) => return Err(my_error(e)),
            Ok(Ok(rows)) => rows,
        };
        self.candidate(rows)
    }

    fn candidate(&self, rows: Vec<mysql_async::Row>) -> Result<Option<Candidate>, LookupError> {
        let Some(row) = super::only_row(rows)? else {
            return Ok(None);
        };
        let row = &row;
        let text = |i: usize| -> Result<Option<String>, LookupError> {
            match row.as_ref(i) {
                None => Err(LookupError::Query(format!("column {i} missing"))),
                Some(Value::NULL) => Ok(None),
                Some(Value::Bytes(b)) => Ok(Some(String::from_utf8_lossy(b).into_owned())),
                Some(Value::Int(v)) => Ok(Some(v.to_string())),
                Some(Value::UInt(v)) => Ok(Some(v.to_string())),
                Some(_) => Err(LookupError::Query(format!("column {i}: not text"))),
            }
        };
        let expires_ms = match row.as_ref(0) {
            None => return Err(LookupError::Query("expires column missing".into())),
            Some(v) => expires_of(v, self.int_unit),
        };
        Ok(Some(Candidate::Row {
            expires_ms,
            user: User::from_columns(text)?,
        }))
    }
}

/// `expires` as MySQL sends it: DATETIME/TIMESTAMP (UTC: the connection's
/// time zone is +00:00), an integer in the mapping's unit, or ISO text.
fn expires_of(v: &Value, unit: IntUnit) -> Option<i64> {
    let int = |n: i64| unit.to_ms(n);
    match *v {
        Value::Date(y, mo, d, h, mi, s, us) => {
            if !(1..=12).contains(&mo) || d == 0 || d > 31 {
                return None; // 0000-00-00 and friends
            }
            let days = time::days_from_civil(i64::from(y), u32::from(mo), u32::from(d));
            Some(
                ((days * 24 + i64::from(h)) * 60 + i64::from(mi)) * 60_000
                    + i64::from(s) * 1000
                    + i64::from(us / 1000),
            )
        }
        Value::Int(n) => int(n),
        Value::UInt(n) => i64::try_from(n).ok().and_then(int),
        Value::Bytes(ref b) => {
            let s = std::str::from_utf8(b).ok()?;
            match s.parse::<i64>() {
                Ok(n) => int(n),
                Err(_) => time::parse_iso_ms(s),
            }
        }
        _ => None,
    }
}

/// A log-safe description. Server messages of SQLSTATE class 22 (data
/// exceptions) can quote values: no session, no message.
fn my_error(e: mysql_async::Error) -> LookupError {
    match e {
        mysql_async::Error::Server(s) => {
            if s.state.starts_with("22") {
                return LookupError::NotASession;
            }
            let safe = ["08", "28", "3D", "42"]
                .iter()
                .any(|c| s.state.starts_with(c))
                && s.code != 1064;
            if safe {
                LookupError::Query(format!("error {} ({}): {}", s.code, s.state, s.message))
            } else {
                LookupError::Query(format!("error {} ({})", s.code, s.state))
            }
        }
        mysql_async::Error::Io(e) => LookupError::Unavailable(format!("{e}")),
        mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer) => {
            LookupError::Unavailable("the server offers no TLS but ssl-mode requires it".into())
        }
        mysql_async::Error::Driver(e) => LookupError::Unavailable(format!("{e}")),
        other => LookupError::Unavailable(format!("{other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config() {
        let t = Duration::from_millis(500);
        let (s, label) = MysqlSource::new(
            "mysql://u:secret@127.0.0.1:3307/app",
            "SELECT 1".into(),
            IntUnit::Millis,
            4,
            t,
        )
        .unwrap();
        assert_eq!(label, "MySQL 127.0.0.1:3307/app (TLS preferred)");
        assert!(!label.contains("secret"));
        assert_eq!(s.sql, "SELECT /*+ MAX_EXECUTION_TIME(500) */ 1");
        let (_, label) = MysqlSource::new(
            "mysql://h/db?ssl-mode=disabled",
            "SELECT 1".into(),
            IntUnit::Millis,
            1,
            t,
        )
        .unwrap();
        assert_eq!(label, "MySQL h:3306/db");
        let (_, label) = MysqlSource::new(
            "mysql://h/db?ssl-mode=REQUIRED",
            "SELECT 1".into(),
            IntUnit::Millis,
            1,
            t,
        )
        .unwrap();
        assert!(label.ends_with("(TLS)"));
        for bad in [
            "mysql://h/db?ssl-mode=sometimes",
            "mysql://h/db?ssl-mode=VERIFY_CA&ssl-ca=/nonexistent/ca.pem",
            "mysql://h/db?require_ssl=true",
            "mysql://h/db?nonsense=1",
            "mysql://h:notaport/db",
            "mysql://h",
        ] {
            assert!(
                MysqlSource::new(bad, String::new(), IntUnit::Millis, 1, t).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn expires_values() {
        let ms = 1_798_418_743_123;
        assert_eq!(
            expires_of(
                &Value::Date(2026, 12, 28, 0, 45, 43, 123_456),
                IntUnit::Millis
            ),
            Some(ms)
        );
        assert_eq!(
            expires_of(&Value::Date(0, 0, 0, 0, 0, 0, 0), IntUnit::Millis),
            None
        );
        assert_eq!(expires_of(&Value::Int(ms), IntUnit::Millis), Some(ms));
        assert_eq!(
            expires_of(&Value::Int(ms / 1000), IntUnit::Seconds),
            Some(ms / 1000 * 1000)
        );
        assert_eq!(
            expires_of(
                &Value::Bytes(b"2026-12-28 00:45:43.123".to_vec()),
                IntUnit::Millis
            ),
            Some(ms)
        );
        assert_eq!(expires_of(&Value::NULL, IntUnit::Millis), None);
        assert_eq!(expires_of(&Value::Double(1.0), IntUnit::Millis), None);
    }
}
