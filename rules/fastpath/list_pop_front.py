"""PFL510 list-pop-front."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.datawalk import ACROSS_CALLS_DRAINED
from perflint.nodes import NESTED_SCOPES, own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import earlier_statements, innermost_def, later_statements, target_names
from perflint.values import dotted_text

CODE = "PFL510"
FIX = ("keep the elements in a collections.deque and take them with popleft() (appendleft() for insert(0, x)); "
       "or walk the list with an index and clear it once at the end")
_GROWERS = frozenset({"append", "extend", "insert"})
_SPLITTERS = frozenset({"split", "rsplit", "splitlines", "readlines"})
_LIST_CALLS = frozenset({"list", "sorted"})
# `self.items = ...` anywhere in the file: what the attribute is bound to (the text after `=`).
_ATTR_BIND = re.compile(r"\bself\.(\w+)[ \t]*(?::[^=\n]+)?=(?!=)[ \t]*([^\n]*)")
# `self.a, self.b = ...`: bound by unpacking, to values this cannot see.
_ATTR_UNPACKED = re.compile(r"^[ \t]*\(?[ \t]*self\.(\w+)[ \t]*,([^=\n]*)=(?!=)", re.M)
_ATTR_GROWN = re.compile(r"\.(\w+)\.(?:append|extend|insert)\(|\bself\.(\w+)[ \t]*\+=")
_ATTR_POPPED_BACK = re.compile(r"\.(\w+)\.pop\([ \t]*(?:-1[ \t]*)?\)")
# The text of a value that is a list: a display or comprehension, list(...), sorted(...), a split.
_LIST_TEXT = re.compile(r"^(?:\[|list\(|sorted\()|\.(?:split|rsplit|splitlines|readlines)\([^()]*\)[ \t]*(?:#.*)?$")
_NONE_TEXT = re.compile(r"^None[ \t]*(?:#.*)?$")


class ListPopFront(Rule):
    """
    A list used as a FIFO queue: taken from its front in a loop, or once per call of a
    method a caller repeats.

    ## What it does
    Flags `items.pop(0)`, `del items[0]` and `items = items[1:]` on a list, and
    `items.insert(0, x)` on a list that is also popped from its end, when the list is taken
    from its front again and again:
    - in a loop that keeps the same list (`while queue: node = queue.pop(0)`, a worklist or a
      breadth-first search that extends it with children, or a drain of a fixed list);
    - once per call of a method, on a list attribute (`self.items.pop(0)` in a `_get_next()`
      that `__next__` or a caller's loop repeats) that some method of the file appends to or
      extends: a buffer of rows, a queue of pending work.

    The receiver must be visibly a list: a local the function binds only to a list display,
    `list(...)`, `sorted(...)`, a list comprehension or a `.split()`; an attribute of `self`
    that the file binds only to such values (or None).

    ## Why is this slow
    A list keeps its elements in one array: taking the first moves every element behind it
    one slot (`insert(0, x)` moves them the other way), so each pop costs what the list holds
    and draining n elements from the front moves n²/2 of them. Measured here: draining 10,000
    elements with `pop(0)` takes 8.3 ms against 0.4 ms with a deque, 100,000 elements 1.47 s
    against 8 ms. `collections.deque.popleft()` takes the first element in O(1).

    ## Example
    ```python
    def reachable(graph, start):
        seen, queue = {start}, [start]
        while queue:
            node = queue.pop(0)
            for child in graph[node]:
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        return seen
    ```

    ## Use instead
    ```python
    from collections import deque

    def reachable(graph, start):
        seen, queue = {start}, deque([start])
        while queue:
            node = queue.popleft()
            for child in graph[node]:
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        return seen
    ```

    ## Notes
    Priced per element moved (`list-shift-element`): a pop moves half of what a drain started
    with on average, so a drain of n elements costs n²/2 moves, n being the trips of the
    loop that drains it (`loop-trips` when nothing bounds it), or, for an attribute taken once
    per call, the calls made in a row: the trips of the loops around the call on the hottest
    chain, or the method's calls per unit of work when it sits in no loop (a per-item
    `__next__`). With the defaults a drain of 100 elements moves 5,000 pointers, about a
    microsecond: a note. The cost matters for queues of thousands, which the code rarely shows.

    A pop that keeps a list at a bound (`while len(window) > size: window.pop(0)` after
    extending it) moves what the bound allows, priced at the bound when the code gives it as a
    number. A list that the same trip or call gives one element back for each it takes
    (`q.append(q.pop(0))`, `del self.lines[0]` then `self.lines.append(blank)`, a window that
    appends one element and drops one) keeps its length: a rotation, not a queue drained, and is
    not reported. Not reported either: a single `pop(0)` (outside any loop, or followed by `return` or
    `break` in its loop, in a function that runs once), a list made afresh in each trip
    (`parts = line.split(); cmd = parts.pop(0)`), a list display written out in the code
    that nothing grows (a few items), `pop()` from the end, deques, dicts and sets. Parameters
    are left alone: `while args: arg = args.pop(0)` over command-line arguments is the usual
    way to parse a handful of them, and a parameter's type is not visible; so is a list built
    from `sys.argv`. Test code is not reported.
    """

    CODE = CODE
    NAME = "list-pop-front"
    FAMILY = "fastpath"
    COST = "list-shift-element"  # perflint/calibrate.py SPECS: per element moved
    FIX = FIX
    TRIGGERS = ("pop(0)", "insert(0,", "[0]", "[1:]")
    VALID = [
        # A deque pops from the left in O(1).
        "from collections import deque\ndef bfs(start):\n    queue = deque([start])\n    while queue:\n"
        "        node = queue.popleft()\n        queue.extend(node.children)\n",
        # A single pop(0) on a list made per line: a fresh list each trip.
        "def parse(lines):\n    for line in lines:\n        parts = line.split()\n        cmd = parts.pop(0)\n"
        "        yield cmd, parts\n",
        # Command-line arguments: a parameter, parsed the usual way.
        "def main(args):\n    while args:\n        arg = args.pop(0)\n        print(arg)\n",
        # pop() from the end: O(1).
        "def walk(root):\n    stack = [root]\n    while stack:\n        node = stack.pop()\n"
        "        stack.extend(node.children)\n",
        # A few items written out, nothing grows them.
        "def steps():\n    todo = ['a', 'b', 'c']\n    while todo:\n        print(todo.pop(0))\n",
        # A dict's pop(0) takes the key 0.
        "def f(rows):\n    index = {}\n    for r in rows:\n        index.pop(0, None)\n",
    ]
    INVALID = [
        Invalid("def bfs(start):\n    queue = [start]\n    while queue:\n        node = queue.pop(0)\n"
                "        queue.extend(node.children)\n", line=4),
        Invalid("def drain(text):\n    lines = text.split('\\n')\n    while lines:\n        del lines[0]\n", line=4),
        Invalid("class Cursor:\n    def __init__(self):\n        self.items = []\n"
                "    def _extend(self, rows):\n        self.items.extend(rows)\n"
                "    def __next__(self):\n        return self.items.pop(0)\n", line=7),
        Invalid("def rest(values):\n    items = sorted(values)\n    for _ in range(10):\n        items = items[1:]\n"
                "    return items\n", line=4),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._attrs: Optional[Tuple[Set[str], Set[str], Set[str]]] = None  # list attrs, grown, popped from the end
        self._locals: Dict[int, Dict[str, Optional[Tuple[bool, bool, bool]]]] = {}  # per function

    # -- the sites -------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is not cst.Attribute:
            return
        method = func.attr.value
        if method == "pop" and len(node.args) == 1 and _is_zero(node.args[0]):
            self._site(node, func.value, f"{_text(func.value)}.pop(0)", insert=False)
        elif method == "insert" and len(node.args) == 2 and _is_zero(node.args[0]):
            self._site(node, func.value, f"{_text(func.value)}.insert(0, ...)", insert=True)

    def visit_Del(self, node: cst.Del) -> None:
        target = node.target
        if type(target) is cst.Subscript and len(target.slice) == 1 and type(target.slice[0].slice) is cst.Index \
                and type(target.slice[0].slice.value) is cst.Integer and target.slice[0].slice.value.value == "0":
            self._site(node, target.value, f"del {_text(target.value)}[0]", insert=False)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        target, value = node.targets[0].target, node.value
        if _rest_of(value, target):
            self._site(node, target, f"{_text(target)} = {_text(target)}[1:]", insert=False)

    # -- deciding --------------------------------------------------------------------------
    def _site(self, node: cst.CSTNode, receiver: cst.BaseExpression, what: str, insert: bool) -> None:
        if self.ctx.is_test:
            return
        function = innermost_def(self.ctx)
        if function is None:
            return  # module level: runs once
        text = dotted_text(receiver)
        if text is None:
            return
        self_name = self.ctx.self_name()
        attr = None
        if type(receiver) is cst.Attribute:
            if self_name is None or type(receiver.value) is not cst.Name or receiver.value.value != self_name:
                return
            attr = receiver.attr.value
            lists, grown, popped_back = self._attr_facts()
            if attr not in lists or (insert and attr not in popped_back):
                return
        elif type(receiver) is cst.Name:
            facts = self._local_facts(function, receiver.value)
            if facts is None:
                return
            fixed, _, local_popped_back = facts
            if fixed or (insert and not local_popped_back):
                return  # a few items written out, nothing grows them
        else:
            return
        loops, loop_nodes = self.ctx.loops, self.ctx.loop_nodes
        if not insert and _refilled(self.ctx.stack, loop_nodes[-1] if loop_nodes else None, node, text):
            return  # one element in for each taken out: a rotation or a window, not a queue drained
        start = _draining_loop(loop_nodes, receiver, text)
        if start is not None and _leaves_loop(self.ctx.stack, loop_nodes[-1], node):
            start = None  # one pop per run of the loop: `return items.pop(0)` in a wait loop
        window = _window_bound(self.ctx.stack, text, self.ctx.constants)
        if start is not None:
            message = (f"'{what}' takes the first element of a list in a loop: each one moves every element behind "
                       "it one slot, so draining n elements from the front is O(n²); a collections.deque takes "
                       "it in O(1)")
            if insert:
                message = (f"'{what}' puts an element in front of a list in a loop: each one moves every element "
                           "behind it one slot, so n of them are O(n²); a collections.deque's appendleft() is O(1)")
            if window is not False and not insert:
                # a sliding window (`if len(w) > size: w.pop(0)`): each pop moves what the bound allows
                self.report(node, f"'{what}' takes the first element of a list kept at a bound in a loop: each one "
                                  "moves every element behind it one slot; a collections.deque(maxlen=...) drops "
                                  "it in O(1)", size=window)
                return
            self.report(node, message, growth=(start, 1.0, 0, 0.0))
            return
        if attr is None or loops and not _leaves_loop(self.ctx.stack, loop_nodes[-1], node):
            return  # a local taken once, or an attribute rebound in the loop that pops it
        if function.name.value == "__init__" or attr not in self._attr_facts()[1] \
                or _rebinds_attr(function, self_name, attr):
            return  # nothing fills it across calls, or the method brings its own list
        if window is not False:
            return  # a bounded buffer trimmed per call
        name = function.name.value
        message = (f"'{what}' takes the first element of a list the object keeps and appends to, once per call of "
                   f"{name}(): each call moves every element behind it one slot, so draining n elements call by "
                   "call is O(n²); a collections.deque takes it in O(1)")
        if insert:
            message = (f"'{what}' puts an element in front of a list the object keeps and pops from its end, once "
                       f"per call of {name}(): each call moves every element behind it one slot, so n calls are "
                       "O(n²); a collections.deque's appendleft() is O(1)")
        self.report(node, message, requires=("repeated",), growth=(ACROSS_CALLS_DRAINED, 1.0, 0, 0.0))

    def _attr_facts(self) -> Tuple[Set[str], Set[str], Set[str]]:
        """Attributes of self the file binds only to lists (or None), those it grows, and those
        it pops from the end: read from the text once per file, as PFL204 reads its buffers."""
        if self._attrs is None:
            source = self.ctx.source
            listed: Set[str] = set()  # bound to a list somewhere
            other: Set[str] = set()  # bound to something else somewhere: a deque, a parameter
            for name, value in _ATTR_BIND.findall(source):
                value = value.strip()
                if _NONE_TEXT.match(value):
                    continue  # emptied or not made yet
                if _LIST_TEXT.search(value) and "deque" not in value and "argv" not in value:
                    listed.add(name)
                else:
                    other.add(name)
            for first, rest in _ATTR_UNPACKED.findall(source):
                other.update([first] + re.findall(r"self\.(\w+)", rest))
            grown = {a or b for a, b in _ATTR_GROWN.findall(source)}
            popped = set(_ATTR_POPPED_BACK.findall(source))
            self._attrs = (listed - other, grown, popped)
        return self._attrs

    def _local_facts(self, function: cst.FunctionDef, name: str) -> Optional[Tuple[bool, bool, bool]]:
        """(a fixed display nothing grows, grown, popped from the end) for a local the function
        binds only to lists; None when it is a parameter, bound to anything else or not at all."""
        per_function = self._locals.setdefault(id(function), {})
        if name not in per_function:
            per_function[name] = _local_list(function, name)
        return per_function[name]


def _is_zero(arg: cst.Arg) -> bool:
    return arg.keyword is None and not arg.star and type(arg.value) is cst.Integer and arg.value.value == "0"


def _text(expr: cst.BaseExpression) -> str:
    return dotted_text(expr) or "the list"


def _rest_of(value: cst.BaseExpression, target: cst.BaseExpression) -> bool:
    """`value` is `target[1:]`."""
    if type(value) is not cst.Subscript or len(value.slice) != 1 or type(value.slice[0].slice) is not cst.Slice:
        return False
    part = value.slice[0].slice
    return type(part.lower) is cst.Integer and part.lower.value == "1" and part.upper is None and part.step is None \
        and dotted_text(value.value) is not None and dotted_text(value.value) == dotted_text(target)


def _list_value(value: Optional[cst.BaseExpression]) -> Optional[bool]:
    """True for a list display written out (fixed), False for another list value, None for
    anything else: a deque, a parameter's value, a call, the command line."""
    kind = type(value)
    if kind is cst.List:
        return not any(type(e) is cst.StarredElement for e in value.elements)  # type: ignore[union-attr]
    if kind is cst.ListComp:
        return False
    if kind is cst.Call:
        func = value.func  # type: ignore[union-attr]
        if any("argv" in (dotted_text(n) or "") for n, _ in own_nodes(value) if type(n) is cst.Attribute):
            return None  # the command line: a handful of arguments
        if type(func) is cst.Name and func.value in _LIST_CALLS:
            return False
        if type(func) is cst.Attribute and func.attr.value in _SPLITTERS:
            return False
        return None
    if kind is cst.BinaryOperation and type(value.operator) is cst.Add:  # type: ignore[union-attr]
        sides = (_list_value(value.left), _list_value(value.right))  # type: ignore[union-attr]
        if any(s is not None for s in sides):
            return False
    return None


