use super::*;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (p, t) in files {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
}

fn names(p: &Project) -> Vec<String> {
    p.migrations.iter().map(|m| m.path.rsplit_once(std::path::MAIN_SEPARATOR).map(|x| x.1).unwrap_or(&m.path).to_string()).collect()
}

#[test]
fn supabase() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("supabase/migrations/20240102_b.sql", "SELECT 2;"),
            ("supabase/migrations/20240101_a.sql", "SELECT 1;"),
            ("supabase/config.toml", ""),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Supabase);
    assert_eq!(names(&p), vec!["20240101_a.sql", "20240102_b.sql"]);
}

#[test]
fn prisma_with_spaces_and_concurrently() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("prisma/migrations/20240101000000_init/migration.sql", "CREATE TABLE a (id int);"),
            (
                "prisma/migrations/20240102000000_add index please/migration.sql",
                "-- CreateIndex\nCREATE INDEX CONCURRENTLY a_id ON a (id);",
            ),
            ("prisma/migrations/20240103000000_two/migration.sql", "CREATE TABLE b (id int);\nCREATE INDEX CONCURRENTLY b_id ON b (id);"),
            (
                "prisma/migrations/20240104000000_comment/migration.sql",
                "-- no CONCURRENTLY here: a default partition forbids it\nCREATE TABLE c (id int);\nCREATE TABLE d (id int);",
            ),
            ("prisma/migrations/migration_lock.toml", "provider = \"postgresql\""),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Prisma);
    assert_eq!(p.migrations.len(), 4);
    assert!(p.migrations[1].path.contains("add index please"));
    assert!(p.migrations[0].transactional);
    assert!(!p.migrations[1].transactional, "a file of one CONCURRENTLY statement runs on its own");
    // Several statements are one query string: an implicit transaction (CONCURRENTLY fails in it).
    assert!(p.migrations[2].transactional);
    assert!(p.migrations[3].transactional, "a comment does not make a file non-transactional");
}

#[test]
fn drizzle_follows_the_journal_and_skips_strays() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            (
                "drizzle/meta/_journal.json",
                r#"{"version":"7","dialect":"postgresql","entries":[{"idx":0,"tag":"0001_zeta"},{"idx":1,"tag":"0000_alpha"}]}"#,
            ),
            ("drizzle/0001_zeta.sql", "CREATE TABLE z (id int);"),
            ("drizzle/0000_alpha.sql", "CREATE TABLE a (id int);"),
            ("drizzle/0002_stray.sql", "DROP TABLE z;"),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Drizzle);
    assert_eq!(names(&p), vec!["0001_zeta.sql", "0000_alpha.sql"], "journal order, not name order");
    assert_eq!(p.notes.len(), 1);
    assert!(p.notes[0].path.ends_with("0002_stray.sql"));
}

#[test]
fn sqlx_and_golang_migrate_ignore_down_files() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("migrations/2_b.up.sql", "SELECT 2;"),
            ("migrations/2_b.down.sql", "SELECT -2;"),
            ("migrations/10_c.up.sql", "SELECT 10;"),
            ("migrations/1_a.up.sql", "-- no-transaction\nSELECT 1;"),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Sqlx);
    assert_eq!(names(&p), vec!["1_a.up.sql", "2_b.up.sql", "10_c.up.sql"], "numeric version order");
    assert!(!p.migrations[0].transactional);
}

#[test]
fn goose_keeps_only_up_and_line_numbers() {
    let d = tempfile::tempdir().unwrap();
    let text = "-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n";
    write(d.path(), &[("migrations/00001_init.sql", text)]);
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Goose);
    let m = &p.migrations[0].text;
    assert!(m.contains("CREATE TABLE a") && !m.contains("DROP TABLE"));
    assert_eq!(m.len(), text.len());
    assert_eq!(m.lines().count(), text.lines().count());
}

#[test]
fn flyway_numeric_versions() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("src/main/resources/db/migration/V10__ten.sql", "SELECT 10;"),
            ("src/main/resources/db/migration/V2__two.sql", "SELECT 2;"),
            ("src/main/resources/db/migration/V2_1__two_one.sql", "SELECT 21;"),
            ("src/main/resources/db/migration/R__views.sql", "SELECT 0;"),
            ("src/main/resources/db/migration/U2__undo.sql", "SELECT -2;"),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Flyway);
    assert_eq!(names(&p), vec!["V2__two.sql", "V2_1__two_one.sql", "V10__ten.sql", "R__views.sql"]);
}

