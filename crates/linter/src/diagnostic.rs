use pgvet_syntax::{SourceFile, Span};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A span in one of the analysed files (`file` indexes the file list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub file: usize,
    pub span: Span,
    pub message: Option<String>,
}

impl Label {
    pub fn new(file: usize, span: Span) -> Self {
        Label { file, span, message: None }
    }
    pub fn with_message(mut self, m: impl Into<String>) -> Self {
        self.message = Some(m.into());
        self
    }
    /// A label on the clause at `at` (to the end of its line), or on the whole statement.
    pub fn at_clause(file: usize, src: &SourceFile, statement: Span, at: Option<usize>) -> Self {
        let span = match at {
            Some(a) if a >= statement.start && a <= statement.end => {
                let end = src.text[a..statement.end].find('\n').map(|i| a + i).unwrap_or(statement.end);
                Span::new(a, a + src.text[a..end].trim_end().trim_end_matches(',').len())
            }
            _ => statement,
        };
        Label::new(file, span)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Keeps the program's meaning; can be applied without review.
    Safe,
    /// Changes behaviour or needs a decision; review before applying.
    Unsafe,
}

/// A suggested fix. For schema findings this is usually a new migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub description: String,
    /// SQL for a new migration that fixes the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<String>,
    pub applicability: Applicability,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub related: Vec<Label>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// For a race finding: what `pgvet prove` needs to reproduce it (not part of the output).
    #[serde(skip)]
    pub race: Option<Box<crate::race::RaceSite>>,
    /// A finding that rests on what a statement pgvet could not follow may have changed: the
    /// index of that statement's replay event. Such a finding is not reported, only counted and
    /// listed as withheld (see [`crate::Withheld`]).
    #[serde(skip)]
    pub withheld_by: Option<usize>,
}

impl Diagnostic {
    pub fn new(rule: &'static str, severity: Severity, message: impl Into<String>, primary: Label) -> Self {
        Diagnostic {
            rule,
            severity,
            message: message.into(),
            primary,
            related: Vec::new(),
            help: None,
            fix: None,
            race: None,
            withheld_by: None,
        }
    }
    pub fn with_help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }
    pub fn with_related(mut self, l: Label) -> Self {
        self.related.push(l);
        self
    }
    /// Withheld by the unmodelled statement of replay event `event` ([`pgvet_catalog::PLATFORM`]:
    /// by nothing the project wrote, so not reported at all).
    pub fn withheld_by(mut self, event: usize) -> Self {
        self.withheld_by = Some(event);
        self
    }
    /// [`Self::withheld_by`] when `event` is given.
    pub fn withheld_if(self, event: Option<usize>) -> Self {
        match event {
            Some(e) => self.withheld_by(e),
            None => self,
        }
    }
    pub fn with_race(mut self, r: crate::race::RaceSite) -> Self {
        self.race = Some(Box::new(r));
        self
    }
    pub fn with_race_opt(mut self, r: Option<crate::race::RaceSite>) -> Self {
        self.race = r.map(Box::new);
        self
    }
    pub fn with_fix(mut self, f: Fix) -> Self {
        self.fix = Some(f);
        self
    }
}
