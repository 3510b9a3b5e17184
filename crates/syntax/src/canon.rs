//! Canonical text for identifiers and expressions, so that an expression written in a migration
//! and the same expression as PostgreSQL prints it back (`pg_get_indexdef`, `pg_get_expr`) compare
//! equal. The server adds casts (`'a'::text`), rewrites `IN (...)` to `= ANY (ARRAY[...])`,
//! `BETWEEN` to `>= AND <=` and `LIKE` to `~~`; the canonical form applies the same rewrites to
//! both sides and drops casts.
use std::sync::OnceLock;

use pg_query::protobuf::{self, a_const, node::Node as N, AExprKind, BoolExprType, KeywordKind, Node};

/// Quotes an identifier exactly when PostgreSQL's `quote_ident` would.
pub fn quote_ident(name: &str) -> String {
    let simple = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if simple && !is_non_unreserved_keyword(name) {
        return name.to_string();
    }
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn is_non_unreserved_keyword(word: &str) -> bool {
    match pg_query::scan(word) {
        Ok(scan) => scan.tokens.first().is_some_and(|t| {
            t.end as usize == word.len()
                && t.keyword_kind != KeywordKind::NoKeyword as i32
                && t.keyword_kind != KeywordKind::UnreservedKeyword as i32
        }),
        Err(_) => false,
    }
}

fn template() -> &'static protobuf::ParseResult {
    static T: OnceLock<protobuf::ParseResult> = OnceLock::new();
    T.get_or_init(|| pg_query::parse("SELECT 1", 0).expect("SELECT 1 parses").protobuf)
}

/// Whether an expression calls a function whose unqualified, lower-case name satisfies `named`
/// (anywhere in it: arguments, casts, CASE arms). A walk of the tree, without printing it.
pub fn calls_function(node: &Node, named: impl Fn(&str) -> bool) -> bool {
    let Some(node) = node.node.as_ref() else { return false };
    crate::all_nodes(node).into_iter().any(|n| match n {
        pg_query::NodeRef::FuncCall(f) => f.funcname.last().and_then(|n| n.node.as_ref()).is_some_and(|n| match n {
            N::String(s) => named(&s.sval.to_ascii_lowercase()),
            _ => false,
        }),
        _ => false,
    })
}

/// Prints an expression node as SQL.
pub fn deparse_expr(node: &Node) -> Option<String> {
    let mut tree = template().clone();
    let stmt = tree.stmts.first_mut()?.stmt.as_mut()?.node.as_mut()?;
    let N::SelectStmt(sel) = stmt else { return None };
    let N::ResTarget(rt) = sel.target_list.first_mut()?.node.as_mut()? else { return None };
    rt.val = Some(Box::new(node.clone()));
    let text = pg_query::deparse(&tree, Default::default()).ok()?;
    Some(text.strip_prefix("SELECT ").unwrap_or(&text).to_string())
}

/// The canonical text of an expression given as SQL text (`None` if it does not parse).
pub fn canonical_expr(text: &str) -> Option<String> {
    let node = crate::parse_expr(text)?;
    canonical_expr_node(&node)
}

/// The canonical text of an expression node.
pub fn canonical_expr_node(node: &Node) -> Option<String> {
    let mut n = node.clone();
    canon(&mut n);
    deparse_expr(&n)
}

/// Removes every type cast (PostgreSQL adds implicit ones when it prints expressions back).
pub fn strip_casts(node: &Node) -> Node {
    let mut n = node.clone();
    canon(&mut n);
    n
}

fn op_name(s: &str) -> Vec<Node> {
    vec![Node { node: Some(N::String(protobuf::String { sval: s.to_string() })) }]
}

fn name_of(list: &[Node]) -> String {
    list.iter()
        .filter_map(|n| match &n.node {
            Some(N::String(s)) => Some(s.sval.as_str()),
            _ => None,
        })
        .next_back()
        .unwrap_or("")
        .to_string()
}

fn aexpr(kind: AExprKind, name: &str, l: Option<Box<Node>>, r: Option<Box<Node>>) -> Node {
    Node {
        node: Some(N::AExpr(Box::new(protobuf::AExpr {
            kind: kind as i32,
            name: op_name(name),
            lexpr: l,
            rexpr: r,
            ..Default::default()
        }))),
    }
}

fn boolexpr(op: BoolExprType, args: Vec<Node>) -> Node {
    Node { node: Some(N::BoolExpr(Box::new(protobuf::BoolExpr { boolop: op as i32, args, ..Default::default() }))) }
}

fn canon_opt(n: &mut Option<Box<Node>>) {
    if let Some(b) = n {
        canon(b);
    }
}

fn canon_all(v: &mut [Node]) {
    for n in v {
        canon(n);
    }
}

