//! The server is the judge. A project's migrations are replayed into a throwaway PostgreSQL the
//! way its runner applies them, and every verdict of pgvet's that a server can decide is graded
//! against what the server says:
//!
//! - `migration-error` and `syntax-error` in migrations: the statements the server rejects;
//! - `unknown-relation`, `unknown-column`, `unknown-function`, `on-conflict-no-unique-index` and
//!   `syntax-error` in application code and query files: each statement PREPAREd (an upsert also
//!   planned, where its arbiter is chosen);
//! - the same rules in function bodies: the server's validator (SQL functions) and plpgsql_check
//!   (PL/pgSQL functions) against today's schema;
//! - `fk-missing-index`: the planner's own answer for every foreign key's lookup;
//! - and the catalog pgvet rebuilt against the server's, object by object.
//!
//! A finding the server confirms is a true positive; one on a statement the server accepts is a
//! false positive; an error the server raises that pgvet does not report is a false negative
//! (counted apart when pgvet withheld it). Only the db crate talks to the server.
use std::collections::{BTreeMap, HashSet};

use pgvet_db::oracle::{BodyProblem, Verdict};
use pgvet_db::replay::{prelude, ReplayFile};
use pgvet_db::TempPostgres;
use pgvet_linter::{Analysis, Diagnostic};
use pgvet_project::Project;
use pgvet_syntax::{SourceFile, Span};
use serde::Serialize;

/// The rules a server can decide.
pub const RULES: &[&str] = &[
    "unknown-relation",
    "unknown-column",
    "unknown-function",
    "on-conflict-no-unique-index",
    "syntax-error",
    "migration-error",
    "fk-missing-index",
];

/// Counts for one rule.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Grade {
    pub tp: usize,
    pub fp: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Of the false negatives, those pgvet withheld (it said it could not follow a statement
    /// the verdict rests on).
    pub withheld: usize,
}

impl Grade {
    pub fn add(&mut self, o: &Grade) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.withheld += o.withheld;
    }

    pub fn precision(&self) -> Option<f64> {
        (self.tp + self.fp > 0).then(|| self.tp as f64 / (self.tp + self.fp) as f64)
    }

    pub fn recall(&self) -> Option<f64> {
        (self.tp + self.fn_ > 0).then(|| self.tp as f64 / (self.tp + self.fn_) as f64)
    }
}

/// A verdict pgvet and the server disagree on.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub rule: String,
    /// `false-positive` (pgvet reports what the server accepts) or `false-negative` (the server
    /// rejects what pgvet does not report; `withheld` when pgvet withheld it).
    pub kind: String,
    /// `file:line:col`
    pub at: String,
    pub pgvet: String,
    pub server: String,
}

/// One database of a project, graded.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub database: String,
    pub layout: String,
    pub migrations: usize,
    /// Statements the server rejected while replaying the migrations.
    pub server_rejections: usize,
    pub replayed_completely: bool,
    /// Catalog differences that pgvet did not report as not modelled.
    pub catalog_differences: Vec<String>,
    /// Differences on objects pgvet said it could not follow (unmodelled statements).
    pub explained_differences: usize,
    pub statements: usize,
    pub functions: usize,
    pub foreign_keys: usize,
    pub grades: BTreeMap<String, Grade>,
    pub disagreements: Vec<Disagreement>,
    /// What could not be graded, and why.
    pub notes: Vec<String>,
}

/// A pgvet finding of a graded rule, reported or withheld.
struct Finding<'a> {
    d: &'a Diagnostic,
    withheld: bool,
}

fn location(files: &[SourceFile], file: usize, offset: usize) -> String {
    match files.get(file) {
        Some(f) => {
            let lc = f.line_col(offset.min(f.text.len()));
            format!("{}:{}:{}", f.path, lc.line, lc.column)
        }
        None => String::new(),
    }
}

/// The first double-quoted name of a server message (`relation "x" does not exist`).
fn quoted(message: &str) -> Option<String> {
    let start = message.find('"')? + 1;
    let end = start + message[start..].find('"')?;
    Some(message[start..end].to_string())
}

