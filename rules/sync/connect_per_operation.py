"""PFL403 connect-per-operation."""

from __future__ import annotations

import re
from typing import List, Optional

import libcst as cst

from perflint.context import dotted_text
from perflint.nodes import STATEMENTS_ONLY, own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import bound_names, enclosing_class, first_arg, innermost_def

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
# Module-level HTTP helpers: each call builds a throwaway Session (requests) or Client (httpx)
# with its own pool, so every request pays a new TCP connection and TLS handshake.
_HTTP_CALLS = {f"{lib}.{verb}": lib for lib in ("requests", "httpx") for verb in (
    "get", "post", "put", "patch", "delete", "head", "options", "request")}
_HTTP_SESSION = {"requests": "requests.Session", "httpx": "httpx.Client"}
_OPENERS = {"open", "io.open", "_io.open", "codecs.open"}
# Connection factories (a pool's `_create_connection`): what callers do with them is the question.
_FACTORY_NAME = re.compile(r"^_*(create|new|make|open|build)_(connection|conn|client|engine|pool)s?$|^_*(re)?connect$", re.I)
# Functions that run once per object or per program: opening there is the point.
_SETUP_NAME = re.compile(r"^_*test|^_*(init|setup|set_up|setUp|configure|bootstrap|install|startup|start|main|new|migrate|create_(app|engine|db|database|pool))(_|$)|^__(init|new|post_init|init_subclass)__$", re.I)


