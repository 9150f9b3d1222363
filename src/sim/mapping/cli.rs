//! `migrascope map --dataset NAME --rows N --seed S [--mapping FILE.json] [--docs K]`
//!
//! Generates the dataset, takes the given mapping (or suggests one), runs it over every
//! record, and prints one JSON object: the mapping with its reasons, the first K documents
//! (or rows, for the documents -> SQL direction), the conversion report, constraint
//! validation of the target, and the content checksums of both sides. File reading is left
//! to the caller (the model does no I/O); every user mistake is an `Err` with a message.

use crate::sim::sort::CollectOrdered;
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;

use super::checksum::{checksum_tables, ChecksumSink, Checksums};
use super::convert::{ConversionReport, ConvertOptions, Tally};
use super::profile::profile_docs;
use super::rules::{DocsToSql, Mapping, SqlToDocs};
use super::suggest::{suggest_docs_to_sql, suggest_sql_to_docs};
use super::to_docs::DocMapper;
use super::to_sql::RowMapper;
use super::verify::{validate_tables, ValidationReport};
use crate::sim::dataset::{generate, Dataset, DatasetKind};

/// Documents (or rows per table) printed at most.
pub const DOCS_SHOWN_MAX: usize = 1_000;

/// Usage text.
pub const USAGE: &str = "usage: migrascope map --dataset (ecommerce|content|profiles) --rows N --seed S [--mapping FILE.json] [--docs K]";

/// Parsed `map` arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapArgs {
    /// Dataset name.
    pub dataset: String,
    /// Total rows (10..=1,000,000).
    pub rows: u64,
    /// Seed.
    pub seed: u64,
    /// Path of a mapping JSON file.
    pub mapping: Option<String>,
    /// Documents to print (default 3, at most [`DOCS_SHOWN_MAX`]).
    pub docs: usize,
}

/// Parse the arguments after `map`.
pub fn parse_args(args: &[String]) -> Result<MapArgs, String> {
    let mut out = MapArgs {
        dataset: String::new(),
        rows: 0,
        seed: 0,
        mapping: None,
        docs: 3,
    };
    let (mut rows, mut seed) = (None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: \"{v}\" is not a whole number"))
        };
        match flag.as_str() {
            "--dataset" => out.dataset = value()?,
            "--rows" => rows = Some(number(value()?)?),
            "--seed" => seed = Some(number(value()?)?),
            "--mapping" => out.mapping = Some(value()?),
            "--docs" => {
                let k = number(value()?)?;
                if k as usize > DOCS_SHOWN_MAX {
                    return Err(format!("--docs must be at most {DOCS_SHOWN_MAX}"));
                }
                out.docs = k as usize;
            }
            other => return Err(format!("unknown argument \"{other}\"\n{USAGE}")),
        }
    }
    if out.dataset.is_empty() {
        return Err(format!("--dataset is required\n{USAGE}"));
    }
    out.rows = rows.ok_or_else(|| format!("--rows is required\n{USAGE}"))?;
    out.seed = seed.ok_or_else(|| format!("--seed is required\n{USAGE}"))?;
    Ok(out)
}

/// Run `map`: `read` returns a file's text (the mapping file).
pub fn run_map(
    args: &[String],
    read: &dyn Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let a = parse_args(args)?;
    let kind = DatasetKind::parse(&a.dataset).map_err(|e| e.to_string())?;
    let mapping = match &a.mapping {
        Some(path) => Some(Mapping::from_json(&read(path)?).map_err(|e| format!("{path}: {e}"))?),
        None => None,
    };
    let d = generate(kind, a.seed, a.rows).map_err(|e| e.to_string())?;
    let out = match kind {
        DatasetKind::Profiles => docs_to_sql(&d, mapping, a.docs)?,
        _ => sql_to_docs(&d, mapping, a.docs)?,
    };
    serde_json::to_string_pretty(&out).map_err(|e| e.to_string())
}

/// Everything `map` prints.
#[derive(Clone, Debug, Serialize)]
pub struct MapOutput {
    /// Dataset name.
    pub dataset: String,
    /// Requested rows.
    pub rows: u64,
    /// Seed.
    pub seed: u64,
    /// Whether the mapping was suggested (false: given in a file).
    pub suggested: bool,
    /// The mapping, with its reasons.
    pub mapping: Mapping,
    /// Suggestion warnings.
    pub warnings: Vec<String>,
    /// The first documents produced (SQL -> documents) or the source documents (documents
    /// -> SQL), with their collection.
    pub documents: Vec<Json>,
    /// The first rows of each target table (documents -> SQL only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub rows_out: BTreeMap<String, Vec<Json>>,
    /// Records out per collection or table.
    pub counts: BTreeMap<String, u64>,
    /// Conversions, losses and per-record errors.
    pub report: ConversionReport,
    /// Constraint validation of the target (SQL targets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationReport>,
    /// Content checksums of both sides, through the mapping.
    pub checksums: ChecksumPair,
}

