use super::*;

#[test]
fn statements_have_exact_spans() {
    let sql = "-- header\nCREATE TABLE a (id int);\n\n  /* c */ CREATE INDEX ON a (id);";
    let p = parse_sql(sql);
    assert!(p.errors.is_empty());
    assert_eq!(p.statements.len(), 2);
    assert_eq!(&sql[p.statements[0].span.range()], "CREATE TABLE a (id int)");
    assert_eq!(&sql[p.statements[1].span.range()], "CREATE INDEX ON a (id)");
}

#[test]
fn a_bad_statement_is_reported_and_the_rest_survive() {
    let sql = "CREATE TABLE a (id int);\nCREATE TABEL b (id int);\nCREATE TABLE c (id int);\n";
    let p = parse_sql(sql);
    assert_eq!(p.statements.len(), 2);
    assert_eq!(p.errors.len(), 1);
    let f = SourceFile::new("x.sql", sql);
    let e = &p.errors[0];
    assert_eq!(&sql[e.at.range()], "TABEL");
    assert_eq!(f.line_col(e.at.start), LineCol { line: 2, column: 8 });
    // In the statement-by-statement path each statement still ends at its own semicolon.
    assert_eq!(&sql[p.statements[0].span.range()], "CREATE TABLE a (id int)");
    assert_eq!(&sql[p.statements[1].span.range()], "CREATE TABLE c (id int)");
    assert!(e.message.contains("syntax error"), "{}", e.message);
}

#[test]
fn error_position_counts_characters_not_bytes() {
    let sql = "SELECT 'é' FRM t;";
    let p = parse_sql(sql);
    assert_eq!(&sql[p.errors[0].at.range()], "t");
}

#[test]
fn unterminated_quote_is_an_error_not_a_panic() {
    let p = parse_sql("CREATE TABLE a (id int);\nSELECT 'oops;\n");
    assert_eq!(p.errors.len(), 1);
    let p = parse_sql("SELECT 1;\0");
    assert_eq!(p.errors.len(), 1);
}

#[test]
fn suppression_covers_next_statement_or_its_line() {
    let sql = "-- pgvet-ignore fk-missing-index: small table\nCREATE TABLE a (\n  b int\n);\nCREATE TABLE c (x int); -- pgvet-ignore r1, r2: why\n";
    let p = parse_sql(sql);
    assert_eq!(p.suppressions.len(), 2);
    let s0 = &p.suppressions[0];
    assert_eq!(s0.rules, vec!["fk-missing-index"]);
    assert_eq!(s0.reason.as_deref(), Some("small table"));
    assert_eq!(s0.covers, p.statements[0].span);
    let s1 = &p.suppressions[1];
    assert_eq!(s1.rules, vec!["r1", "r2"]);
    assert!(s1.covers.range().contains(&p.statements[1].span.start));
}

#[test]
fn suppression_without_reason_is_kept_with_none() {
    let p = parse_sql("SELECT 1; -- pgvet-ignore some-rule\n");
    assert_eq!(p.suppressions[0].reason, None);
    // Not a suppression: inside a string.
    let p = parse_sql("SELECT '-- pgvet-ignore x: y';\n");
    assert!(p.suppressions.is_empty());
}

#[test]
fn quote_ident_matches_postgres() {
    assert_eq!(quote_ident("users"), "users");
    assert_eq!(quote_ident("user"), "\"user\"");
    assert_eq!(quote_ident("Users"), "\"Users\"");
    assert_eq!(quote_ident("name"), "name"); // unreserved keyword
    assert_eq!(quote_ident("1a"), "\"1a\"");
    assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
}

#[test]
fn canonical_expressions_agree_with_server_rewrites() {
    let c = |s| canonical_expr(s).unwrap();
    assert_eq!(c("COALESCE(section_id, '')"), c("COALESCE(section_id, ''::text)"));
    assert_eq!(c("status IN ('a', 'b')"), c("(status = ANY (ARRAY['a'::text, 'b'::text]))"));
    assert_eq!(c("status NOT IN ('a', 'b')"), c("(status <> ALL (ARRAY['a'::text, 'b'::text]))"));
    // Measured on PostgreSQL 15: a one-element list becomes a plain comparison.
    assert_eq!(c("status NOT IN ('a')"), c("(status <> 'a'::text)"));
    assert_eq!(c("n BETWEEN 1 AND 5"), c("((n >= 1) AND (n <= 5))"));
    assert_eq!(c("name LIKE 'a%'"), c("(name ~~ 'a%'::text)"));
    assert_eq!(c("x > -1"), c("(x > '-1'::integer)"));
    assert_eq!(c("lower(email)"), c("lower((email)::text)"));
    assert_ne!(c("lower(email)"), c("upper(email)"));
    assert_eq!(c("status NOT IN ('x') AND n BETWEEN 1 AND 5"), c("status <> 'x'::text AND n >= 1 AND n <= 5"));
}

#[test]
fn expression_columns_and_renames() {
    let e = parse_expr("COALESCE(a, b) > a + c").unwrap();
    assert_eq!(expr_columns(&e), vec!["a", "b", "c"]);
    assert_eq!(rename_column_in_expr("lower(email) = 'x'", "email", "mail"), "lower(mail) = 'x'");
}

