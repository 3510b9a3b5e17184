//! # rls-disabled-exposed
//!
//! ## What it finds
//! A table in a schema an HTTP API exposes (Supabase/PostgREST: `public`; see `[api] schemas`)
//! that API roles (`anon`, `authenticated`, `PUBLIC`; see `[api] roles`) hold privileges on, and
//! that does not have row-level security enabled. In a Supabase project every new table in
//! `public` is granted to `anon` and `authenticated` by default.
//!
//! ## Why it matters
//! Without RLS, anyone with the project's public anon key can read and change every row of the
//! table through the REST API, across all users and tenants. This is the most common Supabase
//! data leak.
//!
//! ## Example
//! ```sql
//! CREATE TABLE public.support_tickets (id uuid PRIMARY KEY, user_id uuid, body text);
//! -- warning[rls-disabled-exposed]: public.support_tickets is reachable by anon through the
//! --   API and has no row-level security
//! ```
//!
//! ## Fix
//! Enable RLS and add policies for what each role may do:
//! ```sql
//! ALTER TABLE public.support_tickets ENABLE ROW LEVEL SECURITY;
//! CREATE POLICY "own tickets" ON public.support_tickets FOR ALL TO authenticated
//!   USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());
//! ```
//! If the API must not reach the table at all, revoke it instead:
//! `REVOKE ALL ON public.support_tickets FROM anon, authenticated;`
use super::{Context, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Label, Severity};
use crate::sql::display_name;

pub const META: RuleMeta = RuleMeta {
    id: "rls-disabled-exposed",
    summary: "a table the API roles can reach without row-level security",
    default_severity: Severity::Warning,
    check: Some(check),
    check_site: None,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for t in cx.catalog.tables.values() {
        if t.rls_enabled || t.origin.is_builtin() || t.partition_of.is_some() || !cx.settings.exposed_schemas.contains(&t.name.schema) {
            continue;
        }
        let Some(role) = t.grants.iter().find(|g| cx.settings.is_api_role(g)) else {
            continue;
        };
        let Some(src) = cx.files.get(t.origin.step) else { continue };
        let name = display_name(&t.name);
        let who = if role == "public" { "PUBLIC" } else { role.as_str() };
        out.push(
            Diagnostic::new(
                META.id,
                META.default_severity,
                format!("{name} is reachable by {who} through the API and has no row-level security"),
                Label::at_clause(t.origin.step, src, t.origin.span, Some(t.origin.span.start)).with_message("RLS is never enabled on this table"),
            )
            .with_help(format!(
                "Anyone holding the API's public key can read and write every row of {name}. Enable row-level security and add policies, or revoke the API roles' privileges if the API must not reach it."
            ))
            .with_fix(Fix {
                description: format!("enable row-level security on {name} (then add policies: with none, the API sees no rows)"),
                migration: Some(format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;")),
                applicability: Applicability::Unsafe,
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use pgvet_syntax::SourceFile;

    const RULE: &str = "rls-disabled-exposed";

    fn supabase(sql: &str) -> Vec<usize> {
        let files = vec![crate::MigrationFile { source: SourceFile::new("m.sql", sql), transactional: true, host: None, reruns: true }];
        let a = crate::analyze(files, pgvet_catalog::builtins::supabase(), &crate::Settings::default());
        a.diagnostics.iter().filter(|d| d.rule == RULE).map(|d| a.files[0].line_col(d.primary.span.start).line).collect()
    }

    #[test]
    fn fires() {
        assert_eq!(supabase("CREATE TABLE a (id int);\nCREATE TABLE public.b (id int);"), vec![1, 2]);
        // a plain project that grants to an API role
        assert_eq!(crate::test_util::lines("CREATE TABLE a (id int);\nGRANT SELECT ON a TO anon;", RULE), vec![1]);
        assert_eq!(
            crate::test_util::lines("CREATE TABLE a (id int);\nGRANT SELECT ON ALL TABLES IN SCHEMA public TO authenticated;", RULE),
            vec![1]
        );
    }

    #[test]
    fn stays_silent() {
        assert_eq!(supabase("CREATE TABLE a (id int);\nALTER TABLE a ENABLE ROW LEVEL SECURITY;"), Vec::<usize>::new());
        assert_eq!(supabase("CREATE SCHEMA private;\nCREATE TABLE private.a (id int);"), Vec::<usize>::new());
        assert_eq!(supabase("CREATE TABLE a (id int);\nREVOKE ALL ON a FROM anon, authenticated, service_role;"), Vec::<usize>::new());
        assert_eq!(
            supabase("ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM anon, authenticated;\nCREATE TABLE a (id int);"),
            Vec::<usize>::new()
        );
        // a plain PostgreSQL project without API roles
        assert_eq!(crate::test_util::lines("CREATE TABLE a (id int);", RULE), Vec::<usize>::new());
    }
}
