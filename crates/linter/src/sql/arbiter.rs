//! ON CONFLICT arbiter inference: a port of PostgreSQL's `transformOnConflictArbiter`
//! (parse analysis) and `infer_arbiter_indexes` (planning), plus the executor's refusal of
//! deferrable arbiters. Pure: a catalog and a parse tree in, a verdict out.
use pgvet_catalog::{Catalog, ConstraintKind, Index, IndexKey, QName, Table};
use pgvet_syntax::protobuf::{self, node::Node as N, OnConflictAction};
use pgvet_syntax::{canonical_expr_node, expr_columns};

use super::implies::{where_implies_predicate, Tri, ValueKind};

/// What PostgreSQL does with an `INSERT ... ON CONFLICT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The statement plans; these indexes are the arbiters. Empty for `DO NOTHING` without a
    /// target, where every unique index is checked.
    Arbiters(Vec<QName>),
    /// The server raises `code`; `location` is the parse-tree location it points at (-1: none).
    Error { code: &'static str, message: String, location: i32 },
    /// pgvet cannot decide (a construct it does not model); say nothing.
    Unknown,
}

impl Verdict {
    fn error(code: &'static str, message: impl Into<String>, location: i32) -> Verdict {
        Verdict::Error { code, message: message.into(), location }
    }
}

/// One element of the inference target.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Elem {
    Column(String),
    Expression(String),
}

fn index_elem(n: &protobuf::Node) -> Option<(&protobuf::IndexElem, i32)> {
    match n.node.as_ref()? {
        N::IndexElem(e) => {
            let loc = e.expr.as_deref().and_then(|x| x.node.as_ref()).map(node_location).unwrap_or(-1);
            Some((e, loc))
        }
        _ => None,
    }
}

pub fn node_location(n: &N) -> i32 {
    match n {
        N::ColumnRef(c) => c.location,
        N::FuncCall(f) => f.location,
        N::AExpr(a) => a.location,
        N::TypeCast(t) => t.location,
        N::AConst(c) => c.location,
        N::BoolExpr(b) => b.location,
        N::NullTest(t) => t.location,
        _ => -1,
    }
}

/// Infers the arbiters of `oc` for an insert into `table`.
pub fn infer(cat: &Catalog, table: &Table, oc: &protobuf::OnConflictClause) -> Verdict {
    if oc.infer.is_none() {
        return infer_modelled(cat, table, oc);
    }
    if table.incomplete || cat.uncertain_relation(&table.name).is_some() {
        return Verdict::Unknown;
    }
    infer_modelled(cat, table, oc)
}

/// The verdict [`infer`] withholds: what the server would say if the table were as pgvet
/// models it, when an unmodelled statement (the returned replay event) may have changed it.
pub fn withheld(cat: &Catalog, table: &Table, oc: &protobuf::OnConflictClause) -> Option<(Verdict, usize)> {
    let by = cat.uncertain.relations.get(&table.name).or_else(|| cat.uncertain.schemas.get(&table.name.schema)).copied()?;
    Some((infer_modelled(cat, table, oc), by))
}

