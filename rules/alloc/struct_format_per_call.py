"""PFL202 struct-format-per-call."""

from __future__ import annotations

from typing import List, Set

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.nodes import iter_children
from perflint.ruleutil import first_arg, is_literal

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
    Calls at module level, in a function that runs once, or with a format built at run
    time (a `Struct` cannot be prebuilt for it) are not reported; methods of a
    `struct.Struct` object are the fix, not a finding.
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
        else:
            return  # a format built at run time: no Struct can be made ahead of it
        func = qualified[7:]
        self.report(
            node,
            f"struct.{func}() looks the format {what} up on every call (and compiles it again on a "
            "cache miss): use a module-level struct.Struct",
            requires=("repeated",),
        )


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


def _short(expr: cst.BaseExpression) -> str:
    text = cst.Module(body=()).code_for_node(expr)
    return text if len(text) <= 24 else text[:21] + "..."
