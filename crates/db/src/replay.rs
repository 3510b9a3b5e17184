//! Replaying migrations into a throwaway server the way their runner would (`pgvet schema
//! --dev-db`), so its catalog can be compared with pgvet's static replay.
use pgvet_catalog::Snapshot;

use crate::TempPostgres;

/// Objects Supabase provides, created before the migrations so they replay on a plain server.
pub const SUPABASE_PRELUDE: &str = "
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

/// One migration file.
pub struct ReplayFile<'a> {
    pub text: &'a str,
    /// Whether the runner wraps the file in a transaction.
    pub transactional: bool,
}

/// A statement the server rejected: file index, byte offset of the statement, message.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub file: usize,
    pub start: usize,
    pub message: String,
}

/// Replays `files` in order into a fresh database of `pg` (after `prelude`, if any) and reads the
/// resulting catalog. A transactional file runs in one transaction with a savepoint per
/// statement, so a failing statement is rolled back and reported and the rest still run (as
/// pgvet's replay does); the file's own BEGIN/COMMIT are left to that transaction.
pub fn replay(
    pg: &TempPostgres,
    prelude: Option<&str>,
    files: &[ReplayFile],
    mut progress: impl FnMut(usize),
) -> Result<(Snapshot, Vec<Rejection>), String> {
    let mut client = pg.fresh_database("pgvet_dev")?;
    if let Some(p) = prelude {
        client.batch_execute(p).map_err(|e| format!("cannot create the platform's built-in objects: {}", db_message(&e)))?;
    }
    let mut rejected = Vec::new();
    for (i, f) in files.iter().enumerate() {
        progress(i);
        let statements = pgvet_syntax::parse_sql(f.text).statements;
        let wrap = f.transactional;
        if wrap {
            run(&mut client, "BEGIN")?;
        }
        for s in &statements {
            if wrap && matches!(s.node, pgvet_syntax::NodeEnum::TransactionStmt(_)) {
                continue;
            }
            if wrap {
                run(&mut client, "SAVEPOINT pgvet_statement")?;
            }
            match client.batch_execute(&f.text[s.span.range()]) {
                Ok(()) if wrap => run(&mut client, "RELEASE SAVEPOINT pgvet_statement")?,
                Ok(()) => {}
                Err(e) => {
                    rejected.push(Rejection { file: i, start: s.span.start, message: db_message(&e) });
                    if wrap {
                        run(&mut client, "ROLLBACK TO SAVEPOINT pgvet_statement")?;
                    } else {
                        // Leave any transaction the file opened itself.
                        let _ = client.batch_execute("ROLLBACK");
                    }
                }
            }
        }
        if wrap {
            run(&mut client, "COMMIT")?;
        }
    }
    let snap = crate::introspect(&mut client).map_err(|e| format!("cannot read the server's catalog: {}", db_message(&e)))?;
    Ok((snap, rejected))
}

fn run(client: &mut postgres::Client, sql: &str) -> Result<(), String> {
    client.batch_execute(sql).map_err(|e| format!("the throwaway server failed on `{sql}`: {}", db_message(&e)))
}

/// The server's message with its SQLSTATE (never a bare "db error").
pub fn db_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{} (SQLSTATE {})", d.message(), d.code().code()),
        None => match std::error::Error::source(e) {
            Some(src) => format!("{e}: {src}"),
            None => e.to_string(),
        },
    }
}
