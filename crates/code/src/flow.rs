//! Value flow inside one function, by name: which local variables hold the result of which
//! query site. Enough to see `const { data } = await read(); ... write(data.x + 1)`.
use std::collections::HashMap;

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
    /// For one function: local name → the query site whose result it holds (directly or through
    /// other locals), considering bindings in source order.
    pub fn derived(&self, function: usize) -> HashMap<String, usize> {
        let mut out: HashMap<String, usize> = HashMap::new();
        for b in self.bindings.iter().filter(|b| b.function == Some(function)) {
            let direct = self
                .sites
                .iter()
                .enumerate()
                .filter(|(_, s)| s.span.start >= b.init.start && s.span.end <= b.init.end)
                .map(|(i, _)| i)
                .last();
            let source = direct.or_else(|| out.iter().find(|(n, _)| mentions(&b.text, n)).map(|(_, s)| *s));
            if let Some(s) = source {
                for n in &b.names {
                    out.insert(n.clone(), s);
                }
            }
        }
        out
    }

    /// The query site a value expression's data comes from, if any local it mentions holds one.
    pub fn source_of(&self, derived: &HashMap<String, usize>, expr: &str) -> Option<(String, usize)> {
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
