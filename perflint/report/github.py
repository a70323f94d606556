"""`--format github`: GitHub Actions workflow commands, one annotation per finding.

    ::warning file=pkg/db.py,line=87,endLine=87,col=9,endColumn=27,title=PFL401 fsync-where-fdatasync::message

Severity -> command: error -> `::error`, warning -> `::warning`, note -> `::notice`.
`col`/`endColumn` are only sent when the finding starts and ends on the same line (the
runner rejects columns on multi-line ranges) and `endColumn` is never before `col`.
Escaping follows the Actions runner: in the message `%`, CR and LF become `%25`, `%0D`,
`%0A`; in property values `:` and `,` also become `%3A` and `%2C`.
Files perflint could not analyse are reported as `::error file=...::message`.
"""

from __future__ import annotations

from typing import List, Set, Tuple

from perflint.report import finding_text
from perflint.finding import FileError, Finding, Result

COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(name: str, properties: List[Tuple[str, object]], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{name} {props}::{escape_data(message)}" if props else f"::{name}::{escape_data(message)}"


def _message(f: Finding) -> str:
    return finding_text(f, "fix")


def annotation(f: Finding) -> str:
    line = max(1, f.line)
    end_line = max(line, f.end_line)
    props: List[Tuple[str, object]] = [("file", f.path), ("line", line), ("endLine", end_line)]
    if end_line == line and f.column >= 1:
        props += [("col", f.column), ("endColumn", max(f.column, f.end_column))]
    props.append(("title", f"{f.rule} {f.name}"))
    return _command(COMMANDS.get(f.severity, "warning"), props, _message(f))


def _error(error: FileError) -> str:
    return _command("error", [("file", error.path), ("line", max(1, error.line))], error.message)


def render(result: Result, **_: object) -> str:
    lines = [annotation(f) for f in result.findings]
    # Parse errors already appear as PFL000 findings; only add the errors that do not
    # (a path that does not exist, an unreadable folder).
    shown: Set[Tuple[str, str]] = {(f.path, f.message) for f in result.findings if f.rule == "PFL000"}
    lines += [_error(e) for e in result.errors if (e.path, e.message) not in shown]
    return "".join(line + "\n" for line in lines)