def _local_list(function: cst.FunctionDef, name: str) -> Optional[Tuple[bool, bool, bool]]:
    params = function.params
    if name in {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}:
        return None  # a parameter: its type is not visible (and argv-style parsing is benign)
    values: List[bool] = []
    grown = popped_back = False
    for node, _ in own_nodes(function.body):
        kind = type(node)
        if kind is cst.Assign or kind is cst.AnnAssign:
            targets = [t.target for t in node.targets] if kind is cst.Assign else [node.target]  # type: ignore[attr-defined]
            for target in targets:
                if type(target) is cst.Name:
                    if target.value != name:
                        continue
                    value = node.value  # type: ignore[attr-defined]
                    if _rest_of(value, target):
                        continue  # the consumption itself
                    if type(value) is cst.BinaryOperation and type(value.operator) is cst.Add \
                            and name in (dotted_text(value.left), dotted_text(value.right)):
                        grown = True  # `queue = queue + children`: still a list
                        continue
                    listed = _list_value(value)
                    if listed is None:
                        return None
                    values.append(listed)
                else:
                    names: Set[str] = set()
                    target_names(target, names)
                    if name in names:
                        return None  # unpacked into: not visibly a list
        elif kind is cst.AugAssign and type(node.target) is cst.Name and node.target.value == name:  # type: ignore[attr-defined]
            grown = True
        elif kind in (cst.For, cst.CompFor, cst.NamedExpr, cst.AsName, cst.Global, cst.Nonlocal):
            names = set()
            if kind in (cst.Global, cst.Nonlocal):
                names = {n.name.value for n in node.names}  # type: ignore[attr-defined]
            else:
                target_names(node.name if kind is cst.AsName else node.target, names)  # type: ignore[attr-defined]
            if name in names:
                return None
        elif kind is cst.Call and type(node.func) is cst.Attribute and type(node.func.value) is cst.Name \
                and node.func.value.value == name:  # type: ignore[attr-defined]
            method = node.func.attr.value  # type: ignore[attr-defined]
            if method in _GROWERS:
                grown = True
            elif method == "pop" and (not node.args or (  # type: ignore[attr-defined]
                    type(node.args[0].value) is cst.UnaryOperation)):  # type: ignore[attr-defined]
                popped_back = True
    if not values:
        return None
    return all(values) and not grown, grown, popped_back


