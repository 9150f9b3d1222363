//! Value conversion between SQL columns and JSON fields, with every conversion counted by
//! kind, every loss counted, and every value that does not convert reported per record.
//!
//! SQL -> JSON: integers and booleans as themselves, `REAL`/`DOUBLE` as numbers, `NUMERIC`
//! as a string (lossless) or a double (a value whose `f64` round trip differs counts as a
//! precision loss), `DATE` as `YYYY-MM-DD`, `TIMESTAMP` as an ISO 8601 string
//! (`YYYY-MM-DDTHH:MM:SS[.ffffff]`, lossless) or epoch milliseconds (sub-millisecond digits
//! count as a loss), NULL omitted or written as `null`.
//! JSON -> SQL: the inverse, plus PostgreSQL's text input for strings (so `"42"` fills an
//! integer column), a missing field becomes the column default or NULL, and objects or arrays
//! landing in a text column are stored as canonical JSON text.

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value as Json};
use std::collections::BTreeMap;

use super::relational::ColumnSchema;
use super::text::{date_iso, numeric_text, parse_text};
use crate::sim::sql::value::apply_typmod;
use crate::sim::sql::{Numeric, SqlType, Value};

/// Errors kept in a report; later ones are only counted (`errors_total`).
pub const ERRORS_KEPT_MAX: usize = 1_000;
/// Hard ceiling for [`ConvertOptions::embedded_items_max`].
pub const EMBEDDED_ITEMS_LIMIT: usize = 1_000_000;

/// How a SQL NULL appears in a document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NullMode {
    /// Leave the field out (default; documents stay small).
    #[default]
    Omit,
    /// Write `"field": null`.
    Write,
}

/// How `NUMERIC` values appear in documents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumericMode {
    /// Decimal text with the column's scale, e.g. `"12.50"` (default; lossless).
    #[default]
    String,
    /// A JSON number (IEEE double); values with more than ~15 significant digits may change.
    Double,
}

/// How `TIMESTAMP` values appear in documents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampMode {
    /// ISO 8601 text without zone, microseconds kept (default; lossless).
    #[default]
    IsoString,
    /// Integer milliseconds since 1970-01-01T00:00:00; microseconds are cut.
    EpochMillis,
}

fn default_items_max() -> usize {
    10_000
}
fn default_doc_bytes_max() -> usize {
    crate::sim::doc::DOC_BYTES_MAX
}

/// Conversion settings shared by both directions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertOptions {
    /// NULL handling in documents. Default: omit.
    #[serde(default)]
    pub nulls: NullMode,
    /// `NUMERIC` representation. Default: string.
    #[serde(default)]
    pub numeric: NumericMode,
    /// `TIMESTAMP` representation. Default: ISO string.
    #[serde(default)]
    pub timestamps: TimestampMode,
    /// Longest embedded array, in elements; longer child sets are cut and reported as errors.
    /// Default 10,000; at most [`EMBEDDED_ITEMS_LIMIT`].
    #[serde(default = "default_items_max")]
    pub embedded_items_max: usize,
    /// Largest document, in bytes of compact JSON (estimated); larger ones are reported.
    /// Default 16 MiB (MongoDB's limit).
    #[serde(default = "default_doc_bytes_max")]
    pub doc_bytes_max: usize,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            nulls: NullMode::Omit,
            numeric: NumericMode::String,
            timestamps: TimestampMode::IsoString,
            embedded_items_max: default_items_max(),
            doc_bytes_max: default_doc_bytes_max(),
        }
    }
}

