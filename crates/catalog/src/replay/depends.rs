//! What stored expressions depend on, the way the server's pg_depend records it: column
//! defaults, generated columns, CHECK constraints, index expressions and predicates, policies
//! and views that call a function, or name a sequence (`nextval('s')`), or hold an enum label.
//! The server stores these expressions as trees of OIDs and prints them with today's names;
//! pgvet stores their text, so a rename rewrites the text, and a `DROP ... CASCADE` removes
//! what depends on the dropped object (without CASCADE, the drop fails).
use pgvet_syntax::pg_query::{NodeMut, NodeRef};
use pgvet_syntax::protobuf::{self, a_const::Val as C};

use super::*;

/// Where a stored expression lives.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprAt {
    Default(QName, String),
    Generated(QName, String),
    Check(QName, String),
    IndexKey(QName, usize),
    IndexPredicate(QName),
    /// Policy (table, name), USING (true) or WITH CHECK (false).
    Policy(QName, String, bool),
    View(QName),
}

impl ExprAt {
    fn describe(&self) -> String {
        match self {
            ExprAt::Default(t, c) => format!("default value for column {c} of table {}", t.name),
            ExprAt::Generated(t, c) => format!("column {c} of table {}", t.name),
            ExprAt::Check(t, c) => format!("constraint {c} on table {}", t.name),
            ExprAt::IndexKey(i, _) | ExprAt::IndexPredicate(i) => format!("index {}", i.name),
            ExprAt::Policy(t, p, _) => format!("policy {p} on table {}", t.name),
            ExprAt::View(v) => format!("view {}", v.name),
        }
    }
}

/// `'name'` or `'name'::regclass`: the text of a relation name argument.
fn name_arg(n: &protobuf::Node) -> Option<&str> {
    match n.node.as_ref()? {
        N::AConst(c) => match &c.val {
            Some(C::Sval(s)) => Some(s.sval.as_str()),
            _ => None,
        },
        N::TypeCast(tc) => name_arg(tc.arg.as_deref()?),
        _ => None,
    }
}

fn set_name_arg(n: &mut protobuf::Node, name: &str) -> bool {
    match n.node.as_mut() {
        Some(N::TypeCast(tc)) => tc.arg.as_deref_mut().is_some_and(|a| set_name_arg(a, name)),
        Some(N::AConst(c)) => {
            c.val = Some(C::Sval(protobuf::String { sval: name.to_string() }));
            true
        }
        _ => false,
    }
}

/// The implicit casts between common built-in types that overload resolution relies on.
fn implicitly_castable(from: &str, to: &str) -> bool {
    const NUMERIC: &[&str] = &["smallint", "integer", "bigint", "numeric", "real", "double precision"];
    let rank = |t: &str| NUMERIC.iter().position(|x| *x == t);
    if let (Some(a), Some(b)) = (rank(from), rank(to)) {
        return a < b;
    }
    matches!(
        (from, to),
        ("character varying", "text") | ("character", "text") | ("text", "character varying") | ("name", "text") | ("text", "name")
    )
}

impl Replayer {
    /// Every stored expression with where it lives and the table it is about.
    pub(crate) fn stored_expressions(&self) -> Vec<(ExprAt, String)> {
        let mut out = Vec::new();
        for t in self.catalog.tables.values() {
            for c in &t.columns {
                if let Some(d) = &c.default {
                    out.push((ExprAt::Default(t.name.clone(), c.name.clone()), d.clone()));
                }
                if let Some(g) = &c.generated {
                    out.push((ExprAt::Generated(t.name.clone(), c.name.clone()), g.clone()));
                }
            }
            for k in &t.constraints {
                if let Some(e) = &k.expression {
                    out.push((ExprAt::Check(t.name.clone(), k.name.clone()), e.clone()));
                }
            }
            for p in &t.policies {
                if let Some(u) = &p.using {
                    out.push((ExprAt::Policy(t.name.clone(), p.name.clone(), true), u.clone()));
                }
                if let Some(w) = &p.with_check {
                    out.push((ExprAt::Policy(t.name.clone(), p.name.clone(), false), w.clone()));
                }
            }
        }
        for i in self.catalog.indexes.values() {
            for (n, k) in i.keys.iter().enumerate() {
                if let IndexKey::Expression(e) = k {
                    out.push((ExprAt::IndexKey(i.name.clone(), n), e.clone()));
                }
            }
            if let Some(p) = &i.predicate {
                out.push((ExprAt::IndexPredicate(i.name.clone()), p.clone()));
            }
        }
        for v in self.catalog.views.values() {
            out.push((ExprAt::View(v.name.clone()), v.query.clone()));
        }
        out
    }

