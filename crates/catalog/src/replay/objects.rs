//! RENAME, DROP and SET SCHEMA.
use super::tables::index_uses;
use super::*;

fn rename_in(list: &mut [String], old: &str, new: &str) {
    for c in list.iter_mut() {
        if c == old {
            *c = new.to_string();
        }
    }
}

impl Replayer {
    fn find_relation(&self, rv: &protobuf::RangeVar, kind: ObjectType) -> Option<QName> {
        let c = &self.catalog;
        self.resolve(&rv.schemaname, &rv.relname, |q| match kind {
            ObjectType::ObjectIndex => c.indexes.contains_key(q),
            ObjectType::ObjectView | ObjectType::ObjectMatview => c.views.contains_key(q),
            ObjectType::ObjectSequence => c.sequences.contains_key(q),
            _ => c.tables.contains_key(q),
        })
    }

    /// `ALTER SCHEMA old RENAME TO new`: every object of the schema is then in `new`, and
    /// what refers to it by OID (foreign keys, column types, defaults) prints the new name.
    fn rename_schema(&mut self, old: &str, new: &str) {
        if !self.catalog.schemas.contains(old) {
            return self.error(format!("schema \"{old}\" does not exist"));
        }
        if self.catalog.schemas.contains(new) {
            return self.error(format!("schema \"{new}\" already exists"));
        }
        self.catalog.schemas.insert(new.to_string());
        let moved = |q: &QName| QName::new(new, q.name.as_str());
        let tables: Vec<QName> = self.catalog.tables.keys().filter(|q| q.schema == old).cloned().collect();
        for q in tables {
            self.move_relation(&q, &moved(&q));
        }
        let rest: Vec<QName> = self
            .catalog
            .views
            .keys()
            .chain(self.catalog.sequences.values().map(|s| &s.name))
            .chain(self.catalog.indexes.values().map(|i| &i.name))
            .filter(|q| q.schema == old)
            .cloned()
            .collect();
        for q in rest {
            self.move_relation(&q, &moved(&q));
        }
        let functions: Vec<FunctionKey> = self.catalog.functions.keys().filter(|k| k.name.schema == old).cloned().collect();
        for k in functions {
            let to = moved(&k.name);
            self.function_renamed(&k, &to);
            if let Some(mut f) = self.catalog.functions.remove(&k) {
                f.name = to.clone();
                self.catalog.functions.insert(FunctionKey { name: to, args: k.args }, f);
            }
        }
        let types: Vec<QName> = self.catalog.enums.keys().chain(self.catalog.domains.keys()).filter(|q| q.schema == old).cloned().collect();
        for q in types {
            let to = moved(&q);
            if let Some(mut e) = self.catalog.enums.remove(&q) {
                e.name = to.clone();
                self.catalog.enums.insert(to.clone(), e);
            }
            if let Some(mut d) = self.catalog.domains.remove(&q) {
                d.name = to.clone();
                self.catalog.domains.insert(to.clone(), d);
            }
            self.retype_columns(&q, &to);
        }
        self.catalog.schemas.remove(old);
    }

    fn rename_view_column(&mut self, v: &QName, old: &str, new: &str) {
        let Some(view) = self.catalog.views.get(v) else { return };
        let Some(cols) = crate::typing::expr::Typer::new(&self.catalog, &self.search_path).view_columns(view) else { return };
        let names: Vec<String> = cols.into_iter().map(|c| c.name).collect();
        let Some(i) = names.iter().position(|n| n == old) else {
            return self.error(format!("column \"{old}\" does not exist"));
        };
        if names.iter().any(|n| n == new) {
            return self.error(format!("column \"{new}\" of relation {v} already exists"));
        }
        let mut aliases = names;
        aliases[i] = new.to_string();
        if let Some(view) = self.catalog.views.get_mut(v) {
            view.aliases = aliases;
        }
    }

