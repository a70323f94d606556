"""PFL202 struct-format-per-call."""

from __future__ import annotations

from typing import List, Optional, Set, Tuple

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.nodes import NESTED_SCOPES, iter_children
from perflint.ruleutil import bound_names, enclosing_function, first_arg, is_literal, runs_per_call

_FUNCTIONS = frozenset({"pack", "unpack", "unpack_from", "pack_into", "iter_unpack", "calcsize"})


class StructFormatPerCall(Rule):
    """
    A `struct` function called with a format string in code that runs per item.

    ## What it does
    Flags `struct.pack`, `unpack`, `unpack_from`, `pack_into`, `iter_unpack` and
    `calcsize` called with a literal format (or a module-level constant such as
    `HEADER_FMT`) inside a loop or in a function that runs repeatedly (reached from a
    loop, or configured `hot`), where a module-level `struct.Struct` would do.

    ## Why is this slow
    Each module-level `struct` call turns the format string into a compiled `Struct`:
    CPython looks the format up in a small internal cache (100 entries in 3.11; the cache
    is emptied whole when it fills) and parses it again on a miss. The lookup itself
    (a dictionary probe keyed by the format) is small: measured on CPython 3.11, about
    15-25 ns, 10-20% of a 4-byte `unpack`. That is why this rule weighs a fifth of most
    (a call in one loop is a note): it matters in the innermost loop of a decoder, where
    a prebuilt `Struct` and its bound `unpack_from` remove the work, and in a program with
    more than 100 formats, which keeps missing the cache and re-parsing them.

    ## Example
    ```python
    def read_records(buf):
        for off in range(0, len(buf), 8):
            key, value = struct.unpack_from("<II", buf, off)
            yield key, value
    ```

    ## Use instead
    ```python
    RECORD = struct.Struct("<II")

    def read_records(buf):
        for off in range(0, len(buf), RECORD.size):
            yield RECORD.unpack_from(buf, off)
    ```

    ## Notes
    A format held in an attribute that `__init__` sets and no other method of the class
    changes (`struct.unpack(self.fmtstr, data)` in a per-field `parse`) is fixed per
    object: it is reported too, with the fix of building the `Struct` in `__init__`.

    A format a record decoder accumulates from a table on every call is reported when the
    table does not change between calls: the function starts the format from a string
    literal or a parameter (`fmt = order`), adds items of a table parameter to it in a loop
    (`fmt += table[k * 2 + 1]`, or `fmt += code` in `for name, code in table:`), binds it
    nowhere else, and hands it to a `struct` function or `struct.Struct()` after the loop;
    and every caller in the program passes the same table (and starting parameter): a
    literal, a module-level name, or an attribute of its own `self` that the program binds
    once per object (in an `__init__` or a class body, and nowhere else). The finding sits
    at the accumulation, the preparation to move: build the format, its `Struct` and any
    field layout (the widths collected in the same loop) once where the table is set, as a
    packer object built with it, and unpack through that per record. It is priced as
    `struct-layout`, measured on a 13-field, 44-byte record unpacked into a dict by field:
    1.5 µs per call wasted, about half of the call (`bench/struct_layout.py` prints 4 and 32
    fields too: 0.7-1.1 µs and 1.9-4.6 µs on a shared machine), so it takes about a thousand
    records per unit of work (a loop of records nested in a loop of files) to be a warning. A table a caller builds or
    picks per call (`self.formats[num]`), an attribute another method rebinds, a format
    used inside the loop that builds it, and a preparation in `__init__` (once per object:
    the fix) are not reported.

    Calls at module level, in a function that runs once, or with a format built at run
    time from values that change between calls (a `Struct` cannot be prebuilt for it) are
    not reported; methods of a `struct.Struct` object are the fix, not a finding.
    """

    CODE = "PFL202"
    COST = "struct-format"  # perflint/costs.py; measured by bench/costs.py
    NAME = "struct-format-per-call"
    FAMILY = "alloc"
    FIX = "build a module-level struct.Struct(fmt) once and call its pack/unpack methods"
    # A format-cache hit costs ~15-25 ns (10-20% of a small unpack) on CPython 3.11: a low weight,
    # so one loop is a note and only code two loops deep (or configured hot) is a warning.
    TRIGGERS = ("struct", "pack", "calcsize")
    VALID = [
        # module level: runs once
        "import struct\nHEADER_SIZE = struct.calcsize('<II')\n",
        # a prebuilt Struct is the fix
        "import struct\nREC = struct.Struct('<II')\ndef read(buf):\n    for off in range(0, len(buf), 8):\n"
        "        yield REC.unpack_from(buf, off)\n",
        # once per call of a cold function
        "import struct\ndef header(f):\n    return struct.unpack('<II', f.read(8))\n",
        # a format built per call: no Struct can be prebuilt for it
        "import struct\ndef read(items, n):\n    for item in items:\n        struct.unpack(f'<{n}I', item)\n",
        # a format accumulated from a table the caller picks per record
        "from struct import unpack\ndef decode(table, data):\n    fmt = '<'\n    for code in table:\n"
        "        fmt += code\n    return unpack(fmt, data)\n"
        "def decode_all(records, tables):\n    return [decode(tables[r[0]], r) for r in records]\n",
        # an attribute format that another method changes
        "import struct\nclass F:\n    def __init__(self, fmt):\n        self.fmt = fmt\n    def set(self, fmt):\n"
        "        self.fmt = fmt\n    def parse(self, chunks):\n        for c in chunks:\n"
        "            struct.unpack(self.fmt, c)\n",
    ]
    INVALID = [
        # the format is fixed in __init__
        Invalid("import struct\nclass FormatField:\n    def __init__(self, fmt):\n        self.fmtstr = fmt\n"
                "    def parse_all(self, chunks):\n        for c in chunks:\n            yield struct.unpack(self.fmtstr, c)[0]\n",
                line=7),
        Invalid("import struct\ndef read(buf):\n    for off in range(0, len(buf), 8):\n"
                "        k, v = struct.unpack_from('<II', buf, off)\n", line=4),
        Invalid("from struct import pack\nFMT = '>HH'\ndef encode(pairs):\n"
                "    return b''.join([pack(FMT, a, b) for a, b in pairs])\n", line=4),
        # a format accumulated from a table that every caller passes fixed
        Invalid("from struct import unpack\nTABLE = ('key', 'I', 'size', 'H')\n"
                "def decode(table, data):\n    fmt = '<'\n    for k in range(len(table) // 2):\n"
                "        fmt += table[k * 2 + 1]\n    return unpack(fmt, data)\n"
                "def decode_all(records):\n    return [decode(TABLE, r) for r in records]\n", line=6),
    ]

    def _fixed_in_init(self, fmt: cst.BaseExpression) -> bool:
        """`self.fmt` that the class's `__init__` sets and no other method of it changes."""
        if not (isinstance(fmt, cst.Attribute) and isinstance(fmt.value, cst.Name) and fmt.value.value == "self"):
            return False
        if self.ctx.function is None or self.ctx.function.name == "__init__":
            return False
        cls = next((n for n in reversed(self.ctx.stack) if isinstance(n, cst.ClassDef)), None)
        if cls is None:
            return False
        attr = fmt.attr.value
        in_init = False
        for stmt in cls.body.body:
            if not isinstance(stmt, cst.FunctionDef):
                continue
            if attr in _assigned_attrs(stmt):
                if stmt.name.value != "__init__":
                    return False  # set again elsewhere: it may change between calls
                in_init = True
        return in_init

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.ctx.resolve(node.func)
        if qualified == "struct.Struct":
            fmt = first_arg(node)
            if isinstance(fmt, cst.Name) and self.ctx.function is not None:
                self._accumulated(node, "Struct", fmt.value)
            return
        if qualified is None or not qualified.startswith("struct.") or qualified[7:] not in _FUNCTIONS:
            return
        if self.ctx.function is None:
            return  # module level runs once
        fmt = first_arg(node)
        if fmt is None:
            return
        if is_literal(fmt):
            what = _short(fmt)
        elif isinstance(fmt, cst.Name) and fmt.value.isupper() and fmt.value not in self.ctx.function.params:
            what = f"'{fmt.value}'"
        elif self._fixed_in_init(fmt):
            func = qualified[7:]
            self.report(
                node,
                f"struct.{func}() looks the format {_short(fmt)} up on every call, though __init__ fixes it "
                "per object: build the struct.Struct once in __init__",
                requires=("repeated",), fix=INIT_FIX,
            )
            return
        elif isinstance(fmt, cst.Name):
            self._accumulated(node, qualified[7:], fmt.value)
            return
        else:
            return  # a format built at run time: no Struct can be made ahead of it
        func = qualified[7:]
        self.report(
            node,
            f"struct.{func}() looks the format {what} up on every call (and compiles it again on a "
            "cache miss): use a module-level struct.Struct",
            requires=("repeated",),
        )


    def _accumulated(self, node: cst.Call, func: str, name: str) -> None:
        """A format accumulated per call from a table parameter (`fmt += table[k*2+1]` in a loop
        over it) and used here, after that loop: reported at the accumulation when every caller
        passes the same table (phase 2), as the preparation that belongs where the table is set."""
        fn = runs_per_call(self.ctx)
        fdef = enclosing_function(self.ctx)
        if fn is None or fdef is None or fn.name in _ONCE_PER_OBJECT:
            return
        found = _accumulation(fdef, name, fn.params)
        if found is None:
            return
        aug, loops, table, start = found
        if fn.cls is not None and table == fn.params[0] and "staticmethod" not in fn.decorators:
            return  # items of the receiver itself
        if any(loop in self.ctx.stack for loop in loops):
            return  # used inside the loop that builds it: a format per step, not per call
        requires = ("repeated", f"callers-pass-settled:{table}")
        if start is not None:
            requires += (f"callers-pass-settled:{start}",)
        call = "struct.Struct" if func == "Struct" else f"struct.{func}"
        self.report(
            aug,
            f"{fn.name}() accumulates its struct format '{name}' from the table '{table}' in a loop on "
            f"every call, then hands it to {call}(), and every caller passes the same table: prepare "
            "the format (and any field layout built with it) once per table",
            requires=requires, cost="struct-layout", fix=LAYOUT_FIX,
        )


