//! Adopting pgvet: what a new user meets first (help texts, rule docs, SARIF) tells its story in
//! its own words, paths point at files that exist from the repository root, and nothing pgvet
//! cannot read is dropped without a word.
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::repo;

fn pgvet_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgvet"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("PGVET_DATABASE_URL")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Users have never seen pgvet's internal field reports: no help text, rule doc, SARIF rule
/// help or message cites one.
#[test]
fn no_field_report_in_help_rule_docs_or_sarif() {
    let root = repo();
    let rules = pgvet_in(&root, &["rules"]);
    assert!(rules.status.success());
    let ids: Vec<String> =
        String::from_utf8_lossy(&rules.stdout).lines().filter_map(|l| l.split_whitespace().next().map(String::from)).collect();
    assert!(ids.len() > 40, "{ids:?}");
    let mut seen = 0;
    for id in &ids {
        let o = pgvet_in(&root, &["rule", id]);
        assert!(o.status.success(), "pgvet rule {id}: {}", text(&o));
        assert!(!text(&o).to_lowercase().contains("field report"), "pgvet rule {id} cites a field report:\n{}", text(&o));
        seen += 1;
    }
    assert_eq!(seen, ids.len());
    let commands =
        ["check", "schema", "lsp", "init", "baseline", "plan", "plan key", "plan unique", "preflight", "oracle", "prove", "rules", "rule"];
    let mut helps = vec![vec!["--help".to_string()], vec!["-h".to_string()]];
    for c in commands {
        let mut a: Vec<String> = c.split(' ').map(String::from).collect();
        a.push("--help".into());
        helps.push(a);
    }
    for args in helps {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = pgvet_in(&root, &args);
        assert!(o.status.success(), "pgvet {args:?}: {}", text(&o));
        assert!(!text(&o).to_lowercase().contains("field report"), "pgvet {args:?}:\n{}", text(&o));
    }
    let sarif = pgvet_in(&root, &["check", "examples/workspace-app", "--format", "sarif"]);
    assert!(!text(&sarif).to_lowercase().contains("field report"));
}

/// A project in a subfolder of a repository (`apps/web`): SARIF, JSON, concise and GitHub output
/// name files from the repository root, whatever the working directory and PATH, so code
/// scanning and annotations point at files that exist. SARIF says what its base is.
#[test]
fn machine_formats_are_relative_to_the_repository_root() {
    let dir = tempfile::tempdir().unwrap();
    let repo_dir = dir.path().join("repo");
    common::copy_dir(&repo().join("examples/workspace-app"), &repo_dir.join("apps/web"));
    assert!(Command::new("git").arg("init").arg("-q").arg(&repo_dir).status().unwrap().success());
    let web = repo_dir.join("apps/web");
    for (cwd, path) in [(&web, "."), (&repo_dir, "apps/web"), (&dir.path().to_path_buf(), "repo/apps/web")] {
        let sarif = pgvet_in(cwd, &["check", path, "--format", "sarif"]);
        let doc: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&sarif)));
        let run = &doc["runs"][0];
        let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap();
        assert_eq!(base, format!("file://{}/", repo_dir.canonicalize().unwrap().display()));
        let results = run["results"].as_array().unwrap();
        assert!(!results.is_empty());
        for r in results {
            let loc = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            let uri = loc["uri"].as_str().unwrap();
            assert!(uri.starts_with("apps/web/"), "{uri}");
            assert_eq!(loc["uriBaseId"], "%SRCROOT%");
            assert!(repo_dir.join(uri).is_file(), "{uri}");
        }
        // The suggested migration is a new Supabase migration (the runner's naming; the current
        // CLI sends CREATE INDEX CONCURRENTLY on its own, outside the file's transaction).
        let fix = results
            .iter()
            .filter(|r| r["ruleId"] == "fk-missing-index")
            .find_map(|r| r["fixes"][0]["artifactChanges"][0].as_object().cloned())
            .expect("a finding with a suggested migration");
        let fix_uri = fix["artifactLocation"]["uri"].as_str().unwrap();
        assert!(fix_uri.starts_with("apps/web/supabase/migrations/") && fix_uri.ends_with("_pgvet_fk_missing_index.sql"), "{fix_uri}");
        let text = fix["replacements"][0]["insertedContent"]["text"].as_str().unwrap();
        assert!(text.starts_with("CREATE INDEX CONCURRENTLY "), "{text}");
        let json = pgvet_in(cwd, &["check", path, "--format", "json"]);
        let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        for d in doc["diagnostics"].as_array().unwrap() {
            let f = d["location"]["file"].as_str().unwrap();
            assert!(f.starts_with("apps/web/") && repo_dir.join(f).is_file(), "{f}");
        }
        let concise = String::from_utf8_lossy(&pgvet_in(cwd, &["check", path, "--format", "concise"]).stdout).into_owned();
        assert!(concise.lines().filter(|l| !l.starts_with("pgvet:")).all(|l| l.starts_with("apps/web/")), "{concise}");
        let github = String::from_utf8_lossy(&pgvet_in(cwd, &["check", path, "--format", "github"]).stdout).into_owned();
        assert!(github.lines().filter(|l| l.contains(" file=")).all(|l| l.contains(" file=apps/web/")), "{github}");
        assert!(github.contains(" file=apps/web/"), "{github}");
    }
}

