"""PFL105 class-built-per-call."""

from __future__ import annotations

from typing import Optional, Tuple

import libcst as cst

from perflint.nodes import own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import innermost_def, is_literal, names_in, runs_per_call

# Class factories of the standard library, by qualified name: (what to call it, cost key).
# namedtuple() and typing.NamedTuple() generate the class's source and exec it; make_dataclass()
# runs the dataclass machinery (which execs __init__, __repr__, __eq__); the functional Enum API
# builds a metaclass instance member by member. Each is tens to hundreds of microseconds.
_FACTORIES = {
    "collections.namedtuple": ("namedtuple", "namedtuple-class"),
    "typing.NamedTuple": ("NamedTuple", "namedtuple-class"),
    "typing_extensions.NamedTuple": ("NamedTuple", "namedtuple-class"),
    "dataclasses.make_dataclass": ("make_dataclass", "dataclass-class"),
    "enum.Enum": ("Enum", "enum-class"),
    "enum.IntEnum": ("IntEnum", "enum-class"),
    "enum.StrEnum": ("StrEnum", "enum-class"),
    "enum.Flag": ("Flag", "enum-class"),
    "enum.IntFlag": ("IntFlag", "enum-class"),
}
_ENUMS = {"enum-class"}

# pydantic v2's TypeAdapter: constructing one generates the type's core schema and compiles its
# validator and serializer (11 us for `int`, 40-50 us for a dict of lists of models or a union
# of three small models; more for types whose schema pydantic keeps on no class), while
# validating through a kept adapter is 0.2-1 us. pydantic's deprecated `parse_obj_as` is not
# matched: under v1, where it is idiomatic, it keeps one parsing model per type (lru_cache).
_ADAPTERS = frozenset({"pydantic.TypeAdapter", "pydantic.type_adapter.TypeAdapter"})

# Django's lazy(func, *resultclasses): each call defines a new proxy class (a class statement
# inside lazy) and wraps every method of the result classes on it; 45 us for the class, 70 us
# with the one proxy object made from it (bench/lazy_class.py), against 0.15 us for a call of a
# lazy function built once. Matched by import only: a module's own `lazy` is someone else's.
_LAZY = frozenset({"django.utils.functional.lazy"})