#[test]
fn structure_file_and_plain_dir() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), &[("db/structure.sql", "CREATE TABLE a (id int);")]);
    assert_eq!(load(d.path()).unwrap().layout, Layout::Structure);
    let d = tempfile::tempdir().unwrap();
    write(d.path(), &[("schema/b.sql", "SELECT 2;"), ("schema/a.sql", "SELECT 1;")]);
    let p = load(&d.path().join("schema")).unwrap();
    assert_eq!(p.layout, Layout::Plain);
    assert_eq!(names(&p), vec!["a.sql", "b.sql"]);
    let one = load(&d.path().join("schema/a.sql")).unwrap();
    assert_eq!(one.layout, Layout::Structure);
    assert_eq!(one.migrations.len(), 1);
}

#[test]
fn config_overrides_detection() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("supabase/migrations/1.sql", "SELECT 1;"),
            ("sql/x/001.sql", "SELECT 2;"),
            ("pgvet.toml", "[migrations]\nlayout = \"plain\"\npath = \"sql/x\"\ntransactional = false\n"),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Plain);
    assert_eq!(names(&p), vec!["001.sql"]);
    assert!(!p.migrations[0].transactional);
}

#[test]
fn errors_say_what_and_where() {
    let d = tempfile::tempdir().unwrap();
    let e = load(&d.path().join("nope")).unwrap_err().to_string();
    assert!(e.contains("no such file or directory"), "{e}");
    write(d.path(), &[("README.md", "hi")]);
    let e = load(d.path()).unwrap_err().to_string();
    assert!(e.contains("no migrations found") && e.contains("pgvet.toml"), "{e}");
    write(d.path(), &[("pgvet.toml", "[migrations]\nlayot = \"x\"\n"), ("a.sql", "SELECT 1;")]);
    let e = load(d.path()).unwrap_err().to_string();
    assert!(e.contains("pgvet.toml:2:1") && e.contains("unknown field `layot`"), "{e}");
}

fn workspace(root: &Path) -> crate::Workspace {
    crate::load_workspace(root).unwrap_or_else(|e| panic!("{e}"))
}

fn locations(w: &crate::Workspace) -> Vec<(Layout, String)> {
    w.databases.iter().map(|d| (d.layout, d.name())).collect()
}

#[test]
fn diesel_in_its_version_order() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("diesel.toml", "[print_schema]\nfile = \"src/schema.rs\"\n"),
            (
                "migrations/00000000000000_diesel_initial_setup/up.sql",
                "CREATE FUNCTION diesel_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;",
            ),
            ("migrations/00000000000000_diesel_initial_setup/down.sql", "DROP FUNCTION diesel_set_updated_at();"),
            ("migrations/2019-02-26-002946_create_user/up.sql", "CREATE TABLE users (id serial PRIMARY KEY, name text);"),
            ("migrations/2019-02-26-002946_create_user/down.sql", "DROP TABLE users;"),
            // diesel compares versions without dashes: 20260527120000 < 202605271200000000.
            ("migrations/2026-05-27-120000-0000_b/up.sql", "ALTER TABLE users ADD COLUMN b int;"),
            ("migrations/2026-05-27-120000_a/up.sql", "ALTER TABLE users ADD COLUMN a int;"),
            (
                "migrations/2026-06-01-000000_index/up.sql",
                "-- built without blocking writes\nCREATE INDEX CONCURRENTLY users_name ON users (name);\n",
            ),
            ("migrations/2026-06-01-000000_index/metadata.toml", "run_in_transaction = false\n"),
            (
                "migrations/2026-06-02-000000_two/up.sql",
                "CREATE INDEX CONCURRENTLY users_a ON users (a);\nCREATE INDEX CONCURRENTLY users_b ON users (b);\n",
            ),
            ("migrations/2026-06-02-000000_two/metadata.toml", "run_in_transaction = false\n"),
            ("migrations/README.md", "how to"),
            ("migrations/data_backfill.sql", "UPDATE users SET a = 1;"),
        ],
    );
    let w = workspace(d.path());
    let p = &w.databases[0];
    assert_eq!(p.layout, Layout::Diesel);
    let dirs: Vec<&str> = p.migrations.iter().map(|m| m.path.rsplit(std::path::MAIN_SEPARATOR).nth(1).unwrap()).collect();
    assert_eq!(
        dirs,
        vec![
            "00000000000000_diesel_initial_setup",
            "2019-02-26-002946_create_user",
            "2026-05-27-120000_a",
            "2026-05-27-120000-0000_b",
            "2026-06-01-000000_index",
            "2026-06-02-000000_two"
        ]
    );
    let tx: Vec<bool> = p.migrations.iter().map(|m| m.transactional).collect();
    // Without its transaction a single statement runs on its own; two are one implicit transaction.
    assert_eq!(tx, vec![true, true, true, true, false, true]);
    assert!(p.migrations.iter().all(|m| !m.text.contains("DROP")), "down.sql is not applied");
    // The same from the migrations folder's parent without diesel.toml.
    std::fs::remove_file(d.path().join("diesel.toml")).unwrap();
    assert_eq!(load(d.path()).unwrap().layout, Layout::Diesel);
}

