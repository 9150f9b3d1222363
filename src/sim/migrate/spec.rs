//! The `migration` section of a scenario: which dataset, how many rows, which mapping, the
//! job's configuration, the application's writes and the injected faults. [`run`] builds
//! the job from it and runs it to the end.

use serde::{Deserialize, Serialize};

use super::app::AppSettings;
use super::cache::CacheSettings;
use super::config::{check, invalid, ConfigError, Direction, MigrationConfig, Strategy};
use super::docs_to_docs::DocsToDocs;
use super::expand::ExpandSettings;
use super::fault::{Fault, FaultPlan};
use super::in_place::InPlaceChange;
use super::job::Migration;
use super::lazy::LazySettings;
use super::report::MigrationReport;
use super::side::{Side, SideOps};
use super::sql_to_sql::SqlToSql;
use super::to_docs::ToDocs;
use super::to_rows::ToRows;
use super::workload::{WriteWorkload, Writer};
use crate::sim::dataset::{generate, DatasetKind, ROWS_MAX, ROWS_MIN};
use crate::sim::doc::builtin::{sample_users, users_migrations, users_schema_v1, USERS};
use crate::sim::mapping::profile::profile_docs;
use crate::sim::mapping::suggest::{suggest_docs_to_sql, suggest_sql_to_docs};
use crate::sim::mapping::{ConvertOptions, DocsToSql, SqlToDocs, Tables};

/// Most events one run may handle (a bound on the loop, far above real runs).
pub const EVENTS_MAX: u64 = 50_000_000;

/// Which mapping the migration uses: a preset's name, or rules (told apart by their shape:
/// `docs_to_sql` rules name `tables`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MappingSpec {
    /// A named preset: `suggested` (the data layer's suggestion), or `orders_with_copies`
    /// (e-commerce orders embedding a copy of their customer and of each item's product:
    /// the fan-out case).
    Preset(String),
    /// Explicit SQL -> documents rules, as `migrascope map` prints them under `sql_to_docs`.
    Rules(SqlToDocs),
    /// Explicit documents -> SQL rules (`docs_to_sql`).
    DocRules(DocsToSql),
}

impl Default for MappingSpec {
    fn default() -> Self {
        MappingSpec::Preset("suggested".into())
    }
}

/// Read as a JSON value, then as the one form its shape names, from text: the rules are read
/// by the same code as a rules file. (serde's untagged derive would try each form on a
/// buffered copy, compiling a second reader for every rule type, and on failure say only
/// that nothing matched.)
impl<'de> Deserialize<'de> for MappingSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = serde_json::Value::deserialize(d)?;
        let parsed = match &v {
            serde_json::Value::String(s) => return Ok(MappingSpec::Preset(s.clone())),
            serde_json::Value::Object(o) if o.contains_key("tables") => {
                serde_json::from_str(&v.to_string()).map(MappingSpec::DocRules)
            }
            serde_json::Value::Object(_) => {
                serde_json::from_str(&v.to_string()).map(MappingSpec::Rules)
            }
            _ => {
                let why = "expected a preset name (\"suggested\", \"orders_with_copies\") or rules";
                return Err(D::Error::custom(format!("mapping: {why}")));
            }
        };
        parsed.map_err(|e| {
            // The position would point into the rewritten text, not the user's.
            let text = e.to_string();
            let message = text
                .rfind(" at line ")
                .map_or(text.as_str(), |k| &text[..k]);
            D::Error::custom(format!("mapping rules: {message}"))
        })
    }
}

/// The schema change of a same-store copy (`direction`: `docs_to_docs` or `sql_to_sql`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchemaChange {
    /// `docs_to_docs`: the `schema_version` of the source documents (the built-in `users`
    /// documents, generated at v1, are moved there first). Default 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<u32>,
    /// `docs_to_docs`: the version the target collection holds, above `source_version`.
    /// Default: the chain's latest (4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_version: Option<u32>,
    /// `sql_to_sql`: the up script, SQL statements separated by `;`, run on the source's
    /// tables to give the target's. Required for `sql_to_sql`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub up_script: String,
}

impl SchemaChange {
    fn is_default(&self) -> bool {
        *self == SchemaChange::default()
    }