/// The hook as .pre-commit-hooks.yaml defines it, as a `repo: local` hook that runs the pgvet
/// this test run built (`language: system`): everything but the install step, which
/// `pre_commit_installs_the_hook_from_a_repository_url` and install.rs cover.
fn local_hook_config() -> String {
    let hooks = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let start = hooks.find("\n- id: pgvet").expect("the pgvet hook") + 1;
    let block: String = hooks[start..].lines().map(|l| format!("      {l}\n")).collect();
    assert!(block.contains("language: rust"), "{block}");
    format!("repos:\n  - repo: local\n    hooks:\n{}", block.replace("language: rust", "language: system"))
}

/// Runs `pre-commit` (from PyPI) in `dir` with pgvet's build first on PATH and a private cache.
fn pre_commit(dir: &Path, args: &[&str], cache: &Path) -> Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_pgvet")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    Command::new("pre-commit")
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", cache)
        .env("NO_COLOR", "1")
        .env_remove("PGVET_DATABASE_URL")
        .output()
        .unwrap_or_else(|e| panic!("pre-commit is tested with pre-commit itself (`pip install pre-commit`): {e}"))
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(o.status.success(), "git {args:?}: {}", text(&o));
}

/// pre-commit runs the hook definition on a fixture repository: findings in the changed files
/// fail the commit; a repository without a PostgreSQL database passes with one line.
#[test]
fn pre_commit_runs_the_hook_on_a_fixture_repository() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    common::copy_dir(&repo().join("examples/workspace-app"), &app);
    git(&app, &["init", "-q"]);
    std::fs::write(app.join(".pre-commit-config.yaml"), local_hook_config()).unwrap();
    git(&app, &["add", "-A"]);
    let migration = "supabase/migrations/20251110000000_automation_billing_blog.sql";
    let o = pre_commit(&app, &["run", "--files", migration, "src/workforce.ts"], cache.path());
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains(&format!("{migration}:")) && out.contains("warning[fk-missing-index]"), "{out}");
    assert!(out.contains("src/workforce.ts:") && out.contains("[lost-update]"), "{out}");
    // Only the files passed are reported.
    assert!(!out.contains("increment_token_usage_rpc.sql:"), "{out}");

    // A repository with code but no PostgreSQL database: exit 0, one line.
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(plain.join("src")).unwrap();
    std::fs::write(plain.join("src/index.ts"), "export const x = 1;\n").unwrap();
    std::fs::write(plain.join("README.md"), "# no database here\n").unwrap();
    git(&plain, &["init", "-q"]);
    std::fs::write(plain.join(".pre-commit-config.yaml"), local_hook_config()).unwrap();
    git(&plain, &["add", "-A"]);
    let o = pre_commit(&plain, &["run", "--all-files", "--verbose"], cache.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // And pgvet itself, as the hook calls it: one line.
    let o = pgvet_in(&plain, &["check", "--format", "concise", "src/index.ts"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("pgvet: no PostgreSQL database in ") && stdout.contains("nothing to check"), "{stdout}");
    assert!(o.stderr.is_empty(), "{}", text(&o));
    // Checking the repository itself is still an error: there is nothing to check there.
    assert_eq!(pgvet_in(&plain, &["check", "."]).status.code(), Some(2));
}

/// The real thing: pre-commit installs the hook from a `repo:` URL (a file:// clone of this
/// repository at HEAD, with `language: rust`, so `cargo install --bins --path .` at the clone's
/// root) and runs it. A release build of pgvet: minutes, so it runs on request:
/// `cargo test --test adoption -- --ignored` (offline, from the local cargo registry).
#[test]
#[ignore = "builds pgvet in release mode through pre-commit (minutes); run with --ignored"]
fn pre_commit_installs_the_hook_from_a_repository_url() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let clone = dir.path().join("pgvet");
    let o = Command::new("git").args(["clone", "-q"]).arg(repo()).arg(&clone).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let rev = String::from_utf8_lossy(&Command::new("git").args(["rev-parse", "HEAD"]).current_dir(&clone).output().unwrap().stdout)
        .trim()
        .to_string();
    let app = dir.path().join("app");
    common::copy_dir(&repo().join("examples/workspace-app"), &app);
    git(&app, &["init", "-q"]);
    std::fs::write(
        app.join(".pre-commit-config.yaml"),
        format!("repos:\n  - repo: file://{}\n    rev: {rev}\n    hooks:\n      - id: pgvet\n", clone.display()),
    )
    .unwrap();
    git(&app, &["add", "-A"]);
    let target =
        std::env::var_os("PGVET_PRE_COMMIT_TARGET_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| repo().join("target/pre-commit"));
    let o = Command::new("pre-commit")
        .args(["run", "--files", "supabase/migrations/20251110000000_automation_billing_blog.sql"])
        .current_dir(&app)
        .env("PRE_COMMIT_HOME", cache.path())
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("PGVET_DATABASE_URL")
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("warning[fk-missing-index]"), "{out}");
}

