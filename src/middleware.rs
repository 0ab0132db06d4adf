//! The middleware decision of next-auth's `withAuth` (docs/compatibility.md §5.2),
//! with the deliberate improvements of docs/security.md and issue 14:
//!
//! - rules are matched against the path the Next.js router routes to (each
//!   segment percent-decoded), never the still-encoded path;
//! - a path whose decoding is ambiguous (encoded `/`, `\` or `.`, `%25`,
//!   invalid UTF-8 or overlong forms, empty or dot segments, control bytes)
//!   is always checked: protected, never public (NX-5, NX-7);
//! - `publicPaths`/`protectedPaths` use Next.js `config.matcher` syntax
//!   (`/blog/:path*`, `/x/:id`, exact by default, `/` = the root only), and
//!   surprising patterns are rejected when the policy is compiled;
//! - public rules match case-sensitively, protected rules case-insensitively
//!   (the stricter reading either way);
//! - no `/_next/data` exemption (NX-3); callbackUrl is always a same-origin
//!   path; Locations are built from a configured origin (NX-10, INV-6).
//!
//! The JS shim supplies `nextUrl`'s parts and builds the `NextResponse`.

use std::borrow::Cow;

/// One segment of a compiled path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// A literal segment, compared with the decoded request segment.
    Lit(String),
    /// `:name`: exactly one segment.
    One,
    /// `:name?`: zero or one segment (last position only).
    Opt,
    /// `:name*`: zero or more segments (last position only).
    Star,
    /// `:name+`: one or more segments (last position only).
    Plus,
}

/// A path pattern in Next.js `config.matcher` syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    segs: Vec<Seg>,
}

fn pattern_error(option: &str, p: &str, why: &str, fix: &str) -> String {
    format!("withAuth: `{option}` entry {p:?} {why}. {fix} (next-auth-native uses Next.js `config.matcher` path syntax: exact by default, `/` is the root page only)")
}

/// A literal segment may not carry matcher/regex syntax, escapes or whitespace.
fn bad_literal_char(c: char) -> bool {
    matches!(
        c,
        '(' | ')'
            | '?'
            | '+'
            | '*'
            | ':'
            | '\\'
            | '%'
            | '{'
            | '}'
            | '['
            | ']'
            | '|'
            | '^'
            | '$'
            | '#'
    ) || c.is_whitespace()
        || c.is_control()
}

