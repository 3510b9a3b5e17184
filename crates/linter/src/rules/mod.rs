//! The rule registry. Each rule is one file whose `//!` doc comment is its user documentation
//! (What it finds / Why it matters / Example / Fix) and whose tests hold fixtures that must fire
//! and must stay silent.
use pgvet_catalog::Catalog;
use pgvet_syntax::SourceFile;

use crate::diagnostic::{Diagnostic, Severity};
use crate::settings::Settings;
use crate::sql::Site;

pub mod breaking_schema_change;
pub mod check_violations;
pub mod concurrent_index_not_repeatable;
pub mod constraint_missing_not_valid;
pub mod detach_partition_blocks_table;
pub mod domain_constraint_scans;
pub mod drop_database;
pub mod drop_index_blocks_table;
pub mod drop_not_null;
pub mod enum_value_ordering;
pub mod fk_missing_index;
pub mod fk_read_then_insert_race;
pub mod full_table_write_in_migration;
pub mod index_build_blocks_writes;
pub mod invalid_index;
pub mod invalid_suppression;
pub mod lock_held_during_slow_statement;
pub mod lock_timeout_missing;
pub mod lost_update;
pub mod migration_error;
pub mod on_conflict_no_unique_index;
pub mod on_conflict_other_unique;
pub mod orm_upsert_not_atomic;
pub mod orphan_rows;
pub mod prefer_bigint_over_int;
pub mod prefer_bigint_over_smallint;
pub mod prefer_identity;
pub mod prefer_text_field;
pub mod prefer_timestamptz;
pub mod reindex_blocks_writes;
pub mod required_column_without_default;
pub mod rls_disabled_exposed;
pub mod rpc_trusts_caller_id;
pub mod schema_drift;
pub mod security_definer_search_path;
pub mod set_not_null_scans;
pub mod skipped_file;
pub mod statement_not_repeatable;
pub mod statement_timeout_missing;
pub mod syntax_error;
pub mod table_rewrite;
pub mod tenant_filter_missing;
pub mod tenant_fk_cross;
pub mod tenant_insert_missing;
pub mod tenant_key_missing_tenant;
pub mod transaction_nesting;
pub mod truncate_cascade;
pub mod uncommitted_transaction;
pub mod unique_constraint_builds_index;
pub mod unknown_column;
pub mod unknown_function;
pub mod unknown_relation;
pub mod unmodelled_statement;
pub mod unparsed_source;
pub mod unreadable_file;
pub mod unused_suppression;
pub mod vacuum_full_blocks_table;

include!(concat!(env!("OUT_DIR"), "/rule_docs.rs"));

/// What a rule sees: the catalog (final, or as of the migration being checked), the files (for
/// spans) and the schema after each migration step so far. No I/O.
pub struct Context<'a> {
    pub catalog: &'a Catalog,
    /// Migrations first (index = step), then query files.
    pub files: &'a [SourceFile],
    pub settings: &'a Settings,
    /// `versions[i]`: the schema after migration `i`.
    pub versions: &'a [Catalog],
    /// The parsed bodies of the final schema's functions (empty while migrations replay).
    pub bodies: &'a std::collections::HashMap<pgvet_catalog::FunctionKey, crate::sql::plpgsql::Body>,
    /// Application source files and their query sites (empty while migrations replay).
    pub code: &'a [crate::code::CodeFile],
    /// The unique indexes that upserts of the project (query files, SQL in code, builder
    /// upserts, function bodies) use as ON CONFLICT arbiters; filled for the project-wide rules.
    pub upserted: &'a std::collections::HashSet<pgvet_catalog::QName>,
    /// Tables whose rows the project deletes (function bodies, query files, SQL in code, ORM and
    /// query-builder deletes), with where; filled for the project-wide rules. Cascades are not
    /// included: [`crate::code::with_cascades`] adds them.
    pub deleted: &'a [(pgvet_catalog::QName, crate::diagnostic::Label)],
    /// Tables that SQL in the application code creates itself (test fixtures, caches; lower-case,
    /// unqualified): their shape is the code's business, not the migrations'.
    pub code_tables: &'a std::collections::HashSet<String>,
    /// While migrations replay: whether the runner wraps the current file in a transaction.
    pub runner_transaction: bool,
    /// While migrations replay: whether a file that failed part way is run again as a whole.
    pub runner_reruns: bool,
    /// While migrations replay: the ACCESS EXCLUSIVE locks on existing tables that earlier
    /// statements of the current transaction took and still hold.
    pub held_locks: &'a [crate::sql::ddl_locks::HeldLock],
    /// While migrations replay: whether the current statement runs inside a transaction (the
    /// runner's, or one the file opened with BEGIN).
    pub in_transaction: bool,
    /// While migrations replay: what the current file's earlier statements did (settings they
    /// set, rules that reported them); empty otherwise.
    pub file_session: &'a crate::sql::ddl_locks::FileSession,
}

