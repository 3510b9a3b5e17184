//! Running a case on the server: the witness, the serial orders, every feasible interleaving,
//! and the verdicts. A verdict never overclaims: `proven` only when the server produced the
//! error on the application's path or a final state no serial order gives.
use std::collections::{BTreeMap, BTreeSet};

use pgvet_db::race::{run_fresh, Fresh, Isolation, Run, Step};
use pgvet_db::TempPostgres;
use serde::Serialize;

use crate::case::{Actor, Case};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Proven,
    NotReproduced,
    Inconclusive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixVerdict {
    Verified,
    Insufficient,
    IntroducesDeadlock,
    Inconclusive,
}

/// One executed schedule and what it showed.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub run: Run,
    pub state: String,
    /// The anomaly, in words, when there was one.
    pub anomaly: Option<String>,
    /// An application actor's error that is not the race's (a made-up value the schema refused).
    pub unexpected: Option<String>,
}

impl Outcome {
    /// The first application error of the race's kind: (SQLSTATE, constraint).
    pub fn error(&self, actors: &[Actor], errors: &[&str]) -> Option<(String, Option<String>)> {
        app_error(&self.run, actors, errors)
    }
}

/// The first error of the race's kind in an application actor's steps (retries aside).
pub fn app_error(run: &Run, actors: &[Actor], errors: &[&str]) -> Option<(String, Option<String>)> {
    run.steps
        .iter()
        .filter(|s| actors[s.actor].app && !s.retry)
        .find_map(|s| s.sqlstate.as_ref().filter(|c| errors.contains(&c.as_str())).map(|c| (c.clone(), s.constraint.clone())))
}

/// A schedule as letters, one per step issued: `AABBABAB`.
pub fn schedule_string(schedule: &[usize]) -> String {
    schedule.iter().map(|&a| (b'A' + a as u8) as char).collect()
}

/// Parses `AABB` (or `0011`) into actor indices.
pub fn parse_schedule(s: &str, actors: usize) -> Result<Vec<usize>, String> {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| {
            let i = if c.is_ascii_digit() { c as usize - '0' as usize } else { c.to_ascii_uppercase() as usize - 'A' as usize };
            if i < actors {
                Ok(i)
            } else {
                Err(format!("`{c}` in the schedule names no actor (there are {actors}: A, B)"))
            }
        })
        .collect()
}

/// Runs cases on one server: a database per case (migrations + seed) and a fresh copy of it per
/// schedule.
pub struct Runner<'a> {
    pub pg: &'a TempPostgres,
    /// The database with the project's migrations applied.
    pub base: String,
    next: usize,
    /// Schedules executed so far.
    pub runs: usize,
    /// Fresh copies of the current case's template.
    fresh: Option<(String, Fresh)>,
}

impl<'a> Runner<'a> {
    pub fn new(pg: &'a TempPostgres, base: &str) -> Self {
        Runner { pg, base: base.into(), next: 0, runs: 0, fresh: None }
    }

    /// Creates the case's template database (the base plus the seed rows).
    pub fn template(&mut self, seed: &[String]) -> Result<String, String> {
        self.next += 1;
        let name = format!("pgvet_case_{}", self.next);
        pgvet_db::race::prepare(self.pg, &self.base, &name, seed)?;
        // Copies of it are made ahead, two at a time.
        self.fresh = Some((name.clone(), Fresh::new(self.pg, &name, &format!("{name}_run"), 2)));
        Ok(name)
    }

    /// Drops the case's template and its copies.
    pub fn finish(&mut self, template: &str) {
        self.fresh = None;
        let _ = pgvet_db::race::drop_database(self.pg, template);
    }

    fn once(
        &mut self,
        template: &str,
        actors: &[Actor],
        schedule: &[usize],
        iso: Isolation,
        retry: bool,
        state: &str,
    ) -> Result<(Run, String), String> {
        self.runs += 1;
        let steps: Vec<Vec<Step>> = actors.iter().map(|a| a.steps.clone()).collect();
        match &self.fresh {
            Some((t, fresh)) if t == template => run_fresh(self.pg, fresh, &steps, schedule, iso, retry, state),
            _ => Err(format!("no copies of {template} are being made")),
        }
    }

    /// The final states of the serial orders (each actor alone, one after the other).
    pub fn serial(
        &mut self,
        template: &str,
        actors: &[Actor],
        iso: Isolation,
        state: &str,
    ) -> Result<Vec<(Vec<usize>, Run, String)>, String> {
        let mut out = Vec::new();
        let orders: Vec<Vec<usize>> = if actors.len() == 2 { vec![vec![0, 1], vec![1, 0]] } else { vec![(0..actors.len()).collect()] };
        for order in orders {
            let schedule: Vec<usize> = order.iter().flat_map(|&a| vec![a; actors[a].steps.len()]).collect();
            let (run, s) = self.once(template, actors, &schedule, iso, false, state)?;
            out.push((schedule, run, s));
        }
        Ok(out)
    }