    pub(super) fn rename(&mut self, s: &protobuf::RenameStmt) {
        let kind = ObjectType::try_from(s.rename_type).unwrap_or(ObjectType::Undefined);
        let rv = s.relation.clone().unwrap_or_default();
        if kind == ObjectType::ObjectSchema {
            return self.rename_schema(&s.subname, &s.newname);
        }
        match kind {
            ObjectType::ObjectTable
            | ObjectType::ObjectForeignTable
            | ObjectType::ObjectIndex
            | ObjectType::ObjectView
            | ObjectType::ObjectMatview
            | ObjectType::ObjectSequence => {
                // ALTER TABLE may rename any relation kind; try the named kind first.
                let found = self.find_relation(&rv, kind).or_else(|| {
                    [ObjectType::ObjectTable, ObjectType::ObjectIndex, ObjectType::ObjectView, ObjectType::ObjectSequence]
                        .into_iter()
                        .find_map(|k| self.find_relation(&rv, k))
                });
                let Some(old) = found else {
                    if !s.missing_ok {
                        self.error(format!("relation \"{}\" does not exist", rv.relname));
                    }
                    return;
                };
                let new = QName::new(old.schema.as_str(), s.newname.as_str());
                if self.catalog.relation_exists(&new) {
                    return self.error(format!("relation {new} already exists"));
                }
                self.move_relation(&old, &new);
            }
            ObjectType::ObjectColumn => {
                let Some(q) = self.resolve_table(&rv) else {
                    // A view's (or materialized view's) column: renamed in its column list.
                    let view = self.resolve(&rv.schemaname, &rv.relname, |q| self.catalog.views.contains_key(q));
                    if let Some(v) = view {
                        return self.rename_view_column(&v, &s.subname, &s.newname);
                    }
                    if !s.missing_ok {
                        self.error(format!("relation \"{}\" does not exist", rv.relname));
                    }
                    return;
                };
                if self.catalog.tables.get(&q).and_then(|t| t.column(&s.subname)).is_none() {
                    return self.error(format!("column \"{}\" does not exist", s.subname));
                }
                if self.catalog.tables.get(&q).and_then(|t| t.column(&s.newname)).is_some() {
                    return self.error(format!("column \"{}\" of relation {q} already exists", s.newname));
                }
                for t in self.family(&q) {
                    self.rename_column(&t, &s.subname, &s.newname);
                }
            }
            ObjectType::ObjectTabconstraint => {
                let Some(q) = self.resolve_table(&rv) else {
                    return self.error(format!("relation \"{}\" does not exist", rv.relname));
                };
                if self.catalog.tables.get(&q).and_then(|t| t.constraint(&s.subname)).is_none() {
                    return self.error(format!("constraint \"{}\" for table {q} does not exist", s.subname));
                }
                let idx = {
                    let Some(mut t) = self.catalog.tables.get_mut(&q) else { return };
                    let Some(c) = t.constraints.iter_mut().find(|c| c.name == s.subname) else { return };
                    c.name = s.newname.clone();
                    let idx = c.index.clone();
                    if idx.is_some() {
                        c.index = Some(s.newname.clone());
                    }
                    t.constraints.sort_by(|a, b| a.name.cmp(&b.name));
                    idx
                };
                if let Some(i) = idx {
                    let old = QName::new(q.schema.as_str(), i.as_str());
                    let new = QName::new(q.schema.as_str(), s.newname.as_str());
                    self.move_index(&old, &new);
                }
            }
            ObjectType::ObjectFunction | ObjectType::ObjectProcedure | ObjectType::ObjectRoutine => {
                let Some(N::ObjectWithArgs(owa)) = s.object.as_deref().and_then(|n| n.node.as_ref()) else { return };
                match self.resolve_function(owa) {
                    Ok(Some(k)) => {
                        self.function_renamed(&k, &QName::new(k.name.schema.as_str(), s.newname.as_str()));
                        if let Some(mut f) = self.catalog.functions.remove(&k) {
                            f.name.name = s.newname.clone();
                            let nk = FunctionKey { name: f.name.clone(), args: k.args };
                            self.catalog.functions.insert(nk, f);
                        }
                    }
                    Ok(None) => self.error(format!("function {} does not exist", strs(&owa.objname).join("."))),
                    Err(e) => self.error(e),
                }
            }
            ObjectType::ObjectType | ObjectType::ObjectDomain => {
                let names = match s.object.as_deref().and_then(|n| n.node.as_ref()) {
                    Some(N::List(l)) => strs(&l.items),
                    Some(N::TypeName(t)) => strs(&t.names),
                    _ => vec![],
                };
                let renamed = if let Some(q) = self.resolve_names(&names, |q| self.catalog.enums.contains_key(q)) {
                    self.catalog.enums.remove(&q).map(|mut e| {
                        e.name.name = s.newname.clone();
                        self.catalog.enums.insert(e.name.clone(), e);
                        q
                    })
                } else if let Some(q) = self.resolve_names(&names, |q| self.catalog.domains.contains_key(q)) {
                    self.catalog.domains.remove(&q).map(|mut d| {
                        d.name.name = s.newname.clone();
                        self.catalog.domains.insert(d.name.clone(), d);
                        q
                    })
                } else {
                    None
                };
                match renamed {
                    // Columns refer to the type, not its name: they show the new one.
                    Some(old) => self.retype_columns(&old, &QName::new(old.schema.clone(), s.newname.clone())),
                    None => self.opaque("RENAME of a type pgvet does not model"),
                }
            }
            ObjectType::ObjectTrigger | ObjectType::ObjectPolicy => {
                let Some(q) = self.resolve_table(&rv) else { return };
                let Some(mut t) = self.catalog.tables.get_mut(&q) else { return };
                if kind == ObjectType::ObjectTrigger {
                    if let Some(x) = t.triggers.iter_mut().find(|x| x.name == s.subname) {
                        x.name = s.newname.clone();
                    }
                } else if let Some(x) = t.policies.iter_mut().find(|x| x.name == s.subname) {
                    x.name = s.newname.clone();
                }
            }
            _ => self.opaque(format!("RENAME of {} is not modelled", kind.as_str_name())),
        }
    }

