//! # unknown-function
//!
//! ## What it finds
//! A call to a function that does not exist with that name and number of arguments (SQLSTATE
//! 42883), in a function body, a view, a migration or a query file. pgvet knows PostgreSQL's
//! built-in functions (a list generated from a real server), those of the bundled extensions a
//! migration creates, and every function the migrations define, with their defaults and
//! VARIADIC parameters. Calls into schemas pgvet was not shown, and unqualified calls while an
//! extension it does not know is installed, are not reported.
//!
//! ## Why it matters
//! Like a missing table, a missing function is only noticed when the caller runs: a function
//! dropped, renamed or given a new signature by a later migration keeps its callers compiling
//! and breaks them at run time. A typical case: an `increment_token_usage` RPC called by
//! the app but created by no migration.
//!
//! ## Example
//! ```sql
//! CREATE FUNCTION add_usage(p_user uuid, p_n int) RETURNS void LANGUAGE sql AS $$ SELECT 1 $$;
//! CREATE FUNCTION charge(p_user uuid) RETURNS void LANGUAGE sql AS $$
//!   SELECT add_usage(p_user)
//! $$;
//! -- error[unknown-function]: function add_usage does not take 1 argument: it takes 2
//! ```
//!
//! ## Fix
//! Create the function in a migration, or call it with a signature it has.
use super::unknown_column::report;
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::resolve::Missing;
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "unknown-function",
    summary: "a call to a function that does not exist with that name and argument count (42883)",
    default_severity: Severity::Error,
    check: Some(check_code),
    check_site: Some(check),
};

fn check(site: &Site, cx: &Context, out: &mut Vec<Diagnostic>) {
    report(site, cx, out, Missing::Function, &META);
}