#[test]
fn node_spans_point_into_the_file() {
    let sql = "SELECT 1;\nCREATE TABLE t (\n  id int,\n  p int REFERENCES x\n);";
    let p = parse_sql(sql);
    let NodeEnum::CreateStmt(c) = &p.statements[1].node else { panic!() };
    let Some(pg_query::protobuf::node::Node::ColumnDef(d)) = &c.table_elts[1].node else { panic!() };
    assert_eq!(&sql[p.statements[1].node_span(sql, d.location).range()], "p int REFERENCES x");
    // Same when the file had to be parsed statement by statement.
    let sql2 = format!("SELEC oops;\n{sql}");
    let p = parse_sql(&sql2);
    let NodeEnum::CreateStmt(c) = &p.statements[1].node else { panic!() };
    let Some(pg_query::protobuf::node::Node::ColumnDef(d)) = &c.table_elts[1].node else { panic!() };
    assert_eq!(&sql2[p.statements[1].node_span(&sql2, d.location).range()], "p int REFERENCES x");
}

#[test]
fn every_broken_statement_is_reported_and_valid_neighbours_kept() {
    for (sql, errors, valid) in [
        ("SELEC 1;", 1, 0),
        ("CREATE TABEL oops (;", 1, 0),
        ("create table a (id int;", 1, 0),
        ("select 1; selec 2; select 3;", 1, 2),
        ("create table a (id int;\ncreate table b (x int);\nselect 1;", 1, 2),
        ("select 1;\nselect 'oops;\n", 1, 1),
        ("select 1;\nselect \0;\nselect 2;", 1, 2),
        ("select 1; selec 2", 1, 1),
    ] {
        let p = parse_sql(sql);
        assert_eq!((p.errors.len(), p.statements.len()), (errors, valid), "{sql:?}: {:?}", p.errors);
    }
    let sql = "select 1;\ncreate table a (id int;\ncreate table b (x int);";
    let p = parse_sql(sql);
    assert_eq!(&sql[p.errors[0].at.range()], ";");
    assert_eq!(&sql[p.statements[1].span.range()], "create table b (x int)");
}

#[test]
fn deep_expressions_parse() {
    let sum = vec!["1"; 48].join(" + ");
    let p = parse_sql(&format!("SELECT {sum};"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let cols: Vec<String> = (0..26).map(|i| format!("c{i}")).collect();
    let p = parse_sql(&format!("CREATE VIEW v AS SELECT {} AS x FROM t;", cols.join(" || ")));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let deep = vec!["1"; 600].join("+");
    let p = parse_sql(&format!("SELECT {deep}; SELEC 1;"));
    assert_eq!((p.statements.len(), p.errors.len()), (1, 1), "{:?}", p.errors);
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let sql = "\u{feff}CREATE TABLE a (id int);\nSELEC 1;";
    let p = parse_sql(sql);
    assert_eq!(p.statements.len(), 1);
    assert_eq!(&sql[p.statements[0].span.range()], "CREATE TABLE a (id int)");
    assert_eq!(&sql[p.errors[0].at.range()], "SELEC");
}

#[test]
fn function_bodies_are_checked_like_check_function_bodies() {
    let errors = |sql: &str| -> Vec<(String, String)> {
        let p = parse_sql(sql);
        p.statements.iter().filter_map(|s| function_body_error(sql, s)).map(|e| (e.message, sql[e.at.range()].to_string())).collect()
    };
    let sql = "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  PERFORM 1;\n  SELEC 1;\nEND $$;";
    assert_eq!(errors(sql), vec![("syntax error at or near \"SELEC\"".into(), "SELEC".into())]);
    let sql = "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  UPDATE t SET a = = 1;\nEND $$;";
    assert_eq!(errors(sql)[0].1, "=");
    let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 FRM t $$;";
    assert_eq!(errors(sql), vec![("syntax error at or near \"t\"".into(), "t".into())]);
    let ok = "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\nCREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE FUNCTION h() RETURNS int LANGUAGE c AS 'lib', 'sym';";
    assert!(errors(ok).is_empty());
}

#[test]
fn the_walk_reaches_every_node_pg_query_nodes_misses() {
    // Each of these hides a column reference or a call where pg_query's `nodes()` does not look.
    let cases = [
        ("SELECT ARRAY[a, f(b)] FROM t", vec!["a", "b"], vec!["f"]),
        ("SELECT g(x => h(c)) FROM t", vec!["c"], vec!["g", "h"]),
        ("SELECT (k(d)).field FROM t", vec!["d"], vec!["k"]),
        ("SELECT e COLLATE \"C\" FROM t", vec!["e"], vec![]),
        ("CREATE TABLE u (v int DEFAULT nextval('s') CHECK (v > w))", vec!["v", "w"], vec!["nextval"]),
        ("SELECT sum(x) OVER (PARTITION BY y ORDER BY z) FROM t", vec!["x", "y", "z"], vec!["sum"]),
    ];
    for (sql, cols, calls) in cases {
        let p = parse_sql(sql);
        let all = all_nodes(&p.statements[0].node);
        let mut seen_cols: Vec<String> = all
            .iter()
            .filter_map(|n| match n {
                pg_query::NodeRef::ColumnRef(c) => c.fields.last().and_then(|f| match &f.node {
                    Some(protobuf::node::Node::String(s)) => Some(s.sval.clone()),
                    _ => None,
                }),
                _ => None,
            })
            .collect();
        seen_cols.sort();
        let seen_calls: Vec<String> = all
            .iter()
            .filter_map(|n| match n {
                pg_query::NodeRef::FuncCall(f) => f.funcname.last().and_then(|f| match &f.node {
                    Some(protobuf::node::Node::String(s)) => Some(s.sval.clone()),
                    _ => None,
                }),
                _ => None,
            })
            .collect();
        assert_eq!(seen_cols, cols, "{sql}");
        for c in calls {
            assert!(seen_calls.iter().any(|s| s == c), "{sql}: {c} not in {seen_calls:?}");
        }
    }
}
