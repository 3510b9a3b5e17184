//! The race runner (issue 14): actors, each on its own connection to a throwaway server, run
//! their steps in a given interleaving. A step that blocks on a lock is detected from a control
//! connection (`pg_isolation_test_session_is_blocked`, as PostgreSQL's isolationtester does,
//! falling back to `pg_blocking_pids`) and the schedule goes on with the other actors: a blocked
//! actor's later steps are deferred, never forced. Each step's rows, SQLSTATE and constraint are
//! recorded, and what a waiting step waited for. Values flow from one step to the next: `{read}`
//! in a step is the first column of the actor's last reading step's first row, as a literal
//! (what the application computed from), and a step can run only when that read found a row, or none (the
//! application's `if`). After an error inside a transaction the application gives up: the
//! actor's remaining steps are skipped and its transaction rolled back.
use std::collections::VecDeque;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::TempPostgres;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isolation {
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl Isolation {
    pub const ALL: [Isolation; 3] = [Isolation::ReadCommitted, Isolation::RepeatableRead, Isolation::Serializable];
    pub fn sql(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read committed",
            Isolation::RepeatableRead => "repeatable read",
            Isolation::Serializable => "serializable",
        }
    }
    /// `rc`, `rr`, `ser`.
    pub fn short(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "rc",
            Isolation::RepeatableRead => "rr",
            Isolation::Serializable => "ser",
        }
    }
}

/// When a step runs, given the actor's last read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// Only if the last read found a row (`if (row) ...`).
    Found,
    /// Only if it found none (`if (!row) insert`).
    NotFound,
}

/// One statement an actor sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub sql: String,
    /// Its result is what the application reads (`{read}`, `When`).
    pub reads: bool,
    pub when: When,
}

impl Step {
    pub fn new(sql: impl Into<String>) -> Self {
        Step { sql: sql.into(), reads: false, when: When::Always }
    }
    pub fn read(sql: impl Into<String>) -> Self {
        Step { sql: sql.into(), reads: true, when: When::Always }
    }
    pub fn when(mut self, w: When) -> Self {
        self.when = w;
        self
    }
}

impl From<&str> for Step {
    fn from(s: &str) -> Self {
        Step::new(s)
    }
}

/// One step as it ran.
#[derive(Debug, Clone, Default)]
pub struct StepResult {
    pub actor: usize,
    /// Index of the step in the actor's list.
    pub index: usize,
    pub sql: String,
    /// First column of each row returned.
    pub rows: Vec<String>,
    pub sqlstate: Option<String>,
    pub constraint: Option<String>,
    pub message: Option<String>,
    /// It waited for another actor's lock: which actors held it, and the lock it waited for.
    pub blocked: bool,
    pub waited_for: Vec<usize>,
    pub wait: Option<String>,
    /// Not sent: its condition did not hold, or the actor had given up after an error.
    pub skipped: bool,
    /// A retry of the actor's transaction after 40001/40P01.
    pub retry: bool,
    /// When it was sent: its position in the run's issue order.
    pub seq: usize,
}

/// A schedule as it ran.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// The steps in the order they completed.
    pub steps: Vec<StepResult>,
    /// The actors in the order their steps were issued: the feasible schedule that ran.
    pub issued: Vec<usize>,
}

type Reply = (Vec<String>, Option<(String, Option<String>, String)>);

struct ActorConn {
    to: Sender<String>,
    from: Receiver<Reply>,
    pid: i32,
    read: Option<Option<String>>,
    in_tx: bool,
    gave_up: bool,
}

fn connect_actor(pg: &TempPostgres, db: &str, isolation: Isolation) -> Result<ActorConn, String> {
    let mut c = pg.connect(db)?;
    c.batch_execute(&format!(
        "SET default_transaction_isolation = '{}'; SET lock_timeout = '10s'; SET statement_timeout = '20s'; SET application_name = 'pgvet prove'",
        isolation.sql()
    ))
    .map_err(|e| e.to_string())?;
    let pid: i32 = c.query_one("SELECT pg_backend_pid()", &[]).map_err(|e| e.to_string())?.get(0);
    let (to, inbox) = channel::<String>();
    let (outbox, from) = channel::<Reply>();
    std::thread::spawn(move || {
        while let Ok(sql) = inbox.recv() {
            let reply = match c.simple_query(&sql) {
                Ok(msgs) => (
                    msgs.iter()
                        .filter_map(|m| match m {
                            postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or("NULL").to_string()),
                            _ => None,
                        })
                        .collect(),
                    None,
                ),
                Err(e) => {
                    let db = e.as_db_error();
                    let code = e.code().map(|c| c.code().to_string()).unwrap_or_else(|| "XX000".into());
                    let message = db.map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
                    (Vec::new(), Some((code, db.and_then(|d| d.constraint()).map(str::to_string), message)))
                }
            };
            if outbox.send(reply).is_err() {
                return;
            }
        }
    });
    Ok(ActorConn { to, from, pid, read: None, in_tx: false, gave_up: false })
}

