"""PFL503 query-in-loop."""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_parts, dotted_text
from perflint.djangomodels import RELATION_FIELDS
from perflint.effects import DB_RECEIVER, DJANGO_MANAGERS, DJANGO_QUERY_METHODS, SESSION_RECEIVER, orm_query
from perflint.nodes import iter_children, names_below, own_nodes
from perflint.sqlamodels import LAZY_DYNAMIC, Model, file_models, lazy_reads, loader_cover, loading_helper
from perflint.repetition import per_attempt
from perflint.rule import Invalid, Rule
from perflint.ruleutil import (QUERYSET_API, first_arg, locks_rows, loop_target_names, method_name, names_in,
                               queryset_chain, sql_text, tests_fresh_state)

# Instance attributes that never follow a relation.
_NOT_RELATIONS = {"pk", "id", "_meta", "_state", "objects", "DoesNotExist", "MultipleObjectsReturned"}
_TOOLING_CLASS = re.compile(r"(introspect|inspector|schema_?editor|migrat|dialect)", re.I)
_GROUPERS = {"groupby", "chunks", "chunked", "batched", "batches", "grouper", "partition", "in_chunks", "iter_chunks"}
_CHUNK_NAME = re.compile(r"(chunk|batch|bulk)", re.I)
# Functions whose job is to run a list of statements once (schema setup, migrations).
_SETUP_WORDS = ("migrat", "setup", "set_up", "create_table", "create_schema", "init_db", "initdb",
                "install", "bootstrap", "upgrade", "downgrade", "create_all", "drop_all", "load_fixture",
                "reflect", "introspect")


_BATCHING = re.compile(r"\b(executemany|bulk_create|bulk_update|bulk_insert_mappings|bulk_save_objects)\b")


def _function_batches(ctx, call: cst.Call) -> bool:
    """Whether the enclosing function also batches: calls executemany/bulk_*, or executes the
    same statement elsewhere too (with a list of parameter sets). Rare path: codegen is fine."""
    for node in reversed(ctx.stack):
        if isinstance(node, cst.FunctionDef):
            code = cst.Module([]).code_for_node(node)
            if _BATCHING.search(code):
                return True
            statement = dotted_text(call.args[0].value) if call.args else None
            if statement and isinstance(call.func, cst.Attribute):
                pattern = re.compile(r"\.%s\(\s*%s\b" % (re.escape(call.func.attr.value), re.escape(statement)))
                return len(pattern.findall(code)) >= 2
            return False
    return False


# The files whose calls are judged as queries. "relationship" and ".query" (SQLAlchemy models and
# Flask-SQLAlchemy's `Model.query`) bring in files for the lazy-relationship form alone: the
# other forms keep their reach (ckan's `meta.Session.query()` per config key, a dozen keys per
# admin reset, would otherwise become warnings).
_QUERY_TRIGGERS = ("execute", "objects", "_manager", "session", "sess", "get_or_none", "get_by_id", ".get(", "treebeard",
                   "wagtail")


