//! Collects each rule's user documentation (the `//!` doc comment of `src/rules/<id>.rs`) so
//! `pgvet rule <id>` can print it: the doc comment is the single source of a rule's docs.
use std::fmt::Write;

fn main() {
    let dir = std::path::Path::new("src/rules");
    println!("cargo:rerun-if-changed=src/rules");
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("src/rules").flatten().map(|e| e.path()).collect();
    entries.sort();
    let mut out = String::from("/// (rule id, markdown docs) for every rule file.\npub static RULE_DOCS: &[(&str, &str)] = &[\n");
    for path in entries {
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else { continue };
        if stem == "mod" || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("rule file");
        let doc: Vec<&str> = text
            .lines()
            .take_while(|l| l.starts_with("//!") || l.trim().is_empty())
            .filter_map(|l| l.strip_prefix("//!"))
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        let _ = writeln!(out, "    ({:?}, {:?}),", stem.replace('_', "-"), doc.join("\n").trim());
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("rule_docs.rs");
    std::fs::write(dest, out).unwrap();
}
