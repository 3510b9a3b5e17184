//! The schema model. Every map is ordered, so serialising a catalog is stable.
use imbl::{OrdMap, OrdSet};
use pgvet_syntax::Span;
use serde::Serialize;

/// A schema-qualified name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct QName {
    pub schema: String,
    pub name: String,
}

impl QName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QName { schema: schema.into(), name: name.into() }
    }
}

impl std::fmt::Display for QName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", pgvet_syntax::quote_ident(&self.schema), pgvet_syntax::quote_ident(&self.name))
    }
}

/// Where an object was defined: the migration step (index into the project's migration list)
/// and the statement's span in that file. Built-in objects (e.g. Supabase's `auth.users`) have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Origin {
    pub step: usize,
    /// The whole statement.
    pub span: Span,
    /// Byte offset of the clause itself (a column definition, a constraint), when known.
    pub at: Option<usize>,
}

/// `{"migration": <index into the migration list, or null for built-ins>, "start": .., "end": ..}`
impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Origin", 3)?;
        st.serialize_field("migration", &(!self.is_builtin() && !self.is_declared()).then_some(self.step))?;
        st.serialize_field("start", &self.at.unwrap_or(self.span.start))?;
        st.serialize_field("end", &self.span.end)?;
        st.end()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub schemas: OrdSet<String>,
    pub extensions: OrdSet<String>,
    pub tables: crate::maps::Tables,
    pub views: OrdMap<QName, View>,
    /// Indexes are relations: their names are unique within the table's schema.
    pub indexes: crate::maps::Indexes,
    pub sequences: crate::maps::Sequences,
    pub functions: OrdMap<FunctionKey, Function>,
    pub enums: OrdMap<QName, EnumType>,
    pub domains: OrdMap<QName, Domain>,
    /// Privileges new objects get (`ALTER DEFAULT PRIVILEGES`, and EXECUTE to PUBLIC on
    /// functions). Not part of the JSON.
    pub default_grants: Vec<DefaultGrant>,
    /// Schemas a platform provides whose contents pgvet knows only in part (Supabase's `auth`,
    /// `storage`, ...): a relation missing there is not reported. Not part of the JSON.
    pub platform_schemas: OrdSet<String>,
    /// Creation counter standing in for PostgreSQL's OIDs where order matters (which unique
    /// index a foreign key binds to). Not part of the JSON.
    pub next_oid: u64,
    /// What unmodelled statements may have changed. Not part of the JSON.
    pub uncertain: crate::replay::uncertain::Uncertainty,
}

/// A default privilege: `role` gets a privilege on new `kind` objects in `schema` (None: any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultGrant {
    pub schema: Option<String>,
    pub kind: GrantKind,
    pub role: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    Tables,
    Functions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    Table,
    Partitioned,
}

