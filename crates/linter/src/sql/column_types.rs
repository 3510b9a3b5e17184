//! The column types a migration statement declares (`CREATE TABLE`, `ALTER TABLE ... ADD
//! COLUMN`, `ALTER COLUMN ... TYPE`), for the type-preference rules.
use pgvet_syntax::protobuf::{node::Node as N, AlterTableType as AT, ColumnDef};
use pgvet_syntax::NodeEnum;

use super::{Site, SiteKind};

/// One declared column.
pub struct Declared {
    pub column: String,
    /// The type's last name part, lower case (`int4`, `varchar`, `timestamp`, `serial`).
    pub ty: String,
    /// Whether the type has a modifier (`varchar(20)`).
    pub has_typmod: bool,
    pub location: i32,
}

fn declared(d: &ColumnDef, column: &str) -> Option<Declared> {
    let tn = d.type_name.as_ref()?;
    let ty = tn
        .names
        .iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(N::String(s)) => Some(s.sval.to_ascii_lowercase()),
            _ => None,
        })
        .next_back()?;
    Some(Declared { column: column.to_string(), ty, has_typmod: !tn.typmods.is_empty(), location: tn.location.max(d.location) })
}

/// The columns a migration statement declares.
pub fn columns(site: &Site) -> Vec<Declared> {
    if !matches!(site.kind, SiteKind::Migration) {
        return vec![];
    }
    let mut out = Vec::new();
    match site.node {
        NodeEnum::CreateStmt(c) => {
            for e in &c.table_elts {
                if let Some(N::ColumnDef(d)) = e.node.as_ref() {
                    out.extend(declared(d, &d.colname));
                }
            }
        }
        NodeEnum::AlterTableStmt(a) => {
            for c in &a.cmds {
                let Some(N::AlterTableCmd(cmd)) = c.node.as_ref() else { continue };
                let Some(N::ColumnDef(d)) = cmd.def.as_deref().and_then(|d| d.node.as_ref()) else { continue };
                match AT::try_from(cmd.subtype).unwrap_or(AT::Undefined) {
                    AT::AtAddColumn => out.extend(declared(d, &d.colname)),
                    AT::AtAlterColumnType => out.extend(declared(d, &cmd.name)),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    out
}

/// A type-preference rule's findings: one per declared column `matches` accepts.
pub fn style_findings(
    site: &Site,
    meta: &crate::rules::RuleMeta,
    matches: impl Fn(&Declared) -> bool,
    message: impl Fn(&Declared) -> String,
    instead: &str,
    out: &mut Vec<crate::Diagnostic>,
) {
    for c in columns(site).iter().filter(|c| matches(c)) {
        out.push(crate::Diagnostic::new(
            meta.id,
            meta.default_severity,
            message(c),
            site.label_word(c.location).with_message(format!("prefer {instead}")),
        ));
    }
}
