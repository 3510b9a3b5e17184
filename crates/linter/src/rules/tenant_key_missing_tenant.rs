//! # tenant-key-missing-tenant
//!
//! ## What it finds
//! On a tenant-scoped table (one with a tenant column: by default `tenant_id`, `workspace_id`,
//! `org_id`, `organization_id`, `account_id`, `team_id` or `project_id`, in snake or camel case;
//! see `[tenant] columns` in `pgvet.toml`), a primary key, unique constraint or unique index that
//! does not include the tenant column, and `ON CONFLICT` targets without it.
//!
//! Not a finding: a surrogate key (one column filled by a sequence, identity or
//! `gen_random_uuid()` default: unique across all tenants by construction), and tables declared
//! global (`[tenant] global-tables = ["plans"]`).
//!
//! ## Why it matters
//! A key without the tenant makes two tenants' rows collide. Through `ON CONFLICT ... DO UPDATE`
//! the second tenant silently *overwrites* the first tenant's row; without it, the second tenant
//! gets a 23505 for a name it never used. Field report 02: metrics, settings and heartbeats keyed
//! by `agent_id` alone were shared across workspaces until the keys became
//! `(workspace_id, agent_id, ...)`.
//!
//! ## Example
//! ```sql
//! CREATE TABLE org_studio_heartbeats (
//!   agent_id text PRIMARY KEY,
//!   workspace_id text,
//!   seen_at timestamptz
//! );
//! -- warning[tenant-key-missing-tenant]: primary key org_studio_heartbeats_pkey (agent_id) of
//! --   tenant-scoped table org_studio_heartbeats does not include workspace_id
//! ```
//!
//! ## Fix
//! Put the tenant column first in the key, then move `ON CONFLICT` targets to the new key in the
//! same release:
//! ```sql
//! CREATE UNIQUE INDEX CONCURRENTLY org_studio_heartbeats_workspace_id_agent_id_key
//!   ON org_studio_heartbeats (workspace_id, agent_id);
//! ```
//! If the table really is shared by all tenants, declare it global in `pgvet.toml`.
use pgvet_catalog::{Index, IndexKey, Table};
use pgvet_syntax::protobuf::node::Node as N;
use pgvet_syntax::{expr_columns, quote_ident};

use super::on_conflict_other_unique::is_surrogate;
use super::{Context, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Label, Severity};
use crate::sql::arbiter::{self, Verdict};
use crate::sql::tenant::tenant_column;
use crate::sql::{display_name, upserts, Site};

pub const META: RuleMeta = RuleMeta {
    id: "tenant-key-missing-tenant",
    summary: "a key or ON CONFLICT target of a tenant-scoped table without the tenant column",
    default_severity: Severity::Warning,
    check: Some(check),
    check_site: Some(check_site),
};

fn key_has(i: &Index, col: &str) -> bool {
    i.keys.iter().any(|k| match k {
        IndexKey::Column(c) => c == col,
        IndexKey::Expression(x) => crate::sql::expression_columns(x).iter().any(|c| c == col),
    })
}

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for t in cx.catalog.tables.values() {
        if t.partition_of.is_some() {
            continue; // reported on the parent
        }
        let Some(tenant) = tenant_column(cx.settings, t) else { continue };
        for i in cx.catalog.indexes_of(&t.name) {
            if !i.unique || key_has(i, tenant) || is_surrogate(t, i) || i.origin.is_builtin() {
                continue;
            }
            let Some(src) = cx.files.get(i.origin.step) else { continue };
            let con = i.constraint.as_ref().and_then(|c| t.constraint(c));
            let (what, origin) = match con {
                Some(c) if c.kind == pgvet_catalog::ConstraintKind::PrimaryKey => ("primary key", c.origin),
                Some(c) => ("unique constraint", c.origin),
                None => ("unique index", i.origin),
            };
            let tname = display_name(&t.name);
            let keys = arbiter::key_text(i);
            let d = Diagnostic::new(
                META.id,
                META.default_severity,
                format!("{what} {} {keys} of tenant-scoped table {tname} does not include {tenant}", i.name.name),
                Label::at_clause(origin.step, src, origin.span, origin.at).with_message(format!("unique across all tenants, not per {tenant}")),
            )
            .with_help(format!(
                "Rows of different tenants collide on this key: an upsert on it overwrites another tenant's row, a plain insert fails with 23505. Make the key ({tenant}, ...) and move ON CONFLICT targets to it; if {tname} is shared by all tenants on purpose, add it to [tenant] global-tables in pgvet.toml."
            ))
            .with_fix(fix(t, i, tenant));
            out.push(d);
        }
    }
}

fn fix(t: &Table, i: &Index, tenant: &str) -> Fix {
    let mut cols = vec![quote_ident(tenant)];
    let mut names = vec![tenant.to_string()];
    for k in &i.keys {
        match k {
            IndexKey::Column(c) => {
                cols.push(quote_ident(c));
                names.push(c.clone());
            }
            IndexKey::Expression(x) => cols.push(format!("({x})")),
        }
    }
    let name = pgvet_catalog::names::make_object_name(&t.name.name, Some(&pgvet_catalog::names::name_addition(&names)), Some("key"));
    let pred = i.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default();
    Fix {
        description: format!("add the tenant-scoped key ({}) and retire {}", cols.join(", "), i.name.name),
        migration: Some(format!(
            "CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({}){pred};\n-- after ON CONFLICT targets use the new key:\n-- DROP INDEX CONCURRENTLY {};  (ALTER TABLE ... DROP CONSTRAINT for a constraint)",
            quote_ident(&name),
            display_name(&t.name),
            cols.join(", "),
            quote_ident(&i.name.name)
        )),
        applicability: Applicability::Unsafe,
    }
}

