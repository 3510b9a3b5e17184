//! `pgvet plan`: a safe change of a table's primary key or of a unique key, planned from pgvet's
//! schema model as an expand/contract sequence. Forward files (pre-flight, backup, backfill,
//! NOT NULL, expand, contract) and rollback files that restore the previous keys exactly; each
//! file idempotent, with `lock_timeout`, concurrent builds outside transactions, and a guard that
//! drops an INVALID leftover of a failed build before retrying. The compatibility matrix says, for
//! the code before and after its change, what each schema phase does to its ON CONFLICT (the
//! 42P10 / 23505 pgvet predicts, from its own rules). Pure: no I/O.
use pgvet_catalog::{Catalog, ConstraintKind, Index, IndexKey, QName, Table};
use pgvet_syntax::quote_ident;

pub mod matrix;

/// What to change.
#[derive(Debug, Clone)]
pub enum Target {
    /// The primary key of this table.
    PrimaryKey(String),
    /// This unique index or unique constraint.
    Unique(String),
}

#[derive(Debug, Clone)]
pub struct Request {
    pub target: Target,
    /// The new key: column names or expressions, in order.
    pub columns: Vec<String>,
    /// SQL expression (over the row) for new key columns that are NULL today.
    pub backfill: Option<String>,
}

/// A migration file of the plan.
#[derive(Debug, Clone)]
pub struct File {
    /// `01_backup.sql`
    pub name: String,
    pub sql: String,
    /// Whether it must run outside a transaction (concurrent index builds, batched backfill).
    pub no_transaction: bool,
    /// The schema phase reached once it has run (`expanded`, `contracted`), if it changes one.
    pub phase: Option<Phase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Before,
    Expanded,
    Contracted,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Before => "before",
            Phase::Expanded => "expanded",
            Phase::Contracted => "contracted",
        }
    }
}

/// The plan: what changes, the files, and the key before and after (as ON CONFLICT targets).
#[derive(Debug, Clone)]
pub struct Plan {
    pub table: QName,
    /// `table` as SQL (quoted, qualified).
    pub table_sql: String,
    pub primary_key: bool,
    /// The key today: its name (index or constraint) and its ON CONFLICT target.
    pub old_name: String,
    pub old_target: Vec<String>,
    pub new_name: String,
    pub new_target: Vec<String>,
    /// New key columns that may be NULL today.
    pub nullable: Vec<String>,
    pub forward: Vec<File>,
    pub rollback: Vec<File>,
}

fn sql_name(q: &QName) -> String {
    format!("{}.{}", quote_ident(&q.schema), quote_ident(&q.name))
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A key element as SQL: a column name quoted, an expression in parentheses.
fn element(e: &str) -> String {
    if e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        quote_ident(e)
    } else if e.starts_with('"') && e.ends_with('"') {
        e.to_string()
    } else {
        format!("({e})")
    }
}

/// Splits `a, b, COALESCE(c, '')` at top-level commas.
pub fn split_columns(s: &str) -> Vec<String> {
    pgvet_syntax::split_top_level(s)
}

fn find_table<'a>(cat: &'a Catalog, name: &str) -> Result<&'a Table, String> {
    let (schema, n) = name.split_once('.').unwrap_or(("public", name));
    cat.tables.get(&QName::new(schema, n)).ok_or_else(|| format!("table {name} does not exist in the schema pgvet built"))
}

fn index_keys(i: &Index) -> Vec<String> {
    i.keys
        .iter()
        .map(|k| match k {
            IndexKey::Column(c) => c.clone(),
            IndexKey::Expression(e) => e.clone(),
        })
        .collect()
}

/// `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS name ON table USING method (keys) ...`
fn create_index(
    name: &str,
    table: &str,
    method: &str,
    keys: &[String],
    include: &[String],
    predicate: Option<&str>,
    nulls_not_distinct: bool,
) -> String {
    let mut s = format!(
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {table} USING {method} ({})",
        quote_ident(name),
        keys.iter().map(|k| element(k)).collect::<Vec<_>>().join(", ")
    );
    if !include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", include.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ")));
    }
    if nulls_not_distinct {
        s.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(p) = predicate {
        s.push_str(&format!(" WHERE {p}"));
    }
    s.push(';');
    s
}

