//! Value flow inside one function, by name: which local variables hold the result of which
//! query site. Enough to see `const { data } = await read(); ... write(data.x + 1)`.
use std::collections::BTreeMap;

use crate::{Extraction, Span};

/// `const x = <init>` or `x = <init>`.
#[derive(Debug, Clone)]
pub struct Binding {
    pub function: Option<usize>,
    /// Local names bound (all identifiers of a destructuring pattern).
    pub names: Vec<String>,
    /// The initialiser's span and text.
    pub init: Span,
    pub text: String,
}

/// Identifiers bound by a pattern's text: `{ data: sub, error }` → sub, error; `[row]` → row.
pub(crate) fn bound_names(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i <= chars.len() {
        let c = chars.get(i).copied().unwrap_or(' ');
        if c.is_alphanumeric() || c == '_' || c == '$' {
            word.push(c);
        } else {
            if !word.is_empty() {
                // A key (`data:`) is not bound; its value is.
                let rest: String = chars[i..].iter().collect();
                if !rest.trim_start().starts_with(':') && !word.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                    out.push(std::mem::take(&mut word));
                }
                word.clear();
            }
            // Skip default values (`= ...`) up to the next separator.
        }
        i += 1;
    }
    out
}

/// Whether `text` mentions identifier `name` (as a whole word).
pub fn mentions(text: &str, name: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(|c| ident(c) || c == '.') && !after.is_some_and(ident)
    })
}

impl Extraction {
    /// For every function: local name → the query site whose result it holds (directly or
    /// through other locals), from the bindings in source order. One pass over the file.
    pub fn derived_all(&self) -> Vec<BTreeMap<String, usize>> {
        let n = self.functions.len();
        let mut sites: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, s) in self.sites.iter().enumerate() {
            if let Some(f) = s.function {
                sites[f].push(i);
            }
        }
        for v in &mut sites {
            v.sort_by_key(|i| self.sites[*i].span.start);
        }
        let mut out: Vec<BTreeMap<String, usize>> = vec![BTreeMap::new(); n];
        for b in &self.bindings {
            let Some(f) = b.function else { continue };
            let fs = &sites[f];
            let from = fs.partition_point(|i| self.sites[*i].span.start < b.init.start);
            let to = fs.partition_point(|i| self.sites[*i].span.start < b.init.end);
            let direct = fs[from..to].iter().rev().find(|i| self.sites[**i].span.end <= b.init.end).copied();
            let d = &mut out[f];
            let source = direct.or_else(|| d.iter().find(|(n, _)| mentions(&b.text, n)).map(|(_, s)| *s));
            if let Some(s) = source {
                for name in &b.names {
                    d.insert(name.clone(), s);
                }
            }
        }
        out
    }

    /// Site indices per function, in source order.
    pub fn sites_by_function(&self) -> Vec<Vec<usize>> {
        let mut v: Vec<Vec<usize>> = vec![Vec::new(); self.functions.len()];
        for (i, s) in self.sites.iter().enumerate() {
            if let Some(f) = s.function {
                v[f].push(i);
            }
        }
        v
    }

    /// [`Self::derived_all`] for one function.
    pub fn derived(&self, function: usize) -> BTreeMap<String, usize> {
        self.derived_all().into_iter().nth(function).unwrap_or_default()
    }

    /// The query site a value expression's data comes from, if any local it mentions holds one.
    pub fn source_of(&self, derived: &BTreeMap<String, usize>, expr: &str) -> Option<(String, usize)> {
        derived.iter().filter(|(n, _)| mentions(expr, n)).map(|(n, s)| (n.clone(), *s)).min_by_key(|(_, s)| *s)
    }
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn words() {
        assert!(mentions("sub?.used_tokens + n", "sub"));
        assert!(mentions("(data.x ?? 0) + 1", "data"));
        assert!(!mentions("subtotal + 1", "sub"));
        assert!(!mentions("a.data + 1", "data"));
    }
}
