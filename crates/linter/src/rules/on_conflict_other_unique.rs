//! # on-conflict-other-unique
//!
//! ## What it finds
//! An `INSERT ... ON CONFLICT` whose row sets every column of *another* unique index, one the
//! conflict target does not cover. ON CONFLICT only handles collisions on its arbiter; a row that
//! collides on the other index still raises 23505.
//!
//! One finding per statement, naming every such index. Not reported: an index whose columns
//! include all of the arbiter's (a collision there is a collision on the arbiter first);
//! surrogate keys (one column filled by a sequence, identity or `gen_random_uuid()` default);
//! columns the statement fills with a fresh value (`gen_random_uuid()`, `nextval(...)`,
//! `random()`: nothing to collide with); and, for an upsert on a natural key, the primary key
//! (or a key containing it): that id is made for the new row, and measured on real projects
//! (hatchet, langfuse) the collision the writer handles is always the natural key's.
//!
//! ## Why it matters
//! A typical case: a workspace "upsert" looked rows up by `id`, but the row it inserted also
//! carried `workspace_id`, which has its own unique index. When the workspace already existed
//! under another id, the upsert did not update it: it failed with *Unique constraint failed on
//! the fields: (`workspace_id`)*, and every batch of the backfill was lost.
//!
//! ## Example
//! ```sql
//! CREATE TABLE workspaces (id serial PRIMARY KEY, workspace_id text NOT NULL UNIQUE, name text);
//! INSERT INTO workspaces (id, workspace_id, name) VALUES ($1, $2, $3)
//!   ON CONFLICT (id) DO UPDATE SET name = excluded.name;
//! -- warning[on-conflict-other-unique]: this upsert handles conflicts on workspaces_pkey (id)
//! --   only; the row also sets (workspace_id), unique by workspaces_workspace_id_key ...
//! ```
//!
//! ## Fix
//! Upsert on the key the data is identified by (`ON CONFLICT (workspace_id)`), or stop writing
//! the other unique column in the insert. If both keys must be handled, catch 23505 and retry as
//! an update.
//!
//! `pgvet prove --rule on-conflict-other-unique` shows the 23505 on the other key on a throwaway
//! PostgreSQL and runs the upsert with that key as its target.
use std::collections::BTreeSet;

use pgvet_catalog::{Index, IndexKey, QName, Table};
use pgvet_syntax::protobuf::{node::Node as N, InsertStmt};
use pgvet_syntax::quote_ident;

use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::race::{Race, RaceSite};
use crate::sql::arbiter::{self, Verdict};
use crate::sql::{display_name, index_columns, upserts, Site};

pub const META: RuleMeta = RuleMeta {
    id: "on-conflict-other-unique",
    summary: "an upsert whose row can still violate a unique index its ON CONFLICT does not cover",
    default_severity: Severity::Warning,
    check: Some(check_prisma),
    check_site: Some(check),
};

fn plain_columns(i: &Index) -> Option<BTreeSet<String>> {
    i.keys
        .iter()
        .map(|k| match k {
            IndexKey::Column(c) => Some(c.clone()),
            IndexKey::Expression(_) => None,
        })
        .collect()
}

/// An index's key elements, columns and expressions alike (expressions in canonical text).
fn key_elements(i: &Index) -> BTreeSet<&IndexKey> {
    i.keys.iter().collect()
}

/// A single-column key filled by a generator: its values do not come from the application.
pub fn is_surrogate(t: &Table, i: &Index) -> bool {
    let [IndexKey::Column(c)] = i.keys.as_slice() else { return false };
    t.column(c).is_some_and(|c| {
        c.identity.is_some()
            || c.default.as_deref().is_some_and(|d| {
                let d = d.to_lowercase();
                d.starts_with("nextval(")
                    || d.contains("gen_random_uuid(")
                    || d.contains("uuid_generate_")
                    || d.contains("uuid_generate_v7")
            })
    })
}