/// The release dry run on this machine: scripts/package.sh packs the build (the debug one here:
/// `PGVET_PROFILE=dev`) as the release workflow does, scripts/install.sh installs it from a
/// releases folder (a file:// mirror of GitHub's URLs) after checking its SHA-256, for a version
/// and for `latest`; `cargo binstall`'s metadata names the same archive and path inside it.
#[test]
fn release_archives_install_with_the_install_script() {
    let r = repo();
    let host = String::from_utf8_lossy(&Command::new("rustc").arg("-vV").output().unwrap().stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(String::from))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let releases = dir.path().join("releases");
    let versioned = releases.join(format!("download/v{}", env!("CARGO_PKG_VERSION")));
    let target_dir = Path::new(env!("CARGO_BIN_EXE_pgvet")).parent().unwrap().parent().unwrap().to_path_buf();
    let o = Command::new("bash")
        .arg(r.join("scripts/package.sh"))
        .env("PGVET_PROFILE", "dev")
        .env("PGVET_DIST", &versioned)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let archive = format!("pgvet-{host}.tar.gz");
    assert!(versioned.join(&archive).is_file() && versioned.join(format!("{archive}.sha256")).is_file());
    // The archive holds pgvet-<target>/pgvet, as binstall's bin-dir says.
    let list = Command::new("tar").arg("-tzf").arg(versioned.join(&archive)).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.lines().any(|l| l == format!("pgvet-{host}/pgvet")), "{list}");
    let manifest = std::fs::read_to_string(r.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("pkg-url = \"{ repo }/releases/download/v{ version }/pgvet-{ target }{ archive-suffix }\""));
    assert!(manifest.contains("bin-dir = \"pgvet-{ target }/{ bin }{ binary-ext }\""));
    // GitHub serves the newest release under latest/download/.
    let latest = releases.join("latest/download");
    common::copy_dir(&versioned, &latest);

    let install = |version: &str, into: &Path| {
        Command::new("sh")
            .arg(r.join("scripts/install.sh"))
            .env("PGVET_INSTALL_BASE_URL", format!("file://{}", releases.display()))
            .env("PGVET_VERSION", version)
            .env("PGVET_TARGET", &host)
            .env("PGVET_INSTALL_DIR", into)
            .output()
            .unwrap()
    };
    for version in [env!("CARGO_PKG_VERSION"), "latest"] {
        let bin = dir.path().join(format!("bin-{version}"));
        let o = install(version, &bin);
        assert!(o.status.success(), "{}", text(&o));
        let v = Command::new(bin.join("pgvet")).arg("--version").output().unwrap();
        assert!(String::from_utf8_lossy(&v.stdout).starts_with(&format!("pgvet {} (commit ", env!("CARGO_PKG_VERSION"))), "{}", text(&v));
    }
    // A corrupted download is refused.
    std::fs::write(latest.join(format!("{archive}.sha256")), format!("{}  {archive}\n", "0".repeat(64))).unwrap();
    let o = install("latest", &dir.path().join("bin-bad"));
    assert!(!o.status.success() && text(&o).contains("checksum mismatch"), "{}", text(&o));
    assert!(!dir.path().join("bin-bad/pgvet").exists());
}

