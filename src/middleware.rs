//! The middleware decision of next-auth's `withAuth` (nextauth-v4.md §5.2),
//! with the deliberate improvements of security.md: segment-aware skip rules
//! (NX-6), no `/_next/data` exemption (NX-3), encoded separators never public
//! (NX-7), and Locations built from a configured origin (NX-10, INV-6).
//! The JS shim supplies `nextUrl`'s parts and builds the `NextResponse`.

/// The pages and paths a middleware instance is configured with.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `pages.signIn` (default `/api/auth/signin`).
    pub sign_in: String,
    /// `pages.error` (default `/api/auth/error`).
    pub error: String,
    /// next-auth's API path from NEXTAUTH_URL (default `/api/auth`).
    pub auth_path: String,
    /// Paths that never need a session (segment-aware prefixes).
    pub public_paths: Vec<String>,
    /// When non-empty, only these paths need a session.
    pub protected_paths: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Not ours to check: continue.
    Skip,
    /// Needs a session.
    Check,
}

/// `rule` matches `path` by whole segments: `/api/auth` matches `/api/auth`
/// and `/api/auth/x`, never `/api/authors`. A rule ending in `/` or `/*`
/// matches below it only.
pub fn segment_match(rule: &str, path: &str) -> bool {
    let rule = rule.strip_suffix("/*").map_or(rule, |r| r);
    if rule.is_empty() || rule == "/" {
        return true;
    }
    let rule = rule.strip_suffix('/').unwrap_or(rule);
    match path.strip_prefix(rule) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Encoded separators, `%25` (double encoding), backslashes and control
/// bytes: such a path is never treated as public (NX-5, NX-7).
fn suspicious_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00") || lower.contains("%25")
        || path.bytes().any(|b| b == b'\\' || b < 0x20 || b == 0x7f)
}

/// Next.js internal query parameters (NX-2, NX-5): public rules are off.
fn internal_query(search: &str) -> bool {
    search.trim_start_matches('?').split('&').any(|kv| {
        let k = kv.split('=').next().unwrap_or("");
        k.starts_with("__next") || k.starts_with("nxtP") || k.starts_with("nxtI")
    })
}

impl Policy {
    /// Step 1 of §5.2: which requests the middleware lets through unchecked.
    pub fn route(&self, base_path: &str, pathname: &str, search: &str) -> Route {
        // next-auth: pathname === signIn or error page (exact, without basePath).
        if pathname == self.sign_in || pathname == self.error {
            return Route::Skip;
        }
        if suspicious_path(pathname) || internal_query(search) {
            return Route::Check;
        }
        let full = format!("{base_path}{pathname}");
        if segment_match(&self.auth_path, &full) {
            return Route::Skip;
        }
        // Next's assets; `/_next/data/…` stays protected (it carries page data).
        if segment_match("/_next/static", pathname) || segment_match("/_next/image", pathname) || pathname == "/favicon.ico" {
            return Route::Skip;
        }
        if self.public_paths.iter().any(|r| segment_match(r, pathname)) {
            return Route::Skip;
        }
        if !self.protected_paths.is_empty() && !self.protected_paths.iter().any(|r| segment_match(r, pathname)) {
            return Route::Skip;
        }
        Route::Check
    }

    /// The 307 target for a denial: `<origin><basePath><signIn>?callbackUrl=…`.
    pub fn sign_in_location(&self, origin: &str, base_path: &str, pathname: &str, search: &str) -> String {
        let callback = format!("{base_path}{pathname}{search}");
        with_param(page_url(origin, base_path, &self.sign_in), "callbackUrl", &form_urlencode(&callback))
    }

    /// The target when no secret is configured: `<errorPage>?error=Configuration`.
    pub fn config_error_location(&self, origin: &str, base_path: &str) -> String {
        with_param(page_url(origin, base_path, &self.error), "error", "Configuration")
    }
}

/// Appends `name=value` (already encoded) to `url`'s query, as `searchParams.append` does.
fn with_param(url: String, name: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{name}={value}")
}

/// `new URL(basePath + page, origin)` for the page forms next-auth supports:
/// an absolute page URL is used as-is (only meaningful without basePath).
fn page_url(origin: &str, base_path: &str, page: &str) -> String {
    let lower = page.to_ascii_lowercase();
    if base_path.is_empty() && (lower.starts_with("https://") || lower.starts_with("http://")) {
        page.to_owned()
    } else {
        // A leading `//` or `\` would make a protocol-relative URL (RD-1): keep it a path.
        let path = format!("{base_path}{page}");
        let path = path.trim_start_matches(['/', '\\']);
        format!("{origin}/{path}")
    }
}

