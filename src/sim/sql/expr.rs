//! Expressions: the parsed syntax tree is type-checked once per statement into a [`TExpr`] with
//! column positions and explicit casts (PostgreSQL resolves types at parse time, so a type
//! error fails a statement even when it touches no row), then evaluated per row.
//!
//! Type checking raises PostgreSQL's parse-analysis errors (bad literals, missing operators)
//! for the whole statement first; then [`fold`] evaluates constant subtrees as PostgreSQL's
//! planner does, so `UPDATE t SET x = 1/0 WHERE false` fails with `division by zero` there
//! and here, while `CASE WHEN false THEN 1/0 END` does not.

use super::ast::{BinaryOp, CaseWhen, DataType, Expr, Ident, Literal, ObjectName, UnaryOp};

use super::datetime::date_in_range;
use super::table::Column;
use super::value::{
    cast_allowed, convert, input, numeric_failure, to_f32, CastContext, Category, Failure, Numeric,
    NumericError, SqlType, Value,
};

/// An expression's static type; `None` is PostgreSQL's `unknown` (a quoted literal or NULL
/// whose type comes from its context).
pub type Ty = Option<SqlType>;

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

/// A type-checked expression.
#[derive(Clone, Debug, PartialEq)]
pub enum TExpr {
    Const(Value),
    Column(usize),
    Cast {
        e: Box<TExpr>,
        from: SqlType,
        to: SqlType,
        explicit: bool,
    },
    /// Both operands already have type `ty`.
    Arith {
        op: Arith,
        l: Box<TExpr>,
        r: Box<TExpr>,
        ty: SqlType,
    },
    /// `date ± integer` (result date) and `date - date` (result integer).
    DateArith {
        op: Arith,
        l: Box<TExpr>,
        r: Box<TExpr>,
    },
    Neg {
        e: Box<TExpr>,
        ty: SqlType,
    },
    /// Both operands are text.
    Concat(Box<TExpr>, Box<TExpr>),
    /// Both operands have one type.
    Cmp {
        op: Cmp,
        l: Box<TExpr>,
        r: Box<TExpr>,
    },
    And(Box<TExpr>, Box<TExpr>),
    Or(Box<TExpr>, Box<TExpr>),
    Not(Box<TExpr>),
    IsNull {
        e: Box<TExpr>,
        negated: bool,
    },
    InList {
        e: Box<TExpr>,
        list: Vec<TExpr>,
        negated: bool,
    },
    Coalesce(Vec<TExpr>),
    /// `IS [NOT] DISTINCT FROM` over operands of one type.
    Distinct {
        l: Box<TExpr>,
        r: Box<TExpr>,
        negated: bool,
    },
    /// `IS [NOT] TRUE / FALSE / UNKNOWN` (`want: None` is UNKNOWN).
    IsTruth {
        e: Box<TExpr>,
        want: Option<bool>,
        negated: bool,
    },
    /// `lower`, `upper`, `length` of a text value.
    TextFn {
        f: TextFn,
        e: Box<TExpr>,
    },
    /// Searched `CASE`: the first true condition's result, else `otherwise`.
    Case {
        whens: Vec<(TExpr, TExpr)>,
        otherwise: Box<TExpr>,
    },
}

/// One-argument text functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFn {
    Lower,
    Upper,
    /// Characters, as an `integer`.
    Length,
}

/// What names an expression may use: the columns of one table (none for `VALUES`).
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub table: &'a str,
    pub columns: &'a [Column],
}

impl Scope<'_> {
    /// A scope without columns (`VALUES`, `DEFAULT`).
    pub const EMPTY: Scope<'static> = Scope {
        table: "",
        columns: &[],
    };
}

/// An identifier as PostgreSQL stores it: unquoted names fold to lower case.
pub fn ident_name(id: &Ident) -> String {
    id.name()
}

/// The type name PostgreSQL prints in operator and assignment errors (no modifier).
pub fn type_name(ty: &Ty) -> String {
    match ty {
        None => "unknown".into(),
        Some(SqlType::Numeric(_)) => "numeric".into(),
        Some(SqlType::Varchar(_)) => "character varying".into(),
        Some(t) => t.to_string(),
    }
}

/// Map a parsed data type to a column type, or `not supported`.
pub fn sql_type(dt: &DataType) -> Result<SqlType, Failure> {
    Ok(match dt {
        DataType::SmallInt => SqlType::SmallInt,
        DataType::Int => SqlType::Int,
        DataType::BigInt => SqlType::BigInt,
        DataType::Real => SqlType::Real,
        DataType::Double => SqlType::Double,
        DataType::Numeric(info) => numeric_type(*info)?,
        DataType::Text => SqlType::Text,
        DataType::Varchar(None) => SqlType::Varchar(None),
        DataType::Varchar(Some(n)) => match u32::try_from(*n) {
            Ok(n) if (1..=10_485_760).contains(&n) => SqlType::Varchar(Some(n)),
            _ => return Err(Failure::new("length for type varchar must be at least 1")),
        },
        DataType::Bool => SqlType::Bool,
        DataType::Date => SqlType::Date,
        DataType::Timestamp => SqlType::Timestamp,
        DataType::Other(_) => return Err(Failure::unsupported(format!("type {dt}"))),
    })
}

fn numeric_type(info: Option<(i64, i64)>) -> Result<SqlType, Failure> {
    let Some((p, s)) = info else {
        return Ok(SqlType::Numeric(None));
    };
    if !(1..=1000).contains(&p) {
        return Err(Failure::new(format!(
            "NUMERIC precision {p} must be between 1 and 1000"
        )));
    }
    if p > super::value::NUMERIC_DIGITS_MAX as i64 {
        return Err(Failure::unsupported("NUMERIC precision above 38"));
    }
    if s < 0 || s > p {
        return Err(Failure::unsupported(format!(
            "NUMERIC scale {s} outside 0..={p}"
        )));
    }
    Ok(SqlType::Numeric(Some((p as u32, s as u32))))
}

/// A compiled expression and its type.
#[derive(Clone, Debug, PartialEq)]
pub struct Typed {
    pub e: TExpr,
    pub ty: Ty,
}

fn typed(e: TExpr, ty: SqlType) -> Typed {
    Typed { e, ty: Some(ty) }
}

