//! Fast text forms for the hot conversion paths (a million values per benchmark run):
//! `NUMERIC` to decimal text, dates and timestamps to ISO 8601, and the strict ISO and
//! decimal forms back. Each produces exactly what the SQL store's own output functions
//! produce (tests compare them); anything unusual falls back to those functions.

use crate::sim::sql::datetime::{civil_from_days, days_from_civil};
use crate::sim::sql::value::{format_date, format_timestamp, input};
use crate::sim::sql::{Numeric, SqlType, Value};

const DAY_US: i64 = 86_400_000_000;

/// Decimal text of a NUMERIC with its scale (`12.50`), as PostgreSQL prints it.
pub fn numeric_text(n: Numeric) -> String {
    let Ok(mag) = u64::try_from(n.unscaled.unsigned_abs()) else {
        return n.to_string();
    };
    if n.scale > 19 {
        return n.to_string();
    }
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut m = mag;
    loop {
        digits[len] = b'0' + (m % 10) as u8;
        len += 1;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    let scale = n.scale as usize;
    let width = len.max(scale + 1);
    let mut s = String::with_capacity(width + 2);
    if n.unscaled < 0 {
        s.push('-');
    }
    for i in (0..width).rev() {
        s.push(if i < len { digits[i] as char } else { '0' });
        if i == scale && scale > 0 {
            s.push('.');
        }
    }
    s
}

fn push2(s: &mut String, v: u32) {
    s.push((b'0' + (v / 10) as u8) as char);
    s.push((b'0' + (v % 10) as u8) as char);
}

fn push_date(s: &mut String, days: i64) -> bool {
    let (y, m, d) = civil_from_days(days);
    if !(1..=9999).contains(&y) {
        return false;
    }
    let y = y as u32;
    push2(s, y / 100);
    push2(s, y % 100);
    s.push('-');
    push2(s, m);
    s.push('-');
    push2(s, d);
    true
}

/// `YYYY-MM-DD`.
pub fn date_iso(days: i32) -> String {
    let mut s = String::with_capacity(10);
    if push_date(&mut s, days as i64) {
        s
    } else {
        format_date(days)
    }
}

/// `YYYY-MM-DDTHH:MM:SS` with `.ffffff` (trailing zeros dropped) when there is a fraction.
pub fn timestamp_iso(us: i64) -> String {
    let mut s = String::with_capacity(26);
    if !push_date(&mut s, us.div_euclid(DAY_US)) {
        return format_timestamp(us).replacen(' ', "T", 1);
    }
    let rest = us.rem_euclid(DAY_US);
    let secs = (rest / 1_000_000) as u32;
    s.push('T');
    push2(&mut s, secs / 3600);
    s.push(':');
    push2(&mut s, secs / 60 % 60);
    s.push(':');
    push2(&mut s, secs % 60);
    let mut frac = (rest % 1_000_000) as u32;
    if frac != 0 {
        s.push('.');
        let mut div = 100_000;
        while frac != 0 {
            s.push((b'0' + (frac / div) as u8) as char);
            frac %= div;
            div /= 10;
        }
    }
    s
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    let mut v = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    Some(v)
}

/// Strict `YYYY-MM-DDTHH:MM:SS[.f{1,6}]` to microseconds; `None` for anything else.
fn parse_iso_strict(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, sec) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let frac = match &b[19..] {
        [] => 0,
        [b'.', f @ ..] if (1..=6).contains(&f.len()) => digits(f)? * 10i64.pow(6 - f.len() as u32),
        _ => return None,
    };
    if !(1..=12).contains(&m) || !(1..=28).contains(&d) || h > 23 || mi > 59 || sec > 59 || y < 1 {
        return None; // days 29..31 and leap rules: let the store's parser decide
    }
    let days = days_from_civil(y, m as u32, d as u32);
    Some(days * DAY_US + ((h * 60 + mi) * 60 + sec) * 1_000_000 + frac)
}

/// Strict `-?digits[.digits]` to a NUMERIC keeping the written scale; `None` otherwise.
fn parse_decimal_strict(s: &str) -> Option<Numeric> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() || int.len() + frac.len() > 18 || (body.contains('.') && frac.is_empty()) {
        return None;
    }
    let i = digits(int.as_bytes())?;
    let f = if frac.is_empty() {
        0
    } else {
        digits(frac.as_bytes())?
    };
    let unscaled = (i * 10i64.pow(frac.len() as u32) + f) as i128;
    Some(Numeric {
        unscaled: if neg { -unscaled } else { unscaled },
        scale: frac.len() as u32,
    })
}

/// PostgreSQL's text input for `ty`, with fast paths for ISO timestamps and plain decimals.
pub fn parse_text(s: &str, ty: &SqlType) -> Result<Value, String> {
    let fast = match ty {
        SqlType::Timestamp => parse_iso_strict(s).map(Value::Timestamp),
        SqlType::Numeric(_) => parse_decimal_strict(s).map(Value::Numeric),
        _ => None,
    };
    match fast {
        Some(v) => Ok(v),
        None => input(s, ty, false).map_err(|f| f.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::SimRng;

    #[test]
    fn fast_forms_match_the_store() {
        let mut r = SimRng::new(9);
        for _ in 0..20_000 {
            let us = r.range_u64(0, 310_000_000_000_000_000) as i64 - 62_000_000_000_000_000;
            let us = if r.chance(0.5) {
                us - us % 1_000_000
            } else {
                us
            };
            let iso = timestamp_iso(us);
            assert_eq!(iso, format_timestamp(us).replacen(' ', "T", 1));
            assert_eq!(
                parse_text(&iso, &SqlType::Timestamp),
                Ok(Value::Timestamp(us)),
                "{iso}"
            );
            let days = (us / DAY_US) as i32;
            assert_eq!(date_iso(days), format_date(days));
            let n = Numeric {
                unscaled: r.range_u64(0, u64::MAX / 4) as i128 - (1i128 << 60),
                scale: r.range_u64(0, 6) as u32,
            };
            assert_eq!(numeric_text(n), n.to_string());
            let back = parse_text(&n.to_string(), &SqlType::Numeric(None)).unwrap();
            assert_eq!(back, Value::Numeric(n));
        }
        let huge = Numeric {
            unscaled: i128::MAX / 10,
            scale: 3,
        };
        assert_eq!(numeric_text(huge), huge.to_string());
        assert!(parse_text("2021-02-30T00:00:00", &SqlType::Timestamp).is_err());
        assert!(parse_text("1.", &SqlType::Numeric(None)).is_ok());
    }
}
