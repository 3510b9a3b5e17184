//! # concurrent-index-not-repeatable
//!
//! ## What it finds
//! `CREATE INDEX CONCURRENTLY` without `IF NOT EXISTS` on a table that existed before the
//! migration. (squawk: prefer-robust-stmts.) A typical case: the
//! index a key migration builds before it swaps the primary key.
//!
//! ## Why it matters
//! A concurrent build runs outside a transaction: when it fails (a duplicate for a UNIQUE index, a
//! deadlock, a cancelled deploy) it leaves an INVALID index behind, and running the migration again
//! fails with 42P07 (relation already exists) until someone drops it by hand.
//!
//! ## Why it is `info` by default
//! Only a failed run exposes it.
//!
//! ## Example
//! ```sql
//! CREATE UNIQUE INDEX CONCURRENTLY ux_metrics_ws ON metrics (workspace_id, agent_id);
//! ```
//!
//! ## Fix
//! ```sql
//! DROP INDEX CONCURRENTLY IF EXISTS ux_metrics_ws;   -- a leftover invalid index from a failed run
//! CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ux_metrics_ws ON metrics (workspace_id, agent_id);
//! ```
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::existed_before;
use crate::sql::{resolve_relation, Relation, Site, SiteKind};

pub const META: RuleMeta = RuleMeta {
    id: "concurrent-index-not-repeatable",
    summary: "CREATE INDEX CONCURRENTLY without IF NOT EXISTS cannot be rerun after a failed build",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    let pgvet_syntax::NodeEnum::IndexStmt(i) = site.node else { return };
    if !matches!(site.kind, SiteKind::Migration) || !i.concurrent || i.if_not_exists || i.idxname.is_empty() {
        return;
    }
    let Some(rv) = &i.relation else { return };
    let Some(Relation::Table(t)) = resolve_relation(site.catalog, site.search_path, &rv.schemaname, &rv.relname) else { return };
    if !existed_before(site, t) {
        return;
    }
    let name = pgvet_syntax::quote_ident(&i.idxname);
    out.push(
        Diagnostic::new(
            META.id,
            META.default_severity,
            format!("CREATE INDEX CONCURRENTLY {name} without IF NOT EXISTS: a failed build leaves an INVALID index, and rerunning the migration fails with 42P07"),
            site.label_word(rv.location).with_message("not repeatable"),
        )
        .with_fix(crate::Fix {
            description: "make the build repeatable".into(),
            migration: Some(format!("DROP INDEX CONCURRENTLY IF EXISTS {name};\nCREATE ... INDEX CONCURRENTLY IF NOT EXISTS {name} ON ...;")),
            applicability: crate::Applicability::Unsafe,
        }),
    );
}

#[cfg(test)]
mod tests {
    const RULE: &str = "concurrent-index-not-repeatable";

    #[test]
    fn fires_and_stays_silent() {
        let run = |b: &str| crate::test_util::second_migration("CREATE TABLE t (id int, a int);", b, RULE).len();
        assert_eq!(run("CREATE INDEX CONCURRENTLY t_a ON t (a);"), 1);
        assert_eq!(run("CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);"), 0);
        assert_eq!(run("CREATE INDEX t_a ON t (a);"), 0);
    }
}
