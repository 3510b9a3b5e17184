//! The race runner (issue 14, first part): actors, each on its own connection to a throwaway
//! server, run their steps in a given interleaving. A step that blocks on a lock is detected from
//! a control connection (`pg_blocking_pids`) and the schedule goes on with the other actors: a
//! blocked actor's later steps are deferred, never forced. Each step's rows or SQLSTATE is
//! recorded. Values flow from one step to the next: `{read}` in a step is the first column of
//! the actor's last result row (what the application computed from).
use std::collections::VecDeque;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::TempPostgres;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl Isolation {
    fn sql(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read committed",
            Isolation::RepeatableRead => "repeatable read",
            Isolation::Serializable => "serializable",
        }
    }
}

/// One step as it ran.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub actor: usize,
    pub sql: String,
    /// First column of each row returned.
    pub rows: Vec<String>,
    pub sqlstate: Option<String>,
    /// It waited for another actor's lock.
    pub blocked: bool,
}

type Reply = (Vec<String>, Option<String>);

struct ActorConn {
    to: Sender<String>,
    from: Receiver<Reply>,
    pid: i32,
    read: Option<String>,
}

/// Runs `steps[a]` for each actor `a` in the order `schedule` gives (actor indices), with every
/// session at `isolation`; returns the steps as they completed.
pub fn run(
    pg: &TempPostgres,
    db: &str,
    steps: &[Vec<String>],
    schedule: &[usize],
    isolation: Isolation,
) -> Result<Vec<StepResult>, String> {
    let mut control = pg.connect(db)?;
    let mut actors = Vec::new();
    for _ in steps {
        let mut c = pg.connect(db)?;
        c.batch_execute(&format!(
            "SET default_transaction_isolation = '{}'; SET lock_timeout = '10s'; SET statement_timeout = '20s'",
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
                    Err(e) => (Vec::new(), Some(e.code().map(|c| c.code().to_string()).unwrap_or_else(|| e.to_string()))),
                };
                if outbox.send(reply).is_err() {
                    return;
                }
            }
        });
        actors.push(ActorConn { to, from, pid, read: None });
    }
    let mut next = vec![0usize; steps.len()];
    let mut pending: Vec<Option<(String, bool)>> = vec![None; steps.len()];
    let mut out = Vec::new();
    let mut queue: VecDeque<usize> = schedule.iter().copied().collect();
    let mut deferred_rounds = 0;
    let finish =
        |a: usize, reply: Reply, actors: &mut Vec<ActorConn>, pending: &mut Vec<Option<(String, bool)>>, out: &mut Vec<StepResult>| {
            let (sql, blocked) = pending[a].take().unwrap_or_default();
            if let Some(v) = reply.0.first() {
                actors[a].read = Some(v.clone());
            }
            out.push(StepResult { actor: a, sql, rows: reply.0, sqlstate: reply.1, blocked });
        };
    while let Some(a) = queue.pop_front() {
        // Collect what blocked actors finished meanwhile.
        for b in 0..actors.len() {
            if pending[b].is_some() {
                if let Ok(r) = actors[b].from.try_recv() {
                    finish(b, r, &mut actors, &mut pending, &mut out);
                }
            }
        }
        if pending[a].is_some() {
            // Still blocked: its step waits; the schedule goes on (give up after many rounds).
            deferred_rounds += 1;
            if deferred_rounds > 10_000 {
                return Err("the schedule cannot go on: every remaining step waits for a blocked actor".into());
            }
            queue.push_back(a);
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let Some(template) = steps[a].get(next[a]) else { continue };
        next[a] += 1;
        let sql = template.replace("{read}", actors[a].read.as_deref().unwrap_or("NULL"));
        actors[a].to.send(sql.clone()).map_err(|e| e.to_string())?;
        pending[a] = Some((sql, false));
        loop {
            match actors[a].from.recv_timeout(Duration::from_millis(200)) {
                Ok(r) => {
                    finish(a, r, &mut actors, &mut pending, &mut out);
                    break;
                }
                Err(RecvTimeoutError::Timeout) => {
                    let blocked: bool = control
                        .query_one("SELECT cardinality(pg_blocking_pids($1)) > 0", &[&actors[a].pid])
                        .map_err(|e| e.to_string())?
                        .get(0);
                    if blocked {
                        if let Some(p) = pending[a].as_mut() {
                            p.1 = true;
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
            finish(a, r, &mut actors, &mut pending, &mut out);
        }
    }
    Ok(out)
}
