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
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)));
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

/// A repository analysed from its root, with an absolute path, from subdirectories and with file
/// arguments: the same findings (from a subdirectory or for files, those under them), found
/// with the whole project: `supabase/migrations` keeps Supabase's base objects, `src` has a
/// database.
#[test]
fn the_same_findings_from_anywhere_in_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(
        &root,
        &[
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("package.json", r#"{"name": "app"}"#),
            (
                "supabase/migrations/20240101000000_init.sql",
                "CREATE TABLE public.teams (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), owner uuid REFERENCES auth.users (id));\nALTER TABLE public.teams ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON public.teams USING (owner = auth.uid());\nCREATE TABLE public.members (team_id uuid REFERENCES public.teams (id));\nALTER TABLE public.members ENABLE ROW LEVEL SECURITY;\n",
            ),
            ("src/lib/teams.ts", "export const list = (supabase) => supabase.from('teams').select('id, nmae');\n"),
        ],
    );
    let run = |cwd: &Path, args: &[&str]| -> Vec<(String, std::path::PathBuf, u64)> {
        let mut a = vec!["check", "--format", "json", "--show-info"];
        a.extend(args);
        let o = Command::new(env!("CARGO_BIN_EXE_pgvet")).args(&a).current_dir(cwd).env("NO_COLOR", "1").output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)));
        let mut f: Vec<(String, std::path::PathBuf, u64)> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                // Paths are relative to the repository root, from any working directory.
                let file = root.join(d["location"]["file"].as_str().unwrap()).canonicalize().unwrap();
                (d["rule"].as_str().unwrap().to_string(), file, d["location"]["start"]["line"].as_u64().unwrap())
            })
            .collect();
        f.sort();
        f
    };
    let all = run(&root, &[]);
    assert!(all.iter().any(|(r, _, _)| r == "unknown-column"), "{all:?}");
    assert!(!all.iter().any(|(r, _, _)| r == "migration-error" || r == "unknown-relation"), "{all:?}");
    assert_eq!(run(dir.path(), &[root.to_str().unwrap()]), all, "an absolute path");
    assert_eq!(run(&root.join("src"), &["../supabase", "."]), all, "relative paths from a subdirectory");
    let under = |d: &str| -> Vec<_> { all.iter().filter(|(_, f, _)| f.starts_with(root.join(d))).cloned().collect() };
    for sub in ["supabase/migrations", "src", "src/lib"] {
        assert_eq!(run(&root.join(sub), &[]), under(sub), "from {sub}");
    }
    assert_eq!(run(&root, &["src/lib/teams.ts"]), under("src/lib/teams.ts"), "a file argument");
}
