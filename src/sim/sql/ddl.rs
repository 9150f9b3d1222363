//! `CREATE TABLE`, `DROP TABLE`, `CREATE INDEX`, `DROP INDEX`, and adding constraints
//! (shared with `ALTER TABLE`). Default names follow PostgreSQL: `{table}_pkey`,
//! `{table}_{cols}_key`, `{table}_{cols}_fkey`, `{table}_{col}_check` (or `{table}_check`
//! when the expression uses several columns), `{table}_{cols}_idx`, with a number appended
//! to the label when the name is taken (`t_a_key1`).

use super::ast::{
    ColumnDef, ColumnOption, CreateIndex, CreateTable, Expr, Ident, ObjectName, References,
    ReferentialAction, TableConstraint,
};

use super::expr::{self, coerce_assign, compile, eval, ident_name, require_bool, Scope};
use super::table::{Column, ColumnDefault, Constraint, ConstraintKind, FkAction, Index, Table};
use super::value::{cast_allowed, CastContext, Failure, Value};
use super::{
    object_name, LockKind, SqlStore, StatementKind, StatementOutcome, COLUMNS_PER_TABLE_MAX,
    INDEXES_PER_TABLE_MAX, TABLES_MAX,
};

/// A constraint as written, before it is named and attached.
#[derive(Clone, Debug)]
pub(crate) enum Spec {
    PrimaryKey(Vec<String>),
    Unique(Vec<String>),
    ForeignKey {
        columns: Vec<String>,
        ref_table: String,
        /// Empty: the referenced table's primary key.
        ref_columns: Vec<String>,
        on_delete: FkAction,
    },
    Check(Box<Expr>),
}

/// A constraint with its optional explicit name.
#[derive(Clone, Debug)]
pub(crate) struct NamedSpec {
    pub name: Option<String>,
    pub spec: Spec,
}

fn unsupported_if(cond: bool, what: &str) -> Result<(), Failure> {
    if cond {
        Err(Failure::unsupported(what))
    } else {
        Ok(())
    }
}

fn names(cols: &[Ident]) -> Vec<String> {
    cols.iter().map(ident_name).collect()
}

fn fk_action(a: Option<ReferentialAction>) -> Result<FkAction, Failure> {
    Ok(match a {
        None | Some(ReferentialAction::NoAction) => FkAction::NoAction,
        Some(ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ReferentialAction::SetDefault) => {
            return Err(Failure::unsupported("ON DELETE SET DEFAULT"))
        }
    })
}

/// A foreign key's spec from its `REFERENCES` clause.
fn foreign_key(columns: Vec<String>, r: &References) -> Result<Spec, Failure> {
    let on_update = fk_action(r.on_update)?;
    unsupported_if(
        !matches!(on_update, FkAction::NoAction | FkAction::Restrict),
        "ON UPDATE CASCADE / SET NULL",
    )?;
    Ok(Spec::ForeignKey {
        columns,
        ref_table: object_name(&r.table)?,
        ref_columns: names(&r.columns),
        on_delete: fk_action(r.on_delete)?,
    })
}

/// Convert a parsed table constraint to a [`NamedSpec`].
pub(crate) fn table_constraint(tc: &TableConstraint) -> Result<NamedSpec, Failure> {
    let name_of = |n: &Option<Ident>| n.as_ref().map(ident_name);
    Ok(match tc {
        TableConstraint::PrimaryKey { name, columns } => NamedSpec {
            name: name_of(name),
            spec: Spec::PrimaryKey(names(columns)),
        },
        TableConstraint::Unique { name, columns } => NamedSpec {
            name: name_of(name),
            spec: Spec::Unique(names(columns)),
        },
        TableConstraint::ForeignKey {
            name,
            columns,
            references,
        } => NamedSpec {
            name: name_of(name),
            spec: foreign_key(names(columns), references)?,
        },
        TableConstraint::Check { name, expr } => NamedSpec {
            name: name_of(name),
            spec: Spec::Check(expr.clone()),
        },
    })
}

