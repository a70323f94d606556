"""PFL503 query-in-loop."""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_parts, dotted_text
from perflint.effects import DB_RECEIVER, orm_query
from perflint.rule import Invalid, Rule
from perflint.ruleutil import first_arg, names_in

# Django model fields that hold a relation: reading them on an instance runs a query.
_RELATION_FIELDS = ("ForeignKey", "OneToOneField", "ManyToManyField", "ParentalKey")
# A queryset that loads its relations up front: no query per item.
_PRELOAD = ("select_related", "prefetch_related", "values", "values_list", "only", "defer", "iterator")
# Instance attributes that never follow a relation.
_NOT_RELATIONS = {"pk", "id", "_meta", "_state", "objects", "DoesNotExist", "MultipleObjectsReturned"}
# Functions whose job is to run a list of statements once (schema setup, migrations).
_SETUP_WORDS = ("migrat", "setup", "set_up", "create_table", "create_schema", "init_db", "initdb",
                "install", "bootstrap", "upgrade", "downgrade", "create_all", "drop_all", "load_fixture")


class QueryInLoop(Rule):
    """
    A database query per item of a loop (the N+1 query problem).

    ## What it does
    Flags a query that runs once per iteration: `cursor.execute(...)`/`conn.execute(...)`,
    SQLAlchemy `session.get/execute/query/scalars(...)`, Django
    `Model.objects.get/filter/...(...)` and peewee `Model.get(...)`/`get_or_none`/
    `get_by_id`, inside a loop or in a function that a loop reaches through the call
    graph (the trace shows the loop). It also flags reading a relation on each item of a
    Django queryset built without `select_related`/`prefetch_related`
    (`for b in Book.objects.all(): b.author.name`) when the relation is declared as a
    `ForeignKey`/`OneToOneField`/`ManyToManyField` in the scanned code.

    ## Why is this slow
    Each query is a round trip: parse, plan, lock, send, wait. A loop of 1,000 lookups by
    id costs 1,000 round trips where one `WHERE id IN (...)` or a JOIN costs one; over a
    network each round trip is a millisecond or more, so the loop, not the database, is
    the bottleneck.

    ## Example
    ```python
    def authors_of(conn, book_ids):
        names = []
        for book_id in book_ids:
            row = conn.execute("SELECT author FROM books WHERE id = ?", (book_id,)).fetchone()
            names.append(row[0])
        return names
    ```

    ## Use instead
    ```python
    def authors_of(conn, book_ids):
        marks = ",".join("?" * len(book_ids))
        rows = conn.execute(f"SELECT author FROM books WHERE id IN ({marks})", book_ids)
        return [author for (author,) in rows]
    # Django: Book.objects.filter(id__in=ids).select_related("author")
    ```

    ## Notes
    Not reported: iterating over the result of one query (`for row in cur.execute(q)`),
    `executemany` (the batched API), a loop that runs a list of different statements
    (`for sql in statements: cur.execute(sql)`), a thin wrapper that executes the SQL
    it is given (its callers are checked instead) and functions named like setup or
    migration steps.
    """

    CODE = "PFL503"
    NAME = "query-in-loop"
    FAMILY = "fastpath"
    FIX = "fetch all items with one query (WHERE ... IN, a JOIN, select_related/prefetch_related) before the loop"
    TRIGGERS = ("execute", "objects", "_manager", "session", "sess", "get_or_none", "get_by_id", ".get(")
    VALID = [
        # One query, iterated.
        "def names(cur):\n    for row in cur.execute('SELECT name FROM t'):\n        print(row[0])\n",
        # The batched API.
        "def load(cur, rows):\n    cur.executemany('INSERT INTO t VALUES (?)', rows)\n",
        # A list of different statements, each once.
        "def apply(cur, statements):\n    for sql in statements:\n        cur.execute(sql)\n",
        # A dict lookup that only looks like a query.
        "def f(db, keys):\n    return [db.get(k) for k in keys]\n",
        # Relations loaded up front.
        "from django.db import models\n"
        "class Book(models.Model):\n    author = models.ForeignKey('Author', on_delete=models.CASCADE)\n"
        "def titles():\n    for b in Book.objects.select_related('author'):\n        print(b.author.name)\n",
        # A query per call of a function nothing calls in a loop.
        "def one(session, User, uid):\n    return session.get(User, uid)\n",
    ]
    INVALID = [
        Invalid("def authors(conn, ids):\n    out = []\n    for i in ids:\n"
                "        out.append(conn.execute('SELECT a FROM b WHERE id = ?', (i,)).fetchone())\n"
                "    return out\n", line=4),
        Invalid("def owners(pets):\n    return [Owner.objects.get(pk=p.owner_id) for p in pets]\n", line=2),
        Invalid("def load(session, ids):\n    for i in ids:\n        user = session.get(User, i)\n        yield user\n", line=3),
        Invalid(
            "from django.db import models\n"
            "class Author(models.Model):\n    name = models.CharField(max_length=50)\n"
            "class Book(models.Model):\n    author = models.ForeignKey(Author, on_delete=models.CASCADE)\n"
            "def titles():\n    for b in Book.objects.all():\n        print(b.author.name)\n",
            line=8,
        ),
        Invalid(
            "def price(cur, item_id):\n"
            "    return cur.execute('SELECT price FROM items WHERE id = ?', (item_id,)).fetchone()\n"
            "def total(cur, order):\n"
            "    return sum(price(cur, i) for i in order)\n",
            line=2,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._relations: Dict[str, Set[str]] = {}  # model class in this file -> relation fields
        self._querysets: List[Dict[str, Tuple[str, bool]]] = []  # per function: local -> (model, preloaded)
        self._active: List[Tuple[str, str, bool, cst.CSTNode]] = []  # (target, model, preloaded, loop)
        self._reported: Set[Tuple[int, str]] = set()
        self._peewee = False

    # -- models declared in this file -------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self._peewee = "peewee" in self.ctx.source or "playhouse" in self.ctx.source
        if "ForeignKey" not in self.ctx.source and "ManyToMany" not in self.ctx.source and "OneToOne" not in self.ctx.source:
            return
        for stmt in node.body:
            if not isinstance(stmt, cst.ClassDef):
                continue
            fields = set()
            for item in stmt.body.body:
                if not isinstance(item, cst.SimpleStatementLine):
                    continue
                for small in item.body:
                    if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                        called = dotted_text(small.value.func) or ""
                        if called.split(".")[-1] in _RELATION_FIELDS:
                            for target in small.targets:
                                if isinstance(target.target, cst.Name):
                                    fields.add(target.target.value)
            if fields:
                self._relations[stmt.name.value] = fields

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._querysets.append({})

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._querysets.pop()

    # -- queries ----------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        found = self._query(node)
        if found is None:
            return
        kind, sql = found
        fn = self.ctx.function
        if fn is None:
            return  # module level runs once (loops there are ignored unless under __main__)
        lowered = fn.name.lower()
        if any(word in lowered for word in _SETUP_WORDS):
            return  # a schema or migration step runs its statements once
        if sql is not None and self._names_loop_variable(sql):
            return  # for sql in statements: cur.execute(sql) -- each statement runs once
        if not self.ctx.loops and isinstance(sql, cst.Name) and sql.value in fn.params:
            return  # a wrapper that executes what it is given: its callers are the loop
        what = _describe(node, kind)
        where = "per iteration" if self.ctx.loops else "per call, and its callers run it in a loop"
        self.report(node, f"{what} runs {where}: one database round trip per item (N+1 queries)",
                    requires=("repeated",))

    def _query(self, node: cst.Call) -> Optional[Tuple[str, Optional[cst.BaseExpression]]]:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        parts = dotted_parts(func)
        if parts is None:
            # conn.cursor().execute(sql)
            inner = func.value
            if (method == "execute" and isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute)
                    and inner.func.attr.value == "cursor"):
                return "sql", first_arg(node)
            return None
        if len(parts) < 2:
            return None
        receiver = parts[-2]
        if method == "execute" and DB_RECEIVER.search(receiver):
            return "sql", first_arg(node)
        orm = orm_query(parts)
        if orm is not None:
            if orm == "sqlalchemy" and method == "get" and len(node.args) < 2:
                return None  # session.get(key): a dict-like store, not Session.get(Model, pk)
            return orm, first_arg(node) if method == "execute" else None
        if (method == "get" and self._peewee and receiver[:1].isupper() and len(parts) == 2
                and any(isinstance(a.value, cst.Comparison) for a in node.args)):
            return "peewee", None  # User.get(User.name == name)
        return None

    def _names_loop_variable(self, sql: cst.BaseExpression) -> bool:
        """The statement itself comes from an enclosing loop's variable."""
        expr = sql
        while isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        if not isinstance(expr, cst.Name):
            return False
        return expr.value in self._loop_targets()

    def _loop_targets(self) -> Set[str]:
        names: Set[str] = set()
        for anc in reversed(self.ctx.stack):
            if isinstance(anc, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                break
            if isinstance(anc, cst.For):
                names |= names_in(anc.target)
            elif isinstance(anc, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
                comp = anc.for_in
                while comp is not None:
                    names |= names_in(comp.target)
                    comp = comp.inner_for_in
        return names

    # -- relations read per item of a queryset ----------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._querysets or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        qs = _queryset(node.value)
        name = node.targets[0].target.value
        if qs is not None:
            self._querysets[-1][name] = qs
        else:
            self._querysets[-1].pop(name, None)

    def visit_For(self, node: cst.For) -> None:
        if not isinstance(node.target, cst.Name):
            return
        qs = _queryset(node.iter)
        if qs is None and isinstance(node.iter, cst.Name) and self._querysets:
            qs = self._querysets[-1].get(node.iter.value)
        if qs is not None and not qs[1]:
            self._active.append((node.target.value, qs[0], qs[1], node))

    def leave_For(self, node: cst.For) -> None:
        if self._active and self._active[-1][3] is node:
            self._active.pop()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self._active:
            return
        inner = node.value
        if not (isinstance(inner, cst.Attribute) and isinstance(inner.value, cst.Name)):
            return
        for target, model, _, loop in reversed(self._active):
            if inner.value.value != target:
                continue
            field = inner.attr.value
            if field in _NOT_RELATIONS or field.startswith("get_") or (id(loop), field) in self._reported:
                return
            local = self._relations.get(model)
            if local is not None:
                if field not in local:
                    return
                requires: Tuple[str, ...] = ("repeated",)
                confidence = "high"
            elif model in self._model_classes():
                return  # the model is defined here and the field is not a relation
            else:
                requires = ("repeated", f"flag:{field}")
                confidence = "medium"
            self._reported.add((id(loop), field))
            self.report(node, f"{target}.{field} reads a relation of each {model} of a queryset built without "
                              f"select_related/prefetch_related: one query per item (N+1)",
                        fix=f"add .select_related('{field}') (or prefetch_related) to the queryset",
                        confidence=confidence, requires=requires)
            return

    def _model_classes(self) -> Set[str]:
        return set(self.ctx.summary.classes)


def _queryset(expr: cst.BaseExpression) -> Optional[Tuple[str, bool]]:
    """(model, preloaded) for `Model.objects.<method>(...)...` chains."""
    preloaded = False
    while True:
        if isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Attribute):
                if expr.func.attr.value in _PRELOAD:
                    preloaded = True
                expr = expr.func.value
                continue
            return None
        if isinstance(expr, cst.Attribute):
            if expr.attr.value == "objects" and isinstance(expr.value, cst.Name):
                return expr.value.value, preloaded
            expr = expr.value
            continue
        return None


def _describe(node: cst.Call, kind: str) -> str:
    text = dotted_text(node.func)
    if text is None and isinstance(node.func, cst.Attribute):
        text = "cursor()." + node.func.attr.value
    return f"{text}()"
