#!/usr/bin/env python3
"""How long perflint takes to read a large cProfile/pstats file (goal: 50 MB in under 2 s).

Writes a synthetic pstats file of about --size MB, shaped like a real one (many files, many
functions, several callers each, written by `marshal` as cProfile's dump_stats does), then
times `perflint.profiles.load_profile` on it, best of --repeat runs, and prints a table.

Usage::

    python bench/profile_load.py [--size 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import marshal
import os
import random
import sys
import tempfile
import time
from typing import Dict, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from perflint.profiles import load_profile  # noqa: E402

Key = Tuple[str, int, str]
CALLERS = 6  # callers per function, each with its own (cc, nc, tt, ct) record


def synthetic_stats(functions: int, seed: int = 1) -> Dict[Key, tuple]:
    rng = random.Random(seed)
    files = [f"/home/dev/project/src/pkg{i // 40}/module_{i}.py" for i in range(max(1, functions // 25))]
    keys = [(files[i % len(files)], 10 + 7 * (i // len(files)), f"function_{i}") for i in range(functions)]
    stats: Dict[Key, tuple] = {}
    for i, key in enumerate(keys):
        callers = {}
        for _ in range(CALLERS):
            caller = keys[rng.randrange(functions)]
            calls = rng.randrange(1, 10_000)
            callers[caller] = (calls, calls, rng.random() * 1e-3, rng.random() * 1e-2)
        calls = rng.randrange(1, 100_000)
        stats[key] = (calls, calls + (i % 3), rng.random(), rng.random() * 10, callers)
    return stats


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=50.0, help="target file size in MB (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="timed loads; the best is reported (default 3)")
    args = parser.parse_args(argv)
    # Calibrate on a small sample, then scale the function count to reach the target size.
    sample = len(marshal.dumps(synthetic_stats(2000)))
    functions = int(2000 * args.size * 1e6 / sample)
    with tempfile.TemporaryDirectory(prefix="perflint-profile-bench-") as tmp:
        path = os.path.join(tmp, "big.pstats")
        with open(path, "wb") as handle:
            marshal.dump(synthetic_stats(functions), handle)
        size = os.path.getsize(path) / 1e6
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            profile = load_profile(path)
            times.append(time.perf_counter() - start)
    best = min(times)
    print("file MB | functions | best load s | all runs s | goal")
    print("------- | --------- | ----------- | ---------- | ----")
    verdict = "ok (< 2 s)" if best < 2.0 * size / 50.0 else "SLOW (goal: 50 MB in < 2 s)"
    print(f"{size:7.1f} | {profile.functions:9,} | {best:11.3f} | {', '.join(f'{t:.3f}' for t in times)} | {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
