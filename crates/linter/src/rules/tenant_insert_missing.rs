//! # tenant-insert-missing
//!
//! ## What it finds
//! An INSERT (SQL string, Supabase `.insert`/`.upsert`, Drizzle `.insert().values()`) into a
//! tenant-scoped table that does not set the tenant column, when nothing else fills it: no column
//! default, no BEFORE INSERT trigger (which may set it), no ORM default (Drizzle `$defaultFn`,
//! `.default()`, Prisma `@default`). A NOT NULL tenant column makes this a warning (the insert
//! fails); a nullable one an `info`, since rows without a tenant (global defaults, such as
//! trigger.dev's `llm_models` without a project) are often allowed on purpose.
//!
//! ## Why it matters
//! The row lands without a tenant: a NOT NULL tenant column makes the insert fail (23502); a
//! nullable one creates a row that belongs to nobody, invisible to the tenant that wrote it or,
//! worse, visible to all. A typical case: an `agent_metrics`
//! INSERT that leaves `workspace_id` out.
//!
//! ## Example
//! ```ts
//! await pool.query('INSERT INTO org_studio_agent_metrics (agent_id, date, tokens) VALUES ($1, $2, $3)', [a, d, n]);
//! // warning[tenant-insert-missing]: this insert into org_studio_agent_metrics does not set workspace_id
//! ```
//!
//! ## Fix
//! Include the tenant column and its value in the insert.
use pgvet_code::{Call, Op};
use pgvet_syntax::NodeEnum;

use super::{Context, RuleMeta};
use crate::code::{drizzle_tables, resolve};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::sql::display_name;
use crate::sql::tenant::tenant_column;
use crate::sql::{resolve_relation, Relation};

pub const META: RuleMeta = RuleMeta {
    id: "tenant-insert-missing",
    summary: "an insert into a tenant-scoped table that does not set the tenant column",
    default_severity: Severity::Warning,
    check: Some(check),
    check_site: None,
};

fn report(out: &mut Vec<Diagnostic>, file: usize, span: pgvet_syntax::Span, table: &str, tenant: &str, not_null: bool) {
    let effect = if not_null { "fails with 23502 (not-null violation)" } else { "creates a row that belongs to no tenant" };
    // A nullable tenant column may hold NULL on purpose (global rows): a hint, not a warning.
    let severity = if not_null { META.default_severity } else { Severity::Info };
    out.push(
        Diagnostic::new(
            META.id,
            severity,
            format!("this insert into {table} does not set {tenant}: it {effect}"),
            Label::new(file, span).with_message(format!("no {tenant} among the columns")),
        )
        .with_help(format!("Set {tenant} to the caller's tenant in every insert into {table}.")),
    );
}

