//! The oracle's committed sample: small projects written for pgvet that reproduce the idioms the
//! corpus grading found (seed loops over data-only functions, partitions made by a loop over dates,
//! CREATE TABLE AS then keyed, renames and drops that break functions written earlier, code that
//! names missing tables, columns and functions, upserts whose target no unique index matches,
//! unindexed foreign keys, statements the server rejects). Each is graded by a real PostgreSQL
//! through the same code as `pgvet oracle`; every server-decidable verdict must agree (no false
//! positive, no false negative, nothing withheld) and the catalogs must be equal, so a change that
//! loses recall or precision fails here before the corpus sees it. Needs PostgreSQL's server
//! binaries and plpgsql_check: without them this test fails and says how to install them.
use std::collections::BTreeMap;
use std::path::Path;

fn grade(name: &str) -> Vec<pgvet_oracle::Report> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/projects").join(name);
    let ws = pgvet_project::load_workspace(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(!ws.databases.is_empty(), "{name}: no database found");
    ws.databases
        .iter()
        .map(|p| {
            let pg = pgvet_db::TempPostgres::start().unwrap_or_else(|e| {
                panic!("the oracle sample needs a real PostgreSQL (Debian: apt-get install postgresql postgresql-15-plpgsql-check): {e}")
            });
            pgvet_oracle::grade(p, &pg).unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .collect()
}

/// Every report agrees with the server, and each rule has at least the true positives given.
fn assert_agrees(name: &str, reports: &[pgvet_oracle::Report], at_least: &[(&str, usize)]) {
    let totals = pgvet_oracle::totals(reports);
    let mut problems = Vec::new();
    for r in reports {
        for d in &r.catalog_differences {
            problems.push(format!("{}: catalog: {d}", r.database));
        }
        for d in &r.disagreements {
            problems.push(format!("{}: {} [{}] {}: pgvet: {}; the server: {}", r.database, d.kind, d.rule, d.at, d.pgvet, d.server));
        }
    }
    let want: BTreeMap<&str, usize> = at_least.iter().copied().collect();
    for (rule, g) in &totals {
        let min = want.get(rule.as_str()).copied().unwrap_or(0);
        if g.tp < min {
            problems.push(format!("{rule}: {} true positives, expected at least {min}", g.tp));
        }
    }
    eprintln!("{name}:\n{}", pgvet_oracle::table(&totals));
    assert!(problems.is_empty(), "{name}: pgvet and PostgreSQL disagree:\n{}", problems.join("\n"));
}

#[test]
fn a_supabase_app_agrees_with_the_server() {
    let reports = grade("supabase-app");
    assert_agrees(
        "supabase-app",
        &reports,
        &[
            ("fk-missing-index", 1),
            ("unknown-column", 3),
            ("unknown-relation", 3),
            ("unknown-function", 2),
            ("on-conflict-no-unique-index", 3),
            ("migration-error", 2),
            ("syntax-error", 1),
        ],
    );
}

#[test]
fn an_sqlx_app_agrees_with_the_server() {
    let reports = grade("sqlx-app");
    assert_agrees(
        "sqlx-app",
        &reports,
        &[("fk-missing-index", 1), ("unknown-column", 1), ("unknown-relation", 1), ("on-conflict-no-unique-index", 1)],
    );
}