    /// The settings the direction uses, and no others.
    fn validate(&self, direction: Direction) -> Result<(), ConfigError> {
        let versions = self.source_version.is_some() || self.target_version.is_some();
        let given = |field, d: Direction| {
            let why = format!(
                "is {}'s setting, the direction is {}",
                d.name(),
                direction.name()
            );
            Err(invalid(field, why))
        };
        match direction {
            Direction::DocsToDocs if !self.up_script.is_empty() => {
                given("schema_change.up_script", Direction::SqlToSql)
            }
            Direction::SqlToSql if versions => {
                given("schema_change.target_version", Direction::DocsToDocs)
            }
            Direction::SqlToSql if self.up_script.trim().is_empty() => Err(invalid(
                "schema_change.up_script",
                "sql_to_sql needs the up script (e.g. \"ALTER TABLE customers ADD COLUMN tier \
                 TEXT DEFAULT 'basic';\")",
            )),
            d if !d.is_same_store() && !self.is_default() => {
                let why = format!("given, but the direction is {}", d.name());
                Err(invalid("schema_change", why))
            }
            _ => Ok(()),
        }
    }
}

/// A migration scenario section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MigrationSpec {
    /// Built-in dataset. Default `ecommerce`.
    pub dataset: String,
    /// Records in the dataset. Default 300. Range 10 ..= 1 000 000.
    pub rows: u64,
    /// The mapping. Default `"suggested"`.
    pub mapping: MappingSpec,
    /// The job's configuration.
    pub config: MigrationConfig,
    /// The application's writes while the migration runs.
    pub workload: WriteWorkload,
    /// Injected failures.
    pub faults: Vec<Fault>,
    /// The schema change of an `in_place` strategy.
    pub in_place: InPlaceChange,
    /// The settings of a `lazy_on_read` strategy.
    pub lazy: LazySettings,
    /// The settings of an `expand_contract` strategy.
    pub expand: ExpandSettings,
    /// The read-through cache the application reads through (copy strategies).
    pub cache: CacheSettings,
    /// How the application versions write (`expand_contract`).
    pub app: AppSettings,
    /// The schema change of a same-store copy (`docs_to_docs`, `sql_to_sql`).
    #[serde(skip_serializing_if = "SchemaChange::is_default")]
    pub schema_change: SchemaChange,
}

impl Default for MigrationSpec {
    fn default() -> Self {
        MigrationSpec {
            dataset: "ecommerce".into(),
            rows: 300,
            mapping: MappingSpec::default(),
            config: MigrationConfig::default(),
            workload: WriteWorkload::default(),
            faults: Vec::new(),
            in_place: InPlaceChange::default(),
            lazy: LazySettings::default(),
            expand: ExpandSettings::default(),
            cache: CacheSettings::default(),
            app: AppSettings::default(),
            schema_change: SchemaChange::default(),
        }
    }
}