/// Coerce to `to` if `ctx` allows it. `Ok(None)` means no such cast; `Err` means the value
/// itself failed to convert (a literal with bad input syntax).
pub fn coerce(t: Typed, to: &SqlType, ctx: CastContext) -> Result<Option<TExpr>, Failure> {
    let explicit = ctx == CastContext::Explicit;
    let from = match t.ty {
        None => {
            return Ok(Some(match t.e {
                TExpr::Const(Value::Text(s)) => TExpr::Const(input(&s, to, explicit)?),
                TExpr::Const(Value::Null) => TExpr::Const(Value::Null),
                e => e,
            }))
        }
        Some(f) => f,
    };
    if from == *to {
        return Ok(Some(t.e));
    }
    if !cast_allowed(&from, to, ctx) {
        return Ok(None);
    }
    let cast = TExpr::Cast {
        e: Box::new(t.e),
        from,
        to: to.clone(),
        explicit,
    };
    Ok(Some(cast))
}

/// Coerce for an assignment into a column, with PostgreSQL's wording when impossible.
pub fn coerce_assign(t: Typed, col: &Column, what: &str) -> Result<TExpr, Failure> {
    let ty = t.ty.clone();
    match coerce(t, &col.ty, CastContext::Assignment)? {
        Some(e) => Ok(e),
        None => Err(Failure::new(format!(
            "column \"{}\" is of type {} but {what} is of type {}",
            col.name,
            type_name(&Some(col.ty.clone())),
            type_name(&ty)
        ))),
    }
}

/// Require a boolean (`WHERE`, `CHECK`, `AND`...): unknown literals convert, others error.
pub fn require_bool(t: Typed, context: &str) -> Result<TExpr, Failure> {
    if t.ty.as_ref().is_some_and(|ty| *ty != SqlType::Bool) {
        return Err(Failure::new(format!(
            "argument of {context} must be type boolean, not type {}",
            type_name(&t.ty)
        )));
    }
    Ok(coerce(t, &SqlType::Bool, CastContext::Implicit)?.unwrap_or(TExpr::Const(Value::Null)))
}

/// Compile an expression in a scope.
pub fn compile(expr: &Expr, scope: Scope) -> Result<Typed, Failure> {
    match expr {
        Expr::Value(v) => literal(v),
        Expr::Identifier(id) => column(scope, None, id),
        Expr::CompoundIdentifier(ids) => match ids.as_slice() {
            [t, c] => column(scope, Some(t), c),
            _ => Err(Failure::unsupported("field access")),
        },
        Expr::Nested(e) => compile(e, scope),
        Expr::UnaryOp { op, expr } => unary(*op, expr, scope),
        Expr::BinaryOp { left, op, right } => binary(left, *op, right, scope),
        Expr::IsNull { expr, negated } => {
            let t = compile(expr, scope)?;
            let e = Box::new(t.e);
            let negated = *negated;
            Ok(typed(TExpr::IsNull { e, negated }, SqlType::Bool))
        }
        Expr::IsDistinctFrom {
            left,
            right,
            negated,
        } => distinct(left, right, *negated, scope),
        Expr::IsTruth {
            expr,
            want,
            negated,
        } => is_truth(expr, *want, *negated, scope),
        Expr::InList {
            expr,
            list,
            negated,
        } => in_list(expr, list, *negated, scope),
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let ge = comparison(compile(expr, scope)?, Cmp::GtEq, compile(low, scope)?)?;
            let le = comparison(compile(expr, scope)?, Cmp::LtEq, compile(high, scope)?)?;
            let both = TExpr::And(Box::new(ge), Box::new(le));
            let e = if *negated {
                TExpr::Not(Box::new(both))
            } else {
                both
            };
            Ok(typed(e, SqlType::Bool))
        }
        Expr::Cast { expr, data_type } => cast(compile(expr, scope)?, &sql_type(data_type)?),
        Expr::TypedString { data_type, value } => {
            let lit = Typed {
                e: TExpr::Const(Value::Text(value.clone())),
                ty: None,
            };
            cast(lit, &sql_type(data_type)?)
        }
        Expr::Function { name, args } => function(name, args, scope),
        Expr::Case {
            operand,
            conditions,
            else_result,
        } => case(
            operand.as_deref(),
            conditions,
            else_result.as_deref(),
            scope,
        ),
        Expr::Default => Err(Failure::new("DEFAULT is not allowed in this context")),
    }
}

fn literal(v: &Literal) -> Result<Typed, Failure> {
    let unknown = |e| Typed { e, ty: None };
    Ok(match v {
        Literal::Number(n) => number(n, false)?,
        Literal::String(s) => unknown(TExpr::Const(Value::Text(s.clone()))),
        Literal::Bool(b) => typed(TExpr::Const(Value::Bool(*b)), SqlType::Bool),
        Literal::Null => unknown(TExpr::Const(Value::Null)),
    })
}

/// A numeric literal: `integer` if it fits, else `bigint`, else `numeric`; any point or
/// exponent makes it `numeric` (PostgreSQL's rules).
fn number(text: &str, negative: bool) -> Result<Typed, Failure> {
    let signed = if negative {
        format!("-{text}")
    } else {
        text.to_string()
    };
    if text.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = signed.parse::<i64>() {
            let ty = if i32::try_from(i).is_ok() {
                SqlType::Int
            } else {
                SqlType::BigInt
            };
            return Ok(typed(TExpr::Const(Value::Int(i)), ty));
        }
    }
    match Numeric::parse(&signed) {
        Ok(n) => Ok(typed(
            TExpr::Const(Value::Numeric(n)),
            SqlType::Numeric(None),
        )),
        // Wider than the simulator's 38 digits (`1e300`): read it as double precision, which
        // keeps float columns and float arithmetic working; a NUMERIC target still refuses it.
        Err(NumericError::TooWide) => match signed.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(typed(TExpr::Const(Value::Real(x)), SqlType::Double)),
            _ => Err(numeric_failure(NumericError::TooWide)),
        },
        Err(e) => Err(numeric_failure(e)),
    }
}

fn column(scope: Scope, table: Option<&Ident>, id: &Ident) -> Result<Typed, Failure> {
    let name = ident_name(id);
    if let Some(t) = table {
        let t = ident_name(t);
        if t != scope.table {
            return Err(Failure::new(format!(
                "missing FROM-clause entry for table \"{t}\""
            )));
        }
    }
    match scope.columns.iter().position(|c| c.name == name) {
        Some(i) => Ok(typed(TExpr::Column(i), scope.columns[i].ty.clone())),
        None => Err(Failure::new(format!("column \"{name}\" does not exist"))),
    }
}

