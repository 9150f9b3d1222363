//! The SQL table store: typed tables driven by real SQL text, with PostgreSQL's syntax and
//! semantics for the subset it models.
//!
//! - `lex` / `parse` / `ast`: PostgreSQL's lexical rules and grammar for exactly the
//!   statements the store runs; anything else is refused by name, never skipped.
//! - [`value`]: column types and values, text input/output, casts (reused by the mapping layer).
//! - `expr`: type-checks parsed expressions once per statement, then evaluates per row.
//! - `table`: rows keyed by a growing row id (like a heap), unique and secondary indexes.
//! - `ddl` / `dml`: `CREATE`/`DROP`/`ALTER` and `INSERT`/`UPDATE`/`DELETE` with constraints
//!   and foreign-key actions.
//! - [`dump`]: the table contents as JSON lines (the `migrascope sql` output).
//!
//! Every statement is atomic: row changes and catalog snapshots go to an undo log, and a
//! failing statement is undone before its error returns. Inside `BEGIN` a failure leaves the
//! transaction aborted until `ROLLBACK` (or `COMMIT`, which then rolls back), as in PostgreSQL.
//! Each statement reports a [`StatementOutcome`] for a later cost model: rows touched, lock
//! taken, whether the table was rewritten.

mod alter;
mod ast;
pub mod datetime;
mod ddl;
mod dml;
pub mod dump;
pub mod evolution;
mod expr;
mod fk;
mod lex;
mod numeric;
mod parse;
mod table;
pub mod value;

use std::collections::BTreeMap;
use std::fmt;

use ast::{ObjectName, ObjectType, Statement};
use parse::Parser;

pub use table::{Column, Constraint, ConstraintKind, FkAction, Index, Row, Table};
pub use value::{Failure, Numeric, SqlType, Value};

/// Longest SQL text one `execute` call accepts, in bytes.
pub const SQL_TEXT_BYTES_MAX: usize = 4_000_000;
/// Rows one table may hold.
pub const ROWS_PER_TABLE_MAX: usize = 2_000_000;
/// Columns one table may have (PostgreSQL's own limit).
pub const COLUMNS_PER_TABLE_MAX: usize = 1_600;
/// Tables one store may hold.
pub const TABLES_MAX: usize = 10_000;
/// Indexes (including constraint indexes) one table may have.
pub const INDEXES_PER_TABLE_MAX: usize = 100;
/// Row changes one transaction may make before it is refused (bounds the undo log).
pub const UNDO_ENTRIES_MAX: usize = 4_000_000;
/// Depth of one expression: nesting plus chained operators (`a OR b OR ...`). Bounds the
/// recursion of type checking and evaluation.
const EXPR_DEPTH_MAX: usize = 200;

/// The table-level lock a statement takes, named as in PostgreSQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockKind {
    /// Transaction control: no table lock.
    None,
    /// `SELECT`: blocks only `ACCESS EXCLUSIVE`.
    AccessShare,
    /// `INSERT`/`UPDATE`/`DELETE`: other writers are not blocked.
    RowExclusive,
    /// `CREATE INDEX CONCURRENTLY`: writes continue.
    ShareUpdateExclusive,
    /// `CREATE INDEX`: blocks writes, not reads.
    Share,
    /// `ADD FOREIGN KEY`: blocks writes on both tables.
    ShareRowExclusive,
    /// Most `ALTER TABLE` forms and `DROP`: blocks everything.
    AccessExclusive,
}

/// Which kind of statement ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementKind {
    /// `CREATE TABLE`.
    CreateTable,
    /// `DROP TABLE`.
    DropTable,
    /// `ALTER TABLE` (any number of actions).
    AlterTable,
    /// `CREATE [UNIQUE] INDEX`.
    CreateIndex,
    /// `DROP INDEX`.
    DropIndex,
    /// `INSERT`.
    Insert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// A `SELECT` (evaluated for its errors and row count; it changes nothing).
    Select,
    /// `BEGIN` / `START TRANSACTION`.
    Begin,
    /// `COMMIT` of a healthy transaction (or outside one).
    Commit,
    /// `ROLLBACK`, or `COMMIT` of an aborted transaction.
    Rollback,
}

/// What one statement did, for the cost model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementOutcome {
    /// Which statement ran.
    pub kind: StatementKind,
    /// The table it addressed, when there is one.
    pub table: Option<String>,
    /// Rows inserted, updated, deleted or (for `SELECT`) returned by the statement itself
    /// (PostgreSQL's row count).
    pub rows_affected: u64,
    /// Rows changed in other tables by `ON DELETE CASCADE / SET NULL`.
    pub rows_cascaded: u64,
    /// Rows read: a full scan for `UPDATE`/`DELETE`, validation scans for DDL.
    pub rows_scanned: u64,
    /// True when every row was rewritten (`ALTER COLUMN TYPE`).
    pub table_rewrite: bool,
    /// Indexes built or rebuilt.
    pub index_builds: u32,
    /// The strongest table lock taken.
    pub lock: LockKind,
}

