#!/usr/bin/env python3
"""Latency of `perflint server` from `didChange` to `publishDiagnostics` in a warm Django.

A script, not a test. It starts the real server over stdio (pygls's client), lets it
summarise the project (the first run fills `.perflint_cache/`), opens a few files of
different sizes, then edits each one repeatedly and times each edit from the `didChange`
sent to the diagnostics published for that version. Three kinds of edit, each made and
undone in turn:

- "in a line": a character typed inside a string in a function body. The call graph reads
  nothing that changed: the program stands, the file is analysed and scored again.
- "new line": a comment line inserted at the top. Every line below moves, and nothing
  else: the program stands with the new line numbers carried into it.
- "new call": a call inserted as the first statement of a `for` loop's body. The call
  graph changed: the file is published first against the program as it stands, then the
  whole program is relinked in the background and documents whose diagnostics changed are
  published again. Typing on abandons that relink. "new call, settled" is the time from the
  edit to the end of that relink (the server logs "whole program relinked"), measured on a
  few more edits (`--settled`) that each wait for it.

The debounce is part of the latency a user sees, so the default (150 ms) is measured;
`--debounce 0` shows the work alone.

The corpus is Django's `django/` package (about 155k lines): from `--project DIR` (a
folder holding `django/`), else Django 5.1.4 from PyPI into `--cache` (pip download, no
install, nothing imported or run).

    python bench/lsp_latency.py [--project DIR] [--edits 20] [--debounce 150]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from lsprotocol import types
from pygls.lsp.client import LanguageClient

DJANGO = "Django==5.1.4"
SETTLED = "new call, settled"
FILES = (
    "django/views/generic/base.py",  # 285 lines
    "django/core/handlers/base.py",  # 373 lines, about Django's mean file size times two
    "django/forms/forms.py",  # 426 lines
    "django/db/models/query.py",  # 2,732 lines, the largest hot module
)


def django_project(cache: Path) -> Path:
    target = cache / "django-5.1.4"
    if (target / "django").is_dir():
        return target
    download = Path(tempfile.mkdtemp(prefix="perflint-lsp-bench-"))
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                        DJANGO, "-d", str(download)], check=True)
        wheel = next(download.glob("*.whl"))
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.startswith("django/"):
                    archive.extract(name, target)
    finally:
        shutil.rmtree(download, ignore_errors=True)
    (target / "perflint.toml").write_text("# benchmark corpus: defaults\n", encoding="utf-8")
    return target


class Session:
    """One server process and what it published, timed on arrival."""

    def __init__(self) -> None:
        self.client = LanguageClient("perflint-bench", "1")
        self.published: Dict[Tuple[str, Optional[int]], float] = {}
        self.arrived = asyncio.Event()
        self.logs: List[str] = []
        self.relinked: List[float] = []  # arrival of each "whole program relinked" log

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.published[(params.uri, params.version)] = time.perf_counter()
            self.published[(params.uri, None)] = len(params.diagnostics)
            self.arrived.set()

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def log(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)
            if "whole program relinked" in params.message:
                self.relinked.append(time.perf_counter())
                self.arrived.set()

    async def wait_for(self, uri: str, version: int, timeout: float = 600.0) -> float:
        deadline = time.perf_counter() + timeout
        while (uri, version) not in self.published:
            self.arrived.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no diagnostics for {uri} version {version}")
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except asyncio.TimeoutError:
                pass
        return self.published[(uri, version)]

    async def wait_for_relink(self, after: float, timeout: float = 600.0) -> float:
        """The first whole relink that ended after `after` (a stage-one publish: a relink
        started before it ended before it, as both hold the server's lock)."""
        deadline = time.perf_counter() + timeout
        while not any(t > after for t in self.relinked):
            self.arrived.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("no whole relink")
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except asyncio.TimeoutError:
                pass
        return next(t for t in self.relinked if t > after)


def _line_insert(number: int, text: str) -> Tuple[types.Range, str, types.Range, str]:
    """Insert a whole line before 0-based line `number`, and the undo."""
    at = types.Range(start=types.Position(line=number, character=0), end=types.Position(line=number, character=0))
    added = types.Range(start=types.Position(line=number, character=0), end=types.Position(line=number + 1, character=0))
    return at, text, added, ""


def edits_for(text: str) -> Dict[str, Tuple[types.Range, str, types.Range, str]]:
    """The kinds of edit, each as (do, undo): a character typed inside a string in a function
    body (nothing moves), a comment line inserted at the top (every line below moves), a
    call inserted in a loop's body (the call graph changes)."""
    kinds: Dict[str, Tuple[types.Range, str, types.Range, str]] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines):
        quote = line.find('"')
        if line.startswith((" ", "\t")) and quote >= 0 and not line.lstrip().startswith('"""'):
            at = types.Range(start=types.Position(line=number, character=quote + 1),
                             end=types.Position(line=number, character=quote + 1))
            typed = types.Range(start=at.start, end=types.Position(line=number, character=quote + 2))
            kinds["in a line"] = (at, "x", typed, "")
            break
    kinds["new line"] = _line_insert(0, "# an edit\n")
    # The module's first function, called with no arguments: a new edge, nothing bound.
    callee = next((m.group(1) for m in map(re.compile(r"def (\w+)\(").match, lines) if m), "len")
    for number, line in enumerate(lines[:-1]):
        body = lines[number + 1]
        indent = len(body) - len(body.lstrip())
        if re.match(r"\s+for .*:\s*$", line) and indent > len(line) - len(line.lstrip()):
            kinds["new call"] = _line_insert(number + 1, f"{body[:indent]}{callee}()\n")
            break
    return kinds


