//! Name resolution for DML and queries, the way PostgreSQL's parse analysis does it: relations
//! through the search path (CTEs first), column references through the FROM items of each query
//! level and then the outer levels, and function calls by name and argument count (honouring
//! defaults and VARIADIC). PL/pgSQL variables and function parameters are names too.
//!
//! Whatever pgvet cannot see through (a view's columns, a set-returning function's record, a
//! construct it does not model) makes the names that could depend on it *unknown*, never missing:
//! only what the server would certainly reject is reported.
use pgvet_catalog::{Catalog, FunctionKey, QName};
use pgvet_syntax::protobuf::{self, node::Node as N, Node, SetOperation};
use pgvet_syntax::NodeEnum;

use super::builtin_functions::{self as builtins, Arity};
use super::{resolve_relation, Relation, SYSTEM_COLUMNS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// 42P01
    Relation,
    /// 42703
    Column,
    /// 42883
    Function,
}

impl Missing {
    pub fn sqlstate(self) -> &'static str {
        match self {
            Missing::Relation => "42P01",
            Missing::Column => "42703",
            Missing::Function => "42883",
        }
    }
}

/// A name the server would reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub kind: Missing,
    /// The name as written (`users`, `u.emial`, `increment_usage`).
    pub name: String,
    pub message: String,
    /// Parse-tree location (-1: none).
    pub location: i32,
    /// Not reported: an unmodelled statement (this replay event) may have created the object.
    pub withheld_by: Option<usize>,
}

#[derive(Debug, Clone)]
enum Cols {
    Known(Vec<String>),
    /// The columns pgvet knows of a table an unmodelled statement (this replay event) may have
    /// changed: a column not among them may exist all the same.
    Uncertain(Vec<String>, usize),
    Unknown,
}

impl Cols {
    fn has(&self, c: &str) -> Option<bool> {
        match self {
            Cols::Known(cs) => Some(cs.iter().any(|x| x == c) || SYSTEM_COLUMNS.contains(&c)),
            Cols::Uncertain(cs, _) => (cs.iter().any(|x| x == c) || SYSTEM_COLUMNS.contains(&c)).then_some(true),
            Cols::Unknown => None,
        }
    }
    /// For a column pgvet does not see on a table an unmodelled statement may have changed: that
    /// statement's event.
    fn withheld(&self, c: &str) -> Option<usize> {
        match self {
            Cols::Uncertain(cs, id) if !cs.iter().any(|x| x == c) && !SYSTEM_COLUMNS.contains(&c) => Some(*id),
            _ => None,
        }
    }
    fn renamed(self, alias: Option<&protobuf::Alias>) -> Cols {
        let names: Vec<String> = alias.map(|a| a.colnames.iter().filter_map(str_of).collect()).unwrap_or_default();
        let rename = |mut cs: Vec<String>| {
            for (i, n) in names.into_iter().enumerate() {
                if i < cs.len() {
                    cs[i] = n;
                }
            }
            cs
        };
        match self {
            Cols::Known(cs) => Cols::Known(rename(cs)),
            Cols::Uncertain(cs, id) => Cols::Uncertain(rename(cs), id),
            Cols::Unknown => Cols::Unknown,
        }
    }
}

/// A FROM item (or the target of INSERT/UPDATE/DELETE, or `excluded`).
#[derive(Debug, Clone)]
struct Item {
    /// The name it is referenced by (alias, or relation name); empty: not referenceable.
    name: String,
    /// The schema, when referenced by its relation name (`public.t.col`).
    schema: Option<String>,
    /// The relation name an alias hides.
    hidden: Option<String>,
    cols: Cols,
}

#[derive(Default)]
struct Scope<'p> {
    parent: Option<&'p Scope<'p>>,
    items: Vec<Item>,
    ctes: Vec<(String, Cols)>,
}

impl<'p> Scope<'p> {
    fn child(parent: Option<&'p Scope<'p>>) -> Scope<'p> {
        Scope { parent, items: Vec::new(), ctes: Vec::new() }
    }
    fn levels(&self) -> impl Iterator<Item = &Scope<'p>> {
        std::iter::successors(Some(self), |s| s.parent)
    }
    fn cte(&self, name: &str) -> Option<Cols> {
        self.levels().find_map(|s| s.ctes.iter().rev().find(|(n, _)| n == name).map(|(_, c)| c.clone()))
    }
}

