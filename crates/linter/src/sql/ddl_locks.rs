//! What a migration's DDL does to a live table: each statement is classified into one of the
//! lock oracle's forms (`crates/db/src/locks.rs`), and the facts come from the table the oracle
//! recorded from a real PostgreSQL (`data/locks.tsv`): the lock modes taken, whether the table is
//! rewritten, whether it is read in full, the error it raises on a table with rows. Nothing here
//! states a lock the server was not seen to take.
use std::sync::OnceLock;

use pgvet_catalog::{QName, Table};
use pgvet_syntax::protobuf::{node::Node as N, AlterTableType as AT, ConstrType};
use pgvet_syntax::NodeEnum;

use super::{resolve_relation, Relation, Site, SiteKind};

/// The oracle's record of one form.
#[derive(Debug)]
pub struct Facts {
    pub form: String,
    /// (relation role in the oracle's schema: `t` the table, `p` a referenced table, ...; modes)
    pub locks: Vec<(String, Vec<String>)>,
    pub rewrite: bool,
    pub scan: bool,
    pub sqlstate: Option<String>,
}

impl Facts {
    /// The strongest mode taken on the oracle's relation `rel` (`t`, `p`).
    pub fn strongest(&self, rel: &str) -> Option<&str> {
        const ORDER: &[&str] = &[
            "AccessShareLock",
            "RowShareLock",
            "RowExclusiveLock",
            "ShareUpdateExclusiveLock",
            "ShareLock",
            "ShareRowExclusiveLock",
            "ExclusiveLock",
            "AccessExclusiveLock",
        ];
        let modes = &self.locks.iter().find(|(r, _)| r == rel)?.1;
        modes.iter().max_by_key(|m| ORDER.iter().position(|o| o == m)).map(String::as_str)
    }
}

/// The mode as PostgreSQL's documentation names it (`SHARE ROW EXCLUSIVE`), and what it blocks.
pub fn describe(mode: &str) -> (&'static str, &'static str) {
    match mode {
        "AccessExclusiveLock" => ("ACCESS EXCLUSIVE", "every read and write of the table"),
        "ExclusiveLock" => ("EXCLUSIVE", "every write and most reads"),
        "ShareRowExclusiveLock" => ("SHARE ROW EXCLUSIVE", "every INSERT, UPDATE and DELETE"),
        "ShareLock" => ("SHARE", "every INSERT, UPDATE and DELETE"),
        "ShareUpdateExclusiveLock" => ("SHARE UPDATE EXCLUSIVE", "other schema changes and VACUUM, not reads or writes"),
        "RowExclusiveLock" => ("ROW EXCLUSIVE", "only locks that block writes"),
        "RowShareLock" => ("ROW SHARE", "only EXCLUSIVE and ACCESS EXCLUSIVE locks"),
        _ => ("ACCESS SHARE", "only ACCESS EXCLUSIVE locks"),
    }
}

fn table() -> &'static [Facts] {
    static T: OnceLock<Vec<Facts>> = OnceLock::new();
    T.get_or_init(|| {
        include_str!("../../data/locks.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let [form, locks, rewrite, scan, state] = f.as_slice() else { return None };
                let locks = if *locks == "-" {
                    vec![]
                } else {
                    locks
                        .split(';')
                        .filter_map(|x| x.split_once(':'))
                        .map(|(r, m)| (r.to_string(), m.split(',').map(String::from).collect()))
                        .collect()
                };
                Some(Facts {
                    form: form.to_string(),
                    locks,
                    rewrite: *rewrite == "true",
                    scan: *scan == "true",
                    sqlstate: (*state != "-").then(|| state.to_string()),
                })
            })
            .collect()
    })
}

/// The oracle's facts for a form.
pub fn facts(form: &str) -> Option<&'static Facts> {
    // CASCADE locks each table as TRUNCATE does.
    let form = if form == "truncate_cascade" { "truncate" } else { form };
    table().iter().find(|f| f.form == form)
}

