//! SQLite session lookups on a database file: read-only connections
//! (`SQLITE_OPEN_READ_ONLY`, `PRAGMA query_only`), a small bounded pool, one
//! cached prepared statement per connection, run on tokio's blocking pool so
//! the event loop never waits on the file. Deadlines are enforced three ways:
//! `busy_timeout` for locks, a progress handler that interrupts a statement
//! past the deadline, and the async side giving up at the deadline.

use super::{Candidate, LookupError, User};
use crate::store::schema::IntUnit;
use crate::store::time;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::{timeout_at, Instant};

pub struct SqliteSource {
    inner: Arc<Inner>,
    permits: Arc<Semaphore>,
}

struct Inner {
    path: String,
    uri: bool,
    sql: String,
    int_unit: IntUnit,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteSource {
    /// `url`: a file path, `sqlite:<path>`, or a `file:` URI.
    pub fn new(url: &str, sql: String, int_unit: IntUnit, pool_max: usize) -> Result<(SqliteSource, String), String> {
        let (path, uri) = if let Some(rest) = url.strip_prefix("sqlite://") {
            (rest.to_owned(), false)
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            (rest.to_owned(), false)
        } else if url.starts_with("file:") {
            (url.to_owned(), true)
        } else {
            (url.to_owned(), false)
        };
        if path.is_empty() || path.contains('\0') {
            return Err("database.url: an empty SQLite path".into());
        }
        if path == ":memory:" {
            return Err("database.url: an in-memory SQLite database holds no sessions; give the file next-auth writes".into());
        }
        let label = format!("SQLite {path}");
        let inner = Inner { path, uri, sql, int_unit, idle: Mutex::new(Vec::new()) };
        Ok((SqliteSource { inner: Arc::new(inner), permits: Arc::new(Semaphore::new(pool_max.max(1))) }, label))
    }

    pub async fn find(&self, token: &str, deadline: Instant) -> Result<Option<Candidate>, LookupError> {
        let permit = match timeout_at(deadline, Arc::clone(&self.permits).acquire_owned()).await {
            Err(_) => return Err(LookupError::PoolExhausted),
            Ok(Err(_)) => return Err(LookupError::Unavailable("pool closed".into())),
            Ok(Ok(p)) => p,
        };
        let inner = Arc::clone(&self.inner);
        let token = token.to_owned();
        let std_deadline = std::time::Instant::now() + deadline.saturating_duration_since(Instant::now());
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            inner.run(&token, std_deadline)
        });
        match timeout_at(deadline + Duration::from_millis(50), task).await {
            Err(_) => Err(LookupError::Timeout),
            Ok(Err(_)) => Err(LookupError::Internal),
            Ok(Ok(r)) => r,
        }
    }
}

impl Inner {
    fn open(&self) -> Result<Connection, LookupError> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if self.uri {
            flags |= OpenFlags::SQLITE_OPEN_URI;
        }
        let conn = Connection::open_with_flags(&self.path, flags).map_err(|e| LookupError::Unavailable(sqlite_error(&e)))?;
        conn.execute_batch("PRAGMA query_only = ON").map_err(|e| LookupError::Unavailable(sqlite_error(&e)))?;
        Ok(conn)
    }

    fn run(&self, token: &str, deadline: std::time::Instant) -> Result<Option<Candidate>, LookupError> {
        let pooled = self.idle.lock().ok().and_then(|mut v| v.pop());
        let mut conn = match pooled {
            Some(c) => c,
            None => self.open()?,
        };
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        if remaining.is_zero() {
            return Err(LookupError::Timeout);
        }
        let _ = conn.busy_timeout(remaining);
        let _ = conn.progress_handler(1000, Some(move || std::time::Instant::now() >= deadline));
        let out = self.query(&conn, token);
        let _ = conn.progress_handler(0, None::<fn() -> bool>);
        let healthy = !matches!(out, Err(LookupError::Unavailable(_)) | Err(LookupError::Timeout));
        if healthy {
            if let Ok(mut idle) = self.idle.lock() {
                idle.push(conn);
            }
        }
        out
    }

    fn query(&self, conn: &Connection, token: &str) -> Result<Option<Candidate>, LookupError> {
        let mut stmt = conn.prepare_cached(&self.sql).map_err(query_error)?;
        let mut rows = stmt.query([token]).map_err(query_error)?;
        let Some(row) = rows.next().map_err(query_error)? else {
            return Ok(None);
        };
        let expires_ms = match row.get_ref(0).map_err(query_error)? {
            ValueRef::Integer(v) => match self.int_unit {
                IntUnit::Millis => Some(v),
                IntUnit::Seconds => v.checked_mul(1000),
            },
            ValueRef::Real(f) if f.is_finite() && f.abs() < 9.0e15 => {
                let v = f.floor() as i64;
                match self.int_unit {
                    IntUnit::Millis => Some(v),
                    IntUnit::Seconds => v.checked_mul(1000),
                }
            }
            ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(time::parse_iso_ms),
            _ => None,
        };
        let text = |i: usize| -> Result<Option<String>, LookupError> {
            match row.get_ref(i).map_err(query_error)? {
                ValueRef::Null => Ok(None),
                ValueRef::Text(t) => Ok(Some(String::from_utf8_lossy(t).into_owned())),
                ValueRef::Integer(v) => Ok(Some(v.to_string())),
                _ => Err(LookupError::Query(format!("column {i} is not text"))),
            }
        };
        let user = User { id: text(1)?, name: text(2)?, email: text(3)?, image: text(4)? };
        if rows.next().map_err(query_error)?.is_some() {
            return Err(LookupError::Ambiguous);
        }
        Ok(Some(Candidate::Row { expires_ms, user }))
    }
}

fn sqlite_error(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(f, Some(msg)) => format!("{} ({msg})", f.code_name()),
        rusqlite::Error::SqliteFailure(f, None) => f.code_name().to_owned(),
        other => other.to_string(),
    }
}

trait CodeName {
    fn code_name(&self) -> &'static str;
}

impl CodeName for rusqlite::ffi::Error {
    fn code_name(&self) -> &'static str {
        use rusqlite::ErrorCode as C;
        match self.code {
            C::DatabaseBusy => "database busy",
            C::DatabaseLocked => "database locked",
            C::CannotOpen => "cannot open the database file",
            C::NotADatabase => "not a database",
            C::OperationInterrupted => "interrupted at the deadline",
            C::DatabaseCorrupt => "database corrupt",
            C::PermissionDenied => "permission denied",
            _ => "SQLite error",
        }
    }
}

/// Errors of a statement. SQLite's messages name tables and columns, never
/// bound values, so they are safe to log.
fn query_error(e: rusqlite::Error) -> LookupError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::OperationInterrupted => LookupError::Timeout,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
        {
            LookupError::Unavailable(sqlite_error(&e))
        }
        _ => LookupError::Query(sqlite_error(&e)),
    }
}
