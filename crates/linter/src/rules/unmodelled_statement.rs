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

#[cfg(test)]
mod tests {
    use crate::test_util::lines;

    const RULE: &str = "unmodelled-statement";

    #[test]
    fn fires() {
        let cases = [
            ("CREATE TABLE a (id int);\nDO $$ BEGIN\n  IF EXISTS (SELECT 1 FROM a) THEN ALTER TABLE a ADD COLUMN x int; END IF;\nEND $$;", vec![2]),
            ("DO $$ BEGIN EXECUTE 'CREATE TABLE t_' || to_char(now(), 'YYYY') || ' (id int)'; END $$;", vec![1]),
            ("CREATE FUNCTION mk(n text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE format('CREATE TABLE %I (id int)', n); END $$;\nSELECT mk(current_user);", vec![2]),
        ];
        for (sql, want) in cases {
            assert_eq!(lines(sql, RULE), want, "{sql}");
        }
    }

    #[test]
    fn stays_silent() {
        let cases = [
            "DO $$ BEGIN CREATE TYPE mood AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN null; END $$;",
            "CREATE TABLE a (id int);\nDO $$ DECLARE y int; BEGIN FOR y IN 1..3 LOOP EXECUTE format('CREATE TABLE a_%s (id int)', y); END LOOP; END $$;",
            "CREATE FUNCTION mk(n text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE format('CREATE TABLE %I (id int)', n); END $$;\nSELECT mk('t1');",
            // data only: nothing to model
            "CREATE TABLE a (id int);\nDO $$ BEGIN UPDATE a SET id = id + 1; END $$;",
        ];
        for sql in cases {
            assert!(lines(sql, RULE).is_empty(), "{sql}: {:?}", lines(sql, RULE));
        }
    }
}
