//! What a function does to the schema, read from its parse tree: PL/pgSQL bodies through
//! PostgreSQL's own PL/pgSQL parser, SQL bodies through the SQL parser. Each body gets a
//! summary: the static statements that change the schema, the dynamic `EXECUTE`s (their string
//! expressions), and the functions it calls. A function whose body, and every function it calls,
//! only reads and writes rows changes no schema, however a migration calls or loops over it.
use std::collections::HashMap;
use std::rc::Rc;

use pgvet_syntax::{parse_sql, NodeEnum};
use serde_json::Value as J;

use super::uncertain::Touched;
use super::*;

/// The schema effects of one function body.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// Static statements that may change the schema (or the session's search_path), as SQL text.
    pub ddl: Vec<String>,
    /// The string expressions of dynamic SQL (`EXECUTE expr`, `FOR ... IN EXECUTE expr`,
    /// `OPEN ... FOR EXECUTE expr`).
    pub dynamic: Vec<String>,
    /// Functions it calls, by name as written (`[schema, name]` or `[name]`).
    pub calls: Vec<Vec<String>>,
    /// The body could not be read (a parse error, or a language pgvet does not read): it may do
    /// anything.
    pub unreadable: Option<String>,
}

impl Effects {
    fn add_call(&mut self, names: Vec<String>) {
        if !names.is_empty() && !self.calls.contains(&names) {
            self.calls.push(names);
        }
    }

    /// Reads SQL text: statements that change the schema go to `ddl`; calls are collected.
    /// Returns false when the text is not SQL statements (a PL/pgSQL expression).
    fn read_sql(&mut self, sql: &str) -> bool {
        let parsed = parse_sql(sql);
        if !parsed.errors.is_empty() || parsed.statements.is_empty() {
            return false;
        }
        for s in &parsed.statements {
            self.read_statement(&s.node, &sql[s.span.range()]);
        }
        true
    }

    fn read_statement(&mut self, node: &NodeEnum, text: &str) {
        if changes_schema(node) {
            self.ddl.push(text.to_string());
        }
        for n in pgvet_syntax::all_nodes(node) {
            if let pgvet_syntax::pg_query::NodeRef::FuncCall(f) = n {
                self.add_call(strs(&f.funcname));
            }
        }
    }

    /// Reads a PL/pgSQL expression (`a := f(b)`, `x > 1`, `format(...)`): its calls.
    fn read_expr(&mut self, expr: &str) {
        if self.read_sql(expr) {
            return;
        }
        let e = assigned_expr(expr);
        match pgvet_syntax::parse_expr(e) {
            Some(node) => {
                for n in node.node.iter().flat_map(pgvet_syntax::all_nodes) {
                    if let pgvet_syntax::pg_query::NodeRef::FuncCall(f) = n {
                        self.add_call(strs(&f.funcname));
                    }
                }
            }
            None => {
                if self.unreadable.is_none() {
                    self.unreadable = Some(format!("the expression {}", super::plpgsql::clip(expr)));
                }
            }
        }
    }

    /// Walks a PL/pgSQL parse tree (as JSON).
    fn read_plpgsql(&mut self, v: &J) {
        match v {
            J::Array(items) => items.iter().for_each(|i| self.read_plpgsql(i)),
            J::Object(m) => {
                for (kind, st) in m {
                    match kind.as_str() {
                        "PLpgSQL_expr" => {
                            if let Some(q) = st.get("query").and_then(|q| q.as_str()) {
                                self.read_expr(q);
                            }
                            continue;
                        }
                        "PLpgSQL_stmt_dynexecute" | "PLpgSQL_stmt_dynfors" => {
                            if let Some(q) = query_text(st.get("query")) {
                                self.dynamic.push(q.to_string());
                            }
                        }
                        "PLpgSQL_stmt_open" => {
                            if let Some(q) = query_text(st.get("dynquery")) {
                                self.dynamic.push(q.to_string());
                            }
                        }
                        _ => {}
                    }
                    self.read_plpgsql(st);
                }
            }
            _ => {}
        }
    }
}

fn query_text(v: Option<&J>) -> Option<&str> {
    v?.get("PLpgSQL_expr")?.get("query")?.as_str()
}

/// `a := f(b)` / `a = f(b)` (PL/pgSQL assignments as its parser keeps them): `f(b)`.
pub(crate) fn assigned_expr(q: &str) -> &str {
    // The target is a name, a field or an array element: no quotes, no parentheses before the
    // operator.
    let head_end = q.find(['\'', '(', '"']).unwrap_or(q.len());
    let head = &q[..head_end];
    match head.find(":=") {
        Some(i) => q[i + 2..].trim(),
        None => match head.find('=') {
            Some(i) if !head[..i].ends_with(['<', '>', '!']) && !head[i + 1..].starts_with('=') => q[i + 1..].trim(),
            _ => q.trim(),
        },
    }
}

