"""PFL403 connect-per-operation."""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from perflint.context import dotted_text
from perflint.rule import Invalid, Rule
from perflint.ruleutil import first_arg

_CONNECTORS = {
    "sqlite3.connect": "a SQLite connection",
    "sqlite3.dbapi2.connect": "a SQLite connection",
    "psycopg.connect": "a PostgreSQL connection",
    "psycopg2.connect": "a PostgreSQL connection",
    "asyncpg.connect": "a PostgreSQL connection",
    "pymysql.connect": "a MySQL connection",
    "MySQLdb.connect": "a MySQL connection",
    "mysql.connector.connect": "a MySQL connection",
    "oracledb.connect": "an Oracle connection",
    "cx_Oracle.connect": "an Oracle connection",
    "duckdb.connect": "a DuckDB connection",
    "aiosqlite.connect": "a SQLite connection",
    "apsw.Connection": "a SQLite connection",
    "sqlalchemy.create_engine": "a SQLAlchemy engine (and its connection pool)",
    "sqlalchemy.engine.create_engine": "a SQLAlchemy engine (and its connection pool)",
    "redis.Redis": "a Redis client (and its connection pool)",
    "redis.StrictRedis": "a Redis client (and its connection pool)",
    "redis.from_url": "a Redis client (and its connection pool)",
    "redis.Redis.from_url": "a Redis client (and its connection pool)",
    "pymongo.MongoClient": "a MongoDB client (and its connection pool)",
    "shelve.open": "a shelve database",
    "dbm.open": "a dbm database",
}
_OPENERS = {"open", "io.open", "_io.open", "codecs.open"}
# Connection factories (a pool's `_create_connection`): what callers do with them is the question.
_FACTORY_NAME = re.compile(r"^_*(create|new|make|open|build)_(connection|conn|client|engine|pool)s?$|^_*(re)?connect$", re.I)
# Functions that run once per object or per program: opening there is the point.
_SETUP_NAME = re.compile(r"^_*test|^_*(init|setup|set_up|setUp|configure|bootstrap|install|startup|start|main|new|migrate|create_(app|engine|db|database|pool))(_|$)|^__(init|new|post_init|init_subclass)__$", re.I)


