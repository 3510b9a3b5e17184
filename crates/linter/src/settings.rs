//! What a project configures about its rules: severities, the tenant columns and global
//! tables, the API's schemas and roles. The rules read it; the driver only passes it along.
use std::collections::BTreeMap;

use crate::diagnostic::Severity;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Per-rule (or per-group) severity override; `None` turns the rule off.
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
    /// Source files (paths as given) that are not production code: tests, seeds, scripts,
    /// fixtures, examples, vendored code, data migrations. Rules about production behaviour
    /// skip them.
    pub non_production: std::collections::BTreeSet<String>,
    /// Check tests, seeds and scripts like production code (`[code] include-tests`).
    pub include_tests: bool,
    /// Tables that other databases of the repository create (lower-case, unqualified): code of a
    /// package that uses several databases may query them, so they are not "unknown" here.
    pub sibling_tables: std::collections::BTreeSet<String>,
    /// The source files (paths as given) whose package uses those other databases too.
    pub multi_database_sources: std::collections::BTreeSet<String>,
    /// Migration statements (file path as given, statement start offset) that the runner sends
    /// on their own outside the file's transaction (the Supabase CLI's CREATE INDEX
    /// CONCURRENTLY): what came before is committed, what follows runs in a new transaction.
    pub standalone: std::collections::BTreeSet<(String, usize)>,
    /// Grading pgvet against a server (`pgvet oracle`): suppression comments do not remove
    /// findings (the engine's verdicts are judged, not the team's choices).
    pub keep_suppressed: bool,
    /// The runner resets the session before each migration file (the Supabase CLI's `RESET
    /// ALL`): the search_path each file starts with (the database's default).
    pub session_reset: Option<Vec<String>>,
}

/// Rules that report only when `[rules]` turns them on: the style preferences.
pub const OFF_BY_DEFAULT: &[&str] = STYLE;

const STYLE: &[&str] = &[
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    "prefer-identity",
    "prefer-text-field",
    "prefer-timestamptz",
    "enum-value-ordering",
];

/// The migration-safety rules by group, so a team can set a whole group in `[rules]`
/// (`locks = "warning"`); a rule named on its own wins over its group.
pub const GROUPS: &[(&str, &[&str])] = &[
    (
        "locks",
        &[
            "index-build-blocks-writes",
            "constraint-missing-not-valid",
            "set-not-null-scans",
            "unique-constraint-builds-index",
            "drop-index-blocks-table",
            "reindex-blocks-writes",
            "detach-partition-blocks-table",
            "domain-constraint-scans",
            "lock-held-during-slow-statement",
            "lock-timeout-missing",
            "statement-timeout-missing",
        ],
    ),
    ("rewrites", &["table-rewrite", "vacuum-full-blocks-table", "full-table-write-in-migration"]),
    ("breaking", &["breaking-schema-change", "drop-not-null", "drop-database", "required-column-without-default", "truncate-cascade"]),
    ("repeatability", &["concurrent-index-not-repeatable", "statement-not-repeatable", "transaction-nesting", "uncommitted-transaction"]),
    ("style", STYLE),
];

/// The group a rule belongs to, if any.
pub fn group_of(rule: &str) -> Option<&'static str> {
    GROUPS.iter().find(|(_, rules)| rules.contains(&rule)).map(|(g, _)| *g)
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
            non_production: Default::default(),
            include_tests: false,
            sibling_tables: Default::default(),
            multi_database_sources: Default::default(),
            standalone: Default::default(),
            keep_suppressed: false,
            session_reset: None,
        }
    }
}

impl Settings {
    /// Whether API requests can run as `role` (`public` stands for PUBLIC, i.e. every role).
    pub fn is_api_role(&self, role: &str) -> bool {
        role == "public" || self.api_roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }

    /// Whether rules about production behaviour (tenant scoping, races, lost updates, upserts)
    /// look at this source file.
    pub fn is_production(&self, path: &str) -> bool {
        self.include_tests || !self.non_production.contains(path)
    }

    /// The severity a rule reports at, or None when it is off: the rule's own setting, else its
    /// group's (`[rules] locks = "warning"`), else its default.
    pub fn severity(&self, rule: &str, default: Severity) -> Option<Severity> {
        match self.severities.get(rule).or_else(|| group_of(rule).and_then(|g| self.severities.get(g))) {
            Some(s) => *s,
            None if OFF_BY_DEFAULT.contains(&rule) => None,
            None => Some(default),
        }
    }
}
