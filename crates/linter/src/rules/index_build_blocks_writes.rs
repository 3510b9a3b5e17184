//! # index-build-blocks-writes
//!
//! ## What it finds
//! `CREATE INDEX` (or `CREATE UNIQUE INDEX`) without `CONCURRENTLY` on a table that existed
//! before the migration. (squawk: require-concurrent-index-creation.)
//!
//! ## Why it matters
//! PostgreSQL holds SHARE on the table while it reads every row to build the index (pgvet's lock
//! oracle saw `ShareLock` and a full scan on PostgreSQL 15): every INSERT, UPDATE and DELETE waits
//! until the build and the migration's transaction end. On a large, busy table that is an outage.
//! An index on a table created earlier in the same migration costs nothing and is not reported.
//!
//! ## Why it is `info` by default
//! Whether the lock matters depends on the table's size and traffic, which pgvet cannot see from
//! the migrations, and a project's history is full of indexes built on tables that were empty or
//! small then. Make the rule a warning for the migrations you are about to ship:
//! `[rules] index-build-blocks-writes = "warning"`.
//!
//! ## Example
//! ```sql
//! CREATE INDEX orders_customer_id_idx ON orders (customer_id);
//! -- info[index-build-blocks-writes]: this index is built under SHARE on orders ...
//! ```
//!
//! ## Fix
//! `CREATE INDEX CONCURRENTLY` (SHARE UPDATE EXCLUSIVE: reads and writes go on), in a migration
//! that does not run inside a transaction (25001 otherwise): Prisma runs a file holding
//! `CONCURRENTLY` outside one; for sqlx add `-- no-transaction`, for goose `-- +goose NO TRANSACTION`.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, diagnostic};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "index-build-blocks-writes",
    summary: "CREATE INDEX without CONCURRENTLY on an existing table blocks writes while it builds",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    let pgvet_syntax::NodeEnum::IndexStmt(i) = site.node else { return };
    for ch in changes(site).iter().filter(|c| matches!(c.form, "create_index" | "create_unique_index")) {
        let text = site.file_text.get(site.span.range()).unwrap_or("");
        let fix =
            text.replacen("INDEX", "INDEX CONCURRENTLY", 1).replacen("index", "index concurrently", usize::from(!text.contains("INDEX")));
        let what = format!("index {} is built without CONCURRENTLY", if i.idxname.is_empty() { "(unnamed)" } else { &i.idxname });
        if let Some(d) = diagnostic(
            &META,
            site,
            ch,
            &what,
            &format!("{};  -- in a migration that runs outside a transaction", fix.trim_end_matches(';')),
        ) {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::lines;

    const RULE: &str = "index-build-blocks-writes";

    #[test]
    fn fires_on_existing_tables_only() {
        let two = |a: &str, b: &str| {
            crate::test_util::second_migration(a, b, RULE).into_iter().map(|d| (d.primary.file, d.message)).collect::<Vec<_>>()
        };
        let found =
            two("CREATE TABLE orders (id int PRIMARY KEY, customer_id int);", "CREATE INDEX orders_customer_idx ON orders (customer_id);");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("SHARE on orders") && found[0].1.contains("reads every row"), "{}", found[0].1);
        // CONCURRENTLY, or a table created in the same migration: silent.
        assert!(two("CREATE TABLE orders (id int, c int);", "CREATE INDEX CONCURRENTLY o_c ON orders (c);").is_empty());
        assert_eq!(lines("CREATE TABLE orders (id int, c int);\nCREATE INDEX o_c ON orders (c);", RULE), Vec::<usize>::new());
    }
}
