//! Migration discovery: which files, in which order, as the project's migration runner would
//! apply them.
use std::path::{Path, PathBuf};

use crate::config::{Config, ConfigError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `supabase/migrations/*.sql`, name order.
    Supabase,
    /// `prisma/migrations/<dir>/migration.sql`, directory-name order.
    Prisma,
    /// The order of `meta/_journal.json`; files not in the journal are skipped.
    Drizzle,
    /// `migrations/<version>_<name>.sql` or `.up.sql` (`.down.sql` ignored), version order.
    Sqlx,
    /// `<version>_<name>.up.sql`, version order.
    GolangMigrate,
    /// `<version>_<name>.sql` with `-- +goose Up` / `-- +goose Down`; only the Up part.
    Goose,
    /// `V<version>__<name>.sql` in numeric version order, then `R__*.sql`.
    Flyway,
    /// One schema file (`structure.sql`, a pg_dump).
    Structure,
    /// Every `.sql` file of a directory, in name order.
    Plain,
    /// No migrations: the schema Prisma's models declare (`prisma db push` projects). The
    /// location is the schema file (or the folder of a multi-file schema).
    PrismaSchema,
    /// diesel: `migrations/<version>_<name>/up.sql` in version order (the name's part before the
    /// first `_`, dashes removed); `down.sql` ignored; each in a transaction unless its
    /// `metadata.toml` says `run_in_transaction = false`.
    Diesel,
    /// npm `postgres-migrations` (Supabase Storage): `<id>-<name>.sql` in id order, each in a
    /// transaction unless it says `-- postgres-migrations disable-transaction`.
    PostgresMigrations,
    /// A folder of `.sql` files a Go binary embeds (`//go:embed`, River): version order,
    /// `.down.sql` ignored, one transaction per file.
    GoEmbed,
    /// SQL in the string literals of a Go file's list of migration steps (miniflux's
    /// `var migrations = [...]func(tx *sql.Tx) error{...}`): one migration per step, in list
    /// order, each in a transaction. The location is the Go file.
    GoSteps,
}

/// The table a migration runner keeps for itself, made before the first migration runs (a
/// migration may refer to it: a trigger that forbids another tool from migrating).
#[derive(Debug, Clone, Copy)]
pub struct RunnerTable {
    pub name: &'static str,
    /// (name, type, NOT NULL)
    pub columns: &'static [(&'static str, &'static str, bool)],
    pub key: &'static str,
}

impl RunnerTable {
    /// The CREATE TABLE the runner sends.
    pub fn sql(&self) -> String {
        let cols: Vec<String> = self.columns.iter().map(|(n, t, nn)| format!("{n} {t}{}", if *nn { " NOT NULL" } else { "" })).collect();
        format!("CREATE TABLE IF NOT EXISTS public.{} ({}, PRIMARY KEY ({}));\n", self.name, cols.join(", "), self.key)
    }
}

impl Layout {
    /// The runner's bookkeeping table, for the runners whose table is theirs alone by name.
    pub fn runner_table(self) -> Option<RunnerTable> {
        match self {
            Layout::Diesel => Some(RunnerTable {
                name: "__diesel_schema_migrations",
                columns: &[("version", "character varying(50)", true), ("run_on", "timestamp without time zone", true)],
                key: "version",
            }),
            Layout::Sqlx => Some(RunnerTable {
                name: "_sqlx_migrations",
                columns: &[
                    ("version", "bigint", true),
                    ("description", "text", true),
                    ("installed_on", "timestamp with time zone", true),
                    ("success", "boolean", true),
                    ("checksum", "bytea", true),
                    ("execution_time", "bigint", true),
                ],
                key: "version",
            }),
            Layout::Prisma => Some(RunnerTable {
                name: "_prisma_migrations",
                columns: &[
                    ("id", "character varying(36)", true),
                    ("checksum", "character varying(64)", true),
                    ("finished_at", "timestamp with time zone", false),
                    ("migration_name", "character varying(255)", true),
                    ("logs", "text", false),
                    ("rolled_back_at", "timestamp with time zone", false),
                    ("started_at", "timestamp with time zone", true),
                    ("applied_steps_count", "integer", true),
                ],
                key: "id",
            }),
            _ => None,
        }
    }

    pub const NAMES: &'static [&'static str] = &[
        "supabase",
        "prisma",
        "drizzle",
        "sqlx",
        "golang-migrate",
        "goose",
        "flyway",
        "structure",
        "plain",
        "prisma-schema",
        "diesel",
        "postgres-migrations",
        "go-embed",
        "go-steps",
    ];

    pub fn parse(s: &str) -> Option<Layout> {
        Some(match s {
            "supabase" => Layout::Supabase,
            "prisma" => Layout::Prisma,
            "drizzle" => Layout::Drizzle,
            "sqlx" => Layout::Sqlx,
            "golang-migrate" => Layout::GolangMigrate,
            "goose" => Layout::Goose,
            "flyway" => Layout::Flyway,
            "structure" => Layout::Structure,
            "plain" => Layout::Plain,
            "prisma-schema" => Layout::PrismaSchema,
            "diesel" => Layout::Diesel,
            "postgres-migrations" => Layout::PostgresMigrations,
            "go-embed" => Layout::GoEmbed,
            "go-steps" => Layout::GoSteps,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Layout::NAMES[self as usize]
    }
}

#[derive(Debug, Clone)]
pub struct Migration {
    /// As shown to the user (the path given on the command line joined with the file's).
    pub path: String,
    pub text: String,
    pub transactional: bool,
    /// A migration written in a host language (`go` for a goose Go migration): pgvet cannot run
    /// it, and treats what it may change as uncertain.
    pub host: Option<&'static str>,
    /// Statements the runner sends on their own, outside the file's transaction (the Supabase
    /// CLI since 2.109.0: CREATE INDEX CONCURRENTLY, VACUUM, ...): what came before them is
    /// committed first, and what follows runs in a new transaction.
    pub standalone: Vec<pgvet_syntax::Span>,
    /// Which part of the file the runner applies (see [`Project::overlay`]).
    pub part: Part,
}

/// Which part of a migration's file the runner applies; `text` keeps the file's offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Part {
    #[default]
    Whole,
    /// goose: the `-- +goose Up` section.
    GooseUp,
    /// The SQL string literals of the n-th step of a Go file's list of migrations.
    GoStep(usize),
    /// Nothing (a file its runner skips).
    Nothing,
}

