//! # fk-missing-index
//!
//! ## What it finds
//! A foreign key whose columns are not, as a set, the leading columns of a valid, non-partial
//! btree index on the referencing table. A composite primary key or unique constraint that starts
//! with the foreign-key columns counts; so does a partial index whose only condition is
//! `fk IS NOT NULL` (implied by the lookup). An index on the same columns in another order
//! counts (the columns are compared as a set). A table that a statement pgvet could not follow
//! names (`unmodelled-statement`, e.g. `EXECUTE format('CREATE INDEX ... ON %I ...', t)`) is
//! skipped: that statement may have built the index.
//!
//! It is a warning when the project deletes the parent's rows: SQL `DELETE` in code, query
//! files or function bodies, an ORM or query-builder delete (Prisma, Supabase, Drizzle), or an
//! `ON DELETE CASCADE` from a table it deletes; the finding points at that delete (a test's
//! cleanup does not count: tests are not the application). Otherwise it
//! is `info` (counted, listed with `--show-info`): an index the lookup would use, with nothing
//! in the project that runs the lookup. With `--database-url`, a child table of a million rows
//! or more makes it a warning too.
//!
//! ## Why it matters
//! Whenever a referenced row is deleted, or its key updated, PostgreSQL runs
//! `SELECT 1 FROM ONLY child WHERE fk = $1` to find referencing rows. Without an index that is a
//! sequential scan of the child table for every parent row, holding locks while it runs, and the
//! same missing index slows every join along the relationship. One real project measured 10-100x
//! slower queries on six such tables. PostgreSQL does not create this index for you (it does for
//! the referenced side's primary key only).
//!
//! ## Example
//! ```sql
//! CREATE TABLE automation_nodes (
//!   id uuid PRIMARY KEY,
//!   workflow_id uuid NOT NULL REFERENCES automation_workflows (id) ON DELETE CASCADE
//! );
//! -- warning[fk-missing-index]: foreign key automation_nodes_workflow_id_fkey has no index
//! ```
//!
//! ## Fix
//! Add the index in a new migration. On a table that already holds data, build it
//! `CONCURRENTLY` (outside a transaction) so writes are not blocked:
//! ```sql
//! CREATE INDEX CONCURRENTLY automation_nodes_workflow_id_idx ON automation_nodes (workflow_id);
//! ```
//! If the parent rows are never deleted or re-keyed and nothing joins along the key, suppress
//! it with a reason: `-- pgvet-ignore fk-missing-index: workflows are never deleted`.
use pgvet_catalog::{Catalog, Constraint, ConstraintKind, Index, IndexKey, Table};
use pgvet_syntax::quote_ident;

use super::{Context, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Label, Severity};
use crate::sql::display_name;

pub const META: RuleMeta = RuleMeta {
    id: "fk-missing-index",
    summary: "a foreign key with no index on its columns",
    default_severity: Severity::Warning,
    check: Some(check),
    check_site: None,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let deleted = crate::code::with_cascades(cx.catalog, cx.deleted);
    for t in cx.catalog.tables.values() {
        for c in t.constraints.iter().filter(|c| c.kind == ConstraintKind::ForeignKey) {
            // An unmodelled statement that names the table may have built the index. One that
            // names nothing pgvet can read (a whole schema uncertain) does not silence this rule:
            // such statements create relations of computed names, they do not index existing ones.
            let withheld = cx.catalog.uncertain.relations.get(&t.name).copied();
            if is_partition_clone(cx.catalog, t, c) || served(cx.catalog, t, &c.columns) || c.origin.is_builtin() {
                continue;
            }
            let Some(src) = cx.files.get(c.origin.step) else { continue };
            let Some(fk) = &c.foreign_key else { continue };
            let cols = c.columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
            let idx_name =
                pgvet_catalog::names::make_object_name(&t.name.name, Some(&pgvet_catalog::names::name_addition(&c.columns)), Some("idx"));
            let table = display_name(&t.name);
            let parent = display_name(&fk.table);
            let sql = format!("CREATE INDEX CONCURRENTLY {} ON {table} ({cols});", quote_ident(&idx_name));
            // Evidence: the project deletes the parent's rows (directly or through a cascade).
            let evidence = deleted.get(&fk.table);
            let severity = if evidence.is_some() { Severity::Warning } else { Severity::Info };
            let because = match evidence {
                Some(e) => match &e.cascade_from {
                    None => format!("; the project deletes rows of {parent}"),
                    Some(root) => {
                        format!("; the project deletes rows of {parent} (with those of {}, ON DELETE CASCADE)", display_name(root))
                    }
                },
                None => String::new(),
            };
            let mut d = Diagnostic::new(
                META.id,
                severity,
                format!("foreign key {} on {table} ({cols}) has no index{because}", c.name),
                Label::at_clause(c.origin.step, src, c.origin.span, c.origin.at).with_message("no index starts with these columns"),
            )
            .with_help(format!(
                "Every DELETE on {parent} (and every update of its key) looks up matching rows in {table} by ({cols}); without an index that is a full scan of {table} per parent row, and joins along this key are slow too. Build the index CONCURRENTLY, outside a transaction, on a table that already holds data."
            ))
            .with_fix(Fix { description: format!("add an index on {table} ({cols})"), migration: Some(sql), applicability: Applicability::Safe });
            match evidence {
                Some(e) => {
                    let root = e.cascade_from.as_ref().map(display_name).unwrap_or_else(|| parent.clone());
                    d = d.with_related(e.at.clone().with_message(format!("rows of {root} are deleted here")));
                }
                None => {
                    let help = d.help.take().unwrap_or_default();
                    d = d.with_help(format!(
                        "{help} pgvet found nothing in the project that deletes rows of {parent} (code, functions, query files, or a cascade from a table it deletes), so this is a hint, not a warning; if something else deletes them, it is one."
                    ));
                }
            }
            if let Some(pt) = cx
                .catalog
                .tables
                .get(&fk.table)
                .filter(|pt| !pt.origin.is_builtin() && pt.origin.step < cx.files.len() && pt.name != t.name)
            {
                let f = &cx.files[pt.origin.step];
                d = d.with_related(
                    Label::at_clause(pt.origin.step, f, pt.origin.span, Some(pt.origin.span.start))
                        .with_message(format!("{parent} is defined here")),
                );
            }
            out.push(d.withheld_if(withheld));
        }
    }
}

