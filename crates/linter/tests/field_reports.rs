//! The field reports' bugs, as fixture projects (migrations, plus sqlc-style query files): each
//! bug is found with a message its authors would recognise, and each fixed version is silent.
use std::path::{Path, PathBuf};

use pgvet_catalog::Catalog;
use pgvet_linter::analysis::analyze_project;
use pgvet_linter::{Analysis, MigrationFile, Settings};
use pgvet_syntax::SourceFile;

fn fixture(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(dir)
}

fn sql_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "sql")).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Analyses `dir/*.sql` as migrations and `dir/queries/*.sql` as query files.
pub fn run(dir: &Path, base: Catalog, settings: &Settings) -> Analysis {
    let load = |p: &PathBuf| SourceFile::new(p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read_to_string(p).unwrap());
    // The field reports ran their migrations with psql, statement by statement.
    let migrations =
        sql_files(dir).iter().map(|p| MigrationFile { source: load(p), transactional: false, host: None, reruns: false }).collect();
    let queries = sql_files(&dir.join("queries")).iter().map(load).collect();
    analyze_project(migrations, queries, base, settings)
}

/// (rule, file, line, message) of every finding.
fn found(a: &Analysis) -> Vec<(String, String, usize, String)> {
    a.diagnostics
        .iter()
        .map(|d| {
            let f = &a.files[d.primary.file];
            (d.rule.to_string(), f.path.clone(), f.line_col(d.primary.span.start).line, d.message.clone())
        })
        .collect()
}

fn rules(a: &Analysis) -> Vec<String> {
    found(a).into_iter().map(|(r, f, l, _)| format!("{r} {f}:{l}")).collect()
}

#[test]
fn field_report_01_upsert_on_the_wrong_key() {
    let a = run(&fixture("fr01/before"), Catalog::new(), &Settings::default());
    assert_eq!(rules(&a), vec!["on-conflict-other-unique queries/workspaces.sql:3"]);
    let msg = &found(&a)[0].3;
    assert!(msg.contains("workspaces_pkey (id)") && msg.contains("(workspace_id)") && msg.contains("23505"), "{msg}");
    let fixed = run(&fixture("fr01/fixed"), Catalog::new(), &Settings::default());
    assert_eq!(rules(&fixed), Vec::<String>::new());
}

fn fr02_settings() -> Settings {
    Settings { global_tables: vec!["watchdog_pauses".into()], ..Default::default() }
}

#[test]
fn field_report_02_keys_without_the_workspace() {
    let a = run(&fixture("fr02/before"), Catalog::new(), &fr02_settings());
    let f = found(&a);
    let keys: Vec<&(String, String, usize, String)> = f.iter().filter(|x| x.1 == "001_schema.sql").collect();
    assert_eq!(keys.len(), 3, "{f:#?}");
    for t in ["org_studio_agent_metrics", "org_studio_settings", "org_studio_heartbeats"] {
        assert!(keys.iter().any(|k| k.0 == "tenant-key-missing-tenant" && k.3.contains(t) && k.3.contains("workspace_id")), "{t}: {f:#?}");
    }
    // The three upserts in code, not the global table's.
    let targets: Vec<usize> = f.iter().filter(|x| x.1 == "queries/store.sql").map(|x| x.2).collect();
    assert_eq!(targets, vec![3, 7, 11], "{f:#?}");
    assert!(f.iter().all(|x| x.0 == "tenant-key-missing-tenant"), "{f:#?}");
}

#[test]
fn field_report_02_schema_migrated_but_code_not_yet_gives_42p10() {
    let a = run(&fixture("fr02/half-fixed"), Catalog::new(), &fr02_settings());
    let f = found(&a);
    let broken: Vec<&(String, String, usize, String)> = f.iter().filter(|x| x.0 == "on-conflict-no-unique-index").collect();
    assert_eq!(broken.iter().map(|x| x.2).collect::<Vec<_>>(), vec![3, 7, 11], "{f:#?}");
    assert!(broken[0].3.contains("42P10") && broken[0].3.contains("ON CONFLICT (agent_id)"), "{}", broken[0].3);
    let d = a.diagnostics.iter().find(|d| d.rule == "on-conflict-no-unique-index").unwrap();
    assert!(
        d.message.contains("unique keys of org_studio_heartbeats: org_studio_heartbeats_pkey (workspace_id, agent_id)"),
        "{}",
        d.message
    );
    assert!(d.help.as_deref().unwrap().contains("Did you mean ON CONFLICT (workspace_id, agent_id)?"), "{:?}", d.help);
}

