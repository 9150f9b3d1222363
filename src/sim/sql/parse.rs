//! A recursive-descent parser for the statements the SQL store runs, following PostgreSQL's
//! grammar and operator precedence for that subset. It reads one statement at a time, so a
//! script runs statement by statement as `psql` sends it, and a syntax error stops the script
//! at its statement with PostgreSQL's wording (`syntax error at or near "x"`, `syntax error at
//! end of input`). Valid PostgreSQL that the store does not model is refused here by name
//! (`not supported: ...`), never skipped.

use super::ast::*;
use super::lex::{tokenize, Kind, Token};
use super::value::Failure;

/// PostgreSQL's reserved key words, and the ones that cannot name a column or table
/// (`type_func_name_keyword`): these need quotes to be used as names.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "system_user",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
    // type_func_name_keyword
    "authorization",
    "binary",
    "collation",
    "concurrently",
    "cross",
    "current_schema",
    "freeze",
    "full",
    "ilike",
    "inner",
    "is",
    "isnull",
    "join",
    "left",
    "like",
    "natural",
    "notnull",
    "outer",
    "overlaps",
    "right",
    "similar",
    "tablesample",
    "verbose",
];

/// Words that start a type name a string literal may follow (`DATE '2024-01-31'`).
const TYPE_WORDS: &[&str] = &[
    "smallint",
    "int2",
    "int",
    "integer",
    "int4",
    "bigint",
    "int8",
    "real",
    "float4",
    "float8",
    "float",
    "double",
    "numeric",
    "decimal",
    "dec",
    "text",
    "varchar",
    "character",
    "char",
    "bool",
    "boolean",
    "date",
    "timestamp",
];

// Binding powers, loosest first (PostgreSQL's precedence table).
const P_OR: u8 = 1;
const P_AND: u8 = 2;
const P_NOT: u8 = 3;
const P_IS: u8 = 4;
const P_CMP: u8 = 5;
const P_IN: u8 = 6;
const P_OTHER: u8 = 7;
const P_ADD: u8 = 8;
const P_MUL: u8 = 9;
const P_EXP: u8 = 10;
const P_UNARY: u8 = 11;
const P_COLLATE: u8 = 12;
const P_CAST: u8 = 13;

fn unsupported<T>(what: impl std::fmt::Display) -> Result<T, Failure> {
    Err(Failure::unsupported(what))
}

/// The parser over one SQL text.
pub struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// Current depth of the expression being parsed (nesting plus operator chains).
    depth: usize,
    depth_max: usize,
}

impl<'a> Parser<'a> {
    /// A parser whose expressions may be at most `depth_max` levels deep.
    pub fn new(src: &'a str, depth_max: usize) -> Parser<'a> {
        Parser {
            src,
            toks: tokenize(src),
            pos: 0,
            depth: 0,
            depth_max,
        }
    }

    // ---- tokens ----

    fn nth(&self, k: usize) -> &Token {
        let last = self.toks.len() - 1;
        &self.toks[(self.pos + k).min(last)]
    }

    fn tok(&self) -> &Token {
        self.nth(0)
    }

    fn text(&self, t: &Token) -> &'a str {
        &self.src[t.start..t.end]
    }

    fn advance(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    fn kw_at(&self, k: usize, kw: &str) -> bool {
        let t = self.nth(k);
        t.kind == Kind::Word && self.text(t).eq_ignore_ascii_case(kw)
    }

    fn peek_kw(&self, kw: &str) -> bool {
        self.kw_at(0, kw)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.peek_kw(kw);
        if yes {
            self.advance();
        }
        yes
    }

    /// Consume the whole sequence, or nothing.
    fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let yes = kws.iter().enumerate().all(|(k, kw)| self.kw_at(k, kw));
        if yes {
            self.pos += kws.len();
        }
        yes
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), Failure> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn op_at(&self, k: usize, op: &str) -> bool {
        let t = self.nth(k);
        t.kind == Kind::Op && self.text(t) == op
    }

    fn peek_op(&self, op: &str) -> bool {
        self.op_at(0, op)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        let yes = self.peek_op(op);
        if yes {
            self.advance();
        }
        yes
    }

    fn expect_op(&mut self, op: &str) -> Result<(), Failure> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn at_statement_end(&self) -> bool {
        self.peek_op(";") || self.tok().kind == Kind::Eof
    }

    /// PostgreSQL's error for the current token.
    fn syntax_error(&self) -> Failure {
        let t = self.tok();
        match &t.kind {
            Kind::Eof => Failure::new("syntax error at end of input"),
            Kind::Bad(m) if m.starts_with("not supported") => Failure::new(m.clone()),
            Kind::Bad(m) => Failure::new(format!("{m} at or near \"{}\"", self.text(t).trim_end())),
            _ => Failure::new(format!("syntax error at or near \"{}\"", self.text(t))),
        }
    }

