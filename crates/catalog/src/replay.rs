//! Applies DDL statements, in order, to an in-memory [`Catalog`], the way PostgreSQL would.
//!
//! Statements that change the schema in ways pgvet does not model (DO blocks, dynamic SQL, ...)
//! are recorded as opaque; statements PostgreSQL would reject (e.g. ALTER of a table that does
//! not exist) are recorded as errors and leave the catalog as it was. Nothing here panics on
//! user input.
use pgvet_syntax::protobuf::node::Node as N;
use pgvet_syntax::protobuf::{self, ConstrType, DropBehavior, Node, ObjectType};
use pgvet_syntax::{canonical_expr_node, deparse_expr, expr_columns, NodeEnum, Span, Statement};
use serde::Serialize;

use crate::model::*;
use crate::names::*;
use crate::types::{format_type, serial_base, type_ref};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A statement that may change the schema but that pgvet does not model.
    Opaque,
    /// A statement PostgreSQL would reject given the schema so far.
    Error,
    /// A statement whose effect pgvet could not follow (dynamic SQL, a condition on data): what
    /// it may touch is uncertain (`Catalog::uncertain`), and verdicts on those objects are withheld.
    Unmodelled,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplayEvent {
    pub step: usize,
    pub span: Span,
    pub kind: EventKind,
    pub message: String,
    /// For an error about an object an earlier unmodelled statement may have changed: that
    /// statement's event index. Such an error is not reported, only counted there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld_by: Option<usize>,
}

pub struct Replayer {
    pub catalog: Catalog,
    pub search_path: Vec<String>,
    pub events: Vec<ReplayEvent>,
    step: usize,
    span: Span,
    base: usize,
    /// Whether the runner wraps the current file in a transaction (set per file by the caller).
    pub runner_transaction: bool,
    /// A transaction the file opened itself (`BEGIN` ... `COMMIT`).
    explicit_transaction: bool,
    /// Temporary tables created `ON COMMIT DROP`, dropped when the transaction ends.
    commit_drops: Vec<QName>,
    /// The session's search_path; `search_path` differs from it while a transaction-local
    /// setting (`SET LOCAL`, `set_config(..., true)`) holds.
    session_path: Vec<String>,
    /// What a ROLLBACK goes back to: the catalog and the session's search_path when the
    /// current transaction began.
    tx_start: Option<(Catalog, Vec<String>)>,
    /// Function bodies' schema effects, read once per body.
    effects_cache: effects::EffectsCache,
}

