//! # tenant-key-missing-tenant
//!
//! ## What it finds
//! On a tenant-scoped table (one with a tenant column: by default `tenant_id`, `workspace_id`,
//! `org_id`, `organization_id`, `account_id`, `team_id` or `project_id`, in snake or camel case;
//! see `[tenant] columns` in `pgvet.toml`), a key without the tenant column whose values tenants
//! choose, so that two tenants can pick the same one:
//! - a primary key, unique constraint or unique index that an upsert of the project (`ON
//!   CONFLICT` in query files, SQL in code, builder upserts, functions) uses as its target: the
//!   values come from the caller, and a second tenant's upsert lands on the first tenant's row;
//! - a unique key made only of names a tenant types (`name`, `title`, `label`, `display_name`):
//!   two tenants cannot both have a project called "default";
//! - at the upsert itself, an `ON CONFLICT` target without the tenant column.
//!
//! Not a finding: upserts in a function no API role may execute and no trigger runs (the
//! service's own code calls it, with values such as a payment provider's ids), keys with a
//! column filled by a generator (a sequence, identity,
//! `gen_random_uuid()` default, or a fresh value in the statement), keys with a foreign-key column
//! to a tenant-owned table (the key is per parent row, and the parent belongs to one tenant),
//! other keys nobody upserts on (surrogate ids made by the application, random tokens, provider
//! ids: measured on nine real projects, such keys were never a collision between tenants), and
//! tables declared global (`[tenant] global-tables = ["plans"]`). Globally unique slugs, emails
//! and domains are usually unique across tenants on purpose and are not reported.
//!
//! ## Why it matters
//! A key without the tenant makes two tenants' rows collide. Through `ON CONFLICT ... DO UPDATE`
//! the second tenant silently *overwrites* the first tenant's row; without it, the second tenant
//! gets a 23505 for a name it never used. A typical case: metrics, settings and heartbeats keyed
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
//! Add a key with the tenant column first, then move `ON CONFLICT` targets to the new key in the
//! same release (a primary key stays; a unique key without the tenant can be dropped once nothing
//! targets it):
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
    crate::sql::index_columns(i).contains(col)
}

/// Names tenants type: a key made only of these collides between tenants. (`code` and `key`
/// columns measured on real projects held generated invite codes and API keys, unique on
/// purpose: not names tenants type.)
const CHOSEN: &[&str] = &["name", "title", "label", "display_name"];

fn chosen_name(t: &Table, col: &str) -> bool {
    let snake: String =
        col.chars().flat_map(|c| if c.is_ascii_uppercase() { vec!['_', c.to_ascii_lowercase()] } else { vec![c] }).collect();
    let text = t.column(col).is_some_and(|c| {
        let ty = c.type_name.as_str();
        c.default.is_none() && (ty == "text" || ty.starts_with("character varying") || ty == "citext" || ty.starts_with("character("))
    });
    text && CHOSEN.contains(&snake.trim_start_matches('_'))
}

/// A key column filled by a generator: identity, a sequence or a random-uuid default.
fn generated(t: &Table, col: &str) -> bool {
    t.column(col).is_some_and(|c| {
        c.identity.is_some()
            || c.generated.is_some()
            || c.default.as_deref().is_some_and(|d| {
                let d = d.to_lowercase();
                ["nextval(", "gen_random_uuid(", "uuid_generate_", "uuidv4(", "uuidv7(", "random("].iter().any(|g| d.contains(g))
            })
    })
}

/// A key column that is a foreign key to a tenant-owned table: the key is per parent row.
fn scoped_by_parent(cx_settings: &crate::Settings, catalog: &pgvet_catalog::Catalog, t: &Table, col: &str) -> bool {
    t.constraints.iter().filter_map(|c| c.foreign_key.as_ref().map(|fk| (c, fk))).any(|(c, fk)| {
        c.columns.iter().any(|x| x == col)
            && catalog.tables.get(&fk.table).is_some_and(|p| p.name == t.name || tenant_column(cx_settings, p).is_some())
    })
}

