"""PFL303 reflect-per-operation."""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from perflint.context import dotted_text
from perflint.rule import Invalid, Rule
from perflint.ruleutil import first_arg, names_in, string_value

# Schema introspection in SQL: the catalog read again.
_INTROSPECTION_SQL = re.compile(
    r"(pragma\s+(main\.|temp\.)?(table_info|table_xinfo|index_list|index_info|foreign_key_list)|"
    r"information_schema\.|\bsqlite_(master|schema)\b|\bpg_(catalog\.pg_)?(class|attribute|index|constraint|namespace|tables|attrdef)\b)",
    re.I,
)
_INSPECTOR_METHODS = {
    "get_columns", "get_table_names", "get_view_names", "has_table", "get_foreign_keys", "get_indexes",
    "get_pk_constraint", "get_unique_constraints", "get_check_constraints", "get_schema_names",
    "get_multi_columns", "get_sequence_names", "has_index", "has_sequence", "get_table_comment",
}
_BIND_NAME = re.compile(r"(^|_)(engine|eng|conn|connection|bind|db|database|session|sess)s?$", re.I)
# Runs once: setup, startup, migrations, schema tooling.
_ONCE_NAME = re.compile(
    r"(^_*(init|setup|set_up|configure|bootstrap|install|startup|main|connect|open|"
    r"create_(all|tables?|views?|schema|db|database|engine|app|metadata|indexes)|drop_|"
    r"migrat|upgrade|downgrade|load_(schema|metadata|tables)|reflect|inspect|introspect|prepare|sync_?db|"
    r"build_(schema|metadata|models))|^__(init|new|post_init|enter)__$|(^|_)test)",
    re.I,
)
# Named like the introspection it does: the caller decides how often that runs.
_INTROSPECTION_NAME = re.compile(r"(schema|table|column|index|constraint|metadata|catalog|introspect|reflect|inspect|describe|pragma|sequence|relation|foreign_key|primary_key|ddl)", re.I)
# Classes whose job is schema tooling (Django's DatabaseIntrospection, SchemaEditor, ...).
_TOOLING_CLASS = re.compile(r"(introspect|inspector|reflect|schema_?editor|migrat|metadata|dialect)", re.I)
# DDL through Alembic's operations object (`op.add_column(...)`, `self.db.op.alter_column(...)`).
_DDL_OPS = {"add_column", "alter_column", "drop_column", "create_table", "drop_table", "create_index",
            "drop_index", "rename_table", "create_foreign_key", "drop_constraint"}
_DDL_SQL = re.compile(r"^\s*(alter|create|drop)\s+(table|index|unique\s+index)\b", re.I)
# The effect of a function that reflects or alters the schema itself (outside a first-use block).
SCHEMA_WORK = "schema-work"
# A loop's item named like a part of the schema: one DDL statement per table or column is the job.
_SCHEMA_ITEM = re.compile(r"^_*(tables?|tbls?|cols?|columns?|fields?|models?|index(es)?|indices|migrations?|schemas?|"
                          r"constraints?|\w+_(table|column|model|field)s?)$", re.I)
HELPER_FIX = ("do the schema work once before the loop (the union of the columns the items need), "
              "and keep the per-item path free of it")
# Named like one operation of many: a request handler, a row write or read.
_OPERATION_NAME = re.compile(
    r"^_*(insert|update|delete|upsert|save|put|get|fetch|lookup|find|query|execute|handle|process|"
    r"dispatch|serve|on|do|add|remove|write|read|load_row|record|store|post|patch)(_|$)",
    re.I,
)


