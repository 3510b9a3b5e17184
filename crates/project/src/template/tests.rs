use super::*;

fn parses(text: &str) {
    let p = pgvet_syntax::parse_sql(text);
    assert!(p.errors.is_empty(), "{:?}\n{text}", p.errors);
    for s in &p.statements {
        assert!(pgvet_syntax::function_body_error(text, s).is_none(), "{text}");
    }
}

#[test]
fn gotrue_namespace_renders_to_auth_keeping_offsets() {
    let text = concat!(
        "CREATE TABLE IF NOT EXISTS {{ index .Options \"Namespace\" }}.users (id uuid PRIMARY KEY);\n",
        "do $$ begin\n",
        "  if exists (select from information_schema.columns where table_schema = '{{ index .Options \"Namespace\" }}' and table_name = 'users') then\n",
        "    execute 'alter table {{index .Options \"Namespace\" }}.users add column x int';\n",
        "  end if;\n",
        "end $$;\n",
        "COMMENT ON TABLE \"{{ index .Options \"Namespace\" }}\".users IS 'Auth: users';\n",
    );
    let r = render(text, &Defaults::gotrue()).unwrap();
    assert_eq!(r.text.len(), text.len());
    assert_eq!(r.text.lines().count(), text.lines().count());
    assert_eq!(r.schemas, vec!["auth"]);
    parses(&r.text);
    assert!(r.text.starts_with("CREATE TABLE IF NOT EXISTS auth  "), "{}", r.text);
    assert!(r.text.contains("table_schema = 'auth'  "), "{}", r.text);
    assert!(r.text.contains("'alter table auth.users add column x int'  "), "{}", r.text);
    assert!(r.text.contains("\"auth\"  "), "{}", r.text);
    // Offsets after each line are where they were.
    for (a, b) in text.lines().zip(r.text.lines()) {
        assert_eq!(a.len(), b.len());
    }
}

#[test]
fn unknown_go_fields_are_parameters_or_the_default_schema() {
    let text = "SELECT * FROM {{ .Schema }}.users WHERE id = {{ .UserID }};\n";
    let r = render(text, &Defaults::default()).unwrap();
    assert_eq!(r.text.len(), text.len());
    assert!(r.text.starts_with("SELECT * FROM public       .users WHERE id = $1 "), "{}", r.text);
    parses(&r.text);
}

#[test]
fn goyesql_blocks_and_placeholders() {
    let text = concat!(
        "-- name: query-subscribers\n",
        "SELECT * FROM subscribers WHERE status = $1\n",
        "    AND %query%\n",
        "    ORDER BY %order% OFFSET $2 LIMIT $3\n",
        "\n",
        "-- name: delete-subscribers-by-query\n",
        "-- raw: true\n",
        "WITH subs AS (%query%)\n",
        "DELETE FROM subscribers WHERE id=ANY(SELECT id FROM subs);\n",
        "\n",
        "-- name: counts\n",
        "SELECT COUNT(%s) AS \"count\", url FROM link_clicks\n",
        "-- name: from-table\n",
        "SELECT campaign_id FROM %s WHERE campaign_id = ANY($1);\n",
        "-- name: plain\n",
        "SELECT name FROM lists WHERE name LIKE '%s%' AND id % 2 = 0;\n",
    );
    let r = render(text, &Defaults::default()).unwrap();
    assert_eq!(r.text.len(), text.len());
    assert_eq!(r.text.lines().count(), text.lines().count());
    parses(&r.text);
    let p = pgvet_syntax::parse_sql(&r.text);
    let heads: Vec<String> =
        p.statements.iter().map(|s| r.text[s.span.range()].split_whitespace().take(3).collect::<Vec<_>>().join(" ")).collect();
    // The two statements that need a relation or a subquery from the program are left out.
    assert_eq!(heads, vec!["SELECT * FROM", "SELECT COUNT($1) AS", "SELECT name FROM"], "{}", r.text);
    assert!(r.text.contains("AND $4     \n    ORDER BY $5      OFFSET $2"), "{}", r.text);
    assert!(r.text.contains(";--name: delete-subscribers"), "{}", r.text);
    // Literals and the modulo operator are SQL, not placeholders.
    assert!(r.text.contains("LIKE '%s%' AND id % 2 = 0"), "{}", r.text);
}

#[test]
fn river_markers_in_literals() {
    let text = "DO $$ BEGIN IF (SELECT to_regclass('/* TEMPLATE: schema */river_migration') IS NOT NULL) THEN NULL; END IF; END $$;\nALTER TABLE /* TEMPLATE: schema */river_job ADD COLUMN x int;\n";
    let r = render(text, &Defaults::default()).unwrap();
    assert_eq!(r.text.len(), text.len());
    assert!(r.text.contains("to_regclass('river_migration'   "), "{}", r.text);
    assert!(r.text.contains("ALTER TABLE /* TEMPLATE: schema */river_job"), "{}", r.text);
    parses(&r.text);
}

#[test]
fn plain_sql_is_not_a_template() {
    for text in [
        "SELECT format('%s.%I', a, b), x % 2 FROM t WHERE name LIKE '%abc%';",
        "CREATE FUNCTION f(p users.id%TYPE) RETURNS int LANGUAGE plpgsql AS $$ DECLARE r users%ROWTYPE; BEGIN RAISE NOTICE 'x %', p; RETURN 1; END $$;",
        "SELECT '{{1,2},{3,4}}'::int[][], '{{a,b}}'::text[];",
    ] {
        assert_eq!(render(text, &Defaults::default()), None, "{text}");
    }
}

#[test]
fn genuine_syntax_errors_stay() {
    // A real mistake next to a placeholder that parses: kept, so the parser reports it.
    let text = "-- name: a\nSELECT * FROM t WHERE a = %s AND AND b = 1;\n";
    let r = render(text, &Defaults::default()).unwrap();
    assert!(r.text.contains("AND AND"), "{}", r.text);
}