    fn table_of(&self, at: &ExprAt) -> Option<&Table> {
        match at {
            ExprAt::Default(t, _) | ExprAt::Generated(t, _) | ExprAt::Check(t, _) | ExprAt::Policy(t, _, _) => self.catalog.tables.get(t),
            ExprAt::IndexKey(i, _) | ExprAt::IndexPredicate(i) => {
                self.catalog.indexes.get(i).and_then(|i| self.catalog.tables.get(&i.table))
            }
            ExprAt::View(_) => None,
        }
    }

    /// Parses a stored expression (a view's query is a statement).
    fn parse_stored(at: &ExprAt, text: &str) -> Option<NodeEnum> {
        if let ExprAt::View(_) = at {
            return pgvet_syntax::parse_sql(text).statements.into_iter().next().map(|s| s.node);
        }
        pgvet_syntax::parse_expr(text)?.node
    }

    fn deparse_stored(at: &ExprAt, node: NodeEnum) -> Option<String> {
        if let ExprAt::View(_) = at {
            return pgvet_syntax::pg_query::deparse(&wrap(node), Default::default()).ok();
        }
        pgvet_syntax::deparse_expr(&protobuf::Node { node: Some(node) })
    }

    /// The type of a simple expression, as far as overload resolution needs it (None: unknown,
    /// which any parameter type accepts).
    fn simple_type(&self, n: &protobuf::Node, table: Option<&Table>) -> Option<String> {
        match n.node.as_ref()? {
            N::AConst(c) => match &c.val {
                Some(C::Ival(_)) => Some("integer".into()),
                Some(C::Fval(_)) => Some("numeric".into()),
                Some(C::Boolval(_)) => Some("boolean".into()),
                _ => None,
            },
            N::TypeCast(tc) => tc.type_name.as_ref().map(|t| crate::types::strip_typmod(&self.type_text(t, false))),
            N::ColumnRef(c) => {
                let name = strs(&c.fields).pop()?;
                table?.column(&name).map(|c| crate::types::strip_typmod(&c.type_name))
            }
            N::FuncCall(f) => self.call_target(f, table).and_then(|k| self.catalog.functions.get(&k)?.returns.clone()),
            _ => None,
        }
    }

    /// The migration-defined function a call resolves to: by name, then by argument count and
    /// the types of its arguments where they are plain (literals, casts, columns).
    pub(crate) fn call_target(&self, f: &protobuf::FuncCall, table: Option<&Table>) -> Option<FunctionKey> {
        let names = strs(&f.funcname);
        let q = self.resolve_names(&names, |q| self.catalog.functions.values().any(|g| g.name == *q && !g.origin.is_builtin()))?;
        let arity = f.args.len();
        let candidates: Vec<(&FunctionKey, &Function)> = self
            .catalog
            .functions
            .iter()
            .filter(|(_, g)| g.name == q && !g.origin.is_builtin())
            .filter(|(_, g)| {
                let inputs: Vec<&FunctionArg> = g.args.iter().filter(|a| matches!(a.mode, "in" | "inout" | "variadic")).collect();
                let required = inputs.iter().filter(|a| !a.has_default).count();
                arity >= required && (arity <= inputs.len() || inputs.iter().any(|a| a.mode == "variadic"))
            })
            .collect();
        if candidates.len() <= 1 {
            return candidates.first().map(|(k, _)| (*k).clone());
        }
        let types: Vec<Option<String>> = f.args.iter().map(|a| self.simple_type(a, table)).collect();
        let fits = |k: &FunctionKey, exact: bool| {
            types.iter().zip(&k.args).all(|(t, p)| match t {
                None => true,
                Some(t) => t == p || !exact && implicitly_castable(t, p),
            })
        };
        for exact in [true, false] {
            let hits: Vec<&FunctionKey> = candidates.iter().map(|(k, _)| *k).filter(|k| fits(k, exact)).collect();
            if hits.len() == 1 {
                return Some(hits[0].clone());
            }
        }
        None
    }