fn infer_modelled(cat: &Catalog, table: &Table, oc: &protobuf::OnConflictClause) -> Verdict {
    let update = oc.action == OnConflictAction::OnconflictUpdate as i32;
    let Some(infer) = oc.infer.as_deref() else {
        if update {
            return Verdict::error("42601", "ON CONFLICT DO UPDATE requires inference specification or constraint name", oc.location);
        }
        return Verdict::Arbiters(vec![]);
    };
    let tname = &table.name.name;
    // Parse analysis: the named constraint, or the target's columns, must exist.
    if !infer.conname.is_empty() {
        let Some(con) = table.constraint(&infer.conname) else {
            return Verdict::error(
                "42704",
                format!("constraint \"{}\" for table \"{tname}\" does not exist", infer.conname),
                infer.location,
            );
        };
        let index = con.index.as_ref().map(|i| QName::new(table.name.schema.as_str(), i.as_str()));
        let Some(index) =
            index.filter(|_| matches!(con.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion))
        else {
            return Verdict::error("42809", "constraint in ON CONFLICT clause has no associated index", infer.location);
        };
        let Some(idx) = cat.indexes.get(&index) else { return Verdict::Unknown };
        if !idx.valid {
            return no_match(infer.location);
        }
        if !idx.unique && update {
            return Verdict::error("42809", "ON CONFLICT DO UPDATE not supported with exclusion constraints", infer.location);
        }
        return Verdict::Arbiters(vec![idx.name.clone()]);
    }
    let mut elems = Vec::new();
    for n in &infer.index_elems {
        let Some((e, loc)) = index_elem(n) else { return Verdict::Unknown };
        if !e.collation.is_empty() || !e.opclass.is_empty() {
            return Verdict::Unknown;
        }
        let elem = if !e.name.is_empty() {
            Elem::Column(e.name.clone())
        } else {
            let Some(expr) = e.expr.as_deref() else { return Verdict::Unknown };
            if let Some(N::ColumnRef(c)) = expr.node.as_ref() {
                match c.fields.as_slice() {
                    [f] => match f.node.as_ref() {
                        Some(N::String(s)) => Elem::Column(s.sval.clone()),
                        _ => return Verdict::Unknown,
                    },
                    _ => return Verdict::Unknown,
                }
            } else {
                for c in expr_columns(expr) {
                    if table.column(&c).is_none() {
                        return Verdict::error("42703", format!("column \"{c}\" does not exist"), loc);
                    }
                }
                match canonical_expr_node(expr) {
                    Some(t) => Elem::Expression(t),
                    None => return Verdict::Unknown,
                }
            }
        };
        if let Elem::Column(c) = &elem {
            if table.column(c).is_none() {
                return Verdict::error("42703", format!("column \"{c}\" does not exist"), loc);
            }
        }
        elems.push(elem);
    }
    let where_clause = infer.where_clause.as_deref();
    if let Some(w) = where_clause {
        for c in expr_columns(w) {
            if table.column(&c).is_none() {
                return Verdict::error("42703", format!("column \"{c}\" does not exist"), infer.location);
            }
        }
    }
    // Planning: every valid unique index whose key set equals the target and whose predicate
    // the WHERE implies is an arbiter.
    let mut cols: Vec<&str> = elems
        .iter()
        .filter_map(|e| match e {
            Elem::Column(c) => Some(c.as_str()),
            _ => None,
        })
        .collect();
    cols.sort_unstable();
    cols.dedup();
    let exprs: Vec<&str> = elems
        .iter()
        .filter_map(|e| match e {
            Elem::Expression(x) => Some(x.as_str()),
            _ => None,
        })
        .collect();
    let kind = |c: &str| table.column(c).map(|c| ValueKind::of_type(&c.type_name)).unwrap_or(ValueKind::Other);
    let is_bool = |c: &str| table.column(c).is_some_and(|c| c.type_name == "boolean");
    let mut arbiters = Vec::new();
    let mut unsure = false;
    for idx in cat.indexes_of(&table.name) {
        if !idx.valid || !idx.unique {
            continue;
        }
        let mut icols: Vec<&str> = idx
            .keys
            .iter()
            .filter_map(|k| match k {
                IndexKey::Column(c) => Some(c.as_str()),
                _ => None,
            })
            .collect();
        icols.sort_unstable();
        icols.dedup();
        if icols != cols {
            continue;
        }
        let iexprs: Vec<&str> = idx
            .keys
            .iter()
            .filter_map(|k| match k {
                IndexKey::Expression(x) => Some(x.as_str()),
                _ => None,
            })
            .collect();
        if !exprs.iter().all(|x| iexprs.contains(x)) || !iexprs.iter().all(|x| exprs.contains(x)) {
            continue;
        }
        let implied = match &idx.predicate {
            None => Tri::Proven,
            Some(p) => where_implies_predicate(where_clause, p, &kind, &is_bool),
        };
        match implied {
            Tri::Proven => arbiters.push(idx.name.clone()),
            Tri::Unknown => unsure = true,
            Tri::No => {}
        }
    }
    if arbiters.is_empty() {
        if unsure {
            return Verdict::Unknown;
        }
        return no_match(infer.location);
    }
    if unsure {
        // More arbiters than pgvet can prove; the ones it found are still arbiters.
        return Verdict::Unknown;
    }
    Verdict::Arbiters(arbiters)
}

fn no_match(location: i32) -> Verdict {
    Verdict::error("42P10", "there is no unique or exclusion constraint matching the ON CONFLICT specification", location)
}

/// The arbiter the executor refuses (55000) because its constraint is DEFERRABLE. With no
/// explicit arbiters (`DO NOTHING` without a target), every unique or exclusion index counts.
pub fn deferrable_arbiter<'a>(cat: &'a Catalog, table: &'a Table, arbiters: &[QName]) -> Option<&'a Index> {
    cat.indexes_of(&table.name).find(|i| {
        let candidate = if arbiters.is_empty() { i.unique || is_exclusion(table, i) } else { arbiters.contains(&i.name) };
        candidate && i.constraint.as_ref().and_then(|c| table.constraint(c)).is_some_and(|c| c.deferrable)
    })
}

fn is_exclusion(table: &Table, i: &Index) -> bool {
    i.constraint.as_ref().and_then(|c| table.constraint(c)).is_some_and(|c| c.kind == ConstraintKind::Exclusion)
}

/// "(a, b)" or "(lower(email))" for messages.
pub fn key_text(i: &Index) -> String {
    let keys: Vec<String> = i
        .keys
        .iter()
        .map(|k| match k {
            IndexKey::Column(c) => pgvet_syntax::quote_ident(c),
            IndexKey::Expression(x) => format!("({x})"),
        })
        .collect();
    let mut s = format!("({})", keys.join(", "));
    if let Some(p) = &i.predicate {
        s.push_str(&format!(" WHERE {p}"));
    }
    s
}