/// The root manifest lists the CLI's test files and the workspace's crates by name (a virtual
/// manifest's globs cannot be used by a package manifest): none is forgotten.
#[test]
fn the_root_manifest_lists_every_test_file_and_crate() {
    let r = repo();
    let manifest = std::fs::read_to_string(r.join("Cargo.toml")).unwrap();
    for e in std::fs::read_dir(r.join("crates/cli/tests")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".rs") {
            assert!(
                manifest.contains(&format!("[[test]]\nname = \"{stem}\"\npath = \"crates/cli/tests/{name}\"")),
                "crates/cli/tests/{name} is not a [[test]] in Cargo.toml: cargo would not run it"
            );
        }
    }
    for e in std::fs::read_dir(r.join("crates")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().join("Cargo.toml").is_file() {
            assert!(manifest.contains(&format!("\"crates/{name}\"")), "crates/{name} is not a workspace member in Cargo.toml");
        }
    }
}

/// A source file with a byte that is not UTF-8 is named (info) and still checked, as decoded.
#[test]
fn a_source_file_that_is_not_utf8_is_named_and_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    common::copy_dir(&repo().join("examples/workspace-app"), &app);
    let mut bytes =
        b"// caf\xe9 (latin-1)\nexport async function f(supabase: any) {\n  await supabase.from('no_such_table').select('*');\n}\n"
            .to_vec();
    bytes.extend_from_slice(b"\n");
    std::fs::write(app.join("src/latin1.ts"), bytes).unwrap();
    let o = pgvet_in(dir.path(), &["check", "app", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    let diags = doc["diagnostics"].as_array().unwrap();
    let of = |rule: &str| -> Vec<&serde_json::Value> {
        diags.iter().filter(|d| d["rule"] == rule && d["location"]["file"].as_str().unwrap().ends_with("src/latin1.ts")).collect()
    };
    let named = of("unreadable-file");
    assert_eq!(named.len(), 1, "{diags:#?}");
    assert_eq!(named[0]["severity"], "info");
    assert!(named[0]["message"].as_str().unwrap().contains("not valid UTF-8 (first at line 1)"), "{:#}", named[0]);
    let unknown = of("unknown-relation");
    assert!(unknown.iter().any(|d| d["message"].as_str().unwrap().contains("no_such_table")), "{diags:#?}");
}

/// A free TCP port on the loopback address.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn run(cmd: &str, args: &[&str], dir: &Path) {
    let o = Command::new(cmd).args(args).current_dir(dir).output().unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(o.status.success(), "{cmd} {args:?}: {}", text(&o));
}

