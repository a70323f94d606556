"""A lookup method that collects every element of a list attribute matching its key (PFL502).

`def lookup(self, hostname): for e in self._entries: if self._matches(hostname, e):
entries.append(e)` answers "which entries belong to this key" by testing every entry: O(n)
per lookup. A dict of lists keyed by the key, kept where entries are added, answers in O(1).
Only methods named as lookups (`lookup`, `find*`, `get*`, `search*`, `*_by_*`) qualify:
collecting every element that matches is also how code filters, and a filter has no index.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional

import libcst as cst

from perflint.nodes import iter_children

LOOKUP_NAME = re.compile(r"^_*(?:lookup|find|get|search)(?:_\w+)?$|_by_\w+$")
PREDICATE_FIX = ("index the elements by that key (a dict of lists, updated where elements are added or removed) "
                 "and look the key up instead of testing every element")


def key_collect(loop: cst.For, fn: cst.FunctionDef, methods: Dict[str, cst.FunctionDef],
                self_name: Optional[str]) -> Optional[str]:
    """The matcher's text (`self._matches()` or `e.name ==`) when `loop` collects every
    element of a list attribute of `self_name` that matches a parameter of `fn`."""
    if self_name is None or not LOOKUP_NAME.search(fn.name.value):
        return None
    coll = loop.iter
    if not (isinstance(coll, cst.Attribute) and isinstance(coll.value, cst.Name) and coll.value.value == self_name):
        return None
    if not isinstance(loop.target, cst.Name) or not isinstance(loop.body, cst.IndentedBlock):
        return None
    element = loop.target.value
    params = [p.name.value for p in fn.params.params][1:]
    *guards, last = loop.body.body
    # Leading `if ...: continue` guards may only skip elements of another type or whose key
    # differs (`e.id != key`, `key is not None and e.id != key`): any other work in the loop
    # makes it more than a collect-by-key scan.
    keyed = None
    for guard in guards:
        if not (isinstance(guard, cst.If) and guard.orelse is None and _continues(guard.body)):
            return None
        if _type_skip(guard.test, element):
            continue
        keyed = keyed or _key_compare(guard.test, element, params, cst.NotEqual)
        if keyed is None:
            return None
    if guards and _appends(cst.IndentedBlock(body=[last]), element):
        return keyed
    if not isinstance(last, cst.If) or last.orelse is not None or not _appends(last.body, element):
        return None
    test = last.test
    if isinstance(test, cst.Comparison):
        return _key_compare(test, element, params, cst.Equal)
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) and isinstance(test.func.value, cst.Name) \
            and test.func.value.value == self_name:
        method = methods.get(test.func.attr.value)
        args = [a.value for a in test.args]
        names = [a.value if isinstance(a, cst.Name) else None for a in args]
        if method is None or element not in names or any(a.keyword or a.star for a in test.args):
            return None
        for position, name in enumerate(names):
            if name in params and _compares_param(method, position + 1):
                return f"{self_name}.{test.func.attr.value}()"
    return None


def _key_compare(test: cst.BaseExpression, element: str, params: List[str], operator: type) -> Optional[str]:
    """`element.field == param` (or `!=`, also behind `param is not None and`) as the matcher's text."""
    if operator is cst.NotEqual and isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        left = test.left
        if not (isinstance(left, cst.Comparison) and len(left.comparisons) == 1 and isinstance(left.comparisons[0].operator, cst.IsNot)
                and isinstance(left.left, cst.Name) and isinstance(left.comparisons[0].comparator, cst.Name)
                and left.comparisons[0].comparator.value == "None"):
            return None
        text = _key_compare(test.right, element, params, operator)
        return text if text is not None and text.endswith(f" {left.left.value}") else None
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.comparisons[0].operator, operator)):
        return None
    sides = (test.left, test.comparisons[0].comparator)
    for side, other in (sides, sides[::-1]):
        if isinstance(side, cst.Attribute) and isinstance(side.value, cst.Name) and side.value.value == element \
                and isinstance(other, cst.Name) and other.value in params:
            return f"{element}.{side.attr.value} == {other.value}"
    return None


def _type_skip(test: cst.BaseExpression, element: str) -> bool:
    """`not isinstance(element, cls)`: the guard skips elements of another type."""
    if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
        return False
    call = test.expression
    return (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "isinstance"
            and len(call.args) == 2 and not any(a.keyword or a.star for a in call.args)
            and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == element)


def _continues(body: cst.BaseSuite) -> bool:
    """The block is one `continue`."""
    lines = body.body if isinstance(body, cst.IndentedBlock) else (body,) if isinstance(body, cst.SimpleStatementSuite) else ()
    if len(lines) != 1:
        return False
    small = lines[0].body if isinstance(lines[0], (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else ()
    return len(small) == 1 and isinstance(small[0], cst.Continue)


def _appends(body: cst.BaseSuite, element: str) -> bool:
    """The block is one `out.append(element)`."""
    lines = body.body if isinstance(body, cst.IndentedBlock) else ()
    if len(lines) != 1 or not isinstance(lines[0], cst.SimpleStatementLine) or len(lines[0].body) != 1:
        return False
    small = lines[0].body[0]
    call = small.value if isinstance(small, cst.Expr) else None
    return (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "append"
            and len(call.args) == 1 and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == element)


def _compares_param(method: cst.FunctionDef, index: int) -> bool:
    """The method compares its parameter at `index` (0 is self) with `==`: a key match."""
    params = method.params.params
    if index >= len(params):
        return False
    name = params[index].name.value
    stack: List[cst.CSTNode] = [method.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Comparison):
            sides = [node.left] + [c.comparator for c in node.comparisons]
            if any(isinstance(c.operator, cst.Equal) for c in node.comparisons) and \
                    any(isinstance(s, cst.Name) and s.value == name for s in sides):
                return True
        stack.extend(iter_children(node))
    return False
