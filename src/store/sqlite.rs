//! SQLite session lookups on a database file: read-only connections
//! (`SQLITE_OPEN_READ_ONLY`, `PRAGMA query_only`), a small bounded pool, one
//! cached prepared statement per connection, run on tokio's blocking pool so
//! the event loop never waits on the file. Deadlines are enforced three ways:
//! `busy_timeout` for locks, a progress handler that interrupts a statement
//! past the deadline, and the async side giving up at the deadline.
//!
//! A file replaced on disk (a restore or reset by rename) is noticed before
//! every lookup: each pooled connection remembers the device and inode of
//! the file it opened, and a connection whose file is no longer the one at
//! the path is closed and reopened (issue 14, item 7). Writes in place need
//! no check: SQLite sees them itself at the start of each read.

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
    /// The file behind `path` (for a `file:` URI, its path part).
    fs_path: String,
    sql: String,
    int_unit: IntUnit,
    idle: Mutex<Vec<(Connection, Option<FileId>)>>,
}

/// Which file a connection opened: (device, inode).
type FileId = (u64, u64);

#[cfg(unix)]
fn file_id(path: &str) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_path: &str) -> Option<FileId> {
    None // no inode to compare; an open file cannot be renamed over there anyway
}

/// The filesystem path of a `file:` URI (`file:/x`, `file:///x`, `file:x?mode=ro`).
fn uri_path(uri: &str) -> String {
    let rest = uri.strip_prefix("file:").unwrap_or(uri);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let rest = match rest.strip_prefix("//") {
        Some(r) => r.find('/').map_or("", |i| &r[i..]),
        None => rest,
    };
    crate::cookies::decode_uri_component(rest).map_or_else(|| rest.to_owned(), |c| c.into_owned())
}

impl SqliteSource {
    /// `url`: a file path, `sqlite:<path>`, or a `file:` URI.
    pub fn new(
        url: &str,
        sql: String,
        int_unit: IntUnit,
        pool_max: usize,
    ) -> Result<(SqliteSource, String), String> {
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
        let fs_path = if uri { uri_path(&path) } else { path.clone() };
        let inner = Inner {
            path,
            uri,
            fs_path,
            sql,
            int_unit,
            idle: Mutex::new(Vec::new()),
        };
        Ok((
            SqliteSource {
                inner: Arc::new(inner),
                permits: Arc::new(Semaphore::new(pool_max.max(1))),
            },
            label,
        ))
    }

    pub async fn find(
        &self,
        token: &str,
        deadline: Instant,
    ) -> Result<Option<Candidate>, LookupError> {
        let permit = match timeout_at(deadline, Arc::clone(&self.permits).acquire_owned()).await {
            Err(_) => return Err(LookupError::PoolExhausted),
            Ok(Err(_)) => return Err(LookupError::Unavailable("pool closed".into())),
            Ok(Ok(p)) => p,
        };
        let inner = Arc::clone(&self.inner);
        let token = token.to_owned();
        let std_deadline =
            std::time::Instant::now() + deadline.saturating_duration_since(Instant::now());
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
        let conn = Connection::open_with_flags(&self.path, flags)
            .map_err(|e| LookupError::Unavailable(sqlite_error(&e)))?;
        conn.execute_batch("PRAGMA query_only = ON")
            .map_err(|e| LookupError::Unavailable(sqlite_error(&e)))?;
        Ok(conn)
    }

    fn run(
        &self,
        token: &str,
        deadline: std::time::Instant,
    ) -> Result<Option<Candidate>, LookupError> {
        let current = file_id(&self.fs_path);
        let pooled = self.idle.lock().ok().and_then(|mut v| {
            // Connections to a file that is no longer at the path are closed.
            v.retain(|(_, id)| *id == current);
            v.pop()
        });
        let mut conn = match pooled {
            Some((c, _)) => c,
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
        let healthy = !matches!(
            out,
            Err(LookupError::Unavailable(_)) | Err(LookupError::Timeout)
        );
        if healthy {
            if let Ok(mut idle) = self.idle.lock() {
                idle.push((conn, current));
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
            ValueRef::Integer(v) => self.int_unit.to_ms(v),
            ValueRef::Real(f) if f.is_finite() && f.abs() < 9.0e15 => {
                self.int_unit.to_ms(f.floor() as i64)
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
        let user = User::from_columns(text)?;
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
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            LookupError::Timeout
        }
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            LookupError::Unavailable(sqlite_error(&e))
        }
        _ => LookupError::Query(sqlite_error(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> std::path::PathBuf {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        std::env::temp_dir().join(format!("nan-sqlite-{tag}-{}-{n}.db", std::process::id()))
    }

    fn seed(path: &std::path::Path, tokens: &[&str]) {
        let c = Connection::open(path).unwrap();
        c.execute_batch(
            "CREATE TABLE s (tok TEXT, exp INTEGER, id TEXT, name TEXT, email TEXT, image TEXT)",
        )
        .unwrap();
        for t in tokens {
            c.execute(
                "INSERT INTO s VALUES (?1, 4102444800000, 'u1', NULL, NULL, NULL)",
                [t],
            )
            .unwrap();
        }
    }

    #[test]
    fn a_file_replaced_by_rename_is_reopened() {
        // issue 14 item 7: a restore/reset by rename must not keep serving the old file.
        let live = temp("live");
        let fresh = temp("fresh");
        seed(&live, &["revoked", "kept"]);
        seed(&fresh, &["kept"]);
        let sql = "SELECT exp, id, name, email, image FROM s WHERE tok = ?1".to_owned();
        let (src, _) = SqliteSource::new(live.to_str().unwrap(), sql, IntUnit::Millis, 2).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let find = |t: &str| {
            rt.block_on(src.find(t, Instant::now() + Duration::from_secs(2)))
                .unwrap()
                .is_some()
        };
        assert!(find("revoked"));
        assert!(find("kept"));
        std::fs::rename(&fresh, &live).unwrap();
        assert!(
            !find("revoked"),
            "the pooled connection still read the replaced file"
        );
        assert!(find("kept"));
        let _ = std::fs::remove_file(&live);
    }

    #[test]
    fn uri_paths() {
        assert_eq!(uri_path("file:/tmp/a.db?mode=ro"), "/tmp/a.db");
        assert_eq!(uri_path("file:///tmp/a%20b.db"), "/tmp/a b.db");
        assert_eq!(uri_path("file:rel.db"), "rel.db");
    }
}
