//! A race case from a finding: the statements each actor sends (as the application or ORM sends
//! them: autocommit or one transaction, Prisma's SELECT-then-INSERT), the value the application
//! computes between them (`{read}`), seed rows that make the race possible (NOT NULL columns,
//! foreign-key parents), the witness schedule, the query that reads the final state, and the
//! rule's suggested fixes as actors of their own. Pure: no connection here.
use pgvet_catalog::{Catalog, ConstraintKind, IndexKey, QName, Table};
use pgvet_db::race::{Step, When};
use pgvet_linter::race::{Race, RaceSite};
use pgvet_syntax::quote_ident;

/// Two (or more) actors and everything needed to run them.
#[derive(Debug, Clone)]
pub struct Case {
    /// Statements that create the rows the race needs, parents first.
    pub seed: Vec<String>,
    pub actors: Vec<Actor>,
    /// The interleaving the finding describes.
    pub witness: Vec<usize>,
    /// A query whose one text value is the final state the race is about.
    pub state: String,
    /// What the state means (`used_tokens of user_usage (user_id = ...)`).
    pub state_label: String,
    /// The SQLSTATEs that are the bug when an application actor gets them.
    pub errors: &'static [&'static str],
    pub fixes: Vec<FixCase>,
    /// How the application sends the statements, for the reader.
    pub transport: String,
    /// What pgvet modelled instead of running the application's own code, when anything.
    pub model: Option<String>,
}

/// One actor: the application (`app`), or another session the race needs (a deleter).
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub steps: Vec<Step>,
    /// Runs the application's code path (its errors are the bug); else a concurrent session.
    pub app: bool,
}

/// A suggested fix: the same race with other statements.
#[derive(Debug, Clone)]
pub struct FixCase {
    pub description: String,
    pub actors: Vec<Actor>,
    /// The rule suggests it; else a common fix shown for comparison (its verdict says why not).
    pub suggested: bool,
}

/// Why no case could be built (shown as `inconclusive`).
pub type NoCase = String;

fn table_sql(q: &QName) -> String {
    format!("{}.{}", quote_ident(&q.schema), quote_ident(&q.name))
}

fn numeric(ty: &str) -> bool {
    !ty.ends_with("[]") && ["smallint", "integer", "bigint", "numeric", "real", "double precision"].iter().any(|t| ty.starts_with(t))
}

fn textual(ty: &str) -> bool {
    !ty.ends_with("[]") && ["text", "character varying", "character", "citext", "name", "varchar"].iter().any(|t| ty.starts_with(t))
}

/// A literal of `ty`, distinct for each `n`.
fn literal(cat: &Catalog, ty: &str, n: usize) -> Option<String> {
    let ty = ty.trim();
    if ty.ends_with("[]") {
        return Some("'{}'".into());
    }
    // Far from the ids and names a migration's own rows use (a service user with id 1).
    if numeric(ty) {
        return Some(if ty.starts_with("smallint") { 31000 + n } else { 990_000 + n }.to_string());
    }
    if textual(ty) {
        return Some(if ty.starts_with("character(") { format!("'{}'", n % 10) } else { format!("'pgvet-{n}'") });
    }
    let s = match ty {
        "uuid" => format!("'00000000-0000-4000-8000-{n:012}'"),
        "boolean" => "true".into(),
        "date" => format!("'2025-01-{:02}'", 1 + n % 28),
        "json" | "jsonb" => "'{}'".into(),
        "bytea" => "'\\x00'".into(),
        "interval" => "'1 day'".into(),
        "inet" | "cidr" => format!("'10.0.{}.{}'", n / 250, 1 + n % 250),
        t if t.starts_with("timestamp") => format!("'2025-01-{:02} 00:00:00'", 1 + n % 28),
        t if t.starts_with("time") => "'12:00'".into(),
        t => {
            let (schema, name) = t.split_once('.').unwrap_or(("public", t));
            let e = cat.enums.get(&QName::new(schema.trim_matches('"'), name.trim_matches('"')))?;
            format!("'{}'", e.values.first()?.replace('\'', "''"))
        }
    };
    Some(s)
}