    /// The stored expressions that call function `key`.
    pub(crate) fn function_dependents(&self, key: &FunctionKey) -> Vec<ExprAt> {
        let mut out = Vec::new();
        for (at, text) in self.stored_expressions() {
            let Some(node) = Self::parse_stored(&at, &text) else { continue };
            let table = self.table_of(&at);
            let calls = pgvet_syntax::all_nodes(&node).into_iter().any(|n| match n {
                NodeRef::FuncCall(f) => {
                    strs(&f.funcname).last() == Some(&key.name.name) && self.call_target(f, table).as_ref() == Some(key)
                }
                _ => false,
            });
            if calls {
                out.push(at);
            }
        }
        out
    }

    /// Removes what depends on a dropped object (`DROP ... CASCADE`).
    pub(crate) fn drop_dependents(&mut self, deps: Vec<ExprAt>) {
        for at in deps {
            match at {
                ExprAt::Default(t, c) => {
                    if let Some(mut tb) = self.catalog.tables.get_mut(&t) {
                        if let Some(col) = tb.column_mut(&c) {
                            col.default = None;
                        }
                    }
                }
                ExprAt::Generated(t, c) => self.drop_column(&t, &c, true, true),
                ExprAt::Check(t, c) => self.drop_constraint(&t, &c, true, true),
                ExprAt::IndexKey(i, _) | ExprAt::IndexPredicate(i) => {
                    if self.catalog.indexes.contains_key(&i) {
                        self.drop_index(&i)
                    }
                }
                ExprAt::Policy(t, p, _) => {
                    if let Some(mut tb) = self.catalog.tables.get_mut(&t) {
                        tb.policies.retain(|x| x.name != p);
                    }
                }
                ExprAt::View(v) => {
                    if self.catalog.views.contains_key(&v) {
                        self.drop_view(&v, true)
                    }
                }
            }
        }
    }

    /// `DROP FUNCTION`: what depends on it goes with CASCADE; without, the drop fails (2BP01).
    /// Returns whether the function may be dropped.
    pub(crate) fn drop_function_dependents(&mut self, key: &FunctionKey, cascade: bool) -> bool {
        let mut deps = self.function_dependents(key);
        let triggers: Vec<(QName, String)> = if key.args.is_empty() {
            self.catalog
                .tables
                .values()
                .flat_map(|t| t.triggers.iter().filter(|tr| tr.function == key.name).map(|tr| (t.name.clone(), tr.name.clone())))
                .collect()
        } else {
            Vec::new()
        };
        if deps.is_empty() && triggers.is_empty() {
            return true;
        }
        if !cascade {
            let what =
                deps.first().map(|d| d.describe()).unwrap_or_else(|| format!("trigger {} on table {}", triggers[0].1, triggers[0].0.name));
            self.error(format!(
                "cannot drop function {}({}) because other objects depend on it ({what} depends on function {}({}))",
                key.name.name,
                key.args.join(", "),
                key.name.name,
                key.args.join(", ")
            ));
            return false;
        }
        deps.sort_by_key(|d| matches!(d, ExprAt::Generated(..)));
        self.drop_dependents(deps);
        for (t, name) in triggers {
            if let Some(mut tb) = self.catalog.tables.get_mut(&t) {
                tb.triggers.retain(|x| x.name != name);
            }
        }
        true
    }

    /// Rewrites stored expressions: `f` changes nodes in place and says whether it changed one.
    fn rewrite_stored(&mut self, mut f: impl FnMut(&Replayer, Option<&Table>, NodeMut) -> bool) {
        let mut changes: Vec<(ExprAt, String)> = Vec::new();
        for (at, text) in self.stored_expressions() {
            let Some(mut node) = Self::parse_stored(&at, &text) else { continue };
            let table = self.table_of(&at);
            let mut changed = false;
            // SAFETY: `node` is owned here and borrowed by nothing else during the walk; `f`
            // only changes fields of the nodes it is given.
            unsafe {
                pgvet_syntax::walk_mut(node.to_mut(), &mut |n| changed |= f(self, table, n));
            }
            if changed {
                if let Some(new) = Self::deparse_stored(&at, node) {
                    changes.push((at, new));
                }
            }
        }
        for (at, text) in changes {
            self.set_stored(&at, text);
        }
    }

