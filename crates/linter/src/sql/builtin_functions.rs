//! What a fresh PostgreSQL 15 has before any migration: functions, system relations and types of
//! `pg_catalog` / `information_schema`, and the functions of the bundled extensions. Read from
//! `data/builtins.tsv`, which `cargo run -p pgvet-db --example gen_builtins` generates from a real
//! server (the db crate's tests check it is current).
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// A function's call shape: how many arguments it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arity {
    pub nargs: usize,
    pub ndefaults: usize,
    pub variadic: bool,
}

impl Arity {
    /// Whether a call with `n` arguments can match (`explicit_variadic`: `f(VARIADIC arr)`).
    pub fn accepts(&self, n: usize, explicit_variadic: bool) -> bool {
        let min = self.nargs - self.ndefaults.min(self.nargs);
        if self.variadic && !explicit_variadic {
            return n >= min;
        }
        n >= min && n <= self.nargs
    }
}

#[derive(Debug)]
pub struct SystemRelation {
    pub schema: &'static str,
    pub name: &'static str,
    pub columns: Vec<&'static str>,
}

#[derive(Default)]
struct Builtins {
    /// (schema, name) -> arities
    functions: HashMap<&'static str, HashMap<&'static str, Vec<Arity>>>,
    /// name -> (extension, arity)
    extension_functions: HashMap<&'static str, Vec<(&'static str, Arity)>>,
    extensions: HashSet<&'static str>,
    relations: HashMap<&'static str, HashMap<&'static str, SystemRelation>>,
    types: HashSet<&'static str>,
}

const DATA: &str = include_str!("../../data/builtins.tsv");

fn data() -> &'static Builtins {
    static B: OnceLock<Builtins> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = Builtins::default();
        for line in DATA.lines() {
            let f: Vec<&'static str> = line.split('\t').collect();
            let arity =
                |f: &[&str]| Arity { nargs: f[3].parse().unwrap_or(0), ndefaults: f[4].parse().unwrap_or(0), variadic: f[5] == "1" };
            match f.as_slice() {
                ["F", s, n, ..] if f.len() == 7 => b.functions.entry(*s).or_default().entry(*n).or_default().push(arity(&f)),
                ["X", e, n, ..] if f.len() == 7 => {
                    b.extensions.insert(e);
                    b.extension_functions.entry(*n).or_default().push((*e, arity(&f)));
                }
                ["R", s, n, cols] => {
                    let columns = cols.split(',').filter(|c| !c.is_empty()).collect();
                    b.relations.entry(*s).or_default().insert(*n, SystemRelation { schema: s, name: n, columns });
                }
                ["R", s, n] => {
                    b.relations.entry(*s).or_default().insert(*n, SystemRelation { schema: s, name: n, columns: vec![] });
                }
                ["T", _, n] => {
                    b.types.insert(n);
                }
                _ => {}
            }
        }
        b
    })
}

/// Arities of a built-in function in `schema`.
pub fn function(schema: &str, name: &str) -> Option<&'static [Arity]> {
    data().functions.get(schema)?.get(name).map(|v| v.as_slice())
}

/// Functions of platform extensions that a plain PostgreSQL does not bundle (Supabase's
/// `pgjwt`), by name; they take 1 to 3 arguments.
const PLATFORM_FUNCTIONS: &[(&str, &str)] = &[
    ("pgjwt", "sign"),
    ("pgjwt", "verify"),
    ("pgjwt", "url_encode"),
    ("pgjwt", "url_decode"),
    ("pgjwt", "algorithm_sign"),
    ("pgjwt", "try_cast_double"),
];

/// Platform extensions whose functions all live in their own schema (called qualified).
const SCHEMA_CONTAINED: &[&str] = &["pg_graphql", "supabase_vault", "pg_net", "pg_cron", "pgsodium", "pg_stat_monitor", "wrappers"];

/// Arities of a function the installed `extensions` add under this name.
pub fn extension_function<'a>(name: &str, installed: impl Fn(&str) -> bool + 'a) -> Vec<Arity> {
    let mut v: Vec<Arity> =
        data().extension_functions.get(name).map(|v| v.iter().filter(|(e, _)| installed(e)).map(|(_, a)| *a).collect()).unwrap_or_default();
    for (e, f) in PLATFORM_FUNCTIONS {
        if *f == name && installed(e) {
            v.push(Arity { nargs: 3, ndefaults: 2, variadic: false });
        }
    }
    v
}

/// Whether pgvet knows which unqualified functions this extension adds.
pub fn known_extension(name: &str) -> bool {
    name == "plpgsql"
        || data().extensions.contains(name)
        || PLATFORM_FUNCTIONS.iter().any(|(e, _)| *e == name)
        || SCHEMA_CONTAINED.contains(&name)
}

pub fn system_relation(schema: &str, name: &str) -> Option<&'static SystemRelation> {
    data().relations.get(schema)?.get(name)
}

/// Whether `name` is a built-in type (so `name(x)` is a function-style cast).
pub fn is_type(name: &str) -> bool {
    data().types.contains(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_committed_list() {
        assert!(function("pg_catalog", "now").is_some_and(|a| a.iter().any(|a| a.accepts(0, false))));
        let concat = function("pg_catalog", "concat").unwrap();
        assert!(concat.iter().any(|a| a.accepts(3, false)) && !concat.iter().any(|a| a.accepts(0, false)));
        assert!(system_relation("pg_catalog", "pg_class").is_some_and(|r| r.columns.contains(&"relname")));
        assert!(system_relation("information_schema", "columns").is_some());
        assert!(
            !extension_function("gen_random_uuid", |e| e == "pgcrypto").is_empty() || function("pg_catalog", "gen_random_uuid").is_some()
        );
        assert!(!extension_function("digest", |e| e == "pgcrypto").is_empty());
        assert!(extension_function("digest", |_| false).is_empty());
        assert!(is_type("int4") && is_type("text"));
    }
}