impl Pattern {
    /// Compiles one `publicPaths`/`protectedPaths` entry; the error names the fix.
    pub fn compile(option: &str, p: &str) -> Result<Pattern, String> {
        if p.is_empty() {
            return Err(pattern_error(
                option,
                p,
                "is empty",
                "Write '/' for the root page only, or '/:path*' for every path.",
            ));
        }
        if !p.starts_with('/') {
            return Err(pattern_error(
                option,
                p,
                "does not start with '/'",
                &format!("Write '/{}'.", p.trim_start_matches(['*', '.'])),
            ));
        }
        if p == "/" {
            return Ok(Pattern {
                source: p.to_owned(),
                segs: Vec::new(),
            });
        }
        if p == "/*" || p == "/**" {
            return Err(pattern_error(
                option,
                p,
                "is not matcher syntax",
                "Write '/:path*' for every path, or '/' for the root page only.",
            ));
        }
        if let Some(base) = p.strip_suffix("/*").or_else(|| p.strip_suffix("/**")) {
            return Err(pattern_error(
                option,
                p,
                "is not matcher syntax",
                &format!("Write '{base}/:path*' for {base} and every path below it, or '{base}/:path+' for the paths below it only."),
            ));
        }
        if let Some(base) = p.strip_suffix('/') {
            return Err(pattern_error(
                option,
                p,
                "ends with '/'",
                &format!("Write '{base}' for that page only, '{base}/:path*' for it and every path below it, or '{base}/:path+' for the paths below it only."),
            ));
        }
        let parts: Vec<&str> = p[1..].split('/').collect();
        let mut segs = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            if part.is_empty() {
                return Err(pattern_error(
                    option,
                    p,
                    "has an empty segment ('//')",
                    "Remove the extra '/'.",
                ));
            }
            if let Some(param) = part.strip_prefix(':') {
                let (name, modifier) = match param.char_indices().last() {
                    Some((j, c @ ('?' | '*' | '+'))) => (&param[..j], Some(c)),
                    _ => (param, None),
                };
                let valid_name = !name.is_empty()
                    && name
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid_name {
                    return Err(pattern_error(option, p, &format!("has an invalid parameter {part:?}"), "Name parameters like ':id' or ':path*' (letters, digits, '_'); regular expressions are not supported."));
                }
                let seg = match modifier {
                    None => Seg::One,
                    Some(m) if !last => {
                        return Err(pattern_error(
                            option,
                            p,
                            &format!("uses ':{name}{m}' before the last segment"),
                            "Put the ':name?', ':name*' or ':name+' parameter last.",
                        ));
                    }
                    Some('?') => Seg::Opt,
                    Some('*') => Seg::Star,
                    Some(_) => Seg::Plus,
                };
                segs.push(seg);
                continue;
            }
            if *part == "." || *part == ".." {
                return Err(pattern_error(
                    option,
                    p,
                    "has a '.' or '..' segment",
                    "Write the path as the router sees it, without dot segments.",
                ));
            }
            if let Some(c) = part.chars().find(|&c| bad_literal_char(c)) {
                let fix = if c == '*' {
                    "Use ':path*' as the last segment for 'this path and everything below it'."
                        .to_owned()
                } else if c == '%' {
                    "Write the segment decoded (rules are matched against the decoded path)."
                        .to_owned()
                } else {
                    format!("Remove {c:?}: only literal segments and ':name', ':name?', ':name*', ':name+' parameters are supported.")
                };
                return Err(pattern_error(option, p, &format!("contains {c:?}"), &fix));
            }
            segs.push(Seg::Lit((*part).to_owned()));
        }
        Ok(Pattern {
            source: p.to_owned(),
            segs,
        })
    }

    /// The entry as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the decoded segments `path` match; `fold` compares literals
    /// ASCII-case-insensitively.
    fn matches(&self, path: &[Cow<'_, str>], fold: bool) -> bool {
        let lit_eq = |a: &str, b: &str| {
            if fold {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let mut i = 0;
        for seg in &self.segs {
            let rest = path.len() - i;
            match seg {
                Seg::Lit(l) => {
                    if rest == 0 || !lit_eq(l, &path[i]) {
                        return false;
                    }
                    i += 1;
                }
                Seg::One => {
                    if rest == 0 {
                        return false;
                    }
                    i += 1;
                }
                Seg::Opt => return rest <= 1,
                Seg::Star => return true,
                Seg::Plus => return rest >= 1,
            }
        }
        i == path.len()
    }
}

/// The segments the router routes a pathname to, each percent-decoded, or
/// `None` when that decoding is ambiguous (see the module docs). One
/// trailing `/` is ignored (as with `trailingSlash: true`).
pub fn route_segments(pathname: &str) -> Option<Vec<Cow<'_, str>>> {
    let rest = pathname.strip_prefix('/')?;
    if pathname
        .bytes()
        .any(|b| b == b'\\' || b < 0x20 || b == 0x7f)
    {
        return None;
    }
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let mut out = Vec::new();
    for raw in rest.split('/') {
        if raw.is_empty() || raw == "." || raw == ".." {
            return None;
        }
        if memchr::memchr(b'%', raw.as_bytes()).is_none() {
            out.push(Cow::Borrowed(raw));
            continue;
        }
        let lower = raw.to_ascii_lowercase();
        if lower.contains("%2e") {
            return None;
        }
        let decoded = crate::cookies::decode_uri_component(raw)?;
        if decoded
            .chars()
            .any(|c| matches!(c, '/' | '\\' | '%') || c.is_control())
        {
            return None;
        }
        out.push(Cow::Owned(decoded.into_owned()));
    }
    Some(out)
}

/// The pages and paths a middleware instance is configured with.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `pages.signIn` (default `/api/auth/signin`).
    pub sign_in: String,
    /// `pages.error` (default `/api/auth/error`).
    pub error: String,
    /// next-auth's API path from NEXTAUTH_URL (default `/api/auth`).
    pub auth_path: String,
    /// Paths that never need a session.
    pub public_paths: Vec<Pattern>,
    /// When non-empty, only these paths need a session.
    pub protected_paths: Vec<Pattern>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Not ours to check: continue.
    Skip,
    /// Needs a session.
    Check,
}

