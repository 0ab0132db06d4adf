//! Store tests without Node or a database server: token rules, cookie
//! selection, the expiry decision, incident logging, and real SQLite files
//! seeded with both schema presets.

use super::*;
use rusqlite::Connection;
use std::path::PathBuf;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

struct TempDb(PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_db(tag: &str) -> TempDb {
    let mut p = std::env::temp_dir();
    let n: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    p.push(format!("nan-store-{tag}-{}-{n}.db", std::process::id()));
    TempDb(p)
}

const HOUR: i64 = 3_600_000;

/// Both presets in one file: Prisma stores DateTime as integer milliseconds,
/// the pg-adapter-shaped tables as ISO text.
fn seed(path: &std::path::Path, now: i64) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(
        r#"
        CREATE TABLE "User" (id TEXT PRIMARY KEY, name TEXT, email TEXT UNIQUE, "emailVerified" INTEGER, image TEXT);
        CREATE TABLE "Session" (id TEXT PRIMARY KEY, "sessionToken" TEXT UNIQUE NOT NULL, "userId" TEXT NOT NULL, expires INTEGER NOT NULL);
        CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(255), email VARCHAR(255), "emailVerified" TEXT, image TEXT);
        CREATE TABLE sessions (id INTEGER PRIMARY KEY, "userId" INTEGER NOT NULL, expires TEXT NOT NULL, "sessionToken" VARCHAR(255) UNIQUE NOT NULL);
        CREATE TABLE dup (tok TEXT, "userId" INTEGER, expires INTEGER);
        "#,
    )
    .unwrap();
    c.execute(r#"INSERT INTO "User" VALUES ('cuid1', 'Prisma User', 'p@example.com', NULL, 'https://img/p.png')"#, []).unwrap();
    c.execute(
        r#"INSERT INTO users VALUES (7, 'Pg User', 'g@example.com', NULL, NULL)"#,
        [],
    )
    .unwrap();
    let iso = |ms: i64| time::format_iso_ms(ms).unwrap();
    for (tok, user, exp) in [
        ("p-valid", "cuid1", now + HOUR),
        ("p-expired", "cuid1", now - 1000),
        ("p-orphan", "nobody", now + HOUR),
        ("p-seconds", "cuid1", (now + HOUR) / 1000),
    ] {
        c.execute(
            r#"INSERT INTO "Session" VALUES (?1, ?1, ?2, ?3)"#,
            rusqlite::params![tok, user, exp],
        )
        .unwrap();
    }
    for (tok, user, exp) in [
        ("g-valid", 7, iso(now + HOUR)),
        ("g-expired", 7, iso(now - 1000)),
        ("g-orphan", 99, iso(now + HOUR)),
        ("g-garbage", 7, "tomorrow".to_owned()),
        (
            "g-sqlite-format",
            7,
            iso(now + HOUR)
                .replace('T', " ")
                .replace(".000Z", "")
                .replace('Z', ""),
        ),
    ] {
        c.execute(
            r#"INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (?1, ?2, ?3)"#,
            rusqlite::params![user, exp, tok],
        )
        .unwrap();
    }
    c.execute(
        "INSERT INTO dup VALUES ('twice', 7, ?1), ('twice', 7, ?1)",
        [now + HOUR],
    )
    .unwrap();
}

fn store(url: &str, mapping: schema::Mapping, ttl_ms: u64) -> SessionDb {
    SessionDb::new(StoreConfig {
        url: url.into(),
        endpoint: false,
        mapping,
        pool_max: 2,
        timeout: Duration::from_millis(500),
        cache_ttl: Duration::from_millis(ttl_ms),
        cookie_names: vec![
            "next-auth.session-token".into(),
            "authjs.session-token".into(),
        ],
    })
    .unwrap()
}

fn cookie(tok: &str) -> String {
    format!("theme=dark; next-auth.session-token={tok}")
}

