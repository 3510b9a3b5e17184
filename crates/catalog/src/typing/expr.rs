//! Types of expressions and queries over a catalog, as the server's parse analysis gives them:
//! column references through FROM, JOIN, sub-selects, CTEs and functions in FROM; literals of
//! type unknown; casts; operators and functions resolved by the server's rules; CASE, COALESCE,
//! ARRAY, VALUES and UNION unified by select_common_type; and the output columns' names as
//! FigureColname chooses them (`?column?`, a function's name, a cast's type).
use pgvet_syntax::protobuf::node::Node as N;
use pgvet_syntax::protobuf::{self, a_const::Val as C, Node};
use pgvet_syntax::NodeEnum;

use super::*;
use crate::model::{Catalog, QName};

/// An output or visible column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: Ty,
}

/// One FROM item as a query sees it.
#[derive(Debug, Clone)]
struct Item {
    name: String,
    schema: Option<String>,
    cols: Vec<Column>,
}

/// The names a query can see: its FROM items and CTEs, then the enclosing query's.
#[derive(Default)]
pub struct Scope<'s> {
    items: Vec<Item>,
    ctes: Vec<(String, Vec<Column>)>,
    parent: Option<&'s Scope<'s>>,
}

impl<'s> Scope<'s> {
    fn child(parent: Option<&'s Scope<'s>>) -> Scope<'s> {
        Scope { items: Vec::new(), ctes: Vec::new(), parent }
    }

    fn levels(&self) -> impl Iterator<Item = &Scope<'s>> {
        std::iter::successors(Some(self), |s| s.parent)
    }

    fn cte(&self, name: &str) -> Option<&Vec<Column>> {
        self.levels().find_map(|l| l.ctes.iter().find(|(n, _)| n == name).map(|(_, c)| c))
    }
}

fn strs(list: &[Node]) -> Vec<String> {
    list.iter()
        .filter_map(|n| match &n.node {
            Some(N::String(s)) => Some(s.sval.clone()),
            Some(N::AStar(_)) => Some("*".into()),
            _ => None,
        })
        .collect()
}

/// Types expressions and queries against a catalog.
pub struct Typer<'a> {
    pub cat: &'a Catalog,
    pub search_path: &'a [String],
    /// Views being typed (a guard against a view that reads itself).
    depth: std::cell::Cell<usize>,
}

impl<'a> Typer<'a> {
    pub fn new(cat: &'a Catalog, search_path: &'a [String]) -> Self {
        Typer { cat, search_path, depth: std::cell::Cell::new(0) }
    }

    fn resolve<T>(&self, schema: &str, name: &str, find: impl Fn(&QName) -> Option<T>) -> Option<(QName, T)> {
        if !schema.is_empty() {
            let q = QName::new(schema, name);
            return find(&q).map(|t| (q, t));
        }
        std::iter::once("pg_temp").chain(self.search_path.iter().map(String::as_str)).find_map(|s| {
            let q = QName::new(s, name);
            find(&q).map(|t| (q, t))
        })
    }

    /// A type as pgvet's catalog or format_type writes it (`character varying(80)`, `mood[]`,
    /// `public.status`).
    pub fn type_from_text(&self, text: &str) -> Ty {
        if let Some(t) = builtin_from_text(text) {
            return t;
        }
        let t = text.trim();
        if let Some(inner) = t.strip_suffix("[]") {
            return self.type_from_text(inner).array_of().unwrap_or(Ty::Opaque);
        }
        let (schema, name) = crate::replay::eval::split_name(t);
        self.user_type(&schema, &name).unwrap_or(Ty::Opaque)
    }

    fn user_type(&self, schema: &str, name: &str) -> Option<Ty> {
        if let Some((q, _)) = self.resolve(schema, name, |q| self.cat.enums.get(q)) {
            return Some(Ty::Enum(q, false));
        }
        if let Some((q, d)) = self.resolve(schema, name, |q| self.cat.domains.get(q).map(|d| d.base_type.clone())) {
            return Some(Ty::Domain(q, Box::new(self.type_from_text(&d))));
        }
        if let Some((q, _)) =
            self.resolve(schema, name, |q| self.cat.tables.get(q).map(|_| ()).or_else(|| self.cat.views.get(q).map(|_| ())))
        {
            return Some(Ty::Row(q, false));
        }
        None
    }

