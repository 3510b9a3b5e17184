//! `pgvet.toml`. Unknown keys are errors that name the key and its line and column.
use std::collections::BTreeMap;

use pgvet_syntax::SourceFile;
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub migrations: MigrationsConfig,
    #[serde(default)]
    pub check: CheckConfig,
    /// rule id → "off" | "info" | "warning" | "error"
    #[serde(default)]
    pub rules: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub tenant: TenantConfig,
    #[serde(default)]
    pub api: ApiConfig,
    #[serde(default)]
    pub queries: QueriesConfig,
    #[serde(default)]
    pub code: CodeConfig,
    /// Databases named explicitly (a monorepo pgvet should not guess about).
    #[serde(default)]
    pub database: Vec<DatabaseConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DatabaseConfig {
    /// A name for the summary (default: the migrations path).
    pub name: Option<String>,
    /// supabase, prisma, drizzle, sqlx, golang-migrate, goose, flyway, structure, plain
    pub layout: Spanned<String>,
    /// The migrations directory (or file, for `structure`), relative to the project root.
    pub path: Spanned<String>,
    /// Directories (relative to the root) whose source files use this database (default: the
    /// package that holds the migrations and the packages that depend on it).
    pub code: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CodeConfig {
    /// Check tests, seeds, scripts, fixtures and examples like production code (default: false;
    /// unknown tables, columns and functions are reported in them either way).
    pub include_tests: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ApiConfig {
    /// Schemas an HTTP API (PostgREST/Supabase) exposes (default: public).
    pub schemas: Option<Vec<String>>,
    /// Roles API requests run as (default: anon, authenticated).
    pub roles: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct QueriesConfig {
    /// Files or directories (relative to the project root) holding SQL query files; `*.sql`
    /// under a directory. Default: `sqlc.yaml`'s `queries`, else `queries/`, `db/queries/`,
    /// `sql/queries/` when they exist.
    pub paths: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MigrationsConfig {
    /// auto (default), supabase, prisma, drizzle, sqlx, golang-migrate, goose, flyway, structure, plain
    pub layout: Option<Spanned<String>>,
    /// Directory (or file, for `structure`) relative to the project root.
    pub path: Option<Spanned<String>>,
    /// Whether the runner wraps each file in a transaction (default: as the layout's runner does).
    pub transactional: Option<bool>,
    /// The Supabase CLI version that applies the migrations (default: a current one). Since
    /// 2.109.0 it runs CREATE INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM, ALTER SYSTEM and
    /// CLUSTER outside the file's transaction, and DROP INDEX CONCURRENTLY in later releases.
    pub supabase_cli: Option<Spanned<String>>,
}

/// A runner's version, `major.minor[.patch]` (a leading `v` allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim().trim_start_matches('v');
        let mut parts = s.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().unwrap_or(Some(0))?;
        let patch = parts.next().unwrap_or(Some(0))?;
        parts.next().is_none().then_some(Version(major, minor, patch))
    }
}

impl MigrationsConfig {
    /// The configured Supabase CLI version (None: a current one).
    pub fn supabase_cli_version(&self) -> Option<Version> {
        self.supabase_cli.as_ref().and_then(|v| Version::parse(v.get_ref()))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckConfig {
    /// Exit 1 when a finding at or above this severity remains: "info" | "warning" | "error".
    pub fail_level: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TenantConfig {
    /// Column names that identify the tenant (default: tenant_id, workspace_id, org_id, ...).
    pub columns: Option<Vec<String>>,
    /// Tables that are deliberately global (not tenant-scoped).
    #[serde(default)]
    pub global_tables: Vec<String>,
}

/// A problem in the config file, with where it is.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.path, self.line, self.column, self.message)
    }
}

/// A config value with its position, for later validation errors (e.g. an unknown rule id).
pub struct Located<'a> {
    pub value: &'a str,
    pub line: usize,
    pub column: usize,
}

impl Config {
    pub fn parse(path: &str, text: &str) -> Result<Config, ConfigError> {
        let src = SourceFile::new(path, text);
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let at = src.line_col(e.span().map(|s| s.start).unwrap_or(0));
            let mut message = e.message().trim().to_string();
            if message.starts_with("unknown field") {
                message.push_str(" (see `pgvet --help` or the README's configuration section)");
            }
            ConfigError { path: path.to_string(), line: at.line, column: at.column, message }
        })?;
        let err = |s: &Spanned<String>, message: String| {
            let at = src.line_col(s.span().start);
            ConfigError { path: path.to_string(), line: at.line, column: at.column, message }
        };
        if let Some(l) = &cfg.migrations.layout {
            if crate::Layout::parse(l.get_ref()).is_none() && l.get_ref() != "auto" {
                return Err(err(
                    l,
                    format!("unknown migration layout `{}`; expected one of: auto, {}", l.get_ref(), crate::Layout::NAMES.join(", ")),
                ));
            }
        }
        if let Some(v) = &cfg.migrations.supabase_cli {
            if Version::parse(v.get_ref()).is_none() {
                return Err(err(
                    v,
                    format!(
                        "`{}` is not a version; write the Supabase CLI's version as in `supabase --version`, e.g. \"2.100.0\"",
                        v.get_ref()
                    ),
                ));
            }
        }
        if let Some(f) = &cfg.check.fail_level {
            if !matches!(f.get_ref().as_str(), "info" | "warning" | "error") {
                return Err(err(f, format!("unknown fail-level `{}`; expected info, warning or error", f.get_ref())));
            }
        }
        for v in cfg.rules.values() {
            if !matches!(v.get_ref().as_str(), "off" | "info" | "warning" | "error") {
                return Err(err(v, format!("unknown rule level `{}`; expected off, info, warning or error", v.get_ref())));
            }
        }
        Ok(cfg)
    }

    /// Rule ids named in `[rules]`, with positions (the caller checks them against the registry).
    pub fn rule_keys<'a>(&'a self, text: &str) -> Vec<Located<'a>> {
        let src = SourceFile::new("", text);
        self.rules
            .keys()
            .map(|k| {
                let at = src.line_col(k.span().start);
                Located { value: k.get_ref(), line: at.line, column: at.column }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_the_key_and_its_position() {
        let e = Config::parse("pgvet.toml", "[migrations]\nlayout = \"prisma\"\nfolder = \"x\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1), "{e}");
        assert!(e.message.contains("unknown field `folder`"), "{e}");
        let e = Config::parse("pgvet.toml", "[migratoins]\n").unwrap_err();
        assert!(e.message.contains("unknown field `migratoins`"), "{e}");
    }

    #[test]
    fn bad_values_are_located() {
        let e = Config::parse("pgvet.toml", "[rules]\nfk-missing-index = \"loud\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 20), "{e}");
        let e = Config::parse("pgvet.toml", "[migrations]\nlayout = \"rails\"\n").unwrap_err();
        assert!(e.message.contains("unknown migration layout `rails`"), "{e}");
    }

    #[test]
    fn supabase_cli_version() {
        let c = Config::parse("pgvet.toml", "[migrations]\nsupabase-cli = \"2.100.3\"\n").unwrap();
        assert_eq!(c.migrations.supabase_cli_version(), Some(Version(2, 100, 3)));
        assert_eq!(Version::parse("v2.109"), Some(Version(2, 109, 0)));
        let e = Config::parse("pgvet.toml", "[migrations]\nsupabase-cli = \"latest-ish\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 16), "{e}");
    }

    #[test]
    fn good_config() {
        let text = "[migrations]\nlayout = \"supabase\"\n[check]\nfail-level = \"error\"\n[rules]\nfk-missing-index = \"off\"\n[tenant]\nglobal-tables = [\"plans\"]\n";
        let c = Config::parse("pgvet.toml", text).unwrap();
        assert_eq!(c.rule_keys(text)[0].value, "fk-missing-index");
        assert_eq!(c.rule_keys(text)[0].line, 6);
        assert_eq!(c.tenant.global_tables, vec!["plans"]);
    }
}
