//! Live mode's findings: what the db crate read from a live database (differences from the
//! migrations, INVALID indexes, orphan rows, table sizes), turned into findings on the analysis
//! of the live schema. No I/O here.
use pgvet_catalog::{Catalog, QName};

use crate::analysis::Analysis;
use crate::diagnostic::{Diagnostic, Label};
use crate::rules::{check_violations, fk_missing_index, invalid_index, orphan_rows, schema_drift};
use crate::settings::Settings;

pub use pgvet_catalog::facts::{CheckViolations, InvalidIndex, LiveFacts, Orphans, TableStats};

fn qname(relation: &str) -> QName {
    let (s, n) = relation.split_once('.').unwrap_or(("public", relation));
    QName::new(s, n)
}

/// The statement that created `relation` in `catalog`, as a label (file `offset + step`).
fn origin_label(catalog: &Catalog, relation: &str, offset: usize) -> Option<Label> {
    let q = qname(relation);
    let origin =
        catalog.tables.get(&q).map(|t| t.origin).or_else(|| catalog.indexes.get(&q).map(|i| i.origin)).filter(|o| !o.is_builtin())?;
    Some(Label::new(offset + origin.step, origin.span))
}

/// Adds live mode's findings to `live` (the analysis of the live schema, its first file). The
/// migrations' analysis (same code, same settings), when the project has migrations, lends its
/// files for labels: they are appended to `live.files`.
pub fn add_live_findings(live: &mut Analysis, migrations: Option<&Analysis>, facts: &LiveFacts, settings: &Settings) {
    let sev = |m: &crate::RuleMeta| settings.severity(m.id, m.default_severity);
    let offset = live.files.len();
    if let Some(m) = migrations {
        live.files.extend(m.files.iter().cloned());
    }
    let whole_file = |live: &Analysis| Label::new(0, pgvet_syntax::Span::new(0, live.files[0].text.find('\n').unwrap_or(0)));
    // With migrations: their own findings (schema rules, migration safety, suppressions) stand,
    // at the migration; a finding on the live schema itself (its first file) is kept only when
    // its object drifted (the migrations cannot have it); the code's findings are the live ones.
    if let Some(m) = migrations {
        let drifted: Vec<String> = facts.drift.iter().map(|(r, _)| r.rsplit('.').next().unwrap_or(r).replace('"', "")).collect();
        let names_drifted = |d: &Diagnostic| {
            d.message.replace('"', "").split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| drifted.iter().any(|r| r == w))
        };
        live.diagnostics.retain(|d| d.primary.file != 0 || names_drifted(d));
        let n_migrations = m.versions.len();
        for d in m.diagnostics.iter().filter(|d| d.primary.file < n_migrations) {
            let mut d = d.clone();
            d.primary.file += offset;
            for l in &mut d.related {
                l.file += offset;
            }
            live.diagnostics.push(d);
        }
    }
    if let Some(severity) = sev(&schema_drift::META) {
        for (relation, message) in &facts.drift {
            let label = migrations
                .and_then(|m| origin_label(&m.catalog, relation, offset))
                .or_else(|| origin_label(&live.catalog, relation, 0))
                .unwrap_or_else(|| whole_file(live));
            live.diagnostics.push(
                Diagnostic::new(
                    schema_drift::META.id,
                    severity,
                    format!("{message} (pgvet: the migrations; the server: the live database)"),
                    label,
                )
                .with_help("Write the migration that makes the history match the live database, or apply the one it is missing."),
            );
        }
    }
    if let Some(severity) = sev(&invalid_index::META) {
        for InvalidIndex { table, index, unique, definition, duplicate_groups, duplicate_examples } in &facts.invalid_indexes {
            let mut what = if *unique {
                "enforces no uniqueness and is no ON CONFLICT arbiter (42P10)".to_string()
            } else {
                "is used by no query".to_string()
            };
            if let Some(n @ 1..) = duplicate_groups {
                what.push_str(&format!(
                    "; {n} group(s) of rows share its key (e.g. {}): a rebuild fails with 23505 until they are merged",
                    duplicate_examples.join(", ")
                ));
            }
            let label = origin_label(&live.catalog, table, 0).unwrap_or_else(|| whole_file(live));
            live.diagnostics.push(
                Diagnostic::new(
                    invalid_index::META.id,
                    severity,
                    format!("index {index} on {table} is INVALID (a failed concurrent build): it {what}, yet every write updates it"),
                    label,
                )
                .with_help(format!("Fix what made the build fail, then: DROP INDEX CONCURRENTLY IF EXISTS {index}; {definition}")),
            );
        }
    }
    if let Some(severity) = sev(&orphan_rows::META) {
        for Orphans { table, constraint, references, columns, inferred, count, examples, error } in &facts.orphans {
            let label = origin_label(&live.catalog, table, 0).unwrap_or_else(|| whole_file(live));
            if *inferred {
                let col = columns.join(", ");
                if let (None, Some(e)) = (count, error) {
                    // Not counted (row-level security, a timeout): said, never taken as none.
                    live.diagnostics.push(Diagnostic::new(
                        orphan_rows::META.id,
                        crate::Severity::Info,
                        format!("the rows of {table} whose {col} matches no {references}.id were not counted: {e}"),
                        label,
                    ));
                    continue;
                }
                let (Some(n), None) = (count, error) else { continue };
                if *n == 0 {
                    continue;
                }
                live.diagnostics.push(
                    Diagnostic::new(
                        orphan_rows::META.id,
                        crate::Severity::Info,
                        format!(
                            "{n} row(s) of {table} have a {col} that matches no {references}.id (e.g. {}); {col} has no foreign key (pgvet infers the reference from the name)",
                            examples.join(", ")
                        ),
                        label,
                    )
                    .with_help(format!(
                        "If {col} references {references}: repair or delete those rows, then add the foreign key NOT VALID and VALIDATE it."
                    )),
                );
                continue;
            }
            let message = match (count, error) {
                (Some(0), _) => continue,
                (Some(n), _) => format!(
                    "{n} row(s) of {table} reference no row of {references} under the NOT VALID foreign key {constraint} (e.g. {}): VALIDATE CONSTRAINT will fail with 23503",
                    examples.join(", ")
                ),
                (None, e) => format!("the orphan rows of {table} under the NOT VALID foreign key {constraint} were not counted: {}", e.as_deref().unwrap_or("no answer")),
            };
            live.diagnostics.push(
                Diagnostic::new(orphan_rows::META.id, severity, message, label)
                    .with_help(format!("Delete or repair the orphan rows, then ALTER TABLE {table} VALIDATE CONSTRAINT {constraint};")),
            );
        }
    }
    if let Some(severity) = sev(&check_violations::META) {
        for CheckViolations { table, constraint, expression, count, error } in &facts.check_violations {
            let label = origin_label(&live.catalog, table, 0).unwrap_or_else(|| whole_file(live));
            let message = match (count, error) {
                (Some(0), _) => continue,
                (Some(n), _) => format!("{n} row(s) of {table} break the NOT VALID check {constraint} ({expression}): VALIDATE CONSTRAINT (or the SET NOT NULL it prepares) will fail"),
                (None, e) => format!("the rows of {table} that break the NOT VALID check {constraint} were not counted: {}", e.as_deref().unwrap_or("no answer")),
            };
            live.diagnostics.push(
                Diagnostic::new(check_violations::META.id, severity, message, label)
                    .with_help(format!("Repair those rows (a backfill), then ALTER TABLE {table} VALIDATE CONSTRAINT {constraint};")),
            );
        }
    }
    // Unindexed foreign keys: the live table's size and sequential scans, largest first.
    // Keyed as the finding prints the table: `schema.name`, or `name` in public (quotes dropped).
    let mut stats: std::collections::HashMap<String, (f64, i64, i64)> = std::collections::HashMap::new();
    for TableStats { table, rows, seq_scans, bytes } in &facts.tables {
        stats.insert(table.clone(), (*rows, *seq_scans, *bytes));
        if let Some(n) = table.strip_prefix("public.") {
            stats.insert(n.to_string(), (*rows, *seq_scans, *bytes));
        }
    }
    let mut ranked: Vec<(f64, Diagnostic)> = Vec::new();
    live.diagnostics.retain(|d| {
        if d.rule != fk_missing_index::META.id {
            return true;
        }
        // "foreign key NAME on TABLE (cols) has no index"
        let table = d.message.split(" on ").nth(1).and_then(|rest| rest.split(" (").next()).map(|t| t.replace('"', ""));
        let table = table.and_then(|t| stats.get(&t).map(|v| (t.clone(), *v)));
        let mut d = d.clone();
        let rows = table.map(|(_, (r, s, b))| {
            d.message.push_str(&format!(" (live: ~{} rows, {} sequential scans, {} MB)", r.max(0.0) as i64, s, b / 1_048_576));
            // A large child table: every lookup through the key is a long scan, whoever deletes.
            if (r >= LARGE_ROWS || b >= LARGE_BYTES) && d.severity < crate::Severity::Warning {
                d.severity = crate::Severity::Warning;
            }
            r
        });
        ranked.push((rows.unwrap_or(-1.0), d));
        false
    });
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    live.diagnostics.extend(ranked.into_iter().map(|(_, d)| d));
    // Migration safety with the live table's size. A migration the live database has not had
    // yet (its table drifted) and that locks or rewrites a large table is an outage in waiting:
    // it becomes a warning. Migrations already applied are history and keep their severity.
    // The migration files that created an object the live database does not match.
    let pending: std::collections::HashSet<usize> = migrations
        .map(|m| facts.drift.iter().filter_map(|(r, _)| origin_label(&m.catalog, r, offset)).map(|l| l.file).collect())
        .unwrap_or_default();
    for d in live.diagnostics.iter_mut().filter(|d| matches!(crate::settings::group_of(d.rule), Some("locks" | "rewrites"))) {
        let words: Vec<String> =
            d.message.replace('"', "").split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).map(String::from).collect();
        let Some((rows, _, bytes)) = words.iter().find_map(|w| stats.get(w).copied()) else { continue };
        d.message.push_str(&format!(" (live: ~{} rows, {} MB)", rows.max(0.0) as i64, bytes / 1_048_576));
        if pending.contains(&d.primary.file) && (rows >= LARGE_ROWS || bytes >= LARGE_BYTES) && d.severity < crate::Severity::Warning {
            d.severity = crate::Severity::Warning;
            d.message.push_str(": a large table, and the live database does not have this migration yet");
        }
    }
}

/// A table this large makes a lock or a rewrite an outage (rows, bytes).
const LARGE_ROWS: f64 = 1_000_000.0;
const LARGE_BYTES: i64 = 1 << 30;
