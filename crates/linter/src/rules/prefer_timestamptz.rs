//! # prefer-timestamptz
//!
//! ## What it finds
//! In a migration, a `timestamp` (without time zone) column. (squawk: prefer-timestamptz.)
//!
//! ## Why it matters
//! A type preference many teams adopt: it avoids a later migration that is hard to run on a live
//! table. Style: off by default; enable it in `[rules]` (`prefer-timestamptz = "warning"`).
//!
//! ## Example
//! ```sql
//! CREATE TABLE t (at timestamp);
//! ```
//!
//! ## Fix
//! Use `timestamptz`.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::column_types::style_findings;
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "prefer-timestamptz",
    summary: "style: a timestamp without time zone column",
    default_severity: Severity::Warning,
    check: None,
    check_site: Some(check),
};

const TYPES: &[&str] = &["timestamp"];

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    style_findings(
        site,
        &META,
        |c| TYPES.contains(&c.ty.as_str()),
        |c| {
            format!(
                "column {col} is timestamp without time zone: the same instant is stored differently by sessions in different time zones",
                col = pgvet_syntax::quote_ident(&c.column)
            )
        },
        "timestamptz",
        out,
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn off_by_default_and_fires_when_enabled() {
        crate::test_util::assert_style_rule("prefer-timestamptz", "CREATE TABLE t (at timestamp);");
    }
}
