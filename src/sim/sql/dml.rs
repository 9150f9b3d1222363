//! `INSERT`, `UPDATE`, `DELETE`. Per row, in PostgreSQL's order: evaluate, NOT NULL, CHECK,
//! unique indexes; foreign keys at the end of the statement. Rows are visited in physical
//! order, so `UPDATE t SET id = id + 1` fails on a unique key just where PostgreSQL does.

use super::ast::{
    Assignment, ConflictTarget, Delete, Expr, Ident, Insert, InsertSource, Select, SelectItem,
    TableRef, Update,
};

use super::expr::{
    coerce_assign, compile, eval, fold, ident_name, require_bool, Scope, TExpr, Typed,
};
use super::fk::{check_row, RowEvent};
use super::table::Row;
use super::value::{Failure, Value};
use super::{object_name, LockKind, SqlStore, StatementKind, StatementOutcome};

/// One compiled `VALUES` item or `SET` value: an expression or the column's default.
enum Item {
    Expr(TExpr),
    Default,
}

/// `SET col = expr, ...`: target positions and values coerced to the column types.
fn compile_sets(
    assignments: &[Assignment],
    table: &str,
    scope: Scope,
) -> Result<Vec<(usize, Item)>, Failure> {
    let mut sets: Vec<(usize, Item)> = Vec::new();
    for a in assignments {
        let col_name = ident_name(&a.column);
        // PostgreSQL analyses the value before it looks up the target column.
        let value = match is_default_keyword(&a.value) {
            true => None,
            false => Some(compile(&a.value, scope)?),
        };
        let col = scope
            .columns
            .iter()
            .position(|c| c.name == col_name)
            .ok_or_else(|| {
                Failure::new(format!(
                    "column \"{col_name}\" of relation \"{table}\" does not exist"
                ))
            })?;
        if sets.iter().any(|(c, _)| *c == col) {
            return Err(Failure::new(format!(
                "multiple assignments to same column \"{col_name}\""
            )));
        }
        let item = match value {
            None => Item::Default,
            Some(typed) => Item::Expr(coerce_assign(typed, &scope.columns[col], "expression")?),
        };
        sets.push((col, item));
    }
    Ok(sets)
}

/// Rows to insert: compiled item lists, and which list evaluates against which source row
/// (an empty row for `VALUES`, the selected row for `INSERT ... SELECT`).
struct Source {
    items: Vec<Vec<Item>>,
    rows: Vec<(usize, Row)>,
}

/// Match one row of expressions (`None` = `DEFAULT`) to the target columns and coerce each
/// to its column type. Without a column list the row may be shorter than the table.
fn assign_items(
    t: &super::table::Table,
    targets: &[usize],
    explicit: bool,
    exprs: Vec<Option<Typed>>,
) -> Result<Vec<Item>, Failure> {
    let targets = if explicit {
        targets
    } else {
        &targets[..exprs.len().min(targets.len())]
    };
    if exprs.len() > targets.len() {
        return Err(Failure::new(
            "INSERT has more expressions than target columns",
        ));
    }
    if exprs.len() < targets.len() {
        return Err(Failure::new(
            "INSERT has more target columns than expressions",
        ));
    }
    exprs
        .into_iter()
        .zip(targets)
        .map(|(e, &col)| match e {
            None => Ok(Item::Default),
            Some(typed) => coerce_assign(typed, &t.columns[col], "expression").map(Item::Expr),
        })
        .collect()
}

fn fold_item(item: Item) -> Result<Item, Failure> {
    Ok(match item {
        Item::Expr(e) => Item::Expr(fold(e)?),
        Item::Default => Item::Default,
    })
}

fn fold_items(items: Vec<Item>) -> Result<Vec<Item>, Failure> {
    items.into_iter().map(fold_item).collect()
}

fn is_default_keyword(e: &Expr) -> bool {
    matches!(e, Expr::Default)
}

/// The table an `UPDATE`/`DELETE`/`SELECT` names, and the name expressions use for it.
fn single_table(t: &TableRef) -> Result<(String, String), Failure> {
    let table = object_name(&t.name)?;
    let scope_name = t.scope_name(&table);
    Ok((table, scope_name))
}

