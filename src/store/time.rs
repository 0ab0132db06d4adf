//! UTC timestamps as milliseconds since the Unix epoch: parsing what databases
//! and `/api/auth/session` hand us, formatting like JavaScript's
//! `Date.prototype.toISOString`, and the plausibility rule of docs/security.md SS-2.
//!
//! Everything is integer arithmetic on the proleptic Gregorian calendar; no
//! local time zone is ever consulted (a value without an offset is UTC, as
//! Prisma and SQLite's `datetime()` store it).

/// 2200-01-01T00:00:00Z. A session expiring later than this is implausible
/// (a seconds value read as milliseconds, a corrupted row, `infinity`).
pub const PLAUSIBLE_MAX_MS: i64 = 7_258_118_400_000;

/// Is `ms` a plausible session expiry? 1970 ≤ year < 2200.
pub fn plausible(ms: i64) -> bool {
    (0..PLAUSIBLE_MAX_MS).contains(&ms)
}

/// Current wall-clock time in ms since the epoch (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as `Date.prototype.toISOString` prints years
/// 0…9999. `None` outside that range.
pub fn format_iso_ms(ms: i64) -> Option<String> {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return None;
    }
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    Some(format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z"
    ))
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        let mut v = 0u32;
        for &c in s {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        self.i += n;
        Some(v)
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
}

/// Parses an ISO 8601 / RFC 3339 date-time as stored by databases and sent by
/// `/api/auth/session`: `YYYY-MM-DD`, then optionally `T` or a space,
/// `HH:MM[:SS[.fraction]]`, then optionally `Z`, `±HH:MM`, `±HHMM` or `±HH`.
/// No offset means UTC. Fractions beyond milliseconds are truncated.
pub fn parse_iso_ms(s: &str) -> Option<i64> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let y = c.digits(4)?;
    if !c.eat(b'-') {
        return None;
    }
    let mo = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let d = c.digits(2)?;
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(i64::from(y), mo) {
        return None;
    }
    let (mut h, mut mi, mut sec, mut milli) = (0u32, 0u32, 0u32, 0u32);
    let mut offset_min: i64 = 0;
    if c.peek().is_some() {
        if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
            return None;
        }
        h = c.digits(2)?;
        if !c.eat(b':') {
            return None;
        }
        mi = c.digits(2)?;
        if c.eat(b':') {
            sec = c.digits(2)?;
            if c.eat(b'.') {
                let start = c.i;
                let mut n = 0;
                while let Some(dg) = c.peek().filter(u8::is_ascii_digit) {
                    if n < 3 {
                        milli = milli * 10 + u32::from(dg - b'0');
                    }
                    n += 1;
                    c.i += 1;
                }
                if c.i == start || n > 9 {
                    return None;
                }
                for _ in n..3 {
                    milli *= 10;
                }
            }
        }
        if h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        match c.peek() {
            None => {}
            Some(b'Z') | Some(b'z') => c.i += 1,
            Some(sign @ (b'+' | b'-')) => {
                c.i += 1;
                let oh = c.digits(2)?;
                // `±HH:MM`, `±HHMM` or `±HH`
                let colon = c.eat(b':');
                let om = if colon || c.peek().is_some() {
                    c.digits(2)?
                } else {
                    0
                };
                if oh > 23 || om > 59 {
                    return None;
                }
                let off = i64::from(oh) * 60 + i64::from(om);
                offset_min = if sign == b'+' { off } else { -off };
            }
            Some(_) => return None,
        }
    }
    if c.i != c.b.len() {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    let secs =
        days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(sec) - offset_min * 60;
    Some(secs * 1000 + i64::from(milli))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-800_000i64, -1, 0, 1, 10_957, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(2000, 1, 1), 10_957);
        assert_eq!(days_from_civil(2200, 1, 1) * 86_400_000, PLAUSIBLE_MAX_MS);
    }

    #[test]
    fn format_like_to_iso_string() {
        assert_eq!(format_iso_ms(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_iso_ms(1_798_418_743_123).unwrap(),
            "2026-12-28T00:45:43.123Z"
        );
        assert_eq!(format_iso_ms(-1).unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            format_iso_ms(951_782_400_000).unwrap(),
            "2000-02-29T00:00:00.000Z"
        );
        assert!(format_iso_ms(i64::MAX).is_none());
    }

    #[test]
    fn parse_forms() {
        let t = 1_798_418_743_123;
        for s in [
            "2026-12-28T00:45:43.123Z",
            "2026-12-28T00:45:43.123",
            "2026-12-28 00:45:43.123",
            "2026-12-28T00:45:43.123456Z",
            "2026-12-28T01:45:43.123+01:00",
            "2026-12-27T23:45:43.123-0100",
            "2026-12-28T02:45:43.123+02",
            "2026-12-28t00:45:43.123z",
        ] {
            assert_eq!(parse_iso_ms(s), Some(t), "{s}");
        }
        assert_eq!(
            parse_iso_ms("2026-12-28"),
            Some(days_from_civil(2026, 12, 28) * 86_400_000)
        );
        assert_eq!(
            parse_iso_ms("2026-12-28 00:45"),
            Some(days_from_civil(2026, 12, 28) * 86_400_000 + 45 * 60_000)
        );
        assert_eq!(parse_iso_ms("2026-12-28T00:45:43.1Z"), Some(t - 23));
        for bad in [
            "",
            "2026",
            "2026-13-01",
            "2026-02-30",
            "2025-02-29",
            "2026-12-28T24:00:00Z",
            "2026-12-28T00:60:00Z",
            "2026-12-28T00:00:00.Z",
            "2026-12-28T00:00:00.1234567890Z",
            "2026-12-28T00:00:00ZZ",
            "2026-12-28X00:00",
            " 2026-12-28",
            "2026-12-28T00:00:00+24:00",
            "+02026-12-28",
            "2026-12-28T00:00:00 UTC",
            "١٩٧٠-01-01",
        ] {
            assert_eq!(parse_iso_ms(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_iso_ms("2024-02-29T00:00:00Z"),
            Some(days_from_civil(2024, 2, 29) * 86_400_000)
        );
    }

    #[test]
    fn plausibility() {
        assert!(plausible(0));
        assert!(plausible(PLAUSIBLE_MAX_MS - 1));
        assert!(!plausible(PLAUSIBLE_MAX_MS));
        assert!(!plausible(-1));
        assert!(now_ms() > 1_700_000_000_000);
    }
}
