// Scratch: the schema from a Prisma project's migrations vs the one pgvet declares from its
// schema.prisma. Usage: prisma_vs_migrations <schema.prisma or dir of .prisma> <migrations dir>
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let sp = std::path::Path::new(&a[1]);
    let text = if sp.is_dir() {
        let mut s = String::new();
        for e in std::fs::read_dir(sp).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "prisma") {
                s.push_str(&std::fs::read_to_string(e.path()).unwrap());
                s.push('\n');
            }
        }
        s
    } else {
        std::fs::read_to_string(sp).unwrap()
    };
    let models = pgvet_code::prisma::parse(&text);
    let enums = pgvet_code::prisma::enums(&text);
    let ddl = pgvet_code::prisma::to_sql(&models, &enums);
    if a.len() > 3 {
        println!("{ddl}");
    }
    for e in pgvet_syntax::parse_sql(&ddl).errors {
        let at = ddl[..e.at.start].lines().count();
        println!("DDL error line {at}: {} :: {}", e.message, ddl.lines().nth(at.saturating_sub(1)).unwrap_or(""));
    }
    let declared = pgvet_catalog::builtins::declared(&ddl);
    let mut dirs: Vec<_> =
        std::fs::read_dir(&a[2]).unwrap().flatten().map(|e| e.path()).filter(|p| p.join("migration.sql").is_file()).collect();
    dirs.sort();
    let files: Vec<pgvet_linter::MigrationFile> = dirs
        .iter()
        .map(|d| pgvet_linter::MigrationFile {
            source: pgvet_syntax::SourceFile::new(d.display().to_string(), std::fs::read_to_string(d.join("migration.sql")).unwrap()),
            transactional: true,
            host: None,
            reruns: true,
        })
        .collect();
    let an = pgvet_linter::analyze(files, pgvet_catalog::Catalog::new(), &pgvet_linter::Settings::default());
    let diffs = declared.snapshot().differences(&an.catalog.snapshot());
    let diffs: Vec<_> = diffs
        .into_iter()
        .filter(|d| {
            !(d.pgvet.starts_with("columns") && {
                let mut a: Vec<&str> = d.pgvet.split(", ").collect();
                a.sort();
                let mut b: Vec<&str> = d.server.split(", ").collect();
                b.sort();
                a.len() == b.len()
            })
        })
        .collect();
    for d in &diffs {
        println!("{d}");
    }
    println!("{} tables declared, {} migrated, {} differences", declared.tables.len(), an.catalog.tables.len(), diffs.len());
}
#[allow(dead_code)]
fn unused() {}