    /// Runs a schedule and judges it against the serial states.
    #[allow(clippy::too_many_arguments)]
    pub fn judge(
        &mut self,
        template: &str,
        case: &Case,
        actors: &[Actor],
        schedule: &[usize],
        iso: Isolation,
        retry: bool,
        serial: &BTreeSet<String>,
    ) -> Result<Outcome, String> {
        let (run, state) = self.once(template, actors, schedule, iso, retry, &case.state)?;
        Ok(judge(case, actors, run, state, serial))
    }

    /// Every feasible interleaving of the actors' steps (a schedule that asks a blocked actor to
    /// go on is never run twice: its prefix is remembered as infeasible), at most `limit` runs.
    pub fn explore(
        &mut self,
        template: &str,
        case: &Case,
        actors: &[Actor],
        iso: Isolation,
        serial: &BTreeSet<String>,
        limit: usize,
    ) -> Result<Exploration, String> {
        // A BEGIN commutes with every other session's step (PostgreSQL takes the snapshot at the
        // transaction's first statement): it runs glued to its actor's next step, and
        // interleavings that differ only in where a BEGIN falls are run once.
        let units: Vec<Vec<usize>> = actors.iter().map(|a| units(&a.steps)).collect();
        let counts: Vec<usize> = units.iter().map(Vec::len).collect();
        let mut infeasible: Vec<Vec<usize>> = Vec::new();
        let mut seen: BTreeSet<Vec<usize>> = BTreeSet::new();
        let mut ex = Exploration::default();
        for by_unit in interleavings(&counts) {
            let mut next = vec![0usize; actors.len()];
            let requested: Vec<usize> = by_unit
                .iter()
                .flat_map(|&a| {
                    next[a] += 1;
                    vec![a; units[a][next[a] - 1]]
                })
                .collect();
            if infeasible.iter().any(|p| requested.starts_with(p)) {
                continue;
            }
            if ex.runs >= limit {
                ex.truncated = true;
                break;
            }
            let outcome = self.judge(template, case, actors, &requested, iso, false, serial)?;
            ex.runs += 1;
            let issued = outcome.run.issued.clone();
            if let Some(k) = requested.iter().zip(&issued).position(|(a, b)| a != b) {
                infeasible.push(requested[..=k].to_vec());
            }
            if !seen.insert(issued.clone()) {
                continue;
            }
            ex.feasible += 1;
            let key = class_key(case, actors, &outcome);
            let class = ex.classes.entry(key.clone()).or_insert_with(|| Class {
                outcome: key,
                anomaly: outcome.anomaly.clone(),
                unexpected: outcome.unexpected.clone(),
                count: 0,
                schedule: schedule_string(&issued),
                example: outcome.clone(),
            });
            class.count += 1;
        }
        Ok(ex)
    }
}

/// The verdict of one run against the serial final states.
pub fn judge(case: &Case, actors: &[Actor], run: Run, state: String, serial: &BTreeSet<String>) -> Outcome {
    let mut out = Outcome { run, state, anomaly: None, unexpected: None };
    if let Some((code, constraint)) = out.error(actors, case.errors) {
        let on = constraint.map(|c| format!(" on {c}")).unwrap_or_default();
        out.anomaly = Some(format!("{code}{on} in the application's path"));
    } else if let Some(s) = out.run.steps.iter().find(|s| actors[s.actor].app && s.sqlstate.is_some() && !s.retry) {
        out.unexpected =
            Some(format!("{} {}: {}", s.sqlstate.as_deref().unwrap_or(""), s.sql, s.message.as_deref().unwrap_or("the server refused it")));
    } else if !serial.is_empty() && !serial.contains(&out.state) {
        // The second oracle, when it holds: the sessions that wrote all read the same value first
        // (every write changes it, so it was the same row version).
        let reads: Vec<(usize, &str)> = out
            .run
            .steps
            .iter()
            .filter(|s| actors[s.actor].app && !s.retry && actors[s.actor].steps.get(s.index).is_some_and(|st| st.reads))
            .filter_map(|s| s.rows.first().map(|r| (s.actor, r.as_str())))
            .collect();
        let same = reads.len() >= 2 && reads.iter().all(|(_, v)| *v == reads[0].1);
        let both = if same {
            let names: Vec<&str> = reads.iter().map(|(a, _)| actors[*a].name.as_str()).collect();
            let all = if names.len() == 2 { "both" } else { "all" };
            format!(" ({} {all} read {} and each wrote its own change over it)", names.join(" and "), reads[0].1)
        } else {
            String::new()
        };
        out.anomaly = Some(format!(
            "{} is {}; the serial orders give {}{both}",
            case.state_label,
            out.state,
            serial.iter().cloned().collect::<Vec<_>>().join(" or ")
        ));
    }
    out
}

