//! `pgvet prove`: each race finding run on a throwaway PostgreSQL with the project's migrations
//! applied (pgvet-prove decides what to run, pgvet-db runs it).
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use pgvet_db::race::Isolation;
use pgvet_db::replay::replay;
use pgvet_db::TempPostgres;
use pgvet_prove::render::At;
use pgvet_prove::{Options, Runner, Verdict};

/// What `pgvet prove` was asked.
pub struct ProveArgs {
    pub path: PathBuf,
    pub database: Option<String>,
    pub rule: Option<String>,
    pub at: Option<String>,
    pub isolation: Vec<Isolation>,
    pub explore: bool,
    pub json: bool,
    pub sarif: bool,
    pub emit_spec: Option<PathBuf>,
    pub schedule: Option<String>,
    pub seed: Option<PathBuf>,
}

/// `FILE:LINE` matches a finding whose path ends with FILE on that line.
fn matches_at(at: &str, path: &str, line: usize) -> Result<bool, String> {
    let (file, l) = at.rsplit_once(':').ok_or_else(|| format!("--at {at}: expected FILE:LINE (e.g. src/usage.ts:12)"))?;
    let l: usize = l.parse().map_err(|_| format!("--at {at}: `{l}` is not a line number"))?;
    Ok(l == line && (path == file || path.ends_with(&format!("/{file}")) || Path::new(path).ends_with(file)))
}

pub fn prove(a: ProveArgs) -> Result<ExitCode, String> {
    let started = Instant::now();
    let (project, settings) = crate::load_database(&a.path, a.database.as_deref())?;
    if let Some(r) = &a.rule {
        if !pgvet_prove::RULES.contains(&r.as_str()) {
            return Err(format!("--rule {r}: pgvet proves {} (other rules have no race to run)", pgvet_prove::RULES.join(", ")));
        }
    }
    let analysis = pgvet_linter::project::analyze(&project, &settings);
    let mut chosen = Vec::new();
    for d in analysis.diagnostics.iter().filter(|d| d.race.is_some()) {
        if a.rule.as_deref().is_some_and(|r| r != d.rule) {
            continue;
        }
        let f = &analysis.files[d.primary.file];
        let lc = f.line_col(d.primary.span.start);
        if let Some(at) = &a.at {
            if !matches_at(at, &f.path, lc.line)? {
                continue;
            }
        }
        chosen.push((d, f.path.clone(), lc.line, lc.column));
    }
    if chosen.is_empty() {
        let what = match (&a.rule, &a.at) {
            (None, None) => "no race findings".to_string(),
            _ => "no race finding matches --rule/--at".to_string(),
        };
        eprintln!("pgvet prove: {what} in {} (it proves {})", a.path.display(), pgvet_prove::RULES.join(", "));
        // Machine-readable output stays parseable.
        if a.json {
            crate::emit(r#"{"proofs": []}"#);
        } else if a.sarif {
            crate::emit(&pgvet_linter::render::sarif(&analysis.files, &[]));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let seed = match &a.seed {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("--seed {}: {e}", p.display()))?;
            Some(pgvet_syntax::parse_sql(&text).statements.iter().map(|s| text[s.span.range()].to_string()).collect::<Vec<_>>())
        }
        None => None,
    };
    // Ctrl-C or SIGTERM: stop the server and delete its directory before leaving.
    let _ = ctrlc::set_handler(|| {
        pgvet_db::stop_all();
        std::process::exit(130);
    });
    eprintln!("pgvet prove: starting a throwaway PostgreSQL...");
    let pg = TempPostgres::start()?;
    let server_started = started.elapsed();
    let files = pgvet_oracle::replay_files(&project, project.migrations.len());
    eprintln!("pgvet prove: applying {} migrations...", files.len());
    let (_, rejected) = replay(&pg, pgvet_oracle::replay_prelude(&project).as_deref(), &files, |_| {})?;
    if !rejected.is_empty() {
        eprintln!(
            "pgvet prove: the server rejected {} migration statements (first: {}: {}); the races run on the rest",
            rejected.len(),
            analysis.files.get(rejected[0].file).map(|f| f.path.as_str()).unwrap_or("?"),
            rejected[0].message
        );
    }
    let mut runner = Runner::new(&pg, "pgvet_dev");
    let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(120usize).clamp(60, 200);
    let mut proofs_json = Vec::new();
    let mut sarif_proofs = Vec::new();
    let mut counts = [0usize; 3];
    let total = chosen.len() * a.isolation.len();
    let mut k = 0;
    for (d, path, line, column) in &chosen {
        let at = At { rule: d.rule, file: path, line: *line, column: *column };
        for &iso in &a.isolation {
            k += 1;
            eprintln!("pgvet prove: {} at {path}:{line} ({}) [{k}/{total}]", d.rule, iso.short());
            let opts =
                Options { isolation: iso, explore: a.explore, schedule: a.schedule.clone(), seed: seed.clone(), ..Options::default() };
            let site = d.race.as_deref().expect("chosen findings carry a race");
            let proof = pgvet_prove::prove(&mut runner, &analysis.catalog, site, &opts);
            counts[match proof.verdict {
                Verdict::Proven => 0,
                Verdict::NotReproduced => 1,
                Verdict::Inconclusive => 2,
            }] += 1;
            if let Some(dir) = &a.emit_spec {
                if let Some(spec) = pgvet_prove::render::isolation_spec(&at, &proof) {
                    std::fs::create_dir_all(dir).map_err(|e| format!("--emit-spec {}: {e}", dir.display()))?;
                    let stem = path.rsplit('/').next().unwrap_or(path).replace('.', "_");
                    let file = dir.join(format!("{}-{stem}-{line}-{}.spec", d.rule, iso.short()));
                    std::fs::write(&file, spec).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
                }
            }
            let j = pgvet_prove::render::json(&at, &proof);
            if a.sarif {
                sarif_proofs.push(((*d).clone(), j));
            } else if a.json {
                proofs_json.push(j);
            } else {
                crate::emit(&pgvet_prove::render::text(&at, &proof, width));
            }
        }
    }
    if a.json {
        crate::emit(&serde_json::to_string_pretty(&serde_json::json!({ "proofs": proofs_json })).unwrap_or_default());
    }
    if a.sarif {
        let diags: Vec<_> = sarif_proofs.iter().map(|(d, _)| d.clone()).collect();
        let mut v: serde_json::Value =
            serde_json::from_str(&pgvet_linter::render::sarif(&analysis.files, &diags)).map_err(|e| e.to_string())?;
        if let Some(results) = v["runs"][0]["results"].as_array_mut() {
            for (r, (_, proof)) in results.iter_mut().zip(&sarif_proofs) {
                r["properties"]["proof"] = proof.clone();
            }
        }
        crate::emit(&serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    eprintln!(
        "pgvet prove: {} proven, {} not reproduced, {} inconclusive; {} schedules run in {:.1} s (server start {:.1} s)",
        counts[0],
        counts[1],
        counts[2],
        runner.runs,
        started.elapsed().as_secs_f64(),
        server_started.as_secs_f64()
    );
    drop(pg);
    Ok(if counts[0] > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