/// Drops an INVALID index of this name (left by a failed concurrent build) so the build can run
/// again; a valid one is kept. The DROP is not concurrent (it cannot run in a DO block): it takes
/// ACCESS EXCLUSIVE for a moment, under the file's lock_timeout.
fn drop_invalid(schema: &str, name: &str) -> String {
    format!(
        "DO $$\nBEGIN\n  IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace\n             WHERE n.nspname = {} AND c.relname = {} AND NOT i.indisvalid) THEN\n    EXECUTE {};\n  END IF;\nEND $$;",
        literal(schema),
        literal(name),
        literal(&format!("DROP INDEX {}.{}", quote_ident(schema), quote_ident(name)))
    )
}

/// One transaction that drops primary key `drop` (if it is there) and, when the table has none,
/// adds `add` on the valid unique index `index`: a moment's ACCESS EXCLUSIVE, no scan; a rerun
/// does nothing.
fn swap_primary_key(table_sql: &str, drop: &str, add: &str, index: &str) -> String {
    let treg = literal(table_sql);
    format!(
        "DO $$\nBEGIN\n  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = {treg}::regclass AND conname = {}) THEN\n    ALTER TABLE {table_sql} DROP CONSTRAINT {};\n  END IF;\n  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = {treg}::regclass AND contype = 'p') THEN\n    ALTER TABLE {table_sql} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {};\n  END IF;\nEND $$;\n",
        literal(drop),
        quote_ident(drop),
        quote_ident(add),
        quote_ident(index)
    )
}

const LOCK: &str =
    "SET lock_timeout = '5s';  -- wait at most 5 s for a lock, then fail (rerun later) rather than queue every query behind this one";
const NO_TX: &str = "-- pgvet: no-transaction (run it outside a transaction block: psql -f, or your runner's no-transaction mode)";

