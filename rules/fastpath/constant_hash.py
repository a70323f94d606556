"""PFL509 constant-hash."""

from __future__ import annotations

from typing import Optional, Set

import libcst as cst

from perflint.nodes import own_nodes
from perflint.repetition import is_docstring
from perflint.rule import Invalid, Rule

CODE = "PFL509"
FIX = ("hash what __eq__ compares (`hash((self.key, self.kind))`), or a part of it that equal objects share; "
       "a constant hash is only right when all instances are equal")
_LITERALS = (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)
# The class itself, as hash inputs: the same for every instance of it.
_CLASS_OF_SELF = ("self.__class__", "type(self)", "self.__class__.__name__", "type(self).__name__")


class ConstantHash(Rule):
    """
    A `__hash__` that returns the same value for every instance, while `__eq__` tells them
    apart: every instance falls into one hash bucket.

    ## What it does
    Flags a `__hash__` whose whole body returns a value that does not depend on the instance
    (a literal, `hash("name")`, `hash(self.__class__)`, `hash(type(self))`, `id(type(self))`)
    in a class whose own `__eq__` compares instance state (it reads an attribute of `self`).

    ## Why is this slow
    A set or dict finds an entry by its hash and then compares the entries with that hash
    one by one with `__eq__`. When every instance hashes alike, every entry has that hash:
    each lookup or insertion calls `__eq__` on the entries already there, a Python call each,
    so a membership test is O(n) and building a set or dict of n instances is O(n²). Evennia's
    command sets took a second per merge of 700 commands this way (under 50 ms with the
    command key hashed). Priced per element of the set (`hash-collision-element`: a lookup
    compares with half of them on average); how many instances a set holds is not in the
    code (100 assumed).

    ## Example
    ```python
    class Command:
        def __init__(self, key, aliases):
            self.key, self.aliases = key, set(aliases)

        def __eq__(self, other):
            return self.key == other.key or bool(self.aliases & other.aliases)

        def __hash__(self):
            return hash("command")
    ```

    ## Use instead
    ```python
    class Command:
        def __init__(self, key, aliases):
            self.key, self.aliases = key, set(aliases)

        def __eq__(self, other):
            return self.key == other.key

        def __hash__(self):
            return hash(self.key)
    ```

    ## Notes
    A class whose `__eq__` only compares types (`type(self) is type(other)`) makes every
    instance equal, and a constant hash is then right: a set holds one of them. A
    `__hash__` that returns None (unhashable) is not a hash. An `__eq__` inherited from a base
    class is not read.
    """

    CODE = CODE
    NAME = "constant-hash"
    FAMILY = "fastpath"
    COST = "hash-collision-element"  # perflint/calibrate.py SPECS, per element of the set
    FIX = FIX
    TRIGGERS = ("__hash__",)
    VALID = [
        # Hashes what __eq__ compares.
        "class K:\n    def __init__(self, k):\n        self.k = k\n    def __eq__(self, o):\n        return self.k == o.k\n"
        "    def __hash__(self):\n        return hash(self.k)\n",
        # All instances are equal: one bucket is right.
        "class Null:\n    def __eq__(self, o):\n        return type(self) is type(o)\n"
        "    def __hash__(self):\n        return hash(type(self))\n",
        # Unhashable on purpose.
        "class Key:\n    def __eq__(self, o):\n        return self.k == o.k\n    def __hash__(self):\n        return None\n",
        # No __eq__ of its own: identity equality from object.
        "class Marker:\n    def __hash__(self):\n        return 0\n",
    ]
    INVALID = [
        Invalid("class Command:\n    def __init__(self, key):\n        self.key = key\n"
                "    def __eq__(self, other):\n        return self.key == other.key\n"
                "    def __hash__(self):\n        return hash('command')\n", line=7),
        Invalid("class Node:\n    def __eq__(self, other):\n        return self.__dict__ == other.__dict__\n"
                "    def __hash__(self):\n        '''Nodes are mutable.'''\n        return hash(self.__class__)\n", line=6),
        Invalid("class Entity:\n    def __eq__(self, other):\n        return self.id == other.id\n"
                "    def __hash__(self):\n        return 1\n", line=5),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._targets: Set[int] = set()  # the return value of each constant __hash__ to report

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = {s.name.value: s for s in node.body.body if isinstance(s, cst.FunctionDef)}
        hash_fn, eq_fn = methods.get("__hash__"), methods.get("__eq__")
        if hash_fn is None or eq_fn is None:
            return  # without an __eq__ of its own, equality is identity: one bucket holds one object
        value = _constant_return(hash_fn)
        if value is not None and _reads_state(eq_fn):
            self._targets.add(id(value))

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None and id(node.value) in self._targets and not self.ctx.is_test:
            self.report(node.value, f"{self.ctx.function.name}() returns the same hash for every instance while "
                                    "__eq__ compares their state: every instance falls into one hash bucket, so each "
                                    "set or dict lookup compares with all of them (O(n)) and building one is O(n²)")


def _constant_return(fn: cst.FunctionDef) -> Optional[cst.BaseExpression]:
    """The returned expression when `fn`'s whole body (a docstring aside) returns a value
    that is the same for every instance; None otherwise."""
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else [fn.body]
    statements = [s for s in body if not is_docstring(s)]
    if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine):
        return None
    small = statements[0].body
    if len(small) != 1 or not isinstance(small[0], cst.Return) or small[0].value is None:
        return None
    value = small[0].value
    return value if _constant(value) else None


def _constant(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, _LITERALS):
        return True
    if isinstance(expr, cst.UnaryOperation):
        return isinstance(expr.expression, (cst.Integer, cst.Float))
    if isinstance(expr, cst.Tuple):
        return all(_constant(e.value) for e in expr.elements)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("hash", "id") \
            and len(expr.args) == 1 and not expr.args[0].star:
        arg = expr.args[0].value
        return _constant(arg) or cst.Module([]).code_for_node(arg) in _CLASS_OF_SELF
    return False


def _reads_state(fn: cst.FunctionDef) -> bool:
    """`__eq__` reads the instance's state: an attribute of `self` other than its class, or
    `vars(self)`."""
    for node, _ in own_nodes(fn.body):
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self" \
                and node.attr.value != "__class__":
            return True
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "vars":
            return True
    return False
