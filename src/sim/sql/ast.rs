//! The syntax tree of the statements the SQL store runs, as [`super::parse`] builds it.
//!
//! It holds exactly the forms the store models. Anything else is refused while parsing, with
//! PostgreSQL's `syntax error at or near ...` for text PostgreSQL would not accept either, and
//! `not supported: ...` for valid PostgreSQL the store does not model.

use std::fmt;

/// An identifier as written: unquoted names fold to lower case when stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub value: String,
    pub quoted: bool,
}

impl Ident {
    /// The name PostgreSQL stores: unquoted identifiers fold to lower case.
    pub fn name(&self) -> String {
        if self.quoted {
            self.value.clone()
        } else {
            self.value.to_lowercase()
        }
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            write!(f, "\"{}\"", self.value.replace('"', "\"\""))
        } else {
            f.write_str(&self.value)
        }
    }
}

/// A possibly qualified name: `t`, `public.t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectName(pub Vec<Ident>);

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

/// A column type as written, before the store checks its modifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataType {
    SmallInt,
    Int,
    BigInt,
    Real,
    Double,
    /// `NUMERIC`, `DECIMAL`, `DEC`: precision and scale as written.
    Numeric(Option<(i64, i64)>),
    Text,
    /// `VARCHAR`, `CHARACTER VARYING`, `CHAR VARYING`: the length as written.
    Varchar(Option<i64>),
    Bool,
    Date,
    /// `TIMESTAMP [WITHOUT TIME ZONE]`.
    Timestamp,
    /// Any other type, named as written (the store refuses it).
    Other(String),
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::SmallInt => f.write_str("smallint"),
            DataType::Int => f.write_str("integer"),
            DataType::BigInt => f.write_str("bigint"),
            DataType::Real => f.write_str("real"),
            DataType::Double => f.write_str("double precision"),
            DataType::Numeric(None) => f.write_str("numeric"),
            DataType::Numeric(Some((p, s))) => write!(f, "numeric({p},{s})"),
            DataType::Text => f.write_str("text"),
            DataType::Varchar(None) => f.write_str("character varying"),
            DataType::Varchar(Some(n)) => write!(f, "character varying({n})"),
            DataType::Bool => f.write_str("boolean"),
            DataType::Date => f.write_str("date"),
            DataType::Timestamp => f.write_str("timestamp without time zone"),
            DataType::Other(name) => f.write_str(name),
        }
    }
}

