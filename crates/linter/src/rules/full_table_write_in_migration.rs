//! # full-table-write-in-migration
//!
//! ## What it finds
//! An `UPDATE` or `DELETE` without `WHERE` in a migration, on a table that existed before it
//! (pgls: ban UPDATE/DELETE without WHERE in migrations).
//!
//! ## Why it matters
//! It writes every row in one transaction (pgvet's lock oracle saw a full scan under ROW
//! EXCLUSIVE): every row stays locked against other writers until the migration commits, the
//! table doubles on disk until vacuum, and on a large table the migration runs for minutes.
//!
//! ## Why it is `info` by default
//! On a small or new table it is the simplest correct backfill.
//!
//! ## Example
//! ```sql
//! UPDATE orders SET currency = 'EUR';
//! ```
//!
//! ## Fix
//! Backfill in batches outside the migration (or in a loop that commits), e.g.
//! `UPDATE orders SET currency = 'EUR' WHERE id IN (SELECT id FROM orders WHERE currency IS NULL LIMIT 10000)`
//! until it updates nothing.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::existed_before;
use crate::sql::{resolve_relation, Relation, Site, SiteKind};

pub const META: RuleMeta = RuleMeta {
    id: "full-table-write-in-migration",
    summary: "an UPDATE or DELETE of every row of an existing table inside a migration",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    use pgvet_syntax::NodeEnum;
    if !matches!(site.kind, SiteKind::Migration) {
        return;
    }
    let (verb, rv) = match site.node {
        NodeEnum::UpdateStmt(u) if u.where_clause.is_none() && u.from_clause.is_empty() => ("UPDATE", u.relation.as_ref()),
        NodeEnum::DeleteStmt(d) if d.where_clause.is_none() && d.using_clause.is_empty() => ("DELETE", d.relation.as_ref()),
        _ => return,
    };
    let Some(rv) = rv else { return };
    let Some(Relation::Table(t)) = resolve_relation(site.catalog, site.search_path, &rv.schemaname, &rv.relname) else { return };
    if !existed_before(site, t) {
        return;
    }
    let table = crate::sql::display_name(&t.name);
    out.push(
        Diagnostic::new(
            META.id,
            META.default_severity,
            format!(
                "{verb} of every row of {table} in one migration transaction: all its rows stay locked against writers until it commits"
            ),
            site.label_word(rv.location).with_message("no WHERE"),
        )
        .with_help("Backfill in batches that commit (outside the migration), so each batch locks few rows for a short time."),
    );
}

#[cfg(test)]
mod tests {
    const RULE: &str = "full-table-write-in-migration";

    #[test]
    fn fires_and_stays_silent() {
        let run = |b: &str| crate::test_util::second_migration("CREATE TABLE t (id int, a int);", b, RULE).len();
        assert_eq!(run("UPDATE t SET a = 0;"), 1);
        assert_eq!(run("DELETE FROM t;"), 1);
        assert_eq!(run("UPDATE t SET a = 0 WHERE a IS NULL;"), 0);
        assert_eq!(run("CREATE TABLE n (a int);\nUPDATE n SET a = 1;"), 0);
    }
}
