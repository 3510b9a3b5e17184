//! `pgvet prove` (issue 14): a race finding becomes a case (actors, seed rows, the witness
//! schedule, the final-state query, the suggested fixes), the case runs on a throwaway
//! PostgreSQL with the project's migrations applied, and the server's answer becomes the
//! verdict: `proven` only when the server produced the error on the application's path or a
//! final state no serial order gives. Then the witness under every isolation level, every
//! feasible interleaving (`--explore`), and each suggested fix over every feasible interleaving.
//! Connections stay in pgvet-db; this crate decides what to run and what it means.
pub mod case;
pub mod explore;
pub mod render;

use std::collections::BTreeSet;
use std::time::Instant;

use pgvet_catalog::Catalog;
use pgvet_db::race::Isolation;
use pgvet_linter::race::RaceSite;

pub use case::{build, Case};
pub use explore::{Exploration, FixVerdict, Outcome, Runner, Verdict};

/// The rules whose findings carry a race pgvet can run.
pub const RULES: &[&str] = &["lost-update", "fk-read-then-insert-race", "orm-upsert-not-atomic", "on-conflict-other-unique"];

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The level the witness (and the fixes) run at.
    pub isolation: Isolation,
    /// Every feasible interleaving of the race itself, grouped into outcome classes.
    pub explore: bool,
    /// A schedule to run instead of the witness (`AABB`).
    pub schedule: Option<String>,
    /// Runs per exploration at most.
    pub limit: usize,
    /// Seed statements to run instead of the made-up rows (a fixture file).
    pub seed: Option<Vec<String>>,
}

impl Default for Options {
    fn default() -> Self {
        Options { isolation: Isolation::ReadCommitted, explore: false, schedule: None, limit: 400, seed: None }
    }
}

/// The witness under one isolation level, retrying serialization failures.
#[derive(Debug, Clone)]
pub struct MatrixRow {
    pub isolation: Isolation,
    pub outcome: Outcome,
    /// The final state is one a serial order gives (after retries).
    pub serial_state: bool,
}

/// A fix, run over every feasible interleaving.
#[derive(Debug, Clone)]
pub struct FixProof {
    pub description: String,
    /// The rule suggests it (else it is shown for comparison).
    pub suggested: bool,
    pub verdict: FixVerdict,
    pub exploration: Exploration,
    /// The failing (or unexpected) class, for `insufficient` and `introduces-deadlock`.
    pub failing: Option<explore::Class>,
    /// Errors the fix moved to another session: (actor, SQLSTATE, interleavings).
    pub moved: Vec<(String, String, usize)>,
    pub reason: Option<String>,
}

/// What the server showed for one finding.
#[derive(Debug, Clone)]
pub struct Proof {
    pub verdict: Verdict,
    /// Why, in words.
    pub reason: String,
    pub case: Option<Case>,
    pub isolation: Isolation,
    pub schedule: Vec<usize>,
    pub witness: Option<Outcome>,
    /// Serial orders and their final states.
    pub serial: Vec<(String, String)>,
    pub matrix: Vec<MatrixRow>,
    pub explored: Option<Exploration>,
    pub fixes: Vec<FixProof>,
    pub seconds: f64,
}

