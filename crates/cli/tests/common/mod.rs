//! What the CLI's test files share: the repository root, copying a fixture tree, and a fixture
//! app laid out as a Supabase project. Each test file uses some of it.
#![allow(dead_code)]
use std::path::{Path, PathBuf};

/// The repository root (the `pgvet` package's manifest is the root one).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().unwrap()
}

/// Copies the tree at `from` to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// The fixture apps (`crates/linter/tests/fixtures/apps`).
pub fn apps_dir() -> PathBuf {
    repo().join("crates/linter/tests/fixtures/apps")
}

/// A fixture app (`ts-pg`, `go`, ...) in its `bug` or `fixed` variant as a Supabase project: the
/// shared schema as its one migration, the app's sources beside it.
pub fn fixture_app(app: &str, variant: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("supabase/migrations")).unwrap();
    std::fs::copy(apps_dir().join("schema.sql"), dir.path().join("supabase/migrations/20250101000000_schema.sql")).unwrap();
    for e in std::fs::read_dir(apps_dir().join(app).join(variant)).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    dir
}
