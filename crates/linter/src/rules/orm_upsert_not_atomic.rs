//! # orm-upsert-not-atomic
//!
//! ## What it finds
//! Upserts that are really "look up, then insert or update" and so race:
//! - a Prisma `upsert` outside Prisma's native-upsert conditions (exactly one unique field in
//!   `where`, the same value for it in `create`, a non-empty `update`, no nested reads or
//!   writes): Prisma then runs a SELECT, then an INSERT or UPDATE;
//! - the hand-written form: in one function, a select by a unique key followed by an insert of
//!   that key into the same table, with no ON CONFLICT.
//!
//! Not reported: upserts whose `create` sets no unique field (ids from defaults: the insert
//! cannot collide); calls inside a `try` (or followed by `.catch(...)`) whose handler deals with the
//! unique violation (`P2002`, `23505`), and Prisma upserts whose arguments pgvet cannot see in
//! full (a variable or a spread instead of an object literal).
//!
//! ## Why it matters
//! Two requests that upsert the same row at the same time both find nothing, both insert, and
//! the second fails with a unique violation (Prisma: P2002, "Unique constraint failed on the
//! fields: (...)"). A typical case: a backfill's concurrent batches upserted the same
//! workspace and failed with "Unique constraint failed on the fields: (`workspace_id`)".
//!
//! ## Example
//! ```ts
//! await prisma.workspace.upsert({
//!   where: { id: ws.id },
//!   create: { workspaceId: ws.workspaceId, name: ws.name },
//!   update: { name: ws.name },
//! });
//! // warning[orm-upsert-not-atomic]: prisma.workspace.upsert runs as SELECT then INSERT ...
//! ```
//!
//! ## Fix
//! Key the upsert on the unique field the data is identified by, with the same value in
//! `create` (`where: { workspaceId }`, `create: { workspaceId, ... }`) so Prisma sends
//! `INSERT ... ON CONFLICT DO UPDATE`; for hand-written code, use ON CONFLICT (`.upsert(row,
//! { onConflict })`, `onConflictDoUpdate`).
//!
//! `pgvet prove --rule orm-upsert-not-atomic` runs the two calls on a throwaway PostgreSQL (the
//! second insert gets 23505) and the ON CONFLICT fix over every interleaving.
use pgvet_code::prisma::PrismaModel;
use pgvet_code::Call;

use super::{Context, RuleMeta};
use crate::code::{drizzle_tables, read_of, writes_of};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::race::{Race, RaceSite};
use crate::sql::display_name;

pub const META: RuleMeta = RuleMeta {
    id: "orm-upsert-not-atomic",
    summary: "an ORM upsert (or select-then-insert) that is not one atomic statement and races",
    default_severity: Severity::Warning,
    check: Some(check),
    check_site: None,
};

