//! `pgvet check --database-url` on a real server: the example app's migrations applied to a
//! throwaway PostgreSQL, then checked live. Same findings as the static run, plus drift and the
//! data checks; the database is unchanged afterwards. Needs PostgreSQL's server binaries; without
//! them this test fails and says how to install them.
use std::path::PathBuf;
use std::process::Command;

use pgvet_db::replay::{replay, ReplayFile, SUPABASE_PRELUDE};
use pgvet_db::TempPostgres;

mod common;
use common::{apps_dir, fixture_app, repo};

fn findings(args: &[&str], url: Option<&str>) -> (Option<i32>, Vec<(String, String)>, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pgvet"));
    c.args(args).env_remove("PGVET_DATABASE_URL");
    if let Some(u) = url {
        c.env("PGVET_DATABASE_URL", u);
    }
    let o = c.output().unwrap();
    let doc: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    let mut v: Vec<(String, String)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["rule"].as_str().unwrap().to_string(), d["message"].as_str().unwrap().to_string()))
        .collect();
    v.sort();
    (o.status.code(), v, String::from_utf8_lossy(&o.stderr).to_string())
}

#[test]
fn live_mode_on_the_example_app() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("live mode is tested on a real PostgreSQL: {e}"));
    let app = repo().join("examples/workspace-app");
    let dir = app.join("supabase/migrations");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    let texts: Vec<String> = paths.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let files: Vec<ReplayFile> =
        texts.iter().map(|t| ReplayFile { text: t, transactional: true, reset_session: false, ..Default::default() }).collect();
    let (_, rejected) = replay(&pg, Some(SUPABASE_PRELUDE), &files, |_| {}).unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    let url = format!("postgres://postgres:hunter2@localhost/pgvet_dev?host={}", pg.root().join("sock").display());
    let app_s = app.to_str().unwrap();

    let (_, static_run, _) = findings(&["check", app_s, "--format", "json", "-q"], None);
    let (code, live_run, stderr) = findings(&["check", app_s, "--format", "json", "-q", "--database-url", &url], None);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    // The same findings (the live messages add the table's size to fk-missing-index).
    let strip = |v: &[(String, String)]| -> Vec<(String, String)> {
        v.iter().map(|(r, m)| (r.clone(), m.split(" (live: ").next().unwrap().to_string())).collect::<Vec<_>>()
    };
    let mut live_same = strip(&live_run);
    live_same.sort();
    assert_eq!(live_same, static_run, "live mode must find what the static run finds on the same schema");
    assert!(live_run.iter().any(|(r, m)| r == "fk-missing-index" && m.contains("(live: ~0 rows")), "{live_run:#?}");

    // Drift and the data checks, made by hand on the server.
    let mut admin = pg.connect("pgvet_dev").unwrap();
    admin
        .batch_execute(
            "CREATE INDEX by_hand ON public.workspaces (name);
             CREATE TABLE public.notes (id int PRIMARY KEY, workspace_id uuid, k int);
             INSERT INTO public.notes VALUES (1, gen_random_uuid(), 1), (2, NULL, 1), (3, gen_random_uuid(), 1);
             ALTER TABLE public.notes ADD CONSTRAINT notes_workspace_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces (id) NOT VALID;
             INSERT INTO public.notes VALUES (4, NULL, NULL);
             ALTER TABLE public.notes ADD CONSTRAINT notes_k_not_null CHECK (k IS NOT NULL) NOT VALID;
             CREATE TABLE public.tags (id int PRIMARY KEY, note_id int);
             INSERT INTO public.tags VALUES (1, 1), (2, 77), (3, NULL);",
        )
        .unwrap();
    // A unique index whose concurrent build fails on the duplicates leaves an INVALID index.
    assert!(admin.batch_execute("CREATE UNIQUE INDEX CONCURRENTLY notes_k_key ON public.notes (k)").is_err());
    let before: i64 = admin.query_one("SELECT count(*) FROM public.notes", &[]).unwrap().get(0);
    let (_, live_run, stderr) = findings(&["check", app_s, "--format", "json", "-q", "--database-url", &url], None);
    let rules = |id: &str| live_run.iter().filter(|(r, _)| r == id).map(|(_, m)| m.clone()).collect::<Vec<_>>();
    let drift = rules("schema-drift");
    assert!(drift.iter().any(|m| m.contains("by_hand")) && drift.iter().any(|m| m.contains("notes")), "{drift:#?}\n{stderr}");
    let orphans = rules("orphan-rows");
    assert!(orphans.iter().any(|o| o.starts_with("2 row(s) of public.notes reference no row of public.workspaces")), "{orphans:#?}");
    // No foreign key, but the name says notes: one tag points at a note that does not exist.
    assert!(
        orphans.iter().any(|o| o.starts_with("1 row(s) of public.tags have a note_id that matches no public.notes.id (e.g. 77)")),
        "{orphans:#?}"
    );
    assert_eq!(orphans.len(), 2, "{orphans:#?}");
    let invalid = rules("invalid-index");
    assert!(invalid.len() == 1 && invalid[0].contains("notes_k_key") && invalid[0].contains("enforces no uniqueness"), "{invalid:#?}");
    assert!(invalid[0].contains("1 group(s) of rows share its key (e.g. (1))"), "{invalid:#?}");
    let checks = rules("check-violations");
    assert!(
        checks.len() == 1 && checks[0].starts_with("1 row(s) of public.notes break the NOT VALID check notes_k_not_null"),
        "{checks:#?}"
    );
    // Read-only: nothing changed.
    let after: i64 = admin.query_one("SELECT count(*) FROM public.notes", &[]).unwrap().get(0);
    assert_eq!(before, after);

    // An unreachable database: exit 2, what and where, no password.
    let o = Command::new(env!("CARGO_BIN_EXE_pgvet"))
        .args(["check", app_s, "--database-url", "postgres://me:topsecret@127.0.0.1:1/nope"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("me@127.0.0.1:1/nope: cannot connect") && !err.contains("topsecret"), "{err}");
}