fn str_of(n: &Node) -> Option<String> {
    match n.node.as_ref()? {
        N::String(s) => Some(s.sval.clone()),
        _ => None,
    }
}

fn names(list: &[Node]) -> Vec<String> {
    list.iter().filter_map(str_of).collect()
}

pub struct Resolver<'a> {
    /// How many views deep column lists are being computed (views of views).
    depth: usize,
    cat: &'a Catalog,
    search_path: &'a [String],
    variables: &'a [String],
    /// The enclosing function's name: `fname.param` is a parameter reference.
    function: Option<&'a str>,
    pub out: Vec<Unresolved>,
}

impl<'a> Resolver<'a> {
    pub fn new(cat: &'a Catalog, search_path: &'a [String], variables: &'a [String], function: Option<&'a str>) -> Self {
        Resolver { depth: 0, cat, search_path, variables, function, out: Vec::new() }
    }

    /// A view's output columns, from its query (None when pgvet cannot tell).
    fn view_columns(&self, v: &pgvet_catalog::View) -> Cols {
        if self.depth > 8 {
            return Cols::Unknown;
        }
        let parsed = pgvet_syntax::parse_sql(&v.query);
        let [stmt] = parsed.statements.as_slice() else { return Cols::Unknown };
        let path = vec![v.name.schema.clone(), "public".to_string()];
        let mut r = Resolver { depth: self.depth + 1, cat: self.cat, search_path: &path, variables: &[], function: None, out: Vec::new() };
        let cols = r.stmt(&stmt.node, None);
        let alias = protobuf::Alias {
            colnames: v.aliases.iter().map(|a| Node { node: Some(N::String(protobuf::String { sval: a.clone() })) }).collect(),
            ..Default::default()
        };
        cols.renamed(Some(&alias))
    }

    fn report(&mut self, kind: Missing, name: impl Into<String>, message: impl Into<String>, location: i32) {
        self.out.push(Unresolved { kind, name: name.into(), message: message.into(), location, withheld_by: None });
    }

    /// A name the server may reject, unless an unmodelled statement (replay event `by`) created
    /// it: withheld (nothing at all for a platform's objects).
    fn withhold(&mut self, by: usize, kind: Missing, name: impl Into<String>, message: impl Into<String>, location: i32) {
        if by != pgvet_catalog::PLATFORM {
            self.out.push(Unresolved { kind, name: name.into(), message: message.into(), location, withheld_by: Some(by) });
        }
    }

    fn is_variable(&self, name: &str) -> bool {
        self.variables.iter().any(|v| v == name) || self.function.is_some_and(|f| f == name)
    }

    /// Resolves every name of one statement.
    pub fn statement(&mut self, n: &NodeEnum) {
        self.stmt(n, None);
    }

    /// Returns the statement's output columns (for subqueries and CTEs).
    fn stmt(&mut self, n: &NodeEnum, parent: Option<&Scope>) -> Cols {
        match n {
            NodeEnum::SelectStmt(s) => self.select(s, parent),
            NodeEnum::InsertStmt(s) => self.insert(s, parent),
            NodeEnum::UpdateStmt(s) => self.update(s, parent),
            NodeEnum::DeleteStmt(s) => self.delete(s, parent),
            NodeEnum::CallStmt(c) => {
                if let Some(f) = &c.funccall {
                    let sc = Scope::child(parent);
                    self.func_call(f, &sc);
                }
                Cols::Unknown
            }
            NodeEnum::ViewStmt(v) => {
                if let Some(q) = v.query.as_deref().and_then(|q| q.node.as_ref()) {
                    self.stmt(q, parent);
                }
                Cols::Unknown
            }
            NodeEnum::ExplainStmt(e) => {
                if let Some(q) = e.query.as_deref().and_then(|q| q.node.as_ref()) {
                    self.stmt(q, parent);
                }
                Cols::Unknown
            }
            _ => Cols::Unknown,
        }
    }