#[test]
fn token_rules() {
    assert!(valid_token("0b8a7c53-8d5e-4f11-9d44-3c2f5e0e9a61"));
    assert!(valid_token(&"a".repeat(255)));
    assert!(valid_token("A-z_0.9~!#$%&'()*+/:<=>?@[]^`{|}"));
    for bad in [
        "",
        " ",
        "a b",
        "a;b",
        "a,b",
        "a\"b",
        "a\\b",
        "a\tb",
        "a\u{7f}",
        "é",
        &"a".repeat(256),
        "a\0",
    ] {
        assert!(!valid_token(bad), "{bad:?}");
    }
}

#[test]
fn cookie_selection() {
    let s = store(
        "/nonexistent.db",
        schema::Mapping::preset("prisma").unwrap(),
        1000,
    );
    assert_eq!(
        s.token("next-auth.session-token=abc")
            .ok()
            .map(|(i, t)| (i, t.into_owned())),
        Some((0, "abc".into()))
    );
    assert_eq!(
        s.token("authjs.session-token=v5")
            .ok()
            .map(|(i, t)| (i, t.into_owned())),
        Some((1, "v5".into()))
    );
    // v4 first; conflicting duplicates deny (no fallback to the v5 cookie)
    assert_eq!(
        s.token("authjs.session-token=v5; next-auth.session-token=v4")
            .ok()
            .map(|(i, _)| i),
        Some(0)
    );
    assert_eq!(
        s.token("next-auth.session-token=a; next-auth.session-token=b; authjs.session-token=v5")
            .unwrap_err(),
        SessionError::DuplicateCookie
    );
    // SQL-shaped, oversized, percent-decoded-into-bad-chars: refused before any I/O
    assert_eq!(
        s.token("next-auth.session-token=x'%20OR%20'1'='1")
            .unwrap_err(),
        SessionError::Malformed
    );
    assert_eq!(
        s.token(&cookie(&"a".repeat(256))).unwrap_err(),
        SessionError::Malformed
    );
    assert_eq!(
        s.token("next-auth.session-token=a%3Bb").unwrap_err(),
        SessionError::Malformed
    );
    assert_eq!(s.token("other=1").unwrap_err(), SessionError::NoCookie);
    assert_eq!(s.check("other=1"), Check::Denied(SessionError::NoCookie));
    assert!(matches!(s.check(&cookie("fine")), Check::Absent(_)));
}

#[test]
fn sqlite_both_presets() {
    let db = temp_db("presets");
    let now = time::now_ms();
    seed(&db.0, now);
    let url = db.0.to_str().unwrap().to_owned();
    let rt = rt();
    let prisma = store(&url, schema::Mapping::preset("prisma").unwrap(), 0);
    let pg = store(
        &format!("sqlite:{url}"),
        schema::Mapping::preset("pg-adapter").unwrap(),
        0,
    );
    rt.block_on(async {
        let v = prisma.lookup(&cookie("p-valid")).await;
        let json: serde_json::Value = serde_json::from_str(v.session.as_deref().unwrap()).unwrap();
        assert_eq!(json["user"]["id"], "cuid1");
        assert_eq!(json["user"]["name"], "Prisma User");
        assert_eq!(json["user"]["email"], "p@example.com");
        assert_eq!(json["user"]["image"], "https://img/p.png");
        assert_eq!(json["expires"], time::format_iso_ms(now + HOUR).unwrap());
        for t in ["p-expired", "p-orphan", "unknown", "g-valid"] {
            assert_eq!(prisma.lookup(&cookie(t)).await.session, None, "{t}");
        }
        // and each says why (the error model, src/error.rs)
        assert_eq!(
            prisma.lookup(&cookie("p-expired")).await.error,
            Some(SessionError::DbExpired)
        );
        assert_eq!(
            prisma.lookup(&cookie("p-orphan")).await.error,
            Some(SessionError::DbNoUser)
        );
        assert_eq!(
            prisma.lookup(&cookie("unknown")).await.error,
            Some(SessionError::DbNotFound)
        );
        // seconds where milliseconds are expected: 1970, so expired, never valid
        assert_eq!(prisma.lookup(&cookie("p-seconds")).await.session, None);

        let v = pg.lookup(&cookie("g-valid")).await;
        let json: serde_json::Value = serde_json::from_str(v.session.as_deref().unwrap()).unwrap();
        assert_eq!(json["user"]["id"], "7");
        assert_eq!(json["user"]["image"], serde_json::Value::Null);
        assert!(pg
            .lookup(&cookie("g-sqlite-format"))
            .await
            .session
            .is_some());
        for t in ["g-expired", "g-orphan", "p-valid"] {
            assert_eq!(pg.lookup(&cookie(t)).await.session, None, "{t}");
        }
        // an unreadable expires denies, and says so once
        let v = pg.lookup(&cookie("g-garbage")).await;
        assert_eq!(v.session, None);
        assert!(v.log.as_deref().unwrap().contains("not a date-time"));
    });
}

