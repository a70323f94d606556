"""Phase 1 names and values: what each name, attribute, argument and return can hold."""

from __future__ import annotations

import builtins
from typing import Dict, List, Optional, Tuple

import libcst as cst

from perflint import djangomodels  # it imports this module back: its names are read at call time
from perflint.summary import MODULE_SCOPE, STAR_SEGMENT

_BUILTINS = frozenset(dir(builtins))

# Decorators that hand back the function they wrap (or call it): the name keeps its function.
TRANSPARENT_DECORATORS = frozenset({
    "staticmethod", "classmethod", "property", "functools.wraps", "functools.lru_cache",
    "functools.cache", "functools.cached_property", "functools.singledispatch",
    "functools.singledispatchmethod", "abc.abstractmethod", "typing.final", "typing.override",
    "typing_extensions.override", "contextlib.contextmanager", "contextlib.asynccontextmanager",
    "lru_cache", "cache", "cached_property", "abstractmethod", "contextmanager", "wraps",
})

# Calls that call a function handed to them with arguments handed beside it, so the handed
# call binds the function's parameters and, for the map forms, runs once per item of an
# iterable. (function position or keyword, where its positional arguments start, keywords
# that are not the function's, per item): by qualified name, then by method name on a
# receiver from outside the program (an executor, an event loop, a process pool).
# `threading.Thread(target=f, args=(a,), kwargs={...})` passes its arguments in `args` and
# `kwargs` (HANDED_ARG_KEYWORDS).
HANDED_FUNCTIONS: Dict[str, Tuple[int, str, int, Tuple[str, ...], bool]] = {
    "threading.Thread": (-1, "target", -1, ("group", "name", "daemon"), False),
    "threading.Timer": (1, "function", -1, (), False),
    "asyncio.to_thread": (0, "func", 1, (), False),
    "map": (0, "", 1, (), True),
    "filter": (0, "", 1, (), True),
    "itertools.starmap": (0, "", -1, (), True),
}
HANDED_METHODS: Dict[str, Tuple[int, str, int, Tuple[str, ...], bool]] = {
    "submit": (0, "fn", 1, (), False),
    "run_in_executor": (1, "", 2, (), False),
    "map": (0, "", 1, ("timeout", "chunksize", "buffersize"), True),
    "imap": (0, "", 1, ("chunksize",), True),
    "imap_unordered": (0, "", 1, ("chunksize",), True),
    "starmap": (0, "", -1, ("chunksize",), True),
}
HANDED_ARG_KEYWORDS = ("args", "kwargs")


def _handed_at(spec: Tuple[int, str, int, Tuple[str, ...], bool]) -> Tuple[object, ...]:
    """Where a HANDED_* scheduler takes its function: the position, the keyword, or both."""
    position, keyword = spec[0], spec[1]
    return tuple(where for where in (position, keyword) if where != -1 and where != "")


# Who calls a function handed to them, and where the function is: a position or a keyword.
# Functions of the standard library, by qualified name (atexit.register is left out: an
# exit handler runs once per process, not per call of whoever registered it). The schedulers
# that also take the function's arguments (HANDED_*) say where the function is once, there.
CALLBACK_FUNCTIONS: Dict[str, Tuple[object, ...]] = {
    **{name: _handed_at(spec) for name, spec in HANDED_FUNCTIONS.items()},
    "asyncio.ensure_future": (),
    "sorted": ("key",),
    "min": ("key",),
    "max": ("key",),
    "functools.reduce": (0,),
}
# Methods on a receiver outside the scanned code: executors, event loops, schedulers,
# futures and the `.on`/`.connect` registration style of emitters and signals.
CALLBACK_METHODS: Dict[str, Tuple[object, ...]] = {
    **{name: _handed_at(spec) for name, spec in HANDED_METHODS.items()},
    "apply_async": (0,),
    "call_soon": (0,),
    "call_soon_threadsafe": (0,),
    "call_later": (1,),
    "call_at": (1,),
    "enter": (2, "action"),
    "enterabs": (2, "action"),
    "on": (1,),
    "once": (1,),
    "connect": (0,),
    "add_done_callback": (0,),
    "addCallback": (0,),
    "addCallbacks": (0,),
    "addBoth": (0,),
    "add_callback": (0,),
    "subscribe": (0,),
    "sort": ("key",),
}

# Value expressions (picklable tuples), evaluated in phase 2 (valueflow.py):
#   ("n", scope, name)     a name read in a scope (function qualname or <module>)
#   ("a", base, attr)      an attribute of a value
#   ("c", func)            what calling a value returns (an instance for a class)
#   ("dec", deco, func)    a function `func` decorated by `deco`: what `deco(func)` returns,
#                          `func` itself where `deco` hands back its argument (per site)
#   ("i", base)            an element (subscript, iteration)
#   ("u", base, k)         the k-th item when unpacking
#   ("or", (e, ...))       any of these (`a or b`, `x if c else y`)
#   ("f", qualname)        a function defined here
#   ("lam", call)          a lambda whose body is the call `call` (a value expression)
#   ("L", (e, ...))        a tuple or list display, by position
#   ("S", (e, ...))        a set or dict display (its values), no positions
#   ("ann", scope, (dotted, ...))  an instance of an annotated class (or a subclass)
#   ("self", class), ("cls", class)  the receiver of a method: that class or a subclass
#   ("g", dotted)          a name imported inside a function
#   ("app", e)             a list `e` is appended to: a container of e's values of the program
#   ("seq", call, checks, arg, levels)  `list(xs)`, `chain.from_iterable(xs)`, joblib's
#                          `Parallel()(delayed(f)(a) for ...)`: what `arg` holds `levels`
#                          down, when the `checks` are outside the program (_sequence_call)


def dotted_parts(expr: cst.BaseExpression) -> Optional[List[str]]:
    """`a.b.c` as ["a", "b", "c"]; None for anything that is not a plain name chain."""
    parts: List[str] = []
    # type() comparisons, not isinstance: libcst's classes are ABCs, and this runs per call.
    while type(expr) is cst.Attribute:
        parts.append(expr.attr.value)  # type: ignore[attr-defined]
        expr = expr.value  # type: ignore[attr-defined]
    if type(expr) is cst.Name:
        parts.append(expr.value)
        parts.reverse()
        return parts
    return None


