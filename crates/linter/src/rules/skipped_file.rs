//! # skipped-file
//!
//! ## What it finds
//! A file in the migrations folder that the project's migration runner will not apply, so
//! pgvet does not replay it either: a Drizzle migration missing from `meta/_journal.json` (or a
//! journal entry whose file is missing), a file in a Flyway folder whose name is not a Flyway
//! migration name, a `[queries]` path in pgvet.toml that does not exist.
//!
//! ## Why it matters
//! Such a file is usually a migration someone expected to run: the schema in production does not
//! have what it creates. pgvet's findings describe the schema without it.
//!
//! ## Example
//! ```text
//! drizzle/0007_add_index.sql: not in meta/_journal.json: drizzle-kit will not apply it
//! ```
//!
//! ## Fix
//! Add the migration to the runner (for Drizzle, regenerate it with drizzle-kit so the journal
//! lists it), rename it as the runner expects, or delete it.
use super::RuleMeta;
use crate::diagnostic::Severity;

pub const META: RuleMeta = RuleMeta {
    id: "skipped-file",
    summary: "a file in the migrations folder the runner will not apply (not in the Drizzle journal, not a Flyway name)",
    default_severity: Severity::Warning,
    check: None,
    check_site: None,
};
