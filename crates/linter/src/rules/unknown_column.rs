//! # unknown-column
//!
//! ## What it finds
//! A column reference the referenced table does not have (SQLSTATE 42703), in a function body
//! (SQL or PL/pgSQL), a view, a migration or a query file: in SELECT lists, WHERE clauses, the
//! column list of an INSERT, the SET list of an UPDATE, RETURNING, ON CONFLICT ... DO UPDATE
//! (including `excluded.col`). References are resolved as the server does, through aliases,
//! subqueries, CTEs, outer queries, and PL/pgSQL variables and function parameters (`NEW`, `OLD`,
//! record fields, `fname.param`), so none of those is reported. A reference whose table pgvet
//! cannot see into (a view's output, a set-returning function's record) is never reported.
//!
//! ## Why it matters
//! A column renamed or dropped by a later migration leaves every function and query that still
//! uses the old name broken, and PostgreSQL does not notice until the code runs.
//!
//! ## Example
//! ```sql
//! CREATE TABLE user_credits (user_id uuid PRIMARY KEY, balance int);
//! CREATE FUNCTION spend(p_user uuid, p_n int) RETURNS void LANGUAGE sql AS $$
//!   UPDATE user_credits SET credits = credits - p_n WHERE user_id = p_user
//! $$;
//! -- error[unknown-column]: column "credits" of relation "user_credits" does not exist
//! ```
//!
//! ## Fix
//! Use the column's current name, or add the column in a migration.
use super::{breaking_migration, Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::resolve::{Missing, Resolver};
use crate::sql::{Site, SiteKind};

pub const META: RuleMeta = RuleMeta {
    id: "unknown-column",
    summary: "a column that does not exist (42703)",
    default_severity: Severity::Error,
    check: Some(check_code),
    check_site: Some(check),
};

fn check(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    report(site, cx, out, Missing::Column, &META);
}

/// Columns named in builder calls (selected, written, filtered on, conflict targets) and in
/// Prisma calls (through the model's `@map`s).
fn check_code(cx: &Context, out: &mut Vec<Diagnostic>) {
    use crate::code::{builders, resolve};
    use crate::sql::display_name;
    let drizzle = crate::code::drizzle_tables(cx.code);
    let models = crate::code::prisma_models(cx.code);
    for f in cx.code {
        for s in &f.extraction.sites {
            let pgvet_code::Call::Prisma(p) = &s.call else { continue };
            let Some((q, m)) = crate::code::prisma_model(&models, &p.model) else { continue };
            let Some(t) = cx.catalog.tables.get(&q) else { continue };
            let Some(by) = withheld_by(cx, t) else { continue };
            for (arg, vals) in &p.args {
                if !matches!(arg.as_str(), "where" | "data" | "create" | "update" | "select") {
                    continue;
                }
                for v in vals {
                    let Some(field) = m.field(&v.column).filter(|fd| !fd.relation) else { continue };
                    if t.column(&field.column).is_none() {
                        out.push(
                            Diagnostic::new(
                                META.id,
                                META.default_severity,
                                format!("column \"{}\" of table {} does not exist (Prisma field {}.{})", field.column, display_name(&t.name), m.name, field.name),
                                crate::diagnostic::Label::new(f.file, v.span).with_message("SQLSTATE 42703 (Prisma: P2022)"),
                            )
                            .with_help("The Prisma schema and the migrations disagree: map the field to the column's current name with @map, or add the column in a migration.")
                            .withheld_if(by),
                        );
                    }
                }
            }
        }
    }
    for (f, _, b) in builders(cx.code) {
        let r = resolve(cx.catalog, &drizzle, b);
        let Some(t) = r.table else { continue };
        let Some(by) = withheld_by(cx, t) else { continue };
        let mut named: Vec<(&str, pgvet_syntax::Span)> = Vec::new();
        named.extend(b.columns.iter().filter(|c| c.name != "*").map(|c| (c.name.as_str(), c.span)));
        named.extend(b.values.iter().map(|v| (v.column.as_str(), v.span)));
        named.extend(b.filters.iter().filter(|v| v.column != "*").map(|v| (v.column.as_str(), v.span)));
        named.extend(b.on_conflict.iter().flatten().map(|c| (c.name.as_str(), c.span)));
        for (key, span) in named {
            let col = r.column(key);
            // A Drizzle key without a definition entry, or a JSON path, is not judged.
            if b.library == pgvet_code::Library::Drizzle && !r.keys.contains_key(key) || col.contains("->") {
                continue;
            }
            if t.column(&col).is_none() {
                out.push(
                    Diagnostic::new(
                        META.id,
                        META.default_severity,
                        format!("column \"{col}\" of table {} does not exist", display_name(&t.name)),
                        crate::diagnostic::Label::new(f.file, span).with_message("SQLSTATE 42703 (PostgREST: 400 / PGRST204)"),
                    )
                    .with_help("This call fails when it runs. Use the column's current name, or add the column in a migration.")
                    .withheld_if(by),
                );
            }
        }
    }
}

/// Whether code or a query file may talk to this relation without a migration creating it (see
/// [`crate::code::provided_elsewhere`]).
fn known_elsewhere(cx: &Context, file: usize, name: &str) -> bool {
    crate::code::provided_elsewhere(cx.settings, cx.files, cx.code, cx.code_tables, file, name)
}

/// Functions that managed PostgreSQL services add (Amazon Aurora and RDS): code that runs there
/// can call them though no migration creates them.
fn managed_platform_function(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).to_lowercase();
    last.starts_with("aurora_") || last.starts_with("rds_")
}

