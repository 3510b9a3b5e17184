//! The server's answers for grading pgvet ("the server is the judge"), on a database the
//! migrations were replayed into: what PREPARE (and, for an upsert, planning) says of a
//! statement; what the function validator and plpgsql_check say of every function body; and,
//! for every foreign key, whether an index serves its lookups. Nothing here changes the
//! database: every probe runs in a transaction that is rolled back.
use postgres::Client;

use crate::replay::db_message;

/// The server's verdict on one statement: None when it accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub sqlstate: String,
    pub message: String,
}

fn verdict(e: &postgres::Error) -> Verdict {
    match e.as_db_error() {
        Some(d) => Verdict { sqlstate: d.code().code().to_string(), message: d.message().to_string() },
        None => Verdict { sqlstate: "08000".into(), message: db_message(e) },
    }
}

/// PREPAREs `sql` (its `$n` parameters of the given types, or of types the server infers), and
/// for an INSERT ... ON CONFLICT also plans it (`EXPLAIN EXECUTE` with NULL arguments), where
/// the arbiter is chosen and 42P10 raised. Rolled back either way.
pub fn prepare(client: &mut Client, sql: &str, param_types: &[String], upsert: bool) -> Result<Option<Verdict>, String> {
    client.batch_execute("BEGIN").map_err(|e| db_message(&e))?;
    // A parameter whose type nothing determines (`$1 IS NULL`) is one a driver sends as text:
    // declared so, and tried again.
    let mut types: Vec<String> = param_types.to_vec();
    let mut result;
    loop {
        let list = if types.is_empty() { String::new() } else { format!("({})", types.join(", ")) };
        result = match client.batch_execute(&format!("PREPARE pgvet_oracle{list} AS {sql}")) {
            Err(e) => Some(verdict(&e)),
            Ok(()) => None,
        };
        let undetermined = result
            .as_ref()
            .filter(|v| v.sqlstate == "42P18")
            .and_then(|v| v.message.rsplit('$').next().and_then(|n| n.trim().parse::<usize>().ok()));
        match undetermined {
            Some(n) if (1..=100).contains(&n) && types.get(n - 1).is_none_or(|t| t == "unknown") => {
                client.batch_execute("ROLLBACK; BEGIN").map_err(|e| db_message(&e))?;
                while types.len() < n {
                    types.push("unknown".into());
                }
                types[n - 1] = "text".into();
            }
            _ => break,
        }
    }
    if result.is_none() && upsert {
        let n: i64 = client
            .query_one(
                "SELECT coalesce(array_length(parameter_types, 1), 0)::int8 FROM pg_prepared_statements WHERE name = 'pgvet_oracle'",
                &[],
            )
            .map(|r| r.get(0))
            .unwrap_or(0);
        let args = if n == 0 { String::new() } else { format!("({})", vec!["NULL"; n as usize].join(", ")) };
        if let Err(e) = client.batch_execute(&format!("EXPLAIN (COSTS OFF) EXECUTE pgvet_oracle{args}")) {
            result = Some(verdict(&e));
        }
    }
    // Prepared statements outlive transactions.
    client.batch_execute("ROLLBACK; DEALLOCATE ALL").map_err(|e| db_message(&e))?;
    Ok(result)
}

/// One problem the server finds in a function body.
#[derive(Debug, Clone)]
pub struct BodyProblem {
    /// `schema.name(argtypes)`.
    pub function: String,
    /// The line in the body (1 = the line the body starts on), when known.
    pub line: Option<i32>,
    pub verdict: Verdict,
}

/// Every function of the user's schemas checked against today's schema: SQL functions through
/// the server's own validator (the definition created again, rolled back), PL/pgSQL functions
/// through plpgsql_check (each trigger function with a table it fires on). Needs the
/// plpgsql_check extension.
/// A function the checks could not judge: plpgsql_check itself failed on it (a crash of the
/// server process checking it, after which the server is connected to again).
#[derive(Debug, Clone)]
pub struct Unchecked {
    pub function: String,
    pub why: String,
}

