//! A port of the part of PostgreSQL's `predicate_implied_by` (optimizer/util/predtest.c) that
//! decides whether an ON CONFLICT `WHERE` clause implies a partial unique index's predicate.
//!
//! Both sides are reduced to canonical form first (casts dropped, `IN` / `BETWEEN` rewritten, as
//! `pgvet_syntax::canonical_expr` does), then to a small tree of atoms. The answer is
//! three-valued: where PostgreSQL's prover could use machinery this port does not model
//! (`= ANY` arrays, functions, ORs of complex clauses), the answer is [`Tri::Unknown`] and the
//! caller stays silent rather than guess.
use pgvet_syntax::protobuf::{node::Node as N, AExprKind, BoolExprType, NullTestType};
use pgvet_syntax::{canonical_expr, canonical_expr_node, deparse_expr, parse_expr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    Proven,
    No,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    Ne,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "<" => Op::Lt,
            "<=" => Op::Le,
            "=" => Op::Eq,
            ">=" => Op::Ge,
            ">" => Op::Gt,
            "<>" | "!=" => Op::Ne,
            _ => return None,
        })
    }
    fn commute(self) -> Op {
        match self {
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
            o => o,
        }
    }
    fn negate(self) -> Op {
        match self {
            Op::Lt => Op::Ge,
            Op::Le => Op::Gt,
            Op::Eq => Op::Ne,
            Op::Ge => Op::Lt,
            Op::Gt => Op::Le,
            Op::Ne => Op::Eq,
        }
    }
    fn index(self) -> usize {
        self as usize
    }
}

/// PostgreSQL's `BT_implic_table`: knowing `x given CONST1`, `x target CONST2` holds when
/// `CONST2 test CONST1` does (None: no test proves it).
const IMPLIC: [[Option<Op>; 6]; 6] = {
    use Op::*;
    [
        [Some(Ge), Some(Ge), None, None, None, Some(Ge)],
        [Some(Gt), Some(Ge), None, None, None, Some(Gt)],
        [Some(Gt), Some(Ge), Some(Eq), Some(Le), Some(Lt), Some(Ne)],
        [None, None, None, Some(Le), Some(Lt), Some(Lt)],
        [None, None, None, Some(Le), Some(Le), Some(Le)],
        [None, None, None, None, None, Some(Eq)],
    ]
};

/// The value kinds whose comparisons pgvet evaluates (as the column's btree operators would).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Integer,
    Text,
    Other,
}

