//! Column types and values, shared by the table store and (later) the schema mapping layer.
//!
//! Conversions follow PostgreSQL: text input functions with its error wording, output text as
//! `psql` prints it, and the cast rules for the types below. Values carry no type of their own
//! beyond their variant; the column or expression type decides width (`SMALLINT` vs `BIGINT`)
//! and precision (`REAL` vs `DOUBLE PRECISION`).

use std::cmp::Ordering;
use std::fmt;

pub use super::datetime::{format_date, format_timestamp, DAY_US};
use super::datetime::{parse_date, parse_timestamp, DateTimeError};
pub use super::numeric::{Numeric, NumericError, NUMERIC_DIGITS_MAX};

/// A column type (the subset of PostgreSQL the simulator models).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SqlType {
    /// 16-bit integer.
    SmallInt,
    /// 32-bit integer (`INT`, `INTEGER`).
    Int,
    /// 64-bit integer.
    BigInt,
    /// 32-bit float (`REAL`).
    Real,
    /// 64-bit float (`DOUBLE PRECISION`).
    Double,
    /// Exact decimal; `None` is unconstrained `NUMERIC`, `Some((p, s))` is `NUMERIC(p,s)`.
    Numeric(Option<(u32, u32)>),
    /// Unbounded text.
    Text,
    /// `VARCHAR(n)`: at most `n` characters; `None` means unbounded.
    Varchar(Option<u32>),
    /// `BOOLEAN`.
    Bool,
    /// Calendar date, stored as days since 1970-01-01.
    Date,
    /// Timestamp without time zone, stored as microseconds since 1970-01-01 00:00:00.
    Timestamp,
}

/// Broad groups used for operator and cast resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// Integers, floats, `NUMERIC`.
    Numeric,
    /// `TEXT`, `VARCHAR`.
    String,
    /// `BOOLEAN`.
    Bool,
    /// `DATE`, `TIMESTAMP`.
    DateTime,
}

impl SqlType {
    /// The type's group for operator resolution.
    pub fn category(&self) -> Category {
        match self {
            SqlType::SmallInt
            | SqlType::Int
            | SqlType::BigInt
            | SqlType::Real
            | SqlType::Double
            | SqlType::Numeric(_) => Category::Numeric,
            SqlType::Text | SqlType::Varchar(_) => Category::String,
            SqlType::Bool => Category::Bool,
            SqlType::Date | SqlType::Timestamp => Category::DateTime,
        }
    }

    /// True for `SMALLINT`, `INT`, `BIGINT`.
    pub fn is_integer(&self) -> bool {
        matches!(self, SqlType::SmallInt | SqlType::Int | SqlType::BigInt)
    }

    /// The type without its modifier (`NUMERIC(5,2)` -> `NUMERIC`, `VARCHAR(3)` -> `TEXT`):
    /// what an expression over a column of this type yields.
    pub fn base(&self) -> SqlType {
        match self {
            SqlType::Numeric(_) => SqlType::Numeric(None),
            SqlType::Varchar(_) => SqlType::Text,
            t => t.clone(),
        }
    }

    /// The type without a length or precision (`VARCHAR(3)` -> `VARCHAR`): the type of an
    /// expression that merges several values.
    pub fn base_modifier_free(&self) -> SqlType {
        match self {
            SqlType::Numeric(_) => SqlType::Numeric(None),
            SqlType::Varchar(_) => SqlType::Varchar(None),
            t => t.clone(),
        }
    }

    /// Rank within the numeric category: a binary operator widens both sides to the larger.
    pub fn numeric_rank(&self) -> u8 {
        match self {
            SqlType::SmallInt => 1,
            SqlType::Int => 2,
            SqlType::BigInt => 3,
            SqlType::Numeric(_) => 4,
            SqlType::Real => 5,
            SqlType::Double => 6,
            _ => 0,
        }
    }

