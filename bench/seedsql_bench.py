#!/usr/bin/env python3
"""Benchmark the seedsql fixture against its fixed twin.

For each size N, in a fresh temporary directory, both packages run the same
workload: create ``t (id INTEGER PRIMARY KEY, name TEXT, score INTEGER)``,
insert N rows (``workload.load``), then look every row up by primary key in
shuffled order (``workload.lookup_all``, i.e. ``SELECT * FROM t WHERE id = ?``).
The script checks that both twins return identical rows and prints timings, and beside
each measured slowdown the slowdown perflint estimates statically: it scans the buggy twin
with ``loop-trips`` = N (the loops over rows and the table's size), sums the estimated time
its findings waste per call of ``workload.load`` / ``workload.lookup_all`` (each at the
frequency that entry point reaches it), and divides (fixed time + that) by the fixed time.
A cProfile of each phase (perflint's measured-heat join, issue 14) drops the findings in
functions that phase never runs: the call graph alone cannot tell an INSERT from a SELECT
inside ``Session.execute`` (``--static-only`` shows that estimate).

Usage::

    python bench/seedsql_bench.py [--sizes 200,1000,4000] [--seed 1]

This is a script, not a test; it only needs the standard library.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from types import ModuleType
from typing import Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE_ROOT = os.path.join(os.path.dirname(HERE), "fixtures", "seedsql")
sys.path.insert(0, FIXTURE_ROOT)

import seedsql  # noqa: E402  (buggy twin)
import seedsql_fixed  # noqa: E402  (fixed twin)
from seedsql import workload as slow_workload  # noqa: E402
from seedsql_fixed import workload as fast_workload  # noqa: E402

TWINS: Tuple[Tuple[str, ModuleType, ModuleType], ...] = (
    ("slow", seedsql, slow_workload),
    ("fixed", seedsql_fixed, fast_workload),
)

Row = Tuple[object, ...]


def make_rows(count: int) -> List[Tuple[int, str, int]]:
    return [(i, "user-" + str(i).zfill(6), (i * 7919) % 1000) for i in range(1, count + 1)]


def run_workload(package: ModuleType, workload: ModuleType, path: str,
                 rows: Sequence[Tuple[int, str, int]], ids: Sequence[int]):
    """Return (insert seconds, lookup seconds, lookup results)."""
    session = package.connect(path)
    try:
        workload.create_schema(session)
        start = time.perf_counter()
        workload.load(session, rows)
        insert_s = time.perf_counter() - start
        start = time.perf_counter()
        results = workload.lookup_all(session, ids)
        lookup_s = time.perf_counter() - start
    finally:
        session.close()
    return insert_s, lookup_s, results


def sanity_queries(package: ModuleType, path: str, ids: Sequence[int]) -> List[List[Row]]:
    """A few other queries on a reopened database (persistence + planner paths)."""
    session = package.connect(path)
    try:
        probe = list(ids[:20]) + [0, -5, len(ids) + 1]
        return [
            session.execute("SELECT * FROM t"),
            session.execute("SELECT id, name FROM t WHERE score = ?", (17,)),
            session.execute("SELECT name FROM t WHERE name = ?", ("user-" + "1".zfill(6),)),
            session.execute("SELECT score FROM t WHERE rowid = 3"),
        ] + [session.execute("SELECT name, id FROM t WHERE id = ?", (i,)) for i in probe]
    finally:
        session.close()


def bench_size(size: int, seed: int) -> Dict[str, float]:
    rows = make_rows(size)
    ids = [row[0] for row in rows]
    random.Random(seed).shuffle(ids)
    timings: Dict[str, float] = {}
    lookups: Dict[str, List[List[Row]]] = {}
    sanity: Dict[str, List[List[Row]]] = {}
    with tempfile.TemporaryDirectory(prefix="seedsql-bench-") as tmp:
        for label, package, workload in TWINS:
            path = os.path.join(tmp, label + ".db")
            insert_s, lookup_s, results = run_workload(package, workload, path, rows, ids)
            timings[label + "_insert"] = insert_s
            timings[label + "_lookup"] = lookup_s
            lookups[label] = results
            sanity[label] = sanity_queries(package, path, ids)
    expected = {row[0]: [row] for row in rows}
    assert lookups["fixed"] == [expected[i] for i in ids], "fixed twin returned wrong rows"
    assert lookups["slow"] == lookups["fixed"], "twins disagree on primary-key lookups"
    assert sanity["slow"] == sanity["fixed"], "twins disagree on sanity queries"
    assert sanity["fixed"][0] == rows, "full scan does not return every row in id order"
    return timings


def profiled(size: int) -> Dict[str, str]:
    """cProfile files of the buggy twin's two workload phases (load, lookup_all) at this size."""
    import cProfile

    rows = make_rows(size)
    ids = [row[0] for row in rows]
    out: Dict[str, str] = {}
    folder = tempfile.mkdtemp(prefix="seedsql-profile-")
    session = seedsql.connect(os.path.join(folder, "p.db"))
    try:
        slow_workload.create_schema(session)
        for entry, call in (("load", lambda: slow_workload.load(session, rows)),
                            ("lookup_all", lambda: slow_workload.lookup_all(session, ids))):
            profiler = cProfile.Profile()
            profiler.enable()
            call()
            profiler.disable()
            out[entry] = os.path.join(folder, entry + ".pstats")
            profiler.dump_stats(out[entry])
    finally:
        session.close()
    return out