#[test]
fn storage_style_numbered_folders_are_databases() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("package.json", r#"{"name": "storage", "dependencies": {"postgres-migrations": "^5.3.0"}}"#),
            ("migrations/tenant/0001-initialmigration.sql", "select 1"),
            (
                "migrations/tenant/0002-storage-schema.sql",
                "CREATE SCHEMA IF NOT EXISTS storage;\nCREATE TABLE storage.objects (id uuid PRIMARY KEY, name text);\n",
            ),
            (
                "migrations/tenant/0003-index.sql",
                "-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY objects_name ON storage.objects (name);\n",
            ),
            ("migrations/tenant/0004-prefixes.sql", "-- postgres-migrations ignore\nCREATE TABLE storage.prefixes (x int);\n"),
            ("migrations/tenant/00010-search.sql", "ALTER TABLE storage.objects ADD COLUMN path text;"),
            ("migrations/multitenant/0001-initialmigration.sql", "CREATE TABLE tenants (id text PRIMARY KEY);"),
            ("migrations/multitenant/0002-more.sql", "ALTER TABLE tenants ADD COLUMN jwt_secret text;"),
        ],
    );
    let w = workspace(d.path());
    assert_eq!(
        locations(&w),
        vec![
            (Layout::PostgresMigrations, "migrations/multitenant".to_string()),
            (Layout::PostgresMigrations, "migrations/tenant".to_string())
        ]
    );
    let tenant = &w.databases[1];
    assert_eq!(
        names(tenant),
        vec!["0001-initialmigration.sql", "0002-storage-schema.sql", "0003-index.sql", "0004-prefixes.sql", "00010-search.sql"]
    );
    assert!(!tenant.migrations[2].transactional);
    assert!(tenant.migrations[3].text.trim().is_empty(), "the runner sends SELECT 1 for an ignored file");
    assert_eq!(tenant.migrations[3].text.len(), "-- postgres-migrations ignore\nCREATE TABLE storage.prefixes (x int);\n".len());
}

const GO_STEPS: &str = "package database\n\nvar migrations = [...]func(tx *sql.Tx) error{\n\tfunc(tx *sql.Tx) (err error) {\n\t\tsql := `CREATE TABLE users (id serial PRIMARY KEY);`\n\t\t_, err = tx.Exec(sql)\n\t\treturn err\n\t},\n\tfunc(tx *sql.Tx) (err error) {\n\t\t_, err = tx.Exec(`ALTER TABLE users ADD COLUMN name text`)\n\t\treturn err\n\t},\n}\n";

#[test]
fn go_migration_steps() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("go.mod", "module miniflux.app/v2\n"),
            ("internal/database/migrations.go", GO_STEPS),
            ("internal/storage/user.go", "package storage\nfunc f(db *sql.DB) { db.Query(`SELECT name FROM users`) }\n"),
        ],
    );
    let w = workspace(d.path());
    let p = &w.databases[0];
    assert_eq!((p.layout, p.migrations.len()), (Layout::GoSteps, 2));
    assert!(p.migrations.iter().all(|m| m.transactional && m.text.len() == GO_STEPS.len()));
    assert!(p.migrations[1].text.contains("ALTER TABLE users ADD COLUMN name text;"));
    let role = |end: &str| p.sources.iter().find(|s| s.path.ends_with(end)).map(|s| s.role);
    assert_eq!(role("migrations.go"), Some(crate::SourceRole::DataMigration), "the steps are not application code");
    assert_eq!(role("user.go"), Some(crate::SourceRole::Production));
}