# Methods that run once per object: preparing the format there is the fix.
_ONCE_PER_OBJECT = frozenset({"__init__", "__new__", "__post_init__", "__init_subclass__", "__set_name__"})

LAYOUT_FIX = ("prepare the format, its struct.Struct and the field layout once where the table is set (a "
              "packer object built with the table, or a module-level Struct) and pack or unpack with it per call")

INIT_FIX = "build struct.Struct(fmt) once in __init__ (self._struct) and call its pack/unpack methods"


def _assigned_attrs(fn: cst.FunctionDef) -> Set[str]:
    """Attributes of `self` a method assigns (`self.fmtstr = ...`)."""
    out: Set[str] = set()
    stack: List[cst.CSTNode] = [fn.body]
    while stack:
        node = stack.pop()
        targets: List[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
                out.add(target.attr.value)
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(iter_children(node))
    return out


def _accumulation(fdef: cst.FunctionDef, name: str, params) -> Optional[
        Tuple[cst.CSTNode, List[cst.For], str, Optional[str]]]:
    """(the first `name += piece` statement, the loops that hold one, the table parameter,
    the parameter `name` starts from or None for a string literal) when the function's only
    bindings of `name` are one `name = "<" | param` outside loops and `+=` (or `name = name +`)
    of items of one parameter inside `for` loops; None otherwise."""
    if name in params:
        return None
    starts: List[cst.BaseExpression] = []
    augs: List[cst.CSTNode] = []
    loops: List[cst.For] = []
    tables: Set[str] = set()
    bad = False

    def grown(node: cst.CSTNode, piece: cst.BaseExpression, fors: Tuple[cst.For, ...]) -> None:
        nonlocal bad
        table = _piece_table(piece, fors, params)
        if table is None:
            bad = True
            return
        tables.add(table)
        augs.append(node)  # type: ignore[arg-type]
        if fors[-1] not in loops:
            loops.append(fors[-1])

    def walk(node: cst.CSTNode, fors: Tuple[cst.For, ...]) -> None:
        nonlocal bad
        if bad:
            return
        kind = type(node)
        if kind is cst.Assign:
            if any(name in _bound(t.target) for t in node.targets):  # type: ignore[attr-defined]
                if len(node.targets) != 1 or type(node.targets[0].target) is not cst.Name:  # type: ignore[attr-defined]
                    bad = True
                    return
                value = node.value  # type: ignore[attr-defined]
                if not fors:
                    starts.append(value)
                elif (type(value) is cst.BinaryOperation and type(value.operator) is cst.Add  # type: ignore[attr-defined]
                      and type(value.left) is cst.Name and value.left.value == name):  # type: ignore[attr-defined]
                    grown(node, value.right, fors)  # `fmt = fmt + piece`  # type: ignore[attr-defined]
                else:
                    bad = True
                return
        elif kind is cst.AugAssign:
            target = node.target  # type: ignore[attr-defined]
            if type(target) is cst.Name and target.value == name:
                if type(node.operator) is not cst.AddAssign:  # type: ignore[attr-defined]
                    bad = True
                    return
                grown(node, node.value, fors)  # type: ignore[attr-defined]
                return
        elif kind in (cst.AnnAssign, cst.NamedExpr, cst.CompFor, cst.Del):
            if name in _bound(node.target):  # type: ignore[attr-defined]
                bad = True
                return
        elif kind is cst.AsName:
            if name in _bound(node.name):  # type: ignore[attr-defined]
                bad = True
                return
        elif kind in (cst.Global, cst.Nonlocal):
            if any(n.name.value == name for n in node.names):  # type: ignore[attr-defined]
                bad = True
                return
        if kind is cst.For:
            if name in _bound(node.target):  # type: ignore[attr-defined]
                bad = True
                return
            walk(node.iter, fors)  # type: ignore[attr-defined]
            walk(node.body, fors + (node,))  # type: ignore[arg-type]
            if node.orelse is not None:  # type: ignore[attr-defined]
                walk(node.orelse, fors)  # type: ignore[attr-defined]
            return
        for child in iter_children(node):
            if not isinstance(child, NESTED_SCOPES):
                walk(child, fors)

    walk(fdef.body, ())
    if bad or len(starts) != 1 or not augs or len(tables) != 1:
        return None
    table = next(iter(tables))
    rebound = bound_names(fdef, params=False)
    if table in rebound:
        return None
    start = starts[0]
    if type(start) is cst.SimpleString and is_literal(start):
        begin: Optional[str] = None
    elif type(start) is cst.Name and start.value in params and start.value not in rebound:
        begin = start.value
    else:
        return None
    return augs[0], loops, table, begin


def _piece_table(piece: cst.BaseExpression, fors: Tuple[cst.For, ...], params) -> Optional[str]:
    """The parameter a `+=` piece is an item of: `table[k * 2 + 1]`, `table[i][1]`, or a name
    (or an item of one) that a loop over the parameter binds (`for field, code in table:`,
    `.items()`, `.values()`, `enumerate(table)`); None for anything else."""
    if not fors:
        return None
    root = piece
    while type(root) is cst.Subscript:
        root = root.value  # type: ignore[attr-defined]
    if type(root) is not cst.Name:
        return None
    if root is not piece and root.value in params:  # type: ignore[attr-defined]
        return root.value  # type: ignore[attr-defined]
    for loop in reversed(fors):
        if root.value in _bound(loop.target):  # type: ignore[attr-defined]
            table = _iterated_param(loop.iter)
            return table if table in params else None
    return None


def _iterated_param(expr: cst.BaseExpression) -> Optional[str]:
    """`table`, `table.items()`, `table.values()`, `enumerate(table)`: the name iterated."""
    if type(expr) is cst.Call:
        func = expr.func  # type: ignore[attr-defined]
        if type(func) is cst.Attribute and func.attr.value in ("items", "values") and not expr.args:  # type: ignore[attr-defined]
            expr = func.value
        elif type(func) is cst.Name and func.value == "enumerate" and len(expr.args) == 1:  # type: ignore[attr-defined]
            expr = expr.args[0].value  # type: ignore[attr-defined]
    return expr.value if type(expr) is cst.Name else None  # type: ignore[attr-defined]


def _bound(target: cst.CSTNode) -> Set[str]:
    """The names a target binds: a name, or the names of a tuple or list of targets (not the
    attributes or items it stores into)."""
    kind = type(target)
    if kind is cst.Name:
        return {target.value}  # type: ignore[attr-defined]
    if kind in (cst.Tuple, cst.List):
        out: Set[str] = set()
        for element in target.elements:  # type: ignore[attr-defined]
            out |= _bound(element.value)
        return out
    if kind is cst.StarredElement:
        return _bound(target.value)  # type: ignore[attr-defined]
    if kind is cst.Del:
        return _bound(target.target)  # type: ignore[attr-defined]
    return set()


def _short(expr: cst.BaseExpression) -> str:
    text = cst.Module(body=()).code_for_node(expr)
    return text if len(text) <= 24 else text[:21] + "..."
