//! The PL/pgSQL interpreter: what DO blocks and migration-defined functions do to the schema.
use pgvet_catalog::{Catalog, EventKind, QName, Replayer};

fn replay(files: &[&str]) -> Replayer {
    let mut r = Replayer::new(Catalog::new());
    for (step, sql) in files.iter().enumerate() {
        let p = pgvet_syntax::parse_sql(sql);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        for s in &p.statements {
            r.apply(step, s);
        }
        r.finish_file();
    }
    r
}

fn q(n: &str) -> QName {
    QName::new("public", n)
}

fn errors(r: &Replayer) -> Vec<String> {
    r.events.iter().filter(|e| e.kind == EventKind::Error && e.withheld_by.is_none()).map(|e| e.message.clone()).collect()
}

fn opaque(r: &Replayer) -> Vec<String> {
    r.events.iter().filter(|e| e.kind == EventKind::Unmodelled).map(|e| e.message.clone()).collect()
}

#[test]
fn drizzle_kit_exception_blocks_run_and_their_handlers_catch() {
    let r = replay(&[
        "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int, a_id int);
         DO $$ BEGIN CREATE TYPE mood AS ENUM ('ok', 'bad'); EXCEPTION WHEN duplicate_object THEN null; END $$;
         DO $$ BEGIN ALTER TABLE b ADD CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES a (id); EXCEPTION WHEN duplicate_object THEN null; END $$;",
        // Again: the handlers catch 42710 and nothing changes.
        "DO $$ BEGIN CREATE TYPE mood AS ENUM ('x'); EXCEPTION WHEN duplicate_object THEN null; END $$;
         DO $$ BEGIN ALTER TABLE b ADD CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES a (id); EXCEPTION WHEN duplicate_object THEN null; END $$;",
    ]);
    assert_eq!(r.catalog.enums.get(&q("mood")).unwrap().values, vec!["ok", "bad"]);
    assert!(r.catalog.tables.get(&q("b")).unwrap().constraint("b_a_fk").is_some());
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    assert!(opaque(&r).is_empty(), "{:?}", opaque(&r));
}

