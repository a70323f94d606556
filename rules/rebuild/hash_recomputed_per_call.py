"""PFL305 hash-recomputed-per-call."""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.rule import Invalid, Rule

_RENDER_BUILTINS = {"str": "__str__", "repr": "__repr__", "format": "__str__"}
_PROPERTY_DECORATORS = {"property"}
_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


class HashRecomputedPerCall(Rule):
    """
    `__hash__` rebuilds a derived value (a rendering, a canonical form) on every call.

    ## What it does
    Flags a `__hash__` whose body is `return hash(...)` of a value the object computes anew
    each time: `str(self)` or `repr(self)` when the class's `__str__`/`__repr__` delegates to
    a serialiser (a method of the class or a function of the module) or walks a structure
    with a loop, a call of such a method (`hash(self._canonical())`), or a `@property` that
    does such work. A hash that reads fields (`hash((self.a, self.b))`) or caches its result
    is not reported.

    ## Why is this slow
    Dicts and sets call `__hash__` on every insertion and lookup: a resolver that keeps
    markers or specifiers in sets hashes each one thousands of times. Re-serialising a tree
    to text for each of those calls costs microseconds to tens of microseconds, while the
    value cannot change: an object's hash must stay the same for as long as it is in a dict.

    ## Example
    ```python
    class Marker:
        def __init__(self, markers):
            self._markers = markers

        def __str__(self):
            return _format_marker(self._markers)

        def __hash__(self):
            return hash(str(self))
    ```

    ## Use instead
    ```python
    class Marker:
        _hash = None

        def __hash__(self):
            if self._hash is None:
                self._hash = hash(str(self))
            return self._hash
    ```

    ## Notes
    Only classes defined in the scanned file are followed (the `__str__`, method or property
    must be defined in the same class). `functools.cached_property` values are computed once
    and are not reported. The cost counts the rendering as a serialisation of a modest
    structure (100 elements) unless known otherwise.
    """

    CODE = "PFL305"
    COST = "serialize-roundtrip-element"  # perflint/costs.py; measured by bench/costs.py
    NAME = "hash-recomputed-per-call"
    FAMILY = "rebuild"
    FIX = "compute the hash once (a slot filled on first use, or at construction) and return the kept value"
    TRIGGERS = ("__hash__",)
    VALID = [
        # Fields only: nothing is rebuilt.
        "class P:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n"
        "    def __hash__(self):\n        return hash((self.x, self.y))\n",
        # Cached on first use.
        "class M:\n    _h = None\n    def __str__(self):\n        return _render(self._tree)\n"
        "    def __hash__(self):\n        if self._h is None:\n            self._h = hash(str(self))\n        return self._h\n"
        "def _render(t):\n    return ' '.join(t)\n",
        # __str__ is a field read: str(self) is cheap.
        "class N:\n    def __str__(self):\n        return self.name\n    def __hash__(self):\n        return hash(str(self))\n",
        # __repr__ joins a few names with str methods only: cheap, not a serialiser.
        "class T:\n    def __repr__(self):\n        return '%s (%s)' % (self.name, ', '.join(self.modules))\n"
        "    def __hash__(self):\n        return hash(self.__repr__())\n",
        # A cached_property is computed once.
        "import functools\nclass S:\n    @functools.cached_property\n    def _canon(self):\n        return canonicalize(self._spec)\n"
        "    def __hash__(self):\n        return hash(self._canon)\n",
    ]
    INVALID = [
        Invalid(
            "class Marker:\n"
            "    def __init__(self, markers):\n"
            "        self._markers = markers\n"
            "    def __str__(self):\n"
            "        return _format_marker(self._markers)\n"
            "    def __hash__(self):\n"
            "        return hash(str(self))\n"
            "def _format_marker(m):\n"
            "    return ' '.join(_format_marker(x) if isinstance(x, list) else str(x) for x in m)\n",
            line=7,
        ),
        Invalid(
            "class SpecSet:\n"
            "    def _canonical_specs(self):\n"
            "        return frozenset(s.canonical() for s in self._specs)\n"
            "    def __hash__(self):\n"
            "        return hash(self._canonical_specs())\n",
            line=5,
        ),
        Invalid(
            "class Spec:\n"
            "    @property\n"
            "    def _canonical_spec(self):\n"
            "        return self._op, canonicalize_version(self._version)\n"
            "    def __hash__(self):\n"
            "        return hash(self._canonical_spec)\n",
            line=6,
        ),
    ]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods: Dict[str, cst.FunctionDef] = {}
        properties: Set[str] = set()
        for stmt in node.body.body:
            if isinstance(stmt, cst.FunctionDef):
                methods[stmt.name.value] = stmt
                names = {_decorator_name(d) for d in stmt.decorators}
                if names & _PROPERTY_DECORATORS:
                    properties.add(stmt.name.value)
        hash_def = methods.get("__hash__")
        if hash_def is None or not isinstance(hash_def.body, cst.IndentedBlock):
            return
        module_functions = self._module_functions
        for stmt in hash_def.body.body:
            # Only a top-level `return hash(...)`: one under an `if` is a memo guard's miss.
            if not (isinstance(stmt, cst.SimpleStatementLine) and stmt.body
                    and isinstance(stmt.body[0], cst.Return)):
                continue
            value = stmt.body[0].value
            if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "hash" and value.args):
                continue
            found = self._rebuilt(value.args[0].value, methods, properties, module_functions)
            if found is not None:
                why, worker = found
                # Reported when the walk reaches the call, inside __hash__: its role sets the frequency.
                self._pending[id(value)] = (why, _elements(worker, methods, module_functions))

    def visit_Call(self, node: cst.Call) -> None:
        pending = self._pending.pop(id(node), None)
        if pending is not None:
            why, size = pending
            self.report(node, f"__hash__ {why} on every call, and dicts and sets hash on every lookup",
                        size=size, per_item="__hash__ runs per dict or set lookup")

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._module_functions: Dict[str, cst.FunctionDef] = {}
        # id of a `hash(...)` call in __hash__ -> (what it rebuilds, elements it renders or None)
        self._pending: Dict[int, Tuple[str, Optional[float]]] = {}

    def visit_Module(self, node: cst.Module) -> None:
        # Module-level functions: a `__str__` that calls one delegates to a serialiser.
        self._module_functions = {s.name.value: s for s in node.body if isinstance(s, cst.FunctionDef)}

    def _rebuilt(self, expr: cst.BaseExpression, methods: Dict[str, cst.FunctionDef], properties: Set[str],
                 module_functions: Dict[str, cst.FunctionDef]) -> Optional[Tuple[str, cst.FunctionDef]]:
        """What `expr` recomputes, when that is more than reading fields."""
        for call in _walk(expr, cst.Call):
            func = call.func
            if isinstance(func, cst.Name) and func.value in _RENDER_BUILTINS and _is_self_arg(call):
                dunder = _RENDER_BUILTINS[func.value]
                render = methods.get(dunder) or methods.get("__repr__")
                if render is not None and _does_work(render, methods, module_functions):
                    return f"re-renders {func.value}(self) through {render.name.value}()", render
            if isinstance(func, cst.Attribute) and _is_self(func.value):
                name = func.attr.value
                target = methods.get(name)
                if target is not None and name not in properties and _does_work(target, methods, module_functions):
                    return f"recomputes self.{name}()", target
        for attr in _walk(expr, cst.Attribute):
            if _is_self(attr.value) and attr.attr.value in properties:
                target = methods[attr.attr.value]
                if _does_work(target, methods, module_functions):
                    return f"recomputes the property self.{attr.attr.value}", target
        return None


