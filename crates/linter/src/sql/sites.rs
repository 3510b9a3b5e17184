//! Which statements are checked, and the small rewrites query files need before PostgreSQL's
//! parser can read them.
use pgvet_syntax::NodeEnum;

/// Statements whose names and ON CONFLICT clauses the SQL rules check (DDL is the replayer's
/// business).
pub fn is_checked(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::SelectStmt(_)
            | NodeEnum::InsertStmt(_)
            | NodeEnum::UpdateStmt(_)
            | NodeEnum::DeleteStmt(_)
            | NodeEnum::ViewStmt(_)
            | NodeEnum::CallStmt(_)
            | NodeEnum::ExplainStmt(_)
    )
}

/// DDL the migration-safety rules judge (locks of `CREATE INDEX`, `ALTER TABLE`, ...; column types
/// of `CREATE TABLE`).
pub fn is_lock_relevant(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::IndexStmt(_)
            | NodeEnum::CreateStmt(_)
            | NodeEnum::AlterTableStmt(_)
            | NodeEnum::DropStmt(_)
            | NodeEnum::RenameStmt(_)
            | NodeEnum::ReindexStmt(_)
            | NodeEnum::VacuumStmt(_)
            | NodeEnum::TruncateStmt(_)
            | NodeEnum::TransactionStmt(_)
            | NodeEnum::DropdbStmt(_)
            | NodeEnum::AlterDomainStmt(_)
            | NodeEnum::AlterEnumStmt(_)
            | NodeEnum::CreateSeqStmt(_)
            | NodeEnum::CreateSchemaStmt(_)
            | NodeEnum::CreateExtensionStmt(_)
            | NodeEnum::CreateFunctionStmt(_)
            | NodeEnum::ViewStmt(_)
            | NodeEnum::CreateEnumStmt(_)
            | NodeEnum::CreateDomainStmt(_)
    )
}

/// The search path a function body runs with when it does not pin one: the server default
/// (`"$user", public`) plus Supabase's `extensions`.
pub fn default_search_path() -> Vec<String> {
    vec!["public".into(), "extensions".into()]
}

/// The function's pinned `SET search_path`, or the default.
pub fn function_search_path(pinned: Option<&str>) -> Vec<String> {
    match pinned {
        Some(p) => {
            let v: Vec<String> =
                p.split(',').map(|s| s.trim().trim_matches('"').to_string()).filter(|s| !s.is_empty() && s != "$user").collect();
            if v.is_empty() {
                default_search_path()
            } else {
                v
            }
        }
        None => default_search_path(),
    }
}

/// Rewrites sqlc's named parameters (`@name`, `sqlc.arg(name)`, `sqlc.narg(name)`,
/// `sqlc.slice(name)`) into `$n` placeholders of the same length, so positions do not move.
pub fn sqlc_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    let mut n = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let rest = &text[i..];
        let macro_len = ["sqlc.arg(", "sqlc.narg(", "sqlc.slice("]
            .iter()
            .find(|m| rest.len() >= m.len() && rest.as_bytes()[..m.len()].eq_ignore_ascii_case(m.as_bytes()))
            .and_then(|m| rest.find(')').map(|e| (m.len(), e + 1)));
        let prev_ok = i == 0 || !ident(b[i - 1]);
        let len = if let Some((_, end)) = macro_len.filter(|_| prev_ok) {
            Some(end)
        } else if b[i] == b'@'
            && i + 1 < b.len()
            && (b[i + 1].is_ascii_alphabetic() || b[i + 1] == b'_')
            && (i == 0 || !ident(b[i - 1]) && b[i - 1] != b'@')
        {
            let mut j = i + 1;
            while j < b.len() && ident(b[j]) {
                j += 1;
            }
            Some(j - i)
        } else {
            None
        };
        match len {
            Some(l) => {
                n += 1;
                let p = format!("${n}");
                out.push_str(&p);
                for _ in p.len()..l {
                    out.push(' ');
                }
                i += l;
            }
            None => {
                let ch = rest.chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlc_params_keep_positions() {
        let q = "SELECT * FROM t WHERE a = @a_id AND b = sqlc.arg(b) AND c @> x";
        let r = sqlc_placeholders(q);
        assert_eq!(r.len(), q.len());
        assert_eq!(r, "SELECT * FROM t WHERE a = $1    AND b = $2          AND c @> x");
        assert_eq!(function_search_path(Some("public, extensions")), vec!["public", "extensions"]);
        assert_eq!(function_search_path(Some("\"\"")), default_search_path());
    }
}
