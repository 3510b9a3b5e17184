#!/usr/bin/env python3
"""Ecosystem check (after ruff's ecosystem check and mypy_primer): run pgvet zero-config over real
repositories at pinned commits and record, per project, the databases found, the files read, the
findings per rule, the time and the peak memory; compare with the last committed summary; and,
with the triage ledger, compute the precision of each rule.

    python3 ecosystem/check.py --cache ~/.cache/pgvet-ecosystem [--pgvet target/release/pgvet]
                               [--write]   # update ecosystem/summary.json
    python3 ecosystem/check.py --cache ~/.cache/pgvet-ecosystem --oracle [--only a,b] [--write]
                               # grade pgvet against a real PostgreSQL (`pgvet oracle`) on every
                               # project: per rule TP/FP/FN, precision and recall, and what changed
                               # against ecosystem/oracle.json (--write updates it)

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
    # A checkout made from a mirror (git archive) records its commit here.
    marker = d / ".pgvet-commit"
    if marker.exists() and marker.read_text().strip() != commit:
        print(f"{name}: the checkout is at {marker.read_text().strip()}, the corpus pins {commit}", file=sys.stderr)
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


RULES = ["unknown-relation", "unknown-column", "unknown-function", "on-conflict-no-unique-index", "syntax-error", "migration-error", "fk-missing-index"]


def grade(pgvet: str, name: str, root: Path, timeout: int):
    t = time.monotonic()
    try:
        p = subprocess.run([pgvet, "oracle", str(root), "--format", "json"], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return name, {"error": f"timed out after {timeout} s"}
    seconds = round(time.monotonic() - t, 1)
    if p.returncode != 0 or not p.stdout.strip():
        last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"
        return name, {"error": last, "seconds": seconds}
    doc = json.loads(p.stdout)
    doc["seconds"] = seconds
    return name, doc


def ratio(a, b):
    return f"{a / b:.1%}" if b else "-"


def oracle(args):
    from concurrent.futures import ThreadPoolExecutor

    only = set(args.only.split(",")) if args.only else None
    jobs = []
    for repo, commit in corpus():
        name = repo.split("/")[1]
        if only and name not in only:
            continue
        jobs.append((name, checkout(args.cache, repo, commit)))
    results = {}
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, doc in pool.map(lambda j: grade(args.pgvet, j[0], j[1], args.timeout), jobs):
            results[name] = doc
            if "error" in doc:
                print(f"{name}: {doc['error']}", file=sys.stderr)
            else:
                print(f"{name}: graded in {doc['seconds']} s", file=sys.stderr)
    # The summary kept: per project and database, the grades and the catalog verdict; the
    # disagreements of each, for reading.
    summary = {}
    for name, doc in sorted(results.items()):
        if "error" in doc:
            summary[name] = {"error": doc["error"]}
            continue
        summary[name] = {
            "seconds": doc["seconds"],
            "databases": [
                {
                    "database": d["database"],
                    "layout": d["layout"],
                    "migrations": d["migrations"],
                    "replayed_completely": d["replayed_completely"],
                    "server_rejections": d["server_rejections"],
                    "catalog_differences": len(d["catalog_differences"]),
                    "explained_differences": d["explained_differences"],
                    "statements": d["statements"],
                    "functions": d["functions"],
                    "foreign_keys": d["foreign_keys"],
                    "grades": d["grades"],
                    "disagreements": d["disagreements"],
                    "catalog": d["catalog_differences"],
                    "notes": d["notes"],
                }
                for d in doc["databases"]
            ],
        }
    totals = {r: {"tp": 0, "fp": 0, "fn": 0, "withheld": 0} for r in RULES}
    complete_totals = {r: {"tp": 0, "fp": 0, "fn": 0, "withheld": 0} for r in RULES}
    print(f"\n{'project':<16} " + " ".join(f"{r[:14]:>16}" for r in RULES))
    for name, s in summary.items():
        if "error" in s:
            print(f"{name:<16} error: {s['error']}")
            continue
        per = {r: {"tp": 0, "fp": 0, "fn": 0, "withheld": 0} for r in RULES}
        for d in s["databases"]:
            for r in RULES:
                g = d["grades"].get(r, {})
                for k in per[r]:
                    per[r][k] += g.get(k, 0)
                    totals[r][k] += g.get(k, 0)
                    if d["replayed_completely"]:
                        complete_totals[r][k] += g.get(k, 0)
        print(f"{name:<16} " + " ".join(f"{per[r]['tp']:>6}/{per[r]['fp']:>3}/{per[r]['fn']:>4}" for r in RULES))
    print("\n(TP/FP/FN per rule)\n")
    for label, tt in (("all projects", totals), ("projects the server replays completely", complete_totals)):
        print(f"{label}:")
        for r in RULES:
            g = tt[r]
            print(f"  {r:<30} TP {g['tp']:>5}  FP {g['fp']:>4}  FN {g['fn']:>5} (withheld {g['withheld']})  precision {ratio(g['tp'], g['tp'] + g['fp']):>7}  recall {ratio(g['tp'], g['tp'] + g['fn']):>7}")
    # Against the last committed run.
    path = HERE / "oracle.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    for name, s in summary.items():
        o = old.get("projects", {}).get(name)
        if not o or "error" in s or "error" in o:
            continue
        for d, od in zip(s["databases"], o.get("databases", [])):
            for r in RULES:
                a, b = od.get("grades", {}).get(r, {}), d["grades"].get(r, {})
                changes = [f"{k} {a.get(k, 0)} -> {b.get(k, 0)}" for k in ("tp", "fp", "fn") if a.get(k, 0) != b.get(k, 0)]
                if changes:
                    print(f"{name} {d['database']}: {r}: " + ", ".join(changes))
            if od.get("catalog_differences") != d["catalog_differences"]:
                print(f"{name} {d['database']}: catalog differences {od.get('catalog_differences')} -> {d['catalog_differences']}")
    if args.write:
        doc = {"totals": totals, "totals_complete_replays": complete_totals, "projects": summary}
        path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True, type=Path)
    ap.add_argument("--pgvet", default=str(HERE.parent / "target/release/pgvet"))
    ap.add_argument("--write", action="store_true", help="update ecosystem/summary.json (with --oracle: ecosystem/oracle.json)")
    ap.add_argument("--oracle", action="store_true", help="grade pgvet against a real PostgreSQL on every project")
    ap.add_argument("--only", help="comma-separated project names")
    ap.add_argument("--jobs", type=int, default=2, help="projects graded at once (--oracle)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per project (--oracle)")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.oracle:
        return oracle(args)
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