/// Whether a statement may change the schema, or the session's search_path (which decides
/// where later unqualified names go). Reading and writing rows does neither.
pub(crate) fn changes_schema(node: &NodeEnum) -> bool {
    match node {
        NodeEnum::SelectStmt(s) => s.into_clause.is_some(),
        NodeEnum::VariableSetStmt(v) => v.name == "search_path",
        NodeEnum::InsertStmt(_)
        | NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::MergeStmt(_)
        | NodeEnum::CallStmt(_)
        | NodeEnum::TransactionStmt(_)
        | NodeEnum::VariableShowStmt(_)
        | NodeEnum::NotifyStmt(_)
        | NodeEnum::ListenStmt(_)
        | NodeEnum::UnlistenStmt(_)
        | NodeEnum::LockStmt(_)
        | NodeEnum::TruncateStmt(_)
        | NodeEnum::CopyStmt(_)
        | NodeEnum::RefreshMatViewStmt(_)
        | NodeEnum::ExplainStmt(_)
        | NodeEnum::CheckPointStmt(_)
        | NodeEnum::DiscardStmt(_)
        | NodeEnum::VacuumStmt(_)
        | NodeEnum::ClusterStmt(_)
        | NodeEnum::ReindexStmt(_)
        | NodeEnum::ConstraintsSetStmt(_)
        | NodeEnum::LoadStmt(_) => false,
        _ => true,
    }
}

/// The effects of function bodies, read once per body text.
#[derive(Default)]
pub(crate) struct EffectsCache {
    by_body: std::cell::RefCell<HashMap<(String, String), Rc<Effects>>>,
    /// The functions whose touches are being computed (a recursion guard).
    touching: std::cell::RefCell<Vec<QName>>,
}

impl Clone for EffectsCache {
    fn clone(&self) -> Self {
        EffectsCache::default()
    }
}

impl Replayer {
    /// The effects of a function's body (read once per distinct body).
    pub(crate) fn effects(&self, f: &Function) -> Rc<Effects> {
        let Some(body) = &f.body else { return Rc::new(Effects::default()) };
        let (params, returns) = super::plpgsql::signature(f);
        let key = (f.language.clone(), format!("{params}\u{0}{returns}\u{0}{body}"));
        if let Some(e) = self.effects_cache.by_body.borrow().get(&key) {
            return e.clone();
        }
        let mut e = Effects::default();
        match f.language.as_str() {
            "plpgsql" => match super::plpgsql::parse_body(body, &params, &returns) {
                Some(tree) => e.read_plpgsql(&tree),
                None => e.unreadable = Some(format!("the body of {} (PL/pgSQL pgvet's parser does not read)", f.name)),
            },
            "sql" => {
                if !e.read_sql(body) && !body.trim().is_empty() {
                    e.unreadable = Some(format!("the body of {}", f.name));
                }
            }
            // C and internal functions are the server's or an extension's: no migration DDL.
            "c" | "internal" => {}
            other => e.unreadable = Some(format!("{} is written in {other}", f.name)),
        }
        let e = Rc::new(e);
        self.effects_cache.by_body.borrow_mut().insert(key, e.clone());
        e
    }

    /// The migration-defined functions a call by `names` may reach.
    pub(crate) fn callees(&self, names: &[String]) -> Vec<Function> {
        let Some(q) = self.resolve_names(names, |q| self.catalog.functions.values().any(|g| g.name == *q && !g.origin.is_builtin())) else {
            return Vec::new();
        };
        self.catalog.functions.values().filter(|g| g.name == q && !g.origin.is_builtin()).cloned().collect()
    }

    /// Whether calling `f` may change the schema: it runs DDL or dynamic SQL, or calls (at any
    /// depth) a function that does. Recursion is followed once.
    pub(crate) fn may_change_schema(&self, f: &Function) -> bool {
        let mut seen: Vec<QName> = Vec::new();
        self.may_change_schema_seen(f, &mut seen)
    }

    fn may_change_schema_seen(&self, f: &Function, seen: &mut Vec<QName>) -> bool {
        if seen.contains(&f.name) {
            return false;
        }
        seen.push(f.name.clone());
        let e = self.effects(f);
        if e.unreadable.is_some() || !e.ddl.is_empty() || !e.dynamic.is_empty() {
            if std::env::var_os("PGVET_TRACE_EFFECTS").is_some() {
                eprintln!("{} may change the schema: {:?} {:?} {:?}", f.name, e.unreadable, e.ddl.first(), e.dynamic.first());
            }
            return true;
        }
        e.calls.iter().any(|c| self.callees(c).iter().any(|g| self.may_change_schema_seen(g, seen)))
    }

    /// What calling `f` may touch, when pgvet does not run it (its arguments or the loop around
    /// it are unknown): the objects its static DDL names, the names its dynamic SQL can build
    /// (unknown values as placeholders), and the same for the functions it calls.
    pub(crate) fn function_touches(&self, f: &Function) -> Touched {
        if self.effects_cache.touching.borrow().contains(&f.name) {
            return Touched::default();
        }
        self.effects_cache.touching.borrow_mut().push(f.name.clone());
        let out = self.function_touches_inner(f);
        self.effects_cache.touching.borrow_mut().pop();
        out
    }

    fn function_touches_inner(&self, f: &Function) -> Touched {
        let mut out = Touched::default();
        let e = self.effects(f);
        let everything = || Touched { schemas: vec![self.creation_schema()], ..Default::default() };
        if e.unreadable.is_some() {
            return everything();
        }
        let mut dynamic = false;
        for sql in &e.ddl {
            for s in parse_sql(sql).statements {
                self.statement_touches(&s.node, &mut out, &mut dynamic);
            }
        }
        if dynamic {
            return everything();
        }
        for expr in &e.dynamic {
            out.merge(self.symbolic_touches(expr));
        }
        for c in &e.calls {
            for g in self.callees(c) {
                if self.may_change_schema(&g) {
                    out.merge(self.function_touches(&g));
                }
            }
        }
        out
    }
}
