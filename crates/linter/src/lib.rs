//! pgvet's rule engine: diagnostics, the rule registry, and the analysis driver that turns
//! migration texts into a catalog and findings. Pure: it is handed texts and returns results;
//! reading files and talking to servers happens elsewhere.

pub mod analysis;
pub mod baseline;
pub mod code;
pub mod diagnostic;
pub mod fuzz;
pub mod live;
pub mod project;
pub mod race;
pub mod render;
pub mod rules;
pub mod settings;
pub mod sql;
pub mod statements;
pub mod synthetic;

pub use analysis::{add_notes, add_unreadable, analyze, Analysis, MigrationFile, Report, Settings, Withheld};
pub use diagnostic::{Applicability, Diagnostic, Fix, Label, Severity};
pub use rules::{all_rules, rule_by_id, rule_docs, RuleMeta};

/// The schema a Prisma project declares (its `.prisma` text), for projects without migrations
/// (`prisma db push`): the DDL Prisma Migrate would write, replayed into a catalog whose objects
/// count as built in (schema rules report at migration lines, and there are none).
pub fn declared_prisma_catalog(prisma: &str) -> pgvet_catalog::Catalog {
    let models = pgvet_code::prisma::parse(prisma);
    let enums = pgvet_code::prisma::enums(prisma);
    pgvet_catalog::builtins::declared(&pgvet_code::prisma::to_sql(&models, &enums))
}

#[cfg(test)]
mod test_util;
