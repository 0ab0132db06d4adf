//! The session store's time handling: ISO 8601 / RFC 3339 parsing of
//! `expires` (PostgreSQL text, SQLite, /api/auth/session), epoch-ms
//! formatting like `Date.prototype.toISOString`, the civil-date arithmetic
//! behind both, and the SS-2 plausibility window.
//!
//! Calls: `store::time::{parse_iso_ms, format_iso_ms, days_from_civil,
//! civil_from_days, plausible}`, `store::render`.
//!
//! Properties: no panic and no overflow; an accepted string's date and time
//! fields, read independently from the text, give the same instant (checked
//! through the civil calendar with a fixed offset); format/parse round-trips
//! for years 0…9999; days_from_civil and civil_from_days are inverse; the
//! rendered session's `expires` parses back to the same millisecond.
#![no_main]

use libfuzzer_sys::fuzz_target;
use next_auth_native::store::{self, time, User};

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days from 1970-01-01, counted by whole 400-year cycles and then years
/// and months (independent of the core's Hinnant arithmetic).
fn days(y: i64, m: u32, d: u32) -> i64 {
    let mut total = 0i64;
    let mut yy = 1970i64;
    let cycles = (y - 1970).div_euclid(400);
    total += cycles * 146_097;
    yy += cycles * 400;
    while yy < y {
        total += if leap(yy) { 366 } else { 365 };
        yy += 1;
    }
    let ml = [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    total + ml[..(m - 1) as usize].iter().sum::<i64>() + i64::from(d) - 1
}

/// Reads the fields of an accepted string by position.
fn reference(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        std::str::from_utf8(b.get(r)?).ok()?.parse().ok()
    };
    let (y, mo, d) = (n(0..4)?, n(5..7)? as u32, n(8..10)? as u32);
    let mut ms = days(y, mo, d) * 86_400_000;
    if b.len() == 10 {
        return Some(ms);
    }
    ms += n(11..13)? * 3_600_000 + n(14..16)? * 60_000;
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        ms += n(17..19)? * 1000;
        i = 19;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut j = start;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            let frac = &s[start..j];
            let three: String = frac.chars().chain("000".chars()).take(3).collect();
            ms += three.parse::<i64>().ok()?;
            i = j;
        }
    }
    match b.get(i) {
        None | Some(b'Z' | b'z') => {}
        Some(&sign) => {
            let oh = n(i + 1..i + 3)?;
            let om = match b.get(i + 3) {
                None => 0,
                Some(b':') => n(i + 4..i + 6)?,
                Some(_) => n(i + 3..i + 5)?,
            };
            let off = (oh * 60 + om) * 60_000;
            ms -= if sign == b'+' { off } else { -off };
        }
    }
    Some(ms)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(ms) = time::parse_iso_ms(s) {
            assert_eq!(reference(s), Some(ms), "parse_iso_ms({s:?})");
            if let Some(iso) = time::format_iso_ms(ms) {
                assert_eq!(
                    time::parse_iso_ms(&iso),
                    Some(ms),
                    "round trip of {s:?} via {iso:?}"
                );
            }
        }
    }
    if data.len() >= 8 {
        let ms = i64::from_le_bytes(data[..8].try_into().unwrap());
        let _ = time::plausible(ms);
        // Keep to what an i64 of days holds without overflow in the core.
        let ms = ms >> 8;
        if let Some(iso) = time::format_iso_ms(ms) {
            assert_eq!(iso.len(), 24);
            assert_eq!(
                time::parse_iso_ms(&iso),
                Some(ms),
                "format/parse {ms} -> {iso:?}"
            );
            let user = User {
                id: Some("u".into()),
                name: None,
                email: None,
                image: None,
            };
            let json = store::render(&user, ms).expect("render");
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(time::parse_iso_ms(v["expires"].as_str().unwrap()), Some(ms));
        }
        let day = ms.div_euclid(86_400_000) >> 16;
        let (y, m, d) = time::civil_from_days(day);
        assert!((1..=12).contains(&m) && (1..=31).contains(&d));
        assert_eq!(
            time::days_from_civil(y, m, d),
            day,
            "civil round trip of day {day}"
        );
    }
});
