//! What a race finding is about, as plain data, for `pgvet prove` (issue 14): the tables and
//! columns involved and how the application sends its statements. Rules fill it in; the prover
//! turns it into actors, seed rows and schedules. No behaviour here.
use pgvet_catalog::QName;
use serde::Serialize;

/// The race a finding describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Race {
    /// `column` of `table` is read by `key`, changed in the application and written back.
    LostUpdate { table: QName, column: String, key: Vec<String> },
    /// `column` of `table` is inserted from a `parent` row's `parent_column` read earlier.
    FkReadThenInsert { table: QName, column: String, parent: QName, parent_column: String },
    /// `table` is looked up by `key` and inserted (setting `sets`) when nothing was found; two
    /// concurrent calls give `same` (the key and the unique columns the rule says collide) the
    /// same values, every other column its own.
    LookupThenInsert { table: QName, key: Vec<String>, sets: Vec<String>, same: Vec<String> },
    /// An insert of `sets` into `table` that handles conflicts on `target` only, while `other`
    /// is unique too (`update`: DO UPDATE, else DO NOTHING; `lookup`: Prisma's emulated upsert,
    /// a SELECT by `target` then an INSERT).
    OtherUnique { table: QName, target: Vec<String>, other: Vec<String>, sets: Vec<String>, update: bool, lookup: bool },
}

/// A race finding's site: the race, and how the application runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaceSite {
    pub race: Race,
    /// The statements run in one transaction (a Drizzle `tx`, a `BEGIN`, Prisma's engine
    /// around an emulated upsert); else each is its own (autocommit, as Supabase and a pool's
    /// `query` send them).
    pub transaction: bool,
    /// Who sends the statements: `supabase`, `drizzle`, `prisma` or `sql` (a driver).
    pub client: &'static str,
}

/// Who sends a code site's statements, and whether they run in a transaction.
pub fn runner_of(text: &str, x: &pgvet_code::Extraction, site: usize) -> (&'static str, bool) {
    let s = &x.sites[site];
    let (client, receiver) = match &s.call {
        pgvet_code::Call::Builder(b) if b.library == pgvet_code::Library::Drizzle => ("drizzle", b.client.as_str()),
        pgvet_code::Call::Builder(b) => ("supabase", b.client.as_str()),
        pgvet_code::Call::Rpc(r) => ("supabase", r.client.as_str()),
        pgvet_code::Call::Prisma(_) => ("prisma", ""),
        pgvet_code::Call::Sql(_) => ("sql", ""),
    };
    let Some(func) = s.function.and_then(|f| x.functions.get(f)) else { return (client, false) };
    let body = text.get(func.span.range()).unwrap_or("");
    (client, in_transaction(body, func.span.start, s.span.start, receiver))
}

/// Whether the code site at byte `at` of a function's `body` (starting at `body_start`) runs in a
/// transaction: a transaction callback (`.transaction(`, `$transaction(`, `db.begin(`), a
/// `BEGIN` sent before it, or a transaction client (`tx`, `trx`).
pub fn in_transaction(body: &str, body_start: usize, at: usize, client: &str) -> bool {
    let before = body.get(..at.saturating_sub(body_start).min(body.len())).unwrap_or("");
    let lower = before.to_ascii_lowercase();
    matches!(client.trim(), "tx" | "trx" | "transaction")
        || [".transaction(", "$transaction(", ".begin(", "'begin'", "\"begin\"", "`begin`", ".begin()", "begin_transaction"]
            .iter()
            .any(|p| lower.contains(p))
}
