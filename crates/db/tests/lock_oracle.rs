//! The lock oracle: the committed table of what each DDL form does on PostgreSQL
//! (`crates/linter/data/locks.tsv`, read by the migration-safety rules) must be what a real server
//! does. Regenerate with `cargo run -p pgvet-db --example gen_locks` when this fails.
use pgvet_db::TempPostgres;

#[test]
fn committed_lock_table_matches_the_server() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the lock oracle needs a real PostgreSQL: {e}"));
    let measured = pgvet_db::locks::table(&pg).unwrap_or_else(|e| panic!("{e}"));
    let committed = include_str!("../../linter/data/locks.tsv");
    let diff: Vec<String> =
        committed.lines().zip(measured.lines()).filter(|(a, b)| a != b).map(|(a, b)| format!("committed: {a}\n   server: {b}")).collect();
    assert!(
        diff.is_empty() && committed.lines().count() == measured.lines().count(),
        "locks.tsv is stale; run `cargo run -p pgvet-db --example gen_locks`:\n{}",
        diff.join("\n")
    );
    // What the rules rest on, spelled out (a regenerated table that changed these must fail).
    let row = |form: &str| committed.lines().find(|l| l.starts_with(&format!("{form}\t"))).unwrap_or_else(|| panic!("no {form}"));
    assert!(row("create_index").contains("t:ShareLock"), "{}", row("create_index"));
    assert!(row("create_index_concurrently").contains("t:ShareUpdateExclusiveLock"));
    assert!(row("set_not_null").ends_with("\tfalse\ttrue\t-"), "SET NOT NULL scans: {}", row("set_not_null"));
    assert!(row("set_not_null_with_check").ends_with("\tfalse\tfalse\t-"), "a validated CHECK spares the scan");
    assert!(row("add_foreign_key").contains("p:AccessShareLock,RowShareLock,ShareRowExclusiveLock"));
    assert!(row("add_column_default_volatile").contains("\ttrue\ttrue\t"), "a volatile default rewrites");
    assert!(row("add_column_default_constant").ends_with("\tfalse\tfalse\t-"), "a constant default does not (PG 11+)");
    assert!(row("add_column_not_null").ends_with("23502"));
}