/// The columns the insert sets (with the location of each), or None when pgvet cannot tell.
pub(crate) fn inserted_columns(ins: &InsertStmt, t: &Table) -> Option<Vec<(String, i32)>> {
    if !ins.cols.is_empty() {
        let mut cols: Vec<(String, i32)> = ins
            .cols
            .iter()
            .filter_map(|c| match c.node.as_ref()? {
                N::ResTarget(rt) => Some((rt.name.clone(), rt.location)),
                _ => None,
            })
            .collect();
        // Columns given DEFAULT in every VALUES row are not set by the application.
        if let Some(N::SelectStmt(sel)) = ins.select_stmt.as_deref().and_then(|s| s.node.as_ref()) {
            if !sel.values_lists.is_empty() {
                let all_default = |idx: usize| {
                    sel.values_lists.iter().all(|row| match row.node.as_ref() {
                        Some(N::List(l)) => matches!(l.items.get(idx).and_then(|x| x.node.as_ref()), Some(N::SetToDefault(_))),
                        _ => false,
                    })
                };
                cols = cols.into_iter().enumerate().filter(|(i, _)| !all_default(*i)).map(|(_, c)| c).collect();
            }
        }
        return Some(cols);
    }
    let Some(N::SelectStmt(sel)) = ins.select_stmt.as_deref().and_then(|s| s.node.as_ref()) else { return None };
    let width = sel.values_lists.first().and_then(|r| match r.node.as_ref() {
        Some(N::List(l)) => Some(l.items.len()),
        _ => None,
    })?;
    Some(t.columns.iter().take(width).map(|c| (c.name.clone(), -1)).collect())
}

fn check(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    for (ins, table) in upserts(site) {
        // A backfill (INSERT ... SELECT ... FROM) into a table created by this same migration:
        // the table is empty, so its rows can only collide with each other, which the arbiter
        // analysis does not speak about.
        if matches!(site.kind, crate::sql::SiteKind::Migration)
            && crate::sql::is_copy(ins)
            && table.origin.step == site.file
            && !table.origin.is_builtin()
        {
            continue;
        }
        let Some(oc) = ins.on_conflict_clause.as_deref() else { continue };
        let Verdict::Arbiters(arbiters) = arbiter::infer(site.catalog, table, oc) else { continue };
        if arbiters.is_empty() || arbiter::deferrable_arbiter(site.catalog, table, &arbiters).is_some() {
            continue;
        }
        let Some(cols) = inserted_columns(ins, table) else { continue };
        let set: BTreeSet<&str> = cols.iter().map(|(c, _)| c.as_str()).collect();
        let mut fresh = fresh_columns(ins, &cols);
        fresh.extend(new_row_keys(site, ins, &cols));
        let arb: Vec<&Index> = site.catalog.indexes_of(&table.name).filter(|i| arbiters.contains(&i.name)).collect();
        // The row's own id: its primary key, or without one, an `id` column.
        let pkey: Option<BTreeSet<String>> = site
            .catalog
            .indexes_of(&table.name)
            .find(|i| i.primary)
            .and_then(plain_columns)
            .or_else(|| table.column("id").map(|_| BTreeSet::from(["id".to_string()])));
        let arbiter_is_pkey = arb.iter().any(|a| pkey.as_ref().is_some_and(|pk| plain_columns(a).is_some_and(|ac| pk.is_subset(&ac))));
        let mut others: Vec<(&Index, BTreeSet<String>)> = Vec::new();
        for other in site.catalog.indexes_of(&table.name) {
            if !other.unique || !other.valid || arbiters.contains(&other.name) || is_surrogate(table, other) {
                continue;
            }
            let needs = index_columns(other);
            if needs.is_empty() || !needs.iter().all(|c| set.contains(c.as_str())) {
                continue;
            }
            // A collision on a superset of an arbiter's columns is a collision on the arbiter.
            // Expression keys too: (ws, agent, COALESCE(s, '')) collides only where (agent,
            // COALESCE(s, '')) does, when the arbiter is not partial.
            let covered = plain_columns(other).is_some_and(|oc| arb.iter().any(|a| plain_columns(a).is_some_and(|ac| ac.is_subset(&oc))))
                || arb.iter().any(|a| a.predicate.is_none() && key_elements(a).is_subset(&key_elements(other)));
            if covered {
                continue;
            }
            // Values made fresh by this statement (gen_random_uuid(), nextval(), ...) collide
            // with nothing.
            if needs.iter().any(|c| fresh.contains(c)) {
                continue;
            }
            // Rows that would collide there are deleted first, in this function or in a function
            // of the same file that it calls (`delete ... WHERE publish_name = ANY($2)`).
            if cleared_first(site, cx, table, &needs) {
                continue;
            }
            // An upsert on a natural key that also writes the row's primary key: that id is the
            // new row's own (made by the application for this row); the collision the writer
            // handles is the natural key's.
            if !arbiter_is_pkey && pkey.as_ref().is_some_and(|pk| plain_columns(other).is_some_and(|oc| pk.is_subset(&oc))) {
                continue;
            }
            others.push((other, needs));
        }
        // One finding per statement, naming every other key.
        if !others.is_empty() {
            let race = RaceSite {
                race: Race::OtherUnique {
                    table: table.name.clone(),
                    target: arb.first().and_then(|a| plain_columns(a)).map(|c| c.into_iter().collect()).unwrap_or_default(),
                    other: others[0].1.iter().cloned().collect(),
                    sets: cols.iter().map(|(c, _)| c.clone()).collect(),
                    update: oc.action() == pgvet_syntax::protobuf::OnConflictAction::OnconflictUpdate,
                    lookup: false,
                },
                transaction: false,
                client: if matches!(site.kind, crate::sql::SiteKind::Code) { "sql" } else { "migration" },
            };
            out.push(diagnostic(site, cx, table, &arb, &others, &cols).with_race(race));
        }
    }
}

