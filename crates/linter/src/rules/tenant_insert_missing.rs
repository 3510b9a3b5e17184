//! # tenant-insert-missing
//!
//! ## What it finds
//! An INSERT (SQL string, Supabase `.insert`/`.upsert`, Drizzle `.insert().values()`) into a
//! tenant-scoped table that does not set the tenant column, when that column has no default.
//!
//! ## Why it matters
//! The row lands without a tenant: a NOT NULL tenant column makes the insert fail (23502); a
//! nullable one creates a row that belongs to nobody, invisible to the tenant that wrote it or,
//! worse, visible to all. Field report 02's `agent_metrics` INSERT left `workspace_id` out.
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
    out.push(
        Diagnostic::new(
            META.id,
            META.default_severity,
            format!("this insert into {table} does not set {tenant}: it {effect}"),
            Label::new(file, span).with_message(format!("no {tenant} among the columns")),
        )
        .with_help(format!("Set {tenant} to the caller's tenant in every insert into {table}.")),
    );
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
                    if col.is_some_and(|c| c.default.is_some()) || b.values.iter().any(|v| r.column(&v.column) == tenant) {
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
                    if data.is_empty() || col.is_some_and(|c| c.default.is_some()) {
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
                        if sets || col.is_some_and(|c| c.default.is_some()) {
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
    const SCHEMA: &str = "CREATE TABLE metrics (id bigserial PRIMARY KEY, workspace_id uuid NOT NULL, agent_id text, tokens int);\nCREATE TABLE events (id bigserial PRIMARY KEY, workspace_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000', kind text);";

    #[test]
    fn fires() {
        let src = "async function f(pool, a, n) {\n  await pool.query('INSERT INTO metrics (agent_id, tokens) VALUES ($1, $2)', [a, n]);\n  await supabase.from('metrics').insert({ agent_id: a, tokens: n });\n}";
        assert_eq!(code_lines(SCHEMA, &[("a.ts", src)], RULE), vec![("a.ts".to_string(), 2), ("a.ts".to_string(), 3)]);
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
        ];
        for src in cases {
            assert_eq!(code_lines(SCHEMA, &[("a.ts", src)], RULE), vec![], "{src}");
        }
    }
}
