"""Hover and code actions on a flagged line: the explanation, `# perflint: ignore[CODE]`, the rule's docs."""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Tuple

from lsprotocol import types

from perflint.finding import Finding
from perflint.lsp.convert import PARSE_ERROR, hover_markdown
from perflint.lsp.edits import ignore_edit

if TYPE_CHECKING:
    from perflint.lsp.server import PerflintServer

SHOW_DOCS_COMMAND = "perflint.showRuleDocs"


def findings_at(server: "PerflintServer", uri: str, line: int, character: Optional[int] = None) -> List[Tuple[Finding, types.Diagnostic]]:
    """Findings whose range holds the position; else those on its line."""
    shown = server.published.get(uri)
    if shown is None:
        return []
    pairs = list(zip(shown.findings, shown.diagnostics))
    on_line = [(f, d) for f, d in pairs if d.range.start.line <= line <= _last_line(d.range)]
    if character is None:
        return on_line
    inside = [(f, d) for f, d in on_line if _contains(d.range, line, character)]
    return inside or on_line

def hover(server: "PerflintServer", params: types.HoverParams) -> Optional[types.Hover]:
    pairs = findings_at(server, params.text_document.uri, params.position.line, params.position.character)
    if not pairs:
        return None
    text = hover_markdown([f for f, _ in pairs], server.explanations)
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
        range=pairs[0][1].range,
    )

def code_actions(server: "PerflintServer", params: types.CodeActionParams) -> Optional[List[types.CodeAction]]:
    only = params.context.only
    quickfix = types.CodeActionKind.QuickFix.value
    if only and not any(str(k) in ("", quickfix) or quickfix.startswith(f"{k}.") for k in only):
        return None
    uri = params.text_document.uri
    document = server._document(uri)
    if document is None:
        return None
    pairs: List[Tuple[Finding, types.Diagnostic]] = []
    for line in range(params.range.start.line, params.range.end.line + 1):
        for pair in findings_at(server, uri, line):
            if pair not in pairs:
                pairs.append(pair)
    actions: List[types.CodeAction] = []
    documented = set()
    for finding, diag in pairs:
        if finding.rule == PARSE_ERROR:
            continue
        edit = ignore_edit(document.source, finding.line, finding.rule)
        if edit is not None:
            lines = document.lines
            mapper = server._position_mapper(lines)
            actions.append(
                types.CodeAction(
                    title=f"Ignore {finding.rule} on this line (# perflint: ignore[{finding.rule}])",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    edit=types.WorkspaceEdit(
                        changes={
                            uri: [
                                types.TextEdit(
                                    range=types.Range(start=mapper(edit.line, edit.start), end=mapper(edit.line, edit.end)),
                                    new_text=edit.text,
                                )
                            ]
                        }
                    ),
                )
            )
        if finding.rule not in documented:
            documented.add(finding.rule)
            actions.append(
                types.CodeAction(
                    title=f"Show documentation for {finding.rule} ({finding.name})",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    command=types.Command(
                        title=f"Show documentation for {finding.rule}",
                        command=SHOW_DOCS_COMMAND,
                        arguments=[finding.rule],
                    ),
                )
            )
    return actions


def _last_line(rng: types.Range) -> int:
    # An end at column 0 of the next line still belongs to the line before.
    return rng.end.line - 1 if rng.end.character == 0 and rng.end.line > rng.start.line else rng.end.line


def _contains(rng: types.Range, line: int, character: int) -> bool:
    start, end = rng.start, rng.end
    return (start.line, start.character) <= (line, character) <= (end.line, end.character)
