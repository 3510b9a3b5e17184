//! `pgvet lsp` driven by a scripted client over stdio: open a migration of the example project,
//! receive its fk-missing-index diagnostic (code, link to the docs), ask for its quick fixes,
//! edit the file in the editor (unsaved) and see the finding go, then shut down.
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;

fn send(to: &mut ChildStdin, msg: &Value) {
    let body = msg.to_string();
    write!(to, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    to.flush().unwrap();
}

fn recv(from: &mut BufReader<ChildStdout>) -> Value {
    let mut len = 0;
    loop {
        let mut line = String::new();
        assert!(from.read_line(&mut line).unwrap() > 0, "the server closed its output");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            len = n.parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    from.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// Reads messages until one satisfies `want` (within 60 s).
fn until(from: &mut BufReader<ChildStdout>, want: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out");
        let m = recv(from);
        if want(&m) {
            return m;
        }
    }
}

fn uri(p: &std::path::Path) -> String {
    format!("file://{}", p.display())
}

/// `pgvet lsp` started and initialized; its stdin and stdout.
fn start(root_uri: Option<String>, cache: &std::path::Path) -> (std::process::Child, ChildStdin, BufReader<ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgvet"))
        .arg("lsp")
        .env("XDG_CACHE_HOME", cache)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut to = child.stdin.take().unwrap();
    let mut from = BufReader::new(child.stdout.take().unwrap());
    send(
        &mut to,
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "processId": null, "rootUri": root_uri, "capabilities": {} } }),
    );
    let init = until(&mut from, |m| m["id"] == 1);
    assert_eq!(init["result"]["capabilities"]["textDocumentSync"]["change"], 1);
    send(&mut to, &json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }));
    (child, to, from)
}