/// Reports the site's unresolved names of one kind (shared by the three unknown-* rules).
/// Whether findings about `t`'s columns are reported (`Some(None)`), withheld by an unmodelled
/// statement (`Some(Some(event))`), or not judged at all (`None`: a table pgvet does not know
/// whole, such as a platform's).
fn withheld_by(cx: &Context, t: &pgvet_catalog::Table) -> Option<Option<usize>> {
    let by = cx.catalog.uncertain.relations.get(&t.name).or_else(|| cx.catalog.uncertain.schemas.get(&t.name.schema)).copied();
    match by {
        Some(id) => Some(Some(id)),
        None if t.incomplete => None,
        None => Some(None),
    }
}

pub fn report(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>, kind: Missing, meta: &RuleMeta) {
    let in_code = matches!(site.kind, SiteKind::Query | SiteKind::Code);
    // A statement on a table the code creates itself: its columns are the code's business.
    let on_code_table = in_code
        && !cx.code_tables.is_empty()
        && pgvet_syntax::all_nodes(site.node)
            .iter()
            .any(|n| matches!(n, pgvet_syntax::pg_query::NodeRef::RangeVar(rv) if cx.code_tables.contains(&rv.relname.to_lowercase())));
    for u in site.unresolved().iter().filter(|u| u.kind == kind) {
        if on_code_table
            || in_code && u.kind == Missing::Relation && known_elsewhere(cx, site.file, &u.name)
            || in_code && u.kind == Missing::Function && managed_platform_function(&u.name)
        {
            continue;
        }
        let (context, help) = match site.kind {
            SiteKind::Function(f) => (
                format!(" (in function {})", crate::sql::display_name(&f.name)),
                "PostgreSQL does not re-check function bodies when the schema changes: this statement fails when the function runs.",
            ),
            SiteKind::Migration => ("".to_string(), "PostgreSQL rejects this statement, so the migration fails at this point."),
            SiteKind::Query | SiteKind::Code => ("".to_string(), "This query fails when the application runs it."),
        };
        let what = match kind {
            Missing::Relation => "create it in a migration, or use its current name",
            Missing::Column => "use the column's current name, or add it in a migration",
            Missing::Function => "create it in a migration, or call it with the arguments one of its signatures takes",
        };
        let mut d = Diagnostic::new(
            meta.id,
            meta.default_severity,
            format!("{}{context}", u.message),
            site.label_word(u.location).with_message(format!("SQLSTATE {}", kind.sqlstate())),
        )
        .with_help(format!("{help} To fix it, {what}."));
        if let Some(by) = u.withheld_by {
            d = d.withheld_by(by);
        }
        if let SiteKind::Function(f) = site.kind {
            let variables = site.variables;
            let ok = |cat: &pgvet_catalog::Catalog| {
                let mut r = Resolver::new(cat, site.search_path, variables, Some(f.name.name.as_str()));
                r.statement(site.node);
                !r.out.iter().any(|x| x.kind == u.kind && x.name == u.name)
            };
            let mention = u.name.rsplit('.').next().unwrap_or(&u.name);
            if let Some(l) = breaking_migration(cx, f.origin.step, mention, ok) {
                d = d.with_related(l);
            }
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{findings, lines};

    const RULE: &str = "unknown-column";

    #[test]
    fn fires() {
        let cases = [
            ("CREATE TABLE c (user_id uuid PRIMARY KEY, balance int);\nCREATE FUNCTION spend(p_user uuid, p_n int) RETURNS void LANGUAGE sql AS $$\n  UPDATE c SET credits = balance - p_n WHERE user_id = p_user\n$$;", vec![3]),
            ("CREATE TABLE c (id int, balance int);\nCREATE VIEW v AS SELECT c.balanse FROM c;", vec![2]),
            ("CREATE TABLE c (id int, balance int);\nCREATE VIEW v AS SELECT x.id FROM (SELECT id FROM c) x WHERE x.balance > 0;", vec![2]),
            ("CREATE TABLE c (id int);\nINSERT INTO c (id, nope) VALUES (1, 2);", vec![2]),
            ("CREATE TABLE c (id int, n int);\nCREATE VIEW v (a) AS SELECT id, n FROM c;\nCREATE VIEW w AS SELECT id FROM v;", vec![3]),
            ("CREATE TABLE c (id int PRIMARY KEY, n int);\nINSERT INTO c VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET n = excluded.m;", vec![2]),
            // renamed by a later migration
            ("CREATE TABLE c (id int, n int);\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nDECLARE v int;\nBEGIN\n  SELECT n INTO v FROM c;\n  RETURN v;\nEND $$;\nALTER TABLE c RENAME COLUMN n TO total;", vec![5]),
        ];
        for (sql, want) in cases {
            assert_eq!(lines(sql, RULE), want, "{sql}");
        }
    }

    #[test]
    fn stays_silent() {
        let cases = [
            // PL/pgSQL variables, parameters, NEW/OLD, records
            "CREATE TABLE c (id int, n int);\nCREATE FUNCTION f(p_id int) RETURNS trigger LANGUAGE plpgsql AS $$\nDECLARE v_total int; r record;\nBEGIN\n  SELECT n INTO v_total FROM c WHERE id = p_id;\n  FOR r IN SELECT * FROM c LOOP\n    UPDATE c SET n = r.n + v_total WHERE id = r.id;\n  END LOOP;\n  NEW.n := v_total;\n  RETURN NEW;\nEND $$;",
            // SQL function parameters by name and qualified by the function's name
            "CREATE TABLE c (id int, n int);\nCREATE FUNCTION f(p_id int) RETURNS int LANGUAGE sql AS $$ SELECT n FROM c WHERE id = f.p_id OR id = p_id $$;",
            // output aliases in ORDER BY, CTE column lists, correlated subqueries
            "CREATE TABLE c (id int, n int);\nCREATE VIEW v AS WITH x(a) AS (SELECT id FROM c) SELECT a AS total FROM x WHERE EXISTS (SELECT 1 FROM c WHERE c.id = x.a) ORDER BY total;",
            // RETURNING, excluded, system columns
            "CREATE TABLE c (id int PRIMARY KEY, n int);\nINSERT INTO c VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET n = c.n + excluded.n RETURNING id, n, xmin;",
            // UPDATE ... FROM, DELETE ... USING
            "CREATE TABLE c (id int, n int);\nCREATE TABLE d (cid int, m int);\nUPDATE c SET n = d.m FROM d WHERE d.cid = c.id;\nDELETE FROM c USING d WHERE d.cid = c.id AND d.m > 0;",
            // a view's columns come from its query and its column list
            "CREATE TABLE c (id int, n int);\nCREATE VIEW v AS SELECT id AS x, n FROM c;\nCREATE VIEW w (a, b) AS SELECT x, n FROM v;\nCREATE VIEW z AS SELECT a, b, w.a FROM w;",
            // a view over something pgvet cannot see into
            "CREATE VIEW v AS SELECT * FROM generate_series(1, 2) g;\nCREATE VIEW w AS SELECT v.whatever FROM v;",
            // set-returning functions in FROM
            "CREATE VIEW v AS SELECT g, s.x FROM generate_series(1, 3) g, unnest(ARRAY[1]) AS s(x);",
            // a composite column's field
            "CREATE TYPE pair AS (a int, b int);\nCREATE TABLE c (p pair);\nCREATE VIEW v AS SELECT (p).a, (c.p).b FROM c;",
            // JOIN USING and aliases
            "CREATE TABLE a (id int, x int);\nCREATE TABLE b (id int, y int);\nCREATE VIEW v AS SELECT id, a1.x, b.y FROM a a1 JOIN b USING (id);",
            // block labels qualify variables
            "CREATE TABLE c (id int, n int);\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n<<blk>>\nDECLARE v int := 1;\nBEGIN\n  RETURN (SELECT count(*) FROM c WHERE c.n = blk.v);\nEND $$;",
            // fields of a composite-type parameter, whole-row arguments
            "CREATE TABLE s (id int, n int);\nCREATE FUNCTION f(rec s) RETURNS int LANGUAGE sql AS $$ SELECT count(*)::int FROM s x WHERE x.id = rec.id AND rec.n > 0 $$;\nCREATE FUNCTION g(r s) RETURNS int LANGUAGE sql AS $$ SELECT r.n $$;\nCREATE VIEW v AS SELECT g(s), g(s.*), g(x) FROM s, s x;",
            // sqlc-style query file placeholders are positional params
            "CREATE TABLE c (id int);\nSELECT id FROM c WHERE id = $1;",
        ];
        for sql in cases {
            for rule in ["unknown-relation", "unknown-column", "unknown-function"] {
                assert_eq!(lines(sql, rule), Vec::<usize>::new(), "{rule}: {sql}");
            }
        }
    }

    #[test]
    fn names_the_migration_that_broke_the_function() {
        let files = [
            "CREATE TABLE c (id int, n int);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT n FROM c $$;",
            "CREATE INDEX ON c (id);",
            "-- rename\nALTER TABLE c RENAME COLUMN n TO total;",
        ];
        let files = files
            .iter()
            .enumerate()
            .map(|(i, t)| crate::MigrationFile {
                source: pgvet_syntax::SourceFile::new(format!("{i}.sql"), *t),
                transactional: true,
                host: None,
                reruns: true,
            })
            .collect();
        let a = crate::analyze(files, pgvet_catalog::Catalog::new(), &crate::Settings::default());
        let d: Vec<_> = a.diagnostics.iter().filter(|d| d.rule == RULE).collect();
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].message.contains("in function f"), "{}", d[0].message);
        assert_eq!((d[0].related[0].file, a.files[2].line_col(d[0].related[0].span.start).line), (2, 2));
        assert!(findings("CREATE TABLE c (n int);\nCREATE VIEW v AS SELECT m FROM c;", RULE)[0]
            .message
            .contains("column \"m\" does not exist"));
    }

    #[test]
    fn code_columns() {
        use crate::test_util::code_lines;
        let schema = "CREATE TABLE t (id int PRIMARY KEY, name text, workspace_id int);";
        let src = "async function f(supabase) {\n  await supabase.from('t').select('id, nmae').eq('workspace_id', 1);\n  await supabase.from('t').update({ title: 'x' }).eq('id', 1).eq('workspace_id', 1);\n  await supabase.from('t').select('id, name, other_table(col)').eq('workspace_id', 1);\n}";
        assert_eq!(code_lines(schema, &[("a.ts", src)], RULE), vec![("a.ts".to_string(), 2), ("a.ts".to_string(), 3)]);
        // PostgREST: filters on embedded resources (`roles.code`, `!inner`), `or()` groups, JSON
        // paths on a column.
        let schema = "CREATE TABLE roles (id int PRIMARY KEY, code text);\nCREATE TABLE members (id int PRIMARY KEY, role_id int REFERENCES roles, name text, meta jsonb);";
        let src = "async function f(supabase) {\n  await supabase.from('members').select('*, roles!inner(code)').eq('roles.code', 'admin');\n  await supabase.from('members').select('id').or('and(name.eq.a,role_id.eq.1),roles.code.eq.x').eq('meta->>plan', 'pro');\n  await supabase.from('members').select('id').eq('nmae', 'x').eq('metadata->>plan', 'x');\n}";
        assert_eq!(code_lines(schema, &[("a.ts", src)], RULE), vec![("a.ts".to_string(), 4), ("a.ts".to_string(), 4)]);
    }

    /// An old copy of a Drizzle schema left in the tree defines the same table variable: a key
    /// either copy maps is known (pgvet cannot tell which one a file imports).
    #[test]
    fn duplicate_drizzle_definitions() {
        let schema = "CREATE TABLE \"user\" (id text PRIMARY KEY, valid_license boolean);";
        let old = "export const user = pgTable('user', { id: text('id').primaryKey() });";
        let current = "export const user = pgTable('user', { id: text('id').primaryKey(), isValidLicense: boolean('valid_license'), gone: text('gone_col') });";
        let q = "export async function f(db, id) {\n  await db.update(user).set({ isValidLicense: true }).where(eq(user.id, id));\n  await db.update(user).set({ gone: 'x' }).where(eq(user.id, id));\n}";
        let got = crate::test_util::code_lines(schema, &[("a-old.ts", old), ("b-current.ts", current), ("q.ts", q)], RULE);
        assert_eq!(got, vec![("q.ts".to_string(), 3)]);
    }
}
