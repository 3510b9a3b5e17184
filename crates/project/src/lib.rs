//! Finding a project's migrations and reading `pgvet.toml`. This crate reads files; nothing
//! else in pgvet's analysis does.

mod config;
mod discover;
mod gosrc;
mod markers;
mod new_migration;
mod roles;
mod runners;
mod sqlc;
pub mod template;
mod workspace;

pub use config::{Config, ConfigError, Located, Version};
pub use discover::{load, load_code_only, Layout, Migration, Note, Part, Project, ProjectError, QueryFile, RunnerTable};
pub use markers::HostMigrations;
pub use new_migration::NewMigration;
pub use roles::{source_role, SourceRole};
pub use workspace::{find_databases, load_workspace, project_root, Workspace};
