//! # fk-read-then-insert-race
//!
//! ## What it finds
//! In one function, an id read from one table is inserted into a foreign-key column that points
//! at a parent table, with no lock on the parent row (`FOR KEY SHARE` / `FOR SHARE` / `FOR
//! UPDATE`), and no handling of the foreign-key violation (SQLSTATE 23503) in that function.
//!
//! Not reported: parents the project never deletes (no `DELETE`, Prisma `delete`/`deleteMany`,
//! `.delete()` on the table in the code, nor a cascade from one): rows that are only soft-deleted
//! or never removed cannot vanish between the read and the insert.
//!
//! ## Why it matters
//! Between the read and the insert, the parent row can be deleted (or may never have existed:
//! the read came from another table that merely mentions it). The insert then fails with
//! 23503 and the request returns a 500. In one real app, `ensureUserWorkspace` read a
//! membership's `workspaceId` and inserted it as the new user's `primary_workspace_id`; when that
//! workspace had been deleted, first logins failed with
//! `violates foreign key constraint "users_primary_workspace_id_workspaces_id_fk"`.
//!
//! ## Example
//! ```ts
//! const [m] = await tx.select().from(workspaceMembers).where(eq(workspaceMembers.userId, userId)).limit(1);
//! await tx.insert(users).values({ privyDid: userId, primaryWorkspaceId: m.workspaceId });
//! // warning[fk-read-then-insert-race]: primary_workspace_id is inserted from a value read earlier ...
//! ```
//!
//! ## Fix
//! Lock the parent while using it (`tx.select().from(workspaces).where(eq(workspaces.id, id)).for('key share')`
//! in the same transaction, falling back when it is gone), or catch 23503 and recover. `pgvet
//! prove` runs the first over every interleaving: the insert never fails; a concurrent delete
//! waits for the transaction and then gets the 23503 itself.
//!
//! `INSERT ... SELECT ... FROM workspaces WHERE id = $1` alone is not enough: it narrows the
//! window, but when the delete has run and not yet committed, the insert still sees the row,
//! its foreign-key check waits for the deleting transaction, and fails with 23503 once that
//! commits (measured on PostgreSQL 15; `pgvet prove` shows the schedule). Combine it with
//! handling 23503.
use pgvet_catalog::ConstraintKind;

use super::{Context, RuleMeta};
use crate::code::{drizzle_tables, read_of, writes_of};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::race::{Race, RaceSite};
use crate::sql::display_name;

