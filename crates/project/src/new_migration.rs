//! A new migration as the project's runner names and applies it: the file (or folder) name its
//! tool would generate, ordered after every existing migration, and SQL that runs the way the
//! runner applies the file (no `CONCURRENTLY` in a file it wraps in a transaction, where the
//! server rejects it with 25001).
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Layout, Project};

/// The files to write for a new migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMigration {
    /// New files: (path, text).
    pub create: Vec<(PathBuf, String)>,
    /// Existing files rewritten (Drizzle's journal): (path, new text).
    pub rewrite: Vec<(PathBuf, String)>,
}

/// `YYYYMMDDHHMMSS` (UTC) of a time.
fn timestamp(t: SystemTime) -> u64 {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's days-to-civil.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    format!("{y:04}{m:02}{d:02}{h:02}{mi:02}{s:02}").parse().unwrap_or(0)
}

/// The leading digits of a migration's file (or, for Prisma, folder) name.
fn leading_version(name: &str) -> Option<(u128, usize)> {
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().map(|v| (v, digits.len()))
}

/// Drops `CONCURRENTLY` (a transaction-wrapped file cannot build or drop an index concurrently).
fn without_concurrently(sql: &str) -> String {
    sql.replace(" CONCURRENTLY", "").replace(" concurrently", "")
}

impl Project {
    /// The names of the existing migrations, as their runner sees them (Prisma: the folder).
    fn migration_names(&self) -> Vec<String> {
        self.migrations
            .iter()
            .filter_map(|m| {
                let p = std::path::Path::new(&m.path);
                let p = if matches!(self.layout, Layout::Prisma | Layout::Diesel) { p.parent()? } else { p };
                Some(p.file_name()?.to_string_lossy().into_owned())
            })
            .collect()
    }

    /// The version for a new migration: a timestamp (`YYYYMMDDHHMMSS`, later than every
    /// existing one) when the project uses timestamps or has none, else the next number in the
    /// width the project uses (`0007`). `nth` (0, 1, ...) keeps several new ones apart.
    fn next_version(&self, now: SystemTime, nth: u32) -> String {
        let versions: Vec<(u128, usize)> = self.migration_names().iter().filter_map(|n| leading_version(n)).collect();
        let max = versions.iter().max_by_key(|(v, _)| *v).copied();
        match max {
            Some((v, width)) if width != 14 => format!("{:0width$}", v + 1 + u128::from(nth)),
            _ => {
                let now = u128::from(timestamp(now));
                let base = max.map_or(now, |(v, _)| now.max(v + 1));
                format!("{}", base + u128::from(nth))
            }
        }
    }

