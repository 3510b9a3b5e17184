//! A PL/pgSQL interpreter for what migrations do in `DO` blocks and in functions they define and
//! call: DDL statements, `IF [NOT] EXISTS (SELECT ... FROM information_schema/pg_catalog ...)`
//! guards, `EXCEPTION WHEN duplicate_object ...` handlers (a failing statement rolls its block
//! back and runs the handler, as the server's subtransaction does), `EXECUTE` of strings built
//! with `format()`/`||` from constants and loop variables, `FOR` loops over ranges, arrays and
//! catalog queries, and `PERFORM`/`SELECT` of migration-defined functions with constant
//! arguments, all within a step budget. What it cannot compute marks what it may touch as
//! uncertain (see [`super::uncertain`]).
use std::rc::Rc;

use pgvet_syntax::protobuf::node::Node as N;
use pgvet_syntax::{parse_sql, NodeEnum};
use serde_json::Value as J;

use super::eval::{Scope, Stop, Symbolic, Val, R};
use super::uncertain::Touched;
use super::*;

/// Interpreted PL/pgSQL statements (and loop iterations) per top-level statement.
const BUDGET: usize = 50_000;
/// Nested function calls.
const MAX_DEPTH: usize = 16;

/// How a statement list ended.
enum Flow {
    Next,
    Exit(Option<String>),
    Continue(Option<String>),
    Return,
}

#[derive(Clone)]
struct Frame {
    /// Datums by number: (name, value).
    vars: Vec<(String, Val)>,
    params: Vec<Val>,
    /// In an exception handler: the error it caught (for a bare `RAISE;`).
    caught: Option<(String, String)>,
}

impl Scope for Frame {
    fn lookup(&self, names: &[String]) -> Option<Val> {
        let find = |n: &str| self.vars.iter().rev().find(|(v, _)| v.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone());
        match names {
            [n] => find(n),
            [rec, field] => match find(rec)? {
                Val::Record(cols) => Some(cols.iter().find(|(c, _)| c == field).map(|(_, v)| v.clone()).unwrap_or(Val::Unknown)),
                Val::Unknown => Some(Val::Unknown),
                _ => None,
            },
            _ => None,
        }
    }
    fn param(&self, n: usize) -> Option<Val> {
        n.checked_sub(1).and_then(|i| self.params.get(i)).cloned()
    }
}

/// The state of one top-level statement's interpretation.
pub(crate) struct Run {
    budget: usize,
    depth: usize,
    /// What the statement may have touched that pgvet could not follow, and why.
    pub touched: Touched,
    pub reasons: Vec<String>,
}

impl Run {
    pub fn new() -> Self {
        Run { budget: BUDGET, depth: 0, touched: Touched::default(), reasons: Vec::new() }
    }

    fn unmodelled(&mut self, why: impl Into<String>, touched: Touched) {
        let why = why.into();
        if !self.reasons.contains(&why) {
            self.reasons.push(why);
        }
        self.touched.merge(touched);
    }
}

/// A function's parameter list and result as a CREATE FUNCTION writes them (the PL/pgSQL
/// parser checks a body against them: `RETURN x` in a void function does not parse).
pub(crate) fn signature(func: &Function) -> (String, String) {
    let arg = |a: &FunctionArg| format!("{} {}", a.name.as_deref().map(pgvet_syntax::quote_ident).unwrap_or_default(), a.type_name);
    let params: Vec<String> = func
        .args
        .iter()
        .filter(|a| a.mode != "table")
        .map(|a| {
            let mode = match a.mode {
                "out" => "OUT ",
                "inout" => "INOUT ",
                "variadic" => "VARIADIC ",
                _ => "",
            };
            format!("{mode}{}", arg(a))
        })
        .collect();
    let table: Vec<String> = func.args.iter().filter(|a| a.mode == "table").map(arg).collect();
    let returns =
        if table.is_empty() { func.returns.clone().unwrap_or_else(|| "void".into()) } else { format!("TABLE ({})", table.join(", ")) };
    (params.join(", "), returns)
}

/// The PL/pgSQL parse of a body: wrapped in a CREATE FUNCTION with the given signature.
pub(crate) fn parse_body(body: &str, params: &str, returns: &str) -> Option<Rc<J>> {
    let mut tag = String::from("pgvet");
    while body.contains(&format!("${tag}$")) {
        tag.push('x');
    }
    let sql = format!("CREATE FUNCTION pgvet_body({params}) RETURNS {returns} LANGUAGE plpgsql AS ${tag}${body}${tag}$");
    let json = pgvet_syntax::parse_plpgsql_json(&sql).ok()?;
    let v: J = serde_json::from_str(&json).ok()?;
    let f = v.get(0)?.get("PLpgSQL_function")?.clone();
    Some(Rc::new(f))
}

fn obj<'a>(v: &'a J, kind: &str) -> Option<&'a J> {
    v.get(kind)
}

fn query_of(v: Option<&J>) -> Option<&str> {
    v?.get("PLpgSQL_expr")?.get("query")?.as_str()
}

fn list(v: Option<&J>) -> &[J] {
    v.and_then(|b| b.as_array()).map(|a| a.as_slice()).unwrap_or(&[])
}

/// The SQLSTATE of a replay error, from its message (see `Replayer::error`).
pub(crate) fn sqlstate(message: &str) -> &'static str {
    let m = message;
    let exists = m.contains("already exists");
    let missing = m.contains("does not exist");
    if exists {
        if m.starts_with("relation") {
            "42P07"
        } else if m.starts_with("column") {
            "42701"
        } else if m.starts_with("schema") {
            "42P06"
        } else if m.starts_with("function") {
            "42723"
        } else {
            "42710"
        }
    } else if missing {
        if m.starts_with("relation") || m.contains("names a table") || m.contains("on a table") {
            "42P01"
        } else if m.starts_with("column") {
            "42703"
        } else if m.starts_with("function") {
            "42883"
        } else if m.starts_with("schema") {
            "3F000"
        } else {
            "42704"
        }
    } else if m.starts_with("cannot drop") {
        "2BP01"
    } else if m.starts_with("multiple primary keys") || m.contains("is in a primary key") {
        "42P16"
    } else if m.starts_with("there is no unique constraint") {
        "42830"
    } else if m.contains("cannot run inside a transaction block") {
        "25001"
    } else if m.contains("identity") || m.contains("already has a default value") {
        "55000"
    } else {
        "XX000"
    }
}

/// Whether an EXCEPTION condition name catches `state`.
fn catches(cond: &str, state: &str) -> bool {
    let exact = match cond {
        "others" => return state != "57014",
        "duplicate_object" => "42710",
        "duplicate_table" => "42P07",
        "duplicate_column" => "42701",
        "duplicate_schema" => "42P06",
        "duplicate_function" => "42723",
        "undefined_table" => "42P01",
        "undefined_column" => "42703",
        "undefined_object" => "42704",
        "undefined_function" => "42883",
        "invalid_schema_name" => "3F000",
        "dependent_objects_still_exist" => "2BP01",
        "invalid_table_definition" => "42P16",
        "invalid_foreign_key" => "42830",
        "raise_exception" => "P0001",
        "division_by_zero" => "22012",
        // Classes: the first two characters.
        "syntax_error_or_access_rule_violation" => return state.starts_with("42"),
        "dependent_privilege_descriptors_still_exist" => return state.starts_with("2B"),
        "feature_not_supported" => "0A000",
        _ => return cond.len() == 5 && cond.eq_ignore_ascii_case(state),
    };
    exact == state
}

