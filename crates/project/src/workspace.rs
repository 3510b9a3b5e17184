//! Every database of a repository. A monorepo can hold several (two Prisma schemas and a Drizzle
//! one, a goose service beside a sqlx crate); each is found from the markers its ecosystem uses,
//! checked on its own, and gets the application code that uses it: the code of its own package,
//! and of packages that depend on it.
use std::path::{Path, PathBuf};

use crate::discover::{classify_dir, display, load_at, sql_files};
use crate::markers::HostMigrations;
use crate::{load, Layout, Project, ProjectError};

/// The databases of a repository.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub databases: Vec<Project>,
    /// Source files that no database could claim (their code rules did not run).
    pub unassigned_sources: usize,
    /// Migrations written in a host language (knex, TypeORM, Rails, ...) that no replayable
    /// database of the same package covers: listed, not replayed.
    pub not_replayed: Vec<HostMigrations>,
}

impl Project {
    /// A short name for the database: its migrations location relative to the root.
    pub fn name(&self) -> String {
        if let Some(n) = &self.display_name {
            return n.clone();
        }
        let rel = self.location.strip_prefix(&self.root).unwrap_or(&self.location);
        let s = display(rel);
        if s.is_empty() {
            ".".into()
        } else {
            s
        }
    }
}

/// Loads every database under `path`. With a configured layout or path, a single `.sql` file, or
/// only one database in the tree, this is [`load`]'s one project.
pub fn load_workspace(path: &Path) -> Result<Workspace, ProjectError> {
    let single = |p: Project| Workspace { root: p.root.clone(), databases: vec![p], unassigned_sources: 0, not_replayed: Vec::new() };
    if path.is_file() || !path.exists() {
        return load(path).map(single);
    }
    let config_path = path.join("pgvet.toml");
    let text = std::fs::read_to_string(&config_path).unwrap_or_default();
    let config = if config_path.is_file() {
        crate::Config::parse(&display(&config_path), &text).map_err(ProjectError::Config)?
    } else {
        crate::Config::default()
    };
    if config.migrations.layout.is_some() || config.migrations.path.is_some() {
        return load(path).map(single);
    }
    // Databases named in pgvet.toml, else found from the tree.
    let explicit: Vec<Named> = config
        .database
        .iter()
        .map(|d| {
            let layout = Layout::parse(d.layout.get_ref()).ok_or_else(|| {
                let at = pgvet_syntax::SourceFile::new("", text.as_str()).line_col(d.layout.span().start);
                ProjectError::Config(crate::ConfigError {
                    path: display(&config_path),
                    line: at.line,
                    column: at.column,
                    message: format!("unknown layout `{}` in [[database]]; one of {}", d.layout.get_ref(), Layout::NAMES.join(", ")),
                })
            })?;
            Ok(Named { layout, location: path.join(d.path.get_ref()), name: d.name.clone(), code: d.code.clone() })
        })
        .collect::<Result<_, ProjectError>>()?;
    if !explicit.is_empty() {
        let mut databases = Vec::new();
        for d in &explicit {
            let mut p = load_at(path, Some((d.layout, d.location.clone())), explicit.len() == 1)?;
            p.display_name = d.name.clone();
            databases.push(p);
        }
        let roots: Vec<Option<Vec<PathBuf>>> =
            explicit.iter().map(|d| d.code.as_ref().map(|c| c.iter().map(|r| path.join(r)).collect())).collect();
        let unassigned = assign_sources(path, &mut databases, &roots);
        return Ok(Workspace { root: path.to_path_buf(), databases, unassigned_sources: unassigned, not_replayed: Vec::new() });
    }
    let (found, hosts) = find_all(path);
    // Host-language migrations that a replayable database of their package does not cover.
    let not_replayed: Vec<HostMigrations> = hosts
        .into_iter()
        .filter(|h| {
            let pkg = package_of(path, &h.path).0;
            !found.iter().any(|(_, f)| package_of(path, f).0 == pkg)
        })
        .collect();
    if found.len() <= 1 {
        // The one database the tree has (what `detect` would pick first may be another
        // journal or folder, one the tree's discovery leaves out); none: the root's own files.
        let first = if found.len() == 1 { load_at(path, found.into_iter().next(), true) } else { load(path) };
        let loaded = match first {
            Ok(p) => Ok(p),
            Err(ProjectError::NoMigrations { root, .. }) if !not_replayed.is_empty() => {
                Err(ProjectError::NotReplayable { root, sets: not_replayed.clone() })
            }
            Err(ProjectError::NoMigrations { root, looked }) => match crate::discover::other_prisma_provider(path) {
                Some((file, provider)) => {
                    Err(ProjectError::OtherEngine { root, what: format!("{file} is a Prisma schema for {provider}") })
                }
                None => Err(ProjectError::NoMigrations { root, looked }),
            },
            Err(e) => Err(e),
        };
        return loaded.map(|p| {
            let mut ws = Workspace { not_replayed, ..single(p) };
            drop_other_engine_sources(path, &mut ws);
            ws
        });
    }
    let mut databases = Vec::new();
    for f in found {
        databases.push(load_at(path, Some(f), false)?);
    }
    let n = databases.len();
    let unassigned = assign_sources(path, &mut databases, &vec![None; n]);
    let mut ws = Workspace { root: path.to_path_buf(), databases, unassigned_sources: unassigned, not_replayed };
    drop_other_engine_sources(path, &mut ws);
    Ok(ws)
}