class ReflectPerOperation(Rule):
    """
    The database schema reflected or introspected again on every operation.

    ## What it does
    Flags schema reflection: SQLAlchemy `MetaData.reflect(...)`, `inspect(engine)` and
    inspector calls (`get_columns`, `get_table_names`, `has_table`, ...),
    `Table(..., autoload_with=...)`, and introspection SQL (`PRAGMA table_info`,
    `information_schema`, `sqlite_master`, `pg_catalog`) executed in a function that runs
    per operation: one reached from a loop (the trace shows it), or one named like a
    per-request operation (`insert`, `get`, `handle_*`, `process`, ...). Setup, startup
    and migration functions, which run once, are not reported.

    Also flags a call of the object's own helper (`self._sync_columns(row)`) once per item of
    a data loop, when that method, or a method it calls (two calls down), does schema work
    itself: one of the reflection spellings above, or DDL (Alembic's `op.add_column`,
    `op.alter_column`, `op.create_table`, ...; `table.create(bind, checkfirst=True)`,
    `metadata.create_all(...)`, `execute("ALTER TABLE ...")`/`CREATE`/`DROP TABLE`). The helper
    is recognised by what its body does, not by its name; the finding is at the looped call,
    and its trace goes down the calls to the schema work. dataset's `insert_many` synced the
    table's columns (a column check, an ALTER and a reflection on a miss) for every row.

    ## Why is this slow
    Reflection runs several catalog queries per table and builds `Table`/`Column`
    objects from the answers: milliseconds to seconds on a large schema, against
    microseconds for the row operation it precedes. The schema changes on migrations,
    not per request.

    ## Example
    ```python
    def insert_row(engine, table_name, row):
        meta = MetaData()
        table = Table(table_name, meta, autoload_with=engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), row)
    ```

    ## Use instead
    ```python
    META = MetaData()

    def setup(engine):
        META.reflect(bind=engine)            # once, at startup

    def insert_row(engine, table_name, row):
        table = META.tables[table_name]
        with engine.begin() as conn:
            conn.execute(table.insert(), row)
    ```

    ## Notes
    The helper form has medium confidence and the `schema-read` cost per call: the helper's
    DDL usually runs on a miss only, but its column check runs for every item, and the fix
    (the union of the items' columns synced once, before the loop) removes both. Schema work
    in a block that runs on first use only (`if self._table is None: self._table =
    reflect()`), reached through a call made in such a block, or through a call of a
    guessed target (a method found by its name), does not count; nor does a loop whose item
    is named like a part of the schema (`for table in tables`, `for column in columns`: one
    statement per table is the job), or a loop in setup, migration or schema-tooling code.

    Functions named like the introspection they perform (`get_columns`,
    `describe_table`) are reported only when a loop reaches them, with low confidence.
    Classes whose job is schema tooling (names with `Introspection`, `Inspector`,
    `SchemaEditor`, `Migration`, `Dialect`, ...) and test code are not reported.
    """

    CODE = "PFL303"
    COST = "schema-read"  # perflint/costs.py; measured by bench/costs.py
    NAME = "reflect-per-operation"
    FAMILY = "rebuild"
    FIX = "reflect the schema once at startup (or cache it, keyed by a schema version) and reuse it"
    TRIGGERS = ("reflect", "inspect", "autoload", "PRAGMA", "pragma", "information_schema", "sqlite_master", "sqlite_schema", "pg_",
                "add_column", "alter_column", "create_table", "create_all", "checkfirst", "ALTER TABLE", "alter table")
    VALID = [
        # Once, at startup.
        "from sqlalchemy import MetaData\nMETA = MetaData()\ndef setup(engine):\n    META.reflect(bind=engine)\n",
        # The inspect module, not SQLAlchemy's.
        "import inspect\ndef handle(fn):\n    return inspect.signature(fn)\n",
        # A migration step.
        "def migrate_users(conn):\n    cols = conn.execute('PRAGMA table_info(users)').fetchall()\n    return cols\n",
        # SQLAlchemy inspect() of an ORM object is cheap (instance state).
        "from sqlalchemy import inspect\ndef changed(objs):\n    return [inspect(o).modified for o in objs]\n",
        # The columns synced once, before the loop.
        "class T:\n    def _sync(self, row):\n        for key in row:\n            if key not in self.cols:\n"
        "                self.db.op.add_column(self.name, key)\n"
        "    def insert_many(self, rows):\n        self._sync({k: None for r in rows for k in r})\n"
        "        for row in rows:\n            self.db.insert(self.name, row)\n",
        # One ALTER per table of a list: the job of a schema step.
        "class T:\n    def _add(self, table):\n        self.db.op.add_column(table, 'created')\n"
        "    def add_everywhere(self, tables):\n        for table in tables:\n            self._add(table)\n",
    ]
    INVALID = [
        Invalid(
            "from sqlalchemy import MetaData, Table\n"
            "def insert_row(engine, name, row):\n"
            "    table = Table(name, MetaData(), autoload_with=engine)\n"
            "    with engine.begin() as conn:\n"
            "        conn.execute(table.insert(), row)\n",
            line=3,
        ),
        Invalid(
            "def columns(conn, table):\n"
            "    return [r[1] for r in conn.execute(f'PRAGMA table_info({table})')]\n"
            "def save_all(conn, rows):\n"
            "    for table, row in rows:\n"
            "        cols = columns(conn, table)\n"
            "        conn.execute(f'INSERT INTO {table} VALUES (?)', row)\n",
            line=2,
        ),
        Invalid(
            "import sqlalchemy as sa\n"
            "def handle_request(engine, req):\n"
            "    if not sa.inspect(engine).has_table(req.table):\n"
            "        return None\n",
            line=3,
        ),
        Invalid(
            "from sqlalchemy import MetaData\n"
            "def copy(engine, items):\n"
            "    for item in items:\n"
            "        meta = MetaData()\n"
            "        meta.reflect(bind=engine)\n",
            line=5,
        ),
        # A per-row helper whose own helper alters the table on a miss.
        Invalid(
            "class T:\n"
            "    def _alter(self, key):\n"
            "        self.db.op.add_column(self.name, key)\n"
            "    def _sync(self, row):\n"
            "        for key in row:\n"
            "            if key not in self.cols:\n"
            "                self._alter(key)\n"
            "    def insert_many(self, rows):\n"
            "        for row in rows:\n"
            "            self._sync(row)\n"
            "            self.db.insert(self.name, row)\n",
            line=10,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        what = self._reflection(node)
        if (what is not None or self._ddl(node)) and self.ctx.function is not None and not self.ctx.cold_reason:
            self.effect(SCHEMA_WORK)  # a helper's schema work, read at its callers' loops (phase 2)
        if what is None:
            self._per_item_helper(node)
            return
        fn = self.ctx.function
        if fn is None or _ONCE_NAME.search(fn.name) or self.ctx.is_test:
            return  # setup, migration and test code run once
        if _TOOLING_CLASS.search(self.ctx.class_qualname or ""):
            return  # a schema introspection/migration class: reading the catalog is its job
        if not self.ctx.loops and _OPERATION_NAME.match(fn.name) and not _INTROSPECTION_NAME.search(fn.name):
            self.report(node, f"{what} on every call of {fn.name}(), an operation that runs per request or row",
                        per_item=f"{fn.name}() is named like a per-request operation")
            return
        confidence = "low" if _INTROSPECTION_NAME.search(fn.name) else "high"
        self.report(node, f"{what} every time this runs, and it runs repeatedly",
                    confidence=confidence, requires=("repeated",))

    def _per_item_helper(self, node: cst.Call) -> None:
        """`self._sync_columns(row)` per item of a data loop, where that method, or one it
        calls (two calls down), reflects or alters the schema (dataset's insert_many synced the
        table's columns, an ALTER on a miss, once per row). Phase 2 confirms the schema work
        through the callee's body, not its name, and ends the trace where it happens."""
        func = node.func
        receiver = self.ctx.self_name()
        if receiver is None or not self.ctx.loops or type(func) is not cst.Attribute \
                or type(func.value) is not cst.Name or func.value.value != receiver:
            return
        loop = self.ctx.loops[-1]
        if not loop.data or self.ctx.is_test or self.ctx.cold_reason:
            return
        fn = self.ctx.function
        if fn is None or _ONCE_NAME.search(fn.name) or _TOOLING_CLASS.search(self.ctx.class_qualname or ""):
            return  # setup, migration and schema tooling: the schema work is their job
        item = self.ctx.loop_nodes[-1]
        target = getattr(item, "target", None)
        if type(target) is cst.Name and _SCHEMA_ITEM.match(target.value):
            return  # for table in tables: one statement per table of the schema
        if _on_a_miss(self.ctx, item, names_in(target) if target is not None else set()):
            return  # `if key not in known: self._add_column(key)`: the DDL for the missing ones is the job
        method = func.attr.value
        self.report(node, f"{receiver}.{method}() reflects or alters the table's schema (see the trace), and it runs "
                          "once per item of this loop: a column check, and DDL on a miss, per row",
                    fix=HELPER_FIX, confidence="medium", requires=("repeated", f"callee-path:{SCHEMA_WORK}"))

    def _ddl(self, node: cst.Call) -> bool:
        """A DDL call: Alembic's `op.add_column(...)`, `table.create(bind, checkfirst=True)`,
        `metadata.create_all(...)`, or `execute("ALTER TABLE ...")`."""
        func = node.func
        if type(func) is not cst.Attribute:
            return False
        method = func.attr.value
        if method in _DDL_OPS:
            return (dotted_text(func.value) or "").rpartition(".")[2] == "op"
        if method == "create_all":
            return True
        if method == "create":
            return any(a.keyword is not None and a.keyword.value == "checkfirst" for a in node.args)
        if method in ("execute", "exec_driver_sql", "executescript"):
            sql = first_arg(node)
            text = _sql_text(sql) if sql is not None else None
            return bool(text and _DDL_SQL.match(text))
        return False

    def _reflection(self, node: cst.Call) -> Optional[str]:
        func = node.func
        qualified = self.ctx.resolve(func)
        if qualified in ("sqlalchemy.inspect", "sqlalchemy.engine.reflection.Inspector.from_engine"):
            arg = first_arg(node)
            text = dotted_text(arg) if arg is not None else None
            parent = self.ctx.parent()
            chained = (isinstance(parent, cst.Attribute) and parent.attr.value in _INSPECTOR_METHODS)
            if chained or (text and _BIND_NAME.search(text.split(".")[-1])):
                return "inspect() builds a schema inspector that re-reads the catalog"
            return None
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "reflect":
                receiver = dotted_text(func.value) or ""
                meta_call = isinstance(func.value, cst.Call) and (dotted_text(func.value.func) or "").endswith("MetaData")
                if meta_call or re.search(r"meta", receiver.split(".")[-1], re.I) or self.ctx.local_type(receiver) in ("MetaData", "sqlalchemy.MetaData", "sa.MetaData"):
                    return f"{receiver or 'MetaData()'}.reflect() re-reads every table of the schema"
                return None
            if method in ("execute", "exec_driver_sql", "executescript"):
                sql = first_arg(node)
                text = _sql_text(sql) if sql is not None else None
                if text and _INTROSPECTION_SQL.search(text):
                    return f"an introspection query ({_INTROSPECTION_SQL.search(text).group(0).strip()}...) re-reads the schema"
                return None
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in ("autoload_with", "autoload"):
                if arg.keyword.value == "autoload" and not (isinstance(arg.value, cst.Name) and arg.value.value == "True"):
                    return None
                return "Table(..., autoload_with=...) reflects the table's columns from the database"
        return None


def _on_a_miss(ctx, loop: cst.CSTNode, item: set) -> bool:
    """The call sits, inside `loop`, under an `if` that tests the loop's item for absence
    (`if key not in known:`, `if not self.has_column(key):`): it runs for the missing ones."""
    for node in reversed(ctx.stack):
        if node is loop:
            return False
        if type(node) is not cst.If:
            continue
        test = node.test
        if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not and names_in(test.expression) & item:
            return True
        if type(test) is cst.Comparison and any(type(c.operator) is cst.NotIn for c in test.comparisons) \
                and names_in(test.left) & item:
            return True
    return False


def _sql_text(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.Call) and expr.args and (dotted_text(expr.func) or "").split(".")[-1] == "text":
        expr = expr.args[0].value
    value = string_value(expr)
    if value is not None:
        return value
    if isinstance(expr, cst.ConcatenatedString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.FormattedString):
        return "".join(p.value for p in expr.parts if isinstance(p, cst.FormattedStringText))
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        return _sql_text(expr.left)
    return None
