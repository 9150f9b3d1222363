//! Foreign keys: creation, the check on a referencing row, and the actions when a referenced
//! row goes away. PostgreSQL runs these as after-row triggers at the end of each statement;
//! `dml.rs` collects row events and [`SqlStore::fire_events`] replays them depth-first, so a
//! cascaded delete's own cascades run before the next original row's.

use super::ddl::positions;
use super::expr::{compile, eval, require_bool, Scope, TExpr};
use super::table::{key_text, ConstraintKind, FkAction, Row, Table};
use super::value::{convert, Failure, SqlType, Value};
use super::{SqlStore, StatementOutcome};

/// A foreign key with its columns resolved to positions.
#[derive(Clone, Debug)]
pub(crate) struct FkInfo {
    pub name: String,
    pub child: String,
    pub child_cols: Vec<usize>,
    pub parent: String,
    pub parent_cols: Vec<usize>,
    pub on_delete: FkAction,
}

/// A row change whose foreign-key consequences run at the end of the statement.
#[derive(Clone, Debug)]
pub(crate) enum RowEvent {
    Inserted {
        table: String,
        id: u64,
    },
    Deleted {
        table: String,
        old: Row,
    },
    Updated {
        table: String,
        old: Row,
        new_id: u64,
    },
}

fn referenced_missing(c: &str) -> String {
    format!("column \"{c}\" referenced in foreign key constraint does not exist")
}

