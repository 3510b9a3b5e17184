//! The runners discovery knows beyond the common file layouts: diesel, npm postgres-migrations,
//! SQL embedded in Go binaries, and how the Supabase CLI splits a file around the statements it
//! cannot send in a transaction.
use std::path::{Path, PathBuf};

use crate::config::Version;
use crate::discover::{blank_text, display, read, sql_files, Migration, Note, Part, ProjectError};

/// A diesel migrations folder: its subfolders hold `up.sql`.
pub(crate) fn is_diesel_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
        let p = e.path();
        p.is_dir() && !e.file_name().to_string_lossy().starts_with('.') && p.join("up.sql").is_file() && !p.join("migration.sql").exists()
    })
}

/// The migrations folder `diesel.toml` names (`[migrations_directory] dir`), else `migrations`,
/// when it is a diesel folder.
pub(crate) fn diesel_location(root: &Path) -> Option<PathBuf> {
    let configured = std::fs::read_to_string(root.join("diesel.toml"))
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| t.get("migrations_directory")?.get("dir")?.as_str().map(|d| root.join(d)));
    configured.into_iter().chain([root.join("migrations")]).find(|d| is_diesel_dir(d))
}

/// diesel's order: the version (the name up to the first `_`, without dashes), as strings.
fn diesel_version(name: &str) -> String {
    name.split('_').next().unwrap_or("").replace('-', "")
}

/// The `YYYYMMDDHHMMSS` a diesel migration's name starts with (`2026-07-30-140000-0000_x`,
/// `20260730140000_x`).
pub(crate) fn diesel_timestamp(name: &str) -> Option<u64> {
    let v = diesel_version(name);
    v.get(..14).filter(|t| t.bytes().all(|b| b.is_ascii_digit())).and_then(|t| t.parse().ok())
}

pub(crate) fn diesel(loc: &Path, notes: &mut Vec<Note>) -> Result<Vec<Migration>, ProjectError> {
    let rd = std::fs::read_dir(loc).map_err(|error| ProjectError::Io { path: loc.to_path_buf(), error })?;
    let mut dirs: Vec<(String, String, PathBuf)> = rd
        .flatten()
        .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (diesel_version(&name), name, e.path())
        })
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for (_, _, d) in dirs {
        let up = d.join("up.sql");
        if !up.is_file() {
            notes.push(Note {
                path: display(&d),
                text: String::new(),
                message: "a folder without up.sql in a diesel migrations folder: diesel refuses to run (UnknownMigrationFormat), so pgvet skipped it".into(),
            });
            continue;
        }
        let text = read(&up)?;
        let in_transaction = std::fs::read_to_string(d.join("metadata.toml"))
            .ok()
            .and_then(|t| t.parse::<toml::Table>().ok())
            .and_then(|t| t.get("run_in_transaction").and_then(toml::Value::as_bool))
            .unwrap_or(true);
        // Without its transaction, diesel still sends the file as one query string: several
        // statements run as one implicit transaction; a single statement runs on its own.
        let tx = in_transaction || pgvet_syntax::parse_sql(&text).statements.len() > 1;
        out.push(Migration { path: display(&up), text, transactional: tx, host: None, standalone: Vec::new(), part: Part::Whole });
    }
    Ok(out)
}

/// Whether a folder's numbered SQL files are run by npm `postgres-migrations`: a file uses its
/// directives, or the package depends on it.
pub(crate) fn is_postgres_migrations(root: &Path, dir: &Path) -> bool {
    let files = sql_files(dir).unwrap_or_default();
    if files.iter().any(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains("-- postgres-migrations "))) {
        return true;
    }
    let (pkg, _) = crate::workspace::package_of(root, dir);
    std::fs::read_to_string(pkg.join("package.json")).is_ok_and(|t| t.contains("\"postgres-migrations\""))
}

pub(crate) fn postgres_migrations(loc: &Path) -> Result<Vec<Migration>, ProjectError> {
    let mut files: Vec<(Option<u128>, PathBuf)> =
        sql_files(loc)?.into_iter().map(|f| (crate::discover::version(&crate::discover::file_name(&f)), f)).collect();
    files.sort();
    let mut out = Vec::new();
    for (_, f) in files {
        let text = read(&f)?;
        let tx = !text.contains("-- postgres-migrations disable-transaction");
        // Supabase Storage's runner sends `SELECT 1` instead of a file marked ignore.
        let part = if text.contains("-- postgres-migrations ignore") { Part::Nothing } else { Part::Whole };
        let text = if part == Part::Nothing { blank_text(&text) } else { text };
        out.push(Migration { path: display(&f), text, transactional: tx, host: None, standalone: Vec::new(), part });
    }
    Ok(out)
}

