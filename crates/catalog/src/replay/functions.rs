use super::*;
use pgvet_syntax::protobuf::FunctionParameterMode as M;

fn defelem_str(n: &Option<Box<Node>>) -> Option<String> {
    match n.as_deref().and_then(|n| n.node.as_ref())? {
        N::String(s) => Some(s.sval.clone()),
        N::List(l) => l.items.iter().find_map(|i| match &i.node {
            Some(N::String(s)) => Some(s.sval.clone()),
            _ => None,
        }),
        _ => None,
    }
}

fn set_value(v: &protobuf::VariableSetStmt) -> String {
    v.args
        .iter()
        .filter_map(|a| match &a.node {
            Some(N::AConst(c)) => match &c.val {
                Some(protobuf::a_const::Val::Sval(s)) => Some(s.sval.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Replayer {
    pub(super) fn arg_types(&self, params: &[Node]) -> (Vec<FunctionArg>, Vec<String>) {
        let mut args = Vec::new();
        let mut key = Vec::new();
        for p in params {
            let (name, ty, mode, has_default) = match &p.node {
                Some(N::FunctionParameter(fp)) => {
                    let m = M::try_from(fp.mode).unwrap_or(M::FuncParamIn);
                    let ty = fp.arg_type.as_ref().map(|t| self.type_text(t, false)).unwrap_or_default();
                    (Some(fp.name.clone()).filter(|n| !n.is_empty()), ty, m, fp.defexpr.is_some())
                }
                // DROP FUNCTION f(int, text) lists bare type names.
                Some(N::TypeName(t)) => (None, self.type_text(t, false), M::FuncParamIn, false),
                _ => continue,
            };
            let mode_s = match mode {
                M::FuncParamOut => "out",
                M::FuncParamInout => "inout",
                M::FuncParamVariadic => "variadic",
                M::FuncParamTable => "table",
                _ => "in",
            };
            if matches!(mode_s, "in" | "inout" | "variadic") {
                key.push(ty.clone());
            }
            args.push(FunctionArg { name, type_name: ty, mode: mode_s, has_default });
        }
        (args, key)
    }

    pub(super) fn create_function(&mut self, s: &protobuf::CreateFunctionStmt) {
        let names = strs(&s.funcname);
        let q = self.new_name_from(&names);
        let (args, key) = self.arg_types(&s.parameters);
        let fkey = FunctionKey { name: q.clone(), args: key };
        if self.catalog.functions.contains_key(&fkey) && !s.replace {
            return self.error(format!("function {q} with the same argument types already exists"));
        }
        let mut f = Function {
            name: q,
            procedure: s.is_procedure,
            args,
            returns: s.return_type.as_ref().map(|t| self.type_text(t, false)),
            language: "sql".into(),
            body: None,
            security_definer: false,
            search_path: None,
            volatility: "volatile",
            grants: Vec::new(),
            origin: self.origin(),
        };
        for o in &s.options {
            let Some(N::DefElem(d)) = &o.node else { continue };
            match d.defname.as_str() {
                "as" => f.body = defelem_str(&d.arg),
                "language" => f.language = defelem_str(&d.arg).unwrap_or_default(),
                "security" => {
                    f.security_definer = matches!(d.arg.as_deref().and_then(|n| n.node.as_ref()), Some(N::Boolean(b)) if b.boolval)
                }
                "volatility" => {
                    f.volatility = match defelem_str(&d.arg).as_deref() {
                        Some("immutable") => "immutable",
                        Some("stable") => "stable",
                        _ => "volatile",
                    }
                }
                "set" => {
                    if let Some(N::VariableSetStmt(v)) = d.arg.as_deref().and_then(|n| n.node.as_ref()) {
                        if v.name == "search_path" {
                            f.search_path = Some(set_value(v));
                        }
                    }
                }
                _ => {}
            }
        }
        if f.body.is_none() {
            if let Some(b) = s.sql_body.as_deref().and_then(|n| n.node.clone()) {
                f.body = pgvet_syntax::pg_query::deparse(&wrap(b), Default::default()).ok();
            }
        }
        f.grants = match self.catalog.functions.get(&fkey) {
            // CREATE OR REPLACE keeps the function's privileges.
            Some(old) => old.grants.clone(),
            None => self.catalog.initial_grants(crate::GrantKind::Functions, &f.name.schema),
        };
        self.catalog.functions.insert(fkey, f);
    }

    /// Finds the function an ObjectWithArgs names (by name alone when no argument list is given
    /// and the name is unique).
    pub(super) fn resolve_function(&self, owa: &protobuf::ObjectWithArgs) -> Result<Option<FunctionKey>, String> {
        let names = strs(&owa.objname);
        let candidates: Vec<FunctionKey> = {
            let matches = |q: &QName| self.catalog.functions.keys().any(|k| k.name == *q);
            match self.resolve_names(&names, matches) {
                Some(q) => self.catalog.functions.keys().filter(|k| k.name == q).cloned().collect(),
                None => vec![],
            }
        };
        if owa.args_unspecified {
            return match candidates.len() {
                0 => Ok(None),
                1 => Ok(candidates.into_iter().next()),
                _ => Err(format!("function name \"{}\" is not unique", names.join("."))),
            };
        }
        let (_, key) = self.arg_types(if owa.objfuncargs.is_empty() { &owa.objargs } else { &owa.objfuncargs });
        Ok(candidates.into_iter().find(|k| k.args == key))
    }

    pub(super) fn alter_function(&mut self, s: &protobuf::AlterFunctionStmt) {
        let Some(owa) = &s.func else { return };
        let key = match self.resolve_function(owa) {
            Ok(Some(k)) => k,
            Ok(None) => return self.error(format!("function {} does not exist", strs(&owa.objname).join("."))),
            Err(e) => return self.error(e),
        };
        let Some(f) = self.catalog.functions.get_mut(&key) else { return };
        for a in &s.actions {
            let Some(N::DefElem(d)) = &a.node else { continue };
            match d.defname.as_str() {
                "security" => {
                    f.security_definer = matches!(d.arg.as_deref().and_then(|n| n.node.as_ref()), Some(N::Boolean(b)) if b.boolval)
                }
                "set" => {
                    if let Some(N::VariableSetStmt(v)) = d.arg.as_deref().and_then(|n| n.node.as_ref()) {
                        if v.name == "search_path" {
                            f.search_path = if v.kind == protobuf::VariableSetKind::VarReset as i32 { None } else { Some(set_value(v)) };
                        }
                    }
                }
                _ => {}
            }
        }
    }

    pub(super) fn create_trigger(&mut self, s: &protobuf::CreateTrigStmt) {
        let Some(q) = s.relation.as_ref().and_then(|r| self.resolve_table(r)) else {
            if let Some(rv) = &s.relation {
                let c = &self.catalog;
                let any = self.resolve(&rv.schemaname, &rv.relname, |q| {
                    c.views.contains_key(q) || c.indexes.contains_key(q) || c.sequences.contains_key(q)
                });
                if any.is_none() {
                    return self.error(format!("relation \"{}\" does not exist", rv.relname));
                }
            }
            // Triggers on views are possible; only tables are modelled.
            return self.opaque("CREATE TRIGGER on a relation that is not a known table");
        };
        let fq = self.new_name_from(&strs(&s.funcname));
        let timing = match s.timing {
            t if t & 2 != 0 => "before",
            t if t & 64 != 0 => "instead of",
            _ => "after",
        };
        let mut events = Vec::new();
        for (bit, name) in [(4, "insert"), (8, "delete"), (16, "update"), (32, "truncate")] {
            if s.events & bit != 0 {
                events.push(name);
            }
        }
        let transition_tables = s
            .transition_rels
            .iter()
            .filter_map(|t| match t.node.as_ref()? {
                N::TriggerTransition(tt) => Some(tt.name.clone()),
                _ => None,
            })
            .collect();
        let trig = Trigger {
            name: s.trigname.clone(),
            function: fq,
            timing,
            events,
            for_each_row: s.row,
            transition_tables,
            origin: self.origin(),
        };
        let exists = self.catalog.tables.get(&q).is_some_and(|t| t.triggers.iter().any(|x| x.name == s.trigname));
        if exists && !s.replace {
            return self.error(format!("trigger \"{}\" for relation {q} already exists", s.trigname));
        }
        let Some(mut t) = self.catalog.tables.get_mut(&q) else { return };
        t.triggers.retain(|x| x.name != s.trigname);
        t.triggers.push(trig);
        t.triggers.sort_by(|a, b| a.name.cmp(&b.name));
    }

    pub(super) fn create_policy(&mut self, s: &protobuf::CreatePolicyStmt) {
        let Some(q) = s.table.as_ref().and_then(|r| self.resolve_table(r)) else {
            return self.error("CREATE POLICY on a table that does not exist");
        };
        let roles = s
            .roles
            .iter()
            .filter_map(|r| match &r.node {
                Some(N::RoleSpec(rs)) if !rs.rolename.is_empty() => Some(rs.rolename.clone()),
                Some(N::RoleSpec(rs)) => Some(
                    match rs.roletype {
                        1 => "current_role",
                        2 => "current_user",
                        3 => "session_user",
                        _ => "public",
                    }
                    .to_string(),
                ),
                _ => None,
            })
            .collect();
        let p = Policy {
            name: s.policy_name.clone(),
            command: s.cmd_name.clone(),
            permissive: s.permissive,
            roles,
            using: text_of(&s.qual),
            with_check: text_of(&s.with_check),
            origin: self.origin(),
        };
        if self.catalog.tables.get(&q).is_some_and(|t| t.policies.iter().any(|x| x.name == p.name)) {
            return self.error(format!("policy \"{}\" for table {q} already exists", p.name));
        }
        let Some(mut t) = self.catalog.tables.get_mut(&q) else { return };
        t.policies.push(p);
        t.policies.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

impl Replayer {
    /// `CREATE TYPE r AS RANGE (subtype = t)`: PostgreSQL also creates the range's constructors
    /// `r(t, t)`, `r(t, t, text)` and its multirange type's `r_multirange()`, `(r)`, `(r[])`.
    pub(super) fn create_range(&mut self, s: &protobuf::CreateRangeStmt) {
        let q = self.new_name_from(&strs(&s.type_name));
        let subtype = s.params.iter().find_map(|p| match &p.node {
            Some(N::DefElem(d)) if d.defname == "subtype" => match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
                Some(N::TypeName(t)) => Some(self.type_text(t, false)),
                _ => None,
            },
            _ => None,
        });
        let Some(sub) = subtype else { return self.opaque("CREATE TYPE AS RANGE without a subtype") };
        let range = pgvet_syntax::quote_ident(&q.name);
        // PostgreSQL's makeMultirangeTypeName: the first "range" becomes "multirange", else
        // "_multirange" is appended.
        let multi_name = match q.name.find("range") {
            Some(i) => format!("{}multirange{}", &q.name[..i], &q.name[i + 5..]),
            None => format!("{}_multirange", q.name),
        };
        let multi = QName::new(q.schema.clone(), multi_name.clone());
        let ctor = |name: &QName, args: Vec<String>, returns: &str, origin: Origin| {
            let fargs = args.iter().map(|t| FunctionArg { name: None, type_name: t.clone(), mode: "in", has_default: false }).collect();
            (
                FunctionKey { name: name.clone(), args },
                Function {
                    name: name.clone(),
                    procedure: false,
                    args: fargs,
                    returns: Some(returns.to_string()),
                    language: "internal".into(),
                    body: None,
                    security_definer: false,
                    search_path: None,
                    volatility: "immutable",
                    grants: vec!["public".into()],
                    origin,
                },
            )
        };
        let o = self.origin();
        let multi_shown = pgvet_syntax::quote_ident(&multi_name);
        for (name, args, returns) in [
            (&q, vec![sub.clone(), sub.clone()], range.clone()),
            (&q, vec![sub.clone(), sub.clone(), "text".to_string()], range.clone()),
            (&multi, vec![], multi_shown.clone()),
            (&multi, vec![range.clone()], multi_shown.clone()),
            (&multi, vec![format!("{range}[]")], multi_shown.clone()),
        ] {
            let (k, f) = ctor(name, args, &returns, o);
            self.catalog.functions.insert(k, f);
        }
    }
}