/// A kind of conversion, counted per value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conv {
    /// An integer, either way.
    Integer,
    /// A boolean, either way.
    Boolean,
    /// `REAL`/`DOUBLE` <-> JSON number.
    Float,
    /// Text <-> JSON string.
    Text,
    /// `NUMERIC` -> decimal string (lossless).
    NumericToString,
    /// `NUMERIC` -> JSON number (may lose precision).
    NumericToDouble,
    /// `DATE` -> `YYYY-MM-DD`.
    DateToIso,
    /// `TIMESTAMP` -> ISO 8601 string.
    TimestampToIso,
    /// `TIMESTAMP` -> epoch milliseconds.
    TimestampToMillis,
    /// NULL left out of the document.
    NullOmitted,
    /// NULL written as `null`.
    NullWritten,
    /// A missing field stored as NULL.
    MissingToNull,
    /// A missing field stored as the column default.
    MissingToDefault,
    /// `null` stored as NULL.
    NullToNull,
    /// JSON number -> `NUMERIC`.
    NumberToNumeric,
    /// String parsed by the column type's input function (dates, numbers, ...).
    StringToValue,
    /// JSON number stored in a text column.
    NumberToText,
    /// JSON boolean stored in a text column.
    BoolToText,
    /// Object or array stored as JSON text.
    JsonToText,
    /// Epoch milliseconds -> `TIMESTAMP`.
    MillisToTimestamp,
    /// An object at a column's path whose fields other columns map (column left NULL).
    MappedElsewhere,
}

const CONV_COUNT: usize = 21;

impl Conv {
    const ALL: [Conv; CONV_COUNT] = [
        Conv::Integer,
        Conv::Boolean,
        Conv::Float,
        Conv::Text,
        Conv::NumericToString,
        Conv::NumericToDouble,
        Conv::DateToIso,
        Conv::TimestampToIso,
        Conv::TimestampToMillis,
        Conv::NullOmitted,
        Conv::NullWritten,
        Conv::MissingToNull,
        Conv::MissingToDefault,
        Conv::NullToNull,
        Conv::NumberToNumeric,
        Conv::StringToValue,
        Conv::NumberToText,
        Conv::BoolToText,
        Conv::JsonToText,
        Conv::MillisToTimestamp,
        Conv::MappedElsewhere,
    ];

    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Conv::Integer => "integer",
            Conv::Boolean => "boolean",
            Conv::Float => "float",
            Conv::Text => "text",
            Conv::NumericToString => "numeric_to_string",
            Conv::NumericToDouble => "numeric_to_double",
            Conv::DateToIso => "date_to_iso",
            Conv::TimestampToIso => "timestamp_to_iso",
            Conv::TimestampToMillis => "timestamp_to_epoch_millis",
            Conv::NullOmitted => "null_omitted",
            Conv::NullWritten => "null_written",
            Conv::MissingToNull => "missing_to_null",
            Conv::MissingToDefault => "missing_to_default",
            Conv::NullToNull => "null_to_null",
            Conv::NumberToNumeric => "number_to_numeric",
            Conv::StringToValue => "string_parsed",
            Conv::NumberToText => "number_to_text",
            Conv::BoolToText => "bool_to_text",
            Conv::JsonToText => "json_to_text",
            Conv::MillisToTimestamp => "epoch_millis_to_timestamp",
            Conv::MappedElsewhere => "object_mapped_by_other_columns",
        }
    }
}

/// A kind of loss: the value converted, but not exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// A `NUMERIC` whose double does not convert back to the same decimal.
    NumericPrecision,
    /// A timestamp with microseconds written as milliseconds.
    SubMillisecond,
}

const LOSS_COUNT: usize = 2;

impl Loss {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Loss::NumericPrecision => "numeric_precision",
            Loss::SubMillisecond => "timestamp_sub_millisecond",
        }
    }
}

/// One value that did not convert, or one record that broke a bound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordError {
    /// Table or collection the record came from.
    pub entity: String,
    /// The record's key as text (`42`, `"u1"`, `3,7` for composite keys).
    pub key: String,
    /// Column or field path.
    pub field: String,
    /// Why it failed.
    pub reason: String,
}

/// Counters filled during one mapping run; fixed arrays so counting costs nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    conv: [u64; CONV_COUNT],
    loss: [u64; LOSS_COUNT],
    /// Records read from the source.
    pub records_in: u64,
    /// Documents or rows produced.
    pub records_out: u64,
    /// Errors seen (all of them).
    pub errors_total: u64,
    /// The first [`ERRORS_KEPT_MAX`] errors.
    pub errors: Vec<RecordError>,
    /// Notes about the run (bounded like errors).
    pub warnings: Vec<String>,
}

