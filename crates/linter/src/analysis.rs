//! From migration texts to catalog and findings.
use std::collections::{HashMap, HashSet};

use pgvet_catalog::{Catalog, EventKind, FunctionKey, QName, ReplayEvent, Replayer};
use pgvet_syntax::{parse_sql, NodeEnum, ParsedSql, SourceFile, Statement};
use rayon::prelude::*;

use crate::code::CodeFile;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::rules::{self, Context};
pub use crate::settings::{Settings, DEFAULT_TENANT_COLUMNS};
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
    /// Whether a file that failed part way is run again as a whole: migration tools record only
    /// files that succeeded; a dump or a directory applied with psql is not rerun.
    pub reruns: bool,
}

pub struct Analysis {
    pub files: Vec<SourceFile>,
    /// The schema after all migrations.
    pub catalog: Catalog,
    /// The schema after each migration step (`versions[i]` is after file `i`).
    pub versions: Vec<Catalog>,
    pub events: Vec<ReplayEvent>,
    pub diagnostics: Vec<Diagnostic>,
    /// Findings not reported because they rest on what a statement pgvet could not follow may
    /// have changed.
    pub withheld: Vec<Withheld>,
    pub statements: usize,
}

/// A finding pgvet withholds: it would be reported, but it rests on objects a statement pgvet
/// could not follow (dynamic SQL, a condition on table data) may have created or changed.
#[derive(Debug, Clone)]
pub struct Withheld {
    pub diagnostic: Diagnostic,
    /// The statement that withheld it.
    pub by: Label,
}

/// How many files are parsed (in parallel) before their trees are replayed and dropped: parse
/// trees are large, and holding every statement's tree at once makes a long history slow.
const CHUNK: usize = 32;
/// How many parsed chunks may wait for the replay.
const AHEAD: usize = 2;

/// How the runner applies one migration file.
struct Runner {
    transactional: bool,
    host: Option<String>,
    reruns: bool,
}

/// The ACCESS EXCLUSIVE locks on existing tables that a migration's open transaction holds, as
/// its statements run (the runner's transaction, or an explicit BEGIN ... COMMIT).
struct HeldLocks {
    runner_transaction: bool,
    in_transaction: bool,
    held: Vec<crate::sql::ddl_locks::HeldLock>,
}

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
    let runner: Vec<Runner> =
        migrations.iter().map(|m| Runner { transactional: m.transactional, host: m.host.clone(), reruns: m.reruns }).collect();
    let n_migrations = migrations.len();
    let mut files: Vec<SourceFile> = migrations.into_iter().map(|f| f.source).collect();
    files.extend(queries);
    let n_sql = files.len();
    files.extend(sources);
    let site_rules: Vec<rules::SiteCheck> =
        rules::all_rules().iter().filter_map(|r| r.check_site.filter(|_| settings.severity(r.id, r.default_severity).is_some())).collect();
    let mut diags = Vec::new();

    // 1. Replay the migrations in order; each statement is checked against the schema as it is
    //    at that point.
    let replay = replay_migrations(&files, &runner, base, settings, &site_rules, &mut diags);
    // 2. Parse every function body of the final schema once, and extract the application code.
    let bodies = function_bodies(&replay.replayer.catalog, &files, n_migrations);
    let mut code: Vec<CodeFile> =
        files[n_sql..].par_iter().enumerate().map(|(i, f)| CodeFile::new(n_sql + i, pgvet_code::extract(&f.path, &f.text))).collect();
    // A Prisma schema split over several files: a relation to a model of another file.
    pgvet_code::prisma::resolve_relations(code.iter_mut().flat_map(|c| c.extraction.prisma_models.iter_mut()).collect());
    let none = HashSet::new();
    let no_session = crate::sql::ddl_locks::FileSession::default();
    let code_tables = crate::code::created_tables(&code);
    let cx = Context {
        catalog: &replay.replayer.catalog,
        files: &files,
        settings,
        versions: &replay.versions,
        bodies: &bodies,
        code: &code,
        upserted: &none,
        deleted: &[],
        code_tables: &code_tables,
        runner_transaction: false,
        runner_reruns: false,
        held_locks: &[],
        in_transaction: false,
        file_session: &no_session,
    };
    // 3. Statements against the final schema: function bodies, query files, SQL in code. What
    //    they upsert on is noted for the project-wide rules.
    let mut parses = replay.parses;
    let mut statements = replay.statements;
    let mut used = Uses::default();
    if !site_rules.is_empty() {
        check_function_bodies(&cx, &site_rules, &mut used, &mut diags);
    }
    statements += check_query_files(&cx, n_migrations..n_sql, &site_rules, &mut used, &mut parses, &mut diags);
    statements += check_code(&cx, &site_rules, &mut used, &mut parses, &mut diags);
    used.deleted.extend(crate::code::deletions(cx.catalog, cx.code));
    // A test's cleanup is not the application deleting rows.
    used.deleted.retain(|(_, at)| files.get(at.file).is_some_and(|f| settings.is_production(&f.path)));
    let cx = Context { upserted: &used.upserted, deleted: &used.deleted, ..cx };
    // 4. Rules over the whole project.
    for rule in rules::all_rules() {
        if let Some(check) = rule.check {
            check(&cx, &mut diags);
        }
    }
    // 5. What the parser and the replay found, then settings and suppressions.
    diags.extend(syntax_errors(&files, &parses));
    diags.extend(unmodelled(&replay.replayer.events));
    diags.extend(migration_errors(&replay.replayer.events));
    let diags = finish(diags, &parses, settings);
    let (diags, withheld) = split_withheld(diags, &replay.replayer.events);
    let Replay { replayer, versions, .. } = replay;
    Analysis { files, catalog: replayer.catalog, versions, events: replayer.events, diagnostics: diags, withheld, statements }
}

