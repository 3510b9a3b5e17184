//! Regenerates `crates/catalog/data/types.tsv` from a throwaway PostgreSQL:
//! `cargo run -p pgvet-db --example gen_types`
use pgvet_db::TempPostgres;

fn main() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    let mut client = pg.fresh_database("types").unwrap_or_else(|e| panic!("{e}"));
    let dump = pgvet_db::typedata::dump(&mut client).expect("dump");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../catalog/data/types.tsv");
    std::fs::write(path, &dump).expect("write types.tsv");
    eprintln!("wrote {} lines to {path}", dump.lines().count());
}