def dotted_text(expr: cst.BaseExpression) -> Optional[str]:
    parts = dotted_parts(expr)
    return ".".join(parts) if parts else None


_OPTIONAL = ("Optional", "typing.Optional")
_UNION = ("Union", "typing.Union")
_CONTAINERS = frozenset({
    "List", "typing.List", "list", "Sequence", "typing.Sequence", "Iterable", "typing.Iterable",
    "Iterator", "typing.Iterator", "Set", "typing.Set", "set", "FrozenSet", "frozenset",
    "collections.abc.Sequence", "collections.abc.Iterable", "collections.abc.Iterator",
    "Collection", "typing.Collection", "Tuple", "tuple",
})


def literal_all(module: cst.Module) -> Optional[Tuple[str, ...]]:
    """The module's `__all__` when one top-level assignment spells it as a literal list or
    tuple of strings and nothing else at the top level changes it (`+=`, `.extend(...)`, an
    assignment under `if`/`try`); None otherwise: a star import then binds its public names."""
    found: Optional[Tuple[str, ...]] = None
    for stmt in module.body:
        if type(stmt) is not cst.SimpleStatementLine:
            if _mentions_all(stmt):
                return None
            continue
        for small in stmt.body:
            small_type = type(small)
            if small_type is cst.Assign:
                named = [t.target for t in small.targets if _names_all(t.target)]  # type: ignore[attr-defined]
                if not named:
                    continue
                value = small.value  # type: ignore[attr-defined]
                if type(named[0]) is not cst.Name or type(value) not in (cst.List, cst.Tuple) or found is not None:
                    return None
                names = []
                for element in value.elements:
                    text = element.value
                    if type(element) is not cst.Element or type(text) is not cst.SimpleString:
                        return None
                    evaluated = text.evaluated_value
                    if not isinstance(evaluated, str):
                        return None
                    names.append(evaluated)
                found = tuple(names)
            elif _mentions_all(small):
                return None
    return found


def _mentions_all(node: cst.CSTNode) -> bool:
    """Whether a top-level statement may change `__all__`: an assignment, augmented
    assignment, deletion or method call naming it, in it or in the blocks it holds
    (statements only: expressions and nested functions and classes are not walked)."""
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.SimpleStatementLine:
            stack.extend(current.body)  # type: ignore[attr-defined]
        elif kind is cst.Assign:
            if any(_names_all(t.target) for t in current.targets):  # type: ignore[attr-defined]
                return True
        elif kind in (cst.AugAssign, cst.AnnAssign):
            if _names_all(current.target):  # type: ignore[attr-defined]
                return True
        elif kind is cst.Expr:
            value = current.value  # type: ignore[attr-defined]
            if type(value) is cst.Call and type(value.func) is cst.Attribute and _names_all(value.func.value):
                return True
        elif kind is cst.Del:
            if _names_all(current.target):  # type: ignore[attr-defined]
                return True
        elif isinstance(current, cst.BaseSuite):
            stack.extend(current.body)  # type: ignore[attr-defined]
        elif kind not in (cst.FunctionDef, cst.ClassDef) and (
                isinstance(current, cst.BaseCompoundStatement) or kind in _BLOCK_PARTS):
            # if/elif/else, try/except/finally, with, for, while: the blocks, not the tests;
            # a match statement holds its blocks in its cases
            body = getattr(current, "body", None)
            if body is not None:
                stack.append(body)
            stack.extend(getattr(current, "cases", ()))
            for part in ("orelse", "finalbody"):
                found = getattr(current, part, None)
                if found is not None:
                    stack.append(found)
            stack.extend(getattr(current, "handlers", ()))
    return False


_BLOCK_PARTS = (cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)


def _names_all(target: cst.BaseExpression) -> bool:
    if type(target) is cst.Name:
        return target.value == "__all__"  # type: ignore[attr-defined]
    if type(target) in (cst.Tuple, cst.List):
        return any(_names_all(element.value) for element in target.elements)  # type: ignore[attr-defined]
    return False


def _parse_string_annotation(text: object) -> Optional[cst.BaseExpression]:
    if not isinstance(text, str) or len(text) > 200:
        return None
    try:
        return cst.parse_expression(text)
    except Exception:  # not an expression: no type, not an error
        return None


def annotation_types(expr: Optional[cst.BaseExpression], depth: int = 0) -> Tuple[Tuple[str, ...], bool]:
    """Classes an annotation names, as written, and whether they are container elements:
    `C`, `m.C`, `"C"`, `Optional[C]`, `Union[A, B]`, `A | B | None`, `List[C]`."""
    if expr is None or depth > 4:
        return (), False
    if isinstance(expr, cst.SimpleString):
        return annotation_types(_parse_string_annotation(expr.evaluated_value), depth + 1)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        left, lc = annotation_types(expr.left, depth + 1)
        right, rc = annotation_types(expr.right, depth + 1)
        return (left + right, lc) if lc == rc or not right or not left else ((), False)
    if isinstance(expr, cst.Name) and expr.value == "None":
        return (), False
    if isinstance(expr, cst.Subscript):
        head = dotted_text(expr.value)
        items = [s.slice.value for s in expr.slice if isinstance(s.slice, cst.Index)]
        if head in _OPTIONAL or head in _UNION:
            out: Tuple[str, ...] = ()
            for item in items:
                types, inner = annotation_types(item, depth + 1)
                if inner:
                    return (), False
                out += types
            return out, False
        if head in _CONTAINERS and len(items) >= 1:
            types, inner = annotation_types(items[0], depth + 1)
            return (types, True) if not inner else ((), False)
        return (), False
    text = dotted_text(expr)
    return ((text,), False) if text else ((), False)


def _annotated_kind(expr: cst.BaseExpression) -> Optional[str]:
    """"str" for an annotation `str` (or `Optional[str]`, `str | None`), "other" for one that
    names another class, None when it says nothing."""
    types, container = annotation_types(expr)
    if not types:
        return None
    return "str" if not container and set(types) <= {"str", "builtins.str"} else "other"


