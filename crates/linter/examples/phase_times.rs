use std::time::Instant;
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(800);
    let files = pgvet_linter::synthetic::project(n);
    let t = Instant::now();
    let parsed: Vec<_> = files.iter().map(|f| pgvet_syntax::parse_sql(&f.source.text)).collect();
    let parse = t.elapsed();
    let t = Instant::now();
    let mut bodies = 0;
    for (f, p) in files.iter().zip(&parsed) {
        for s in &p.statements {
            if pgvet_syntax::function_body_error(&f.source.text, s).is_some() {
                bodies += 1;
            }
        }
    }
    let body = t.elapsed();
    let t = Instant::now();
    let mut r = pgvet_catalog::Replayer::new(pgvet_catalog::Catalog::new());
    for (i, p) in parsed.iter().enumerate() {
        for s in &p.statements {
            r.apply(i, s);
        }
        r.finish_file();
    }
    let replay = t.elapsed();
    let t = Instant::now();
    let a = pgvet_linter::analyze(files, pgvet_catalog::Catalog::new(), &pgvet_linter::Settings::default());
    let all = t.elapsed();
    println!("parse {parse:?} bodies {body:?} ({bodies}) replay {replay:?} analyze {all:?} ({} diags)", a.diagnostics.len());
}
