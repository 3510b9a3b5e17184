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
    /// The default (or generation expression), canonical (casts removed), when there is one.
    pub default: Option<String>,
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
    /// A CHECK constraint's expression, canonical.
    pub check: Option<String>,
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
                    default: c
                        .default
                        .as_deref()
                        .or(c.generated.as_deref())
                        // A literal is read as the column's type, unless a cast says otherwise
                        // (a default kept from before the column's type changed).
                        .map(|d| match d.trim().strip_prefix('\'').is_some_and(|r| r.ends_with('\'')) {
                            true => canonical(&typed_literal(&c.type_name, canonical(d))),
                            false => canonical(d),
                        }),
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
                            check: c.expression.as_deref().filter(|_| c.kind == ConstraintKind::Check).map(canonical),
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

/// An expression as the comparison sees it: canonical, casts removed (the server prints the
/// implicit ones it added).
/// A string-literal default as PostgreSQL stores it for the column's type: a `bytea` column
/// keeps `'abc'` as `'\x616263'` (hex output), `''` as `'\x'`.
pub(crate) fn typed_literal(type_name: &str, d: String) -> String {
    if type_name == "boolean" {
        // boolin reads 't', 'yes', 'on', '1' (and prefixes of true/false/yes/no) as the value.
        let Some(inner) = d.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) else { return d };
        let v = inner.trim().to_lowercase();
        let prefix = |word: &str| !v.is_empty() && word.starts_with(v.as_str());
        return if prefix("true") || prefix("yes") || v == "on" || v == "1" {
            "'true'".into()
        } else if prefix("false") || (v.len() >= 2 && "no".starts_with(v.as_str())) || v == "n" || v == "off" || v == "of" || v == "0" {
            "'false'".into()
        } else {
            d
        };
    }
    if type_name == "interval" {
        // A bare literal is read as the column's type: '1 week' is stored as '7 days'.
        let Some(inner) = d.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) else { return d };
        return match pgvet_syntax::interval::interval_text(inner) {
            Some(t) => format!("'{t}'"),
            None => d,
        };
    }
    if type_name == "timestamp without time zone" || type_name == "timestamp with time zone" {
        // timestamp_in reads 'epoch' and a date alone as midnight; the server stores the full
        // text (the judge's session is in UTC: `+00` for timestamptz).
        let Some(inner) = d.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) else { return d };
        let zone = if type_name == "timestamp with time zone" { "+00" } else { "" };
        let v = inner.trim();
        if v.eq_ignore_ascii_case("epoch") {
            return format!("'1970-01-01 00:00:00{zone}'");
        }
        if v.contains(['.', '+', 'Z', 'z']) || v.matches('-').count() != 2 {
            return d;
        }
        return match crate::replay::datetime::Stamp::parse(v) {
            Some(mut st) => {
                st.time = true;
                format!("'{}{zone}'", st.text())
            }
            None => d,
        };
    }
    if type_name != "bytea" {
        return d;
    }
    let Some(inner) = d.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) else { return d };
    if inner.starts_with("\\x") || inner.contains('\\') {
        return d;
    }
    let raw = inner.replace("''", "'");
    format!("'\\x{}'", raw.bytes().map(|b| format!("{b:02x}")).collect::<String>())
}

pub fn canonical(e: &str) -> String {
    let e = e.trim();
    pgvet_syntax::parse_expr(e)
        .map(|n| pgvet_syntax::strip_casts(&n))
        .and_then(|n| pgvet_syntax::canonical_expr_node(&n))
        .unwrap_or_else(|| e.to_string())
}

/// One difference between pgvet's catalog and the server's: the object, what pgvet says, what
/// the server says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The relation (`schema.name`) or function the difference is about.
    pub relation: String,
    pub object: String,
    pub pgvet: String,
    pub server: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: pgvet says {}, the server says {}", self.object, self.pgvet, self.server)
    }
}

/// Expression text as both sides print it: `public.`, `extensions.` and `pg_catalog.`
/// qualifiers dropped (the server leaves out schemas on its search path; pg_dump writes them) and JSON literals in a stable form (jsonb
/// reorders keys and spaces them).
fn normal(e: &str) -> String {
    let mut out = e.to_string();
    // Schemas on the search path of both sides (Supabase puts `extensions` there).
    for schema in ["public.", "extensions.", "pg_catalog."] {
        let mut done = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(i) = rest.find(schema) {
            done.push_str(&rest[..i]);
            // Only a qualifier: not the tail of a longer name (`mypublic.x`, `"a"public.`).
            if done.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '"') {
                done.push_str(schema);
            }
            rest = &rest[i + schema.len()..];
        }
        done.push_str(rest);
        out = done;
    }
    // A JSON literal: '...' holding an object or array.
    if let Some(inner) = out.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        let unescaped = inner.replace("''", "'");
        if unescaped.starts_with(['{', '[']) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&unescaped) {
                return format!("json {v}");
            }
        }
    }
    out
}

fn same_expr(a: &Option<String>, b: &Option<String>) -> bool {
    a.as_deref().map(normal) == b.as_deref().map(normal)
}

fn expr_field(out: &mut Vec<Difference>, object: &str, name: &str, a: &Option<String>, b: &Option<String>) {
    if !same_expr(a, b) {
        field(out, object, name, a, b);
    }
}

fn show<T: std::fmt::Debug>(v: &T) -> String {
    format!("{v:?}")
}

fn field<T: PartialEq + std::fmt::Debug>(out: &mut Vec<Difference>, object: &str, name: &str, a: &T, b: &T) {
    if a != b {
        out.push(Difference {
            relation: relation_of(object),
            object: object.to_string(),
            pgvet: format!("{name} {}", show(a)),
            server: format!("{name} {}", show(b)),
        });
    }
}