/// Something the user should know about discovery (e.g. a file the runner would not apply).
#[derive(Debug, Clone)]
pub struct Note {
    pub path: String,
    /// The file's text, when it is a file pgvet could read (so a diagnostic can show it).
    pub text: String,
    pub message: String,
}

#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    pub layout: Layout,
    /// Where the migrations were found.
    pub location: PathBuf,
    pub migrations: Vec<Migration>,
    pub notes: Vec<Note>,
    /// Source files pgvet could not read (not checked) or decode (read with U+FFFD in place of
    /// the bytes that are not UTF-8): each named, never dropped without a word.
    pub unreadable: Vec<Note>,
    pub config: Config,
    pub config_text: String,
    pub config_path: Option<PathBuf>,
    /// SQL query files (sqlc and similar), checked against the final schema.
    pub queries: Vec<QueryFile>,
    /// Application source files (TypeScript/JavaScript), .gitignore respected.
    pub sources: Vec<QueryFile>,
    /// A Supabase project (a `supabase/` folder at the root, whatever the migration layout in
    /// it): the database starts with Supabase's built-in schemas.
    pub supabase: bool,
    /// Self-hosted Supabase Auth (GoTrue) runs before the migrations: `auth.users` exists.
    pub gotrue: bool,
    /// For a `prisma-schema` project: the text of its `.prisma` files, the schema pgvet builds the
    /// catalog from (there are no migrations to replay).
    pub declared: Option<String>,
    /// Tables the other databases of the workspace create (lower-case, unqualified): code that
    /// talks to several databases may name them.
    pub sibling_tables: Vec<String>,
    /// The source files (paths as given) whose package also uses those other databases: only
    /// there may a query name one of `sibling_tables`.
    pub multi_database_sources: std::collections::BTreeSet<String>,
    /// The name `[[database]]` in pgvet.toml gives it.
    pub display_name: Option<String>,
    /// Schemas that exist before the first migration because the runner's configuration
    /// creates them (GoTrue's namespace, `auth`, that its templated migrations render to).
    pub base_schemas: Vec<String>,
    /// What the project's templates render to.
    pub template_defaults: crate::template::Defaults,
    /// The Supabase CLI that applies a `supabase` layout's files.
    pub supabase_cli: crate::Version,
}

/// A file of SQL queries the application runs, or an application source file.
#[derive(Debug, Clone)]
pub struct QueryFile {
    pub path: String,
    pub text: String,
    /// What the file is for (from its path relative to the project root): production code, a
    /// test, a seed, a script, ...
    pub role: crate::SourceRole,
}

#[derive(Debug)]
pub enum ProjectError {
    NotFound(PathBuf),
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    Config(ConfigError),
    NoMigrations {
        root: PathBuf,
        looked: Vec<String>,
    },
    Journal {
        path: PathBuf,
        message: String,
    },
    /// The only database found is another engine's (a Prisma schema for MySQL, a ClickHouse
    /// folder): pgvet checks PostgreSQL.
    OtherEngine {
        root: PathBuf,
        what: String,
    },
    /// The only migrations found are written in a host language.
    NotReplayable {
        root: PathBuf,
        sets: Vec<crate::markers::HostMigrations>,
    },
    /// The migrations location holds no migration of its layout.
    Empty {
        layout: Layout,
        location: PathBuf,
    },
}

impl std::fmt::Display for ProjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProjectError::NotFound(p) => write!(f, "{}: no such file or directory", p.display()),
            ProjectError::Io { path, error } => write!(f, "{}: cannot read: {error}", path.display()),
            ProjectError::Config(e) => write!(f, "{e}"),
            ProjectError::NoMigrations { root, looked } => write!(
                f,
                "{}: no migrations found (looked for {}). Point pgvet at the migrations directory, or set `[migrations] layout` and `path` in pgvet.toml",
                root.display(),
                looked.join(", ")
            ),
            ProjectError::OtherEngine { root, what } => write!(
                f,
                "{}: no PostgreSQL migrations found; {what}. pgvet checks PostgreSQL databases; if one lives elsewhere, point pgvet at it or set `[migrations] layout` and `path` in pgvet.toml",
                root.display()
            ),
            ProjectError::NotReplayable { root, sets } => {
                let listed: Vec<String> = sets
                    .iter()
                    .map(|h| format!("{} {} migrations in {}", h.files, h.kind, display(h.path.strip_prefix(root).unwrap_or(&h.path))))
                    .collect();
                write!(
                    f,
                    "{}: the migrations here are written in a host language ({}); pgvet replays SQL only. Dump the schema they build (`pg_dump --schema-only > schema.sql`) and set `[migrations] layout = \"structure\"` and `path = \"schema.sql\"` in pgvet.toml",
                    root.display(),
                    listed.join("; ")
                )
            }
            ProjectError::Journal { path, message } => write!(f, "{}: cannot read the drizzle journal: {message}", path.display()),
            ProjectError::Empty { layout, location } => write!(
                f,
                "{}: no {} migrations there. Point pgvet at the folder that holds them, or fix `[migrations] layout` and `path` in pgvet.toml",
                location.display(),
                layout.name()
            ),
        }
    }
}

