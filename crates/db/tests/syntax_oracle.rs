//! Syntax oracle: hundreds of statements broken on purpose (keyword typos, missing or extra
//! parentheses, doubled operators, dropped keywords, unterminated quotes, broken SQL and
//! PL/pgSQL function bodies), mixed with valid neighbours in migration files. A real PostgreSQL
//! runs every statement on its own (as psql does); pgvet parses each whole file. Every statement
//! the server rejects with a syntax error (42601) must be reported by pgvet at the server's
//! position, and every other statement must be parsed and kept (none reported). Needs
//! PostgreSQL's server binaries; without them this test fails and says how to install them.
use pgvet_db::TempPostgres;
use pgvet_linter::synthetic::Rng;

/// Valid statements the mutations start from (some deep: a 48-term sum, a 26-column `||`).
fn valid() -> Vec<String> {
    let sum = vec!["1"; 48].join(" + ");
    let concat: Vec<String> = (0..26).map(|i| format!("c{i}::text")).collect();
    let cols: Vec<String> = (0..26).map(|i| format!("c{i} int")).collect();
    let mut v: Vec<String> = [
        "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz DEFAULT now())",
        "CREATE TABLE members (account_id bigint REFERENCES accounts (id), user_id uuid, role text CHECK (role IN ('owner', 'member')), PRIMARY KEY (account_id, user_id))",
        "CREATE INDEX members_user_id_idx ON members (user_id) WHERE role <> 'owner'",
        "ALTER TABLE accounts ADD COLUMN slug text, ADD CONSTRAINT accounts_slug_key UNIQUE (slug)",
        "INSERT INTO accounts (id, name) VALUES (1, 'a'), (2, 'b') ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        "UPDATE accounts SET name = upper(name) WHERE id IN (SELECT account_id FROM members WHERE role = 'owner')",
        "DELETE FROM members WHERE account_id = 1 AND user_id IS NULL",
        "SELECT a.id, count(m.*) AS n FROM accounts a LEFT JOIN members m ON m.account_id = a.id GROUP BY a.id HAVING count(*) > 1 ORDER BY 2 DESC",
        "WITH recent AS (SELECT id FROM accounts WHERE created_at > now() - interval '1 day') SELECT * FROM recent",
        "CREATE VIEW owners AS SELECT account_id, user_id FROM members WHERE role = 'owner'",
        "CREATE TYPE mood AS ENUM ('happy', 'sad')",
        "COMMENT ON TABLE accounts IS 'tenants; one row each'",
        "CREATE FUNCTION add_one(x int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT x + 1 $$",
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.created_at := now();\n  RETURN NEW;\nEND\n$$",
        "CREATE FUNCTION count_members(a bigint) RETURNS bigint LANGUAGE plpgsql AS $$\nDECLARE\n  n bigint;\nBEGIN\n  SELECT count(*) INTO n FROM members WHERE account_id = a;\n  IF n > 10 THEN\n    RAISE NOTICE 'many: %', n;\n  END IF;\n  RETURN n;\nEND\n$$",
        "CREATE FUNCTION twice(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT x * 2; END",
        "DO $$ BEGIN CREATE TYPE status AS ENUM ('on', 'off'); EXCEPTION WHEN duplicate_object THEN null; END $$",
        "GRANT SELECT ON accounts TO PUBLIC",
        "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at)",
        "SELECT E'it\\'s; fine', 'semi;colon', \"quoted;ident\" FROM (SELECT 1 AS \"quoted;ident\") s",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("SELECT {sum} AS total"));
    v.push(format!("CREATE TABLE wide ({})", cols.join(", ")));
    v.push(format!("CREATE VIEW wide_text AS SELECT {} AS all_columns FROM wide", concat.join(" || ")));
    v
}

/// A mutation of `s` that may or may not still parse (the server decides).
fn mutate(s: &str, rng: &mut Rng, last: bool) -> Option<String> {
    let typos = [
        ("SELECT", "SELEC"),
        ("CREATE", "CREAT"),
        ("TABLE", "TABEL"),
        ("FROM", "FRM"),
        ("WHERE", "WHER"),
        ("INSERT", "INSRT"),
        ("VALUES", "VALEUS"),
        ("RETURN", "RETRUN"),
        ("BEGIN", "BEGN"),
        ("END", "ED"),
        ("THEN", "THN"),
        ("INTO", "INOT"),
        ("ON", "NO"),
    ];
    let at = |needle: &str| -> Vec<usize> { s.match_indices(needle).map(|(i, _)| i).collect() };
    let pick = |v: Vec<usize>, rng: &mut Rng| if v.is_empty() { None } else { Some(v[rng.below(v.len())]) };
    match rng.below(if last { 8 } else { 7 }) {
        0 | 1 => {
            let (from, to) = typos[rng.below(typos.len())];
            let i = pick(at(from), rng)?;
            Some(format!("{}{}{}", &s[..i], to, &s[i + from.len()..]))
        }
        2 => {
            let i = pick(at(")"), rng)?;
            Some(format!("{}{}", &s[..i], &s[i + 1..]))
        }
        3 => {
            let i = pick(at(")"), rng)?;
            Some(format!("{}, {}", &s[..i], &s[i..]))
        }
        4 => {
            let i = pick(at(" = "), rng).or_else(|| pick(at(" + "), rng))?;
            Some(format!("{} = ={}", &s[..i], &s[i + 2..]))
        }
        5 => {
            let i = pick(at("("), rng)?;
            Some(format!("{}(({}", &s[..i], &s[i + 1..]))
        }
        6 => {
            // Drop a word.
            let words: Vec<(usize, &str)> = s.match_indices(|c: char| c.is_ascii_alphabetic()).map(|(i, _)| (i, "")).collect();
            let (i, _) = *words.get(rng.below(words.len().max(1)))?;
            let end = s[i..].find(|c: char| !c.is_ascii_alphanumeric() && c != '_').map(|e| i + e).unwrap_or(s.len());
            // Not a string prefix (E'...'), which would change where strings end.
            if s[end..].starts_with('\'') {
                return None;
            }
            Some(format!("{}{}", &s[..i], &s[end..]))
        }
        _ => {
            // An unterminated quote (only in a file's last statement: it swallows what follows).
            let i = pick(at("'"), rng)?;
            let rest_quotes = s[i + 1..].matches('\'').count();
            (rest_quotes % 2 == 1).then(|| format!("{}{}", &s[..i + 1], s[i + 1..].replace('\'', "")))
        }
    }
}