/// The migrations replayed: the replayer (final catalog, events), the catalog after each file,
/// what was kept of each file's parse, and the number of statements.
struct Replay {
    replayer: Replayer,
    versions: Vec<Catalog>,
    parses: Vec<FileParse>,
    statements: usize,
}

/// Phase 1. Files are parsed in parallel chunks, then replayed in order (a large file is parsed
/// as it is replayed, so its parse trees never pile up); every statement the site rules check is
/// checked against the catalog just before it runs.
fn replay_migrations(
    files: &[SourceFile],
    runner: &[Runner],
    base: Catalog,
    settings: &Settings,
    site_rules: &[rules::SiteCheck],
    diags: &mut Vec<Diagnostic>,
) -> Replay {
    let n = runner.len();
    let mut replayer = Replayer::new(base);
    let mut versions = Vec::with_capacity(n);
    let mut parses = Vec::with_capacity(files.len());
    let mut statements = 0;
    let no_bodies = HashMap::new();
    let no_upserts = HashSet::new();
    let no_code_tables = HashSet::new();
    let ddl_rules: Vec<rules::SiteCheck> =
        rules::ddl_rules().iter().filter(|r| settings.severity(r.id, r.default_severity).is_some()).filter_map(|r| r.check_site).collect();
    let streamed = |step: usize| files[step].text.len() > pgvet_syntax::STREAMING_THRESHOLD;
    // Chunks are parsed on the thread pool while the previous ones are replayed: at most
    // `AHEAD` parsed chunks wait, so memory stays bounded.
    let (sender, parsed_chunks) = std::sync::mpsc::sync_channel::<Vec<ParsedSql>>(AHEAD);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for (c, chunk) in files[..n].chunks(CHUNK).enumerate() {
                let parsed: Vec<ParsedSql> = chunk
                    .par_iter()
                    .enumerate()
                    .map(|(j, f)| {
                        let step = c * CHUNK + j;
                        if runner[step].host.is_some() || streamed(step) {
                            ParsedSql::default()
                        } else {
                            parse_migration(&f.text)
                        }
                    })
                    .collect();
                if sender.send(parsed).is_err() {
                    return;
                }
            }
        });
        for (c, parsed) in parsed_chunks.into_iter().enumerate() {
            for (j, p) in parsed.into_iter().enumerate() {
                let step = c * CHUNK + j;
                let Runner { transactional, host, reruns } = &runner[step];
                replayer.runner_transaction = *transactional;
                if let Some(path) = &settings.session_reset {
                    replayer.reset_session(path.clone());
                }
                let mut held = HeldLocks::new(*transactional);
                let mut session = crate::sql::ddl_locks::FileSession::default();
                let text = &files[step].text;
                if let Some(lang) = host {
                    let span = pgvet_syntax::Span::new(0, text.find('\n').unwrap_or(text.len()));
                    replayer.unmodelled_migration(step, span, &format!("this {lang} migration"), &host_sql_strings(text));
                }
                let mut run = |s: &Statement, replayer: &mut Replayer| {
                    // A statement the runner sends on its own: the transaction so far is
                    // committed (its locks released), and a new one follows it.
                    let standalone = *transactional
                        && !settings.standalone.is_empty()
                        && settings.standalone.contains(&(files[step].path.clone(), s.span.start));
                    if standalone {
                        replayer.runner_transaction = false;
                        held = HeldLocks::new(false);
                    }
                    // Queries go to the site rules, DDL to the migration-safety rules.
                    let checks: &[rules::SiteCheck] = if sites::is_checked(&s.node) {
                        site_rules
                    } else if sites::is_lock_relevant(&s.node) {
                        &ddl_rules
                    } else {
                        &[]
                    };
                    let reported_before = diags.len();
                    {
                        let site = Site::new(
                            step,
                            text,
                            Some(s.base),
                            s.span,
                            &s.node,
                            &replayer.catalog,
                            &replayer.search_path,
                            SiteKind::Migration,
                            &[],
                        );
                        if !checks.is_empty() {
                            let cx = Context {
                                catalog: &replayer.catalog,
                                files,
                                settings,
                                versions: &versions,
                                bodies: &no_bodies,
                                code: &[],
                                upserted: &no_upserts,
                                deleted: &[],
                                code_tables: &no_code_tables,
                                runner_transaction: *transactional && !standalone,
                                runner_reruns: *reruns,
                                held_locks: held.locks(),
                                in_transaction: held.in_transaction,
                                file_session: &session,
                            };
                            for check in checks {
                                check(&site, &cx, diags);
                            }
                            held.after(&site);
                        }
                        session.after(&site, files, &diags[reported_before..]);
                    }
                    replayer.apply(step, s);
                    statements += 1;
                    if standalone {
                        replayer.runner_transaction = true;
                        held = HeldLocks::new(true);
                    }
                };
                let p = if host.is_none() && streamed(step) {
                    let mut bodies = FunctionBodyCheck::default();
                    let mut p = pgvet_syntax::parse_sql_streaming(text, |s| {
                        if bodies.accepts(text, s) {
                            run(s, &mut replayer)
                        }
                    });
                    p.errors.extend(bodies.errors);
                    p.errors.sort_by_key(|e| e.at.start);
                    p
                } else {
                    for s in &p.statements {
                        run(s, &mut replayer);
                    }
                    p
                };
                replayer.finish_file();
                versions.push(replayer.catalog.clone());
                parses.push(FileParse { errors: p.errors, suppressions: p.suppressions });
            }
        }
    });
    Replay { replayer, versions, parses, statements }
}