    fn rename_column(&mut self, q: &QName, old: &str, new: &str) {
        if let Some(mut t) = self.catalog.tables.get_mut(q) {
            if let Some(c) = t.column_mut(old) {
                c.name = new.to_string();
            }
            for c in t.columns.iter_mut() {
                if let Some(g) = &c.generated {
                    c.generated = Some(pgvet_syntax::rename_column_in_expr(g, old, new));
                }
            }
            for c in t.constraints.iter_mut() {
                rename_in(&mut c.columns, old, new);
                if let Some(e) = &c.expression {
                    c.expression = Some(pgvet_syntax::rename_column_in_expr(e, old, new));
                }
            }
        }
        // References from foreign keys (including self-references).
        let referencing = self.catalog.tables.referencing(q);
        for r in referencing {
            if let Some(mut t) = self.catalog.tables.get_mut(&r) {
                for c in t.constraints.iter_mut() {
                    if let Some(fk) = c.foreign_key.as_mut().filter(|fk| fk.table == *q) {
                        rename_in(&mut fk.columns, old, new);
                    }
                }
            }
        }
        let idx: Vec<QName> = self.catalog.indexes_of(q).filter(|i| index_uses(i, old)).map(|i| i.name.clone()).collect();
        for n in idx {
            let Some(mut i) = self.catalog.indexes.get_mut(&n) else { continue };
            for k in i.keys.iter_mut() {
                match k {
                    IndexKey::Column(c) if c == old => *c = new.to_string(),
                    IndexKey::Expression(e) => *e = canon_text(&pgvet_syntax::rename_column_in_expr(e, old, new)),
                    _ => {}
                }
            }
            rename_in(&mut i.include, old, new);
            if let Some(p) = &i.predicate {
                i.predicate = Some(canon_text(&pgvet_syntax::rename_column_in_expr(p, old, new)));
            }
        }
        let owned: Vec<QName> = self
            .catalog
            .sequences
            .of_group(q)
            .filter(|s| s.owned_by.as_ref().is_some_and(|(_, c)| c == old))
            .map(|s| s.name.clone())
            .collect();
        for s in owned {
            if let Some(mut seq) = self.catalog.sequences.get_mut(&s) {
                seq.owned_by = Some((q.clone(), new.to_string()));
            }
        }
    }

    fn move_index(&mut self, old: &QName, new: &QName) {
        let children = self.index_children(old);
        let Some(mut i) = self.catalog.indexes.remove(old) else { return };
        i.name = new.clone();
        if let Some(cn) = i.constraint.clone() {
            if let Some(mut t) = self.catalog.tables.get_mut(&i.table) {
                if let Some(c) = t.constraints.iter_mut().find(|c| c.name == cn) {
                    c.name = new.name.clone();
                    c.index = Some(new.name.clone());
                }
                t.constraints.sort_by(|a, b| a.name.cmp(&b.name));
            }
            i.constraint = Some(new.name.clone());
        }
        self.catalog.indexes.insert(new.clone(), i);
        for c in children {
            if let Some(mut ci) = self.catalog.indexes.get_mut(&c) {
                ci.parent = Some(new.clone());
            }
        }
    }