/// Builds rows: synthesised values for NOT NULL columns without a default, and parents seeded
/// for NOT NULL foreign keys.
struct Rows<'a> {
    cat: &'a Catalog,
    next: usize,
    seed: Vec<String>,
    seeded: Vec<String>,
}

impl<'a> Rows<'a> {
    fn table(&self, q: &QName) -> Result<&'a Table, NoCase> {
        self.cat.tables.get(q).ok_or_else(|| format!("{q} is not in the schema pgvet replayed"))
    }

    fn fresh(&mut self) -> usize {
        self.next += 1;
        self.next
    }

    /// A new value for column `c` of `t`.
    fn value(&mut self, t: &Table, c: &str) -> Result<(String, String), NoCase> {
        let n = self.fresh();
        let v = literal(self.cat, column_type(t, c)?, n).ok_or_else(|| format!("cannot make up a value for {}.{c}", t.name))?;
        Ok((c.to_string(), v))
    }

    /// The values of a new row of `q`: `fixed` as given, every other required column made up.
    fn values(&mut self, q: &QName, fixed: &[(String, String)], depth: usize) -> Result<Vec<(String, String)>, NoCase> {
        let t = self.table(q)?;
        let mut out: Vec<(String, String)> = fixed.to_vec();
        for c in &t.columns {
            if out.iter().any(|(n, _)| *n == c.name) {
                continue;
            }
            if !c.not_null || c.default.is_some() || c.identity.is_some() || c.generated.is_some() {
                continue;
            }
            let n = self.fresh();
            let v = literal(self.cat, &c.type_name, n).ok_or_else(|| {
                format!("cannot make up a value of type {} for {}.{} (give the rows in a seed file: --seed)", c.type_name, q, c.name)
            })?;
            out.push((c.name.clone(), v));
        }
        // Every foreign key whose columns all have values needs its parent row (composite keys
        // too); a value the application reads at run time (`{read}`) is the race's business.
        for k in t.constraints.iter().filter(|k| k.kind == ConstraintKind::ForeignKey) {
            let Some(key) = k.foreign_key.as_ref() else { continue };
            let parent: Option<Vec<(String, String)>> = k
                .columns
                .iter()
                .zip(&key.columns)
                .map(|(c, pc)| out.iter().find(|(n, v)| n == c && !v.starts_with('{')).map(|(_, v)| (pc.clone(), v.clone())))
                .collect();
            if let Some(parent) = parent {
                if depth > 6 {
                    return Err(format!("the foreign keys from {q} nest too deep to seed (give the rows in a seed file: --seed)"));
                }
                self.insert(&key.table.clone(), &parent, depth + 1)?;
            }
        }
        Ok(out)
    }

    /// Seeds a row of `q` (and its parents).
    fn insert(&mut self, q: &QName, fixed: &[(String, String)], depth: usize) -> Result<(), NoCase> {
        // The same parent row twice (two children of one parent) is seeded once.
        let key = format!("{q} {fixed:?}");
        if self.seeded.contains(&key) {
            return Ok(());
        }
        self.seeded.push(key);
        let vals = self.values(q, fixed, depth)?;
        self.seed.push(insert_sql(q, &vals, ""));
        Ok(())
    }
}

fn insert_sql(q: &QName, vals: &[(String, String)], tail: &str) -> String {
    let cols: Vec<String> = vals.iter().map(|(c, _)| quote_ident(c)).collect();
    let vs: Vec<&str> = vals.iter().map(|(_, v)| v.as_str()).collect();
    if cols.is_empty() {
        return format!("INSERT INTO {} DEFAULT VALUES{tail}", table_sql(q));
    }
    format!("INSERT INTO {} ({}) VALUES ({}){tail}", table_sql(q), cols.join(", "), vs.join(", "))
}