impl Tally {
    /// Count one conversion.
    pub fn conv(&mut self, c: Conv) {
        self.conv[c as usize] += 1;
    }
    /// Count one loss.
    pub fn loss(&mut self, l: Loss) {
        self.loss[l as usize] += 1;
    }
    /// Count of one conversion kind.
    pub fn conv_count(&self, c: Conv) -> u64 {
        self.conv[c as usize]
    }
    /// Count of one loss kind.
    pub fn loss_count(&self, l: Loss) -> u64 {
        self.loss[l as usize]
    }
    /// Record an error (kept if fewer than [`ERRORS_KEPT_MAX`] are kept already).
    pub fn error(&mut self, entity: &str, key: String, field: &str, reason: String) {
        self.errors_total += 1;
        if self.errors.len() < ERRORS_KEPT_MAX {
            self.errors.push(RecordError {
                entity: entity.to_string(),
                key,
                field: field.to_string(),
                reason,
            });
        }
    }
    /// Add a warning (bounded).
    pub fn warn(&mut self, w: String) {
        if self.warnings.len() < ERRORS_KEPT_MAX {
            self.warnings.push(w);
        }
    }
    /// Fold another tally into this one.
    pub fn merge(&mut self, o: Tally) {
        for i in 0..CONV_COUNT {
            self.conv[i] += o.conv[i];
        }
        for i in 0..LOSS_COUNT {
            self.loss[i] += o.loss[i];
        }
        self.records_in += o.records_in;
        self.records_out += o.records_out;
        self.errors_total += o.errors_total;
        let room = ERRORS_KEPT_MAX.saturating_sub(self.errors.len());
        self.errors.extend(o.errors.into_iter().take(room));
        for w in o.warnings {
            self.warn(w);
        }
    }
    /// The report: non-zero counts by name.
    pub fn report(&self) -> ConversionReport {
        let conversions = Conv::ALL
            .iter()
            .filter(|c| self.conv[**c as usize] > 0)
            .map(|c| (c.name().to_string(), self.conv[*c as usize]))
            .collect();
        let losses = [Loss::NumericPrecision, Loss::SubMillisecond]
            .iter()
            .filter(|l| self.loss[**l as usize] > 0)
            .map(|l| (l.name().to_string(), self.loss[*l as usize]))
            .collect();
        ConversionReport {
            records_in: self.records_in,
            records_out: self.records_out,
            conversions,
            losses,
            errors_total: self.errors_total,
            errors: self.errors.clone(),
            warnings: self.warnings.clone(),
        }
    }
}

/// What a mapping run converted, lost and refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversionReport {
    /// Records read (rows or documents).
    pub records_in: u64,
    /// Records written (documents or rows).
    pub records_out: u64,
    /// Values converted, per kind.
    pub conversions: BTreeMap<String, u64>,
    /// Values that converted inexactly, per kind.
    pub losses: BTreeMap<String, u64>,
    /// Values or records refused (all of them; `errors` keeps the first 1,000).
    pub errors_total: u64,
    /// The first refused values, each naming entity, key, field and reason.
    pub errors: Vec<RecordError>,
    /// Notes, such as oversized documents.
    pub warnings: Vec<String>,
}

pub use super::text::timestamp_iso;

/// A SQL value as a JSON value; `Ok(None)` when a NULL is omitted.
pub fn sql_to_json(
    v: &Value,
    opts: &ConvertOptions,
    t: &mut Tally,
) -> Result<Option<Json>, String> {
    let out = match v {
        Value::Null => {
            if opts.nulls == NullMode::Omit {
                t.conv(Conv::NullOmitted);
                return Ok(None);
            }
            t.conv(Conv::NullWritten);
            Json::Null
        }
        Value::Int(i) => {
            t.conv(Conv::Integer);
            Json::from(*i)
        }
        Value::Bool(b) => {
            t.conv(Conv::Boolean);
            Json::Bool(*b)
        }
        Value::Real(x) => {
            t.conv(Conv::Float);
            let n = Number::from_f64(*x).ok_or_else(|| format!("{x} has no JSON number"))?;
            Json::Number(n)
        }
        Value::Numeric(n) => numeric_to_json(*n, opts, t)?,
        Value::Text(s) => {
            t.conv(Conv::Text);
            Json::String(s.clone())
        }
        Value::Date(d) => {
            t.conv(Conv::DateToIso);
            Json::String(date_iso(*d))
        }
        Value::Timestamp(us) => timestamp_to_json(*us, opts, t),
    };
    Ok(Some(out))
}