def estimate(size: int, profiles: Optional[Dict[str, str]] = None) -> Dict[str, Tuple[float, list]]:
    """perflint's static estimate: seconds wasted per call of each workload entry point; with
    `profiles`, only findings in functions the profile of that phase saw run (issue 14's join)."""
    from pathlib import Path

    from perflint.config import CONFIDENCE_FACTORS, Config
    from perflint.engine import scan
    from perflint.hotpaths import time_from
    from perflint.measured import build_index
    from perflint.profiles import load_profile

    root = Path(FIXTURE_ROOT)
    config = Config(root=root, loop_trips=float(size), min_severity="note")
    run = scan([root / "seedsql"], config, jobs=1)
    modules = {s.path: s.module for s in run.summaries}
    out = {}
    for entry in ("load", "lookup_all"):
        fid = next(f for f in run.program.functions if f.endswith("workload." + entry))
        ran = None
        if profiles is not None:
            index = build_index([load_profile(Path(profiles[entry]))], run.program, root)
            ran = set(index.times)
        out[entry] = time_from(run.program, modules, run.result.findings, fid, CONFIDENCE_FACTORS, ran)
    return out


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000,4000",
                        help="comma-separated row counts (default: 200,1000,4000)")
    parser.add_argument("--seed", type=int, default=1, help="shuffle seed for lookup order")
    parser.add_argument("--static-only", action="store_true",
                        help="estimate without profiling the workload (every finding the entry point reaches counts)")
    args = parser.parse_args(list(argv) or None)
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]

    header = ("size", "slow insert s", "fixed insert s", "insert ratio", "perflint est.",
              "slow lookup s", "fixed lookup s", "lookup ratio", "perflint est.")
    print(" | ".join(header))
    print(" | ".join("-" * len(name) for name in header))
    lookup_ratios = []
    details = []
    for size in sizes:
        t = bench_size(size, args.seed)
        est = estimate(size, None if args.static_only else profiled(size))
        insert_ratio = t["slow_insert"] / t["fixed_insert"]
        lookup_ratio = t["slow_lookup"] / t["fixed_lookup"]
        # The estimate is per call of the entry point; the workload calls each once with N rows.
        est_insert = (t["fixed_insert"] + est["load"][0]) / t["fixed_insert"]
        est_lookup = (t["fixed_lookup"] + est["lookup_all"][0]) / t["fixed_lookup"]
        lookup_ratios.append(lookup_ratio)
        cells = (str(size), "%.3f" % t["slow_insert"], "%.3f" % t["fixed_insert"],
                 "%.1fx" % insert_ratio, "%.1fx" % est_insert, "%.3f" % t["slow_lookup"],
                 "%.3f" % t["fixed_lookup"], "%.1fx" % lookup_ratio, "%.1fx" % est_lookup)
        print(" | ".join(cell.rjust(len(name)) for cell, name in zip(cells, header)), flush=True)
        details.append((size, est, insert_ratio / est_insert, lookup_ratio / est_lookup))
    for size, est, off_insert, off_lookup in details:
        print(f"\nN={size}: measured/estimated = {off_insert:.2f} (insert), {off_lookup:.2f} (lookup)")
        for entry, (seconds, sites) in est.items():
            parts = ", ".join(f"{f.rule} {s:.4f}s" for f, s in sites)
            print(f"  {entry}: estimated {seconds:.3f} s wasted per call: {parts}")
    print("results identical for both twins at every size")
    if len(lookup_ratios) > 1 and lookup_ratios != sorted(lookup_ratios):
        print("warning: lookup ratio did not grow with size", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
