//! A migration's records in the Data view: a few source records (root rows with the rows
//! embedded into their documents, or source documents) next to what they became, each in
//! the state the job gives it, read through the job's own [`SideOps`] checks: in the target and
//! equal to what the mapping gives for the live source (copied), in the target but the source
//! changed since (changed since copy), not in the target (pending), or refused by the
//! conversion (failed). Fields are marked from the mapping (renamed, embedded, left out) and
//! from the data layer's conversion of each value (converted, lost).

use crate::sim::sort::CollectOrdered;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::ColumnView;
use crate::sim::engine::migration::Job;
use crate::sim::mapping::convert::{json_to_sql, sql_to_json, Conv, Loss};
use crate::sim::mapping::relational::type_sql;
use crate::sim::mapping::rules::plain_fields;
use crate::sim::mapping::{
    CollectionMap, ConvertOptions, DocMapper, Embed, EmbedKind, RowMapper, RowSink, TableRule,
    TableSchema, Tables, Tally,
};
use crate::sim::migrate::source::{int, solo_mapping};
use crate::sim::migrate::{
    CopyJob, Direction, Migration, Phase, Progress, SideOps, ToDocs, ToRows, UnitKey,
};
use crate::sim::sql::{Row, Value};
use crate::sim::Simulation;

/// Records shown: spread over the first collection's keys, so they change state one after
/// another as the copy moves through it.
pub const RECORDS_SHOWN_MAX: usize = 4;
/// Rows shown per table of one record; the rest are counted.
pub const ROWS_PER_TABLE_MAX: usize = 3;
/// Lines of a document shown; the rest are counted.
pub const DOC_LINES_MAX: usize = 40;
/// Field notes per record.
pub const NOTES_MAX: usize = 12;
/// Fields named as changed since the copy.
const CHANGED_MAX: usize = 8;

/// The migration part of the Data view.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationData {
    /// "SQL tables → documents" or "documents → SQL tables".
    pub direction: &'static str,
    pub sql_to_docs: bool,
    /// The job's phase, in words.
    pub phase: String,
    /// The collection the records belong to.
    pub entity: String,
    pub records: Vec<RecordView>,
}

/// Where one record stands in the job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordState {
    /// Not in the target yet.
    Pending,
    /// Not in the target, and the job has finished (rolled back, or the target dropped).
    Absent,
    /// In the target, equal to what the mapping gives for the live source.
    Copied,
    /// In the target, but the source changed since it was copied (the change is waiting).
    Changed,
    /// The conversion refused it, with the reason.
    Failed(String),
}

impl RecordState {
    /// One word or phrase.
    pub fn word(&self) -> &'static str {
        match self {
            RecordState::Pending => "pending",
            RecordState::Absent => "not in the target",
            RecordState::Copied => "copied",
            RecordState::Changed => "changed since copy",
            RecordState::Failed(_) => "failed",
        }
    }
    /// A sign beside the word.
    pub fn symbol(&self) -> &'static str {
        match self {
            RecordState::Pending => "…",
            RecordState::Absent => "–",
            RecordState::Copied => "✓",
            RecordState::Changed => "≠",
            RecordState::Failed(_) => "✗",
        }
    }
}

/// What happened to a field on the way to the other side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    /// It has another name there.
    Renamed,
    /// Its value changed type (numeric to text, text parsed as a date...).
    Converted,
    /// It moved into (or out of) a nested object or array.
    Embedded,
    /// It is not there, or its value did not survive exactly.
    Lost,
}

impl Mark {
    pub fn word(self) -> &'static str {
        match self {
            Mark::Renamed => "renamed",
            Mark::Converted => "converted",
            Mark::Embedded => "embedded",
            Mark::Lost => "lost",
        }
    }
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Renamed => "↪",
            Mark::Converted => "⇄",
            Mark::Embedded => "⊂",
            Mark::Lost => "✗",
        }
    }
}

/// One value of a row, with its mark and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub mark: Option<(Mark, String)>,
}

/// Some rows of one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableView {
    pub name: String,
    /// How the table relates to the document ("root row", "embedded as orders[]").
    pub role: String,
    pub columns: Vec<ColumnView>,
    pub rows: Vec<Vec<Cell>>,
    /// Rows not shown.
    pub rows_more: usize,
}

