//! # on-conflict-no-unique-index
//!
//! ## What it finds
//! An `INSERT ... ON CONFLICT` that PostgreSQL refuses, decided the way the server decides it
//! (a port of its arbiter inference, checked against a real server on thousands of statements):
//! - the target's columns/expressions, as a set, equal no valid unique index's key
//!   (order does not matter; a superset does not match; an expression index matches only the same
//!   expression; a partial unique index matches only when the `WHERE` of the ON CONFLICT implies
//!   its predicate): **42P10**;
//! - `ON CONSTRAINT name` names no constraint of that table (a unique *index* is not a
//!   constraint): **42704**; or a constraint without an index (CHECK, FOREIGN KEY): **42809**;
//! - `DO UPDATE` without a target (**42601**) or with an exclusion constraint (**42809**);
//! - an unknown column in the target: **42703**;
//! - an arbiter that is a `DEFERRABLE` constraint: the statement plans, then fails with
//!   **55000** as soon as it inserts a row (for `DO NOTHING` without a target, every unique
//!   index is an arbiter).
//!
//! It checks migrations (against the schema at that migration), function bodies (SQL and
//! PL/pgSQL, against the schema after all migrations: a later migration that drops or changes
//! the key breaks a function written earlier, and is shown) and query files.
//!
//! ## Why it matters
//! The arbiter is chosen when the statement is planned, not when it is prepared, so compile-time
//! query checkers never see this error; it appears in production the first time the code path
//! runs. A typical case: after a migration made the unique keys include `workspace_id`, every
//! `ON CONFLICT (name)` in the code failed with 42P10.
//!
//! ## Example
//! ```sql
//! CREATE TABLE agent_metrics (workspace_id uuid, name text, value int,
//!                             UNIQUE (workspace_id, name));
//! INSERT INTO agent_metrics (workspace_id, name, value) VALUES ($1, $2, $3)
//!   ON CONFLICT (name) DO UPDATE SET value = excluded.value;
//! -- error[on-conflict-no-unique-index]: ON CONFLICT (name) matches no unique index
//! --   on agent_metrics: PostgreSQL raises 42P10 when this statement runs
//! ```
//!
//! ## Fix
//! Name exactly the columns of one of the table's unique keys (the message lists them):
//! `ON CONFLICT (workspace_id, name)`. If the key really should be unique, add the unique index
//! (check the data for duplicates first). For a deferrable constraint, use a non-deferrable
//! unique index as the arbiter.
use pgvet_catalog::{Catalog, Table};

use super::{breaking_migration, Context, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity};
use crate::sql::arbiter::{self, Verdict};
use crate::sql::{display_name, resolve_relation, unique_keys, upserts, Relation, Site, SiteKind};

pub const META: RuleMeta = RuleMeta {
    id: "on-conflict-no-unique-index",
    summary: "an ON CONFLICT clause PostgreSQL rejects (no matching unique index, deferrable arbiter, ...)",
    default_severity: Severity::Error,
    check: None,
    check_site: Some(check),
};

fn target_text(site: &Site, oc: &pgvet_syntax::protobuf::OnConflictClause) -> String {
    let Some(infer) = oc.infer.as_deref() else { return "ON CONFLICT".into() };
    if !infer.conname.is_empty() {
        return format!("ON CONFLICT ON CONSTRAINT {}", infer.conname);
    }
    // The target as written, from the file.
    let label = site.label_at(infer.location);
    let text = &site.file_text[label.span.range()];
    match balanced(text) {
        Some(t) => format!("ON CONFLICT {t}"),
        None => "this ON CONFLICT target".into(),
    }
}

/// The parenthesised group at the start of `text` (quotes respected).
fn balanced(text: &str) -> Option<&str> {
    if !text.starts_with('(') {
        return None;
    }
    let (mut depth, mut quote) = (0usize, None::<char>);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[..=i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// A unique index whose key contains the whole target: the target probably lost columns
/// (typically the tenant column after a key change).
fn wider_key<'c>(cat: &'c Catalog, table: &Table, oc: &pgvet_syntax::protobuf::OnConflictClause) -> Option<&'c pgvet_catalog::Index> {
    use pgvet_catalog::IndexKey;
    let infer = oc.infer.as_deref()?;
    if !infer.conname.is_empty() {
        return None;
    }
    let mut cols = Vec::new();
    let mut exprs = Vec::new();
    for e in &infer.index_elems {
        match e.node.as_ref()? {
            pgvet_syntax::protobuf::node::Node::IndexElem(ie) if !ie.name.is_empty() => cols.push(ie.name.clone()),
            pgvet_syntax::protobuf::node::Node::IndexElem(ie) => exprs.push(pgvet_syntax::canonical_expr_node(ie.expr.as_deref()?)?),
            _ => return None,
        }
    }
    cat.indexes_of(&table.name).filter(|i| i.unique && i.valid).find(|i| {
        cols.iter().all(|c| i.keys.contains(&IndexKey::Column(c.clone())))
            && exprs.iter().all(|x| i.keys.contains(&IndexKey::Expression(x.clone())))
            && i.keys.len() > cols.len() + exprs.len()
    })
}