/// The rule a server error decides, if any.
/// A project's first `n` migrations as a server replays them: each as its runner applies it (a
/// transaction or not, statements it sends on their own, Supabase's session reset); a migration
/// in a host language is empty (pgvet cannot run it either).
pub fn replay_files(project: &pgvet_project::Project, n: usize) -> Vec<ReplayFile<'_>> {
    project
        .migrations
        .iter()
        .take(n)
        .map(|m| ReplayFile {
            text: if m.host.is_some() { "" } else { &m.text },
            transactional: m.transactional,
            standalone: m.standalone.iter().map(|s| s.start).collect(),
            reset_session: project.layout == pgvet_project::Layout::Supabase,
        })
        .collect()
}

/// What the server holds before the project's migrations: the platform's objects (Supabase,
/// GoTrue), the schemas the program creates first, and the migration runner's own table.
pub fn replay_prelude(project: &pgvet_project::Project) -> Option<String> {
    prelude(project.supabase || project.gotrue, &project.base_schemas, project.layout.runner_table().map(|t| t.sql()))
}

pub fn rule_of(v: &Verdict) -> Option<&'static str> {
    Some(match v.sqlstate.as_str() {
        "42P01" => "unknown-relation",
        "42703" => "unknown-column",
        "42883" if v.message.starts_with("function ") || v.message.starts_with("procedure ") => "unknown-function",
        "42P10" => "on-conflict-no-unique-index",
        "42809" | "55000" if v.message.contains("ON CONFLICT") => "on-conflict-no-unique-index",
        "42704" if v.message.starts_with("constraint ") => "on-conflict-no-unique-index",
        "42601" => "syntax-error",
        _ => return None,
    })
}

struct Grader<'a> {
    files: &'a [SourceFile],
    report: Report,
    /// Migrations written in a host language (not replayed, not parsed as SQL).
    host_migrations: Vec<usize>,
    /// Migrations made of a program's SQL strings (a Go file's steps): the program decides which
    /// of its data statements run, and with what parameters.
    program_steps: Vec<usize>,
}

impl Grader<'_> {
    fn count(&mut self, rule: &str, f: impl FnOnce(&mut Grade)) {
        f(self.report.grades.entry(rule.to_string()).or_default());
    }

    fn tp(&mut self, rule: &str) {
        self.count(rule, |g| g.tp += 1);
    }

    fn fp(&mut self, rule: &str, file: usize, at: usize, pgvet: &str, server: &str) {
        self.count(rule, |g| g.fp += 1);
        let at = location(self.files, file, at);
        self.report.disagreements.push(Disagreement {
            rule: rule.into(),
            kind: "false-positive".into(),
            at,
            pgvet: pgvet.into(),
            server: server.into(),
        });
    }

    fn fn_(&mut self, rule: &str, withheld: bool, file: usize, at: usize, pgvet: &str, server: &str) {
        self.count(rule, |g| {
            g.fn_ += 1;
            if withheld {
                g.withheld += 1;
            }
        });
        let at = location(self.files, file, at);
        let kind = if withheld { "false-negative (withheld)" } else { "false-negative" };
        self.report.disagreements.push(Disagreement {
            rule: rule.into(),
            kind: kind.into(),
            at,
            pgvet: pgvet.into(),
            server: server.into(),
        });
    }
}

/// Grades one database of a project on the throwaway server `pg`.
pub fn grade(project: &Project, pg: &TempPostgres) -> Result<Report, String> {
    let mut settings = pgvet_linter::project::settings(project)?;
    // The engine is judged: every graded rule on, no finding suppressed.
    settings.keep_suppressed = true;
    for r in RULES {
        settings.severities.remove(*r);
    }
    let analysis = pgvet_linter::project::analyze(project, &settings);
    grade_analysis(project, &analysis, &settings, pg)
}

