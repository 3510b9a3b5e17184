//! # lock-held-during-slow-statement
//!
//! ## What it finds
//! A statement that reads or rewrites a whole existing table (per pgvet's lock oracle: an index
//! build, a validation, a rewrite) running in a transaction that already holds ACCESS EXCLUSIVE
//! on an existing table, taken by an earlier statement of the migration. (eugene: "running more
//! statements after taking ACCESS EXCLUSIVE"; pgls: lock held across statements.)
//!
//! ## Why it matters
//! A lock is held until the transaction ends, not until the statement that took it ends. A quick
//! `ALTER TABLE ... ADD COLUMN` followed by a `CREATE INDEX` in the same transaction keeps the
//! first table closed to every read and write for as long as the index takes to build. Each
//! statement looks harmless on its own; together they are an outage.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ADD COLUMN region text;        -- ACCESS EXCLUSIVE on orders, held ...
//! CREATE INDEX orders_customer_idx ON orders (customer_id);  -- ... while every row is read
//! ```
//!
//! ## Fix
//! Run the slow statement first, before anything takes ACCESS EXCLUSIVE, or move it to a
//! migration of its own (an index: `CREATE INDEX CONCURRENTLY` in a migration outside a
//! transaction).
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::sql::ddl_locks::{access_exclusive, changes, facts};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "lock-held-during-slow-statement",
    summary: "a full scan or rewrite of an existing table while the migration's transaction holds ACCESS EXCLUSIVE on a table",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    if cx.held_locks.is_empty() {
        return;
    }
    let Some(slow) = changes(site).iter().find(|c| facts(c.form).is_some_and(|f| f.scan || f.rewrite)) else { return };
    // A table this statement locks ACCESS EXCLUSIVE itself is closed while it runs anyway.
    let own: Vec<pgvet_catalog::QName> = access_exclusive(site).into_iter().map(|h| h.table).collect();
    let mut held: Vec<&pgvet_catalog::QName> =
        cx.held_locks.iter().filter(|h| h.at < site.span.start && !own.contains(&h.table)).map(|h| &h.table).collect();
    held.dedup();
    let Some(first) = cx.held_locks.iter().find(|h| held.first() == Some(&&h.table)) else { return };
    let f = facts(slow.form).expect("checked above");
    let locked = crate::sql::display_name(&first.table);
    let what = if f.rewrite { "rewrites" } else { "reads every row of" };
    let others = held.len() - 1;
    let also = if others > 0 { format!(" (and {others} more table(s))") } else { String::new() };
    let label = if slow.location >= 0 { site.label_word(slow.location) } else { site.label_at(-1) };
    out.push(
        Diagnostic::new(
            META.id,
            META.default_severity,
            format!(
                "this statement {what} {} while the transaction holds ACCESS EXCLUSIVE on {locked}{also}, taken by an earlier statement: {locked} stays closed to reads and writes until it finishes",
                crate::sql::display_name(&slow.table.name)
            ),
            label.with_message("slow while a lock is held"),
        )
        .with_related(Label::new(site.file, pgvet_syntax::Span::new(first.at, first.at)).with_message(format!("ACCESS EXCLUSIVE on {locked} taken here")))
        .with_help("Run the slow statement before anything takes ACCESS EXCLUSIVE, or in a migration of its own. Measured by pgvet's lock oracle on PostgreSQL 15."),
    );
}

#[cfg(test)]
mod tests {
    const RULE: &str = "lock-held-during-slow-statement";

    #[test]
    fn fires_and_stays_silent() {
        let base = "CREATE TABLE t (id int PRIMARY KEY, a int, b text);\nCREATE TABLE u (id int PRIMARY KEY, c int);";
        let run = |b: &str| crate::test_util::second_migration(base, b, RULE);
        let d = run("ALTER TABLE t ADD COLUMN c int;\nCREATE INDEX u_c ON u (c);");
        assert!(d.len() == 1 && d[0].message.contains("reads every row of u") && d[0].message.contains("ACCESS EXCLUSIVE on t"), "{d:#?}");
        assert!(!run("ALTER TABLE t ADD COLUMN c int;\nCREATE INDEX t_a ON t (a);").is_empty());
        // the slow statement takes ACCESS EXCLUSIVE on the held table itself (a key swap)
        assert!(run("ALTER TABLE t DROP CONSTRAINT t_pkey;\nALTER TABLE t ADD PRIMARY KEY (id, a);").is_empty());
        // the slow statement first; nothing slow after the lock; a table created in the migration
        assert!(run("CREATE INDEX u_c ON u (c);\nALTER TABLE t ADD COLUMN c int;").is_empty());
        assert!(run("ALTER TABLE t ADD COLUMN c int;\nALTER TABLE u ADD COLUMN d int;").is_empty());
        assert!(run("CREATE TABLE n (a int);\nALTER TABLE t ADD COLUMN c int;\nCREATE INDEX n_a ON n (a);").is_empty());
        // COMMIT releases it
        assert!(run("BEGIN;\nALTER TABLE t ADD COLUMN c int;\nCOMMIT;\nBEGIN;\nCREATE INDEX u_c ON u (c);\nCOMMIT;").is_empty());
    }
}
