//! TypeScript / JavaScript, parsed with oxc.
use std::collections::HashSet;

use oxc_allocator::Allocator;
use oxc_ast::ast::*;
use oxc_ast_visit::{walk, Visit};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType};
use oxc_syntax::scope::ScopeFlags;

use crate::{
    flow::{bound_names, Binding},
    BuilderCall, Call, DrizzleTable, Extraction, FunctionInfo, Library, Named, Op, PrismaCall, QuerySite, RpcCall, Span, SqlText, TableRef,
    Value,
};

const PRISMA_OPS: &[&str] = &[
    "create",
    "createMany",
    "createManyAndReturn",
    "upsert",
    "update",
    "updateMany",
    "delete",
    "deleteMany",
    "findMany",
    "findFirst",
    "findFirstOrThrow",
    "findUnique",
    "findUniqueOrThrow",
    "count",
    "aggregate",
    "groupBy",
];

pub fn extract(path: &str, text: &str) -> Extraction {
    let source_type = SourceType::from_path(path).unwrap_or_else(|_| SourceType::tsx());
    let allocator = Allocator::default();
    let ret = Parser::new(&allocator, text, source_type).parse();
    let first_error = first_error_of(&ret);
    if !ret.panicked {
        let mut out = collect(text, &ret.program);
        out.error = first_error;
        return out;
    }
    // An error the parser cannot recover from leaves no program at all. The top-level statements
    // around each such error are blanked (spaces, newlines kept, so offsets stay those of the
    // file) and the rest parsed again, so the code the parser can read is still checked.
    let mut blanked = text.to_string();
    let mut at = first_error.as_ref().map(|(_, s)| s.start).unwrap_or(0);
    for _ in 0..16 {
        if !blank_top_level_chunk(&mut blanked, at) {
            break;
        }
        let allocator = Allocator::default();
        let ret = Parser::new(&allocator, &blanked, source_type).parse();
        if !ret.panicked {
            let mut out = collect(&blanked, &ret.program);
            out.error = first_error;
            return out;
        }
        match first_error_of(&ret) {
            Some((_, s)) => at = s.start,
            None => break,
        }
    }
    Extraction { error: first_error, ..Extraction::default() }
}

fn first_error_of(ret: &oxc_parser::ParserReturn) -> Option<(String, Span)> {
    let e = ret.diagnostics.errors().next()?;
    let span = e.labels.first().map(|l| Span::new(l.offset() as usize, (l.offset() + l.len()) as usize)).unwrap_or_default();
    Some((e.message.to_string(), span))
}

fn collect(text: &str, program: &Program) -> Extraction {
    let mut c = Collector {
        text,
        out: Extraction::default(),
        stack: Vec::new(),
        pending_name: None,
        consumed: HashSet::new(),
        supabase: text.to_ascii_lowercase().contains("supabase"),
        unique_guard: 0,
    };
    c.visit_program(program);
    c.out
}

/// Blanks the top-level chunk of `text` around byte `at`: from the last line at or before it
/// that starts in column 0 (a top-level statement in formatted code) up to the next such line
/// after it. Returns false when there was nothing left to blank there.
fn blank_top_level_chunk(text: &mut String, at: usize) -> bool {
    let at = at.min(text.len());
    let starts_top_level = |line: &str| line.chars().next().is_some_and(|c| !c.is_whitespace() && !matches!(c, '}' | ')' | ']'));
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut offset = 0;
    for l in text.split_inclusive('\n') {
        lines.push((offset, l));
        offset += l.len();
    }
    let Some(i) = lines.iter().rposition(|(o, _)| *o <= at) else { return false };
    let start = (0..=i).rev().find(|&k| starts_top_level(lines[k].1)).unwrap_or(0);
    let end = (i + 1..lines.len()).find(|&k| starts_top_level(lines[k].1)).map(|k| lines[k].0).unwrap_or(text.len());
    let from = lines[start].0;
    if text[from..end].chars().all(char::is_whitespace) {
        return false;
    }
    // One space per byte, so every later offset is unchanged.
    let blank: String = text[from..end]
        .chars()
        .flat_map(|c| {
            let keep = c == '\n' || c == '\r';
            std::iter::repeat_n(if keep { c } else { ' ' }, if keep { 1 } else { c.len_utf8() })
        })
        .collect();
    text.replace_range(from..end, &blank);
    true
}

struct Collector<'t> {
    text: &'t str,
    out: Extraction,
    stack: Vec<usize>,
    pending_name: Option<String>,
    /// Calls already taken as part of a longer chain.
    consumed: HashSet<u32>,
    /// Whether the file has anything to do with Supabase (an import, a client named so): only
    /// then are `.from()` / `.rpc()` Supabase calls, not `Buffer.from` or `Readable.from`.
    supabase: bool,
    /// Depth of `try` blocks / `.catch()` receivers whose handler deals with unique violations.
    unique_guard: usize,
}

/// Whether an error handler's text deals with unique violations.
fn handles_unique(handler: &str) -> bool {
    [
        "P2002",
        "23505",
        "unique_violation",
        "UniqueConstraint",
        "uniqueConstraint",
        "Unique constraint",
        "isUniqueViolation",
        "duplicate key",
    ]
    .iter()
    .any(|m| handler.contains(m))
}