/// Whether a Go file keeps a list of migration steps (see [`crate::Layout::GoSteps`]).
pub(crate) fn is_go_steps(path: &Path) -> bool {
    let name = crate::discover::file_name(path);
    name.ends_with(".go")
        && !name.ends_with("_test.go")
        && name.to_ascii_lowercase().contains("migrat")
        && std::fs::read_to_string(path).is_ok_and(|t| crate::gosrc::migration_steps(&name, &t).is_some_and(|s| s.len() >= 2))
}

pub(crate) fn go_steps(loc: &Path) -> Result<Vec<Migration>, ProjectError> {
    let text = read(loc)?;
    let steps = crate::gosrc::migration_steps(&crate::discover::file_name(loc), &text).unwrap_or_default();
    Ok(steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| Migration {
            path: display(loc),
            text: crate::gosrc::step_sql(&text, s),
            transactional: true,
            host: None,
            standalone: Vec::new(),
            part: Part::GoStep(i),
        })
        .collect())
}

/// The folders of versioned `.sql` files that production Go files embed (`//go:embed`).
pub(crate) fn go_embedded(go_files: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for f in go_files {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        if !text.contains("//go:embed") {
            continue;
        }
        for d in crate::gosrc::embedded_sql_dirs(f, &text) {
            let names: Vec<String> = sql_files(&d).unwrap_or_default().iter().map(|p| crate::discover::file_name(p)).collect();
            if !names.is_empty() && names.iter().all(|n| crate::discover::version(n).is_some()) {
                out.push(d);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The Supabase CLI version pgvet assumes when none is configured.
pub const SUPABASE_CLI_CURRENT: Version = Version(2, 120, 0);
/// Since this release the CLI sends CREATE INDEX CONCURRENTLY and the like on their own
/// (supabase/cli#5671).
const SUPABASE_STANDALONE_SINCE: Version = Version(2, 109, 0);
/// DROP INDEX CONCURRENTLY joined them later (supabase/cli#6276, merged after 2.111.0; in
/// 2.117.0).
const SUPABASE_DROP_INDEX_SINCE: Version = Version(2, 117, 0);

/// The statements of a Supabase migration that the CLI of `version` runs outside the file's
/// transaction: its `isPipelineIncompatible` patterns, matched on each statement's text as the
/// CLI does (upper-cased, leading comments skipped).
pub(crate) fn supabase_standalone(text: &str, version: Version) -> Vec<pgvet_syntax::Span> {
    if version < SUPABASE_STANDALONE_SINCE {
        return Vec::new();
    }
    let upper = text.to_ascii_uppercase();
    if !["CONCURRENTLY", "VACUUM", "SYSTEM", "CLUSTER"].iter().any(|k| upper.contains(k)) {
        return Vec::new();
    }
    let drop_index = version >= SUPABASE_DROP_INDEX_SINCE;
    pgvet_syntax::parse_sql(text)
        .statements
        .iter()
        .map(|s| s.span)
        .filter(|s| pipeline_incompatible(&upper[s.range()], drop_index))
        .collect()
}

fn pipeline_incompatible(stmt: &str, drop_index: bool) -> bool {
    let words: Vec<&str> = stmt.split_whitespace().take(4).collect();
    let after = |w: &str| stmt[w.len()..].chars().next();
    match words.as_slice() {
        ["CREATE", "INDEX", "CONCURRENTLY", ..] | ["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY", ..] => true,
        ["DROP", "INDEX", "CONCURRENTLY", ..] => drop_index,
        ["ALTER", "SYSTEM", ..] | ["CLUSTER", ..] => true,
        _ if stmt.starts_with("VACUUM") => after("VACUUM").is_none_or(|c| c.is_whitespace() || c == '('),
        _ if stmt.starts_with("REINDEX") => {
            after("REINDEX").is_some_and(|c| c.is_whitespace() || c == '(') && stmt.split_whitespace().skip(1).any(|w| w == "CONCURRENTLY")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supabase_cli_statements_outside_the_transaction() {
        let text = "CREATE TABLE a (id int);\n-- build it without blocking writes\nCREATE UNIQUE INDEX CONCURRENTLY a_id ON a (id);\nDROP INDEX CONCURRENTLY old_idx;\nREINDEX INDEX CONCURRENTLY a_id;\nREINDEX (CONCURRENTLY) INDEX a_id;\nVACUUM (ANALYZE) a;\nCREATE INDEX a_b ON a (id);\n";
        let names = |v: Version| -> Vec<String> {
            supabase_standalone(text, v).iter().map(|s| text[s.range()].split_whitespace().take(3).collect::<Vec<_>>().join(" ")).collect()
        };
        assert_eq!(
            names(SUPABASE_CLI_CURRENT),
            vec!["CREATE UNIQUE INDEX", "DROP INDEX CONCURRENTLY", "REINDEX INDEX CONCURRENTLY", "VACUUM (ANALYZE) a"]
        );
        assert_eq!(names(Version(2, 109, 0)), vec!["CREATE UNIQUE INDEX", "REINDEX INDEX CONCURRENTLY", "VACUUM (ANALYZE) a"]);
        assert!(names(Version(2, 108, 2)).is_empty());
    }
}