    /// A TypeName of the parse tree, with its modifiers.
    pub fn type_name(&self, tn: &protobuf::TypeName) -> Ty {
        let r = crate::types::type_ref(tn);
        if r.pct_type.is_some() {
            return Ty::Opaque;
        }
        let base = match (&r.schema, crate::types::builtin_display(&r.name)) {
            (None, Some(d)) | (Some(_), Some(d)) if r.schema.as_deref().is_none_or(|s| s == "pg_catalog") => {
                data().by_name(d).map(|o| Ty::B(o, Vec::new()))
            }
            _ => None,
        };
        let base = base
            .or_else(|| if r.schema.as_deref().is_none_or(|s| s == "pg_catalog") { data().by_name(&r.name).map(Ty::b) } else { None })
            .or_else(|| self.user_type(r.schema.as_deref().unwrap_or(""), &r.name));
        let Some(mut t) = base else { return Ty::Opaque };
        if let Ty::B(o, m) = &mut t {
            *m = if *o == oid::INTERVAL && r.typmods.len() == 1 && tn.typmods.len() == 1 {
                vec![0x7FFF, r.typmods[0]]
            } else {
                r.typmods.clone()
            };
            // numeric(p) is numeric(p,0).
            if *o == oid::NUMERIC && m.len() == 1 {
                m.push(0);
            }
        }
        if r.array {
            let mods = match &t {
                Ty::B(_, m) => m.clone(),
                _ => Vec::new(),
            };
            t = match t.array_of() {
                Some(Ty::B(o, _)) => Ty::B(o, mods),
                Some(a) => a,
                None => Ty::Opaque,
            };
        }
        t
    }

    /// The columns of a table, a view (its query typed) or a CTE visible in `sc`.
    fn relation_columns(&self, rv: &protobuf::RangeVar, sc: &Scope) -> Option<Vec<Column>> {
        if rv.schemaname.is_empty() {
            if let Some(c) = sc.cte(&rv.relname) {
                return Some(c.clone());
            }
        }
        if let Some((_, t)) = self.resolve(&rv.schemaname, &rv.relname, |q| self.cat.tables.get(q)) {
            if t.incomplete {
                return None;
            }
            return Some(t.columns.iter().map(|c| Column { name: c.name.clone(), ty: self.type_from_text(&c.type_name) }).collect());
        }
        let (_, v) = self.resolve(&rv.schemaname, &rv.relname, |q| self.cat.views.get(q))?;
        self.view_columns(v)
    }

    /// A view's columns: its query's, renamed by its column list.
    pub fn view_columns(&self, v: &crate::model::View) -> Option<Vec<Column>> {
        if self.depth.get() > 16 {
            return None;
        }
        self.depth.set(self.depth.get() + 1);
        let parsed = pgvet_syntax::parse_sql(&v.query);
        let cols = match parsed.statements.first().map(|s| &s.node) {
            Some(NodeEnum::SelectStmt(s)) => self.select(s, None),
            _ => None,
        };
        self.depth.set(self.depth.get() - 1);
        let mut cols = cols?;
        for (c, a) in cols.iter_mut().zip(&v.aliases) {
            c.name = a.clone();
        }
        Some(cols)
    }

    /// The output columns of a query (`CREATE TABLE ... AS`, `SELECT ... INTO`, a view);
    /// untyped literals come out as text, as the server resolves them. None when pgvet cannot
    /// see the query's columns at all (a relation it does not know whole).
    pub fn query_columns(&self, node: &NodeEnum) -> Option<Vec<Column>> {
        let cols = match node {
            NodeEnum::SelectStmt(s) => self.select(s, None)?,
            _ => return None,
        };
        Some(cols.into_iter().map(|c| Column { ty: if matches!(c.ty, Ty::Unknown) { Ty::b(oid::TEXT) } else { c.ty }, ..c }).collect())
    }