fn numeric_to_json(n: Numeric, opts: &ConvertOptions, t: &mut Tally) -> Result<Json, String> {
    if opts.numeric == NumericMode::String {
        t.conv(Conv::NumericToString);
        return Ok(Json::String(numeric_text(n)));
    }
    t.conv(Conv::NumericToDouble);
    let x = n.to_f64();
    let number = Number::from_f64(x).ok_or_else(|| format!("{n} has no finite double"))?;
    let back = Numeric::parse(&format!("{x}")).and_then(|b| b.with_scale(n.scale));
    if back != Ok(n) {
        t.loss(Loss::NumericPrecision);
    }
    Ok(Json::Number(number))
}

fn timestamp_to_json(us: i64, opts: &ConvertOptions, t: &mut Tally) -> Json {
    match opts.timestamps {
        TimestampMode::IsoString => {
            t.conv(Conv::TimestampToIso);
            Json::String(timestamp_iso(us))
        }
        TimestampMode::EpochMillis => {
            t.conv(Conv::TimestampToMillis);
            if us.rem_euclid(1_000) != 0 {
                t.loss(Loss::SubMillisecond);
            }
            Json::from(us.div_euclid(1_000))
        }
    }
}

/// A JSON field (`None` when missing) as a value of column `col`. A missing field takes
/// `default` when given, else NULL. NULL in a `NOT NULL` column is an error.
pub fn json_to_sql(
    j: Option<&Json>,
    col: &ColumnSchema,
    default: Option<&Value>,
    t: &mut Tally,
) -> Result<Value, String> {
    let v = match j {
        None => match default {
            Some(d) => {
                t.conv(Conv::MissingToDefault);
                d.clone()
            }
            None => {
                t.conv(Conv::MissingToNull);
                Value::Null
            }
        },
        Some(Json::Null) => {
            t.conv(Conv::NullToNull);
            Value::Null
        }
        Some(j) => json_value_to_sql(j, &col.ty, t)?,
    };
    if v.is_null() && col.not_null {
        let what = if j.is_none() { "missing" } else { "null" };
        return Err(format!("{what} value for NOT NULL column"));
    }
    Ok(v)
}

fn json_value_to_sql(j: &Json, ty: &SqlType, t: &mut Tally) -> Result<Value, String> {
    let text_col = matches!(ty, SqlType::Text | SqlType::Varchar(_));
    let v = match j {
        Json::Bool(b) if *ty == SqlType::Bool => {
            t.conv(Conv::Boolean);
            Value::Bool(*b)
        }
        Json::Bool(b) if text_col => {
            t.conv(Conv::BoolToText);
            Value::Text(b.to_string())
        }
        Json::Number(n) => number_to_sql(n, ty, t)?,
        Json::String(s) if text_col => {
            t.conv(Conv::Text);
            Value::Text(s.clone())
        }
        Json::String(s) => {
            t.conv(Conv::StringToValue);
            parse_text(s, ty)?
        }
        Json::Object(_) | Json::Array(_) if text_col => {
            t.conv(Conv::JsonToText);
            Value::Text(j.to_string())
        }
        other => {
            let found = crate::sim::doc::value::type_name(other);
            return Err(format!("cannot store a JSON {found} in a {ty} column"));
        }
    };
    apply_typmod(v, ty, false).map_err(|f| f.message)
}