/// A literal constant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// Digits with an optional point and exponent, as written (no sign).
    Number(String),
    /// A quoted string of any form (`'..'`, `E'..'`, `$$..$$`), escapes resolved.
    String(String),
    Bool(bool),
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Plus,
    Minus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Plus,
    Minus,
    Multiply,
    Divide,
    Modulo,
    Concat,
    And,
    Or,
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Concat => "||",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
        })
    }
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Identifier(Ident),
    /// `table.column` (longer chains are refused while parsing).
    CompoundIdentifier(Vec<Ident>),
    Value(Literal),
    /// A parenthesised expression.
    Nested(Box<Expr>),
    UnaryOp {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    BinaryOp {
        left: Box<Expr>,
        op: BinaryOp,
        right: Box<Expr>,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    IsDistinctFrom {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    /// `IS [NOT] TRUE / FALSE / UNKNOWN` (`want: None` is UNKNOWN).
    IsTruth {
        expr: Box<Expr>,
        want: Option<bool>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        negated: bool,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    /// `CAST(x AS t)` and `x::t`.
    Cast {
        expr: Box<Expr>,
        data_type: DataType,
    },
    /// `DATE '2024-01-31'`: a string read as the named type.
    TypedString {
        data_type: DataType,
        value: String,
    },
    /// `name(arg, ...)`.
    Function {
        name: ObjectName,
        args: Vec<Expr>,
    },
    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`.
    Case {
        operand: Option<Box<Expr>>,
        conditions: Vec<CaseWhen>,
        else_result: Option<Box<Expr>>,
    },
    /// The `DEFAULT` keyword (meaningful only as a `VALUES` item or a `SET` value).
    Default,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaseWhen {
    pub condition: Expr,
    pub result: Expr,
}

/// `ON DELETE` / `ON UPDATE` actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferentialAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

/// `REFERENCES t [(cols)] [ON DELETE a] [ON UPDATE a]`.
#[derive(Clone, Debug, PartialEq)]
pub struct References {
    pub table: ObjectName,
    pub columns: Vec<Ident>,
    pub on_delete: Option<ReferentialAction>,
    pub on_update: Option<ReferentialAction>,
}

/// A table constraint (in `CREATE TABLE` or `ALTER TABLE ADD`).
#[derive(Clone, Debug, PartialEq)]
pub enum TableConstraint {
    PrimaryKey {
        name: Option<Ident>,
        columns: Vec<Ident>,
    },
    Unique {
        name: Option<Ident>,
        columns: Vec<Ident>,
    },
    ForeignKey {
        name: Option<Ident>,
        columns: Vec<Ident>,
        references: References,
    },
    Check {
        name: Option<Ident>,
        expr: Box<Expr>,
    },
}

/// One option of a column definition.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnOption {
    Null,
    NotNull,
    Default(Expr),
    PrimaryKey,
    Unique,
    References(References),
    Check(Box<Expr>),
}

/// A column option with its optional `CONSTRAINT name`.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnOptionDef {
    pub name: Option<Ident>,
    pub option: ColumnOption,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDef {
    pub name: Ident,
    pub data_type: DataType,
    pub options: Vec<ColumnOptionDef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateTable {
    pub name: ObjectName,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    pub constraints: Vec<TableConstraint>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateIndex {
    pub name: Option<ObjectName>,
    pub table_name: ObjectName,
    pub unique: bool,
    pub concurrently: bool,
    pub if_not_exists: bool,
    pub columns: Vec<Ident>,
}

/// One `ALTER COLUMN` action.
#[derive(Clone, Debug, PartialEq)]
pub enum AlterColumnOperation {
    SetNotNull,
    DropNotNull,
    SetDefault(Expr),
    DropDefault,
    SetDataType {
        data_type: DataType,
        using: Option<Expr>,
    },
}

/// One `ALTER TABLE` action.
#[derive(Clone, Debug, PartialEq)]
pub enum AlterTableOperation {
    AddConstraint {
        constraint: TableConstraint,
        not_valid: bool,
    },
    AddColumn {
        if_not_exists: bool,
        column_def: ColumnDef,
    },
    DropColumn {
        name: Ident,
        if_exists: bool,
        cascade: bool,
    },
    DropConstraint {
        name: Ident,
        if_exists: bool,
        cascade: bool,
    },
    RenameColumn {
        old: Ident,
        new: Ident,
    },
    RenameTable(ObjectName),
    AlterColumn {
        column: Ident,
        op: AlterColumnOperation,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct AlterTable {
    pub name: ObjectName,
    pub if_exists: bool,
    pub operations: Vec<AlterTableOperation>,
}

/// `DROP TABLE` or `DROP INDEX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectType {
    Table,
    Index,
}

/// A table an `UPDATE`, `DELETE` or `SELECT` reads, with its alias.
#[derive(Clone, Debug, PartialEq)]
pub struct TableRef {
    pub name: ObjectName,
    pub alias: Option<Ident>,
}

impl TableRef {
    /// The name expressions use for the table: the alias, else the table's own name.
    pub fn scope_name(&self, table: &str) -> String {
        self.alias
            .as_ref()
            .map_or_else(|| table.to_string(), Ident::name)
    }
}

/// One item of a select list.
#[derive(Clone, Debug, PartialEq)]
pub enum SelectItem {
    Wildcard,
    Expr(Expr),
}

/// `SELECT items [FROM table] [WHERE ..] [ORDER BY ..] [LIMIT n] [OFFSET n]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    pub items: Vec<SelectItem>,
    pub from: Option<TableRef>,
    pub selection: Option<Expr>,
    pub order_by: Vec<Expr>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
}

/// Where an `INSERT` takes its rows.
#[derive(Clone, Debug, PartialEq)]
pub enum InsertSource {
    Values(Vec<Vec<Expr>>),
    Select(Box<Select>),
    DefaultValues,
}

/// The arbiter of `ON CONFLICT ... DO NOTHING`.
#[derive(Clone, Debug, PartialEq)]
pub enum ConflictTarget {
    /// No target: any unique index.
    Any,
    Columns(Vec<Ident>),
    OnConstraint(ObjectName),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Insert {
    pub table: ObjectName,
    pub columns: Vec<Ident>,
    pub source: InsertSource,
    pub on_conflict: Option<ConflictTarget>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub column: Ident,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub table: TableRef,
    pub assignments: Vec<Assignment>,
    pub selection: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Delete {
    pub table: TableRef,
    pub selection: Option<Expr>,
}

/// A statement the store runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    CreateTable(CreateTable),
    CreateIndex(CreateIndex),
    AlterTable(AlterTable),
    Drop {
        object_type: ObjectType,
        if_exists: bool,
        names: Vec<ObjectName>,
        cascade: bool,
    },
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    Select(Select),
    Begin,
    Commit,
    Rollback,
}