fn sp(s: oxc_span::Span) -> Span {
    Span::new(s.start as usize, s.end as usize)
}

/// Strips wrappers that do not change what an expression is.
fn peel<'b, 'a>(mut e: &'b Expression<'a>) -> &'b Expression<'a> {
    loop {
        e = match e {
            Expression::ParenthesizedExpression(p) => &p.expression,
            Expression::AwaitExpression(a) => &a.argument,
            Expression::TSAsExpression(a) => &a.expression,
            Expression::TSNonNullExpression(a) => &a.expression,
            Expression::TSSatisfiesExpression(a) => &a.expression,
            _ => return e,
        };
    }
}

fn string_value(e: &Expression) -> Option<(String, Span)> {
    match peel(e) {
        Expression::StringLiteral(s) => Some((s.value.to_string(), sp(s.span))),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
            let q = t.quasis.first()?;
            Some((q.value.cooked.as_ref().map(|c| c.to_string()).unwrap_or_else(|| q.value.raw.to_string()), sp(t.span)))
        }
        _ => None,
    }
}

fn key_name(k: &PropertyKey) -> Option<String> {
    match k {
        PropertyKey::StaticIdentifier(i) => Some(i.name.to_string()),
        PropertyKey::StringLiteral(s) => Some(s.value.to_string()),
        _ => None,
    }
}

/// One link of a call chain: `.name(args)`.
struct Link<'b, 'a> {
    name: String,
    args: &'b [Argument<'a>],
    span: Span,
}

impl<'t> Collector<'t> {
    fn src(&self, s: Span) -> String {
        self.text.get(s.range()).unwrap_or("").to_string()
    }

    fn function(&self) -> Option<usize> {
        self.stack.last().copied()
    }

    fn push_site(&mut self, span: Span, call: Call) {
        let function = self.function();
        self.out.sites.push(QuerySite { span, function, call, unique_handled: self.unique_guard > 0 });
    }

    /// Flattens `base.a(x).b(y).c(z)` into (receiver, [a, b, c]); marks the inner calls consumed.
    fn chain<'b, 'a>(&mut self, call: &'b CallExpression<'a>) -> Option<(&'b Expression<'a>, Vec<Link<'b, 'a>>)> {
        let mut links = Vec::new();
        let mut cur = call;
        loop {
            let callee = peel(&cur.callee);
            let (object, name) = match callee {
                Expression::StaticMemberExpression(m) => (&m.object, m.property.name.to_string()),
                Expression::ChainExpression(ch) => match &ch.expression {
                    ChainElement::StaticMemberExpression(m) => (&m.object, m.property.name.to_string()),
                    _ => return None,
                },
                _ => return None,
            };
            links.push(Link { name, args: &cur.arguments, span: sp(cur.span) });
            let obj = peel(object);
            let inner = match obj {
                Expression::CallExpression(c) => Some(&**c),
                Expression::ChainExpression(ch) => match &ch.expression {
                    ChainElement::CallExpression(c) => Some(&**c),
                    _ => None,
                },
                _ => None,
            };
            match inner {
                Some(c) => {
                    self.consumed.insert(c.span.start);
                    cur = c;
                }
                None => {
                    links.reverse();
                    return Some((obj, links));
                }
            }
        }
    }

    fn on_call(&mut self, call: &CallExpression) {
        if self.consumed.contains(&call.span.start) {
            return;
        }
        // Plain SQL: `<x>.query('SELECT ...', [..])`, `.raw(...)`, `$queryRawUnsafe(...)`.
        if let Some(name) = callee_name(&call.callee) {
            if matches!(
                name.as_str(),
                "query"
                    | "execute"
                    | "raw"
                    | "unsafe"
                    | "$queryRawUnsafe"
                    | "$executeRawUnsafe"
                    | "queryObject"
                    | "many"
                    | "one"
                    | "any"
                    | "none"
                    | "oneOrNone"
                    | "manyOrNone"
            ) {
                if let Some(first) = call.arguments.first().and_then(|a| a.as_expression()) {
                    if let Some(mut sql) = self.sql_of(first, &name, false) {
                        // `query(sql, [a, b])`: the parameters' value expressions.
                        if let Some(Expression::ArrayExpression(arr)) = call.arguments.get(1).and_then(|a| a.as_expression()).map(peel) {
                            sql.params = arr
                                .elements
                                .iter()
                                .map(|e| e.as_expression().map(|x| self.src(sp(x.span()))).unwrap_or_default())
                                .collect();
                        }
                        self.push_site(sp(call.span), Call::Sql(sql));
                        return;
                    }
                }
            }
        }
        let span = sp(call.span);
        let Some((receiver, links)) = self.chain(call) else { return };
        let client = self.src(sp(receiver.span()));
        // Supabase storage buckets are not tables.
        if let Expression::StaticMemberExpression(m) = receiver {
            if m.property.name == "storage" {
                return;
            }
        }
        if client.ends_with(".storage") || client == "storage" {
            return;
        }
        let first = &links[0];
        match first.name.as_str() {
            "rpc" | "from" | "schema" if !self.supabase => {}
            "rpc" => {
                let Some((name, name_span)) = first.args.first().and_then(|a| a.as_expression()).and_then(string_value) else { return };
                let (args, args_known) = match first.args.get(1).and_then(|a| a.as_expression()).map(peel) {
                    Some(Expression::ObjectExpression(o)) => {
                        (object_keys(o), o.properties.iter().all(|p| matches!(p, ObjectPropertyKind::ObjectProperty(_))))
                    }
                    None => (vec![], first.args.len() < 2),
                    Some(_) => (vec![], false),
                };
                self.push_site(span, Call::Rpc(RpcCall { name, name_span, args, args_known, client }));
            }
            "from" | "schema" => self.supabase(span, &links, client),
            // `prisma.<model>.<op>({ ... })`: the receiver is a member access naming the model,
            // the argument an object literal.
            op if links.len() == 1
                && PRISMA_OPS.contains(&op)
                && matches!(receiver, Expression::StaticMemberExpression(_))
                && first
                    .args
                    .first()
                    .and_then(|a| a.as_expression())
                    .is_none_or(|a| matches!(peel(a), Expression::ObjectExpression(_))) =>
            {
                if let Expression::StaticMemberExpression(m) = receiver {
                    let model = m.property.name.to_string();
                    // `db.query.<table>.findFirst/findMany({...})`: Drizzle's relational queries.
                    let relational = matches!(&m.object, Expression::StaticMemberExpression(q) if q.property.name == "query");
                    if relational && matches!(first.name.as_str(), "findFirst" | "findMany") {
                        self.drizzle_relational(span, first, model, sp(m.property.span), client);
                    } else {
                        self.prisma(span, first, model);
                    }
                }
            }
            "select" | "insert" | "update" | "delete" => self.drizzle(span, &links, client),
            _ => {}
        }
    }