/// Phase 2: every function body the migrations define, parsed once (in parallel) for all rules.
fn function_bodies(catalog: &Catalog, files: &[SourceFile], n_migrations: usize) -> HashMap<FunctionKey, plpgsql::Body> {
    let defined: Vec<(&FunctionKey, &pgvet_catalog::Function)> =
        catalog.functions.iter().filter(|(_, f)| !f.origin.is_builtin() && f.origin.step < n_migrations).collect();
    defined.par_iter().filter_map(|(k, f)| plpgsql::body(f, &files[f.origin.step].text).map(|b| ((*k).clone(), b))).collect()
}

/// What the project's statements (function bodies, query files, SQL in code) do that the
/// project-wide rules weigh: the unique indexes upserts use as arbiters, and the tables whose
/// rows they delete (with where).
#[derive(Default)]
struct Uses {
    upserted: HashSet<QName>,
    deleted: Vec<(QName, crate::diagnostic::Label)>,
}

impl Uses {
    fn note(&mut self, site: &Site, settings: &Settings) {
        // Keys upserted on with values tenants can choose (not a service-only function's).
        if crate::sql::tenant_driven(site, settings) {
            self.upserted.extend(crate::sql::upsert_arbiters(site));
        }
        for q in crate::sql::deletes(site) {
            self.deleted.push((q, crate::diagnostic::Label::new(site.file, site.span)));
        }
    }
}

