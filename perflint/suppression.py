"""Inline suppressions: `# perflint: ignore[PFL201]`, bare `# perflint: ignore`, `# noqa: PFL201`."""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, Optional

_PERFLINT = re.compile(r"#\s*perflint\s*:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.I)
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# line -> codes it suppresses; None means every code
Suppressions = Dict[int, Optional[FrozenSet[str]]]


def find_suppressions(source: str) -> Suppressions:
    """Every suppression comment in a file, by line. A cheap text scan, run once per file."""
    found: Suppressions = {}
    if "perflint" not in source and "noqa" not in source:
        return found
    # Python ends a line at \r\n, \r or \n (not at the other characters str.splitlines knows).
    for number, text in enumerate(_LINE_BREAK.split(source), start=1):
        if "#" not in text:
            continue
        match = _PERFLINT.search(text)
        if match is not None:
            codes = match.group("codes")
            found[number] = _codes(codes) if codes is not None else None
            continue
        match = _NOQA.search(text)
        if match is not None:
            codes = match.group("codes")
            if codes is None:
                continue  # a bare `# noqa` is another tool's business, not a blanket perflint ignore
            parsed = frozenset(c for c in _codes(codes) if c.startswith("PFL"))
            if parsed:
                found[number] = parsed
    return found


def _codes(text: str) -> FrozenSet[str]:
    return frozenset(c.strip().upper() for c in re.split(r"[\s,]+", text) if c.strip())


def is_suppressed(suppressions: Suppressions, line: int, code: str) -> bool:
    if line not in suppressions:
        return False
    codes = suppressions[line]
    return codes is None or code in codes
