//! # detach-partition-blocks-table
//!
//! ## What it finds
//! `ALTER TABLE ... DETACH PARTITION` without `CONCURRENTLY` on a partitioned table that existed
//! before the migration. (squawk: require-concurrent-detach-partition.)
//!
//! ## Why it matters
//! PostgreSQL takes ACCESS EXCLUSIVE on the partitioned table (pgvet's lock oracle): no reads or
//! writes of any partition until the migration's transaction ends. `DETACH PARTITION ...
//! CONCURRENTLY` (PostgreSQL 14+) takes SHARE UPDATE EXCLUSIVE on it instead.
//!
//! ## Why it is `info` by default
//! See `index-build-blocks-writes`.
//!
//! ## Example
//! ```sql
//! ALTER TABLE events DETACH PARTITION events_2023;
//! ```
//!
//! ## Fix
//! `ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;` in a migration outside a
//! transaction.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, diagnostic};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "detach-partition-blocks-table",
    summary: "DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    for ch in changes(site).iter().filter(|c| c.form == "detach_partition") {
        let table = crate::sql::display_name(&ch.table.name);
        let part = pgvet_syntax::quote_ident(&ch.name);
        let fix = format!("ALTER TABLE {table} DETACH PARTITION {part} CONCURRENTLY;  -- in a migration outside a transaction");
        if let Some(d) = diagnostic(&META, site, ch, &format!("partition {part} is detached without CONCURRENTLY"), &fix) {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "detach-partition-blocks-table";

    #[test]
    fn fires_and_stays_silent() {
        let base = "CREATE TABLE ev (id int, at date) PARTITION BY RANGE (at);\nCREATE TABLE ev_2023 PARTITION OF ev FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');";
        let run = |b: &str| crate::test_util::second_migration(base, b, RULE);
        let d = run("ALTER TABLE ev DETACH PARTITION ev_2023;");
        assert!(d.len() == 1 && d[0].message.contains("ACCESS EXCLUSIVE on ev"), "{d:#?}");
        assert!(run("ALTER TABLE ev DETACH PARTITION ev_2023 CONCURRENTLY;").is_empty());
    }
}