    fn select(&self, s: &protobuf::SelectStmt, parent: Option<&Scope>) -> Option<Vec<Column>> {
        let mut sc = Scope::child(parent);
        if let Some(w) = &s.with_clause {
            for c in &w.ctes {
                let Some(N::CommonTableExpr(cte)) = &c.node else { continue };
                let cols = match cte.ctequery.as_deref().and_then(|q| q.node.as_ref()) {
                    Some(N::SelectStmt(q)) => self.select(q, Some(&sc)),
                    _ => None,
                };
                let Some(mut cols) = cols else {
                    sc.ctes.push((cte.ctename.clone(), Vec::new()));
                    continue;
                };
                for (c, a) in cols.iter_mut().zip(strs(&cte.aliascolnames)) {
                    c.name = a;
                }
                sc.ctes.push((cte.ctename.clone(), cols));
            }
        }
        if !s.values_lists.is_empty() {
            let rows: Vec<Vec<Ty>> = s
                .values_lists
                .iter()
                .map(|l| match &l.node {
                    Some(N::List(l)) => l.items.iter().map(|e| self.expr(e, &sc)).collect(),
                    _ => Vec::new(),
                })
                .collect();
            let width = rows.first()?.len();
            return Some(
                (0..width)
                    .map(|i| {
                        let col: Vec<Ty> = rows.iter().map(|r| r.get(i).cloned().unwrap_or(Ty::Opaque)).collect();
                        Column { name: format!("column{}", i + 1), ty: select_common_type(&col).unwrap_or(Ty::Opaque) }
                    })
                    .collect(),
            );
        }
        if s.op != protobuf::SetOperation::SetopNone as i32 {
            let l = self.select(s.larg.as_deref()?, Some(&sc))?;
            let r = self.select(s.rarg.as_deref()?, Some(&sc))?;
            return Some(
                l.into_iter()
                    .zip(r)
                    .map(|(a, b)| {
                        let ty = select_common_type(&[a.ty.clone(), b.ty.clone()]).unwrap_or(Ty::Opaque);
                        Column { name: a.name, ty }
                    })
                    .collect(),
            );
        }
        for f in &s.from_clause {
            self.add_from_item(f, &mut sc)?;
        }
        let mut out = Vec::new();
        for t in &s.target_list {
            let Some(N::ResTarget(rt)) = &t.node else { continue };
            let Some(val) = rt.val.as_deref() else { continue };
            if let Some(N::ColumnRef(c)) = &val.node {
                let names = strs(&c.fields);
                if names.last().map(String::as_str) == Some("*") {
                    match names.as_slice() {
                        [_] => out.extend(sc.items.iter().flat_map(|i| i.cols.clone())),
                        [t, _] => out.extend(sc.items.iter().find(|i| i.name == *t)?.cols.clone()),
                        _ => return None,
                    }
                    continue;
                }
            }
            let name = if rt.name.is_empty() { figure_colname(val).0 } else { rt.name.clone() };
            out.push(Column { name, ty: self.expr(val, &sc) });
        }
        Some(out)
    }