impl Replayer {
    /// `DO $$ ... $$`: runs the block; objects it may touch but pgvet cannot follow become uncertain.
    pub(super) fn do_block(&mut self, s: &protobuf::DoStmt) {
        let mut body = None;
        let mut language = "plpgsql".to_string();
        for a in &s.args {
            let Some(N::DefElem(d)) = &a.node else { continue };
            let val = match d.arg.as_deref().and_then(|n| n.node.as_ref()) {
                Some(N::String(s)) => Some(s.sval.clone()),
                _ => None,
            };
            match d.defname.as_str() {
                "as" => body = val,
                "language" => language = val.unwrap_or_default(),
                _ => {}
            }
        }
        let Some(body) = body else { return };
        let mut run = Run::new();
        if language != "plpgsql" {
            let touched = Touched { schemas: vec![self.creation_schema()], ..Default::default() };
            run.unmodelled(format!("a DO block in language {language}"), touched);
            return self.finish(run);
        }
        let Some(func) = parse_body(&body, "", "void") else {
            let touched = Touched { schemas: vec![self.creation_schema()], ..Default::default() };
            run.unmodelled("a DO block pgvet's PL/pgSQL parser does not read", touched);
            return self.finish(run);
        };
        let saved = self.catalog.clone();
        let events = self.events.len();
        let result = self.call_parsed(&func, vec![], &[], &mut run);
        match result {
            Err(Stop::Raise(state, message)) => {
                // The DO statement fails and its effects roll back.
                self.catalog = saved;
                self.events.truncate(events);
                self.error(format!("the DO block fails: {message} (SQLSTATE {state})"));
                if !run.reasons.is_empty() && !run.touched.is_empty() {
                    // A part pgvet could not follow ran first (a branch on a setting it cannot
                    // know): the failure may rest on its guess of that part, so it is withheld,
                    // and what that part may have touched stays uncertain.
                    let error = self.events.len() - 1;
                    let id = self.events.len();
                    self.finish(run);
                    if self.events.len() > id {
                        self.events[error].withheld_by = Some(id);
                    }
                }
                return;
            }
            Err(Stop::Unknown(why)) => {
                let everything = Touched { schemas: vec![self.creation_schema()], ..Default::default() };
                run.unmodelled(why, everything);
            }
            Ok(()) => {}
        }
        self.finish(run)
    }

    /// A migration pgvet cannot replay (one written in a host language, such as a goose `.go`
    /// migration): what its SQL strings may touch becomes uncertain. `sql` are the string
    /// literals of the file that read as SQL, with `%s`-style formatting verbs in them; a file
    /// with none may change anything.
    pub fn unmodelled_migration(&mut self, step: usize, span: Span, what: &str, sql: &[String]) {
        self.step = step;
        self.span = span;
        let mut run = Run::new();
        let mut touched = Touched::default();
        for s in sql {
            touched.merge(self.sql_touches(&format_verbs_to_placeholder(s)));
        }
        if sql.is_empty() {
            touched.schemas.push(self.creation_schema());
        }
        run.unmodelled(format!("{what} is not replayed"), touched);
        self.finish(run);
    }

    /// Records what a run could not model as one opaque event and marks what it may touch.
    fn finish(&mut self, run: Run) {
        if run.reasons.is_empty() {
            return;
        }
        let id = self.events.len();
        let what = run.touched.describe();
        let message = if what.is_empty() {
            format!("not modelled: {}", run.reasons.join("; "))
        } else {
            format!("not modelled: {}; it may change {what}", run.reasons.join("; "))
        };
        self.events.push(ReplayEvent { step: self.step, span: self.span, kind: EventKind::Unmodelled, message, withheld_by: None });
        self.catalog.uncertain.mark(&run.touched, id);
        // Tables it may have changed: their columns and keys are no longer known for sure.
        for q in &run.touched.relations {
            if let Some(mut t) = self.catalog.tables.get_mut(q) {
                t.incomplete = true;
            }
        }
    }

    /// A top-level `SELECT f(...)` / `CALL p(...)`: calls of functions the migrations defined
    /// whose bodies may change the schema are interpreted.
    pub(super) fn call_functions_in(&mut self, node: &NodeEnum) {
        let mut calls = Vec::new();
        for n in pgvet_syntax::all_nodes(node) {
            if let pgvet_syntax::pg_query::NodeRef::FuncCall(f) = n {
                calls.push(f.clone());
            }
        }
        if calls.is_empty() {
            return;
        }
        let mut run = Run::new();
        for f in calls {
            if let Err(Stop::Raise(state, message)) =
                self.call_user_function(&f, &Frame { vars: vec![], params: vec![], caught: None }, &mut run)
            {
                self.error(format!("{message} (SQLSTATE {state})"));
                break;
            }
        }
        self.finish(run);
    }

    /// Calls a function the migrations defined, if its body may change the schema.
    fn call_user_function(&mut self, f: &protobuf::FuncCall, scope: &dyn Scope, run: &mut Run) -> R<()> {
        let names = strs(&f.funcname);
        let Some(q) = self.resolve_names(&names, |q| self.catalog.functions.keys().any(|k| k.name == *q)) else {
            // A function of another schema that pgvet does not know (an extension's, such as
            // `pgmq.create('jobs')`, which creates `pgmq.q_jobs`): it may create relations in
            // its schema.
            if let [schema, name] = names.as_slice() {
                let builtin = crate::typing::builtin_candidates(Some(schema), name, f.args.len()).len()
                    + crate::typing::builtin_candidates(Some("pg_catalog"), name, f.args.len()).len()
                    > 0;
                if !builtin && !matches!(schema.as_str(), "pg_catalog" | "information_schema") && !extension_data_only(schema, name) {
                    run.unmodelled(
                        format!("a call of {schema}.{name}, a function pgvet does not know (an extension's), which may create relations"),
                        Touched { new_relations_in: vec![QName::new(schema.as_str(), PLACEHOLDER)], ..Default::default() },
                    );
                }
            }
            return Ok(());
        };
        let candidates: Vec<Function> =
            self.catalog.functions.values().filter(|g| g.name == q && !g.origin.is_builtin()).cloned().collect();
        let arity = f.args.len();
        let Some(func) = candidates.into_iter().find(|g| {
            let inputs: Vec<&FunctionArg> = g.args.iter().filter(|a| matches!(a.mode, "in" | "inout" | "variadic")).collect();
            let required = inputs.iter().filter(|a| !a.has_default).count();
            arity >= required && (arity <= inputs.len() || inputs.iter().any(|a| a.mode == "variadic"))
        }) else {
            return Ok(());
        };
        let Some(body) = func.body.clone() else { return Ok(()) };
        // A function that only reads and writes rows (and calls only such functions) changes
        // no schema: nothing to run.
        if !self.may_change_schema(&func) {
            return Ok(());
        }
        if run.depth >= MAX_DEPTH {
            run.unmodelled(
                format!("calls nested deeper than {MAX_DEPTH} ({q})"),
                Touched { schemas: vec![self.creation_schema()], ..Default::default() },
            );
            return Ok(());
        }
        let args: Vec<Val> = f.args.iter().map(|a| self.eval(a, scope).unwrap_or(Val::Unknown)).collect();
        if func.language != "plpgsql" {
            // SQL functions: their statements, with $n bound.
            let parsed = parse_sql(&body);
            let frame = Frame { vars: vec![], params: args, caught: None };
            for s in &parsed.statements {
                self.exec_sql_node(&s.node, &frame, run)?;
            }
            return Ok(());
        }
        let (params, returns) = signature(&func);
        let Some(parsed) = parse_body(&body, &params, &returns) else {
            run.unmodelled(format!("the body of {q}"), Touched { schemas: vec![self.creation_schema()], ..Default::default() });
            return Ok(());
        };
        run.depth += 1;
        let saved_path = func.search_path.as_deref().map(|p| {
            let path = p.split(',').map(|s| s.trim().trim_matches('"').to_string()).filter(|s| !s.is_empty() && s != "$user").collect();
            std::mem::replace(&mut self.search_path, path)
        });
        let inputs: Vec<bool> = func.args.iter().map(|a| matches!(a.mode, "in" | "inout" | "variadic")).collect();
        let r = self.call_parsed(&parsed, args, &inputs, run);
        if let Some(p) = saved_path {
            self.search_path = p;
        }
        run.depth -= 1;
        r
    }