_OTHER_LITERALS = frozenset({cst.Integer, cst.Float, cst.Imaginary, cst.List, cst.Tuple, cst.Dict, cst.Set})


def _literal_kind(value: Optional[cst.BaseExpression]) -> Optional[str]:
    """"str" for a str literal or `str()`, "other" for another literal (a number, bytes, a
    display) or an empty container made by a call (`bytearray()`, `list()`). Exact types: an
    isinstance against libcst's classes (ABCs) is slow, and this runs for every assignment."""
    value_type = type(value)
    if value_type is cst.SimpleString or value_type is cst.ConcatenatedString:
        return "str" if isinstance(value.evaluated_value, str) else "other"  # type: ignore[union-attr]
    if value_type is cst.FormattedString:
        return "str"
    if value_type in _OTHER_LITERALS:
        return "other"
    if value_type is cst.Call and not value.args and type(value.func) is cst.Name:  # type: ignore[union-attr]
        # `str()`: empty text; `bytearray()`, `list()`, `io.StringIO`-less containers: not text
        if value.func.value == "str":
            return "str"
        if value.func.value in _NOT_TEXT_CALLS:
            return "other"
    return None


_NOT_TEXT_CALLS = frozenset({"bytes", "bytearray", "list", "dict", "set", "int", "float", "deque"})


def annotation_type(annotation: Optional[cst.Annotation]) -> Optional[str]:
    """The one class a simple annotation names: `C`, `m.C`, `"C"`, `Optional[C]`, `C | None`."""
    if annotation is None:
        return None
    types, container = annotation_types(annotation.annotation)
    return types[0] if len(types) == 1 and not container else None


def value_expr(node: Optional[cst.BaseExpression], scope: str, depth: int = 0) -> Optional[tuple]:
    """The value expression of a libcst expression read in `scope`; None if not modelled."""
    if node is None or depth > 12:
        return None
    t = type(node)
    if t is cst.Name:
        name = node.value  # type: ignore[attr-defined]
        return None if name in ("None", "True", "False") else ("n", scope, name)
    if t is cst.Attribute:
        base = value_expr(node.value, scope, depth + 1)  # type: ignore[attr-defined]
        return ("a", base, node.attr.value) if base is not None else None  # type: ignore[attr-defined]
    if t is cst.Call:
        func = node.func  # type: ignore[attr-defined]
        if type(func) is cst.Name and func.value == "super":
            return None
        if type(func) is cst.Attribute and func.attr.value == "__new__" and scope.endswith(".__new__") and (
                (type(func.value) is cst.Call and type(func.value.func) is cst.Name and func.value.func.value == "super")
                or (type(func.value) is cst.Name and func.value.value == "type")):
            # `super().__new__(cls, name, bases, attrs)` in a `__new__`: in a metaclass, the
            # class being made (ValueFlow.made_by); nothing known in any other class
            return ("new", scope[: -len(".__new__")])
        if type(func) is cst.Name and func.value == "getattr":
            read = _getattr_read(node, scope, depth)  # type: ignore[arg-type]
            if read is not None:
                return read
        seq = _sequence_call(node, func, scope, depth)  # type: ignore[arg-type]
        if seq is not None:
            return seq
        inner = value_expr(func, scope, depth + 1)
        return ("c", inner) if inner is not None else None
    if t is cst.Await:
        return value_expr(node.expression, scope, depth + 1)  # type: ignore[attr-defined]
    if t is cst.Subscript:
        base = value_expr(node.value, scope, depth + 1)  # type: ignore[attr-defined]
        return ("i", base) if base is not None else None
    if t is cst.BooleanOperation:
        return _union(value_expr(node.left, scope, depth + 1), value_expr(node.right, scope, depth + 1))  # type: ignore[attr-defined]
    if t is cst.IfExp:
        return _union(value_expr(node.body, scope, depth + 1), value_expr(node.orelse, scope, depth + 1))  # type: ignore[attr-defined]
    if t is cst.Tuple or t is cst.List:
        elements = node.elements  # type: ignore[attr-defined]
        if any(type(e) is cst.StarredElement for e in elements):
            return None
        items = tuple(value_expr(e.value, scope, depth + 1) for e in elements)
        return ("L", items) if any(i is not None for i in items) else None
    if t is cst.Set:
        items = tuple(i for i in (value_expr(e.value, scope, depth + 1) for e in node.elements  # type: ignore[attr-defined]
                                  if type(e) is cst.Element) if i is not None)
        return ("S", items) if items else None
    if t is cst.Dict:
        items = tuple(i for i in (value_expr(e.value, scope, depth + 1) for e in node.elements  # type: ignore[attr-defined]
                                  if type(e) is cst.DictElement) if i is not None)
        return ("S", items) if items else None
    if t is cst.ListComp or t is cst.SetComp or t is cst.GeneratorExp:
        # `[C(x) for x in xs]`, `(c for c in (A(), B()))`: a container of what the element
        # expression holds (its `for` targets are bound as locals of the scope: _enter_comp_for)
        elt = value_expr(node.elt, scope, depth + 1)  # type: ignore[attr-defined]
        return ("S", (elt,)) if elt is not None else None
    if t is cst.DictComp:
        # `{c.encoding: c for c in converters}`: a container of its values
        value = value_expr(node.value, scope, depth + 1)  # type: ignore[attr-defined]
        return ("S", (value,)) if value is not None else None
    if t is cst.Lambda:
        body = node.body  # type: ignore[attr-defined]
        if type(body) is cst.Call:
            inner = value_expr(body.func, scope, depth + 1)
            return ("lam", inner) if inner is not None else None
        return None
    if t is cst.NamedExpr:
        return value_expr(node.value, scope, depth + 1)  # type: ignore[attr-defined]
    return None


# Builtins (and `copy.copy`, imported or not) whose result holds the elements of their one
# argument: a copy of a container the program builds holds what it holds.
_KEEPS_ELEMENTS = frozenset({"list", "tuple", "set", "frozenset", "copy"})