/// Prisma upserts: `where` names one unique key; a `create` that also sets the columns of another
/// unique index fails on it (P2002) whether Prisma sends INSERT ... ON CONFLICT or SELECT then
/// INSERT. Skipped like the SQL form: the row's own id, keys the `where` covers, handled P2002.
fn check_prisma(cx: &Context, out: &mut Vec<Diagnostic>) {
    let models = crate::code::prisma_models(cx.code);
    for f in cx.code {
        for s in &f.extraction.sites {
            let pgvet_code::Call::Prisma(p) = &s.call else { continue };
            if p.op != "upsert" || !p.complete || s.unique_handled {
                continue;
            }
            let Some((q, m)) = crate::code::prisma_model(&models, &p.model) else { continue };
            let Some(table) = cx.catalog.tables.get(&q) else { continue };
            let get = |k: &str| p.args.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_slice()).unwrap_or(&[]);
            let [key] = get("where") else { continue };
            // The where key's columns (`email`, or a compound `workspaceId_slug`).
            let key_fields: Vec<&str> =
                if m.field(&key.column).is_some() { vec![key.column.as_str()] } else { key.column.split('_').collect() };
            let column = |fname: &str| m.field(fname).filter(|fd| !fd.relation).map(|fd| fd.column.clone());
            let key_cols: BTreeSet<String> = key_fields.iter().filter_map(|k| column(k)).collect();
            if key_cols.is_empty() {
                continue;
            }
            // Values made fresh for this row (a generated id or token) collide with nothing: the
            // expression itself, or the initialiser of the local it names, in this function.
            let fresh = |expr: &str| {
                // Follow `const { a } = b; const b = f()` up to a few steps.
                let mut texts = vec![expr.trim().to_string()];
                for _ in 0..3 {
                    let last = texts.last().cloned().unwrap_or_default();
                    let ident = last.split(['.', '[']).next().unwrap_or("").trim().to_string();
                    let Some(init) = f
                        .extraction
                        .bindings
                        .iter()
                        .filter(|b| b.function == s.function && b.names.contains(&ident))
                        .map(|b| b.text.clone())
                        .next_back()
                    else {
                        break;
                    };
                    texts.push(init);
                }
                texts.iter().any(|t| crate::code::fresh_value(t))
            };
            let created: Vec<(&pgvet_code::Value, String)> =
                get("create").iter().filter(|v| !fresh(&v.expr)).filter_map(|v| column(&v.column).map(|c| (v, c))).collect();
            let set: BTreeSet<&str> = created.iter().map(|(_, c)| c.as_str()).collect();
            let pkey: Option<BTreeSet<String>> = cx.catalog.indexes_of(&table.name).find(|i| i.primary).and_then(plain_columns);
            let key_is_pkey = pkey.as_ref().is_some_and(|pk| pk.is_subset(&key_cols));
            let other = cx.catalog.indexes_of(&table.name).find(|i| {
                let Some(cols) = plain_columns(i) else { return false };
                i.unique
                    && i.valid
                    && i.predicate.is_none()
                    && !cols.is_empty()
                    && cols.iter().all(|c| set.contains(c.as_str()))
                    && !key_cols.is_subset(&cols)
                    && !cols.is_subset(&key_cols)
                    // the new row's own id, when the lookup is by a natural key
                    && (key_is_pkey || !pkey.as_ref().is_some_and(|pk| pk.is_subset(&cols)))
            });
            let Some(other) = other else { continue };
            let cols = plain_columns(other).unwrap_or_default();
            // The function looks the other key up first (`findUnique({ where: { email } })`):
            // the case is handled; what is left is a race, orm-upsert-not-atomic's business.
            let looked_up = f.extraction.sites.iter().any(|o| {
                o.function == s.function
                    && o.span.start < s.span.start
                    && matches!(&o.call, pgvet_code::Call::Prisma(q) if q.op.starts_with("find")
                        && q.model.eq_ignore_ascii_case(&p.model)
                        && q.args.iter().filter(|(k, _)| k == "where").flat_map(|(_, v)| v).any(|v| column(&v.column).is_some_and(|c| cols.contains(&c))))
            });
            if looked_up {
                continue;
            }
            let at = created.iter().find(|(_, c)| cols.contains(c)).map(|(v, _)| v.span).unwrap_or(p.op_span);
            let other_cols = cols.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
            let key_text = key_cols.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
            let mut d = Diagnostic::new(
                META.id,
                META.default_severity,
                format!(
                    "prisma.{}.upsert looks the row up by ({key_text}) only; create also sets ({other_cols}), which {} keeps unique: when another row already has that value the upsert fails with P2002 (\"Unique constraint failed on the fields: ({other_cols})\") instead of updating",
                    p.model,
                    quote_ident(&other.name.name)
                ),
                Label::new(f.file, at).with_message(format!("also unique by {}", other.name.name)),
            )
            .with_help(format!(
                "Upsert on the field the data is identified by, or leave ({other_cols}) out of create, or catch P2002. An upsert by id that also sets a unique workspace_id fails this way: \"Unique constraint failed on the fields: (workspace_id)\"."
            ))
            .with_race(RaceSite {
                race: Race::OtherUnique {
                    table: table.name.clone(),
                    target: key_cols.iter().cloned().collect(),
                    other: cols.iter().cloned().collect(),
                    sets: get("create").iter().filter_map(|v| column(&v.column)).collect(),
                    update: !get("update").is_empty(),
                    lookup: super::orm_upsert_not_atomic::not_native(m, &p.args, p.nested).is_some(),
                },
                transaction: true,
                client: "prisma",
            });
            if let Some(l) = definition(cx, &table.name, other) {
                d = d.with_related(l);
            }
            out.push(d);
        }
    }
}

