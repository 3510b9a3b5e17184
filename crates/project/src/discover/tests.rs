use super::*;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (p, t) in files {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
}

fn names(p: &Project) -> Vec<String> {
    p.migrations.iter().map(|m| m.path.rsplit_once(std::path::MAIN_SEPARATOR).map(|x| x.1).unwrap_or(&m.path).to_string()).collect()
}

#[test]
fn supabase() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("supabase/migrations/20240102_b.sql", "SELECT 2;"),
            ("supabase/migrations/20240101_a.sql", "SELECT 1;"),
            ("supabase/config.toml", ""),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Supabase);
    assert_eq!(names(&p), vec!["20240101_a.sql", "20240102_b.sql"]);
}

#[test]
fn prisma_with_spaces_and_concurrently() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("prisma/migrations/20240101000000_init/migration.sql", "CREATE TABLE a (id int);"),
            (
                "prisma/migrations/20240102000000_add index please/migration.sql",
                "-- CreateIndex\nCREATE INDEX CONCURRENTLY a_id ON a (id);",
            ),
            ("prisma/migrations/20240103000000_two/migration.sql", "CREATE TABLE b (id int);\nCREATE INDEX CONCURRENTLY b_id ON b (id);"),
            (
                "prisma/migrations/20240104000000_comment/migration.sql",
                "-- no CONCURRENTLY here: a default partition forbids it\nCREATE TABLE c (id int);\nCREATE TABLE d (id int);",
            ),
            ("prisma/migrations/migration_lock.toml", "provider = \"postgresql\""),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Prisma);
    assert_eq!(p.migrations.len(), 4);
    assert!(p.migrations[1].path.contains("add index please"));
    assert!(p.migrations[0].transactional);
    assert!(!p.migrations[1].transactional, "a file of one CONCURRENTLY statement runs on its own");
    // Several statements are one query string: an implicit transaction (CONCURRENTLY fails in it).
    assert!(p.migrations[2].transactional);
    assert!(p.migrations[3].transactional, "a comment does not make a file non-transactional");
}

#[test]
fn drizzle_follows_the_journal_and_skips_strays() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            (
                "drizzle/meta/_journal.json",
                r#"{"version":"7","dialect":"postgresql","entries":[{"idx":0,"tag":"0001_zeta"},{"idx":1,"tag":"0000_alpha"}]}"#,
            ),
            ("drizzle/0001_zeta.sql", "CREATE TABLE z (id int);"),
            ("drizzle/0000_alpha.sql", "CREATE TABLE a (id int);"),
            ("drizzle/0002_stray.sql", "DROP TABLE z;"),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Drizzle);
    assert_eq!(names(&p), vec!["0001_zeta.sql", "0000_alpha.sql"], "journal order, not name order");
    assert_eq!(p.notes.len(), 1);
    assert!(p.notes[0].path.ends_with("0002_stray.sql"));
}

#[test]
fn sqlx_and_golang_migrate_ignore_down_files() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("migrations/2_b.up.sql", "SELECT 2;"),
            ("migrations/2_b.down.sql", "SELECT -2;"),
            ("migrations/10_c.up.sql", "SELECT 10;"),
            ("migrations/1_a.up.sql", "-- no-transaction\nSELECT 1;"),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Sqlx);
    assert_eq!(names(&p), vec!["1_a.up.sql", "2_b.up.sql", "10_c.up.sql"], "numeric version order");
    assert!(!p.migrations[0].transactional);
}

#[test]
fn goose_keeps_only_up_and_line_numbers() {
    let d = tempfile::tempdir().unwrap();
    let text = "-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n";
    write(d.path(), &[("migrations/00001_init.sql", text)]);
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Goose);
    let m = &p.migrations[0].text;
    assert!(m.contains("CREATE TABLE a") && !m.contains("DROP TABLE"));
    assert_eq!(m.len(), text.len());
    assert_eq!(m.lines().count(), text.lines().count());
}

#[test]
fn flyway_numeric_versions() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("src/main/resources/db/migration/V10__ten.sql", "SELECT 10;"),
            ("src/main/resources/db/migration/V2__two.sql", "SELECT 2;"),
            ("src/main/resources/db/migration/V2_1__two_one.sql", "SELECT 21;"),
            ("src/main/resources/db/migration/R__views.sql", "SELECT 0;"),
            ("src/main/resources/db/migration/U2__undo.sql", "SELECT -2;"),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Flyway);
    assert_eq!(names(&p), vec!["V2__two.sql", "V2_1__two_one.sql", "V10__ten.sql", "R__views.sql"]);
}

#[test]
fn structure_file_and_plain_dir() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), &[("db/structure.sql", "CREATE TABLE a (id int);")]);
    assert_eq!(load(d.path()).unwrap().layout, Layout::Structure);
    let d = tempfile::tempdir().unwrap();
    write(d.path(), &[("schema/b.sql", "SELECT 2;"), ("schema/a.sql", "SELECT 1;")]);
    let p = load(&d.path().join("schema")).unwrap();
    assert_eq!(p.layout, Layout::Plain);
    assert_eq!(names(&p), vec!["a.sql", "b.sql"]);
    let one = load(&d.path().join("schema/a.sql")).unwrap();
    assert_eq!(one.layout, Layout::Structure);
    assert_eq!(one.migrations.len(), 1);
}

#[test]
fn config_overrides_detection() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("supabase/migrations/1.sql", "SELECT 1;"),
            ("sql/x/001.sql", "SELECT 2;"),
            ("pgvet.toml", "[migrations]\nlayout = \"plain\"\npath = \"sql/x\"\ntransactional = false\n"),
        ],
    );
    let p = load(d.path()).unwrap();
    assert_eq!(p.layout, Layout::Plain);
    assert_eq!(names(&p), vec!["001.sql"]);
    assert!(!p.migrations[0].transactional);
}

#[test]
fn errors_say_what_and_where() {
    let d = tempfile::tempdir().unwrap();
    let e = load(&d.path().join("nope")).unwrap_err().to_string();
    assert!(e.contains("no such file or directory"), "{e}");
    write(d.path(), &[("README.md", "hi")]);
    let e = load(d.path()).unwrap_err().to_string();
    assert!(e.contains("no migrations found") && e.contains("pgvet.toml"), "{e}");
    write(d.path(), &[("pgvet.toml", "[migrations]\nlayot = \"x\"\n"), ("a.sql", "SELECT 1;")]);
    let e = load(d.path()).unwrap_err().to_string();
    assert!(e.contains("pgvet.toml:2:1") && e.contains("unknown field `layot`"), "{e}");
}