/// Whether the key's values can be chosen by tenants at all: no generated column, no column
/// scoped by a tenant-owned parent.
fn tenant_chosen(cx_settings: &crate::Settings, catalog: &pgvet_catalog::Catalog, t: &Table, i: &Index) -> bool {
    let cols = crate::sql::index_columns(i);
    !is_surrogate(t, i) && !cols.iter().any(|c| generated(t, c) || scoped_by_parent(cx_settings, catalog, t, c))
}

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for t in cx.catalog.tables.values() {
        if t.partition_of.is_some() {
            continue; // reported on the parent
        }
        let Some(tenant) = tenant_column(cx.settings, t) else { continue };
        for i in cx.catalog.indexes_of(&t.name) {
            if !i.unique || key_has(i, tenant) || i.origin.is_builtin() || !tenant_chosen(cx.settings, cx.catalog, t, i) {
                continue;
            }
            let upserted = cx.upserted.contains(&i.name);
            let names = !i.keys.is_empty() && i.keys.iter().all(|k| matches!(k, IndexKey::Column(c) if chosen_name(t, c)));
            if !upserted && !names {
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
            let why = if upserted {
                format!("upserts of this project use it as their ON CONFLICT target, so a second tenant's row with the same {keys} lands on the first tenant's row")
            } else {
                format!("tenants choose these values, so two tenants cannot both use the same {keys}")
            };
            let d = Diagnostic::new(
                META.id,
                META.default_severity,
                format!("{what} {} {keys} of tenant-scoped table {tname} does not include {tenant}: {why}", i.name.name),
                Label::at_clause(origin.step, src, origin.span, origin.at).with_message(format!("unique across all tenants, not per {tenant}")),
            )
            .with_help(format!(
                "Rows of different tenants collide on this key: an upsert on it overwrites another tenant's row, a plain insert fails with 23505. Add a key ({tenant}, ...) and move ON CONFLICT targets to it; if {tname} is shared by all tenants on purpose, add it to [tenant] global-tables in pgvet.toml."
            ))
            .with_fix(fix(t, i, tenant, what == "primary key"));
            out.push(d);
        }
    }
}

fn fix(t: &Table, i: &Index, tenant: &str, primary: bool) -> Fix {
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
    let create =
        format!("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({}){pred};", quote_ident(&name), display_name(&t.name), cols.join(", "));
    if primary {
        // The primary key stays: rows keep their identity; conflict targets move to the new key.
        return Fix {
            description: format!("add the tenant-scoped key ({}) and point ON CONFLICT targets at it", cols.join(", ")),
            migration: Some(format!("{create}\n-- then: ON CONFLICT ({}) in every upsert of {}", cols.join(", "), display_name(&t.name))),
            applicability: Applicability::Unsafe,
        };
    }
    Fix {
        description: format!("add the tenant-scoped key ({}) and retire {}", cols.join(", "), i.name.name),
        migration: Some(format!(
            "{create}\n-- after ON CONFLICT targets use the new key:\n-- DROP INDEX CONCURRENTLY {};  (ALTER TABLE ... DROP CONSTRAINT for a constraint)",
            quote_ident(&i.name.name)
        )),
        applicability: Applicability::Unsafe,
    }
}