    fn int_range(&self) -> (i64, i64) {
        match self {
            SqlType::SmallInt => (i16::MIN as i64, i16::MAX as i64),
            SqlType::Int => (i32::MIN as i64, i32::MAX as i64),
            _ => (i64::MIN, i64::MAX),
        }
    }

    /// Check an integer against this integer type's range (`integer out of range`).
    pub fn check_int(&self, v: i128) -> Result<Value, Failure> {
        let (lo, hi) = self.int_range();
        if v < lo as i128 || v > hi as i128 {
            return Err(Failure::new(format!("{} out of range", self)));
        }
        Ok(Value::Int(v as i64))
    }
}

impl fmt::Display for SqlType {
    /// PostgreSQL's `format_type` spelling, as used in its error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::SmallInt => f.write_str("smallint"),
            SqlType::Int => f.write_str("integer"),
            SqlType::BigInt => f.write_str("bigint"),
            SqlType::Real => f.write_str("real"),
            SqlType::Double => f.write_str("double precision"),
            SqlType::Numeric(None) => f.write_str("numeric"),
            SqlType::Numeric(Some((p, s))) => write!(f, "numeric({p},{s})"),
            SqlType::Text => f.write_str("text"),
            SqlType::Varchar(None) => f.write_str("character varying"),
            SqlType::Varchar(Some(n)) => write!(f, "character varying({n})"),
            SqlType::Bool => f.write_str("boolean"),
            SqlType::Date => f.write_str("date"),
            SqlType::Timestamp => f.write_str("timestamp without time zone"),
        }
    }
}

/// An error a user can cause, worded as PostgreSQL words it (`message`), with PostgreSQL's
/// `DETAIL` line when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// PostgreSQL's primary message, e.g. `division by zero`.
    pub message: String,
    /// PostgreSQL's `DETAIL`, e.g. `Key (id)=(1) already exists.`
    pub detail: Option<String>,
}

impl Failure {
    /// A failure without detail.
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            detail: None,
        }
    }
    /// A failure with a `DETAIL` line.
    pub fn with_detail(message: impl Into<String>, detail: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            detail: Some(detail.into()),
        }
    }
    /// `not supported: {what}`: SQL the simulator recognises but does not model.
    pub fn unsupported(what: impl fmt::Display) -> Failure {
        Failure::new(format!("not supported: {what}"))
    }
}

/// One stored or computed value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Any integer type; the column type bounds its range.
    Int(i64),
    /// `BOOLEAN`.
    Bool(bool),
    /// `REAL` (held at `f32` precision) or `DOUBLE PRECISION`.
    Real(f64),
    /// `NUMERIC`, exact, with its display scale.
    Numeric(Numeric),
    /// `TEXT` / `VARCHAR`.
    Text(String),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 00:00:00 (no time zone).
    Timestamp(i64),
}

impl Value {
    /// True for SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as PostgreSQL's output function prints it (`None` for NULL); `REAL` values
    /// need [`Value::to_text_as`] to print with `f32` digits.
    pub fn to_text(&self) -> Option<String> {
        self.to_text_as(&SqlType::Double)
    }

    /// The output text for a value of type `ty` (decides `REAL` vs `DOUBLE` digits).
    pub fn to_text_as(&self, ty: &SqlType) -> Option<String> {
        Some(match self {
            Value::Null => return None,
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
            Value::Real(x) if *ty == SqlType::Real => float_text(*x, true),
            Value::Real(x) => float_text(*x, false),
            Value::Numeric(n) => n.to_string(),
            Value::Text(s) => s.clone(),
            Value::Date(d) => format_date(*d),
            Value::Timestamp(t) => format_timestamp(*t),
        })
    }

    /// JSON text: null, numbers for integers and floats (`"NaN"`/`"Infinity"` as strings),
    /// true/false, and strings for text, NUMERIC (keeping its scale) and dates/timestamps.
    pub fn to_json(&self) -> String {
        self.to_json_as(&SqlType::Double)
    }