/// Column names referenced by an expression (for naming checks and dependency tracking).
pub(crate) fn referenced_columns(e: &Expr, columns: &[Column]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    walk_idents(e, &mut |name| {
        if columns.iter().any(|c| c.name == name) && !out.contains(&name.to_string()) {
            out.push(name.to_string());
        }
    });
    out
}

/// Visit every column identifier in the supported expression forms.
pub(crate) fn walk_idents(e: &Expr, f: &mut dyn FnMut(&str)) {
    let mut rename = |id: &str| -> Option<String> {
        f(id);
        None
    };
    let mut copy = e.clone();
    rename_idents(&mut copy, &mut rename);
}

/// Rewrite column identifiers (`f` returns the new name, or `None` to keep it).
pub(crate) fn rename_idents(e: &mut Expr, f: &mut dyn FnMut(&str) -> Option<String>) {
    let mut fix = |id: &mut Ident| {
        if let Some(n) = f(&ident_name(id)) {
            id.value = n;
            id.quoted = true;
        }
    };
    match e {
        Expr::Identifier(id) => fix(id),
        Expr::CompoundIdentifier(ids) => {
            if let Some(id) = ids.last_mut() {
                fix(id)
            }
        }
        Expr::Nested(x)
        | Expr::UnaryOp { expr: x, .. }
        | Expr::IsNull { expr: x, .. }
        | Expr::IsTruth { expr: x, .. }
        | Expr::Cast { expr: x, .. } => rename_idents(x, f),
        Expr::BinaryOp { left, right, .. } | Expr::IsDistinctFrom { left, right, .. } => {
            rename_idents(left, f);
            rename_idents(right, f);
        }
        Expr::Between {
            expr, low, high, ..
        } => {
            for x in [expr, low, high] {
                rename_idents(x, f);
            }
        }
        Expr::InList { expr, list, .. } => {
            rename_idents(expr, f);
            list.iter_mut().for_each(|x| rename_idents(x, f));
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
        } => {
            for x in operand.iter_mut().chain(else_result.iter_mut()) {
                rename_idents(x, f);
            }
            for w in conditions {
                rename_idents(&mut w.condition, f);
                rename_idents(&mut w.result, f);
            }
        }
        Expr::Function { args, .. } => args.iter_mut().for_each(|x| rename_idents(x, f)),
        Expr::Value(_) | Expr::TypedString { .. } | Expr::Default => {}
    }
}

impl SqlStore {
    fn constraint_name_taken(&self, name: &str) -> bool {
        self.tables
            .values()
            .any(|t| t.constraints.iter().any(|c| c.name == name))
    }

    /// PostgreSQL's `ChooseRelationName` / `ChooseConstraintName`: `{table}_{cols}_{label}`,
    /// then `{label}1`, `{label}2`, ... while the name is taken.
    pub(crate) fn choose_name(
        &self,
        table: &str,
        cols: &[String],
        label: &str,
        relation: bool,
    ) -> String {
        let mut stem = table.to_string();
        for c in cols {
            stem.push('_');
            stem.push_str(c);
        }
        let taken = |n: &str| {
            if relation {
                self.relation_exists(n)
            } else {
                self.constraint_name_taken(n)
            }
        };
        let mut pass = 0;
        loop {
            let name = if pass == 0 {
                format!("{stem}_{label}")
            } else {
                format!("{stem}_{label}{pass}")
            };
            if !taken(&name) {
                return name;
            }
            pass += 1;
        }
    }