fn filter(vals: &[(String, String)]) -> String {
    vals.iter().map(|(c, v)| format!("{} = {v}", quote_ident(c))).collect::<Vec<_>>().join(" AND ")
}

fn column_type<'a>(t: &'a Table, c: &str) -> Result<&'a str, NoCase> {
    t.column(c).map(|c| c.type_name.as_str()).ok_or_else(|| format!("{}.{c} is not in the schema pgvet replayed", t.name))
}

/// Wraps steps the way the application sends them: in one transaction, or each on its own.
fn wrap(transaction: bool, steps: Vec<Step>) -> Vec<Step> {
    if !transaction {
        return steps;
    }
    let mut out = vec![Step::new("BEGIN")];
    out.extend(steps);
    out.push(Step::new("COMMIT"));
    out
}

/// Both actors run up to their read, then take turns: the interleaving every race rule describes.
fn reads_first(a: &[Step], b: &[Step]) -> Vec<usize> {
    let upto = |s: &[Step]| s.iter().position(|x| x.reads).map(|i| i + 1).unwrap_or(1);
    let (ra, rb) = (upto(a), upto(b));
    let mut out = vec![0; ra];
    out.extend(vec![1; rb]);
    let (mut i, mut j) = (ra, rb);
    while i < a.len() || j < b.len() {
        if i < a.len() {
            out.push(0);
            i += 1;
        }
        if j < b.len() {
            out.push(1);
            j += 1;
        }
    }
    out
}

/// The first actor runs up to its read, the second runs to its end, the first finishes: a row
/// read, then changed under it.
fn read_then_other(a: &[Step], b: &[Step]) -> Vec<usize> {
    let upto = a.iter().position(|x| x.reads).map(|i| i + 1).unwrap_or(1);
    let mut out = vec![0; upto];
    out.extend(vec![1; b.len()]);
    out.extend(vec![0; a.len() - upto]);
    out
}

fn app(name: &str, steps: Vec<Step>) -> Actor {
    Actor { name: name.into(), steps, app: true }
}

/// The unique indexes of `t` made of plain columns, with the predicate of a partial one; whole
/// indexes first.
fn unique_keys(cat: &Catalog, t: &QName) -> Vec<(Vec<String>, Option<String>)> {
    let mut keys: Vec<(Vec<String>, Option<String>)> = cat
        .indexes_of(t)
        .filter(|i| i.unique && i.valid)
        .filter_map(|i| {
            let cols: Option<Vec<String>> =
                i.keys.iter().map(|k| if let IndexKey::Column(c) = k { Some(c.clone()) } else { None }).collect();
            cols.map(|c| (c, i.predicate.clone()))
        })
        .collect();
    keys.sort_by_key(|(_, p)| p.is_some());
    keys
}

/// Two calls that insert the same key: the race counts the rows with it.
fn two_writers(seed: Vec<String>, a: Vec<Step>, b: Vec<Step>, table: &QName, key: &str, fixes: Vec<FixCase>, transport: String) -> Case {
    Case {
        seed,
        witness: reads_first(&a, &b),
        actors: vec![app("A", a), app("B", b)],
        state: format!("SELECT count(*)::text FROM {} WHERE {key}", table_sql(table)),
        state_label: format!("rows of {table} with {key}"),
        errors: &["23505", "40001", "40P01"],
        fixes,
        transport,
        model: None,
    }
}