    fn with(&mut self, w: &Option<protobuf::WithClause>, sc: &mut Scope) {
        let Some(w) = w else { return };
        for c in &w.ctes {
            let Some(N::CommonTableExpr(cte)) = c.node.as_ref() else { continue };
            if w.recursive {
                // The CTE can reference itself; its columns are not known until it is analysed.
                sc.ctes.push((cte.ctename.clone(), Cols::Unknown));
            }
            let cols = match cte.ctequery.as_deref().and_then(|q| q.node.as_ref()) {
                Some(q) => self.stmt(q, Some(&*sc)),
                None => Cols::Unknown,
            };
            let alias_cols: Vec<String> = cte.aliascolnames.iter().filter_map(str_of).collect();
            let cols = match cols {
                Cols::Known(mut cs) if !alias_cols.is_empty() => {
                    for (i, n) in alias_cols.into_iter().enumerate() {
                        if i < cs.len() {
                            cs[i] = n;
                        }
                    }
                    Cols::Known(cs)
                }
                c => c,
            };
            if w.recursive {
                sc.ctes.pop();
            }
            sc.ctes.push((cte.ctename.clone(), cols));
        }
    }

    fn select(&mut self, s: &protobuf::SelectStmt, parent: Option<&Scope>) -> Cols {
        let mut sc = Scope::child(parent);
        self.with(&s.with_clause, &mut sc);
        if s.op != SetOperation::SetopNone as i32 && s.op != SetOperation::Undefined as i32 {
            let l = s.larg.as_deref().map(|l| self.select(l, Some(&sc))).unwrap_or(Cols::Unknown);
            if let Some(r) = s.rarg.as_deref() {
                self.select(r, Some(&sc));
            }
            return l;
        }
        if !s.values_lists.is_empty() {
            let mut width = 0;
            for row in &s.values_lists {
                if let Some(N::List(l)) = row.node.as_ref() {
                    width = width.max(l.items.len());
                    for e in &l.items {
                        self.expr(e, &sc);
                    }
                }
            }
            return Cols::Known((1..=width).map(|i| format!("column{i}")).collect());
        }
        for f in &s.from_clause {
            self.range_item(f, &mut sc);
        }
        let mut out = Vec::new();
        let mut known = true;
        for t in &s.target_list {
            let Some(N::ResTarget(rt)) = t.node.as_ref() else { continue };
            if let Some(v) = rt.val.as_deref() {
                self.expr(v, &sc);
            }
            if !rt.name.is_empty() {
                out.push(rt.name.clone());
                continue;
            }
            match rt.val.as_deref().and_then(|v| v.node.as_ref()) {
                Some(N::ColumnRef(c)) => match c.fields.last().and_then(|f| f.node.as_ref()) {
                    Some(N::String(x)) => out.push(x.sval.clone()),
                    Some(N::AStar(_)) => match star_cols(c, &sc) {
                        Some(cs) => out.extend(cs),
                        None => known = false,
                    },
                    _ => known = false,
                },
                Some(N::FuncCall(f)) => match names(&f.funcname).last() {
                    Some(n) => out.push(n.clone()),
                    None => known = false,
                },
                _ => known = false,
            }
        }
        // ORDER BY / GROUP BY may name output columns.
        let aliases: Vec<String> = out.clone();
        if let Some(w) = s.where_clause.as_deref() {
            self.expr(w, &sc);
        }
        if let Some(h) = s.having_clause.as_deref() {
            self.expr(h, &sc);
        }
        for g in s.group_clause.iter().chain(&s.sort_clause).chain(&s.distinct_clause) {
            let target = match g.node.as_ref() {
                Some(N::SortBy(sb)) => sb.node.as_deref(),
                _ => Some(g),
            };
            if let Some(t) = target {
                if let Some(N::ColumnRef(c)) = t.node.as_ref() {
                    if let [f] = c.fields.as_slice() {
                        if str_of(f).is_some_and(|n| aliases.contains(&n)) {
                            continue;
                        }
                    }
                }
                if let Some(N::AConst(_)) = t.node.as_ref() {
                    continue;
                }
                self.expr(t, &sc);
            }
        }
        for w in &s.window_clause {
            self.expr(w, &sc);
        }
        for l in [&s.limit_count, &s.limit_offset].into_iter().flatten() {
            self.expr(l, &sc);
        }
        if known {
            Cols::Known(out)
        } else {
            Cols::Unknown
        }
    }

