//! A generated migration history for benchmarks and scaling tests (never committed as files).
//! Each migration creates tables with foreign keys, indexes (plain, partial, expression),
//! checks, a function, and alters earlier tables (add/rename columns, drop indexes), so every
//! replay path gets work.
use pgvet_syntax::SourceFile;

use crate::MigrationFile;

pub fn project(migrations: usize) -> Vec<MigrationFile> {
    (0..migrations)
        .map(|i| MigrationFile {
            source: SourceFile::new(format!("migrations/{i:05}_step.sql"), migration(i)),
            transactional: true,
            host: None,
            reruns: true,
        })
        .collect()
}

fn migration(i: usize) -> String {
    let mut s = format!(
        "-- migration {i}\n\
         CREATE TABLE t{i} (\n  id bigserial PRIMARY KEY,\n  workspace_id uuid NOT NULL,\n  parent_id bigint{parent},\n  name text NOT NULL,\n  email text,\n  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'done', 'failed')),\n  amount numeric(12,2) CHECK (amount >= 0),\n  created_at timestamptz NOT NULL DEFAULT now(),\n  UNIQUE (workspace_id, name)\n);\n\
         CREATE INDEX ON t{i} (parent_id);\n\
         CREATE UNIQUE INDEX t{i}_email ON t{i} (lower(email)) WHERE email IS NOT NULL;\n\
         CREATE INDEX t{i}_recent ON t{i} (created_at DESC) WHERE status <> 'done';\n\
         CREATE FUNCTION touch_t{i}(p_id bigint, p_name text DEFAULT NULL) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$\nBEGIN\n  UPDATE t{i} SET name = coalesce(p_name, name) WHERE id = p_id;\n  INSERT INTO t{i} (workspace_id, name) SELECT workspace_id, p_name FROM t{i} WHERE id = p_id\n    ON CONFLICT (workspace_id, name) DO NOTHING;\nEND;\n$$;\n\
         INSERT INTO t{i} (workspace_id, name, status) VALUES ('00000000-0000-0000-0000-000000000000', 'seed', 'new')\n  ON CONFLICT (workspace_id, name) DO UPDATE SET status = excluded.status;\n",
        parent = if i == 0 { String::new() } else { format!(" REFERENCES t{} (id) ON DELETE CASCADE", i - 1) }
    );
    if i > 0 {
        let p = i - 1;
        s.push_str(&format!("ALTER TABLE t{p} ADD COLUMN note_{i} text, ADD COLUMN score_{i} int NOT NULL DEFAULT 0;\n"));
        s.push_str(&format!("ALTER TABLE t{p} ALTER COLUMN note_{i} SET DEFAULT '';\n"));
        s.push_str(&format!("COMMENT ON TABLE t{p} IS 'step {i}';\n"));
    }
    if i % 10 == 5 {
        s.push_str(&format!("ALTER TABLE t{i} RENAME COLUMN email TO contact_email;\nDROP INDEX t{i}_recent;\n"));
    }
    if i % 25 == 24 {
        s.push_str(&format!("CREATE VIEW v{i} AS SELECT id, name FROM t{i} WHERE status = 'new';\n"));
    }
    s
}

/// A generated application codebase of about `lines` lines of TypeScript over the tables of
/// [`project`]`(migrations)`: Supabase chains, `pg` queries with SQL strings, Drizzle builders,
/// read-then-write sequences and upserts, spread over files of ~400 lines.
pub fn typescript_sources(lines: usize, migrations: usize) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut n = 0;
    let mut f = 0;
    while n < lines {
        let mut text = String::from("import { supabase } from './supabase';\nimport { pool } from './pool';\n\n");
        let mut file_lines = 3;
        let mut k = 0;
        while file_lines < 400 {
            let t = (f * 31 + k * 7) % migrations.max(1);
            text.push_str(&format!(
                "export async function load{f}_{k}(workspaceId: string, id: number, name: string) {{\n  \
                   const {{ data: row }} = await supabase.from('t{t}').select('id, name, status').eq('workspace_id', workspaceId).eq('id', id).single();\n  \
                   if (!row) return null;\n  \
                   await supabase.from('t{t}').update({{ name: row.name + name }}).eq('workspace_id', workspaceId).eq('id', id);\n  \
                   const {{ rows }} = await pool.query('SELECT id, name FROM t{t} WHERE workspace_id = $1 AND status = $2 ORDER BY created_at DESC LIMIT 20', [workspaceId, 'new']);\n  \
                   await pool.query(`INSERT INTO t{t} (workspace_id, name) VALUES ($1, $2) ON CONFLICT (workspace_id, name) DO NOTHING`, [workspaceId, name]);\n  \
                   await supabase.rpc('touch_t{t}', {{ p_id: id, p_name: name }});\n  \
                   const total = rows.reduce((a: number, r: any) => a + r.id, 0);\n  \
                   return {{ row, rows, total }};\n}}\n\n"
            ));
            file_lines += 11;
            k += 1;
        }
        n += file_lines;
        files.push(SourceFile::new(format!("src/module{f:04}.ts"), text));
        f += 1;
    }
    files
}

/// Generated Go files (~400 lines each, `database/sql` / pgx calls) over the tables of
/// [`project`]`(migrations)`, about `lines` lines in all.
pub fn go_sources(lines: usize, migrations: usize) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut n = 0;
    let mut f = 0;
    while n < lines {
        let mut text = String::from("package store\n\nimport \"context\"\n\n");
        let mut file_lines = 4;
        let mut k = 0;
        while file_lines < 400 {
            let t = (f * 17 + k * 5) % migrations.max(1);
            text.push_str(&format!(
                "func Load{f}x{k}(ctx context.Context, db *pgxpool.Pool, ws string, name string) error {{\n\
                 \trows, err := db.Query(ctx, `SELECT id, name FROM t{t} WHERE workspace_id = $1 AND status = $2`, ws, \"new\")\n\
                 \tif err != nil {{\n\t\treturn err\n\t}}\n\
                 \tdefer rows.Close()\n\
                 \t_, err = db.Exec(ctx, `INSERT INTO t{t} (workspace_id, name) VALUES ($1, $2) ON CONFLICT (workspace_id, name) DO NOTHING`, ws, name)\n\
                 \treturn err\n}}\n\n"
            ));
            file_lines += 10;
            k += 1;
        }
        n += file_lines;
        files.push(SourceFile::new(format!("internal/store/store{f:04}.go"), text));
        f += 1;
    }
    files
}

/// A deterministic generator (xorshift) for generated tests and fuzz-like mutation tests, so a
/// failure can be reproduced from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}