class ConnectPerOperation(Rule):
    """
    A database connection (or the same file) opened again for every operation.

    ## What it does
    Flags `sqlite3.connect`, `psycopg.connect`/`psycopg2.connect`, `pymysql.connect`,
    `create_engine(...)`, `redis.Redis(...)`, `pymongo.MongoClient(...)` and similar, and
    `open()` of a path that is the same on every call (an attribute like `self.path`, a
    module constant), when the call runs repeatedly: inside a loop, or in a function a
    loop reaches (the trace shows the loop), or once per web request: in a Flask, FastAPI
    or Starlette route or a Django view, or a function one calls (a connection per request
    is the missing pool). Opening in `__init__` or a setup function,
    or once into an attribute (`self._conn = sqlite3.connect(...)`), is not reported.

    ## Why is this slow
    A connection costs a handshake, authentication, a file open, locking and a schema
    read; an engine or a Redis client builds a whole connection pool. Opening one per
    operation makes 100 inserts cost 100 connections, and throws away the page cache,
    prepared statements and the pool each time. Re-opening the same file per call costs
    syscalls and a fresh buffer every time.

    ## Example
    ```python
    class Store:
        def __init__(self, path):
            self.path = path

        def put(self, key, value):
            conn = sqlite3.connect(self.path)
            conn.execute("INSERT INTO kv VALUES (?, ?)", (key, value))
            conn.commit()
            conn.close()
    ```

    ## Use instead
    ```python
    class Store:
        def __init__(self, path):
            self.conn = sqlite3.connect(path)   # once, reused by every operation

        def put(self, key, value):
            with self.conn:
                self.conn.execute("INSERT INTO kv VALUES (?, ?)", (key, value))
    ```

    ## Notes
    `with open(path) as f` on a path the caller passes (one file per call) is normal and
    not reported; only an open of the same path (an attribute or a constant) is, with
    medium confidence. Connection factories (`connect`, `_create_connection`) and pool
    classes make connections for their callers and are not reported; neither is test
    code.
    """

    CODE = "PFL403"
    COST = "connect-network"  # perflint/costs.py; measured by bench/costs.py
    NAME = "connect-per-operation"
    FAMILY = "sync"
    FIX = "open the connection (or file) once, keep it on the object or in a pool, and reuse it"
    TRIGGERS = ("connect", "create_engine", "Redis", "MongoClient", "open(", "Connection")
    VALID = [
        # Once, in the constructor.
        "import sqlite3\nclass S:\n    def __init__(self, path):\n        self.conn = sqlite3.connect(path)\n",
        # A different file per call.
        "def count(paths):\n    n = 0\n    for p in paths:\n        with open(p) as f:\n            n += len(f.read())\n    return n\n",
        # Cached on the object after the first call.
        "import sqlite3\nclass S:\n    def conn(self):\n        if self._conn is None:\n            self._conn = sqlite3.connect(self.path)\n        return self._conn\n"
        "    def run(self, qs):\n        for q in qs:\n            self.conn().execute(q)\n",
        # A cold function.
        "import sqlite3\ndef report(path):\n    conn = sqlite3.connect(path)\n    return conn.execute('select 1').fetchall()\n",
        # A CLI command connects once per run, not per request.
        "import click, psycopg2\n@click.command()\ndef report(dsn):\n    conn = psycopg2.connect(dsn)\n"
        "    return conn.cursor().execute('select 1')\n",
    ]
    INVALID = [
        # A connection per web request (ParkAPI's lots view): the pool is missing.
        Invalid(
            "import psycopg2\n"
            "from flask import Flask\n"
            "app = Flask(__name__)\n"
            "DATABASE = {'dbname': 'park'}\n"
            "@app.route('/<city>')\n"
            "def get_lots(city):\n"
            "    with psycopg2.connect(**DATABASE) as conn:\n"
            "        cur = conn.cursor()\n"
            "        cur.execute('SELECT data FROM lots WHERE city = %s', (city,))\n"
            "        return cur.fetchall()\n",
            line=7,
        ),
        Invalid(
            "import sqlite3\n"
            "class Store:\n"
            "    def put(self, key, value):\n"
            "        conn = sqlite3.connect(self.path)\n"
            "        conn.execute('INSERT INTO kv VALUES (?, ?)', (key, value))\n"
            "        conn.commit()\n"
            "def load(items):\n"
            "    store = Store()\n"
            "    for k, v in items:\n"
            "        store.put(k, v)\n",
            line=4,
        ),
        Invalid("import redis\ndef mark(keys):\n    for k in keys:\n        redis.Redis().set(k, 1)\n", line=4),
        Invalid(
            "LOG = 'audit.log'\n"
            "def audit(events):\n"
            "    for e in events:\n"
            "        with open(LOG, 'a') as f:\n"
            "            f.write(e)\n",
            line=4,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.ctx.resolve(node.func)
        if qualified is None:
            return
        what = _CONNECTORS.get(qualified)
        confidence = "high"
        if what is None:
            if qualified not in _OPENERS:
                return
            path = first_arg(node)
            shown = self._same_path(path) if path is not None else None
            if shown is None:
                return  # open(path_param): one file per call is the function's job
            what = f"the file {shown}"
            # In a loop of its own method, self.path is the same file every time. Repeated only
            # by callers, it may be another file on each object they visit (one BuildFile per
            # source file): whether the same file is reopened is then a guess, a note at most.
            confidence = "low" if shown.startswith(("self.", "cls.")) and not self.ctx.loops else "medium"
        fn = self.ctx.function
        if fn is None or _SETUP_NAME.search(fn.name) or self.ctx.is_test:
            return
        if qualified not in _OPENERS and (_FACTORY_NAME.search(fn.name) or "pool" in (self.ctx.class_qualname or "").lower()):
            return  # a pool or factory makes connections for others to keep: the callers decide how often
        if self._kept(node):
            return  # self._conn = sqlite3.connect(...): opened once and kept
        if qualified in _OPENERS:
            cost = "open-file"
        elif qualified.startswith("sqlite3.") or qualified.startswith("dbm") or qualified.startswith("shelve"):
            cost = "connect"  # in-process: a file open and a schema read, no network handshake
        else:
            cost = "connect-network"
        self.report(node, f"{qualified}() opens {what} on every call of {fn.name}(), and it runs repeatedly",
                    confidence=confidence, requires=("repeated-or-request",), cost=cost)

    def _same_path(self, path: cst.BaseExpression) -> Optional[str]:
        """The path as written when it is the same on every call: self.x or a CONSTANT."""
        self_name = self.ctx.self_name()
        text = dotted_text(path)
        if text is not None:
            head = text.split(".")[0]
            if self_name and head == self_name and "." in text:
                return text
            if text.split(".")[-1].isupper() and len(text.split(".")[-1]) > 1:
                return text
            return None
        if isinstance(path, cst.Call) and dotted_text(path.func) in ("os.path.join", "path.join") and path.args:
            parts = [self._same_path(a.value) if not isinstance(a.value, cst.SimpleString) else a.value.value for a in path.args]
            if all(parts) and any(not isinstance(a.value, cst.SimpleString) for a in path.args):
                return dotted_text(path.func) + "(" + ", ".join(parts) + ")"  # type: ignore[arg-type]
        return None

    def _kept(self, node: cst.Call) -> bool:
        """The connection is stored on an attribute or a global: opened once, reused."""
        parent = self.ctx.parent()
        if isinstance(parent, cst.Assign):
            return any(isinstance(t.target, (cst.Attribute, cst.Subscript)) for t in parent.targets)
        if isinstance(parent, cst.AnnAssign):
            return isinstance(parent.target, (cst.Attribute, cst.Subscript))
        return False