class ClassBuiltPerCall(Rule):
    """
    A class created by a factory call (`namedtuple`, `NamedTuple`, `make_dataclass`, the
    functional `Enum`, Django's `lazy`) inside a function, so every call creates the class again.

    ## What it does
    Flags `namedtuple("Row", fields)`, `typing.NamedTuple("Row", [...])`,
    `dataclasses.make_dataclass("Row", [...])` and `Enum("Color", "RED GREEN")` written in a
    function body that runs per call (not at module or class level, not in a memoised
    function, not in tests). When the fields are literals or locals of the function built from
    literals, the class is the same every time: define it once at module level. When they come
    from what the call is given (a cursor's column names), the class can be kept per field
    tuple. It is reported only where something repeats the function (a loop, a hot entry
    point), and is a warning where that makes the time material: per row, per item, per
    request.

    ## Why is this slow
    These factories are code generators: `namedtuple()` writes the class's source and `exec`s
    it (about 42 µs on the reference machine), `make_dataclass()` runs the whole dataclass
    machinery (about 280 µs), the functional Enum builds each member through its metaclass
    (about 80 µs). Creating the class is thousands of times dearer than creating an instance
    of it, and each new class also defeats caches keyed by type (isinstance checks, pickling,
    `functools.singledispatch`). dataclasses-json built a namedtuple class in a helper that ran
    per decoded object: about half of the run time of a large decode.

    ## Example
    ```python
    from collections import namedtuple

    def overrides(cls):
        Override = namedtuple("Override", ["letter_case", "encoder", "decoder"])
        return {name: Override(*conf) for name, conf in settings_of(cls).items()}

    def decode_all(cls, rows):
        return [decode(cls, row, overrides(cls)) for row in rows]
    ```

    ## Use instead
    ```python
    from collections import namedtuple

    Override = namedtuple("Override", ["letter_case", "encoder", "decoder"])

    def overrides(cls):
        return {name: Override(*conf) for name, conf in settings_of(cls).items()}
    ```

    ## Notes
    pydantic's `TypeAdapter(T)` is the same kind of factory: constructing one generates the
    core schema of `T` and compiles a validator and a serializer from it (11 µs for `int`,
    40-50 µs for a `dict[str, list[Model]]` or a union of three small models, more for types
    pydantic keeps no schema for on a class), while `validate_python()` on a kept adapter is
    under a microsecond for those. A `TypeAdapter(type_)` built in a function that runs per value,
    with the type passed in by its caller (a parameter, or a local assigned from one), is
    reported like a class factory; the fix keeps one adapter per type (`functools.lru_cache` on
    a small factory, or a dict keyed by the type). A type written at the call
    (`TypeAdapter(float)`, `TypeAdapter(MyModel)`) is not reported: a builtin or a model class,
    whose schema pydantic keeps on the class, costs 5-12 µs to adapt. It is not reported when the module rebinds the name `TypeAdapter` to something else
    (`TypeAdapter = lru_cache(TypeAdapter)`, a cached factory), nor in an `__init__` of an
    object that is not itself built per item (call-graph heat decides).
    Django's `lazy(func, *resultclasses)` is one too: each call runs a class statement (its
    `__proxy__`) and wraps every method of the result classes on the new class (Django 5: in
    `lazy()`; 2.2-4.x: on its first instantiation), 47 µs with Django 5.2 against 0.15 µs for a
    call of a lazy function built once. A `lazy(...)` call in a function that runs per call
    (`lazy(self.error_messages["max_length"].format, str)(max_length=n)` in a field's
    `__init__`, as Django REST framework's fields had, with fields built per serializer) is
    reported where something repeats that function; the fix builds the lazy function once at
    module level and passes what varies as arguments (`django.utils.text.format_lazy` for a
    `str.format` template). `lazy` is matched by its import from `django.utils.functional`
    only; a module-level `gettext_lazy = lazy(gettext, str)` runs once per import and is not
    reported, nor is a decorator factory's `lazy(func, str)` applied to functions at import.
    A lambda or a function defined in the same call made lazy (`def placeholder(): ...` then
    `attrs["placeholder"] = lazy(placeholder, str)` in a widget's `__init__`) is Django's idiom
    for a value an object computes when rendered; keeping one lazy function means lifting the
    closure to module level with its state as arguments, and such widgets are built a few per
    request: it is reported at low confidence, a note.
    A class whose fields come from the call (`namedtuple("Row", names)` with `names` a
    parameter or derived from one) is reported at medium confidence with the advice to keep
    one class per field tuple (`functools.lru_cache` on a small factory). `Enum(value)` with one
    argument is a member lookup, not a class, and is not reported; nor is `type(name, bases,
    ns)` (about 12 µs) or a `class` statement in a function.
    """

    CODE = "PFL105"
    COST = "namedtuple-class"  # perflint/calibrate.py SPECS; make_dataclass and Enum have their own
    NAME = "class-built-per-call"
    FAMILY = "clone"
    FIX = "define the class once at module level and reuse it"
    TRIGGERS = ("namedtuple", "NamedTuple", "make_dataclass", "Enum", "Flag", "TypeAdapter", "lazy")
    VALID = [
        # Module level: built once at import.
        "from collections import namedtuple\nPoint = namedtuple('Point', 'x y')\n"
        "def points(rows):\n    return [Point(*r) for r in rows]\n",
        # Class level: the class body runs once.
        "from collections import namedtuple\nclass Shape:\n    Point = namedtuple('Point', 'x y')\n",
        # A memoised factory builds each class once.
        "import functools\nfrom collections import namedtuple\n@functools.lru_cache(maxsize=None)\n"
        "def row_type(names):\n    return namedtuple('Row', names)\n",
        # An enum member lookup, not a class.
        "import enum\nclass Color(enum.Enum):\n    RED = 1\n"
        "def colors(values):\n    return [Color(v) for v in values]\n",
        # Not the standard library's namedtuple.
        "def namedtuple(name, fields):\n    return (name, fields)\n"
        "def rows(items):\n    return [namedtuple('Row', i) for i in items]\n",
        # One pydantic TypeAdapter per type, memoised.
        "import functools\nfrom pydantic import TypeAdapter\n@functools.lru_cache(maxsize=None)\n"
        "def adapter(tp):\n    return TypeAdapter(tp)\n"
        "def validate_all(tp, values):\n    return [adapter(tp).validate_python(v) for v in values]\n",
        # The name TypeAdapter rebound at module level to a cached factory.
        "from functools import lru_cache\nfrom pydantic import TypeAdapter\nTypeAdapter = lru_cache(TypeAdapter)\n"
        "def validate(tp, value):\n    return TypeAdapter(tp).validate_python(value)\n"
        "def validate_all(tp, values):\n    return [validate(tp, v) for v in values]\n",
        # Django's lazy() at module level: one proxy class per import.
        "from django.utils.functional import lazy\nfrom django.utils.translation import gettext\n"
        "gettext_lazy = lazy(gettext, str)\n"
        "def labels(names):\n    return [gettext_lazy(n) for n in names]\n",
        # A function of the module's own called lazy.
        "def lazy(func, *classes):\n    return func\n"
        "def messages(templates):\n    return [lazy(t.format, str)(n=1) for t in templates]\n",
    ]
    INVALID = [
        Invalid("from collections import namedtuple\n"
                "def overrides(confs):\n    Override = namedtuple('Override', ['case', 'encoder'])\n"
                "    return [Override(*c) for c in confs]\n"
                "def decode_all(rows):\n    return [overrides(r) for r in rows]\n", line=3),
        Invalid("from dataclasses import make_dataclass\n"
                "def record(values):\n    Rec = make_dataclass('Rec', ['a', 'b'])\n    return Rec(*values)\n"
                "def load(rows):\n    for r in rows:\n        yield record(r)\n", line=3),
        Invalid("from pydantic import TypeAdapter\n"
                "def validate(tp, value):\n    return TypeAdapter(tp).validate_python(value)\n"
                "def validate_all(tp, values):\n    return [validate(tp, v) for v in values]\n", line=3),
        Invalid("from django.utils.functional import lazy\n"
                "def message(template, limit):\n    return lazy(template.format, str)(limit=limit)\n"
                "def messages(template, limits):\n    return [message(template, n) for n in limits]\n", line=3),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if not node.args:
            return
        func = node.func
        name = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else ""
        if name == "TypeAdapter":
            self._type_adapter(node, func)
            return
        if name == "lazy":
            self._lazy(node, func)
            return
        if not (name in ("namedtuple", "NamedTuple", "make_dataclass") or name.endswith(("Enum", "Flag"))):
            return  # cheap test first: most calls are none of these
        factory = _FACTORIES.get(self.ctx.resolve(func) or "")
        if factory is None:
            return
        what, cost = factory
        positional = [a for a in node.args if a.keyword is None and not a.star]
        if cost in _ENUMS and len(positional) < 2:
            return  # `Color(3)`: a member lookup (only the functional API passes a name and members)
        fn = runs_per_call(self.ctx)
        if fn is None:
            return  # module level, class bodies, memoised functions, tests
        fields, written = _fields(node, cost)
        fixed = written or (fields is not None and self._fixed(fields))
        if fixed:
            message = (f"{what}() creates the same class again on every call of {fn.name}(): its {'members' if cost in _ENUMS else 'fields'} never "
                       "change, and creating a class generates and executes its code")
            self.report(node, message, requires=("repeated",), cost=cost)
        else:
            message = (f"{what}() creates a new class on every call of {fn.name}(): creating a class generates "
                       "and executes its code; keep one class per set of fields")
            self.report(node, message, confidence="medium", requires=("repeated",), cost=cost,
                        fix="keep one class per field tuple (a small factory with functools.lru_cache) and reuse it")

    def _type_adapter(self, node: cst.Call, func: cst.BaseExpression) -> None:
        """pydantic's `TypeAdapter(T)` built per call: a core schema generated and compiled."""
        if self.ctx.resolve(func) not in _ADAPTERS:
            return
        if type(func) is cst.Name and self.ctx.stack and _rebound_at_module_level(self.ctx.stack[0], func.value):
            return  # `TypeAdapter = lru_cache(TypeAdapter)`: the name is not pydantic's class any more
        positional = [a for a in node.args if a.keyword is None and not a.star]
        if not positional:
            return
        fn = runs_per_call(self.ctx)
        if fn is None or self.ctx.cold_reason:
            return  # module level, class bodies, memoised functions, tests; a cache miss's block
        if not self._passed_in(positional[0].value):
            # A type written at the call (`TypeAdapter(float)`, `TypeAdapter(QueueFilter)`) is
            # most often a builtin or a model class, whose schema pydantic reuses: 5-12 us a
            # construction, under the warning threshold at the usual estimated frequencies
            # (prefect's retry-delay parser, run 23). The validators that rebuild per value take
            # the type from their caller.
            return
        message = (f"TypeAdapter() generates and compiles a pydantic core schema again on every call of {fn.name}(); "
                   "validating through a kept adapter costs a small fraction of that")
        self.report(node, message, requires=("repeated",), cost="typeadapter-build",
                    fix="build the adapter once and reuse it: at module level for a fixed type, "
                        "or one per type (functools.lru_cache on a small factory, or a dict keyed by the type)")

    def _lazy(self, node: cst.Call, func: cst.BaseExpression) -> None:
        """Django's `lazy(func, str)` called in a function that runs per call: a proxy class per call."""
        if self.ctx.resolve(func) not in _LAZY:
            return
        if type(func) is cst.Name and self.ctx.stack and _rebound_at_module_level(self.ctx.stack[0], func.value):
            return  # the module binds `lazy` to something else
        fn = runs_per_call(self.ctx)
        if fn is None or self.ctx.cold_reason:
            return  # module level (`gettext_lazy = lazy(gettext, str)`), class bodies, memoised functions, tests
        message = (f"lazy() creates a new proxy class on every call of {fn.name}(), wrapping every method of "
                   "its result classes; calling a lazy function built once costs a small fraction of that")
        # A closure of this call made lazy (`def placeholder(): ...` then `lazy(placeholder,
        # str)`, or a lambda): Django's idiom for a value an object computes when rendered, kept
        # on a widget or a field built once per form field; keeping one lazy function means
        # lifting the closure to module level with its state as arguments. At low confidence, a
        # note: pretix's date, time and phone widgets (four errors at an assumed x1000, a few
        # fields per request) were PLAUSIBLE, not TRUE (session 25).
        closure = self._wraps_closure(node)
        self.report(node, message, requires=("repeated",), cost="lazy-proxy-class",
                    confidence="low" if closure else "high",
                    fix="build the lazy function once at module level and pass what varies as arguments "
                        "(django.utils.text.format_lazy for a str.format template)")

    def _wraps_closure(self, node: cst.Call) -> bool:
        """Whether `lazy()`'s function is a lambda or a function defined in the enclosing function."""
        first = node.args[0].value
        if type(first) is cst.Lambda:
            return True
        if type(first) is not cst.Name:
            return False
        fn = innermost_def(self.ctx)
        if fn is None:
            return False
        for current, _ in own_nodes(fn.body):
            if type(current) is cst.IndentedBlock and any(
                    type(stmt) is cst.FunctionDef and stmt.name.value == first.value for stmt in current.body):  # type: ignore[attr-defined]
                return True
        return False

    def _passed_in(self, expr: cst.BaseExpression) -> bool:
        """Whether a TypeAdapter's type comes from the function's caller: a parameter is used in
        it (`type_`, `List[type_]`), or in what a local it names was assigned
        (`hint = type_hint if type_hint is not None else Any`)."""
        node = innermost_def(self.ctx)
        if node is None:
            return False
        p = node.params
        params = {x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)} - {"self", "cls"}
        used = names_in(expr)
        if used & params:
            return True
        if type(expr) is cst.Name:
            return any(names_in(value) & params for value in _assignments(self.ctx, expr.value))
        return False

    def _fixed(self, fields: cst.BaseExpression) -> bool:
        """Whether the fields are the same on every call: literals, or a local of the function
        that only literals were assigned to (`confs = ['a', 'b']`)."""
        if is_literal(fields) or _literal_display(fields):
            return True
        if type(fields) is not cst.Name:
            return False
        assigned = _assignments(self.ctx, fields.value)
        return bool(assigned) and all(is_literal(v) or _literal_display(v) for v in assigned)


