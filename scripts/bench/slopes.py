#!/usr/bin/env python3
"""How pgvet's time and memory grow with its input (issue 25): a benchmark, not a timed test.

Generates synthetic projects under a scratch directory (never committed):

  ddl-<S>mb      one migration of S MB of small DDL statements (CREATE TABLE, CREATE INDEX,
                 ALTER TABLE ... ADD COLUMN)
  insert-<S>mb   one migration: a CREATE TABLE, then S MB of one-row INSERTs
  history-<N>    N migration files of a few DDL statements each, every one also changing a table
                 of an earlier file (so lock rules and foreign-key rules have work)

each as a `migrations/` directory that `pgvet check <dir>` discovers. Then runs `pgvet check`
(with `--format json`, and with the default text output) on every input, several times and
interleaved (every repetition visits every input and tool once, so a noisy neighbour spreads over
all of them), and prints per input the median wall time and the largest max RSS, and per series
the log-log slope (least squares) of the median time against the input size: 1.0 is linear.
With `--squawk PATH` squawk runs interleaved on the same files (`--reporter json`, and its
default reporter).

    python3 scripts/bench/slopes.py --pgvet target/release/pgvet [--squawk PATH] \
        [--pgvet before=OTHER_BUILD] [--sizes 1,2,4] [--histories 100,200,400,800,1600] [--reps 5]
        [--dir /tmp/pgvet-bench]
"""
import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

MB = 1 << 20


def gen_ddl(path: Path, size: int):
    """Small DDL statements up to `size` bytes."""
    with open(path, "w") as f:
        n = 0
        written = 0
        while written < size:
            s = (
                f"CREATE TABLE t_{n} (id bigint PRIMARY KEY, v text);\n"
                f"CREATE INDEX t_{n}_v ON t_{n} (v);\n"
                f"ALTER TABLE t_{n} ADD COLUMN w integer;\n"
            )
            f.write(s)
            written += len(s)
            n += 1


def gen_insert(path: Path, size: int):
    """One table, then one-row INSERTs up to `size` bytes."""
    with open(path, "w") as f:
        head = "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty integer);\n"
        f.write(head)
        written = len(head)
        n = 0
        while written < size:
            s = f"INSERT INTO items (id, name, qty) VALUES ({n}, 'item {n}', {n % 97});\n"
            f.write(s)
            written += len(s)
            n += 1


def gen_history(d: Path, n: int):
    """`n` migrations of a few DDL statements each."""
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        stmts = [
            f"CREATE TABLE t_{i} (id bigint PRIMARY KEY, parent_id bigint, name text NOT NULL, created_at timestamptz DEFAULT now());",
            f"CREATE INDEX t_{i}_name ON t_{i} (name);",
        ]
        if i > 0:
            stmts.append(f"ALTER TABLE t_{i} ADD CONSTRAINT t_{i}_parent_fk FOREIGN KEY (parent_id) REFERENCES t_{i - 1} (id);")
            stmts.append(f"ALTER TABLE t_{i - 1} ADD COLUMN note_{i} text;")
        (d / f"{i + 1:06d}_step_{i}.sql").write_text("\n".join(stmts) + "\n")


def generate(root: Path, sizes, histories):
    """The inputs: (series, x, project dir, list of sql files)."""
    inputs = []
    for kind, gen in (("ddl", gen_ddl), ("insert", gen_insert)):
        for s in sizes:
            proj = root / f"{kind}-{s:g}mb"
            mig = proj / "migrations"
            f = mig / "0001_big.sql"
            if not f.exists() or f.stat().st_size < s * MB:
                mig.mkdir(parents=True, exist_ok=True)
                gen(f, int(s * MB))
            inputs.append((kind, s, proj, [f]))
    for n in histories:
        proj = root / f"history-{n}"
        mig = proj / "migrations"
        if not mig.exists() or len(list(mig.iterdir())) != n:
            gen_history(mig, n)
        inputs.append(("history", n, proj, sorted(mig.iterdir())))
    return inputs


