//! Values and expressions for the PL/pgSQL interpreter: constants, variables, the string
//! functions migrations build DDL with (`format`, `quote_ident`, `||`, ...), and queries over
//! the system catalogs (`information_schema.*`, `pg_catalog.*`) answered from the replayed
//! catalog. Anything else (table data, the clock, sequences) is [`Val::Unknown`].
use pgvet_syntax::protobuf::node::Node as N;
use pgvet_syntax::protobuf::{self, a_const::Val as C, Node};
use pgvet_syntax::quote_ident;

use crate::model::*;
use crate::replay::datetime::{series, Interval, Stamp};
use crate::replay::plpgsql::PLACEHOLDER;
use crate::replay::Replayer;

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Text(String),
    Array(Vec<Val>),
    /// A row: (column name, value).
    Record(Vec<(String, Val)>),
    Unknown,
    /// The name (or OID) of a relation an unmodelled statement may have created: one of the
    /// names the pattern stands for in that schema, and none that exists there now. Only `=`,
    /// `<>` and `IN` with a column holding it are evaluated; anything else is unknown.
    Pattern(QName),
}

impl Val {
    pub fn text(&self) -> Option<String> {
        match self {
            Val::Text(s) => Some(s.clone()),
            Val::Int(i) => Some(i.to_string()),
            Val::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
            _ => None,
        }
    }

    fn int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            Val::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// SQL's three-valued truth: None for NULL or unknown.
    pub fn truth(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Text(s) => match s.to_lowercase().as_str() {
                "t" | "true" | "yes" | "on" | "1" => Some(true),
                "f" | "false" | "no" | "off" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The first failure that makes a result unknowable, or an error the server would raise.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// pgvet cannot compute this (the reason).
    Unknown(String),
    /// PostgreSQL raises this error (SQLSTATE, message).
    Raise(String, String),
}

pub type R<T> = Result<T, Stop>;

/// One FROM item's current row: (alias, columns).
type Binding = (String, Vec<(String, Val)>);
/// The rows of a FROM clause being built.
type Product = Vec<Vec<Binding>>;

fn unknown<T>(why: impl Into<String>) -> R<T> {
    Err(Stop::Unknown(why.into()))
}

/// Names visible to an expression: PL/pgSQL variables and, inside a query, the current row.
pub trait Scope {
    fn lookup(&self, names: &[String]) -> Option<Val>;
    fn param(&self, n: usize) -> Option<Val>;
    /// Symbolic evaluation (see [`Symbolic`]).
    fn symbolic(&self) -> bool {
        false
    }
}

/// Evaluates text that pgvet cannot fully compute into a name pattern: every unknown value
/// becomes [`PLACEHOLDER`] where text is built (`||`, `format`, `concat`, `quote_ident`, ...),
/// and a decision on an unknown value (CASE, a comparison, COALESCE, a function of it) is
/// unknown as a whole. `'events_' || to_char(d, 'YYYY_MM')` gives `events_pgvet_unknown`.
pub struct Symbolic<'a>(pub &'a dyn Scope);

impl Scope for Symbolic<'_> {
    fn lookup(&self, names: &[String]) -> Option<Val> {
        self.0.lookup(names)
    }
    fn param(&self, n: usize) -> Option<Val> {
        self.0.param(n)
    }
    fn symbolic(&self) -> bool {
        true
    }
}

/// No variables, no parameters: a statement at the top level of a migration.
pub(crate) struct NoScope;

impl Scope for NoScope {
    fn lookup(&self, _: &[String]) -> Option<Val> {
        None
    }
    fn param(&self, _: usize) -> Option<Val> {
        None
    }
}

/// The scope of a symbolic evaluation, evaluated exactly (for a decision).
struct Exact<'a>(&'a dyn Scope);

impl Scope for Exact<'_> {
    fn lookup(&self, names: &[String]) -> Option<Val> {
        self.0.lookup(names)
    }
    fn param(&self, n: usize) -> Option<Val> {
        self.0.param(n)
    }
}

struct RowScope<'a> {
    outer: &'a dyn Scope,
    /// (alias, columns)
    row: &'a [(String, Vec<(String, Val)>)],
}

impl Scope for RowScope<'_> {
    fn lookup(&self, names: &[String]) -> Option<Val> {
        match names {
            [col] => {
                for (_, cols) in self.row {
                    if let Some((_, v)) = cols.iter().find(|(c, _)| c == col) {
                        return Some(v.clone());
                    }
                }
            }
            [alias, col] => {
                if let Some((_, cols)) = self.row.iter().find(|(a, _)| a == alias) {
                    return Some(cols.iter().find(|(c, _)| c == col).map(|(_, v)| v.clone()).unwrap_or(Val::Unknown));
                }
            }
            _ => {}
        }
        self.outer.lookup(names)
    }
    fn param(&self, n: usize) -> Option<Val> {
        self.outer.param(n)
    }
    fn symbolic(&self) -> bool {
        self.outer.symbolic()
    }
}

fn field_names(fields: &[Node]) -> Vec<String> {
    fields
        .iter()
        .filter_map(|f| match &f.node {
            Some(N::String(s)) => Some(s.sval.clone()),
            Some(N::AStar(_)) => Some("*".into()),
            _ => None,
        })
        .collect()
}

/// Stand-ins for OIDs: `oid:rel:schema.name` and the like, equal exactly when the objects are.
fn oid(kind: &str, q: &QName) -> Val {
    Val::Text(format!("oid:{kind}:{}.{}", q.schema, q.name))
}

fn ns_oid(schema: &str) -> Val {
    Val::Text(format!("oid:ns:{schema}"))
}

impl Replayer {
    /// Evaluates an expression node.
    pub(crate) fn eval(&self, n: &Node, sc: &dyn Scope) -> R<Val> {
        if !sc.symbolic() {
            return self.eval_node(n, sc);
        }
        let builds_text = match &n.node {
            Some(N::AConst(_) | N::ColumnRef(_) | N::ParamRef(_) | N::TypeCast(_) | N::AArrayExpr(_)) => true,
            Some(N::AExpr(e)) => {
                e.kind == protobuf::AExprKind::AexprOp as i32
                    && e.name.iter().any(|n| matches!(&n.node, Some(N::String(s)) if s.sval == "||"))
            }
            Some(N::FuncCall(f)) => matches!(
                field_names(&f.funcname).last().map(|s| s.to_lowercase()).as_deref(),
                Some("format" | "concat" | "concat_ws" | "quote_ident" | "quote_literal" | "quote_nullable" | "lower")
            ),
            _ => false,
        };
        let r = if builds_text { self.eval_node(n, sc) } else { self.eval_node(n, &Exact(sc)) };
        match r {
            Ok(Val::Unknown) | Err(Stop::Unknown(_)) => Ok(Val::Text(PLACEHOLDER.into())),
            r => r,
        }
    }

