"""PFL101 deepcopy-per-call."""

from __future__ import annotations

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import first_arg

# Methods whose job is to copy: a copy there is the point, not a smell.
_COPYING_METHODS = {"__copy__", "__deepcopy__", "copy", "clone", "deepcopy", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__"}


# Run once per object or per class definition, not per operation on it.
_ONCE_PER_CLASS = {"__new__", "__init_subclass__", "__set_name__", "__class_getitem__"}
INIT_FIX = ("share the structure between instances and copy only what an instance changes (copy on "
            "write), or build the objects once and reuse them instead of one per item")


class DeepcopyPerCall(Rule):
    """
    `copy.deepcopy()` of a long-lived structure every time a function runs.

    ## What it does
    Flags `copy.deepcopy(x)` inside a function when `x` outlives the call: an attribute (`self._ast`, `self._cache[key]`), a
    module-level name or a parameter. Severity follows how often the function runs.

    ## Why is this slow
    `deepcopy` visits every object of the structure in Python, keeps a memo dictionary
    and calls `__deepcopy__`/`__reduce_ex__` hooks: for a parsed statement or a config
    tree that is thousands of allocations per call. The seed's query engine deep-copied
    its parsed AST on every execution instead of keeping a prepared statement.

    ## Example
    ```python
    def execute(self, sql, params):
        stmt = copy.deepcopy(self._statements[sql])
        bind(stmt, params)
        return run(stmt)
    ```

    ## Use instead
    ```python
    def execute(self, sql, params):
        stmt = self._statements[sql]      # immutable, prepared once
        return run(stmt, params)          # bind at execution, don't mutate the tree
    ```

    ## Notes
    A copy in `__init__` runs once per object: it is reported only when objects of the
    class are built per item (the constructor is reached from a loop or a hot entry
    point), with the trace to that loop. Copies in `__new__` (a metaclass builds each
    class once), `__copy__`, `__deepcopy__`, `copy()` and `clone()` methods
    are the purpose of those methods and are not reported, nor are copies in functions
    whose name says they copy or clone. A deep copy of a parameter has low confidence:
    it is often a defensive copy the caller's semantics need. Shallow `copy.copy()` is not
    reported: it costs what `dict.copy()` costs. A copy in a loop body that ends in
    `return` or `break` runs once, not per iteration, and gets no loop heat.
    """

    CODE = "PFL101"
    COST = "deepcopy-element"  # perflint/costs.py; measured by bench/costs.py
    NAME = "deepcopy-per-call"
    FAMILY = "clone"
    FIX = "keep one immutable (or prepared) structure and reuse it; pass per-call values separately"
    TRIGGERS = ("copy",)
    VALID = [
        "import copy\nclass A:\n    def get(self, k):\n        return copy.copy(self.cache[k])\n",
        "import copy\nDEFAULTS = {}\nSETTINGS = copy.deepcopy(DEFAULTS)\n",
        "import copy\nclass A:\n    def __deepcopy__(self, memo):\n        return A(copy.deepcopy(self.items, memo))\n",
        "import copy\ndef f():\n    local = {'a': [1]}\n    return copy.deepcopy(local)\n",
        "import copy\nclass A:\n    def __init__(self, template):\n        self.t = copy.deepcopy(template)\n",
        # built once: a copy per object is a copy per program run
        "import copy\nclass A:\n    base = {}\n    def __init__(self):\n        self.f = copy.deepcopy(self.base)\n"
        "def main():\n    return A()\n",
    ]
    INVALID = [
        # an object built per value clones its class's fields each time
        Invalid("import copy\nclass Resource:\n    base_fields = {}\n    def __init__(self):\n"
                "        self.fields = copy.deepcopy(self.base_fields)\n"
                "def hydrate(values):\n    return [Resource() for v in values]\n", line=5),
        Invalid("import copy\nclass S:\n    def run(self, rows):\n        for r in rows:\n            t = copy.deepcopy(self.tree)\n", line=5),
        Invalid("from copy import deepcopy\nTEMPLATE = {}\ndef render(items):\n    return [deepcopy(TEMPLATE) for i in items]\n", line=4),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._globals: set = set()  # names assigned at module level
        self._locals: list = []  # per enclosing function: names it assigns

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._locals.append(set())

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._locals.pop()

    def _bind(self, target: cst.BaseExpression) -> None:
        names = [target] if isinstance(target, cst.Name) else [
            e.value for e in getattr(target, "elements", ()) if isinstance(e.value, cst.Name)
        ]
        for name in names:
            if self._locals:
                self._locals[-1].add(name.value)
            elif not self.ctx.frames:
                self._globals.add(name.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.ctx.resolve(node.func)
        # copy.copy is shallow: it costs what dict.copy() costs, rarely the problem.
        if qualified != "copy.deepcopy":
            return
        fn = self.ctx.function
        if fn is None or fn.name in _ONCE_PER_CLASS or fn.name in _COPYING_METHODS:
            return  # module level runs once; copying methods copy by design
        if "copy" in fn.name.lower() or "clone" in fn.name.lower():
            return  # `_clone`, `copy_config`, `smart_deepcopy`: cloning is the job
        found = self._long_lived(first_arg(node), fn)
        if found is None:
            return
        kind, confidence = found
        arg = first_arg(node)
        # a module-level literal's size is known; copying it costs a container per item
        size = self.ctx.constants.get(arg.value) if isinstance(arg, cst.Name) else None
        if fn.name == "__init__":
            # Once per object: a smell only where objects are built per item (an exception
            # per raise, a resource per related value); "repeated" asks the call graph.
            self.report(
                node,
                f"copy.deepcopy() of {kind} in __init__, and objects of this class are built per item: "
                "every object clones the structure",
                confidence=confidence or "medium", requires=("repeated",), fix=INIT_FIX,
                size=max(size, 1.0) if size is not None else None,
            )
            return
        self.report(
            node,
            f"copy.deepcopy() of {kind} on every call: the structure is cloned each time this runs",
            confidence=confidence,
            size=max(size, 1.0) if size is not None else None,
        )

    def _long_lived(self, arg, fn):
        expr = arg
        while isinstance(expr, cst.Subscript):
            expr = expr.value
        if isinstance(expr, cst.Attribute):
            return "an attribute", None
        if isinstance(expr, cst.Name):
            name = expr.value
            local = self._locals[-1] if self._locals else set()
            if name in fn.params and name not in ("self", "cls") and name not in local:
                # A caller's value: often a defensive copy the semantics need.
                return f"parameter '{name}'", "low"
            if name in self._globals and name not in local and name not in fn.params:
                return f"module-level '{name}'", None
        return None
