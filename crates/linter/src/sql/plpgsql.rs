//! The SQL inside a function body: the statements of a `LANGUAGE sql` body, and for PL/pgSQL
//! every embedded query and expression (via PostgreSQL's own PL/pgSQL parser), with the
//! variables in scope and where each piece is in the migration file.
use pgvet_catalog::Function;
use pgvet_syntax::{parse_sql, NodeEnum, Span};
use serde_json::Value;

/// One statement of a function body.
pub struct BodyStatement {
    pub node: NodeEnum,
    /// Add to a parse-tree location to get the file offset; None when pgvet could not place the
    /// statement in the file (it then reports on the whole function).
    pub offset: Option<usize>,
    /// The statement's span in the file (the function's statement when not placed).
    pub span: Span,
}

pub struct Body {
    pub statements: Vec<BodyStatement>,
    /// PL/pgSQL variables, records and parameters (lower case).
    pub variables: Vec<String>,
    /// The PL/pgSQL parser rejected the body (pgvet then says nothing about it).
    pub unparsed: bool,
}

/// Splits a function's body. `file_text` is the text of the migration that defines it.
pub fn body(f: &Function, file_text: &str) -> Option<Body> {
    let text = f.body.as_deref()?;
    let stmt = file_text.get(f.origin.span.range())?;
    let body_at = stmt.find(text).map(|i| f.origin.span.start + i);
    let mut variables: Vec<String> = f.args.iter().filter_map(|a| a.name.clone()).collect();
    match f.language.as_str() {
        "sql" => {
            let parsed = parse_sql(text);
            let statements = parsed
                .statements
                .into_iter()
                .map(|s| BodyStatement {
                    node: s.node,
                    offset: body_at,
                    span: body_at.map(|b| Span::new(b + s.span.start, b + s.span.end)).unwrap_or(f.origin.span),
                })
                .collect();
            Some(Body { statements, variables, unparsed: !parsed.errors.is_empty() })
        }
        "plpgsql" => {
            let Some(json) = pgvet_syntax::parse_plpgsql_json(stmt).ok().and_then(|j| serde_json::from_str::<Value>(&j).ok()) else {
                return Some(Body { statements: vec![], variables, unparsed: true });
            };
            let mut exprs = Vec::new();
            variables.extend(
                [
                    "found",
                    "new",
                    "old",
                    "tg_op",
                    "tg_name",
                    "tg_when",
                    "tg_level",
                    "tg_table_name",
                    "tg_table_schema",
                    "tg_relid",
                    "tg_nargs",
                    "tg_argv",
                ]
                .map(String::from),
            );
            collect(&json, 0, &mut exprs, &mut variables);
            let mut statements = Vec::new();
            for (query, mode, lineno) in exprs {
                // `shift`: file offset of a location = query start + shift + location.
                let (sql, shift) = match mode {
                    0 => (query.clone(), 0isize),
                    // Assignment: `target := expr`.
                    3..=5 => match split_assign(&query) {
                        Some((at, expr)) => (format!("SELECT {expr}"), at as isize - 7),
                        None => continue,
                    },
                    _ => (format!("SELECT {query}"), -7),
                };
                let parsed = parse_sql(&sql);
                let Some(s) = parsed.statements.into_iter().next() else { continue };
                // Where the query starts in the file, then shift by what was prepended.
                let start = body_at.and_then(|b| locate(text, &query, lineno).map(|i| b + i));
                let offset = start.and_then(|st| usize::try_from(st as isize + shift).ok());
                let span = match start {
                    Some(st) => Span::new(st, (st + query.trim_end().len()).min(f.origin.span.end)),
                    None => f.origin.span,
                };
                statements.push(BodyStatement { node: s.node, offset, span });
            }
            // Quoted names (the parser's own `__Case__Variable_N__`) keep their case.
            let lowered: Vec<String> = variables.iter().map(|v| v.to_lowercase()).filter(|v| !variables.contains(v)).collect();
            variables.extend(lowered);
            Some(Body { statements, variables, unparsed: false })
        }
        _ => None,
    }
}

/// `v := expr` / `v = expr`: (byte index of expr, expr).
fn split_assign(q: &str) -> Option<(usize, &str)> {
    let i = q.find(":=").map(|i| i + 2).or_else(|| q.find('=').map(|i| i + 1))?;
    let rest = &q[i..];
    let skip = rest.len() - rest.trim_start().len();
    Some((i + skip, rest.trim_start()))
}

/// Byte offset of `query` in the body, searching from its line (PL/pgSQL counts body lines
/// from 1). A PERFORM reads `SELECT ...` in the parser's copy; the rest matches the source.
fn locate(body: &str, query: &str, lineno: usize) -> Option<usize> {
    let line_start = if lineno <= 1 { 0 } else { body.match_indices('\n').nth(lineno - 2).map(|(i, _)| i + 1)? };
    let hay = &body[line_start..];
    let first_line = query.lines().next().unwrap_or(query).trim_end();
    // `INTO target` is blanked out in the parser's copy: match up to the gap.
    let first_line = first_line.split("  ").next().unwrap_or(first_line).trim_end();
    let needle: String = first_line.chars().take(40).collect();
    if let Some(i) = hay.find(needle.trim_end()) {
        return Some(line_start + i);
    }
    // PERFORM f(x) is handed over as SELECT f(x).
    let rest = needle.strip_prefix("SELECT ")?;
    let i = hay.find(rest.trim_end())?;
    Some(line_start + i).and_then(|p| p.checked_sub(7)).map(|p| p.max(line_start))
}

fn collect(v: &Value, lineno: usize, exprs: &mut Vec<(String, u64, usize)>, vars: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            let line = m.get("lineno").and_then(|l| l.as_u64()).map(|l| l as usize).unwrap_or(lineno);
            for (k, val) in m {
                match k.as_str() {
                    "PLpgSQL_expr" => {
                        if let Some(q) = val.get("query").and_then(|q| q.as_str()) {
                            let mode = val.get("parseMode").and_then(|p| p.as_u64()).unwrap_or(0);
                            exprs.push((q.to_string(), mode, line));
                        }
                    }
                    // Block and loop labels qualify variables (`outer.v`).
                    "label" => {
                        if let Some(l) = val.as_str() {
                            if !vars.iter().any(|x| x == l) {
                                vars.push(l.to_string());
                            }
                        }
                    }
                    "PLpgSQL_var" | "PLpgSQL_rec" | "PLpgSQL_row" | "PLpgSQL_recfield" => {
                        if let Some(n) = val.get("refname").and_then(|r| r.as_str()) {
                            if !n.starts_with('(') && !vars.iter().any(|x| x == n) {
                                vars.push(n.to_string());
                            }
                        }
                        collect(val, line, exprs, vars);
                    }
                    _ => collect(val, line, exprs, vars),
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                collect(x, lineno, exprs, vars);
            }
        }
        _ => {}
    }
}