pub(crate) fn strs(list: &[Node]) -> Vec<String> {
    list.iter()
        .filter_map(|n| match &n.node {
            Some(N::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

fn text_of(n: &Option<Box<Node>>) -> Option<String> {
    n.as_deref().and_then(deparse_expr)
}

fn canon_of(n: &Option<Box<Node>>) -> Option<String> {
    n.as_deref().and_then(canonical_expr_node)
}

fn action(s: &str, default: char) -> char {
    s.chars().next().unwrap_or(default)
}

/// A PK/UNIQUE/EXCLUDE constraint waiting for its index.
struct IndexConstraint {
    name: Option<String>,
    kind: ConstraintKind,
    columns: Vec<String>,
    include: Vec<String>,
    /// Exclusion elements: (key, operator).
    excl_keys: Vec<IndexKey>,
    excl_colnames: Vec<String>,
    method: String,
    predicate: Option<String>,
    deferrable: bool,
    deferred: bool,
    nulls_not_distinct: bool,
    using_index: Option<String>,
    loc: i32,
}

impl Replayer {
    pub fn new(catalog: Catalog) -> Self {
        Replayer {
            catalog,
            search_path: vec!["public".into()],
            events: Vec::new(),
            step: 0,
            span: Span::default(),
            base: 0,
            runner_transaction: false,
            explicit_transaction: false,
            commit_drops: Vec::new(),
            session_path: vec!["public".into()],
            tx_start: None,
            effects_cache: Default::default(),
        }
    }

    fn origin(&self) -> Origin {
        Origin { step: self.step, span: self.span, at: None }
    }

    /// The origin of a clause at a parser `location` inside the current statement.
    fn origin_at(&self, location: i32) -> Origin {
        let at = (location >= 0).then(|| (self.base + location as usize).clamp(self.span.start, self.span.end));
        Origin { step: self.step, span: self.span, at }
    }

    fn error(&mut self, message: impl Into<String>) {
        self.events.push(ReplayEvent {
            step: self.step,
            span: self.span,
            kind: EventKind::Error,
            message: message.into(),
            withheld_by: None,
        });
    }

    /// Errors that `node` raised since event `before`: withheld when the statement is about an
    /// object an unmodelled statement (or the platform) may have made.
    fn withhold_uncertain_errors(&mut self, before: usize, node: &NodeEnum) {
        if !self.events[before..].iter().any(|e| e.kind == EventKind::Error && e.withheld_by.is_none()) {
            return;
        }
        if let Some(u) = self.uncertainty_of(node) {
            for e in &mut self.events[before..] {
                if e.kind == EventKind::Error && e.withheld_by.is_none() {
                    e.withheld_by = Some(u);
                }
            }
        }
    }

    fn opaque(&mut self, message: impl Into<String>) {
        self.events.push(ReplayEvent {
            step: self.step,
            span: self.span,
            kind: EventKind::Opaque,
            message: message.into(),
            withheld_by: None,
        });
    }

    /// The unmodelled statement, if any, that may have changed an object `node` names.
    pub(crate) fn uncertainty_of(&self, node: &NodeEnum) -> Option<usize> {
        if self.catalog.uncertain.is_empty() && self.catalog.platform_schemas.is_empty() {
            return None;
        }
        // The relation a statement is about (pg_query's node walk skips some of these fields).
        let main = match node {
            NodeEnum::CreatePolicyStmt(s) => s.table.as_ref(),
            NodeEnum::AlterPolicyStmt(s) => s.table.as_ref(),
            NodeEnum::CreateTrigStmt(s) => s.relation.as_ref(),
            NodeEnum::AlterTableStmt(s) => s.relation.as_ref(),
            NodeEnum::IndexStmt(s) => s.relation.as_ref(),
            NodeEnum::RenameStmt(s) => s.relation.as_ref(),
            _ => None,
        };
        if let Some(hit) = main.and_then(|rv| self.catalog.uncertain_relation_in(&self.search_path, &rv.schemaname, &rv.relname)) {
            return Some(hit);
        }
        for n in pgvet_syntax::all_nodes(node) {
            let hit = match n {
                pgvet_syntax::pg_query::NodeRef::RangeVar(rv) => {
                    self.catalog.uncertain_relation_in(&self.search_path, &rv.schemaname, &rv.relname)
                }
                pgvet_syntax::pg_query::NodeRef::TypeName(t) => {
                    let names = strs(&t.names);
                    match names.as_slice() {
                        [.., s, n] => self.catalog.uncertain_type(&QName::new(s.as_str(), n.as_str())),
                        [n] => self.search_path.iter().find_map(|s| self.catalog.uncertain_type(&QName::new(s.as_str(), n.as_str()))),
                        [] => None,
                    }
                }
                pgvet_syntax::pg_query::NodeRef::List(l) => {
                    // Names of dropped or renamed objects.
                    let names = strs(&l.items);
                    match names.as_slice() {
                        [.., s, n] if names.len() >= 2 => self.catalog.uncertain_relation(&QName::new(s.as_str(), n.as_str())),
                        [n] => self.catalog.uncertain_relation_in(&self.search_path, "", n),
                        _ => None,
                    }
                }
                pgvet_syntax::pg_query::NodeRef::ObjectWithArgs(o) => {
                    let names = strs(&o.objname);
                    match names.as_slice() {
                        [.., s, n] => self.catalog.uncertain_function(&QName::new(s.as_str(), n.as_str())),
                        [n] => self.search_path.iter().find_map(|s| self.catalog.uncertain_function(&QName::new(s.as_str(), n.as_str()))),
                        [] => None,
                    }
                }
                _ => None,
            };
            if hit.is_some() {
                return hit;
            }
        }
        // A statement in a schema that is uncertain as a whole.
        self.catalog.uncertain.schemas.get(&self.creation_schema()).copied().filter(|_| {
            !matches!(node, NodeEnum::SelectStmt(_) | NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_))
        })
    }

    /// `ON COMMIT DROP` tables go when their transaction ends.
    fn end_transaction(&mut self) {
        for q in std::mem::take(&mut self.commit_drops) {
            if self.catalog.tables.contains_key(&q) {
                self.drop_table(&q, true);
            }
        }
    }

    /// A temporary table created `ON COMMIT DROP`: outside a transaction it is gone as soon as
    /// its statement ends.
    pub(crate) fn on_commit_drop(&mut self, q: QName) {
        self.commit_drops.push(q);
        if !self.runner_transaction && !self.explicit_transaction {
            self.end_transaction();
        }
    }

    /// Whether statements run in a transaction block (the runner's, or the file's own BEGIN).
    fn in_transaction(&self) -> bool {
        self.runner_transaction || self.explicit_transaction
    }

    /// `SET [LOCAL] search_path` and `set_config('search_path', ..., is_local)`. A local setting
    /// lasts until the transaction ends; outside a transaction block it has no effect (the
    /// server warns).
    pub(crate) fn set_search_path(&mut self, path: Vec<String>, local: bool) {
        if local {
            if self.in_transaction() {
                self.search_path = path;
            }
        } else {
            self.session_path = path.clone();
            self.search_path = path;
        }
    }

    /// The runner resets the session (`RESET ALL`) before a file: the search_path is `path`.
    pub fn reset_session(&mut self, path: Vec<String>) {
        self.session_path = path.clone();
        self.search_path = path;
    }

    /// A transaction ends: its local settings with it; a rollback also undoes its changes and
    /// its session settings.
    fn transaction_ends(&mut self, rollback: bool) {
        match (rollback, self.tx_start.take()) {
            (true, Some((catalog, path))) => {
                self.catalog = catalog;
                self.session_path = path;
                self.commit_drops.clear();
            }
            _ => self.end_transaction(),
        }
        self.search_path = self.session_path.clone();
    }

    /// Ends a migration file: its session's temporary tables go away.
    pub fn finish_file(&mut self) {
        if self.runner_transaction || self.explicit_transaction {
            // The runner commits the file's transaction (an unclosed BEGIN is the runner's
            // business: see uncommitted-transaction).
            self.tx_start = None;
            self.search_path = self.session_path.clone();
        }
        self.explicit_transaction = false;
        self.commit_drops.clear();
        let temp: Vec<QName> = self.catalog.tables.keys_in_schema("pg_temp").cloned().collect();
        for q in temp {
            self.drop_table(&q, true);
        }
    }

    /// CREATE of a relation: false (and an error unless IF NOT EXISTS) when the name is taken.
    fn relation_is_new(&mut self, q: &QName, if_not_exists: bool) -> bool {
        if !self.catalog.relation_exists(q) {
            return true;
        }
        if !if_not_exists {
            self.error(format!("relation {q} already exists"));
        }
        false
    }

    fn creation_schema(&self) -> String {
        self.search_path.iter().find(|s| self.catalog.schemas.contains(*s)).cloned().unwrap_or_else(|| "public".into())
    }

    /// Resolves a relation name the way the server would with the current search_path.
    fn resolve(&self, schema: &str, name: &str, exists: impl Fn(&QName) -> bool) -> Option<QName> {
        if !schema.is_empty() {
            let q = QName::new(schema, name);
            return exists(&q).then_some(q);
        }
        // The session's temporary schema comes first for relations.
        let temp = QName::new("pg_temp", name);
        if exists(&temp) {
            return Some(temp);
        }
        self.search_path.iter().map(|s| QName::new(s.as_str(), name)).find(|q| exists(q))
    }

    pub fn resolve_table(&self, rv: &protobuf::RangeVar) -> Option<QName> {
        self.resolve(&rv.schemaname, &rv.relname, |q| self.catalog.tables.contains_key(q))
    }

    fn resolve_names(&self, names: &[String], exists: impl Fn(&QName) -> bool) -> Option<QName> {
        match names {
            [n] => self.resolve("", n, exists),
            [.., s, n] => self.resolve(s, n, exists),
            [] => None,
        }
    }

    fn new_name(&self, schema: &str, name: &str) -> QName {
        QName::new(if schema.is_empty() { self.creation_schema() } else { schema.to_string() }, name)
    }

    fn new_name_from(&self, names: &[String]) -> QName {
        match names {
            [.., s, n] => QName::new(s.as_str(), n.as_str()),
            [n] => self.new_name("", n),
            [] => self.new_name("", ""),
        }
    }

    /// A type as `format_type` prints it.
    pub fn type_text(&self, t: &protobuf::TypeName, with_typmod: bool) -> String {
        let r = type_ref(t);
        if let Some(path) = &r.pct_type {
            // table.column%TYPE
            if let [.., tbl, col] = path.as_slice() {
                let rv = protobuf::RangeVar { relname: tbl.clone(), ..Default::default() };
                if let Some(c) = self.resolve_table(&rv).and_then(|q| self.catalog.tables.get(&q)?.column(col).cloned()) {
                    return if with_typmod { c.type_name } else { crate::types::strip_typmod(&c.type_name) };
                }
            }
            return path.join(".") + "%TYPE";
        }
        let user = {
            let names: Vec<String> = r.schema.iter().cloned().chain([r.name.clone()]).collect();
            self.resolve_names(&names, |q| self.catalog.enums.contains_key(q) || self.catalog.domains.contains_key(q))
        };
        let mut s = format_type(&r, user.as_ref().map(|q| q.schema.as_str()), with_typmod);
        if t.setof {
            s = format!("SETOF {s}");
        }
        s
    }

    /// Applies one statement of migration step `step`.
    pub fn apply(&mut self, step: usize, stmt: &Statement) {
        if step != self.step {
            self.finish_file();
        }
        if self.runner_transaction && self.tx_start.is_none() {
            // The runner's transaction begins with the file's first statement.
            self.tx_start = Some((self.catalog.clone(), self.session_path.clone()));
        }
        self.step = step;
        self.span = stmt.span;
        self.base = stmt.base;
        let before = self.events.len();
        self.apply_node(&stmt.node);
        self.withhold_uncertain_errors(before, &stmt.node);
    }

    /// Statements that cannot run inside a transaction block (25001).
    fn needs_no_transaction(node: &NodeEnum) -> Option<&'static str> {
        match node {
            NodeEnum::IndexStmt(s) if s.concurrent => Some("CREATE INDEX CONCURRENTLY"),
            NodeEnum::DropStmt(s) if s.concurrent => Some("DROP INDEX CONCURRENTLY"),
            NodeEnum::ReindexStmt(s) if s.params.iter().any(|p| matches!(&p.node, Some(N::DefElem(d)) if d.defname == "concurrently")) => {
                Some("REINDEX CONCURRENTLY")
            }
            NodeEnum::AlterTableStmt(s)
                if s.cmds.iter().any(|c| {
                    matches!(&c.node, Some(N::AlterTableCmd(cmd)) if matches!(cmd.def.as_deref().and_then(|d| d.node.as_ref()), Some(N::PartitionCmd(p)) if p.concurrent))
                }) =>
            {
                Some("ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY")
            }
            NodeEnum::VacuumStmt(s) if s.is_vacuumcmd => Some("VACUUM"),
            _ => None,
        }
    }

    fn apply_node(&mut self, node: &NodeEnum) {
        if let NodeEnum::TransactionStmt(t) = node {
            use protobuf::TransactionStmtKind as K;
            match K::try_from(t.kind) {
                Ok(K::TransStmtBegin | K::TransStmtStart) => {
                    if !self.in_transaction() {
                        self.tx_start = Some((self.catalog.clone(), self.session_path.clone()));
                    }
                    self.explicit_transaction = true
                }
                Ok(K::TransStmtCommit | K::TransStmtRollback | K::TransStmtPrepare) => {
                    self.explicit_transaction = false;
                    let rollback = t.kind == K::TransStmtRollback as i32;
                    if !self.runner_transaction || rollback {
                        self.transaction_ends(rollback);
                    } else {
                        // COMMIT inside the runner's transaction: local settings end.
                        self.search_path = self.session_path.clone();
                    }
                }
                _ => {}
            }
            return;
        }
        if self.runner_transaction || self.explicit_transaction {
            if let Some(what) = Self::needs_no_transaction(node) {
                return self.error(format!("{what} cannot run inside a transaction block"));
            }
        }
        match node {
            NodeEnum::CreateSchemaStmt(s) => {
                if self.catalog.schemas.contains(&s.schemaname) {
                    if !s.if_not_exists {
                        self.error(format!("schema \"{}\" already exists", s.schemaname));
                    }
                    return;
                }
                self.catalog.schemas.insert(s.schemaname.clone());
                let saved = std::mem::replace(&mut self.search_path, vec![s.schemaname.clone()]);
                for e in &s.schema_elts {
                    if let Some(n) = &e.node {
                        self.apply_node(n);
                    }
                }
                self.search_path = saved;
            }
            NodeEnum::CreateExtensionStmt(s) => {
                self.catalog.extensions.insert(s.extname.clone());
                // Extensions that make schemas of their own: pgvet knows their objects only in
                // part, so a relation or function missing there is unknown, never missing.
                for schema in extension_schemas(&s.extname) {
                    self.catalog.schemas.insert(schema.to_string());
                    self.catalog.platform_schemas.insert(schema.to_string());
                }
            }
            NodeEnum::CreateStmt(s) => {
                self.create_table(s);
                let rv = s.relation.clone().unwrap_or_default();
                if s.oncommit == protobuf::OnCommitAction::OncommitDrop as i32 && rv.relpersistence == "t" {
                    self.on_commit_drop(QName::new("pg_temp", rv.relname));
                }
            }
            NodeEnum::AlterTableStmt(s) => self.alter_table(s),
            NodeEnum::IndexStmt(s) => self.create_index_stmt(s),
            NodeEnum::RenameStmt(s) => self.rename(s),
            NodeEnum::DropStmt(s) => self.drop(s),
            NodeEnum::ViewStmt(s) => self.create_view(s),
            NodeEnum::CreateTableAsStmt(s) => self.create_table_as(s),
            NodeEnum::CreateFunctionStmt(s) => self.create_function(s),
            NodeEnum::AlterFunctionStmt(s) => self.alter_function(s),
            NodeEnum::CreateTrigStmt(s) => self.create_trigger(s),
            NodeEnum::CreatePolicyStmt(s) => self.create_policy(s),
            NodeEnum::CreateEnumStmt(s) => {
                let q = self.new_name_from(&strs(&s.type_name));
                let values = s
                    .vals
                    .iter()
                    .filter_map(|v| match &v.node {
                        Some(N::String(x)) => Some(x.sval.clone()),
                        _ => None,
                    })
                    .collect();
                if self.catalog.enums.contains_key(&q) {
                    return self.error(format!("type {q} already exists"));
                }
                let o = self.origin();
                self.catalog.enums.insert(q.clone(), EnumType { name: q, values, origin: o });
            }
            NodeEnum::AlterEnumStmt(s) => {
                let names = strs(&s.type_name);
                let Some(q) = self.resolve_names(&names, |q| self.catalog.enums.contains_key(q)) else {
                    return self.error(format!("type \"{}\" does not exist", names.join(".")));
                };
                let e = self.catalog.enums.get_mut(&q).expect("resolved");
                if !s.old_val.is_empty() {
                    if let Some(v) = e.values.iter_mut().find(|v| **v == s.old_val) {
                        *v = s.new_val.clone();
                        self.enum_value_renamed(&q, &s.old_val, &s.new_val);
                    }
                } else if !e.values.contains(&s.new_val) {
                    let pos = e.values.iter().position(|v| *v == s.new_val_neighbor);
                    match pos {
                        Some(p) if s.new_val_is_after => e.values.insert(p + 1, s.new_val.clone()),
                        Some(p) => e.values.insert(p, s.new_val.clone()),
                        None => e.values.push(s.new_val.clone()),
                    }
                }
            }
            NodeEnum::CreateDomainStmt(s) => {
                let q = self.new_name_from(&strs(&s.domainname));
                let base = s.type_name.as_ref().map(|t| self.type_text(t, true)).unwrap_or_default();
                let not_null = s
                    .constraints
                    .iter()
                    .any(|c| matches!(&c.node, Some(N::Constraint(c)) if c.contype == ConstrType::ConstrNotnull as i32));
                let o = self.origin();
                self.catalog.domains.insert(q.clone(), Domain { name: q, base_type: base, not_null, origin: o });
            }
            NodeEnum::CreateSeqStmt(s) => {
                let rv = s.sequence.clone().unwrap_or_default();
                let q = self.new_name(&rv.schemaname, &rv.relname);
                if !self.relation_is_new(&q, s.if_not_exists) {
                    return;
                }
                let o = self.origin();
                self.catalog.sequences.insert(q.clone(), Sequence { name: q, owned_by: None, origin: o });
            }
            // RESET ALL: the session's settings back to their defaults.
            NodeEnum::VariableSetStmt(s) if s.kind == protobuf::VariableSetKind::VarResetAll as i32 => {
                self.set_search_path(vec!["public".into()], false);
            }
            NodeEnum::VariableSetStmt(s) if s.name == "search_path" => {
                let reset = matches!(
                    protobuf::VariableSetKind::try_from(s.kind),
                    Ok(protobuf::VariableSetKind::VarSetDefault | protobuf::VariableSetKind::VarReset)
                );
                let mut text = Vec::new();
                for a in &s.args {
                    if let Some(N::AConst(c)) = &a.node {
                        if let Some(protobuf::a_const::Val::Sval(v)) = &c.val {
                            text.push(v.sval.clone());
                        }
                    }
                }
                let path = if reset { vec!["public".to_string()] } else { parse_search_path(&text.join(",")) };
                self.set_search_path(path, s.is_local);
            }
            NodeEnum::AlterObjectSchemaStmt(s) => self.set_schema(s),
            NodeEnum::GrantStmt(g) => self.grant(g, None),
            NodeEnum::AlterDefaultPrivilegesStmt(a) => self.default_privileges(a),
            NodeEnum::DoStmt(s) => self.do_block(s),
            NodeEnum::CreateRangeStmt(s) => self.create_range(s),
            // LOCK TABLE: every relation must exist (tables and views).
            NodeEnum::LockStmt(s) => {
                for r in &s.relations {
                    let Some(N::RangeVar(rv)) = &r.node else { continue };
                    let exists = self.resolve(&rv.schemaname, &rv.relname, |q| {
                        self.catalog.tables.contains_key(q) || self.catalog.views.contains_key(q)
                    });
                    if exists.is_none() {
                        return self.error(format!("relation \"{}\" does not exist", rv.relname));
                    }
                }
            }
            NodeEnum::SelectStmt(s) if s.into_clause.is_some() => {
                self.call_functions_in(node);
                self.select_into(s)
            }
            NodeEnum::SelectStmt(_) | NodeEnum::CallStmt(_) => {
                self.set_config_in(node);
                self.call_functions_in(node)
            }
            // Statements that do not change the schema.
            NodeEnum::TransactionStmt(_)
            | NodeEnum::VariableSetStmt(_)
            | NodeEnum::InsertStmt(_)
            | NodeEnum::UpdateStmt(_)
            | NodeEnum::DeleteStmt(_)
            | NodeEnum::MergeStmt(_)
            | NodeEnum::GrantRoleStmt(_)
            | NodeEnum::CommentStmt(_)
            | NodeEnum::AlterOwnerStmt(_)
            | NodeEnum::CreateRoleStmt(_)
            | NodeEnum::AlterRoleStmt(_)
            | NodeEnum::DropRoleStmt(_)
            | NodeEnum::VariableShowStmt(_)
            | NodeEnum::VacuumStmt(_)
            | NodeEnum::NotifyStmt(_)
            | NodeEnum::TruncateStmt(_)
            | NodeEnum::CopyStmt(_)
            | NodeEnum::RefreshMatViewStmt(_)
            | NodeEnum::AlterSeqStmt(_)
            | NodeEnum::AlterPolicyStmt(_)
            | NodeEnum::ClusterStmt(_)
            | NodeEnum::ReindexStmt(_)
            | NodeEnum::ExplainStmt(_)
            | NodeEnum::CheckPointStmt(_)
            | NodeEnum::DiscardStmt(_)
            | NodeEnum::PrepareStmt(_)
            | NodeEnum::ExecuteStmt(_)
            | NodeEnum::DeallocateStmt(_)
            // Publications list tables for logical replication; they change no table.
            | NodeEnum::CreatePublicationStmt(_)
            | NodeEnum::AlterPublicationStmt(_) => {}
            other => {
                let name = format!("{other:?}");
                let kind = name.split('(').next().unwrap_or("statement").to_string();
                // What it creates or changes (a composite type, a foreign table) is uncertain
                // from here on: a later statement about it is not judged on a guess.
                let mut touched = uncertain::Touched::default();
                let mut dynamic = false;
                self.statement_touches(other, &mut touched, &mut dynamic);
                let id = self.events.len();
                self.opaque(format!("{kind} is not modelled"));
                self.catalog.uncertain.mark(&touched, id);
            }
        }
    }

    fn create_view(&mut self, s: &protobuf::ViewStmt) {
        let rv = s.view.clone().unwrap_or_default();
        let q = self.new_name(&rv.schemaname, &rv.relname);
        if self.catalog.tables.contains_key(&q) || (self.catalog.views.contains_key(&q) && !s.replace) {
            return self.error(format!("relation {q} already exists"));
        }
        let query = s.query.as_deref().and_then(|n| n.node.as_ref());
        let reads = query.map(|n| self.relations_read(n)).unwrap_or_default();
        let text = query.and_then(|n| pgvet_syntax::pg_query::deparse(&wrap(n.clone()), Default::default()).ok()).unwrap_or_default();
        let o = self.origin();
        let aliases = strs(&s.aliases);
        self.catalog.views.insert(q.clone(), View { name: q, materialized: false, query: text, aliases, reads, origin: o });
    }

    fn relations_read(&self, n: &NodeEnum) -> Vec<QName> {
        let mut out = Vec::new();
        for r in pgvet_syntax::all_nodes(n) {
            if let pgvet_syntax::pg_query::NodeRef::RangeVar(rv) = r {
                let q = self
                    .resolve(&rv.schemaname, &rv.relname, |q| self.catalog.tables.contains_key(q) || self.catalog.views.contains_key(q))
                    .unwrap_or_else(|| self.new_name(&rv.schemaname, &rv.relname));
                if !out.contains(&q) {
                    out.push(q);
                }
            }
        }
        out
    }

    fn create_table_as(&mut self, s: &protobuf::CreateTableAsStmt) {
        let Some(into) = s.into.as_deref() else { return };
        let rv = into.rel.clone().unwrap_or_default();
        let q =
            if rv.relpersistence == "t" { QName::new("pg_temp", rv.relname.clone()) } else { self.new_name(&rv.schemaname, &rv.relname) };
        if !self.relation_is_new(&q, s.if_not_exists) {
            return;
        }
        let query = s.query.as_deref().and_then(|n| n.node.as_ref());
        let reads = query.map(|n| self.relations_read(n)).unwrap_or_default();
        let o = self.origin();
        if s.objtype == ObjectType::ObjectMatview as i32 {
            let text = query.and_then(|n| pgvet_syntax::pg_query::deparse(&wrap(n.clone()), Default::default()).ok()).unwrap_or_default();
            let aliases = strs(&into.col_names);
            self.catalog.views.insert(q.clone(), View { name: q, materialized: true, query: text, aliases, reads, origin: o });
        } else {
            self.table_from_query(q, into, query);
        }
    }

    /// A table made from a query's output (`CREATE TABLE ... AS`, `SELECT ... INTO`): its
    /// columns are the query's, named and typed as the server does, nullable and without
    /// defaults. A column pgvet cannot type still exists (its type is `unknown`); a query whose
    /// columns pgvet cannot see makes a table it does not know whole.
    fn table_from_query(&mut self, q: QName, into: &protobuf::IntoClause, query: Option<&NodeEnum>) {
        let o = self.origin();
        let columns = query.and_then(|n| crate::typing::expr::Typer::new(&self.catalog, &self.search_path).query_columns(n));
        let mut t = new_table(q.clone(), o, columns.is_none());
        if columns.is_none() {
            self.opaque("CREATE TABLE AS: pgvet cannot see the query's columns (a relation it does not know whole)");
        }
        let names = strs(&into.col_names);
        for (i, c) in columns.into_iter().flatten().enumerate() {
            let name = names.get(i).cloned().unwrap_or(c.name);
            t.columns.push(Column {
                name,
                type_name: c.ty.display(),
                not_null: false,
                default: None,
                identity: None,
                generated: None,
                origin: o,
            });
        }
        t.grants = self.catalog.initial_grants(crate::GrantKind::Tables, &q.schema);
        self.catalog.tables.insert(q.clone(), t);
        if into.on_commit == protobuf::OnCommitAction::OncommitDrop as i32 {
            self.on_commit_drop(q);
        }
    }

    /// `SELECT ... INTO [TEMP | UNLOGGED] [TABLE] t FROM ...`: a `CREATE TABLE t AS`.
    fn select_into(&mut self, s: &protobuf::SelectStmt) {
        let Some(into) = s.into_clause.as_deref() else { return };
        let rv = into.rel.clone().unwrap_or_default();
        let q =
            if rv.relpersistence == "t" { QName::new("pg_temp", rv.relname.clone()) } else { self.new_name(&rv.schemaname, &rv.relname) };
        if !self.relation_is_new(&q, false) {
            return;
        }
        let mut query = s.clone();
        query.into_clause = None;
        self.table_from_query(q, into, Some(&NodeEnum::SelectStmt(Box::new(query))));
    }
}

/// The schemas an extension creates for its own objects.
fn extension_schemas(extension: &str) -> &'static [&'static str] {
    match extension {
        "pg_cron" => &["cron"],
        "pg_net" => &["net"],
        "pgmq" => &["pgmq"],
        "pgsodium" => &["pgsodium", "pgsodium_masks"],
        "supabase_vault" => &["vault"],
        "pg_graphql" => &["graphql"],
        "pg_tle" => &["pgtle"],
        "timescaledb" => &["timescaledb_information", "timescaledb_experimental", "_timescaledb_catalog", "_timescaledb_functions"],
        "postgis_topology" => &["topology"],
        "postgis_tiger_geocoder" => &["tiger", "tiger_data"],
        _ => &[],
    }
}

/// A search_path setting's value (`"$user", public, "My Schema"`) as a list of schemas.
pub(crate) fn parse_search_path(text: &str) -> Vec<String> {
    let mut path = Vec::new();
    for p in pgvet_syntax::split_top_level(text) {
        let p = p.trim();
        let name = match p.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => p.to_lowercase(),
        };
        if !name.is_empty() && name != "$user" {
            path.push(name);
        }
    }
    path
}