/// Every fixture app (TypeScript with pg, Supabase, Drizzle, Prisma; Go; Python; Rust), bug and
/// fixed: its schema loaded in a real server, the same findings live as in the static run, no
/// drift, nothing written.
#[test]
fn live_mode_on_every_fixture_app() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("live mode is tested on a real PostgreSQL: {e}"));
    let schema = std::fs::read_to_string(apps_dir().join("schema.sql")).unwrap();
    let (_, rejected) = replay(
        &pg,
        Some(SUPABASE_PRELUDE),
        &[ReplayFile { text: &schema, transactional: true, reset_session: false, ..Default::default() }],
        |_| {},
    )
    .unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    let url = format!("host={} port=5432 user=postgres dbname=pgvet_dev", pg.root().join("sock").display());
    let mut admin = pg.connect("pgvet_dev").unwrap();
    let before = pgvet_db::introspect(&mut admin).unwrap();
    let mut apps: Vec<PathBuf> = std::fs::read_dir(apps_dir()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    apps.sort();
    let mut compared = 0;
    for app in &apps {
        for variant in ["bug", "fixed"] {
            let dir = fixture_app(&app.file_name().unwrap().to_string_lossy(), variant);
            let d = dir.path().to_str().unwrap();
            let (_, static_run, _) = findings(&["check", d, "--format", "json", "-q"], None);
            let (_, live_run, stderr) = findings(&["check", d, "--format", "json", "-q", "--database-url", &url], None);
            let live: Vec<(String, String)> =
                live_run.iter().map(|(r, m)| (r.clone(), m.split(" (live: ").next().unwrap().to_string())).collect();
            let mut live = live;
            live.sort();
            assert_eq!(live, static_run, "{}/{variant}: live and static differ\n{stderr}", app.display());
            compared += 1;
        }
    }
    assert!(compared >= 14, "{compared}");
    assert!(pgvet_db::introspect(&mut admin).unwrap().diff(&before).is_empty(), "live mode changed the database");
}

/// Migration safety with the live table's size: a migration the live database does not have yet
/// that builds an index on a table of over a million rows is a warning; the same kind of statement in
/// an applied migration keeps its info severity, with the size in the message.
#[test]
fn a_pending_migration_on_a_large_table_is_a_warning() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("live mode is tested on a real PostgreSQL: {e}"));
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir_all(&m).unwrap();
    let applied = [
        "CREATE TABLE events (id bigint PRIMARY KEY, kind text, at timestamptz);\nCREATE TABLE small (id int PRIMARY KEY, kind text);",
        "CREATE INDEX small_kind ON small (kind);",
    ];
    let pending = "CREATE INDEX events_kind ON events (kind);";
    for (i, sql) in applied.iter().chain([&pending]).enumerate() {
        std::fs::write(m.join(format!("{:04}_m.sql", i + 1)), sql).unwrap();
    }
    let mut db = pg.fresh_database("big").unwrap();
    for sql in applied {
        db.batch_execute(sql).unwrap();
    }
    db.batch_execute("INSERT INTO events SELECT g, 'k' || (g % 10), now() FROM generate_series(1, 1200000) g; ANALYZE events;").unwrap();
    let url = format!("host={} port=5432 user=postgres dbname=big", pg.root().join("sock").display());
    let o = Command::new(env!("CARGO_BIN_EXE_pgvet"))
        .args(["check", dir.path().to_str().unwrap(), "--format", "json", "-q", "--database-url", &url])
        .env_remove("PGVET_DATABASE_URL")
        .output()
        .unwrap();
    let doc: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    let builds: Vec<(String, String, String)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "index-build-blocks-writes")
        .map(|d| {
            (
                d["location"]["file"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let on = |f: &str| builds.iter().find(|(file, _, _)| file.ends_with(f)).unwrap_or_else(|| panic!("{f}: {builds:#?}"));
    let (_, sev, msg) = on("0003_m.sql");
    assert_eq!(sev, "warning", "{msg}");
    assert!(msg.contains("(live: ~") && msg.contains("does not have this migration yet"), "{msg}");
    let (_, sev, msg) = on("0002_m.sql");
    assert_eq!(sev, "info", "{msg}");
    assert_eq!(o.status.code(), Some(1));
}
