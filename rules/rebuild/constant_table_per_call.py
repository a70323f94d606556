"""PFL308 constant-table-per-call."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import enclosing_function, is_literal, own_nodes, runs_per_call

# CPython builds a dict display of up to 16 constant keys from one key tuple; beyond that it
# inserts entry by entry, and the table is what a reader sees as a lookup table.
MIN_ENTRIES = 16
# What a read-only use of the table may call on it.
_READ_METHODS = {"get", "keys", "values", "items", "__contains__", "__getitem__"}
# Builtins that only read what they are given.
_READING_BUILTINS = {"len", "sorted", "any", "all", "min", "max", "iter", "next", "set", "frozenset", "tuple", "list"}


class ConstantTablePerCall(Rule):
    """
    A constant lookup table built again on every call of a function.

    ## What it does
    Flags a dict display of at least 16 entries whose keys and values are all constants
    (strings, numbers, `None`, `True`, `False`, tuples of them), written inside a function and
    only read there (indexed, `.get()`, `in`, iterated): every call builds the whole table to
    look one entry up. A table the function returns, passes on, stores or changes is left
    alone (the caller may own a fresh copy on purpose). Whether it costs anything depends on
    how often the function runs: a warning needs the table's size times the calls per unit
    of work (loops, hot entry points) to reach the threshold; otherwise it is a note.

    ## Why is this slow
    Tuples and frozensets of constants are folded into the code object once, but a dict
    display is executed: each call allocates the dict, hashes and inserts every entry, and
    frees it again, tens of nanoseconds per entry (a 190-entry table costs tens of
    microseconds), to read one value. Asked per relocation, per token or per row, the table
    is rebuilt thousands of times although it never changes.

    ## Example
    ```python
    def machine_arch(header):
        names = {
            "EM_386": "x86",
            "EM_X86_64": "x64",
            "EM_ARM": "ARM",
            # ... 150 more
        }
        return names.get(header["e_machine"], "<unknown>")
    ```

    ## Use instead
    ```python
    _MACHINE_NAMES = {
        "EM_386": "x86",
        "EM_X86_64": "x64",
        "EM_ARM": "ARM",
        # ... 150 more
    }

    def machine_arch(header):
        return _MACHINE_NAMES.get(header["e_machine"], "<unknown>")
    ```

    ## Notes
    Tables at module or class level, in memoised functions (`lru_cache`, a hand-written cache
    guard) and in test code are not reported, nor tables with fewer than 16 entries or with
    any computed key or value.
    """

    CODE = "PFL308"
    COST = "constant-table-element"  # perflint/calibrate.py SPECS: per entry built
    NAME = "constant-table-per-call"
    FAMILY = "rebuild"
    FIX = "move the table to module level (a constant built once at import) and look entries up there"
    TRIGGERS = ("{",)
    VALID = [
        # Module level: built once.
        "ARCH = {" + ", ".join(f"'k{i}': {i}" for i in range(20)) + "}\n"
        "def arch(k):\n    return ARCH.get(k)\n",
        # Returned: the caller gets a fresh dict it may change.
        "def defaults():\n    return {" + ", ".join(f"'k{i}': {i}" for i in range(20)) + "}\n",
        # Changed after it is built.
        "def table(extra):\n    t = {" + ", ".join(f"'k{i}': {i}" for i in range(20)) + "}\n"
        "    t.update(extra)\n    return t['k1']\n",
        # A small table.
        "def small(k):\n    return {'a': 1, 'b': 2, 'c': 3}.get(k)\n",
    ]
    INVALID = [
        Invalid(
            "def arch(k):\n"
            "    names = {" + ", ".join(f"'k{i}': 'name {i}'" for i in range(20)) + "}\n"
            "    return names.get(k, '<unknown>')\n"
            "def all_archs(keys):\n"
            "    return [arch(k) for k in keys]\n",
            line=2,
        ),
        Invalid(
            "def code(k):\n"
            "    return {" + ", ".join(f"'k{i}': {i}" for i in range(20)) + "}[k]\n",
            line=2,
        ),
    ]

    def begin_file(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().begin_file(ctx)
        self._holders: set = set()  # ids of the functions that hold a constant table

    def visit_Dict(self, node: cst.Dict) -> None:
        # Mark the function that holds a table as the one traversal passes it; only those
        # functions are looked at again when they end (not every function's body).
        if len(node.elements) < MIN_ENTRIES or not _is_table(node):
            return
        holder = enclosing_function(self.ctx)
        if holder is not None:
            self._holders.add(id(holder))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if id(node) not in self._holders:
            return
        fn = runs_per_call(self.ctx)
        if fn is None:
            return
        for table, parent, name in _tables(node):
            if name is None and not _read_in_place(table, parent):
                continue
            if name is not None and not _only_read(node, name):
                continue
            entries = len(table.elements)
            held = f"the {entries}-entry table {name}" if name else f"a {entries}-entry constant table"
            self.report(table, f"{fn.name}() builds {held} on every call to look entries up; it never changes",
                        size=float(entries))


def _constant(expr: cst.BaseExpression) -> bool:
    return is_literal(expr) or (isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"))


def _is_table(node: cst.CSTNode) -> bool:
    return (isinstance(node, cst.Dict) and len(node.elements) >= MIN_ENTRIES
            and all(isinstance(e, cst.DictElement) and _constant(e.key) and _constant(e.value) for e in node.elements))


def _tables(fn: cst.FunctionDef) -> List[Tuple[cst.Dict, Optional[cst.CSTNode], Optional[str]]]:
    """Constant tables in the function: (table, parent, local name it is bound to or None)."""
    out: List[Tuple[cst.Dict, Optional[cst.CSTNode], Optional[str]]] = []
    for node, parent in own_nodes(fn.body):
        if not _is_table(node):
            continue
        name = None
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
            name = parent.targets[0].target.value
        out.append((node, parent, name))  # type: ignore[arg-type]
    return out


def _read_in_place(table: cst.Dict, parent: Optional[cst.CSTNode]) -> bool:
    """`{...}[k]`, `{...}.get(k)`, `k in {...}`: the display is looked up where it is built."""
    if isinstance(parent, cst.Subscript) and parent.value is table:
        return True
    if isinstance(parent, cst.Attribute) and parent.value is table:
        return parent.attr.value in _READ_METHODS
    if isinstance(parent, cst.ComparisonTarget):
        return isinstance(parent.operator, (cst.In, cst.NotIn))
    return False


def _only_read(fn: cst.FunctionDef, name: str) -> bool:
    """Whether every use of local `name` in the function reads the table and no other
    statement binds it: not returned, passed on, stored, yielded or changed."""
    parents: Dict[int, cst.CSTNode] = {}
    uses: List[cst.Name] = []
    binds = 0
    for node, parent in own_nodes(fn.body):
        if parent is not None:
            parents[id(node)] = parent
        if isinstance(node, cst.Name) and node.value == name:
            uses.append(node)
        if isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Name) and node.target.value == name:
            binds += 1
    if binds != 1:
        return False
    for use in uses:
        parent = parents.get(id(use))
        if isinstance(parent, cst.AssignTarget):
            continue  # the binding itself
        if isinstance(parent, cst.Subscript) and parent.value is use:
            grand = parents.get(id(parent))
            if isinstance(grand, (cst.AssignTarget, cst.Del)) or (
                    isinstance(grand, cst.AugAssign) and grand.target is parent):
                return False  # an entry set or deleted
            continue
        if isinstance(parent, cst.Attribute) and parent.value is use:
            if parent.attr.value not in _READ_METHODS:
                return False
            continue
        if isinstance(parent, cst.ComparisonTarget) and isinstance(parent.operator, (cst.In, cst.NotIn)):
            continue
        if isinstance(parent, cst.CompFor) or isinstance(parent, cst.For):
            if parent.iter is use:
                continue
            return False
        if isinstance(parent, cst.Arg):
            call = parents.get(id(parent))
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in _READING_BUILTINS:
                continue
            return False
        return False  # returned, stored, passed on, aliased
    return True
