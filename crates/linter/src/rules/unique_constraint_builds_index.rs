//! # unique-constraint-builds-index
//!
//! ## What it finds
//! `ALTER TABLE ... ADD PRIMARY KEY (...)` or `ADD UNIQUE (...)` without `USING INDEX` on a table
//! that existed before the migration. (squawk: disallowed-unique-constraint,
//! adding-serial-primary-key-field.) Key migrations that add the tenant column to a
//! primary key typically do this.
//!
//! ## Why it matters
//! PostgreSQL builds the constraint's index by reading every row while holding ACCESS EXCLUSIVE
//! (pgvet's lock oracle): no reads or writes for the whole build.
//!
//! ## Why it is `info` by default
//! See `index-build-blocks-writes`.
//!
//! ## Example
//! ```sql
//! ALTER TABLE org_studio_heartbeats ADD PRIMARY KEY (workspace_id, agent_id);
//! -- info[unique-constraint-builds-index]: PRIMARY KEY is added by building its index in place ...
//! ```
//!
//! ## Fix
//! ```sql
//! CREATE UNIQUE INDEX CONCURRENTLY t_ws_agent_key ON t (workspace_id, agent_id);  -- outside a transaction
//! ALTER TABLE t ADD CONSTRAINT t_ws_agent_key UNIQUE USING INDEX t_ws_agent_key;  -- brief lock, no scan
//! ```
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, diagnostic};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "unique-constraint-builds-index",
    summary: "ADD PRIMARY KEY / UNIQUE without USING INDEX builds the index under ACCESS EXCLUSIVE",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    for ch in changes(site).iter().filter(|c| matches!(c.form, "add_unique" | "add_primary_key")) {
        let table = crate::sql::display_name(&ch.table.name);
        let kind = if ch.form == "add_primary_key" { "PRIMARY KEY" } else { "UNIQUE" };
        let name = if ch.name.is_empty() { format!("{}_key", ch.table.name.name) } else { ch.name.clone() };
        let idx = pgvet_syntax::quote_ident(&name);
        let fix = format!(
            "CREATE UNIQUE INDEX CONCURRENTLY {idx} ON {table} (...);  -- in a migration outside a transaction\nALTER TABLE {table} ADD CONSTRAINT {idx} {kind} USING INDEX {idx};"
        );
        if let Some(d) = diagnostic(&META, site, ch, &format!("{kind} is added by building its index in place"), &fix) {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "unique-constraint-builds-index";

    fn run(b: &str) -> usize {
        crate::test_util::second_migration("CREATE TABLE t (id int, w int, a text);", b, RULE).len()
    }

    #[test]
    fn fires_and_stays_silent() {
        assert_eq!(run("ALTER TABLE t ADD PRIMARY KEY (w, id);"), 1);
        assert_eq!(run("ALTER TABLE t ADD CONSTRAINT t_w_a_key UNIQUE (w, a);"), 1);
        assert_eq!(run("CREATE UNIQUE INDEX CONCURRENTLY t_w_a_key ON t (w, a);\nALTER TABLE t ADD CONSTRAINT t_w_a_key UNIQUE USING INDEX t_w_a_key;"), 0);
    }
}
