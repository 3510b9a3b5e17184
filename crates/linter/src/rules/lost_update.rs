//! # lost-update
//!
//! ## What it finds
//! In one function, a value read from a column (a Supabase `.select()`, a Drizzle `select`)
//! flows, changed, into an update of the same column of the same table, with no row lock in
//! between (`.for('update')`, `FOR UPDATE`) and no SERIALIZABLE transaction, e.g.
//! `used_tokens: sub.used_tokens + tokens`.
//!
//! ## Why it matters
//! Two requests that run the function at the same time both read the old value, both add to
//! it, and the second write silently overwrites the first: a counter that loses increments, a
//! balance that forgets a charge. A token usage counter updated this way
//! (fetch, calculate, update) and drifted under concurrent requests.
//!
//! ## Example
//! ```ts
//! const { data: sub } = await supabase.from('user_subscriptions').select('used_tokens').eq('user_id', uid).single();
//! await supabase.from('user_subscriptions').update({ used_tokens: sub.used_tokens + tokens }).eq('user_id', uid);
//! // warning[lost-update]: used_tokens of user_subscriptions is read, changed in the app and written back
//! ```
//!
//! ## Fix
//! Let the database do the arithmetic in one statement: `UPDATE user_subscriptions SET
//! used_tokens = used_tokens + $1 WHERE user_id = $2` (in Supabase, an RPC that runs it; in
//! Drizzle, `set({ usedTokens: sql`${t.usedTokens} + ${n}` })`), or lock the row when reading
//! it (`SELECT ... FOR UPDATE` in a transaction).
//!
//! `pgvet prove --rule lost-update` runs the race on a throwaway PostgreSQL (the counter ends one
//! short of every serial order) and both fixes over every interleaving.

use super::{Context, RuleMeta};
use crate::code::{drizzle_tables, read_of, writes_of};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::race::{Race, RaceSite};
use crate::sql::display_name;

pub const META: RuleMeta = RuleMeta {
    id: "lost-update",
    summary: "a column read, changed in the app, and written back without a lock (lost updates)",
    default_severity: Severity::Warning,
    check: Some(check),
    check_site: None,
};