/// Phase 3: query files (sqlc and similar), against the final schema. Returns the statement count.
fn check_query_files(
    cx: &Context,
    range: std::ops::Range<usize>,
    site_rules: &[rules::SiteCheck],
    used: &mut Uses,
    parses: &mut Vec<FileParse>,
    diags: &mut Vec<Diagnostic>,
) -> usize {
    let default_path = vec!["public".to_string()];
    let mut statements = 0;
    for i in range {
        let f = &cx.files[i];
        let p = parse_sql(&sites::sqlc_placeholders(&f.text));
        for s in &p.statements {
            if sites::is_checked(&s.node) {
                let site = Site::new(i, &f.text, Some(s.base), s.span, &s.node, cx.catalog, &default_path, SiteKind::Query, &[]);
                used.note(&site, cx.settings);
                for check in site_rules {
                    check(&site, cx, diags);
                }
            }
        }
        statements += p.statements.len();
        parses.push(FileParse { errors: p.errors, suppressions: p.suppressions });
    }
    statements
}

/// Phase 3: SQL strings in application code, and upserts through query builders checked as the
/// INSERT ... ON CONFLICT they send. Returns the number of query sites.
fn check_code(
    cx: &Context,
    site_rules: &[rules::SiteCheck],
    used: &mut Uses,
    parses: &mut Vec<FileParse>,
    diags: &mut Vec<Diagnostic>,
) -> usize {
    let default_path = vec!["public".to_string()];
    let upsert_rules: Vec<rules::SiteCheck> = rules::all_rules()
        .iter()
        .filter(|r| matches!(r.id, "on-conflict-no-unique-index" | "on-conflict-other-unique" | "tenant-key-missing-tenant"))
        .filter(|r| cx.settings.severity(r.id, r.default_severity).is_some())
        .filter_map(|r| r.check_site)
        .collect();
    let drizzle = crate::code::drizzle_tables(cx.code);
    let mut sites_seen = 0;
    for cf in cx.code {
        let f = &cx.files[cf.file];
        for (qi, qs) in cf.extraction.sites.iter().enumerate() {
            let pgvet_code::Call::Sql(sql) = &qs.call else { continue };
            let Some(p) = cf.sql[qi].as_ref().filter(|_| !site_rules.is_empty()) else { continue };
            for s in p.statements.iter().filter(|s| sites::is_checked(&s.node)) {
                let span =
                    pgvet_syntax::Span::new(sql.file_offset(s.span.start), sql.file_offset(s.span.end).max(sql.file_offset(s.span.start)));
                let site = Site::new(cf.file, &f.text, None, span, &s.node, cx.catalog, &default_path, SiteKind::Code, &[])
                    .with_pieces(&sql.pieces);
                used.note(&site, cx.settings);
                for check in site_rules {
                    check(&site, cx, diags);
                }
            }
        }
        for qs in &cf.extraction.sites {
            let pgvet_code::Call::Builder(b) = &qs.call else { continue };
            let Some((sql, span)) = crate::code::upsert_sql(cx.catalog, &drizzle, b, qs.span) else { continue };
            for s in &parse_sql(&sql).statements {
                let site = Site::new(cf.file, &f.text, None, span, &s.node, cx.catalog, &default_path, SiteKind::Code, &[]);
                used.note(&site, cx.settings);
                for check in &upsert_rules {
                    check(&site, cx, diags);
                }
            }
        }
        sites_seen += cf.extraction.sites.len();
        parses.push(FileParse { errors: code_syntax_errors(cf), suppressions: pgvet_syntax::comment_suppressions(&f.text) });
    }
    sites_seen
}