/// Rust files of a crate whose sqlx is another engine's (its SQLite client code) use none of the
/// PostgreSQL databases: they are counted as unassigned, not checked against them.
fn drop_other_engine_sources(root: &Path, ws: &mut Workspace) {
    let mut verdicts: std::collections::HashMap<PathBuf, bool> = std::collections::HashMap::new();
    let mut dropped = 0;
    for db in ws.databases.iter_mut() {
        db.sources.retain(|s| {
            let file = Path::new(&s.path);
            if file.extension().is_none_or(|x| x != "rs") {
                return true;
            }
            let Some(dir) = file.parent() else { return true };
            let Some(manifest) = crate_manifest(root, dir) else { return true };
            let other = *verdicts.entry(manifest.clone()).or_insert_with(|| sqlx_for_other_engine(root, dir));
            if other {
                dropped += 1;
            }
            !other
        });
    }
    ws.unassigned_sources += dropped;
}

/// Gives each source file to one database: the one whose configured code roots hold it, else the
/// database of its package, or of a package it depends on. Returns how many went to none.
fn assign_sources(path: &Path, databases: &mut [Project], code_roots: &[Option<Vec<PathBuf>>]) -> usize {
    let mut also_uses: Vec<std::collections::BTreeSet<usize>> = vec![Default::default(); databases.len()];
    // Each source file goes to the database of its package, or of a package it depends on.
    let all = std::mem::take(&mut databases[0].sources);
    for d in databases.iter_mut().skip(1) {
        d.sources.clear();
    }
    let owners: Vec<(PathBuf, Option<String>)> = databases.iter().map(|d| package_of(path, &d.location)).collect();
    let sizes: Vec<usize> = databases.iter().map(|d| d.migrations.len()).collect();
    let mut unassigned = 0;
    let mut packages = Packages::default();
    for s in all {
        let configured =
            code_roots.iter().position(|r| r.as_ref().is_some_and(|roots| roots.iter().any(|c| Path::new(&s.path).starts_with(c))));
        if let Some(i) = configured {
            databases[i].sources.push(s);
            continue;
        }
        let (pkg, _) = packages.package_of(path, Path::new(&s.path));
        let deps = packages.dependencies(&pkg);
        let direct = owners.iter().position(|(root, _)| *root == pkg && pkg.as_path() != path);
        let by_dependency = || {
            let candidates: Vec<usize> = (0..owners.len()).filter(|&i| owners[i].1.as_ref().is_some_and(|n| deps.contains(n))).collect();
            // A package that uses several: the one this file imports, else its main database
            // (the one with the longest history).
            let imported: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|&i| owners[i].1.as_ref().is_some_and(|n| s.text.contains(&format!("\"{n}")) || s.text.contains(&format!("'{n}"))))
                .collect();
            match imported.as_slice() {
                [one] => Some(*one),
                _ => candidates.into_iter().max_by_key(|&i| sizes[i]),
            }
        };
        match direct.or_else(by_dependency) {
            Some(i) => {
                // The other databases this file's package also uses.
                let others: Vec<usize> =
                    (0..owners.len()).filter(|&j| j != i && owners[j].1.as_ref().is_some_and(|n| deps.contains(n))).collect();
                if !others.is_empty() {
                    databases[i].multi_database_sources.insert(s.path.clone());
                }
                also_uses[i].extend(others);
                databases[i].sources.push(s)
            }
            None => unassigned += 1,
        }
    }
    share_table_names(databases, &also_uses);
    unassigned
}