    /// Adds a FROM item's columns to the scope (None: pgvet cannot see them).
    fn add_from_item(&self, f: &Node, sc: &mut Scope) -> Option<()> {
        match f.node.as_ref()? {
            N::RangeVar(rv) => {
                let mut cols = self.relation_columns(rv, sc)?;
                let alias = rv.alias.as_ref();
                if let Some(a) = alias {
                    for (c, n) in cols.iter_mut().zip(strs(&a.colnames)) {
                        c.name = n;
                    }
                }
                let name = alias.map(|a| a.aliasname.clone()).unwrap_or_else(|| rv.relname.clone());
                let schema = if alias.is_some() || rv.schemaname.is_empty() { None } else { Some(rv.schemaname.clone()) };
                sc.items.push(Item { name, schema, cols });
            }
            N::RangeSubselect(r) => {
                let cols = match r.subquery.as_deref()?.node.as_ref()? {
                    N::SelectStmt(q) => self.select(q, if r.lateral { Some(sc) } else { sc.parent })?,
                    _ => return None,
                };
                let mut cols: Vec<Column> = cols
                    .into_iter()
                    .map(|c| Column { ty: if matches!(c.ty, Ty::Unknown) { Ty::b(oid::TEXT) } else { c.ty }, ..c })
                    .collect();
                let alias = r.alias.as_ref();
                if let Some(a) = alias {
                    for (c, n) in cols.iter_mut().zip(strs(&a.colnames)) {
                        c.name = n;
                    }
                }
                sc.items.push(Item { name: alias.map(|a| a.aliasname.clone()).unwrap_or_default(), schema: None, cols });
            }
            N::JoinExpr(j) => {
                let before = sc.items.len();
                self.add_from_item(j.larg.as_deref()?, sc)?;
                let mid = sc.items.len();
                self.add_from_item(j.rarg.as_deref()?, sc)?;
                let using: Vec<String> = strs(&j.using_clause);
                if !using.is_empty() || j.is_natural {
                    // The merged columns once, first; then the others of each side.
                    let left: Vec<Column> = sc.items[before..mid].iter().flat_map(|i| i.cols.clone()).collect();
                    let right: Vec<Column> = sc.items[mid..].iter().flat_map(|i| i.cols.clone()).collect();
                    let merged: Vec<String> = if j.is_natural {
                        left.iter().filter(|c| right.iter().any(|r| r.name == c.name)).map(|c| c.name.clone()).collect()
                    } else {
                        using
                    };
                    let mut cols: Vec<Column> = merged
                        .iter()
                        .filter_map(|m| {
                            let l = left.iter().find(|c| c.name == *m)?;
                            let r = right.iter().find(|c| c.name == *m)?;
                            Some(Column { name: m.clone(), ty: select_common_type(&[l.ty.clone(), r.ty.clone()]).unwrap_or(Ty::Opaque) })
                        })
                        .collect();
                    cols.extend(left.into_iter().filter(|c| !merged.contains(&c.name)));
                    cols.extend(right.into_iter().filter(|c| !merged.contains(&c.name)));
                    let named: Vec<Item> = sc.items.drain(before..).collect();
                    // The join's own columns (for `*`), then its sides (for qualified names).
                    sc.items.push(Item { name: j.alias.as_ref().map(|a| a.aliasname.clone()).unwrap_or_default(), schema: None, cols });
                    if j.alias.is_none() {
                        sc.items.extend(named.into_iter().map(|mut i| {
                            i.cols.clear();
                            i
                        }));
                    }
                } else if let Some(a) = &j.alias {
                    let cols: Vec<Column> = sc.items.drain(before..).flat_map(|i| i.cols).collect();
                    sc.items.push(Item { name: a.aliasname.clone(), schema: None, cols });
                }
            }
            N::RangeFunction(rf) => {
                let mut cols = Vec::new();
                for f in &rf.functions {
                    let Some(N::List(l)) = &f.node else { return None };
                    let call = l.items.first()?;
                    let Some(N::FuncCall(fc)) = &call.node else { return None };
                    let (ty, cand) = self.func_call(fc, sc);
                    let fname = strs(&fc.funcname).pop().unwrap_or_default();
                    match cand {
                        Some(c) if !c.out.is_empty() => cols.extend(c.out.into_iter().map(|(name, ty)| Column { name, ty })),
                        _ => match &ty {
                            Ty::Row(q, false) => cols.extend(self.relation_columns(
                                &protobuf::RangeVar { schemaname: q.schema.clone(), relname: q.name.clone(), ..Default::default() },
                                sc,
                            )?),
                            _ => cols.push(Column { name: fname, ty }),
                        },
                    }
                }
                if rf.ordinality {
                    cols.push(Column { name: "ordinality".into(), ty: Ty::b(oid::INT8) });
                }
                let alias = rf.alias.as_ref();
                let fname = cols.first().map(|c| c.name.clone()).unwrap_or_default();
                if let Some(a) = alias {
                    let names = strs(&a.colnames);
                    if cols.len() == 1 && names.is_empty() {
                        // A scalar function's one column is named after the alias.
                        cols[0].name = a.aliasname.clone();
                    }
                    for (c, n) in cols.iter_mut().zip(names) {
                        c.name = n;
                    }
                }
                sc.items.push(Item { name: alias.map(|a| a.aliasname.clone()).unwrap_or(fname), schema: None, cols });
            }
            _ => return None,
        }
        Some(())
    }

