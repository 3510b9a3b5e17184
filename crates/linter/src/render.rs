//! Output formats: rustc-style text with code frames, JSON, SARIF 2.1.0, GitHub annotations.
//! Pure functions from diagnostics (and the files they point into) to a string.
use annotate_snippets::{Level, Renderer, Snippet};
use pgvet_syntax::{LineCol, SourceFile, Span};
use serde_json::{json, Value};

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::rules::{all_rules, rule_docs};

fn level(s: Severity) -> Level {
    match s {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
        Severity::Info => Level::Info,
    }
}

/// The whole lines around a span: (window text, window start offset, first line number).
fn window(src: &SourceFile, span: Span) -> (usize, usize, usize) {
    let first = src.line_col(span.start).line;
    let last = src.line_col(span.end.max(span.start)).line;
    let start = src.line_span(first).start;
    let end = src.line_span(last).end;
    (start, end, first)
}

/// The text of a code frame: control characters (other than tab and newline) become `?`, one
/// byte for one byte, so spans stay valid and the terminal shows something harmless. (The frame
/// renderer also miscomputes margins on some of them.)
fn display_text(s: &str) -> String {
    // Tabs become one space: the renderer expands them itself and its column arithmetic then
    // disagrees with its own margins on long lines.
    s.chars()
        .map(|c| {
            if c == '\t' {
                ' '
            } else if c.is_ascii_control() && c != '\n' {
                '?'
            } else {
                c
            }
        })
        .collect()
}