/// SQL strings in application code that PostgreSQL cannot parse, placed in the file. Only text
/// that is clearly a whole statement in PostgreSQL's dialect counts: it starts with a statement
/// keyword and has no placeholders of other drivers (`?`, `:name`, `@name`) that pgvet does not
/// rewrite.
fn code_syntax_errors(cf: &CodeFile) -> Vec<pgvet_syntax::SyntaxError> {
    let mut out = Vec::new();
    for (qi, qs) in cf.extraction.sites.iter().enumerate() {
        let pgvet_code::Call::Sql(sql) = &qs.call else { continue };
        let Some(p) = cf.sql[qi].as_ref() else { continue };
        if p.errors.is_empty() || !is_plain_statement(&sql.text) {
            continue;
        }
        // A template's interpolation may be a fragment (`${Prisma.sql`...`}`, `${sql(name)}`)
        // rather than a parameter: the text around it is not what the server receives.
        if sql.pieces.len() > 1 || p.errors.iter().any(|e| e.message.contains("at or near \"$")) {
            continue;
        }
        for e in &p.errors {
            let map = |s: pgvet_syntax::Span| {
                pgvet_syntax::Span::new(sql.file_offset(s.start), sql.file_offset(s.end).max(sql.file_offset(s.start)))
            };
            out.push(pgvet_syntax::SyntaxError { message: e.message.clone(), at: map(e.at), statement: map(e.statement) });
        }
    }
    out
}

/// Whether SQL text from code reads as whole statements with nothing but `$n` placeholders.
fn is_plain_statement(text: &str) -> bool {
    let head = text.split_whitespace().next().unwrap_or("").trim_start_matches('(').to_ascii_uppercase();
    let keyword = matches!(
        head.as_str(),
        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH" | "CREATE" | "ALTER" | "DROP" | "TRUNCATE" | "MERGE" | "VALUES" | "CALL"
    );
    if !keyword {
        return false;
    }
    // Placeholders of other drivers, outside quotes.
    let mut quote: Option<char> = None;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '?' => return false,
                ':' | '@' => {
                    let prev = if i > 0 { chars[i - 1] } else { ' ' };
                    let next = chars.get(i + 1).copied().unwrap_or(' ');
                    if prev != ':' && next != ':' && (next.is_alphabetic() || next == '_') {
                        return false;
                    }
                }
                '{' | '}' => return false,
                _ => {}
            },
        }
    }
    true
}

/// Phase 5: statements PostgreSQL cannot parse.
fn syntax_errors(files: &[SourceFile], parses: &[FileParse]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
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
            out.push(d);
        }
    }
    out
}

/// Phase 5: statements the replay found PostgreSQL would reject (those that rest on what an
/// unmodelled statement may have changed are withheld).
fn migration_errors(events: &[ReplayEvent]) -> Vec<Diagnostic> {
    events
        .iter()
        .filter(|e| e.kind == EventKind::Error)
        .map(|e| {
            let d = Diagnostic::new(rules::migration_error::META.id, Severity::Warning, format!("PostgreSQL would reject this statement: {}", e.message), Label::new(e.step, e.span))
                .with_help("Replaying the migrations in order, this statement fails. If an earlier migration outside this project creates the object, point pgvet at it (see `[migrations]` in pgvet.toml).");
            match e.withheld_by {
                Some(by) => d.withheld_by(by),
                None => d,
            }
        })
        .collect()
}