#[test]
fn the_language_server_reports_and_fixes_while_editing() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).canonicalize().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (mut child, mut to, mut from) = start(Some(uri(&repo.join("examples/workspace-app"))), cache.path());

    let file = repo.join("examples/workspace-app/supabase/migrations/20251110000000_automation_billing_blog.sql");
    let text = std::fs::read_to_string(&file).unwrap();
    let u = uri(&file);
    send(
        &mut to,
        &json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": u, "languageId": "sql", "version": 1, "text": text } } }),
    );
    let published = until(&mut from, |m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == u.as_str());
    let diags = published["params"]["diagnostics"].as_array().unwrap();
    let fk: Vec<&Value> = diags.iter().filter(|d| d["code"] == "fk-missing-index").collect();
    assert!(!fk.is_empty(), "{published:#}");
    // A warning where the project deletes the parent's rows, else a hint (here the example sits
    // in this repository, where its code is example code, not the application: hints).
    let d = *fk.iter().find(|d| d["message"].as_str().is_some_and(|m| m.contains("on automation_nodes "))).unwrap();
    assert_eq!(d["source"], "pgvet");
    assert!(d["severity"] == 2 || d["severity"] == 3, "{published:#}");
    let href = d["codeDescription"]["href"].as_str().unwrap();
    let doc = std::fs::read_to_string(href.strip_prefix("file://").unwrap()).unwrap();
    assert!(doc.contains("## What it finds"), "{doc}");
    // The finding's line holds the foreign key.
    let line = d["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(text.lines().nth(line).unwrap().contains("REFERENCES"), "{}", text.lines().nth(line).unwrap());

    // Quick fixes: a suppression comment on the line, and the suggested migration as a new file.
    send(
        &mut to,
        &json!({ "jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction", "params": { "textDocument": { "uri": u }, "range": d["range"], "context": { "diagnostics": [d] } } }),
    );
    let actions = until(&mut from, |m| m["id"] == 2);
    let titles: Vec<&str> = actions["result"].as_array().unwrap().iter().filter_map(|a| a["title"].as_str()).collect();
    assert!(titles.iter().any(|t| t.starts_with("Suppress fk-missing-index here")), "{titles:?}");
    assert!(titles.iter().any(|t| t.starts_with("Add the suggested migration")), "{titles:?}");
    let suppress = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Suppress fk-missing-index"))
        .unwrap();
    let edit = &suppress["edit"]["changes"][u.as_str()][0];
    assert!(edit["newText"].as_str().unwrap().contains("-- pgvet-ignore fk-missing-index: "), "{edit}");

    // An unsaved edit that adds the indexes: the findings in this file go.
    let target = d["range"]["start"]["line"].as_u64().unwrap();
    let fixed = format!("{text}\nCREATE INDEX ON public.automation_nodes (workflow_id);\nCREATE INDEX ON public.automation_connections (workflow_id);\nCREATE INDEX ON public.credit_transactions (user_credit_id);\nCREATE INDEX ON public.support_ticket_messages (ticket_id);\nCREATE INDEX ON public.blog_comments (post_id);\nCREATE INDEX ON public.blog_comments (parent_id);\n");
    send(
        &mut to,
        &json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": { "textDocument": { "uri": u, "version": 2 }, "contentChanges": [ { "text": fixed } ] } }),
    );
    let again = until(&mut from, |m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == u.as_str());
    let left: Vec<&Value> = again["params"]["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "fk-missing-index").collect();
    assert!(left.is_empty(), "line {target}: {again:#}");
    // The file on disk is untouched.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);

    send(&mut to, &json!({ "jsonrpc": "2.0", "id": 3, "method": "shutdown" }));
    until(&mut from, |m| m["id"] == 3);
    send(&mut to, &json!({ "jsonrpc": "2.0", "method": "exit" }));
    let status = child.wait().unwrap();
    assert!(status.success());
}

/// While a large project is analysed the server still answers at once: a request sent right
/// after an edit is answered before that edit's diagnostics arrive.
#[test]
fn the_server_answers_while_a_large_project_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let files = pgvet_linter::synthetic::project(800);
    for f in &files {
        let p = dir.path().join(&f.source.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &f.source.text).unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let (mut child, mut to, mut from) = start(None, cache.path());
    let first = dir.path().join(&files[0].source.path).canonicalize().unwrap();
    let u = uri(&first);
    send(
        &mut to,
        &json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": u, "languageId": "sql", "version": 1, "text": files[0].source.text } } }),
    );
    let asked = Instant::now();
    send(
        &mut to,
        &json!({ "jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction", "params": { "textDocument": { "uri": u }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [] } } }),
    );
    let first_reply = recv(&mut from);
    assert_eq!(first_reply["id"], 2, "the request waited for the analysis: {first_reply}");
    let answered = asked.elapsed();
    until(&mut from, |m| m["method"] == "textDocument/publishDiagnostics");
    let analysed = asked.elapsed();
    assert!(answered < analysed, "answered in {answered:?}, analysed in {analysed:?}");
    send(&mut to, &json!({ "jsonrpc": "2.0", "id": 3, "method": "shutdown" }));
    until(&mut from, |m| m["id"] == 3);
    send(&mut to, &json!({ "jsonrpc": "2.0", "method": "exit" }));
    // Diagnostics sent after the shutdown reply are read, so the server can finish writing.
    let drain = std::thread::spawn(move || std::io::copy(&mut from, &mut std::io::sink()));
    assert!(child.wait().unwrap().success());
    let _ = drain.join();
}

/// Inserts `new` at the start of 0-based `line` of `text` (a quick fix's TextEdit at column 0).
fn insert_at_line(text: &str, line: usize, new: &str) -> String {
    let at: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    format!("{}{new}{}", &text[..at], &text[at..])
}

fn check_json(dir: &std::path::Path) -> Vec<(String, String, u64, String)> {
    let o = Command::new(env!("CARGO_BIN_EXE_pgvet"))
        .args(["check", ".", "--format", "json"])
        .current_dir(dir)
        .env_remove("PGVET_DATABASE_URL")
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["location"]["file"].as_str().unwrap().to_string(),
                d["location"]["start"]["line"].as_u64().unwrap(),
                format!("{}: {}", d["severity"].as_str().unwrap(), d["message"].as_str().unwrap()),
            )
        })
        .collect()
}