def _binds(loop: cst.CSTNode, receiver: cst.BaseExpression, text: str) -> bool:
    """The loop binds the list afresh somewhere (`parts = line.split()` in each trip)."""
    for node, _ in own_nodes(loop):
        kind = type(node)
        if kind is cst.Assign or kind is cst.AnnAssign:
            targets = [t.target for t in node.targets] if kind is cst.Assign else [node.target]  # type: ignore[attr-defined]
            for target in targets:
                if dotted_text(target) == text:
                    value = node.value  # type: ignore[attr-defined]
                    if _rest_of(value, target) or (type(value) is cst.BinaryOperation and type(value.operator) is cst.Add
                                                   and text in (dotted_text(value.left), dotted_text(value.right))):
                        continue
                    return True
                if type(target) in (cst.Tuple, cst.List) and any(dotted_text(e.value) == text for e in target.elements):
                    return True
        elif kind in (cst.For, cst.CompFor) and node is not loop and dotted_text(node.target) == text:  # type: ignore[attr-defined]
            return True
    return False


def _draining_loop(loop_nodes: Tuple[cst.CSTNode, ...], receiver: cst.BaseExpression, text: str) -> Optional[int]:
    """The index of the outermost loop around the site, in the run of loops from the innermost
    out, that keeps the same list (binds it nowhere): the loop whose trips take its elements."""
    start = None
    for index in range(len(loop_nodes) - 1, -1, -1):
        if _binds(loop_nodes[index], receiver, text):
            break
        start = index
    return start


