//! Templated SQL: migrations and query files that a program renders before it sends them (Go
//! `text/template` in GoTrue's migrations, `%s` verbs and `%name%` placeholders in goyesql query
//! files, River's `/* TEMPLATE: schema */` markers), and query files of `-- name:` blocks.
//!
//! The rendering keeps the file's byte offsets wherever it can, so diagnostics point at the file
//! on disk: a value shorter than its placeholder is padded with spaces (`auth` and 28 spaces for
//! `{{ index .Options "Namespace" }}`, which SQL reads as `auth` followed by whitespace). Inside a
//! string literal or a quoted identifier the value must be exact, so the padding goes right after
//! the closing quote: only offsets inside that literal move. A placeholder whose value is not
//! known is read as a parameter (`$n`, padded); a statement that still does not parse because of
//! one is blanked (newlines kept), never reported as a syntax error: the program builds it at run
//! time and pgvet cannot know what it sends.
use std::ops::Range;

use pgvet_syntax::Span;

/// What templates render to when the program's defaults are known.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// Go template fields: `{{ .Name }}` and `{{ index .Options "Name" }}` (pop's connection
    /// options, as GoTrue uses them) render to the value of `Name`.
    pub go: Vec<(String, String)>,
}

impl Defaults {
    /// GoTrue (Supabase Auth) renders `{{ index .Options "Namespace" }}` to its `DB_NAMESPACE`,
    /// `auth` by default.
    pub fn gotrue() -> Defaults {
        Defaults { go: vec![("Namespace".into(), "auth".into())] }
    }

    fn go_value(&self, field: &str) -> Option<&str> {
        self.go.iter().find(|(k, _)| k == field).map(|(_, v)| v.as_str())
    }
}

/// A rendered text, and the schemas the known defaults named (they exist before the first
/// migration: the runner's configuration creates them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub schemas: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    /// In a `'...'` literal (`escapes`: an `E'...'` literal, where `\` escapes).
    Single {
        escapes: bool,
    },
    /// In a `"..."` identifier.
    Double,
    LineComment,
    BlockComment(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A Go `text/template` action; the text between the braces, trimmed.
    Go(String),
    /// A `fmt.Sprintf` verb (`%s`, `%d`, `%[1]s`, ...).
    Printf,
    /// A `%name%` placeholder (goyesql, listmonk).
    Named,
    /// River's `/* TEMPLATE: name */` inside a string literal (outside one it is a comment).
    River,
}

#[derive(Debug, Clone)]
struct Placeholder {
    range: Range<usize>,
    kind: Kind,
    state: State,
    /// The quoted literal (or identifier) that holds it, quotes included.
    literal: Option<Range<usize>>,
}

