//! # unknown-relation
//!
//! ## What it finds
//! A statement in a function body (SQL or PL/pgSQL), a view, a migration or a query file that
//! reads or writes a table or view the schema does not have (SQLSTATE 42P01), or qualifies a
//! column with a name no FROM item has (`missing FROM-clause entry`). Names are resolved as the
//! server does: schema qualification, the search path (a function's own `SET search_path`),
//! CTE names, aliases. Function bodies are checked against the schema after all migrations: a
//! table that a later migration dropped or renamed is a finding, and that migration is shown.
//! Dynamic SQL (`EXECUTE format(...)`) is not guessed at.
//!
//! ## Why it matters
//! PostgreSQL does not re-validate function bodies when a table is dropped or renamed: the
//! migration succeeds and the function fails with 42P01 the first time it is called, in
//! production. Real projects have RPCs and code paths calling tables that no
//! migration created.
//!
//! ## Example
//! ```sql
//! CREATE FUNCTION record_usage(p_tokens int) RETURNS void LANGUAGE sql AS $$
//!   INSERT INTO token_usage (tokens) VALUES (p_tokens)
//! $$;
//! -- error[unknown-relation]: relation "token_usage" does not exist
//! ```
//!
//! ## Fix
//! Create the table in a migration, or point the statement at the table's current name.
use super::unknown_column::report;
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::resolve::Missing;
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "unknown-relation",
    summary: "a table or view that does not exist (42P01)",
    default_severity: Severity::Error,
    check: Some(check_code),
    check_site: Some(check),
};

fn check(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    report(site, cx, out, Missing::Relation, &META);
}