#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub name: QName,
    pub kind: TableKind,
    /// `PARTITION BY ...` of a partitioned table, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    /// The parent, for a partition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<QName>,
    pub columns: Vec<Column>,
    pub constraints: Vec<Constraint>,
    pub triggers: Vec<Trigger>,
    pub policies: Vec<Policy>,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    /// Created by a statement pgvet could not model fully (e.g. `CREATE TABLE AS`): columns may be
    /// missing, so rules must not conclude that something is absent.
    pub incomplete: bool,
    /// Roles (lower case; `public` for PUBLIC) holding any privilege on the table, from GRANT,
    /// REVOKE and default privileges. Not part of the JSON.
    #[serde(skip)]
    pub grants: Vec<String>,
    pub origin: Origin,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }
    pub fn constraint(&self, name: &str) -> Option<&Constraint> {
        self.constraints.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub name: String,
    /// As PostgreSQL's `format_type` prints it (`character varying(20)`, `timestamp with time zone`).
    #[serde(rename = "type")]
    pub type_name: String,
    pub not_null: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `always` or `by default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Expression of a `GENERATED ALWAYS AS (...) STORED` column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Exclusion,
}

#[derive(Debug, Clone, Serialize)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    /// Columns of the key (PK/UNIQUE/FK/EXCLUDE) or referenced by the expression (CHECK).
    pub columns: Vec<String>,
    pub deferrable: bool,
    pub initially_deferred: bool,
    /// False for a constraint added `NOT VALID` and not yet validated.
    pub validated: bool,
    /// The index that implements a PK/UNIQUE/EXCLUDE constraint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign_key: Option<ForeignKey>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
pub struct ForeignKey {
    pub table: QName,
    pub columns: Vec<String>,
    /// PostgreSQL's action codes: `a` no action, `r` restrict, `c` cascade, `n` set null, `d` set default.
    pub on_delete: char,
    pub on_update: char,
    /// `s` simple, `f` full, `p` partial.
    pub match_type: char,
    /// The referenced table's unique index this key depends on (by creation order id).
    #[serde(skip)]
    pub index_oid: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexKey {
    Column(String),
    /// Canonical text of the expression (see `pgvet_syntax::canonical_expr`).
    Expression(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Index {
    pub name: QName,
    pub table: QName,
    pub unique: bool,
    pub primary: bool,
    pub nulls_not_distinct: bool,
    pub method: String,
    pub keys: Vec<IndexKey>,
    pub include: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// False after a `CREATE INDEX CONCURRENTLY` that pgvet knows failed; a static replay cannot
    /// know that, so this is true unless the catalog was read from a server.
    pub valid: bool,
    pub concurrently: bool,
    /// The constraint this index implements, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// The parent's index, for an index cloned onto a partition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<QName>,
    #[serde(skip)]
    pub oid: u64,
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub name: QName,
    pub materialized: bool,
    pub query: String,
    /// Column names given in `CREATE VIEW v (a, b)`; they rename the query's first columns.
    #[serde(skip)]
    pub aliases: Vec<String>,
    /// Relations the query reads, as written (resolved against the search_path of the time).
    pub reads: Vec<QName>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sequence {
    pub name: QName,
    /// (table, column) for a sequence owned by a serial or identity column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<(QName, String)>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FunctionKey {
    pub name: QName,
    /// Types of the input arguments (IN, INOUT, VARIADIC), without typmods.
    pub args: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FunctionArg {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub type_name: String,
    /// `in`, `out`, `inout`, `variadic` or `table`.
    pub mode: &'static str,
    pub has_default: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Function {
    pub name: QName,
    pub procedure: bool,
    pub args: Vec<FunctionArg>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returns: Option<String>,
    pub language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub security_definer: bool,
    /// `SET search_path = ...` pinned on the function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_path: Option<String>,
    pub volatility: &'static str,
    /// Roles (lower case; `public` for PUBLIC) that may EXECUTE it. Not part of the JSON.
    #[serde(skip)]
    pub grants: Vec<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trigger {
    pub name: String,
    pub function: QName,
    /// `before`, `after` or `instead of`.
    pub timing: &'static str,
    pub events: Vec<&'static str>,
    pub for_each_row: bool,
    /// `REFERENCING NEW TABLE AS x OLD TABLE AS y`: relation names the function can query.
    #[serde(skip)]
    pub transition_tables: Vec<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    pub name: String,
    pub command: String,
    pub permissive: bool,
    pub roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_check: Option<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnumType {
    pub name: QName,
    pub values: Vec<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    pub name: QName,
    pub base_type: String,
    pub not_null: bool,
    pub origin: Origin,
}

impl Origin {
    /// Objects that exist before the first migration (a platform's built-in schema).
    pub const BUILTIN: Origin = Origin { step: usize::MAX, span: Span { start: 0, end: 0 }, at: None };
    /// Declared by the project's ORM models rather than created by a migration (`prisma db push`
    /// projects): the project's own objects, with no migration line to point at.
    pub const DECLARED: Origin = Origin { step: usize::MAX - 1, span: Span { start: 0, end: 0 }, at: None };

    pub fn is_declared(&self) -> bool {
        self.step == usize::MAX - 1
    }

    pub fn is_builtin(&self) -> bool {
        self.step == usize::MAX
    }
}

impl Catalog {
    /// A catalog with the schemas every PostgreSQL database starts with.
    pub fn new() -> Self {
        let mut c = Catalog::default();
        c.schemas.insert("public".into());
        c.schemas.insert("pg_catalog".into());
        c.default_grants.push(DefaultGrant { schema: None, kind: GrantKind::Functions, role: "public".into() });
        c
    }

    /// The roles a new object of `kind` in `schema` is granted to.
    pub fn initial_grants(&self, kind: GrantKind, schema: &str) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for g in &self.default_grants {
            if g.kind == kind && g.schema.as_deref().is_none_or(|s| s == schema) && !v.contains(&g.role) {
                v.push(g.role.clone());
            }
        }
        v
    }

    pub fn alloc_oid(&mut self) -> u64 {
        self.next_oid += 1;
        self.next_oid
    }

    /// Indexes of one table, in name order.
    pub fn indexes_of<'a>(&'a self, table: &QName) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes.of_table(table)
    }

    /// Whether a relation (table, view, index, sequence) of that name exists.
    pub fn relation_exists(&self, q: &QName) -> bool {
        self.tables.contains_key(q) || self.views.contains_key(q) || self.indexes.contains_key(q) || self.sequences.contains_key(q)
    }

    /// Whether any constraint in `schema` (on any table) is called `name`.
    pub fn constraint_name_used(&self, schema: &str, name: &str) -> bool {
        self.tables.constraint_name_used(schema, name)
    }
}

/// JSON shape (docs/schema-json.md): every map becomes an array sorted by name, each element
/// carrying its own name, so the document is stable and keys are plain strings.
impl Serialize for Catalog {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Catalog", 9)?;
        st.serialize_field("schemas", &self.schemas.iter().collect::<Vec<_>>())?;
        st.serialize_field("extensions", &self.extensions.iter().collect::<Vec<_>>())?;
        st.serialize_field("tables", &self.tables.values().collect::<Vec<_>>())?;
        st.serialize_field("views", &self.views.values().collect::<Vec<_>>())?;
        st.serialize_field("indexes", &self.indexes.values().collect::<Vec<_>>())?;
        st.serialize_field("sequences", &self.sequences.values().collect::<Vec<_>>())?;
        st.serialize_field("functions", &self.functions.values().collect::<Vec<_>>())?;
        st.serialize_field("enums", &self.enums.values().collect::<Vec<_>>())?;
        st.serialize_field("domains", &self.domains.values().collect::<Vec<_>>())?;
        st.end()
    }
}
