"""PFL316 sort-per-insert."""

from __future__ import annotations

from typing import Optional, Set

import libcst as cst

from perflint.context import dotted_text
from perflint.datawalk import ACROSS_CALLS_INNER, ACROSS_CALLS_KEPT
from perflint.nodes import NESTED_SCOPES, own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import innermost_def, later_statements
from perflint.rules.alloc.bytes_concat_in_loop import _rebinds
from perflint.rules.rebuild.derived_value_per_update import kept_object, kept_whole, shrinks

CODE = "PFL316"  # the lead renumbers at merge: keep the code here and in the docs file name only
_ADDS = frozenset({"append", "insert"})
FIX = ("insert the element at its place with bisect.insort(items, x) (key= on Python 3.10+), "
       "or append in the loop and sort once after it")


class SortPerInsert(Rule):
    """
    A kept list sorted whole after every element appended to it.

    ## What it does
    Flags `items.append(x)` (or `insert`) followed by `items.sort(...)` (or `items =
    sorted(items)`) on the same list, and `items = sorted(items + [x])`, when the list
    outlives the step:
    - in a method, outside any loop of its own, on a list the object keeps (`self.items`, or
      a list of an object the method was handed): one element added and the whole list
      sorted again per call;
    - in a loop, on a list made before the loop: one element added and the whole list sorted
      again per trip.

    ## Why is this slow
    Sorting a sorted list with one element added still visits every element (Timsort finds
    the run, then merges the newcomer in): n comparisons to place one element, so k inserts
    cost k²/2 comparisons. `bisect.insort` finds the place in log n comparisons and moves the
    tail with one memmove; a loop that only needs the list sorted at its end sorts it once.

    ## Example
    ```python
    def add(self, job):
        self.jobs.append(job)
        self.jobs.sort(key=lambda j: j.due)
    ```

    ## Use instead
    ```python
    def add(self, job):
        bisect.insort(self.jobs, job, key=lambda j: j.due)
    ```

    ## Notes
    How many elements the list holds is worked out from the calls, as for an attribute grown
    once per call (`docs/scoring.md`, "Accumulators grown across calls"): a list no method
    empties after `__init__` holds one element per call of the method per unit of work, another
    one the calls the loops around the call make in a row; in a loop, the trips so far. A sort
    of a few elements is a note. A sort after the loop, and a list made afresh in the loop, are
    not reported. Test code is not reported.
    """

    CODE = CODE
    COST = "sort-insert-element"  # perflint/calibrate.py SPECS: per element of the list sorted
    NAME = "sort-per-insert"
    FAMILY = "rebuild"
    FIX = FIX
    TRIGGERS = ("sort",)
    VALID = [
        # Sorted once, after the loop.
        "def ranked(rows):\n    out = []\n    for r in rows:\n        out.append(r)\n    out.sort()\n    return out\n",
        # bisect keeps it sorted.
        "import bisect\nclass Q:\n    def add(self, job):\n        bisect.insort(self.jobs, job)\n",
        # A list made in each trip: its sort is of that trip's elements.
        "def f(rows):\n    for r in rows:\n        xs = list(r)\n        xs.append(0)\n        xs.sort()\n        print(xs)\n",
        # Another list sorted.
        "class Q:\n    def add(self, job):\n        self.jobs.append(job)\n        self.names.sort()\n",
    ]
    INVALID = [
        Invalid(
            "class Q:\n"
            "    def __init__(self):\n"
            "        self.jobs = []\n"
            "    def add(self, job):\n"
            "        self.jobs.append(job)\n"
            "        self.jobs.sort(key=lambda j: j.due)\n",
            line=6,
        ),
        Invalid(
            "def merge(rows):\n"
            "    out = []\n"
            "    for r in rows:\n"
            "        out.append(r)\n"
            "        out.sort()\n"
            "    return out\n",
            line=5,
        ),
        Invalid(
            "class Q:\n"
            "    def add(self, job):\n"
            "        self.jobs = sorted(self.jobs + [job])\n",
            line=3,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_test:
            return
        func = node.func
        if type(func) is cst.Attribute and func.attr.value in _ADDS:
            target = dotted_text(func.value)
            if target:
                sort = self._sort_after(node, target)
                if sort is not None:
                    self._report(sort, target, node)
        elif dotted_text(func) == "sorted" and len(node.args) >= 1:
            # items = sorted(items + [x]): one element added and the whole list sorted again
            arg = node.args[0].value
            if type(arg) is cst.BinaryOperation and type(arg.operator) is cst.Add and type(arg.right) is cst.List \
                    and len(arg.right.elements) == 1:
                target = dotted_text(arg.left)
                store = self.ctx.stack[-2] if len(self.ctx.stack) >= 2 else None
                if target and type(store) is cst.Assign and len(store.targets) == 1 \
                        and dotted_text(store.targets[0].target) == target:
                    self._report(store, target, node)

    def _sort_after(self, node: cst.Call, target: str) -> Optional[cst.CSTNode]:
        """The statement after the step, in its loop's trip (or its call), that sorts `target`
        whole: `target.sort(...)`, `target = sorted(target, ...)`."""
        loop = self._innermost_loop()
        for stmt in later_statements(self._stack_within(loop), node):
            if isinstance(stmt, NESTED_SCOPES):
                continue
            for current, _ in own_nodes(stmt, NESTED_SCOPES + (cst.For, cst.While)):
                if type(current) is cst.Call and type(current.func) is cst.Attribute \
                        and current.func.attr.value == "sort" and dotted_text(current.func.value) == target:
                    return current
                if type(current) is cst.Assign and len(current.targets) == 1 \
                        and dotted_text(current.targets[0].target) == target and type(current.value) is cst.Call \
                        and dotted_text(current.value.func) == "sorted" and current.value.args \
                        and dotted_text(current.value.args[0].value) == target:
                    return current
        return None

    def _innermost_loop(self) -> Optional[cst.CSTNode]:
        for ancestor in reversed(self.ctx.stack):
            if type(ancestor) in (cst.For, cst.While):
                return ancestor
            if type(ancestor) in (cst.FunctionDef, cst.Lambda, cst.ClassDef):
                return None
        return None

    def _stack_within(self, loop: Optional[cst.CSTNode]):
        """The traversal's stack from the loop's body in (all of it outside loops): the later
        statements of one trip, not those after the loop."""
        stack = self.ctx.stack
        if loop is None:
            return stack
        index = max(i for i, n in enumerate(stack) if n is loop)
        return list(stack[index + 1:])

    def _report(self, site: cst.CSTNode, target: str, step: cst.CSTNode) -> None:
        loops = self.ctx.loops
        function = innermost_def(self.ctx)
        if function is None or function.name.value == "__init__":
            return
        receiver, _, attr = target.partition(".")
        if shrinks(function, target):
            return  # a list the same code keeps short (sorted, then cut to its first n)
        if loops:
            loop = self._innermost_loop()
            if loop is None or _bound_in(loop, target):
                return  # a list made afresh in the trip
            if not attr and not _bound_before(function, loop, target):
                return  # a local the loop did not start with: unknown
            start = len(loops) - 1
            where = "per trip of the loop"
        else:
            if not attr or "." in attr:
                return  # a local sorted once per call: what the call built
            if _rebinds(function, receiver, attr):
                return  # made afresh by the same call (`self.items = []` first): it does not grow across calls
            found = kept_object(function, self.ctx.stack, step, receiver, self.ctx.self_name())
            if found is None:
                return
            start = ACROSS_CALLS_KEPT if found[1] == "self" and kept_whole(self.ctx.stack, attr) else ACROSS_CALLS_INNER
            where = "per call"
        self.report(
            site,
            f"'{target}' is sorted whole after one element is added to it, {where}: each sort visits every "
            "element held so far to place one, quadratic over the inserts",
            cost="sort-insert-key-element" if _keyed(site) else None, growth=(start, 1.0, 0, 0.0),
        )


def _bound_in(loop: cst.CSTNode, target: str) -> bool:
    """`target` is assigned in the loop's body other than by a sort of itself."""
    for current, _ in own_nodes(loop.body):  # type: ignore[attr-defined]
        if type(current) is cst.Assign and any(dotted_text(t.target) == target for t in current.targets):
            value = current.value
            if type(value) is cst.Call and dotted_text(value.func) == "sorted" and value.args:
                inner = value.args[0].value
                if dotted_text(inner) == target or (type(inner) is cst.BinaryOperation
                                                     and dotted_text(inner.left) == target):
                    continue
            return True
    return False


def _bound_before(function: cst.FunctionDef, loop: cst.CSTNode, target: str) -> bool:
    """A local assigned in the function outside the loop (`out = []` before it)."""
    inside: Set[int] = {id(n) for n, _ in own_nodes(loop)}
    for current, _ in own_nodes(function.body):
        if id(current) in inside:
            continue
        if type(current) is cst.Assign and any(dotted_text(t.target) == target for t in current.targets):
            return True
    return False


def _keyed(site: cst.CSTNode) -> bool:
    """The sort calls a key function per element (`sort(key=...)`, `sorted(..., key=...)`)."""
    return any(type(n) is cst.Arg and n.keyword is not None and n.keyword.value == "key"
               for n, _ in own_nodes(site))