/// One classified piece of a migration statement.
pub struct Change<'a> {
    pub form: &'static str,
    /// The table it acts on, as it is before the statement.
    pub table: &'a Table,
    /// Parse-tree location of the clause (the subcommand, the index statement).
    pub location: i32,
    /// The column or constraint it is about, when there is one.
    pub name: String,
    /// The oracle's relation that stands for `table` in this form (`t`; `parted` for a
    /// partitioned parent).
    pub role: &'static str,
}

/// An ACCESS EXCLUSIVE lock a migration statement took on a table that existed before the file.
#[derive(Debug, Clone)]
pub struct HeldLock {
    pub table: pgvet_catalog::QName,
    /// Where the statement that took it starts (a byte offset in the file).
    pub at: usize,
    /// The form that took it (a key of the lock oracle).
    pub form: &'static str,
}

/// The ACCESS EXCLUSIVE locks (per the oracle) a statement takes on existing tables.
pub fn access_exclusive(site: &Site) -> Vec<HeldLock> {
    changes(site)
        .iter()
        .filter(|c| facts(c.form).and_then(|f| f.strongest(c.role)) == Some("AccessExclusiveLock"))
        .map(|c| HeldLock { table: c.table.name.clone(), at: site.span.start, form: c.form })
        .collect()
}

/// Whether the table existed before this migration file: a table created earlier in the same
/// file is empty (and usually not yet in use), so locks and rewrites on it cost nothing.
pub fn existed_before(site: &Site, t: &Table) -> bool {
    !t.origin.is_builtin() && t.origin.step < site.file
}

/// The lock-relevant changes of a migration statement, on tables that existed before the file
/// (classified once per statement).
pub fn changes<'s, 'a>(site: &'s Site<'a>) -> &'s [Change<'a>] {
    site.ddl_changes()
}

