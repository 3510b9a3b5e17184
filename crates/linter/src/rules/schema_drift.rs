//! # schema-drift
//!
//! ## What it finds
//! In live mode (`pgvet check --database-url`): a table, column, constraint, index or function
//! that the live database and the project's migrations disagree on: it exists in only one of
//! them, or differs (a type, a default, NOT NULL, a key's columns).
//!
//! ## Why it matters
//! The migrations are what every other environment (a new developer's database, CI, a restored
//! backup) is built from. A difference means a change made by hand in one place, a migration not
//! applied, or one edited after it ran. Code that works against one database fails against the
//! other, and the next migration may fail on the live database alone.
//!
//! ## Example
//! The live database has an index `orders_status_idx` that no migration creates.
//!
//! ## Fix
//! Write the migration that makes the history match the live database (or apply the missing
//! one), then run `pgvet check --database-url` again.
use super::RuleMeta;
use crate::diagnostic::Severity;

pub const META: RuleMeta = RuleMeta {
    id: "schema-drift",
    summary: "live mode: the live database and the migrations disagree on an object",
    default_severity: Severity::Warning,
    check: None,
    check_site: None,
};
