//! The only pgvet crate that talks to PostgreSQL: a throwaway-server harness for tests and
//! `--dev-db`, and read-only catalog introspection.

pub mod builtins;
mod introspect;
pub mod live;
pub mod locks;
pub mod oracle;
pub mod race;
pub mod replay;
mod server;
pub mod typedata;

pub use introspect::introspect;
pub use postgres;
pub use server::{find_bin_dir, stop_all, TempPostgres};
