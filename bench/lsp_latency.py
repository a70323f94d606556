#!/usr/bin/env python3
"""Latency of `perflint server` from `didChange` to `publishDiagnostics` in a warm Django.

A script, not a test. It starts the real server over stdio (pygls's client), lets it
summarise the project (the first run fills `.perflint_cache/`), opens a few files of
different sizes, then edits each one repeatedly (a comment line inserted at the top, then
removed: every line of the file moves, so its summary changes and each edit is analysed,
relinked and scored) and times each edit from the `didChange` sent to the diagnostics
published for that version. Like most keystrokes, the edit leaves the module's imports,
functions and classes as they were, so the other modules' links are reused; an edit to
those relinks every module (about 100 ms more on Django). The debounce is part of the latency a user sees, so the default (150 ms) is
measured; `--debounce 0` shows the work alone.

The corpus is Django's `django/` package (about 155k lines): from `--project DIR` (a
folder holding `django/`), else Django 5.1.4 from PyPI into `--cache` (pip download, no
install, nothing imported or run).

    python bench/lsp_latency.py [--project DIR] [--edits 20] [--debounce 150]
"""

from __future__ import annotations

import argparse
import asyncio
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

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.published[(params.uri, params.version)] = time.perf_counter()
            self.published[(params.uri, None)] = len(params.diagnostics)
            self.arrived.set()

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def log(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)

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


async def measure(project: Path, files: List[str], edits: int, debounce: int) -> Tuple[float, Dict[str, List[float]]]:
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
    latencies: Dict[str, List[float]] = {}
    first = True
    for name in files:
        path = project / name
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8")
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        await session.wait_for(uri, 1)
        if first:
            load = time.perf_counter() - began  # summarising the project, then this file
            first = False
        for version in range(2, edits + 2):
            if version % 2 == 0:
                change = types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
                    text="# an edit\n")
            else:
                change = types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=1, character=0)),
                    text="")
            sent = time.perf_counter()
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change]))
            arrived = await session.wait_for(uri, version)
            latencies.setdefault(name, []).append(arrived - sent)
            await asyncio.sleep(0.05)  # a pause between keystroke bursts
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
    args = parser.parse_args()
    project = (args.project or django_project(args.cache)).resolve()
    files = [f for f in FILES if (project / f).is_file()]
    lines = sum(p.read_bytes().count(b"\n") for p in project.rglob("*.py"))
    load, latencies = asyncio.run(measure(project, files, args.edits, args.debounce))
    print(f"project: {project} ({lines:,} lines of Python); first diagnostics after {load:.1f} s")
    print(f"debounce: {args.debounce} ms (included below); {args.edits} edits per file\n")
    print(f"{'file':<36} {'lines':>6} {'median ms':>10} {'p90 ms':>8}")
    every: List[float] = []
    for name in files:
        values = latencies.get(name, [])
        every += values
        size = (project / name).read_bytes().count(b"\n")
        print(f"{name:<36} {size:>6} {statistics.median(values) * 1000:>10.0f} {percentile(values, 0.9) * 1000:>8.0f}")
    print(f"{'all edits':<36} {'':>6} {statistics.median(every) * 1000:>10.0f} {percentile(every, 0.9) * 1000:>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
