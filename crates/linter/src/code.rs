//! Application code, as the rules see it: the query sites of each source file (extracted by
//! `pgvet-code`), tables resolved against the final schema (Drizzle table objects through their
//! `pgTable` definitions), and helpers shared by the code rules.
use std::collections::HashMap;

use pgvet_catalog::{Catalog, QName, Table};
use pgvet_code::prisma::PrismaModel;
use pgvet_code::{BuilderCall, DrizzleTable, Extraction, Library, TableRef};

use crate::diagnostic::Label;

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
    /// SQL columns the ORM fills when an insert leaves them out.
    pub orm_defaults: Vec<String>,
}

impl Resolved<'_> {
    /// The SQL column a key names.
    pub fn column(&self, key: &str) -> String {
        self.keys.get(key).cloned().unwrap_or_else(|| key.to_string())
    }
}

/// Functions that managed PostgreSQL services add (Amazon Aurora and RDS): code that runs there
/// can call them though no migration creates them.
pub fn managed_platform_function(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).to_lowercase();
    last.starts_with("aurora_") || last.starts_with("rds_")
}

/// Tables that migration tools keep for themselves: they exist once the tool has run, though no
/// migration creates them.
const BOOKKEEPING: &[&str] = &[
    "_prisma_migrations",
    "_sqlx_migrations",
    "schema_migrations",
    "goose_db_version",
    "flyway_schema_history",
    "__drizzle_migrations",
    "knex_migrations",
    "knex_migrations_lock",
    "ar_internal_metadata",
    "alembic_version",
    "typeorm_metadata",
    "gorp_migrations",
    "__diesel_schema_migrations",
];

/// Whether code (or a query file) may talk to relation `name` though no migration creates it: a
/// migration tool's bookkeeping table, a table of another database of the repository, a table
/// the code creates itself, or one the same file first asks the catalog about (code that
/// queries a table only when it is there).
pub fn provided_elsewhere(
    settings: &crate::Settings,
    files: &[pgvet_syntax::SourceFile],
    code: &[CodeFile],
    code_tables: &std::collections::HashSet<String>,
    file: usize,
    name: &str,
) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).trim_matches('"').to_lowercase();
    let sibling =
        settings.sibling_tables.contains(&last) && files.get(file).is_some_and(|f| settings.multi_database_sources.contains(&f.path));
    BOOKKEEPING.contains(&last.as_str())
        || sibling
        || code_tables.contains(&last)
        || code.iter().find(|c| c.file == file).is_some_and(|c| c.checks_existence_of(&last))
}

impl CodeFile {
    /// Whether one of the file's SQL statements asks the catalog whether `table` exists:
    /// `table_name = 'x'` (information_schema), `relname = 'x'`, `tablename = 'x'`, or
    /// `to_regclass('x')` (a schema-qualified name counts by its last part).
    pub fn checks_existence_of(&self, table: &str) -> bool {
        use pgvet_syntax::pg_query::NodeRef;
        use pgvet_syntax::protobuf::{a_const::Val as C, node::Node as N};
        let names = |l: &[pgvet_syntax::protobuf::Node]| -> Vec<String> {
            l.iter()
                .filter_map(|n| match &n.node {
                    Some(N::String(s)) => Some(s.sval.to_lowercase()),
                    _ => None,
                })
                .collect()
        };
        let literal = |n: Option<&pgvet_syntax::protobuf::Node>| -> Option<String> {
            let mut n = n?;
            while let Some(N::TypeCast(tc)) = &n.node {
                n = tc.arg.as_deref()?;
            }
            match &n.node {
                Some(N::AConst(c)) => match &c.val {
                    Some(C::Sval(s)) => Some(s.sval.rsplit('.').next().unwrap_or(&s.sval).trim_matches('"').to_lowercase()),
                    _ => None,
                },
                _ => None,
            }
        };
        let column = |n: Option<&pgvet_syntax::protobuf::Node>| -> Option<String> {
            match n?.node.as_ref()? {
                N::ColumnRef(c) => names(&c.fields).pop(),
                _ => None,
            }
        };
        self.sql.iter().flatten().flat_map(|p| &p.statements).any(|s| {
            pgvet_syntax::all_nodes(&s.node).into_iter().any(|n| match n {
                NodeRef::AExpr(e) => {
                    let pair = [
                        (column(e.lexpr.as_deref()), literal(e.rexpr.as_deref())),
                        (column(e.rexpr.as_deref()), literal(e.lexpr.as_deref())),
                    ];
                    pair.iter()
                        .any(|(c, l)| matches!(c.as_deref(), Some("table_name" | "relname" | "tablename")) && l.as_deref() == Some(table))
                }
                NodeRef::FuncCall(f) => {
                    names(&f.funcname).last().map(String::as_str) == Some("to_regclass")
                        && literal(f.args.first()) == Some(table.to_string())
                }
                _ => false,
            })
        })
    }
}