    fn prisma(&mut self, span: Span, link: &Link, model: String) {
        let mut args = Vec::new();
        let mut nested = false;
        let arg = link.args.first().and_then(|a| a.as_expression()).map(peel);
        let literal = |o: &ObjectExpression| o.properties.iter().all(|p| matches!(p, ObjectPropertyKind::ObjectProperty(_)));
        let mut complete = link.args.is_empty() || matches!(arg, Some(Expression::ObjectExpression(o)) if literal(o));
        if let Some(Expression::ObjectExpression(o)) = arg {
            for (k, v, _) in object_props(o) {
                if matches!(k.as_str(), "where" | "create" | "update" | "data") {
                    complete &= matches!(peel(v), Expression::ObjectExpression(inner) if literal(inner));
                }
                let vals = self.row_values(v);
                if matches!(k.as_str(), "create" | "update" | "data") {
                    if let Expression::ObjectExpression(inner) = peel(v) {
                        nested |= object_props(inner).iter().any(|(_, x, _)| match peel(x) {
                            Expression::ObjectExpression(n) => object_props(n).iter().any(|(nk, _, _)| {
                                matches!(
                                    nk.as_str(),
                                    "connect"
                                        | "create"
                                        | "connectOrCreate"
                                        | "upsert"
                                        | "createMany"
                                        | "set"
                                        | "disconnect"
                                        | "delete"
                                        | "update"
                                        | "updateMany"
                                        | "deleteMany"
                                )
                            }),
                            _ => false,
                        });
                    }
                }
                args.push((k, vals));
            }
        }
        self.push_site(span, Call::Prisma(PrismaCall { model, op: link.name.clone(), op_span: link.span, args, nested, complete }));
    }

