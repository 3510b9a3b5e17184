//! `-- pgvet-ignore <rule>[, <rule>...]: <reason>` comments.
//!
//! A comment alone on its line covers the statement that starts after it (or, inside a
//! statement, the next line with code). A comment after code on the same line covers that line.
use crate::Span;
use pg_query::protobuf::Token;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The comment itself.
    pub span: Span,
    /// Rule ids named by the comment.
    pub rules: Vec<String>,
    /// The text after `:`; required, but a missing reason is reported, not fatal.
    pub reason: Option<String>,
    /// The byte range whose diagnostics (by primary span start) the comment silences.
    pub covers: Span,
}

const MARKER: &str = "pgvet-ignore";

pub(crate) fn find(text: &str, statements: &[Span]) -> Vec<Suppression> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let comments: Vec<Span> = match pg_query::scan(text) {
        Ok(scan) => scan
            .tokens
            .iter()
            .filter(|t| t.token == Token::SqlComment as i32)
            .map(|t| Span::new(t.start as usize, t.end as usize))
            .collect(),
        // The scanner gives up on e.g. an unterminated quote; fall back to plain `--` lines.
        Err(_) => line_comments(text),
    };
    let mut out = Vec::new();
    for c in comments {
        let body = text[c.range()].trim_start_matches('-').trim();
        let Some(rest) = body.strip_prefix(MARKER) else { continue };
        if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
            continue;
        }
        let (names, reason) = match rest.split_once(':') {
            Some((n, r)) => (n, Some(r.trim().to_string()).filter(|r| !r.is_empty())),
            None => (rest, None),
        };
        let rules = names.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        out.push(Suppression { span: c, rules, reason, covers: covered(text, c, statements) });
    }
    out
}

fn covered(text: &str, comment: Span, statements: &[Span]) -> Span {
    let line_start = text[..comment.start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let before = &text[line_start..comment.start];
    if !before.trim().is_empty() {
        // Trailing comment: covers its own line.
        return Span::new(line_start, comment.start);
    }
    // Next statement that starts after the comment, if it starts before any other code.
    let next_stmt = statements.iter().find(|s| s.start >= comment.end);
    let after = comment.end + text[comment.end..].find(|c: char| !c.is_whitespace()).unwrap_or(text.len() - comment.end);
    if let Some(s) = next_stmt {
        if s.start == after {
            return *s;
        }
    }
    // Otherwise the next line with code.
    let end = text[after..].find('\n').map(|i| after + i).unwrap_or(text.len());
    Span::new(after, end)
}

fn line_comments(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        if let Some(i) = line.find("--") {
            out.push(Span::new(off + i, off + line.trim_end().len()));
        }
        off += line.len();
    }
    out
}

/// `// pgvet-ignore <rule>: <reason>` comments in application source (`//` or `#` comments).
/// A trailing comment covers its line; a comment alone on its line covers the code after it up
/// to the end of that statement (the next `;`, or the next blank line).
pub fn comment_suppressions(text: &str) -> Vec<Suppression> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        let start = off;
        off += line.len();
        let Some(m) = line.find(MARKER) else { continue };
        let prefix = &line[..m];
        let Some(open) = prefix.rfind("//").or_else(|| prefix.rfind('#')) else { continue };
        if !prefix[open..].trim_start_matches(['/', '#']).trim().is_empty() {
            continue;
        }
        let rest = &line[m + MARKER.len()..];
        if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
            continue;
        }
        let rest = rest.trim_end();
        let (names, reason) = match rest.split_once(':') {
            Some((n, r)) => (n, Some(r.trim().to_string()).filter(|r| !r.is_empty())),
            None => (rest, None),
        };
        let rules = names.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        let span = Span::new(start + open, start + line.trim_end().len());
        let covers = if !line[..open].trim().is_empty() {
            Span::new(start, start + open)
        } else {
            let after = off + text[off..].find(|c: char| !c.is_whitespace()).unwrap_or(text.len() - off);
            let semi = text[after..].find(';').map(|i| after + i);
            let blank = text[after..].find("\n\n").map(|i| after + i);
            let end = match (semi, blank) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => text.len(),
            };
            Span::new(after, end)
        };
        out.push(Suppression { span, rules, reason, covers });
    }
    out
}
