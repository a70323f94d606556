"""`--format gitlab`: a GitLab Code Quality report (a JSON list of issues).

Each finding becomes one issue:

    {"description": "PFL401 message", "check_name": "PFL401", "fingerprint": "<sha256 hex>",
     "severity": "major", "location": {"path": "pkg/db.py", "lines": {"begin": 87, "end": 87}},
     "categories": ["Performance"], "type": "issue", "engine_name": "perflint", "content": {...}}

Severity mapping (GitLab knows info, minor, major, critical, blocker):
note -> minor, warning -> major, error -> critical.
`fingerprint` is the sha256 of perflint's own finding fingerprint and the path: stable
across runs while the flagged code is unchanged, so merge requests show new and fixed
issues; it is unique per finding. Paths are relative to the folder perflint ran in (run
it from the repository root). Files that could not be parsed appear as PFL000 issues.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Set

from perflint.finding import Finding, Result
from perflint.report import time_text

SEVERITIES = {"note": "minor", "warning": "major", "error": "critical"}


def _fingerprint(f: Finding, seen: Set[str]) -> str:
    base = f.fingerprint or f"{f.rule}:{f.line}:{f.column}:{f.message}"  # PFL000 has none
    key = f"{base}|{f.path}"
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    n = 1
    while digest in seen:  # two findings with one fingerprint: keep the report valid
        n += 1
        digest = hashlib.sha256(f"{key}|{n}".encode("utf-8", "surrogatepass")).hexdigest()
    seen.add(digest)
    return digest


def _body(f: Finding) -> str:
    parts = [f"**{f.rule} {f.name}** ({f.family}, {f.severity})", "", f.message]
    if f.cost > 0:
        parts += ["", time_text(f)]
    if f.context:
        parts += ["", f.context]
    if f.measured is not None:
        parts += ["", f.measured.describe()]
    if f.fix:
        parts += ["", f"Fix: {f.fix}"]
    if len(f.trace) > 1:
        parts += ["", "Trace:"] + [f"- `{h.path}:{h.line}` {h.function}: {h.note}" for h in f.trace]
    return "\n".join(parts)


def issue(f: Finding, seen: Set[str]) -> Dict[str, Any]:
    line = max(1, f.line)
    return {
        "description": f"{f.rule} {f.message}" + (f" ({f.measured.describe()})" if f.measured else ""),
        "check_name": f.rule,
        "fingerprint": _fingerprint(f, seen),
        "severity": SEVERITIES.get(f.severity, "major"),
        "location": {"path": f.path, "lines": {"begin": line, "end": max(line, f.end_line)}},
        "categories": ["Performance"],
        "type": "issue",
        "engine_name": "perflint",
        "content": {"body": _body(f)},
    }


def render(result: Result, **_: object) -> str:
    seen: Set[str] = set()
    issues: List[Dict[str, Any]] = [issue(f, seen) for f in result.findings]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
