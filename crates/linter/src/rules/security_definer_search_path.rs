//! # security-definer-search-path
//!
//! ## What it finds
//! A `SECURITY DEFINER` function without its own `SET search_path`.
//!
//! It is a warning when someone other than the owner can make it run (an API role holds
//! EXECUTE, directly or through PUBLIC; a trigger or a policy calls it) and its body resolves a
//! table or view through the search path (an unqualified name, which a session's temporary
//! table of that name shadows); the message says which. Otherwise it is `info`: the search path is still worth pinning, but no
//! caller pgvet can see could substitute anything.
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
        // Names the body resolves through the search path where a caller can put its own:
        // unqualified tables and views (a session's temporary schema comes first for relations
        // and every session can create there). Functions and operators are never looked up in
        // the temporary schema, and API roles cannot create in public on current PostgreSQL.
        let mut unqualified_names: Vec<String> = Vec::new();
        for st in cx.body(f).map(|b| b.statements.as_slice()).unwrap_or_default() {
            for n in pgvet_syntax::all_nodes(&st.node) {
                let name = match n {
                    NodeRef::RangeVar(rv) if rv.schemaname.is_empty() => Some(rv.relname.clone()),
                    _ => None,
                };
                if let Some(name) = name.filter(|n| !unqualified_names.contains(n)) {
                    unqualified_names.push(name);
                }
            }
        }
        let unqualified = !unqualified_names.is_empty();
        // Who runs it: API roles (EXECUTE granted to them or PUBLIC), a trigger, a policy.
        let runs_from_policy = |t: &pgvet_catalog::Table| {
            t.policies.iter().flat_map(|p| p.using.iter().chain(p.with_check.iter())).any(|e| {
                pgvet_syntax::parse_expr(e).and_then(|node| node.node).is_some_and(|node| {
                    pgvet_syntax::all_nodes(&node).iter().any(|n| {
                        matches!(n, NodeRef::FuncCall(fc) if fc.funcname.last().and_then(|x| x.node.as_ref()).is_some_and(|x| matches!(x, pgvet_syntax::protobuf::node::Node::String(s) if s.sval == f.name.name)))
                    })
                })
            })
        };
        let caller = if let Some(role) = f.grants.iter().find(|g| cx.settings.is_api_role(g)) {
            Some(if role == "public" {
                "PUBLIC (every API role) may call it".to_string()
            } else {
                format!("the API role {role} may call it")
            })
        } else if let Some(t) = cx.catalog.tables.values().find(|t| t.triggers.iter().any(|tr| tr.function == f.name)) {
            Some(format!("a trigger on {} runs it", display_name(&t.name)))
        } else {
            cx.catalog.tables.values().find(|t| runs_from_policy(t)).map(|t| format!("a policy on {} calls it", display_name(&t.name)))
        };
        let (severity, evidence) = match (&caller, unqualified) {
            (Some(who), true) => {
                let mut names = unqualified_names.clone();
                names.truncate(3);
                (Severity::Warning, format!(": {who}, and its body resolves {} through the search path", names.join(", ")))
            }
            _ => (Severity::Info, String::new()),
        };
        let path = if unqualified { "public, pg_temp" } else { "''" };
        let kind = if f.procedure { "PROCEDURE" } else { "FUNCTION" };
        out.push(
            Diagnostic::new(
                META.id,
                severity,
                format!("SECURITY DEFINER function {} has no SET search_path{evidence}", display_name(&f.name)),
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
    fn a_warning_only_when_a_caller_can_substitute_a_name() {
        use crate::diagnostic::Severity;
        let severity = |sql: &str| findings(sql, RULE).iter().map(|d| (d.severity, d.message.clone())).next().unwrap();
        let table = "CREATE TABLE t (n int);\n";
        // Callable through PUBLIC's default EXECUTE, with an unqualified table: a warning.
        let (s, m) =
            severity(&format!("{table}CREATE FUNCTION f() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ UPDATE t SET n = n + 1 $$;"));
        assert_eq!(s, Severity::Warning, "{m}");
        assert!(m.contains("may call it, and its body resolves t through the search path"), "{m}");
        // Every name qualified: a hint.
        let (s, m) = severity(&format!(
            "{table}CREATE FUNCTION f() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ UPDATE public.t SET n = n + 1 $$;"
        ));
        assert_eq!(s, Severity::Info, "{m}");
        // No API role may call it and nothing else runs it: a hint.
        let (s, m) = severity(&format!(
            "{table}CREATE FUNCTION f() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ UPDATE t SET n = n + 1 $$;\nREVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;"
        ));
        assert_eq!(s, Severity::Info, "{m}");
        // ... unless a trigger runs it.
        let (s, m) = severity(&format!(
            "{table}CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN UPDATE t SET n = n + 1; RETURN NEW; END $$;\nREVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;\nCREATE TABLE u (id int);\nCREATE TRIGGER u_f AFTER INSERT ON u FOR EACH ROW EXECUTE FUNCTION f();"
        ));
        assert_eq!(s, Severity::Warning, "{m}");
        assert!(m.contains("a trigger on u runs it"), "{m}");
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