fn check_site(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    // A function only the service's own code may call: its values are not a tenant's choice.
    if !crate::sql::tenant_driven(site, cx.settings) {
        return;
    }
    for (ins, table) in upserts(site) {
        let Some(tenant) = tenant_column(cx.settings, table) else { continue };
        let Some(oc) = ins.on_conflict_clause.as_deref() else { continue };
        let Some(infer) = oc.infer.as_deref() else { continue };
        // `DO UPDATE ... WHERE excluded.workspace_id = t.workspace_id`: another tenant's row is
        // left alone.
        if oc.where_clause.as_deref().is_some_and(|w| expr_columns(w).iter().any(|c| c == tenant)) {
            continue;
        }
        // A migration copying rows (INSERT ... SELECT): the keys come from rows already in the
        // database, not from a tenant.
        if matches!(site.kind, crate::sql::SiteKind::Migration) && crate::sql::is_copy(ins) {
            continue;
        }
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
        // A key with a generated column or a column scoped by a tenant-owned parent is fine.
        if let Verdict::Arbiters(a) = arbiter::infer(site.catalog, table, oc) {
            if a.iter().filter_map(|q| site.catalog.indexes.get(q)).any(|i| !tenant_chosen(cx.settings, site.catalog, table, i)) {
                continue;
            }
        }
        // Values made fresh by the statement collide with no tenant's row.
        if let Some(inserted) = super::on_conflict_other_unique::inserted_columns(ins, table) {
            let fresh = super::on_conflict_other_unique::fresh_columns(ins, &inserted);
            if cols.iter().any(|c| fresh.contains(c)) {
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
    use crate::test_util::{lines, query_lines};

    const RULE: &str = "tenant-key-missing-tenant";

    #[test]
    fn fires() {
        let cases = [
            // names tenants type
            ("CREATE TABLE s (id text PRIMARY KEY, workspace_id uuid, name text,\n  UNIQUE (name));", vec![2]),
            ("CREATE TABLE \"Doc\" (\"id\" text PRIMARY KEY, \"orgId\" text NOT NULL,\n  \"displayName\" varchar(80), UNIQUE (\"displayName\"));", vec![2]),
            // ON CONFLICT without the tenant column, in a migration
            ("CREATE TABLE m (workspace_id int, agent_id text, v int, UNIQUE (workspace_id, agent_id), UNIQUE (agent_id));\nINSERT INTO m VALUES (1, 'a', 1)\n  ON CONFLICT (agent_id) DO UPDATE SET v = excluded.v;", vec![3]),
        ];
        for (sql, want) in cases {
            assert_eq!(lines(sql, RULE), want, "{sql}");
        }
    }

    /// Field report 02: keys that the application upserts on with its own values.
    #[test]
    fn keys_the_project_upserts_on() {
        let schema = "CREATE TABLE h (\n  agent_id text PRIMARY KEY,\n  workspace_id text);\nCREATE TABLE m (id bigserial PRIMARY KEY, workspace_id text, agent_id text, day date);\nCREATE UNIQUE INDEX ON m (agent_id, day);";
        let queries = "INSERT INTO h (agent_id, workspace_id) VALUES ($1, $2)\n  ON CONFLICT (agent_id) DO NOTHING;\nINSERT INTO m (workspace_id, agent_id, day) VALUES ($1, $2, $3) ON CONFLICT (agent_id, day) DO NOTHING;";
        let got = query_lines(schema, queries, RULE);
        assert_eq!(got, vec![("m.sql".into(), 2), ("m.sql".into(), 5), ("q.sql".into(), 2), ("q.sql".into(), 3)], "{got:?}");
        // Not upserted: an id the application makes, a token, a provider id.
        let quiet = "CREATE TABLE h (agent_id text PRIMARY KEY, workspace_id text, token text UNIQUE, provider_id text UNIQUE);";
        assert_eq!(query_lines(quiet, "SELECT agent_id FROM h WHERE token = $1;", RULE), vec![]);
    }

    #[test]
    fn a_service_only_function_is_not_a_tenants_upsert() {
        let schema = "CREATE TABLE billing_customers (id text PRIMARY KEY, account_id uuid, email text);\n";
        let function = "CREATE FUNCTION upsert_customer(p_id text, p_account uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$\n  INSERT INTO public.billing_customers (id, account_id) VALUES (p_id, p_account)\n  ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id $$;\n";
        // Callable by the API roles (PUBLIC by default): the key and the target are reported.
        assert_eq!(lines(&format!("{schema}{function}"), RULE), vec![1, 4]);
        // Only the service role may call it: a webhook writing the provider's ids.
        let service = format!(
            "{schema}{function}REVOKE EXECUTE ON FUNCTION upsert_customer(text, uuid) FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION upsert_customer(text, uuid) TO service_role;\n"
        );
        assert_eq!(lines(&service, RULE), Vec::<usize>::new());
    }

    #[test]
    fn stays_silent() {
        let cases = [
            "CREATE TABLE h (agent_id text, workspace_id text, PRIMARY KEY (workspace_id, agent_id));",
            // generated invite codes and API keys, unique across tenants on purpose
            "CREATE TABLE invite_links (id serial PRIMARY KEY, \"workspaceId\" int, code varchar(12) NOT NULL UNIQUE);",
            "CREATE TABLE api_keys (id text PRIMARY KEY DEFAULT gen_random_uuid()::text, organization_id text, key text NOT NULL UNIQUE);",
            // surrogate keys
            "CREATE TABLE t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workspace_id uuid);",
            "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id uuid);",
            "CREATE TABLE t (id bigserial PRIMARY KEY, workspace_id uuid);\nINSERT INTO t (id, workspace_id) VALUES (1, '00000000-0000-0000-0000-000000000000') ON CONFLICT (id) DO NOTHING;",
            // ids the application makes (Prisma's cuid()), tokens: nobody upserts on them
            "CREATE TABLE \"Doc\" (\"id\" text PRIMARY KEY, \"orgId\" text NOT NULL, \"token\" text UNIQUE);",
            // globally unique slugs and emails are usually on purpose
            "CREATE TABLE p (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid, slug text UNIQUE, email text UNIQUE);",
            // a key scoped by a tenant-owned parent
            "CREATE TABLE projects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workspace_id uuid);\nCREATE TABLE envs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workspace_id uuid, project_id uuid REFERENCES projects, name text, UNIQUE (project_id, name));\nINSERT INTO envs (workspace_id, project_id, name) VALUES ($1, $2, $3) ON CONFLICT (project_id, name) DO NOTHING;",
            // an update guarded by the tenant
            "CREATE TABLE c (oid uuid PRIMARY KEY, workspace_id uuid, blob bytea);\nINSERT INTO c VALUES ($1, $2, $3) ON CONFLICT (oid) DO UPDATE SET blob = excluded.blob WHERE excluded.workspace_id = c.workspace_id;",
            // a migration copying rows
            "CREATE TABLE a (id text PRIMARY KEY, workspace_id uuid);\nCREATE TABLE b (id text PRIMARY KEY, workspace_id uuid);\nINSERT INTO b SELECT id, workspace_id FROM a ON CONFLICT (id) DO NOTHING;",
            // a fresh value in the statement
            "CREATE TABLE k (ref text PRIMARY KEY, workspace_id uuid);\nINSERT INTO k (ref, workspace_id) VALUES (gen_random_uuid()::text, $1) ON CONFLICT (ref) DO NOTHING;",
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
        let files = vec![crate::MigrationFile {
            source: pgvet_syntax::SourceFile::new("m.sql", sql),
            transactional: true,
            host: None,
            reruns: true,
        }];
        let settings = crate::Settings { global_tables: vec!["feature_flags".into()], ..Default::default() };
        let a = crate::analyze(files, pgvet_catalog::Catalog::new(), &settings);
        assert!(a.diagnostics.iter().all(|d| d.rule != RULE), "{:#?}", a.diagnostics);
    }
}
