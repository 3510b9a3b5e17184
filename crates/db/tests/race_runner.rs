//! The race runner's self-check (issue 14): outcomes measured by hand on PostgreSQL 15,
//! reproduced by the runner. The app-side counter (read, add one in the app, write back) loses an
//! increment under READ COMMITTED (11 instead of 12) and gets 40001 under REPEATABLE READ and
//! SERIALIZABLE; the atomic `SET n = n + 1` loses nothing. Needs PostgreSQL's server binaries;
//! without them this test fails and says how to install them.
use pgvet_db::race::{run, Isolation, Step};
use pgvet_db::TempPostgres;

fn counter(pg: &TempPostgres, db: &str) {
    let mut c = pg.fresh_database(db).unwrap();
    c.batch_execute("CREATE TABLE c (id int PRIMARY KEY, n int NOT NULL); INSERT INTO c VALUES (1, 10);").unwrap();
}

fn steps(update: &str) -> Vec<Step> {
    vec!["BEGIN".into(), Step::read("SELECT n FROM c WHERE id = 1"), update.into(), "COMMIT".into()]
}

/// A reads, B reads, A writes, B writes (and waits for A's row lock), A commits, B commits.
const WITNESS: [usize; 8] = [0, 0, 1, 1, 0, 1, 0, 1];

#[test]
fn the_lost_update_and_its_isolation_matrix() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the race runner needs a real PostgreSQL: {e}"));
    let app_side = "UPDATE c SET n = {read} + 1 WHERE id = 1";
    let cases = [
        (Isolation::ReadCommitted, app_side, None, 11),
        (Isolation::RepeatableRead, app_side, Some("40001"), 11),
        (Isolation::Serializable, app_side, Some("40001"), 11),
        // The fix: the increment in SQL. Nothing is lost under READ COMMITTED.
        (Isolation::ReadCommitted, "UPDATE c SET n = n + 1 WHERE id = 1", None, 12),
    ];
    for (i, (iso, update, b_error, final_n)) in cases.into_iter().enumerate() {
        let db = format!("lost_{i}");
        counter(&pg, &db);
        let ran = run(&pg, &db, &[steps(update), steps(update)], &WITNESS, iso, false).unwrap().steps;
        assert_eq!(ran.len(), 8, "{ran:#?}");
        // B's UPDATE waited for A's row lock, then finished (or failed) once A committed.
        let b_update = ran.iter().find(|s| s.actor == 1 && s.sql.starts_with("UPDATE")).unwrap();
        assert!(b_update.blocked, "case {i}: {ran:#?}");
        assert_eq!(b_update.sqlstate.as_deref(), b_error, "case {i}: {ran:#?}");
        // Both read 10 before either wrote.
        let reads: Vec<&str> = ran.iter().filter(|s| s.sql.starts_with("SELECT")).map(|s| s.rows[0].as_str()).collect();
        assert_eq!(reads, ["10", "10"], "case {i}");
        let mut c = pg.connect(&db).unwrap();
        let n: i32 = c.query_one("SELECT n FROM c WHERE id = 1", &[]).unwrap().get(0);
        assert_eq!(n, final_n, "case {i} ({iso:?}): a serial order gives 12");
    }
}

/// The foreign-key check-then-insert (field report 03) and the emulated upsert (select, then
/// insert when nothing was found), as measured on PostgreSQL 15: 23503 under READ COMMITTED and
/// 40001 under REPEATABLE READ / SERIALIZABLE for the first; 23505 under READ COMMITTED and
/// REPEATABLE READ but 40001 under SERIALIZABLE for the second.
#[test]
fn the_fk_race_and_the_emulated_upsert() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the race runner needs a real PostgreSQL: {e}"));
    let child: Vec<Step> =
        vec!["BEGIN".into(), Step::read("SELECT id FROM p WHERE id = 1"), "INSERT INTO ch (p_id) VALUES ({read})".into(), "COMMIT".into()];
    let parent: Vec<Step> = vec!["BEGIN".into(), "DELETE FROM p WHERE id = 1".into(), "COMMIT".into()];
    // The child reads the parent, the parent is deleted and committed, the child inserts.
    let witness = [0, 0, 1, 1, 1, 0, 0];
    for (i, (iso, want)) in [(Isolation::ReadCommitted, "23503"), (Isolation::RepeatableRead, "40001"), (Isolation::Serializable, "40001")]
        .into_iter()
        .enumerate()
    {
        let db = format!("fk_{i}");
        let mut c = pg.fresh_database(&db).unwrap();
        c.batch_execute("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE ch (id serial PRIMARY KEY, p_id int REFERENCES p); INSERT INTO p VALUES (1);").unwrap();
        let ran = run(&pg, &db, &[child.clone(), parent.clone()], &witness, iso, false).unwrap().steps;
        let insert = ran.iter().find(|s| s.sql.starts_with("INSERT")).unwrap();
        assert_eq!(insert.sql, "INSERT INTO ch (p_id) VALUES ('1')", "the id read flows into the insert");
        assert_eq!(insert.sqlstate.as_deref(), Some(want), "{iso:?}: {ran:#?}");
    }
    let upsert: Vec<Step> =
        vec!["BEGIN".into(), Step::read("SELECT count(*) FROM u WHERE k = 'a'"), "INSERT INTO u VALUES ('a', 1)".into(), "COMMIT".into()];
    for (i, (iso, want)) in [(Isolation::ReadCommitted, "23505"), (Isolation::RepeatableRead, "23505"), (Isolation::Serializable, "40001")]
        .into_iter()
        .enumerate()
    {
        let db = format!("upsert_{i}");
        let mut c = pg.fresh_database(&db).unwrap();
        c.batch_execute("CREATE TABLE u (k text PRIMARY KEY, v int);").unwrap();
        let ran = run(&pg, &db, &[upsert.clone(), upsert.clone()], &[0, 0, 1, 1, 0, 1, 0, 1], iso, false).unwrap().steps;
        let b_insert = ran.iter().find(|s| s.actor == 1 && s.sql.starts_with("INSERT")).unwrap();
        assert!(b_insert.blocked, "{iso:?}: the second insert waits for the first's uncommitted key: {ran:#?}");
        assert_eq!(b_insert.sqlstate.as_deref(), Some(want), "{iso:?}: {ran:#?}");
    }
}