#[test]
fn an_uncaught_error_fails_the_do_block_and_rolls_it_back() {
    // duplicate_table is not duplicate_object: the handler does not catch 42P07.
    let r = replay(&["CREATE TABLE a (id int);
        DO $$ BEGIN CREATE TABLE c (x int); CREATE TABLE a (id int); EXCEPTION WHEN duplicate_object THEN null; END $$;"]);
    assert!(r.catalog.tables.get(&q("c")).is_none());
    assert_eq!(errors(&r).len(), 1, "{:?}", errors(&r));
    assert!(errors(&r)[0].contains("42P07"), "{:?}", errors(&r));
    // `others` catches it, and the block's work is rolled back.
    let r = replay(&["CREATE TABLE a (id int);
        DO $$ BEGIN CREATE TABLE c (x int); CREATE TABLE a (id int); EXCEPTION WHEN others THEN CREATE TABLE d (y int); END $$;"]);
    assert!(r.catalog.tables.get(&q("c")).is_none());
    assert!(r.catalog.tables.get(&q("d")).is_some());
    assert!(errors(&r).is_empty());
}

#[test]
fn catalog_guards_are_evaluated() {
    let r = replay(&["CREATE TABLE users (id int);
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email') THEN
            ALTER TABLE users ADD COLUMN email text;
          END IF;
          IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'id') THEN
            ALTER TABLE users ADD COLUMN id int;
          END IF;
          IF EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = 'users' AND c.conname = 'nope') THEN
            ALTER TABLE users DROP COLUMN email;
          END IF;
          IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'kind') THEN
            CREATE TYPE kind AS ENUM ('a');
          END IF;
          IF to_regclass('public.users') IS NOT NULL THEN
            ALTER TABLE users RENAME COLUMN email TO mail;
          END IF;
        END $$;"]);
    let t = r.catalog.tables.get(&q("users")).unwrap();
    assert_eq!(t.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["id", "mail"]);
    assert!(r.catalog.enums.contains_key(&q("kind")));
    assert!(errors(&r).is_empty() && opaque(&r).is_empty(), "{:?} {:?}", errors(&r), opaque(&r));
}

#[test]
fn execute_format_loops_create_partitions() {
    let r = replay(&["CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
        DO $$
        DECLARE y int; m text;
        BEGIN
          FOR y IN 2023..2024 LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)', 'events_' || y, y || '-01-01', (y + 1) || '-01-01');
          END LOOP;
          FOREACH m IN ARRAY ARRAY['a', 'b'] LOOP
            EXECUTE 'CREATE TABLE extra_' || m || ' (id int)';
          END LOOP;
        END $$;"]);
    for t in ["events_2023", "events_2024", "extra_a", "extra_b"] {
        assert!(r.catalog.tables.contains_key(&q(t)), "{t}");
    }
    assert_eq!(r.catalog.tables.get(&q("events_2023")).unwrap().partition_of, Some(q("events")));
    assert!(opaque(&r).is_empty(), "{:?}", opaque(&r));
}

#[test]
fn migration_defined_functions_are_followed_with_constant_arguments() {
    let r = replay(&["CREATE TABLE logs (id int, at date) PARTITION BY RANGE (at);
        CREATE FUNCTION make_partition(parent text, y int) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', parent || '_' || y, parent, y || '-01-01', (y + 1) || '-01-01');
        END $$;
        SELECT make_partition('logs', 2025);
        DO $$ BEGIN PERFORM make_partition('logs', 2026); END $$;"]);
    assert!(r.catalog.tables.contains_key(&q("logs_2025")));
    assert!(r.catalog.tables.contains_key(&q("logs_2026")));
    assert!(opaque(&r).is_empty(), "{:?}", opaque(&r));
}

#[test]
fn what_cannot_be_computed_is_uncertain_and_withholds_errors() {
    let r = replay(&[
        "CREATE TABLE t (id int);
         DO $$ BEGIN
           IF EXISTS (SELECT 1 FROM t WHERE id = 1) THEN ALTER TABLE t ADD COLUMN flag bool; END IF;
           EXECUTE 'CREATE TABLE log_' || to_char(now(), 'YYYY') || ' (id int)';
         END $$;",
        "ALTER TABLE t DROP COLUMN flag; ALTER TABLE nothing_here ADD COLUMN x int;",
    ]);
    let ops = opaque(&r);
    assert_eq!(ops.len(), 1, "{ops:?}");
    // The EXECUTE can only create relations named log_<something>: not the whole schema.
    assert!(ops[0].contains("relation public.t") && ops[0].contains("new relations named like public.log_*"), "{ops:?}");
    // The error on t rests on an uncertain object: withheld. nothing_here cannot be one of the
    // log_ tables: the server rejects that ALTER, and so does pgvet.
    let errs = errors(&r);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("nothing_here"), "{errs:?}");
    assert_eq!(r.events.iter().filter(|e| e.withheld_by.is_some()).count(), 1);
}

#[test]
fn case_statements_and_temp_tables() {
    let r = replay(&[
        "DO $$ DECLARE k text := 'b'; BEGIN
           CASE k WHEN 'a' THEN CREATE TABLE ca (id int); WHEN 'b' THEN CREATE TABLE cb (id int); END CASE;
         END $$;
         CREATE TEMP TABLE scratch (id int); INSERT INTO scratch VALUES (1); CREATE TABLE keep (id int);",
        "CREATE TEMP TABLE scratch (id int);",
    ]);
    assert!(r.catalog.tables.contains_key(&q("cb")) && !r.catalog.tables.contains_key(&q("ca")));
    assert!(r.catalog.tables.keys().all(|k| k.schema != "pg_temp"));
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
}

#[test]
fn a_loop_pgvet_cannot_run_is_read_along_its_paths() {
    // A loop over rows pgvet cannot know (the rows of a table) that builds an ALTER POLICY in
    // one branch or another and EXECUTEs it after the IF: whatever the rows, it changes only a
    // policy. A loop that builds an ALTER TABLE of a name it reads is uncertain about the schema.
    let body = |cmd: &str| {
        format!(
            "DO $$ DECLARE r record; v_cmd text; v_roles text := ''; BEGIN
               FOR r IN SELECT * FROM t LOOP
                 IF r.id > 0 THEN v_roles := format(' TO %I', r.name); END IF;
                 IF r.id = 1 THEN
                   v_cmd := format('ALTER POLICY %I ON %I.%I', r.name, 'public', 't');
                   v_cmd := v_cmd || v_roles || format(' USING (%s)', r.name);
                 ELSIF r.id = 2 THEN
                   v_cmd := format('ALTER POLICY %I ON public.t', r.name) || format(' WITH CHECK (%s)', r.name);
                 ELSE
                   v_cmd := {cmd};
                 END IF;
                 EXECUTE v_cmd;
               END LOOP;
             END $$;"
        )
    };
    let policy_only = body("format('ALTER POLICY %I ON public.t USING (true)', r.name)");
    let r = replay(&["CREATE TABLE t (id int, name text);", &policy_only, "ALTER TABLE t DROP COLUMN gone;"]);
    assert!(opaque(&r).is_empty(), "{:?}", opaque(&r));
    assert_eq!(errors(&r).len(), 1, "{:?}", errors(&r));
    let alters = body("format('ALTER TABLE %I ADD COLUMN gone int', r.name)");
    let r = replay(&["CREATE TABLE t (id int, name text);", &alters, "ALTER TABLE t DROP COLUMN gone;"]);
    assert_eq!(opaque(&r).len(), 1, "{:?}", opaque(&r));
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
}