/// Whether, before this upsert in application code, its function deletes rows of the table by the
/// other key's columns, itself or through a function of the same file it calls.
fn cleared_first(site: &Site, cx: &Context, table: &Table, needs: &BTreeSet<String>) -> bool {
    use pgvet_syntax::NodeEnum;
    if !matches!(site.kind, crate::sql::SiteKind::Code) {
        return false;
    }
    let Some(cf) = cx.code.iter().find(|c| c.file == site.file) else { return false };
    let x = &cf.extraction;
    let text = &cx.files[site.file].text;
    // Functions of the file whose SQL deletes from the table with a filter on all of `needs`.
    let deleting: Vec<(usize, usize)> = x
        .sites
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            cf.sql[*i].iter().flat_map(|p| &p.statements).any(|st| match &st.node {
                NodeEnum::DeleteStmt(d) => {
                    d.relation.as_ref().is_some_and(|r| r.relname == table.name.name)
                        && d.where_clause.as_deref().is_some_and(|w| {
                            let cols = pgvet_syntax::expr_columns(w);
                            needs.iter().all(|n| cols.iter().any(|c| c == n))
                        })
                }
                _ => false,
            })
        })
        .filter_map(|(_, s)| s.function.map(|f| (f, s.span.start)))
        .collect();
    if deleting.is_empty() {
        return false;
    }
    let Some(func) = x.functions.iter().position(|f| {
        f.span.start <= site.span.start && site.span.end <= f.span.end && {
            // the innermost enclosing function
            !x.functions.iter().any(|g| g.span.start > f.span.start && g.span.start <= site.span.start && site.span.end <= g.span.end)
        }
    }) else {
        return false;
    };
    let before = text.get(x.functions[func].span.start..site.span.start).unwrap_or("");
    deleting.iter().any(|&(d, at)| if d == func { at < site.span.start } else { before.contains(&format!("{}(", x.functions[d].name)) })
}

