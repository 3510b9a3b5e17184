//! # security-definer-search-path
//!
//! ## What it finds
//! A `SECURITY DEFINER` function without its own `SET search_path`.
//!
//! ## Why it matters
//! A definer function runs with its owner's privileges (in Supabase, usually `postgres`) but
//! resolves unqualified names through the *caller's* search path. A caller who can create
//! objects in any schema on that path (or in `pg_temp`, which every session can) can put a
//! table, operator or function there with the same name and have it run with the owner's rights.
//! PostgreSQL's documentation calls pinning the search path on such functions essential.
//!
//! ## Example
//! ```sql
//! CREATE FUNCTION increment_token_usage(p_user_id uuid, p_tokens int) RETURNS void
//! LANGUAGE plpgsql SECURITY DEFINER AS $$ ... $$;
//! -- warning[security-definer-search-path]: SECURITY DEFINER function increment_token_usage
//! --   has no SET search_path
//! ```
//!
//! ## Fix
//! Pin it: `ALTER FUNCTION increment_token_usage(uuid, integer) SET search_path = '';` and
//! schema-qualify every name in the body, or use `SET search_path = public, pg_temp` (trusted
//! schemas only, `pg_temp` last).
use pgvet_catalog::Function;
use pgvet_syntax::pg_query::NodeRef;

use super::{Context, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Label, Severity};
use crate::sql::display_name;

pub const META: RuleMeta = RuleMeta {
    id: "security-definer-search-path",
    summary: "a SECURITY DEFINER function without SET search_path",
    default_severity: Severity::Warning,
    check: Some(check),
    check_site: None,
};

/// A label on `needle` (case-insensitive) inside the function's statement, or on its first line.
pub fn label_in_function(cx: &Context, f: &Function, needle: &str) -> Option<Label> {
    let src = cx.files.get(f.origin.step)?;
    let stmt = src.text.get(f.origin.span.range())?;
    let at = stmt.to_lowercase().find(&needle.to_lowercase());
    Some(match at {
        Some(i) => Label::new(f.origin.step, pgvet_syntax::Span::new(f.origin.span.start + i, f.origin.span.start + i + needle.len())),
        None => Label::at_clause(f.origin.step, src, f.origin.span, Some(f.origin.span.start)),
    })
}

/// `name(type, type)` as ALTER FUNCTION wants it.
pub fn signature(f: &Function) -> String {
    let args: Vec<&str> = f.args.iter().filter(|a| matches!(a.mode, "in" | "inout" | "variadic")).map(|a| a.type_name.as_str()).collect();
    format!("{}({})", display_name(&f.name), args.join(", "))
}

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for f in cx.catalog.functions.values() {
        if !f.security_definer || f.search_path.is_some() || f.origin.is_builtin() {
            continue;
        }
        let Some(label) = label_in_function(cx, f, "security definer") else { continue };
        let unqualified = cx.body(f).is_some_and(|b| {
            b.statements
                .iter()
                .any(|s| pgvet_syntax::all_nodes(&s.node).iter().any(|n| matches!(n, NodeRef::RangeVar(rv) if rv.schemaname.is_empty())))
        });
        let path = if unqualified { "public, pg_temp" } else { "''" };
        let kind = if f.procedure { "PROCEDURE" } else { "FUNCTION" };
        out.push(
            Diagnostic::new(
                META.id,
                META.default_severity,
                format!("SECURITY DEFINER function {} has no SET search_path", display_name(&f.name)),
                label.with_message("runs with its owner's rights, resolves names through the caller's search_path"),
            )
            .with_help("Pin the search path on the function so callers cannot substitute their own tables or functions: SET search_path = '' with schema-qualified names in the body, or a list of trusted schemas ending in pg_temp.")
            .with_fix(Fix {
                description: format!("pin the search path of {}", display_name(&f.name)),
                migration: Some(format!("ALTER {kind} {} SET search_path = {path};", signature(f))),
                applicability: Applicability::Unsafe,
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{findings, lines};

    const RULE: &str = "security-definer-search-path";

    #[test]
    fn fires_and_the_fix_silences_it() {
        let sql =
            "CREATE TABLE t (n int);\nCREATE FUNCTION f() RETURNS void LANGUAGE sql\n  SECURITY DEFINER AS $$ UPDATE t SET n = n + 1 $$;";
        assert_eq!(lines(sql, RULE), vec![3]);
        let fix = findings(sql, RULE)[0].fix.as_ref().unwrap().migration.clone().unwrap();
        assert_eq!(fix, "ALTER FUNCTION f() SET search_path = public, pg_temp;");
        assert!(findings(&format!("{sql}\n{fix}"), RULE).is_empty());
    }

    #[test]
    fn stays_silent() {
        for sql in [
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT 1 $$;",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY INVOKER AS $$ SELECT 1 $$;",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;",
        ] {
            assert_eq!(lines(sql, RULE), Vec::<usize>::new(), "{sql}");
        }
    }
}