pub fn check_functions(
    client: &mut Client,
    reconnect: &dyn Fn() -> Result<Client, String>,
    schemas: &[String],
) -> Result<(Vec<BodyProblem>, Vec<Unchecked>), String> {
    let mut unchecked = Vec::new();
    client.batch_execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check").map_err(|e| {
        format!("plpgsql_check is not available ({}): install it (Debian: apt-get install postgresql-15-plpgsql-check)", db_message(&e))
    })?;
    let rows = client
        .query(
            "SELECT p.oid, n.nspname || '.' || p.proname || '(' || oidvectortypes(p.proargtypes) || ')', l.lanname::text, \
                    p.prorettype = 'trigger'::regtype, \
                    (SELECT t.tgrelid::int8 FROM pg_trigger t WHERE t.tgfoid = p.oid ORDER BY t.oid LIMIT 1), \
                    (SELECT t.tgoldtable::text FROM pg_trigger t WHERE t.tgfoid = p.oid ORDER BY t.oid LIMIT 1), \
                    (SELECT t.tgnewtable::text FROM pg_trigger t WHERE t.tgfoid = p.oid ORDER BY t.oid LIMIT 1), \
                    pg_get_functiondef(p.oid) \
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang \
              WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p') AND l.lanname IN ('sql', 'plpgsql') \
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') \
              ORDER BY 2",
            &[&schemas],
        )
        .map_err(|e| db_message(&e))?;
    let mut out = Vec::new();
    for r in rows {
        let oid: u32 = r.get(0);
        let function: String = r.get(1);
        let lang: String = r.get(2);
        let trigger: bool = r.get(3);
        let relid: Option<i64> = r.get(4);
        let (old_table, new_table): (Option<String>, Option<String>) = (r.get(5), r.get(6));
        let def: String = r.get(7);
        if lang == "sql" {
            client.batch_execute("BEGIN").map_err(|e| db_message(&e))?;
            let res = client.batch_execute("SET LOCAL check_function_bodies = on").and_then(|_| client.batch_execute(&def));
            if let Err(e) = res {
                let line = e.as_db_error().and_then(|d| match d.position() {
                    Some(postgres::error::ErrorPosition::Internal { position, .. }) => Some(*position as usize),
                    Some(postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
                    None => None,
                });
                // A position in the definition: the line counted from the body's start.
                let body_start = def.find("AS $function$").map(|i| i + "AS $function$".len());
                let line = match (line, body_start) {
                    (Some(p), Some(b)) if p > b => Some(def[b..(p - 1).min(def.len())].matches('\n').count() as i32 + 1),
                    _ => None,
                };
                out.push(BodyProblem { function: function.clone(), line, verdict: verdict(&e) });
            }
            client.batch_execute("ROLLBACK").map_err(|e| db_message(&e))?;
            continue;
        }
        if trigger && relid.is_none() {
            continue; // a trigger function no trigger uses: plpgsql_check needs a table
        }
        if std::env::var_os("PGVET_ORACLE_TRACE").is_some() {
            eprintln!("plpgsql_check {function}");
        }
        let rows = match relid {
            // A trigger function, checked on a table it fires on, with its transition tables.
            Some(rel) => client.query(
                "SELECT lineno, sqlstate, message, level FROM plpgsql_check_function_tb($1::oid, $2::int8::oid, fatal_errors => false, extra_warnings => false, other_warnings => false, performance_warnings => false, oldtable => $3::name, newtable => $4::name)",
                &[&oid, &rel, &old_table, &new_table],
            ),
            None => client.query(
                "SELECT lineno, sqlstate, message, level FROM plpgsql_check_function_tb($1::oid, fatal_errors => false, extra_warnings => false, other_warnings => false, performance_warnings => false)",
                &[&oid],
            ),
        };
        match rows {
            Ok(rows) => {
                for c in rows {
                    let level: Option<String> = c.get(3);
                    if level.as_deref() != Some("error") {
                        continue;
                    }
                    out.push(BodyProblem {
                        function: function.clone(),
                        line: c.get(0),
                        verdict: Verdict {
                            sqlstate: c.get::<_, Option<String>>(1).unwrap_or_default(),
                            message: c.get::<_, Option<String>>(2).unwrap_or_default(),
                        },
                    });
                }
            }
            Err(e) if client.is_closed() => {
                // The checker crashed the server process: the server restarts its processes.
                unchecked.push(Unchecked { function: function.clone(), why: db_message(&e) });
                let mut again = Err(String::new());
                for _ in 0..30 {
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    again = reconnect();
                    if again.is_ok() {
                        break;
                    }
                }
                *client = again?;
                // A crash can lose the last commits: the checker is created again.
                client.batch_execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check").map_err(|e| db_message(&e))?;
            }
            Err(e) => out.push(BodyProblem { function: function.clone(), line: None, verdict: verdict(&e) }),
        }
    }
    Ok((out, unchecked))
}

