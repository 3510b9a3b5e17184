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
}

#[derive(Debug, Clone)]
pub struct PrismaModel {
    pub name: String,
    pub table: String,
    pub fields: Vec<PrismaField>,
    /// `@@unique([a, b])` / `@@id([a, b])`, by field name.
    pub compound: Vec<Vec<String>>,
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
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("model ").or_else(|| t.strip_prefix("view ")) {
            names.push(rest.split_whitespace().next().unwrap_or("").to_string());
        }
    }
    let mut cur: Option<PrismaModel> = None;
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        let start = off;
        off += line.len();
        let t = line.split("//").next().unwrap_or("").trim();
        if let Some(rest) = t.strip_prefix("model ") {
            let name = rest.split_whitespace().next().unwrap_or("").to_string();
            cur = Some(PrismaModel {
                table: name.clone(),
                name,
                fields: vec![],
                compound: vec![],
                span: Span::new(start, start + line.trim_end().len()),
            });
            continue;
        }
        let Some(m) = cur.as_mut() else { continue };
        if t.starts_with('}') {
            models.push(cur.take().unwrap());
            continue;
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
            });
        }
    }
    models
}

#[cfg(test)]
mod tests {
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
    }
}
