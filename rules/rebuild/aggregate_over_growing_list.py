"""PFL306 aggregate-over-growing-list."""

from __future__ import annotations

from typing import Dict, List, Optional, Set

import libcst as cst

from perflint.context import dotted_text
from perflint.rule import Invalid, Rule

# Builtins that visit every element of their argument.
_AGGREGATES = {"sum", "max", "min", "sorted", "any", "all"}
# Methods that add to a list, deque, set or bytearray in place.
_GROWERS = {"append", "extend", "appendleft", "insert", "add", "update"}


class AggregateOverGrowingList(Rule):
    """
    A total recomputed over the whole collection on every pass of a loop that grows it.

    ## What it does
    Flags `sum(...)`, `max(...)`, `min(...)`, `sorted(...)`, `any(...)`/`all(...)` and
    `len(b"".join(...))` over a collection in a `while` condition, when the loop's body
    appends to that same collection (`append`, `extend`, `add`, `+=`) and does not replace
    it. The classic case is a read loop: `while sum(map(len, self._buffer)) < n:
    self._buffer.append(next(chunks))`.

    ## Why is this slow
    Each pass of the condition visits every element the loop has added so far: n passes
    cost n²/2 element visits. Reading a large body in small chunks turns into millions of
    `len()` calls for a few thousand chunks. A running total, updated where the element is
    added, answers the condition in constant time.

    ## Example
    ```python
    def read(self, n):
        while sum(map(len, self._buffer)) < n:
            self._buffer.append(next(self._chunks))
    ```

    ## Use instead
    ```python
    def read(self, n):
        while self._buffered < n:
            chunk = next(self._chunks)
            self._buffer.append(chunk)
            self._buffered += len(chunk)
    ```

    ## Notes
    `len(x)` alone is constant time and is not reported. A loop that rebinds the collection
    in its body (a new list per pass) does not grow it and is not reported.
    """

    CODE = "PFL306"
    COST = "scan-row"  # perflint/costs.py; measured by bench/costs.py
    NAME = "aggregate-over-growing-list"
    FAMILY = "rebuild"
    FIX = "keep a running total (count, size, maximum) updated where elements are added"
    TRIGGERS = ("while",)
    VALID = [
        # len() is O(1).
        "def read(sock, n):\n    buf = []\n    while len(buf) < n:\n        buf.append(sock.recv(1))\n",
        # The condition's list is not the one the loop grows.
        "def fill(sizes, out, n):\n    while sum(sizes) < n:\n        out.append(1)\n        sizes.pop()\n",
        # A running total.
        "def read(self, n):\n    while self._size < n:\n        c = next(self._it)\n        self._buffer.append(c)\n        self._size += len(c)\n",
        # The body replaces the list: it does not grow across passes.
        "def step(items):\n    while sum(items) > 10:\n        items = [i // 2 for i in items]\n        items.append(1)\n",
    ]
    INVALID = [
        Invalid(
            "class ChunkReader:\n"
            "    def read(self, n):\n"
            "        while sum(map(len, self._buffer)) < n:\n"
            "            try:\n"
            "                self._buffer.append(next(self._iter))\n"
            "            except StopIteration:\n"
            "                break\n"
            "        return b''.join(self._buffer)[:n]\n",
            line=3,
        ),
        Invalid(
            "def collect(stream, limit):\n"
            "    parts = []\n"
            "    while len(b''.join(parts)) < limit:\n"
            "        parts.append(stream.read(512))\n"
            "    return parts\n",
            line=3,
        ),
        Invalid(
            "def grow(source, total):\n"
            "    sizes = []\n"
            "    while sum(s for s in sizes) < total:\n"
            "        sizes += [source.pop()]\n"
            "    return sizes\n",
            line=3,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._pending: Dict[int, str] = {}  # id of an aggregate call in a while test -> collection text

    def visit_While(self, node: cst.While) -> None:
        if self.ctx.function is None:
            return  # module level: runs once
        aggregates = _aggregates(node.test)
        if not aggregates:
            return  # the body is walked only under a test that aggregates something
        grown, rebound = _changes(node.body)
        for call, target in aggregates:
            if target in grown and target not in rebound:
                self._pending[id(call)] = target

    def visit_Call(self, node: cst.Call) -> None:
        target = self._pending.pop(id(node), None)
        if target is None:
            return
        self.report(node, f"the loop condition visits every element of {target} on each pass, "
                          f"and the loop appends to {target}: quadratic in its length")


def _aggregates(test: cst.BaseExpression) -> List[tuple]:
    """(call, collection text) for each whole-collection aggregate in a loop test."""
    out: List[tuple] = []

    class _Find(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            target = _aggregated(call)
            if target is not None:
                out.append((call, target))

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    test.visit(_Find())
    return out


def _aggregated(call: cst.Call) -> Optional[str]:
    """The collection `call` visits whole, as dotted text, when it is an aggregate."""
    func = call.func
    if not call.args:
        return None
    arg = call.args[0].value
    if isinstance(func, cst.Name) and func.value in _AGGREGATES:
        return _collection(arg)
    if isinstance(func, cst.Name) and func.value == "len" and isinstance(arg, cst.Call):
        # len(b"".join(parts)): the join copies every part to count them.
        inner = arg.func
        if isinstance(inner, cst.Attribute) and inner.attr.value == "join" and arg.args:
            return _collection(arg.args[0].value)
    return None


def _collection(arg: cst.BaseExpression) -> Optional[str]:
    """`xs`, `self._buffer`: directly, through map(f, xs), or through a generator over it."""
    text = dotted_text(arg)
    if text is not None:
        return text
    if isinstance(arg, cst.Call) and isinstance(arg.func, cst.Name) and arg.func.value == "map" and len(arg.args) == 2:
        return dotted_text(arg.args[1].value)
    if isinstance(arg, (cst.GeneratorExp, cst.ListComp)) and arg.for_in.inner_for_in is None:
        return dotted_text(arg.for_in.iter)
    return None


def _changes(body: cst.CSTNode) -> tuple:
    """(collections grown in place, names rebound) in a loop body, nested functions aside."""
    grown: Set[str] = set()
    rebound: Set[str] = set()

    class _Find(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Call(self, call: cst.Call) -> None:
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in _GROWERS:
                text = dotted_text(func.value)
                if text is not None:
                    grown.add(text)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            if isinstance(node.operator, cst.AddAssign):
                text = dotted_text(node.target)
                if text is not None:
                    grown.add(text)

        def visit_Assign(self, node: cst.Assign) -> None:
            for t in node.targets:
                text = dotted_text(t.target)
                if text is not None:
                    rebound.add(text)

    body.visit(_Find())
    return grown, rebound