/// [`grade`], for an analysis already made.
pub fn grade_analysis(
    project: &Project,
    analysis: &Analysis,
    settings: &pgvet_linter::Settings,
    pg: &TempPostgres,
) -> Result<Report, String> {
    let files = &analysis.files;
    let (nm, nq) = (project.migrations.len(), project.queries.len());
    let mut g = Grader {
        files,
        host_migrations: project.migrations.iter().enumerate().filter(|(_, m)| m.host.is_some()).map(|(i, _)| i).collect(),
        program_steps: project
            .migrations
            .iter()
            .enumerate()
            .filter(|(_, m)| matches!(m.part, pgvet_project::Part::GoStep(_)))
            .map(|(i, _)| i)
            .collect(),
        report: Report {
            database: project.name(),
            layout: project.layout.name().to_string(),
            migrations: nm,
            server_rejections: 0,
            replayed_completely: true,
            catalog_differences: Vec::new(),
            explained_differences: 0,
            statements: 0,
            functions: 0,
            foreign_keys: 0,
            grades: RULES.iter().map(|r| (r.to_string(), Grade::default())).collect(),
            disagreements: Vec::new(),
            notes: Vec::new(),
        },
    };
    let graded: Vec<Finding> = analysis
        .diagnostics
        .iter()
        .map(|d| Finding { d, withheld: false })
        .chain(analysis.withheld.iter().map(|w| Finding { d: &w.diagnostic, withheld: true }))
        .filter(|f| RULES.contains(&f.d.rule))
        .collect();

    if project.layout == pgvet_project::Layout::PrismaSchema {
        g.report.replayed_completely = false;
        g.report.notes.push("not graded: the schema comes from `prisma db push` (no migrations), which the oracle does not run".into());
        return Ok(g.report);
    }
    // 1. The migrations, as the runner applies them.
    let replay_files = replay_files(project, project.migrations.len());
    let (server, rejected) = pgvet_db::replay::replay(pg, replay_prelude(project).as_deref(), &replay_files, |_| {})?;
    let mut client = pg.connect("pgvet_dev")?;
    g.report.server_rejections = rejected.len();
    g.report.replayed_completely = rejected.is_empty() && project.migrations.iter().all(|m| m.host.is_none());
    grade_migrations(&mut g, analysis, &graded, &rejected, &mut client, nm)?;

    // 2. The catalogs.
    let mut mine = analysis.catalog.snapshot();
    let mut theirs = server;
    {
        // The platform's own objects (Supabase's schemas) are not the project's.
        let platform_schemas = &analysis.catalog.platform_schemas;
        // The judge's platform prelude is Supabase's whole stack; a project on GoTrue alone
        // neither has nor names the other platform schemas (storage, realtime, ...).
        let judge_only: Vec<String> = pgvet_catalog::builtins::supabase()
            .platform_schemas
            .iter()
            .filter(|s| !analysis.catalog.schemas.contains(*s))
            .cloned()
            .collect();
        let platform_object =
            |k: &str| k.split_once('.').is_some_and(|(s, _)| platform_schemas.contains(s) || judge_only.iter().any(|j| j == s));
        for snap in [&mut mine, &mut theirs] {
            snap.tables.retain(|k, _| !platform_object(k));
            snap.indexes.retain(|k, _| !platform_object(k));
            snap.functions.retain(|k| !platform_object(k));
        }
    }
    for d in mine.differences(&theirs) {
        let (schema, name) = d.relation.split_once('.').unwrap_or(("", &d.relation));
        let q = pgvet_catalog::QName::new(schema, name);
        let cat = &analysis.catalog;
        if cat.may_exist(&q).is_some() || cat.uncertain_function(&q).is_some() || cat.uncertain_type(&q).is_some() {
            g.report.explained_differences += 1;
        } else {
            g.report.catalog_differences.push(d.to_string());
        }
    }

    // 3. Statements of application code and query files.
    let checked = pgvet_linter::statements::checked_statements(files, &analysis.catalog, nm..nm + nq, nm + nq..files.len());
    let statements = &checked.statements;
    g.report.statements = statements.len();
    let (mut inconclusive, mut environment) = (0, 0);
    for st in statements {
        let verdict = pgvet_db::oracle::prepare(&mut client, &st.sql, &[], st.upsert)?;
        let in_span: Vec<&Finding> = graded
            .iter()
            .filter(|f| f.d.primary.file == st.file && f.d.primary.span.start >= st.span.start && f.d.primary.span.start <= st.span.end)
            .collect();
        // A parameter the server cannot type makes the statement unjudgeable.
        if verdict.as_ref().is_some_and(|v| matches!(v.sqlstate.as_str(), "42P18" | "42P08" | "42P02")) {
            inconclusive += 1;
            continue;
        }
        // A relation the code's environment provides (a migration tool's bookkeeping table, a
        // table the code creates itself, one it checks for first): missing from the migrations
        // on purpose; pgvet's silence there is not judged.
        if let Some(name) = verdict.as_ref().filter(|v| v.sqlstate == "42P01").and_then(|v| quoted(&v.message)) {
            if checked.provided_elsewhere(settings, files, st.file, &name) {
                environment += 1;
                continue;
            }
        }
        // A function a managed service provides (Aurora's, RDS's): the code runs there.
        let managed = verdict
            .as_ref()
            .filter(|v| v.sqlstate == "42883")
            .and_then(|v| v.message.strip_prefix("function "))
            .is_some_and(|m| pgvet_linter::code::managed_platform_function(m.split('(').next().unwrap_or(m)));
        if managed {
            environment += 1;
            continue;
        }
        use pgvet_linter::statements::Origin;
        let rules: &[&str] = match st.origin {
            Origin::Sql => &["unknown-relation", "unknown-column", "unknown-function", "on-conflict-no-unique-index", "syntax-error"],
            Origin::Call => &["unknown-relation", "unknown-column"],
            Origin::Upsert => &["on-conflict-no-unique-index"],
            Origin::Rpc => &["unknown-function"],
        };
        grade_unit(&mut g, &verdict, &in_span, st.file, st.span.start, rules);
    }
    if inconclusive > 0 {
        g.report
            .notes
            .push(format!("{inconclusive} statement(s) not graded: the server cannot type a parameter without the driver's types"));
    }
    if environment > 0 {
        g.report.notes.push(format!(
            "{environment} statement(s) not graded: they use a relation the application's environment provides (a migration tool's table, one the code creates or checks for first)"
        ));
    }

    // 4. Function bodies against today's schema.
    let schemas: Vec<String> = analysis
        .catalog
        .schemas
        .iter()
        .filter(|s| {
            !analysis.catalog.platform_schemas.contains(*s) && !matches!(s.as_str(), "pg_catalog" | "information_schema" | "extensions")
        })
        .cloned()
        .collect();
    let reconnect = || pg.connect("pgvet_dev");
    let (problems, unchecked) = pgvet_db::oracle::check_functions(&mut client, &reconnect, &schemas)?;
    grade_functions(&mut g, analysis, &graded, &problems);
    for u in unchecked {
        g.report.notes.push(format!("function {} not graded: plpgsql_check failed on it ({})", u.function, u.why));
    }

    // 5. Foreign keys: the planner's answer.
    let fks = pgvet_db::oracle::foreign_keys(&mut client, &schemas)?;
    g.report.foreign_keys = fks.len();
    grade_foreign_keys(&mut g, analysis, &graded, &fks);
    Ok(g.report)
}