/// A foreign key and whether an index serves the lookups its checks make on the referencing
/// table (`SELECT 1 FROM [ONLY] child WHERE fk = $1 ...` on a DELETE or key update of the
/// parent): a valid index whose leading key columns are the foreign key's columns, in any
/// order (btree; hash for one column), not partial; a partial one only when the planner uses
/// it for that lookup (its predicate is implied, as `fk IS NOT NULL` is).
#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub table: String,
    pub name: String,
    pub columns: Vec<String>,
    pub indexed: bool,
}

pub fn foreign_keys(client: &mut Client, schemas: &[String]) -> Result<Vec<ForeignKey>, String> {
    let rows = client
        .query(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname || '.' || c.relname, con.conname::text, \
                    ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o), \
                    ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM unnest(con.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o), \
                    c.relkind = 'p', \
                    ARRAY(SELECT ic.relname::text || ':' || (i.indpred IS NOT NULL)::text \
                            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam \
                           WHERE i.indrelid = con.conrelid AND i.indisvalid \
                             AND (am.amname = 'btree' OR am.amname = 'hash' AND array_length(con.conkey, 1) = 1) \
                             AND i.indnkeyatts >= array_length(con.conkey, 1) \
                             AND (SELECT array_agg(x ORDER BY x) FROM unnest((i.indkey::int2[])[0:array_length(con.conkey, 1) - 1]) x) \
                                 = (SELECT array_agg(x ORDER BY x) FROM unnest(con.conkey) x)) \
               FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE con.contype = 'f' AND n.nspname = ANY($1) AND con.conparentid = 0 \
              ORDER BY 2, 3",
            &[&schemas],
        )
        .map_err(|e| db_message(&e))?;
    let mut out = Vec::new();
    for r in rows {
        let (quoted, table, name): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        let columns: Vec<String> = r.get(3);
        let types: Vec<String> = r.get(4);
        let partitioned: bool = r.get(5);
        let candidates: Vec<String> = r.get(6);
        let mut indexed = candidates.iter().any(|c| c.ends_with(":false"));
        let partial: Vec<&str> = candidates.iter().filter_map(|c| c.strip_suffix(":true")).collect();
        if !indexed && !partial.is_empty() {
            // Does the planner use a partial one for the lookup?
            let cond: Vec<String> =
                columns.iter().enumerate().map(|(i, c)| format!("{} = ${}", pgvet_syntax::quote_ident(c), i + 1)).collect();
            let only = if partitioned { "" } else { "ONLY " };
            client
                .batch_execute("BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = on; SET LOCAL plan_cache_mode = force_generic_plan")
                .map_err(|e| db_message(&e))?;
            let plan = client
                .batch_execute(&format!(
                    "PREPARE pgvet_fk({}) AS SELECT 1 FROM {only}{quoted} x WHERE {}",
                    types.join(", "),
                    cond.join(" AND ")
                ))
                .and_then(|_| {
                    client.query(&format!("EXPLAIN (COSTS OFF) EXECUTE pgvet_fk({})", vec!["NULL"; columns.len()].join(", ")), &[])
                });
            let lines: Vec<String> = plan.map(|rows| rows.iter().map(|l| l.get::<_, String>(0)).collect()).unwrap_or_default();
            client.batch_execute("ROLLBACK; DEALLOCATE ALL").map_err(|e| db_message(&e))?;
            indexed = partial.iter().any(|p| lines.iter().any(|l| l.contains(&format!(" {p} ")) || l.ends_with(&format!(" {p}"))));
        }
        out.push(ForeignKey { table, name, columns, indexed });
    }
    Ok(out)
}