impl MigrationSpec {
    /// Check everything that can be checked without generating data.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check("rows", self.rows, ROWS_MIN, ROWS_MAX)?;
        self.cache.validate()?;
        self.schema_change.validate(self.config.direction)?;
        let st = self.config.strategy;
        if self.cache.enabled && !Strategy::ALL.contains(&st) {
            let why = format!(
                "the cache runs with big_bang, copy_and_switch and blue_green, not {}",
                st.name()
            );
            return Err(invalid("cache.enabled", why));
        }
        if self.app != AppSettings::default() && st != Strategy::ExpandContract {
            let why = format!(
                "application versions run with expand_contract, not {}",
                st.name()
            );
            return Err(invalid("app", why));
        }
        if matches!(st, Strategy::LazyOnRead | Strategy::ExpandContract) {
            if self.dataset != "users" {
                let why = format!(
                    "{} runs on the document store's built-in \"users\" collection",
                    st.name()
                );
                return Err(invalid("dataset", why));
            }
            self.config.validate()?;
            self.workload.validate()?;
            self.expand.validate()?;
            return self.lazy.validate();
        }
        if self.config.direction == Direction::DocsToDocs {
            return self.validate_docs_to_docs();
        }
        if self.config.direction == Direction::SqlToSql && self.mapping != MappingSpec::default() {
            let why = "sql_to_sql moves rows through the up script, not a mapping";
            return Err(invalid("mapping", why));
        }
        DatasetKind::parse(&self.dataset).map_err(|e| invalid("dataset", e.to_string()))?;
        let to_docs = self.config.direction == Direction::SqlToDocs;
        match &self.mapping {
            _ if self.config.direction == Direction::SqlToSql => {}
            MappingSpec::Preset(p) if p == "suggested" => {}
            MappingSpec::Preset(p) if p == "orders_with_copies" && to_docs => {}
            MappingSpec::Preset(p) => {
                let why = format!(
                    "unknown preset \"{p}\" for {} (known: suggested{})",
                    if to_docs {
                        "sql_to_docs"
                    } else {
                        "docs_to_sql"
                    },
                    if to_docs { ", orders_with_copies" } else { "" }
                );
                return Err(invalid("mapping", why));
            }
            MappingSpec::Rules(_) if !to_docs => {
                return Err(invalid("mapping", "docs_to_sql needs docs_to_sql rules"));
            }
            MappingSpec::DocRules(_) if to_docs => {
                return Err(invalid("mapping", "sql_to_docs needs sql_to_docs rules"));
            }
            _ => {}
        }
        self.validate_tail()
    }

    /// The job, the writes, the in-place change and the faults.
    fn validate_tail(&self) -> Result<(), ConfigError> {
        self.config.validate()?;
        self.workload.validate()?;
        if self.config.strategy == Strategy::InPlace {
            self.in_place.validate()?;
        } else if !self.in_place.up.is_empty() || !self.in_place.down.is_empty() {
            let why = format!("given, but the strategy is {}", self.config.strategy.name());
            return Err(invalid("in_place", why));
        }
        FaultPlan::new(self.faults.clone()).map(|_| ())
    }

    fn validate_docs_to_docs(&self) -> Result<(), ConfigError> {
        if self.dataset != USERS {
            let why = "docs_to_docs runs on the document store's built-in \"users\" collection";
            return Err(invalid("dataset", why));
        }
        if self.mapping != MappingSpec::default() {
            let why = "docs_to_docs moves documents through the users migration chain, \
                       not a mapping";
            return Err(invalid("mapping", why));
        }
        self.validate_tail()
    }

    /// Generate the `users` documents and build the queued documents -> documents job.
    pub fn build_docs_to_docs(&self, seed: u64) -> Result<Migration<DocsToDocs>, ConfigError> {
        self.validate()?;
        if self.config.direction != Direction::DocsToDocs {
            return Err(invalid(
                "config.direction",
                "build_docs_to_docs builds docs_to_docs jobs",
            ));
        }
        let chain = users_migrations();
        let latest = chain.last().map_or(1, |m| m.to_version);
        let versions = (
            self.schema_change.source_version.unwrap_or(1),
            self.schema_change.target_version.unwrap_or(latest),
        );
        let docs = (USERS.to_string(), sample_users(self.rows));
        let side = DocsToDocs::new(chain, &users_schema_v1(), versions, docs)?;
        let writer = (self.workload.writes_per_s > 0)
            .then(|| Writer::new(seed, self.workload.clone(), side.names().to_vec()));
        let faults = FaultPlan::new(self.faults.clone())?;
        Migration::new(self.config.clone(), seed, side, writer, faults)?
            .with_cache(self.cache.clone())
    }

    /// Generate the SQL dataset and build the queued SQL -> SQL job.
    pub fn build_sql_to_sql(&self, seed: u64) -> Result<Migration<SqlToSql>, ConfigError> {
        self.validate()?;
        if self.config.direction != Direction::SqlToSql {
            return Err(invalid(
                "config.direction",
                "build_sql_to_sql builds sql_to_sql jobs",
            ));
        }
        let kind =
            DatasetKind::parse(&self.dataset).map_err(|e| invalid("dataset", e.to_string()))?;
        let d = generate(kind, seed, self.rows).map_err(|e| invalid("dataset", e.to_string()))?;
        if d.tables.iter().next().is_none() {
            let why = format!(
                "\"{}\" holds documents; sql_to_sql needs a SQL dataset",
                self.dataset
            );
            return Err(invalid("dataset", why));
        }
        let side = SqlToSql::new(&d.ddl, d.tables, &self.schema_change.up_script)?;
        let writer = (self.workload.writes_per_s > 0)
            .then(|| Writer::new(seed, self.workload.clone(), side.names().to_vec()));
        let faults = FaultPlan::new(self.faults.clone())?;
        Migration::new(self.config.clone(), seed, side, writer, faults)?
            .with_cache(self.cache.clone())
    }

    /// Generate the data and build the queued SQL -> documents job.
    pub fn build(&self, seed: u64) -> Result<Migration, ConfigError> {
        self.validate()?;
        if self.config.direction != Direction::SqlToDocs {
            return Err(invalid(
                "config.direction",
                "build_to_rows builds docs_to_sql jobs",
            ));
        }
        let kind =
            DatasetKind::parse(&self.dataset).map_err(|e| invalid("dataset", e.to_string()))?;
        let d = generate(kind, seed, self.rows).map_err(|e| invalid("dataset", e.to_string()))?;
        if d.tables.iter().next().is_none() {
            let why = format!(
                "\"{}\" holds documents; sql_to_docs needs a SQL dataset",
                self.dataset
            );
            return Err(invalid("dataset", why));
        }
        let mapping = self.mapping(&d.tables)?;
        let side = ToDocs::new(mapping, d.tables)?;
        let writer = (self.workload.writes_per_s > 0).then(|| {
            let tables = side.mapping.tables_used().into_iter().collect();
            Writer::new(seed, self.workload.clone(), tables)
        });
        let faults = FaultPlan::new(self.faults.clone())?;
        Migration::new(self.config.clone(), seed, side, writer, faults)?
            .with_cache(self.cache.clone())
    }

    /// Generate the data and build the queued documents -> SQL job.
    pub fn build_to_rows(&self, seed: u64) -> Result<Migration<ToRows>, ConfigError> {
        self.validate()?;
        if self.config.direction != Direction::DocsToSql {
            return Err(invalid("config.direction", "build builds sql_to_docs jobs"));
        }
        let kind =
            DatasetKind::parse(&self.dataset).map_err(|e| invalid("dataset", e.to_string()))?;
        let d = generate(kind, seed, self.rows).map_err(|e| invalid("dataset", e.to_string()))?;
        let Some((name, docs)) = d.collections.first() else {
            let why = format!(
                "\"{}\" holds tables; docs_to_sql needs a document dataset",
                self.dataset
            );
            return Err(invalid("dataset", why));
        };
        let mapping = match &self.mapping {
            MappingSpec::DocRules(m) => m.clone(),
            _ => suggest_docs_to_sql(&profile_docs(name, docs), ConvertOptions::default()).mapping,
        };
        let side = ToRows::new(mapping, d.collections)?;
        let writer = (self.workload.writes_per_s > 0)
            .then(|| Writer::new(seed, self.workload.clone(), side.names().to_vec()));
        let faults = FaultPlan::new(self.faults.clone())?;
        Migration::new(self.config.clone(), seed, side, writer, faults)?
            .with_cache(self.cache.clone())
    }

    fn mapping(&self, tables: &Tables) -> Result<SqlToDocs, ConfigError> {
        match &self.mapping {
            MappingSpec::DocRules(_) => {
                Err(invalid("mapping", "sql_to_docs needs sql_to_docs rules"))
            }
            MappingSpec::Rules(m) => Ok(m.clone()),
            MappingSpec::Preset(p) if p == "orders_with_copies" => {
                if tables.get("orders").is_none() {
                    return Err(invalid(
                        "mapping",
                        "orders_with_copies needs the ecommerce dataset",
                    ));
                }
                serde_json::from_str(ORDERS_WITH_COPIES)
                    .map_err(|e| invalid("mapping", e.to_string()))
            }
            MappingSpec::Preset(_) => {
                Ok(suggest_sql_to_docs(tables, ConvertOptions::default()).mapping)
            }
        }
    }
}

