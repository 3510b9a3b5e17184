//! # rpc-trusts-caller-id
//!
//! ## What it finds
//! A `SECURITY DEFINER` function that API roles (`anon`, `authenticated`, or `PUBLIC`; see
//! `[api] roles`) may execute, that takes a user or tenant id as a parameter (`p_user_id`,
//! `workspace_id`, ...) and writes rows keyed by it (INSERT, UPDATE or DELETE using the
//! parameter), without ever comparing anything to the caller's identity (`auth.uid()`,
//! `auth.jwt()`, `request.jwt.claims`).
//!
//! ## Why it matters
//! Exposed functions are callable by anyone holding the anon key (Supabase: `POST
//! /rest/v1/rpc/<name>`). A definer function bypasses row-level security, so the id parameter is
//! the only thing deciding whose rows change, and the caller chooses it. An
//! `increment_token_usage(p_user_id, p_tokens)` RPC like this let any signed-in user add (or, with a negative
//! count, remove) tokens on any other user's account.
//!
//! ## Example
//! ```sql
//! CREATE FUNCTION increment_token_usage(p_user_id uuid, p_tokens int) RETURNS void
//! LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
//!   UPDATE user_credits SET balance = balance - p_tokens WHERE user_id = p_user_id
//! $$;
//! -- warning[rpc-trusts-caller-id]: increment_token_usage lets any caller write the rows of
//! --   any p_user_id
//! ```
//!
//! ## Fix
//! Take the identity from the session instead of the caller: drop the parameter and use
//! `auth.uid()`, or reject other ids (`IF p_user_id <> auth.uid() THEN RAISE EXCEPTION ...`).
//! If only trusted server code calls it, revoke it from the API roles:
//! `REVOKE EXECUTE ON FUNCTION increment_token_usage(uuid, integer) FROM PUBLIC, anon, authenticated;`
use pgvet_syntax::NodeEnum;

use super::security_definer_search_path::{label_in_function, signature};
use super::{Context, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Label, Severity};
use crate::sql::display_name;

pub const META: RuleMeta = RuleMeta {
    id: "rpc-trusts-caller-id",
    summary: "an API-callable SECURITY DEFINER function that writes rows for a caller-supplied user/tenant id",
    default_severity: Severity::Warning,
    check: Some(check),
    check_site: None,
};

const ID_NAMES: &[&str] =
    &["user_id", "userid", "uid", "user", "owner_id", "member_id", "profile_id", "author_id", "customer_id", "account_id"];

/// Whether a parameter name denotes a user or tenant id.
fn is_identity_param(name: &str, tenant_columns: &[String]) -> bool {
    let n = name.to_lowercase();
    let n = n.trim_start_matches("p_").trim_start_matches("in_").trim_start_matches("arg_").trim_start_matches('_');
    ID_NAMES.contains(&n) || tenant_columns.iter().any(|t| t == n || t.replace('_', "") == n)
}

/// Whether the body checks the caller's identity somewhere.
fn checks_caller(body: &str) -> bool {
    let b = body.to_lowercase().replace(char::is_whitespace, "");
    ["auth.uid()", "auth.jwt()", "request.jwt.claim", "auth.role()", "current_user", "session_user"].iter().any(|k| b.contains(k))
}