impl Context<'_> {
    /// The parsed body of a function of the final schema.
    pub fn body(&self, f: &pgvet_catalog::Function) -> Option<&crate::sql::plpgsql::Body> {
        let key = pgvet_catalog::FunctionKey {
            name: f.name.clone(),
            args: f.args.iter().filter(|a| matches!(a.mode, "in" | "inout" | "variadic")).map(|a| a.type_name.clone()).collect(),
        };
        self.bodies.get(&key)
    }
}

pub type Check = fn(&Context, &mut Vec<Diagnostic>);
/// A check of one SQL statement (in a migration, a function body or a query file).
pub type SiteCheck = fn(&Site, &Context, &mut Vec<Diagnostic>);

pub struct RuleMeta {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// One line for `pgvet rules`.
    pub summary: &'static str,
    pub default_severity: Severity,
    /// None for findings the driver itself reports (syntax errors, suppressions).
    pub check: Option<Check>,
    /// Called for every checked SQL statement.
    pub check_site: Option<SiteCheck>,
}

/// The migration-safety rules: checked on DDL statements of migrations (the other site rules
/// see queries only).
static DDL: &[&RuleMeta] = &[
    &index_build_blocks_writes::META,
    &constraint_missing_not_valid::META,
    &set_not_null_scans::META,
    &table_rewrite::META,
    &unique_constraint_builds_index::META,
    &drop_index_blocks_table::META,
    &required_column_without_default::META,
    &concurrent_index_not_repeatable::META,
    &breaking_schema_change::META,
    &lock_timeout_missing::META,
    &reindex_blocks_writes::META,
    &vacuum_full_blocks_table::META,
    &detach_partition_blocks_table::META,
    &truncate_cascade::META,
    &full_table_write_in_migration::META,
    &prefer_bigint_over_int::META,
    &prefer_bigint_over_smallint::META,
    &prefer_identity::META,
    &prefer_text_field::META,
    &prefer_timestamptz::META,
    &statement_timeout_missing::META,
    &transaction_nesting::META,
    &domain_constraint_scans::META,
    &drop_not_null::META,
    &drop_database::META,
    &enum_value_ordering::META,
    &lock_held_during_slow_statement::META,
    &statement_not_repeatable::META,
    &uncommitted_transaction::META,
];

/// The schema, query and code rules.
static INTEGRITY: &[&RuleMeta] = &[
    &fk_missing_index::META,
    &migration_error::META,
    &on_conflict_no_unique_index::META,
    &on_conflict_other_unique::META,
    &tenant_key_missing_tenant::META,
    &tenant_fk_cross::META,
    &security_definer_search_path::META,
    &rpc_trusts_caller_id::META,
    &rls_disabled_exposed::META,
    &unknown_relation::META,
    &unknown_column::META,
    &unknown_function::META,
    &tenant_filter_missing::META,
    &tenant_insert_missing::META,
    &lost_update::META,
    &fk_read_then_insert_race::META,
    &orm_upsert_not_atomic::META,
    &unparsed_source::META,
];

/// What the driver itself reports.
static DRIVER: &[&RuleMeta] = &[
    &syntax_error::META,
    &unmodelled_statement::META,
    &skipped_file::META,
    &unreadable_file::META,
    &invalid_suppression::META,
    &unused_suppression::META,
    &schema_drift::META,
    &invalid_index::META,
    &orphan_rows::META,
    &check_violations::META,
];

pub fn all_rules() -> &'static [&'static RuleMeta] {
    static ALL: std::sync::OnceLock<Vec<&'static RuleMeta>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| INTEGRITY.iter().chain(DDL).chain(DRIVER).copied().collect())
}

