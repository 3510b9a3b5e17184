//! A flat, comparable view of a catalog: what the catalog-parity oracle test compares between
//! pgvet's static replay and a real server's pg_catalog (see the db crate's `introspect`).
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Catalog, ConstraintKind, IndexKey};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// `schema.table` → table
    pub tables: BTreeMap<String, SnapTable>,
    /// `schema.index` → index
    pub indexes: BTreeMap<String, SnapIndex>,
    /// `schema.name(type, type)`
    pub functions: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SnapTable {
    /// `table`, `partitioned`, or `partition of schema.parent`
    pub kind: String,
    pub columns: Vec<SnapColumn>,
    pub constraints: BTreeMap<String, SnapConstraint>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SnapColumn {
    pub name: String,
    pub type_name: String,
    pub not_null: bool,
    pub has_default: bool,
    /// `a` (always), `d` (by default) or empty
    pub identity: String,
    pub generated: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SnapConstraint {
    /// pg_constraint.contype: p u f c x
    pub kind: char,
    /// Key columns in order (for CHECK: the referenced columns, sorted).
    pub columns: Vec<String>,
    pub deferrable: bool,
    pub deferred: bool,
    pub validated: bool,
    pub index: Option<String>,
    /// `schema.table(col, ...)` for a foreign key
    pub references: Option<String>,
    pub on_delete: Option<char>,
    pub on_update: Option<char>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SnapIndex {
    pub table: String,
    pub unique: bool,
    pub primary: bool,
    pub nulls_not_distinct: bool,
    pub method: String,
    /// Column names, or canonical expression text.
    pub keys: Vec<String>,
    pub include: Vec<String>,
    pub predicate: Option<String>,
    pub valid: bool,
}

pub fn kind_char(k: ConstraintKind) -> char {
    match k {
        ConstraintKind::PrimaryKey => 'p',
        ConstraintKind::Unique => 'u',
        ConstraintKind::ForeignKey => 'f',
        ConstraintKind::Check => 'c',
        ConstraintKind::Exclusion => 'x',
    }
}

/// Schemas whose contents are compared (user schemas; not the server's own).
pub fn is_user_schema(s: &str) -> bool {
    !matches!(s, "pg_catalog" | "information_schema" | "pg_toast") && !s.starts_with("pg_temp")
}

impl Catalog {
    pub fn snapshot(&self) -> Snapshot {
        let mut snap = Snapshot::default();
        for t in self.tables.values().filter(|t| is_user_schema(&t.name.schema)) {
            let kind = match (&t.partition_of, t.kind) {
                (Some(p), _) => format!("partition of {}.{}", p.schema, p.name),
                (None, crate::model::TableKind::Partitioned) => "partitioned".into(),
                _ => "table".into(),
            };
            let columns = t
                .columns
                .iter()
                .map(|c| SnapColumn {
                    name: c.name.clone(),
                    type_name: c.type_name.clone(),
                    not_null: c.not_null,
                    // PostgreSQL stores a generation expression in pg_attrdef too.
                    has_default: c.default.is_some() || c.generated.is_some(),
                    identity: match c.identity.as_deref() {
                        Some("always") => "a".into(),
                        Some(_) => "d".into(),
                        None => String::new(),
                    },
                    generated: c.generated.is_some(),
                })
                .collect();
            let constraints = t
                .constraints
                .iter()
                .map(|c| {
                    let mut columns = c.columns.clone();
                    if c.kind == ConstraintKind::Check {
                        columns.sort();
                    }
                    let fk = c.foreign_key.as_ref();
                    (
                        c.name.clone(),
                        SnapConstraint {
                            kind: kind_char(c.kind),
                            columns,
                            deferrable: c.deferrable,
                            deferred: c.initially_deferred,
                            validated: c.validated,
                            index: c.index.clone(),
                            references: fk.map(|f| format!("{}.{}({})", f.table.schema, f.table.name, f.columns.join(", "))),
                            on_delete: fk.map(|f| f.on_delete),
                            on_update: fk.map(|f| f.on_update),
                        },
                    )
                })
                .collect();
            snap.tables.insert(format!("{}.{}", t.name.schema, t.name.name), SnapTable { kind, columns, constraints });
        }
        for i in self.indexes.values().filter(|i| is_user_schema(&i.name.schema)) {
            snap.indexes.insert(
                format!("{}.{}", i.name.schema, i.name.name),
                SnapIndex {
                    table: format!("{}.{}", i.table.schema, i.table.name),
                    unique: i.unique,
                    primary: i.primary,
                    nulls_not_distinct: i.nulls_not_distinct,
                    method: i.method.clone(),
                    keys: i
                        .keys
                        .iter()
                        .map(|k| match k {
                            IndexKey::Column(c) => c.clone(),
                            IndexKey::Expression(e) => e.clone(),
                        })
                        .collect(),
                    include: i.include.clone(),
                    predicate: i.predicate.clone(),
                    valid: i.valid,
                },
            );
        }
        for k in self.functions.keys().filter(|k| is_user_schema(&k.name.schema)) {
            snap.functions.insert(format!("{}.{}({})", k.name.schema, k.name.name, k.args.join(", ")));
        }
        snap
    }
}

impl Snapshot {
    /// Human-readable differences, `self` being pgvet's view and `other` the server's.
    pub fn diff(&self, server: &Snapshot) -> Vec<String> {
        let mut out = Vec::new();
        diff_maps(&mut out, "table", &self.tables, &server.tables, |out, name, a, b| {
            if a.kind != b.kind {
                out.push(format!("table {name}: kind pgvet={:?} server={:?}", a.kind, b.kind));
            }
            if a.columns != b.columns {
                out.push(format!("table {name}: columns\n    pgvet:  {:?}\n    server: {:?}", a.columns, b.columns));
            }
            diff_maps(out, &format!("constraint on {name}"), &a.constraints, &b.constraints, |out, cn, x, y| {
                if x != y {
                    out.push(format!("constraint {cn} on {name}\n    pgvet:  {x:?}\n    server: {y:?}"));
                }
            });
        });
        diff_maps(&mut out, "index", &self.indexes, &server.indexes, |out, name, a, b| {
            if a != b {
                out.push(format!("index {name}\n    pgvet:  {a:?}\n    server: {b:?}"));
            }
        });
        for f in self.functions.difference(&server.functions) {
            out.push(format!("function {f}: only in pgvet"));
        }
        for f in server.functions.difference(&self.functions) {
            out.push(format!("function {f}: only on the server"));
        }
        out
    }
}

fn diff_maps<V>(
    out: &mut Vec<String>,
    what: &str,
    a: &BTreeMap<String, V>,
    b: &BTreeMap<String, V>,
    both: impl Fn(&mut Vec<String>, &str, &V, &V),
) {
    for (k, v) in a {
        match b.get(k) {
            Some(w) => both(out, k, v, w),
            None => out.push(format!("{what} {k}: only in pgvet")),
        }
    }
    for k in b.keys().filter(|k| !a.contains_key(*k)) {
        out.push(format!("{what} {k}: only on the server"));
    }
}
