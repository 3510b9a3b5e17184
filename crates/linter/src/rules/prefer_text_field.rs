//! # prefer-text-field
//!
//! ## What it finds
//! In a migration, a `varchar(n)` column (changing its length later takes a lock, shortening it rewrites). (squawk: prefer-text-field.)
//!
//! ## Why it matters
//! A type preference many teams adopt: it avoids a later migration that is hard to run on a live
//! table. Style: off by default; enable it in `[rules]` (`prefer-text-field = "warning"`).
//!
//! ## Example
//! ```sql
//! CREATE TABLE t (name varchar(50));
//! ```
//!
//! ## Fix
//! Use `text` with a CHECK (length(...) <= n).
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::column_types::style_findings;
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "prefer-text-field",
    summary: "style: a varchar(n) column",
    default_severity: Severity::Warning,
    check: None,
    check_site: Some(check),
};

const TYPES: &[&str] = &["varchar"];

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    style_findings(
        site,
        &META,
        |c| TYPES.contains(&c.ty.as_str()) && c.has_typmod,
        |c| {
            format!("column {col} is varchar with a length: growing the limit later takes ACCESS EXCLUSIVE, shrinking it rewrites the table; a CHECK on length() is changed without either", col = pgvet_syntax::quote_ident(&c.column))
        },
        "text",
        out,
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn off_by_default_and_fires_when_enabled() {
        crate::test_util::assert_style_rule("prefer-text-field", "CREATE TABLE t (name varchar(50));");
    }
}
