//! # prefer-bigint-over-smallint
//!
//! ## What it finds
//! In a migration, a `smallint`/`int2`/`smallserial` column (runs out at 32,767). (squawk: prefer-bigint-over-smallint.)
//!
//! ## Why it matters
//! A type preference many teams adopt: it avoids a later migration that is hard to run on a live
//! table. Style: off by default; enable it in `[rules]` (`prefer-bigint-over-smallint = "warning"`).
//!
//! ## Example
//! ```sql
//! CREATE TABLE t (n smallint);
//! ```
//!
//! ## Fix
//! Use `bigint` (or `integer`).
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::column_types::style_findings;
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "prefer-bigint-over-smallint",
    summary: "style: a smallint/int2/smallserial column",
    default_severity: Severity::Warning,
    check: None,
    check_site: Some(check),
};

const TYPES: &[&str] = &["int2", "smallint", "smallserial", "serial2"];

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    style_findings(
        site,
        &META,
        |c| TYPES.contains(&c.ty.as_str()),
        |c| {
            format!(
                "column {col} is a 16-bit integer ({ty}): values past 32,767 fail with 22003 (smallint out of range)",
                col = pgvet_syntax::quote_ident(&c.column),
                ty = c.ty
            )
        },
        "bigint",
        out,
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn off_by_default_and_fires_when_enabled() {
        crate::test_util::assert_style_rule("prefer-bigint-over-smallint", "CREATE TABLE t (n smallint);");
    }
}
