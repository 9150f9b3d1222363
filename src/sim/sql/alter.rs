//! `ALTER TABLE`: add / drop / rename column, rename table, column type (with and without
//! `USING`), defaults, NOT NULL, add / drop constraint. The statement runs on a catalog
//! snapshot, so a failure part-way restores everything. Cost flags follow PostgreSQL 11+:
//! `ADD COLUMN` with a constant default does not rewrite, `ALTER COLUMN TYPE` does unless the
//! new type is binary-compatible (a longer `VARCHAR`, a wider `NUMERIC` with the same scale).

use super::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, ColumnDef, DataType, Expr,
};

use super::ddl::{column_def, column_default, rename_idents, table_constraint, Spec};
use super::expr::{coerce, compile, eval, fold, ident_name, sql_type, type_name, Scope, Typed};
use super::fk::key_types_compatible;
use super::table::ConstraintKind;
use super::value::{cast_allowed, CastContext, Failure, SqlType, Value};
use super::{
    object_name, LockKind, SqlStore, StatementKind, StatementOutcome, COLUMNS_PER_TABLE_MAX,
};

fn no_column(col: &str, table: &str) -> Failure {
    Failure::new(format!(
        "column \"{col}\" of relation \"{table}\" does not exist"
    ))
}

/// True when PostgreSQL changes the type without touching rows.
fn binary_compatible(from: &SqlType, to: &SqlType) -> bool {
    match (from, to) {
        (SqlType::Varchar(_) | SqlType::Text, SqlType::Text | SqlType::Varchar(None)) => true,
        (SqlType::Varchar(Some(a)), SqlType::Varchar(Some(b))) => b >= a,
        (SqlType::Numeric(_), SqlType::Numeric(None)) => true,
        (SqlType::Numeric(Some((p1, s1))), SqlType::Numeric(Some((p2, s2)))) => {
            s1 == s2 && p2 >= p1
        }
        _ => from == to,
    }
}

impl SqlStore {
    pub(crate) fn alter_table(&mut self, at: &AlterTable) -> Result<StatementOutcome, Failure> {
        let mut name = object_name(&at.name)?;
        let mut out = StatementOutcome::new(
            StatementKind::AlterTable,
            Some(name.clone()),
            LockKind::None,
        );
        if !self.tables.contains_key(&name) {
            if at.if_exists {
                return Ok(out);
            }
            return Err(Failure::new(format!("relation \"{name}\" does not exist")));
        }
        // PostgreSQL's grammar has RENAME only as an ALTER TABLE of its own.
        let rename = |op: &AlterTableOperation| {
            matches!(
                op,
                AlterTableOperation::RenameColumn { .. } | AlterTableOperation::RenameTable(_)
            )
        };
        if at.operations.len() > 1 && at.operations.iter().any(rename) {
            return Err(Failure::new("syntax error at or near \"RENAME\""));
        }
        self.snapshot()?;
        for op in &at.operations {
            self.alter_op(&mut name, op, &mut out)?;
        }
        out.table = Some(name);
        Ok(out)
    }

