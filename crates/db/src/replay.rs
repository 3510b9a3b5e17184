//! Replaying migrations into a throwaway server the way their runner would (`pgvet schema
//! --dev-db`), so its catalog can be compared with pgvet's static replay.
use pgvet_catalog::Snapshot;

use crate::TempPostgres;

/// Objects Supabase provides (roles, the auth, storage, realtime, vault and supabase_functions
/// schemas as migrations use them, its publication and extensions), created before the
/// migrations so they replay on a plain server as on the platform.
pub const SUPABASE_PRELUDE: &str = include_str!("supabase_platform.sql");

/// What exists before the first migration: the platform's objects (Supabase's, when
/// `platform`), and the schemas the program creates before it runs its migrations (GoTrue's
/// `auth`), and the runner's own table (`runner_table`, its CREATE TABLE). None when there is
/// nothing.
pub fn prelude(platform: bool, base_schemas: &[String], runner_table: Option<String>) -> Option<String> {
    let mut sql = runner_table.unwrap_or_default();
    if platform {
        sql.push_str(SUPABASE_PRELUDE);
        sql.push('\n');
    }
    for s in base_schemas {
        sql.push_str(&format!("CREATE SCHEMA IF NOT EXISTS {};\n", pgvet_syntax::quote_ident(s)));
    }
    (!sql.is_empty()).then_some(sql)
}

/// One migration file.
#[derive(Default)]
pub struct ReplayFile<'a> {
    pub text: &'a str,
    /// Whether the runner wraps the file in a transaction.
    pub transactional: bool,
    /// Whether the runner resets the session (`RESET ALL`) before the file (the Supabase CLI).
    pub reset_session: bool,
    /// Byte offsets of the statements the runner sends outside the file's transaction (the
    /// Supabase CLI's `CREATE INDEX CONCURRENTLY`): the transaction so far is committed, the
    /// statement runs on its own, and a new transaction carries the rest of the file.
    pub standalone: Vec<usize>,
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
        // A new session: the database's settings (its search_path) are what RESET ALL gives.
        client = pg.connect("pgvet_dev")?;
    }
    let mut rejected = Vec::new();
    for (i, f) in files.iter().enumerate() {
        progress(i);
        let statements = pgvet_syntax::parse_sql(f.text).statements;
        let wrap = f.transactional;
        if f.reset_session {
            run(&mut client, "RESET ALL")?;
        }
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
            if wrap && f.standalone.contains(&s.span.start) {
                run(&mut client, "COMMIT")?;
                if let Err(e) = client.batch_execute(&f.text[s.span.range()]) {
                    rejected.push(Rejection { file: i, start: s.span.start, message: db_message(&e) });
                }
                run(&mut client, "BEGIN")?;
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