    /// [`Value::to_json`] for a value of column type `ty` (`REAL` prints with `f32` digits).
    pub fn to_json_as(&self, ty: &SqlType) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Real(x) if x.is_finite() => self.to_text_as(ty).unwrap_or_default(),
            _ => json_string(&self.to_text_as(ty).unwrap_or_default()),
        }
    }

    /// Total order used by indexes and comparisons between values of one type: numbers by
    /// value (NaN largest, as PostgreSQL sorts it), text by bytes (the C collation), NULL last.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Greater,
            (_, Null) => Ordering::Less,
            (Int(a), Int(b)) => a.cmp(b),
            (Bool(a), Bool(b)) => a.cmp(b),
            (Real(a), Real(b)) => float_cmp(*a, *b),
            (Numeric(a), Numeric(b)) => a.cmp(b),
            (Text(a), Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Date(a), Date(b)) => a.cmp(b),
            (Timestamp(a), Timestamp(b)) => a.cmp(b),
            // Mixed variants only meet after a bug in type resolution; order them stably.
            _ => self.rank().cmp(&other.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Int(_) => 0,
            Value::Bool(_) => 1,
            Value::Real(_) => 2,
            Value::Numeric(_) => 3,
            Value::Text(_) => 4,
            Value::Date(_) => 5,
            Value::Timestamp(_) => 6,
            Value::Null => 7,
        }
    }
}

/// PostgreSQL float comparison: NaN equals NaN and sorts above everything; -0 equals 0.
fn float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// PostgreSQL's float output (shortest round-trip digits, `extra_float_digits = 1`):
/// exponent form below 1e-4 or from 1e15 (1e6 for `REAL`) up, e.g. `1e+15`, `1e-05`.
pub fn float_text(x: f64, single: bool) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = if single {
        f32_shortest(x as f32)
    } else {
        format!("{x:e}")
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    let threshold = if single { 6 } else { 15 };
    if exp < -4 || exp >= threshold {
        let rest = &digits[1..];
        let point = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!(
            "{sign}{}{point}{rest}e{esign}{:02}",
            &digits[..1],
            exp.abs()
        );
    }
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
    }
}

/// Shortest digits that read back as `x`, never a decimal lying exactly halfway to a
/// neighbouring `f32`: PostgreSQL's Ryu treats those interval bounds as excluded, where Rust's
/// formatter may pick them (`50331648` prints as `5.0331648e+07`, not `5.033165e+07`).
fn f32_shortest(x: f32) -> String {
    let at_midpoint = |text: &str| {
        let Ok(d) = text.parse::<f64>() else {
            return false;
        };
        // Neighbours by bit pattern (x is finite and nonzero here); `f32::next_up` needs
        // Rust 1.86, above the crate's minimum.
        let bits = x.to_bits();
        let (lo, hi) = (
            f32::from_bits(bits - 1) as f64,
            f32::from_bits(bits + 1) as f64,
        );
        let v = x as f64;
        d == (v + lo) / 2.0 || d == (v + hi) / 2.0
    };
    let shortest = format!("{x:e}");
    if !at_midpoint(&shortest) {
        return shortest;
    }
    (1..=9)
        .map(|digits| format!("{:.*e}", digits - 1, x))
        .find(|t| t.parse::<f32>() == Ok(x) && !at_midpoint(t))
        .unwrap_or(shortest)
}

fn syntax(ty: &SqlType, text: &str) -> Failure {
    let name = match ty {
        SqlType::Numeric(_) => "numeric".to_string(),
        SqlType::Timestamp => "timestamp".to_string(),
        t => t.to_string(),
    };
    Failure::new(format!("invalid input syntax for type {name}: \"{text}\""))
}

