//! `schema.prisma`: models, their tables and columns (`@@map`, `@map`), ids and unique keys.
use crate::Span;

#[derive(Debug, Clone)]
pub struct PrismaField {
    pub name: String,
    pub column: String,
    pub id: bool,
    pub unique: bool,
    /// A relation field (its type is another model): not a column.
    pub relation: bool,
    /// Filled by Prisma when a create leaves it out (`@default(...)`, `@updatedAt`).
    pub default: bool,
    /// For a relation field, the scalar fields that hold the key (`@relation(fields: [teamId])`).
    pub relation_fields: Vec<String>,
    /// The type as written, without `?` / `[]` (`String`, `Int`, an enum or model name).
    pub ty: String,
    pub optional: bool,
    pub list: bool,
    /// The field's attributes as written (`@id @default(autoincrement()) @db.Uuid`).
    pub attrs: String,
}

#[derive(Debug, Clone)]
pub struct PrismaModel {
    pub name: String,
    pub table: String,
    pub fields: Vec<PrismaField>,
    /// `@@unique([a, b])` / `@@id([a, b])`, by field name.
    pub compound: Vec<Vec<String>>,
    /// The block attributes as written (`@@index([a])`, `@@id([a, b])`, `@@schema("x")`, ...).
    pub block: Vec<String>,
    pub span: Span,
}

impl PrismaModel {
    pub fn field(&self, name: &str) -> Option<&PrismaField> {
        self.fields.iter().find(|f| f.name == name)
    }
    /// Whether a `where` key names a unique field or a compound unique (`a_b`).
    pub fn is_unique_key(&self, key: &str) -> bool {
        self.field(key).is_some_and(|f| f.id || f.unique) || self.compound.iter().any(|c| c.join("_") == key)
    }
}

fn quoted(s: &str) -> Option<String> {
    let a = s.find('"')?;
    let b = s[a + 1..].find('"')?;
    Some(s[a + 1..a + 1 + b].to_string())
}

fn list(s: &str) -> Vec<String> {
    let (Some(a), Some(b)) = (s.find('['), s.find(']')) else { return vec![] };
    s[a + 1..b].split(',').map(|x| x.trim().split('(').next().unwrap_or("").trim().to_string()).filter(|x| !x.is_empty()).collect()
}

/// Parses the models of a Prisma schema (line-based, as the format is).
pub fn parse(text: &str) -> Vec<PrismaModel> {
    let mut models: Vec<PrismaModel> = Vec::new();
    let mut names = Vec::new();
    // A block opens with `model X {` (or `view X {`); a field may be called `model` or `view`.
    let opens = |t: &str, kw: &str| t.strip_prefix(kw).filter(|rest| rest.trim_end().ends_with('{')).map(str::to_string);
    for line in text.lines() {
        let t = line.split("//").next().unwrap_or("").trim();
        if let Some(rest) = opens(t, "model ").or_else(|| opens(t, "view ")) {
            names.push(rest.split_whitespace().next().unwrap_or("").to_string());
        }
    }
    let mut cur: Option<PrismaModel> = None;
    let mut off = 0;
    let mut in_comment = false;
    for line in text.split_inclusive('\n') {
        let start = off;
        off += line.len();
        // `/* ... */` block comments (often `/** doc */` over a field), inline or over lines.
        let mut code = String::new();
        let mut rest = line;
        loop {
            if in_comment {
                match rest.find("*/") {
                    Some(i) => {
                        rest = &rest[i + 2..];
                        in_comment = false;
                    }
                    None => break,
                }
            } else {
                match rest.find("/*") {
                    Some(i) => {
                        code.push_str(&rest[..i]);
                        rest = &rest[i + 2..];
                        in_comment = true;
                    }
                    None => {
                        code.push_str(rest);
                        break;
                    }
                }
            }
        }
        let t = code.split("//").next().unwrap_or("").trim();
        if t.is_empty() {
            continue;
        }
        if let Some(rest) = opens(t, "model ") {
            let name = rest.split_whitespace().next().unwrap_or("").to_string();
            cur = Some(PrismaModel {
                table: name.clone(),
                name,
                fields: vec![],
                compound: vec![],
                block: vec![],
                span: Span::new(start, start + line.trim_end().len()),
            });
            continue;
        }
        let Some(m) = cur.as_mut() else { continue };
        if t.starts_with('}') {
            models.push(cur.take().unwrap());
            continue;
        }
        if t.starts_with("@@") {
            m.block.push(t.to_string());
        }
        if t.starts_with("@@map") {
            if let Some(q) = quoted(t) {
                m.table = q;
            }
        } else if t.starts_with("@@unique") || t.starts_with("@@id") {
            m.compound.push(list(t));
        } else if !t.is_empty() && !t.starts_with('@') {
            let mut parts = t.split_whitespace();
            let (Some(name), Some(ty)) = (parts.next(), parts.next()) else { continue };
            let base = ty.trim_end_matches(['?', '!']).trim_end_matches("[]");
            let attrs = &t[t.find(ty).map(|i| i + ty.len()).unwrap_or(t.len())..];
            let column = attrs.find("@map(").and_then(|i| quoted(&attrs[i..])).unwrap_or_else(|| name.to_string());
            m.fields.push(PrismaField {
                name: name.to_string(),
                column,
                id: attrs.contains("@id"),
                unique: attrs.contains("@unique"),
                relation: names.iter().any(|n| n == base) || ty.ends_with("[]") && names.iter().any(|n| n == base),
                default: attrs.contains("@default(") || attrs.contains("@updatedAt"),
                relation_fields: attrs.find("fields:").map(|i| list(&attrs[i..])).unwrap_or_default(),
                ty: base.to_string(),
                optional: ty.ends_with('?'),
                list: ty.ends_with("[]"),
                attrs: attrs.trim().to_string(),
            });
        }
    }
    models
}

