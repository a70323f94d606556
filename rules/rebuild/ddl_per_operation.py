"""PFL313 ddl-per-operation."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.nodes import own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import first_arg, string_value

# The effect of a function that asks the database to create indexes or tables, outside a
# first-use block: phase 2 follows a per-operation call down to it (`callee-path:`).
SCHEMA_DDL = "schema-ddl"
# How many statements one call of that function sends: recorded as `schema-ddl#<n>` beside the
# effect (the scorer reads the largest: perflint/scoring.py, `size-effect:`).
STATEMENTS = SCHEMA_DDL + "#"
# The statements a loop over a model's declared index specs sends: the declarations are code,
# a handful per collection (models written for MongoEngine declare one to three specs, a
# unique field adding one), not rows.
DECLARED_INDEXES = 3
# The driver packages of MongoDB (as PFL405): `x.create_index(...)` there is a collection's.
_MONGO_PACKAGES = ("pymongo", "motor", "mongoengine")
_MONGO_METHODS = {"create_index": "create_index()", "create_indexes": "create_indexes()",
                  "ensure_index": "ensure_index()"}
_DDL_SQL = re.compile(r"^\s*create\s+((unique\s+)?index|table\s+if\s+not\s+exists)\b", re.I)
# A per-operation method: a commit point or a write of one document or row, a request handler.
_OPERATION_WORDS = ("save", "commit", "flush", "persist", "insert", "update", "upsert", "put", "write", "store",
                    "add", "append", "record", "delete", "remove", "handle", "process")
_OPERATION_NAME = re.compile(r"^_*(" + "|".join(_OPERATION_WORDS) + r")(_|$)", re.I)
# The rule runs on a file that may hold a DDL call (`create_index`, `create_all`, a CREATE
# statement, `ensure_index`: the effect other files' callers follow) or a per-operation method
# (`def save`, `async def _commit_row`: the calls it reports in phase 2 may reach a helper
# defined in another file), in the casings code spells them in.
_TRIGGERS = ("create", "CREATE", "Create", "ensure_index") + tuple(
    f"def {under}{spelled}" for word in _OPERATION_WORDS for spelled in (word, word.capitalize(), word.upper())
    for under in ("", "_", "__")) + ("def ___",)
# Runs once: setup, start-up, migrations, schema tooling (as PFL303).
_ONCE_NAME = re.compile(
    r"(^_*(init|setup|set_up|configure|bootstrap|install|startup|main|connect|open|create_|drop_|"
    r"migrat|upgrade|downgrade|prepare|sync_?db|ensure_|build_)|^__\w+__$|(^|_)test)", re.I)
# An error path named as such (`_handle_database_error`): it runs when something failed.
_ERROR_NAME = re.compile(r"(error|exception|fail|corrupt|crash|abort|recover)", re.I)
_TOOLING_CLASS = re.compile(r"(introspect|inspector|reflect|schema_?editor|migrat|metadata|dialect|command)", re.I)
_OFF = ("False", "None")


def _talks_to_mongodb(imports: Dict[str, str]) -> bool:
    return any(target.split(".")[0] in _MONGO_PACKAGES for target in imports.values())


def _switch_off_by_default(test: cst.BaseExpression, assigned: List[Tuple[str, object]]) -> bool:
    """`if self._meta.get("auto_create_index_on_save", False):`, `if opts.get("indexes"):`, or a
    local bound to one (`indexes = options.get("indexes", False)` ... `if indexes:`), alone or as
    a part of an `and`: an opt-in setting, off unless the user turns it on."""
    if type(test) is cst.BooleanOperation and type(test.operator) is cst.And:
        return _switch_off_by_default(test.left, assigned) or _switch_off_by_default(test.right, assigned)
    if type(test) is cst.Name:
        values = [v for n, v in assigned if n == test.value]
        return len(values) == 1 and isinstance(values[0], cst.BaseExpression) and _off_get(values[0])
    return _off_get(test)


def _off_get(expr: cst.BaseExpression) -> bool:
    if type(expr) is not cst.Call:
        return False
    name = dotted_text(expr.func) or ""
    args = [a for a in expr.args if a.keyword is None]
    if name.rpartition(".")[2] == "get" and type(expr.func) is cst.Attribute and args \
            and string_value(args[0].value) is not None:
        default = args[1].value if len(args) > 1 else None
        return default is None or (type(default) is cst.Name and default.value in _OFF)
    if name == "getattr" and len(args) == 3:
        default = args[2].value
        return type(default) is cst.Name and default.value in _OFF
    return False


def _sets_flag(test: cst.BaseExpression, body: cst.CSTNode) -> bool:
    """`if not self._indexes_ensured:` whose body sets that attribute, on the instance or on
    its class (`type(self)._indexes_ensured = True`): the block runs once."""
    if type(test) is not cst.UnaryOperation or type(test.operator) is not cst.Not \
            or type(test.expression) is not cst.Attribute:
        return False
    attr = test.expression.attr.value
    for node, _ in own_nodes(body):
        if type(node) is cst.AssignTarget and type(node.target) is cst.Attribute and node.target.attr.value == attr:
            return True
    return False


def _records_key(test: cst.BaseExpression, body: cst.CSTNode) -> bool:
    """`if type(self) not in self._indexed:` whose body calls `self._indexed.add(type(self))`
    (or appends it, or stores `done[key] = ...`): the block runs once per key."""
    if type(test) is not cst.Comparison or len(test.comparisons) != 1 \
            or type(test.comparisons[0].operator) is not cst.NotIn:
        return False
    container = dotted_text(test.comparisons[0].comparator)
    key = cst.Module([]).code_for_node(test.left)
    if not container:
        return False
    for node, _ in own_nodes(body):
        if type(node) is cst.Call and type(node.func) is cst.Attribute and node.func.attr.value in ("add", "append") \
                and dotted_text(node.func.value) == container and node.args \
                and cst.Module([]).code_for_node(node.args[0].value) == key:
            return True
        if type(node) is cst.AssignTarget and type(node.target) is cst.Subscript \
                and dotted_text(node.target.value) == container:
            return True
    return False


def _once_flag_exit(fn: cst.FunctionDef) -> Optional[cst.If]:
    """`if cls._indexes_ensured: return` (or `if cls in _done: return`) at the top of the body,
    where the body later sets that flag (or adds to that set): the rest runs once. The If."""
    body = fn.body.body if type(fn.body) is cst.IndentedBlock else ()
    flag = None
    guard = None
    for stmt in body:
        if type(stmt) is not cst.If or stmt.orelse is not None:
            continue
        inner = stmt.body.body if type(stmt.body) is cst.IndentedBlock else ()
        if len(inner) != 1 or type(inner[0]) is not cst.SimpleStatementLine \
                or not any(type(s) is cst.Return for s in inner[0].body):
            continue
        test = stmt.test
        if type(test) is cst.Comparison and len(test.comparisons) == 1 and type(test.comparisons[0].operator) is cst.In:
            flag, guard = ("add", dotted_text(test.comparisons[0].comparator)), stmt
        else:
            flag, guard = ("set", dotted_text(test)), stmt
        break
    if guard is None or not flag[1]:
        return None
    for node, _ in own_nodes(fn.body):
        if flag[0] == "set" and type(node) is cst.Assign and any(dotted_text(t.target) == flag[1] for t in node.targets):
            return guard
        if flag[0] == "add" and type(node) is cst.Call and type(node.func) is cst.Attribute \
                and node.func.attr.value in ("add", "append") and dotted_text(node.func.value) == flag[1]:
            return guard
    return None


class DdlPerOperation(Rule):
    """
    Indexes or tables created again, with a round trip to the database server, on every save,
    commit or write of one document.

    ## What it does
    Flags a call, in a method that runs once per document, row or request (named like a
    commit point or a one-item write: `save`, `commit`, `flush`, `insert`, `update`, `put`,
    `write`, `store`, `add`, `handle`, `process`, ...), to a function that asks the database to
    create indexes or tables: PyMongo's `create_index`, `create_indexes` and `ensure_index` on
    a collection (in a module that imports `pymongo`, `motor` or `mongoengine`), SQL `CREATE
    INDEX` or `CREATE TABLE IF NOT EXISTS` executed, or `metadata.create_all(...)`. The helper
    is recognised by what its body does, not by its name (MongoEngine's `ensure_indexes`); the
    finding is at the call in the per-operation method and its trace goes down the calls to
    the statement. A DDL call written in the per-operation method itself is reported where it is.

    ## Why is this slow
    `create_index` on an index that already exists changes nothing, but the driver still sends
    a `createIndexes` command and waits for the server's answer: one round trip per declared
    index, before every write. The schema changes when the code does, not per document.
    MongoEngine's `Document.save()` did this for years (issue 1446): with one index, 10,000
    saves took 4.72 s against 2.78 s once indexes were created on first use only (PR 2702, a
    local server: 194 µs per `createIndexes`).

    ## Example
    ```python
    import pymongo

    class Document:
        @classmethod
        def ensure_indexes(cls):
            for spec in cls._meta["index_specs"]:
                cls._collection.create_index(spec["fields"])

        def save(self):
            self.ensure_indexes()
            self._collection.replace_one({"_id": self.pk}, self.to_mongo(), upsert=True)
    ```

    ## Use instead
    ```python
    import pymongo

    class Document:
        _indexes_ensured = False

        @classmethod
        def ensure_indexes(cls):
            for spec in cls._meta["index_specs"]:
                cls._collection.create_index(spec["fields"])
            cls._indexes_ensured = True

        def save(self):
            if not self._indexes_ensured:
                self.ensure_indexes()
            self._collection.replace_one({"_id": self.pk}, self.to_mongo(), upsert=True)
    ```

    ## Notes
    Priced per statement at `index-ddl-statement`, a client/server round trip (300 µs, the
    estimate `query-roundtrip-network` uses; PR 2702 measured 194 µs per `createIndexes` on
    a local server, before any network). How many statements one call sends is counted from
    the body that sends them: one per call written out, and a loop over declared index specs
    counts as 3 (`DECLARED_INDEXES`: models declare a handful, and the specs are code, not
    rows). At 300 µs a statement, a per-save call warns (1 ms) from four statements.

    Not reported: a call under a once-guard (`if not cls._indexes_ensured:`, `if cls not in
    _done:`, `if self._collection is None:` that fills it), a helper whose body returns early
    on such a flag and sets it, a call or statement under an opt-in setting that is off by
    default (`if meta.get("auto_create_index_on_save", False):`, or a local bound to such a
    `get`), and calls made from setup, start-up, migration or schema-tooling code (the
    statements are its job), from an error path named as such (`_handle_database_error`) or
    from tests; nor is `metadata.create_all()` on a `MetaData` the function builds itself (the
    table it defines from its arguments, a data-loading helper's job). A setting that is on by
    default (`meta.get("auto_create_index", True)`) is not a guard: it runs on every save.

    In a package that talks to SQLite only, a statement is priced as an in-process query
    (`query-roundtrip`, a few microseconds): a note at most.
    """

    CODE = "PFL313"
    COST = "index-ddl-statement"  # perflint/costs.py; an estimate, see the Notes
    NAME = "ddl-per-operation"
    FAMILY = "rebuild"
    FIX = "create indexes and tables once per class or process (on first use, behind a flag), not per save"
    TRIGGERS = _TRIGGERS
    VALID = [
        # Once per class: a flag checked first.
        "import pymongo\nclass D:\n    _done = False\n    @classmethod\n    def ensure(cls):\n"
        "        cls.coll.create_index('a')\n    def save(self):\n        if not self._done:\n"
        "            self.ensure()\n            type(self)._done = True\n        self.coll.insert_one({})\n",
        # Opt-in, off by default.
        "import pymongo\nclass D:\n    @classmethod\n    def ensure(cls):\n        cls.coll.create_index('a')\n"
        "    def save(self):\n        if self.meta.get('index_on_save', False):\n            self.ensure()\n",
        # At start-up.
        "import pymongo\ndef ensure(coll):\n    coll.create_index('a')\ndef setup(coll):\n    ensure(coll)\n",
        # The helper returns early once done.
        "import pymongo\nclass D:\n    @classmethod\n    def ensure(cls):\n        if cls._done:\n            return\n"
        "        cls.coll.create_index('a')\n        cls._done = True\n    def save(self):\n        self.ensure()\n",
    ]
    INVALID = [
        Invalid(
            "import pymongo\n"
            "class D:\n"
            "    @classmethod\n"
            "    def ensure(cls):\n"
            "        cls.coll.create_index('a')\n"
            "    def save(self):\n"
            "        if self.meta.get('auto_create_index', True):\n"
            "            self.ensure()\n",
            line=8,
        ),
        Invalid("def save(conn, row):\n    conn.execute('CREATE TABLE IF NOT EXISTS t (a)')\n"
                "    conn.execute('INSERT INTO t VALUES (?)', row)\n", line=2),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._counts: Dict[str, Tuple[float, bool]] = {}  # function qualname -> (statements, any looped)
        self._once: Dict[int, Optional[cst.If]] = {}  # id(def) -> its once-flag early exit

    def visit_Call(self, node: cst.Call) -> None:
        fn = self.ctx.function
        if fn is None or self.ctx.is_test:
            return
        what = self._ddl(node)
        if what is not None and not self.ctx.cold_reason and not self._off_by_default() and not self._after_once_exit():
            looped = bool(self.ctx.loops)
            count, any_loop = self._counts.get(fn.qualname, (0.0, False))
            count += DECLARED_INDEXES if looped else 1
            self._counts[fn.qualname] = (count, any_loop or looped)
            self.effect(SCHEMA_DDL)
            self.effect(f"{STATEMENTS}{count:g}")
        if not _OPERATION_NAME.match(fn.name) or _ONCE_NAME.search(fn.name) or _ERROR_NAME.search(fn.name) \
                or _TOOLING_CLASS.search(self.ctx.class_qualname or "") or self.ctx.cold_reason or self._off_by_default():
            return
        if what is not None:
            size = DECLARED_INDEXES if self.ctx.loops else 1
            self.report(node, f"{what} on every call of {fn.name}(), which runs once per document, row or request",
                        per_item=f"{fn.name}() is a per-item write or commit point", size=float(size))
            return
        func = node.func
        if type(func) is cst.Attribute:
            receiver = dotted_text(func.value)
            if receiver not in (self.ctx.self_name() or "self", "cls", "self"):
                return  # only a method of the object's own class: the helper it keeps
            callee = func.attr.value
        elif type(func) is cst.Name:
            callee = func.value
        else:
            return
        if _ONCE_NAME.search(callee) and not callee.startswith(("ensure_", "_ensure_")):
            return
        self.report(node, f"{callee}() creates indexes or tables on the database server (see the trace), and it "
                          f"runs on every call of {fn.name}(), once per document, row or request",
                    per_item=f"{fn.name}() is a per-item write or commit point",
                    requires=(f"callee-path:{SCHEMA_DDL}", f"size-effect:{SCHEMA_DDL}"))

    def _ddl(self, node: cst.Call) -> Optional[str]:
        func = node.func
        if type(func) is not cst.Attribute:
            return None
        method = func.attr.value
        if method in _MONGO_METHODS:
            if node.args and _talks_to_mongodb(self.ctx.imports):
                return f"{_MONGO_METHODS[method]} sends a createIndexes command to the MongoDB server"
            return None
        if method == "create_all":
            receiver = dotted_text(func.value) or ""
            frame = self.ctx.frames[-1] if self.ctx.frames else None
            if frame is not None and frame.kind == "function" and any(n == receiver for n, _ in frame.assigned):
                return None  # `metadata = MetaData(); Table(name, metadata, ...)`: the table this call defines
            if re.search(r"meta", receiver.rpartition(".")[2], re.I):
                return "metadata.create_all() checks every table against the database catalog"
            return None
        if method in ("execute", "exec_driver_sql", "executescript"):
            sql = first_arg(node)
            text = string_value(sql) if sql is not None else None
            if text is None and type(sql) is cst.ConcatenatedString:
                value = sql.evaluated_value
                text = value if isinstance(value, str) else None
            if text and _DDL_SQL.match(text):
                return f"a {' '.join(text.split()[:3]).upper()}... statement is sent to the database"
        return None

    def _off_by_default(self) -> bool:
        """Whether the node sits in the body of an `if` on an opt-in setting (off by default),
        or of an `if key not in done:` whose body records the key (`done.add(key)`): once per
        class or table."""
        frame = self.ctx.frames[-1] if self.ctx.frames else None
        assigned = frame.assigned if frame is not None and frame.kind == "function" else []
        stack = self.ctx.stack
        for i in range(len(stack) - 1, 0, -1):
            node = stack[i]
            if type(node) in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
                return False
            parent = stack[i - 1]
            if type(parent) is cst.If and parent.body is node and (
                    _switch_off_by_default(parent.test, assigned) or _records_key(parent.test, node)
                    or _sets_flag(parent.test, node)):
                return True
        return False

    def _after_once_exit(self) -> bool:
        """Whether the enclosing function returns early on a once-flag it sets (the rest runs once)."""
        for node in reversed(self.ctx.stack):
            if type(node) is cst.FunctionDef:
                key = id(node)
                if key not in self._once:
                    self._once[key] = _once_flag_exit(node)
                return self._once[key] is not None
        return False