/// Columns whose value in every row is made fresh by the statement itself: a call of a
/// generator (`gen_random_uuid()`, `uuid_generate_v4()`, `nextval(...)`, `random()`, ...).
/// In a row trigger function run only on INSERT (or DELETE): the columns set from `NEW.<key>`,
/// the primary key of the row just inserted into the trigger's table. No existing row holds that
/// value yet (it is new in its own table), so it collides with nothing; on DELETE, NEW is NULL,
/// which no unique index compares equal. (On UPDATE NEW.<key> is an existing row's key.)
fn new_row_keys(site: &Site, ins: &InsertStmt, cols: &[(String, i32)]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let crate::sql::SiteKind::Function(f) = site.kind else { return out };
    let triggers: Vec<(&pgvet_catalog::Table, &pgvet_catalog::Trigger)> =
        site.catalog.tables.values().flat_map(|t| t.triggers.iter().filter(|tr| tr.function == f.name).map(move |tr| (t, tr))).collect();
    if triggers.is_empty()
        || triggers.iter().any(|(_, tr)| tr.events.iter().any(|e| !matches!(*e, "insert" | "delete")) || !tr.for_each_row)
    {
        return out;
    }
    // The primary key column shared by every table the function is a trigger of.
    let keys: Vec<Option<String>> = triggers
        .iter()
        .map(|(t, _)| {
            site.catalog
                .indexes_of(&t.name)
                .find(|i| i.primary)
                .and_then(plain_columns)
                .filter(|c| c.len() == 1)
                .and_then(|c| c.into_iter().next())
        })
        .collect();
    let Some(Some(key)) = keys.first().cloned() else { return out };
    if keys.iter().any(|k| k.as_deref() != Some(key.as_str())) {
        return out;
    }
    let Some(N::SelectStmt(sel)) = ins.select_stmt.as_deref().and_then(|s| s.node.as_ref()) else { return out };
    let [row] = sel.values_lists.as_slice() else { return out };
    let Some(N::List(items)) = row.node.as_ref() else { return out };
    for ((c, _), v) in cols.iter().zip(&items.items) {
        let is_new_key = matches!(v.node.as_ref(), Some(N::ColumnRef(r)) if {
            let names: Vec<&str> = r.fields.iter().filter_map(|f| match f.node.as_ref() { Some(N::String(x)) => Some(x.sval.as_str()), _ => None }).collect();
            matches!(names.as_slice(), [n, k] if n.eq_ignore_ascii_case("new") && *k == key)
        });
        if is_new_key {
            out.insert(c.clone());
        }
    }
    out
}

pub(crate) fn fresh_columns(ins: &InsertStmt, cols: &[(String, i32)]) -> BTreeSet<String> {
    const GENERATORS: &[&str] = &["gen_random_uuid", "uuidv4", "uuidv7", "nextval", "random", "gen_random_bytes", "clock_timestamp"];
    let fresh =
        |n: &pgvet_syntax::protobuf::Node| pgvet_syntax::calls_function(n, |f| f.starts_with("uuid_generate_v") || GENERATORS.contains(&f));
    let mut out = BTreeSet::new();
    let Some(N::SelectStmt(sel)) = ins.select_stmt.as_deref().and_then(|s| s.node.as_ref()) else { return out };
    let rows: Vec<Vec<&pgvet_syntax::protobuf::Node>> = if !sel.values_lists.is_empty() {
        sel.values_lists
            .iter()
            .map(|r| match r.node.as_ref() {
                Some(N::List(l)) => l.items.iter().collect(),
                _ => Vec::new(),
            })
            .collect()
    } else {
        vec![sel
            .target_list
            .iter()
            .filter_map(|t| match t.node.as_ref() {
                Some(N::ResTarget(rt)) => rt.val.as_deref(),
                _ => None,
            })
            .collect()]
    };
    for (i, (c, _)) in cols.iter().enumerate() {
        if !rows.is_empty() && rows.iter().all(|r| r.get(i).is_some_and(|n| fresh(n))) {
            out.insert(c.clone());
        }
    }
    out
}

