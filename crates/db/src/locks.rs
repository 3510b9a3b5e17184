//! The lock oracle: each DDL form pgvet judges, run on a throwaway server against tables that hold
//! rows, with what the server really did recorded: the lock modes the statement took on each
//! relation (`pg_locks`), whether the table was rewritten (its relfilenode changed) and whether it
//! was read in full (`pg_stat_xact_user_tables`), or the error it raised. The result is committed
//! as `crates/linter/data/locks.tsv`, which the migration-safety rules read: no rule states a lock
//! the server was not seen to take. `cargo run -p pgvet-db --example gen_locks` regenerates it.
use std::time::{Duration, Instant};

use crate::TempPostgres;

/// One form: its key (what the linter's classifier names it), extra setup, the statement, and
/// whether it must run outside a transaction block (then locks are read while it waits).
pub struct Form {
    pub key: &'static str,
    pub setup: &'static str,
    pub sql: &'static str,
    pub outside_transaction: bool,
}

const fn f(key: &'static str, setup: &'static str, sql: &'static str) -> Form {
    Form { key, setup, sql, outside_transaction: false }
}

const fn c(key: &'static str, setup: &'static str, sql: &'static str) -> Form {
    Form { key, setup, sql, outside_transaction: true }
}

/// The tables every form starts from, with rows (an empty table is never scanned or rewritten in
/// a way that shows).
pub const BASE: &str = "
CREATE TABLE p (id int PRIMARY KEY);
INSERT INTO p SELECT g FROM generate_series(1, 200) g;
CREATE TABLE t (id int PRIMARY KEY, a int, b text, v varchar(10), p_id int, e text);
INSERT INTO t SELECT g, g, 'x', 'y', g FROM generate_series(1, 200) g;
CREATE INDEX t_a_idx ON t (a);
CREATE TYPE mood AS ENUM ('a', 'b');
";