/// Marks the fields whose type is a model as relations, across the files of a multi-file schema
/// (`prisma/schema/*.prisma`): [`parse`] sees one file, where a model of another file looks like a
/// scalar type.
pub fn resolve_relations(mut models: Vec<&mut PrismaModel>) {
    let names: std::collections::HashSet<String> = models.iter().map(|m| m.name.clone()).collect();
    for m in models.iter_mut() {
        for f in m.fields.iter_mut().filter(|f| !f.relation && names.contains(&f.ty)) {
            f.relation = true;
        }
    }
}

/// `enum Name { A B @map("b") @@map("name") }`: (type name, SQL name, values as
/// (Prisma name, SQL label)).
pub type PrismaEnum = (String, String, Vec<(String, String)>);

/// The enums of a Prisma schema.
pub fn enums(text: &str) -> Vec<PrismaEnum> {
    let mut out = Vec::new();
    let mut cur: Option<PrismaEnum> = None;
    for line in text.lines() {
        let t = line.split("//").next().unwrap_or("").trim();
        if let Some(rest) = t.strip_prefix("enum ").filter(|r| r.trim_end().ends_with('{')) {
            let name = rest.split_whitespace().next().unwrap_or("").to_string();
            cur = Some((name.clone(), name, Vec::new()));
            continue;
        }
        let Some(e) = cur.as_mut() else { continue };
        if t.starts_with('}') {
            out.push(cur.take().unwrap());
        } else if t.starts_with("@@map") {
            if let Some(q) = quoted(t) {
                e.1 = q;
            }
        } else if let Some(v) = t.split_whitespace().next().filter(|v| !v.starts_with('@')) {
            let sql = t.find("@map(").and_then(|i| quoted(&t[i..])).unwrap_or_else(|| v.to_string());
            e.2.push((v.to_string(), sql));
        }
    }
    out
}

/// The argument of `@name(...)` in `attrs` (balanced parentheses), if present.
fn attr_arg<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let i = attrs.find(name)? + name.len();
    let rest = attrs[i..].strip_prefix('(')?;
    let mut depth = 1;
    for (j, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&rest[..j]);
                }
            }
            _ => {}
        }
    }
    None
}