fn is_begin(sql: &str) -> bool {
    let s = sql.trim_start().to_ascii_uppercase();
    s.starts_with("BEGIN") || s.starts_with("START TRANSACTION")
}

fn is_end(sql: &str) -> bool {
    let s = sql.trim_start().to_ascii_uppercase();
    s.starts_with("COMMIT") || s.starts_with("ROLLBACK") || s.starts_with("END")
}

/// Whether the actor sends `step` (its condition holds, it has not given up), and its SQL with
/// the value read substituted.
fn guarded(actor: &ActorConn, step: &Step) -> (bool, String) {
    let found = matches!(actor.read, Some(Some(_)));
    let skip = actor.gave_up
        || match step.when {
            When::Always => false,
            When::Found => !found,
            When::NotFound => found,
        };
    // The value as a literal: the application passes it back as a parameter.
    let read = actor.read.clone().flatten().map(|v| format!("'{}'", v.replace('\'', "''")));
    (skip, step.sql.replace("{read}", read.as_deref().unwrap_or("NULL")))
}

/// What blocks `pid`: the actors holding what it waits for, and the lock it waits for.
fn blocking(control: &mut postgres::Client, pid: i32, pids: &[i32], isolation_fn: bool) -> Result<Option<(Vec<usize>, String)>, String> {
    let blocked: bool = if isolation_fn {
        control.query_one("SELECT pg_isolation_test_session_is_blocked($1, $2)", &[&pid, &pids]).map_err(|e| e.to_string())?.get(0)
    } else {
        control.query_one("SELECT cardinality(pg_blocking_pids($1)) > 0", &[&pid]).map_err(|e| e.to_string())?.get(0)
    };
    if !blocked {
        return Ok(None);
    }
    let holders: Vec<i32> = control.query_one("SELECT pg_blocking_pids($1)", &[&pid]).map_err(|e| e.to_string())?.get(0);
    let lock: Option<String> = control
        .query_opt(
            "SELECT locktype || ' ' || mode || coalesce(' on ' || relation::regclass::text, '') FROM pg_locks WHERE pid = $1 AND NOT granted LIMIT 1",
            &[&pid],
        )
        .map_err(|e| e.to_string())?
        .map(|r| r.get(0));
    let actors = holders.iter().filter_map(|h| pids.iter().position(|p| p == h)).collect();
    Ok(Some((actors, lock.unwrap_or_default())))
}