fn diagnostic(
    site: &Site,
    cx: &Context,
    table: &Table,
    arb: &[&Index],
    others: &[(&Index, BTreeSet<String>)],
    cols: &[(String, i32)],
) -> Diagnostic {
    let ((other, needs), more) = (&others[0], &others[1..]);
    let tname = display_name(&table.name);
    let arbiter_text: Vec<String> = arb.iter().map(|a| format!("{} {}", quote_ident(&a.name.name), arbiter::key_text(a))).collect();
    let other_cols = needs.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
    let at = cols.iter().find(|(c, _)| needs.contains(c)).map(|(_, l)| *l).unwrap_or(-1);
    let partial = if other.predicate.is_some() { " (for rows matching its WHERE)" } else { "" };
    let also = match more {
        [] => String::new(),
        [(i, _)] => format!(" (and {} keeps another key unique)", quote_ident(&i.name.name)),
        many => format!(
            " (and {} more unique indexes: {})",
            many.len(),
            many.iter().map(|(i, _)| i.name.name.as_str()).collect::<Vec<_>>().join(", ")
        ),
    };
    let mut d = Diagnostic::new(
        META.id,
        META.default_severity,
        format!(
            "this upsert handles conflicts on {} only; the row also sets ({other_cols}), which {} keeps unique{partial}{also}: a row that matches an existing one there raises 23505 (duplicate key value violates unique constraint \"{}\") instead of being updated",
            arbiter_text.join(" and "),
            quote_ident(&other.name.name),
            other.name.name
        ),
        site.label_word(at).with_message(format!("also unique by {}", other.name.name)),
    )
    .with_help(format!(
        "ON CONFLICT only absorbs collisions on its arbiter. If rows of {tname} are identified by ({other_cols}), make that the conflict target; otherwise do not write ({other_cols}) in this insert, or catch 23505 and update instead. An upsert by id that also sets a unique workspace_id fails this way: \"Unique constraint failed on the fields: (workspace_id)\"."
    ));
    if let Some(l) = definition(cx, &table.name, other) {
        d = d.with_related(l);
    }
    d
}

fn definition(cx: &Context, _table: &QName, i: &Index) -> Option<Label> {
    let o = i.origin;
    if o.is_builtin() {
        return None;
    }
    let f = cx.files.get(o.step)?;
    Some(Label::at_clause(o.step, f, o.span, o.at).with_message(format!("{} is defined here", i.name.name)))
}

#[cfg(test)]
mod tests {
    use crate::test_util::lines;

    const RULE: &str = "on-conflict-other-unique";

    #[test]
    fn fires() {
        let cases = [
            // field report 01: upsert by id while setting the unique workspace_id
            ("CREATE TABLE w (id int PRIMARY KEY, workspace_id text NOT NULL UNIQUE, name text);\nINSERT INTO w (id, workspace_id, name)\n  VALUES (1, 'x', 'n') ON CONFLICT (id) DO UPDATE SET name = excluded.name;", vec![2]),
            // DO NOTHING with a target still raises on the other index
            ("CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE);\nINSERT INTO u (id, email) VALUES (1, 'a') ON CONFLICT (id) DO NOTHING;", vec![2]),
            // expression index on another column
            ("CREATE TABLE u (id int PRIMARY KEY, email text);\nCREATE UNIQUE INDEX ON u (lower(email));\nINSERT INTO u (id, email) VALUES (1, 'a') ON CONFLICT (id) DO NOTHING;", vec![3]),
            // no column list: VALUES fills the first columns
            ("CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE, n int);\nINSERT INTO u VALUES (1, 'a', 1) ON CONFLICT (id) DO NOTHING;", vec![2]),
            // two other keys: one finding for the statement
            ("CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE, handle text UNIQUE);\nINSERT INTO u (id, email, handle) VALUES (1, 'a', 'b') ON CONFLICT (id) DO NOTHING;", vec![2]),
            // in a PL/pgSQL function
            ("CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE);\nCREATE FUNCTION f(p int, e text) RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO u (id, email) VALUES (p, e) ON CONFLICT (id) DO NOTHING;\nEND $$;", vec![4]),
        ];
        for (sql, want) in cases {
            assert_eq!(lines(sql, RULE), want, "{sql}");
        }
    }

