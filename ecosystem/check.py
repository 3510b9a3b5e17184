#!/usr/bin/env python3
"""Ecosystem check (after ruff's ecosystem check and mypy_primer): run pgvet zero-config over real
repositories at pinned commits and record, per project, the databases found, the files read, the
findings per rule, the time and the peak memory; compare with the last committed summary; and,
with the triage ledger, compute the precision of each rule.

    python3 ecosystem/check.py --cache ~/.cache/pgvet-ecosystem [--pgvet target/release/pgvet]
                               [--write]   # update ecosystem/summary.json

The repositories' sources live in the cache (cloned there when missing and `git` can reach them;
or put checkouts there as `<cache>/<name>` at the pinned commit). They are never committed. CI
does not run this.

Triage ledger (ecosystem/triage.tsv): one finding per line, `fingerprint<TAB>verdict<TAB>reason`,
verdict `true` (a real bug), `false` (a false positive) or `advisory` (true, but a hint rather than
a bug). A fingerprint is `rule:project:file:sha1(message)[:12]`: it survives line moves.
"""
import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def corpus():
    for line in (HERE / "corpus.tsv").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            repo, commit = line.split("\t")[:2]
            yield repo, commit


def checkout(cache: Path, repo: str, commit: str) -> Path:
    name = repo.split("/")[1]
    d = cache / name
    if not d.exists():
        subprocess.run(["git", "clone", "--quiet", f"https://github.com/{repo}", str(d)], check=True)
        subprocess.run(["git", "-C", str(d), "checkout", "--quiet", commit], check=True)
    return d


def fingerprint(project: str, d: dict, root: Path) -> str:
    file = d["location"]["file"]
    try:
        file = str(Path(file).resolve().relative_to(root.resolve()))
    except ValueError:
        pass
    digest = hashlib.sha1(d["message"].encode()).hexdigest()[:12]
    return f"{d['rule']}:{project}:{file}:{digest}"


def run(pgvet: str, project: str, root: Path):
    # GNU time gives this run's peak memory; without it, the children's maximum so far.
    with tempfile.NamedTemporaryFile("r") as mem:
        timer = ["/usr/bin/time", "-f", "%M", "-o", mem.name] if Path("/usr/bin/time").exists() else []
        t = time.monotonic()
        p = subprocess.run(timer + [pgvet, "check", str(root), "--format", "json"], capture_output=True, text=True)
        elapsed = time.monotonic() - t
        measured = mem.read().strip().splitlines()
    last = measured[-1] if measured else ""
    peak_kb = int(last) if last.isdigit() else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if p.returncode == 2 or not p.stdout.strip():
        return {"error": p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}", "seconds": round(elapsed, 2)}, []
    doc = json.loads(p.stdout)
    diags = doc["diagnostics"]
    files = {d["location"]["file"] for d in diags}
    summary = {
        "databases": [{k: db[k] for k in ("path", "layout", "migrations", "not_replayed") if k in db} for db in doc["summary"].get("databases", [])],
        "files": doc["summary"]["files"],
        "statements": doc["summary"]["statements"],
        "findings": dict(sorted(Counter(d["rule"] for d in diags).items())),
        "seconds": round(elapsed, 2),
        "peak_mb": round(peak_kb / 1024),
    }
    return summary, [(fingerprint(project, d, root), d) for d in diags]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True, type=Path)
    ap.add_argument("--pgvet", default=str(HERE.parent / "target/release/pgvet"))
    ap.add_argument("--write", action="store_true", help="update ecosystem/summary.json")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    summary, findings = {}, []
    for repo, commit in corpus():
        name = repo.split("/")[1]
        root = checkout(args.cache, repo, commit)
        s, f = run(args.pgvet, name, root)
        summary[name] = s
        findings.extend(f)
        print(f"{name}: {json.dumps(s)}", file=sys.stderr)
    # Against the last committed summary.
    old_path = HERE / "summary.json"
    old = json.loads(old_path.read_text()) if old_path.exists() else {}
    for name, s in summary.items():
        o = old.get(name, {})
        for rule in sorted(set(s.get("findings", {})) | set(o.get("findings", {}))):
            a, b = o.get("findings", {}).get(rule, 0), s.get("findings", {}).get(rule, 0)
            if a != b:
                print(f"{name}: {rule} {a} -> {b}")
        if [d["path"] for d in o.get("databases", [])] != [d["path"] for d in s.get("databases", [])]:
            print(f"{name}: databases {o.get('databases')} -> {s.get('databases')}")
    # Precision per rule from the ledger.
    ledger = {}
    ledger_path = HERE / "triage.tsv"
    if ledger_path.exists():
        for line in ledger_path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                fp, verdict = line.split("\t")[:2]
                ledger[fp] = verdict
    by_rule = defaultdict(Counter)
    for fp, d in findings:
        by_rule[d["rule"]][ledger.get(fp, "untriaged")] += 1
    print("\nrule: findings, true / false / advisory / untriaged, precision of the triaged")
    for rule, c in sorted(by_rule.items()):
        judged = c["true"] + c["false"] + c["advisory"]
        precision = f"{(c['true'] + c['advisory']) / judged:.0%}" if judged else "-"
        print(f"{rule}: {sum(c.values())}, {c['true']} / {c['false']} / {c['advisory']} / {c['untriaged']}, {precision}")
    if args.write:
        old_path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