#[test]
fn sqlite_seconds_unit_and_ambiguity() {
    let db = temp_db("custom");
    let now = time::now_ms();
    seed(&db.0, now);
    let url = db.0.to_str().unwrap().to_owned();
    let secs = schema::Mapping::custom(schema::MappingInput {
        session_table: Some("Session".into()),
        user_table: Some("User".into()),
        expires_unit: Some("s".into()),
        ..Default::default()
    })
    .unwrap();
    let dup = schema::Mapping::custom(schema::MappingInput {
        session_table: Some("dup".into()),
        session_token: Some("tok".into()),
        image: Some(String::new()),
        ..Default::default()
    })
    .unwrap();
    let rt = rt();
    rt.block_on(async {
        let s = store(&url, secs, 0);
        assert!(s.lookup(&cookie("p-seconds")).await.session.is_some());
        // the millisecond rows read as seconds land far past 2200: implausible, denied, logged
        let v = s.lookup(&cookie("p-valid")).await;
        assert_eq!(v.session, None);
        assert!(v.log.unwrap().contains("outside 1970"));
        let s = store(&url, dup, 0);
        let v = s.lookup(&cookie("twice")).await;
        assert_eq!(v.session, None);
        assert!(v.log.unwrap().contains("more than one session row"));
    });
}

#[test]
fn sqlite_cache_and_revocation() {
    let db = temp_db("cache");
    let now = time::now_ms();
    seed(&db.0, now);
    let url = db.0.to_str().unwrap().to_owned();
    let s = store(&url, schema::Mapping::preset("pg-adapter").unwrap(), 300);
    let rt = rt();
    rt.block_on(async {
        assert!(matches!(s.check(&cookie("g-valid")), Check::Absent(_)));
        assert!(s.lookup(&cookie("g-valid")).await.session.is_some());
        assert!(matches!(s.check(&cookie("g-valid")), Check::Found(_)));
        assert_eq!(s.lookup(&cookie("unknown")).await.session, None);
        assert_eq!(
            s.check(&cookie("unknown")),
            Check::Denied(SessionError::DbNotFound)
        ); // negative cache
           // the row goes away: still cached within the TTL, gone after it
        Connection::open(&db.0)
            .unwrap()
            .execute(
                r#"DELETE FROM sessions WHERE "sessionToken" = 'g-valid'"#,
                [],
            )
            .unwrap();
        assert!(matches!(s.check(&cookie("g-valid")), Check::Found(_)));
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert!(matches!(s.check(&cookie("g-valid")), Check::Absent(_)));
        assert_eq!(s.lookup(&cookie("g-valid")).await.session, None);
    });
}