/// `.rpc('name', { args })`: the function must exist, and PostgREST matches it by the names
/// of the arguments given.
fn check_code(cx: &Context, out: &mut Vec<Diagnostic>) {
    use crate::code::dropped_by;
    use pgvet_catalog::QName;
    for f in cx.code {
        for s in &f.extraction.sites {
            let pgvet_code::Call::Rpc(rpc) = &s.call else { continue };
            let (schema, name) = match rpc.name.split_once('.') {
                Some((a, b)) => (a.to_string(), b.to_string()),
                None => ("public".to_string(), rpc.name.clone()),
            };
            let q = QName::new(schema, name.as_str());
            let candidates: Vec<&pgvet_catalog::Function> = cx.catalog.functions.values().filter(|f| f.name == q).collect();
            if candidates.is_empty() {
                let q2 = q.clone();
                let dropped = dropped_by(cx, &name, |c| c.functions.keys().any(|k| k.name == q2));
                let why = if dropped.is_some() { "a later migration dropped it" } else { "no migration creates it" };
                let mut d = Diagnostic::new(
                    META.id,
                    META.default_severity,
                    format!("function {} called by .rpc() does not exist: {why}", rpc.name),
                    crate::diagnostic::Label::new(f.file, rpc.name_span).with_message("PostgREST answers 404 (PGRST202)"),
                )
                .with_help(format!(
                    "Create {} in a migration: a function the app calls but no migration creates fails on every call.",
                    rpc.name
                ))
                .withheld_if(cx.catalog.uncertain_function(&q).filter(|id| *id != pgvet_catalog::PLATFORM));
                if let Some(l) = dropped {
                    d = d.with_related(l);
                }
                out.push(d);
                continue;
            }
            // Arguments pgvet cannot see (a variable, a spread): the overload is unknown.
            if !rpc.args_known {
                continue;
            }
            // PostgREST picks the overload whose parameter names are exactly the keys given
            // (parameters with defaults may be left out).
            let given: Vec<&str> = rpc.args.iter().map(|a| a.name.as_str()).collect();
            let fits = candidates.iter().any(|c| {
                let ins: Vec<&pgvet_catalog::FunctionArg> =
                    c.args.iter().filter(|a| matches!(a.mode, "in" | "inout" | "variadic")).collect();
                given.iter().all(|g| ins.iter().any(|a| a.name.as_deref() == Some(g)))
                    && ins.iter().all(|a| a.has_default || a.name.as_deref().is_some_and(|n| given.contains(&n)))
            });
            if !fits {
                let sigs: Vec<String> = candidates
                    .iter()
                    .map(|c| {
                        c.args
                            .iter()
                            .filter(|a| matches!(a.mode, "in" | "inout" | "variadic"))
                            .map(|a| a.name.clone().unwrap_or_else(|| "?".into()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .collect();
                let at = rpc
                    .args
                    .iter()
                    .find(|a| !candidates.iter().any(|c| c.args.iter().any(|x| x.name.as_deref() == Some(a.name.as_str()))))
                    .map(|a| a.span)
                    .unwrap_or(rpc.name_span);
                out.push(
                    Diagnostic::new(
                        META.id,
                        META.default_severity,
                        format!("no function {} takes the arguments ({}): it takes ({})", rpc.name, given.join(", "), sigs.join(") or (")),
                        crate::diagnostic::Label::new(f.file, at).with_message("PostgREST matches functions by argument names"),
                    )
                    .with_help("Pass exactly the function's parameter names (those with defaults may be left out)."),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::lines;

    const RULE: &str = "unknown-function";

    #[test]
    fn fires() {
        let cases = [
            ("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  PERFORM increment_token_usage(1, 2);\nEND $$;", vec![3]),
            ("CREATE FUNCTION g(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;\nCREATE VIEW v AS SELECT g(1);", vec![2]),
            ("CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n  SELECT g(1)\n$$;\nDROP FUNCTION g(int);", vec![3]),
            ("CREATE VIEW v AS SELECT lower('a', 'b');", vec![1]),
            ("CREATE VIEW v AS SELECT digest('a', 'sha256');", vec![1]),
        ];
        for (sql, want) in cases {
            assert_eq!(lines(sql, RULE), want, "{sql}");
        }
    }

    #[test]
    fn stays_silent() {
        let cases = [
            "CREATE VIEW v AS SELECT now(), lower('A'), coalesce(1, 2), count(*), concat('a', 'b', 'c'), extract(year from now()), trim('x'), substring('abc' from 1 for 2), int4('1'), percentile_cont(0.5) WITHIN GROUP (ORDER BY 1);",
            "CREATE FUNCTION g(a int, b int DEFAULT 2) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;\nCREATE VIEW v AS SELECT g(1), g(1, 3);",
            "CREATE FUNCTION g(VARIADIC xs int[]) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\nCREATE VIEW v AS SELECT g(1, 2, 3), g(VARIADIC ARRAY[1]);",
            "CREATE EXTENSION pgcrypto;\nCREATE VIEW v AS SELECT digest('a', 'sha256'), gen_random_uuid();",
            "CREATE EXTENSION vector;\nCREATE VIEW v AS SELECT l2_distance('[1]', '[2]');",
            "CREATE TYPE mood AS ENUM ('a');\nCREATE VIEW v AS SELECT mood('a');",
            "CREATE VIEW v AS SELECT information_schema._pg_truetypid(a, t) FROM pg_attribute a, pg_type t LIMIT 0;",
            "CREATE VIEW v AS SELECT unknown_schema.f(1);",
            "CREATE VIEW v AS SELECT char_length(trim(both ' ' from 'x')), date(now()), timezone('utc', now()), row_security_active('t'), pg_catalog.set_config('a.b', '', false);",
            "CREATE TABLE t (id int);\nCREATE PROCEDURE p(a int) LANGUAGE sql AS $$ SELECT 1 $$;\nCALL p(1);",
        ];
        for sql in cases {
            for rule in ["unknown-relation", "unknown-column", "unknown-function"] {
                assert_eq!(lines(sql, rule), Vec::<usize>::new(), "{rule}: {sql}");
            }
        }
    }

    #[test]
    fn rpc_calls() {
        use crate::test_util::code_lines;
        let schema = "CREATE FUNCTION inc(p_user_id uuid, p_n int DEFAULT 1) RETURNS void LANGUAGE sql AS $$ SELECT 1 $$;";
        let src = "async function f(supabase, u) {\n  await supabase.rpc('inc', { p_user_id: u });\n  await supabase.rpc('inc', { p_user_id: u, p_n: 2 });\n  await supabase.rpc('inc', { user_id: u });\n  await supabase.rpc('increment_participant_stats', { p: 1 });\n}";
        assert_eq!(code_lines(schema, &[("a.ts", src)], RULE), vec![("a.ts".to_string(), 4), ("a.ts".to_string(), 5)]);
        // Arguments in a variable or a spread: pgvet cannot tell the overload (silent), but the
        // function itself must exist.
        let vars = "async function f(supabase, params) {\n  await supabase.rpc('inc', params);\n  await supabase.rpc('inc', { ...params, p_n: 2 });\n  await supabase.rpc('gone', params);\n}";
        assert_eq!(code_lines(schema, &[("a.ts", vars)], RULE), vec![("a.ts".to_string(), 4)]);
    }
}
