//! Dumps PostgreSQL's built-in type system: the types, functions, operators and casts of
//! `pg_catalog` (and of the extensions migrations commonly create), as the static type checker
//! and the replay's `CREATE TABLE ... AS` need them. The catalog crate's `data/types.tsv` is this
//! dump (regenerate with `cargo run -p pgvet-db --example gen_types`); a test keeps it in step
//! with the server.
//!
//! Format, one object per line, tab-separated, sorted by kind then OID:
//! - `T oid name display typtype category preferred elem array basetype`: a type (`display` is
//!   format_type's text; `elem`/`array`/`basetype` are OIDs, 0 for none)
//! - `P oid schema name kind retset ret nargs ndefaults variadic args allargs modes argnames`: a
//!   function (`args` the input argument type OIDs; `allargs`/`modes`/`argnames` only when the
//!   function has OUT or named arguments, else `-`)
//! - `O oid name kind left right result`: an operator (kind b/l, 0 for a missing side)
//! - `C source target context method`: a cast (context i/a/e, method f/b/i)
use postgres::Client;

/// The extensions whose functions and types join the built-ins: those Supabase and most
/// migrations create.
pub const EXTENSIONS: &[&str] = &["pgcrypto", "uuid-ossp", "citext", "pg_trgm", "hstore", "ltree", "btree_gist", "unaccent"];

const SCHEMAS: &str = "n.nspname IN ('pg_catalog', 'information_schema', 'public')";

pub fn dump(client: &mut Client) -> Result<String, postgres::Error> {
    for e in EXTENSIONS {
        client.batch_execute(&format!("CREATE EXTENSION IF NOT EXISTS \"{e}\" WITH SCHEMA public"))?;
    }
    let mut out: Vec<String> = Vec::new();
    for r in client.query(
        &format!(
            "SELECT t.oid::int8, t.typname::text, format_type(t.oid, NULL), t.typtype::text, t.typcategory::text, t.typispreferred, \
                    t.typelem::int8, t.typarray::int8, t.typbasetype::int8 \
               FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
              WHERE {SCHEMAS} AND t.typtype IN ('b', 'p', 'e', 'r', 'm', 'd') ORDER BY t.oid"
        ),
        &[],
    )? {
        let (oid, name, display, typtype, cat): (i64, String, String, String, String) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        let preferred: bool = r.get(5);
        let (elem, array, base): (i64, i64, i64) = (r.get(6), r.get(7), r.get(8));
        out.push(format!("T\t{oid}\t{name}\t{display}\t{typtype}\t{cat}\t{}\t{elem}\t{array}\t{base}", preferred as u8));
    }
    for r in client.query(
        &format!(
            "SELECT p.oid::int8, n.nspname::text, p.proname::text, p.prokind::text, p.proretset, p.prorettype::int8, p.pronargs::int, \
                    p.pronargdefaults::int, p.provariadic::int8, array_to_string(p.proargtypes::oid[], ','), \
                    coalesce(array_to_string(p.proallargtypes, ','), '-'), coalesce(array_to_string(p.proargmodes, ','), '-'), \
                    coalesce(array_to_string(p.proargnames, ',', ''), '-') \
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
              WHERE {SCHEMAS} ORDER BY p.oid"
        ),
        &[],
    )? {
        let (oid, schema, name, kind): (i64, String, String, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
        let retset: bool = r.get(4);
        let (ret, nargs, ndef, variadic): (i64, i32, i32, i64) = (r.get(5), r.get(6), r.get(7), r.get(8));
        let (args, all, modes, names): (String, String, String, String) = (r.get(9), r.get(10), r.get(11), r.get(12));
        out.push(format!(
            "P\t{oid}\t{schema}\t{name}\t{kind}\t{}\t{ret}\t{nargs}\t{ndef}\t{variadic}\t{}\t{all}\t{modes}\t{names}",
            retset as u8,
            if args.is_empty() { "-" } else { &args }
        ));
    }
    for r in client.query(
        &format!(
            "SELECT o.oid::int8, o.oprname::text, o.oprkind::text, o.oprleft::int8, o.oprright::int8, o.oprresult::int8 \
               FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE {SCHEMAS} ORDER BY o.oid"
        ),
        &[],
    )? {
        let (oid, name, kind): (i64, String, String) = (r.get(0), r.get(1), r.get(2));
        let (l, rt, res): (i64, i64, i64) = (r.get(3), r.get(4), r.get(5));
        out.push(format!("O\t{oid}\t{name}\t{kind}\t{l}\t{rt}\t{res}"));
    }
    for r in client.query(
        "SELECT castsource::int8, casttarget::int8, castcontext::text, castmethod::text FROM pg_cast ORDER BY castsource, casttarget",
        &[],
    )? {
        let (s, t, c, m): (i64, i64, String, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
        out.push(format!("C\t{s}\t{t}\t{c}\t{m}"));
    }
    Ok(out.join("\n") + "\n")
}
