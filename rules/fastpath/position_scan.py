"""Shapes of a list scanned from the front to find one element's position (PFL502).

Tree code finds a node's place in its parent's child list this way: `for i, c in
enumerate(parent.children): if c is node: ...`, `while children[i] is not node: i += 1`,
`node.parent.children.index(node)`. Each is O(n) in the list, so a caller that does it
once per element makes the whole pass O(n^2).
"""

from __future__ import annotations

from typing import Optional, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.ruleutil import is_literal, names_in

POSITION_FIX = ("keep each element's position (a dict keyed by id(element), updated when the list changes), "
                "or resume the search where the previous one stopped, or pass the index along")


# The effect of a function whose position scan resumes within one call's batch.
BATCH_SCAN = "batch-position-scan"
BATCH_FIX = "collect the elements and pass them in one call (a run at a time), so its scan resumes instead of restarting"


def one_element_batch(call: cst.Call) -> bool:
    """A call handed a list display of exactly one element: `append_leaves(line, [leaf])`."""
    return any(isinstance(a.value, cst.List) and len(a.value.elements) == 1 and not a.keyword and not a.star
               and not isinstance(a.value.elements[0], cst.StarredElement) for a in call.args)


def identity_match(test: cst.BaseExpression, element: str) -> Optional[str]:
    """`c is node` (or `node is c`) with `c` the loop's element and `node` not a constant:
    the text of what is searched for."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1 or \
            not isinstance(test.comparisons[0].operator, cst.Is):
        return None
    left, right = test.left, test.comparisons[0].comparator
    for side, other in ((left, right), (right, left)):
        if isinstance(side, cst.Name) and side.value == element and _searched(other, {element}):
            return dotted_text(other) or "the element"
    return None


def element_of(target: cst.BaseExpression, enumerated: bool) -> Optional[str]:
    """The name bound to each element: `c` in `for c in xs` or `for i, c in enumerate(xs)`."""
    if enumerated:
        if isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2 and \
                isinstance(target.elements[1].value, cst.Name):
            return target.elements[1].value.value
        return None
    return target.value if isinstance(target, cst.Name) else None


def while_scan(node: cst.While) -> Optional[Tuple[str, str, str]]:
    """`while i < len(xs) and xs[i] is not node: i += 1`: (list text, searched text, the
    index's name)."""
    body = node.body
    if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1 or node.orelse is not None:
        return None
    line = body.body[0]
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    step = line.body[0]
    if not (isinstance(step, cst.AugAssign) and isinstance(step.operator, cst.AddAssign)
            and isinstance(step.target, cst.Name) and isinstance(step.value, cst.Integer)):
        return None
    index = step.target.value
    test = node.test
    parts = [test.left, test.right] if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And) else [test]
    for part in parts:
        if not isinstance(part, cst.Comparison) or len(part.comparisons) != 1 or \
                not isinstance(part.comparisons[0].operator, cst.IsNot):
            continue
        probe, searched = part.left, part.comparisons[0].comparator
        if not isinstance(probe, cst.Subscript) or len(probe.slice) != 1:
            continue
        sub = probe.slice[0].slice
        coll = dotted_text(probe.value)
        if coll and isinstance(sub, cst.Index) and isinstance(sub.value, cst.Name) and sub.value.value == index \
                and _searched(searched, {index}):
            return coll, dotted_text(searched) or "the element", index
    return None


def starts_fresh(block: Optional[cst.CSTNode], loop: cst.CSTNode, index: str) -> bool:
    """The index is set to a literal (`i = 0`) by the last statement before `loop` in its
    block that sets it: each scan starts from the front. A start read from somewhere else
    (`i = hints.get(id(parent), 0)`, a parameter) resumes where an earlier search stopped."""
    if not isinstance(block, cst.IndentedBlock):
        return False
    before = []
    for stmt in block.body:
        if stmt is loop:
            break
        before.append(stmt)
    for stmt in reversed(before):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value == index
                                                     for t in small.targets):
                return isinstance(small.value, cst.Integer)
    return False


def own_position(call: cst.Call) -> Optional[Tuple[str, str]]:
    """`node.parent.children.index(node)`: an element looking up its own place in a list
    reached through it. (list text, element text)."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "index" and len(call.args) == 1):
        return None
    arg = call.args[0].value
    coll = dotted_text(func.value)
    if not isinstance(arg, cst.Name) or coll is None or "." not in coll:
        return None
    return (coll, arg.value) if coll.split(".")[0] == arg.value else None


def _searched(expr: cst.BaseExpression, loop_names: set) -> bool:
    """What is searched for is a value of the call, not a constant or the loop's own data."""
    if is_literal(expr) or names_in(expr) & loop_names:
        return False
    text = dotted_text(expr)
    if text is None:
        return False
    return text not in ("None", "True", "False", "NotImplemented", "Ellipsis") and not text.split(".")[-1].isupper()