class ConnectPerOperation(Rule):
    """
    A database connection, an HTTP connection (or the same file) opened again for every operation.

    ## What it does
    Flags `sqlite3.connect`, `psycopg.connect`/`psycopg2.connect`, `pymysql.connect`,
    `create_engine(...)`, `redis.Redis(...)`, `pymongo.MongoClient(...)` and similar, the
    module-level HTTP helpers `requests.get()`/`post()`/`request()`/... and `httpx.get()`/...
    (each builds a throwaway session), also when they are called through a parameter every
    caller fills with one of them or through a dispatch table by HTTP verb (`self.REQ_MAP =
    {"GET": requests.get, "POST": requests.post}` then `self.REQ_MAP[method](url)`), and
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
    prepared statements and the pool each time. `requests.get(url)` creates a `Session`,
    sends one request and closes it: every call pays a new TCP connection and TLS handshake
    (one to three network round trips) that a kept `requests.Session` (`httpx.Client`)
    reuses through keep-alive. Re-opening the same file per call costs
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
    A module-level HTTP call is reported with high confidence in a method (the object, a
    client or a backend, is where the session belongs) and as a low-confidence note in a
    plain function (the fix there is a module-global session, and such helpers often call a
    different host each time). An HTTP call reached only once per web request (a route
    that calls another service once) is a low-confidence note too: the handshake a kept
    session saves is a small share of that call's own round trip and the remote service's
    work (pretix's geocoding view, OctoPrint's backup restore and update-check overlays:
    none of four such warnings was worth a patch in runs 13 and 14 of docs/precision.md).
    A database connection per request keeps its confidence: it costs more than the query
    the request makes. The helper may also arrive as an argument: `make_request(self, fn,
    url)` calling `fn(url, ...)`, where every caller in the program passes one of the
    module-level helpers (`self.make_request(requests.get, ...)`, typesense's client before
    it kept a session) is the same connection per call under another name; it is reported
    the same way, in the module that imports requests or httpx. A caller that passes
    anything else (a session's bound method, a helper of the program) keeps it quiet. So may
    a table by HTTP verb (ns1-python's transport before it kept a session): a call through
    `self.X[...]` or a module-level `X[...]` is reported when every binding of `X` in the class
    (or the module) is a dict display whose every value is one library's module-level
    helper; a table that holds a session's bound methods, that is filled with `**` or stored
    into item by item, is not.
    An HTTP call in a method is also reported, with nothing in the scanned code repeating
    it, when the method is the sender of a client: its class has an `__init__` (its objects
    are built with their settings and kept) and three or more of its other public methods run
    it through calls on `self` (typesense's `ApiCall`, whose `get`, `post`, `put`, `patch` and
    `delete` all went through `make_request`). Each operation is then a unit of work that pays
    a handshake a kept session would save. A one-shot request (a function, a CLI command, a
    class with one or two operations) is not, and neither are hooks: a method a base class
    defines (a plugin's `on_event`, an entity's `turn_on`) is called by its framework at the
    framework's pace, and a class with a base from outside the program may be all hooks.
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
    TRIGGERS = ("connect", "create_engine", "Redis", "MongoClient", "open(", "Connection", "requests", "httpx")
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
        # A kept session's bound methods passed in.
        "import requests\n"
        "class ApiCall:\n"
        "    def __init__(self):\n        self.session = requests.Session()\n"
        "    def make_request(self, fn, endpoint):\n        return fn(endpoint).json()\n"
        "    def get(self, endpoint):\n        return self.make_request(self.session.get, endpoint)\n"
        "def fetch_all(urls):\n    api = ApiCall()\n    for u in urls:\n        api.get(u)\n",
        # A table by verb of a kept session's bound methods.
        "import requests\nclass T:\n    def __init__(self):\n        s = requests.Session()\n"
        "        self.by_verb = {'GET': s.get, 'POST': s.post}\n"
        "    def send(self, verb, urls):\n        return [self.by_verb[verb](u) for u in urls]\n",
        # Requests through a kept session reuse its connections.
        "import requests\nclass Client:\n    def __init__(self):\n        self.session = requests.Session()\n"
        "    def fetch(self, url):\n        return self.session.get(url).text\n"
        "def fetch_all(c, urls):\n    return [c.fetch(u) for u in urls]\n",
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
        # The module-level helpers passed in by every caller, called per document.
        Invalid(
            "import requests\n"
            "class ApiCall:\n"
            "    def make_request(self, fn, endpoint, **kwargs):\n"
            "        return fn(self.url + endpoint, **kwargs).json()\n"
            "    def post(self, endpoint, body):\n"
            "        return self.make_request(requests.post, endpoint, data=body)\n"
            "def index(docs):\n"
            "    api = ApiCall()\n"
            "    for d in docs:\n"
            "        api.post('/documents', d)\n",
            line=4,
        ),
        # A throwaway session per lookup (beets' lyrics backends, fixed with one shared Session).
        Invalid(
            "import requests\n"
            "class Backend:\n"
            "    def fetch_url(self, url):\n"
            "        return requests.get(url, timeout=10).text\n"
            "def fetch_all(urls):\n"
            "    backend = Backend()\n"
            "    for u in urls:\n"
            "        backend.fetch_url(u)\n",
            line=4,
        ),
        # A table of the module-level helpers by verb, called per page (ns1-python's transport).
        Invalid(
            "import requests\n"
            "class Transport:\n"
            "    def __init__(self):\n"
            "        self.REQ_MAP = {'GET': requests.get, 'POST': requests.post}\n"
            "    def send(self, verb, pages):\n"
            "        for page in pages:\n"
            "            self.REQ_MAP[verb](page)\n",
            line=7,
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
            if type(node.func) is cst.Name:
                self._http_parameter(node, node.func.value)
            elif type(node.func) is cst.Subscript:
                self._http_table(node, node.func)
            return
        what = _CONNECTORS.get(qualified)
        confidence = "high"
        if qualified in _HTTP_CALLS:
            self._http(node, qualified)
            return
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

    def _http(self, node: cst.Call, qualified: str) -> None:
        """`requests.get(url)` per item: a new connection per request, where a kept Session
        would reuse one. Whatever the call's result is stored in, the connection is not kept."""
        fn = self.ctx.function
        if fn is None or _SETUP_NAME.search(fn.name) or self.ctx.is_test:
            return
        session = _HTTP_SESSION[_HTTP_CALLS[qualified]]
        # In a method, the object (a lyrics backend, an event collector) is where a session
        # naturally lives. In a module function the fix is a module-global session shared by
        # every thread, and such helpers often call a different host each time: a note.
        confidence = "high" if self.ctx.self_name() else "low"
        self.report(node, f"{qualified}() opens a new HTTP connection (a throwaway {session}) on every call of "
                          f"{fn.name}(), and it runs repeatedly",
                    fix=f"send the requests through one {session}() kept on the object or module: it reuses "
                        "connections (keep-alive) instead of a TCP and TLS handshake per request",
                    confidence=confidence, requires=(_http_repeats(self.ctx),), cost="connect-network")

    def _http_parameter(self, node: cst.Call, name: str) -> None:
        """`fn(url, ...)` where `fn` is a parameter that every caller passes one of the
        module-level HTTP helpers (`self.make_request(requests.get, ...)`, phase 2 checks:
        passed.py): each call is `requests.get(...)` under another name."""
        fn = self.ctx.function
        if fn is None or name not in fn.params or _SETUP_NAME.search(fn.name) or self.ctx.is_test:
            return
        libraries = self._http_libraries()
        if not libraries:
            return  # the helpers are passed by the module that imports them: this one (typesense's ApiCall)
        fdef = innermost_def(self.ctx)
        if fdef is None or name in bound_names(fdef, params=False):
            return  # rebound in the body: not what the callers passed
        confidence = "high" if self.ctx.self_name() else "low"
        for library in libraries:
            session = _HTTP_SESSION[library]
            helpers = sorted(k for k, v in _HTTP_CALLS.items() if v == library)
            self.report(node, f"{name}() is one of the module-level HTTP helpers of {library} ({library}.get, "
                              f"{library}.post, ...) that every caller passes in: it opens a new HTTP connection (a "
                              f"throwaway {session}) on every call of {fn.name}(), and it runs repeatedly",
                        fix=f"send the requests through one {session}() kept on the object or module (pass its "
                            "bound methods, session.get, ...): it reuses connections (keep-alive) instead of a TCP "
                            "and TLS handshake per request",
                        confidence=confidence, cost="connect-network",
                        requires=(_http_repeats(self.ctx), f"callers-pass:{name}:{','.join(helpers)}"))

    def _http_libraries(self):
        """The HTTP libraries (requests, httpx) this module imports, sorted."""
        return sorted({target.split(".")[0] for target in self.ctx.imports.values()} & set(_HTTP_SESSION))

    def _http_table(self, node: cst.Call, func: cst.Subscript) -> None:
        """`self.REQ_MAP[method](url, ...)` where every binding of the table is a dict display
        of one library's module-level HTTP helpers (`{"GET": requests.get, "POST": requests.post}`):
        each call is `requests.get(...)` looked up by verb (ns1-python's transport)."""
        fn = self.ctx.function
        if fn is None or _SETUP_NAME.search(fn.name) or self.ctx.is_test:
            return
        table = dotted_text(func.value)
        if table is None or not self._http_libraries():
            return  # no helper can resolve where neither library is imported: no class walk
        library = self._helper_table(table)
        if library is None:
            return
        session = _HTTP_SESSION[library]
        confidence = "high" if self.ctx.self_name() else "low"
        self.report(node, f"{table}[...]() calls a module-level HTTP helper of {library} ({library}.get, "
                          f"{library}.post, ...) taken from the table {table}: it opens a new HTTP connection (a throwaway "
                          f"{session}) on every call of {fn.name}(), and it runs repeatedly",
                    fix=f"keep one {session}() on the object or module and look up its bound methods "
                        "(session.get, session.post, ...) or call session.request(method, ...): it reuses "
                        "connections (keep-alive) instead of a TCP and TLS handshake per request",
                    confidence=confidence, requires=(_http_repeats(self.ctx),), cost="connect-network")

    def _helper_table(self, table: str) -> Optional[str]:
        """The library whose module-level HTTP helpers are every value of `table` (`self.X` bound
        in the class's methods or body, or a module-level `X`), when every binding of it is a
        dict display of them and nothing stores another entry into it; else None."""
        parts = table.split(".")
        self_name = self.ctx.self_name()
        if len(parts) == 2 and self_name and parts[0] == self_name:
            cls = enclosing_class(self.ctx.stack)
            if cls is None:
                return None
            values = _class_bindings(cls, parts[1])
        elif len(parts) == 1:
            values = _module_bindings(self.ctx.stack[0], parts[0]) if self.ctx.stack else None
        else:
            return None
        if not values:
            return None
        libraries = set()
        for value in values:
            if type(value) is not cst.Dict or not value.elements:
                return None
            for element in value.elements:
                if type(element) is not cst.DictElement:
                    return None  # `**other`: entries we cannot see
                library = _HTTP_CALLS.get(self.ctx.resolve(element.value) or "")
                if library is None:
                    return None
                libraries.add(library)
        return libraries.pop() if len(libraries) == 1 else None

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


