//! Splits a SQL script into statements the way psql does: on `;` outside quotes, comments,
//! dollar quotes, parentheses and `BEGIN ... END` bodies of SQL-standard functions.
//!
//! libpg_query's own splitter needs every statement to start with a keyword and balanced
//! parentheses, and drops whatever does not; this one never drops text: every byte of the input
//! lands in exactly one piece, so a statement the grammar rejects is reported instead of lost.

/// One piece of a script: a byte range, plus the `;` positions inside parentheses or a
/// `BEGIN ATOMIC` body (where psql does not split), used to recover after an unbalanced `(`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub start: usize,
    pub end: usize,
    pub inner_semicolons: Vec<usize>,
}

#[derive(PartialEq)]
enum Word {
    Create,
    Or,
    Replace,
    Routine,
    Other,
}

/// Splits `text` into pieces ending after their `;` (the last one runs to the end of the text).
/// Pieces that hold only whitespace and comments are dropped.
pub fn split(text: &str) -> Vec<Piece> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut depth: i32 = 0;
    let mut begin_depth: i32 = 0;
    let mut inner = Vec::new();
    // The first words of the statement: `CREATE [OR REPLACE] FUNCTION|PROCEDURE` enables BEGIN
    // tracking, as in psql.
    let mut head: Vec<Word> = Vec::new();
    let mut routine = false;
    let mut has_token = false;
    let push = |out: &mut Vec<Piece>, s: usize, e: usize, inner: &mut Vec<usize>, has_token: bool| {
        if has_token {
            out.push(Piece { start: s, end: e, inner_semicolons: std::mem::take(inner) });
        } else {
            inner.clear();
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // Comments nest in PostgreSQL.
                let mut level = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        level += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        level -= 1;
                        i += 2;
                        if level == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'\'' => {
                has_token = true;
                // E'...' strings take backslash escapes.
                let escapes = i > 0
                    && matches!(b[i - 1], b'e' | b'E')
                    && (i < 2 || !(b[i - 2].is_ascii_alphanumeric() || b[i - 2] == b'_' || b[i - 2] >= 0x80));
                i += 1;
                while i < b.len() {
                    if escapes && b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            b'"' => {
                has_token = true;
                i += 1;
                while i < b.len() {
                    if b[i] == b'"' {
                        if b.get(i + 1) == Some(&b'"') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            b'$' => {
                has_token = true;
                if let Some(tag_end) = dollar_tag(b, i) {
                    let tag = &b[i..=tag_end];
                    let body = tag_end + 1;
                    match find(b, body, tag) {
                        Some(close) => i = close + tag.len(),
                        None => i = b.len(),
                    }
                    continue;
                }
                i += 1;
                continue;
            }
            b'(' => {
                has_token = true;
                depth += 1;
            }
            b')' => {
                has_token = true;
                depth -= 1;
            }
            b';' => {
                if depth <= 0 && begin_depth <= 0 {
                    push(&mut out, start, i + 1, &mut inner, has_token);
                    start = i + 1;
                    depth = 0;
                    begin_depth = 0;
                    head.clear();
                    routine = false;
                    has_token = false;
                } else {
                    inner.push(i);
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                has_token = true;
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80) {
                    i += 1;
                }
                // A string prefix (E'', U&'', B'', X'') is handled by the quote branch.
                let w = &text[s..i];
                if head.len() < 4 {
                    let kind = if w.eq_ignore_ascii_case("create") {
                        Word::Create
                    } else if w.eq_ignore_ascii_case("or") {
                        Word::Or
                    } else if w.eq_ignore_ascii_case("replace") {
                        Word::Replace
                    } else if w.eq_ignore_ascii_case("function") || w.eq_ignore_ascii_case("procedure") {
                        Word::Routine
                    } else {
                        Word::Other
                    };
                    head.push(kind);
                    routine = routine
                        || matches!(
                            head.as_slice(),
                            [Word::Create, Word::Routine] | [Word::Create, Word::Or, Word::Replace, Word::Routine]
                        );
                }
                if routine {
                    if w.eq_ignore_ascii_case("begin") || w.eq_ignore_ascii_case("case") {
                        begin_depth += 1;
                    } else if w.eq_ignore_ascii_case("end") && begin_depth > 0 {
                        begin_depth -= 1;
                    }
                }
                continue;
            }
            c if c.is_ascii_whitespace() => {}
            _ => has_token = true,
        }
        i += 1;
    }
    if start < b.len() {
        push(&mut out, start, b.len(), &mut inner, has_token);
    }
    out
}

/// If a dollar quote opens at `i` (`$$` or `$tag$`), the index of its closing `$`.
fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
    // `$1` is a parameter, and `a$b$` is an identifier, not a quote.
    if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] >= 0x80) {
        return None;
    }
    let mut j = i + 1;
    if j < b.len() && b[j].is_ascii_digit() {
        return None;
    }
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
        j += 1;
    }
    (j < b.len() && b[j] == b'$').then_some(j)
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        split(sql).into_iter().map(|p| sql[p.start..p.end].trim()).collect()
    }

    #[test]
    fn splits_where_psql_does() {
        assert_eq!(texts("select 1; selec 2; select 3;"), vec!["select 1;", "selec 2;", "select 3;"]);
        assert_eq!(texts("SELECT ';' ; SELECT \"a;b\"; -- x;\nSELECT 1"), vec!["SELECT ';' ;", "SELECT \"a;b\";", "-- x;\nSELECT 1"]);
        assert_eq!(
            texts("CREATE FUNCTION f() AS $$ a; b; $$; SELECT $x$;$x$;"),
            vec!["CREATE FUNCTION f() AS $$ a; b; $$;", "SELECT $x$;$x$;"]
        );
        assert_eq!(texts("SELECT E'\\';'; SELECT 2"), vec!["SELECT E'\\';';", "SELECT 2"]);
        assert_eq!(texts("/* a /* b; */ c; */ SELECT 1;"), vec!["/* a /* b; */ c; */ SELECT 1;"]);
        assert_eq!(texts("SELECT $1; SELECT a$b$c;"), vec!["SELECT $1;", "SELECT a$b$c;"]);
        assert_eq!(texts("-- only a comment;\n  "), Vec::<&str>::new());
    }

    #[test]
    fn parentheses_and_atomic_bodies_hold_semicolons() {
        let p = split("create table a (id int; create table b (x int);");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].inner_semicolons, vec![22, 46]);
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END; SELECT 2;";
        assert_eq!(texts(sql).len(), 2, "{:?}", texts(sql));
    }

    #[test]
    fn unterminated_quotes_keep_earlier_statements() {
        assert_eq!(texts("SELECT 1; SELECT 'oops; SELECT 2;"), vec!["SELECT 1;", "SELECT 'oops; SELECT 2;"]);
        assert_eq!(texts("SELECT 1; SELECT $$ oops"), vec!["SELECT 1;", "SELECT $$ oops"]);
    }
}