    fn eval_node(&self, n: &Node, sc: &dyn Scope) -> R<Val> {
        let Some(node) = &n.node else { return Ok(Val::Null) };
        match node {
            N::AConst(c) => Ok(match &c.val {
                _ if c.isnull => Val::Null,
                Some(C::Ival(i)) => Val::Int(i.ival as i64),
                Some(C::Fval(f)) => f.fval.parse::<i64>().map(Val::Int).unwrap_or(Val::Text(f.fval.clone())),
                Some(C::Sval(s)) => Val::Text(s.sval.clone()),
                Some(C::Boolval(b)) => Val::Bool(b.boolval),
                Some(C::Bsval(b)) => Val::Text(b.bsval.clone()),
                None => Val::Null,
            }),
            N::ColumnRef(c) => {
                let names = field_names(&c.fields);
                match sc.lookup(&names) {
                    Some(Val::Unknown | Val::Pattern(_)) | None => unknown(format!("the value of {}", names.join("."))),
                    Some(v) => Ok(v),
                }
            }
            N::ParamRef(p) => match sc.param(p.number as usize) {
                Some(Val::Unknown) | None => unknown(format!("${}", p.number)),
                Some(v) => Ok(v),
            },
            N::TypeCast(tc) => {
                let v = self.eval(tc.arg.as_deref().unwrap_or(&Node::default()), sc)?;
                let ty = tc.type_name.as_ref().map(|t| crate::types::type_ref(t).name.to_lowercase()).unwrap_or_default();
                self.cast(v, &ty)
            }
            N::BoolExpr(b) => {
                let args: Vec<&Node> = b.args.iter().collect();
                match protobuf::BoolExprType::try_from(b.boolop) {
                    Ok(protobuf::BoolExprType::NotExpr) => Ok(match self.eval(args[0], sc)?.truth() {
                        Some(t) => Val::Bool(!t),
                        None => Val::Null,
                    }),
                    Ok(op) => {
                        let is_and = op == protobuf::BoolExprType::AndExpr;
                        let mut saw_null = false;
                        for a in args {
                            match self.eval(a, sc)?.truth() {
                                Some(t) if t != is_and => return Ok(Val::Bool(t)),
                                Some(_) => {}
                                None => saw_null = true,
                            }
                        }
                        Ok(if saw_null { Val::Null } else { Val::Bool(is_and) })
                    }
                    Err(_) => unknown("a boolean operator"),
                }
            }
            N::NullTest(t) => {
                let v = self.eval(t.arg.as_deref().unwrap_or(&Node::default()), sc)?;
                let is_null = v == Val::Null;
                Ok(Val::Bool(if t.nulltesttype == protobuf::NullTestType::IsNull as i32 { is_null } else { !is_null }))
            }
            N::AExpr(e) => self.eval_aexpr(e, sc),
            N::SubLink(s) => self.eval_sublink(s, sc),
            N::FuncCall(f) => self.eval_func(f, sc),
            N::CoalesceExpr(c) => {
                for a in &c.args {
                    let v = self.eval(a, sc)?;
                    if v != Val::Null {
                        return Ok(v);
                    }
                }
                Ok(Val::Null)
            }
            N::AArrayExpr(a) => Ok(Val::Array(a.elements.iter().map(|e| self.eval(e, sc)).collect::<R<_>>()?)),
            N::CaseExpr(c) => {
                let subject = c.arg.as_deref().map(|a| self.eval(a, sc)).transpose()?;
                for w in &c.args {
                    let Some(N::CaseWhen(w)) = &w.node else { continue };
                    let cond = self.eval(w.expr.as_deref().unwrap_or(&Node::default()), sc)?;
                    let hit = match &subject {
                        Some(s) => equal(s, &cond),
                        None => cond.truth(),
                    };
                    match hit {
                        Some(true) => return self.eval(w.result.as_deref().unwrap_or(&Node::default()), sc),
                        Some(false) => {}
                        None if subject.is_some() => {}
                        None => {}
                    }
                }
                match c.defresult.as_deref() {
                    Some(d) => self.eval(d, sc),
                    None => Ok(Val::Null),
                }
            }
            N::SqlvalueFunction(_) => unknown("the current time or user"),
            _ => unknown("an expression pgvet does not evaluate"),
        }
    }

    fn cast(&self, v: Val, ty: &str) -> R<Val> {
        if v == Val::Null {
            return Ok(Val::Null);
        }
        let name_of = |v: &Val| v.text().ok_or_else(|| Stop::Unknown("a name".into()));
        match ty {
            "regclass" => {
                let s = name_of(&v)?;
                if s.starts_with("oid:") {
                    return Ok(Val::Text(s));
                }
                match self.regclass(&s) {
                    Some(q) => Ok(oid("rel", &q)),
                    None => self.uncertain_name(&s).map_or_else(
                        || Err(Stop::Raise("42P01".into(), format!("relation \"{s}\" does not exist"))),
                        |_| unknown(format!("whether {s} exists")),
                    ),
                }
            }
            "regtype" => match self.regtype(&name_of(&v)?) {
                Some(q) => Ok(oid("type", &q)),
                None => unknown("a type pgvet may not know"),
            },
            "regnamespace" => {
                let s = name_of(&v)?;
                if self.catalog.schemas.contains(&s) {
                    Ok(ns_oid(&s))
                } else {
                    Err(Stop::Raise("3F000".into(), format!("schema \"{s}\" does not exist")))
                }
            }
            "text" | "varchar" | "name" | "bpchar" | "char" | "character varying" | "character" => Ok(v.text().map(Val::Text).unwrap_or(v)),
            "int2" | "int4" | "int8" | "integer" | "bigint" | "smallint" | "numeric" => Ok(v.int().map(Val::Int).unwrap_or(Val::Unknown)),
            "bool" | "boolean" => Ok(v.truth().map(Val::Bool).unwrap_or(Val::Unknown)),
            "date" => Ok(v.text().and_then(|s| Stamp::parse(&s)).map(|d| Val::Text(d.to_date().text())).unwrap_or(Val::Unknown)),
            "timestamp" | "timestamptz" => {
                Ok(v.text().and_then(|s| Stamp::parse(&s)).map(|d| Val::Text(Stamp { time: true, ..d }.text())).unwrap_or(Val::Unknown))
            }
            "interval" => Ok(v.text().and_then(|s| Interval::parse(&s)).map(|i| Val::Text(i.text())).unwrap_or(Val::Unknown)),
            _ => Ok(v),
        }
    }

    /// Whether a relation an unmodelled statement may have created (`p`) can be the one `v`
    /// names (a name, or an OID stand-in).
    fn pattern_may_equal(&self, p: &QName, v: &Val) -> bool {
        let Some(text) = v.text() else { return !matches!(v, Val::Null) };
        let q = match text.strip_prefix("oid:rel:").and_then(|r| r.split_once('.')) {
            Some((s, n)) => QName::new(s, n),
            None if text.starts_with("oid:") => return false,
            None => QName::new(p.schema.as_str(), text.as_str()),
        };
        q.schema == p.schema && crate::replay::uncertain::name_matches(&p.name, &q.name) && !self.catalog.relation_exists(&q)
    }

    fn uncertain_name(&self, s: &str) -> Option<usize> {
        let (schema, name) = split_name(s);
        self.catalog.uncertain_relation_in(&self.search_path, &schema, &name)
    }

    /// `'name'::regclass`: a relation along the search path.
    fn regclass(&self, s: &str) -> Option<QName> {
        let (schema, name) = split_name(s);
        self.resolve(&schema, &name, |q| self.catalog.relation_exists(q))
    }

    fn regtype(&self, s: &str) -> Option<QName> {
        let (schema, name) = split_name(s);
        self.resolve(&schema, &name, |q| self.catalog.enums.contains_key(q) || self.catalog.domains.contains_key(q))
    }

