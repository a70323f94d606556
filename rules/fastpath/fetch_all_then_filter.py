"""PFL504 fetch-all-then-filter."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.context import dotted_text
from perflint.ruleutil import names_in
from perflint.rules.fastpath.store_dump import dict_of_store, only_looked_up

# Chains whose `.all()` is a database query (Django managers, SQLAlchemy, peewee).
_QUERY_LINKS = {"objects", "_default_manager", "_base_manager", "query", "scalars", "execute", "select"}
STORE_FIX = "look the keys up in the store when they are needed (a term's info, WHERE key IN (...)) instead of reading every entry into a dict"
# A peewee/SQLAlchemy chain that already filters in the database.
_WHERE_LINKS = {"where", "filter", "filter_by", "exclude", "get", "join", "limit", "having", "group_by"}


class FetchAllThenFilter(Rule):
    """
    Every row fetched from the database, then filtered by equality in Python.

    ## What it does
    Flags an equality filter (`[r for r in rows if r[2] == x]`, `filter(lambda r: r.status
    == x, rows)`, or a `for r in rows:` loop whose body is one `if r.status == x:`) over
    the result of a query that fetched the whole table in the same function:
    `cur.fetchall()`, `session.query(M).all()`, `session.scalars(select(M)).all()`,
    Django `Model.objects.all()` (or `list(...)` of it), peewee `Model.select()`.

    It also flags every entry of a store read into a dict that the class then only looks up
    one key at a time: `self.freq = dict((w, ti.weight()) for w, ti in
    self.ixreader.iter_field(name))` where every other use of `self.freq` is `self.freq[w]`,
    `self.freq.get(w)` or `w in self.freq`. The store is a receiver named like one that reads
    from storage (`reader`, `ixreader`, `db`, `database`, `dbm`, `shelf`, `searcher`) and the
    read walks all it holds (`iter_*()`, `iteritems()`, `lexicon()`). Whoosh's query expander
    read the collection frequency of every term of a field this way, per more-like-this
    query, to look up the few terms of the top documents.

    ## Why is this slow
    The database sends, converts and allocates every row, and Python compares each of
    them, to keep a few: the cost grows with the table instead of with the answer. A
    `WHERE` on an indexed column returns the same rows in O(log n), and even without an
    index the database filters in C before anything crosses the wire. A whole store read
    into a dict to answer a few lookups is the same: it costs one read per entry the store
    holds, each time the object is built, where asking the store for those keys costs one
    read per key.

    ## Example
    ```python
    def open_orders(cur, customer_id):
        rows = cur.execute("SELECT id, customer_id, status FROM orders").fetchall()
        return [r for r in rows if r[1] == customer_id and r[2] == "open"]
    ```

    ## Use instead
    ```python
    def open_orders(cur, customer_id):
        return cur.execute(
            "SELECT id, customer_id, status FROM orders WHERE customer_id = ? AND status = 'open'",
            (customer_id,),
        ).fetchall()
    # Django: Order.objects.filter(customer_id=customer_id, status="open")
    ```

    ## Notes
    Only equality tests on the row (`==`, or `!=` followed by `continue`) are reported,
    and only when the fetch and the filter are in the same function. Severity follows how
    often the function runs.
    """

    CODE = "PFL504"
    COST = "fetch-row"  # perflint/costs.py; measured by bench/costs.py
    NAME = "fetch-all-then-filter"
    FAMILY = "fastpath"
    FIX = "filter in the query (WHERE column = ?, .filter(column=...)) instead of fetching every row"
    TRIGGERS = ("fetchall", ".all()", "select(", ".iter", ".lexicon(")
    VALID = [
        # The database filters.
        "def f(cur, x):\n    return cur.execute('SELECT * FROM t WHERE a = ?', (x,)).fetchall()\n",
        # Every row is used: no filter.
        "def f(cur):\n    rows = cur.fetchall()\n    return [r[0] for r in rows]\n",
        # A filter over something that is not a query result.
        "def f(items, x):\n    return [i for i in items if i.kind == x]\n",
        # A comparison between two fields of the row: not a WHERE on a value.
        "def f(cur):\n    rows = cur.fetchall()\n    return [r for r in rows if r[0] == r[1]]\n",
        # A chain that already filters in the database.
        "def f(session, x):\n    rows = session.query(User).filter(User.a > 3).all()\n    return [r for r in rows if r.b == x]\n",
        # The dict of every term is walked as a whole: every entry is used.
        "class E:\n    def __init__(self, ixreader):\n        self.freq = dict(ixreader.iter_field('body'))\n"
        "    def top(self):\n        return sorted(self.freq.items())\n",
        # A cache the class fills: entries are written, not only looked up.
        "class E:\n    def __init__(self, reader):\n        self.freq = {w: n for w, n in reader.iter_field('body')}\n"
        "    def add(self, w):\n        self.freq[w] = 1\n    def weight(self, w):\n        return self.freq[w]\n",
        # Not a store: a list in memory.
        "class E:\n    def __init__(self, pairs):\n        self.freq = dict(pairs.iter_items())\n"
        "    def weight(self, w):\n        return self.freq[w]\n",
    ]
    INVALID = [
        Invalid("class Expander:\n    def __init__(self, ixreader, field):\n"
                "        self.freq = dict((w, ti.weight()) for w, ti in ixreader.iter_field(field))\n"
                "    def weight(self, word):\n        return self.freq.get(word, 0)\n", line=3),
        Invalid("def open_orders(cur, cid):\n    rows = cur.execute('SELECT * FROM orders').fetchall()\n"
                "    return [r for r in rows if r[1] == cid]\n", line=3),
        Invalid("def mine(user):\n    for post in Post.objects.all():\n        if post.owner_id == user.id:\n"
                "            yield post\n", line=3),
        Invalid("def active(session):\n    users = session.query(User).all()\n"
                "    return list(filter(lambda u: u.status == 'active', users))\n", line=3),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._classes: List[cst.ClassDef] = []
        self._fetched: List[Dict[str, str]] = []  # per function: local -> how it was fetched
        # per function: cursors whose last statement reads the catalog (DESCRIBE, SHOW, PRAGMA):
        # their rows are metadata, which no WHERE can filter
        self._catalog: List[Set[str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._fetched.append({})
        self._catalog.append(set())

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._fetched.pop()
        self._catalog.pop()

    def _fetch_all_here(self, expr: cst.BaseExpression) -> Optional[str]:
        how = _fetch_all(expr)
        if how == "fetchall()" and _reads_catalog(expr, self._catalog[-1] if self._catalog else set()):
            return None  # DESCRIBE/SHOW/PRAGMA rows: the catalog, not a table to filter with WHERE
        return how

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def _store_read_into_dict(self, node: cst.Assign) -> None:
        """`self.freq = dict(... for w, ti in self.ixreader.iter_field(f))`, then only
        `self.freq[w]` lookups in the class."""
        target = node.targets[0].target
        if not self._classes or type(target) is not cst.Attribute or type(target.value) is not cst.Name \
                or target.value.value != "self":
            return
        how = dict_of_store(node.value)
        if how is None or not only_looked_up(self._classes[-1], target.attr.value):
            return
        self.report(node.value, f"every entry of {how} is read into self.{target.attr.value}, which the class only "
                                "looks up one key at a time: ask the store for those keys instead",
                    fix=STORE_FIX, confidence="medium")

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._fetched and len(node.targets) == 1:
            self._store_read_into_dict(node)
        if not self._fetched or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        name = node.targets[0].target.value
        how = self._fetch_all_here(node.value)
        if how is not None:
            self._fetched[-1][name] = how
        else:
            self._fetched[-1].pop(name, None)

    def _source(self, expr: cst.BaseExpression) -> Optional[str]:
        if isinstance(expr, cst.Name) and self._fetched:
            return self._fetched[-1].get(expr.value)
        return self._fetch_all_here(expr)

    # -- the filters --------------------------------------------------------------------
    def _comprehension(self, node) -> None:
        comp = node.for_in
        if comp.inner_for_in is not None or not comp.ifs:
            return
        how = self._source(comp.iter)
        if how is None:
            return
        targets = names_in(comp.target)
        for cond in comp.ifs:
            test = _equality_on(cond.test, targets)
            if test is not None:
                self.report(test, f"rows fetched with {how} are filtered by equality in Python: filter with WHERE instead")
                return

    visit_ListComp = _comprehension
    visit_GeneratorExp = _comprehension
    visit_SetComp = _comprehension

    def visit_Call(self, node: cst.Call) -> None:
        if self._catalog and isinstance(node.func, cst.Attribute) and node.func.attr.value == "execute" and node.args:
            receiver = dotted_text(node.func.value)
            if receiver is not None:
                if _catalog_sql(node.args[0].value):
                    self._catalog[-1].add(receiver)
                else:
                    self._catalog[-1].discard(receiver)
        # filter(lambda r: r.x == v, rows)
        if self.ctx.resolve(node.func) != "filter" or len(node.args) != 2:
            return
        func, rows = node.args[0].value, node.args[1].value
        if not isinstance(func, cst.Lambda):
            return
        how = self._source(rows)
        if how is None:
            return
        targets = {p.name.value for p in func.params.params}
        test = _equality_on(func.body, targets)
        if test is not None:
            self.report(test, f"rows fetched with {how} are filtered by equality in Python: filter with WHERE instead")

    def visit_For(self, node: cst.For) -> None:
        how = self._source(node.iter)
        if how is None or not isinstance(node.body, cst.IndentedBlock) or not node.body.body:
            return
        targets = names_in(node.target)
        first = node.body.body[0]
        if not isinstance(first, cst.If):
            return
        if len(node.body.body) == 1 and first.orelse is None:
            test = _equality_on(first.test, targets)
        elif _only_continue(first):
            test = _equality_on(first.test, targets, negated=True)
        else:
            return
        if test is not None:
            self.report(test, f"rows fetched with {how} are filtered by equality in Python: filter with WHERE instead")


_CATALOG_SQL = re.compile(r"^\s*(describe|desc|show|pragma|explain)\b|information_schema|sqlite_master|pg_catalog", re.I)


def _catalog_sql(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        text = expr.evaluated_value
        return isinstance(text, str) and bool(_CATALOG_SQL.search(text))
    if isinstance(expr, cst.FormattedString):
        head = "".join(p.value for p in expr.parts if isinstance(p, cst.FormattedStringText))
        return bool(_CATALOG_SQL.search(head))
    return False


def _reads_catalog(expr: cst.BaseExpression, catalog: Set[str]) -> bool:
    """`cur.execute("DESCRIBE t").fetchall()`, or `cur.fetchall()` after such an execute."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and len(expr.args) == 1:
        expr = expr.args[0].value  # list(...)
    if not isinstance(expr, cst.Call) or not isinstance(expr.func, cst.Attribute):
        return False
    receiver = expr.func.value
    if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute) and \
            receiver.func.attr.value == "execute" and receiver.args:
        return _catalog_sql(receiver.args[0].value)
    text = dotted_text(receiver)
    return text is not None and text in catalog


