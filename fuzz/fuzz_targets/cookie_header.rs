//! The Cookie header parse and the session cookie's chunk collection.
//!
//! Calls: `cookies::lookup_header`, `cookies::Collector::{new, offer,
//! finish}`, `cookies::decode_uri_component`, `Reader::from_cookies`
//! (Cookies::Header and Cookies::Pairs), `bearer_token`,
//! `store::valid_token`.
//!
//! Properties: no panic; `lookup_header` equals an independent model written
//! from the rules (Next.js `RequestCookies` parsing, then docs/security.md CK-1…CK-5:
//! exact names, `name` or contiguous canonical `name.0…name.(n-1)`, identical
//! duplicates collapse and conflicting ones deny, empty values ignored, size
//! and count caps); a found token is at most 16 KiB; the header path and the
//! parsed-pairs path of the reader agree; the Bearer rule matches its model.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use next_auth_native::cookies::{self, Lookup};
use next_auth_native::keys::Secret;
use next_auth_native::limits;
use next_auth_native::{bearer_token, Cookies, Reader, ReaderOptions, Step};
use std::sync::OnceLock;

const BASES: [[&str; 2]; 3] = [
    ["next-auth.session-token", "authjs.session-token"],
    [
        "__Secure-next-auth.session-token",
        "__Secure-authjs.session-token",
    ],
    ["a", "b"],
];

fn readers() -> &'static Vec<Reader> {
    static R: OnceLock<Vec<Reader>> = OnceLock::new();
    R.get_or_init(|| {
        BASES
            .iter()
            .map(|b| {
                Reader::new(ReaderOptions {
                    secrets: vec![Secret::new(common::SECRET.to_vec())],
                    secure_cookie: b[0].starts_with("__Secure-"),
                    cookie_name: Some(b[0].to_owned()),
                    salt: None,
                    jws: None,
                    v5_fallback: true,
                })
            })
            .collect()
    })
}

/// JavaScript decodeURIComponent, written independently.
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

const BLANKS: [char; 2] = [' ', '\t'];

/// Next.js RequestCookies: (name, decoded value) pairs, and the pair count
/// the caps apply to.
fn parse_pairs(header: &str, bases: &[&str]) -> (Vec<(String, String)>, usize) {
    let (mut out, mut counted) = (Vec::new(), 0);
    for raw in header.split(';') {
        let pair = raw.trim_start_matches(' ');
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=').unwrap_or((pair, "true"));
        let ours = bases.iter().any(|b| name.starts_with(b));
        // Optional blanks (space, tab) after a name and after a value are
        // ignored, as Next's own cookie parser reads them (issue 14, item 8).
        let name = name.trim_end_matches(BLANKS);
        match decode(value.trim_end_matches(BLANKS)) {
            Some(v) => {
                counted += 1;
                out.push((name.to_owned(), v.trim_end_matches(BLANKS).to_owned()));
            }
            // The core decodes only names it may care about; others still count.
            None if !ours => counted += 1,
            None => {}
        }
    }
    (out, counted)
}

#[derive(Debug, PartialEq)]
enum Model {
    Absent,
    Invalid,
    Found(String),
}

