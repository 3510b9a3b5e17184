//! The machine-readable formats: JSON shape, SARIF validated against the official SARIF 2.1.0
//! schema, GitHub annotation escaping, and the text code frame.
use pgvet_catalog::Catalog;
use pgvet_linter::{analyze, render, MigrationFile, Settings};
use pgvet_syntax::SourceFile;

fn sample() -> pgvet_linter::Analysis {
    let files = vec![
        MigrationFile { source: SourceFile::new("db/migrations/001 init.sql", "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (\n  id int PRIMARY KEY,\n  p_id int REFERENCES p\n);\nCREATE FUNCTION purge() RETURNS void LANGUAGE sql AS $$ DELETE FROM p $$;\n"), transactional: true, host: None, reruns: true },
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

/// The text output's order (errors, warnings, info; by file and position within a level), one
/// finding per rule and cause with the others as "also at", and a long line cut at white space
/// with the label still under its text.
#[test]
fn text_orders_levels_groups_one_cause_and_cuts_long_lines() {
    use pgvet_linter::{Diagnostic, Label, Severity};
    use pgvet_syntax::Span;
    let long = format!(
        "ALTER TABLE orders {} ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID, {};",
        (0..12).map(|i| format!("ALTER COLUMN c{i} SET NOT NULL,")).collect::<Vec<_>>().join(" "),
        (0..12).map(|i| format!("ALTER COLUMN d{i} DROP DEFAULT")).collect::<Vec<_>>().join(", ")
    );
    let text = format!("SELECT * FROM a;\nSELECT * FROM a;\nSELECT * FROM a;\n{long}\n");
    let files = vec![SourceFile::new("q.sql", text.clone())];
    let at = |needle: &str, nth: usize| {
        let start = text.match_indices(needle).nth(nth).unwrap().0;
        Label::new(0, Span::new(start, start + needle.len()))
    };
    let diags = vec![
        Diagnostic::new("lock-timeout-missing", Severity::Info, "a hint", at("ADD CONSTRAINT", 0)),
        Diagnostic::new("unknown-relation", Severity::Error, "table a does not exist", at("a;", 2)),
        Diagnostic::new("fk-missing-index", Severity::Warning, "a warning", at("FOREIGN KEY", 0)),
        Diagnostic::new("unknown-relation", Severity::Error, "table a does not exist", at("a;", 0)),
        Diagnostic::new("unknown-relation", Severity::Error, "table a does not exist", at("a;", 1)),
    ];
    let out = render::text(&files, &diags, false);
    // Errors, then the warning, then the info; the three identical errors are one, at its first
    // place, with the other two listed.
    let (e, w, i) = (out.find("error[").unwrap(), out.find("warning[").unwrap(), out.find("info[").unwrap());
    assert!(e < w && w < i, "{out}");
    assert_eq!(out.matches("error[unknown-relation]").count(), 1, "{out}");
    assert!(out.contains("also at 2:15, 3:15 (the same finding)"), "{out}");
    // The long line: cut between words, the label under FOREIGN KEY, and the frame names the
    // column of the line in the file, not of the cut text.
    let column = long.find("FOREIGN KEY").unwrap() + 1;
    assert!(out.contains(&format!("--> q.sql:4:{column}\n")), "{out}");
    for l in out.lines().filter(|l| l.contains("FOREIGN KEY (customer_id)")) {
        assert!(l.len() < 200, "not cut: {l}");
        assert!(l.contains("... ") || l.contains(" ..."), "{l}");
        for piece in l.split("...").map(str::trim).filter(|p| !p.is_empty()) {
            // Every cut piece starts and ends with whole words of the line.
            assert!(long.contains(piece) || piece.contains('|'), "{piece}");
        }
    }
    insta::assert_snapshot!(out);
}