    fn supabase(&mut self, span: Span, links: &[Link], client: String) {
        let mut schema = None;
        let mut i = 0;
        if links[0].name == "schema" {
            schema = links[0].args.first().and_then(|a| a.as_expression()).and_then(string_value).map(|(s, _)| s);
            i = 1;
        }
        let Some(from) = links.get(i).filter(|l| l.name == "from") else { return };
        // A query builder's next call is its operation: `Buffer.from('...').toString()` or
        // `Array.from(...).map(...)` is no query.
        if links.get(i + 1).is_some_and(|l| !matches!(l.name.as_str(), "select" | "insert" | "update" | "upsert" | "delete")) {
            return;
        }
        let Some((table, table_span)) = from.args.first().and_then(|a| a.as_expression()).and_then(string_value) else { return };
        let mut b = BuilderCall::new(Library::Supabase, TableRef::Name { schema, name: table }, table_span, Op::Select, client);
        let mut has_op = false;
        for l in &links[i + 1..] {
            let arg = |n: usize| l.args.get(n).and_then(|a| a.as_expression());
            match l.name.as_str() {
                "select" if !has_op => {
                    has_op = true;
                    b.op = Op::Select;
                    b.columns = match arg(0).and_then(string_value) {
                        Some((s, span)) => select_columns(&s, span),
                        None => vec![Named { name: "*".into(), span: l.span }],
                    };
                }
                "insert" | "upsert" | "update" if !has_op => {
                    has_op = true;
                    b.op = match l.name.as_str() {
                        "insert" => Op::Insert,
                        "upsert" => Op::Upsert,
                        _ => Op::Update,
                    };
                    if let Some(v) = arg(0) {
                        b.values = self.row_values(v);
                    }
                    if let Some(Expression::ObjectExpression(o)) = arg(1).map(peel) {
                        for p in object_props(o) {
                            match p.0.as_str() {
                                "onConflict" => {
                                    if let Some((s, span)) = string_value(p.1) {
                                        b.on_conflict = Some(s.split(',').map(|c| Named { name: c.trim().to_string(), span }).collect());
                                    }
                                }
                                "ignoreDuplicates" => {
                                    b.on_conflict_do_nothing = matches!(peel(p.1), Expression::BooleanLiteral(x) if x.value)
                                }
                                _ => {}
                            }
                        }
                    }
                }
                "delete" if !has_op => {
                    has_op = true;
                    b.op = Op::Delete;
                }
                "eq" | "neq" | "gt" | "gte" | "lt" | "lte" | "like" | "ilike" | "is" | "in" | "contains" | "containedBy" | "filter"
                | "not" => {
                    if let Some((c, span)) = arg(0).and_then(string_value) {
                        let expr = arg(1).map(|e| self.src(sp(e.span()))).unwrap_or_default();
                        if let Some(column) = crate::postgrest_column(&c) {
                            b.filters.push(Value { column, span, expr });
                        }
                    }
                }
                "match" => {
                    if let Some(Expression::ObjectExpression(o)) = arg(0).map(peel) {
                        for (k, v, span) in object_props(o) {
                            b.filters.push(Value { column: k, span, expr: self.src(sp(v.span())) });
                        }
                    }
                }
                "or" => {
                    // `or('a.eq.1,b.eq.2')`: columns before the first dot of each condition.
                    if let Some((s, span)) = arg(0).and_then(string_value) {
                        for part in s.split(',') {
                            // `and(a.eq.1`, `not.b.is.null`, `roles.code.eq.x` (embedded).
                            let part = part.trim().trim_start_matches("and(").trim_start_matches("or(").trim_start_matches("not.");
                            let mut it = part.splitn(3, '.');
                            let (Some(c), Some(op)) = (it.next(), it.next()) else { continue };
                            const OPS: &[&str] = &[
                                "eq",
                                "neq",
                                "gt",
                                "gte",
                                "lt",
                                "lte",
                                "like",
                                "ilike",
                                "is",
                                "in",
                                "cs",
                                "cd",
                                "ov",
                                "fts",
                                "plfts",
                                "phfts",
                                "wfts",
                                "match",
                                "imatch",
                                "not",
                                "sl",
                                "sr",
                                "nxl",
                                "nxr",
                                "adj",
                                "isdistinct",
                                "like(any)",
                            ];
                            if !OPS.contains(&op) {
                                continue; // an embedded resource's column, or a form pgvet does not read
                            }
                            if let Some(column) = crate::postgrest_column(c) {
                                b.filters.push(Value { column, span, expr: String::new() });
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        self.push_site(span, Call::Builder(b));
    }

    fn drizzle(&mut self, span: Span, links: &[Link], client: String) {
        let first = &links[0];
        fn arg0<'b, 'a>(l: &Link<'b, 'a>) -> Option<&'b Expression<'a>> {
            l.args.first().and_then(|a| a.as_expression())
        }
        let ident = |e: Option<&Expression>| match e.map(peel) {
            Some(Expression::Identifier(i)) => Some((i.name.to_string(), sp(i.span))),
            Some(Expression::StaticMemberExpression(m)) => Some((m.property.name.to_string(), sp(m.span))),
            _ => None,
        };
        let (op, table) = match first.name.as_str() {
            "select" => {
                let Some(from) = links.iter().find(|l| l.name == "from") else { return };
                (Op::Select, ident(arg0(from)))
            }
            "insert" => (Op::Insert, ident(arg0(first))),
            "update" => (Op::Update, ident(arg0(first))),
            "delete" => (Op::Delete, ident(arg0(first))),
            _ => return,
        };
        let Some((table, table_span)) = table else { return };
        let mut b = BuilderCall::new(Library::Drizzle, TableRef::Drizzle(table), table_span, op, client);
        if op == Op::Select {
            match arg0(first).map(peel) {
                Some(Expression::ObjectExpression(o)) => {
                    for (_, v, span) in object_props(o) {
                        if let Expression::StaticMemberExpression(m) = peel(v) {
                            b.columns.push(Named { name: m.property.name.to_string(), span });
                        }
                    }
                }
                _ => b.columns.push(Named { name: "*".into(), span: first.span }),
            }
        }
        for l in links {
            match l.name.as_str() {
                "values" | "set" => {
                    if let Some(v) = arg0(l) {
                        b.values = self.row_values(v);
                    }
                }
                "where" => {
                    if let Some(w) = arg0(l) {
                        self.drizzle_filters(w, &mut b.filters);
                    }
                }
                "onConflictDoNothing" => b.on_conflict_do_nothing = true,
                "onConflictDoUpdate" => {
                    b.op = Op::Upsert;
                    if let Some(Expression::ObjectExpression(o)) = arg0(l).map(peel) {
                        for (k, v, span) in object_props(o) {
                            if k == "target" {
                                let items: Vec<&Expression> = match peel(v) {
                                    Expression::ArrayExpression(a) => a.elements.iter().filter_map(|e| e.as_expression()).collect(),
                                    other => vec![other],
                                };
                                b.on_conflict = Some(
                                    items
                                        .into_iter()
                                        .filter_map(|e| match peel(e) {
                                            Expression::StaticMemberExpression(m) => {
                                                Some(Named { name: m.property.name.to_string(), span })
                                            }
                                            _ => None,
                                        })
                                        .collect(),
                                );
                            }
                        }
                    }
                }
                "for" => b.lock = arg0(l).and_then(string_value).map(|(s, _)| s),
                _ => {}
            }
        }
        self.push_site(span, Call::Builder(b));
    }

    /// `eq(t.col, v)`, `and(...)`, `inArray(t.col, xs)`: the columns compared.
    /// `db.query.users.findMany({ columns: { id: true }, where: eq(users.orgId, org) })`, or
    /// `where: (users, { eq }) => eq(users.orgId, org)`: a select of the table's object.
    fn drizzle_relational(&mut self, span: Span, link: &Link, table: String, table_span: Span, client: String) {
        let mut b = BuilderCall::new(Library::Drizzle, TableRef::Drizzle(table), table_span, Op::Select, client);
        let mut columns = Vec::new();
        if let Some(Expression::ObjectExpression(o)) = link.args.first().and_then(|a| a.as_expression()).map(peel) {
            for (k, v, _) in object_props(o) {
                match k.as_str() {
                    "where" => match peel(v) {
                        Expression::ArrowFunctionExpression(f) => {
                            if let Some(body) = f.get_expression() {
                                self.drizzle_filters(body, &mut b.filters);
                            } else {
                                // A block body: the filter is not seen in full.
                                b.filters.push(Value { column: "*".into(), span: sp(f.span), expr: String::new() });
                            }
                        }
                        Expression::CallExpression(_) => self.drizzle_filters(v, &mut b.filters),
                        other => b.filters.push(Value { column: "*".into(), span: sp(other.span()), expr: String::new() }),
                    },
                    "columns" => {
                        if let Expression::ObjectExpression(c) = peel(v) {
                            for (ck, cv, cspan) in object_props(c) {
                                if matches!(peel(cv), Expression::BooleanLiteral(bl) if bl.value) {
                                    columns.push(Named { name: ck, span: cspan });
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        b.columns = if columns.is_empty() { vec![Named { name: "*".into(), span: link.span }] } else { columns };
        self.push_site(span, Call::Builder(b));
    }

    fn drizzle_filters(&self, e: &Expression, out: &mut Vec<Value>) {
        let Expression::CallExpression(c) = peel(e) else { return };
        let Some(name) = callee_name(&c.callee) else { return };
        match name.as_str() {
            "and" | "or" | "not" => {
                for a in c.arguments.iter().filter_map(|a| a.as_expression()) {
                    self.drizzle_filters(a, out);
                }
            }
            _ => {
                if let Some(Expression::StaticMemberExpression(m)) = c.arguments.first().and_then(|a| a.as_expression()).map(peel) {
                    let expr = c.arguments.get(1).and_then(|a| a.as_expression()).map(|v| self.src(sp(v.span()))).unwrap_or_default();
                    out.push(Value { column: m.property.name.to_string(), span: sp(m.span), expr });
                }
            }
        }
    }

    /// The keys and value texts of an object literal (or the first object of an array of rows).
    fn row_values(&self, e: &Expression) -> Vec<Value> {
        let obj = match peel(e) {
            Expression::ObjectExpression(o) => Some(&**o),
            Expression::ArrayExpression(a) => a.elements.first().and_then(|x| x.as_expression()).and_then(|x| match peel(x) {
                Expression::ObjectExpression(o) => Some(&**o),
                _ => None,
            }),
            _ => None,
        };
        let Some(o) = obj else { return vec![] };
        object_props(o).into_iter().map(|(k, v, span)| Value { column: k, span, expr: self.src(sp(v.span())) }).collect()
    }

    /// SQL text from a string or template literal; tagged templates' interpolations are
    /// parameters, a plain template's are string building (dynamic).
    fn sql_of(&self, e: &Expression, api: &str, tagged: bool) -> Option<SqlText> {
        match peel(e) {
            Expression::StringLiteral(s) => {
                let text = s.value.to_string();
                if !looks(&text) {
                    return None;
                }
                // The literal's content starts after its opening quote; escapes may shift it.
                let raw = self.src(sp(s.span));
                let exact = raw.len() == text.len() + 2;
                Some(SqlText {
                    pieces: vec![(0, s.span.start as usize + 1)],
                    dynamic: !exact && text.contains('\\'),
                    text,
                    api: api.to_string(),
                    params: vec![],
                })
            }
            Expression::TemplateLiteral(t) => self.template_sql(t, api, tagged),
            _ => None,
        }
    }

    fn template_sql(&self, t: &TemplateLiteral, api: &str, tagged: bool) -> Option<SqlText> {
        let mut text = String::new();
        let mut pieces = Vec::new();
        for (i, q) in t.quasis.iter().enumerate() {
            pieces.push((text.len(), q.span.start as usize));
            text.push_str(&q.value.raw);
            if i + 1 < t.quasis.len() {
                text.push_str(&format!("${}", i + 1));
            }
        }
        if !looks(&text) {
            return None;
        }
        let params = if tagged { t.expressions.iter().map(|e| self.src(sp(e.span()))).collect() } else { vec![] };
        Some(SqlText { text, pieces, dynamic: !tagged && !t.expressions.is_empty(), api: api.to_string(), params })
    }

    fn on_tagged(&mut self, t: &TaggedTemplateExpression) {
        let tag = match peel(&t.tag) {
            Expression::Identifier(i) => i.name.to_string(),
            Expression::StaticMemberExpression(m) => m.property.name.to_string(),
            _ => return,
        };
        if matches!(tag.as_str(), "sql" | "$queryRaw" | "$executeRaw" | "query") {
            if let Some(sql) = self.template_sql(&t.quasi, &tag, true) {
                self.push_site(sp(t.span), Call::Sql(sql));
            }
        }
    }

    fn drizzle_table(&mut self, var: &str, init: &Expression, span: Span) {
        let Expression::CallExpression(c) = peel(init) else { return };
        let Some(name) = callee_name(&c.callee) else { return };
        if name == "pgSchema" {
            if let Some((schema, _)) = c.arguments.first().and_then(|a| a.as_expression()).and_then(string_value) {
                self.out.pg_schemas.push((var.to_string(), schema));
            }
            return;
        }
        if !matches!(name.as_str(), "pgTable" | "table") {
            return;
        }
        let Some((table, _)) = c.arguments.first().and_then(|a| a.as_expression()).and_then(string_value) else { return };
        let mut columns = Vec::new();
        let mut orm_defaults = Vec::new();
        if let Some(Expression::ObjectExpression(o)) = c.arguments.get(1).and_then(|a| a.as_expression()).map(peel) {
            for (k, v, _) in object_props(o) {
                let column = builder_column_name(v).unwrap_or_else(|| camel_to_snake_if_needed(&k));
                let chain = self.src(sp(v.span()));
                if ["$defaultFn(", "$default(", ".default(", "defaultRandom(", "defaultNow("].iter().any(|d| chain.contains(d)) {
                    orm_defaults.push(column.clone());
                }
                columns.push((k.clone(), column));
            }
        }
        let schema = match peel(&c.callee) {
            Expression::StaticMemberExpression(m) => Some(self.src(sp(m.object.span()))),
            _ => None,
        };
        self.out.drizzle_tables.push(DrizzleTable { var: var.to_string(), schema, table, columns, orm_defaults, span });
    }
}

/// The column name given to a Drizzle column builder: `text('privy_did').notNull()` → privy_did.
fn builder_column_name(e: &Expression) -> Option<String> {
    let mut cur = peel(e);
    loop {
        let Expression::CallExpression(c) = cur else { return None };
        match peel(&c.callee) {
            Expression::StaticMemberExpression(m) => cur = peel(&m.object),
            Expression::Identifier(_) => return c.arguments.first().and_then(|a| a.as_expression()).and_then(string_value).map(|(s, _)| s),
            _ => return None,
        }
    }
}

/// Drizzle uses the key as the column name when none is given.
fn camel_to_snake_if_needed(k: &str) -> String {
    k.to_string()
}

fn looks(text: &str) -> bool {
    crate::looks_like_sql(text)
}

fn callee_name(e: &Expression) -> Option<String> {
    match peel(e) {
        Expression::Identifier(i) => Some(i.name.to_string()),
        Expression::StaticMemberExpression(m) => Some(m.property.name.to_string()),
        Expression::ChainExpression(ch) => match &ch.expression {
            ChainElement::StaticMemberExpression(m) => Some(m.property.name.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn object_props<'b, 'a>(o: &'b ObjectExpression<'a>) -> Vec<(String, &'b Expression<'a>, Span)> {
    o.properties
        .iter()
        .filter_map(|p| match p {
            ObjectPropertyKind::ObjectProperty(p) => key_name(&p.key).map(|k| (k, &p.value, sp(p.span))),
            _ => None,
        })
        .collect()
}

fn object_keys(o: &ObjectExpression) -> Vec<Named> {
    object_props(o).into_iter().map(|(k, _, span)| Named { name: k, span }).collect()
}

/// `'id, name, posts(title)'` → id, name (embedded resources and casts left out).
fn select_columns(s: &str, span: Span) -> Vec<Named> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for ch in s.chars().chain(std::iter::once(',')) {
        match ch {
            '(' => {
                depth += 1;
                cur.clear();
            }
            ')' => depth -= 1,
            ',' if depth == 0 => {
                let c = cur.trim();
                // `alias:column`, `column::type`
                let c = c.rsplit(':').next().unwrap_or(c).split("::").next().unwrap_or(c).trim();
                if !c.is_empty() && !c.contains('!') && !c.contains(' ') {
                    out.push(Named { name: c.to_string(), span });
                }
                cur.clear();
            }
            _ if depth == 0 => cur.push(ch),
            _ => {}
        }
    }
    out
}

impl<'a> Visit<'a> for Collector<'_> {
    fn visit_string_literal(&mut self, it: &StringLiteral<'a>) {
        self.out.created_tables.extend(crate::created_relations(&it.value));
    }

    fn visit_template_literal(&mut self, it: &TemplateLiteral<'a>) {
        let text: String = it.quasis.iter().map(|q| q.value.raw.to_string()).collect::<Vec<_>>().join("$1");
        self.out.created_tables.extend(crate::created_relations(&text));
        walk::walk_template_literal(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        // `call().catch((e) => { if (e.code === 'P2002') ... })`: the receiver's calls are handled.
        let guarded = matches!(&it.callee, Expression::StaticMemberExpression(m) if m.property.name == "catch")
            && it.arguments.first().is_some_and(|a| handles_unique(&self.src(sp(a.span()))));
        self.unique_guard += usize::from(guarded);
        self.on_call(it);
        walk::walk_call_expression(self, it);
        self.unique_guard -= usize::from(guarded);
    }

    fn visit_try_statement(&mut self, it: &TryStatement<'a>) {
        let guarded = it.handler.as_ref().is_some_and(|h| handles_unique(&self.src(sp(h.span))));
        self.unique_guard += usize::from(guarded);
        self.visit_block_statement(&it.block);
        self.unique_guard -= usize::from(guarded);
        if let Some(h) = &it.handler {
            self.visit_catch_clause(h);
        }
        if let Some(f) = &it.finalizer {
            self.visit_block_statement(f);
        }
    }

    fn visit_tagged_template_expression(&mut self, it: &TaggedTemplateExpression<'a>) {
        self.on_tagged(it);
        walk::walk_tagged_template_expression(self, it);
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        let name = it.id.as_ref().map(|i| i.name.to_string()).or_else(|| self.pending_name.take()).unwrap_or_else(|| "<anonymous>".into());
        self.out.functions.push(FunctionInfo { name, span: sp(it.span) });
        self.stack.push(self.out.functions.len() - 1);
        walk::walk_function(self, it, flags);
        self.stack.pop();
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        let name = self.pending_name.take().unwrap_or_else(|| "<arrow>".into());
        self.out.functions.push(FunctionInfo { name, span: sp(it.span) });
        self.stack.push(self.out.functions.len() - 1);
        walk::walk_arrow_function_expression(self, it);
        self.stack.pop();
    }

    fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
        self.pending_name = key_name(&it.key);
        walk::walk_method_definition(self, it);
    }

    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        if matches!(peel(&it.value), Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_)) {
            self.pending_name = key_name(&it.key);
        }
        walk::walk_object_property(self, it);
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        let pattern = self.src(sp(it.id.span()));
        if let Some(init) = &it.init {
            if matches!(peel(init), Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_)) {
                self.pending_name = Some(pattern.clone());
            }
            self.drizzle_table(&pattern, init, sp(it.span));
            let s = sp(init.span());
            self.out.bindings.push(Binding { function: self.function(), names: bound_names(&pattern), init: s, text: self.src(s) });
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        let left = self.src(sp(it.left.span()));
        let s = sp(it.right.span());
        if !left.contains('.') && !left.contains('[') {
            self.out.bindings.push(Binding { function: self.function(), names: bound_names(&left), init: s, text: self.src(s) });
        }
        walk::walk_assignment_expression(self, it);
    }
}

/// The start of the innermost statement of a TypeScript/JavaScript file that contains byte
/// `offset` (the `const rows = await sql\`...\`` around a template literal), or None when the
/// file does not parse.
pub fn statement_start(path: &str, text: &str, offset: usize) -> Option<usize> {
    struct Innermost {
        offset: u32,
        best: Option<oxc_span::Span>,
    }
    impl<'a> Visit<'a> for Innermost {
        fn visit_statement(&mut self, it: &Statement<'a>) {
            let s = it.span();
            if s.start <= self.offset && self.offset < s.end.max(s.start + 1) {
                // Blocks and function bodies hold statements of their own: the innermost wins.
                if self.best.is_none_or(|b| s.size() <= b.size()) {
                    self.best = Some(s);
                }
            }
            walk::walk_statement(self, it);
        }
    }
    let source_type = SourceType::from_path(path).unwrap_or_else(|_| SourceType::tsx());
    let allocator = Allocator::default();
    let ret = Parser::new(&allocator, text, source_type).parse();
    if ret.panicked {
        return None;
    }
    let mut v = Innermost { offset: offset as u32, best: None };
    v.visit_program(&ret.program);
    v.best.map(|s| s.start as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites(src: &str) -> Extraction {
        extract("a.ts", src)
    }

    #[test]
    fn supabase_chains() {
        let x = sites(
            "async function getUsage(supabase, userId) {\n  const { data: sub } = await supabase.from('user_subscriptions').select('used_tokens, plan').eq('user_id', userId).single();\n  await supabase.from('user_subscriptions').update({ used_tokens: sub.used_tokens + 1 }).eq('user_id', userId);\n  await supabase.storage.from('avatars').upload('a', b);\n  await supabase.rpc('increment_token_usage', { p_user_id: userId, p_tokens: 1 });\n}",
        );
        assert_eq!(x.sites.len(), 3, "{:#?}", x.sites);
        let Call::Builder(r) = &x.sites[0].call else { panic!() };
        assert_eq!(r.op, Op::Select);
        assert_eq!(r.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["used_tokens", "plan"]);
        assert_eq!(r.filters[0].column, "user_id");
        let Call::Builder(w) = &x.sites[1].call else { panic!() };
        assert_eq!((w.op, w.values[0].column.as_str(), w.values[0].expr.as_str()), (Op::Update, "used_tokens", "sub.used_tokens + 1"));
        let Call::Rpc(rpc) = &x.sites[2].call else { panic!() };
        assert_eq!(rpc.name, "increment_token_usage");
        assert_eq!(rpc.args.len(), 2);
        assert_eq!(x.functions[0].name, "getUsage");
        let d = x.derived(0);
        assert_eq!(d.get("sub"), Some(&0));
        // In a Supabase file, a `.from()` whose next call is no query operation is no query.
        let x = sites(
            "import { createClient } from '@supabase/supabase-js';\nconst secret = Buffer.from('12345678901234567890123456789012').toString('base64');\nconst ids = Array.from(set).map(String);\nconst q = await supabase.from('users').select('id');\n",
        );
        let tables: Vec<String> = x
            .sites
            .iter()
            .filter_map(|s| match &s.call {
                Call::Builder(b) => Some(format!("{:?}", b.table)),
                _ => None,
            })
            .collect();
        assert_eq!(tables.len(), 1, "{tables:?}");
        assert!(tables[0].contains("users"), "{tables:?}");
    }

    #[test]
    fn sql_strings_and_templates() {
        let x = sites(
            "export const getMetrics = async (pool, since) => {\n  const r = await pool.query('SELECT agent_id, tokens FROM org_studio_agent_metrics WHERE date >= $1', [since]);\n  await pool.query(`SELECT * FROM ${table}`);\n  await sql`INSERT INTO t (a) VALUES (${a})`;\n  return r.rows;\n};",
        );
        assert_eq!(x.sites.len(), 3);
        let Call::Sql(s) = &x.sites[0].call else { panic!() };
        assert!(!s.dynamic);
        let src = "export const getMetrics = async (pool, since) => {\n  const r = await pool.query('SELECT agent_id";
        assert_eq!(s.file_offset(0), src.len() - "SELECT agent_id".len());
        assert_eq!(s.file_offset(7), s.file_offset(0) + 7);
        let Call::Sql(d) = &x.sites[1].call else { panic!() };
        assert!(d.dynamic);
        let Call::Sql(t) = &x.sites[2].call else { panic!() };
        assert_eq!(t.text, "INSERT INTO t (a) VALUES ($1)");
        assert!(!t.dynamic);
        assert_eq!(x.functions[0].name, "getMetrics");
    }

    #[test]
    fn drizzle() {
        let x = sites(
            "export const users = pgTable('users', { id: uuid('id').primaryKey(), privyDid: text('privy_did').notNull(), primaryWorkspaceId: uuid('primary_workspace_id') });\nasync function ensure(tx, userId) {\n  const rows = await tx.select().from(workspaceMembers).where(eq(workspaceMembers.userId, userId)).limit(1);\n  const m = rows[0];\n  let primaryWorkspaceId;\n  primaryWorkspaceId = m.workspaceId;\n  await tx.insert(users).values({ privyDid: userId, primaryWorkspaceId }).onConflictDoNothing().returning();\n}",
        );
        assert_eq!(x.drizzle_tables[0].columns[1], ("privyDid".to_string(), "privy_did".to_string()));
        assert_eq!(x.sites.len(), 2, "{:#?}", x.sites);
        let Call::Builder(w) = &x.sites[1].call else { panic!() };
        assert_eq!((w.op, w.table.clone()), (Op::Insert, TableRef::Drizzle("users".into())));
        assert!(w.on_conflict_do_nothing);
        let d = x.derived(x.sites[1].function.unwrap());
        assert_eq!(d.get("primaryWorkspaceId"), Some(&0));
    }

    #[test]
    fn prisma_calls() {
        let x = sites("async function f(prisma, ws) {\n  await prisma.workspace.upsert({ where: { id: ws.id }, create: { workspaceId: ws.hash, name: ws.name }, update: { name: ws.name } });\n  await prisma.workspace.update({ where: { id: 1 }, data: { project: { connect: { id: 2 } } } });\n  await db.update(users).set({ a: 1 });\n  await this.db.delete(users);\n}");
        assert_eq!(x.sites.len(), 4, "{:#?}", x.sites);
        let Call::Prisma(p) = &x.sites[0].call else { panic!() };
        assert_eq!((p.model.as_str(), p.op.as_str()), ("workspace", "upsert"));
        assert_eq!(p.args.iter().map(|a| a.0.as_str()).collect::<Vec<_>>(), vec!["where", "create", "update"]);
        assert!(!p.nested);
        let Call::Prisma(u) = &x.sites[1].call else { panic!() };
        assert!(u.nested);
        assert!(matches!(&x.sites[2].call, Call::Builder(_)));
        assert!(matches!(&x.sites[3].call, Call::Builder(_)));
    }

    #[test]
    fn malformed_source_does_not_panic() {
        let x = sites("function ( { supabase.from('x'");
        assert!(x.error.is_some());
    }
}
