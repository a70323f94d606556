"""Shapes of a keyed lookup done by a boolean mask over a kept pandas DataFrame (PFL502).

`self.table.loc[self.table.name == name, "dtype"]` finds one key's row by comparing the
column with the key over every row, then building a new frame from the mask: pandas' fixed
overhead per call (indexing, alignment, a new frame) is around a hundred microseconds, plus
the comparison per row. Called once per field of every record, it is the costliest line of
the loop; a dict from the column to what the caller needs, built once from the kept frame,
answers in a dict lookup.
"""

from __future__ import annotations

from typing import List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.nodes import own_nodes
from perflint.ruleutil import is_literal

MASK_FIX = ("build a dict from the key column to what you need once from the kept frame "
            "(`dict(zip(df[key_col], df[value_col]))`, or `df.set_index(key_col)` and `.at[...]`), "
            "rebuild it where the frame changes, and look each key up in it")


def frame_mask(node: cst.Subscript) -> Optional[Tuple[cst.BaseExpression, str, List[Tuple[str, str]]]]:
    """(frame, "loc" or "", [(column, compared name), ...]) of `F[F.col == k]`,
    `F.loc[F["col"] == k, ...]` and conjunctions of such equalities (`(F.a == x) & (F.b == y)`),
    where F is a name or an attribute chain and each compared side is a plain name; None for
    anything else (a range, `!=`, a mask over another frame, a literal or an attribute key)."""
    frame: cst.BaseExpression = node.value
    via = ""
    if isinstance(frame, cst.Attribute) and frame.attr.value == "loc":
        frame, via = frame.value, "loc"
    if not isinstance(frame, (cst.Name, cst.Attribute)) or not node.slice:
        return None
    if len(node.slice) > (2 if via else 1):
        return None
    first = node.slice[0].slice
    if not isinstance(first, cst.Index) or first.star is not None:
        return None
    text = dotted_text(frame)
    if not text:
        return None
    pairs: List[Tuple[str, str]] = []
    if not _equalities(first.value, text, pairs) or not pairs:
        return None
    return frame, via, pairs


def _equalities(expr: cst.BaseExpression, frame: str, out: List[Tuple[str, str]]) -> bool:
    """Collect `frame.col == name` equalities of a `&` conjunction; False on anything else.
    A conjunct comparing a column with a literal is kept as ("col", "") (part of a key)."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitAnd):
        return _equalities(expr.left, frame, out) and _equalities(expr.right, frame, out)
    if not isinstance(expr, cst.Comparison) or len(expr.comparisons) != 1 \
            or not isinstance(expr.comparisons[0].operator, cst.Equal):
        return False
    left, right = expr.left, expr.comparisons[0].comparator
    for side, other in ((left, right), (right, left)):
        column = _column_of(side, frame)
        if column is None:
            continue
        if isinstance(other, cst.Name) and other.value not in ("None", "True", "False"):
            out.append((column, other.value))
            return True
        if is_literal(other):
            out.append((column, ""))
            return True
        return False
    return False


def _column_of(expr: cst.BaseExpression, frame: str) -> Optional[str]:
    """`F.col` -> "col", `F["col"]` -> "col", `F[name]` -> "name" (a column named by a variable)."""
    if isinstance(expr, cst.Attribute) and dotted_text(expr.value) == frame:
        return expr.attr.value
    if isinstance(expr, cst.Subscript) and dotted_text(expr.value) == frame and len(expr.slice) == 1:
        index = expr.slice[0].slice
        if isinstance(index, cst.Index):
            if isinstance(index.value, cst.SimpleString):
                return index.value.value.strip("'\"")
            if isinstance(index.value, cst.Name):
                return index.value.value
    return None


def assigned_dotted(fdef: cst.FunctionDef) -> Set[str]:
    """The dotted targets (`self.df`, `df`) the function's own body assigns."""
    out: Set[str] = set()
    for node, _ in own_nodes(fdef.body):
        kind = type(node)
        if kind is cst.Assign:
            for target in node.targets:
                _targets(target.target, out)
        elif kind is cst.AnnAssign or kind is cst.AugAssign:
            _targets(node.target, out)
        elif kind is cst.For:
            _targets(node.target, out)
        elif kind is cst.WithItem and node.asname is not None:
            _targets(node.asname.name, out)
        elif kind is cst.NamedExpr:
            _targets(node.target, out)
    return out


def _targets(target: cst.BaseExpression, out: Set[str]) -> None:
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _targets(element.value, out)
        return
    if isinstance(target, cst.StarredElement):
        _targets(target.value, out)
        return
    text = dotted_text(target)
    if text:
        out.add(text)


def module_names(module: cst.Module) -> Set[str]:
    """Names bound at the module's top level (assignments and imports, also under a top-level
    `if`/`try`): what a function reads there as a global is built once, at import."""
    out: Set[str] = set()
    stack: List[cst.CSTNode] = list(module.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        _targets(target.target, out)
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    _targets(small.target, out)
                elif isinstance(small, cst.Import):
                    for alias in small.names:
                        out.add(dotted_text(alias.asname.name) if alias.asname else dotted_text(alias.name).split(".")[0])
                elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        out.add(dotted_text(alias.asname.name) if alias.asname else dotted_text(alias.name))
        elif isinstance(stmt, (cst.If, cst.Try)):
            stack.extend(stmt.body.body)
            if isinstance(stmt, cst.Try):
                for handler in stmt.handlers:
                    stack.extend(handler.body.body)
            elif stmt.orelse is not None and isinstance(stmt.orelse, cst.Else):
                stack.extend(stmt.orelse.body.body)
    return out
