//! The napi binding of database sessions (src/store): compile a store once per
//! configuration, answer from the cache synchronously, look up asynchronously
//! on napi's tokio runtime (docs/security.md RS-5: no I/O on the event loop).
//! Every export catches panics (RS-1); a panic inside a lookup is a denial.

use super::NameChoiceInit;
use crate::cookies;
use crate::error::{self, SessionError};
use crate::explain;
use crate::middleware::{Policy, Route};
use crate::store::schema::{Mapping, MappingInput};
use crate::store::{self, Check, SessionDb, StoreConfig, Verdict};
use futures_util::FutureExt;
use napi::bindgen_prelude::{Either, Either3, External, Null, Object, PromiseRaw};
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
    /// PostgreSQL URL (libpq `sslmode`/`sslrootcert`, `pgbouncer=true` for transaction-mode
    /// poolers), SQLite file, or (with `endpoint`) the session endpoint URL.
    pub url: String,
    pub endpoint: bool,
    /// "prisma" | "drizzle" | "kysely" | "pg-adapter" (ignored when `mapping` is given).
    pub schema: Option<String>,
    pub mapping: Option<SchemaMappingInit>,
    pub pool_max: Option<u32>,
    pub timeout_ms: Option<u32>,
    pub cache_ttl_ms: Option<u32>,
    /// Resolved by the JS side: `secureCookie`, or next-auth's env default.
    pub secure_cookie: bool,
    /// A custom session cookie name (the v4 family's), if any.
    pub cookie_name: Option<String>,
    /// Redis: the adapter's `baseKeyPrefix`.
    pub key_prefix: Option<String>,
    /// Redis, "unstorage": the driver's `base`.
    pub base: Option<String>,
    /// Revocation push: "auto" (default) | "on" | "off".
    pub push: Option<String>,
}

#[napi(object, object_from_js = false)]
pub struct SessionLookup {
    /// The session as JSON text, or null.
    pub session: Option<String>,
    /// One log line to print (an incident began or persists), or null.
    pub log: Option<String>,
    /// Why there is no session (a stable code), or null.
    pub code: Option<&'static str>,
    /// The store could not answer (down, timeout, pool exhausted): not "no session".
    pub unavailable: bool,
}

/// Builds a session store. Throws on an invalid configuration.
#[napi(catch_unwind)]
pub fn compile_session_store(init: SessionStoreInit) -> Result<External<Arc<SessionDb>>> {
    let bad = |e: String| Error::new(Status::InvalidArg, e);
    let is_redis = !init.endpoint && store::redis::is_redis_url(&init.url);
    let push = match init.push.as_deref() {
        None | Some("auto") => store::PushMode::Auto,
        Some("on") => store::PushMode::On,
        Some("off") => store::PushMode::Off,
        Some(other) => {
            return Err(bad(format!(
                "database.push must be true, false or \"auto\", not {other:?}"
            )))
        }
    };
    let opts = store::StoreOptions {
        redis_preset: if is_redis {
            Some(
                init.schema
                    .clone()
                    .unwrap_or_else(|| "upstash-redis".into()),
            )
        } else {
            None
        },
        key_prefix: init.key_prefix.unwrap_or_default(),
        base: init.base.unwrap_or_default(),
        push,
    };
    if is_redis && init.mapping.is_some() {
        return Err(bad("a table/column mapping does not apply to Redis: use schema \"upstash-redis\" or \"unstorage\" \
             (with keyPrefix = the adapter's baseKeyPrefix)"
            .into()));
    }
    if !is_redis && (!opts.key_prefix.is_empty() || !opts.base.is_empty()) {
        return Err(bad(
            "database.keyPrefix / database.base apply to Redis stores only".into(),
        ));
    }
    let mapping = match init.mapping {
        _ if is_redis => Mapping::preset("prisma"),
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
    let store = SessionDb::with_options(
        StoreConfig {
            url: init.url,
            endpoint: init.endpoint,
            mapping,
            pool_max: init.pool_max.map_or(store::DEFAULT_POOL, |n| n as usize),
            timeout: ms(init.timeout_ms, store::DEFAULT_TIMEOUT),
            cache_ttl: ms(init.cache_ttl_ms, store::DEFAULT_CACHE_TTL),
            cookie_names: crate::reader::session_cookie_names(
                init.secure_cookie,
                init.cookie_name.as_deref(),
            ),
        },
        opts,
    )
    .map_err(|e| Error::new(Status::InvalidArg, e))?;
    Ok(External::new(Arc::new(store)))
}

/// What a store's read of a request answers: a cached session (JSON text),
/// a denial without I/O (`null`), or the Promise of a lookup.
type SessionRead<'env> = Either3<String, Null, PromiseRaw<'env, SessionLookup>>;

/// One read of a request's session, the Cookie header parsed once: the
/// session JSON text on a cache hit, `null` for a denial decided without I/O
/// (no or malformed cookie, negative cache), or a Promise of the lookup
/// (`{ session, log, code, unavailable }`, never rejecting) when the source
/// must be asked. Only a cache miss costs a Promise.
#[napi(catch_unwind)]
pub fn session_read<'env>(
    env: &'env Env,
    store: &External<Arc<SessionDb>>,
    cookie: String,
) -> Result<Either3<String, Null, PromiseRaw<'env, SessionLookup>>> {
    // spelled out, not `SessionRead`: napi's type generation reads this signature
    read(env, store, &cookie)
}