    /// 1-based line of the current token (where a parse error stopped).
    pub fn line(&self) -> usize {
        let start = self.tok().start;
        1 + self.src.as_bytes()[..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    /// Skip empty statements; true when the text is used up.
    pub fn at_end(&mut self) -> bool {
        while self.eat_op(";") {}
        self.tok().kind == Kind::Eof
    }

    // ---- names ----

    fn is_reserved(word: &str) -> bool {
        RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
    }

    /// A name: an unreserved word or a quoted identifier.
    fn ident(&mut self) -> Result<Ident, Failure> {
        let t = self.tok().clone();
        let id = match &t.kind {
            Kind::Word if !Self::is_reserved(self.text(&t)) => Ident {
                value: self.text(&t).to_string(),
                quoted: false,
            },
            Kind::Quoted(s) => Ident {
                value: s.clone(),
                quoted: true,
            },
            _ => return Err(self.syntax_error()),
        };
        self.advance();
        Ok(id)
    }

    fn object_name(&mut self) -> Result<ObjectName, Failure> {
        let mut parts = vec![self.ident()?];
        while self.eat_op(".") {
            parts.push(self.ident()?);
        }
        Ok(ObjectName(parts))
    }

    /// `( name, ... )`
    fn ident_list(&mut self) -> Result<Vec<Ident>, Failure> {
        self.expect_op("(")?;
        let mut out = vec![self.ident()?];
        while self.eat_op(",") {
            out.push(self.ident()?);
        }
        self.expect_op(")")?;
        Ok(out)
    }

    /// A signed integer (type modifiers).
    fn integer(&mut self) -> Result<i64, Failure> {
        let negative = self.eat_op("-");
        let t = self.tok().clone();
        if t.kind != Kind::Number {
            return Err(self.syntax_error());
        }
        let v: i64 = self
            .text(&t)
            .parse()
            .map_err(|_| Failure::new(format!("syntax error at or near \"{}\"", self.text(&t))))?;
        self.advance();
        Ok(if negative { -v } else { v })
    }

    // ---- statements ----

    /// The next statement, which must end at `;` or the end of the text.
    pub fn statement(&mut self) -> Result<Statement, Failure> {
        let s = self.statement_body()?;
        if !self.at_statement_end() {
            return Err(self.syntax_error());
        }
        Ok(s)
    }

    fn statement_body(&mut self) -> Result<Statement, Failure> {
        let t = self.tok().clone();
        if self.peek_op("(") {
            return unsupported("set operations and VALUES queries");
        }
        if t.kind != Kind::Word {
            return Err(self.syntax_error());
        }
        let word = self.text(&t);
        self.advance();
        match word.to_ascii_lowercase().as_str() {
            "select" => Ok(Statement::Select(self.select_rest()?)),
            "with" => unsupported("WITH queries"),
            "values" => unsupported("set operations and VALUES queries"),
            "insert" => self.insert(),
            "update" => self.update(),
            "delete" => self.delete(),
            "create" => self.create(),
            "alter" if self.eat_kw("table") => self.alter_table(),
            "alter" => self.refuse("ALTER"),
            "drop" => self.drop(),
            "begin" => {
                let _ = self.eat_kw("work") || self.eat_kw("transaction");
                self.begin_rest()
            }
            "start" => {
                self.expect_kw("transaction")?;
                self.begin_rest()
            }
            "commit" | "end" => {
                let _ = self.eat_kw("work") || self.eat_kw("transaction");
                if self.eat_kws(&["and", "chain"]) {
                    return unsupported("COMMIT AND CHAIN");
                }
                let _ = self.eat_kws(&["and", "no", "chain"]);
                Ok(Statement::Commit)
            }
            "rollback" | "abort" => {
                let _ = self.eat_kw("work") || self.eat_kw("transaction");
                if self.peek_kw("to") {
                    return unsupported("ROLLBACK TO SAVEPOINT");
                }
                if self.eat_kws(&["and", "chain"]) {
                    return unsupported("ROLLBACK AND CHAIN");
                }
                let _ = self.eat_kws(&["and", "no", "chain"]);
                Ok(Statement::Rollback)
            }
            _ => unsupported(format!("statement {word}")),
        }
    }

    fn begin_rest(&mut self) -> Result<Statement, Failure> {
        if !self.at_statement_end() {
            return unsupported("BEGIN with transaction modes");
        }
        Ok(Statement::Begin)
    }

    /// A statement the store does not run, named by its first two words.
    fn refuse<T>(&self, first: &str) -> Result<T, Failure> {
        let t = self.tok();
        let next = match t.kind {
            Kind::Word => format!(" {}", self.text(t).to_uppercase()),
            _ => String::new(),
        };
        unsupported(format!("statement {first}{next}"))
    }

    fn create(&mut self) -> Result<Statement, Failure> {
        if self.eat_kw("table") {
            return self.create_table();
        }
        if self.eat_kw("index") {
            return self.create_index(false);
        }
        if self.eat_kws(&["unique", "index"]) {
            return self.create_index(true);
        }
        let temp = ["temp", "temporary", "unlogged", "global", "local"];
        if temp.iter().any(|w| self.peek_kw(w)) {
            return unsupported("TEMPORARY / UNLOGGED tables");
        }
        self.refuse("CREATE")
    }

    fn if_not_exists(&mut self) -> bool {
        self.eat_kws(&["if", "not", "exists"])
    }

    fn if_exists(&mut self) -> bool {
        self.eat_kws(&["if", "exists"])
    }

    /// `CASCADE` (true), `RESTRICT` or nothing (false).
    fn drop_behavior(&mut self) -> bool {
        if self.eat_kw("cascade") {
            return true;
        }
        let _ = self.eat_kw("restrict");
        false
    }

    fn create_table(&mut self) -> Result<Statement, Failure> {
        const VARIANTS: &str = "CREATE TABLE variants other than a plain column list";
        let if_not_exists = self.if_not_exists();
        let name = self.object_name()?;
        if ["as", "of", "partition"].iter().any(|w| self.peek_kw(w)) {
            return unsupported(VARIANTS);
        }
        self.expect_op("(")?;
        let mut columns = Vec::new();
        let mut constraints = Vec::new();
        if !self.peek_op(")") {
            loop {
                if self.peek_kw("like") {
                    return unsupported(VARIANTS);
                }
                match self.table_constraint()? {
                    Some(c) => constraints.push(c),
                    None => columns.push(self.column_def()?),
                }
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        self.expect_op(")")?;
        let extra = [
            "inherits",
            "partition",
            "with",
            "on",
            "tablespace",
            "using",
            "without",
        ];
        if extra.iter().any(|w| self.peek_kw(w)) {
            return unsupported(VARIANTS);
        }
        Ok(Statement::CreateTable(CreateTable {
            name,
            if_not_exists,
            columns,
            constraints,
        }))
    }

    fn column_def(&mut self) -> Result<ColumnDef, Failure> {
        let name = self.ident()?;
        let data_type = self.data_type()?;
        let mut options = Vec::new();
        loop {
            let name = if self.eat_kw("constraint") {
                Some(self.ident()?)
            } else {
                None
            };
            let option = if self.eat_kws(&["not", "null"]) {
                ColumnOption::NotNull
            } else if self.eat_kw("null") {
                ColumnOption::Null
            } else if self.eat_kw("default") {
                ColumnOption::Default(self.expr_bp(P_AND)?)
            } else if self.eat_kws(&["primary", "key"]) {
                self.index_parameters()?;
                ColumnOption::PrimaryKey
            } else if self.eat_kw("unique") {
                self.nulls_distinct()?;
                self.index_parameters()?;
                ColumnOption::Unique
            } else if self.eat_kw("references") {
                ColumnOption::References(self.references()?)
            } else if self.eat_kw("check") {
                ColumnOption::Check(Box::new(self.check_body()?))
            } else if ["generated", "collate", "compression", "storage"]
                .iter()
                .any(|w| self.peek_kw(w))
            {
                return unsupported("this column option");
            } else if name.is_some() {
                return Err(self.syntax_error());
            } else {
                break;
            };
            self.deferrable()?;
            options.push(ColumnOptionDef { name, option });
        }
        Ok(ColumnDef {
            name,
            data_type,
            options,
        })
    }

    /// Refuse `DEFERRABLE` / `INITIALLY ...` after a constraint.
    fn deferrable(&mut self) -> Result<(), Failure> {
        let deferrable = self.peek_kw("deferrable")
            || self.peek_kw("initially")
            || (self.peek_kw("not") && self.kw_at(1, "deferrable"));
        if deferrable {
            return unsupported("deferrable constraints");
        }
        Ok(())
    }

    /// Refuse `INCLUDE`, `WITH (...)` and `USING INDEX TABLESPACE` after a key constraint.
    fn index_parameters(&mut self) -> Result<(), Failure> {
        if self.peek_kw("include") {
            return unsupported("INCLUDE columns");
        }
        if self.peek_kw("with") || self.peek_kw("using") {
            return unsupported("index parameters on constraints");
        }
        Ok(())
    }

    fn nulls_distinct(&mut self) -> Result<(), Failure> {
        if self.eat_kws(&["nulls", "not", "distinct"]) {
            return unsupported("NULLS NOT DISTINCT");
        }
        let _ = self.eat_kws(&["nulls", "distinct"]);
        Ok(())
    }

    /// `( expr ) [NO INHERIT]` after `CHECK`.
    fn check_body(&mut self) -> Result<Expr, Failure> {
        self.expect_op("(")?;
        let e = self.expr()?;
        self.expect_op(")")?;
        if self.peek_kw("no") || self.peek_kw("not") && self.kw_at(1, "enforced") {
            return unsupported("CHECK NO INHERIT / NOT ENFORCED");
        }
        let _ = self.eat_kw("enforced");
        Ok(e)
    }

    /// After `REFERENCES`: the table, its columns and the actions.
    fn references(&mut self) -> Result<References, Failure> {
        let table = self.object_name()?;
        let columns = if self.peek_op("(") {
            self.ident_list()?
        } else {
            Vec::new()
        };
        let mut r = References {
            table,
            columns,
            on_delete: None,
            on_update: None,
        };
        loop {
            if self.eat_kw("match") {
                if !self.eat_kw("simple") {
                    return unsupported("MATCH FULL / PARTIAL");
                }
            } else if self.eat_kws(&["on", "delete"]) {
                r.on_delete = Some(self.referential_action()?);
            } else if self.eat_kws(&["on", "update"]) {
                r.on_update = Some(self.referential_action()?);
            } else {
                return Ok(r);
            }
        }
    }

    fn referential_action(&mut self) -> Result<ReferentialAction, Failure> {
        let a = if self.eat_kws(&["no", "action"]) {
            ReferentialAction::NoAction
        } else if self.eat_kw("restrict") {
            ReferentialAction::Restrict
        } else if self.eat_kw("cascade") {
            ReferentialAction::Cascade
        } else if self.eat_kws(&["set", "null"]) {
            ReferentialAction::SetNull
        } else if self.eat_kws(&["set", "default"]) {
            ReferentialAction::SetDefault
        } else {
            return Err(self.syntax_error());
        };
        if self.peek_op("(") {
            return unsupported("SET NULL / SET DEFAULT with a column list");
        }
        Ok(a)
    }

    /// A table constraint if one starts here; `None` (nothing consumed) for a column.
    fn table_constraint(&mut self) -> Result<Option<TableConstraint>, Failure> {
        let starts = [
            "constraint",
            "primary",
            "unique",
            "foreign",
            "check",
            "exclude",
        ];
        if !starts.iter().any(|w| self.peek_kw(w)) {
            return Ok(None);
        }
        let name = if self.eat_kw("constraint") {
            Some(self.ident()?)
        } else {
            None
        };
        let c = if self.eat_kws(&["primary", "key"]) {
            let columns = self.ident_list()?;
            self.index_parameters()?;
            TableConstraint::PrimaryKey { name, columns }
        } else if self.eat_kw("unique") {
            self.nulls_distinct()?;
            let columns = self.ident_list()?;
            self.index_parameters()?;
            TableConstraint::Unique { name, columns }
        } else if self.eat_kws(&["foreign", "key"]) {
            let columns = self.ident_list()?;
            self.expect_kw("references")?;
            let references = self.references()?;
            TableConstraint::ForeignKey {
                name,
                columns,
                references,
            }
        } else if self.eat_kw("check") {
            let expr = Box::new(self.check_body()?);
            TableConstraint::Check { name, expr }
        } else if self.peek_kw("exclude") {
            return unsupported("this kind of table constraint");
        } else {
            return Err(self.syntax_error());
        };
        self.deferrable()?;
        Ok(Some(c))
    }

    fn create_index(&mut self, unique: bool) -> Result<Statement, Failure> {
        const FORMS: &str = "partial, INCLUDE or NULLS NOT DISTINCT indexes";
        const EXPRESSIONS: &str = "indexes on expressions or with operator classes";
        let concurrently = self.eat_kw("concurrently");
        let if_not_exists = self.if_not_exists();
        let name = if self.peek_kw("on") {
            None
        } else {
            Some(self.object_name()?)
        };
        self.expect_kw("on")?;
        let _ = self.eat_kw("only");
        let table_name = self.object_name()?;
        if self.eat_kw("using") {
            let method = self.ident()?;
            if method.name() != "btree" {
                return unsupported("index methods other than btree");
            }
        }
        self.expect_op("(")?;
        let mut columns = Vec::new();
        loop {
            if self.peek_op("(") {
                return unsupported(EXPRESSIONS);
            }
            columns.push(self.ident()?);
            if self.peek_op("(") || self.peek_op(".") {
                return unsupported(EXPRESSIONS);
            }
            let _ = self.eat_kw("asc") || self.eat_kw("desc");
            let _ = self.eat_kws(&["nulls", "first"]) || self.eat_kws(&["nulls", "last"]);
            if self.eat_op(",") {
                continue;
            }
            if matches!(self.tok().kind, Kind::Word | Kind::Quoted(_)) {
                // A word after the column is an operator class.
                return unsupported(EXPRESSIONS);
            }
            break;
        }
        self.expect_op(")")?;
        let extra = ["include", "nulls", "with", "where", "tablespace"];
        if extra.iter().any(|w| self.peek_kw(w)) {
            return unsupported(FORMS);
        }
        Ok(Statement::CreateIndex(CreateIndex {
            name,
            table_name,
            unique,
            concurrently,
            if_not_exists,
            columns,
        }))
    }

    fn alter_table(&mut self) -> Result<Statement, Failure> {
        let if_exists = self.if_exists();
        let _ = self.eat_kw("only");
        let name = self.object_name()?;
        let mut operations = vec![self.alter_action()?];
        while self.eat_op(",") {
            operations.push(self.alter_action()?);
        }
        Ok(Statement::AlterTable(AlterTable {
            name,
            if_exists,
            operations,
        }))
    }

    fn alter_action(&mut self) -> Result<AlterTableOperation, Failure> {
        if self.eat_kw("add") {
            if !self.peek_kw("column") {
                if let Some(constraint) = self.table_constraint()? {
                    let not_valid = self.eat_kws(&["not", "valid"]);
                    return Ok(AlterTableOperation::AddConstraint {
                        constraint,
                        not_valid,
                    });
                }
            }
            let _ = self.eat_kw("column");
            let if_not_exists = self.if_not_exists();
            let column_def = self.column_def()?;
            return Ok(AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
            });
        }
        if self.eat_kw("drop") {
            let constraint = self.eat_kw("constraint");
            if !constraint {
                let _ = self.eat_kw("column");
            }
            let if_exists = self.if_exists();
            let name = self.ident()?;
            let cascade = self.drop_behavior();
            return Ok(if constraint {
                AlterTableOperation::DropConstraint {
                    name,
                    if_exists,
                    cascade,
                }
            } else {
                AlterTableOperation::DropColumn {
                    name,
                    if_exists,
                    cascade,
                }
            });
        }
        if self.eat_kw("rename") {
            if self.eat_kw("to") {
                return Ok(AlterTableOperation::RenameTable(self.object_name()?));
            }
            if self.peek_kw("constraint") {
                return unsupported("this ALTER TABLE action");
            }
            let _ = self.eat_kw("column");
            let old = self.ident()?;
            self.expect_kw("to")?;
            let new = self.ident()?;
            return Ok(AlterTableOperation::RenameColumn { old, new });
        }
        if self.eat_kw("alter") {
            let _ = self.eat_kw("column");
            let column = self.ident()?;
            let op = self.alter_column()?;
            return Ok(AlterTableOperation::AlterColumn { column, op });
        }
        if self.tok().kind == Kind::Word {
            return unsupported("this ALTER TABLE action");
        }
        Err(self.syntax_error())
    }

    fn alter_column(&mut self) -> Result<AlterColumnOperation, Failure> {
        if self.eat_kws(&["set", "not", "null"]) {
            return Ok(AlterColumnOperation::SetNotNull);
        }
        if self.eat_kws(&["drop", "not", "null"]) {
            return Ok(AlterColumnOperation::DropNotNull);
        }
        if self.eat_kws(&["set", "default"]) {
            return Ok(AlterColumnOperation::SetDefault(self.expr_bp(P_AND)?));
        }
        if self.eat_kws(&["drop", "default"]) {
            return Ok(AlterColumnOperation::DropDefault);
        }
        if self.eat_kws(&["set", "data", "type"]) || self.eat_kw("type") {
            let data_type = self.data_type()?;
            if self.peek_kw("collate") {
                return unsupported("COLLATE");
            }
            let using = if self.eat_kw("using") {
                Some(self.expr()?)
            } else {
                None
            };
            return Ok(AlterColumnOperation::SetDataType { data_type, using });
        }
        if self.tok().kind == Kind::Word {
            return unsupported("this ALTER COLUMN action");
        }
        Err(self.syntax_error())
    }

    fn drop(&mut self) -> Result<Statement, Failure> {
        let object_type = if self.eat_kw("table") {
            ObjectType::Table
        } else if self.eat_kw("index") {
            if self.peek_kw("concurrently") {
                return unsupported("DROP INDEX CONCURRENTLY");
            }
            ObjectType::Index
        } else {
            let t = self.tok();
            return match t.kind {
                Kind::Word => unsupported(format!("DROP {}", self.text(t).to_uppercase())),
                _ => Err(self.syntax_error()),
            };
        };
        let if_exists = self.if_exists();
        let mut names = vec![self.object_name()?];
        while self.eat_op(",") {
            names.push(self.object_name()?);
        }
        let cascade = self.drop_behavior();
        Ok(Statement::Drop {
            object_type,
            if_exists,
            names,
            cascade,
        })
    }

    /// A table with an optional alias (`t`, `t AS x`, `t x`).
    fn table_ref(&mut self) -> Result<TableRef, Failure> {
        let _ = self.eat_kw("only");
        let name = self.object_name()?;
        let alias = if self.eat_kw("as") {
            Some(self.ident()?)
        } else {
            // A bare alias cannot be a word that may follow the table here.
            let follow = [
                "set", "join", "inner", "left", "right", "full", "cross", "natural",
            ];
            let t = self.tok();
            let bare = match &t.kind {
                Kind::Word => {
                    let w = self.text(t);
                    !Self::is_reserved(w) && !follow.iter().any(|f| f.eq_ignore_ascii_case(w))
                }
                Kind::Quoted(_) => true,
                _ => false,
            };
            if bare {
                Some(self.ident()?)
            } else {
                None
            }
        };
        if alias.is_some() && self.peek_op("(") {
            return unsupported("column aliases");
        }
        Ok(TableRef { name, alias })
    }

    fn returning(&self, what: &str) -> Result<(), Failure> {
        if self.peek_kw("returning") {
            return unsupported(format!("{what} with RETURNING"));
        }
        Ok(())
    }

    fn insert(&mut self) -> Result<Statement, Failure> {
        self.expect_kw("into")?;
        let table = self.object_name()?;
        if self.eat_kw("as") {
            self.ident()?;
        }
        let query_next = |p: &Self| ["select", "values", "with"].iter().any(|w| p.kw_at(1, w));
        let columns = if self.peek_op("(") && !query_next(self) {
            self.ident_list()?
        } else {
            Vec::new()
        };
        if self.peek_op("(") {
            return unsupported("INSERT from a parenthesised query");
        }
        if self.peek_kw("overriding") {
            return unsupported("INSERT ... OVERRIDING");
        }
        let source = if self.eat_kw("values") {
            let mut rows = Vec::new();
            loop {
                self.expect_op("(")?;
                let mut row = vec![self.expr()?];
                while self.eat_op(",") {
                    row.push(self.expr()?);
                }
                self.expect_op(")")?;
                rows.push(row);
                if !self.eat_op(",") {
                    break;
                }
            }
            if ["order", "limit", "offset", "fetch"]
                .iter()
                .any(|w| self.peek_kw(w))
            {
                return unsupported("INSERT with WITH / ORDER BY / LIMIT");
            }
            InsertSource::Values(rows)
        } else if self.eat_kw("select") {
            InsertSource::Select(Box::new(self.select_rest()?))
        } else if self.eat_kws(&["default", "values"]) {
            InsertSource::DefaultValues
        } else if self.peek_kw("with") {
            return unsupported("INSERT with WITH / ORDER BY / LIMIT");
        } else {
            return Err(self.syntax_error());
        };
        let on_conflict = if self.eat_kws(&["on", "conflict"]) {
            Some(self.on_conflict()?)
        } else {
            None
        };
        self.returning("INSERT")?;
        Ok(Statement::Insert(Insert {
            table,
            columns,
            source,
            on_conflict,
        }))
    }

    /// After `ON CONFLICT`: the arbiter, then `DO NOTHING`.
    fn on_conflict(&mut self) -> Result<ConflictTarget, Failure> {
        let target = if self.peek_op("(") {
            ConflictTarget::Columns(self.ident_list()?)
        } else if self.eat_kws(&["on", "constraint"]) {
            ConflictTarget::OnConstraint(self.object_name()?)
        } else {
            ConflictTarget::Any
        };
        if self.peek_kw("where") {
            return unsupported("ON CONFLICT with WHERE");
        }
        self.expect_kw("do")?;
        if self.peek_kw("update") {
            return unsupported("ON CONFLICT DO UPDATE / ON DUPLICATE KEY");
        }
        self.expect_kw("nothing")?;
        Ok(target)
    }

    fn where_clause(&mut self) -> Result<Option<Expr>, Failure> {
        if !self.eat_kw("where") {
            return Ok(None);
        }
        if self.eat_kws(&["current", "of"]) {
            return unsupported("WHERE CURRENT OF");
        }
        Ok(Some(self.expr()?))
    }

    fn update(&mut self) -> Result<Statement, Failure> {
        let table = self.table_ref()?;
        self.expect_kw("set")?;
        let mut assignments = Vec::new();
        loop {
            if self.peek_op("(") {
                return unsupported("multi-column assignment");
            }
            let column = self.ident()?;
            if self.peek_op(".") || self.peek_op("[") {
                return unsupported("qualified assignment targets (table.column)");
            }
            self.expect_op("=")?;
            let value = self.expr()?;
            assignments.push(Assignment { column, value });
            if !self.eat_op(",") {
                break;
            }
        }
        if self.peek_kw("from") {
            return unsupported("UPDATE with FROM, RETURNING, ORDER BY or LIMIT");
        }
        let selection = self.where_clause()?;
        self.returning("UPDATE")?;
        Ok(Statement::Update(Update {
            table,
            assignments,
            selection,
        }))
    }

    fn delete(&mut self) -> Result<Statement, Failure> {
        self.expect_kw("from")?;
        let table = self.table_ref()?;
        if self.peek_kw("using") {
            return unsupported("DELETE with USING, RETURNING, ORDER BY or LIMIT");
        }
        let selection = self.where_clause()?;
        self.returning("DELETE")?;
        Ok(Statement::Delete(Delete { table, selection }))
    }

    /// A `SELECT` after its keyword.
    fn select_rest(&mut self) -> Result<Select, Failure> {
        const BEYOND: &str = "SELECT beyond a filtered scan of one table";
        let _ = self.eat_kw("all");
        if self.peek_kw("distinct") {
            return unsupported(BEYOND);
        }
        let mut items = Vec::new();
        let ends_list = |p: &Self| {
            p.at_statement_end()
                || [
                    "from",
                    "where",
                    "into",
                    "union",
                    "intersect",
                    "except",
                    "order",
                    "limit",
                ]
                .iter()
                .any(|w| p.peek_kw(w))
                || p.peek_op(")")
        };
        if !ends_list(self) {
            loop {
                items.push(self.select_item()?);
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        if self.peek_kw("into") {
            return unsupported(BEYOND);
        }
        let from = if self.eat_kw("from") {
            if self.peek_op("(") || self.peek_kw("lateral") {
                return unsupported("subqueries");
            }
            let t = self.table_ref()?;
            if self.peek_op(",") {
                return unsupported("SELECT from several tables");
            }
            let joins = ["join", "inner", "left", "right", "full", "cross", "natural"];
            if joins.iter().any(|w| self.peek_kw(w)) {
                return unsupported("joins");
            }
            Some(t)
        } else {
            None
        };
        let selection = self.where_clause()?;
        if ["group", "having", "window"]
            .iter()
            .any(|w| self.peek_kw(w))
        {
            return unsupported(BEYOND);
        }
        if ["union", "intersect", "except"]
            .iter()
            .any(|w| self.peek_kw(w))
        {
            return unsupported("set operations and VALUES queries");
        }
        let mut order_by = Vec::new();
        if self.eat_kws(&["order", "by"]) {
            loop {
                order_by.push(self.expr()?);
                let _ = self.eat_kw("asc") || self.eat_kw("desc");
                let _ = self.eat_kws(&["nulls", "first"]) || self.eat_kws(&["nulls", "last"]);
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        let (mut limit, mut offset) = (None, None);
        loop {
            if self.eat_kw("limit") {
                limit = if self.eat_kw("all") {
                    None
                } else {
                    Some(self.expr()?)
                };
            } else if self.eat_kw("offset") {
                offset = Some(self.expr()?);
                let _ = self.eat_kw("rows") || self.eat_kw("row");
            } else {
                break;
            }
        }
        if self.peek_kw("fetch") || self.peek_kw("for") {
            return unsupported(BEYOND);
        }
        Ok(Select {
            items,
            from,
            selection,
            order_by,
            limit,
            offset,
        })
    }

    fn select_item(&mut self) -> Result<SelectItem, Failure> {
        if self.eat_op("*") {
            return Ok(SelectItem::Wildcard);
        }
        let qualified_star = matches!(self.tok().kind, Kind::Word | Kind::Quoted(_))
            && self.op_at(1, ".")
            && self.op_at(2, "*");
        if qualified_star {
            return unsupported("qualified wildcards (table.*) and multiple aliases");
        }
        let e = self.expr()?;
        if self.eat_kw("as") {
            self.ident()?;
        } else {
            let t = self.tok();
            let bare = match &t.kind {
                Kind::Word => !Self::is_reserved(self.text(t)),
                Kind::Quoted(_) => true,
                _ => false,
            };
            if bare {
                self.ident()?;
            }
        }
        Ok(SelectItem::Expr(e))
    }

    // ---- types ----

    /// `( n )` after a type name, when present.
    fn type_modifier(&mut self) -> Result<Option<i64>, Failure> {
        if !self.eat_op("(") {
            return Ok(None);
        }
        let n = self.integer()?;
        self.expect_op(")")?;
        Ok(Some(n))
    }

    fn data_type(&mut self) -> Result<DataType, Failure> {
        let t = self.tok().clone();
        let word = match &t.kind {
            Kind::Word => self.text(&t).to_ascii_lowercase(),
            Kind::Quoted(s) => {
                self.advance();
                return Ok(DataType::Other(s.clone()));
            }
            _ => return Err(self.syntax_error()),
        };
        self.advance();
        let dt = match word.as_str() {
            "smallint" | "int2" => DataType::SmallInt,
            "int" | "integer" | "int4" => DataType::Int,
            "bigint" | "int8" => DataType::BigInt,
            "real" | "float4" => DataType::Real,
            "float8" => DataType::Double,
            "double" => {
                self.expect_kw("precision")?;
                DataType::Double
            }
            "float" => match self.type_modifier()? {
                None => DataType::Double,
                Some(p) if p < 1 => {
                    return Err(Failure::new(
                        "precision for type float must be at least 1 bit",
                    ))
                }
                Some(p) if p <= 24 => DataType::Real,
                Some(p) if p <= 53 => DataType::Double,
                Some(_) => {
                    return Err(Failure::new(
                        "precision for type float must be less than 54 bits",
                    ))
                }
            },
            "numeric" | "decimal" | "dec" => {
                if self.eat_op("(") {
                    let p = self.integer()?;
                    let s = if self.eat_op(",") { self.integer()? } else { 0 };
                    self.expect_op(")")?;
                    DataType::Numeric(Some((p, s)))
                } else {
                    DataType::Numeric(None)
                }
            }
            "text" => DataType::Text,
            "varchar" => DataType::Varchar(self.type_modifier()?),
            "character" | "char" if self.eat_kw("varying") => {
                DataType::Varchar(self.type_modifier()?)
            }
            "character" | "char" => {
                self.type_modifier()?;
                DataType::Other("character".into())
            }
            "bool" | "boolean" => DataType::Bool,
            "date" => DataType::Date,
            "timestamp" | "time" => {
                let precision = self.type_modifier()?;
                let zone = if self.eat_kws(&["with", "time", "zone"]) {
                    " with time zone"
                } else {
                    let _ = self.eat_kws(&["without", "time", "zone"]);
                    ""
                };
                match (word.as_str(), precision, zone) {
                    ("timestamp", None, "") => DataType::Timestamp,
                    (w, Some(p), z) => DataType::Other(format!("{w}({p}){z}")),
                    (w, None, z) => DataType::Other(format!("{w}{z}")),
                }
            }
            w if Self::is_reserved(w) => {
                self.pos -= 1;
                return Err(self.syntax_error());
            }
            _ => {
                let mut name = self.text(&t).to_string();
                if self.eat_op("(") {
                    name.push('(');
                    while !self.peek_op(")") && !self.at_statement_end() {
                        name.push_str(self.text(self.tok()));
                        self.advance();
                    }
                    self.expect_op(")")?;
                    name.push(')');
                }
                DataType::Other(name)
            }
        };
        if self.eat_op("[") {
            while !self.eat_op("]") {
                if self.at_statement_end() {
                    return Err(self.syntax_error());
                }
                self.advance();
            }
            return Ok(DataType::Other(format!("{dt}[]")));
        }
        Ok(dt)
    }

    // ---- expressions ----

    /// A whole expression.
    pub fn expr(&mut self) -> Result<Expr, Failure> {
        self.expr_bp(0)
    }

    fn deeper(&mut self) -> Result<(), Failure> {
        self.depth += 1;
        if self.depth > self.depth_max {
            return unsupported(format!(
                "expressions nested more than {} levels deep",
                self.depth_max
            ));
        }
        Ok(())
    }

    /// An expression whose operators all bind tighter than `min`. Each operator applied
    /// counts as a level, so a long chain (`a OR b OR ...`) is bounded like a nesting.
    fn expr_bp(&mut self, min: u8) -> Result<Expr, Failure> {
        let entry = self.depth;
        let result = self.expr_bp_inner(min);
        self.depth = entry;
        result
    }

    fn expr_bp_inner(&mut self, min: u8) -> Result<Expr, Failure> {
        self.deeper()?;
        let mut left = self.prefix()?;
        while let Some(prec) = self.infix_power()? {
            if prec <= min {
                break;
            }
            self.deeper()?;
            left = self.infix(left, prec)?;
        }
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Expr, Failure> {
        if self.eat_kw("not") {
            let expr = Box::new(self.expr_bp(P_NOT)?);
            return Ok(Expr::UnaryOp {
                op: UnaryOp::Not,
                expr,
            });
        }
        for (sym, op) in [("-", UnaryOp::Minus), ("+", UnaryOp::Plus)] {
            if self.eat_op(sym) {
                let expr = Box::new(self.expr_bp(P_UNARY)?);
                return Ok(Expr::UnaryOp { op, expr });
            }
        }
        self.primary()
    }

    /// The binding power of the operator at the current token, if it is one.
    fn infix_power(&self) -> Result<Option<u8>, Failure> {
        let t = self.tok();
        let text = self.text(t);
        Ok(Some(match &t.kind {
            Kind::Op => match text {
                "=" | "<>" | "!=" | "<" | "<=" | ">" | ">=" => P_CMP,
                "+" | "-" => P_ADD,
                "*" | "/" | "%" => P_MUL,
                "^" => P_EXP,
                "::" => P_CAST,
                "[" => P_CAST,
                "(" | ")" | "," | ";" | "." | "]" | ":" => return Ok(None),
                _ if text.bytes().all(|b| b"+-*/<>=~!@#%^&|`?".contains(&b)) => P_OTHER,
                _ => return Ok(None),
            },
            Kind::Word => match text.to_ascii_lowercase().as_str() {
                "or" => P_OR,
                "and" => P_AND,
                "is" | "isnull" | "notnull" => P_IS,
                "between" | "in" | "like" | "ilike" | "similar" => P_IN,
                "not" => {
                    let next = ["between", "in", "like", "ilike", "similar"];
                    if next.iter().any(|w| self.kw_at(1, w)) {
                        P_IN
                    } else {
                        return Ok(None);
                    }
                }
                "collate" => P_COLLATE,
                "at" if self.kw_at(1, "time") => P_UNARY,
                _ => return Ok(None),
            },
            _ => return Ok(None),
        }))
    }

    fn infix(&mut self, left: Expr, prec: u8) -> Result<Expr, Failure> {
        let t = self.tok().clone();
        let text = self.text(&t);
        let left = Box::new(left);
        if t.kind == Kind::Op {
            let op = match text {
                "=" => BinaryOp::Eq,
                "<>" | "!=" => BinaryOp::NotEq,
                "<" => BinaryOp::Lt,
                "<=" => BinaryOp::LtEq,
                ">" => BinaryOp::Gt,
                ">=" => BinaryOp::GtEq,
                "+" => BinaryOp::Plus,
                "-" => BinaryOp::Minus,
                "*" => BinaryOp::Multiply,
                "/" => BinaryOp::Divide,
                "%" => BinaryOp::Modulo,
                "||" => BinaryOp::Concat,
                "::" => {
                    self.advance();
                    let data_type = self.data_type()?;
                    return Ok(Expr::Cast {
                        expr: left,
                        data_type,
                    });
                }
                "[" => return unsupported("arrays"),
                "->" | "->>" | "#>" | "#>>" => return unsupported("field access"),
                other => return unsupported(format!("operator {other}")),
            };
            self.advance();
            if prec == P_CMP && ["any", "all", "some"].iter().any(|w| self.peek_kw(w)) {
                return unsupported("ANY / ALL");
            }
            let right = Box::new(self.expr_bp(prec)?);
            return Ok(Expr::BinaryOp { left, op, right });
        }
        let word = text.to_ascii_lowercase();
        self.advance();
        match word.as_str() {
            "or" | "and" => {
                let op = if word == "or" {
                    BinaryOp::Or
                } else {
                    BinaryOp::And
                };
                let right = Box::new(self.expr_bp(prec)?);
                Ok(Expr::BinaryOp { left, op, right })
            }
            "isnull" | "notnull" => Ok(Expr::IsNull {
                expr: left,
                negated: word == "notnull",
            }),
            "is" => self.is_rest(left),
            "not" => {
                let inner = self.in_between_like(left)?;
                Ok(match inner {
                    Expr::InList { expr, list, .. } => Expr::InList {
                        expr,
                        list,
                        negated: true,
                    },
                    Expr::Between {
                        expr, low, high, ..
                    } => Expr::Between {
                        expr,
                        negated: true,
                        low,
                        high,
                    },
                    other => other,
                })
            }
            "collate" => unsupported("COLLATE"),
            "at" => unsupported("AT TIME ZONE"),
            _ => {
                self.pos -= 1;
                self.in_between_like(left)
            }
        }
    }

    /// `IN (..)`, `BETWEEN .. AND ..`, or a pattern match (refused), after its left operand.
    fn in_between_like(&mut self, left: Box<Expr>) -> Result<Expr, Failure> {
        if self.eat_kw("in") {
            self.expect_op("(")?;
            if ["select", "values", "with"].iter().any(|w| self.peek_kw(w)) {
                return unsupported("subqueries");
            }
            let mut list = vec![self.expr()?];
            while self.eat_op(",") {
                list.push(self.expr()?);
            }
            self.expect_op(")")?;
            return Ok(Expr::InList {
                expr: left,
                list,
                negated: false,
            });
        }
        if self.eat_kw("between") {
            if self.peek_kw("symmetric") {
                return unsupported("BETWEEN SYMMETRIC");
            }
            let _ = self.eat_kw("asymmetric");
            let low = Box::new(self.expr_bp(P_IN)?);
            self.expect_kw("and")?;
            let high = Box::new(self.expr_bp(P_IN)?);
            return Ok(Expr::Between {
                expr: left,
                negated: false,
                low,
                high,
            });
        }
        if ["like", "ilike", "similar"].iter().any(|w| self.peek_kw(w)) {
            return unsupported("pattern matching (LIKE, ILIKE, SIMILAR TO)");
        }
        Err(self.syntax_error())
    }

    /// After `IS`: `[NOT] NULL | TRUE | FALSE | UNKNOWN | DISTINCT FROM x`.
    fn is_rest(&mut self, expr: Box<Expr>) -> Result<Expr, Failure> {
        let negated = self.eat_kw("not");
        if self.eat_kw("null") {
            return Ok(Expr::IsNull { expr, negated });
        }
        for (kw, want) in [
            ("true", Some(true)),
            ("false", Some(false)),
            ("unknown", None),
        ] {
            if self.eat_kw(kw) {
                return Ok(Expr::IsTruth {
                    expr,
                    want,
                    negated,
                });
            }
        }
        if self.eat_kws(&["distinct", "from"]) {
            let right = Box::new(self.expr_bp(P_IS)?);
            return Ok(Expr::IsDistinctFrom {
                left: expr,
                right,
                negated,
            });
        }
        if ["document", "normalized", "json", "of"]
            .iter()
            .any(|w| self.peek_kw(w))
        {
            return unsupported("this kind of expression");
        }
        Err(self.syntax_error())
    }

    fn primary(&mut self) -> Result<Expr, Failure> {
        let t = self.tok().clone();
        match &t.kind {
            Kind::Number => {
                self.advance();
                Ok(Expr::Value(Literal::Number(self.text(&t).to_string())))
            }
            Kind::Str(s) => {
                self.advance();
                Ok(Expr::Value(Literal::String(s.clone())))
            }
            Kind::Quoted(_) => self.name_expr(),
            Kind::Op if self.text(&t) == "(" => {
                self.advance();
                if ["select", "values", "with"].iter().any(|w| self.peek_kw(w)) {
                    return unsupported("subqueries");
                }
                let e = self.expr()?;
                if self.peek_op(",") {
                    return unsupported("row constructors");
                }
                self.expect_op(")")?;
                Ok(Expr::Nested(Box::new(e)))
            }
            Kind::Word => self.word_expr(&t),
            _ => Err(self.syntax_error()),
        }
    }

    /// An expression that starts with a word: a keyword form, a typed string, a column or a
    /// function call.
    fn word_expr(&mut self, t: &Token) -> Result<Expr, Failure> {
        let word = self.text(t).to_ascii_lowercase();
        let simple = match word.as_str() {
            "null" => Some(Expr::Value(Literal::Null)),
            "true" => Some(Expr::Value(Literal::Bool(true))),
            "false" => Some(Expr::Value(Literal::Bool(false))),
            "default" => Some(Expr::Default),
            _ => None,
        };
        if let Some(e) = simple {
            self.advance();
            return Ok(e);
        }
        match word.as_str() {
            "case" => return self.case(),
            "cast" => {
                self.advance();
                self.expect_op("(")?;
                let expr = Box::new(self.expr()?);
                self.expect_kw("as")?;
                let data_type = self.data_type()?;
                self.expect_op(")")?;
                return Ok(Expr::Cast { expr, data_type });
            }
            "exists" if self.op_at(1, "(") => return unsupported("subqueries"),
            "array" => return unsupported("arrays"),
            "row" if self.op_at(1, "(") => return unsupported("row constructors"),
            "interval" => return unsupported("INTERVAL"),
            "extract" | "position" | "substring" | "trim" | "overlay" if self.op_at(1, "(") => {
                return unsupported(word.to_uppercase());
            }
            "current_date" | "current_time" | "current_timestamp" | "localtime"
            | "localtimestamp" | "current_user" | "session_user" | "user" | "current_role"
            | "current_catalog" | "current_schema" | "system_user" => {
                return unsupported(word.to_uppercase());
            }
            _ => {}
        }
        if TYPE_WORDS.contains(&word.as_str()) {
            let save = self.pos;
            if let Ok(data_type) = self.data_type() {
                if let Kind::Str(value) = &self.tok().kind {
                    let value = value.clone();
                    self.advance();
                    return Ok(Expr::TypedString { data_type, value });
                }
            }
            self.pos = save;
        }
        self.name_expr()
    }

    /// A column (`c`, `t.c`) or a function call (`f(..)`).
    fn name_expr(&mut self) -> Result<Expr, Failure> {
        let first = self.ident()?;
        if self.peek_op("(") {
            return self.function(ObjectName(vec![first]));
        }
        let mut parts = vec![first];
        while self.eat_op(".") {
            if self.peek_op("*") {
                return unsupported("* in an expression");
            }
            parts.push(self.ident()?);
        }
        if self.peek_op("(") {
            return self.function(ObjectName(parts));
        }
        Ok(match parts.len() {
            1 => Expr::Identifier(parts.remove(0)),
            2 => Expr::CompoundIdentifier(parts),
            _ => return unsupported("field access"),
        })
    }

    fn function(&mut self, name: ObjectName) -> Result<Expr, Failure> {
        self.expect_op("(")?;
        if self.peek_op("*") {
            return unsupported(format!("function {name}"));
        }
        let modifiers = format!("{name}(...) with DISTINCT, FILTER or OVER");
        if self.peek_kw("distinct") || self.peek_kw("all") {
            return unsupported(modifiers);
        }
        let mut args = Vec::new();
        if !self.peek_op(")") {
            loop {
                let named = self.op_at(1, "=>") || self.op_at(1, ":=") || self.peek_kw("variadic");
                if named {
                    return unsupported("named, wildcard or DISTINCT function arguments");
                }
                args.push(self.expr()?);
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        if self.peek_kw("order") {
            return unsupported(modifiers);
        }
        self.expect_op(")")?;
        if ["filter", "over", "within"].iter().any(|w| self.peek_kw(w)) {
            return unsupported(modifiers);
        }
        Ok(Expr::Function { name, args })
    }

    fn case(&mut self) -> Result<Expr, Failure> {
        self.advance();
        let operand = if self.peek_kw("when") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let mut conditions = Vec::new();
        while self.eat_kw("when") {
            let condition = self.expr()?;
            self.expect_kw("then")?;
            let result = self.expr()?;
            conditions.push(CaseWhen { condition, result });
        }
        if conditions.is_empty() {
            return Err(self.syntax_error());
        }
        let else_result = if self.eat_kw("else") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        self.expect_kw("end")?;
        Ok(Expr::Case {
            operand,
            conditions,
            else_result,
        })
    }
}

/// Parse one expression (unit tests).
#[cfg(test)]
pub fn parse_expr(sql: &str) -> Result<Expr, Failure> {
    let mut p = Parser::new(sql, 200);
    let e = p.expr()?;
    if p.tok().kind != Kind::Eof {
        return Err(p.syntax_error());
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(sql: &str) -> Expr {
        parse_expr(sql).unwrap_or_else(|f| panic!("{sql}: {}", f.message))
    }

    fn bin(l: Expr, op: BinaryOp, r: Expr) -> Expr {
        Expr::BinaryOp {
            left: Box::new(l),
            op,
            right: Box::new(r),
        }
    }

    fn id(s: &str) -> Expr {
        Expr::Identifier(Ident {
            value: s.into(),
            quoted: false,
        })
    }

    fn num(s: &str) -> Expr {
        Expr::Value(Literal::Number(s.into()))
    }

    #[test]
    fn precedence_follows_postgres() {
        use BinaryOp::*;
        assert_eq!(
            e("a + b * c"),
            bin(id("a"), Plus, bin(id("b"), Multiply, id("c")))
        );
        assert_eq!(
            e("a - b - c"),
            bin(bin(id("a"), Minus, id("b")), Minus, id("c"))
        );
        assert_eq!(
            e("a OR b AND c"),
            bin(id("a"), Or, bin(id("b"), And, id("c")))
        );
        // || binds looser than +, tighter than comparison.
        assert_eq!(
            e("a || b + 1 = c"),
            bin(
                bin(id("a"), Concat, bin(id("b"), Plus, num("1"))),
                Eq,
                id("c")
            )
        );
        // NOT binds looser than comparison; IS looser than comparison.
        assert_eq!(
            e("NOT a = b"),
            Expr::UnaryOp {
                op: UnaryOp::Not,
                expr: Box::new(bin(id("a"), Eq, id("b")))
            }
        );
        assert_eq!(
            e("a = b IS NULL"),
            Expr::IsNull {
                expr: Box::new(bin(id("a"), Eq, id("b"))),
                negated: false
            }
        );
        // Unary minus binds tighter than *, looser than ::.
        assert_eq!(
            e("-a::int * 2"),
            bin(
                Expr::UnaryOp {
                    op: UnaryOp::Minus,
                    expr: Box::new(Expr::Cast {
                        expr: Box::new(id("a")),
                        data_type: DataType::Int
                    })
                },
                Multiply,
                num("2")
            )
        );
        let between = e("a NOT BETWEEN 1 AND 2 AND b");
        assert!(matches!(
            between,
            Expr::BinaryOp { op: BinaryOp::And, ref left, .. } if matches!(**left, Expr::Between { negated: true, .. })
        ));
    }

    #[test]
    fn keyword_forms_parse() {
        assert!(matches!(
            e("DATE '2024-01-31'"),
            Expr::TypedString {
                data_type: DataType::Date,
                ..
            }
        ));
        assert!(matches!(e("date + 1"), Expr::BinaryOp { .. }));
        assert!(matches!(
            e("CAST(x AS numeric(10, 2))"),
            Expr::Cast {
                data_type: DataType::Numeric(Some((10, 2))),
                ..
            }
        ));
        assert!(matches!(
            e("x::double precision"),
            Expr::Cast {
                data_type: DataType::Double,
                ..
            }
        ));
        assert!(matches!(
            e("CASE WHEN a THEN 1 ELSE 2 END"),
            Expr::Case { .. }
        ));
        assert!(matches!(e("lower(\"Name\")"), Expr::Function { ref args, .. } if args.len() == 1));
        assert!(matches!(e("t.c"), Expr::CompoundIdentifier(ref v) if v.len() == 2));
        assert!(matches!(
            e("a NOT IN (1, 2)"),
            Expr::InList { negated: true, .. }
        ));
        assert!(matches!(
            e("a IS NOT DISTINCT FROM b"),
            Expr::IsDistinctFrom { negated: true, .. }
        ));
        assert!(matches!(
            e("a IS NOT TRUE"),
            Expr::IsTruth {
                want: Some(true),
                negated: true,
                ..
            }
        ));
    }

    #[test]
    fn errors_name_the_token_or_the_feature() {
        let msg = |sql: &str| parse_expr(sql).unwrap_err().message;
        assert_eq!(msg("a +"), "syntax error at end of input");
        assert_eq!(msg("a + )"), "syntax error at or near \")\"");
        assert_eq!(msg("select"), "syntax error at or near \"select\"");
        assert_eq!(
            msg("a LIKE 'x%'"),
            "not supported: pattern matching (LIKE, ILIKE, SIMILAR TO)"
        );
        assert_eq!(msg("x IN (SELECT 1)"), "not supported: subqueries");
        assert_eq!(msg("count(*)"), "not supported: function count");
        assert_eq!(
            msg("'abc"),
            "unterminated quoted string at or near \"'abc\""
        );
        let deep = format!("{}1{}", "(".repeat(300), ")".repeat(300));
        assert!(msg(&deep).contains("nested more than 200"));
        let chain = vec!["a"; 300].join(" OR ");
        assert!(msg(&chain).contains("nested more than 200"));
    }

    #[test]
    fn statements_end_where_they_should() {
        let mut p = Parser::new("SELECT 1; ; INSERT INTO t VALUES (1) junk", 200);
        assert!(!p.at_end());
        assert!(matches!(p.statement(), Ok(Statement::Select(_))));
        assert!(!p.at_end());
        let f = p.statement().unwrap_err();
        assert_eq!(f.message, "syntax error at or near \"junk\"");
        assert_eq!(p.line(), 1);
        let mut p = Parser::new("CREATE TABLE t (\n  a INT,\n  b INT NOT NULLX\n)", 200);
        assert!(p.statement().is_err());
        assert_eq!(p.line(), 3);
    }
}