/// The placeholders of `text` and the quoted literals and identifiers it has.
fn scan(text: &str) -> Vec<Placeholder> {
    let b = text.as_bytes();
    let actions = go_actions(text);
    let mut next_action = 0;
    let mut out = Vec::new();
    let mut state = State::Code;
    let mut literal_start = 0;
    // Placeholders inside the current literal, waiting for its end.
    let mut pending: Vec<Placeholder> = Vec::new();
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        if let Some(a) = actions.get(next_action).filter(|a| a.0.start == i) {
            next_action += 1;
            let p = Placeholder { range: a.0.clone(), kind: Kind::Go(a.1.clone()), state, literal: None };
            if matches!(state, State::Single { .. } | State::Double) {
                pending.push(p);
            } else {
                out.push(p);
            }
            i = a.0.end;
            continue;
        }
        let c = b[i];
        match state {
            State::Code => {
                if c == b'-' && b.get(i + 1) == Some(&b'-') {
                    state = State::LineComment;
                    i += 2;
                    continue;
                }
                if c == b'/' && b.get(i + 1) == Some(&b'*') {
                    state = State::BlockComment(1);
                    i += 2;
                    continue;
                }
                if c == b'\'' {
                    let escapes = i > 0 && matches!(b[i - 1], b'E' | b'e') && (i < 2 || !ident(b[i - 2]));
                    state = State::Single { escapes };
                    literal_start = i;
                } else if c == b'"' {
                    state = State::Double;
                    literal_start = i;
                } else if c == b'%' {
                    if b.get(i + 1) == Some(&b'%') {
                        i += 2;
                        continue;
                    }
                    let prev_ok = i == 0 || !(ident(b[i - 1]) || matches!(b[i - 1], b')' | b']' | b'\'' | b'"' | b'%'));
                    if prev_ok {
                        if let Some(end) = named_at(b, i).or_else(|| printf_at(b, i)) {
                            let kind = if b[end - 1] == b'%' && end - i > 2 { Kind::Named } else { Kind::Printf };
                            out.push(Placeholder { range: i..end, kind, state, literal: None });
                            i = end;
                            continue;
                        }
                    }
                }
            }
            State::Single { escapes } => {
                if escapes && c == b'\\' {
                    i += 2;
                    continue;
                }
                if b[i..].starts_with(b"/* TEMPLATE: ") {
                    if let Some(end) = b[i..].windows(2).position(|w| w == b"*/").map(|e| i + e + 2) {
                        pending.push(Placeholder { range: i..end, kind: Kind::River, state, literal: None });
                        i = end;
                        continue;
                    }
                }
                if c == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    close(&mut pending, &mut out, literal_start..i + 1);
                    state = State::Code;
                }
            }
            State::Double => {
                if c == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    close(&mut pending, &mut out, literal_start..i + 1);
                    state = State::Code;
                }
            }
            State::LineComment => {
                if c == b'\n' {
                    state = State::Code;
                }
            }
            State::BlockComment(depth) => {
                if c == b'*' && b.get(i + 1) == Some(&b'/') {
                    state = if depth == 1 { State::Code } else { State::BlockComment(depth - 1) };
                    i += 2;
                    continue;
                }
                if c == b'/' && b.get(i + 1) == Some(&b'*') {
                    state = State::BlockComment(depth + 1);
                    i += 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    // An unterminated literal: its placeholders have no closing quote to pad after.
    out.append(&mut pending);
    out.sort_by_key(|p| p.range.start);
    out
}

fn close(pending: &mut Vec<Placeholder>, out: &mut Vec<Placeholder>, literal: Range<usize>) {
    for mut p in pending.drain(..) {
        p.literal = Some(literal.clone());
        out.push(p);
    }
}

/// `%name%` at `i`: its end.
fn named_at(b: &[u8], i: usize) -> Option<usize> {
    let first = *b.get(i + 1)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let mut j = i + 2;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    (b.get(j) == Some(&b'%') && !b.get(j + 1).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')).then_some(j + 1)
}

/// A Go `fmt` verb at `i` (`%s`, `%-10d`, `%[2]v`, `%.2f`): its end.
fn printf_at(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if b.get(j) == Some(&b'[') {
        j += 1;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if b.get(j) != Some(&b']') {
            return None;
        }
        j += 1;
    }
    while b.get(j).is_some_and(|c| matches!(c, b'-' | b'+' | b'#' | b' ' | b'0')) {
        j += 1;
    }
    while b.get(j).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    if b.get(j) == Some(&b'.') {
        j += 1;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
    }
    let verb = *b.get(j)?;
    if !matches!(verb, b's' | b'd' | b'v' | b'q' | b'x' | b'X' | b'f' | b'g' | b'e' | b't') {
        return None;
    }
    // `%s` inside a word is not a placeholder: PL/pgSQL's `%TYPE` / `%type`, `%rowtype`.
    let rest: String = b[j..].iter().take(8).map(|c| c.to_ascii_lowercase() as char).collect();
    if rest.starts_with("type") || rest.starts_with("rowtype") {
        return None;
    }
    // `% s` with flags only (`% d`) reads as SQL's modulo.
    if j > i + 1 && b[i + 1] == b' ' {
        return None;
    }
    Some(j + 1)
}

/// Go template actions: `{{ ... }}` whose content is a pipeline (a field `.X`, a variable `$x`,
/// a builtin function or keyword) or a comment, and not a two-dimensional array literal
/// (`'{{1,2},{3,4}}'`).
fn go_actions(text: &str) -> Vec<(Range<usize>, String)> {
    const WORDS: &[&str] = &[
        "index", "if", "else", "end", "range", "with", "define", "template", "block", "printf", "print", "println", "len", "not", "and",
        "or", "eq", "ne", "lt", "le", "gt", "ge", "slice", "call", "html", "js", "urlquery", "break", "continue", "nil",
    ];
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[i + 2..].find("}}").map(|e| i + 2 + e) else { break };
        let inner = text[i + 2..close].trim_start_matches('-').trim_end_matches('-').trim();
        let first = inner.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("");
        let action = close - i < 400
            && !inner.contains('{')
            && (inner.starts_with("/*")
                || ((inner.starts_with('.') || inner.starts_with('$') || WORDS.contains(&first)) && !inner.contains(',')));
        if action {
            out.push((i..close + 2, inner.to_string()));
            from = close + 2;
        } else {
            from = i + 2;
        }
    }
    out
}

/// The field a Go template action reads: `.Name`, `index .Options "Name"`, `.Options.Name`.
fn go_field(inner: &str) -> Option<String> {
    let words: Vec<&str> = inner.split_whitespace().collect();
    match words.as_slice() {
        [one] if one.starts_with('.') && one.len() > 1 => Some(one.rsplit('.').next()?.to_string()),
        ["index", _, key] => Some(key.trim_matches('"').to_string()),
        _ => None,
    }
}

/// Whether the action produces no text (a comment, or control: `if`, `else`, `end`, ...).
fn go_silent(inner: &str) -> bool {
    let first = inner.split_whitespace().next().unwrap_or("");
    inner.starts_with("/*") || matches!(first, "if" | "else" | "end" | "range" | "with" | "define" | "block" | "break" | "continue")
}

/// One substitution: the placeholder's range, its value, and the literal that holds it.
struct Sub {
    range: Range<usize>,
    value: String,
    literal: Option<Range<usize>>,
}

/// Applies `subs` (sorted, not overlapping). A value shorter than its placeholder is padded with
/// spaces (the placeholder's newlines kept), or, inside a literal, after its closing quote.
fn apply(text: &str, subs: &[Sub]) -> String {
    // (start, end, replacement), in text order; pads are empty ranges after a closing quote.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for s in subs {
        let original = &text.as_bytes()[s.range.clone()];
        match &s.literal {
            Some(lit) => {
                let newlines = original.iter().filter(|c| **c == b'\n').count();
                let mut v = s.value.clone();
                v.extend(std::iter::repeat_n('\n', newlines));
                let deficit = original.len().saturating_sub(v.len());
                edits.push((s.range.start, s.range.end, v));
                edits.push((lit.end, lit.end, " ".repeat(deficit)));
            }
            None => {
                let mut v = s.value.clone();
                for &c in original.iter().skip(s.value.len()) {
                    v.push(if c == b'\n' { '\n' } else { ' ' });
                }
                edits.push((s.range.start, s.range.end, v));
            }
        }
    }
    edits.sort_by_key(|e| (e.0, e.1));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, v) in edits {
        out.push_str(&text[at..start]);
        out.push_str(&v);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// A parameter (or a neutral value) that fits in `len` bytes: `$n` padded, else `''`.
fn param(n: usize, len: usize) -> String {
    let p = format!("${n}");
    if p.len() <= len {
        p
    } else if len >= 2 {
        "''".into()
    } else {
        "0".into()
    }
}

/// The highest `$n` in `text`.
fn max_param(text: &str) -> usize {
    let b = text.as_bytes();
    let mut max = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) {
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > i + 1 && !(j < b.len() && (b[j].is_ascii_alphabetic() || b[j] == b'_' || b[j] == b'$')) {
                max = max.max(text[i + 1..j].parse().unwrap_or(0));
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    max
}

/// Whether `text` may hold a template at all (a cheap test before any parsing).
pub fn may_be_templated(text: &str) -> bool {
    text.contains("{{") || text.contains("TEMPLATE: ") || text.contains('%') || text.contains("-- name:")
}

/// Renders a templated SQL text (see the module docs), or None when it holds no template.
pub fn render(text: &str, defaults: &Defaults) -> Option<Rendered> {
    if !may_be_templated(text) {
        return None;
    }
    let placeholders = scan(text);
    let blocks = name_blocks(text);
    if placeholders.is_empty() && blocks.is_empty() {
        return None;
    }
    // 1. Go template actions and River markers in literals, whose values are known (or empty).
    let mut schemas = Vec::new();
    let mut subs = Vec::new();
    let mut unknown: Vec<Range<usize>> = Vec::new();
    let mut next_param = max_param(text) + 1;
    for p in &placeholders {
        let value = match (&p.kind, p.state) {
            (Kind::River, _) => String::new(),
            (Kind::Go(_), State::LineComment | State::BlockComment(_)) => continue,
            (Kind::Go(inner), _) if go_silent(inner) => String::new(),
            (Kind::Go(inner), state) => match go_field(inner).and_then(|f| defaults.go_value(&f).map(str::to_string)) {
                Some(v) => {
                    let qualifier = text[p.range.end..].starts_with('.');
                    if state == State::Code && qualifier && !schemas.contains(&v) {
                        schemas.push(v.clone());
                    }
                    v
                }
                // An unknown value inside a literal is just text of the literal.
                None if state != State::Code => continue,
                None => {
                    unknown.push(p.range.clone());
                    let qualifier = text[p.range.end..].starts_with('.');
                    if qualifier && p.range.len() >= "public".len() {
                        "public".into()
                    } else {
                        next_param += 1;
                        param(next_param - 1, p.range.len())
                    }
                }
            },
            (Kind::Printf | Kind::Named, _) => continue,
        };
        subs.push(Sub { range: p.range.clone(), value, literal: p.literal.clone() });
    }
    let mut out = apply(text, &subs);
    // 2. `-- name:` blocks without a closing `;` are separate statements all the same.
    if out.len() == text.len() {
        for at in blocks {
            out.replace_range(at..at + 3, ";--");
        }
    }
    // 3. Statements that do not parse because of a `%s` or `%name%` placeholder: the
    //    placeholders as parameters, else the statement blanked.
    let late: Vec<&Placeholder> =
        placeholders.iter().filter(|p| matches!(p.kind, Kind::Printf | Kind::Named) && p.state == State::Code).collect();
    if (!late.is_empty() || !unknown.is_empty()) && out.len() == text.len() {
        out = fix_statements(out, &late, &unknown);
    }
    (out != text).then_some(Rendered { text: out, schemas })
}

/// The `-- name:` lines (sqlc, goyesql) that open a block after one not closed by `;`: where to
/// write `;--` over the line's `-- ` (the comment loses its space, the offsets stay).
fn name_blocks(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    if text.matches("-- name:").count() < 2 {
        return out;
    }
    // The last significant character before each line: scanned with the same lexer.
    let mut last = None;
    let mut seen_block = false;
    let b = text.as_bytes();
    let mut state = State::Code;
    let mut i = 0;
    let mut line_start = true;
    while i < b.len() {
        let c = b[i];
        if state == State::Code && line_start && text[i..].trim_start_matches([' ', '\t']).starts_with("-- name:") {
            let at = i + (text[i..].len() - text[i..].trim_start_matches([' ', '\t']).len());
            if seen_block && last.is_some_and(|l: u8| l != b';') && text[at..].starts_with("-- name:") {
                out.push(at);
            }
            seen_block = true;
            last = None;
        }
        line_start = false;
        match state {
            State::Code => {
                if c == b'-' && b.get(i + 1) == Some(&b'-') {
                    state = State::LineComment;
                } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
                    state = State::BlockComment(1);
                    i += 1;
                } else if c == b'\'' {
                    state = State::Single { escapes: false };
                    last = Some(c);
                } else if c == b'"' {
                    state = State::Double;
                    last = Some(c);
                } else if !c.is_ascii_whitespace() {
                    last = Some(c);
                }
            }
            State::Single { .. } => {
                if c == b'\'' {
                    state = State::Code;
                }
            }
            State::Double => {
                if c == b'"' {
                    state = State::Code;
                }
            }
            State::LineComment => {
                if c == b'\n' {
                    state = State::Code;
                }
            }
            State::BlockComment(_) => {
                if c == b'*' && b.get(i + 1) == Some(&b'/') {
                    state = State::Code;
                    i += 1;
                }
            }
        }
        if c == b'\n' {
            line_start = true;
        }
        i += 1;
    }
    out
}

/// Parses `text`; each statement that fails (or whose function body fails) and holds one of
/// `late` (`%s`, `%name%`) gets them as parameters; if it still fails at a placeholder (of
/// `late` or `unknown`), it is blanked.
fn fix_statements(mut text: String, late: &[&Placeholder], unknown: &[Range<usize>]) -> String {
    let parsed = pgvet_syntax::parse_sql(&text);
    let mut failing: Vec<Span> = parsed.errors.iter().map(|e| e.statement).collect();
    for s in &parsed.statements {
        let holds = late.iter().any(|p| s.span.start <= p.range.start && p.range.end <= s.span.end);
        if holds && pgvet_syntax::function_body_error(&text, s).is_some() {
            failing.push(s.span);
        }
    }
    failing.sort_by_key(|s| s.start);
    failing.dedup();
    for stmt in failing {
        let inside = |r: &Range<usize>| stmt.start <= r.start && r.end <= stmt.end;
        let mine: Vec<&&Placeholder> = late.iter().filter(|p| inside(&p.range)).collect();
        if mine.is_empty() && !unknown.iter().any(inside) {
            continue;
        }
        let mut n = max_param(&text[stmt.range()]) + 1;
        let subs: Vec<Sub> = mine
            .iter()
            .map(|p| {
                n += 1;
                Sub { range: p.range.clone(), value: param(n - 1, p.range.len()), literal: None }
            })
            .collect();
        let candidate = apply(&text, &subs);
        let again = pgvet_syntax::parse_sql(&candidate[stmt.range()]);
        let body_error = again.statements.iter().find_map(|s| pgvet_syntax::function_body_error(&candidate[stmt.range()], s));
        let error_at = again.errors.first().map(|e| e.at).or(body_error.as_ref().map(|e| e.at));
        match error_at {
            None => text = candidate,
            Some(at) => {
                // The error is the template's when it is at (or right after) a placeholder.
                let at = Span::new(stmt.start + at.start, stmt.start + at.end);
                let near = |r: &Range<usize>| at.start + 1 >= r.start && at.start <= r.end + 1;
                let template = mine.iter().any(|p| near(&p.range)) || unknown.iter().any(near);
                text = if template { blank(&candidate, stmt.range()) } else { candidate };
            }
        }
    }
    text
}

/// `text` with `range` turned into spaces (newlines kept, byte length kept).
fn blank(text: &str, range: Range<usize>) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..range.start]);
    for c in text[range.clone()].chars() {
        if c == '\n' || c == '\r' {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
    out.push_str(&text[range.end..]);
    out
}

#[cfg(test)]
mod tests;
