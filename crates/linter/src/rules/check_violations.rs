//! # check-violations
//!
//! ## What it finds
//! In live mode: rows that a CHECK constraint added `NOT VALID` (and not validated since) does not
//! hold for, counted read-only. That includes the lock-friendly `CHECK (c IS NOT NULL) NOT VALID`
//! put in place before `SET NOT NULL`: its count is the NULLs that block it.
//!
//! ## Why it matters
//! `NOT VALID` checks new and updated rows only. `VALIDATE CONSTRAINT` fails (23514) on the first
//! old row that breaks it, and `SET NOT NULL` fails (23502) while NULLs remain; a migration that
//! assumes they pass fails in production.
//!
//! ## Example
//! `orders_total_positive CHECK (total >= 0) NOT VALID` and 3 orders with a negative total.
//!
//! ## Fix
//! Repair the rows (a backfill), then `ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;`.
use super::RuleMeta;
use crate::diagnostic::Severity;

pub const META: RuleMeta = RuleMeta {
    id: "check-violations",
    summary: "live mode: rows a NOT VALID CHECK does not hold for (VALIDATE or SET NOT NULL will fail)",
    default_severity: Severity::Warning,
    check: None,
    check_site: None,
};