def _rebound_at_module_level(module: cst.CSTNode, name: str) -> bool:
    """Whether the module's own code (not a function's or a class's) binds `name` other than by
    an import: an assignment (`TypeAdapter = lru_cache(_TypeAdapter)`, also under an `if`), a
    `def` or a `class` of that name."""
    for current, _ in own_nodes(module):
        kind = type(current)
        if kind is cst.Assign:
            if any(type(t.target) is cst.Name and t.target.value == name for t in current.targets):  # type: ignore[attr-defined]
                return True
        elif kind in (cst.AnnAssign, cst.AugAssign):
            target = current.target  # type: ignore[attr-defined]
            if type(target) is cst.Name and target.value == name and (kind is cst.AugAssign or current.value is not None):  # type: ignore[attr-defined]
                return True
        elif kind in (cst.FunctionDef, cst.ClassDef) and current.name.value == name:  # type: ignore[attr-defined]
            return True
    return False


def _fields(node: cst.Call, cost: str) -> Tuple[Optional[cst.BaseExpression], bool]:
    """(the fields or members argument: the second positional or `field_names=` / `fields=` /
    `names=`, whether the fields are written out as keywords: `NamedTuple("Row", a=int)`)."""
    keyword = {"namedtuple-class": ("field_names", "fields"), "dataclass-class": ("fields",),
               "enum-class": ("names",)}[cost]
    positional = [a for a in node.args if a.keyword is None and not a.star]
    if len(positional) >= 2:
        return positional[1].value, False
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value in keyword:
            return arg.value, False
    written = cost == "namedtuple-class" and len(node.args) > 1 and all(
        a.keyword is not None and not a.star for a in node.args[1:])
    return None, written