/// Source and target checksums.
#[derive(Clone, Debug, Serialize)]
pub struct ChecksumPair {
    /// Per source table (SQL source) or per target table as read from the documents.
    pub source: Checksums,
    /// The other side.
    pub target: Checksums,
    /// Tables whose checksums differ.
    pub differing: Vec<String>,
}

fn sql_to_docs(d: &Dataset, mapping: Option<Mapping>, k: usize) -> Result<MapOutput, String> {
    let (m, suggested, warnings) = match mapping {
        Some(Mapping::SqlToDocs(m)) => (m, false, Vec::new()),
        Some(Mapping::DocsToSql(_)) => {
            return Err(format!(
                "dataset {} is SQL: the mapping must be sql_to_docs",
                d.kind.name()
            ))
        }
        None => {
            let s = suggest_sql_to_docs(&d.tables, ConvertOptions::default());
            (s.mapping, true, s.warnings)
        }
    };
    let mapper = DocMapper::new(&m, &d.tables).map_err(|e| e.to_string())?;
    let inverse = RowMapper::new(&m.inverse(&d.tables).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let (shown, counts, tally, target) = stream_docs(&mapper, &inverse, k);
    let source = checksum_tables(&d.tables, Some(&m.tables_used()));
    let differing = source.differing(&target);
    let mut warnings = warnings;
    for t in d.tables.names().filter(|t| !m.tables_used().contains(*t)) {
        warnings.push(format!(
            "table {t} is not mapped: its rows are not migrated"
        ));
    }
    Ok(MapOutput {
        dataset: d.kind.name().into(),
        rows: d.rows,
        seed: d.seed,
        suggested,
        mapping: Mapping::SqlToDocs(m),
        warnings,
        documents: shown,
        rows_out: BTreeMap::new(),
        counts,
        report: tally.report(),
        validation: None,
        checksums: ChecksumPair {
            source,
            target,
            differing,
        },
    })
}

type Streamed = (Vec<Json>, BTreeMap<String, u64>, Tally, Checksums);

/// Map every row, keeping the first `k` documents and checksumming each document as it is
/// produced (so memory does not grow with the dataset).
fn stream_docs(mapper: &DocMapper, inverse: &RowMapper, k: usize) -> Streamed {
    let names: Vec<String> = mapper
        .collection_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut sink = ChecksumSink::new(inverse);
    let mut tally = Tally::default();
    let mut back = Tally::default();
    let mut shown = Vec::new();
    let mut counts: BTreeMap<String, u64> = names.iter().map(|n| (n.clone(), 0)).collect_map();
    mapper.for_each(&mut tally, |i, doc| {
        inverse.map_doc(i, &doc, &mut back, &mut sink);
        *counts.entry(names[i].clone()).or_insert(0) += 1;
        if shown.len() < k {
            shown.push(serde_json::json!({"collection": names[i], "doc": doc}));
        }
    });
    for e in back.errors {
        tally.warn(format!(
            "reading back {}: {} {}: {}",
            e.entity, e.key, e.field, e.reason
        ));
    }
    (shown, counts, tally, sink.checksums())
}

fn docs_to_sql(d: &Dataset, mapping: Option<Mapping>, k: usize) -> Result<MapOutput, String> {
    let (name, docs) = d.collections.first().ok_or("dataset has no collections")?;
    let (m, suggested, warnings) = match mapping {
        Some(Mapping::DocsToSql(m)) => (m, false, Vec::new()),
        Some(Mapping::SqlToDocs(_)) => {
            return Err(format!(
                "dataset {} is documents: the mapping must be docs_to_sql",
                d.kind.name()
            ))
        }
        None => {
            let s = suggest_docs_to_sql(&profile_docs(name, docs), ConvertOptions::default());
            (s.mapping, true, s.warnings)
        }
    };
    let mapper = RowMapper::new(&m).map_err(|e| e.to_string())?;
    let (tables, tally) = mapper.map_all(docs.iter().map(|doc| (name.as_str(), doc)));
    let mut source_sink = ChecksumSink::new(&mapper);
    let mut scratch = Tally::default();
    if let Some(i) = mapper.collection_index(name) {
        for doc in docs {
            mapper.map_doc(i, doc, &mut scratch, &mut source_sink);
        }
    }
    let source = source_sink.checksums();
    let target = checksum_tables(&tables, None);
    let rows_out = tables
        .iter()
        .map(|t| {
            let rows = t
                .rows
                .iter()
                .take(k)
                .map(|r| row_json(&t.schema, r))
                .collect();
            (t.schema.name.clone(), rows)
        })
        .collect();
    Ok(MapOutput {
        dataset: d.kind.name().into(),
        rows: d.rows,
        seed: d.seed,
        suggested,
        documents: docs
            .iter()
            .take(k)
            .map(|doc| serde_json::json!({"collection": name, "doc": doc}))
            .collect(),
        rows_out,
        counts: super::verify::table_counts(&tables),
        report: tally.report(),
        validation: Some(validate_tables(&tables)),
        checksums: ChecksumPair {
            differing: source.differing(&target),
            source,
            target,
        },
        mapping: Mapping::DocsToSql(m),
        warnings,
    })
}

fn row_json(s: &super::relational::TableSchema, row: &crate::sim::sql::Row) -> Json {
    let m = s
        .columns
        .iter()
        .zip(row)
        .map(|(c, v)| {
            (
                c.name.clone(),
                serde_json::from_str(&v.to_json_as(&c.ty)).unwrap_or(Json::Null),
            )
        })
        .collect();
    Json::Object(m)
}

/// The DDL a documents -> SQL mapping creates (for printing and for running in the store).
pub fn target_ddl(m: &DocsToSql) -> Result<String, String> {
    let mut t = super::relational::Tables::new();
    for def in &m.tables {
        let (s, _) = def.resolve().map_err(|e| e.to_string())?;
        t.insert(super::relational::TableData {
            schema: s,
            rows: Vec::new(),
        });
    }
    Ok(t.create_sql())
}

/// A mapping's JSON for an SQL dataset, suggested (handy for writing mapping files).
pub fn suggested_mapping(d: &Dataset) -> SqlToDocs {
    suggest_sql_to_docs(&d.tables, ConvertOptions::default()).mapping
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn no_files(p: &str) -> Result<String, String> {
        Err(format!("cannot read {p}"))
    }

    #[test]
    fn bad_input_gives_clear_messages() {
        let run = |s: &str| run_map(&args(s), &no_files).unwrap_err();
        assert!(run("--dataset shop --rows 100 --seed 1").contains("unknown dataset \"shop\""));
        assert!(run("--dataset ecommerce --rows 5 --seed 1").contains("10..=1000000"));
        assert!(run("--dataset ecommerce --rows 2000000 --seed 1").contains("not 2000000"));
        assert!(run("--dataset ecommerce --rows x --seed 1").contains("not a whole number"));
        assert!(run("--dataset ecommerce --seed 1").contains("--rows is required"));
        assert!(
            run("--dataset ecommerce --rows 100 --seed 1 --mapping m.json")
                .contains("cannot read m.json")
        );
        let bad = |_: &str| {
            Ok::<_, String>("{\"sql_to_docs\": {\"collections\": [{\"collection\": \"c\", \"table\": \"nope\"}]}}".to_string())
        };
        let e = run_map(
            &args("--dataset ecommerce --rows 100 --seed 1 --mapping m.json"),
            &bad,
        )
        .unwrap_err();
        assert!(e.contains("unknown table \"nope\""), "{e}");
        let junk = |_: &str| Ok::<_, String>("{\"sql_to_docs\": 3}".to_string());
        let e = run_map(
            &args("--dataset ecommerce --rows 100 --seed 1 --mapping m.json"),
            &junk,
        )
        .unwrap_err();
        assert!(e.contains("not a valid mapping"), "{e}");
    }

    #[test]
    fn map_prints_mapping_documents_report_and_matching_checksums() {
        for ds in ["ecommerce", "content"] {
            let out = run_map(
                &args(&format!("--dataset {ds} --rows 500 --seed 3 --docs 2")),
                &no_files,
            )
            .unwrap();
            let v: Json = serde_json::from_str(&out).unwrap();
            assert_eq!(v["documents"].as_array().unwrap().len(), 2);
            assert!(v["mapping"]["sql_to_docs"]["collections"][0]["reason"].is_string());
            assert_eq!(v["checksums"]["differing"], serde_json::json!([]), "{ds}");
            assert_eq!(v["report"]["errors_total"], 0);
        }
    }

    #[test]
    fn profiles_map_to_tables_and_report_dirty_values() {
        let out = run_map(&args("--dataset profiles --rows 3000 --seed 3"), &no_files).unwrap();
        let v: Json = serde_json::from_str(&out).unwrap();
        assert!(v["report"]["errors_total"].as_u64().unwrap() > 0);
        assert_eq!(v["validation"]["violations_total"], 0);
        assert!(v["counts"]["profiles_addresses"].as_u64().unwrap() > 0);
        assert_eq!(v["checksums"]["differing"], serde_json::json!([]));
    }
}
