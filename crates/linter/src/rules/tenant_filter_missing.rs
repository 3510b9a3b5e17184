//! # tenant-filter-missing
//!
//! ## What it finds
//! A SELECT, UPDATE or DELETE in application code (SQL strings, Supabase and Drizzle calls) on a
//! tenant-scoped table (see `tenant-key-missing-tenant` for what that is) that does not filter
//! on the tenant column. Not reported for Supabase calls made with an API-role client on a table
//! with row-level security: there the policies enforce the tenant.
//!
//! ## Why it is `info` by default
//! Most queries that do not name the tenant are scoped some other way: by a primary key that came
//! from a tenant-scoped read or an ownership check earlier in the request, by a parent row that
//! belongs to one tenant, by a helper that builds the `where`. Telling those apart needs the
//! origin of every key value across functions, which pgvet does not model yet. Measured on nine
//! real projects (ecosystem check, 2,887 findings triaged by hand), about 7% of findings were
//! real. So the rule is a review aid: `pgvet check --show-info` lists its findings; projects
//! whose queries always carry the tenant can make it a warning:
//! `[rules] tenant-filter-missing = "warning"` in `pgvet.toml`.
//!
//! ## Why it matters
//! Without the filter the query reads or changes every tenant's rows: one workspace's dashboard
//! shows another's numbers, an update meant for one tenant rewrites all of them. A typical
//! case: `getMetrics` and `getTeamMetrics` selected metrics by date only, across workspaces.
//!
//! ## Example
//! ```ts
//! await pool.query('SELECT agent_id, tokens FROM org_studio_agent_metrics WHERE date >= $1', [since]);
//! // info[tenant-filter-missing]: this query reads org_studio_agent_metrics of every workspace_id
//! ```
//!
//! ## Fix
//! Add the tenant to the filter: `WHERE workspace_id = $1 AND date >= $2`
//! (`.eq('workspace_id', ws)`, `and(eq(t.workspaceId, ws), ...)`).
use pgvet_code::{Call, Op};
use pgvet_syntax::NodeEnum;

use super::{Context, RuleMeta};
use crate::code::{drizzle_tables, mentions_column, resolve, runs_as_api_role};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::sql::display_name;
use crate::sql::tenant::tenant_column;
use crate::sql::{resolve_relation, Relation};

pub const META: RuleMeta = RuleMeta {
    id: "tenant-filter-missing",
    summary: "a query on a tenant-scoped table without a tenant filter (info: a review aid)",
    default_severity: Severity::Info,
    check: Some(check),
    check_site: None,
};

fn verb(op: Op) -> &'static str {
    match op {
        Op::Select => "reads",
        Op::Update => "updates",
        Op::Delete => "deletes",
        _ => "writes",
    }
}

fn report(out: &mut Vec<Diagnostic>, file: usize, span: pgvet_syntax::Span, op: Op, table: &str, tenant: &str) {
    out.push(
        Diagnostic::new(META.id, META.default_severity, format!("this query {} {table} of every {tenant}: it has no {tenant} filter", verb(op)), Label::new(file, span).with_message(format!("no {tenant} = ... here")))
            .with_help(format!("{table} is tenant-scoped by {tenant}. Add `{tenant} = <the caller's tenant>` to the filter, so one tenant never sees or changes another's rows.")),
    );
}

