//! `pgvet schema --dev-db`: replay the migrations into a throwaway PostgreSQL and compare.
use std::process::ExitCode;

use pgvet_catalog::Catalog;
use pgvet_db::replay::replay;
use pgvet_db::TempPostgres;
use pgvet_linter::Analysis;
use pgvet_project::Project;

pub fn compare(project: &Project, analysis: &Analysis, ours: &Catalog, step: Option<usize>) -> Result<ExitCode, String> {
    eprintln!("starting a throwaway PostgreSQL...");
    // Ctrl-C or SIGTERM: stop the server and delete its directory before leaving.
    let _ = ctrlc::set_handler(|| {
        pgvet_db::stop_all();
        std::process::exit(130);
    });
    let pg = TempPostgres::start()?;
    let last = step.unwrap_or(project.migrations.len().saturating_sub(1));
    // A migration in a host language cannot be replayed here either: pgvet's catalog marks what
    // it may change as uncertain, and those differences are set apart below.
    let files = pgvet_oracle::replay_files(project, last + 1);
    let (mut server, rejected) = replay(&pg, pgvet_oracle::replay_prelude(project).as_deref(), &files, |i| {
        eprintln!("replaying {} ({}/{})", analysis.files[i].path, i + 1, last + 1)
    })?;
    let at = |file: usize, start: usize| {
        let f = &analysis.files[file];
        let lc = f.line_col(start);
        format!("{}:{}:{}", f.path, lc.line, lc.column)
    };
    for r in &rejected {
        crate::emit(&format!("{}: the server rejected this statement: {}", at(r.file, r.start), r.message));
    }
    let mut mine = ours.snapshot();
    {
        // The platform's own objects (Supabase's schemas) are not the project's.
        let platform = |k: &str| k.split_once('.').is_some_and(|(s, _)| ours.platform_schemas.contains(s));
        for snap in [&mut server, &mut mine] {
            snap.tables.retain(|k, _| !platform(k));
            snap.indexes.retain(|k, _| !platform(k));
            snap.functions.retain(|k| !platform(k));
        }
    }
    // Objects an unmodelled statement may have created or changed (see `unmodelled-statement`)
    // are not differences: pgvet said it did not know them.
    let (explained, diffs): (Vec<_>, Vec<_>) = mine.differences(&server).into_iter().partition(|d| {
        let (schema, name) = d.relation.split_once('.').unwrap_or(("", &d.relation));
        let q = pgvet_catalog::QName::new(schema, name);
        ours.may_exist(&q).is_some() || ours.uncertain_function(&q).is_some() || ours.uncertain_type(&q).is_some()
    });
    for d in &diffs {
        crate::emit(&d.to_string());
    }
    if !explained.is_empty() {
        crate::emit(&format!(
            "{} more difference(s) are on objects that statements pgvet could not follow may have created or changed (`pgvet check` lists them as unmodelled-statement)",
            explained.len()
        ));
    }
    // pgvet's predicted rejections (its migration-error findings) against the server's.
    let predicted: Vec<(usize, usize)> = analysis
        .events
        .iter()
        .filter(|e| e.kind == pgvet_catalog::EventKind::Error && e.withheld_by.is_none() && e.step <= last)
        .map(|e| (e.step, e.span.start))
        .collect();
    let rejected_at: Vec<(usize, usize)> = rejected.iter().map(|r| (r.file, r.start)).collect();
    let confirmed = predicted.iter().filter(|p| rejected_at.contains(p)).count();
    for p in predicted.iter().filter(|p| !rejected_at.contains(p)) {
        crate::emit(&format!("{}: pgvet predicted a failure here, the server accepted the statement", at(p.0, p.1)));
    }
    crate::emit(&format!(
        "pgvet schema --dev-db: {} tables, {} indexes, {} functions compared; {} difference(s); the server rejected {} statement(s), pgvet predicted {} ({} confirmed)",
        server.tables.len(),
        server.indexes.len(),
        server.functions.len(),
        diffs.len(),
        rejected.len(),
        predicted.len(),
        confirmed
    ));
    Ok(if diffs.is_empty() && rejected.is_empty() && predicted.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