#[test]
fn go_embedded_migrations() {
    let d = tempfile::tempdir().unwrap();
    let up = "CREATE TABLE /* TEMPLATE: schema */river_job (id bigserial PRIMARY KEY);\n";
    write(
        d.path(),
        &[
            ("go.mod", "module github.com/riverqueue/river\n"),
            ("riverdriver/riverpgxv5/go.mod", "module github.com/riverqueue/river/riverdriver/riverpgxv5\n"),
            ("riverdriver/riverpgxv5/driver.go", "package riverpgxv5\n\n//go:embed migration/*/*.sql\nvar migrationFS embed.FS\n"),
            ("riverdriver/riverpgxv5/migration/main/001_create.up.sql", up),
            ("riverdriver/riverpgxv5/migration/main/001_create.down.sql", "DROP TABLE river_job;"),
            ("riverdriver/riverpgxv5/migration/main/002_more.up.sql", "ALTER TABLE /* TEMPLATE: schema */river_job ADD COLUMN x int;"),
            // The same files for another PostgreSQL driver: one database.
            ("riverdriver/riverdatabasesql/go.mod", "module github.com/riverqueue/river/riverdriver/riverdatabasesql\n"),
            (
                "riverdriver/riverdatabasesql/driver.go",
                "package riverdatabasesql\n\n//go:embed migration/*/*.sql\nvar migrationFS embed.FS\n",
            ),
            ("riverdriver/riverdatabasesql/migration/main/001_create.up.sql", up),
            ("riverdriver/riverdatabasesql/migration/main/001_create.down.sql", "DROP TABLE river_job;"),
            (
                "riverdriver/riverdatabasesql/migration/main/002_more.up.sql",
                "ALTER TABLE /* TEMPLATE: schema */river_job ADD COLUMN x int;",
            ),
            // SQLite's are not PostgreSQL's.
            ("riverdriver/riversqlite/driver.go", "package riversqlite\n\n//go:embed migration/*/*.sql\nvar migrationFS embed.FS\n"),
            ("riverdriver/riversqlite/migration/main/001_create.up.sql", "CREATE TABLE river_job (id integer PRIMARY KEY AUTOINCREMENT);"),
            // Migrations only a test embeds are test data.
            ("rivermigrate/migrate_test.go", "package rivermigrate\n\n//go:embed migration/*/*.sql\nvar testFS embed.FS\n"),
            ("rivermigrate/migration/main/001_first.up.sql", "CREATE TABLE test_table (id int);"),
            ("rivermigrate/migration/alternate/001_premier.up.sql", "CREATE TABLE test_table (id int);"),
        ],
    );
    let w = workspace(d.path());
    assert_eq!(locations(&w), vec![(Layout::GoEmbed, "riverdriver/riverdatabasesql/migration/main".to_string())]);
    assert_eq!(names(&w.databases[0]), vec!["001_create.up.sql", "002_more.up.sql"]);
}

