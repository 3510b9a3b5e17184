//! Adopting pgvet: what a new user meets first (help texts, rule docs, SARIF) tells its story in
//! its own words, paths point at files that exist from the repository root, and nothing pgvet
//! cannot read is dropped without a word.
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::repo;

fn pgvet_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgvet"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("PGVET_DATABASE_URL")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Users have never seen pgvet's internal field reports: no help text, rule doc, SARIF rule
/// help or message cites one.
#[test]
fn no_field_report_in_help_rule_docs_or_sarif() {
    let root = repo();
    let rules = pgvet_in(&root, &["rules"]);
    assert!(rules.status.success());
    let ids: Vec<String> =
        String::from_utf8_lossy(&rules.stdout).lines().filter_map(|l| l.split_whitespace().next().map(String::from)).collect();
    assert!(ids.len() > 40, "{ids:?}");
    let mut seen = 0;
    for id in &ids {
        let o = pgvet_in(&root, &["rule", id]);
        assert!(o.status.success(), "pgvet rule {id}: {}", text(&o));
        assert!(!text(&o).to_lowercase().contains("field report"), "pgvet rule {id} cites a field report:\n{}", text(&o));
        seen += 1;
    }
    assert_eq!(seen, ids.len());
    let commands =
        ["check", "schema", "lsp", "init", "baseline", "plan", "plan key", "plan unique", "preflight", "oracle", "prove", "rules", "rule"];
    let mut helps = vec![vec!["--help".to_string()], vec!["-h".to_string()]];
    for c in commands {
        let mut a: Vec<String> = c.split(' ').map(String::from).collect();
        a.push("--help".into());
        helps.push(a);
    }
    for args in helps {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = pgvet_in(&root, &args);
        assert!(o.status.success(), "pgvet {args:?}: {}", text(&o));
        assert!(!text(&o).to_lowercase().contains("field report"), "pgvet {args:?}:\n{}", text(&o));
    }
    let sarif = pgvet_in(&root, &["check", "examples/workspace-app", "--format", "sarif"]);
    assert!(!text(&sarif).to_lowercase().contains("field report"));
}

/// A project in a subfolder of a repository (`apps/web`): SARIF, JSON, concise and GitHub output
/// name files from the repository root, whatever the working directory and PATH, so code
/// scanning and annotations point at files that exist. SARIF says what its base is.
#[test]
fn machine_formats_are_relative_to_the_repository_root() {
    let dir = tempfile::tempdir().unwrap();
    let repo_dir = dir.path().join("repo");
    common::copy_dir(&repo().join("examples/workspace-app"), &repo_dir.join("apps/web"));
    assert!(Command::new("git").arg("init").arg("-q").arg(&repo_dir).status().unwrap().success());
    let web = repo_dir.join("apps/web");
    for (cwd, path) in [(&web, "."), (&repo_dir, "apps/web"), (&dir.path().to_path_buf(), "repo/apps/web")] {
        let sarif = pgvet_in(cwd, &["check", path, "--format", "sarif"]);
        let doc: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&sarif)));
        let run = &doc["runs"][0];
        let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap();
        assert_eq!(base, format!("file://{}/", repo_dir.canonicalize().unwrap().display()));
        let results = run["results"].as_array().unwrap();
        assert!(!results.is_empty());
        for r in results {
            let loc = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            let uri = loc["uri"].as_str().unwrap();
            assert!(uri.starts_with("apps/web/"), "{uri}");
            assert_eq!(loc["uriBaseId"], "%SRCROOT%");
            assert!(repo_dir.join(uri).is_file(), "{uri}");
        }
        let json = pgvet_in(cwd, &["check", path, "--format", "json"]);
        let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        for d in doc["diagnostics"].as_array().unwrap() {
            let f = d["location"]["file"].as_str().unwrap();
            assert!(f.starts_with("apps/web/") && repo_dir.join(f).is_file(), "{f}");
        }
        let concise = String::from_utf8_lossy(&pgvet_in(cwd, &["check", path, "--format", "concise"]).stdout).into_owned();
        assert!(concise.lines().filter(|l| !l.starts_with("pgvet:")).all(|l| l.starts_with("apps/web/")), "{concise}");
        let github = String::from_utf8_lossy(&pgvet_in(cwd, &["check", path, "--format", "github"]).stdout).into_owned();
        assert!(github.lines().filter(|l| l.contains(" file=")).all(|l| l.contains(" file=apps/web/")), "{github}");
        assert!(github.contains(" file=apps/web/"), "{github}");
    }
}