/// The value is computed from the read (arithmetic, concatenation, a call), not just copied.
fn computed(expr: &str) -> bool {
    expr.contains(['+', '-', '*', '/', '(', '`']) || expr.contains("concat")
}

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let drizzle = drizzle_tables(cx.code);
    let models = crate::code::prisma_models(cx.code);
    // About production behaviour: tests, seeds and scripts are skipped (`[code] include-tests`).
    for f in cx.code.iter().filter(|f| cx.settings.is_production(&cx.files[f.file].path)) {
        let x = &f.extraction;
        let all = x.derived_all();
        let by_fn = x.sites_by_function();
        let text = &cx.files[f.file].text;
        for (fi, sites) in by_fn.iter().enumerate() {
            let derived = &all[fi];
            if derived.is_empty() {
                continue;
            }
            // A SERIALIZABLE transaction turns the lost update into a serialization failure.
            let body = text.get(x.functions[fi].span.range()).unwrap_or("").to_lowercase();
            if body.contains("serializable") {
                continue;
            }
            for &wi in sites {
                for mut w in writes_of(cx.catalog, &drizzle, &models, f, wi) {
                    // A value computed into a local first (`const next = data.used + n;
                    // update({ used: next })`): the local's initialiser, before the write.
                    for _ in 0..3 {
                        let ident = w.expr.trim();
                        if ident.is_empty() || !ident.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                            break;
                        }
                        let init = x
                            .bindings
                            .iter()
                            .filter(|b| b.function == Some(fi) && b.names.len() == 1 && b.names[0] == ident && b.init.start < w.span.start)
                            .map(|b| b.text.clone())
                            .next_back();
                        match init {
                            Some(t) => w.expr = t,
                            None => break,
                        }
                    }
                    // A fresh value built from the old one (`${slug}-${nanoid(6)}`) replaces it; it
                    // does not accumulate.
                    if w.insert || w.in_sql || !computed(&w.expr) || crate::code::fresh_value(&w.expr) {
                        continue;
                    }
                    let Some((var, ri)) = x.source_of(derived, &w.expr) else { continue };
                    if x.sites[ri].span.start > x.sites[wi].span.start {
                        continue;
                    }
                    let Some(r) = read_of(cx.catalog, &drizzle, &models, f, ri) else { continue };
                    let reads_col = r.columns.iter().any(|c| c == "*" || *c == w.column);
                    // The value must be derived from the column read (its name appears), or the
                    // read returned only that column.
                    let mut from_col = w.expr.contains(&w.column) || w.expr.contains(&w.key) || r.columns == [w.column.clone()];
                    // A local named like the column (`documentTree`) is the column's old value only
                    // when it was taken from the row (`= row.documentTree`, `{ documentTree } =
                    // row`), not computed by other means in some branch.
                    if var == w.key || var == w.column {
                        let bindings: Vec<&str> =
                            x.bindings.iter().filter(|b| b.function == Some(fi) && b.names.contains(&var)).map(|b| b.text.trim()).collect();
                        // `row.col`, `parse(row.col)`, `{ col } = row`
                        let member = |t: &str, name: &str| {
                            let pat = format!(".{name}");
                            t.match_indices(&pat).any(|(i, _)| {
                                !t[i + pat.len()..].chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
                            })
                        };
                        let taken = |t: &str| member(t, &w.key) || member(t, &w.column) || derived.contains_key(t);
                        from_col &= !bindings.is_empty() && bindings.iter().all(|t| taken(t));
                    }
                    if r.table != w.table || !reads_col || !from_col || r.lock.is_some() {
                        continue;
                    }
                    // A compare-and-swap: the write only applies while the column still holds what
                    // was read (`where: { status: existing.status }`, `WHERE v = $old`).
                    if guards_column(f, &models, wi, &w.column, &w.key) {
                        continue;
                    }
                    // Another row: the read looked up a sibling (`where: { parentID }`, the last
                    // one by order) or another id, and the write targets this one.
                    if other_row(cx, &r, &filter_columns(f, &models, wi)) {
                        continue;
                    }
                    let (col, table) = (w.column.clone(), display_name(&w.table));
                    let (client, transaction) = crate::race::runner_of(text, x, wi);
                    // The write's row filter, as SQL columns (a Drizzle field is resolved to its column).
                    let key = match &x.sites[wi].call {
                        pgvet_code::Call::Builder(b) => {
                            let r = crate::code::resolve(cx.catalog, &drizzle, b);
                            b.filters.iter().map(|v| r.column(&v.column)).collect()
                        }
                        _ => filter_columns(f, &models, wi).into_iter().map(|(c, _)| c).collect(),
                    };
                    let race =
                        RaceSite { race: Race::LostUpdate { table: w.table.clone(), column: col.clone(), key }, transaction, client };
                    out.push(
                        Diagnostic::new(
                            META.id,
                            META.default_severity,
                            format!("{col} of {table} is read, changed in the app and written back: concurrent calls lose updates"),
                            Label::new(f.file, w.span).with_message(format!("computed from `{var}`, read earlier")),
                        )
                        .with_related(Label::new(f.file, x.sites[ri].span).with_message("read here, without a row lock"))
                        .with_help(format!(
                            "Two calls that overlap both read the same {col} and the second write discards the first one's change. Do it in one statement: `UPDATE {table} SET {col} = {col} + $1 WHERE ...` (for Supabase, in an RPC; for Drizzle, set({{ ...: sql`${{...}} + ${{n}}` }}); for Prisma, data: {{ {col}: {{ increment: n }} }}), or read the row FOR UPDATE inside a transaction."
                        ))
                        .with_race(race),
                    );
                }
            }
        }
    }
}

