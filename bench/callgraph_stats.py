#!/usr/bin/env python
"""Call-graph figures for a project (a script, not a test): edges by kind, the share of call
sites resolved, entry points by role, phase timings, and the hottest traces.

    python bench/callgraph_stats.py PATH [--traces N] [--json]

Works with older perflint versions too (edges without a kind count as exact), so the same
script gives the before and after figures in docs/how-it-works.md. The denominator, call
expressions in the source, is counted with `ast` (parsed, never executed).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path


def count_calls(files) -> int:
    total = 0
    for file in files:
        try:
            tree = ast.parse(file.path.read_bytes())
        except (SyntaxError, ValueError):
            continue
        total += sum(1 for node in ast.walk(tree) if isinstance(node, ast.Call))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--traces", type=int, default=0, help="print the N hottest roots' chains")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from perflint.config import Config
    from perflint.discovery import discover
    from perflint.engine import scan

    root = Path(args.path).resolve()
    os.chdir(root)
    config = replace(Config(), root=root, min_severity="note")
    start = time.perf_counter()
    run = scan([Path(".")], config)
    wall = time.perf_counter() - start
    program = run.program
    files = discover([Path(".")], root=root, test_patterns=config.test_patterns)
    calls = count_calls(files)
    sites = set()
    kinds: Counter = Counter()
    pairs = set()
    for caller in program.edges:
        for edge in program.edges[caller]:
            kinds[getattr(edge, "kind", "exact")] += 1
            pairs.add((edge.caller, edge.callee))
            sites.add(id(edge.site))
    call_sites = {id(s) for _, fn in program.functions.values() for s in fn.calls}
    resolved = len(sites & call_sites)
    roles = Counter(r.id for r in getattr(program, "roles", {}).values())
    hot_roots = sum(1 for fid in program.functions if program.heat.get(fid, 1) > 1 and fid not in program.pred)
    phases = run.timings.phases
    figures = {
        "files": len(files), "functions": len(program.functions), "call expressions": calls,
        "call sites resolved": resolved, "share resolved": round(resolved / calls, 3) if calls else 0.0,
        "edges": sum(kinds.values()), "distinct caller-callee pairs": len(pairs),
        "edges by kind": dict(sorted(kinds.items())), "entry points by role": dict(sorted(roles.items())),
        "hot roots": hot_roots,
        "functions with heat > 1": sum(1 for h in program.heat.values() if h > 1),
        "findings": len(run.result.findings),
        "findings at warning or above": sum(1 for f in run.result.findings if f.severity != "note"),
        "phase 1 s": round(phases.get("phase 1 (parse + rules)", 0.0), 3),
        "phase 2 s": round(phases.get("phase 2 (call graph + heat)", 0.0), 3),
        "run s": round(wall, 3),
    }
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    if args.traces:
        # The longest chains whose root plays a hot role (a view, a route, a dunder, ...).
        roles = getattr(program, "roles", {})
        chains = []
        for fid in program.functions:
            chain = program.hot_chain(fid) if fid in program.pred else []
            root = chain[0].caller if chain else fid
            if chain and root in roles and roles[root].hot and not program.functions[fid][0].is_test:
                chains.append((-len(chain), fid))
        for _, fid in sorted(chains)[: args.traces]:
            print()
            for hop in program.trace(fid, ()):
                print(f"  {hop.path}:{hop.line} {hop.function}: {hop.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
