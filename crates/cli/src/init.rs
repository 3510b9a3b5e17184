//! `pgvet init`: a commented pgvet.toml written from what discovery found.
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

pub fn init(path: &Path, force: bool) -> Result<ExitCode, String> {
    let root = pgvet_project::project_root(path);
    let target = root.join("pgvet.toml");
    if target.exists() && !force {
        return Err(format!("{} exists; pgvet init does not overwrite it (--force does)", target.display()));
    }
    let ws = pgvet_project::load_workspace(&root)
        .map_err(|e| format!("{e}\n(pgvet init writes what discovery finds; set [migrations] by hand when it finds nothing)"))?;
    let mut t = String::from(
        "# pgvet.toml, written by `pgvet init` from what pgvet found here. Every key is optional:\n# pgvet finds the rest by itself. `pgvet --help`, `pgvet rules` and the README explain them.\n\n",
    );
    match ws.databases.as_slice() {
        [one] => {
            let rel = one.location.strip_prefix(&root).unwrap_or(&one.location).to_string_lossy().replace('\\', "/");
            let _ = writeln!(t, "[migrations]\nlayout = \"{}\"   # found: {} migration(s)", one.layout.name(), one.migrations.len());
            let _ = writeln!(t, "path = \"{}\"", if rel.is_empty() { ".".into() } else { rel });
            let tx = one.migrations.iter().filter(|m| m.transactional).count();
            let _ = writeln!(
                t,
                "# transactional = true   # the runner wraps each file in a transaction ({tx} of {} files do, as pgvet reads the layout)\n",
                one.migrations.len()
            );
        }
        many => {
            let _ = writeln!(t, "# {} databases found; each is checked with the code that uses it.", many.len());
            for d in many {
                let rel = d.location.strip_prefix(&root).unwrap_or(&d.location).to_string_lossy().replace('\\', "/");
                let _ = writeln!(t, "[[database]]\nname = \"{}\"\nlayout = \"{}\"\npath = \"{rel}\"\n", d.name(), d.layout.name());
            }
        }
    }
    t.push_str("[check]\nfail-level = \"warning\"   # info | warning | error: the lowest severity that fails the run\n\n");
    t.push_str("[rules]\n# fk-missing-index = \"error\"   # off | info | warning | error, per rule (`pgvet rules` lists them)\n# locks = \"warning\"            # or per group: locks, rewrites, breaking, repeatability, style\n\n");
    // Tenant columns the schema uses, as a hint.
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for d in &ws.databases {
        let settings = crate::settings_of(d)?;
        let a = pgvet_linter::analysis::analyze_project(crate::files(d), Vec::new(), crate::base_catalog(d), &settings);
        for table in a.catalog.tables.values().filter(|t| !t.origin.is_builtin()) {
            for c in pgvet_linter::settings::DEFAULT_TENANT_COLUMNS {
                if table.column(c).is_some() {
                    *counts.entry(c.to_string()).or_default() += 1;
                }
            }
        }
    }
    let found: Vec<String> = counts.iter().map(|(c, n)| format!("{c} ({n} tables)")).collect();
    t.push_str("[tenant]\n");
    if counts.is_empty() {
        t.push_str("# columns = [\"workspace_id\"]   # no tenant column found among the defaults\n");
    } else {
        // Every one found, most used first: the same columns the defaults would pick up.
        let mut cols: Vec<(&String, &usize)> = counts.iter().collect();
        cols.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = cols.iter().map(|(c, _)| format!("\"{c}\"")).collect();
        let _ = writeln!(t, "columns = [{}]   # found: {}", list.join(", "), found.join(", "));
    }
    t.push_str("# global-tables = [\"plans\"]   # tables shared by every tenant on purpose\n\n");
    t.push_str("[api]\n# schemas = [\"public\"]              # what an HTTP API (Supabase/PostgREST) exposes\n# roles = [\"anon\", \"authenticated\"]\n\n");
    t.push_str("[code]\n# include-tests = false   # check tests, seeds and scripts like production code\n");
    // What we write must read back.
    pgvet_project::Config::parse("pgvet.toml", &t).map_err(|e| format!("pgvet init wrote a config it cannot read (a bug): {e}"))?;
    std::fs::write(&target, &t).map_err(|e| format!("{}: {e}", target.display()))?;
    crate::emit(&format!("pgvet: wrote {}\n\n{t}", target.display()));
    Ok(ExitCode::SUCCESS)
}