def _literal_display(expr: cst.BaseExpression) -> bool:
    """A list or tuple display of literals and of literal pairs (`[("a", int), "b"]`): a
    type name in a pair (`int`, `str`) counts as fixed."""
    if type(expr) not in (cst.List, cst.Tuple):
        return False
    for element in expr.elements:  # type: ignore[attr-defined]
        value = element.value
        if is_literal(value):
            continue
        if type(value) in (cst.List, cst.Tuple) and all(
                is_literal(e.value) or type(e.value) in (cst.Name, cst.Attribute) for e in value.elements):  # type: ignore[attr-defined]
            continue
        return False
    return True


def _assignments(ctx, name: str) -> Tuple[cst.BaseExpression, ...]:
    """The values assigned to the local `name` in the enclosing function (none when it is a
    parameter, or grown or rebound by a loop or `+=`)."""
    node = innermost_def(ctx)
    if node is None:
        return ()
    params = node.params
    if any(p.name.value == name for p in (*params.params, *params.kwonly_params, *params.posonly_params)):
        return ()
    out = []
    for current, _ in own_nodes(node.body):
        kind = type(current)
        if kind is cst.Assign:
            for target in current.targets:  # type: ignore[attr-defined]
                if type(target.target) is cst.Name and target.target.value == name:
                    out.append(current.value)  # type: ignore[attr-defined]
        elif kind in (cst.AugAssign, cst.For) and type(current.target) is cst.Name \
                and current.target.value == name:  # type: ignore[attr-defined]
            return ()
    return tuple(out)
