//! PostgreSQL session lookups: a bounded deadpool of tokio-postgres
//! connections, one prepared statement per connection, hard deadlines.
//!
//! Every connection is opened with `statement_timeout` (so the server gives up
//! too) and `default_transaction_read_only=on` (the lookup never writes). A
//! query that misses its deadline takes its connection out of the pool and
//! asks the server to cancel it, so a slow statement never blocks the next
//! lookup. No TLS: `sslmode=require` is refused at configuration time rather
//! than silently downgraded.

use super::{Candidate, LookupError, User};
use crate::store::schema::IntUnit;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime};
use std::time::Duration;
use tokio::time::{timeout_at, Instant};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::NoTls;

pub struct PgSource {
    pool: Pool,
    sql: String,
    int_unit: IntUnit,
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
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
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
                Ok(PgExpires::Ms(us.div_euclid(1000).checked_add(PG_EPOCH_MS).ok_or("timestamp out of range")?))
            }
            _ => Ok(PgExpires::Int(int(raw)?)),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::TIMESTAMP | Type::TIMESTAMPTZ | Type::INT8 | Type::INT4)
    }
}

impl PgSource {
    /// Parses the URL and sets up the pool; connects lazily.
    pub fn new(url: &str, sql: String, int_unit: IntUnit, pool_max: usize, timeout: Duration) -> Result<(PgSource, String), String> {
        let mut cfg: tokio_postgres::Config =
            url.parse().map_err(|e| format!("database.url is not a valid PostgreSQL connection string ({e})"))?;
        if cfg.get_ssl_mode() == SslMode::Require {
            return Err("database.url asks for TLS (sslmode=require), which this build does not support for PostgreSQL; \
                 connect over a private network or a local socket/proxy instead"
                .into());
        }
        if cfg.get_hosts().is_empty() {
            cfg.host("localhost");
        }
        let ms = timeout.as_millis().max(1);
        let mut options = cfg.get_options().unwrap_or("").to_owned();
        options.push_str(&format!(" -c statement_timeout={ms} -c default_transaction_read_only=on"));
        cfg.options(options.trim_start());
        if cfg.get_application_name().is_none() {
            cfg.application_name("next-auth-native");
        }
        cfg.connect_timeout(timeout);
        cfg.keepalives(true);
        let label = label(&cfg);
        let mgr = Manager::from_config(cfg, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(mgr)
            .max_size(pool_max.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .build()
            .map_err(|e| format!("cannot build the PostgreSQL pool: {e}"))?;
        Ok((PgSource { pool, sql, int_unit }, label))
    }

    pub async fn find(&self, token: &str, deadline: Instant) -> Result<Option<Candidate>, LookupError> {
        let client = match timeout_at(deadline, self.pool.get()).await {
            Err(_) => return Err(LookupError::Timeout),
            Ok(Err(e)) => return Err(pool_error(e)),
            Ok(Ok(c)) => c,
        };
        match timeout_at(deadline, query(&client, &self.sql, token)).await {
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
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(2), cancel.cancel_query(NoTls)).await;
                });
                Err(LookupError::Timeout)
            }
        }
    }

    fn candidate(&self, rows: Vec<tokio_postgres::Row>) -> Result<Option<Candidate>, LookupError> {
        match rows.len() {
            0 => return Ok(None),
            1 => {}
            _ => return Err(LookupError::Ambiguous),
        }
        let row = &rows[0];
        let get_text = |i: usize| -> Result<Option<String>, LookupError> {
            row.try_get::<_, Option<String>>(i).map_err(|e| LookupError::Query(format!("column {i}: {e}")))
        };
        let expires = row
            .try_get::<_, Option<PgExpires>>(0)
            .map_err(|e| LookupError::Query(format!("expires column: {e}")))?;
        let expires_ms = match expires {
            None => None,
            Some(PgExpires::Ms(ms)) => Some(ms),
            Some(PgExpires::Int(v)) => match self.int_unit {
                IntUnit::Millis => Some(v),
                IntUnit::Seconds => v.checked_mul(1000),
            },
        };
        Ok(Some(Candidate::Row {
            expires_ms,
            user: User { id: get_text(1)?, name: get_text(2)?, email: get_text(3)?, image: get_text(4)? },
        }))
    }
}

async fn query(client: &Object, sql: &str, token: &str) -> Result<Vec<tokio_postgres::Row>, LookupError> {
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
fn pg_error(e: tokio_postgres::Error) -> LookupError {
    match e.as_db_error() {
        Some(db) => {
            let code = db.code().code();
            if code.starts_with("22") {
                // e.g. a token column of another type rejecting the value: no session.
                return LookupError::NotASession;
            }
            let safe = ["08", "28", "3D", "42", "53", "57", "25"].iter().any(|c| code.starts_with(c));
            if safe {
                LookupError::Query(format!("SQLSTATE {code}: {}", db.message()))
            } else {
                LookupError::Query(format!("SQLSTATE {code}"))
            }
        }
        None if e.is_closed() => LookupError::Unavailable("connection closed".into()),
        None => {
            // "error connecting to server: Connection refused (os error 111)"
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            LookupError::Unavailable(msg)
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
    format!("PostgreSQL {host}:{port}/{}", cfg.get_dbname().unwrap_or("(default db)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config() {
        let (_, label) =
            PgSource::new("postgres://u:secret@127.0.0.1:5433/app", "SELECT 1".into(), IntUnit::Millis, 4, Duration::from_millis(500))
                .unwrap();
        assert_eq!(label, "PostgreSQL 127.0.0.1:5433/app");
        assert!(!label.contains("secret"));
        assert!(PgSource::new("postgres://h/db?sslmode=require", String::new(), IntUnit::Millis, 1, Duration::from_secs(1)).is_err());
        assert!(PgSource::new("postgres://h:notaport/db", String::new(), IntUnit::Millis, 1, Duration::from_secs(1)).is_err());
    }

    #[test]
    fn timestamps() {
        let ts = |us: i64| PgExpires::from_sql(&Type::TIMESTAMP, &us.to_be_bytes()).ok();
        assert!(matches!(ts(0), Some(PgExpires::Ms(PG_EPOCH_MS))));
        assert!(matches!(ts(-1), Some(PgExpires::Ms(ms)) if ms == PG_EPOCH_MS - 1));
        assert!(matches!(ts(i64::MAX), Some(PgExpires::Ms(ms)) if !crate::store::time::plausible(ms)));
        assert!(matches!(ts(i64::MIN), Some(PgExpires::Ms(ms)) if !crate::store::time::plausible(ms)));
        assert!(PgExpires::from_sql(&Type::TIMESTAMPTZ, &[1, 2, 3]).is_err());
        assert!(matches!(PgExpires::from_sql(&Type::INT4, &7i32.to_be_bytes()).ok(), Some(PgExpires::Int(7))));
        assert!(!<PgExpires as FromSql>::accepts(&Type::TEXT));
    }
}
