//! # uncommitted-transaction
//!
//! ## What it finds
//! `BEGIN` (or `START TRANSACTION`) in a migration the runner does not wrap in a transaction,
//! with no `COMMIT`, `END` or `ROLLBACK` after it in the file. (squawk:
//! ban-uncommitted-transaction.)
//!
//! ## Why it matters
//! Everything after the `BEGIN` runs in a transaction that the file never ends. Whether its
//! changes persist is up to what the runner does with an open transaction at the end of the
//! file; psql and most drivers roll it back when the session closes, after the runner has
//! recorded the migration as applied. In a runner that wraps the file in its own transaction the
//! extra `BEGIN` only warns, and pgvet does not report it.
//!
//! ## Example
//! ```sql
//! -- +goose NO TRANSACTION
//! BEGIN;
//! ALTER TABLE orders ADD COLUMN note text;
//! ```
//!
//! ## Fix
//! End the transaction in the same file: add `COMMIT;` after the last statement that belongs to it.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::{Site, SiteKind};

pub const META: RuleMeta = RuleMeta {
    id: "uncommitted-transaction",
    summary: "BEGIN with no COMMIT after it, in a migration the runner does not wrap in a transaction",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    use pgvet_syntax::protobuf::TransactionStmtKind as K;
    let pgvet_syntax::NodeEnum::TransactionStmt(t) = site.node else { return };
    if !matches!(site.kind, SiteKind::Migration) || cx.runner_transaction {
        return;
    }
    if !matches!(K::try_from(t.kind).unwrap_or(K::Undefined), K::TransStmtBegin | K::TransStmtStart) {
        return;
    }
    let rest = site.file_text.get(site.span.end..).unwrap_or("");
    let ended = pgvet_syntax::parse_sql(rest).statements.iter().any(|s| {
        matches!(&s.node, pgvet_syntax::NodeEnum::TransactionStmt(t)
            if matches!(K::try_from(t.kind).unwrap_or(K::Undefined), K::TransStmtCommit | K::TransStmtRollback | K::TransStmtPrepare))
    });
    if ended {
        return;
    }
    out.push(
        Diagnostic::new(
            META.id,
            META.default_severity,
            "this transaction is never committed in the file: whether what follows persists depends on what the runner does with an open transaction (psql and most drivers roll it back when the session ends)".to_string(),
            site.label_at(-1).with_message("BEGIN without COMMIT"),
        )
        .with_help("Add `COMMIT;` after the last statement of the transaction."),
    );
}

#[cfg(test)]
mod tests {
    const RULE: &str = "uncommitted-transaction";

    fn lines(sql: &str, transactional: bool) -> Vec<usize> {
        let files =
            vec![crate::MigrationFile { source: pgvet_syntax::SourceFile::new("m.sql", sql), transactional, host: None, reruns: true }];
        let a = crate::analyze(files, pgvet_catalog::Catalog::new(), &crate::Settings::default());
        a.diagnostics.iter().filter(|d| d.rule == RULE).map(|d| a.files[0].line_col(d.primary.span.start).line).collect()
    }

    #[test]
    fn fires_and_stays_silent() {
        assert_eq!(lines("CREATE TABLE t (a int);\nBEGIN;\nALTER TABLE t ADD COLUMN b int;", false), vec![2]);
        assert!(lines("BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;", false).is_empty());
        assert!(lines("START TRANSACTION;\nCREATE TABLE t (a int);\nROLLBACK;", false).is_empty());
        // the runner's own transaction commits it
        assert!(lines("BEGIN;\nCREATE TABLE t (a int);", true).is_empty());
    }
}
