//! A discovered project (pgvet-project's `Project`) as the analysis takes it: its settings from
//! pgvet.toml, its migrations, query files and the catalog it starts from. Data conversion only:
//! discovery itself (the file system) stays in pgvet-project.
use pgvet_catalog::Catalog;
use pgvet_project::Project;
use pgvet_syntax::SourceFile;

use crate::analysis::MigrationFile;
use crate::diagnostic::Severity;
use crate::settings::Settings;

/// The rule settings of a project's pgvet.toml (an unknown rule or group is an error at its line).
pub fn settings(project: &Project) -> Result<Settings, String> {
    let mut settings = Settings::default();
    for k in project.config.rule_keys(&project.config_text) {
        if crate::rule_by_id(k.value).is_none() && !crate::settings::GROUPS.iter().any(|(g, _)| *g == k.value) {
            let cfg = project.config_path.as_deref().map(|p| p.display().to_string()).unwrap_or_default();
            return Err(format!(
                "{cfg}:{}:{}: unknown rule or group `{}` in [rules]; `pgvet rules` lists them (groups: locks, rewrites, breaking, repeatability, style)",
                k.line, k.column, k.value
            ));
        }
    }
    for (k, v) in &project.config.rules {
        settings.severities.insert(k.get_ref().clone(), Severity::parse(v.get_ref()));
    }
    if let Some(c) = &project.config.tenant.columns {
        settings.tenant_columns = c.clone();
    }
    settings.global_tables = project.config.tenant.global_tables.clone();
    if let Some(s) = &project.config.api.schemas {
        settings.exposed_schemas = s.clone();
    }
    if let Some(r) = &project.config.api.roles {
        settings.api_roles = r.clone();
    }
    settings.include_tests = project.config.code.include_tests.unwrap_or(false);
    // The Supabase CLI runs `RESET ALL` before each migration; the database's search_path is
    // `"$user", public, extensions`.
    if project.layout == pgvet_project::Layout::Supabase {
        settings.session_reset = Some(vec!["public".into(), "extensions".into()]);
    }
    settings.sibling_tables = project.sibling_tables.iter().cloned().collect();
    settings.multi_database_sources = project.multi_database_sources.clone();
    settings.non_production = project.sources.iter().filter(|s| !s.role.is_production()).map(|s| s.path.clone()).collect();
    settings.standalone = project.migrations.iter().flat_map(|m| m.standalone.iter().map(|s| (m.path.clone(), s.start))).collect();
    Ok(settings)
}

/// The catalog the migrations start from: Prisma's declared schema, Supabase's or GoTrue's
/// built-ins, or empty; with the schemas the runner creates before the first migration.
pub fn base_catalog(project: &Project) -> Catalog {
    let mut catalog = declared_or_builtin(project);
    for s in &project.base_schemas {
        catalog.schemas.insert(s.clone());
    }
    if let Some(t) = project.layout.runner_table() {
        pgvet_catalog::builtins::add_runner_table(&mut catalog, t.name, t.columns, t.key);
    }
    catalog
}

fn declared_or_builtin(project: &Project) -> Catalog {
    if let Some(prisma) = &project.declared {
        crate::declared_prisma_catalog(prisma)
    } else if project.supabase {
        pgvet_catalog::builtins::supabase()
    } else if project.gotrue {
        pgvet_catalog::builtins::gotrue()
    } else {
        Catalog::new()
    }
}

/// The application's source files, without data migrations: code beside the migrations ran once,
/// against the schema of its time, and checking it against today's schema would blame it for
/// later renames.
pub fn sources(project: &Project) -> Vec<SourceFile> {
    project
        .sources
        .iter()
        .filter(|q| q.role != pgvet_project::SourceRole::DataMigration)
        .map(|q| SourceFile::new(q.path.clone(), q.text.clone()))
        .collect()
}

/// The query files (sqlc and similar).
pub fn queries(project: &Project) -> Vec<SourceFile> {
    project.queries.iter().map(|q| SourceFile::new(q.path.clone(), q.text.clone())).collect()
}

/// The migrations, with how their runner applies them.
pub fn migrations(project: &Project) -> Vec<MigrationFile> {
    project
        .migrations
        .iter()
        .map(|m| MigrationFile {
            source: SourceFile::new(m.path.clone(), m.text.clone()),
            transactional: m.transactional,
            host: m.host.map(String::from),
            reruns: !matches!(project.layout, pgvet_project::Layout::Plain | pgvet_project::Layout::Structure),
        })
        .collect()
}

/// The whole project analysed the way `pgvet check` does: migrations, query files and the
/// application's sources (data migrations left out) over the project's base catalog.
pub fn analyze(project: &Project, settings: &Settings) -> crate::analysis::Analysis {
    crate::analysis::analyze_all(migrations(project), queries(project), sources(project), base_catalog(project), settings)
}