    /// A new migration holding `sql`, named `name` (snake case) as the project's runner names
    /// migrations, applied the way that runner applies it. None where the project's migrations
    /// are not files a tool adds to (a schema dump, a Prisma schema without migrations).
    pub fn new_migration(&self, name: &str, sql: &str, now: SystemTime, nth: u32) -> Option<NewMigration> {
        let loc = &self.location;
        let sql = sql.trim_end();
        let concurrent = sql.to_ascii_uppercase().contains("CONCURRENTLY");
        let statements = sql.matches(';').count().max(1);
        let transactional = self.config.migrations.transactional;
        let create = |path: PathBuf, text: String| Some(NewMigration { create: vec![(path, text)], rewrite: Vec::new() });
        match self.layout {
            // A step of a Go list of migrations is code to write, not a file to add.
            Layout::Structure | Layout::PrismaSchema | Layout::GoSteps => None,
            Layout::Supabase => {
                // The Supabase CLI applies each file in a transaction, and since 2.109.0 sends
                // CREATE INDEX CONCURRENTLY (and the like) on its own, outside it.
                let standalone = crate::runners::supabase_standalone(sql, self.supabase_cli).len();
                let text = if concurrent && standalone < statements { without_concurrently(sql) } else { sql.to_string() };
                create(loc.join(format!("{}_{name}.sql", self.next_version(now, nth))), format!("{text}\n"))
            }
            Layout::Diesel => {
                // `YYYY-MM-DD-HHMMSS_name/up.sql`; a single concurrent statement runs without
                // the transaction (`metadata.toml`), several are one implicit transaction.
                let newest = self.migration_names().iter().filter_map(|n| crate::runners::diesel_timestamp(n)).max().unwrap_or(0);
                let ts = timestamp(now).max(newest + 1) + u64::from(nth);
                let t = ts.to_string();
                let dir = loc.join(format!("{}-{}-{}-{}_{name}", &t[..4], &t[4..6], &t[6..8], &t[8..]));
                if concurrent && statements == 1 && transactional != Some(true) {
                    Some(NewMigration {
                        create: vec![
                            (dir.join("up.sql"), format!("{sql}\n")),
                            (dir.join("down.sql"), String::new()),
                            (dir.join("metadata.toml"), "run_in_transaction = false\n".into()),
                        ],
                        rewrite: Vec::new(),
                    })
                } else {
                    Some(NewMigration {
                        create: vec![
                            (dir.join("up.sql"), format!("{}\n", without_concurrently(sql))),
                            (dir.join("down.sql"), String::new()),
                        ],
                        rewrite: Vec::new(),
                    })
                }
            }
            Layout::PostgresMigrations => {
                // `<id>-name.sql`, the next id; its directive runs it without a transaction.
                let file = loc.join(format!("{}-{}.sql", self.next_version(now, nth), name.replace('_', "-")));
                let text = if concurrent && transactional != Some(true) {
                    format!("-- postgres-migrations disable-transaction\n{sql}\n")
                } else {
                    format!("{}\n", without_concurrently(sql))
                };
                create(file, text)
            }
            Layout::GoEmbed => {
                // The embedding program runs each version in a transaction.
                let up = self.migration_names().iter().any(|n| n.ends_with(".up.sql"));
                let file = format!("{}_{name}{}", self.next_version(now, nth), if up { ".up.sql" } else { ".sql" });
                create(loc.join(file), format!("{}\n", without_concurrently(sql)))
            }
            Layout::Prisma => {
                // A single-statement file runs outside a transaction (how CONCURRENTLY works with
                // Prisma); several statements run as one.
                let text = if concurrent && statements > 1 { without_concurrently(sql) } else { sql.to_string() };
                create(loc.join(format!("{}_{name}", self.next_version(now, nth))).join("migration.sql"), format!("{text}\n"))
            }
            Layout::Drizzle => {
                let journal_path = loc.join("meta/_journal.json");
                let journal = std::fs::read_to_string(&journal_path).ok()?;
                let v: serde_json::Value = serde_json::from_str(&journal).ok()?;
                let entries = v["entries"].as_array()?;
                let idx = entries.len() + nth as usize;
                let tag = format!("{idx:04}_{name}");
                let last = entries.last();
                let version = last.and_then(|e| e["version"].as_str()).unwrap_or("7");
                let ms = now.duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0) + u128::from(nth);
                let when = last.and_then(|e| e["when"].as_u64()).map_or(ms, |w| ms.max(u128::from(w) + 1));
                let entry = format!(
                    "{{\n      \"idx\": {idx},\n      \"version\": \"{version}\",\n      \"when\": {when},\n      \"tag\": \"{tag}\",\n      \"breakpoints\": true\n    }}"
                );
                // Appended after the last entry, the rest of the file as it was.
                let close = journal.rfind(']')?;
                let before = journal[..close].trim_end();
                let new_journal = if before.ends_with('[') {
                    format!("{before}\n    {entry}\n  {}", &journal[close..])
                } else {
                    format!("{before},\n    {entry}\n  {}", &journal[close..])
                };
                // drizzle-kit runs every pending migration in one transaction.
                let text = without_concurrently(sql).replace(";\n", ";\n--> statement-breakpoint\n");
                Some(NewMigration {
                    create: vec![(loc.join(format!("{tag}.sql")), format!("{text}\n"))],
                    rewrite: vec![(journal_path, new_journal)],
                })
            }
            Layout::Sqlx => {
                // sqlx runs a file outside a transaction when its first line says so.
                let text = if concurrent && transactional != Some(true) {
                    format!("-- no-transaction\n{sql}\n")
                } else {
                    format!("{}\n", without_concurrently(sql))
                };
                create(loc.join(format!("{}_{name}.sql", self.next_version(now, nth))), text)
            }
            Layout::GolangMigrate => {
                create(loc.join(format!("{}_{name}.up.sql", self.next_version(now, nth))), format!("{}\n", without_concurrently(sql)))
            }
            Layout::Goose => {
                let text = if concurrent && transactional != Some(true) {
                    format!("-- +goose NO TRANSACTION\n-- +goose Up\n{sql}\n")
                } else {
                    format!("-- +goose Up\n{}\n", without_concurrently(sql))
                };
                create(loc.join(format!("{}_{name}.sql", self.next_version(now, nth))), text)
            }
            Layout::Flyway => {
                let next = self
                    .migration_names()
                    .iter()
                    .filter_map(|n| n.strip_prefix('V').or_else(|| n.strip_prefix('v')))
                    .filter_map(|n| n.split(['_', '.']).next()?.parse::<u64>().ok())
                    .max()
                    .unwrap_or(0)
                    + 1
                    + u64::from(nth);
                create(loc.join(format!("V{next}__{name}.sql")), format!("{}\n", without_concurrently(sql)))
            }
            Layout::Plain => {
                // Run statement by statement (psql): CONCURRENTLY works.
                let text = if transactional == Some(true) { without_concurrently(sql) } else { sql.to_string() };
                create(loc.join(format!("{}_{name}.sql", self.next_version(now, nth))), format!("{text}\n"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_are_utc_civil_time() {
        assert_eq!(super::timestamp(UNIX_EPOCH), 19700101000000);
        assert_eq!(super::timestamp(UNIX_EPOCH + Duration::from_secs(1_767_225_600 + 3661)), 20260101010101);
        assert_eq!(super::timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)), 20000229000000);
    }

    fn project(dir: &std::path::Path) -> crate::Project {
        crate::load(dir).unwrap()
    }

    #[test]
    fn each_layout_names_and_wraps_as_its_runner() {
        let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let sql = "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);";
        // Supabase: a timestamp after the last one; the current CLI sends CREATE INDEX
        // CONCURRENTLY on its own, one before 2.109.0 in the file's transaction (no CONCURRENTLY).
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("supabase/migrations")).unwrap();
        std::fs::write(d.path().join("supabase/migrations/20990101000000_t.sql"), "CREATE TABLE t (a int);\n").unwrap();
        let m = project(d.path()).new_migration("pgvet_fk_missing_index", sql, now, 0).unwrap();
        assert_eq!(m.create[0].0, d.path().join("supabase/migrations/20990101000001_pgvet_fk_missing_index.sql"));
        assert_eq!(m.create[0].1, format!("{sql}\n"));
        std::fs::write(d.path().join("pgvet.toml"), "[migrations]\nsupabase-cli = \"2.100.0\"\n").unwrap();
        let m = project(d.path()).new_migration("pgvet_fk_missing_index", sql, now, 0).unwrap();
        assert_eq!(m.create[0].1, "CREATE INDEX t_a_idx ON t (a);\n");
        // diesel: a dated folder, the concurrent build outside the transaction (metadata.toml).
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("migrations/2026-07-30-140000-0000_t")).unwrap();
        std::fs::write(d.path().join("migrations/2026-07-30-140000-0000_t/up.sql"), "CREATE TABLE t (a int);\n").unwrap();
        let m = project(d.path()).new_migration("x", sql, now, 0).unwrap();
        let names: Vec<String> = m.create.iter().map(|(p, _)| p.strip_prefix(d.path()).unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(
            names,
            vec![
                "migrations/2026-07-30-140001_x/up.sql",
                "migrations/2026-07-30-140001_x/down.sql",
                "migrations/2026-07-30-140001_x/metadata.toml"
            ]
        );
        // postgres-migrations: the next id, its directive for CONCURRENTLY.
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("migrations")).unwrap();
        std::fs::write(d.path().join("migrations/0001-init.sql"), "-- postgres-migrations disable-transaction\nCREATE TABLE t (a int);\n")
            .unwrap();
        let m = project(d.path()).new_migration("pgvet_fk_missing_index", sql, now, 0).unwrap();
        assert_eq!(m.create[0].0, d.path().join("migrations/0002-pgvet-fk-missing-index.sql"));
        assert!(m.create[0].1.starts_with("-- postgres-migrations disable-transaction\n"));
        // Prisma: a new folder; one statement keeps CONCURRENTLY (it runs outside a transaction).
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("prisma/migrations/20240101000000_init")).unwrap();
        std::fs::write(d.path().join("prisma/migrations/20240101000000_init/migration.sql"), "CREATE TABLE t (a int);\n").unwrap();
        let m = project(d.path()).new_migration("x", sql, now, 1).unwrap();
        assert_eq!(m.create[0].0, d.path().join("prisma/migrations/20260101000001_x/migration.sql"));
        assert_eq!(m.create[0].1, format!("{sql}\n"));
        // Drizzle: the next tag, a journal entry, no CONCURRENTLY (one transaction for all).
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("drizzle/meta")).unwrap();
        std::fs::write(d.path().join("drizzle/0000_init.sql"), "CREATE TABLE t (a int);\n").unwrap();
        let journal = "{\n  \"version\": \"7\",\n  \"dialect\": \"postgresql\",\n  \"entries\": [\n    {\n      \"idx\": 0,\n      \"version\": \"7\",\n      \"when\": 1700000000000,\n      \"tag\": \"0000_init\",\n      \"breakpoints\": true\n    }\n  ]\n}";
        std::fs::write(d.path().join("drizzle/meta/_journal.json"), journal).unwrap();
        let m = project(d.path()).new_migration("x", sql, now, 0).unwrap();
        assert_eq!(m.create[0].0, d.path().join("drizzle/0001_x.sql"));
        assert_eq!(m.create[0].1, "CREATE INDEX t_a_idx ON t (a);\n");
        let (path, text) = &m.rewrite[0];
        assert_eq!(path, &d.path().join("drizzle/meta/_journal.json"));
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["entries"][1]["tag"], "0001_x");
        assert_eq!(v["entries"][1]["idx"], 1);
        std::fs::write(path, text).unwrap();
        std::fs::write(&m.create[0].0, &m.create[0].1).unwrap();
        let p = project(d.path());
        assert_eq!(p.migrations.len(), 2);
        assert!(p.notes.is_empty(), "{:?}", p.notes);
        // sqlx numbered 0001, 0002: the next number, outside a transaction.
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("migrations")).unwrap();
        std::fs::write(d.path().join("migrations/0001_t.sql"), "CREATE TABLE t (a int);\n").unwrap();
        std::fs::write(d.path().join("Cargo.toml"), "[dependencies]\nsqlx = \"0.8\"\n").unwrap();
        let p = project(d.path());
        if p.layout == crate::Layout::Sqlx {
            let m = p.new_migration("x", sql, now, 0).unwrap();
            assert_eq!(m.create[0].0, d.path().join("migrations/0002_x.sql"));
            assert!(m.create[0].1.starts_with("-- no-transaction\n"));
        }
    }
}
