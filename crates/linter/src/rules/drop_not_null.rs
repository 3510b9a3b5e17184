//! # drop-not-null
//!
//! ## What it finds
//! `ALTER TABLE ... ALTER COLUMN ... DROP NOT NULL` on a table that existed before the migration.
//! (squawk: ban-drop-not-null.)
//!
//! ## Why it matters
//! The version of the application still running while the migration deploys, and every reader
//! written against the old schema (reports, other services, a data pipeline), assumes the column
//! always has a value. The first NULL written by new code reaches them as a crash, a `null`
//! rendered to a user, or a row silently dropped by an inner join.
//!
//! ## Why it is `info` by default
//! Relaxing a column is often the point of the change; the finding is a reminder to ship the
//! readers that cope with NULL first.
//!
//! ## Example
//! ```sql
//! ALTER TABLE invoices ALTER COLUMN customer_id DROP NOT NULL;
//! ```
//!
//! ## Fix
//! Deploy code that handles a NULL `customer_id` everywhere it reads it, then drop the
//! constraint; write NULLs only after that.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::changes;
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "drop-not-null",
    summary: "DROP NOT NULL on an existing column: readers of the running version assume it is never NULL",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    // Only a column that is NOT NULL now: on a nullable one the statement changes nothing.
    let was_not_null = |ch: &&crate::sql::ddl_locks::Change| ch.table.columns.iter().any(|c| c.name == ch.name && c.not_null);
    for ch in changes(site).iter().filter(|c| c.form == "drop_not_null").filter(was_not_null) {
        let table = crate::sql::display_name(&ch.table.name);
        let column = pgvet_syntax::quote_ident(&ch.name);
        out.push(
            Diagnostic::new(
                META.id,
                META.default_severity,
                format!("{table}.{column} may now be NULL: code and readers written against the old schema assume it never is"),
                site.label_at(-1).with_message("DROP NOT NULL"),
            )
            .with_help("Ship the readers that handle NULL first, then drop the constraint, then start writing NULLs."),
        );
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "drop-not-null";

    #[test]
    fn fires_and_stays_silent() {
        let base = "CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL);";
        let run = |b: &str| crate::test_util::second_migration(base, b, RULE);
        let d = run("ALTER TABLE t ALTER COLUMN a DROP NOT NULL;");
        assert!(d.len() == 1 && d[0].message.contains("t.a may now be NULL"), "{d:#?}");
        assert!(run("ALTER TABLE t ALTER COLUMN a SET NOT NULL;").is_empty());
        assert!(run(
            "ALTER TABLE t ALTER COLUMN id DROP DEFAULT;\nALTER TABLE t ADD COLUMN b int;\nALTER TABLE t ALTER COLUMN b DROP NOT NULL;"
        )
        .is_empty());
        assert!(run("CREATE TABLE n (a int NOT NULL);\nALTER TABLE n ALTER COLUMN a DROP NOT NULL;").is_empty());
    }
}
