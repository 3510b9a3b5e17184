//! From migration texts to catalog and findings.
use std::collections::{BTreeMap, HashMap};

use pgvet_catalog::{Catalog, EventKind, FunctionKey, ReplayEvent, Replayer};
use pgvet_syntax::{parse_sql, ParsedSql, SourceFile};
use rayon::prelude::*;

use crate::code::CodeFile;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::rules::{self, Context};
use crate::sql::{plpgsql, sites, Site, SiteKind};

/// One migration, in the order the project's runner applies them.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    pub source: SourceFile,
    /// Whether the runner wraps this file in a transaction.
    pub transactional: bool,
    /// For a migration written in a host language (a goose `.go` migration): the language. pgvet
    /// does not run it; what its SQL strings may change becomes uncertain.
    pub host: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Per-rule severity override; `None` turns the rule off.
    pub severities: BTreeMap<String, Option<Severity>>,
    /// Column names that identify the tenant, in order of preference (matched in snake or camel
    /// case).
    pub tenant_columns: Vec<String>,
    /// Tables that are global on purpose (`name` or `schema.name`).
    pub global_tables: Vec<String>,
    /// Schemas an HTTP API exposes (Supabase/PostgREST: `public`).
    pub exposed_schemas: Vec<String>,
    /// Roles the API runs requests as.
    pub api_roles: Vec<String>,
}

pub const DEFAULT_TENANT_COLUMNS: &[&str] =
    &["tenant_id", "workspace_id", "org_id", "organization_id", "account_id", "team_id", "project_id"];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            severities: BTreeMap::new(),
            tenant_columns: DEFAULT_TENANT_COLUMNS.iter().map(|s| s.to_string()).collect(),
            global_tables: Vec::new(),
            exposed_schemas: vec!["public".into()],
            api_roles: vec!["anon".into(), "authenticated".into()],
        }
    }
}

impl Settings {
    /// Whether API requests can run as `role` (`public` stands for PUBLIC, i.e. every role).
    pub fn is_api_role(&self, role: &str) -> bool {
        role == "public" || self.api_roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }

    /// The severity a rule reports at, or None when it is off.
    pub fn severity(&self, rule: &str, default: Severity) -> Option<Severity> {
        match self.severities.get(rule) {
            Some(s) => *s,
            None => Some(default),
        }
    }
}

pub struct Analysis {
    pub files: Vec<SourceFile>,
    /// The schema after all migrations.
    pub catalog: Catalog,
    /// The schema after each migration step (`versions[i]` is after file `i`).
    pub versions: Vec<Catalog>,
    pub events: Vec<ReplayEvent>,
    pub diagnostics: Vec<Diagnostic>,
    pub statements: usize,
}

/// How many files are parsed (in parallel) before their trees are replayed and dropped: parse
/// trees are large, and holding every statement's tree at once makes a long history slow.
const CHUNK: usize = 32;

/// What is kept of a file's parse after replay: its errors and suppression comments.
struct FileParse {
    errors: Vec<pgvet_syntax::SyntaxError>,
    suppressions: Vec<pgvet_syntax::Suppression>,
}

/// Parses (in parallel), replays (in order) and checks a project's migrations.
pub fn analyze(files: Vec<MigrationFile>, base: Catalog, settings: &Settings) -> Analysis {
    analyze_project(files, Vec::new(), base, settings)
}

/// Like [`analyze`], plus query files (sqlc `queries/*.sql` and similar) checked against the
/// final schema. Query files come after the migrations in [`Analysis::files`].
pub fn analyze_project(migrations: Vec<MigrationFile>, queries: Vec<SourceFile>, base: Catalog, settings: &Settings) -> Analysis {
    analyze_all(migrations, queries, Vec::new(), base, settings)
}

