//! The `pgvet` binary's contract: exit codes, messages, formats, on the bundled example.
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{copy_dir, repo};

fn pgvet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgvet")).args(args).current_dir(repo()).env("NO_COLOR", "1").output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` at `rel` below `root`, creating the folders.
fn write_file(root: &Path, rel: &str, text: &str) {
    std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
    std::fs::write(root.join(rel), text).unwrap();
}

#[test]
fn check_the_example_reports_field_report_04s_unindexed_foreign_keys() {
    let o = pgvet(&["check", "examples/workspace-app"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    // The two whose parent the app deletes (workspaces, and their workflows with them) are
    // warnings pointing at the delete; the other four are hints (--show-info).
    assert_eq!(out.matches("warning[fk-missing-index]").count(), 2, "{out}");
    assert_eq!(
        out.matches("the project deletes rows of automation_workflows (with those of workspaces, ON DELETE CASCADE)").count(),
        2,
        "{out}"
    );
    assert!(out.contains("rows of workspaces are deleted here"), "{out}");
    let all = stdout(&pgvet(&["check", "examples/workspace-app", "--show-info"]));
    assert_eq!(all.matches("info[fk-missing-index]").count(), 4, "{all}");
    let out_all = all.clone();
    for t in [
        "automation_nodes",
        "automation_connections",
        "credit_transactions",
        "support_ticket_messages",
        "blog_comments (post_id)",
        "blog_comments (parent_id)",
    ] {
        assert!(out_all.contains(&format!("on {t}")), "{t} missing:\n{out_all}");
    }
    // A code frame with file:line:col.
    assert!(out.contains("--> examples/workspace-app/supabase/migrations/20251110000000_automation_billing_blog.sql:11:3"), "{out}");
    assert!(out.contains("pgvet: 2 errors, 13 warnings, 6 info in 5 migrations and 7 source files"), "{out}");
    // Field report 01 in its Prisma form: the upsert looks up by id, its create sets the unique
    // workspace_id ("Unique constraint failed on the fields: (workspace_id)").
    assert!(out.contains("prisma.devlogWorkspace.upsert looks the row up by (id) only; create also sets (workspace_id)"), "{out}");
    // Info findings are counted, not listed, unless asked for: the metrics query without a
    // workspace filter, and the metrics insert that leaves the (nullable) workspace_id out.
    assert!(out.contains("; 6 info not listed (--show-info lists them)"), "{out}");
    assert!(!out.contains("info[tenant-filter-missing]"), "{out}");
    let listed = stdout(&pgvet(&["check", "examples/workspace-app", "--show-info"]));
    assert!(listed.contains("info[tenant-filter-missing]") && !listed.contains("info not listed"), "{listed}");
    for (rule, at) in [("tenant-filter-missing", "src/store-provider.ts:22:"), ("tenant-insert-missing", "src/store-provider.ts:15:")] {
        let found = listed.match_indices(&format!("[{rule}]")).any(|(i, _)| listed[i..].lines().nth(1).is_some_and(|l| l.contains(at)));
        assert!(found, "{rule} not at {at}:\n{listed}");
    }
    // Field report 02's keys that its code upserts on (and those two ON CONFLICT targets in code)
    // and field report 04's RPC.
    assert_eq!(out.matches("warning[tenant-key-missing-tenant]").count(), 4, "{out}");
    assert!(out.contains("warning[rpc-trusts-caller-id]: increment_token_usage"), "{out}");
    assert!(out.contains("warning[security-definer-search-path]: SECURITY DEFINER function increment_token_usage"), "{out}");
    // The application code's bugs (field reports 01-04), each on its line.
    for (rule, at) in [
        ("on-conflict-other-unique", "src/backfill.ts:7:"),
        ("orm-upsert-not-atomic", "src/batch-api.ts:8:"),
        ("tenant-key-missing-tenant", "src/store-provider.ts:7:"),
        ("fk-read-then-insert-race", "src/workspace.ts:21:"),
        ("unknown-relation", "src/workforce.ts:7:"),
        ("lost-update", "src/workforce.ts:22:"),
        ("unknown-function", "src/workforce.ts:27:"),
    ] {
        let found = out.match_indices(&format!("[{rule}]")).any(|(i, _)| out[i..].lines().nth(1).is_some_and(|l| l.contains(at)));
        assert!(found, "{rule} not at {at}:\n{out}");
    }
    // The suppressed foreign key stays silent and its suppression counts as used.
    assert!(!out.contains("plan_id") && !out.contains("unused-suppression"), "{out}");
}

#[test]
fn the_fixed_example_is_silent() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/workspace-app"), dir.path());
    std::fs::write(
        dir.path().join("supabase/migrations/20251117000004_add_missing_foreign_key_indexes.sql"),
        "CREATE INDEX idx_automation_nodes_workflow ON automation_nodes(workflow_id);\n\
         CREATE INDEX idx_automation_connections_workflow ON automation_connections(workflow_id);\n\
         CREATE INDEX idx_credit_transactions_user_credit ON credit_transactions(user_credit_id);\n\
         CREATE INDEX idx_support_ticket_messages_ticket ON support_ticket_messages(ticket_id);\n\
         CREATE INDEX idx_blog_comments_post ON blog_comments(post_id);\n\
         CREATE INDEX idx_blog_comments_parent ON blog_comments(parent_id) WHERE parent_id IS NOT NULL;\n",
    )
    .unwrap();
    // Field report 02's migration (keys include workspace_id) ...
    std::fs::write(
        dir.path().join("supabase/migrations/20251118000000_workspace_conflict_keys.sql"),
        "ALTER TABLE org_studio_agent_metrics ALTER COLUMN workspace_id SET NOT NULL;\n\
         CREATE UNIQUE INDEX ux_agent_metrics_ws_agent_date_section\n\
           ON org_studio_agent_metrics (workspace_id, agent_id, date, COALESCE(section_id, ''::text));\n\
         DROP INDEX IF EXISTS ux_agent_metrics_agent_date_section;\n\
         ALTER TABLE org_studio_settings ALTER COLUMN workspace_id SET NOT NULL;\n\
         ALTER TABLE org_studio_settings DROP CONSTRAINT org_studio_settings_pkey;\n\
         ALTER TABLE org_studio_settings ADD PRIMARY KEY (workspace_id, id);\n\
         ALTER TABLE org_studio_heartbeats ALTER COLUMN workspace_id SET NOT NULL;\n\
         ALTER TABLE org_studio_heartbeats DROP CONSTRAINT org_studio_heartbeats_pkey;\n\
         ALTER TABLE org_studio_heartbeats ADD PRIMARY KEY (workspace_id, agent_id);\n",
    )
    .unwrap();
    // ... and field report 04's RPC takes the user from the session.
    std::fs::write(
        dir.path().join("supabase/migrations/20251119000000_secure_increment_token_usage.sql"),
        "DROP FUNCTION increment_token_usage(uuid, integer);\n\
         CREATE FUNCTION public.increment_token_usage(p_tokens_used integer) RETURNS void\n\
         LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$\n\
         BEGIN\n\
           UPDATE public.user_subscriptions SET used_tokens = used_tokens + p_tokens_used, updated_at = now()\n\
           WHERE user_id = auth.uid();\n\
         END $$;\n",
    )
    .unwrap();
    // ... and the application code's fixes (field reports 01, 02, 03, 04).
    copy_dir(&repo().join("crates/cli/tests/data/workspace-app-fixed"), dir.path());
    let o = pgvet(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // No integrity finding; the fix migrations' DDL on live tables gets the migration-safety
    // hints (info, counted in the summary).
    let out = stdout(&o);
    assert!(out.contains(" info in 9 migrations and 7 source files") && !out.contains("warning") && !out.contains("error"), "{out}");
    let stats = stdout(&pgvet(&["check", "--statistics", dir.path().to_str().unwrap()]));
    let count = |rule: &str| {
        stats.lines().find(|l| l.split_whitespace().nth(1) == Some(rule)).and_then(|l| l.split_whitespace().next().map(String::from))
    };
    assert_eq!(count("set-not-null-scans").as_deref(), Some("3"), "{stats}");
    assert_eq!(count("unique-constraint-builds-index").as_deref(), Some("2"), "{stats}");
}

#[test]
fn json_and_sarif_formats() {
    let o = pgvet(&["check", "examples/workspace-app", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 21);
    assert_eq!(v["summary"]["warnings"], 13);
    let o = pgvet(&["check", "examples/workspace-app", "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 21);
    let o = pgvet(&["check", "examples/workspace-app", "--format", "github"]);
    assert_eq!(stdout(&o).lines().filter(|l| l.starts_with("::warning file=examples/workspace-app/")).count(), 13);
}

#[test]
fn fail_level_and_rule_severity_from_the_command_line_and_config() {
    // Only the missing table and RPC are errors.
    let o = pgvet(&["check", "examples/workspace-app", "--fail-level", "error", "-q"]);
    assert_eq!(o.status.code(), Some(1));
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/workspace-app"), dir.path());
    std::fs::write(
        dir.path().join("pgvet.toml"),
        "[rules]\nfk-missing-index = \"off\"\ntenant-key-missing-tenant = \"off\"\nrpc-trusts-caller-id = \"off\"\nsecurity-definer-search-path = \"info\"\n\
         on-conflict-other-unique = \"off\"\ntenant-insert-missing = \"off\"\ntenant-filter-missing = \"off\"\nfk-read-then-insert-race = \"off\"\n\
         unknown-relation = \"off\"\nunknown-function = \"off\"\nlost-update = \"info\"\norm-upsert-not-atomic = \"off\"\n",
    )
    .unwrap();
    let o = pgvet(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    std::fs::write(dir.path().join("pgvet.toml"), "[rules]\nfk-missing-index = \"error\"\n").unwrap();
    let o = pgvet(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(stdout(&o).matches("error[fk-missing-index]").count(), 6);
}

#[test]
fn bad_input_gets_a_clear_error_and_exit_2() {
    let o = pgvet(&["check", "does/not/exist"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does/not/exist: no such file or directory"), "{}", stderr(&o));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("001.sql"), "CREATE TABLE a (id int PRIMARY KEY);\n").unwrap();
    std::fs::write(dir.path().join("pgvet.toml"), "[check]\nfail-level = \"warning\"\nformat = \"json\"\n").unwrap();
    let o = pgvet(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pgvet.toml:3:1: unknown field `format`"), "{}", stderr(&o));

    std::fs::write(dir.path().join("pgvet.toml"), "[rules]\nfk-missing-idx = \"off\"\n").unwrap();
    let o = pgvet(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pgvet.toml:2:1: unknown rule or group `fk-missing-idx`"), "{}", stderr(&o));

    let empty = tempfile::tempdir().unwrap();
    let o = pgvet(&["check", empty.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no migrations found"), "{}", stderr(&o));

    let o = pgvet(&["check", "--format", "yaml"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_syntax_error_is_located_and_the_rest_is_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("001.sql"),
        "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABEL broken (id int);\nCREATE TABLE c (p_id int REFERENCES p);\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("002.sql"), "ALTER TABLE c ADD COLUMN x int;\n").unwrap();
    let o = pgvet(&["check", "--show-info", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("error[syntax-error]: PostgreSQL cannot parse this statement: syntax error at or near \"TABEL\""), "{out}");
    assert!(out.contains("001.sql:2:8"), "{out}");
    assert!(out.contains("info[fk-missing-index]"), "statements after the error are still analysed:\n{out}");
    assert!(!out.contains("migration-error"), "002.sql alters a table created after the bad statement:\n{out}");
}

#[test]
fn rules_and_rule_docs() {
    let o = pgvet(&["rules"]);
    assert!(stdout(&o).lines().any(|l| l.starts_with("fk-missing-index")));
    let o = pgvet(&["rule", "fk-missing-index"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("## Why it matters"));
    let o = pgvet(&["rule", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    let o = pgvet(&["--help"]);
    assert!(stdout(&o).contains("pgvet-ignore") && stdout(&o).contains("Exit status"));
}

#[test]
fn schema_json_and_at() {
    let o = pgvet(&["schema", "examples/workspace-app", "--at", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tables: Vec<String> = v["catalog"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{}.{}", t["name"]["schema"].as_str().unwrap(), t["name"]["name"].as_str().unwrap()))
        .collect();
    assert!(tables.contains(&"public.workspaces".to_string()));
    assert!(!tables.contains(&"public.blog_posts".to_string()), "--at 1 is before the blog migration");
    let o = pgvet(&["schema", "examples/workspace-app", "--at", "99"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Oracle: the example's schema as pgvet rebuilds it equals what PostgreSQL builds.
#[test]
fn schema_of_the_example_matches_a_real_server() {
    let o = pgvet(&["schema", "examples/workspace-app", "--dev-db"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(out.contains("0 difference(s); the server rejected 0 statement(s), pgvet predicted 0"), "{out}");
}

/// Oracle: the clean multi-tenant fixture (the one the rules must stay silent on) is a schema a
/// real server accepts, and pgvet rebuilds it exactly; and `pgvet check` finds nothing in it.
#[test]
fn the_clean_multi_tenant_fixture_is_real_postgres_and_clean() {
    let dir = "crates/linter/tests/fixtures/clean-multitenant";
    let o = pgvet(&["schema", dir, "--dev-db"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(out.contains("42 tables") && out.contains("0 difference(s); the server rejected 0 statement(s), pgvet predicted 0"), "{out}");
    let o = pgvet(&["check", dir]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("no findings in 4 migrations and 2 query files"), "{}", stdout(&o));
}

/// What discovery skips is a finding in every output format, not a note on stderr; and a goose
/// Go migration is part of the sequence as an unmodelled step.
#[test]
fn skipped_files_and_host_migrations_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("drizzle");
    std::fs::create_dir_all(d.join("meta")).unwrap();
    std::fs::write(d.join("meta/_journal.json"), r#"{"entries":[{"idx":0,"tag":"0000_init"}]}"#).unwrap();
    std::fs::write(d.join("0000_init.sql"), "CREATE TABLE a (id int PRIMARY KEY);\n").unwrap();
    std::fs::write(d.join("0001_stray.sql"), "CREATE TABLE b (id int);\n").unwrap();
    let o = pgvet(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules: Vec<&str> = v["diagnostics"].as_array().unwrap().iter().map(|d| d["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, vec!["skipped-file"], "{v:#}");
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));

    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("001_init.sql"), "-- +goose Up\nCREATE TABLE a (id int PRIMARY KEY);\n").unwrap();
    std::fs::write(
        m.join("002_go.go"),
        "package migrations\nfunc up(ctx context.Context, tx *sql.Tx) error {\n\t_, err := tx.ExecContext(ctx, `ALTER TABLE a ADD COLUMN name text`)\n\treturn err\n}\n",
    )
    .unwrap();
    std::fs::write(m.join("003_use.sql"), "-- +goose Up\nCREATE INDEX a_name ON a (name);\nCREATE INDEX a_other ON a (other);\n").unwrap();
    let o = pgvet(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let safety: Vec<&str> = pgvet_linter::rules::ddl_rules().iter().map(|r| r.id).collect();
    let found: Vec<(String, String)> = rules_and_file_names(&v).into_iter().filter(|(r, _)| !safety.contains(&r.as_str())).collect();
    // The Go migration may have added any column to `a`: neither index is reported as an error
    // (what building them locks is another matter).
    assert_eq!(found, vec![("unmodelled-statement".to_string(), "002_go.go".to_string())], "{v:#}");
}

/// Supabase's built-in schemas (realtime.messages, storage functions and bucket columns, vault,
/// the extensions schema) for a project with a supabase/ folder: pgvet reports nothing false,
/// and a real server given the same platform base agrees with pgvet's schema.
#[test]
fn supabase_platform_objects_are_known_and_match_a_real_server() {
    let dir = "crates/cli/tests/data/supabase-platform";
    let o = pgvet(&["check", dir]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = pgvet(&["schema", dir, "--dev-db"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(out.contains("0 difference(s); the server rejected 0 statement(s), pgvet predicted 0"), "{out}");
}

/// Same input, byte-identical output: the example checked in separate processes (each with its
/// own hash seeds); the fixture apps are run repeatedly in the linter's tests.
#[test]
fn output_is_deterministic() {
    let first = pgvet(&["check", "examples/workspace-app", "--format", "json"]).stdout;
    assert!(!first.is_empty());
    for _ in 0..3 {
        assert!(pgvet(&["check", "examples/workspace-app", "--format", "json"]).stdout == first, "output differs between runs");
    }
}

/// Tests, seeds and scripts are not production code: rules about production behaviour skip them
/// (unless `[code] include-tests`), while unknown tables are still reported there.
#[test]
fn tests_and_seeds_are_not_production_code() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("migrations")).unwrap();
    std::fs::write(
        root.join("migrations/001_init.sql"),
        "CREATE TABLE docs (id uuid PRIMARY KEY, workspace_id uuid NOT NULL, body text);\n",
    )
    .unwrap();
    let code = "export async function get(pool, id) {\n  return pool.query('SELECT body FROM docs WHERE id = $1', [id]);\n}\nexport async function gone(pool) {\n  return pool.query('SELECT 1 FROM nope');\n}\n";
    for f in ["src/docs.ts", "src/docs.test.ts", "prisma/seed.ts", "scripts/backfill.ts"] {
        std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
        std::fs::write(root.join(f), code).unwrap();
    }
    let found = |extra: &str| -> Vec<(String, String)> {
        std::fs::write(root.join("pgvet.toml"), extra).unwrap();
        let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let mut out: Vec<(String, String)> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let file = d["location"]["file"].as_str().unwrap();
                let rel =
                    file.split_once(root.file_name().unwrap().to_str().unwrap()).map(|(_, r)| r.trim_start_matches('/')).unwrap_or(file);
                (d["rule"].as_str().unwrap().to_string(), rel.to_string())
            })
            .collect();
        out.sort();
        out
    };
    let by_rule = |v: &[(String, String)], rule: &str| v.iter().filter(|(r, _)| r == rule).map(|(_, f)| f.clone()).collect::<Vec<_>>();
    let default = found("");
    assert_eq!(by_rule(&default, "tenant-filter-missing"), vec!["src/docs.ts"], "{default:?}");
    assert_eq!(by_rule(&default, "unknown-relation").len(), 4, "{default:?}");
    let all = found("[code]\ninclude-tests = true\n");
    assert_eq!(by_rule(&all, "tenant-filter-missing").len(), 4, "{all:?}");
}

/// A monorepo with three databases (two Prisma, one Drizzle): each is found, checked on its own
/// with the code of the packages that use it, and listed in the summary; no finding blames one
/// database's code on another's schema.
#[test]
fn every_database_of_a_monorepo_is_checked_with_its_own_code() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| write_file(root, p, t);
    write("packages/main-db/package.json", r#"{"name": "@acme/main-db"}"#);
    write(
        "packages/main-db/prisma/migrations/20240101_init/migration.sql",
        "CREATE TABLE orders (id int PRIMARY KEY, workspace_id uuid NOT NULL);\n",
    );
    write(
        "packages/main-db/prisma/migrations/20240102_more/migration.sql",
        "CREATE TABLE items (id int PRIMARY KEY, order_id int REFERENCES orders (id));\n",
    );
    write("packages/ops-db/package.json", r#"{"name": "@acme/ops-db"}"#);
    write("packages/ops-db/prisma/migrations/20240101_init/migration.sql", "CREATE TABLE jobs (id int PRIMARY KEY);\n");
    write("packages/agent/package.json", r#"{"name": "@acme/agent"}"#);
    write("packages/agent/drizzle/meta/_journal.json", r#"{"entries":[{"idx":0,"tag":"0000_init"}]}"#);
    write("packages/agent/drizzle/0000_init.sql", "CREATE TABLE notes (id int PRIMARY KEY);\n");
    write("packages/agent/src/notes.ts", "export const q = (pool) => pool.query('SELECT id FROM notes');\n");
    write("apps/web/package.json", r#"{"name": "web", "dependencies": {"@acme/main-db": "*"}}"#);
    write("apps/web/src/orders.ts", "export const q = (pool) => pool.query('SELECT id FROM orders WHERE id = $1', [1]);\nexport const j = (pool) => pool.query('SELECT id FROM jobs');\n");
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    let dbs: Vec<(String, String, u64)> = v["summary"]["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["path"].as_str().unwrap().to_string(), d["layout"].as_str().unwrap().to_string(), d["migrations"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        dbs,
        vec![
            ("packages/agent/drizzle".to_string(), "drizzle".to_string(), 1),
            ("packages/main-db/prisma/migrations".to_string(), "prisma".to_string(), 2),
            ("packages/ops-db/prisma/migrations".to_string(), "prisma".to_string(), 1),
        ]
    );
    let found = rules_and_file_names(&v);
    // The web app uses the main database: `jobs` is not there (it is the ops database's), `notes`
    // is found in the agent's own database, and the main database's missing FK index is reported.
    assert!(found.contains(&("unknown-relation".to_string(), "orders.ts".to_string())), "{found:?}");
    assert!(!found.iter().any(|(_, f)| f == "notes.ts"), "{found:?}");
    assert!(found.contains(&("fk-missing-index".to_string(), "migration.sql".to_string())), "{found:?}");
    assert_eq!(found.iter().filter(|(r, _)| r == "unknown-relation").count(), 1, "{found:?}");
    // `pgvet schema` of a monorepo: one database, chosen by name.
    let o = pgvet(&["schema", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("3 databases") && stderr(&o).contains("--database"), "{}", stderr(&o));
    let o = pgvet(&["schema", root.to_str().unwrap(), "--database", "ops-db"]);
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert!(s.to_string().contains("\"jobs\"") && !s.to_string().contains("\"orders\""), "{s:#}");
    // A package that uses both Prisma databases may query either one's tables.
    write("apps/worker/package.json", r#"{"name": "worker", "dependencies": {"@acme/main-db": "*", "@acme/ops-db": "*"}}"#);
    write(
        "apps/worker/src/run.ts",
        "export const q = (pool) => pool.query('SELECT id FROM jobs');\nexport const o = (pool) => pool.query('SELECT id FROM ordres');\n",
    );
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    let unknown: Vec<(String, String)> = rules_and_file_names(&v).into_iter().filter(|(r, _)| r == "unknown-relation").collect();
    assert_eq!(
        unknown,
        vec![("unknown-relation".to_string(), "orders.ts".to_string()), ("unknown-relation".to_string(), "run.ts".to_string())]
    );
}

/// (rule, file name) of every finding of a `--format json` document.
fn rules_and_file_names(v: &serde_json::Value) -> Vec<(String, String)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["rule"].as_str().unwrap().to_string(), d["location"]["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string()))
        .collect()
}

/// `check` is the default command: `pgvet PATH` and `pgvet --format json PATH` check PATH.
#[test]
fn check_is_the_default_command() {
    let with = pgvet(&["check", "examples/workspace-app", "--format", "json"]);
    let without = pgvet(&["examples/workspace-app", "--format", "json"]);
    assert_eq!(without.status.code(), Some(1));
    assert!(with.stdout == without.stdout);
    let options_first = pgvet(&["--format", "json", "examples/workspace-app"]);
    assert!(with.stdout == options_first.stdout);
    assert_eq!(pgvet(&["rules"]).status.code(), Some(0));
}

/// An empty migrations folder, or a configured layout that finds nothing, is an error (exit 2)
/// that says where pgvet looked, not a clean run.
#[test]
fn nothing_to_replay_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("supabase/migrations")).unwrap();
    let o = pgvet(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("no supabase migrations there"), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("db")).unwrap();
    std::fs::write(dir.path().join("db/readme.txt"), "x").unwrap();
    std::fs::write(dir.path().join("pgvet.toml"), "[migrations]\nlayout = \"goose\"\npath = \"db\"\n").unwrap();
    let o = pgvet(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("no goose migrations there"), "{}", stderr(&o));
    // A MySQL project (dub): said as such, not "no migrations found".
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "apps/web/prisma/schema/schema.prisma",
        "datasource db {\n  provider = \"mysql\"\n  url = env(\"DATABASE_URL\")\n}\n",
    );
    let o = pgvet(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("apps/web/prisma/schema/schema.prisma is a Prisma schema for mysql"), "{}", stderr(&o));
}

/// sqlc's config below the root (same Go module as the migrations): its query files are checked.
#[test]
fn nested_sqlc_queries_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| write_file(root, p, t);
    write("go.mod", "module example.com/app\n");
    write("cmd/migrate/migrations/001_init.sql", "-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY);\n");
    write(
        "pkg/db/sqlc.yaml",
        "version: \"2\"\nsql:\n  - engine: \"postgresql\"\n    queries:\n      - users.sql\n    schema:\n      - ../../schema.sql\n",
    );
    write(
        "pkg/db/users.sql",
        "-- name: GetUser :one\nSELECT id FROM users WHERE id = @id;\n\n-- name: Gone :many\nSELECT id FROM accounts;\n",
    );
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert_eq!(rules_and_file_names(&v), vec![("unknown-relation".to_string(), "users.sql".to_string())], "{v:#}");
}

/// Prisma's migrations folder is found by its migration_lock.toml, whatever its name and place
/// (a prisma.config.ts can move it), next to its package.
#[test]
fn prisma_migrations_are_found_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| write_file(root, p, t);
    write("packages/db/package.json", r#"{"name": "@x/db"}"#);
    write("packages/db/schema.prisma", "datasource db {\n  provider = \"postgresql\"\n}\n");
    write("packages/db/migration/migration_lock.toml", "provider = \"postgresql\"\n");
    write(
        "packages/db/migration/20240101000000_init/migration.sql",
        "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (a_id int REFERENCES a (id));\n",
    );
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert_eq!(v["summary"]["databases"][0]["layout"], "prisma", "{v:#}");
    assert_eq!(v["summary"]["databases"][0]["migrations"], 1);
    assert_eq!(rules_and_file_names(&v), vec![("fk-missing-index".to_string(), "migration.sql".to_string())]);
}

/// Without a lock file, Prisma's folder comes from prisma.config.ts (`migrations.path`, else
/// beside `schema`) or package.json `"prisma": {"schema": ...}`.
#[test]
fn prisma_migrations_named_by_config_files() {
    let migration = "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (a_id int REFERENCES a (id));\n";
    for (config_file, config, folder) in [
        (
            "prisma.config.ts",
            "import path from 'node:path';\nexport default defineConfig({\n  schema: path.join('db', 'schema.prisma'),\n  migrations: { path: path.join('db', 'migration') },\n});\n",
            "db/migration",
        ),
        ("prisma.config.ts", "export default defineConfig({ schema: './database/schema' });\n", "database/migrations"),
        ("package.json", r#"{"name": "app", "prisma": {"schema": "store/app.prisma"}}"#, "store/migrations"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |p: &str, t: &str| {
            std::fs::create_dir_all(root.join(p).parent().unwrap()).unwrap();
            std::fs::write(root.join(p), t).unwrap();
        };
        write(config_file, config);
        if config_file != "package.json" {
            write("package.json", r#"{"name": "app"}"#);
        }
        std::fs::create_dir_all(root.join("database/schema")).unwrap();
        write(&format!("{folder}/20240101000000_init/migration.sql"), migration);
        let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{config}: {}", stderr(&o)));
        assert_eq!(v["summary"]["databases"][0]["layout"], "prisma", "{config}: {v:#}");
        assert_eq!(v["summary"]["databases"][0]["path"], folder, "{config}: {v:#}");
        assert_eq!(rules_and_file_names(&v), vec![("fk-missing-index".to_string(), "migration.sql".to_string())]);
    }
}

/// Migrations written in TypeScript/JavaScript/Ruby are listed, not replayed; when they are all
/// a repository has, that is an error that says what to do.
#[test]
fn host_language_migrations_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| write_file(root, p, t);
    write("packages/api/package.json", r#"{"name": "api"}"#);
    for v in ["20240101000000_init", "20240201000000_more"] {
        write(&format!("packages/api/migrations/{v}.ts"), "import { Knex } from 'knex';\nexport async function up(knex: Knex) {}\n");
    }
    let o = pgvet(&["check", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("2 knex migrations in packages/api/migrations"), "{}", stderr(&o));
    assert!(stderr(&o).contains("pg_dump --schema-only"), "{}", stderr(&o));
    // Beside a replayable database of another package: listed in the summary.
    write("packages/db/package.json", r#"{"name": "db"}"#);
    write("packages/db/migrations/001_init.sql", "CREATE TABLE a (id int PRIMARY KEY);\n");
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    let dbs = v["summary"]["databases"].as_array().unwrap();
    assert_eq!(dbs.len(), 2, "{v:#}");
    assert_eq!(dbs[1]["layout"], "knex");
    assert_eq!(dbs[1]["migrations"], 0);
    assert_eq!(dbs[1]["not_replayed"], 2);
    let o = pgvet(&["check", root.to_str().unwrap()]);
    assert!(stdout(&o).contains("not replayed: 2 knex migrations in packages/api/migrations"), "{}", stdout(&o));
    // Rails migrations beside db/structure.sql are covered by it: not listed.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| write_file(root, p, t);
    write("Gemfile", "source 'https://rubygems.org'\n");
    write("db/structure.sql", "CREATE TABLE a (id int PRIMARY KEY);\n");
    for v in ["20240101000000_init", "20240201000000_more"] {
        write(&format!("db/migrate/{v}.rb"), "class Init < ActiveRecord::Migration[7.0]\nend\n");
    }
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert_eq!(v["summary"]["databases"].as_array().unwrap().len(), 1, "{v:#}");
}

/// A self-hosted GoTrue (Supabase Auth) in the compose file creates `auth.users` before the
/// migrations run; without it, a foreign key to auth.users is a real 42P01.
#[test]
fn gotrue_in_compose_provides_auth_users() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("migrations")).unwrap();
    std::fs::write(
        root.join("migrations/20240101000000_users.sql"),
        "CREATE TABLE af_user (uuid uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE);\n",
    )
    .unwrap();
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert_eq!(rules_and_file_names(&v), vec![("migration-error".to_string(), "20240101000000_users.sql".to_string())], "{v:#}");
    std::fs::write(root.join("docker-compose.yml"), "services:\n  gotrue:\n    image: supabase/gotrue:v2.151.0\n").unwrap();
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert_eq!(rules_and_file_names(&v), vec![], "{v:#}");
}

/// A Prisma project without migrations (`prisma db push`): the models are the schema, so its
/// code is still checked, and no table is reported missing.
#[test]
fn prisma_schema_without_migrations_is_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| write_file(root, p, t);
    write("packages/db/package.json", r#"{"name": "@x/db"}"#);
    write(
        "packages/db/prisma/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\nmodel Note {\n  id Int @id @default(autoincrement())\n  body String\n  authorId String @map(\"author_id\")\n  @@map(\"notes\")\n}\n",
    );
    write(
        "packages/db/src/notes.ts",
        "export const a = (pool) => pool.query('SELECT body, author_id FROM notes WHERE id = $1', [1]);\nexport const b = (pool) => pool.query('SELECT titel FROM notes');\nexport const c = (prisma) => prisma.note.findMany({ where: { body: 'x' } });\n",
    );
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert_eq!(v["summary"]["databases"][0]["layout"], "prisma-schema", "{v:#}");
    assert_eq!(v["summary"]["databases"][0]["path"], "packages/db/prisma/schema.prisma");
    assert_eq!(v["summary"]["databases"][0]["migrations"], 0);
    assert_eq!(rules_and_file_names(&v), vec![("unknown-column".to_string(), "notes.ts".to_string())], "{v:#}");
    let o = pgvet(&["check", root.to_str().unwrap()]);
    assert!(stdout(&o).contains("prisma-schema layout at"), "{}", stdout(&o));
}

/// Migrations of other database engines are not PostgreSQL's: a ClickHouse folder (umami), a
/// Prisma lock for MySQL, a Drizzle journal for SQLite.
#[test]
fn other_engines_are_not_databases() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| write_file(root, p, t);
    write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
    write("prisma/migrations/20240101000000_init/migration.sql", "CREATE TABLE a (id int PRIMARY KEY);\n");
    write("db/clickhouse/migrations/01_init.sql", "CREATE TABLE events (id UUID) ENGINE = MergeTree ORDER BY id;\n");
    write("legacy/prisma/migrations/migration_lock.toml", "provider = \"mysql\"\n");
    write("legacy/prisma/migrations/20240101000000_init/migration.sql", "CREATE TABLE `b` (`id` INT NOT NULL);\n");
    write("apps/local/drizzle/meta/_journal.json", r#"{"dialect": "sqlite", "entries":[{"idx":0,"tag":"0000_x"}]}"#);
    write("apps/local/drizzle/0000_x.sql", "CREATE TABLE `c` (`id` integer PRIMARY KEY AUTOINCREMENT);\n");
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    let paths: Vec<&str> = v["summary"]["databases"].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(paths, vec!["prisma/migrations"], "{v:#}");
    assert!(v["diagnostics"].as_array().unwrap().iter().all(|d| d["severity"] == "info"), "{v:#}");
}

/// Data migrations written in code beside the migrations (formbricks' `migration/<ts>/migration.ts`)
/// ran once, against the schema of their time: they are not checked against today's schema.
#[test]
fn data_migrations_are_not_checked_against_todays_schema() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| write_file(root, p, t);
    write("packages/db/package.json", r#"{"name": "@x/db"}"#);
    write("packages/db/migration/migration_lock.toml", "provider = \"postgresql\"\n");
    write("packages/db/migration/20240101000000_init/migration.sql", "CREATE TABLE \"Project\" (id text PRIMARY KEY);\n");
    write("packages/db/migration/20240201000000_rename/migration.sql", "ALTER TABLE \"Project\" RENAME TO \"Workspace\";\n");
    write(
        "packages/db/migration/20240115000000_backfill/migration.ts",
        "export const run = (tx) => tx.$queryRaw`SELECT id FROM \"Project\"`;\n",
    );
    write("packages/db/src/q.ts", "export const q = (tx) => tx.$queryRaw`SELECT id FROM \"Project\"`;\n");
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    let unknown: Vec<(String, String)> = rules_and_file_names(&v).into_iter().filter(|(r, _)| r == "unknown-relation").collect();
    assert_eq!(unknown, vec![("unknown-relation".to_string(), "q.ts".to_string())], "{v:#}");
}

/// Files and directories inside a project (as pre-commit and editors pass them): the project and
/// its pgvet.toml are found upward, all of it is analysed, and findings are reported for what
/// was named.
#[test]
fn named_files_inside_a_project_use_its_config_and_filter_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let m = root.join("supabase/migrations");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(root.join("pgvet.toml"), "[rules]\nfk-missing-index = \"error\"\n").unwrap();
    std::fs::write(m.join("001_a.sql"), "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c1 (p_id int REFERENCES p (id));\n").unwrap();
    std::fs::write(m.join("002_b.sql"), "CREATE TABLE c2 (p_id int REFERENCES p (id));\n").unwrap();
    let run = |args: &[&Path]| {
        let mut a: Vec<&str> = vec!["check", "--format", "json"];
        a.extend(args.iter().map(|p| p.to_str().unwrap()));
        let o = pgvet(&a);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
        let got: Vec<(String, String)> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["rule"] == "fk-missing-index")
            .map(|d| {
                (
                    d["severity"].as_str().unwrap().to_string(),
                    d["location"]["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string(),
                )
            })
            .collect();
        got
    };
    // One file: the other's finding is not shown, and the root's config applies (error).
    assert_eq!(run(&[&m.join("002_b.sql")]), vec![("error".to_string(), "002_b.sql".to_string())]);
    // Two files, and the migrations directory: both.
    assert_eq!(run(&[&m.join("001_a.sql"), &m.join("002_b.sql")]).len(), 2);
    assert_eq!(run(&[&m]).len(), 2);
}

/// Run from a subdirectory with no PATH: the project above it (its pgvet.toml) is checked, and
/// findings under the subdirectory are reported with paths relative to where pgvet runs.
#[test]
fn running_from_a_subdirectory_finds_the_project_above() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let m = root.join("db/migrations");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(root.join("pgvet.toml"), "[migrations]\nlayout = \"plain\"\npath = \"db/migrations\"\n").unwrap();
    std::fs::write(m.join("001.sql"), "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p (id));\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_pgvet")).args(["--format", "json"]).current_dir(&m).env("NO_COLOR", "1").output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert_eq!(v["diagnostics"][0]["rule"], "fk-missing-index", "{v:#}");
    assert_eq!(v["diagnostics"][0]["location"]["file"], "../../db/migrations/001.sql");
}

/// `--at` takes a migration's version as well as its number or a part of its name.
#[test]
fn schema_at_a_version() {
    let o = pgvet(&["schema", "examples/workspace-app", "--at", "20251117000002"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["at"].as_str().unwrap().ends_with("20251117000002_add_increment_token_usage_rpc.sql"), "{}", v["at"]);
}

/// `[[database]]` in pgvet.toml names the databases and which code uses each; a wrong layout is
/// an error at its line and column.
#[test]
fn databases_named_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| write_file(root, p, t);
    write("db/main/001.sql", "CREATE TABLE orders (id int PRIMARY KEY);\n");
    write("db/audit/001.sql", "CREATE TABLE events (id int PRIMARY KEY);\n");
    write("services/shop/q.ts", "export const q = (pool) => pool.query('SELECT id FROM events');\n");
    write("services/audit/q.ts", "export const q = (pool) => pool.query('SELECT id FROM events');\n");
    write(
        "pgvet.toml",
        "[[database]]\nname = \"main\"\nlayout = \"plain\"\npath = \"db/main\"\ncode = [\"services/shop\"]\n\n[[database]]\nname = \"audit\"\nlayout = \"plain\"\npath = \"db/audit\"\ncode = [\"services/audit\"]\n",
    );
    let o = pgvet(&["check", root.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    let names: Vec<&str> = v["summary"]["databases"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["main", "audit"]);
    // The shop's `events` is not in its database; the audit service's is.
    let found: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "unknown-relation")
        .map(|d| d["location"]["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found.len(), 1, "{v:#}");
    assert!(found[0].ends_with("services/shop/q.ts"), "{found:?}");
    write("pgvet.toml", "[[database]]\nlayout = \"prismo\"\npath = \"db/main\"\n");
    let o = pgvet(&["check", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pgvet.toml:2:10: unknown layout `prismo`"), "{}", stderr(&o));
}

#[test]
fn a_rule_group_is_set_in_config() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(m.join("0001_a.sql"), "CREATE TABLE a (id int PRIMARY KEY, b int);\n").unwrap();
    std::fs::write(m.join("0002_b.sql"), "CREATE INDEX a_b ON a (b);\n").unwrap();
    let run = |config: &str| {
        std::fs::write(dir.path().join("pgvet.toml"), config).unwrap();
        let o = pgvet(&["check", dir.path().to_str().unwrap(), "--format", "json", "-q"]);
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        let levels: Vec<String> = doc["diagnostics"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|d| d["rule"] == "index-build-blocks-writes")
                    .map(|d| d["severity"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        (o.status.code(), levels)
    };
    assert_eq!(run("[rules]\nlocks = \"warning\"\n"), (Some(1), vec!["warning".to_string()]));
    assert_eq!(run("[rules]\nlocks = \"warning\"\nindex-build-blocks-writes = \"off\"\n").1, Vec::<String>::new());
    assert_eq!(run("[rules]\nrewrites = \"warning\"\n"), (Some(0), vec!["info".to_string()]));
}

/// A finding that rests on what a statement pgvet could not follow may have changed is not
/// reported, but every format says how many were withheld and by which statement, and
/// `--show-info` lists each.
#[test]
fn withheld_findings_are_counted_in_every_format_and_listed_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_file(
        root,
        "supabase/migrations/20250101000000_init.sql",
        "CREATE TABLE a (id int PRIMARY KEY, b_id int);\nCREATE TABLE b (id int PRIMARY KEY);\n\
         -- Columns named by table data: pgvet cannot know which.\n\
         DO $$ DECLARE r record; BEGIN\n  FOR r IN SELECT name FROM config LOOP\n    EXECUTE 'ALTER TABLE a ADD COLUMN ' || r.name || ' text';\n  END LOOP;\nEND $$;\n\
         CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT nope FROM a $$;\n\
         CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT nope FROM b $$;\n",
    );
    let run = |args: &[&str]| {
        let mut all = vec!["check", root.to_str().unwrap()];
        all.extend_from_slice(args);
        stdout(&pgvet(&all))
    };
    // b is certain: its missing column is reported; a's is withheld by the DO block (line 4).
    let text = run(&[]);
    assert!(text.contains("column \"nope\" does not exist (in function g)"), "{text}");
    assert!(!text.contains("(in function f)"), "{text}");
    assert!(
        text.contains("pgvet: 1 finding withheld (unknown-column 1): it rests on what 1 statement pgvet could not follow may have changed, the first at")
            && text.contains("20250101000000_init.sql:4:1; --show-info lists them"),
        "{text}"
    );
    let listed = run(&["--show-info"]);
    assert!(listed.contains("info[unknown-column]: withheld: column \"nope\" does not exist (in function f)"), "{listed}");
    let concise = run(&["--format", "concise", "--show-info"]);
    assert!(concise.contains("info[unknown-column] withheld: column \"nope\" does not exist (in function f)"), "{concise}");
    assert!(concise.contains("pgvet: 1 finding withheld"), "{concise}");
    let json: serde_json::Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
    let w = &json["summary"]["withheld"];
    assert_eq!(w.as_array().map(|a| a.len()), Some(1), "{json}");
    assert_eq!(w[0]["rule"], "unknown-column");
    assert_eq!(w[0]["location"]["start"]["line"], 9);
    assert_eq!(w[0]["withheld_by"]["start"]["line"], 4);
    let sarif: serde_json::Value = serde_json::from_str(&run(&["--format", "sarif"])).unwrap();
    assert_eq!(sarif["runs"][0]["properties"]["withheld"]["count"], 1, "{sarif}");
    let github = run(&["--format", "github"]);
    assert!(github.contains("::notice title=pgvet withheld findings::1 finding withheld"), "{github}");
}
