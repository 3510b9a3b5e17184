//! Tenant scoping: which column identifies the tenant of a table, and which tables are global.
use pgvet_catalog::{QName, Table};

use crate::settings::Settings;

/// `workspace_id` -> `workspaceId`.
fn camel(s: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in s.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether the table is declared global in `pgvet.toml` (`name` or `schema.name`).
pub fn is_global(settings: &Settings, q: &QName) -> bool {
    settings.global_tables.iter().any(|g| match g.split_once('.') {
        Some((s, n)) => s == q.schema && n == q.name,
        None => *g == q.name,
    })
}

/// The table's tenant column, when it is tenant-scoped: the first configured tenant column name
/// (snake or camel case) it has. None for global tables and built-in (platform) tables.
pub fn tenant_column<'a>(settings: &Settings, t: &'a Table) -> Option<&'a str> {
    if t.origin.is_builtin() || is_global(settings, &t.name) {
        return None;
    }
    settings.tenant_columns.iter().find_map(|name| {
        let cc = camel(name);
        t.columns.iter().find(|c| c.name == *name || c.name == cc).map(|c| c.name.as_str())
    })
}