impl ValueKind {
    pub fn of_type(type_name: &str) -> ValueKind {
        let t = pgvet_catalog::types::strip_typmod(type_name);
        match t.as_str() {
            "smallint" | "integer" | "bigint" => ValueKind::Integer,
            "text" | "character varying" | "character" | "name" => ValueKind::Text,
            _ => ValueKind::Other,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum P {
    And(Vec<P>),
    Or(Vec<P>),
    Cmp { col: String, op: Op, val: String },
    NullTest { col: String, is_null: bool },
    BoolCol { col: String, negated: bool },
    Other(String),
}

fn column_name(n: &N) -> Option<String> {
    match n {
        N::ColumnRef(c) => match c.fields.last()?.node.as_ref()? {
            N::String(s) => Some(s.sval.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn const_text(n: &N) -> Option<String> {
    match n {
        N::AConst(c) if !c.isnull => match c.val.as_ref()? {
            pgvet_syntax::protobuf::a_const::Val::Sval(s) => Some(s.sval.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn other(n: &N) -> P {
    let node = pgvet_syntax::protobuf::Node { node: Some(n.clone()) };
    P::Other(deparse_expr(&node).unwrap_or_default())
}

/// Builds the atom tree from a canonical expression; `is_bool` says whether a column is boolean.
fn build(n: &N, is_bool: &dyn Fn(&str) -> bool) -> P {
    match n {
        N::BoolExpr(b) => {
            let args: Vec<P> = b.args.iter().filter_map(|a| a.node.as_ref()).map(|a| build(a, is_bool)).collect();
            match BoolExprType::try_from(b.boolop) {
                Ok(BoolExprType::AndExpr) => P::And(args),
                Ok(BoolExprType::OrExpr) => P::Or(args),
                Ok(BoolExprType::NotExpr) => match args.into_iter().next() {
                    // eval_const_expressions pushes NOT into operators that have a negator.
                    Some(P::Cmp { col, op, val }) => P::Cmp { col, op: op.negate(), val },
                    Some(P::NullTest { col, is_null }) => P::NullTest { col, is_null: !is_null },
                    Some(P::BoolCol { col, negated }) => P::BoolCol { col, negated: !negated },
                    _ => other(n),
                },
                _ => other(n),
            }
        }
        N::AExpr(e) if e.kind == AExprKind::AexprOp as i32 => {
            let name = e.name.iter().rev().find_map(|x| match x.node.as_ref()? {
                N::String(s) => Some(s.sval.as_str()),
                _ => None,
            });
            let (Some(op), Some(l), Some(r)) = (
                name.and_then(Op::parse),
                e.lexpr.as_deref().and_then(|x| x.node.as_ref()),
                e.rexpr.as_deref().and_then(|x| x.node.as_ref()),
            ) else {
                return other(n);
            };
            let (col, val, op) = match (column_name(l), const_text(r), column_name(r), const_text(l)) {
                (Some(c), Some(v), _, _) => (c, v, op),
                (_, _, Some(c), Some(v)) => (c, v, op.commute()),
                _ => return other(n),
            };
            if is_bool(&col) && matches!(op, Op::Eq | Op::Ne) && matches!(val.as_str(), "true" | "false") {
                // `flag = true` is simplified to `flag` by the planner.
                let negated = (val == "false") == (op == Op::Eq);
                return P::BoolCol { col, negated };
            }
            P::Cmp { col, op, val }
        }
        N::NullTest(t) => match t.arg.as_deref().and_then(|a| a.node.as_ref()).and_then(column_name) {
            Some(col) => P::NullTest { col, is_null: t.nulltesttype == NullTestType::IsNull as i32 },
            None => other(n),
        },
        N::ColumnRef(_) => match column_name(n) {
            Some(col) if is_bool(&col) => P::BoolCol { col, negated: false },
            _ => other(n),
        },
        _ => other(n),
    }
}

fn tree(text: &str, is_bool: &dyn Fn(&str) -> bool) -> P {
    let canon = canonical_expr(text).unwrap_or_else(|| text.to_string());
    match parse_expr(&canon).and_then(|n| n.node) {
        Some(n) => build(&n, is_bool),
        None => P::Other(canon),
    }
}

fn and3(items: impl Iterator<Item = Tri>) -> Tri {
    let mut out = Tri::Proven;
    for t in items {
        match t {
            Tri::Unknown => return Tri::Unknown,
            Tri::No => out = Tri::No,
            Tri::Proven => {}
        }
    }
    out
}

fn or3(items: impl Iterator<Item = Tri>) -> Tri {
    let mut out = Tri::No;
    for t in items {
        match t {
            Tri::Proven => return Tri::Proven,
            Tri::Unknown => out = Tri::Unknown,
            Tri::No => {}
        }
    }
    out
}

fn compare(a: &str, test: Op, b: &str, kind: ValueKind) -> Option<bool> {
    let ord = match kind {
        ValueKind::Integer => {
            let (x, y) = (a.trim().parse::<i128>().ok()?, b.trim().parse::<i128>().ok()?);
            x.cmp(&y)
        }
        // Only equality is collation-independent.
        ValueKind::Text if matches!(test, Op::Eq | Op::Ne) => a.cmp(b),
        _ => return None,
    };
    use std::cmp::Ordering::*;
    Some(match test {
        Op::Lt => ord == Less,
        Op::Le => ord != Greater,
        Op::Eq => ord == Equal,
        Op::Ge => ord != Less,
        Op::Gt => ord == Greater,
        Op::Ne => ord != Equal,
    })
}

struct Prover<'a> {
    kind: &'a dyn Fn(&str) -> ValueKind,
}

impl Prover<'_> {
    fn implies(&self, clause: &P, pred: &P) -> Tri {
        if clause == pred {
            return Tri::Proven;
        }
        match pred {
            P::And(ps) => return and3(ps.iter().map(|p| self.implies(clause, p))),
            P::Or(ps) => {
                let direct = or3(ps.iter().map(|p| self.implies(clause, p)));
                // PostgreSQL has more ways to prove an OR; this port only claims the simple one.
                return if direct == Tri::Proven { Tri::Proven } else { Tri::Unknown };
            }
            _ => {}
        }
        match clause {
            P::And(cs) => or3(cs.iter().map(|c| self.implies(c, pred))),
            P::Or(cs) => match and3(cs.iter().map(|c| self.implies(c, pred))) {
                Tri::Proven => Tri::Proven,
                _ => Tri::Unknown,
            },
            P::Other(_) => Tri::Unknown,
            c => self.atom(c, pred),
        }
    }

    fn atom(&self, c: &P, p: &P) -> Tri {
        match (c, p) {
            (_, P::Other(_)) => Tri::Unknown,
            // A strict operator on x is never true for a NULL x.
            (P::Cmp { col, .. }, P::NullTest { col: pc, is_null: false }) if col == pc => Tri::Proven,
            (P::BoolCol { col, negated: false }, P::NullTest { col: pc, is_null: false }) if col == pc => Tri::Proven,
            (P::BoolCol { col, negated: true }, P::NullTest { col: pc, is_null: false }) if col == pc => Tri::Unknown,
            (P::Cmp { col, op: given, val: v1 }, P::Cmp { col: pc, op: target, val: v2 }) if col == pc => {
                match IMPLIC[given.index()][target.index()] {
                    None => Tri::No,
                    Some(test) => match compare(v2, test, v1, (self.kind)(col)) {
                        Some(true) => Tri::Proven,
                        Some(false) => Tri::No,
                        None => Tri::Unknown,
                    },
                }
            }
            _ => Tri::No,
        }
    }
}

/// Whether the ON CONFLICT `WHERE` (None: absent) implies an index predicate (canonical text).
/// `kind` gives a column's value kind; booleans are told apart for `flag = true` folding.
pub fn where_implies_predicate(
    where_clause: Option<&pgvet_syntax::protobuf::Node>,
    predicate: &str,
    kind: &dyn Fn(&str) -> ValueKind,
    is_bool: &dyn Fn(&str) -> bool,
) -> Tri {
    let pred = tree(predicate, is_bool);
    let clause = match where_clause {
        None => P::And(vec![]),
        Some(w) => match canonical_expr_node(w) {
            Some(text) => tree(&text, is_bool),
            None => return Tri::Unknown,
        },
    };
    Prover { kind }.implies(&clause, &pred)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(clause: Option<&str>, pred: &str) -> Tri {
        let w = clause.map(|c| parse_expr(c).unwrap());
        let kind = |c: &str| if c.starts_with('t') { ValueKind::Text } else { ValueKind::Integer };
        let is_bool = |c: &str| c.starts_with("is_") || c == "active";
        where_implies_predicate(w.as_ref(), &canonical_expr(pred).unwrap(), &kind, &is_bool)
    }

    #[test]
    fn cases() {
        use Tri::*;
        let cases = [
            (None, "deleted_at IS NULL", No),
            (Some("deleted_at IS NULL"), "deleted_at IS NULL", Proven),
            (Some("deleted_at IS NULL AND x = 1"), "deleted_at IS NULL", Proven),
            (Some("x > 10"), "x > 5", Proven),
            (Some("x > 5"), "x > 10", No),
            (Some("x < 10"), "x <= 9", No), // PostgreSQL's table, not arithmetic
            (Some("x = 3"), "x <> 4", Proven),
            (Some("x = 3"), "x IS NOT NULL", Proven),
            (Some("3 < x"), "x > 1", Proven),
            (Some("active"), "active = true", Proven),
            (Some("NOT active"), "active = false", Proven),
            (Some("active = false"), "NOT active", Proven),
            (Some("NOT (x = 1)"), "x <> 1", Proven),
            (Some("t = 'a'"), "t = 'a'", Proven),
            (Some("t = 'a'"), "t <> 'b'", Proven),
            (Some("t > 'a'"), "t > 'A'", Unknown),
            (Some("lower(t) = 'a'"), "t IS NOT NULL", Unknown),
            (Some("x IN (1, 2)"), "x > 0", Unknown),
            (Some("x > 1 AND y > 1"), "x > 0 AND y > 0", Proven),
            (Some("x > 1"), "x > 0 AND y > 0", No),
        ];
        for (c, p, want) in cases {
            assert_eq!(check(c, p), want, "{c:?} => {p}");
        }
    }
}