/// One unit of judgement (a statement): the server's error decides at most one rule; pgvet's
/// findings inside it are compared rule by rule. A finding of another rule in a statement the
/// server rejected for a different reason is not judged (the server stops at its first error).
fn grade_unit(g: &mut Grader, verdict: &Option<Verdict>, findings: &[&Finding], file: usize, at: usize, rules: &[&str]) {
    let server_rule = verdict.as_ref().and_then(rule_of);
    let server_text = verdict.as_ref().map(|v| format!("{} ({})", v.message, v.sqlstate)).unwrap_or_else(|| "accepts the statement".into());
    for rule in rules {
        let reported: Vec<&&Finding> = findings.iter().filter(|f| f.d.rule == *rule && !f.withheld).collect();
        let withheld = findings.iter().any(|f| f.d.rule == *rule && f.withheld);
        match (server_rule == Some(*rule), reported.first()) {
            (true, Some(_)) => g.tp(rule),
            (true, None) => g.fn_(rule, withheld, file, at, if withheld { "withheld" } else { "silent" }, &server_text),
            (false, Some(f)) if verdict.is_none() => g.fp(rule, f.d.primary.file, f.d.primary.span.start, &f.d.message, &server_text),
            _ => {}
        }
    }
}

fn grade_migrations(
    g: &mut Grader,
    analysis: &Analysis,
    graded: &[Finding],
    rejected: &[pgvet_db::replay::Rejection],
    client: &mut pgvet_db::postgres::Client,
    nm: usize,
) -> Result<(), String> {
    // Statement spans of each migration, to place a rejection and the findings inside it.
    let spans: Vec<Vec<Span>> =
        analysis.files[..nm].iter().map(|f| pgvet_syntax::parse_sql(&f.text).statements.iter().map(|s| s.span).collect()).collect();
    let in_migrations = |f: &&Finding| f.d.primary.file < nm && matches!(f.d.rule, "migration-error" | "syntax-error");
    let mut matched: Vec<bool> = vec![false; graded.len()];
    // Objects the server never made because it rejected the statement that makes them: a later
    // statement that fails for want of one fails for the same cause, graded once.
    let mut never_made: HashSet<String> = HashSet::new();
    let (mut newer_grammar, mut cascades, mut program_data) = (0usize, 0usize, 0usize);
    // Extensions the judge's server does not have (a platform's own, e.g. Supabase's wrappers):
    // what the project builds on them is the platform's to judge, not this server's.
    let (mut unavailable, mut after_unavailable): (Vec<String>, usize) = (Vec::new(), 0);
    for r in rejected {
        let span = spans.get(r.file).and_then(|s| s.iter().find(|s| s.start == r.start)).copied().unwrap_or(Span::new(r.start, r.start));
        let sqlstate = r.message.rsplit("SQLSTATE ").next().unwrap_or("").trim_end_matches(')').to_string();
        let rule = if sqlstate == "42601" { "syntax-error" } else { "migration-error" };
        let text = analysis.files.get(r.file).and_then(|f| f.text.get(span.range())).unwrap_or("");
        let parsed = pgvet_syntax::parse_sql(text);
        let made: Vec<String> = parsed.statements.iter().flat_map(|s| created_names(&s.node)).collect();
        let hit = graded.iter().enumerate().find(|(_, f)| {
            in_migrations(f)
                && f.d.rule == rule
                && f.d.primary.file == r.file
                && f.d.primary.span.start >= span.start
                && f.d.primary.span.start <= span.end.max(span.start)
        });
        let silent = hit.is_none();
        if silent && sqlstate == "42601" && parsed.errors.is_empty() && !parsed.statements.is_empty() {
            // pgvet's parser (a newer PostgreSQL's grammar) reads it: a grammar the project's
            // server version has and the judge's does not (a subquery in FROM without an alias).
            newer_grammar += 1;
            never_made.extend(made);
            continue;
        }
        let data = parsed.statements.iter().all(|s| {
            matches!(
                s.node,
                pgvet_syntax::NodeEnum::SelectStmt(_)
                    | pgvet_syntax::NodeEnum::InsertStmt(_)
                    | pgvet_syntax::NodeEnum::UpdateStmt(_)
                    | pgvet_syntax::NodeEnum::DeleteStmt(_)
                    | pgvet_syntax::NodeEnum::DeclareCursorStmt(_)
                    | pgvet_syntax::NodeEnum::FetchStmt(_)
                    | pgvet_syntax::NodeEnum::ClosePortalStmt(_)
            )
        });
        if silent && data && g.program_steps.contains(&r.file) {
            program_data += 1;
            continue;
        }
        if silent && sqlstate == "0A000" {
            let extensions: Vec<String> = parsed
                .statements
                .iter()
                .filter_map(|s| match &s.node {
                    pgvet_syntax::NodeEnum::CreateExtensionStmt(e) => Some(e.extname.clone()),
                    _ => None,
                })
                .collect();
            if !extensions.is_empty() {
                unavailable.extend(extensions);
                continue;
            }
        }
        if silent && !unavailable.is_empty() && matches!(sqlstate.as_str(), "42883" | "42704" | "3F000" | "42P01") {
            after_unavailable += 1;
            never_made.extend(made);
            continue;
        }
        if silent && quoted_names(&r.message).iter().any(|n| never_made.contains(n)) {
            cascades += 1;
            never_made.extend(made);
            continue;
        }
        never_made.extend(made);
        match hit {
            Some((i, f)) if !f.withheld => {
                matched[i] = true;
                g.tp(rule);
            }
            Some((i, _)) => {
                matched[i] = true;
                g.fn_(rule, true, r.file, r.start, "withheld", &r.message);
            }
            None => g.fn_(rule, false, r.file, r.start, "silent", &r.message),
        }
    }
    if newer_grammar > 0 {
        g.report.notes.push(format!(
            "{newer_grammar} statement(s) not graded: the judge's PostgreSQL rejects a grammar newer servers accept (pgvet reads PostgreSQL 17's)"
        ));
    }
    if program_data > 0 {
        g.report.notes.push(format!(
            "{program_data} rejection(s) not graded: data statements of a program's migration steps, which the program runs only when it decides to, with its own parameters and cursors"
        ));
    }
    unavailable.sort();
    unavailable.dedup();
    if !unavailable.is_empty() {
        g.report.notes.push(format!(
            "{} extension(s) the judge's server does not have ({}): not graded, nor {after_unavailable} later rejection(s) of objects pgvet takes them to provide",
            unavailable.len(),
            unavailable.join(", ")
        ));
    }
    if cascades > 0 {
        g.report.notes.push(format!(
            "{cascades} rejection(s) not graded on their own: they fail for want of an object an earlier rejected statement makes"
        ));
    }
    // pgvet's migration errors the server did not raise.
    for (i, f) in graded.iter().enumerate() {
        if matched[i] || f.withheld || !in_migrations(&f) {
            continue;
        }
        if f.d.rule == "migration-error" {
            g.fp("migration-error", f.d.primary.file, f.d.primary.span.start, &f.d.message, "accepts the statement");
        }
    }
    // Statements pgvet's parser rejects are not replayed: the server parses each on its own.
    for (file, f) in analysis.files[..nm].iter().enumerate() {
        if g.host_migrations.contains(&file) {
            continue; // a migration in a host language is not SQL
        }
        for e in pgvet_syntax::parse_sql(&f.text).errors {
            let text = &f.text[e.statement.range()];
            client.batch_execute("BEGIN").map_err(|x| x.to_string())?;
            let res = client.batch_execute(text);
            let _ = client.batch_execute("ROLLBACK");
            let reported = graded.iter().any(|x| {
                x.d.rule == "syntax-error"
                    && x.d.primary.file == file
                    && x.d.primary.span.start >= e.statement.start
                    && x.d.primary.span.start <= e.statement.end
            });
            match res {
                Err(err) if err.code().map(|c| c.code()) == Some("42601") => {
                    if reported {
                        g.tp("syntax-error")
                    } else {
                        g.fn_("syntax-error", false, file, e.at.start, "silent", &pgvet_db::replay::db_message(&err))
                    }
                }
                Err(_) => {}
                Ok(()) if reported => g.fp("syntax-error", file, e.at.start, &e.message, "parses the statement"),
                Ok(()) => {}
            }
        }
    }
    Ok(())
}

