"""Where each candidate of a file is: start and end line and column, and its snippet.

Computed once per file when the traversal ends (`FileContext.finish`): the walker knows
each node's start line, and the node's code, printed back, gives its columns and end."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Dict, List, Optional

import libcst as cst

from perflint.finding import Candidate

if TYPE_CHECKING:  # pragma: no cover
    from perflint.context import _Pending

# Python ends a line at \r\n, \r or \n (files from old Macs use a lone \r).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def positioned(pending: "List[_Pending]", module: cst.Module, source: str, node_lines: Dict[int, int],
               finish_target: Callable[[tuple], Optional[str]]) -> List[Candidate]:
    """The candidates a file's rules reported, with their positions and snippets."""
    source_lines = _LINE_BREAK.split(source)
    out = []
    # Rules often report one node more than once (PFL102's candidates, one per reading of a
    # call): its code is printed back and placed once.
    placed: Dict[int, tuple] = {}
    for p in pending:
        where = placed.get(id(p.node))
        if where is None:
            where = placed[id(p.node)] = _place(p.node, module, source_lines, node_lines)
        line, col, end_line, end_col, snippet = where
        target = finish_target(p.raw_target) if p.raw_target else None
        out.append(
            Candidate(
                rule=p.rule.CODE,
                line=line,
                column=col + 1,
                end_line=end_line,
                end_column=end_col + 1,
                function=p.function,
                loops=p.loops,
                message=p.message,
                fix=p.fix,
                confidence=p.confidence,
                snippet=snippet,
                requires=p.requires,
                target=target,
                cost_key=p.cost_key,
                size=p.size,
                cold=p.cold,
                per_item=p.per_item,
                growth=p.growth,
                guards=p.guards,
                branches=p.branches,
            )
        )
    return out


def _place(node: cst.CSTNode, module: cst.Module, source_lines: List[str], node_lines: Dict[int, int]) -> tuple:
    """(line, column from 0, end line, end column from 0, snippet) of a reported node."""
    line = start_line(node, node_lines.get(id(node), 1))
    lpar = getattr(node, "lpar", None)
    if lpar:
        # Like libcst's positions: a parenthesised node starts inside its parens.
        line += sum(len(_LINE_BREAK.findall(module.code_for_node(p))) for p in lpar)
        node = node.with_changes(lpar=(), rpar=())
    code = module.code_for_node(node)
    code_lines = _LINE_BREAK.split(code)
    leading = getattr(node, "leading_lines", ())
    skip = len(leading) if isinstance(leading, (list, tuple)) else 0
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        skip += sum(1 + len(d.leading_lines) for d in node.decorators) + len(node.lines_after_decorators)
    code_lines = code_lines[skip:] or [""]
    while len(code_lines) > 1 and not code_lines[-1].strip():
        code_lines.pop()
    first = code_lines[0].strip()
    text = source_lines[line - 1].rstrip("\r") if 0 < line <= len(source_lines) else ""
    col = text.find(first) if first else -1
    if col < 0:
        col = len(text) - len(text.lstrip())
    if len(code_lines) == 1:
        end_line, end_col = line, col + len(first)
    else:
        end_line = line + len(code_lines) - 1
        last = code_lines[-1].strip()
        end_text = source_lines[end_line - 1] if end_line <= len(source_lines) else ""
        found = end_text.rfind(last) if last else -1
        end_col = found + len(last) if found >= 0 else len(end_text.rstrip())
    return line, col, end_line, end_col, " ".join(code.split())[:200]


def start_line(node: cst.CSTNode, line: int) -> int:
    """The line a statement really starts on: after its leading blank/comment lines."""
    leading = getattr(node, "leading_lines", None)
    if isinstance(leading, (list, tuple)):
        line += len(leading)
        if type(node) is cst.FunctionDef or type(node) is cst.ClassDef:  # exact: isinstance on libcst's ABCs is slow
            line += sum(1 + len(d.leading_lines) for d in node.decorators)
            line += len(node.lines_after_decorators)
    return line