/// A numeric literal as numeric_in reads it and numeric_out prints it: `1e4` is `10000`,
/// `1.5e-2` is `0.015`, `1.50` keeps its scale.
fn numeric_text(lit: &str) -> String {
    let (mantissa, exp) = match lit.find(['e', 'E']) {
        Some(i) => match lit[i + 1..].parse::<i64>() {
            Ok(e) => (&lit[..i], e),
            Err(_) => return lit.to_string(),
        },
        None => return lit.to_string(),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) || exp.abs() > 1000 {
        return lit.to_string();
    }
    let digits = format!("{int}{frac}");
    // The decimal point sits after `point` digits of `digits`.
    let point = int.len() as i64 + exp;
    let scale = (frac.len() as i64 - exp).max(0) as usize;
    let (whole, fraction) = if point <= 0 {
        ("0".to_string(), format!("{}{digits}", "0".repeat((-point) as usize)))
    } else if point as usize >= digits.len() {
        (format!("{digits}{}", "0".repeat(point as usize - digits.len())), String::new())
    } else {
        (digits[..point as usize].to_string(), digits[point as usize..].to_string())
    };
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let mut fraction: String = fraction.chars().take(scale).collect();
    while fraction.len() < scale {
        fraction.push('0');
    }
    if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    }
}

fn canon(node: &mut Node) {
    let Some(inner) = node.node.as_mut() else { return };
    match inner {
        N::TypeCast(tc) => {
            // An interval constant is stored as the server reads it: `interval '3 minutes'`
            // prints back as `'00:03:00'::interval`.
            let interval = tc.type_name.as_ref().is_some_and(|t| name_of(&t.names) == "interval" && t.typmods.is_empty());
            if let (true, Some(N::AConst(c))) = (interval, tc.arg.as_mut().and_then(|a| a.node.as_mut())) {
                if let Some(a_const::Val::Sval(v)) = &mut c.val {
                    if let Some(text) = crate::interval::interval_text(&v.sval) {
                        v.sval = text;
                    }
                }
            }
            if let Some(arg) = tc.arg.take() {
                *node = *arg;
                canon(node);
            }
        }
        N::AConst(c) => {
            let text = match &c.val {
                Some(a_const::Val::Ival(i)) => Some(i.ival.to_string()),
                Some(a_const::Val::Fval(f)) => Some(numeric_text(&f.fval)),
                Some(a_const::Val::Boolval(b)) => Some(if b.boolval { "true" } else { "false" }.to_string()),
                _ => None,
            };
            if let Some(t) = text {
                c.val = Some(a_const::Val::Sval(protobuf::String { sval: t }));
            }
            c.location = 0;
        }
        N::AExpr(e) => {
            canon_opt(&mut e.lexpr);
            canon_opt(&mut e.rexpr);
            let name = name_of(&e.name);
            let kind = AExprKind::try_from(e.kind).unwrap_or(AExprKind::Undefined);
            match kind {
                AExprKind::AexprIn => {
                    let items = match e.rexpr.take().and_then(|r| r.node) {
                        Some(N::List(l)) => l.items,
                        Some(other) => vec![Node { node: Some(other) }],
                        None => vec![],
                    };
                    if items.len() == 1 {
                        // The server turns a one-element IN list into a plain comparison.
                        let item = items.into_iter().next().map(Box::new);
                        *node = aexpr(AExprKind::AexprOp, &name, e.lexpr.take(), item);
                    } else {
                        let arr = Node { node: Some(N::AArrayExpr(protobuf::AArrayExpr { elements: items, ..Default::default() })) };
                        let k = if name == "<>" { AExprKind::AexprOpAll } else { AExprKind::AexprOpAny };
                        *node = aexpr(k, &name, e.lexpr.take(), Some(Box::new(arr)));
                    }
                }
                AExprKind::AexprLike | AExprKind::AexprIlike | AExprKind::AexprSimilar => {
                    e.kind = AExprKind::AexprOp as i32;
                }
                AExprKind::AexprBetween | AExprKind::AexprNotBetween => {
                    let bounds = match e.rexpr.take().and_then(|r| r.node) {
                        Some(N::List(l)) => l.items,
                        _ => vec![],
                    };
                    if let ([lo, hi], Some(x)) = (bounds.as_slice(), e.lexpr.take()) {
                        let between = kind == AExprKind::AexprBetween;
                        let (o1, o2, b) = if between { (">=", "<=", BoolExprType::AndExpr) } else { ("<", ">", BoolExprType::OrExpr) };
                        let a1 = aexpr(AExprKind::AexprOp, o1, Some(x.clone()), Some(Box::new(lo.clone())));
                        let a2 = aexpr(AExprKind::AexprOp, o2, Some(x), Some(Box::new(hi.clone())));
                        *node = boolexpr(b, vec![a1, a2]);
                    }
                }
                _ => {}
            }
        }
        N::BoolExpr(b) => {
            canon_all(&mut b.args);
            // The server flattens AND-within-AND and OR-within-OR.
            if b.boolop != BoolExprType::NotExpr as i32 {
                let op = b.boolop;
                let mut flat = Vec::with_capacity(b.args.len());
                for a in b.args.drain(..) {
                    match a.node {
                        Some(N::BoolExpr(inner)) if inner.boolop == op => flat.extend(inner.args),
                        other => flat.push(Node { node: other }),
                    }
                }
                b.args = flat;
            }
        }
        N::FuncCall(f) => {
            if f.funcname.len() == 2 && name_of(&f.funcname[..1]) == "pg_catalog" {
                f.funcname.remove(0);
            }
            canon_all(&mut f.args);
        }
        N::NullTest(t) => canon_opt(&mut t.arg),
        N::BooleanTest(t) => canon_opt(&mut t.arg),
        N::CoalesceExpr(c) => canon_all(&mut c.args),
        N::MinMaxExpr(m) => canon_all(&mut m.args),
        N::CaseExpr(c) => {
            canon_opt(&mut c.arg);
            canon_all(&mut c.args);
            canon_opt(&mut c.defresult);
        }
        N::CaseWhen(w) => {
            canon_opt(&mut w.expr);
            canon_opt(&mut w.result);
        }
        N::AArrayExpr(a) => canon_all(&mut a.elements),
        N::List(l) => canon_all(&mut l.items),
        N::RowExpr(r) => canon_all(&mut r.args),
        N::CollateClause(c) => canon_opt(&mut c.arg),
        N::NamedArgExpr(a) => canon_opt(&mut a.arg),
        N::AIndirection(a) => canon_opt(&mut a.arg),
        N::SubLink(s) => canon_opt(&mut s.testexpr),
        _ => {}
    }
}

