"""Findings as LSP objects: diagnostics with trace hops as related locations, hover text."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from lsprotocol import types
from pygls.uris import from_fs_path

from perflint.docs import rule_docs_url
from perflint.finding import Finding
from perflint.units import format_time

SOURCE = "perflint"
PARSE_ERROR = "PFL000"
# Notes are shown only when `min-severity = "note"`; then as Information, not Hint: editors
# draw hints as faint dots, and a note the user asked to see should be readable.
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "note": types.DiagnosticSeverity.Information,
}

# (0-based line, 0-based code-point column) -> the client's position for that document
PositionMapper = Callable[[int, int], types.Position]


def path_uri(display: str) -> str:
    """A file URI for a display path (relative to the server's folder, or absolute)."""
    return from_fs_path(os.path.abspath(display)) or Path(os.path.abspath(display)).as_uri()


def diagnostic(finding: Finding, position: PositionMapper) -> types.Diagnostic:
    """One diagnostic: code with a docs link, severity, message with its context, the trace."""
    start = position(max(finding.line - 1, 0), max(finding.column - 1, 0))
    end_line, end_column = finding.end_line, finding.end_column
    if (end_line, end_column) <= (finding.line, finding.column):
        end_line, end_column = finding.line, finding.column + 1  # an empty range is hard to see
    end = position(max(end_line - 1, 0), max(end_column - 1, 0))
    message = finding.message
    if finding.context:
        message += f"\n{finding.context}"
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=path_uri(hop.path), range=_line_range(hop.line)),
            message=f"{hop.function}: {hop.note}" if hop.note else hop.function,
        )
        for hop in finding.trace
    ]
    related += [
        types.DiagnosticRelatedInformation(
            location=types.Location(
                uri=path_uri(loc.path),
                range=types.Range(
                    start=types.Position(line=max(loc.line - 1, 0), character=max(loc.column - 1, 0)),
                    end=types.Position(line=max(loc.end_line - 1, 0), character=max(loc.end_column - 1, 0)),
                ),
            ),
            message=loc.note or "another site of the same cause",
        )
        for loc in finding.related
    ]
    return types.Diagnostic(
        range=types.Range(start=start, end=end),
        message=message,
        severity=SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.rule,
        code_description=None if finding.rule == PARSE_ERROR else types.CodeDescription(href=rule_docs_url(finding.rule)),
        source=SOURCE,
        related_information=related or None,
        data={"fingerprint": finding.fingerprint} if finding.fingerprint else None,
    )


def _line_range(line: int) -> types.Range:
    """The whole of a 1-based line: the trace names lines, not columns."""
    line = max(line - 1, 0)
    return types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line + 1, character=0))


def hover_markdown(findings: Sequence[Finding], explanations: Optional[Dict[str, str]] = None) -> str:
    """What a finding costs and why it is hot: estimated cost, frequency, score, the chain."""
    blocks: List[str] = []
    for finding in findings:
        lines = [f"**{finding.rule}** `{finding.name}` ({finding.severity}): {_escape(finding.message)}", ""]
        if finding.rule == PARSE_ERROR:
            blocks.append("\n".join(lines + [_escape(finding.fix)]))
            continue
        cost = f"{format_time(finding.cost)} per execution" if finding.cost > 0 else "not estimated"
        lines += [
            f"- estimated cost: {cost}",
            f"- frequency: {finding.frequency:,.4g} executions per unit of work",
            f"- score: {format_time(finding.score)} per unit of work (confidence {finding.confidence})",
        ]
        if finding.measured is not None:
            lines.append(f"- {_escape(finding.measured.describe())}")
        if finding.context:
            lines += ["", _escape(finding.context)]
        if finding.trace:
            lines += ["", "Chain:"]
            for number, hop in enumerate(finding.trace, 1):
                where = f"{hop.path}:{hop.line}"
                lines.append(f"{number}. [{_escape(where)}]({path_uri(hop.path)}#L{hop.line}) "
                             f"`{hop.function}`: {_escape(hop.note)}")
        explanation = (explanations or {}).get(finding.fingerprint)
        if explanation:
            lines += ["", "```text", explanation.rstrip(), "```"]
        lines += ["", f"Fix: {_escape(finding.fix)}", "", f"[{finding.rule} documentation]({rule_docs_url(finding.rule)})"]
        blocks.append("\n".join(lines))
    return "\n\n---\n\n".join(blocks)


def _escape(text: str) -> str:
    """Markdown-safe text: `*`, `_` and brackets are common in messages about code; spans
    already in backticks are left as written (a backslash would show inside them)."""
    if text.count("`") % 2:
        return _escape_plain(text.replace("`", "'"))
    parts = text.split("`")
    return "`".join(_escape_plain(part) if i % 2 == 0 else part for i, part in enumerate(parts))


def _escape_plain(text: str) -> str:
    for char in "\\*_[]<>":
        text = text.replace(char, "\\" + char)
    return text
