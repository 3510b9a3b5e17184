//! The `pgvet` command line: argument parsing and output. The work happens in the library crates.
/// mimalloc: pgvet allocates many small parse-tree nodes and strings; the system allocator spent
/// a fifth of a large run in malloc/free (perf, 800-migration history).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use pgvet_catalog::Catalog;
use pgvet_db::race::Isolation;
use pgvet_linter::{analysis::analyze_project, render, MigrationFile, Settings, Severity};
use pgvet_project::Project;
use pgvet_syntax::SourceFile;

mod devdb;
mod init;

/// `0.1.0 (commit 1a2b3c4d5e)`
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("PGVET_COMMIT"), ")");
mod live;
mod plan;
mod progress;
mod prove;

const ABOUT: &str = "Finds PostgreSQL data-integrity bugs in a project's migrations before they reach production.";

const LONG_ABOUT: &str = "\
Finds PostgreSQL data-integrity bugs in a project's migrations before they reach production.

pgvet finds the project's migrations (Supabase, Prisma, Drizzle, sqlx, golang-migrate, goose,
Flyway, diesel, postgres-migrations, SQL embedded in Go, a structure.sql, or a plain directory of
.sql files; templated ones rendered with their defaults), replays them with PostgreSQL's own
parser into a model of the schema, and runs its rules on the result: on the schema, on every
function body and view, on the project's SQL query files (every sqlc config's `queries`, or
queries/, db/queries/, sql/queries/), and on the application code's queries (TypeScript/JavaScript, Go,
Python, Rust: SQL strings, Supabase, Drizzle, Prisma; .gitignore respected). No database is
needed.

Examples:
  pgvet check                          check the project in the current directory
  pgvet check examples/workspace-app   check another directory
  pgvet check --format sarif > pgvet.sarif
  pgvet schema --at 3                  the schema after the third migration, as JSON
  pgvet schema --dev-db                compare pgvet's schema with a real throwaway PostgreSQL
  pgvet check --database-url URL       live mode: the code against a live database (read-only)
  pgvet plan key t --columns ws,id --out plan/   a safe key change (expand/contract, rollback)
  pgvet preflight plan/ --database-url URL       the plan's read-only pre-flight checks
  pgvet rules                          list the rules
  pgvet rule fk-missing-index          what a rule finds, why it matters, how to fix it

Silence one finding with a comment on the line before (or at the end of) the statement:
  -- pgvet-ignore fk-missing-index: rows in users are never deleted
  // pgvet-ignore tenant-filter-missing: admin report across all workspaces

