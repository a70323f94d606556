"""PFL302, PFL303, PFL403 and PFL502-505: exact lines, messages, confidence and heat across modules."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from perflint.config import Config, load_config
from perflint.engine import scan
from perflint.registry import families, known_codes, rule_by_code
from perflint.rule import Invalid, Valid
from perflint.testing import lint_sources

CODES = ("PFL302", "PFL303", "PFL403", "PFL502", "PFL503", "PFL504", "PFL505")
ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"#\s*expect:\s*((?:PFL\d{3}\s*)+)")


def findings(files, code):
    if isinstance(files, str):
        files = {"m.py": files}
    return [f for f in lint_sources(files, select=(code,)) if f.rule == code]


def lines(files, code):
    return sorted(f.line for f in findings(files, code))


def one(files, code):
    found = findings(files, code)
    assert len(found) == 1, [(f.line, f.message) for f in found]
    return found[0]


# -- every example in the rules' own VALID/INVALID lists ----------------------------------
@pytest.mark.parametrize("code", CODES)
def test_examples(code):
    rule = rule_by_code(code)
    assert rule.validate() == []
    for example in rule.VALID:
        source = example.code if isinstance(example, Valid) else example
        assert findings(source, code) == [], source
    for example in rule.INVALID:
        assert isinstance(example, Invalid)
        assert example.line in lines(example.code, code), example.code


@pytest.mark.parametrize("code", CODES)
def test_triggers_cover_the_invalid_examples(code):
    rule = rule_by_code(code)
    for example in rule.INVALID:
        assert any(t in example.code for t in rule.TRIGGERS), example.code


# -- PFL302 whole-file-rewrite-per-write ------------------------------------------------------
STORE = (
    "import json\n"
    "class Store:\n"
    "    def __init__(self, path):\n"
    "        self.path = path\n"
    "        self.data = {}\n"
    "    def put(self, key, value):\n"
    "        self.data[key] = value\n"
    "        self._save()\n"
    "    def _save(self):\n"
    "        with open(self.path, 'w') as f:\n"
    "            json.dump(self.data, f)\n"
    "    def flush(self):\n"
    "        self._save()\n"
)


def test_pfl302_indirect_dump_is_reported_at_the_helper_call_with_heat_from_the_loop():
    files = {
        "kv/__init__.py": "",
        "kv/store.py": STORE,
        "kv/bulk.py": (
            "from kv.store import Store\n"
            "def load(path, pairs):\n"
            "    store = Store(path)\n"
            "    for k, v in pairs:\n"
            "        store.put(k, v)\n"
            "    store.flush()\n"
        ),
    }
    f = one(files, "PFL302")
    assert (f.path, f.line, f.function) == ("kv/store.py", 8, "Store.put")
    assert f.message == ("put() handles one item but re-serialises the whole state to the file through "
                         "_save(): O(size of the store) per write")
    assert f.confidence == "high"
    # the whole store (100 items unless known) rewritten per item of an unknown loop (x100)
    assert (f.severity, f.frequency) == ("error", 100.0)
    assert any(hop.function == "load" and "for loop" in hop.note for hop in f.trace)


def test_pfl302_direct_dump_message_and_cold_severity(round_config):
    src = ("import pickle\nclass DB:\n    def __setitem__(self, key, value):\n        self.db[key] = value\n"
           "        with open(self.file, 'wb') as f:\n            pickle.dump(self.db, f)\n")
    f = one(src, "PFL302")
    assert f.line == 6
    assert f.message == ("__setitem__() writes one item but re-serialises the whole self.db to the file: "
                         "O(size of the store) per write")
    # __setitem__ is a single-item write: it runs once per item written, whoever calls it (its
    # protocol-dunder role, one call the unit of work), and rewriting 100 items per write
    # (10 us each, round costs) is a millisecond
    (g,) = lint_sources({"m.py": src}, select=("PFL302",), config=round_config)
    assert (g.confidence, g.severity, g.frequency, g.score) == ("high", "warning", 1.0, 0.001)
    assert "__setitem__ runs once per item stored or deleted: one call is the unit of work" in g.context


def test_pfl302_item_only_and_save_methods_are_not_reported():
    src = ("import json\nclass C:\n    def set(self, key, value):\n        with open(self.dir + key, 'w') as f:\n"
           "            json.dump(value, f)\n    def save(self):\n        json.dump(self.data, open(self.path, 'w'))\n"
           "    def get(self, key):\n        return json.loads(self.raw[key])\n")
    assert findings(src, "PFL302") == []


def test_pfl302_reread_per_get_needs_the_same_file():
    reread = "import json\nclass C:\n    def get(self, k):\n        return json.load(open(self.path))[k]\n"
    other = "import json\nclass C:\n    def get(self, k, path):\n        return json.load(open(path))[k]\n"
    assert lines(reread, "PFL302") == [4]
    assert findings(other, "PFL302") == []


# -- PFL303 reflect-per-operation -------------------------------------------------------------
def test_pfl303_reflection_reached_from_a_loop_in_another_module():
    files = {
        "app/__init__.py": "",
        "app/db.py": (
            "from sqlalchemy import MetaData, Table\n"
            "def rows_in(engine, name):\n"
            "    return Table(name, MetaData(), autoload_with=engine)\n"
        ),
        "app/jobs.py": (
            "from app.db import rows_in\n"
            "def copy_all(engine, rows):\n"
            "    for name, row in rows:\n"
            "        t = rows_in(engine, name)\n"
        ),
    }
    f = one(files, "PFL303")
    assert (f.path, f.line) == ("app/db.py", 3)
    assert f.message == ("Table(..., autoload_with=...) reflects the table's columns from the database every "
                         "time this runs, and it runs repeatedly")
    assert f.severity == "error"
    assert [hop.function for hop in f.trace][:1] == ["copy_all"]


def test_pfl303_per_request_name_is_reported_cold_but_setup_and_introspection_classes_are_not(round_config):
    handler = "from sqlalchemy import MetaData\ndef handle_get(engine):\n    meta = MetaData()\n    meta.reflect(bind=engine)\n"
    f = one(handler, "PFL303")
    assert f.line == 4
    # named like a per-request operation: one schema read (200 us, round costs) per request
    (g,) = lint_sources({"m.py": handler}, select=("PFL303",), config=round_config)
    assert (g.severity, g.frequency, g.score) == ("note", 1.0, 0.0002)
    hot = lint_sources({"m.py": handler.replace("def handle_get(engine):", "def handle_get(engine, tables):\n    for t in tables:\n        pass")},
                       select=("PFL303",), config=round_config)
    assert [h.severity for h in hot] == ["note"]
    assert f.message == ("meta.reflect() re-reads every table of the schema on every call of handle_get(), "
                         "an operation that runs per request or row")
    setup = "from sqlalchemy import MetaData\ndef init_db(engine):\n    meta = MetaData()\n    meta.reflect(bind=engine)\n"
    assert findings(setup, "PFL303") == []
    tooling = ("class DatabaseIntrospection:\n    def get_fields(self, cur, names):\n        for n in names:\n"
               "            cur.execute('PRAGMA table_info(%s)' % n)\n")
    assert findings(tooling, "PFL303") == []


def test_pfl303_introspection_sql_in_a_loop():
    src = ("def sizes(conn, tables):\n    out = {}\n    for t in tables:\n"
           "        out[t] = conn.execute(\"SELECT count(*) FROM information_schema.columns WHERE table_name = %s\", (t,))\n"
           "    return out\n")
    f = one(src, "PFL303")
    assert f.line == 4 and "information_schema." in f.message


# -- PFL403 connect-per-operation -------------------------------------------------------------
def test_pfl403_connect_in_a_method_called_per_item_from_another_module():
    files = {
        "kv/__init__.py": "",
        "kv/store.py": (
            "import sqlite3\n"
            "class Store:\n"
            "    def __init__(self, path):\n"
            "        self.path = path\n"
            "    def put(self, key, value):\n"
            "        with sqlite3.connect(self.path) as conn:\n"
            "            conn.executemany('INSERT INTO kv VALUES (?, ?)', [(key, value)])\n"
        ),
        "kv/bulk.py": (
            "from kv.store import Store\n"
            "def load(path, pairs):\n"
            "    store = Store(path)\n"
            "    for k, v in pairs:\n"
            "        store.put(k, v)\n"
        ),
    }
    f = one(files, "PFL403")
    assert (f.path, f.line, f.function) == ("kv/store.py", 6, "Store.put")
    assert f.message == "sqlite3.connect() opens a SQLite connection on every call of put(), and it runs repeatedly"
    assert f.severity == "warning"
    assert any(hop.function == "load" for hop in f.trace)


def test_pfl403_not_in_init_not_cached_not_a_factory_not_a_parameter_path():
    src = (
        "import sqlite3\n"
        "class A:\n"
        "    def __init__(self, p):\n        self.conn = sqlite3.connect(p)\n"
        "    def conn_for(self):\n        self._c = sqlite3.connect(self.path)\n        return self._c\n"
        "    def _create_connection(self):\n        return sqlite3.connect(self.path)\n"
        "def each(paths):\n    for p in paths:\n        with open(p) as f:\n            f.read()\n"
        "def main(a, xs):\n    for x in xs:\n        a.conn_for()\n        a._create_connection()\n"
    )
    assert findings(src, "PFL403") == []


def test_pfl403_same_file_open_is_medium_confidence():
    src = "class Log:\n    def write(self, rows):\n        for r in rows:\n            with open(self.path, 'a') as f:\n                f.write(r)\n"
    f = one(src, "PFL403")
    assert (f.line, f.confidence) == (4, "medium")
    assert f.message == "open() opens the file self.path on every call of write(), and it runs repeatedly"


# -- PFL502 linear-search-lookup --------------------------------------------------------------
REGISTRY = (
    "class Registry:\n"
    "    def __init__(self):\n"
    "        self._items = []\n"
    "        self._index = {}\n"
    "    def add(self, item):\n"
    "        self._items.append(item)\n"
    "        self._index[item.key] = item\n"
    "    def find(self, key):\n"
    "        for item in self._items:\n"
    "            if item.key == key:\n"
    "                return item\n"
    "    def find_name(self, name):\n"
    "        for item in self._items:\n"
    "            if item.name == name:\n"
    "                return item\n"
)


def test_pfl502_high_confidence_when_the_class_keeps_a_dict_by_that_key():
    f = one(REGISTRY, "PFL502")  # find_name: no index by name, and nothing calls it in a loop
    assert f.line == 9 and f.confidence == "high"
    assert f.message == ("a loop that compares each element of self._items for a matching 'key', while the "
                         "class keeps self._index keyed by 'key': O(n) instead of O(1)")
    assert f.fix == "return self._index.get(...) instead of scanning self._items"


def test_pfl502_without_an_index_only_when_repeated_and_the_trace_shows_the_loop():
    files = {
        "reg/__init__.py": "",
        "reg/registry.py": REGISTRY,
        "reg/use.py": (
            "from reg.registry import Registry\n"
            "def names(reg: Registry, wanted):\n"
            "    return [reg.find_name(n) for n in wanted]\n"
        ),
    }
    found = findings(files, "PFL502")
    assert [(f.path, f.line, f.confidence) for f in found] == [
        ("reg/registry.py", 9, "high"), ("reg/registry.py", 13, "medium")]
    assert (found[1].severity, found[1].frequency) == ("note", 100.0)  # 100 rows scanned x 100 names: 0.3 ms
    assert found[1].trace[0].function == "names"


def test_pfl502_precision_cases():
    constant = "def f(cols):\n    for c in cols:\n        if c.name == 'id':\n            return c\n"
    table = "TABLE = [('a', 1), ('b', 2)]\ndef f(keys):\n    for k in keys:\n        for name, v in TABLE:\n            if name == k:\n                return v\n"
    strings = "def f(texts, ch):\n    for t in texts:\n        for c in t:\n            if c == ch:\n                return c\n"
    for src in (constant, table, strings):
        assert findings(src, "PFL502") == [], src


# -- PFL503 query-in-loop ---------------------------------------------------------------------
def test_pfl503_interprocedural_query_site_with_the_loop_in_the_trace():
    files = {
        "shop/__init__.py": "",
        "shop/repo.py": (
            "def price(cur, sku):\n"
            "    return cur.execute('SELECT price FROM items WHERE sku = ?', (sku,)).fetchone()\n"
            "def run(cur, sql, params):\n"
            "    return cur.execute(sql, params)\n"
        ),
        "shop/orders.py": (
            "from shop.repo import price, run\n"
            "def total(cur, skus):\n"
            "    t = 0\n"
            "    for sku in skus:\n"
            "        t += price(cur, sku)[0]\n"
            "        run(cur, 'SELECT 1', ())\n"
            "    return t\n"
        ),
    }
    f = one(files, "PFL503")  # run() is a wrapper: its statement is the caller's
    assert (f.path, f.line, f.function) == ("shop/repo.py", 2, "price")
    assert f.message == ("cur.execute() runs per call, and its callers run it in a loop: one database round "
                         "trip per item (N+1 queries)")
    # a client/server database round trip (300 us) per item of an unknown loop (x100): 30 ms
    assert (f.severity, f.frequency) == ("error", 100.0)
    assert [hop.function for hop in f.trace][0] == "total"
    assert "for loop" in f.trace[0].note or any("for loop" in h.note for h in f.trace)


def test_pfl503_one_query_iterated_executemany_and_statement_lists_are_not_reported():
    src = (
        "def a(cur):\n    for row in cur.execute('SELECT * FROM t'):\n        print(row)\n"
        "def b(cur, rows):\n    cur.executemany('INSERT INTO t VALUES (?)', rows)\n"
        "def c(cur, stmts):\n    for s in stmts:\n        cur.execute(s)\n"
        "def d(cur, tables):\n    for t in tables:\n        cur.execute(f'DELETE FROM {t}')\n"
        "def e(cur, pragmas):\n    for k, v in pragmas:\n        cur.execute('PRAGMA %s = %s' % (k, v))\n"
    )
    assert findings(src, "PFL503") == []


def test_pfl503_value_formatted_into_sql_is_still_one_query_per_item():
    src = "def f(cur, ids):\n    for i in ids:\n        cur.execute(f'SELECT * FROM t WHERE id = {i}')\n"
    assert lines(src, "PFL503") == [3]


def test_pfl503_django_lazy_querysets_and_evaluated_ones():
    src = (
        "def lazy(ids):\n    return [Book.objects.filter(author_id=i) for i in ids]\n"
        "def first(ids):\n    return [Book.objects.filter(author_id=i).first() for i in ids]\n"
        "def iterated(ids):\n    for i in ids:\n        for b in Book.objects.filter(author_id=i):\n            print(b)\n"
    )
    assert lines(src, "PFL503") == [4, 7]


def test_pfl503_django_relation_across_modules_needs_the_field():
    models = ("from django.db import models\nclass Book(models.Model):\n"
              "    author = models.ForeignKey('Author', on_delete=models.CASCADE)\n    title = models.CharField()\n")
    view = ("from app.models import Book\ndef titles():\n    for b in Book.objects.all():\n"
            "        print(b.author.name, b.title.upper())\n")
    found = findings({"app/__init__.py": "", "app/models.py": models, "app/views.py": view}, "PFL503")
    assert [(f.path, f.line, f.confidence) for f in found] == [("app/views.py", 4, "high")]
    assert found[0].message.startswith("b.author reads a relation of each Book")
    # without the model's source, nothing is claimed
    assert findings({"app/__init__.py": "", "app/views.py": view}, "PFL503") == []


def test_pfl503_sqlalchemy_and_peewee():
    src = (
        "import peewee\n"
        "def a(session, ids):\n    return [session.get(User, i) for i in ids]\n"
        "def b(names):\n    return [User.get(User.name == n) for n in names]\n"
        "def c(ids):\n    return [User.get_or_none(id=i) for i in ids]\n"
        "def d(cache, keys):\n    return [cache.get(k) for k in keys]\n"
    )
    assert lines(src, "PFL503") == [3, 5, 7]


# -- PFL504 fetch-all-then-filter -------------------------------------------------------------
def test_pfl504_message_line_and_weight(round_config):
    src = ("def f(cur, status):\n    cur.execute('SELECT id, status FROM jobs')\n    rows = cur.fetchall()\n"
           "    return [r for r in rows if r[1] == status]\n")
    f = one(src, "PFL504")
    assert f.line == 4
    assert f.message == "rows fetched with fetchall() are filtered by equality in Python: filter with WHERE instead"
    # once per call of a function nothing shows to repeat: a note until a loop or a hot entry
    # point (a view, a `hot` glob) reaches it
    assert (f.confidence, f.severity) == ("high", "note")
    hot = lint_sources({"m.py": src}, select=("PFL504",), config=replace(round_config, hot=("*.f",)))
    assert [(g.severity, g.frequency, pytest.approx(g.score)) for g in hot] == [("note", 1.0, 1e-4)]  # 100 rows x 1 us
    many = lint_sources({"m.py": src}, select=("PFL504",), config=replace(round_config, hot=("*.f",), loop_trips=5000))
    assert [(g.severity, pytest.approx(g.score)) for g in many] == [("warning", 0.005)]  # a 5,000-row table per request


def test_pfl504_describe_rows_are_the_catalog_not_a_table():
    src = ("def columns(cur, name):\n    cur.execute('DESCRIBE t')\n    rows = cur.fetchall()\n"
           "    return [r for r in rows if r[0] == name]\n"
           "def pragma(cur, name):\n    rows = cur.execute('PRAGMA table_info(t)').fetchall()\n"
           "    return [r for r in rows if r[1] == name]\n")
    assert findings(src, "PFL504") == []


def test_pfl504_rebinding_and_non_query_sources_are_not_reported():
    src = ("def f(cur, x):\n    rows = cur.fetchall()\n    rows = [r for r in rows if r[0]]\n"
           "    return [r for r in rows if r[1] == x]\n"
           "def g(items, x):\n    return [i for i in items.all() if i.k == x]\n")
    assert findings(src, "PFL504") == []


# -- PFL505 membership-in-list-in-loop --------------------------------------------------------
def test_pfl505_message_and_confidence_by_origin():
    src = ("def f(rows, csv):\n    wanted = csv.split(',')\n    small = ['a', 'b', 'c', 'd']\n"
           "    for r in rows:\n        if r in wanted or r in small:\n            yield r\n")
    found = findings(src, "PFL505")
    # one cause (lists tested per row, one fix): one finding; the literal of four is related
    assert [(f.line, f.confidence, [loc.note for loc in f.related]) for f in found] == [
        (5, "medium", ["'in small' scans a list built by a list literal on line 3 on every iteration: O(n) per test"])]
    assert found[0].message == ("'in wanted' scans a list built by split on line 2 on every iteration: O(n) per test "
                                "(and 1 more like it in this for loop: line 5)")


def test_pfl505_unhashable_items_get_advice_that_does_not_raise():
    src = ("def f(rows):\n    seen = [(1, [2]), (3, [4]), (5, [6]), (7, [8])]\n    for r in rows:\n"
           "        if r in seen:\n            yield r\n")
    (f,) = findings(src, "PFL505")
    assert f.message.endswith("(its items are unhashable, so not a set)")
    assert f.fix.startswith("the items hold lists or dicts, so a set would raise TypeError")


def test_pfl505_mutated_rebound_shadowed_and_tuples_are_not_reported():
    src = (
        "NAMES = ['a', 'b', 'c', 'd', 'e']\n"
        "def f(xs):\n    acc = list(xs)\n    for x in xs:\n        if x in acc:\n            acc.remove(x)\n"
        "def g(xs, NAMES):\n    return [x for x in xs if x in NAMES]\n"
        "def h(xs):\n    ok = ('a', 'b', 'c', 'd')\n    return [x for x in xs if x in ok]\n"
        "def k(xs, ys):\n    cur = list(ys)\n    for x in xs:\n        if x in cur:\n            pass\n        cur = [x]\n"
    )
    assert findings(src, "PFL505") == []


# -- fixtures: markers both ways, only this file's codes --------------------------------------
@pytest.mark.parametrize("name", ["rebuild", "sync", "fastpath"])
def test_fixture_markers(name):
    folder = ROOT / "fixtures" / name
    expected = set()
    for file in sorted(folder.rglob("*.py")):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            match = MARKER.search(line)
            if match:
                for code in match.group(1).split():
                    if code in CODES:
                        expected.add((file.relative_to(folder).as_posix(), number, code))
    old = Path.cwd()
    os.chdir(folder)
    try:
        config = load_config(folder / "perflint.toml", known_codes=known_codes(), known_families=families())
        config = replace(config, min_severity="note", root=folder, select=CODES)
        run = scan([Path(".")], config)
    finally:
        os.chdir(old)
    found = {(f.path, f.line, f.rule) for f in run.result.findings if f.rule in CODES}
    assert expected, "the fixture has markers"
    assert found == expected


# -- effects: ORM queries count as "query" ----------------------------------------------------
def test_orm_queries_are_query_effects():
    from perflint.effects import call_effects, orm_query

    assert orm_query(["Book", "objects", "filter"]) == "django"
    assert orm_query(["self", "model", "_default_manager", "get"]) == "django"
    assert orm_query(["db", "session", "execute"]) == "sqlalchemy"
    assert orm_query(["User", "get_or_none"]) == "peewee"
    assert orm_query(["cache", "get"]) is None
    assert orm_query(["objects", "get"]) is None  # a local named objects: not a manager
    assert ("query", "high") in call_effects(None, ["session", "scalars"])
    assert call_effects(None, ["self", "items", "filter"]) == []
    # merge() finds an object the session holds in its identity map: no round trip per call
    assert orm_query(["session", "merge"]) is None
    assert call_effects(None, ["self", "session", "merge"]) == []


def test_pfl503_paging_and_chunks_are_the_batched_form():
    src = (
        "def pages(cur):\n    off = 0\n    while True:\n"
        "        rows = cur.execute('SELECT * FROM t LIMIT 100 OFFSET ?', (off,)).fetchall()\n"
        "        if not rows:\n            break\n        off += 100\n"
        "def chunks(session, q, ids):\n    while ids:\n        chunk, ids = ids[:500], ids[500:]\n"
        "        session.execute(q, {'ids': chunk})\n"
        "def groups(conn, stmt, recs):\n    from itertools import groupby\n"
        "    for key, group in groupby(recs, key=len):\n        conn.execute(stmt, [dict(g) for g in group])\n"
    )
    assert findings(src, "PFL503") == []


def test_pfl503_in_repo_execute_counts_only_if_it_reaches_a_real_query():
    wrapper = (
        "import sqlite3\n"
        "class DB:\n"
        "    def __init__(self, path):\n        self.conn = sqlite3.connect(path)\n"
        "    def execute(self, sql, params=()):\n        return self.conn.execute(sql, params)\n"
    )
    engine = (
        "class Session:\n"
        "    def execute(self, sql, params=()):\n        return self.plan(sql).run(params)\n"
        "    def plan(self, sql):\n        return sql\n"
    )
    use = (
        "from app.db import DB\nfrom app.engine import Session\n"
        "def lookups(ids):\n    db = DB(':memory:')\n    session = Session()\n    for i in ids:\n"
        "        db.execute('SELECT * FROM t WHERE id = ?', (i,))\n"
        "        session.execute('SELECT * FROM t WHERE id = ?', (i,))\n"
    )
    found = findings({"app/__init__.py": "", "app/db.py": wrapper, "app/engine.py": engine, "app/use.py": use}, "PFL503")
    assert [(f.path, f.line) for f in found] == [("app/use.py", 7)]


def test_pfl503_per_row_fallback_beside_executemany_is_not_reported():
    from perflint.config import Config
    from perflint.testing import lint_sources

    src = (
        "def emit(conn, rows, can_batch):\n"
        "    if can_batch:\n"
        "        conn.executemany('UPDATE t SET a = ? WHERE id = ?', rows)\n"
        "    else:\n"
        "        for row in rows:\n"
        "            conn.execute('UPDATE t SET a = ? WHERE id = ?', row)\n"
    )
    found = [f for f in lint_sources({"m.py": src}, select=("PFL503",), config=Config(min_severity="note"))]
    assert found == []
    plain = src.replace("conn.executemany", "conn.execute")
    found = lint_sources({"m.py": plain}, select=("PFL503",), config=Config(min_severity="note"))
    assert [f.line for f in found] == [6]


def test_pfl503_per_row_fallback_of_the_same_statement_is_not_reported():
    from perflint.config import Config
    from perflint.testing import lint_sources

    src = (
        "def delete(conn, stmt, rows, versioned):\n"
        "    if versioned:\n"
        "        for row in rows:\n"
        "            conn.execute(stmt, row)\n"
        "    else:\n"
        "        conn.execute(stmt, rows)\n"
    )
    assert lint_sources({"m.py": src}, select=("PFL503",), config=Config(min_severity="note")) == []


def test_pfl505_seen_list_grown_by_the_loop_is_reported_with_set_advice():
    src = (
        "def nodes(services):\n"
        "    id_memory = list()\n"
        "    out = []\n"
        "    for service in services:\n"
        "        if service.event_id not in id_memory:\n"
        "            out.append(service.host)\n"
        "            id_memory.append(service.event_id)\n"
        "    return out\n"
    )
    found = lint_sources({"m.py": src}, select=("PFL505",), config=Config(min_severity="note"))
    assert [(f.line, f.confidence, f.severity) for f in found] == [(5, "low", "note")]
    assert found[0].message == ("'not in id_memory' scans a list the loop appends to: a \"seen\" list grows with "
                                "the data, so the loop is O(n^2)")
    assert found[0].fix.startswith("keep a set beside the list")
    # Built inside the loop, or changed otherwise than by append: not a seen list.
    inner = "def f(xs):\n    for x in xs:\n        seen = []\n        if x not in seen:\n            seen.append(x)\n"
    popped = ("def f(xs):\n    stack = []\n    for x in xs:\n        if x in stack:\n            stack.pop()\n"
              "        stack.append(x)\n")
    for src in (inner, popped):
        assert lint_sources({"m.py": src}, select=("PFL505",), config=Config(min_severity="note")) == []


def test_pfl504_a_store_read_into_a_dict_only_looked_up():
    # whoosh's Expander read the frequency of every term of a field, per more-like-this query,
    # to look up the few terms of the top documents.
    src = ("class Expander:\n"
           "    def __init__(self, ixreader, field):\n"
           "        self.freq = dict((w, ti.weight()) for w, ti in ixreader.iter_field(field))\n"
           "    def score(self, words):\n"
           "        freq = self.freq\n"
           "        return [freq[w] for w in words if w in freq]\n")
    f = one(src, "PFL504")
    assert (f.line, f.confidence) == (3, "medium")
    assert f.message == ("every entry of ixreader.iter_field() is read into self.freq, which the class only "
                         "looks up one key at a time: ask the store for those keys instead")
    assert f.severity == "note"  # built once per call of something that runs once
    comp = src.replace("dict((w, ti.weight()) for w, ti in ixreader.iter_field(field))",
                       "{w: ti.weight() for w, ti in ixreader.iter_field(field)}")
    assert lines(comp, "PFL504") == [3]
    # The dict is used whole: iterated, measured, handed on, or filled as a cache.
    for use in ("        return list(self.freq)\n", "        return len(self.freq)\n",
                "        return dump(self.freq)\n", "        self.freq[words] = 1\n",
                "        return [w for w in self.freq.items()]\n"):
        assert findings(src + "    def other(self, words):\n" + use, "PFL504") == [], use
    # An alias that escapes is a use of the whole dict too.
    escaped = src.replace("return [freq[w] for w in words if w in freq]", "return sorted(freq)")
    assert findings(escaped, "PFL504") == []
    # Not a store (a list of pairs), not a read of everything (one term), assigned twice.
    assert findings(src.replace("ixreader.iter_field(field)", "pairs.iter_field(field)"), "PFL504") == []
    assert findings(src.replace("ixreader.iter_field(field)", "ixreader.term_info(field)"), "PFL504") == []
    twice = src.replace("    def score", "    def reset(self):\n        self.freq = {}\n    def score")
    assert findings(twice, "PFL504") == []


def test_pfl504_a_store_read_per_item_object_is_a_warning():
    hits = ("class Expander:\n"
            "    def __init__(self, ixreader, field):\n"
            "        self.freq = dict((w, ti.weight()) for w, ti in ixreader.iter_field(field))\n"
            "    def weight(self, w):\n        return self.freq.get(w, 0)\n"
            "class Hit(object):\n"
            "    def __init__(self, results, n):\n        self.results = results\n        self.n = n\n"
            "    def more_like_this(self, field):\n        return Expander(self.results.reader, field)\n"
            "class Results:\n"
            "    def __init__(self, reader, ns):\n        self.reader = reader\n        self.ns = ns\n"
            "    def __iter__(self):\n        for n in self.ns:\n            yield Hit(self, n)\n")
    f = one(hits, "PFL504")
    # 100 hits x 100 terms x a row read, at medium confidence
    assert (f.severity, f.frequency) == ("warning", 100.0)
    assert f.trace[0].function == "Hit.more_like_this"
