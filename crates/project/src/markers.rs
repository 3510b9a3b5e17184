//! Markers that name a migrations folder indirectly (Prisma's `prisma.config.*` and package.json
//! `"prisma"` key), and migrations written in a host language, which pgvet lists but cannot
//! replay.
use std::path::{Path, PathBuf};

/// The Prisma migrations folder that `dir`'s `prisma.config.{ts,mts,cts,js,mjs,cjs}` or
/// package.json `"prisma": {"schema": ...}` points at, when it exists.
pub(crate) fn prisma_configured_migrations(dir: &Path) -> Option<PathBuf> {
    for ext in ["ts", "mts", "cts", "js", "mjs", "cjs"] {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("prisma.config.{ext}"))) else { continue };
        // `migrations: { path: "db/migrations" }` (Prisma 6), else next to the schema.
        if let Some(p) = property_after(&text, "migrations", "path").map(|p| dir.join(p)) {
            if p.is_dir() {
                return Some(p);
            }
        }
        if let Some(schema) = property(&text, "schema") {
            return beside_schema(&dir.join(schema));
        }
        return beside_schema(&dir.join("prisma/schema.prisma"));
    }
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let schema = v.get("prisma")?.get("schema")?.as_str()?;
    beside_schema(&dir.join(schema))
}

/// The Prisma schema (a file, or the folder of a multi-file schema) that `dir`'s
/// `prisma.config.*` (`schema: "prisma/schema"`) or package.json (`"prisma": {"schema": ...}`)
/// names, when it exists.
pub(crate) fn prisma_configured_schema(dir: &Path) -> Option<PathBuf> {
    for ext in ["ts", "mts", "cts", "js", "mjs", "cjs"] {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("prisma.config.{ext}"))) else { continue };
        return property(&text, "schema").map(|p| dir.join(p)).filter(|p| p.exists());
    }
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let schema = v.get("prisma")?.get("schema")?.as_str()?;
    Some(dir.join(schema.trim_start_matches("./"))).filter(|p| p.exists())
}

/// Prisma keeps `migrations/` beside the schema file (or beside a multi-file schema folder,
/// or inside it).
fn beside_schema(schema: &Path) -> Option<PathBuf> {
    let mut cands = Vec::new();
    if schema.is_dir() {
        cands.push(schema.join("migrations"));
    }
    if let Some(parent) = schema.parent() {
        cands.push(parent.join("migrations"));
    }
    cands.into_iter().find(|c| c.is_dir())
}

/// The value of `key: <path>` in a JS/TS object literal, where a path is a string literal or a
/// `path.join(...)` / `path.resolve(...)` / `join(...)` of string literals (`__dirname` and
/// `import.meta.dirname` mean the config's own folder).
fn property(text: &str, key: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = text[from..].find(key) {
        let at = from + i;
        from = at + key.len();
        let before_ok = at == 0 || !text.as_bytes()[at - 1].is_ascii_alphanumeric() && text.as_bytes()[at - 1] != b'_';
        let rest = text[from..].trim_start();
        if !before_ok || !rest.starts_with(':') {
            continue;
        }
        if let Some(v) = path_expr(rest[1..].trim_start()) {
            return Some(v);
        }
    }
    None
}

/// `inner`'s value inside the object given to `outer:`.
fn property_after(text: &str, outer: &str, inner: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = text[from..].find(outer) {
        let at = from + i + outer.len();
        from = at;
        let rest = text[at..].trim_start();
        if let Some(obj) = rest.strip_prefix(':').map(str::trim_start).and_then(|r| r.strip_prefix('{')) {
            let end = obj.find('}').unwrap_or(obj.len());
            if let Some(v) = property(&obj[..end], inner) {
                return Some(v);
            }
        }
    }
    None
}