/// Whether the write's filter targets another row than the read: the same key column with
/// another value (`where: { id: next }` read, `where: { id: this }` written), or no column in
/// common with a read that was not by a unique key (a sibling found by its parent).
fn other_row(cx: &Context, r: &crate::code::Read, write: &[(String, String)]) -> bool {
    if r.filters.is_empty() || write.is_empty() {
        return false;
    }
    let same_col_other_value = write.iter().any(|(wc, we)| {
        r.filters.iter().any(|(rc, re)| rc == wc && !re.trim().is_empty() && !we.trim().is_empty() && re.trim() != we.trim())
    });
    let disjoint = !write.iter().any(|(wc, _)| r.filters.iter().any(|(rc, _)| rc == wc));
    let read_unique = cx.catalog.tables.get(&r.table).is_some_and(|t| {
        cx.catalog.indexes_of(&t.name).any(|i| {
            i.unique
                && !i.keys.is_empty()
                && i.keys.iter().all(|k| matches!(k, pgvet_catalog::IndexKey::Column(c) if r.filters.iter().any(|(rc, _)| rc == c)))
        })
    });
    same_col_other_value || disjoint && !read_unique
}

/// The columns (SQL names where pgvet can tell) and value texts of the write's filter.
fn filter_columns(f: &crate::code::CodeFile, models: &[&pgvet_code::prisma::PrismaModel], wi: usize) -> Vec<(String, String)> {
    match &f.extraction.sites[wi].call {
        pgvet_code::Call::Builder(b) => b.filters.iter().map(|v| (v.column.clone(), v.expr.clone())).collect(),
        pgvet_code::Call::Prisma(p) => {
            let model = crate::code::prisma_model(models, &p.model).map(|(_, m)| m);
            p.args
                .iter()
                .filter(|(k, _)| k == "where")
                .flat_map(|(_, v)| v)
                .map(|v| {
                    let col = model.and_then(|m| m.field(&v.column)).map(|fd| fd.column.clone()).unwrap_or_else(|| v.column.clone());
                    (col, v.expr.clone())
                })
                .collect()
        }
        pgvet_code::Call::Sql(_) => f.sql[wi]
            .iter()
            .flat_map(|p| &p.statements)
            .flat_map(|st| match &st.node {
                pgvet_syntax::NodeEnum::UpdateStmt(u) => u.where_clause.as_deref().map(pgvet_syntax::expr_columns).unwrap_or_default(),
                _ => vec![],
            })
            .map(|c| (c, String::new()))
            .collect(),
        _ => vec![],
    }
}