/// The span widened to character boundaries (and clamped to the text).
fn snap(text: &str, span: Span) -> Span {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

/// A label lying entirely in a line's leading whitespace is moved onto the line's first
/// character (the frame renderer's margin arithmetic underflows on such labels in long lines).
fn out_of_indentation(f: &SourceFile, span: Span) -> Span {
    let line = f.line_span(f.line_col(span.start).line);
    let text = &f.text[line.range()];
    let indent = text.len() - text.trim_start().len();
    if indent == 0 || span.end > line.start + indent {
        return span;
    }
    let at = line.start + indent;
    match f.text[at..line.end].chars().next() {
        Some(c) => Span::new(at, at + c.len_utf8()),
        None => Span::new(line.end, line.end),
    }
}

/// Lines longer than this are cut around the label, at a token boundary.
const LONG_LINE: usize = 140;

/// A one-line window longer than [`LONG_LINE`]: the part around `rel`, cut at white space (never
/// inside a word), with `...` where text was left out; the label's range moved with it.
fn cut_long_line(text: &str, rel: std::ops::Range<usize>) -> (String, std::ops::Range<usize>) {
    if text.len() <= LONG_LINE || text.trim_end_matches('\n').contains('\n') {
        return (text.to_string(), rel);
    }
    let room = LONG_LINE.saturating_sub(rel.end.saturating_sub(rel.start)) / 2;
    // The cut points: the white space nearest to `room` bytes before and after the label.
    let mut from = rel.start.saturating_sub(room.max(20));
    while from > 0 && !(text.is_char_boundary(from) && text[..from].ends_with(char::is_whitespace)) {
        from -= 1;
    }
    let mut to = (rel.end + room.max(20)).min(text.len());
    while to < text.len() && !(text.is_char_boundary(to) && text[to..].starts_with(char::is_whitespace)) {
        to += 1;
    }
    let newline = if text.ends_with('\n') { "\n" } else { "" };
    let to = to.min(text.len() - newline.len()).max(rel.end.min(text.len() - newline.len()));
    let (head, tail) = (if from > 0 { "... " } else { "" }, if to < text.len() - newline.len() { " ..." } else { "" });
    let cut = format!("{head}{}{tail}{newline}", &text[from..to]);
    let shift = |o: usize| o - from + head.len();
    (cut, shift(rel.start)..shift(rel.end.min(to)))
}

/// rustc-style text with code frames. Errors first, then warnings, then info; within a level by
/// file and position. Findings of one rule with the same message in one file are one cause: the
/// first is shown, the others listed under it as "also at".
pub fn text(files: &[SourceFile], diags: &[Diagnostic], color: bool) -> String {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() }.term_width(usize::MAX / 4);
    let mut out = String::new();
    let mut helped: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
    let mut order: Vec<&Diagnostic> = diags.iter().collect();
    order.sort_by_key(|d| (std::cmp::Reverse(d.severity), d.primary.file, d.primary.span.start));
    // (rule, file, message) -> the first finding and the positions of the others.
    let mut groups: Vec<(&Diagnostic, Vec<&Diagnostic>)> = Vec::new();
    let mut index: std::collections::HashMap<(&str, usize, &str), usize> = std::collections::HashMap::new();
    for d in order {
        match index.get(&(d.rule, d.primary.file, d.message.as_str())) {
            Some(&g) => groups[g].1.push(d),
            None => {
                index.insert((d.rule, d.primary.file, d.message.as_str()), groups.len());
                groups.push((d, Vec::new()));
            }
        }
    }
    for (d, others) in groups {
        if d.primary.file >= files.len() {
            continue;
        }
        let mut labels: Vec<(&Label, Level)> = vec![(&d.primary, level(d.severity))];
        labels.extend(d.related.iter().map(|l| (l, Level::Info)));
        // (display text, first line, path, span within the window, level, label)
        let mut windows = Vec::new();
        // The renderer names a frame `path:line:column` from the text it is given: where a line
        // was cut, the column it prints is the cut text's, put right after rendering.
        let mut columns: Vec<(String, String)> = Vec::new();
        for (l, lv) in &labels {
            let Some(f) = files.get(l.file) else { continue };
            // Never hand the renderer a span that splits a character.
            let span = out_of_indentation(f, snap(&f.text, l.span));
            let (ws, we, first) = window(f, span);
            let rel = (span.start - ws)..(span.end.min(we).max(span.start) - ws);
            let full = display_text(&f.text[ws..we]);
            let (text, cut) = cut_long_line(&full, rel.clone());
            if text.len() != full.len() || cut != rel {
                let col = |t: &str, at: usize| t[..at].chars().count() + 1;
                columns.push((
                    format!("{}:{first}:{}\n", f.path, col(&text, cut.start)),
                    format!("{}:{first}:{}\n", f.path, col(&full, rel.start)),
                ));
            }
            windows.push((text, first, &f.path, cut, *lv, l.message.as_deref()));
        }
        let snippets: Vec<Snippet> = windows
            .iter()
            .map(|(text, first, path, rel, lv, msg)| {
                let mut a = lv.span(rel.clone());
                if let Some(m) = msg {
                    a = a.label(m);
                }
                Snippet::source(text).line_start(*first).origin(path).fold(true).annotation(a)
            })
            .collect();
        let fix_text = d.fix.as_ref().and_then(|f| f.migration.as_ref().map(|m| format!("suggested migration: {m}")));
        let also = (!others.is_empty()).then(|| {
            let f = &files[d.primary.file];
            let at: Vec<String> = others
                .iter()
                .take(5)
                .map(|o| {
                    let lc = f.line_col(o.primary.span.start);
                    format!("{}:{}", lc.line, lc.column)
                })
                .collect();
            let more = if others.len() > 5 { format!(" and {} more", others.len() - 5) } else { String::new() };
            format!("also at {}{more} (the same finding)", at.join(", "))
        });
        let mut msg = level(d.severity).title(&d.message).id(d.rule).snippets(snippets);
        if let Some(a) = &also {
            msg = msg.footer(Level::Note.title(a));
        }
        // The same help once per run: later findings point back to it.
        let repeated = d.help.as_ref().map(|h| !helped.insert((d.rule, h.as_str())));
        let again = format!("as above; `pgvet rule {}` explains it", d.rule);
        match (&d.help, repeated) {
            (Some(_), Some(true)) => msg = msg.footer(Level::Help.title(&again)),
            (Some(h), _) => msg = msg.footer(Level::Help.title(h)),
            _ => {}
        }
        if let Some(f) = &fix_text {
            msg = msg.footer(Level::Note.title(f));
        }
        // The frame renderer has arithmetic edge cases (labels inside long runs of whitespace);
        // a finding must never be lost to one, so fall back to a frame-less rendering.
        let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| renderer.render(msg).to_string()));
        match rendered {
            Ok(mut r) => {
                for (cut, right) in &columns {
                    if let Some(i) = r.find(cut.as_str()) {
                        r.replace_range(i..i + cut.len(), right);
                    }
                }
                out.push_str(&r)
            }
            Err(_) => out.push_str(&plain(files, d)),
        }
        out.push_str("\n\n");
    }
    out
}

/// One line per finding: `path:line:col: severity[rule-id] message`.
pub fn concise(files: &[SourceFile], diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let Some(f) = files.get(d.primary.file) else { continue };
        let lc = f.line_col(d.primary.span.start);
        out.push_str(&format!("{}:{}:{}: {}[{}] {}\n", f.path, lc.line, lc.column, d.severity.as_str(), d.rule, d.message));
    }
    out
}