    pub(crate) fn create_table(&mut self, ct: &CreateTable) -> Result<StatementOutcome, Failure> {
        let name = object_name(&ct.name)?;
        let outcome = StatementOutcome::new(
            StatementKind::CreateTable,
            Some(name.clone()),
            LockKind::AccessExclusive,
        );
        if self.relation_exists(&name) {
            if ct.if_not_exists {
                return Ok(outcome);
            }
            return Err(Failure::new(format!("relation \"{name}\" already exists")));
        }
        if self.tables.len() >= TABLES_MAX {
            return Err(Failure::unsupported(format!(
                "more than {TABLES_MAX} tables"
            )));
        }
        if ct.columns.len() > COLUMNS_PER_TABLE_MAX {
            return Err(Failure::new(format!(
                "tables can have at most {COLUMNS_PER_TABLE_MAX} columns"
            )));
        }
        let mut columns: Vec<Column> = Vec::new();
        let mut specs = Vec::new();
        for def in &ct.columns {
            let col = column_def(def, &mut specs)?;
            if columns.iter().any(|c| c.name == col.name) {
                return Err(Failure::new(format!(
                    "column \"{}\" specified more than once",
                    col.name
                )));
            }
            columns.push(col);
        }
        for tc in &ct.constraints {
            specs.push(table_constraint(tc)?);
        }
        self.snapshot()?;
        self.tables
            .insert(name.clone(), Table::new(name.clone(), columns));
        // PostgreSQL creates check constraints with the table, then indexes, then foreign keys.
        let rank = |s: &NamedSpec| match s.spec {
            Spec::Check(_) => 0,
            Spec::PrimaryKey(_) | Spec::Unique(_) => 1,
            Spec::ForeignKey { .. } => 2,
        };
        crate::sim::sort::sort_by_key(&mut specs, rank);
        for spec in specs {
            self.add_constraint(&name, spec, true)?;
        }
        Ok(outcome)
    }

    /// Attach a constraint to `table`, validating existing rows when `validate`.
    /// Returns the rows scanned.
    pub(crate) fn add_constraint(
        &mut self,
        table: &str,
        spec: NamedSpec,
        validate: bool,
    ) -> Result<u64, Failure> {
        let t = self.table_ref(table)?;
        let rows = t.row_count() as u64;
        match spec.spec {
            Spec::PrimaryKey(cols) => {
                if t.primary_key().is_some() {
                    return Err(Failure::new(format!(
                        "multiple primary keys for table \"{table}\" are not allowed"
                    )));
                }
                let name = match spec.name {
                    Some(n) => n,
                    None => self.choose_name(table, &[], "pkey", true),
                };
                positions_in_key(t, &cols)?;
                for c in &cols {
                    self.set_not_null(table, c)?;
                }
                self.add_index_constraint(table, name, cols, ConstraintKind::PrimaryKey)?;
            }
            Spec::Unique(cols) => {
                let name = match spec.name {
                    Some(n) => n,
                    None => self.choose_name(table, &cols, "key", true),
                };
                self.add_index_constraint(table, name, cols, ConstraintKind::Unique)?;
            }
            Spec::Check(expr) => self.add_check(table, spec.name, expr, validate)?,
            Spec::ForeignKey {
                columns,
                ref_table,
                ref_columns,
                on_delete,
            } => self.add_foreign_key(
                table,
                spec.name,
                columns,
                ref_table,
                ref_columns,
                on_delete,
                validate,
            )?,
        }
        Ok(rows)
    }

    fn add_index_constraint(
        &mut self,
        table: &str,
        name: String,
        cols: Vec<String>,
        kind: ConstraintKind,
    ) -> Result<(), Failure> {
        if self.relation_exists(&name) {
            return Err(Failure::new(format!("relation \"{name}\" already exists")));
        }
        let t = self.table_ref(table)?;
        let positions = positions_in_key(t, &cols)?;
        let index = t.build_index(Index::new(name.clone(), positions, true))?;
        let t = self.table_mut(table)?;
        if t.indexes.len() >= INDEXES_PER_TABLE_MAX {
            return Err(Failure::unsupported(format!(
                "more than {INDEXES_PER_TABLE_MAX} indexes on one table"
            )));
        }
        t.indexes.push(index);
        t.constraints.push(Constraint { name, kind });
        Ok(())
    }

