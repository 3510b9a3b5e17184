//! # migration-error
//!
//! ## What it finds
//! A statement that PostgreSQL would reject when the migrations run in order: altering or
//! dropping an object that does not exist, creating one that already exists (without
//! `IF NOT EXISTS`), dropping something other objects depend on without `CASCADE`, a foreign
//! key to columns no unique constraint covers, a second primary key.
//!
//! ## Why it matters
//! A fresh database (a new developer, CI, a disaster-recovery restore) cannot be built from the
//! migrations. Production only works because it was patched by hand, or was migrated in a
//! different order.
//!
//! ## Example
//! ```sql
//! CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
//! ALTER TABLE order ADD COLUMN note text;   -- relation "order" does not exist
//! ```
//!
//! ## Fix
//! Correct the statement or the migration order. If the object comes from outside the project
//! (a platform schema, another repository), tell pgvet where those migrations are in
//! `pgvet.toml` (`[migrations] path`).
use super::RuleMeta;
use crate::diagnostic::Severity;

pub const META: RuleMeta = RuleMeta {
    id: "migration-error",
    summary: "a migration statement PostgreSQL would reject",
    default_severity: Severity::Warning,
    check: None,
    check_site: None,
};
