//! # syntax-error
//!
//! ## What it finds
//! A statement that PostgreSQL's own parser rejects. pgvet parses with the server's grammar
//! (libpg_query), so if pgvet cannot parse it, neither can the server.
//!
//! ## Why it matters
//! The migration fails when it runs. pgvet skips the statement and keeps analysing the rest of
//! the file and project, so everything after it is still checked, but the schema it would have
//! created is missing from pgvet's model.
//!
//! ## Example
//! ```sql
//! CREATE TABEL accounts (id int);   -- error: syntax error at or near "TABEL"
//! ```
//!
//! ## Fix
//! Correct the statement. The diagnostic points at the token the server points at.
use super::RuleMeta;
use crate::diagnostic::Severity;

pub const META: RuleMeta = RuleMeta {
    id: "syntax-error",
    summary: "a statement PostgreSQL cannot parse",
    default_severity: Severity::Error,
    check: None,
    check_site: None,
};
