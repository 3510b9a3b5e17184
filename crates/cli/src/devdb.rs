//! `pgvet schema --dev-db`: replay the migrations into a throwaway PostgreSQL and compare.
use std::process::ExitCode;

use pgvet_catalog::Catalog;
use pgvet_db::TempPostgres;
use pgvet_linter::Analysis;
use pgvet_project::{Layout, Project};

/// Objects Supabase provides, created before the migrations so they replay on a plain server.
const SUPABASE_PRELUDE: &str = "
CREATE SCHEMA IF NOT EXISTS auth; CREATE SCHEMA IF NOT EXISTS storage; CREATE SCHEMA IF NOT EXISTS extensions;
DO $$ BEGIN CREATE ROLE anon NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE authenticated NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE service_role NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY, email varchar(255), phone text, raw_user_meta_data jsonb, raw_app_meta_data jsonb, created_at timestamptz, updated_at timestamptz);
CREATE TABLE IF NOT EXISTS storage.buckets (id text PRIMARY KEY, name text NOT NULL, public boolean);
CREATE TABLE IF NOT EXISTS storage.objects (id uuid PRIMARY KEY, bucket_id text REFERENCES storage.buckets, name text, owner uuid, metadata jsonb);
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$ SELECT NULL::uuid $f$;
CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $f$ SELECT NULL::text $f$;
CREATE OR REPLACE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $f$ SELECT NULL::text $f$;
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $f$ SELECT NULL::jsonb $f$;
";

pub fn compare(project: &Project, analysis: &Analysis, ours: &Catalog, step: Option<usize>) -> Result<ExitCode, String> {
    eprintln!("starting a throwaway PostgreSQL...");
    let pg = TempPostgres::start()?;
    let mut client = pg.fresh_database("pgvet_dev")?;
    if project.layout == Layout::Supabase {
        client.batch_execute(SUPABASE_PRELUDE).map_err(|e| format!("cannot create Supabase's built-in objects: {e}"))?;
    }
    let last = step.unwrap_or(analysis.files.len().saturating_sub(1));
    let mut failed = 0;
    for (i, f) in analysis.files.iter().enumerate().take(last + 1) {
        eprintln!("replaying {} ({}/{})", f.path, i + 1, last + 1);
        for s in pgvet_syntax::parse_sql(&f.text).statements {
            if let Err(e) = client.batch_execute(&f.text[s.span.range()]) {
                let lc = f.line_col(s.span.start);
                let msg = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
                crate::emit(&format!("{}:{}:{}: the server rejected this statement: {msg}", f.path, lc.line, lc.column));
                failed += 1;
            }
        }
    }
    let mut server = pgvet_db::introspect(&mut client).map_err(|e| e.to_string())?;
    let mut mine = ours.snapshot();
    if project.layout == Layout::Supabase {
        for snap in [&mut server, &mut mine] {
            snap.tables.retain(|k, _| !k.starts_with("auth.") && !k.starts_with("storage."));
            snap.indexes.retain(|k, _| !k.starts_with("auth.") && !k.starts_with("storage."));
            snap.functions.retain(|k| !k.starts_with("auth.") && !k.starts_with("storage."));
        }
    }
    let diffs = mine.diff(&server);
    for d in &diffs {
        crate::emit(&d.to_string());
    }
    crate::emit(&format!(
        "pgvet schema --dev-db: {} tables, {} indexes, {} functions compared; {} difference(s); {} statement(s) rejected by the server",
        server.tables.len(),
        server.indexes.len(),
        server.functions.len(),
        diffs.len(),
        failed
    ));
    Ok(if diffs.is_empty() && failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
