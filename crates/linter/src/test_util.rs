//! Helpers for rule fixtures.
use pgvet_catalog::Catalog;
use pgvet_syntax::SourceFile;

use crate::{analyze, Diagnostic, MigrationFile, Settings};

/// Diagnostics of `rule` for a one-file project.
pub fn findings(sql: &str, rule: &str) -> Vec<Diagnostic> {
    let files = vec![MigrationFile { source: SourceFile::new("m.sql", sql), transactional: false, host: None }];
    analyze(files, Catalog::new(), &Settings::default()).diagnostics.into_iter().filter(|d| d.rule == rule).collect()
}

/// 1-based lines where `rule` reports in a one-file project.
pub fn lines(sql: &str, rule: &str) -> Vec<usize> {
    let f = SourceFile::new("m.sql", sql);
    findings(sql, rule).iter().map(|d| f.line_col(d.primary.span.start).line).collect()
}

/// `rule`'s findings for a Supabase project with these migrations and application source files.
pub fn code_findings(migrations: &str, sources: &[(&str, &str)], rule: &str) -> Vec<Diagnostic> {
    let files = vec![MigrationFile { source: SourceFile::new("m.sql", migrations), transactional: false, host: None }];
    let srcs = sources.iter().map(|(p, t)| SourceFile::new(*p, *t)).collect();
    let a = crate::analysis::analyze_all(files, vec![], srcs, pgvet_catalog::builtins::supabase(), &Settings::default());
    a.diagnostics.into_iter().filter(|d| d.rule == rule).collect()
}

/// (file path, 1-based line) of `rule`'s findings for a Supabase project with these migrations
/// and application source files.
pub fn code_lines(migrations: &str, sources: &[(&str, &str)], rule: &str) -> Vec<(String, usize)> {
    let migration = SourceFile::new("m.sql", migrations);
    let srcs: Vec<SourceFile> = sources.iter().map(|(p, t)| SourceFile::new(*p, *t)).collect();
    code_findings(migrations, sources, rule)
        .iter()
        .map(|d| {
            let f = if d.primary.file == 0 { &migration } else { &srcs[d.primary.file - 1] };
            (f.path.clone(), f.line_col(d.primary.span.start).line)
        })
        .collect()
}

/// (file, 1-based line) of `rule`'s findings for one migration (`m.sql`) and one query file
/// (`q.sql`).
pub fn query_lines(migration: &str, queries: &str, rule: &str) -> Vec<(String, usize)> {
    let files = vec![MigrationFile { source: SourceFile::new("m.sql", migration), transactional: false, host: None }];
    let a = crate::analysis::analyze_project(files, vec![SourceFile::new("q.sql", queries)], Catalog::new(), &Settings::default());
    a.diagnostics
        .iter()
        .filter(|d| d.rule == rule)
        .map(|d| {
            let f = &a.files[d.primary.file];
            (f.path.clone(), f.line_col(d.primary.span.start).line)
        })
        .collect()
}

/// `rule`'s findings for two migration files: a first that creates the tables (so they exist
/// before the second), and the second.
pub fn second_migration(first: &str, second: &str, rule: &str) -> Vec<Diagnostic> {
    let files = vec![
        MigrationFile { source: SourceFile::new("1.sql", first), transactional: true, host: None },
        MigrationFile { source: SourceFile::new("2.sql", second), transactional: true, host: None },
    ];
    analyze(files, Catalog::new(), &Settings::default()).diagnostics.into_iter().filter(|d| d.rule == rule).collect()
}