/// Column names an expression references (last field of each column reference), in order of
/// first appearance, without duplicates.
pub fn expr_columns(node: &Node) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Some(inner) = node.node.as_ref() else { return out };
    for n in crate::all_nodes(inner) {
        if let pg_query::NodeRef::ColumnRef(c) = n {
            if let Some(Some(N::String(s))) = c.fields.last().map(|f| &f.node) {
                if !out.contains(&s.sval) {
                    out.push(s.sval.clone());
                }
            }
        }
    }
    out
}

/// Rewrites column references named `old` to `new` in an expression given as SQL text.
pub fn rename_column_in_expr(text: &str, old: &str, new: &str) -> String {
    let Some(mut node) = crate::parse_expr(text) else { return text.to_string() };
    let Some(inner) = node.node.as_mut() else { return text.to_string() };
    // SAFETY: the pointers come from `inner`, which outlives the loop and is not otherwise
    // borrowed while they are used.
    unsafe {
        for (n, _, _) in inner.nodes_mut() {
            if let pg_query::NodeMut::ColumnRef(c) = n {
                let c = &mut *c;
                if let Some(Some(N::String(s))) = c.fields.last_mut().map(|f| &mut f.node) {
                    if s.sval == old {
                        s.sval = new.to_string();
                    }
                }
            }
        }
    }
    deparse_expr(&node).unwrap_or_else(|| text.to_string())
}

/// `table.col` (and `schema.table.col`) written in an index expression or predicate, where the
/// indexed table is the only one in scope, as the server stores it: `col`.
pub fn unqualify_columns(node: &Node, table: &str) -> Node {
    let mut node = node.clone();
    if let Some(inner) = node.node.as_mut() {
        // SAFETY: the pointers come from `inner`, which outlives the loop and is not otherwise
        // borrowed while they are used.
        unsafe {
            for (n, _, _) in inner.nodes_mut() {
                if let pg_query::NodeMut::ColumnRef(c) = n {
                    let c = &mut *c;
                    let names: Vec<Option<&str>> = c
                        .fields
                        .iter()
                        .map(|f| match &f.node {
                            Some(N::String(s)) => Some(s.sval.as_str()),
                            _ => None,
                        })
                        .collect();
                    if names.len() >= 2 && names[names.len() - 2] == Some(table) {
                        let last = c.fields.pop();
                        c.fields.clear();
                        c.fields.extend(last);
                    }
                }
            }
        }
    }
    node
}

#[cfg(test)]
mod numeric_tests {
    #[test]
    fn numeric_literals_read_as_the_server_prints_them() {
        for (lit, want) in [
            ("1e4", "10000"),
            ("1.5e-2", "0.015"),
            ("1.50", "1.50"),
            ("2.5E1", "25"),
            ("1.25e1", "12.5"),
            ("0.5", "0.5"),
            ("1e-3", "0.001"),
        ] {
            assert_eq!(super::numeric_text(lit), want, "{lit}");
        }
    }
}
