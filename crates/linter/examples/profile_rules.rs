//! Times `analyze` on a synthetic history with each rule turned off in turn, to see what each
//! rule costs: `cargo run --release --example profile_rules -p pgvet-linter -- 1000`
use std::time::Instant;

use pgvet_linter::{all_rules, analyze, Settings};

fn main() {
    let n = std::env::args().nth(1).and_then(|a| a.parse::<usize>().ok()).unwrap_or(500);
    let time = |settings: &Settings| {
        let files = pgvet_linter::synthetic::project(n);
        let t = Instant::now();
        let a = analyze(files, pgvet_catalog::Catalog::new(), settings);
        (t.elapsed(), a.statements)
    };
    let (all, stmts) = time(&Settings::default());
    let mut none = Settings::default();
    for r in all_rules() {
        none.severities.insert(r.id.to_string(), None);
    }
    let (bare, _) = time(&none);
    println!("{n} migrations, {stmts} statements: all rules {all:.2?}, no rules {bare:.2?}");
    for r in all_rules() {
        let mut s = Settings::default();
        s.severities.insert(r.id.to_string(), None);
        let (t, _) = time(&s);
        println!("  without {:<30} {t:.2?} (rule costs ~{:.2?})", r.id, all.saturating_sub(t));
    }
}
