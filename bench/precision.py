#!/usr/bin/env python3
"""Scan real code nobody here wrote and print findings per family, severity and 1,000 lines.

A script, not a test. Corpora install offline-friendly from PyPI (`pip install --no-deps
--target`) into a cache folder outside the repository; the standard library comes from this
interpreter. `--sample N` prints N random warning-or-error findings (seeded) with their source
line, for hand labelling in docs/precision.md.

    python bench/precision.py [--cache ~/.cache/perflint-precision] [--sample 40] [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import json
import linecache
import os
import random
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

PYPI = {
    # name -> (pip requirement, path inside the target folder)
    "django": ("django", "django"),
    "sqlalchemy": ("sqlalchemy", "sqlalchemy"),
    "diskcache": ("diskcache", "diskcache"),
    "peewee": ("peewee", "peewee.py"),
    "pickledb": ("pickledb", "pickledb.py"),
    "whoosh": ("whoosh", "whoosh"),
}
FAMILIES = ("clone", "alloc", "rebuild", "sync", "fastpath")


def corpora(cache: Path, names: List[str]) -> Dict[str, Path]:
    target = cache / "pkgs"
    out: Dict[str, Path] = {}
    missing = [n for n in names if n in PYPI and not (target / PYPI[n][1]).exists()]
    if missing:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target)]
            + [PYPI[n][0] for n in missing],
            check=True,
        )
    for name in names:
        if name == "stdlib":
            out[name] = Path(sysconfig.get_paths()["stdlib"])
        else:
            out[name] = target / PYPI[name][1]
    return out


def scan(path: Path, config: Path) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        report = handle.name
    cmd = [sys.executable, "-m", "perflint", "check", str(path), "--config", str(config),
           "--format", "json", "--output", report, "--exit-zero", "--no-cache"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or "Traceback" in proc.stderr:
        raise SystemExit(f"perflint failed on {path}:\n{proc.stderr}")
    data = json.loads(Path(report).read_text())
    os.unlink(report)
    return data


def count_lines(path: Path) -> int:
    files = [path] if path.is_file() else [
        p for p in path.rglob("*.py") if "site-packages" not in p.parts
    ]
    total = 0
    for file in files:
        try:
            with open(file, "rb") as fh:
                total += fh.read().count(b"\n")
        except OSError:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=os.path.expanduser("~/.cache/perflint-precision"))
    parser.add_argument("--corpora", default="stdlib,django,sqlalchemy,diskcache,peewee,pickledb,whoosh")
    parser.add_argument("--sample", type=int, default=0, help="print N random warning+ findings")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    config = cache / "perflint.toml"
    # Every rule, every severity; site-packages is not part of the stdlib corpus.
    config.write_text('select = ["ALL"]\nmin-severity = "note"\nexclude = ["site-packages/"]\n')
    paths = corpora(cache, args.corpora.split(","))
    rows: List[Tuple[str, int, int, collections.Counter]] = []
    pool = []
    for name, path in paths.items():
        data = scan(path, config)
        lines = count_lines(path)
        counts: collections.Counter = collections.Counter()
        for finding in data["findings"]:
            if finding["rule"] == "PFL000":
                continue
            counts[(finding["family"], finding["severity"])] += 1
            counts[finding["severity"]] += 1
            if finding["severity"] != "note":
                pool.append((name, finding))
        rows.append((name, data["summary"]["files"], lines, counts))
    header = f"{'corpus':<11} {'files':>6} {'lines':>8} " + " ".join(f"{f:>8}" for f in FAMILIES)
    header += f" {'error':>6} {'warning':>8} {'note':>6} {'w+e/kloc':>9}"
    print("findings per family are warning+error (notes in the note column)")
    print(header)
    for name, files, lines, c in rows:
        fam = " ".join(f"{c[(f, 'warning')] + c[(f, 'error')]:>8}" for f in FAMILIES)
        per_k = (c["warning"] + c["error"]) * 1000 / max(lines, 1)
        print(f"{name:<11} {files:>6} {lines:>8} {fam} {c['error']:>6} {c['warning']:>8} {c['note']:>6} {per_k:>9.3f}")
    if args.sample:
        random.seed(args.seed)
        picked = random.sample(pool, min(args.sample, len(pool)))
        picked.sort(key=lambda item: (item[1]["rule"], item[0], item[1]["path"], item[1]["line"]))
        print(f"\nsample of {len(picked)} warning/error findings (of {len(pool)}):")
        for name, f in picked:
            source = linecache.getline(f["path"], f["line"]).strip()
            print(f"- {f['rule']} {f['severity']} {name}: {f['path']}:{f['line']} in {f['function']}: {f['message']}")
            print(f"    {source[:120]}")
            if f["trace"]:
                print(f"    trace: {' -> '.join(h['function'] + ':' + str(h['line']) for h in f['trace'])}")


if __name__ == "__main__":
    main()