/// A config-less copy of the example app in its own repository, opened file by file with no
/// workspace folder: the project is found from the file as `pgvet check` finds it, code findings
/// come, a finding in the baseline does not, and the quick fixes give files `pgvet check`
/// accepts: the suppression above the statement that holds the SQL template (not inside it), and
/// the suggested migration as a new Supabase migration with CONCURRENTLY (the current Supabase
/// CLI sends it on its own, outside the file's transaction).
#[test]
fn the_language_server_finds_the_project_honours_the_baseline_and_its_fixes_hold() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    common::copy_dir(&common::repo().join("examples/workspace-app"), &app);
    assert!(!app.join("pgvet.toml").exists());
    assert!(Command::new("git").args(["init", "-q"]).current_dir(&app).status().unwrap().success());
    // The baseline holds one finding: the metrics upsert's key (store-provider.ts:16).
    let o = Command::new(env!("CARGO_BIN_EXE_pgvet")).args(["baseline", "."]).current_dir(&app).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let path = app.join(".pgvet-baseline.json");
    let mut b: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    b["findings"].as_array_mut().unwrap().retain(|e| {
        e["path"] == "src/store-provider.ts"
            && e["rule"] == "tenant-key-missing-tenant"
            && e["message"].as_str().unwrap().contains("org_studio_agent_metrics")
    });
    assert_eq!(b["findings"].as_array().unwrap().len(), 1, "{b:#}");
    std::fs::write(&path, serde_json::to_string_pretty(&b).unwrap()).unwrap();
    let before = check_json(&app);

    let cache = tempfile::tempdir().unwrap();
    let (mut child, mut to, mut from) = start(None, cache.path());
    let ts = app.join("src/store-provider.ts").canonicalize().unwrap();
    let ts_text = std::fs::read_to_string(&ts).unwrap();
    let tu = uri(&ts);
    send(
        &mut to,
        &json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": tu, "languageId": "typescript", "version": 1, "text": ts_text } } }),
    );
    let published = until(&mut from, |m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == tu.as_str());
    let diags = published["params"]["diagnostics"].as_array().unwrap().clone();
    let key: Vec<&Value> = diags.iter().filter(|d| d["code"] == "tenant-key-missing-tenant").collect();
    // Code findings without a pgvet.toml; the baselined one (line 16) is not among them.
    assert_eq!(key.len(), 1, "{published:#}");
    assert_eq!(key[0]["range"]["start"]["line"], 6, "{published:#}");
    assert!(diags.iter().all(|d| d["range"]["start"]["line"] != 15 || d["code"] != "tenant-key-missing-tenant"));

    // Suppress: a comment line above `await pool.query(` (line 5), not in the template literal.
    send(
        &mut to,
        &json!({ "jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction", "params": { "textDocument": { "uri": tu }, "range": key[0]["range"], "context": { "diagnostics": [key[0]] } } }),
    );
    let actions = until(&mut from, |m| m["id"] == 2);
    let suppress = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Suppress tenant-key-missing-tenant"))
        .unwrap_or_else(|| panic!("{actions:#}"))
        .clone();
    let edit = &suppress["edit"]["changes"][tu.as_str()][0];
    assert_eq!(edit["range"]["start"]["line"], 4, "{edit}");
    let comment = edit["newText"].as_str().unwrap().replace("<why this does not apply>", "one agent per workspace here");
    assert_eq!(comment, "  // pgvet-ignore tenant-key-missing-tenant: one agent per workspace here\n");
    std::fs::write(&ts, insert_at_line(&ts_text, 4, &comment)).unwrap();

    // The suggested migration for a foreign key without an index.
    let sql = app.join("supabase/migrations/20251110000000_automation_billing_blog.sql").canonicalize().unwrap();
    let sql_text = std::fs::read_to_string(&sql).unwrap();
    let su = uri(&sql);
    send(
        &mut to,
        &json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": su, "languageId": "sql", "version": 1, "text": sql_text } } }),
    );
    let published = until(&mut from, |m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == su.as_str());
    let fk = published["params"]["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "fk-missing-index").unwrap().clone();
    send(
        &mut to,
        &json!({ "jsonrpc": "2.0", "id": 3, "method": "textDocument/codeAction", "params": { "textDocument": { "uri": su }, "range": fk["range"], "context": { "diagnostics": [fk] } } }),
    );
    let actions = until(&mut from, |m| m["id"] == 3);
    let list = actions["result"].as_array().unwrap();
    // In SQL the suppression goes above the statement (CREATE TABLE), not inside it.
    let sup = list.iter().find(|a| a["title"].as_str().unwrap().starts_with("Suppress fk-missing-index")).unwrap();
    let line = sup["edit"]["changes"][su.as_str()][0]["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(sql_text.lines().nth(line).unwrap().starts_with("CREATE TABLE"), "{}", sql_text.lines().nth(line).unwrap());
    assert!(sup["edit"]["changes"][su.as_str()][0]["newText"].as_str().unwrap().starts_with("-- pgvet-ignore fk-missing-index: "));
    let add = list.iter().find(|a| a["title"].as_str().unwrap().starts_with("Add the suggested migration")).unwrap();
    let changes = add["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(changes[0]["kind"], "create");
    let created = uri_path(changes[0]["uri"].as_str().unwrap());
    let name = created.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(created.parent().unwrap(), app.join("supabase/migrations").canonicalize().unwrap());
    assert!(
        name.len() > 15 && name[..14].bytes().all(|b| b.is_ascii_digit()) && name[14..].starts_with('_') && name.ends_with(".sql"),
        "{name}"
    );
    let text = changes[1]["edits"][0]["newText"].as_str().unwrap();
    assert!(text.starts_with("CREATE INDEX CONCURRENTLY "), "{text}");
    std::fs::write(&created, text).unwrap();

    send(&mut to, &json!({ "jsonrpc": "2.0", "id": 9, "method": "shutdown" }));
    until(&mut from, |m| m["id"] == 9);
    send(&mut to, &json!({ "jsonrpc": "2.0", "method": "exit" }));
    let drain = std::thread::spawn(move || std::io::copy(&mut from, &mut std::io::sink()));
    assert!(child.wait().unwrap().success());
    let _ = drain.join();

    // `pgvet check` accepts both: the suppressed finding and one unindexed foreign key are gone;
    // nothing new but info-level advice on building the index (no syntax or migration error, no
    // warning, no unused suppression).
    let after = check_json(&app);
    let new: Vec<_> = after.iter().filter(|a| !before.iter().any(|b| b.0 == a.0 && b.3 == a.3)).collect();
    assert!(
        new.iter().all(|d| d.3.starts_with("info: ")
            && d.1.ends_with("_pgvet_fk_missing_index.sql")
            && ["index-build-blocks-writes", "lock-timeout-missing", "statement-timeout-missing", "concurrent-index-not-repeatable"]
                .contains(&d.0.as_str())),
        "new findings after the quick fixes: {new:#?}"
    );
    let count = |v: &[(String, String, u64, String)], rule: &str| v.iter().filter(|d| d.0 == rule).count();
    assert_eq!(count(&after, "fk-missing-index"), count(&before, "fk-missing-index") - 1);
    assert_eq!(count(&after, "tenant-key-missing-tenant"), count(&before, "tenant-key-missing-tenant") - 1);
    assert!(after.iter().all(|d| d.0 != "syntax-error" && d.0 != "unparsed-source"), "{after:#?}");
}

fn uri_path(u: &str) -> PathBuf {
    let rest = u.strip_prefix("file://").unwrap();
    let mut out = Vec::new();
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&rest[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    PathBuf::from(String::from_utf8(out).unwrap())
}