fn model<'a>(models: &'a [&'a PrismaModel], accessor: &str) -> Option<&'a PrismaModel> {
    models.iter().copied().find(|m| m.name == accessor || m.name.to_lowercase() == accessor.to_lowercase())
}

/// Why Prisma cannot send this upsert as INSERT ... ON CONFLICT (None: it can).
pub(crate) fn not_native(m: &PrismaModel, args: &[(String, Vec<pgvet_code::Value>)], nested: bool) -> Option<String> {
    let get = |k: &str| args.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_slice()).unwrap_or(&[]);
    let (w, c, u) = (get("where"), get("create"), get("update"));
    if nested {
        return Some("create or update contains a nested read or write".into());
    }
    if u.is_empty() {
        return Some("update is empty".into());
    }
    let [key] = w else { return Some(format!("where has {} fields, not exactly one unique field", w.len())) };
    if !m.is_unique_key(&key.column) {
        return Some(format!("where uses {}, which is not a unique field", key.column));
    }
    let parts: Vec<&str> = if m.field(&key.column).is_some() { vec![key.column.as_str()] } else { key.column.split('_').collect() };
    for p in &parts {
        match c.iter().find(|v| v.column == *p) {
            None => return Some(format!("create does not set {p}, the field where looks up")),
            Some(v) if parts.len() == 1 && v.expr.trim() != key.expr.trim() => {
                return Some(format!("create sets {p} to `{}`, not the `{}` where looks up", v.expr.trim(), key.expr.trim()))
            }
            _ => {}
        }
    }
    None
}

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let models: Vec<&PrismaModel> = cx.code.iter().flat_map(|f| &f.extraction.prisma_models).collect();
    let drizzle = drizzle_tables(cx.code);
    // About production behaviour: tests, seeds and scripts are skipped (`[code] include-tests`).
    for f in cx.code.iter().filter(|f| cx.settings.is_production(&cx.files[f.file].path)) {
        let x = &f.extraction;
        for s in &x.sites {
            let Call::Prisma(p) = &s.call else { continue };
            // Arguments pgvet cannot see in full (a variable, a spread) leave the conditions
            // unknown; a handled P2002 is not a crash.
            if p.op != "upsert" || !p.complete || s.unique_handled {
                continue;
            }
            let Some(m) = model(&models, &p.model) else { continue };
            let Some(why) = not_native(m, &p.args, p.nested) else { continue };
            // The unique keys the insert writes: single unique fields and whole compound keys
            // (`@@unique([a, b])`) that `create` sets. None: the insert cannot collide (ids come
            // from defaults), so there is no race to lose.
            let created: Vec<&str> = p.args.iter().filter(|(k, _)| k == "create").flat_map(|(_, v)| v).map(|v| v.column.as_str()).collect();
            let mut uniques: Vec<String> =
                created.iter().filter_map(|c| m.field(c).filter(|fd| fd.unique || fd.id).map(|fd| fd.column.clone())).collect();
            for key in &m.compound {
                if key.iter().all(|f| created.contains(&f.as_str())) {
                    uniques.push(
                        key.iter()
                            .map(|f| m.field(f).map(|fd| fd.column.clone()).unwrap_or_else(|| f.clone()))
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                }
            }
            if uniques.is_empty() {
                continue;
            }
            // Prisma's engine runs the emulated upsert in a transaction: SELECT by where, then
            // INSERT (create) or UPDATE.
            let column = |f: &str| m.field(f).map(|fd| fd.column.clone()).unwrap_or_else(|| f.to_string());
            let key: Vec<String> = p
                .args
                .iter()
                .filter(|(k, _)| k == "where")
                .flat_map(|(_, v)| v)
                .flat_map(
                    |v| if m.field(&v.column).is_some() { vec![column(&v.column)] } else { v.column.split('_').map(column).collect() },
                )
                .collect();
            let table = crate::code::prisma_model(&models, &p.model).map(|(q, _)| q);
            let race = table.map(|table| RaceSite {
                race: Race::LookupThenInsert {
                    table,
                    same: key.iter().cloned().chain(uniques.iter().flat_map(|u| u.split(", ").map(str::to_string))).collect(),
                    key,
                    // Scalar fields: a relation (`members: { create: ... }`) is a nested write.
                    sets: created.iter().filter(|c| m.field(c).is_some_and(|fd| !fd.relation)).map(|c| column(c)).collect(),
                },
                transaction: true,
                client: "prisma",
            });
            let consequence =
                format!("the second INSERT fails with P2002 (\"Unique constraint failed on the fields: ({})\")", uniques.join(", "));
            out.push(
                Diagnostic::new(
                    META.id,
                    META.default_severity,
                    format!("prisma.{}.upsert runs as SELECT then INSERT/UPDATE ({why}): concurrent calls both miss the row and {consequence}", p.model),
                    Label::new(f.file, p.op_span).with_message("not a native (ON CONFLICT) upsert"),
                )
                .with_help("Prisma sends INSERT ... ON CONFLICT DO UPDATE only when where has exactly one unique field, create sets it to the same value, update is not empty, and nothing is nested. Key the upsert on the field the data is identified by, or catch P2002 and retry as an update.")
                .with_race_opt(race),
            );
        }
        // Hand-written: select by a unique key, then insert that key, no ON CONFLICT.
        let prisma = crate::code::prisma_models(cx.code);
        let by_fn = x.sites_by_function();
        for sites in &by_fn {
            for (k, ri) in sites.iter().enumerate() {
                let Some(r) = read_of(cx.catalog, &drizzle, &prisma, f, *ri) else { continue };

                let Some(t) = cx.catalog.tables.get(&r.table) else { continue };
                for wi in &sites[k + 1..] {
                    let writes = writes_of(cx.catalog, &drizzle, &prisma, f, *wi);
                    if x.sites[*wi].unique_handled
                        || writes.is_empty()
                        || writes.iter().any(|w| !w.insert || w.on_conflict || w.table != r.table)
                    {
                        continue;
                    }
                    let shared: Vec<String> = r
                        .filters
                        .iter()
                        .filter(|(c, e)| !e.is_empty() && writes.iter().any(|w| w.column == *c && w.expr.trim() == e.trim()))
                        .map(|(c, _)| c.clone())
                        .collect();
                    let unique = cx.catalog.indexes_of(&t.name).any(|i| {
                        i.unique
                            && i.valid
                            && !i.keys.is_empty()
                            && i.keys.iter().all(|key| matches!(key, pgvet_catalog::IndexKey::Column(c) if shared.contains(c)))
                    });
                    if !unique {
                        continue;
                    }
                    let at = writes.iter().find(|w| shared.contains(&w.column)).map(|w| w.span).unwrap_or(x.sites[*wi].span);
                    let (client, transaction) = crate::race::runner_of(&cx.files[f.file].text, x, *wi);
                    let race = RaceSite {
                        race: Race::LookupThenInsert {
                            table: t.name.clone(),
                            key: shared.clone(),
                            // Columns of the table (a Prisma relation in `data` is a nested write).
                            sets: writes.iter().filter(|w| t.column(&w.column).is_some()).map(|w| w.column.clone()).collect(),
                            same: shared.clone(),
                        },
                        transaction,
                        client,
                    };
                    out.push(
                        Diagnostic::new(
                            META.id,
                            META.default_severity,
                            format!("{} is looked up by ({}) and then inserted: two concurrent calls both find nothing and the second insert fails with 23505", display_name(&t.name), shared.join(", ")),
                            Label::new(f.file, at).with_message("insert without ON CONFLICT"),
                        )
                        .with_related(Label::new(f.file, x.sites[*ri].span).with_message("the lookup"))
                        .with_help(format!("Make it one statement: INSERT ... ON CONFLICT ({}) (Supabase: .upsert(row, {{ onConflict }}); Drizzle: .onConflictDoUpdate / .onConflictDoNothing), then read the row back.", shared.join(", ")))
                        .with_race(race),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::code_lines;

    const RULE: &str = "orm-upsert-not-atomic";
    const PRISMA: &str = "model Workspace {\n  id Int @id @default(autoincrement())\n  workspaceId String @unique @map(\"workspace_id\")\n  name String\n  @@map(\"workspaces\")\n}\n";

    #[test]
    fn prisma_upserts() {
        let src = "async function a(prisma, ws) {\n  await prisma.workspace.upsert({ where: { id: ws.id }, create: { workspaceId: ws.hash, name: ws.name }, update: { name: ws.name } });\n}\nasync function b(prisma, ws) {\n  await prisma.workspace.upsert({ where: { workspaceId: ws.hash }, create: { workspaceId: ws.hash, name: ws.name }, update: { name: ws.name } });\n}\nasync function c(prisma, ws) {\n  await prisma.workspace.upsert({ where: { workspaceId: ws.hash }, create: { workspaceId: ws.hash, name: ws.name }, update: {} });\n}";
        let found = code_lines("", &[("schema.prisma", PRISMA), ("a.ts", src)], RULE);
        assert_eq!(found, vec![("a.ts".to_string(), 2), ("a.ts".to_string(), 8)]);
    }

    /// A handled P2002 / 23505, and arguments pgvet cannot see in full.
    #[test]
    fn handled_or_unknown_stays_silent() {
        let src = "async function a(prisma, ws) {\n  try {\n    await prisma.workspace.upsert({ where: { id: ws.id }, create: { workspaceId: ws.hash, name: ws.name }, update: { name: ws.name } });\n  } catch (e) {\n    if (e.code === 'P2002') return;\n    throw e;\n  }\n}\nasync function b(prisma, ws) {\n  await prisma.workspace.upsert({ where: { id: ws.id }, create: { workspaceId: ws.hash }, update: {} }).catch((e) => { if (e.code !== 'P2002') throw e; });\n}\nasync function c(prisma, args) {\n  await prisma.workspace.upsert(args);\n  await prisma.workspace.upsert({ where: args.where, create: { ...args.create }, update: args.update });\n}\nasync function e(prisma, ws) {\n  await prisma.workspace.upsert({ where: { id: ws.id ?? -1 }, create: { name: ws.name }, update: {} });\n}\nasync function d(prisma, ws) {\n  try {\n    await prisma.workspace.upsert({ where: { id: ws.id }, create: { workspaceId: ws.hash }, update: {} });\n  } catch (e) {\n    console.error(e);\n  }\n}";
        let found = code_lines("", &[("schema.prisma", PRISMA), ("a.ts", src)], RULE);
        // Only d: its catch does not deal with the unique violation (e's insert sets no unique
        // field: nothing to collide on).
        assert_eq!(found, vec![("a.ts".to_string(), 21)]);
        let schema = "CREATE TABLE t (id bigserial PRIMARY KEY, slug text UNIQUE, name text);";
        let handled = "async function g(pool, slug) {\n  const { rows } = await pool.query('SELECT id FROM t WHERE slug = $1', [slug]);\n  if (!rows.length) {\n    try {\n      await pool.query('INSERT INTO t (slug, name) VALUES ($1, $2)', [slug, 'x']);\n    } catch (e) {\n      if (e.code !== '23505') throw e;\n    }\n  }\n}";
        assert_eq!(code_lines(schema, &[("a.ts", handled)], RULE), vec![]);
    }

    #[test]
    fn select_then_insert() {
        let schema = "CREATE TABLE t (id bigserial PRIMARY KEY, slug text UNIQUE, name text);";
        let bad = "async function f(supabase, slug) {\n  const { data } = await supabase.from('t').select('id').eq('slug', slug).maybeSingle();\n  if (!data) await supabase.from('t').insert({ slug: slug, name: 'x' });\n}\nasync function g(pool, slug) {\n  const { rows } = await pool.query('SELECT id FROM t WHERE slug = $1', [slug]);\n  if (!rows.length) await pool.query('INSERT INTO t (slug, name) VALUES ($1, $2)', [slug, 'x']);\n}";
        assert_eq!(code_lines(schema, &[("a.ts", bad)], RULE), vec![("a.ts".to_string(), 3), ("a.ts".to_string(), 7)]);
        let good = "async function f(supabase, slug) {\n  await supabase.from('t').upsert({ slug, name: 'x' }, { onConflict: 'slug' });\n}\nasync function g(supabase, slug, name) {\n  const { data } = await supabase.from('t').select('id').eq('name', name);\n  await supabase.from('t').insert({ name: name });\n}";
        assert_eq!(code_lines(schema, &[("a.ts", good)], RULE), vec![]);
    }
}
