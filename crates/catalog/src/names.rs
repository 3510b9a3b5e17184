//! PostgreSQL's rules for the names it invents (src/backend/commands/indexcmds.c and
//! catalog/pg_constraint.c): `t_pkey`, `t_a_b_key`, `t_a_fkey`, `t_a_idx`, `t_a_excl`,
//! `t_a_check`, `t_a_seq`; truncation to 63 bytes, longer part first; a number appended to the
//! label on collision (`t_a_key1`).
use pgvet_syntax::protobuf::node::Node as N;
use pgvet_syntax::protobuf::Node;

use crate::model::{Catalog, QName};

pub const NAMEDATALEN: usize = 64;

/// Largest prefix of `s` of at most `n` bytes that ends on a character boundary (`pg_mbcliplen`).
fn clip(s: &str, n: usize) -> &str {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

/// `makeObjectName`: `name1[_name2][_label]`, truncated to fit in NAMEDATALEN-1 bytes.
pub fn make_object_name(name1: &str, name2: Option<&str>, label: Option<&str>) -> String {
    let mut overhead = 0;
    let (mut n1, mut n2) = (name1.len(), 0);
    if let Some(n) = name2 {
        n2 = n.len();
        overhead += 1;
    }
    if let Some(l) = label {
        overhead += l.len() + 1;
    }
    let avail = (NAMEDATALEN - 1).saturating_sub(overhead);
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = clip(name1, n1).to_string();
    if let Some(n) = name2 {
        out.push('_');
        out.push_str(clip(n, n2));
    }
    if let Some(l) = label {
        out.push('_');
        out.push_str(l);
    }
    out
}

/// `ChooseRelationName`: a name not used by any relation in the schema (and, for indexes that
/// implement constraints, by no constraint in the schema either).
pub fn choose_relation_name(
    cat: &Catalog,
    name1: &str,
    name2: Option<&str>,
    label: &str,
    schema: &str,
    is_constraint: bool,
    taken: &[String],
) -> String {
    let mut pass = 0;
    let mut modlabel = label.to_string();
    loop {
        let name = make_object_name(name1, name2, Some(&modlabel));
        let q = QName::new(schema, name.as_str());
        let used = cat.relation_exists(&q) || taken.contains(&name) || (is_constraint && cat.constraint_name_used(schema, &name));
        if !used {
            return name;
        }
        pass += 1;
        modlabel = format!("{label}{pass}");
    }
}

/// `ChooseConstraintName`: a name no constraint in the schema uses (nor any in `others`).
pub fn choose_constraint_name(cat: &Catalog, name1: &str, name2: Option<&str>, label: &str, schema: &str, others: &[String]) -> String {
    let mut pass = 0;
    let mut modlabel = label.to_string();
    loop {
        let name = make_object_name(name1, name2, Some(&modlabel));
        if !others.contains(&name) && !cat.constraint_name_used(schema, &name) {
            return name;
        }
        pass += 1;
        modlabel = format!("{label}{pass}");
    }
}

/// `ChooseIndexNameAddition` / `ChooseForeignKeyConstraintNameAddition`: names joined by `_`,
/// stopping once the result reaches NAMEDATALEN bytes.
pub fn name_addition(names: &[String]) -> String {
    let mut buf = String::new();
    for n in names {
        if !buf.is_empty() {
            buf.push('_');
        }
        buf.push_str(clip(n, NAMEDATALEN - 1));
        if buf.len() >= NAMEDATALEN {
            break;
        }
    }
    buf
}

/// `ChooseIndexColumnNames`: each key's name (column name, or what `FigureIndexColname` makes
/// of an expression, else `expr`), made unique by appending digits.
pub fn index_column_names(orig: &[String]) -> Vec<String> {
    let mut result: Vec<String> = Vec::new();
    for o in orig {
        let mut cur = o.clone();
        let mut i = 1;
        while result.contains(&cur) {
            let nbuf = i.to_string();
            cur = format!("{}{}", clip(o, NAMEDATALEN - 1 - nbuf.len()), nbuf);
            i += 1;
        }
        result.push(cur);
    }
    result
}

/// `FigureIndexColname`: the name an index expression contributes to the index name.
pub fn figure_index_colname(node: &Node) -> Option<String> {
    match node.node.as_ref()? {
        N::ColumnRef(c) => match c.fields.last()?.node.as_ref()? {
            N::String(s) => Some(s.sval.clone()),
            _ => None,
        },
        N::AIndirection(a) => {
            for ind in a.indirection.iter().rev() {
                if let Some(N::String(s)) = &ind.node {
                    return Some(s.sval.clone());
                }
            }
            figure_index_colname(a.arg.as_deref()?)
        }
        N::FuncCall(f) => match f.funcname.last()?.node.as_ref()? {
            N::String(s) => Some(s.sval.clone()),
            _ => None,
        },
        N::AExpr(e) if e.kind == pgvet_syntax::protobuf::AExprKind::AexprNullif as i32 => Some("nullif".into()),
        N::TypeCast(t) => figure_index_colname(t.arg.as_deref()?).or_else(|| {
            t.type_name.as_ref()?.names.last().and_then(|n| match &n.node {
                Some(N::String(s)) => Some(s.sval.clone()),
                _ => None,
            })
        }),
        N::CollateClause(c) => figure_index_colname(c.arg.as_deref()?),
        N::CaseExpr(_) => Some("case".into()),
        N::AArrayExpr(_) => Some("array".into()),
        N::RowExpr(_) => Some("row".into()),
        N::CoalesceExpr(_) => Some("coalesce".into()),
        N::MinMaxExpr(m) => Some(if m.op == 1 { "greatest" } else { "least" }.into()),
        N::SqlvalueFunction(f) => Some(sql_value_function_name(f.op).into()),
        N::XmlExpr(_) => Some("xmlconcat".into()),
        _ => None,
    }
}

fn sql_value_function_name(op: i32) -> &'static str {
    use pgvet_syntax::protobuf::SqlValueFunctionOp as O;
    match O::try_from(op).unwrap_or(O::SqlvalueFunctionOpUndefined) {
        O::SvfopCurrentDate => "current_date",
        O::SvfopCurrentTime | O::SvfopCurrentTimeN => "current_time",
        O::SvfopCurrentTimestamp | O::SvfopCurrentTimestampN => "current_timestamp",
        O::SvfopLocaltime | O::SvfopLocaltimeN => "localtime",
        O::SvfopLocaltimestamp | O::SvfopLocaltimestampN => "localtimestamp",
        O::SvfopCurrentRole => "current_role",
        O::SvfopCurrentUser => "current_user",
        O::SvfopUser => "user",
        O::SvfopSessionUser => "session_user",
        O::SvfopCurrentCatalog => "current_catalog",
        O::SvfopCurrentSchema => "current_schema",
        _ => "expr",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_the_longer_name_first() {
        let t = "a".repeat(60);
        let n = make_object_name(&t, Some("col"), Some("key"));
        assert_eq!(n.len(), 63);
        assert!(n.ends_with("_col_key"));
        assert_eq!(make_object_name("t", None, Some("pkey")), "t_pkey");
    }

    #[test]
    fn duplicate_index_column_names_get_numbers() {
        let v = index_column_names(&["expr".into(), "expr".into(), "a".into(), "expr".into()]);
        assert_eq!(v, vec!["expr", "expr1", "a", "expr2"]);
    }
}
