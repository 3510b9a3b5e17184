//! `pgvet plan key|unique` and `pgvet preflight`: a key change planned as expand/contract, and
//! its pre-flight run read-only on the live database.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pgvet_linter::analysis::analyze_all;
use pgvet_linter::MigrationFile;
use pgvet_plan::{matrix, Phase, Request, Target};
use pgvet_syntax::SourceFile;

#[allow(clippy::too_many_arguments)]
pub fn plan(
    primary: bool,
    name: &str,
    columns: &str,
    backfill: Option<String>,
    out: &Path,
    path: &Path,
    database: Option<&str>,
    database_url: Option<String>,
) -> Result<ExitCode, String> {
    let (project, settings) = crate::load_database(path, database)?;
    // The schema: the live database's, or the one the migrations build.
    let (migrations, start) = match &database_url {
        Some(url) => {
            let mut db = pgvet_db::live::connect(url, pgvet_db::live::Limits::default())?;
            let sql = pgvet_db::live::schema_sql(&mut db.client, &[]).map_err(|e| pgvet_db::replay::db_message(&e))?;
            let f = MigrationFile {
                source: SourceFile::new(format!("live:{}", db.display), sql),
                transactional: false,
                host: None,
                reruns: false,
            };
            (vec![f], pgvet_catalog::Catalog::new())
        }
        None => (crate::files(&project), crate::base_catalog(&project)),
    };
    let base = pgvet_linter::analyze(migrations.clone(), start.clone(), &settings).catalog;
    let target = if primary { Target::PrimaryKey(name.to_string()) } else { Target::Unique(name.to_string()) };
    let req = Request { target, columns: pgvet_plan::split_columns(columns), backfill };
    let plan = pgvet_plan::plan(&base, &req)?;
    std::fs::create_dir_all(out.join("rollback")).map_err(|e| format!("{}: {e}", out.display()))?;
    let write = |p: PathBuf, sql: &str| std::fs::write(&p, sql).map_err(|e| format!("{}: {e}", p.display()));
    for f in &plan.forward {
        write(out.join(&f.name), &f.sql)?;
    }
    for f in &plan.rollback {
        write(out.join("rollback").join(&f.name), &f.sql)?;
    }
    let mut text = format!(
        "pgvet: planned {} of {}: ({}) -> ({}) in {}\n",
        if plan.primary_key { "a new primary key" } else { "a new unique key" },
        plan.table_sql,
        plan.old_target.join(", "),
        plan.new_target.join(", "),
        out.display()
    );
    for f in &plan.forward {
        text.push_str(&format!("  {}{}\n", f.name, if f.no_transaction { "  (outside a transaction)" } else { "" }));
    }
    for f in &plan.rollback {
        text.push_str(&format!("  rollback/{}{}\n", f.name, if f.no_transaction { "  (outside a transaction)" } else { "" }));
    }
    // The code sites that must change: what raises 42P10 once the old key is gone.
    let sites = code_sites(&project, &settings, &plan);
    if sites.is_empty() {
        text.push_str("code sites to change: none found (no ON CONFLICT / onConflict / upsert of this table uses the old key)\n");
    } else {
        text.push_str("code sites to change (they use the old key; after the contract step they fail with 42P10):\n");
        for s in &sites {
            text.push_str(&format!("  {s}\n"));
        }
    }
    text.push_str(&matrix::matrix(&migrations, &start, &base, &plan).render());
    crate::emit(text.trim_end());
    Ok(ExitCode::SUCCESS)
}