/// Runs `steps[a]` for each actor `a` in the order `schedule` gives (actor indices), with every
/// session at `isolation`. With `retry`, an actor whose transaction failed with a serialization
/// failure (40001) or a deadlock (40P01) runs it again once the schedule is done, as an
/// application that retries does.
pub fn run(pg: &TempPostgres, db: &str, steps: &[Vec<Step>], schedule: &[usize], isolation: Isolation, retry: bool) -> Result<Run, String> {
    let mut control = pg.connect(db)?;
    let isolation_fn: bool = control
        .query_one("SELECT to_regprocedure('pg_isolation_test_session_is_blocked(integer, integer[])') IS NOT NULL", &[])
        .map_err(|e| e.to_string())?
        .get(0);
    let mut actors = Vec::new();
    for _ in steps {
        actors.push(connect_actor(pg, db, isolation)?);
    }
    let pids: Vec<i32> = actors.iter().map(|a| a.pid).collect();
    let mut next = vec![0usize; steps.len()];
    let mut pending: Vec<Option<StepResult>> = vec![None; steps.len()];
    let mut run = Run::default();
    let mut queue: VecDeque<usize> = schedule.iter().copied().collect();
    let mut deferred_rounds = 0;
    let finish = |a: usize, reply: Reply, actors: &mut Vec<ActorConn>, pending: &mut Vec<Option<StepResult>>, out: &mut Vec<StepResult>| {
        let mut r = pending[a].take().unwrap_or_default();
        let step = &steps[a][r.index];
        if step.reads {
            actors[a].read = Some(reply.0.first().cloned());
        }
        if is_begin(&r.sql) {
            actors[a].in_tx = true;
        }
        if is_end(&r.sql) {
            actors[a].in_tx = false;
        }
        r.rows = reply.0;
        if let Some((code, constraint, message)) = reply.1 {
            r.sqlstate = Some(code);
            r.constraint = constraint;
            r.message = Some(message);
            // The application gives up: it rolls back what it began.
            actors[a].gave_up = true;
            if actors[a].in_tx {
                let _ = actors[a].to.send("ROLLBACK".into());
                let _ = actors[a].from.recv_timeout(Duration::from_secs(30));
                actors[a].in_tx = false;
            }
        }
        out.push(r);
    };
    while let Some(a) = queue.pop_front() {
        // Settle the steps that waited: each has finished, or is still waiting for a lock (a
        // step just released runs to its end before the schedule goes on, as isolationtester
        // does).
        for b in 0..actors.len() {
            while pending[b].is_some() {
                match actors[b].from.recv_timeout(Duration::from_millis(2)) {
                    Ok(r) => finish(b, r, &mut actors, &mut pending, &mut run.steps),
                    Err(RecvTimeoutError::Timeout) => {
                        if blocking(&mut control, actors[b].pid, &pids, isolation_fn)?.is_some() {
                            break;
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => return Err("an actor's connection ended".into()),
                }
            }
        }
        if pending[a].is_some() {
            // Still blocked: its step waits; the schedule goes on (give up after many rounds).
            deferred_rounds += 1;
            if deferred_rounds > 4_000 {
                return Err("the schedule cannot go on: every remaining step waits for a blocked actor".into());
            }
            queue.push_back(a);
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let Some(step) = steps[a].get(next[a]) else { continue };
        let index = next[a];
        next[a] += 1;
        run.issued.push(a);
        let (skip, sql) = guarded(&actors[a], step);
        let seq = run.issued.len() - 1;
        if skip {
            run.steps.push(StepResult { actor: a, index, sql, skipped: true, seq, ..Default::default() });
            continue;
        }
        actors[a].to.send(sql.clone()).map_err(|e| e.to_string())?;
        pending[a] = Some(StepResult { actor: a, index, sql, seq, ..Default::default() });
        let mut waited = 0;
        loop {
            match actors[a].from.recv_timeout(Duration::from_millis(if waited < 5 { 2 } else { 10 })) {
                Ok(r) => {
                    finish(a, r, &mut actors, &mut pending, &mut run.steps);
                    break;
                }
                Err(RecvTimeoutError::Timeout) => {
                    waited += 1;
                    if let Some((holders, lock)) = blocking(&mut control, actors[a].pid, &pids, isolation_fn)? {
                        if let Some(p) = pending[a].as_mut() {
                            p.blocked = true;
                            p.waited_for = holders;
                            p.wait = Some(lock);
                        }
                        break;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return Err("an actor's connection ended".into()),
            }
        }
    }
    // The steps still waiting finish once the others are done (or time out).
    for a in 0..actors.len() {
        if pending[a].is_some() {
            let r = actors[a].from.recv_timeout(Duration::from_secs(30)).map_err(|_| "a blocked step never finished".to_string())?;
            finish(a, r, &mut actors, &mut pending, &mut run.steps);
        }
    }
    // Retries, one actor after the other, as an application that retries serialization failures.
    if retry {
        for a in 0..actors.len() {
            let failed = run.steps.iter().any(|s| s.actor == a && matches!(s.sqlstate.as_deref(), Some("40001" | "40P01")));
            if !failed {
                continue;
            }
            actors[a].gave_up = false;
            actors[a].read = None;
            for (index, step) in steps[a].iter().enumerate() {
                let (skip, sql) = guarded(&actors[a], step);
                let seq = run.steps.len() + 1000;
                if skip {
                    run.steps.push(StepResult { actor: a, index, sql, skipped: true, retry: true, seq, ..Default::default() });
                    continue;
                }
                actors[a].to.send(sql.clone()).map_err(|e| e.to_string())?;
                pending[a] = Some(StepResult { actor: a, index, sql, retry: true, seq, ..Default::default() });
                let r = actors[a].from.recv_timeout(Duration::from_secs(30)).map_err(|_| "a retried step never finished".to_string())?;
                finish(a, r, &mut actors, &mut pending, &mut run.steps);
            }
        }
    }
    Ok(run)
}

/// Creates database `name` from `template` and runs `seed` in it (each statement on its own, so
/// a rejected one is named); `Err` carries the server's message.
pub fn prepare(pg: &TempPostgres, template: &str, name: &str, seed: &[String]) -> Result<(), String> {
    copy_database(&mut pg.connect("postgres")?, template, name)?;
    let mut c = pg.connect(name)?;
    for s in seed {
        c.batch_execute(s).map_err(|e| format!("the seed row `{s}` was rejected: {}", crate::replay::db_message(&e)))?;
    }
    Ok(())
}

/// Fresh copies of a template, made ahead by background workers (creating a database is most of
/// a schedule's time): `take` hands out the next one; what is left is dropped with the pool.
pub struct Fresh {
    rx: Option<std::sync::mpsc::Receiver<Result<String, String>>>,
    workers: Vec<std::thread::JoinHandle<()>>,
    config: postgres::Config,
}

impl Fresh {
    pub fn new(pg: &TempPostgres, template: &str, prefix: &str, workers: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<String, String>>(0);
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let config = pg.config("postgres");
        let handles = (0..workers)
            .map(|_| {
                let (tx, counter, config) = (tx.clone(), counter.clone(), config.clone());
                let (template, prefix) = (template.to_string(), prefix.to_string());
                std::thread::spawn(move || {
                    let Ok(mut admin) = config.connect(postgres::NoTls) else {
                        let _ = tx.send(Err("cannot connect to the throwaway server".into()));
                        return;
                    };
                    loop {
                        let name = format!("{prefix}_{}", counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
                        let made = copy_database(&mut admin, &template, &name).map(|_| name.clone());
                        let failed = made.is_err();
                        if tx.send(made).is_err() || failed {
                            // Nobody wants it any more.
                            let _ = drop_with(&mut admin, &name);
                            return;
                        }
                    }
                })
            })
            .collect();
        Fresh { rx: Some(rx), workers: handles, config }
    }

    /// The next fresh copy (the caller drops it).
    pub fn take(&self) -> Result<String, String> {
        self.rx.as_ref().and_then(|rx| rx.recv().ok()).unwrap_or_else(|| Err("the database workers stopped".into()))
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        // Drop what was made ahead, then let the workers see that nobody listens.
        let rx = self.rx.take();
        let mut made = Vec::new();
        if let Some(rx) = &rx {
            while let Ok(Ok(name)) = rx.try_recv() {
                made.push(name);
            }
        }
        drop(rx);
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        if let Ok(mut admin) = self.config.connect(postgres::NoTls) {
            for name in made {
                let _ = drop_with(&mut admin, &name);
            }
        }
    }
}

/// Runs one schedule in a fresh copy of the template (dropped afterwards) and returns the run
/// and the one value `state` reads from the final database.
pub fn run_fresh(
    pg: &TempPostgres,
    fresh: &Fresh,
    steps: &[Vec<Step>],
    schedule: &[usize],
    isolation: Isolation,
    retry: bool,
    state: &str,
) -> Result<(Run, String), String> {
    let name = fresh.take()?;
    let out = run(pg, &name, steps, schedule, isolation, retry).and_then(|r| {
        let mut c = pg.connect(&name)?;
        let v: Option<String> = c.query_one(state, &[]).map_err(|e| crate::replay::db_message(&e))?.get(0);
        Ok((r, v.unwrap_or_else(|| "NULL".into())))
    });
    drop_database(pg, &name)?;
    out
}

/// Drops a database the runner made, with any session still in it.
pub fn drop_database(pg: &TempPostgres, name: &str) -> Result<(), String> {
    drop_with(&mut pg.connect("postgres")?, name)
}

fn drop_with(admin: &mut postgres::Client, name: &str) -> Result<(), String> {
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pgvet_syntax::quote_ident(name)))
        .map_err(|e| crate::replay::db_message(&e))
}

/// `CREATE DATABASE name TEMPLATE template` (WAL_LOG: measured no slower than FILE_COPY here).
fn copy_database(admin: &mut postgres::Client, template: &str, name: &str) -> Result<(), String> {
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {} TEMPLATE {} STRATEGY WAL_LOG",
            pgvet_syntax::quote_ident(name),
            pgvet_syntax::quote_ident(template)
        ))
        .map_err(|e| crate::replay::db_message(&e))
}
