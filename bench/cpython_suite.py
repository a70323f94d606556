#!/usr/bin/env python3
"""Scan CPython's own test suite (a corpus of odd, broken and hostile files) with perflint.

    apt-get install -y libpython3.11-testsuite      # gives /usr/lib/python3.11/test
    python bench/cpython_suite.py [--root /usr/lib/python3.11/test] [--jobs N]

For `--select` default and `--select ALL`, runs

    perflint check ROOT --format json --min-severity note --exit-zero --no-cache

in a subprocess and checks: exit code 0 (1 also accepted without --exit-zero), no traceback
on stderr, stdout is valid JSON, and every file that CPython itself cannot parse is reported
(an `errors` entry and a PFL000 finding). This script compiles the files with CPython to
know which are broken; perflint itself never compiles or executes scanned code.

Also listed: files CPython parses but libcst rejects (libcst limitations, reported by
perflint as errors: clear, not crashes) and files CPython's *compiler* rejects although
they parse (semantic errors such as `return` outside a function, which a parser-only tool
does not check). Prints counts and times; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Dict, List, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from perflint.config import Config  # noqa: E402
from perflint.discovery import discover  # noqa: E402


def classify(files: List[Path]) -> Tuple[Dict[str, str], Dict[str, str]]:
    """({path: parse error}, {path: compile-only error}) according to CPython."""
    unparsable: Dict[str, str] = {}
    uncompilable: Dict[str, str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and friends
        for path in files:
            data = path.read_bytes()
            try:
                ast.parse(data, str(path))
            except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
                unparsable[str(path)] = f"{type(exc).__name__}: {exc}"
                continue
            try:
                compile(data, str(path), "exec", dont_inherit=True)
            except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
                uncompilable[str(path)] = f"{type(exc).__name__}: {exc}"
    return unparsable, uncompilable


def run_perflint(root: Path, extra: List[str], jobs: str) -> Tuple[int, str, str, float]:
    cmd = [sys.executable, "-m", "perflint", "check", str(root), "--format", "json",
           "--min-severity", "note", "--exit-zero", "--no-cache", *extra]
    if jobs:
        cmd += ["--jobs", jobs]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", cwd=str(HERE.parent))
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default="/usr/lib/python3.11/test")
    parser.add_argument("--jobs", default="", help="passed to perflint --jobs (default: its own)")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if not root.is_dir():
        print(f"{root} not found: apt-get install -y libpython3.11-testsuite", file=sys.stderr)
        return 2

    files = discover([root], root=root, test_patterns=Config().test_patterns)
    paths = [f.path for f in files]
    start = time.perf_counter()
    unparsable, uncompilable = classify(paths)
    display = {str(f.path): f.display for f in files}
    print(f"corpus: {root}: {len(files)} files, {sum(p.stat().st_size for p in paths) / 1e6:.1f} MB; "
          f"CPython cannot parse {len(unparsable)}, cannot compile {len(uncompilable)} more "
          f"({time.perf_counter() - start:.1f}s)")

    ok = True
    for label, extra in (("default rules", []), ("--select ALL", ["--select", "ALL"])):
        rc, stdout, stderr, seconds = run_perflint(root, extra, args.jobs)
        problems: List[str] = []
        if rc != 0:
            problems.append(f"exit code {rc}")
        if "Traceback" in stderr or "internal error" in stderr:
            problems.append("traceback on stderr:\n" + stderr[-3000:])
        try:
            data = json.loads(stdout)
        except ValueError as exc:
            problems.append(f"stdout is not JSON: {exc}")
            data = {"findings": [], "errors": [], "summary": {"files": 0}}
        errors = {e["path"]: e["message"] for e in data["errors"]}
        pfl000 = {f["path"] for f in data["findings"] if f["rule"] == "PFL000"}
        findings = [f for f in data["findings"] if f["rule"] != "PFL000"]
        missed = sorted(display[p] for p in unparsable if display[p] not in errors or display[p] not in pfl000)
        if missed:
            problems.append(f"{len(missed)} file(s) CPython cannot parse were analysed without an error: {missed}")
        parsed_ok = {display[str(p)] for p in paths} - {display[p] for p in unparsable} - {display[p] for p in uncompilable}
        libcst_only = sorted(p for p in errors if p in parsed_ok)
        semantic = sorted(display[p] for p in uncompilable)
        by_rule: Dict[str, int] = {}
        for f in findings:
            by_rule[f["rule"]] = by_rule.get(f["rule"], 0) + 1
        print(f"\n== perflint ({label}): exit {rc}, {seconds:.1f}s, {data['summary']['files']} files, "
              f"{len(errors)} errors, {len(findings)} findings {dict(sorted(by_rule.items()))}")
        print(f"   CPython-unparsable files reported: {len(unparsable) - len(missed)}/{len(unparsable)}")
        for p in sorted(unparsable):
            print(f"     {display[p]}: {errors.get(display[p], 'NOT REPORTED')}")
        print(f"   rejected by libcst although CPython accepts them (libcst limitations): {len(libcst_only)}")
        for p in libcst_only:
            print(f"     {p}: {errors[p]}")
        print(f"   parse but do not compile in CPython (semantic errors; analysed normally): {len(semantic)}")
        for p in semantic:
            status = f"perflint: {errors[p]}" if p in errors else "analysed"
            print(f"     {p}: {uncompilable[next(k for k, v in display.items() if v == p)]} [{status}]")
        if stderr.strip():
            print("   stderr: " + " | ".join(stderr.strip().splitlines()[:5]))
        for problem in problems:
            print(f"   FAIL: {problem}")
        ok = ok and not problems
    print("\nOK" if ok else "\nFAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
