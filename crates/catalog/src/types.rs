//! Type names as PostgreSQL's `format_type` prints them.
use pgvet_syntax::protobuf::node::Node as N;
use pgvet_syntax::protobuf::{a_const, TypeName};
use pgvet_syntax::quote_ident;

/// Internal (or alias) name → the name `format_type` prints. Names the grammar already turns
/// into `pg_catalog.x` (int, varchar, ...) arrive here as their internal names.
pub fn builtin_display(name: &str) -> Option<&'static str> {
    Some(match name {
        "int2" | "smallint" => "smallint",
        "int4" | "int" | "integer" => "integer",
        "int8" | "bigint" => "bigint",
        "float4" | "real" => "real",
        "float8" => "double precision",
        "bool" | "boolean" => "boolean",
        "varchar" => "character varying",
        "bpchar" => "character",
        "numeric" | "decimal" => "numeric",
        "timestamp" => "timestamp without time zone",
        "timestamptz" => "timestamp with time zone",
        "time" => "time without time zone",
        "timetz" => "time with time zone",
        "interval" => "interval",
        "bit" => "bit",
        "varbit" => "bit varying",
        "text" => "text",
        "uuid" => "uuid",
        "json" => "json",
        "jsonb" => "jsonb",
        "bytea" => "bytea",
        "date" => "date",
        "inet" => "inet",
        "cidr" => "cidr",
        "macaddr" => "macaddr",
        "money" => "money",
        "oid" => "oid",
        "xml" => "xml",
        "tsvector" => "tsvector",
        "tsquery" => "tsquery",
        "regclass" => "regclass",
        "name" => "name",
        "char" => "\"char\"",
        "void" => "void",
        "trigger" => "trigger",
        "record" => "record",
        "anyelement" => "anyelement",
        "int4range" => "int4range",
        "int8range" => "int8range",
        "numrange" => "numrange",
        "tsrange" => "tsrange",
        "tstzrange" => "tstzrange",
        "daterange" => "daterange",
        "point" => "point",
        _ => return None,
    })
}

/// The parts of a type reference: optional schema, name, typmods, array-ness.
pub struct TypeRef {
    pub schema: Option<String>,
    pub name: String,
    pub typmods: Vec<i64>,
    pub array: bool,
    /// `table.column%TYPE`
    pub pct_type: Option<Vec<String>>,
}

pub fn type_ref(t: &TypeName) -> TypeRef {
    let names: Vec<String> = t
        .names
        .iter()
        .filter_map(|n| match &n.node {
            Some(N::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect();
    let typmods = t
        .typmods
        .iter()
        .filter_map(|n| match &n.node {
            Some(N::AConst(c)) => match &c.val {
                Some(a_const::Val::Ival(i)) => Some(i.ival as i64),
                _ => None,
            },
            _ => None,
        })
        .collect();
    if t.pct_type {
        return TypeRef { schema: None, name: String::new(), typmods, array: false, pct_type: Some(names) };
    }
    let (schema, name) = match names.as_slice() {
        [s, n] => (Some(s.clone()), n.clone()),
        [.., s, n] => (Some(s.clone()), n.clone()),
        [n] => (None, n.clone()),
        [] => (None, String::new()),
    };
    TypeRef { schema, name, typmods, array: !t.array_bounds.is_empty(), pct_type: None }
}

/// Formats a type. `user_schema` says in which schema a user-defined type of that name lives
/// (None: a built-in or unknown type). `with_typmod` is false for function signatures.
pub fn format_type(r: &TypeRef, user_schema: Option<&str>, with_typmod: bool) -> String {
    let base = match user_schema {
        Some(s) if s != "public" && s != "pg_catalog" => format!("{}.{}", quote_ident(s), quote_ident(&r.name)),
        Some(_) => quote_ident(&r.name),
        None => match builtin_display(&r.name) {
            Some(d) if r.schema.as_deref().is_none_or(|s| s == "pg_catalog") => d.to_string(),
            _ => match &r.schema {
                Some(s) if s != "public" && s != "pg_catalog" => format!("{}.{}", quote_ident(s), quote_ident(&r.name)),
                _ => quote_ident(&r.name),
            },
        },
    };
    let mods = if with_typmod && !r.typmods.is_empty() { typmod_text(&base, &r.typmods) } else { None };
    let mut out = match mods {
        Some(m) => m,
        None => base,
    };
    if r.array {
        out.push_str("[]");
    }
    out
}

pub(crate) fn typmod_text(base: &str, m: &[i64]) -> Option<String> {
    let list = m.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",");
    Some(match base {
        "numeric" => match m {
            [p] => format!("numeric({p},0)"),
            _ => format!("numeric({list})"),
        },
        "timestamp without time zone" => format!("timestamp({list}) without time zone"),
        "timestamp with time zone" => format!("timestamp({list}) with time zone"),
        "time without time zone" => format!("time({list}) without time zone"),
        "time with time zone" => format!("time({list}) with time zone"),
        // interval's typmods are its fields (a range bit mask) and a precision, printed as
        // intervaltypmodout does: `interval day to second(3)`, `interval(0)`.
        "interval" => {
            const MONTH: i64 = 1 << 1;
            const YEAR: i64 = 1 << 2;
            const DAY: i64 = 1 << 3;
            const HOUR: i64 = 1 << 10;
            const MINUTE: i64 = 1 << 11;
            const SECOND: i64 = 1 << 12;
            let (range, precision) = match m {
                [r] => (*r, None),
                [r, p, ..] => (*r, Some(*p)),
                [] => return None,
            };
            let fields = match range {
                0x7FFF => "",
                r if r == YEAR => " year",
                r if r == MONTH => " month",
                r if r == DAY => " day",
                r if r == HOUR => " hour",
                r if r == MINUTE => " minute",
                r if r == SECOND => " second",
                r if r == YEAR | MONTH => " year to month",
                r if r == DAY | HOUR => " day to hour",
                r if r == DAY | HOUR | MINUTE => " day to minute",
                r if r == DAY | HOUR | MINUTE | SECOND => " day to second",
                r if r == HOUR | MINUTE => " hour to minute",
                r if r == HOUR | MINUTE | SECOND => " hour to second",
                r if r == MINUTE | SECOND => " minute to second",
                _ => return None,
            };
            match precision {
                Some(p) if p != 0xFFFF => format!("interval{fields}({p})"),
                _ => format!("interval{fields}"),
            }
        }
        _ => format!("{base}({list})"),
    })
}

/// `serial` and friends: the integer type they stand for.
pub fn serial_base(name: &str) -> Option<&'static str> {
    match name {
        "serial" | "serial4" => Some("integer"),
        "bigserial" | "serial8" => Some("bigint"),
        "smallserial" | "serial2" => Some("smallint"),
        _ => None,
    }
}

/// `character varying(20)` → `character varying`, `timestamp(3) with time zone` →
/// `timestamp with time zone` (function signatures carry no typmods).
pub fn strip_typmod(t: &str) -> String {
    match (t.find('('), t.find(')')) {
        (Some(a), Some(b)) if a < b && t[a + 1..b].chars().all(|c| c.is_ascii_digit() || c == ',') => format!("{}{}", &t[..a], &t[b + 1..]),
        _ => t.to_string(),
    }
}