/// The number of findings per rule, most first: `count  rule-id  severity  summary`.
pub fn statistics(diags: &[Diagnostic]) -> String {
    let mut counts: std::collections::BTreeMap<(&str, Severity), usize> = std::collections::BTreeMap::new();
    for d in diags {
        *counts.entry((d.rule, d.severity)).or_default() += 1;
    }
    let mut rows: Vec<((&str, Severity), usize)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let width = rows.iter().map(|((r, _), _)| r.len()).max().unwrap_or(0);
    let mut out = String::new();
    for ((rule, sev), n) in rows {
        let summary = crate::rule_by_id(rule).map(|r| r.summary).unwrap_or("");
        out.push_str(&format!("{n:>5}  {rule:<width$}  {:<7}  {summary}\n", sev.as_str()));
    }
    out
}

/// A diagnostic without code frames: `severity[rule]: message`, ` --> file:line:col`, help.
fn plain(files: &[SourceFile], d: &Diagnostic) -> String {
    let mut s = format!("{}[{}]: {}", d.severity.as_str(), d.rule, d.message);
    if let Some(f) = files.get(d.primary.file) {
        let lc = f.line_col(d.primary.span.start);
        s.push_str(&format!("\n --> {}:{}:{}", f.path, lc.line, lc.column));
    }
    if let Some(h) = &d.help {
        s.push_str(&format!("\n  = help: {h}"));
    }
    s
}

fn position(src: &SourceFile, offset: usize) -> Value {
    let LineCol { line, column } = src.line_col(offset);
    json!({ "line": line, "column": column, "offset": offset })
}

fn label_json(files: &[SourceFile], l: &Label) -> Value {
    let Some(src) = files.get(l.file) else { return Value::Null };
    json!({
        "file": src.path,
        "start": position(src, l.span.start),
        "end": position(src, l.span.end),
        "message": l.message,
    })
}

/// The JSON format (documented in docs/output.md). `version` changes only with breaking changes.
pub fn json(files: &[SourceFile], diags: &[Diagnostic], statements: usize) -> String {
    json_with_databases(files, diags, statements, None, &[])
}

/// [`json`], with `summary.databases` (`[{name, layout, path, migrations}]`) when given.
pub fn json_with_databases(
    files: &[SourceFile],
    diags: &[Diagnostic],
    statements: usize,
    databases: Option<Value>,
    withheld: &[crate::Withheld],
) -> String {
    let list: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut v = json!({
                "rule": d.rule,
                "severity": d.severity.as_str(),
                "message": d.message,
                "location": label_json(files, &d.primary),
                "related": d.related.iter().map(|l| label_json(files, l)).collect::<Vec<_>>(),
            });
            if let Some(h) = &d.help {
                v["help"] = json!(h);
            }
            if let Some(f) = &d.fix {
                v["fix"] = json!(f);
            }
            v
        })
        .collect();
    let count = |s| diags.iter().filter(|d| d.severity == s).count();
    let mut doc = json!({
        "version": 1,
        "tool": { "name": "pgvet", "version": env!("CARGO_PKG_VERSION") },
        "diagnostics": list,
        "summary": {
            "files": files.len(),
            "statements": statements,
            "errors": count(Severity::Error),
            "warnings": count(Severity::Warning),
            "infos": count(Severity::Info),
            "withheld": withheld_json(files, withheld),
        }
    });
    if let Some(d) = databases {
        doc["summary"]["databases"] = d;
    }
    serde_json::to_string_pretty(&doc).expect("serialisable")
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn region(src: &SourceFile, span: Span) -> Value {
    let a = src.line_col(span.start);
    let b = src.line_col(span.end.max(span.start));
    json!({ "startLine": a.line, "startColumn": a.column, "endLine": b.line, "endColumn": b.column.max(if a.line == b.line { a.column + 1 } else { 1 }) })
}

fn physical(files: &[SourceFile], l: &Label) -> Value {
    let src = &files[l.file];
    json!({ "artifactLocation": { "uri": uri(&src.path), "uriBaseId": "%SRCROOT%" }, "region": region(src, l.span) })
}