/// Each database learns the table names of the other databases that packages of its code also
/// use (depend on): a file of such a package may query any of them.
fn share_table_names(databases: &mut [Project], also_uses: &[std::collections::BTreeSet<usize>]) {
    let created: Vec<Vec<String>> = databases.iter().map(Project::created_tables).collect();
    for (i, d) in databases.iter_mut().enumerate() {
        let mine = &created[i];
        d.sibling_tables = also_uses[i].iter().flat_map(|&j| &created[j]).filter(|t| mine.binary_search(t).is_err()).cloned().collect();
        d.sibling_tables.sort();
        d.sibling_tables.dedup();
    }
}

/// A `[[database]]` of pgvet.toml.
struct Named {
    layout: Layout,
    location: PathBuf,
    name: Option<String>,
    code: Option<Vec<String>>,
}

/// Files that mark a package root.
const PACKAGE_MARKERS: &[&str] = &["package.json", "go.mod", "Cargo.toml", "pyproject.toml", "setup.py", "Gemfile"];

/// The package that holds `p` (nearest ancestor with a package marker, up to `root`) and its
/// package.json name.
pub(crate) fn package_of(root: &Path, p: &Path) -> (PathBuf, Option<String>) {
    package_holding(root, if p.is_dir() { p.to_path_buf() } else { p.parent().map(Path::to_path_buf).unwrap_or_default() })
}