def _sequence_call(node: cst.Call, func: cst.BaseExpression, scope: str, depth: int) -> Optional[tuple]:
    """A call from outside the program whose result holds what its argument holds, one or two
    container levels down: `list(xs)`, `tuple(xs)`, `set(xs)`, `frozenset(xs)` and
    `copy.copy(xs)` the elements of xs,
    `itertools.chain.from_iterable(xs)` and `chain(*xs)` the elements of its elements, and
    joblib's `Parallel(...)(delayed(f)(a) for ...)` the results of f (a list of them).
    ("seq", call, checks, arg, levels): `call` is the plain call's value expression, what
    the value is when any of `checks` (the callees) is not outside the program; otherwise a
    builtin container (outside, EXTERNAL) holding the elements of `arg` `levels` down
    (ValueFlow._sequence). None for any other call."""
    args = node.args
    if len(args) != 1 or args[0].keyword is not None:
        return None
    arg = args[0]
    if type(func) is cst.Call:
        elt = arg.value.elt if type(arg.value) in (cst.GeneratorExp, cst.ListComp) and not arg.star else None  # type: ignore[attr-defined]
        parallel = dotted_parts(func.func)  # type: ignore[attr-defined]
        if not parallel or parallel[-1] != "Parallel" or type(elt) is not cst.Call or type(elt.func) is not cst.Call:  # type: ignore[union-attr]
            return None
        wrapper = elt.func  # type: ignore[union-attr]
        delayed = dotted_parts(wrapper.func)
        if not delayed or delayed[-1] != "delayed" or len(wrapper.args) != 1 or wrapper.args[0].keyword is not None \
                or wrapper.args[0].star:
            return None
        maker = value_expr(func.func, scope, depth + 1)  # type: ignore[attr-defined]
        wrap = value_expr(wrapper.func, scope, depth + 1)
        fn = value_expr(wrapper.args[0].value, scope, depth + 1)
        if maker is None or wrap is None or fn is None:
            return None
        return ("seq", ("c", ("c", maker)), (maker, wrap), ("S", (("c", fn),)), 1)
    parts = dotted_parts(func)
    if not parts:
        return None
    if not arg.star and (len(parts) == 1 and parts[0] in _KEEPS_ELEMENTS or parts == ["copy", "copy"]):
        levels = 1
    elif not arg.star and parts[-2:] == ["chain", "from_iterable"] or arg.star == "*" and parts[-1] == "chain":
        levels = 2
    else:
        return None
    callee = value_expr(func, scope, depth + 1)
    held = value_expr(arg.value, scope, depth + 1)
    if callee is None or held is None:
        return None
    return ("seq", ("c", callee), (callee,), held, levels)


def _rebound_sequence(expr: tuple, read: tuple, before: List[tuple]) -> tuple:
    """`xs = list(chain.from_iterable(xs))`: the xs read is what xs held before this line
    (its earlier bindings), not this binding itself, which the value flow would read as a
    cycle holding nothing new. Only the argument of ("seq", ...) is replaced, through nested
    ones."""
    arg = expr[3]
    if arg == read:
        arg = before[0] if len(before) == 1 else ("or", tuple(before))
    elif arg[0] == "seq":
        arg = _rebound_sequence(arg, read, before)
    else:
        return expr
    return expr[:3] + (arg,) + expr[4:]


def _getattr_read(node: cst.Call, scope: str, depth: int) -> Optional[tuple]:
    """`getattr(obj, "name")` is the read `obj.name`; `getattr(obj, "name", default)` that
    read or the default. None unless the name is a literal identifier."""
    args = node.args
    if not 2 <= len(args) <= 3 or any(a.keyword is not None or a.star for a in args):
        return None
    name = args[1].value
    if type(name) is not cst.SimpleString or name.prefix:  # type: ignore[attr-defined]
        return None
    text = name.value[1:-1] if len(name.quote) == 1 else ""  # type: ignore[attr-defined]
    if not text.isidentifier():
        return None
    base = value_expr(args[0].value, scope, depth + 1)
    if base is None:
        return None
    read = ("a", base, text)
    return _union(read, value_expr(args[2].value, scope, depth + 1)) if len(args) == 3 else read


def _union(left: Optional[tuple], right: Optional[tuple]) -> Optional[tuple]:
    if left is None:
        return right
    if right is None:
        return left
    return ("or", (left, right))


def callback_spec(qualified: Optional[str], func: cst.BaseExpression) -> Optional[Tuple[object, ...]]:
    """Where a call takes functions that whoever it calls will call back."""
    if qualified is not None:
        return CALLBACK_FUNCTIONS.get(qualified)
    if type(func) is cst.Attribute:
        return CALLBACK_METHODS.get(func.attr.value)  # type: ignore[attr-defined]
    return None




# joblib's `delayed(f)` (and scikit-learn's re-exports) wraps `f` so that `Parallel(...)` runs
# `f(*args)` for each `delayed(f)(*args)` of the generator handed to it.
DELAYED_WRAPPERS = frozenset({"joblib.delayed", "sklearn.externals.joblib.delayed", "sklearn.utils.fixes.delayed", "sklearn.utils.parallel.delayed"})


def delayed_call(qualified: Optional[str], node: cst.Call, scope: str):
    """`delayed(f)(a, k=b)`: the call `f(a, k=b)` that `Parallel` makes, in the loop of the
    generator (or list) that holds it; the handed_call tuple with no iterable of its own."""
    inner = node.func
    if qualified not in DELAYED_WRAPPERS or type(inner) is not cst.Call or len(inner.args) != 1 \
            or inner.args[0].keyword is not None or inner.args[0].star:  # type: ignore[attr-defined]
        return None
    args: List[Optional[tuple]] = []
    kwargs: List[Tuple[str, tuple]] = []
    for arg in node.args:
        if arg.star:
            if arg.star == "*":
                break
            continue
        value = value_expr(arg.value, scope)
        if arg.keyword is None:
            args.append(value)
        elif value is not None:
            kwargs.append((arg.keyword.value, value))
    while args and args[-1] is None:
        args.pop()
    return inner.args[0].value, args, kwargs, None  # type: ignore[attr-defined]


