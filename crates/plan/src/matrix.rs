//! The compatibility matrix: each code version (its ON CONFLICT target before and after the
//! change) against each schema phase (before, expanded, contracted), with what pgvet's own rules
//! predict: 42P10 (no unique index matches the target: on-conflict-no-unique-index) or 23505 (the
//! row can still hit a unique index the target does not cover: on-conflict-other-unique).
use pgvet_catalog::Catalog;
use pgvet_linter::analysis::analyze_all;
use pgvet_linter::{MigrationFile, Settings};
use pgvet_syntax::{quote_ident, SourceFile};

use crate::{element, Phase, Plan};

/// One cell: `None` when the statement works, else the SQLSTATE and the server's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub sqlstate: Option<&'static str>,
    pub why: String,
}

pub struct Matrix {
    /// The statement each code version sends (`old`, `new`).
    pub statements: [String; 2],
    /// `cells[code][phase]`: code 0 = before its change, 1 = after; phases before, expanded, contracted.
    pub cells: [[Cell; 3]; 2],
}

pub const PHASES: [Phase; 3] = [Phase::Before, Phase::Expanded, Phase::Contracted];

/// The plain DDL of each phase (what the plan's files do, without their guards).
pub fn phase_ddl(plan: &Plan, phase: Phase) -> String {
    let t = &plan.table_sql;
    let key = plan.new_target.iter().map(|c| element(c)).collect::<Vec<_>>().join(", ");
    let mut s = String::new();
    if phase == Phase::Before {
        return s;
    }
    if plan.primary_key {
        for c in &plan.nullable {
            s.push_str(&format!("ALTER TABLE {t} ALTER COLUMN {} SET NOT NULL;\n", quote_ident(c)));
        }
    }
    s.push_str(&format!("CREATE UNIQUE INDEX {} ON {t} ({key});\n", quote_ident(&plan.new_name)));
    if phase == Phase::Contracted {
        if plan.primary_key {
            s.push_str(&format!(
                "ALTER TABLE {t} DROP CONSTRAINT {};\nALTER TABLE {t} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {};\n",
                quote_ident(&plan.old_name),
                quote_ident(&plan.new_name),
                quote_ident(&plan.new_name)
            ));
        } else {
            s.push_str(&format!("DROP INDEX {}.{};\n", quote_ident(&plan.table.schema), quote_ident(&plan.old_name)));
        }
    }
    s
}

/// An upsert of every column of the table with this ON CONFLICT target, as code would send it.
pub fn upsert(before: &Catalog, plan: &Plan, target: &[String]) -> String {
    let cols: Vec<String> =
        before.tables.get(&plan.table).map(|t| t.columns.iter().map(|c| quote_ident(&c.name)).collect()).unwrap_or_default();
    let values: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO NOTHING",
        plan.table_sql,
        cols.join(", "),
        values.join(", "),
        target.iter().map(|c| element(c)).collect::<Vec<_>>().join(", ")
    )
}

/// What pgvet predicts for `statement` once `phase` is reached: the project's migrations (or the
/// live schema), the phase's DDL, then the statement as a query file; only the two ON CONFLICT
/// rules speak.
pub fn predict(migrations: &[MigrationFile], base: &Catalog, plan: &Plan, phase: Phase, statement: &str) -> Cell {
    const RULES: [(&str, &str); 2] = [("on-conflict-no-unique-index", "42P10"), ("on-conflict-other-unique", "23505")];
    let mut files = migrations.to_vec();
    files.push(MigrationFile {
        source: SourceFile::new("pgvet-plan-phase.sql", phase_ddl(plan, phase)),
        transactional: true,
        host: None,
        reruns: false,
    });
    let q = SourceFile::new("pgvet-plan-matrix.sql", format!("{statement};\n"));
    let mut settings = Settings::default();
    for r in pgvet_linter::all_rules() {
        if !RULES.iter().any(|(id, _)| *id == r.id) {
            settings.severities.insert(r.id.to_string(), None);
        }
    }
    let a = analyze_all(files, vec![q], Vec::new(), base.clone(), &settings);
    let n = a.files.len() - 1;
    for (rule, sqlstate) in RULES {
        if let Some(d) = a.diagnostics.iter().find(|d| d.rule == rule && d.primary.file == n) {
            return Cell { sqlstate: Some(sqlstate), why: d.message.clone() };
        }
    }
    Cell { sqlstate: None, why: String::new() }
}

/// `before`: the schema the plan was made from; `migrations` and `base` rebuild it.
pub fn matrix(migrations: &[MigrationFile], base: &Catalog, before: &Catalog, plan: &Plan) -> Matrix {
    let statements = [upsert(before, plan, &plan.old_target), upsert(before, plan, &plan.new_target)];
    let row = |s: &str| -> [Cell; 3] { PHASES.map(|p| predict(migrations, base, plan, p, s)) };
    Matrix { cells: [row(&statements[0]), row(&statements[1])], statements }
}

impl Matrix {
    /// The table as text, and the safe order it shows.
    pub fn render(&self) -> String {
        let cell = |c: &Cell| c.sqlstate.map(|s| s.to_string()).unwrap_or_else(|| "ok".into());
        let mut out = String::from("compatibility (what pgvet predicts for each code version's ON CONFLICT on each schema phase):\n");
        out.push_str(&format!("  {:<28} {:<10} {:<10} {:<10}\n", "", "before", "expanded", "contracted"));
        for (i, name) in ["code before its change", "code after its change"].iter().enumerate() {
            out.push_str(&format!(
                "  {:<28} {:<10} {:<10} {:<10}\n",
                name,
                cell(&self.cells[i][0]),
                cell(&self.cells[i][1]),
                cell(&self.cells[i][2])
            ));
        }
        // Expanded is the phase both versions must survive while the code changes.
        let survives = |i: usize| self.cells[i][1].sqlstate != Some("42P10");
        if survives(0) && survives(1) {
            out.push_str("safe order: apply up to 04_expand.sql, deploy the code change, then 05_contract.sql (no 42P10 at any point; a 23505 in the expanded phase is the old key still doing its job).\n");
        } else {
            out.push_str("no safe order: in the expanded phase one code version still fails with 42P10 (see below).\n");
        }
        for (i, name) in ["before", "after"].iter().enumerate() {
            for (j, p) in PHASES.iter().enumerate() {
                if let Some(s) = self.cells[i][j].sqlstate {
                    out.push_str(&format!("  code {name} its change, schema {}: {s}: {}\n", p.name(), self.cells[i][j].why));
                }
            }
        }
        out
    }
}
