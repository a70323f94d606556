"""bench/realbugs.toml stays a well-formed development set: fields, counts, no pasted code."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import List

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = Path(__file__).resolve().parents[1] / "bench" / "realbugs.toml"
FAMILIES = {"clone", "alloc", "rebuild", "sync", "fastpath"}
BLOCKERS = {"no-rule", "matcher-shape", "heat-callgraph", "cost-model", "caught"}
BUG_FIELDS = {
    "id": str, "family": str, "repo": str, "buggy": str, "fixed": str, "path": str,
    "function": str, "line": int, "hot_caller": str, "via_caller": bool, "summary": str,
    "blocker": str,
}
OPTIONAL_BUG_FIELDS = {"reference": str}
TRAP_FIELDS = {"id": str, "repo": str, "commit": str, "path": str, "function": str, "line": int,
               "summary": str}
SHA = re.compile(r"[0-9a-f]{40}")
REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")
QUALNAME = re.compile(r"<module>|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
CASE_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")
# Signs of pasted source: an indented continuation line, or statement syntax.
CODE_SHAPES = (
    re.compile(r"\n[ \t]+\S"),
    re.compile(r"^\s*(def|class|for|while|if|return|import|from)\b.*:\s*$", re.M),
    re.compile(r"[;{}]\s*$", re.M),
    re.compile(r"\bdef \w+\(|\bself\.\w+\s*=\s*\w+\(|\)\s*:\s*\n"),
)


def problems(data: dict) -> List[str]:
    """Every way the data set breaks its contract, one message each."""
    out: List[str] = []
    bugs, traps = data.get("bug", []), data.get("trap", [])
    for kind, records, fields, optional in (("bug", bugs, BUG_FIELDS, OPTIONAL_BUG_FIELDS),
                                            ("trap", traps, TRAP_FIELDS, {"family": str})):
        for rec in records:
            name = rec.get("id", "<no id>")
            for key, typ in fields.items():
                if not isinstance(rec.get(key), typ):
                    out.append(f"{kind} {name}: field {key!r} missing or not {typ.__name__}")
            for key in sorted(set(rec) - set(fields) - set(optional)):
                out.append(f"{kind} {name}: unknown field {key!r}")
            for key, value in rec.items():
                if isinstance(value, str) and any(shape.search(value) for shape in CODE_SHAPES):
                    out.append(f"{kind} {name}: field {key!r} looks like pasted code")
            if isinstance(rec.get("id"), str) and not CASE_ID.fullmatch(rec["id"]):
                out.append(f"{kind} {name}: id is not kebab-case")
            if isinstance(rec.get("repo"), str) and not REPO.fullmatch(rec["repo"]):
                out.append(f"{kind} {name}: repo is not owner/name")
            if isinstance(rec.get("function"), str) and not QUALNAME.fullmatch(rec["function"]):
                out.append(f"{kind} {name}: function is not a qualified name")
            if isinstance(rec.get("path"), str) and not rec["path"].endswith(".py"):
                out.append(f"{kind} {name}: path is not a .py file")
            if isinstance(rec.get("line"), int) and rec["line"] < 1:
                out.append(f"{kind} {name}: line must be positive")
            if isinstance(rec.get("summary"), str) and not 40 <= len(rec["summary"]) <= 500:
                out.append(f"{kind} {name}: summary should be one or two sentences")
            for key in ("buggy", "fixed", "commit"):
                if key in fields and isinstance(rec.get(key), str) and not SHA.fullmatch(rec[key]):
                    out.append(f"{kind} {name}: {key} is not a 40-hex commit")
    for rec in bugs:
        name = rec.get("id", "<no id>")
        if rec.get("family") not in FAMILIES:
            out.append(f"bug {name}: family {rec.get('family')!r} is not one of {sorted(FAMILIES)}")
        if rec.get("buggy") == rec.get("fixed"):
            out.append(f"bug {name}: buggy and fixed are the same commit")
        blocker = rec.get("blocker", "")
        if isinstance(blocker, str) and blocker.split(":", 1)[0] not in BLOCKERS:
            out.append(f"bug {name}: blocker must start with one of {sorted(BLOCKERS)} and ':'")
        if isinstance(blocker, str) and len(blocker.split(":", 1)[-1].strip()) < 15:
            out.append(f"bug {name}: blocker must say concretely why perflint misses it")
        caller = rec.get("hot_caller")
        if isinstance(caller, str) and caller:
            qualname = caller.split(":", 1)[-1]
            if not QUALNAME.fullmatch(qualname) or (":" in caller and not caller.split(":")[0].endswith(".py")):
                out.append(f"bug {name}: hot_caller is not 'path.py:qualname' or a qualname")
        if rec.get("via_caller") is True and not caller:
            out.append(f"bug {name}: via_caller is true but no hot_caller is named")
    ids = [r.get("id") for r in bugs + traps]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        out.append(f"duplicate ids: {dupes}")
    if len(bugs) < 60:
        out.append(f"only {len(bugs)} bugs, need at least 60")
    for family in sorted(FAMILIES):
        count = sum(r.get("family") == family for r in bugs)
        if count < 10:
            out.append(f"family {family}: only {count} bugs, need at least 10")
    via = sum(r.get("via_caller") is True for r in bugs)
    if 3 * via < len(bugs):
        out.append(f"only {via} of {len(bugs)} bugs show their cost through a caller, need a third")
    if len(traps) < 10:
        out.append(f"only {len(traps)} clean traps, need at least 10")
    return out


@pytest.fixture(scope="module")
def data() -> dict:
    with open(DATA, "rb") as fh:
        return tomllib.load(fh)


def test_development_set_is_well_formed(data):
    assert problems(data) == []


def test_no_repository_dominates(data):
    per_repo = {}
    for rec in data["bug"]:
        per_repo[rec["repo"]] = per_repo.get(rec["repo"], 0) + 1
    assert max(per_repo.values()) <= 6, per_repo


def _good_bug(**overrides) -> dict:
    bug = {
        "id": "demo-commit-per-row", "family": "sync", "repo": "owner/name",
        "buggy": "a" * 40, "fixed": "b" * 40, "path": "pkg/mod.py", "function": "Store.save",
        "line": 12, "hot_caller": "pkg/api.py:import_rows", "via_caller": True,
        "summary": "Each saved row committed its own transaction; the fix commits once per batch.",
        "blocker": "heat-callgraph: the loop is in a caller reached through a callback",
    }
    bug.update(overrides)
    return bug


def test_validator_rejects_broken_records():
    bugs = [_good_bug(id=f"demo-case-{i}", family=f) for i, f in enumerate(sorted(FAMILIES) * 12)]
    traps = [{"id": f"trap-demo-{i}", "repo": "o/n", "commit": "c" * 40, "path": "m.py",
              "function": "f", "line": 3, "summary": "An fsync once in close(), not per write: fine here."}
             for i in range(10)]
    assert problems({"bug": bugs, "trap": traps}) == []

    broken = [
        _good_bug(id="demo-short-sha", buggy="abc123"),
        _good_bug(id="demo-bad-family", family="speed"),
        _good_bug(id="demo-pasted", summary="slow:\n    for row in rows:\n        conn.commit()"),
        _good_bug(id="demo-no-blocker", blocker="unknown"),
        _good_bug(id="demo-no-caller", hot_caller=""),
    ]
    found = problems({"bug": bugs + broken + [bugs[0]], "trap": traps[:3]})
    expected = [
        "bug demo-short-sha: buggy is not a 40-hex commit",
        "bug demo-bad-family: family 'speed' is not one of",
        "bug demo-pasted: field 'summary' looks like pasted code",
        "bug demo-no-blocker: blocker must start with one of",
        "bug demo-no-caller: via_caller is true but no hot_caller is named",
        "duplicate ids: ['demo-case-0']",
        "only 3 clean traps, need at least 10",
    ]
    for message in expected:
        assert any(f.startswith(message) for f in found), (message, found)
