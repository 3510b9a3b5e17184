//! Times `analyze` (parse + replay + rules) on synthetic histories of growing size, to check
//! that time per statement stays flat.
use std::time::Instant;

fn main() {
    for n in std::env::args().skip(1).filter_map(|a| a.parse::<usize>().ok()) {
        let files = pgvet_linter::synthetic::project(n);
        let t = Instant::now();
        let a = pgvet_linter::analyze(files, pgvet_catalog::Catalog::new(), &pgvet_linter::Settings::default());
        let e = t.elapsed();
        println!("{n} migrations, {} statements: {e:.2?} ({:.1} µs/statement)", a.statements, e.as_secs_f64() * 1e6 / a.statements as f64);
    }
}