    /// Runs a parsed body. `inputs` has one entry per parameter (the first datums), true for
    /// those the call's arguments fill in order.
    fn call_parsed(&mut self, func: &J, args: Vec<Val>, inputs: &[bool], run: &mut Run) -> R<()> {
        let datums = list(func.get("datums"));
        let mut frame = Frame { vars: Vec::with_capacity(datums.len()), params: args.clone(), caught: None };
        for d in datums {
            let (name, default) = match d.as_object().and_then(|m| m.iter().next()) {
                Some((_, v)) => (v.get("refname").and_then(|r| r.as_str()).unwrap_or("").to_string(), v.get("default_val")),
                None => (String::new(), None),
            };
            let value = match default.and_then(|d| query_of(Some(d))) {
                Some(q) => self.eval_text(q, &frame).unwrap_or(Val::Unknown),
                None => Val::Null,
            };
            frame.vars.push((name, value));
        }
        // Parameters are the first datums (PL/pgSQL numbers them before `found`); one the call
        // leaves out takes its default, which pgvet does not evaluate.
        let mut args = args.into_iter();
        for (slot, input) in inputs.iter().enumerate().take(frame.vars.len()) {
            frame.vars[slot].1 = if *input { args.next().unwrap_or(Val::Unknown) } else { Val::Null };
        }
        let action = func.get("action").cloned().unwrap_or(J::Null);
        match self.exec_stmt(&action, &mut frame, run)? {
            Flow::Next | Flow::Return | Flow::Exit(_) | Flow::Continue(_) => Ok(()),
        }
    }

    fn eval_text(&self, expr: &str, frame: &dyn Scope) -> R<Val> {
        let Some(node) = pgvet_syntax::parse_expr(expr) else { return Err(Stop::Unknown(format!("the expression {expr}"))) };
        self.eval(&node, frame)
    }

