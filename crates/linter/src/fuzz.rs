//! The fuzzing entry point: arbitrary bytes in, no panic out. Used by the cargo-fuzz target in
//! `fuzz/` and by the mutation test in the regular test suite.
use pgvet_catalog::Catalog;
use pgvet_syntax::SourceFile;

use crate::{analyze, render, MigrationFile, Settings};

/// Splits `data` into migration files at 0xFF bytes, analyses them, and renders every output
/// format. Returns the number of diagnostics.
pub fn analyze_bytes(data: &[u8]) -> usize {
    let files: Vec<MigrationFile> = data
        .split(|b| *b == 0xFF)
        .take(16)
        .enumerate()
        .map(|(i, part)| MigrationFile {
            source: SourceFile::new(format!("{i}.sql"), String::from_utf8_lossy(part).into_owned()),
            transactional: true,
        })
        .collect();
    let a = analyze(files, Catalog::new(), &Settings::default());
    let _ = render::text(&a.files, &a.diagnostics, false);
    let _ = render::json(&a.files, &a.diagnostics, a.statements);
    let _ = render::sarif(&a.files, &a.diagnostics);
    let _ = render::github(&a.files, &a.diagnostics);
    let _ = a.catalog.snapshot();
    a.diagnostics.len()
}
