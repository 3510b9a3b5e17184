//! # orphan-rows
//!
//! ## What it finds
//! In live mode: rows whose foreign key has no parent row, for every foreign key added `NOT
//! VALID` that was never validated. pgvet counts them (read-only, under a statement timeout) and
//! shows a few of the keys. Also, as `info`, for a `<name>_id` column with no foreign key whose
//! name points at exactly one table (`customer_id` → `customers`, with a primary key `id` of the
//! same type): the reference is inferred, so the finding is a hint.
//!
//! ## Why it matters
//! `NOT VALID` checks new and updated rows only; the rows that were there before are trusted. If
//! some reference a parent that does not exist, `VALIDATE CONSTRAINT` fails (23503), joins drop
//! those rows silently, and code that loads the parent crashes.
//!
//! ## Example
//! `orders_customer_id_fkey` is NOT VALID and 12 orders reference deleted customers.
//!
//! ## Fix
//! Delete or repair the orphan rows (set the key to NULL, or restore the parents), then
//! `ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;`.
use super::RuleMeta;
use crate::diagnostic::Severity;

pub const META: RuleMeta = RuleMeta {
    id: "orphan-rows",
    summary: "live mode: rows a NOT VALID foreign key does not hold for (VALIDATE will fail)",
    default_severity: Severity::Warning,
    check: None,
    check_site: None,
};
