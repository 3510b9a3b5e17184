//! Application code, as the rules see it: the query sites of each source file (extracted by
//! `pgvet-code`), tables resolved against the final schema (Drizzle table objects through their
//! `pgTable` definitions), and helpers shared by the code rules.
use std::collections::HashMap;

use pgvet_catalog::{Catalog, QName, Table};
use pgvet_code::{BuilderCall, DrizzleTable, Extraction, Library, TableRef};

/// One source file's extraction; `file` indexes `Context::files`.
pub struct CodeFile {
    pub file: usize,
    pub extraction: Extraction,
    /// The parsed SQL of each site (None for non-SQL and dynamic sites), aligned with
    /// `extraction.sites`.
    pub sql: Vec<Option<pgvet_syntax::ParsedSql>>,
}

impl CodeFile {
    pub fn new(file: usize, extraction: Extraction) -> Self {
        let sql = extraction
            .sites
            .iter()
            .map(|s| match &s.call {
                pgvet_code::Call::Sql(q) if !q.dynamic => Some(pgvet_syntax::parse_sql(&q.text)),
                _ => None,
            })
            .collect();
        CodeFile { file, extraction, sql }
    }
}

/// A builder call's table, resolved.
pub struct Resolved<'a> {
    pub name: QName,
    pub table: Option<&'a Table>,
    /// Object key → SQL column (Drizzle); empty for Supabase (keys are column names).
    pub keys: HashMap<String, String>,
    /// The table was named by a Drizzle object pgvet has no `pgTable` definition for.
    pub unknown_definition: bool,
}

impl Resolved<'_> {
    /// The SQL column a key names.
    pub fn column(&self, key: &str) -> String {
        self.keys.get(key).cloned().unwrap_or_else(|| key.to_string())
    }
}

/// Drizzle table definitions of the whole project, by variable name.
pub fn drizzle_tables(code: &[CodeFile]) -> HashMap<String, &DrizzleTable> {
    let mut m = HashMap::new();
    for f in code {
        for t in &f.extraction.drizzle_tables {
            m.entry(t.var.clone()).or_insert(t);
        }
    }
    m
}

pub fn resolve<'a>(cat: &'a Catalog, drizzle: &HashMap<String, &DrizzleTable>, b: &BuilderCall) -> Resolved<'a> {
    let (schema, name, keys, unknown_definition) = match &b.table {
        TableRef::Name { schema, name } => (schema.clone(), name.clone(), HashMap::new(), false),
        TableRef::Drizzle(var) => match drizzle.get(var) {
            Some(d) => (None, d.table.clone(), d.columns.iter().cloned().collect(), false),
            None => (None, var.clone(), HashMap::new(), true),
        },
    };
    let schema = schema.unwrap_or_else(|| "public".to_string());
    let q = QName::new(schema, name);
    Resolved { table: cat.tables.get(&q), name: q, keys, unknown_definition }
}

/// Whether a Supabase call runs as an API role (so RLS applies): not a service-role client.
pub fn runs_as_api_role(b: &BuilderCall) -> bool {
    let c = b.client.to_lowercase();
    b.library == Library::Supabase && !c.contains("admin") && !c.contains("service")
}

/// The migration after which `exists` stopped holding for good (it dropped or renamed the
/// object), as a label on the first line mentioning `mention`; None if it never held.
pub fn dropped_by(cx: &crate::rules::Context, mention: &str, exists: impl Fn(&Catalog) -> bool) -> Option<crate::diagnostic::Label> {
    let last = cx.versions.iter().rposition(exists)?;
    let step = last + 1;
    if step >= cx.versions.len() {
        return None;
    }
    let f = cx.files.get(step)?;
    let lower = f.text.to_lowercase();
    let at = lower.find(&mention.to_lowercase()).unwrap_or(0);
    Some(
        crate::diagnostic::Label::new(step, f.line_span(f.line_col(at).line)).with_message(format!("{mention} is dropped or renamed here")),
    )
}

/// Iterates the builder calls of all source files: (file, site index, call).
pub fn builders<'a>(code: &'a [CodeFile]) -> impl Iterator<Item = (&'a CodeFile, usize, &'a BuilderCall)> + 'a {
    code.iter().flat_map(|f| {
        f.extraction.sites.iter().enumerate().filter_map(move |(i, s)| match &s.call {
            pgvet_code::Call::Builder(b) => Some((f, i, b)),
            _ => None,
        })
    })
}

/// `public.users` → `users`.
pub fn shown(q: &QName) -> String {
    crate::sql::display_name(q)
}

/// The `INSERT ... ON CONFLICT` a builder upsert sends, and the span to report on: Supabase's
/// `.upsert(row, { onConflict })` (the primary key when no target is given, DO NOTHING with
/// `ignoreDuplicates`), Drizzle's `.onConflictDoUpdate({ target })` / `.onConflictDoNothing()`.
pub fn upsert_sql(
    cat: &Catalog,
    drizzle: &HashMap<String, &DrizzleTable>,
    b: &BuilderCall,
    call: pgvet_syntax::Span,
) -> Option<(String, pgvet_syntax::Span)> {
    use pgvet_syntax::quote_ident;
    let supabase_upsert = b.library == Library::Supabase && b.op == pgvet_code::Op::Upsert;
    let drizzle_upsert = b.library == Library::Drizzle && (b.on_conflict.is_some() || b.on_conflict_do_nothing);
    if !(supabase_upsert || drizzle_upsert) || b.values.is_empty() {
        return None;
    }
    let r = resolve(cat, drizzle, b);
    let t = r.table?;
    let cols: Vec<String> = b.values.iter().map(|v| r.column(&v.column)).collect();
    if cols.iter().any(|c| t.column(c).is_none()) {
        return None; // unknown-column reports it
    }
    let target: Option<Vec<String>> = match &b.on_conflict {
        Some(t) => Some(t.iter().map(|c| r.column(&c.name)).collect()),
        None if b.library == Library::Supabase => {
            let pk = t.constraints.iter().find(|c| c.kind == pgvet_catalog::ConstraintKind::PrimaryKey)?;
            Some(pk.columns.clone())
        }
        None => None,
    };
    let span = b.on_conflict.as_ref().and_then(|t| t.first()).map(|c| c.span).unwrap_or(call);
    let list = |v: &[String]| v.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
    let params = (1..=cols.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let action = if b.on_conflict_do_nothing {
        "DO NOTHING".to_string()
    } else {
        format!("DO UPDATE SET {} = excluded.{}", quote_ident(&cols[0]), quote_ident(&cols[0]))
    };
    let target = target.map(|t| format!("({}) ", list(&t))).unwrap_or_default();
    let sql = format!("INSERT INTO {} ({}) VALUES ({params}) ON CONFLICT {target}{action}", r.name, list(&cols));
    Some((sql, span))
}