pub fn plan(cat: &Catalog, req: &Request) -> Result<Plan, String> {
    if req.columns.is_empty() {
        return Err("--columns names no column".into());
    }
    // The key today.
    let (t, old_index, old_constraint): (&Table, Option<&Index>, Option<String>) = match &req.target {
        Target::PrimaryKey(table) => {
            let t = find_table(cat, table)?;
            let pk =
                t.constraints.iter().find(|c| c.kind == ConstraintKind::PrimaryKey).ok_or_else(|| format!("{table} has no primary key"))?;
            let idx = pk.index.as_ref().and_then(|i| cat.indexes.get(&QName::new(t.name.schema.as_str(), i.as_str())));
            (t, idx, Some(pk.name.clone()))
        }
        Target::Unique(name) => {
            let (schema, n) = name.split_once('.').unwrap_or(("public", name));
            let idx = cat.indexes.get(&QName::new(schema, n)).or_else(|| {
                // a unique constraint's name: its index has the same name
                cat.tables
                    .values()
                    .flat_map(|t| t.constraints.iter().map(move |c| (t, c)))
                    .find(|(_, c)| c.name == n && c.kind == ConstraintKind::Unique)
                    .and_then(|(t, c)| c.index.as_ref().and_then(|i| cat.indexes.get(&QName::new(t.name.schema.as_str(), i.as_str()))))
            });
            let idx = idx
                .filter(|i| i.unique && !i.primary)
                .ok_or_else(|| format!("{name} is not a unique index or unique constraint in the schema pgvet built"))?;
            let t = cat.tables.get(&idx.table).ok_or_else(|| format!("the table of {name} is not in the schema"))?;
            (t, Some(idx), idx.constraint.clone())
        }
    };
    let primary = matches!(req.target, Target::PrimaryKey(_));
    let table_sql = sql_name(&t.name);
    let schema = t.name.schema.clone();
    let old_target: Vec<String> = match (old_index, &old_constraint) {
        (Some(i), _) => index_keys(i),
        (None, Some(c)) => t.constraint(c).map(|c| c.columns.clone()).unwrap_or_default(),
        _ => Vec::new(),
    };
    if old_target.is_empty() {
        return Err(format!("pgvet does not know the columns of the current key of {}", table_sql));
    }
    for c in &req.columns {
        let is_column = c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if is_column && t.column(c).is_none() {
            return Err(format!("{table_sql} has no column {c}"));
        }
        if primary && !is_column {
            return Err(format!("a primary key is made of columns, not expressions: `{c}`"));
        }
    }
    if primary {
        let refs: Vec<String> = cat
            .tables
            .values()
            .flat_map(|o| o.constraints.iter().map(move |c| (o, c)))
            .filter(|(_, c)| c.foreign_key.as_ref().is_some_and(|fk| fk.table == t.name))
            .map(|(o, c)| format!("{} ({})", c.name, sql_name(&o.name)))
            .collect();
        if !refs.is_empty() {
            return Err(format!(
                "foreign keys reference the primary key of {table_sql}: {}. Dropping it needs them re-pointed first; pgvet does not plan that yet",
                refs.join(", ")
            ));
        }
    }
    let nullable: Vec<String> = req.columns.iter().filter(|c| t.column(c).is_some_and(|col| !col.not_null)).cloned().collect();
    let tname = &t.name.name;
    let new_name = if primary {
        pgvet_catalog::names::make_object_name(tname, Some(&pgvet_catalog::names::name_addition(&req.columns)), Some("pkey"))
    } else {
        let cols: Vec<String> =
            req.columns.iter().filter(|c| c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')).cloned().collect();
        pgvet_catalog::names::make_object_name(tname, Some(&pgvet_catalog::names::name_addition(&cols)), Some("key"))
    };
    let old_name = old_index.map(|i| i.name.name.clone()).or(old_constraint.clone()).unwrap_or_default();
    if new_name == old_name {
        return Err(format!("the new key would take the name of the old one ({new_name}); choose other columns"));
    }
    let key_sql = |cols: &[String]| cols.iter().map(|c| element(c)).collect::<Vec<_>>().join(", ");
    let row = |cols: &[String], alias: &str| {
        format!(
            "ROW({})::text",
            cols.iter()
                .map(|c| if alias.is_empty() { element(c) } else { format!("{alias}.{}", element(c)) })
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    // Pre-flight: each check is one query returning (count, examples).
    let backfilled = |c: &String| match (&req.backfill, nullable.contains(c)) {
        (Some(b), true) => format!("COALESCE({}, {b})", element(c)),
        _ => element(c),
    };
    let new_after_backfill: Vec<String> = req.columns.iter().map(backfilled).collect();
    let mut pre = format!(
        "-- pgvet plan: {} of {table_sql}: ({}) -> ({})\n-- Pre-flight, read-only: `pgvet preflight DIR --database-url URL` runs each check and says what blocks.\n-- Each check is `-- check: id | blocks / blocks-unless-backfilled / warns / info | what` and one query returning (count, examples).\n",
        if primary { "primary key" } else { "unique key" },
        key_sql(&old_target),
        key_sql(&req.columns)
    );
    for c in &nullable {
        let kind = if !primary {
            "warns"
        } else if req.backfill.is_some() {
            "info"
        } else {
            "blocks-unless-backfilled"
        };
        let what = if primary {
            if req.backfill.is_some() {
                "NULLs in a new key column (the backfill fills them)"
            } else {
                "NULLs in a new key column: a primary key needs NOT NULL (give --backfill)"
            }
        } else {
            "NULLs in a new key column (a unique index lets NULLs repeat: those rows are not kept unique)"
        };
        pre.push_str(&format!(
            "-- check: nulls-{c} | {kind} | {what}\nSELECT count(*), (array_agg({}))[1:5] FROM {table_sql} WHERE {} IS NULL;\n",
            row(&old_target, ""),
            element(c)
        ));
    }
    pre.push_str(&format!(
        "-- check: duplicates-new-key | blocks | rows that share the new key{} (the unique build would fail with 23505)\nSELECT count(*), (array_agg(k))[1:5] FROM (SELECT ROW({})::text AS k FROM {table_sql} GROUP BY {} HAVING count(*) > 1) d;\n",
        if req.backfill.is_some() { " once backfilled" } else { "" },
        new_after_backfill.join(", "),
        new_after_backfill.join(", ")
    ));
    pre.push_str(&format!(
        "-- check: rollback-blockers | warns | old keys that already repeat (across tenants): the rollback could not restore the old key\nSELECT count(*), (array_agg(k))[1:5] FROM (SELECT ROW({})::text AS k FROM {table_sql} GROUP BY {} HAVING count(*) > 1) d;\n",
        key_sql(&old_target),
        key_sql(&old_target)
    ));
    pre.push_str(
        "-- check: long-transactions | warns | transactions open for over 5 minutes: the key swap waits for their locks\nSELECT count(*), (array_agg(pid::text || ': ' || left(coalesce(query, ''), 60)))[1:5] FROM pg_stat_activity WHERE xact_start < now() - interval '5 minutes' AND pid <> pg_backend_pid();\n",
    );
    pre.push_str(&format!(
        "-- check: table-size | info | rows (estimate) and total size\nSELECT reltuples::bigint, ARRAY[pg_size_pretty(pg_total_relation_size(oid))] FROM pg_class WHERE oid = {}::regclass;\n",
        literal(&table_sql)
    ));
    let mut forward = vec![File { name: "00_preflight.sql".into(), sql: pre, no_transaction: false, phase: None }];
    // Backup: what the rollback needs to undo the backfill (the rows it changes, by their key).
    let backup = pgvet_catalog::names::make_object_name("pgvet_backup", Some(tname), None);
    let backup_sql = format!("{}.{}", quote_ident(&schema), quote_ident(&backup));
    let pk_cols: Vec<String> =
        t.constraints.iter().find(|c| c.kind == ConstraintKind::PrimaryKey).map(|c| c.columns.clone()).unwrap_or_default();
    if req.backfill.is_some() && !nullable.is_empty() {
        if pk_cols.is_empty() {
            return Err(format!(
                "{table_sql} has no primary key to find the backfilled rows by: pgvet cannot plan a rollback of the backfill"
            ));
        }
        forward.push(File {
            name: "01_backup.sql".into(),
            sql: format!(
                "{LOCK}\n-- The rows the backfill will change, by their primary key, so that the rollback can restore them. Taken once: a rerun keeps the first copy.\nCREATE TABLE IF NOT EXISTS {backup_sql} AS SELECT {} FROM {table_sql} WHERE {};\n",
                pk_cols.iter().chain(nullable.iter().filter(|c| !pk_cols.contains(c))).map(|c| quote_ident(c)).collect::<Vec<_>>().join(", "),
                nullable.iter().map(|c| format!("{} IS NULL", quote_ident(c))).collect::<Vec<_>>().join(" OR ")
            ),
            no_transaction: false,
            phase: None,
        });
        let b = req.backfill.as_deref().unwrap_or_default();
        let sets =
            nullable.iter().map(|c| format!("{} = COALESCE({}, {b})", quote_ident(c), quote_ident(c))).collect::<Vec<_>>().join(", ");
        let null_cond = nullable.iter().map(|c| format!("{} IS NULL", quote_ident(c))).collect::<Vec<_>>().join(" OR ");
        forward.push(File {
            name: "02_backfill.sql".into(),
            sql: format!(
                "{NO_TX}\n{LOCK}\nSET statement_timeout = 0;  -- the loop below runs as one statement; each batch is short\n-- In batches of 5000 rows, each committed: row locks are held briefly and a rerun continues where it stopped.\nDO $$\nDECLARE n bigint;\nBEGIN\n  LOOP\n    UPDATE {table_sql} SET {sets} WHERE ctid IN (SELECT ctid FROM {table_sql} WHERE {null_cond} LIMIT 5000);\n    GET DIAGNOSTICS n = ROW_COUNT;\n    EXIT WHEN n = 0;\n    COMMIT;\n  END LOOP;\nEND $$;\n"
            ),
            no_transaction: true,
            phase: None,
        });
    }
    let check_name = |c: &str| pgvet_catalog::names::make_object_name(tname, Some(c), Some("not_null"));
    let treg = literal(&table_sql);
    if primary && !nullable.is_empty() {
        let mut s = format!("{LOCK}\n-- SET NOT NULL without a scan under ACCESS EXCLUSIVE: a NOT VALID check (a moment's lock), validated while writes go on, lets SET NOT NULL skip its scan.\n");
        for c in &nullable {
            let cn = check_name(c);
            s.push_str(&format!(
                "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = {treg}::regclass AND conname = {}) \n     AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = {treg}::regclass AND attname = {} AND NOT attnotnull) THEN\n    ALTER TABLE {table_sql} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID;\n  END IF;\nEND $$;\n",
                literal(&cn),
                literal(c),
                quote_ident(&cn),
                quote_ident(c)
            ));
            s.push_str(&format!(
                "DO $$\nBEGIN\n  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = {treg}::regclass AND conname = {}) THEN\n    ALTER TABLE {table_sql} VALIDATE CONSTRAINT {};\n  END IF;\nEND $$;\nALTER TABLE {table_sql} ALTER COLUMN {} SET NOT NULL;\nALTER TABLE {table_sql} DROP CONSTRAINT IF EXISTS {};\n",
                literal(&cn),
                quote_ident(&cn),
                quote_ident(c),
                quote_ident(&cn)
            ));
        }
        forward.push(File { name: "03_not_null.sql".into(), sql: s, no_transaction: false, phase: None });
    }
    // Expand: the new unique index, built concurrently while the old key still holds.
    let (method, include, predicate, nnd) = match old_index {
        Some(i) if !primary => (i.method.clone(), i.include.clone(), i.predicate.clone(), i.nulls_not_distinct),
        _ => ("btree".to_string(), Vec::new(), None, false),
    };
    forward.push(File {
        name: "04_expand.sql".into(),
        sql: format!(
            "{NO_TX}\n{LOCK}\n-- A failed earlier run leaves an INVALID index of this name: drop it so that the build runs again.\n{}\n-- Built while reads and writes go on (SHARE UPDATE EXCLUSIVE); the old key keeps holding meanwhile.\n{}\n",
            drop_invalid(&schema, &new_name),
            create_index(&new_name, &table_sql, &method, &req.columns, &include, predicate.as_deref(), nnd)
        ),
        no_transaction: true,
        phase: Some(Phase::Expanded),
    });
    // Contract: after every code site uses the new key.
    let contract = if primary {
        let old = old_constraint.clone().unwrap_or_default();
        format!(
            "{LOCK}\n-- Run once every code site uses the new key (see the compatibility matrix). The primary key is swapped in one transaction, a moment's ACCESS EXCLUSIVE and no scan: the index is built and valid.\n{}",
            swap_primary_key(&table_sql, &old, &new_name, &new_name)
        )
    } else if let Some(c) = &old_constraint {
        format!(
            "{LOCK}\n-- Run once every code site uses the new key (see the compatibility matrix).\nALTER TABLE {table_sql} DROP CONSTRAINT IF EXISTS {};\n",
            quote_ident(c)
        )
    } else {
        format!(
            "{NO_TX}\n{LOCK}\n-- Run once every code site uses the new key (see the compatibility matrix). Dropped concurrently: reads and writes go on.\nDROP INDEX CONCURRENTLY IF EXISTS {}.{};\n",
            quote_ident(&schema),
            quote_ident(&old_name)
        )
    };
    let contract_no_tx = !primary && old_constraint.is_none();
    forward.push(File { name: "05_contract.sql".into(), sql: contract, no_transaction: contract_no_tx, phase: Some(Phase::Contracted) });

    // Rollback: the previous keys, exactly (names included), then the columns and the data.
    let mut rollback = Vec::new();
    let old_idx_name = old_index.map(|i| i.name.name.clone()).unwrap_or_else(|| old_name.clone());
    let (omethod, oinclude, opred, onnd) = old_index
        .map(|i| (i.method.clone(), i.include.clone(), i.predicate.clone(), i.nulls_not_distinct))
        .unwrap_or(("btree".into(), Vec::new(), None, false));
    rollback.push(File {
        name: "01_restore_old_key.sql".into(),
        sql: format!(
            "{NO_TX}\n{LOCK}\n-- The old key's index, under its old name, built concurrently (an INVALID leftover of a failed run is dropped first).\n{}\n{}\n",
            drop_invalid(&schema, &old_idx_name),
            create_index(&old_idx_name, &table_sql, &omethod, &old_target, &oinclude, opred.as_deref(), onnd)
        ),
        no_transaction: true,
        phase: Some(Phase::Expanded),
    });
    let swap_back = if primary {
        let old = old_constraint.clone().unwrap_or_default();
        format!(
            "{LOCK}\n-- Back to the old primary key (one transaction, no scan), then the new key's index goes.\n{}DROP INDEX IF EXISTS {}.{};\n",
            swap_primary_key(&table_sql, &new_name, &old, &old_idx_name),
            quote_ident(&schema),
            quote_ident(&new_name)
        )
    } else {
        let mut s = format!("{NO_TX}\n{LOCK}\n");
        if let Some(c) = &old_constraint {
            s.push_str(&format!(
                "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = {treg}::regclass AND conname = {}) THEN\n    ALTER TABLE {table_sql} ADD CONSTRAINT {} UNIQUE USING INDEX {};\n  END IF;\nEND $$;\n",
                literal(c),
                quote_ident(c),
                quote_ident(&old_idx_name)
            ));
        }
        s.push_str(&format!("DROP INDEX CONCURRENTLY IF EXISTS {}.{};\n", quote_ident(&schema), quote_ident(&new_name)));
        s
    };
    rollback.push(File { name: "02_swap_back.sql".into(), sql: swap_back, no_transaction: !primary, phase: Some(Phase::Before) });
    if primary && !nullable.is_empty() {
        let mut s = format!("{LOCK}\n-- The new key's columns were nullable before.\n");
        for c in &nullable {
            s.push_str(&format!("ALTER TABLE {table_sql} ALTER COLUMN {} DROP NOT NULL;\n", quote_ident(c)));
        }
        rollback.push(File { name: "03_drop_not_null.sql".into(), sql: s, no_transaction: false, phase: None });
    }
    if req.backfill.is_some() && !nullable.is_empty() {
        let join = pk_cols.iter().map(|c| format!("t.{} = b.{}", quote_ident(c), quote_ident(c))).collect::<Vec<_>>().join(" AND ");
        let sets = nullable
            .iter()
            .filter(|c| !pk_cols.contains(c))
            .map(|c| format!("{} = b.{}", quote_ident(c), quote_ident(c)))
            .collect::<Vec<_>>()
            .join(", ");
        rollback.push(File {
            name: "04_undo_backfill.sql".into(),
            sql: format!(
                "{LOCK}\n-- The rows the backfill changed get their old values back (from {backup_sql}, which this keeps: drop it once you are sure).\nUPDATE {table_sql} AS t SET {sets} FROM {backup_sql} AS b WHERE {join};\n"
            ),
            no_transaction: false,
            phase: None,
        });
    }
    Ok(Plan {
        table: t.name.clone(),
        table_sql,
        primary_key: primary,
        old_name,
        old_target,
        new_name,
        new_target: req.columns.clone(),
        nullable,
        forward,
        rollback,
    })
}

/// The Prisma calls that look a row of the planned table up by its old key (`where: { agentId }`,
/// or the compound `where: { a_b: ... }`) in an upsert, findUnique, update or delete: Prisma
/// rejects that `where` once the old key is gone from the schema. `(path, line)`, in order.
pub fn prisma_where_sites(sources: &[pgvet_syntax::SourceFile], plan: &Plan) -> Vec<(String, usize)> {
    use pgvet_linter::code::{prisma_model, prisma_models, CodeFile};
    let code: Vec<CodeFile> = sources.iter().enumerate().map(|(i, f)| CodeFile::new(i, pgvet_code::extract(&f.path, &f.text))).collect();
    let models = prisma_models(&code);
    let Some(model) = models.iter().find(|m| m.table == plan.table.name) else { return Vec::new() };
    let field_of = |col: &String| model.fields.iter().find(|f| &f.column == col).map(|f| f.name.clone());
    let Some(fields) = plan.old_target.iter().map(field_of).collect::<Option<Vec<String>>>() else { return Vec::new() };
    let key = fields.join("_");
    let mut out = Vec::new();
    for cf in &code {
        for site in &cf.extraction.sites {
            let pgvet_code::Call::Prisma(p) = &site.call else { continue };
            if !matches!(p.op.as_str(), "upsert" | "findUnique" | "findUniqueOrThrow" | "update" | "delete") {
                continue;
            }
            if prisma_model(&models, &p.model).is_none_or(|(t, _)| t.name != plan.table.name) {
                continue;
            }
            if p.args.iter().any(|(k, values)| k == "where" && values.iter().any(|v| v.column == key)) {
                let f = &sources[cf.file];
                out.push((f.path.clone(), f.line_col(p.op_span.start).line));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgvet_syntax::SourceFile;

    fn catalog(sql: &str) -> Catalog {
        let f = pgvet_linter::MigrationFile { source: SourceFile::new("m.sql", sql), transactional: true, host: None, reruns: true };
        pgvet_linter::analyze(vec![f], Catalog::new(), &pgvet_linter::Settings::default()).catalog
    }

    const HB: &str = "CREATE TABLE org_studio_heartbeats (agent_id text PRIMARY KEY, workspace_id text, seen_at timestamptz);";

    fn key(table: &str, cols: &str) -> Request {
        Request { target: Target::PrimaryKey(table.into()), columns: split_columns(cols), backfill: Some("'w'".into()) }
    }

    #[test]
    fn a_primary_key_plan_has_every_step_and_its_rollback() {
        let p = plan(&catalog(HB), &key("org_studio_heartbeats", "workspace_id, agent_id")).unwrap();
        let names: Vec<&str> = p.forward.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["00_preflight.sql", "01_backup.sql", "02_backfill.sql", "03_not_null.sql", "04_expand.sql", "05_contract.sql"]);
        let rb: Vec<&str> = p.rollback.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(rb, ["01_restore_old_key.sql", "02_swap_back.sql", "03_drop_not_null.sql", "04_undo_backfill.sql"]);
        assert_eq!(p.new_name, "org_studio_heartbeats_workspace_id_agent_id_pkey");
        assert!(p.forward.iter().all(|f| f.name == "00_preflight.sql" || f.sql.contains("lock_timeout")));
        assert!(
            p.forward[4].no_transaction
                && p.forward[4].sql.contains("CONCURRENTLY IF NOT EXISTS")
                && p.forward[4].sql.contains("NOT i.indisvalid")
        );
        assert!(p.forward[5].sql.contains("PRIMARY KEY USING INDEX"));
        assert_eq!(split_columns("a, COALESCE(b, ','), c"), ["a", "COALESCE(b, ',')", "c"]);
    }

    #[test]
    fn what_it_refuses() {
        let cat = catalog(&format!("{HB}\nCREATE TABLE pings (id int PRIMARY KEY, agent_id text REFERENCES org_studio_heartbeats);"));
        let e = plan(&cat, &key("org_studio_heartbeats", "workspace_id,agent_id")).unwrap_err();
        assert!(e.contains("foreign keys reference the primary key") && e.contains("pings"), "{e}");
        assert!(plan(&cat, &key("org_studio_heartbeats", "tenant,agent_id")).unwrap_err().contains("has no column tenant"));
        assert!(plan(&cat, &key("nope", "a")).unwrap_err().contains("does not exist"));
        let u = Request { target: Target::Unique("nope_key".into()), columns: vec!["a".into()], backfill: None };
        assert!(plan(&cat, &u).unwrap_err().contains("is not a unique index"));
    }

    #[test]
    fn prisma_lookups_by_the_old_key() {
        let p = plan(&catalog(HB), &key("org_studio_heartbeats", "workspace_id,agent_id")).unwrap();
        let prisma = "model Heartbeat {\n  agentId String @id @map(\"agent_id\")\n  workspaceId String? @map(\"workspace_id\")\n  seenAt DateTime? @map(\"seen_at\")\n  @@map(\"org_studio_heartbeats\")\n}\n";
        let ts = "export async function beat(prisma, a, w) {\n  await prisma.heartbeat.upsert({ where: { agentId: a }, create: { agentId: a, workspaceId: w }, update: {} });\n  await prisma.heartbeat.findMany({ where: { agentId: a } });\n}\n";
        let sources = [SourceFile::new("schema.prisma", prisma), SourceFile::new("beat.ts", ts)];
        assert_eq!(prisma_where_sites(&sources, &p), vec![("beat.ts".to_string(), 2)]);
    }
}