/// A membership-style table keyed by (tenant, principal), read by the principal: "which tenants
/// is this user in" is a cross-tenant question by design.
fn principal_lookup(t: &pgvet_catalog::Table, tenant: &str, filtered: &[String]) -> bool {
    let Some(pk) = t.constraints.iter().find(|c| c.kind == pgvet_catalog::ConstraintKind::PrimaryKey) else { return false };
    let others: Vec<&String> = pk.columns.iter().filter(|c| *c != tenant).collect();
    let principal = |c: &str| {
        let c = c.to_lowercase();
        ["user_id", "member_id", "profile_id", "owner_id", "account_id", "email"].contains(&c.as_str()) || c.ends_with("_did") || c == "did"
    };
    pk.columns.iter().any(|c| c == tenant) && !others.is_empty() && others.iter().all(|c| principal(c) && filtered.contains(c))
}

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let drizzle = drizzle_tables(cx.code);
    let models = crate::code::prisma_models(cx.code);
    let path = vec!["public".to_string()];
    // About production behaviour: tests, seeds and scripts are skipped (`[code] include-tests`).
    for f in cx.code.iter().filter(|f| cx.settings.is_production(&cx.files[f.file].path)) {
        for (si, s) in f.extraction.sites.iter().enumerate() {
            match &s.call {
                Call::Builder(b) if matches!(b.op, Op::Select | Op::Update | Op::Delete) => {
                    let r = resolve(cx.catalog, &drizzle, b);
                    let Some(t) = r.table else { continue };
                    let Some(tenant) = tenant_column(cx.settings, t) else { continue };
                    if runs_as_api_role(b) && t.rls_enabled {
                        continue;
                    }
                    // A filter pgvet cannot see in full (`where: buildWhere(...)`): not judged.
                    if b.filters.iter().any(|v| v.column == "*") {
                        continue;
                    }
                    let filtered: Vec<String> = b.filters.iter().map(|v| r.column(&v.column)).collect();
                    if filtered.iter().any(|c| c == tenant) || principal_lookup(t, tenant, &filtered) {
                        continue;
                    }
                    report(out, f.file, b.table_span, b.op, &display_name(&t.name), tenant);
                }
                Call::Prisma(p)
                    if p.op.starts_with("find") || p.op.starts_with("update") || p.op.starts_with("delete") || p.op == "count" =>
                {
                    if !p.complete {
                        continue; // a `where` pgvet cannot see in full
                    }
                    let Some((q, m)) = crate::code::prisma_model(&models, &p.model) else { continue };
                    let Some(t) = cx.catalog.tables.get(&q) else { continue };
                    let Some(tenant) = tenant_column(cx.settings, t) else { continue };
                    // A relation filter (`where: { team: { id } }`) filters by the relation's key
                    // fields (`teamId`).
                    let filtered: Vec<String> = p
                        .args
                        .iter()
                        .filter(|(k, _)| k == "where")
                        .flat_map(|(_, v)| v)
                        .filter_map(|v| m.field(&v.column))
                        .flat_map(|f| {
                            if f.relation {
                                f.relation_fields.iter().filter_map(|r| m.field(r).map(|x| x.column.clone())).collect::<Vec<_>>()
                            } else {
                                vec![f.column.clone()]
                            }
                        })
                        .collect();
                    // A compound unique (`workspaceId_agentId: {...}`) names its fields in the key.
                    let compound = p
                        .args
                        .iter()
                        .filter(|(k, _)| k == "where")
                        .flat_map(|(_, v)| v)
                        .any(|v| v.column.split('_').any(|part| m.field(part).is_some_and(|f| f.column == tenant)));
                    if filtered.iter().any(|c| c == tenant) || compound || principal_lookup(t, tenant, &filtered) {
                        continue;
                    }
                    let op = if p.op.starts_with("find") || p.op == "count" {
                        Op::Select
                    } else if p.op.starts_with("update") {
                        Op::Update
                    } else {
                        Op::Delete
                    };
                    report(out, f.file, p.op_span, op, &display_name(&t.name), tenant);
                }
                Call::Sql(q) if !q.dynamic => {
                    for st in f.sql[si].iter().flat_map(|p| &p.statements) {
                        let (op, rel, wh) = match &st.node {
                            NodeEnum::SelectStmt(sel) => {
                                let Some(pgvet_syntax::protobuf::node::Node::RangeVar(rv)) =
                                    sel.from_clause.first().and_then(|n| n.node.as_ref())
                                else {
                                    continue;
                                };
                                if sel.from_clause.len() != 1 {
                                    continue;
                                }
                                (Op::Select, rv.clone(), sel.where_clause.clone())
                            }
                            NodeEnum::UpdateStmt(u) => (Op::Update, u.relation.clone().unwrap_or_default(), u.where_clause.clone()),
                            NodeEnum::DeleteStmt(d) => (Op::Delete, d.relation.clone().unwrap_or_default(), d.where_clause.clone()),
                            _ => continue,
                        };
                        let Some(Relation::Table(t)) = resolve_relation(cx.catalog, &path, &rel.schemaname, &rel.relname) else { continue };
                        let Some(tenant) = tenant_column(cx.settings, t) else { continue };
                        if wh.as_deref().is_some_and(|w| mentions_column(w, tenant)) {
                            continue;
                        }
                        let filtered: Vec<String> = t
                            .columns
                            .iter()
                            .filter(|c| wh.as_deref().is_some_and(|w| mentions_column(w, &c.name)))
                            .map(|c| c.name.clone())
                            .collect();
                        if principal_lookup(t, tenant, &filtered) {
                            continue;
                        }
                        let at = q.file_offset(rel.location.max(0) as usize);
                        report(out, f.file, pgvet_syntax::Span::new(at, at + rel.relname.len()), op, &display_name(&t.name), tenant);
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::code_lines;

    const RULE: &str = "tenant-filter-missing";
    const SCHEMA: &str = "CREATE TABLE metrics (id bigserial PRIMARY KEY, workspace_id uuid NOT NULL, agent_id text, date date, tokens int);\nCREATE TABLE members (workspace_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (workspace_id, user_id));\nCREATE TABLE notes (id bigserial PRIMARY KEY, workspace_id uuid NOT NULL, body text);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON notes USING (true);";

    #[test]
    fn fires() {
        let src = "export async function getMetrics(pool, since) {\n  return pool.query('SELECT agent_id, tokens FROM metrics WHERE date >= $1', [since]);\n}\nexport async function wipe(pool, agent) {\n  await pool.query('DELETE FROM metrics WHERE agent_id = $1', [agent]);\n}\nasync function f(supabaseAdmin) { await supabaseAdmin.from('notes').select('body'); }";
        assert_eq!(
            code_lines(SCHEMA, &[("a.ts", src)], RULE),
            vec![("a.ts".to_string(), 2), ("a.ts".to_string(), 5), ("a.ts".to_string(), 7)]
        );
    }

    #[test]
    fn stays_silent() {
        let cases = [
            "async function f(pool, ws, since) { return pool.query('SELECT agent_id FROM metrics WHERE workspace_id = $1 AND date >= $2', [ws, since]); }",
            "async function f(supabase, ws) { await supabase.from('metrics').select('tokens').eq('workspace_id', ws); }",
            // RLS enforces the tenant for an API-role client
            "async function f(supabase) { await supabase.from('notes').select('body'); }",
            // which workspaces is this user in
            "async function f(supabase, uid) { await supabase.from('members').select('workspace_id').eq('user_id', uid); }",
        ];
        for src in cases {
            assert_eq!(code_lines(SCHEMA, &[("a.ts", src)], RULE), vec![], "{src}");
        }
    }

    /// Drizzle's relational queries (`db.query.t.findMany`): filters in `where`, as a call or an
    /// arrow function; a `where` built elsewhere is not judged.
    #[test]
    fn drizzle_relational_queries() {
        let defs = "export const metrics = pgTable('metrics', { id: bigserial('id'), workspaceId: uuid('workspace_id'), agentId: text('agent_id'), tokens: integer('tokens') });";
        let src = "export async function f(db, ws, a, w) {\n  await db.query.metrics.findMany({ where: eq(metrics.workspaceId, ws) });\n  await db.query.metrics.findFirst({ where: (m, { eq }) => eq(m.workspaceId, ws), columns: { tokens: true } });\n  await db.query.metrics.findMany({ where: w });\n  await db.query.metrics.findFirst({ where: (m, { eq }) => eq(m.agentId, a) });\n}";
        assert_eq!(code_lines(SCHEMA, &[("schema.ts", defs), ("a.ts", src)], RULE), vec![("a.ts".to_string(), 5)]);
    }

    /// Prisma: a relation filter on the tenant's relation scopes the query; a `where` pgvet
    /// cannot see in full is not judged.
    #[test]
    fn prisma_relation_filters() {
        let prisma = "model Workspace {\n  id String @id\n  notes Note[]\n  @@map(\"workspaces\")\n}\nmodel Note {\n  id Int @id\n  workspaceId String @map(\"workspace_id\")\n  workspace Workspace @relation(fields: [workspaceId], references: [id])\n  body String\n  @@map(\"notes\")\n}\n";
        let schema = "CREATE TABLE workspaces (id text PRIMARY KEY);\nCREATE TABLE notes (id int PRIMARY KEY, workspace_id text NOT NULL REFERENCES workspaces, body text);";
        let src = "export async function f(prisma, ws, where) {\n  await prisma.note.findMany({ where: { workspace: { id: ws } } });\n  await prisma.note.findMany(where);\n  await prisma.note.findMany({ where: { body: 'x' } });\n}";
        assert_eq!(code_lines(schema, &[("schema.prisma", prisma), ("a.ts", src)], RULE), vec![("a.ts".to_string(), 4)]);
    }

    #[test]
    fn suppressed_in_source() {
        let src = "export async function report(pool) {\n  // pgvet-ignore tenant-filter-missing: admin report across all workspaces\n  return pool.query('SELECT agent_id, tokens FROM metrics');\n}\nexport async function other(pool) {\n  return pool.query('SELECT tokens FROM metrics'); // pgvet-ignore tenant-filter-missing: same report\n}\n// pgvet-ignore lost-update: nothing here\nconst x = 1;";
        assert_eq!(code_lines(SCHEMA, &[("a.ts", src)], RULE), vec![]);
        assert_eq!(code_lines(SCHEMA, &[("a.ts", src)], "unused-suppression"), vec![("a.ts".to_string(), 8)]);
    }
}
