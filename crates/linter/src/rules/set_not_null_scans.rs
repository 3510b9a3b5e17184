//! # set-not-null-scans
//!
//! ## What it finds
//! `ALTER TABLE ... ALTER COLUMN ... SET NOT NULL` on a table that existed before the migration,
//! when no validated `CHECK (column IS NOT NULL)` already proves it. (squawk:
//! adding-not-nullable-field.) Key migrations often do this on live tables.
//!
//! ## Why it matters
//! PostgreSQL reads every row to prove the column has no NULL while holding ACCESS EXCLUSIVE
//! (pgvet's lock oracle saw the scan): no reads or writes for the whole scan. With a validated
//! CHECK constraint it skips the scan (the oracle saw none), so the lock is brief.
//!
//! ## Why it is `info` by default
//! See `index-build-blocks-writes`.
//!
//! ## Example
//! ```sql
//! ALTER TABLE org_studio_settings ALTER COLUMN workspace_id SET NOT NULL;
//! -- info[set-not-null-scans]: SET NOT NULL on workspace_id proves it by reading every row ...
//! ```
//!
//! ## Fix
//! ```sql
//! ALTER TABLE t ADD CONSTRAINT t_c_not_null CHECK (c IS NOT NULL) NOT VALID;
//! ALTER TABLE t VALIDATE CONSTRAINT t_c_not_null;      -- SHARE UPDATE EXCLUSIVE: reads and writes go on
//! ALTER TABLE t ALTER COLUMN c SET NOT NULL;            -- no scan: the CHECK proves it
//! ALTER TABLE t DROP CONSTRAINT t_c_not_null;
//! ```
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, diagnostic};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "set-not-null-scans",
    summary: "SET NOT NULL on an existing table reads every row under ACCESS EXCLUSIVE",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    for ch in changes(site).iter().filter(|c| c.form == "set_not_null") {
        let table = crate::sql::display_name(&ch.table.name);
        let col = pgvet_syntax::quote_ident(&ch.name);
        let con = pgvet_syntax::quote_ident(&format!("{}_{}_not_null", ch.table.name.name, ch.name));
        let fix = format!(
            "ALTER TABLE {table} ADD CONSTRAINT {con} CHECK ({col} IS NOT NULL) NOT VALID;\nALTER TABLE {table} VALIDATE CONSTRAINT {con};\nALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL;\nALTER TABLE {table} DROP CONSTRAINT {con};"
        );
        if let Some(d) = diagnostic(&META, site, ch, &format!("SET NOT NULL on {col} proves it by reading every row"), &fix) {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "set-not-null-scans";

    fn run(a: &str, b: &str) -> usize {
        crate::test_util::second_migration(a, b, RULE).len()
    }

    #[test]
    fn fires_and_stays_silent() {
        let base = "CREATE TABLE t (id int PRIMARY KEY, c int);";
        assert_eq!(run(base, "ALTER TABLE t ALTER COLUMN c SET NOT NULL;"), 1);
        // the CHECK-first recipe
        assert_eq!(
            run(base, "ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT t_c_nn;\nALTER TABLE t ALTER COLUMN c SET NOT NULL;"),
            0
        );
        // a table of this migration
        assert_eq!(run("SELECT 1;", "CREATE TABLE t (c int);\nALTER TABLE t ALTER COLUMN c SET NOT NULL;"), 0);
    }
}
