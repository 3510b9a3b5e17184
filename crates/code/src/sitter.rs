//! Go, Python and Rust, parsed with tree-sitter: SQL strings handed to `database/sql` and pgx
//! (`Query`, `QueryRow`, `Exec`, ...), psycopg and asyncpg (`execute`, `fetch`, ...), sqlx
//! (`query!`, `query_as!`, `sqlx::query(...)`) and tokio-postgres (`client.query(...)`); and
//! supabase-py chains (`.table('t')...`, `.rpc('fn', {...})`).
use tree_sitter::{Node, Parser};

use crate::flow::{bound_names, Binding};
use crate::{BuilderCall, Call, Extraction, FunctionInfo, Library, Named, Op, QuerySite, RpcCall, Span, SqlText, TableRef, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Go,
    Python,
    Rust,
}

const GO_SQL: &[&str] = &[
    "Query",
    "QueryRow",
    "Exec",
    "QueryContext",
    "QueryRowContext",
    "ExecContext",
    "Get",
    "Select",
    "MustExec",
    "GetContext",
    "SelectContext",
    "Prepare",
    "PrepareContext",
];
const PY_SQL: &[&str] = &["execute", "executemany", "fetch", "fetchrow", "fetchval", "mogrify", "copy_expert"];
const RS_SQL: &[&str] = &["query", "query_as", "query_scalar", "query_one", "query_opt", "execute", "batch_execute", "prepare"];

pub fn extract(lang: Lang, text: &str) -> Extraction {
    let mut parser = Parser::new();
    let language = match lang {
        Lang::Go => tree_sitter_go::LANGUAGE.into(),
        Lang::Python => tree_sitter_python::LANGUAGE.into(),
        Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
    };
    let mut out = Extraction::default();
    if parser.set_language(&language).is_err() {
        return out;
    }
    let Some(tree) = parser.parse(text, None) else { return out };
    let root = tree.root_node();
    if root.has_error() {
        let at =
            first_error(root).map(|n| Span::new(n.start_byte(), n.end_byte().max(n.start_byte() + 1).min(text.len()))).unwrap_or_default();
        out.error = Some(("syntax error".to_string(), at));
    }
    let mut w = Walker { lang, text, out, stack: Vec::new() };
    w.walk(root);
    w.out
}

fn first_error(n: Node) -> Option<Node> {
    if n.is_error() || n.is_missing() {
        return Some(n);
    }
    let mut c = n.walk();
    let children: Vec<Node> = n.children(&mut c).collect();
    children.into_iter().filter(|c| c.has_error()).find_map(first_error)
}

struct Walker<'t> {
    lang: Lang,
    text: &'t str,
    out: Extraction,
    stack: Vec<usize>,
}

fn span(n: Node) -> Span {
    Span::new(n.start_byte(), n.end_byte())
}

