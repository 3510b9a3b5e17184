//! Source classification: tests, seeds, scripts, fixtures, examples, vendored code and data
//! migrations, from the paths and names each ecosystem uses.

/// What a source file is for, from the paths and names each ecosystem uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceRole {
    Production,
    Test,
    Seed,
    Script,
    Fixture,
    Example,
    Vendored,
    /// Code in a migrations folder (knex, TypeORM, Prisma data migrations): it runs once.
    DataMigration,
}

impl SourceRole {
    pub fn is_production(self) -> bool {
        self == SourceRole::Production
    }

    pub fn name(self) -> &'static str {
        match self {
            SourceRole::Production => "production",
            SourceRole::Test => "test",
            SourceRole::Seed => "seed",
            SourceRole::Script => "script",
            SourceRole::Fixture => "fixture",
            SourceRole::Example => "example",
            SourceRole::Vendored => "vendored",
            SourceRole::DataMigration => "data migration",
        }
    }
}

/// The role of a source file from its path relative to the project root (`/`-separated).
pub fn source_role(relative: &str) -> SourceRole {
    let lower = relative.replace('\\', "/").to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('/').filter(|p| !p.is_empty()).collect();
    let (dirs, file) = match parts.split_last() {
        Some((f, d)) => (d, *f),
        None => return SourceRole::Production,
    };
    let stem = file.split('.').next().unwrap_or(file);
    let in_dir = |names: &[&str]| dirs.iter().any(|d| names.contains(d));
    if in_dir(&["vendor", "vendored", "third_party", "third-party", "assets", "bower_components"]) {
        return SourceRole::Vendored;
    }
    // A name part ending in "test" or "spec" (`api.servertest.ts`).
    let named_test = file.split('.').skip(1).any(|p| p.ends_with("test") || p.ends_with("spec"));
    if named_test
        || in_dir(&[
            "test",
            "tests",
            "__tests__",
            "__e2e__",
            "__mocks__",
            "e2e",
            "spec",
            "specs",
            "testing",
            "testdata",
            "test-utils",
            "test_utils",
            "cypress",
            "playwright",
            "integration-tests",
            "benches",
            "bench",
        ])
        || file.contains(".test.")
        || file.contains(".spec.")
        || file.contains(".e2e.")
        || file.contains(".stories.")
        || file.ends_with("_test.go")
        || (file.ends_with(".py") && (stem.starts_with("test_") || stem.ends_with("_test") || stem == "conftest"))
    {
        return SourceRole::Test;
    }
    if in_dir(&["fixtures", "fixture", "__fixtures__", "mocks", "mock", "stubs"]) {
        return SourceRole::Fixture;
    }
    if in_dir(&["seed", "seeds", "seeders", "seeding"]) || stem.starts_with("seed") || stem.starts_with("populate") {
        return SourceRole::Seed;
    }
    if in_dir(&["migrations", "migration", "data-migrations", "data_migrations", "backfills"]) {
        return SourceRole::DataMigration;
    }
    if in_dir(&["scripts", "script"]) {
        return SourceRole::Script;
    }
    if in_dir(&["examples", "example", "demo", "demos", "samples", "sample", "playground"]) {
        return SourceRole::Example;
    }
    SourceRole::Production
}

#[cfg(test)]
mod tests {
    use super::{source_role, SourceRole::*};

    #[test]
    fn roles_from_paths() {
        for (path, role) in [
            ("apps/web/src/db.ts", Production),
            ("apps/web/src/db.test.ts", Test),
            ("packages/x/__tests__/a.ts", Test),
            ("e2e/login.spec.ts", Test),
            ("internal/store/store_test.go", Test),
            ("tests/test_api.py", Test),
            ("app/conftest.py", Test),
            ("prisma/seed.ts", Seed),
            ("apps/webapp/prisma/populate.ts", Seed),
            ("packages/db/src/seed/documents.ts", Seed),
            ("scripts/backfill.ts", Script),
            ("src/fixtures/users.ts", Fixture),
            ("examples/app/src/main.ts", Example),
            ("web/assets/highlight/test.js", Vendored),
            ("db/migrations/20240101_backfill.ts", DataMigration),
            ("src/testimonials.ts", Production),
            ("src/latest.ts", Production),
            ("web/src/__e2e__/api.servertest.ts", Test),
            ("src/contest.ts", Production),
        ] {
            assert_eq!(source_role(path), role, "{path}");
        }
    }
}