def _http_repeats(ctx) -> str:
    """What repeats an HTTP connection: a loop, a web request (a note), or, in a method, each
    public operation of a client class that sends through it (requirements.client_operations)."""
    return "repeated-or-request-or-operation:low" if ctx.self_name() else "repeated-or-request:low"


def _class_bindings(cls: cst.ClassDef, attr: str) -> Optional[List[cst.BaseExpression]]:
    """The values bound to `<self>.attr` in the class's methods and to `attr` in its body, or
    None when an entry is stored into it (`self.attr[key] = ...`) or it is bound another way."""
    values: List[cst.BaseExpression] = []
    for statement in cls.body.body:
        if type(statement) is cst.FunctionDef:
            params = statement.params.params
            if not params:
                continue
            owner = params[0].name.value
            for node, _ in own_nodes(statement.body, STATEMENTS_ONLY):
                if not _collect(node, values, lambda t: _is_attr(t, owner, attr), lambda t: _is_item_of(t, owner, attr)):
                    return None
        elif type(statement) is cst.SimpleStatementLine:
            for small in statement.body:
                if not _collect(small, values, lambda t: type(t) is cst.Name and t.value == attr, lambda t: False):
                    return None
    return values


def _module_bindings(module: cst.CSTNode, name: str) -> Optional[List[cst.BaseExpression]]:
    """The values bound to the module-level `name` by its top-level statements."""
    if type(module) is not cst.Module:
        return None
    values: List[cst.BaseExpression] = []
    for statement in module.body:
        if type(statement) is cst.SimpleStatementLine:
            for small in statement.body:
                if not _collect(small, values, lambda t: type(t) is cst.Name and t.value == name, lambda t: False):
                    return None
    return values