    fn eval_aexpr(&self, e: &protobuf::AExpr, sc: &dyn Scope) -> R<Val> {
        let op = e
            .name
            .iter()
            .filter_map(|n| match &n.node {
                Some(N::String(s)) => Some(s.sval.as_str()),
                _ => None,
            })
            .next_back()
            .unwrap_or("");
        let l = || self.eval(e.lexpr.as_deref().unwrap_or(&Node::default()), sc);
        let r = || self.eval(e.rexpr.as_deref().unwrap_or(&Node::default()), sc);
        use protobuf::AExprKind as K;
        // A name pattern compared with a value: false when no name it stands for is that value.
        if matches!(K::try_from(e.kind), Ok(K::AexprOp | K::AexprIn)) && matches!(op, "=" | "<>" | "!=") {
            let pattern_of = |n: Option<&Node>| -> Option<QName> {
                let mut n = n?;
                while let Some(N::TypeCast(tc)) = &n.node {
                    n = tc.arg.as_deref()?;
                }
                let Some(N::ColumnRef(c)) = &n.node else { return None };
                match sc.lookup(&field_names(&c.fields)) {
                    Some(Val::Pattern(q)) => Some(q),
                    _ => None,
                }
            };
            let (pl, pr) = (pattern_of(e.lexpr.as_deref()), pattern_of(e.rexpr.as_deref()));
            if let Some(p) = pl.or(pr) {
                let other: Vec<&Node> = match (e.kind == K::AexprIn as i32, e.rexpr.as_deref().and_then(|n| n.node.as_ref())) {
                    (true, Some(N::List(l))) => l.items.iter().collect(),
                    (true, _) => return unknown("IN"),
                    (false, _) if pattern_of(e.lexpr.as_deref()).is_some() => e.rexpr.as_deref().into_iter().collect(),
                    (false, _) => e.lexpr.as_deref().into_iter().collect(),
                };
                for o in other {
                    if self.pattern_may_equal(&p, &self.eval(o, sc)?) {
                        return unknown("whether an object an earlier unmodelled statement may have created is this one");
                    }
                }
                return Ok(Val::Bool(op != "="));
            }
        }
        match K::try_from(e.kind) {
            Ok(K::AexprOp) => {
                let (a, b) = (l()?, r()?);
                if a == Val::Unknown || b == Val::Unknown {
                    return unknown("an operand");
                }
                if op != "||" && (a == Val::Null || b == Val::Null) {
                    return Ok(Val::Null);
                }
                Ok(match op {
                    "=" => equal(&a, &b).map(Val::Bool).unwrap_or(Val::Null),
                    "<>" | "!=" => equal(&a, &b).map(|x| Val::Bool(!x)).unwrap_or(Val::Null),
                    "<" | ">" | "<=" | ">=" => {
                        let ord = match (a.int(), b.int()) {
                            (Some(x), Some(y)) => x.cmp(&y),
                            _ => a.text().cmp(&b.text()),
                        };
                        Val::Bool(match op {
                            "<" => ord.is_lt(),
                            ">" => ord.is_gt(),
                            "<=" => ord.is_le(),
                            _ => ord.is_ge(),
                        })
                    }
                    "||" => match (a, b) {
                        (Val::Null, _) | (_, Val::Null) => Val::Null,
                        (Val::Array(mut x), Val::Array(y)) => {
                            x.extend(y);
                            Val::Array(x)
                        }
                        (a, b) => Val::Text(a.text().unwrap_or_default() + &b.text().unwrap_or_default()),
                    },
                    "+" | "-" | "*" if datetime_arith(op, &a, &b).is_some() => datetime_arith(op, &a, &b).unwrap_or(Val::Unknown),
                    "+" | "-" | "*" | "/" | "%" => match (a.int(), b.int()) {
                        (Some(x), Some(y)) => match op {
                            "+" => Val::Int(x.wrapping_add(y)),
                            "-" => Val::Int(x.wrapping_sub(y)),
                            "*" => Val::Int(x.wrapping_mul(y)),
                            _ if y == 0 => return Err(Stop::Raise("22012".into(), "division by zero".into())),
                            "/" => Val::Int(x / y),
                            _ => Val::Int(x % y),
                        },
                        _ => return unknown("arithmetic on non-integers"),
                    },
                    _ => return unknown(format!("operator {op}")),
                })
            }
            Ok(K::AexprIn) => {
                let a = l()?;
                let Some(N::List(list)) = e.rexpr.as_deref().and_then(|n| n.node.as_ref()) else { return unknown("IN") };
                let mut saw_null = a == Val::Null;
                for item in &list.items {
                    match equal(&a, &self.eval(item, sc)?) {
                        Some(true) => return Ok(Val::Bool(op == "=")),
                        Some(false) => {}
                        None => saw_null = true,
                    }
                }
                Ok(if saw_null { Val::Null } else { Val::Bool(op != "=") })
            }
            Ok(K::AexprOpAny) => {
                let (a, b) = (l()?, r()?);
                let Val::Array(items) = b else { return unknown("ANY over a non-array") };
                Ok(Val::Bool(items.iter().any(|i| equal(&a, i) == Some(true))))
            }
            Ok(K::AexprLike | K::AexprIlike) => {
                let (a, b) = (l()?, r()?);
                let (Some(s), Some(p)) = (a.text(), b.text()) else { return Ok(Val::Null) };
                let ci = e.kind == K::AexprIlike as i32;
                let hit = like(&if ci { s.to_lowercase() } else { s }, &if ci { p.to_lowercase() } else { p });
                Ok(Val::Bool(if op.starts_with("!~") { !hit } else { hit }))
            }
            Ok(K::AexprDistinct | K::AexprNotDistinct) => {
                let (a, b) = (l()?, r()?);
                let same = a == b;
                Ok(Val::Bool(if e.kind == K::AexprDistinct as i32 { !same } else { same }))
            }
            _ => unknown(format!("operator {op}")),
        }
    }

    fn eval_func(&self, f: &protobuf::FuncCall, sc: &dyn Scope) -> R<Val> {
        let names = field_names(&f.funcname);
        let name = names.last().map(|s| s.to_lowercase()).unwrap_or_default();
        if names.len() == 2 && names[0] != "pg_catalog" {
            return unknown(format!("function {}", names.join(".")));
        }
        let args: Vec<Val> = f.args.iter().map(|a| self.eval(a, sc)).collect::<R<_>>()?;
        let text = |i: usize| args.get(i).and_then(|v| v.text());
        Ok(match name.as_str() {
            "format" => {
                let Some(fmt) = text(0) else { return Ok(Val::Null) };
                Val::Text(format_sql(&fmt, &args[1..])?)
            }
            "quote_ident" => text(0).map(|s| Val::Text(quote_ident(&s))).unwrap_or(Val::Null),
            "quote_literal" => text(0).map(|s| Val::Text(quote_literal(&s))).unwrap_or(Val::Null),
            "quote_nullable" => Val::Text(text(0).map(|s| quote_literal(&s)).unwrap_or_else(|| "NULL".into())),
            "concat" => Val::Text(args.iter().filter_map(|a| a.text()).collect()),
            "concat_ws" => {
                let sep = text(0).unwrap_or_default();
                Val::Text(args[1..].iter().filter_map(|a| a.text()).collect::<Vec<_>>().join(&sep))
            }
            "lower" => text(0).map(|s| Val::Text(s.to_lowercase())).unwrap_or(Val::Null),
            "upper" => text(0).map(|s| Val::Text(s.to_uppercase())).unwrap_or(Val::Null),
            "replace" => match (text(0), text(1), text(2)) {
                (Some(s), Some(a), Some(b)) => Val::Text(s.replace(&a, &b)),
                _ => Val::Null,
            },
            "length" | "char_length" => text(0).map(|s| Val::Int(s.chars().count() as i64)).unwrap_or(Val::Null),
            "lpad" => match (text(0), args.get(1).and_then(|v| v.int()), text(2).or(Some(" ".into()))) {
                (Some(s), Some(n), Some(fill)) if !fill.is_empty() => {
                    let n = n.max(0) as usize;
                    let len = s.chars().count();
                    if len >= n {
                        Val::Text(s.chars().take(n).collect())
                    } else {
                        Val::Text(fill.chars().cycle().take(n - len).chain(s.chars()).collect())
                    }
                }
                _ => Val::Null,
            },
            "to_regclass" => {
                let Some(s) = text(0) else { return Ok(Val::Null) };
                match self.regclass(&s) {
                    Some(q) => oid("rel", &q),
                    None if self.uncertain_name(&s).is_some() => return unknown(format!("whether {s} exists")),
                    None => Val::Null,
                }
            }
            "to_regtype" => text(0).and_then(|s| self.regtype(&s)).map(|q| oid("type", &q)).map(Ok).unwrap_or_else(|| unknown("a type"))?,
            "to_regnamespace" => text(0).filter(|s| self.catalog.schemas.contains(s)).map(|s| ns_oid(&s)).unwrap_or(Val::Null),
            "current_schema" => Val::Text(self.creation_schema()),
            "to_char" => match (text(0).and_then(|s| Stamp::parse(&s)), text(1)) {
                (Some(d), Some(f)) => match d.format(&f) {
                    Some(s) => Val::Text(s),
                    None => return unknown(format!("to_char with the format {f}")),
                },
                _ => return unknown("to_char of a value that is not a date"),
            },
            "make_date" => match (args.first().and_then(|v| v.int()), args.get(1).and_then(|v| v.int()), args.get(2).and_then(|v| v.int()))
            {
                (Some(y), Some(m), Some(d)) if (1..=12).contains(&m) && (1..=31).contains(&d) && y > 0 => {
                    Val::Text(format!("{y:04}-{m:02}-{d:02}"))
                }
                _ => return unknown("make_date"),
            },
            "array_length" | "cardinality" => match args.first() {
                Some(Val::Array(a)) if a.is_empty() => Val::Null,
                Some(Val::Array(a)) => Val::Int(a.len() as i64),
                _ => return unknown("array_length"),
            },
            "string_to_array" => match (text(0), text(1)) {
                (Some(s), Some(d)) => Val::Array(s.split(d.as_str()).map(|p| Val::Text(p.to_string())).collect()),
                _ => Val::Null,
            },
            _ => return unknown(format!("function {name}()")),
        })
    }

