"""PFL205 record-parsed-per-index."""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.nodes import own_nodes
from perflint.rule import Invalid, Rule

_COUNTING = frozenset({"range", "itertools.count", "count"})  # loops that walk every index
_OFFSET_KEYWORDS = frozenset({"stream_pos", "offset", "pos", "position", "at"})


class RecordParsedPerIndex(Rule):
    """
    One record of a table parsed on its own, at an offset computed from its index, through a
    declarative parser, once per index.

    ## What it does
    Flags a method that takes a record's index `n`, computes its offset in a table of
    fixed-size entries (`base + n * entry_size`) and parses that one record with a
    declarative binary parser (construct's `parse_stream()`): after a `seek()` to the
    offset in the same function, or through a helper the offset is passed to that seeks
    and calls `parse_stream()` (a few calls down). It is reported where the method runs
    repeatedly: a loop over every index (`for i in range(self.num_entries()): yield
    self.get_entry(i)`) or another loop on the way in.

    ## Why is this slow
    A declarative parser interprets its field list in Python for every record: each field
    is an object with its own `_parse()` call, a read of a few bytes and a container to
    fill, several microseconds per record (3.8 µs more than `struct.Struct.iter_unpack`
    for a six-field ELF symbol, measured with pyelftools' construct), plus a `seek()` and a
    small read per record. A symbol table of tens of thousands of entries pays that for
    each one; one read of the table and one precompiled `Struct` unpack all of them at C
    speed (pyelftools' symbol iteration became about 20x faster so).

    ## Example
    ```python
    class SymbolTable:
        def get_symbol(self, n):
            self.stream.seek(self.offset + n * self.entsize)
            return self.structs.Elf_Sym.parse_stream(self.stream)

        def iter_symbols(self):
            for i in range(self.num_symbols()):
                yield self.get_symbol(i)
    ```

    ## Use instead
    ```python
    class SymbolTable:
        def iter_symbols(self):
            self.stream.seek(self.offset)
            data = self.stream.read(self.num_symbols() * self.entsize)
            for fields in SYM_STRUCT.iter_unpack(data):   # one struct.Struct, built once
                yield Symbol(*fields)
    ```

    ## Notes
    Only construct's `parse_stream()` counts as a declarative parser; a record read with
    `struct.unpack()` per index (a few program headers) is cheap and left alone. An offset
    that does not multiply the index parameter (a header at a fixed place, a cursor that
    moves on) is not a per-index record.
    """

    CODE = "PFL205"
    COST = "record-parse"  # perflint/costs.py; an estimate (bench/costs.py prints it), see calibrate.ESTIMATES
    NAME = "record-parsed-per-index"
    FAMILY = "alloc"
    FIX = "read the whole table once and unpack its records with one precompiled struct.Struct (iter_unpack), not one parse per index"
    TRIGGERS = ("parse_stream", "stream_pos", "seek")
    VALID = [
        # struct per index: a few program headers, cheap
        "import struct\nclass ELF:\n    def header(self, index):\n"
        "        self.f.seek(self.phoff + self.phentsize * index)\n"
        "        return struct.unpack('<II', self.f.read(8))\n"
        "    def headers(self):\n        return [self.header(i) for i in range(self.phnum)]\n",
        # the offset does not depend on the index: one header at a fixed place
        "class File:\n    def header(self, n):\n        self.stream.seek(self.base + 16)\n"
        "        return self.structs.Header.parse_stream(self.stream)\n"
        "    def all(self):\n        return [self.header(i) for i in range(10)]\n",
    ]
    INVALID = [
        Invalid(
            "class SymbolTable:\n"
            "    def get_symbol(self, n):\n"
            "        self.stream.seek(self.offset + n * self.entsize)\n"
            "        return self.structs.Elf_Sym.parse_stream(self.stream)\n"
            "    def iter_symbols(self):\n"
            "        for i in range(self.count):\n"
            "            yield self.get_symbol(i)\n",
            line=4,
        ),
        Invalid(
            "def struct_parse(struct, stream, stream_pos=None):\n"
            "    if stream_pos is not None:\n"
            "        stream.seek(stream_pos)\n"
            "    return struct.parse_stream(stream)\n"
            "class SymbolTable:\n"
            "    def get_symbol(self, n):\n"
            "        entry_offset = self.offset + n * self.entsize\n"
            "        return struct_parse(self.structs.Elf_Sym, self.stream, stream_pos=entry_offset)\n"
            "    def iter_symbols(self):\n"
            "        for i in range(self.count):\n"
            "            yield self.get_symbol(i)\n",
            line=8,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        # per function: (its index parameter, its name); the parameter counts only when a loop
        # of this file walks the function (self._walked_by_loops, asked on first need)
        self._params: List[Tuple[Set[str], str]] = []
        self._offsets: List[Dict[str, str]] = []  # per function: local -> the index it multiplies
        self._seeked: List[Optional[str]] = []  # per function: the index of a seek to a record
        self._module: Optional[cst.Module] = None
        self._walked: Optional[Set[str]] = None  # functions some loop of this file calls with its counter

    def visit_Module(self, node: cst.Module) -> None:
        self._module, self._walked = node, None

    def _walked_by_loops(self, name: str) -> bool:
        # The module's loops are searched once per file, and only in a file where some offset
        # multiplies a function's first parameter (most files that seek never do).
        if self._walked is None:
            self._walked = _walked_functions(self._module) if self._module is not None else set()
        return name in self._walked

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
        if names and names[0] in ("self", "cls"):
            names = names[1:]
        # Only the first parameter, and only when a loop here walks it over every index: an
        # index read from the data (a DWARF attribute's table slot) is a lookup, not a walk.
        self._params.append((set(names[:1]), node.name.value))
        self._offsets.append({})
        self._seeked.append(None)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._params.pop()
        self._offsets.pop()
        self._seeked.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._params or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        index = self._index_offset(node.value)
        if index is not None:
            self._offsets[-1][node.targets[0].target.value] = index

    def visit_Call(self, node: cst.Call) -> None:
        if not self._params or self.ctx.is_test:
            return
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else ""
        if method == "seek" and node.args:
            index = self._offset_of(node.args[0].value)
            if index is not None:
                self._seeked[-1] = index
            return
        if method == "parse_stream":
            index = self._seeked[-1]
            if index is not None:
                parser = dotted_text(func.value) or "the parser"
                self.report(node, f"{parser}.parse_stream() parses one record at an offset computed from {index}, "
                                  "and this runs per index: a seek and a declarative parse per record",
                            requires=("repeated",))
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value not in _OFFSET_KEYWORDS:
                continue
            index = self._offset_of(arg.value)
            if index is None:
                continue
            called = dotted_text(func) or "the helper"
            self.report(node, f"{called}() parses one record at an offset computed from {index} "
                              "(it seeks there and calls parse_stream()), and this runs per index: "
                              "a seek and a declarative parse per record",
                        requires=("repeated", "callee-deep:record-parse"))
            return

    def _offset_of(self, expr: cst.BaseExpression) -> Optional[str]:
        if isinstance(expr, cst.Name) and expr.value in self._offsets[-1]:
            return self._offsets[-1][expr.value]
        return self._index_offset(expr)

    def _index_offset(self, expr: cst.BaseExpression) -> Optional[str]:
        """The index parameter of `base + n * size` (either order), None otherwise."""
        if not (isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add)):
            return None
        first, function = self._params[-1]
        for side in (expr.left, expr.right):
            if isinstance(side, cst.BinaryOperation) and isinstance(side.operator, cst.Multiply):
                for factor, other in ((side.left, side.right), (side.right, side.left)):
                    if (isinstance(factor, cst.Name) and factor.value in first
                            and not isinstance(other, (cst.Integer, cst.Float))
                            and self._walked_by_loops(function)):
                        return factor.value
        return None


def _walked_functions(module: cst.Module) -> Set[str]:
    """Names of the functions a loop of this module calls with its counter as the first
    argument: `for i in range(n): yield self.get(i)`, `for n in itertools.count()`, or
    `while ...: self.get(n); n += 1`."""
    out: Set[str] = set()
    for node, _ in own_nodes(module, ()):
        counters: Set[str] = set()
        body: Optional[cst.CSTNode] = None
        if isinstance(node, cst.For) and isinstance(node.target, cst.Name) and isinstance(node.iter, cst.Call) \
                and dotted_text(node.iter.func) in _COUNTING:
            counters, body = {node.target.value}, node.body
        elif isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            comp = node.for_in
            if isinstance(comp.target, cst.Name) and isinstance(comp.iter, cst.Call) and dotted_text(comp.iter.func) in _COUNTING:
                counters, body = {comp.target.value}, node.elt
        elif isinstance(node, cst.While):
            counters = {n.target.value for n, _ in own_nodes(node.body)
                        if isinstance(n, cst.AugAssign) and isinstance(n.operator, cst.AddAssign)
                        and isinstance(n.target, cst.Name)}
            body = node.body
        if not counters or body is None:
            continue
        for inner, _ in own_nodes(body):
            if isinstance(inner, cst.Call) and inner.args and isinstance(inner.args[0].value, cst.Name) \
                    and inner.args[0].value.value in counters:
                func = inner.func
                name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
                if name:
                    out.add(name)
    return out
