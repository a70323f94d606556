"""Source lines around each finding, trace hop and related site, read once for reports that show code."""

from __future__ import annotations

import tokenize
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

from perflint.finding import Result

SITE_CONTEXT = 2  # lines shown before and after a flagged site
HOP_CONTEXT = 1  # lines shown before and after a call on the trace
MAX_SPAN = 12  # a flagged statement longer than this is cut: the excerpt is a pointer, not the file
MAX_LINE = 400  # characters kept of one source line (minified or generated code)
MAX_FILE_BYTES = 4_000_000  # larger files are not read for excerpts

Excerpts = Dict[str, Dict[int, str]]  # path as reported -> line number -> text


def site_window(line: int, end_line: int) -> Tuple[int, int]:
    """First and last line shown for a flagged site (also used by the renderer)."""
    last = min(max(end_line, line), line + MAX_SPAN - 1)
    return max(1, line - SITE_CONTEXT), last + SITE_CONTEXT


def hop_window(line: int) -> Tuple[int, int]:
    """First and last line shown for one hop of a trace."""
    return max(1, line - HOP_CONTEXT), line + HOP_CONTEXT


def wanted_lines(result: Result) -> Dict[str, Set[int]]:
    """Path -> the line numbers an excerpt of each finding, hop and related site needs."""
    wanted: Dict[str, Set[int]] = {}

    def add(path: str, window: Tuple[int, int]) -> None:
        wanted.setdefault(path, set()).update(range(window[0], window[1] + 1))

    for f in result.findings:
        if f.rule == "PFL000":
            continue  # the file did not parse: nothing to point at
        add(f.path, site_window(f.line, f.end_line))
        for hop in f.trace:
            add(hop.path, hop_window(hop.line))
        for loc in f.related:
            add(loc.path, site_window(loc.line, loc.end_line))
    return wanted


def collect(result: Result, base: Optional[Path] = None) -> Excerpts:
    """Read the lines `wanted_lines` names; a file that cannot be read simply has no excerpt.

    Paths in a Result are relative to the working folder (or absolute); `base` overrides it."""
    out: Excerpts = {}
    for path, numbers in sorted(wanted_lines(result).items()):
        lines = _read(Path(path) if base is None or Path(path).is_absolute() else base / path)
        if lines is None:
            continue
        out[path] = {n: lines[n - 1] for n in sorted(numbers) if 0 < n <= len(lines)}
    return out


def _read(path: Path) -> Optional[List[str]]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        with tokenize.open(path) as handle:  # honours a PEP 263 coding line, like the scan did
            text = handle.read()
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    # universal newlines already made every line end "\n"; str.splitlines() would also split
    # at U+2028, form feeds and the like, which Python's line numbers do not count
    return [_clip(line) for line in text.split("\n")]


def _clip(line: str) -> str:
    line = line.rstrip()
    return line if len(line) <= MAX_LINE else line[:MAX_LINE] + " …"