    /// An index whose key holds all of the arbiter's elements, expressions included, collides
    /// only where the arbiter does (the expanded phase of a key change); not when the arbiter is
    /// partial.
    #[test]
    fn superset_keys_with_expressions_are_covered() {
        let t = "CREATE TABLE m (id int PRIMARY KEY, ws text, a text NOT NULL, s text);\nCREATE UNIQUE INDEX old_k ON m (a, COALESCE(s, ''));\nCREATE UNIQUE INDEX new_k ON m (ws, a, COALESCE(s, ''));\n";
        assert!(lines(
            &format!("{t}INSERT INTO m (id, ws, a, s) VALUES (1, 'w', 'a', NULL) ON CONFLICT (a, COALESCE(s, '')) DO NOTHING;"),
            RULE
        )
        .is_empty());
        let partial = "CREATE TABLE m (id int PRIMARY KEY, ws text, a text NOT NULL, s text);\nCREATE UNIQUE INDEX old_k ON m (a, COALESCE(s, '')) WHERE ws IS NOT NULL;\nCREATE UNIQUE INDEX new_k ON m (ws, a, COALESCE(s, ''));\n";
        assert_eq!(lines(&format!("{partial}INSERT INTO m (id, ws, a, s) VALUES (1, 'w', 'a', NULL) ON CONFLICT (a, COALESCE(s, '')) WHERE ws IS NOT NULL DO NOTHING;"), RULE), vec![4]);
    }

    /// A Prisma upsert whose create sets another unique field (issue 10's `email` case).
    #[test]
    fn prisma_upserts() {
        use crate::test_util::code_lines;
        let prisma = "model User {\n  id String @id\n  authId String @unique @map(\"auth_id\")\n  email String @unique\n  name String\n  @@map(\"users\")\n}\n";
        let schema = "CREATE TABLE users (id text PRIMARY KEY, auth_id text NOT NULL, email text NOT NULL, name text);\nCREATE UNIQUE INDEX users_auth_id_key ON users (auth_id);\nCREATE UNIQUE INDEX users_email_key ON users (email);";
        let src = "export async function login(prisma, a) {\n  await prisma.user.upsert({ where: { authId: a.sub }, create: { id: a.id, authId: a.sub, email: a.email, name: a.name }, update: { name: a.name } });\n  await prisma.user.upsert({ where: { email: a.email }, create: { id: a.id, email: a.email, name: a.name }, update: { name: a.name } });\n  // a fresh value for the other key: the expression, or the local it names\n  await prisma.user.upsert({ where: { authId: a.sub }, create: { id: a.id, authId: a.sub, email: generateEmail(), name: a.name }, update: {} });\n  const { email } = Mailbox.generate();\n  await prisma.user.upsert({ where: { authId: a.sub }, create: { id: a.id, authId: a.sub, email, name: a.name }, update: {} });\n}\nexport async function checked(prisma, a) {\n  const taken = await prisma.user.findUnique({ where: { email: a.email } });\n  if (taken) throw new Error('taken');\n  await prisma.user.upsert({ where: { authId: a.sub }, create: { id: a.id, authId: a.sub, email: a.email, name: a.name }, update: {} });\n}";
        assert_eq!(code_lines(schema, &[("schema.prisma", prisma), ("a.ts", src)], RULE), vec![("a.ts".to_string(), 2)]);
    }

    /// Rows that would collide on the other key are deleted first (here through a helper).
    #[test]
    fn conflicts_cleared_first() {
        use crate::test_util::code_lines;
        let schema = "CREATE TABLE pubs (ws uuid, view uuid, name text, PRIMARY KEY (ws, view), UNIQUE (ws, name));";
        let src = "async function clear(tx, ws, names) {\n  await tx.query('DELETE FROM pubs WHERE ws = $1 AND name = ANY($2)', [ws, names]);\n}\nexport async function publish(tx, ws, view, name) {\n  await clear(tx, ws, [name]);\n  await tx.query('INSERT INTO pubs (ws, view, name) VALUES ($1, $2, $3) ON CONFLICT (ws, view) DO UPDATE SET name = excluded.name', [ws, view, name]);\n}\nexport async function rename(tx, ws, view, name) {\n  await tx.query('INSERT INTO pubs (ws, view, name) VALUES ($1, $2, $3) ON CONFLICT (ws, view) DO UPDATE SET name = excluded.name', [ws, view, name]);\n}";
        assert_eq!(code_lines(schema, &[("a.ts", src)], RULE), vec![("a.ts".to_string(), 9)]);
    }