fn verdict_at(cat: &Catalog, site: &Site, table: &Table, oc: &pgvet_syntax::protobuf::OnConflictClause) -> bool {
    match resolve_relation(cat, site.search_path, &table.name.schema, &table.name.name) {
        Some(Relation::Table(t)) => match arbiter::infer(cat, t, oc) {
            Verdict::Arbiters(a) => arbiter::deferrable_arbiter(cat, t, &a).is_none(),
            Verdict::Error { .. } => false,
            Verdict::Unknown => true,
        },
        _ => false,
    }
}

fn check(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    for (ins, table) in upserts(site) {
        let Some(oc) = ins.on_conflict_clause.as_deref() else { continue };
        let mut verdict = arbiter::infer(site.catalog, table, oc);
        let mut withheld = None;
        if matches!(verdict, Verdict::Unknown) {
            if let Some((v @ Verdict::Error { .. }, by)) = arbiter::withheld(site.catalog, table, oc) {
                verdict = v;
                withheld = Some(by);
            }
        }
        match &verdict {
            Verdict::Unknown => continue,
            Verdict::Arbiters(a) if arbiter::deferrable_arbiter(site.catalog, table, a).is_none() => continue,
            _ => {}
        }
        let tname = display_name(&table.name);
        let keys = unique_keys(site.catalog, table);
        let target = target_text(site, oc);
        let (code, message, location, help) = match verdict {
            Verdict::Unknown => continue,
            Verdict::Arbiters(arbiters) => {
                let Some(idx) = arbiter::deferrable_arbiter(site.catalog, table, &arbiters) else { continue };
                let con = idx.constraint.clone().unwrap_or_default();
                (
                    "55000",
                    format!(
                        "{target} uses the DEFERRABLE constraint {con} of {tname} as its arbiter: PostgreSQL raises 55000 (\"ON CONFLICT does not support deferrable unique constraints/exclusion constraints as arbiters\") when a row is inserted"
                    ),
                    oc.location,
                    "The statement plans and EXPLAIN succeeds, so tests that only prepare it pass; it fails on the first insert. Make the constraint NOT DEFERRABLE, or add a non-deferrable unique index on the same columns to arbitrate.".to_string(),
                )
            }
            Verdict::Error { code, message, location } => {
                let what = match code {
                    "42P10" => format!(
                        "{target} matches no unique index on {tname}: PostgreSQL raises 42P10 (\"{message}\") when this statement runs"
                    ),
                    _ => format!("{target} on {tname} fails: PostgreSQL raises {code} (\"{message}\")"),
                };
                let wider = if code == "42P10" { wider_key(site.catalog, table, oc) } else { None };
                let help = match code {
                    "42P10" if wider.is_some() => {
                        let w = wider.unwrap();
                        format!(
                            "Did you mean ON CONFLICT {}? The unique key {} has more columns than this target (a key that gained a column, such as the tenant column, leaves old targets behind), and a target must list exactly the columns of one unique index.",
                            arbiter::key_text(w),
                            w.name.name
                        )
                    }
                    "42P10" => "The target must list exactly the columns (or expressions) of one unique index, in any order; a partial unique index also needs an ON CONFLICT WHERE that implies its predicate.".to_string(),
                    "42704" => "ON CONSTRAINT needs a constraint's name; a unique index created with CREATE UNIQUE INDEX is not a constraint (use its columns as the target instead).".to_string(),
                    "42601" => "DO UPDATE must say which conflict it handles: add the target columns, e.g. ON CONFLICT (...) DO UPDATE.".to_string(),
                    "42809" => "DO UPDATE works only with unique constraints and indexes; an exclusion constraint (or a constraint without an index) cannot arbitrate it.".to_string(),
                    _ => String::new(),
                };
                (code, what, if code == "42703" { location } else { oc.location }, help)
            }
        };
        let mut d = Diagnostic::new(
            META.id,
            META.default_severity,
            format!("{message}; unique keys of {tname}: {keys}"),
            site.label_at(location).with_message(format!("SQLSTATE {code}")),
        );
        if !help.is_empty() {
            d = d.with_help(help);
        }
        if let SiteKind::Function(f) = site.kind {
            if let Some(l) = breaking_migration(cx, f.origin.step, &table.name.name, |cat| verdict_at(cat, site, table, oc)) {
                d = d.with_related(l);
            }
        }
        if code == "42P10" && wider_key(site.catalog, table, oc).is_none() {
            if let Some(fix) = unique_index_fix(table, oc) {
                d = d.with_fix(fix);
            }
        }
        out.push(d.withheld_if(withheld));
    }
}

