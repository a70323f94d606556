"""PFL314 locale-parsed-per-call."""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst

from perflint.reaching import is_param
from perflint.rule import Invalid, Rule
from perflint.ruleutil import bound_names, own_nodes, runs_per_call, single_value

# babel's per-value formatting and parsing functions that take a `locale` (a Locale or its
# identifier), and where it sits among their positional arguments (babel 2.x's signatures).
_LOCALE_POSITION: Dict[str, int] = {
    "babel.numbers.parse_decimal": 1, "babel.numbers.parse_number": 1,
    "babel.numbers.format_decimal": 2, "babel.numbers.format_number": 1,
    "babel.numbers.format_currency": 3, "babel.numbers.format_percent": 2,
    "babel.numbers.format_scientific": 2, "babel.numbers.format_compact_decimal": -1,
    "babel.numbers.format_compact_currency": -1,
    "babel.dates.format_date": 2, "babel.dates.format_datetime": 3, "babel.dates.format_time": 3,
    "babel.dates.format_timedelta": 5, "babel.dates.format_skeleton": 4, "babel.dates.format_interval": 5,
    "babel.dates.parse_date": 1, "babel.dates.parse_time": 1,
    "babel.units.format_unit": 4, "babel.lists.format_list": 2,
}
# babel also exports the numbers and dates functions from its package (`from babel import numbers`
# resolves through the module): the dotted names above are what ctx.resolve gives.
_SETUP_METHODS = {"__init__", "__new__", "__post_init__", "__set_name__", "__init_subclass__"}