/// `application/x-www-form-urlencoded` serialisation (URLSearchParams):
/// `*-._` and alphanumerics kept, space as `+`, everything else `%XX`.
pub fn form_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        match b {
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// next-auth's `parseUrl(NEXTAUTH_URL)`: the origin and the API path
/// (default `/api/auth`; a trailing `/` dropped). `None` when unset.
pub fn parse_nextauth_url(value: &str) -> Option<(String, String)> {
    let with_scheme = if value.starts_with("http") { value.to_owned() } else { format!("https://{value}") };
    let (scheme, rest) = with_scheme.split_once("://")?;
    let (host, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if host.is_empty() {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = if path.is_empty() || path == "/" { "/api/auth" } else { path.strip_suffix('/').unwrap_or(path) };
    Some((format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase()), path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            sign_in: "/api/auth/signin".into(),
            error: "/api/auth/error".into(),
            auth_path: "/api/auth".into(),
            public_paths: vec![],
            protected_paths: vec![],
        }
    }

    #[test]
    fn segment_aware_auth_path() {
        let p = policy();
        assert_eq!(p.route("", "/api/auth/session", ""), Route::Skip);
        assert_eq!(p.route("", "/api/auth", ""), Route::Skip);
        assert_eq!(p.route("", "/api/authors", ""), Route::Check);
        assert_eq!(p.route("", "/api/auth-admin", ""), Route::Check);
        assert_eq!(p.route("", "/dashboard", ""), Route::Check);
    }

    #[test]
    fn next_assets_but_not_data() {
        let p = policy();
        assert_eq!(p.route("", "/_next/static/chunks/a.js", ""), Route::Skip);
        assert_eq!(p.route("", "/favicon.ico", ""), Route::Skip);
        assert_eq!(p.route("", "/_next/data/build/dashboard.json", ""), Route::Check);
        assert_eq!(p.route("", "/_nextfoo", ""), Route::Check);
        assert_eq!(p.route("", "/favicon.ico.png", ""), Route::Check);
    }

    #[test]
    fn public_and_protected_rules() {
        let mut p = policy();
        p.public_paths = vec!["/docs".into(), "/blog/".into()];
        assert_eq!(p.route("", "/docs", ""), Route::Skip);
        assert_eq!(p.route("", "/docs/a", ""), Route::Skip);
        assert_eq!(p.route("", "/docsx", ""), Route::Check);
        assert_eq!(p.route("", "/blog/post", ""), Route::Skip);
        assert_eq!(p.route("", "/docs%2F..%2Fadmin", ""), Route::Check);
        assert_eq!(p.route("", "/docs", "?__nextLocale=fr"), Route::Check);
        assert_eq!(p.route("", "/docs", "?nxtPslug=x"), Route::Check);
        p.protected_paths = vec!["/admin".into()];
        assert_eq!(p.route("", "/admin/users", ""), Route::Check);
        assert_eq!(p.route("", "/elsewhere", ""), Route::Skip);
    }

    #[test]
    fn locations() {
        let p = policy();
        assert_eq!(
            p.sign_in_location("http://localhost:3000", "", "/dashboard", "?tab=a%20b&x=1"),
            "http://localhost:3000/api/auth/signin?callbackUrl=%2Fdashboard%3Ftab%3Da%2520b%26x%3D1"
        );
        assert_eq!(
            p.sign_in_location("https://app.example.com", "/app", "/dashboard", ""),
            "https://app.example.com/app/api/auth/signin?callbackUrl=%2Fapp%2Fdashboard"
        );
        let mut q = policy();
        q.sign_in = "//evil.com".into();
        assert!(q.sign_in_location("https://app.example.com", "", "/x", "").starts_with("https://app.example.com/evil.com?"));
        q.sign_in = "/login?a=1".into();
        assert_eq!(q.sign_in_location("http://h", "", "/x", ""), "http://h/login?a=1&callbackUrl=%2Fx");
        assert_eq!(p.config_error_location("http://h", "/b"), "http://h/b/api/auth/error?error=Configuration");
        assert_eq!(form_urlencode("a b*~é"), "a+b*%7E%C3%A9");
    }

    #[test]
    fn nextauth_url() {
        assert_eq!(parse_nextauth_url("http://localhost:3000"), Some(("http://localhost:3000".into(), "/api/auth".into())));
        assert_eq!(parse_nextauth_url("https://x.com/base/api/auth/"), Some(("https://x.com".into(), "/base/api/auth".into())));
        assert_eq!(parse_nextauth_url("x.com"), Some(("https://x.com".into(), "/api/auth".into())));
        assert_eq!(parse_nextauth_url(""), None);
    }
}