fn unary(op: UnaryOp, expr: &Expr, scope: Scope) -> Result<Typed, Failure> {
    match op {
        UnaryOp::Not => {
            let e = require_bool(compile(expr, scope)?, "NOT")?;
            Ok(typed(TExpr::Not(Box::new(e)), SqlType::Bool))
        }
        UnaryOp::Plus => compile(expr, scope),
        UnaryOp::Minus => {
            // `-2147483648` is one literal in PostgreSQL, so fold the sign into it.
            if let Expr::Value(Literal::Number(n)) = expr {
                return number(n, true);
            }
            let t = compile(expr, scope)?;
            match &t.ty {
                Some(ty) if ty.category() == Category::Numeric => {
                    let ty = ty.base();
                    let e = Box::new(t.e);
                    Ok(typed(TExpr::Neg { e, ty: ty.clone() }, ty))
                }
                None => Err(Failure::new("operator is not unique: - unknown")),
                _ => Err(Failure::new(format!(
                    "operator does not exist: - {}",
                    type_name(&t.ty)
                ))),
            }
        }
    }
}

fn binary(left: &Expr, op: BinaryOp, right: &Expr, scope: Scope) -> Result<Typed, Failure> {
    if matches!(op, BinaryOp::And | BinaryOp::Or) {
        return boolean(left, op, right, scope);
    }
    let l = compile(left, scope)?;
    let r = compile(right, scope)?;
    let cmp = match op {
        BinaryOp::Eq => Some(Cmp::Eq),
        BinaryOp::NotEq => Some(Cmp::NotEq),
        BinaryOp::Lt => Some(Cmp::Lt),
        BinaryOp::LtEq => Some(Cmp::LtEq),
        BinaryOp::Gt => Some(Cmp::Gt),
        BinaryOp::GtEq => Some(Cmp::GtEq),
        _ => None,
    };
    if let Some(c) = cmp {
        return Ok(typed(comparison(l, c, r)?, SqlType::Bool));
    }
    let arith = match op {
        BinaryOp::Plus => Arith::Add,
        BinaryOp::Minus => Arith::Sub,
        BinaryOp::Multiply => Arith::Mul,
        BinaryOp::Divide => Arith::Div,
        BinaryOp::Modulo => Arith::Mod,
        BinaryOp::Concat => return concat(l, r),
        BinaryOp::Eq
        | BinaryOp::NotEq
        | BinaryOp::Lt
        | BinaryOp::LtEq
        | BinaryOp::Gt
        | BinaryOp::GtEq
        | BinaryOp::And
        | BinaryOp::Or => return Err(Failure::new("internal: operator")),
    };
    arithmetic(l, arith, r, op)
}

/// `AND` / `OR`: each side is analysed and made boolean before the next, as in PostgreSQL.
fn boolean(left: &Expr, op: BinaryOp, right: &Expr, scope: Scope) -> Result<Typed, Failure> {
    let name = if op == BinaryOp::And { "AND" } else { "OR" };
    let l = Box::new(require_bool(compile(left, scope)?, name)?);
    let r = Box::new(require_bool(compile(right, scope)?, name)?);
    let e = if name == "AND" {
        TExpr::And(l, r)
    } else {
        TExpr::Or(l, r)
    };
    Ok(typed(e, SqlType::Bool))
}

fn op_missing(l: &Ty, op: &dyn std::fmt::Display, r: &Ty) -> Failure {
    Failure::new(format!(
        "operator does not exist: {} {op} {}",
        type_name(l),
        type_name(r)
    ))
}

/// The type both sides of a numeric operator widen to.
fn numeric_common(a: &SqlType, b: &SqlType) -> SqlType {
    let (a, b) = (a.base(), b.base());
    match (&a, &b) {
        (SqlType::Real, SqlType::Real) => SqlType::Real,
        _ if a.is_integer() && b.is_integer() => {
            if a.numeric_rank() >= b.numeric_rank() {
                a
            } else {
                b
            }
        }
        (SqlType::Numeric(_), _) | (_, SqlType::Numeric(_))
            if a.numeric_rank() <= 4 && b.numeric_rank() <= 4 =>
        {
            SqlType::Numeric(None)
        }
        _ => SqlType::Double,
    }
}

/// Give an unknown side the other side's type, as PostgreSQL resolves `int_col + '5'`.
fn resolve_unknown(l: Typed, r: Typed) -> Result<(Typed, Typed), Failure> {
    let fill = |t: Typed, ty: &SqlType| -> Result<Typed, Failure> {
        let ty = ty.base();
        let e = coerce(t, &ty, CastContext::Implicit)?.unwrap_or(TExpr::Const(Value::Null));
        Ok(typed(e, ty))
    };
    match (&l.ty, &r.ty) {
        (None, Some(t)) => {
            let t = t.clone();
            Ok((fill(l, &t)?, r))
        }
        (Some(t), None) => {
            let t = t.clone();
            Ok((l, fill(r, &t)?))
        }
        _ => Ok((l, r)),
    }
}

fn arithmetic(l: Typed, op: Arith, r: Typed, sym: BinaryOp) -> Result<Typed, Failure> {
    if l.ty.is_none() && r.ty.is_none() {
        return Err(Failure::new(format!(
            "operator is not unique: unknown {sym} unknown"
        )));
    }
    // An unknown literal takes the other side's type, but the operator must exist first
    // (`bool_col + 'x'` is a missing operator, not a bad boolean literal).
    let (orig_l, orig_r) = (l.ty.clone(), r.ty.clone());
    let lt = orig_l.clone().or(orig_r.clone()).unwrap_or(SqlType::Text);
    let rt = orig_r.clone().or(orig_l.clone()).unwrap_or(SqlType::Text);
    let date_op = match (&lt, op, &rt) {
        (SqlType::Date, Arith::Add | Arith::Sub, t) if t.is_integer() => Some(SqlType::Date),
        (t, Arith::Add, SqlType::Date) if t.is_integer() => Some(SqlType::Date),
        (SqlType::Date, Arith::Sub, SqlType::Date) => Some(SqlType::Int),
        _ => None,
    };
    if let Some(ty) = date_op {
        let (l, r) = resolve_unknown(l, r)?;
        // Keep the date on the left so evaluation has one shape.
        let (l, r) = if lt == SqlType::Date {
            (l.e, r.e)
        } else {
            (r.e, l.e)
        };
        let e = TExpr::DateArith {
            op,
            l: Box::new(l),
            r: Box::new(r),
        };
        return Ok(typed(e, ty));
    }
    let numeric = lt.category() == Category::Numeric && rt.category() == Category::Numeric;
    let ty = numeric_common(&lt, &rt);
    let float_mod = op == Arith::Mod && matches!(ty, SqlType::Real | SqlType::Double);
    if !numeric || float_mod {
        return Err(op_missing(&orig_l, &sym, &orig_r));
    }
    let (l, r) = resolve_unknown(l, r)?;
    let widen = |t: Typed| -> Result<TExpr, Failure> {
        coerce(t, &ty, CastContext::Implicit)?.ok_or_else(|| Failure::new("internal: widening"))
    };
    let (le, re) = (widen(l)?, widen(r)?);
    let e = TExpr::Arith {
        op,
        l: Box::new(le),
        r: Box::new(re),
        ty: ty.clone(),
    };
    Ok(typed(e, ty))
}