/// Sets apart the findings that rest on what an unmodelled statement may have changed. Those
/// that rest on a platform's objects pgvet knows only in part are not findings at all.
fn split_withheld(diags: Vec<Diagnostic>, events: &[ReplayEvent]) -> (Vec<Diagnostic>, Vec<Withheld>) {
    let mut kept = Vec::with_capacity(diags.len());
    let mut withheld = Vec::new();
    for d in diags {
        match d.withheld_by {
            None => kept.push(d),
            Some(i) => {
                if let Some(e) = events.get(i) {
                    let by = Label::new(e.step, e.span).with_message("pgvet could not follow what this statement does");
                    withheld.push(Withheld { diagnostic: d, by });
                }
            }
        }
    }
    (kept, withheld)
}

/// Phase 5: configured severities, suppression comments, a stable order.
fn finish(diags: Vec<Diagnostic>, parses: &[FileParse], settings: &Settings) -> Vec<Diagnostic> {
    let diags = apply_settings(diags, settings);
    let suppressions: Vec<&[pgvet_syntax::Suppression]> = parses.iter().map(|p| p.suppressions.as_slice()).collect();
    let mut diags = if settings.keep_suppressed { diags } else { apply_suppressions(diags, &suppressions, settings) };
    diags.sort_by(|a, b| (a.primary.file, a.primary.span.start, a.rule).cmp(&(b.primary.file, b.primary.span.start, b.rule)));
    diags
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

/// Parses a migration file; a statement whose function or DO body PostgreSQL would reject is a
/// syntax error and is not replayed (see [`FunctionBodyCheck`]).
fn parse_migration(text: &str) -> ParsedSql {
    let mut p = parse_sql(text);
    let mut bodies = FunctionBodyCheck::default();
    p.statements.retain(|s| bodies.accepts(text, s));
    p.errors.extend(bodies.errors);
    p.errors.sort_by_key(|e| e.at.start);
    p
}

/// Function bodies as the server checks them while a file runs: a CREATE FUNCTION's while
/// `check_function_bodies` is on (its default; pg_dump output turns it off), a DO block's always.
struct FunctionBodyCheck {
    check_bodies: bool,
    errors: Vec<pgvet_syntax::SyntaxError>,
}

impl Default for FunctionBodyCheck {
    fn default() -> Self {
        FunctionBodyCheck { check_bodies: true, errors: Vec::new() }
    }
}

impl FunctionBodyCheck {
    /// Whether the statement runs; a body error is recorded instead.
    fn accepts(&mut self, text: &str, s: &Statement) -> bool {
        match &s.node {
            NodeEnum::VariableSetStmt(v) if v.name == "check_function_bodies" => {
                let value = v.args.first().and_then(|a| match &a.node {
                    Some(pgvet_syntax::protobuf::node::Node::AConst(c)) => match &c.val {
                        Some(pgvet_syntax::protobuf::a_const::Val::Sval(s)) => Some(s.sval.to_lowercase()),
                        Some(pgvet_syntax::protobuf::a_const::Val::Boolval(b)) => Some(b.boolval.to_string()),
                        _ => None,
                    },
                    _ => None,
                });
                self.check_bodies = !matches!(value.as_deref(), Some("false" | "off" | "no" | "0"));
                true
            }
            NodeEnum::DoStmt(_) | NodeEnum::CreateFunctionStmt(_) if self.check_bodies || matches!(s.node, NodeEnum::DoStmt(_)) => {
                match pgvet_syntax::function_body_error(text, s) {
                    Some(e) => {
                        self.errors.push(e);
                        false
                    }
                    None => true,
                }
            }
            _ => true,
        }
    }
}

/// The findings of several databases' analyses as one report: their files one after the other,
/// each finding's labels pointing into the combined list.
pub struct Report {
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
    pub withheld: Vec<Withheld>,
    pub statements: usize,
    /// Statements whose effect the replays could not follow.
    pub unmodelled: usize,
}

impl Report {
    /// Takes the files and findings out of `parts`; what is left (catalogs, events) the caller
    /// frees, or leaves to the process's exit.
    pub fn merge(parts: &mut [Analysis]) -> Report {
        let mut r = Report { files: Vec::new(), diagnostics: Vec::new(), withheld: Vec::new(), statements: 0, unmodelled: 0 };
        for a in parts {
            let offset = r.files.len();
            r.statements += a.statements;
            r.unmodelled += a.events.iter().filter(|e| matches!(e.kind, EventKind::Opaque | EventKind::Unmodelled)).count();
            r.files.append(&mut a.files);
            for mut d in std::mem::take(&mut a.diagnostics) {
                d.primary.file += offset;
                for l in &mut d.related {
                    l.file += offset;
                }
                r.diagnostics.push(d);
            }
            for mut w in std::mem::take(&mut a.withheld) {
                w.diagnostic.primary.file += offset;
                for l in &mut w.diagnostic.related {
                    l.file += offset;
                }
                w.by.file += offset;
                r.withheld.push(w);
            }
        }
        r
    }
}

/// Adds what discovery noticed about files it did not use (`path`, its text or "", the message)
/// as `skipped-file` findings on those files, which join [`Analysis::files`] after the others.
pub fn add_notes(analysis: &mut Analysis, notes: &[(String, String, String)], settings: &Settings) {
    add_notes_as(analysis, &rules::skipped_file::META, notes, settings);
}

/// Source files pgvet could not read or decode (`unreadable-file`), each (path, text, message).
pub fn add_unreadable(analysis: &mut Analysis, notes: &[(String, String, String)], settings: &Settings) {
    add_notes_as(analysis, &rules::unreadable_file::META, notes, settings);
}

fn add_notes_as(analysis: &mut Analysis, rule: &rules::RuleMeta, notes: &[(String, String, String)], settings: &Settings) {
    let Some(severity) = settings.severity(rule.id, rule.default_severity) else { return };
    for (path, text, message) in notes {
        let file = analysis.files.len();
        analysis.files.push(SourceFile::new(path.clone(), text.clone()));
        let first_line = pgvet_syntax::Span::new(0, text.find('\n').unwrap_or(text.len()));
        analysis.diagnostics.push(Diagnostic::new(rule.id, severity, message.clone(), Label::new(file, first_line)));
    }
}

/// Runs the statement checks over every function body of the final schema.
fn check_function_bodies(cx: &Context, checks: &[rules::SiteCheck], used: &mut Uses, diags: &mut Vec<Diagnostic>) {
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
            used.note(&site, cx.settings);
            for check in checks {
                check(&site, cx, diags);
            }
        }
    }
}

