//! The SQL statements pgvet checks against the final schema, as the server would receive them:
//! those of query files (sqlc-style placeholders as `$n`), the SQL strings of application code
//! (interpolations as `$n`), and for query-builder and ORM calls the statement that asks the
//! server the same questions pgvet judges (does the table exist, do these columns, does the
//! upsert's conflict target match a unique index). The ecosystem oracle PREPAREs each on a real
//! server and grades pgvet's findings inside it.
use pgvet_catalog::Catalog;
use pgvet_syntax::{quote_ident, NodeEnum, SourceFile, Span};

use crate::code::CodeFile;
use crate::sql::sites;

/// What a checked statement stands for, and so which verdicts it can confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// SQL written by the developer (code or query file).
    Sql,
    /// A builder or ORM call's table and columns, as one SELECT.
    Call,
    /// A builder upsert, as the INSERT ... ON CONFLICT it sends.
    Upsert,
    /// A Supabase `.rpc('f', { args })`: the call PostgREST makes (by argument names).
    Rpc,
}

/// One checked statement.
#[derive(Debug, Clone)]
pub struct CheckedStatement {
    /// Index into the analysis's files.
    pub file: usize,
    /// Where it is in that file (the whole call for a builder).
    pub span: Span,
    /// The SQL as sent.
    pub sql: String,
    /// An INSERT ... ON CONFLICT: its arbiter is chosen when it is planned.
    pub upsert: bool,
    pub origin: Origin,
}

/// The checked statements of a project, with what the code's environment provides.
pub struct Checked {
    pub statements: Vec<CheckedStatement>,
    /// The application's source files, extracted.
    pub code: Vec<CodeFile>,
    /// Tables the code creates itself.
    pub code_tables: std::collections::HashSet<String>,
}

impl Checked {
    /// Whether relation `name` may be missing from the migrations on purpose for statements of
    /// `file` (see [`crate::code::provided_elsewhere`]).
    pub fn provided_elsewhere(&self, settings: &crate::Settings, files: &[SourceFile], file: usize, name: &str) -> bool {
        crate::code::provided_elsewhere(settings, files, &self.code, &self.code_tables, file, name)
    }
}

fn is_upsert(node: &NodeEnum) -> bool {
    matches!(node, NodeEnum::InsertStmt(i) if i.on_conflict_clause.is_some())
}

fn select(table: &pgvet_catalog::QName, cols: &[String]) -> String {
    let list = if cols.is_empty() { "1".to_string() } else { cols.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ") };
    format!("SELECT {list} FROM {}.{}", quote_ident(&table.schema), quote_ident(&table.name))
}

/// The statements of `files[queries]` (query files) and `files[sources]` (application code),
/// against the final schema `cat`.
pub fn checked_statements(
    files: &[SourceFile],
    cat: &Catalog,
    queries: std::ops::Range<usize>,
    sources: std::ops::Range<usize>,
) -> Checked {
    let mut out = Vec::new();
    for i in queries {
        let text = sites::sqlc_placeholders(&files[i].text);
        for s in pgvet_syntax::parse_sql(&text).statements.iter().filter(|s| sites::is_checked(&s.node)) {
            out.push(CheckedStatement {
                file: i,
                span: s.span,
                sql: text[s.span.range()].to_string(),
                upsert: is_upsert(&s.node),
                origin: Origin::Sql,
            });
        }
    }
    let mut code: Vec<CodeFile> = sources.map(|i| CodeFile::new(i, pgvet_code::extract(&files[i].path, &files[i].text))).collect();
    // A Prisma schema split over several files: a relation to a model of another file (as the
    // analysis reads it).
    pgvet_code::prisma::resolve_relations(code.iter_mut().flat_map(|c| c.extraction.prisma_models.iter_mut()).collect());
    let drizzle = crate::code::drizzle_tables(&code);
    let models = crate::code::prisma_models(&code);
    for cf in &code {
        for site in &cf.extraction.sites {
            match &site.call {
                pgvet_code::Call::Sql(q) if !q.dynamic => {
                    for s in pgvet_syntax::parse_sql(&q.text).statements.iter().filter(|s| sites::is_checked(&s.node)) {
                        let start = q.file_offset(s.span.start);
                        let span = Span::new(start, q.file_offset(s.span.end).max(start));
                        out.push(CheckedStatement {
                            file: cf.file,
                            span,
                            sql: q.text[s.span.range()].to_string(),
                            upsert: is_upsert(&s.node),
                            origin: Origin::Sql,
                        });
                    }
                }
                pgvet_code::Call::Builder(b) => {
                    let r = crate::code::resolve(cat, &drizzle, b);
                    if r.unknown_definition || cat.platform_schemas.contains(&r.name.schema) {
                        continue;
                    }
                    // The columns the code rules judge (not `*`, not JSON paths, Drizzle keys
                    // with a definition only).
                    let mut cols: Vec<String> = Vec::new();
                    let named = b
                        .columns
                        .iter()
                        .filter(|c| c.name != "*")
                        .map(|c| c.name.as_str())
                        .chain(b.values.iter().map(|v| v.column.as_str()))
                        .chain(b.filters.iter().filter(|v| v.column != "*").map(|v| v.column.as_str()))
                        .chain(b.on_conflict.iter().flatten().map(|c| c.name.as_str()));
                    for key in named {
                        let col = r.column(key);
                        if b.library == pgvet_code::Library::Drizzle && !r.keys.contains_key(key) || col.contains("->") {
                            continue;
                        }
                        if !cols.contains(&col) {
                            cols.push(col);
                        }
                    }
                    out.push(CheckedStatement {
                        file: cf.file,
                        span: site.span,
                        sql: select(&r.name, &cols),
                        upsert: false,
                        origin: Origin::Call,
                    });
                    if let Some((sql, span)) = crate::code::upsert_sql(cat, &drizzle, b, site.span) {
                        out.push(CheckedStatement { file: cf.file, span, sql, upsert: true, origin: Origin::Upsert });
                    }
                }
                pgvet_code::Call::Rpc(rpc) if rpc.args_known => {
                    let (schema, name) = rpc.name.split_once('.').unwrap_or(("public", rpc.name.as_str()));
                    let args: Vec<String> = rpc.args.iter().map(|a| format!("{} => NULL", quote_ident(&a.name))).collect();
                    let sql = format!("SELECT * FROM {}.{}({})", quote_ident(schema), quote_ident(name), args.join(", "));
                    out.push(CheckedStatement { file: cf.file, span: site.span, sql, upsert: false, origin: Origin::Rpc });
                }
                pgvet_code::Call::Prisma(p) => {
                    let Some((q, m)) = crate::code::prisma_model(&models, &p.model) else { continue };
                    let mut cols: Vec<String> = Vec::new();
                    for (arg, vals) in &p.args {
                        if !matches!(arg.as_str(), "where" | "data" | "create" | "update" | "select") {
                            continue;
                        }
                        for v in vals {
                            if let Some(f) = m.field(&v.column).filter(|f| !f.relation) {
                                if !cols.contains(&f.column) {
                                    cols.push(f.column.clone());
                                }
                            }
                        }
                    }
                    out.push(CheckedStatement {
                        file: cf.file,
                        span: site.span,
                        sql: select(&q, &cols),
                        upsert: false,
                        origin: Origin::Call,
                    });
                }
                _ => {}
            }
        }
    }
    let code_tables = crate::code::created_tables(&code);
    Checked { statements: out, code, code_tables }
}
