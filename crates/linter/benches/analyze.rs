//! Parse + replay (+ rules) throughput on generated migration histories of growing size.
//! Time per statement should stay flat as the history grows: every pass is meant to be linear.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pgvet_catalog::{Catalog, Replayer};
use pgvet_linter::{analyze, synthetic, Settings};

fn statements(files: &[pgvet_linter::MigrationFile]) -> u64 {
    files.iter().map(|f| pgvet_syntax::parse_sql(&f.source.text).statements.len() as u64).sum()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse+replay");
    g.sample_size(10);
    for n in [125, 250, 500, 1000] {
        let files = synthetic::project(n);
        g.throughput(Throughput::Elements(statements(&files)));
        g.bench_with_input(BenchmarkId::from_parameter(format!("{n} migrations")), &files, |b, files| {
            b.iter(|| {
                let mut r = Replayer::new(Catalog::new());
                for (i, f) in files.iter().enumerate() {
                    for s in pgvet_syntax::parse_sql(&f.source.text).statements {
                        r.apply(i, &s);
                    }
                }
                r.catalog.tables.len()
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("check (parse+replay+rules)");
    g.sample_size(10);
    for n in [500, 1000] {
        let files = synthetic::project(n);
        g.throughput(Throughput::Elements(statements(&files)));
        g.bench_with_input(BenchmarkId::from_parameter(format!("{n} migrations")), &files, |b, files| {
            b.iter(|| analyze(files.clone(), Catalog::new(), &Settings::default()).diagnostics.len())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
