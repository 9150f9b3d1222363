//! Exact decimal numbers for `NUMERIC(p,s)`: an `i128` count of `10^-scale` units.
//!
//! PostgreSQL's numeric reaches 131,072 digits; the simulator keeps 38 (what an `i128` holds),
//! and says so with a `not supported` error instead of wrapping. Scale rules follow PostgreSQL:
//! `+`/`-` keep the larger scale, `*` adds scales, `/` picks at least 16 significant digits
//! (`select_div_scale`), and rounding is half away from zero.

use std::cmp::Ordering;
use std::fmt;

/// Largest number of decimal digits a value may have (unscaled magnitude below `10^38`).
pub const NUMERIC_DIGITS_MAX: u32 = 38;
/// PostgreSQL's `NUMERIC_MIN_SIG_DIGITS`: a quotient keeps at least this many digits.
const DIV_SIG_DIGITS_MIN: i32 = 16;

/// An exact decimal: `unscaled * 10^-scale`. The scale is the display scale, so `12.50` has
/// scale 2 and prints as `12.50`, as PostgreSQL prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Numeric {
    /// The value times `10^scale`.
    pub unscaled: i128,
    /// Digits after the decimal point (0..=38).
    pub scale: u32,
}

/// Why a numeric operation failed; the caller turns it into a PostgreSQL-style message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumericError {
    /// The text is not a number.
    Syntax,
    /// Division (or modulo) by zero.
    DivisionByZero,
    /// The result needs more than [`NUMERIC_DIGITS_MAX`] digits.
    TooWide,
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

fn fits(unscaled: i128) -> bool {
    unscaled.unsigned_abs() < 10u128.pow(NUMERIC_DIGITS_MAX)
}

/// `n / d` rounded half away from zero (`d > 0`).
fn div_round(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if r.unsigned_abs() * 2 >= d.unsigned_abs() {
        q + n.signum()
    } else {
        q
    }
}

impl Numeric {
    /// Zero with scale 0.
    pub const ZERO: Numeric = Numeric {
        unscaled: 0,
        scale: 0,
    };

    /// A checked constructor: errors when the value has more than 38 digits.
    pub fn new(unscaled: i128, scale: u32) -> Result<Numeric, NumericError> {
        if fits(unscaled) && scale <= NUMERIC_DIGITS_MAX {
            Ok(Numeric { unscaled, scale })
        } else {
            Err(NumericError::TooWide)
        }
    }

    /// An integer as a numeric with scale 0.
    pub fn from_i64(v: i64) -> Numeric {
        Numeric {
            unscaled: v as i128,
            scale: 0,
        }
    }

