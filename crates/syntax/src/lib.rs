//! pgvet's SQL front end: splits SQL text into statements with exact byte spans using the real
//! PostgreSQL parser (libpg_query), reports parse errors at their position, and reads
//! `-- pgvet-ignore` suppression comments.
//!
//! Everything here is pure: no file system, no network.

mod canon;
mod ffi;
pub mod interval;
pub use ffi::{parse_plpgsql, parse_plpgsql_json, RawParseError};
mod source;
pub mod split;
mod suppress;
mod walk;
pub use walk::{walk, walk_mut, walk_node, walk_node_mut};

pub use canon::{
    calls_function, canonical_expr, canonical_expr_node, deparse_expr, expr_columns, quote_ident, rename_column_in_expr, strip_casts,
    unqualify_columns,
};
pub use pg_query;
pub use pg_query::protobuf;
pub use pg_query::NodeEnum;
pub use source::{LineCol, SourceFile, Span};
pub use suppress::{comment_suppressions, Suppression};

/// Every node of a parse tree below (and including) `n`, parents before children. Unlike
/// pg_query's `nodes()`, it reaches every field that holds a node (ARRAY[...], column
/// definitions, named arguments, COLLATE, window definitions, ...).
pub fn all_nodes(n: &NodeEnum) -> Vec<pg_query::NodeRef<'_>> {
    let mut out = Vec::new();
    walk(n.to_ref(), &mut |r| out.push(r));
    out
}

/// Splits `a, f(b, c), 'x,y', d` at its top-level commas: not inside brackets (`()`, `[]`, `{}`)
/// or quotes (`'...'`, `"..."`). Items are trimmed; empty ones are dropped.
pub fn split_top_level(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quote) = (Vec::new(), String::new(), 0i32, None::<char>);
    let mut push = |cur: &mut String| {
        if !cur.trim().is_empty() {
            out.push(cur.trim().to_string());
        }
        cur.clear();
    };
    for ch in s.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                push(&mut cur);
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    push(&mut cur);
    out
}

/// The tables a text creates (`CREATE [TEMP|UNLOGGED] TABLE [IF NOT EXISTS] [schema.]name`, any
/// case), lower-case and unqualified: a linear scan, for telling where a table comes from (another
/// database's migrations, SQL in application code) without parsing.
pub fn created_table_names(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find("create ") {
        let mut rest = lower[from + i + "create ".len()..].trim_start();
        from += i + "create ".len();
        for word in ["temporary ", "temp ", "unlogged "] {
            if let Some(r) = rest.strip_prefix(word) {
                rest = r.trim_start();
            }
        }
        let Some(r) = rest.strip_prefix("table ") else { continue };
        rest = r.trim_start();
        if let Some(r) = rest.strip_prefix("if not exists ") {
            rest = r.trim_start();
        }
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '"' | '.' | '$' | '`')).collect();
        if let Some(last) = name.rsplit('.').next().map(|n| n.trim_matches(|c| c == '"' || c == '`')).filter(|n| !n.is_empty()) {
            out.push(last.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// One top-level statement of a SQL file.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The statement's text, without leading whitespace/comments and without the closing `;`.
    pub span: Span,
    pub node: NodeEnum,
    /// Add to a node's `location` to get its byte offset in the file.
    pub base: usize,
}

impl Statement {
    /// The span from a node's `location` to the end of its line (within the statement).
    pub fn node_span(&self, text: &str, location: i32) -> Span {
        if location < 0 {
            return self.span;
        }
        let start = (self.base + location as usize).clamp(self.span.start, self.span.end);
        let end = text[start..self.span.end].find('\n').map(|i| start + i).unwrap_or(self.span.end);
        Span::new(start, text[start..end].trim_end().len() + start)
    }
}

/// A statement the PostgreSQL grammar rejects.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub message: String,
    /// Where the server points (the offending token), or the statement start when it does not say.
    pub at: Span,
    /// The statement that failed.
    pub statement: Span,
}

