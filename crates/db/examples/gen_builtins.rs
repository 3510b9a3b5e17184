//! Regenerates `crates/linter/data/builtins.tsv` from a throwaway PostgreSQL:
//! `cargo run -p pgvet-db --example gen_builtins`
use pgvet_db::TempPostgres;

fn main() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    let mut client = pg.fresh_database("builtins").unwrap_or_else(|e| panic!("{e}"));
    let dump = pgvet_db::builtins::dump(&mut client).expect("dump");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../linter/data/builtins.tsv");
    std::fs::write(path, &dump).expect("write builtins.tsv");
    eprintln!("wrote {} lines to {path}", dump.lines().count());
}