pub const META: RuleMeta = RuleMeta {
    id: "fk-read-then-insert-race",
    summary: "an id read earlier inserted into a foreign key without locking the parent (23503 under concurrency)",
    default_severity: Severity::Warning,
    check: Some(check),
    check_site: None,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let drizzle = drizzle_tables(cx.code);
    let models = crate::code::prisma_models(cx.code);
    // Only parents whose rows the project can delete can vanish in between.
    let deletable = crate::code::deleted_tables(cx.catalog, cx.code);
    // About production behaviour: tests, seeds and scripts are skipped (`[code] include-tests`).
    for f in cx.code.iter().filter(|f| cx.settings.is_production(&cx.files[f.file].path)) {
        let x = &f.extraction;
        let text = &cx.files[f.file].text;
        let all = x.derived_all();
        let by_fn = x.sites_by_function();
        for (fi, func) in x.functions.iter().enumerate() {
            let body = text.get(func.span.range()).unwrap_or("");
            if body.contains("23503") || body.contains("foreign_key_violation") {
                continue;
            }
            let derived = &all[fi];
            if derived.is_empty() {
                continue;
            }
            for &wi in &by_fn[fi] {
                for w in writes_of(cx.catalog, &drizzle, &models, f, wi) {
                    if !w.insert {
                        continue;
                    }
                    let Some(table) = cx.catalog.tables.get(&w.table) else { continue };
                    let Some(fk) =
                        table.constraints.iter().find(|c| c.kind == ConstraintKind::ForeignKey && c.columns == [w.column.clone()])
                    else {
                        continue;
                    };
                    let Some(parent) = fk.foreign_key.as_ref().map(|k| k.table.clone()) else { continue };
                    if !deletable.contains(&parent) {
                        continue;
                    }
                    let Some((var, ri)) = x.source_of(derived, &w.expr) else { continue };
                    if x.sites[ri].span.start > x.sites[wi].span.start {
                        continue;
                    }
                    let Some(r) = read_of(cx.catalog, &drizzle, &models, f, ri) else { continue };
                    // A read of the parent itself under a lock makes it safe.
                    let locked = by_fn[fi]
                        .iter()
                        .any(|&o| read_of(cx.catalog, &drizzle, &models, f, o).is_some_and(|rd| rd.table == parent && rd.lock.is_some()));
                    if locked {
                        continue;
                    }
                    let (p, t) = (display_name(&parent), display_name(&table.name));
                    let col = &w.column;
                    let (client, transaction) = crate::race::runner_of(text, x, wi);
                    let parent_column = fk.foreign_key.as_ref().and_then(|k| k.columns.first().cloned()).unwrap_or_default();
                    let race = RaceSite {
                        race: Race::FkReadThenInsert {
                            table: table.name.clone(),
                            column: col.clone(),
                            parent: parent.clone(),
                            parent_column,
                        },
                        transaction,
                        client,
                    };
                    let source = if r.table == parent {
                        format!("read from {p}")
                    } else {
                        format!("read from {}, not from {p} itself", display_name(&r.table))
                    };
                    out.push(
                        Diagnostic::new(
                            META.id,
                            META.default_severity,
                            format!("{col} of {t} is inserted from `{var}`, {source}: if that {p} row is deleted in between (or never existed), the insert fails with 23503 ({})", fk.name),
                            Label::new(f.file, w.span).with_message(format!("foreign key {} → {p}", fk.name)),
                        )
                        .with_related(Label::new(f.file, x.sites[ri].span).with_message("the id is read here"))
                        .with_help(format!(
                            "Nothing keeps the {p} row alive between the read and the insert. In the same transaction, read it with FOR KEY SHARE (Drizzle: .for('key share')) and handle its absence, or catch 23503 and recover. (INSERT ... SELECT ... FROM {p} WHERE id = $1 alone still fails when a delete commits while the insert waits for it: `pgvet prove` shows it.)"
                        ))
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

    const RULE: &str = "fk-read-then-insert-race";
    const SCHEMA: &str = "CREATE TABLE workspaces (id uuid PRIMARY KEY);\nCREATE TABLE members (workspace_id uuid NOT NULL, user_id text NOT NULL, PRIMARY KEY (workspace_id, user_id));\nCREATE TABLE app_users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), did text UNIQUE, primary_workspace_id uuid REFERENCES workspaces (id));\nCREATE INDEX ON app_users (primary_workspace_id);";
    /// Workspaces are deleted somewhere in the project: a parent that can vanish.
    const DELETES: &str = "export async function remove(pool, id) {\n  await pool.query('DELETE FROM workspaces WHERE id = $1', [id]);\n}";
    const DEFS: &str = "export const appUsers = pgTable('app_users', { did: text('did'), primaryWorkspaceId: uuid('primary_workspace_id') });\nexport const members = pgTable('members', { workspaceId: uuid('workspace_id'), userId: text('user_id') });\nexport const workspaces = pgTable('workspaces', { id: uuid('id') });";

    #[test]
    fn fires() {
        let src = "async function ensure(tx, userId) {\n  const [m] = await tx.select().from(members).where(eq(members.userId, userId)).limit(1);\n  await tx.insert(appUsers).values({ did: userId, primaryWorkspaceId: m.workspaceId });\n}";
        assert_eq!(code_lines(SCHEMA, &[("schema.ts", DEFS), ("d.ts", DELETES), ("a.ts", src)], RULE), vec![("a.ts".to_string(), 3)]);
        // Never deleted (soft deletes only, or never removed): the parent cannot vanish.
        assert_eq!(code_lines(SCHEMA, &[("schema.ts", DEFS), ("a.ts", src)], RULE), vec![]);
        // Deleted through a cascade from a deleted grandparent.
        let cascade = format!(
            "CREATE TABLE orgs (id uuid PRIMARY KEY);\n{}",
            SCHEMA.replace(
                "CREATE TABLE workspaces (id uuid PRIMARY KEY);",
                "CREATE TABLE workspaces (id uuid PRIMARY KEY, org_id uuid REFERENCES orgs ON DELETE CASCADE);"
            )
        );
        let del_org = "export async function drop(pool, id) {\n  await pool.query('DELETE FROM orgs WHERE id = $1', [id]);\n}";
        assert_eq!(code_lines(&cascade, &[("schema.ts", DEFS), ("d.ts", del_org), ("a.ts", src)], RULE), vec![("a.ts".to_string(), 3)]);
        // Supabase
        let src2 = "async function ensure(supabase, did) {\n  const { data: m } = await supabase.from('members').select('workspace_id').eq('user_id', did).single();\n  await supabase.from('app_users').insert({ did, primary_workspace_id: m.workspace_id });\n}";
        // A variable assigned in both branches of an `if` (issue 10's missed case): the branch
        // that read it from another table is enough.
        let branches = "async function ensure(supabase, did, create) {\n  let ws;\n  if (create) {\n    const { data: w } = await supabase.from('workspaces').insert({}).select('id').single();\n    ws = w.id;\n  } else {\n    const { data: m } = await supabase.from('members').select('workspace_id').eq('user_id', did).single();\n    ws = m.workspace_id;\n  }\n  await supabase.from('app_users').insert({ did, primary_workspace_id: ws });\n}";
        let del_ws = "export async function remove(supabase, id) {\n  await supabase.from('workspaces').delete().eq('id', id);\n}";
        assert_eq!(code_lines(SCHEMA, &[("d.ts", del_ws), ("c.ts", branches)], RULE), vec![("c.ts".to_string(), 10)]);
        let del2 = "export async function remove(supabase, id) {\n  await supabase.from('workspaces').delete().eq('id', id);\n}";
        assert_eq!(code_lines(SCHEMA, &[("d.ts", del2), ("b.ts", src2)], RULE), vec![("b.ts".to_string(), 3)]);
    }

    #[test]
    fn sql_strings() {
        let src = "async function ensure(pool, did) {\n  const { rows } = await pool.query('SELECT workspace_id FROM members WHERE user_id = $1 LIMIT 1', [did]);\n  await pool.query('INSERT INTO app_users (did, primary_workspace_id) VALUES ($1, $2)', [did, rows[0].workspace_id]);\n}\nasync function locked(pool, did, ws) {\n  const { rows } = await pool.query('SELECT workspace_id FROM members WHERE user_id = $1 LIMIT 1', [did]);\n  await pool.query('SELECT id FROM workspaces WHERE id = $1 FOR KEY SHARE', [rows[0].workspace_id]);\n  await pool.query('INSERT INTO app_users (did, primary_workspace_id) VALUES ($1, $2)', [did, rows[0].workspace_id]);\n}";
        assert_eq!(code_lines(SCHEMA, &[("d.ts", DELETES), ("a.ts", src)], RULE), vec![("a.ts".to_string(), 3)]);
    }

    #[test]
    fn stays_silent() {
        let cases = [
            // the parent is read under a key-share lock in the same function
            "async function ensure(tx, userId) {\n  const [m] = await tx.select().from(members).where(eq(members.userId, userId)).limit(1);\n  const [w] = await tx.select().from(workspaces).where(eq(workspaces.id, m.workspaceId)).for('key share');\n  if (!w) return null;\n  await tx.insert(appUsers).values({ did: userId, primaryWorkspaceId: w.id });\n}",
            // 23503 is handled
            "async function ensure(tx, userId) {\n  const [m] = await tx.select().from(members).where(eq(members.userId, userId)).limit(1);\n  try { await tx.insert(appUsers).values({ did: userId, primaryWorkspaceId: m.workspaceId }); } catch (e) { if (e.code === '23503') return null; throw e; }\n}",
            // the value does not come from a read
            "async function create(tx, userId, ws) { await tx.insert(appUsers).values({ did: userId, primaryWorkspaceId: ws }); }",
        ];
        for src in cases {
            assert_eq!(code_lines(SCHEMA, &[("schema.ts", DEFS), ("d.ts", DELETES), ("a.ts", src)], RULE), vec![], "{src}");
        }
    }
}