pub(crate) fn read(path: &Path) -> Result<String, ProjectError> {
    let bytes = std::fs::read(path).map_err(|error| ProjectError::Io { path: path.to_path_buf(), error })?;
    // Lossy, so one stray byte does not hide the whole file; the parser reports what it cannot read.
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

pub(crate) fn display(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

pub(crate) fn sql_files(dir: &Path) -> Result<Vec<PathBuf>, ProjectError> {
    let rd = std::fs::read_dir(dir).map_err(|error| ProjectError::Io { path: dir.to_path_buf(), error })?;
    let mut v: Vec<PathBuf> =
        rd.flatten().map(|e| e.path()).filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("sql"))).collect();
    v.sort();
    Ok(v)
}

/// goose Go migrations: `<version>_*.go` files (not tests) next to the SQL ones.
fn go_migrations(dir: &Path) -> Result<Vec<PathBuf>, ProjectError> {
    let rd = std::fs::read_dir(dir).map_err(|error| ProjectError::Io { path: dir.to_path_buf(), error })?;
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = file_name(p);
            p.is_file() && n.ends_with(".go") && !n.ends_with("_test.go") && version(&n).is_some()
        })
        .collect();
    v.sort();
    Ok(v)
}

pub(crate) fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Leading version number of a file name (`20240101_x.sql` → 20240101).
pub(crate) fn version(name: &str) -> Option<u128> {
    let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// Flyway version parts: `V1_2__x.sql` / `V1.2__x.sql` → [1, 2].
fn flyway_version(name: &str) -> Option<Vec<u64>> {
    let v = name.strip_prefix('V').or_else(|| name.strip_prefix('v'))?;
    let (ver, _) = v.split_once("__")?;
    ver.split(['.', '_']).map(|p| p.parse().ok()).collect()
}

/// Loads the project at `path` (a directory or a single `.sql` file).
pub fn load(path: &Path) -> Result<Project, ProjectError> {
    load_at(path, None, true)
}

/// Like [`load`], with the database's layout and migrations location already known.
/// `single`: the only database of the repository (every sqlc config's queries are its own).
pub(crate) fn load_at(path: &Path, forced: Option<(Layout, PathBuf)>, single: bool) -> Result<Project, ProjectError> {
    if !path.exists() {
        return Err(ProjectError::NotFound(path.to_path_buf()));
    }
    let root = if path.is_file() { path.parent().map(Path::to_path_buf).unwrap_or_default() } else { path.to_path_buf() };
    let (config, config_text, config_path) = root_config(&root)?;
    let layout_cfg = config.migrations.layout.as_ref().and_then(|l| Layout::parse(l.get_ref()));
    let path_cfg = config.migrations.path.as_ref().map(|p| root.join(p.get_ref()));
    let (layout, location) = if let Some(f) = forced {
        f
    } else if path.is_file() {
        (layout_cfg.unwrap_or(Layout::Structure), path.to_path_buf())
    } else {
        match (layout_cfg, path_cfg) {
            (Some(l), Some(p)) => (l, p),
            (Some(l), None) => (l, default_location(&root, l).unwrap_or_else(|| root.clone())),
            (None, Some(p)) => (classify_path(&p)?, p),
            (None, None) => detect(&root)?,
        }
    };
    if !location.exists() {
        return Err(ProjectError::NotFound(location));
    }
    let mut notes = Vec::new();
    let mut migrations = collect(layout, &location, &mut notes)?;
    let declared = (layout == Layout::PrismaSchema).then(|| prisma_schema_text(&location)).transpose()?;
    // An empty migrations folder, or a configured layout that finds nothing, is not a clean run.
    if migrations.is_empty() && layout != Layout::PrismaSchema {
        return Err(ProjectError::Empty { layout, location });
    }
    if let Some(t) = config.migrations.transactional {
        for m in &mut migrations {
            m.transactional = t;
        }
    }
    // Templated migrations, rendered as their runner would with its defaults.
    let defaults = template_defaults(&root, &location);
    let cli = config.migrations.supabase_cli_version().unwrap_or(crate::runners::SUPABASE_CLI_CURRENT);
    let mut base_schemas = Vec::new();
    for m in migrations.iter_mut() {
        base_schemas.extend(finish(m, layout, &defaults, cli));
    }
    base_schemas.sort();
    base_schemas.dedup();
    base_schemas.retain(|s| !migrations.iter().any(|m| creates_schema(&m.text, s)));
    let mut queries = find_queries(&root, &config, &location, single, &mut notes)?;
    for q in &mut queries {
        if let Some(r) = crate::template::render(&q.text, &defaults) {
            q.text = r.text;
        }
    }
    let mut unreadable = Vec::new();
    let mut sources = if path.is_file() { Vec::new() } else { find_sources(&root, &mut unreadable) };
    // A Go file of migration steps is the migrations, not application code.
    if layout == Layout::GoSteps {
        for s in sources.iter_mut().filter(|s| Path::new(&s.path) == location) {
            s.role = crate::SourceRole::DataMigration;
        }
    }
    let supabase =
        layout == Layout::Supabase || root.join("supabase").is_dir() || location.components().any(|c| c.as_os_str() == "supabase");
    let gotrue = !supabase && runs_gotrue(&root);
    Ok(Project {
        root,
        layout,
        location,
        migrations,
        notes,
        unreadable,
        config,
        config_text,
        config_path,
        queries,
        sources,
        supabase,
        gotrue,
        declared,
        sibling_tables: Vec::new(),
        multi_database_sources: Default::default(),
        display_name: None,
        base_schemas,
        template_defaults: defaults,
        supabase_cli: cli,
    })
}

/// What discovery derives from a migration's text once it has its part: the rendering of its
/// templates and the statements its runner sends on their own. Returns the schemas the
/// templates' defaults name.
fn finish(m: &mut Migration, layout: Layout, defaults: &crate::template::Defaults, cli: crate::Version) -> Vec<String> {
    let mut schemas = Vec::new();
    if m.host.is_none() {
        if let Some(r) = crate::template::render(&m.text, defaults) {
            m.text = r.text;
            schemas = r.schemas;
        }
    }
    m.standalone =
        if layout == Layout::Supabase && m.transactional { crate::runners::supabase_standalone(&m.text, cli) } else { Vec::new() };
    schemas
}

impl Project {
    /// The project with the unsaved texts of open files (an editor's buffers, by path as given)
    /// in place of what discovery read: each migration's part, templates and runner statements
    /// derived again from the new text, query files rendered again.
    pub fn overlay(&mut self, open: impl Fn(&str) -> Option<String>) {
        let (layout, cli) = (self.layout, self.supabase_cli);
        for m in &mut self.migrations {
            let Some(raw) = open(&m.path) else { continue };
            m.text = match m.part {
                Part::Whole => raw,
                Part::GooseUp => goose_up_only(&raw),
                Part::GoStep(i) => crate::gosrc::migration_steps(&m.path, &raw)
                    .and_then(|steps| steps.get(i).cloned())
                    .map(|s| crate::gosrc::step_sql(&raw, s))
                    .unwrap_or_else(|| blank_text(&raw)),
                Part::Nothing => blank_text(&raw),
            };
            finish(m, layout, &self.template_defaults, cli);
        }
        for q in &mut self.queries {
            if let Some(raw) = open(&q.path) {
                q.text = crate::template::render(&raw, &self.template_defaults).map(|r| r.text).unwrap_or(raw);
            }
        }
        for s in &mut self.sources {
            if let Some(raw) = open(&s.path) {
                s.text = raw;
            }
        }
    }
}

/// `text` as spaces, newlines kept (same byte length).
pub(crate) fn blank_text(text: &str) -> String {
    text.chars().map(|c| if c == '\n' || c == '\r' { c.to_string() } else { " ".repeat(c.len_utf8()) }).collect()
}

/// How a configured migrations path is run, from what it is.
fn classify_path(p: &Path) -> Result<Layout, ProjectError> {
    Ok(if p.is_file() {
        if p.extension().is_some_and(|x| x == "go") {
            Layout::GoSteps
        } else {
            Layout::Structure
        }
    } else if crate::runners::is_diesel_dir(p) {
        Layout::Diesel
    } else {
        classify_dir(p)?
    })
}

/// What the project's templates render to: GoTrue's own repository renders its migrations'
/// `{{ index .Options "Namespace" }}` to `auth`.
fn template_defaults(root: &Path, location: &Path) -> crate::template::Defaults {
    let (pkg, _) = crate::workspace::package_of(root, location);
    let module = [pkg.join("go.mod"), root.join("go.mod")]
        .iter()
        .find_map(|m| std::fs::read_to_string(m).ok())
        .and_then(|t| t.lines().find_map(|l| l.trim().strip_prefix("module ").map(|m| m.trim().to_string())))
        .unwrap_or_default();
    if ["github.com/supabase/auth", "github.com/supabase/gotrue", "github.com/netlify/gotrue"].contains(&module.as_str()) {
        crate::template::Defaults::gotrue()
    } else {
        crate::template::Defaults::default()
    }
}

/// Whether `text` has a `CREATE SCHEMA [IF NOT EXISTS] <schema>`.
fn creates_schema(text: &str, schema: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(|c: char| c.is_whitespace() || c == ';').filter(|w| !w.is_empty()).collect();
    words.windows(2).enumerate().any(|(i, w)| {
        w == ["create", "schema"] && {
            let rest = &words[i + 2..];
            let name = if rest.starts_with(&["if", "not", "exists"]) { rest.get(3) } else { rest.first() };
            name.is_some_and(|n| n.trim_matches('"') == schema)
        }
    })
}

/// The root's pgvet.toml (parsed, its text, its path), or the defaults.
fn root_config(root: &Path) -> Result<(Config, String, Option<PathBuf>), ProjectError> {
    let config_path = root.join("pgvet.toml");
    if !config_path.is_file() {
        return Ok((Config::default(), String::new(), None));
    }
    let text = read(&config_path)?;
    Ok((Config::parse(&display(&config_path), &text).map_err(ProjectError::Config)?, text, Some(config_path)))
}

/// A project without migrations, for checking its code against a live database's schema
/// (`pgvet check --database-url`): its config, query files and application sources.
pub fn load_code_only(root: &Path) -> Result<Project, ProjectError> {
    let (config, config_text, config_path) = root_config(root)?;
    let mut notes = Vec::new();
    let queries = find_queries(root, &config, root, true, &mut notes)?;
    let mut unreadable = Vec::new();
    let sources = find_sources(root, &mut unreadable);
    Ok(Project {
        root: root.to_path_buf(),
        layout: Layout::Structure,
        location: root.to_path_buf(),
        migrations: Vec::new(),
        notes,
        unreadable,
        config,
        config_text,
        config_path,
        queries,
        sources,
        supabase: false,
        gotrue: false,
        declared: None,
        sibling_tables: Vec::new(),
        multi_database_sources: Default::default(),
        display_name: None,
        base_schemas: Vec::new(),
        template_defaults: Default::default(),
        supabase_cli: crate::runners::SUPABASE_CLI_CURRENT,
    })
}

impl Project {
    /// The tables this database's migrations create (`CREATE TABLE [IF NOT EXISTS] [schema.]name`,
    /// lower-case, unqualified): a quick scan of the text, for telling databases apart.
    pub fn created_tables(&self) -> Vec<String> {
        let mut out: Vec<String> = self.migrations.iter().flat_map(|m| pgvet_syntax::created_table_names(&m.text)).collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Whether the project's compose files run GoTrue (Supabase Auth), which creates the `auth`
/// schema before the application's migrations.
fn runs_gotrue(root: &Path) -> bool {
    let Ok(dir) = std::fs::read_dir(root) else { return false };
    dir.flatten().any(|e| {
        let name = e.file_name().to_string_lossy().to_ascii_lowercase();
        (name.starts_with("docker-compose") || name.starts_with("compose"))
            && (name.ends_with(".yml") || name.ends_with(".yaml"))
            && std::fs::read_to_string(e.path())
                .is_ok_and(|t| t.lines().any(|l| l.trim_start().starts_with("image:") && l.contains("gotrue")))
    })
}

/// The project's files and folders under `root`, respecting .gitignore and skipping hidden,
/// dependency and build folders (`SKIP_DIRS`).
pub(crate) fn walk(root: &Path, max_depth: Option<usize>) -> impl Iterator<Item = ignore::DirEntry> {
    ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .max_depth(max_depth)
        .filter_entry(|e| !(e.file_type().is_some_and(|t| t.is_dir()) && SKIP_DIRS.contains(&e.file_name().to_string_lossy().as_ref())))
        .build()
        .flatten()
}

/// The query paths of the repository's sqlc configs that use this database: an entry whose
/// `schema` names its migrations, else a config in the same package (Go module, npm package,
/// crate) or at the root; with a single database, every PostgreSQL entry.
fn sqlc_query_paths(root: &Path, migrations: &Path, single: bool) -> Vec<PathBuf> {
    let (home, _) = crate::workspace::package_of(root, migrations);
    let mut out = Vec::new();
    for e in crate::sqlc::entries(root) {
        let dir = e.config.parent().map(Path::to_path_buf).unwrap_or_default();
        let names_us = e.schema.iter().any(|s| migrations.starts_with(s) || s.starts_with(migrations));
        if names_us || single || dir == root || crate::workspace::package_of(root, &dir).0 == home {
            out.extend(e.queries);
        }
    }
    out
}

fn find_queries(
    root: &Path,
    config: &Config,
    migrations: &Path,
    single: bool,
    notes: &mut Vec<Note>,
) -> Result<Vec<QueryFile>, ProjectError> {
    let configured = config.queries.paths.as_ref().map(|ps| ps.iter().map(|p| root.join(p)).collect::<Vec<PathBuf>>());
    let explicit = configured.is_some();
    let paths = configured.unwrap_or_else(|| {
        let sqlc = sqlc_query_paths(root, migrations, single);
        if sqlc.is_empty() {
            ["queries", "db/queries", "sql/queries"].iter().map(|s| root.join(s)).collect()
        } else {
            sqlc
        }
    });
    let mut files = Vec::new();
    for full in paths {
        if !full.exists() {
            if explicit {
                notes.push(Note {
                    path: display(&full),
                    text: String::new(),
                    message: "query path in pgvet.toml [queries] does not exist".into(),
                });
            }
            continue;
        }
        if full.is_file() {
            files.push(full);
            continue;
        }
        let mut found = Vec::new();
        // Skip migration files under the query path, unless the query path is itself inside the
        // migrations directory (a plain layout whose `queries/` sits among the migrations).
        let skip = if full.starts_with(migrations) { None } else { Some(migrations) };
        collect_sql(&full, skip, &mut found);
        found.sort();
        files.extend(found);
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.clone()));
    files.into_iter().map(|f| Ok(QueryFile { path: display(&f), text: read(&f)?, role: crate::SourceRole::Production })).collect()
}

fn collect_sql(dir: &Path, skip: Option<&Path>, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if skip.is_some_and(|s| p.starts_with(s)) {
            continue;
        }
        if p.is_dir() {
            collect_sql(&p, skip, out);
        } else if p.extension().is_some_and(|x| x == "sql") {
            out.push(p);
        }
    }
}

fn default_location(root: &Path, l: Layout) -> Option<PathBuf> {
    let cands: &[&str] = match l {
        Layout::Supabase => &["supabase/migrations"],
        Layout::Prisma => &["prisma/migrations"],
        Layout::Drizzle => {
            return find_journal(root, 4).map(|j| j.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default())
        }
        Layout::Structure => &["db/structure.sql", "structure.sql", "schema.sql", "db/schema.sql"],
        Layout::Flyway => &["src/main/resources/db/migration", "db/migration", "migrations"],
        Layout::PrismaSchema => &["prisma/schema.prisma", "schema.prisma", "prisma/schema"],
        Layout::Diesel => return crate::runners::diesel_location(root),
        _ => &["migrations", "db/migrations", "sql/migrations"],
    };
    cands.iter().map(|c| root.join(c)).find(|p| p.exists())
}

fn find_journal(root: &Path, depth: usize) -> Option<PathBuf> {
    let j = root.join("meta/_journal.json");
    if j.is_file() {
        return Some(j);
    }
    if depth == 0 {
        return None;
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root).ok()?.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs.into_iter()
        .filter(|d| {
            let name = file_name(d);
            // Not the journals of tests, fixtures or examples.
            !(SKIP_DIRS.contains(&name.as_str()) || name.starts_with('.'))
                && matches!(crate::source_role(&format!("{name}/x.sql")), crate::SourceRole::Production | crate::SourceRole::DataMigration)
        })
        .find_map(|d| find_journal(&d, depth - 1))
}

fn detect(root: &Path) -> Result<(Layout, PathBuf), ProjectError> {
    let looked = vec![
        "supabase/migrations".to_string(),
        "prisma/migrations".into(),
        "drizzle meta/_journal.json".into(),
        "db/structure.sql".into(),
        "migrations/, db/migrations/, src/main/resources/db/migration/".into(),
        "diesel migrations/*/up.sql".into(),
        "*.sql in the directory itself".into(),
        "a PostgreSQL prisma/schema.prisma (db push)".into(),
    ];
    for (dir, l) in [("supabase/migrations", Layout::Supabase), ("prisma/migrations", Layout::Prisma)] {
        let p = root.join(dir);
        if p.is_dir() {
            return Ok((l, p));
        }
    }
    if let Some(j) = find_journal(root, 4) {
        return Ok((Layout::Drizzle, j.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default()));
    }
    for f in ["db/structure.sql", "structure.sql"] {
        let p = root.join(f);
        if p.is_file() {
            return Ok((Layout::Structure, p));
        }
    }
    if let Some(p) = crate::runners::diesel_location(root) {
        return Ok((Layout::Diesel, p));
    }
    for d in ["migrations", "db/migrations", "src/main/resources/db/migration", "db/migration", "sql/migrations"] {
        let p = root.join(d);
        if p.is_dir() && !sql_files(&p)?.is_empty() {
            return Ok((classify_dir(&p)?, p));
        }
    }
    // A schema file applied with psql (listmonk's `schema.sql`), else the directory's own files.
    for f in ["schema.sql", "db/schema.sql"] {
        let p = root.join(f);
        if p.is_file() && sql_files(root)?.len() <= 1 {
            return Ok((Layout::Structure, p));
        }
    }
    if !sql_files(root)?.is_empty() {
        return Ok((classify_dir(root)?, root.to_path_buf()));
    }
    // No migrations at all: a Prisma schema that `prisma db push` applies.
    if let Some(p) = find_prisma_schema(root) {
        return Ok((Layout::PrismaSchema, p));
    }
    Err(ProjectError::NoMigrations { root: root.to_path_buf(), looked })
}

/// A Prisma schema of another provider below `root` (`provider = "mysql"`), as
/// `(path relative to root, provider)`.
pub(crate) fn other_prisma_provider(root: &Path) -> Option<(String, String)> {
    for e in walk(root, Some(6)).filter(|e| e.file_type().is_some_and(|t| t.is_file())) {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "prisma") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(p) else { continue };
        let provider = text
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("provider") && l.contains('='))
            .filter_map(|l| l.split('"').nth(1))
            .find(|v| !v.starts_with("prisma-client") && !v.contains("js") && *v != "prisma-kysely");
        if let Some(v) = provider.filter(|v| !v.contains("postgres")) {
            return Some((display(p.strip_prefix(root).unwrap_or(p)), v.to_string()));
        }
    }
    None
}

