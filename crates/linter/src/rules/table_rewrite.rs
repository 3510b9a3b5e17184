//! # table-rewrite
//!
//! ## What it finds
//! A change that makes PostgreSQL rewrite a table that existed before the migration: a column type
//! change that is not binary-coercible (`int` → `bigint`, `text` → `varchar(n)`), a column added
//! with a volatile default (`clock_timestamp()`, `gen_random_uuid()`), a `serial`, identity or
//! stored generated column. (squawk: changing-column-type, adding-field-with-default,
//! adding-serial-primary-key-field.)
//!
//! ## Why it matters
//! The rewrite copies every row and rebuilds every index under ACCESS EXCLUSIVE (pgvet's lock
//! oracle saw the table's file replaced): no reads or writes until it ends, and twice the disk
//! for the duration. A constant default (PostgreSQL 11+), `varchar(n)` to a longer `varchar` or to
//! `text` rewrite nothing and are not reported.
//!
//! ## Why it is `info` by default
//! See `index-build-blocks-writes`.
//!
//! ## Example
//! ```sql
//! ALTER TABLE events ALTER COLUMN id TYPE bigint;
//! -- info[table-rewrite]: changing the type of id rewrites the table ...
//! ```
//!
//! ## Fix
//! Add a new column, backfill it in batches, switch reads and writes to it, then drop the old
//! one; for a volatile default, add the column without a default, set the default afterwards
//! (applies to new rows only) and backfill existing rows in batches.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, diagnostic, facts};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "table-rewrite",
    summary: "a change that rewrites an existing table (and its indexes) under ACCESS EXCLUSIVE",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    // Schema changes that rewrite (VACUUM FULL and TRUNCATE have rules of their own).
    for ch in changes(site)
        .iter()
        .filter(|c| (c.form.starts_with("alter_type") || c.form.starts_with("add_column")) && facts(c.form).is_some_and(|f| f.rewrite))
    {
        let col = pgvet_syntax::quote_ident(&ch.name);
        let what = match ch.form {
            "alter_type_rewrite" => format!("changing the type of {col} rewrites the table"),
            "add_column_default_volatile" => format!("adding {col} with a volatile default rewrites the table"),
            _ => format!("adding {col} (serial, identity or stored generated) rewrites the table"),
        };
        let fix = "-- add a new column without a volatile default, backfill it in batches,\n-- switch the application over, then drop the old column";
        if let Some(d) = diagnostic(&META, site, ch, &what, fix) {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "table-rewrite";

    fn run(b: &str) -> usize {
        crate::test_util::second_migration("CREATE TABLE t (id int PRIMARY KEY, a int, v varchar(10), b text);", b, RULE).len()
    }

    #[test]
    fn rewrites_as_the_oracle_saw_them() {
        for sql in [
            "ALTER TABLE t ALTER COLUMN a TYPE bigint;",
            "ALTER TABLE t ALTER COLUMN b TYPE varchar(5);",
            "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp();",
            "ALTER TABLE t ADD COLUMN c serial;",
            "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY;",
        ] {
            assert_eq!(run(sql), 1, "{sql}");
        }
        for sql in [
            "ALTER TABLE t ADD COLUMN c int DEFAULT 0;",
            "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now();",
            "ALTER TABLE t ALTER COLUMN v TYPE varchar(20);",
            "ALTER TABLE t ALTER COLUMN v TYPE text;",
        ] {
            assert_eq!(run(sql), 0, "{sql}");
        }
    }
}