/// Builds the case for a finding's race.
pub fn build(cat: &Catalog, site: &RaceSite) -> Result<Case, NoCase> {
    let mut rows = Rows { cat, next: 0, seed: Vec::new(), seeded: Vec::new() };
    let tx = site.transaction;
    let client = match site.client {
        "sql" => "a database driver",
        "migration" => "a migration",
        c => c,
    };
    let transport = match (client, tx) {
        ("prisma", _) => "as Prisma's engine sends it: one transaction".to_string(),
        (c, true) => format!("as {c} sends it: one transaction"),
        (c, false) => format!("as {c} sends it: each statement its own transaction"),
    };
    match &site.race {
        Race::LostUpdate { table, column, key } => {
            let t = rows.table(table)?;
            let ty = column_type(t, column)?;
            // The application's change: a counter goes up, a text grows, an array gets an element.
            let (start, next, atomic_expr) = if let Some(elem) = ty.strip_suffix("[]") {
                let e = literal(cat, elem, 99).ok_or_else(|| format!("cannot make up an element of {ty} for {column}"))?;
                ("'{}'".to_string(), format!("array_append({{read}}::{ty}, {e})"), format!("array_append({}, {e})", quote_ident(column)))
            } else if numeric(ty) {
                ("10".to_string(), "{read} + 1".to_string(), format!("{} + 1", quote_ident(column)))
            } else if textual(ty) {
                ("'v'".to_string(), "{read} || '+'".to_string(), format!("{} || '+'", quote_ident(column)))
            } else {
                return Err(format!("the change to {column} ({ty}) is not modelled; counters, text and arrays are"));
            };
            if key.is_empty() {
                return Err("the write's row filter is not known".into());
            }
            let mut keyvals = Vec::new();
            for k in key {
                keyvals.push(rows.value(t, k)?);
            }
            let mut fixed = keyvals.clone();
            fixed.push((column.clone(), start));
            rows.insert(table, &fixed, 0)?;
            let (tb, col, w) = (table_sql(table), quote_ident(column), filter(&keyvals));
            let read = Step::read(format!("SELECT {col} FROM {tb} WHERE {w}"));
            let write = Step::new(format!("UPDATE {tb} SET {col} = {next} WHERE {w}"));
            let bug = wrap(tx, vec![read.clone(), write]);
            let atomic = wrap(tx, vec![Step::new(format!("UPDATE {tb} SET {col} = {atomic_expr} WHERE {w}"))]);
            let locked = wrap(
                true,
                vec![
                    Step::read(format!("SELECT {col} FROM {tb} WHERE {w} FOR UPDATE")),
                    Step::new(format!("UPDATE {tb} SET {col} = {next} WHERE {w}")),
                ],
            );
            Ok(Case {
                seed: rows.seed,
                witness: reads_first(&bug, &bug),
                actors: vec![app("A", bug.clone()), app("B", bug)],
                state: format!("SELECT {col}::text FROM {tb} WHERE {w}"),
                state_label: format!("{column} of {}", table),
                errors: &["40001", "40P01"],
                fixes: vec![
                    FixCase {
                        description: format!("the increment in one statement: UPDATE {tb} SET {col} = {atomic_expr} WHERE ..."),
                        actors: vec![app("A", atomic.clone()), app("B", atomic)],
                        suggested: true,
                    },
                    FixCase {
                        description: "the read locks the row: SELECT ... FOR UPDATE in the same transaction".into(),
                        actors: vec![app("A", locked.clone()), app("B", locked)],
                        suggested: true,
                    },
                ],
                transport,
                model: Some(format!(
                    "the application's change to {column} is modelled as `{}` (pgvet does not run the application's own computation; any change computed from the value read is lost the same way)",
                    next.replace("{read}", "value read")
                )),
            })
        }
        Race::FkReadThenInsert { table, column, parent, parent_column } => {
            let pt = rows.table(parent)?;
            let (_, pval) = rows.value(pt, parent_column)?;
            rows.insert(parent, &[(parent_column.clone(), pval.clone())], 0)?;
            let child_vals = rows.values(table, &[(column.clone(), "{read}".into())], 0)?;
            let (pt_sql, pc) = (table_sql(parent), quote_ident(parent_column));
            let read = Step::read(format!("SELECT {pc} FROM {pt_sql} WHERE {pc} = {pval}"));
            let insert = Step::new(insert_sql(table, &child_vals, "")).when(When::Found);
            let bug = wrap(tx, vec![read, insert]);
            let deleter = Actor {
                name: "B".into(),
                steps: wrap(true, vec![Step::new(format!("DELETE FROM {pt_sql} WHERE {pc} = {pval}"))]),
                app: false,
            };
            let key_share = wrap(
                true,
                vec![
                    Step::read(format!("SELECT {pc} FROM {pt_sql} WHERE {pc} = {pval} FOR KEY SHARE")),
                    Step::new(insert_sql(table, &child_vals, "")).when(When::Found),
                ],
            );
            let one_statement = {
                let cols: Vec<String> = child_vals.iter().map(|(c, _)| quote_ident(c)).collect();
                let vals: Vec<String> = child_vals.iter().map(|(_, v)| if v == "{read}" { format!("p.{pc}") } else { v.clone() }).collect();
                vec![Step::new(format!(
                    "INSERT INTO {} ({}) SELECT {} FROM {pt_sql} p WHERE p.{pc} = {pval}",
                    table_sql(table),
                    cols.join(", "),
                    vals.join(", ")
                ))]
            };
            Ok(Case {
                seed: rows.seed,
                witness: read_then_other(&bug, &deleter.steps),
                actors: vec![app("A", bug), deleter.clone()],
                state: format!("SELECT count(*)::text FROM {} WHERE {} = {pval}", table_sql(table), quote_ident(column)),
                state_label: format!("rows of {table} pointing at the {parent} row"),
                errors: &["23503", "40001", "40P01"],
                fixes: vec![
                    FixCase {
                        description: format!(
                            "the read keeps the parent: SELECT ... FROM {pt_sql} ... FOR KEY SHARE, then the insert, in one transaction"
                        ),
                        actors: vec![app("A", key_share), deleter.clone()],
                        suggested: true,
                    },
                    FixCase {
                        description: format!(
                            "the check and the insert in one statement: INSERT INTO {} ... SELECT ... FROM {pt_sql} WHERE ...",
                            table_sql(table)
                        ),
                        actors: vec![app("A", one_statement), deleter],
                        // A common fix that is not one on its own: the exploration shows why.
                        suggested: false,
                    },
                ],
                transport,
                model: None,
            })
        }
        Race::LookupThenInsert { table, key, sets, same } => {
            let t = rows.table(table)?;
            // Both calls pass the same key (and the unique values the finding says collide);
            // every other column gets each call's own value, as a fresh id would.
            let mut shared: Vec<(String, String)> = Vec::new();
            for c in key.iter().chain(same) {
                if shared.iter().any(|(n, _)| n == c) {
                    continue;
                }
                shared.push(rows.value(t, c)?);
            }
            let keyvals: Vec<(String, String)> = shared.iter().filter(|(c, _)| key.contains(c)).cloned().collect();
            let mut per_actor = Vec::new();
            for _ in 0..2 {
                let mut fixed: Vec<(String, String)> = shared.iter().filter(|(c, _)| sets.contains(c)).cloned().collect();
                for c in sets.iter().filter(|c| !shared.iter().any(|(n, _)| n == *c)) {
                    fixed.push(rows.value(t, c)?);
                }
                per_actor.push(rows.values(table, &fixed, 0)?);
            }
            let tb = table_sql(table);
            let read = Step::read(format!("SELECT 1 FROM {tb} WHERE {} LIMIT 1", filter(&keyvals)));
            let bug = |vals: &[(String, String)]| wrap(tx, vec![read.clone(), Step::new(insert_sql(table, vals, "")).when(When::NotFound)]);
            let (a, b) = (bug(&per_actor[0]), bug(&per_actor[1]));
            // The fix: one INSERT ... ON CONFLICT on a unique key whose values both calls share
            // (the lookup key when it is one).
            let same_cols: Vec<&String> = shared.iter().map(|(c, _)| c).filter(|c| per_actor[0].iter().any(|(n, _)| n == *c)).collect();
            let keys = unique_keys(cat, table);
            let target = keys
                .iter()
                .find(|(k, _)| k.iter().all(|c| key.contains(c)) && k.iter().all(|c| same_cols.contains(&c)))
                .or_else(|| keys.iter().find(|(k, _)| k.iter().all(|c| same_cols.contains(&c))));
            let fixes = target
                .map(|(k, predicate)| {
                    let cols = k.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
                    // A partial unique index is inferred with its predicate.
                    let on = match predicate {
                        Some(p) => format!(" ON CONFLICT ({cols}) WHERE {p} DO NOTHING"),
                        None => format!(" ON CONFLICT ({cols}) DO NOTHING"),
                    };
                    let one = |vals: &[(String, String)]| vec![Step::new(insert_sql(table, vals, &on))];
                    vec![FixCase {
                        description: format!("one statement: INSERT ...{on} (then read the row back)"),
                        actors: vec![app("A", one(&per_actor[0])), app("B", one(&per_actor[1]))],
                        suggested: true,
                    }]
                })
                .unwrap_or_default();
            // The rows that collide are counted by the shared values they carry (the lookup key
            // may not even be inserted: Prisma's upsert by an id that create leaves to a default).
            let carried: Vec<(String, String)> = shared.iter().filter(|(c, _)| per_actor[0].iter().any(|(n, _)| n == c)).cloned().collect();
            let state_key = if carried.is_empty() { filter(&keyvals) } else { filter(&carried) };
            Ok(two_writers(rows.seed, a, b, table, &state_key, fixes, transport))
        }
        Race::OtherUnique { table, target, other, sets, update, lookup } => {
            let t = rows.table(table)?;
            // Rows that differ in the target yet collide on the other key need other columns
            // with equal values; an expression of the target's own columns (`lower(name)`)
            // needs two values pgvet cannot make up.
            if other.iter().all(|c| target.contains(c)) {
                return Err(format!(
                    "the other unique key is an expression of the conflict target's own columns ({}): pgvet cannot make up two values that differ there and collide in the expression",
                    other.join(", ")
                ));
            }
            // Two calls for the same `other` value under different target keys; every other
            // column each call's own value.
            let mut shared = Vec::new();
            for c in sets.iter().filter(|c| other.contains(c)) {
                shared.push(rows.value(t, c)?);
            }
            let mut per_actor = Vec::new();
            for _ in 0..2 {
                let mut own = Vec::new();
                for c in
                    target.iter().filter(|c| !other.contains(c)).chain(sets.iter().filter(|c| !target.contains(c) && !other.contains(c)))
                {
                    own.push(rows.value(t, c)?);
                }
                per_actor.push(own);
            }
            let tb = table_sql(table);
            let statement = |own: &[(String, String)], on: &[String], rows: &mut Rows| -> Result<Vec<Step>, NoCase> {
                let mut inserted: Vec<(String, String)> = own.iter().filter(|(c, _)| sets.contains(c)).cloned().collect();
                inserted.extend(shared.iter().cloned());
                let vals = rows.values(table, &inserted, 0)?;
                let cols = on.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
                let rest: Vec<String> =
                    vals.iter().filter(|(c, _)| !on.contains(c)).map(|(c, _)| format!("{0} = excluded.{0}", quote_ident(c))).collect();
                let action = if *update && !rest.is_empty() { format!("DO UPDATE SET {}", rest.join(", ")) } else { "DO NOTHING".into() };
                Ok(if *lookup && on == target.as_slice() {
                    wrap(
                        true,
                        vec![
                            Step::read(format!(
                                "SELECT 1 FROM {tb} WHERE {} LIMIT 1",
                                filter(&own.iter().chain(&shared).filter(|(c, _)| target.contains(c)).cloned().collect::<Vec<_>>())
                            )),
                            Step::new(insert_sql(table, &vals, "")).when(When::NotFound),
                        ],
                    )
                } else {
                    vec![Step::new(insert_sql(table, &vals, &format!(" ON CONFLICT ({cols}) {action}")))]
                })
            };
            let a = statement(&per_actor[0], target, &mut rows)?;
            let b = statement(&per_actor[1], target, &mut rows)?;
            let fa = statement(&per_actor[0], other, &mut rows)?;
            let fb = statement(&per_actor[1], other, &mut rows)?;
            let other_cols = other.join(", ");
            let state_filter = filter(&shared.iter().filter(|(c, _)| other.contains(c)).cloned().collect::<Vec<_>>());
            let fixes = vec![FixCase {
                description: format!("the conflict target is the key the rows collide on: ON CONFLICT ({other_cols})"),
                actors: vec![app("A", fa), app("B", fb)],
                suggested: true,
            }];
            Ok(two_writers(rows.seed, a, b, table, &state_filter, fixes, transport))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_witness_runs_both_reads_first() {
        let s = |n: usize| (0..n).map(|i| if i == 1 { Step::read("r") } else { Step::new("x") }).collect::<Vec<_>>();
        assert_eq!(reads_first(&s(4), &s(4)), [0, 0, 1, 1, 0, 1, 0, 1]);
        assert_eq!(reads_first(&s(2), &s(3)), [0, 0, 1, 1, 1]);
        assert_eq!(read_then_other(&s(4), &s(3)), [0, 0, 1, 1, 1, 0, 0]);
    }
}

#[cfg(test)]
mod build_tests {
    use super::*;
    use pgvet_linter::analysis::{analyze_project, MigrationFile};
    use pgvet_syntax::SourceFile;

    fn catalog(sql: &str) -> Catalog {
        let m = MigrationFile { source: SourceFile::new("m.sql", sql), transactional: true, host: None, reruns: true };
        analyze_project(vec![m], vec![], pgvet_catalog::Catalog::default(), &Default::default()).catalog
    }

    fn q(name: &str) -> QName {
        QName::new("public", name)
    }

    #[test]
    fn seed_rows_fill_required_columns_and_parents_first() {
        let cat = catalog(
            "CREATE TABLE org (id bigint PRIMARY KEY, name text NOT NULL);
             CREATE TABLE ws (id uuid PRIMARY KEY, org_id bigint NOT NULL REFERENCES org, note text);
             CREATE TABLE usage (ws_id uuid PRIMARY KEY REFERENCES ws, used int NOT NULL DEFAULT 0);",
        );
        let site = RaceSite {
            race: Race::LostUpdate { table: q("usage"), column: "used".into(), key: vec!["ws_id".into()] },
            transaction: false,
            client: "sql",
        };
        let case = build(&cat, &site).unwrap();
        assert_eq!(case.seed.len(), 3, "{:#?}", case.seed);
        assert!(case.seed[0].starts_with("INSERT INTO public.org (id, name) VALUES (99"), "{:#?}", case.seed);
        assert!(
            case.seed[1].starts_with("INSERT INTO public.ws (id, org_id) VALUES ('00000000-"),
            "nullable note left out: {:#?}",
            case.seed
        );
        assert!(case.seed[2].contains("(ws_id, used)") && case.seed[2].ends_with(", 10)"), "{:#?}", case.seed);
        // Autocommit: read, write; both read before either writes.
        assert_eq!(case.actors[0].steps.len(), 2);
        assert_eq!(case.witness, [0, 1, 0, 1]);
        assert!(case.fixes[0].actors[0].steps[0].sql.contains("SET used = used + 1"), "{:#?}", case.fixes[0]);
        assert_eq!(case.fixes[1].actors[0].steps.first().map(|s| s.sql.as_str()), Some("BEGIN"));
    }

    #[test]
    fn composite_foreign_keys_get_their_parent_and_partial_keys_their_predicate() {
        let cat = catalog(
            "CREATE TABLE datasets (id text, project_id text, PRIMARY KEY (id, project_id));
             CREATE TABLE runs (id text PRIMARY KEY, project_id text NOT NULL, dataset_id text NOT NULL, name text NOT NULL,
               FOREIGN KEY (dataset_id, project_id) REFERENCES datasets (id, project_id));
             CREATE UNIQUE INDEX runs_name ON runs (dataset_id, project_id, name);",
        );
        let site = RaceSite {
            race: Race::OtherUnique {
                table: q("runs"),
                target: vec!["id".into()],
                other: vec!["dataset_id".into(), "project_id".into(), "name".into()],
                sets: vec!["id".into(), "project_id".into(), "name".into(), "dataset_id".into()],
                update: false,
                lookup: false,
            },
            transaction: false,
            client: "sql",
        };
        let case = build(&cat, &site).unwrap();
        // One parent row, with both key columns as the runs use them.
        assert_eq!(case.seed.len(), 1, "{:#?}", case.seed);
        assert!(case.seed[0].starts_with("INSERT INTO public.datasets (id, project_id) VALUES ('pgvet-"), "{:#?}", case.seed);
        let cat = catalog(
            "CREATE TABLE v (id text PRIMARY KEY, project_id text NOT NULL, user_id text, name text NOT NULL);
             CREATE UNIQUE INDEX v_user ON v (project_id, user_id, name) WHERE user_id IS NOT NULL;",
        );
        let site = RaceSite {
            race: Race::LookupThenInsert {
                table: q("v"),
                key: vec!["project_id".into(), "user_id".into(), "name".into()],
                sets: vec!["project_id".into(), "user_id".into(), "name".into(), "id".into()],
                same: vec!["project_id".into(), "user_id".into(), "name".into()],
            },
            transaction: false,
            client: "prisma",
        };
        let case = build(&cat, &site).unwrap();
        let fix = &case.fixes[0].actors[0].steps[0].sql;
        assert!(
            fix.contains("ON CONFLICT (project_id, user_id, name) WHERE") && fix.contains("IS NOT NULL") && fix.ends_with("DO NOTHING"),
            "{fix}"
        );
    }

    #[test]
    fn the_upsert_fix_targets_a_unique_key_the_row_sets() {
        let cat = catalog("CREATE TABLE p (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL UNIQUE, n int);");
        // Looked up by id, which the insert does not set: the fix is ON CONFLICT on user_id.
        let site = RaceSite {
            race: Race::LookupThenInsert {
                table: q("p"),
                key: vec!["id".into()],
                sets: vec!["user_id".into(), "n".into()],
                same: vec!["id".into(), "user_id".into()],
            },
            transaction: true,
            client: "prisma",
        };
        let case = build(&cat, &site).unwrap();
        assert_eq!(
            case.actors[0].steps.iter().map(|s| s.when).collect::<Vec<_>>(),
            [When::Always, When::Always, When::NotFound, When::Always]
        );
        assert_eq!(case.witness, [0, 0, 1, 1, 0, 1, 0, 1]);
        assert!(case.fixes[0].actors[0].steps[0].sql.ends_with("ON CONFLICT (user_id) DO NOTHING"), "{:#?}", case.fixes);
        // The shared user id in both inserts, each call's own n.
        let (a, b) = (&case.actors[0].steps[2].sql, &case.actors[1].steps[2].sql);
        assert!(a.contains("(user_id, n)") && a[..a.rfind(',').unwrap()] == b[..b.rfind(',').unwrap()] && a != b, "{a}\n{b}");
        // A column type pgvet cannot make a value for is a reason, not a guess.
        let cat = catalog("CREATE TABLE g (id int PRIMARY KEY, shape point NOT NULL, n int NOT NULL);");
        let site = RaceSite {
            race: Race::LostUpdate { table: q("g"), column: "n".into(), key: vec!["id".into()] },
            transaction: false,
            client: "sql",
        };
        let err = build(&cat, &site).unwrap_err();
        assert!(err.contains("type point") && err.contains("--seed"), "{err}");
    }
}
