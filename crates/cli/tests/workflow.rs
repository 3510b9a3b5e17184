//! Living with pgvet day to day (issue 13): the concise format, statistics, colour, the help said
//! once, SARIF paths from anywhere, output errors, the baseline.
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{copy_dir, repo};

fn pgvet_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pgvet"));
    c.args(args).current_dir(dir).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE").env_remove("PGVET_DATABASE_URL");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn concise_statistics_colour_and_help_once() {
    let r = repo();
    let o = pgvet_in(&r, &["check", "examples/workspace-app", "--format", "concise"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<String> = out(&o).lines().map(String::from).collect();
    assert!(lines.iter().any(|l| l.starts_with("examples/workspace-app/supabase/migrations/") && l.contains(": warning[fk-missing-index] foreign key ")), "{lines:#?}");
    assert!(lines.iter().all(|l| l.splitn(4, ':').count() == 4), "{lines:#?}");
    // Statistics: a count per rule instead of the findings.
    let s = out(&pgvet_in(&r, &["check", "examples/workspace-app", "--statistics"], &[]));
    assert!(s.lines().any(|l| l.trim_start().starts_with("2  fk-missing-index") && l.contains("warning")), "{s}");
    assert!(s.lines().any(|l| l.trim_start().starts_with("4  fk-missing-index") && l.contains("info")), "{s}");
    // Colour: only on a terminal, CLICOLOR_FORCE forces it, NO_COLOR wins over the terminal test.
    assert!(!out(&pgvet_in(&r, &["check", "examples/workspace-app"], &[])).contains('\u{1b}'));
    assert!(out(&pgvet_in(&r, &["check", "examples/workspace-app"], &[("CLICOLOR_FORCE", "1")])).contains('\u{1b}'));
    assert!(!out(&pgvet_in(&r, &["check", "examples/workspace-app", "--color", "auto"], &[("NO_COLOR", "1")])).contains('\u{1b}'));
    // The same help text is printed once per run.
    let text = out(&pgvet_in(&r, &["check", "examples/workspace-app"], &[]));
    let helps: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("= help:")).collect();
    let mut unique = helps.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(helps.len(), unique.len(), "a help text repeated:\n{text}");
    assert!(text.contains("= help: as above; `pgvet rule "), "{text}");
}

