//! How a proof is shown: a two-column timeline for the terminal, JSON, and an isolationtester
//! spec of the executed schedule.
use pgvet_db::race::{Isolation, StepResult};
use serde_json::{json, Value};

use crate::explore::{Class, Exploration};
use crate::{FixProof, Outcome, Proof};

/// Where the finding is: rule, path, line, column.
pub struct At<'a> {
    pub rule: &'a str,
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
}

fn level(i: Isolation) -> String {
    i.sql().to_uppercase()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a step got; `steps` is the whole run (why a step was not sent).
fn result_text(s: &StepResult, steps: &[StepResult]) -> String {
    if s.skipped {
        let gave_up = steps.iter().any(|p| p.actor == s.actor && p.seq < s.seq && p.sqlstate.is_some() && p.retry == s.retry);
        return if gave_up {
            "(not sent: the application gave up after the error; its transaction was rolled back)".into()
        } else {
            "(not sent: the application's `if` on what it read did not hold)".into()
        };
    }
    let mut out = String::new();
    match &s.sqlstate {
        Some(code) => {
            out.push_str(&format!("ERROR {code}"));
            if let Some(c) = &s.constraint {
                out.push_str(&format!(" on {c}"));
            }
            if let Some(m) = &s.message {
                out.push_str(&format!(": {m}"));
            }
        }
        None if s.rows.is_empty() => out.push_str("ok"),
        None => out.push_str(&format!("→ {}", s.rows.join(", "))),
    }
    if s.retry {
        out = format!("(retry) {out}");
    }
    out
}

fn wrap_text(s: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for w in s.split_whitespace() {
        let last = lines.last_mut().unwrap();
        if !last.is_empty() && last.chars().count() + 1 + w.chars().count() > width {
            lines.push(w.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(w);
        }
    }
    lines
}

/// The steps as two (or more) columns, in the order they were sent; a step that waited shows
/// where it started waiting and, again, where it finished (after the step that released it).
pub fn timeline(steps: &[StepResult], names: &[String], width: usize) -> String {
    let cols = names.len().max(1);
    let w = (width.saturating_sub(3 * (cols - 1)) / cols).max(24);
    let mut out = String::new();
    let header: Vec<String> = names.iter().map(|n| format!("{n:<w$}")).collect();
    out.push_str(&format!("  {}\n", header.join(" │ ").trim_end()));
    out.push_str(&format!("  {}\n", vec!["─".repeat(w); cols].join("─┼─")));
    // (time, order, step, is the completion of a step that waited)
    let mut events: Vec<(usize, usize, &StepResult, bool)> = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        events.push((s.seq, 0, s, false));
        if s.blocked {
            let released_by = steps[..i].iter().rev().find(|p| !p.blocked || p.seq > s.seq).map(|p| p.seq.max(s.seq)).unwrap_or(s.seq);
            events.push((released_by, 1 + i, s, true));
        }
    }
    events.sort_by_key(|e| (e.0, e.1));
    for (_, _, s, completion) in events {
        let mut text = Vec::new();
        if completion {
            text.extend(wrap_text(&format!("… {}", result_text(s, steps)), w));
        } else {
            text.extend(wrap_text(&one_line(&s.sql), w));
            let r = if s.blocked {
                let who: Vec<&str> = s.waited_for.iter().map(|&a| names[a].split(' ').next().unwrap_or("")).collect();
                format!("waits for {} ({})", who.join(", "), s.wait.as_deref().unwrap_or("a lock"))
            } else {
                result_text(s, steps)
            };
            text.extend(wrap_text(&r, w.saturating_sub(2)).into_iter().map(|l| format!("  {l}")));
        }
        for l in text {
            let row: Vec<String> = (0..cols).map(|c| if c == s.actor { format!("{l:<w$}") } else { " ".repeat(w) }).collect();
            out.push_str(&format!("  {}\n", row.join(" │ ").trim_end()));
        }
    }
    out
}

fn class_line(c: &Class) -> String {
    let mark = if c.anomaly.is_some() {
        "ANOMALY "
    } else if c.unexpected.is_some() {
        "UNEXPECTED "
    } else {
        ""
    };
    format!("{:>4} × {mark}{} (e.g. {})", c.count, c.outcome, c.schedule)
}

fn exploration_text(ex: &Exploration) -> String {
    let mut out = format!(
        "{} feasible interleavings ({} schedules run{}):\n",
        ex.feasible,
        ex.runs,
        if ex.truncated { ", stopped at the limit" } else { "" }
    );
    for c in ex.classes.values() {
        out.push_str(&format!("    {}\n", class_line(c)));
    }
    out
}

fn fix_text(f: &FixProof, names: &[String], width: usize) -> String {
    let mut out = format!(
        "  {}: {}\n    {}: over {} feasible interleavings at the same level\n",
        if f.suggested { "fix" } else { "a common fix that is not one on its own" },
        f.description,
        serde_json::to_value(f.verdict).ok().and_then(|v| v.as_str().map(str::to_uppercase)).unwrap_or_default(),
        f.exploration.feasible
    );
    for (actor, code, n) in &f.moved {
        out.push_str(&format!("    the error moved: {actor} (the other session) gets {code} in {n} of them\n"));
    }
    if let Some(r) = &f.reason {
        out.push_str(&format!("    {r}\n"));
    }
    if let Some(c) = &f.failing {
        out.push_str(&format!("    failing schedule {}: {}\n", c.schedule, c.outcome));
        out.push_str(&timeline(&c.example.run.steps, names, width).lines().map(|l| format!("  {l}\n")).collect::<String>());
    }
    out
}

/// The proof for a terminal.
pub fn text(at: &At, p: &Proof, width: usize) -> String {
    let verdict = serde_json::to_value(p.verdict).ok().and_then(|v| v.as_str().map(str::to_uppercase)).unwrap_or_default();
    let mut out = format!("{}:{}:{}: {} — {verdict}\n", at.file, at.line, at.column, at.rule);
    out.push_str(&format!("  {}\n", p.reason));
    let Some(case) = &p.case else { return out };
    let names: Vec<String> = case
        .actors
        .iter()
        .map(|a| if a.app { format!("{} (the application)", a.name) } else { format!("{} (another session)", a.name) })
        .collect();
    out.push_str(&format!("  {}, at {}; {}\n", case.transport, level(p.isolation), p.seconds_text()));
    if let Some(m) = &case.model {
        out.push_str(&format!("  {m}\n"));
    }
    for s in &case.seed {
        out.push_str(&format!("  seed: {}\n", one_line(s)));
    }
    if let Some(w) = &p.witness {
        out.push_str(&format!("\n  schedule {}:\n", crate::explore::schedule_string(&p.schedule)));
        out.push_str(&timeline(&w.run.steps, &names, width));
        out.push_str(&format!("\n  outcome: {} = {}", case.state_label, w.state));
        let serial: Vec<String> = p.serial.iter().map(|(s, st)| format!("{s} → {st}")).collect();
        out.push_str(&format!("; serial orders: {}\n", serial.join(", ")));
    }
    if !p.matrix.is_empty() {
        out.push_str("  isolation levels (same schedule; a serialization failure is retried):\n");
        if !case.actors.iter().any(|a| a.steps.iter().any(|s| s.sql.eq_ignore_ascii_case("BEGIN"))) {
            out.push_str("    (each statement is its own transaction: no isolation level spans the read and the write)\n");
        }
        for m in &p.matrix {
            out.push_str(&format!("    {:<16} {}\n", level(m.isolation), matrix_text(&m.outcome, m.serial_state, case)));
        }
    }
    if let Some(ex) = &p.explored {
        out.push_str(&format!("  the race, {}", exploration_text(ex)));
    }
    for f in &p.fixes {
        out.push_str(&fix_text(f, &names, width));
    }
    out
}

fn matrix_text(o: &Outcome, serial_state: bool, case: &crate::Case) -> String {
    let first_error = o.run.steps.iter().find(|s| s.sqlstate.is_some() && !s.retry);
    let err = first_error
        .map(|s| {
            format!(
                "{} gets {}{}",
                case.actors[s.actor].name,
                s.sqlstate.as_deref().unwrap_or(""),
                s.constraint.as_ref().map(|c| format!(" on {c}")).unwrap_or_default()
            )
        })
        .unwrap_or_else(|| "no error".into());
    let retried = if o.run.steps.iter().any(|s| s.retry) { ", retried" } else { "" };
    let verdict = if serial_state { "a serial outcome" } else { "NOT a serial outcome" };
    format!("{err}{retried}; {} = {} ({verdict})", case.state_label, o.state)
}

impl Proof {
    fn seconds_text(&self) -> String {
        format!("{:.1} s", self.seconds)
    }
}

fn steps_json(steps: &[StepResult], names: &[String]) -> Value {
    Value::Array(
        steps
            .iter()
            .map(|s| {
                json!({
                    "actor": names.get(s.actor),
                    "sql": s.sql,
                    "rows": s.rows,
                    "sqlstate": s.sqlstate,
                    "constraint": s.constraint,
                    "blocked": s.blocked,
                    "waited_for": s.waited_for.iter().map(|&a| names.get(a)).collect::<Vec<_>>(),
                    "wait": s.wait,
                    "skipped": s.skipped,
                    "retry": s.retry,
                })
            })
            .collect(),
    )
}

fn exploration_json(ex: &Exploration, names: &[String]) -> Value {
    json!({
        "runs": ex.runs,
        "feasible": ex.feasible,
        "truncated": ex.truncated,
        "classes": ex.classes.values().map(|c| json!({
            "outcome": c.outcome,
            "count": c.count,
            "schedule": c.schedule,
            "anomaly": c.anomaly,
            "unexpected": c.unexpected,
            "steps": steps_json(&c.example.run.steps, names),
        })).collect::<Vec<_>>(),
    })
}

fn fix_json(f: &FixProof, names: &[String]) -> Value {
    json!({
        "description": f.description,
        "suggested": f.suggested,
        "verdict": f.verdict,
        "interleavings": f.exploration.feasible,
        "schedule": f.failing.as_ref().map(|c| c.schedule.clone()),
        "failing": f.failing.as_ref().map(|c| c.outcome.clone()),
        "moved": f.moved.iter().map(|(a, code, n)| json!({"actor": a, "sqlstate": code, "interleavings": n})).collect::<Vec<_>>(),
        "reason": f.reason,
        "exploration": exploration_json(&f.exploration, names),
    })
}

/// One proof as JSON (`{"rule", "file", "line", "verdict", "sqlstate", "constraint", "schedule",
/// "isolation", "fix": {...}, ...}`).
pub fn json(at: &At, p: &Proof) -> Value {
    let names: Vec<String> = p.case.as_ref().map(|c| c.actors.iter().map(|a| a.name.clone()).collect()).unwrap_or_default();
    let err = p.witness.as_ref().and_then(|w| p.case.as_ref().and_then(|c| w.error(&c.actors, c.errors)));
    json!({
        "rule": at.rule,
        "file": at.file,
        "line": at.line,
        "column": at.column,
        "verdict": p.verdict,
        "reason": p.reason,
        "sqlstate": err.as_ref().map(|e| e.0.clone()),
        "constraint": err.and_then(|e| e.1),
        "schedule": crate::explore::schedule_string(&p.schedule),
        "isolation": p.isolation.short(),
        "transport": p.case.as_ref().map(|c| c.transport.clone()),
        "model": p.case.as_ref().and_then(|c| c.model.clone()),
        "seed": p.case.as_ref().map(|c| c.seed.clone()),
        "state": p.witness.as_ref().map(|w| json!({"of": p.case.as_ref().map(|c| c.state_label.clone()), "value": w.state})),
        "serial": p.serial.iter().map(|(s, st)| json!({"schedule": s, "state": st})).collect::<Vec<_>>(),
        "steps": p.witness.as_ref().map(|w| steps_json(&w.run.steps, &names)),
        "matrix": p.matrix.iter().map(|m| {
            let first = m.outcome.run.steps.iter().find(|s| s.sqlstate.is_some() && !s.retry);
            json!({
                "isolation": m.isolation.short(),
                "sqlstate": first.and_then(|s| s.sqlstate.clone()),
                "constraint": first.and_then(|s| s.constraint.clone()),
                "retried": m.outcome.run.steps.iter().any(|s| s.retry),
                "state": m.outcome.state,
                "serial_state": m.serial_state,
            })
        }).collect::<Vec<_>>(),
        "explored": p.explored.as_ref().map(|e| exploration_json(e, &names)),
        "fix": p.fixes.first().map(|f| fix_json(f, &names)),
        "other_fixes": p.fixes.iter().skip(1).map(|f| fix_json(f, &names)).collect::<Vec<_>>(),
        "seconds": (p.seconds * 100.0).round() / 100.0,
    })
}

/// An isolationtester spec of the executed witness: the seed as setup, one session per actor
/// with the statements as they ran (values the application computed substituted), and the
/// permutation in the order the steps were issued.
pub fn isolation_spec(at: &At, p: &Proof) -> Option<String> {
    let case = p.case.as_ref()?;
    let w = p.witness.as_ref()?;
    let mut out = format!(
        "# {} at {}:{} — {} by pgvet prove.\n# Run on a throwaway copy of a database with the project's migrations applied (the spec holds\n# the seed rows only): isolationtester CONNINFO < this.spec\n",
        at.rule,
        at.file,
        at.line,
        serde_json::to_value(p.verdict).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    );
    if !case.seed.is_empty() {
        out.push_str("\nsetup\n{\n");
        for s in &case.seed {
            out.push_str(&format!("  {};\n", s));
        }
        out.push_str("}\n");
    }
    let mut names: Vec<Vec<String>> = vec![Vec::new(); case.actors.len()];
    let mut order = Vec::new();
    for (i, a) in case.actors.iter().enumerate() {
        out.push_str(&format!(
            "\nsession {}\nsetup {{ SET default_transaction_isolation = '{}'; }}\n",
            a.name.to_lowercase(),
            p.isolation.sql()
        ));
        let mut steps: Vec<&StepResult> = w.run.steps.iter().filter(|s| s.actor == i && !s.skipped && !s.retry).collect();
        steps.sort_by_key(|s| s.index);
        for s in steps {
            let name = format!("{}{}", a.name.to_lowercase(), s.index + 1);
            out.push_str(&format!("step {name} {{ {}; }}\n", one_line(&s.sql)));
            names[i].push(name);
        }
    }
    // Issue order, skipped steps left out.
    let mut next = vec![0usize; case.actors.len()];
    for &a in &w.run.issued {
        let idx = next[a];
        next[a] += 1;
        if w.run.steps.iter().any(|s| s.actor == a && s.index == idx && !s.skipped && !s.retry) {
            let n = names[a]
                .iter()
                .find(|n| n.ends_with(&format!("{}", idx + 1)) && n.len() == case.actors[a].name.len() + (idx + 1).to_string().len());
            if let Some(n) = n {
                order.push(n.clone());
            }
        }
    }
    out.push_str(&format!("\npermutation {}\n", order.join(" ")));
    Some(out)
}