fn concat(l: Typed, r: Typed) -> Result<Typed, Failure> {
    let stringy = |t: &Ty| t.as_ref().is_none_or(|t| t.category() == Category::String);
    if !stringy(&l.ty) && !stringy(&r.ty) {
        return Err(op_missing(&l.ty, &"||", &r.ty));
    }
    let to_text = |t: Typed| -> Result<TExpr, Failure> {
        let ty = t.ty.clone();
        coerce(t, &SqlType::Text, CastContext::Assignment)?
            .ok_or_else(|| op_missing(&ty, &"||", &Some(SqlType::Text)))
    };
    let e = TExpr::Concat(Box::new(to_text(l)?), Box::new(to_text(r)?));
    Ok(typed(e, SqlType::Text))
}

/// The common type of several expressions (`COALESCE`, `IN`), as `select_common_type` picks.
fn common_type(types: &[Ty], what: &str) -> Result<SqlType, Failure> {
    let mut acc: Option<SqlType> = None;
    for t in types.iter().flatten() {
        acc = Some(match acc {
            None => t.clone(),
            Some(a) if a == *t => a,
            // Two VARCHARs stay VARCHAR; other same-base pairs drop their modifiers.
            Some(SqlType::Varchar(_)) if matches!(t, SqlType::Varchar(_)) => SqlType::Varchar(None),
            Some(a) if a.base() == t.base() => a.base(),
            Some(a) => match (a.category(), t.category()) {
                (Category::Numeric, Category::Numeric) => numeric_common(&a, t),
                (Category::String, Category::String) => SqlType::Text,
                (Category::DateTime, Category::DateTime) => SqlType::Timestamp,
                _ => {
                    return Err(Failure::new(format!(
                        "{what} types {} and {} cannot be matched",
                        type_name(&Some(a)),
                        type_name(&Some(t.clone()))
                    )))
                }
            },
        });
    }
    Ok(acc.map(|t| t.base_modifier_free()).unwrap_or(SqlType::Text))
}

fn comparison(l: Typed, op: Cmp, r: Typed) -> Result<TExpr, Failure> {
    let sym = match op {
        Cmp::Eq => "=",
        Cmp::NotEq => "<>",
        Cmp::Lt => "<",
        Cmp::LtEq => "<=",
        Cmp::Gt => ">",
        Cmp::GtEq => ">=",
    };
    let (l, r) = comparable(l, r, sym)?;
    Ok(TExpr::Cmp {
        op,
        l: Box::new(l),
        r: Box::new(r),
    })
}

/// Both sides of a comparison cast to their common type (an unknown literal takes the other
/// side's type; two unknowns compare as text).
fn comparable(l: Typed, r: Typed, sym: &str) -> Result<(TExpr, TExpr), Failure> {
    let (l, r) = resolve_unknown(l, r)?;
    let ty = match (&l.ty, &r.ty) {
        (Some(a), Some(b)) if a.category() == b.category() => {
            common_type(&[l.ty.clone(), r.ty.clone()], "")?
        }
        (None, None) => SqlType::Text,
        _ => return Err(op_missing(&l.ty, &sym, &r.ty)),
    };
    let to = |t: Typed| -> Result<TExpr, Failure> {
        coerce(t, &ty, CastContext::Implicit)?.ok_or_else(|| Failure::new("internal: comparison"))
    };
    Ok((to(l)?, to(r)?))
}

/// `IS [NOT] DISTINCT FROM`: equality where NULL equals NULL, never NULL itself.
fn distinct(l: &Expr, r: &Expr, negated: bool, scope: Scope) -> Result<Typed, Failure> {
    let (l, r) = comparable(compile(l, scope)?, compile(r, scope)?, "=")?;
    let e = TExpr::Distinct {
        l: Box::new(l),
        r: Box::new(r),
        negated,
    };
    Ok(typed(e, SqlType::Bool))
}

/// `IS [NOT] TRUE / FALSE / UNKNOWN`: `want` is the truth value tested (`None`: unknown).
fn is_truth(e: &Expr, want: Option<bool>, negated: bool, scope: Scope) -> Result<Typed, Failure> {
    let word = match want {
        Some(true) => "IS TRUE",
        Some(false) => "IS FALSE",
        None => "IS UNKNOWN",
    };
    let e = Box::new(require_bool(compile(e, scope)?, word)?);
    Ok(typed(TExpr::IsTruth { e, want, negated }, SqlType::Bool))
}

/// `x [NOT] IN (...)` as PostgreSQL's `transformAExprIn` builds it: the items without column
/// references become one list compared at their common type (when there are two or more and
/// a common type exists); every other item becomes its own `x = item`, joined by OR (AND
/// with `<>` for NOT IN). Three-valued logic is the same either way.
fn in_list(expr: &Expr, list: &[Expr], negated: bool, scope: Scope) -> Result<Typed, Failure> {
    let x = compile(expr, scope)?;
    let items = list
        .iter()
        .map(|e| compile(e, scope))
        .collect::<Result<Vec<_>, _>>()?;
    let (consts, vars): (Vec<Typed>, Vec<Typed>) =
        items.into_iter().partition(|t| !has_column(&t.e));
    let mut types: Vec<Ty> = vec![x.ty.clone()];
    types.extend(consts.iter().map(|t| t.ty.clone()));
    let mut parts: Vec<TExpr> = Vec::new();
    let rest = match common_type(&types, "IN") {
        Ok(ty) if consts.len() > 1 => {
            let to = |t: Typed| -> Result<TExpr, Failure> {
                coerce(t, &ty, CastContext::Implicit)?.ok_or_else(|| Failure::new("internal: IN"))
            };
            let e = Box::new(to(x.clone())?);
            let list = consts.into_iter().map(to).collect::<Result<Vec<_>, _>>()?;
            parts.push(TExpr::InList { e, list, negated });
            vars
        }
        _ => consts.into_iter().chain(vars).collect(),
    };
    let op = if negated { Cmp::NotEq } else { Cmp::Eq };
    for item in rest {
        parts.push(comparison(x.clone(), op, item)?);
    }
    let joined = parts
        .into_iter()
        .reduce(|a, b| match negated {
            false => TExpr::Or(Box::new(a), Box::new(b)),
            true => TExpr::And(Box::new(a), Box::new(b)),
        })
        .unwrap_or(TExpr::Const(Value::Null));
    Ok(typed(joined, SqlType::Bool))
}