/// Tables that SQL strings in the code create (`CREATE TABLE`, `CREATE TEMP TABLE`, ...),
/// lower-case and unqualified.
pub fn created_tables(code: &[CodeFile]) -> std::collections::HashSet<String> {
    code.iter().flat_map(|f| f.extraction.created_tables.iter().cloned()).collect()
}

/// Drizzle table definitions of the whole project, by variable name. Two definitions of one
/// variable for the same table (an old copy of the schema left in the tree) are merged: pgvet
/// cannot tell which one a file imports, so a key either defines is known.
pub fn drizzle_tables(code: &[CodeFile]) -> HashMap<String, DrizzleTable> {
    // `pgSchema('name')` variables of every file (a schema is often declared in its own file).
    let schemas: HashMap<&str, &str> =
        code.iter().flat_map(|f| &f.extraction.pg_schemas).map(|(var, name)| (var.as_str(), name.as_str())).collect();
    let mut m = HashMap::new();
    for f in code {
        for t in &f.extraction.drizzle_tables {
            match m.entry(t.var.clone()) {
                std::collections::hash_map::Entry::Occupied(mut e) => {
                    let known: &mut DrizzleTable = e.get_mut();
                    if known.table == t.table {
                        for c in &t.columns {
                            if !known.columns.contains(c) {
                                known.columns.push(c.clone());
                            }
                        }
                        for c in &t.orm_defaults {
                            if !known.orm_defaults.contains(c) {
                                known.orm_defaults.push(c.clone());
                            }
                        }
                    }
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    let mut t = t.clone();
                    // `s.table('x', ...)`: the schema `s` stands for; a pgTable has none.
                    t.schema = t.schema.as_deref().and_then(|v| schemas.get(v).map(|s| s.to_string()));
                    e.insert(t);
                }
            }
        }
    }
    m
}

pub fn resolve<'a>(cat: &'a Catalog, drizzle: &HashMap<String, DrizzleTable>, b: &BuilderCall) -> Resolved<'a> {
    let (schema, name, keys, unknown_definition, orm_defaults) = match &b.table {
        TableRef::Name { schema, name } => (schema.clone(), name.clone(), HashMap::new(), false, Vec::new()),
        TableRef::Drizzle(var) => match drizzle.get(var) {
            Some(d) => (d.schema.clone(), d.table.clone(), d.columns.iter().cloned().collect(), false, d.orm_defaults.clone()),
            None => (None, var.clone(), HashMap::new(), true, Vec::new()),
        },
    };
    let schema = schema.unwrap_or_else(|| "public".to_string());
    let q = QName::new(schema, name);
    Resolved { table: cat.tables.get(&q), name: q, keys, unknown_definition, orm_defaults }
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
    crate::rules::mention_label(cx, step, mention, &format!("{mention} is dropped or renamed here"))
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

