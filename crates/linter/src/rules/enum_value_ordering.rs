//! # enum-value-ordering
//!
//! ## What it finds
//! `ALTER TYPE ... ADD VALUE` without `BEFORE` or `AFTER`. A style preference, off by default.
//! (squawk: require-enum-value-ordering.)
//!
//! ## Why it matters
//! Enum values sort in the order they were declared, not alphabetically: a value appended at the
//! end sorts after all the others in `ORDER BY` and in comparisons (`status > 'open'`). Saying
//! where it goes makes that order a decision.
//!
//! ## Example
//! ```sql
//! ALTER TYPE order_status ADD VALUE 'refunded';
//! ```
//!
//! ## Fix
//! ```sql
//! ALTER TYPE order_status ADD VALUE 'refunded' AFTER 'paid';
//! ```
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::{Site, SiteKind};

pub const META: RuleMeta = RuleMeta {
    id: "enum-value-ordering",
    summary: "style: ALTER TYPE ... ADD VALUE without BEFORE/AFTER appends the value at the end of the sort order",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    let pgvet_syntax::NodeEnum::AlterEnumStmt(e) = site.node else { return };
    if !matches!(site.kind, SiteKind::Migration) || e.new_val.is_empty() || !e.new_val_neighbor.is_empty() {
        return;
    }
    out.push(
        Diagnostic::new(
            META.id,
            META.default_severity,
            format!("'{}' is added at the end: it sorts after every other value of the enum", e.new_val),
            site.label_at(-1).with_message("ADD VALUE"),
        )
        .with_help("Say where it sorts: `ADD VALUE '...' BEFORE '...'` or `AFTER '...'`."),
    );
}

#[cfg(test)]
mod tests {
    const RULE: &str = "enum-value-ordering";

    #[test]
    fn off_by_default_and_fires_when_on() {
        let sql = "CREATE TYPE s AS ENUM ('a');\nALTER TYPE s ADD VALUE 'b';\nALTER TYPE s ADD VALUE 'c' AFTER 'a';";
        assert!(crate::test_util::lines(sql, RULE).is_empty());
        let mut settings = crate::Settings::default();
        settings.severities.insert("style".into(), Some(crate::Severity::Info));
        let files = vec![crate::MigrationFile {
            source: pgvet_syntax::SourceFile::new("m.sql", sql),
            transactional: true,
            host: None,
            reruns: true,
        }];
        let a = crate::analyze(files, pgvet_catalog::Catalog::new(), &settings);
        let lines: Vec<usize> =
            a.diagnostics.iter().filter(|d| d.rule == RULE).map(|d| a.files[0].line_col(d.primary.span.start).line).collect();
        assert_eq!(lines, vec![2]);
    }
}