Configuration: pgvet.toml in the project root (see the README):
  [migrations] layout = \"supabase\" | \"prisma\" | ...; path = \"db/migrations\"
  [check]      fail-level = \"warning\"
  [rules]      fk-missing-index = \"error\" | \"warning\" | \"info\" | \"off\"
  [tenant]     columns = [\"workspace_id\"]; global-tables = [\"plans\"]
  [api]        schemas = [\"public\"]; roles = [\"anon\", \"authenticated\"]
  [queries]    paths = [\"db/queries\"]

Exit status: 0 no findings at or above the fail level, 1 findings, 2 usage, I/O or config error.";

#[derive(Parser)]
#[command(name = "pgvet", version = VERSION, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// rustc-style messages with code frames
    Text,
    /// one line per finding: `path:line:col: severity[rule-id] message`
    Concise,
    /// one JSON document (see docs/output.md)
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers
    Sarif,
    /// GitHub Actions annotations (`::warning file=...`)
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Clone, Copy, ValueEnum)]
enum IsolationChoice {
    Rc,
    Rr,
    Ser,
    All,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProveFormat {
    Text,
    Json,
    Sarif,
}

const PROVE_HELP: &str = "Prove race findings on a real PostgreSQL.

For each finding of lost-update, fk-read-then-insert-race, orm-upsert-not-atomic and
on-conflict-other-unique, pgvet builds the race: the statements each session sends (as the
application or ORM sends them: autocommit or one transaction, Prisma's SELECT then INSERT), the
value the application computes between them, and seed rows that make the race possible. It starts
a throwaway PostgreSQL (this machine's server binaries, a private socket, deleted afterwards),
applies the project's migrations, and runs the race in a fresh database per schedule, one
connection per session; a session that waits for a lock is detected and the schedule goes on with
the others.

Verdicts never overclaim: `proven` only when the server produced the error on the application's
path (23505, 23503, 40001) or a final state no serial order gives; else `not-reproduced` or
`inconclusive`, with the reason. Each proof shows the timeline, the serial outcomes, the same
schedule under READ COMMITTED, REPEATABLE READ and SERIALIZABLE (retrying serialization failures),
and the suggested fix run over every feasible interleaving: verified, insufficient (with the
failing schedule) or introduces-deadlock.

Exit status: 1 when a race was proven, 0 when none was, 2 on an error.

Examples:
  pgvet prove                                  every race finding of the project here
  pgvet prove --rule lost-update --explore     all interleavings, grouped by outcome
  pgvet prove --at src/usage.ts:12 --format json
  pgvet prove --emit-spec specs/               isolationtester specs of what ran";

#[derive(Subcommand)]
enum PlanCommand {
    /// A new primary key for TABLE: `pgvet plan key org_studio_heartbeats --columns workspace_id,agent_id --backfill "'default'" --out plan/`
    Key {
        /// The table (`schema.table`; `public` when unqualified)
        table: String,
        #[command(flatten)]
        args: PlanArgs,
    },
    /// A new unique key in place of a unique index or constraint (expressions allowed):
    /// `--columns "workspace_id, agent_id, date, COALESCE(section_id, '')"`
    Unique {
        /// The unique index or constraint it replaces
        name: String,
        #[command(flatten)]
        args: PlanArgs,
    },
}

#[derive(clap::Args)]
struct PlanArgs {
    /// The new key, in order: columns, or expressions for a unique key
    #[arg(long)]
    columns: String,
    /// SQL expression for new key columns that are NULL today (e.g. "'default-workspace'")
    #[arg(long)]
    backfill: Option<String>,
    /// Where to write the plan's files (created)
    #[arg(long)]
    out: PathBuf,
    /// The project (default: the current directory)
    #[arg(default_value = ".")]
    path: PathBuf,
    /// In a repository with several databases, the one to plan for
    #[arg(long)]
    database: Option<String>,
    /// Plan from this live database's schema instead of the migrations' (read-only; also PGVET_DATABASE_URL)
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Check a project's migrations (the default command)
    #[command(
        long_about = "Check a project's migrations.\n\nPATH is the project root (where pgvet looks for supabase/migrations, prisma/migrations, a drizzle journal, migrations/, ...), a directory of .sql files, or one .sql file. Defaults to the current directory."
    )]
    Check {
        /// What to check: the project (default: the current directory), a migrations directory, or
        /// files and directories inside a project (several at once, as pre-commit passes them).
        /// The project is found upward (the nearest pgvet.toml; for files, the repository), all of
        /// it is analysed, and findings are reported for what was named.
        path: Vec<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Lowest severity that makes the exit status 1 (default: pgvet.toml's check.fail-level, else warning)
        #[arg(long, value_enum)]
        fail_level: Option<Level>,
        /// Colour in text output
        #[arg(long, value_enum, default_value = "auto")]
        color: ColorChoice,
        /// Print only the findings, no summary line
        #[arg(long, short)]
        quiet: bool,
        /// List info findings in text and GitHub output too (by default they are counted per rule
        /// in the summary; JSON and SARIF always hold them)
        #[arg(long)]
        show_info: bool,
        /// Live mode: check the code against this database's schema (read-only session, with
        /// statement and lock timeouts), compare the migrations with it (schema-drift), and look
        /// at what only the data can answer (invalid-index, orphan-rows, table sizes on
        /// fk-missing-index). Also PGVET_DATABASE_URL. The password is never printed. TLS as the
        /// URL's sslmode says (prefer by default; verify-full with sslrootcert=FILE);
        /// connect_timeout=N limits the whole connection (default 10 s). Data checks on tables
        /// whose rows row-level security hides from the role are not run (said).
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Print the number of findings per rule instead of the findings
        #[arg(long)]
        statistics: bool,
        /// Report every finding, also those recorded in .pgvet-baseline.json
        #[arg(long)]
        no_baseline: bool,
    },
    /// Print the schema pgvet rebuilt from the migrations, as JSON (see docs/schema-json.md)
    Schema {
        /// Project root, migrations directory, or a single .sql file
        path: Option<PathBuf>,
        /// The schema after this migration: a 1-based number, or (part of) a file name
        #[arg(long)]
        at: Option<String>,
        /// Also replay the migrations into a throwaway PostgreSQL and report every difference from
        /// pgvet's schema, one per line, and every statement the server rejects. The server is
        /// private (this machine's server binaries, a temporary directory, a unix socket, stopped
        /// and deleted afterwards, also on Ctrl-C); it runs the migrations' code, DO blocks and
        /// functions included, as its superuser, so do not use it on changes you do not trust
        #[arg(long)]
        dev_db: bool,
        /// In a repository with several databases, the one to print: its name or (part of) its
        /// migrations path, as `pgvet check` lists them
        #[arg(long)]
        database: Option<String>,
    },
    /// Run the language server on stdin/stdout (editors start it: see the README)
    Lsp,
    /// Write a commented pgvet.toml at the project root from what discovery finds
    Init {
        /// The project (default: the current directory)
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Overwrite an existing pgvet.toml
        #[arg(long)]
        force: bool,
    },
    /// Record today's findings in .pgvet-baseline.json at the project root: `pgvet check` then
    /// reports (and fails on) new findings only, and says which entries no longer match
    Baseline {
        /// The project (default: the current directory)
        path: Vec<PathBuf>,
    },
    /// Plan a safe key change (expand/contract): forward and rollback migrations, the code sites
    /// to change, and which code version works on which schema phase
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Run a plan's pre-flight checks on a live database, read-only (exit 1 when something blocks,
    /// 2 when row-level security hides rows a check needs from the role)
    Preflight {
        /// The plan's directory (or its 00_preflight.sql)
        dir: PathBuf,
        /// The database (also PGVET_DATABASE_URL); the password is never printed
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Grade pgvet against a real PostgreSQL (for pgvet's developers and the curious): replay the
    /// migrations into a throwaway server and compare every server-decidable verdict
    #[command(
        long_about = "Grade pgvet against a real PostgreSQL.\n\nThe migrations are replayed into a throwaway server (this machine's PostgreSQL binaries, a private socket, deleted afterwards) the way their runner applies them. Then every verdict a server can decide is compared with what pgvet says: the statements the server rejects (migration-error, syntax-error); each SQL statement of the application code and query files PREPAREd (unknown-relation, unknown-column, unknown-function, on-conflict-no-unique-index); every function body checked by the server's validator and plpgsql_check; the planner's index use for every foreign key (fk-missing-index); and the rebuilt catalog object by object. Prints true positives, false positives and false negatives per rule, and every disagreement.\n\nThe server runs the migrations' code as its superuser: do not use it on changes you do not trust. Needs plpgsql_check (Debian: postgresql-15-plpgsql-check)."
    )]
    Oracle {
        /// The project (default: the current directory)
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: OracleFormat,
    },
    /// Prove race findings on a real PostgreSQL: run each race, show the timeline, then run the
    /// suggested fix over every interleaving
    #[command(long_about = PROVE_HELP)]
    Prove {
        /// The project (default: the current directory)
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Only findings of this rule (lost-update, fk-read-then-insert-race, orm-upsert-not-atomic,
        /// on-conflict-other-unique)
        #[arg(long, value_name = "ID")]
        rule: Option<String>,
        /// Only the finding at FILE:LINE (FILE as pgvet check prints it, or its end)
        #[arg(long, value_name = "FILE:LINE")]
        at: Option<String>,
        /// The isolation level the sessions run at (`all`: a proof per level)
        #[arg(long, value_enum, default_value = "rc")]
        isolation: IsolationChoice,
        /// Also run every feasible interleaving of the race and group them by outcome
        #[arg(long)]
        explore: bool,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: ProveFormat,
        /// Write an isolationtester spec of each executed schedule into DIR
        #[arg(long, value_name = "DIR")]
        emit_spec: Option<PathBuf>,
        /// Run this schedule instead of the witness: one letter per step, A and B for the two
        /// sessions (as the proofs print them, e.g. AABBABAB)
        #[arg(long)]
        schedule: Option<String>,
        /// SQL to run instead of the made-up seed rows (for CHECKs, triggers or values pgvet cannot
        /// make up; the proof lists the values its statements use)
        #[arg(long, value_name = "FILE")]
        seed: Option<PathBuf>,
        /// In a repository with several databases, the one to use
        #[arg(long)]
        database: Option<String>,
    },
    /// List the rules
    Rules,
    /// Show a rule's documentation
    Rule {
        /// Rule id, e.g. fk-missing-index
        id: String,
    },
}

/// `pgvet PATH [options]` is `pgvet check PATH [options]`: `check` is the default command.
fn with_default_command(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    const COMMANDS: &[&str] =
        &["check", "baseline", "schema", "plan", "preflight", "prove", "oracle", "lsp", "init", "rules", "rule", "help"];
    let first = args.get(1).map(|a| a.to_string_lossy().into_owned());
    match first {
        Some(a) if !a.starts_with('-') && !COMMANDS.contains(&a.as_str()) => {
            let mut v = args;
            v.insert(1, "check".into());
            v
        }
        // Options only (`pgvet --format json`): check the current directory.
        Some(a) if a.starts_with("--") && !matches!(a.as_str(), "--help" | "--version") => {
            let mut v = args;
            v.insert(1, "check".into());
            v
        }
        _ => args,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(with_default_command(std::env::args_os().collect()));
    let command = cli.command.unwrap_or(Command::Check {
        path: Vec::new(),
        format: Format::Text,
        fail_level: None,
        color: ColorChoice::Auto,
        quiet: false,
        show_info: false,
        database_url: None,
        statistics: false,
        no_baseline: false,
    });
    let result = match command {
        Command::Check { path, format, fail_level, color, quiet, show_info, database_url, statistics, no_baseline } => {
            let paths = if path.is_empty() { vec![PathBuf::from(".")] } else { path };
            let show_info = show_info || fail_level == Some(Level::Info);
            let database_url = live::url(database_url);
            check(
                &paths,
                CheckOptions { format, fail_level, color, quiet, show_info, statistics, no_baseline, database_url, baseline_mode: false },
            )
        }
        Command::Init { path, force } => init::init(&path, force),
        Command::Lsp => pgvet_lsp::run_stdio().map(|_| ExitCode::SUCCESS),
        Command::Baseline { path } => {
            let paths = if path.is_empty() { vec![PathBuf::from(".")] } else { path };
            let opts = CheckOptions {
                format: Format::Text,
                fail_level: None,
                color: ColorChoice::Never,
                quiet: true,
                show_info: true,
                statistics: false,
                no_baseline: true,
                database_url: None,
                baseline_mode: true,
            };
            check(&paths, opts)
        }
        Command::Schema { path, at, dev_db, database } => {
            schema(&path.unwrap_or_else(|| PathBuf::from(".")), at.as_deref(), dev_db, database.as_deref())
        }
        Command::Plan(p) => {
            let (primary, name, a) = match p {
                PlanCommand::Key { table, args } => (true, table, args),
                PlanCommand::Unique { name, args } => (false, name, args),
            };
            plan::plan(primary, &name, &a.columns, a.backfill, &a.out, &a.path, a.database.as_deref(), live::url(a.database_url))
        }
        Command::Preflight { dir, database_url } => match live::url(database_url) {
            Some(url) => plan::preflight(&dir, &url),
            None => Err("pgvet preflight needs the database: --database-url URL (or PGVET_DATABASE_URL)".into()),
        },
        Command::Oracle { path, format } => oracle(&path, matches!(format, OracleFormat::Json)),
        Command::Prove { path, rule, at, isolation, explore, format, emit_spec, schedule, seed, database } => {
            prove::prove(prove::ProveArgs {
                path,
                database,
                rule,
                at,
                isolation: match isolation {
                    IsolationChoice::Rc => vec![Isolation::ReadCommitted],
                    IsolationChoice::Rr => vec![Isolation::RepeatableRead],
                    IsolationChoice::Ser => vec![Isolation::Serializable],
                    IsolationChoice::All => Isolation::ALL.to_vec(),
                },
                explore,
                json: matches!(format, ProveFormat::Json),
                sarif: matches!(format, ProveFormat::Sarif),
                emit_spec,
                schedule,
                seed,
            })
        }
        Command::Rules => {
            let width = pgvet_linter::all_rules().iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in pgvet_linter::all_rules() {
                let default = if pgvet_linter::settings::OFF_BY_DEFAULT.contains(&r.id) { "off" } else { r.default_severity.as_str() };
                let group = pgvet_linter::settings::group_of(r.id).unwrap_or("");
                emit(&format!("{:<width$} {:<8} {:<13} {}", r.id, default, group, r.summary));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rule { id } => match pgvet_linter::rule_docs(&id) {
            Some(d) => {
                emit(d);
                Ok(ExitCode::SUCCESS)
            }
            None => Err(format!("unknown rule `{id}`; `pgvet rules` lists them")),
        },
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn load(path: &Path) -> Result<(Project, Settings), String> {
    let project = pgvet_project::load(path).map_err(|e| e.to_string())?;
    let settings = settings_of(&project)?;
    Ok((project, settings))
}

fn settings_of(project: &Project) -> Result<Settings, String> {
    pgvet_linter::project::settings(project)
}

fn base_catalog(project: &Project) -> Catalog {
    pgvet_linter::project::base_catalog(project)
}

fn queries(project: &Project) -> Vec<SourceFile> {
    pgvet_linter::project::queries(project)
}

fn files(project: &Project) -> Vec<MigrationFile> {
    pgvet_linter::project::migrations(project)
}

/// One database of the repository at `path`: the only one, or the one `--database` names.
#[derive(Clone, Copy, clap::ValueEnum)]
enum OracleFormat {
    Text,
    Json,
}

/// `pgvet oracle`: every database of the project graded on its own throwaway server.
fn oracle(path: &Path, json: bool) -> Result<ExitCode, String> {
    let ws = pgvet_project::load_workspace(path).map_err(|e| e.to_string())?;
    let _ = ctrlc::set_handler(|| {
        pgvet_db::stop_all();
        std::process::exit(130);
    });
    let mut reports = Vec::new();
    for project in &ws.databases {
        eprintln!("grading {} ({} migrations)...", project.name(), project.migrations.len());
        let pg = pgvet_db::TempPostgres::start_for_projects()?;
        reports.push(pgvet_oracle::grade(project, &pg)?);
    }
    if json {
        let doc = serde_json::json!({ "databases": reports, "totals": pgvet_oracle::totals(&reports) });
        emit(&serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
        return Ok(ExitCode::SUCCESS);
    }
    for r in &reports {
        emit(&format!(
            "{} ({} layout, {} migrations): the server rejected {} statement(s); {} catalog difference(s) ({} more on objects pgvet said it could not follow); {} statements, {} functions, {} foreign keys graded",
            r.database, r.layout, r.migrations, r.server_rejections, r.catalog_differences.len(), r.explained_differences, r.statements, r.functions, r.foreign_keys
        ));
        for d in &r.catalog_differences {
            emit(&format!("  catalog: {d}"));
        }
        for d in &r.disagreements {
            emit(&format!("  {}: {} [{}] pgvet: {}; the server: {}", d.at, d.kind, d.rule, d.pgvet, d.server));
        }
        for n in &r.notes {
            emit(&format!("  note: {n}"));
        }
    }
    emit(&pgvet_oracle::table(&pgvet_oracle::totals(&reports)));
    Ok(ExitCode::SUCCESS)
}

fn load_database(path: &Path, database: Option<&str>) -> Result<(Project, Settings), String> {
    if path.is_file() {
        return load(path);
    }
    let mut ws = pgvet_project::load_workspace(path).map_err(|e| e.to_string())?;
    let names: Vec<String> = ws.databases.iter().map(|d| d.name()).collect();
    let i = match (database, ws.databases.len()) {
        (None, 1) => 0,
        (None, n) => return Err(format!("{}: {n} databases ({}); choose one with --database", path.display(), names.join(", "))),
        (Some(want), _) => names
            .iter()
            .position(|n| n == want)
            .or_else(|| names.iter().position(|n| n.contains(want)))
            .ok_or_else(|| format!("--database {want}: not one of {}", names.join(", ")))?,
    };
    let project = ws.databases.swap_remove(i);
    let settings = settings_of(&project)?;
    Ok((project, settings))
}

/// How `pgvet check` runs and reports.
struct CheckOptions {
    format: Format,
    fail_level: Option<Level>,
    color: ColorChoice,
    quiet: bool,
    show_info: bool,
    statistics: bool,
    no_baseline: bool,
    database_url: Option<String>,
    /// `pgvet baseline`: record the findings instead of reporting them.
    baseline_mode: bool,
}

/// The baseline file, at the project root.
const BASELINE: &str = ".pgvet-baseline.json";

/// Colour for text output: `--color`, else CLICOLOR_FORCE (non-zero: on), NO_COLOR (off), and
/// whether stdout is a terminal.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if std::env::var("CLICOLOR_FORCE").is_ok_and(|v| !v.is_empty() && v != "0") {
                true
            } else if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else {
                std::io::stdout().is_terminal()
            }
        }
    }
}

/// The repository that holds `root`: the nearest directory at or above it with a `.git` (a
/// directory, or a file in a worktree or submodule).
fn repository_root(root: &Path) -> Option<PathBuf> {
    let abs = root.canonicalize().ok()?;
    abs.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
}

/// A file that does not exist yet, relative to `base`: its nearest existing folder resolved.
fn new_file_relative(path: &Path, base: &Path) -> String {
    let (Some(dir), Ok(b)) = (path.ancestors().skip(1).find(|a| a.exists()), base.canonicalize()) else {
        return path.to_string_lossy().into_owned();
    };
    let (Ok(d), Ok(rest)) = (dir.canonicalize(), path.strip_prefix(dir)) else { return path.to_string_lossy().into_owned() };
    let full = d.join(rest);
    full.strip_prefix(&b).map(|r| r.to_string_lossy().replace('\\', "/")).unwrap_or_else(|_| full.to_string_lossy().into_owned())
}

/// A `file://` URI of a directory, ending in `/` (SARIF's `originalUriBaseIds`).
fn file_uri(dir: &Path) -> String {
    let mut s = String::from("file://");
    for b in dir.to_string_lossy().replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

/// `path` relative to `root` when it lies below it (SARIF's `%SRCROOT%`), else as is.
fn root_relative(path: &str, root: &Path) -> String {
    let (Ok(p), Ok(r)) = (Path::new(path).canonicalize(), root.canonicalize()) else { return path.to_string() };
    p.strip_prefix(&r).map(|rel| rel.to_string_lossy().replace('\\', "/")).unwrap_or_else(|_| path.to_string())
}

fn check(paths: &[PathBuf], opts: CheckOptions) -> Result<ExitCode, String> {
    let CheckOptions { format, fail_level, color, quiet, show_info, statistics, no_baseline, database_url, baseline_mode } = opts;
    let started = Instant::now();
    for p in paths {
        if !p.exists() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    let root = pgvet_project::project_root(&paths[0]);
    // Findings are reported for what was named when that is not the whole project.
    let filter: Option<Vec<PathBuf>> =
        (paths.len() > 1 || root != paths[0]).then(|| paths.iter().filter_map(|p| p.canonicalize().ok()).collect());
    let workspace = match pgvet_project::load_workspace(&root) {
        Ok(w) => w,
        // Live mode needs no migrations: the schema comes from the database.
        Err(pgvet_project::ProjectError::NoMigrations { .. }) if database_url.is_some() => pgvet_project::Workspace {
            root: root.clone(),
            databases: vec![pgvet_project::load_code_only(&root).map_err(|e| e.to_string())?],
            unassigned_sources: 0,
            not_replayed: Vec::new(),
        },
        // Files named (as pre-commit passes them) in a repository that has no PostgreSQL
        // database: nothing to check, said in one line, not a failure on every commit.
        Err(
            e @ (pgvet_project::ProjectError::NoMigrations { .. }
            | pgvet_project::ProjectError::OtherEngine { .. }
            | pgvet_project::ProjectError::NotReplayable { .. }),
        ) if paths.iter().all(|p| p.is_file()) && !baseline_mode => {
            let why = match &e {
                pgvet_project::ProjectError::NotReplayable { .. } => {
                    "its migrations are written in a host language (`pgvet check` on the repository says how to give pgvet a schema dump)"
                }
                pgvet_project::ProjectError::OtherEngine { .. } => "its database is not PostgreSQL",
                _ => "no migrations, schema dump or Prisma schema were found",
            };
            emit(&format!("pgvet: no PostgreSQL database in {} ({why}): nothing to check", root.display()));
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e.to_string()),
    };
    if database_url.is_some() && workspace.databases.len() > 1 {
        let names: Vec<String> = workspace.databases.iter().map(|d| d.name()).collect();
        return Err(format!(
            "{}: {} databases ({}); live mode checks one database: run it on the package that uses this database",
            root.display(),
            names.len(),
            names.join(", ")
        ));
    }
    let mut live_name = None;
    let files_total: usize = workspace.databases.iter().map(|d| d.migrations.len() + d.queries.len() + d.sources.len()).sum();
    let spinner = progress::Progress::start(format!("pgvet: checking {files_total} files in {}", workspace.root.display()));
    // Each database on its own, with the code that uses it.
    let mut parts = Vec::new();
    let mut config = None;
    let mut unreadable_seen = std::collections::HashSet::new();
    for project in &workspace.databases {
        let settings = settings_of(project)?;
        let mut analysis = match &database_url {
            Some(url) => {
                let (a, who) = live::analyse(project, url, &settings, pgvet_linter::project::sources(project))?;
                live_name = Some(who);
                a
            }
            None => pgvet_linter::project::analyze(project, &settings),
        };
        let notes: Vec<(String, String, String)> =
            project.notes.iter().map(|n| (n.path.clone(), n.text.clone(), n.message.clone())).collect();
        pgvet_linter::add_notes(&mut analysis, &notes, &settings);
        // Every database of a repository reads the same sources: each file is named once.
        let unreadable: Vec<(String, String, String)> = project
            .unreadable
            .iter()
            .filter(|n| unreadable_seen.insert(n.path.clone()))
            .map(|n| (n.path.clone(), n.text.clone(), n.message.clone()))
            .collect();
        pgvet_linter::add_unreadable(&mut analysis, &unreadable, &settings);
        parts.push(analysis);
        config.get_or_insert(&project.config);
    }
    drop(spinner);
    let mut report = pgvet_linter::Report::merge(&mut parts);
    // The catalogs (one per migration) are not needed any more: the process's exit frees them
    // faster than dropping them one by one (a tenth of a long history's run).
    std::mem::forget(parts);
    if let Some(keep) = &filter {
        let named: Vec<bool> =
            report.files.iter().map(|f| Path::new(&f.path).canonicalize().is_ok_and(|c| keep.iter().any(|k| c.starts_with(k)))).collect();
        report.diagnostics.retain(|d| named[d.primary.file]);
    }
    // The baseline: findings recorded by `pgvet baseline` are not reported.
    let baseline_path = workspace.root.join(BASELINE);
    let mut baseline_note = None;
    if baseline_path.is_file() && !no_baseline && !baseline_mode {
        let text = std::fs::read_to_string(&baseline_path).map_err(|e| format!("{}: {e}", baseline_path.display()))?;
        let b: pgvet_linter::baseline::Baseline = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a pgvet baseline ({e}); recreate it with `pgvet baseline`", baseline_path.display()))?;
        let paths: Vec<String> = report.files.iter().map(|f| root_relative(&f.path, &workspace.root)).collect();
        let applied = pgvet_linter::baseline::apply(&b, &report.files, &paths, std::mem::take(&mut report.diagnostics));
        report.diagnostics = applied.kept;
        baseline_note = Some((applied.baselined, applied.stale));
    }
    if baseline_mode {
        let paths: Vec<String> = report.files.iter().map(|f| root_relative(&f.path, &workspace.root)).collect();
        let b = pgvet_linter::baseline::record(&report.files, &paths, &report.diagnostics);
        let json = serde_json::to_string_pretty(&b).expect("serialisable") + "\n";
        std::fs::write(&baseline_path, json).map_err(|e| format!("{}: {e}", baseline_path.display()))?;
        emit(&format!(
            "pgvet: recorded {} finding(s) in {}; `pgvet check` now reports only new ones (commit the file)",
            b.findings.len(),
            baseline_path.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if let (Some((n, stale)), false) = (&baseline_note, quiet) {
        let mut line = format!("pgvet: {n} finding(s) in the baseline ({BASELINE}) not reported");
        if !stale.is_empty() {
            line.push_str(&format!(
                "; {} baseline entr{} no longer match (fixed): run `pgvet baseline` to drop them",
                stale.len(),
                if stale.len() == 1 { "y" } else { "ies" }
            ));
            for e in stale.iter().take(5) {
                line.push_str(&format!("\n  {} [{}] {}", e.path, e.rule, e.message));
            }
        }
        eprintln!("{line}");
    }
    let databases: Vec<serde_json::Value> = workspace
        .databases
        .iter()
        .map(|d| serde_json::json!({ "name": d.name(), "layout": d.layout.name(), "path": d.name(), "migrations": d.migrations.len() }))
        .chain(workspace.not_replayed.iter().map(|h| {
            let path = host_path(&workspace.root, h);
            // Listed, not replayed: `migrations` counts replayed files, `not_replayed` these.
            serde_json::json!({ "name": path, "layout": h.kind, "path": path, "migrations": 0, "not_replayed": h.files })
        }))
        .collect();
    let level = match fail_level {
        Some(Level::Info) => Severity::Info,
        Some(Level::Error) => Severity::Error,
        Some(Level::Warning) => Severity::Warning,
        None => config.and_then(|c| c.check.fail_level.as_ref()).and_then(|f| Severity::parse(f.get_ref())).unwrap_or(Severity::Warning),
    };
    // Info findings are hints: text and GitHub output count them per rule unless asked to list
    // them (or they fail the run).
    let show_info = show_info || level == Severity::Info;
    let hidden: std::collections::BTreeMap<&str, usize> = if show_info || matches!(format, Format::Json | Format::Sarif) {
        Default::default()
    } else {
        report.diagnostics.iter().filter(|d| d.severity == Severity::Info).fold(Default::default(), |mut m, d| {
            *m.entry(d.rule).or_default() += 1;
            m
        })
    };
    let mut shown: Vec<pgvet_linter::Diagnostic> = if hidden.is_empty() {
        report.diagnostics.clone()
    } else {
        report.diagnostics.iter().filter(|d| d.severity != Severity::Info).cloned().collect()
    };
    // Withheld findings are listed with the info findings.
    if show_info {
        shown.extend(render::withheld_as_info(&report.withheld));
        shown.sort_by_key(|d| (d.primary.file, d.primary.span.start));
    }
    // Machine-read formats name files from the repository root (git's top level), whatever PATH
    // and the working directory are, so that code scanning, annotations and editors find them;
    // without a repository, SARIF's are relative to the project root and the others as given.
    let repo_root = repository_root(&workspace.root);
    let base = repo_root.clone().unwrap_or_else(|| workspace.root.clone());
    let rel_files: Vec<SourceFile> = if matches!(format, Format::Text) || (repo_root.is_none() && !matches!(format, Format::Sarif)) {
        report.files.clone()
    } else {
        report.files.iter().map(|f| SourceFile::new(root_relative(&f.path, &base), f.text.clone())).collect()
    };
    let withheld_line = render::withheld_line(&rel_files, &report.withheld);
    let out = match format {
        _ if statistics => render::statistics(&report.diagnostics),
        Format::Text => render::text(&report.files, &shown, use_color(color)),
        Format::Concise => {
            let mut all = report.diagnostics.clone();
            if show_info {
                all.extend(render::withheld_as_info(&report.withheld));
                all.sort_by_key(|d| (d.primary.file, d.primary.span.start));
            }
            let mut out = render::concise(&rel_files, &all);
            if let (Some(w), false) = (&withheld_line, quiet) {
                out.push_str(&format!("pgvet: {w}\n"));
            }
            out
        }
        Format::Json => {
            render::json_with_databases(
                &rel_files,
                &report.diagnostics,
                report.statements,
                Some(serde_json::Value::Array(databases)),
                &report.withheld,
            ) + "\n"
        }
        Format::Sarif => {
            // A suggested migration is named and written as the database's runner does (the
            // first new file of it, for a finding in that database's files).
            let now = std::time::SystemTime::now();
            let mut nth = 0;
            let mut fix_files = std::collections::HashMap::new();
            for (i, d) in report.diagnostics.iter().enumerate() {
                let Some(sql) = d.fix.as_ref().and_then(|f| f.migration.as_ref()) else { continue };
                let Some(file) = report.files.get(d.primary.file) else { continue };
                let db = workspace
                    .databases
                    .iter()
                    .find(|p| p.migrations.iter().any(|m| m.path == file.path) || p.sources.iter().any(|s| s.path == file.path))
                    .or(workspace.databases.first());
                let Some(new) = db.and_then(|p| p.new_migration(&format!("pgvet_{}", d.rule.replace('-', "_")), sql, now, nth)) else {
                    continue;
                };
                nth += 1;
                if let Some((path, text)) = new.create.into_iter().next() {
                    fix_files.insert(i, (new_file_relative(&path, &base), text));
                }
            }
            let srcroot = render::SrcRoot {
                uri: base.canonicalize().ok().map(|p| file_uri(&p)),
                description: if repo_root.is_some() { "The repository root (git's top level)." } else { "The project root." },
                fix_files,
            };
            render::sarif_with_root(&rel_files, &report.diagnostics, &report.withheld, &srcroot) + "\n"
        }
        Format::Github => {
            let mut out = render::github(&rel_files, &shown);
            if let Some(w) = &withheld_line {
                out.push_str(&format!("::notice title=pgvet withheld findings::{w}\n"));
            }
            out
        }
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush()) {
        // A reader that closed the pipe (`| head`) wanted no more; anything else is an error.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("pgvet: cannot write the output: {e}");
            return Ok(ExitCode::from(2));
        }
    }
    let count = |s| report.diagnostics.iter().filter(|d| d.severity == s).count();
    if !quiet && !statistics && matches!(format, Format::Text) {
        let (e, w, i) = (count(Severity::Error), count(Severity::Warning), count(Severity::Info));
        let findings = if e + w + i == 0 { "no findings".to_string() } else { plural_findings(e, w, i) };
        // "N migrations and M query files and K source files (L layout at PATH)" per database.
        let describe = |p: &Project, statements: Option<usize>| {
            let mut extra = match p.queries.len() {
                0 => String::new(),
                1 => " and 1 query file".to_string(),
                n => format!(" and {n} query files"),
            };
            match p.sources.len() {
                0 => {}
                1 => extra.push_str(" and 1 source file"),
                n => extra.push_str(&format!(" and {n} source files")),
            }
            let nm = p.migrations.len();
            let st = statements.map(|n| format!("{n} statements, ")).unwrap_or_default();
            format!("{nm} migration{}{extra} ({st}{} layout at {})", if nm == 1 { "" } else { "s" }, p.layout.name(), p.location.display())
        };
        let line = match workspace.databases.as_slice() {
            [one] if live_name.is_some() => format!(
                "pgvet: {findings} in the live schema of {} ({} statements) and {} source files{} in {:.2?}",
                live_name.as_deref().unwrap_or(""),
                report.statements,
                one.sources.len(),
                if one.migrations.is_empty() { String::new() } else { format!(", compared with {} migrations", one.migrations.len()) },
                started.elapsed()
            ),
            [one] => format!("pgvet: {findings} in {} in {:.2?}", describe(one, Some(report.statements)), started.elapsed()),
            many => format!(
                "pgvet: {findings} in {} databases: {} ({} statements) in {:.2?}",
                many.len(),
                many.iter().map(|p| describe(p, None)).collect::<Vec<_>>().join("; "),
                report.statements,
                started.elapsed()
            ),
        };
        // At most three lines: what was found where; the rules with most findings and what is
        // not listed; what pgvet did not check (withheld, not modelled, not replayed).
        let _ = writeln!(stdout, "{line}");
        if e + w + i > 0 {
            let mut per_rule: Vec<(&str, usize)> = Vec::new();
            for d in &shown {
                match per_rule.iter_mut().find(|(r, _)| *r == d.rule) {
                    Some((_, n)) => *n += 1,
                    None => per_rule.push((d.rule, 1)),
                }
            }
            per_rule.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let mut second: Vec<String> = Vec::new();
            if !per_rule.is_empty() {
                let top: Vec<String> = per_rule.iter().take(3).map(|(r, n)| format!("{r} {n}")).collect();
                second.push(format!("most findings: {}", top.join(", ")));
            }
            let hidden_total: usize = hidden.values().sum();
            if hidden_total > 0 {
                second.push(format!("{hidden_total} info not listed (--show-info lists them)"));
            }
            second.push("--statistics counts every rule".to_string());
            let _ = writeln!(stdout, "pgvet: {}", second.join("; "));
        }
        let mut third: Vec<String> = Vec::new();
        if let Some(w) = &withheld_line {
            third.push(w.clone());
        }
        if report.unmodelled > 0 {
            third.push(format!("{} statement(s) not modelled (`pgvet schema` lists them)", report.unmodelled));
        }
        for h in &workspace.not_replayed {
            third.push(format!("not replayed: {} {} migrations in {}", h.files, h.kind, host_path(&workspace.root, h)));
        }
        if workspace.unassigned_sources > 0 {
            third.push(format!("{} source files use none of these databases", workspace.unassigned_sources));
        }
        if !third.is_empty() {
            let _ = writeln!(stdout, "pgvet: {}", third.join("; "));
        }
    }
    let failing = report.diagnostics.iter().any(|d| d.severity >= level);
    Ok(if failing { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// A host-language migrations folder relative to the project root.
fn host_path(root: &Path, h: &pgvet_project::HostMigrations) -> String {
    h.path.strip_prefix(root).unwrap_or(&h.path).to_string_lossy().replace('\\', "/")
}

fn plural_findings(e: usize, w: usize, i: usize) -> String {
    let mut parts = Vec::new();
    for (n, what) in [(e, "error"), (w, "warning"), (i, "info")] {
        if n > 0 {
            parts.push(format!("{n} {what}{}", if n == 1 || what == "info" { "" } else { "s" }));
        }
    }
    parts.join(", ")
}

fn schema(path: &Path, at: Option<&str>, dev_db: bool, database: Option<&str>) -> Result<ExitCode, String> {
    let (project, settings) = load_database(path, database)?;
    // The schema comes from the migrations alone.
    let analysis = analyze_project(files(&project), Vec::new(), base_catalog(&project), &settings);
    let step = match at {
        None => None,
        Some(a) => {
            // A migration's number (1-based), its version (`20240101120000`), or part of its name.
            let by_name = || analysis.files.iter().position(|f| f.path.rsplit('/').next().unwrap_or(&f.path).contains(a));
            Some(match a.parse::<usize>() {
                Ok(n) if n >= 1 && n <= analysis.files.len() => n - 1,
                Ok(n) => by_name().ok_or_else(|| {
                    format!(
                        "--at {n}: the project has {} migrations, and no migration's version or name contains `{a}`",
                        analysis.files.len()
                    )
                })?,
                Err(_) => by_name().ok_or_else(|| format!("--at {a}: no migration file name contains `{a}`"))?,
            })
        }
    };
    let catalog = match step {
        Some(i) => &analysis.versions[i],
        None => &analysis.catalog,
    };
    if dev_db {
        return devdb::compare(&project, &analysis, catalog, step);
    }
    let files: Vec<&str> = analysis.files.iter().map(|f| f.path.as_str()).collect();
    let events: Vec<serde_json::Value> = analysis
        .events
        .iter()
        .filter(|e| step.is_none_or(|s| e.step <= s))
        .map(|e| {
            let f = &analysis.files[e.step];
            let lc = f.line_col(e.span.start);
            serde_json::json!({ "kind": e.kind, "file": f.path, "line": lc.line, "column": lc.column, "message": e.message })
        })
        .collect();
    let doc = serde_json::json!({
        "version": 1,
        "layout": project.layout.name(),
        "migrations": files,
        "at": step.map(|s| files[s]),
        "catalog": catalog,
        "replay": events,
    });
    emit(&serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}

/// Prints a line to stdout. A closed pipe (`pgvet rules | head`) ends the program quietly
/// instead of panicking.
pub(crate) fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}