/// `.from('t')` (Supabase), Drizzle table objects and Prisma models whose table no migration
/// creates.
fn check_code(cx: &Context, out: &mut Vec<Diagnostic>) {
    use crate::code::{builders, dropped_by, resolve};
    use crate::sql::display_name;
    let models: Vec<&pgvet_code::prisma::PrismaModel> = cx.code.iter().flat_map(|f| &f.extraction.prisma_models).collect();
    for f in cx.code {
        for s in &f.extraction.sites {
            let pgvet_code::Call::Prisma(p) = &s.call else { continue };
            let Some(m) = models.iter().find(|m| m.name.to_lowercase() == p.model.to_lowercase()) else { continue };
            let q = pgvet_catalog::QName::new("public", m.table.as_str());
            if cx.catalog.tables.contains_key(&q) || cx.catalog.views.contains_key(&q) {
                continue;
            }
            let withheld = cx.catalog.may_exist(&q);
            if withheld == Some(pgvet_catalog::PLATFORM) {
                continue;
            }
            let dropped = dropped_by(cx, &m.table, |c| c.tables.contains_key(&q));
            let why = if dropped.is_some() { "a later migration dropped or renamed it" } else { "no migration creates it" };
            let mut d = Diagnostic::new(
                META.id,
                META.default_severity,
                format!("table {} of Prisma model {} does not exist: {why}", display_name(&q), m.name),
                crate::diagnostic::Label::new(f.file, p.op_span).with_message("SQLSTATE 42P01 (Prisma: P2021)"),
            )
            .with_help("Create the table in a migration (prisma migrate dev), or map the model to the table's current name with @@map.")
            .withheld_if(withheld);
            if let Some(l) = dropped {
                d = d.with_related(l);
            }
            out.push(d);
        }
    }
    let drizzle = crate::code::drizzle_tables(cx.code);
    for (f, _, b) in builders(cx.code) {
        let r = resolve(cx.catalog, &drizzle, b);
        if r.table.is_some()
            || r.unknown_definition
            || cx.catalog.views.contains_key(&r.name)
            || cx.catalog.platform_schemas.contains(&r.name.schema)
        {
            continue;
        }
        let withheld = cx.catalog.may_exist(&r.name);
        let name = display_name(&r.name);
        let q = r.name.clone();
        let dropped = dropped_by(cx, &r.name.name, |c| c.tables.contains_key(&q) || c.views.contains_key(&q));
        let why = if dropped.is_some() { "a later migration dropped or renamed it" } else { "no migration creates it" };
        let mut d = Diagnostic::new(
            META.id,
            META.default_severity,
            format!("table {name} does not exist: {why}"),
            crate::diagnostic::Label::new(f.file, b.table_span).with_message("SQLSTATE 42P01 (PostgREST: 404 / PGRST205)"),
        )
        .with_help(format!("This call fails every time it runs. Create {name} in a migration, or use the table's current name."))
        .withheld_if(withheld);
        if let Some(l) = dropped {
            d = d.with_related(l);
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::lines;

    const RULE: &str = "unknown-relation";

    #[test]
    fn fires() {
        let cases = [
            ("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$\n  INSERT INTO token_usage VALUES (1)\n$$;", vec![2]),
            ("CREATE TABLE t (id int);\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN (SELECT count(*) FROM t JOIN gone g ON g.id = t.id);\nEND $$;", vec![4]),
            // dropped by a later migration
            ("CREATE TABLE t (id int);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT id FROM t $$;\nDROP TABLE t;", vec![2]),
            // renamed by a later migration
            ("CREATE TABLE t (id int);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT id FROM t $$;\nALTER TABLE t RENAME TO t2;", vec![2]),
            // the alias hides the table name
            ("CREATE TABLE users (id int);\nCREATE VIEW v AS SELECT users.id FROM users u;", vec![2]),
            // in a migration's data fix
            ("CREATE TABLE t (id int);\nUPDATE tt SET id = 1;", vec![2]),
        ];
        for (sql, want) in cases {
            assert_eq!(lines(sql, RULE), want, "{sql}");
        }
    }

    #[test]
    fn stays_silent() {
        let cases = [
            "CREATE TABLE t (id int);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ WITH x AS (SELECT id FROM t) SELECT id FROM x $$;",
            "CREATE SCHEMA app;\nCREATE TABLE app.t (id int);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = app AS $$ SELECT id FROM t $$;",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT count(*)::int FROM pg_class $$;",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 FROM information_schema.tables $$;",
            // created later, before the function is called
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\nCREATE OR REPLACE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM later); END $$;\nCREATE TABLE later (id int);",
            // dynamic SQL
            "CREATE FUNCTION f(tbl text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE format('DELETE FROM %I', tbl); END $$;",
            // a temporary table of the migration's session
            "CREATE TABLE t (id int);\nCREATE TEMP TABLE ids AS SELECT id FROM t;\nDELETE FROM t WHERE id IN (SELECT id FROM ids);",
            // a table a DO block creates with EXECUTE of a name pgvet cannot compute
            "DO $$ BEGIN EXECUTE 'CREATE TABLE log_' || to_char(now(), 'YYYY') || ' (id int)'; END $$;\nINSERT INTO log_2030 VALUES (1);",
            // a table the platform provides
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT count(*)::int FROM some_schema_we_do_not_know.t $$;",
            // trigger transition tables
            "CREATE TABLE t (id int, n int);\nCREATE TABLE totals (n int);\nCREATE FUNCTION sum_new() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO totals SELECT sum(n) FROM inserted_rows;\n  RETURN NULL;\nEND $$;\nCREATE TRIGGER t_sum AFTER INSERT ON t REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION sum_new();",
            // a recursive CTE
            "CREATE VIEW v AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r;",
        ];
        for sql in cases {
            for rule in ["unknown-relation", "unknown-column", "unknown-function"] {
                assert_eq!(lines(sql, rule), Vec::<usize>::new(), "{rule}: {sql}");
            }
        }
    }

    #[test]
    fn platform_schemas_are_known_only_in_part() {
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT count(*)::int FROM auth.identities $$;\nCREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT count(*)::int FROM public.nope $$;";
        let files = vec![crate::MigrationFile {
            source: pgvet_syntax::SourceFile::new("m.sql", sql),
            transactional: true,
            host: None,
            reruns: true,
        }];
        let a = crate::analyze(files, pgvet_catalog::builtins::supabase(), &crate::Settings::default());
        let found: Vec<&str> = a.diagnostics.iter().filter(|d| d.rule == RULE).map(|d| d.message.as_str()).collect();
        assert_eq!(found, vec!["relation \"public.nope\" does not exist (in function g)"]);
    }

    #[test]
    fn code_tables() {
        use crate::test_util::code_lines;
        let schema = "CREATE TABLE t (id int PRIMARY KEY);\nCREATE TABLE gone (id int);\n";
        let src = "async function f(supabase) {\n  await supabase.from('t').select('id');\n  await supabase.from('workforce_executions').insert({ id: 1 });\n  await supabase.storage.from('avatars').list();\n  await supabase.from('gone').select('*');\n}";
        let files = vec![
            crate::MigrationFile { source: pgvet_syntax::SourceFile::new("1.sql", schema), transactional: true, host: None, reruns: true },
            crate::MigrationFile {
                source: pgvet_syntax::SourceFile::new("2.sql", "DROP TABLE gone;"),
                transactional: true,
                host: None,
                reruns: true,
            },
        ];
        let a = crate::analysis::analyze_all(
            files,
            vec![],
            vec![pgvet_syntax::SourceFile::new("a.ts", src)],
            pgvet_catalog::builtins::supabase(),
            &crate::Settings::default(),
        );
        let d: Vec<_> = a.diagnostics.iter().filter(|d| d.rule == RULE).collect();
        assert_eq!(d.len(), 2, "{d:#?}");
        assert!(d[0].message.contains("workforce_executions") && d[0].message.contains("no migration creates it"));
        assert!(d[1].message.contains("a later migration dropped") && d[1].related[0].file == 1);
        assert_eq!(code_lines(schema, &[("a.ts", "async function f(s) { await s.from('t').select('id'); }")], RULE), vec![]);
        // A Drizzle table in a pgSchema declared in another file.
        let app = "CREATE SCHEMA app;\nCREATE TABLE app.watches (id int PRIMARY KEY);";
        let base = "import { pgSchema } from 'drizzle-orm/pg-core';\nexport const appSchema = pgSchema('app');";
        let defs = "import { appSchema } from './base';\nexport const watches = appSchema.table('watches', { id: integer('id') });";
        let q = "export async function f(db) {\n  return db.select().from(watches).where(eq(watches.id, 1));\n}";
        assert_eq!(code_lines(app, &[("base.ts", base), ("defs.ts", defs), ("q.ts", q)], RULE), vec![]);
        let missing = "export async function f(db) {\n  return db.select().from(gone);\n}\nexport const gone = appSchema.table('gone', { id: integer('id') });";
        assert_eq!(code_lines(app, &[("base.ts", base), ("m.ts", missing)], RULE), vec![("m.ts".to_string(), 2)]);
        // `.from()` that is not Supabase's: in a file with nothing to do with Supabase.
        let other = "import { Readable } from 'stream';\nexport const a = Buffer.from('abc');\nexport const b = Readable.from(['x']);\nexport const c = Array.from(items);";
        assert_eq!(code_lines(schema, &[("b.ts", other)], RULE), vec![]);
    }

    /// Tables that exist though no migration creates them: migration tools' bookkeeping, tables
    /// the code creates itself, tables of another database of the repository; and functions of
    /// managed services.
    #[test]
    fn known_elsewhere() {
        use crate::test_util::code_lines;
        let schema = "CREATE TABLE accounts (id int PRIMARY KEY);";
        let src = "export async function f(pool) {\n  await pool.query('SELECT max(version) FROM _prisma_migrations');\n  await pool.query('SELECT version FROM schema_migrations');\n  await pool.query('CREATE TEMP TABLE scratch (k text, v int)');\n  await pool.query('INSERT INTO scratch (k, v) VALUES ($1, $2)', ['a', 1]);\n  await pool.query('SELECT * FROM aurora_replica_status()');\n  await pool.query('SELECT id FROM acounts');\n  const { rows } = await pool.query(\"SELECT 1 FROM information_schema.tables WHERE table_name = 'legacy_versions'\");\n  if (rows.length) await pool.query('SELECT max(v) FROM legacy_versions');\n}";
        assert_eq!(code_lines(schema, &[("a.ts", src)], RULE), vec![("a.ts".to_string(), 7)]);
        assert_eq!(code_lines(schema, &[("a.ts", src)], "unknown-function"), vec![]);
        // A table of a sibling database (a package that talks to two databases).
        let files = vec![crate::MigrationFile {
            source: pgvet_syntax::SourceFile::new("1.sql", schema),
            transactional: true,
            host: None,
            reruns: true,
        }];
        let q = "export async function f(pool) {\n  await pool.query('SELECT id FROM \"RunConnection\"');\n}";
        let settings = crate::Settings {
            sibling_tables: ["runconnection".to_string()].into_iter().collect(),
            multi_database_sources: ["q.ts".to_string()].into_iter().collect(),
            ..Default::default()
        };
        let a = crate::analysis::analyze_all(
            files,
            vec![],
            vec![pgvet_syntax::SourceFile::new("q.ts", q)],
            pgvet_catalog::Catalog::new(),
            &settings,
        );
        assert!(a.diagnostics.iter().all(|d| d.rule != RULE), "{:#?}", a.diagnostics);
    }
}