def _decorator_name(dec: cst.Decorator) -> str:
    expr = dec.decorator
    if isinstance(expr, cst.Call):
        expr = expr.func
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Name):
        return expr.value
    return ""


def _is_self(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "self"


def _is_self_arg(call: cst.Call) -> bool:
    return bool(call.args) and _is_self(call.args[0].value)


def _walk(node: cst.CSTNode, kind: type):
    """Every node of `kind` under `node` (itself included), in source order."""
    found = []

    class _Collect(cst.CSTVisitor):
        def on_visit(self, n: cst.CSTNode) -> bool:
            if isinstance(n, kind):
                found.append(n)
            return True

    node.visit(_Collect())
    return found


def _does_work(fn: cst.FunctionDef, methods: Dict[str, cst.FunctionDef],
               module_functions: Dict[str, cst.FunctionDef]) -> bool:
    """The body walks a structure (a loop) or delegates to a serialiser of the class or module."""
    if _walk(fn.body, _LOOPS):
        return True
    for call in _walk(fn.body, cst.Call):
        func = call.func
        # A private helper or a serialiser by name; `_` alone is gettext, a lookup.
        if isinstance(func, cst.Name) and func.value != "_" and (
                func.value in module_functions or func.value[:1] == "_" or
                func.value.startswith(("canonical", "format", "render", "serial", "dump"))):
            return True
        if isinstance(func, cst.Attribute) and _is_self(func.value) and func.attr.value in methods:
            return True
    return False


def _elements(fn: cst.FunctionDef, methods: Dict[str, cst.FunctionDef],
              module_functions: Dict[str, cst.FunctionDef]) -> Optional[float]:
    """How many elements the rendering visits: unknown (None: a modest structure) when it
    walks a tree (a recursive serialiser) or a collection the object holds, else the fields
    it reads from self."""
    chain: List[cst.FunctionDef] = [fn]
    for call in _walk(fn.body, cst.Call):
        func = call.func
        if isinstance(func, cst.Name) and func.value in module_functions:
            chain.append(module_functions[func.value])
        elif isinstance(func, cst.Attribute) and _is_self(func.value) and func.attr.value in methods:
            chain.append(methods[func.attr.value])
    fields: Set[str] = set()
    for member in chain:
        name = member.name.value
        for call in _walk(member.body, cst.Call):
            func = call.func
            if (isinstance(func, cst.Name) and func.value == name) or (
                    isinstance(func, cst.Attribute) and _is_self(func.value) and func.attr.value == name):
                return None  # recursive: a tree of unknown size
        for loop in _walk(member.body, (cst.For, cst.CompFor)):
            if _held_collection(loop.iter):
                return None  # a loop over a collection the object holds: of unknown size
        for attr in _walk(member.body, cst.Attribute):
            if _is_self(attr.value) and attr.attr.value not in methods:
                fields.add(attr.attr.value)
    return float(max(len(fields), 1))


def _held_collection(expr: cst.BaseExpression) -> bool:
    """`self.items`, `self.items.values()`: a collection the object itself holds."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args:
        expr = expr.func.value
    return isinstance(expr, cst.Attribute) and _is_self(expr.value)