/// The result of parsing one SQL text.
#[derive(Debug, Clone, Default)]
pub struct ParsedSql {
    pub statements: Vec<Statement>,
    pub errors: Vec<SyntaxError>,
    pub suppressions: Vec<Suppression>,
}

/// Parses a SQL script. A statement that fails to parse becomes a [`SyntaxError`] and the other
/// statements are still returned: one bad statement never hides the rest of the file. A leading
/// UTF-8 byte-order mark is ignored, as psql ignores it.
pub fn parse_sql(text: &str) -> ParsedSql {
    let mut out = ParsedSql::default();
    let src = without_bom(text);
    let src = src.as_ref();
    match ffi::parse(src, 0) {
        Ok(tree) => push_statements(&mut out, src, 0, src.len(), tree),
        // Parse statement by statement so that the good ones survive.
        Err(_) => parse_script(&mut out, src, 0, src.len()),
    }
    let spans: Vec<Span> = out.statements.iter().map(|s| s.span).collect();
    out.suppressions = suppress::find(text, &spans);
    out
}

/// The text with a leading byte-order mark (which psql ignores) turned into three spaces, so
/// every byte offset stays the same.
fn without_bom(text: &str) -> std::borrow::Cow<'_, str> {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => std::borrow::Cow::Owned(format!("   {rest}")),
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// Above this size a script is parsed statement by statement as it is consumed (see
/// [`parse_sql_streaming`]), so parse trees never pile up.
pub const STREAMING_THRESHOLD: usize = 512 << 10;

/// Like [`parse_sql`], but hands each statement to `f` as soon as it is parsed and drops its
/// tree afterwards: memory stays proportional to one statement, not to the file. The returned
/// [`ParsedSql`] has the errors and suppressions, and no statements.
pub fn parse_sql_streaming(text: &str, mut f: impl FnMut(&Statement)) -> ParsedSql {
    let mut out = ParsedSql::default();
    let src = without_bom(text);
    let src = src.as_ref();
    let mut spans = Vec::new();
    let mut one = ParsedSql::default();
    for piece in split::split(src) {
        parse_script(&mut one, src, piece.start, piece.end);
        for s in one.statements.drain(..) {
            spans.push(s.span);
            f(&s);
        }
        out.errors.append(&mut one.errors);
    }
    out.suppressions = suppress::find(text, &spans);
    out
}

/// Splits `src[start..end]` like psql and parses each statement on its own. psql would not split
/// inside parentheses, but an unbalanced `(` must not swallow the statements after it: a piece
/// that fails and held a `;` inside parentheses is cut there, and what follows is read again as
/// a script of its own.
fn parse_script(out: &mut ParsedSql, src: &str, mut start: usize, end: usize) {
    'script: loop {
        for piece in split::split(&src[start..end]) {
            let (ps, pe) = (start + piece.start, start + piece.end);
            if let Err(e) = parse_piece(out, src, ps, pe) {
                match piece.inner_semicolons.first() {
                    None => out.errors.push(e),
                    Some(&cut) => {
                        let cut = start + cut + 1;
                        if let Err(e) = parse_piece(out, src, ps, cut) {
                            out.errors.push(e);
                        }
                        start = cut;
                        continue 'script;
                    }
                }
            }
        }
        return;
    }
}

/// Parses `text[start..end]`, appending its statements, or returns its syntax error.
fn parse_piece(out: &mut ParsedSql, text: &str, start: usize, end: usize) -> Result<(), SyntaxError> {
    match ffi::parse(&text[start..end], 0) {
        Ok(tree) => {
            push_statements(out, text, start, end, tree);
            Ok(())
        }
        Err(e) => {
            let stmt = trim_span(text, start, end);
            let at = match e.offset {
                Some(o) => {
                    let s = (start + o).min(text.len());
                    Span::new(s, token_end(text, s).max(s))
                }
                None => Span::new(stmt.start, stmt.start),
            };
            Err(SyntaxError { message: e.message, at, statement: stmt })
        }
    }
}

