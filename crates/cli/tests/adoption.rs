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
