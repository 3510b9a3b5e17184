//! Extraction + checks on a generated TypeScript + Go codebase (default 200,000 lines, four
//! fifths TypeScript) over a generated migration history: `cargo run --release --example bench_code -p pgvet-linter -- 200000`
//! Prints total time and MB/s of source, and the same for half the size (time per line must
//! stay flat).
use std::time::Instant;

use pgvet_linter::analysis::analyze_all;

fn main() {
    let lines: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    for n in [lines / 4, lines / 2, lines] {
        let migrations = pgvet_linter::synthetic::project(200);
        let mut sources = pgvet_linter::synthetic::typescript_sources(n * 4 / 5, 200);
        sources.extend(pgvet_linter::synthetic::go_sources(n / 5, 200));
        let bytes: usize = sources.iter().map(|s| s.text.len()).sum();
        let total_lines: usize = sources.iter().map(|s| s.text.lines().count()).sum();
        let t = Instant::now();
        let a = analyze_all(migrations, vec![], sources, pgvet_catalog::builtins::supabase(), &pgvet_linter::Settings::default());
        let e = t.elapsed();
        println!(
            "{total_lines} lines ({:.1} MB) of TypeScript and Go + 200 migrations: {e:.2?}, {:.1} MB/s, {:.2} us/line, {} findings",
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / e.as_secs_f64(),
            e.as_secs_f64() * 1e6 / total_lines as f64,
            a.diagnostics.len()
        );
        if n == lines {
            let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
            for d in &a.diagnostics {
                *by.entry(d.rule).or_default() += 1;
            }
            println!("findings by rule: {by:?}");
        }
    }
}