    /// A row trigger on INSERT (or DELETE) writing the new row's own key: no row holds it yet.
    /// On UPDATE, NEW.id is an existing row's key, and the finding stays.
    #[test]
    fn a_trigger_writing_the_new_rows_key() {
        let trigger = |events: &str| {
            format!(
                "CREATE TABLE versions (id serial PRIMARY KEY, crate_id int NOT NULL);\nCREATE TABLE default_versions (crate_id int PRIMARY KEY, version_id int NOT NULL UNIQUE, n int);\nCREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO default_versions (crate_id, version_id, n) VALUES (NEW.crate_id, NEW.id, 1)\n  ON CONFLICT (crate_id) DO UPDATE SET n = default_versions.n + 1;\n  RETURN NEW;\nEND $$;\nCREATE TRIGGER t AFTER {events} ON versions FOR EACH ROW EXECUTE FUNCTION bump();"
            )
        };
        assert_eq!(lines(&trigger("INSERT OR DELETE"), RULE), Vec::<usize>::new());
        assert_eq!(lines(&trigger("INSERT OR UPDATE"), RULE), vec![5]);
    }

    #[test]
    fn stays_silent() {
        let cases = [
            // the fixed field report 01: upsert on the natural key
            "CREATE TABLE w (id serial PRIMARY KEY, workspace_id text NOT NULL UNIQUE, name text);\nINSERT INTO w (workspace_id, name) VALUES ('x', 'n') ON CONFLICT (workspace_id) DO UPDATE SET name = excluded.name;",
            // the other unique column is not set
            "CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE, n int);\nINSERT INTO u (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = excluded.n;",
            // a superset of the arbiter
            "CREATE TABLE t (a int UNIQUE, b int, UNIQUE (a, b));\nINSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a) DO NOTHING;",
            // a surrogate key set explicitly
            "CREATE TABLE t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), slug text UNIQUE);\nINSERT INTO t (id, slug) VALUES (gen_random_uuid(), 's') ON CONFLICT (slug) DO NOTHING;",
            // DEFAULT for the other column
            "CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE);\nINSERT INTO u (id, email) VALUES (1, DEFAULT) ON CONFLICT (id) DO NOTHING;",
            // DO NOTHING without a target covers every unique index
            "CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE);\nINSERT INTO u (id, email) VALUES (1, 'a') ON CONFLICT DO NOTHING;",
            // a fresh value for the other key
            "CREATE TABLE t (id uuid PRIMARY KEY, slug text UNIQUE);\nINSERT INTO t (id, slug) VALUES (gen_random_uuid(), 's') ON CONFLICT (slug) DO NOTHING;",
            "CREATE TABLE t (id text PRIMARY KEY, slug text UNIQUE);\nINSERT INTO t (id, slug) SELECT md5(random()::text), 's' ON CONFLICT (slug) DO NOTHING;",
            // an upsert on a natural key that writes the new row's own id (hatchet, langfuse)
            "CREATE TABLE l (id uuid PRIMARY KEY, tenant_id uuid, resource text, UNIQUE (tenant_id, resource), UNIQUE (id));\nINSERT INTO l (id, tenant_id, resource) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, resource) DO NOTHING;",
            // a backfill into a table created by the same migration (empty)
            "CREATE TABLE models (id text PRIMARY KEY);\nCREATE TABLE tiers (id text PRIMARY KEY, model_id text, name text, UNIQUE (model_id, name));\nINSERT INTO tiers (id, model_id, name) SELECT id || '_default', id, 'Standard' FROM models ON CONFLICT (id) DO NOTHING;",
            // only one unique key
            "CREATE TABLE t (w int, n text, v int, PRIMARY KEY (w, n));\nINSERT INTO t VALUES (1, 'a', 1) ON CONFLICT (w, n) DO UPDATE SET v = excluded.v;",
        ];
        for sql in cases {
            assert_eq!(lines(sql, RULE), Vec::<usize>::new(), "{sql}");
        }
    }
}