    fn alter_op(
        &mut self,
        table: &mut String,
        op: &AlterTableOperation,
        out: &mut StatementOutcome,
    ) -> Result<(), Failure> {
        let mut lock = LockKind::AccessExclusive;
        match op {
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => {
                let spec = table_constraint(constraint)?;
                let keyed = matches!(spec.spec, Spec::PrimaryKey(_) | Spec::Unique(_));
                if *not_valid && keyed {
                    return Err(Failure::new(
                        "PRIMARY KEY and UNIQUE constraints cannot be marked NOT VALID",
                    ));
                }
                if matches!(spec.spec, Spec::ForeignKey { .. }) {
                    lock = LockKind::ShareRowExclusive;
                }
                out.index_builds += keyed as u32;
                out.rows_scanned += self.add_constraint(table, spec, !*not_valid)?;
            }
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def: def,
            } => self.add_column(table, def, *if_not_exists, out)?,
            AlterTableOperation::DropColumn {
                name,
                if_exists,
                cascade,
            } => self.drop_column(table, &ident_name(name), *if_exists, *cascade)?,
            AlterTableOperation::RenameColumn { old, new } => {
                self.rename_column(table, &ident_name(old), &ident_name(new))?
            }
            AlterTableOperation::RenameTable(n) => {
                let new = object_name(n)?;
                self.rename_table(table, &new)?;
                *table = new;
            }
            AlterTableOperation::AlterColumn { column, op } => {
                lock = self.alter_column(table, &ident_name(column), op, out)?;
            }
            AlterTableOperation::DropConstraint {
                if_exists,
                name,
                cascade,
            } => self.drop_constraint(table, &ident_name(name), *if_exists, *cascade)?,
        }
        out.lock = out.lock.max(lock);
        Ok(())
    }

    fn add_column(
        &mut self,
        table: &str,
        def: &ColumnDef,
        if_not_exists: bool,
        out: &mut StatementOutcome,
    ) -> Result<(), Failure> {
        let mut specs = Vec::new();
        let col = column_def(def, &mut specs)?;
        let t = self.table_mut(table)?;
        if t.column_index(&col.name).is_some() {
            if if_not_exists {
                return Ok(());
            }
            return Err(Failure::new(format!(
                "column \"{}\" of relation \"{table}\" already exists",
                col.name
            )));
        }
        if t.columns.len() >= COLUMNS_PER_TABLE_MAX {
            return Err(Failure::new(format!(
                "tables can have at most {COLUMNS_PER_TABLE_MAX} columns"
            )));
        }
        // PostgreSQL 11+ stores the default once for existing rows (no rewrite).
        let fill = col.default_value()?;
        if col.not_null && fill.is_null() && !t.rows.is_empty() {
            return Err(Failure::new(format!(
                "column \"{}\" of relation \"{table}\" contains null values",
                col.name
            )));
        }
        t.columns.push(col);
        for row in t.rows.values_mut() {
            row.push(fill.clone());
        }
        for spec in specs {
            out.rows_scanned += self.add_constraint(table, spec, true)?;
        }
        Ok(())
    }

    fn drop_column(
        &mut self,
        table: &str,
        col: &str,
        if_exists: bool,
        cascade: bool,
    ) -> Result<(), Failure> {
        let t = self.table_ref(table)?;
        let Some(pos) = t.column_index(col) else {
            return if if_exists {
                Ok(())
            } else {
                Err(no_column(col, table))
            };
        };
        // Foreign keys elsewhere that reference this column need CASCADE.
        for (child, fk) in self.referencing_fks(table) {
            let refs_col = self.tables.get(&child).and_then(|c| c.constraints.iter().find(|x| x.name == fk)).is_some_and(|c| {
                matches!(&c.kind, ConstraintKind::ForeignKey { ref_columns, .. } if ref_columns.iter().any(|r| r == col))
            });
            if !refs_col {
                continue;
            }
            if !cascade {
                return Err(Failure::with_detail(
                    format!("cannot drop column {col} of table {table} because other objects depend on it"),
                    format!("constraint {fk} on table {child} depends on column {col} of table {table}"),
                ));
            }
            self.drop_constraint_named(&child, &fk)?;
        }
        let t = self.table_mut(table)?;
        let dropped_indexes: Vec<String> = t
            .indexes
            .iter()
            .filter(|i| i.columns.contains(&pos))
            .map(|i| i.name.clone())
            .collect();
        t.constraints.retain(|c| match &c.kind {
            ConstraintKind::PrimaryKey | ConstraintKind::Unique => {
                !dropped_indexes.contains(&c.name)
            }
            ConstraintKind::ForeignKey {
                columns,
                ref_table,
                ref_columns,
                ..
            } => {
                let self_ref = ref_table == table && ref_columns.iter().any(|x| x == col);
                !(columns.iter().any(|x| x == col) || self_ref)
            }
            ConstraintKind::Check { expr } => {
                let mut uses = false;
                super::ddl::walk_idents(expr, &mut |n| uses |= n == col);
                !uses
            }
        });
        t.indexes.retain(|i| !i.columns.contains(&pos));
        for i in &mut t.indexes {
            for c in &mut i.columns {
                if *c > pos {
                    *c -= 1;
                }
            }
        }
        t.columns.remove(pos);
        for row in t.rows.values_mut() {
            row.remove(pos);
        }
        t.rebuild_indexes()
    }

    fn rename_column(&mut self, table: &str, old: &str, new: &str) -> Result<(), Failure> {
        let t = self.table_mut(table)?;
        let pos = t
            .column_index(old)
            .ok_or_else(|| Failure::new(format!("column \"{old}\" does not exist")))?;
        if t.column_index(new).is_some() {
            return Err(Failure::new(format!(
                "column \"{new}\" of relation \"{table}\" already exists"
            )));
        }
        t.columns[pos].name = new.to_string();
        let swap = |names: &mut Vec<String>| {
            names
                .iter_mut()
                .filter(|n| *n == old)
                .for_each(|n| *n = new.to_string())
        };
        for t in self.tables.values_mut() {
            let own = t.name == table;
            for c in &mut t.constraints {
                match &mut c.kind {
                    ConstraintKind::ForeignKey {
                        columns,
                        ref_table,
                        ref_columns,
                        ..
                    } => {
                        if own {
                            swap(columns);
                        }
                        if ref_table == table {
                            swap(ref_columns);
                        }
                    }
                    ConstraintKind::Check { expr } if own => {
                        rename_idents(expr, &mut |n| (n == old).then(|| new.to_string()));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn rename_table(&mut self, old: &str, new: &str) -> Result<(), Failure> {
        if self.relation_exists(new) {
            return Err(Failure::new(format!("relation \"{new}\" already exists")));
        }
        let mut t = self
            .tables
            .remove(old)
            .ok_or_else(|| Failure::new(format!("relation \"{old}\" does not exist")))?;
        t.name = new.to_string();
        self.tables.insert(new.to_string(), t);
        for t in self.tables.values_mut() {
            for c in &mut t.constraints {
                if let ConstraintKind::ForeignKey { ref_table, .. } = &mut c.kind {
                    if ref_table == old {
                        *ref_table = new.to_string();
                    }
                }
            }
        }
        Ok(())
    }

    /// Set NOT NULL after checking every row (PostgreSQL scans the table). Returns rows scanned.
    pub(crate) fn set_not_null(&mut self, table: &str, col: &str) -> Result<u64, Failure> {
        let t = self.table_mut(table)?;
        let pos = t.column_index(col).ok_or_else(|| no_column(col, table))?;
        if t.columns[pos].not_null {
            return Ok(0);
        }
        if t.rows.values().any(|r| r[pos].is_null()) {
            return Err(Failure::new(format!(
                "column \"{col}\" of relation \"{table}\" contains null values"
            )));
        }
        t.columns[pos].not_null = true;
        Ok(t.rows.len() as u64)
    }

    fn alter_column(
        &mut self,
        table: &str,
        col: &str,
        op: &AlterColumnOperation,
        out: &mut StatementOutcome,
    ) -> Result<LockKind, Failure> {
        let t = self.table_ref(table)?;
        let pos = t.column_index(col).ok_or_else(|| no_column(col, table))?;
        match op {
            AlterColumnOperation::SetNotNull => {
                out.rows_scanned += self.set_not_null(table, col)?
            }
            AlterColumnOperation::DropNotNull => {
                let in_pk = t.primary_key().is_some_and(|pk| pk.columns.contains(&pos));
                if in_pk {
                    return Err(Failure::new(format!(
                        "column \"{col}\" is in a primary key"
                    )));
                }
                self.table_mut(table)?.columns[pos].not_null = false;
            }
            AlterColumnOperation::SetDefault(value) => {
                let v = column_default(value, &t.columns[pos])?;
                self.table_mut(table)?.columns[pos].default = Some(v);
            }
            AlterColumnOperation::DropDefault => self.table_mut(table)?.columns[pos].default = None,
            AlterColumnOperation::SetDataType { data_type, using } => {
                self.alter_type(table, pos, data_type, using.as_ref(), out)?
            }
        }
        Ok(LockKind::AccessExclusive)
    }

    fn alter_type(
        &mut self,
        table: &str,
        pos: usize,
        dt: &DataType,
        using: Option<&Expr>,
        out: &mut StatementOutcome,
    ) -> Result<(), Failure> {
        let to = sql_type(dt)?;
        let t = self.table_ref(table)?;
        let col = t.columns[pos].clone();
        let conv = type_conversion(t, table, pos, &to, using)?;
        let conv = fold(conv)?;
        if let Some(d) = &col.default {
            if !cast_allowed(&d.ty, &to, CastContext::Assignment) {
                return Err(Failure::new(format!(
                    "default for column \"{}\" cannot be cast automatically to type {}",
                    col.name,
                    type_name(&Some(to.clone()))
                )));
            }
        }
        let rewrite = using.is_some() || !binary_compatible(&col.ty, &to);
        let mut new_rows = Vec::with_capacity(t.row_count());
        for (id, row) in t.rows_physical() {
            let v = eval(&conv, row)?;
            if col.not_null && v.is_null() {
                return Err(Failure::new(format!(
                    "column \"{}\" of relation \"{table}\" contains null values",
                    col.name
                )));
            }
            new_rows.push((id, v));
        }
        let t = self.table_mut(table)?;
        t.columns[pos].ty = to;
        for (id, v) in new_rows {
            if let Some(r) = t.rows.get_mut(&id) {
                r[pos] = v;
            }
        }
        let n = t.row_count() as u64;
        if rewrite {
            out.table_rewrite = true;
            out.index_builds += t.indexes.len() as u32;
            out.rows_scanned += n;
        }
        t.rebuild_indexes()?;
        self.revalidate(table)
    }

    /// After a type change: recompile and re-check CHECK constraints, and re-check foreign
    /// keys on both sides (types must still be comparable).
    fn revalidate(&mut self, table: &str) -> Result<(), Failure> {
        let checks = self.compiled_checks(table)?;
        let t = self.table_ref(table)?;
        for (name, e) in &checks {
            for row in t.rows.values() {
                if eval(e, row)? == Value::Bool(false) {
                    return Err(Failure::new(format!("check constraint \"{name}\" of relation \"{table}\" is violated by some row")));
                }
            }
        }
        let mut fks = self.fks_of(table);
        for (child, name) in self.referencing_fks(table) {
            fks.extend(self.fk_info(&child, &name));
        }
        for fk in fks {
            let child = self.table_ref(&fk.child)?;
            let parent = self.table_ref(&fk.parent)?;
            key_types_compatible(&fk.name, child, &fk.child_cols, parent, &fk.parent_cols)?;
            for row in child.rows.values() {
                self.check_child_row(&fk, row)?;
            }
        }
        Ok(())
    }

    fn drop_constraint(
        &mut self,
        table: &str,
        name: &str,
        if_exists: bool,
        cascade: bool,
    ) -> Result<(), Failure> {
        let t = self.table_ref(table)?;
        let Some(c) = t.constraints.iter().find(|c| c.name == name) else {
            if if_exists {
                return Ok(());
            }
            return Err(Failure::new(format!(
                "constraint \"{name}\" of relation \"{table}\" does not exist"
            )));
        };
        if matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique) {
            for (child, fk) in self.fks_referencing(table) {
                if self.fk_index_name(&child, &fk).as_deref() != Some(name) {
                    continue;
                }
                if !cascade {
                    return Err(Failure::with_detail(
                        format!("cannot drop constraint {name} on table {table} because other objects depend on it"),
                        format!("constraint {fk} on table {child} depends on index {name}"),
                    ));
                }
                self.drop_constraint_named(&child, &fk)?;
            }
        }
        self.drop_constraint_named(table, name)
    }
}

/// The expression that turns a row's old value into the new type: the `USING` expression
/// (any columns), or the column itself; either must have an assignment cast to the new type.
fn type_conversion(
    t: &super::table::Table,
    table: &str,
    pos: usize,
    to: &SqlType,
    using: Option<&Expr>,
) -> Result<super::expr::TExpr, Failure> {
    let col = &t.columns[pos];
    let conv = match using {
        Some(e) => {
            let typed = compile(
                e,
                Scope {
                    table,
                    columns: &t.columns,
                },
            )?;
            coerce(typed, to, CastContext::Assignment)?.ok_or_else(|| {
                Failure::new(format!("result of USING clause for column \"{}\" cannot be cast automatically to type {}", col.name, type_name(&Some(to.clone()))))
            })?
        }
        None => {
            let typed = Typed {
                e: super::expr::TExpr::Column(pos),
                ty: Some(col.ty.clone()),
            };
            coerce(typed, to, CastContext::Assignment)?.ok_or_else(|| {
                Failure::new(format!(
                    "column \"{}\" cannot be cast automatically to type {}",
                    col.name,
                    type_name(&Some(to.clone()))
                ))
            })?
        }
    };
    Ok(conv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_compatible_changes_skip_the_rewrite() {
        use SqlType::*;
        assert!(binary_compatible(&Varchar(Some(5)), &Varchar(Some(10))));
        assert!(binary_compatible(&Varchar(Some(5)), &Text));
        assert!(!binary_compatible(&Varchar(Some(10)), &Varchar(Some(5))));
        assert!(binary_compatible(
            &Numeric(Some((5, 2))),
            &Numeric(Some((8, 2)))
        ));
        assert!(!binary_compatible(
            &Numeric(Some((5, 2))),
            &Numeric(Some((8, 3)))
        ));
        assert!(!binary_compatible(&Int, &BigInt));
    }

    #[test]
    fn failed_alter_leaves_the_table_untouched() {
        let mut s = SqlStore::new();
        s.execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'x')")
            .unwrap();
        let before = s.table("t").cloned();
        let e = s
            .execute(
                "ALTER TABLE t ADD COLUMN w INT DEFAULT 1, ALTER COLUMN v TYPE INT USING v::int",
            )
            .unwrap_err();
        assert_eq!(e.message, "invalid input syntax for type integer: \"x\"");
        assert_eq!(s.table("t").cloned(), before);
    }
}
