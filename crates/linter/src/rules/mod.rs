//! The rule registry. Each rule is one file whose `//!` doc comment is its user documentation
//! (What it finds / Why it matters / Example / Fix) and whose tests hold fixtures that must fire
//! and must stay silent.
use pgvet_catalog::Catalog;
use pgvet_syntax::SourceFile;

use crate::analysis::Settings;
use crate::diagnostic::{Diagnostic, Severity};

pub mod fk_missing_index;
pub mod invalid_suppression;
pub mod migration_error;
pub mod syntax_error;
pub mod unused_suppression;

include!(concat!(env!("OUT_DIR"), "/rule_docs.rs"));

/// What a rule sees: the final catalog and the files (for spans). No I/O.
pub struct Context<'a> {
    pub catalog: &'a Catalog,
    pub files: &'a [SourceFile],
    pub settings: &'a Settings,
}

pub type Check = fn(&Context, &mut Vec<Diagnostic>);

pub struct RuleMeta {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// One line for `pgvet rules`.
    pub summary: &'static str,
    pub default_severity: Severity,
    /// None for findings the driver itself reports (syntax errors, suppressions).
    pub check: Option<Check>,
}

pub fn all_rules() -> &'static [&'static RuleMeta] {
    static ALL: &[&RuleMeta] =
        &[&fk_missing_index::META, &migration_error::META, &syntax_error::META, &invalid_suppression::META, &unused_suppression::META];
    ALL
}

pub fn rule_by_id(id: &str) -> Option<&'static RuleMeta> {
    all_rules().iter().copied().find(|r| r.id == id)
}

/// The rule's documentation (markdown), from its doc comment.
pub fn rule_docs(id: &str) -> Option<&'static str> {
    RULE_DOCS.iter().find(|(i, _)| *i == id).map(|(_, d)| *d)
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
}
