"""PFL507 count-as-truth-test."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.effects import SESSION_RECEIVER
from perflint.nodes import own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import QUERYSET_API, enclosing_class, one_line_code, queryset_chain, single_value, sql_text
from perflint.rules.fastpath.count_of_built_collection import built_collection, returns_built

CODE = "PFL507"
EXISTS_FIX = ("ask for one row: qs.exists() (Django), session.query(q.exists()).scalar() or .first() (SQLAlchemy), "
              "SELECT 1 ... LIMIT 1 or EXISTS (SQL); if the rows are used next, test the queryset itself")
BOOL_FIX = "define __bool__ so that it stops at the first element (or reads a kept count), instead of counting all"

# SQLAlchemy Query methods that keep it a query of the same rows (a chain ending in .all()/.count()).
_SA_CHAIN = frozenset({"filter", "filter_by", "join", "outerjoin", "order_by", "options", "where", "distinct",
                       "group_by", "having", "select_from", "with_entities", "correlate", "execution_options",
                       "scalars", "unique", "params", "enable_eagerloads", "populate_existing"})
_SA_STARTS = frozenset({"query", "scalars", "execute"})
_COUNT_SQL = re.compile(r"^\s*select\s+count\s*\(", re.I)
# Comparisons of a count with a literal that only ask whether it is empty: (operator, literal
# on the right); the mirrored spellings (`0 < n`) are turned around first.
_EMPTINESS = {(cst.GreaterThan, 0), (cst.NotEqual, 0), (cst.GreaterThanEqual, 1), (cst.Equal, 0),
              (cst.LessThan, 1), (cst.LessThanEqual, 0), (cst.IsNot, 0), (cst.Is, 0)}
_MIRROR = {cst.GreaterThan: cst.LessThan, cst.LessThan: cst.GreaterThan, cst.GreaterThanEqual: cst.LessThanEqual,
           cst.LessThanEqual: cst.GreaterThanEqual, cst.NotEqual: cst.NotEqual, cst.Equal: cst.Equal,
           cst.IsNot: cst.IsNot, cst.Is: cst.Is}

# What a site costs: (message, cost key, confidence, fix)
_Site = Tuple[str, str, str, str]


class CountAsTruthTest(Rule):
    """
    A count of every row (or element) made only to ask whether there is one.

    ## What it does
    Flags a count that is only tested for truth, or compared with 0 or 1:
    - `len()` of a Django queryset, a SQLAlchemy query's `.all()` or a cursor's `fetchall()`
      (`if len(Model.objects.filter(...)):`, `if len(qs) > 0:`), and a Django queryset
      itself tested for truth when nothing else reads its rows (`if Model.objects.filter(...):`,
      `qs = ...; if qs:`): every row is fetched and a model instance built for each;
    - `.count()` of a Django queryset or a SQLAlchemy query (`if qs.count():`,
      `if session.query(User).filter(...).count() > 0:`) and a SQL `SELECT COUNT(*)` whose
      result is only tested (`if cur.execute("SELECT COUNT(*) ...").fetchone()[0]:`): the
      database counts every matching row where one would answer;
    - an instance of a class of this file whose `__len__` counts by building or querying
      (the collections PFL506 names, a queryset's `count()` or `len()`, a `sum(1 for ...)`)
      and which defines no `__bool__`, tested for truth (`if self:`, `while table:`): Python
      calls `__len__` for every truth test.

    ## Why is this slow
    `len(qs)` and `if qs:` on a queryset run the whole query and build every row to answer a
    yes/no question; `.exists()` sends `SELECT 1 ... LIMIT 1`, which stops at the first row.
    `COUNT(*)` must visit every matching row (or index entry) where `EXISTS` or `LIMIT 1` stops
    at the first; that difference is small per row, so a count is usually a note. A class
    without `__bool__` pays its whole `__len__` at every `if obj:`.

    ## Example
    ```python
    def has_open_orders(customer):
        return len(Order.objects.filter(customer=customer, status="open")) > 0
    ```

    ## Use instead
    ```python
    def has_open_orders(customer):
        return Order.objects.filter(customer=customer, status="open").exists()
    ```

    ## Notes
    A queryset whose rows the function reads after the test (iterates, returns, passes on) is
    not reported for `len()` or a truth test: Django keeps the rows it fetched, and the test
    then costs nothing more. A count kept in a name is reported only when every use of the name
    is such a test. Rows are priced at `orm-row` (a row fetched and a model instance built,
    measured with Django) or `fetch-row`, counts at `count-row` (a row counted past the first,
    measured with SQLite); how many rows the query matches is not in the code (loop-trips).
    """

    CODE = CODE
    COST = "orm-row"  # perflint/calibrate.py ESTIMATES; measured by bench/orm_row.py
    NAME = "count-as-truth-test"
    FAMILY = "fastpath"
    FIX = EXISTS_FIX
    TRIGGERS = ("len(", "count(", "COUNT(", "objects", "_set", "__len__")
    VALID = [
        # The rows are used after the test: len() filled the queryset's cache.
        "def f(user):\n    qs = Post.objects.filter(owner=user)\n    if len(qs):\n        return list(qs)\n    return []\n",
        # exists() asks for one row.
        "def f(user):\n    return Post.objects.filter(owner=user).exists()\n",
        # The count is the answer, not a truth test.
        "def f(user):\n    return Post.objects.filter(owner=user).count()\n",
        # A count kept and used as a number.
        "def f(user):\n    n = Post.objects.filter(owner=user).count()\n    if n:\n        log(n)\n",
        # len() of a list in memory.
        "def f(items):\n    if len(items) > 0:\n        return items[0]\n",
        # A class with __bool__: truth tests do not call __len__.
        "class T:\n    def rows(self):\n        return [Row(r) for r in self.data.values()]\n"
        "    def __len__(self):\n        return len(self.rows())\n    def __bool__(self):\n        return bool(self.data)\n"
        "    def first(self):\n        if self:\n            return self.rows()[0]\n",
    ]
    INVALID = [
        Invalid("def f(user):\n    if len(Post.objects.filter(owner=user)) > 0:\n        notify(user)\n", line=2),
        Invalid("def f(user):\n    qs = Post.objects.filter(owner=user)\n    if qs:\n        notify(user)\n", line=3),
        Invalid("def f(user):\n    if Post.objects.filter(owner=user).count():\n        notify(user)\n", line=2),
        Invalid("def f(session, name):\n    return session.query(User).filter_by(name=name).count() > 0\n", line=2),
        Invalid("def f(cur, n):\n    if cur.execute('SELECT COUNT(*) FROM t WHERE n = ?', (n,)).fetchone()[0]:\n"
                "        return True\n", line=2),
        Invalid("class T:\n    def rows(self):\n        return [Row(r) for r in self.data.values()]\n"
                "    def __len__(self):\n        return len(self.rows())\n"
                "    def first(self):\n        if self:\n            return self.rows()[0]\n", line=7),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._sites: Dict[int, _Site] = {}
        self._counted: Dict[str, str] = {}  # class of this file -> what its __len__ does, when it counts by work
        self._module: Optional[cst.Module] = None

    def visit_Module(self, node: cst.Module) -> None:
        self._module = node
        functions = {s.name.value: s for s in node.body if isinstance(s, cst.FunctionDef)}
        for stmt in node.body:
            if isinstance(stmt, cst.ClassDef):
                how = _counting_len(stmt, functions)
                if how is not None:
                    self._counted[stmt.name.value] = how

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.ctx.is_test:
            return
        self._sites.update(self._analyse(node))

    def visit_Call(self, node: cst.Call) -> None:
        self._emit(node)

    def visit_Name(self, node: cst.Name) -> None:
        self._emit(node)

    def _emit(self, node: cst.CSTNode) -> None:
        site = self._sites.pop(id(node), None)
        if site is None or self.ctx.function is None:
            return
        message, cost, confidence, fix = site
        self.report(node, message, cost=cost, confidence=confidence, fix=fix)

    # -- one function ---------------------------------------------------------------------------
    def _analyse(self, fn: cst.FunctionDef) -> Dict[int, _Site]:
        parents: Dict[int, cst.CSTNode] = {}
        loads: Dict[str, List[cst.Name]] = {}
        calls: List[cst.Call] = []
        for node, parent in own_nodes(fn.body):
            if parent is not None:
                parents[id(node)] = parent
            kind = type(node)
            if kind is cst.Name:
                loads.setdefault(node.value, []).append(node)
            elif kind is cst.Call:
                calls.append(node)
        out: Dict[int, _Site] = {}
        cls = self._own_class(fn)
        single: Dict[str, Optional[cst.BaseExpression]] = {}

        params = {p.name.value for p in (*fn.params.params, *fn.params.posonly_params, *fn.params.kwonly_params)}

        def value_of(name: str) -> Optional[cst.BaseExpression]:
            """The one value the function binds to a local (a parameter may hold another)."""
            if name not in single:
                single[name] = None if name in params else single_value(fn, name)
            return single[name]

        def used(name: str) -> List[cst.Name]:
            """The loads of a local (its binding targets left out)."""
            return [n for n in loads.get(name, []) if not _is_target(n, parents)]

        for call in calls:
            func = call.func
            if type(func) is cst.Name and func.value == "len" and len(call.args) == 1 and not call.args[0].star:
                if not _truth_tested(call, parents):
                    continue
                arg = call.args[0].value
                rows = _rows(arg)
                if rows is None and type(arg) is cst.Name:
                    bound = value_of(arg.value)
                    rows = _rows(bound) if bound is not None else None
                    if rows is not None and not all(_len_truth_test(n, parents) for n in used(arg.value)):
                        continue  # the rows are read after the test: len() filled the cache
                if rows is not None:
                    what, cost, confidence = rows
                    out[id(call)] = (f"len() of {what} is only tested for emptiness: every row is fetched and built "
                                     "to answer whether there is one", cost, confidence, EXISTS_FIX)
                continue
            counted = _count(call)
            if counted is None and type(func) is cst.Attribute and func.attr.value == "count" and not call.args \
                    and type(func.value) is cst.Name:
                bound = value_of(func.value.value)
                if bound is not None and _queryset_rows(bound) is not None:
                    counted = (f"{func.value.value}.count() (a queryset)", "high")
            if counted is None:
                continue
            what, confidence = counted
            if _truth_tested(call, parents):
                out[id(call)] = (f"{what} is only tested for emptiness: the database counts every matching row "
                                 "where one would answer", "count-row", confidence, EXISTS_FIX)
                continue
            name = _assigned_name(call, parents)
            if name is not None and value_of(name) is call:
                uses = used(name)
                if uses and all(_truth_tested(n, parents) for n in uses):
                    out[id(call)] = (f"{what}, kept in {name}, is only tested for emptiness: the database counts "
                                     "every matching row where one would answer", "count-row", confidence, EXISTS_FIX)
        # querysets and counting objects tested for truth themselves
        for name, nodes in loads.items():
            for node in nodes:
                if _is_target(node, parents) or not _truth_tested(node, parents, bare=True):
                    continue
                site = self._truth_site(name, node, cls, value_of, used, parents)
                if site is not None:
                    out[id(node)] = site
        for call in calls:
            rows = _queryset_rows(call)
            if rows is not None and id(call) not in out and _truth_tested(call, parents, bare=True) \
                    and not _chained_on(call, parents):
                out[id(call)] = (f"{rows[0]} is tested for truth: Django fetches every row and builds each to answer "
                                 "whether there is one", "orm-row", rows[1], EXISTS_FIX)
        return out

    def _truth_site(self, name, node, cls, value_of, used, parents) -> Optional[_Site]:
        if name == self.ctx.self_name() and cls is not None and cls in self._counted:
            return self._len_through_class(name, cls)
        bound = value_of(name)
        if bound is None:
            return None
        if type(bound) is cst.Call and type(bound.func) is cst.Name and bound.func.value in self._counted:
            return self._len_through_class(name, bound.func.value)
        rows = _queryset_rows(bound)
        if rows is None:
            return None
        if not all(_len_truth_test(n, parents) or _truth_tested(n, parents, bare=True) for n in used(name)):
            return None  # the rows are read after the test: the queryset keeps them
        return (f"{name} ({rows[0].replace(' (', ', ').rstrip(')')}) is tested for truth and its rows are not used: Django fetches every row and "
                "builds each to answer whether there is one", "orm-row", rows[1], EXISTS_FIX)

    def _len_through_class(self, name: str, cls: str) -> _Site:
        """`name`, an instance of `cls` (a class whose __len__ counts), tested for truth."""
        what, key = self._counted[cls].split("|")[:2]
        return (f"`{name}` (a {cls}) is tested for truth, and {cls} has no __bool__: every test calls "
                f"__len__, which {what}", key, "high", BOOL_FIX)

    def _own_class(self, fn: cst.FunctionDef) -> Optional[str]:
        stack = self.ctx.stack
        if len(stack) >= 3 and stack[-1] is fn and type(stack[-3]) is cst.ClassDef:
            return stack[-3].name.value  # type: ignore[attr-defined]
        cls = enclosing_class(stack)
        return cls.name.value if cls is not None and stack and stack[-1] is fn else None


# -- what is counted ----------------------------------------------------------------------------
def _chain(expr: cst.BaseExpression) -> Tuple[List[str], cst.BaseExpression]:
    """The methods called along a chain, innermost first, and what it starts at."""
    methods: List[str] = []
    while True:
        if type(expr) is cst.Call:
            func = expr.func  # type: ignore[attr-defined]
            if type(func) is not cst.Attribute:
                return methods[::-1], expr
            methods.append(func.attr.value)
            expr = func.value
        elif type(expr) is cst.Subscript:
            return [], expr  # a slice or an index: not the whole set
        else:
            return methods[::-1], expr


def _queryset_rows(expr: cst.BaseExpression) -> Optional[Tuple[str, str]]:
    """(what, confidence) for an unevaluated Django queryset: `Model.objects.filter(...)`,
    `Model.objects.all()`, `obj.comment_set.filter(...)` (a reverse relation, medium)."""
    if type(expr) is not cst.Call:
        return None
    methods, start = _chain(expr)
    if not methods or any(m not in QUERYSET_API for m in methods):
        return None
    chain = queryset_chain(expr)
    if chain is not None:
        if chain[0] in ("self", "cls"):
            return None  # `self.objects` is the object's own mapping: managers are not on instances
        return f"{_short(expr)} (a Django queryset)", "high"
    if type(start) is cst.Attribute and start.attr.value.endswith("_set") and type(start.value) is cst.Name:
        return f"{_short(expr)} (a reverse relation's queryset)", "medium"
    return None


def _short(expr: cst.BaseExpression) -> str:
    """`Model.objects.filter(...)` for a chain, `...` after it when it goes on."""
    methods, _ = _chain(expr)
    return f"{one_line_code(_head(expr))}(...)" + ("..." if len(methods) > 1 else "")


def _head(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`Model.objects.filter` of `Model.objects.filter(...).order_by(...)`, for messages."""
    while type(expr) is cst.Call and type(expr.func) is cst.Attribute:  # type: ignore[attr-defined]
        inner = expr.func.value  # type: ignore[attr-defined]
        if type(inner) is not cst.Call:
            return expr.func  # type: ignore[attr-defined]
        expr = inner
    return expr


def _sa_query(methods: List[str], start: cst.BaseExpression) -> bool:
    """A SQLAlchemy query chain: `session.query(...)`, `session.scalars(...)` or
    `session.execute(...)` followed by query-shaping methods, or Flask-SQLAlchemy's
    `Model.query...`; the last method (all/count) is the caller's."""
    if not methods:
        return False
    if type(start) is cst.Name and methods[0] in _SA_STARTS and SESSION_RECEIVER.search(start.value):
        return all(m in _SA_CHAIN for m in methods[1:-1])
    if type(start) is cst.Attribute and type(start.value) is cst.Name and start.attr.value == "query" \
            and start.value.value[:1].isupper():
        return all(m in _SA_CHAIN for m in methods[:-1])
    return False


def _rows(expr: cst.BaseExpression) -> Optional[Tuple[str, str, str]]:
    """(what, cost key, confidence) when `len(expr)` fetches every row of a query."""
    qs = _queryset_rows(expr)
    if qs is not None:
        return qs[0], "orm-row", qs[1]
    if type(expr) is not cst.Call or type(expr.func) is not cst.Attribute:  # type: ignore[attr-defined]
        return None
    last = expr.func.attr.value  # type: ignore[attr-defined]
    methods, start = _chain(expr)
    if last == "all" and not expr.args and _sa_query(methods, start):  # type: ignore[attr-defined]
        return f"{one_line_code(expr)} (a SQLAlchemy query's rows)", "orm-row", "high"
    if last == "fetchall" and not expr.args:  # type: ignore[attr-defined]
        receiver = expr.func.value  # type: ignore[attr-defined]
        if type(receiver) is cst.Call and type(receiver.func) is cst.Attribute and receiver.func.attr.value == "execute" \
                and receiver.args and sql_text(receiver.args[0].value).lstrip().lower().startswith("select"):
            if _COUNT_SQL.match(sql_text(receiver.args[0].value)):
                return None  # one row: the count's
            return f"{one_line_code(expr)} (every row of a SELECT)", "fetch-row", "high"
    return None


def _count(call: cst.Call) -> Optional[Tuple[str, str]]:
    """(what, confidence) when a call counts the rows of a query: `qs.count()`,
    `session.query(...).count()`, `cur.execute("SELECT COUNT(*) ...").fetchone()[0]` (the
    subscript's value) or `.scalar()`."""
    func = call.func
    if type(func) is not cst.Attribute:
        return None
    method = func.attr.value  # type: ignore[attr-defined]
    if method == "count" and not call.args:
        receiver = func.value  # type: ignore[attr-defined]
        qs = _queryset_rows(receiver) if type(receiver) is cst.Call else None
        if qs is None and type(receiver) is cst.Attribute and receiver.attr.value.endswith("_set") \
                and type(receiver.value) is cst.Name and queryset_chain(receiver) is None:
            qs = (f"{receiver.value.value}.{receiver.attr.value} (a reverse relation)", "medium")
        if qs is None and type(receiver) is cst.Attribute and receiver.attr.value in ("objects", "_default_manager") \
                and type(receiver.value) is cst.Name:
            qs = (f"{receiver.value.value}.{receiver.attr.value} (a Django manager)", "high")
        if qs is not None:
            return f"{qs[0].split(' (')[0]}.count()", qs[1]
        methods, start = _chain(call)
        if _sa_query(methods, start):
            return f"{one_line_code(_head(call))}(...)...count() (a SQLAlchemy query)", "high"
        return None
    if method in ("scalar", "fetchone"):
        receiver = func.value  # type: ignore[attr-defined]
        if type(receiver) is cst.Call and type(receiver.func) is cst.Attribute and receiver.func.attr.value == "execute" \
                and receiver.args:
            sql = receiver.args[0].value
            if type(sql) is cst.Call and dotted_text(sql.func) in ("text", "sa.text", "sqlalchemy.text") and sql.args:
                sql = sql.args[0].value
            if _COUNT_SQL.match(sql_text(sql)) and " limit " not in sql_text(sql).lower():
                return "a SELECT COUNT(*)", "high"
    return None


# -- where it is used ---------------------------------------------------------------------------
def _literal_int(expr: cst.BaseExpression) -> Optional[int]:
    return int(expr.value) if type(expr) is cst.Integer and expr.value in ("0", "1") else None  # type: ignore[attr-defined]


def _truth_tested(node: cst.CSTNode, parents: Dict[int, cst.CSTNode], bare: bool = False) -> bool:
    """The value of `node` is only tested for truth: an if/while/assert/conditional test, an
    operand of not/and/or so tested, `bool(...)`, or compared with 0 or 1 for emptiness (not
    when `bare`: an object compared with 0 is not truth-tested). A fetchone()[0] subscript is
    followed to its value."""
    cur: cst.CSTNode = node
    parent = parents.get(id(cur))
    if not bare and type(parent) is cst.SubscriptElement:
        return False
    if type(node) is cst.Call and type(parent) is cst.Subscript and type(node.func) is cst.Attribute \
            and node.func.attr.value == "fetchone":  # type: ignore[attr-defined]
        cur, parent = parent, parents.get(id(parent))  # cur.execute(...).fetchone()[0]
    while parent is not None:
        kind = type(parent)
        if kind is cst.If or kind is cst.While or kind is cst.IfExp or kind is cst.Assert or kind is cst.CompIf:
            return parent.test is cur  # type: ignore[attr-defined]
        if kind is cst.UnaryOperation:
            return type(parent.operator) is cst.Not  # type: ignore[attr-defined]
        elif kind is cst.BooleanOperation:
            if parent.left is cur:  # type: ignore[attr-defined]
                return True  # and/or test their left operand
        elif kind is cst.Arg:
            call = parents.get(id(parent))
            return type(call) is cst.Call and type(call.func) is cst.Name and call.func.value == "bool" \
                and len(call.args) == 1  # type: ignore[attr-defined]
        elif kind is cst.ComparisonTarget or kind is cst.Comparison:
            if bare:
                return False
            comparison = parent if kind is cst.Comparison else parents.get(id(parent))
            if type(comparison) is not cst.Comparison or len(comparison.comparisons) != 1:  # type: ignore[attr-defined]
                return False
            target = comparison.comparisons[0]  # type: ignore[attr-defined]
            op = type(target.operator)
            if comparison.left is cur:  # type: ignore[attr-defined]
                literal = _literal_int(target.comparator)
            else:
                literal, op = _literal_int(comparison.left), _MIRROR.get(op)  # type: ignore[attr-defined]
            return literal is not None and (op, literal) in _EMPTINESS  # a yes/no answer, wherever it goes
        else:
            return False
        cur, parent = parent, parents.get(id(parent))
    return False


def _len_truth_test(name: cst.Name, parents: Dict[int, cst.CSTNode]) -> bool:
    """`name` is the argument of a len() that is only tested for truth."""
    arg = parents.get(id(name))
    call = parents.get(id(arg)) if type(arg) is cst.Arg else None
    return type(call) is cst.Call and type(call.func) is cst.Name and call.func.value == "len" \
        and _truth_tested(call, parents)  # type: ignore[attr-defined]


def _chained_on(call: cst.Call, parents: Dict[int, cst.CSTNode]) -> bool:
    parent = parents.get(id(call))
    return type(parent) is cst.Attribute


def _is_target(name: cst.Name, parents: Dict[int, cst.CSTNode]) -> bool:
    parent = parents.get(id(name))
    kind = type(parent)
    if kind is cst.AssignTarget or kind is cst.AnnAssign or kind is cst.AugAssign or kind is cst.For \
            or kind is cst.NamedExpr or kind is cst.AsName or kind is cst.CompFor:
        return getattr(parent, "target", None) is name
    if kind is cst.Attribute:
        return parent.attr is name  # type: ignore[attr-defined]
    if kind is cst.Arg:
        return parent.keyword is name  # type: ignore[attr-defined]
    return False


def _assigned_name(call: cst.Call, parents: Dict[int, cst.CSTNode]) -> Optional[str]:
    """`n` of `n = <call>` (or `n = <call>[0]` for fetchone)."""
    node: cst.CSTNode = call
    parent = parents.get(id(node))
    if type(parent) is cst.Subscript:
        node, parent = parent, parents.get(id(parent))
    if type(parent) is cst.Assign and len(parent.targets) == 1 and type(parent.targets[0].target) is cst.Name:  # type: ignore[attr-defined]
        return parent.targets[0].target.value  # type: ignore[attr-defined]
    return None


# -- classes that count by work -----------------------------------------------------------------
def _counting_len(cls: cst.ClassDef, functions: Dict[str, cst.FunctionDef]) -> Optional[str]:
    """'what __len__ does|cost key' for a class with no base (or `object`) whose `__len__`
    counts by building, querying or walking, and which has no `__bool__`."""
    if any(dotted_text(b.value) != "object" for b in cls.bases) or cls.keywords:
        return None
    methods = {s.name.value: s for s in cls.body.body if isinstance(s, cst.FunctionDef)}
    if "__bool__" in methods or "__len__" not in methods:
        return None
    body = methods["__len__"].body.body
    if len(body) != 1 or type(body[0]) is not cst.SimpleStatementLine or len(body[0].body) != 1 \
            or type(body[0].body[0]) is not cst.Return or body[0].body[0].value is None:
        return None
    value = body[0].body[0].value
    if type(value) is cst.Call and type(value.func) is cst.Name and value.func.value == "len" and len(value.args) == 1:
        arg = value.args[0].value
        built = built_collection(arg)
        if built is None and type(arg) is cst.Call:
            helper = None
            func = arg.func
            if type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value == "self":
                helper = methods.get(func.attr.value)
            elif type(func) is cst.Name:
                helper = functions.get(func.value)
            built = returns_built(helper) if helper is not None else None
        if built is not None:
            return f"builds {built[0]} calling {built[2]} per element of {built[1]}|build-element"
        rows = _rows(arg)
        if rows is not None:
            return f"fetches every row of {rows[0]}|{rows[1]}"
        return None
    if type(value) is cst.Call:
        counted = _count(value)
        if counted is not None:
            return f"counts {counted[0]}|count-row"
        if type(value.func) is cst.Name and value.func.value == "sum" and len(value.args) == 1 \
                and type(value.args[0].value) is cst.GeneratorExp \
                and type(value.args[0].value.elt) is cst.Integer and value.args[0].value.elt.value == "1":
            return "walks every element (sum(1 for ...))|scan-row"
    return None