#[test]
fn sarif_uris_are_relative_to_the_repository_root_from_anywhere() {
    let app = repo().join("examples/workspace-app");
    let elsewhere = tempfile::tempdir().unwrap();
    let o = pgvet_in(elsewhere.path(), &["check", app.to_str().unwrap(), "--format", "sarif"], &[]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(include_str!("../../linter/tests/data/sarif-2.1.0-rtm.5.json")).unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        // From the repository root: the example lies in this repository.
        assert!(uri.starts_with("examples/workspace-app/supabase/") || uri.starts_with("examples/workspace-app/src/"), "{uri}");
    }
    // Security rules carry GitHub's security-severity; fixes carry the suggested migration.
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let rpc = rules.iter().find(|r| r["id"] == "rpc-trusts-caller-id").unwrap();
    assert_eq!(rpc["properties"]["security-severity"], "8.1");
    // (as a new Supabase migration: the current CLI sends CREATE INDEX CONCURRENTLY on its own,
    // outside the file's transaction)
    assert!(results.iter().any(|r| {
        let change = &r["fixes"][0]["artifactChanges"][0];
        change["replacements"][0]["insertedContent"]["text"].as_str().is_some_and(|t| t.starts_with("CREATE INDEX CONCURRENTLY "))
            && change["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with("examples/workspace-app/supabase/migrations/") && u.ends_with("_pgvet_fk_missing_index.sql"))
    }));
}

#[test]
fn a_failed_write_is_exit_2_with_a_message() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let o = Command::new(env!("CARGO_BIN_EXE_pgvet"))
        .args(["check", "examples/workspace-app"])
        .current_dir(repo())
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write the output"), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_baseline_adopts_a_project_and_reports_only_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    copy_dir(&repo().join("examples/workspace-app"), &app);
    let a = app.to_str().unwrap();
    // Adopt: record today's findings.
    let o = pgvet_in(dir.path(), &["baseline", a], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(app.join(".pgvet-baseline.json").is_file());
    let o = pgvet_in(dir.path(), &["check", a, "--format", "concise"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("finding(s) in the baseline (.pgvet-baseline.json) not reported"));
    // A new migration with a new unindexed foreign key: exactly that finding, exit 1.
    std::fs::write(
        app.join("supabase/migrations/20260101000000_notes.sql"),
        "CREATE TABLE public.notes (id uuid PRIMARY KEY, workspace_id uuid NOT NULL REFERENCES public.workspaces (id));\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n",
    )
    .unwrap();
    let o = pgvet_in(dir.path(), &["check", a, "--format", "concise"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let found: Vec<String> = out(&o).lines().filter(|l| !l.contains("[tenant-") && !l.contains("info[")).map(String::from).collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("20260101000000_notes.sql:1:") && found[0].contains("warning[fk-missing-index]"), "{found:#?}");
    // Lines moving above a baselined finding do not bring it back.
    let m = app.join("supabase/migrations/20251110000000_automation_billing_blog.sql");
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(&m, format!("-- moved down\n\n\n{text}")).unwrap();
    let o = pgvet_in(dir.path(), &["check", a, "--format", "concise"], &[]);
    let found: Vec<String> = out(&o).lines().filter(|l| l.contains("warning[") || l.contains("error[")).map(String::from).collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    // A fixed finding (an index for a baselined foreign key): its entry is reported as stale.
    std::fs::write(
        app.join("supabase/migrations/20260101000000_notes.sql"),
        "CREATE INDEX blog_comments_post_id_idx ON public.blog_comments (post_id);\n",
    )
    .unwrap();
    let o = pgvet_in(dir.path(), &["check", a, "--format", "concise"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("1 baseline entry no longer match (fixed): run `pgvet baseline` to drop them")
            && err.contains("blog_comments_post_id_fkey"),
        "{err}"
    );
    let o = pgvet_in(dir.path(), &["check", a, "--no-baseline", "--format", "concise"], &[]);
    assert_eq!(o.status.code(), Some(1), "--no-baseline reports everything");
}

#[test]
fn init_writes_a_config_that_changes_nothing_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    copy_dir(&repo().join("examples/workspace-app"), &app);
    let a = app.to_str().unwrap();
    let before = out(&pgvet_in(dir.path(), &["check", a, "--format", "concise"], &[]));
    let o = pgvet_in(dir.path(), &["init", a], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let toml = std::fs::read_to_string(app.join("pgvet.toml")).unwrap();
    assert!(
        toml.contains("layout = \"supabase\"")
            && toml.contains("path = \"supabase/migrations\"")
            && toml.contains("columns = [\"workspace_id\"]"),
        "{toml}"
    );
    assert_eq!(
        out(&pgvet_in(dir.path(), &["check", a, "--format", "concise"], &[])),
        before,
        "the written config must describe what discovery found"
    );
    let o = pgvet_in(dir.path(), &["init", a], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not overwrite"));
}

/// The pre-commit hook's entry, with the file list pre-commit passes, and the GitHub Action's
/// commands, run as written.
#[test]
fn the_pre_commit_hook_and_the_action_run_as_written() {
    let r = repo();
    let hooks = std::fs::read_to_string(r.join(".pre-commit-hooks.yaml")).unwrap();
    let entry = hooks.lines().find_map(|l| l.trim().strip_prefix("entry: ")).unwrap();
    let mut args: Vec<&str> = entry.split_whitespace().skip(1).collect();
    assert_eq!(entry.split_whitespace().next(), Some("pgvet"));
    let files = [
        "examples/workspace-app/supabase/migrations/20251110000000_automation_billing_blog.sql",
        "examples/workspace-app/src/store-provider.ts",
    ];
    args.extend(files);
    let o = pgvet_in(&r, &args, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = out(&o);
    assert!(
        !lines.is_empty() && lines.lines().all(|l| files.iter().any(|f| l.starts_with(f))),
        "findings in the files passed only:\n{lines}"
    );
    let action = std::fs::read_to_string(r.join("action.yml")).unwrap();
    for format in ["sarif", "github"] {
        assert!(action.contains(&format!("--format {format}")), "{format}");
        let o = pgvet_in(&r, &["check", "examples/workspace-app", "--format", format], &[]);
        assert_eq!(o.status.code(), Some(1));
        assert!(!o.stdout.is_empty());
    }
    // The release binary (cached), built from source only when there is none; SARIF only when
    // asked or available; the permissions documented.
    assert!(action.contains("scripts/install.sh") && action.contains("uses: actions/cache@"));
    assert!(action.contains("cargo install --locked --bins --path \"${{ github.action_path }}\""));
    assert!(action.contains("default: auto") && action.contains("head.repo.fork"));
    assert!(action.contains("actions: read") && action.contains("security-events: write"));
}