impl Walker<'_> {
    fn src(&self, n: Node) -> &str {
        self.text.get(n.start_byte()..n.end_byte()).unwrap_or("")
    }

    fn walk(&mut self, root: Node) {
        // Iterative pre-order walk with explicit function scopes (deep files must not overflow).
        let mut todo: Vec<(Node, bool)> = vec![(root, false)];
        while let Some((n, leaving)) = todo.pop() {
            if leaving {
                self.stack.pop();
                continue;
            }
            let is_fn = match self.lang {
                Lang::Go => matches!(n.kind(), "function_declaration" | "method_declaration" | "func_literal"),
                Lang::Python => n.kind() == "function_definition",
                Lang::Rust => matches!(n.kind(), "function_item" | "closure_expression"),
            };
            if is_fn {
                let name = n.child_by_field_name("name").map(|x| self.src(x).to_string()).unwrap_or_else(|| "<anonymous>".into());
                self.out.functions.push(FunctionInfo { name, span: span(n) });
                self.stack.push(self.out.functions.len() - 1);
                todo.push((n, true));
            }
            self.visit(n);
            // Relations the code's SQL strings create.
            let body = match (self.lang, n.kind()) {
                (_, "string_content" | "interpreted_string_literal_content" | "raw_string_literal_content") => Some(self.src(n)),
                (Lang::Go, "raw_string_literal" | "interpreted_string_literal") => {
                    let s = self.src(n);
                    s.get(1..s.len().saturating_sub(1))
                }
                _ => None,
            };
            if let Some(body) = body {
                let found = crate::created_relations(body);
                self.out.created_tables.extend(found);
            }
            let mut c = n.walk();
            let children: Vec<Node> = n.children(&mut c).collect();
            for ch in children.into_iter().rev() {
                todo.push((ch, false));
            }
        }
    }

    fn push(&mut self, s: Span, call: Call) {
        let function = self.stack.last().copied();
        self.out.sites.push(QuerySite { span: s, function, call, unique_handled: false });
    }

    fn bind(&mut self, left: Node, right: Node) {
        let names: Vec<String> = bound_names(self.src(left)).into_iter().filter(|n| n != "_" && n != "mut").collect();
        if names.is_empty() {
            return;
        }
        let function = self.stack.last().copied();
        self.out.bindings.push(Binding { function, names, init: span(right), text: self.src(right).to_string() });
    }

    fn visit(&mut self, n: Node) {
        match (self.lang, n.kind()) {
            (Lang::Go, "short_var_declaration" | "assignment_statement") | (Lang::Python, "assignment") => {
                if let (Some(l), Some(r)) = (n.child_by_field_name("left"), n.child_by_field_name("right")) {
                    self.bind(l, r);
                }
            }
            (Lang::Rust, "let_declaration") => {
                if let (Some(l), Some(r)) = (n.child_by_field_name("pattern"), n.child_by_field_name("value")) {
                    self.bind(l, r);
                }
            }
            _ => {}
        }
        match (self.lang, n.kind()) {
            (Lang::Go, "call_expression") => {
                let Some(f) = n.child_by_field_name("function") else { return };
                let name = match f.kind() {
                    "selector_expression" => f.child_by_field_name("field").map(|x| self.src(x).to_string()),
                    _ => None,
                };
                if name.as_deref().is_some_and(|m| GO_SQL.contains(&m)) {
                    if let Some(mut sql) = self.first_string(n.child_by_field_name("arguments")) {
                        sql.params = self.args_after_string(n.child_by_field_name("arguments"));
                        self.push(span(n), Call::Sql(sql));
                    }
                }
                // `row.Scan(&a, &b)`: a and b hold what the row's query read.
                if name.as_deref() == Some("Scan") {
                    if let (Some(obj), Some(args)) = (f.child_by_field_name("operand"), n.child_by_field_name("arguments")) {
                        self.bind(args, obj);
                    }
                }
            }
            (Lang::Python, "call") => self.python_call(n),
            (Lang::Rust, "macro_invocation") => {
                let name =
                    n.child_by_field_name("macro").map(|m| self.src(m).rsplit("::").next().unwrap_or("").to_string()).unwrap_or_default();
                if matches!(name.as_str(), "query" | "query_as" | "query_scalar" | "query_unchecked" | "query_as_unchecked") {
                    let tt = (0..n.named_child_count()).filter_map(|i| n.named_child(i as u32)).find(|c| c.kind() == "token_tree");
                    if let Some(mut sql) = self.first_string(tt) {
                        // query!("...", a, b): the arguments after the string.
                        let inner = tt.map(|t| self.src(t)).unwrap_or("");
                        if let Some(q) = inner.rfind('"') {
                            sql.params = pgvet_syntax::split_top_level(inner[q + 1..].trim_end_matches(')'));
                        }
                        self.push(span(n), Call::Sql(sql));
                    }
                }
            }
            (Lang::Rust, "call_expression") => {
                let Some(f) = n.child_by_field_name("function") else { return };
                let name = match f.kind() {
                    "field_expression" => f.child_by_field_name("field").map(|x| self.src(x).to_string()),
                    "scoped_identifier" => f.child_by_field_name("name").map(|x| self.src(x).to_string()),
                    "identifier" => Some(self.src(f).to_string()),
                    _ => None,
                };
                if name.as_deref().is_some_and(|m| RS_SQL.contains(&m)) {
                    if let Some(mut sql) = self.first_string(n.child_by_field_name("arguments")) {
                        let mut params = self.args_after_string(n.child_by_field_name("arguments"));
                        // tokio-postgres: `&[&a, &b]`.
                        if let [one] = params.as_slice() {
                            if one.trim_start_matches('&').starts_with('[') {
                                params = pgvet_syntax::split_top_level(
                                    one.trim_start_matches('&').trim_start_matches('[').trim_end_matches(']'),
                                );
                            }
                        }
                        // sqlx: `.bind(a).bind(b)` after the call.
                        let mut cur = n;
                        while let Some(fe) = cur.parent().filter(|p| p.kind() == "field_expression") {
                            let Some(call) = fe.parent().filter(|p| p.kind() == "call_expression") else { break };
                            if fe.child_by_field_name("field").map(|x| self.src(x)) == Some("bind") {
                                if let Some(a) = call.child_by_field_name("arguments") {
                                    params.push(self.src(a).trim_start_matches('(').trim_end_matches(')').to_string());
                                }
                            }
                            cur = call;
                        }
                        sql.params = params.into_iter().map(|p| p.trim().trim_start_matches('&').to_string()).collect();
                        self.push(span(n), Call::Sql(sql));
                    }
                }
            }
            _ => {}
        }
    }

    /// The SQL in the first string literal among a node's children (positions kept).
    fn first_string(&self, args: Option<Node>) -> Option<SqlText> {
        let args = args?;
        let mut c = args.walk();
        let kids: Vec<Node> = args.named_children(&mut c).collect();
        for k in kids {
            if let Some(s) = self.string(k) {
                return Some(s);
            }
        }
        None
    }

    fn string(&self, n: Node) -> Option<SqlText> {
        let (start, end, dynamic) = match (self.lang, n.kind()) {
            (Lang::Go, "raw_string_literal" | "interpreted_string_literal") => (n.start_byte() + 1, n.end_byte().checked_sub(1)?, false),
            (Lang::Python, "string") => {
                let raw = self.src(n);
                let prefix = raw.find(['"', '\'']).unwrap_or(0);
                let quote = if raw[prefix..].starts_with("\"\"\"") || raw[prefix..].starts_with("'''") { 3 } else { 1 };
                let f = raw[..prefix].to_lowercase().contains('f');
                (n.start_byte() + prefix + quote, n.end_byte().checked_sub(quote)?, f)
            }
            (Lang::Rust, "string_literal" | "raw_string_literal") => {
                let mut c = n.walk();
                let content = n.named_children(&mut c).find(|x| x.kind() == "string_content")?;
                (content.start_byte(), content.end_byte(), false)
            }
            _ => return None,
        };
        let body = self.text.get(start..end)?;
        let text = if self.lang == Lang::Python { pyformat_placeholders(body) } else { body.to_string() };
        if !crate::looks_like_sql(&text) {
            return None;
        }
        Some(SqlText { text, pieces: vec![(0, start)], dynamic, api: "driver".into(), params: vec![] })
    }

    /// supabase-py: `client.table('t').select('a').eq('c', v).execute()`, `client.rpc('fn', {...})`;
    /// psycopg / asyncpg: `cur.execute('SQL', ...)`.
    fn python_call(&mut self, n: Node) {
        let Some(f) = n.child_by_field_name("function") else { return };
        if f.kind() != "attribute" {
            return;
        }
        let method = f.child_by_field_name("attribute").map(|a| self.src(a).to_string()).unwrap_or_default();
        let args = n.child_by_field_name("arguments");
        if PY_SQL.contains(&method.as_str()) {
            if let Some(mut sql) = self.first_string(args) {
                let rest = self.args_after_string(args);
                sql.params = match rest.first() {
                    Some(t) if rest.len() == 1 && (t.starts_with('(') || t.starts_with('[')) => {
                        pgvet_syntax::split_top_level(t.trim_start_matches(['(', '[']).trim_end_matches([')', ']']))
                    }
                    _ => rest,
                };
                self.push(span(n), Call::Sql(sql));
                // `cur.execute(...)` then `cur.fetchone()`: the cursor holds the result.
                if let Some(obj) = f.child_by_field_name("object") {
                    self.bind(obj, n);
                }
                return;
            }
        }
        if method != "execute" {
            if method == "rpc" && !self.inner_call_of(n) {
                // rpc without .execute() is not sent; handled through the chain below.
            }
            return;
        }
        // Flatten the chain under `.execute()`.
        let mut links: Vec<(String, Option<Node>, Node)> = Vec::new();
        let mut cur = f.child_by_field_name("object");
        while let Some(c) = cur {
            if c.kind() != "call" {
                break;
            }
            let Some(cf) = c.child_by_field_name("function").filter(|x| x.kind() == "attribute") else { break };
            let name = cf.child_by_field_name("attribute").map(|a| self.src(a).to_string()).unwrap_or_default();
            links.push((name, c.child_by_field_name("arguments"), c));
            cur = cf.child_by_field_name("object");
        }
        links.reverse();
        let Some((first, fargs, _)) = links.first() else { return };
        let client = cur.map(|c| self.src(c).to_string()).unwrap_or_default();
        let str_arg = |w: &Self, a: Option<Node>, i: usize| -> Option<(String, Span)> {
            let a = a?;
            let mut c = a.walk();
            let k = a.named_children(&mut c).nth(i)?;
            (k.kind() == "string").then(|| {
                let raw = w.src(k);
                (raw.trim_matches(['"', '\'']).to_string(), span(k))
            })
        };
        match first.as_str() {
            "rpc" => {
                let Some((name, name_span)) = str_arg(self, *fargs, 0) else { return };
                let args = self.dict_keys(*fargs, 1);
                // A second argument that is not a dict literal: arguments pgvet cannot see.
                let args_known = fargs.is_none_or(|a| {
                    let mut c = a.walk();
                    let second = a.named_children(&mut c).nth(1).map(|k| k.kind());
                    second.is_none_or(|k| k == "dictionary")
                });
                self.push(
                    span(n),
                    Call::Rpc(RpcCall {
                        name,
                        name_span,
                        args: args.into_iter().map(|(k, s, _)| Named { name: k, span: s }).collect(),
                        args_known,
                        client,
                    }),
                );
            }
            "table" | "from_" => {
                let Some((table, table_span)) = str_arg(self, *fargs, 0) else { return };
                let mut b =
                    BuilderCall::new(Library::Supabase, TableRef::Name { schema: None, name: table }, table_span, Op::Select, client);
                for (name, a, node) in &links[1..] {
                    match name.as_str() {
                        "select" => {
                            b.op = Op::Select;
                            if let Some((s, sp)) = str_arg(self, *a, 0) {
                                b.columns = s
                                    .split(',')
                                    .map(|c| Named { name: c.trim().to_string(), span: sp })
                                    .filter(|c| !c.name.is_empty() && !c.name.contains('('))
                                    .collect();
                            }
                        }
                        "insert" | "upsert" | "update" => {
                            b.op = match name.as_str() {
                                "insert" => Op::Insert,
                                "upsert" => Op::Upsert,
                                _ => Op::Update,
                            };
                            b.values = self.dict_keys(*a, 0).into_iter().map(|(k, s, e)| Value { column: k, span: s, expr: e }).collect();
                        }
                        "delete" => b.op = Op::Delete,
                        "eq" | "neq" | "gt" | "gte" | "lt" | "lte" | "like" | "ilike" | "is_" | "in_" => {
                            if let Some((c, sp)) = str_arg(self, *a, 0) {
                                let expr = a
                                    .and_then(|a| {
                                        let mut cc = a.walk();
                                        let v = a.named_children(&mut cc).nth(1);
                                        v.map(|v| self.src(v).to_string())
                                    })
                                    .unwrap_or_default();
                                if let Some(column) = crate::postgrest_column(&c) {
                                    b.filters.push(Value { column, span: sp, expr });
                                }
                            }
                        }
                        _ => {
                            let _ = node;
                        }
                    }
                }
                self.push(span(n), Call::Builder(b));
            }
            _ => {}
        }
    }

    fn inner_call_of(&self, _n: Node) -> bool {
        false
    }

    /// Source texts of the arguments after the first string literal.
    fn args_after_string(&self, args: Option<Node>) -> Vec<String> {
        let Some(a) = args else { return vec![] };
        let mut c = a.walk();
        let kids: Vec<Node> = a.named_children(&mut c).collect();
        let Some(i) = kids.iter().position(|k| self.string(*k).is_some()) else { return vec![] };
        kids[i + 1..].iter().filter(|k| k.kind() != "comment").map(|k| self.src(*k).to_string()).collect()
    }

    /// Keys of a dict literal argument: (key, span, value text).
    fn dict_keys(&self, args: Option<Node>, i: usize) -> Vec<(String, Span, String)> {
        let Some(a) = args else { return vec![] };
        let mut c = a.walk();
        let Some(d) = a.named_children(&mut c).nth(i).filter(|d| d.kind() == "dictionary") else { return vec![] };
        let mut c2 = d.walk();
        let pairs: Vec<Node> = d.named_children(&mut c2).filter(|p| p.kind() == "pair").collect();
        pairs
            .into_iter()
            .filter_map(|p| {
                let k = p.child_by_field_name("key")?;
                let v = p.child_by_field_name("value")?;
                (k.kind() == "string").then(|| (self.src(k).trim_matches(['"', '\'']).to_string(), span(p), self.src(v).to_string()))
            })
            .collect()
    }
}

