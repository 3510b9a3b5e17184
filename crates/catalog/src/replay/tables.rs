use super::*;
use pgvet_syntax::protobuf::AlterTableType as AT;

/// A pending column-level or table-level constraint collected while reading CREATE TABLE / ADD COLUMN.
enum Pending {
    Index(IndexConstraint),
    Check { name: Option<String>, expr: Node, valid: bool, colname: Option<String>, loc: i32 },
    Foreign { c: protobuf::Constraint, cols: Vec<String>, loc: i32 },
}

/// An index element's key; `table` (the indexed table's name) qualifies columns in it for nothing.
fn elem_key(e: &protobuf::IndexElem, table: &str) -> (IndexKey, String) {
    if !e.name.is_empty() {
        return (IndexKey::Column(e.name.clone()), e.name.clone());
    }
    let expr = pgvet_syntax::unqualify_columns(&e.expr.as_deref().cloned().unwrap_or_default(), table);
    // `(col)` is treated as a plain column reference by the server.
    if let Some(N::ColumnRef(c)) = &expr.node {
        let f = strs(&c.fields);
        if f.len() == 1 {
            return (IndexKey::Column(f[0].clone()), f[0].clone());
        }
    }
    let colname =
        if e.indexcolname.is_empty() { figure_index_colname(&expr).unwrap_or_else(|| "expr".into()) } else { e.indexcolname.clone() };
    (IndexKey::Expression(canonical_expr_node(&expr).unwrap_or_default()), colname)
}

fn elems(list: &[Node]) -> Vec<&protobuf::IndexElem> {
    list.iter()
        .filter_map(|n| match &n.node {
            Some(N::IndexElem(e)) => Some(e.as_ref()),
            _ => None,
        })
        .collect()
}

impl Replayer {
    fn index_constraint(&self, c: &protobuf::Constraint, cols: Vec<String>, loc: i32) -> IndexConstraint {
        let kind = match ConstrType::try_from(c.contype) {
            Ok(ConstrType::ConstrPrimary) => ConstraintKind::PrimaryKey,
            Ok(ConstrType::ConstrExclusion) => ConstraintKind::Exclusion,
            _ => ConstraintKind::Unique,
        };
        let mut excl_keys = Vec::new();
        let mut excl_colnames = Vec::new();
        for pair in &c.exclusions {
            if let Some(N::List(l)) = &pair.node {
                if let Some(Some(N::IndexElem(e))) = l.items.first().map(|n| &n.node) {
                    let (k, n) = elem_key(e, "");
                    excl_keys.push(k);
                    excl_colnames.push(n);
                }
            }
        }
        IndexConstraint {
            name: Some(c.conname.clone()).filter(|n| !n.is_empty()),
            kind,
            columns: if cols.is_empty() { strs(&c.keys) } else { cols },
            include: strs(&c.including),
            excl_keys,
            excl_colnames,
            method: if c.access_method.is_empty() { "btree".into() } else { c.access_method.clone() },
            predicate: canon_of(&c.where_clause),
            deferrable: c.deferrable,
            deferred: c.initdeferred,
            nulls_not_distinct: c.nulls_not_distinct,
            using_index: Some(c.indexname.clone()).filter(|n| !n.is_empty()),
            loc,
        }
    }

    /// `loc` is where the clause starts: the column definition for a column constraint.
    fn classify(&self, c: &protobuf::Constraint, colname: Option<&str>, in_create: bool, loc: i32) -> Option<Pending> {
        let col: Vec<String> = colname.map(|c| vec![c.to_string()]).unwrap_or_default();
        match ConstrType::try_from(c.contype).ok()? {
            ConstrType::ConstrPrimary | ConstrType::ConstrUnique | ConstrType::ConstrExclusion => {
                Some(Pending::Index(self.index_constraint(c, col, loc)))
            }
            ConstrType::ConstrCheck => Some(Pending::Check {
                name: Some(c.conname.clone()).filter(|n| !n.is_empty()),
                expr: c.raw_expr.as_deref().cloned().unwrap_or_default(),
                valid: in_create || !c.skip_validation,
                colname: colname.map(String::from),
                loc,
            }),
            ConstrType::ConstrForeign => {
                let cols = if col.is_empty() { strs(&c.fk_attrs) } else { col };
                let mut c = c.clone();
                if in_create {
                    c.skip_validation = false;
                }
                Some(Pending::Foreign { c, cols, loc })
            }
            _ => None,
        }
    }

    /// Builds a column from its definition; collects its constraints into `pending`.
    fn column_def(
        &mut self,
        table: &QName,
        d: &protobuf::ColumnDef,
        pending: &mut Vec<Pending>,
        seqs: &mut Vec<(String, String)>,
        in_create: bool,
    ) -> Column {
        let o = self.origin_at(d.location);
        let tn = d.type_name.clone().unwrap_or_default();
        let r = type_ref(&tn);
        let serial = if r.schema.is_none() && tn.array_bounds.is_empty() { serial_base(&r.name) } else { None };
        let mut col = Column {
            name: d.colname.clone(),
            type_name: serial.map(String::from).unwrap_or_else(|| self.type_text(&tn, true)),
            not_null: d.is_not_null,
            default: None,
            identity: None,
            generated: None,
            origin: o,
        };
        col.default = self.stored_default(&d.raw_default, &col.type_name);
        if serial.is_some() {
            let seq = self.choose_seq_name(table, &d.colname, seqs);
            col.default = Some(format!("nextval('{}'::regclass)", seq_ref(table, &seq)));
            col.not_null = true;
            seqs.push((seq, d.colname.clone()));
        }
        let mut last: Option<usize> = None;
        for cn in &d.constraints {
            let Some(N::Constraint(c)) = &cn.node else { continue };
            match ConstrType::try_from(c.contype).unwrap_or(ConstrType::Undefined) {
                ConstrType::ConstrNotnull => col.not_null = true,
                ConstrType::ConstrNull => col.not_null = false,
                ConstrType::ConstrDefault => col.default = self.stored_default(&c.raw_expr, &col.type_name),
                ConstrType::ConstrIdentity => {
                    col.identity = Some(if c.generated_when == "a" { "always" } else { "by default" }.into());
                    col.not_null = true;
                    let seq = self.choose_seq_name(table, &d.colname, seqs);
                    seqs.push((seq, d.colname.clone()));
                }
                ConstrType::ConstrGenerated => {
                    col.generated = c.raw_expr.as_deref().and_then(|e| deparse_expr(&pgvet_syntax::unqualify_columns(e, &table.name)))
                }
                ConstrType::ConstrAttrDeferrable
                | ConstrType::ConstrAttrNotDeferrable
                | ConstrType::ConstrAttrDeferred
                | ConstrType::ConstrAttrImmediate => {
                    if let Some(i) = last {
                        apply_attr(&mut pending[i], c.contype);
                    }
                }
                _ => {
                    if let Some(p) = self.classify(c, Some(&d.colname), in_create, d.location) {
                        if let Pending::Index(ic) = &p {
                            if ic.kind == ConstraintKind::PrimaryKey {
                                col.not_null = true;
                            }
                        }
                        pending.push(p);
                        last = Some(pending.len() - 1);
                    }
                }
            }
        }
        col
    }