    fn column_ref(&self, c: &protobuf::ColumnRef, sc: &Scope) -> Ty {
        let names = strs(&c.fields);
        let find = |item: &Item, col: &str| item.cols.iter().find(|c| c.name == col).map(|c| c.ty.clone());
        match names.as_slice() {
            [col] => {
                for l in sc.levels() {
                    for i in &l.items {
                        if let Some(t) = find(i, col) {
                            return t;
                        }
                    }
                }
                Ty::Opaque
            }
            [t, col] => {
                for l in sc.levels() {
                    if let Some(i) = l.items.iter().find(|i| i.name == *t) {
                        return find(i, col).unwrap_or(Ty::Opaque);
                    }
                }
                Ty::Opaque
            }
            [s, t, col] => {
                for l in sc.levels() {
                    if let Some(i) = l.items.iter().find(|i| i.name == *t && i.schema.as_deref() == Some(s.as_str())) {
                        return find(i, col).unwrap_or(Ty::Opaque);
                    }
                }
                Ty::Opaque
            }
            _ => Ty::Opaque,
        }
    }

    /// The type of an expression (Opaque when pgvet cannot tell).
    pub fn expr(&self, n: &Node, sc: &Scope) -> Ty {
        let Some(node) = n.node.as_ref() else { return Ty::Unknown };
        match node {
            N::AConst(c) => match &c.val {
                _ if c.isnull => Ty::Unknown,
                Some(C::Ival(_)) => Ty::b(oid::INT4),
                Some(C::Fval(f)) => {
                    let integral = f.fval.chars().all(|c| c.is_ascii_digit() || c == '-');
                    if integral && f.fval.parse::<i64>().is_ok() {
                        Ty::b(oid::INT8)
                    } else {
                        Ty::b(oid::NUMERIC)
                    }
                }
                Some(C::Sval(_)) => Ty::Unknown,
                Some(C::Bsval(_)) => data().by_name("bit").map(Ty::b).unwrap_or(Ty::Opaque),
                Some(C::Boolval(_)) => Ty::b(oid::BOOL),
                None => Ty::Unknown,
            },
            N::TypeCast(tc) => tc.type_name.as_ref().map(|t| self.type_name(t)).unwrap_or(Ty::Opaque),
            N::ColumnRef(c) => self.column_ref(c, sc),
            N::ParamRef(_) => Ty::Unknown,
            N::AExpr(e) => self.aexpr(e, sc),
            N::BoolExpr(_) | N::NullTest(_) | N::BooleanTest(_) => Ty::b(oid::BOOL),
            N::FuncCall(f) => self.func_call(f, sc).0,
            N::CaseExpr(c) => {
                let mut results: Vec<Ty> = c
                    .args
                    .iter()
                    .filter_map(|w| match &w.node {
                        Some(N::CaseWhen(w)) => w.result.as_deref().map(|r| self.expr(r, sc)),
                        _ => None,
                    })
                    .collect();
                results.push(c.defresult.as_deref().map(|d| self.expr(d, sc)).unwrap_or(Ty::Unknown));
                common_or_opaque(&results)
            }
            N::CoalesceExpr(c) => common_or_opaque(&c.args.iter().map(|a| self.expr(a, sc)).collect::<Vec<_>>()),
            N::MinMaxExpr(m) => common_or_opaque(&m.args.iter().map(|a| self.expr(a, sc)).collect::<Vec<_>>()),
            N::AArrayExpr(a) => {
                if a.elements.is_empty() {
                    return Ty::Opaque;
                }
                let elems: Vec<Ty> = a.elements.iter().map(|e| self.expr(e, sc)).collect();
                let t = common_or_opaque(&elems).without_typmod();
                if t.is_array() {
                    t
                } else {
                    t.array_of().unwrap_or(Ty::Opaque)
                }
            }
            N::SubLink(s) => {
                use protobuf::SubLinkType as T;
                let first = || -> Ty {
                    match s.subselect.as_deref().and_then(|q| q.node.as_ref()) {
                        Some(N::SelectStmt(q)) => self
                            .select(q, Some(sc))
                            .and_then(|c| c.into_iter().next())
                            .map(|c| if matches!(c.ty, Ty::Unknown) { Ty::b(oid::TEXT) } else { c.ty })
                            .unwrap_or(Ty::Opaque),
                        _ => Ty::Opaque,
                    }
                };
                match T::try_from(s.sub_link_type) {
                    Ok(T::ExprSublink) => first(),
                    Ok(T::ArraySublink) => first().array_of().unwrap_or(Ty::Opaque),
                    Ok(T::ExistsSublink | T::AnySublink | T::AllSublink) => Ty::b(oid::BOOL),
                    _ => Ty::Opaque,
                }
            }
            N::SqlvalueFunction(f) => Ty::b(match f.op {
                1 => oid::DATE,
                2 | 3 => oid::TIMETZ,
                4 | 5 => oid::TIMESTAMPTZ,
                6 | 7 => oid::TIME,
                8 | 9 => oid::TIMESTAMP,
                _ => oid::NAME,
            }),
            N::RowExpr(_) => Ty::b(oid::RECORD),
            N::CollateClause(c) => c.arg.as_deref().map(|a| self.expr(a, sc)).unwrap_or(Ty::Opaque),
            N::AIndirection(ind) => {
                let mut t = ind.arg.as_deref().map(|a| self.expr(a, sc)).unwrap_or(Ty::Opaque);
                for i in &ind.indirection {
                    t = match &i.node {
                        Some(N::AIndices(x)) if !x.is_slice => t.elem().unwrap_or(Ty::Opaque),
                        Some(N::AIndices(_)) => t.without_typmod(),
                        Some(N::String(field)) => match t.base() {
                            Ty::Row(q, false) => self
                                .relation_columns(
                                    &protobuf::RangeVar { schemaname: q.schema.clone(), relname: q.name.clone(), ..Default::default() },
                                    sc,
                                )
                                .and_then(|cols| cols.into_iter().find(|c| c.name == field.sval).map(|c| c.ty))
                                .unwrap_or(Ty::Opaque),
                            _ => Ty::Opaque,
                        },
                        _ => Ty::Opaque,
                    };
                }
                t
            }
            N::GroupingFunc(_) => Ty::b(oid::INT4),
            N::NamedArgExpr(a) => a.arg.as_deref().map(|x| self.expr(x, sc)).unwrap_or(Ty::Opaque),
            _ => Ty::Opaque,
        }
    }