    /// Resolves the target relation of INSERT/UPDATE/DELETE; reports it when missing.
    fn target(&mut self, rv: &Option<protobuf::RangeVar>) -> Option<Item> {
        let rv = rv.as_ref()?;
        let (cols, schema) = match self.relation_cols(rv) {
            Some((cols, schema)) => (cols, schema),
            None => {
                let q = super::rv_name(rv);
                if !self.cat.relation_exists(&q) {
                    self.missing_relation(rv);
                }
                (Cols::Unknown, rv.schemaname.clone())
            }
        };
        let alias = rv.alias.as_ref().map(|a| a.aliasname.clone()).filter(|a| !a.is_empty());
        Some(Item {
            name: alias.clone().unwrap_or_else(|| rv.relname.clone()),
            schema: if alias.is_some() { None } else { Some(schema) },
            hidden: alias.map(|_| rv.relname.clone()),
            cols,
        })
    }

    /// The columns (when pgvet can see them) and schema of the relation a name resolves to.
    fn relation_cols(&self, rv: &protobuf::RangeVar) -> Option<(Cols, String)> {
        Some(match resolve_relation(self.cat, self.search_path, &rv.schemaname, &rv.relname)? {
            Relation::Table(t) if !t.incomplete && self.cat.uncertain_relation(&t.name).is_none() => {
                (Cols::Known(t.columns.iter().map(|c| c.name.clone()).collect()), t.name.schema.clone())
            }
            Relation::Table(t)
                if self.cat.uncertain.relations.get(&t.name).or_else(|| self.cat.uncertain.schemas.get(&t.name.schema)).is_some() =>
            {
                let by = self
                    .cat
                    .uncertain
                    .relations
                    .get(&t.name)
                    .or_else(|| self.cat.uncertain.schemas.get(&t.name.schema))
                    .copied()
                    .unwrap_or(0);
                (Cols::Uncertain(t.columns.iter().map(|c| c.name.clone()).collect(), by), t.name.schema.clone())
            }
            Relation::Table(t) => (Cols::Unknown, t.name.schema.clone()),
            Relation::View(v) => (self.view_columns(v), v.name.schema.clone()),
            Relation::System(r) => (Cols::Known(r.columns.iter().map(|c| c.to_string()).collect()), r.schema.to_string()),
        })
    }

    fn missing_relation(&mut self, rv: &protobuf::RangeVar) {
        if !rv.schemaname.is_empty()
            && (self.cat.platform_schemas.contains(&rv.schemaname)
                || !self.cat.schemas.contains(&rv.schemaname) && rv.schemaname != "information_schema")
        {
            // 3F000 (schema does not exist) is a different error; a missing schema is usually
            // one pgvet was not shown (an extension's, a platform's).
            return;
        }
        let shown = if rv.schemaname.is_empty() { rv.relname.clone() } else { format!("{}.{}", rv.schemaname, rv.relname) };
        if let Some(by) = self.cat.uncertain_relation_in(self.search_path, &rv.schemaname, &rv.relname) {
            // An unmodelled statement may have created it.
            self.withhold(by, Missing::Relation, shown.clone(), format!("relation \"{shown}\" does not exist"), rv.location);
            return;
        }
        self.report(Missing::Relation, shown.clone(), format!("relation \"{shown}\" does not exist"), rv.location);
    }

    fn check_target_columns(&mut self, item: &Item, targets: &[Node], relname: &str) {
        for t in targets {
            let Some(N::ResTarget(rt)) = t.node.as_ref() else { continue };
            if rt.name.is_empty() {
                continue;
            }
            let message = format!("column \"{}\" of relation \"{relname}\" does not exist", rt.name);
            if let Some(by) = item.cols.withheld(&rt.name) {
                self.withhold(by, Missing::Column, rt.name.clone(), message, rt.location);
            } else if item.cols.has(&rt.name) == Some(false) {
                self.report(Missing::Column, rt.name.clone(), message, rt.location);
            }
        }
    }

    fn returning(&mut self, r: &Option<protobuf::ReturningClause>, sc: &Scope) {
        if let Some(r) = r {
            self.exprs(&r.exprs, sc);
        }
    }