/// The collection rules, one family at a time: a name belongs to the first
/// family whose grammar it fits.
fn model(header: &str, bases: &[&str; 2]) -> [Model; 2] {
    if header.len() > 32 * 1024 {
        return [Model::Invalid, Model::Invalid];
    }
    let (pairs, counted) = parse_pairs(header, bases);
    if counted > 256 {
        return [Model::Invalid, Model::Invalid];
    }
    let mut slots: [(Option<String>, Vec<Option<String>>, bool); 2] =
        [(None, vec![None; 8], false), (None, vec![None; 8], false)];
    for (name, value) in &pairs {
        for (fam, base) in bases.iter().enumerate() {
            let Some(rest) = name.strip_prefix(base) else {
                continue;
            };
            let slot = if rest.is_empty() {
                &mut slots[fam].0
            } else if let Some(idx) = rest.strip_prefix('.') {
                let canonical = !idx.is_empty()
                    && idx.len() <= 3
                    && idx.bytes().all(|c| c.is_ascii_digit())
                    && (idx.len() == 1 || !idx.starts_with('0'));
                if !canonical {
                    continue;
                }
                let i: usize = idx.parse().unwrap();
                if i >= 8 {
                    slots[fam].2 = true;
                    break;
                }
                &mut slots[fam].1[i]
            } else {
                continue;
            };
            if !value.is_empty() {
                match slot {
                    Some(prev) if prev != value => slots[fam].2 = true,
                    Some(_) => {}
                    None => *slot = Some(value.clone()),
                }
            }
            break;
        }
    }
    slots.map(|(base, chunks, invalid)| {
        if invalid {
            return Model::Invalid;
        }
        let n = chunks.iter().take_while(|c| c.is_some()).count();
        let gap = chunks[n..].iter().any(Option::is_some);
        let token = match (base, n, gap) {
            (None, 0, false) => return Model::Absent,
            (Some(b), 0, false) => b,
            (None, _, false) => chunks[..n].iter().flatten().cloned().collect(),
            _ => return Model::Invalid,
        };
        if token.len() > 16 * 1024 {
            Model::Invalid
        } else {
            Model::Found(token)
        }
    })
}

fn bearer_model(h: &str) -> Option<String> {
    let rest = h.strip_prefix("Bearer")?;
    let t = if rest.is_empty() {
        "undefined".to_owned()
    } else {
        let rest = rest.strip_prefix(' ')?;
        let mut words = rest.split(' ');
        let t = words.next().unwrap();
        // A Bearer credential is one token: `Bearer T extra` is none (CK-6).
        if words.next().is_some() {
            return None;
        }
        decode(t)?
    };
    (!t.is_empty()).then_some(t)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(header) = std::str::from_utf8(rest) else {
        return;
    };
    let which = usize::from(mode) % BASES.len();
    let bases = &BASES[which];

    let got = cookies::lookup_header(header, bases);
    let want = model(header, bases);
    for (g, w) in got.iter().zip(&want) {
        let same = match (g, w) {
            (Lookup::Absent, Model::Absent) | (Lookup::Denied(_), Model::Invalid) => true,
            (Lookup::Found(a), Model::Found(b)) => a == b,
            _ => false,
        };
        assert!(
            same,
            "lookup_header {g:?} but the model says {w:?} for {header:?}"
        );
        if let Lookup::Found(t) = g {
            assert!(t.len() <= limits::JWT_MAX);
            let _ = next_auth_native::store::valid_token(t);
        }
    }

    // The reader on the raw header and on already-parsed pairs agree (below the pair cap).
    let reader = &readers()[which];
    let (pairs, counted) = parse_pairs(header, bases);
    if counted <= 256 && pairs.len() <= 256 && header.len() <= limits::COOKIE_HEADER_MAX {
        let a = reader.from_cookies(Cookies::Header(header));
        let b = reader.from_cookies(Cookies::Pairs(&pairs));
        let norm = |s: Step<'_>| match s {
            Step::Found(t, r) => Some(Some((t.into_owned(), r))),
            Step::Denied(_) => Some(None),
            Step::Absent => None,
        };
        // A token the header path finds, the pairs path finds too, the same
        // one. (Near the pair cap the header path may deny where the parsed
        // pairs still hold a token: it also counts pairs it never decodes.
        // That direction fails closed.)
        let (a, b) = (norm(a), norm(b));
        if matches!(a, Some(Some(_))) {
            assert_eq!(a, b, "header and pairs paths disagree on {header:?}");
        }
    }

    assert_eq!(
        bearer_token(header),
        bearer_model(header),
        "bearer rule on {header:?}"
    );
});