def _collect(node: cst.CSTNode, values: List[cst.BaseExpression], binds, stores_into) -> bool:
    """Add what `node` binds to the target to `values`; False when it binds or changes it in a
    way whose value is unknown (an augmented assignment, an item store, a bare annotation)."""
    kind = type(node)
    if kind is cst.Assign:
        for target in node.targets:  # type: ignore[attr-defined]
            if binds(target.target):
                values.append(node.value)  # type: ignore[attr-defined]
            elif stores_into(target.target):
                return False
    elif kind is cst.AnnAssign:
        if stores_into(node.target) or (binds(node.target) and node.value is None):  # type: ignore[attr-defined]
            return False
        if binds(node.target):  # type: ignore[attr-defined]
            values.append(node.value)  # type: ignore[attr-defined]
    elif kind is cst.AugAssign:
        if binds(node.target) or stores_into(node.target):  # type: ignore[attr-defined]
            return False
    return True


def _is_attr(target: cst.BaseExpression, owner: str, attr: str) -> bool:
    return (type(target) is cst.Attribute and target.attr.value == attr  # type: ignore[attr-defined]
            and type(target.value) is cst.Name and target.value.value == owner)  # type: ignore[attr-defined]


def _is_item_of(target: cst.BaseExpression, owner: str, attr: str) -> bool:
    return type(target) is cst.Subscript and _is_attr(target.value, owner, attr)  # type: ignore[attr-defined]