/// Everything: migrations, query files, and application source files (whose query sites are
/// extracted in parallel and checked against the final schema). [`Analysis::files`] lists
/// migrations, then query files, then source files.
pub fn analyze_all(
    migrations: Vec<MigrationFile>,
    queries: Vec<SourceFile>,
    sources: Vec<SourceFile>,
    base: Catalog,
    settings: &Settings,
) -> Analysis {
    let n_migrations = migrations.len();
    let migrations_tx: Vec<bool> = migrations.iter().map(|m| m.transactional).collect();
    let hosts: Vec<Option<String>> = migrations.iter().map(|m| m.host.clone()).collect();
    let mut files: Vec<SourceFile> = migrations.into_iter().map(|f| f.source).collect();
    files.extend(queries);
    let n_sql = files.len();
    files.extend(sources);
    let mut replayer = Replayer::new(base);
    let mut versions = Vec::with_capacity(n_migrations);
    let mut parses = Vec::with_capacity(files.len());
    let mut statements = 0;
    let mut diags = Vec::new();
    let no_bodies = HashMap::new();
    let site_rules: Vec<_> =
        rules::all_rules().iter().filter_map(|r| r.check_site.filter(|_| settings.severity(r.id, r.default_severity).is_some())).collect();
    for (c, chunk) in files[..n_migrations].chunks(CHUNK).enumerate() {
        let parsed: Vec<ParsedSql> = chunk
            .par_iter()
            .enumerate()
            .map(|(j, f)| if hosts[c * CHUNK + j].is_some() { ParsedSql::default() } else { parse_migration(&f.text) })
            .collect();
        for (j, p) in parsed.into_iter().enumerate() {
            let step = c * CHUNK + j;
            replayer.runner_transaction = migrations_tx[step];
            if let Some(lang) = &hosts[step] {
                let f = &files[step];
                let strings = host_sql_strings(&f.text);
                let span = pgvet_syntax::Span::new(0, f.text.find('\n').unwrap_or(f.text.len()));
                replayer.unmodelled_migration(step, span, &format!("this {lang} migration"), &strings);
            }
            for s in &p.statements {
                if !site_rules.is_empty() && sites::is_checked(&s.node) {
                    let cx =
                        Context { catalog: &replayer.catalog, files: &files, settings, versions: &versions, bodies: &no_bodies, code: &[] };
                    let site = Site::new(
                        step,
                        &files[step].text,
                        Some(s.base),
                        s.span,
                        &s.node,
                        &replayer.catalog,
                        &replayer.search_path,
                        SiteKind::Migration,
                        &[],
                    );
                    for check in &site_rules {
                        check(&site, &cx, &mut diags);
                    }
                }
                replayer.apply(step, s);
            }
            replayer.finish_file();
            statements += p.statements.len();
            versions.push(replayer.catalog.clone());
            parses.push(FileParse { errors: p.errors, suppressions: p.suppressions });
        }
    }
    // Every function body of the final schema, parsed once (in parallel) for all rules.
    let defined: Vec<(&FunctionKey, &pgvet_catalog::Function)> =
        replayer.catalog.functions.iter().filter(|(_, f)| !f.origin.is_builtin() && f.origin.step < n_migrations).collect();
    let bodies: HashMap<FunctionKey, plpgsql::Body> =
        defined.par_iter().filter_map(|(k, f)| plpgsql::body(f, &files[f.origin.step].text).map(|b| ((*k).clone(), b))).collect();
    let code: Vec<CodeFile> =
        files[n_sql..].par_iter().enumerate().map(|(i, f)| CodeFile::new(n_sql + i, pgvet_code::extract(&f.path, &f.text))).collect();
    let cx = Context { catalog: &replayer.catalog, files: &files, settings, versions: &versions, bodies: &bodies, code: &code };
    if !site_rules.is_empty() {
        check_function_bodies(&cx, &site_rules, &mut diags);
    }
    let default_path = vec!["public".to_string()];
    for (i, f) in files.iter().enumerate().take(n_sql).skip(n_migrations) {
        let p = parse_sql(&sites::sqlc_placeholders(&f.text));
        for s in &p.statements {
            if sites::is_checked(&s.node) {
                let site = Site::new(i, &f.text, Some(s.base), s.span, &s.node, cx.catalog, &default_path, SiteKind::Query, &[]);
                for check in &site_rules {
                    check(&site, &cx, &mut diags);
                }
            }
        }
        statements += p.statements.len();
        parses.push(FileParse { errors: p.errors, suppressions: p.suppressions });
    }
    // SQL in application code.
    for cf in &code {
        let f = &files[cf.file];
        for (qi, qs) in cf.extraction.sites.iter().enumerate() {
            let pgvet_code::Call::Sql(sql) = &qs.call else { continue };
            let Some(p) = cf.sql[qi].as_ref() else { continue };
            if site_rules.is_empty() {
                continue;
            }
            for s in &p.statements {
                if !sites::is_checked(&s.node) {
                    continue;
                }
                let span =
                    pgvet_syntax::Span::new(sql.file_offset(s.span.start), sql.file_offset(s.span.end).max(sql.file_offset(s.span.start)));
                let site = Site::new(cf.file, &f.text, None, span, &s.node, cx.catalog, &default_path, SiteKind::Code, &[])
                    .with_pieces(&sql.pieces);
                for check in &site_rules {
                    check(&site, &cx, &mut diags);
                }
            }
        }
        // Upserts through a query builder: checked as the INSERT ... ON CONFLICT they send.
        let upsert_rules: Vec<rules::SiteCheck> = rules::all_rules()
            .iter()
            .filter(|r| matches!(r.id, "on-conflict-no-unique-index" | "on-conflict-other-unique" | "tenant-key-missing-tenant"))
            .filter(|r| settings.severity(r.id, r.default_severity).is_some())
            .filter_map(|r| r.check_site)
            .collect();
        let drizzle = crate::code::drizzle_tables(&code);
        for qs in &cf.extraction.sites {
            let pgvet_code::Call::Builder(b) = &qs.call else { continue };
            let Some((sql, span)) = crate::code::upsert_sql(cx.catalog, &drizzle, b, qs.span) else { continue };
            let p = parse_sql(&sql);
            for s in &p.statements {
                let site = Site::new(cf.file, &f.text, None, span, &s.node, cx.catalog, &default_path, SiteKind::Code, &[]);
                for check in &upsert_rules {
                    check(&site, &cx, &mut diags);
                }
            }
        }
        statements += cf.extraction.sites.len();
        parses.push(FileParse { errors: vec![], suppressions: pgvet_syntax::comment_suppressions(&f.text) });
    }
    for (i, p) in parses.iter().enumerate() {
        for e in &p.errors {
            let mut d = Diagnostic::new(
                rules::syntax_error::META.id,
                Severity::Error,
                format!("PostgreSQL cannot parse this statement: {}", e.message),
                Label::new(i, e.at),
            )
            .with_help(
                "This statement was skipped; the rest of the file was still analysed. Fix the syntax, or exclude the file in pgvet.toml.",
            );
            if files[i].text[e.statement.range()].contains('\n') {
                d = d.with_related(Label::new(i, e.statement).with_message("in this statement"));
            }
            diags.push(d);
        }
    }
    diags.extend(unmodelled(&replayer.events));
    for e in replayer.events.iter().filter(|e| e.kind == EventKind::Error && e.withheld_by.is_none()) {
        diags.push(
            Diagnostic::new(rules::migration_error::META.id, Severity::Warning, format!("PostgreSQL would reject this statement: {}", e.message), Label::new(e.step, e.span))
                .with_help("Replaying the migrations in order, this statement fails. If an earlier migration outside this project creates the object, point pgvet at it (see `[migrations]` in pgvet.toml)."),
        );
    }
    for rule in rules::all_rules() {
        if let Some(check) = rule.check {
            check(&cx, &mut diags);
        }
    }
    let mut diags = apply_settings(diags, settings);
    let suppressions: Vec<&[pgvet_syntax::Suppression]> = parses.iter().map(|p| p.suppressions.as_slice()).collect();
    diags = apply_suppressions(diags, &suppressions, settings);
    diags.sort_by(|a, b| (a.primary.file, a.primary.span.start, a.rule).cmp(&(b.primary.file, b.primary.span.start, b.rule)));
    Analysis { files, catalog: replayer.catalog, versions, events: replayer.events, diagnostics: diags, statements }
}

