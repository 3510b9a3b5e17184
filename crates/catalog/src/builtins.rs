//! Objects a platform provides before the first migration runs, so that migrations referring to
//! them (Supabase's `auth.users`, `auth.uid()`) replay without false "does not exist" errors.
use crate::model::*;

fn col(name: &str, ty: &str, not_null: bool) -> Column {
    Column { name: name.into(), type_name: ty.into(), not_null, default: None, identity: None, generated: None, origin: Origin::BUILTIN }
}

fn table(schema: &str, name: &str, columns: Vec<Column>, pk: &str) -> Table {
    let q = QName::new(schema, name);
    Table {
        name: q,
        kind: TableKind::Table,
        partition_by: None,
        partition_of: None,
        columns,
        constraints: vec![Constraint {
            name: format!("{name}_pkey"),
            kind: ConstraintKind::PrimaryKey,
            columns: vec![pk.into()],
            deferrable: false,
            initially_deferred: false,
            validated: true,
            index: Some(format!("{name}_pkey")),
            expression: None,
            foreign_key: None,
            origin: Origin::BUILTIN,
        }],
        triggers: vec![],
        policies: vec![],
        rls_enabled: true,
        rls_forced: false,
        grants: Vec::new(),
        // Only the commonly used columns are listed: never conclude a column is missing.
        incomplete: true,
        origin: Origin::BUILTIN,
    }
}

fn func(c: &mut Catalog, schema: &str, name: &str, returns: &str) {
    let q = QName::new(schema, name);
    let f = Function {
        name: q.clone(),
        procedure: false,
        args: vec![],
        returns: Some(returns.into()),
        language: "sql".into(),
        body: None,
        security_definer: false,
        search_path: None,
        volatility: "stable",
        grants: Vec::new(),
        origin: Origin::BUILTIN,
    };
    c.functions.insert(FunctionKey { name: q, args: vec![] }, f);
}

/// Supabase: the `auth`, `storage` and `extensions` schemas and what migrations commonly use.
pub fn supabase() -> Catalog {
    supabase_with(&["auth", "storage", "extensions", "graphql", "graphql_public", "realtime", "vault", "supabase_functions"])
}

/// GoTrue (Supabase Auth) on its own, as self-hosted stacks run it: it creates the `auth` schema
/// (`auth.users`, `auth.uid()`, ...) before the application's migrations run.
pub fn gotrue() -> Catalog {
    let mut c = supabase_with(&["auth"]);
    c.extensions.clear();
    c.default_grants.clear();
    c
}

fn supabase_with(schemas: &[&str]) -> Catalog {
    let mut c = Catalog::new();
    for s in schemas.iter().copied() {
        c.schemas.insert(s.into());
        c.platform_schemas.insert(s.into());
    }
    for e in ["pgcrypto", "uuid-ossp", "pgjwt", "pg_graphql", "supabase_vault"] {
        c.extensions.insert(e.into());
    }
    // Supabase grants the API roles everything on new tables and functions in `public`.
    for role in ["anon", "authenticated", "service_role"] {
        for kind in [crate::GrantKind::Tables, crate::GrantKind::Functions] {
            c.default_grants.push(crate::DefaultGrant { schema: Some("public".into()), kind, role: role.into() });
        }
    }
    let tables = [
        table(
            "auth",
            "users",
            vec![
                col("id", "uuid", true),
                col("email", "character varying(255)", false),
                col("phone", "text", false),
                col("raw_user_meta_data", "jsonb", false),
                col("raw_app_meta_data", "jsonb", false),
                col("created_at", "timestamp with time zone", false),
                col("updated_at", "timestamp with time zone", false),
            ],
            "id",
        ),
        table("storage", "buckets", vec![col("id", "text", true), col("name", "text", true), col("public", "boolean", false)], "id"),
        table(
            "storage",
            "objects",
            vec![
                col("id", "uuid", true),
                col("bucket_id", "text", false),
                col("name", "text", false),
                col("owner", "uuid", false),
                col("metadata", "jsonb", false),
            ],
            "id",
        ),
    ];
    for t in tables.into_iter().filter(|t| schemas.contains(&t.name.schema.as_str())) {
        let pk = t.constraints[0].name.clone();
        let idx = Index {
            name: QName::new(t.name.schema.as_str(), pk.as_str()),
            table: t.name.clone(),
            unique: true,
            primary: true,
            nulls_not_distinct: false,
            method: "btree".into(),
            keys: vec![IndexKey::Column(t.constraints[0].columns[0].clone())],
            include: vec![],
            predicate: None,
            valid: true,
            concurrently: false,
            constraint: Some(pk.clone()),
            parent: None,
            oid: c.alloc_oid(),
            origin: Origin::BUILTIN,
        };
        c.indexes.insert(idx.name.clone(), idx);
        c.tables.insert(t.name.clone(), t);
    }
    func(&mut c, "auth", "uid", "uuid");
    func(&mut c, "auth", "role", "text");
    func(&mut c, "auth", "email", "text");
    func(&mut c, "auth", "jwt", "jsonb");
    c
}

/// A schema declared rather than migrated (an ORM's models, for projects that `db push` instead
/// of keeping migrations): the catalog this DDL builds, every object marked as declared (no
/// migration line to report at), so schema rules leave it alone while code is checked against it.
pub fn declared(ddl: &str) -> Catalog {
    let mut r = crate::Replayer::new(Catalog::new());
    for s in &pgvet_syntax::parse_sql(ddl).statements {
        r.apply(0, s);
    }
    let mut c = r.catalog;
    let tables: Vec<crate::Table> = c.tables.values().cloned().collect();
    for mut t in tables {
        t.origin = Origin::DECLARED;
        for col in &mut t.columns {
            col.origin = Origin::DECLARED;
        }
        for con in &mut t.constraints {
            con.origin = Origin::DECLARED;
        }
        c.tables.insert(t.name.clone(), t);
    }
    let indexes: Vec<Index> = c.indexes.values().cloned().collect();
    for mut i in indexes {
        i.origin = Origin::DECLARED;
        c.indexes.insert(i.name.clone(), i);
    }
    let enums: Vec<(QName, crate::EnumType)> = c.enums.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (k, mut e) in enums {
        e.origin = Origin::DECLARED;
        c.enums.insert(k, e);
    }
    c
}

/// A table a migration runner makes for itself before the first migration (diesel's
/// `__diesel_schema_migrations`): complete, in `public`, without row-level security.
pub fn add_runner_table(c: &mut Catalog, name: &str, columns: &[(&str, &str, bool)], key: &str) {
    let q = QName::new("public", name);
    if c.tables.contains_key(&q) {
        return;
    }
    let mut t = table("public", name, columns.iter().map(|(n, ty, nn)| col(n, ty, *nn || *n == key)).collect(), key);
    t.rls_enabled = false;
    t.incomplete = false;
    let pk = t.constraints[0].name.clone();
    let idx = Index {
        name: QName::new("public", pk.as_str()),
        table: q.clone(),
        unique: true,
        primary: true,
        nulls_not_distinct: false,
        method: "btree".into(),
        keys: vec![IndexKey::Column(key.into())],
        include: vec![],
        predicate: None,
        valid: true,
        concurrently: false,
        constraint: Some(pk),
        parent: None,
        oid: c.alloc_oid(),
        origin: Origin::BUILTIN,
    };
    c.indexes.insert(idx.name.clone(), idx);
    c.tables.insert(q, t);
}
