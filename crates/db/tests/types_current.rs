//! The committed type system of PostgreSQL (`crates/catalog/data/types.tsv`: types, functions,
//! operators, casts) must be what a real server reports. Regenerate with
//! `cargo run -p pgvet-db --example gen_types` when this fails after a server upgrade.
use pgvet_db::TempPostgres;

#[test]
fn committed_type_data_matches_the_server() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("this test needs a real PostgreSQL: {e}"));
    let mut client = pg.fresh_database("types").unwrap();
    let dump = pgvet_db::typedata::dump(&mut client).unwrap();
    let committed = include_str!("../../catalog/data/types.tsv");
    if dump != committed {
        let ours: std::collections::BTreeSet<&str> = committed.lines().collect();
        let theirs: std::collections::BTreeSet<&str> = dump.lines().collect();
        let missing: Vec<&&str> = theirs.difference(&ours).take(20).collect();
        let extra: Vec<&&str> = ours.difference(&theirs).take(20).collect();
        panic!("types.tsv is stale; run `cargo run -p pgvet-db --example gen_types`.\nOn the server, not committed: {missing:#?}\nCommitted, not on the server: {extra:#?}");
    }
    assert!(committed.lines().filter(|l| l.starts_with("P\t")).count() > 3000);
}