/// A marked field of the document side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldNote {
    pub field: String,
    pub mark: Mark,
    pub detail: String,
}

/// One record on both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordView {
    pub key: i64,
    pub state: RecordState,
    /// The SQL side: the source rows (SQL -> documents) or the rows the mapping gives for
    /// the document (documents -> SQL).
    pub tables: Vec<TableView>,
    /// What the SQL side is.
    pub tables_caption: String,
    /// The document side, pretty JSON (cut at [`DOC_LINES_MAX`] lines).
    pub doc: String,
    /// Lines of the document not shown.
    pub doc_lines_more: usize,
    /// What the document is ("in the target", "the source document").
    pub doc_caption: String,
    pub notes: Vec<FieldNote>,
    /// Top-level fields where the target's copy and the live source now differ.
    pub changed: Vec<String>,
    /// The data layer's conversion tally for this record, in words.
    pub tally: String,
}

/// The migration part of the view, once a migration was started.
pub fn migration_data(sim: &Simulation) -> Option<MigrationData> {
    let run = sim.migration()?;
    Some(match run.job() {
        Job::ToDocs(j) => to_docs_data(j),
        Job::ToRows(j) => to_rows_data(j),
        // Same-store copies have no record view yet: the header only.
        Job::DocsToDocs(j) => head(j, j.side().names()[0].clone(), Vec::new()),
        Job::SqlToSql(j) => head(j, j.side().names()[0].clone(), Vec::new()),
    })
}

fn head(j: &CopyJob, entity: String, records: Vec<RecordView>) -> MigrationData {
    let sql_to_docs = j.config().direction == Direction::SqlToDocs;
    MigrationData {
        direction: match j.config().direction {
            Direction::SqlToDocs => "SQL tables → documents",
            Direction::DocsToSql => "documents → SQL tables",
            Direction::DocsToDocs => "documents → documents at a new schema version",
            Direction::SqlToSql => "SQL tables → SQL tables under a new schema",
        },
        sql_to_docs,
        phase: j.phase().name().replace('_', " "),
        entity,
        records,
    }
}

/// Unit `u`'s state, from the job's own checks: the continuous verifier's comparison with
/// the mapped live source (failed units are left out of it) and the target's unit list.
fn unit_state(j: &CopyJob, u: UnitKey, entity: &str) -> RecordState {
    let side = j.side();
    let (_, ok, bad) = side.check_units(&[u], &BTreeSet::new());
    if ok + bad == 0 {
        return RecordState::Failed(failure(j.progress(), entity, u.1));
    }
    let mut cursor = u;
    let present = side.units_from(&mut cursor, 1).first() == Some(&u);
    match (present, ok > 0) {
        (true, true) => RecordState::Copied,
        (true, false) => RecordState::Changed,
        (false, _) if j.is_done() || j.phase() == Phase::Rollback => RecordState::Absent,
        (false, _) => RecordState::Pending,
    }
}

fn failure(p: &Progress, entity: &str, key: i64) -> String {
    let key = key.to_string();
    p.errors
        .iter()
        .find(|e| e.table == entity && e.key == key)
        .map_or_else(|| "does not convert".into(), |e| e.message.clone())
}

/// The keys shown out of sorted `keys` (`at(i)` is the i-th; `live` says whether one is
/// still there): one every `(span - 1) / (n - 1)` keys from the first, the first live key at
/// or after each. `span` is the snapshot's size once taken, so the picks stay put while the
/// application inserts rows.
fn picks(
    len: usize,
    span: u64,
    at: impl Fn(usize) -> Option<i64>,
    live: impl Fn(i64) -> bool,
) -> Vec<i64> {
    let Some(first) = at(0) else {
        return Vec::new();
    };
    let span = if span > 0 { span as i64 } else { len as i64 };
    let stride = ((span - 1) / (RECORDS_SHOWN_MAX as i64 - 1).max(1)).max(1);
    let mut out = Vec::new();
    let mut i = 0usize;
    for want in (0..RECORDS_SHOWN_MAX as i64).map(|n| first.saturating_add(n * stride)) {
        while i < len && at(i).is_some_and(|k| k < want || !live(k)) {
            i += 1;
        }
        match at(i) {
            Some(k) if i < len && out.last() != Some(&k) => out.push(k),
            _ => {}
        }
    }
    out
}