    fn set_stored(&mut self, at: &ExprAt, text: String) {
        match at {
            ExprAt::Default(t, c) | ExprAt::Generated(t, c) => {
                if let Some(mut tb) = self.catalog.tables.get_mut(t) {
                    if let Some(col) = tb.column_mut(c) {
                        if matches!(at, ExprAt::Default(..)) {
                            col.default = Some(text);
                        } else {
                            col.generated = Some(text);
                        }
                    }
                }
            }
            ExprAt::Check(t, c) => {
                if let Some(mut tb) = self.catalog.tables.get_mut(t) {
                    if let Some(k) = tb.constraints.iter_mut().find(|k| k.name == *c) {
                        k.expression = Some(text);
                    }
                }
            }
            ExprAt::IndexKey(i, n) => {
                if let Some(mut idx) = self.catalog.indexes.get_mut(i) {
                    if let Some(k) = idx.keys.get_mut(*n) {
                        *k = IndexKey::Expression(pgvet_syntax::canonical_expr(&text).unwrap_or(text));
                    }
                }
            }
            ExprAt::IndexPredicate(i) => {
                if let Some(mut idx) = self.catalog.indexes.get_mut(i) {
                    idx.predicate = Some(pgvet_syntax::canonical_expr(&text).unwrap_or(text));
                }
            }
            ExprAt::Policy(t, p, using) => {
                if let Some(mut tb) = self.catalog.tables.get_mut(t) {
                    if let Some(pol) = tb.policies.iter_mut().find(|x| x.name == *p) {
                        if *using {
                            pol.using = Some(text);
                        } else {
                            pol.with_check = Some(text);
                        }
                    }
                }
            }
            ExprAt::View(v) => {
                if let Some(view) = self.catalog.views.get_mut(v) {
                    view.query = text;
                }
            }
        }
    }

    /// A name as the server prints a relation or function of schema `q.schema`: unqualified in
    /// `public`, qualified elsewhere.
    fn printed_name(q: &QName) -> String {
        if q.schema == "public" {
            q.name.clone()
        } else {
            format!("{}.{}", pgvet_syntax::quote_ident(&q.schema), pgvet_syntax::quote_ident(&q.name))
        }
    }

    /// A function renamed or moved: calls of it in stored expressions print the new name.
    pub(crate) fn function_renamed(&mut self, key: &FunctionKey, new: &QName) {
        let key = key.clone();
        let new_names: Vec<String> =
            if new.schema == "public" { vec![new.name.clone()] } else { vec![new.schema.clone(), new.name.clone()] };
        self.rewrite_stored(|r, table, n| {
            let NodeMut::FuncCall(f) = n else { return false };
            // SAFETY: see `rewrite_stored`.
            let f = unsafe { &mut *f };
            if r.call_target(f, table).as_ref() != Some(&key) {
                return false;
            }
            f.funcname = new_names.iter().map(|s| protobuf::Node { node: Some(N::String(protobuf::String { sval: s.clone() })) }).collect();
            true
        });
    }

    /// A sequence renamed or moved: `nextval('old')` in defaults prints the new name.
    pub(crate) fn sequence_renamed(&mut self, old: &QName, new: &QName) {
        let (old, shown) = (old.clone(), Self::printed_name(new));
        self.rewrite_stored(|r, _, n| {
            let NodeMut::FuncCall(f) = n else { return false };
            // SAFETY: see `rewrite_stored`.
            let f = unsafe { &mut *f };
            if !matches!(strs(&f.funcname).last().map(String::as_str), Some("nextval" | "currval" | "setval")) {
                return false;
            }
            let Some(arg) = f.args.first_mut() else { return false };
            let Some(name) = name_arg(arg) else { return false };
            let (schema, rel) = eval::split_name(name);
            let names_old = rel == old.name && if schema.is_empty() { r.search_path.contains(&old.schema) } else { schema == old.schema };
            if !names_old {
                return false;
            }
            set_name_arg(arg, &shown)
        });
    }

