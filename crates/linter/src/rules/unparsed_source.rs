//! # unparsed-source
//!
//! ## What it finds
//! An application source file pgvet could not parse (a syntax error, or a language feature the
//! parser does not know). The rest of the file is still checked: what the parser recovered, and
//! when it could not recover, the top-level statements around the error are left out and the
//! others parsed, so only findings in those statements may be missing.
//!
//! ## Why it matters
//! A file pgvet cannot read is a file it cannot check: better to say so than to report nothing
//! and look clean.
//!
//! ## Example
//! ```text
//! info[unparsed-source]: pgvet could not parse this file (Expected `)` but found `{`); the code around the error is still checked, the statement that holds it is not
//! ```
//!
//! ## Fix
//! Fix the syntax error, or exclude generated or non-standard files from the project
//! (`.gitignore`).
use super::{Context, RuleMeta};
use crate::diagnostic::{Diagnostic, Label, Severity};

pub const META: RuleMeta = RuleMeta {
    id: "unparsed-source",
    summary: "an application source file pgvet could not parse",
    default_severity: Severity::Info,
    check: Some(check),
    check_site: None,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for f in cx.code {
        if let Some((msg, span)) = &f.extraction.error {
            out.push(
                Diagnostic::new(
                    META.id,
                    META.default_severity,
                    format!("pgvet could not parse this file ({msg}); the code around the error is still checked, the statement that holds it is not"),
                    Label::new(f.file, *span),
                )
                .with_help("Fix the syntax error, or leave the file out of the project (pgvet respects .gitignore)."),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::code_lines;

    #[test]
    fn reports_a_file_it_cannot_parse_and_keeps_going() {
        let srcs =
            [("bad.ts", "export function (( {\n"), ("good.ts", "async function f(supabase) { await supabase.from('nope').select('*'); }")];
        assert_eq!(code_lines("", &srcs, "unparsed-source"), vec![("bad.ts".to_string(), 1)]);
        assert_eq!(code_lines("", &srcs, "unknown-relation"), vec![("good.ts".to_string(), 1)]);
        assert_eq!(code_lines("", &[("good.ts", "const x = 1;")], "unparsed-source"), vec![]);
    }

    /// An error the parser cannot recover from: the code around it is still checked.
    #[test]
    fn the_parts_around_a_fatal_parse_error_are_still_checked() {
        let bad = "async function f(supabase) {\n  await supabase.from('nope').select('*');\n}\nexport function (( {\n  x\n}\nasync function g(supabase) {\n  await supabase.from('gone').select('*');\n}\n";
        let srcs = [("bad.ts", bad)];
        assert_eq!(code_lines("", &srcs, "unparsed-source"), vec![("bad.ts".to_string(), 4)]);
        assert_eq!(code_lines("", &srcs, "unknown-relation"), vec![("bad.ts".to_string(), 2), ("bad.ts".to_string(), 8)]);
    }
}
