//! Regenerates `crates/linter/data/locks.tsv` from a throwaway PostgreSQL (the lock oracle).
fn main() {
    let pg = pgvet_db::TempPostgres::start().expect("a PostgreSQL server");
    let table = pgvet_db::locks::table(&pg).unwrap_or_else(|e| panic!("{e}"));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../linter/data/locks.tsv");
    std::fs::write(&path, &table).unwrap();
    print!("{table}");
}
