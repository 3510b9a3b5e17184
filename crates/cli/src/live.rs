//! `pgvet check --database-url`: the project's code checked against a live database's schema,
//! the migrations compared with it, and what only the data can answer (read-only).
use pgvet_catalog::Catalog;
use pgvet_db::live::{self, Limits};
use pgvet_linter::analysis::analyze_all;
use pgvet_linter::live::LiveFacts;
use pgvet_linter::{Analysis, MigrationFile, Settings};
use pgvet_project::Project;
use pgvet_syntax::SourceFile;

/// Supabase's own schemas (`name*`: a prefix).
const PLATFORM: &[&str] =
    &["auth", "storage", "realtime", "vault", "extensions", "graphql*", "pgsodium*", "supabase_*", "net", "cron", "pgbouncer"];

/// The connection string: `--database-url`, else `PGVET_DATABASE_URL`.
pub fn url(flag: Option<String>) -> Option<String> {
    flag.or_else(|| std::env::var("PGVET_DATABASE_URL").ok().filter(|u| !u.is_empty()))
}

/// The analysis of one database's code against the live schema, with live mode's findings.
/// Returns it and the database's printable name (never the password).
pub fn analyse(project: &Project, url: &str, settings: &Settings, sources: Vec<SourceFile>) -> Result<(Analysis, String), String> {
    let mut db = live::connect(url, Limits::default())?;
    let who = db.display.clone();
    let err = |e: pgvet_db::postgres::Error| format!("{who}: {}", pgvet_db::replay::db_message(&e));
    eprintln!("pgvet: reading the schema of {who} (read-only)");
    // A Supabase database: the platform's schemas are pgvet's built-ins, as in a static run.
    let supabase = project.supabase || project.gotrue;
    let (skip, base): (&[&str], Catalog) = if supabase { (PLATFORM, crate::base_catalog(project)) } else { (&[], Catalog::new()) };
    let sql = live::schema_sql(&mut db.client, skip).map_err(err)?;
    let schema = MigrationFile { source: SourceFile::new(format!("live:{who}"), sql), transactional: false, host: None, reruns: false };
    let queries = crate::queries(project);
    let mut analysis = analyze_all(vec![schema], queries.clone(), sources.clone(), base, settings);
    let mut facts = LiveFacts::default();
    // The migrations, when there are any, against the live schema.
    // (with the same code: some schema findings depend on how the code uses a key)
    let migrated = (!project.migrations.is_empty())
        .then(|| analyze_all(crate::files(project), queries, sources, crate::base_catalog(project), settings));
    if let Some(m) = &migrated {
        let mut server = pgvet_db::introspect(&mut db.client).map_err(err)?;
        server.indexes.retain(|_, i| i.valid);
        let mut ours = m.catalog.snapshot();
        if supabase {
            // The platform's schemas are the platform's, not the migrations'.
            for snap in [&mut server, &mut ours] {
                let platform = |k: &str| {
                    let schema = k.split('.').next().unwrap_or("");
                    PLATFORM.iter().any(|p| p.strip_suffix('*').map_or(schema == *p, |prefix| schema.starts_with(prefix)))
                };
                snap.tables.retain(|k, _| !platform(k));
                snap.indexes.retain(|k, _| !platform(k));
                snap.functions.retain(|k| !platform(k));
            }
        }
        facts.drift = ours.differences(&server).into_iter().map(|d| (d.relation.clone(), d.to_string())).collect();
    }
    // Row-level security that applies to this role hides rows from the data checks: said, and
    // those checks are not run (each finding says so).
    let hidden = live::rls_restricted(&mut db.client).map_err(err)?;
    if !hidden.is_empty() {
        let shown: Vec<&str> = hidden.iter().take(8).map(String::as_str).collect();
        eprintln!(
            "pgvet: row-level security applies to this role on {} table(s) ({}{}): their rows are hidden from it, so the data checks on them (orphan rows, NOT VALID checks, duplicates) are not run; connect as the tables' owner or a role with BYPASSRLS to run them",
            hidden.len(),
            shown.join(", "),
            if hidden.len() > shown.len() { ", ..." } else { "" }
        );
    }
    facts.invalid_indexes = live::invalid_indexes(&mut db.client).map_err(err)?;
    facts.check_violations = live::not_valid_check_violations(&mut db.client).map_err(err)?;
    facts.orphans = live::not_valid_fk_orphans(&mut db.client).map_err(err)?;
    facts.orphans.extend(live::inferred_orphans(&mut db.client).map_err(err)?);
    facts.tables = live::table_stats(&mut db.client).map_err(err)?;
    pgvet_linter::live::add_live_findings(&mut analysis, migrated.as_ref(), &facts, settings);
    Ok((analysis, who))
}
