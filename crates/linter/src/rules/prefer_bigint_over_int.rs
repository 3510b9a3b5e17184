//! # prefer-bigint-over-int
//!
//! ## What it finds
//! In a migration, an `integer`/`int4`/`serial` column (a 32-bit key runs out at 2,147,483,647). (squawk: prefer-bigint-over-int.)
//!
//! ## Why it matters
//! A type preference many teams adopt: it avoids a later migration that is hard to run on a live
//! table. Style: off by default; enable it in `[rules]` (`prefer-bigint-over-int = "warning"`).
//!
//! ## Example
//! ```sql
//! CREATE TABLE events (n integer);
//! ```
//!
//! ## Fix
//! Use `bigint` (`bigserial`, `bigint GENERATED ... AS IDENTITY`).
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::column_types::style_findings;
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "prefer-bigint-over-int",
    summary: "style: an integer/int4/serial column",
    default_severity: Severity::Warning,
    check: None,
    check_site: Some(check),
};

const TYPES: &[&str] = &["int4", "int", "integer", "serial", "serial4"];

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    style_findings(
        site,
        &META,
        |c| TYPES.contains(&c.ty.as_str()),
        |c| {
            format!("column {col} is a 32-bit integer ({ty}): ids and counters that outgrow 2,147,483,647 fail with 22003 (integer out of range), and widening it later rewrites the table", col = pgvet_syntax::quote_ident(&c.column), ty = c.ty)
        },
        "bigint",
        out,
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn off_by_default_and_fires_when_enabled() {
        crate::test_util::assert_style_rule("prefer-bigint-over-int", "CREATE TABLE events (n integer);");
    }
}
