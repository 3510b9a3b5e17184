//! Planner oracle: a generated corpus of `INSERT ... ON CONFLICT` statements over tables with
//! varied unique keys (plain, composite, tenant-composite, expression, partial, deferrable,
//! exclusion, NULLS NOT DISTINCT, invalid) is run through a real PostgreSQL (PREPARE, EXPLAIN
//! EXECUTE with NULL arguments, and execution for the deferrable case), and pgvet's verdict (the
//! error code, or the arbiter indexes) must agree on every statement. The
//! `on-conflict-no-unique-index` rule must then report exactly the statements the server rejects.
//! Needs PostgreSQL's server binaries; without them this test fails and says how to install them.
use std::collections::BTreeSet;

use pgvet_catalog::{Catalog, Replayer};
use pgvet_db::TempPostgres;
use pgvet_linter::sql::arbiter::{self, Verdict};
use pgvet_linter::sql::{resolve_relation, Relation};
use pgvet_linter::synthetic::Rng;
use pgvet_syntax::{parse_sql, NodeEnum, SourceFile};

const COLUMNS: &str =
    "id int NOT NULL, tenant_id int NOT NULL, a int, b int, c text, d text, deleted boolean NOT NULL DEFAULT false, n int, e text";

/// Unique-key kinds: (DDL template with `{t}` for the table, inference targets that exercise it).
const KEYS: &[(&str, &[&str])] = &[
    ("ALTER TABLE {t} ADD PRIMARY KEY (id)", &["(id)", "(id, a)", "(tenant_id, id)"]),
    ("ALTER TABLE {t} ADD UNIQUE (a)", &["(a)", "(a, b)", "((a))"]),
    ("ALTER TABLE {t} ADD UNIQUE (a, b)", &["(a, b)", "(b, a)", "(a)", "(a, b, c)", "(b, a, b)"]),
    ("ALTER TABLE {t} ADD UNIQUE (tenant_id, a)", &["(tenant_id, a)", "(a, tenant_id)", "(a)", "(tenant_id)"]),
    ("CREATE UNIQUE INDEX {t}_lower_c ON {t} (lower(c))", &["(lower(c))", "(c)", "(lower(d))", "(lower(c), c)"]),
    (
        "CREATE UNIQUE INDEX {t}_tenant_lower_d ON {t} (tenant_id, lower(d))",
        &["(tenant_id, lower(d))", "(lower(d), tenant_id)", "(lower(d))", "(tenant_id, d)"],
    ),
    (
        "CREATE UNIQUE INDEX {t}_a_live ON {t} (a) WHERE NOT deleted",
        &[
            "(a) WHERE NOT deleted",
            "(a) WHERE deleted = false",
            "(a)",
            "(a) WHERE deleted",
            "(a) WHERE NOT deleted AND n > 0",
            "(a) WHERE deleted IS NOT NULL",
        ],
    ),
    (
        "CREATE UNIQUE INDEX {t}_b_big ON {t} (b) WHERE n > 10",
        &[
            "(b) WHERE n > 10",
            "(b) WHERE n > 20",
            "(b) WHERE n > 5",
            "(b) WHERE n >= 11",
            "(b) WHERE n = 11",
            "(b) WHERE n = 10",
            "(b) WHERE n IS NOT NULL",
            "(b)",
            "(b) WHERE 11 <= n",
        ],
    ),
    (
        "CREATE UNIQUE INDEX {t}_c_open ON {t} (c) WHERE d IS NULL",
        &["(c) WHERE d IS NULL", "(c)", "(c) WHERE d IS NOT NULL", "(c) WHERE d IS NULL AND a = 1"],
    ),
    (
        "CREATE UNIQUE INDEX {t}_n_pos ON {t} (n) WHERE n IS NOT NULL",
        &["(n) WHERE n > 0", "(n) WHERE n IS NOT NULL", "(n)", "(n) WHERE n = 3"],
    ),
    ("ALTER TABLE {t} ADD CONSTRAINT {t}_b_defer UNIQUE (b) DEFERRABLE", &["(b)", "ON CONSTRAINT {t}_b_defer"]),
    ("ALTER TABLE {t} ADD CONSTRAINT {t}_d_defer UNIQUE (d) DEFERRABLE INITIALLY DEFERRED", &["(d)", "ON CONSTRAINT {t}_d_defer"]),
    ("ALTER TABLE {t} ADD CONSTRAINT {t}_n_excl EXCLUDE USING btree (n WITH =)", &["(n)", "ON CONSTRAINT {t}_n_excl"]),
    ("ALTER TABLE {t} ADD CONSTRAINT {t}_c_nnd UNIQUE NULLS NOT DISTINCT (c)", &["(c)", "ON CONSTRAINT {t}_c_nnd", "(c, d)"]),
    ("ALTER TABLE {t} ADD CONSTRAINT {t}_n_check CHECK (n >= 0)", &["ON CONSTRAINT {t}_n_check"]),
    // Made invalid on the server by a failed CONCURRENTLY build (see `invalid_index`).
    ("CREATE UNIQUE INDEX CONCURRENTLY {t}_e_invalid ON {t} (e)", &["(e)", "(e) WHERE e IS NOT NULL"]),
];