def run(cmd, timeout):
    """Wall seconds and max RSS (KiB) of one run."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _, status, ru = os.wait4(p.pid, 0)
    except BaseException:
        p.kill()
        raise
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if dt > timeout:
        print(f"  (slow: {dt:.1f}s) {' '.join(map(str, cmd))}", file=sys.stderr)
    return dt, ru.ru_maxrss


def slope(points):
    """Least-squares slope of log(time) against log(size)."""
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pgvet", action="append", help="a pgvet binary, or LABEL=PATH (repeatable: builds compared interleaved)")
    ap.add_argument("--squawk")
    ap.add_argument("--sizes", default="1,2,4", help="MB of one migration file")
    ap.add_argument("--histories", default="100,200,400,800,1600", help="numbers of migration files")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--dir", default="/tmp/pgvet-bench")
    ap.add_argument("--only", help="comma-separated series to run: ddl, insert, history")
    ap.add_argument("--no-text", action="store_true", help="skip the default text output (of pgvet and squawk)")
    args = ap.parse_args()
    sizes = [float(s) for s in args.sizes.split(",") if s]
    histories = [int(n) for n in args.histories.split(",") if n]
    root = Path(args.dir)
    inputs = generate(root, sizes, histories)
    if args.only:
        keep = set(args.only.split(","))
        inputs = [i for i in inputs if i[0] in keep]

    tools = {}
    for i, spec in enumerate(args.pgvet or ["target/release/pgvet"]):
        label, _, path = spec.rpartition("=")
        label = label or ("pgvet" if i == 0 else f"pgvet{i + 1}")
        tools[f"{label} json"] = lambda proj, files, path=path: [path, "check", "--format", "json", str(proj)]
        if not args.no_text and i == 0:
            tools[f"{label} text"] = lambda proj, files, path=path: [path, "check", str(proj)]
    if args.squawk:
        tools["squawk json"] = lambda proj, files: [args.squawk, "--reporter", "json", *map(str, files)]
        if not args.no_text:
            tools["squawk text"] = lambda proj, files: [args.squawk, *map(str, files)]

    results = {}  # (tool, series, x) -> [(t, rss)]
    for rep in range(args.reps):
        for series, x, proj, files in inputs:
            for tool, cmd in tools.items():
                results.setdefault((tool, series, x), []).append(run(cmd(proj, files), 600))
        print(f"repetition {rep + 1}/{args.reps} done", file=sys.stderr)

    print(f"| series | size | {' | '.join(f'{t} s | {t} MiB' for t in tools)} |")
    print("|---|---:|" + "---:|---:|" * len(tools))
    for series, x, _, _ in inputs:
        unit = "MB" if series != "history" else " files"
        cells = []
        for tool in tools:
            r = results[(tool, series, x)]
            cells.append(f"{statistics.median(t for t, _ in r):.3f}")
            cells.append(f"{max(m for _, m in r) / 1024:.0f}")
        print(f"| {series} | {x:g}{unit} | {' | '.join(cells)} |")
    print()
    print("log-log slope of the median time (1.0 = linear):")
    for series in dict.fromkeys(i[0] for i in inputs):
        xs = [x for s, x, _, _ in inputs if s == series]
        if len(xs) < 2:
            continue
        line = []
        for tool in tools:
            pts = [(x, statistics.median(t for t, _ in results[(tool, series, x)])) for x in xs]
            mem = [(x, max(m for _, m in results[(tool, series, x)])) for x in xs]
            line.append(f"{tool} {slope(pts):.2f} (memory {slope(mem):.2f})")
        print(f"  {series}: " + "; ".join(line))
        if series == "history":
            lo, hi = xs[0], xs[-1]
            per = [
                f"{tool} {(max(m for _, m in results[(tool, series, hi)]) - max(m for _, m in results[(tool, series, lo)])) / (hi - lo):.1f}"
                for tool in tools
            ]
            print(f"  max RSS per migration (KiB, {lo} to {hi} files): " + "; ".join(per))


if __name__ == "__main__":
    main()