fn check_site(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    for (ins, table) in upserts(site) {
        let Some(tenant) = tenant_column(cx.settings, table) else { continue };
        let Some(oc) = ins.on_conflict_clause.as_deref() else { continue };
        let Some(infer) = oc.infer.as_deref() else { continue };
        // A target that matches no key is on-conflict-no-unique-index's finding.
        if !matches!(arbiter::infer(site.catalog, table, oc), Verdict::Arbiters(_)) {
            continue;
        }
        let mut cols = Vec::new();
        if infer.conname.is_empty() {
            for e in &infer.index_elems {
                let Some(N::IndexElem(ie)) = e.node.as_ref() else { continue };
                if !ie.name.is_empty() {
                    cols.push(ie.name.clone());
                } else if let Some(x) = ie.expr.as_deref() {
                    cols.extend(expr_columns(x));
                }
            }
        } else if let Verdict::Arbiters(a) = arbiter::infer(site.catalog, table, oc) {
            if let Some(i) = a.first().and_then(|q| site.catalog.indexes.get(q)) {
                if is_surrogate(table, i) {
                    continue;
                }
                cols.push(if key_has(i, tenant) { tenant.to_string() } else { String::new() });
            }
        }
        if cols.is_empty() || cols.iter().any(|c| c == tenant) {
            continue;
        }
        // A surrogate key as the target is fine.
        if let Verdict::Arbiters(a) = arbiter::infer(site.catalog, table, oc) {
            if a.iter().filter_map(|q| site.catalog.indexes.get(q)).any(|i| is_surrogate(table, i)) {
                continue;
            }
        }
        let tname = display_name(&table.name);
        out.push(
            Diagnostic::new(
                META.id,
                META.default_severity,
                format!("ON CONFLICT target on tenant-scoped table {tname} does not include {tenant}: a row of another tenant with the same key is treated as this row"),
                site.label_at(oc.location).with_message(format!("no {tenant} in the conflict target")),
            )
            .with_help(format!(
                "With DO UPDATE this overwrites the other tenant's row; with DO NOTHING it silently drops this tenant's row. Use a key that starts with {tenant}: ON CONFLICT ({tenant}, ...), backed by a unique index on those columns."
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::lines;

    const RULE: &str = "tenant-key-missing-tenant";

    #[test]
    fn fires() {
        let cases = [
            ("CREATE TABLE h (\n  agent_id text PRIMARY KEY,\n  workspace_id text);", vec![2]),
            ("CREATE TABLE s (id text PRIMARY KEY, workspace_id uuid, name text,\n  UNIQUE (name));", vec![1, 2]),
            ("CREATE TABLE m (id bigserial PRIMARY KEY, workspace_id text, agent_id text, day date);\nCREATE UNIQUE INDEX ON m (agent_id, day);", vec![2]),
            // camelCase tenant column (Prisma)
            ("CREATE TABLE \"Doc\" (\"id\" text PRIMARY KEY, \"orgId\" text NOT NULL);", vec![1]),
            // ON CONFLICT without the tenant column
            ("CREATE TABLE m (workspace_id int, agent_id text, v int, UNIQUE (workspace_id, agent_id), UNIQUE (agent_id));\nINSERT INTO m VALUES (1, 'a', 1)\n  ON CONFLICT (agent_id) DO UPDATE SET v = excluded.v;", vec![1, 3]),
        ];
        for (sql, want) in cases {
            assert_eq!(lines(sql, RULE), want, "{sql}");
        }
    }

    #[test]
    fn stays_silent() {
        let cases = [
            "CREATE TABLE h (agent_id text, workspace_id text, PRIMARY KEY (workspace_id, agent_id));",
            // surrogate keys
            "CREATE TABLE t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workspace_id uuid);",
            "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id uuid);",
            "CREATE TABLE t (id bigserial PRIMARY KEY, workspace_id uuid);\nINSERT INTO t (id, workspace_id) VALUES (1, '00000000-0000-0000-0000-000000000000') ON CONFLICT (id) DO NOTHING;",
            // not tenant-scoped
            "CREATE TABLE plans (code text PRIMARY KEY, price int);",
            // tenant column inside an expression key
            "CREATE TABLE t (id bigserial PRIMARY KEY, workspace_id text, name text);\nCREATE UNIQUE INDEX ON t (coalesce(workspace_id, ''), lower(name));",
            // ON CONFLICT with the tenant column
            "CREATE TABLE m (workspace_id int, agent_id text, v int, UNIQUE (workspace_id, agent_id));\nINSERT INTO m VALUES (1, 'a', 1) ON CONFLICT (agent_id, workspace_id) DO UPDATE SET v = excluded.v;",
        ];
        for sql in cases {
            assert_eq!(lines(sql, RULE), Vec::<usize>::new(), "{sql}");
        }
    }

    #[test]
    fn global_tables_are_exempt() {
        let sql = "CREATE TABLE feature_flags (key text PRIMARY KEY, workspace_id uuid);";
        let files = vec![crate::MigrationFile { source: pgvet_syntax::SourceFile::new("m.sql", sql), transactional: true, host: None }];
        let settings = crate::Settings { global_tables: vec!["feature_flags".into()], ..Default::default() };
        let a = crate::analyze(files, pgvet_catalog::Catalog::new(), &settings);
        assert!(a.diagnostics.iter().all(|d| d.rule != RULE), "{:#?}", a.diagnostics);
    }
}
