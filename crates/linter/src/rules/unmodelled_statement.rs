//! # unmodelled-statement
//!
//! ## What it finds
//! A migration statement whose effect on the schema pgvet could not follow: a `DO` block or a
//! migration-defined function that runs SQL built from values pgvet cannot compute (the clock,
//! table data, a loop over table rows), or that branches on table data.
//!
//! ## Why it matters
//! pgvet replays `DO` blocks and the functions migrations call (DDL, catalog guards such as
//! `IF NOT EXISTS (SELECT ... FROM information_schema.columns ...)`, `EXCEPTION WHEN
//! duplicate_object`, `EXECUTE format(...)` over constants and loops). Where it cannot know what
//! a statement did, it does not guess: the relations, types and functions the statement may have
//! touched (or, when it cannot tell, the whole schema) become uncertain, and no finding that would
//! rest on them is reported (no "does not exist", no ON CONFLICT verdict, no migration error, no
//! missing index). This note says which statement that was, what it may have changed and how
//! many migration errors it withheld.
//!
//! ## Example
//! ```sql
//! DO $$ BEGIN
//!   EXECUTE 'CREATE TABLE log_' || to_char(now(), 'YYYY') || ' (id bigint)';  -- info: name depends on the clock
//! END $$;
//! ```
//!
//! ## Fix
//! Nothing is wrong. To let pgvet check what depends on the statement, write the DDL out
//! (`CREATE TABLE IF NOT EXISTS ...`), or compare with a real server: `pgvet schema --dev-db`.
use super::RuleMeta;
use crate::diagnostic::Severity;

pub const META: RuleMeta = RuleMeta {
    id: "unmodelled-statement",
    summary: "a migration statement whose effect pgvet could not follow (what it may touch is not judged)",
    default_severity: Severity::Info,
    check: None,
    check_site: None,
};
