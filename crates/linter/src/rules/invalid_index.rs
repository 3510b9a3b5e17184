//! # invalid-index
//!
//! ## What it finds
//! In live mode: an index the server marks INVALID, the leftover of a `CREATE INDEX
//! CONCURRENTLY` (or `REINDEX CONCURRENTLY`) that failed or was cancelled.
//!
//! ## Why it matters
//! An invalid index is still updated on every write, but no query uses it, and an invalid UNIQUE
//! index enforces nothing and is no ON CONFLICT arbiter: an upsert that relies on it fails with
//! 42P10. A rerun of the same `CREATE INDEX CONCURRENTLY name` fails with 42P07 (the name is
//! taken), and `IF NOT EXISTS` silently keeps the invalid one.
//!
//! ## Example
//! `ux_orders_ws_number` is INVALID after a concurrent build hit a duplicate key.
//!
//! ## Fix
//! Fix what made the build fail (for a unique index: the duplicates), then
//! `DROP INDEX CONCURRENTLY IF EXISTS ux_orders_ws_number;` and build it again.
use super::RuleMeta;
use crate::diagnostic::Severity;

pub const META: RuleMeta = RuleMeta {
    id: "invalid-index",
    summary: "live mode: an INVALID index left by a failed concurrent build (enforces nothing, slows writes)",
    default_severity: Severity::Warning,
    check: None,
    check_site: None,
};