    /// Parse PostgreSQL numeric input: optional sign, digits with an optional point, optional
    /// exponent; surrounding whitespace allowed. The scale is the digits written after the point
    /// (less the exponent), so `'1.50'` keeps scale 2.
    pub fn parse(text: &str) -> Result<Numeric, NumericError> {
        let s = text.trim();
        let (neg, s) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exp) = match s.find(['e', 'E']) {
            Some(i) => {
                let e: i32 = s[i + 1..].parse().map_err(|_| NumericError::Syntax)?;
                (&s[..i], e)
            }
            None => (s, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !digits_ok(int_part)
            || !digits_ok(frac_part)
        {
            return Err(NumericError::Syntax);
        }
        let mut unscaled: i128 = 0;
        for b in int_part.bytes().chain(frac_part.bytes()) {
            unscaled = unscaled
                .checked_mul(10)
                .and_then(|u| u.checked_add((b - b'0') as i128))
                .ok_or(NumericError::TooWide)?;
        }
        let scale = frac_part.len() as i64 - exp as i64;
        let n = if scale >= 0 {
            Numeric::new(
                unscaled,
                u32::try_from(scale).map_err(|_| NumericError::TooWide)?,
            )?
        } else {
            let m = pow10((-scale) as u32).ok_or(NumericError::TooWide)?;
            Numeric::new(unscaled.checked_mul(m).ok_or(NumericError::TooWide)?, 0)?
        };
        Ok(if neg { -n } else { n })
    }

    /// The same value at `scale` digits, rounding half away from zero when digits are dropped.
    pub fn with_scale(self, scale: u32) -> Result<Numeric, NumericError> {
        match scale.cmp(&self.scale) {
            Ordering::Equal => Ok(self),
            Ordering::Greater => {
                let m = pow10(scale - self.scale).ok_or(NumericError::TooWide)?;
                Numeric::new(
                    self.unscaled.checked_mul(m).ok_or(NumericError::TooWide)?,
                    scale,
                )
            }
            Ordering::Less => {
                let drop = self.scale - scale;
                let unscaled = match pow10(drop) {
                    Some(d) => div_round(self.unscaled, d),
                    None => 0,
                };
                Numeric::new(unscaled, scale)
            }
        }
    }

    /// Digits before the decimal point (0 for values below 1).
    pub fn integer_digits(self) -> u32 {
        let int = self.unscaled.unsigned_abs() / 10u128.pow(self.scale);
        if int == 0 {
            0
        } else {
            int.ilog10() + 1
        }
    }

    /// True for zero at any scale.
    pub fn is_zero(self) -> bool {
        self.unscaled == 0
    }

    fn aligned(self, other: Numeric) -> Result<(i128, i128, u32), NumericError> {
        let scale = self.scale.max(other.scale);
        Ok((
            self.with_scale(scale)?.unscaled,
            other.with_scale(scale)?.unscaled,
            scale,
        ))
    }

    /// `self + other`, scale = the larger of the two.
    pub fn checked_add(self, other: Numeric) -> Result<Numeric, NumericError> {
        let (a, b, scale) = self.aligned(other)?;
        Numeric::new(a.checked_add(b).ok_or(NumericError::TooWide)?, scale)
    }

    /// `self - other`, scale = the larger of the two.
    pub fn checked_sub(self, other: Numeric) -> Result<Numeric, NumericError> {
        self.checked_add(-other)
    }

    /// `self * other`, exact (scale = sum of scales).
    pub fn checked_mul(self, other: Numeric) -> Result<Numeric, NumericError> {
        let u = self
            .unscaled
            .checked_mul(other.unscaled)
            .ok_or(NumericError::TooWide)?;
        Numeric::new(u, self.scale + other.scale)
    }

    /// `self % other` with the sign of the dividend (PostgreSQL `numeric_mod`).
    pub fn checked_rem(self, other: Numeric) -> Result<Numeric, NumericError> {
        if other.is_zero() {
            return Err(NumericError::DivisionByZero);
        }
        let (a, b, scale) = self.aligned(other)?;
        Numeric::new(a % b, scale)
    }

    /// Weight (power of 10000 of the first nonzero base-10000 digit) and that digit, as
    /// PostgreSQL's `select_div_scale` reads them.
    fn weight_first_digit(self) -> (i32, u128) {
        let mag = self.unscaled.unsigned_abs();
        if mag == 0 {
            return (0, 0);
        }
        // Position of the most significant decimal digit relative to the point.
        let msd = mag.ilog10() as i32 - self.scale as i32;
        let weight = msd.div_euclid(4);
        // The base-10000 digit covering decimal positions 4*weight .. 4*weight+3.
        let shift = 4 * weight + self.scale as i32;
        let first = if shift >= 0 {
            (mag / 10u128.pow(shift as u32)) % 10_000
        } else {
            (mag * 10u128.pow((-shift) as u32)) % 10_000
        };
        (weight, first)
    }

    /// The scale PostgreSQL gives a quotient: at least 16 significant digits and at least either
    /// input's scale.
    fn div_scale(self, other: Numeric) -> u32 {
        let (w1, d1) = self.weight_first_digit();
        let (w2, d2) = other.weight_first_digit();
        let mut qweight = w1 - w2;
        if d1 <= d2 {
            qweight -= 1;
        }
        let rscale = (DIV_SIG_DIGITS_MIN - qweight * 4)
            .max(self.scale as i32)
            .max(other.scale as i32)
            .max(0);
        rscale as u32
    }

    /// `self / other` at PostgreSQL's quotient scale, rounded half away from zero.
    pub fn checked_div(self, other: Numeric) -> Result<Numeric, NumericError> {
        if other.is_zero() {
            return Err(NumericError::DivisionByZero);
        }
        let rscale = self.div_scale(other);
        let neg = (self.unscaled < 0) != (other.unscaled < 0);
        let (n, d) = (self.unscaled.unsigned_abs(), other.unscaled.unsigned_abs());
        // Quotient digits needed: n * 10^e / d with e = rscale + scale(other) - scale(self).
        let e = rscale as i64 + other.scale as i64 - self.scale as i64;
        let q = if e >= 0 {
            long_div(n, d, e as u32)?
        } else {
            let d2 = 10u128
                .checked_pow((-e) as u32)
                .and_then(|p| p.checked_mul(d))
                .ok_or(NumericError::TooWide)?;
            let (q, r) = (n / d2, n % d2);
            if r >= d2 - r {
                q + 1
            } else {
                q
            }
        };
        let q = i128::try_from(q).map_err(|_| NumericError::TooWide)?;
        Numeric::new(if neg { -q } else { q }, rscale)
    }

    /// Convert to the nearest `f64` (through the decimal text, as PostgreSQL does).
    pub fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// PostgreSQL's `float8 -> numeric`: the value printed with `sig_digits` significant digits
    /// (15 for double precision, 6 for real), then read back. Errors for NaN and infinities.
    pub fn from_float(x: f64, sig_digits: usize) -> Result<Numeric, NumericError> {
        if !x.is_finite() {
            return Err(NumericError::Syntax);
        }
        let text = format!("{:.*e}", sig_digits - 1, x);
        let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        Numeric::parse(&format!("{mantissa}e{exp}"))
    }

    /// Round to an integer, half away from zero (PostgreSQL `numeric -> int`).
    pub fn round_to_i128(self) -> i128 {
        match pow10(self.scale) {
            Some(d) => div_round(self.unscaled, d),
            None => 0,
        }
    }
}

/// `n * 10^e / d`, rounded half up on the magnitude, digit by digit so nothing overflows
/// until the quotient itself is too wide.
fn long_div(n: u128, d: u128, e: u32) -> Result<u128, NumericError> {
    let mut q = n / d;
    let mut r = n % d;
    for _ in 0..=e {
        let r10 = r.checked_mul(10).ok_or(NumericError::TooWide)?;
        let digit = r10 / d;
        r = r10 % d;
        q = q.checked_mul(10).ok_or(NumericError::TooWide)? + digit;
    }
    // One extra digit was produced for rounding.
    let last = q % 10;
    q /= 10;
    Ok(if last >= 5 { q + 1 } else { q })
}

impl std::ops::Neg for Numeric {
    type Output = Numeric;
    /// Exact: magnitudes stay below `10^38`, far from `i128::MIN`.
    fn neg(self) -> Numeric {
        Numeric {
            unscaled: -self.unscaled,
            scale: self.scale,
        }
    }
}

impl Ord for Numeric {
    /// By value: `1.0 == 1.00`, as in PostgreSQL.
    fn cmp(&self, other: &Self) -> Ordering {
        match self.aligned(*other) {
            Ok((a, b, _)) => a.cmp(&b),
            // Alignment overflows only for huge magnitudes; compare through f64 then.
            Err(_) => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl PartialOrd for Numeric {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Numeric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mag = self.unscaled.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let sign = if self.unscaled < 0 { "-" } else { "" };
        if scale == 0 {
            return write!(f, "{sign}{mag}");
        }
        let padded = format!("{mag:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Numeric {
        Numeric::parse(s).unwrap()
    }

    #[test]
    fn parse_and_print_keep_the_written_scale() {
        assert_eq!(n("12.50").to_string(), "12.50");
        assert_eq!(n("-0.05").to_string(), "-0.05");
        assert_eq!(n(" 1e3 ").to_string(), "1000");
        assert_eq!(n("1.5e1").to_string(), "15");
        assert_eq!(n("1e-2").to_string(), "0.01");
        assert_eq!(n(".5").to_string(), "0.5");
        assert!(Numeric::parse("abc").is_err());
        assert!(Numeric::parse("1.2.3").is_err());
        assert!(Numeric::parse("").is_err());
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(n("2.345").with_scale(2).unwrap().to_string(), "2.35");
        assert_eq!(n("-2.345").with_scale(2).unwrap().to_string(), "-2.35");
        assert_eq!(n("2.344").with_scale(2).unwrap().to_string(), "2.34");
        assert_eq!(n("2.5").round_to_i128(), 3);
        assert_eq!(n("-2.5").round_to_i128(), -3);
    }

    #[test]
    fn arithmetic_scales_follow_postgres() {
        assert_eq!(
            n("1.5").checked_mul(n("2.25")).unwrap().to_string(),
            "3.375"
        );
        assert_eq!(n("1.0").checked_add(n("2.25")).unwrap().to_string(), "3.25");
        assert_eq!(
            n("1.0").checked_div(n("3.0")).unwrap().to_string(),
            "0.33333333333333333333"
        );
        assert_eq!(
            n("10.0").checked_div(n("4")).unwrap().to_string(),
            "2.5000000000000000"
        );
        assert_eq!(
            n("1").checked_div(n("8")).unwrap().to_string(),
            "0.12500000000000000000"
        );
        assert_eq!(n("-7").checked_rem(n("3")).unwrap().to_string(), "-1");
        assert_eq!(
            n("1").checked_div(Numeric::ZERO),
            Err(NumericError::DivisionByZero)
        );
    }

    #[test]
    fn comparison_ignores_scale() {
        assert_eq!(n("1.0").cmp(&n("1.00")), Ordering::Equal);
        assert!(n("1.01") > n("1.001"));
        assert!(n("-2") < n("-1.5"));
    }

    #[test]
    fn float_conversion_uses_fifteen_digits() {
        assert_eq!(Numeric::from_float(0.1, 15).unwrap().to_string(), "0.1");
        assert_eq!(
            Numeric::from_float(1e-5, 15).unwrap().to_string(),
            "0.00001"
        );
        assert_eq!(Numeric::from_float(100.0, 15).unwrap().to_string(), "100");
        assert_eq!(n("0.25").to_f64(), 0.25);
    }

    #[test]
    fn too_wide_values_are_refused() {
        assert_eq!(Numeric::parse(&"9".repeat(39)), Err(NumericError::TooWide));
        let big = n(&"9".repeat(38));
        assert_eq!(big.checked_add(n("1")), Err(NumericError::TooWide));
    }
}