    fn insert(&mut self, s: &protobuf::InsertStmt, parent: Option<&Scope>) -> Cols {
        let mut sc = Scope::child(parent);
        self.with(&s.with_clause, &mut sc);
        let target = self.target(&s.relation);
        let relname = s.relation.as_ref().map(|r| r.relname.clone()).unwrap_or_default();
        if let Some(t) = &target {
            self.check_target_columns(t, &s.cols, &relname);
        }
        if let Some(q) = s.select_stmt.as_deref().and_then(|q| q.node.as_ref()) {
            // The source query does not see the target table.
            self.stmt(q, Some(&sc));
        }
        let Some(target) = target else { return Cols::Unknown };
        if let Some(oc) = s.on_conflict_clause.as_deref() {
            let mut osc = Scope::child(Some(&sc));
            osc.items.push(target.clone());
            osc.items.push(Item { name: "excluded".into(), schema: None, hidden: None, cols: target.cols.clone() });
            self.check_target_columns(&target, &oc.target_list, &relname);
            for t in &oc.target_list {
                if let Some(N::ResTarget(rt)) = t.node.as_ref() {
                    if let Some(v) = rt.val.as_deref() {
                        self.expr(v, &osc);
                    }
                }
            }
            if let Some(w) = oc.where_clause.as_deref() {
                self.expr(w, &osc);
            }
        }
        let mut rsc = Scope::child(Some(&sc));
        rsc.items.push(target);
        self.returning(&s.returning_clause, &rsc);
        Cols::Unknown
    }

    fn update(&mut self, s: &protobuf::UpdateStmt, parent: Option<&Scope>) -> Cols {
        let mut sc = Scope::child(parent);
        self.with(&s.with_clause, &mut sc);
        let Some(target) = self.target(&s.relation) else { return Cols::Unknown };
        let relname = s.relation.as_ref().map(|r| r.relname.clone()).unwrap_or_default();
        self.check_target_columns(&target, &s.target_list, &relname);
        sc.items.push(target);
        for f in &s.from_clause {
            self.range_item(f, &mut sc);
        }
        for t in &s.target_list {
            if let Some(N::ResTarget(rt)) = t.node.as_ref() {
                if let Some(v) = rt.val.as_deref() {
                    self.expr(v, &sc);
                }
            }
        }
        if let Some(w) = s.where_clause.as_deref() {
            self.expr(w, &sc);
        }
        self.returning(&s.returning_clause, &sc);
        Cols::Unknown
    }

    fn delete(&mut self, s: &protobuf::DeleteStmt, parent: Option<&Scope>) -> Cols {
        let mut sc = Scope::child(parent);
        self.with(&s.with_clause, &mut sc);
        let Some(target) = self.target(&s.relation) else { return Cols::Unknown };
        sc.items.push(target);
        for f in &s.using_clause {
            self.range_item(f, &mut sc);
        }
        if let Some(w) = s.where_clause.as_deref() {
            self.expr(w, &sc);
        }
        self.returning(&s.returning_clause, &sc);
        Cols::Unknown
    }