/// Targets any table gets.
const COMMON: &[&str] = &["", "(zzz)", "(a, zzz)", "ON CONSTRAINT nope", "ON CONSTRAINT {t}_lower_c", "(tenant_id)", "(id)", "(a)", "(c)"];

fn schema(rng: &mut Rng, tables: usize) -> (Vec<String>, Vec<Vec<usize>>) {
    let mut ddl = Vec::new();
    let mut kinds = Vec::new();
    for i in 0..tables {
        let t = format!("t{i}");
        ddl.push(format!("CREATE TABLE {t} ({COLUMNS})"));
        let mut chosen = BTreeSet::new();
        // Every key kind appears at least twice across the corpus; the rest is random.
        chosen.insert(i % KEYS.len());
        chosen.insert((i + 7) % KEYS.len());
        for _ in 0..rng.below(3) {
            chosen.insert(rng.below(KEYS.len()));
        }
        for &k in &chosen {
            ddl.push(KEYS[k].0.replace("{t}", &t));
        }
        kinds.push(chosen.into_iter().collect());
    }
    (ddl, kinds)
}

fn statements(rng: &mut Rng, kinds: &[Vec<usize>], per_table: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (i, ks) in kinds.iter().enumerate() {
        let t = format!("t{i}");
        let mut targets: Vec<String> = COMMON.iter().map(|s| s.replace("{t}", &t)).collect();
        for &k in ks {
            targets.extend(KEYS[k].1.iter().map(|s| s.replace("{t}", &t)));
        }
        for _ in 0..per_table {
            let target = rng.pick(&targets).clone();
            let update = rng.below(2) == 0;
            let action = if update {
                let cond = *rng.pick(&["", " WHERE excluded.n > 0", " WHERE {t}.deleted = false"]);
                format!("DO UPDATE SET n = excluded.n{}", cond.replace("{t}", &t))
            } else {
                "DO NOTHING".to_string()
            };
            out.push(format!(
                "INSERT INTO {t} (id, tenant_id, a, b, c, d, deleted, n) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT {target} {action}"
            ));
        }
    }
    out
}

/// pgvet's verdict, in the form compared with the server's.
fn pgvet_verdict(cat: &Catalog, stmt: &str) -> String {
    let parsed = parse_sql(stmt);
    let Some(NodeEnum::InsertStmt(ins)) = parsed.statements.first().map(|s| &s.node) else { return "unparsed".into() };
    let rv = ins.relation.as_ref().unwrap();
    let Some(Relation::Table(t)) = resolve_relation(cat, &["public".to_string()], &rv.schemaname, &rv.relname) else {
        return "no table".into();
    };
    match arbiter::infer(cat, t, ins.on_conflict_clause.as_deref().unwrap()) {
        Verdict::Unknown => "unknown".into(),
        Verdict::Error { code, .. } => code.to_string(),
        Verdict::Arbiters(a) => match arbiter::deferrable_arbiter(cat, t, &a) {
            Some(_) => "55000".into(),
            None => {
                let mut names: Vec<String> = a.iter().map(|q| q.name.clone()).collect();
                names.sort();
                format!("arbiters [{}]", names.join(", "))
            }
        },
    }
}

fn server_verdict(client: &mut postgres::Client, i: usize, stmt: &str) -> String {
    let code = |e: postgres::Error| e.code().map(|c| c.code().to_string()).unwrap_or_else(|| format!("{e}"));
    if let Err(e) = client.batch_execute(&format!("PREPARE s{i} AS {stmt}")) {
        return code(e);
    }
    let plan = match client.simple_query(&format!("EXPLAIN (COSTS OFF) EXECUTE s{i}(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)")) {
        Ok(rows) => rows
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => r.get(0).map(|s| s.to_string()),
                _ => None,
            })
            .collect::<Vec<_>>(),
        Err(e) => return code(e),
    };
    // The deferrable-arbiter error appears only when a row is inserted.
    client.batch_execute("BEGIN").unwrap();
    let run = client.batch_execute(&format!("EXECUTE s{i}(1, 1, 1, 1, 'x', 'y', false, 15)"));
    client.batch_execute("ROLLBACK").unwrap();
    client.batch_execute(&format!("DEALLOCATE s{i}")).unwrap();
    if let Err(e) = run {
        return code(e);
    }
    let mut names: Vec<String> = plan
        .iter()
        .find_map(|l| l.trim().strip_prefix("Conflict Arbiter Indexes: "))
        .map(|s| s.split(", ").map(|x| x.trim().to_string()).collect())
        .unwrap_or_default();
    names.sort();
    format!("arbiters [{}]", names.join(", "))
}