/// `limit` is the end of the parsed piece: a statement with length 0 runs to it.
fn push_statements(out: &mut ParsedSql, text: &str, base: usize, limit: usize, tree: protobuf::ParseResult) {
    for raw in tree.stmts {
        let start = base + raw.stmt_location.max(0) as usize;
        let end = if raw.stmt_len > 0 { start + raw.stmt_len as usize } else { limit };
        let end = end.min(limit);
        let span = trim_span(text, start, end);
        if let Some(node) = raw.stmt.and_then(|n| n.node) {
            out.statements.push(Statement { span, node, base });
        }
    }
}

/// Moves `start` past whitespace and comments, and `end` back past whitespace and `;`.
fn trim_span(text: &str, mut start: usize, mut end: usize) -> Span {
    let b = text.as_bytes();
    loop {
        while start < end && b[start].is_ascii_whitespace() {
            start += 1;
        }
        if start + 1 < end && b[start] == b'-' && b[start + 1] == b'-' {
            while start < end && b[start] != b'\n' {
                start += 1;
            }
        } else if start + 1 < end && b[start] == b'/' && b[start + 1] == b'*' {
            match text[start + 2..end].find("*/") {
                Some(i) => start = start + 2 + i + 2,
                None => break,
            }
        } else {
            break;
        }
    }
    while end > start && (b[end - 1].is_ascii_whitespace() || b[end - 1] == b';') {
        end -= 1;
    }
    Span::new(start, end)
}

/// End of the token starting at `s`: a word, a quoted string, or one character.
fn token_end(text: &str, s: usize) -> usize {
    let rest = &text[s..];
    let mut chars = rest.char_indices();
    match chars.next() {
        None => s,
        Some((_, c)) if c.is_alphanumeric() || c == '_' => {
            s + rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')).unwrap_or(rest.len())
        }
        Some((_, q @ ('\'' | '"'))) => s + rest[1..].find(q).map(|i| i + 2).unwrap_or(rest.len()),
        Some((_, c)) => s + c.len_utf8(),
    }
}