impl SqlStore {
    pub(crate) fn insert(&mut self, ins: &Insert) -> Result<StatementOutcome, Failure> {
        let table = object_name(&ins.table)?;
        let mut out = StatementOutcome::new(
            StatementKind::Insert,
            Some(table.clone()),
            LockKind::RowExclusive,
        );
        let arbiter = self.on_conflict(&table, ins.on_conflict.as_ref())?;
        let targets = self.insert_targets(&table, &ins.columns)?;
        let explicit = !ins.columns.is_empty();
        let source = self.compile_source(&table, &targets, explicit, &ins.source)?;
        let checks = self.compiled_checks(&table)?;
        let mut events = Vec::new();
        for (k, src) in &source.rows {
            let t = self.table_ref(&table)?;
            let items = &source.items[*k];
            let mut row: Row = Vec::with_capacity(t.columns.len());
            for (pos, c) in t.columns.iter().enumerate() {
                let given = targets
                    .iter()
                    .position(|&x| x == pos)
                    .and_then(|i| items.get(i));
                row.push(match given {
                    Some(Item::Expr(e)) => eval(e, src)?,
                    // Defaults are converted only for columns that need them, as in PostgreSQL.
                    _ => c.default_value()?,
                });
            }
            check_row(t, &checks, &row)?;
            // ON CONFLICT DO NOTHING: a row that would collide with an arbiter is skipped.
            if arbiter
                .as_ref()
                .is_some_and(|a| t.conflicts(&row, a.as_deref()))
            {
                continue;
            }
            let id = self.insert_row(&table, row)?;
            events.push(RowEvent::Inserted {
                table: table.clone(),
                id,
            });
            out.rows_affected += 1;
        }
        self.fire_events(events, &mut out)?;
        Ok(out)
    }

    /// `ON CONFLICT [target] DO NOTHING`: `Some(None)` skips rows colliding with any unique
    /// index, `Some(Some(name))` only with that index. `DO UPDATE` is not modelled.
    fn on_conflict(
        &self,
        table: &str,
        on: Option<&ConflictTarget>,
    ) -> Result<Option<Option<String>>, Failure> {
        let Some(target) = on else {
            return Ok(None);
        };
        let t = self.table_ref(table)?;
        let index = match target {
            ConflictTarget::Any => return Ok(Some(None)),
            ConflictTarget::Columns(cols) => {
                let cols: Vec<String> = cols.iter().map(ident_name).collect();
                let positions =
                    super::ddl::positions(t, &cols, |c| format!("column \"{c}\" does not exist"))?;
                super::fk::unique_index_for(t, &positions).map(|i| t.indexes[i].name.clone())
            }
            ConflictTarget::OnConstraint(name) => {
                let name = object_name(name)?;
                if !t.constraints.iter().any(|c| c.name == name) {
                    return Err(Failure::new(format!(
                        "constraint \"{name}\" for table \"{table}\" does not exist"
                    )));
                }
                t.indexes
                    .iter()
                    .find(|i| i.name == name)
                    .map(|i| i.name.clone())
            }
        };
        match index {
            Some(name) => Ok(Some(Some(name))),
            None => Err(Failure::new(
                "there is no unique or exclusion constraint matching the ON CONFLICT specification",
            )),
        }
    }

    /// Target column positions: the list given, or every column in order.
    fn insert_targets(&self, table: &str, cols: &[Ident]) -> Result<Vec<usize>, Failure> {
        let t = self.table_ref(table)?;
        if cols.is_empty() {
            return Ok((0..t.columns.len()).collect());
        }
        let mut out: Vec<usize> = Vec::new();
        for c in cols {
            let name = ident_name(c);
            let pos = t.column_index(&name).ok_or_else(|| {
                Failure::new(format!(
                    "column \"{name}\" of relation \"{table}\" does not exist"
                ))
            })?;
            if out.contains(&pos) {
                return Err(Failure::new(format!(
                    "column \"{name}\" specified more than once"
                )));
            }
            out.push(pos);
        }
        Ok(out)
    }