/// `file:line` of each ON CONFLICT target, Supabase onConflict, Prisma/Drizzle upsert (and Prisma
/// schema `@@id` / `@@unique`) that uses the old key: the sites pgvet finds broken once the
/// contract step has run, and not before.
fn code_sites(project: &pgvet_project::Project, settings: &pgvet_linter::Settings, plan: &pgvet_plan::Plan) -> Vec<String> {
    let sources: Vec<SourceFile> = project.sources.iter().map(|q| SourceFile::new(q.path.clone(), q.text.clone())).collect();
    let run = |extra: Option<String>| {
        let mut files = crate::files(project);
        if let Some(sql) = extra {
            files.push(MigrationFile {
                source: SourceFile::new("pgvet-plan-contract.sql", sql),
                transactional: true,
                host: None,
                reruns: false,
            });
        }
        analyze_all(files, crate::queries(project), sources.clone(), crate::base_catalog(project), settings)
    };
    let key = |a: &pgvet_linter::Analysis, d: &pgvet_linter::Diagnostic| {
        let f = &a.files[d.primary.file];
        format!("{}:{}", f.path, f.line_col(d.primary.span.start).line)
    };
    let before = run(None);
    let after = run(Some(matrix::phase_ddl(plan, Phase::Contracted)));
    let was: std::collections::HashSet<String> =
        before.diagnostics.iter().filter(|d| d.rule == "on-conflict-no-unique-index").map(|d| key(&before, d)).collect();
    let mut out: Vec<String> = after
        .diagnostics
        .iter()
        .filter(|d| d.rule == "on-conflict-no-unique-index" && !after.files[d.primary.file].path.starts_with("pgvet-plan"))
        .map(|d| key(&after, d))
        .filter(|k| !was.contains(k))
        .collect();
    out.extend(prisma_key_lines(&project.root, &plan.table.name));
    out.extend(pgvet_plan::prisma_where_sites(&sources, plan).into_iter().map(|(p, l)| format!("{p}:{l}")));
    out.sort();
    out.dedup();
    out
}

/// The `@@id` / `@@unique` / `@id` lines of the Prisma model mapped to `table`.
fn prisma_key_lines(root: &Path, table: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in ignore::WalkBuilder::new(root).build().flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "prisma") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(p) else { continue };
        // The open model block: its key lines, and whether it maps to `table`.
        let mut model: Option<(Vec<usize>, bool)> = None;
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if let Some(rest) = l.strip_prefix("model ") {
                model = Some((Vec::new(), rest.split_whitespace().next() == Some(table)));
            } else if l == "}" {
                if let Some((lines, true)) = model.take() {
                    out.extend(lines.into_iter().map(|n| format!("{}:{n}", p.display())));
                }
            } else if let Some((lines, mapped)) = model.as_mut() {
                if l.contains(&format!("@@map(\"{table}\")")) {
                    *mapped = true;
                }
                if l.starts_with("@@id") || l.starts_with("@@unique") || l.contains(" @id") || l.contains(" @unique") {
                    lines.push(i + 1);
                }
            }
        }
    }
    out
}

/// `pgvet preflight DIR --database-url URL`: the plan's pre-flight checks, read-only. Exit 0 when
/// nothing blocks, 1 when something does, 2 on errors and when row-level security hid rows a
/// check needed (it cannot tell).
pub fn preflight(dir: &Path, url: &str) -> Result<ExitCode, String> {
    let file = if dir.is_file() { dir.to_path_buf() } else { dir.join("00_preflight.sql") };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("{}: {e} (expected the 00_preflight.sql that `pgvet plan` writes)", file.display()))?;
    let checks = parse_checks(&text);
    if checks.is_empty() {
        return Err(format!("{}: no `-- check:` blocks", file.display()));
    }
    let mut db = pgvet_db::live::connect(url, pgvet_db::live::Limits::default())?;
    let mut blocked = 0;
    let mut out = format!("pgvet preflight: {} on {} (read-only)\n", file.display(), db.display);
    // A count over a table whose rows row-level security hides from this role would be too low
    // ("nulls: 0" with NULL rows present): such checks are not run.
    let hidden =
        pgvet_db::live::rls_restricted(&mut db.client).map_err(|e| format!("{}: {}", db.display, pgvet_db::replay::db_message(&e)))?;
    let role: String = db.client.query_one("SELECT current_user::text", &[]).map(|r| r.get(0)).unwrap_or_default();
    let mut not_run: Vec<String> = Vec::new();
    for c in &checks {
        if let Some(t) = hidden_table(&c.query, &hidden) {
            out.push_str(&format!(
                "  {:<6} {}: not counted: row-level security hides rows of {t} from {role}: {}\n",
                "HIDDEN", c.id, c.what
            ));
            if !not_run.contains(&t) {
                not_run.push(t);
            }
            continue;
        }
        let row = db
            .client
            .query_one(c.query.as_str(), &[])
            .map_err(|e| format!("{}: check {}: {}", db.display, c.id, pgvet_db::replay::db_message(&e)))?;
        let count: i64 = row.try_get(0).map_err(|e| format!("check {}: the first column must be a count: {e}", c.id))?;
        let examples: Vec<String> = row.try_get::<_, Option<Vec<String>>>(1).ok().flatten().unwrap_or_default();
        let blocks = count > 0 && matches!(c.kind.as_str(), "blocks" | "blocks-unless-backfilled");
        blocked += usize::from(blocks);
        let verdict = match (blocks, c.kind.as_str(), count) {
            (true, _, _) => "BLOCKS",
            (_, "info", _) => "info",
            (_, _, 0) => "ok",
            _ => "warns",
        };
        let eg = if examples.is_empty() { String::new() } else { format!(" (e.g. {})", examples.join(", ")) };
        out.push_str(&format!("  {verdict:<6} {}: {count}{eg}: {}\n", c.id, c.what));
    }
    let hidden_note = (!not_run.is_empty()).then(|| {
        format!(
            "row-level security applies to {role} on {} (not the owner, no BYPASSRLS): the checks on it were not run; run preflight again connected as the table's owner or a role with BYPASSRLS",
            not_run.join(", ")
        )
    });
    out.push_str(&match (blocked, &hidden_note) {
        (0, None) => "nothing blocks the forward steps".to_string(),
        (0, Some(n)) => format!("cannot tell whether anything blocks: {n}"),
        (b, None) => format!("{b} check(s) block the forward steps"),
        (b, Some(n)) => format!("{b} check(s) block the forward steps; and {n}"),
    });
    crate::emit(&out);
    Ok(match (blocked, hidden_note) {
        (0, None) => ExitCode::SUCCESS,
        (0, Some(_)) => ExitCode::from(2),
        _ => ExitCode::from(1),
    })
}