pub(crate) fn classify<'a>(site: &Site<'a>) -> Vec<Change<'a>> {
    if !matches!(site.kind, SiteKind::Migration) {
        return vec![];
    }
    let mut out = Vec::new();
    let table_of = |rv: &Option<pgvet_syntax::protobuf::RangeVar>| -> Option<&'a Table> {
        let rv = rv.as_ref()?;
        match resolve_relation(site.catalog, site.search_path, &rv.schemaname, &rv.relname) {
            Some(Relation::Table(t)) if existed_before(site, t) => Some(t),
            _ => None,
        }
    };
    match site.node {
        NodeEnum::IndexStmt(i) => {
            if let Some(t) = table_of(&i.relation) {
                if !i.concurrent {
                    let form = if i.unique { "create_unique_index" } else { "create_index" };
                    out.push(Change {
                        role: "t",
                        form,
                        table: t,
                        location: i.relation.as_ref().map(|r| r.location).unwrap_or(-1),
                        name: i.idxname.clone(),
                    });
                }
            }
        }
        NodeEnum::ReindexStmt(r) if !has_option(&r.params, "concurrently") => {
            use pgvet_syntax::protobuf::ReindexObjectType as K;
            let rv = r.relation.clone().unwrap_or_default();
            let table = match K::try_from(r.kind).unwrap_or(K::Undefined) {
                K::ReindexObjectIndex => {
                    let schemas: Vec<String> =
                        if rv.schemaname.is_empty() { site.search_path.to_vec() } else { vec![rv.schemaname.clone()] };
                    schemas
                        .iter()
                        .find_map(|sc| site.catalog.indexes.get(&QName::new(sc.as_str(), rv.relname.as_str())))
                        .and_then(|i| site.catalog.tables.get(&i.table))
                }
                K::ReindexObjectTable => table_of(&r.relation),
                _ => None,
            };
            if let Some(t) = table.filter(|t| existed_before(site, t)) {
                out.push(Change { role: "t", form: "reindex_index", table: t, location: rv.location, name: rv.relname.clone() });
            }
        }
        NodeEnum::VacuumStmt(v) if v.is_vacuumcmd && has_option(&v.options, "full") => {
            for r in &v.rels {
                let Some(N::VacuumRelation(vr)) = r.node.as_ref() else { continue };
                if let Some(t) = table_of(&vr.relation) {
                    out.push(Change { role: "t", form: "vacuum_full", table: t, location: -1, name: String::new() });
                }
            }
        }
        NodeEnum::TruncateStmt(tr) => {
            for r in &tr.relations {
                let Some(N::RangeVar(rv)) = r.node.as_ref() else { continue };
                if let Some(t) = table_of(&Some(rv.clone())) {
                    let cascade = tr.behavior == pgvet_syntax::protobuf::DropBehavior::DropCascade as i32;
                    out.push(Change {
                        role: "t",
                        form: if cascade { "truncate_cascade" } else { "truncate" },
                        table: t,
                        location: rv.location,
                        name: String::new(),
                    });
                }
            }
        }
        NodeEnum::DropStmt(d) => {
            let kind = pgvet_syntax::protobuf::ObjectType::try_from(d.remove_type).unwrap_or(pgvet_syntax::protobuf::ObjectType::Undefined);
            for obj in &d.objects {
                // `[schema, name]` as a list of strings.
                let Some(N::List(l)) = obj.node.as_ref() else { continue };
                let parts: Vec<&str> = l
                    .items
                    .iter()
                    .filter_map(|i| match i.node.as_ref() {
                        Some(N::String(s)) => Some(s.sval.as_str()),
                        _ => None,
                    })
                    .collect();
                let (schema, name) = match parts.as_slice() {
                    [n] => ("", *n),
                    [s, n] => (*s, *n),
                    _ => continue,
                };
                match kind {
                    pgvet_syntax::protobuf::ObjectType::ObjectIndex if !d.concurrent => {
                        let schemas: Vec<String> = if schema.is_empty() { site.search_path.to_vec() } else { vec![schema.to_string()] };
                        let index = schemas.iter().find_map(|sc| site.catalog.indexes.get(&QName::new(sc.as_str(), name)));
                        if let Some(t) = index.and_then(|i| site.catalog.tables.get(&i.table)).filter(|t| existed_before(site, t)) {
                            if index.is_some_and(|i| i.constraint.is_none()) {
                                out.push(Change { role: "t", form: "drop_index", table: t, location: -1, name: name.to_string() });
                            }
                        }
                    }
                    pgvet_syntax::protobuf::ObjectType::ObjectTable => {
                        if let Some(Relation::Table(t)) = resolve_relation(site.catalog, site.search_path, schema, name) {
                            if existed_before(site, t) {
                                out.push(Change { role: "t", form: "drop_table", table: t, location: -1, name: name.to_string() });
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        NodeEnum::RenameStmt(r) => {
            let kind = pgvet_syntax::protobuf::ObjectType::try_from(r.rename_type).unwrap_or(pgvet_syntax::protobuf::ObjectType::Undefined);
            if let Some(t) = table_of(&r.relation) {
                let loc = r.relation.as_ref().map(|x| x.location).unwrap_or(-1);
                match kind {
                    pgvet_syntax::protobuf::ObjectType::ObjectColumn => {
                        out.push(Change { role: "t", form: "rename_column", table: t, location: loc, name: r.subname.clone() })
                    }
                    pgvet_syntax::protobuf::ObjectType::ObjectTable => {
                        out.push(Change { role: "t", form: "rename_table", table: t, location: loc, name: t.name.name.clone() })
                    }
                    _ => {}
                }
            }
        }
        NodeEnum::AlterDomainStmt(a) if a.subtype == "C" => {
            let not_valid = matches!(a.def.as_deref().and_then(|d| d.node.as_ref()), Some(N::Constraint(c)) if c.skip_validation);
            let domain = a.type_name.last().and_then(|n| match n.node.as_ref() {
                Some(N::String(s)) => Some(s.sval.as_str()),
                _ => None,
            });
            let (Some(domain), false) = (domain, not_valid) else { return out };
            // Every column of that type in a table that already existed is checked.
            for t in site.catalog.tables.values().filter(|t| existed_before(site, t)) {
                let typed = |c: &&pgvet_catalog::Column| {
                    let ty = c.type_name.trim_end_matches("[]");
                    ty == domain || ty.rsplit_once('.').is_some_and(|(_, n)| n == domain)
                };
                if let Some(col) = t.columns.iter().find(typed) {
                    out.push(Change { role: "t", form: "alter_domain_add_constraint", table: t, location: -1, name: col.name.clone() });
                }
            }
        }
        NodeEnum::AlterTableStmt(a) => {
            let Some(t) = table_of(&a.relation) else { return out };
            for c in &a.cmds {
                let Some(N::AlterTableCmd(cmd)) = c.node.as_ref() else { continue };
                if let Some(ch) = classify_cmd(t, cmd) {
                    out.push(ch);
                }
            }
        }
        _ => {}
    }
    out
}

/// A default expression the server evaluates once per row (volatile): the column is filled by a
/// rewrite. `now()` / `CURRENT_TIMESTAMP` are stable and evaluated once.
fn volatile(e: &pgvet_syntax::protobuf::Node) -> bool {
    const VOLATILE: &[&str] = &["clock_timestamp", "random", "gen_random_uuid", "uuidv4", "uuidv7", "timeofday", "nextval"];
    pgvet_syntax::calls_function(e, |f| f.starts_with("uuid_generate_") || VOLATILE.contains(&f))
}

fn classify_cmd<'a>(t: &'a Table, cmd: &pgvet_syntax::protobuf::AlterTableCmd) -> Option<Change<'a>> {
    let subtype = AT::try_from(cmd.subtype).unwrap_or(AT::Undefined);
    let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
    let at = |name: &str, form: &'static str, location: i32| Some(Change { role: "t", form, table: t, location, name: name.to_string() });
    match subtype {
        AT::AtDropColumn => at(&cmd.name, "drop_column", -1),
        AT::AtDetachPartition => {
            let Some(N::PartitionCmd(pc)) = def else { return None };
            (!pc.concurrent).then(|| Change {
                role: "parted",
                form: "detach_partition",
                table: t,
                location: pc.name.as_ref().map(|n| n.location).unwrap_or(-1),
                name: pc.name.as_ref().map(|n| n.relname.clone()).unwrap_or_default(),
            })
        }
        AT::AtColumnDefault => at(&cmd.name, if def.is_some() { "set_default" } else { "drop_default" }, -1),
        AT::AtDropNotNull => at(&cmd.name, "drop_not_null", -1),
        AT::AtDropConstraint => at(&cmd.name, "drop_constraint", -1),
        AT::AtValidateConstraint => at(&cmd.name, "validate_check", -1),
        AT::AtAddColumn => {
            let Some(N::ColumnDef(d)) = def else { return None };
            let ty = d.type_name.as_ref().map(|tn| {
                tn.names
                    .iter()
                    .filter_map(|n| match n.node.as_ref() {
                        Some(N::String(s)) => Some(s.sval.to_ascii_lowercase()),
                        _ => None,
                    })
                    .next_back()
                    .unwrap_or_default()
            });
            let cons: Vec<&pgvet_syntax::protobuf::Constraint> = d
                .constraints
                .iter()
                .filter_map(|c| match c.node.as_ref() {
                    Some(N::Constraint(k)) => Some(&**k),
                    _ => None,
                })
                .collect();
            let has = |k: ConstrType| cons.iter().any(|c| c.contype == k as i32);
            let default = cons.iter().find(|c| c.contype == ConstrType::ConstrDefault as i32).and_then(|c| c.raw_expr.as_deref());
            let form = if matches!(ty.as_deref(), Some("serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2")) {
                "add_column_serial"
            } else if has(ConstrType::ConstrIdentity) {
                "add_column_identity"
            } else if has(ConstrType::ConstrGenerated) {
                "add_column_generated_stored"
            } else if default.is_some_and(volatile) {
                "add_column_default_volatile"
            } else if has(ConstrType::ConstrNotnull) && default.is_none() && !has(ConstrType::ConstrPrimary) {
                "add_column_not_null"
            } else if has(ConstrType::ConstrPrimary) {
                return None;
            } else if default.is_some() {
                "add_column_default_constant"
            } else {
                "add_column"
            };
            at(&d.colname, form, d.location)
        }
        AT::AtAlterColumnType => {
            let Some(N::ColumnDef(d)) = def else { return None };
            let col = t.column(&cmd.name)?;
            let tn = d.type_name.as_ref()?;
            let name = tn
                .names
                .iter()
                .filter_map(|n| match n.node.as_ref() {
                    Some(N::String(s)) => Some(s.sval.to_ascii_lowercase()),
                    _ => None,
                })
                .next_back()
                .unwrap_or_default();
            let length = tn.typmods.first().and_then(|m| match m.node.as_ref() {
                Some(N::AConst(c)) => match &c.val {
                    Some(pgvet_syntax::protobuf::a_const::Val::Ival(i)) => Some(i.ival),
                    _ => None,
                },
                _ => None,
            });
            let current = col.type_name.as_str();
            let current_len: Option<i32> = current.strip_prefix("character varying(").and_then(|r| r.trim_end_matches(')').parse().ok());
            let textual = current == "text" || current.starts_with("character varying");
            // Binary-coercible changes keep the data (the oracle saw no rewrite): to text or an
            // unbounded varchar from varchar/text, or to a longer varchar.
            let keeps = using_none(d)
                && match (name.as_str(), length) {
                    ("text", _) | ("varchar", None) => textual,
                    ("varchar", Some(n)) => current_len.is_some_and(|c| n >= c),
                    _ => false,
                };
            let form = match (keeps, name.as_str()) {
                (true, "varchar") if length.is_some() => "alter_type_varchar_longer",
                (true, _) => "alter_type_varchar_to_text",
                _ => "alter_type_rewrite",
            };
            at(&cmd.name, form, d.location.max(0))
        }
        AT::AtSetNotNull => {
            // A validated CHECK (col IS NOT NULL) spares the scan (the oracle saw none).
            let checked = t.constraints.iter().any(|c| {
                c.kind == pgvet_catalog::ConstraintKind::Check
                    && c.validated
                    && c.expression.as_deref().is_some_and(|e| {
                        let e = e.to_ascii_lowercase().replace(['(', ')', '"'], "");
                        e.trim() == format!("{} is not null", cmd.name.to_ascii_lowercase())
                    })
            });
            let already = t.column(&cmd.name).is_some_and(|c| c.not_null);
            if checked || already {
                return None;
            }
            at(&cmd.name, "set_not_null", -1)
        }
        AT::AtAddConstraint => {
            let Some(N::Constraint(k)) = def else { return None };
            let form = match ConstrType::try_from(k.contype).unwrap_or(ConstrType::Undefined) {
                ConstrType::ConstrCheck if !k.skip_validation => "add_check",
                ConstrType::ConstrForeign if !k.skip_validation => "add_foreign_key",
                ConstrType::ConstrCheck => "add_check_not_valid",
                ConstrType::ConstrForeign => "add_foreign_key_not_valid",
                ConstrType::ConstrUnique if k.indexname.is_empty() => "add_unique",
                ConstrType::ConstrPrimary if k.indexname.is_empty() => "add_primary_key",
                ConstrType::ConstrUnique => "add_unique_using_index",
                ConstrType::ConstrPrimary => "add_primary_key_using_index",
                _ => return None,
            };
            at(&k.conname, form, k.location)
        }
        _ => None,
    }
}

/// Whether a statement's options (`REINDEX (CONCURRENTLY)`, `VACUUM (FULL)`) hold `name` turned on.
fn has_option(options: &[pgvet_syntax::protobuf::Node], name: &str) -> bool {
    options.iter().any(|o| match o.node.as_ref() {
        Some(N::DefElem(d)) => {
            d.defname == name
                && d.arg
                    .as_deref()
                    .and_then(|a| a.node.as_ref())
                    .is_none_or(|a| !matches!(a, N::String(s) if s.sval == "false" || s.sval == "off"))
        }
        _ => false,
    })
}

/// No `USING` expression on a type change.
fn using_none(d: &pgvet_syntax::protobuf::ColumnDef) -> bool {
    d.raw_default.is_none()
}

/// A finding for a change, its claim taken from the oracle: the lock, what it blocks, whether
/// the table is rewritten or read in full, for how long (the statement, or the transaction the
/// runner wraps the file in).
pub fn diagnostic(meta: &crate::rules::RuleMeta, site: &Site, ch: &Change, what: &str, fix: &str) -> Option<crate::Diagnostic> {
    let f = facts(ch.form)?;
    let mode = f.strongest(ch.role)?;
    let (mode_name, blocks) = describe(mode);
    let table = super::display_name(&ch.table.name);
    let mut effects = Vec::new();
    if f.rewrite {
        effects.push("rewrites the table and every index".to_string());
    } else if f.scan {
        effects.push("reads every row".to_string());
    }
    if let Some((m, _)) = f.strongest("p").map(describe) {
        effects.push(format!("takes {m} on the referenced table too"));
    }
    let effects = if effects.is_empty() { String::new() } else { format!("; it {}", effects.join(" and ")) };
    let label = if ch.location >= 0 { site.label_word(ch.location) } else { site.label_at(-1) };
    Some(
        crate::Diagnostic::new(
            meta.id,
            meta.default_severity,
            format!("{what}: PostgreSQL holds {mode_name} on {table}, blocking {blocks}, until the statement ends (the migration's transaction, where the runner uses one){effects}"),
            label.with_message(format!("{mode_name} on {table}")),
        )
        .with_help(
            "Measured by pgvet's lock oracle on PostgreSQL 15 with rows in the table. On a table that is large or busy this is an outage; on one created in the same migration it costs nothing (and is not reported).",
        )
        .with_fix(crate::Fix { description: "the lock-friendly form".into(), migration: Some(fix.to_string()), applicability: crate::Applicability::Unsafe }),
    )
}

/// Whether a migration-safety rule about a missing `setting` (`lock_timeout`, `statement_timeout`)
/// still speaks at this statement: the file has not set it before, and `rule` has not reported
/// this migration yet (one finding per migration, at its first such statement). Both come from
/// the file's [`FileSession`], carried forward statement by statement.
pub fn setting_unset_and_unreported(site: &Site, setting: &str, rule: &str, cx: &crate::rules::Context) -> bool {
    matches!(site.kind, SiteKind::Migration) && !cx.file_session.has_set(setting) && !cx.file_session.has_reported(rule)
}

/// While a migration replays: what its statements so far did that the once-per-migration rules
/// ask about (the settings it took charge of, the rules that reported it), carried forward from
/// statement to statement so that no statement looks back over the file.
#[derive(Debug, Default)]
pub struct FileSession {
    /// Settings (lower case) an earlier statement of the file sets or resets: `SET [LOCAL]`,
    /// `SET ... TO DEFAULT`, `RESET`, `set_config('name', ...)`, directly or in the body of a
    /// function the migrations define that it calls; `ALTER ROLE | DATABASE ... SET name` (the
    /// migration manages the setting where pgvet sees it).
    settings: Vec<String>,
    /// Rules with a finding on an earlier statement of the file.
    reported: Vec<&'static str>,
}

impl FileSession {
    /// Whether an earlier statement of the file set or reset `setting`.
    pub fn has_set(&self, setting: &str) -> bool {
        self.settings.iter().any(|s| s == setting)
    }

    /// Whether `rule` reported an earlier statement of the file.
    pub fn has_reported(&self, rule: &str) -> bool {
        self.reported.contains(&rule)
    }

    /// Notes what a statement of the file (`site`, before it runs) did: the settings it sets,
    /// and the rules with findings on it (`new`, the findings its checks added).
    pub fn after(&mut self, site: &Site, files: &[pgvet_syntax::SourceFile], new: &[crate::Diagnostic]) {
        let mut names = settings_set(site.node);
        // A query runs the functions it calls: what the bodies of those the migrations define set.
        if matches!(
            site.node,
            NodeEnum::SelectStmt(_) | NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_) | NodeEnum::CallStmt(_)
        ) {
            for n in pgvet_syntax::all_nodes(site.node) {
                let funcname = match n {
                    pgvet_syntax::pg_query::NodeRef::FuncCall(f) => &f.funcname,
                    _ => continue,
                };
                for func in called(site, funcname) {
                    let Some(body) = files.get(func.origin.step).and_then(|t| super::plpgsql::body(func, &t.text)) else { continue };
                    names.extend(body.statements.iter().flat_map(|s| settings_set(&s.node)));
                }
            }
        }
        for name in names {
            if !self.has_set(&name) {
                self.settings.push(name);
            }
        }
        for d in new.iter().filter(|d| d.primary.file == site.file) {
            if !self.has_reported(d.rule) {
                self.reported.push(d.rule);
            }
        }
    }
}

/// The functions the migrations define that a call of `funcname` may mean (any overload): by
/// its schema, else along the search path. A range of the catalog's function map per schema.
fn called<'a>(site: &Site<'a>, funcname: &[pgvet_syntax::protobuf::Node]) -> Vec<&'a pgvet_catalog::Function> {
    let names: Vec<&str> = funcname
        .iter()
        .filter_map(|n| match &n.node {
            Some(N::String(s)) => Some(s.sval.as_str()),
            _ => None,
        })
        .collect();
    let schemas: Vec<&str> = match names.as_slice() {
        [schema, _] => vec![*schema],
        [_] => site.search_path.iter().map(String::as_str).collect(),
        _ => return Vec::new(),
    };
    let Some(name) = names.last() else { return Vec::new() };
    let functions = &site.catalog.functions;
    schemas
        .into_iter()
        .flat_map(|schema| {
            let q = QName::new(schema, *name);
            functions
                .range(pgvet_catalog::FunctionKey { name: q.clone(), args: Vec::new() }..)
                .take_while(move |(k, _)| k.name == q)
                .map(|(_, f)| f)
        })
        .filter(|f| !f.origin.is_builtin())
        .collect()
}