/// The package that holds the directory `dir` (see [`package_of`]).
fn package_holding(root: &Path, mut dir: PathBuf) -> (PathBuf, Option<String>) {
    loop {
        if PACKAGE_MARKERS.iter().any(|m| dir.join(m).is_file()) {
            let name = std::fs::read_to_string(dir.join("package.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["name"].as_str().map(String::from));
            return (dir, name);
        }
        if dir == root || !dir.pop() || !dir.starts_with(root) {
            return (root.to_path_buf(), None);
        }
    }
}

/// Package roots and package.json dependencies, each found or read once per run: a monorepo's
/// thousands of source files share a few packages.
#[derive(Default)]
struct Packages {
    /// A directory → the package that holds it (see [`package_of`]).
    of_dir: std::collections::HashMap<PathBuf, (PathBuf, Option<String>)>,
    /// A package root → what its package.json depends on.
    dependencies: std::collections::HashMap<PathBuf, std::rc::Rc<Vec<String>>>,
}

impl Packages {
    /// [`package_of`], remembered for every directory the walk up passes.
    fn package_of(&mut self, root: &Path, p: &Path) -> (PathBuf, Option<String>) {
        let start = if p.is_dir() { p.to_path_buf() } else { p.parent().map(Path::to_path_buf).unwrap_or_default() };
        if let Some(found) = self.of_dir.get(&start) {
            return found.clone();
        }
        let found = package_holding(root, start.clone());
        // Every directory from `start` up to the package root walks up to the same answer.
        let mut dir = start;
        loop {
            let last = dir == found.0 || dir == root || !dir.starts_with(root);
            self.of_dir.insert(dir.clone(), found.clone());
            if last || !dir.pop() {
                break;
            }
        }
        found
    }

    /// [`dependencies`], read once per package.
    fn dependencies(&mut self, pkg: &Path) -> std::rc::Rc<Vec<String>> {
        self.dependencies.entry(pkg.to_path_buf()).or_insert_with(|| std::rc::Rc::new(dependencies(pkg))).clone()
    }
}

/// The names a package.json depends on (all dependency kinds).
fn dependencies(pkg: &Path) -> Vec<String> {
    let Some(v) = std::fs::read_to_string(pkg.join("package.json")).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    else {
        return Vec::new();
    };
    ["dependencies", "devDependencies", "peerDependencies"]
        .iter()
        .filter_map(|k| v[*k].as_object())
        .flat_map(|m| m.keys().cloned())
        .collect()
}

/// Every migrations location under `root`, from each ecosystem's markers, skipping tests,
/// fixtures, examples and ignored or built folders.
pub fn find_databases(root: &Path) -> Vec<(Layout, PathBuf)> {
    find_all(root).0
}

/// The migrations locations under `root`, and the folders of migrations written in a host
/// language.
fn find_all(root: &Path) -> (Vec<(Layout, PathBuf)>, Vec<HostMigrations>) {
    // Not the migrations of tests, fixtures, examples or vendored code.
    let not_ours = |p: &Path, file: &str| {
        let rel = p.strip_prefix(root).unwrap_or(p).to_string_lossy().replace('\\', "/");
        matches!(
            crate::source_role(&format!("{rel}/{file}")),
            crate::SourceRole::Test | crate::SourceRole::Fixture | crate::SourceRole::Example | crate::SourceRole::Vendored
        )
    };
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut go_files: Vec<PathBuf> = Vec::new();
    let mut go_tests: Vec<PathBuf> = Vec::new();
    for e in crate::discover::walk(root, Some(8)) {
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        let p = e.into_path();
        if is_dir {
            if !not_ours(&p, "x.sql") {
                dirs.push(p);
            }
        } else if p.extension().is_some_and(|x| x == "go") {
            if p.to_string_lossy().ends_with("_test.go") {
                go_tests.push(p);
            } else if !p.parent().is_some_and(|d| not_ours(d, "x.go")) {
                go_files.push(p);
            }
        }
    }
    dirs.sort();
    go_files.sort();
    // Folders of SQL that Go code embeds; those only tests embed are test data.
    let embedded = crate::runners::go_embedded(&go_files);
    let test_data: Vec<PathBuf> = crate::runners::go_embedded(&go_tests).into_iter().filter(|d| !embedded.contains(d)).collect();
    dirs.retain(|d| !test_data.contains(d));
    let mut found: Vec<(Layout, PathBuf)> = Vec::new();
    let mut hosts = Vec::new();
    let mut declared: Vec<PathBuf> = Vec::new();
    for d in dirs.iter().filter(|d| !other_engine(root, d)) {
        if let Some(p) = crate::discover::find_prisma_schema(d) {
            if !declared.contains(&p) {
                declared.push(p);
            }
        }
        if let Some(h) = crate::markers::host_migrations(d) {
            hosts.push(h);
            continue;
        }
        let name = d.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        let parent = d.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if let Some(m) = crate::markers::prisma_configured_migrations(d) {
            if has_prisma_migrations(&m) {
                found.push((Layout::Prisma, m));
            }
        }
        let layout = if d.join("meta/_journal.json").is_file() {
            Some(Layout::Drizzle)
        } else if matches!(name.as_str(), "migrations" | "migration") && crate::runners::is_diesel_dir(d) {
            Some(Layout::Diesel)
        } else if name == "migrations" && parent == "supabase" {
            Some(Layout::Supabase)
        } else if d.join("migration_lock.toml").is_file() || name == "migrations" && (parent == "prisma" || has_prisma_migrations(d)) {
            // Prisma writes migration_lock.toml into its migrations folder, whatever its name
            // (prisma.config.ts can move it).
            Some(Layout::Prisma)
        } else if d.join("structure.sql").is_file() && name == "db" {
            found.push((Layout::Structure, d.join("structure.sql")));
            None
        } else if matches!(name.as_str(), "migrations" | "migration" | "schema_migrations") && !sql_files(d).unwrap_or_default().is_empty()
        {
            classify(root, d)
        } else if matches!(parent.as_str(), "migrations" | "migration") && numbered_subfolder(d) {
            // One database per folder (Supabase Storage's `migrations/tenant`, `.../multitenant`).
            classify(root, d)
        } else {
            None
        };
        if let Some(l) = layout {
            // Files a Go binary embeds: its own runner, one transaction per version.
            let l = if l == Layout::Sqlx && embedded.contains(d) { Layout::GoEmbed } else { l };
            found.push((l, d.clone()));
        }
    }
    // SQL in Go: a file of migration steps, and folders the binary embeds.
    for f in go_files.iter().filter(|f| crate::runners::is_go_steps(f)) {
        found.push((Layout::GoSteps, f.clone()));
    }
    for d in embedded {
        if !other_engine(root, &d) && !found.iter().any(|(_, q)| *q == d) {
            found.push((Layout::GoEmbed, d));
        }
    }
    // A location inside another (a Drizzle journal in supabase/migrations) is the same database.
    found.sort_by_key(|(_, p)| p.components().count());
    let mut out: Vec<(Layout, PathBuf)> = Vec::new();
    for (l, p) in found {
        if let Some(existing) = out.iter_mut().find(|(_, q)| p.starts_with(q) || q.starts_with(&p)) {
            // The more specific marker wins (a journal over a folder name).
            if l == Layout::Drizzle {
                *existing = (l, p);
            }
            continue;
        }
        out.push((l, p));
    }
    // The same migrations embedded by two packages (River's two PostgreSQL drivers) are one
    // database.
    let mut seen: Vec<Vec<(String, String)>> = Vec::new();
    out.retain(|(l, p)| {
        if *l != Layout::GoEmbed {
            return true;
        }
        let files: Vec<(String, String)> = sql_files(p)
            .unwrap_or_default()
            .iter()
            .map(|f| (crate::discover::file_name(f), std::fs::read_to_string(f).unwrap_or_default()))
            .collect();
        if seen.contains(&files) {
            return false;
        }
        seen.push(files);
        true
    });
    // A Prisma schema whose package keeps no migrations: its models are the schema (`db push`).
    for p in declared {
        let pkg = package_of(root, &p).0;
        if !out.iter().any(|(_, q)| package_of(root, q).0 == pkg) {
            out.push((Layout::PrismaSchema, p));
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    (out, hosts)
}

/// A folder of another database engine's migrations (`db/clickhouse/migrations`, a Prisma lock
/// for MySQL, a Drizzle journal for SQLite): not PostgreSQL, not pgvet's.
fn other_engine(root: &Path, d: &Path) -> bool {
    const ENGINES: &[&str] = &[
        "clickhouse",
        "mysql",
        "mariadb",
        "sqlite",
        "mssql",
        "sqlserver",
        "oracle",
        "duckdb",
        "snowflake",
        "bigquery",
        "cassandra",
        "mongo",
        "mongodb",
    ];
    let rel = d.strip_prefix(root).unwrap_or(d);
    // A folder named for an engine, or for a driver of one (River's `riversqlite`).
    let named = rel.components().any(|c| {
        let c = c.as_os_str().to_string_lossy().to_ascii_lowercase();
        ENGINES.contains(&c.as_str())
            || (["sqlite", "mysql", "mariadb", "clickhouse", "mssql", "duckdb"].iter().any(|e| c.contains(e))
                && !c.contains("postgres")
                && !c.contains("pg"))
    });
    let provider = |f: &Path, key: &str| {
        std::fs::read_to_string(f).ok().is_some_and(|t| {
            t.lines().any(|l| {
                let l = l.trim();
                (l.starts_with(key) || l.starts_with(&format!("\"{key}\""))) && !l.contains("postgres") && !l.contains("pg")
            })
        })
    };
    let dialect = std::fs::read_to_string(d.join("meta/_journal.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["dialect"].as_str().map(str::to_ascii_lowercase))
        .is_some_and(|x| !x.contains("postgres") && x != "pg");
    named || provider(&d.join("migration_lock.toml"), "provider") || dialect || sqlx_for_other_engine(root, d)
}

/// The Cargo.toml of the Rust crate a folder belongs to: the nearest one above it, within `root`.
fn crate_manifest(root: &Path, dir: &Path) -> Option<PathBuf> {
    dir.ancestors().take_while(|a| a.starts_with(root)).map(|a| a.join("Cargo.toml")).find(|m| m.is_file())
}

/// A Rust crate's migrations whose `sqlx` dependency enables another engine's driver (`sqlite`,
/// `mysql`) and not `postgres`: the crate's own Cargo.toml, nearest above the folder.
fn sqlx_for_other_engine(root: &Path, d: &Path) -> bool {
    let Some(manifest) = crate_manifest(root, d) else { return false };
    let Some(doc) = std::fs::read_to_string(&manifest).ok().and_then(|t| t.parse::<toml::Table>().ok()) else { return false };
    if !["dependencies", "dev-dependencies"].iter().any(|k| doc.get(*k).is_some_and(|v| v.get("sqlx").is_some())) {
        return false;
    }
    let features: Vec<String> = ["dependencies", "dev-dependencies"]
        .iter()
        .filter_map(|k| doc.get(*k).and_then(|v| v.get("sqlx")))
        .filter_map(|sqlx| sqlx.get("features").and_then(|f| f.as_array()))
        .flatten()
        .filter_map(|f| f.as_str().map(str::to_ascii_lowercase))
        .collect();
    let other = features.iter().any(|f| f == "sqlite" || f == "mysql" || f.starts_with("sqlite-") || f.starts_with("mysql-"));
    if features.iter().any(|f| f.contains("postgres")) {
        return false;
    }
    if other {
        return true;
    }
    // No driver named in the crate's manifest (a workspace dependency whose features come from
    // elsewhere): the driver modules the crate's code uses (`use sqlx::sqlite::SqlitePool`).
    let Some(krate) = manifest.parent() else { return false };
    let drivers = sqlx_drivers_used(&krate.join("src"));
    drivers.iter().any(|d| d != "postgres") && !drivers.iter().any(|d| d == "postgres")
}

/// The sqlx drivers (`sqlite`, `mysql`, `postgres`) that Rust files under `dir` name in paths
/// (`sqlx::sqlite::...`, `sqlx::PgPool`), read from tree-sitter's Rust parse. At most 400 files.
fn sqlx_drivers_used(dir: &Path) -> Vec<String> {
    let mut parser = tree_sitter::Parser::new();
    if parser.set_language(&tree_sitter_rust::LANGUAGE.into()).is_err() {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    let files =
        ignore::WalkBuilder::new(dir).build().filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "rs")).take(400);
    for f in files {
        let Ok(text) = std::fs::read_to_string(f.path()) else { continue };
        let Some(tree) = parser.parse(&text, None) else { continue };
        let mut stack = vec![tree.root_node()];
        while let Some(n) = stack.pop() {
            // `sqlx::sqlite` is a scoped_identifier whose path is `sqlx` and name the driver.
            if matches!(n.kind(), "scoped_identifier" | "scoped_type_identifier") {
                let path = n.child_by_field_name("path").and_then(|p| p.utf8_text(text.as_bytes()).ok());
                let name = n.child_by_field_name("name").and_then(|p| p.utf8_text(text.as_bytes()).ok());
                // The driver module, or a type sqlx re-exports at its root (`sqlx::PgPool`).
                let driver = match (path, name) {
                    (Some("sqlx"), Some(d @ ("sqlite" | "mysql" | "postgres"))) => Some(d),
                    (Some("sqlx"), Some(t)) if t.starts_with("Pg") || t == "Postgres" => Some("postgres"),
                    (Some("sqlx"), Some(t)) if t.starts_with("Sqlite") => Some("sqlite"),
                    (Some("sqlx"), Some(t)) if t.starts_with("MySql") => Some("mysql"),
                    _ => None,
                };
                if let Some(d) = driver.filter(|d| !out.iter().any(|x| x == d)) {
                    out.push(d.to_string());
                }
            }
            let mut cursor = n.walk();
            stack.extend(n.children(&mut cursor));
        }
    }
    out
}

/// A folder's runner, for a folder of SQL files found by its name.
fn classify(root: &Path, d: &Path) -> Option<Layout> {
    let l = classify_dir(d).ok()?;
    Some(if l == Layout::Sqlx && crate::runners::is_postgres_migrations(root, d) { Layout::PostgresMigrations } else { l })
}

/// A subfolder of a migrations folder that holds numbered SQL files of its own, while the
/// migrations folder holds none (one folder per database; not `up`/`down` halves).
fn numbered_subfolder(d: &Path) -> bool {
    let name = d.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if matches!(name.as_str(), "down" | "rollback" | "rollbacks" | "undo" | "revert" | "seed" | "seeds" | "archive" | "old") {
        return false;
    }
    let names: Vec<String> = sql_files(d).unwrap_or_default().iter().map(|f| crate::discover::file_name(f)).collect();
    // The folder's own files first: the parent is listed only for a folder of numbered files
    // (not once for each of a Prisma history's hundreds of folders).
    !names.is_empty()
        && names.iter().all(|n| crate::discover::version(n).is_some())
        && d.parent().is_none_or(|p| sql_files(p).unwrap_or_default().is_empty())
}

fn has_prisma_migrations(d: &Path) -> bool {
    std::fs::read_dir(d).into_iter().flatten().flatten().any(|e| e.path().join("migration.sql").is_file())
}

/// The project root for what the user named: the nearest directory at or above `path` that holds
/// a `pgvet.toml` (as ruff and eslint find their config), else the repository root (`.git`) above
/// it, so a file, `src/` or `supabase/migrations` is analysed in its whole project (its databases'
/// base objects, the code that uses them); else `path` itself. A directory the repository's
/// discovery leaves out (an example, a test fixture, vendored or dependency code) is a project of
/// its own. Returned as a path relative to the same base as `path` (`../..` when `path` is `.`),
/// so displayed paths stay short.
pub fn project_root(path: &Path) -> PathBuf {
    let start = if path.is_file() { path.parent().map(Path::to_path_buf).unwrap_or_default() } else { path.to_path_buf() };
    let start = if start.as_os_str().is_empty() { PathBuf::from(".") } else { start };
    let Ok(abs) = start.canonicalize() else { return path.to_path_buf() };
    let mut git = None;
    for (k, dir) in abs.ancestors().enumerate() {
        if dir.join("pgvet.toml").is_file() {
            return if k == 0 && !path.is_file() { path.to_path_buf() } else { up(&start, k) };
        }
        if git.is_none() && dir.join(".git").exists() {
            git = Some((k, dir));
            break;
        }
    }
    match git {
        Some((k, _)) if path.is_file() => up(&start, k),
        Some((k, repo)) if k > 0 && !left_out(repo, &abs) => up(&start, k),
        _ => path.to_path_buf(),
    }
}

/// Whether discovery from `repo` leaves `dir` out: examples, tests, fixtures, vendored code,
/// dependency and build folders, hidden folders.
fn left_out(repo: &Path, dir: &Path) -> bool {
    let rel = dir.strip_prefix(repo).unwrap_or(dir);
    let skipped = rel.components().any(|c| {
        let c = c.as_os_str().to_string_lossy();
        crate::discover::SKIP_DIRS.contains(&c.as_ref()) || c.starts_with('.')
    });
    skipped
        || matches!(
            crate::source_role(&format!("{}/x.sql", rel.to_string_lossy().replace('\\', "/"))),
            crate::SourceRole::Test | crate::SourceRole::Fixture | crate::SourceRole::Example | crate::SourceRole::Vendored
        )
}

/// `k` levels above `p`, lexically (`db/migrations`, 2 → `.`; `.`, 1 → `..`).
fn up(p: &Path, k: usize) -> PathBuf {
    let mut parts: Vec<std::ffi::OsString> =
        p.components().filter(|c| !matches!(c, std::path::Component::CurDir)).map(|c| c.as_os_str().to_owned()).collect();
    for _ in 0..k {
        match parts.last() {
            Some(last) if last != ".." && !Path::new(last).has_root() => {
                parts.pop();
            }
            _ => parts.push("..".into()),
        }
    }
    if parts.is_empty() {
        PathBuf::from(".")
    } else {
        parts.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_repository_is_the_project() {
        use std::path::Path;
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        for dir in [".git", "supabase/migrations", "src/lib", "examples/demo/supabase/migrations", "tests/fixtures/app"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        std::fs::write(root.join("src/lib/a.ts"), "").unwrap();
        let at = |p: &str| super::project_root(&root.join(p)).canonicalize().unwrap();
        assert_eq!(at("supabase/migrations"), root);
        assert_eq!(at("src/lib"), root);
        assert_eq!(at("src/lib/a.ts"), root);
        assert_eq!(at("."), root);
        // What the repository's discovery leaves out is a project of its own.
        assert_eq!(at("examples/demo"), root.join("examples/demo"));
        assert_eq!(at("tests/fixtures/app"), root.join("tests/fixtures/app"));
        // Lexically above the path given.
        assert_eq!(super::project_root(Path::new(&root.join("src/lib"))), root);
    }

    #[test]
    fn a_crates_sqlx_driver_decides_its_engine() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        for (krate, features) in [("client", "[\"sqlite\", \"regexp\"]"), ("server", "[\"postgres\", \"tls-native-tls\"]")] {
            let dir = root.join("crates").join(krate);
            std::fs::create_dir_all(dir.join("migrations")).unwrap();
            std::fs::write(
                dir.join("Cargo.toml"),
                format!("[package]\nname = \"{krate}\"\n\n[dependencies]\nsqlx = {{ workspace = true, features = {features} }}\n"),
            )
            .unwrap();
            std::fs::write(dir.join("migrations/20240101000000_init.sql"), "CREATE TABLE t (id int);\n").unwrap();
        }
        // A crate that names no driver feature, whose code uses sqlx's SQLite driver.
        let kv = root.join("crates/kv");
        std::fs::create_dir_all(kv.join("migrations")).unwrap();
        std::fs::create_dir_all(kv.join("src")).unwrap();
        std::fs::write(kv.join("Cargo.toml"), "[package]\nname = \"kv\"\n\n[dependencies]\nsqlx = { workspace = true }\n").unwrap();
        std::fs::write(kv.join("src/db.rs"), "use sqlx::sqlite::{SqlitePool, SqliteConnectOptions};\npub struct Db { pool: SqlitePool }\n")
            .unwrap();
        std::fs::write(kv.join("migrations/20240101000000_kv.sql"), "CREATE TABLE kv (k text);\n").unwrap();
        std::fs::create_dir_all(root.join("crates/server/src")).unwrap();
        std::fs::write(root.join("crates/server/src/main.rs"), "fn main() { let q = \"SELECT 1\"; }\n").unwrap();
        // A crate naming no driver feature that uses both (sqlx::PgPool and an SQLite cache) stays.
        let mixed = root.join("crates/mixed");
        std::fs::create_dir_all(mixed.join("src")).unwrap();
        std::fs::write(mixed.join("Cargo.toml"), "[package]\nname = \"mixed\"\n\n[dependencies]\nsqlx = { workspace = true }\n").unwrap();
        std::fs::write(
            mixed.join("src/lib.rs"),
            "pub struct S { pg: sqlx::PgPool, cache: sqlx::sqlite::SqlitePool }\nfn q() -> &'static str { \"SELECT 1\" }\n",
        )
        .unwrap();
        let ws = super::load_workspace(&root).unwrap();
        let found: Vec<String> = ws.databases.iter().map(|p| p.name()).collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("server"), "{found:?}");
        // Whose code is checked against a PostgreSQL database: the SQLite crate's is not; a crate
        // that uses both drivers (sqlx::PgPool and an SQLite cache) is.
        assert!(super::sqlx_for_other_engine(&root, &kv.join("src")));
        assert!(!super::sqlx_for_other_engine(&root, &mixed.join("src")));
        assert!(!super::sqlx_for_other_engine(&root, &root.join("crates/server/src")));
    }

    #[test]
    fn up_is_lexical() {
        use std::path::{Path, PathBuf};
        assert_eq!(super::up(Path::new("db/migrations"), 2), PathBuf::from("."));
        assert_eq!(super::up(Path::new("."), 2), PathBuf::from("../.."));
        assert_eq!(super::up(Path::new("a"), 2), PathBuf::from(".."));
        assert_eq!(super::up(Path::new("/x/y/z"), 1), PathBuf::from("/x/y"));
    }
}