fn number_to_sql(n: &Number, ty: &SqlType, t: &mut Tally) -> Result<Value, String> {
    let exact_int = n.as_i64();
    Ok(match ty {
        SqlType::SmallInt | SqlType::Int | SqlType::BigInt => {
            let i = exact_int.ok_or_else(|| format!("{n} is not an integer"))?;
            t.conv(Conv::Integer);
            ty.check_int(i as i128).map_err(|f| f.message)?
        }
        SqlType::Real | SqlType::Double => {
            t.conv(Conv::Float);
            Value::Real(n.as_f64().unwrap_or(f64::NAN))
        }
        SqlType::Numeric(_) => {
            t.conv(Conv::NumberToNumeric);
            let parsed = match exact_int {
                Some(i) => Ok(Numeric::from_i64(i)),
                None => Numeric::parse(&format!("{}", n.as_f64().unwrap_or(f64::NAN))),
            };
            Value::Numeric(parsed.map_err(|_| format!("{n} does not fit a numeric"))?)
        }
        SqlType::Text | SqlType::Varchar(_) => {
            t.conv(Conv::NumberToText);
            Value::Text(n.to_string())
        }
        SqlType::Timestamp => {
            let ms = exact_int.ok_or_else(|| format!("{n} is not whole epoch milliseconds"))?;
            t.conv(Conv::MillisToTimestamp);
            Value::Timestamp(ms.checked_mul(1_000).ok_or("timestamp out of range")?)
        }
        SqlType::Bool | SqlType::Date => {
            return Err(format!("cannot store a JSON number in a {ty} column"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn col(ty: SqlType, not_null: bool) -> ColumnSchema {
        ColumnSchema {
            name: "c".into(),
            ty,
            not_null,
        }
    }

    #[test]
    fn numeric_as_double_counts_precision_losses() {
        let opts = ConvertOptions {
            numeric: NumericMode::Double,
            ..ConvertOptions::default()
        };
        let mut t = Tally::default();
        let ty = SqlType::Numeric(Some((20, 2)));
        let exact = Value::Numeric(Numeric::parse("12.50").unwrap());
        let wide = Value::Numeric(Numeric::parse("123456789012345678.91").unwrap());
        assert_eq!(sql_to_json(&exact, &opts, &mut t), Ok(Some(json!(12.5))));
        sql_to_json(&wide, &opts, &mut t).unwrap();
        assert_eq!(t.loss_count(Loss::NumericPrecision), 1);
        assert_eq!(t.conv_count(Conv::NumericToDouble), 2);
        let back = json_to_sql(Some(&json!(12.5)), &col(ty, true), None, &mut t).unwrap();
        assert_eq!(back, exact);
    }

    #[test]
    fn timestamps_round_trip_as_iso_and_lose_micros_as_millis() {
        let mut t = Tally::default();
        let us = Value::Timestamp(1_706_702_400_123_456);
        let iso = sql_to_json(&us, &ConvertOptions::default(), &mut t)
            .unwrap()
            .unwrap();
        assert_eq!(iso, json!("2024-01-31T12:00:00.123456"));
        let c = col(SqlType::Timestamp, false);
        assert_eq!(json_to_sql(Some(&iso), &c, None, &mut t), Ok(us.clone()));
        let opts = ConvertOptions {
            timestamps: TimestampMode::EpochMillis,
            ..ConvertOptions::default()
        };
        let ms = sql_to_json(&us, &opts, &mut t).unwrap().unwrap();
        assert_eq!(ms, json!(1_706_702_400_123i64));
        assert_eq!(t.loss_count(Loss::SubMillisecond), 1);
    }

    #[test]
    fn nulls_missing_fields_and_refusals() {
        let mut t = Tally::default();
        let write = ConvertOptions {
            nulls: NullMode::Write,
            ..ConvertOptions::default()
        };
        let omit = ConvertOptions::default();
        assert_eq!(sql_to_json(&Value::Null, &omit, &mut t), Ok(None));
        assert_eq!(
            sql_to_json(&Value::Null, &write, &mut t),
            Ok(Some(Json::Null))
        );
        let nn = col(SqlType::Int, true);
        assert!(json_to_sql(None, &nn, None, &mut t).is_err());
        assert_eq!(
            json_to_sql(None, &nn, Some(&Value::Int(7)), &mut t),
            Ok(Value::Int(7))
        );
        let e = json_to_sql(Some(&json!(1.5)), &nn, None, &mut t).unwrap_err();
        assert_eq!(e, "1.5 is not an integer");
        let e = json_to_sql(Some(&json!({"a": 1})), &nn, None, &mut t).unwrap_err();
        assert!(e.contains("object"), "{e}");
        let text = col(SqlType::Text, false);
        assert_eq!(
            json_to_sql(Some(&json!({"a": 1})), &text, None, &mut t),
            Ok(Value::Text("{\"a\":1}".into()))
        );
        let date = col(SqlType::Date, false);
        assert!(json_to_sql(Some(&json!("2021-02-30")), &date, None, &mut t).is_err());
        assert_eq!(t.report().conversions["json_to_text"], 1);
    }
}