    /// `LIKE src INCLUDING INDEXES`: the source's indexes as statements on `to`, in creation
    /// order. Constraint indexes become constraints again; every name is chosen anew.
    fn like_index_statements(&self, src: &Table, to: &QName) -> Vec<String> {
        let q = |s: &str| pgvet_syntax::quote_ident(s);
        let target = format!("{}.{}", q(&to.schema), q(&to.name));
        let mut indexes: Vec<&Index> = self.catalog.indexes_of(&src.name).collect();
        indexes.sort_by_key(|i| i.oid);
        let mut out = Vec::new();
        for i in indexes {
            let keys: Vec<String> = i
                .keys
                .iter()
                .map(|k| match k {
                    IndexKey::Column(c) => q(c),
                    IndexKey::Expression(e) => format!("({e})"),
                })
                .collect();
            let include = if i.include.is_empty() {
                String::new()
            } else {
                format!(" INCLUDE ({})", i.include.iter().map(|c| q(c)).collect::<Vec<_>>().join(", "))
            };
            let con = i.constraint.as_ref().and_then(|n| src.constraint(n));
            match con {
                Some(c) if matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique) => {
                    let kind = if c.kind == ConstraintKind::PrimaryKey { "PRIMARY KEY" } else { "UNIQUE" };
                    let nnd = if i.nulls_not_distinct { " NULLS NOT DISTINCT" } else { "" };
                    let deferrable = match (c.deferrable, c.initially_deferred) {
                        (true, true) => " DEFERRABLE INITIALLY DEFERRED",
                        (true, false) => " DEFERRABLE",
                        _ => "",
                    };
                    out.push(format!("ALTER TABLE {target} ADD {kind}{nnd} ({}){include}{deferrable}", keys.join(", ")));
                }
                Some(_) => {} // an exclusion constraint's index: not copied by pgvet
                None => {
                    let unique = if i.unique { "UNIQUE " } else { "" };
                    let pred = i.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default();
                    out.push(format!("CREATE {unique}INDEX ON {target} USING {} ({}){include}{pred}", i.method, keys.join(", ")));
                }
            }
        }
        out
    }

    fn choose_seq_name(&self, table: &QName, col: &str, seqs: &[(String, String)]) -> String {
        let taken: Vec<String> = seqs.iter().map(|s| s.0.clone()).collect();
        choose_relation_name(&self.catalog, &table.name, Some(col), "seq", &table.schema, false, &taken)
    }

    pub(super) fn create_table(&mut self, s: &protobuf::CreateStmt) {
        let rv = s.relation.clone().unwrap_or_default();
        if !rv.schemaname.is_empty() && !self.catalog.schemas.contains(&rv.schemaname) {
            return self.error(format!("schema \"{}\" does not exist", rv.schemaname));
        }
        // CREATE TEMP TABLE: in the session's temporary schema, gone when the file ends.
        let q =
            if rv.relpersistence == "t" { QName::new("pg_temp", rv.relname.clone()) } else { self.new_name(&rv.schemaname, &rv.relname) };
        if !self.relation_is_new(&q, s.if_not_exists) {
            return;
        }
        let o = self.origin();
        let mut t = new_table(q.clone(), o, s.of_typename.is_some());
        let mut pending: Vec<Pending> = Vec::new();
        let mut seqs: Vec<(String, String)> = Vec::new();
        let mut inherited_checks: Vec<Constraint> = Vec::new();
        // LIKE ... INCLUDING CONSTRAINTS / INDEXES: what is copied once the table exists.
        let mut like_checks: Vec<Constraint> = Vec::new();
        let mut like_indexes: Vec<String> = Vec::new();
        let mut parents = Vec::new();
        for p in &s.inh_relations {
            if let Some(N::RangeVar(prv)) = &p.node {
                match self.resolve_table(prv) {
                    Some(pq) => parents.push(pq),
                    None => return self.error(format!("relation \"{}\" does not exist", prv.relname)),
                }
            }
        }
        for pq in &parents {
            let parent = self.catalog.tables.get(pq).cloned().expect("resolved");
            for c in &parent.columns {
                if t.column(&c.name).is_none() {
                    let mut c = c.clone();
                    c.identity = None;
                    t.columns.push(c);
                }
            }
            for c in parent.constraints.iter().filter(|c| c.kind == ConstraintKind::Check) {
                inherited_checks.push(c.clone());
            }
            if s.partbound.is_some() {
                t.partition_of = Some(pq.clone());
            }
        }
        if let Some(spec) = &s.partspec {
            t.kind = TableKind::Partitioned;
            let params: Vec<String> = spec
                .part_params
                .iter()
                .filter_map(|p| match &p.node {
                    Some(N::PartitionElem(e)) if !e.name.is_empty() => Some(pgvet_syntax::quote_ident(&e.name)),
                    Some(N::PartitionElem(e)) => text_of(&e.expr).map(|x| format!("({x})")),
                    _ => None,
                })
                .collect();
            let strategy = match spec.strategy {
                1 => "LIST",
                2 => "RANGE",
                3 => "HASH",
                _ => "",
            };
            t.partition_by = Some(format!("{strategy} ({})", params.join(", ")));
        }
        for e in &s.table_elts {
            match &e.node {
                Some(N::ColumnDef(d)) => {
                    let col = self.column_def(&q, d, &mut pending, &mut seqs, true);
                    if let Some(existing) = t.column_mut(&d.colname) {
                        // A partition or child re-declaring an inherited column: merge.
                        existing.not_null |= col.not_null;
                        if col.default.is_some() {
                            existing.default = col.default;
                        }
                    } else {
                        t.columns.push(col);
                    }
                }
                Some(N::Constraint(c)) => {
                    if let Some(p) = self.classify(c, None, true, c.location) {
                        pending.push(p);
                    }
                }
                Some(N::TableLikeClause(l)) => {
                    let src = l.relation.as_ref().and_then(|r| self.resolve_table(r));
                    match src.and_then(|sq| self.catalog.tables.get(&sq).cloned()) {
                        Some(src) => {
                            // CREATE_TABLE_LIKE_* bits: CONSTRAINTS 1<<2, DEFAULTS 1<<3,
                            // GENERATED 1<<4, IDENTITY 1<<5, INDEXES 1<<6 (comments, compression,
                            // statistics and storage do not change what pgvet models).
                            for c in &src.columns {
                                let mut c = c.clone();
                                if l.options & (1 << 3) == 0 {
                                    c.default = None;
                                }
                                if l.options & (1 << 5) == 0 {
                                    c.identity = None;
                                } else if c.identity.is_some() {
                                    seqs.push((self.choose_seq_name(&q, &c.name, &seqs), c.name.clone()));
                                }
                                if l.options & (1 << 4) == 0 {
                                    c.generated = None;
                                }
                                t.columns.push(c);
                            }
                            if l.options & (1 << 2) != 0 {
                                like_checks.extend(src.constraints.iter().filter(|c| c.kind == ConstraintKind::Check).cloned());
                            }
                            if l.options & (1 << 6) != 0 {
                                like_indexes.extend(self.like_index_statements(&src, &q));
                            }
                        }
                        None => return self.error("LIKE names a table that does not exist"),
                    }
                }
                _ => {}
            }
        }
        // Sequences for serial/identity columns are created before the table.
        for (seq, col) in &seqs {
            let sq = QName::new(q.schema.as_str(), seq.as_str());
            self.catalog.sequences.insert(sq.clone(), Sequence { name: sq, owned_by: Some((q.clone(), col.clone())), origin: o });
        }
        // PK columns are NOT NULL.
        for p in &pending {
            if let Pending::Index(ic) = p {
                if ic.kind == ConstraintKind::PrimaryKey {
                    for c in &ic.columns {
                        if let Some(col) = t.column_mut(c) {
                            col.not_null = true;
                        }
                    }
                }
            }
        }
        t.grants = self.catalog.initial_grants(crate::GrantKind::Tables, &q.schema);
        self.catalog.tables.insert(q.clone(), t);
        // CHECK constraints: inherited ones keep their names, then the new ones in order.
        let mut checknames: Vec<String> = Vec::new();
        for c in inherited_checks {
            checknames.push(c.name.clone());
            self.add_constraint_raw(&q, c);
        }
        let mut index_cons = Vec::new();
        let mut fks = Vec::new();
        for p in pending {
            match p {
                Pending::Check { name, expr, valid, colname, loc } => {
                    let name = self.add_check(&q, name, &expr, valid, colname, &checknames, loc);
                    checknames.push(name);
                }
                Pending::Index(ic) => index_cons.push(ic),
                Pending::Foreign { c, cols, loc } => fks.push((c, cols, loc)),
            }
        }
        // The PK first, then the other index constraints, dropping exact duplicates.
        index_cons.sort_by_key(|ic| ic.kind != ConstraintKind::PrimaryKey);
        let mut done: Vec<IndexConstraint> = Vec::new();
        for ic in index_cons {
            if let Some(prior) = done.iter_mut().find(|p| same_index_constraint(p, &ic)) {
                if prior.name.is_none() {
                    prior.name = ic.name;
                }
                continue;
            }
            done.push(ic);
        }
        for ic in done {
            self.add_index_constraint(&q, ic, true);
        }
        // LIKE's copies: CHECKs under their own names, then the indexes (named anew).
        for c in like_checks {
            if self.catalog.tables.get(&q).is_some_and(|t| t.constraint(&c.name).is_none()) {
                let mut c = c.clone();
                c.origin = o;
                self.add_constraint_raw(&q, c);
            }
        }
        for sql in like_indexes {
            for s in pgvet_syntax::parse_sql(&sql).statements {
                self.apply_node(&s.node);
            }
        }
        for (c, cols, loc) in fks {
            self.add_foreign_key(&q, &c, cols, loc);
        }
        // A partition gets the parent's indexes and foreign keys.
        if let Some(parent) = self.catalog.tables.get(&q).and_then(|t| t.partition_of.clone()) {
            self.clone_parent_objects(&parent, &q);
        }
    }

    fn add_constraint_raw(&mut self, table: &QName, c: Constraint) {
        if let Some(mut t) = self.catalog.tables.get_mut(table) {
            t.constraints.push(c);
            t.constraints.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_check(
        &mut self,
        table: &QName,
        name: Option<String>,
        expr: &Node,
        valid: bool,
        colname: Option<String>,
        others: &[String],
        loc: i32,
    ) -> String {
        let cols = expr_columns(expr);
        if let Some(n) = name.as_ref().filter(|n| self.catalog.tables.get(table).is_some_and(|t| t.constraint(n).is_some())) {
            self.error(format!("constraint \"{n}\" for relation {table} already exists"));
            return n.clone();
        }
        let name = name.unwrap_or_else(|| {
            let col = if cols.len() == 1 { Some(cols[0].as_str()) } else { colname.as_deref().filter(|_| cols.len() == 1) };
            choose_constraint_name(&self.catalog, &table.name, col, "check", &table.schema, others)
        });
        let c = Constraint {
            name: name.clone(),
            kind: ConstraintKind::Check,
            columns: cols,
            deferrable: false,
            initially_deferred: false,
            validated: valid,
            index: None,
            // The server stores `t.col` of the table itself as `col`.
            expression: deparse_expr(&pgvet_syntax::unqualify_columns(expr, &table.name)),
            foreign_key: None,
            origin: self.origin_at(loc),
        };
        self.add_constraint_raw(table, c);
        name
    }

    /// Creates the index (and constraint) for a PK/UNIQUE/EXCLUDE constraint.
    fn add_index_constraint(&mut self, table: &QName, ic: IndexConstraint, recurse: bool) {
        let o = self.origin_at(ic.loc);
        if let Some(idx) = &ic.using_index {
            // ADD CONSTRAINT ... USING INDEX: the index becomes the constraint's (and takes its name).
            let iq = QName::new(table.schema.as_str(), idx.as_str());
            let Some(mut index) = self.catalog.indexes.remove(&iq) else {
                return self.error(format!("index \"{idx}\" does not exist"));
            };
            let name = ic.name.clone().unwrap_or_else(|| idx.clone());
            index.name = QName::new(table.schema.as_str(), name.as_str());
            index.constraint = Some(name.clone());
            index.primary = ic.kind == ConstraintKind::PrimaryKey;
            let cols: Vec<String> = index
                .keys
                .iter()
                .filter_map(|k| match k {
                    IndexKey::Column(c) => Some(c.clone()),
                    _ => None,
                })
                .collect();
            if index.primary {
                if let Some(mut t) = self.catalog.tables.get_mut(table) {
                    for c in &cols {
                        if let Some(col) = t.column_mut(c) {
                            col.not_null = true;
                        }
                    }
                }
            }
            self.catalog.indexes.insert(index.name.clone(), index);
            return self.add_constraint_raw(table, index_backed(&ic, name, cols, o));
        }
        let Some(t) = self.catalog.tables.get(table).cloned() else { return };
        if let Some(n) = ic.name.as_ref().filter(|n| t.constraint(n).is_some()) {
            return self.error(format!("constraint \"{n}\" for relation {table} already exists"));
        }
        let is_pk = ic.kind == ConstraintKind::PrimaryKey;
        if is_pk && t.constraints.iter().any(|c| c.kind == ConstraintKind::PrimaryKey) {
            return self.error(format!("multiple primary keys for table {table} are not allowed"));
        }
        for c in ic.columns.iter().chain(&ic.include) {
            if t.column(c).is_none() && !t.incomplete {
                return self.error(format!("column \"{c}\" named in key does not exist"));
            }
        }
        let keys: Vec<IndexKey> = if ic.kind == ConstraintKind::Exclusion {
            ic.excl_keys.clone()
        } else {
            ic.columns.iter().cloned().map(IndexKey::Column).collect()
        };
        let colnames: Vec<String> = if ic.kind == ConstraintKind::Exclusion { ic.excl_colnames.clone() } else { ic.columns.clone() };
        let all: Vec<String> = index_column_names(&colnames.iter().chain(&ic.include).cloned().collect::<Vec<_>>());
        let name = match &ic.name {
            Some(n) => n.clone(),
            None => match ic.kind {
                ConstraintKind::PrimaryKey => choose_relation_name(&self.catalog, &table.name, None, "pkey", &table.schema, true, &[]),
                ConstraintKind::Exclusion => {
                    choose_relation_name(&self.catalog, &table.name, Some(&name_addition(&all)), "excl", &table.schema, true, &[])
                }
                _ => choose_relation_name(&self.catalog, &table.name, Some(&name_addition(&all)), "key", &table.schema, true, &[]),
            },
        };
        let iq = QName::new(table.schema.as_str(), name.as_str());
        if self.catalog.relation_exists(&iq) {
            return self.error(format!("relation {iq} already exists"));
        }
        if is_pk {
            if let Some(mut t) = self.catalog.tables.get_mut(table) {
                for c in &ic.columns {
                    if let Some(col) = t.column_mut(c) {
                        col.not_null = true;
                    }
                }
            }
        }
        let oid = self.catalog.alloc_oid();
        let index = Index {
            oid,
            name: iq.clone(),
            table: table.clone(),
            unique: ic.kind != ConstraintKind::Exclusion,
            primary: is_pk,
            nulls_not_distinct: ic.nulls_not_distinct,
            method: ic.method.clone(),
            keys,
            include: ic.include.clone(),
            predicate: ic.predicate.clone(),
            valid: true,
            concurrently: false,
            constraint: Some(name.clone()),
            parent: None,
            origin: o,
        };
        self.catalog.indexes.insert(iq.clone(), index.clone());
        let columns = if ic.kind == ConstraintKind::Exclusion { ic.excl_colnames.clone() } else { ic.columns.clone() };
        self.add_constraint_raw(table, index_backed(&ic, name, columns, o));
        if recurse && t.kind == TableKind::Partitioned {
            for child in self.partitions_of(table) {
                self.clone_index(&index, &child);
            }
        }
    }

    fn partitions_of(&self, table: &QName) -> Vec<QName> {
        self.catalog.tables.partitions_of(table)
    }

    /// Gives partition `child` its own copy of the parent's index (or adopts an equivalent one).
    fn clone_index(&mut self, parent_index: &Index, child: &QName) {
        let existing =
            self.catalog.indexes_of(child).find(|i| i.parent.is_none() && equivalent_index(i, parent_index)).map(|i| i.name.clone());
        if let Some(existing) = existing {
            if let Some(mut i) = self.catalog.indexes.get_mut(&existing) {
                i.parent = Some(parent_index.name.clone());
            }
            return;
        }
        let colnames: Vec<String> = parent_index
            .keys
            .iter()
            .map(|k| match k {
                IndexKey::Column(c) => c.clone(),
                IndexKey::Expression(e) => {
                    pgvet_syntax::parse_expr(e).as_ref().and_then(figure_index_colname).unwrap_or_else(|| "expr".into())
                }
            })
            .chain(parent_index.include.iter().cloned())
            .collect();
        let all = index_column_names(&colnames);
        let is_constraint = parent_index.constraint.is_some();
        let name = if parent_index.primary {
            choose_relation_name(&self.catalog, &child.name, None, "pkey", &child.schema, true, &[])
        } else {
            let label = if !parent_index.unique && is_constraint {
                "excl"
            } else if is_constraint {
                "key"
            } else {
                "idx"
            };
            choose_relation_name(&self.catalog, &child.name, Some(&name_addition(&all)), label, &child.schema, is_constraint, &[])
        };
        let iq = QName::new(child.schema.as_str(), name.as_str());
        let mut idx = parent_index.clone();
        idx.oid = self.catalog.alloc_oid();
        idx.name = iq.clone();
        idx.table = child.clone();
        idx.parent = Some(parent_index.name.clone());
        idx.constraint = is_constraint.then(|| name.clone());
        idx.origin = self.origin();
        self.catalog.indexes.insert(iq, idx.clone());
        if let Some(pc) =
            parent_index.constraint.as_ref().and_then(|c| self.catalog.tables.get(&parent_index.table)?.constraint(c).cloned())
        {
            let mut c = pc;
            c.name = name.clone();
            c.index = Some(name);
            c.origin = self.origin();
            if c.kind == ConstraintKind::PrimaryKey {
                if let Some(mut t) = self.catalog.tables.get_mut(child) {
                    for col in &c.columns {
                        if let Some(x) = t.column_mut(col) {
                            x.not_null = true;
                        }
                    }
                }
            }
            self.add_constraint_raw(child, c);
        }
        if self.catalog.tables.get(child).is_some_and(|t| t.kind == TableKind::Partitioned) {
            for gc in self.partitions_of(child) {
                self.clone_index(&idx, &gc);
            }
        }
    }

    fn clone_parent_objects(&mut self, parent: &QName, child: &QName) {
        let parent_indexes: Vec<Index> = self.catalog.indexes_of(parent).cloned().collect();
        for pi in parent_indexes {
            self.clone_index(&pi, child);
        }
        let fks: Vec<Constraint> = self
            .catalog
            .tables
            .get(parent)
            .map(|t| t.constraints.iter().filter(|c| c.kind == ConstraintKind::ForeignKey).cloned().collect())
            .unwrap_or_default();
        for fk in fks {
            let exists = self.catalog.tables.get(child).is_some_and(|t| t.constraint(&fk.name).is_some());
            let mut c = fk.clone();
            if exists {
                c.name = choose_constraint_name(&self.catalog, &child.name, Some(&name_addition(&fk.columns)), "fkey", &child.schema, &[]);
            }
            self.add_constraint_raw(child, c);
        }
    }

    pub(super) fn add_foreign_key(&mut self, table: &QName, c: &protobuf::Constraint, cols: Vec<String>, loc: i32) {
        let target_rv = c.pktable.clone().unwrap_or_default();
        let target = match self.resolve_table(&target_rv) {
            Some(t) => t,
            None => {
                self.error(format!("relation \"{}\" referenced by a foreign key does not exist", target_rv.relname));
                self.new_name(&target_rv.schemaname, &target_rv.relname)
            }
        };
        let mut ref_cols = strs(&c.pk_attrs);
        if ref_cols.is_empty() {
            ref_cols = self
                .catalog
                .tables
                .get(&target)
                .and_then(|t| t.constraints.iter().find(|c| c.kind == ConstraintKind::PrimaryKey))
                .map(|pk| pk.columns.clone())
                .unwrap_or_default();
        }
        let index_oid = self.referenced_index(&target, &ref_cols);
        if index_oid.is_none() && self.catalog.tables.get(&target).is_some_and(|t| !t.incomplete) {
            self.error(format!("there is no unique constraint matching given keys for referenced table {target}"));
        }
        let name = if c.conname.is_empty() {
            choose_constraint_name(&self.catalog, &table.name, Some(&name_addition(&cols)), "fkey", &table.schema, &[])
        } else {
            c.conname.clone()
        };
        if self.catalog.tables.get(table).is_some_and(|t| t.constraint(&name).is_some()) {
            return self.error(format!("constraint \"{name}\" for relation {table} already exists"));
        }
        let con = Constraint {
            name,
            kind: ConstraintKind::ForeignKey,
            columns: cols,
            deferrable: c.deferrable,
            initially_deferred: c.initdeferred,
            validated: !c.skip_validation,
            index: None,
            expression: None,
            foreign_key: Some(ForeignKey {
                table: target,
                columns: ref_cols,
                on_delete: action(&c.fk_del_action, 'a'),
                on_update: action(&c.fk_upd_action, 'a'),
                match_type: action(&c.fk_matchtype, 's'),
                index_oid,
            }),
            origin: self.origin_at(loc),
        };
        self.add_constraint_raw(table, con.clone());
        // Every partition, at every level, gets the foreign key.
        for child in self.descendants(table) {
            self.add_constraint_raw(&child, con.clone());
        }
    }

    /// The partitions of a partitioned table, and theirs, at every level.
    fn descendants(&self, table: &QName) -> Vec<QName> {
        let mut out = self.partitions_of(table);
        let mut i = 0;
        while i < out.len() {
            let more = self.partitions_of(&out[i]);
            out.extend(more);
            i += 1;
        }
        out
    }

    /// `transformFkeyCheckAttrs`: the first (oldest) valid, non-partial, immediate unique index
    /// of the referenced table whose key columns are, as a set, the referenced columns.
    fn referenced_index(&self, target: &QName, cols: &[String]) -> Option<u64> {
        let t = self.catalog.tables.get(target)?;
        self.catalog
            .indexes_of(target)
            .filter(|i| i.unique && i.valid && i.predicate.is_none())
            .filter(|i| !i.constraint.as_ref().and_then(|c| t.constraint(c)).is_some_and(|c| c.deferrable))
            .filter(|i| {
                let keys: Vec<&String> = i.keys.iter().filter_map(|k| if let IndexKey::Column(c) = k { Some(c) } else { None }).collect();
                keys.len() == i.keys.len() && keys.len() == cols.len() && cols.iter().all(|c| keys.contains(&c))
            })
            .map(|i| i.oid)
            .min()
    }

    /// Foreign keys (table, constraint) that depend on the unique index `oid` of `table`.
    pub(super) fn fk_dependents(&self, table: &QName, oid: u64) -> Vec<(QName, String)> {
        self.catalog
            .tables
            .referencing(table)
            .into_iter()
            .filter_map(|r| self.catalog.tables.get(&r))
            .flat_map(|o| {
                o.constraints
                    .iter()
                    .filter(|x| x.foreign_key.as_ref().is_some_and(|fk| fk.index_oid == Some(oid)))
                    .map(|x| (o.name.clone(), x.name.clone()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    pub(super) fn create_index_stmt(&mut self, s: &protobuf::IndexStmt) {
        let rv = s.relation.clone().unwrap_or_default();
        let Some(table) =
            self.resolve(&rv.schemaname, &rv.relname, |q| self.catalog.tables.contains_key(q) || self.catalog.views.contains_key(q))
        else {
            return self.error(format!("relation \"{}\" does not exist", rv.relname));
        };
        let is_view = self.catalog.views.contains_key(&table);
        let (mut keys, mut colnames) = (Vec::new(), Vec::new());
        for e in elems(&s.index_params) {
            let (k, n) = elem_key(e, &rv.relname);
            keys.push(k);
            colnames.push(n);
        }
        let include: Vec<String> = elems(&s.index_including_params).iter().map(|e| e.name.clone()).collect();
        if !is_view {
            let t = self.catalog.tables.get(&table).expect("resolved");
            if !t.incomplete {
                for k in keys.iter().filter_map(|k| if let IndexKey::Column(c) = k { Some(c) } else { None }).chain(&include) {
                    if t.column(k).is_none() {
                        return self.error(format!("column \"{k}\" does not exist"));
                    }
                }
            }
        }
        let all = index_column_names(&colnames.iter().chain(&include).cloned().collect::<Vec<_>>());
        let name = if s.idxname.is_empty() {
            let label = if s.primary {
                "pkey"
            } else if s.unique && s.isconstraint {
                "key"
            } else {
                "idx"
            };
            choose_relation_name(
                &self.catalog,
                &table.name,
                (!s.primary).then(|| name_addition(&all)).as_deref(),
                label,
                &table.schema,
                s.isconstraint,
                &[],
            )
        } else {
            s.idxname.clone()
        };
        let iq = QName::new(table.schema.as_str(), name.as_str());
        if self.catalog.relation_exists(&iq) {
            if !s.if_not_exists {
                self.error(format!("relation \"{name}\" already exists"));
            }
            return;
        }
        let partitioned = self.catalog.tables.get(&table).is_some_and(|t| t.kind == TableKind::Partitioned);
        let oid = self.catalog.alloc_oid();
        let index = Index {
            oid,
            name: iq.clone(),
            table: table.clone(),
            unique: s.unique,
            primary: false,
            nulls_not_distinct: s.nulls_not_distinct,
            method: if s.access_method.is_empty() { "btree".into() } else { s.access_method.clone() },
            keys,
            include,
            predicate: s
                .where_clause
                .as_deref()
                .map(|w| pgvet_syntax::unqualify_columns(w, &rv.relname))
                .and_then(|w| canonical_expr_node(&w)),
            // CREATE INDEX ON ONLY a partitioned table leaves the parent index invalid until
            // every partition has an attached index.
            valid: !partitioned || rv.inh,
            concurrently: s.concurrent,
            constraint: None,
            parent: None,
            origin: self.origin(),
        };
        self.catalog.indexes.insert(iq, index.clone());
        if partitioned && rv.inh {
            for child in self.partitions_of(&table) {
                self.clone_index(&index, &child);
            }
        }
    }

    pub(super) fn alter_table(&mut self, s: &protobuf::AlterTableStmt) {
        let rv = s.relation.clone().unwrap_or_default();
        let objtype = ObjectType::try_from(s.objtype).unwrap_or(ObjectType::Undefined);
        if objtype == ObjectType::ObjectIndex {
            return self.alter_index(s);
        }
        if !matches!(objtype, ObjectType::ObjectTable | ObjectType::ObjectForeignTable) {
            // ALTER VIEW/SEQUENCE ... SET (...) etc.: no schema effect pgvet models.
            return;
        }
        let Some(q) = self.resolve_table(&rv) else {
            // ALTER TABLE also takes a sequence, view or index for what all relations have
            // (OWNER TO, storage options, RENAME is a RenameStmt).
            let any_relation = self.resolve(&rv.schemaname, &rv.relname, |q| self.catalog.relation_exists(q)).is_some();
            let generic = s.cmds.iter().all(|c| {
                matches!(&c.node, Some(N::AlterTableCmd(cmd)) if matches!(
                    AT::try_from(cmd.subtype),
                    Ok(AT::AtChangeOwner | AT::AtSetRelOptions | AT::AtResetRelOptions | AT::AtSetTableSpace | AT::AtReplaceRelOptions)
                ))
            });
            if !(s.missing_ok || any_relation && generic) {
                self.error(format!("relation \"{}\" does not exist", rv.relname));
            }
            return;
        };
        for c in &s.cmds {
            if let Some(N::AlterTableCmd(cmd)) = &c.node {
                self.alter_cmd(&q, cmd, rv.inh);
            }
        }
    }

    /// `ALTER INDEX parent ATTACH PARTITION child`: the parent index of a partitioned table
    /// becomes valid once every partition has an attached index.
    fn alter_index(&mut self, s: &protobuf::AlterTableStmt) {
        let rv = s.relation.clone().unwrap_or_default();
        let Some(parent) = self.resolve(&rv.schemaname, &rv.relname, |q| self.catalog.indexes.contains_key(q)) else {
            if !s.missing_ok {
                self.error(format!("relation \"{}\" does not exist", rv.relname));
            }
            return;
        };
        for c in &s.cmds {
            let Some(N::AlterTableCmd(cmd)) = &c.node else { continue };
            if cmd.subtype != AT::AtAttachPartition as i32 {
                continue;
            }
            let Some(N::PartitionCmd(pc)) = cmd.def.as_deref().and_then(|d| d.node.as_ref()) else { continue };
            let Some(crv) = &pc.name else { continue };
            let Some(child) = self.resolve(&crv.schemaname, &crv.relname, |q| self.catalog.indexes.contains_key(q)) else {
                self.error(format!("relation \"{}\" does not exist", crv.relname));
                continue;
            };
            if let Some(mut i) = self.catalog.indexes.get_mut(&child) {
                i.parent = Some(parent.clone());
            }
            let Some(table) = self.catalog.indexes.get(&parent).map(|i| i.table.clone()) else { continue };
            let parts = self.catalog.tables.partitions_of(&table);
            let all = parts.iter().all(|p| self.catalog.indexes_of(p).any(|i| i.parent.as_ref() == Some(&parent)));
            if all {
                if let Some(mut i) = self.catalog.indexes.get_mut(&parent) {
                    i.valid = true;
                }
            }
        }
    }

    fn alter_cmd(&mut self, q: &QName, cmd: &protobuf::AlterTableCmd, recurse: bool) {
        let subtype = AT::try_from(cmd.subtype).unwrap_or(AT::Undefined);
        let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
        let children = if recurse { self.family(q).split_off(1) } else { vec![] };
        match subtype {
            AT::AtAddColumn => {
                let Some(N::ColumnDef(d)) = def else { return };
                if self.catalog.tables.get(q).is_some_and(|t| t.column(&d.colname).is_some()) {
                    if !cmd.missing_ok {
                        self.error(format!("column \"{}\" of relation {q} already exists", d.colname));
                    }
                    return;
                }
                let mut pending = Vec::new();
                let mut seqs = Vec::new();
                let col = self.column_def(q, d, &mut pending, &mut seqs, true);
                let o = self.origin();
                for (seq, c) in &seqs {
                    let sq = QName::new(q.schema.as_str(), seq.as_str());
                    self.catalog.sequences.insert(sq.clone(), Sequence { name: sq, owned_by: Some((q.clone(), c.clone())), origin: o });
                }
                for t in std::iter::once(q.clone()).chain(children.clone()) {
                    if let Some(mut t) = self.catalog.tables.get_mut(&t) {
                        let mut c = col.clone();
                        if t.name != *q {
                            c.identity = None;
                        }
                        t.columns.push(c);
                    }
                }
                self.apply_pending(q, pending);
            }
            AT::AtDropColumn => self.drop_column(q, &cmd.name, cmd.missing_ok, cmd.behavior == DropBehavior::DropCascade as i32),
            AT::AtAlterColumnType => {
                let Some(N::ColumnDef(d)) = def else { return };
                let ty = d.type_name.as_ref().map(|t| self.type_text(t, true)).unwrap_or_default();
                self.update_column(q, &children, &cmd.name, |c| {
                    // The stored default keeps the value it had, typed as the old column type
                    // was, with a cast to the new one added by the server: a bare literal is
                    // fixed in its old type's text now.
                    if c.type_name != ty {
                        if let Some(d) = c.default.take() {
                            let bare = d.starts_with('\'') && d.ends_with('\'') && d.len() >= 2;
                            c.default = Some(if bare {
                                format!("{}::{}", crate::snapshot::typed_literal(&c.type_name, d), c.type_name)
                            } else {
                                d
                            });
                        }
                    }
                    c.type_name = ty.clone()
                });
            }
            AT::AtSetNotNull | AT::AtDropNotNull => {
                let set = subtype == AT::AtSetNotNull;
                if !set {
                    let in_pk = self.catalog.tables.get(q).is_some_and(|t| {
                        t.constraints.iter().any(|c| c.kind == ConstraintKind::PrimaryKey && c.columns.contains(&cmd.name))
                    });
                    if in_pk {
                        return self.error(format!("column \"{}\" is in a primary key", cmd.name));
                    }
                }
                self.update_column(q, &children, &cmd.name, |c| c.not_null = set);
            }
            AT::AtColumnDefault => {
                let ty = self.catalog.tables.get(q).and_then(|t| t.column(&cmd.name).map(|c| c.type_name.clone())).unwrap_or_default();
                let text = self.stored_default(&cmd.def, &ty);
                self.update_column(q, &children, &cmd.name, |c| c.default = text.clone());
            }
            AT::AtAddConstraint | AT::AtAddIndexConstraint => {
                let Some(N::Constraint(c)) = def else { return };
                if let Some(p) = self.classify(c, None, false, c.location) {
                    self.apply_pending(q, vec![p]);
                }
            }
            AT::AtAddIndex => {
                if let Some(N::IndexStmt(s)) = def {
                    self.create_index_stmt(s);
                }
            }
            AT::AtDropConstraint => self.drop_constraint(q, &cmd.name, cmd.missing_ok, cmd.behavior == DropBehavior::DropCascade as i32),
            AT::AtValidateConstraint => {
                if self.catalog.tables.get(q).and_then(|t| t.constraint(&cmd.name)).is_none() {
                    return self.error(format!("constraint \"{}\" of relation {q} does not exist", cmd.name));
                }
                for t in std::iter::once(q.clone()).chain(children) {
                    if let Some(mut tb) = self.catalog.tables.get_mut(&t) {
                        if let Some(c) = tb.constraints.iter_mut().find(|c| c.name == cmd.name) {
                            c.validated = true;
                        }
                    }
                }
            }
            AT::AtAlterConstraint => {
                // pg_query 18 gives an ATAlterConstraint node; older grammars a Constraint.
                let (name, deferrable, deferred) = match def {
                    Some(N::AtalterConstraint(c)) if c.alter_deferrability => (c.conname.clone(), c.deferrable, c.initdeferred),
                    Some(N::AtalterConstraint(_)) => return,
                    Some(N::Constraint(c)) => (c.conname.clone(), c.deferrable, c.initdeferred),
                    _ => return,
                };
                if self.catalog.tables.get(q).and_then(|t| t.constraint(&name)).is_none() {
                    return self.error(format!("constraint \"{name}\" of relation {q} does not exist"));
                }
                let Some(mut tb) = self.catalog.tables.get_mut(q) else { return };
                if let Some(x) = tb.constraints.iter_mut().find(|x| x.name == name) {
                    x.deferrable = deferrable;
                    x.initially_deferred = deferred;
                }
            }
            AT::AtEnableRowSecurity | AT::AtDisableRowSecurity | AT::AtForceRowSecurity | AT::AtNoForceRowSecurity => {
                if let Some(mut t) = self.catalog.tables.get_mut(q) {
                    match subtype {
                        AT::AtEnableRowSecurity => t.rls_enabled = true,
                        AT::AtDisableRowSecurity => t.rls_enabled = false,
                        AT::AtForceRowSecurity => t.rls_forced = true,
                        _ => t.rls_forced = false,
                    }
                }
            }
            AT::AtAddIdentity => {
                let Some(N::Constraint(c)) = def else { return };
                if let Some(col) = self.catalog.tables.get(q).and_then(|t| t.column(&cmd.name).cloned()) {
                    let problem = if !col.not_null {
                        Some("must be declared NOT NULL before identity can be added")
                    } else if col.identity.is_some() {
                        Some("is already an identity column")
                    } else if col.default.is_some() {
                        Some("already has a default value")
                    } else {
                        None
                    };
                    if let Some(p) = problem {
                        return self.error(format!("column \"{}\" of relation \"{}\" {p}", cmd.name, q.name));
                    }
                }
                let seq = choose_relation_name(&self.catalog, &q.name, Some(&cmd.name), "seq", &q.schema, false, &[]);
                let identity = if c.generated_when == "a" { "always" } else { "by default" };
                if !self.update_column(q, &[], &cmd.name, |col| {
                    col.identity = Some(identity.into());
                    col.not_null = true;
                }) {
                    return;
                }
                let sq = QName::new(q.schema.as_str(), seq.as_str());
                let o = self.origin();
                self.catalog.sequences.insert(sq.clone(), Sequence { name: sq, owned_by: Some((q.clone(), cmd.name.clone())), origin: o });
            }
            AT::AtDropIdentity => {
                let identity = self.catalog.tables.get(q).and_then(|t| t.column(&cmd.name).map(|c| c.identity.is_some()));
                match identity {
                    Some(false) if cmd.missing_ok => return,
                    Some(false) => {
                        return self.error(format!("column \"{}\" of relation \"{}\" is not an identity column", cmd.name, q.name))
                    }
                    None => return self.error(format!("column \"{}\" of relation {q} does not exist", cmd.name)),
                    Some(true) => {}
                }
                if let Some(mut t) = self.catalog.tables.get_mut(q) {
                    if let Some(c) = t.column_mut(&cmd.name) {
                        c.identity = None;
                    }
                }
                let owned: Vec<QName> = self
                    .catalog
                    .sequences
                    .of_group(q)
                    .filter(|s| s.owned_by.as_ref().is_some_and(|(_, c)| *c == cmd.name))
                    .map(|s| s.name.clone())
                    .collect();
                for s in owned {
                    self.catalog.sequences.remove(&s);
                }
            }
            AT::AtDropExpression => {
                if let Some(mut t) = self.catalog.tables.get_mut(q) {
                    if let Some(c) = t.column_mut(&cmd.name) {
                        c.generated = None;
                    }
                }
            }
            AT::AtAttachPartition => {
                let Some(N::PartitionCmd(pc)) = def else { return };
                let Some(child) = pc.name.as_ref().and_then(|r| self.resolve_table(r)) else {
                    return self.error("ATTACH PARTITION names a table that does not exist");
                };
                if let Some(mut t) = self.catalog.tables.get_mut(&child) {
                    t.partition_of = Some(q.clone());
                }
                self.clone_parent_objects(q, &child);
            }
            AT::AtDetachPartition | AT::AtDetachPartitionFinalize => {
                let Some(N::PartitionCmd(pc)) = def else { return };
                let Some(child) = pc.name.as_ref().and_then(|r| self.resolve_table(r)) else { return };
                if let Some(mut t) = self.catalog.tables.get_mut(&child) {
                    t.partition_of = None;
                }
                let names: Vec<QName> = self.catalog.indexes_of(&child).map(|i| i.name.clone()).collect();
                for n in names {
                    if let Some(mut i) = self.catalog.indexes.get_mut(&n) {
                        i.parent = None;
                    }
                }
            }
            AT::AtChangeOwner
            | AT::AtSetStatistics
            | AT::AtSetOptions
            | AT::AtResetOptions
            | AT::AtSetStorage
            | AT::AtSetCompression
            | AT::AtClusterOn
            | AT::AtDropCluster
            | AT::AtSetLogged
            | AT::AtSetUnLogged
            | AT::AtSetTableSpace
            | AT::AtSetRelOptions
            | AT::AtResetRelOptions
            | AT::AtReplaceRelOptions
            | AT::AtEnableTrig
            | AT::AtEnableAlwaysTrig
            | AT::AtEnableReplicaTrig
            | AT::AtDisableTrig
            | AT::AtEnableTrigAll
            | AT::AtDisableTrigAll
            | AT::AtEnableTrigUser
            | AT::AtDisableTrigUser
            | AT::AtReplicaIdentity
            | AT::AtGenericOptions => {}
            AT::AtSetIdentity => {
                // `SET GENERATED ALWAYS | BY DEFAULT` (with sequence options, which pgvet does
                // not keep): the option's value is the character 'a' or 'd'.
                let Some(N::List(opts)) = def else { return };
                let generated = opts.items.iter().find_map(|o| match &o.node {
                    Some(N::DefElem(d)) if d.defname == "generated" => match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
                        Some(N::Integer(i)) => Some(if i.ival == 'a' as i32 { "always" } else { "by default" }),
                        _ => None,
                    },
                    _ => None,
                });
                let Some(col) = self.catalog.tables.get(q).and_then(|t| t.column(&cmd.name).cloned()) else {
                    return self.error(format!("column \"{}\" of relation {q} does not exist", cmd.name));
                };
                if col.identity.is_none() {
                    return self.error(format!("column \"{}\" of relation \"{}\" is not an identity column", cmd.name, q.name));
                }
                if let Some(g) = generated {
                    self.update_column(q, &[], &cmd.name, |c| c.identity = Some(g.into()));
                }
            }
            other => self.opaque(format!("ALTER TABLE {} is not modelled", other.as_str_name())),
        }
    }

    /// Applies `f` to column `col` of `q` and of `children`; if any lacks the column, reports the
    /// error PostgreSQL would raise and changes nothing. Returns whether it applied.
    fn update_column(&mut self, q: &QName, children: &[QName], col: &str, f: impl Fn(&mut Column)) -> bool {
        let targets: Vec<QName> = std::iter::once(q.clone()).chain(children.iter().cloned()).collect();
        if let Some(t) = targets.iter().find(|t| self.catalog.tables.get(t).is_some_and(|tb| tb.column(col).is_none())) {
            self.error(format!("column \"{col}\" of relation {t} does not exist"));
            return false;
        }
        for t in &targets {
            if let Some(mut tb) = self.catalog.tables.get_mut(t) {
                if let Some(c) = tb.column_mut(col) {
                    f(c);
                }
            }
        }
        true
    }

    fn apply_pending(&mut self, q: &QName, pending: Vec<Pending>) {
        for p in pending {
            match p {
                Pending::Check { name, expr, valid, colname, loc } => {
                    let targets: Vec<QName> = self.family(q);
                    let mut chosen = None;
                    for t in targets {
                        let n = self.add_check(&t, chosen.clone().or(name.clone()), &expr, valid, colname.clone(), &[], loc);
                        chosen.get_or_insert(n);
                    }
                }
                Pending::Index(ic) => self.add_index_constraint(q, ic, true),
                Pending::Foreign { c, cols, loc } => self.add_foreign_key(q, &c, cols, loc),
            }
        }
    }

    pub(super) fn drop_column(&mut self, q: &QName, col: &str, missing_ok: bool, cascade: bool) {
        let Some(t) = self.catalog.tables.get(q).cloned() else { return };
        if t.column(col).is_none() {
            if !missing_ok {
                self.error(format!("column \"{col}\" of relation {q} does not exist"));
            }
            return;
        }
        // Foreign keys in other tables that reference this column need CASCADE.
        let dependents: Vec<(QName, String)> = self
            .catalog
            .tables
            .referencing(q)
            .into_iter()
            .filter_map(|r| self.catalog.tables.get(&r))
            .flat_map(|o| {
                o.constraints
                    .iter()
                    .filter(|c| {
                        c.foreign_key.as_ref().is_some_and(|fk| fk.table == *q && fk.columns.iter().any(|c| c == col)) && (o.name != *q)
                    })
                    .map(|c| (o.name.clone(), c.name.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        if !self.drop_dependent_fks(dependents, cascade, &format!("column {col} of table {q}")) {
            return;
        }
        for tq in self.family(q) {
            // Indexes and constraints of the table that use the column go with it.
            let idx: Vec<QName> = self.catalog.indexes_of(&tq).filter(|i| index_uses(i, col)).map(|i| i.name.clone()).collect();
            for i in idx {
                self.catalog.indexes.remove(&i);
            }
            if let Some(mut t) = self.catalog.tables.get_mut(&tq) {
                t.constraints.retain(|c| {
                    !(c.columns.iter().any(|c| c == col)
                        || c.foreign_key.as_ref().is_some_and(|fk| fk.table == tq && fk.columns.iter().any(|c| c == col)))
                });
                t.columns.retain(|c| c.name != col);
            }
            let owned: Vec<QName> = self
                .catalog
                .sequences
                .of_group(&tq)
                .filter(|s| s.owned_by.as_ref().is_some_and(|(_, c)| c == col))
                .map(|s| s.name.clone())
                .collect();
            for s in owned {
                self.catalog.sequences.remove(&s);
            }
        }
    }

    /// Foreign keys that depend on what is being dropped: without CASCADE the server refuses
    /// (reported; returns false), with CASCADE they are dropped too.
    fn drop_dependent_fks(&mut self, deps: Vec<(QName, String)>, cascade: bool, what: &str) -> bool {
        if let (Some((t, c)), false) = (deps.first(), cascade) {
            self.error(format!("cannot drop {what} because constraint {c} on table {t} depends on it; use CASCADE"));
            return false;
        }
        for (t, c) in deps {
            self.remove_constraint(&t, &c);
        }
        true
    }

    fn remove_constraint(&mut self, table: &QName, name: &str) {
        if let Some(mut t) = self.catalog.tables.get_mut(table) {
            if let Some(pos) = t.constraints.iter().position(|c| c.name == name) {
                let c = t.constraints.remove(pos);
                if let Some(i) = c.index {
                    self.catalog.indexes.remove(&QName::new(table.schema.as_str(), i.as_str()));
                }
            }
        }
    }

    pub(super) fn drop_constraint(&mut self, q: &QName, name: &str, missing_ok: bool, cascade: bool) {
        let Some(c) = self.catalog.tables.get(q).and_then(|t| t.constraint(name).cloned()) else {
            if !missing_ok {
                self.error(format!("constraint \"{name}\" of relation {q} does not exist"));
            }
            return;
        };
        let idx_oid = c.index.as_ref().and_then(|i| self.catalog.indexes.get(&QName::new(q.schema.as_str(), i.as_str()))).map(|i| i.oid);
        if let Some(oid) = idx_oid {
            let deps = self.fk_dependents(q, oid);
            if !self.drop_dependent_fks(deps, cascade, &format!("constraint {name} on table {q}")) {
                return;
            }
        }
        // Cloned copies on partitions go too.
        let idx_name = c.index.clone();
        self.remove_constraint(q, name);
        for child in self.partitions_of(q) {
            let child_con = match &idx_name {
                Some(pi) => {
                    let pq = QName::new(q.schema.as_str(), pi.as_str());
                    self.catalog.indexes_of(&child).find(|i| i.parent.as_ref() == Some(&pq)).and_then(|i| i.constraint.clone())
                }
                None => Some(name.to_string()),
            };
            if let Some(cn) = child_con {
                self.drop_constraint(&child, &cn, true, cascade);
            }
        }
    }
}

fn apply_attr(p: &mut Pending, contype: i32) {
    let (d, i) = match p {
        Pending::Index(ic) => (&mut ic.deferrable, &mut ic.deferred),
        Pending::Foreign { c, .. } => (&mut c.deferrable, &mut c.initdeferred),
        Pending::Check { .. } => return,
    };
    match ConstrType::try_from(contype) {
        Ok(ConstrType::ConstrAttrDeferrable) => *d = true,
        Ok(ConstrType::ConstrAttrNotDeferrable) => *d = false,
        Ok(ConstrType::ConstrAttrDeferred) => {
            *i = true;
            *d = true;
        }
        Ok(ConstrType::ConstrAttrImmediate) => *i = false,
        _ => {}
    }
}

fn same_index_constraint(a: &IndexConstraint, b: &IndexConstraint) -> bool {
    a.kind != ConstraintKind::Exclusion
        && b.kind != ConstraintKind::Exclusion
        && a.columns == b.columns
        && a.include == b.include
        && a.deferrable == b.deferrable
        && a.deferred == b.deferred
        && a.nulls_not_distinct == b.nulls_not_distinct
        && a.method == b.method
}

fn equivalent_index(a: &Index, b: &Index) -> bool {
    a.keys == b.keys && a.include == b.include && a.predicate == b.predicate && a.unique == b.unique && a.method == b.method
}

pub(super) fn index_uses(i: &Index, col: &str) -> bool {
    let in_expr = |e: &str| pgvet_syntax::parse_expr(e).is_some_and(|n| expr_columns(&n).iter().any(|c| c == col));
    i.keys.iter().any(|k| match k {
        IndexKey::Column(c) => c == col,
        IndexKey::Expression(e) => in_expr(e),
    }) || i.include.iter().any(|c| c == col)
        || i.predicate.as_deref().is_some_and(in_expr)
}

fn seq_ref(table: &QName, seq: &str) -> String {
    if table.schema == "public" {
        pgvet_syntax::quote_ident(seq)
    } else {
        format!("{}.{}", pgvet_syntax::quote_ident(&table.schema), pgvet_syntax::quote_ident(seq))
    }
}

/// The constraint record of a PK/UNIQUE/EXCLUDE constraint implemented by index `name`.
fn index_backed(ic: &IndexConstraint, name: String, columns: Vec<String>, origin: Origin) -> Constraint {
    Constraint {
        name: name.clone(),
        kind: ic.kind,
        columns,
        deferrable: ic.deferrable,
        initially_deferred: ic.deferred,
        validated: true,
        index: Some(name),
        expression: None,
        foreign_key: None,
        origin,
    }
}

/// Types whose typmod a length-coercion function applies (pg_cast rows from a type to itself):
/// a NULL coerced to `varchar(20)` keeps that call, where a NULL coerced to `text` is a bare
/// constant. `interval` is not among them: its input function applies the typmod.
const LENGTH_COERCED: &[&str] = &[
    "character varying",
    "character",
    "bpchar",
    "numeric",
    "bit",
    "bit varying",
    "time",
    "time with time zone",
    "timestamp",
    "timestamp with time zone",
];

fn length_coerced(type_text: &str) -> bool {
    match type_text.split_once('(') {
        Some((base, _)) => {
            let base = base.trim();
            // `timestamp(3) with time zone`
            LENGTH_COERCED.contains(&base) || base.starts_with("time")
        }
        None => false,
    }
}

impl Replayer {
    /// A column default as PostgreSQL stores it. The server coerces the expression to the
    /// column's type and stores nothing when the result is a bare NULL constant (no pg_attrdef
    /// row): `NULL` on a type without a length coercion, or `NULL::t` on a column of type `t`.
    /// A length coercion (`varchar(20)`), a domain, or a cast to another type keeps a stored
    /// `NULL::type`.
    pub(super) fn stored_default(&self, n: &Option<Box<Node>>, column_type: &str) -> Option<String> {
        let node = n.as_deref()?.node.as_ref()?;
        let domain_base = {
            let (schema, name) = crate::replay::eval::split_name(column_type);
            self.resolve_names(&[schema, name].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>(), |q| {
                self.catalog.domains.contains_key(q)
            })
            .and_then(|q| self.catalog.domains.get(&q).map(|d| crate::types::strip_typmod(&d.base_type)))
        };
        let strip = crate::types::strip_typmod;
        match node {
            N::AConst(c) if c.isnull => match domain_base {
                Some(base) => Some(format!("NULL::{base}")),
                None if length_coerced(column_type) => Some(format!("NULL::{}", strip(column_type))),
                None => None,
            },
            N::TypeCast(tc) if matches!(tc.arg.as_deref().and_then(|a| a.node.as_ref()), Some(N::AConst(c)) if c.isnull) => {
                let target = tc.type_name.as_ref().map(|t| self.type_text(t, true)).unwrap_or_default();
                let same =
                    domain_base.is_none() && !length_coerced(&target) && target == strip(column_type) && !length_coerced(column_type);
                (!same).then(|| format!("NULL::{target}"))
            }
            N::FuncCall(_) => {
                let mut n = n.clone();
                if let Some(N::FuncCall(f)) = n.as_deref_mut().and_then(|b| b.node.as_mut()) {
                    canonical_sequence_arg(f);
                }
                text_of(&n)
            }
            _ => text_of(n),
        }
    }
}

/// `nextval('"public"."s"')` as the server stores it: the argument is a regclass constant, which
/// it prints as the relation's name (`'public.s'::regclass`, quoted only where a name needs it).
fn canonical_sequence_arg(f: &mut pgvet_syntax::protobuf::FuncCall) {
    let name = f.funcname.last().and_then(|n| match &n.node {
        Some(N::String(s)) => Some(s.sval.to_lowercase()),
        _ => None,
    });
    if !matches!(name.as_deref(), Some("nextval" | "currval")) || f.args.len() != 1 {
        return;
    }
    let arg = &mut f.args[0];
    let text = match arg.node.as_ref() {
        Some(N::AConst(c)) => match &c.val {
            Some(pgvet_syntax::protobuf::a_const::Val::Sval(s)) => s.sval.clone(),
            _ => return,
        },
        Some(N::TypeCast(tc)) => match tc.arg.as_deref().and_then(|a| a.node.as_ref()) {
            Some(N::AConst(c)) => match &c.val {
                Some(pgvet_syntax::protobuf::a_const::Val::Sval(s)) => s.sval.clone(),
                _ => return,
            },
            _ => return,
        },
        _ => return,
    };
    let (schema, rel) = crate::replay::eval::split_name(&text);
    let q = pgvet_syntax::quote_ident;
    let printed = if schema.is_empty() { q(&rel) } else { format!("{}.{}", q(&schema), q(&rel)) };
    *arg = pgvet_syntax::parse_expr(&format!("{}::regclass", crate::replay::eval::quote_literal(&printed))).unwrap_or_else(|| arg.clone());
}