/// A partition's copy of its parent's foreign key is reported once, on the parent.
pub fn is_partition_clone(cat: &Catalog, t: &Table, c: &Constraint) -> bool {
    t.partition_of
        .as_ref()
        .and_then(|p| cat.tables.get(p))
        .is_some_and(|p| p.constraint(&c.name).is_some_and(|pc| pc.kind == ConstraintKind::ForeignKey))
}

/// Whether some index lets PostgreSQL find referencing rows by these columns.
pub fn served(cat: &Catalog, t: &Table, cols: &[String]) -> bool {
    cat.indexes_of(&t.name).any(|i| serves(i, cols))
}

fn serves(i: &Index, cols: &[String]) -> bool {
    if !i.valid || i.method != "btree" || i.keys.len() < cols.len() {
        return false;
    }
    let leading: Vec<&str> = i.keys[..cols.len()]
        .iter()
        .filter_map(|k| match k {
            IndexKey::Column(c) => Some(c.as_str()),
            IndexKey::Expression(_) => None,
        })
        .collect();
    if leading.len() != cols.len() || !cols.iter().all(|c| leading.contains(&c.as_str())) {
        return false;
    }
    match &i.predicate {
        None => true,
        Some(p) => predicate_implied(p, cols),
    }
}

/// `fk IS NOT NULL` (alone or AND-ed) is implied by `fk = $1`; anything else is not.
fn predicate_implied(pred: &str, cols: &[String]) -> bool {
    pred.split(" AND ").all(|part| {
        let part = part.trim().trim_start_matches('(').trim_end_matches(')');
        part.strip_suffix(" IS NOT NULL").is_some_and(|c| cols.iter().any(|x| quote_ident(x) == c.trim()))
    })
}

#[cfg(test)]
mod tests {
    use crate::test_util::{findings, lines};

    const RULE: &str = "fk-missing-index";

    #[test]
    fn fires() {
        let cases = [
            // plain column reference
            ("CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (id int PRIMARY KEY,\n  p_id int REFERENCES p);", vec![3]),
            // drizzle-kit (before 0.30) adds every foreign key in a DO block
            (
                "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int);\nDO $$ BEGIN\n ALTER TABLE c ADD CONSTRAINT c_p_id_p_id_fk FOREIGN KEY (p_id) REFERENCES p (id);\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;",
                vec![3],
            ),
            // composite FK, index on one column only
            ("CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));\nCREATE TABLE c (a int, b int,\n  FOREIGN KEY (a, b) REFERENCES p);\nCREATE INDEX ON c (b);", vec![3]),
            // FK column is not leading
            ("CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (x int, p_id int REFERENCES p);\nCREATE INDEX ON c (x, p_id);", vec![2]),
            // partial index with an unrelated predicate
            ("CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p, deleted_at timestamptz);\nCREATE INDEX ON c (p_id) WHERE deleted_at IS NULL;", vec![2]),
            // hash index cannot serve it
            ("CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p);\nCREATE INDEX ON c USING hash (p_id);", vec![2]),
            // an expression index does not count
            ("CREATE TABLE p (id text PRIMARY KEY);\nCREATE TABLE c (p_id text REFERENCES p);\nCREATE INDEX ON c (lower(p_id));", vec![2]),
            // index dropped by a later migration
            ("CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p);\nCREATE INDEX c_p ON c (p_id);\nDROP INDEX c_p;", vec![2]),
            // added by ALTER TABLE
            ("CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (id int);\nALTER TABLE c ADD COLUMN p_id int,\n  ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p;", vec![4]),
            // partitioned: one finding on the parent, not one per partition
            ("CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p, at date) PARTITION BY RANGE (at);\nCREATE TABLE c1 PARTITION OF c FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');", vec![2]),
        ];
        for (sql, want) in cases {
            assert_eq!(lines(sql, RULE), want, "{sql}");
        }
    }