class QueryInLoop(Rule):
    """
    A database query per item of a loop (the N+1 query problem).

    ## What it does
    Flags a query that runs once per iteration: `cursor.execute(...)`/`conn.execute(...)`,
    SQLAlchemy `session.get/execute/query/scalars(...)`, Django
    `Model.objects.get/filter/...(...)` and peewee `Model.get(...)`/`get_or_none`/
    `get_by_id`, inside a loop or in a function that a loop reaches through the call
    graph (the trace shows the loop). It also flags a per-row call of the class's own
    write method (`self.update(pk, values)`, `self.insert(row)`) whose body executes a
    statement. It also flags reading a relation on each item of a
    Django queryset built without `select_related`/`prefetch_related`
    (`for b in Book.objects.all(): b.author.name`) when the relation is declared as a
    `ForeignKey`/`OneToOneField`/`ManyToManyField` in the scanned code (not one the loop
    has just set on the item: `item.last_task = dispatch(...)` then `item.last_task.pk`
    reads the object it holds). Likewise a reverse relation's manager queried per item of such
    a queryset (`for d in Document.objects.all(): d.revisions.filter(...)`), under Django's
    default `<model>_set` name or the `related_name` a relation field of the scanned code
    declares for that model, in any module (`%(class)s`, `%(model_name)s` and `%(app_label)s`
    expanded for each concrete model that holds the field; `"+"` declares none). A loop over
    a slice of the queryset (`docs = docs[:max]`, taken or not) walks the chain it slices, and
    a `prefetch_related` of the relation in an earlier binding of it (`docs = docs.filter(...)`
    after `docs = Doc.objects.prefetch_related("revisions")`) still serves `.all()`. A method of
    the model's own queryset or manager class that the chain calls loads what its body names to
    `select_related`/`prefetch_related`, as if the chain spelled it: `Billing.objects.prefetch()`
    with `objects = BillingQuerySet.as_manager()` (or `BillingManager.from_queryset(
    BillingQuerySet)()`, or a `BillingManager()` whose `get_queryset` selects it) and
    `def prefetch(self): return self.prefetch_related("plan")` reads `b.plan` from what was
    loaded (weblate's billing list, labelled FALSE in session 31); a relation the method does
    not name, or prefetches into another attribute (`Prefetch("plan", to_attr="plans")`), is
    still reported. In a file that
    imports django-treebeard or wagtail (whose `Page` is a treebeard node), a tree node's
    query method (`get_parent()`, `get_next_sibling()`, `get_children_count()`, ...) called
    in a loop on a node the loop rebinds is a query per node: `page = page.get_parent()` up
    to the root is one SELECT per level, where `page.get_ancestors()` is one for all.
    `get_children_count()` counts only for adjacency-list and nested-set trees: a
    materialised-path node (treebeard's `MP_Node`, every wagtail `Page`) reads its
    `numchild` column.

    It also reads SQLAlchemy declarative models: a class attribute assigned `relationship(...)`
    (`sqlalchemy.orm`, or Flask-SQLAlchemy's `db.relationship`) that loads lazily (no `lazy=`,
    `lazy="select"` or `True`; `lazy="dynamic"` returns a query, so each use is a query too),
    read per row of a loop over a query of its model (`session.query(M)`, `M.query`,
    `session.scalars(select(M))`, or a local the function rebuilds through `.filter(...)`,
    `.order_by(...)`, `.limit(...)` or a helper it hands the query to) whose `options()` load no
    such relationship (`joinedload`, `selectinload`, `subqueryload`, `immediateload`,
    `contains_eager`; `noload` and `raiseload` load nothing). The read may be direct
    (`row.children`) or in a method or property of the model that reads `self.children`
    (`[r.to_document_dict() for r in query]`): that finding is at the looped call, and its
    trace ends at the read in the method. The model must be a class of the file that holds
    the loop.

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
    `executemany` (the batched API) and a list of parameter sets passed to `execute`
    (a comprehension, or a display of two or more tuples or dicts; a flat list such as
    `[name, value]` is one row's parameters, and `[row_dict]` a batch of one),
    one query per page (`LIMIT`/`OFFSET`), per chunk or per `groupby` group, a loop that
    runs a list of different statements (`for sql in statements: cur.execute(sql)`, or a
    table name formatted into the SQL), lazy querysets that are never evaluated, a thin
    wrapper that executes the SQL it is given (its callers are checked instead), test
    code, functions named like setup or migration steps, and schema introspection,
    migration and dialect classes. Transaction control and schema statements
    (`execute("COMMIT")`, `CREATE TABLE ...`) are not queries to batch (a commit per row is
    PFL402's). `self.objects.get()` is an object's own mapping (Django managers are not
    reachable from instances), and `session.get(...)` is SQLAlchemy's `Session.get` only
    with a class first (`session.get(User, pk)`), not a requests session's `get(url)` or
    a web session's `get(key, default)`. A call to an in-repo `execute()` counts only if that
    method (or what it calls) runs an external query: a wrapper around a DB-API cursor
    does, an in-process database engine's own `Session.execute()` does not. A per-row
    loop in a function that also batches (`executemany`, `bulk_create`, ..., or the same
    statement executed elsewhere with a list of parameter sets) is a
    deliberate fallback (row-count checks that need one statement at a time) and is not
    reported either.

    SQLAlchemy's `session.merge(obj)` is not a query: for an object the session already
    holds (loaded in the same session, as in a loop over a query's results) it finds it in
    the identity map, and the changes go out in the one flush at commit.
    A re-read that the code tests at once to stop (`session.refresh(query)`, then `if
    query.status == STOPPED: return`, or `return query.status == STOPPED` in a check
    function) sees a stop another process asks for: it must run each pass (Superset's SQL
    Lab, labelled FALSE in run 12).
    A reload of the object in hand (`child = Category.objects.get(pk=child.pk)`, `x =
    session.get(Model, x.id)`) fetches the state the previous pass changed: rows fetched
    before the loop would be stale (Misago's category tree moves, labelled FALSE in run 14).
    A query that already takes a batch is not N+1 either: a chunk loop
    (`for i in range(0, len(ids), step)` whose body slices `ids[i:i + step]`), a filter
    `.in_(...)`, `__in=`, `IN %s` or `= ANY(%s)` over a slice or over the loop's own item
    (the loop walks chunks) or over the ids of such a group or of the rows the pass collected
    (`pk__in=[q.pk for q in group]`, `(u.pk for u in to_update)` appended in an inner loop:
    pretix's sync queue and weblate's bulk edit, labelled FALSE in run 12), and a second argument to `execute()` that the function builds as
    a list (a comprehension, `list(...)`, or appended to in a loop before the call): one
    statement per chunk or for all rows. A query in no loop of its own that filters with `IN`
    over a collection (not a literal of one item) is a batch lookup: a caller's loop runs it once
    per batch, not once per row (Airflow's `DagCode.bulk_sync_to_db`, labelled FALSE in run 8).
    An `IN` over a constant next to a per-item condition
    (`filter(T.state.in_(STATES), T.user_id == item.id)`) is still one query per item.
    Keyset paging is one query per page too: a `while` loop running a statement with
    `.limit(n)` (n not 1), in the call or in the statement the function built before the
    loop (`query = select(T).order_by(T.id).limit(batch_size)` then
    `session.execute(query.where(T.id > last))`: prefect's cleanup services, labelled FALSE in
    run 9). A write through a related manager (`group.projects.add(p)`, `.set()`, `.remove()`,
    `.clear()`) is not a relation read: `select_related` cannot remove it. A per-item
    `Model.objects.create()` of a model of the scanned code that overrides `save()` is not
    reported (`get_or_create`/`update_or_create` still are: their fix reads the existing rows
    once and writes the rest in bulk): `bulk_create()` skips `save()`, so the
    suggested fix would drop what it does (weblate's `AuditLog` queues mail, pretix's
    `QuestionOption` numbers itself; labelled FALSE in run 9). Nor is a read that locks its
    row (`select_for_update()`, `with_for_update()`, `lock_for_update=True`, `FOR UPDATE`, a
    project helper named like `with_row_locks()`): a
    lock per item is deliberate, and one query for all items would hold every lock for the
    whole loop (Airflow's backfill re-reads each task instance under a lock, pretix locks
    each order: labelled FALSE in runs 8 and 9). Likewise a query run after its caller
    locked a row, in the same block (`with transaction.atomic(): o = Order.objects.
    select_for_update().get(pk=pk)`, then a call that queries; a lock in both branches of an
    `if`/`else` counts): it reads the locked state, so a loop of the callers whose every pass
    reaches it through such a lock takes one lock per pass, and fetching for all passes before
    that loop would read outside the locks. Each chain counts its passes from the lock (the
    loops inside the locked block still multiply); a chain without one counts as before
    (pretix's `OrderChangeManager.commit` locks the order, then recounts its transactions, per
    order of `cancel_event`: labelled FALSE in session 26). An INSERT per row in a loop that reads each
    new row's id (`r.inserted_primary_key`, `cursor.lastrowid`) is not reported: a multi-row
    INSERT cannot return the ids through every DB-API (buildbot's build requests).
    Nor is a query that decides an attempt: in a retry loop or a loop that draws a random
    value until it is unused (`while User.objects.filter(username=name).exists(): name =
    ...`) or tries candidates until one is free (`while <query of ts>: ts += step`, a helper's
    code checked until unused), or in a function that every repeating caller calls per attempt of one (an invoice
    number read per try of a `for i in range(10)` insert). Its answer changes with each try,
    so it cannot be fetched before the loop, and the loop runs once per call (weblate's
    deleted-user names, pretix's invoice numbers: labelled FALSE in run 9).
    Nor is a query in a function that only a protocol dunder's role repeats (`__len__`,
    `__getitem__`, `__bool__` of a lazy collection, with no data loop of the scanned code on
    the way): one COUNT per `len()` or one page per slice is the collection's design, and the
    loop to fetch before is its user's (Mailman's `QuerySequence`, labelled FALSE in run 11).
    Nor is a query on the model the loop picks (`for storage_class in storage_classes:
    storage_class.objects.filter(project=p)`, `session.query(model)` per model): each pass
    reads another table, and no one query reads them together (Label Studio's storages,
    labelled FALSE in run 11), whether the loop names the model itself, binds it in the pass
    (`model = ct.model_class()`, `model = form.Meta.model`) or asks for it on the spot
    (`ct.model_class().objects.filter(...)`: Nautobot's and Wagtail's checks per content type,
    labelled FALSE in run 12).

    For SQLAlchemy, not reported: a relationship declared eager (`lazy="joined"`, `"selectin"`,
    `"subquery"`, `"immediate"`, `False`), one that loads nothing (`"noload"`, `None`, `"raise"`,
    `"raise_on_sql"`, `"write_only"`) or a `lazy=` that is not a literal; a backref (declared on
    the other class); a relationship the loop or the method sets or writes through
    (`row.tags.append(t)`, a dynamic relationship's `.filter_by(...).update(...)`); a loop
    that deletes each row (`session.delete(row)`: the flush loads its collections for the cascade
    anyway; flexget's remove_series, labelled FALSE in session twenty-three); a loop
    over a list or a parameter (the caller may have loaded the relationships); a query whose
    options cannot be read (an option held in a name, a `"*"` wildcard), or that passes through a
    helper named like loading (`with_options(query)`) or one of the file that calls `options()`;
    and a model of another module: its relationships' laziness is not in the summaries, and
    judged through its methods alone the form flagged Superset's deck.gl layers (`slc.data` for a
    handful of charts, each computing its visualisation beside one lazy read: PLAUSIBLE in
    session twenty-three).
    """

    CODE = "PFL503"
    COST = "query-roundtrip-network"  # perflint/costs.py; measured by bench/costs.py
    NAME = "query-in-loop"
    FAMILY = "fastpath"
    FIX = "fetch all items with one query (WHERE ... IN, a JOIN, select_related/prefetch_related) before the loop"
    TRIGGERS = _QUERY_TRIGGERS + ("relationship", ".query")
    VALID = [
        # `self.objects` is the object's own dict: Django managers are not reachable from instances.
        "class Domain:\n    def find(self, names):\n        return [self.objects.get(n) for n in names]\n",
        # An HTTP session (requests) or a web session's mapping: `get(url)`, `get(key, default)`.
        "def fetch(session, urls):\n    return [session.get(u, timeout=5) for u in urls]\n",
        "def tokens(session, keys):\n    return [session.get(k, None) for k in keys]\n",
        # One table per pass: each content type's own model, so no one query reads them all.
        "def in_use(tag, content_types):\n    for ct in content_types:\n        model = ct.model_class()\n"
        "        if model.objects.filter(tags=tag).exists():\n            return True\n",
        # Transaction control and DDL per table: nothing to fetch at once.
        "def archive(cur, tables):\n    for t in tables:\n        cur.execute('COMMIT')\n",
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
        # A reverse relation prefetched in an earlier binding of the queryset, then sliced.
        "from django.db import models\n"
        "class Doc(models.Model):\n    title = models.CharField(max_length=9)\n"
        "class Rev(models.Model):\n    doc = models.ForeignKey(Doc, on_delete=models.CASCADE, related_name='revisions')\n"
        "def latest(limit):\n    docs = Doc.objects.prefetch_related('revisions')\n"
        "    docs = docs.filter(live=True)[:limit]\n"
        "    for d in docs:\n        print(list(d.revisions.all()))\n",
        # `related_name="+"`: the model has no reverse manager of that name.
        "from django.db import models\n"
        "class Doc(models.Model):\n    title = models.CharField(max_length=9)\n"
        "class Rev(models.Model):\n    doc = models.ForeignKey(Doc, on_delete=models.CASCADE, related_name='revisions+')\n"
        "def latest():\n    for d in Doc.objects.all():\n        print(d.revisions.first())\n",
        # A SQLAlchemy relationship loaded with the rows.
        "from sqlalchemy.orm import relationship, selectinload\n"
        "class Author(Base):\n    books = relationship('Book')\n"
        "def titles(session):\n    for a in session.query(Author).options(selectinload(Author.books)):\n"
        "        print([b.title for b in a.books])\n",
        # Eager by default.
        "from sqlalchemy.orm import relationship\n"
        "class Author(Base):\n    books = relationship('Book', lazy='selectin')\n"
        "def titles(session):\n    for a in session.query(Author):\n        print(len(a.books))\n",
        # A method named update() that does not query.
        "class Counter:\n    def update(self, k):\n        self.n[k] = self.n.get(k, 0) + 1\n"
        "    def feed(self, keys):\n        for k in keys:\n            self.update(k)\n",
        # Several parameter sets in one call.
        "def load(conn, t, rows):\n    for chunk in rows:\n        conn.execute(t.insert(), [{'a': 1}, {'a': 2}])\n",
        # A batch lookup per call: the caller's loop runs it once per batch (airflow's
        # bulk_sync_to_db, one SELECT ... WHERE fileloc_hash IN (...) per call).
        "def codes(session, T, locs):\n    return session.scalars(select(T).where(T.loc.in_(locs))).all()\n"
        "def sync(session, T, groups):\n    for g in groups:\n        codes(session, T, g)\n",
        # A query per call of a function nothing calls in a loop.
        "def one(session, User, uid):\n    return session.get(User, uid)\n",
        # merge() of objects the session holds: identity map, one flush at commit.
        "def reset(session, select, TI):\n    for ti in session.scalars(select(TI)):\n        ti.state = None\n"
        "        session.merge(ti)\n    session.commit()\n",
        # A chunk loop: one DELETE per slice of the ids.
        "def purge(session, T, ids, step):\n    for i in range(0, len(ids), step):\n"
        "        session.query(T).filter(T.id.in_(ids[i : i + step])).delete()\n",
        # The loop's item is itself a batch of ids.
        "def purge(session, T, batches):\n    for batch_ids in batches:\n"
        "        session.query(T).filter(T.id.in_(batch_ids)).delete()\n",
        "def purge(T, groups):\n    for ids in groups:\n        T.objects.filter(pk__in=ids).delete()\n",
        "def purge(cur, groups):\n    for ids in groups:\n        cur.execute('DELETE FROM t WHERE id = ANY(%s)', (ids,))\n",
        # A list of rows built before the call: executemany semantics.
        "def copy(conn, table, queue):\n    while True:\n        rows = queue.get()\n"
        "        row_dicts = [dict(r) for r in rows]\n        row_dicts = check(row_dicts)\n"
        "        conn.execute(table.insert(), row_dicts)\n",
        "def copy(conn, table, pages):\n    for page in pages:\n        out = []\n        for r in page:\n"
        "            out.append(dict(r))\n        conn.execute(table.insert(), out)\n",
        # Paging through a query builder: one SELECT per page of 100.
        "def rotate(session, select, M):\n    offset = 0\n    while True:\n        query = select(M)\n"
        "        query = query.offset(offset).limit(100)\n        items = session.scalars(query).all()\n"
        "        if not items:\n            break\n        offset += 100\n",
    ]
    INVALID = [
        # An IN over a literal of one item per call: one query per item of the caller's loop.
        Invalid("def price(session, T, item_id):\n"
                "    return session.scalars(select(T).where(T.id.in_([item_id]))).all()\n"
                "def total(session, T, order):\n    return [price(session, T, i) for i in order]\n", line=2),
        Invalid("def authors(conn, ids):\n    out = []\n    for i in ids:\n"
                "        out.append(conn.execute('SELECT a FROM b WHERE id = ?', (i,)).fetchone())\n"
                "    return out\n", line=4),
        # The table's own update() per row.
        Invalid("class Table:\n    def update(self, pk, values):\n"
                "        self.db.execute('UPDATE t SET v = ? WHERE id = ?', (values, pk))\n"
                "    def extract(self, rows):\n        for row in rows:\n            self.update(row[0], row[1])\n",
                line=6),
        # A flat list is one row's parameters, not a batch.
        Invalid("def save(db, values):\n    for name, value in values.items():\n"
                "        db.execute('INSERT INTO m VALUES (?, ?)', [name, value])\n", line=3),
        # A batch of one per row.
        Invalid("def load(conn, table, rows):\n    insert = table.insert()\n    for row in rows:\n"
                "        conn.execute(insert, [dict(row)])\n", line=4),
        Invalid("def owners(pets):\n    return [Owner.objects.get(pk=p.owner_id) for p in pets]\n", line=2),
        Invalid("def load(session, ids):\n    for i in ids:\n        user = session.get(User, i)\n        yield user\n", line=3),
        # An IN over a constant, next to a condition on the loop's item: one query per item.
        Invalid("def open_orders(session, T, users, STATES):\n    for u in users:\n"
                "        yield session.query(T).filter(T.status.in_(STATES), T.user_id == u.id).all()\n", line=3),
        # A loop over the items whose body slices something else: still per item.
        Invalid("def f(session, T, ids, names):\n    for i in range(0, len(ids), 10):\n"
                "        session.query(T).filter(T.id == ids[i]).all()\n", line=3),
        # One row's dict, appended to, but built in the same loop as the execute: per item.
        Invalid("def load(conn, table, rows):\n    for row in rows:\n        one = dict(row)\n"
                "        conn.execute(table.insert(), one)\n", line=4),
        Invalid(
            "from django.db import models\n"
            "class Author(models.Model):\n    name = models.CharField(max_length=50)\n"
            "class Book(models.Model):\n    author = models.ForeignKey(Author, on_delete=models.CASCADE)\n"
            "def titles():\n    for b in Book.objects.all():\n        print(b.author.name)\n",
            line=8,
        ),
        # A reverse manager under its declared related_name, per item of a sliced queryset.
        Invalid(
            "from django.db import models\n"
            "class Doc(models.Model):\n    title = models.CharField(max_length=9)\n"
            "class Rev(models.Model):\n    doc = models.ForeignKey(Doc, on_delete=models.CASCADE, related_name='revisions')\n"
            "def latest(limit):\n    docs = Doc.objects.order_by('title')\n    if limit:\n        docs = docs[:limit]\n"
            "    for d in docs:\n        print(d.revisions.first())\n",
            line=11,
        ),
        # A lazy SQLAlchemy relationship read in a method of the row's class, per row.
        Invalid(
            "from sqlalchemy.orm import relationship\n"
            "class Author(Base):\n    books = relationship('Book')\n"
            "    def to_dict(self):\n        return {'books': [b.title for b in self.books]}\n"
            "def listing(session):\n    return [a.to_dict() for a in session.query(Author).limit(100)]\n",
            line=7,
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
        # per function: local -> (model, preloaded, the methods its chain calls)
        self._querysets: List[Dict[str, Tuple[str, bool, Tuple[str, ...]]]] = []
        self._active: List[Tuple[str, str, Tuple[str, ...], cst.CSTNode]] = []  # (target, model, methods, loop)
        self._reported: Set[Tuple[int, str]] = set()
        self._assigned: List[Dict[str, cst.BaseExpression]] = []  # per function: local -> last value
        self._loop_assigned: List[Set[str]] = [set()]  # per function: names bound inside a loop
        self._all_assigned: List[Dict[str, List[cst.BaseExpression]]] = []  # per function: local -> every value so far
        self._appended: List[Dict[str, List[Tuple[int, ...]]]] = []  # per function: list -> loops of its appends
        # SQLAlchemy: models of this file, the lazy reads of each model method, the `self.rel`
        # nodes of those reads (their function has the lazy-load effect), the loops over rows
        self._module: Optional[cst.Module] = None
        self._models: Dict[str, Model] = {}
        self._method_reads: Dict[Tuple[str, str], List[Tuple[str, cst.Attribute]]] = {}
        self._lazy_nodes: Set[int] = set()
        self._rows: List[_Rows] = []
        source = ctx.source
        self._calls = any(t in source for t in _QUERY_TRIGGERS)

    # -- models declared in this file -------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self._module = node
        self._models = file_models(node, self.ctx.resolve, self.ctx.source)
        for model in self._models.values():
            lazy = {name for name, kind in model.relations.items() if kind}
            for name, method in model.methods.items():
                reads = lazy_reads(method, lazy)
                if reads:
                    self._method_reads[(model.name, name)] = reads
                    self._lazy_nodes.update(id(n) for _, n in reads)
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
                        if called.split(".")[-1] in RELATION_FIELDS:
                            for target in small.targets:
                                if isinstance(target.target, cst.Name):
                                    fields.add(target.target.value)
            if fields:
                self._relations[stmt.name.value] = fields

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._querysets.append({})
        self._assigned.append({})
        self._loop_assigned.append(set())
        self._all_assigned.append({})
        self._appended.append({})

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._querysets.pop()
        self._assigned.pop()
        self._loop_assigned.pop()
        self._all_assigned.pop()
        self._appended.pop()

    # -- queries ----------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if not self._calls:
            return
        func = node.func
        if (self._appended and self.ctx.loops and isinstance(func, cst.Attribute) and func.attr.value in ("append", "extend")
                and isinstance(func.value, cst.Name)):
            loops = tuple(id(loop) for loop in self.ctx.loop_nodes)
            self._appended[-1].setdefault(func.value.value, []).append(loops)
        found = self._query(node)
        if found is None:
            if self.ctx.loops and self._reverse_set_query(node):
                return
            self._own_write(node)
            return
        kind, sql = found
        fn = self.ctx.function
        if fn is None or self.ctx.is_test:
            return  # module level runs once; a test's loop says nothing about production
        lowered = fn.name.lower()
        if any(word in lowered for word in _SETUP_WORDS):
            return  # a schema or migration step runs its statements once
        if _TOOLING_CLASS.search(self.ctx.class_qualname or ""):
            return  # schema introspection and migration classes: tooling that runs once per command
        if kind in ("django", "sqlalchemy") and not self._evaluated(node, _EAGER_DJANGO if kind == "django" else _EAGER):
            return  # a lazy queryset (filter/exclude/query) that is never run here
        if self.ctx.loops and self._batched(node):
            return  # one statement per chunk or group of rows: that is the batched form
        if kind == "sqlalchemy" and method_name(node) == "refresh" and node.args and \
                type(node.args[0].value) is cst.Name and tests_fresh_state(self.ctx, node, node.args[0].value.value):
            # `session.refresh(query)`, then `if query.status == STOPPED: return`: the check
            # for a stop another process asks for (Superset's SQL Lab, labelled FALSE in run 12)
            return
        if self.ctx.loops and self._reloads_target(node):
            # `child = Category.objects.get(pk=child.pk)`: a reload of the object in hand, for
            # the state the last pass changed (Misago's tree moves, labelled FALSE in run 14):
            # rows fetched before the loop would be stale
            return
        if self.ctx.loops and self._per_table(node):
            return  # `for model in models: model.objects.filter(...)`: another table each pass
        if self.ctx.loops and per_attempt(self.ctx.loops[-1].why):
            # the query decides an attempt (is this code unused? did the write go through?):
            # its answer changes with each try, so it cannot be fetched before the loop, and
            # the loop runs once per call (weblate's and pretix's unique codes, run 9 FALSE)
            return
        if any(locks_rows(part) for part in self._statement_parts(node) + [node]):
            return  # a locked read per item keeps each row lock short: one query for all would hold them all
        if not self.ctx.loops and self._batch_filter(node, per_call=True):
            return  # `WHERE id IN (ids)` per call: a batch lookup, its callers' loops run it per batch
        if sql is not None and self.ctx.loops and _PAGING.search(sql_text(sql)):
            return  # LIMIT/OFFSET paging: one query per page is the batched form
        if sql is not None and _NOT_A_QUERY.match(sql_text(sql)):
            return  # COMMIT/BEGIN or DDL: no rows to fetch together (a commit per row is PFL402's)
        if sql is not None:
            if self.ctx.loops and self._statement_varies(sql, loop_target_names(self.ctx) | self._loop_assigned[-1]):
                return  # for table in tables: cur.execute(f"DROP TABLE {table}") -- different statements
            if not self.ctx.loops and not self._fixed_statement(sql, fn.params):
                return  # a wrapper that executes the statement it is given: its callers are the loop
        what = _describe(node, kind)
        where = "per iteration" if self.ctx.loops else "per call, and its callers run it in a loop"
        # A function that also batches (executemany/bulk_*) keeps the per-row path as a
        # deliberate fallback (e.g. row-count checks that need one statement at a time):
        # not a finding.
        if self.ctx.loops and _function_batches(self.ctx, node):
            return
        local = kind == "sql" and _uses_sqlite(self.ctx)
        cost = "query-roundtrip" if local else "query-roundtrip-network"
        if _is_write(node, kind, sql, self._assigned[-1] if self._assigned else None):
            if self.ctx.loop_nodes and _INSERTED_IDS & set(names_below(self.ctx.loop_nodes[-1])):
                # the loop reads each new row's id (`r.inserted_primary_key`, `cur.lastrowid`):
                # a multi-row INSERT cannot return them portably (buildbot, labelled FALSE in run 8)
                return
            requires: Tuple[str, ...] = ("repeated", "callee-reaches:query", "!per-attempt", "!dunder-only", "!under-lock")
            model = self._saved_model(node, kind)
            if model is not None:
                requires += (f"!custom-save:{model}",)
            self.report(node, f"{what} runs {where}: one database round trip per item (a write per row)",
                        requires=requires, cost=cost, fix=WRITE_FIX)
            return
        self.report(node, f"{what} runs {where}: one database round trip per item (N+1 queries)",
                    requires=("repeated", "callee-reaches:query", "!per-attempt", "!dunder-only", "!under-lock"), cost=cost)

    def _reverse_set_query(self, node: cst.Call) -> bool:
        """`for app in groups: app.applink_set.filter(...)`: a reverse relation's manager (Django
        names it `<model>_set`, or the `related_name` its field declares, checked in phase 2)
        queried for each item of a queryset this function builds, which did not prefetch that
        relation, or prefetched it and then filters, annotates or orders the set per item,
        which bypasses the prefetched rows (django-admin-index's menu, kitsune's KB dashboard:
        fixed bugs). A loop over what a caller passes is not judged: the caller may prefetch."""
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _SET_QUERIES:
            return False
        manager = func.value
        if not (isinstance(manager, cst.Attribute) and isinstance(manager.value, cst.Name)):
            return False
        relation = manager.attr.value
        default = relation.endswith("_set")
        if not default and (relation in _NOT_RELATIONS or relation.startswith("_")):
            return False
        if self.ctx.function is None or self.ctx.is_test or not self._evaluated(node, _EAGER_DJANGO):
            return False
        if _ends_in_write(self.ctx.stack, node):
            return False  # `item.check_set.filter(...).delete()`: a write, which no prefetch saves
        item, method = manager.value.value, func.attr.value
        loop = next((anc for anc in reversed(self.ctx.stack) if isinstance(anc, cst.For)
                     and isinstance(anc.target, cst.Name) and anc.target.value == item), None)
        if loop is None:
            return False
        source, earlier, model = self._walked_chain(loop.iter)
        prefetched = _prefetched(source) if source is not None else None
        if prefetched is None:
            return False  # not a queryset built here
        prefetched |= earlier
        requires: Tuple[str, ...] = ("repeated",)
        if not default:
            if model is None:
                return False  # the model is not known: nothing to check the name against
            qualified = self.ctx.resolve(cst.Name(model)) or f"{self.ctx.summary.module}.{model}"
            requires += (f"reverse-name:{qualified}:{relation}",)
        if relation in prefetched and method in ("all", "count", "exists"):
            return True  # served from the prefetched rows
        # a declared name is a reverse manager only if phase 2 finds the field: its own key, so
        # that a forward relation of the same name (visit_Attribute) is still judged
        key = (id(loop), relation) if default else (id(loop), relation, "reverse")
        if key in self._reported:
            return True
        self._reported.add(key)
        how = "bypasses the prefetched rows and runs" if relation in prefetched else "runs"
        if method in ("values", "values_list"):
            # a Prefetch cannot hold a values() queryset, and the manager's values_list() ignores
            # a prefetch cache (nautobot's filter_virtual_machine, labelled FALSE for that advice)
            fix = (f"read the related rows once for the whole queryset: filter the related model by "
                   f"`<field>__in` the queryset's items (or filter through the reverse name) instead of "
                   f"{item}.{relation}.{method}() per {item}")
        else:
            fix = (f"prefetch the relation on the queryset: prefetch_related('{relation}'), or "
                   f"Prefetch('{relation}', queryset=...) for a filtered or annotated set")
        self.report(node, f"{item}.{relation}.{method}() {how} one query for each {item} of the queryset: "
                          "one database round trip per item (N+1 queries)",
                    fix=fix, requires=requires, cost="query-roundtrip-network")
        return True

    def _walked_chain(self, expr: cst.BaseExpression) -> Tuple[Optional[cst.BaseExpression], Set[str], Optional[str]]:
        """What a loop walks: the queryset chain (a local's last binding, through slices of it:
        `docs = docs[:max]`, the limit taken or not, or `for d in docs[:n]`), the relations the
        bindings it rebinds from prefetch (`docs = docs.filter(...)` after
        `docs = Doc.objects.prefetch_related("tags")`), and the model at its root
        (`Model.objects`), if any."""
        all_assigned = self._all_assigned[-1] if self._all_assigned else {}
        earlier: Set[str] = set()
        chain: Optional[cst.BaseExpression] = None
        model: Optional[str] = None
        values: List[cst.BaseExpression] = []
        index = -1
        for _ in range(50):
            if isinstance(expr, cst.Subscript) and all(isinstance(e.slice, cst.Slice) for e in expr.slice):
                expr = expr.value  # a slice is the same queryset, limited
            if isinstance(expr, cst.Name):
                if values and index >= 0 and values is all_assigned.get(expr.value):
                    index -= 1  # `docs = docs.filter(...)`: the binding before this one
                else:
                    values = all_assigned.get(expr.value, [])
                    index = len(values) - 1
                if index < 0:
                    break
                expr = values[index]
                continue
            if chain is None:
                chain = expr
            else:
                earlier |= _prefetched(expr) or set()
            root = _root(expr)
            if isinstance(root, cst.Attribute) and isinstance(root.value, cst.Name):
                model = root.value.value  # `Model.objects`, `Model._default_manager`
                break
            if not isinstance(root, cst.Name):
                break
            expr = root
        return chain, earlier, model

    def _reloads_target(self, node: cst.Call) -> bool:
        """`x = Model.objects.get(pk=x.pk)` or `x = session.get(Model, x.id)`: the statement
        assigns a fresh copy of the object its key comes from."""
        stack = self.ctx.stack
        parent = stack[-2] if len(stack) >= 2 else None
        if type(parent) is not cst.Assign or parent.value is not node or len(parent.targets) != 1:
            return False
        target = parent.targets[0].target
        if type(target) is not cst.Name:
            return False
        for arg in node.args:
            value = arg.value
            if (arg.keyword is None or arg.keyword.value in ("pk", "id")) and type(value) is cst.Attribute and \
                    type(value.value) is cst.Name and value.value.value == target.value and value.attr.value in ("pk", "id"):
                return True
        return False

    def _saved_model(self, node: cst.Call, kind: str) -> Optional[str]:
        """`Model.objects.create(...)`: the qualified name of
        Model, whose own save() the suggested bulk_create() would skip; None for other writes."""
        func = node.func
        if kind != "django" or not isinstance(func, cst.Attribute) or func.attr.value not in _SAVING_WRITES:
            return None
        manager = func.value
        if not (isinstance(manager, cst.Attribute) and manager.attr.value == "objects" and isinstance(manager.value, cst.Name)):
            return None
        name = manager.value.value
        if name in self.ctx.summary.classes:
            return f"{self.ctx.summary.module}.{name}"  # a model of this module
        return self.ctx.resolve(manager.value)

    def _own_write(self, node: cst.Call) -> None:
        """`self.update(pk, values)` per row: the scanned code's own write method, whose body
        executes the statement (phase 2 checks that through `callee:query`)."""
        func = node.func
        if not (self.ctx.loops and isinstance(func, cst.Attribute) and func.attr.value in _OWN_WRITES
                and isinstance(func.value, cst.Name) and func.value.value == "self"):
            return
        fn = self.ctx.function
        if fn is None or self.ctx.is_test or self._batched(node) or _function_batches(self.ctx, node):
            return
        if any(word in fn.name.lower() for word in _SETUP_WORDS):
            return
        cost = "query-roundtrip" if _uses_sqlite(self.ctx) else "query-roundtrip-network"
        self.report(node, f"self.{func.attr.value}() writes one row per iteration: one statement and round trip "
                          "per item (a write per row)",
                    requires=("repeated", "callee:query"), cost=cost, fix=WRITE_FIX)

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
        orm = orm_query(parts, entity_first=_entity_first(node))
        if orm is not None:
            return orm, first_arg(node) if method == "execute" else None
        if len(parts) == 2 and method in DJANGO_QUERY_METHODS and self._assigned:
            # `manager = model._default_manager`, then `manager.filter(...)`: a manager by alias
            value = self._assigned[-1].get(parts[0])
            if isinstance(value, cst.Attribute) and value.attr.value in DJANGO_MANAGERS:
                held = dotted_parts(value)
                if held is not None and len(held) >= 2 and held[0] != "self":
                    return "django", None
        if (method == "get" and receiver[:1].isupper() and len(parts) == 2
                and any(isinstance(a.value, cst.Comparison) for a in node.args)):
            return "peewee", None  # User.get(User.name == name)
        if method in _TREE_QUERIES and len(parts) == 2 and self._tree_step(method, receiver):
            return "tree", None  # node = node.get_parent(): one SELECT per level of the tree
        return None

    def _tree_step(self, method: str, receiver: str) -> bool:
        """A tree node's query method (django-treebeard, which wagtail's Page builds on) called,
        in a loop, on a node that changes per iteration: `page = page.get_parent()` walking up,
        `child.get_children()` per child. A file that imports neither is not using tree models;
        the same node asked again hits treebeard's per-instance parent cache, so a receiver the
        loop does not rebind is left alone."""
        if not self.ctx.loops or not self._loop_assigned:
            return False
        if not any(t.split(".")[0] in ("treebeard", "wagtail") for t in self.ctx.imports.values()):
            return False
        if method == "get_children_count" and not any(
                t.startswith(("treebeard.al_tree", "treebeard.ns_tree")) for t in self.ctx.imports.values()):
            # a materialised-path node (treebeard's MP_Node, every wagtail Page) keeps the count
            # in its `numchild` column: only the adjacency-list and nested-set trees query it
            # (Wagtail's chooser, labelled FALSE in run 12)
            return False
        return receiver in loop_target_names(self.ctx) | self._loop_assigned[-1]

    def _batched(self, node: cst.Call) -> bool:
        """Per chunk or group, not per row: `for key, group in groupby(...)`, `chunk = ids[i:i+n]`,
        or a list of parameter sets passed at once (`conn.execute(stmt, [{...}, {...}])`)."""
        loop = next((a for a in reversed(self.ctx.stack) if isinstance(a, (cst.For, cst.While, cst.CompFor))), None)
        if isinstance(loop, (cst.For, cst.CompFor)) and isinstance(loop.iter, cst.Call):
            called = (dotted_text(loop.iter.func) or "").split(".")[-1]
            if called in _GROUPERS:
                return True
        if isinstance(loop, cst.For) and _chunk_loop(loop):
            return True  # for i in range(0, len(ids), step): ... ids[i:i + step]: one statement per chunk
        if self._batch_filter(node):
            return True
        assigned = self._assigned[-1] if self._assigned else {}
        names: Set[str] = set()
        for arg in node.args[1:]:
            value = arg.value
            if isinstance(value, cst.Name) and self._built_list(value.value):
                return True  # a list of rows built before the call: executemany semantics
            if isinstance(value, cst.Name) and value.value in assigned:
                value = assigned[value.value]
            if isinstance(value, cst.ListComp) or (isinstance(value, cst.List) and _parameter_sets(value)):
                return True  # many parameter sets: executemany semantics
            names |= names_in(value)
            if isinstance(arg.value, cst.Name) or isinstance(arg.value, cst.Dict):
                for name in list(names_in(arg.value)):
                    if name in assigned:
                        names |= names_in(assigned[name])
        return any(_CHUNK_NAME.search(n) for n in names)

    def _built_list(self, name: str) -> bool:
        """`name` holds a list the function built before the call: a comprehension, `list(...)`,
        or an empty list appended to in a loop that does not hold the call (rows collected,
        then written at once)."""
        values = self._all_assigned[-1].get(name, []) if self._all_assigned else []
        for value in values:
            if isinstance(value, cst.ListComp):
                return True
            if isinstance(value, cst.Call) and dotted_text(value.func) == "list" and value.args:
                return True
        if any(isinstance(v, cst.List) and not v.elements for v in values):
            current = {id(loop) for loop in self.ctx.loop_nodes}
            appends = self._appended[-1].get(name, []) if self._appended else []
            return any(set(loops) - current for loops in appends)
        return False

    def _statement_parts(self, node: cst.Call) -> List[cst.CSTNode]:
        """What builds the query run at `node`: its arguments, the calls chained onto it
        (`session.query(T).filter(...).delete()`), and the values the function assigned to a
        statement passed by name (`query = query.offset(o).limit(n)`)."""
        parts: List[cst.CSTNode] = [a.value for a in node.args]
        stack = self.ctx.stack
        i = len(stack) - 1
        cur: cst.CSTNode = node
        while i >= 2:
            parent, grand = stack[i - 1], stack[i - 2]
            if not (isinstance(parent, cst.Attribute) and parent.value is cur and isinstance(grand, cst.Call)
                    and grand.func is parent):
                break
            parts.extend(a.value for a in grand.args)
            parts.append(grand)
            cur, i = grand, i - 2
        assigned = self._all_assigned[-1] if self._all_assigned else {}
        for arg in node.args[:1]:
            if isinstance(arg.value, cst.Name):
                parts.extend(assigned.get(arg.value.value, []))
        return parts

    def _batch_filter(self, node: cst.Call, per_call: bool = False) -> bool:
        """The query takes a batch: `.in_(...)`, `__in=` or SQL `IN %s`/`= ANY(%s)` over a slice
        or over the loop's own item (the loop walks chunks of ids), or pages with `.offset()`.
        `per_call` (a query in no loop of its function): over any collection but a literal of one,
        the function is a batch lookup, and a caller's loop runs it once per batch."""
        targets = loop_target_names(self.ctx)
        assigned = self._assigned[-1] if self._assigned else {}

        def batch(expr: cst.BaseExpression) -> bool:
            while isinstance(expr, cst.Call) and dotted_text(expr.func) in ("list", "tuple", "set", "sorted") \
                    and len(expr.args) == 1:
                expr = expr.args[0].value
            if type(expr) in (cst.GeneratorExp, cst.ListComp, cst.SetComp) and expr.for_in.inner_for_in is None:
                # `pk__in=[q.pk for q in group]`: the ids of a group the loop walks, or of the
                # rows this pass collected (`to_update`, appended in an inner loop): one statement
                # per group (weblate's bulk edit, pretix's sync queue: labelled FALSE in run 12)
                source = expr.for_in.iter
                if type(source) is cst.Name and (source.value in targets or self._built_list(source.value)):
                    return True
            if isinstance(expr, cst.Name) and expr.value not in targets:
                expr = assigned.get(expr.value, expr)
            if per_call:
                # no loop here: the function takes a collection and fetches it in one statement;
                # an empty literal is a container filled before the call (`ids = []`, appended)
                return not (isinstance(expr, (cst.List, cst.Tuple, cst.Set)) and len(expr.elements) == 1)
            if isinstance(expr, cst.Name):
                return expr.value in targets
            return isinstance(expr, cst.Subscript) and any(isinstance(e.slice, cst.Slice) for e in expr.slice)

        parts = self._statement_parts(node)
        seen = 0
        todo = list(parts)
        all_assigned = self._all_assigned[-1] if self._all_assigned else {}
        followed: Set[str] = set()
        paged = bool(self.ctx.loop_nodes) and type(self.ctx.loop_nodes[-1]) is cst.While
        while todo and seen < 3000:
            cur = todo.pop()
            seen += 1
            if isinstance(cur, cst.Call):
                method = cur.func.attr.value if isinstance(cur.func, cst.Attribute) else ""
                if method == "in_" and cur.args and batch(cur.args[0].value):
                    return True
                if method == "offset" and self.ctx.loops:
                    return True  # paging: one query per page
                if method == "limit" and paged and cur.args and not (
                        isinstance(cur.args[0].value, cst.Integer) and cur.args[0].value.value == "1"):
                    # keyset paging: `while True:` fetching `query.where(T.id > last).limit(n)`
                    # one page per pass (prefect's cleanup services, run 9)
                    return True
                if any(a.keyword is not None and a.keyword.value.endswith("__in") and batch(a.value) for a in cur.args):
                    return True
            elif isinstance(cur, cst.Name) and cur.value in all_assigned and cur.value not in followed:
                followed.add(cur.value)  # the statement built before the loop: `q = select(T).limit(n)`
                todo.extend(all_assigned[cur.value])
                continue
            if isinstance(cur, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            todo.extend(iter_children(cur))
        sql = first_arg(node)
        if sql is not None and _SQL_BATCH.search(sql_text(sql)):
            return any(batch(v) for a in node.args[1:] for v in _param_values(a.value))
        return False

    def _evaluated(self, node: cst.Call, eager: FrozenSet[str]) -> bool:
        """A lazy ORM query that this expression runs: `.first()`, iterated, `list(...)`."""
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
        if method in eager:
            return True
        stack = self.ctx.stack
        cur: cst.CSTNode = node
        i = len(stack) - 1
        while True:
            methods, cur, i = _chained(stack, cur, i)
            if any(name in eager for name in methods):
                return True
            if i < 2:
                return False
            parent, grand = stack[i - 1], stack[i - 2]
            if isinstance(parent, cst.Subscript) and parent.value is cur:
                return True
            if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is cur:
                return True
            if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call):
                # `rows.extend(qs)` iterates it, as `list(qs)` does
                return self.ctx.resolve(grand.func) in _EVALUATORS or (
                    isinstance(grand.func, cst.Attribute) and grand.func.attr.value == "extend")
            if isinstance(parent, cst.AugAssign) and parent.value is cur and isinstance(parent.operator, cst.AddAssign):
                return True  # `rows += qs`: a list extended by iterating the query (django-simple-history)
            if isinstance(parent, cst.Await) and parent.expression is cur:
                cur, i = parent, i - 1
                continue
            return False

    def _statement_varies(self, sql: cst.BaseExpression, loop_names: Set[str]) -> bool:
        """The statement text changes per iteration: it is the loop variable, or the loop
        variable is formatted into it as a table, column or pragma name (not a value)."""
        expr = sql
        if isinstance(expr, cst.Name) and expr.value not in loop_names and self._assigned:
            expr = self._assigned[-1].get(expr.value, expr)
        base = expr
        while isinstance(base, (cst.Attribute, cst.Subscript)):
            base = base.value
        if isinstance(base, cst.Name) and base.value in loop_names:
            return True
        if not (names_in(expr) & loop_names) or isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
            return False
        return _formats_identifier(expr)

    def _fixed_statement(self, sql: cst.BaseExpression, params) -> bool:
        """The same statement text on every call (a literal, a constant, a query builder)."""
        expr = sql
        if isinstance(expr, cst.Name):
            if expr.value.isupper():
                return True
            if expr.value in params or not self._assigned:
                return False
            expr = self._assigned[-1].get(expr.value)
            if expr is None:
                return False
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
            return True
        if isinstance(expr, cst.FormattedString):
            return not (names_in(expr) & set(params)) or not _formats_identifier(expr)
        root = expr
        local = set(params) | set(self._assigned[-1] if self._assigned else ())
        while isinstance(root, cst.Call) and isinstance(root.func, cst.Attribute) and isinstance(root.func.value, cst.Call):
            if root.func.attr.value not in _VALUE_METHODS and any(names_in(a.value) & local for a in root.args):
                return False  # .select_from(table): the table differs per call
            root = root.func.value
        if isinstance(root, cst.Call):
            called = (dotted_text(root.func) or "").split(".")[-1]
            if any(names_in(a.value) & local for a in root.args):
                return False  # select(table) / text(sql): built from what the caller passes
            return called in _BUILDERS
        return False

    def _per_table(self, node: cst.Call) -> bool:
        """A query on the model the loop picks (`storage_class.objects.filter(project=p)`,
        `session.query(model).count()`): each pass reads another table, so no one query can
        fetch them together (Label Studio's storages, labelled FALSE in run 11). The model may
        be bound in the pass (`model = ct.model_class()`, `model = form.Meta.model`) or asked
        for on the spot (`ct.model_class().objects`): Nautobot and Wagtail check each content
        type's own table (labelled FALSE in run 12)."""
        root: Optional[cst.BaseExpression] = node
        while True:
            if isinstance(root, cst.Attribute):
                if root.attr.value == "objects" and isinstance(root.value, cst.Name):
                    return self._bound_per_pass(root.value.value)
                if root.attr.value == "objects" and isinstance(root.value, cst.Call) and \
                        (dotted_text(root.value.func) or "").rpartition(".")[2] in ("model_class", "get_model"):
                    return True
                root = root.value
            elif isinstance(root, cst.Call):
                func = root.func
                if (dotted_text(func) or "").rpartition(".")[2] in ("query", "select") and root.args \
                        and isinstance(root.args[0].value, cst.Name):
                    return self._bound_per_pass(root.args[0].value.value)
                root = func
            else:
                return False

    def _bound_per_pass(self, name: str) -> bool:
        """`name` is the loop's target, or a local the loop rebinds from something other than a
        bare name (`model = ct.model_class()`; `model = Device` is one model for every pass)."""
        if name in loop_target_names(self.ctx):
            return True
        if not self._loop_assigned or name not in self._loop_assigned[-1] or not self._all_assigned:
            return False
        # `model = None` in an except beside `model = ct.model_class()` is no model at all
        return any(not isinstance(value, cst.Name) for value in self._all_assigned[-1].get(name, ()))

    # -- relations read per item of a queryset ----------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if self.ctx.loops and self._loop_assigned:
            for target in node.targets:
                self._loop_assigned[-1] |= names_in(target.target)
        if self._active:
            for target in node.targets:
                self._note_relation_set(target.target)
        if not self._querysets or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        self._assigned[-1][node.targets[0].target.value] = node.value
        self._all_assigned[-1].setdefault(node.targets[0].target.value, []).append(node.value)
        qs = queryset_chain(node.value)
        name = node.targets[0].target.value
        if qs is not None:
            self._querysets[-1][name] = (qs[0], qs[1], _chain_methods(node.value))
        else:
            self._querysets[-1].pop(name, None)

    def visit_For(self, node: cst.For) -> None:
        if not isinstance(node.target, cst.Name):
            return
        self._enter_rows(node.target, node.iter, node)
        found = queryset_chain(node.iter)
        qs = None if found is None else (found[0], found[1], _chain_methods(node.iter))
        if qs is None and isinstance(node.iter, cst.Name) and self._querysets:
            qs = self._querysets[-1].get(node.iter.value)
        if qs is not None and not qs[1]:
            self._active.append((node.target.value, qs[0], qs[2], node))

    def leave_For(self, node: cst.For) -> None:
        if self._active and self._active[-1][3] is node:
            self._active.pop()
        self._leave_rows(node)

    # -- SQLAlchemy: lazy relationships read per row of a query ---------------------------
    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter_rows(node.for_in.target, node.for_in.iter, node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._enter_rows(node.for_in.target, node.for_in.iter, node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter_rows(node.for_in.target, node.for_in.iter, node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._enter_rows(node.for_in.target, node.for_in.iter, node)

    def leave_ListComp(self, node: cst.ListComp) -> None:
        self._leave_rows(node)

    def leave_SetComp(self, node: cst.SetComp) -> None:
        self._leave_rows(node)

    def leave_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._leave_rows(node)

    def leave_DictComp(self, node: cst.DictComp) -> None:
        self._leave_rows(node)

    def _leave_rows(self, node: cst.CSTNode) -> None:
        if self._rows and self._rows[-1].loop is node:
            self._rows.pop()

    def _enter_rows(self, target: cst.BaseExpression, iterable: cst.BaseExpression, loop: cst.CSTNode) -> None:
        """A loop over the rows of a SQLAlchemy query of one model (`session.query(M)`,
        `M.query`, `session.scalars(select(M))`, a local rebound through `.filter(...)` and the
        like): remember its target, the model and what its loader options load."""
        if not self._models or type(target) is not cst.Name or not self._querysets or self.ctx.is_test:
            return  # no model of this file declares a relationship: nothing to judge
        fn = self.ctx.function
        if fn is None or any(word in fn.name.lower() for word in _SETUP_WORDS):
            return
        rows = _Rows(target.value, loop)
        if self._rows_of(iterable, rows, set()) and rows.model is not None and not _deletes_row(loop, target.value):
            self._rows.append(rows)

    def _rows_of(self, expr: cst.BaseExpression, rows: "_Rows", names: Set[str]) -> bool:
        """Walk a query chain down to its model; False when some part is not a query of one
        model we know (then the loop is not judged)."""
        for _ in range(60):
            kind = type(expr)
            if kind is cst.Subscript and all(type(e.slice) is cst.Slice for e in expr.slice):
                expr = expr.value  # a slice of the query: LIMIT/OFFSET, the same rows
                continue
            if kind is cst.Name:
                if expr.value in names:
                    return True  # `query = query.filter(...)`: its other bindings are walked
                names.add(expr.value)
                values = self._all_assigned[-1].get(expr.value) if self._all_assigned else None
                return bool(values) and all(self._rows_of(v, rows, names) for v in values)
            if kind is cst.Attribute:
                # Flask-SQLAlchemy's `Model.query`
                return expr.attr.value == "query" and self._rows_model(expr.value, rows)
            if kind is not cst.Call:
                return False
            func = expr.func
            if type(func) is cst.Attribute:
                method = func.attr.value
                receiver = (dotted_text(func.value) or "").rpartition(".")[2]
                session = bool(receiver) and bool(SESSION_RECEIVER.search(receiver))
                positional = [a for a in expr.args if a.keyword is None]
                if method == "query" and session:
                    return len(positional) == 1 and not positional[0].star and self._rows_model(positional[0].value, rows)
                if session and (method == "scalars" or (method == "execute" and rows.scalars)) and positional:
                    expr = positional[0].value  # `session.scalars(select(M)...)`
                    continue
                if method == "options":
                    cover = loader_cover(expr)
                    rows.options = True
                    if cover is None:
                        rows.all_loaded = True
                    else:
                        rows.covered |= cover
                elif method == "scalars":
                    rows.scalars = True  # `session.execute(select(M)).scalars()`
                elif method not in _QUERY_CHAIN:
                    return self._passes_through(expr, names)
                expr = func.value
                continue
            called = dotted_text(func) or ""
            if called.rpartition(".")[2] == "select":
                positional = [a for a in expr.args if a.keyword is None]
                return len(positional) == 1 and not positional[0].star and self._rows_model(positional[0].value, rows)
            return self._passes_through(expr, names)
        return False

    def _passes_through(self, call: cst.Call, names: Set[str]) -> bool:
        """`query = self._negate_filter(session, query, ...)`: a helper handed the query being
        built returns it filtered. Not one whose name says it loads (`with_options(query)`),
        nor a function of this file that calls options()."""
        if not any(type(a.value) is cst.Name and a.value.value in names for a in call.args):
            return False
        name = (dotted_text(call.func) or "").rpartition(".")[2]
        if not name or loading_helper(name):
            return False
        module = self._module
        if module is None:
            return False
        for node, _ in own_nodes(module, skip=(cst.Lambda,)):
            if type(node) is cst.FunctionDef and node.name.value == name:
                code = module.code_for_node(node)
                if "options(" in code or "contains_eager" in code:
                    return False
        return True

    def _rows_model(self, expr: cst.BaseExpression, rows: "_Rows") -> bool:
        """The entity a query selects: a model of this file that declares relationships."""
        if rows.model is not None:
            return False  # two sources in one chain: not one model's rows
        if type(expr) is cst.Name and expr.value in self._models:
            rows.model = expr.value
            return True
        # A model of another module is not judged: its relationships' laziness is not in the
        # summaries, and judging it through its methods' lazy-load effect alone flagged
        # Superset's deck.gl layers (`slc.data` of a handful of charts, each computing its whole
        # visualisation beside one lazy read of its owners: PLAUSIBLE, session twenty-three).
        return False

    def _row_read(self, node: cst.Attribute) -> bool:
        """`row.relation` (a lazy relationship of the row's model) or `row.method()` (a
        method of it that reads such a relationship of self) in a loop over a query's rows."""
        value = node.value
        if type(value) is not cst.Name:
            return False
        rows = next((r for r in reversed(self._rows) if r.target == value.value), None)
        if rows is None:
            return False
        field = node.attr.value
        stack = self.ctx.stack
        parent = stack[-2] if len(stack) >= 2 else None
        key = (id(rows.loop), field)
        if type(parent) in (cst.AssignTarget, cst.Del) or (type(parent) is cst.Attribute and parent.attr.value in _ROW_WRITES):
            self._reported.add(key)  # the loop sets or writes the relation: it holds what was set
            return True
        if key in self._reported:
            return True
        if _ends_in_write(stack, node):
            return True  # `row.items.filter_by(...).update(...)`: a write through a dynamic relationship
        model = self._models[rows.model]
        kind = model.relations.get(field)
        loader = "options(selectinload(...)) (or joinedload(...) for a many-to-one)"
        if kind is not None:
            if not kind or rows.all_loaded or field in rows.covered:
                return True
            self._reported.add(key)
            if kind == LAZY_DYNAMIC:
                self.report(node, f"{value.value}.{field} is a lazy='dynamic' relationship of each {rows.model} of the "
                                  f"query: a query per row (N+1)",
                            fix=f"query the related rows once for all {rows.model}s (WHERE ... IN the ids), or declare "
                                f"the relationship lazy='selectin' and load it with the query",
                            requires=("repeated",))
                return True
            self.report(node, f"{value.value}.{field} lazily loads a relationship of each {rows.model} of a query "
                              f"without an eager-load option for it: one SELECT per row (N+1)",
                        fix=f"load it with the rows: .{loader.replace('...', f'{rows.model}.{field}', 1)}",
                        requires=("repeated",), whole_loop=self._loop_inside(rows.loop))
            return True
        reads = self._method_reads.get((rows.model, field))
        if not reads:
            return False
        lazy = sorted({name for name, _ in reads if not (rows.all_loaded or name in rows.covered)})
        if not lazy:
            return True
        self._reported.add(key)
        call = "()" if type(parent) is cst.Call and parent.func is node else ""
        names = ", ".join(lazy)
        self.report(node, f"{value.value}.{field}{call} reads lazily loaded relationship{'s' if len(lazy) > 1 else ''} "
                          f"({names}) of each {rows.model} of a query without an eager-load option for "
                          f"{'them' if len(lazy) > 1 else 'it'}: one SELECT per relationship per row (N+1)",
                    fix=f"load them with the rows: .options(selectinload({rows.model}.{lazy[0]}), ...) on the query "
                        f"(joinedload for a many-to-one)",
                    requires=("repeated", "callee:lazy-load", "trace-callee"),
                    target=f"t:{self.ctx.summary.module}.{rows.model}:{field}", whole_loop=self._loop_inside(rows.loop))
        return True

    def _loop_inside(self, loop: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The loop inside the walk over the rows that holds the read: a relationship, once
        loaded, stays on its object, so that inner loop repeats no query."""
        loops = self.ctx.loop_nodes
        at = next((i for i, found in enumerate(loops) if found is loop), None)
        return loops[at + 1] if at is not None and at + 1 < len(loops) else None

    def _note_relation_set(self, target: cst.BaseExpression) -> None:
        """`item.last_task = dispatch(...)` in the loop: the relation then holds that object, and
        reading `item.last_task.pk` after it runs no query (pulpcore's scheduled tasks,
        labelled FALSE in run 11)."""
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            for name, _, _, loop in self._active:
                if name == target.value.value:
                    self._reported.add((id(loop), target.attr.value))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self._lazy_nodes and id(node) in self._lazy_nodes:
            self.effect("lazy-load")  # a model method reads a lazy relationship of self
        if self._rows and self._row_read(node):
            return
        if not self._active:
            return
        inner = node.value
        if not (isinstance(inner, cst.Attribute) and isinstance(inner.value, cst.Name)):
            return
        for target, model, methods, loop in reversed(self._active):
            if inner.value.value != target:
                continue
            field = inner.attr.value
            if field in _NOT_RELATIONS or field.startswith("get_") or (id(loop), field) in self._reported:
                return
            if node.attr.value in _MANAGER_WRITES:
                return  # `group.projects.add(p)`: a write through the related manager, no read to prefetch
            local = self._relations.get(model)
            if local is not None:
                if field not in local:
                    return
                qualified = f"{self.ctx.summary.module}.{model}"
                requires: Tuple[str, ...] = ("repeated",)
                confidence = "high"
            elif model in self._model_classes():
                return  # the model is defined here and the field is not a relation
            else:
                qualified = self.ctx.resolve(cst.Name(model))
                if qualified is None:
                    return  # the model is not imported from the scanned code: nothing to check
                requires = ("repeated", f"attr-type:{qualified}:{field}:{','.join(RELATION_FIELDS)}")
                confidence = "high"
            # a method of the model's own manager or queryset class that the chain calls (or its
            # get_queryset) may load the relation, as if the chain spelled it (phase 2)
            requires += (f"!prefetched-by:{qualified}:{field}:{','.join(methods)}",)
            self._reported.add((id(loop), field))
            self.report(node, f"{target}.{field} reads a relation of each {model} of a queryset built without "
                              f"select_related/prefetch_related: one query per item (N+1)",
                        fix=f"add .select_related('{field}') (or prefetch_related) to the queryset",
                        confidence=confidence, requires=requires, whole_loop=self._inner_loop(loop, node))
            return

    def _inner_loop(self, loop: cst.For, node: cst.Attribute) -> Optional[cst.CSTNode]:
        """The loop inside `loop` (the walk over the queryset's items) that holds a read of a
        related object's field (`group_role.role.name` in a loop over each group's users): the
        object is fetched on the first read and kept on the item, so that inner loop repeats no
        query (pulpcore's role_util, labelled in session twenty: x10 overstated). A manager's
        method (`item.tags.all()`) queries on every call, and keeps its loops."""
        if node.attr.value in _SET_QUERIES:
            return None
        loops = self.ctx.loop_nodes
        at = next((i for i, found in enumerate(loops) if found is loop), None)
        return loops[at + 1] if at is not None and at + 1 < len(loops) else None

    def _model_classes(self) -> Set[str]:
        return set(self.ctx.summary.classes)


def _deletes_row(loop: cst.CSTNode, target: str) -> bool:
    """The loop deletes each row (`session.delete(row)`): the flush loads the row's
    relationships for the cascade anyway (flexget's remove_series, one series by name, labelled
    FALSE in session twenty-three), so reading them first adds no query."""
    if type(loop) is not cst.For:
        return False
    for node, _ in own_nodes(loop.body):
        if type(node) is cst.Call and type(node.func) is cst.Attribute and node.func.attr.value == "delete" \
                and len(node.args) == 1 and type(node.args[0].value) is cst.Name and node.args[0].value.value == target:
            return True
    return False


class _Rows:
    """A loop over the rows of a SQLAlchemy query: its target, the model (a class of this file
    that declares relationships), and what the query's loader options load."""

    __slots__ = ("target", "loop", "model", "covered", "all_loaded", "options", "scalars")

    def __init__(self, target: str, loop: cst.CSTNode) -> None:
        self.target, self.loop = target, loop
        self.model: Optional[str] = None
        self.covered: Set[str] = set()
        self.all_loaded = False
        self.options = False
        self.scalars = False


# Query and Select methods that return the same rows, refined (a chain of these keeps the model).
_QUERY_CHAIN = frozenset({
    "filter", "filter_by", "where", "order_by", "limit", "offset", "join", "outerjoin", "distinct", "group_by",
    "having", "yield_per", "execution_options", "all", "params", "select_from", "correlate", "enable_eagerloads",
    "autoflush", "populate_existing", "unique", "join_from", "outerjoin_from", "slice", "prefix_with",
    "suffix_with", "with_for_update", "with_hint", "reset_joinpoint",
})
# A write to a row's relationship in the loop: the loop then holds what it set.
_ROW_WRITES = frozenset({"append", "extend", "remove", "add", "discard", "clear", "pop", "insert"})


# Query methods that run the query at once (Django, SQLAlchemy Query, peewee).
_EAGER = frozenset({
    "get", "count", "exists", "first", "last", "get_or_create", "update_or_create", "create",
    "aggregate", "in_bulk", "update", "delete", "earliest", "latest", "contains", "iterator",
    "one", "one_or_none", "all", "scalar", "scalars", "execute", "refresh", "bulk_create",
})
# Django's `.all()` is a lazy queryset (SQLAlchemy's `query.all()` runs the query): handed to a
# field as `queryset=Model.objects.all()` it runs nothing (pulpcore's serializers, run 10 FALSE)
_EAGER_DJANGO = _EAGER - {"all"}
_EVALUATORS = {"list", "tuple", "set", "len", "bool", "sorted", "sum", "any", "all", "next", "dict", "enumerate", "zip", "max", "min"}
# Calls that build one fixed statement (SQLAlchemy Core, text()).
# Writes through a related manager (`obj.tags.add(t)`, `.set(...)`): select_related or
# prefetch_related cannot remove them (weblate's and pretix's many-to-many writes, run 9).
_MANAGER_WRITES = {"add", "set", "remove", "clear"}
# What a loop reads to get the id of the row it just inserted.
_INSERTED_IDS = {"inserted_primary_key", "lastrowid", "inserted_primary_key_rows"}
# A manager write whose fix is bulk_create(), which skips Model.save(). Not get_or_create or
# update_or_create: their fix reads the existing rows once and writes the rest in bulk, and a
# save() that only clears a cache does not stand in its way (pretix's bulk edit of dates,
# labelled TRUE in run 9, whose models clear the event cache in save()).
_SAVING_WRITES = {"create"}
_VALUE_METHODS = {"where", "filter", "filter_by", "values", "params", "limit", "offset", "having", "order_by", "bindparams"}
_BUILDERS = {"select", "text", "insert", "update", "delete", "literal_column", "union", "exists"}
# SQL just before a placeholder that takes a value (so the statement text is the same).
_VALUE_CONTEXT = re.compile(r"(=|<|>|'|\bin\s*\(|\bvalues\s*\(|\blike|\bbetween|\band|\blimit|\boffset|,)\s*$", re.I)
_PLACEHOLDER = re.compile(r"%(\([^)]*\))?[sdr]|\{[^{}]*\}")


_PAGING = re.compile(r"\b(limit|offset|fetch\s+(next|first))\b", re.I)
# A placeholder that takes a whole list: `IN %s` (psycopg expands a tuple), `= ANY(%s)`.
_SQL_BATCH = re.compile(r"(\bin\s+(%s|%\(\w+\)s|:\w+)|=\s*any\s*\(\s*(%s|%\(\w+\)s|:\w+|\?|\$\d+)\s*\))", re.I)


def _param_values(expr: cst.BaseExpression) -> List[cst.BaseExpression]:
    """The values of a parameter argument: the items of `(a, b)`/`[a, b]`, the values of a dict."""
    if isinstance(expr, (cst.Tuple, cst.List)):
        return [e.value for e in expr.elements]
    if isinstance(expr, cst.Dict):
        return [e.value for e in expr.elements if isinstance(e, cst.DictElement)]
    return [expr]


def _chunk_loop(loop: cst.For) -> bool:
    """`for i in range(a, len(x), step):` whose body slices `x[i:...]`: a walk over chunks of x."""
    it = loop.iter
    if not (isinstance(loop.target, cst.Name) and isinstance(it, cst.Call) and dotted_text(it.func) == "range"
            and len(it.args) == 3):
        return False
    end = it.args[1].value
    if not (isinstance(end, cst.Call) and dotted_text(end.func) == "len" and end.args):
        return False
    seq = dotted_text(end.args[0].value)
    index = loop.target.value
    todo: List[cst.CSTNode] = [loop.body]
    seen = 0
    while todo and seen < 3000:
        cur = todo.pop()
        seen += 1
        if isinstance(cur, cst.Subscript) and seq and dotted_text(cur.value) == seq:
            for element in cur.slice:
                if isinstance(element.slice, cst.Slice) and element.slice.lower is not None \
                        and index in names_in(element.slice.lower):
                    return True
        if isinstance(cur, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        todo.extend(iter_children(cur))
    return False


def _formats_identifier(expr: cst.BaseExpression) -> bool:
    """Some value formatted into the SQL text sits where a name goes (FROM %s, PRAGMA %s)."""
    texts: List[str] = []
    if isinstance(expr, cst.FormattedString):
        prefix = ""
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                prefix += part.value
            else:
                texts.append(prefix)
                prefix = ""
        return any(not _VALUE_CONTEXT.search(t) for t in texts)
    literal = None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        literal = expr.left
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
        literal = expr.func.value
    elif isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        left = expr.left
        value = left.evaluated_value if isinstance(left, cst.SimpleString) else None
        return not (isinstance(value, str) and _VALUE_CONTEXT.search(value))
    if isinstance(literal, cst.SimpleString) and isinstance(literal.evaluated_value, str):
        text = literal.evaluated_value
        return any(not _VALUE_CONTEXT.search(text[: m.start()]) for m in _PLACEHOLDER.finditer(text))
    return True


def _chain_methods(expr: cst.BaseExpression) -> Tuple[str, ...]:
    """The methods a `Model.objects....` chain calls, in order (`Billing.objects.prefetch()
    .order_by(...)`: prefetch, order_by)."""
    methods: List[str] = []
    while isinstance(expr, (cst.Call, cst.Attribute)):
        if isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value not in methods:
                methods.append(expr.func.attr.value)
            expr = expr.func
        expr = expr.value if isinstance(expr, cst.Attribute) else expr
    return tuple(reversed(methods))


def _prefetched(expr: cst.BaseExpression) -> Optional[Set[str]]:
    """The relations a queryset chain prefetches (`prefetch_related("a", Prefetch("b", ...))`,
    the first part of `a__c`), or None when the chain is not visibly a queryset: it must start
    at `Model.objects` or call prefetch_related/select_related/annotate on the way."""
    found: Set[str] = set()
    known = False
    while True:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            method = expr.func.attr.value
            if method not in QUERYSET_API:
                # a manager's own method (`Addon.objects.filter_for_execution(c)`) may prefetch
                # inside (weblate's does): what it returns is not known here
                return None
            if method in ("prefetch_related", "select_related", "annotate"):
                known = True
            if method == "prefetch_related":
                for arg in expr.args:
                    value = arg.value
                    if isinstance(value, cst.Call) and value.args:  # Prefetch("b", queryset=...)
                        value = value.args[0].value
                    if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                        found.add(value.evaluated_value.split("__")[0])
            expr = expr.func.value
            continue
        if isinstance(expr, cst.Attribute):
            if expr.attr.value in DJANGO_MANAGERS:
                known = True
            expr = expr.value
            continue
        return found if known else None


_WRITE_ENDS = frozenset({"delete", "update", "create", "get_or_create", "update_or_create", "bulk_create",
                         "bulk_update", "add", "remove", "set", "clear"})


def _root(expr: cst.BaseExpression) -> cst.BaseExpression:
    """What a chain of calls and attributes starts at: the manager (`Model.objects`) for
    `Model.objects.filter(...).order_by(...)`, `docs` for `docs.filter(...)`."""
    while True:
        if isinstance(expr, cst.Call):
            expr = expr.func
        elif isinstance(expr, cst.Attribute) and not (expr.attr.value in DJANGO_MANAGERS and isinstance(expr.value, cst.Name)):
            expr = expr.value
        else:
            return expr


def _chained(stack, cur: cst.CSTNode, i: int) -> Tuple[List[str], cst.CSTNode, int]:
    """The methods called on the result of `cur` (at index `i` of the stack), outward
    (`qs.filter(...).first()`: ["first"]), the outermost call of that chain and its index."""
    methods: List[str] = []
    while i >= 2:
        parent, grand = stack[i - 1], stack[i - 2]
        if not (isinstance(parent, cst.Attribute) and parent.value is cur and isinstance(grand, cst.Call)
                and grand.func is parent):
            break
        methods.append(parent.attr.value)
        cur, i = grand, i - 2
    return methods, cur, i


def _ends_in_write(stack, node: cst.Call) -> bool:
    """The chain the call starts goes on to a write (`.filter(...).delete()`)."""
    return any(name in _WRITE_ENDS for name in _chained(stack, node, len(stack) - 1)[0])


# Related-manager methods that read rows (a reverse relation's `<model>_set`).
_SET_QUERIES = frozenset({"all", "filter", "exclude", "annotate", "order_by", "count", "exists", "first", "last",
                          "get", "values", "values_list", "aggregate", "distinct"})


# Transaction control and schema statements: nothing a WHERE IN or a join could fetch at once.
_NOT_A_QUERY = re.compile(
    r"^\s*(commit|begin|rollback|savepoint|release|start\s+transaction|end\b|create|alter|drop|truncate"
    r"|set\s|use\s|lock\s|unlock\s|vacuum|analyze)", re.I)

# A write per item is fixed by batching the write, not by a join (DESIGN §6b).
WRITE_FIX = ("batch the writes: executemany(), bulk_create()/bulk_update(), or one multi-row INSERT, "
             "in one transaction")
_WRITE_SQL = re.compile(r"^\s*(insert|update|delete|replace|upsert|merge)\b", re.I)
_WRITE_METHODS = {"create", "update", "save", "delete", "get_or_create", "update_or_create", "insert",
                  "insert_many", "replace", "upsert"}


def _parameter_sets(value: cst.List) -> bool:
    """A list display of two or more tuples, lists or dicts: rows for executemany semantics.
    A flat list is one row's parameters (sqlite3, psycopg), and a one-element list of a
    dict is a batch of one: the statement still runs once per item of the loop."""
    items = [e.value for e in value.elements if isinstance(e, cst.Element)]
    if len(items) != len(value.elements):
        return True  # [*rows]: unknown, assume many
    return len(items) >= 2 and all(isinstance(i, (cst.Tuple, cst.List, cst.Dict)) for i in items)


# SQLAlchemy Core statement builders: `stmt = table.insert()` is a write statement.
_WRITE_BUILDERS = {"insert", "update", "delete"}


# The scanned code's own per-row write methods (a table's update()/insert()).
# django-treebeard's node API (wagtail's Page is an MP_Node): each call runs a query on the node
# table (get_parent() caches its answer per instance only).
_TREE_QUERIES = frozenset({
    "get_parent", "get_root", "get_first_child", "get_last_child", "get_next_sibling",
    "get_prev_sibling", "get_first_sibling", "get_last_sibling", "get_children_count",
    "get_descendant_count",
})
_OWN_WRITES = {"update", "insert", "upsert", "delete", "replace", "save", "store"}


def _is_write(node: cst.Call, kind: str, sql: Optional[cst.BaseExpression],
              assigned: Optional[Dict[str, cst.BaseExpression]] = None) -> bool:
    if isinstance(sql, cst.Name) and assigned and sql.value in assigned:
        sql = assigned[sql.value]
    if isinstance(sql, cst.Call) and isinstance(sql.func, (cst.Attribute, cst.Name)):
        called = sql.func.attr.value if isinstance(sql.func, cst.Attribute) else sql.func.value
        if called in _WRITE_BUILDERS:
            return True
    if sql is not None:
        return bool(_WRITE_SQL.match(sql_text(sql)))
    method = node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
    return kind != "sql" and method in _WRITE_METHODS


def _uses_sqlite(ctx) -> bool:
    """The file talks to SQLite (in-process): a query costs microseconds, not a network round trip."""
    targets = set(ctx.imports.values())
    return any(t == "sqlite3" or t.startswith("sqlite3.") or t.startswith("aiosqlite") for t in targets)


def _describe(node: cst.Call, kind: str) -> str:
    text = dotted_text(node.func)
    if text is None and isinstance(node.func, cst.Attribute):
        text = "cursor()." + node.func.attr.value
    return f"{text}()"


def _entity_first(node: cst.Call) -> bool:
    """`session.get(User, pk)`: two positional arguments, the first a class (a capitalised
    name), as SQLAlchemy's Session.get takes; not `session.get(url)` or `d.get("k", default)`."""
    positional = [a.value for a in node.args if a.keyword is None and not a.star]
    if len(positional) < 2:
        return False
    first = positional[0]
    name = first.attr.value if isinstance(first, cst.Attribute) else first.value if isinstance(first, cst.Name) else ""
    return name[:1].isupper()