def _fetch_all(expr: cst.BaseExpression) -> Optional[str]:
    """How an expression fetches every row of a query, or None."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("list", "tuple") and len(expr.args) == 1:
        expr = expr.args[0].value
    if not isinstance(expr, cst.Call) or not isinstance(expr.func, cst.Attribute):
        return None
    method = expr.func.attr.value
    if method == "fetchall":
        return "fetchall()"
    links: List[str] = []
    cur: cst.BaseExpression = expr
    while True:
        if isinstance(cur, cst.Call):
            cur = cur.func
        elif isinstance(cur, cst.Attribute):
            links.append(cur.attr.value)
            cur = cur.value
        else:
            break
    if _WHERE_LINKS.intersection(links):
        return None
    if method == "all" and _QUERY_LINKS.intersection(links[1:]):
        where = "objects.all()" if "objects" in links else ".all()"
        return where
    if method == "select" and len(links) == 1 and isinstance(cur, cst.Name) and cur.value[:1].isupper() and not expr.args:
        return f"{cur.value}.select()"
    return None


def _equality_on(test: cst.BaseExpression, targets: Set[str], negated: bool = False) -> Optional[cst.BaseExpression]:
    """The `row.field == value` comparison in a test (alone or in an `and`), or None."""
    if isinstance(test, cst.BooleanOperation):
        if isinstance(test.operator, cst.And) if not negated else isinstance(test.operator, cst.Or):
            return _equality_on(test.left, targets, negated) or _equality_on(test.right, targets, negated)
        return None
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    op = test.comparisons[0].operator
    if not isinstance(op, cst.NotEqual if negated else cst.Equal):
        return None
    left, right = test.left, test.comparisons[0].comparator
    left_row, right_row = _row_field(left, targets), _row_field(right, targets)
    if left_row == right_row:
        return None  # both sides (or neither) come from the row
    value = right if left_row else left
    if names_in(value) & targets:
        return None
    return test


def _row_field(expr: cst.BaseExpression, targets: Set[str]) -> bool:
    """`r.status`, `r[2]`, `r["status"]` or an unpacked column of the row."""
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
    return isinstance(expr, cst.Name) and expr.value in targets


def _only_continue(stmt: cst.If) -> bool:
    """`if <test>: continue` and nothing else."""
    if stmt.orelse is not None:
        return False
    body = stmt.body
    if isinstance(body, cst.SimpleStatementSuite):
        smalls = body.body
    elif len(body.body) == 1 and isinstance(body.body[0], cst.SimpleStatementLine):
        smalls = body.body[0].body
    else:
        return False
    return len(smalls) == 1 and isinstance(smalls[0], cst.Continue)
