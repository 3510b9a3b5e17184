//! pgvet's SQL front end: splits SQL text into statements with exact byte spans using the real
//! PostgreSQL parser (libpg_query), reports parse errors at their position, and reads
//! `-- pgvet-ignore` suppression comments.
//!
//! Everything here is pure: no file system, no network.

mod canon;
mod ffi;
pub use ffi::parse_plpgsql_json;
mod source;
mod suppress;

pub use canon::{canonical_expr, canonical_expr_node, deparse_expr, expr_columns, quote_ident, rename_column_in_expr, strip_casts};
pub use pg_query;
pub use pg_query::protobuf;
pub use pg_query::NodeEnum;
pub use source::{LineCol, SourceFile, Span};
pub use suppress::{comment_suppressions, Suppression};

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
/// statements are still returned: one bad statement never hides the rest of the file.
pub fn parse_sql(text: &str) -> ParsedSql {
    let mut out = ParsedSql::default();
    match ffi::parse(text, 0) {
        Ok(tree) => push_statements(&mut out, text, 0, text.len(), tree),
        Err(_) => {
            // Parse statement by statement so that the good ones survive.
            for (start, end) in split_statements(text) {
                let piece = &text[start..end];
                match ffi::parse(piece, 0) {
                    Ok(tree) => push_statements(&mut out, text, start, end, tree),
                    Err(e) => {
                        let stmt = trim_span(text, start, end);
                        let at = match e.offset {
                            Some(o) => {
                                let s = (start + o).min(text.len());
                                Span::new(s, token_end(text, s).max(s))
                            }
                            None => Span::new(stmt.start, stmt.start),
                        };
                        out.errors.push(SyntaxError { message: e.message, at, statement: stmt });
                    }
                }
            }
        }
    }
    out.suppressions = suppress::find(text, &out.statements);
    out
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

/// Splits into statement byte ranges with PostgreSQL's scanner (works on text the grammar
/// rejects). If even the scanner fails (e.g. an unterminated quote), the rest is one piece.
fn split_statements(text: &str) -> Vec<(usize, usize)> {
    match pg_query::split_with_scanner(text) {
        Ok(parts) => {
            let base = text.as_ptr() as usize;
            parts
                .into_iter()
                .map(|p| {
                    let s = p.as_ptr() as usize - base;
                    (s, s + p.len())
                })
                .filter(|(s, e)| !text[*s..*e].trim().is_empty())
                .collect()
        }
        Err(_) => vec![(0, text.len())],
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