/// What a run ended as, per actor, and the final state: runs with the same key are one class.
fn class_key(case: &Case, actors: &[Actor], o: &Outcome) -> String {
    let mut parts = Vec::new();
    for (i, a) in actors.iter().enumerate() {
        let err = o.run.steps.iter().find(|s| s.actor == i && s.sqlstate.is_some());
        let skipped = o.run.steps.iter().any(|s| s.actor == i && s.skipped && err.is_none());
        parts.push(match err {
            Some(s) => format!(
                "{} {}{}",
                a.name,
                s.sqlstate.as_deref().unwrap_or(""),
                s.constraint.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
            ),
            None if skipped => format!("{} found nothing to do", a.name),
            None => format!("{} ok", a.name),
        });
    }
    format!("{}; {} = {}", parts.join(", "), case.state_label, o.state)
}

#[derive(Debug, Clone, Default)]
pub struct Exploration {
    /// Schedules run (infeasible requests deferred by the runner included).
    pub runs: usize,
    /// Distinct feasible interleavings.
    pub feasible: usize,
    pub classes: BTreeMap<String, Class>,
    pub truncated: bool,
}

/// Runs that ended the same way.
#[derive(Debug, Clone)]
pub struct Class {
    pub outcome: String,
    pub anomaly: Option<String>,
    pub unexpected: Option<String>,
    pub count: usize,
    /// The first schedule that ended this way (`AABB...`).
    pub schedule: String,
    pub example: Outcome,
}

/// An actor's steps as units: a BEGIN with the statement after it, every other step alone.
fn units(steps: &[Step]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < steps.len() {
        let begin = steps[i].sql.trim().eq_ignore_ascii_case("BEGIN");
        let n = if begin && i + 1 < steps.len() { 2 } else { 1 };
        out.push(n);
        i += n;
    }
    out
}

/// All interleavings of actors with `counts` steps, in lexicographic order.
pub fn interleavings(counts: &[usize]) -> Vec<Vec<usize>> {
    fn rec(left: &mut Vec<usize>, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if left.iter().all(|&n| n == 0) {
            out.push(cur.clone());
            return;
        }
        for a in 0..left.len() {
            if left[a] > 0 {
                left[a] -= 1;
                cur.push(a);
                rec(left, cur, out);
                cur.pop();
                left[a] += 1;
            }
        }
    }
    let mut out = Vec::new();
    rec(&mut counts.to_vec(), &mut Vec::new(), &mut out);
    out
}

/// The fix's verdict from its exploration.
pub fn fix_verdict(ex: &Exploration) -> (FixVerdict, Option<&Class>) {
    if let Some(c) = ex.classes.values().find(|c| c.example.run.steps.iter().any(|s| s.sqlstate.as_deref() == Some("40P01"))) {
        return (FixVerdict::IntroducesDeadlock, Some(c));
    }
    if let Some(c) = ex.classes.values().find(|c| c.anomaly.is_some()) {
        return (FixVerdict::Insufficient, Some(c));
    }
    if let Some(c) = ex.classes.values().find(|c| c.unexpected.is_some()) {
        return (FixVerdict::Inconclusive, Some(c));
    }
    if ex.truncated || ex.feasible == 0 {
        return (FixVerdict::Inconclusive, None);
    }
    (FixVerdict::Verified, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleavings_are_all_the_merges() {
        assert_eq!(interleavings(&[2, 2]).len(), 6);
        assert_eq!(interleavings(&[4, 4]).len(), 70);
        assert_eq!(interleavings(&[1, 2])[0], [0, 1, 1]);
        assert_eq!(schedule_string(&[0, 1, 1]), "ABB");
        assert_eq!(parse_schedule("AB b", 2).unwrap(), [0, 1, 1]);
        assert!(parse_schedule("AC", 2).is_err());
        let s = |q: &str| Step::new(q);
        assert_eq!(units(&[s("BEGIN"), s("SELECT 1"), s("UPDATE t"), s("COMMIT")]), [2, 1, 1]);
        assert_eq!(units(&[s("SELECT 1"), s("begin")]), [1, 1]);
    }
}