/// The settings a statement sets or resets (lower case): `SET [LOCAL | SESSION] name ...`,
/// `RESET name`, `ALTER ROLE | DATABASE ... SET name`, and `set_config('name', ...)` it calls.
fn settings_set(node: &NodeEnum) -> Vec<String> {
    let set = |v: &Option<pgvet_syntax::protobuf::VariableSetStmt>| {
        v.as_ref().filter(|v| !v.name.is_empty()).map(|v| v.name.to_ascii_lowercase())
    };
    match node {
        NodeEnum::VariableSetStmt(v) if !v.name.is_empty() => vec![v.name.to_ascii_lowercase()],
        NodeEnum::AlterRoleSetStmt(a) => set(&a.setstmt).into_iter().collect(),
        NodeEnum::AlterDatabaseSetStmt(a) => set(&a.setstmt).into_iter().collect(),
        NodeEnum::SelectStmt(_) | NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_) | NodeEnum::CallStmt(_) => {
            pgvet_syntax::all_nodes(node)
                .into_iter()
                .filter_map(|n| {
                    let pgvet_syntax::pg_query::NodeRef::FuncCall(f) = n else { return None };
                    let names: Vec<&str> = f
                        .funcname
                        .iter()
                        .filter_map(|n| match &n.node {
                            Some(N::String(s)) => Some(s.sval.as_str()),
                            _ => None,
                        })
                        .collect();
                    if !matches!(names.as_slice(), ["set_config"] | ["pg_catalog", "set_config"]) {
                        return None;
                    }
                    match f.args.first().and_then(|a| a.node.as_ref()) {
                        Some(N::AConst(c)) => match &c.val {
                            Some(pgvet_syntax::protobuf::a_const::Val::Sval(s)) => Some(s.sval.to_ascii_lowercase()),
                            _ => None,
                        },
                        _ => None,
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    }
}