/// The first table of `hidden` (`schema.name`) that a check's query reads.
fn hidden_table(query: &str, hidden: &[String]) -> Option<String> {
    if hidden.is_empty() {
        return None;
    }
    let tables = pgvet_syntax::pg_query::parse(query, 0).map(|p| p.tables()).unwrap_or_default();
    hidden
        .iter()
        .find(|h| {
            let bare = h.split_once('.').map_or(h.as_str(), |(_, n)| n);
            tables.iter().any(|t| t == *h || t == bare)
        })
        .cloned()
}

struct Check {
    id: String,
    kind: String,
    what: String,
    query: String,
}

fn parse_checks(text: &str) -> Vec<Check> {
    let mut out: Vec<Check> = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("-- check:") {
            let parts: Vec<&str> = h.splitn(3, '|').map(str::trim).collect();
            out.push(Check {
                id: parts.first().unwrap_or(&"").to_string(),
                kind: parts.get(1).unwrap_or(&"info").to_string(),
                what: parts.get(2).unwrap_or(&"").to_string(),
                query: String::new(),
            });
        } else if !line.trim_start().starts_with("--") {
            if let Some(c) = out.last_mut() {
                c.query.push_str(line);
                c.query.push('\n');
            }
        }
    }
    for c in &mut out {
        c.query = c.query.trim().trim_end_matches(';').to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn prisma_key_lines_of_the_mapped_model() {
        let d = tempfile::tempdir().unwrap();
        let schema = "model Heartbeat {\n  agentId String @id @map(\"agent_id\")\n  workspaceId String?\n  @@map(\"org_studio_heartbeats\")\n}\nmodel Other {\n  id String @id\n}\n";
        std::fs::write(d.path().join("schema.prisma"), schema).unwrap();
        let lines = super::prisma_key_lines(d.path(), "org_studio_heartbeats");
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].ends_with("schema.prisma:2"), "{lines:?}");
        assert!(super::prisma_key_lines(d.path(), "nothing").is_empty());
    }

    #[test]
    fn preflight_checks_are_read_from_the_plan_file() {
        let c = super::parse_checks(
            "-- intro\n-- check: a | blocks | first\nSELECT 1, NULL::text[];\n-- check: b | info | second\nSELECT\n  2, NULL::text[];\n",
        );
        assert_eq!(
            c.iter().map(|c| (c.id.as_str(), c.kind.as_str(), c.query.as_str())).collect::<Vec<_>>(),
            vec![("a", "blocks", "SELECT 1, NULL::text[]"), ("b", "info", "SELECT\n  2, NULL::text[]")]
        );
    }
}
