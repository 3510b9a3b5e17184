//! What live mode reads from a database besides its schema: plain data that the db crate fills
//! and the linter's live findings consume (so neither depends on the other).

/// An index the server marks INVALID (a failed concurrent build).
#[derive(Debug, Clone, Default)]
pub struct InvalidIndex {
    /// `schema.table`, `schema.index`
    pub table: String,
    pub index: String,
    pub unique: bool,
    pub definition: String,
    /// For a unique one: the groups of rows that share its key (what made the build fail), and a
    /// few of the keys; None when not counted.
    pub duplicate_groups: Option<i64>,
    pub duplicate_examples: Vec<String>,
}

/// Rows whose reference has no parent row: under a NOT VALID foreign key, or (`inferred`) in a
/// `<name>_id` column without one whose name points at the table.
#[derive(Debug, Clone, Default)]
pub struct Orphans {
    /// `schema.table`
    pub table: String,
    /// The foreign key (empty when inferred).
    pub constraint: String,
    /// `schema.table` it references
    pub references: String,
    pub columns: Vec<String>,
    pub inferred: bool,
    /// How many rows (None when the count did not finish: `error` says why).
    pub count: Option<i64>,
    /// A few of the keys, as the server prints them.
    pub examples: Vec<String>,
    pub error: Option<String>,
}

/// The rows a NOT VALID CHECK constraint does not hold for.
#[derive(Debug, Clone, Default)]
pub struct CheckViolations {
    pub table: String,
    pub constraint: String,
    pub expression: String,
    pub count: Option<i64>,
    pub error: Option<String>,
}

/// A table's size and how often it was read in full, from the server's statistics.
#[derive(Debug, Clone, Default)]
pub struct TableStats {
    /// `schema.table`
    pub table: String,
    /// The planner's row estimate (`reltuples`; -1 before the first ANALYZE).
    pub rows: f64,
    pub seq_scans: i64,
    pub bytes: i64,
}

/// Everything live mode read besides the schema.
#[derive(Debug, Clone, Default)]
pub struct LiveFacts {
    /// `(relation, message)` for each difference between the migrations and the live database.
    pub drift: Vec<(String, String)>,
    pub invalid_indexes: Vec<InvalidIndex>,
    pub orphans: Vec<Orphans>,
    pub check_violations: Vec<CheckViolations>,
    pub tables: Vec<TableStats>,
}
