"""PFL506 count-of-built-collection."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.rule import Invalid, Rule
from perflint.nodes import iter_children

# Methods whose result has the length of the mapping they are called on.
_VIEWS = ("items", "keys", "values")
# Builtins that turn an iterable into a sequence of the same length.
_SEQUENCE_MAKERS = ("list", "tuple")

# What `len()` is handed: (what builds it, the source it walks, the call made per element).
_Built = Tuple[str, str, str]


class CountOfBuiltCollection(Rule):
    """
    A collection built element by element only to be counted: `len()` of it.

    ## What it does
    Flags `len(...)` of a list or dict that is built by calling something for every
    element of a source whose length is already known: `len([Doc(r) for r in rows])`,
    `len(list(map(parse, lines)))`, and `len(self._read_table())` where `_read_table()`
    (a method of the same class, or a function of the same module) returns
    `{convert(k): v for k, v in data.items()}`. It is reported wherever it runs; it
    matters most in `__len__` and `__bool__`, which run once per `len(obj)` or `if obj:`.

    ## Why is this slow
    The count is the length of the source, but the code first converts every element (an
    object constructed, a key parsed) and then throws the converted collection away. That
    is one call per element, O(n), for an answer `len()` of the source gives in O(1).

    ## Example
    ```python
    class Table:
        def _read_table(self):
            data = self._storage.read()
            return {int(doc_id): doc for doc_id, doc in data[self.name].items()}

        def __len__(self):
            return len(self._read_table())
    ```

    ## Use instead
    ```python
        def __len__(self):
            return len(self._storage.read()[self.name])
    ```

    ## Notes
    Not reported: a collection built with a filter (`if` in the comprehension: the count
    needs the test), a set (it drops duplicates: the count may differ), a copy with no call
    per element (`len(list(it))` costs a few nanoseconds per element and is the idiom for
    counting an iterator), a source whose length `len()` cannot read (a call other than
    `.items()`, `.keys()` or `.values()`), and a helper with any `return` that is not such a
    collection (or an empty literal for a missing source).
    """

    CODE = "PFL506"
    COST = "build-element"  # perflint/calibrate.py; measured by bench/costs.py
    NAME = "count-of-built-collection"
    FAMILY = "fastpath"
    FIX = "count the source: take len() of what the collection is built from, without converting each element"
    TRIGGERS = ("len(",)
    VALID = [
        # A filter: the count needs the test.
        "def n(rows):\n    return len([r for r in rows if r.ok()])\n",
        # A copy only: no call per element.
        "def n(it):\n    return len(list(it))\n",
        # A set drops duplicates: its length is not the source's.
        "def n(rows):\n    return len({key(r) for r in rows})\n",
        # The source's length cannot be read: an iterator.
        "def n(path):\n    return len([line.strip() for line in open(path)])\n",
        # The built collection is kept, not only counted.
        "class T:\n    def all(self):\n        return [Doc(r) for r in self.rows]\n"
        "    def __len__(self):\n        docs = self.all()\n        self.last = docs\n        return len(docs)\n",
        # The helper also returns a filtered collection on another path.
        "class T:\n    def docs(self, cond=None):\n        if cond:\n            return [Doc(r) for r in self.rows if cond(r)]\n"
        "        return [Doc(r) for r in self.rows]\n    def __len__(self):\n        return len(self.docs())\n",
    ]
    INVALID = [
        Invalid(
            "class Table:\n"
            "    def _read_table(self):\n"
            "        data = self._storage.read() or {}\n"
            "        try:\n"
            "            return {self.document_id_class(k): v for k, v in data[self.name].items()}\n"
            "        except KeyError:\n"
            "            return {}\n"
            "    def __len__(self):\n"
            "        return len(self._read_table())\n",
            line=9,
        ),
        Invalid("def count(rows):\n    return len([Row(r) for r in rows])\n", line=2),
        Invalid("def count(lines):\n    return len(list(map(parse, lines)))\n", line=2),
        Invalid("def documents(db):\n    return [Document(d) for d in db.docs.values()]\n"
                "def count(db):\n    return len(documents(db))\n", line=4),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._module: Optional[cst.Module] = None
        self._functions: Optional[Dict[str, cst.FunctionDef]] = None  # module-level functions, on first need
        self._classes: List[list] = []  # [class node, its methods by name or None]: innermost last
        self._returns: Dict[int, Optional[_Built]] = {}  # id(function) -> what it returns, when built

    def visit_Module(self, node: cst.Module) -> None:
        self._module = node

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append([node, None])

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.function is None or not isinstance(node.func, cst.Name) or node.func.value != "len":
            return
        if len(node.args) != 1 or node.args[0].star:
            return
        arg = node.args[0].value
        built = built_collection(arg)
        via = ""
        if built is None and isinstance(arg, cst.Call):
            helper = self._helper(arg)
            if helper is not None:
                built = self._returned(helper)
                via = f"{dotted_text(arg.func)}() returns "
        if built is None:
            return
        how, source, per_element = built
        self.report(node, f"len() of {via}{how} that calls {per_element} for every element of {source}, "
                          f"only to count it: len({source}) is the same number without a call per element",
                    fix=f"return len({source}) (or count it where it is stored) instead of building the collection")

    # -- helpers of the same class or module -----------------------------------------------
    def _helper(self, call: cst.Call) -> Optional[cst.FunctionDef]:
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == self.ctx.self_name():
            if not self._classes:
                return None
            entry = self._classes[-1]
            if entry[1] is None:
                entry[1] = {s.name.value: s for s in entry[0].body.body if isinstance(s, cst.FunctionDef)}
            return entry[1].get(func.attr.value)
        if isinstance(func, cst.Name) and self._module is not None:
            if self._functions is None:
                self._functions = {s.name.value: s for s in self._module.body if isinstance(s, cst.FunctionDef)}
            return self._functions.get(func.value)
        return None

    def _returned(self, fn: cst.FunctionDef) -> Optional[_Built]:
        key = id(fn)
        if key not in self._returns:
            self._returns[key] = returns_built(fn)
        return self._returns[key]


def returns_built(fn: cst.FunctionDef) -> Optional[_Built]:
    """What every `return` of `fn` builds, when each returns such a collection (or an empty
    literal), and the function is not a generator."""
    found: Optional[_Built] = None
    stack: List[cst.CSTNode] = [fn.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue  # a nested scope's returns are its own
        if isinstance(node, (cst.Yield, cst.Await)):
            return None
        if isinstance(node, cst.Return):
            value = node.value
            if value is None:
                return None
            if isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements:
                continue  # nothing to convert: a missing source
            built = built_collection(value)
            if built is None:
                return None
            found = found or built
            continue
        stack.extend(iter_children(node))
    return found


def built_collection(expr: cst.BaseExpression) -> Optional[_Built]:
    """(how, source, per-element call) when `expr` builds a list or dict from a sized source
    with a call per element and no filter."""
    if isinstance(expr, cst.ListComp):
        return _comprehension(expr.for_in, expr.elt, "a list comprehension")
    if isinstance(expr, cst.DictComp):
        if not _keys_one_to_one(expr):
            return None
        element = expr.key if _call_in(expr.key) else expr.value
        return _comprehension(expr.for_in, element, "a dict comprehension")
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in _SEQUENCE_MAKERS \
            and len(expr.args) == 1 and not expr.args[0].star:
        inner = expr.args[0].value
        if isinstance(inner, cst.GeneratorExp):
            return _comprehension(inner.for_in, inner.elt, f"{expr.func.value}() of a generator")
        if isinstance(inner, cst.Call) and dotted_text(inner.func) == "map" and len(inner.args) == 2:
            source = _sized(inner.args[1].value)
            mapped = dotted_text(inner.args[0].value)
            if source is not None and mapped is not None:
                return f"{expr.func.value}(map(...))", source, f"{mapped}()"
    return None


def _comprehension(for_in: cst.CompFor, element: cst.BaseExpression, how: str) -> Optional[_Built]:
    if for_in.ifs or for_in.inner_for_in is not None or for_in.asynchronous is not None:
        return None
    source = _sized(for_in.iter)
    call = _call_in(element)
    if source is None or call is None:
        return None
    return how, source, call


def _keys_one_to_one(comp: cst.DictComp) -> bool:
    """A dict comprehension keeps one entry per source element: it walks a mapping's
    `.items()`/`.keys()` and the key is that key, converted or not."""
    it = comp.for_in.iter
    if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and it.func.attr.value in ("items", "keys")):
        return False
    target = comp.for_in.target
    first = target.elements[0].value if isinstance(target, cst.Tuple) and target.elements else target
    if not isinstance(first, cst.Name):
        return False
    key = comp.key
    if isinstance(key, cst.Name):
        return key.value == first.value
    return (isinstance(key, cst.Call) and len(key.args) == 1 and isinstance(key.args[0].value, cst.Name)
            and key.args[0].value.value == first.value)


def _sized(expr: cst.BaseExpression) -> Optional[str]:
    """The text of a source whose length len() reads: a name, an attribute, a subscript, or
    a mapping's view."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _VIEWS \
            and not expr.args:
        owner = expr.func.value
        return _code(owner) if isinstance(owner, (cst.Name, cst.Attribute, cst.Subscript)) else None
    if isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript)):
        return _code(expr)
    return None


def _call_in(expr: cst.BaseExpression) -> Optional[str]:
    """The first call in an element expression (`Doc(...)`), outside nested lambdas."""
    stack: List[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Lambda):
            continue
        if isinstance(node, cst.Call):
            return f"{dotted_text(node.func) or 'a function'}()"
        stack.extend(reversed(list(iter_children(node))))
    return None


def _code(expr: cst.BaseExpression) -> str:
    return cst.Module(body=[]).code_for_node(expr)
