//! pgvet's schema model and the static DDL replayer that builds it from migrations.
//!
//! Pure: no I/O. The project crate reads files; the db crate reads live servers.

pub mod builtins;
pub mod facts;
pub mod maps;
pub mod model;
pub mod names;
pub mod replay;
pub mod snapshot;
pub mod types;
pub mod typing;

pub use model::*;
pub use replay::uncertain::PLATFORM;
pub use replay::{EventKind, ReplayEvent, Replayer};

pub use snapshot::Snapshot;