#[test]
fn sqlite_missing_file_and_lock_fail_closed() {
    let rt = rt();
    rt.block_on(async {
        let s = store(
            "/nonexistent/dir/x.db",
            schema::Mapping::preset("prisma").unwrap(),
            1000,
        );
        let v = s.lookup(&cookie("p-valid")).await;
        assert_eq!(v.session, None);
        assert!(v.log.as_deref().unwrap().contains("SESSION_STORE"));
        assert!(!v.log.as_deref().unwrap().contains("p-valid"));
        // the next failure is not logged again (one line per incident)
        assert_eq!(
            s.lookup(&cookie("p-valid2")).await,
            Verdict::failed(SessionError::DbUnavailable, None)
        );
    });
    // A writer holding an exclusive lock: denied within the deadline, not hung.
    let db = temp_db("lock");
    seed(&db.0, time::now_ms());
    let url = db.0.to_str().unwrap().to_owned();
    let writer = Connection::open(&db.0).unwrap();
    writer
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE users SET name = 'x';",
        )
        .unwrap();
    let s = store(&url, schema::Mapping::preset("pg-adapter").unwrap(), 0);
    let t0 = std::time::Instant::now();
    let v = rt.block_on(s.lookup(&cookie("g-valid")));
    let took = t0.elapsed();
    assert_eq!(v.session, None);
    assert!(took < Duration::from_millis(900), "{took:?}");
    assert!(v.log.is_some());
    writer.execute_batch("ROLLBACK").unwrap();
    drop(writer);
    let v = rt.block_on(s.lookup(&cookie("g-valid")));
    assert!(v.session.is_some(), "recovers once the lock is gone");
}

#[test]
fn settle_expiry_boundary() {
    let s = store(
        "/nonexistent.db",
        schema::Mapping::preset("prisma").unwrap(),
        0,
    );
    let user = User {
        id: Some("1".into()),
        ..Default::default()
    };
    let now = 1_800_000_000_000;
    let row = |ms| {
        Ok(Some(Candidate::Row {
            expires_ms: Some(ms),
            user: user.clone(),
        }))
    };
    assert!(s.settle("t", row(now), now).session.is_some()); // expires == now: still valid (next-auth: < now is expired)
    assert!(s.settle("t", row(now + 1), now).session.is_some());
    assert!(s.settle("t", row(now - 1), now).session.is_none());
    assert!(s
        .settle("t", row(time::PLAUSIBLE_MAX_MS), now)
        .session
        .is_none());
    let body = |ms| {
        Ok(Some(Candidate::Body {
            expires_ms: ms,
            json: "{}".into(),
        }))
    };
    assert!(s.settle("t", body(now + 1), now).session.is_some());
    assert!(s.settle("t", body(now - 1), now).session.is_none());
}

#[test]
fn incidents_log_once() {
    let i = Incidents::default();
    let first = i
        .failure("PostgreSQL x", "no answer within 500 ms")
        .unwrap();
    assert!(first.contains("session lookup failed (no answer within 500 ms)"));
    for _ in 0..100 {
        assert!(i
            .failure("PostgreSQL x", "no answer within 500 ms")
            .is_none());
    }
    // a persisting failure is repeated after a minute, with the count
    i.state.lock().unwrap().last_log = Some(Instant::now() - RELOG_AFTER);
    let again = i.failure("PostgreSQL x", "refused").unwrap();
    assert!(again.contains("still failing (refused); 100 more lookups"));
    // a success ends the incident; the next failure is a new one
    i.success();
    assert!(i
        .failure("PostgreSQL x", "refused")
        .unwrap()
        .contains("session lookup failed"));
}