fn path_expr(s: &str) -> Option<String> {
    if let Some(lit) = string_literal(s) {
        return Some(lit.0);
    }
    let open = s.find('(')?;
    let callee = s[..open].trim();
    if !matches!(callee, "path.join" | "path.resolve" | "join" | "resolve") {
        return None;
    }
    let mut parts = Vec::new();
    let mut rest = &s[open + 1..];
    loop {
        rest = rest.trim_start();
        if let Some((lit, after)) = string_literal(rest) {
            parts.push(lit);
            rest = after;
        } else if let Some(after) = ["__dirname", "import.meta.dirname", "process.cwd()"].iter().find_map(|d| rest.strip_prefix(d)) {
            rest = after;
        } else {
            return None;
        }
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
        } else if rest.starts_with(')') {
            break;
        } else {
            return None;
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn string_literal(s: &str) -> Option<(String, &str)> {
    let q = s.chars().next().filter(|c| matches!(c, '"' | '\'' | '`'))?;
    let end = s[1..].find(q)? + 1;
    let lit = &s[1..end];
    (!lit.contains("${")).then(|| (lit.trim_start_matches("./").to_string(), &s[end + 1..]))
}

/// A folder of migrations written in a host language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostMigrations {
    pub path: PathBuf,
    /// The tool that runs them (`knex`, `TypeORM`, `Rails`, ...), or the language.
    pub kind: &'static str,
    pub files: usize,
}

/// Whether `dir` holds migrations written in a host language: at least two versioned
/// script files of one language and no `.sql` file.
pub(crate) fn host_migrations(dir: &Path) -> Option<HostMigrations> {
    let name = dir.file_name()?.to_string_lossy().to_ascii_lowercase();
    let alembic = name == "versions" && dir.parent().is_some_and(|p| p.join("env.py").is_file());
    if !alembic && !matches!(name.as_str(), "migrations" | "migration" | "migrate" | "alterations") {
        return None;
    }
    let mut scripts: Vec<PathBuf> = Vec::new();
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        let ext = p.extension().map(|x| x.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if ext == "sql" {
            return None;
        }
        let stem = p.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        // `20240101_x`, `1.0.0-1677208902-x`, `next-1785393731-x`: a version or a timestamp.
        let digits = stem.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
        let versioned = stem.chars().next().is_some_and(|c| c.is_ascii_digit()) || digits >= 3 || alembic;
        if versioned && p.is_file() && matches!(ext.as_str(), "ts" | "js" | "mjs" | "cjs" | "mts" | "rb" | "py") {
            scripts.push(p);
        }
    }
    if scripts.len() < 2 {
        return None;
    }
    scripts.sort();
    let sample = std::fs::read_to_string(&scripts[scripts.len() - 1]).unwrap_or_default();
    let ext = scripts[0].extension().map(|x| x.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let kind = if sample.contains("MigrationInterface") {
        "TypeORM"
    } else if sample.contains("knex") || sample.contains("Knex") {
        "knex"
    } else if sample.contains("pgm.") || sample.contains("MigrationBuilder") {
        "node-pg-migrate"
    } else if sample.contains("queryInterface") {
        "Sequelize"
    } else if sample.contains("AlterationScript") {
        "TypeScript"
    } else if sample.contains("ActiveRecord::Migration") {
        "Rails"
    } else if alembic || sample.contains("alembic") {
        "Alembic"
    } else if ext == "rb" {
        "Ruby"
    } else if ext == "py" {
        "Python"
    } else if matches!(ext.as_str(), "ts" | "mts") {
        "TypeScript"
    } else {
        "JavaScript"
    };
    Some(HostMigrations { path: dir.to_path_buf(), kind, files: scripts.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_paths_from_config_expressions() {
        let ts = r#"import path from "node:path";
export default defineConfig({
  schema: path.join("db", "schema.prisma"),
  migrations: { path: path.join(__dirname, "db", "migration"), seed: "tsx seed.ts" },
});"#;
        assert_eq!(property_after(ts, "migrations", "path").as_deref(), Some("db/migration"));
        assert_eq!(property(ts, "schema").as_deref(), Some("db/schema.prisma"));
        assert_eq!(property("{ schema: './prisma/schema' }", "schema").as_deref(), Some("prisma/schema"));
        // Not a path pgvet can compute: silence.
        assert_eq!(property("{ schema: process.env.SCHEMA }", "schema"), None);
        assert_eq!(property("{ schema: `${dir}/x.prisma` }", "schema"), None);
        // A key that only ends with the name is another key.
        assert_eq!(property("{ myschema: 'a.prisma' }", "schema"), None);
    }
}
