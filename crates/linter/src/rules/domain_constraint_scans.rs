//! # domain-constraint-scans
//!
//! ## What it finds
//! `ALTER DOMAIN ... ADD CONSTRAINT` without `NOT VALID` on a domain that columns of existing
//! tables use. (squawk: ban-alter-domain-with-add-constraint.)
//!
//! ## Why it matters
//! PostgreSQL checks the new constraint against every row of every table with a column of that
//! domain, under SHARE lock on each: no writes to any of them until the check ends. pgvet's lock
//! oracle measured it (SHARE on the table, every row read); with `NOT VALID` the server takes no
//! lock on the tables and reads nothing.
//!
//! squawk also bans `CREATE DOMAIN ... CHECK`; pgvet does not: creating a domain locks no table
//! (the oracle saw none), and a later constraint can be added `NOT VALID`.
//!
//! ## Example
//! ```sql
//! ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0);
//! ```
//!
//! ## Fix
//! Add it `NOT VALID` (new and updated rows are checked at once), then validate in a later
//! migration, which reads the rows without blocking writes:
//! ```sql
//! ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0) NOT VALID;
//! ALTER DOMAIN positive_amount VALIDATE CONSTRAINT positive_amount_check;
//! ```
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::sql::ddl_locks::{changes, diagnostic};
use crate::sql::Site;

pub const META: RuleMeta = RuleMeta {
    id: "domain-constraint-scans",
    summary: "ALTER DOMAIN ADD CONSTRAINT without NOT VALID checks every row of every table using the domain",
    default_severity: Severity::Info,
    check: None,
    check_site: Some(check),
};

fn check(site: &Site, _cx: &Context, out: &mut Vec<Diagnostic>) {
    let pgvet_syntax::NodeEnum::AlterDomainStmt(a) = site.node else { return };
    let constraint = match a.def.as_deref().and_then(|d| d.node.as_ref()) {
        Some(pgvet_syntax::protobuf::node::Node::Constraint(c)) if !c.conname.is_empty() => pgvet_syntax::quote_ident(&c.conname),
        _ => "<constraint>".to_string(),
    };
    let domain = a
        .type_name
        .iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(pgvet_syntax::protobuf::node::Node::String(s)) => Some(pgvet_syntax::quote_ident(&s.sval)),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(".");
    let statement = site.file_text.get(site.span.start..site.span.end).unwrap_or("").trim().trim_end_matches(';');
    let fix = format!("{statement} NOT VALID;\n-- in a later migration:\nALTER DOMAIN {domain} VALIDATE CONSTRAINT {constraint};");
    for ch in changes(site).iter().filter(|c| c.form == "alter_domain_add_constraint") {
        let what = format!("the new constraint of domain {domain} is checked against every row of column {}", ch.name);
        if let Some(d) = diagnostic(&META, site, ch, &what, &fix) {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    const RULE: &str = "domain-constraint-scans";

    #[test]
    fn fires_and_stays_silent() {
        let base = "CREATE DOMAIN posint AS int;\nCREATE TABLE t (id int PRIMARY KEY, n posint);\nCREATE TABLE u (id int);";
        let run = |b: &str| crate::test_util::second_migration(base, b, RULE);
        let d = run("ALTER DOMAIN posint ADD CONSTRAINT posint_pos CHECK (VALUE > 0);");
        assert!(d.len() == 1 && d[0].message.contains("SHARE on t") && d[0].message.contains("column n"), "{d:#?}");
        let fix = d[0].fix.as_ref().and_then(|f| f.migration.clone()).unwrap_or_default();
        assert!(fix.contains("CHECK (VALUE > 0) NOT VALID;") && fix.contains("VALIDATE CONSTRAINT posint_pos"), "{fix}");
        assert!(run("ALTER DOMAIN posint ADD CONSTRAINT posint_pos CHECK (VALUE > 0) NOT VALID;").is_empty());
        // a domain no existing table uses; creating a domain with a constraint
        assert!(run("CREATE DOMAIN d2 AS int;\nALTER DOMAIN d2 ADD CONSTRAINT d2_pos CHECK (VALUE > 0);").is_empty());
        assert!(run("CREATE DOMAIN d3 AS int CHECK (VALUE > 0);").is_empty());
    }
}
