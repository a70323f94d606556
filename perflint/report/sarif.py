"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; `tool.driver.rules` holds every rule perflint knows (plus PFL000 when a file
could not be parsed), results point at their rule by `ruleId` and `ruleIndex`, locations
are relative URIs against `%SRCROOT%` (the folder perflint ran in), each result carries a
stable `partialFingerprints["perflint/v1"]`, and the heat trace becomes a code flow.
Files perflint could not analyse become tool execution notifications. The output is a
pure function of the Result: the same Result always renders to the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

from perflint.docs import rule_docs_url
from perflint.report import finding_text
from perflint.finding import FileError, Finding, Result, RuleInfo, TraceHop, seconds

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/perflint-cst/perflint"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "perflint/v1"

# perflint severity -> SARIF level (the names happen to match; kept explicit on purpose).
LEVELS = {"error": "error", "warning": "warning", "note": "note"}

PARSE_ERROR = RuleInfo(
    code="PFL000",
    name="parse-error",
    family="error",
    summary="The file could not be parsed, so perflint could not analyse it.",
    docs=(
        "The file could not be parsed, so perflint could not analyse it.\n\n"
        "## What it does\n\n"
        "Reports a Python file that perflint could not read or parse (a syntax error, "
        "an undecodable byte sequence, an unreadable file). No other rule ran on it."
    ),
    fix="fix the file so Python can parse it, or exclude it",
    default_severity="error",
)


def render(result: Result, **_: object) -> str:
    return json.dumps(to_sarif(result), indent=2, ensure_ascii=False) + "\n"


def to_sarif(result: Result) -> Dict[str, Any]:
    """The SARIF log as plain JSON data (what `render` serialises)."""
    rules, index = _rules(result)
    run: Dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "perflint",
                "version": result.version,
                "semanticVersion": result.version,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(info) for info in rules],
            }
        },
        "invocations": [_invocation(result.errors)],
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The folder perflint ran in; result paths are relative to it."}}
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule]) for f in result.findings],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# -- rules ---------------------------------------------------------------------------


def _rules(result: Result) -> Tuple[List[RuleInfo], Dict[str, int]]:
    """Every known rule sorted by code, plus PFL000 / unknown codes that findings use."""
    by_code: Dict[str, RuleInfo] = {info.code: info for info in result.rules}
    for f in result.findings:
        if f.rule in by_code:
            continue
        if f.rule == PARSE_ERROR.code:
            by_code[f.rule] = PARSE_ERROR
        else:  # a finding whose rule metadata the Result does not carry
            by_code[f.rule] = RuleInfo(
                code=f.rule, name=f.name, family=f.family, summary=f.message,
                docs="", fix=f.fix, default_severity="warning",
            )
    rules = [by_code[code] for code in sorted(by_code)]
    return rules, {info.code: i for i, info in enumerate(rules)}


def _what_it_does(info: RuleInfo) -> str:
    from perflint.rule import parse_sections

    text = parse_sections(info.docs).get("What it does", "").strip() if info.docs else ""
    return " ".join(text.split()) if text else info.summary


def _descriptor(info: RuleInfo) -> Dict[str, Any]:
    summary = info.summary or info.name
    help_text = f"{summary}\n\nFix: {info.fix}" if info.fix else summary
    markdown = (info.docs.strip() if info.docs else summary) + (f"\n\n## Fix\n\n{info.fix}" if info.fix else "")
    descriptor: Dict[str, Any] = {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": _what_it_does(info) or summary},
        "help": {"text": help_text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS.get(info.default_severity, "warning")},
        "properties": {"family": info.family, "tags": ["performance", info.family]},
    }
    if info.code != PARSE_ERROR.code and info.docs:
        descriptor["helpUri"] = rule_docs_url(info.code)
    return descriptor


# -- results -------------------------------------------------------------------------


def _artifact(path: str) -> Dict[str, Any]:
    """A relative URI against %SRCROOT%; an absolute path (outside the cwd) as a file: URI."""
    posix = path.replace("\\", "/")
    if PurePosixPath(posix).is_absolute():
        return {"uri": PurePosixPath(posix).as_uri()}
    if PureWindowsPath(path).is_absolute():
        return {"uri": PureWindowsPath(path).as_uri()}
    return {"uri": quote(posix, safe="/"), "uriBaseId": SRCROOT}


def _region(line: int, column: int, end_line: int, end_column: int) -> Dict[str, int]:
    line = max(1, line)
    column = max(1, column)
    end_line = max(line, end_line)
    end_column = max(1, end_column)
    if end_line == line:
        end_column = max(column, end_column)
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _fingerprint(f: Finding) -> str:
    if f.fingerprint:
        return f.fingerprint
    key = f"{f.rule}|{f.path}|{f.line}|{f.message}"  # PFL000 findings carry no fingerprint
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16] + ":1"


def _message(f: Finding) -> str:
    return finding_text(f, "Fix")


def _logical(function: str) -> Optional[List[Dict[str, str]]]:
    if not function or function == "<module>":
        return None
    return [{"fullyQualifiedName": function, "kind": "function"}]


def _hop(hop: TraceHop) -> Dict[str, Any]:
    location: Dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": _artifact(hop.path),
            "region": {"startLine": max(1, hop.line)},
        },
        "message": {"text": hop.note},
    }
    logical = _logical(hop.function)
    if logical:
        location["logicalLocations"] = logical
    return {"location": location}


def _result(f: Finding, rule_index: int) -> Dict[str, Any]:
    location: Dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": _artifact(f.path),
            "region": _region(f.line, f.column, f.end_line, f.end_column),
        }
    }
    logical = _logical(f.function)
    if logical:
        location["logicalLocations"] = logical
    out: Dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS.get(f.severity, "warning"),
        "message": {"text": _message(f)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(f)},
        "properties": {
            "score": seconds(f.score),
            "scoreUnit": "seconds per unit of work",
            "cost": seconds(f.cost),
            "frequency": seconds(f.frequency),
            "confidence": f.confidence,
            "family": f.family,
            "function": f.function,
            "context": f.context,
        },
    }
    if f.related:
        out["relatedLocations"] = [
            {
                "id": i,
                "physicalLocation": {
                    "artifactLocation": _artifact(loc.path),
                    "region": _region(loc.line, loc.column, loc.end_line, loc.end_column),
                },
                "message": {"text": loc.note},
            }
            for i, loc in enumerate(f.related, start=1)
        ]
    if f.measured is not None:
        out["properties"]["measured"] = f.measured.describe()
        out["properties"]["measuredData"] = f.measured.to_json()
    if f.trace:
        out["codeFlows"] = [{"threadFlows": [{"locations": [_hop(hop) for hop in f.trace]}]}]
    return out


# -- invocation ----------------------------------------------------------------------


def _notification(error: FileError) -> Dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": f"{error.path}: {error.message}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(error.path),
                    "region": {"startLine": max(1, error.line), "startColumn": max(1, error.column)},
                }
            }
        ],
    }


def _invocation(errors: Tuple[FileError, ...]) -> Dict[str, Any]:
    invocation: Dict[str, Any] = {"executionSuccessful": True}
    if errors:
        invocation["toolExecutionNotifications"] = [_notification(e) for e in errors]
    return invocation
