//! Built-in datasets, generated deterministically from `(seed, rows)`.
//!
//! - `ecommerce` (SQL): customers, addresses (0-3 per customer), products, orders (a few per
//!   customer, a long tail of heavy buyers), order_items (1-8 per order).
//! - `content` (SQL): posts, comments that reply to comments (a hierarchy through
//!   `parent_id`), tags, and the many-to-many `post_tags`.
//! - `profiles` (documents): user profiles in three `schema_version`s with different nested
//!   shapes, plus a little dirty data, for the documents -> SQL direction.
//!
//! `rows` is the total number of records across all tables (or documents) of the dataset,
//! exactly: the last parent gets fewer children when the budget runs out. (For `ecommerce`
//! at 1,000,000 rows that is about 36k customers, 53k addresses, 20k products, 162k orders
//! and 729k order items.) Every
//! table draws from its own named sub-stream of the seed (`ecommerce/orders`, ...), so the
//! values of one table never shift when another table's generator changes.
//! SQL datasets carry their DDL (real `CREATE TABLE` text); [`Dataset::sql_store`] runs it in
//! the SQL store and loads the rows.

mod content;
mod ecommerce;
mod profiles;
pub mod words;

use serde_json::Value as Json;
use std::fmt;

use super::doc::{DocError, DocStore};
use super::mapping::relational::Tables;
use super::sql::{SqlError, SqlStore};

/// Smallest dataset, in rows.
pub const ROWS_MIN: u64 = 10;
/// Largest dataset, in rows.
pub const ROWS_MAX: u64 = 1_000_000;

/// Which built-in dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DatasetKind {
    /// Customers, addresses, products, orders, order items.
    Ecommerce,
    /// Posts, threaded comments, tags, post_tags.
    Content,
    /// Versioned user-profile documents.
    Profiles,
}

impl DatasetKind {
    /// Every dataset.
    pub const ALL: [DatasetKind; 3] = [
        DatasetKind::Ecommerce,
        DatasetKind::Content,
        DatasetKind::Profiles,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::Ecommerce => "ecommerce",
            DatasetKind::Content => "content",
            DatasetKind::Profiles => "profiles",
        }
    }

    /// The dataset called `name`.
    pub fn parse(name: &str) -> Result<DatasetKind, DatasetError> {
        DatasetKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| DatasetError::UnknownDataset(name.to_string()))
    }
}

/// Why a dataset could not be built or loaded.
#[derive(Clone, Debug, PartialEq)]
pub enum DatasetError {
    /// No dataset by that name.
    UnknownDataset(String),
    /// `rows` outside `ROWS_MIN..=ROWS_MAX`.
    RowsOutOfRange(u64),
    /// The SQL store refused the DDL or rows (a bug in a generator).
    Sql(SqlError),
    /// The document store refused a document (a bug in a generator).
    Doc(DocError),
}

impl fmt::Display for DatasetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetError::UnknownDataset(n) => {
                let names: Vec<&str> = DatasetKind::ALL.iter().map(|k| k.name()).collect();
                write!(f, "unknown dataset \"{n}\" (known: {})", names.join(", "))
            }
            DatasetError::RowsOutOfRange(n) => {
                write!(f, "rows must be in {ROWS_MIN}..={ROWS_MAX}, not {n}")
            }
            DatasetError::Sql(e) => write!(f, "SQL store: {e}"),
            DatasetError::Doc(e) => write!(f, "document store: {e}"),
        }
    }
}

impl std::error::Error for DatasetError {}

/// A generated dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Which dataset.
    pub kind: DatasetKind,
    /// The seed it came from.
    pub seed: u64,
    /// The requested total rows.
    pub rows: u64,
    /// `CREATE TABLE` statements (empty for document datasets).
    pub ddl: String,
    /// Tables with rows (schemas as the SQL store reads the DDL).
    pub tables: Tables,
    /// Collections with documents (document datasets).
    pub collections: Vec<(String, Vec<Json>)>,
}

