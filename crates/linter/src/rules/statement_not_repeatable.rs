//! # statement-not-repeatable
//!
//! ## What it finds
//! In a migration that the runner applies outside a transaction and runs again after a failure
//! (goose `NO TRANSACTION`, sqlx `-- no-transaction`, a Prisma migration with `CONCURRENTLY`):
//! a `CREATE` without `IF NOT EXISTS` (or `OR REPLACE`), a `DROP` without `IF EXISTS`, an
//! `ADD COLUMN` / `DROP COLUMN` without them, followed by more statements. (squawk:
//! prefer-robust-stmts, which reports it in every migration.)
//!
//! ## Why it matters
//! Outside a transaction each statement commits on its own. When a later statement fails, the
//! earlier ones stay applied but the runner does not record the migration; the fix is to run it
//! again, and the first statement now fails (`42P07 relation already exists`), so the migration
//! cannot be finished without editing the database by hand. In a migration that runs in a
//! transaction a failure undoes everything, and pgvet does not report it; nor a statement whose
//! only followers are in the same goose `StatementBegin` / `StatementEnd` block (sent as one
//! query string, which the server runs as one implicit transaction).
//!
//! ## Example
//! ```sql
//! -- +goose NO TRANSACTION
//! CREATE TABLE audit_log (id bigint PRIMARY KEY);
//! CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_idx ON orders (created_at);
//! ```
//!
//! ## Fix
//! ```sql
//! CREATE TABLE IF NOT EXISTS audit_log (id bigint PRIMARY KEY);
//! ```
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::{Site, SiteKind};
use pgvet_syntax::protobuf::node::Node as N;
use pgvet_syntax::NodeEnum;

pub const META: RuleMeta = RuleMeta {
    id: "statement-not-repeatable",
    summary: "a CREATE/DROP without IF [NOT] EXISTS in a migration that runs outside a transaction and is rerun after a failure",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    if !matches!(site.kind, SiteKind::Migration) || cx.in_transaction || !cx.runner_reruns {
        return;
    }
    let Some((what, fix)) = unrepeatable(site.node) else { return };
    if !statement_follows(site.file_text.get(unit_end(site.file_text, site.span.end)..).unwrap_or("")) {
        return;
    }
    let text = site.file_text.get(site.span.start..site.span.end).unwrap_or("").trim();
    let migration = match fix {
        Fix::InsertAfter(word, clause) => insert_after_word(text, word, clause),
        Fix::OrReplace => insert_after_word(text, "create", "OR REPLACE"),
        Fix::Describe => None,
    };
    out.push(
        Diagnostic::new(
            META.id,
            META.default_severity,
            format!("{what}: if a later statement of this migration fails, this one stays applied and the rerun fails here"),
            site.label_at(-1).with_message("not repeatable"),
        )
        .with_help(
            "The runner applies this file outside a transaction and runs it again after a failure: make each statement safe to run twice.",
        )
        .with_fix(crate::Fix {
            description: "the repeatable form".into(),
            migration: migration.map(|m| format!("{}{}", m.trim_end_matches(';'), ";")),
            applicability: crate::Applicability::Safe,
        }),
    );
}

enum Fix {
    /// Insert the clause after the first word equal to this one.
    InsertAfter(&'static str, &'static str),
    OrReplace,
    Describe,
}

/// What is not repeatable about a statement, and how to make it so.
fn unrepeatable(node: &NodeEnum) -> Option<(&'static str, Fix)> {
    use pgvet_syntax::protobuf::{AlterTableType as AT, ObjectType as O};
    Some(match node {
        NodeEnum::CreateStmt(c) if !c.if_not_exists => ("CREATE TABLE without IF NOT EXISTS", Fix::InsertAfter("table", "IF NOT EXISTS")),
        NodeEnum::IndexStmt(i) if !i.if_not_exists && !i.concurrent => {
            ("CREATE INDEX without IF NOT EXISTS", Fix::InsertAfter("index", "IF NOT EXISTS"))
        }
        NodeEnum::CreateSeqStmt(c) if !c.if_not_exists => {
            ("CREATE SEQUENCE without IF NOT EXISTS", Fix::InsertAfter("sequence", "IF NOT EXISTS"))
        }
        NodeEnum::CreateSchemaStmt(c) if !c.if_not_exists => {
            ("CREATE SCHEMA without IF NOT EXISTS", Fix::InsertAfter("schema", "IF NOT EXISTS"))
        }
        NodeEnum::CreateExtensionStmt(c) if !c.if_not_exists => {
            ("CREATE EXTENSION without IF NOT EXISTS", Fix::InsertAfter("extension", "IF NOT EXISTS"))
        }
        NodeEnum::CreateFunctionStmt(f) if !f.replace => ("CREATE FUNCTION without OR REPLACE", Fix::OrReplace),
        NodeEnum::ViewStmt(v) if !v.replace => ("CREATE VIEW without OR REPLACE", Fix::OrReplace),
        NodeEnum::CreateEnumStmt(_) => ("CREATE TYPE (which has no IF NOT EXISTS)", Fix::Describe),
        NodeEnum::DropStmt(d) if !d.missing_ok => {
            let word = match O::try_from(d.remove_type).unwrap_or(O::Undefined) {
                O::ObjectTable => "table",
                O::ObjectIndex => "index",
                O::ObjectView | O::ObjectMatview => "view",
                O::ObjectSequence => "sequence",
                O::ObjectType => "type",
                O::ObjectFunction => "function",
                O::ObjectSchema => "schema",
                O::ObjectTrigger => "trigger",
                O::ObjectPolicy => "policy",
                _ => return None,
            };
            ("DROP without IF EXISTS", Fix::InsertAfter(word, "IF EXISTS"))
        }
        NodeEnum::AlterTableStmt(a) => {
            let cmds = a.cmds.iter().filter_map(|c| match c.node.as_ref() {
                Some(N::AlterTableCmd(c)) => Some(c),
                _ => None,
            });
            let mut found = None;
            for c in cmds {
                match AT::try_from(c.subtype).unwrap_or(AT::Undefined) {
                    AT::AtAddColumn if !c.missing_ok => found = Some(("ADD COLUMN without IF NOT EXISTS", "add")),
                    AT::AtDropColumn if !c.missing_ok => found = Some(("DROP COLUMN without IF EXISTS", "drop")),
                    _ => {}
                }
            }
            let (what, _) = found?;
            (what, if a.cmds.len() == 1 { single_column_fix(what) } else { Fix::Describe })
        }
        _ => return None,
    })
}

