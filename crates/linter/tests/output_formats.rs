//! The machine-readable formats: JSON shape, SARIF validated against the official SARIF 2.1.0
//! schema, GitHub annotation escaping, and the text code frame.
use pgvet_catalog::Catalog;
use pgvet_linter::{analyze, render, MigrationFile, Settings};
use pgvet_syntax::SourceFile;

fn sample() -> pgvet_linter::Analysis {
    let files = vec![
        MigrationFile { source: SourceFile::new("db/migrations/001 init.sql", "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (\n  id int PRIMARY KEY,\n  p_id int REFERENCES p\n);\n"), transactional: true, host: None, reruns: true },
        MigrationFile { source: SourceFile::new("db/migrations/002.sql", "CREATE TABEL oops (id int);\nALTER TABLE missing ADD COLUMN x int;\n-- pgvet-ignore nonexistent-rule: because\nSELECT 1;\n"), transactional: true, host: None, reruns: true },
    ];
    analyze(files, Catalog::new(), &Settings::default())
}

#[test]
fn sample_has_one_finding_of_each_kind() {
    let a = sample();
    let rules: Vec<&str> = a.diagnostics.iter().map(|d| d.rule).collect();
    assert_eq!(rules, vec!["fk-missing-index", "syntax-error", "migration-error", "invalid-suppression"]);
}

#[test]
fn sarif_is_valid_against_the_2_1_0_schema() {
    let a = sample();
    let out: serde_json::Value = serde_json::from_str(&render::sarif(&a.files, &a.diagnostics)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(include_str!("data/sarif-2.1.0-rtm.5.json")).unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&out).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "SARIF output is invalid:\n{}", errors.join("\n"));
    let results = out["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let first = &results[0];
    assert_eq!(first["ruleId"], "fk-missing-index");
    assert_eq!(first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "db/migrations/001%20init.sql");
    assert_eq!(first["locations"][0]["physicalLocation"]["region"]["startLine"], 4);
    assert_eq!(first["locations"][0]["physicalLocation"]["region"]["startColumn"], 3);
    // A schema-valid document that lost its results would still pass the schema: check rules too.
    let rule_ids: Vec<&str> =
        out["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(rule_ids.contains(&"fk-missing-index"));
}

#[test]
fn sarif_schema_check_can_fail() {
    let schema: serde_json::Value = serde_json::from_str(include_str!("data/sarif-2.1.0-rtm.5.json")).unwrap();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let bad = serde_json::json!({ "version": "2.1.0", "runs": [ { "tool": { "driver": {} }, "results": [] } ] });
    assert!(!validator.is_valid(&bad), "a driver without a name must be rejected");
}

#[test]
fn json_shape() {
    let a = sample();
    let out: serde_json::Value = serde_json::from_str(&render::json(&a.files, &a.diagnostics, a.statements)).unwrap();
    assert_eq!(out["version"], 1);
    let d = &out["diagnostics"][0];
    assert_eq!(d["rule"], "fk-missing-index");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["location"]["file"], "db/migrations/001 init.sql");
    assert_eq!(d["location"]["start"]["line"], 4);
    assert_eq!(d["location"]["start"]["column"], 3);
    assert_eq!(d["fix"]["migration"], "CREATE INDEX CONCURRENTLY c_p_id_idx ON c (p_id);");
    assert_eq!(d["fix"]["applicability"], "safe");
    assert_eq!(out["diagnostics"][1]["location"]["start"]["line"], 1);
    assert_eq!(out["diagnostics"][1]["location"]["start"]["column"], 8);
    assert_eq!(out["summary"]["errors"], 1);
    assert_eq!(out["summary"]["warnings"], 3);
}

#[test]
fn github_annotations_escape_properties_and_data() {
    let a = sample();
    let out = render::github(&a.files, &a.diagnostics);
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("::warning file=db/migrations/001 init.sql,line=4,col=3,endLine=4,"), "{first}");
    assert!(first.contains("title=pgvet fk-missing-index::"), "{first}");
    assert!(!first.contains('\n'));
    assert!(first.contains("%0A"), "the help text is on an escaped new line: {first}");
    assert_eq!(out.lines().count(), 4);
}

#[test]
fn text_has_a_code_frame() {
    let a = sample();
    let out = render::text(&a.files, &a.diagnostics, false);
    insta::assert_snapshot!(out);
}