/// Generate dataset `kind` with exactly `rows` records from `seed`.
pub fn generate(kind: DatasetKind, seed: u64, rows: u64) -> Result<Dataset, DatasetError> {
    if !(ROWS_MIN..=ROWS_MAX).contains(&rows) {
        return Err(DatasetError::RowsOutOfRange(rows));
    }
    let (ddl, tables, collections) = match kind {
        DatasetKind::Ecommerce => {
            let mut t = schema_tables(ecommerce::DDL)?;
            ecommerce::fill(&mut t, seed, rows);
            (ecommerce::DDL.to_string(), t, Vec::new())
        }
        DatasetKind::Content => {
            let mut t = schema_tables(content::DDL)?;
            content::fill(&mut t, seed, rows);
            (content::DDL.to_string(), t, Vec::new())
        }
        DatasetKind::Profiles => {
            let docs = profiles::generate(seed, rows);
            (
                String::new(),
                Tables::new(),
                vec![(profiles::COLLECTION.to_string(), docs)],
            )
        }
    };
    Ok(Dataset {
        kind,
        seed,
        rows,
        ddl,
        tables,
        collections,
    })
}

/// Run `ddl` in an empty store and read the table schemas back.
fn schema_tables(ddl: &str) -> Result<Tables, DatasetError> {
    let mut store = SqlStore::new();
    store.execute(ddl).map_err(DatasetError::Sql)?;
    Ok(Tables::schema_of(&store))
}

impl Dataset {
    /// Records over all tables and collections.
    pub fn record_count(&self) -> u64 {
        let docs: usize = self.collections.iter().map(|(_, d)| d.len()).sum();
        (self.tables.row_count() + docs) as u64
    }

    /// A SQL store with the DDL run and every row inserted (through SQL `INSERT` text, so
    /// every constraint is checked by the store).
    pub fn sql_store(&self) -> Result<SqlStore, DatasetError> {
        let mut store = SqlStore::new();
        store.execute(&self.ddl).map_err(DatasetError::Sql)?;
        self.tables
            .load_into(&mut store)
            .map_err(DatasetError::Sql)?;
        Ok(store)
    }

    /// A document store holding the dataset's collections.
    pub fn doc_store(&self) -> Result<DocStore, DatasetError> {
        let mut store = DocStore::new();
        for (name, docs) in &self.collections {
            store.create_collection(name).map_err(DatasetError::Doc)?;
            for d in docs {
                store.insert(name, d.clone()).map_err(DatasetError::Doc)?;
            }
        }
        Ok(store)
    }
}

/// Days since 1970-01-01 of 2020-01-01, the start of generated dates.
pub(crate) const EPOCH_2020_DAYS: i64 = 18_262;
/// Microseconds in a day.
pub(crate) const DAY_US: i64 = 86_400_000_000;

/// How many children a parent gets: mostly `lo..=hi`, with probability `tail_p` a heavy
/// tail up to `tail_max` (so fan-outs have a realistic p99 and max).
pub(crate) fn fan_out(
    rng: &mut super::rng::SimRng,
    lo: u64,
    hi: u64,
    tail_p: f64,
    tail_max: u64,
) -> u64 {
    if rng.chance(tail_p) {
        rng.range_u64(hi, tail_max)
    } else {
        rng.range_u64(lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_bounded_and_names_checked() {
        assert_eq!(
            generate(DatasetKind::Ecommerce, 1, 9),
            Err(DatasetError::RowsOutOfRange(9))
        );
        assert!(generate(DatasetKind::Content, 1, ROWS_MAX + 1).is_err());
        assert!(DatasetKind::parse("nope")
            .unwrap_err()
            .to_string()
            .contains("ecommerce"));
        for kind in DatasetKind::ALL {
            for rows in [10, 57, 1_000] {
                let d = generate(kind, 7, rows).unwrap();
                let n = d.record_count();
                assert_eq!(n, rows, "{kind:?}");
            }
        }
    }

    #[test]
    fn sql_datasets_load_into_the_store_with_constraints() {
        for kind in [DatasetKind::Ecommerce, DatasetKind::Content] {
            let d = generate(kind, 3, 2_000).unwrap();
            let store = d.sql_store().unwrap();
            assert_eq!(Tables::from_store(&store), d.tables, "{kind:?}");
        }
        let p = generate(DatasetKind::Profiles, 3, 200).unwrap();
        assert_eq!(
            p.doc_store().unwrap().collection("profiles").unwrap().len(),
            200
        );
    }
}
