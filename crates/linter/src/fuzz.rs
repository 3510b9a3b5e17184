//! The fuzzing entry point: arbitrary bytes in, no panic out. Used by the cargo-fuzz target in
//! `fuzz/` and by the mutation test in the regular test suite.
use pgvet_syntax::SourceFile;

use crate::{render, MigrationFile, Settings};

/// Splits `data` into files at 0xFF bytes (the last part, after a 0xFE byte, is a query file),
/// analyses them on a Supabase base schema, and renders every output format. Returns the number
/// of diagnostics.
pub fn analyze_bytes(data: &[u8]) -> usize {
    let (migrations, queries) = match data.iter().rposition(|b| *b == 0xFE) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let files: Vec<MigrationFile> = migrations
        .split(|b| *b == 0xFF)
        .take(16)
        .enumerate()
        .map(|(i, part)| MigrationFile {
            source: SourceFile::new(format!("{i}.sql"), String::from_utf8_lossy(part).into_owned()),
            transactional: true,
            host: None,
            reruns: true,
        })
        .collect();
    let queries: Vec<SourceFile> =
        queries.map(|q| SourceFile::new("queries.sql", String::from_utf8_lossy(q).into_owned())).into_iter().collect();
    let a = crate::analysis::analyze_project(files, queries, pgvet_catalog::builtins::supabase(), &Settings::default());
    let _ = render::text(&a.files, &a.diagnostics, false);
    let _ = render::json(&a.files, &a.diagnostics, a.statements);
    let _ = render::sarif(&a.files, &a.diagnostics);
    let _ = render::github(&a.files, &a.diagnostics);
    let _ = a.catalog.snapshot();
    a.diagnostics.len()
}

/// Application source: `data` up to the first 0xFF byte is a migration, the rest a source file
/// whose language (TypeScript, Go, Python, Rust) the first byte picks; extraction, the code rules
/// and every renderer run on it. Returns the number of diagnostics.
pub fn analyze_source_bytes(data: &[u8]) -> usize {
    let (sql, src) = match data.iter().position(|b| *b == 0xFF) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let name = ["app.ts", "app.go", "app.py", "app.rs"][data.first().map(|b| *b as usize % 4).unwrap_or(0)];
    analyze_source(name, sql, src)
}

/// One migration and one source file named `name` (its extension picks the language).
pub fn analyze_source(name: &str, migration: &[u8], source: &[u8]) -> usize {
    let files = vec![MigrationFile {
        source: SourceFile::new("m.sql", String::from_utf8_lossy(migration).into_owned()),
        transactional: true,
        host: None,
        reruns: true,
    }];
    let src = vec![SourceFile::new(name, String::from_utf8_lossy(source).into_owned())];
    let a = crate::analysis::analyze_all(files, vec![], src, pgvet_catalog::builtins::supabase(), &Settings::default());
    let _ = render::text(&a.files, &a.diagnostics, false);
    let _ = render::sarif(&a.files, &a.diagnostics);
    a.diagnostics.len()
}
