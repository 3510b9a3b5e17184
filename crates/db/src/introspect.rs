//! Reads a live database's catalog (read-only queries) into a [`Snapshot`].
use pgvet_catalog::snapshot::{SnapColumn, SnapConstraint, SnapIndex, SnapTable, Snapshot};
use postgres::Client;

const USER_SCHEMA: &str =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

fn canon(e: &str) -> String {
    pgvet_syntax::canonical_expr(e).unwrap_or_else(|| e.to_string())
}

pub fn introspect(client: &mut Client) -> Result<Snapshot, postgres::Error> {
    let mut snap = Snapshot::default();
    let tables = client.query(
        &format!(
            "SELECT c.oid, n.nspname || '.' || c.relname, c.relkind::text, \
               (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent \
                  JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid AND c.relispartition) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMA} \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"
        ),
        &[],
    )?;
    let mut by_oid = std::collections::HashMap::new();
    for r in tables {
        let oid: u32 = r.get(0);
        let name: String = r.get(1);
        let relkind: String = r.get(2);
        let parent: Option<String> = r.get(3);
        let kind = match (parent, relkind.as_str()) {
            (Some(p), _) => format!("partition of {p}"),
            (None, "p") => "partitioned".into(),
            _ => "table".into(),
        };
        by_oid.insert(oid, name.clone());
        snap.tables.insert(name, SnapTable { kind, ..Default::default() });
    }
    let cols = client.query(
        "SELECT a.attrelid, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef, a.attidentity::text, a.attgenerated::text, \
           (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum) \
         FROM pg_attribute a WHERE a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum",
        &[],
    )?;
    for r in cols {
        let oid: u32 = r.get(0);
        let Some(t) = by_oid.get(&oid).and_then(|n| snap.tables.get_mut(n)) else { continue };
        t.columns.push(SnapColumn {
            name: r.get(1),
            type_name: r.get(2),
            not_null: r.get(3),
            has_default: r.get(4),
            identity: r.get(5),
            generated: !r.get::<_, String>(6).is_empty(),
            default: r.get::<_, Option<String>>(7).map(|d| pgvet_catalog::snapshot::canonical(&d)),
        });
    }
    let cons = client.query(
        "SELECT con.conrelid, con.conname::text, con.contype::text, \
           ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o), \
           con.condeferrable, con.condeferred, con.convalidated, \
           (SELECT ic.relname::text FROM pg_class ic WHERE ic.oid = con.conindid AND con.contype IN ('p', 'u', 'x')), \
           (SELECT fn.nspname || '.' || f.relname || '(' || array_to_string(ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o), ', ') || ')' \
              FROM pg_class f JOIN pg_namespace fn ON fn.oid = f.relnamespace WHERE f.oid = con.confrelid), \
           con.confdeltype::text, con.confupdtype::text, \
           CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END \
         FROM pg_constraint con \
         WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND con.conrelid <> 0 \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint p WHERE p.oid = con.conparentid AND p.conrelid = con.conrelid)",
        &[],
    )?;
    for r in cons {
        let oid: u32 = r.get(0);
        let Some(t) = by_oid.get(&oid).and_then(|n| snap.tables.get_mut(n)) else { continue };
        let kind = r.get::<_, String>(2).chars().next().unwrap_or('?');
        let mut columns: Vec<String> = r.get(3);
        if kind == 'c' {
            columns.sort();
        }
        let fk = kind == 'f';
        let ch = |s: String| s.chars().next();
        t.constraints.insert(
            r.get(1),
            SnapConstraint {
                kind,
                columns,
                deferrable: r.get(4),
                deferred: r.get(5),
                validated: r.get(6),
                index: r.get(7),
                references: if fk { r.get(8) } else { None },
                on_delete: if fk { ch(r.get(9)) } else { None },
                on_update: if fk { ch(r.get(10)) } else { None },
                check: r.get::<_, Option<String>>(11).map(|c| pgvet_catalog::snapshot::canonical(&c)),
            },
        );
    }
    let idx = client.query(
        &format!(
            "SELECT n.nspname || '.' || ic.relname, tn.nspname || '.' || t.relname, i.indisunique, i.indisprimary, i.indnullsnotdistinct, am.amname::text, \
               i.indnkeyatts::int, i.indisvalid, \
               ARRAY(SELECT CASE WHEN k.n <> 0 THEN 'c:' || a.attname::text ELSE 'e:' || pg_get_indexdef(i.indexrelid, k.o::int, true) END \
                     FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o) LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o), \
               pg_get_expr(i.indpred, i.indrelid, true) \
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace \
             JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace JOIN pg_am am ON am.oid = ic.relam \
             WHERE t.relkind IN ('r', 'p', 'm') AND {USER_SCHEMA} \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = t.oid AND d.deptype = 'e')"
        ),
        &[],
    )?;
    for r in idx {
        let nkey = r.get::<_, i32>(6) as usize;
        let all: Vec<String> = r.get(8);
        let key = |k: &String| match k.split_at(2) {
            ("e:", e) => canon(e),
            (_, c) => c.to_string(),
        };
        let keys = all.iter().take(nkey).map(key).collect();
        let include = all.iter().skip(nkey).map(key).collect();
        let pred: Option<String> = r.get(9);
        snap.indexes.insert(
            r.get(0),
            SnapIndex {
                table: r.get(1),
                unique: r.get(2),
                primary: r.get(3),
                nulls_not_distinct: r.get(4),
                method: r.get(5),
                keys,
                include,
                predicate: pred.map(|p| canon(&p)),
                valid: r.get(7),
            },
        );
    }
    let funcs = client.query(
        &format!(
            "SELECT n.nspname || '.' || p.proname || '(' || oidvectortypes(p.proargtypes) || ')' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE {USER_SCHEMA} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
        ),
        &[],
    )?;
    for r in funcs {
        snap.functions.insert(r.get(0));
    }
    Ok(snap)
}