/// The snapshot's size of collection `name` (0 before the snapshot).
fn snapshot_size(p: &Progress, name: &str) -> u64 {
    p.tables.get(name).map_or(0, |t| t.total)
}

/// Pretty JSON cut at [`DOC_LINES_MAX`] lines, and the lines cut.
fn pretty(doc: &Json) -> (String, usize) {
    let text = serde_json::to_string_pretty(doc).unwrap_or_default();
    let lines = text.lines().count();
    if lines <= DOC_LINES_MAX {
        return (text, 0);
    }
    let cut: Vec<&str> = text.lines().take(DOC_LINES_MAX).collect();
    (cut.join("\n"), lines - DOC_LINES_MAX)
}

/// The data layer's tally in words: conversions by kind, losses, refusals.
fn tally_text(t: &Tally) -> String {
    let r = t.report();
    let list = |m: &BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, n)| format!("{} {n}", k.replace('_', " ")))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let losses = match r.losses.is_empty() {
        true => "none".to_string(),
        false => list(&r.losses),
    };
    format!(
        "converted: {}; lost: {losses}; refused: {}",
        list(&r.conversions),
        r.errors_total
    )
}

/// Top-level fields whose values differ between two documents.
fn changed_fields(a: &Json, b: &Json) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return Vec::new();
    };
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect_set();
    names
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .take(CHANGED_MAX)
        .cloned()
        .collect()
}

fn columns_of(s: &TableSchema) -> Vec<ColumnView> {
    s.columns
        .iter()
        .map(|c| ColumnView {
            name: c.name.clone(),
            ty: type_sql(&c.ty),
        })
        .collect()
}

fn value_text(v: &Value, s: &TableSchema, i: usize) -> String {
    let ty = s.columns.get(i).map(|c| &c.ty);
    ty.and_then(|t| v.to_text_as(t))
        .unwrap_or_else(|| "NULL".into())
}

// ---- SQL -> documents ----

/// How one table of a collection's tree enters the document.
#[derive(Clone, Debug)]
struct Place<'m> {
    /// The embed rule (None: the root table).
    embed: Option<&'m Embed>,
    /// The embeds inside this table's rows.
    inner: &'m [Embed],
}

/// Every table of collection `c`'s tree, root first, in the mapping's order.
fn places(c: &CollectionMap) -> Vec<(String, Place<'_>)> {
    fn walk<'m>(embeds: &'m [Embed], out: &mut Vec<(String, Place<'m>)>) {
        for e in embeds {
            out.push((
                e.table.clone(),
                Place {
                    embed: Some(e),
                    inner: &e.embed,
                },
            ));
            walk(&e.embed, out);
        }
    }
    let mut out = vec![(
        c.table.clone(),
        Place {
            embed: None,
            inner: &c.embed,
        },
    )];
    walk(&c.embed, &mut out);
    out
}

fn role(p: &Place) -> String {
    match p.embed {
        None => "root row: one document each".into(),
        Some(e) => match e.kind {
            EmbedKind::Array => format!("embedded as {}[]", e.field),
            EmbedKind::Object => format!("embedded as {} {{…}}", e.field),
            EmbedKind::Merge => format!("merged in with the prefix {}", e.field),
            EmbedKind::IdArray => format!("ids in {}[]", e.field),
        },
    }
}

