//! Replaying a migration that sets its own isolation level (langfuse's backfill migrations:
//! `BEGIN; SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; ...`). The runner's transaction takes
//! it as the server would: first in the transaction it is accepted; after a statement, rejected.
//! Needs PostgreSQL's server binaries; without them this test fails and says how to install them.
use pgvet_db::replay::{replay, ReplayFile};
use pgvet_db::TempPostgres;

#[test]
fn set_transaction_first_in_the_transaction_is_accepted() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the replay is tested on a real PostgreSQL: {e}"));
    let first = "-- backfill\nBEGIN;\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nCREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\nCOMMIT;\n";
    let (snap, rejected) =
        replay(&pg, None, &[ReplayFile { text: first, transactional: true, reset_session: false, ..Default::default() }], |_| {}).unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    assert!(snap.tables.keys().any(|k| k.ends_with(".t") || k == "t"), "{:?}", snap.tables.keys().collect::<Vec<_>>());

    // The same on a real server without any runner: a SET TRANSACTION after a statement fails.
    let late = "BEGIN;\nCREATE TABLE u (id int);\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nCOMMIT;\n";
    let mut c = pg.fresh_database("direct").unwrap();
    let direct = c.batch_execute(late);
    assert!(direct.is_err(), "the server rejects a late SET TRANSACTION");
    pgvet_db::race::drop_database(&pg, "pgvet_dev").unwrap();
    let (_, rejected) =
        replay(&pg, None, &[ReplayFile { text: late, transactional: true, reset_session: false, ..Default::default() }], |_| {}).unwrap();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(&late[rejected[0].start..rejected[0].start + 15], "SET TRANSACTION");
}

/// A statement the runner sends outside the file's transaction (the Supabase CLI's
/// `CREATE INDEX CONCURRENTLY`) runs on its own: accepted, and the statements around it still
/// in a transaction. The same file in one transaction is rejected with 25001, as on the server.
#[test]
fn a_standalone_statement_runs_outside_the_files_transaction() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the replay is tested on a real PostgreSQL: {e}"));
    let text = "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON a (id);\nCREATE TABLE b (id int);\n";
    let at = text.find("CREATE INDEX").unwrap();
    let file = ReplayFile { text, transactional: true, standalone: vec![at], ..Default::default() };
    let (snap, rejected) = replay(&pg, None, &[file], |_| {}).unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    assert!(snap.indexes.keys().any(|k| k.ends_with("a_id")), "{:?}", snap.indexes.keys().collect::<Vec<_>>());
    assert!(snap.tables.keys().any(|k| k.ends_with(".b")), "{:?}", snap.tables.keys().collect::<Vec<_>>());

    pgvet_db::race::drop_database(&pg, "pgvet_dev").unwrap();
    let (_, rejected) = replay(&pg, None, &[ReplayFile { text, transactional: true, ..Default::default() }], |_| {}).unwrap();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(rejected[0].message.contains("25001"), "{rejected:?}");
}