    fn aexpr(&self, e: &protobuf::AExpr, sc: &Scope) -> Ty {
        use protobuf::AExprKind as K;
        let name = e
            .name
            .iter()
            .filter_map(|n| match &n.node {
                Some(N::String(s)) => Some(s.sval.as_str()),
                _ => None,
            })
            .next_back()
            .unwrap_or("");
        match K::try_from(e.kind) {
            Ok(K::AexprOp) => {
                let r = e.rexpr.as_deref().map(|x| self.expr(x, sc)).unwrap_or(Ty::Opaque);
                let l = e.lexpr.as_deref().map(|x| self.expr(x, sc));
                if matches!(r, Ty::Opaque) || matches!(l, Some(Ty::Opaque)) {
                    return Ty::Opaque;
                }
                match resolve_operator(name, l.as_ref(), &r) {
                    Ok(c) => c.ret,
                    Err(_) => Ty::Opaque,
                }
            }
            Ok(K::AexprNullif) => e.lexpr.as_deref().map(|x| self.expr(x, sc)).unwrap_or(Ty::Opaque),
            Ok(_) => Ty::b(oid::BOOL),
            Err(_) => Ty::Opaque,
        }
    }

    /// The candidates a call by name can reach: built-ins and the catalog's functions.
    pub fn candidates(&self, names: &[String], nargs: usize) -> Vec<Candidate> {
        let (schema, fname) = match names {
            [s, f] => (Some(s.as_str()), f.as_str()),
            [f] => (None, f.as_str()),
            _ => return Vec::new(),
        };
        let mut out = builtin_candidates(schema, fname, nargs);
        let schemas: Vec<&str> = match schema {
            Some(s) => vec![s],
            None => self.search_path.iter().map(String::as_str).collect(),
        };
        for f in self.cat.functions.values().filter(|f| f.name.name == fname && schemas.contains(&f.name.schema.as_str())) {
            if f.origin.is_builtin() && out.iter().any(|c| c.signature.starts_with(&format!("{fname}("))) {
                continue;
            }
            let inputs: Vec<&crate::model::FunctionArg> = f.args.iter().filter(|a| matches!(a.mode, "in" | "inout" | "variadic")).collect();
            let declared: Vec<Ty> = inputs.iter().map(|a| self.type_from_text(&a.type_name)).collect();
            let ndefaults = inputs.iter().filter(|a| a.has_default).count();
            let variadic = inputs.iter().any(|a| a.mode == "variadic");
            let Some(args) = expand_args(&declared, ndefaults, variadic, nargs) else { continue };
            let returns = f.returns.clone().unwrap_or_else(|| "void".into());
            let (retset, ret_text) = match returns.strip_prefix("SETOF ") {
                Some(r) => (true, r.to_string()),
                None => (false, returns),
            };
            let out_cols: Vec<(String, Ty)> = f
                .args
                .iter()
                .filter(|a| matches!(a.mode, "out" | "inout" | "table"))
                .map(|a| (a.name.clone().unwrap_or_default(), self.type_from_text(&a.type_name)))
                .collect();
            out.push(Candidate {
                signature: format!("{}({})", f.name.name, declared.iter().map(|t| t.display()).collect::<Vec<_>>().join(", ")),
                args,
                ret: if out_cols.len() > 1 {
                    Ty::b(oid::RECORD)
                } else if out_cols.len() == 1 {
                    out_cols[0].1.clone()
                } else {
                    self.type_from_text(&ret_text)
                },
                retset: retset || f.args.iter().any(|a| a.mode == "table"),
                out: if out_cols.len() > 1 { out_cols } else { Vec::new() },
                kind: if f.procedure { 'p' } else { 'f' },
            });
        }
        out
    }

