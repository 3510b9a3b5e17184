//! `pgvet lsp` driven by a scripted client over stdio: open a migration of the example project,
//! receive its fk-missing-index diagnostic (code, link to the docs), ask for its quick fixes,
//! edit the file in the editor (unsaved) and see the finding go, then shut down.
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

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
    let d = fk[0];
    assert_eq!(d["source"], "pgvet");
    assert_eq!(d["severity"], 2);
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