impl StatementOutcome {
    fn new(kind: StatementKind, table: Option<String>, lock: LockKind) -> StatementOutcome {
        StatementOutcome {
            kind,
            table,
            rows_affected: 0,
            rows_cascaded: 0,
            rows_scanned: 0,
            table_rewrite: false,
            index_builds: 0,
            lock,
        }
    }
}

/// A statement that failed: which one, and PostgreSQL's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlError {
    /// 0-based index of the statement within the text passed to [`SqlStore::execute`].
    pub statement: usize,
    /// PostgreSQL's primary message, e.g. `duplicate key value violates unique constraint "t_pkey"`.
    pub message: String,
    /// PostgreSQL's `DETAIL`, naming the row or key, e.g. `Key (id)=(1) already exists.`
    pub detail: Option<String>,
    /// For an error found while parsing: the 1-based line of the text where parsing stopped.
    pub line: Option<usize>,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "statement {}: {}", self.statement + 1, self.message)?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for SqlError {}

/// Transaction state of the store's one session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxState {
    /// Autocommit: each statement commits on its own.
    Idle,
    /// Inside `BEGIN`.
    Open,
    /// A statement failed inside `BEGIN`; only `ROLLBACK`/`COMMIT` are accepted.
    Aborted,
}

/// How to undo one change.
#[derive(Clone, Debug)]
enum Undo {
    Inserted {
        table: String,
        id: u64,
    },
    Removed {
        table: String,
        id: u64,
        row: Row,
    },
    /// The whole catalog before a DDL statement (DDL is rare; rows are cloned once).
    Catalog(BTreeMap<String, Table>),
}

/// The store: tables by name and one session's transaction state.
#[derive(Clone, Debug)]
pub struct SqlStore {
    tables: BTreeMap<String, Table>,
    /// Next row id; ids only grow, so physical order is insertion order.
    next_row_id: u64,
    tx: TxState,
    undo: Vec<Undo>,
}

impl Default for SqlStore {
    fn default() -> Self {
        SqlStore::new()
    }
}

const ABORTED: &str =
    "current transaction is aborted, commands ignored until end of transaction block";

impl SqlStore {
    /// An empty store in autocommit mode.
    pub fn new() -> SqlStore {
        SqlStore {
            tables: BTreeMap::new(),
            next_row_id: 1,
            tx: TxState::Idle,
            undo: Vec::new(),
        }
    }

