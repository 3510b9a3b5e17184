//! # invalid-suppression
//!
//! ## What it finds
//! A `-- pgvet-ignore` comment without a reason, without a rule id, or naming a rule that does
//! not exist.
//!
//! ## Why it matters
//! A suppression is a decision someone made about a real finding. Without the reason, the next
//! reader cannot tell whether it still holds; with a misspelled rule id it silences nothing.
//!
//! ## Example
//! ```sql
//! -- pgvet-ignore fk-missing-idx
//! ALTER TABLE events ADD FOREIGN KEY (user_id) REFERENCES users;
//! ```
//!
//! ## Fix
//! `-- pgvet-ignore <rule-id>: <reason>`, e.g.
//! `-- pgvet-ignore fk-missing-index: users are never deleted, only deactivated`.
use super::RuleMeta;
use crate::diagnostic::Severity;

pub const META: RuleMeta = RuleMeta {
    id: "invalid-suppression",
    summary: "a pgvet-ignore comment without a reason or with an unknown rule",
    default_severity: Severity::Warning,
    check: None,
    check_site: None,
};
