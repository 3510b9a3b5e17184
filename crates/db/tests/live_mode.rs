//! Live mode against real servers: the schema pgvet reads back from a database (`schema_sql`),
//! replayed by pgvet, must equal the server's own catalog for every parity set; and a live
//! session must refuse to write. Needs PostgreSQL's server binaries; without them this test fails
//! and says how to install them.
use std::path::{Path, PathBuf};

use pgvet_catalog::{Catalog, Replayer};
use pgvet_db::live::{connect, schema_sql, Limits};
use pgvet_db::{introspect, TempPostgres};

fn sets() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    v.sort();
    v
}

fn url(pg: &TempPostgres, db: &str) -> String {
    format!("host={} port=5432 user=postgres password=s3cret-not-printed dbname={db}", pg.root().join("sock").display())
}

#[test]
fn the_schema_read_back_replays_to_the_servers_catalog() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("live mode is tested on a real PostgreSQL: {e}"));
    let mut failures = Vec::new();
    let mut tables = 0;
    for (n, set) in sets().iter().enumerate() {
        let name = set.file_name().unwrap().to_string_lossy().to_string();
        let db = format!("live_{n}");
        let mut admin = pg.fresh_database(&db).unwrap();
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(set).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "sql")).collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for s in pgvet_syntax::parse_sql(&text).statements {
                admin.batch_execute(&text[s.span.range()]).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
        let mut live = connect(&url(&pg, &db), Limits::default()).unwrap();
        let sql = schema_sql(&mut live.client, &[]).unwrap();
        let parsed = pgvet_syntax::parse_sql(&sql);
        assert!(parsed.errors.is_empty(), "{name}: the schema read back does not parse: {:?}\n{sql}", parsed.errors);
        let mut replayer = Replayer::new(Catalog::new());
        for s in &parsed.statements {
            replayer.apply(0, s);
        }
        let mut server = introspect(&mut admin).unwrap();
        // An INVALID index (a failed concurrent build, an ON ONLY parent index with partitions
        // missing theirs) enforces nothing and is no ON CONFLICT arbiter: live mode does not read it.
        server.indexes.retain(|_, i| i.valid);
        tables += server.tables.len();
        for d in replayer.catalog.snapshot().diff(&server) {
            failures.push(format!("[{name}] {d}"));
        }
        // The read-back SQL also replays on a real server into the same catalog.
        let mut copy = pg.fresh_database(&format!("copy_{n}")).unwrap();
        if let Err(e) = copy.batch_execute(&sql) {
            failures.push(format!("[{name}] the server rejects the schema read back: {}\n{sql}", pgvet_db::replay::db_message(&e)));
        } else {
            for d in introspect(&mut copy).unwrap().diff(&server) {
                failures.push(format!("[{name}] server copy: {d}"));
            }
        }
    }
    eprintln!("live mode: {} parity sets, {tables} tables read back; {} differences", sets().len(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_live_session_cannot_write_and_never_prints_the_password() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("live mode is tested on a real PostgreSQL: {e}"));
    let mut admin = pg.fresh_database("ro").unwrap();
    admin.batch_execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);").unwrap();
    let mut live = connect(&url(&pg, "ro"), Limits::default()).unwrap();
    assert!(!live.display.contains("s3cret"), "{}", live.display);
    assert!(live.display.ends_with("/ro"), "{}", live.display);
    // (default_transaction_read_only is a default a session could lift with SET TRANSACTION READ
    // WRITE; pgvet never sends that, and no user SQL runs on this connection.)
    for write in ["INSERT INTO t VALUES (2)", "CREATE TABLE u (id int)", "BEGIN; DELETE FROM t; COMMIT"] {
        let e = live.client.batch_execute(write).expect_err(write);
        assert_eq!(e.code().map(|c| c.code()), Some("25006"), "{write}: {e:?}");
        let _ = live.client.batch_execute("ROLLBACK");
    }
    let n: i64 = admin.query_one("SELECT count(*) FROM t", &[]).unwrap().get(0);
    assert_eq!(n, 1);
    // The session says who it is, and has its limits.
    let row = live
        .client
        .query_one("SELECT current_setting('application_name'), current_setting('statement_timeout'), current_setting('lock_timeout')", &[])
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, String>(1), row.get::<_, String>(2)),
        ("pgvet (read-only)".into(), "10s".into(), "500ms".into())
    );
    // A wrong password or database: the error names the database, never the password.
    let Err(e) = connect(&url(&pg, "no_such_db"), Limits::default()) else { panic!("connected to a missing database") };
    assert!(e.contains("postgres@") && e.contains("no_such_db") && !e.contains("s3cret"), "{e}");
}
