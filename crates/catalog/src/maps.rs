//! The catalog's table and index maps, with the secondary indexes the replayer and rules query
//! (constraint names per schema, partitions per table, indexes per table) kept up to date by
//! construction: every mutable access goes through a guard that re-syncs them when dropped.
//! That keeps each replay step independent of the size of the schema.
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use imbl::{OrdMap, OrdSet};

use crate::model::{Index, QName, Sequence, Table};

#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// Arc: a B-tree node copy (on every write to a shared version) copies pointers, not tables.
    map: OrdMap<QName, Arc<Table>>,
    /// (schema, constraint name) → how many tables of the schema have a constraint of that name.
    constraint_names: OrdMap<(String, String), u32>,
    /// parent → its partitions
    children: OrdMap<QName, OrdSet<QName>>,
    /// referenced table → tables with foreign keys to it (with how many such keys)
    referenced_by: OrdMap<QName, OrdMap<QName, u32>>,
}

fn refs(referenced_by: &mut OrdMap<QName, OrdMap<QName, u32>>, t: &Table, delta: i64) {
    for fk in t.constraints.iter().filter_map(|c| c.foreign_key.as_ref()) {
        let mut m = referenced_by.get(&fk.table).cloned().unwrap_or_default();
        let n = m.get(&t.name).copied().unwrap_or(0) as i64 + delta;
        if n <= 0 {
            m.remove(&t.name);
        } else {
            m.insert(t.name.clone(), n as u32);
        }
        if m.is_empty() {
            referenced_by.remove(&fk.table);
        } else {
            referenced_by.insert(fk.table.clone(), m);
        }
    }
}

fn add_names(names: &mut OrdMap<(String, String), u32>, t: &Table, delta: i64) {
    for c in &t.constraints {
        let k = (t.name.schema.clone(), c.name.clone());
        let n = names.get(&k).copied().unwrap_or(0) as i64 + delta;
        if n <= 0 {
            names.remove(&k);
        } else {
            names.insert(k, n as u32);
        }
    }
}

fn link(children: &mut OrdMap<QName, OrdSet<QName>>, t: &Table, add: bool) {
    if let Some(p) = &t.partition_of {
        let mut set = children.get(p).cloned().unwrap_or_default();
        if add {
            set.insert(t.name.clone());
        } else {
            set.remove(&t.name);
        }
        if set.is_empty() {
            children.remove(p);
        } else {
            children.insert(p.clone(), set);
        }
    }
}

impl Tables {
    pub fn get(&self, q: &QName) -> Option<&Table> {
        self.map.get(q).map(|t| &**t)
    }
    pub fn contains_key(&self, q: &QName) -> bool {
        self.map.contains_key(q)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Table> {
        self.map.values().map(|t| &**t)
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &QName> {
        self.map.keys()
    }
    /// The tables of one schema, in name order: a range of the map, not a scan of every table.
    pub fn keys_in_schema<'s>(&'s self, schema: &'s str) -> impl Iterator<Item = &'s QName> + 's {
        self.map.range(QName::new(schema, "")..).map(|(k, _)| k).take_while(move |k| k.schema == schema)
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn insert(&mut self, q: QName, t: Table) {
        self.remove(&q);
        add_names(&mut self.constraint_names, &t, 1);
        link(&mut self.children, &t, true);
        refs(&mut self.referenced_by, &t, 1);
        self.map.insert(q, Arc::new(t));
    }
    pub fn remove(&mut self, q: &QName) -> Option<Table> {
        let t = Arc::unwrap_or_clone(self.map.remove(q)?);
        add_names(&mut self.constraint_names, &t, -1);
        link(&mut self.children, &t, false);
        refs(&mut self.referenced_by, &t, -1);
        Some(t)
    }
    pub fn get_mut(&mut self, q: &QName) -> Option<TableMut<'_>> {
        let table = Arc::make_mut(self.map.get_mut(q)?);
        add_names(&mut self.constraint_names, table, -1);
        link(&mut self.children, table, false);
        refs(&mut self.referenced_by, table, -1);
        Some(TableMut { table, names: &mut self.constraint_names, children: &mut self.children, referenced_by: &mut self.referenced_by })
    }
    /// Whether any table of `schema` has a constraint called `name`.
    pub fn constraint_name_used(&self, schema: &str, name: &str) -> bool {
        self.constraint_names.contains_key(&(schema.to_string(), name.to_string()))
    }
    /// Tables that have a foreign key referencing `q` (possibly `q` itself).
    pub fn referencing(&self, q: &QName) -> Vec<QName> {
        self.referenced_by.get(q).map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }

    /// The direct partitions of a table.
    pub fn partitions_of(&self, q: &QName) -> Vec<QName> {
        self.children.get(q).map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }
}

/// Mutable access to a table; re-registers its constraint names and parent when dropped.
pub struct TableMut<'a> {
    table: &'a mut Table,
    names: &'a mut OrdMap<(String, String), u32>,
    children: &'a mut OrdMap<QName, OrdSet<QName>>,
    referenced_by: &'a mut OrdMap<QName, OrdMap<QName, u32>>,
}

