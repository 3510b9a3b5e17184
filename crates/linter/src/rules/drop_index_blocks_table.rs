//! # drop-index-blocks-table
//!
//! ## What it finds
//! `DROP INDEX` without `CONCURRENTLY` on an index of a table that existed before the migration.
//! (squawk: require-concurrent-index-deletion.)
//!
//! ## Why it matters
//! PostgreSQL takes ACCESS EXCLUSIVE on the index's table (pgvet's lock oracle): no reads or
//! writes until the migration's transaction ends, and the request queues behind every running
//! query on the table, holding up every query after it.
//!
//! ## Why it is `info` by default
//! See `index-build-blocks-writes`.
//!
//! ## Example
//! ```sql
//! DROP INDEX orders_status_idx;
//! ```
//!
//! ## Fix
//! `DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;` in a migration that runs outside a
//! transaction (SHARE UPDATE EXCLUSIVE: reads and writes go on).
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, diagnostic};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "drop-index-blocks-table",
    summary: "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    for ch in changes(site).iter().filter(|c| c.form == "drop_index") {
        let idx = pgvet_syntax::quote_ident(&ch.name);
        let fix = format!("DROP INDEX CONCURRENTLY IF EXISTS {idx};  -- in a migration outside a transaction");
        if let Some(d) = diagnostic(&META, site, ch, &format!("index {idx} is dropped without CONCURRENTLY"), &fix) {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "drop-index-blocks-table";

    #[test]
    fn fires_and_stays_silent() {
        let base = "CREATE TABLE t (id int PRIMARY KEY, a int);\nCREATE INDEX t_a_idx ON t (a);";
        let run = |b: &str| crate::test_util::second_migration(base, b, RULE);
        let d = run("DROP INDEX t_a_idx;");
        assert!(d.len() == 1 && d[0].message.contains("ACCESS EXCLUSIVE on t"), "{d:#?}");
        assert!(run("DROP INDEX CONCURRENTLY t_a_idx;").is_empty());
        // an index of a table created in the same migration
        assert!(run("CREATE TABLE n (a int);\nCREATE INDEX n_a ON n (a);\nDROP INDEX n_a;").is_empty());
    }
}