/// The `INSERT ... ON CONFLICT` a builder upsert sends, and the span to report on: Supabase's
/// `.upsert(row, { onConflict })` (the primary key when no target is given, DO NOTHING with
/// `ignoreDuplicates`), Drizzle's `.onConflictDoUpdate({ target })` / `.onConflictDoNothing()`.
pub fn upsert_sql(
    cat: &Catalog,
    drizzle: &HashMap<String, DrizzleTable>,
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

/// The Prisma models of the project.
pub fn prisma_models(code: &[CodeFile]) -> Vec<&PrismaModel> {
    code.iter().flat_map(|f| &f.extraction.prisma_models).collect()
}

/// Whether an application expression makes a fresh value (a generated id or token, a random
/// suffix): such a value collides with nothing and accumulates nothing.
pub fn fresh_value(expr: &str) -> bool {
    let t = expr.to_ascii_lowercase();
    ["id(", "generate", "random", "uuid", "nanoid", "cuid", "ulid", "token(", "crypto."].iter().any(|g| t.contains(g))
}

/// The tables whose rows the project can hard-delete: tables that code deletes from (SQL `DELETE`,
/// Prisma `delete`/`deleteMany`, Supabase and Drizzle `.delete()`), and, through `ON DELETE
/// CASCADE`, the tables whose rows go with them.
pub fn deleted_tables(cat: &Catalog, code: &[CodeFile]) -> std::collections::HashSet<QName> {
    with_cascades(cat, &deletions(cat, code)).into_keys().collect()
}

/// Where application code deletes rows, table by table: SQL `DELETE`, Prisma
/// `delete`/`deleteMany`, Supabase and Drizzle `.delete()`.
pub fn deletions(cat: &Catalog, code: &[CodeFile]) -> Vec<(QName, Label)> {
    use pgvet_syntax::NodeEnum;
    let drizzle = drizzle_tables(code);
    let models = prisma_models(code);
    let path = vec!["public".to_string()];
    let mut out = Vec::new();
    for f in code {
        for (i, s) in f.extraction.sites.iter().enumerate() {
            let at = Label::new(f.file, s.span);
            match &s.call {
                pgvet_code::Call::Builder(b) if b.op == pgvet_code::Op::Delete => {
                    out.push((resolve(cat, &drizzle, b).name, at));
                }
                pgvet_code::Call::Prisma(p) if p.op.starts_with("delete") => {
                    if let Some((q, _)) = prisma_model(&models, &p.model) {
                        out.push((q, at));
                    }
                }
                pgvet_code::Call::Sql(_) => {
                    for st in f.sql[i].iter().flat_map(|p| &p.statements) {
                        if let NodeEnum::DeleteStmt(d) = &st.node {
                            let rv = d.relation.clone().unwrap_or_default();
                            if let Some(crate::sql::Relation::Table(t)) =
                                crate::sql::resolve_relation(cat, &path, &rv.schemaname, &rv.relname)
                            {
                                out.push((t.name.clone(), at.clone()));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// How rows of a table come to be deleted: the first place a table is deleted from, and, through
/// `ON DELETE CASCADE`, the tables whose rows go with a deleted parent's (with the parent).
#[derive(Clone, Debug)]
pub struct Deleted {
    pub at: Label,
    /// The parent whose deleted rows take this table's with them (`ON DELETE CASCADE`).
    pub cascade_from: Option<QName>,
}

/// `deleted` (direct deletes) with every table that loses rows through a cascade from one.
pub fn with_cascades(cat: &Catalog, deleted: &[(QName, Label)]) -> std::collections::HashMap<QName, Deleted> {
    let mut out: std::collections::HashMap<QName, Deleted> = std::collections::HashMap::new();
    for (q, at) in deleted {
        out.entry(q.clone()).or_insert(Deleted { at: at.clone(), cascade_from: None });
    }
    // Breadth first: each table is reached once, from the nearest deleted ancestor.
    let mut frontier: Vec<QName> = out.keys().cloned().collect();
    frontier.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for t in cat.tables.values() {
            if out.contains_key(&t.name) {
                continue;
            }
            let parent = t
                .constraints
                .iter()
                .filter_map(|c| c.foreign_key.as_ref())
                .find(|fk| fk.on_delete == 'c' && frontier.contains(&fk.table))
                .map(|fk| fk.table.clone());
            if let Some(p) = parent {
                let at = out[&p].at.clone();
                out.insert(t.name.clone(), Deleted { at, cascade_from: Some(p) });
                next.push(t.name.clone());
            }
        }
        frontier = next;
    }
    out
}

/// A Prisma model accessor (`userUsage`) → its table and model.
pub fn prisma_model<'m>(models: &[&'m PrismaModel], accessor: &str) -> Option<(QName, &'m PrismaModel)> {
    let m = models.iter().copied().find(|m| m.name.to_lowercase() == accessor.to_lowercase())?;
    Some((QName::new("public", m.table.as_str()), m))
}

/// What a query site reads: a table, the columns, and the row lock it takes.
pub struct Read {
    pub table: QName,
    /// Column names (SQL), `*` for all.
    pub columns: Vec<String>,
    pub lock: Option<String>,
    /// Equality filters: (column, value expression text).
    pub filters: Vec<(String, String)>,
}

/// One column a query site writes, with the value expression's source text.
pub struct Write {
    pub table: QName,
    pub column: String,
    /// The name as the code writes it (an ORM field or key; the column for SQL).
    pub key: String,
    pub expr: String,
    /// The column's value is computed from itself in SQL (`SET c = c + $1`): safe.
    pub in_sql: bool,
    /// The insert handles conflicts (ON CONFLICT, `onConflict`, `onConflictDo*`).
    pub on_conflict: bool,
    pub span: pgvet_syntax::Span,
    pub insert: bool,
}

/// The `$n` parameters an expression uses.
fn params_in(n: &pgvet_syntax::protobuf::Node) -> Vec<usize> {
    let Some(inner) = n.node.as_ref() else { return vec![] };
    let mut out = Vec::new();
    for x in pgvet_syntax::all_nodes(inner) {
        if let pgvet_syntax::pg_query::NodeRef::ParamRef(p) = x {
            out.push(p.number as usize);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether an expression references column `col` (by its last name part).
pub fn mentions_column(n: &pgvet_syntax::protobuf::Node, col: &str) -> bool {
    pgvet_syntax::expr_columns(n).iter().any(|c| c == col)
}

/// `col = $n` conjuncts of a WHERE clause, with the parameter's value text.
fn equalities(n: &pgvet_syntax::protobuf::Node, params: &[String], out: &mut Vec<(String, String)>) {
    use pgvet_syntax::protobuf::node::Node as N;
    match n.node.as_ref() {
        Some(N::BoolExpr(b)) if b.boolop == pgvet_syntax::protobuf::BoolExprType::AndExpr as i32 => {
            for a in &b.args {
                equalities(a, params, out);
            }
        }
        Some(N::AExpr(e)) => {
            let name = e.name.iter().find_map(|x| match x.node.as_ref() {
                Some(N::String(s)) => Some(s.sval.as_str()),
                _ => None,
            });
            if name != Some("=") {
                return;
            }
            let (l, r) = (e.lexpr.as_deref().and_then(|x| x.node.as_ref()), e.rexpr.as_deref().and_then(|x| x.node.as_ref()));
            let pair = match (l, r) {
                (Some(N::ColumnRef(c)), Some(N::ParamRef(p))) | (Some(N::ParamRef(p)), Some(N::ColumnRef(c))) => {
                    Some((c, p.number as usize))
                }
                _ => None,
            };
            if let Some((c, k)) = pair {
                if let (Some(N::String(s)), Some(v)) = (c.fields.last().and_then(|f| f.node.as_ref()), params.get(k.wrapping_sub(1))) {
                    out.push((s.sval.clone(), v.clone()));
                }
            }
        }
        _ => {}
    }
}

/// The read a site makes (builder select, or a single-table SQL SELECT).
pub fn read_of(cat: &Catalog, drizzle: &HashMap<String, DrizzleTable>, models: &[&PrismaModel], f: &CodeFile, i: usize) -> Option<Read> {
    match &f.extraction.sites[i].call {
        pgvet_code::Call::Builder(b) if b.op == pgvet_code::Op::Select => {
            let r = resolve(cat, drizzle, b);
            Some(Read {
                columns: b.columns.iter().map(|c| if c.name == "*" { c.name.clone() } else { r.column(&c.name) }).collect(),
                filters: b.filters.iter().map(|v| (r.column(&v.column), v.expr.clone())).collect(),
                table: r.name,
                lock: b.lock.clone(),
            })
        }
        pgvet_code::Call::Prisma(p) if p.op.starts_with("find") => {
            let (table, m) = prisma_model(models, &p.model)?;
            let columns = match p.args.iter().find(|(k, _)| k == "select") {
                Some((_, sel)) => sel.iter().filter_map(|v| m.field(&v.column).map(|fd| fd.column.clone())).collect(),
                None => vec!["*".to_string()],
            };
            let filters = p
                .args
                .iter()
                .filter(|(k, _)| k == "where")
                .flat_map(|(_, v)| v)
                .filter_map(|v| m.field(&v.column).map(|fd| (fd.column.clone(), v.expr.clone())))
                .collect();
            Some(Read { table, columns, lock: None, filters })
        }
        pgvet_code::Call::Sql(_) => {
            let p = f.sql[i].as_ref()?;
            let st = p.statements.first()?;
            let pgvet_syntax::NodeEnum::SelectStmt(sel) = &st.node else { return None };
            let [from] = sel.from_clause.as_slice() else { return None };
            let Some(pgvet_syntax::protobuf::node::Node::RangeVar(rv)) = from.node.as_ref() else { return None };
            let mut columns = Vec::new();
            for t in &sel.target_list {
                let Some(pgvet_syntax::protobuf::node::Node::ResTarget(rt)) = t.node.as_ref() else { continue };
                if let Some(pgvet_syntax::protobuf::node::Node::ColumnRef(c)) = rt.val.as_deref().and_then(|v| v.node.as_ref()) {
                    match c.fields.last().and_then(|f| f.node.as_ref()) {
                        Some(pgvet_syntax::protobuf::node::Node::String(s)) => columns.push(s.sval.clone()),
                        Some(pgvet_syntax::protobuf::node::Node::AStar(_)) => columns.push("*".into()),
                        _ => {}
                    }
                }
            }
            let lock = sel.locking_clause.first().map(|_| "locked".to_string());
            let pgvet_code::Call::Sql(q) = &f.extraction.sites[i].call else { return None };
            let mut filters = Vec::new();
            if let Some(w) = sel.where_clause.as_deref() {
                equalities(w, &q.params, &mut filters);
            }
            Some(Read { table: crate::sql::rv_name(rv), columns, lock, filters })
        }
        _ => None,
    }
}

/// The columns a site writes (builder insert/upsert/update, or SQL INSERT ... VALUES / UPDATE).
pub fn writes_of(cat: &Catalog, drizzle: &HashMap<String, DrizzleTable>, models: &[&PrismaModel], f: &CodeFile, i: usize) -> Vec<Write> {
    let site = &f.extraction.sites[i];
    match &site.call {
        pgvet_code::Call::Builder(b) if matches!(b.op, pgvet_code::Op::Insert | pgvet_code::Op::Upsert | pgvet_code::Op::Update) => {
            let r = resolve(cat, drizzle, b);
            let insert = b.op != pgvet_code::Op::Update;
            b.values
                .iter()
                .map(|v| Write {
                    table: r.name.clone(),
                    column: r.column(&v.column),
                    key: v.column.clone(),
                    expr: v.expr.clone(),
                    in_sql: v.expr.contains("sql`"),
                    on_conflict: b.on_conflict.is_some() || b.on_conflict_do_nothing || b.op == pgvet_code::Op::Upsert,
                    span: v.span,
                    insert,
                })
                .collect()
        }
        pgvet_code::Call::Prisma(p) if matches!(p.op.as_str(), "create" | "update" | "updateMany" | "upsert") => {
            let Some((table, m)) = prisma_model(models, &p.model) else { return vec![] };
            let insert = p.op == "create";
            p.args
                .iter()
                .filter(|(k, _)| k == "data" || k == "update")
                .flat_map(|(_, vals)| vals)
                .filter_map(|v| {
                    let fd = m.field(&v.column)?;
                    // `{ increment: n }` is done by the database.
                    let in_sql = v.expr.contains("increment") || v.expr.contains("decrement") || v.expr.contains("multiply");
                    Some(Write {
                        table: table.clone(),
                        column: fd.column.clone(),
                        key: v.column.clone(),
                        expr: v.expr.clone(),
                        in_sql,
                        on_conflict: false,
                        span: v.span,
                        insert,
                    })
                })
                .collect()
        }
        pgvet_code::Call::Sql(q) => {
            let Some(p) = f.sql[i].as_ref() else { return vec![] };
            let param = |k: usize| q.params.get(k.wrapping_sub(1)).cloned();
            let mut out = Vec::new();
            for st in &p.statements {
                match &st.node {
                    pgvet_syntax::NodeEnum::UpdateStmt(u) => {
                        let Some(rv) = &u.relation else { continue };
                        for t in &u.target_list {
                            let Some(pgvet_syntax::protobuf::node::Node::ResTarget(rt)) = t.node.as_ref() else { continue };
                            let Some(val) = rt.val.as_deref() else { continue };
                            let expr = params_in(val).into_iter().filter_map(param).collect::<Vec<_>>().join(" ");
                            let at = q.file_offset(rt.location.max(0) as usize);
                            out.push(Write {
                                table: crate::sql::rv_name(rv),
                                column: rt.name.clone(),
                                key: rt.name.clone(),
                                in_sql: mentions_column(val, &rt.name),
                                on_conflict: false,
                                expr,
                                span: pgvet_syntax::Span::new(at, at + rt.name.len()),
                                insert: false,
                            });
                        }
                    }
                    pgvet_syntax::NodeEnum::InsertStmt(ins) => {
                        let Some(rv) = &ins.relation else { continue };
                        let Some(pgvet_syntax::protobuf::node::Node::SelectStmt(sel)) =
                            ins.select_stmt.as_deref().and_then(|s| s.node.as_ref())
                        else {
                            continue;
                        };
                        let Some(pgvet_syntax::protobuf::node::Node::List(row)) = sel.values_lists.first().and_then(|r| r.node.as_ref())
                        else {
                            continue;
                        };
                        for (c, v) in ins.cols.iter().zip(&row.items) {
                            let Some(pgvet_syntax::protobuf::node::Node::ResTarget(rt)) = c.node.as_ref() else { continue };
                            let expr = params_in(v).into_iter().filter_map(param).collect::<Vec<_>>().join(" ");
                            let at = q.file_offset(rt.location.max(0) as usize);
                            out.push(Write {
                                table: crate::sql::rv_name(rv),
                                column: rt.name.clone(),
                                key: rt.name.clone(),
                                expr,
                                in_sql: false,
                                on_conflict: ins.on_conflict_clause.is_some(),
                                span: pgvet_syntax::Span::new(at, at + rt.name.len()),
                                insert: true,
                            });
                        }
                    }
                    _ => {}
                }
            }
            out
        }
        _ => vec![],
    }
}