#[test]
fn config_errors() {
    let cfg = |url: &str, endpoint: bool| StoreConfig {
        url: url.into(),
        endpoint,
        mapping: schema::Mapping::preset("prisma").unwrap(),
        pool_max: 4,
        timeout: DEFAULT_TIMEOUT,
        cache_ttl: DEFAULT_CACHE_TTL,
        cookie_names: vec!["next-auth.session-token".into()],
    };
    assert!(SessionDb::new(cfg("mongodb://x/y", false)).is_err());
    assert!(SessionDb::new(cfg("mysql://x/y", false)).is_ok());
    assert!(SessionDb::new(cfg("redis://127.0.0.1:6379/0", false)).is_ok());
    assert!(SessionDb::new(cfg(":memory:", false)).is_err());
    assert!(SessionDb::new(cfg("", false)).is_err());
    assert!(SessionDb::new(cfg("https://x/api/auth/session", true)).is_err());
    assert!(SessionDb::new(cfg("postgresql://127.0.0.1/db", false)).is_ok());
    assert!(SessionDb::new(cfg("file:/tmp/x.db?mode=ro", false)).is_ok());
    let mut c = cfg("x.db", false);
    c.cookie_names.clear();
    assert!(SessionDb::new(c).is_err());
    let s = SessionDb::new(cfg("postgres://user:pw@db.internal:6543/app", false)).unwrap();
    assert_eq!(s.label(), "PostgreSQL db.internal:6543/app");
}

/// An outage (the store cannot answer) is reported apart from "no session";
/// both deny. Bad data about one token is not an outage.
#[test]
fn outage_is_not_no_session() {
    let db = temp_db("outage");
    let now = time::now_ms();
    seed(&db.0, now);
    let url = db.0.to_str().unwrap().to_owned();
    let rt = rt();
    rt.block_on(async {
        let s = store(&url, schema::Mapping::preset("pg-adapter").unwrap(), 0);
        let v = s.lookup(&cookie("g-valid")).await;
        assert!(v.session.is_some() && !v.unavailable);
        for t in ["unknown", "g-expired", "g-orphan", "g-garbage"] {
            let v = s.lookup(&cookie(t)).await;
            assert!(v.session.is_none() && !v.unavailable, "{t}: {v:?}");
        }
        // no cookie / malformed token: decided before any I/O, never an outage
        assert!(!s.lookup("theme=dark").await.unavailable);
        assert!(!s.lookup(&cookie("a b")).await.unavailable);
        let dup = schema::Mapping::custom(schema::MappingInput {
            session_table: Some("dup".into()),
            session_token: Some("tok".into()),
            image: Some(String::new()),
            ..Default::default()
        })
        .unwrap();
        let v = store(&url, dup, 0).lookup(&cookie("twice")).await;
        assert!(
            v.session.is_none() && !v.unavailable,
            "ambiguous rows: {v:?}"
        );
        // a missing file: the store cannot answer
        let gone = store(
            "/nonexistent/dir/x.db",
            schema::Mapping::preset("pg-adapter").unwrap(),
            0,
        );
        let v = gone.lookup(&cookie("g-valid")).await;
        assert!(v.session.is_none() && v.unavailable, "{v:?}");
    });
    let s = store(&url, schema::Mapping::preset("prisma").unwrap(), 0);
    for e in [
        LookupError::Timeout,
        LookupError::PoolExhausted,
        LookupError::Unavailable("refused".into()),
        LookupError::Query("x".into()),
        LookupError::BadResponse("HTTP 502".into()),
        LookupError::Internal,
    ] {
        let v = s.settle("t", Err(e), now);
        assert!(v.session.is_none() && v.unavailable, "{v:?}");
    }
    for e in [LookupError::NotASession, LookupError::Ambiguous] {
        let v = s.settle("t", Err(e), now);
        assert!(v.session.is_none() && !v.unavailable, "{v:?}");
    }
    // A writer holding an exclusive lock: the deadline passes, an outage.
    let writer = Connection::open(&db.0).unwrap();
    writer
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE users SET name = 'x';",
        )
        .unwrap();
    let s = store(&url, schema::Mapping::preset("pg-adapter").unwrap(), 0);
    let v = rt.block_on(s.lookup(&cookie("g-valid")));
    assert!(v.session.is_none() && v.unavailable, "{v:?}");
    writer.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn only_row_is_none_one_or_ambiguous() {
    assert_eq!(only_row::<u8>(vec![]), Ok(None));
    assert_eq!(only_row(vec![7u8]), Ok(Some(7)));
    assert_eq!(only_row(vec![7u8, 8]), Err(LookupError::Ambiguous));
}