/// Parses one scalar expression (as `SELECT <expr>` would).
pub fn parse_expr(text: &str) -> Option<protobuf::Node> {
    let tree = ffi::parse(&format!("SELECT {text}"), 0).ok()?;
    let stmt = tree.stmts.into_iter().next()?.stmt?.node?;
    let NodeEnum::SelectStmt(sel) = stmt else { return None };
    let target = sel.target_list.into_iter().next()?.node?;
    match target {
        NodeEnum::ResTarget(rt) => rt.val.map(|b| *b),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

/// The syntax error PostgreSQL raises when `stmt` (a `CREATE FUNCTION`/`PROCEDURE` or a `DO`
/// block in `text`) runs: with `check_function_bodies` on, its default, the body of a `LANGUAGE
/// sql` function is parsed as SQL and a PL/pgSQL body by the PL/pgSQL parser (which also parses
/// every SQL statement in it); a `DO` block's body is parsed when it runs. None when the body
/// parses or is in another language.
pub fn function_body_error(text: &str, stmt: &Statement) -> Option<SyntaxError> {
    let first_string = |n: Option<&protobuf::node::Node>| match n? {
        protobuf::node::Node::String(s) => Some(s.sval.clone()),
        protobuf::node::Node::List(l) => l.items.first().and_then(|i| match &i.node {
            Some(protobuf::node::Node::String(s)) => Some(s.sval.clone()),
            _ => None,
        }),
        _ => None,
    };
    let (options, mut language, is_do) = match &stmt.node {
        NodeEnum::CreateFunctionStmt(f) => (&f.options, String::from("sql"), false),
        NodeEnum::DoStmt(d) => (&d.args, String::from("plpgsql"), true),
        _ => return None,
    };
    let mut body = None;
    for o in options {
        let Some(protobuf::node::Node::DefElem(d)) = &o.node else { continue };
        let arg = d.arg.as_deref().and_then(|n| n.node.as_ref());
        match d.defname.as_str() {
            "language" => language = first_string(arg).unwrap_or_default().to_lowercase(),
            // `AS 'obj_file', 'link_symbol'` (C functions) has two items; only one is a body.
            "as" => {
                if let Some(protobuf::node::Node::List(l)) = arg {
                    if l.items.len() != 1 {
                        return None;
                    }
                }
                body = first_string(arg)
            }
            _ => {}
        }
    }
    let body = body?;
    let stmt_text = &text[stmt.span.range()];
    // Where the body's text starts in the file (exact for dollar quotes and simple strings).
    let body_at = stmt_text.find(body.as_str()).filter(|_| !body.is_empty()).map(|i| stmt.span.start + i);
    let place = |offset: Option<usize>, message: String| {
        // Never past the statement, and on a character boundary.
        let offset = offset.map(|o| o.min(stmt.span.end)).map(|mut o| {
            while !text.is_char_boundary(o) {
                o -= 1;
            }
            o
        });
        let at = match offset {
            Some(s) => Span::new(s, token_end(text, s).max(s)),
            None => Span::new(stmt.span.start, stmt.span.start),
        };
        SyntaxError { message, at, statement: stmt.span }
    };
    match language.as_str() {
        "sql" if !is_do => {
            let p = parse_sql(&body);
            let e = p.errors.into_iter().next()?;
            Some(place(body_at.map(|b| b + e.at.start), e.message))
        }
        "plpgsql" => {
            // The text PL/pgSQL's parser reads, and where the body starts in it.
            let (parse_text, body_start) = if is_do {
                let mut tag = String::from("pgvet");
                while body.contains(&format!("${tag}$")) {
                    tag.push('x');
                }
                let head = format!("CREATE FUNCTION pgvet_do() RETURNS void LANGUAGE plpgsql AS ${tag}$");
                (format!("{head}{body}${tag}$"), Some(head.len()))
            } else {
                (stmt_text.to_string(), body_at.map(|b| b - stmt.span.start))
            };
            let e = ffi::parse_plpgsql(&parse_text).err()?;
            // Grammar and scanner errors only: libpg_query's PL/pgSQL compiler also checks types
            // it cannot know (a composite or array parameter), which the server accepts.
            let grammar = e.source.as_deref().is_some_and(|f| f.contains("gram") || f.contains("scan"));
            if !grammar {
                return None;
            }
            // `r.f := ...` where `r` is declared `t%ROWTYPE` or with a table's or composite type's
            // name: the server knows r's fields from the catalog; libpg_query's parser has none and
            // takes r for a scalar. Whether r has the field is not for the grammar to say.
            if e.message.ends_with("is not a known variable")
                && e.message.split_once('"').and_then(|(_, rest)| rest.split_once('"')).is_some_and(|(name, _)| name.contains('.'))
            {
                return None;
            }
            let mut offset = body_start
                .and_then(|b| locate_plpgsql_error(&parse_text, b, body.len(), &e.message))
                .zip(body_at)
                .and_then(|(o, at)| (o + at).checked_sub(body_start.unwrap_or(0)));
            let core_parser = e.source.as_deref().is_some_and(|f| !f.contains("pl_"));
            if e.message == "syntax error at end of input" && core_parser {
                // An embedded statement cut off by the end of the body: the server points past
                // the string that holds the body, after its closing quote (measured: the syntax
                // oracle). PL/pgSQL's own errors at the end point at the body's end.
                offset = body_at.map(|at| {
                    let end = at + body.len();
                    let after = &text[end.min(text.len())..];
                    end + match after.strip_prefix('$') {
                        Some(rest) => rest.find('$').map(|i| i + 2).unwrap_or(1),
                        None => 1,
                    }
                });
            }
            Some(place(offset, e.message))
        }
        _ => None,
    }
}

/// The PL/pgSQL parser does not say where its error is: find the first body line whose prefix
/// already fails with the same message (a binary search over lines), then which occurrence of
/// the quoted token in that line is the one it stops at. Returns an offset into `stmt`.
fn locate_plpgsql_error(stmt: &str, body_start: usize, body_len: usize, message: &str) -> Option<usize> {
    let body = &stmt[body_start..body_start + body_len];
    if message.ends_with("at end of input") {
        return Some(body_start + body_len);
    }
    // A long quoted token (an unterminated string runs to the end) is found as it is.
    if let Some(t) = message.split_once("at or near \"").and_then(|(_, t)| t.strip_suffix('"')) {
        if (t.contains('\n') || t.len() > 20) && body.matches(t).count() == 1 {
            return body.find(t).map(|i| body_start + i);
        }
    }
    let fails_at = |cut: usize| {
        let candidate = format!("{}{}{}", &stmt[..body_start], &body[..cut], &stmt[body_start + body_len..]);
        matches!(ffi::parse_plpgsql(&candidate), Err(e) if e.message == message)
    };
    let line_ends: Vec<usize> = body.match_indices('\n').map(|(i, _)| i).chain([body.len()]).collect();
    let (mut lo, mut hi) = (0, line_ends.len() - 1);
    if !fails_at(line_ends[hi]) {
        return None;
    }
    while lo < hi {
        let mid = (lo + hi) / 2;
        if fails_at(line_ends[mid]) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let line_start = if lo == 0 { 0 } else { line_ends[lo - 1] + 1 };
    let line = &body[line_start..line_ends[lo]];
    // An error in an embedded SQL statement: the core parser, run on that statement, says where
    // (it starts on this line or one of the few before it and ends at the next `;`).
    let stmt_end = body[line_start..].find(';').map(|i| line_start + i + 1).unwrap_or(line_ends[lo]);
    for k in (lo.saturating_sub(8)..=lo).rev() {
        let from = if k == 0 { 0 } else { line_ends[k - 1] + 1 };
        let p = parse_sql(&body[from..stmt_end]);
        if let Some(e) = p.errors.first().filter(|e| e.message == message) {
            return Some(body_start + from + e.at.start);
        }
    }
    // "missing \"THEN\" at end of SQL expression": where the expression ends.
    if message.contains("at end of SQL") {
        return Some(body_start + line_start + line.find(';').unwrap_or(line.len()));
    }
    let token = message.split("at or near \"").nth(1).and_then(|t| t.strip_suffix('"'));
    let col = match token {
        Some(t) => {
            // Whole tokens only: "EN" is not the end of "WHEN".
            let word = |c: char| c.is_alphanumeric() || c == '_';
            let wordy = t.chars().all(word);
            let hits: Vec<usize> = line
                .match_indices(t)
                .map(|(i, _)| i)
                .filter(|&i| !wordy || (!line[..i].ends_with(word) && !line[i + t.len()..].starts_with(word)))
                .collect();
            // The parser stops at the first occurrence after which the text already fails.
            hits.iter().copied().find(|&i| fails_at(line_start + i + t.len())).or(hits.first().copied())
        }
        None => None,
    };
    let col = col.unwrap_or_else(|| line.len() - line.trim_start().len());
    Some(body_start + line_start + col)
}

#[cfg(test)]
mod split_tests {
    #[test]
    fn a_row_variables_field_is_not_a_grammar_error() {
        let check = |sql: &str| {
            let p = super::parse_sql(sql);
            super::function_body_error(sql, &p.statements[0]).map(|e| e.message)
        };
        let row = "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ DECLARE r public.t%ROWTYPE; BEGIN r.a := 1; END $$;";
        assert_eq!(check(row), None);
        let broken = "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN IF true THEN NULL; END $$;";
        assert!(check(broken).is_some());
    }

    #[test]
    fn split_top_level() {
        assert_eq!(super::split_top_level("a, f(b, c), 'x,y', \"q,r\", [1, 2], d,"), ["a", "f(b, c)", "'x,y'", "\"q,r\"", "[1, 2]", "d"]);
        assert!(super::split_top_level(" , ").is_empty());
    }
}
