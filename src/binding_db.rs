//! The napi binding of database sessions (src/store): compile a store once per
//! configuration, answer from the cache synchronously, look up asynchronously
//! on napi's tokio runtime (security.md RS-5: no I/O on the event loop).
//! Every export catches panics (RS-1); a panic inside a lookup is a denial.

use crate::store::schema::{Mapping, MappingInput};
use crate::store::{self, Check, SessionStore, StoreConfig, Verdict};
use futures_util::FutureExt;
use napi::bindgen_prelude::{Either, External, PromiseRaw};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

#[napi(object)]
pub struct SchemaMappingInit {
    pub session_table: Option<String>,
    pub user_table: Option<String>,
    pub session_token: Option<String>,
    pub user_id: Option<String>,
    pub expires: Option<String>,
    pub id: Option<String>,
    /// "" = no such column (reads as null).
    pub name: Option<String>,
    pub email: Option<String>,
    pub image: Option<String>,
    /// "ms" (default) or "s", for integer `expires` columns.
    pub expires_unit: Option<String>,
}

#[napi(object)]
pub struct SessionStoreInit {
    /// PostgreSQL URL, SQLite file, or (with `endpoint`) the session endpoint URL.
    pub url: String,
    pub endpoint: bool,
    /// "prisma" | "pg-adapter" (ignored when `mapping` is given).
    pub schema: Option<String>,
    pub mapping: Option<SchemaMappingInit>,
    pub pool_max: Option<u32>,
    pub timeout_ms: Option<u32>,
    pub cache_ttl_ms: Option<u32>,
    /// Session cookie base names in lookup order.
    pub cookie_names: Vec<String>,
}

#[napi(object)]
pub struct SessionLookup {
    /// The session as JSON text, or null.
    pub session: Option<String>,
    /// One log line to print (an incident began or persists), or null.
    pub log: Option<String>,
    /// The store could not answer (down, timeout, pool exhausted): not "no session".
    pub unavailable: bool,
}

/// Builds a session store. Throws on an invalid configuration.
#[napi(catch_unwind)]
pub fn compile_session_store(init: SessionStoreInit) -> Result<External<Arc<SessionStore>>> {
    let mapping = match init.mapping {
        Some(m) => Mapping::custom(MappingInput {
            session_table: m.session_table,
            user_table: m.user_table,
            session_token: m.session_token,
            user_id: m.user_id,
            expires: m.expires,
            id: m.id,
            name: m.name,
            email: m.email,
            image: m.image,
            expires_unit: m.expires_unit,
        }),
        None => Mapping::preset(init.schema.as_deref().unwrap_or("prisma")),
    }
    .map_err(|e| Error::new(Status::InvalidArg, e))?;
    let ms = |v: Option<u32>, d: Duration| v.map_or(d, |v| Duration::from_millis(u64::from(v)));
    let store = SessionStore::new(StoreConfig {
        url: init.url,
        endpoint: init.endpoint,
        mapping,
        pool_max: init.pool_max.map_or(store::DEFAULT_POOL, |n| n as usize),
        timeout: ms(init.timeout_ms, store::DEFAULT_TIMEOUT),
        cache_ttl: ms(init.cache_ttl_ms, store::DEFAULT_CACHE_TTL),
        cookie_names: init.cookie_names,
    })
    .map_err(|e| Error::new(Status::InvalidArg, e))?;
    Ok(External::new(Arc::new(store)))
}

/// The synchronous half: the session JSON text on a cache hit, `false` for
/// a denial decided without I/O (no or malformed cookie, negative cache),
/// `true` when `sessionLookup` must ask the database.
#[napi(catch_unwind)]
pub fn session_check(store: &External<Arc<SessionStore>>, cookie: String) -> Either<String, bool> {
    match store.check(&cookie) {
        Check::Hit(json) => Either::A(json),
        Check::Deny => Either::B(false),
        Check::Miss => Either::B(true),
    }
}

/// The asynchronous lookup: resolves to `{ session, log }`, never rejects.
#[napi(catch_unwind)]
pub fn session_lookup<'env>(
    env: &'env Env,
    store: &External<Arc<SessionStore>>,
    cookie: String,
) -> Result<PromiseRaw<'env, SessionLookup>> {
    let store = Arc::clone(store);
    env.spawn_future(async move {
        let verdict = AssertUnwindSafe(store.lookup(&cookie)).catch_unwind().await.unwrap_or_else(|_| Verdict {
            session: None,
            log: Some("[next-auth-native][error][SESSION_STORE] internal error during a session lookup; denied".into()),
            unavailable: true,
        });
        Ok(SessionLookup { session: verdict.session, log: verdict.log, unavailable: verdict.unavailable })
    })
}

/// A short description of the store (backend, host/file; no credentials).
#[napi(catch_unwind)]
pub fn session_store_label(store: &External<Arc<SessionStore>>) -> String {
    store.label().to_owned()
}