    fn range_item(&mut self, n: &Node, sc: &mut Scope) {
        let Some(node) = n.node.as_ref() else { return };
        match node {
            N::RangeVar(rv) => {
                let alias = rv.alias.as_ref().filter(|a| !a.aliasname.is_empty());
                let refname = alias.map(|a| a.aliasname.clone()).unwrap_or_else(|| rv.relname.clone());
                let hidden = alias.map(|_| rv.relname.clone());
                if rv.schemaname.is_empty() {
                    if let Some(cols) = sc.cte(&rv.relname) {
                        sc.items.push(Item { name: refname, schema: None, hidden, cols: cols.renamed(alias) });
                        return;
                    }
                }
                let (cols, schema) = match self.relation_cols(rv) {
                    Some((cols, schema)) => (cols, Some(schema)),
                    None => {
                        let q = super::rv_name(rv);
                        // Trigger transition tables are relations only inside the function.
                        let transition = rv.schemaname.is_empty() && self.is_variable(&rv.relname);
                        if !transition && !self.cat.relation_exists(&q) {
                            self.missing_relation(rv);
                        }
                        (Cols::Unknown, None)
                    }
                };
                let schema = if alias.is_some() { None } else { schema };
                sc.items.push(Item { name: refname, schema, hidden, cols: cols.renamed(alias) });
            }
            N::RangeSubselect(r) => {
                let cols = match r.subquery.as_deref().and_then(|q| q.node.as_ref()) {
                    Some(q) => self.stmt(q, Some(&*sc)),
                    None => Cols::Unknown,
                };
                let name = r.alias.as_ref().map(|a| a.aliasname.clone()).unwrap_or_default();
                sc.items.push(Item { name, schema: None, hidden: None, cols: cols.renamed(r.alias.as_ref()) });
            }
            N::RangeFunction(r) => {
                for f in &r.functions {
                    if let Some(N::List(l)) = f.node.as_ref() {
                        if let Some(call) = l.items.first() {
                            match call.node.as_ref() {
                                // `unnest(a, b, ...)` in FROM is ROWS FROM (unnest(a), unnest(b), ...).
                                Some(N::FuncCall(fc))
                                    if fc.args.len() > 1 && matches!(names(&fc.funcname).as_slice(), [n] | [_, n] if n == "unnest") =>
                                {
                                    self.exprs(&fc.args, sc)
                                }
                                _ => self.expr(call, sc),
                            }
                        }
                    }
                }
                let name = r.alias.as_ref().map(|a| a.aliasname.clone()).unwrap_or_default();
                sc.items.push(Item { name, schema: None, hidden: None, cols: Cols::Unknown });
            }
            N::JoinExpr(j) => {
                if let Some(l) = j.larg.as_deref() {
                    self.range_item(l, sc);
                }
                if let Some(r) = j.rarg.as_deref() {
                    self.range_item(r, sc);
                }
                if let Some(q) = j.quals.as_deref() {
                    self.expr(q, sc);
                }
                if let Some(a) = j.alias.as_ref() {
                    sc.items.push(Item { name: a.aliasname.clone(), schema: None, hidden: None, cols: Cols::Unknown });
                }
            }
            _ => sc.items.push(Item { name: String::new(), schema: None, hidden: None, cols: Cols::Unknown }),
        }
    }

    fn column_ref(&mut self, c: &protobuf::ColumnRef, sc: &Scope) {
        let fields: Vec<Option<String>> = c.fields.iter().map(str_of).collect();
        match fields.as_slice() {
            [None] => {}
            [Some(col)] => {
                let mut withheld = None;
                for level in sc.levels() {
                    for item in &level.items {
                        if item.name == *col {
                            return;
                        }
                        match (item.cols.has(col), item.cols.withheld(col)) {
                            (Some(false), _) => {}
                            (None, Some(by)) => withheld = withheld.or(Some(by)),
                            _ => return,
                        }
                    }
                }
                if self.is_variable(col) {
                    return;
                }
                let message = format!("column \"{col}\" does not exist");
                match withheld {
                    Some(by) => self.withhold(by, Missing::Column, col.clone(), message, c.location),
                    None => self.report(Missing::Column, col.clone(), message, c.location),
                }
            }
            [Some(t), col] => {
                let found = sc.levels().find_map(|l| l.items.iter().find(|i| i.name == *t));
                match (found, col) {
                    (Some(_), None) => {}
                    (Some(item), Some(col)) => {
                        if let Some(by) = item.cols.withheld(col) {
                            self.withhold(
                                by,
                                Missing::Column,
                                format!("{t}.{col}"),
                                format!("column {t}.{col} does not exist"),
                                c.location,
                            );
                        } else if item.cols.has(col) == Some(false) {
                            self.report(Missing::Column, format!("{t}.{col}"), format!("column {t}.{col} does not exist"), c.location);
                        }
                    }
                    (None, _) => {
                        if self.is_variable(t) {
                            return;
                        }
                        // `a.b` may also be field b of a composite column a.
                        let is_column = sc.levels().any(|l| l.items.iter().any(|i| i.cols.has(t) != Some(false)));
                        if is_column {
                            return;
                        }
                        let hidden = sc.levels().any(|l| l.items.iter().any(|i| i.hidden.as_deref() == Some(t.as_str())));
                        let message = if hidden {
                            format!("invalid reference to FROM-clause entry for table \"{t}\" (it has an alias; use the alias)")
                        } else {
                            format!("missing FROM-clause entry for table \"{t}\"")
                        };
                        self.report(Missing::Relation, t.clone(), message, c.location);
                    }
                }
            }
            [Some(s), Some(t), col] => {
                let found = sc.levels().find_map(|l| l.items.iter().find(|i| i.name == *t && i.schema.as_deref() == Some(s.as_str())));
                if let (Some(item), Some(col)) = (found, col) {
                    if item.cols.has(col) == Some(false) {
                        self.report(Missing::Column, format!("{s}.{t}.{col}"), format!("column {s}.{t}.{col} does not exist"), c.location);
                    }
                }
            }
            _ => {}
        }
    }