/// `prefix` (a plain path such as `/api/auth`) matches `segs` by whole segments.
fn prefix_match(prefix: &str, segs: &[Cow<'_, str>]) -> bool {
    let want: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    want.len() <= segs.len() && want.iter().zip(segs).all(|(a, b)| *a == b.as_ref())
}

/// Next.js internal query parameters (NX-2, NX-5): public rules are off.
fn internal_query(search: &str) -> bool {
    search.trim_start_matches('?').split('&').any(|kv| {
        let k = kv.split('=').next().unwrap_or("");
        k.starts_with("__next") || k.starts_with("nxtP") || k.starts_with("nxtI")
    })
}

impl Policy {
    /// Compiles the path rules; the error names the entry and the fix.
    pub fn new(
        sign_in: String,
        error: String,
        auth_path: String,
        public_paths: &[String],
        protected_paths: &[String],
    ) -> Result<Policy, String> {
        let compile = |option: &str, list: &[String]| {
            list.iter()
                .map(|p| Pattern::compile(option, p))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Policy {
            sign_in,
            error,
            auth_path,
            public_paths: compile("publicPaths", public_paths)?,
            protected_paths: compile("protectedPaths", protected_paths)?,
        })
    }

    /// Step 1 of §5.2: which requests the middleware lets through unchecked.
    pub fn route(&self, base_path: &str, pathname: &str, search: &str) -> Route {
        // next-auth: pathname === signIn or error page (exact, without basePath).
        if pathname == self.sign_in || pathname == self.error {
            return Route::Skip;
        }
        let Some(segs) = route_segments(pathname) else {
            return Route::Check; // ambiguous: protected, never public
        };
        if internal_query(search) {
            return Route::Check;
        }
        let full: Vec<Cow<'_, str>> = base_path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(Cow::Borrowed)
            .chain(segs.iter().cloned())
            .collect();
        if prefix_match(&self.auth_path, &full) {
            return Route::Skip;
        }
        // Next's own files (next-auth skips `/_next…`); `/_next/data/…` stays
        // protected (it carries page data).
        if segs.first().is_some_and(|s| s == "_next")
            && !segs.get(1).is_some_and(|s| s.eq_ignore_ascii_case("data"))
        {
            return Route::Skip;
        }
        if segs.len() == 1 && segs[0] == "favicon.ico" {
            return Route::Skip;
        }
        if self.public_paths.iter().any(|r| r.matches(&segs, false)) {
            return Route::Skip;
        }
        if !self.protected_paths.is_empty()
            && !self.protected_paths.iter().any(|r| r.matches(&segs, true))
        {
            return Route::Skip;
        }
        Route::Check
    }

    /// The 307 target for a denial: `<origin><basePath><signIn>?callbackUrl=…`.
    pub fn sign_in_location(
        &self,
        origin: &str,
        base_path: &str,
        pathname: &str,
        search: &str,
    ) -> String {
        let callback = callback_path(&format!("{base_path}{pathname}{search}"));
        with_param(
            page_url(origin, base_path, &self.sign_in),
            "callbackUrl",
            &form_urlencode(&callback),
        )
    }

    /// The path half of a decision: `None` when step 1 lets the request
    /// through unchecked, else the Location its denial would use.
    /// `callback_path` is the path the callbackUrl names (a locale prefix
    /// included).
    pub fn denial_location(
        &self,
        base_path: &str,
        pathname: &str,
        search: &str,
        origin: &str,
        callback_path: &str,
    ) -> Option<String> {
        (self.route(base_path, pathname, search) == Route::Check)
            .then(|| self.sign_in_location(origin, base_path, callback_path, search))
    }

    /// The target when no secret is configured: `<errorPage>?error=Configuration`.
    pub fn config_error_location(&self, origin: &str, base_path: &str) -> String {
        with_param(
            page_url(origin, base_path, &self.error),
            "error",
            "Configuration",
        )
    }
}

/// A same-origin path for callbackUrl: a leading run of `/` and `\` becomes
/// one `/` (so `//evil.com` or `/\evil.com` never reads as protocol-relative),
/// and a path without a leading `/` gets one.
pub fn callback_path(path: &str) -> String {
    let rest = path.trim_start_matches(['/', '\\']);
    format!("/{rest}")
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
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// next-auth's `parseUrl(NEXTAUTH_URL)`: the origin and the API path
/// (default `/api/auth`; a trailing `/` dropped). `None` when unset.
pub fn parse_nextauth_url(value: &str) -> Option<(String, String)> {
    let with_scheme = if value.starts_with("http") {
        value.to_owned()
    } else {
        format!("https://{value}")
    };
    let (scheme, rest) = with_scheme.split_once("://")?;
    let (host, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if host.is_empty() {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = if path.is_empty() || path == "/" {
        "/api/auth"
    } else {
        path.strip_suffix('/').unwrap_or(path)
    };
    Some((
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        ),
        path.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy_with(public: &[&str], protected: &[&str]) -> Policy {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Policy::new(
            "/api/auth/signin".into(),
            "/api/auth/error".into(),
            "/api/auth".into(),
            &v(public),
            &v(protected),
        )
        .unwrap()
    }

    fn policy() -> Policy {
        policy_with(&[], &[])
    }

    #[test]
    fn segment_aware_auth_path() {
        let p = policy();
        assert_eq!(p.route("", "/api/auth/session", ""), Route::Skip);
        assert_eq!(p.route("", "/api/auth", ""), Route::Skip);
        assert_eq!(p.route("", "/api/authors", ""), Route::Check);
        assert_eq!(p.route("", "/api/auth-admin", ""), Route::Check);
        assert_eq!(p.route("", "/dashboard", ""), Route::Check);
        // the decoded path routes to the auth API
        assert_eq!(p.route("", "/api/%61uth/session", ""), Route::Skip);
        assert_eq!(p.route("/app", "/api/auth/session", ""), Route::Check);
    }

    #[test]
    fn denial_location_is_the_path_half() {
        let p = policy();
        assert_eq!(
            p.denial_location(
                "",
                "/api/auth/session",
                "",
                "https://a.test",
                "/api/auth/session"
            ),
            None
        );
        assert_eq!(
            p.denial_location("", "/dashboard", "?x=1", "https://a.test", "/de/dashboard"),
            Some(p.sign_in_location("https://a.test", "", "/de/dashboard", "?x=1"))
        );
    }

    #[test]
    fn next_assets_but_not_data() {
        let p = policy();
        assert_eq!(p.route("", "/_next/static/chunks/a.js", ""), Route::Skip);
        assert_eq!(p.route("", "/_next/foo", ""), Route::Skip); // next-auth's own test
        assert_eq!(p.route("", "/favicon.ico", ""), Route::Skip);
        assert_eq!(
            p.route("", "/_next/data/build/dashboard.json", ""),
            Route::Check
        );
        assert_eq!(
            p.route("", "/_next/%64ata/build/dashboard.json", ""),
            Route::Check
        );
        assert_eq!(
            p.route("", "/_next/DATA/build/dashboard.json", ""),
            Route::Check
        );
        assert_eq!(p.route("", "/_next/%2e%2e/admin", ""), Route::Check);
        assert_eq!(p.route("", "/_nextfoo", ""), Route::Check);
        assert_eq!(p.route("", "/favicon.ico.png", ""), Route::Check);
    }

    #[test]
    fn decoded_path_decides() {
        // item 1: `/api/echo/%70rivate` routes to ["private"]
        let p = policy_with(&["/api/echo/:path*"], &[]);
        let q = policy_with(&["/api/echo/public"], &[]);
        assert_eq!(q.route("", "/api/echo/%70ublic", ""), Route::Skip);
        assert_eq!(q.route("", "/api/echo/%70rivate", ""), Route::Check);
        assert_eq!(p.route("", "/api/echo/x", ""), Route::Skip);
        let r = policy_with(&[], &["/api/echo/private"]);
        assert_eq!(r.route("", "/api/echo/%70rivate", ""), Route::Check);
        assert_eq!(r.route("", "/api/echo/%70RIVATE", ""), Route::Check); // protected rules fold case
        assert_eq!(r.route("", "/api/echo/public", ""), Route::Skip);
        // ambiguous decodings: protected, never public, even outside protectedPaths
        for path in [
            "/api/echo/a%2Fb",
            "/api/echo/a%2fb",
            "/api/echo/a%5Cb",
            "/api/echo/%2e%2e",
            "/api/echo/%2E",
            "/api/echo/a%252Fb",
            "/api/echo/%FF",
            "/api/echo/%C0%AF",
            "/api/echo/%E0%80%AF",
            "/api/echo/%ED%A0%80",
            "/api/echo/a%00",
            "/api/echo/%zz",
            "/api/echo/a\\b",
            "/api//echo",
            "/api/echo/../x",
            "/api/./echo",
            "no-slash",
            "",
        ] {
            assert_eq!(p.route("", path, ""), Route::Check, "{path}");
            assert_eq!(r.route("", path, ""), Route::Check, "{path}");
        }
        assert_eq!(route_segments("/a/%C3%A9/").unwrap(), vec!["a", "é"]);
    }

    #[test]
    fn matcher_syntax() {
        let p = policy_with(
            &[
                "/",
                "/docs",
                "/blog/:path*",
                "/u/:id",
                "/x/:rest+",
                "/o/:v?",
            ],
            &[],
        );
        assert_eq!(p.route("", "/", ""), Route::Skip);
        assert_eq!(p.route("", "/dashboard", ""), Route::Check); // '/' is the root only
        assert_eq!(p.route("", "/docs", ""), Route::Skip);
        assert_eq!(p.route("", "/docs/", ""), Route::Skip);
        assert_eq!(p.route("", "/docs/a", ""), Route::Check); // exact by default
        assert_eq!(p.route("", "/docsx", ""), Route::Check);
        assert_eq!(p.route("", "/DOCS", ""), Route::Check); // public rules are case-sensitive
        assert_eq!(p.route("", "/blog", ""), Route::Skip);
        assert_eq!(p.route("", "/blog/a/b", ""), Route::Skip);
        assert_eq!(p.route("", "/u/1", ""), Route::Skip);
        assert_eq!(p.route("", "/u", ""), Route::Check);
        assert_eq!(p.route("", "/u/1/2", ""), Route::Check);
        assert_eq!(p.route("", "/x", ""), Route::Check); // ':rest+' is below /x only
        assert_eq!(p.route("", "/x/a/b", ""), Route::Skip);
        assert_eq!(p.route("", "/o", ""), Route::Skip);
        assert_eq!(p.route("", "/o/1", ""), Route::Skip);
        assert_eq!(p.route("", "/o/1/2", ""), Route::Check);
        assert_eq!(p.route("", "/docs", "?__nextLocale=fr"), Route::Check);
        assert_eq!(p.route("", "/docs", "?nxtPslug=x"), Route::Check);
        let q = policy_with(&[], &["/admin/:path*"]);
        assert_eq!(q.route("", "/admin", ""), Route::Check);
        assert_eq!(q.route("", "/Admin/users", ""), Route::Check);
        assert_eq!(q.route("", "/elsewhere", ""), Route::Skip);
        assert_eq!(q.route("", "/administrator", ""), Route::Skip);
    }

    #[test]
    fn surprising_patterns_are_rejected() {
        for (bad, fix) in [
            ("", "'/:path*'"),
            ("/*", "'/:path*'"),
            ("docs", "'/docs'"),
            ("/x/", "'/x/:path*'"),
            ("/x/*", "'/x/:path+'"),
            ("/x//y", "extra"),
            ("/x/:path*/y", "last"),
            ("/x/(.*)", "Remove"),
            ("/x/%70", "decoded"),
            ("/x/:", "Name"),
            ("/x/../y", "dot"),
            ("/a b", "Remove"),
        ] {
            let err = Pattern::compile("publicPaths", bad).unwrap_err();
            assert!(err.contains(fix), "{bad}: {err}");
            assert!(err.contains("publicPaths"), "{err}");
        }
        assert!(Pattern::compile("publicPaths", "/").is_ok());
        assert!(Pattern::compile("publicPaths", "/:path*").is_ok());
        assert!(Pattern::compile("publicPaths", "/é/a.b-c_d~").is_ok());
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
        assert!(q
            .sign_in_location("https://app.example.com", "", "/x", "")
            .starts_with("https://app.example.com/evil.com?"));
        q.sign_in = "/login?a=1".into();
        assert_eq!(
            q.sign_in_location("http://h", "", "/x", ""),
            "http://h/login?a=1&callbackUrl=%2Fx"
        );
        assert_eq!(
            p.config_error_location("http://h", "/b"),
            "http://h/b/api/auth/error?error=Configuration"
        );
        assert_eq!(form_urlencode("a b*~é"), "a+b*%7E%C3%A9");
    }

    #[test]
    fn callback_url_is_a_same_origin_path() {
        let p = policy();
        for (path, want) in [
            ("//evil.com", "%2Fevil.com"),
            ("/\\evil.com", "%2Fevil.com"),
            ("\\\\evil.com", "%2Fevil.com"),
            ("/\\/\\evil.com/x", "%2Fevil.com%2Fx"),
            ("dashboard", "%2Fdashboard"),
            ("/", "%2F"),
        ] {
            let loc = p.sign_in_location("http://h", "", path, "");
            assert_eq!(
                loc,
                format!("http://h/api/auth/signin?callbackUrl={want}"),
                "{path}"
            );
        }
        assert_eq!(callback_path("///a//b"), "/a//b");
    }

    #[test]
    fn nextauth_url() {
        assert_eq!(
            parse_nextauth_url("http://localhost:3000"),
            Some(("http://localhost:3000".into(), "/api/auth".into()))
        );
        assert_eq!(
            parse_nextauth_url("https://x.com/base/api/auth/"),
            Some(("https://x.com".into(), "/base/api/auth".into()))
        );
        assert_eq!(
            parse_nextauth_url("x.com"),
            Some(("https://x.com".into(), "/api/auth".into()))
        );
        assert_eq!(parse_nextauth_url(""), None);
    }
}