#[test]
fn gotrue_templates_render_to_its_namespace() {
    let d = tempfile::tempdir().unwrap();
    let first = "-- auth.users definition\nCREATE TABLE IF NOT EXISTS {{ index .Options \"Namespace\" }}.users (id uuid PRIMARY KEY);\ncomment on table {{ index .Options \"Namespace\" }}.users is 'Auth: Stores user login data within a secure schema.';\n";
    write(
        d.path(),
        &[
            ("go.mod", "module github.com/supabase/auth\n\ngo 1.23\n"),
            ("migrations/00_init_auth_schema.up.sql", first),
            (
                "migrations/20210710035447_alter_users.up.sql",
                "do $$ begin\n  if not exists (select 1 from information_schema.columns where table_schema = '{{ index .Options \"Namespace\" }}' and table_name = 'users' and column_name = 'email') then\n    alter table {{index .Options \"Namespace\" }}.users add column email text;\n  end if;\nend $$;\n",
            ),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.base_schemas, vec!["auth"]);
    for m in &p.migrations {
        let parsed = pgvet_syntax::parse_sql(&m.text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    }
    assert_eq!(p.migrations[0].text.len(), first.len());
    assert!(p.migrations[0].text.contains("EXISTS auth "));
    assert!(p.migrations[1].text.contains("table_schema = 'auth' "));
}

#[test]
fn supabase_cli_versions() {
    let d = tempfile::tempdir().unwrap();
    let text = "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON a (id);\nCREATE INDEX a_id2 ON a (id);\n";
    write(d.path(), &[("supabase/migrations/20240101_a.sql", text)]);
    let p = load(d.path()).unwrap();
    let standalone: Vec<&str> = p.migrations[0].standalone.iter().map(|s| &text[s.range()]).collect();
    assert_eq!(standalone, vec!["CREATE INDEX CONCURRENTLY a_id ON a (id)"]);
    write(d.path(), &[("pgvet.toml", "[migrations]\nsupabase-cli = \"2.100.0\"\n")]);
    assert!(load(d.path()).unwrap().migrations[0].standalone.is_empty(), "before 2.109.0 the whole file is one transaction");
}

#[test]
fn drizzle_journal_naming_a_missing_file() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            (
                "packages/db/drizzle/meta/_journal.json",
                r#"{"version":"7","dialect":"postgresql","entries":[{"idx":0,"tag":"0000_a"},{"idx":1,"tag":"0001_gone"},{"idx":2,"tag":"0002_c"}]}"#,
            ),
            ("packages/db/drizzle/0000_a.sql", "CREATE TABLE a (id int);"),
            ("packages/db/drizzle/0002_c.sql", "CREATE TABLE c (id int);"),
        ],
    );
    let w = workspace(d.path());
    let p = &w.databases[0];
    assert_eq!(names(p), vec!["0000_a.sql", "0002_c.sql"]);
    assert_eq!(p.notes.len(), 1);
    assert!(p.notes[0].message.contains("0001_gone"), "{}", p.notes[0].message);
    // A test's journal whose files are not there (found first in name order) is not the
    // database: "no drizzle migrations there" was about it.
    write(
        d.path(),
        &[("e2e/fixtures/drizzle/meta/_journal.json", r#"{"version":"7","dialect":"postgresql","entries":[{"idx":0,"tag":"0000_x"}]}"#)],
    );
    let w = workspace(d.path());
    assert_eq!(locations(&w), vec![(Layout::Drizzle, "packages/db/drizzle".to_string())]);
    assert_eq!(names(&w.databases[0]), vec!["0000_a.sql", "0002_c.sql"]);
}

#[test]
fn prisma_split_schemas() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            // The schema's package: a split schema and its migrations.
            ("packages/db/package.json", r#"{"name": "@x/db"}"#),
            (
                "packages/db/prisma.config.ts",
                "export default defineConfig({ schema: \"prisma/schema\", migrations: { path: \"prisma/migrations\" } });",
            ),
            ("packages/db/prisma/schema/schema.prisma", "datasource db {\n  provider = \"postgresql\"\n}\n"),
            ("packages/db/prisma/schema/team.prisma", "model Team {\n  id String @id\n  docs Document[]\n}\n"),
            (
                "packages/db/prisma/schema/document.prisma",
                "model Document {\n  id String @id\n  teamId String\n  team Team @relation(fields: [teamId], references: [id])\n}\n",
            ),
            ("packages/db/prisma/migrations/20240101000000_init/migration.sql", "CREATE TABLE \"Team\" (id text PRIMARY KEY);"),
            // An app's generator-only stub, filled at build time: not a database.
            ("apps/web/package.json", r#"{"name": "web", "dependencies": {"@x/db": "workspace:*"}}"#),
            (
                "apps/web/prisma/schema/schema.prisma",
                "generator client {\n  provider = \"prisma-client\"\n}\ndatasource db {\n  provider = \"postgresql\"\n}\n",
            ),
        ],
    );
    let w = workspace(d.path());
    assert_eq!(locations(&w), vec![(Layout::Prisma, "packages/db/prisma/migrations".to_string())]);
    // A `db push` project whose package.json names its schema folder.
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("package.json", r#"{"name": "app", "prisma": {"schema": "./db/schema"}}"#),
            ("db/schema/main.prisma", "datasource db {\n  provider = \"postgresql\"\n}\n"),
            ("db/schema/models.prisma", "model User {\n  id Int @id\n}\n"),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!((p.layout, p.name()), (Layout::PrismaSchema, "db/schema".to_string()));
    assert!(p.declared.as_deref().is_some_and(|t| t.contains("model User") && t.contains("postgresql")));
}

#[test]
fn every_sqlc_config_brings_its_queries() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("go.mod", "module example.com/svc\n"),
            ("db/migrations/001_init.up.sql", "CREATE TABLE users (id int PRIMARY KEY);"),
            ("internal/store/sqlc.yaml", "version: \"2\"\nsql:\n  - engine: \"postgresql\"\n    schema: \"../../db/migrations\"\n    queries: \"queries\"\n  - engine: \"sqlite\"\n    schema: \"lite.sql\"\n    queries: \"lite\"\n"),
            ("internal/store/queries/users.sql", "-- name: GetUser :one\nSELECT * FROM users WHERE id = $1;\n"),
            ("internal/store/lite/users.sql", "-- name: GetUser :one\nSELECT * FROM users WHERE rowid = ?;\n"),
            ("tools/gen/sqlc.yaml", "version: \"2\"\nsql:\n  - engine: postgresql\n    schema: schema.sql\n    queries: q.sql\n"),
            ("tools/gen/q.sql", "-- name: X :one\nSELECT 1;\n"),
        ],
    );
    let p = &workspace(d.path()).databases[0];
    let q: Vec<&str> = p.queries.iter().map(|q| q.path.rsplit_once(d.path().to_str().unwrap()).unwrap().1).collect();
    assert_eq!(q, vec!["/internal/store/queries/users.sql", "/tools/gen/q.sql"]);
}

