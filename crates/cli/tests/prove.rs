//! `pgvet prove` end to end (issue 14): every race finding of every fixture app (TypeScript with
//! pg and postgres.js, Supabase, Drizzle, Prisma; Go; Python; Rust) run on a throwaway
//! PostgreSQL with the app's migration applied: proven with the error the rule names (or a
//! final state no serial order gives), and the rule's suggested fix verified over every feasible
//! interleaving. The fixed twins have no race to prove. Needs PostgreSQL's server binaries (the
//! command says how to install them when they are missing).
use std::path::PathBuf;
use std::process::Command;

use pgvet_db::replay::{replay, ReplayFile, SUPABASE_PRELUDE};
use pgvet_db::TempPostgres;
use serde_json::Value;

mod common;
use common::{apps_dir, fixture_app};

fn pgvet(args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_pgvet")).args(args).output().unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

const APPS: [&str; 7] = ["ts-pg", "ts-supabase", "ts-drizzle", "ts-prisma", "go", "python", "rust"];

#[test]
fn every_race_finding_of_every_fixture_app_is_proven_and_its_fix_verified() {
    // The apps run two at a time (each its own server).
    let results: Vec<(String, Option<i32>, String, String)> = APPS
        .chunks(2)
        .flat_map(|pair| {
            let handles: Vec<_> = pair
                .iter()
                .map(|app| {
                    let app = app.to_string();
                    std::thread::spawn(move || {
                        let dir = fixture_app(&app, "bug");
                        let (code, out, err) = pgvet(&["prove", dir.path().to_str().unwrap(), "--format", "json"]);
                        (app, code, out, err)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
        })
        .collect();
    let mut proven = 0;
    for (app, code, out, err) in &results {
        assert_eq!(*code, Some(1), "{app}: exit 1 when a race is proven\n{err}");
        let v: Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("{app}: {e}\n{out}\n{err}"));
        let proofs = v["proofs"].as_array().unwrap();
        let mut rules: Vec<&str> = proofs.iter().map(|p| p["rule"].as_str().unwrap()).collect();
        rules.sort();
        rules.dedup();
        assert_eq!(rules, ["fk-read-then-insert-race", "lost-update", "on-conflict-other-unique", "orm-upsert-not-atomic"], "{app}");
        for p in proofs {
            let what = format!("{app} {} at {}:{}", p["rule"], p["file"], p["line"]);
            assert_eq!(p["verdict"], "proven", "{what}: {}", p["reason"]);
            let (sqlstate, constraint) = (p["sqlstate"].as_str(), p["constraint"].as_str());
            match p["rule"].as_str().unwrap() {
                // Nothing fails: the final counter is one no serial order gives.
                "lost-update" => {
                    assert_eq!(sqlstate, None, "{what}");
                    assert_eq!(p["state"]["value"], "11", "{what}");
                    let serial: Vec<&str> = p["serial"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect();
                    assert_eq!(serial, ["12", "12"], "{what}");
                }
                "fk-read-then-insert-race" => {
                    assert_eq!((sqlstate, constraint), (Some("23503"), Some("profiles_home_workspace_id_fkey")), "{what}")
                }
                _ => assert_eq!((sqlstate, constraint), (Some("23505"), Some("profiles_user_id_key")), "{what}"),
            }
            // The suggested fix holds in every feasible interleaving.
            let fix = &p["fix"];
            assert_eq!(fix["suggested"], true, "{what}");
            assert_eq!(fix["verdict"], "verified", "{what}: {fix:#}");
            assert!(fix["interleavings"].as_u64().unwrap() >= 2, "{what}");
            for other in p["other_fixes"].as_array().unwrap() {
                let want = if other["suggested"] == true { "verified" } else { "insufficient" };
                assert_eq!(other["verdict"], want, "{what}: {other:#}");
            }
            // The isolation matrix: the same schedule at each level, retried.
            assert_eq!(p["matrix"].as_array().unwrap().len(), 3, "{what}");
            assert!(p["seconds"].as_f64().unwrap() < 60.0, "{what}: a proof takes seconds");
            proven += 1;
        }
        assert!(err.contains("proven") && err.contains("server start"), "{app}: {err}");
    }
    assert_eq!(proven, 28, "4 race findings in each of 7 apps");
}

/// The FK race's fixes, as the server decides them: FOR KEY SHARE moves the 23503 to the deleting
/// session; INSERT ... SELECT alone still fails when the delete commits while the insert waits.
/// The lost update under REPEATABLE READ in a transaction: 40001, and the retry restores the count.
#[test]
fn where_the_error_moves_and_what_the_isolation_levels_do() {
    let dir = fixture_app("ts-drizzle", "bug");
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = pgvet(&["prove", d, "--rule", "fk-read-then-insert-race", "--format", "json"]);
    assert_eq!(code, Some(1), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let p = &v["proofs"][0];
    // Drizzle's `tx`: one transaction, so REPEATABLE READ and SERIALIZABLE turn 23503 into 40001.
    let matrix: Vec<(&str, &str)> =
        p["matrix"].as_array().unwrap().iter().map(|m| (m["isolation"].as_str().unwrap(), m["sqlstate"].as_str().unwrap_or(""))).collect();
    assert_eq!(matrix, [("rc", "23503"), ("rr", "40001"), ("ser", "40001")], "{p:#}");
    let moved = &p["fix"]["moved"][0];
    assert_eq!((moved["actor"].as_str(), moved["sqlstate"].as_str()), (Some("B"), Some("23503")), "{p:#}");
    let other = &p["other_fixes"][0];
    assert_eq!(other["verdict"], "insufficient");
    assert_eq!(other["suggested"], false);
    let failing = other["exploration"]["classes"].as_array().unwrap().iter().find(|c| c["anomaly"].is_string()).unwrap();
    let insert = failing["steps"].as_array().unwrap().iter().find(|s| s["sql"].as_str().unwrap().starts_with("INSERT")).unwrap();
    assert_eq!((insert["blocked"].as_bool(), insert["sqlstate"].as_str()), (Some(true), Some("23503")), "{failing:#}");

    // --isolation rr on the Go app's counter (autocommit: each statement its own transaction, so
    // REPEATABLE READ does not help) and --explore: the outcome classes.
    let dir = fixture_app("go", "bug");
    let d = dir.path().to_str().unwrap();
    let (_, out, err) = pgvet(&["prove", d, "--rule", "lost-update", "--isolation", "rr", "--explore", "--format", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let p = &v["proofs"][0];
    assert_eq!((p["isolation"].as_str(), p["verdict"].as_str()), (Some("rr"), Some("proven")), "{p:#}");
    let ex = &p["explored"];
    assert_eq!(ex["feasible"], 6, "two reads and two writes interleave 6 ways: {ex:#}");
    let lost: u64 =
        ex["classes"].as_array().unwrap().iter().filter(|c| c["anomaly"].is_string()).map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(lost, 4, "every interleaving where both read before either writes loses one: {ex:#}");
}

/// Text timeline, the isolationtester spec, SARIF with the proof, --at and --schedule, and the
/// fixed apps (nothing to prove, exit 0).
#[test]
fn timeline_spec_sarif_and_selection() {
    let dir = fixture_app("ts-supabase", "bug");
    let d = dir.path().to_str().unwrap();
    let specs = tempfile::tempdir().unwrap();
    let (code, out, err) = pgvet(&["prove", d, "--at", "usage.ts:47", "--emit-spec", specs.path().to_str().unwrap(), "--schedule", "ABAB"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(out.contains("orm-upsert-not-atomic — PROVEN"), "{out}");
    assert!(out.contains("A (the application)") && out.contains("│ B (the application)"), "{out}");
    assert!(out.contains("ERROR 23505 on profiles_user_id_key"), "{out}");
    assert!(out.contains("schedule ABAB") && out.contains("VERIFIED"), "{out}");
    assert!(!out.contains("lost-update"), "--at selects one finding: {out}");
    let spec_files: Vec<PathBuf> = std::fs::read_dir(specs.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(spec_files.len(), 1, "{spec_files:?}");
    let spec = std::fs::read_to_string(&spec_files[0]).unwrap();
    assert!(spec.contains("session a") && spec.contains("session b") && spec.contains("permutation a1 b1 a2 b2"), "{spec}");
    // No seed rows for this race: no empty setup block (isolationtester would run an empty query).
    assert!(!spec.contains("setup\n{") && spec.contains("step b2 { INSERT INTO public.profiles (user_id) VALUES"), "{spec}");

    let (_, out, err) = pgvet(&["prove", d, "--rule", "on-conflict-other-unique", "--format", "sarif"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let r = &v["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "on-conflict-other-unique");
    assert_eq!(r["properties"]["proof"]["verdict"], "proven", "{r:#}");
    assert_eq!(r["properties"]["proof"]["fix"]["verdict"], "verified", "{r:#}");

    let (code, _, err) = pgvet(&["prove", d, "--at", "usage.ts:x"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("FILE:LINE") || err.contains("not a line number"), "{err}");
    let (code, _, err) = pgvet(&["prove", d, "--rule", "fk-missing-index"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("pgvet proves lost-update"), "{err}");
    for app in APPS {
        let fixed = fixture_app(app, "fixed");
        let (code, out, err) = pgvet(&["prove", fixed.path().to_str().unwrap(), "--format", "json"]);
        assert_eq!(code, Some(0), "{app}: {out}{err}");
        assert!(err.contains("no race findings"), "{app}: {err}");
        assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), serde_json::json!({"proofs": []}), "{app}");
    }
}

/// The emitted isolationtester specs run by PostgreSQL's own isolationtester, on a server with the
/// app's schema: the same errors and the same final state as the proofs.
#[test]
fn the_emitted_specs_reproduce_the_race_in_isolationtester() {
    let dir = fixture_app("ts-supabase", "bug");
    let d = dir.path().to_str().unwrap();
    let specs = tempfile::tempdir().unwrap();
    let (code, _, err) = pgvet(&["prove", d, "--emit-spec", specs.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, Some(1), "{err}");
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("isolationtester needs a real PostgreSQL: {e}"));
    let schema = std::fs::read_to_string(apps_dir().join("schema.sql")).unwrap();
    let (_, rejected) = replay(
        &pg,
        Some(SUPABASE_PRELUDE),
        &[ReplayFile { text: &schema, transactional: true, reset_session: false, ..Default::default() }],
        |_| {},
    )
    .unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    let tester = pgvet_db::find_bin_dir().unwrap().join("../lib/pgxs/src/test/isolation/isolationtester");
    assert!(tester.exists(), "{} (PostgreSQL's client package has it)", tester.display());
    let mut specs: Vec<PathBuf> = std::fs::read_dir(specs.path()).unwrap().map(|e| e.unwrap().path()).collect();
    specs.sort();
    assert_eq!(specs.len(), 4, "{specs:?}");
    let want = [
        ("fk-read-then-insert-race", "violates foreign key constraint \"profiles_home_workspace_id_fkey\""),
        ("lost-update", ""),
        ("on-conflict-other-unique", "duplicate key value violates unique constraint \"profiles_user_id_key\""),
        ("orm-upsert-not-atomic", "duplicate key value violates unique constraint \"profiles_user_id_key\""),
    ];
    for (i, spec) in specs.iter().enumerate() {
        // Each spec on its own copy of the schema.
        let db = format!("spec_{i}");
        let mut admin = pg.connect("postgres").unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {db} TEMPLATE pgvet_dev")).unwrap();
        let conninfo = format!("host={} port=5432 user=postgres dbname={db}", pg.root().join("sock").display());
        let o = Command::new(&tester).arg(&conninfo).stdin(std::fs::File::open(spec).unwrap()).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        let name = spec.file_name().unwrap().to_string_lossy();
        assert!(o.status.success(), "{name}: {out}{}", String::from_utf8_lossy(&o.stderr));
        let (rule, error) = want[i];
        assert!(name.starts_with(rule), "{name}");
        if error.is_empty() {
            // The lost update: no error, and the counter shows one increment.
            assert!(!out.contains("ERROR"), "{name}: {out}");
            let mut c = pg.connect(&db).unwrap();
            let n: i32 = c.query_one("SELECT used_tokens FROM public.user_usage", &[]).unwrap().get(0);
            assert_eq!(n, 11, "{name}: {out}");
        } else {
            assert!(out.contains(error), "{name}: {out}");
        }
    }
}
