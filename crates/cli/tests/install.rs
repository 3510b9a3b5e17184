//! `cargo install --bins --path .` at the repository root (the README's install command, and what
//! pre-commit's rust hooks run in a clone of a `repo:`) gives a working `pgvet` with its version
//! and commit. Installed from the debug build this test run already compiled (same
//! target directory, `--debug`, offline), so it costs seconds.
use std::path::PathBuf;
use std::process::Command;

#[test]
fn cargo_install_gives_a_working_pgvet() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).canonicalize().unwrap();
    let root = tempfile::tempdir().unwrap();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo.join("target"));
    let o = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["install", "--bins", "--path", ".", "--debug", "--offline", "--locked", "--root"])
        .arg(root.path())
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(o.status.success(), "cargo install failed:\n{}", String::from_utf8_lossy(&o.stderr));
    let bin = root.path().join("bin/pgvet");
    let v = Command::new(&bin).arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&v.stdout);
    assert!(version.starts_with(&format!("pgvet {} (commit ", env!("CARGO_PKG_VERSION"))), "{version}");
    let c = Command::new(&bin).args(["check", "examples/workspace-app", "-q"]).current_dir(&repo).output().unwrap();
    assert_eq!(c.status.code(), Some(1), "{}", String::from_utf8_lossy(&c.stderr));
}
