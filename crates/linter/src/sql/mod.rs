//! SQL semantics the rules share: where a statement came from ([`Site`]), name resolution the
//! way the server does it, ON CONFLICT arbiter inference and predicate implication.
pub mod arbiter;
pub mod builtin_functions;
pub mod column_types;
pub mod ddl_locks;
pub mod implies;
pub mod plpgsql;
pub mod resolve;
pub mod sites;
pub mod tenant;

use pgvet_catalog::{Catalog, Function, QName, Table, View};
use pgvet_syntax::{NodeEnum, Span};

use crate::diagnostic::Label;

/// Where a statement was written.
#[derive(Debug, Clone, Copy)]
pub enum SiteKind<'a> {
    /// A statement of a migration, checked against the schema at that point.
    Migration,
    /// A statement in a function body, checked against the schema after all migrations.
    Function(&'a Function),
    /// A statement of a query file (sqlc and similar), checked against the final schema.
    Query,
    /// SQL in application code, checked against the final schema.
    Code,
}

/// One SQL statement to check, with everything needed to resolve its names and report on it.
pub struct Site<'a> {
    /// Index of the file (migration or query file) the statement is in.
    pub file: usize,
    /// The whole file's text.
    pub file_text: &'a str,
    /// Add to a parse-tree location to get a byte offset in the file; None when the statement
    /// could not be placed exactly (labels then cover `span`).
    pub offset: Option<usize>,
    /// The statement's span in the file.
    pub span: Span,
    pub node: &'a NodeEnum,
    pub catalog: &'a Catalog,
    pub search_path: &'a [String],
    pub kind: SiteKind<'a>,
    /// Names a column reference may also mean: PL/pgSQL variables, function parameters.
    pub variables: &'a [String],
    /// For SQL assembled from a template literal: `(offset in the SQL, offset in the file)` at the
    /// start of each literal piece (then `offset` is unused).
    pub pieces: &'a [(usize, usize)],
    unresolved: std::cell::OnceCell<Vec<resolve::Unresolved>>,
    ddl: std::cell::OnceCell<Vec<ddl_locks::Change<'a>>>,
}

impl<'a> Site<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        file: usize,
        file_text: &'a str,
        offset: Option<usize>,
        span: Span,
        node: &'a NodeEnum,
        catalog: &'a Catalog,
        search_path: &'a [String],
        kind: SiteKind<'a>,
        variables: &'a [String],
    ) -> Self {
        Site {
            file,
            file_text,
            offset,
            span,
            node,
            catalog,
            search_path,
            kind,
            variables,
            pieces: &[],
            unresolved: Default::default(),
            ddl: Default::default(),
        }
    }

    /// The same site, with SQL-to-file offsets given piece by piece.
    pub fn with_pieces(mut self, pieces: &'a [(usize, usize)]) -> Self {
        self.pieces = pieces;
        self
    }

    /// Names in the statement the server would reject (computed once, shared by the rules).
    /// The statement's lock-relevant changes (classified once for all migration-safety rules).
    pub fn ddl_changes(&self) -> &[ddl_locks::Change<'a>] {
        self.ddl.get_or_init(|| ddl_locks::classify(self))
    }

    pub fn unresolved(&self) -> &[resolve::Unresolved] {
        self.unresolved.get_or_init(|| {
            let fname = match self.kind {
                SiteKind::Function(f) => Some(f.name.name.as_str()),
                _ => None,
            };
            let mut r = resolve::Resolver::new(self.catalog, self.search_path, self.variables, fname);
            r.statement(self.node);
            r.out
        })
    }

    fn file_offset(&self, location: i32) -> Option<usize> {
        if location < 0 {
            return None;
        }
        let at = if self.pieces.is_empty() {
            self.offset? + location as usize
        } else {
            let l = location as usize;
            let i = self.pieces.partition_point(|(s, _)| *s <= l).saturating_sub(1);
            let (s, f) = self.pieces.get(i)?;
            f + (l - s)
        };
        (at >= self.span.start && at <= self.span.end).then_some(at)
    }

    /// A label from a parse-tree location to the end of its line (within the statement).
    pub fn label_at(&self, location: i32) -> Label {
        let Some(start) = self.file_offset(location) else { return Label::new(self.file, self.span) };
        let rest = &self.file_text[start..self.span.end];
        let end = rest.find('\n').unwrap_or(rest.len());
        Label::new(self.file, Span::new(start, start + rest[..end].trim_end().trim_end_matches([',', ';']).len()))
    }

    /// A label on the identifier (possibly qualified, possibly quoted) at a location.
    pub fn label_word(&self, location: i32) -> Label {
        let Some(start) = self.file_offset(location) else { return Label::new(self.file, self.span) };
        let rest = &self.file_text[start..self.span.end];
        let mut len = 0;
        let mut quoted = false;
        for (i, ch) in rest.char_indices() {
            if ch == '"' {
                quoted = !quoted;
            } else if !(quoted || ch.is_alphanumeric() || ch == '_' || ch == '.' || ch == '$') {
                break;
            }
            len = i + ch.len_utf8();
        }
        let first = rest.chars().next().map(char::len_utf8).unwrap_or(0);
        Label::new(self.file, Span::new(start, start + len.max(first)))
    }
}

