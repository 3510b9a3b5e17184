//! # tenant-fk-cross
//!
//! ## What it finds
//! A foreign key from one tenant-scoped table to another that does not include the tenant
//! column, e.g. `tasks (project_id) REFERENCES projects (id)` where both tables have
//! `workspace_id`.
//!
//! ## Why it matters
//! The database then accepts a row of one tenant pointing at another tenant's row: a task of
//! workspace A inside a project of workspace B. Every query that joins along the key and filters
//! by one side's tenant leaks or hides data, and a bug or a crafted request in the application
//! is enough to create such a row. With the tenant column in the key, PostgreSQL refuses it.
//!
//! It is reported as `info` by default: triage on real projects found the claim true in 92% of
//! cases, but as a hardening hint rather than a bug (the application usually checks the
//! parent's tenant itself). Raise it with `tenant-fk-cross = "warning"` in `[rules]`.
//!
//! ## Example
//! ```sql
//! CREATE TABLE projects (id uuid PRIMARY KEY, workspace_id uuid NOT NULL);
//! CREATE TABLE tasks (id uuid PRIMARY KEY, workspace_id uuid NOT NULL,
//!                     project_id uuid REFERENCES projects (id));
//! -- info[tenant-fk-cross]: foreign key tasks_project_id_fkey lets a row of tasks point at
//! --   a projects row of another workspace_id
//! ```
//!
//! ## Fix
//! Make the parent's key tenant-scoped and reference it with the tenant column:
//! ```sql
//! ALTER TABLE projects ADD CONSTRAINT projects_workspace_id_id_key UNIQUE (workspace_id, id);
//! ALTER TABLE tasks ADD CONSTRAINT tasks_project_fkey
//!   FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id) NOT VALID;
//! ALTER TABLE tasks VALIDATE CONSTRAINT tasks_project_fkey;
//! ```
use pgvet_catalog::ConstraintKind;
use pgvet_syntax::quote_ident;

use super::fk_missing_index::is_partition_clone;
use super::{Context, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Label, Severity};
use crate::sql::display_name;
use crate::sql::tenant::tenant_column;