/// What the mapping does to column `i` of a table at place `p`, if anything; `fields` are
/// the table's plain fields there.
fn structural(
    p: &Place,
    fields: &[(usize, String)],
    s: &TableSchema,
    i: usize,
) -> Option<(Mark, String)> {
    let col = &s.columns.get(i)?.name;
    if let Some((_, f)) = fields.iter().find(|(j, _)| *j == i) {
        return match p.embed {
            None if f != col => Some((Mark::Renamed, format!("{col} → {f}"))),
            Some(e) if e.kind == EmbedKind::Merge => {
                Some((Mark::Renamed, format!("{col} → {}{f}", e.field)))
            }
            Some(e) if e.kind == EmbedKind::IdArray && Some(col) == e.value_column.as_ref() => {
                Some((Mark::Embedded, format!("an id in {}[]", e.field)))
            }
            Some(e) if e.kind == EmbedKind::IdArray => Some((
                Mark::Lost,
                format!("not in the document: only {}[] ids", e.field),
            )),
            _ => None,
        };
    }
    if let Some(e) = p
        .inner
        .iter()
        .find(|e| e.kind == EmbedKind::Object && e.foreign_key == *col)
    {
        return Some((
            Mark::Embedded,
            format!("replaced by the {} object", e.field),
        ));
    }
    let why = match p.embed {
        Some(e) if e.kind == EmbedKind::Merge => "the parent's foreign key holds it".to_string(),
        Some(e) => format!("not in the document: implied by nesting in {}", e.field),
        None => "not in the document".to_string(),
    };
    Some((Mark::Lost, why))
}

/// The column a table's rows lose by being nested (their foreign key to the parent).
fn dropped<'m>(p: &Place<'m>) -> Option<&'m str> {
    match p.embed {
        Some(e) if matches!(e.kind, EmbedKind::Array | EmbedKind::IdArray) => {
            Some(e.foreign_key.as_str())
        }
        _ => None,
    }
}

/// What the data layer's conversion does to one value.
fn conversion(v: &Value, opts: &ConvertOptions) -> Option<(Mark, String)> {
    let mut t = Tally::default();
    if let Err(why) = sql_to_json(v, opts, &mut t) {
        return Some((Mark::Lost, why));
    }
    let lost = [
        (Loss::NumericPrecision, "numeric → double: digits lost"),
        (
            Loss::SubMillisecond,
            "timestamp → epoch ms: microseconds cut",
        ),
    ];
    if let Some((_, why)) = lost.iter().find(|(l, _)| t.loss_count(*l) > 0) {
        return Some((Mark::Lost, why.to_string()));
    }
    if t.conv_count(Conv::NullOmitted) > 0 {
        return Some((Mark::Lost, "NULL left out of the document".into()));
    }
    let converted = [
        (Conv::NumericToString, "numeric → text"),
        (Conv::NumericToDouble, "numeric → double"),
        (Conv::DateToIso, "date → ISO text"),
        (Conv::TimestampToIso, "timestamp → ISO text"),
        (Conv::TimestampToMillis, "timestamp → epoch ms"),
    ];
    converted
        .iter()
        .find(|(c, _)| t.conv_count(*c) > 0)
        .map(|(_, why)| (Mark::Converted, why.to_string()))
}

/// One mark from what the mapping does (`rule`) and what the conversion does (`value`): the
/// rule's mark unless the value was lost, both reasons in words.
fn combine(rule: Option<(Mark, String)>, value: Option<(Mark, String)>) -> Option<(Mark, String)> {
    match (rule, value) {
        (Some((r, a)), Some((v, b))) => {
            let mark = if v == Mark::Lost { v } else { r };
            Some((mark, format!("{a}; {b}")))
        }
        (one, None) | (None, one) => one,
    }
}

/// The cells of one source row at place `p`.
fn sql_row(p: &Place, s: &TableSchema, row: &Row, opts: &ConvertOptions) -> Vec<Cell> {
    let fields = plain_fields(s, p.embed.is_none(), dropped(p), p.inner);
    row.iter()
        .enumerate()
        .map(|(i, v)| Cell {
            text: value_text(v, s, i),
            mark: combine(structural(p, &fields, s, i), conversion(v, opts)),
        })
        .collect()
}

/// The gathered rows of one document, table by table, with their marks.
fn source_tables(mini: &Tables, c: &CollectionMap, opts: &ConvertOptions) -> Vec<TableView> {
    places(c)
        .iter()
        .filter_map(|(name, p)| {
            let t = mini.get(name)?;
            let rows = t
                .rows
                .iter()
                .take(ROWS_PER_TABLE_MAX)
                .map(|r| sql_row(p, &t.schema, r, opts))
                .collect();
            Some(TableView {
                name: name.clone(),
                role: role(p),
                columns: columns_of(&t.schema),
                rows,
                rows_more: t.rows.len().saturating_sub(ROWS_PER_TABLE_MAX),
            })
        })
        .collect()
}