#[test]
fn field_report_02_fixed_is_silent() {
    let a = run(&fixture("fr02/fixed"), Catalog::new(), &fr02_settings());
    // No integrity finding; what its DDL does to the live tables is the migration-safety rules'
    // (next test).
    let safety: Vec<&str> = pgvet_linter::rules::ddl_rules().iter().map(|r| r.id).collect();
    let integrity: Vec<String> = rules(&a).into_iter().filter(|r| !safety.iter().any(|s| r.starts_with(&format!("{s} ")))).collect();
    assert_eq!(integrity, Vec::<String>::new());
}

/// Field report 02's forward DDL, as applied on live tables: each SET NOT NULL scans under ACCESS
/// EXCLUSIVE, each ADD PRIMARY KEY builds its index under it, the concurrent build cannot be rerun
/// after a failure, the old index is dropped under ACCESS EXCLUSIVE, and dropping the old primary
/// keys breaks the running code's ON CONFLICT targets (42P10); each with its rewrite.
#[test]
fn field_report_02_forward_ddl_locks() {
    let a = run(&fixture("fr02/fixed"), Catalog::new(), &fr02_settings());
    assert_eq!(
        rules(&a),
        vec![
            "lock-timeout-missing 002_workspace_keys.sql:3",
            "set-not-null-scans 002_workspace_keys.sql:3",
            "statement-timeout-missing 002_workspace_keys.sql:3",
            "concurrent-index-not-repeatable 002_workspace_keys.sql:5",
            "drop-index-blocks-table 002_workspace_keys.sql:6",
            "set-not-null-scans 002_workspace_keys.sql:9",
            "breaking-schema-change 002_workspace_keys.sql:11",
            "unique-constraint-builds-index 002_workspace_keys.sql:12",
            "set-not-null-scans 002_workspace_keys.sql:16",
            "breaking-schema-change 002_workspace_keys.sql:18",
            "unique-constraint-builds-index 002_workspace_keys.sql:19",
        ]
    );
    let d = a.diagnostics.iter().find(|d| d.rule == "set-not-null-scans").unwrap();
    assert!(d.message.contains("ACCESS EXCLUSIVE on org_studio_agent_metrics") && d.message.contains("reads every row"), "{}", d.message);
    let fix = d.fix.as_ref().and_then(|f| f.migration.as_deref()).unwrap();
    assert!(fix.contains("CHECK (workspace_id IS NOT NULL) NOT VALID") && fix.contains("VALIDATE CONSTRAINT"), "{fix}");
    let pk = a.diagnostics.iter().find(|d| d.rule == "unique-constraint-builds-index").unwrap();
    assert!(pk.fix.as_ref().and_then(|f| f.migration.as_deref()).unwrap().contains("PRIMARY KEY USING INDEX"), "{:?}", pk.fix);
}

#[test]
fn field_report_04_missing_table_and_rpc() {
    let a = run(&fixture("fr04-sql/before"), pgvet_catalog::builtins::supabase(), &Settings::default());
    let f = found(&a);
    assert_eq!(
        rules(&a),
        vec!["unknown-relation 20251110000002_finish_execution.sql:8", "unknown-function 20251110000002_finish_execution.sql:11"]
    );
    assert!(f[0].3.contains("\"workforce_executions\" does not exist") && f[0].3.contains("finish_execution"), "{}", f[0].3);
    assert!(f[1].3.contains("increment_token_usage"), "{}", f[1].3);
}