    fn eval_sublink(&self, s: &protobuf::SubLink, sc: &dyn Scope) -> R<Val> {
        let Some(N::SelectStmt(sel)) = s.subselect.as_deref().and_then(|n| n.node.as_ref()) else { return unknown("a subquery") };
        let rows = self.query(sel, sc)?;
        use protobuf::SubLinkType as T;
        match T::try_from(s.sub_link_type) {
            Ok(T::ExistsSublink) => Ok(Val::Bool(!rows.is_empty())),
            Ok(T::ExprSublink) => Ok(rows.into_iter().next().and_then(|r| r.into_iter().next()).map(|(_, v)| v).unwrap_or(Val::Null)),
            Ok(T::AnySublink) => {
                let a = self.eval(s.testexpr.as_deref().unwrap_or(&Node::default()), sc)?;
                Ok(Val::Bool(rows.iter().any(|r| r.first().is_some_and(|(_, v)| equal(&a, v) == Some(true)))))
            }
            _ => unknown("a subquery"),
        }
    }

    /// Whether a WHERE condition surely drops the row (false or NULL), though parts of the row
    /// are unknown.
    fn rules_out(&self, cond: &Node, sc: &dyn Scope) -> bool {
        if let Some(N::BoolExpr(b)) = &cond.node {
            match protobuf::BoolExprType::try_from(b.boolop) {
                Ok(protobuf::BoolExprType::AndExpr) => return b.args.iter().any(|a| self.rules_out(a, sc)),
                Ok(protobuf::BoolExprType::OrExpr) => return b.args.iter().all(|a| self.rules_out(a, sc)),
                _ => {}
            }
        }
        matches!(self.eval(cond, sc), Ok(v) if v.truth() != Some(true) && v != Val::Unknown)
    }

    /// Runs a SELECT over the system catalogs: its rows as (output name, value).
    pub(crate) fn query(&self, sel: &protobuf::SelectStmt, sc: &dyn Scope) -> R<Vec<Vec<(String, Val)>>> {
        // `SELECT generate_series(...)` without FROM: a set-returning function in the target
        // list gives one row per value.
        if let ([t], true) = (sel.target_list.as_slice(), sel.from_clause.is_empty()) {
            if let Some(N::ResTarget(rt)) = &t.node {
                if let Some(N::FuncCall(f)) = rt.val.as_deref().and_then(|v| v.node.as_ref()) {
                    if field_names(&f.funcname).last().map(String::as_str) == Some("generate_series") {
                        let args: Vec<Val> = f.args.iter().map(|a| self.eval(a, sc)).collect::<R<_>>()?;
                        let name = if rt.name.is_empty() { "generate_series".to_string() } else { rt.name.clone() };
                        let values = match args.as_slice() {
                            [a, b, step] if stamp_series(a, b, step).is_some() => stamp_series(a, b, step).unwrap_or_default(),
                            [a, b, rest @ ..] => match (a.int(), b.int(), rest.first().map(|s| s.int())) {
                                (Some(a), Some(b), None) if b - a <= 10_000 => (a..=b).map(Val::Int).collect(),
                                (Some(a), Some(b), Some(Some(s))) if s > 0 && (b - a) / s <= 10_000 => {
                                    (a..=b).step_by(s as usize).map(Val::Int).collect()
                                }
                                _ => return unknown("generate_series bounds"),
                            },
                            _ => return unknown("generate_series arguments"),
                        };
                        return Ok(values.into_iter().map(|v| vec![(name.clone(), v)]).collect());
                    }
                }
            }
        }
        if !sel.values_lists.is_empty() {
            return sel
                .values_lists
                .iter()
                .map(|l| match &l.node {
                    Some(N::List(l)) => {
                        l.items.iter().enumerate().map(|(i, e)| Ok((format!("column{}", i + 1), self.eval(e, sc)?))).collect()
                    }
                    _ => unknown("VALUES"),
                })
                .collect();
        }
        if sel.op != protobuf::SetOperation::SetopNone as i32 {
            let (Some(l), Some(r)) = (&sel.larg, &sel.rarg) else { return unknown("a set operation") };
            let mut rows = self.query(l, sc)?;
            rows.extend(self.query(r, sc)?);
            return Ok(rows);
        }
        // FROM: a cross product of the items, filtered by WHERE and join conditions.
        let mut product: Product = vec![vec![]];
        let mut conds: Vec<&Node> = Vec::new();
        for item in &sel.from_clause {
            self.add_from_item(item, &mut product, &mut conds, sc)?;
        }
        if let Some(w) = sel.where_clause.as_deref() {
            conds.push(w);
        }
        let mut rows = Vec::new();
        for row in &product {
            let rs = RowScope { outer: sc, row };
            if row.iter().any(|(_, cols)| cols.iter().any(|(c, _)| c == MAYBE)) {
                // A row about an object an unmodelled statement may have changed: the answer is
                // exact only when the conditions rule it out.
                if conds.iter().any(|c| self.rules_out(c, &rs)) {
                    continue;
                }
                return unknown("a catalog row about an object an earlier unmodelled statement may have changed");
            }
            let mut keep = true;
            for c in &conds {
                if self.eval(c, &rs)?.truth() != Some(true) {
                    keep = false;
                    break;
                }
            }
            if keep {
                rows.push(row);
            }
        }
        // The target list; count(*) folds all rows into one.
        let mut out = Vec::new();
        let targets: Vec<&protobuf::ResTarget> = sel
            .target_list
            .iter()
            .filter_map(|t| match &t.node {
                Some(N::ResTarget(r)) => Some(r.as_ref()),
                _ => None,
            })
            .collect();
        let is_count = |r: &protobuf::ResTarget| matches!(r.val.as_deref().and_then(|v| v.node.as_ref()), Some(N::FuncCall(f)) if field_names(&f.funcname).last().map(String::as_str) == Some("count"));
        if targets.first().is_some_and(|t| is_count(t)) {
            return Ok(vec![vec![("count".into(), Val::Int(rows.len() as i64))]]);
        }
        for row in rows {
            let rs = RowScope { outer: sc, row };
            let mut cols = Vec::new();
            for t in &targets {
                let v = t.val.as_deref().unwrap_or(&Node::default()).clone();
                if let Some(N::ColumnRef(c)) = &v.node {
                    let names = field_names(&c.fields);
                    if names.last().map(String::as_str) == Some("*") {
                        for (_, rc) in row {
                            cols.extend(rc.iter().cloned());
                        }
                        continue;
                    }
                    let name = if t.name.is_empty() { names.last().cloned().unwrap_or_default() } else { t.name.clone() };
                    cols.push((name, self.eval(&v, &rs)?));
                    continue;
                }
                let name = if t.name.is_empty() { "?column?".into() } else { t.name.clone() };
                // A value pgvet cannot compute (`pg_get_expr(...)`) leaves the row known.
                let value = match self.eval(&v, &rs) {
                    Err(Stop::Unknown(_)) => Val::Unknown,
                    other => other?,
                };
                cols.push((name, value));
            }
            out.push(cols);
        }
        if let Some(l) = sel.limit_count.as_deref() {
            if let Some(n) = self.eval(l, sc)?.int() {
                out.truncate(n.max(0) as usize);
            }
        }
        Ok(out)
    }