/// psycopg's `%s` / `%(name)s` placeholders as `$n`, keeping byte positions (`%%` is a `%`).
fn pyformat_placeholders(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 1 < b.len() {
            if b[i + 1] == b's' {
                n += 1;
                let p = format!("${n}");
                let pad = 2usize.saturating_sub(p.len());
                out.push_str(&p[..p.len().min(2).max(p.len())]);
                out.push_str(&" ".repeat(pad));
                i += 2;
                continue;
            }
            if b[i + 1] == b'(' {
                if let Some(close) = s[i..].find(")s") {
                    n += 1;
                    let len = close + 2;
                    let p = format!("${n}");
                    out.push_str(&p);
                    out.push_str(&" ".repeat(len.saturating_sub(p.len())));
                    i += len;
                    continue;
                }
            }
            if b[i + 1] == b'%' {
                out.push_str("% ");
                i += 2;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql_texts(lang: Lang, src: &str) -> Vec<String> {
        extract(lang, src)
            .sites
            .into_iter()
            .filter_map(|s| match s.call {
                Call::Sql(q) => Some(q.text),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn go() {
        let src = "package db\nfunc GetMetrics(ctx context.Context, db *sql.DB, since time.Time) error {\n\trows, err := db.QueryContext(ctx, `SELECT agent_id FROM metrics WHERE date >= $1`, since)\n\t_, err = db.Exec(\"UPDATE t SET n = n + 1 WHERE id = $1\", 1)\n\tfmt.Println(\"SELECT not sql\")\n\treturn err\n}\n";
        let x = extract(Lang::Go, src);
        assert_eq!(sql_texts(Lang::Go, src), vec!["SELECT agent_id FROM metrics WHERE date >= $1", "UPDATE t SET n = n + 1 WHERE id = $1"]);
        assert_eq!(x.functions[0].name, "GetMetrics");
        let Call::Sql(q) = &x.sites[0].call else { panic!() };
        assert_eq!(&src[q.file_offset(0)..q.file_offset(0) + 6], "SELECT");
    }

    #[test]
    fn python() {
        let src = "def get_metrics(cur, since):\n    cur.execute(\"SELECT agent_id FROM metrics WHERE date >= %s AND x = %(x)s\", (since,))\n    res = supabase.table('user_subscriptions').select('used_tokens').eq('user_id', uid).execute()\n    supabase.rpc('increment_token_usage', {'p_user_id': uid}).execute()\n    cur.execute(f\"SELECT * FROM {table}\")\n";
        let x = extract(Lang::Python, src);
        assert_eq!(x.sites.len(), 4, "{:#?}", x.sites);
        let Call::Sql(q) = &x.sites[0].call else { panic!() };
        assert_eq!(q.text, "SELECT agent_id FROM metrics WHERE date >= $1 AND x = $2   ");
        assert!(matches!(&x.sites[1].call, Call::Builder(b) if b.filters[0].column == "user_id"));
        assert!(matches!(&x.sites[2].call, Call::Rpc(r) if r.name == "increment_token_usage" && r.args[0].name == "p_user_id"));
        assert!(matches!(&x.sites[3].call, Call::Sql(q) if q.dynamic));
    }

    #[test]
    fn rust() {
        let src = "async fn load(pool: &PgPool, id: i64) -> Result<()> {\n    let r = sqlx::query!(\"SELECT name FROM users WHERE id = $1\", id).fetch_one(pool).await?;\n    let n: i64 = sqlx::query_scalar(r#\"SELECT count(*) FROM users\"#).fetch_one(pool).await?;\n    client.execute(\"DELETE FROM users WHERE id = $1\", &[&id]).await?;\n    Ok(())\n}\n";
        assert_eq!(
            sql_texts(Lang::Rust, src),
            vec!["SELECT name FROM users WHERE id = $1", "SELECT count(*) FROM users", "DELETE FROM users WHERE id = $1"]
        );
    }

    #[test]
    fn broken_sources_are_reported_not_fatal() {
        for (lang, src) in [(Lang::Go, "func ( {"), (Lang::Python, "def (:\n"), (Lang::Rust, "fn { sqlx::query!(")] {
            assert!(extract(lang, src).error.is_some());
        }
    }
}