/// For a plain-column target: the unique index that would make it valid.
fn unique_index_fix(table: &Table, oc: &pgvet_syntax::protobuf::OnConflictClause) -> Option<Fix> {
    let infer = oc.infer.as_deref()?;
    if infer.where_clause.is_some() {
        return None;
    }
    let mut cols = Vec::new();
    for e in &infer.index_elems {
        match e.node.as_ref()? {
            pgvet_syntax::protobuf::node::Node::IndexElem(ie) if !ie.name.is_empty() => cols.push(ie.name.clone()),
            _ => return None,
        }
    }
    let name = pgvet_catalog::names::make_object_name(&table.name.name, Some(&pgvet_catalog::names::name_addition(&cols)), Some("key"));
    let list = cols.iter().map(|c| pgvet_syntax::quote_ident(c)).collect::<Vec<_>>().join(", ");
    Some(Fix {
        description: format!(
            "add a unique index on {} ({list}) (only if those columns really are unique: check for duplicates first)",
            display_name(&table.name)
        ),
        migration: Some(format!(
            "CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({list});",
            pgvet_syntax::quote_ident(&name),
            display_name(&table.name)
        )),
        applicability: Applicability::Unsafe,
    })
}

#[cfg(test)]
mod tests {
    use crate::test_util::{findings, lines};

    const RULE: &str = "on-conflict-no-unique-index";

    #[test]
    fn fires() {
        let cases = [
            // superset of a key
            ("CREATE TABLE t (a int, b int, UNIQUE (a));\nINSERT INTO t VALUES (1, 2) ON CONFLICT (a, b) DO NOTHING;", "42P10"),
            // subset of a composite key (field report 02)
            ("CREATE TABLE t (w int, n text, v int, UNIQUE (w, n));\nINSERT INTO t VALUES (1, 'a', 1)\n  ON CONFLICT (n) DO UPDATE SET v = excluded.v;", "42P10"),
            // expression index needs the expression
            ("CREATE TABLE u (email text);\nCREATE UNIQUE INDEX ON u (lower(email));\nINSERT INTO u VALUES ('a') ON CONFLICT (email) DO NOTHING;", "42P10"),
            // partial index without an implying WHERE
            ("CREATE TABLE t (a int, deleted_at timestamptz);\nCREATE UNIQUE INDEX ON t (a) WHERE deleted_at IS NULL;\nINSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING;", "42P10"),
            // ON CONSTRAINT naming a unique index
            ("CREATE TABLE t (a int);\nCREATE UNIQUE INDEX t_a ON t (a);\nINSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT t_a DO NOTHING;", "42704"),
            // DO UPDATE without target
            ("CREATE TABLE t (a int PRIMARY KEY, b int);\nINSERT INTO t VALUES (1, 2) ON CONFLICT DO UPDATE SET b = 3;", "42601"),
            // DO UPDATE on an exclusion constraint
            ("CREATE TABLE t (a int, CONSTRAINT t_ex EXCLUDE USING btree (a WITH =));\nINSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT t_ex DO UPDATE SET a = 2;", "42809"),
            // deferrable arbiter
            ("CREATE TABLE t (a int UNIQUE DEFERRABLE, b int);\nINSERT INTO t VALUES (1, 2) ON CONFLICT (a) DO UPDATE SET b = 3;", "55000"),
            // unknown column
            ("CREATE TABLE t (a int PRIMARY KEY);\nINSERT INTO t VALUES (1) ON CONFLICT (nope) DO NOTHING;", "42703"),
            // in a function body, broken by a later migration
            ("CREATE TABLE t (a int, b int, UNIQUE (a));\nCREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$\n  INSERT INTO t VALUES (1, 2) ON CONFLICT (a) DO NOTHING\n$$;\nALTER TABLE t DROP CONSTRAINT t_a_key;\nALTER TABLE t ADD UNIQUE (a, b);", "42P10"),
        ];
        for (sql, code) in cases {
            let f = findings(sql, RULE);
            assert_eq!(f.len(), 1, "{sql}: {f:#?}");
            assert!(f[0].message.contains(code), "{sql}: {}", f[0].message);
            assert!(pgvet_syntax::SourceFile::new("m.sql", sql).line_col(f[0].primary.span.start).line > 1, "{sql}");
        }
    }

