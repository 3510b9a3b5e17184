//! # constraint-missing-not-valid
//!
//! ## What it finds
//! `ALTER TABLE ... ADD CONSTRAINT ... CHECK (...)` or `FOREIGN KEY` without `NOT VALID` on a table
//! that existed before the migration. (squawk: constraint-missing-not-valid,
//! adding-foreign-key-constraint.)
//!
//! ## Why it matters
//! PostgreSQL checks every existing row while it holds the lock (pgvet's lock oracle, PostgreSQL
//! 15): ACCESS EXCLUSIVE on the table for a CHECK (no reads or writes), SHARE ROW EXCLUSIVE on
//! both tables for a foreign key (no writes on either, and the referenced table is often the
//! busiest one). Added `NOT VALID`, the constraint only takes the lock briefly; `VALIDATE
//! CONSTRAINT` then reads the rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.
//!
//! ## Why it is `info` by default
//! See `index-build-blocks-writes`: the cost depends on the table's size and traffic.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
//! ```
//!
//! ## Fix
//! ```sql
//! ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
//! ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;  -- in the next migration
//! ```
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, diagnostic};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "constraint-missing-not-valid",
    summary: "a CHECK or FOREIGN KEY added without NOT VALID checks every row under a lock",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    for ch in changes(site).iter().filter(|c| matches!(c.form, "add_check" | "add_foreign_key")) {
        let kind = if ch.form == "add_check" { "CHECK" } else { "FOREIGN KEY" };
        let table = crate::sql::display_name(&ch.table.name);
        let con = if ch.name.is_empty() { "<constraint>".to_string() } else { pgvet_syntax::quote_ident(&ch.name) };
        let fix = format!(
            "ALTER TABLE {table} ADD CONSTRAINT {con} ... NOT VALID;\n-- then, in the next migration:\nALTER TABLE {table} VALIDATE CONSTRAINT {con};"
        );
        if let Some(d) = diagnostic(&META, site, ch, &format!("{kind} constraint {con} is added without NOT VALID"), &fix) {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "constraint-missing-not-valid";

    fn run(a: &str, b: &str) -> Vec<String> {
        crate::test_util::second_migration(a, b, RULE).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn fires_and_stays_silent() {
        let base = "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (id int PRIMARY KEY, a int, p_id int);";
        let fk = run(base, "ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p (id);");
        assert_eq!(fk.len(), 1);
        assert!(fk[0].contains("SHARE ROW EXCLUSIVE on t") && fk[0].contains("on the referenced table too"), "{}", fk[0]);
        let ck = run(base, "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0);");
        assert!(ck.len() == 1 && ck[0].contains("ACCESS EXCLUSIVE on t") && ck[0].contains("reads every row"), "{ck:?}");
        assert!(run(base, "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT t_a_pos;")
            .is_empty());
        assert!(run(
            "CREATE TABLE p (id int PRIMARY KEY);",
            "CREATE TABLE t (id int, p_id int);\nALTER TABLE t ADD FOREIGN KEY (p_id) REFERENCES p (id);"
        )
        .is_empty());
    }
}