/// Tells a directory of SQL files' runner apart by what the files look like.
pub(crate) fn classify_dir(dir: &Path) -> Result<Layout, ProjectError> {
    let files = sql_files(dir)?;
    let names: Vec<String> = files.iter().map(|f| file_name(f)).collect();
    if names.iter().any(|n| flyway_version(n).is_some()) {
        return Ok(Layout::Flyway);
    }
    for f in &files {
        if read(f)?.contains("+goose Up") {
            return Ok(Layout::Goose);
        }
    }
    if names.iter().any(|n| n.ends_with(".up.sql")) {
        return Ok(Layout::Sqlx);
    }
    if !names.is_empty()
        && names.iter().all(|n| version(n).is_some())
        && files.iter().any(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains("-- postgres-migrations ")))
    {
        return Ok(Layout::PostgresMigrations);
    }
    if !names.is_empty() && names.iter().all(|n| version(n).is_some()) {
        return Ok(Layout::Sqlx);
    }
    Ok(Layout::Plain)
}

fn migration(path: &Path, text: String, transactional: bool) -> Migration {
    Migration { path: display(path), text, transactional, host: None, standalone: Vec::new(), part: Part::Whole }
}

/// The text of a Prisma schema: one file, or every `.prisma` file of a multi-file schema folder
/// (`prismaSchemaFolder`), subfolders included, in path order.
fn prisma_schema_text(loc: &Path) -> Result<String, ProjectError> {
    if loc.is_file() {
        return read(loc);
    }
    let mut files = Vec::new();
    prisma_files(loc, &mut files);
    files.sort();
    let mut text = String::new();
    for f in files {
        text.push_str(&read(&f)?);
        text.push('\n');
    }
    Ok(text)
}