    /// Renames or moves (SET SCHEMA) a relation and everything that refers to it by name.
    fn move_relation(&mut self, old: &QName, new: &QName) {
        if self.catalog.indexes.contains_key(old) {
            return self.move_index(old, new);
        }
        if let Some(mut v) = self.catalog.views.remove(old) {
            v.name = new.clone();
            self.catalog.views.insert(new.clone(), v);
        } else if let Some(mut s) = self.catalog.sequences.remove(old) {
            s.name = new.clone();
            self.catalog.sequences.insert(new.clone(), s);
            self.sequence_renamed(old, new);
            return;
        } else if let Some(mut t) = self.catalog.tables.remove(old) {
            t.name = new.clone();
            self.catalog.tables.insert(new.clone(), t);
            let idx: Vec<QName> = self.catalog.indexes_of(old).map(|i| i.name.clone()).collect();
            for n in idx {
                if let Some(mut i) = self.catalog.indexes.remove(&n) {
                    i.table = new.clone();
                    if new.schema != old.schema {
                        i.name.schema = new.schema.clone();
                    }
                    self.catalog.indexes.insert(i.name.clone(), i);
                }
            }
            let seqs: Vec<QName> = self.catalog.sequences.of_group(old).map(|s| s.name.clone()).collect();
            for s in seqs {
                if let Some(mut seq) = self.catalog.sequences.remove(&s) {
                    if let Some(o) = seq.owned_by.as_mut() {
                        o.0 = new.clone();
                    }
                    if new.schema != old.schema {
                        seq.name.schema = new.schema.clone();
                    }
                    let moved = (seq.name != s).then(|| seq.name.clone());
                    self.catalog.sequences.insert(seq.name.clone(), seq);
                    if let Some(m) = moved {
                        self.sequence_renamed(&s, &m);
                    }
                }
            }
            let all: std::collections::BTreeSet<QName> =
                self.catalog.tables.referencing(old).into_iter().chain(self.catalog.tables.partitions_of(old)).collect();
            for k in all {
                let t = self.catalog.tables.get(&k).expect("listed");
                let touches = t.partition_of.as_ref() == Some(old)
                    || t.constraints.iter().any(|c| c.foreign_key.as_ref().is_some_and(|fk| fk.table == *old));
                if !touches {
                    continue;
                }
                let mut t = self.catalog.tables.get_mut(&k).expect("listed");
                if t.partition_of.as_ref() == Some(old) {
                    t.partition_of = Some(new.clone());
                }
                for c in t.constraints.iter_mut() {
                    if let Some(fk) = c.foreign_key.as_mut().filter(|fk| fk.table == *old) {
                        fk.table = new.clone();
                    }
                }
            }
        } else {
            return;
        }
        let views: Vec<QName> = self.catalog.views.values().filter(|v| v.reads.contains(old)).map(|v| v.name.clone()).collect();
        for v in views {
            if let Some(view) = self.catalog.views.get_mut(&v) {
                rename_qn(&mut view.reads, old, new);
            }
        }
    }

    pub(super) fn set_schema(&mut self, s: &protobuf::AlterObjectSchemaStmt) {
        let kind = ObjectType::try_from(s.object_type).unwrap_or(ObjectType::Undefined);
        if !self.catalog.schemas.contains(&s.newschema) {
            return self.error(format!("schema \"{}\" does not exist", s.newschema));
        }
        match kind {
            ObjectType::ObjectTable | ObjectType::ObjectView | ObjectType::ObjectMatview | ObjectType::ObjectSequence => {
                let rv = s.relation.clone().unwrap_or_default();
                let Some(old) = self.find_relation(&rv, kind) else {
                    if !s.missing_ok {
                        self.error(format!("relation \"{}\" does not exist", rv.relname));
                    }
                    return;
                };
                let new = QName::new(s.newschema.as_str(), old.name.as_str());
                self.move_relation(&old, &new);
            }
            _ => self.opaque(format!("ALTER ... SET SCHEMA of {} is not modelled", kind.as_str_name())),
        }
    }