/// E-commerce orders with a copy of their customer and of each item's product (plus the
/// customers and products collections that own those tables).
pub const ORDERS_WITH_COPIES: &str = r#"{
  "collections": [
    {"collection": "customers", "table": "customers", "embed": [
      {"kind": "array", "table": "addresses", "foreign_key": "customer_id", "field": "addresses"}]},
    {"collection": "products", "table": "products"},
    {"collection": "orders", "table": "orders", "embed": [
      {"kind": "object", "table": "customers", "foreign_key": "customer_id", "field": "customer"},
      {"kind": "array", "table": "order_items", "foreign_key": "order_id", "field": "items",
       "embed": [{"kind": "object", "table": "products", "foreign_key": "product_id", "field": "product"}]}]}
  ]
}"#;

/// Build the job for `spec` with `seed`, run it to the end, and report.
pub fn run(spec: &MigrationSpec, seed: u64) -> Result<MigrationReport, ConfigError> {
    if spec.config.strategy == Strategy::InPlace {
        return run_in_place(spec, seed);
    }
    if spec.config.strategy == Strategy::LazyOnRead {
        spec.validate()?;
        return super::lazy::run(&spec.lazy, spec.rows, spec.workload.writes_per_s, seed);
    }
    if spec.config.strategy == Strategy::ExpandContract {
        spec.validate()?;
        let w = spec.workload.writes_per_s;
        let rollback = spec.config.rollback_enabled;
        return super::expand::run(&spec.expand, spec.rows, w, rollback, seed, &spec.app);
    }
    match spec.config.direction {
        Direction::SqlToDocs => finish(spec.build(seed)?),
        Direction::DocsToSql => finish(spec.build_to_rows(seed)?),
        Direction::DocsToDocs => finish(spec.build_docs_to_docs(seed)?),
        Direction::SqlToSql => finish(spec.build_sql_to_sql(seed)?),
    }
}

