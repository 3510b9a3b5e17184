//! Field report 02 end to end on real servers: the three tables of the report (PK (agent_id),
//! PK (id), a unique index on (agent_id, date, COALESCE(section_id, ''))) with data, NULL
//! workspace ids included, and the app's ON CONFLICT sites. `pgvet plan` writes the files;
//! `pgvet preflight` blocks, then passes after the backfill; the forward files run twice to the
//! same result; the old code's upsert fails with 42P10 after the contract step (as `pgvet check
//! --database-url` says); the rollback gives back the exact original definitions; no row is lost;
//! and the compatibility matrix agrees with what the server raises in every cell. Needs
//! PostgreSQL's server binaries; without them this test fails and says how to install them.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pgvet_db::postgres::Client;
use pgvet_db::{introspect, TempPostgres};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/linter/tests/fixtures/fr02/before")
}

fn pgvet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgvet")).args(args).env_remove("PGVET_DATABASE_URL").output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const DATA: &str = "
INSERT INTO org_studio_heartbeats VALUES ('a1', 'w1', now()), ('a2', NULL, now()), ('a3', 'w2', now());
INSERT INTO org_studio_settings VALUES ('s1', 'w1', '{}'), ('s2', NULL, '{\"x\": 1}');
INSERT INTO org_studio_agent_metrics (workspace_id, agent_id, date, section_id, tokens) VALUES
  ('w1', 'a1', '2026-01-01', NULL, 5), (NULL, 'a2', '2026-01-01', 's', 7), ('w2', 'a3', '2026-01-02', NULL, 1);
";

/// Runs a plan file as a runner would: in one transaction, or (marked no-transaction) statement
/// by statement outside any.
fn apply(db: &mut Client, file: &Path) -> Result<(), String> {
    let sql = std::fs::read_to_string(file).unwrap();
    if sql.contains("-- pgvet: no-transaction") {
        for s in pgvet_syntax::parse_sql(&sql).statements {
            db.batch_execute(&sql[s.span.range()]).map_err(|e| format!("{}: {}", file.display(), pgvet_db::replay::db_message(&e)))?;
        }
        Ok(())
    } else {
        db.batch_execute(&format!("BEGIN;\n{sql}\nCOMMIT;")).map_err(|e| {
            let _ = db.batch_execute("ROLLBACK");
            format!("{}: {}", file.display(), pgvet_db::replay::db_message(&e))
        })
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "sql")).collect();
    v.sort();
    v
}

fn counts(db: &mut Client) -> Vec<i64> {
    ["org_studio_heartbeats", "org_studio_settings", "org_studio_agent_metrics"]
        .iter()
        .map(|t| db.query_one(&format!("SELECT count(*) FROM {t}"), &[]).unwrap().get(0))
        .collect()
}

fn fresh(pg: &TempPostgres, name: &str) -> Client {
    let mut db = pg.fresh_database(name).unwrap();
    db.batch_execute(&std::fs::read_to_string(fixture().join("001_schema.sql")).unwrap()).unwrap();
    db.batch_execute(DATA).unwrap();
    db
}

fn url(pg: &TempPostgres, db: &str) -> String {
    format!("host={} port=5432 user=postgres dbname={db}", pg.root().join("sock").display())
}

/// `pgvet plan` for change `c` of [`CHANGES`] with the backfill, into `dir`; its output.
fn plan_change(c: usize, dir: &Path) -> String {
    plan_with(c, dir, true, &[])
}

/// `pgvet plan` for change `c` into `dir`, with the backfill or without, and `extra` flags.
fn plan_with(c: usize, dir: &Path, backfill: bool, extra: &[&str]) -> String {
    let (kind, target, cols) = CHANGES[c];
    let fx = fixture();
    let mut args = vec!["plan", kind, target, "--columns", cols];
    if backfill {
        args.extend(["--backfill", "'default-workspace'"]);
    }
    args.extend(["--out", dir.to_str().unwrap(), fx.to_str().unwrap()]);
    args.extend(extra);
    let o = pgvet(&args);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    t
}

/// (kind, target, flags): the three key changes of the report.
const CHANGES: &[(&str, &str, &str)] = &[
    ("key", "org_studio_heartbeats", "workspace_id,agent_id"),
    ("key", "org_studio_settings", "workspace_id,id"),
    ("unique", "ux_agent_metrics_agent_date_section", "workspace_id, agent_id, date, COALESCE(section_id, '')"),
];