fn datetime_failure(e: DateTimeError, ty: &SqlType, text: &str) -> Failure {
    match e {
        DateTimeError::Syntax => syntax(ty, text),
        DateTimeError::FieldRange => {
            Failure::new(format!("date/time field value out of range: \"{text}\""))
        }
        DateTimeError::Unsupported => Failure::unsupported(format!(
            "{ty} value \"{text}\" (only years 1..9999 AD, no infinity or special values)"
        )),
    }
}

/// Map a numeric arithmetic error to its PostgreSQL (or simulator-limit) message.
pub fn numeric_failure(e: NumericError) -> Failure {
    match e {
        NumericError::Syntax => Failure::new("invalid input syntax for type numeric"),
        NumericError::DivisionByZero => Failure::new("division by zero"),
        NumericError::TooWide => Failure::unsupported(format!(
            "numeric values wider than {NUMERIC_DIGITS_MAX} digits"
        )),
    }
}

fn parse_int(text: &str, ty: &SqlType) -> Result<Value, Failure> {
    let s = text.trim();
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax(ty, text));
    }
    let out_of_range = || Failure::new(format!("value \"{text}\" is out of range for type {ty}"));
    let v: i128 = s.parse().map_err(|_| out_of_range())?;
    ty.check_int(v).map_err(|_| out_of_range())
}

fn parse_bool(text: &str) -> Option<bool> {
    let s = text.trim().to_ascii_lowercase();
    if s.is_empty() {
        return None;
    }
    let prefix_of = |word: &str| word.starts_with(s.as_str());
    match s.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        "on" => Some(true),
        "of" | "off" => Some(false),
        _ if prefix_of("true") || prefix_of("yes") => Some(true),
        _ if prefix_of("false") || prefix_of("no") => Some(false),
        _ => None,
    }
}

fn parse_float(text: &str, ty: &SqlType) -> Result<Value, Failure> {
    let s = text.trim();
    let lower = s.to_ascii_lowercase();
    let special = match lower.trim_start_matches('+') {
        "nan" => Some(f64::NAN),
        "infinity" | "inf" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    };
    if let Some(x) = special {
        return Ok(Value::Real(x));
    }
    let numeric_form = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    let x: f64 = match s.parse() {
        Ok(x) if numeric_form => x,
        _ => return Err(syntax(ty, text)),
    };
    let out_of_range = || Failure::new(format!("\"{text}\" is out of range for type {ty}"));
    if *ty == SqlType::Real {
        let y = x as f32;
        if (y.is_infinite() && x.is_finite()) || (y == 0.0 && x != 0.0) {
            return Err(out_of_range());
        }
        return Ok(Value::Real(y as f64));
    }
    if x.is_infinite() || (x == 0.0 && lower.bytes().any(|b| (b'1'..=b'9').contains(&b))) {
        return Err(out_of_range());
    }
    Ok(Value::Real(x))
}

/// PostgreSQL's input function for `ty` applied to `text`, then the type modifier
/// (`explicit`: a cast truncates `VARCHAR(n)`, an assignment errors).
pub fn input(text: &str, ty: &SqlType, explicit: bool) -> Result<Value, Failure> {
    let v = match ty {
        SqlType::SmallInt | SqlType::Int | SqlType::BigInt => parse_int(text, ty)?,
        SqlType::Bool => Value::Bool(parse_bool(text).ok_or_else(|| syntax(ty, text))?),
        SqlType::Real | SqlType::Double => parse_float(text, ty)?,
        SqlType::Numeric(_) if text.trim().eq_ignore_ascii_case("nan") => {
            return Err(Failure::unsupported("numeric NaN"));
        }
        SqlType::Numeric(_) => match Numeric::parse(text) {
            Ok(n) => Value::Numeric(n),
            Err(NumericError::Syntax) => return Err(syntax(ty, text)),
            Err(e) => return Err(numeric_failure(e)),
        },
        SqlType::Text | SqlType::Varchar(_) => Value::Text(text.to_string()),
        SqlType::Date => Value::Date(parse_date(text).map_err(|e| datetime_failure(e, ty, text))?),
        SqlType::Timestamp => {
            Value::Timestamp(parse_timestamp(text).map_err(|e| datetime_failure(e, ty, text))?)
        }
    };
    apply_typmod(v, ty, explicit)
}