/// Function bodies: the server's problems per function and body line, against pgvet's findings
/// inside that function's definition (a finding within a few lines after the statement the
/// server names counts as the same).
fn grade_functions(g: &mut Grader, analysis: &Analysis, graded: &[Finding], problems: &[BodyProblem]) {
    let rules = ["unknown-relation", "unknown-column", "unknown-function", "on-conflict-no-unique-index"];
    // Each function of the final schema: its identity as the server prints it, where its body
    // starts in its migration, and the statement that defines it.
    struct Def {
        id: String,
        file: usize,
        span: Span,
        body_line: usize,
    }
    let mut defs: Vec<Def> = Vec::new();
    for f in analysis.catalog.functions.values() {
        if f.origin.is_builtin() || f.origin.step >= analysis.files.len() || !matches!(f.language.as_str(), "sql" | "plpgsql") {
            continue;
        }
        let src = &analysis.files[f.origin.step];
        let text = &src.text[f.origin.span.range()];
        let Some(body) = &f.body else { continue };
        let Some(at) = text.find(body.as_str()) else { continue };
        let id = format!(
            "{}.{}({})",
            f.name.schema,
            f.name.name,
            f.args
                .iter()
                .filter(|a| matches!(a.mode, "in" | "inout" | "variadic"))
                .map(|a| a.type_name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        );
        defs.push(Def { id, file: f.origin.step, span: f.origin.span, body_line: src.line_col(f.origin.span.start + at).line });
    }
    g.report.functions = defs.len();
    let mut used: Vec<bool> = vec![false; graded.len()];
    let mut judged_defs: Vec<usize> = Vec::new();
    for p in problems {
        let Some((di, d)) = defs.iter().enumerate().find(|(_, d)| d.id == p.function) else { continue };
        judged_defs.push(di);
        // plpgsql_check checks a trigger function against one table it fires on: a field of
        // NEW or OLD that another of its tables has (the function branching on TG_TABLE_NAME)
        // is no verdict.
        if p.verdict.message.starts_with("record \"new\"") || p.verdict.message.starts_with("record \"old\"") {
            continue;
        }
        let Some(rule) = rule_of(&p.verdict).filter(|r| rules.contains(r)) else { continue };
        let server_line = p.line.map(|l| d.body_line + l.max(1) as usize - 1);
        let src = &analysis.files[d.file];
        let candidates: Vec<usize> = graded
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                !used[*i]
                    && f.d.rule == rule
                    && f.d.primary.file == d.file
                    && f.d.primary.span.start >= d.span.start
                    && f.d.primary.span.start <= d.span.end
                    && server_line.is_none_or(|l| {
                        let fl = src.line_col(f.d.primary.span.start).line;
                        fl >= l && fl <= l + 40
                    })
            })
            .map(|(i, _)| i)
            .collect();
        let at = server_line.map(|l| src.text.lines().take(l - 1).map(|x| x.len() + 1).sum::<usize>()).unwrap_or(d.span.start);
        let server = format!("{} ({}) in {}", p.verdict.message, p.verdict.sqlstate, p.function);
        match candidates.iter().find(|i| !graded[**i].withheld) {
            Some(i) => {
                used[*i] = true;
                g.tp(rule);
            }
            None => {
                let withheld = candidates.first().copied();
                if let Some(i) = withheld {
                    used[i] = true;
                }
                g.fn_(rule, withheld.is_some(), d.file, at, if withheld.is_some() { "withheld" } else { "silent" }, &server);
            }
        }
    }
    // pgvet's findings in bodies the server found nothing wrong with (of that rule).
    for (i, f) in graded.iter().enumerate() {
        if used[i] || f.withheld || !rules.contains(&f.d.rule) {
            continue;
        }
        // Another finding of the same rule in a statement the server stopped at (the server
        // reports the first error of a statement only): not judged.
        let covered = defs.iter().any(|d| {
            f.d.primary.file == d.file
                && f.d.primary.span.start >= d.span.start
                && f.d.primary.span.start <= d.span.end
                && problems.iter().any(|p| {
                    p.function == d.id
                        && rule_of(&p.verdict) == Some(f.d.rule)
                        && p.line.is_some_and(|l| {
                            let server_line = d.body_line + l.max(1) as usize - 1;
                            let line = analysis.files[d.file].line_col(f.d.primary.span.start).line;
                            line >= server_line && line <= server_line + 30
                        })
                })
        });
        if covered {
            continue;
        }
        let Some((di, d)) = defs
            .iter()
            .enumerate()
            .find(|(_, d)| f.d.primary.file == d.file && f.d.primary.span.start >= d.span.start && f.d.primary.span.start <= d.span.end)
        else {
            continue;
        };
        // The server reported something else in that function: not judged.
        if judged_defs.contains(&di) && problems.iter().any(|p| p.function == d.id && rule_of(&p.verdict) != Some(f.d.rule)) {
            continue;
        }
        let server = if judged_defs.contains(&di) { "reports nothing of this rule here" } else { "finds nothing wrong in the function" };
        g.fp(f.d.rule, f.d.primary.file, f.d.primary.span.start, &f.d.message, server);
    }
}