/// A default constraint/index name as Prisma makes it: `{prefix}_{suffix}`, the prefix cut so
/// the whole fits PostgreSQL's 63 bytes and the suffix survives.
fn default_name(prefix: &str, suffix: &str) -> String {
    let room = 63 - suffix.len() - 1;
    let mut cut = prefix.len().min(room);
    while !prefix.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{suffix}", &prefix[..cut])
}

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The SQL type Prisma Migrate gives a field on PostgreSQL.
fn sql_type(f: &PrismaField, enums: &[PrismaEnum]) -> String {
    let native = f.attrs.find("@db.").map(|i| {
        let rest = &f.attrs[i + 4..];
        let name_end = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
        match rest[name_end..].strip_prefix('(') {
            // `@db.Decimal(4, 2)`: the arguments, parentheses balanced.
            Some(_) => {
                let args = attr_arg(rest, &rest[..name_end]).unwrap_or("");
                format!("{}({})", &rest[..name_end], args.split(',').map(str::trim).collect::<Vec<_>>().join(","))
            }
            None => rest[..name_end].to_string(),
        }
    });
    let base = if let Some(n) = native {
        let (name, args) = n.split_once('(').map(|(a, b)| (a, format!("({b}"))).unwrap_or((n.as_str(), String::new()));
        let name = match name {
            "Timestamptz" => "TIMESTAMPTZ".to_string(),
            "Timetz" => "TIMETZ".to_string(),
            "DoublePrecision" => "DOUBLE PRECISION".to_string(),
            "JsonB" => "JSONB".to_string(),
            "ByteA" => "BYTEA".to_string(),
            "Integer" => "INTEGER".to_string(),
            "VarBit" => "VARBIT".to_string(),
            other => other.to_ascii_uppercase(),
        };
        format!("{name}{args}")
    } else if let Some((_, sql, _)) = enums.iter().find(|(n, _, _)| *n == f.ty) {
        q(sql)
    } else {
        match f.ty.as_str() {
            "String" => "TEXT".into(),
            "Boolean" => "BOOLEAN".into(),
            "Int" => "INTEGER".into(),
            "BigInt" => "BIGINT".into(),
            "Float" => "DOUBLE PRECISION".into(),
            "Decimal" => "DECIMAL(65,30)".into(),
            "DateTime" => "TIMESTAMP(3)".into(),
            "Json" => "JSONB".into(),
            "Bytes" => "BYTEA".into(),
            other => attr_arg(other, "Unsupported").and_then(quoted).unwrap_or_else(|| "TEXT".into()),
        }
    };
    if f.list {
        format!("{base}[]")
    } else {
        base
    }
}

/// The column definition's DEFAULT clause (None for values Prisma makes in the client).
fn sql_default(f: &PrismaField, enums: &[PrismaEnum]) -> Option<String> {
    let d = attr_arg(&f.attrs, "@default")?.trim();
    if d == "now()" {
        return Some("CURRENT_TIMESTAMP".into());
    }
    // A scalar list: `[]`, `[USER]`, `["a", "b"]` → ARRAY[...]::type[].
    if let Some(items) = d.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        let vals: Vec<String> = items
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|x| {
                if x.starts_with('"') {
                    format!("'{}'", quoted(x).unwrap_or_default().replace('\'', "''"))
                } else if x.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && x != "true" && x != "false" {
                    // An enum value: its SQL label.
                    let label = enums
                        .iter()
                        .find(|(n, _, _)| *n == f.ty)
                        .and_then(|(_, _, vs)| vs.iter().find(|(p, _)| p == x).map(|(_, sql)| sql.clone()))
                        .unwrap_or_else(|| x.to_string());
                    format!("'{}'", label.replace('\'', "''"))
                } else {
                    x.to_string()
                }
            })
            .collect();
        return Some(format!("ARRAY[{}]::{}", vals.join(", "), sql_type(f, enums)));
    }
    if let Some(expr) = attr_arg(d, "dbgenerated") {
        return quoted(expr).filter(|e| !e.is_empty());
    }
    if d.contains('(') {
        return None; // autoincrement() (SERIAL), uuid(), cuid(), nanoid(), ulid(), sequence()
    }
    if d.starts_with('"') {
        return quoted(d).map(|v| format!("'{}'", v.replace('\'', "''")));
    }
    if let Some((_, _, values)) = enums.iter().find(|(n, _, _)| *n == f.ty) {
        let label = values.iter().find(|(p, _)| p == d).map(|(_, sql)| sql.as_str()).unwrap_or(d);
        return Some(format!("'{}'", label.replace('\'', "''")));
    }
    Some(d.to_string())
}