impl SqlStore {
    /// Add a foreign key to `table` (ALTER TABLE ADD / CREATE TABLE).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_foreign_key(
        &mut self,
        table: &str,
        name: Option<String>,
        columns: Vec<String>,
        ref_table: String,
        ref_columns: Vec<String>,
        on_delete: FkAction,
        validate: bool,
    ) -> Result<(), Failure> {
        let child = self.table_ref(table)?;
        let parent = self.table_ref(&ref_table)?;
        let ref_columns = if ref_columns.is_empty() {
            let pk = parent.primary_key().ok_or_else(|| {
                Failure::new(format!(
                    "there is no primary key for referenced table \"{ref_table}\""
                ))
            })?;
            pk.columns
                .iter()
                .map(|&c| parent.columns[c].name.clone())
                .collect()
        } else {
            ref_columns
        };
        if columns.len() != ref_columns.len() {
            return Err(Failure::new(
                "number of referencing and referenced columns for foreign key disagree",
            ));
        }
        let child_cols = positions(child, &columns, referenced_missing)?;
        let parent_cols = positions(parent, &ref_columns, referenced_missing)?;
        if unique_index_for(parent, &parent_cols).is_none() {
            return Err(Failure::new(format!(
                "there is no unique constraint matching given keys for referenced table \"{ref_table}\""
            )));
        }
        let name = match name {
            Some(n) if child.constraints.iter().any(|c| c.name == n) => {
                return Err(Failure::new(format!(
                    "constraint \"{n}\" for relation \"{table}\" already exists"
                )))
            }
            Some(n) => n,
            None => self.choose_name(table, &columns, "fkey", false),
        };
        key_types_compatible(&name, child, &child_cols, parent, &parent_cols)?;
        let info = FkInfo {
            name: name.clone(),
            child: table.to_string(),
            child_cols,
            parent: ref_table.clone(),
            parent_cols,
            on_delete,
        };
        if validate {
            for row in child.rows.values() {
                self.check_child_row(&info, row)?;
            }
        }
        let kind = ConstraintKind::ForeignKey {
            columns,
            ref_table,
            ref_columns,
            on_delete,
        };
        let t = self.table_mut(table)?;
        t.constraints.push(super::table::Constraint { name, kind });
        Ok(())
    }

    /// Resolve a foreign key constraint of `child` by name.
    pub(crate) fn fk_info(&self, child: &str, name: &str) -> Option<FkInfo> {
        let t = self.tables.get(child)?;
        let c = t.constraints.iter().find(|c| c.name == name)?;
        let ConstraintKind::ForeignKey {
            columns,
            ref_table,
            ref_columns,
            on_delete,
        } = &c.kind
        else {
            return None;
        };
        let parent = self.tables.get(ref_table)?;
        Some(FkInfo {
            name: name.to_string(),
            child: child.to_string(),
            child_cols: positions(t, columns, referenced_missing).ok()?,
            parent: ref_table.clone(),
            parent_cols: positions(parent, ref_columns, referenced_missing).ok()?,
            on_delete: *on_delete,
        })
    }

    /// Foreign keys declared on `table` (it is the referencing side).
    pub(crate) fn fks_of(&self, table: &str) -> Vec<FkInfo> {
        let Some(t) = self.tables.get(table) else {
            return Vec::new();
        };
        t.constraints
            .iter()
            .filter(|c| matches!(c.kind, ConstraintKind::ForeignKey { .. }))
            .filter_map(|c| self.fk_info(table, &c.name))
            .collect()
    }

    /// The unique index of the parent table a foreign key relies on.
    pub(crate) fn fk_index_name(&self, child: &str, fk: &str) -> Option<String> {
        let info = self.fk_info(child, fk)?;
        let parent = self.tables.get(&info.parent)?;
        unique_index_for(parent, &info.parent_cols).map(|i| parent.indexes[i].name.clone())
    }

    /// Refuse a referencing row whose key (all columns non-NULL: MATCH SIMPLE) has no
    /// referenced row.
    pub(crate) fn check_child_row(&self, fk: &FkInfo, row: &[Value]) -> Result<(), Failure> {
        let key: Vec<Value> = fk.child_cols.iter().map(|&c| row[c].clone()).collect();
        if key.iter().any(Value::is_null) {
            return Ok(());
        }
        let parent = self.table_ref(&fk.parent)?;
        let child = self.table_ref(&fk.child)?;
        if !parent_has_key(parent, &fk.parent_cols, child, &fk.child_cols, row) {
            let names: Vec<&str> = fk
                .child_cols
                .iter()
                .map(|&c| child.columns[c].name.as_str())
                .collect();
            let types: Vec<&SqlType> = fk
                .child_cols
                .iter()
                .map(|&c| &child.columns[c].ty)
                .collect();
            return Err(Failure::with_detail(
                format!(
                    "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
                    fk.child, fk.name
                ),
                format!(
                    "{} is not present in table \"{}\".",
                    key_text(&names, &key, &types),
                    fk.parent
                ),
            ));
        }
        Ok(())
    }

    /// Row ids in the child table that reference the parent key held by `parent_row`.
    fn referencing_rows(&self, fk: &FkInfo, parent_row: &[Value]) -> Vec<u64> {
        let (Some(parent), Some(child)) = (self.tables.get(&fk.parent), self.tables.get(&fk.child))
        else {
            return Vec::new();
        };
        if fk.parent_cols.iter().any(|&p| parent_row[p].is_null()) {
            return Vec::new();
        }
        // An index whose columns are exactly the referencing columns (what PostgreSQL's
        // docs advise creating) turns the scan into a lookup, in physical order as the scan.
        let same_types = fk
            .child_cols
            .iter()
            .zip(&fk.parent_cols)
            .all(|(&c, &p)| child.columns[c].ty.base() == parent.columns[p].ty.base());
        let index = child.indexes.iter().find(|i| i.columns == fk.child_cols);
        if let (Some(index), true) = (index, same_types) {
            let key: Vec<Value> = fk
                .parent_cols
                .iter()
                .map(|&p| parent_row[p].clone())
                .collect();
            let mut ids = index.lookup(&key);
            ids.sort_unstable();
            return ids;
        }
        child
            .rows_physical()
            .filter(|(_, r)| {
                keys_match(
                    parent,
                    &fk.parent_cols,
                    parent_row,
                    child,
                    &fk.child_cols,
                    r,
                )
            })
            .map(|(id, _)| id)
            .collect()
    }

    /// Run the foreign-key consequences of a statement's row events, depth-first.
    pub(crate) fn fire_events(
        &mut self,
        events: Vec<RowEvent>,
        out: &mut StatementOutcome,
    ) -> Result<(), Failure> {
        let mut stack: Vec<RowEvent> = events.into_iter().rev().collect();
        while let Some(ev) = stack.pop() {
            let more = self.fire(ev, out)?;
            stack.extend(more.into_iter().rev());
        }
        Ok(())
    }

    fn fire(&mut self, ev: RowEvent, out: &mut StatementOutcome) -> Result<Vec<RowEvent>, Failure> {
        match ev {
            RowEvent::Inserted { table, id } => {
                for fk in self.fks_of(&table) {
                    if let Some(row) = self.table_ref(&table)?.row(id) {
                        self.check_child_row(&fk, row)?;
                    }
                }
                Ok(Vec::new())
            }
            RowEvent::Updated { table, old, new_id } => {
                for fk in self.fks_of(&table) {
                    let Some(row) = self.table_ref(&table)?.row(new_id) else {
                        continue;
                    };
                    if fk
                        .child_cols
                        .iter()
                        .any(|&c| old[c].total_cmp(&row[c]).is_ne())
                    {
                        self.check_child_row(&fk, row)?;
                    }
                }
                let new = self.table_ref(&table)?.row(new_id).cloned();
                self.parent_key_gone(&table, &old, new.as_deref(), out)
            }
            RowEvent::Deleted { table, old } => self.parent_key_gone(&table, &old, None, out),
        }
    }

    /// A referenced row was deleted (`new` is `None`) or updated: apply each referencing
    /// foreign key's action. Updates behave as NO ACTION / RESTRICT.
    fn parent_key_gone(
        &mut self,
        table: &str,
        old: &[Value],
        new: Option<&[Value]>,
        out: &mut StatementOutcome,
    ) -> Result<Vec<RowEvent>, Failure> {
        let mut events = Vec::new();
        for (child, name) in self.fks_referencing(table) {
            let Some(fk) = self.fk_info(&child, &name) else {
                continue;
            };
            if let Some(new) = new {
                if fk
                    .parent_cols
                    .iter()
                    .all(|&p| old[p].total_cmp(&new[p]).is_eq())
                {
                    continue;
                }
            }
            // Only NO ACTION / RESTRICT exist for updates here; both refuse a dangling key.
            let action = if new.is_some() {
                FkAction::NoAction
            } else {
                fk.on_delete
            };
            let children = self.referencing_rows(&fk, old);
            if children.is_empty() {
                continue;
            }
            match action {
                FkAction::NoAction if self.parent_still_has(&fk, old) => {}
                FkAction::NoAction | FkAction::Restrict => {
                    return Err(self.still_referenced(&fk, old))
                }
                FkAction::Cascade => {
                    for id in children {
                        let row = self.remove_row(&child, id)?;
                        out.rows_cascaded += 1;
                        events.push(RowEvent::Deleted {
                            table: child.clone(),
                            old: row,
                        });
                    }
                }
                FkAction::SetNull => {
                    for id in children {
                        let Some(mut row) = self.table_ref(&child)?.row(id).cloned() else {
                            continue;
                        };
                        let old_row = row.clone();
                        for &c in &fk.child_cols {
                            row[c] = Value::Null;
                        }
                        let checks = self.compiled_checks(&child)?;
                        check_row(self.table_ref(&child)?, &checks, &row)?;
                        self.remove_row(&child, id)?;
                        let new_id = self.insert_row(&child, row)?;
                        out.rows_cascaded += 1;
                        events.push(RowEvent::Updated {
                            table: child.clone(),
                            old: old_row,
                            new_id,
                        });
                    }
                }
            }
        }
        Ok(events)
    }

    fn parent_still_has(&self, fk: &FkInfo, old: &[Value]) -> bool {
        let Some(parent) = self.tables.get(&fk.parent) else {
            return false;
        };
        let Some(ix) = unique_index_for(parent, &fk.parent_cols) else {
            return false;
        };
        let index = &parent.indexes[ix];
        let key: Vec<Value> = index.columns.iter().map(|&p| old[p].clone()).collect();
        !index.lookup(&key).is_empty()
    }

    fn still_referenced(&self, fk: &FkInfo, old: &[Value]) -> Failure {
        let Some(parent) = self.tables.get(&fk.parent) else {
            return Failure::new("internal: parent");
        };
        let names: Vec<&str> = fk
            .parent_cols
            .iter()
            .map(|&p| parent.columns[p].name.as_str())
            .collect();
        let types: Vec<&SqlType> = fk
            .parent_cols
            .iter()
            .map(|&p| &parent.columns[p].ty)
            .collect();
        let key: Vec<Value> = fk.parent_cols.iter().map(|&p| old[p].clone()).collect();
        Failure::with_detail(
            format!(
                "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{}\"",
                fk.parent, fk.name, fk.child
            ),
            format!("{} is still referenced from table \"{}\".", key_text(&names, &key, &types), fk.child),
        )
    }

    /// The table's CHECK constraints compiled for this statement, in name order (the order
    /// PostgreSQL evaluates them).
    pub(crate) fn compiled_checks(&self, table: &str) -> Result<Vec<(String, TExpr)>, Failure> {
        let t = self.table_ref(table)?;
        let scope = Scope {
            table,
            columns: &t.columns,
        };
        let mut out = Vec::new();
        for c in &t.constraints {
            if let ConstraintKind::Check { expr } = &c.kind {
                out.push((
                    c.name.clone(),
                    require_bool(compile(expr, scope)?, "CHECK")?,
                ));
            }
        }
        crate::sim::sort::sort_by(&mut out, |a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

/// NOT NULL (column order) then CHECK constraints (name order) for one row.
pub(crate) fn check_row(
    t: &Table,
    checks: &[(String, TExpr)],
    row: &[Value],
) -> Result<(), Failure> {
    for (c, v) in t.columns.iter().zip(row) {
        if c.not_null && v.is_null() {
            return Err(Failure::with_detail(
                format!(
                    "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                    c.name, t.name
                ),
                t.failing_row(row),
            ));
        }
    }
    for (name, e) in checks {
        if eval(e, row)? == Value::Bool(false) {
            return Err(Failure::with_detail(
                format!(
                    "new row for relation \"{}\" violates check constraint \"{name}\"",
                    t.name
                ),
                t.failing_row(row),
            ));
        }
    }
    Ok(())
}

/// PostgreSQL needs an equality operator between each pair of key columns; here: the same
/// type category (integer and numeric mix, text and varchar mix, date and timestamp mix).
pub(crate) fn key_types_compatible(
    name: &str,
    child: &Table,
    child_cols: &[usize],
    parent: &Table,
    parent_cols: &[usize],
) -> Result<(), Failure> {
    for (&c, &p) in child_cols.iter().zip(parent_cols) {
        let (ct, pt) = (&child.columns[c], &parent.columns[p]);
        if ct.ty.category() != pt.ty.category() {
            return Err(Failure::with_detail(
                format!("foreign key constraint \"{name}\" cannot be implemented"),
                format!(
                    "Key columns \"{}\" and \"{}\" are of incompatible types: {} and {}.",
                    ct.name,
                    pt.name,
                    super::expr::type_name(&Some(ct.ty.clone())),
                    super::expr::type_name(&Some(pt.ty.clone()))
                ),
            ));
        }
    }
    Ok(())
}

/// Position in `parent.indexes` of a unique index over exactly `cols` (in any order).
pub(crate) fn unique_index_for(parent: &Table, cols: &[usize]) -> Option<usize> {
    let mut want = cols.to_vec();
    want.sort_unstable();
    parent.indexes.iter().position(|i| {
        let mut have = i.columns.clone();
        have.sort_unstable();
        i.unique && have == want
    })
}

/// A child value as the parent column's type (`None` if it cannot be one: no match).
fn as_type(v: &Value, child_ty: &SqlType, parent_ty: &SqlType) -> Option<Value> {
    if child_ty.base() == parent_ty.base() {
        return Some(v.clone());
    }
    convert(v.clone(), child_ty, &parent_ty.base(), false).ok()
}

fn keys_match(
    parent: &Table,
    pcols: &[usize],
    prow: &[Value],
    child: &Table,
    ccols: &[usize],
    crow: &[Value],
) -> bool {
    pcols.iter().zip(ccols).all(|(&p, &c)| {
        match as_type(&crow[c], &child.columns[c].ty, &parent.columns[p].ty) {
            Some(v) => !v.is_null() && v.total_cmp(&prow[p]).is_eq(),
            None => false,
        }
    })
}

fn parent_has_key(
    parent: &Table,
    pcols: &[usize],
    child: &Table,
    ccols: &[usize],
    crow: &[Value],
) -> bool {
    let Some(ix) = unique_index_for(parent, pcols) else {
        return false;
    };
    let index = &parent.indexes[ix];
    let mut key = Vec::with_capacity(index.columns.len());
    for p in &index.columns {
        let Some(j) = pcols.iter().position(|q| q == p) else {
            return false;
        };
        let c = ccols[j];
        match as_type(&crow[c], &child.columns[c].ty, &parent.columns[*p].ty) {
            Some(v) => key.push(v),
            None => return false,
        }
    }
    !index.lookup(&key).is_empty()
}