fn grade_foreign_keys(g: &mut Grader, analysis: &Analysis, graded: &[Finding], fks: &[pgvet_db::oracle::ForeignKey]) {
    let rule = "fk-missing-index";
    let mut used: Vec<bool> = vec![false; graded.len()];
    for fk in fks {
        let (schema, table) = fk.table.split_once('.').unwrap_or(("public", &fk.table));
        let q = pgvet_catalog::QName::new(schema, table);
        let con = analysis.catalog.tables.get(&q).and_then(|t| t.constraint(&fk.name));
        // Where pgvet puts a finding on this key: its clause in the defining statement.
        let at = con.map(|c| {
            (c.origin.step, c.origin.at.filter(|a| *a >= c.origin.span.start && *a <= c.origin.span.end).unwrap_or(c.origin.span.start))
        });
        let hit = at.and_then(|(file, start)| {
            graded
                .iter()
                .enumerate()
                .filter(|(i, f)| !used[*i] && f.d.rule == rule && f.d.primary.file == file && f.d.primary.span.start == start)
                // Several keys defined by one statement (a DO block) share its location; pgvet's
                // message names the key.
                .find(|(_, f)| f.d.message.contains(&format!("foreign key {} ", fk.name)))
        });
        let (file, start) = at.unwrap_or((0, 0));
        let server = if fk.indexed { "an index serves the lookup" } else { "the lookup is a sequential scan" };
        match (fk.indexed, hit) {
            (false, Some((i, f))) if !f.withheld => {
                used[i] = true;
                g.tp(rule);
            }
            (false, Some((i, _))) => {
                used[i] = true;
                g.fn_(rule, true, file, start, "withheld", &format!("{}: {server}", fk.name));
            }
            (false, None) => g.fn_(
                rule,
                false,
                file,
                start,
                "silent",
                &format!("foreign key {} on {} ({}): {server}", fk.name, fk.table, fk.columns.join(", ")),
            ),
            (true, Some((i, f))) => {
                used[i] = true;
                if !f.withheld {
                    g.fp(rule, f.d.primary.file, f.d.primary.span.start, &f.d.message, server);
                }
            }
            (true, None) => {}
        }
    }
    // Findings on keys the server does not have.
    for (i, f) in graded.iter().enumerate() {
        if !used[i] && !f.withheld && f.d.rule == rule {
            g.fp(rule, f.d.primary.file, f.d.primary.span.start, &f.d.message, "has no such foreign key");
        }
    }
}