/// The DDL `prisma migrate diff --from-empty` writes for these models on PostgreSQL: enums,
/// tables (columns, primary keys), unique and plain indexes, then foreign keys. Names follow
/// Prisma's conventions (`T_pkey`, `T_a_b_key`, `T_a_idx`, `T_a_fkey`) unless `map:` says
/// otherwise. For projects without migrations (`prisma db push`).
pub fn to_sql(models: &[PrismaModel], enums: &[PrismaEnum]) -> String {
    let mut out = String::new();
    let schema_of = |m: &PrismaModel| m.block.iter().find(|b| b.starts_with("@@schema")).and_then(|b| quoted(b));
    let table_name = |m: &PrismaModel| match schema_of(m) {
        Some(s) => format!("{}.{}", q(&s), q(&m.table)),
        None => q(&m.table),
    };
    let col = |m: &PrismaModel, field: &str| m.field(field).map(|f| f.column.clone()).unwrap_or_else(|| field.to_string());
    for (_, sql, values) in enums {
        let vals: Vec<String> = values.iter().map(|(_, v)| format!("'{}'", v.replace('\'', "''"))).collect();
        out.push_str(&format!("CREATE TYPE {} AS ENUM ({});\n", q(sql), vals.join(", ")));
    }
    for m in models {
        let mut defs = Vec::new();
        for f in m.fields.iter().filter(|f| !f.relation) {
            let auto = attr_arg(&f.attrs, "@default").is_some_and(|d| d.trim() == "autoincrement()");
            let ty = match (auto, f.ty.as_str()) {
                (true, "BigInt") => "BIGSERIAL".to_string(),
                (true, _) => "SERIAL".to_string(),
                _ => sql_type(f, enums),
            };
            let mut d = format!("{} {ty}", q(&f.column));
            if !f.optional && !f.list {
                d.push_str(" NOT NULL");
            }
            if let Some(def) = sql_default(f, enums).filter(|_| !auto) {
                d.push_str(&format!(" DEFAULT {def}"));
            }
            defs.push(d);
        }
        let pk_name = |map: Option<String>| map.unwrap_or_else(|| default_name(&m.table, "pkey"));
        if let Some(f) = m.fields.iter().find(|f| f.attrs.contains("@id")) {
            let map = attr_arg(&f.attrs, "@id").and_then(|a| a.find("map:").and_then(|i| quoted(&a[i..])));
            defs.push(format!("CONSTRAINT {} PRIMARY KEY ({})", q(&pk_name(map)), q(&f.column)));
        } else if let Some(b) = m.block.iter().find(|b| b.starts_with("@@id")) {
            let cols: Vec<String> = list(b).iter().map(|f| q(&col(m, f))).collect();
            let map = b.find("map:").and_then(|i| quoted(&b[i..]));
            defs.push(format!("CONSTRAINT {} PRIMARY KEY ({})", q(&pk_name(map)), cols.join(", ")));
        }
        out.push_str(&format!("CREATE TABLE {} (\n  {}\n);\n", table_name(m), defs.join(",\n  ")));
        for f in m.fields.iter().filter(|f| !f.relation && f.attrs.contains("@unique")) {
            let map = attr_arg(&f.attrs, "@unique").and_then(|a| a.find("map:").and_then(|i| quoted(&a[i..])));
            let name = map.unwrap_or_else(|| default_name(&format!("{}_{}", m.table, f.column), "key"));
            out.push_str(&format!("CREATE UNIQUE INDEX {} ON {}({});\n", q(&name), table_name(m), q(&f.column)));
        }
        for b in &m.block {
            let (unique, suffix) = if b.starts_with("@@unique") {
                (true, "key")
            } else if b.starts_with("@@index") {
                (false, "idx")
            } else {
                continue;
            };
            let cols: Vec<String> = list(b).iter().map(|f| col(m, f)).collect();
            if cols.is_empty() {
                continue;
            }
            let name = b
                .find("map:")
                .and_then(|i| quoted(&b[i..]))
                .unwrap_or_else(|| default_name(&format!("{}_{}", m.table, cols.join("_")), suffix));
            let quoted_cols: Vec<String> = cols.iter().map(|c| q(c)).collect();
            let kind = if unique { "UNIQUE INDEX" } else { "INDEX" };
            // `type: Gin` (Gist, Hash, Brin, SpGist): the access method.
            let method = b
                .find("type:")
                .map(|i| b[i + 5..].trim_start().split(|c: char| !c.is_alphanumeric()).next().unwrap_or("").to_ascii_uppercase())
                .filter(|m| !m.is_empty() && m != "BTREE")
                .map(|m| format!(" USING {m}"))
                .unwrap_or_default();
            out.push_str(&format!("CREATE {kind} {} ON {}{method}({});\n", q(&name), table_name(m), quoted_cols.join(", ")));
        }
    }
    // Implicit many-to-many relations: a list on both sides and no `fields:`. Prisma keeps them in
    // `_<RelationName>` (default `<A>To<B>`, models in name order) with columns A and B.
    let mut joins: Vec<String> = Vec::new();
    for m in models {
        for f in m.fields.iter().filter(|f| f.relation && f.list && f.relation_fields.is_empty()) {
            let Some(other) = models.iter().find(|o| o.name == f.ty) else { continue };
            let rel_name = attr_arg(&f.attrs, "@relation").and_then(quoted);
            // The other side is a list too (a self relation: another field of the same model).
            let back = other.fields.iter().any(|g| {
                !(other.name == m.name && g.name == f.name)
                    && g.relation
                    && g.list
                    && g.ty == m.name
                    && g.relation_fields.is_empty()
                    && attr_arg(&g.attrs, "@relation").and_then(quoted) == rel_name
            });
            if !back {
                continue;
            }
            let (a, b) = if m.name <= other.name { (m, other) } else { (other, m) };
            let name = rel_name.clone().unwrap_or_else(|| format!("{}To{}", a.name, b.name));
            if joins.contains(&name) {
                continue;
            }
            joins.push(name.clone());
            let id_of = |x: &PrismaModel| x.fields.iter().find(|f| f.attrs.contains("@id")).map(|f| (f.column.clone(), sql_type(f, enums)));
            let (Some((a_id, a_ty)), Some((b_id, b_ty))) = (id_of(a), id_of(b)) else { continue };
            let t = format!("_{name}");
            out.push_str(&format!(
                "CREATE TABLE {} (\n  \"A\" {a_ty} NOT NULL,\n  \"B\" {b_ty} NOT NULL,\n  CONSTRAINT {} PRIMARY KEY (\"A\", \"B\")\n);\n",
                q(&t),
                q(&default_name(&t, "AB_pkey"))
            ));
            out.push_str(&format!("CREATE INDEX {} ON {}(\"B\");\n", q(&default_name(&t, "B_index")), q(&t)));
            for (col, target, id) in [("A", a, &a_id), ("B", b, &b_id)] {
                out.push_str(&format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY (\"{col}\") REFERENCES {}({}) ON DELETE CASCADE ON UPDATE CASCADE;\n",
                    q(&t),
                    q(&default_name(&t, &format!("{col}_fkey"))),
                    table_name(target),
                    q(id)
                ));
            }
        }
    }
    for m in models {
        for f in m.fields.iter().filter(|f| f.relation && !f.relation_fields.is_empty()) {
            let Some(parent) = models.iter().find(|p| p.name == f.ty) else { continue };
            let Some(rel) = attr_arg(&f.attrs, "@relation") else { continue };
            let refs = rel.find("references:").map(|i| list(&rel[i..])).unwrap_or_default();
            let cols: Vec<String> = f.relation_fields.iter().map(|x| col(m, x)).collect();
            let ref_cols: Vec<String> = refs.iter().map(|x| q(&col(parent, x))).collect();
            let optional = f.relation_fields.iter().any(|x| m.field(x).is_some_and(|s| s.optional));
            let action = |key: &str, default: &str| {
                let a = rel
                    .find(key)
                    .map(|i| rel[i + key.len()..].trim_start().split(|c: char| !c.is_alphanumeric()).next().unwrap_or("").to_string());
                match a.as_deref().unwrap_or(default) {
                    "Cascade" => "CASCADE",
                    "SetNull" => "SET NULL",
                    "SetDefault" => "SET DEFAULT",
                    "NoAction" => "NO ACTION",
                    _ => "RESTRICT",
                }
            };
            let on_delete = action("onDelete:", if optional { "SetNull" } else { "Restrict" });
            let on_update = action("onUpdate:", "Cascade");
            let name = rel
                .find("map:")
                .and_then(|i| quoted(&rel[i..]))
                .unwrap_or_else(|| default_name(&format!("{}_{}", m.table, cols.join("_")), "fkey"));
            let quoted_cols: Vec<String> = cols.iter().map(|c| q(c)).collect();
            out.push_str(&format!(
                "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {}({}) ON DELETE {on_delete} ON UPDATE {on_update};\n",
                table_name(m),
                q(&name),
                quoted_cols.join(", "),
                table_name(parent),
                ref_cols.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn relations_across_files() {
        use super::{parse, resolve_relations};
        let mut a = parse("model Team {\n  id String @id\n  docs Document[]\n}\n");
        let mut b =
            parse("model Document {\n  id String @id\n  teamId String\n  team Team @relation(fields: [teamId], references: [id])\n}\n");
        assert!(!a[0].field("docs").unwrap().relation && !b[0].field("team").unwrap().relation);
        resolve_relations(a.iter_mut().chain(b.iter_mut()).collect());
        assert!(a[0].field("docs").unwrap().relation && b[0].field("team").unwrap().relation);
        assert!(!b[0].field("teamId").unwrap().relation);
    }

    #[test]
    fn models() {
        let m = super::parse(
            "model Workspace {\n  id Int @id @default(autoincrement())\n  workspaceId String @unique @map(\"workspace_id\")\n  project Project @relation(fields: [projectId], references: [id])\n  projectId Int @map(\"project_id\")\n  @@unique([projectId, workspaceId])\n  @@map(\"workspaces\")\n}\nmodel Project {\n  id Int @id\n}\n",
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].table, "workspaces");
        assert_eq!(m[0].field("workspaceId").unwrap().column, "workspace_id");
        assert!(m[0].field("project").unwrap().relation);
        assert!(m[0].is_unique_key("workspaceId") && m[0].is_unique_key("projectId_workspaceId") && !m[0].is_unique_key("projectId"));
        // Fields called `model` and `view` (langfuse's prices) are fields, not blocks.
        let m = super::parse("model Price {\n  id String @id\n  model String\n  /**\n   * the view\n   */\n  view Kind\n  /* name */ name String\n}\nenum Kind {\n  A\n}\n");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["id", "model", "view", "name"]);
        assert!(m[0].fields.iter().all(|f| !f.relation));
    }

    /// The DDL for a `db push` project: what `prisma migrate diff --from-empty` writes.
    #[test]
    fn ddl() {
        let text = "enum Role {\n  USER\n  ADMIN @map(\"admin\")\n}\nmodel Team {\n  id String @id @default(cuid())\n  slug String @unique\n  roles Role[] @default([USER])\n  tags String[] @default([])\n  @@map(\"teams\")\n}\nmodel Doc {\n  id Int @id @default(autoincrement())\n  teamId String @map(\"team_id\")\n  team Team @relation(fields: [teamId], references: [id], onDelete: Cascade)\n  title String @db.VarChar(200)\n  body String? @default(\"\")\n  at DateTime @default(now())\n  @@unique([teamId, title])\n  @@index([title(ops: raw(\"gin_trgm_ops\"))], type: Gin)\n}\n";
        let sql = super::to_sql(&super::parse(text), &super::enums(text));
        for want in [
            "CREATE TYPE \"Role\" AS ENUM ('USER', 'admin');",
            "\"roles\" \"Role\"[] DEFAULT ARRAY['USER']::\"Role\"[]",
            "\"tags\" TEXT[] DEFAULT ARRAY[]::TEXT[]",
            "\"id\" SERIAL NOT NULL",
            "\"title\" VARCHAR(200) NOT NULL",
            "\"body\" TEXT DEFAULT ''",
            "\"at\" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP",
            "CONSTRAINT \"teams_pkey\" PRIMARY KEY (\"id\")",
            "CREATE UNIQUE INDEX \"teams_slug_key\" ON \"teams\"(\"slug\");",
            "CREATE UNIQUE INDEX \"Doc_team_id_title_key\" ON \"Doc\"(\"team_id\", \"title\");",
            "CREATE INDEX \"Doc_title_idx\" ON \"Doc\" USING GIN(\"title\");",
            "ALTER TABLE \"Doc\" ADD CONSTRAINT \"Doc_team_id_fkey\" FOREIGN KEY (\"team_id\") REFERENCES \"teams\"(\"id\") ON DELETE CASCADE ON UPDATE CASCADE;",
        ] {
            assert!(sql.contains(want), "missing {want}:\n{sql}");
        }
        assert!(pgvet_syntax::parse_sql(&sql).errors.is_empty(), "{sql}");
    }
}