    /// `ALTER TYPE e RENAME VALUE 'old' TO 'new'`: labels of `e` in stored expressions (a
    /// column default of type `e`, a comparison with a column of type `e`, a cast to `e`).
    pub(crate) fn enum_value_renamed(&mut self, e: &QName, old: &str, new: &str) {
        let shown = crate::types::format_type(
            &crate::types::TypeRef { schema: Some(e.schema.clone()), name: e.name.clone(), typmods: vec![], array: false, pct_type: None },
            Some(&e.schema),
            false,
        );
        let of_enum = |t: &str| t.trim_end_matches("[]") == shown;
        // Defaults of columns of the type: every label in them is one of the type's.
        let mut defaults: Vec<(QName, String)> = Vec::new();
        for t in self.catalog.tables.values() {
            for c in t.columns.iter().filter(|c| of_enum(&c.type_name) && c.default.is_some()) {
                defaults.push((t.name.clone(), c.name.clone()));
            }
        }
        let relabel = |n: &mut protobuf::Node| -> bool {
            let mut changed = false;
            // SAFETY: `n` is borrowed mutably here and by nothing else.
            unsafe {
                pgvet_syntax::walk_node_mut(n, &mut |x| {
                    if let NodeMut::AConst(c) = x {
                        let c = &mut *c;
                        if let Some(C::Sval(s)) = c.val.as_mut() {
                            if s.sval == old {
                                s.sval = new.to_string();
                                changed = true;
                            }
                        }
                    }
                });
            }
            changed
        };
        for (t, c) in defaults {
            let Some(text) = self.catalog.tables.get(&t).and_then(|tb| tb.column(&c)?.default.clone()) else { continue };
            let Some(mut node) = pgvet_syntax::parse_expr(&text) else { continue };
            if relabel(&mut node) {
                if let Some(new_text) = pgvet_syntax::deparse_expr(&node) {
                    self.set_stored(&ExprAt::Default(t, c), new_text);
                }
            }
        }
        // Elsewhere: the other side of a comparison with a column of the type, and casts to it.
        let is_enum_side = |r: &Replayer, table: Option<&Table>, n: &protobuf::Node| -> bool {
            let mut n = n;
            loop {
                match n.node.as_ref() {
                    Some(N::TypeCast(tc)) => {
                        if tc.type_name.as_ref().is_some_and(|t| of_enum(&r.type_text(t, false))) {
                            return true;
                        }
                        match tc.arg.as_deref() {
                            Some(a) => n = a,
                            None => return false,
                        }
                    }
                    Some(N::ColumnRef(c)) => {
                        return strs(&c.fields).pop().and_then(|col| table?.column(&col).map(|c| of_enum(&c.type_name))).unwrap_or(false)
                    }
                    _ => return false,
                }
            }
        };
        self.rewrite_stored(|r, table, n| match n {
            NodeMut::AExpr(e) => {
                // SAFETY: see `rewrite_stored`.
                let e = unsafe { &mut *e };
                let mut changed = false;
                if e.lexpr.as_deref().is_some_and(|l| is_enum_side(r, table, l)) {
                    if let Some(rx) = e.rexpr.as_deref_mut() {
                        changed |= relabel(rx);
                    }
                }
                if e.rexpr.as_deref().is_some_and(|x| is_enum_side(r, table, x)) {
                    if let Some(lx) = e.lexpr.as_deref_mut() {
                        changed |= relabel(lx);
                    }
                }
                changed
            }
            NodeMut::TypeCast(tc) => {
                // SAFETY: see `rewrite_stored`.
                let tc = unsafe { &mut *tc };
                if tc.type_name.as_ref().is_some_and(|t| of_enum(&r.type_text(t, false))) {
                    if let Some(a) = tc.arg.as_deref_mut() {
                        return relabel(a);
                    }
                }
                false
            }
            _ => false,
        });
    }
}