/// A test CA and a server certificate for localhost / 127.0.0.1 signed by it (openssl).
fn certificates(dir: &Path) {
    run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=pgvet test CA",
        ],
        dir,
    );
    run("openssl", &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], dir);
    std::fs::write(dir.join("ext.cnf"), "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    run(
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
        dir,
    );
}

/// Live mode on a real server over TCP: row-level security that applies to the connecting role is
/// said and its counts are not taken as zero (no false "nothing blocks"); a wrong password, an
/// unknown database and a refused role are the server's words with their SQLSTATE; TLS as
/// sslmode says (rustls); a listener that never answers times out.
#[test]
fn live_mode_is_honest_about_what_it_cannot_see() {
    let certs = tempfile::tempdir().unwrap();
    certificates(certs.path());
    let port = free_port();
    let ssl = format!(
        "-c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
        certs.path().join("server.pem").display(),
        certs.path().join("server.key").display()
    );
    // The server reads its key as the postgres user, and only if no one else can.
    std::fs::set_permissions(certs.path().join("server.key"), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let is_root = String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
    if is_root {
        run("chown", &["-R", "postgres:postgres", certs.path().to_str().unwrap()], certs.path());
        std::fs::set_permissions(certs.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let pg =
        pgvet_db::TempPostgres::start_with(Some(port), &ssl).unwrap_or_else(|e| panic!("live mode is tested on a real PostgreSQL: {e}"));
    std::fs::write(
        pg.data_dir().join("pg_hba.conf"),
        "local all all trust\nhost all blocked 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 scram-sha-256\n",
    )
    .unwrap();
    let mut admin = pg.fresh_database("app").unwrap();
    admin
        .batch_execute(
            "SELECT pg_reload_conf();
             CREATE TABLE public.t (id int PRIMARY KEY, k int, owner_name text);
             INSERT INTO public.t VALUES (1, 1, 'reader'), (2, NULL, 'other'), (3, NULL, 'other');
             ALTER TABLE public.t ADD CONSTRAINT t_k_not_null CHECK (k IS NOT NULL) NOT VALID;
             ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;
             CREATE POLICY own ON public.t FOR SELECT USING (owner_name = current_user);
             CREATE ROLE reader LOGIN PASSWORD 'right';
             CREATE ROLE blocked LOGIN PASSWORD 'right';
             GRANT SELECT ON public.t TO reader;",
        )
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let tcp = |user: &str, password: &str, db: &str, extra: &str| format!("postgres://{user}:{password}@localhost:{port}/{db}?{extra}");
    let owner = format!("postgres://postgres@/app?host={}&port={port}", pg.socket_dir.display());
    let reader = tcp("reader", "right", "app", "sslmode=require");

    // Preflight: as the owner the NULLs block; as the RLS-restricted role it cannot tell.
    let plan = tempfile::tempdir().unwrap();
    std::fs::write(
        plan.path().join("00_preflight.sql"),
        "-- check: nulls | blocks | rows whose new key column k is NULL\nSELECT count(*), (array_agg(id::text))[1:3] FROM public.t WHERE k IS NULL;\n",
    )
    .unwrap();
    let dir = plan.path().to_str().unwrap();
    let o = pgvet_in(plan.path(), &["preflight", dir, "--database-url", &owner]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("BLOCKS nulls: 2"), "{}", text(&o));
    let o = pgvet_in(plan.path(), &["preflight", dir, "--database-url", &reader]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(!out.contains("nothing blocks") && !out.contains("nulls: 0"), "{out}");
    assert!(out.contains("row-level security applies to reader on public.t") && out.contains("BYPASSRLS"), "{out}");

    // check --database-url: the NOT VALID check's violations are counted as the owner, and not
    // counted (said why) as the reader, with a warning naming the table.
    let project = tempfile::tempdir().unwrap();
    let findings = |url: &str| {
        let o = pgvet_in(project.path(), &["check", ".", "--format", "json", "--database-url", url]);
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
        let msgs: Vec<String> = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["rule"] == "check-violations")
            .map(|d| d["message"].as_str().unwrap().to_string())
            .collect();
        (msgs, String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (msgs, _) = findings(&owner);
    assert!(msgs.iter().any(|m| m.starts_with("2 row(s) of public.t break the NOT VALID check t_k_not_null")), "{msgs:#?}");
    let (msgs, err) = findings(&reader);
    assert!(err.contains("row-level security applies to this role on 1 table(s) (public.t)"), "{err}");
    assert!(msgs.iter().any(|m| m.contains("were not counted: row-level security hides rows of public.t from reader")), "{msgs:#?}\n{err}");
    assert!(!msgs.iter().any(|m| m.starts_with("0 row(s)")), "{msgs:#?}");

    // The server's refusals, in its words, with the SQLSTATE.
    for (url, want) in [
        (tcp("reader", "wrong", "app", "sslmode=disable"), "password authentication failed for user \"reader\" (SQLSTATE 28P01)"),
        (tcp("reader", "right", "nope", "sslmode=disable"), "database \"nope\" does not exist (SQLSTATE 3D000)"),
        (tcp("blocked", "right", "app", "sslmode=disable"), "(SQLSTATE 28000)"),
    ] {
        let o = pgvet_in(project.path(), &["check", ".", "--database-url", &url]);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(want) && !err.contains("db error") && !err.contains(":right@"), "{url}: {err}");
    }

    // TLS, as sslmode says.
    let ssl_in_use = |url: &str| -> Result<bool, String> {
        let mut live = pgvet_db::live::connect(url, pgvet_db::live::Limits::default())?;
        Ok(live.client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().get(0))
    };
    assert_eq!(ssl_in_use(&tcp("reader", "right", "app", "sslmode=require")), Ok(true));
    assert_eq!(ssl_in_use(&tcp("reader", "right", "app", "")), Ok(true), "prefer (the default) uses TLS when offered");
    assert_eq!(ssl_in_use(&tcp("reader", "right", "app", "sslmode=disable")), Ok(false));
    let ca = certs.path().join("ca.pem");
    assert_eq!(ssl_in_use(&tcp("reader", "right", "app", &format!("sslmode=verify-full&sslrootcert={}", ca.display()))), Ok(true));
    let unknown_ca = ssl_in_use(&tcp("reader", "right", "app", "sslmode=verify-full")).unwrap_err();
    assert!(unknown_ca.contains("certificate") || unknown_ca.contains("UnknownIssuer"), "{unknown_ca}");
    // verify-ca checks the chain, not the name; verify-full checks both.
    let by_ip = format!("postgres://reader:right@127.0.0.1:{port}/app?sslrootcert={}", ca.display());
    assert_eq!(ssl_in_use(&format!("{by_ip}&sslmode=verify-ca")), Ok(true));
    assert_eq!(ssl_in_use(&format!("{by_ip}&sslmode=verify-full")), Ok(true), "the certificate names 127.0.0.1 too");

    // A listener that accepts and never answers: an error within the connect timeout, no hang.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in silent.incoming().take(2) {
            conns.push(c);
        }
        std::thread::sleep(std::time::Duration::from_secs(8));
    });
    let started = std::time::Instant::now();
    let o = pgvet_in(
        project.path(),
        &["check", ".", "--database-url", &format!("postgres://u:p@127.0.0.1:{silent_port}/db?connect_timeout=2")],
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(6), "took {:?}: {err}", started.elapsed());
    assert!(err.contains("no answer within 2s"), "{err}");
    drop(held);
}
