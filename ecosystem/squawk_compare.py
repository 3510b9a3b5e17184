#!/usr/bin/env python3
"""Migration safety beside squawk (issue 12): one generated migration per lock-relevant form,
on a table created by an earlier migration (existing) and on a table created in the same
migration (new), for a transactional runner (sqlx; squawk with --assume-in-transaction), and for
the forms where it matters also in a migration run outside a transaction (sqlx
`-- no-transaction`; squawk without the flag). For each statement: which squawk rules flag it,
which pgvet rules flag it, and what the lock oracle (crates/linter/data/locks.tsv) says.

    python3 ecosystem/squawk_compare.py --squawk PATH [--pgvet target/release/pgvet]

Prints a markdown table. Needs squawk (`pip download squawk-cli`); CI does not run it.
"""
import argparse
import json
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = "CREATE TABLE p (id int PRIMARY KEY);\nCREATE DOMAIN posint AS int;\nCREATE TYPE mood AS ENUM ('a', 'b');\nCREATE TABLE t (id int PRIMARY KEY, a int, b text, v varchar(10), p_id int, n int NOT NULL, d posint);\nCREATE INDEX t_a_idx ON t (a);\nCREATE TABLE parted (id int, at date) PARTITION BY RANGE (at);\nCREATE TABLE parted_2023 PARTITION OF parted FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\n"