/// `table s.t` / `column s.t.c` / `constraint c on s.t` / `index s.i` / `function s.f(...)` →
/// the relation or function's `schema.name`.
fn relation_of(object: &str) -> String {
    let rest = object.split_once(' ').map(|(_, r)| r).unwrap_or(object);
    let rest = rest.rsplit_once(" on ").map(|(_, t)| t).unwrap_or(rest);
    let rest = rest.split('(').next().unwrap_or(rest);
    let mut parts = rest.splitn(3, '.');
    match (parts.next(), parts.next()) {
        (Some(s), Some(n)) => format!("{s}.{}", n.trim_end_matches(':')),
        _ => rest.to_string(),
    }
}

impl Snapshot {
    /// The differences, one per object and property, `self` being pgvet's view and `server` the
    /// server's.
    pub fn differences(&self, server: &Snapshot) -> Vec<Difference> {
        let mut out = Vec::new();
        diff_maps(&mut out, "table", &self.tables, &server.tables, |out, name, a, b| {
            let obj = format!("table {name}");
            field(out, &obj, "kind", &a.kind, &b.kind);
            let names = |t: &SnapTable| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
            field(out, &obj, "columns", &names(a), &names(b));
            for x in &a.columns {
                let Some(y) = b.columns.iter().find(|y| y.name == x.name) else { continue };
                let obj = format!("column {name}.{}", x.name);
                field(out, &obj, "type", &x.type_name, &y.type_name);
                field(out, &obj, "not null", &x.not_null, &y.not_null);
                expr_field(out, &obj, "default", &x.default, &y.default);
                field(out, &obj, "identity", &x.identity, &y.identity);
                field(out, &obj, "generated", &x.generated, &y.generated);
            }
            diff_maps(out, &format!("constraint on {name}:"), &a.constraints, &b.constraints, |out, cn, x, y| {
                let obj = format!("constraint {cn} on {name}");
                field(out, &obj, "kind", &x.kind, &y.kind);
                field(out, &obj, "columns", &x.columns, &y.columns);
                field(out, &obj, "deferrable", &x.deferrable, &y.deferrable);
                field(out, &obj, "initially deferred", &x.deferred, &y.deferred);
                field(out, &obj, "validated", &x.validated, &y.validated);
                field(out, &obj, "index", &x.index, &y.index);
                field(out, &obj, "references", &x.references, &y.references);
                field(out, &obj, "on delete", &x.on_delete, &y.on_delete);
                field(out, &obj, "on update", &x.on_update, &y.on_update);
                expr_field(out, &obj, "check", &x.check, &y.check);
            });
        });
        diff_maps(&mut out, "index", &self.indexes, &server.indexes, |out, name, a, b| {
            let obj = format!("index {name}");
            field(out, &obj, "table", &a.table, &b.table);
            field(out, &obj, "unique", &a.unique, &b.unique);
            field(out, &obj, "primary", &a.primary, &b.primary);
            field(out, &obj, "nulls not distinct", &a.nulls_not_distinct, &b.nulls_not_distinct);
            field(out, &obj, "method", &a.method, &b.method);
            let keys = |i: &SnapIndex| i.keys.iter().map(|k| normal(k)).collect::<Vec<_>>();
            if keys(a) != keys(b) {
                field(out, &obj, "keys", &a.keys, &b.keys);
            }
            field(out, &obj, "include", &a.include, &b.include);
            expr_field(out, &obj, "predicate", &a.predicate, &b.predicate);
            field(out, &obj, "valid", &a.valid, &b.valid);
        });
        for f in self.functions.difference(&server.functions) {
            out.push(Difference {
                relation: relation_of(&format!("function {f}")),
                object: format!("function {f}"),
                pgvet: "it exists".into(),
                server: "it does not exist".into(),
            });
        }
        for f in server.functions.difference(&self.functions) {
            out.push(Difference {
                relation: relation_of(&format!("function {f}")),
                object: format!("function {f}"),
                pgvet: "it does not exist".into(),
                server: "it exists".into(),
            });
        }
        out
    }

    /// [`Snapshot::differences`] as lines.
    pub fn diff(&self, server: &Snapshot) -> Vec<String> {
        self.differences(server).iter().map(|d| d.to_string()).collect()
    }
}

fn diff_maps<V>(
    out: &mut Vec<Difference>,
    what: &str,
    a: &BTreeMap<String, V>,
    b: &BTreeMap<String, V>,
    both: impl Fn(&mut Vec<Difference>, &str, &V, &V),
) {
    for (k, v) in a {
        match b.get(k) {
            Some(w) => both(out, k, v, w),
            None => out.push(Difference {
                relation: relation_of(&format!("{what} {k}")),
                object: format!("{what} {k}"),
                pgvet: "it exists".into(),
                server: "it does not exist".into(),
            }),
        }
    }
    for k in b.keys().filter(|k| !a.contains_key(*k)) {
        out.push(Difference {
            relation: relation_of(&format!("{what} {k}")),
            object: format!("{what} {k}"),
            pgvet: "it does not exist".into(),
            server: "it exists".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn differences_name_their_relation() {
        assert_eq!(super::relation_of("table public.a"), "public.a");
        assert_eq!(super::relation_of("column public.a.b"), "public.a");
        assert_eq!(super::relation_of("constraint a_fk on public.a"), "public.a");
        assert_eq!(super::relation_of("function app.f(integer, text)"), "app.f");
        assert_eq!(super::normal("nextval('public.a_seq'::regclass)"), "nextval('a_seq'::regclass)");
        assert_eq!(super::normal("'{\"b\": 1, \"a\": [1]}'"), super::normal("'{\"a\":[1],\"b\":1}'"));
    }
}