    fn add_from_item<'n>(&self, item: &'n Node, product: &mut Product, conds: &mut Vec<&'n Node>, sc: &dyn Scope) -> R<()> {
        match &item.node {
            Some(N::RangeVar(rv)) => {
                let rows = self.system_rows(rv)?;
                let alias = rv.alias.as_ref().map(|a| a.aliasname.clone()).unwrap_or_else(|| rv.relname.clone());
                // Decided before the product is built: a join of large catalogs (pg_class with
                // itself) would take gigabytes only to be given up.
                if product.len().saturating_mul(rows.len()) > 200_000 {
                    return unknown("a catalog query too large to evaluate");
                }
                let mut next = Vec::with_capacity(product.len() * rows.len());
                for p in product.iter() {
                    for r in &rows {
                        let mut x = p.clone();
                        x.push((alias.clone(), r.clone()));
                        next.push(x);
                    }
                }
                *product = next;
                Ok(())
            }
            Some(N::JoinExpr(j)) => {
                if j.jointype != protobuf::JoinType::JoinInner as i32 {
                    return unknown("an outer join");
                }
                for side in [&j.larg, &j.rarg].into_iter().flatten() {
                    self.add_from_item(side, product, conds, sc)?;
                }
                if let Some(q) = j.quals.as_deref() {
                    conds.push(q);
                }
                Ok(())
            }
            Some(N::RangeFunction(rf)) => {
                // generate_series(a, b) and unnest(array)
                let call = rf.functions.first().and_then(|f| match &f.node {
                    Some(N::List(l)) => l.items.first().and_then(|i| match &i.node {
                        Some(N::FuncCall(fc)) => Some(fc.as_ref()),
                        _ => None,
                    }),
                    _ => None,
                });
                let Some(fc) = call else { return unknown("a function in FROM") };
                let name = field_names(&fc.funcname).last().cloned().unwrap_or_default();
                let args: Vec<Val> = fc.args.iter().map(|a| self.eval(a, sc)).collect::<R<_>>()?;
                let values: Vec<Val> = match (name.as_str(), args.as_slice()) {
                    ("generate_series", [a, b, step]) if stamp_series(a, b, step).is_some() => stamp_series(a, b, step).unwrap_or_default(),
                    ("generate_series", [a, b, rest @ ..]) => {
                        let (Some(a), Some(b)) = (a.int(), b.int()) else { return unknown("generate_series bounds") };
                        let step = rest.first().and_then(|s| s.int()).unwrap_or(1);
                        if step == 0 || (b - a) / step > 10_000 {
                            return unknown("a long generate_series");
                        }
                        let mut v = Vec::new();
                        let mut i = a;
                        while (step > 0 && i <= b) || (step < 0 && i >= b) {
                            v.push(Val::Int(i));
                            i += step;
                        }
                        v
                    }
                    ("unnest", [Val::Array(items)]) => items.clone(),
                    _ => return unknown(format!("{name}() in FROM")),
                };
                let alias = rf.alias.as_ref().map(|a| a.aliasname.clone()).unwrap_or_else(|| name.clone());
                let col = rf
                    .alias
                    .as_ref()
                    .and_then(|a| a.colnames.first())
                    .and_then(|c| match &c.node {
                        Some(N::String(s)) => Some(s.sval.clone()),
                        _ => None,
                    })
                    .unwrap_or_else(|| alias.clone());
                let mut next = Vec::new();
                for p in product.iter() {
                    for v in &values {
                        let mut x = p.clone();
                        x.push((alias.clone(), vec![(col.clone(), v.clone())]));
                        next.push(x);
                    }
                }
                *product = next;
                Ok(())
            }
            _ => unknown("a FROM item pgvet does not evaluate"),
        }
    }

    /// The rows of a system catalog view, from the replayed catalog. Table data is unknown.
    fn system_rows(&self, rv: &protobuf::RangeVar) -> R<Vec<Vec<(String, Val)>>> {
        let schema = rv.schemaname.as_str();
        let name = rv.relname.as_str();
        let catalog_schema = match schema {
            "information_schema" => "information_schema",
            "pg_catalog" => "pg_catalog",
            "" if name.starts_with("pg_") => "pg_catalog",
            _ => return unknown(format!("the rows of {}", if schema.is_empty() { name.to_string() } else { format!("{schema}.{name}") })),
        };
        let c = &self.catalog;
        let t = |s: &str| Val::Text(s.to_string());
        let mut rows: Vec<Vec<(String, Val)>> = Vec::new();
        let mut row = |cols: Vec<(&str, Val)>| rows.push(cols.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
        match (catalog_schema, name) {
            ("information_schema", "tables") | ("pg_catalog", "pg_tables") | ("pg_catalog", "pg_views") => {
                let info = catalog_schema == "information_schema";
                for tb in c.tables.values().filter(|_| name != "pg_views") {
                    if info {
                        row(vec![("table_schema", t(&tb.name.schema)), ("table_name", t(&tb.name.name)), ("table_type", t("BASE TABLE"))]);
                    } else {
                        row(vec![("schemaname", t(&tb.name.schema)), ("tablename", t(&tb.name.name))]);
                    }
                }
                for v in c.views.values().filter(|v| info && !v.materialized || name == "pg_views") {
                    if info {
                        row(vec![("table_schema", t(&v.name.schema)), ("table_name", t(&v.name.name)), ("table_type", t("VIEW"))]);
                    } else {
                        row(vec![("schemaname", t(&v.name.schema)), ("viewname", t(&v.name.name))]);
                    }
                }
            }
            ("information_schema", "columns") => {
                for tb in c.tables.values() {
                    for (i, col) in tb.columns.iter().enumerate() {
                        row(vec![
                            ("table_schema", t(&tb.name.schema)),
                            ("table_name", t(&tb.name.name)),
                            ("column_name", t(&col.name)),
                            ("ordinal_position", Val::Int(i as i64 + 1)),
                            ("is_nullable", t(if col.not_null { "NO" } else { "YES" })),
                            ("column_default", col.default.as_deref().map(t).unwrap_or(Val::Null)),
                            ("data_type", Val::Unknown),
                            ("udt_name", Val::Unknown),
                        ]);
                    }
                }
            }
            ("information_schema", "table_constraints") => {
                for tb in c.tables.values() {
                    for k in &tb.constraints {
                        let ty = match k.kind {
                            ConstraintKind::PrimaryKey => "PRIMARY KEY",
                            ConstraintKind::Unique => "UNIQUE",
                            ConstraintKind::ForeignKey => "FOREIGN KEY",
                            ConstraintKind::Check => "CHECK",
                            _ => "EXCLUDE",
                        };
                        row(vec![
                            ("constraint_schema", t(&tb.name.schema)),
                            ("constraint_name", t(&k.name)),
                            ("table_schema", t(&tb.name.schema)),
                            ("table_name", t(&tb.name.name)),
                            ("constraint_type", t(ty)),
                        ]);
                    }
                }
            }
            // PostgreSQL's definitions: key_column_usage lists the columns a PRIMARY KEY,
            // UNIQUE or FOREIGN KEY constrains (a foreign key's own columns);
            // constraint_column_usage the columns of a CHECK's table it uses, a key's columns, and
            // for a foreign key the columns it references, in the referenced table.
            ("information_schema", "key_column_usage") | ("information_schema", "constraint_column_usage") => {
                let usage = name == "constraint_column_usage";
                for tb in c.tables.values() {
                    for k in &tb.constraints {
                        let (table, columns): (&QName, &[String]) = match (k.kind, &k.foreign_key) {
                            (ConstraintKind::PrimaryKey | ConstraintKind::Unique, _) => (&tb.name, &k.columns),
                            (ConstraintKind::ForeignKey, Some(fk)) if usage => (&fk.table, &fk.columns),
                            (ConstraintKind::ForeignKey, _) => (&tb.name, &k.columns),
                            (ConstraintKind::Check, _) if usage => (&tb.name, &k.columns),
                            _ => continue,
                        };
                        let mut seen: Vec<&String> = Vec::new();
                        for (i, col) in columns.iter().enumerate() {
                            if usage && seen.contains(&col) {
                                continue;
                            }
                            seen.push(col);
                            let mut r = vec![
                                ("constraint_schema", t(&tb.name.schema)),
                                ("constraint_name", t(&k.name)),
                                ("table_schema", t(&table.schema)),
                                ("table_name", t(&table.name)),
                                ("column_name", t(col)),
                            ];
                            if !usage {
                                r.push(("ordinal_position", Val::Int(i as i64 + 1)));
                            }
                            row(r);
                        }
                    }
                }
            }
            ("information_schema", "schemata") => {
                for s in c.schemas.iter() {
                    row(vec![("schema_name", t(s))]);
                }
            }
            ("information_schema", "routines") | ("pg_catalog", "pg_proc") => {
                for f in c.functions.values() {
                    row(vec![
                        ("routine_schema", t(&f.name.schema)),
                        ("routine_name", t(&f.name.name)),
                        ("proname", t(&f.name.name)),
                        ("pronamespace", ns_oid(&f.name.schema)),
                    ]);
                }
            }
            ("pg_catalog", "pg_namespace") => {
                for s in c.schemas.iter() {
                    row(vec![("oid", ns_oid(s)), ("nspname", t(s))]);
                }
            }
            ("pg_catalog", "pg_class") => {
                let mut add = |q: &QName, kind: &str| {
                    row(vec![("oid", oid("rel", q)), ("relname", t(&q.name)), ("relnamespace", ns_oid(&q.schema)), ("relkind", t(kind))]);
                };
                for tb in c.tables.values() {
                    add(&tb.name, if tb.kind == TableKind::Partitioned { "p" } else { "r" });
                }
                for v in c.views.values() {
                    add(&v.name, if v.materialized { "m" } else { "v" });
                }
                for i in c.indexes.values() {
                    add(&i.name, "i");
                }
                for s in c.sequences.values() {
                    add(&s.name, "S");
                }
            }
            ("pg_catalog", "pg_indexes") => {
                for i in c.indexes.values() {
                    row(vec![("schemaname", t(&i.name.schema)), ("tablename", t(&i.table.name)), ("indexname", t(&i.name.name))]);
                }
            }
            ("pg_catalog", "pg_constraint") => {
                for tb in c.tables.values() {
                    for k in &tb.constraints {
                        let ty = match k.kind {
                            ConstraintKind::PrimaryKey => "p",
                            ConstraintKind::Unique => "u",
                            ConstraintKind::ForeignKey => "f",
                            ConstraintKind::Check => "c",
                            _ => "x",
                        };
                        row(vec![
                            ("conname", t(&k.name)),
                            ("conrelid", oid("rel", &tb.name)),
                            ("connamespace", ns_oid(&tb.name.schema)),
                            ("contype", t(ty)),
                            ("convalidated", Val::Bool(k.validated)),
                        ]);
                    }
                }
            }
            ("pg_catalog", "pg_type") => {
                for e in c.enums.values() {
                    row(vec![
                        ("oid", oid("type", &e.name)),
                        ("typname", t(&e.name.name)),
                        ("typnamespace", ns_oid(&e.name.schema)),
                        ("typtype", t("e")),
                    ]);
                }
                for d in c.domains.values() {
                    row(vec![
                        ("oid", oid("type", &d.name)),
                        ("typname", t(&d.name.name)),
                        ("typnamespace", ns_oid(&d.name.schema)),
                        ("typtype", t("d")),
                    ]);
                }
                // Every table has a row type of its name.
                for tb in c.tables.values() {
                    row(vec![
                        ("oid", oid("type", &tb.name)),
                        ("typname", t(&tb.name.name)),
                        ("typnamespace", ns_oid(&tb.name.schema)),
                        ("typtype", t("c")),
                    ]);
                }
            }
            ("pg_catalog", "pg_enum") => {
                for e in c.enums.values() {
                    for (i, v) in e.values.iter().enumerate() {
                        row(vec![("enumtypid", oid("type", &e.name)), ("enumlabel", t(v)), ("enumsortorder", Val::Int(i as i64 + 1))]);
                    }
                }
            }
            ("pg_catalog", "pg_attribute") => {
                for tb in c.tables.values() {
                    for (i, col) in tb.columns.iter().enumerate() {
                        row(vec![
                            ("attrelid", oid("rel", &tb.name)),
                            ("attname", t(&col.name)),
                            ("attnum", Val::Int(i as i64 + 1)),
                            ("attisdropped", Val::Bool(false)),
                            ("attnotnull", Val::Bool(col.not_null)),
                        ]);
                    }
                }
            }
            ("pg_catalog", "pg_trigger") => {
                for tb in c.tables.values() {
                    for tr in &tb.triggers {
                        row(vec![("tgname", t(&tr.name)), ("tgrelid", oid("rel", &tb.name))]);
                    }
                }
            }
            ("pg_catalog", "pg_policies") => {
                for tb in c.tables.values() {
                    for p in &tb.policies {
                        let text = |x: &Option<String>| x.as_deref().map(t).unwrap_or(Val::Null);
                        row(vec![
                            ("schemaname", t(&tb.name.schema)),
                            ("tablename", t(&tb.name.name)),
                            ("policyname", t(&p.name)),
                            ("permissive", t(if p.permissive { "PERMISSIVE" } else { "RESTRICTIVE" })),
                            ("roles", Val::Array(p.roles.iter().map(|r| t(r)).collect())),
                            ("cmd", t(&p.command.to_uppercase())),
                            ("qual", text(&p.using)),
                            ("with_check", text(&p.with_check)),
                        ]);
                    }
                }
            }
            ("pg_catalog", "pg_inherits") => {
                for tb in c.tables.values() {
                    if let Some(parent) = &tb.partition_of {
                        row(vec![("inhrelid", oid("rel", &tb.name)), ("inhparent", oid("rel", parent)), ("inhseqno", Val::Int(1))]);
                    }
                }
            }
            ("pg_catalog", "pg_extension") => {
                for e in c.extensions.iter() {
                    row(vec![("extname", t(e))]);
                }
            }
            _ => return unknown(format!("{catalog_schema}.{name}")),
        }
        if !c.uncertain.is_empty() {
            self.uncertain_rows(catalog_schema, name, &mut rows);
        }
        Ok(rows)
    }

    /// Rows about objects an unmodelled statement may have changed: a row about such an object
    /// may be stale or gone (marked [`MAYBE`]), and such an object may have rows pgvet does not
    /// have (a row of its own, marked too, with what pgvet knows of it: its schema and name or
    /// name pattern, the rest unknown). A query's answer is unknown only when such a row can
    /// pass its conditions (see [`Replayer::query`]): a guard on another object is still exact.
    fn uncertain_rows(&self, catalog_schema: &str, view: &str, rows: &mut Vec<Vec<(String, Val)>>) {
        let Some((kind, columns)) = view_shape(catalog_schema, view) else { return };
        let u = &self.catalog.uncertain;
        let maybe = |q: &QName| match kind {
            Obj::Relation => u.relations.contains_key(q) || u.schemas.contains_key(&q.schema),
            Obj::Type => u.types.contains_key(q) || u.schemas.contains_key(&q.schema),
            Obj::Function => u.functions.contains_key(q) || u.schemas.contains_key(&q.schema),
            Obj::Schema => false,
        };
        for r in rows.iter_mut() {
            if object_of(r, columns).is_some_and(|q| maybe(&q)) {
                r.push((MAYBE.into(), Val::Bool(true)));
            }
        }
        // Objects of their own: (schema, name), the name None when unknown.
        let mut own: Vec<(String, Option<Val>)> = Vec::new();
        let names = match kind {
            Obj::Relation => &u.relations,
            Obj::Type => &u.types,
            Obj::Function => &u.functions,
            Obj::Schema => &u.relations,
        };
        // Only CREATE TRIGGER makes a trigger: a relation an unmodelled statement may have
        // made or changed has triggers pgvet does not know only when that statement may have
        // run a CREATE TRIGGER (a foreign table pgvet did not model has none).
        let may_trigger = |event: &usize| view != "pg_trigger" || u.trigger_events.contains(event);
        if kind != Obj::Schema {
            own.extend(names.iter().filter(|(_, e)| may_trigger(e)).map(|(q, _)| (q.schema.clone(), Some(Val::Text(q.name.clone())))));
        }
        own.extend(u.schemas.keys().map(|s| (s.clone(), None)));
        if kind == Obj::Relation {
            own.extend(
                u.new_relations_in.iter().filter(|(_, e)| may_trigger(e)).map(|(q, _)| (q.schema.clone(), Some(Val::Pattern(q.clone())))),
            );
        }
        for (schema, name) in own {
            let mut r: Vec<(String, Val)> = Vec::new();
            for (col, key) in columns {
                let v = match (key, &name) {
                    (Key::Schema, _) => Val::Text(schema.clone()),
                    (Key::NsOid, _) => ns_oid(&schema),
                    (Key::Name, Some(n)) => n.clone(),
                    (Key::Oid(k), Some(Val::Text(n))) => oid(k, &QName::new(schema.as_str(), n.as_str())),
                    (Key::Oid(_), Some(p @ Val::Pattern(_))) => p.clone(),
                    _ => Val::Unknown,
                };
                r.push((col.to_string(), v));
            }
            r.push((MAYBE.into(), Val::Bool(true)));
            rows.push(r);
        }
    }
}

