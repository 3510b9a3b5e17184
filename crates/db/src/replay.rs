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
CREATE SCHEMA IF NOT EXISTS realtime; CREATE SCHEMA IF NOT EXISTS vault;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" WITH SCHEMA extensions;
CREATE TABLE IF NOT EXISTS storage.buckets (id text PRIMARY KEY, name text NOT NULL, owner uuid, owner_id text, public boolean DEFAULT false,
  file_size_limit bigint, allowed_mime_types text[], avif_autodetection boolean DEFAULT false, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE IF NOT EXISTS storage.objects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text REFERENCES storage.buckets, name text, owner uuid, owner_id text,
  metadata jsonb, user_metadata jsonb, path_tokens text[], version text, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(), last_accessed_at timestamptz DEFAULT now());
CREATE OR REPLACE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $f$ SELECT (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1] $f$;
CREATE OR REPLACE FUNCTION storage.filename(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$ SELECT (string_to_array(name, '/'))[array_length(string_to_array(name, '/'), 1)] $f$;
CREATE OR REPLACE FUNCTION storage.extension(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$ SELECT reverse(split_part(reverse(name), '.', 1)) $f$;
CREATE TABLE IF NOT EXISTS realtime.messages (id bigserial, topic text NOT NULL, extension text NOT NULL, payload jsonb, event text, private boolean DEFAULT false,
  updated_at timestamp DEFAULT now() NOT NULL, inserted_at timestamp DEFAULT now() NOT NULL, PRIMARY KEY (id, inserted_at));
CREATE TABLE IF NOT EXISTS vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text, description text, secret text NOT NULL, key_id uuid, nonce bytea,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE OR REPLACE VIEW vault.decrypted_secrets AS SELECT *, secret AS decrypted_secret FROM vault.secrets;
CREATE OR REPLACE FUNCTION vault.create_secret(new_secret text, new_name text DEFAULT NULL, new_description text DEFAULT '', new_key_id uuid DEFAULT NULL) RETURNS uuid
  LANGUAGE sql AS $f$ INSERT INTO vault.secrets (secret, name, description) VALUES (new_secret, new_name, new_description) RETURNING id $f$;
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$ SELECT NULL::uuid $f$;
CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $f$ SELECT NULL::text $f$;
CREATE OR REPLACE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $f$ SELECT NULL::text $f$;
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $f$ SELECT NULL::jsonb $f$;
ALTER DATABASE pgvet_dev SET search_path TO \"$user\", public, extensions;
SET search_path TO \"$user\", public, extensions;
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
        // Nothing has run in the runner's transaction yet: a `SET TRANSACTION` there (right after
        // the file's own BEGIN) is valid and must not be put in a savepoint.
        let mut fresh = true;
        for s in &statements {
            if wrap && matches!(s.node, pgvet_syntax::NodeEnum::TransactionStmt(_)) {
                continue;
            }
            let set_transaction = matches!(&s.node, pgvet_syntax::NodeEnum::VariableSetStmt(v) if v.name == "TRANSACTION");
            if wrap && fresh && set_transaction {
                if let Err(e) = client.batch_execute(&f.text[s.span.range()]) {
                    rejected.push(Rejection { file: i, start: s.span.start, message: db_message(&e) });
                    // The transaction is aborted: start it again.
                    run(&mut client, "ROLLBACK")?;
                    run(&mut client, "BEGIN")?;
                }
                continue;
            }
            fresh = false;
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