    fn exprs(&mut self, list: &[Node], sc: &Scope) {
        for n in list {
            self.expr(n, sc);
        }
    }

    fn opt(&mut self, n: &Option<Box<Node>>, sc: &Scope) {
        if let Some(n) = n.as_deref() {
            self.expr(n, sc);
        }
    }

    fn expr(&mut self, n: &Node, sc: &Scope) {
        let Some(node) = n.node.as_ref() else { return };
        match node {
            N::ColumnRef(c) => self.column_ref(c, sc),
            N::AExpr(e) => {
                self.opt(&e.lexpr, sc);
                self.opt(&e.rexpr, sc);
            }
            N::BoolExpr(b) => self.exprs(&b.args, sc),
            N::FuncCall(f) => self.func_call(f, sc),
            N::TypeCast(t) => self.opt(&t.arg, sc),
            N::NullTest(t) => self.opt(&t.arg, sc),
            N::BooleanTest(t) => self.opt(&t.arg, sc),
            N::CaseExpr(c) => {
                self.opt(&c.arg, sc);
                self.exprs(&c.args, sc);
                self.opt(&c.defresult, sc);
            }
            N::CaseWhen(w) => {
                self.opt(&w.expr, sc);
                self.opt(&w.result, sc);
            }
            N::CoalesceExpr(c) => self.exprs(&c.args, sc),
            N::MinMaxExpr(m) => self.exprs(&m.args, sc),
            N::AArrayExpr(a) => self.exprs(&a.elements, sc),
            N::RowExpr(r) => self.exprs(&r.args, sc),
            N::SubLink(s) => {
                self.opt(&s.testexpr, sc);
                if let Some(q) = s.subselect.as_deref().and_then(|q| q.node.as_ref()) {
                    self.stmt(q, Some(sc));
                }
            }
            N::NamedArgExpr(a) => self.opt(&a.arg, sc),
            N::AIndirection(a) => {
                self.opt(&a.arg, sc);
                for i in &a.indirection {
                    if let Some(N::AIndices(ix)) = i.node.as_ref() {
                        self.opt(&ix.lidx, sc);
                        self.opt(&ix.uidx, sc);
                    }
                }
            }
            N::CollateClause(c) => self.opt(&c.arg, sc),
            N::List(l) => self.exprs(&l.items, sc),
            N::ResTarget(r) => self.opt(&r.val, sc),
            N::SortBy(s) => self.opt(&s.node, sc),
            N::GroupingFunc(g) => self.exprs(&g.args, sc),
            N::WindowDef(w) => {
                self.exprs(&w.partition_clause, sc);
                self.exprs(&w.order_clause, sc);
            }
            N::MultiAssignRef(m) => self.opt(&m.source, sc),
            _ => {}
        }
    }

    fn func_call(&mut self, f: &protobuf::FuncCall, sc: &Scope) {
        self.exprs(&f.args, sc);
        self.exprs(&f.agg_order, sc);
        self.opt(&f.agg_filter, sc);
        if let Some(w) = &f.over {
            self.exprs(&w.partition_clause, sc);
            self.exprs(&w.order_clause, sc);
        }
        let n = if f.agg_star { 0 } else { f.args.len() + if f.agg_within_group { f.agg_order.len() } else { 0 } };
        self.check_function(&names(&f.funcname), n, f.func_variadic, f.location);
    }