impl Replayer {
    /// `SELECT set_config('search_path', '...', is_local)` (pg_dump's preamble among others).
    fn set_config_in(&mut self, node: &NodeEnum) {
        let mut settings = Vec::new();
        for n in pgvet_syntax::all_nodes(node) {
            let pgvet_syntax::pg_query::NodeRef::FuncCall(f) = n else { continue };
            let names = strs(&f.funcname);
            if !matches!(names.iter().map(String::as_str).collect::<Vec<_>>().as_slice(), ["set_config"] | ["pg_catalog", "set_config"]) {
                continue;
            }
            let frame = eval::NoScope;
            let args: Vec<eval::Val> = f.args.iter().map(|a| self.eval(a, &frame).unwrap_or(eval::Val::Unknown)).collect();
            if let [eval::Val::Text(name), value, local] = args.as_slice() {
                if name.eq_ignore_ascii_case("search_path") {
                    if let (Some(v), Some(l)) = (value.text(), local.truth()) {
                        settings.push((parse_search_path(&v), l));
                    }
                }
            }
        }
        for (path, local) in settings {
            self.set_search_path(path, local);
        }
    }
}

pub(crate) fn wrap(n: NodeEnum) -> protobuf::ParseResult {
    protobuf::ParseResult {
        version: 0,
        stmts: vec![protobuf::RawStmt { stmt: Some(Box::new(Node { node: Some(n) })), stmt_location: 0, stmt_len: 0 }],
    }
}

pub(crate) fn new_table(name: QName, origin: Origin, incomplete: bool) -> Table {
    Table {
        name,
        kind: TableKind::Table,
        partition_by: None,
        partition_of: None,
        columns: Vec::new(),
        constraints: Vec::new(),
        triggers: Vec::new(),
        policies: Vec::new(),
        rls_enabled: false,
        rls_forced: false,
        grants: Vec::new(),
        incomplete,
        origin,
    }
}

pub(crate) mod datetime;
mod depends;
mod effects;
pub(crate) mod eval;
mod functions;
mod objects;
mod plpgsql;
mod tables;
pub mod uncertain;
