"""PFL101 deepcopy-per-call."""

from __future__ import annotations

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import first_arg

# Methods whose job is to copy: a copy there is the point, not a smell.
_COPYING_METHODS = {"__copy__", "__deepcopy__", "copy", "clone", "deepcopy", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__"}


class DeepcopyPerCall(Rule):
    """
    `copy.deepcopy()` of a long-lived structure every time a function runs.

    ## What it does
    Flags `copy.deepcopy(x)` (and, with low confidence, `copy.copy(x)`) inside a function
    when `x` outlives the call: an attribute (`self._ast`, `self._cache[key]`), a
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
    Copies in `__init__`, `__copy__`, `__deepcopy__`, `copy()` and `clone()` methods
    are the purpose of those methods and are not reported.
    """

    CODE = "PFL101"
    NAME = "deepcopy-per-call"
    FAMILY = "clone"
    FIX = "keep one immutable (or prepared) structure and reuse it; pass per-call values separately"
    TRIGGERS = ("copy",)
    VALID = [
        "import copy\nDEFAULTS = {}\nSETTINGS = copy.deepcopy(DEFAULTS)\n",
        "import copy\nclass A:\n    def __deepcopy__(self, memo):\n        return A(copy.deepcopy(self.items, memo))\n",
        "import copy\ndef f():\n    local = {'a': [1]}\n    return copy.deepcopy(local)\n",
        "import copy\nclass A:\n    def __init__(self, template):\n        self.t = copy.deepcopy(template)\n",
    ]
    INVALID = [
        Invalid("import copy\nclass S:\n    def run(self, rows):\n        for r in rows:\n            t = copy.deepcopy(self.tree)\n", line=5),
        Invalid("from copy import deepcopy\nTEMPLATE = {}\ndef render(items):\n    return [deepcopy(TEMPLATE) for i in items]\n", line=4),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._module_names = None

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.ctx.resolve(node.func)
        if qualified not in ("copy.deepcopy", "copy.copy"):
            return
        fn = self.ctx.function
        if fn is None or fn.name in _COPYING_METHODS or fn.name == "__init__":
            return  # module level runs once; copying methods copy by design
        arg = first_arg(node)
        kind = self._long_lived(arg, fn)
        if kind is None:
            return
        shallow = qualified == "copy.copy"
        what = "copy.copy" if shallow else "copy.deepcopy"
        self.report(
            node,
            f"{what}() of {kind} on every call: the structure is cloned each time this runs",
            confidence="low" if shallow else None,
        )

    def _long_lived(self, arg, fn):
        expr = arg
        while isinstance(expr, cst.Subscript):
            expr = expr.value
        if isinstance(expr, cst.Attribute):
            return "an attribute"
        if isinstance(expr, cst.Name):
            name = expr.value
            if name in fn.params and name not in ("self", "cls"):
                return f"parameter '{name}'"
            if name.isupper() or (name in self.ctx.imports):
                return f"module-level '{name}'"
            if self.ctx.local_type(name) is None and name in self._module_level_names():
                return f"module-level '{name}'"
        return None

    def _module_level_names(self):
        if self._module_names is None:
            self._module_names = set(self.ctx.module_types)
        return self._module_names