def handed_call(qualified: Optional[str], node: cst.Call, scope: str):
    """(function node, positional value expressions, keyword ones, iterable node or None)
    of the call a scheduler makes of a function handed to it (HANDED_FUNCTIONS,
    HANDED_METHODS); None when this is no such call or the function is not in sight. For a
    map form the positional arguments are the items of its iterables, and the iterable (the
    first) is returned: the function runs once per item of it."""
    func = node.func
    spec = HANDED_FUNCTIONS.get(qualified) if qualified is not None else None
    if spec is None and qualified is None and type(func) is cst.Attribute:
        spec = HANDED_METHODS.get(func.attr.value)  # type: ignore[attr-defined]
    if spec is None:
        return None
    position, keyword, first_arg, other_keywords, per_item = spec
    fn_node = None
    positional: List[cst.Arg] = []  # those before a `*spread`: later positions are unknown
    keywords: List[cst.Arg] = []
    spread = False
    for arg in node.args:
        if arg.star:
            spread = spread or arg.star == "*"
        elif arg.keyword is not None:
            keywords.append(arg)
        elif not spread:
            positional.append(arg)
    if 0 <= position < len(positional):
        fn_node = positional[position].value
    for arg in keywords:
        if keyword and arg.keyword.value == keyword:  # type: ignore[union-attr]
            fn_node = arg.value
    if fn_node is None:
        return None
    args: List[Optional[tuple]] = []
    kwargs: List[Tuple[str, tuple]] = []
    iterable = None
    if first_arg >= 0:
        for arg in positional[first_arg:]:
            value = value_expr(arg.value, scope)
            if per_item:
                iterable = arg.value if iterable is None else iterable
                args.append(("i", value) if value is not None else None)
            else:
                args.append(value)
    elif per_item and len(positional) > position + 1:
        iterable = positional[position + 1].value  # starmap: items unpacked, not bound
    thread = qualified in ("threading.Thread", "threading.Timer")  # arguments in args=/kwargs= only
    for arg in keywords:
        name = arg.keyword.value  # type: ignore[union-attr]
        if name == keyword or name in other_keywords:
            continue
        if thread and name in HANDED_ARG_KEYWORDS:
            if name == "args" and type(arg.value) in (cst.Tuple, cst.List):
                args = [value_expr(e.value, scope) if type(e) is cst.Element else None
                        for e in arg.value.elements]  # type: ignore[attr-defined]
            elif name == "kwargs":
                kwargs.extend(keyed_items(arg.value, scope) or ())
            continue
        if not thread:
            value = value_expr(arg.value, scope)
            if value is not None:
                kwargs.append((name, value))
    if per_item and iterable is None:
        return None  # `s.map(f)` of a series: what it walks is the receiver, not in sight
    while args and args[-1] is None:
        args.pop()
    return fn_node, tuple(args), tuple(kwargs), iterable


def keyed_items(node: Optional[cst.BaseExpression], scope: str) -> Optional[List[Tuple[str, tuple]]]:
    """(key, value expression) of a dict built with its keys in sight: `dict(a=x, b=y)` or
    `{"a": x, "b": y}`; None for anything else (a key computed, a `**` spread)."""
    t = type(node)
    out: List[Tuple[str, tuple]] = []
    if t is cst.Call:
        func = node.func  # type: ignore[union-attr]
        if type(func) is not cst.Name or func.value != "dict":
            return None
        for arg in node.args:  # type: ignore[union-attr]
            if arg.star or arg.keyword is None:
                return None
            expr = value_expr(arg.value, scope)
            if expr is not None:
                out.append((arg.keyword.value, expr))
        return out
    if t is cst.Dict:
        for element in node.elements:  # type: ignore[union-attr]
            if type(element) is not cst.DictElement or type(element.key) is not cst.SimpleString:
                return None
            key = element.key.evaluated_value
            if not isinstance(key, str) or not key.isidentifier():
                return None
            expr = value_expr(element.value, scope)
            if expr is not None:
                out.append((key, expr))
        return out
    return None


def call_arguments(node: cst.Call, scope: str, spec: Optional[Tuple[object, ...]],
                   keyed: Optional[Dict[Tuple[str, str], List[Tuple[str, tuple]]]] = None):
    """(positional value expressions, keyword ones, callback ones) of a call. `keyed`: the
    dicts assigned so far to locals with their keys in sight ((scope, name) -> items); a
    `**name` argument passes those keywords (`kwargs = dict(factory=self)`, then
    `klass(x, **kwargs)`: every key of every such assignment, as a call may)."""
    args: List[Optional[tuple]] = []
    kwargs: List[Tuple[str, tuple]] = []
    positional = True
    callbacks: List[tuple] = []
    for index, arg in enumerate(node.args):
        if arg.star:
            if arg.star == "**" and keyed and type(arg.value) is cst.Name:
                kwargs.extend(keyed.get((scope, arg.value.value), ()))  # type: ignore[attr-defined]
            positional = False  # *args: later positions are unknown
            continue
        expr = value_expr(arg.value, scope)
        if arg.keyword is not None:
            if expr is not None:
                kwargs.append((arg.keyword.value, expr))
            if spec and arg.keyword.value in spec and expr is not None:
                callbacks.append(expr)
        elif positional:
            args.append(expr)
            if spec and index in spec and expr is not None:
                callbacks.append(expr)
    while args and args[-1] is None:
        args.pop()
    return tuple(args), tuple(kwargs), tuple(callbacks)


