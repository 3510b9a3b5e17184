//! # unused-suppression
//!
//! ## What it finds
//! A `-- pgvet-ignore <rule>` comment where that rule reports nothing.
//!
//! ## Why it matters
//! Either the problem was fixed and the comment is stale, or the comment is in the wrong place
//! and the finding it was meant for is still reported elsewhere.
//!
//! ## Example
//! ```sql
//! -- pgvet-ignore fk-missing-index: small table
//! CREATE TABLE tags (id int PRIMARY KEY);   -- no foreign key here
//! ```
//!
//! ## Fix
//! Delete the comment, or put it on the line before the statement (or at the end of the line)
//! that the finding points at.
use super::RuleMeta;
use crate::diagnostic::Severity;

pub const META: RuleMeta = RuleMeta {
    id: "unused-suppression",
    summary: "a pgvet-ignore comment that silences nothing",
    default_severity: Severity::Warning,
    check: None,
    check_site: None,
};