/// A relation a name resolves to.
#[derive(Debug, Clone, Copy)]
pub enum Relation<'a> {
    Table(&'a Table),
    View(&'a View),
    /// A system catalog or information_schema view (from the committed built-ins list).
    System(&'static builtin_functions::SystemRelation),
}

impl Relation<'_> {
    /// Whether the relation has this column. `None`: pgvet does not know its columns.
    pub fn has_column(&self, name: &str) -> Option<bool> {
        match self {
            Relation::Table(t) if t.incomplete => None,
            Relation::Table(t) => Some(t.column(name).is_some() || SYSTEM_COLUMNS.contains(&name)),
            Relation::View(_) => None,
            Relation::System(s) => Some(s.columns.contains(&name) || SYSTEM_COLUMNS.contains(&name)),
        }
    }
}

/// Columns every table has.
pub const SYSTEM_COLUMNS: &[&str] = &["ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"];

/// Resolves a relation name (schema-qualified or through the search path) to a table, a view or
/// a system relation. `pg_catalog` is searched first, as the server does when the path does not
/// name it.
pub fn resolve_relation<'a>(cat: &'a Catalog, search_path: &[String], schema: &str, name: &str) -> Option<Relation<'a>> {
    let find = |schema: &str| -> Option<Relation<'a>> {
        let q = QName::new(schema, name);
        if let Some(t) = cat.tables.get(&q) {
            return Some(Relation::Table(t));
        }
        if let Some(v) = cat.views.get(&q) {
            return Some(Relation::View(v));
        }
        builtin_functions::system_relation(schema, name).map(Relation::System)
    };
    if !schema.is_empty() {
        return find(schema);
    }
    // The session's temporary tables come first.
    if let Some(r) = find("pg_temp") {
        return Some(r);
    }
    if !search_path.iter().any(|s| s == "pg_catalog") {
        if let Some(r) = find("pg_catalog") {
            return Some(r);
        }
    }
    search_path.iter().find_map(|s| find(s))
}

/// Every `INSERT ... ON CONFLICT` in a statement (including in CTEs), with its target table.
pub fn upserts<'a>(site: &Site<'a>) -> Vec<(&'a pgvet_syntax::protobuf::InsertStmt, &'a Table)> {
    let mut out = Vec::new();
    for i in inserts(site.node) {
        if i.on_conflict_clause.is_none() {
            continue;
        }
        let Some(rv) = &i.relation else { continue };
        if let Some(Relation::Table(t)) = resolve_relation(site.catalog, site.search_path, &rv.schemaname, &rv.relname) {
            out.push((i, t));
        }
    }
    out
}

/// Whether tenants can drive the statement's values: not a statement in the body of a function
/// that no API role may execute and no trigger runs (its callers are the service's own code, e.g.
/// a webhook handler writing a payment provider's ids).
pub fn tenant_driven(site: &Site, settings: &crate::Settings) -> bool {
    let SiteKind::Function(f) = site.kind else { return true };
    f.grants.iter().any(|g| settings.is_api_role(g))
        || site.catalog.tables.values().any(|t| t.triggers.iter().any(|tr| tr.function == f.name))
}

/// The tables a statement deletes rows from (its DELETEs, data-modifying CTEs included).
pub fn deletes(site: &Site) -> Vec<pgvet_catalog::QName> {
    let mut out = Vec::new();
    for n in pgvet_syntax::all_nodes(site.node) {
        let pgvet_syntax::pg_query::NodeRef::DeleteStmt(d) = n else { continue };
        let Some(rv) = &d.relation else { continue };
        if let Some(Relation::Table(t)) = resolve_relation(site.catalog, site.search_path, &rv.schemaname, &rv.relname) {
            if !out.contains(&t.name) {
                out.push(t.name.clone());
            }
        }
    }
    out
}