/// The migration-safety rules: checked on DDL statements of migrations (the other site rules
/// see queries only).
pub fn ddl_rules() -> &'static [&'static RuleMeta] {
    DDL
}

pub fn rule_by_id(id: &str) -> Option<&'static RuleMeta> {
    all_rules().iter().copied().find(|r| r.id == id)
}

/// The rule's documentation (markdown), from its doc comment.
pub fn rule_docs(id: &str) -> Option<&'static str> {
    RULE_DOCS.iter().find(|(i, _)| *i == id).map(|(_, d)| *d)
}

/// For a statement in a function body written at migration `since`: the later migration after
/// which `ok` stopped holding (the one that broke the function), as a related label on the first
/// line of that migration that mentions `mention`.
pub fn breaking_migration(cx: &Context, since: usize, mention: &str, ok: impl Fn(&Catalog) -> bool) -> Option<crate::diagnostic::Label> {
    let mut prev = ok(cx.versions.get(since)?);
    let mut broke = None;
    for (s, v) in cx.versions.iter().enumerate().skip(since + 1) {
        let now = ok(v);
        if prev && !now {
            broke = Some(s);
        }
        prev = now;
    }
    mention_label(cx, broke?, mention, "this later migration broke it")
}

/// A label on the first line of migration `step` that mentions `mention` as a whole word (the
/// file's first line when none does).
pub fn mention_label(cx: &Context, step: usize, mention: &str, message: &str) -> Option<crate::diagnostic::Label> {
    let f = cx.files.get(step)?;
    let lower = f.text.to_lowercase();
    let m = mention.to_lowercase();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let at = lower
        .match_indices(&m)
        .find(|(i, _)| {
            let before = lower[..*i].chars().next_back();
            let after = lower[i + m.len()..].chars().next();
            !before.is_some_and(ident) && !after.is_some_and(ident)
        })
        .map(|(i, _)| i)
        .unwrap_or(0);
    Some(crate::diagnostic::Label::new(step, f.line_span(f.line_col(at).line)).with_message(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_docs_with_the_four_sections() {
        for r in all_rules() {
            let d = rule_docs(r.id).unwrap_or_else(|| panic!("{} has no docs", r.id));
            for section in ["## What it finds", "## Why it matters", "## Example", "## Fix"] {
                assert!(d.contains(section), "{}: docs lack `{section}`", r.id);
            }
        }
        assert_eq!(RULE_DOCS.len(), all_rules().len(), "a rule file is not registered in all_rules()");
    }

    use crate::settings::{group_of, Settings, GROUPS, OFF_BY_DEFAULT};
    use crate::Severity;

    #[test]
    fn every_migration_safety_rule_is_in_one_group() {
        for (g, ids) in GROUPS {
            assert!(rule_by_id(g).is_none(), "group {g} shadows a rule id");
            for id in *ids {
                assert!(rule_by_id(id).is_some(), "group {g} lists unknown rule {id}");
                assert_eq!(GROUPS.iter().filter(|(_, r)| r.contains(id)).count(), 1, "{id} is in several groups");
            }
        }
        for r in ddl_rules() {
            assert!(group_of(r.id).is_some(), "{} has no group", r.id);
        }
        for id in OFF_BY_DEFAULT {
            assert_eq!(group_of(id), Some("style"), "{id}");
        }
    }

    #[test]
    fn a_group_sets_its_rules_and_a_rule_wins_over_its_group() {
        let mut s = Settings::default();
        s.severities.insert("locks".into(), Some(Severity::Warning));
        s.severities.insert("lock-timeout-missing".into(), None);
        assert_eq!(s.severity("set-not-null-scans", Severity::Info), Some(Severity::Warning));
        assert_eq!(s.severity("lock-timeout-missing", Severity::Info), None);
        assert_eq!(s.severity("table-rewrite", Severity::Info), Some(Severity::Info));
        assert_eq!(s.severity("prefer-identity", Severity::Info), None);
        s.severities.insert("style".into(), Some(Severity::Info));
        assert_eq!(s.severity("prefer-identity", Severity::Info), Some(Severity::Info));
    }
}