/// The column that marks a row about an object an unmodelled statement may have changed.
pub(crate) const MAYBE: &str = "\u{0}maybe";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Obj {
    Relation,
    Type,
    Function,
    Schema,
}

/// What a system view's column says of the object a row is about.
enum Key {
    Schema,
    Name,
    NsOid,
    /// `oid("rel" | "type", ...)` of the object.
    Oid(&'static str),
    Other,
}

/// The object kind of a system view's rows and what each column says of it.
fn view_shape(catalog_schema: &str, view: &str) -> Option<(Obj, &'static [(&'static str, Key)])> {
    use Key::*;
    Some(match (catalog_schema, view) {
        ("information_schema", "tables") => (Obj::Relation, &[("table_schema", Schema), ("table_name", Name), ("table_type", Other)]),
        ("information_schema", "columns") => (
            Obj::Relation,
            &[
                ("table_schema", Schema),
                ("table_name", Name),
                ("column_name", Other),
                ("ordinal_position", Other),
                ("is_nullable", Other),
                ("column_default", Other),
                ("data_type", Other),
                ("udt_name", Other),
            ],
        ),
        ("information_schema", "table_constraints") => (
            Obj::Relation,
            &[
                ("constraint_schema", Schema),
                ("constraint_name", Other),
                ("table_schema", Schema),
                ("table_name", Name),
                ("constraint_type", Other),
            ],
        ),
        ("information_schema", "constraint_column_usage") => (
            Obj::Relation,
            &[
                ("table_schema", Schema),
                ("table_name", Name),
                ("constraint_schema", Schema),
                ("constraint_name", Other),
                ("column_name", Other),
            ],
        ),
        ("information_schema", "key_column_usage") => (
            Obj::Relation,
            &[
                ("table_schema", Schema),
                ("table_name", Name),
                ("constraint_schema", Schema),
                ("constraint_name", Other),
                ("column_name", Other),
                ("ordinal_position", Other),
            ],
        ),
        ("pg_catalog", "pg_tables") => (Obj::Relation, &[("schemaname", Schema), ("tablename", Name)]),
        ("pg_catalog", "pg_views") => (Obj::Relation, &[("schemaname", Schema), ("viewname", Name)]),
        ("pg_catalog", "pg_class") => {
            (Obj::Relation, &[("oid", Oid("rel")), ("relname", Name), ("relnamespace", NsOid), ("relkind", Other)])
        }
        ("pg_catalog", "pg_indexes") => (Obj::Relation, &[("schemaname", Schema), ("tablename", Name), ("indexname", Other)]),
        ("pg_catalog", "pg_constraint") => (
            Obj::Relation,
            &[("conname", Other), ("conrelid", Oid("rel")), ("connamespace", NsOid), ("contype", Other), ("convalidated", Other)],
        ),
        ("pg_catalog", "pg_attribute") => (
            Obj::Relation,
            &[("attrelid", Oid("rel")), ("attname", Other), ("attnum", Other), ("attisdropped", Other), ("attnotnull", Other)],
        ),
        ("pg_catalog", "pg_trigger") => (Obj::Relation, &[("tgname", Other), ("tgrelid", Oid("rel"))]),
        ("pg_catalog", "pg_policies") => (
            Obj::Relation,
            &[
                ("schemaname", Schema),
                ("tablename", Name),
                ("policyname", Other),
                ("permissive", Other),
                ("roles", Other),
                ("cmd", Other),
                ("qual", Other),
                ("with_check", Other),
            ],
        ),
        ("pg_catalog", "pg_inherits") => (Obj::Relation, &[("inhrelid", Oid("rel")), ("inhparent", Other), ("inhseqno", Other)]),
        ("pg_catalog", "pg_type") => (Obj::Type, &[("oid", Oid("type")), ("typname", Name), ("typnamespace", NsOid), ("typtype", Other)]),
        ("pg_catalog", "pg_enum") => (Obj::Type, &[("enumtypid", Oid("type")), ("enumlabel", Other), ("enumsortorder", Other)]),
        ("information_schema", "routines") | ("pg_catalog", "pg_proc") => {
            (Obj::Function, &[("routine_schema", Schema), ("routine_name", Name), ("proname", Name), ("pronamespace", NsOid)])
        }
        ("information_schema", "schemata") => (Obj::Schema, &[("schema_name", Schema)]),
        ("pg_catalog", "pg_namespace") => (Obj::Schema, &[("oid", NsOid), ("nspname", Schema)]),
        _ => return None,
    })
}