fn prisma_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() && !SKIP_DIRS.contains(&file_name(&p).as_str()) && p.file_name().is_some_and(|n| n != "migrations") {
            prisma_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "prisma") {
            out.push(p);
        }
    }
}

/// A Prisma schema for PostgreSQL without migrations: where `prisma.config.*` or package.json
/// says, else at the places Prisma looks by default. A schema without models (a generator-only
/// stub that a build step fills with another package's models) is none.
pub(crate) fn find_prisma_schema(root: &Path) -> Option<PathBuf> {
    let postgres = |t: &str| t.contains("provider") && (t.contains("\"postgresql\"") || t.contains("\"postgres\""));
    let models = |t: &str| {
        t.lines().any(|l| {
            let l = l.trim();
            (l.starts_with("model ") || l.starts_with("view ")) && l.ends_with('{')
        })
    };
    let configured = crate::markers::prisma_configured_schema(root);
    let defaults = ["prisma/schema.prisma", "schema.prisma", "prisma/schema"].map(|c| root.join(c));
    // A main file without models may head a schema folder (its models in files beside it).
    let cands = configured.into_iter().chain(defaults).filter(|p| p.exists()).flat_map(|p| {
        let folder = (p.is_file() && p.parent().is_some_and(|d| d != root)).then(|| p.parent().map(Path::to_path_buf)).flatten();
        std::iter::once(p).chain(folder)
    });
    cands.into_iter().find(|p| prisma_schema_text(p).is_ok_and(|t| postgres(&t) && models(&t)))
}

