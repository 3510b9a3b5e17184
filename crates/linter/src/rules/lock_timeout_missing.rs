//! # lock-timeout-missing
//!
//! ## What it finds
//! A statement that takes SHARE or a stronger lock (one that stops reads or writes) on a table
//! that existed before the migration (per pgvet's lock oracle), in a migration that has not set `lock_timeout` before it.
//! (squawk: require-lock-timeout.)
//!
//! ## Why it matters
//! A lock request waits behind every query already running on the table, and every query after it
//! waits behind the request: one long transaction turns a millisecond `ALTER TABLE` into an outage.
//! With `SET lock_timeout = '2s'` the migration gives up instead (retry it later).
//!
//! ## Why it is `info` by default
//! Many teams set the timeout in the runner's connection settings, which pgvet cannot see.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ADD COLUMN note text;
//! ```
//!
//! ## Fix
//! ```sql
//! SET lock_timeout = '2s';
//! ALTER TABLE orders ADD COLUMN note text;
//! ```
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, describe, facts, setting_unset_and_unreported};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "lock-timeout-missing",
    summary: "a lock-taking statement on an existing table with no lock_timeout set before it",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    if !setting_unset_and_unreported(site, "lock_timeout", META.id, cx) {
        return;
    }
    // One finding per statement: its strongest lock.
    let strongest = changes(site)
        .iter()
        .filter_map(|c| facts(c.form).and_then(|f| f.strongest(c.role)).map(|m| (c, m)))
        // Locks that stop reads or writes (SHARE and stronger).
        .filter(|(_, m)| !matches!(*m, "AccessShareLock" | "RowShareLock" | "RowExclusiveLock" | "ShareUpdateExclusiveLock"))
        .max_by_key(|(_, m)| matches!(*m, "AccessExclusiveLock"));
    let Some((ch, mode)) = strongest else { return };
    let (name, _) = describe(mode);
    let table = crate::sql::display_name(&ch.table.name);
    out.push(
        Diagnostic::new(
            META.id,
            META.default_severity,
            format!(
                "this statement waits for {name} on {table} with no lock_timeout: while it waits, every query on {table} queues behind it"
            ),
            site.label_at(-1).with_message(format!("{name} on {table}")),
        )
        .with_fix(crate::Fix {
            description: "give up instead of queueing".into(),
            migration: Some("SET lock_timeout = '2s';  -- before the first statement that takes a lock".into()),
            applicability: crate::Applicability::Unsafe,
        }),
    );
}

#[cfg(test)]
mod tests {
    const RULE: &str = "lock-timeout-missing";

    #[test]
    fn fires_and_stays_silent() {
        let run = |b: &str| crate::test_util::second_migration("CREATE TABLE t (id int, a int);", b, RULE).len();
        assert_eq!(run("ALTER TABLE t ADD COLUMN c int;"), 1);
        assert_eq!(
            run("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;"),
            1,
            "VALIDATE's SHARE UPDATE EXCLUSIVE blocks no query"
        );
        assert_eq!(run("CREATE INDEX t_a ON t (a);"), 1);
        assert_eq!(run("CREATE INDEX t_a ON t (a);\nALTER TABLE t ADD COLUMN c int;"), 1, "once per migration");
        assert_eq!(run("SET lock_timeout = '2s';\nCREATE INDEX t_a ON t (a);"), 0);
        assert_eq!(run("CREATE TABLE n (a int);\nCREATE INDEX n_a ON n (a);"), 0);
    }

    #[test]
    fn the_setting_comes_from_statements_not_text() {
        let run = |b: &str| crate::test_util::second_migration("CREATE TABLE t (id int, a int);", b, RULE).len();
        assert_eq!(run("SET LOCAL lock_timeout TO '2s';\nCREATE INDEX t_a ON t (a);"), 0);
        assert_eq!(run("SELECT pg_catalog.set_config('lock_timeout', '2s', false);\nCREATE INDEX t_a ON t (a);"), 0);
        assert_eq!(run("RESET lock_timeout;\nCREATE INDEX t_a ON t (a);"), 0, "the migration took charge of it");
        assert_eq!(run("CREATE INDEX t_a ON t (a);\nSET lock_timeout = '2s';"), 1, "set after the statement");
        assert_eq!(run("SET deadlock_timeout = '2s';\nCREATE INDEX t_a ON t (a);"), 1, "another setting");
        assert_eq!(run("-- lock_timeout comes from the runner\nCREATE INDEX t_a ON t (a);"), 1, "a comment sets nothing");
        assert_eq!(run("SET statement_timeout = '5min';\nCREATE INDEX t_a ON t (a);"), 1);
        let retry = "CREATE FUNCTION pg_temp.retry(q text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('lock_timeout', '5s', true); EXECUTE q; END $$;\n";
        assert_eq!(run(&format!("{retry}SELECT pg_temp.retry('SELECT 1');\nCREATE INDEX t_a ON t (a);")), 0, "a function it calls sets it");
        assert_eq!(run(&format!("{retry}CREATE INDEX t_a ON t (a);")), 1, "defined, not called");
        assert_eq!(run("ALTER ROLE app SET lock_timeout = '2s';\nCREATE INDEX t_a ON t (a);"), 0, "managed per role");
    }
}