    /// A call's result type and the candidate it resolves to.
    fn func_call(&self, f: &protobuf::FuncCall, sc: &Scope) -> (Ty, Option<Candidate>) {
        let names = strs(&f.funcname);
        let args: Vec<Ty> = if f.agg_star { Vec::new() } else { f.args.iter().map(|a| self.expr(a, sc)).collect() };
        if args.iter().any(|a| matches!(a, Ty::Opaque)) {
            return (Ty::Opaque, None);
        }
        let names: Vec<String> =
            if names.first().map(String::as_str) == Some("pg_catalog") && names.len() == 2 { vec![names[1].clone()] } else { names };
        let cands = self.candidates(&names, args.len());
        match select_candidate(&cands, &args) {
            Ok(c) => (c.ret.clone(), Some(c)),
            Err(_) => (Ty::Opaque, None),
        }
    }
}

fn common_or_opaque(types: &[Ty]) -> Ty {
    select_common_type(types).unwrap_or(Ty::Opaque)
}

/// The name the server gives an output column without an alias (FigureColname), with its
/// strength: 2 for a column or function name, 1 for a weaker guess, 0 for `?column?`.
pub fn figure_colname(n: &Node) -> (String, u8) {
    let last = |l: &[Node]| strs(l).into_iter().rfind(|s| s != "*");
    match n.node.as_ref() {
        Some(N::ColumnRef(c)) => match last(&c.fields) {
            Some(s) => (s, 2),
            None => ("?column?".into(), 0),
        },
        Some(N::AIndirection(i)) => {
            if let Some(s) = i.indirection.iter().rev().find_map(|x| match &x.node {
                Some(N::String(s)) => Some(s.sval.clone()),
                _ => None,
            }) {
                return (s, 2);
            }
            i.arg.as_deref().map(figure_colname).unwrap_or(("?column?".into(), 0))
        }
        Some(N::FuncCall(f)) => match last(&f.funcname) {
            Some(s) => (s, 2),
            None => ("?column?".into(), 0),
        },
        Some(N::AExpr(e)) if e.kind == protobuf::AExprKind::AexprNullif as i32 => ("nullif".into(), 2),
        Some(N::TypeCast(tc)) => {
            let inner = tc.arg.as_deref().map(figure_colname).unwrap_or(("?column?".into(), 0));
            if inner.1 > 0 {
                return inner;
            }
            match tc.type_name.as_ref().and_then(|t| last(&t.names)) {
                Some(s) => (s, 1),
                None => inner,
            }
        }
        Some(N::CollateClause(c)) => c.arg.as_deref().map(figure_colname).unwrap_or(("?column?".into(), 0)),
        Some(N::GroupingFunc(_)) => ("grouping".into(), 2),
        Some(N::SubLink(s)) => {
            use protobuf::SubLinkType as T;
            match T::try_from(s.sub_link_type) {
                Ok(T::ExistsSublink) => ("exists".into(), 2),
                Ok(T::ArraySublink) => ("array".into(), 2),
                Ok(T::ExprSublink) => match s.subselect.as_deref().and_then(|q| q.node.as_ref()) {
                    Some(N::SelectStmt(q)) => match q.target_list.first().and_then(|t| t.node.as_ref()) {
                        Some(N::ResTarget(rt)) if !rt.name.is_empty() => (rt.name.clone(), 2),
                        Some(N::ResTarget(rt)) => rt.val.as_deref().map(figure_colname).unwrap_or(("?column?".into(), 0)),
                        _ => ("?column?".into(), 0),
                    },
                    _ => ("?column?".into(), 0),
                },
                _ => ("?column?".into(), 0),
            }
        }
        Some(N::CaseExpr(c)) => {
            let inner = c.defresult.as_deref().map(figure_colname).unwrap_or(("?column?".into(), 0));
            if inner.1 <= 1 {
                ("case".into(), 1)
            } else {
                inner
            }
        }
        Some(N::AArrayExpr(_)) => ("array".into(), 2),
        Some(N::RowExpr(_)) => ("row".into(), 2),
        Some(N::CoalesceExpr(_)) => ("coalesce".into(), 2),
        Some(N::MinMaxExpr(m)) => (if m.op == protobuf::MinMaxOp::IsGreatest as i32 { "greatest" } else { "least" }.into(), 2),
        Some(N::SqlvalueFunction(f)) => (
            match f.op {
                1 => "current_date",
                2 | 3 => "current_time",
                4 | 5 => "current_timestamp",
                6 | 7 => "localtime",
                8 | 9 => "localtimestamp",
                10 => "current_role",
                11 => "current_user",
                12 => "user",
                13 => "session_user",
                14 => "current_catalog",
                _ => "current_schema",
            }
            .into(),
            2,
        ),
        _ => ("?column?".into(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(setup: &str, query: &str) -> Vec<(String, String)> {
        let mut r = crate::Replayer::new(Catalog::new());
        for s in pgvet_syntax::parse_sql(setup).statements {
            r.apply(0, &s);
        }
        let path = vec!["public".to_string()];
        let t = Typer::new(&r.catalog, &path);
        let parsed = pgvet_syntax::parse_sql(query);
        t.query_columns(&parsed.statements[0].node).unwrap().into_iter().map(|c| (c.name, c.ty.display())).collect()
    }

    #[test]
    fn literals_operators_and_functions() {
        let got = cols(
            "CREATE TABLE c (id int, name varchar(80), born date, score numeric(6,2));",
            "SELECT id, name, born + 1, born + interval '1 day' AS ts, score * 2, coalesce(score, 0), 'v1', 1, 2.5, NULL, now(), upper(name), id + 1, ARRAY[1, 2], count(*), sum(score), 1::bigint, '{}'::jsonb, CASE WHEN score > 1 THEN 'a' ELSE 'b' END FROM c",
        );
        let want = [
            ("id", "integer"),
            ("name", "character varying(80)"),
            ("?column?", "date"),
            ("ts", "timestamp without time zone"),
            ("?column?", "numeric"),
            ("coalesce", "numeric"),
            ("?column?", "text"),
            ("?column?", "integer"),
            ("?column?", "numeric"),
            ("?column?", "text"),
            ("now", "timestamp with time zone"),
            ("upper", "text"),
            ("?column?", "integer"),
            ("array", "integer[]"),
            ("count", "bigint"),
            ("sum", "numeric"),
            ("int8", "bigint"),
            ("jsonb", "jsonb"),
            ("case", "text"),
        ];
        assert_eq!(got, want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>());
    }
}