    fn add_check(
        &mut self,
        table: &str,
        name: Option<String>,
        expr: Box<Expr>,
        validate: bool,
    ) -> Result<(), Failure> {
        let t = self.table_ref(table)?;
        let scope = Scope {
            table,
            columns: &t.columns,
        };
        let check = require_bool(compile(&expr, scope)?, "CHECK")?;
        let name = match name {
            Some(n) => {
                if t.constraints.iter().any(|c| c.name == n) {
                    return Err(Failure::new(format!(
                        "constraint \"{n}\" for relation \"{table}\" already exists"
                    )));
                }
                n
            }
            None => {
                let cols = referenced_columns(&expr, &t.columns);
                let cols = if cols.len() == 1 { cols } else { Vec::new() };
                self.choose_name(table, &cols, "check", false)
            }
        };
        if validate {
            for row in t.rows.values() {
                if eval(&check, row)? == Value::Bool(false) {
                    return Err(Failure::new(format!(
                        "check constraint \"{name}\" of relation \"{table}\" is violated by some row"
                    )));
                }
            }
        }
        let kind = ConstraintKind::Check { expr };
        self.table_mut(table)?
            .constraints
            .push(Constraint { name, kind });
        Ok(())
    }

    pub(crate) fn create_index(&mut self, ci: &CreateIndex) -> Result<StatementOutcome, Failure> {
        let table = object_name(&ci.table_name)?;
        let cols = names(&ci.columns);
        let lock = if ci.concurrently {
            LockKind::ShareUpdateExclusive
        } else {
            LockKind::Share
        };
        let mut outcome =
            StatementOutcome::new(StatementKind::CreateIndex, Some(table.clone()), lock);
        let t = self.table_ref(&table)?;
        let name = match &ci.name {
            Some(n) => object_name(n)?,
            None => self.choose_name(&table, &cols, "idx", true),
        };
        if self.relation_exists(&name) {
            if ci.if_not_exists {
                return Ok(outcome);
            }
            return Err(Failure::new(format!("relation \"{name}\" already exists")));
        }
        let positions = positions(t, &cols, |c| format!("column \"{c}\" does not exist"))?;
        let index = t.build_index(Index::new(name, positions, ci.unique))?;
        outcome.rows_scanned = t.row_count() as u64;
        outcome.index_builds = 1;
        self.snapshot()?;
        let t = self.table_mut(&table)?;
        if t.indexes.len() >= INDEXES_PER_TABLE_MAX {
            return Err(Failure::unsupported(format!(
                "more than {INDEXES_PER_TABLE_MAX} indexes on one table"
            )));
        }
        t.indexes.push(index);
        Ok(outcome)
    }

    /// Foreign keys in other tables that reference `table`: `(child table, constraint name)`.
    pub(crate) fn referencing_fks(&self, table: &str) -> Vec<(String, String)> {
        let mut out = self.fks_referencing(table);
        out.retain(|(child, _)| child != table);
        out
    }

    pub(crate) fn drop_constraint_named(&mut self, table: &str, name: &str) -> Result<(), Failure> {
        let t = self.table_mut(table)?;
        t.constraints.retain(|c| c.name != name);
        t.indexes.retain(|i| i.name != name);
        Ok(())
    }

    pub(crate) fn drop_tables(
        &mut self,
        names: &[ObjectName],
        if_exists: bool,
        cascade: bool,
    ) -> Result<StatementOutcome, Failure> {
        let mut outcome =
            StatementOutcome::new(StatementKind::DropTable, None, LockKind::AccessExclusive);
        let mut drop: Vec<String> = Vec::new();
        for n in names {
            let name = object_name(n)?;
            if self.tables.contains_key(&name) {
                drop.push(name);
            } else if !if_exists {
                return Err(Failure::new(format!("table \"{name}\" does not exist")));
            }
        }
        self.snapshot()?;
        for name in &drop {
            for (child, fk) in self.referencing_fks(name) {
                if drop.contains(&child) {
                    continue;
                }
                if !cascade {
                    return Err(Failure::with_detail(
                        format!("cannot drop table {name} because other objects depend on it"),
                        format!("constraint {fk} on table {child} depends on table {name}"),
                    ));
                }
                self.drop_constraint_named(&child, &fk)?;
            }
        }
        for name in &drop {
            if let Some(t) = self.tables.remove(name) {
                outcome.rows_affected += t.row_count() as u64;
            }
        }
        outcome.table = drop.first().cloned();
        Ok(outcome)
    }