/// Every form the migration-safety rules know.
pub const FORMS: &[Form] = &[
    f("add_column", "", "ALTER TABLE t ADD COLUMN c int"),
    f("add_column_default_constant", "", "ALTER TABLE t ADD COLUMN c int DEFAULT 0"),
    f("add_column_default_volatile", "", "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp()"),
    f("add_column_not_null", "", "ALTER TABLE t ADD COLUMN c int NOT NULL"),
    f("add_column_not_null_default", "", "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0"),
    f("add_column_serial", "", "ALTER TABLE t ADD COLUMN c serial"),
    f("add_column_identity", "", "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY"),
    f("add_column_generated_stored", "", "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) STORED"),
    f("add_column_primary_key", "ALTER TABLE t DROP CONSTRAINT t_pkey", "ALTER TABLE t ADD COLUMN c serial PRIMARY KEY"),
    f("drop_column", "", "ALTER TABLE t DROP COLUMN e"),
    f("rename_column", "", "ALTER TABLE t RENAME COLUMN e TO e2"),
    f("rename_table", "", "ALTER TABLE t RENAME TO t2"),
    f("alter_type_rewrite", "", "ALTER TABLE t ALTER COLUMN a TYPE bigint"),
    f("alter_type_varchar_longer", "", "ALTER TABLE t ALTER COLUMN v TYPE varchar(20)"),
    f("alter_type_varchar_to_text", "", "ALTER TABLE t ALTER COLUMN v TYPE text"),
    f("alter_type_text_to_varchar", "", "ALTER TABLE t ALTER COLUMN b TYPE varchar(5)"),
    f("set_not_null", "", "ALTER TABLE t ALTER COLUMN a SET NOT NULL"),
    f(
        "set_not_null_with_check",
        "ALTER TABLE t ADD CONSTRAINT t_a_not_null CHECK (a IS NOT NULL)",
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
    ),
    f("drop_not_null", "ALTER TABLE t ALTER COLUMN a SET NOT NULL", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL"),
    f("set_default", "", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1"),
    f("drop_default", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1", "ALTER TABLE t ALTER COLUMN a DROP DEFAULT"),
    f("add_check", "", "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0)"),
    f("add_check_not_valid", "", "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0) NOT VALID"),
    f("validate_check", "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0) NOT VALID", "ALTER TABLE t VALIDATE CONSTRAINT t_a_pos"),
    f("add_foreign_key", "", "ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p (id)"),
    f("add_foreign_key_not_valid", "", "ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID"),
    f(
        "validate_foreign_key",
        "ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID",
        "ALTER TABLE t VALIDATE CONSTRAINT t_p_fk",
    ),
    f("add_unique", "", "ALTER TABLE t ADD CONSTRAINT t_b_v_key UNIQUE (id, b)"),
    f("add_primary_key", "ALTER TABLE t DROP CONSTRAINT t_pkey", "ALTER TABLE t ADD PRIMARY KEY (id)"),
    f(
        "add_unique_using_index",
        "CREATE UNIQUE INDEX t_id_b_idx ON t (id, b)",
        "ALTER TABLE t ADD CONSTRAINT t_id_b_key UNIQUE USING INDEX t_id_b_idx",
    ),
    f(
        "add_primary_key_using_index",
        "ALTER TABLE t DROP CONSTRAINT t_pkey; ALTER TABLE t ALTER COLUMN id SET NOT NULL; CREATE UNIQUE INDEX t_id_idx ON t (id)",
        "ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_idx",
    ),
    f("drop_constraint", "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0)", "ALTER TABLE t DROP CONSTRAINT t_a_pos"),
    f("create_index", "", "CREATE INDEX t_b_idx ON t (b)"),
    f("create_unique_index", "", "CREATE UNIQUE INDEX t_id_b_idx ON t (id, b)"),
    c("create_index_concurrently", "", "CREATE INDEX CONCURRENTLY t_b_idx ON t (b)"),
    f("drop_index", "", "DROP INDEX t_a_idx"),
    c("drop_index_concurrently", "", "DROP INDEX CONCURRENTLY t_a_idx"),
    f("reindex_index", "", "REINDEX INDEX t_a_idx"),
    c("reindex_index_concurrently", "", "REINDEX INDEX CONCURRENTLY t_a_idx"),
    f("drop_table", "", "DROP TABLE t"),
    f("truncate", "", "TRUNCATE t"),
    f("create_trigger", "CREATE FUNCTION s_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$", "CREATE TRIGGER t_noop BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION s_noop()"),
    f("enable_row_level_security", "", "ALTER TABLE t ENABLE ROW LEVEL SECURITY"),
    f("create_policy", "", "CREATE POLICY t_own ON t USING (a > 0)"),
    f("comment_on_table", "", "COMMENT ON TABLE t IS 'rows'"),
    f("update_all_rows", "", "UPDATE t SET b = 'z'"),
    f("delete_all_rows", "", "DELETE FROM t"),
    f("alter_enum_add_value", "", "ALTER TYPE mood ADD VALUE 'c'"),
    f("create_domain_with_constraint", "", "CREATE DOMAIN posint AS int CHECK (VALUE > 0)"),
    f(
        "alter_domain_add_constraint",
        "CREATE DOMAIN posint AS int; ALTER TABLE t ADD COLUMN d posint DEFAULT 1",
        "ALTER DOMAIN posint ADD CONSTRAINT posint_pos CHECK (VALUE > 0)",
    ),
    f(
        "alter_domain_add_constraint_not_valid",
        "CREATE DOMAIN posint AS int; ALTER TABLE t ADD COLUMN d posint DEFAULT 1",
        "ALTER DOMAIN posint ADD CONSTRAINT posint_pos CHECK (VALUE > 0) NOT VALID",
    ),
    f("create_table", "", "CREATE TABLE n (id int PRIMARY KEY, p_id int REFERENCES p (id))"),
    f("refresh_materialized_view", "CREATE MATERIALIZED VIEW mv AS SELECT id FROM t", "REFRESH MATERIALIZED VIEW mv"),
    f(
        "refresh_materialized_view_concurrently",
        "CREATE MATERIALIZED VIEW mv AS SELECT id FROM t; CREATE UNIQUE INDEX mv_id ON mv (id)",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
    ),
    f(
        "attach_partition",
        "CREATE TABLE parted (id int, at date) PARTITION BY RANGE (at); CREATE TABLE parted_2024 (id int, at date); INSERT INTO parted_2024 VALUES (1, '2024-05-01')",
        "ALTER TABLE parted ATTACH PARTITION parted_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
    ),
    f(
        "detach_partition",
        "CREATE TABLE parted (id int, at date) PARTITION BY RANGE (at); CREATE TABLE parted_2024 PARTITION OF parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "ALTER TABLE parted DETACH PARTITION parted_2024",
    ),
    c(
        "detach_partition_concurrently",
        "CREATE TABLE parted (id int, at date) PARTITION BY RANGE (at); CREATE TABLE parted_2024 PARTITION OF parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "ALTER TABLE parted DETACH PARTITION parted_2024 CONCURRENTLY",
    ),
    c("vacuum_full", "", "VACUUM FULL t"),
];

/// What the server did for one form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// (relation, lock modes), relations of the test schema only, in name order.
    pub locks: Vec<(String, Vec<String>)>,
    pub rewrite: bool,
    pub scan: bool,
    /// The SQLSTATE it raised, if it failed.
    pub error: Option<String>,
}

fn msg(e: postgres::Error) -> String {
    e.as_db_error().map(|d| format!("{}: {}", d.code().code(), d.message())).unwrap_or_else(|| e.to_string())
}

fn setup(client: &mut postgres::Client, schema: &str, form: &Form) -> Result<(), String> {
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path = {schema}; {BASE}"))
        .map_err(|e| format!("{}: base setup: {}", form.key, msg(e)))?;
    if !form.setup.is_empty() {
        client.batch_execute(form.setup).map_err(|e| format!("{}: setup: {}", form.key, msg(e)))?;
    }
    client.batch_execute("ANALYZE").map_err(msg)?;
    Ok(())
}

/// The statement's relation locks, on the relations the schema held before it ran (so a dropped
/// or renamed table keeps its name) and on those it created.
const LOCKS: &str = "SELECT coalesce(b.name, c.relname::text), l.mode FROM pg_locks l
  LEFT JOIN unnest($3::oid[], $4::text[]) AS b(oid, name) ON b.oid = l.relation
  LEFT JOIN pg_class c ON c.oid = l.relation AND c.relnamespace = $2::text::regnamespace
  WHERE l.pid = $1 AND l.locktype = 'relation' AND (b.oid IS NOT NULL OR c.oid IS NOT NULL)
  ORDER BY 1, 2";

/// The relations of the schema: (oids, names).
fn relations(client: &mut impl postgres::GenericClient, schema: &str) -> Result<(Vec<postgres::types::Oid>, Vec<String>), String> {
    let rows =
        client.query("SELECT oid, relname::text FROM pg_class WHERE relnamespace = $1::text::regnamespace", &[&schema]).map_err(msg)?;
    Ok((rows.iter().map(|r| r.get(0)).collect(), rows.iter().map(|r| r.get(1)).collect()))
}

fn relfilenodes(client: &mut impl postgres::GenericClient, schema: &str) -> Result<Vec<(String, u32)>, String> {
    let rows = client
        .query(
            "SELECT relname::text, relfilenode FROM pg_class WHERE relnamespace = $1::text::regnamespace AND relkind IN ('r', 'm') ORDER BY 1",
            &[&schema],
        )
        .map_err(msg)?;
    Ok(rows.iter().map(|r| (r.get(0), r.get::<_, postgres::types::Oid>(1))).collect())
}

fn group(rows: Vec<(String, String)>) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (rel, mode) in rows {
        match out.iter_mut().find(|(r, _)| *r == rel) {
            Some((_, modes)) if !modes.contains(&mode) => modes.push(mode),
            Some(_) => {}
            None => out.push((rel, vec![mode])),
        }
    }
    out
}

/// Runs one form and records what the server did.
pub fn observe(pg: &TempPostgres, db: &str, form: &Form) -> Result<Observed, String> {
    let schema = "lockcase";
    let mut client = pg.connect(db)?;
    setup(&mut client, schema, form)?;
    if form.outside_transaction {
        return observe_outside(pg, db, schema, form, client);
    }
    let mut tx = client.transaction().map_err(msg)?;
    tx.batch_execute(&format!("SET LOCAL search_path = {schema}")).map_err(msg)?;
    let pid: i32 = tx.query_one("SELECT pg_backend_pid()", &[]).map_err(msg)?.get(0);
    let (oids, names) = relations(&mut tx, schema)?;
    let scans_before: i64 = tx
        .query_one(
            "SELECT coalesce(sum(seq_scan), 0)::bigint FROM pg_stat_xact_user_tables WHERE schemaname = $1::text AND relname = 't'",
            &[&schema],
        )
        .map_err(msg)?
        .get(0);
    let before = relfilenodes(&mut tx, schema)?;
    tx.batch_execute("SAVEPOINT s").map_err(msg)?;
    if let Err(e) = tx.batch_execute(form.sql) {
        let code = e.code().map(|c| c.code().to_string()).unwrap_or_else(|| "?".into());
        return Ok(Observed { locks: vec![], rewrite: false, scan: false, error: Some(code) });
    }
    let rows = tx.query(LOCKS, &[&pid, &schema, &oids, &names]).map_err(msg)?;
    let locks = group(rows.iter().map(|r| (r.get(0), r.get(1))).collect());
    let after = relfilenodes(&mut tx, schema)?;
    let rewrite = before.iter().any(|(n, node)| after.iter().any(|(m, node2)| n == m && node != node2));
    let scans_after: i64 = tx
        .query_one(
            "SELECT coalesce(sum(seq_scan), 0)::bigint FROM pg_stat_xact_user_tables WHERE schemaname = $1::text AND relname = 't'",
            &[&schema],
        )
        .map_err(msg)?
        .get(0);
    tx.rollback().map_err(msg)?;
    Ok(Observed { locks, rewrite, scan: scans_after > scans_before, error: None })
}

/// A form that cannot run in a transaction block: a second session holds ROW EXCLUSIVE on `t` (or
/// the partition) so the statement waits, and its locks are read from a third while it does.
fn observe_outside(pg: &TempPostgres, db: &str, schema: &str, form: &Form, mut client: postgres::Client) -> Result<Observed, String> {
    let before = relfilenodes(&mut client, schema)?;
    let mut blocker = pg.connect(db)?;
    let held = if form.key.starts_with("detach_partition") { "parted_2024" } else { "t" };
    blocker.batch_execute(&format!("BEGIN; SET LOCAL search_path = {schema}; LOCK TABLE {held} IN ROW EXCLUSIVE MODE")).map_err(msg)?;
    let pid: i32 = client.query_one("SELECT pg_backend_pid()", &[]).map_err(msg)?.get(0);
    let (oids, names) = relations(&mut client, schema)?;
    client.batch_execute(&format!("SET search_path = {schema}")).map_err(msg)?;
    let sql = form.sql.to_string();
    let runner = std::thread::spawn(move || {
        client.batch_execute(&sql).map_err(|e| e.code().map(|c| c.code().to_string()).unwrap_or_else(|| e.to_string()))
    });
    let mut observer = pg.connect(db)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen: Vec<(String, String)> = Vec::new();
    // Read the statement's locks while it waits (some forms wait for the blocker, some finish).
    while Instant::now() < deadline && !runner.is_finished() {
        let rows = observer.query(LOCKS, &[&pid, &schema, &oids, &names]).map_err(msg)?;
        for r in rows {
            let pair: (String, String) = (r.get(0), r.get(1));
            if !seen.contains(&pair) {
                seen.push(pair);
            }
        }
        let waiting: bool = observer
            .query_one("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", &[&pid])
            .map(|r| r.get::<_, Option<bool>>(0).unwrap_or(false))
            .unwrap_or(false);
        if waiting && !seen.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    blocker.batch_execute("COMMIT").map_err(msg)?;
    let result = runner.join().map_err(|_| "the statement's thread panicked".to_string())?;
    // Only the tables: which indexes a concurrent build has touched when it is looked at depends on
    // timing.
    seen.retain(|(r, _)| ["t", "p", "parted", "parted_2024", "mv"].contains(&r.as_str()));
    seen.sort();
    let mut after_client = pg.connect(db)?;
    let after = relfilenodes(&mut after_client, schema)?;
    let rewrite = before.iter().any(|(n, node)| after.iter().any(|(m, node2)| n == m && node != node2));
    Ok(Observed { locks: group(seen), rewrite, scan: false, error: result.err() })
}

/// The whole table, as committed in `crates/linter/data/locks.tsv`:
/// `form<TAB>relation:Mode,Mode;relation:Mode<TAB>rewrite<TAB>scan<TAB>sqlstate`.
pub fn table(pg: &TempPostgres) -> Result<String, String> {
    let mut admin = pg.connect("postgres")?;
    admin.batch_execute("DROP DATABASE IF EXISTS lock_oracle").map_err(msg)?;
    admin.batch_execute("CREATE DATABASE lock_oracle TEMPLATE template0").map_err(msg)?;
    let mut out = String::from("# form\tlocks (relation:modes)\trewrite\tscan\tsqlstate\n");
    for form in FORMS {
        let o = observe(pg, "lock_oracle", form)?;
        let locks: Vec<String> = o.locks.iter().map(|(r, m)| format!("{r}:{}", m.join(","))).collect();
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            form.key,
            if locks.is_empty() { "-".to_string() } else { locks.join(";") },
            if form.outside_transaction && o.error.is_none() && !o.rewrite { "-".to_string() } else { o.rewrite.to_string() },
            if form.outside_transaction { "-".to_string() } else { o.scan.to_string() },
            o.error.unwrap_or_else(|| "-".into())
        ));
    }
    Ok(out)
}