/// Leaves `{t}_e_invalid` invalid, as a failed `CREATE INDEX CONCURRENTLY` does in production.
fn invalid_index(client: &mut postgres::Client, t: &str) {
    client.batch_execute(&format!("INSERT INTO {t} (id, tenant_id, e) VALUES (-1, -1, 'dup'), (-2, -2, 'dup')")).unwrap();
    let failed = client.batch_execute(&format!("CREATE UNIQUE INDEX CONCURRENTLY {t}_e_invalid ON {t} (e)"));
    assert!(failed.is_err(), "the CONCURRENTLY build on duplicates should fail");
    client.batch_execute(&format!("DELETE FROM {t}")).unwrap();
}

#[test]
fn arbiter_inference_matches_the_planner() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the planner oracle needs a real PostgreSQL: {e}"));
    let mut client = pg.fresh_database("planner_oracle").unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let tables = 40;
    let (ddl, kinds) = schema(&mut rng, tables);
    // The schema, as pgvet replays it from a migration.
    let migration = ddl.iter().map(|s| format!("{s};\n")).collect::<String>();
    let mut replayer = Replayer::new(Catalog::new());
    for s in &parse_sql(&migration).statements {
        replayer.apply(0, s);
    }
    // ... and as the server has it.
    let mut invalid = Vec::new();
    for s in &ddl {
        if s.contains("CONCURRENTLY") {
            let t = s.split(" ON ").nth(1).unwrap().split(' ').next().unwrap().to_string();
            invalid_index(&mut client, &t);
            invalid.push(format!("{t}_e_invalid"));
        } else {
            client.batch_execute(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
        }
    }
    // pgvet learns index validity from a live database; a static replay cannot know a build failed.
    let mut cat = replayer.catalog.clone();
    for name in &invalid {
        let q = pgvet_catalog::QName::new("public", name.as_str());
        cat.indexes.get_mut(&q).unwrap_or_else(|| panic!("{name} not in pgvet's catalog")).valid = false;
    }
    let stmts = statements(&mut rng, &kinds, 55);
    assert!(stmts.len() >= 2000 && tables >= 30);
    let mut disagreements = Vec::new();
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    let mut rejected = BTreeSet::new();
    for (i, s) in stmts.iter().enumerate() {
        let server = server_verdict(&mut client, i, s);
        let ours = pgvet_verdict(&cat, s);
        let key = if server.starts_with("arbiters") {
            if server == "arbiters []" {
                "no arbiters".to_string()
            } else {
                "arbiters".to_string()
            }
        } else {
            server.clone()
        };
        *tally.entry(key).or_default() += 1;
        if !server.starts_with("arbiters") {
            rejected.insert(i);
        }
        if server != ours {
            disagreements.push(format!("{s}\n  server: {server}\n  pgvet:  {ours}"));
        }
    }
    eprintln!("planner oracle: {} statements over {tables} tables; server verdicts: {tally:?}", stmts.len());
    assert!(disagreements.is_empty(), "{} of {} statements disagree:\n{}", disagreements.len(), stmts.len(), disagreements.join("\n"));
    for code in ["42P10", "42704", "42601", "42809", "42703", "55000", "arbiters", "no arbiters"] {
        assert!(tally.get(code).copied().unwrap_or(0) >= 5, "the corpus should exercise {code}: {tally:?}");
    }

    // The rule reports exactly the rejected statements (checked as a query file).
    let queries = stmts.iter().map(|s| format!("{s};\n")).collect::<String>();
    let settings = pgvet_linter::Settings::default();
    let files = vec![pgvet_linter::MigrationFile {
        source: SourceFile::new("schema.sql", migration),
        transactional: true,
        host: None,
        reruns: true,
    }];
    let analysis = pgvet_linter::analysis::analyze_project(files, vec![SourceFile::new("queries.sql", queries)], cat_base(), &settings);
    let qf = &analysis.files[1];
    let flagged: BTreeSet<usize> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.rule == "on-conflict-no-unique-index" && d.primary.file == 1)
        .map(|d| qf.line_col(d.primary.span.start).line - 1)
        .collect();
    // The static replay cannot know the invalid index failed, so leave those tables out.
    let expected: BTreeSet<usize> = rejected
        .iter()
        .copied()
        .filter(|&i| !invalid.iter().any(|n| stmts[i].contains(&format!("INTO {} ", n.trim_end_matches("_e_invalid")))))
        .collect();
    let flagged: BTreeSet<usize> = flagged
        .into_iter()
        .filter(|&i| !invalid.iter().any(|n| stmts[i].contains(&format!("INTO {} ", n.trim_end_matches("_e_invalid")))))
        .collect();
    assert_eq!(flagged, expected, "the rule's findings differ from the server's rejections");
}

fn cat_base() -> Catalog {
    Catalog::new()
}