/// The object a system view's row is about.
fn object_of(row: &[(String, Val)], columns: &[(&str, Key)]) -> Option<QName> {
    let get = |name: &str| row.iter().find(|(c, _)| c == name).map(|(_, v)| v);
    let (mut schema, mut name) = (None, None);
    for (col, key) in columns {
        match (key, get(col)) {
            (Key::Oid(_), Some(Val::Text(o))) => {
                let rest = o.splitn(3, ':').nth(2)?;
                let (s, n) = rest.split_once('.')?;
                return Some(QName::new(s, n));
            }
            (Key::Schema, Some(Val::Text(s))) => schema = schema.or(Some(s.clone())),
            (Key::NsOid, Some(Val::Text(s))) => schema = schema.or(s.strip_prefix("oid:ns:").map(String::from)),
            (Key::Name, Some(Val::Text(n))) => name = name.or(Some(n.clone())),
            _ => {}
        }
    }
    Some(QName::new(schema?, name?))
}

/// `date/timestamp ± interval`, `date ± integer` (days), `interval * integer`, `interval ± interval`:
/// None when the operands are not such values.
fn datetime_arith(op: &str, a: &Val, b: &Val) -> Option<Val> {
    let (ta, tb) = (a.text()?, b.text()?);
    let sign = if op == "-" { -1 } else { 1 };
    match (Stamp::parse(&ta), Stamp::parse(&tb), Interval::parse(&ta), Interval::parse(&tb)) {
        (Some(d), _, _, Some(i)) if op != "*" => Some(Val::Text(d.add(i, sign).text())),
        (_, Some(d), Some(i), _) if op == "+" => Some(Val::Text(d.add(i, 1).text())),
        (Some(d), _, _, _) if op != "*" && matches!(b, Val::Int(_)) && !d.time => {
            let n = b.int()?;
            Some(Val::Text(Stamp { days: d.days + sign * n, ..d }.text()))
        }
        (_, _, Some(i), _) if op == "*" && matches!(b, Val::Int(_)) => Some(Val::Text(i.times(b.int()?).text())),
        (_, _, _, Some(i)) if op == "*" && matches!(a, Val::Int(_)) => Some(Val::Text(i.times(a.int()?).text())),
        (_, _, Some(x), Some(y)) if op != "*" => Some(Val::Text(
            Interval { months: x.months + sign * y.months, days: x.days + sign * y.days, secs: x.secs + sign * y.secs }.text(),
        )),
        _ => None,
    }
}

