//! # unreadable-file
//!
//! ## What it finds
//! An application source file pgvet could not read (permissions, an I/O error) or decode (bytes
//! that are not UTF-8). A file it cannot read is not checked; a file that is not UTF-8 is read
//! with U+FFFD in place of the bytes it could not decode, and checked as such.
//!
//! ## Why it matters
//! A file pgvet skips is a file it cannot vouch for: saying so is better than a clean report that
//! only looks clean.
//!
//! ## Example
//! ```text
//! info[unreadable-file]: this file is not valid UTF-8 (first at line 3): pgvet read it with U+FFFD in place of the bytes it could not decode; queries on those lines may not be checked as written
//! ```
//!
//! ## Fix
//! Make the file readable, save it as UTF-8, or leave it out of the project (pgvet respects
//! `.gitignore`).
use super::RuleMeta;
use crate::diagnostic::Severity;

pub const META: RuleMeta = RuleMeta {
    id: "unreadable-file",
    summary: "a source file pgvet could not read (not checked) or decode as UTF-8 (checked as decoded)",
    default_severity: Severity::Info,
    check: None,
    check_site: None,
};
