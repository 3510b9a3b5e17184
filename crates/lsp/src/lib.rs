//! `pgvet lsp`: a language server over stdio. On open, change and save of a SQL migration, a query
//! file or an application source file, the project it belongs to is found as `pgvet check` finds
//! it (the nearest pgvet.toml above the file, else its repository; without either, the editor's
//! workspace folder), analysed with the editor's unsaved texts in place of the files on disk, and
//! every file's findings not in the baseline (.pgvet-baseline.json) are published as diagnostics:
//! the rule id as the code, linking to the rule's documentation, and quick fixes: a `pgvet-ignore`
//! comment on the line before the statement (outside any string literal), and the suggested
//! migration as a new migration named and applied as the project's runner does. Changes that
//! arrive while a project is analysed are coalesced into one more run, so typing never queues
//! analyses.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lsp_server::{Connection, Message, Notification, Request, Response};
use pgvet_linter::analysis::analyze_all;
use pgvet_linter::{Diagnostic, Severity};
use pgvet_syntax::SourceFile;
use serde_json::{json, Value};

/// Serves on stdin/stdout until the client says `exit`.
pub fn run_stdio() -> Result<(), String> {
    let (connection, threads) = Connection::stdio();
    run(&connection)?;
    drop(connection);
    threads.join().map_err(|e| e.to_string())
}

/// What the last analysis found in one file, for code actions.
struct Found {
    range: Value,
    rule: &'static str,
    /// The line (0-based) a suppression comment goes on: the statement's first line.
    insert_line: usize,
    /// That line's indentation.
    indent: String,
    /// The suggested migration as files to write, and its description.
    fix: Option<pgvet_project::NewMigration>,
}

/// The editor's side: open documents, and what the analyses found (shared with the worker).
struct Server {
    docs: HashMap<PathBuf, String>,
    /// The editor's workspace folders (initialize's rootUri and workspaceFolders).
    roots: Vec<PathBuf>,
    found: Arc<Mutex<HashMap<PathBuf, Vec<Found>>>>,
}

/// The analysing side, on its own thread: a large project's analysis never blocks the editor's
/// requests, and edits that arrive meanwhile are coalesced into one more run per project.
struct Worker {
    /// Files with diagnostics published, per project root (to clear them when they are gone).
    published: HashMap<PathBuf, HashSet<PathBuf>>,
    found: Arc<Mutex<HashMap<PathBuf, Vec<Found>>>>,
    docs_dir: Option<PathBuf>,
}

/// A project to analyse, with the open documents' texts at the time.
struct Job {
    root: PathBuf,
    docs: HashMap<PathBuf, String>,
}

pub fn run(connection: &Connection) -> Result<(), String> {
    let caps = json!({
        "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
        "codeActionProvider": { "codeActionKinds": ["quickfix"] },
    });
    let params = connection.initialize(caps).map_err(|e| e.to_string())?;
    let mut roots: Vec<PathBuf> = params["workspaceFolders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["uri"].as_str().and_then(uri_to_path))
        .chain(params["rootUri"].as_str().and_then(uri_to_path))
        .collect();
    roots.dedup();
    let found = Arc::new(Mutex::new(HashMap::new()));
    let mut s = Server { docs: HashMap::new(), roots, found: found.clone() };
    let (jobs, queue) = std::sync::mpsc::channel::<Job>();
    let sender = connection.sender.clone();
    let worker = std::thread::spawn(move || {
        let mut w = Worker { published: HashMap::new(), found, docs_dir: write_rule_docs() };
        while let Ok(job) = queue.recv() {
            // The latest job per project wins: edits made meanwhile are one more run.
            let mut latest: BTreeMap<PathBuf, Job> = BTreeMap::new();
            latest.insert(job.root.clone(), job);
            while let Ok(j) = queue.try_recv() {
                latest.insert(j.root.clone(), j);
            }
            for (_, job) in latest {
                for n in w.analyse(&job.root, &job.docs) {
                    if sender.send(Message::Notification(n)).is_err() {
                        return;
                    }
                }
            }
        }
    });
    while let Ok(msg) = connection.receiver.recv() {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req).map_err(|e| e.to_string())? {
                    break;
                }
                let resp = s.request(&req);
                connection.sender.send(Message::Response(resp)).map_err(|e| e.to_string())?;
            }
            Message::Notification(n) if n.method == "exit" => break,
            Message::Notification(n) => {
                if let Some(root) = s.notification(&n) {
                    let _ = jobs.send(Job { root, docs: s.docs.clone() });
                }
            }
            Message::Response(_) => {}
        }
    }
    drop(jobs);
    let _ = worker.join();
    Ok(())
}

fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&rest[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(PathBuf::from(String::from_utf8_lossy(&out).into_owned()))
}

fn path_to_uri(p: &Path) -> String {
    let mut s = String::from("file://");
    for b in p.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// An LSP position: 0-based line, UTF-16 code units into it.
fn position(f: &SourceFile, offset: usize) -> Value {
    let lc = f.line_col(offset);
    let start = f.line_span(lc.line).start;
    let units: usize = f.text.get(start..offset.min(f.text.len())).map(|t| t.encode_utf16().count()).unwrap_or(0);
    json!({ "line": lc.line - 1, "character": units })
}

/// Each rule's documentation as a markdown file, for the diagnostics' links.
fn write_rule_docs() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let dir = base.join("pgvet").join(env!("CARGO_PKG_VERSION")).join("rules");
    std::fs::create_dir_all(&dir).ok()?;
    for r in pgvet_linter::all_rules() {
        std::fs::write(dir.join(format!("{}.md", r.id)), pgvet_linter::rule_docs(r.id).unwrap_or(r.summary)).ok()?;
    }
    Some(dir)
}

impl Server {
    /// Updates the open documents; returns the project to analyse again, if any.
    fn notification(&mut self, n: &Notification) -> Option<PathBuf> {
        let doc = &n.params["textDocument"];
        let path = doc["uri"].as_str().and_then(uri_to_path)?;
        match n.method.as_str() {
            "textDocument/didOpen" => {
                self.docs.insert(path.clone(), doc["text"].as_str().unwrap_or("").to_string());
            }
            "textDocument/didChange" => {
                // Full sync: the last change holds the whole text.
                if let Some(t) = n.params["contentChanges"].as_array().and_then(|c| c.last()).and_then(|c| c["text"].as_str()) {
                    self.docs.insert(path.clone(), t.to_string());
                }
            }
            "textDocument/didClose" => {
                self.docs.remove(&path);
            }
            "textDocument/didSave" => {}
            _ => return None,
        }
        Some(project_root_of(&path, &self.roots))
    }