/// generate_series(timestamp, timestamp, interval) as text values.
fn stamp_series(a: &Val, b: &Val, step: &Val) -> Option<Vec<Val>> {
    let (a, b) = (Stamp::parse(&a.text()?)?, Stamp::parse(&b.text()?)?);
    let step = Interval::parse(&step.text()?)?;
    Some(series(a, b, step, 10_000)?.into_iter().map(|s| Val::Text(s.text())).collect())
}

/// `schema.name` or `name`, with double quotes honoured.
pub(crate) fn split_name(s: &str) -> (String, String) {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.trim().chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            c if quoted => cur.push(c),
            c => cur.extend(c.to_lowercase()),
        }
    }
    parts.push(cur);
    match parts.as_slice() {
        [.., s, n] => (s.clone(), n.clone()),
        [n] => (String::new(), n.clone()),
        [] => (String::new(), String::new()),
    }
}

/// SQL equality; None when either side is NULL.
pub(crate) fn equal(a: &Val, b: &Val) -> Option<bool> {
    match (a, b) {
        (Val::Null, _) | (_, Val::Null) => None,
        (Val::Unknown, _) | (_, Val::Unknown) => None,
        (Val::Int(x), Val::Int(y)) => Some(x == y),
        (Val::Bool(x), y) | (y, Val::Bool(x)) => y.truth().map(|y| *x == y),
        (x, y) => match (x.int(), y.int()) {
            (Some(i), Some(j)) if matches!(x, Val::Int(_)) || matches!(y, Val::Int(_)) => Some(i == j),
            _ => Some(x.text() == y.text()),
        },
    }
}

fn like(s: &str, p: &str) -> bool {
    fn go(s: &[char], p: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('%') => (0..=s.len()).any(|i| go(&s[i..], &p[1..])),
            Some('_') => !s.is_empty() && go(&s[1..], &p[1..]),
            Some('\\') if p.len() > 1 => s.first() == Some(&p[1]) && go(&s[1..], &p[2..]),
            Some(c) => s.first() == Some(c) && go(&s[1..], &p[1..]),
        }
    }
    go(&s.chars().collect::<Vec<_>>(), &p.chars().collect::<Vec<_>>())
}

pub(crate) fn quote_literal(s: &str) -> String {
    if s.contains('\\') {
        format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// PostgreSQL's `format()`: `%s`, `%I`, `%L`, `%%`, with `%n$` positions.
fn format_sql(fmt: &str, args: &[Val]) -> R<String> {
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || d == '$' || d == '-' {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let Some(kind) = chars.next() else { return Err(Stop::Raise("22023".into(), "unterminated format() type specifier".into())) };
        if kind == '%' {
            out.push('%');
            continue;
        }
        let idx = match spec.split_once('$') {
            Some((n, _)) => n.parse::<usize>().ok().and_then(|n| n.checked_sub(1)).unwrap_or(0),
            None => next,
        };
        next = idx + 1;
        let Some(v) = args.get(idx) else { return Err(Stop::Raise("22023".into(), "too few arguments for format()".into())) };
        if *v == Val::Unknown {
            return unknown("an argument of format()");
        }
        let s = match v {
            // An array argument prints in the array's text form, as the server's array_out does.
            Val::Array(items) => Some(array_text(items)),
            v => v.text(),
        };
        match kind {
            's' => out.push_str(&s.unwrap_or_default()),
            'I' => match s {
                Some(s) => out.push_str(&quote_ident(&s)),
                None => return Err(Stop::Raise("22004".into(), "null values cannot be formatted as an SQL identifier".into())),
            },
            'L' => out.push_str(&s.map(|s| quote_literal(&s)).unwrap_or_else(|| "NULL".into())),
            _ => return Err(Stop::Raise("22023".into(), format!("unrecognized format() type specifier \"{kind}\""))),
        }
    }
    Ok(out)
}

/// An array's text form (`{a,"b c",NULL}`), as PostgreSQL's array_out writes a one-dimensional
/// array: an element is double-quoted when it is empty, the word NULL, or holds a delimiter,
/// brace, quote, backslash or white space.
pub(crate) fn array_text(items: &[Val]) -> String {
    let element = |v: &Val| match v {
        Val::Null => "NULL".to_string(),
        Val::Array(inner) => array_text(inner),
        v => {
            let s = v.text().unwrap_or_default();
            let quote = s.is_empty()
                || s.eq_ignore_ascii_case("null")
                || s.chars().any(|c| matches!(c, ',' | '{' | '}' | '"' | '\\') || c.is_whitespace());
            if quote {
                format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                s
            }
        }
    };
    format!("{{{}}}", items.iter().map(element).collect::<Vec<_>>().join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_like_postgres() {
        let a = [Val::Text("My Table".into()), Val::Int(3), Val::Text("it's".into())];
        assert_eq!(
            format_sql("CREATE TABLE %I_%s (x text DEFAULT %L)", &a).unwrap(),
            "CREATE TABLE \"My Table\"_3 (x text DEFAULT 'it''s')"
        );
        assert_eq!(format_sql("%2$s %1$s %%", &a).unwrap(), "3 My Table %");
        assert!(matches!(format_sql("%s", &[Val::Unknown]), Err(Stop::Unknown(_))));
    }

    #[test]
    fn names_split_like_regclass() {
        assert_eq!(split_name("public.\"Users\""), ("public".into(), "Users".into()));
        assert_eq!(split_name("Users"), ("".into(), "users".into()));
        assert!(like("users_2024", "users\\_%"));
    }
}