fn single_column_fix(what: &str) -> Fix {
    if what.starts_with("ADD") {
        Fix::InsertAfter("column", "IF NOT EXISTS")
    } else {
        Fix::InsertAfter("column", "IF EXISTS")
    }
}

/// `text` with `clause` inserted after the first whole word equal to `word` (any case); None
/// when the word is not there (`ADD c int` without COLUMN).
fn insert_after_word(text: &str, word: &str, clause: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(word) {
        let start = from + i;
        let end = start + word.len();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        if boundary(lower[..start].chars().next_back()) && boundary(lower[end..].chars().next()) {
            return Some(format!("{} {clause}{}", &text[..end], &text[end..]));
        }
        from = end;
    }
    None
}

/// Where the unit the runner sends as one query ends: goose sends the statements between
/// `-- +goose StatementBegin` and `-- +goose StatementEnd` as one query string, which the server
/// runs as one implicit transaction; other statements are their own unit.
fn unit_end(text: &str, at: usize) -> usize {
    const BEGIN: &str = "+goose StatementBegin";
    const END: &str = "+goose StatementEnd";
    let before = text.get(..at).unwrap_or("");
    match (before.rfind(BEGIN), before.rfind(END)) {
        (Some(b), e) if e.is_none_or(|e| e < b) => match text[at..].find(END) {
            Some(i) => text[at + i..].find('\n').map_or(text.len(), |n| at + i + n),
            None => text.len(),
        },
        _ => at,
    }
}

/// Whether another statement follows (anything but whitespace, semicolons and comments). Stops
/// at the first such character, so it costs the comments between two statements.
fn statement_follows(rest: &str) -> bool {
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b';' => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => i = rest[i..].find('\n').map_or(b.len(), |n| i + n),
            b'/' if b.get(i + 1) == Some(&b'*') => i = rest[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2),
            _ => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    const RULE: &str = "statement-not-repeatable";

    fn run(sql: &str, transactional: bool, reruns: bool) -> Vec<crate::Diagnostic> {
        let files = vec![crate::MigrationFile { source: pgvet_syntax::SourceFile::new("m.sql", sql), transactional, host: None, reruns }];
        crate::analyze(files, pgvet_catalog::Catalog::new(), &crate::Settings::default())
            .diagnostics
            .into_iter()
            .filter(|d| d.rule == RULE)
            .collect()
    }

    #[test]
    fn fires_and_stays_silent() {
        let sql =
            "CREATE TABLE a (id int);\ncreate unique index a_id on a (id);\nALTER TABLE a ADD COLUMN b int;\nCREATE TABLE c (id int);";
        let d = run(sql, false, true);
        assert_eq!(d.len(), 3, "{d:#?}");
        let fixes: Vec<String> = d.iter().filter_map(|d| d.fix.as_ref().and_then(|f| f.migration.clone())).collect();
        assert_eq!(
            fixes,
            vec![
                "CREATE TABLE IF NOT EXISTS a (id int);",
                "create unique index IF NOT EXISTS a_id on a (id);",
                "ALTER TABLE a ADD COLUMN IF NOT EXISTS b int;"
            ]
        );
        // the last statement; a transaction (the runner's or the file's); a dump or psql directory
        assert!(run("CREATE TABLE a (id int);\n-- done\n", false, true).is_empty());
        assert!(run(sql, true, true).is_empty());
        assert!(run(&format!("BEGIN;\n{sql}\nCOMMIT;"), false, true).is_empty());
        assert!(run(sql, false, false).is_empty());
        // after a COMMIT in a file the runner wraps (Prisma's enum migrations)
        assert!(run(&format!("BEGIN;\nCREATE TYPE e AS ENUM ('a');\nCOMMIT;\n{sql}"), true, true).is_empty());
        assert!(run(
            "CREATE TABLE IF NOT EXISTS a (id int);\nDROP TABLE IF EXISTS b;\nCREATE OR REPLACE VIEW v AS SELECT 1;\nSELECT 1;",
            false,
            true
        )
        .is_empty());
    }

    #[test]
    fn a_goose_statement_block_is_one_unit() {
        let block = "-- +goose NO TRANSACTION\n-- +goose StatementBegin\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n-- +goose StatementEnd\n";
        assert!(run(block, false, true).is_empty(), "one query: the server runs it as one implicit transaction");
        let two = format!("{block}-- +goose StatementBegin\nCREATE TABLE c (id int);\n-- +goose StatementEnd\n");
        assert_eq!(run(&two, false, true).len(), 2, "the first block stays applied when the second fails");
    }

    #[test]
    fn statement_follows() {
        assert!(!super::statement_follows("  ;\n-- c\n/* x */\n"));
        assert!(super::statement_follows("\n/* x */ SELECT 1"));
    }
}