    /// Tables in name order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.values()
    }

    /// One table by its stored name.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// The session's transaction state.
    pub fn transaction_state(&self) -> TxState {
        self.tx
    }

    /// End the session as a disconnect does: an open or aborted transaction rolls back.
    pub fn end_session(&mut self) {
        if self.tx != TxState::Idle {
            self.rollback_to(0);
            self.tx = TxState::Idle;
        }
    }

    /// Run the statements in `sql` in order, stopping at the first failure (earlier statements
    /// stay applied, as when `psql -v ON_ERROR_STOP=1` runs a script). Returns one outcome per
    /// statement.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<StatementOutcome>, SqlError> {
        let fail = |statement: usize, f: Failure| SqlError {
            statement,
            message: f.message,
            detail: f.detail,
            line: None,
        };
        if sql.len() > SQL_TEXT_BYTES_MAX {
            let what = format!("SQL text longer than {SQL_TEXT_BYTES_MAX} bytes");
            return Err(fail(0, Failure::unsupported(what)));
        }
        let mut parser = Parser::new(sql, EXPR_DEPTH_MAX);
        let mut outcomes = Vec::new();
        while !parser.at_end() {
            let index = outcomes.len();
            let stmt = parser.statement().map_err(|f| SqlError {
                line: Some(parser.line()),
                ..fail(index, f)
            })?;
            outcomes.push(self.run(&stmt).map_err(|f| fail(index, f))?);
        }
        Ok(outcomes)
    }

    /// One statement with transaction bookkeeping and statement-level atomicity.
    fn run(&mut self, stmt: &Statement) -> Result<StatementOutcome, Failure> {
        if let Some(outcome) = self.transaction_control(stmt)? {
            return Ok(outcome);
        }
        if self.tx == TxState::Aborted {
            return Err(Failure::new(ABORTED));
        }
        let mark = self.undo.len();
        match self.apply(stmt) {
            Ok(outcome) => {
                if self.tx == TxState::Idle {
                    self.undo.clear();
                }
                Ok(outcome)
            }
            Err(f) => {
                self.rollback_to(mark);
                if self.tx == TxState::Open {
                    self.tx = TxState::Aborted;
                }
                Err(f)
            }
        }
    }

    /// `BEGIN`/`COMMIT`/`ROLLBACK`; `None` for any other statement.
    fn transaction_control(
        &mut self,
        stmt: &Statement,
    ) -> Result<Option<StatementOutcome>, Failure> {
        let kind = match stmt {
            Statement::Begin => {
                if self.tx == TxState::Aborted {
                    return Err(Failure::new(ABORTED));
                }
                // BEGIN inside a transaction is only a warning in PostgreSQL.
                self.tx = TxState::Open;
                StatementKind::Begin
            }
            Statement::Commit => {
                let kind = if self.tx == TxState::Aborted {
                    self.rollback_to(0);
                    StatementKind::Rollback
                } else {
                    StatementKind::Commit
                };
                self.undo.clear();
                self.tx = TxState::Idle;
                kind
            }
            Statement::Rollback => {
                self.rollback_to(0);
                self.tx = TxState::Idle;
                StatementKind::Rollback
            }
            _ => return Ok(None),
        };
        Ok(Some(StatementOutcome::new(kind, None, LockKind::None)))
    }

    fn apply(&mut self, stmt: &Statement) -> Result<StatementOutcome, Failure> {
        match stmt {
            Statement::CreateTable(ct) => self.create_table(ct),
            Statement::CreateIndex(ci) => self.create_index(ci),
            Statement::AlterTable(at) => self.alter_table(at),
            Statement::Drop {
                object_type,
                if_exists,
                names,
                cascade,
            } => match object_type {
                ObjectType::Table => self.drop_tables(names, *if_exists, *cascade),
                ObjectType::Index => self.drop_indexes(names, *if_exists, *cascade),
            },
            Statement::Insert(ins) => self.insert(ins),
            Statement::Update(upd) => self.update(upd),
            Statement::Delete(del) => self.delete(del),
            Statement::Select(q) => self.select(q),
            Statement::Begin | Statement::Commit | Statement::Rollback => {
                Err(Failure::new("internal: transaction control reached apply"))
            }
        }
    }

    // ---- changes that go through the undo log ----

    fn push_undo(&mut self, u: Undo) -> Result<(), Failure> {
        if self.undo.len() >= UNDO_ENTRIES_MAX {
            let what = format!("a transaction with more than {UNDO_ENTRIES_MAX} row changes");
            return Err(Failure::unsupported(what));
        }
        self.undo.push(u);
        Ok(())
    }

    /// Save the catalog before a DDL statement changes it.
    fn snapshot(&mut self) -> Result<(), Failure> {
        let copy = self.tables.clone();
        self.push_undo(Undo::Catalog(copy))
    }

    /// Add a row to `table`, checking unique indexes and the row limit; returns its id.
    fn insert_row(&mut self, table: &str, row: Row) -> Result<u64, Failure> {
        let id = self.next_row_id;
        let t = self.table_mut(table)?;
        if t.row_count() >= ROWS_PER_TABLE_MAX {
            let what = format!("more than {ROWS_PER_TABLE_MAX} rows in table \"{table}\"");
            return Err(Failure::unsupported(what));
        }
        t.insert_row(id, row)?;
        self.next_row_id += 1;
        self.push_undo(Undo::Inserted {
            table: table.to_string(),
            id,
        })?;
        Ok(id)
    }

    /// Remove a row from `table`, returning it.
    fn remove_row(&mut self, table: &str, id: u64) -> Result<Row, Failure> {
        let row = self
            .table_mut(table)?
            .remove_row(id)
            .ok_or_else(|| Failure::new("internal: row vanished"))?;
        self.push_undo(Undo::Removed {
            table: table.to_string(),
            id,
            row: row.clone(),
        })?;
        Ok(row)
    }

    /// Undo everything after `mark` (0: the whole transaction).
    fn rollback_to(&mut self, mark: usize) {
        while self.undo.len() > mark {
            match self.undo.pop() {
                Some(Undo::Inserted { table, id }) => {
                    if let Some(t) = self.tables.get_mut(&table) {
                        t.remove_row(id);
                    }
                }
                Some(Undo::Removed { table, id, row }) => {
                    if let Some(t) = self.tables.get_mut(&table) {
                        t.put_row(id, row);
                    }
                }
                Some(Undo::Catalog(tables)) => self.tables = tables,
                None => break,
            }
        }
    }

    // ---- lookups ----

    fn table_ref(&self, name: &str) -> Result<&Table, Failure> {
        self.tables
            .get(name)
            .ok_or_else(|| Failure::new(format!("relation \"{name}\" does not exist")))
    }

    fn table_mut(&mut self, name: &str) -> Result<&mut Table, Failure> {
        self.tables
            .get_mut(name)
            .ok_or_else(|| Failure::new(format!("relation \"{name}\" does not exist")))
    }

    /// True when a table or index already uses `name` (they share PostgreSQL's namespace).
    fn relation_exists(&self, name: &str) -> bool {
        self.tables.contains_key(name)
            || self
                .tables
                .values()
                .any(|t| t.indexes.iter().any(|i| i.name == name))
    }
}

/// The stored name of a table: unquoted parts fold to lower case; only the `public` schema.
fn object_name(name: &ObjectName) -> Result<String, Failure> {
    let parts: Vec<String> = name.0.iter().map(ast::Ident::name).collect();
    match parts.as_slice() {
        [t] => Ok(t.clone()),
        [s, t] if s == "public" => Ok(t.clone()),
        _ => Err(Failure::unsupported(format!(
            "schema-qualified name {name}"
        ))),
    }
}

#[cfg(test)]
mod tests;