async def measure(project: Path, files: List[str], edits: int, debounce: int, settled: int):
    """Seconds to the first diagnostics, and per (file, kind of edit) the latencies."""
    session = Session()
    client = session.client
    await client.start_io(sys.executable, "-m", "perflint", "server")
    began = time.perf_counter()
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(),
        root_uri=project.as_uri(),
        initialization_options={"debounceMs": debounce},
    ))
    client.initialized(types.InitializedParams())
    latencies: Dict[Tuple[str, str], List[float]] = {}
    load = 0.0
    for name in files:
        path = project / name
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8")
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        await session.wait_for(uri, 1)
        if not load:
            load = time.perf_counter() - began  # summarising the project, then this file
        version = 1

        def change(rng: types.Range, new_text: str) -> float:
            """Send the next version with one edit; when it was sent."""
            nonlocal version
            version += 1
            sent = time.perf_counter()
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new_text)]))
            return sent

        for kind, (do_range, do_text, undo_range, undo_text) in edits_for(text).items():
            for i in range(edits):
                sent = change(*((do_range, do_text) if i % 2 == 0 else (undo_range, undo_text)))
                arrived = await session.wait_for(uri, version)
                latencies.setdefault((name, kind), []).append(arrived - sent)
                await asyncio.sleep(0.05)  # a pause between keystroke bursts
            if edits % 2:
                change(undo_range, undo_text)
                await session.wait_for(uri, version)
            if kind == "new call":
                # Each of these waits for its whole relink. Each adds a line of two calls, so
                # it never brings back a text the program was linked from (that needs none).
                twice = do_text[:-1] + "; " + do_text.strip() + "\n"
                for _ in range(settled):
                    sent = change(do_range, twice)
                    first = await session.wait_for(uri, version)
                    latencies.setdefault((name, SETTLED), []).append(await session.wait_for_relink(first) - sent)
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return load, latencies


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, help="a folder holding django/ (default: Django 5.1.4 from PyPI)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "perflint-bench")
    parser.add_argument("--edits", type=int, default=20, help="edits per file")
    parser.add_argument("--debounce", type=int, default=150, help="the server's debounceMs")
    parser.add_argument("--settled", type=int, default=4, help="edits per file timed to the end of the whole relink")
    args = parser.parse_args()
    project = (args.project or django_project(args.cache)).resolve()
    files = [f for f in FILES if (project / f).is_file()]
    lines = sum(p.read_bytes().count(b"\n") for p in project.rglob("*.py"))
    load, latencies = asyncio.run(measure(project, files, args.edits, args.debounce, args.settled))
    print(f"project: {project} ({lines:,} lines of Python); first diagnostics after {load:.1f} s")
    print(f"debounce: {args.debounce} ms (included below); {args.edits} edits per file and kind")
    try:
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs\n")
    except OSError:
        print()
    print(f"{'file':<32} {'lines':>6}  {'edit':<17} {'median ms':>10} {'p90 ms':>8}")
    by_kind: Dict[str, List[float]] = {}
    for (name, kind), values in latencies.items():
        by_kind.setdefault(kind, []).extend(values)
        size = (project / name).read_bytes().count(b"\n")
        print(f"{name:<32} {size:>6}  {kind:<17} {statistics.median(values) * 1000:>10.0f} "
              f"{percentile(values, 0.9) * 1000:>8.0f}")
    print()
    first: List[float] = []
    for kind, values in by_kind.items():
        if kind != SETTLED:
            first += values
        print(f"{'every file':<32} {'':>6}  {kind:<17} {statistics.median(values) * 1000:>10.0f} "
              f"{percentile(values, 0.9) * 1000:>8.0f}")
    print(f"{'all edits, first publish':<32} {'':>6}  {'':<17} {statistics.median(first) * 1000:>10.0f} "
          f"{percentile(first, 0.9) * 1000:>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
