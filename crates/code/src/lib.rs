//! Application code → query sites: every place a program talks to PostgreSQL (SQL strings passed
//! to a driver, Supabase client chains, Drizzle query builders), with exact spans, the enclosing
//! function, and how values flow between them inside that function.
//!
//! Pure: a file's path and text in, its sites out. Walking the project is the project crate's job.
mod flow;
pub mod prisma;
mod sitter;
mod ts;

pub use flow::Binding;
pub use pgvet_syntax::Span;

/// What one source file yields.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    pub sites: Vec<QuerySite>,
    /// Functions (index = `QuerySite::function`).
    pub functions: Vec<FunctionInfo>,
    /// Local variable bindings in source order (`const x = ...`, `x = ...`), for value flow.
    pub bindings: Vec<Binding>,
    /// Drizzle `pgTable` definitions in this file.
    pub drizzle_tables: Vec<DrizzleTable>,
    /// Drizzle schemas: (variable, SQL schema name) for `const s = pgSchema('name')`.
    pub pg_schemas: Vec<(String, String)>,
    /// Prisma models (from a `schema.prisma`).
    pub prisma_models: Vec<prisma::PrismaModel>,
    /// Tables the file's own SQL creates (test fixtures, caches): lower-case, unqualified.
    pub created_tables: Vec<String>,
    /// The parser's complaint, when the file is not valid source (the rest is best effort).
    pub error: Option<(String, Span)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInfo {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct QuerySite {
    /// The whole call (chain).
    pub span: Span,
    /// Index into `Extraction::functions` of the innermost enclosing function.
    pub function: Option<usize>,
    pub call: Call,
    /// Inside a `try` (or before a `.catch(...)`) whose handler deals with a unique violation
    /// (`P2002`, `23505`, `unique_violation`): a duplicate is handled, not a crash.
    pub unique_handled: bool,
}

#[derive(Debug, Clone)]
pub enum Call {
    /// SQL text handed to a driver (`pg`'s `query`, postgres.js / slonik / drizzle `sql```,
    /// Prisma `$queryRaw`, knex `.raw`).
    Sql(SqlText),
    /// A query-builder call: Supabase `.from(t)...` or Drizzle `db.insert(t)...`.
    Builder(BuilderCall),
    /// A Supabase `.rpc('name', { args })`.
    Rpc(RpcCall),
    /// A Prisma client call: `prisma.<model>.<op>({ ... })`.
    Prisma(PrismaCall),
}

#[derive(Debug, Clone)]
pub struct PrismaCall {
    /// The model accessor as written (`workspace`).
    pub model: String,
    pub op: String,
    pub op_span: Span,
    /// Top-level keys of the argument (`where`, `create`, `update`, `data`, ...), each with the
    /// keys of its object and their value texts.
    pub args: Vec<(String, Vec<Value>)>,
    /// Whether `create`/`update`/`data` contain nested writes or reads (`connect`, `create`, ...).
    pub nested: bool,
    /// Whether the argument and its `where`/`create`/`update`/`data` are object literals without
    /// spreads: only then are `args` all there is.
    pub complete: bool,
}

#[derive(Debug, Clone)]
pub struct SqlText {
    /// The SQL, with interpolations replaced by `$n` placeholders.
    pub text: String,
    /// `(offset in text, offset in file)` at the start of each literal piece, in order.
    pub pieces: Vec<(usize, usize)>,
    /// Built with string interpolation into the SQL itself (not parameters): not analysed.
    pub dynamic: bool,
    /// How it was passed (`query`, `sql`, `$queryRaw`, ...).
    pub api: String,
    /// The source text of each parameter's value (`$1` is `params[0]`), when known: a tagged
    /// template's interpolations, or the elements of an array literal passed with the SQL.
    pub params: Vec<String>,
}

impl SqlText {
    /// The file offset of a byte offset in `text`.
    pub fn file_offset(&self, at: usize) -> usize {
        let i = self.pieces.partition_point(|(s, _)| *s <= at).saturating_sub(1);
        self.pieces.get(i).map(|(s, f)| f + (at - s)).unwrap_or(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Select,
    Insert,
    Upsert,
    Update,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableRef {
    /// A table named by a string (`supabase.from('users')`).
    Name { schema: Option<String>, name: String },
    /// A Drizzle table object (`db.insert(users)`), by variable name.
    Drizzle(String),
}

#[derive(Debug, Clone)]
pub struct Named {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Value {
    /// The column (SQL name for Supabase, object key for Drizzle).
    pub column: String,
    pub span: Span,
    /// The value expression's source text.
    pub expr: String,
}

#[derive(Debug, Clone)]
pub struct BuilderCall {
    pub library: Library,
    pub table: TableRef,
    pub table_span: Span,
    pub op: Op,
    /// Columns read (`select('a, b')`); `*` for all.
    pub columns: Vec<Named>,
    /// Columns written, with their value expressions (insert/upsert/update).
    pub values: Vec<Value>,
    /// Columns compared in filters (`.eq('c', v)`, `where(eq(t.c, v))`), with the compared value.
    pub filters: Vec<Value>,
    /// The conflict target (`upsert(.., { onConflict: 'a,b' })`, `onConflictDoUpdate({ target })`).
    pub on_conflict: Option<Vec<Named>>,
    /// `onConflictDoNothing()` / `ignoreDuplicates: true`.
    pub on_conflict_do_nothing: bool,
    /// A row lock was requested (`.for('update')` in Drizzle).
    pub lock: Option<String>,
    /// The receiver expression's text (`supabase`, `supabaseAdmin`, `tx`).
    pub client: String,
}

impl BuilderCall {
    /// A call on `table` with nothing read, written or filtered yet.
    pub fn new(library: Library, table: TableRef, table_span: Span, op: Op, client: String) -> Self {
        BuilderCall {
            library,
            table,
            table_span,
            op,
            columns: vec![],
            values: vec![],
            filters: vec![],
            on_conflict: None,
            on_conflict_do_nothing: false,
            lock: None,
            client,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Library {
    Supabase,
    Drizzle,
}

#[derive(Debug, Clone)]
pub struct RpcCall {
    pub name: String,
    pub name_span: Span,
    pub args: Vec<Named>,
    /// Whether `args` are all the arguments: no second argument, or an object literal without
    /// spreads (`.rpc('f', params)` passes arguments pgvet cannot see).
    pub args_known: bool,
    pub client: String,
}

#[derive(Debug, Clone)]
pub struct DrizzleTable {
    /// The variable holding it (`users`).
    pub var: String,
    pub schema: Option<String>,
    /// The SQL table name.
    pub table: String,
    /// (object key, SQL column name).
    pub columns: Vec<(String, String)>,
    /// SQL names of the columns Drizzle fills when an insert leaves them out (`$defaultFn`,
    /// `$default`, `.default(...)`, `defaultRandom()`, `defaultNow()`).
    pub orm_defaults: Vec<String>,
    pub span: Span,
}

/// Languages pgvet reads, by file extension.
pub fn is_source(path: &str) -> bool {
    let ext = path.rsplit('.').next().unwrap_or("");
    if ext == "prisma" {
        return false;
    }
    matches!(ext, "ts" | "tsx" | "js" | "jsx" | "mjs" | "cjs" | "mts" | "cts") && !path.ends_with(".d.ts")
}

/// Drivers of other databases: a file that imports one talks to SQLite or MySQL, not to the
/// PostgreSQL database the migrations build.
const OTHER_DATABASE_DRIVERS: &[&str] = &[
    "github.com/mattn/go-sqlite3",
    "modernc.org/sqlite",
    "github.com/go-sql-driver/mysql",
    "import sqlite3",
    "import pymysql",
    "import MySQLdb",
    "rusqlite::",
    "from 'better-sqlite3'",
    "from \"better-sqlite3\"",
    "from 'mysql2",
    "from \"mysql2",
    "from 'sqlite3'",
    "from \"sqlite3\"",
    "from 'bun:sqlite'",
    "from \"bun:sqlite\"",
];

/// Extracts the query sites of one source file.
pub fn extract(path: &str, text: &str) -> Extraction {
    if OTHER_DATABASE_DRIVERS.iter().any(|d| text.contains(d)) {
        return Extraction::default();
    }
    // Relations the code's own SQL creates (collected by the extractors from the file's string
    // literals, parsed as SQL).
    let with_created = |mut x: Extraction| {
        x.created_tables.sort();
        x.created_tables.dedup();
        x
    };
    if is_source(path) {
        return with_created(ts::extract(path, text));
    }
    match path.rsplit('.').next().unwrap_or("") {
        "go" => return with_created(sitter::extract(sitter::Lang::Go, text)),
        "py" => return with_created(sitter::extract(sitter::Lang::Python, text)),
        "rs" => return with_created(sitter::extract(sitter::Lang::Rust, text)),
        _ => {}
    }
    if path.ends_with(".prisma") {
        return Extraction { prisma_models: prisma::parse(text), ..Default::default() };
    }
    Extraction::default()
}

/// The base-table column a PostgREST filter names: `metadata->>plan` filters `metadata`; a
/// dotted name (`roles.code`) filters an embedded resource, not this table (None).
pub fn postgrest_column(filter: &str) -> Option<String> {
    let c = filter.split("->").next().unwrap_or(filter).trim();
    (!c.is_empty() && !c.contains('.') && !c.contains('(')).then(|| c.to_string())
}

/// The relations a string of SQL creates (tables, sequences, views), lower case: for a string
/// literal of the code that PostgreSQL's parser reads as CREATE statements.
pub(crate) fn created_relations(text: &str) -> Vec<String> {
    let head: String = text.trim_start().chars().take(6).collect::<String>().to_ascii_uppercase();
    if head != "CREATE" {
        return Vec::new();
    }
    let mut out = Vec::new();
    for st in pgvet_syntax::parse_sql(text).statements {
        let rv = match &st.node {
            pgvet_syntax::NodeEnum::CreateStmt(c) => c.relation.as_ref(),
            pgvet_syntax::NodeEnum::CreateSeqStmt(c) => c.sequence.as_ref(),
            pgvet_syntax::NodeEnum::ViewStmt(c) => c.view.as_ref(),
            pgvet_syntax::NodeEnum::CreateTableAsStmt(c) => c.into.as_ref().and_then(|i| i.rel.as_ref()),
            _ => None,
        };
        if let Some(rv) = rv {
            out.push(rv.relname.to_lowercase());
        }
    }
    out
}

/// Whether a string looks like a SQL statement pgvet should analyse.
pub fn looks_like_sql(s: &str) -> bool {
    let t = s.trim_start();
    let word: String = t.chars().take_while(|c| c.is_ascii_alphabetic()).collect::<String>().to_ascii_uppercase();
    matches!(word.as_str(), "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH")
        && t.len() > word.len()
        && t[word.len()..].starts_with(char::is_whitespace)
}

/// The string literals of Go source (`"..."` with escapes resolved, and raw `` `...` ``), in
/// order; comments and rune literals are skipped.
pub fn go_string_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'\'' => {
                i += 1;
                while i < b.len() && b[i] != b'\'' && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                let start = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
                out.push(text.get(start..i.min(b.len())).unwrap_or("").to_string());
            }
            b'"' => {
                let mut s = String::new();
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        s.push(match b[i + 1] {
                            b'n' => '\n',
                            b't' => '\t',
                            c => c as char,
                        });
                        i += 2;
                        continue;
                    }
                    let ch = text[i..].chars().next().unwrap_or(' ');
                    s.push(ch);
                    i += ch.len_utf8();
                }
                out.push(s);
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod go_literal_tests {
    #[test]
    fn go_string_literals() {
        let src = "x := '\"' // \"not\"\ny := \"CREATE INDEX %s ON t (a)\" + `DROP\nTABLE x` /* \"no\" */";
        assert_eq!(super::go_string_literals(src), vec!["CREATE INDEX %s ON t (a)".to_string(), "DROP\nTABLE x".to_string()]);
    }
}

#[cfg(test)]
mod other_database_tests {
    /// SQL of a file that talks to SQLite or MySQL is not checked against PostgreSQL's schema.
    #[test]
    fn files_of_other_databases_have_no_sites() {
        let go = "package db\nimport (\n  \"database/sql\"\n  _ \"github.com/mattn/go-sqlite3\"\n)\nfunc f(db *sql.DB) { db.Exec(\"INSERT INTO server_metrics (a) VALUES (?)\", 1) }\n";
        assert!(super::extract("m.go", go).sites.is_empty());
        let pg = go.replace("github.com/mattn/go-sqlite3", "github.com/lib/pq");
        assert_eq!(super::extract("m.go", &pg).sites.len(), 1);
        let ts = "import Database from 'better-sqlite3';\nexport const f = (db) => db.prepare('SELECT id FROM t').all();";
        assert!(super::extract("a.ts", ts).sites.is_empty());
    }
}

/// Where a comment line that applies to the code at byte `offset` goes: the start of the
/// statement that holds it, outside any string literal (a SQL template, a Go raw string, a
/// Python triple-quoted string). TypeScript/JavaScript from the parse tree; other languages from
/// the start of the multi-line string literal the offset lies in, if any; else `offset`.
pub fn statement_start(path: &str, text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    if is_source(path) {
        if let Some(s) = ts::statement_start(path, text, offset) {
            return s;
        }
    }
    let delimiters: &[&str] = match path.rsplit('.').next().unwrap_or("") {
        "py" => &["\"\"\"", "'''"],
        "go" => &["`"],
        "rs" => &["r#\"", "r\"", "\""],
        _ => &["`"],
    };
    // The literal that is open at `offset`: scan from the start, toggling on each delimiter.
    let mut open: Option<(usize, &str)> = None;
    let mut i = 0;
    while i < offset {
        let rest = &text[i..];
        match open {
            Some((_, d)) => {
                let close = if d.starts_with('r') { d.trim_start_matches('r').chars().rev().collect::<String>() } else { d.to_string() };
                if rest.starts_with(&close) {
                    open = None;
                    i += close.len();
                    continue;
                }
            }
            None => {
                if let Some(d) = delimiters.iter().find(|d| rest.starts_with(**d)) {
                    open = Some((i, d));
                    i += d.len();
                    continue;
                }
            }
        }
        i += rest.chars().next().map(char::len_utf8).unwrap_or(1);
    }
    open.map(|(at, _)| at).unwrap_or(offset)
}
