//! Rejection oracle: for each (setup, statement) pair, the real server rejects the statement,
//! and pgvet's replay must report it as an error too (the `migration-error` rule), while
//! accepting the setup without complaint.
use pgvet_catalog::{Catalog, EventKind, Replayer};
use pgvet_db::TempPostgres;

const CASES: &[(&str, &str)] = &[
    ("", "ALTER TABLE missing ADD COLUMN x int"),
    ("CREATE TABLE t (id int)", "CREATE TABLE t (id int)"),
    ("CREATE TABLE t (id int)", "ALTER TABLE t ADD COLUMN id int"),
    ("CREATE TABLE t (id int)", "ALTER TABLE t DROP COLUMN nope"),
    ("CREATE TABLE t (id int)", "ALTER TABLE t RENAME COLUMN nope TO x"),
    ("CREATE TABLE t (id int, x int)", "ALTER TABLE t RENAME COLUMN id TO x"),
    ("CREATE TABLE t (id int)", "ALTER TABLE t ALTER COLUMN nope SET NOT NULL"),
    ("CREATE TABLE t (id int PRIMARY KEY)", "ALTER TABLE t ALTER COLUMN id DROP NOT NULL"),
    ("CREATE TABLE t (id int PRIMARY KEY)", "ALTER TABLE t ADD PRIMARY KEY (id)"),
    ("CREATE TABLE t (id int)", "ALTER TABLE t DROP CONSTRAINT t_pkey"),
    ("CREATE TABLE t (id int)", "ALTER TABLE t VALIDATE CONSTRAINT nope"),
    ("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p_id int REFERENCES p)", "DROP TABLE p"),
    ("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p_id int REFERENCES p)", "ALTER TABLE p DROP CONSTRAINT p_pkey"),
    ("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p_id int REFERENCES p)", "ALTER TABLE p DROP COLUMN id"),
    ("CREATE TABLE p (id int, code text)", "CREATE TABLE c (p_code text REFERENCES p (code))"),
    ("CREATE TABLE p (id int, code text, UNIQUE (code) DEFERRABLE)", "CREATE TABLE c (p_code text REFERENCES p (code))"),
    ("CREATE TABLE p (id int, code text)", "CREATE UNIQUE INDEX ON p (code) WHERE id > 0; CREATE TABLE c (p_code text REFERENCES p (code))"),
    ("CREATE TABLE t (id int PRIMARY KEY)", "DROP INDEX t_pkey"),
    ("CREATE TABLE t (id int); CREATE VIEW v AS SELECT * FROM t", "DROP TABLE t"),
    ("CREATE TABLE t (id int); CREATE INDEX t_i ON t (id)", "CREATE INDEX t_i ON t (id)"),
    ("CREATE TABLE t (id int)", "CREATE INDEX ON t (nope)"),
    ("", "CREATE INDEX ON missing (id)"),
    ("CREATE TYPE mood AS ENUM ('a'); CREATE TABLE t (m mood)", "DROP TYPE mood"),
    ("CREATE SCHEMA s; CREATE TABLE s.t (id int)", "DROP SCHEMA s"),
    ("", "CREATE TABLE nope.t (id int)"),
    ("CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$", "CREATE FUNCTION f(b int) RETURNS int LANGUAGE sql AS $$ SELECT b $$"),
    ("CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$; CREATE FUNCTION f(a text) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$", "DROP FUNCTION f"),
    ("", "DROP FUNCTION nope(int)"),
    ("CREATE TABLE t (id int); CREATE POLICY p ON t USING (true)", "CREATE POLICY p ON t USING (true)"),
    ("CREATE TABLE t (id int)", "ALTER TABLE t ADD CONSTRAINT t_c CHECK (id > 0), ADD CONSTRAINT t_c CHECK (id > 1)"),
    ("CREATE TABLE t (id int, CONSTRAINT t_c CHECK (id > 0))", "ALTER TABLE t ADD CONSTRAINT t_c UNIQUE (id)"),
    ("CREATE TABLE t (id int)", "CREATE TABLE u (id int) PARTITION BY RANGE (id); CREATE TABLE u1 PARTITION OF missing FOR VALUES FROM (1) TO (2)"),
];

#[test]
fn pgvet_reports_what_postgres_rejects() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the rejection oracle needs a real PostgreSQL: {e}"));
    let mut misses = Vec::new();
    for (n, (setup, stmt)) in CASES.iter().enumerate() {
        let mut client = pg.fresh_database(&format!("reject_{n}")).unwrap();
        client.batch_execute(setup).unwrap_or_else(|e| panic!("case {n}: the server rejected the setup: {e}"));
        assert!(client.batch_execute(stmt).is_err(), "case {n}: the server accepted `{stmt}`: fix the case");
        let mut r = Replayer::new(Catalog::new());
        let text = format!("{setup};\n{stmt};\n");
        let parsed = pgvet_syntax::parse_sql(&text);
        let setup_end = setup.len() + 1;
        for s in &parsed.statements {
            r.apply(0, s);
        }
        let setup_errors: Vec<_> = r.events.iter().filter(|e| e.kind == EventKind::Error && e.span.start < setup_end).collect();
        assert!(setup_errors.is_empty(), "case {n}: pgvet rejects the setup the server accepted: {setup_errors:?}");
        if !r.events.iter().any(|e| e.kind == EventKind::Error && e.span.start >= setup_end) {
            misses.push(format!("case {n}: `{stmt}` (after `{setup}`)"));
        }
    }
    eprintln!("rejection parity: {} statements the server rejects, {} missed by pgvet", CASES.len(), misses.len());
    assert!(misses.is_empty(), "the server rejects these, pgvet does not notice:\n{}", misses.join("\n"));
}