fn run_in_place(spec: &MigrationSpec, seed: u64) -> Result<MigrationReport, ConfigError> {
    spec.validate()?;
    let kind = DatasetKind::parse(&spec.dataset).map_err(|e| invalid("dataset", e.to_string()))?;
    let d = generate(kind, seed, spec.rows).map_err(|e| invalid("dataset", e.to_string()))?;
    if d.tables.iter().next().is_none() {
        return Err(invalid("dataset", "in_place changes a SQL dataset"));
    }
    let store = d
        .sql_store()
        .map_err(|e| invalid("dataset", e.to_string()))?;
    let w = spec.workload.writes_per_s;
    super::in_place::run(&spec.in_place, &spec.config, &d.tables, store, w, seed)
}

fn finish<S: Side>(mut job: Migration<S>) -> Result<MigrationReport, ConfigError> {
    job.run_to_end(EVENTS_MAX)
        .map_err(|why| invalid("migration", why))?;
    Ok(job.report())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_specs_read_by_shape() {
        let read = |j: &str| serde_json::from_str::<MappingSpec>(j).map_err(|e| e.to_string());
        assert_eq!(read(r#""suggested""#), Ok(MappingSpec::default()));
        let rules = r#"{"collections": [{"collection": "c", "table": "customers"}]}"#;
        assert!(matches!(read(rules), Ok(MappingSpec::Rules(_))));
        let back = serde_json::to_string(&read(rules).unwrap()).unwrap();
        assert_eq!(read(&back), read(rules), "written as read");
        let doc_rules = r#"{"tables": [], "collections": []}"#;
        assert!(matches!(read(doc_rules), Ok(MappingSpec::DocRules(_))));
        let bad = read(r#"{"collections": [{"collection": "c", "tabel": "x"}]}"#).unwrap_err();
        assert!(
            bad.starts_with("mapping rules: unknown field `tabel`"),
            "{bad}"
        );
        assert!(read("3").unwrap_err().contains("expected a preset name"));
    }

    #[test]
    fn bad_specs_get_clear_errors() {
        let bad = |f: &dyn Fn(&mut MigrationSpec)| {
            let mut s = MigrationSpec::default();
            f(&mut s);
            s.build(1).unwrap_err().to_string()
        };
        assert!(bad(&|s| s.dataset = "shop".into()).contains("unknown dataset \"shop\""));
        assert!(bad(&|s| s.rows = 5).starts_with("rows = 5 is out of range"));
        assert!(bad(&|s| s.mapping = MappingSpec::Preset("x".into())).contains("unknown preset"));
        assert!(bad(&|s| s.dataset = "profiles".into()).contains("holds documents"));
        assert!(bad(&|s| s.config.direction = Direction::DocsToSql).contains("build_to_rows"));
        let mut docs = MigrationSpec::default();
        docs.config.direction = Direction::DocsToSql;
        let e = docs.build_to_rows(1).unwrap_err().to_string();
        assert!(e.contains("holds tables"), "{e}");
        docs.mapping = MappingSpec::Preset("orders_with_copies".into());
        assert!(docs
            .validate()
            .unwrap_err()
            .to_string()
            .contains("unknown preset"));
        assert!(bad(&|s| s.faults.push(Fault::UnconvertibleRows {
            table: "order_items".into(),
            one_in: 3
        }))
        .contains("not the root table"));
        let spec: MigrationSpec = serde_json::from_str(
            r#"{"mapping": {"collections": [{"collection": "c", "table": "nope"}]}}"#,
        )
        .unwrap();
        assert!(spec
            .build(1)
            .unwrap_err()
            .to_string()
            .contains("unknown table \"nope\""));
    }
}