/// Each marked column once, as `table.column`.
fn cell_notes(tables: &[TableView]) -> Vec<FieldNote> {
    let mut notes = Vec::new();
    let mut seen = BTreeSet::new();
    for t in tables {
        for row in &t.rows {
            for (col, cell) in t.columns.iter().zip(row) {
                let Some((mark, why)) = &cell.mark else {
                    continue;
                };
                if seen.insert((t.name.clone(), col.name.clone())) {
                    notes.push(FieldNote {
                        field: format!("{}.{}", t.name, col.name),
                        mark: *mark,
                        detail: why.clone(),
                    });
                }
            }
        }
    }
    notes
}

/// What an embed put into the document, with the rows it took.
fn embed_text(e: &Embed, rows: usize) -> String {
    let t = &e.table;
    match e.kind {
        EmbedKind::Array if rows == 1 => format!("1 row of {t} as an array"),
        EmbedKind::Array => format!("{rows} rows of {t} as an array"),
        EmbedKind::Object => format!("the {t} row it references, as an object"),
        EmbedKind::Merge => format!("the {t} row's columns merged in"),
        EmbedKind::IdArray => format!("{rows} ids from {t}"),
    }
}

/// The document side's notes: each marked column once, and each embed with its rows.
fn doc_notes(tables: &[TableView], c: &CollectionMap, mini: &Tables) -> Vec<FieldNote> {
    let embeds = places(c).into_iter().skip(1).filter_map(|(name, p)| {
        let n = mini.get(&name).map_or(0, |t| t.rows.len());
        Some(FieldNote {
            field: p.embed?.field.clone(),
            mark: Mark::Embedded,
            detail: embed_text(p.embed?, n),
        })
    });
    let embeds: Vec<FieldNote> = embeds.collect();
    embeds
        .into_iter()
        .chain(cell_notes(tables))
        .take(NOTES_MAX)
        .collect()
}

/// The root keys shown: spread over the first collection's live rows.
fn root_keys(j: &Migration<ToDocs>, coll: &CollectionMap) -> Vec<i64> {
    let src = &j.side().src;
    let (Some(t), Some(k)) = (src.tables.get(&coll.table), src.key_col(&coll.table)) else {
        return Vec::new();
    };
    let at = |i: usize| int(t.rows.get(i)?.get(k)?);
    let live = |key: i64| src.row(&coll.table, key).is_some();
    let span = snapshot_size(j.progress(), &coll.collection);
    picks(t.rows.len(), span, at, live)
}

fn to_docs_data(j: &Migration<ToDocs>) -> MigrationData {
    let side = j.side();
    let Some(coll) = side.mapping.collections.first() else {
        return head(j, String::new(), Vec::new());
    };
    let records = root_keys(j, coll)
        .into_iter()
        .map(|key| to_docs_record(j, coll, key))
        .collect();
    head(j, coll.collection.clone(), records)
}

/// One root row with what it embeds, next to its document.
fn to_docs_record(j: &Migration<ToDocs>, coll: &CollectionMap, key: i64) -> RecordView {
    let side = j.side();
    let state = unit_state(j, (0, key), &coll.table);
    let mini = side.src.gather(&side.mapping, 0, &[key]);
    let solo = solo_mapping(&side.mapping, 0);
    let mut tally = Tally::default();
    let expected = DocMapper::new(&solo, &mini)
        .ok()
        .filter(|m| m.root_rows(0) > 0)
        .and_then(|m| m.document(0, 0, &mut tally));
    let target: Option<Json> = side
        .target_doc(0, key)
        .and_then(|t| serde_json::from_str(t).ok());
    let ((doc, doc_lines_more), doc_caption) = match (&target, &expected) {
        (Some(t), _) => (
            pretty(t),
            format!("in the target collection {}", coll.collection),
        ),
        (None, Some(e)) => (
            pretty(e),
            "not in the target: what the mapping gives".into(),
        ),
        (None, None) => ((String::new(), 0), "no document".into()),
    };
    let changed = match (&target, &expected) {
        (Some(t), Some(e)) => changed_fields(t, e),
        _ => Vec::new(),
    };
    let tables = source_tables(&mini, coll, &side.mapping.options);
    let notes = doc_notes(&tables, coll, &mini);
    RecordView {
        key,
        state,
        tables,
        doc,
        doc_lines_more,
        doc_caption,
        notes,
        changed,
        tally: tally_text(&tally),
        tables_caption: format!("source rows of {}", coll.table),
    }
}

