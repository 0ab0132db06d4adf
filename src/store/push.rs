//! Revocation push: evict a session from this instance's cache as soon as it
//! is deleted (or changed) anywhere, instead of waiting out the cache TTL.
//!
//! - Redis: keyspace notifications. A dedicated connection subscribes to
//!   `__keyspace@<db>__:<session prefix>*` and evicts the token of every key
//!   an event names (`del`, `unlink`, `expired`, `evicted`, `set`, …). The
//!   server sends them only when `notify-keyspace-events` enables keyspace
//!   events for generic and string commands (e.g. `K$gx` or `KA`); without
//!   them the subscription is silent and the bound stays the TTL.
//! - PostgreSQL: `LISTEN next_auth_native_revoke` on a dedicated connection.
//!   The opt-in trigger (README, "Revocation across instances") sends the
//!   hex SHA-256 of the deleted or updated row's token: a token never travels
//!   on the notification channel, which every role may LISTEN to.
//!
//! Push only ever removes cache entries; nothing is written to the store. The
//! subscriber reconnects with a backoff; after every (re)subscription the
//! whole cache is cleared, since events may have been missed while it was
//! away. Its incidents are logged once each, with the next lookup's verdict.
//! The task ends when the store is dropped.

use super::cache::SessionCache;
use futures_util::StreamExt;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// The PostgreSQL notification channel the documented trigger uses.
pub const PG_CHANNEL: &str = "next_auth_native_revoke";

/// What the subscriber shares with its store.
pub struct PushShared {
    /// A log line for the next verdict (one per incident).
    pub pending_log: Mutex<Option<String>>,
    /// Is the subscription currently established?
    pub live: std::sync::atomic::AtomicBool,
}