impl Proof {
    fn inconclusive(reason: String, case: Option<Case>, isolation: Isolation, started: Instant) -> Self {
        Proof {
            verdict: Verdict::Inconclusive,
            reason,
            case,
            isolation,
            schedule: vec![],
            witness: None,
            serial: vec![],
            matrix: vec![],
            explored: None,
            fixes: vec![],
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}

/// Proves one finding's race with `runner` (whose base database has the migrations applied).
pub fn prove(runner: &mut Runner, catalog: &Catalog, site: &RaceSite, opts: &Options) -> Proof {
    let started = Instant::now();
    let iso = opts.isolation;
    let case = match case::build(catalog, site) {
        Ok(mut c) => {
            if let Some(seed) = &opts.seed {
                c.seed = seed.clone();
            }
            c
        }
        Err(why) => return Proof::inconclusive(format!("no race case: {why}"), None, iso, started),
    };
    match run_case(runner, &case, opts) {
        Ok(mut p) => {
            p.case = Some(case);
            p.seconds = started.elapsed().as_secs_f64();
            p
        }
        Err(why) => Proof::inconclusive(why, Some(case), iso, started),
    }
}

fn run_case(runner: &mut Runner, case: &Case, opts: &Options) -> Result<Proof, String> {
    let iso = opts.isolation;
    let template = runner.template(&case.seed)?;
    let serial_runs = runner.serial(&template, &case.actors, iso, &case.state)?;
    let serial: BTreeSet<String> = serial_runs.iter().map(|(_, _, s)| s.clone()).collect();
    let schedule = match &opts.schedule {
        Some(s) => explore::parse_schedule(s, case.actors.len())?,
        None => case.witness.clone(),
    };
    let witness = runner.judge(&template, case, &case.actors, &schedule, iso, false, &serial)?;
    let (verdict, reason) = match (&witness.anomaly, &witness.unexpected) {
        (Some(a), _) => {
            // An error the serial orders give too is no race: every second writer fails.
            let serial_error = serial_runs.iter().find_map(|(_, run, _)| explore::app_error(run, &case.actors, case.errors));
            let also = if serial_error.is_some() { " (the serial orders get it too: not a race; any second writer fails)" } else { "" };
            (Verdict::Proven, format!("the server produced it: {a}{also}"))
        }
        (None, Some(u)) => (Verdict::Inconclusive, format!("the server refused a statement pgvet made up: {u}")),
        (None, None) => (
            Verdict::NotReproduced,
            format!("this schedule ended as a serial order would ({} = {}); try --explore", case.state_label, witness.state),
        ),
    };
    let mut matrix = Vec::new();
    for level in Isolation::ALL {
        let o = runner.judge(&template, case, &case.actors, &schedule, level, true, &serial)?;
        let serial_state = serial.contains(&o.state);
        matrix.push(MatrixRow { isolation: level, outcome: o, serial_state });
    }
    let explored = if opts.explore { Some(runner.explore(&template, case, &case.actors, iso, &serial, opts.limit)?) } else { None };
    let mut fixes = Vec::new();
    for fix in &case.fixes {
        let fix_serial: BTreeSet<String> =
            runner.serial(&template, &fix.actors, iso, &case.state)?.into_iter().map(|(_, _, s)| s).collect();
        let ex = runner.explore(&template, case, &fix.actors, iso, &fix_serial, opts.limit)?;
        let (v, failing) = explore::fix_verdict(&ex);
        let failing = failing.cloned();
        let mut moved: Vec<(String, String, usize)> = Vec::new();
        for c in ex.classes.values() {
            for s in c.example.run.steps.iter().filter(|s| !fix.actors[s.actor].app) {
                if let Some(code) = &s.sqlstate {
                    let name = fix.actors[s.actor].name.clone();
                    match moved.iter_mut().find(|(a, k, _)| *a == name && k == code) {
                        Some(m) => m.2 += c.count,
                        None => moved.push((name, code.clone(), c.count)),
                    }
                }
            }
        }
        let reason = match v {
            FixVerdict::Inconclusive if ex.truncated => Some(format!("more than {} interleavings; not all were run", opts.limit)),
            FixVerdict::Inconclusive => failing.as_ref().and_then(|c| c.unexpected.clone()),
            _ => None,
        };
        fixes.push(FixProof {
            description: fix.description.clone(),
            suggested: fix.suggested,
            verdict: v,
            exploration: ex,
            failing,
            moved,
            reason,
        });
    }
    runner.finish(&template);
    Ok(Proof {
        verdict,
        reason,
        case: None,
        isolation: iso,
        schedule,
        witness: Some(witness),
        serial: serial_runs.into_iter().map(|(s, _, st)| (explore::schedule_string(&s), st)).collect(),
        matrix,
        explored,
        fixes,
        seconds: 0.0,
    })
}