// ---- documents -> SQL ----

struct Collect(Vec<(usize, Row)>);

impl RowSink for Collect {
    fn row(&mut self, table: usize, row: Row, _dedupe: bool) {
        self.0.push((table, row));
    }
}

/// Every table rule of a collection, by table name (the first rule of a table wins).
fn rules_by_table(root: &TableRule) -> BTreeMap<&str, &TableRule> {
    fn walk<'r>(r: &'r TableRule, out: &mut BTreeMap<&'r str, &'r TableRule>) {
        out.entry(r.table.as_str()).or_insert(r);
        for c in &r.children {
            walk(c, out);
        }
    }
    let mut out = BTreeMap::new();
    walk(root, &mut out);
    out
}

/// What a rule does to column `col`: read from another path, or filled from the nesting.
fn rule_mark(r: &TableRule, col: &str) -> Option<(Mark, String)> {
    if let Some(c) = r.columns.iter().find(|c| c.column == col) {
        return match c.path.as_str() {
            p if p == col => None,
            p if p.contains('.') => Some((Mark::Embedded, format!("from the nested field {p}"))),
            p => Some((Mark::Renamed, format!("{p} → {col}"))),
        };
    }
    let nested = |what: &str| Some((Mark::Embedded, format!("{what} of {}[]", r.path)));
    match Some(col) {
        c if c == r.parent_column.as_deref() => Some((
            Mark::Embedded,
            format!(
                "the parent's {}: from the nesting",
                r.parent_key.as_deref().unwrap_or("key")
            ),
        )),
        c if c == r.position_column.as_deref() => nested("position"),
        c if c == r.value_column.as_deref() => nested("an element"),
        _ => Some((
            Mark::Converted,
            "no field: NULL or the column default".into(),
        )),
    }
}

/// What the data layer's conversion does to a root field read into column `i`.
fn json_conversion(doc: &Json, r: &TableRule, s: &TableSchema, i: usize) -> Option<(Mark, String)> {
    let col = s.columns.get(i)?;
    let rule = r.columns.iter().find(|c| c.column == col.name)?;
    let segs: Vec<String> = rule.path.split('.').map(str::to_string).collect();
    let field = crate::sim::mapping::to_sql::get(doc, &segs);
    let mut t = Tally::default();
    if let Err(why) = json_to_sql(field, col, None, &mut t) {
        return Some((Mark::Lost, why));
    }
    let ty = type_sql(&col.ty);
    let converted = [
        (Conv::StringToValue, format!("text parsed as {ty}")),
        (Conv::NumberToText, "number → text".into()),
        (Conv::BoolToText, "boolean → text".into()),
        (Conv::JsonToText, "object or array → JSON text".into()),
        (Conv::MillisToTimestamp, "epoch ms → timestamp".into()),
        (Conv::NumberToNumeric, format!("number → {ty}")),
        (Conv::MissingToNull, format!("no field {}: NULL", rule.path)),
    ];
    converted
        .into_iter()
        .find(|(c, _)| t.conv_count(*c) > 0)
        .map(|(_, why)| (Mark::Converted, why))
}

/// Top-level fields of `doc` that no rule of the collection reads.
fn unread_fields(doc: &Json, root: &TableRule) -> Vec<FieldNote> {
    let mut read = BTreeSet::new();
    read.insert(crate::sim::doc::ID_FIELD.to_string());
    for c in &root.columns {
        read.insert(c.path.split('.').next().unwrap_or_default().to_string());
    }
    for ch in &root.children {
        read.insert(ch.path.split('.').next().unwrap_or_default().to_string());
    }
    let fields = doc.as_object().map(|o| o.keys().collect::<Vec<_>>());
    fields
        .unwrap_or_default()
        .into_iter()
        .filter(|f| !read.contains(*f))
        .map(|f| FieldNote {
            field: f.clone(),
            mark: Mark::Lost,
            detail: "no table reads it: not in the target".into(),
        })
        .collect()
}