#[test]
fn field_report_02_key_change_end_to_end() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the key-change test needs a real PostgreSQL: {e}"));
    let out = tempfile::tempdir().unwrap();
    let fx = fixture();
    let mut db = fresh(&pg, "fr02");
    let original = introspect(&mut db).unwrap();
    let rows = counts(&mut db);

    // Pre-flight of a plan without a backfill: the NULL workspace ids block the new primary key.
    let bare = out.path().join("bare");
    plan_with(0, &bare, false, &[]);
    let o = pgvet(&["preflight", bare.to_str().unwrap(), "--database-url", &url(&pg, "fr02")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("BLOCKS nulls-workspace_id: 1 (e.g. (a2))"), "{}", text(&o));

    // The three plans, with the backfill; each names the code site that must change.
    let mut plans = Vec::new();
    for (i, (_, target, _)) in CHANGES.iter().enumerate() {
        let dir = out.path().join(format!("plan{i}"));
        let t = plan_change(i, &dir);
        assert!(t.contains("queries/store.sql:"), "the ON CONFLICT site of {target}: {t}");
        assert!(t.contains("code before its change       ok         ok         42P10"), "{t}");
        assert!(t.contains("code after its change        42P10"), "{t}");
        plans.push(dir);
    }
    // Planned from the live database's schema: the same files.
    let live_plan = out.path().join("live");
    plan_with(0, &live_plan, true, &["--database-url", &url(&pg, "fr02")]);
    for f in files(&plans[0]).into_iter().chain(files(&plans[0].join("rollback"))) {
        let rel = f.strip_prefix(&plans[0]).unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), std::fs::read_to_string(live_plan.join(rel)).unwrap(), "{}", rel.display());
    }
    // Backfill by hand (as the report did), then the pre-flight is clean.
    db.batch_execute("UPDATE org_studio_heartbeats SET workspace_id = 'default-workspace' WHERE workspace_id IS NULL").unwrap();
    let o = pgvet(&["preflight", bare.to_str().unwrap(), "--database-url", &url(&pg, "fr02")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    db.batch_execute("UPDATE org_studio_heartbeats SET workspace_id = NULL WHERE agent_id = 'a2'").unwrap();

    // Forward, twice: the second run changes nothing.
    for run in 0..2 {
        for p in &plans {
            for f in files(p) {
                apply(&mut db, &f).unwrap_or_else(|e| panic!("forward run {run}: {e}"));
            }
        }
        if run == 0 {
            let once = introspect(&mut db).unwrap();
            for p in &plans {
                for f in files(p) {
                    apply(&mut db, &f).unwrap_or_else(|e| panic!("forward run 1: {e}"));
                }
            }
            let twice = introspect(&mut db).unwrap();
            assert!(once.diff(&twice).is_empty(), "forward twice differs from forward once: {:#?}", once.diff(&twice));
            break;
        }
    }
    assert_eq!(counts(&mut db), rows, "no row lost");
    let nulls: i64 = db.query_one("SELECT count(*) FROM org_studio_heartbeats WHERE workspace_id IS NULL", &[]).unwrap().get(0);
    assert_eq!(nulls, 0);
    // The old code after the contract step: 42P10 on the server, and pgvet says so live.
    let e = db.batch_execute("INSERT INTO org_studio_heartbeats (agent_id, workspace_id, seen_at) VALUES ('a1', 'w1', now()) ON CONFLICT (agent_id) DO UPDATE SET seen_at = excluded.seen_at").unwrap_err();
    assert_eq!(e.code().map(|c| c.code()), Some("42P10"));
    let o = pgvet(&["check", fx.to_str().unwrap(), "--format", "json", "-q", "--database-url", &url(&pg, "fr02")]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    let no_index: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "on-conflict-no-unique-index")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(no_index.iter().any(|m| m.contains("ON CONFLICT (agent_id)") && m.contains("org_studio_heartbeats")), "{no_index:#?}");

    // Rollback: the exact original definitions, every row, the backfilled NULLs back.
    for p in plans.iter().rev() {
        for f in files(&p.join("rollback")) {
            apply(&mut db, &f).unwrap_or_else(|e| panic!("rollback: {e}"));
        }
    }
    let back = introspect(&mut db).unwrap();
    let mut diff = back.diff(&original);
    diff.retain(|d| !d.contains("pgvet_backup"));
    assert!(diff.is_empty(), "after the rollback the schema differs from the original: {diff:#?}");
    assert_eq!(counts(&mut db), rows, "no row lost");
    let restored: Vec<String> =
        db.query("SELECT agent_id FROM org_studio_heartbeats WHERE workspace_id IS NULL", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(restored, vec!["a2".to_string()]);
}

#[test]
fn the_compatibility_matrix_agrees_with_the_server() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the key-change test needs a real PostgreSQL: {e}"));
    let out = tempfile::tempdir().unwrap();
    // For each change: the statement each code version sends, for a row of another tenant with
    // the same old key as an existing row.
    let statements: [[&str; 2]; 3] = [
        [
            "INSERT INTO org_studio_heartbeats (agent_id, workspace_id, seen_at) VALUES ('a1', 'w9', now()) ON CONFLICT (agent_id) DO NOTHING",
            "INSERT INTO org_studio_heartbeats (agent_id, workspace_id, seen_at) VALUES ('a1', 'w9', now()) ON CONFLICT (workspace_id, agent_id) DO NOTHING",
        ],
        [
            "INSERT INTO org_studio_settings (id, workspace_id, value) VALUES ('s1', 'w9', '{}') ON CONFLICT (id) DO NOTHING",
            "INSERT INTO org_studio_settings (id, workspace_id, value) VALUES ('s1', 'w9', '{}') ON CONFLICT (workspace_id, id) DO NOTHING",
        ],
        [
            "INSERT INTO org_studio_agent_metrics (workspace_id, agent_id, date, section_id, tokens) VALUES ('w9', 'a1', '2026-01-01', NULL, 1) ON CONFLICT (agent_id, date, COALESCE(section_id, '')) DO NOTHING",
            "INSERT INTO org_studio_agent_metrics (workspace_id, agent_id, date, section_id, tokens) VALUES ('w9', 'a1', '2026-01-01', NULL, 1) ON CONFLICT (workspace_id, agent_id, date, COALESCE(section_id, '')) DO NOTHING",
        ],
    ];
    let mut cells = 0;
    for (c, (_, target, _)) in CHANGES.iter().enumerate() {
        let dir = out.path().join(format!("p{c}"));
        let t = plan_change(c, &dir);
        // Predicted: rows "code before" / "code after", columns before / expanded / contracted.
        let predicted: Vec<Vec<String>> = ["code before its change", "code after its change"]
            .iter()
            .map(|row| t.lines().find(|l| l.trim_start().starts_with(row)).unwrap().split_whitespace().skip(4).map(String::from).collect())
            .collect();
        // Observed: each phase on a fresh database (the forward files up to it), each statement
        // in a transaction rolled back.
        let forward: Vec<PathBuf> = files(&dir).into_iter().filter(|f| !f.ends_with("00_preflight.sql")).collect();
        let upto = |last: &str| -> Vec<PathBuf> {
            let n = forward.iter().position(|f| f.ends_with(last)).unwrap();
            forward[..=n].to_vec()
        };
        let phases = [Vec::new(), upto("04_expand.sql"), upto("05_contract.sql")];
        for (j, files) in phases.iter().enumerate() {
            let mut db = fresh(&pg, &format!("m{c}_{j}"));
            for f in files {
                apply(&mut db, f).unwrap();
            }
            for (i, stmt) in statements[c].iter().enumerate() {
                let observed = match db.batch_execute(&format!("BEGIN; {stmt}; ROLLBACK;")) {
                    Ok(()) => "ok".to_string(),
                    Err(e) => {
                        let _ = db.batch_execute("ROLLBACK");
                        e.code().map(|c| c.code().to_string()).unwrap_or_default()
                    }
                };
                assert_eq!(
                    predicted[i][j], observed,
                    "{target}: code {i}, phase {j}: pgvet predicted {}, the server said {observed}\n{t}",
                    predicted[i][j]
                );
                cells += 1;
            }
        }
    }
    assert_eq!(cells, 18);
}
