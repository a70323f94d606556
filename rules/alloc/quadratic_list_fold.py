"""PFL206 quadratic-list-fold."""

from __future__ import annotations

import re
from typing import Optional, Tuple

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import enclosing_class, innermost_def, one_line_code, single_value
from perflint.scoring import FOLD_LISTS
from perflint.values import dotted_text

FOLD_FIX = ("chain the lists in one pass: list(itertools.chain.from_iterable(lists)), a comprehension "
            "[x for part in lists for x in part], or out.extend(part) in a loop")
# Functions of two arguments that return a new concatenation (operator.iadd extends its first
# argument in place: a fold with it is linear, and is not reported).
_ADD_FUNCTIONS = frozenset({"operator.add", "operator.concat", "operator.__add__", "operator.__concat__"})
_TYPED_ADD = {"list.__add__": "list", "tuple.__add__": "tuple"}
_SEQUENCE_CALLS = {"list": "list", "tuple": "tuple", "sorted": "list"}
_MAPPING = r"(?:typing\.)?(?:Dict|dict|DefaultDict|defaultdict|Mapping|MutableMapping|OrderedDict)"
_LIST_TYPE = r"(?:typing\.)?(?:List|list|Sequence|MutableSequence)\["
_MAX_DEPTH = 4


class QuadraticListFold(Rule):
    """
    Lists (or tuples) joined by folding them together with `+`: every step copies all so far.

    ## What it does
    Flags `sum(lists, [])` (also `sum(xs, ())`), `functools.reduce(lambda a, b: a + b,
    lists)` and `reduce(operator.add, lists)` (also `operator.concat`, `list.__add__`), with or
    without a start value, and `reduce(lambda acc, x: acc + [x], items, [])`, when what is
    added up is known to be lists or tuples: the start value is `[]`, `()`, `list()` or
    `tuple()`, or the program shows what the iterable holds: a comprehension or generator
    that yields list displays (`[b] * n`), `list(...)`, `sorted(...)` or tuples, or the
    `values()` of a dict whose values are lists (filled by `setdefault(key, [])`, a
    `defaultdict(list)`, `d[key] = [...]`, or annotated `Dict[..., List[...]]`: in the
    function, for a local dict, or in the method's class, for an attribute of `self`), also
    through a local name or a `list(...)` copy of it.

    How many lists a fold takes decides everything, and the code rarely shows it: the three
    lists of a `select()`, a handful of tax rates, the children of one menu node. A fold over
    the values of a dict the program fills key by key (a cache, an index) takes one list per
    key, which grows with the data: it is reported with high confidence. Any other fold is
    reported with low confidence, a note whatever its frequency.

    ## Why is this slow
    `a + b` on lists builds a new list and copies both operands. Folding k lists together
    this way copies the first list k - 1 times, the second k - 2 times, and so on: the
    elements gathered so far are copied again at every step, O(k²) in the number of lists,
    where chaining them copies each element once. A cache listing all its records by adding
    up the per-name lists slows down with the square of the names it holds.

    ## Example
    ```python
    from functools import reduce

    class Cache:
        def __init__(self):
            self.cache = {}

        def add(self, entry):
            self.cache.setdefault(entry.key, []).append(entry)

        def entries(self):
            return reduce(lambda a, b: a + b, self.cache.values(), [])
    ```

    ## Use instead
    ```python
    import itertools

    class Cache:
        ...
        def entries(self):
            return list(itertools.chain.from_iterable(self.cache.values()))
    ```

    ## Notes
    The time is the copies of one run: m x k x (k - 1) / 2 elements for k lists of m
    elements, priced as `list-copy-element`. Walking k lists of m elements is a loop inside a
    loop, and neither count is in the code: k is `loop-trips` (100) and m `nested-loop-trips`
    (10), as for nested loops of unknown bounds, unless the lists are displays of a length the
    code shows (`acc + [x]`: m = 1). With the defaults one run costs about 70 µs (7 µs for
    items appended one at a time), a note unless the site repeats: a fold of a dict's lists
    reached per trip of a loop (x100) is a warning. The message and `--explain-scores` say
    which counts were assumed. Folds whose elements are not known to be lists are not reported: numbers
    (`reduce(lambda x, y: x + y, counts.values())`), sets joined with `|`, query objects
    combined with `operator.or_`. `reduce(operator.iadd, lists, [])` extends its start list
    in place and is linear; it is not reported either.
    """

    CODE = "PFL206"
    COST = "list-copy-element"  # perflint/costs.py; measured by bench/costs.py
    NAME = "quadratic-list-fold"
    FAMILY = "alloc"
    FIX = FOLD_FIX
    TRIGGERS = ("reduce", "sum(")
    VALID = [
        # numbers added up
        "from functools import reduce\ndef cores(sockets):\n    return reduce(lambda x, y: x + y, sockets.values())\n",
        # operator.iadd extends the start list in place: linear
        "import functools, operator\ndef flat(parts):\n    return functools.reduce(operator.iadd, parts, [])\n",
        # chained: each element copied once
        "import itertools\ndef flat(parts):\n    return list(itertools.chain.from_iterable(parts))\n",
        # sum of numbers
        "def total(xs):\n    return sum(xs, 0)\n",
        # elements of unknown type, no list start value
        "import operator\nfrom functools import reduce\ndef combine(qs):\n    return reduce(operator.add, qs)\n",
    ]
    INVALID = [
        Invalid("def flat(parts):\n    return sum(parts, [])\n", line=2),
        Invalid("import operator\nfrom functools import reduce\ndef flat(parts):\n"
                "    return reduce(operator.add, parts, [])\n", line=4),
        Invalid("from functools import reduce\nclass Cache:\n    def __init__(self):\n        self.cache = {}\n"
                "    def add(self, e):\n        self.cache.setdefault(e.key, []).append(e)\n"
                "    def entries(self):\n        values = list(self.cache.values())\n"
                "        return reduce(lambda a, b: a + b, values)\n", line=9),
        Invalid("import functools\ndef stubs(degrees):\n"
                "    return functools.reduce(lambda x, y: x + y, [[b] * d for b, d in degrees])\n", line=3),
        Invalid("from functools import reduce\ndef collect(items):\n"
                "    return reduce(lambda acc, x: acc + [x.name], items, [])\n", line=3),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.resolve(node.func)
        if name == "sum":
            self._sum(node)
        elif name == "functools.reduce":
            self._reduce(node)

    # -- the two forms ------------------------------------------------------------------
    def _sum(self, node: cst.Call) -> None:
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        start = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == "start"), None)
        if len(positional) == 2 and start is None:
            start = positional[1]
        if not positional or start is None or len(node.args) != 2:
            return
        kind = _empty_sequence(start)
        if kind is None:
            return
        held = self._holds_sequences(positional[0], 0)
        self._report(node, f"sum(..., {one_line_code(start)})", kind, _per_item(positional[0]), positional[0],
                     keyed=held is not None and held[1])

    def _reduce(self, node: cst.Call) -> None:
        if any(a.keyword is not None or a.star for a in node.args) or len(node.args) not in (2, 3):
            return
        function, iterable = node.args[0].value, node.args[1].value
        initial = node.args[2].value if len(node.args) == 3 else None
        start_kind = _empty_sequence(initial) if initial is not None else None
        how = self._adds(function)
        if how is None:
            return
        form, kind, per_item = how
        if form == "append":
            # `acc + [x]`: the accumulator is a list only when it starts as one
            if start_kind is None:
                return
            self._report(node, f"reduce({one_line_code(function)}, ..., {one_line_code(initial)})", start_kind,
                         per_item, iterable, appends=True)
            return
        held = self._holds_sequences(iterable, 0)
        kind = kind or start_kind or (held[0] if held is not None else None)
        if kind is None:
            return
        self._report(node, f"reduce({one_line_code(function)}, ...)", kind, _per_item(iterable), iterable,
                     keyed=held is not None and held[1])

    def _adds(self, function: cst.BaseExpression) -> Optional[Tuple[str, Optional[str], float]]:
        """("concat", kind, 1) for a function that returns its two arguments added (`lambda a, b:
        a + b`, `operator.add`, `list.__add__`: kind "list"/"tuple" when it says so), ("append",
        None, n) for `lambda acc, x: acc + [...]` of n elements; None for anything else."""
        if isinstance(function, cst.Lambda):
            params = function.params
            if params.star_arg is not cst.MaybeSentinel.DEFAULT and params.star_arg is not None \
                    or params.kwonly_params or params.star_kwarg or len(params.params) != 2:
                return None
            first, second = (p.name.value for p in params.params)
            body = function.body
            if not isinstance(body, cst.BinaryOperation) or not isinstance(body.operator, cst.Add) \
                    or not isinstance(body.left, cst.Name) or body.left.value != first:
                return None
            if isinstance(body.right, cst.Name) and body.right.value == second:
                return "concat", None, 1.0
            if isinstance(body.right, cst.List) and body.right.elements \
                    and not any(isinstance(e, cst.StarredElement) for e in body.right.elements):
                return "append", None, float(len(body.right.elements))
            return None
        text = dotted_text(function)
        if text in _TYPED_ADD:
            return "concat", _TYPED_ADD[text], 1.0
        if self.ctx.resolve(function) in _ADD_FUNCTIONS:
            return "concat", None, 1.0
        return None

    # -- what the iterable holds ----------------------------------------------------------
    def _holds_sequences(self, expr: cst.BaseExpression, depth: int) -> Optional[Tuple[str, bool]]:
        """("list" or "tuple", keyed) when the program shows that every element of `expr` is one;
        keyed when they are the values of a dict the program fills key by key (a cache, an
        index: as many lists as keys, which grow with the data)."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp)):
            kind = _sequence_value(expr.elt, self.ctx.resolve)
            return (kind, False) if kind is not None else None
        if isinstance(expr, cst.Call):
            called = self.ctx.resolve(expr.func)
            if called in ("list", "tuple", "sorted") and len(expr.args) == 1 and not expr.args[0].star:
                return self._holds_sequences(expr.args[0].value, depth + 1)
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "values" and not expr.args:
                kind = self._dict_of_lists(expr.func.value)
                return (kind, True) if kind is not None else None
            return None
        if isinstance(expr, cst.Name):
            value = self._local_value(expr.value)
            return self._holds_sequences(value, depth + 1) if value is not None else None
        return None

    def _local_value(self, name: str) -> Optional[cst.BaseExpression]:
        """The one value the enclosing function assigns to the local `name`, or None."""
        function = innermost_def(self.ctx)
        return single_value(function, name) if function is not None else None

    def _dict_of_lists(self, mapping: cst.BaseExpression) -> Optional[str]:
        """"list" when the file shows that the dict `mapping` (`self.cache`, a local) holds lists."""
        text = dotted_text(mapping)
        if text is None:
            return None
        if "." in text:
            receiver, _, attr = text.rpartition(".")
            if receiver != self.ctx.self_name() or "." in receiver:
                return None
            owner = enclosing_class(self.ctx.stack)
            if owner is None:
                return None
            source = cst.Module(body=[]).code_for_node(owner)  # this class's attribute, not another's
            declared = rf"(?m)^\s*{re.escape(attr)}\s*:\s*{_MAPPING}\[[^\n]*?,\s*{_LIST_TYPE}"
        else:
            function = innermost_def(self.ctx)
            if function is None:
                return None
            source = cst.Module(body=[]).code_for_node(function)
            declared = None
        name = re.escape(text)
        patterns = [
            rf"{name}\.setdefault\([^()\n]*,\s*(?:\[\]|list\(\))\s*\)",
            rf"{name}\s*(?::[^=\n]*)?=\s*(?:collections\.)?defaultdict\(\s*list\s*\)",
            rf"{name}\[[^\]\n]+\]\s*=\s*\[",
            rf"{name}\s*:\s*{_MAPPING}\[[^\n]*?,\s*{_LIST_TYPE}",
            rf"{name}\s*=[^\n#]*#\s*type:\s*{_MAPPING}\[[^\n]*?,\s*{_LIST_TYPE}",
        ]
        if any(re.search(p, source) for p in patterns):
            return "list"
        if declared is not None and re.search(declared, source):
            return "list"
        return None

    # -- the finding ------------------------------------------------------------------------
    def _report(self, node: cst.Call, form: str, kind: str, per_item: float, iterable: cst.BaseExpression,
                appends: bool = False, keyed: bool = False) -> None:
        """A fold of the values of a dict filled key by key is as long as the dict: high
        confidence. Any other fold may join a few lists (the rows of a select(), a handful
        of tax rates): how many is not in the code, so it is a note (low confidence)."""
        what = f"'{one_line_code(iterable)}'" if len(one_line_code(iterable)) <= 40 else "the iterable"
        if appends:
            message = (f"{form} appends to a {kind} by '+' for each item of {what}: every step copies the whole "
                       f"{kind} gathered so far, quadratic in the number of items")
        else:
            message = (f"{form} joins the {kind}s of {what} by '+': every step copies all the elements gathered "
                       f"so far, quadratic in the number of {kind}s")
        if keyed:
            message += (" (one per key of a dict the program fills as it runs; how many, and how long each, is "
                        "not shown: priced as loop-trips of nested-loop-trips elements)")
        else:
            message += " (how many is not shown: a note, priced at loop-trips)"
        fix = FOLD_FIX if kind == "list" else FOLD_FIX.replace("list(itertools", "tuple(itertools")
        self.report(node, message, fix=fix, requires=(f"{FOLD_LISTS}{per_item:g}",),
                    confidence="high" if keyed else "low")


def _empty_sequence(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    """"list" for `[]`/`list()`, "tuple" for `()`/`tuple()`; None otherwise."""
    if isinstance(expr, cst.List) and not expr.elements:
        return "list"
    if isinstance(expr, cst.Tuple) and not expr.elements:
        return "tuple"
    if isinstance(expr, cst.Call) and not expr.args and isinstance(expr.func, cst.Name) \
            and expr.func.value in ("list", "tuple"):
        return expr.func.value
    return None


def _sequence_value(expr: cst.BaseExpression, resolve) -> Optional[str]:
    """"list"/"tuple" when the expression visibly makes one."""
    if isinstance(expr, (cst.List, cst.ListComp)):
        return "list"
    if isinstance(expr, cst.Tuple):
        return "tuple"
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
        return _sequence_value(expr.left, resolve) or _sequence_value(expr.right, resolve)
    if isinstance(expr, cst.Call):
        return _SEQUENCE_CALLS.get(resolve(expr.func) or "")
    return None


def _per_item(iterable: cst.BaseExpression) -> float:
    """Elements of each list when the comprehension yields displays of one length, else 0
    (unknown: the scorer assumes nested-loop-trips)."""
    if isinstance(iterable, (cst.ListComp, cst.GeneratorExp)) and isinstance(iterable.elt, (cst.List, cst.Tuple)) \
            and iterable.elt.elements and not any(isinstance(e, cst.StarredElement) for e in iterable.elt.elements):
        return float(len(iterable.elt.elements))
    return 0.0