/// A mapped row's cells: what the rule does to each column and, for the document's own row,
/// what the conversion did to the field it read.
fn row_cells(
    doc: &Json,
    rule: Option<&TableRule>,
    root: bool,
    s: &TableSchema,
    row: &Row,
) -> Vec<Cell> {
    row.iter()
        .enumerate()
        .map(|(i, v)| {
            let r = rule.and_then(|r| rule_mark(r, &s.columns.get(i)?.name));
            let conv = match (rule, root) {
                (Some(rule), true) => json_conversion(doc, rule, s, i),
                _ => None,
            };
            Cell {
                text: value_text(v, s, i),
                mark: combine(r, conv),
            }
        })
        .collect()
}

/// The rows the mapping gives for `doc`, table by table, with their marks.
fn mapped_tables(
    mapper: &RowMapper,
    ci: usize,
    doc: &Json,
    root: &TableRule,
    tally: &mut Tally,
) -> Vec<TableView> {
    let mut sink = Collect(Vec::new());
    mapper.map_doc(ci, doc, tally, &mut sink);
    let rules = rules_by_table(root);
    let mut by_table: BTreeMap<usize, Vec<Row>> = BTreeMap::new();
    for (ti, row) in sink.0 {
        by_table.entry(ti).or_default().push(row);
    }
    by_table
        .into_iter()
        .filter_map(|(ti, rows)| {
            let s = mapper.schemas().get(ti)?;
            let rule = rules.get(s.name.as_str()).copied();
            let is_root = rule.is_some_and(|r| std::ptr::eq(r, root));
            Some(TableView {
                name: s.name.clone(),
                role: match rule {
                    Some(r) if r.path.is_empty() => "the document's own row".into(),
                    Some(r) => format!("from {}", r.path),
                    None => "a copy".into(),
                },
                columns: columns_of(s),
                rows: rows
                    .iter()
                    .take(ROWS_PER_TABLE_MAX)
                    .map(|row| row_cells(doc, rule, is_root, s, row))
                    .collect(),
                rows_more: rows.len().saturating_sub(ROWS_PER_TABLE_MAX),
            })
        })
        .collect()
}

/// What the rows beside a source document are: the model keeps the target's rows to itself,
/// so they are the rows the mapping gives, which the target holds exactly when copied.
fn rows_caption(state: &RecordState) -> String {
    match state {
        RecordState::Copied => "the rows the mapping gives, as the target holds them".into(),
        RecordState::Changed => "the rows the mapping gives now; the target still holds the \
            rows of an earlier version"
            .into(),
        _ => "the rows the mapping gives (not in the target)".into(),
    }
}

fn to_rows_data(j: &Migration<ToRows>) -> MigrationData {
    let side = j.side();
    let Some((name, docs)) = side.src.colls.first() else {
        return head(j, String::new(), Vec::new());
    };
    let rule = side
        .mapping
        .collections
        .iter()
        .find(|c| c.collection == *name);
    let mapper = RowMapper::new(&side.mapping).ok();
    let (Some(rule), Some(mapper)) = (rule, mapper) else {
        return head(j, name.clone(), Vec::new());
    };
    let Some(ci) = mapper.collection_index(name) else {
        return head(j, name.clone(), Vec::new());
    };
    let keys: Vec<i64> = docs.keys().copied().collect();
    let span = snapshot_size(j.progress(), name);
    let shown = picks(keys.len(), span, |i| keys.get(i).copied(), |_| true);
    let records = shown
        .iter()
        .filter_map(|key| Some((key, docs.get(key)?)))
        .map(|(key, doc)| {
            let mut tally = Tally::default();
            let (text, doc_lines_more) = pretty(doc);
            let tables = mapped_tables(&mapper, ci, doc, &rule.root, &mut tally);
            let state = unit_state(j, (0, *key), name);
            RecordView {
                key: *key,
                doc: text,
                doc_lines_more,
                doc_caption: format!("the source document in {name}"),
                notes: cell_notes(&tables)
                    .into_iter()
                    .chain(unread_fields(doc, &rule.root))
                    .take(NOTES_MAX)
                    .collect(),
                tables_caption: rows_caption(&state),
                changed: Vec::new(),
                tally: tally_text(&tally),
                state,
                tables,
            }
        })
        .collect();
    head(j, name.clone(), records)
}