    #[test]
    fn stays_silent() {
        let cases = [
            "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p);\nCREATE INDEX ON c (p_id);",
            // composite, index in another order (set equality)
            "CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));\nCREATE TABLE c (a int, b int, FOREIGN KEY (a, b) REFERENCES p);\nCREATE INDEX ON c (b, a);",
            // composite PK starting with the FK column
            "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p, n int, PRIMARY KEY (p_id, n));",
            // unique constraint starting with the FK column
            "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p, y int, UNIQUE (p_id, y));",
            // partial index whose predicate is implied by the lookup
            "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p);\nCREATE INDEX ON c (p_id) WHERE p_id IS NOT NULL;",
            // index added in a later migration statement
            "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p);\nCREATE INDEX CONCURRENTLY c_p ON c (p_id);",
            // partitioned, indexed on the parent
            "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p, at date) PARTITION BY RANGE (at);\nCREATE TABLE c1 PARTITION OF c FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nCREATE INDEX ON c (p_id);",
            // suppressed with a reason
            "CREATE TABLE p (id int PRIMARY KEY);\n-- pgvet-ignore fk-missing-index: p rows are never deleted\nCREATE TABLE c (p_id int REFERENCES p);",
        ];
        for sql in cases {
            assert_eq!(lines(sql, RULE), Vec::<usize>::new(), "{sql}");
        }
    }

    #[test]
    fn field_report_04_and_its_fix() {
        let before = include_str!("../../tests/fixtures/field-report-04/before.sql");
        let found = findings(before, RULE);
        let msgs: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(found.len(), 6, "{msgs:#?}");
        for t in ["automation_nodes", "automation_connections", "credit_transactions", "support_ticket_messages"] {
            assert!(msgs.iter().any(|m| m.contains(&format!("on {t} "))), "{t} not reported: {msgs:#?}");
        }
        assert_eq!(msgs.iter().filter(|m| m.contains("on blog_comments ")).count(), 2);
        let fixed = format!("{before}\n{}", include_str!("../../tests/fixtures/field-report-04/fix.sql"));
        assert_eq!(findings(&fixed, RULE).len(), 0);
    }

    #[test]
    fn a_warning_only_when_the_project_deletes_the_parents_rows() {
        use crate::diagnostic::Severity;
        let tables = "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p ON DELETE CASCADE);\nCREATE TABLE g (c_id int REFERENCES c);\n";
        // Nothing deletes p or c: hints.
        let found = findings(tables, RULE);
        assert_eq!(found.len(), 2);
        assert!(
            found
                .iter()
                .all(|d| d.severity == Severity::Info && d.related.iter().all(|r| !r.message.as_deref().unwrap_or("").contains("deleted"))),
            "{found:#?}"
        );
        // A function deletes p: c's key is looked up (a warning pointing at the DELETE), and c's
        // rows go with p's, so g's key is looked up too.
        let deleting = format!("{tables}CREATE FUNCTION purge(x int) RETURNS void LANGUAGE sql AS $$ DELETE FROM p WHERE id = x $$;\n");
        let found = findings(&deleting, RULE);
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|d| d.severity == Severity::Warning), "{found:#?}");
        let on_g = found.iter().find(|d| d.message.contains(" on g ")).unwrap();
        assert!(on_g.message.contains("the project deletes rows of c (with those of p, ON DELETE CASCADE)"), "{}", on_g.message);
        assert!(
            on_g.related
                .iter()
                .any(|r| r.message.as_deref() == Some("rows of p are deleted here")
                    && r.span.start == deleting.find("DELETE FROM p").unwrap())
        );
    }

    #[test]
    fn the_suggested_fix_silences_it() {
        // Re-lint after applying the fix (squawk-style).
        let sql = "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p);";
        let d = &findings(sql, RULE)[0];
        let fix = d.fix.as_ref().unwrap().migration.clone().unwrap();
        assert_eq!(fix, "CREATE INDEX CONCURRENTLY c_p_id_idx ON c (p_id);");
        assert!(findings(&format!("{sql}\n{fix}"), RULE).is_empty());
    }
}