/// Enforce a type's modifier: `NUMERIC(p,s)` rounds to `s` and checks precision,
/// `VARCHAR(n)` checks (or, for an explicit cast, truncates to) `n` characters, `REAL`
/// rounds to `f32`.
pub fn apply_typmod(v: Value, ty: &SqlType, explicit: bool) -> Result<Value, Failure> {
    match (v, ty) {
        (Value::Numeric(n), SqlType::Numeric(Some((p, s)))) => {
            let r = n.with_scale(*s).map_err(numeric_failure)?;
            if r.integer_digits() > p - s {
                let limit = if p == s {
                    "1".to_string()
                } else {
                    format!("10^{}", p - s)
                };
                return Err(Failure::with_detail(
                    "numeric field overflow",
                    format!("A field with precision {p}, scale {s} must round to an absolute value less than {limit}."),
                ));
            }
            Ok(Value::Numeric(r))
        }
        (Value::Text(t), SqlType::Varchar(Some(n))) if t.chars().count() > *n as usize => {
            // PostgreSQL lets trailing spaces be cut silently even on assignment.
            let keep: String = t.chars().take(*n as usize).collect();
            if explicit || t.chars().skip(*n as usize).all(|c| c == ' ') {
                Ok(Value::Text(keep))
            } else {
                Err(Failure::new(format!("value too long for type {ty}")))
            }
        }
        (Value::Real(x), SqlType::Real) => Ok(Value::Real(to_f32(x)?)),
        (v, _) => Ok(v),
    }
}

/// Narrow a double to `REAL` precision, with PostgreSQL's overflow/underflow errors.
pub fn to_f32(x: f64) -> Result<f64, Failure> {
    let y = x as f32;
    if y.is_infinite() && x.is_finite() {
        return Err(Failure::new("value out of range: overflow"));
    }
    if y == 0.0 && x != 0.0 {
        return Err(Failure::new("value out of range: underflow"));
    }
    Ok(y as f64)
}

/// Which casts a context allows, as in PostgreSQL's `pg_cast`: implicit ones apply anywhere,
/// assignment ones on INSERT/UPDATE into a column, explicit ones only with `CAST`/`::`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CastContext {
    /// Inside expressions (operators, function arguments).
    Implicit,
    /// Storing into a column (`INSERT`, `UPDATE`, `DEFAULT`, `ALTER COLUMN TYPE`).
    Assignment,
    /// `CAST(x AS t)` / `x::t`.
    Explicit,
}

/// Whether PostgreSQL allows a cast from `from` to `to` in `ctx`.
pub fn cast_allowed(from: &SqlType, to: &SqlType, ctx: CastContext) -> bool {
    use Category as C;
    let (fc, tc) = (from.category(), to.category());
    let level = match (fc, tc) {
        _ if from.base() == to.base() => CastContext::Implicit,
        (C::Numeric, C::Numeric) => {
            // Widening is implicit; narrowing (and float/numeric to integer) needs assignment.
            if from.numeric_rank() < to.numeric_rank() {
                CastContext::Implicit
            } else {
                CastContext::Assignment
            }
        }
        (C::String, C::String) => CastContext::Implicit,
        // Every type has an assignment cast to text (through its output function); text to
        // anything else needs an explicit cast.
        (_, C::String) => CastContext::Assignment,
        (C::String, _) => CastContext::Explicit,
        (C::DateTime, C::DateTime) if *from == SqlType::Date => CastContext::Implicit,
        (C::DateTime, C::DateTime) => CastContext::Assignment,
        (C::Bool, C::Numeric) | (C::Numeric, C::Bool)
            if *from == SqlType::Int || *to == SqlType::Int =>
        {
            CastContext::Explicit
        }
        _ => return false,
    };
    match ctx {
        CastContext::Explicit => true,
        CastContext::Assignment => level != CastContext::Explicit,
        CastContext::Implicit => level == CastContext::Implicit,
    }
}