#[test]
fn field_report_04_the_reports_own_rpc_is_unsafe() {
    let a = run(&fixture("fr04-sql/report-fix"), pgvet_catalog::builtins::supabase(), &Settings::default());
    let f = found(&a);
    assert_eq!(
        rules(&a),
        vec!["security-definer-search-path 20251117000003_workforce.sql:22", "rpc-trusts-caller-id 20251117000003_workforce.sql:14"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>(),
        "{f:#?}"
    );
    let rpc = f.iter().find(|x| x.0 == "rpc-trusts-caller-id").unwrap();
    assert!(rpc.3.contains("increment_token_usage") && rpc.3.contains("p_user_id"), "{}", rpc.3);
}

#[test]
fn field_report_04_fixed_is_silent() {
    let a = run(&fixture("fr04-sql/fixed"), pgvet_catalog::builtins::supabase(), &Settings::default());
    assert_eq!(rules(&a), Vec::<String>::new());
}

/// A realistic multi-tenant schema done right: 42 tables, RLS everywhere, definer functions
/// that pin search_path and check the caller, composite tenant keys, query files. No rule may
/// report anything.
#[test]
fn clean_multi_tenant_schema_has_no_findings() {
    let root = fixture("clean-multitenant");
    let dir = root.join("supabase/migrations");
    let load = |p: &PathBuf| SourceFile::new(p.display().to_string(), std::fs::read_to_string(p).unwrap());
    let migrations: Vec<MigrationFile> =
        sql_files(&dir).iter().map(|p| MigrationFile { source: load(p), transactional: true, host: None, reruns: true }).collect();
    let queries: Vec<SourceFile> = sql_files(&root.join("queries")).iter().map(load).collect();
    let settings = Settings { global_tables: vec!["feature_flags".into()], ..Default::default() };
    let started = std::time::Instant::now();
    let a = analyze_project(migrations, queries, pgvet_catalog::builtins::supabase(), &settings);
    let elapsed = started.elapsed();
    let tables = a.catalog.tables.values().filter(|t| !t.origin.is_builtin()).count();
    assert!(tables >= 40, "only {tables} tables");
    assert!(a.catalog.functions.values().filter(|f| f.security_definer).count() >= 3);
    assert_eq!(rules(&a), Vec::<String>::new(), "{:#?}", a.diagnostics);
    eprintln!("clean schema: {tables} tables, {} statements, analysed in {elapsed:?}", a.statements);
}

/// One fixture app per language / client library under `tests/fixtures/apps/<app>/{bug,fixed}`,
/// over `apps/schema.sql`. Every line of a `bug` app marked `expect: <rule>[, <rule>]` must get that
/// finding (and no other line any); every `fixed` twin must be silent.
#[test]
fn fixture_apps_per_language_and_library() {
    let root = fixture("apps");
    let schema = std::fs::read_to_string(root.join("schema.sql")).unwrap();
    let mut apps: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    apps.sort();
    assert!(apps.len() >= 6, "{apps:?}");
    let mut checked = 0;
    for app in &apps {
        for variant in ["bug", "fixed"] {
            let dir = app.join(variant);
            let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
            paths.sort();
            let sources: Vec<SourceFile> = paths
                .iter()
                .map(|p| SourceFile::new(p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read_to_string(p).unwrap()))
                .collect();
            let mut want: Vec<(String, String, usize)> = Vec::new();
            for s in &sources {
                for (i, l) in s.text.lines().enumerate() {
                    if let Some(rules) = l.split("expect: ").nth(1) {
                        for rule in rules.split(", ") {
                            want.push((rule.trim().to_string(), s.path.clone(), i + 1));
                        }
                    }
                }
            }
            let migrations = vec![MigrationFile {
                source: SourceFile::new("schema.sql", schema.as_str()),
                transactional: true,
                host: None,
                reruns: true,
            }];
            let run = || {
                pgvet_linter::analysis::analyze_all(
                    migrations.clone(),
                    vec![],
                    sources.clone(),
                    pgvet_catalog::builtins::supabase(),
                    &Settings::default(),
                )
            };
            let a = run();
            // Deterministic: the same input gives byte-identical output (maps with other hash
            // seeds, other thread timings).
            let json = pgvet_linter::render::json(&a.files, &a.diagnostics, a.statements);
            for _ in 0..2 {
                let b = run();
                assert!(
                    pgvet_linter::render::json(&b.files, &b.diagnostics, b.statements) == json,
                    "{}: output differs between runs",
                    dir.display()
                );
            }
            let mut got: Vec<(String, String, usize)> = a
                .diagnostics
                .iter()
                .filter(|d| d.primary.file > 0)
                .map(|d| {
                    let f = &a.files[d.primary.file];
                    (d.rule.to_string(), f.path.clone(), f.line_col(d.primary.span.start).line)
                })
                .collect();
            got.sort();
            got.dedup();
            want.sort();
            let name = format!("{}/{variant}", app.file_name().unwrap().to_string_lossy());
            if variant == "bug" {
                assert!(!want.is_empty(), "{name} has no expectations");
            } else {
                assert!(want.is_empty());
            }
            assert_eq!(got, want, "{name}");
            assert!(
                a.diagnostics.iter().all(|d| d.primary.file > 0 || d.rule == "unused-suppression"),
                "{name}: the schema itself has findings: {:#?}",
                a.diagnostics
            );
            checked += 1;
        }
    }
    assert_eq!(checked, apps.len() * 2);
}