    pub(super) fn drop(&mut self, s: &protobuf::DropStmt) {
        let kind = ObjectType::try_from(s.remove_type).unwrap_or(ObjectType::Undefined);
        let cascade = s.behavior == DropBehavior::DropCascade as i32;
        for obj in &s.objects {
            let node = obj.node.as_ref();
            match kind {
                ObjectType::ObjectTable
                | ObjectType::ObjectForeignTable
                | ObjectType::ObjectView
                | ObjectType::ObjectMatview
                | ObjectType::ObjectIndex
                | ObjectType::ObjectSequence => {
                    let names = match node {
                        Some(N::List(l)) => strs(&l.items),
                        _ => vec![],
                    };
                    let rv = match names.as_slice() {
                        [.., sc, n] => protobuf::RangeVar { schemaname: sc.clone(), relname: n.clone(), ..Default::default() },
                        [n] => protobuf::RangeVar { relname: n.clone(), ..Default::default() },
                        [] => continue,
                    };
                    let Some(q) = self.find_relation(&rv, kind) else {
                        if !s.missing_ok {
                            self.error(format!("{} \"{}\" does not exist", kind_word(kind), names.join(".")));
                        }
                        continue;
                    };
                    match kind {
                        ObjectType::ObjectIndex => self.drop_index(&q),
                        ObjectType::ObjectSequence => {
                            self.catalog.sequences.remove(&q);
                        }
                        ObjectType::ObjectView | ObjectType::ObjectMatview => self.drop_view(&q, cascade),
                        _ => self.drop_table(&q, cascade),
                    }
                }
                ObjectType::ObjectFunction | ObjectType::ObjectProcedure | ObjectType::ObjectRoutine | ObjectType::ObjectAggregate => {
                    let Some(N::ObjectWithArgs(owa)) = node else { continue };
                    match self.resolve_function(owa) {
                        Ok(Some(k)) => {
                            if self.drop_function_dependents(&k, cascade) {
                                self.catalog.functions.remove(&k);
                            }
                        }
                        Ok(None) if s.missing_ok => {}
                        Ok(None) => self.error(format!("function {} does not exist", strs(&owa.objname).join("."))),
                        Err(e) => self.error(e),
                    }
                }
                ObjectType::ObjectType | ObjectType::ObjectDomain => {
                    let names = match node {
                        Some(N::TypeName(t)) => strs(&t.names),
                        Some(N::List(l)) => strs(&l.items),
                        _ => vec![],
                    };
                    let found = self.resolve_names(&names, |q| self.catalog.enums.contains_key(q) || self.catalog.domains.contains_key(q));
                    let Some(q) = found else {
                        if !s.missing_ok {
                            self.error(format!("type \"{}\" does not exist", names.join(".")));
                        }
                        continue;
                    };
                    let shown = crate::types::format_type(
                        &crate::types::TypeRef {
                            schema: Some(q.schema.clone()),
                            name: q.name.clone(),
                            typmods: vec![],
                            array: false,
                            pct_type: None,
                        },
                        Some(&q.schema),
                        false,
                    );
                    let users: Vec<(QName, String)> = self
                        .catalog
                        .tables
                        .values()
                        .flat_map(|t| {
                            t.columns
                                .iter()
                                .filter(|c| c.type_name.trim_end_matches("[]") == shown)
                                .map(|c| (t.name.clone(), c.name.clone()))
                                .collect::<Vec<_>>()
                        })
                        .collect();
                    if !users.is_empty() && !cascade {
                        self.error(format!("cannot drop type {q} because column {}.{} uses it; use CASCADE", users[0].0, users[0].1));
                        continue;
                    }
                    for (t, c) in users {
                        self.drop_column(&t, &c, true, true);
                    }
                    self.catalog.enums.remove(&q);
                    self.catalog.domains.remove(&q);
                }
                ObjectType::ObjectSchema => {
                    let Some(N::String(name)) = node else { continue };
                    let name = name.sval.clone();
                    if !self.catalog.schemas.contains(&name) {
                        if !s.missing_ok {
                            self.error(format!("schema \"{name}\" does not exist"));
                        }
                        continue;
                    }
                    let tables: Vec<QName> = self.catalog.tables.keys().filter(|k| k.schema == name).cloned().collect();
                    let has_objects = !tables.is_empty()
                        || self.catalog.views.keys().any(|k| k.schema == name)
                        || self.catalog.functions.keys().any(|k| k.name.schema == name);
                    if has_objects && !cascade {
                        self.error(format!("cannot drop schema {name} because other objects depend on it; use CASCADE"));
                        continue;
                    }
                    let views: Vec<QName> = self.catalog.views.keys().filter(|k| k.schema == name).cloned().collect();
                    for v in views {
                        self.drop_view(&v, true);
                    }
                    for t in tables {
                        self.drop_table(&t, true);
                    }
                    let c = &mut self.catalog;
                    retain(&mut c.functions, |k| k.name.schema != name);
                    let gone: Vec<QName> = c.sequences.values().filter(|s| s.name.schema == name).map(|s| s.name.clone()).collect();
                    for g in gone {
                        c.sequences.remove(&g);
                    }
                    retain(&mut c.enums, |k| k.schema != name);
                    retain(&mut c.domains, |k| k.schema != name);
                    c.schemas.remove(&name);
                }
                ObjectType::ObjectExtension => {
                    if let Some(N::String(name)) = node {
                        self.catalog.extensions.remove(&name.sval);
                    }
                }
                ObjectType::ObjectTrigger | ObjectType::ObjectPolicy => {
                    let names = match node {
                        Some(N::List(l)) => strs(&l.items),
                        _ => vec![],
                    };
                    let Some((obj, rel)) = names.split_last() else { continue };
                    let rv = match rel {
                        [.., sc, n] => protobuf::RangeVar { schemaname: sc.clone(), relname: n.clone(), ..Default::default() },
                        [n] => protobuf::RangeVar { relname: n.clone(), ..Default::default() },
                        [] => continue,
                    };
                    let found = self.resolve_table(&rv).and_then(|q| {
                        let mut t = self.catalog.tables.get_mut(&q)?;
                        let before = t.triggers.len() + t.policies.len();
                        if kind == ObjectType::ObjectTrigger {
                            t.triggers.retain(|x| x.name != *obj);
                        } else {
                            t.policies.retain(|x| x.name != *obj);
                        }
                        (t.triggers.len() + t.policies.len() < before).then_some(())
                    });
                    if found.is_none() && !s.missing_ok {
                        self.error(format!("{} \"{obj}\" does not exist", kind_word(kind)));
                    }
                }
                _ => {}
            }
        }
    }