/// One `info` per statement whose effect the replay could not follow, with what it may have
/// changed and how many migration errors that withheld.
fn unmodelled(events: &[ReplayEvent]) -> Vec<Diagnostic> {
    let mut withheld: HashMap<usize, usize> = HashMap::new();
    for e in events {
        if let Some(id) = e.withheld_by {
            *withheld.entry(id).or_default() += 1;
        }
    }
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == EventKind::Unmodelled)
        .map(|(i, e)| {
            let n = withheld.get(&i).copied().unwrap_or(0);
            let mut help = String::from(
                "pgvet does not guess: findings that rest on these objects (missing tables, columns or functions, ON CONFLICT verdicts, missing indexes) are not reported.",
            );
            if n > 0 {
                help.push_str(&format!(" {n} later statement(s) that would fail on pgvet's model were not reported as migration errors."));
            }
            help.push_str(" `pgvet schema --dev-db` compares with what a real server does.");
            Diagnostic::new(rules::unmodelled_statement::META.id, Severity::Info, e.message.clone(), Label::new(e.step, e.span)).with_help(help)
        })
        .collect()
}

/// The string literals of a host-language migration that read as SQL statements.
fn host_sql_strings(text: &str) -> Vec<String> {
    pgvet_code::go_string_literals(text)
        .into_iter()
        .filter(|s| {
            let head = s.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
            matches!(
                head.as_str(),
                "CREATE"
                    | "ALTER"
                    | "DROP"
                    | "COMMENT"
                    | "GRANT"
                    | "REVOKE"
                    | "TRUNCATE"
                    | "SELECT"
                    | "INSERT"
                    | "UPDATE"
                    | "DELETE"
                    | "WITH"
            )
        })
        .collect()
}

