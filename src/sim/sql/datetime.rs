//! `DATE` and `TIMESTAMP` (without time zone) as integers: days and microseconds since
//! 1970-01-01, in the proleptic Gregorian calendar. Input and output use the ISO-8601 forms
//! PostgreSQL prints with `DateStyle = ISO`: `2024-01-31` and `2024-01-31 12:00:00[.ffffff]`.

/// Microseconds in a day.
pub const DAY_US: i64 = 86_400_000_000;
/// Years the simulator accepts (PostgreSQL reaches 4713 BC .. 5874897 AD; four-digit AD years
/// cover what migrations touch and keep the printed form fixed-width).
const YEAR_MIN: i64 = 1;
const YEAR_MAX: i64 = 9999;

/// Why date/time text was refused; the caller words the PostgreSQL message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateTimeError {
    /// Not a recognised form: `invalid input syntax for type ...`.
    Syntax,
    /// Well-formed but impossible (month 13, February 30): `date/time field value out of range`.
    FieldRange,
    /// `infinity`, BC dates or years past 9999: outside what the simulator models.
    Unsupported,
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn number(s: &str, len_min: usize, len_max: usize) -> Result<i64, DateTimeError> {
    if s.len() < len_min || s.len() > len_max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DateTimeError::Syntax);
    }
    s.parse().map_err(|_| DateTimeError::Syntax)
}

fn special(s: &str) -> Result<(), DateTimeError> {
    let lower = s.to_ascii_lowercase();
    if [
        "infinity",
        "-infinity",
        "+infinity",
        "epoch",
        "now",
        "today",
        "tomorrow",
        "yesterday",
    ]
    .contains(&lower.as_str())
        || lower.ends_with(" bc")
    {
        return Err(DateTimeError::Unsupported);
    }
    Ok(())
}

/// Parse `YYYY-MM-DD` into days since 1970-01-01.
pub fn parse_date(text: &str) -> Result<i32, DateTimeError> {
    let s = text.trim();
    special(s)?;
    // PostgreSQL accepts a time after a date and ignores it for DATE.
    let date_part = s.split([' ', 'T']).next().unwrap_or("");
    if date_part.len() != s.len() {
        parse_timestamp(s)?;
    }
    date_days(date_part).map(|d| d as i32)
}

fn date_days(s: &str) -> Result<i64, DateTimeError> {
    let mut parts = s.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DateTimeError::Syntax);
    };
    let (y, m, d) = (number(y, 4, 5)?, number(m, 1, 2)?, number(d, 1, 2)?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m as u32) as i64 {
        return Err(DateTimeError::FieldRange);
    }
    if !(YEAR_MIN..=YEAR_MAX).contains(&y) {
        return Err(DateTimeError::Unsupported);
    }
    Ok(days_from_civil(y, m as u32, d as u32))
}

/// Parse `YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]]` into microseconds since 1970-01-01.
/// Fractions beyond microseconds round half up, as PostgreSQL rounds them.
pub fn parse_timestamp(text: &str) -> Result<i64, DateTimeError> {
    let s = text.trim();
    special(s)?;
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim_start()),
        None => (s, ""),
    };
    let days = date_days(date)?;
    let time_us = if time.is_empty() {
        0
    } else {
        parse_time(time)?
    };
    Ok(days * DAY_US + time_us)
}

fn parse_time(s: &str) -> Result<i64, DateTimeError> {
    let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut parts = hms.split(':');
    let h = number(parts.next().unwrap_or(""), 1, 2)?;
    let m = number(parts.next().ok_or(DateTimeError::Syntax)?, 2, 2)?;
    let sec = match parts.next() {
        Some(p) => number(p, 2, 2)?,
        None if frac.is_empty() => 0,
        None => return Err(DateTimeError::Syntax),
    };
    if parts.next().is_some() || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DateTimeError::Syntax);
    }
    // 24:00:00 is allowed (it is the next midnight); anything past it is not.
    if h > 24 || m > 59 || sec > 60 || (h == 24 && (m > 0 || sec > 0)) {
        return Err(DateTimeError::FieldRange);
    }
    let mut frac_us: i64 = 0;
    for (i, b) in frac.bytes().enumerate() {
        let digit = (b - b'0') as i64;
        if i < 6 {
            frac_us = frac_us * 10 + digit;
        } else if i == 6 && digit >= 5 {
            frac_us += 1;
        }
    }
    for _ in frac.len()..6 {
        frac_us *= 10;
    }
    Ok(((h * 60 + m) * 60 + sec) * 1_000_000 + frac_us)
}

/// `YYYY-MM-DD`.
pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM:SS`, with `.ffffff` (trailing zeros dropped) when there is a fraction.
pub fn format_timestamp(us: i64) -> String {
    let days = us.div_euclid(DAY_US);
    let rest = us.rem_euclid(DAY_US);
    let secs = rest / 1_000_000;
    let frac = rest % 1_000_000;
    let date = format_date(days as i32);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if frac == 0 {
        format!("{date} {h:02}:{m:02}:{s:02}")
    } else {
        let f = format!("{frac:06}");
        format!("{date} {h:02}:{m:02}:{s:02}.{}", f.trim_end_matches('0'))
    }
}

/// Whether a day count lies in the supported year range (results of date arithmetic).
pub fn date_in_range(days: i64) -> bool {
    let (y, _, _) = civil_from_days(days);
    (YEAR_MIN..=YEAR_MAX).contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-719_162i64, -1, 0, 1, 10_957, 19_753, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 1, 1), 10_957);
    }

    #[test]
    fn dates_parse_and_print_iso() {
        let d = parse_date("2024-01-31").unwrap();
        assert_eq!(format_date(d), "2024-01-31");
        assert_eq!(format_date(parse_date(" 2024-2-9 ").unwrap()), "2024-02-09");
        assert_eq!(parse_date("2024-02-30"), Err(DateTimeError::FieldRange));
        assert_eq!(parse_date("2023-02-29"), Err(DateTimeError::FieldRange));
        assert!(parse_date("2024-02-29").is_ok());
        assert_eq!(parse_date("31/01/2024"), Err(DateTimeError::Syntax));
        assert_eq!(parse_date("infinity"), Err(DateTimeError::Unsupported));
        assert_eq!(
            format_date(parse_date("2024-01-31 12:30:00").unwrap()),
            "2024-01-31"
        );
    }

    #[test]
    fn timestamps_parse_and_print_iso() {
        let t = |s: &str| format_timestamp(parse_timestamp(s).unwrap());
        assert_eq!(t("2024-01-31 12:00:00"), "2024-01-31 12:00:00");
        assert_eq!(t("2024-01-31T12:00"), "2024-01-31 12:00:00");
        assert_eq!(t("2024-01-31"), "2024-01-31 00:00:00");
        assert_eq!(t("2024-01-31 12:00:00.5"), "2024-01-31 12:00:00.5");
        assert_eq!(
            t("2024-01-31 12:00:00.1234567"),
            "2024-01-31 12:00:00.123457"
        );
        assert_eq!(t("2024-01-31 24:00:00"), "2024-02-01 00:00:00");
        assert_eq!(t("1969-12-31 23:59:59"), "1969-12-31 23:59:59");
        assert_eq!(
            parse_timestamp("2024-01-31 25:00"),
            Err(DateTimeError::FieldRange)
        );
        assert_eq!(parse_timestamp("noon"), Err(DateTimeError::Syntax));
    }
}
