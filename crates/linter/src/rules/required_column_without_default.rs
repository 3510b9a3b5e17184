//! # required-column-without-default
//!
//! ## What it finds
//! `ALTER TABLE ... ADD COLUMN ... NOT NULL` without a `DEFAULT` on a table that existed before
//! the migration. (squawk: adding-required-field.)
//!
//! ## Why it matters
//! On a table that holds rows, PostgreSQL rejects it with 23502 (pgvet's lock oracle saw `column
//! "c" of relation "t" contains null values`): the migration fails in production though it passed
//! on an empty development database.
//!
//! ## Why it is `info` by default
//! pgvet cannot know whether the table has rows; on a table that is always empty when this runs
//! the statement is fine.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ADD COLUMN currency text NOT NULL;
//! ```
//!
//! ## Fix
//! Add it with a constant default (no rewrite on PostgreSQL 11+), or add it nullable, backfill,
//! then make it NOT NULL (see `set-not-null-scans`).
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::sql::ddl_locks::{changes, facts};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "required-column-without-default",
    summary: "ADD COLUMN ... NOT NULL without DEFAULT fails (23502) on a table with rows",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    for ch in changes(site).iter().filter(|c| c.form == "add_column_not_null") {
        let Some(state) = facts(ch.form).and_then(|f| f.sqlstate.as_deref()) else { continue };
        let table = crate::sql::display_name(&ch.table.name);
        let col = pgvet_syntax::quote_ident(&ch.name);
        let label: Label = if ch.location >= 0 { site.label_word(ch.location) } else { site.label_at(-1) };
        out.push(
            Diagnostic::new(
                META.id,
                META.default_severity,
                format!("adding NOT NULL column {col} without a default to {table} fails with {state} when {table} has rows"),
                label.with_message(format!("SQLSTATE {state} on a table with rows")),
            )
            .with_help("Measured by pgvet's lock oracle on PostgreSQL 15. A constant DEFAULT fills existing rows without a rewrite.")
            .with_fix(crate::Fix {
                description: "add it with a default, or nullable then backfill".into(),
                migration: Some(format!("ALTER TABLE {table} ADD COLUMN {col} ... NOT NULL DEFAULT <value>;")),
                applicability: crate::Applicability::Unsafe,
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "required-column-without-default";

    #[test]
    fn fires_and_stays_silent() {
        let run = |b: &str| crate::test_util::second_migration("CREATE TABLE t (id int);", b, RULE);
        let d = run("ALTER TABLE t ADD COLUMN c text NOT NULL;");
        assert!(d.len() == 1 && d[0].message.contains("23502"), "{d:#?}");
        assert!(run("ALTER TABLE t ADD COLUMN c text NOT NULL DEFAULT 'x';").is_empty());
        assert!(run("ALTER TABLE t ADD COLUMN c text;").is_empty());
        assert!(run("CREATE TABLE n (id int);\nALTER TABLE n ADD COLUMN c text NOT NULL;").is_empty());
    }
}