/// Totals over several reports, per rule.
pub fn totals<'a>(reports: impl IntoIterator<Item = &'a Report>) -> BTreeMap<String, Grade> {
    let mut out: BTreeMap<String, Grade> = BTreeMap::new();
    for r in reports {
        for (rule, g) in &r.grades {
            out.entry(rule.clone()).or_default().add(g);
        }
    }
    out
}

/// A text table: rule, TP/FP/FN (withheld), precision, recall.
pub fn table(grades: &BTreeMap<String, Grade>) -> String {
    let pct = |x: Option<f64>| x.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_else(|| "-".into());
    let mut out = format!("{:<30} {:>5} {:>5} {:>5} {:>9} {:>10} {:>8}\n", "rule", "TP", "FP", "FN", "withheld", "precision", "recall");
    for (rule, g) in grades {
        out.push_str(&format!(
            "{:<30} {:>5} {:>5} {:>5} {:>9} {:>10} {:>8}\n",
            rule,
            g.tp,
            g.fp,
            g.fn_,
            g.withheld,
            pct(g.precision()),
            pct(g.recall())
        ));
    }
    out
}

/// Names (lower case, without schema) of what a statement creates: relations, indexes, views,
/// functions, types, schemas.
fn created_names(node: &pgvet_syntax::NodeEnum) -> Vec<String> {
    use pgvet_syntax::NodeEnum as E;
    let last = |items: &[pgvet_syntax::protobuf::Node]| {
        items.iter().rev().find_map(|n| match &n.node {
            Some(pgvet_syntax::protobuf::node::Node::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
    };
    let name = match node {
        E::CreateStmt(c) => c.relation.as_ref().map(|r| r.relname.clone()),
        E::CreateTableAsStmt(c) => c.into.as_ref().and_then(|i| i.rel.as_ref()).map(|r| r.relname.clone()),
        E::ViewStmt(v) => v.view.as_ref().map(|r| r.relname.clone()),
        E::IndexStmt(i) => Some(i.idxname.clone()).filter(|n| !n.is_empty()),
        E::CreateSeqStmt(c) => c.sequence.as_ref().map(|r| r.relname.clone()),
        E::CreateFunctionStmt(f) => last(&f.funcname),
        E::CreateEnumStmt(e) => last(&e.type_name),
        E::CreateDomainStmt(d) => last(&d.domainname),
        E::CompositeTypeStmt(c) => c.typevar.as_ref().map(|r| r.relname.clone()),
        E::CreateSchemaStmt(c) => Some(c.schemaname.clone()),
        E::CreateExtensionStmt(c) => Some(c.extname.clone()),
        _ => None,
    };
    name.into_iter().map(|n| n.to_lowercase()).collect()
}

/// The object names a server message quotes (`relation "public.x" does not exist`: `x`), and a
/// function's name (`function f(integer) does not exist`: `f`), lower case, without schema.
fn quoted_names(message: &str) -> Vec<String> {
    let mut out: Vec<String> = message.split('"').skip(1).step_by(2).map(|q| q.rsplit('.').next().unwrap_or(q).to_lowercase()).collect();
    if let Some(rest) = message.strip_prefix("function ") {
        if let Some((name, _)) = rest.split_once('(') {
            out.push(name.rsplit('.').next().unwrap_or(name).to_lowercase());
        }
    }
    out
}