class LocaleParsedPerCall(Rule):
    """
    A babel formatting or parsing function handed a locale's name, in code that runs per value:
    babel parses the name into a Locale again on every call.

    ## What it does
    Flags a call of babel's per-value functions (`babel.numbers.parse_decimal`, `parse_number`,
    `format_decimal`, `format_currency`, `format_percent`, ...; `babel.dates.format_date`,
    `format_datetime`, `format_time`, `parse_date`, ...; `babel.units.format_unit`,
    `babel.lists.format_list`) whose `locale` argument is a locale's identifier: a string
    literal (`'de_DE'`), a local or module-level name the code binds only to a string
    literal, or an attribute of `self` that its class binds only to a string literal or to a
    constructor parameter whose default is a string literal (`def __init__(self,
    locale='en_US'): self.locale = locale`). It is reported only where the call repeats: a
    loop around it here or on the way in, or callers that run it per item.

    ## Why is this slow
    babel accepts a `Locale` or its identifier, and turns an identifier into a `Locale` with
    `Locale.parse` on every call: the identifier is split and checked, and the Locale looked
    up again. That is about 3 µs a call with babel 2.x (measured: `parse_decimal('1,234.5',
    'en_US')` 4.6 µs, with a Locale 1.9 µs), more than the parse or format itself, and older
    babel parsed the locale three times in `parse_decimal` (agate's profile of a table build:
    757,000 `Locale.parse` calls, 6.0 s of the 16.2 s spent casting 252,000 values). Per cell
    of a table or per row of a report, that adds up.

    ## Example
    ```python
    from babel.numbers import parse_decimal

    class Number:
        def __init__(self, locale='en_US'):
            self.locale = locale

        def cast(self, text):
            return parse_decimal(text, self.locale)
    ```

    ## Use instead
    ```python
    from babel.core import Locale
    from babel.numbers import parse_decimal

    class Number:
        def __init__(self, locale='en_US'):
            self.locale = Locale.parse(locale)

        def cast(self, text):
            return parse_decimal(text, self.locale)
    ```

    ## Notes
    A locale argument the code does not show to be a name (a `Locale`, `Locale.parse(...)`,
    `get_locale()` of flask-babel or Django, a parameter without a string default, an
    attribute bound to anything else) is not reported, nor a call that leaves the locale out
    (babel then parses its default, `LC_NUMERIC` or `LC_TIME`, per call too, but the fix is
    a different one: pass a Locale). Module level, class bodies, constructors, memoised
    functions and tests run once per object or distinct argument: not reported. One call per
    request is a few microseconds: the finding needs a repeated call (`repeated`), and is a
    warning only when its time per unit of work reaches the threshold (about 360 calls a
    unit at 2.8 µs each).
    """

    CODE = "PFL314"
    COST = "locale-parse"  # perflint/calibrate.py ESTIMATES; bench/locale_parse.py
    NAME = "locale-parsed-per-call"
    FAMILY = "rebuild"
    FIX = "parse the locale once (babel.core.Locale.parse(name), kept on the object or at module level) and pass the Locale"
    TRIGGERS = ("babel",)
    VALID = [
        # A Locale parsed once in the constructor.
        "from babel.core import Locale\nfrom babel.numbers import parse_decimal\n"
        "class Number:\n    def __init__(self, locale='en_US'):\n        self.locale = Locale.parse(locale)\n"
        "    def cast(self, values):\n        return [parse_decimal(v, self.locale) for v in values]\n",
        # A module-level Locale.
        "from babel import Locale\nfrom babel.dates import format_date\nDE = Locale('de', 'DE')\n"
        "def dates(days):\n    return [format_date(d, locale=DE) for d in days]\n",
        # The locale comes from the caller: what it is is not shown.
        "from babel.numbers import format_decimal\n"
        "def cells(values, locale):\n    return [format_decimal(v, locale=locale) for v in values]\n",
        # Not repeated: one call per request.
        "from babel.numbers import format_decimal\n"
        "def total(order):\n    return format_decimal(order.total, locale='de_DE')\n",
        # A locale from a framework helper (a Locale object).
        "from babel.numbers import format_decimal\nfrom flask_babel import get_locale\n"
        "def cells(values):\n    return [format_decimal(v, locale=get_locale()) for v in values]\n",
        # Not babel's.
        "def cells(fmt, values):\n    return [fmt.format_decimal(v, locale='de_DE') for v in values]\n",
    ]
    INVALID = [
        Invalid(
            "from babel.numbers import parse_decimal\n"
            "def cells(values):\n"
            "    return [parse_decimal(v, 'de_DE') for v in values]\n",
            line=3,
        ),
        Invalid(
            "from babel.dates import format_date\n"
            "LOCALE = 'fr_FR'\n"
            "def column(days):\n"
            "    out = []\n"
            "    for day in days:\n"
            "        out.append(format_date(day, 'short', LOCALE))\n"
            "    return out\n",
            line=6,
        ),
        Invalid(
            "import babel.numbers\n"
            "class Money:\n"
            "    def __init__(self, locale='en_US'):\n"
            "        self.locale = locale\n"
            "    def render(self, amounts):\n"
            "        return [babel.numbers.format_currency(a, 'EUR', locale=self.locale) for a in amounts]\n",
            line=6,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.resolve(node.func)
        position = _LOCALE_POSITION.get(name) if name else None
        if position is None:
            return
        fn = runs_per_call(self.ctx)
        if fn is None or fn.name in _SETUP_METHODS:
            return
        arg = _locale_arg(node, position)
        if arg is None:
            return
        why = self._names_locale(arg)
        if why is None:
            return
        short = name.rpartition(".")[2]
        self.report(
            node,
            f"{short}() is handed the locale by its name ({why}): babel parses it into a Locale again on every call",
            requires=("repeated",),
        )

    # -- is the argument a locale's identifier? ---------------------------------------------
    def _names_locale(self, arg: cst.BaseExpression) -> Optional[str]:
        """Why `arg` holds a locale's identifier (a string), or None when the code does not show it."""
        if _text(arg):
            return "a string literal"
        stack = self.ctx.stack
        if type(arg) is cst.Name:
            fdef = next((n for n in reversed(stack) if type(n) is cst.FunctionDef), None)
            if fdef is not None and is_param(fdef, arg.value):
                return None
            local = single_value(fdef, arg.value) if fdef is not None else None
            if local is not None:
                return f"{arg.value}, a string literal" if _text(local) else None
            if fdef is not None and arg.value in bound_names(fdef):
                return None
            values = _module_values(stack[0], arg.value) if stack else []
            if values and all(_text(v) for v in values):
                return f"{arg.value}, a module-level string"
            return None
        if type(arg) is cst.Attribute and type(arg.value) is cst.Name and arg.value.value == "self":
            cls = next((n for n in reversed(stack) if type(n) is cst.ClassDef), None)
            if cls is None:
                return None
            if _attribute_holds_name(cls, arg.attr.value):
                return f"self.{arg.attr.value}, bound only to a string"
        return None


def _locale_arg(node: cst.Call, position: int) -> Optional[cst.BaseExpression]:
    """The `locale` argument of a call, by keyword or by position (-1: keyword only)."""
    index = 0
    for a in node.args:
        if a.star:
            return None  # *args/**kwargs: where the locale is cannot be told
        if a.keyword is not None:
            if a.keyword.value == "locale":
                return a.value
            continue
        if index == position:
            return a.value
        index += 1
    return None


def _text(expr: Optional[cst.BaseExpression]) -> bool:
    """A plain string literal (no f-string)."""
    if type(expr) is cst.SimpleString:
        return "b" not in expr.prefix.lower()  # type: ignore[union-attr]
    if type(expr) is cst.ConcatenatedString:
        return _text(expr.left) and _text(expr.right)  # type: ignore[union-attr,arg-type]
    return False


def _module_values(module: cst.CSTNode, name: str) -> List[cst.BaseExpression]:
    """The values the module's own top-level statements assign to `name` (empty when it is
    bound another way: imported, a function, a loop target, augmented)."""
    out: List[cst.BaseExpression] = []
    for stmt in getattr(module, "body", ()):
        if type(stmt) is cst.SimpleStatementLine:
            for small in stmt.body:
                kind = type(small)
                if kind is cst.Assign:
                    for t in small.targets:  # type: ignore[attr-defined]
                        if type(t.target) is cst.Name and t.target.value == name:
                            out.append(small.value)  # type: ignore[attr-defined]
                elif kind is cst.AnnAssign and type(small.target) is cst.Name and small.target.value == name:  # type: ignore[attr-defined]
                    if small.value is None:  # type: ignore[attr-defined]
                        return []
                    out.append(small.value)  # type: ignore[attr-defined]
                elif kind in (cst.AugAssign, cst.Import, cst.ImportFrom):
                    if name in _bound_by(small):
                        return []
        elif type(stmt) in (cst.FunctionDef, cst.ClassDef) and stmt.name.value == name:  # type: ignore[attr-defined]
            return []
        elif type(stmt) in (cst.If, cst.Try, cst.For, cst.While, cst.With):
            # bound under a condition or in a loop: look inside for any binding of the name
            for n, _ in own_nodes(stmt):
                if type(n) is cst.AssignTarget and type(n.target) is cst.Name and n.target.value == name:  # type: ignore[attr-defined]
                    return []
    return out


def _bound_by(small: cst.CSTNode) -> List[str]:
    kind = type(small)
    if kind is cst.AugAssign:
        t = small.target  # type: ignore[attr-defined]
        return [t.value] if type(t) is cst.Name else []
    names: List[str] = []
    if kind is cst.Import:
        for alias in small.names:  # type: ignore[attr-defined]
            asname = alias.asname.name.value if alias.asname else None  # type: ignore[union-attr]
            names.append(asname or cst.helpers.get_full_name_for_node(alias.name).split(".")[0])  # type: ignore[union-attr]
    elif kind is cst.ImportFrom and not isinstance(small.names, cst.ImportStar):  # type: ignore[attr-defined]
        for alias in small.names:  # type: ignore[attr-defined]
            asname = alias.asname.name.value if alias.asname else None  # type: ignore[union-attr]
            names.append(asname or alias.name.value)  # type: ignore[union-attr]
    return names


def _attribute_holds_name(cls: cst.ClassDef, attr: str) -> bool:
    """Whether every binding of `self.<attr>` in the class's methods (and a class-level
    `attr = ...`) is a string literal, or, in a constructor, a parameter whose default is one.
    At least one binding is needed; any other value (a call, another name) answers no."""
    found = False
    for stmt in cls.body.body:  # type: ignore[union-attr]
        if type(stmt) is cst.SimpleStatementLine:
            for small in stmt.body:
                if type(small) is cst.Assign and any(
                        type(t.target) is cst.Name and t.target.value == attr for t in small.targets):
                    if not _text(small.value):
                        return False
                    found = True
        if type(stmt) is not cst.FunctionDef:
            continue
        for n, _ in own_nodes(stmt.body):
            kind = type(n)
            if kind is cst.Assign:
                hits = [t for t in n.targets if _self_attr(t.target, attr)]  # type: ignore[attr-defined]
                if not hits:
                    continue
                if len(n.targets) != 1 and not all(_self_attr(t.target, attr) for t in n.targets):  # type: ignore[attr-defined]
                    return False
                value = n.value  # type: ignore[attr-defined]
                if _text(value):
                    found = True
                elif type(value) is cst.Name and stmt.name.value in _SETUP_METHODS and _str_default(stmt, value.value):
                    found = True
                else:
                    return False
            elif kind in (cst.AugAssign, cst.AnnAssign):
                if _self_attr(n.target, attr):  # type: ignore[attr-defined]
                    if kind is cst.AnnAssign and n.value is not None and _text(n.value):  # type: ignore[attr-defined]
                        found = True
                        continue
                    return False
            elif kind is cst.AssignTarget:
                continue
            elif kind in (cst.Tuple, cst.List) and any(
                    _self_attr(e.value, attr) for e in n.elements):  # type: ignore[attr-defined]
                return False  # an unpacking (or a display holding it: unknown either way)
            elif kind is cst.Call and type(n.func) is cst.Name and n.func.value in ("setattr",):  # type: ignore[attr-defined]
                return False
    return found


def _self_attr(target: cst.CSTNode, attr: str) -> bool:
    return (type(target) is cst.Attribute and type(target.value) is cst.Name  # type: ignore[attr-defined]
            and target.value.value == "self" and target.attr.value == attr)  # type: ignore[attr-defined]


def _str_default(fdef: cst.FunctionDef, name: str) -> bool:
    """A parameter of `fdef` named `name` whose default is a string literal, rebound nowhere in
    its body (`locale = locale or 'en'` would need another reading)."""
    p = fdef.params
    for param in list(p.params) + list(p.kwonly_params):
        if param.name.value == name:
            if not _text(param.default):
                return False
            return single_value(fdef, name) is None and not _rebinds(fdef, name)
    return False


def _rebinds(fdef: cst.FunctionDef, name: str) -> bool:
    for n, _ in own_nodes(fdef.body):
        if type(n) is cst.AssignTarget and type(n.target) is cst.Name and n.target.value == name:  # type: ignore[attr-defined]
            return True
        if type(n) in (cst.AugAssign, cst.AnnAssign) and type(n.target) is cst.Name and n.target.value == name:  # type: ignore[attr-defined]
            return True
    return False