fn collect(layout: Layout, loc: &Path, notes: &mut Vec<Note>) -> Result<Vec<Migration>, ProjectError> {
    let mut out = Vec::new();
    match layout {
        Layout::PrismaSchema => {}
        Layout::Diesel => out = crate::runners::diesel(loc, notes)?,
        Layout::PostgresMigrations => out = crate::runners::postgres_migrations(loc)?,
        Layout::GoSteps => out = crate::runners::go_steps(loc)?,
        Layout::Structure => {
            let f = if loc.is_file() {
                loc.to_path_buf()
            } else {
                default_location(loc, Layout::Structure).unwrap_or_else(|| loc.join("structure.sql"))
            };
            // A dump is loaded with psql: each statement on its own.
            out.push(migration(&f, read(&f)?, false));
        }
        Layout::Supabase => {
            for f in sql_files(loc)? {
                out.push(migration(&f, read(&f)?, true));
            }
        }
        Layout::Plain => {
            // Run with psql -f, statement by statement.
            for f in sql_files(loc)? {
                out.push(migration(&f, read(&f)?, false));
            }
        }
        Layout::Prisma => {
            let rd = std::fs::read_dir(loc).map_err(|error| ProjectError::Io { path: loc.to_path_buf(), error })?;
            let mut dirs: Vec<PathBuf> = rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
            dirs.sort();
            for d in dirs {
                let f = d.join("migration.sql");
                if f.is_file() {
                    let text = read(&f)?;
                    // Prisma sends the whole file as one query string: several statements run as
                    // one (implicit) transaction, where CONCURRENTLY fails with 25001; a file
                    // of a single statement runs on its own (how CONCURRENTLY works in Prisma).
                    let tx = !(text.to_ascii_uppercase().contains("CONCURRENTLY") && pgvet_syntax::parse_sql(&text).statements.len() == 1);
                    out.push(migration(&f, text, tx));
                }
            }
        }
        Layout::Drizzle => {
            let journal = loc.join("meta/_journal.json");
            let text = read(&journal)?;
            let v: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| ProjectError::Journal { path: journal.clone(), message: e.to_string() })?;
            let entries = v["entries"]
                .as_array()
                .ok_or_else(|| ProjectError::Journal { path: journal.clone(), message: "no `entries` array".into() })?;
            let mut listed = Vec::new();
            for e in entries {
                let Some(tag) = e["tag"].as_str() else { continue };
                let f = loc.join(format!("{tag}.sql"));
                listed.push(f.clone());
                if !f.is_file() {
                    notes.push(Note {
                        path: display(&journal),
                        text: text.clone(),
                        message: format!("the journal lists `{tag}` but {} does not exist", display(&f)),
                    });
                    continue;
                }
                out.push(migration(&f, read(&f)?, true));
            }
            for f in sql_files(loc)? {
                if !listed.contains(&f) {
                    notes.push(Note {
                        path: display(&f),
                        text: std::fs::read_to_string(&f).unwrap_or_default(),
                        message: "not in meta/_journal.json: drizzle-kit will not apply it, so pgvet skipped it".into(),
                    });
                }
            }
        }
        Layout::Sqlx | Layout::GolangMigrate | Layout::GoEmbed => {
            let mut files: Vec<(Option<u128>, String, PathBuf)> = sql_files(loc)?
                .into_iter()
                .map(|f| (version(&file_name(&f)), file_name(&f), f))
                .filter(|(_, n, _)| !n.ends_with(".down.sql"))
                .collect();
            files.sort();
            for (_, _, f) in files {
                let text = read(&f)?;
                let tx = !text.trim_start().to_ascii_lowercase().starts_with("-- no-transaction");
                out.push(migration(&f, text, tx));
            }
        }
        Layout::Goose => {
            let mut files: Vec<(Option<u128>, String, PathBuf)> =
                sql_files(loc)?.into_iter().map(|f| (version(&file_name(&f)), file_name(&f), f)).collect();
            // Go migrations (`<version>_name.go`, registered with goose.AddMigration...) run in
            // the same sequence.
            for f in go_migrations(loc)? {
                files.push((version(&file_name(&f)), file_name(&f), f));
            }
            files.sort();
            for (_, _, f) in files {
                let text = read(&f)?;
                if f.extension().is_some_and(|e| e == "go") {
                    let tx = !text.contains("NoTx");
                    out.push(Migration {
                        path: display(&f),
                        text,
                        transactional: tx,
                        host: Some("go"),
                        standalone: Vec::new(),
                        part: Part::Whole,
                    });
                    continue;
                }
                // goose reads its annotations case-insensitively.
                let tx = !text.to_ascii_lowercase().contains("+goose no transaction");
                out.push(Migration { part: Part::GooseUp, ..migration(&f, goose_up_only(&text), tx) });
            }
        }
        Layout::Flyway => {
            let mut versioned = Vec::new();
            let mut repeatable = Vec::new();
            for f in sql_files(loc)? {
                let n = file_name(&f);
                if let Some(v) = flyway_version(&n) {
                    versioned.push((v, f));
                } else if n.starts_with("R__") {
                    repeatable.push(f);
                } else if !n.starts_with('U') {
                    notes.push(Note {
                        path: display(&f),
                        text: std::fs::read_to_string(&f).unwrap_or_default(),
                        message: "not a Flyway migration name (V<version>__<name>.sql): skipped".into(),
                    });
                }
            }
            versioned.sort();
            for f in versioned.into_iter().map(|(_, f)| f).chain(repeatable) {
                out.push(migration(&f, read(&f)?, true));
            }
        }
    }
    Ok(out)
}

