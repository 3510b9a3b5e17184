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

#[cfg(test)]
mod tests {
    use crate::test_util::lines;

    const RULE: &str = "migration-error";

    #[test]
    fn fires() {
        let cases = [
            ("CREATE TABLE a (id int);\nALTER TABLE b ADD COLUMN x int;", vec![2]),
            // inside a DO block, an error its handler does not catch (42P07 is not duplicate_object)
            ("CREATE TABLE a (id int);\nDO $$ BEGIN CREATE TABLE a (id int); EXCEPTION WHEN duplicate_object THEN null; END $$;", vec![2]),
            // a guard that holds, then a statement that fails
            ("CREATE TABLE a (id int);\nDO $$ BEGIN\n  IF EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = 'a') THEN\n    ALTER TABLE a DROP COLUMN nope;\n  END IF;\nEND $$;", vec![2]),
        ];
        for (sql, want) in cases {
            assert_eq!(lines(sql, RULE), want, "{sql}");
        }
    }

    #[test]
    fn stays_silent() {
        let cases = [
            // the handler catches it
            "CREATE TYPE mood AS ENUM ('a');\nDO $$ BEGIN CREATE TYPE mood AS ENUM ('b'); EXCEPTION WHEN duplicate_object THEN null; END $$;",
            // the guard says no
            "CREATE TABLE a (id int, x int);\nDO $$ BEGIN\n  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'a' AND column_name = 'x') THEN\n    ALTER TABLE a ADD COLUMN x int;\n  END IF;\nEND $$;",
            // a column added by a DO block, used later
            "CREATE TABLE a (id int);\nDO $$ BEGIN ALTER TABLE a ADD COLUMN x int; END $$;\nCREATE INDEX ON a (x);",
            // a table whose creation pgvet could not follow
            "DO $$ BEGIN EXECUTE 'CREATE TABLE t_' || to_char(now(), 'YYYY') || ' (id int)'; END $$;\nALTER TABLE t_2030 ADD COLUMN x int;",
            // CONCURRENTLY outside a transaction (the test files run statement by statement)
            "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON a (id);",
        ];
        for sql in cases {
            assert!(lines(sql, RULE).is_empty(), "{sql}");
        }
    }
}
