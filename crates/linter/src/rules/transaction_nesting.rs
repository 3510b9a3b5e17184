//! # transaction-nesting
//!
//! ## What it finds
//! `COMMIT` (or `ROLLBACK`) in the middle of a migration whose runner runs the file as one
//! transaction (explicitly, as sqlx, goose and Flyway do, or as one multi-statement query, as
//! Prisma and golang-migrate do), with statements after it. (squawk: transaction-nesting.)
//!
//! ## Why it matters
//! `COMMIT` ends the transaction early: what comes after it runs in a new one, so a failure later
//! in the file leaves the migration half applied (and the runner may record it as failed, or as
//! applied), with the first part impossible to run again. `ROLLBACK` silently undoes everything
//! before it. A `BEGIN ... COMMIT` around the whole file, as Prisma writes for enum changes, is
//! harmless and not reported.
//!
//! ## Why it is `info` by default
//! Only a failure after the COMMIT exposes it.
//!
//! ## Example
//! ```sql
//! BEGIN;
//! ALTER TABLE t DROP CONSTRAINT t_pkey;
//! ALTER TABLE t ADD PRIMARY KEY (workspace_id, id);
//! COMMIT;
//! ```
//!
//! ## Fix
//! Leave transaction control to the runner: remove the statements (the file is already atomic).
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::{Site, SiteKind};

pub const META: RuleMeta = RuleMeta {
    id: "transaction-nesting",
    summary: "BEGIN/COMMIT/ROLLBACK in a migration the runner already runs in a transaction",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    use pgvet_syntax::protobuf::TransactionStmtKind as K;
    let pgvet_syntax::NodeEnum::TransactionStmt(t) = site.node else { return };
    if !matches!(site.kind, SiteKind::Migration) || !cx.runner_transaction {
        return;
    }
    // Only with statements after it (comments and whitespace do not count).
    let rest = site.file_text.get(site.span.end..).unwrap_or("");
    if pgvet_syntax::parse_sql(rest).statements.is_empty() {
        return;
    }
    let what = match K::try_from(t.kind).unwrap_or(K::Undefined) {
        K::TransStmtCommit => "COMMIT in the middle of the migration ends its transaction early: what follows runs in a new one, so a failure after this point leaves the migration half applied",
        K::TransStmtRollback => "ROLLBACK in the middle of the migration undoes everything before it, while the rest runs and the runner records the migration",
        _ => return,
    };
    out.push(
        Diagnostic::new(
            META.id,
            META.default_severity,
            what.to_string(),
            site.label_at(-1).with_message("the runner already runs this file in a transaction"),
        )
        .with_help("Remove the transaction control statements: the runner wraps the whole file in one transaction."),
    );
}

#[cfg(test)]
mod tests {
    const RULE: &str = "transaction-nesting";

    #[test]
    fn transactional_runners_only() {
        let run = |transactional: bool| {
            let sql = "CREATE TABLE t (id int);\nBEGIN;\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\nALTER TABLE t ADD COLUMN b int;\nBEGIN;\nALTER TABLE t ADD COLUMN c int;\nCOMMIT;\n-- done\n";
            let files =
                vec![crate::MigrationFile { source: pgvet_syntax::SourceFile::new("m.sql", sql), transactional, host: None, reruns: true }];
            crate::analyze(files, pgvet_catalog::Catalog::new(), &crate::Settings::default())
                .diagnostics
                .iter()
                .filter(|d| d.rule == RULE)
                .count()
        };
        // the first COMMIT has statements after it; the last one ends the file
        assert_eq!(run(true), 1);
        assert_eq!(run(false), 0, "psql -f / structure files: the statements are how it gets a transaction");
    }
}
