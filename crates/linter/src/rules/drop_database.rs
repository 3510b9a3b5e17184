//! # drop-database
//!
//! ## What it finds
//! `DROP DATABASE` in a migration. (squawk: ban-drop-database.)
//!
//! ## Why it matters
//! A migration runs against every environment, production included: the statement deletes a
//! whole database, every table and row in it, with no way back but a backup. It also fails while
//! anyone is connected to that database (unless `WITH (FORCE)`, which disconnects them).
//!
//! ## Example
//! ```sql
//! DROP DATABASE analytics;
//! ```
//!
//! ## Fix
//! Drop databases by hand, after a backup, not from the migration history.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::{Site, SiteKind};

pub const META: RuleMeta = RuleMeta {
    id: "drop-database",
    summary: "DROP DATABASE in a migration deletes a whole database in every environment it runs in",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    let pgvet_syntax::NodeEnum::DropdbStmt(d) = site.node else { return };
    if !matches!(site.kind, SiteKind::Migration) {
        return;
    }
    out.push(
        Diagnostic::new(
            META.id,
            META.default_severity,
            format!(
                "DROP DATABASE {} in a migration deletes that database, every table and row, wherever the migration runs",
                pgvet_syntax::quote_ident(&d.dbname)
            ),
            site.label_at(-1).with_message("DROP DATABASE"),
        )
        .with_help("Drop databases by hand after a backup, not from the migration history."),
    );
}

#[cfg(test)]
mod tests {
    const RULE: &str = "drop-database";

    #[test]
    fn fires_and_stays_silent() {
        assert_eq!(crate::test_util::lines("DROP DATABASE IF EXISTS analytics;", RULE), vec![1]);
        assert!(crate::test_util::lines("DROP TABLE IF EXISTS analytics;", RULE).is_empty());
    }
}