    pub(super) fn drop_index(&mut self, q: &QName) {
        let Some(i) = self.catalog.indexes.get(q) else { return };
        if let Some(c) = &i.constraint {
            return self.error(format!("cannot drop index {q} because constraint {c} on table {} requires it", i.table));
        }
        if i.parent.is_some() {
            return self.error(format!("cannot drop index {q} because it is a partition of a partitioned index"));
        }
        let oid = i.oid;
        let table = i.table.clone();
        if let Some((t, c)) = self.fk_dependents(&table, oid).first() {
            return self.error(format!("cannot drop index {q} because constraint {c} on table {t} depends on it"));
        }
        let children: Vec<QName> = self.index_children(q);
        self.catalog.indexes.remove(q);
        for c in children {
            if let Some(mut ci) = self.catalog.indexes.get_mut(&c) {
                ci.parent = None;
            }
            self.drop_index(&c);
        }
    }

    pub(super) fn drop_view(&mut self, q: &QName, cascade: bool) {
        let deps: Vec<QName> =
            self.catalog.views.values().filter(|v| v.reads.contains(q) && v.name != *q).map(|v| v.name.clone()).collect();
        if !deps.is_empty() && !cascade {
            return self.error(format!("cannot drop view {q} because view {} depends on it; use CASCADE", deps[0]));
        }
        self.catalog.views.remove(q);
        let idx: Vec<QName> = self.catalog.indexes_of(q).map(|i| i.name.clone()).collect();
        for i in idx {
            self.catalog.indexes.remove(&i);
        }
        for d in deps {
            self.drop_view(&d, true);
        }
    }

