//! Real repositories' layouts end to end: the runner's semantics (the Supabase CLI by version),
//! templated migrations and query files, and Prisma schemas split over files.
use std::path::Path;
use std::process::{Command, Output};

fn pgvet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgvet")).args(args).env("NO_COLOR", "1").output().unwrap()
}

fn write(root: &Path, files: &[(&str, &str)]) {
    for (p, t) in files {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
}

/// `(rule, file name)` of every finding, info included.
fn findings(root: &Path) -> Vec<(String, String)> {
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json", "--show-info"]);
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)));
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let file = d["location"]["file"].as_str().unwrap_or("");
            (d["rule"].as_str().unwrap().to_string(), file.rsplit('/').next().unwrap().to_string())
        })
        .collect()
}

fn rules(root: &Path) -> Vec<String> {
    findings(root).into_iter().map(|(r, _)| r).collect()
}

/// The Supabase CLI since 2.109.0 runs CREATE INDEX CONCURRENTLY outside the file's
/// transaction; before, the whole file was one transaction and PostgreSQL raised 25001.
#[test]
fn supabase_cli_runs_concurrent_indexes_on_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        &[(
            "supabase/migrations/20240101000000_a.sql",
            "CREATE TABLE public.a (id int PRIMARY KEY, b int);\nALTER TABLE public.a ENABLE ROW LEVEL SECURITY;\nCREATE INDEX CONCURRENTLY a_b ON public.a (b);\nALTER TABLE public.a ADD COLUMN c int;\n",
        )],
    );
    assert!(!rules(root).contains(&"migration-error".to_string()), "{:?}", findings(root));
    write(root, &[("pgvet.toml", "[migrations]\nsupabase-cli = \"2.100.0\"\n")]);
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "concise"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("migration-error") && out.contains("CREATE INDEX CONCURRENTLY cannot run inside a transaction block"), "{out}");
}

/// GoTrue's own migrations: `{{ index .Options "Namespace" }}` renders to `auth`, which exists
/// before the first migration; no syntax error, no missing schema.
#[test]
fn gotrue_templates() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        &[
            ("go.mod", "module github.com/supabase/auth\n"),
            (
                "migrations/00_init_auth_schema.up.sql",
                "CREATE TABLE IF NOT EXISTS {{ index .Options \"Namespace\" }}.users (\n\tid uuid NOT NULL UNIQUE,\n\temail varchar(255) NULL,\n\tCONSTRAINT users_pkey PRIMARY KEY (id)\n);\nCREATE INDEX IF NOT EXISTS users_email_idx ON {{ index .Options \"Namespace\" }}.users USING btree (email);\ncomment on table {{ index .Options \"Namespace\" }}.users is 'Auth: Stores user login data within a secure schema.';\n",
            ),
            (
                "migrations/20210710035447_alter_users.up.sql",
                "do $$\nbegin\n  if not exists (select * from information_schema.columns where table_schema = '{{ index .Options \"Namespace\" }}' and table_name = 'users' and column_name = 'phone') then\n    alter table {{index .Options \"Namespace\" }}.users add column phone text null unique;\n  end if;\nend $$;\n",
            ),
        ],
    );
    let r = rules(root);
    for bad in ["syntax-error", "migration-error", "unknown-relation"] {
        assert!(!r.contains(&bad.to_string()), "{:?}", findings(root));
    }
}

/// listmonk's goyesql query files: `-- name:` blocks without `;`, `%query%` and `%s`.
#[test]
fn templated_query_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        &[
            ("schema.sql", "CREATE TABLE subscribers (id int PRIMARY KEY, name text, status text);\nCREATE TABLE link_clicks (id int PRIMARY KEY, url text);\n"),
            (
                "queries/subscribers.sql",
                "-- name: query-subscribers\nSELECT * FROM subscribers WHERE status = $1\n    AND %query%\n    ORDER BY %order% OFFSET $2 LIMIT $3\n\n-- name: delete-subscribers-by-query\nWITH subs AS (%query%)\nDELETE FROM subscribers WHERE id = ANY(SELECT id FROM subs);\n\n-- name: link-counts\nSELECT COUNT(%s) AS \"count\", url FROM link_clicks GROUP BY url\n\n-- name: get-subscriber\nSELECT nme FROM subscribers WHERE id = $1;\n",
            ),
        ],
    );
    let f = findings(root);
    assert!(!f.iter().any(|(r, _)| r == "syntax-error"), "{f:?}");
    // The queries are still checked: a misspelt column is found.
    assert!(f.contains(&("unknown-column".to_string(), "subscribers.sql".to_string())), "{f:?}");
}

/// A Prisma schema split over files: a relation to a model of another file is not a column.
#[test]
fn split_prisma_schema_relations() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        &[
            ("package.json", r#"{"name": "app", "dependencies": {"@prisma/client": "6.0.0"}}"#),
            ("prisma/schema/schema.prisma", "generator client {\n  provider = \"prisma-client-js\"\n  previewFeatures = [\"prismaSchemaFolder\"]\n}\n\ndatasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n"),
            ("prisma/schema/team.prisma", "model Team {\n  id String @id\n  agentsEnabled Boolean @default(false)\n  datarooms Dataroom[]\n}\n"),
            ("prisma/schema/dataroom.prisma", "model Dataroom {\n  id String @id\n  teamId String\n  team Team @relation(fields: [teamId], references: [id])\n}\n"),
            (
                "prisma/migrations/20240101000000_init/migration.sql",
                "CREATE TABLE \"Team\" (\"id\" TEXT NOT NULL, \"agentsEnabled\" BOOLEAN NOT NULL DEFAULT false, CONSTRAINT \"Team_pkey\" PRIMARY KEY (\"id\"));\nCREATE TABLE \"Dataroom\" (\"id\" TEXT NOT NULL, \"teamId\" TEXT NOT NULL, CONSTRAINT \"Dataroom_pkey\" PRIMARY KEY (\"id\"));\nCREATE INDEX \"Dataroom_teamId_idx\" ON \"Dataroom\" (\"teamId\");\nALTER TABLE \"Dataroom\" ADD CONSTRAINT \"Dataroom_teamId_fkey\" FOREIGN KEY (\"teamId\") REFERENCES \"Team\"(\"id\");\n",
            ),
            (
                "src/dataroom.ts",
                "import prisma from './prisma';\nexport async function get(id: string) {\n  return prisma.dataroom.findUnique({ where: { id }, select: { teamId: true, team: { select: { agentsEnabled: true } } } });\n}\n",
            ),
        ],
    );
    let f = findings(root);
    assert!(!f.iter().any(|(r, _)| r == "unknown-column"), "{f:?}");
}