/// Parses a migration file; a CREATE FUNCTION whose body PostgreSQL would reject (as it does
/// while `check_function_bodies` is on, its default; pg_dump output turns it off) becomes a syntax
/// error and is not replayed, as the server does not create the function.
fn parse_migration(text: &str) -> ParsedSql {
    let mut p = parse_sql(text);
    let mut check_bodies = true;
    let mut body_errors = Vec::new();
    p.statements.retain(|s| {
        match &s.node {
            pgvet_syntax::NodeEnum::VariableSetStmt(v) if v.name == "check_function_bodies" => {
                let value = v.args.first().and_then(|a| match &a.node {
                    Some(pgvet_syntax::protobuf::node::Node::AConst(c)) => match &c.val {
                        Some(pgvet_syntax::protobuf::a_const::Val::Sval(s)) => Some(s.sval.to_lowercase()),
                        Some(pgvet_syntax::protobuf::a_const::Val::Boolval(b)) => Some(b.boolval.to_string()),
                        _ => None,
                    },
                    _ => None,
                });
                check_bodies = !matches!(value.as_deref(), Some("false" | "off" | "no" | "0"));
            }
            // A DO block's body is parsed when it runs, whatever the setting.
            pgvet_syntax::NodeEnum::DoStmt(_) => {
                if let Some(e) = pgvet_syntax::function_body_error(text, s) {
                    body_errors.push(e);
                    return false;
                }
            }
            pgvet_syntax::NodeEnum::CreateFunctionStmt(_) if check_bodies => {
                if let Some(e) = pgvet_syntax::function_body_error(text, s) {
                    body_errors.push(e);
                    return false;
                }
            }
            _ => {}
        }
        true
    });
    p.errors.extend(body_errors);
    p.errors.sort_by_key(|e| e.at.start);
    p
}

/// Adds what discovery noticed about files it did not use (`path`, its text or "", the message)
/// as `skipped-file` findings on those files, which join [`Analysis::files`] after the others.
pub fn add_notes(analysis: &mut Analysis, notes: &[(String, String, String)], settings: &Settings) {
    let Some(severity) = settings.severity(rules::skipped_file::META.id, rules::skipped_file::META.default_severity) else { return };
    for (path, text, message) in notes {
        let file = analysis.files.len();
        analysis.files.push(SourceFile::new(path.clone(), text.clone()));
        let first_line = pgvet_syntax::Span::new(0, text.find('\n').unwrap_or(text.len()));
        analysis.diagnostics.push(Diagnostic::new(rules::skipped_file::META.id, severity, message.clone(), Label::new(file, first_line)));
    }
}