class NameResolution:
    """Names, types and values of a file (a FileContext mixin): imports, assignments,
    annotations, returns; symbolic call targets for phase 2."""

    def resolve(self, expr: cst.BaseExpression) -> Optional[str]:
        """The qualified name an expression refers to through imports (`c.deepcopy` ->
        `copy.deepcopy`); builtins by their bare name; None for locals and the unknown."""
        return self.resolve_parts(dotted_parts(expr))

    def resolve_parts(self, parts: Optional[List[str]]) -> Optional[str]:
        """resolve() of an expression whose dotted_parts() the caller already has."""
        if not parts:
            return None
        head = parts[0]
        target = self.imports.get(head)
        if target is None:
            if head in _BUILTINS and len(parts) == 1:
                return head
            if head in _BUILTINS and head in ("bytes", "str", "dict", "int", "bytearray"):
                return ".".join(parts)
            return None
        return ".".join([target] + parts[1:])

    def local_type(self, name: str) -> Optional[str]:
        """The class a local name was last assigned from (`x = C()`, `x: C`), as written."""
        for frame in reversed(self.frames):
            if frame.kind == "function" and self._in_scope(frame):
                return frame.local_types.get(name)
        return self.module_types.get(name)

    def global_type(self, name: str) -> Optional[str]:
        """The class a module-level name was assigned from (`jenv = jinja2.Environment()`),
        as written, where the function being visited (and those around it) binds no local of
        that name: a function reads the module's object."""
        for frame in reversed(self.frames):
            if frame.kind == "function" and self._in_scope(frame) and name in frame.locals:
                return None
        return self.module_types.get(name)

    def _enter_import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted_text(alias.name)
            if not name:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.imports[alias.asname.name.value] = name
            else:
                head = name.split(".")[0]
                self.imports.setdefault(head, head)

    def _enter_import_from(self, node: cst.ImportFrom) -> None:
        base = dotted_text(node.module) if node.module is not None else ""
        level = len(node.relative)
        if level:
            package = self.module_name if self.is_package else self.module_name.rpartition(".")[0]
            for _ in range(level - 1):
                package = package.rpartition(".")[0]
            base = ".".join(p for p in (package, base) if p)
        if base is None:
            return
        if isinstance(node.names, cst.ImportStar):
            # `from .rounds import *`: which names it binds needs the other module's summary,
            # so phase 2 works them out (callgraph.Program.star_names); names phase 1 cannot
            # resolve here become this module's globals (_resolve_raw_dotted)
            if base and not self.frames and base not in self.summary.star_imports:
                self.summary.star_imports += (base,)
            return
        for alias in node.names:
            name = dotted_text(alias.name)
            if not name:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.imports[local] = f"{base}.{name}" if base else name

    def _note_attr(self, target: cst.BaseExpression) -> None:
        """Remember attribute names a class declares (fields, self.x = ...)."""
        frame = self.frames[-1] if self.frames else None
        if frame is None:
            return
        if frame.kind == "class" and isinstance(target, cst.Name) and frame.cls is not None:
            frame.cls.attrs = frame.cls.attrs + (target.value,)
        elif (
            frame.kind == "function"
            and isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == frame.self_name
        ):
            cls = self.summary.classes.get(frame.method_of or "")
            if cls is not None and target.attr.value not in cls.attrs:
                cls.attrs = cls.attrs + (target.attr.value,)

    def _set_type(self, target: cst.BaseExpression, typ: Optional[str]) -> None:
        self._note_attr(target)
        if not typ:
            return
        if isinstance(target, cst.Name):
            if self.frames and self.frames[-1].kind == "function":
                self.frames[-1].local_types[target.value] = typ
            elif not self.frames:
                self.module_types[target.value] = typ
            elif self.frames[-1].kind == "class" and self.frames[-1].cls is not None:
                self._raw_attr_types.append((self.frames[-1].cls, target.value, typ, self._scope_for_resolution()))
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            frame = self.frames[-1] if self.frames else None
            if frame is not None and frame.kind == "function" and target.value.value == frame.self_name:
                cls = self.summary.classes.get(frame.method_of or "")
                if cls is not None:
                    self._raw_attr_types.append((cls, target.attr.value, typ, frame.qualname))

    def _value_type(self, value: Optional[cst.BaseExpression]) -> Optional[str]:
        if isinstance(value, cst.Call):
            text = dotted_text(value.func)
            if text and text.split(".")[-1][:1].isupper():
                return text
        elif isinstance(value, cst.Name):
            return self.local_type(value.value)
        return None

    def _enter_assign(self, node: cst.Assign) -> None:
        typ = self._value_type(node.value)
        scope = self.value_scope()
        expr = value_expr(node.value, scope)
        kind = _literal_kind(node.value)
        if kind is None and type(node.value) is cst.Name:
            kind = self._param_default_kind(node.value.value)  # type: ignore[attr-defined]
        for target in node.targets:
            self._set_type(target.target, typ)
            self._bind(target.target, expr)
            self._note_text_kind(target.target, kind)
        frames = self.frames
        if frames and frames[-1].kind == "class":
            self._note_model_field(node)
        if scope != MODULE_SCOPE and type(node.targets[0].target) is cst.Name:
            items = keyed_items(node.value, scope)
            if items:  # for a later `f(**name)` in this function (call_arguments)
                name = node.targets[0].target.value  # type: ignore[attr-defined]
                self._keyed_dicts.setdefault((scope, name), []).extend(items)

    def _note_model_field(self, node: cst.Assign) -> None:
        """In a class body: a Django model's relation field with a `related_name`
        (ClassSummary.related), a manager made of a queryset class (ClassSummary.managers), or
        its Meta's `abstract = True` / `app_label = "..."`
        (djangomodels.py)."""
        frames = self.frames
        if frames[-1].cls is None:
            return
        value = node.value
        if type(value) is cst.Call:
            bound = node.targets[0].target
            if len(node.targets) == 1 and type(bound) is cst.Name:
                for made_of in djangomodels.manager_classes(value):
                    self._raw_managers.append((frames[-1].cls, bound.value, made_of,  # type: ignore[attr-defined]
                                               self._scope_for_resolution()))
            found = djangomodels.declared_relation(value)
            if found is not None:
                name, target, literal = found
                cls = frames[-1].cls
                if literal:
                    cls.related += ((name, f"s:{target}"),)
                else:
                    self._raw_related.append((cls, name, target, self._scope_for_resolution()))  # type: ignore[attr-defined]
            return
        if len(frames) < 2 or frames[-2].kind != "class" or frames[-2].cls is None or \
                not frames[-1].qualname.endswith(".Meta") or len(node.targets) != 1:
            return
        target = node.targets[0].target
        if type(target) is not cst.Name:
            return
        model = frames[-2].cls
        if target.value == "abstract" and type(value) is cst.Name:
            model.abstract = value.value == "True"
        elif target.value == "app_label" and type(value) is cst.SimpleString and \
                isinstance(value.evaluated_value, str):
            model.app_label = value.evaluated_value

    def _param_default_kind(self, name: str) -> Optional[str]:
        """What a parameter of the current function holds by its annotation, else by its
        default (`cdata_separator=''`: text), when the assignment stores it on self."""
        frame = self.frames[-1] if self.frames else None
        node = getattr(frame, "node", None) if frame is not None and frame.kind == "function" else None
        if type(node) is not cst.FunctionDef:
            return None
        params = node.params  # type: ignore[attr-defined]
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.name.value == name:
                if param.annotation is not None:
                    return _annotated_kind(param.annotation.annotation)
                return _literal_kind(param.default)
        return None

    def _note_text_kind(self, target: cst.BaseExpression, kind: Optional[str]) -> None:
        """Whether a class's attribute visibly holds text: annotated `str` or assigned a str
        literal in the class body or on self (ClassSummary.text_kinds; PFL203 reads it)."""
        if kind is None or not self.frames:
            return
        frame = self.frames[-1]
        cls, attr = None, None
        if frame.kind == "class" and isinstance(target, cst.Name):
            cls, attr = frame.cls, target.value
        elif frame.kind == "function" and isinstance(target, cst.Attribute) \
                and isinstance(target.value, cst.Name) and target.value.value == frame.self_name:
            cls, attr = self.summary.classes.get(frame.method_of or ""), target.attr.value
        if cls is not None and attr is not None and cls.text_kinds.get(attr) != "other":
            cls.text_kinds[attr] = kind  # one spelling as something else wins: not known text

    def _enter_ann_assign(self, node: cst.AnnAssign) -> None:
        self._note_text_kind(node.target, _annotated_kind(node.annotation.annotation) or _literal_kind(node.value))
        self._set_type(node.target, annotation_type(node.annotation) or self._value_type(node.value))
        scope = self.value_scope()
        expr = value_expr(node.value, scope)
        types, container = annotation_types(node.annotation.annotation)
        if types:
            ann: tuple = ("ann", scope, types)
            expr = _union(expr, ("S", (ann,)) if container else ann)
        self._bind(node.target, expr)

    def _enter_with_item(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._set_type(node.asname.name, self._value_type(node.item))
            self._bind(node.asname.name, None)

    def _raw_target(self, func: cst.BaseExpression) -> Optional[tuple]:
        # exact types (libcst's classes are ABCs, and an isinstance is slow): once per call site
        if type(func) is cst.Name:
            return ("dotted", func.value, self._scope_for_resolution())  # type: ignore[attr-defined]
        if type(func) is not cst.Attribute:
            return None
        method_of = self.class_qualname
        value = func.value  # type: ignore[attr-defined]
        if (
            type(value) is cst.Call
            and type(value.func) is cst.Name
            and value.func.value == "super"
            and method_of
        ):
            return ("super", method_of, func.attr.value)
        parts = dotted_parts(func)
        if not parts:
            return None
        head = parts[0]
        self_name = self.self_name()
        if self_name is not None and head == self_name and method_of:
            if len(parts) == 2:
                return ("self", method_of, parts[1])
            if len(parts) == 3:
                return ("attr", method_of, parts[1], parts[2])
            return None
        if len(parts) == 2:
            typ = self.local_type(head)
            if typ is not None:
                return ("typed", typ, self._scope_for_resolution(), parts[1])
        return ("dotted", ".".join(parts), self._scope_for_resolution())

    def _resolve_raw_dotted(self, dotted: str, scope: str) -> Optional[str]:
        head, _, rest = dotted.partition(".")
        tail = f".{rest}" if rest else ""
        functions = self.summary.functions
        classes = self.summary.classes
        prefix = scope
        while prefix:
            # Names defined in an enclosing *function* are visible; a class body's are not
            # (inside a method, `set()` is the builtin, never the class's `set` method).
            candidate = f"{prefix}.{head}"
            if prefix in functions and (candidate in functions or candidate in classes):
                return f"{self.module_name}.{candidate}{tail}"
            if prefix in functions and head in self.summary.local_names.get(prefix, ()):
                return None  # a parameter or local variable: its values decide (valueflow.py)
            prefix = prefix.rpartition(".")[0]
        if head in functions or head in classes:
            return f"{self.module_name}.{head}{tail}"
        target = self.imports.get(head)
        if target is not None:
            return f"{target}{tail}"
        if self.summary.star_imports and head not in _BUILTINS:
            # maybe a name a star import binds: phase 2 looks it up in the star-imported
            # modules (callgraph.Program.star_names), for this module's own reads only
            return f"{self.module_name}.{STAR_SEGMENT}.{head}{tail}"
        return None

    def _finish_target(self, raw: tuple) -> Optional[str]:
        kind = raw[0]
        mod = self.module_name
        if kind == "given":
            return raw[1]
        if kind == "dotted":
            resolved = self._resolve_raw_dotted(raw[1], raw[2])
            return f"g:{resolved}" if resolved else None
        if kind == "self":
            return f"m:{mod}.{raw[1]}:{raw[2]}"
        if kind == "super":
            return f"S:{mod}.{raw[1]}:{raw[2]}"
        if kind == "attr":
            return f"a:{mod}.{raw[1]}:{raw[2]}:{raw[3]}"
        if kind == "typed":
            resolved = self._resolve_raw_dotted(raw[1], raw[2])
            return f"t:{resolved}:{raw[3]}" if resolved else None
        return None


    # -- values: what names, attributes and returns can hold ---------------------------
    def value_scope(self) -> str:
        """The scope value expressions are read in: the function, else <module>."""
        fn = self.function
        return fn.qualname if fn else MODULE_SCOPE

    def _bind(self, target: cst.BaseExpression, expr: Optional[tuple]) -> None:
        t = type(target)
        if t is cst.Name:
            frame = self._binding_frame()
            name = target.value  # type: ignore[attr-defined]
            if frame is None:
                if expr is not None:
                    self.summary.bindings.setdefault(MODULE_SCOPE, {}).setdefault(name, []).append(expr)
            elif frame.kind == "class":
                if expr is not None and frame.cls is not None:
                    self.summary.class_attrs.setdefault(frame.qualname, {}).setdefault(name, []).append(expr)
            else:
                if name in frame.globals:
                    if expr is not None:
                        self.summary.bindings.setdefault(MODULE_SCOPE, {}).setdefault(name, []).append(expr)
                    return
                frame.locals.add(name)
                if expr is not None:
                    bound = self.summary.bindings.setdefault(frame.qualname, {}).setdefault(name, [])
                    if expr[0] == "seq" and bound:
                        expr = _rebound_sequence(expr, ("n", frame.qualname, name), bound)
                    bound.append(expr)
        elif t is cst.Attribute:
            value = target.value  # type: ignore[attr-defined]
            frame = self._binding_frame()
            if (expr is not None and frame is not None and frame.kind == "function" and frame.method_of
                    and type(value) is cst.Name and value.value == frame.self_name):
                attrs = self.summary.inst_attrs.setdefault(frame.method_of, {})
                attrs.setdefault(target.attr.value, []).append(expr)  # type: ignore[attr-defined]
        elif t is cst.Tuple or t is cst.List:
            for k, element in enumerate(target.elements):  # type: ignore[attr-defined]
                if type(element) is cst.StarredElement:
                    self._bind(element.value, None)
                    continue
                self._bind(element.value, ("u", expr, k) if expr is not None else None)

    def _note_append(self, target: cst.BaseExpression, item: cst.BaseExpression) -> None:
        """`xs.append(x)`: the list xs holds x (one more binding of xs, a container of x), for
        a local of the function that it bound before (`xs = []`; not a parameter, whose list
        is the caller's) and for an attribute of `self` (`self.items.append(x)` in a method).
        A list built empty and filled by appends is then read as any list display is, for
        what of the program it holds: ("app", x) is a container of x's values other than
        outside objects (ValueFlow._eval), nothing when x holds only those."""
        frame = self._binding_frame()
        if frame is None or frame.kind != "function":
            return
        t = type(target)
        if t is cst.Name:
            name = target.value  # type: ignore[attr-defined]
            fn = frame.function
            if name not in frame.locals or name in frame.globals or (fn is not None and name in fn.params):
                return
            expr = value_expr(item, frame.qualname)
            if expr is not None:
                self.summary.bindings.setdefault(frame.qualname, {}).setdefault(name, []).append(("app", expr))
        elif t is cst.Attribute and frame.method_of and type(target.value) is cst.Name \
                and target.value.value == frame.self_name:  # type: ignore[attr-defined]
            expr = value_expr(item, frame.qualname)
            if expr is not None:
                attrs = self.summary.inst_attrs.setdefault(frame.method_of, {})
                attrs.setdefault(target.attr.value, []).append(("app", expr))  # type: ignore[attr-defined]

    def _binding_frame(self):
        """The frame a name assigned here binds in: a class body, a function, or None
        (module); a function whose body has not started (decorators, defaults) is skipped."""
        for frame in reversed(self.frames):
            if frame.kind == "class" or frame.started:
                return frame
        return None

    def _enter_for(self, node: cst.For) -> None:
        expr = value_expr(node.iter, self.value_scope())
        self._bind(node.target, ("i", expr) if expr is not None else None)

    def _enter_comp_for(self, node: cst.CompFor) -> None:
        expr = value_expr(node.iter, self.value_scope())
        self._bind(node.target, ("i", expr) if expr is not None else None)

    def _enter_global(self, node: cst.Global) -> None:
        frame = self._binding_frame()
        if frame is not None and frame.kind == "function":
            frame.globals.update(n.name.value for n in node.names)

    def _enter_named_expr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, value_expr(node.value, self.value_scope()))

    def _enter_except_handler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind(node.name.name, None)

    def _record_dispatch(self, node: cst.Call) -> None:
        """`getattr(self, "do_" + command)`: methods named do_* are called by name."""
        if len(node.args) < 2 or type(node.args[0].value) is not cst.Name:
            return
        cls = self.class_qualname
        if cls is None or node.args[0].value.value != self.self_name():  # type: ignore[attr-defined]
            return
        name = node.args[1].value
        prefix = None
        if type(name) is cst.BinaryOperation and type(name.left) is cst.SimpleString:  # type: ignore[attr-defined]
            prefix = name.left.evaluated_value  # type: ignore[attr-defined]
            if type(name.operator) is cst.Modulo and isinstance(prefix, str):  # type: ignore[attr-defined]
                prefix = prefix.partition("%")[0]  # `"parse_%s" % key` (mistune's block lexer)
        elif type(name) is cst.FormattedString and name.parts and type(name.parts[0]) is cst.FormattedStringText:  # type: ignore[attr-defined]
            prefix = name.parts[0].value  # type: ignore[attr-defined]
        elif type(name) is cst.Call and type(name.func) is cst.Attribute and name.func.attr.value == "format" \
                and type(name.func.value) is cst.SimpleString:  # type: ignore[attr-defined]
            template = name.func.value.evaluated_value  # type: ignore[attr-defined]
            prefix = template.partition("{")[0] if isinstance(template, str) else None  # `"do_{}".format(cmd)`
        if isinstance(prefix, str) and prefix.isidentifier():
            old = self.summary.dispatch_prefixes.get(cls, ())
            if prefix not in old:
                self.summary.dispatch_prefixes[cls] = old + (prefix,)

    def _record_return(self, value: Optional[cst.BaseExpression]) -> None:
        fn = self.function
        if fn is None:
            return
        expr = value_expr(value, fn.qualname)
        if expr is not None:
            self.summary.returns.setdefault(fn.qualname, []).append(expr)
