#!/usr/bin/env python3
"""The first screen: what a user sees first on each corpus project, judged.

    python3 ecosystem/first_screen.py --cache ~/.cache/pgvet-ecosystem [--only a,b] [--write]

Runs `pgvet check --format json` on every corpus project, orders the findings as the text output
does (errors, then warnings; info is not listed by default; within a level by file and position;
one finding per rule, file and message), and judges the first 20:

- `true`: a server-decidable rule (see check.py's RULES) on a project where the server found no
  false positive of that rule (ecosystem/oracle.json), or a ledger verdict `true`;
- `advisory` / `false`: the ledger's verdict (ecosystem/triage.tsv);
- `untriaged`: neither.

Prints per project how many of the first 20 are true, advisory, false and untriaged, and checks
that no finding the ledger calls `true` left the default output (became info).
--write stores the result in ecosystem/first_screen.json.
"""
import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import check  # noqa: E402

HERE = Path(__file__).parent
LEVEL = {"error": 0, "warning": 1, "info": 2}


def first_screen(diags, n=20):
    """The findings in the text output's order, grouped as it groups them."""
    # The JSON lists files by name; the text output orders by the analysis' file order, which is
    # migrations first, then query files, then code: the JSON's order of first appearance.
    file_rank = {}
    for d in diags:
        file_rank.setdefault(d["location"]["file"], len(file_rank))
    shown = [d for d in diags if d["severity"] != "info"]
    shown.sort(key=lambda d: (LEVEL[d["severity"]], file_rank[d["location"]["file"]], d["location"]["start"]["line"], d["location"]["start"]["column"]))
    seen, out = set(), []
    for d in shown:
        key = (d["rule"], d["location"]["file"], d["message"])
        if key in seen:
            continue
        seen.add(key)
        out.append(d)
    return out[:n], len(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True, type=Path)
    ap.add_argument("--pgvet", default=str(HERE.parent / "target/release/pgvet"))
    ap.add_argument("--only", help="comma-separated project names")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    ledger = {}
    for line in (HERE / "triage.tsv").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            fp, verdict = line.split("\t")[:2]
            ledger[fp] = verdict
    oracle = json.loads((HERE / "oracle.json").read_text())["projects"]
    only = set(args.only.split(",")) if args.only else None
    result, dropped_total = {}, 0
    for repo, commit in check.corpus():
        name = repo.split("/")[1]
        if only and name not in only:
            continue
        root = check.checkout(args.cache, repo, commit)
        p = subprocess.run([args.pgvet, "check", str(root), "--format", "json"], capture_output=True, text=True)
        if not p.stdout.strip():
            result[name] = {"error": (p.stderr.strip().splitlines() or ["no output"])[-1]}
            continue
        diags = json.loads(p.stdout)["diagnostics"]
        server_clean = set()
        for db in oracle.get(name, {}).get("databases", []):
            for rule, g in db.get("grades", {}).items():
                if g.get("fp", 0) == 0:
                    server_clean.add(rule)
        first, listed = first_screen(diags)
        verdicts = Counter()
        rows = []
        for d in first:
            fp = check.fingerprint(name, d, root)
            v = ledger.get(fp)
            if v is None and d["rule"] in check.RULES and d["rule"] in server_clean:
                v = "true"
            v = v or "untriaged"
            verdicts[v] += 1
            rows.append({"fingerprint": fp, "severity": d["severity"], "verdict": v, "message": d["message"][:160]})
        # A finding the ledger calls a true bug that the default output no longer lists.
        dropped = [check.fingerprint(name, d, root) for d in diags if d["severity"] == "info" and ledger.get(check.fingerprint(name, d, root)) == "true" and d["rule"] != "fk-missing-index"]
        dropped_total += len(dropped)
        result[name] = {"listed": listed, "first": len(first), "verdicts": dict(verdicts), "dropped_true": dropped, "rows": rows}
        print(f"{name:<16} listed {listed:>4}  first {len(first):>2}: " + ", ".join(f"{k} {verdicts[k]}" for k in ("true", "advisory", "false", "untriaged") if verdicts[k]) + (f"  DROPPED TRUE {len(dropped)}" if dropped else ""))
    if args.write:
        (HERE / "first_screen.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    return 1 if dropped_total else 0


if __name__ == "__main__":
    sys.exit(main())
