//! sqlc configs (`sqlc.yaml`, `sqlc.yml`, `sqlc.json`, versions 1 and 2) anywhere in the
//! repository: each PostgreSQL entry's schema and query paths.
use std::path::{Path, PathBuf};

/// One `sql:` (v2) or `packages:` (v1) entry, paths resolved against the config's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub config: PathBuf,
    pub schema: Vec<PathBuf>,
    pub queries: Vec<PathBuf>,
}

const NAMES: &[&str] = &["sqlc.yaml", "sqlc.yml", "sqlc.json"];

/// The PostgreSQL entries of the sqlc configs under `root` (production code only).
pub(crate) fn entries(root: &Path) -> Vec<Entry> {
    let mut configs: Vec<PathBuf> = crate::discover::walk(root, Some(8))
        .map(|e| e.into_path())
        .filter(|p| NAMES.contains(&crate::discover::file_name(p).as_str()))
        .filter(|p| crate::source_role(&p.strip_prefix(root).unwrap_or(p).to_string_lossy()).is_production())
        .collect();
    configs.sort();
    configs.iter().flat_map(|c| std::fs::read_to_string(c).map(|t| parse(c, &t)).unwrap_or_default()).collect()
}

/// The entries of one config file.
pub(crate) fn parse(config: &Path, text: &str) -> Vec<Entry> {
    let dir = config.parent().unwrap_or(Path::new(""));
    let raw = if config.extension().is_some_and(|x| x == "json") { parse_json(text) } else { parse_yaml(text) };
    raw.into_iter()
        .filter(|(engine, _, _)| engine.as_deref().is_none_or(|e| e.contains("postgres")))
        .map(|(_, schema, queries)| Entry {
            config: config.to_path_buf(),
            schema: schema.iter().map(|s| clean_join(dir, s)).collect(),
            queries: queries.iter().map(|q| clean_join(dir, q)).collect(),
        })
        .collect()
}

/// `dir/rel` with `.` and `..` resolved lexically (`db/sqlc/../migrations` is `db/migrations`).
fn clean_join(dir: &Path, rel: &str) -> PathBuf {
    let mut out = dir.to_path_buf();
    for part in rel.trim_start_matches("./").split('/') {
        match part {
            "" | "." => {}
            ".." if out.file_name().is_some_and(|n| n != "..") => {
                out.pop();
            }
            _ => out.push(part),
        }
    }
    out
}

type Raw = (Option<String>, Vec<String>, Vec<String>);

fn parse_json(text: &str) -> Vec<Raw> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else { return Vec::new() };
    let list = v.get("sql").or_else(|| v.get("packages")).and_then(|l| l.as_array()).cloned().unwrap_or_default();
    let strings = |x: Option<&serde_json::Value>| -> Vec<String> {
        match x {
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|s| s.as_str().map(String::from)).collect(),
            _ => Vec::new(),
        }
    };
    list.iter()
        .map(|e| (e.get("engine").and_then(|x| x.as_str()).map(String::from), strings(e.get("schema")), strings(e.get("queries"))))
        .collect()
}

/// The subset of YAML sqlc configs use: a list of mappings under `sql:` or `packages:`, whose
/// `engine`, `schema` and `queries` are a scalar, a flow list `[a, b]` or a block list.
fn parse_yaml(text: &str) -> Vec<Raw> {
    let mut out: Vec<Raw> = Vec::new();
    let mut item_indent: Option<usize> = None;
    let mut in_list = false;
    let mut lines = text.lines().peekable();
    let clean = |v: &str| v.split(" #").next().unwrap_or("").trim().trim_matches(['"', '\'']).to_string();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if indent == 0 {
            in_list = matches!(t, "sql:" | "packages:");
            item_indent = None;
            continue;
        }
        if !in_list {
            continue;
        }
        let mut body = t;
        if let Some(rest) = t.strip_prefix("- ") {
            if item_indent.is_none_or(|i| i == indent) {
                item_indent = Some(indent);
                out.push((None, Vec::new(), Vec::new()));
                body = rest.trim();
            }
        }
        let Some(cur) = out.last_mut() else { continue };
        let Some((key, value)) = body.split_once(':') else { continue };
        let key = key.trim().trim_matches(['"', '\'']);
        if !matches!(key, "engine" | "schema" | "queries") {
            continue;
        }
        let value = value.trim();
        let mut values = Vec::new();
        if let Some(flow) = value.strip_prefix('[') {
            values.extend(flow.trim_end_matches(']').split(',').map(clean).filter(|v| !v.is_empty()));
        } else if !value.is_empty() {
            values.push(clean(value));
        } else {
            while let Some(next) = lines.peek() {
                match next.trim().strip_prefix("- ") {
                    Some(v) if next.len() - next.trim_start().len() > item_indent.unwrap_or(0) => {
                        values.push(clean(v));
                        lines.next();
                    }
                    _ => break,
                }
            }
        }
        match key {
            "engine" => cur.0 = values.into_iter().next(),
            "schema" => cur.1.extend(values),
            _ => cur.2.extend(values),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_and_v1_configs() {
        let yaml = "version: \"2\"\nsql:\n  - engine: \"postgresql\"\n    queries:\n      - a.sql\n      - b.sql\n    schema: \"../migrations\"\n    gen:\n      go:\n        package: db\n  - engine: sqlite\n    queries: lite.sql\n    schema: lite\n  - schema: [\"s1\", s2]\n    queries: q/\n    engine: postgresql\n";
        let e = parse(Path::new("svc/db/sqlc.yaml"), yaml);
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].queries, vec![PathBuf::from("svc/db/a.sql"), PathBuf::from("svc/db/b.sql")]);
        assert_eq!(e[0].schema, vec![PathBuf::from("svc/migrations")]);
        assert_eq!(e[1].schema, vec![PathBuf::from("svc/db/s1"), PathBuf::from("svc/db/s2")]);
        let v1 = "version: \"1\"\npackages:\n  - name: db\n    path: internal/db\n    queries: ./queries/\n    schema: ./migrations/\n    engine: postgresql\n";
        let e = parse(Path::new("sqlc.yaml"), v1);
        assert_eq!(e[0].queries, vec![PathBuf::from("queries")]);
        let json = r#"{"version": "2", "sql": [{"engine": "postgresql", "schema": "schema.sql", "queries": ["q.sql"]}]}"#;
        assert_eq!(parse(Path::new("x/sqlc.json"), json)[0].queries, vec![PathBuf::from("x/q.sql")]);
    }
}