/// 1-based character position of byte offset `at` within `text[start..]`.
fn char_pos(text: &str, start: usize, at: usize) -> usize {
    text[start..at].chars().count() + 1
}

#[test]
fn every_syntax_error_is_reported_where_the_server_reports_it() {
    let pg = TempPostgres::start().unwrap_or_else(|e| panic!("the syntax oracle needs a real PostgreSQL: {e}"));
    let mut client = pg.fresh_database("syntax_oracle").unwrap();
    let valid = valid();
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let (mut broken, mut kept, mut files, mut other_errors, mut version_differences) = (0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    while broken < 320 {
        files += 1;
        // A file: 3-6 statements, some mutated.
        let n = 3 + rng.below(4);
        let mut stmts: Vec<String> = Vec::new();
        for i in 0..n {
            let base = &valid[rng.below(valid.len())];
            // A broken `BEGIN ATOMIC ... END` or quote changes where psql ends the statement, so
            // such mutations go last in a file.
            let last = i == n - 1;
            let may_mutate = last || !base.contains("BEGIN ATOMIC");
            let s =
                if may_mutate && rng.below(2) == 0 { mutate(base, &mut rng, last).unwrap_or_else(|| base.clone()) } else { base.clone() };
            stmts.push(s);
        }
        let mut text = String::from("-- generated\n");
        let mut starts = Vec::new();
        for s in &stmts {
            starts.push(text.len());
            text.push_str(s);
            text.push_str(";\n");
        }
        // The server, statement by statement, each in a rolled-back transaction.
        // Some(position) for a syntax error; None when the statement ran or failed otherwise
        // (`other` records the latter).
        let mut server: Vec<Option<usize>> = Vec::new();
        let mut other: Vec<bool> = Vec::new();
        for s in &stmts {
            client.batch_execute("BEGIN").unwrap();
            let r = client.batch_execute(&format!("{s};"));
            let _ = client.batch_execute("ROLLBACK");
            other.push(matches!(&r, Err(e) if e.as_db_error().is_some_and(|d| d.code().code() != "42601")));
            server.push(match r {
                Err(e) => match e.as_db_error() {
                    // pgvet parses with PostgreSQL 18's grammar, which no longer requires this
                    // alias (PostgreSQL 16 dropped the rule): a known version difference.
                    Some(d) if d.message() == "subquery in FROM must have an alias" => {
                        version_differences += 1;
                        None
                    }
                    Some(d) if d.code().code() == "42601" => match d.position() {
                        Some(pgvet_db::postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
                        _ => Some(0),
                    },
                    _ => None,
                },
                Ok(()) => None,
            });
        }
        // pgvet, on the whole file (DO blocks are checked as they run).
        let p = pgvet_syntax::parse_sql(&text);
        let body_errors: Vec<pgvet_syntax::SyntaxError> =
            p.statements.iter().filter_map(|s| pgvet_syntax::function_body_error(&text, s)).collect();
        let errors: Vec<&pgvet_syntax::SyntaxError> = p.errors.iter().chain(&body_errors).collect();
        for (i, s) in stmts.iter().enumerate() {
            let start = starts[i];
            let end = start + s.len();
            let ours = errors.iter().find(|e| e.at.start >= start && e.at.start <= end + 1);
            let parsed = p.statements.iter().any(|st| st.span.start >= start && st.span.start < end);
            match (server[i], ours) {
                (Some(pos), Some(e)) => {
                    broken += 1;
                    let our_pos = char_pos(&text, start, e.at.start);
                    if pos != 0 && pos != our_pos {
                        failures.push(format!("position: server {pos}, pgvet {our_pos} ({}) in\n{s}", e.message));
                    }
                }
                (Some(pos), None) => {
                    broken += 1;
                    failures.push(format!("missed: the server rejects at {pos}, pgvet says nothing:\n{s}\nin file:\n{text}"));
                }
                // A body PostgreSQL would reject, in a function it rejects earlier for another
                // reason (a return type that does not exist): both say it fails.
                (None, Some(_)) if other[i] => other_errors += 1,
                (None, Some(e)) => failures.push(format!("false: pgvet reports `{}`, the server parses:\n{s}", e.message)),
                (None, None) => {
                    kept += 1;
                    if !parsed {
                        failures.push(format!("lost: a valid statement pgvet did not keep:\n{s}"));
                    }
                }
            }
        }
    }
    eprintln!(
        "syntax oracle: {files} files, {broken} statements the server rejects, {kept} valid neighbours, {other_errors} rejected for another reason first, {version_differences} accepted by the newer grammar; {} failures",
        failures.len()
    );
    assert!(broken >= 300 && kept >= 300);
    assert!(failures.is_empty(), "{} disagreements with PostgreSQL:\n{}", failures.len(), failures.join("\n---\n"));
}
