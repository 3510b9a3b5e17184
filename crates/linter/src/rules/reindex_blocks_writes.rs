//! # reindex-blocks-writes
//!
//! ## What it finds
//! `REINDEX INDEX` / `REINDEX TABLE` without `CONCURRENTLY` on a table that existed before the
//! migration. (squawk: require-concurrent-reindex.)
//!
//! ## Why it matters
//! PostgreSQL holds SHARE on the table while it rebuilds the index (pgvet's lock oracle; ACCESS
//! EXCLUSIVE on the index itself, so queries that would use it wait too): writes stop until the
//! rebuild and the migration's transaction end.
//!
//! ## Why it is `info` by default
//! See `index-build-blocks-writes`.
//!
//! ## Example
//! ```sql
//! REINDEX INDEX orders_status_idx;
//! ```
//!
//! ## Fix
//! `REINDEX INDEX CONCURRENTLY orders_status_idx;` in a migration outside a transaction.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, diagnostic};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "reindex-blocks-writes",
    summary: "REINDEX without CONCURRENTLY blocks writes to the table while it rebuilds",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    for ch in changes(site).iter().filter(|c| c.form == "reindex_index") {
        let text = site.file_text.get(site.span.range()).unwrap_or("").trim_end_matches(';');
        let fix = format!("{};  -- in a migration outside a transaction", text.replacen("REINDEX ", "REINDEX (CONCURRENTLY) ", 1));
        if let Some(d) =
            diagnostic(&META, site, ch, &format!("{} is rebuilt without CONCURRENTLY", pgvet_syntax::quote_ident(&ch.name)), &fix)
        {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "reindex-blocks-writes";

    #[test]
    fn fires_and_stays_silent() {
        let run =
            |b: &str| crate::test_util::second_migration("CREATE TABLE t (id int, a int);\nCREATE INDEX t_a ON t (a);", b, RULE).len();
        assert_eq!(run("REINDEX INDEX t_a;"), 1);
        assert_eq!(run("REINDEX TABLE t;"), 1);
        assert_eq!(run("REINDEX INDEX CONCURRENTLY t_a;"), 0);
        assert_eq!(run("REINDEX (CONCURRENTLY) TABLE t;"), 0);
    }
}