    pub(crate) fn drop_indexes(
        &mut self,
        names: &[ObjectName],
        if_exists: bool,
        cascade: bool,
    ) -> Result<StatementOutcome, Failure> {
        let mut outcome =
            StatementOutcome::new(StatementKind::DropIndex, None, LockKind::AccessExclusive);
        self.snapshot()?;
        for n in names {
            let name = object_name(n)?;
            let owner = self
                .tables
                .values()
                .find(|t| t.indexes.iter().any(|i| i.name == name))
                .map(|t| t.name.clone());
            let Some(table) = owner else {
                if if_exists {
                    continue;
                }
                return Err(Failure::new(format!("index \"{name}\" does not exist")));
            };
            let t = self.table_ref(&table)?;
            if t.constraints.iter().any(|c| c.name == name) {
                return Err(Failure::new(format!(
                    "cannot drop index {name} because constraint {name} on table {table} requires it"
                )));
            }
            self.drop_fks_using_index(&table, &name, cascade)?;
            self.table_mut(&table)?.indexes.retain(|i| i.name != name);
            outcome.table = Some(table);
        }
        Ok(outcome)
    }

    /// Foreign keys that rely on unique index `index` of `table`: dropped with `cascade`,
    /// otherwise an error naming the first.
    pub(crate) fn drop_fks_using_index(
        &mut self,
        table: &str,
        index: &str,
        cascade: bool,
    ) -> Result<(), Failure> {
        for (child, fk) in self.fks_referencing(table) {
            if self.fk_index_name(&child, &fk).as_deref() != Some(index) {
                continue;
            }
            if !cascade {
                return Err(Failure::with_detail(
                    format!("cannot drop index {index} because other objects depend on it"),
                    format!("constraint {fk} on table {child} depends on index {index}"),
                ));
            }
            self.drop_constraint_named(&child, &fk)?;
        }
        Ok(())
    }

    /// All foreign keys (including self-references) that reference `table`.
    pub(crate) fn fks_referencing(&self, table: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for t in self.tables.values() {
            for c in &t.constraints {
                if matches!(&c.kind, ConstraintKind::ForeignKey { ref_table, .. } if ref_table == table)
                {
                    out.push((t.name.clone(), c.name.clone()));
                }
            }
        }
        out
    }
}

/// Column positions for key columns, with PostgreSQL's error for a missing one.
fn positions_in_key(t: &Table, cols: &[String]) -> Result<Vec<usize>, Failure> {
    positions(t, cols, |c| {
        format!("column \"{c}\" named in key does not exist")
    })
}

pub(crate) fn positions(
    t: &Table,
    cols: &[String],
    missing: impl Fn(&str) -> String,
) -> Result<Vec<usize>, Failure> {
    cols.iter()
        .map(|c| t.column_index(c).ok_or_else(|| Failure::new(missing(c))))
        .collect()
}

/// A column definition; its key and check constraints go to `specs`.
pub(crate) fn column_def(def: &ColumnDef, specs: &mut Vec<NamedSpec>) -> Result<Column, Failure> {
    let name = ident_name(&def.name);
    let mut col = Column {
        name: name.clone(),
        ty: expr::sql_type(&def.data_type)?,
        not_null: false,
        default: None,
    };
    for opt in &def.options {
        let cname = opt.name.as_ref().map(ident_name);
        let one = || vec![name.clone()];
        match &opt.option {
            ColumnOption::Null => col.not_null = false,
            ColumnOption::NotNull => col.not_null = true,
            ColumnOption::Default(e) => col.default = Some(column_default(e, &col)?),
            ColumnOption::PrimaryKey => specs.push(NamedSpec {
                name: cname,
                spec: Spec::PrimaryKey(one()),
            }),
            ColumnOption::Unique => specs.push(NamedSpec {
                name: cname,
                spec: Spec::Unique(one()),
            }),
            ColumnOption::References(r) => specs.push(NamedSpec {
                name: cname,
                spec: foreign_key(one(), r)?,
            }),
            ColumnOption::Check(e) => specs.push(NamedSpec {
                name: cname,
                spec: Spec::Check(e.clone()),
            }),
        }
    }
    Ok(col)
}

