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
    let (snap, rejected) = replay(&pg, None, &[ReplayFile { text: first, transactional: true, reset_session: false }], |_| {}).unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    assert!(snap.tables.keys().any(|k| k.ends_with(".t") || k == "t"), "{:?}", snap.tables.keys().collect::<Vec<_>>());

    // The same on a real server without any runner: a SET TRANSACTION after a statement fails.
    let late = "BEGIN;\nCREATE TABLE u (id int);\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nCOMMIT;\n";
    let mut c = pg.fresh_database("direct").unwrap();
    let direct = c.batch_execute(late);
    assert!(direct.is_err(), "the server rejects a late SET TRANSACTION");
    pgvet_db::race::drop_database(&pg, "pgvet_dev").unwrap();
    let (_, rejected) = replay(&pg, None, &[ReplayFile { text: late, transactional: true, reset_session: false }], |_| {}).unwrap();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(&late[rejected[0].start..rejected[0].start + 15], "SET TRANSACTION");
}
