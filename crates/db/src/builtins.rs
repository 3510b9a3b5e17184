//! Dumps what a fresh PostgreSQL knows before any migration runs: the functions and relations of
//! `pg_catalog` and `information_schema`, and the functions each bundled extension adds. The
//! linter's `data/builtins.tsv` is this dump (regenerate with
//! `cargo run -p pgvet-db --example gen_builtins`); a test keeps it in step with the server.
//!
//! Format, one object per line, tab-separated, sorted:
//! - `F <schema> <name> <nargs> <ndefaults> <variadic 0|1> <kind f|a|w|p>`: a function
//! - `R <schema> <name> <col,col,...>`: a relation and its columns
//! - `T <schema> <name>`: a type (function-style casts such as `int4(x)` name one)
//! - `X <extension> <name> <nargs> <ndefaults> <variadic> <kind>`: a function an extension adds
use postgres::Client;

const FUNCTIONS: &str = "SELECT DISTINCT n.nspname::text, p.proname::text, p.pronargs::int, p.pronargdefaults::int, \
       (p.provariadic <> 0)::int, p.prokind::text \
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
 WHERE n.nspname IN ('pg_catalog', 'information_schema')";

const RELATIONS: &str = "SELECT n.nspname::text, c.relname::text, \
       coalesce(string_agg(a.attname::text, ',' ORDER BY a.attnum), '') \
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
 WHERE n.nspname IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'v', 'm', 'p', 'f') \
 GROUP BY 1, 2";

const EXTENSION_FUNCTIONS: &str = "SELECT DISTINCT e.extname::text, p.proname::text, p.pronargs::int, p.pronargdefaults::int, \
       (p.provariadic <> 0)::int, p.prokind::text \
  FROM pg_depend d \
  JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid \
  JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid \
 WHERE d.deptype = 'e' AND e.extname <> 'plpgsql'";

fn fmt_fn(tag: &str, r: &postgres::Row) -> String {
    let (a, b): (String, String) = (r.get(0), r.get(1));
    let (n, d, v): (i32, i32, i32) = (r.get(2), r.get(3), r.get(4));
    let k: String = r.get(5);
    format!("{tag}\t{a}\t{b}\t{n}\t{d}\t{v}\t{k}")
}

/// The extensions PostgreSQL ships in its own distribution (contrib): the dump covers these, so
/// that extra packages on a machine (plpgsql_check, PostGIS, ...) do not change it.
pub const CONTRIB: &[&str] = &[
    "adminpack",
    "amcheck",
    "autoinc",
    "bloom",
    "btree_gin",
    "btree_gist",
    "citext",
    "cube",
    "dblink",
    "dict_int",
    "dict_xsyn",
    "earthdistance",
    "file_fdw",
    "fuzzystrmatch",
    "hstore",
    "insert_username",
    "intagg",
    "intarray",
    "isn",
    "lo",
    "ltree",
    "moddatetime",
    "old_snapshot",
    "pageinspect",
    "pg_buffercache",
    "pg_freespacemap",
    "pg_prewarm",
    "pg_stat_statements",
    "pg_surgery",
    "pg_trgm",
    "pg_visibility",
    "pg_walinspect",
    "pgcrypto",
    "pgrowlocks",
    "pgstattuple",
    "postgres_fdw",
    "refint",
    "seg",
    "sslinfo",
    "tablefunc",
    "tcn",
    "tsm_system_rows",
    "tsm_system_time",
    "unaccent",
    "uuid-ossp",
    "xml2",
];

/// The dump of a database with nothing but PostgreSQL's own ([`CONTRIB`]) extensions installed.
/// `client` must be connected, as a superuser, to a scratch database: those extensions are
/// created in it.
pub fn dump(client: &mut Client) -> Result<String, postgres::Error> {
    let mut lines = Vec::new();
    for r in client.query(FUNCTIONS, &[])? {
        lines.push(fmt_fn("F", &r));
    }
    for r in client.query(RELATIONS, &[])? {
        let (s, n, c): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        lines.push(format!("R\t{s}\t{n}\t{c}"));
    }
    let types = "SELECT n.nspname::text, t.typname::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
                 WHERE n.nspname = 'pg_catalog' AND t.typname NOT LIKE '\\_%'";
    for r in client.query(types, &[])? {
        let (s, n): (String, String) = (r.get(0), r.get(1));
        lines.push(format!("T\t{s}\t{n}"));
    }
    let available: Vec<String> =
        client.query("SELECT name::text FROM pg_available_extensions ORDER BY 1", &[])?.iter().map(|r| r.get(0)).collect();
    for ext in available.into_iter().filter(|e| CONTRIB.contains(&e.as_str())) {
        // Some extensions cannot be created everywhere; those are simply not in the list.
        let _ = client.batch_execute(&format!("CREATE EXTENSION IF NOT EXISTS \"{}\" CASCADE", ext.replace('"', "\"\"")));
    }
    for r in client.query(EXTENSION_FUNCTIONS, &[])? {
        lines.push(fmt_fn("X", &r));
    }
    lines.sort();
    lines.dedup();
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}