    fn exec_list(&mut self, stmts: &[J], frame: &mut Frame, run: &mut Run) -> R<Flow> {
        for s in stmts {
            match self.exec_stmt(s, frame, run)? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    fn exec_stmt(&mut self, s: &J, frame: &mut Frame, run: &mut Run) -> R<Flow> {
        if run.budget == 0 {
            run.unmodelled(
                format!("more than {BUDGET} PL/pgSQL steps"),
                Touched { schemas: vec![self.creation_schema()], ..Default::default() },
            );
            return Ok(Flow::Return);
        }
        run.budget -= 1;
        let Some((kind, st)) = s.as_object().and_then(|m| m.iter().next()) else { return Ok(Flow::Next) };
        match kind.as_str() {
            "PLpgSQL_stmt_block" => self.exec_block(st, frame, run),
            "PLpgSQL_stmt_if" => {
                let mut branches: Vec<(Option<&str>, &[J])> = vec![(query_of(st.get("cond")), list(st.get("then_body")))];
                for e in list(st.get("elsif_list")) {
                    let e = obj(e, "PLpgSQL_if_elsif").unwrap_or(e);
                    branches.push((query_of(e.get("cond")), list(e.get("stmts"))));
                }
                branches.push((None, list(st.get("else_body"))));
                self.exec_branches(&branches, frame, run, None)
            }
            "PLpgSQL_stmt_case" => {
                if let (Some(q), Some(no)) = (query_of(st.get("t_expr")), st.get("t_varno").and_then(|v| v.as_u64())) {
                    let v = self.eval_text(q, frame).unwrap_or(Val::Unknown);
                    if let Some(slot) = frame.vars.get_mut(no as usize) {
                        slot.1 = v;
                    }
                }
                let mut branches: Vec<(Option<&str>, &[J])> = Vec::new();
                for w in list(st.get("case_when_list")) {
                    let w = obj(w, "PLpgSQL_case_when").unwrap_or(w);
                    branches.push((query_of(w.get("expr")), list(w.get("stmts"))));
                }
                let has_else = st.get("have_else").and_then(|b| b.as_bool()).unwrap_or(false);
                branches.push((None, list(st.get("else_stmts"))));
                // CASE without ELSE raises case_not_found when nothing matches.
                self.exec_branches(&branches, frame, run, (!has_else).then_some("20000"))
            }
            "PLpgSQL_stmt_loop" | "PLpgSQL_stmt_while" => {
                let label = st.get("label").and_then(|l| l.as_str()).map(String::from);
                loop {
                    if run.budget == 0 {
                        return self.exec_stmt(s, frame, run);
                    }
                    if let Some(c) = query_of(st.get("cond")) {
                        match self.eval_text(c, frame) {
                            Ok(v) if v.truth() == Some(true) => {}
                            Ok(_) => return Ok(Flow::Next),
                            Err(Stop::Raise(a, b)) => return Err(Stop::Raise(a, b)),
                            Err(Stop::Unknown(why)) => return self.skip(list(st.get("body")), frame, run, &why).map(|_| Flow::Next),
                        }
                    }
                    run.budget = run.budget.saturating_sub(1);
                    match self.exec_list(list(st.get("body")), frame, run)? {
                        Flow::Exit(l) if l.is_none() || l == label => return Ok(Flow::Next),
                        Flow::Continue(l) if l.is_none() || l == label => {}
                        Flow::Next => {}
                        other => return Ok(other),
                    }
                }
            }
            "PLpgSQL_stmt_fori" => {
                let label = st.get("label").and_then(|l| l.as_str()).map(String::from);
                let var =
                    st.get("var").and_then(|v| v.get("PLpgSQL_var")).and_then(|v| v.get("refname")).and_then(|r| r.as_str()).unwrap_or("");
                let bound = |this: &Self, k: &str, frame: &Frame| query_of(st.get(k)).map(|q| this.eval_text(q, frame));
                let (lo, hi) = match (bound(self, "lower", frame), bound(self, "upper", frame)) {
                    (Some(Ok(Val::Int(a))), Some(Ok(Val::Int(b)))) => (a, b),
                    (Some(Err(Stop::Raise(a, b))), _) | (_, Some(Err(Stop::Raise(a, b)))) => return Err(Stop::Raise(a, b)),
                    _ => {
                        return self
                            .skip(list(st.get("body")), frame, run, "a FOR loop over bounds pgvet cannot compute")
                            .map(|_| Flow::Next)
                    }
                };
                let step = match bound(self, "step", frame) {
                    Some(Ok(Val::Int(s))) if s > 0 => s,
                    None => 1,
                    _ => return self.skip(list(st.get("body")), frame, run, "a FOR loop step").map(|_| Flow::Next),
                };
                let reverse = st.get("reverse").and_then(|r| r.as_bool()).unwrap_or(false);
                let values: Box<dyn Iterator<Item = i64>> = if reverse {
                    Box::new(std::iter::successors(Some(lo), move |i| i.checked_sub(step)).take_while(move |i| *i >= hi))
                } else {
                    Box::new(std::iter::successors(Some(lo), move |i| i.checked_add(step)).take_while(move |i| *i <= hi))
                };
                let values = values.map(Val::Int);
                self.run_loop(values, var, list(st.get("body")), label, frame, run)
            }
            "PLpgSQL_stmt_foreach_a" => {
                let label = st.get("label").and_then(|l| l.as_str()).map(String::from);
                let var = st
                    .get("varno")
                    .and_then(|v| v.as_u64())
                    .and_then(|n| frame.vars.get(n as usize))
                    .map(|v| v.0.clone())
                    .unwrap_or_default();
                match query_of(st.get("expr")).map(|q| self.eval_text(q, frame)) {
                    Some(Ok(Val::Array(items))) => self.run_loop(items.into_iter(), &var, list(st.get("body")), label, frame, run),
                    Some(Ok(Val::Null)) => Err(Stop::Raise("22004".into(), "FOREACH expression must not be null".into())),
                    Some(Err(Stop::Raise(a, b))) => Err(Stop::Raise(a, b)),
                    _ => self.skip(list(st.get("body")), frame, run, "a FOREACH over an array pgvet cannot compute").map(|_| Flow::Next),
                }
            }
            "PLpgSQL_stmt_fors" | "PLpgSQL_stmt_dynfors" => {
                let label = st.get("label").and_then(|l| l.as_str()).map(String::from);
                let target = st.get("var").and_then(|v| v.as_object()).and_then(|m| m.iter().next());
                let var = match target {
                    // Scalar loop variables: a row of them, filled from each row's columns.
                    Some((kind, row)) if kind == "PLpgSQL_row" => {
                        let fields: Vec<&str> =
                            list(row.get("fields")).iter().filter_map(|f| f.get("name").and_then(|n| n.as_str())).collect();
                        format!("{ROW_TARGET}{}", fields.join(","))
                    }
                    Some((_, v)) => v.get("refname").and_then(|r| r.as_str()).unwrap_or("").to_string(),
                    None => String::new(),
                };
                let text = match kind.as_str() {
                    "PLpgSQL_stmt_fors" => query_of(st.get("query")).map(|q| Ok(Val::Text(q.to_string()))),
                    _ => query_of(st.get("query")).map(|q| self.eval_text(q, frame)),
                };
                let rows = match text {
                    Some(Ok(Val::Text(q))) => self.query_text(&q, frame),
                    Some(Err(e)) => Err(e),
                    _ => Err(Stop::Unknown("a dynamic query".into())),
                };
                match rows {
                    Ok(rows) => self.run_loop(rows.into_iter().map(Val::Record), &var, list(st.get("body")), label, frame, run),
                    Err(Stop::Raise(a, b)) => Err(Stop::Raise(a, b)),
                    Err(Stop::Unknown(why)) => {
                        self.skip(list(st.get("body")), frame, run, &format!("a FOR loop over {why}")).map(|_| Flow::Next)
                    }
                }
            }
            "PLpgSQL_stmt_exit" => {
                let is_exit = st.get("is_exit").and_then(|b| b.as_bool()).unwrap_or(false);
                if let Some(c) = query_of(st.get("cond")) {
                    match self.eval_text(c, frame) {
                        Ok(v) if v.truth() == Some(true) => {}
                        Ok(_) => return Ok(Flow::Next),
                        Err(Stop::Raise(a, b)) => return Err(Stop::Raise(a, b)),
                        Err(Stop::Unknown(why)) => {
                            // Whether the loop stops here is unknown: the rest of it is skipped.
                            run.unmodelled(format!("a loop exit on {why}"), Touched::default());
                            return Ok(Flow::Exit(None));
                        }
                    }
                }
                let label = st.get("label").and_then(|l| l.as_str()).map(String::from);
                Ok(if is_exit { Flow::Exit(label) } else { Flow::Continue(label) })
            }
            "PLpgSQL_stmt_return" | "PLpgSQL_stmt_return_next" | "PLpgSQL_stmt_return_query" => {
                Ok(if kind == "PLpgSQL_stmt_return" { Flow::Return } else { Flow::Next })
            }
            "PLpgSQL_stmt_assign" => {
                let Some(q) = query_of(st.get("expr")) else { return Ok(Flow::Next) };
                let Some(no) = st.get("varno").and_then(|v| v.as_u64()) else { return Ok(Flow::Next) };
                let expr = q.find(":=").map(|i| &q[i + 2..]).or_else(|| q.find('=').map(|i| &q[i + 1..])).unwrap_or(q);
                let v = match self.eval_text(expr.trim(), frame) {
                    Ok(v) => v,
                    Err(Stop::Raise(a, b)) => return Err(Stop::Raise(a, b)),
                    Err(Stop::Unknown(_)) => Val::Unknown,
                };
                if let Some(slot) = frame.vars.get_mut(no as usize) {
                    slot.1 = v;
                }
                Ok(Flow::Next)
            }
            "PLpgSQL_stmt_raise" => {
                // elog levels: ERROR is 21 on PostgreSQL 15; NOTICE and friends are below.
                let level = st.get("elog_level").and_then(|l| l.as_u64()).unwrap_or(21);
                if level < 21 {
                    return Ok(Flow::Next);
                }
                let bare = st.get("condname").is_none() && st.get("message").is_none() && st.get("options").is_none();
                if bare {
                    // `RAISE;` re-raises the error the handler caught.
                    if let Some((state, message)) = frame.caught.clone() {
                        return Err(Stop::Raise(state, message));
                    }
                }
                let state = st.get("condname").and_then(|c| c.as_str()).map(|c| c.to_string()).unwrap_or_else(|| "P0001".into());
                let message = st.get("message").and_then(|m| m.as_str()).unwrap_or("").to_string();
                Err(Stop::Raise(state, format!("RAISE EXCEPTION '{message}'")))
            }
            "PLpgSQL_stmt_execsql" => {
                let Some(q) = query_of(st.get("sqlstmt")) else { return Ok(Flow::Next) };
                let into = st.get("into").and_then(|b| b.as_bool()).unwrap_or(false);
                self.exec_sql_text(q, frame, run, into.then(|| st.get("target")).flatten())?;
                Ok(Flow::Next)
            }
            "PLpgSQL_stmt_perform" => {
                let Some(q) = query_of(st.get("expr")) else { return Ok(Flow::Next) };
                self.exec_sql_text(q, frame, run, None)?;
                Ok(Flow::Next)
            }
            "PLpgSQL_stmt_dynexecute" => {
                let Some(q) = query_of(st.get("query")) else { return Ok(Flow::Next) };
                match self.eval_text(q, frame) {
                    Ok(Val::Text(sql)) => {
                        let into = st.get("into").and_then(|b| b.as_bool()).unwrap_or(false);
                        self.exec_sql_text(&sql, frame, run, into.then(|| st.get("target")).flatten())?;
                    }
                    Ok(Val::Null) => return Err(Stop::Raise("22004".into(), "query string argument of EXECUTE is null".into())),
                    Err(Stop::Raise(a, b)) => return Err(Stop::Raise(a, b)),
                    Ok(_) | Err(Stop::Unknown(_)) => {
                        let touched = self.dynamic_touches(q, frame);
                        run.unmodelled(format!("EXECUTE of a string pgvet cannot compute ({})", clip(q)), touched);
                    }
                }
                Ok(Flow::Next)
            }
            "PLpgSQL_stmt_call" => {
                let Some(q) = query_of(st.get("expr")) else { return Ok(Flow::Next) };
                self.exec_sql_text(q, frame, run, None)?;
                Ok(Flow::Next)
            }
            // ROW_COUNT and friends depend on data.
            "PLpgSQL_stmt_getdiag" => {
                for item in list(st.get("diag_items")) {
                    let item = item.get("PLpgSQL_diag_item").unwrap_or(item);
                    if let Some(slot) = item.get("target").and_then(|t| t.as_u64()).and_then(|n| frame.vars.get_mut(n as usize)) {
                        slot.1 = Val::Unknown;
                    }
                }
                Ok(Flow::Next)
            }
            // No effect on the schema.
            "PLpgSQL_stmt_assert" | "PLpgSQL_stmt_commit" | "PLpgSQL_stmt_rollback" | "PLpgSQL_stmt_close" => Ok(Flow::Next),
            other => {
                run.unmodelled(format!("{} is not interpreted", other.trim_start_matches("PLpgSQL_stmt_")), Touched::default());
                Ok(Flow::Next)
            }
        }
    }

    fn run_loop(
        &mut self,
        values: impl Iterator<Item = Val>,
        var: &str,
        body: &[J],
        label: Option<String>,
        frame: &mut Frame,
        run: &mut Run,
    ) -> R<Flow> {
        for v in values {
            if run.budget == 0 {
                run.unmodelled(
                    format!("a loop longer than {BUDGET} steps"),
                    Touched { schemas: vec![self.creation_schema()], ..Default::default() },
                );
                return Ok(Flow::Return);
            }
            run.budget -= 1;
            match (var.strip_prefix(ROW_TARGET), v) {
                // `FOR a, b IN SELECT ...` / a scalar loop variable: the row's columns in order.
                (Some(fields), Val::Record(cols)) => {
                    for (f, (_, value)) in fields.split(',').zip(cols) {
                        if let Some(slot) = frame.vars.iter_mut().rev().find(|(n, _)| n.eq_ignore_ascii_case(f)) {
                            slot.1 = value;
                        }
                    }
                }
                (_, v) => match frame.vars.iter_mut().rev().find(|(n, _)| n.eq_ignore_ascii_case(var)) {
                    Some(slot) => slot.1 = v,
                    None => frame.vars.push((var.to_string(), v)),
                },
            }
            match self.exec_list(body, frame, run)? {
                Flow::Exit(l) if l.is_none() || l == label => return Ok(Flow::Next),
                Flow::Continue(l) if l.is_none() || l == label => {}
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    /// IF / CASE: runs the first branch whose condition holds. A condition pgvet cannot evaluate
    /// (table data, the clock) leaves every branch unmodelled.
    fn exec_branches(&mut self, branches: &[(Option<&str>, &[J])], frame: &mut Frame, run: &mut Run, no_match: Option<&str>) -> R<Flow> {
        for (i, (cond, body)) in branches.iter().enumerate() {
            let Some(c) = cond else {
                if body.is_empty() {
                    if let Some(state) = no_match {
                        return Err(Stop::Raise(state.into(), "case not found".into()));
                    }
                }
                return self.exec_list(body, frame, run);
            };
            match self.eval_text(c, frame) {
                Ok(v) if v.truth() == Some(true) => return self.exec_list(body, frame, run),
                Ok(_) => {}
                Err(Stop::Raise(a, b)) => return Err(Stop::Raise(a, b)),
                Err(Stop::Unknown(why)) => {
                    let rest: Vec<J> = branches[i..].iter().flat_map(|(_, b)| b.iter().cloned()).collect();
                    self.skip(&rest, frame, run, &format!("a condition on {why}"))?;
                    return Ok(Flow::Next);
                }
            }
        }
        Ok(Flow::Next)
    }

    /// Statements that may or may not run: nothing is applied, and what they could touch becomes
    /// uncertain.
    fn skip(&mut self, stmts: &[J], frame: &Frame, run: &mut Run, why: &str) -> R<()> {
        let mut touched = Touched::default();
        let mut dynamic = false;
        self.touches(stmts, frame, &mut touched, &mut dynamic);
        if dynamic {
            touched.schemas.push(self.creation_schema());
        }
        if !touched.is_empty() {
            run.unmodelled(why.to_string(), touched);
        }
        Ok(())
    }

    /// What statements pgvet does not run may touch. The variables they assign are followed
    /// along each path through them (both sides of every IF, a loop's body once, an exception
    /// handler from the block's entry and exit), evaluated symbolically: a value pgvet cannot
    /// know is a placeholder. So `EXECUTE v_cmd` after `v_cmd := format('ALTER POLICY %I ...')`
    /// in either branch of an IF reads as the ALTER POLICY it builds, whatever the loop's rows.
    fn touches(&self, stmts: &[J], frame: &Frame, out: &mut Touched, dynamic: &mut bool) {
        self.touch_paths(stmts, vec![frame.clone()], out, dynamic);
    }

    fn touch_paths(&self, stmts: &[J], mut frames: Vec<Frame>, out: &mut Touched, dynamic: &mut bool) -> Vec<Frame> {
        for s in stmts {
            let Some((kind, st)) = s.as_object().and_then(|m| m.iter().next()) else { continue };
            let into = st.get("into").and_then(|b| b.as_bool()).unwrap_or(false);
            match kind.as_str() {
                "PLpgSQL_stmt_assign" => {
                    let (Some(q), Some(no)) = (query_of(st.get("expr")), st.get("varno").and_then(|v| v.as_u64())) else { continue };
                    let expr = q.find(":=").map(|i| &q[i + 2..]).or_else(|| q.find('=').map(|i| &q[i + 1..])).unwrap_or(q).trim();
                    for f in frames.iter_mut() {
                        let v = self.eval_text(expr, &Symbolic(&*f)).unwrap_or(Val::Unknown);
                        if let Some(slot) = f.vars.get_mut(no as usize) {
                            slot.1 = v;
                        }
                    }
                }
                "PLpgSQL_stmt_execsql" | "PLpgSQL_stmt_perform" | "PLpgSQL_stmt_call" => {
                    let key = if kind == "PLpgSQL_stmt_execsql" { "sqlstmt" } else { "expr" };
                    if let Some(sql) = query_of(st.get(key)) {
                        for stmt in parse_sql(sql).statements {
                            self.statement_touches(&stmt.node, out, dynamic);
                        }
                    }
                    if into {
                        forget_target(st.get("target"), &mut frames);
                    }
                }
                "PLpgSQL_stmt_dynexecute" => {
                    if let Some(q) = query_of(st.get("query")) {
                        let mut seen: Vec<Val> = Vec::new();
                        for f in &frames {
                            match self.eval_text(q, f) {
                                Ok(Val::Text(sql)) => {
                                    if seen.contains(&Val::Text(sql.clone())) {
                                        continue;
                                    }
                                    // Placeholders where a path assigned what pgvet cannot know.
                                    out.merge(self.sql_touches(&sql));
                                    seen.push(Val::Text(sql));
                                }
                                _ => out.merge(self.dynamic_touches(q, f)),
                            }
                        }
                    }
                    if into {
                        forget_target(st.get("target"), &mut frames);
                    }
                }
                "PLpgSQL_stmt_if" | "PLpgSQL_stmt_case" => {
                    let mut branches: Vec<&[J]> = Vec::new();
                    let mut otherwise = None;
                    if kind == "PLpgSQL_stmt_if" {
                        branches.push(list(st.get("then_body")));
                        for e in list(st.get("elsif_list")) {
                            if let Some(inner) = e.as_object().and_then(|m| m.values().next()) {
                                branches.push(list(inner.get("stmts")));
                            }
                        }
                        otherwise = st.get("else_body").map(|b| list(Some(b)));
                    } else {
                        for e in list(st.get("case_when_list")) {
                            if let Some(inner) = e.as_object().and_then(|m| m.values().next()) {
                                branches.push(list(inner.get("stmts")));
                            }
                        }
                        if st.get("have_else").and_then(|b| b.as_bool()).unwrap_or(false) {
                            otherwise = Some(list(st.get("else_stmts")));
                        }
                    }
                    let mut after = Vec::new();
                    for b in branches {
                        after.extend(self.touch_paths(b, frames.clone(), out, dynamic));
                    }
                    match otherwise {
                        Some(b) => after.extend(self.touch_paths(b, frames.clone(), out, dynamic)),
                        None => after.extend(frames.clone()),
                    }
                    frames = bounded(after);
                }
                "PLpgSQL_stmt_block" => {
                    let entry = frames.clone();
                    frames = self.touch_paths(list(st.get("body")), frames, out, dynamic);
                    if let Some(exc) = st.get("exceptions").and_then(|e| e.get("PLpgSQL_exception_block")) {
                        let mut after = frames.clone();
                        for e in list(exc.get("exc_list")) {
                            if let Some(inner) = e.get("PLpgSQL_exception") {
                                let from: Vec<Frame> = entry.iter().chain(frames.iter()).cloned().collect();
                                after.extend(self.touch_paths(list(inner.get("action")), bounded(from), out, dynamic));
                            }
                        }
                        frames = bounded(after);
                    }
                }
                _ => {
                    // Loops: the body once, from frames where the loop variable is unknown; after
                    // the loop, the paths that ran it and those that did not.
                    let Some(body) = st.get("body") else { continue };
                    let mut inside = frames.clone();
                    forget_target(st.get("var"), &mut inside);
                    if let Some(no) = st.get("varno").and_then(|v| v.as_u64()) {
                        for f in inside.iter_mut() {
                            if let Some(slot) = f.vars.get_mut(no as usize) {
                                slot.1 = Val::Unknown;
                            }
                        }
                    }
                    let ran = self.touch_paths(list(Some(body)), inside, out, dynamic);
                    frames.extend(ran);
                    frames = bounded(frames);
                }
            }
        }
        frames
    }

    /// What an EXECUTE whose string pgvet cannot compute may touch: the string is built again
    /// with a placeholder for every unknown value, then read by [`Self::sql_touches`].
    fn dynamic_touches(&self, expr: &str, frame: &Frame) -> Touched {
        match self.eval_text(expr, &Symbolic(frame)) {
            Ok(Val::Text(sql)) => self.sql_touches(&sql),
            _ => Touched { schemas: vec![self.creation_schema()], ..Default::default() },
        }
    }

    /// What the dynamic SQL `expr` of a function pgvet does not run may touch: every variable
    /// and parameter unknown.
    pub(crate) fn symbolic_touches(&self, expr: &str) -> Touched {
        self.dynamic_touches(expr, &Frame { vars: vec![], params: vec![], caught: None })
    }

    /// What SQL with [`PLACEHOLDER`]s for values pgvet does not know may touch. A relation named
    /// by a placeholder is a new relation of unknown name when the statement creates it (a
    /// table, a view, a plain index, or an ALTER that only sets storage options or attaches it
    /// as a partition); any other change to an unknown relation (a column, a constraint, a
    /// unique index, a drop) may concern any relation of the schema. Relations named outright
    /// are touched. What does not parse is read from its head (`CREATE TABLE x ...`).
    pub(crate) fn sql_touches(&self, sql: &str) -> Touched {
        let everything = Touched { schemas: vec![self.creation_schema()], ..Default::default() };
        let new_relation = Touched { new_relations_in: vec![QName::new(self.creation_schema(), PLACEHOLDER)], ..Default::default() };
        let parsed = parse_sql(sql);
        if !parsed.errors.is_empty() || parsed.statements.is_empty() {
            // A placeholder where a value goes (a partition bound) does not parse.
            return match command_target(sql) {
                Some(Target::Creates) | Some(Target::Index { unique: false, .. }) => new_relation,
                Some(Target::Index { unique: true, table }) | Some(Target::Changes(table)) if !table.contains(PLACEHOLDER) => {
                    let (schema, rel) = super::eval::split_name(&table);
                    let q = QName::new(if schema.is_empty() { self.creation_schema() } else { schema }, rel);
                    Touched { relations: vec![q], ..Default::default() }
                }
                _ => everything,
            };
        }
        let mut touched = Touched::default();
        let mut dynamic = false;
        for s in &parsed.statements {
            // Policies, privileges, comments and owners: nothing pgvet's verdicts on relations,
            // columns, keys and functions rest on.
            if touches_no_shape(&s.node) {
                continue;
            }
            let text = &sql[s.span.range()];
            if text.contains(PLACEHOLDER) && !creates_unknown(&s.node) {
                // A change to a relation, type or function pgvet cannot name.
                let names_placeholder = pgvet_syntax::all_nodes(&s.node).into_iter().any(|n| match n {
                    pgvet_syntax::pg_query::NodeRef::RangeVar(rv) => {
                        rv.relname.contains(PLACEHOLDER) || rv.schemaname.contains(PLACEHOLDER)
                    }
                    pgvet_syntax::pg_query::NodeRef::String(x) => x.sval.contains(PLACEHOLDER),
                    _ => false,
                });
                let is_data =
                    matches!(s.node, NodeEnum::SelectStmt(_) | NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_));
                if names_placeholder && !is_data {
                    return everything;
                }
            }
            self.statement_touches(&s.node, &mut touched, &mut dynamic);
        }
        if dynamic {
            return everything;
        }
        let (unnamed, named): (Vec<QName>, Vec<QName>) = touched.relations.into_iter().partition(|q| q.name.contains(PLACEHOLDER));
        touched.relations = named;
        touched.types.retain(|q| !q.name.contains(PLACEHOLDER));
        touched.functions.retain(|q| !q.name.contains(PLACEHOLDER));
        for q in unnamed {
            let schema = if q.schema.contains(PLACEHOLDER) { self.creation_schema() } else { q.schema };
            let pattern = QName::new(schema, q.name);
            if !touched.new_relations_in.contains(&pattern) {
                touched.new_relations_in.push(pattern);
            }
        }
        touched
    }

    /// The objects one statement may create, change or drop.
    pub(crate) fn statement_touches(&self, node: &NodeEnum, out: &mut Touched, dynamic: &mut bool) {
        let schema_of = |s: &str| if s.is_empty() { self.creation_schema() } else { s.to_string() };
        let is_ddl = !matches!(node, NodeEnum::SelectStmt(_) | NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_));
        // Relations a statement reads without changing them: a CREATE TABLE's LIKE source and
        // partition parent, an ATTACH PARTITION's parent (its own definition stays as it is).
        let mut readonly: Vec<(String, String)> = Vec::new();
        match node {
            NodeEnum::CreateStmt(c) => {
                for n in pgvet_syntax::all_nodes(node) {
                    if let pgvet_syntax::pg_query::NodeRef::RangeVar(rv) = n {
                        if c.relation.as_ref().is_none_or(|r| r.relname != rv.relname || r.schemaname != rv.schemaname) {
                            readonly.push((rv.schemaname.clone(), rv.relname.clone()));
                        }
                    }
                }
            }
            NodeEnum::AlterTableStmt(a) => {
                let only_storage_or_partitions = a.cmds.iter().all(|c| {
                    matches!(&c.node, Some(N::AlterTableCmd(cmd)) if matches!(
                        protobuf::AlterTableType::try_from(cmd.subtype),
                        Ok(protobuf::AlterTableType::AtAttachPartition
                            | protobuf::AlterTableType::AtDetachPartition
                            | protobuf::AlterTableType::AtSetRelOptions
                            | protobuf::AlterTableType::AtResetRelOptions
                            | protobuf::AlterTableType::AtChangeOwner
                            | protobuf::AlterTableType::AtSetStatistics)
                    ))
                });
                if only_storage_or_partitions {
                    if let Some(r) = &a.relation {
                        readonly.push((r.schemaname.clone(), r.relname.clone()));
                    }
                }
            }
            _ => {}
        }
        for n in pgvet_syntax::all_nodes(node) {
            match n {
                pgvet_syntax::pg_query::NodeRef::RangeVar(rv)
                    if is_ddl && !readonly.iter().any(|(s, r)| *s == rv.schemaname && *r == rv.relname) =>
                {
                    let q = QName::new(schema_of(&rv.schemaname), rv.relname.clone());
                    if !out.relations.contains(&q) {
                        out.relations.push(q);
                    }
                }
                pgvet_syntax::pg_query::NodeRef::FuncCall(f) => {
                    for g in self.callees(&strs(&f.funcname)) {
                        if self.may_change_schema(&g) {
                            out.merge(self.function_touches(&g));
                        }
                    }
                }
                _ => {}
            }
        }
        match node {
            NodeEnum::CreateEnumStmt(s) => out.types.push(self.new_name_from(&strs(&s.type_name))),
            NodeEnum::CreateDomainStmt(s) => out.types.push(self.new_name_from(&strs(&s.domainname))),
            NodeEnum::CompositeTypeStmt(s) => {
                if let Some(rv) = &s.typevar {
                    out.types.push(QName::new(schema_of(&rv.schemaname), rv.relname.clone()))
                }
            }
            NodeEnum::AlterEnumStmt(s) => out.types.push(self.new_name_from(&strs(&s.type_name))),
            NodeEnum::CreateFunctionStmt(s) => out.functions.push(self.new_name_from(&strs(&s.funcname))),
            NodeEnum::CreateTrigStmt(_) => out.triggers = true,
            NodeEnum::IndexStmt(s) if !s.idxname.is_empty() => {
                let schema = s.relation.as_ref().map(|r| schema_of(&r.schemaname)).unwrap_or_else(|| self.creation_schema());
                out.relations.push(QName::new(schema, s.idxname.clone()));
            }
            NodeEnum::CreateSchemaStmt(s) => out.schemas.push(s.schemaname.clone()),
            NodeEnum::DropStmt(_) | NodeEnum::RenameStmt(_) | NodeEnum::AlterObjectSchemaStmt(_) => {
                // Names are in lists, not RangeVars.
                if let NodeEnum::DropStmt(d) = node {
                    for o in &d.objects {
                        if let Some(N::List(l)) = &o.node {
                            let names = strs(&l.items);
                            let q = self.new_name_from(&names);
                            out.relations.push(q.clone());
                            out.types.push(q.clone());
                            out.functions.push(q);
                        } else if let Some(N::ObjectWithArgs(owa)) = &o.node {
                            out.functions.push(self.new_name_from(&strs(&owa.objname)));
                        }
                    }
                }
                if let NodeEnum::RenameStmt(r) = node {
                    if r.relation.is_none() {
                        *dynamic = true;
                    }
                    if r.rename_type == protobuf::ObjectType::ObjectType as i32 {
                        *dynamic = true;
                    }
                }
            }
            _ => {}
        }
    }

    fn exec_block(&mut self, st: &J, frame: &mut Frame, run: &mut Run) -> R<Flow> {
        let body = list(st.get("body"));
        let handlers = st.get("exceptions").and_then(|e| e.get("PLpgSQL_exception_block")).map(|e| list(e.get("exc_list")));
        let label = st.get("label").and_then(|l| l.as_str()).map(String::from);
        let Some(handlers) = handlers else {
            return match self.exec_list(body, frame, run)? {
                Flow::Exit(Some(l)) if Some(&l) == label.as_ref() => Ok(Flow::Next),
                other => Ok(other),
            };
        };
        // A block with handlers is a subtransaction: an error rolls back what it did.
        let saved = self.catalog.clone();
        let events = self.events.len();
        match self.exec_list(body, frame, run) {
            Ok(Flow::Exit(Some(l))) if Some(&l) == label.as_ref() => Ok(Flow::Next),
            Ok(flow) => Ok(flow),
            Err(Stop::Unknown(why)) => Err(Stop::Unknown(why)),
            Err(Stop::Raise(state, message)) => {
                for h in handlers {
                    let Some(h) = h.get("PLpgSQL_exception") else { continue };
                    let conds = list(h.get("conditions"));
                    let hit = conds.iter().any(|c| {
                        let c = c.get("PLpgSQL_condition").unwrap_or(c);
                        let name = c.get("condname").and_then(|n| n.as_str()).unwrap_or("");
                        let code = c.get("sqlerrstate").and_then(|n| n.as_str()).unwrap_or("");
                        catches(name, &state) || (!code.is_empty() && code == state)
                    });
                    if hit {
                        // Roll back the block, keep what could not be modelled before the error.
                        let kept: Vec<ReplayEvent> = self.events[events..]
                            .iter()
                            .filter(|e| matches!(e.kind, EventKind::Opaque | EventKind::Unmodelled))
                            .cloned()
                            .collect();
                        self.catalog = saved;
                        self.events.truncate(events);
                        self.events.extend(kept);
                        let outer = frame.caught.replace((state, message));
                        let r = self.exec_list(list(h.get("action")), frame, run);
                        frame.caught = outer;
                        return r;
                    }
                }
                Err(Stop::Raise(state, message))
            }
        }
    }

    /// Runs SQL text found in a body: DDL is applied to the catalog (a failure is raised as the
    /// server would raise it), `SELECT ... INTO` from the catalogs assigns variables, and calls of
    /// migration-defined functions are followed.
    fn exec_sql_text(&mut self, sql: &str, frame: &mut Frame, run: &mut Run, into: Option<&J>) -> R<()> {
        match self.exec_sql_text_inner(sql, frame, run, into) {
            // Whether it succeeded is unknown: what it may touch is uncertain, and the body goes on.
            Err(Stop::Unknown(why)) => {
                let touched = self.sql_touches(sql);
                run.unmodelled(why, touched);
                Ok(())
            }
            other => other,
        }
    }

    fn exec_sql_text_inner(&mut self, sql: &str, frame: &mut Frame, run: &mut Run, into: Option<&J>) -> R<()> {
        let parsed = parse_sql(sql);
        if let Some(e) = parsed.errors.first() {
            return Err(Stop::Raise("42601".into(), e.message.clone()));
        }
        for s in &parsed.statements {
            if let (NodeEnum::SelectStmt(sel), Some(target)) = (&s.node, into) {
                let row = self.query(sel, frame).map(|rows| rows.into_iter().next());
                let values: Vec<Val> = match row {
                    Ok(Some(r)) => r.into_iter().map(|(_, v)| v).collect(),
                    Ok(None) => vec![],
                    Err(Stop::Raise(a, b)) => return Err(Stop::Raise(a, b)),
                    Err(Stop::Unknown(_)) => vec![Val::Unknown; 16],
                };
                self.assign_into(target, values, frame);
            }
            self.exec_sql_node(&s.node, frame, run)?;
        }
        Ok(())
    }

    fn assign_into(&self, target: &J, values: Vec<Val>, frame: &mut Frame) {
        for (i, n) in target_names(Some(target)).iter().enumerate() {
            let v = values.get(i).cloned().unwrap_or(Val::Null);
            if let Some(slot) = frame.vars.iter_mut().rev().find(|(x, _)| x.eq_ignore_ascii_case(n)) {
                slot.1 = v;
            }
        }
    }

    fn exec_sql_node(&mut self, node: &NodeEnum, frame: &Frame, run: &mut Run) -> R<()> {
        match node {
            NodeEnum::SelectStmt(_)
            | NodeEnum::InsertStmt(_)
            | NodeEnum::UpdateStmt(_)
            | NodeEnum::DeleteStmt(_)
            | NodeEnum::CallStmt(_) => {
                // Data: no effect on the schema, except through functions it calls.
                let mut calls = Vec::new();
                for n in pgvet_syntax::all_nodes(node) {
                    if let pgvet_syntax::pg_query::NodeRef::FuncCall(f) = n {
                        calls.push(f.clone());
                    }
                }
                for f in calls {
                    self.call_user_function(&f, frame, run)?;
                }
                Ok(())
            }
            NodeEnum::DoStmt(d) => {
                self.do_block(d);
                Ok(())
            }
            NodeEnum::TransactionStmt(_) => Ok(()),
            n if Self::needs_no_transaction(n).is_some() => {
                let what = Self::needs_no_transaction(n).unwrap_or_default();
                Err(Stop::Raise("25001".into(), format!("{what} cannot be executed from a function")))
            }
            _ => {
                let before = self.events.len();
                self.apply_node(node);
                let failed = self.events[before..].iter().find(|e| e.kind == EventKind::Error).cloned();
                match failed {
                    Some(e) => {
                        self.events.truncate(before);
                        // About an object pgvet may not know: whether it fails is unknown.
                        if self.uncertainty_of(node).is_some() {
                            return Err(Stop::Unknown(format!("whether `{}` succeeds", e.message)));
                        }
                        Err(Stop::Raise(sqlstate(&e.message).into(), e.message))
                    }
                    None => Ok(()),
                }
            }
        }
    }

    /// Runs a query for a FOR loop: catalog queries only.
    fn query_text(&self, q: &str, frame: &Frame) -> R<Vec<Vec<(String, Val)>>> {
        let parsed = parse_sql(q);
        match parsed.statements.first().map(|s| &s.node) {
            Some(NodeEnum::SelectStmt(sel)) => self.query(sel, frame),
            _ => Err(Stop::Unknown(format!("the rows of {}", clip(q)))),
        }
    }
}

pub(crate) fn clip(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        one_line.chars().take(57).collect::<String>() + "..."
    } else {
        one_line
    }
}

/// Marks a FOR loop's target as a list of scalar variables (`\u{1}a,b`).
const ROW_TARGET: &str = "\u{1}";

/// Stands for a value pgvet does not know in SQL it rebuilds.
/// Paths through a body pgvet does not run that are followed apart; beyond this they are merged
/// into one where a variable they disagree on is unknown.
const PATHS: usize = 16;

fn bounded(frames: Vec<Frame>) -> Vec<Frame> {
    let dedup = |frames: Vec<Frame>| {
        let mut distinct: Vec<Frame> = Vec::new();
        for f in frames {
            if !distinct.iter().any(|d| d.vars == f.vars) {
                distinct.push(f);
            }
        }
        distinct
    };
    let mut distinct = dedup(frames);
    // Too many paths: the variable the paths disagree on least is widened first (text to a
    // placeholder, anything else to unknown), so a statement built from the others keeps its
    // form.
    while distinct.len() > PATHS {
        let n = distinct[0].vars.len();
        let values = |i: usize| {
            let mut seen: Vec<&Val> = Vec::new();
            for f in &distinct {
                if let Some((_, v)) = f.vars.get(i) {
                    if !seen.contains(&v) {
                        seen.push(v);
                    }
                }
            }
            seen.len()
        };
        let Some(i) = (0..n).filter(|&i| values(i) > 1).min_by_key(|&i| values(i)) else { break };
        let all_text = distinct.iter().all(|f| matches!(f.vars.get(i), Some((_, Val::Text(_) | Val::Null))));
        for f in distinct.iter_mut() {
            if let Some(slot) = f.vars.get_mut(i) {
                slot.1 = if all_text { Val::Text(PLACEHOLDER.into()) } else { Val::Unknown };
            }
        }
        distinct = dedup(distinct);
    }
    distinct
}

/// The variable names of an INTO target or a loop variable: a row's fields, or a record's or
/// scalar's name.
fn target_names(target: Option<&J>) -> Vec<String> {
    let Some((kind, t)) = target.and_then(|t| t.as_object()).and_then(|m| m.iter().next()) else { return Vec::new() };
    match kind.as_str() {
        "PLpgSQL_row" => list(t.get("fields")).iter().filter_map(|f| f.get("name").and_then(|n| n.as_str()).map(String::from)).collect(),
        _ => t.get("refname").and_then(|r| r.as_str()).map(|r| vec![r.to_string()]).unwrap_or_default(),
    }
}

/// A statement's INTO target or a loop's variable: its value is unknown from here on.
fn forget_target(target: Option<&J>, frames: &mut [Frame]) {
    let names = target_names(target);
    for f in frames.iter_mut() {
        for n in &names {
            if let Some(slot) = f.vars.iter_mut().rev().find(|(x, _)| x.eq_ignore_ascii_case(n)) {
                slot.1 = Val::Unknown;
            }
        }
    }
}

pub const PLACEHOLDER: &str = "pgvet_unknown";

/// Functions of platform and extension APIs that read and write rows only: jobs (pg_cron),
/// HTTP requests (pg_net), secrets (vault), broadcasts (realtime), the platform's auth and
/// storage helpers, and a queue's messages (pgmq; creating or dropping a queue creates or drops
/// its tables).
fn extension_data_only(schema: &str, name: &str) -> bool {
    match schema {
        "cron" | "net" | "vault" | "realtime" | "auth" | "storage" | "graphql" | "graphql_public" | "pgsodium" | "extensions"
        | "supabase_functions" => true,
        "pgmq" => !["create", "drop", "convert", "detach"].iter().any(|p| name.starts_with(p)),
        _ => false,
    }
}

/// Statements that change no relation, column, key, type or function: policies, privileges,
/// comments, owners.
fn touches_no_shape(node: &NodeEnum) -> bool {
    match node {
        NodeEnum::CreatePolicyStmt(_)
        | NodeEnum::AlterPolicyStmt(_)
        | NodeEnum::GrantStmt(_)
        | NodeEnum::GrantRoleStmt(_)
        | NodeEnum::CommentStmt(_)
        | NodeEnum::AlterOwnerStmt(_)
        | NodeEnum::AlterDefaultPrivilegesStmt(_)
        | NodeEnum::CreatePublicationStmt(_)
        | NodeEnum::AlterPublicationStmt(_) => true,
        NodeEnum::DropStmt(d) => matches!(
            protobuf::ObjectType::try_from(d.remove_type),
            Ok(protobuf::ObjectType::ObjectPolicy | protobuf::ObjectType::ObjectPublication)
        ),
        NodeEnum::AlterTableStmt(a) => a.cmds.iter().all(|c| {
            matches!(&c.node, Some(N::AlterTableCmd(cmd)) if matches!(
                protobuf::AlterTableType::try_from(cmd.subtype),
                Ok(protobuf::AlterTableType::AtChangeOwner
                    | protobuf::AlterTableType::AtEnableRowSecurity
                    | protobuf::AlterTableType::AtDisableRowSecurity
                    | protobuf::AlterTableType::AtForceRowSecurity
                    | protobuf::AlterTableType::AtNoForceRowSecurity)
            ))
        }),
        _ => false,
    }
}

/// Whether a statement creates the relation it names (so a placeholder name is a new relation).
fn creates_unknown(node: &NodeEnum) -> bool {
    match node {
        NodeEnum::CreateStmt(_) | NodeEnum::CreateTableAsStmt(_) | NodeEnum::ViewStmt(_) | NodeEnum::CreateSeqStmt(_) => true,
        NodeEnum::IndexStmt(i) => !i.unique,
        NodeEnum::AlterTableStmt(a) => a.cmds.iter().all(|c| {
            matches!(&c.node, Some(N::AlterTableCmd(cmd)) if matches!(
                protobuf::AlterTableType::try_from(cmd.subtype),
                Ok(protobuf::AlterTableType::AtAttachPartition
                    | protobuf::AlterTableType::AtSetRelOptions
                    | protobuf::AlterTableType::AtResetRelOptions
                    | protobuf::AlterTableType::AtChangeOwner
                    | protobuf::AlterTableType::AtSetStatistics)
            ))
        }),
        _ => false,
    }
}

/// What a DDL command's head says it does, for text that does not parse.
enum Target {
    /// `CREATE TABLE name ...`
    Creates,
    /// `CREATE [UNIQUE] INDEX ... ON table`
    Index { unique: bool, table: String },
    /// `ALTER TABLE name ...`, `DROP TABLE name`
    Changes(String),
}

fn command_target(sql: &str) -> Option<Target> {
    let words: Vec<String> = sql.split(|c: char| c.is_whitespace() || c == '(').filter(|w| !w.is_empty()).map(String::from).collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let skip = ["if", "not", "exists", "only", "unlogged", "temp", "temporary", "concurrently", "unique"];
    let after = |i: usize| -> Option<String> {
        words.iter().zip(&lower).skip(i).find(|(_, l)| !skip.contains(&l.as_str())).map(|(w, _)| w.clone())
    };
    match lower.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["create", rest @ ..] if rest.iter().take(3).any(|w| *w == "table") => {
            let i = lower.iter().position(|w| w == "table")?;
            after(i + 1).map(|_| Target::Creates)
        }
        ["alter", "table", ..] | ["drop", "table", ..] => Some(Target::Changes(after(2)?)),
        ["create", rest @ ..] if rest.iter().take(3).any(|w| *w == "index") => {
            let i = lower.iter().position(|w| w == "on")?;
            Some(Target::Index { unique: rest.first() == Some(&"unique"), table: after(i + 1)? })
        }
        _ => None,
    }
}

/// `fmt.Sprintf`-style verbs (`%s`, `%v`, `%d`, `%q`, `%[1]s`, ...) replaced by [`PLACEHOLDER`].
fn format_verbs_to_placeholder(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        // Flags, width, an explicit index, then the verb letter.
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || "[]+-# .*".contains(d) {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        match chars.peek() {
            Some(v) if v.is_ascii_alphabetic() => {
                chars.next();
                out.push_str(PLACEHOLDER);
            }
            _ => {
                out.push('%');
                out.push_str(&spec);
            }
        }
    }
    out
}