    /// Compile the rows to insert up front: PostgreSQL coerces literals at parse time, so a bad
    /// literal in the last `VALUES` row fails before the first row is stored.
    fn compile_source(
        &self,
        table: &str,
        targets: &[usize],
        explicit: bool,
        source: &InsertSource,
    ) -> Result<Source, Failure> {
        let t = self.table_ref(table)?;
        match source {
            InsertSource::DefaultValues => Ok(Source {
                items: vec![Vec::new()],
                rows: vec![(0, Vec::new())],
            }),
            InsertSource::Values(values) => {
                let mut items = Vec::with_capacity(values.len());
                for row in values {
                    let exprs = row
                        .iter()
                        .map(|e| match is_default_keyword(e) {
                            true => Ok(None),
                            false => compile(e, Scope::EMPTY).map(Some),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    items.push(assign_items(t, targets, explicit, exprs)?);
                }
                // Every row is analysed before any constant is folded, as in PostgreSQL.
                let items = items
                    .into_iter()
                    .map(fold_items)
                    .collect::<Result<Vec<_>, _>>()?;
                let rows = (0..items.len()).map(|k| (k, Vec::new())).collect();
                Ok(Source { items, rows })
            }
            InsertSource::Select(q) => {
                let selected = self.run_select(q)?;
                let exprs = selected.items.into_iter().map(Some).collect();
                let items = vec![fold_items(assign_items(t, targets, explicit, exprs)?)?];
                let rows = selected.rows.into_iter().map(|r| (0, r)).collect();
                Ok(Source { items, rows })
            }
        }
    }

    pub(crate) fn update(&mut self, upd: &Update) -> Result<StatementOutcome, Failure> {
        let (table, scope_name) = single_table(&upd.table)?;
        let mut out = StatementOutcome::new(
            StatementKind::Update,
            Some(table.clone()),
            LockKind::RowExclusive,
        );
        let t = self.table_ref(&table)?;
        let scope = Scope {
            table: &scope_name,
            columns: &t.columns,
        };
        // PostgreSQL analyses WHERE before SET, then folds SET before WHERE.
        let filter = self.compile_where(upd.selection.as_ref(), scope)?;
        let sets = compile_sets(&upd.assignments, &table, scope)?;
        let sets = sets
            .into_iter()
            .map(|(c, item)| Ok((c, fold_item(item)?)))
            .collect::<Result<Vec<_>, Failure>>()?;
        let filter = filter.map(fold).transpose()?;
        let checks = self.compiled_checks(&table)?;
        let ids: Vec<u64> = t.rows_physical().map(|(id, _)| id).collect();
        out.rows_scanned = ids.len() as u64;
        let mut events = Vec::new();
        for id in ids {
            let t = self.table_ref(&table)?;
            let Some(old) = t.row(id).cloned() else {
                continue;
            };
            if !matches(filter.as_ref(), &old)? {
                continue;
            }
            let mut new = old.clone();
            for (col, item) in &sets {
                new[*col] = match item {
                    Item::Expr(e) => eval(e, &old)?,
                    Item::Default => t.columns[*col].default_value()?,
                };
            }
            check_row(t, &checks, &new)?;
            self.remove_row(&table, id)?;
            let new_id = self.insert_row(&table, new)?;
            events.push(RowEvent::Updated {
                table: table.clone(),
                old,
                new_id,
            });
            out.rows_affected += 1;
        }
        self.fire_events(events, &mut out)?;
        Ok(out)
    }

    fn compile_where(
        &self,
        selection: Option<&Expr>,
        scope: Scope,
    ) -> Result<Option<TExpr>, Failure> {
        selection
            .map(|e| require_bool(compile(e, scope)?, "WHERE"))
            .transpose()
    }

    pub(crate) fn delete(&mut self, del: &Delete) -> Result<StatementOutcome, Failure> {
        let (table, scope_name) = single_table(&del.table)?;
        let mut out = StatementOutcome::new(
            StatementKind::Delete,
            Some(table.clone()),
            LockKind::RowExclusive,
        );
        let t = self.table_ref(&table)?;
        let scope = Scope {
            table: &scope_name,
            columns: &t.columns,
        };
        let filter = self.compile_where(del.selection.as_ref(), scope)?;
        let filter = filter.map(fold).transpose()?;
        let ids: Vec<u64> = t.rows_physical().map(|(id, _)| id).collect();
        out.rows_scanned = ids.len() as u64;
        let mut events = Vec::new();
        for id in ids {
            let Some(row) = self.table_ref(&table)?.row(id) else {
                continue;
            };
            if !matches(filter.as_ref(), row)? {
                continue;
            }
            let old = self.remove_row(&table, id)?;
            events.push(RowEvent::Deleted {
                table: table.clone(),
                old,
            });
            out.rows_affected += 1;
        }
        self.fire_events(events, &mut out)?;
        Ok(out)
    }
}

impl SqlStore {
    /// `SELECT items [FROM table] [WHERE ...]`: type-checked and evaluated like PostgreSQL
    /// evaluates it (so its errors abort a transaction), counting the rows it returns.
    pub(crate) fn select(&mut self, q: &Select) -> Result<StatementOutcome, Failure> {
        let selected = self.run_select(q)?;
        let lock = match selected.table {
            Some(_) => LockKind::AccessShare,
            None => LockKind::None,
        };
        let mut out = StatementOutcome::new(StatementKind::Select, selected.table, lock);
        out.rows_scanned = selected.scanned;
        for row in &selected.rows {
            for item in &selected.items {
                eval(&item.e, row)?;
            }
            out.rows_affected += 1;
        }
        Ok(out)
    }

    /// Compile a `SELECT` over at most one table and collect the rows its `WHERE` keeps.
    fn run_select(&self, q: &Select) -> Result<Selected, Failure> {
        let (table, scope_name) = match &q.from {
            None => (None, String::new()),
            Some(t) => {
                let (t, s) = single_table(t)?;
                (Some(t), s)
            }
        };
        let source = table.as_deref().map(|t| self.table_ref(t)).transpose()?;
        let columns = source.map(|t| t.columns.as_slice()).unwrap_or(&[]);
        let scope = Scope {
            table: &scope_name,
            columns,
        };
        let items = select_items(&q.items, source.is_some(), scope)?;
        let filter = self.compile_where(q.selection.as_ref(), scope)?;
        for e in &q.order_by {
            compile(e, scope)?;
        }
        let offset = row_count(q.offset.as_ref(), "OFFSET")?.unwrap_or(0);
        let limit = row_count(q.limit.as_ref(), "LIMIT")?;
        let items = items
            .into_iter()
            .map(|t| {
                Ok(Typed {
                    e: fold(t.e)?,
                    ty: t.ty,
                })
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        let filter = filter.map(fold).transpose()?;
        let all: Vec<Row> = match source {
            Some(t) => t.rows_physical().map(|(_, r)| r.clone()).collect(),
            None => vec![Vec::new()],
        };
        let scanned = if source.is_some() {
            all.len() as u64
        } else {
            0
        };
        let mut rows = Vec::new();
        for row in all {
            if matches(filter.as_ref(), &row)? {
                rows.push(row);
            }
        }
        let keep = rows.len().saturating_sub(offset);
        rows.drain(..rows.len() - keep);
        rows.truncate(limit.unwrap_or(usize::MAX));
        Ok(Selected {
            items,
            rows,
            scanned,
            table,
        })
    }
}

/// The select list, `*` expanded to the table's columns.
fn select_items(
    projection: &[SelectItem],
    has_table: bool,
    scope: Scope,
) -> Result<Vec<Typed>, Failure> {
    let mut items = Vec::new();
    for item in projection {
        match item {
            SelectItem::Wildcard if has_table => {
                items.extend(scope.columns.iter().enumerate().map(|(i, c)| Typed {
                    e: TExpr::Column(i),
                    ty: Some(c.ty.clone()),
                }))
            }
            SelectItem::Expr(e) => items.push(compile(e, scope)?),
            SelectItem::Wildcard => {
                return Err(Failure::new(
                    "SELECT * with no tables specified is not valid",
                ))
            }
        }
    }
    Ok(items)
}

/// A `LIMIT` or `OFFSET` count: a constant integer expression (NULL means none).
fn row_count(e: Option<&Expr>, what: &str) -> Result<Option<usize>, Failure> {
    let Some(e) = e else {
        return Ok(None);
    };
    let t = compile(e, Scope::EMPTY)?;
    let ty = t.ty.clone();
    let e = super::expr::coerce(
        t,
        &super::value::SqlType::BigInt,
        super::value::CastContext::Implicit,
    )?
    .ok_or_else(|| {
        Failure::new(format!(
            "argument of {what} must be type bigint, not type {}",
            super::expr::type_name(&ty)
        ))
    })?;
    match eval(&fold(e)?, &[])? {
        Value::Null => Ok(None),
        Value::Int(n) if n < 0 => Err(Failure::new(format!("{what} must not be negative"))),
        Value::Int(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        _ => Err(Failure::new(format!(
            "argument of {what} must be type bigint"
        ))),
    }
}

/// A compiled `SELECT`: its items (wildcards expanded) and the rows its filter kept.
struct Selected {
    items: Vec<Typed>,
    rows: Vec<Row>,
    scanned: u64,
    table: Option<String>,
}

/// A row qualifies when the filter is absent or TRUE (NULL does not qualify).
fn matches(filter: Option<&TExpr>, row: &[Value]) -> Result<bool, Failure> {
    match filter {
        None => Ok(true),
        Some(f) => Ok(eval(f, row)? == Value::Bool(true)),
    }
}