    #[test]
    fn function_finding_points_at_the_breaking_migration() {
        let sql = "CREATE TABLE t (a int, b int, UNIQUE (a));\nCREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO t VALUES (1, 2) ON CONFLICT (a) DO NOTHING;\nEND $$;";
        let files = vec![
            crate::MigrationFile { source: pgvet_syntax::SourceFile::new("1.sql", sql), transactional: true, host: None, reruns: true },
            crate::MigrationFile {
                source: pgvet_syntax::SourceFile::new("2.sql", "ALTER TABLE t DROP CONSTRAINT t_a_key;"),
                transactional: true,
                host: None,
                reruns: true,
            },
        ];
        let a = crate::analyze(files, pgvet_catalog::Catalog::new(), &crate::Settings::default());
        let d: Vec<_> = a.diagnostics.iter().filter(|d| d.rule == RULE).collect();
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(a.files[0].line_col(d[0].primary.span.start).line, 4);
        assert_eq!(&a.files[0].text[d[0].primary.span.range()], "ON CONFLICT (a) DO NOTHING");
        assert_eq!(d[0].related[0].file, 1);
    }

    #[test]
    fn stays_silent() {
        let cases = [
            "CREATE TABLE t (a int, b int, UNIQUE (a, b));\nINSERT INTO t VALUES (1, 2) ON CONFLICT (b, a) DO NOTHING;",
            "CREATE TABLE t (a int PRIMARY KEY, b int);\nINSERT INTO t VALUES (1, 2) ON CONFLICT DO NOTHING;",
            "CREATE TABLE u (email text);\nCREATE UNIQUE INDEX ON u (lower(email));\nINSERT INTO u VALUES ('a') ON CONFLICT (lower(email)) DO NOTHING;",
            "CREATE TABLE t (a int, deleted_at timestamptz);\nCREATE UNIQUE INDEX ON t (a) WHERE deleted_at IS NULL;\nINSERT INTO t (a) VALUES (1) ON CONFLICT (a) WHERE deleted_at IS NULL DO NOTHING;",
            "CREATE TABLE t (a int, CONSTRAINT t_a UNIQUE (a));\nINSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT t_a DO NOTHING;",
            "CREATE TABLE t (a int, CONSTRAINT t_ex EXCLUDE USING btree (a WITH =));\nINSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT t_ex DO NOTHING;",
            // the key is added later in the same migration history, before the insert
            "CREATE TABLE t (a int, b int);\nALTER TABLE t ADD UNIQUE (a);\nINSERT INTO t VALUES (1, 2) ON CONFLICT (a) DO UPDATE SET b = excluded.b;",
            // a function written before the key exists is checked against the final schema
            "CREATE TABLE t (a int, b int);\nCREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ SELECT 1 $$;\nCREATE OR REPLACE FUNCTION g() RETURNS void LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t VALUES (1, 2) ON CONFLICT (a) DO NOTHING; END $$;\nALTER TABLE t ADD UNIQUE (a);",
            // dynamic SQL is not guessed at
            "CREATE TABLE t (a int);\nCREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'INSERT INTO t VALUES (1) ON CONFLICT (a) DO NOTHING'; END $$;",
        ];
        for sql in cases {
            assert_eq!(lines(sql, RULE), Vec::<usize>::new(), "{sql}");
        }
    }

    #[test]
    fn the_suggested_index_silences_it() {
        let sql = "CREATE TABLE t (w int, n text, v int);\nINSERT INTO t VALUES (1, 'a', 1) ON CONFLICT (w, n) DO NOTHING;";
        let d = &findings(sql, RULE)[0];
        let fix = d.fix.as_ref().unwrap().migration.clone().unwrap();
        assert_eq!(fix, "CREATE UNIQUE INDEX CONCURRENTLY t_w_n_key ON t (w, n);");
        let lines: Vec<&str> = sql.lines().collect();
        assert!(findings(&format!("{}\n{fix}\n{}", lines[0], lines[1]), RULE).is_empty());
    }

    #[test]
    fn builder_upserts() {
        use crate::test_util::code_lines;
        let schema = "CREATE TABLE h (agent_id text, workspace_id text, seen_at timestamptz, PRIMARY KEY (workspace_id, agent_id));";
        let src = "async function f(supabase, ws, a) {\n  await supabase.from('h').upsert({ agent_id: a, workspace_id: ws }, { onConflict: 'agent_id' });\n  await supabase.from('h').upsert({ agent_id: a, workspace_id: ws }, { onConflict: 'workspace_id,agent_id' });\n  await supabase.from('h').upsert({ agent_id: a, workspace_id: ws });\n}";
        assert_eq!(code_lines(schema, &[("a.ts", src)], RULE), vec![("a.ts".to_string(), 2)]);
    }
}
