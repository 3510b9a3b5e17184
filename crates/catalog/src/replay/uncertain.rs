//! What the replay could not model. A statement whose effect on the schema pgvet cannot know
//! (dynamic SQL built from values it cannot compute, a condition on table data, a function it
//! cannot follow) marks what it may have touched as uncertain: named relations, types and
//! functions, or a whole schema when it cannot tell. Rules never conclude that something is
//! missing or wrong when the verdict rests on an uncertain object; they count the finding as
//! withheld by that statement instead.
use imbl::OrdMap;

use crate::model::{Catalog, QName};
pub use crate::replay::plpgsql::PLACEHOLDER;

/// Whether `name` is one of the names `pattern` stands for ([`PLACEHOLDER`] matches any text).
pub fn name_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split(PLACEHOLDER).collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

/// Uncertain objects, each with the index (into the replay's events) of the unmodelled statement
/// that made it so.
#[derive(Debug, Clone, Default)]
pub struct Uncertainty {
    pub schemas: OrdMap<String, usize>,
    /// New relations of names pgvet cannot compute: the schema and a name pattern, where
    /// [`PLACEHOLDER`] stands for any text (`events_pgvet_unknown` for `'events_' || to_char(d,
    /// ...)`; `pgvet_unknown` for any name). Existing relations are not affected.
    pub new_relations_in: OrdMap<QName, usize>,
    pub relations: OrdMap<QName, usize>,
    pub types: OrdMap<QName, usize>,
    /// By name: any overload.
    pub functions: OrdMap<QName, usize>,
    /// The events above that may have created triggers (a CREATE TRIGGER pgvet could not follow).
    pub trigger_events: std::collections::BTreeSet<usize>,
}

/// What one unmodelled statement may have touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    pub schemas: Vec<String>,
    /// New relations: schema and name pattern (see [`Uncertainty::new_relations_in`]).
    pub new_relations_in: Vec<QName>,
    pub relations: Vec<QName>,
    pub types: Vec<QName>,
    pub functions: Vec<QName>,
    /// Whether it may create a trigger on the relations above.
    pub triggers: bool,
}

impl Touched {
    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
            && self.new_relations_in.is_empty()
            && self.relations.is_empty()
            && self.types.is_empty()
            && self.functions.is_empty()
    }

    pub fn merge(&mut self, other: Touched) {
        self.triggers |= other.triggers;
        for s in other.schemas {
            if !self.schemas.contains(&s) {
                self.schemas.push(s);
            }
        }
        for s in other.new_relations_in {
            if !self.new_relations_in.contains(&s) {
                self.new_relations_in.push(s);
            }
        }
        for (mine, theirs) in
            [(&mut self.relations, other.relations), (&mut self.types, other.types), (&mut self.functions, other.functions)]
        {
            for q in theirs {
                if !mine.contains(&q) {
                    mine.push(q);
                }
            }
        }
    }

    /// A short description for messages: "table public.a, schema public".
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.schemas.iter().map(|s| format!("anything in schema {s}")));
        parts.extend(self.new_relations_in.iter().map(|q| {
            if q.name == PLACEHOLDER {
                format!("a new relation in schema {} whose name pgvet cannot compute", q.schema)
            } else {
                format!("new relations named like {}.{}", q.schema, q.name.replace(PLACEHOLDER, "*"))
            }
        }));
        parts.extend(self.relations.iter().map(|q| format!("relation {q}")));
        parts.extend(self.types.iter().map(|q| format!("type {q}")));
        parts.extend(self.functions.iter().map(|q| format!("function {q}")));
        if parts.len() > 4 {
            let more = parts.len() - 3;
            parts.truncate(3);
            parts.push(format!("{more} more"));
        }
        parts.join(", ")
    }
}

impl Uncertainty {
    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
            && self.new_relations_in.is_empty()
            && self.relations.is_empty()
            && self.types.is_empty()
            && self.functions.is_empty()
    }

    pub fn mark(&mut self, t: &Touched, event: usize) {
        if t.triggers {
            self.trigger_events.insert(event);
        }
        for s in &t.schemas {
            self.schemas.insert(s.clone(), event);
        }
        for s in &t.new_relations_in {
            self.new_relations_in.insert(s.clone(), event);
        }
        for q in &t.relations {
            self.relations.insert(q.clone(), event);
        }
        for q in &t.types {
            self.types.insert(q.clone(), event);
        }
        for q in &t.functions {
            self.functions.insert(q.clone(), event);
        }
    }
}

/// Stands for "the platform" where an unmodelled statement's event index goes: objects of a
/// platform schema (Supabase's `auth`, `storage`, `realtime`, ...) that pgvet does not list.
pub const PLATFORM: usize = usize::MAX;

impl Catalog {
    /// The unmodelled statement that may have created, dropped or changed relation `q`
    /// ([`PLATFORM`] for a schema a platform provides, which pgvet knows only in part).
    pub fn uncertain_relation(&self, q: &QName) -> Option<usize> {
        self.uncertain
            .relations
            .get(q)
            .or_else(|| self.uncertain.schemas.get(&q.schema))
            .copied()
            .or_else(|| self.platform_schemas.contains(&q.schema).then_some(PLATFORM))
    }

    /// The unmodelled statement that may have created, dropped or changed type `q`.
    pub fn uncertain_type(&self, q: &QName) -> Option<usize> {
        self.uncertain.types.get(q).or_else(|| self.uncertain.schemas.get(&q.schema)).copied()
    }

    /// The unmodelled statement that may have created or dropped a function called `q`.
    pub fn uncertain_function(&self, q: &QName) -> Option<usize> {
        self.uncertain.functions.get(q).or_else(|| self.uncertain.schemas.get(&q.schema)).copied()
    }

    /// Whether relation `q`, which pgvet's model lacks, may exist all the same.
    pub fn may_exist(&self, q: &QName) -> Option<usize> {
        self.uncertain_relation(q).or_else(|| self.new_relation_like(q))
    }

    /// The unmodelled statement that may have created a relation named `q` (by name pattern).
    pub fn new_relation_like(&self, q: &QName) -> Option<usize> {
        self.uncertain.new_relations_in.iter().find(|(p, _)| p.schema == q.schema && name_matches(&p.name, &q.name)).map(|(_, id)| *id)
    }

    /// For a relation name as written (unqualified: along `search_path`): the unmodelled
    /// statement that may have created, dropped or changed it.
    pub fn uncertain_relation_in(&self, search_path: &[String], schema: &str, name: &str) -> Option<usize> {
        if !schema.is_empty() {
            return self.may_exist(&QName::new(schema, name));
        }
        search_path.iter().find_map(|s| self.may_exist(&QName::new(s.as_str(), name)))
    }
}