impl Deref for TableMut<'_> {
    type Target = Table;
    fn deref(&self) -> &Table {
        self.table
    }
}

impl DerefMut for TableMut<'_> {
    fn deref_mut(&mut self) -> &mut Table {
        self.table
    }
}

impl Drop for TableMut<'_> {
    fn drop(&mut self) {
        add_names(self.names, self.table, 1);
        link(self.children, self.table, true);
        refs(self.referenced_by, self.table, 1);
    }
}

/// A value that belongs to a group (an index to its table, a sequence to its owning table).
pub trait Grouped {
    fn group(&self) -> Option<&QName>;
}

impl Grouped for Index {
    fn group(&self) -> Option<&QName> {
        Some(&self.table)
    }
}

impl Grouped for Sequence {
    fn group(&self) -> Option<&QName> {
        self.owned_by.as_ref().map(|(t, _)| t)
    }
}

/// A name → value map that also knows each group's members.
#[derive(Debug, Clone)]
pub struct GroupedMap<V: Clone> {
    map: OrdMap<QName, Arc<V>>,
    by_group: OrdMap<QName, OrdSet<QName>>,
}

impl<V: Clone> Default for GroupedMap<V> {
    fn default() -> Self {
        GroupedMap { map: OrdMap::new(), by_group: OrdMap::new() }
    }
}

pub type Indexes = GroupedMap<Index>;
pub type Sequences = GroupedMap<Sequence>;

fn regroup<V: Grouped>(by_group: &mut OrdMap<QName, OrdSet<QName>>, name: &QName, v: &V, add: bool) {
    let Some(g) = v.group() else { return };
    let mut set = by_group.get(g).cloned().unwrap_or_default();
    if add {
        set.insert(name.clone());
    } else {
        set.remove(name);
    }
    if set.is_empty() {
        by_group.remove(g);
    } else {
        by_group.insert(g.clone(), set);
    }
}

impl<V: Grouped + Clone> GroupedMap<V> {
    pub fn get(&self, q: &QName) -> Option<&V> {
        self.map.get(q).map(|v| &**v)
    }
    pub fn contains_key(&self, q: &QName) -> bool {
        self.map.contains_key(q)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.map.values().map(|v| &**v)
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn insert(&mut self, q: QName, v: V) {
        self.remove(&q);
        regroup(&mut self.by_group, &q, &v, true);
        self.map.insert(q, Arc::new(v));
    }
    pub fn remove(&mut self, q: &QName) -> Option<V> {
        let v = Arc::unwrap_or_clone(self.map.remove(q)?);
        regroup(&mut self.by_group, q, &v, false);
        Some(v)
    }
    pub fn get_mut(&mut self, q: &QName) -> Option<GroupedMut<'_, V>> {
        let value = Arc::make_mut(self.map.get_mut(q)?);
        regroup(&mut self.by_group, q, value, false);
        Some(GroupedMut { name: q.clone(), value, by_group: &mut self.by_group })
    }
    /// Members of one group (an index's table, a sequence's owner), in name order.
    pub fn of_group<'a>(&'a self, group: &QName) -> impl Iterator<Item = &'a V> + 'a {
        let names: Vec<QName> = self.by_group.get(group).map(|s| s.iter().cloned().collect()).unwrap_or_default();
        names.into_iter().filter_map(move |n| self.map.get(&n).map(|v| &**v))
    }
}

impl Indexes {
    /// Indexes of one table, in name order.
    pub fn of_table<'a>(&'a self, table: &QName) -> impl Iterator<Item = &'a Index> + 'a {
        self.of_group(table)
    }
}

/// Mutable access to a grouped value; re-registers its group when dropped.
pub struct GroupedMut<'a, V: Grouped> {
    name: QName,
    value: &'a mut V,
    by_group: &'a mut OrdMap<QName, OrdSet<QName>>,
}

impl<V: Grouped> Deref for GroupedMut<'_, V> {
    type Target = V;
    fn deref(&self) -> &V {
        self.value
    }
}

impl<V: Grouped> DerefMut for GroupedMut<'_, V> {
    fn deref_mut(&mut self) -> &mut V {
        self.value
    }
}

impl<V: Grouped> Drop for GroupedMut<'_, V> {
    fn drop(&mut self) {
        regroup(self.by_group, &self.name, self.value, true);
    }
}