fn apply_settings(diags: Vec<Diagnostic>, settings: &Settings) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .filter_map(|mut d| {
            d.severity = settings.severity(d.rule, d.severity)?;
            Some(d)
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

impl HeldLocks {
    fn new(runner_transaction: bool) -> Self {
        HeldLocks { runner_transaction, in_transaction: runner_transaction, held: Vec::new() }
    }

    fn locks(&self) -> &[crate::sql::ddl_locks::HeldLock] {
        &self.held
    }

    /// Notes what a statement took (or released, for COMMIT / ROLLBACK).
    fn after(&mut self, site: &Site) {
        use pgvet_syntax::protobuf::TransactionStmtKind as K;
        if let pgvet_syntax::NodeEnum::TransactionStmt(t) = site.node {
            match K::try_from(t.kind).unwrap_or(K::Undefined) {
                K::TransStmtBegin | K::TransStmtStart => self.in_transaction = true,
                K::TransStmtCommit | K::TransStmtRollback => {
                    // Locks are released. What follows a COMMIT in a file the runner wraps runs
                    // in a new transaction (Prisma's query string) or in none (transaction-nesting
                    // reports it); it is not taken to run outside one.
                    self.in_transaction = self.runner_transaction;
                    self.held.clear();
                }
                _ => {}
            }
            return;
        }
        if self.in_transaction {
            self.held.extend(crate::sql::ddl_locks::access_exclusive(site));
        }
    }
}
