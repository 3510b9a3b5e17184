//! The baseline: today's findings recorded (`pgvet baseline`), so that `pgvet check` reports and
//! fails only on new ones. A finding is known by its rule, its file (relative to the project
//! root), its message and the text it points at (whitespace folded): not by its line, so it
//! survives lines moving and edits elsewhere in the file. No I/O here.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use pgvet_syntax::SourceFile;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub rule: String,
    pub path: String,
    pub fingerprint: String,
    /// For people reading the file (not matched on).
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// The finding's entry; `path` is its file's path relative to the project root.
pub fn entry(files: &[SourceFile], d: &Diagnostic, path: &str) -> Entry {
    let text = files.get(d.primary.file).and_then(|f| f.text.get(d.primary.span.start..d.primary.span.end)).unwrap_or("");
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Entry {
        rule: d.rule.to_string(),
        path: path.to_string(),
        fingerprint: crate::render::fingerprint(&[d.rule, path, &d.message, &folded]),
        message: d.message.clone(),
    }
}

/// What the baseline does to a run: the findings it does not cover, how many it covered, and its
/// entries that matched nothing (fixed since: the file can shrink).
pub struct Applied {
    pub kept: Vec<Diagnostic>,
    pub baselined: usize,
    pub stale: Vec<Entry>,
}

/// `paths[i]`: file `i`'s path relative to the project root. An entry covers one finding (the
/// same finding twice needs two entries).
pub fn apply(baseline: &Baseline, files: &[SourceFile], paths: &[String], diags: Vec<Diagnostic>) -> Applied {
    let mut left: HashMap<&str, Vec<&Entry>> = HashMap::new();
    for e in &baseline.findings {
        left.entry(e.fingerprint.as_str()).or_default().push(e);
    }
    let mut kept = Vec::new();
    let mut baselined = 0;
    for d in diags {
        let path = paths.get(d.primary.file).map(String::as_str).unwrap_or("");
        let e = entry(files, &d, path);
        match left.get_mut(e.fingerprint.as_str()).and_then(|v| v.pop()) {
            Some(_) => baselined += 1,
            None => kept.push(d),
        }
    }
    let mut stale: Vec<Entry> = left.into_values().flatten().cloned().collect();
    stale.sort_by(|a, b| (&a.path, &a.rule, &a.fingerprint).cmp(&(&b.path, &b.rule, &b.fingerprint)));
    Applied { kept, baselined, stale }
}

/// Today's findings as a baseline, in a stable order.
pub fn record(files: &[SourceFile], paths: &[String], diags: &[Diagnostic]) -> Baseline {
    let mut findings: Vec<Entry> =
        diags.iter().map(|d| entry(files, d, paths.get(d.primary.file).map(String::as_str).unwrap_or(""))).collect();
    findings.sort_by(|a, b| (&a.path, &a.rule, &a.fingerprint).cmp(&(&b.path, &b.rule, &b.fingerprint)));
    Baseline { version: 1, findings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Label, Severity};
    use pgvet_syntax::Span;

    fn finding(files: &[SourceFile], needle: &str) -> Diagnostic {
        let at = files[0].text.find(needle).unwrap();
        Diagnostic::new(
            "fk-missing-index",
            Severity::Warning,
            "foreign key c_p_fkey on c (p_id) has no index",
            Label::new(0, Span::new(at, at + needle.len())),
        )
    }

    #[test]
    fn survives_moved_lines_and_catches_new_findings() {
        let before = [SourceFile::new("m.sql", "CREATE TABLE c (\n  p_id int REFERENCES p\n);")];
        let paths = ["db/m.sql".to_string()];
        let b = record(&before, &paths, &[finding(&before, "p_id int REFERENCES p")]);
        // Lines added above, indentation changed: still the same finding.
        let after = [SourceFile::new("m.sql", "-- a comment\n\nCREATE TABLE c (\n    p_id  int REFERENCES p\n);")];
        let a = apply(&b, &after, &paths, vec![finding(&after, "p_id  int REFERENCES p")]);
        assert_eq!((a.kept.len(), a.baselined, a.stale.len()), (0, 1, 0));
        // A new finding is kept; the old entry, now unmatched, is stale.
        let mut other = finding(&after, "p_id  int REFERENCES p");
        other.message = "foreign key c_q_fkey on c (q_id) has no index".into();
        let a = apply(&b, &after, &paths, vec![other]);
        assert_eq!((a.kept.len(), a.baselined, a.stale.len()), (1, 0, 1));
    }
}