    fn request(&self, req: &Request) -> Response {
        if req.method != "textDocument/codeAction" {
            return Response::new_err(
                req.id.clone(),
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("{} is not supported", req.method),
            );
        }
        let uri = req.params["textDocument"]["uri"].as_str().unwrap_or("");
        let Some(path) = uri_to_path(uri) else { return Response::new_ok(req.id.clone(), Value::Array(vec![])) };
        let want = req.params["range"]["start"]["line"].as_u64().unwrap_or(0) as usize;
        let want_end = req.params["range"]["end"]["line"].as_u64().unwrap_or(want as u64) as usize;
        let comment = comment_marker(&path);
        let mut actions = Vec::new();
        let found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        for f in found.get(&path).into_iter().flatten() {
            let (s, e) = (f.range["start"]["line"].as_u64().unwrap_or(0) as usize, f.range["end"]["line"].as_u64().unwrap_or(0) as usize);
            if want > e || want_end < s {
                continue;
            }
            actions.push(json!({
                "title": format!("Suppress {} here (pgvet-ignore, with a reason)", f.rule),
                "kind": "quickfix",
                "edit": { "changes": { uri: [ {
                    "range": { "start": { "line": f.insert_line, "character": 0 }, "end": { "line": f.insert_line, "character": 0 } },
                    "newText": format!("{}{comment} pgvet-ignore {}: <why this does not apply>\n", f.indent, f.rule),
                } ] } },
            }));
            if let Some(m) = &f.fix {
                let mut changes = Vec::new();
                for (target, text) in &m.create {
                    let turi = path_to_uri(target);
                    changes.push(json!({ "kind": "create", "uri": turi, "options": { "ignoreIfExists": true } }));
                    changes.push(json!({ "textDocument": { "uri": turi, "version": null }, "edits": [ { "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "newText": text } ] }));
                }
                for (target, text) in &m.rewrite {
                    let old = self.docs.get(target).cloned().or_else(|| std::fs::read_to_string(target).ok()).unwrap_or_default();
                    let end = position(&SourceFile::new("", old.as_str()), old.len());
                    changes.push(json!({ "textDocument": { "uri": path_to_uri(target), "version": null }, "edits": [ { "range": { "start": { "line": 0, "character": 0 }, "end": end }, "newText": text } ] }));
                }
                let shown: Vec<String> = m
                    .create
                    .iter()
                    .map(|(p, _)| {
                        let parent = p.parent().and_then(|d| d.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        if name == "migration.sql" {
                            format!("{parent}/{name}")
                        } else {
                            name
                        }
                    })
                    .collect();
                actions.push(json!({
                    "title": format!("Add the suggested migration ({})", shown.join(", ")),
                    "kind": "quickfix",
                    "edit": { "documentChanges": changes },
                }));
            }
        }
        Response::new_ok(req.id.clone(), Value::Array(actions))
    }
}

impl Worker {
    /// Analyses the project at `root` with the open documents' texts, and returns the
    /// publishDiagnostics notifications (empty ones for files whose findings are gone).
    fn analyse(&mut self, root: &Path, docs: &HashMap<PathBuf, String>) -> Vec<Notification> {
        let mut ws = match pgvet_project::load_workspace(root) {
            Ok(ws) => ws,
            Err(e) => return vec![Notification::new("window/logMessage".into(), json!({ "type": 2, "message": format!("pgvet: {e}") }))],
        };
        let canon = |p: &str| Path::new(p).canonicalize().unwrap_or_else(|_| PathBuf::from(p));
        let open: HashMap<PathBuf, &String> = docs.iter().map(|(p, t)| (p.canonicalize().unwrap_or_else(|_| p.clone()), t)).collect();
        let mut by_file: HashMap<PathBuf, Vec<(SourceFile, Diagnostic, Option<pgvet_project::NewMigration>)>> = HashMap::new();
        let mut notes = Vec::new();
        // The baseline, as `pgvet check` applies it: findings recorded there are not shown.
        let baseline: Option<pgvet_linter::baseline::Baseline> =
            std::fs::read_to_string(ws.root.join(BASELINE)).ok().and_then(|t| serde_json::from_str(&t).ok());
        let now = std::time::SystemTime::now();
        let mut unreadable_seen = HashSet::new();
        for p in &mut ws.databases {
            // Unsaved texts, with what discovery derives from a file's text derived again
            // (a goose file's Up part, a Go file's steps, rendered templates).
            p.overlay(|path| open.get(&canon(path)).map(|t| t.to_string()));
            let settings = match pgvet_linter::project::settings(p) {
                Ok(s) => s,
                Err(e) => {
                    notes.push(Notification::new("window/logMessage".into(), json!({ "type": 1, "message": format!("pgvet: {e}") })));
                    continue;
                }
            };
            let (migrations, queries, sources) =
                (pgvet_linter::project::migrations(p), pgvet_linter::project::queries(p), pgvet_linter::project::sources(p));
            let mut a = analyze_all(migrations, queries, sources, pgvet_linter::project::base_catalog(p), &settings);
            let skipped: Vec<(String, String, String)> =
                p.notes.iter().map(|n| (n.path.clone(), n.text.clone(), n.message.clone())).collect();
            pgvet_linter::add_notes(&mut a, &skipped, &settings);
            let unreadable: Vec<(String, String, String)> = p
                .unreadable
                .iter()
                .filter(|n| unreadable_seen.insert(n.path.clone()))
                .map(|n| (n.path.clone(), n.text.clone(), n.message.clone()))
                .collect();
            pgvet_linter::add_unreadable(&mut a, &unreadable, &settings);
            let mut diagnostics = std::mem::take(&mut a.diagnostics);
            if let Some(b) = &baseline {
                let paths: Vec<String> = a.files.iter().map(|f| root_relative(&f.path, &ws.root)).collect();
                diagnostics = pgvet_linter::baseline::apply(b, &a.files, &paths, diagnostics).kept;
            }
            let mut nth = 0;
            for d in diagnostics {
                let Some(f) = a.files.get(d.primary.file) else { continue };
                let fix = d.fix.as_ref().and_then(|x| x.migration.as_ref()).and_then(|sql| {
                    let m = p.new_migration(&format!("pgvet_{}", d.rule.replace('-', "_")), sql, now, nth);
                    nth += 1;
                    m
                });
                by_file.entry(canon(&f.path)).or_default().push((f.clone(), d, fix));
            }
        }
        let mut out = notes;
        let before = self.published.remove(root).unwrap_or_default();
        let mut now = HashSet::new();
        for (path, findings) in &by_file {
            let mut diags = Vec::new();
            let mut found = Vec::new();
            for (f, d, fix) in findings {
                let range =
                    json!({ "start": position(f, d.primary.span.start), "end": position(f, d.primary.span.end.max(d.primary.span.start)) });
                let mut message = d.message.clone();
                if let Some(h) = &d.help {
                    message.push_str("\n\n");
                    message.push_str(h);
                }
                let mut diag = json!({
                    "range": range,
                    "severity": match d.severity { Severity::Error => 1, Severity::Warning => 2, Severity::Info => 3 },
                    "code": d.rule,
                    "source": "pgvet",
                    "message": message,
                });
                if let Some(dir) = &self.docs_dir {
                    diag["codeDescription"] = json!({ "href": path_to_uri(&dir.join(format!("{}.md", d.rule))) });
                }
                diags.push(diag);
                let at = statement_start(&f.path, &f.text, d.primary.span.start);
                let line = f.line_span(f.line_col(at).line);
                let indent: String = f.text[line.range()].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
                found.push(Found { range, rule: d.rule, insert_line: f.line_col(at).line - 1, indent, fix: fix.clone() });
            }
            out.push(Notification::new(
                "textDocument/publishDiagnostics".into(),
                json!({ "uri": path_to_uri(path), "diagnostics": diags }),
            ));
            self.found.lock().unwrap_or_else(|e| e.into_inner()).insert(path.clone(), found);
            now.insert(path.clone());
        }
        for gone in before.difference(&now) {
            self.found.lock().unwrap_or_else(|e| e.into_inner()).remove(gone);
            out.push(Notification::new("textDocument/publishDiagnostics".into(), json!({ "uri": path_to_uri(gone), "diagnostics": [] })));
        }
        self.published.insert(root.to_path_buf(), now);
        out
    }
}

/// The baseline file, at the project root (as `pgvet check` reads it).
const BASELINE: &str = ".pgvet-baseline.json";

/// `path` relative to `root` when it lies below it, else as is (the baseline's paths).
fn root_relative(path: &str, root: &Path) -> String {
    let (Ok(p), Ok(r)) = (Path::new(path).canonicalize(), root.canonicalize()) else { return path.to_string() };
    p.strip_prefix(&r).map(|rel| rel.to_string_lossy().replace('\\', "/")).unwrap_or_else(|_| path.to_string())
}

/// The project a file belongs to, as `pgvet check FILE` finds it: the nearest pgvet.toml above
/// it, else its repository. Outside both, the editor's workspace folder that holds it, else the
/// file's folder.
fn project_root_of(path: &Path, roots: &[PathBuf]) -> PathBuf {
    let abs = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let dir = if abs.is_dir() { abs.clone() } else { abs.parent().map(Path::to_path_buf).unwrap_or_default() };
    if abs.is_file() {
        let root = pgvet_project::project_root(&abs);
        if root != abs {
            return root;
        }
    } else if dir.ancestors().any(|d| d.join("pgvet.toml").is_file() || d.join(".git").exists()) {
        // A file not saved yet: the same search from its folder.
        if let Some(d) = dir.ancestors().find(|d| d.join("pgvet.toml").is_file()) {
            return d.to_path_buf();
        }
        if let Some(d) = dir.ancestors().find(|d| d.join(".git").exists()) {
            return d.to_path_buf();
        }
    }
    roots.iter().filter_map(|r| r.canonicalize().ok()).filter(|r| abs.starts_with(r)).max_by_key(|r| r.components().count()).unwrap_or(dir)
}

/// The comment a suppression is written with in this file's language.
fn comment_marker(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("sql") => "--",
        Some("py") => "#",
        _ => "//",
    }
}

/// Where a suppression comment for the finding at `offset` goes: the first line of the statement
/// that holds it (a SQL statement: its first code line, after comments; application code: the
/// statement around the SQL string, never inside the string).
fn statement_start(path: &str, text: &str, offset: usize) -> usize {
    if !path.ends_with(".sql") {
        return pgvet_code::statement_start(path, text, offset);
    }
    let Some(piece) = pgvet_syntax::split::split(text).into_iter().find(|p| p.start <= offset && offset < p.end.max(p.start + 1)) else {
        return offset;
    };
    // Past the whitespace and comment lines that precede the statement's code.
    let mut at = piece.start;
    loop {
        let rest = &text[at..piece.end.min(text.len())];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if trimmed.starts_with("--") {
            at += trimmed.find('\n').map(|i| i + 1).unwrap_or(trimmed.len());
        } else {
            break;
        }
    }
    at.min(offset)
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_and_paths() {
        let p = std::path::Path::new("/tmp/a b/ü.sql");
        let u = super::path_to_uri(p);
        assert_eq!(u, "file:///tmp/a%20b/%C3%BC.sql");
        assert_eq!(super::uri_to_path(&u).unwrap(), p);
        let f = pgvet_syntax::SourceFile::new("x", "ab\n😀c");
        assert_eq!(super::position(&f, 8), serde_json::json!({ "line": 1, "character": 3 }));
    }
}