/// The direct children of a node, in order (one place that knows the tree's shape).
fn children(e: &TExpr) -> Vec<&TExpr> {
    match e {
        TExpr::Const(_) | TExpr::Column(_) => Vec::new(),
        TExpr::Cast { e: x, .. }
        | TExpr::Neg { e: x, .. }
        | TExpr::Not(x)
        | TExpr::IsNull { e: x, .. }
        | TExpr::TextFn { e: x, .. }
        | TExpr::IsTruth { e: x, .. } => vec![x],
        TExpr::Arith { l, r, .. }
        | TExpr::DateArith { l, r, .. }
        | TExpr::Concat(l, r)
        | TExpr::Cmp { l, r, .. }
        | TExpr::And(l, r)
        | TExpr::Or(l, r)
        | TExpr::Distinct { l, r, .. } => vec![l, r],
        TExpr::InList { e: x, list, .. } => std::iter::once(&**x).chain(list).collect(),
        TExpr::Coalesce(list) => list.iter().collect(),
        TExpr::Case { whens, otherwise } => whens
            .iter()
            .flat_map(|(c, r)| [c, r])
            .chain(std::iter::once(&**otherwise))
            .collect(),
    }
}

/// True when the expression reads a column.
fn has_column(e: &TExpr) -> bool {
    matches!(e, TExpr::Column(_)) || children(e).into_iter().any(has_column)
}

fn cast(t: Typed, to: &SqlType) -> Result<Typed, Failure> {
    let from = t.ty.clone();
    match coerce(t, to, CastContext::Explicit)? {
        Some(e) => Ok(typed(e, to.clone())),
        None => Err(Failure::new(format!(
            "cannot cast type {} to {}",
            type_name(&from),
            to
        ))),
    }
}