def _leaves_loop(stack, loop: cst.CSTNode, node: cst.CSTNode) -> bool:
    """After the site, its trip leaves the loop on every path (`return items.pop(0)`, a
    `break` after it): one pop per run of the loop."""
    index = max(i for i, n in enumerate(stack) if n is loop)
    inner = list(stack[index + 1:])
    if any(type(n) is cst.Return for n in inner):
        return True
    for stmt in later_statements(inner, node):
        smalls = stmt.body if type(stmt) is cst.SimpleStatementLine else [stmt]  # type: ignore[attr-defined]
        if any(type(s) in (cst.Return, cst.Break, cst.Raise) for s in smalls):
            return True
    return False


def _refilled(stack, loop: Optional[cst.CSTNode], node: cst.CSTNode, text: str) -> bool:
    """The same trip of the loop (or the same call) appends one element to the list on every
    path, before or after the site (`del self.lines[0]` then `self.lines.append(blank)`; `q.append(q.pop(0))`):
    its length stays what it was."""
    inner = stack
    if loop is not None:
        index = max(i for i, n in enumerate(stack) if n is loop)
        inner = list(stack[index + 1:])
    for ancestor in inner:
        if type(ancestor) is cst.Call and ancestor is not node and _appends(ancestor, text):
            return True  # `q.append(q.pop(0))`
    added = 0
    for stmt in later_statements(inner, node) + earlier_statements(inner, node):
        smalls = stmt.body if type(stmt) is cst.SimpleStatementLine else [stmt]  # type: ignore[attr-defined]
        added += sum(1 for small in smalls if type(small) is cst.Expr and _appends(small.value, text))
    return added == 1  # two appends a trip grow it (a tree's two children)