/// A relative URI: `/`-separated, every byte outside RFC 3986's unreserved set and `/`
/// percent-encoded (spaces, `%`, `#`, `?`, non-ASCII).
fn uri(path: &str) -> String {
    let p = path.trim_start_matches("./").replace('\\', "/");
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// GitHub's `security-severity` (0-10) and tags for the rules about security.
fn security(rule: &str) -> Option<(&'static str, Vec<&'static str>)> {
    Some(match rule {
        "rpc-trusts-caller-id" => ("8.1", vec!["security", "external/cwe/cwe-639"]),
        "rls-disabled-exposed" => ("8.6", vec!["security", "external/cwe/cwe-284"]),
        "security-definer-search-path" => ("7.2", vec!["security", "external/cwe/cwe-427"]),
        "tenant-filter-missing" | "tenant-insert-missing" | "tenant-key-missing-tenant" | "tenant-fk-cross" => {
            ("6.5", vec!["security", "multi-tenancy", "external/cwe/cwe-639"])
        }
        _ => return None,
    })
}

/// FNV-1a over the parts (each ended by a NUL): a stable fingerprint so code-scanning tools and
/// the baseline can track a finding across runs.
pub(crate) fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for p in parts {
        for b in p.bytes().chain([0]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

/// SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.
pub fn sarif(files: &[SourceFile], diags: &[Diagnostic]) -> String {
    sarif_with_withheld(files, diags, &[])
}

/// [`sarif`], with the withheld findings in the run's properties (`withheld`: a count and the
/// list, as in JSON).
pub fn sarif_with_withheld(files: &[SourceFile], diags: &[Diagnostic], withheld: &[crate::Withheld]) -> String {
    let root = SrcRoot {
        uri: None,
        description: "The project root (the directory of pgvet.toml, or the repository).",
        fix_files: Default::default(),
    };
    sarif_with_root(files, diags, withheld, &root)
}

/// What `%SRCROOT%`, the base of every SARIF URI, stands for.
pub struct SrcRoot {
    /// Its absolute `file://` URI (ending in `/`), when known.
    pub uri: Option<String>,
    pub description: &'static str,
    /// For a finding (by its index) whose fix is a new migration: the file as the project's
    /// runner names it (relative to `%SRCROOT%`) and its text (applied as that runner applies
    /// it). Findings not listed get `pgvet-fix-<rule>.sql` with the suggested SQL.
    pub fix_files: std::collections::HashMap<usize, (String, String)>,
}

/// [`sarif_with_withheld`], with the URIs' base described (the repository root, as a
/// `file://` URI, in `originalUriBaseIds`).
pub fn sarif_with_root(files: &[SourceFile], diags: &[Diagnostic], withheld: &[crate::Withheld], root: &SrcRoot) -> String {
    let rules: Vec<Value> = all_rules()
        .iter()
        .map(|r| {
            let docs = rule_docs(r.id).unwrap_or("");
            let mut rule = json!({
                "id": r.id,
                "name": r.id.split('-').map(|w| { let mut c = w.chars(); c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default() }).collect::<String>(),
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.summary },
                "help": { "text": docs, "markdown": docs },
                "defaultConfiguration": { "level": sarif_level(r.default_severity) },
            });
            if let Some((score, tags)) = security(r.id) {
                rule["properties"] = json!({ "security-severity": score, "tags": tags });
            } else {
                rule["properties"] = json!({ "tags": ["correctness", "postgresql"] });
            }
            rule
        })
        .collect();
    let index = |id: &str| all_rules().iter().position(|r| r.id == id).unwrap_or(0);
    let results: Vec<Value> = diags
        .iter()
        .enumerate()
        .filter(|(_, d)| d.primary.file < files.len())
        .map(|(i, d)| {
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str("\n\n");
                text.push_str(h);
            }
            let related: Vec<Value> = d
                .related
                .iter()
                .enumerate()
                .filter(|(_, l)| l.file < files.len())
                .map(|(i, l)| json!({ "id": i + 1, "physicalLocation": physical(files, l), "message": { "text": l.message.clone().unwrap_or_default() } }))
                .collect();
            let mut result = json!({
                "ruleId": d.rule,
                "ruleIndex": index(d.rule),
                "level": sarif_level(d.severity),
                "message": { "text": text },
                "locations": [ { "physicalLocation": physical(files, &d.primary) } ],
                "relatedLocations": related,
                "partialFingerprints": { "pgvet/v1": fingerprint(&[d.rule, &files[d.primary.file].path, &d.message]) },
            });
            // A suggested migration is a new file: SARIF's fix adds it as an artifact change.
            if let Some(m) = d.fix.as_ref().and_then(|f| f.migration.as_ref().map(|m| (f, m))) {
                let (path, text) = root.fix_files.get(&i).cloned().unwrap_or_else(|| (format!("pgvet-fix-{}.sql", d.rule), format!("{}\n", m.1)));
                result["fixes"] = json!([{
                    "description": { "text": m.0.description },
                    "artifactChanges": [{
                        "artifactLocation": { "uri": uri(&path), "uriBaseId": "%SRCROOT%" },
                        "replacements": [{ "deletedRegion": { "startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1 }, "insertedContent": { "text": text } }],
                    }],
                }]);
            }
            result
        })
        .collect();
    let mut srcroot = json!({ "description": { "text": root.description } });
    if let Some(u) = &root.uri {
        srcroot["uri"] = json!(u);
    }
    serde_json::to_string_pretty(&json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": { "name": "pgvet", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": srcroot },
            "results": results,
            "properties": { "withheld": { "count": withheld.len(), "findings": withheld_json(files, withheld) } },
        } ]
    }))
    .expect("serialisable")
}

fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn gh_escape_prop(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands (`::warning file=...::message`), one per line.
pub fn github(files: &[SourceFile], diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let Some(src) = files.get(d.primary.file) else { continue };
        let a = src.line_col(d.primary.span.start);
        let b = src.line_col(d.primary.span.end);
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push('\n');
            msg.push_str(h);
        }
        out.push_str(&format!(
            "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            gh_escape_prop(&src.path),
            a.line,
            a.column,
            b.line,
            b.column,
            gh_escape_prop(&format!("pgvet {}", d.rule)),
            gh_escape_data(&msg)
        ));
    }
    out
}

/// Withheld findings (see [`crate::Withheld`]) for JSON and SARIF: each with its rule, message,
/// location and the location of the statement that withheld it.
pub fn withheld_json(files: &[SourceFile], withheld: &[crate::Withheld]) -> Value {
    Value::Array(
        withheld
            .iter()
            .map(|w| {
                json!({
                    "rule": w.diagnostic.rule,
                    "message": w.diagnostic.message,
                    "location": label_json(files, &w.diagnostic.primary),
                    "withheld_by": label_json(files, &w.by),
                })
            })
            .collect(),
    )
}

/// One line for a summary: how many findings were withheld, of which rules, by how many
/// statements, and the first of them. None when nothing was withheld.
pub fn withheld_line(files: &[SourceFile], withheld: &[crate::Withheld]) -> Option<String> {
    let first = withheld.iter().min_by_key(|w| (w.by.file, w.by.span.start))?;
    let mut per_rule: std::collections::BTreeMap<&str, usize> = Default::default();
    for w in withheld {
        *per_rule.entry(w.diagnostic.rule).or_default() += 1;
    }
    let rules: Vec<String> = per_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let mut by: Vec<(usize, usize)> = withheld.iter().map(|w| (w.by.file, w.by.span.start)).collect();
    by.sort_unstable();
    by.dedup();
    let at = files.get(first.by.file).map(|f| {
        let lc = f.line_col(first.by.span.start);
        format!("{}:{}:{}", f.path, lc.line, lc.column)
    });
    Some(format!(
        "{} finding{} withheld ({}): {} rest{} on what {} statement{} pgvet could not follow may have changed, the first at {}; --show-info lists them",
        withheld.len(),
        if withheld.len() == 1 { "" } else { "s" },
        rules.join(", "),
        if withheld.len() == 1 { "it" } else { "they" },
        if withheld.len() == 1 { "s" } else { "" },
        by.len(),
        if by.len() == 1 { "" } else { "s" },
        at.unwrap_or_default()
    ))
}

/// Withheld findings as info findings of their rule, for listing (`--show-info`): the message
/// says they were withheld, and a related label points at the statement that withheld them.
pub fn withheld_as_info(withheld: &[crate::Withheld]) -> Vec<Diagnostic> {
    withheld
        .iter()
        .map(|w| {
            let mut d = w.diagnostic.clone();
            d.severity = Severity::Info;
            d.message = format!("withheld: {}", d.message);
            d.help = Some(
                "Not reported: an earlier statement that pgvet could not follow (dynamic SQL, a condition on table data) may have created or changed what this finding rests on. `pgvet schema --dev-db` compares with a real server."
                    .into(),
            );
            d.fix = None;
            d.withheld_by = None;
            d.related.push(w.by.clone());
            d
        })
        .collect()
}