impl PushShared {
    pub fn new() -> Arc<PushShared> {
        Arc::new(PushShared {
            pending_log: Mutex::new(None),
            live: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn log(&self, msg: String) {
        if let Ok(mut p) = self.pending_log.lock() {
            *p = Some(msg);
        }
    }

    pub fn take_log(&self) -> Option<String> {
        self.pending_log.lock().ok()?.take()
    }
}

/// How to subscribe.
pub enum PushSource {
    Redis {
        client: Box<redis::Client>,
        db: i64,
        layout: super::redis::Layout,
    },
    Postgres {
        url: String,
    },
}

/// Escapes Redis glob metacharacters so a prefix matches only itself.
pub fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Starts the subscriber on the current tokio runtime.
pub fn spawn(
    source: PushSource,
    label: String,
    cache: Weak<Mutex<SessionCache>>,
    shared: Arc<PushShared>,
) {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(250);
        let mut failing = false;
        loop {
            if cache.strong_count() == 0 {
                return;
            }
            let r = match &source {
                PushSource::Redis { client, db, layout } => {
                    run_redis(client, *db, layout, &cache, &shared).await
                }
                PushSource::Postgres { url } => run_pg(url, &cache, &shared).await,
            };
            shared
                .live
                .store(false, std::sync::atomic::Ordering::Release);
            if cache.strong_count() == 0 {
                return;
            }
            if let Err(e) = r {
                if !failing {
                    shared.log(format!(
                        "[next-auth-native][error][SESSION_STORE] {label}: revocation push unavailable ({e}); until it is back, \
                         a session deleted elsewhere is denied here within the cache TTL. Reconnecting in the background"
                    ));
                    failing = true;
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
            if shared.live.load(std::sync::atomic::Ordering::Acquire) {
                backoff = Duration::from_millis(250);
            }
        }
    });
}

fn subscribed(cache: &Weak<Mutex<SessionCache>>, shared: &PushShared) {
    if let Some(c) = cache.upgrade() {
        if let Ok(mut c) = c.lock() {
            c.clear();
        }
    }
    shared
        .live
        .store(true, std::sync::atomic::Ordering::Release);
}

async fn run_redis(
    client: &redis::Client,
    db: i64,
    layout: &super::redis::Layout,
    cache: &Weak<Mutex<SessionCache>>,
    shared: &PushShared,
) -> Result<(), String> {
    let connect = tokio::time::timeout(Duration::from_secs(5), client.get_async_pubsub());
    let mut ps = match connect.await {
        Err(_) => return Err("no answer within 5 s".into()),
        Ok(Err(e)) => return Err(format!("{:?}", super::redis::redis_error(&e))),
        Ok(Ok(p)) => p,
    };
    let pattern = format!("__keyspace@{db}__:{}*", glob_escape(&layout.session_prefix));
    let channel_prefix = format!("__keyspace@{db}__:");
    match tokio::time::timeout(Duration::from_secs(5), ps.psubscribe(&pattern)).await {
        Err(_) => return Err("PSUBSCRIBE: no answer within 5 s".into()),
        Ok(Err(e)) => return Err(format!("PSUBSCRIBE: {:?}", super::redis::redis_error(&e))),
        Ok(Ok(())) => {}
    }
    match keyspace_events(client).await {
        Some(flags) if !keyspace_enabled(&flags) => {
            // Subscribed, but the server will not send anything: say so once, and
            // keep the subscription (the setting may be turned on at run time).
            shared.log(format!(
                "[next-auth-native][warn][SESSION_STORE] Redis: notify-keyspace-events is {flags:?}, so revocation push is \
                 inactive and a session deleted elsewhere is denied here within the cache TTL. Enable it with \
                 CONFIG SET notify-keyspace-events K$gx (or KA), or set database.push: false"
            ));
            if let Some(c) = cache.upgrade() {
                let guard = c.lock();
                if let Ok(mut g) = guard {
                    g.clear();
                }
            }
        }
        _ => subscribed(cache, shared),
    }
    let mut stream = ps.on_message();
    loop {
        // Wake up now and then to notice a dropped store.
        let msg = match tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
            Err(_) => {
                if cache.strong_count() == 0 {
                    return Ok(());
                }
                continue;
            }
            Ok(None) => return Err("the subscription connection closed".into()),
            Ok(Some(m)) => m,
        };
        let Ok(channel) = msg.get_channel::<Vec<u8>>() else {
            continue;
        };
        let Ok(channel) = std::str::from_utf8(&channel) else {
            continue;
        };
        let Some(key) = channel.strip_prefix(channel_prefix.as_str()) else {
            continue;
        };
        let Some(token) = layout.token_of(key) else {
            continue;
        };
        let Some(c) = cache.upgrade() else {
            return Ok(());
        };
        let guard = c.lock();
        if let Ok(mut g) = guard {
            g.evict(token);
        }
    }
}

/// The server's `notify-keyspace-events`, or `None` when CONFIG is not allowed (managed hosts).
async fn keyspace_events(client: &redis::Client) -> Option<String> {
    let fut = async {
        let mut c = client.get_multiplexed_async_connection().await.ok()?;
        let v: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("notify-keyspace-events")
            .query_async(&mut c)
            .await
            .ok()?;
        v.into_iter().nth(1)
    };
    tokio::time::timeout(Duration::from_secs(3), fut)
        .await
        .ok()
        .flatten()
}

/// Do these flags deliver keyspace events for DEL, SET and expiry?
pub fn keyspace_enabled(flags: &str) -> bool {
    let has = |c: char| flags.contains(c);
    has('K') && (has('A') || (has('g') && has('$') && has('x')))
}

async fn run_pg(
    url: &str,
    cache: &Weak<Mutex<SessionCache>>,
    shared: &PushShared,
) -> Result<(), String> {
    let super::postgres::Connection { mut cfg, tls, .. } =
        super::postgres::Connection::from_url(url, &|k| std::env::var(k).ok())?;
    cfg.connect_timeout(Duration::from_secs(5));
    cfg.keepalives(true);
    if cfg.get_application_name().is_none() {
        cfg.application_name("next-auth-native-push");
    }
    let (client, mut conn) =
        match tokio::time::timeout(Duration::from_secs(5), cfg.connect(tls)).await {
            Err(_) => return Err("no answer within 5 s".into()),
            Ok(Err(e)) => return Err(format!("{e}")),
            Ok(Ok(p)) => p,
        };
    let (tx, mut rx) =
        tokio::sync::mpsc::unbounded_channel::<Result<tokio_postgres::AsyncMessage, String>>();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            let closed = m.is_err();
            if tx.send(m.map_err(|e| format!("{e}"))).is_err() || closed {
                return;
            }
        }
        let _ = tx.send(Err("the connection closed".into()));
    });
    let listen = tokio::time::timeout(
        Duration::from_secs(5),
        client.batch_execute(&format!("LISTEN {PG_CHANNEL}")),
    )
    .await;
    match listen {
        Err(_) => {
            driver.abort();
            return Err("LISTEN: no answer within 5 s".into());
        }
        Ok(Err(e)) => {
            driver.abort();
            return Err(format!("LISTEN: {e}"));
        }
        Ok(Ok(())) => {}
    }
    subscribed(cache, shared);
    let out = loop {
        let m = match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Err(_) => {
                if cache.strong_count() == 0 {
                    break Ok(());
                }
                continue;
            }
            Ok(None) => break Err("the connection closed".to_owned()),
            Ok(Some(Err(e))) => break Err(e),
            Ok(Some(Ok(m))) => m,
        };
        let tokio_postgres::AsyncMessage::Notification(n) = m else {
            continue;
        };
        if n.channel() != PG_CHANNEL {
            continue;
        }
        let Some(hash) = hex32(n.payload()) else {
            continue;
        };
        let Some(c) = cache.upgrade() else {
            break Ok(());
        };
        let guard = c.lock();
        if let Ok(mut g) = guard {
            g.evict_sha256(&hash);
        }
    };
    driver.abort();
    drop(client);
    out
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    let b = s.trim().as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        let h = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(h, 16).ok()?;
    }
    Some(out)
}

/// The opt-in PostgreSQL trigger for a session table and token column
/// (validated identifiers), as documented in the README.
pub fn pg_trigger_sql(session_table: &str, token_column: &str) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION {PG_CHANNEL}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         PERFORM pg_notify('{PG_CHANNEL}', encode(sha256(convert_to(OLD.\"{token_column}\", 'UTF8')), 'hex')); RETURN NULL; END $$; \
         DROP TRIGGER IF EXISTS {PG_CHANNEL} ON \"{session_table}\"; \
         CREATE TRIGGER {PG_CHANNEL} AFTER DELETE OR UPDATE ON \"{session_table}\" FOR EACH ROW EXECUTE FUNCTION {PG_CHANNEL}();"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_hex() {
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
        assert_eq!(glob_escape("user:session:"), "user:session:");
        assert_eq!(hex32(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(hex32("abc"), None);
        assert_eq!(hex32(&"zz".repeat(32)), None);
        assert!(pg_trigger_sql("Session", "sessionToken").contains("ON \"Session\""));
        assert!(keyspace_enabled("K$gx") && keyspace_enabled("KA") && keyspace_enabled("AKE"));
        assert!(!keyspace_enabled("") && !keyspace_enabled("Ex$g") && !keyspace_enabled("K$g"));
    }
}