/// Convert a value of type `from` to `to` (the cast must be allowed; see [`cast_allowed`]).
pub fn convert(v: Value, from: &SqlType, to: &SqlType, explicit: bool) -> Result<Value, Failure> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    if from.category() == Category::String && to.category() != Category::String {
        let Value::Text(s) = &v else {
            return Err(Failure::new("internal: text value expected"));
        };
        return input(s, to, explicit);
    }
    let out = match (v, to) {
        (v, SqlType::Text | SqlType::Varchar(_)) => {
            Value::Text(v.to_text_as(from).unwrap_or_default())
        }
        (Value::Int(i), t) if t.is_integer() => t.check_int(i as i128)?,
        (Value::Int(i), SqlType::Real | SqlType::Double) => Value::Real(i as f64),
        (Value::Int(i), SqlType::Numeric(_)) => Value::Numeric(Numeric::from_i64(i)),
        (Value::Int(i), SqlType::Bool) => Value::Bool(i != 0),
        (Value::Bool(b), t) if t.is_integer() => Value::Int(b as i64),
        (Value::Numeric(n), t) if t.is_integer() => t.check_int(n.round_to_i128())?,
        (Value::Numeric(n), SqlType::Real | SqlType::Double) => Value::Real(n.to_f64()),
        (Value::Real(x), t) if t.is_integer() => {
            let r = x.round_ties_even();
            if !r.is_finite() || r < i64::MIN as f64 || r >= i64::MAX as f64 {
                return Err(Failure::new(format!("{t} out of range")));
            }
            t.check_int(r as i128)?
        }
        (Value::Real(x), SqlType::Numeric(_)) => {
            let digits = if *from == SqlType::Real { 6 } else { 15 };
            let n = Numeric::from_float(x, digits).map_err(|e| match e {
                NumericError::Syntax => Failure::unsupported("numeric NaN or infinity"),
                e => numeric_failure(e),
            })?;
            Value::Numeric(n)
        }
        (Value::Date(d), SqlType::Timestamp) => Value::Timestamp(d as i64 * DAY_US),
        (Value::Timestamp(t), SqlType::Date) => Value::Date(t.div_euclid(DAY_US) as i32),
        (v, _) => v,
    };
    apply_typmod(out, to, explicit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_input_checks_syntax_and_range() {
        assert_eq!(input(" 42 ", &SqlType::Int, false), Ok(Value::Int(42)));
        assert_eq!(
            input("abc", &SqlType::Int, false).unwrap_err().message,
            "invalid input syntax for type integer: \"abc\""
        );
        assert_eq!(
            input("99999", &SqlType::SmallInt, false)
                .unwrap_err()
                .message,
            "value \"99999\" is out of range for type smallint"
        );
        assert_eq!(
            input("1.5", &SqlType::BigInt, false).unwrap_err().message,
            "invalid input syntax for type bigint: \"1.5\""
        );
    }

    #[test]
    fn bool_input_accepts_postgres_spellings() {
        for t in ["t", "TRUE", "yes", "on", "1", " y "] {
            assert_eq!(
                input(t, &SqlType::Bool, false),
                Ok(Value::Bool(true)),
                "{t}"
            );
        }
        for f in ["f", "false", "no", "off", "0"] {
            assert_eq!(
                input(f, &SqlType::Bool, false),
                Ok(Value::Bool(false)),
                "{f}"
            );
        }
        assert!(input("o", &SqlType::Bool, false).is_err());
        assert!(input("maybe", &SqlType::Bool, false).is_err());
    }

    #[test]
    fn numeric_typmod_rounds_and_overflows() {
        let t = SqlType::Numeric(Some((5, 2)));
        let v = input("12.345", &t, false).unwrap();
        assert_eq!(v.to_json(), "\"12.35\"");
        let e = input("1234.5", &t, false).unwrap_err();
        assert_eq!(e.message, "numeric field overflow");
        assert_eq!(
            e.detail.as_deref(),
            Some(
                "A field with precision 5, scale 2 must round to an absolute value less than 10^3."
            )
        );
    }

    #[test]
    fn varchar_length_errors_on_assignment_and_truncates_on_cast() {
        let t = SqlType::Varchar(Some(3));
        assert_eq!(
            input("abcd", &t, false).unwrap_err().message,
            "value too long for type character varying(3)"
        );
        assert_eq!(input("abcd", &t, true), Ok(Value::Text("abc".into())));
        assert_eq!(input("abc  ", &t, false), Ok(Value::Text("abc".into())));
    }

    #[test]
    fn floats_print_like_postgres() {
        assert_eq!(float_text(1e15, false), "1e+15");
        assert_eq!(float_text(123456789012345.0, false), "123456789012345");
        assert_eq!(float_text(0.00001, false), "1e-05");
        assert_eq!(float_text(0.0001, false), "0.0001");
        assert_eq!(float_text(1.5, false), "1.5");
        assert_eq!(float_text(-2.25, false), "-2.25");
        assert_eq!(float_text(1e6, true), "1e+06");
        assert_eq!(float_text(123456.0, true), "123456");
        assert_eq!(float_text(1.1f32 as f64, true), "1.1");
        assert_eq!(float_text(0.1 + 0.2, false), "0.30000000000000004");
        assert_eq!(float_text(50331648.0, true), "5.0331648e+07");
        assert_eq!(Value::Real(f64::NAN).to_json(), "\"NaN\"");
    }

    #[test]
    fn casts_follow_pg_cast_contexts() {
        use CastContext::*;
        assert!(cast_allowed(&SqlType::Int, &SqlType::BigInt, Implicit));
        assert!(!cast_allowed(&SqlType::BigInt, &SqlType::Int, Implicit));
        assert!(cast_allowed(&SqlType::BigInt, &SqlType::Int, Assignment));
        assert!(cast_allowed(&SqlType::Int, &SqlType::Text, Assignment));
        assert!(!cast_allowed(&SqlType::Text, &SqlType::Int, Assignment));
        assert!(cast_allowed(&SqlType::Text, &SqlType::Int, Explicit));
        assert!(!cast_allowed(&SqlType::Bool, &SqlType::Int, Assignment));
        assert!(cast_allowed(&SqlType::Bool, &SqlType::Int, Explicit));
        assert!(!cast_allowed(&SqlType::BigInt, &SqlType::Bool, Explicit));
        assert!(!cast_allowed(&SqlType::Date, &SqlType::Int, Explicit));
    }

    #[test]
    fn conversions_round_like_postgres() {
        let f = |x: f64| convert(Value::Real(x), &SqlType::Double, &SqlType::Int, false);
        assert_eq!(f(2.5), Ok(Value::Int(2)));
        assert_eq!(f(3.5), Ok(Value::Int(4)));
        assert_eq!(f(1e10).unwrap_err().message, "integer out of range");
        let n = Value::Numeric(Numeric::parse("2.5").unwrap());
        assert_eq!(
            convert(n, &SqlType::Numeric(None), &SqlType::Int, false),
            Ok(Value::Int(3))
        );
        assert_eq!(
            convert(Value::Bool(true), &SqlType::Bool, &SqlType::Text, false),
            Ok(Value::Text("true".into()))
        );
        assert_eq!(
            convert(Value::Int(70_000), &SqlType::Int, &SqlType::SmallInt, false)
                .unwrap_err()
                .message,
            "smallint out of range"
        );
    }
}