#[test]
fn listmonk_like_schema_file_and_templated_queries() {
    let d = tempfile::tempdir().unwrap();
    let q = "-- name: query-subscribers\nSELECT * FROM subscribers WHERE %query%\n    ORDER BY %order% LIMIT $1\n\n-- name: get-subscriber\nSELECT * FROM subscribers WHERE id = $1;\n";
    write(
        d.path(),
        &[
            ("go.mod", "module github.com/knadh/listmonk\n"),
            ("schema.sql", "CREATE TABLE subscribers (id int PRIMARY KEY, name text);"),
            ("queries/subscribers.sql", q),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Structure);
    assert_eq!(p.queries[0].text.len(), q.len());
    let parsed = pgvet_syntax::parse_sql(&p.queries[0].text);
    assert!(parsed.errors.is_empty() && parsed.statements.len() == 2, "{:?}\n{}", parsed.errors, p.queries[0].text);
}

#[test]
fn unsaved_texts_are_derived_like_files() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), &[("go.mod", "module miniflux.app/v2\n"), ("internal/database/migrations.go", GO_STEPS)]);
    let mut p = workspace(d.path()).databases.remove(0);
    let edited = GO_STEPS.replace("ADD COLUMN name text", "ADD COLUMN full_name text");
    p.overlay(|path| path.ends_with("migrations.go").then(|| edited.clone()));
    assert!(p.migrations[1].text.contains("ADD COLUMN full_name text;") && !p.migrations[1].text.contains("package"));
    assert!(p.migrations[0].text.contains("CREATE TABLE users") && !p.migrations[0].text.contains("ALTER"));
    // A goose file keeps only its Up part; a Supabase file gets its runner's statements again.
    let d = tempfile::tempdir().unwrap();
    write(d.path(), &[("migrations/00001_init.sql", "-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n")]);
    let mut p = load(d.path()).unwrap();
    p.overlay(|_| Some("-- +goose Up\nCREATE TABLE b (id int);\n-- +goose Down\nDROP TABLE b;\n".into()));
    assert!(p.migrations[0].text.contains("CREATE TABLE b") && !p.migrations[0].text.contains("DROP"));
    let d = tempfile::tempdir().unwrap();
    write(d.path(), &[("supabase/migrations/1_a.sql", "CREATE TABLE a (id int);\n")]);
    let mut p = load(d.path()).unwrap();
    assert!(p.migrations[0].standalone.is_empty());
    p.overlay(|_| Some("CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n".into()));
    assert_eq!(p.migrations[0].standalone.len(), 1);
}