def _appends(expr: cst.BaseExpression, text: str) -> bool:
    return type(expr) is cst.Call and type(expr.func) is cst.Attribute and expr.func.attr.value in ("append", "insert") \
        and dotted_text(expr.func.value) == text


def _window_bound(stack, text: str, constants) -> object:
    """False when no test around the site keeps the list at a bound; else the bound's size
    when the code gives it as a number (`if len(window) > 50:`), None when it does not."""
    for ancestor in reversed(stack):
        if type(ancestor) in NESTED_SCOPES:
            break
        test = ancestor.test if type(ancestor) in (cst.If, cst.While) else None  # type: ignore[attr-defined]
        if test is None:
            continue
        for node, _ in own_nodes(test):
            if type(node) is not cst.Comparison or len(node.comparisons) != 1:
                continue
            left, op, right = node.left, node.comparisons[0].operator, node.comparisons[0].comparator
            if _len_of(left, text) and type(op) in (cst.GreaterThan, cst.GreaterThanEqual):
                bound = right
            elif _len_of(right, text) and type(op) in (cst.LessThan, cst.LessThanEqual):
                bound = left
            else:
                continue
            if type(bound) is cst.Integer:
                value = int(bound.value, 0)
                if value == 0:
                    continue  # `len(queue) > 0`: a drain
                return float(value)
            if type(bound) is cst.Name and bound.value in constants:
                return float(constants[bound.value])
            return None
    return False


def _len_of(expr: cst.BaseExpression, text: str) -> bool:
    return type(expr) is cst.Call and type(expr.func) is cst.Name and expr.func.value == "len" \
        and len(expr.args) == 1 and dotted_text(expr.args[0].value) == text


def _rebinds_attr(function: cst.FunctionDef, self_name: Optional[str], attr: str) -> bool:
    """The method binds `self.attr` itself (`self.items = fetch()` then pops): its own list."""
    text = f"{self_name}.{attr}"
    for node, _ in own_nodes(function.body):
        if type(node) is cst.Assign and any(dotted_text(t.target) == text for t in node.targets) \
                and not _rest_of(node.value, node.targets[0].target):
            return True
    return False