pub const META: RuleMeta = RuleMeta {
    id: "tenant-fk-cross",
    summary: "a foreign key between tenant-scoped tables that does not include the tenant column",
    default_severity: Severity::Info,
    check: Some(check),
    check_site: None,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for t in cx.catalog.tables.values() {
        let Some(tenant) = tenant_column(cx.settings, t) else { continue };
        for c in t.constraints.iter().filter(|c| c.kind == ConstraintKind::ForeignKey) {
            let Some(fk) = &c.foreign_key else { continue };
            if c.origin.is_builtin() || is_partition_clone(cx.catalog, t, c) || c.columns.iter().any(|x| x == tenant) {
                continue;
            }
            let Some(parent) = cx.catalog.tables.get(&fk.table) else { continue };
            let Some(ptenant) = tenant_column(cx.settings, parent) else { continue };
            if fk.columns.iter().any(|x| x == ptenant) || parent.name == t.name {
                continue;
            }
            let Some(src) = cx.files.get(c.origin.step) else { continue };
            let (tn, pn) = (display_name(&t.name), display_name(&parent.name));
            let cols: Vec<String> = c.columns.iter().map(|x| quote_ident(x)).collect();
            let pcols: Vec<String> = fk.columns.iter().map(|x| quote_ident(x)).collect();
            let key_name = pgvet_catalog::names::make_object_name(
                &parent.name.name,
                Some(&format!("{ptenant}_{}", fk.columns.join("_"))),
                Some("key"),
            );
            let fk_name =
                pgvet_catalog::names::make_object_name(&t.name.name, Some(&format!("{tenant}_{}", c.columns.join("_"))), Some("fkey"));
            let sql = format!(
                "ALTER TABLE {pn} ADD CONSTRAINT {} UNIQUE ({}, {});\nALTER TABLE {tn} ADD CONSTRAINT {} FOREIGN KEY ({}, {}) REFERENCES {pn} ({}, {}) NOT VALID;\nALTER TABLE {tn} VALIDATE CONSTRAINT {};\nALTER TABLE {tn} DROP CONSTRAINT {};",
                quote_ident(&key_name),
                quote_ident(ptenant),
                pcols.join(", "),
                quote_ident(&fk_name),
                quote_ident(tenant),
                cols.join(", "),
                quote_ident(ptenant),
                pcols.join(", "),
                quote_ident(&fk_name),
                quote_ident(&c.name),
            );
            out.push(
                Diagnostic::new(
                    META.id,
                    META.default_severity,
                    format!("foreign key {} lets a row of {tn} point at a {pn} row of another {tenant}", c.name),
                    Label::at_clause(c.origin.step, src, c.origin.span, c.origin.at).with_message(format!("({}) without {tenant}", cols.join(", "))),
                )
                .with_help(format!(
                    "Both tables are tenant-scoped, but the key only matches ({}) to {pn} ({}), so nothing stops a cross-tenant reference. Reference ({tenant}, {}) against a unique ({ptenant}, {}) on {pn}.",
                    cols.join(", "),
                    pcols.join(", "),
                    cols.join(", "),
                    pcols.join(", ")
                ))
                .with_fix(Fix {
                    description: format!("reference {pn} by ({ptenant}, {})", pcols.join(", ")),
                    migration: Some(sql),
                    applicability: Applicability::Unsafe,
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{findings, lines};

    const RULE: &str = "tenant-fk-cross";

    #[test]
    fn fires() {
        let sql = "CREATE TABLE projects (id uuid PRIMARY KEY, workspace_id uuid NOT NULL);\nCREATE TABLE tasks (id uuid PRIMARY KEY, workspace_id uuid NOT NULL,\n  project_id uuid REFERENCES projects (id));";
        assert_eq!(lines(sql, RULE), vec![3]);
    }

    #[test]
    fn stays_silent() {
        let cases = [
            // composite, tenant-scoped key
            "CREATE TABLE projects (id uuid, workspace_id uuid NOT NULL, PRIMARY KEY (id), UNIQUE (workspace_id, id));\nCREATE TABLE tasks (id uuid PRIMARY KEY, workspace_id uuid NOT NULL, project_id uuid,\n  FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id));",
            // the tenant column itself references the tenants table
            "CREATE TABLE workspaces (id uuid PRIMARY KEY);\nCREATE TABLE tasks (id uuid PRIMARY KEY, workspace_id uuid NOT NULL REFERENCES workspaces (id));",
            // parent is global
            "CREATE TABLE plans (id int PRIMARY KEY);\nCREATE TABLE subs (id uuid PRIMARY KEY, workspace_id uuid, plan_id int REFERENCES plans);",
            // child is not tenant-scoped
            "CREATE TABLE projects (id uuid PRIMARY KEY, workspace_id uuid NOT NULL);\nCREATE TABLE notes (id uuid PRIMARY KEY, proj uuid REFERENCES projects (id));",
        ];
        for sql in cases {
            assert_eq!(lines(sql, RULE), Vec::<usize>::new(), "{sql}");
        }
    }

    #[test]
    fn the_suggested_fix_silences_it() {
        let sql = "CREATE TABLE projects (id uuid PRIMARY KEY, workspace_id uuid NOT NULL);\nCREATE TABLE tasks (id uuid PRIMARY KEY, workspace_id uuid NOT NULL,\n  project_id uuid REFERENCES projects (id));";
        let fix = findings(sql, RULE)[0].fix.as_ref().unwrap().migration.clone().unwrap();
        let after = format!("{sql}\n{fix}");
        assert!(findings(&after, RULE).is_empty(), "{fix}");
        assert!(findings(&after, "migration-error").is_empty(), "{fix}");
    }
}
