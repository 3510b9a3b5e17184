//! # truncate-cascade
//!
//! ## What it finds
//! `TRUNCATE ... CASCADE` on a table that existed before the migration. (squawk:
//! ban-truncate-cascade.)
//!
//! ## Why it matters
//! CASCADE also empties every table whose foreign keys reference the truncated one, and theirs in
//! turn: rows of tables the statement does not name are gone, with no way back but a backup. The
//! finding names them, from the schema the migrations build.
//!
//! ## Why it is `info` by default
//! Truncating a set of related tables on purpose is legitimate; the finding says which ones.
//!
//! ## Example
//! ```sql
//! TRUNCATE workspaces CASCADE;
//! ```
//!
//! ## Fix
//! Name every table to empty (`TRUNCATE a, b, c`); without CASCADE, PostgreSQL refuses when a
//! table left out still references one named.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::changes;
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "truncate-cascade",
    summary: "TRUNCATE ... CASCADE also empties every table that references the one named",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    for ch in changes(site).iter().filter(|c| c.form == "truncate_cascade") {
        // Every table reachable through foreign keys that point at the truncated table.
        let mut reached: Vec<pgvet_catalog::QName> = vec![ch.table.name.clone()];
        let mut i = 0;
        while i < reached.len() {
            let target = reached[i].clone();
            for t in site.catalog.tables.values() {
                let refers = t.constraints.iter().filter_map(|c| c.foreign_key.as_ref()).any(|fk| fk.table == target);
                if refers && !reached.contains(&t.name) {
                    reached.push(t.name.clone());
                }
            }
            i += 1;
        }
        let others: Vec<String> = reached[1..].iter().map(crate::sql::display_name).collect();
        let table = crate::sql::display_name(&ch.table.name);
        let what = if others.is_empty() {
            format!("TRUNCATE {table} CASCADE (no table references it today, but any that does later is emptied too)")
        } else {
            format!("TRUNCATE {table} CASCADE also empties {}", others.join(", "))
        };
        let label = if ch.location >= 0 { site.label_word(ch.location) } else { site.label_at(-1) };
        out.push(Diagnostic::new(META.id, META.default_severity, what, label.with_message("CASCADE")).with_help(
            "Name every table you mean to empty; without CASCADE PostgreSQL refuses when another table still references one of them.",
        ));
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "truncate-cascade";

    #[test]
    fn names_what_cascades() {
        let base = "CREATE TABLE w (id int PRIMARY KEY);\nCREATE TABLE p (id int PRIMARY KEY, w_id int REFERENCES w);\nCREATE TABLE n (p_id int REFERENCES p);";
        let d = crate::test_util::second_migration(base, "TRUNCATE w CASCADE;", RULE);
        assert!(d.len() == 1 && d[0].message.contains("also empties p, n"), "{d:#?}");
        assert!(crate::test_util::second_migration(base, "TRUNCATE n;", RULE).is_empty());
    }
}
