//! # vacuum-full-blocks-table
//!
//! ## What it finds
//! `VACUUM FULL` of a table that existed before the migration (pgls/eugene).
//!
//! ## Why it matters
//! `VACUUM FULL` rewrites the whole table and its indexes under ACCESS EXCLUSIVE (pgvet's lock
//! oracle saw the lock and the new file): no reads or writes until it ends, and twice the disk.
//!
//! ## Why it is `info` by default
//! See `index-build-blocks-writes`.
//!
//! ## Example
//! ```sql
//! VACUUM FULL events;
//! ```
//!
//! ## Fix
//! Plain `VACUUM` (no exclusive lock), or an online repack (`pg_repack`) run outside the
//! migration.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, diagnostic};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "vacuum-full-blocks-table",
    summary: "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    for ch in changes(site).iter().filter(|c| c.form == "vacuum_full") {
        let table = crate::sql::display_name(&ch.table.name);
        if let Some(d) = diagnostic(
            &META,
            site,
            ch,
            &format!("VACUUM FULL {table}"),
            &format!("VACUUM {table};  -- or pg_repack, outside the migration"),
        ) {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "vacuum-full-blocks-table";

    #[test]
    fn fires_and_stays_silent() {
        let run = |b: &str| crate::test_util::second_migration("CREATE TABLE t (id int);", b, RULE);
        let d = run("VACUUM FULL t;");
        assert!(d.len() == 1 && d[0].message.contains("ACCESS EXCLUSIVE on t") && d[0].message.contains("rewrites"), "{d:#?}");
        assert!(run("VACUUM t;").is_empty());
        assert!(run("VACUUM (FULL false) t;").is_empty());
    }
}
