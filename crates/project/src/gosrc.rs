//! Migrations that live in Go source: a list of migration steps whose SQL is in string literals
//! (miniflux's `var migrations = [...]func(tx *sql.Tx) error{ ... }`), and folders of `.sql` files
//! a `//go:embed` directive puts into the binary (River's `migration/*/*.sql`).
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Where the token at `i` ends, when it is a string, rune or comment (which braces and keywords
/// inside do not count).
fn skip(b: &[u8], i: usize) -> Option<usize> {
    match b[i] {
        b'`' => Some(b[i + 1..].iter().position(|c| *c == b'`').map(|e| i + 1 + e + 1).unwrap_or(b.len())),
        q @ (b'"' | b'\'') => {
            let mut j = i + 1;
            while j < b.len() && b[j] != q && b[j] != b'\n' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            Some((j + 1).min(b.len()))
        }
        b'/' if b.get(i + 1) == Some(&b'/') => Some(b[i..].iter().position(|c| *c == b'\n').map(|e| i + e).unwrap_or(b.len())),
        b'/' if b.get(i + 1) == Some(&b'*') => {
            Some(b[i + 2..].windows(2).position(|w| w == b"*/").map(|e| i + 2 + e + 2).unwrap_or(b.len()))
        }
        _ => None,
    }
}

/// The position of the `}` closing the `{` at `open`.
fn matching_brace(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = open;
    while i < b.len() {
        if let Some(end) = skip(b, i) {
            i = end;
            continue;
        }
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The first `{` at bracket depth 0 from `i` (after a function signature or a composite type).
fn next_open_brace(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0i32;
    while i < b.len() {
        if let Some(end) = skip(b, i) {
            i = end;
            continue;
        }
        match b[i] {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b'{' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The migration steps of a Go file: the function literals of a `[]func(...)` (or `[...]func`)
/// composite literal assigned to a variable whose name says migrations (or in a file whose name
/// does). Each step is the range of one `func ... { ... }` element.
pub fn migration_steps(file_name: &str, text: &str) -> Option<Vec<Range<usize>>> {
    let b = text.as_bytes();
    let named_file = file_name.to_ascii_lowercase().contains("migration");
    let mut from = 0;
    while let Some(i) = text[from..].find("func(").map(|i| from + i) {
        from = i + 5;
        // `= []func(` / `= [...]func(`, as a variable's value.
        let before = text[..i].trim_end();
        let Some(before) = before.strip_suffix("[]").or_else(|| before.strip_suffix("[...]")) else { continue };
        let Some(before) = before.trim_end().strip_suffix('=') else { continue };
        let var: String =
            before.trim_end().trim_end_matches(':').trim_end().bytes().rev().take_while(|c| is_ident(*c)).map(char::from).collect();
        let var: String = var.chars().rev().collect();
        if !(named_file || var.to_ascii_lowercase().contains("migration")) {
            continue;
        }
        let open = next_open_brace(b, i + 4)?;
        let close = matching_brace(b, open)?;
        let mut steps = Vec::new();
        let mut j = open + 1;
        while j < close {
            if let Some(end) = skip(b, j) {
                j = end;
                continue;
            }
            if b[j..].starts_with(b"func") && !is_ident(b[j - 1]) && !b.get(j + 4).is_some_and(|c| is_ident(*c)) {
                let body = next_open_brace(b, j + 4)?;
                let end = matching_brace(b, body)?;
                steps.push(j..end + 1);
                j = end + 1;
                continue;
            }
            j += 1;
        }
        if !steps.is_empty() {
            return Some(steps);
        }
    }
    None
}

const SQL_STARTS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "CREATE", "ALTER", "DROP", "DO", "COMMENT", "GRANT", "REVOKE", "TRUNCATE", "DECLARE",
    "FETCH", "CLOSE", "SET", "RESET", "REINDEX", "VACUUM", "ANALYZE", "CLUSTER", "REFRESH", "LOCK", "VALUES", "COPY", "NOTIFY", "LISTEN",
];

/// Whether a string's content starts like a SQL statement.
fn starts_like_sql(content: &str) -> bool {
    let mut s = content.trim_start();
    while let Some(rest) = s.strip_prefix("--") {
        s = rest.split_once('\n').map(|(_, r)| r).unwrap_or("").trim_start();
    }
    let word: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect::<String>().to_ascii_uppercase();
    SQL_STARTS.contains(&word.as_str())
}

/// The SQL one step of a Go migration list runs: `text` with everything blanked (newlines kept)
/// but the content of the step's SQL string literals, each statement (a literal, or literals
/// joined with `+`) ended by a `;` written over its closing quote. Byte offsets are the Go
/// file's, so findings point into it.
pub fn step_sql(text: &str, step: Range<usize>) -> String {
    let b = text.as_bytes();
    let mut out: Vec<u8> = b.iter().map(|c| if *c == b'\n' || *c == b'\r' { *c } else { b' ' }).collect();
    let mut literals: Vec<Range<usize>> = Vec::new();
    let mut i = step.start;
    while i < step.end {
        match skip(b, i) {
            Some(end) if matches!(b[i], b'`' | b'"') => {
                literals.push(i..end);
                i = end;
            }
            Some(end) => i = end,
            None => i += 1,
        }
    }
    // Chains of literals joined with `+`.
    let mut k = 0;
    while k < literals.len() {
        let mut chain = vec![literals[k].clone()];
        while k + 1 < literals.len() && text[chain.last().unwrap().end..literals[k + 1].start].trim() == "+" {
            k += 1;
            chain.push(literals[k].clone());
        }
        k += 1;
        let head = &chain[0];
        let content = &text[head.start + 1..head.end.saturating_sub(1).max(head.start + 1)];
        let raw = b[head.start] == b'`';
        // An interpreted string counts when it is a call's SQL argument (`tx.Exec("...")`).
        let called = {
            let before = text[..head.start].trim_end();
            let before = before
                .strip_suffix(',')
                .map(|b| b.trim_end().trim_end_matches(|c: char| c.is_alphanumeric() || c == '_').trim_end())
                .unwrap_or(before);
            before.strip_suffix('(').is_some_and(|b| {
                let callee: String = b.bytes().rev().take_while(|c| is_ident(*c)).map(char::from).collect();
                let callee: String = callee.chars().rev().collect();
                ["Exec", "Query", "Prepare", "MustExec", "Get", "Select"].iter().any(|c| callee.starts_with(c))
            })
        };
        if !starts_like_sql(content) || !(raw || called) {
            continue;
        }
        let last = chain.len() - 1;
        for (n, lit) in chain.iter().enumerate() {
            let (s, e) = (lit.start, lit.end);
            let raw = b[s] == b'`';
            let mut j = s + 1;
            while j + 1 < e {
                if !raw && b[j] == b'\\' {
                    // An escape keeps its width: `\n` as two spaces, `\"` as ` "`.
                    out[j] = b' ';
                    if j + 1 < e - 1 {
                        out[j + 1] = match b[j + 1] {
                            b'n' | b't' | b'r' => b' ',
                            c => c,
                        };
                    }
                    j += 2;
                    continue;
                }
                out[j] = b[j];
                j += 1;
            }
            if n == last && e > s + 1 {
                out[e - 1] = b';';
            }
        }
    }
    // Only ASCII was replaced and every other byte copied at its place.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The `//go:embed` patterns of a Go file, resolved against its folder: the folders whose `.sql`
/// files the binary embeds.
pub fn embedded_sql_dirs(go_file: &Path, text: &str) -> Vec<PathBuf> {
    let dir = go_file.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("//go:embed ") else { continue };
        for pattern in rest.split_whitespace() {
            let pattern = pattern.trim_matches(['"', '`']);
            let pattern = pattern.strip_prefix("all:").unwrap_or(pattern);
            for p in glob(dir, pattern) {
                if p.is_dir() {
                    collect_sql_dirs(&p, &mut out);
                } else if p.extension().is_some_and(|x| x == "sql") {
                    if let Some(parent) = p.parent() {
                        out.push(parent.to_path_buf());
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn collect_sql_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut has_sql = false;
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_sql_dirs(&p, out);
        } else if p.extension().is_some_and(|x| x == "sql") {
            has_sql = true;
        }
    }
    if has_sql {
        out.push(dir.to_path_buf());
    }
}

/// The paths under `dir` that a Go embed pattern (`path.Match` segments: `*`, `?`) names.
fn glob(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let mut current = vec![dir.to_path_buf()];
    for seg in pattern.split('/').filter(|s| !s.is_empty() && *s != ".") {
        let mut next = Vec::new();
        for d in &current {
            if !seg.contains(['*', '?', '[']) {
                let p = d.join(seg);
                if p.exists() {
                    next.push(p);
                }
                continue;
            }
            let Ok(rd) = std::fs::read_dir(d) else { continue };
            let mut names: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
            names.sort();
            for p in names {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if !name.starts_with('.') && matches(seg.as_bytes(), name.as_bytes()) {
                    next.push(p);
                }
            }
        }
        current = next;
    }
    current
}

/// `*` and `?` wildcard matching of one path segment.
fn matches(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => matches(&p[1..], s) || (!s.is_empty() && matches(p, &s[1..])),
        (Some(b'?'), Some(_)) => matches(&p[1..], &s[1..]),
        (Some(a), Some(c)) if a == c => matches(&p[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"package database

import "database/sql"

var schemaVersion = len(migrations)

// Order is important.
var migrations = [...]func(tx *sql.Tx) error{
	func(tx *sql.Tx) (err error) {
		sql := `
			CREATE TABLE users (id serial primary key, name text);
			CREATE TABLE feeds (id serial primary key, user_id int references users(id));
		`
		_, err = tx.Exec(sql)
		return err
	},
	func(tx *sql.Tx) (err error) {
		// Nothing any more: } { "quoted braces" `and` 'x'
		return nil
	},
	func(tx *sql.Tx) (err error) {
		if _, err = tx.Exec(`ALTER TABLE users ADD COLUMN email text`); err != nil {
			return fmt.Errorf("update failed: %v", err)
		}
		_, err = tx.Exec("CREATE INDEX users_email_idx " +
			"ON users (email)")
		return err
	},
}
"#;

    #[test]
    fn steps_and_their_sql() {
        let steps = migration_steps("migrations.go", FILE).unwrap();
        assert_eq!(steps.len(), 3);
        let sql: Vec<String> = steps.iter().map(|s| step_sql(FILE, s.clone())).collect();
        for s in &sql {
            assert_eq!(s.len(), FILE.len());
            assert_eq!(s.lines().count(), FILE.lines().count());
        }
        let p = pgvet_syntax::parse_sql(&sql[0]);
        assert!(p.errors.is_empty() && p.statements.len() == 2, "{:?}", p.errors);
        // Offsets are the Go file's.
        assert_eq!(&FILE[p.statements[0].span.range()], &sql[0][p.statements[0].span.range()]);
        assert!(sql[1].trim().is_empty());
        let p = pgvet_syntax::parse_sql(&sql[2]);
        assert!(p.errors.is_empty(), "{:?}\n{}", p.errors, sql[2]);
        assert_eq!(p.statements.len(), 2, "{}", sql[2]);
        assert!(!sql[2].contains("update failed"));
        assert!(sql[2].contains("CREATE INDEX users_email_idx    \n    ON users (email);"), "{}", sql[2]);
    }

    #[test]
    fn other_lists_are_not_migrations() {
        assert!(migration_steps(
            "handlers.go",
            "var routes = []func(w http.ResponseWriter){ func(w http.ResponseWriter) { w.Write(nil) } }"
        )
        .is_none());
    }

    #[test]
    fn embed_patterns() {
        let d = tempfile::tempdir().unwrap();
        for f in ["migration/main/001_a.up.sql", "migration/main/001_a.down.sql", "migration/alt/001_b.up.sql", "queries/q.sql"] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "SELECT 1;").unwrap();
        }
        let go = d.path().join("driver.go");
        let dirs = embedded_sql_dirs(&go, "//go:embed migration/*/*.sql\nvar fs embed.FS\n");
        assert_eq!(dirs, vec![d.path().join("migration/alt"), d.path().join("migration/main")]);
        assert_eq!(embedded_sql_dirs(&go, "//go:embed queries\nvar q embed.FS\n"), vec![d.path().join("queries")]);
    }
}
