//! Stable-Rust fuzzing: every SQL fixture in the repository, mutated many ways (truncated
//! mid-token, ranges deleted or duplicated, statements reordered, bytes flipped, hostile tokens
//! spliced in), through the whole pipeline (parse, replay, rules, every renderer). Nothing may
//! panic. The cargo-fuzz target in `fuzz/` explores the same entry point without bounds.
use std::path::{Path, PathBuf};

use pgvet_linter::fuzz::analyze_bytes;
use pgvet_linter::synthetic::Rng;

/// The repository's fixture files (under crates/ and examples/) that `keep` accepts, by path.
fn fixture_files(keep: impl Fn(&Path) -> bool) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    let mut stack = vec![root.join("crates"), root.join("examples")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() && !p.ends_with("target") {
                stack.push(p);
            } else if keep(&p) {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

fn corpus() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = fixture_files(|p| p.extension().is_some_and(|x| x == "sql")).into_iter().map(|(_, b)| b).collect();
    v.sort();
    v
}

const SPLICE: &[&str] = &[
    "(",
    ")",
    ";",
    "$$",
    "'",
    "\"",
    "--",
    "/*",
    "DROP TABLE IF EXISTS x CASCADE;",
    "ALTER TABLE p RENAME TO q;",
    "CREATE INDEX ON ONLY t (a);",
    "\u{FF}",
    "ALTER TABLE t DROP CONSTRAINT t_pkey CASCADE;",
    "DROP SCHEMA public CASCADE;",
    "ALTER TABLE t ATTACH PARTITION t;",
    "-- pgvet-ignore",
    "é",
    "\0",
    "CREATE TABLE t (LIKE t);",
    "ALTER TABLE t RENAME COLUMN a TO a;",
];

fn mutate(rng: &mut Rng, base: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + rng.below(3) {
        let n = v.len();
        match rng.below(6) {
            0 => v.truncate(rng.below(n + 1)),
            1 => {
                let a = rng.below(n + 1);
                let b = (a + rng.below(64)).min(n);
                v.drain(a..b);
            }
            2 => {
                let a = rng.below(n + 1);
                let b = (a + rng.below(200)).min(n);
                let chunk = v[a..b].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, chunk);
            }
            3 => {
                let s = SPLICE[rng.below(SPLICE.len())].as_bytes();
                let at = rng.below(n + 1);
                v.splice(at..at, s.iter().copied());
            }
            4 if n > 0 => {
                let i = rng.below(n);
                v[i] ^= 1 << rng.below(8);
            }
            _ => {
                v.push(0xFF);
                v.extend_from_slice(&others[rng.below(others.len())]);
            }
        }
    }
    v
}

#[test]
fn mutated_fixtures_never_panic() {
    let corpus = corpus();
    assert!(corpus.len() >= 20, "expected the repository's SQL fixtures, found {}", corpus.len());
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let mut runs = 0;
    for base in &corpus {
        analyze_bytes(base);
        for _ in 0..40 {
            let input = mutate(&mut rng, base, &corpus);
            let r = std::panic::catch_unwind(|| analyze_bytes(&input));
            assert!(r.is_ok(), "panic on input:\n{}", String::from_utf8_lossy(&input));
            runs += 1;
        }
    }
    eprintln!("{runs} mutated inputs analysed without a panic");
}

/// Inputs the fuzzer once crashed on: they must stay harmless.
#[test]
fn fuzzer_crashes_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/crashes");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let data = std::fs::read(e.path()).unwrap();
        analyze_bytes(&data);
        pgvet_linter::fuzz::analyze_source_bytes(&data);
        n += 1;
    }
    assert!(n > 0);
}

#[test]
fn long_leading_whitespace_renders() {
    for ws in ["\u{b}", " ", "\t", "\u{c}"] {
        let sql = format!("CREATE TABLE p (id int PRIMARY KEY);\n{}CREATE TABLE c (p_id int REFERENCES p);\n", ws.repeat(300));
        assert!(analyze_bytes(sql.as_bytes()) >= 1);
    }
}

fn source_corpus() -> Vec<(String, Vec<u8>)> {
    let ext = |p: &Path| p.extension().map(|x| x.to_string_lossy().to_string()).unwrap_or_default();
    let mut v: Vec<(String, Vec<u8>)> = fixture_files(|p| {
        let e = ext(p);
        matches!(e.as_str(), "ts" | "go" | "py") || e == "rs" && p.to_string_lossy().contains("/fixtures/")
    })
    .into_iter()
    .map(|(p, b)| (format!("app.{}", ext(&p)), b))
    .collect();
    v.sort();
    v
}

/// Mutated application sources (TypeScript, Go, Python, Rust, with the example's schema) never
/// crash extraction or the code rules; a file that does not parse is reported, not fatal.
#[test]
fn mutated_sources_never_panic() {
    let sources = source_corpus();
    assert!(sources.len() >= 10, "expected the repository's application-code fixtures, found {}", sources.len());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/workspace-app/supabase/migrations");
    let mut schema: Vec<u8> = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).collect();
    names.sort();
    for p in names {
        schema.extend(std::fs::read(p).unwrap());
    }
    let bodies: Vec<Vec<u8>> = sources.iter().map(|(_, b)| b.clone()).collect();
    let mut rng = Rng(0x2545F4914F6CDD1D);
    let mut runs = 0;
    for (name, base) in &sources {
        for _ in 0..20 {
            let input: Vec<u8> = mutate(&mut rng, base, &bodies).into_iter().filter(|b| *b != 0xFF).collect();
            let r = std::panic::catch_unwind(|| pgvet_linter::fuzz::analyze_source(name, &schema, &input));
            assert!(r.is_ok(), "panic on {name}:\n{}", String::from_utf8_lossy(&input));
            runs += 1;
        }
    }
    eprintln!("{runs} mutated sources analysed without a panic");
}