/// Evaluate a `DEFAULT` expression now (the subset has no volatile functions) and check that
/// it can be assigned to the column, with PostgreSQL's wording when the types do not match.
/// A quoted literal is read as the column type now, as PostgreSQL reads it at `CREATE`.
pub(crate) fn column_default(e: &Expr, col: &Column) -> Result<ColumnDefault, Failure> {
    let t = compile(e, Scope::EMPTY).map_err(|f| {
        if f.message.starts_with("column \"") {
            Failure::new("cannot use column reference in DEFAULT expression")
        } else {
            f
        }
    })?;
    let Some(ty) = t.ty.clone() else {
        let e = coerce_assign(t, col, "default expression")?;
        let value = eval(&e, &[])?;
        return Ok(ColumnDefault {
            value,
            ty: col.ty.clone(),
        });
    };
    if !cast_allowed(&ty, &col.ty, CastContext::Assignment) {
        return Err(Failure::new(format!(
            "column \"{}\" is of type {} but default expression is of type {}",
            col.name,
            expr::type_name(&Some(col.ty.clone())),
            expr::type_name(&Some(ty))
        )));
    }
    Ok(ColumnDefault {
        value: eval(&t.e, &[])?,
        ty,
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse_expr;
    use super::*;

    fn expr(sql: &str) -> Expr {
        parse_expr(sql).expect("parses")
    }

    fn col(name: &str) -> Column {
        Column {
            name: name.into(),
            ty: super::super::value::SqlType::Int,
            not_null: false,
            default: None,
        }
    }

    #[test]
    fn renaming_reaches_every_supported_expression_form() {
        let mut e = expr("a > 0 AND lower(b) IN ('x', a::text) AND CASE WHEN a IS NULL THEN b = 'y' ELSE a BETWEEN 1 AND 2 END");
        rename_idents(&mut e, &mut |n| (n == "a").then(|| "z".to_string()));
        let mut seen = Vec::new();
        walk_idents(&e, &mut |n| seen.push(n.to_string()));
        assert_eq!(seen, ["z", "b", "z", "z", "z", "b"]);
    }

    #[test]
    fn referenced_columns_lists_known_columns_once() {
        let cols = [col("a"), col("b")];
        assert_eq!(
            referenced_columns(&expr("a + a > b AND c"), &cols),
            ["a", "b"]
        );
        assert!(referenced_columns(&expr("1 > 0"), &cols).is_empty());
    }

    #[test]
    fn default_names_follow_postgres_and_avoid_collisions() {
        let mut s = SqlStore::new();
        s.execute("CREATE TABLE t (a INT UNIQUE, b INT, UNIQUE (a, b))")
            .unwrap();
        let t = s.table("t").unwrap();
        let names: Vec<&str> = t.constraints().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["t_a_key", "t_a_b_key"]);
        assert_eq!(s.choose_name("t", &["a".into()], "key", true), "t_a_key1");
        assert_eq!(s.choose_name("t", &[], "check", false), "t_check");
    }

    #[test]
    fn column_defaults_keep_their_own_type_until_used() {
        let c = Column {
            ty: super::super::value::SqlType::Numeric(Some((3, 2))),
            ..col("n")
        };
        let d = column_default(&expr("100"), &c).unwrap();
        assert_eq!(d.value, Value::Int(100));
        let c = Column {
            default: Some(d),
            ..c
        };
        assert_eq!(
            c.default_value().unwrap_err().message,
            "numeric field overflow"
        );
        let bad = column_default(&expr("'abc'"), &col("i")).unwrap_err();
        assert_eq!(
            bad.message,
            "invalid input syntax for type integer: \"abc\""
        );
    }
}
