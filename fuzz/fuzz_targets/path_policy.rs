//! The middleware's path policy and the Location it redirects to.
//!
//! Calls: `middleware::Policy::{route, sign_in_location,
//! config_error_location}`, `middleware::Pattern::compile`,
//! `middleware::form_urlencode`, `middleware::parse_nextauth_url`.
//!
//! Input: newline-separated fields: pathname, search, basePath, origin,
//! signIn page, error page, a public rule, a protected rule.
//!
//! Properties: no panic; the sign-in and error pages skip; a path with an
//! encoded separator, `%25`, a backslash or a control byte, or a Next.js
//! internal query, never skips for a public rule; a skip is explained by a
//! whole-segment match on the decoded path (never `/api/authors` for
//! `/api/auth`), by Next's own files, or by a configured rule; every Location
//! starts with `<origin>/` and never continues with `/` or `\` (no
//! protocol-relative target); the callbackUrl is URLSearchParams-encoded and
//! decodes back to basePath+pathname+search with its leading slashes collapsed; parse_nextauth_url yields a
//! lower-case origin and a path starting with `/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use next_auth_native::middleware::{self, Pattern, Policy, Route};

/// Percent-decodes a path, written independently (invalid escapes stay as they are).
fn pct_decode(p: &str) -> String {
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Independent whole-segment match of `rule` against `path`.
fn seg(rule: &str, path: &str) -> bool {
    let r = rule.strip_suffix("/*").unwrap_or(rule);
    let r = if r == "/" {
        ""
    } else {
        r.strip_suffix('/').unwrap_or(r)
    };
    r.is_empty()
        || path == r
        || path
            .strip_prefix(r)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn suspicious(p: &str) -> bool {
    let l = p.to_ascii_lowercase();
    ["%2f", "%5c", "%00", "%25"].iter().any(|s| l.contains(s))
        || p.bytes().any(|b| b == b'\\' || b < 0x20 || b == 0x7f)
}

fn internal(search: &str) -> bool {
    search.trim_start_matches('?').split('&').any(|kv| {
        let k = kv.split('=').next().unwrap();
        ["__next", "nxtP", "nxtI"].iter().any(|p| k.starts_with(p))
    })
}

/// URLSearchParams decoding of an encoded value.
fn form_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(
                    u8::from_str_radix(std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?, 16).ok()?,
                );
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn check_location(loc: &str, origin: &str, base_path: &str, page: &str) {
    let lower = page.to_ascii_lowercase();
    if base_path.is_empty() && (lower.starts_with("https://") || lower.starts_with("http://")) {
        assert!(loc.starts_with(page), "absolute page kept: {loc:?}");
        return;
    }
    let prefix = format!("{origin}/");
    let rest = loc
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("Location {loc:?} does not start with {prefix:?}"));
    assert!(
        !rest.starts_with(['/', '\\']),
        "protocol-relative Location {loc:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut f = text.split('\n');
    let mut next = |default: &'static str| f.next().map_or(default, |s| s);
    let pathname = next("/");
    let search = next("");
    let base_path = next("");
    let origin = next("http://localhost:3000");
    let sign_in = next("/api/auth/signin");
    let error = next("/api/auth/error");
    let public = next("");
    let protected = next("");
    let policy = Policy {
        sign_in: sign_in.to_owned(),
        error: error.to_owned(),
        auth_path: "/api/auth".to_owned(),
        public_paths: Pattern::compile("publicPaths", public)
            .into_iter()
            .collect(),
        protected_paths: Pattern::compile("protectedPaths", protected)
            .into_iter()
            .collect(),
    };

    let route = policy.route(base_path, pathname, search);
    if pathname == sign_in || pathname == error {
        assert_eq!(route, Route::Skip);
    } else if suspicious(pathname) || internal(search) {
        assert_eq!(
            route,
            Route::Check,
            "suspicious {pathname:?}?{search:?} skipped"
        );
    } else if route == Route::Skip {
        let decoded = pct_decode(pathname);
        // The auth path is matched on basePath's and the path's segments together.
        let joined: Vec<&str> = base_path
            .split('/')
            .chain(decoded.split('/'))
            .filter(|s| !s.is_empty())
            .collect();
        let full = format!("/{}", joined.join("/"));
        let mut segs = decoded.split('/').filter(|s| !s.is_empty());
        let next_files = segs.next() == Some("_next")
            && !segs.next().is_some_and(|s| s.eq_ignore_ascii_case("data"));
        let explained = seg("/api/auth", &full)
            || next_files
            || decoded == "/favicon.ico"
            || !policy.public_paths.is_empty()
            || !policy.protected_paths.is_empty();
        assert!(
            explained,
            "unexplained skip of {pathname:?} (base {base_path:?})"
        );
    }

    let loc = policy.sign_in_location(origin, base_path, pathname, search);
    check_location(&loc, origin, base_path, sign_in);
    // callbackUrl is basePath + pathname + search as a same-origin path: a
    // leading run of `/` and `\` is one `/` (issue 14, item 10; NA-5).
    let raw = format!("{base_path}{pathname}{search}");
    let callback = format!("/{}", raw.trim_start_matches(['/', '\\']));
    assert!(
        !callback.starts_with("//") && !callback.starts_with("/\\"),
        "protocol-relative callbackUrl {callback:?}"
    );
    let enc = middleware::form_urlencode(&callback);
    assert!(
        enc.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"*-._+%".contains(&b)),
        "unsafe byte in {enc:?}"
    );
    assert_eq!(
        form_decode(&enc).as_deref(),
        Some(callback.as_str()),
        "callbackUrl does not decode back"
    );
    assert!(
        loc.ends_with(&format!("callbackUrl={enc}")),
        "callbackUrl not last in {loc:?}"
    );

    let err = policy.config_error_location(origin, base_path);
    check_location(&err, origin, base_path, error);
    assert!(err.ends_with("error=Configuration"));

    if let Some((o, p)) = middleware::parse_nextauth_url(text.lines().next().unwrap_or("")) {
        assert_eq!(o, o.to_ascii_lowercase());
        assert!(
            o.contains("://") && p.starts_with('/'),
            "parse_nextauth_url gave {o:?} {p:?}"
        );
    }
});