fn function(f: &ObjectName, args: &[Expr], scope: Scope) -> Result<Typed, Failure> {
    let name = match f.0.as_slice() {
        [part] => part.name(),
        _ => String::new(),
    };
    if !matches!(name.as_str(), "coalesce" | "lower" | "upper" | "length") {
        return Err(Failure::unsupported(format!("function {f}")));
    }
    let args = args
        .iter()
        .map(|e| compile(e, scope))
        .collect::<Result<Vec<_>, _>>()?;
    match (name.as_str(), args.len()) {
        ("coalesce", n) if n >= 1 => {
            let types: Vec<Ty> = args.iter().map(|a| a.ty.clone()).collect();
            let ty = common_type(&types, "COALESCE")?;
            let list = args
                .into_iter()
                .map(|a| {
                    coerce(a, &ty, CastContext::Implicit)
                        .map(|e| e.unwrap_or(TExpr::Const(Value::Null)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(typed(TExpr::Coalesce(list), ty))
        }
        ("lower" | "upper" | "length", 1) => {
            let a = args
                .into_iter()
                .next()
                .ok_or_else(|| Failure::new("internal: args"))?;
            text_fn(&name, a)
        }
        _ => Err(Failure::unsupported(format!("function {f}"))),
    }
}

fn text_fn(name: &str, a: Typed) -> Result<Typed, Failure> {
    if a.ty
        .as_ref()
        .is_some_and(|t| t.category() != Category::String)
    {
        return Err(Failure::new(format!(
            "function {name}({}) does not exist",
            type_name(&a.ty)
        )));
    }
    let e = Box::new(
        coerce(a, &SqlType::Text, CastContext::Implicit)?.unwrap_or(TExpr::Const(Value::Null)),
    );
    let (f, ty) = match name {
        "lower" => (TextFn::Lower, SqlType::Text),
        "upper" => (TextFn::Upper, SqlType::Text),
        _ => (TextFn::Length, SqlType::Int),
    };
    Ok(typed(TExpr::TextFn { f, e }, ty))
}

/// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`; results share one type as in PostgreSQL.
fn case(
    operand: Option<&Expr>,
    conditions: &[CaseWhen],
    else_result: Option<&Expr>,
    scope: Scope,
) -> Result<Typed, Failure> {
    let mut conds = Vec::with_capacity(conditions.len());
    let mut results = Vec::with_capacity(conditions.len() + 1);
    for w in conditions {
        let cond = match operand {
            Some(op) => comparison(compile(op, scope)?, Cmp::Eq, compile(&w.condition, scope)?)?,
            None => require_bool(compile(&w.condition, scope)?, "CASE/WHEN")?,
        };
        conds.push(cond);
        results.push(compile(&w.result, scope)?);
    }
    let otherwise = match else_result {
        Some(e) => compile(e, scope)?,
        None => Typed {
            e: TExpr::Const(Value::Null),
            ty: None,
        },
    };
    // PostgreSQL resolves the ELSE branch's type first.
    let mut types: Vec<Ty> = vec![otherwise.ty.clone()];
    types.extend(results.iter().map(|r| r.ty.clone()));
    results.push(otherwise);
    let ty = common_type(&types, "CASE")?;
    let mut coerced = results
        .into_iter()
        .map(|r| {
            coerce(r, &ty, CastContext::Implicit).map(|e| e.unwrap_or(TExpr::Const(Value::Null)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let otherwise = Box::new(coerced.pop().unwrap_or(TExpr::Const(Value::Null)));
    let whens = conds.into_iter().zip(coerced).collect();
    Ok(typed(TExpr::Case { whens, otherwise }, ty))
}

// ---- constant folding ----

fn is_const(e: &TExpr) -> bool {
    matches!(e, TExpr::Const(_))
}

/// PostgreSQL's `eval_const_expressions`, for its errors: every subtree without a column
/// reference is evaluated now. `CASE`, `COALESCE`, `AND` and `OR` stop where PostgreSQL stops
/// simplifying (a constant-false `WHEN` drops its result unevaluated, and so on).
pub fn fold(e: TExpr) -> Result<TExpr, Failure> {
    match e {
        TExpr::Const(_) | TExpr::Column(_) => Ok(e),
        TExpr::And(l, r) => fold_bool(*l, *r, false),
        TExpr::Or(l, r) => fold_bool(*l, *r, true),
        TExpr::Coalesce(list) => fold_coalesce(list),
        TExpr::Case { whens, otherwise } => fold_case(whens, *otherwise),
        other => {
            let node = fold_children(other)?;
            if children_const(&node) {
                Ok(TExpr::Const(eval(&node, &[])?))
            } else {
                Ok(node)
            }
        }
    }
}

/// `AND` stops at a constant false, `OR` at a constant true (`stop`).
fn fold_bool(l: TExpr, r: TExpr, stop: bool) -> Result<TExpr, Failure> {
    let stop_value = TExpr::Const(Value::Bool(stop));
    let l = fold(l)?;
    if l == stop_value {
        return Ok(l);
    }
    let r = fold(r)?;
    if r == stop_value {
        return Ok(r);
    }
    let node = if stop {
        TExpr::Or(Box::new(l), Box::new(r))
    } else {
        TExpr::And(Box::new(l), Box::new(r))
    };
    if children_const(&node) {
        return Ok(TExpr::Const(eval(&node, &[])?));
    }
    Ok(node)
}

fn fold_coalesce(list: Vec<TExpr>) -> Result<TExpr, Failure> {
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        match fold(item)? {
            TExpr::Const(Value::Null) => {}
            c @ TExpr::Const(_) => {
                // A non-NULL constant ends the list; later arguments are never simplified.
                if out.is_empty() {
                    return Ok(c);
                }
                out.push(c);
                break;
            }
            e => out.push(e),
        }
    }
    Ok(match out.len() {
        0 => TExpr::Const(Value::Null),
        _ => TExpr::Coalesce(out),
    })
}

fn fold_case(whens: Vec<(TExpr, TExpr)>, otherwise: TExpr) -> Result<TExpr, Failure> {
    let mut kept = Vec::with_capacity(whens.len());
    for (cond, result) in whens {
        match fold(cond)? {
            TExpr::Const(Value::Bool(true)) => {
                let result = fold(result)?;
                return Ok(if kept.is_empty() {
                    result
                } else {
                    TExpr::Case {
                        whens: kept,
                        otherwise: Box::new(result),
                    }
                });
            }
            // FALSE or NULL: the alternative is dropped without touching its result.
            TExpr::Const(_) => {}
            c => kept.push((c, fold(result)?)),
        }
    }
    let otherwise = fold(otherwise)?;
    Ok(if kept.is_empty() {
        otherwise
    } else {
        TExpr::Case {
            whens: kept,
            otherwise: Box::new(otherwise),
        }
    })
}

// The children arrive boxed (they live in the tree that way), hence the boxed parameter.
#[allow(clippy::boxed_local)]
fn fold_box(e: Box<TExpr>) -> Result<Box<TExpr>, Failure> {
    fold(*e).map(Box::new)
}

fn fold_children(e: TExpr) -> Result<TExpr, Failure> {
    Ok(match e {
        TExpr::Cast {
            e,
            from,
            to,
            explicit,
        } => TExpr::Cast {
            e: fold_box(e)?,
            from,
            to,
            explicit,
        },
        TExpr::Arith { op, l, r, ty } => TExpr::Arith {
            op,
            l: fold_box(l)?,
            r: fold_box(r)?,
            ty,
        },
        TExpr::DateArith { op, l, r } => TExpr::DateArith {
            op,
            l: fold_box(l)?,
            r: fold_box(r)?,
        },
        TExpr::Neg { e, ty } => TExpr::Neg {
            e: fold_box(e)?,
            ty,
        },
        TExpr::Concat(l, r) => TExpr::Concat(fold_box(l)?, fold_box(r)?),
        TExpr::Cmp { op, l, r } => TExpr::Cmp {
            op,
            l: fold_box(l)?,
            r: fold_box(r)?,
        },
        TExpr::Not(e) => TExpr::Not(fold_box(e)?),
        TExpr::IsNull { e, negated } => TExpr::IsNull {
            e: fold_box(e)?,
            negated,
        },
        TExpr::Distinct { l, r, negated } => TExpr::Distinct {
            l: fold_box(l)?,
            r: fold_box(r)?,
            negated,
        },
        TExpr::IsTruth { e, want, negated } => TExpr::IsTruth {
            e: fold_box(e)?,
            want,
            negated,
        },
        TExpr::InList { e, list, negated } => TExpr::InList {
            e: fold_box(e)?,
            list: list.into_iter().map(fold).collect::<Result<_, _>>()?,
            negated,
        },
        TExpr::TextFn { f, e } => TExpr::TextFn { f, e: fold_box(e)? },
        other => other,
    })
}

/// True when every direct child is a constant (so the node can be evaluated now).
fn children_const(e: &TExpr) -> bool {
    match e {
        TExpr::Const(_) => true,
        TExpr::Column(_) => false,
        _ => children(e).into_iter().all(is_const),
    }
}

// ---- evaluation ----

/// Evaluate against one row (`row` is empty for constant expressions).
pub fn eval(e: &TExpr, row: &[Value]) -> Result<Value, Failure> {
    Ok(match e {
        TExpr::Const(v) => v.clone(),
        TExpr::Column(i) => row.get(*i).cloned().unwrap_or(Value::Null),
        TExpr::Cast {
            e,
            from,
            to,
            explicit,
        } => convert(eval(e, row)?, from, to, *explicit)?,
        TExpr::Arith { op, l, r, ty } => match (eval(l, row)?, eval(r, row)?) {
            (Value::Null, _) | (_, Value::Null) => Value::Null,
            (a, b) => arith(*op, a, b, ty)?,
        },
        TExpr::DateArith { op, l, r } => date_arith(*op, eval(l, row)?, eval(r, row)?)?,
        TExpr::Neg { e, ty } => match eval(e, row)? {
            Value::Int(i) => ty.check_int(-(i as i128))?,
            Value::Real(x) => Value::Real(-x),
            Value::Numeric(n) => Value::Numeric(-n),
            v => v,
        },
        TExpr::Concat(l, r) => match (eval(l, row)?, eval(r, row)?) {
            (Value::Text(a), Value::Text(b)) => Value::Text(a + &b),
            _ => Value::Null,
        },
        TExpr::Cmp { op, l, r } => compare(*op, &eval(l, row)?, &eval(r, row)?),
        TExpr::And(l, r) => and(eval(l, row)?, || eval(r, row))?,
        TExpr::Or(l, r) => or(eval(l, row)?, || eval(r, row))?,
        TExpr::Not(e) => match eval(e, row)? {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null,
        },
        TExpr::IsNull { e, negated } => Value::Bool(eval(e, row)?.is_null() != *negated),
        TExpr::Distinct { l, r, negated } => distinct_from(eval(l, row)?, eval(r, row)?, *negated),
        TExpr::IsTruth { e, want, negated } => {
            let is = match eval(e, row)? {
                Value::Bool(b) => *want == Some(b),
                _ => want.is_none(),
            };
            Value::Bool(is != *negated)
        }
        TExpr::InList { e, list, negated } => in_values(eval(e, row)?, list, *negated, row)?,
        TExpr::Coalesce(list) => {
            for item in list {
                let v = eval(item, row)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Value::Null
        }
        // The C collation changes ASCII letters only.
        TExpr::TextFn { f, e } => match (f, eval(e, row)?) {
            (TextFn::Lower, Value::Text(s)) => Value::Text(s.to_ascii_lowercase()),
            (TextFn::Upper, Value::Text(s)) => Value::Text(s.to_ascii_uppercase()),
            (TextFn::Length, Value::Text(s)) => Value::Int(s.chars().count() as i64),
            _ => Value::Null,
        },
        TExpr::Case { whens, otherwise } => {
            for (cond, result) in whens {
                if eval(cond, row)? == Value::Bool(true) {
                    return eval(result, row);
                }
            }
            eval(otherwise, row)?
        }
    })
}

/// `date ± integer` (a date) and `date - date` (days).
fn date_arith(op: Arith, l: Value, r: Value) -> Result<Value, Failure> {
    Ok(match (l, r) {
        (Value::Date(d), Value::Int(i)) => {
            let days = if op == Arith::Add {
                d as i64 + i
            } else {
                d as i64 - i
            };
            if !date_in_range(days) {
                return Err(Failure::unsupported("dates outside years 1..9999"));
            }
            Value::Date(days as i32)
        }
        (Value::Date(a), Value::Date(b)) => Value::Int(a as i64 - b as i64),
        _ => Value::Null,
    })
}

/// `IS [NOT] DISTINCT FROM`: NULL equals NULL, and the result is never NULL.
fn distinct_from(a: Value, b: Value, negated: bool) -> Value {
    let differ = match (a.is_null(), b.is_null()) {
        (true, true) => false,
        (true, false) | (false, true) => true,
        _ => a.total_cmp(&b).is_ne(),
    };
    Value::Bool(differ != negated)
}

/// Three-valued `AND`: false wins over NULL.
fn and(l: Value, r: impl FnOnce() -> Result<Value, Failure>) -> Result<Value, Failure> {
    if l == Value::Bool(false) {
        return Ok(l);
    }
    Ok(match (l, r()?) {
        (_, Value::Bool(false)) => Value::Bool(false),
        (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
        _ => Value::Null,
    })
}

/// Three-valued `OR`: true wins over NULL.
fn or(l: Value, r: impl FnOnce() -> Result<Value, Failure>) -> Result<Value, Failure> {
    if l == Value::Bool(true) {
        return Ok(l);
    }
    Ok(match (l, r()?) {
        (_, Value::Bool(true)) => Value::Bool(true),
        (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
        _ => Value::Null,
    })
}

fn compare(op: Cmp, a: &Value, b: &Value) -> Value {
    if a.is_null() || b.is_null() {
        return Value::Null;
    }
    let o = a.total_cmp(b);
    Value::Bool(match op {
        Cmp::Eq => o.is_eq(),
        Cmp::NotEq => o.is_ne(),
        Cmp::Lt => o.is_lt(),
        Cmp::LtEq => o.is_le(),
        Cmp::Gt => o.is_gt(),
        Cmp::GtEq => o.is_ge(),
    })
}

/// `x IN (...)`: true on a match, else NULL if anything was NULL, else false.
fn in_values(x: Value, list: &[TExpr], negated: bool, row: &[Value]) -> Result<Value, Failure> {
    if x.is_null() {
        return Ok(Value::Null);
    }
    let mut saw_null = false;
    for item in list {
        match compare(Cmp::Eq, &x, &eval(item, row)?) {
            Value::Bool(true) => return Ok(Value::Bool(!negated)),
            Value::Null => saw_null = true,
            _ => {}
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(negated)
    })
}

fn arith(op: Arith, a: Value, b: Value, ty: &SqlType) -> Result<Value, Failure> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (x as i128, y as i128);
            let v = match op {
                Arith::Add => x + y,
                Arith::Sub => x - y,
                Arith::Mul => x * y,
                Arith::Div | Arith::Mod if y == 0 => return Err(Failure::new("division by zero")),
                // Rust's `/` and `%` truncate toward zero, as C and PostgreSQL do.
                Arith::Div => x / y,
                Arith::Mod => x % y,
            };
            ty.check_int(v)
        }
        (Value::Real(x), Value::Real(y)) => float_arith(op, x, y, ty),
        (Value::Numeric(x), Value::Numeric(y)) => {
            let r = match op {
                Arith::Add => x.checked_add(y),
                Arith::Sub => x.checked_sub(y),
                Arith::Mul => x.checked_mul(y),
                Arith::Div => x.checked_div(y),
                Arith::Mod => x.checked_rem(y),
            };
            r.map(Value::Numeric).map_err(numeric_failure)
        }
        _ => Err(Failure::new("internal: arithmetic on mismatched values")),
    }
}

fn float_arith(op: Arith, x: f64, y: f64, ty: &SqlType) -> Result<Value, Failure> {
    let v = match op {
        Arith::Add => x + y,
        Arith::Sub => x - y,
        Arith::Mul => x * y,
        Arith::Div if y == 0.0 => return Err(Failure::new("division by zero")),
        Arith::Div => x / y,
        Arith::Mod => return Err(Failure::new("internal: float modulo")),
    };
    if v.is_infinite() && x.is_finite() && y.is_finite() {
        return Err(Failure::new("value out of range: overflow"));
    }
    if v == 0.0 && matches!(op, Arith::Mul | Arith::Div) && x != 0.0 && y.is_finite() {
        return Err(Failure::new("value out of range: underflow"));
    }
    if *ty == SqlType::Real {
        return Ok(Value::Real(to_f32(v)?));
    }
    Ok(Value::Real(v))
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse_expr;
    use super::*;

    fn cols() -> Vec<Column> {
        let c = |name: &str, ty: SqlType| Column {
            name: name.into(),
            ty,
            not_null: false,
            default: None,
        };
        vec![
            c("i", SqlType::Int),
            c("s", SqlType::Text),
            c("d", SqlType::Date),
        ]
    }

    fn run(sql: &str) -> Result<Value, Failure> {
        let expr = parse_expr(sql)?;
        let columns = cols();
        let scope = Scope {
            table: "t",
            columns: &columns,
        };
        let t = compile(&expr, scope)?;
        let row = vec![Value::Int(7), Value::Text("Ab".into()), Value::Date(0)];
        eval(&t.e, &row)
    }

    /// Compile, fold as the planner would, then evaluate.
    fn folded(sql: &str) -> String {
        let expr = parse_expr(sql).expect("parses");
        let columns = cols();
        let scope = Scope {
            table: "t",
            columns: &columns,
        };
        let row = vec![Value::Int(7), Value::Text("Ab".into()), Value::Date(0)];
        let result = compile(&expr, scope)
            .and_then(|t| fold(t.e))
            .and_then(|e| eval(&e, &row));
        match result {
            Ok(v) => v.to_text().unwrap_or_else(|| "NULL".into()),
            Err(e) => format!("ERROR: {}", e.message),
        }
    }

    #[test]
    fn folding_follows_the_planner() {
        assert_eq!(folded("CASE WHEN false THEN 1/0 ELSE 1 END"), "1");
        assert_eq!(text("CASE WHEN i > 100 THEN 1/0 ELSE 1 END"), "1");
        assert_eq!(
            folded("CASE WHEN i > 100 THEN 1/0 ELSE 1 END"),
            "ERROR: division by zero"
        );
        assert_eq!(folded("false AND 1/0 = 1"), "false");
        assert_eq!(folded("1/0 = 1 AND false"), "ERROR: division by zero");
        assert_eq!(folded("COALESCE(1, 1/0)"), "1");
        assert_eq!(folded("COALESCE(NULL, i, 1/0)"), "ERROR: division by zero");
        assert_eq!(folded("i + (2 * 3)"), "13");
    }

    #[test]
    fn in_lists_with_columns_compare_item_by_item() {
        assert_eq!(
            text("'x' IN (i, 1)"),
            "ERROR: invalid input syntax for type integer: \"x\""
        );
        assert_eq!(
            text("i IN (s, 1)"),
            "ERROR: operator does not exist: integer = text"
        );
        assert_eq!(text("i IN (1, 7.0)"), "true");
        assert_eq!(text("i NOT IN (i, NULL)"), "false");
    }

    fn text(sql: &str) -> String {
        match run(sql) {
            Ok(v) => v.to_text().unwrap_or_else(|| "NULL".into()),
            Err(e) => format!("ERROR: {}", e.message),
        }
    }

    #[test]
    fn integer_arithmetic_truncates_and_checks_overflow() {
        assert_eq!(text("7 / 2"), "3");
        assert_eq!(text("-7 / 2"), "-3");
        assert_eq!(text("-7 % 3"), "-1");
        assert_eq!(text("i / 0"), "ERROR: division by zero");
        assert_eq!(text("2147483647 + i"), "ERROR: integer out of range");
        assert_eq!(text("-2147483648"), "-2147483648");
        assert_eq!(text("i * 1.5"), "10.5");
        assert_eq!(text("1.0 / 3"), "0.33333333333333333333");
        assert_eq!(text("i + '3'"), "10");
        assert_eq!(
            text("i + 'x'"),
            "ERROR: invalid input syntax for type integer: \"x\""
        );
        assert_eq!(
            text("'a' + 'b'"),
            "ERROR: operator is not unique: unknown + unknown"
        );
        assert_eq!(
            text("s + 1"),
            "ERROR: operator does not exist: text + integer"
        );
        assert_eq!(
            text("1.5::float8 % 2"),
            "ERROR: operator does not exist: double precision % integer"
        );
    }

    #[test]
    fn three_valued_logic() {
        assert_eq!(text("NULL AND false"), "false");
        assert_eq!(text("NULL AND true"), "NULL");
        assert_eq!(text("NULL OR true"), "true");
        assert_eq!(text("NOT (NULL = 1)"), "NULL");
        assert_eq!(text("i IN (1, NULL)"), "NULL");
        assert_eq!(text("i IN (7, NULL)"), "true");
        assert_eq!(text("i NOT IN (1, 2)"), "true");
        assert_eq!(text("NULL IS NULL"), "true");
        assert_eq!(text("i IS NOT NULL"), "true");
        assert_eq!(text("i BETWEEN 1 AND 7"), "true");
        assert_eq!(
            text("i AND true"),
            "ERROR: argument of AND must be type boolean, not type integer"
        );
    }

    #[test]
    fn strings_functions_and_casts() {
        assert_eq!(text("s || i"), "Ab7");
        assert_eq!(text("'x' || true"), "xtrue");
        assert_eq!(text("s || NULL"), "NULL");
        assert_eq!(
            text("i || i"),
            "ERROR: operator does not exist: integer || integer"
        );
        assert_eq!(text("lower(s) || upper(s)"), "abAB");
        assert_eq!(
            text("lower(i)"),
            "ERROR: function lower(integer) does not exist"
        );
        assert_eq!(text("coalesce(NULL, i, 3)"), "7");
        assert_eq!(
            text("coalesce(s, i)"),
            "ERROR: COALESCE types text and integer cannot be matched"
        );
        assert_eq!(text("CAST('12' AS int) + 1"), "13");
        assert_eq!(text("'2024-01-31'::date + 1"), "2024-02-01");
        assert_eq!(text("d - '1969-12-31'::date"), "1");
        assert_eq!(text("'abc'::varchar(2)"), "ab");
        assert_eq!(text("d::int"), "ERROR: cannot cast type date to integer");
        assert_eq!(text("1.5::float8 = 1.5"), "true");
        assert_eq!(
            text("s = 1"),
            "ERROR: operator does not exist: text = integer"
        );
        assert_eq!(text("nope"), "ERROR: column \"nope\" does not exist");
        assert_eq!(text("now()"), "ERROR: not supported: function now");
    }
}