/// Whether the database fills the tenant column when an insert does not set it: a column default,
/// or a BEFORE INSERT row trigger that may set it.
fn filled_or_optional(t: &pgvet_catalog::Table, tenant: &str) -> bool {
    let col = t.column(tenant);
    col.is_none_or(|c| c.default.is_some() || c.identity.is_some() || c.generated.is_some())
        || t.triggers.iter().any(|tr| tr.timing == "before" && tr.for_each_row && tr.events.contains(&"insert"))
}

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let drizzle = drizzle_tables(cx.code);
    let models = crate::code::prisma_models(cx.code);
    let path = vec!["public".to_string()];
    // About production behaviour: tests, seeds and scripts are skipped (`[code] include-tests`).
    for f in cx.code.iter().filter(|f| cx.settings.is_production(&cx.files[f.file].path)) {
        for (si, s) in f.extraction.sites.iter().enumerate() {
            match &s.call {
                Call::Builder(b) if matches!(b.op, Op::Insert | Op::Upsert) && !b.values.is_empty() => {
                    let r = resolve(cx.catalog, &drizzle, b);
                    let Some(t) = r.table else { continue };
                    let Some(tenant) = tenant_column(cx.settings, t) else { continue };
                    let col = t.column(tenant);
                    if filled_or_optional(t, tenant)
                        || r.orm_defaults.iter().any(|c| c == tenant)
                        || b.values.iter().any(|v| r.column(&v.column) == tenant)
                    {
                        continue;
                    }
                    // Spread rows (`{ ...row }`) may carry it.
                    if cx.files[f.file].text.get(s.span.range()).is_some_and(|t| t.contains("...")) {
                        continue;
                    }
                    report(out, f.file, b.table_span, &display_name(&t.name), tenant, col.is_some_and(|c| c.not_null));
                }
                Call::Prisma(p) if p.op.starts_with("create") => {
                    let Some((q, m)) = crate::code::prisma_model(&models, &p.model) else { continue };
                    let Some(t) = cx.catalog.tables.get(&q) else { continue };
                    let Some(tenant) = tenant_column(cx.settings, t) else { continue };
                    let col = t.column(tenant);
                    let data: Vec<&pgvet_code::Value> = p.args.iter().filter(|(k, _)| k == "data").flat_map(|(_, v)| v).collect();
                    let orm_default = m.fields.iter().any(|fd| fd.column == tenant && fd.default);
                    if data.is_empty() || filled_or_optional(t, tenant) || orm_default {
                        continue;
                    }
                    // The tenant column, or the relation field that sets it (`workspace: { connect }`).
                    let sets = data.iter().any(|v| m.field(&v.column).is_some_and(|f| f.column == tenant || f.relation));
                    if sets || cx.files[f.file].text.get(s.span.range()).is_some_and(|t| t.contains("...")) {
                        continue;
                    }
                    report(out, f.file, p.op_span, &display_name(&t.name), tenant, col.is_some_and(|c| c.not_null));
                }
                Call::Sql(q) if !q.dynamic => {
                    for st in f.sql[si].iter().flat_map(|p| &p.statements) {
                        let NodeEnum::InsertStmt(ins) = &st.node else { continue };
                        let Some(rv) = &ins.relation else { continue };
                        if ins.cols.is_empty() {
                            continue;
                        }
                        let Some(Relation::Table(t)) = resolve_relation(cx.catalog, &path, &rv.schemaname, &rv.relname) else { continue };
                        let Some(tenant) = tenant_column(cx.settings, t) else { continue };
                        let col = t.column(tenant);
                        let sets = ins
                            .cols
                            .iter()
                            .any(|c| matches!(c.node.as_ref(), Some(pgvet_syntax::protobuf::node::Node::ResTarget(r)) if r.name == tenant));
                        if sets || filled_or_optional(t, tenant) {
                            continue;
                        }
                        let at = q.file_offset(rv.location.max(0) as usize);
                        report(
                            out,
                            f.file,
                            pgvet_syntax::Span::new(at, at + rv.relname.len()),
                            &display_name(&t.name),
                            tenant,
                            col.is_some_and(|c| c.not_null),
                        );
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

    const RULE: &str = "tenant-insert-missing";
    const SCHEMA: &str = "CREATE TABLE metrics (id bigserial PRIMARY KEY, workspace_id uuid NOT NULL, agent_id text, tokens int);\nCREATE TABLE events (id bigserial PRIMARY KEY, workspace_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000', kind text);\nCREATE TABLE stamped (id bigserial PRIMARY KEY, workspace_id uuid NOT NULL, agent_id text);\nCREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.workspace_id := current_setting('app.ws')::uuid; RETURN NEW; END $$;\nCREATE TRIGGER stamp BEFORE INSERT ON stamped FOR EACH ROW EXECUTE FUNCTION stamp();\nCREATE TABLE models (id bigserial PRIMARY KEY, workspace_id uuid, name text);";

    #[test]
    fn fires() {
        let src = "async function f(pool, a, n) {\n  await pool.query('INSERT INTO metrics (agent_id, tokens) VALUES ($1, $2)', [a, n]);\n  await supabase.from('metrics').insert({ agent_id: a, tokens: n });\n}";
        assert_eq!(code_lines(SCHEMA, &[("a.ts", src)], RULE), vec![("a.ts".to_string(), 2), ("a.ts".to_string(), 3)]);
        // A nullable tenant column: an info (global rows may be meant).
        let global = "async function f(pool, n) {\n  await pool.query('INSERT INTO models (name) VALUES ($1)', [n]);\n}";
        let d = crate::test_util::code_findings(SCHEMA, &[("a.ts", global)], RULE);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].severity, crate::Severity::Info);
    }

    #[test]
    fn stays_silent() {
        let cases = [
            "async function f(pool, ws, a) { await pool.query('INSERT INTO metrics (workspace_id, agent_id) VALUES ($1, $2)', [ws, a]); }",
            "async function f(supabase, ws, a) { await supabase.from('metrics').insert({ workspace_id: ws, agent_id: a }); }",
            // the column has a default
            "async function f(supabase) { await supabase.from('events').insert({ kind: 'x' }); }",
            // a spread may carry it
            "async function f(supabase, row) { await supabase.from('metrics').insert({ ...row, tokens: 1 }); }",
            // a BEFORE INSERT trigger may set it
            "async function f(pool, a) { await pool.query('INSERT INTO stamped (agent_id) VALUES ($1)', [a]); }",
            // an ORM default fills it (Drizzle $defaultFn, Prisma @default)
            "export const acct = pgTable('metrics', { id: bigserial('id'), workspaceId: uuid('workspace_id').notNull().$defaultFn(() => currentWs()), agentId: text('agent_id') });\nasync function f(db, a) { await db.insert(acct).values({ agentId: a }); }",
        ];
        for src in cases {
            assert_eq!(code_lines(SCHEMA, &[("a.ts", src)], RULE), vec![], "{src}");
        }
    }
}
