//! The committed list of PostgreSQL's built-in functions, relations and types
//! (`crates/linter/data/builtins.tsv`) must be what a real server reports. Regenerate with
//! `cargo run -p pgvet-db --example gen_builtins` when this fails after a server upgrade.
use pgvet_db::TempPostgres;

#[test]
fn committed_builtins_match_the_server() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("this test needs a real PostgreSQL: {e}"));
    let mut client = pg.fresh_database("builtins").unwrap();
    let dump = pgvet_db::builtins::dump(&mut client).unwrap();
    let committed = include_str!("../../linter/data/builtins.tsv");
    if dump != committed {
        let ours: std::collections::BTreeSet<&str> = committed.lines().collect();
        let theirs: std::collections::BTreeSet<&str> = dump.lines().collect();
        let missing: Vec<&&str> = theirs.difference(&ours).take(20).collect();
        let extra: Vec<&&str> = ours.difference(&theirs).take(20).collect();
        panic!("builtins.tsv is stale; run `cargo run -p pgvet-db --example gen_builtins`.\nOn the server, not committed: {missing:#?}\nCommitted, not on the server: {extra:#?}");
    }
    assert!(committed.lines().count() > 3000);
}