/// The other outcomes the issue measured by hand: `ON CONFLICT (id)` with a second unique key
/// gets 23505 on that key; `FOR KEY SHARE` moves the foreign-key error to the deleting session;
/// `FOR UPDATE` moves which step blocks (the read, not the write) and nothing is lost. And one
/// pgvet measured: `INSERT ... SELECT ... WHERE` the parent exists still gets 23503 when it waits
/// for a delete that then commits.
#[test]
fn where_locks_move_the_error_and_the_wait() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the race runner needs a real PostgreSQL: {e}"));
    // ON CONFLICT (id) and a second unique key.
    let mut c = pg.fresh_database("other_unique").unwrap();
    c.batch_execute("CREATE TABLE w (id int PRIMARY KEY, ws text NOT NULL UNIQUE, name text);").unwrap();
    let ins = |id: u8| -> Vec<Step> {
        vec![format!("INSERT INTO w VALUES ({id}, 'x', 'n') ON CONFLICT (id) DO UPDATE SET name = excluded.name").as_str().into()]
    };
    let ran = run(&pg, "other_unique", &[ins(1), ins(2)], &[0, 1], Isolation::ReadCommitted, false).unwrap().steps;
    assert_eq!((ran[1].sqlstate.as_deref(), ran[1].constraint.as_deref()), (Some("23505"), Some("w_ws_key")), "{ran:#?}");

    let setup =
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE ch (id serial PRIMARY KEY, p_id int REFERENCES p); INSERT INTO p VALUES (1);";
    let deleter: Vec<Step> = vec!["BEGIN".into(), "DELETE FROM p WHERE id = 1".into(), "COMMIT".into()];
    // FOR KEY SHARE: the child's transaction keeps the parent; the delete waits, then fails.
    let mut c = pg.fresh_database("key_share").unwrap();
    c.batch_execute(setup).unwrap();
    let child: Vec<Step> = vec![
        "BEGIN".into(),
        Step::read("SELECT id FROM p WHERE id = 1 FOR KEY SHARE"),
        "INSERT INTO ch (p_id) VALUES ({read})".into(),
        "COMMIT".into(),
    ];
    let ran = run(&pg, "key_share", &[child, deleter.clone()], &[0, 0, 1, 1, 0, 0, 1], Isolation::ReadCommitted, false).unwrap().steps;
    let insert = ran.iter().find(|s| s.sql.starts_with("INSERT")).unwrap();
    let delete = ran.iter().find(|s| s.sql.starts_with("DELETE")).unwrap();
    assert_eq!(insert.sqlstate, None, "{ran:#?}");
    assert!(delete.blocked && delete.waited_for == [0], "{ran:#?}");
    assert_eq!(delete.sqlstate.as_deref(), Some("23503"), "the error moved to the deleting session: {ran:#?}");

    // INSERT ... SELECT: the check and the insert are one statement, yet the FK check waits for
    // the uncommitted delete and fails once it commits.
    let mut c = pg.fresh_database("insert_select").unwrap();
    c.batch_execute(setup).unwrap();
    let child: Vec<Step> = vec!["INSERT INTO ch (p_id) SELECT id FROM p WHERE id = 1".into()];
    let ran = run(&pg, "insert_select", &[child, deleter], &[1, 1, 0, 1], Isolation::ReadCommitted, false).unwrap().steps;
    let insert = ran.iter().find(|s| s.sql.starts_with("INSERT")).unwrap();
    assert!(insert.blocked, "{ran:#?}");
    assert_eq!(insert.sqlstate.as_deref(), Some("23503"), "{ran:#?}");

    // FOR UPDATE: the second read waits (not the write) and sees the first's increment.
    let mut c = pg.fresh_database("for_update").unwrap();
    c.batch_execute("CREATE TABLE c (id int PRIMARY KEY, n int NOT NULL); INSERT INTO c VALUES (1, 10);").unwrap();
    let locked: Vec<Step> = vec![
        "BEGIN".into(),
        Step::read("SELECT n FROM c WHERE id = 1 FOR UPDATE"),
        "UPDATE c SET n = {read} + 1 WHERE id = 1".into(),
        "COMMIT".into(),
    ];
    let ran = run(&pg, "for_update", &[locked.clone(), locked], &WITNESS, Isolation::ReadCommitted, false).unwrap().steps;
    let b_read = ran.iter().find(|s| s.actor == 1 && s.sql.starts_with("SELECT")).unwrap();
    assert!(b_read.blocked && b_read.rows == ["11"], "{ran:#?}");
    assert!(ran.iter().filter(|s| s.sql.starts_with("UPDATE")).all(|s| !s.blocked && s.sqlstate.is_none()), "{ran:#?}");
    let n: i32 = c.query_one("SELECT n FROM c WHERE id = 1", &[]).unwrap().get(0);
    assert_eq!(n, 12);
}