/// Runs the statement checks over every function body of the final schema.
fn check_function_bodies(cx: &Context, checks: &[rules::SiteCheck], diags: &mut Vec<Diagnostic>) {
    // In catalog order, so findings come out in a stable order.
    for (key, f) in cx.catalog.functions.iter() {
        let Some(body) = cx.bodies.get(key) else { continue };
        let text = &cx.files[f.origin.step].text;
        let path = sites::function_search_path(f.search_path.as_deref());
        // A trigger function can also query its triggers' transition tables.
        let mut variables = body.variables.clone();
        for t in cx.catalog.tables.values() {
            for tr in t.triggers.iter().filter(|tr| tr.function == f.name) {
                variables.extend(tr.transition_tables.iter().cloned());
            }
        }
        for s in body.statements.iter().filter(|s| sites::is_checked(&s.node)) {
            let site = Site::new(f.origin.step, text, s.offset, s.span, &s.node, cx.catalog, &path, SiteKind::Function(f), &variables);
            for check in checks {
                check(&site, cx, diags);
            }
        }
    }
}

fn apply_settings(diags: Vec<Diagnostic>, settings: &Settings) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .filter_map(|mut d| match settings.severities.get(d.rule) {
            Some(None) => None,
            Some(Some(s)) => {
                d.severity = *s;
                Some(d)
            }
            None => Some(d),
        })
        .collect()
}

fn apply_suppressions(diags: Vec<Diagnostic>, parsed: &[&[pgvet_syntax::Suppression]], settings: &Settings) -> Vec<Diagnostic> {
    let mut used: Vec<Vec<Vec<bool>>> = parsed.iter().map(|p| p.iter().map(|s| vec![false; s.rules.len()]).collect()).collect();
    let mut out = Vec::new();
    'diag: for d in diags {
        if let Some(p) = parsed.get(d.primary.file) {
            for (si, s) in p.iter().enumerate() {
                if s.covers.range().contains(&d.primary.span.start) || s.covers.start == d.primary.span.start {
                    if let Some(ri) = s.rules.iter().position(|r| r == d.rule) {
                        used[d.primary.file][si][ri] = true;
                        continue 'diag;
                    }
                }
            }
        }
        out.push(d);
    }
    for (fi, p) in parsed.iter().enumerate() {
        for (si, s) in p.iter().enumerate() {
            let at = Label::new(fi, s.span);
            if s.reason.is_none() {
                out.push(
                    Diagnostic::new(rules::invalid_suppression::META.id, Severity::Warning, "suppression without a reason", at.clone())
                        .with_help("Say why the finding does not apply: `-- pgvet-ignore <rule>: <reason>`."),
                );
            }
            if s.rules.is_empty() {
                out.push(
                    Diagnostic::new(rules::invalid_suppression::META.id, Severity::Warning, "suppression names no rule", at.clone())
                        .with_help("Name the rule: `-- pgvet-ignore <rule>: <reason>` (`pgvet rules` lists them)."),
                );
            }
            for (ri, r) in s.rules.iter().enumerate() {
                match rules::rule_by_id(r) {
                    None => out.push(
                        Diagnostic::new(rules::invalid_suppression::META.id, Severity::Warning, format!("unknown rule `{r}` in suppression"), at.clone())
                            .with_help("`pgvet rules` lists the rule ids."),
                    ),
                    Some(meta) if !used[fi][si][ri] && settings.severity(meta.id, meta.default_severity).is_some() => out.push(
                        Diagnostic::new(rules::unused_suppression::META.id, Severity::Warning, format!("unused suppression: `{r}` reports nothing here"), at.clone())
                            .with_help("Remove the comment (the finding it silenced is gone), or move it to the line before the statement it is about."),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
    apply_settings(out, settings)
}