fn read<'env>(env: &'env Env, store: &Arc<SessionDb>, cookie: &str) -> Result<SessionRead<'env>> {
    let pending = match store.check(cookie) {
        Check::Found(json) => return Ok(Either3::A(json)),
        Check::Denied(_) => return Ok(Either3::B(Null)),
        Check::Absent(pending) => pending,
    };
    let store = Arc::clone(store);
    env.spawn_future(async move {
        let verdict = guarded(store.fetch(pending)).await;
        Ok(SessionLookup {
            session: verdict.session,
            log: verdict.log,
            code: verdict.error.map(SessionError::code),
            unavailable: verdict.unavailable,
        })
    })
    .map(Either3::C)
}

/// One call per `withAuth` decision in database mode, in the shape of
/// `middlewareDecide`: `null` when the path needs no session (skipped); the
/// session JSON text on a cache hit (the allow path builds no object and no
/// Location); else `{ location, read }`, the sign-in Location for a denial
/// and the store's read of the request (`null`, a denial decided without I/O,
/// or the Promise of a lookup, as `sessionRead` answers them).
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn middleware_session<'env>(
    env: &'env Env,
    policy: &External<Policy>,
    store: &External<Arc<SessionDb>>,
    base_path: String,
    pathname: String,
    search: String,
    origin: String,
    callback_path: String,
    cookie: Option<String>,
) -> Result<Option<Either<String, Object<'env>>>> {
    if policy.route(&base_path, &pathname, &search) != Route::Check {
        return Ok(None);
    }
    let read = match read(env, store, cookie.as_deref().unwrap_or(""))? {
        Either3::A(json) => return Ok(Some(Either::A(json))),
        other => other,
    };
    let mut decision = Object::new(env)?;
    decision.set(
        "location",
        policy.sign_in_location(&origin, &base_path, &callback_path, &search),
    )?;
    decision.set("read", read)?;
    Ok(Some(Either::B(decision)))
}

/// A lookup with a panic caught: a panic inside it is a denial with one log
/// line (RS-1), never an unwind across napi.
async fn guarded(lookup: impl std::future::Future<Output = Verdict>) -> Verdict {
    AssertUnwindSafe(lookup)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            Verdict::failed(
                SessionError::DbUnavailable,
                Some("[next-auth-native][error][SESSION_STORE] internal error during a session lookup; denied".into()),
            )
        })
}

#[napi(object, object_from_js = false)]
pub struct SessionExplain {
    /// "OK" or a stable error code.
    pub code: &'static str,
    pub message: String,
    pub session: Option<String>,
    pub log: Option<String>,
    pub expected: Vec<String>,
    pub found: Vec<String>,
    pub reason: String,
    pub fix: &'static str,
    /// "database" or "endpoint".
    pub store: &'static str,
    pub label: String,
}

/// The database decision, explained: the same store, the same lookup.
#[napi(catch_unwind)]
pub fn session_explain<'env>(
    env: &'env Env,
    store: &External<Arc<SessionDb>>,
    cookie: String,
    choice: NameChoiceInit,
) -> Result<PromiseRaw<'env, SessionExplain>> {
    let store = Arc::clone(store);
    env.spawn_future(async move {
        let verdict = guarded(store.lookup(&cookie)).await;
        let expected: Vec<&str> = store.cookie_names().iter().map(String::as_str).collect();
        let mut ctx = explain::cookie_context(
            cookies::header_names(&cookie),
            &expected,
            &[],
            &choice.choice(),
        );
        let error = explain::refine(verdict.error, &mut ctx);
        let message = error::explain_message(error, &ctx);
        Ok(SessionExplain {
            code: error.map_or("OK", SessionError::code),
            fix: error.map_or("", SessionError::fix),
            message,
            session: verdict.session,
            log: verdict.log,
            expected: ctx.expected,
            found: ctx.found,
            reason: ctx.reason,
            store: if store.is_endpoint() {
                "endpoint"
            } else {
                "database"
            },
            label: store.label().to_owned(),
        })
    })
}

/// Is the store's revocation push subscription established? (Tests, diagnostics.)
#[napi(catch_unwind)]
pub fn session_store_push_live(store: &External<Arc<SessionDb>>) -> bool {
    store.push_live()
}

/// A short description of the store (backend, host/file; no credentials).
#[napi(catch_unwind)]
pub fn session_store_label(store: &External<Arc<SessionDb>>) -> String {
    store.label().to_owned()
}
