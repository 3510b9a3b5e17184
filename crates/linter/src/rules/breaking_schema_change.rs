//! # breaking-schema-change
//!
//! ## What it finds
//! A rename or drop of a table or column that existed before the migration, and a dropped primary
//! key or unique constraint. (squawk: renaming-column, renaming-table, ban-drop-column,
//! ban-drop-table, ban-drop-constraint.)
//!
//! ## Why it matters
//! Migrations run before (or while) the new application version rolls out: the version still
//! serving requests reads the old name and fails with 42703 / 42P01 until every instance is
//! replaced. Code of this project that still uses the old name is reported by `unknown-column` /
//! `unknown-relation`, naming this migration.
//!
//! ## Why it is `info` by default
//! Projects that stop the application for migrations, and tables nothing reads any more, make
//! these safe; pgvet cannot tell.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users RENAME COLUMN name TO full_name;
//! ```
//!
//! ## Fix
//! Expand and contract: add the new column (or a view with the new name), write both, move the
//! readers, then drop the old one in a later release.
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::sql::ddl_locks::changes;
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "breaking-schema-change",
    summary: "a rename or drop of an existing table or column breaks the application version still running",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    for ch in changes(site)
        .iter()
        .filter(|c| matches!(c.form, "rename_column" | "rename_table" | "drop_column" | "drop_table" | "drop_constraint"))
    {
        let table = crate::sql::display_name(&ch.table.name);
        // A dropped primary key or unique constraint: ON CONFLICT targets on it stop matching.
        let key = ch
            .table
            .constraints
            .iter()
            .find(|c| c.name == ch.name)
            .filter(|c| matches!(c.kind, pgvet_catalog::ConstraintKind::PrimaryKey | pgvet_catalog::ConstraintKind::Unique));
        if ch.form == "drop_constraint" && key.is_none() {
            continue;
        }
        let (what, state) = match ch.form {
            "drop_constraint" => (
                format!("dropping key {} of {table} (ON CONFLICT targets on it stop matching)", pgvet_syntax::quote_ident(&ch.name)),
                "42P10",
            ),
            "rename_column" => (format!("renaming column {} of {table}", pgvet_syntax::quote_ident(&ch.name)), "42703"),
            "drop_column" => (format!("dropping column {} of {table}", pgvet_syntax::quote_ident(&ch.name)), "42703"),
            "rename_table" => (format!("renaming table {table}"), "42P01"),
            _ => (format!("dropping table {table}"), "42P01"),
        };
        let label: Label = if ch.location >= 0 { site.label_word(ch.location) } else { site.label_at(-1) };
        out.push(
            Diagnostic::new(
                META.id,
                META.default_severity,
                format!("{what} breaks the application version that is still running: its queries fail with {state} until it is replaced"),
                label.with_message("the old name stops working here"),
            )
            .with_help("Expand and contract: add the new name alongside the old one, move the readers and writers, and remove the old name in a later release."),
        );
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "breaking-schema-change";

    #[test]
    fn fires_and_stays_silent() {
        let run = |b: &str| crate::test_util::second_migration("CREATE TABLE t (id int, a int);", b, RULE).len();
        assert_eq!(run("ALTER TABLE t RENAME COLUMN a TO b;"), 1);
        assert_eq!(run("ALTER TABLE t RENAME TO u;"), 1);
        assert_eq!(run("ALTER TABLE t DROP COLUMN a;"), 1);
        assert_eq!(run("DROP TABLE t;"), 1);
        assert_eq!(run("ALTER TABLE t ADD COLUMN b int;"), 0);
        let keyed =
            |b: &str| crate::test_util::second_migration("CREATE TABLE t (id int PRIMARY KEY, a int CHECK (a > 0));", b, RULE).len();
        assert_eq!(keyed("ALTER TABLE t DROP CONSTRAINT t_pkey;"), 1);
        assert_eq!(keyed("ALTER TABLE t DROP CONSTRAINT t_a_check;"), 0);
        assert_eq!(run("CREATE TABLE n (a int);\nALTER TABLE n RENAME COLUMN a TO b;\nDROP TABLE n;"), 0);
    }
}
