#!/usr/bin/env python3
"""Size and open time of the HTML report (`--format html`), for synthetic or real scans.

For each size N a synthetic result with N findings (every severity, each reached through
8 calls from one of 12 entry points, with the source lines a real run collects) is rendered;
the script prints the page's size, the render time and the time headless Chromium takes
to load it (the navigation's duration: parse, style, layout and the page's script).
The issue's budget: a Twisted-sized scan (about 100 findings with notes) under 2 MB and
open in under 1 s.

Usage::

    python bench/html_report.py [--sizes 100,300,1000]
    python bench/html_report.py --scan PATH [--scan PATH ...]   # real scans, notes included
    python bench/html_report.py --screenshot docs/html-report-seedsql.png   # the README's picture

Needs the test extra (playwright, pillow) and a system Chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from html_support import browser_missing, launch, synthetic  # noqa: E402

from perflint.report import html as html_report  # noqa: E402

SEEDSQL = REPO / "fixtures" / "seedsql"


def open_seconds(browser, path: Path, runs: int = 3) -> float:
    """Best of `runs` loads, each in a fresh context (no cache)."""
    best = float("inf")
    for _ in range(runs):
        context = browser.new_context()
        page = context.new_page()
        page.goto(path.resolve().as_uri())
        best = min(best, page.evaluate("performance.getEntriesByType('navigation')[0].duration") / 1000)
        context.close()
    return best


def synthetic_rows(sizes: List[int], folder: Path) -> List[Tuple[str, int, float, Path]]:
    rows = []
    for n in sizes:
        result, excerpts = synthetic(findings=n)
        start = time.perf_counter()
        text = html_report.render(result, excerpts=excerpts)
        seconds = time.perf_counter() - start
        path = folder / f"synthetic-{n}.html"
        path.write_text(text, encoding="utf-8")
        rows.append((f"synthetic, {n} findings", len(text.encode("utf-8")), seconds, path))
    return rows


def scan_rows(paths: List[str], folder: Path) -> List[Tuple[str, int, float, Path]]:
    rows = []
    for i, target in enumerate(paths):
        out = folder / f"scan-{i}.html"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "perflint", "check", target, "--min-severity", "note", "--exit-zero",
                        "--format", "html", "-o", str(out)], check=True)
        seconds = time.perf_counter() - start
        text = out.read_text(encoding="utf-8")
        findings = text.count('<article class="finding ')
        rows.append((f"{target}, {findings} findings (scan + render)", len(text.encode("utf-8")), seconds, out))
    return rows


def screenshot(target: Path) -> None:
    """The seedsql report as the README shows it: the summary and the hot-path tree."""
    from playwright.sync_api import sync_playwright
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "seedsql.html"
        subprocess.run([sys.executable, "-m", "perflint", "check", "seedsql", "--no-cache", "--min-severity", "note",
                        "--exit-zero", "--format", "html", "-o", str(report)], cwd=SEEDSQL, check=True)
        raw = Path(tmp) / "shot.png"
        with sync_playwright() as pw:
            browser = launch(pw)
            page = browser.new_page(viewport={"width": 1100, "height": 1000}, device_scale_factor=1)
            page.goto(report.resolve().as_uri())
            page.click("#tree button.node >> nth=2")  # show a node's findings in the side panel
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(raw))
            browser.close()
        with Image.open(raw) as image:  # a 64-colour palette keeps the PNG small
            image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,300,1000", help="synthetic finding counts")
    parser.add_argument("--scan", action="append", default=[], help="scan PATH instead (repeatable)")
    parser.add_argument("--screenshot", type=Path, help="write the README's seedsql screenshot here and stop")
    args = parser.parse_args()
    reason = browser_missing()
    if reason:
        sys.exit(f"html_report bench: {reason}")
    if args.screenshot:
        screenshot(args.screenshot)
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.scan:
            rows = scan_rows(args.scan, folder)
        else:
            rows = synthetic_rows([int(s) for s in args.sizes.split(",")], folder)
        print(f"machine: {os.cpu_count()} CPUs; budget: < 2 MB and < 1 s to open at about 100 findings")
        print(f"{'report':<58} {'size':>10} {'render':>9} {'open':>8}")
        with sync_playwright() as pw:
            browser = launch(pw)
            for label, size, seconds, path in rows:
                opened = open_seconds(browser, path)
                print(f"{label:<58} {size / 1e6:>8.2f} MB {seconds:>7.2f} s {opened:>6.2f} s")
            browser.close()


if __name__ == "__main__":
    main()