    pub(super) fn drop_table(&mut self, q: &QName, cascade: bool) {
        let family = self.family(q);
        let fk_deps: Vec<(QName, String)> = family
            .iter()
            .flat_map(|f| self.catalog.tables.referencing(f))
            .filter(|t| !family.contains(t))
            .collect::<std::collections::BTreeSet<QName>>()
            .into_iter()
            .filter_map(|t| self.catalog.tables.get(&t))
            .flat_map(|t| {
                t.constraints
                    .iter()
                    .filter(|c| c.foreign_key.as_ref().is_some_and(|fk| family.contains(&fk.table)))
                    .map(|c| (t.name.clone(), c.name.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let view_deps: Vec<QName> =
            self.catalog.views.values().filter(|v| v.reads.iter().any(|r| family.contains(r))).map(|v| v.name.clone()).collect();
        if !cascade {
            if let Some((t, c)) = fk_deps.first() {
                return self.error(format!("cannot drop table {q} because constraint {c} on table {t} depends on it; use CASCADE"));
            }
            if let Some(v) = view_deps.first() {
                return self.error(format!("cannot drop table {q} because view {v} depends on it; use CASCADE"));
            }
        }
        for (t, c) in fk_deps {
            if let Some(mut t) = self.catalog.tables.get_mut(&t) {
                t.constraints.retain(|x| x.name != c);
            }
        }
        for v in view_deps {
            self.drop_view(&v, true);
        }
        for t in &family {
            self.catalog.tables.remove(t);
            let idx: Vec<QName> = self.catalog.indexes_of(t).map(|i| i.name.clone()).collect();
            for i in idx {
                self.catalog.indexes.remove(&i);
            }
            let owned: Vec<QName> = self.catalog.sequences.of_group(t).map(|s| s.name.clone()).collect();
            for s in owned {
                self.catalog.sequences.remove(&s);
            }
        }
    }

    /// Indexes cloned from partitioned index `q` onto the partitions of its table.
    fn index_children(&self, q: &QName) -> Vec<QName> {
        let Some(table) = self.catalog.indexes.get(q).map(|i| i.table.clone()) else { return vec![] };
        self.catalog
            .tables
            .partitions_of(&table)
            .iter()
            .flat_map(|p| self.catalog.indexes_of(p).filter(|c| c.parent.as_ref() == Some(q)).map(|c| c.name.clone()).collect::<Vec<_>>())
            .collect()
    }

    /// The table and, recursively, its partitions.
    pub(super) fn family(&self, q: &QName) -> Vec<QName> {
        let mut out = vec![q.clone()];
        let mut i = 0;
        while i < out.len() {
            let t = out[i].clone();
            out.extend(self.catalog.tables.partitions_of(&t));
            i += 1;
        }
        out
    }
}

fn rename_qn(list: &mut [QName], old: &QName, new: &QName) {
    for q in list.iter_mut() {
        if q == old {
            *q = new.clone();
        }
    }
}

fn canon_text(s: &str) -> String {
    pgvet_syntax::canonical_expr(s).unwrap_or_else(|| s.to_string())
}

fn kind_word(k: ObjectType) -> &'static str {
    match k {
        ObjectType::ObjectIndex => "index",
        ObjectType::ObjectView => "view",
        ObjectType::ObjectMatview => "materialized view",
        ObjectType::ObjectSequence => "sequence",
        ObjectType::ObjectTrigger => "trigger",
        ObjectType::ObjectPolicy => "policy",
        _ => "table",
    }
}

fn retain<K: Ord + Clone, V: Clone>(map: &mut imbl::OrdMap<K, V>, keep: impl Fn(&K) -> bool) {
    let gone: Vec<K> = map.keys().filter(|k| !keep(k)).cloned().collect();
    for k in gone {
        map.remove(&k);
    }
}

fn grantee_names(list: &[Node]) -> Vec<String> {
    list.iter()
        .filter_map(|g| match g.node.as_ref()? {
            N::RoleSpec(r) if r.roletype == protobuf::RoleSpecType::RolespecPublic as i32 => Some("public".to_string()),
            N::RoleSpec(r) if !r.rolename.is_empty() => Some(r.rolename.to_lowercase()),
            _ => None,
        })
        .collect()
}

fn apply_grant(grants: &mut Vec<String>, roles: &[String], is_grant: bool, removes: bool) {
    for r in roles {
        if is_grant {
            if !grants.contains(r) {
                grants.push(r.clone());
            }
        } else if removes {
            grants.retain(|g| g != r);
        }
    }
}

impl Replayer {
    /// GRANT / REVOKE on tables and functions: who may reach them (for the RLS and RPC rules).
    /// `defaults`: the schemas of an ALTER DEFAULT PRIVILEGES (Some(vec![]) for all schemas).
    pub(super) fn grant(&mut self, g: &protobuf::GrantStmt, defaults: Option<Vec<String>>) {
        let roles = grantee_names(&g.grantees);
        let objtype = ObjectType::try_from(g.objtype).unwrap_or(ObjectType::Undefined);
        let kind = match objtype {
            ObjectType::ObjectTable => crate::GrantKind::Tables,
            ObjectType::ObjectFunction | ObjectType::ObjectProcedure | ObjectType::ObjectRoutine => crate::GrantKind::Functions,
            _ => return,
        };
        // Revoking some privileges of a table leaves the others; a function has only EXECUTE.
        let removes = g.privileges.is_empty() || kind == crate::GrantKind::Functions;
        if let Some(schemas) = defaults {
            let schemas: Vec<Option<String>> = if schemas.is_empty() { vec![None] } else { schemas.into_iter().map(Some).collect() };
            for s in schemas {
                for r in &roles {
                    let dg = crate::DefaultGrant { schema: s.clone(), kind, role: r.clone() };
                    if g.is_grant {
                        if !self.catalog.default_grants.contains(&dg) {
                            self.catalog.default_grants.push(dg);
                        }
                    } else if removes {
                        self.catalog.default_grants.retain(|x| !(x.kind == kind && x.role == *r && (s.is_none() || x.schema == s)));
                    }
                }
            }
            return;
        }
        let all_in_schema = g.targtype == protobuf::GrantTargetType::AclTargetAllInSchema as i32;
        match kind {
            crate::GrantKind::Tables => {
                let targets: Vec<QName> = if all_in_schema {
                    let schemas = strs(&g.objects);
                    self.catalog.tables.keys().filter(|q| schemas.contains(&q.schema)).cloned().collect()
                } else {
                    g.objects
                        .iter()
                        .filter_map(|o| match o.node.as_ref()? {
                            N::RangeVar(rv) => self.resolve_table(rv),
                            _ => None,
                        })
                        .collect()
                };
                for q in targets {
                    if let Some(mut t) = self.catalog.tables.get_mut(&q) {
                        apply_grant(&mut t.grants, &roles, g.is_grant, removes);
                    }
                }
            }
            crate::GrantKind::Functions => {
                let keys: Vec<FunctionKey> = if all_in_schema {
                    let schemas = strs(&g.objects);
                    self.catalog.functions.keys().filter(|k| schemas.contains(&k.name.schema)).cloned().collect()
                } else {
                    g.objects
                        .iter()
                        .filter_map(|o| match o.node.as_ref()? {
                            N::ObjectWithArgs(owa) => self.resolve_function(owa).ok().flatten(),
                            _ => None,
                        })
                        .collect()
                };
                for k in keys {
                    if let Some(f) = self.catalog.functions.get_mut(&k) {
                        apply_grant(&mut f.grants, &roles, g.is_grant, removes);
                    }
                }
            }
        }
    }

    pub(super) fn default_privileges(&mut self, a: &protobuf::AlterDefaultPrivilegesStmt) {
        let Some(action) = &a.action else { return };
        let mut schemas = Vec::new();
        for o in &a.options {
            if let Some(N::DefElem(d)) = o.node.as_ref() {
                if d.defname == "schemas" {
                    if let Some(N::List(l)) = d.arg.as_deref().and_then(|n| n.node.as_ref()) {
                        schemas = strs(&l.items);
                    }
                }
            }
        }
        self.grant(action, Some(schemas));
    }
}

impl Replayer {
    /// Columns of type `old` (as `format_type` shows it, with any typmod or array suffix) now show `new`.
    fn retype_columns(&mut self, old: &QName, new: &QName) {
        let shown = |q: &QName| if q.schema == "public" { pgvet_syntax::quote_ident(&q.name) } else { q.to_string() };
        let (was, now) = (shown(old), shown(new));
        let tables: Vec<QName> = self.catalog.tables.keys().cloned().collect();
        for tq in tables {
            let Some(mut t) = self.catalog.tables.get_mut(&tq) else { continue };
            for c in t.columns.iter_mut() {
                if c.type_name == was || c.type_name.starts_with(&format!("{was}[")) {
                    c.type_name = format!("{now}{}", &c.type_name[was.len()..]);
                }
            }
        }
    }
}