/// Keeps a goose file's Up section. The rest is blanked (newlines kept) so that line and
/// column numbers still match the file on disk.
pub fn goose_up_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut up = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with("-- +goose Up") {
            up = true;
        } else if t.starts_with("-- +goose Down") {
            up = false;
        }
        if up {
            out.push_str(line);
        } else {
            out.extend(line.chars().map(|c| if c == '\n' || c == '\r' { c } else { ' ' }));
        }
    }
    out
}

#[cfg(test)]
mod tests;

/// Directories that hold dependencies or build output, never the project's own code.
pub(crate) const SKIP_DIRS: &[&str] =
    &["node_modules", "dist", "build", "out", ".next", ".nuxt", ".svelte-kit", "vendor", "target", "coverage", ".turbo", ".vercel"];

/// Application source files under the root, respecting .gitignore (in name order). A file that
/// cannot be read, or is not UTF-8, is noted in `unreadable` (the latter is still checked, as
/// decoded with replacement characters).
fn find_sources(root: &Path, unreadable: &mut Vec<Note>) -> Vec<QueryFile> {
    let mut files: Vec<PathBuf> = walk(root, None)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .filter(|p| pgvet_code_like(&p.to_string_lossy()))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let role = crate::source_role(&p.strip_prefix(root).unwrap_or(&p).to_string_lossy());
            // Vendored code and assets (a syntax highlighter's test files) are not the project's.
            if role == crate::SourceRole::Vendored {
                return None;
            }
            let bytes = match std::fs::read(&p) {
                Ok(b) => b,
                Err(e) => {
                    unreadable.push(Note {
                        path: display(&p),
                        text: String::new(),
                        message: format!("pgvet cannot read this file ({e}): its queries are not checked"),
                    });
                    return None;
                }
            };
            let text = match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    let bytes = e.into_bytes();
                    let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    unreadable.push(Note {
                        path: display(&p),
                        text: text.clone(),
                        message: format!(
                            "this file is not valid UTF-8 (first at line {line}): pgvet read it with U+FFFD in place of the bytes it could not decode; queries on those lines may not be checked as written"
                        ),
                    });
                    text
                }
            };
            // Minified bundles are not the project's code.
            if text.lines().any(|l| l.len() > 5000) {
                return None;
            }
            Some(QueryFile { path: display(&p), text, role })
        })
        .collect()
}

fn pgvet_code_like(path: &str) -> bool {
    let ext = path.rsplit('.').next().unwrap_or("");
    (matches!(ext, "ts" | "tsx" | "js" | "jsx" | "mjs" | "cjs" | "mts" | "cts" | "prisma" | "go" | "py" | "rs")
        && !path.ends_with(".d.ts")
        && !path.contains(".min."))
}
