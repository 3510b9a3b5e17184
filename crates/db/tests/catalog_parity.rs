//! Catalog-parity oracle: every migration set under `tests/parity/` is replayed twice, into a
//! real throwaway PostgreSQL and through pgvet's static replayer, and the two catalogs must be
//! identical (tables, columns, constraints, indexes, functions). Needs PostgreSQL's server
//! binaries; without them this test fails and says how to install them.
use std::path::{Path, PathBuf};

use pgvet_catalog::{Catalog, EventKind, Replayer};
use pgvet_db::{introspect, TempPostgres};

fn sets() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    v.sort();
    v
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "sql")).collect();
    v.sort();
    v
}

#[test]
fn static_catalog_matches_postgres() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the catalog-parity oracle needs a real PostgreSQL: {e}"));
    let mut sets = sets();
    assert!(sets.len() >= 15, "expected at least 15 migration sets, found {}", sets.len());
    // While working on one idiom: `PARITY_ONLY=37 cargo test -p pgvet-db --test catalog_parity`.
    let only = std::env::var("PARITY_ONLY").ok();
    if let Some(o) = &only {
        sets.retain(|s| s.file_name().is_some_and(|n| n.to_string_lossy().starts_with(o.as_str())));
    }
    let mut failures = Vec::new();
    let mut compared = (0, 0, 0, 0);
    let (mut defaults, mut checks) = (0, 0);
    for (n, set) in sets.iter().enumerate() {
        let name = set.file_name().unwrap().to_string_lossy().to_string();
        let mut client = pg.fresh_database(&format!("parity_{n}")).unwrap();
        let mut replayer = Replayer::new(Catalog::new());
        for (step, file) in files(set).iter().enumerate() {
            let text = std::fs::read_to_string(file).unwrap();
            let parsed = pgvet_syntax::parse_sql(&text);
            assert!(parsed.errors.is_empty(), "{name}: {:?}", parsed.errors);
            for stmt in &parsed.statements {
                let sql = &text[stmt.span.range()];
                if let Err(e) = client.batch_execute(sql) {
                    panic!("{name}/{}: the server rejected a fixture statement: {e:?}\n{sql}", file.display());
                }
                replayer.apply(step, stmt);
            }
            replayer.finish_file();
        }
        let errors: Vec<_> = replayer.events.iter().filter(|e| e.kind == EventKind::Error).collect();
        if !errors.is_empty() {
            failures.push(format!("[{name}] pgvet thinks statements would fail, but the server accepted them: {errors:#?}"));
        }
        let server = introspect(&mut client).unwrap();
        let ours = replayer.catalog.snapshot();
        compared.0 += server.tables.len();
        compared.1 += server.tables.values().map(|t| t.constraints.len()).sum::<usize>();
        compared.2 += server.indexes.len();
        compared.3 += server.functions.len();
        defaults += server.tables.values().flat_map(|t| &t.columns).filter(|c| c.default.is_some()).count();
        checks += server.tables.values().flat_map(|t| t.constraints.values()).filter(|c| c.check.is_some()).count();
        for d in ours.diff(&server) {
            failures.push(format!("[{name}] {d}"));
        }
    }
    eprintln!(
        "catalog parity: {} sets, {} tables, {} constraints ({checks} CHECK expressions), {} indexes, {} functions, {defaults} column defaults compared; {} differences",
        sets.len(),
        compared.0,
        compared.1,
        compared.2,
        compared.3,
        failures.len()
    );
    assert!(
        only.is_some() || defaults >= 20 && checks >= 5,
        "the fixtures must exercise defaults ({defaults}) and CHECK expressions ({checks})"
    );
    assert!(failures.is_empty(), "{} differences between pgvet and PostgreSQL:\n{}", failures.len(), failures.join("\n"));
}