# (form of the lock oracle, statement)
CASES = [
    ("create_index", "CREATE INDEX t_b_idx ON t (b);"),
    ("create_index_concurrently", "CREATE INDEX CONCURRENTLY t_b_idx ON t (b);"),
    ("create_index_concurrently", "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_b_idx ON t (b);"),
    ("drop_index", "DROP INDEX t_a_idx;"),
    ("add_check", "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0);"),
    ("add_check_not_valid", "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0) NOT VALID;"),
    ("add_foreign_key", "ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p (id);"),
    ("add_foreign_key_not_valid", "ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID;"),
    ("set_not_null", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;"),
    ("add_column_not_null", "ALTER TABLE t ADD COLUMN c int NOT NULL;"),
    ("add_column_default_constant", "ALTER TABLE t ADD COLUMN c int DEFAULT 0;"),
    ("add_column_default_volatile", "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp();"),
    ("add_column_serial", "ALTER TABLE t ADD COLUMN c serial;"),
    ("alter_type_rewrite", "ALTER TABLE t ALTER COLUMN a TYPE bigint;"),
    ("alter_type_varchar_to_text", "ALTER TABLE t ALTER COLUMN v TYPE text;"),
    ("add_unique", "ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE (b);"),
    ("add_primary_key", "ALTER TABLE t DROP CONSTRAINT t_pkey;\nALTER TABLE t ADD PRIMARY KEY (id);"),
    ("rename_column", "ALTER TABLE t RENAME COLUMN b TO b2;"),
    ("rename_table", "ALTER TABLE t RENAME TO t2;"),
    ("drop_column", "ALTER TABLE t DROP COLUMN b;"),
    ("drop_table", "DROP TABLE t;"),
    ("reindex_index", "REINDEX INDEX t_a_idx;"),
    ("vacuum_full", "VACUUM FULL t;"),
    ("detach_partition", "ALTER TABLE parted DETACH PARTITION parted_2023;"),
    ("truncate", "TRUNCATE p CASCADE;"),
    ("update_all_rows", "UPDATE t SET b = 'z';"),
    ("drop_not_null", "ALTER TABLE t ALTER COLUMN n DROP NOT NULL;"),
    ("-", "DROP DATABASE analytics;"),
    ("create_domain_with_constraint", "CREATE DOMAIN posint2 AS int CHECK (VALUE > 0);"),
    ("alter_domain_add_constraint", "ALTER DOMAIN posint ADD CONSTRAINT posint_pos CHECK (VALUE > 0);"),
    ("alter_domain_add_constraint_not_valid", "ALTER DOMAIN posint ADD CONSTRAINT posint_pos CHECK (VALUE > 0) NOT VALID;"),
    ("alter_enum_add_value", "ALTER TYPE mood ADD VALUE 'c';"),
    ("create_index", "ALTER TABLE t ADD COLUMN c int;\nCREATE INDEX t_b_idx ON t (b);"),
    ("-", "BEGIN;\nALTER TABLE t ADD COLUMN c int;"),
    ("create_table", "CREATE TABLE n (id int);\nALTER TABLE t ADD COLUMN IF NOT EXISTS c int;"),
]

# Forms also compared in a migration run outside a transaction (the statement is the last line).
NO_TRANSACTION = {
    "CREATE INDEX CONCURRENTLY t_b_idx ON t (b);",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_b_idx ON t (b);",
    "VACUUM FULL t;",
    "BEGIN;\nALTER TABLE t ADD COLUMN c int;",
    "CREATE TABLE n (id int);\nALTER TABLE t ADD COLUMN IF NOT EXISTS c int;",
}


def squawk(path, sql_file, transaction=True):
    flag = ["--assume-in-transaction"] if transaction else []
    p = subprocess.run([path, "--reporter", "json", *flag, str(sql_file)], capture_output=True, text=True)
    try:
        return sorted({d["rule_name"] for d in json.loads(p.stdout or "[]")})
    except json.JSONDecodeError:
        return ["(error)"]


def pgvet(path, root, name):
    p = subprocess.run([path, "check", str(root), "--format", "json", "-q"], capture_output=True, text=True)
    doc = json.loads(p.stdout)
    return sorted({d["rule"] for d in doc["diagnostics"] if d["location"]["file"].endswith(name) and d["rule"] != "fk-missing-index"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--squawk", required=True)
    ap.add_argument("--pgvet", default=str(HERE.parent / "target/release/pgvet"))
    args = ap.parse_args()
    oracle = {l.split("\t")[0]: l.split("\t") for l in (HERE.parent / "crates/linter/data/locks.tsv").read_text().splitlines() if not l.startswith("#")}
    print("| statement | table | squawk | pgvet | oracle (t: locks, rewrite, scan) |")
    print("|---|---|---|---|---|")
    for form, sql in CASES:
        contexts = ["existing", "new"] + (["existing, no transaction"] if sql in NO_TRANSACTION else [])
        for context in contexts:
            tx = "no transaction" not in context
            head = "" if tx else "-- no-transaction\n"
            with tempfile.TemporaryDirectory() as d:
                m = Path(d) / "migrations"
                m.mkdir()
                if context.startswith("existing"):
                    (m / "0001_base.sql").write_text(BASE)
                    (m / "0002_change.sql").write_text(head + sql + "\n")
                else:
                    (m / "0001_base.sql").write_text("CREATE TABLE unrelated (id int);\n")
                    (m / "0002_change.sql").write_text(BASE + sql + "\n")
                sq = squawk(args.squawk, m / "0002_change.sql", tx)
                if context == "new":
                    # squawk's findings on the base part are not about this statement
                    base_file = Path(d) / "b.sql"
                    base_file.write_text(BASE)
                    base_only = set(squawk(args.squawk, base_file))
                    sq = [r for r in sq if r not in base_only or r in squawk_only(args.squawk, d, sql)]
                pv = pgvet(args.pgvet, d, "0002_change.sql")
            o = oracle.get(form, ["", "?", "?", "?", "?"])
            locks = next((x for x in o[1].split(";") if x.startswith("t:")), o[1])
            print(f"| `{' '.join(sql.splitlines())}` | {context} | {', '.join(sq) or '-'} | {', '.join(pv) or '-'} | {locks}, {o[2]}, {o[3]} |")


def squawk_only(path, d, sql):
    f = Path(d) / "only.sql"
    f.write_text(sql + "\n")
    return set(squawk(path, f))


if __name__ == "__main__":
    main()