/// Whether the write's own filter names the column it writes.
fn guards_column(f: &crate::code::CodeFile, models: &[&pgvet_code::prisma::PrismaModel], wi: usize, column: &str, key: &str) -> bool {
    let site = &f.extraction.sites[wi];
    match &site.call {
        pgvet_code::Call::Builder(b) => b.filters.iter().any(|v| v.column == column || v.column == key),
        pgvet_code::Call::Prisma(p) => {
            let model = crate::code::prisma_model(models, &p.model).map(|(_, m)| m);
            p.args.iter().filter(|(k, _)| k == "where").flat_map(|(_, v)| v).any(|v| {
                v.column == key || v.column == column || model.and_then(|m| m.field(&v.column)).is_some_and(|fd| fd.column == column)
            })
        }
        pgvet_code::Call::Sql(_) => f.sql[wi].iter().flat_map(|p| &p.statements).any(|st| match &st.node {
            pgvet_syntax::NodeEnum::UpdateStmt(u) => {
                u.where_clause.as_deref().is_some_and(|w| pgvet_syntax::expr_columns(w).iter().any(|c| c == column))
            }
            _ => false,
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::code_lines;

    const RULE: &str = "lost-update";
    const SCHEMA: &str = "CREATE TABLE user_subscriptions (user_id uuid PRIMARY KEY, used_tokens int NOT NULL DEFAULT 0, plan text);";

    #[test]
    fn fires() {
        let src = "export async function charge(supabase, uid, n) {\n  const { data: sub } = await supabase.from('user_subscriptions').select('used_tokens').eq('user_id', uid).single();\n  const next = sub.used_tokens + n;\n  await supabase.from('user_subscriptions').update({ used_tokens: (sub?.used_tokens ?? 0) + n }).eq('user_id', uid);\n}";
        assert_eq!(code_lines(SCHEMA, &[("a.ts", src)], RULE), vec![("a.ts".to_string(), 4)]);
        // through a local
        let src2 = "async function f(supabase, uid, n) {\n  const { data } = await supabase.from('user_subscriptions').select('*').eq('user_id', uid).single();\n  const used = data.used_tokens;\n  await supabase.from('user_subscriptions').update({ used_tokens: used + n }).eq('user_id', uid);\n}";
        assert_eq!(
            code_lines(SCHEMA, &[("b.ts", src2)], RULE).len(),
            0,
            "the value text must name the column; a renamed local is not guessed at"
        );
        // the value of another row (the last sibling) written to this one: not this row's update
        let sibling = "async function f(prisma, c, parent) {\n  const last = await prisma.userSubscription.findFirst({ where: { plan: parent } });\n  await prisma.userSubscription.update({ where: { userId: c }, data: { usedTokens: last.usedTokens + 1 } });\n}";
        let prisma0 = "model UserSubscription {\n  userId String @id @map(\"user_id\")\n  usedTokens Int @map(\"used_tokens\")\n  plan String\n  @@map(\"user_subscriptions\")\n}\n";
        assert_eq!(code_lines(SCHEMA, &[("schema.prisma", prisma0), ("e.ts", sibling)], RULE), vec![]);
        // another row by the same key (the next one in a list)
        let next = "async function f(prisma, c, nextId) {\n  const n = await prisma.userSubscription.findFirst({ where: { userId: nextId } });\n  await prisma.userSubscription.update({ where: { userId: c }, data: { usedTokens: n.usedTokens - 1 } });\n}";
        assert_eq!(code_lines(SCHEMA, &[("schema.prisma", prisma0), ("g.ts", next)], RULE), vec![]);
        // the same row by another unique key still counts
        let same = next.replace("where: { userId: c }", "where: { userId: nextId }");
        assert_eq!(code_lines(SCHEMA, &[("schema.prisma", prisma0), ("g.ts", &same)], RULE), vec![("g.ts".to_string(), 3)]);
        // a local named like the column, parsed from the row's column: still the old value
        let parsed = "async function f(prisma, c, p) {\n  const row = await prisma.userSubscription.findUnique({ where: { userId: c } });\n  const usedTokens = Number(row.usedTokens);\n  await prisma.userSubscription.update({ where: { userId: c }, data: { usedTokens: usedTokens + p } });\n}";
        assert_eq!(code_lines(SCHEMA, &[("schema.prisma", prisma0), ("i.ts", parsed)], RULE), vec![("i.ts".to_string(), 4)]);
        // a local named like the column but computed otherwise in a branch
        let branch = "async function f(prisma, c, args) {\n  const row = await prisma.userSubscription.findUnique({ where: { userId: c } });\n  let usedTokens = undefined;\n  if (args.reset) {\n    usedTokens = compute(row.plan);\n  }\n  await prisma.userSubscription.update({ where: { userId: c }, data: { usedTokens: usedTokens ?? 0 } });\n}";
        assert_eq!(code_lines(SCHEMA, &[("schema.prisma", prisma0), ("h.ts", branch)], RULE), vec![]);
        // a compare-and-swap on the value read is safe
        let cas = "async function f(prisma, id, n) {\n  const row = await prisma.userSubscription.findFirst({ where: { userId: id } });\n  const next = row.usedTokens + n;\n  await prisma.userSubscription.updateMany({ where: { userId: id, usedTokens: row.usedTokens }, data: { usedTokens: next } });\n}";
        let prisma = "model UserSubscription {\n  userId String @id @map(\"user_id\")\n  usedTokens Int @map(\"used_tokens\")\n  @@map(\"user_subscriptions\")\n}\n";
        let unguarded = cas.replace("usedTokens: row.usedTokens }", "}");
        assert_eq!(code_lines(SCHEMA, &[("schema.prisma", prisma), ("d.ts", &unguarded)], RULE), vec![("d.ts".to_string(), 4)]);
        assert_eq!(code_lines(SCHEMA, &[("schema.prisma", prisma), ("d.ts", cas)], RULE), vec![]);
        // a value computed into a local first (issue 10's missed `next`)
        let src3 = "async function f(supabase, uid, n) {\n  const { data } = await supabase.from('user_subscriptions').select('used_tokens').eq('user_id', uid).single();\n  const next = data.used_tokens + n;\n  await supabase.from('user_subscriptions').update({ used_tokens: next }).eq('user_id', uid);\n}";
        assert_eq!(code_lines(SCHEMA, &[("c.ts", src3)], RULE), vec![("c.ts".to_string(), 4)]);
    }

    #[test]
    fn sql_strings() {
        let src = "async function charge(pool, uid, n) {\n  const { rows } = await pool.query('SELECT used_tokens FROM user_subscriptions WHERE user_id = $1', [uid]);\n  await pool.query('UPDATE user_subscriptions SET used_tokens = $1 WHERE user_id = $2', [rows[0].used_tokens + n, uid]);\n}\nasync function safe(pool, uid, n) {\n  await pool.query('UPDATE user_subscriptions SET used_tokens = used_tokens + $1 WHERE user_id = $2', [n, uid]);\n}\nasync function locked(pool, uid, n) {\n  const { rows } = await pool.query('SELECT used_tokens FROM user_subscriptions WHERE user_id = $1 FOR UPDATE', [uid]);\n  await pool.query('UPDATE user_subscriptions SET used_tokens = $1 WHERE user_id = $2', [rows[0].used_tokens + n, uid]);\n}";
        assert_eq!(code_lines(SCHEMA, &[("a.ts", src)], RULE), vec![("a.ts".to_string(), 3)]);
    }

    #[test]
    fn stays_silent() {
        let cases = [
            // an RPC does the increment
            "async function f(supabase, uid, n) { await supabase.rpc('charge', { p_tokens: n }); }",
            // copied, not computed
            "async function f(supabase, uid) {\n  const { data } = await supabase.from('user_subscriptions').select('plan').eq('user_id', uid).single();\n  await supabase.from('user_subscriptions').update({ plan: data.plan }).eq('user_id', uid);\n}",
            // another column
            "async function f(supabase, uid, n) {\n  const { data } = await supabase.from('user_subscriptions').select('plan').eq('user_id', uid).single();\n  await supabase.from('user_subscriptions').update({ used_tokens: n + 1 }).eq('user_id', uid);\n}",
            // inside a SERIALIZABLE transaction
            "async function f(pool, uid, n) {\n  await pool.query('BEGIN ISOLATION LEVEL SERIALIZABLE');\n  const { rows } = await pool.query('SELECT used_tokens FROM user_subscriptions WHERE user_id = $1', [uid]);\n  await pool.query('UPDATE user_subscriptions SET used_tokens = $1 WHERE user_id = $2', [rows[0].used_tokens + n, uid]);\n  await pool.query('COMMIT');\n}",
            // read in another function
            "async function r(supabase, uid) { const { data } = await supabase.from('user_subscriptions').select('used_tokens').single(); return data; }\nasync function w(supabase, data, n) { await supabase.from('user_subscriptions').update({ used_tokens: data.used_tokens + n }); }",
        ];
        for src in cases {
            assert_eq!(code_lines(SCHEMA, &[("a.ts", src)], RULE), vec![], "{src}");
        }
    }
}