/// Whether a write statement (by its source text) uses the parameter, by name or as `$n`.
fn writes_with(node: &NodeEnum, text: &str, param: &str, position: usize) -> bool {
    if !matches!(node, NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_)) {
        return false;
    }
    let Ok(scan) = pgvet_syntax::pg_query::scan(text) else { return false };
    let positional = format!("${position}");
    scan.tokens.iter().any(|t| {
        let word = text.get(t.start as usize..t.end as usize).unwrap_or("");
        word.eq_ignore_ascii_case(param) || word == positional
    })
}

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    // Functions that check the caller themselves (`is_member(ws)` using auth.uid()): calling
    // one counts as checking.
    let guards: Vec<String> = cx
        .catalog
        .functions
        .values()
        .filter(|g| g.body.as_deref().is_some_and(checks_caller))
        .map(|g| format!("{}(", g.name.name.to_lowercase()))
        .collect();
    for f in cx.catalog.functions.values() {
        if !f.security_definer || f.origin.is_builtin() {
            continue;
        }
        let Some(role) = f.grants.iter().find(|g| cx.settings.is_api_role(g)).cloned() else { continue };
        let Some(src) = cx.files.get(f.origin.step) else { continue };
        let Some(text) = f.body.as_deref() else { continue };
        let compact = text.to_lowercase().replace(char::is_whitespace, "");
        if checks_caller(text) || guards.iter().any(|g| compact.contains(g.as_str())) {
            continue;
        }
        let Some(body) = cx.body(f) else { continue };
        let ins: Vec<_> = f.args.iter().filter(|a| matches!(a.mode, "in" | "inout" | "variadic")).collect();
        for (i, a) in ins.iter().enumerate() {
            let Some(name) = a.name.as_deref() else { continue };
            if !is_identity_param(name, &cx.settings.tenant_columns) {
                continue;
            }
            let Some(write) = body.statements.iter().find(|s| writes_with(&s.node, &src.text[s.span.range()], name, i + 1)) else {
                continue;
            };
            let Some(label) = label_in_function(cx, f, name) else { continue };
            let fname = display_name(&f.name);
            let who = if role == "public" { "PUBLIC".to_string() } else { role.clone() };
            out.push(
                Diagnostic::new(
                    META.id,
                    META.default_severity,
                    format!("{fname} runs as its owner, is executable by {who}, and writes rows for whatever {name} the caller passes: any caller can change another user's rows"),
                    label.with_message("the caller chooses this id"),
                )
                .with_related(Label::new(f.origin.step, write.span).with_message(format!("rows keyed by {name} are written here")))
                .with_help(format!(
                    "SECURITY DEFINER bypasses row-level security, so nothing checks that {name} is the caller's. Use auth.uid() instead of the parameter, or raise an exception when {name} <> auth.uid() (or the caller is not a member of that tenant); if only server code calls it, revoke EXECUTE from the API roles."
                ))
                .with_fix(Fix {
                    description: format!("stop exposing {fname} to API roles (if only trusted server code calls it)"),
                    migration: Some(format!(
                        "REVOKE EXECUTE ON {} {} FROM PUBLIC, {};",
                        if f.procedure { "PROCEDURE" } else { "FUNCTION" },
                        signature(f),
                        cx.settings.api_roles.join(", ")
                    )),
                    applicability: Applicability::Unsafe,
                }),
            );
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{findings, lines};

    const RULE: &str = "rpc-trusts-caller-id";
    const TABLE: &str = "CREATE TABLE usage (user_id uuid PRIMARY KEY, tokens int NOT NULL DEFAULT 0);\n";

    #[test]
    fn fires() {
        let cases = [
            // field report 04's RPC (plpgsql), granted to PUBLIC by default
            "CREATE FUNCTION increment_token_usage(p_user_id uuid, p_tokens int) RETURNS void\nLANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$\nBEGIN\n  UPDATE usage SET tokens = tokens + p_tokens WHERE user_id = p_user_id;\nEND $$;",
            // SQL body, positional parameter
            "CREATE FUNCTION add_usage(user_id uuid, n int) RETURNS void\nLANGUAGE sql SECURITY DEFINER SET search_path = public AS $$\n  INSERT INTO usage VALUES ($1, $2)\n$$;",
            // revoked from PUBLIC but granted to authenticated
            "CREATE FUNCTION f(p_user_id uuid) RETURNS void\nLANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ DELETE FROM usage WHERE user_id = p_user_id $$;\nREVOKE EXECUTE ON FUNCTION f(uuid) FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION f(uuid) TO authenticated;",
        ];
        for sql in cases {
            let sql = format!("{TABLE}{sql}");
            assert_eq!(lines(&sql, RULE), vec![2], "{sql}");
        }
    }

    #[test]
    fn stays_silent() {
        let cases = [
            // uses auth.uid()
            "CREATE FUNCTION f(p_user_id uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$\nBEGIN\n  IF p_user_id <> auth.uid() THEN RAISE EXCEPTION 'forbidden'; END IF;\n  UPDATE usage SET tokens = tokens + 1 WHERE user_id = p_user_id;\nEND $$;",
            // not a definer
            "CREATE FUNCTION f(p_user_id uuid) RETURNS void LANGUAGE sql AS $$ UPDATE usage SET tokens = 1 WHERE user_id = p_user_id $$;",
            // revoked from everyone the API uses
            "CREATE FUNCTION f(p_user_id uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ UPDATE usage SET tokens = 1 WHERE user_id = p_user_id $$;\nREVOKE ALL ON FUNCTION f(uuid) FROM PUBLIC;",
            // reads only
            "CREATE FUNCTION f(p_user_id uuid) RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT tokens FROM usage WHERE user_id = p_user_id $$;",
            // the id is not used in a write
            "CREATE FUNCTION f(p_user_id uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ UPDATE usage SET tokens = 0 $$;",
            // calls a function that checks the caller
            "CREATE FUNCTION is_self(p uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT p = auth.uid() $$;\nCREATE FUNCTION f(p_user_id uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN IF NOT is_self(p_user_id) THEN RAISE EXCEPTION 'no'; END IF; UPDATE usage SET tokens = 1 WHERE user_id = p_user_id; END $$;",
            // revoked through default privileges before creation
            "ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\nCREATE FUNCTION f(p_user_id uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ UPDATE usage SET tokens = 1 WHERE user_id = p_user_id $$;",
        ];
        for sql in cases {
            let sql = format!("{TABLE}{sql}");
            assert_eq!(lines(&sql, RULE), Vec::<usize>::new(), "{sql}");
        }
    }

    #[test]
    fn the_fix_silences_it() {
        let sql = format!("{TABLE}CREATE FUNCTION f(p_user_id uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ DELETE FROM usage WHERE user_id = p_user_id $$;");
        let fix = findings(&sql, RULE)[0].fix.as_ref().unwrap().migration.clone().unwrap();
        assert_eq!(fix, "REVOKE EXECUTE ON FUNCTION f(uuid) FROM PUBLIC, anon, authenticated;");
        assert!(findings(&format!("{sql}\n{fix}"), RULE).is_empty());
    }
}