    /// Reports a call no function of that name and argument count can take.
    pub fn check_function(&mut self, name: &[String], n: usize, explicit_variadic: bool, location: i32) {
        let (schema, fname) = match name {
            [s, f] => (Some(s.as_str()), f.as_str()),
            [f] => (None, f.as_str()),
            _ => return,
        };
        let mut arities: Vec<Arity> = Vec::new();
        let schemas: Vec<&str> = match schema {
            Some(s) => vec![s],
            None => std::iter::once("pg_catalog").chain(self.search_path.iter().map(|s| s.as_str())).collect(),
        };
        for s in &schemas {
            if let Some(a) = builtins::function(s, fname) {
                arities.extend_from_slice(a);
            }
            arities.extend(user_arities(self.cat, &QName::new(*s, fname)));
        }
        arities.extend(builtins::extension_function(fname, |e| self.cat.extensions.contains(e)));
        if arities.iter().any(|a| a.accepts(n, explicit_variadic)) {
            return;
        }
        if arities.is_empty() {
            let uncertain = match schema {
                Some(s) => self.cat.uncertain_function(&QName::new(s, fname)),
                None => self.search_path.iter().find_map(|s| self.cat.uncertain_function(&QName::new(s.as_str(), fname))),
            };
            if let Some(by) = uncertain {
                // An unmodelled statement may have created it.
                let shown = schema.map(|s| format!("{s}.{fname}")).unwrap_or_else(|| fname.to_string());
                self.withhold(by, Missing::Function, shown.clone(), format!("function {shown} does not exist"), location);
                return;
            }
            if let Some(s) = schema {
                let from = FunctionKey { name: QName::new(s, ""), args: vec![] };
                let ours = self.cat.functions.range(from..).next().is_some_and(|(k, _)| k.name.schema == s);
                if !ours && !matches!(s, "pg_catalog" | "information_schema" | "public") {
                    return; // a schema whose functions pgvet was not shown (an extension's, a platform's)
                }
            }
            if self.cat.extensions.iter().any(|e| !builtins::known_extension(e)) {
                return; // an extension whose functions pgvet does not know
            }
            if n == 1 && (builtins::is_type(fname) || self.cat.domains.keys().chain(self.cat.enums.keys()).any(|q| q.name == fname)) {
                return; // a function-style cast
            }
        }
        let shown = match schema {
            Some(s) => format!("{s}.{fname}"),
            None => fname.to_string(),
        };
        let message = if arities.is_empty() {
            format!("function {shown} does not exist")
        } else {
            let takes: Vec<String> = arities
                .iter()
                .map(|a| {
                    let min = a.nargs - a.ndefaults.min(a.nargs);
                    if a.variadic {
                        format!("{min} or more")
                    } else if min == a.nargs {
                        format!("{min}")
                    } else {
                        format!("{min} to {}", a.nargs)
                    }
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            format!("function {shown} does not take {n} argument{}: it takes {}", if n == 1 { "" } else { "s" }, takes.join(" or "))
        };
        self.report(Missing::Function, shown, message, location);
    }
}

fn star_cols(c: &protobuf::ColumnRef, sc: &Scope) -> Option<Vec<String>> {
    let mut out = Vec::new();
    match c.fields.as_slice() {
        [_] => {
            for item in &sc.items {
                match &item.cols {
                    Cols::Known(cs) => out.extend(cs.iter().cloned()),
                    Cols::Uncertain(..) | Cols::Unknown => return None,
                }
            }
        }
        [t, _] => {
            let t = str_of(t)?;
            match &sc.items.iter().find(|i| i.name == t)?.cols {
                Cols::Known(cs) => out.extend(cs.iter().cloned()),
                Cols::Uncertain(..) | Cols::Unknown => return None,
            }
        }
        _ => return None,
    }
    Some(out)
}

/// Call shapes of the user-defined functions (and procedures, aggregates) called `name`.
pub fn user_arities(cat: &Catalog, name: &QName) -> Vec<Arity> {
    let from = FunctionKey { name: name.clone(), args: vec![] };
    cat.functions
        .range(from..)
        .take_while(|(k, _)| k.name == *name)
        .flat_map(|(_, f)| {
            let ins = f.args.iter().filter(|a| matches!(a.mode, "in" | "inout" | "variadic")).count();
            let ndefaults = f.args.iter().filter(|a| a.has_default).count();
            let variadic = f.args.iter().any(|a| a.mode == "variadic");
            let mut v = vec![Arity { nargs: ins, ndefaults, variadic }];
            if f.procedure {
                // CALL passes OUT arguments too.
                let all = f.args.iter().filter(|a| a.mode != "table").count();
                v.push(Arity { nargs: all, ndefaults, variadic });
            }
            v
        })
        .collect()
}
