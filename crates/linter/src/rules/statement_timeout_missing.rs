//! # statement-timeout-missing
//!
//! ## What it finds
//! A statement that reads every row of a table that existed before the migration, or rewrites it
//! (per pgvet's lock oracle), while holding a lock, in a migration that has not set
//! `statement_timeout` before it; reported once per migration. (squawk: require-statement-timeout.)
//!
//! ## Why it matters
//! On a large table such a statement runs for minutes with its lock held; without a timeout
//! nothing stops it when it turns out slower than planned, and every query on the table waits.
//!
//! ## Why it is `info` by default
//! Many teams set the timeout in the runner's connection settings, which pgvet cannot see.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ADD CONSTRAINT orders_total_pos CHECK (total >= 0);
//! ```
//!
//! ## Fix
//! ```sql
//! SET statement_timeout = '5min';
//! ```
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, facts, setting_unset_and_unreported};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "statement-timeout-missing",
    summary: "a full scan or rewrite of an existing table under a lock with no statement_timeout set",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    if !setting_unset_and_unreported(site, "statement_timeout", META.id, cx) {
        return;
    }
    let Some(ch) = changes(site).iter().find(|c| facts(c.form).is_some_and(|f| f.scan || f.rewrite)) else { return };
    let table = crate::sql::display_name(&ch.table.name);
    let work = if facts(ch.form).is_some_and(|f| f.rewrite) { "rewrites" } else { "reads every row of" };
    out.push(
        Diagnostic::new(
            META.id,
            META.default_severity,
            format!("this statement {work} {table} while holding its lock, with no statement_timeout to stop it"),
            site.label_at(-1).with_message("no statement_timeout"),
        )
        .with_fix(crate::Fix {
            description: "bound how long the migration may hold the lock".into(),
            migration: Some("SET statement_timeout = '5min';  -- before the first long statement".into()),
            applicability: crate::Applicability::Unsafe,
        }),
    );
}

#[cfg(test)]
mod tests {
    const RULE: &str = "statement-timeout-missing";

    #[test]
    fn fires_and_stays_silent() {
        let run = |b: &str| crate::test_util::second_migration("CREATE TABLE t (id int, a int);", b, RULE).len();
        assert_eq!(run("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\nCREATE INDEX t_a ON t (a);"), 1, "once per migration");
        assert_eq!(run("SET statement_timeout = '5min';\nCREATE INDEX t_a ON t (a);"), 0);
        assert_eq!(run("ALTER TABLE t ADD COLUMN c int;"), 0, "no scan, no rewrite");
    }
}