/// The unique indexes a statement's upserts use as arbiters (not counting `DO UPDATE ... WHERE`,
/// whose writer decides which existing rows it may update).
pub fn upsert_arbiters(site: &Site) -> Vec<pgvet_catalog::QName> {
    let mut out = Vec::new();
    for (ins, table) in upserts(site) {
        if let Some(oc) = ins.on_conflict_clause.as_deref().filter(|oc| oc.where_clause.is_none()) {
            if let arbiter::Verdict::Arbiters(a) = arbiter::infer(site.catalog, table, oc) {
                out.extend(a);
            }
        }
    }
    out
}

/// `INSERT ... SELECT ... FROM`: rows copied from tables, not values given by a caller.
pub fn is_copy(ins: &pgvet_syntax::protobuf::InsertStmt) -> bool {
    use pgvet_syntax::protobuf::node::Node as N;
    matches!(ins.select_stmt.as_deref().and_then(|s| s.node.as_ref()), Some(N::SelectStmt(sel)) if sel.values_lists.is_empty() && !sel.from_clause.is_empty())
}

/// The columns an index key reads (expression keys: the columns of the expressions).
pub fn index_columns(i: &pgvet_catalog::Index) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for k in &i.keys {
        match k {
            pgvet_catalog::IndexKey::Column(c) => {
                out.insert(c.clone());
            }
            pgvet_catalog::IndexKey::Expression(x) => out.extend(expression_columns(x).iter().cloned()),
        }
    }
    out
}

/// The INSERT statements of a statement: itself, and those in its WITH clauses.
pub fn inserts(node: &NodeEnum) -> Vec<&pgvet_syntax::protobuf::InsertStmt> {
    use pgvet_syntax::protobuf::node::Node as N;
    fn with<'a>(w: &'a Option<pgvet_syntax::protobuf::WithClause>, out: &mut Vec<&'a pgvet_syntax::protobuf::InsertStmt>) {
        for c in w.iter().flat_map(|w| &w.ctes) {
            if let Some(N::CommonTableExpr(cte)) = c.node.as_ref() {
                if let Some(q) = cte.ctequery.as_deref().and_then(|q| q.node.as_ref()) {
                    walk(q, out);
                }
            }
        }
    }
    fn walk<'a>(n: &'a NodeEnum, out: &mut Vec<&'a pgvet_syntax::protobuf::InsertStmt>) {
        match n {
            N::InsertStmt(i) => {
                with(&i.with_clause, out);
                out.push(i);
            }
            N::SelectStmt(s) => with(&s.with_clause, out),
            N::UpdateStmt(u) => with(&u.with_clause, out),
            N::DeleteStmt(d) => with(&d.with_clause, out),
            N::ExplainStmt(e) => {
                if let Some(q) = e.query.as_deref().and_then(|q| q.node.as_ref()) {
                    walk(q, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(node, &mut out);
    out
}

/// A relation name as written, in `public` when unqualified.
pub fn rv_name(rv: &pgvet_syntax::protobuf::RangeVar) -> QName {
    QName::new(if rv.schemaname.is_empty() { "public" } else { rv.schemaname.as_str() }, rv.relname.as_str())
}

/// `users` for public tables, `auth.users` otherwise.
pub fn display_name(q: &QName) -> String {
    if q.schema == "public" {
        pgvet_syntax::quote_ident(&q.name)
    } else {
        q.to_string()
    }
}

/// "users_pkey (id), users_email_key (email)": the unique keys a table has.
pub fn unique_keys(cat: &Catalog, t: &Table) -> String {
    let keys: Vec<String> = cat
        .indexes_of(&t.name)
        .filter(|i| i.unique && i.valid)
        .map(|i| {
            let mut s = format!("{} {}", pgvet_syntax::quote_ident(&i.name.name), arbiter::key_text(i));
            if i.constraint.as_ref().and_then(|c| t.constraint(c)).is_some_and(|c| c.deferrable) {
                s.push_str(" DEFERRABLE");
            }
            s
        })
        .collect();
    if keys.is_empty() {
        "none".into()
    } else {
        keys.join(", ")
    }
}

/// Columns an expression (given as canonical text, e.g. an index key) references, memoised:
/// the same index expressions are asked about for every statement that touches the table.
pub fn expression_columns(text: &str) -> std::rc::Rc<Vec<String>> {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<Vec<String>>>> = Default::default();
    }
    CACHE.with(|c| {
        if let Some(v) = c.borrow().get(text) {
            return v.clone();
        }
        let cols = std::rc::Rc::new(pgvet_syntax::parse_expr(text).map(|n| pgvet_syntax::expr_columns(&n)).unwrap_or_default());
        c.borrow_mut().insert(text.to_string(), cols.clone());
        cols
    })
}
