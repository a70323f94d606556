"""Effects a function has (sync, commit, query, parse, rebuild, alloc), seen at its call sites.

The engine records them for every file whatever rules are selected, so interprocedural
conditions ("a commit point calls a schema reloader") never depend on another rule running.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

import libcst as cst

from perflint.nodes import names_below, own_nodes
from perflint.values import dotted_text

SYNC_CALLS = frozenset({"os.fsync", "os.fdatasync", "os.sync"})
PARSE_CALLS = frozenset({
    "ast.parse", "compile", "json.loads", "json.load", "yaml.safe_load", "yaml.load",
    "yaml.full_load", "tomllib.loads", "tomllib.load", "tomli.loads", "tomli.load",
    "libcst.parse_module", "libcst.parse_expression", "libcst.parse_statement",
    "xml.etree.ElementTree.fromstring", "xml.etree.ElementTree.parse", "pickle.loads", "pickle.load",
    # template engines compile their source to Python code when built (PFL102)
    "jinja2.Template", "jinja2.environment.Template", "mako.template.Template",
})
# The parsers above that turn text into code (a syntax tree or bytecode): ~25x a data parser per
# byte. A class whose constructor reaches one compiles its text each time it is built (PFL102).
PARSE_CODE_CALLS = frozenset({
    "ast.parse", "compile", "libcst.parse_module", "libcst.parse_expression", "libcst.parse_statement",
    "jinja2.Template", "jinja2.environment.Template", "mako.template.Template",
})
# Operations that wait on the world for a millisecond or more, once per execution: a cost beside
# one of them that is a few percent of it is not worth a patch (scoring's "dwarfed" check).
# effect -> cost-table key of its yardstick (a lower bound of what one execution takes).
# effect -> (cost-table key of its yardstick, what the explanation calls it). requests.get,
# httpx.get and urlopen open a new connection on every call (no session to keep it): their
# yardstick is a connection's handshake, not a round trip on a kept one. A sleep has no key.
EXTERNAL_EFFECTS = {"external-process": ("process-spawn", "a process started"),
                    "external-network": ("connect-network", "a network request"),
                    "external-sleep": ("", "a sleep"), "external-sleep-short": ("", "a sleep")}
SLEEP_FLOOR = 1e-3  # a literal sleep shorter than 1 ms is a yield to other threads, not a wait
# What a sleep waits, at least: one of a length the code computes (a poll interval, a back-off,
# a configured delay) is a wait on the world, 10 ms or more; a literal one between 1 and 10 ms
# counts as 1 ms. Salt's cloud sync loop deep-copies the master's defaults next to a configured
# `time.sleep(sync_sleep)` (labelled PLAUSIBLE in run 5: a copy beside a wait).
SLEEP_SECONDS = {"external-sleep": 10e-3, "external-sleep-short": SLEEP_FLOOR}
_EXTERNAL_CALLS = {
    **{f"subprocess.{name}": "external-process" for name in (
        "Popen", "run", "call", "check_call", "check_output", "getoutput", "getstatusoutput")},
    "os.system": "external-process", "os.popen": "external-process", "os.spawnv": "external-process",
    "os.spawnvp": "external-process", "os.execv": "external-process", "pexpect.spawn": "external-process",
    "asyncio.create_subprocess_exec": "external-process", "asyncio.create_subprocess_shell": "external-process",
    **{f"{lib}.{name}": "external-network" for lib in ("requests", "httpx") for name in (
        "get", "post", "put", "patch", "delete", "head", "options", "request")},
    "urllib.request.urlopen": "external-network", "urllib2.urlopen": "external-network",
    "socket.create_connection": "external-network",
    "time.sleep": "external-sleep", "asyncio.sleep": "external-sleep",
}
QUERY_METHODS = frozenset({"execute", "executemany", "executescript"})
DB_RECEIVER = re.compile(r"(^|_)(conn|connection|cnx|con|db|database|cursor|cur|session|sess|tx|txn|transaction)s?$", re.I)
COMMIT_NAME = re.compile(r"^_*(commit|flush|sync|fsync|checkpoint|persist|save|durable|harden)(_|$)", re.I)
REBUILD_NAME = re.compile(
    # not `refresh_from_db()`/`refresh_from_task()` (Django's, Airflow's): they re-read or copy one
    # record, they rebuild no derived state (five Airflow findings labelled FALSE in run 8)
    r"^_*(re(load|build|read|fresh|parse|compute|index|init)(?!_from_(db|database|task|record|row|instance|object|model|orm)\b)"
    r"|(load|read|parse|build|refresh)_?(schema|catalog|index|indexes|metadata|tables|manifest|state))",
    re.I,
)
# Words that make a guard a change check: rebuild only when something changed, or when a time
# has passed since the last rebuild (`if now - self.last_refresh_time > self.interval:`).
CHANGE_GUARD = re.compile(
    r"(version|cookie|mtime|stamp|dirty|changed|stale|generation|epoch|etag|hash|serial|revision|modified|counter|seq"
    r"|interval|elapsed|last_\w*(time|refresh|reload))", re.I)

# Row locks: `select_for_update()` (Django), `with_for_update()` (SQLAlchemy), Airflow's
# `lock_for_update=True`, SQL `... FOR UPDATE`.
_LOCKING_CALLS = {"select_for_update", "with_for_update"}
_LOCKING_KEYWORDS = {"lock_for_update", "with_for_update", "for_update", "select_for_update"}
# A project's helper that adds FOR UPDATE to a statement (`with_row_locks`, `lock_rows`).
_ROW_LOCK_HELPER = re.compile(r"(^|_)row_locks?$|^lock_rows$")


def locks_row(node: cst.Call) -> bool:
    """Whether this call reads rows under a lock: `qs.select_for_update()`,
    `query.with_for_update()`, a helper named like `with_row_locks()`, a locking keyword
    (`lock_for_update=True`), or a statement literal passed to it that says `FOR UPDATE`."""
    func = node.func
    if type(func) is cst.Attribute and func.attr.value in _LOCKING_CALLS:  # type: ignore[attr-defined]
        return True
    name = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else ""  # type: ignore[attr-defined]
    if _ROW_LOCK_HELPER.search(name):
        return True  # Airflow's `with_row_locks(query, of=TI, skip_locked=True)`
    for arg in node.args:
        if (arg.keyword is not None and arg.keyword.value in _LOCKING_KEYWORDS
                and not (type(arg.value) is cst.Name and arg.value.value in ("False", "None"))):  # type: ignore[attr-defined]
            return True
        if type(arg.value) is cst.SimpleString and "FOR UPDATE" in arg.value.value.upper():  # type: ignore[attr-defined]
            return True  # `cur.execute("SELECT ... FOR UPDATE", ...)`
    return False



_DOCSTRINGS = (cst.SimpleString, cst.ConcatenatedString)


def _guard_index(fn: cst.FunctionDef, assigned: Optional[dict]) -> Tuple[Sequence[cst.BaseStatement], int]:
    """(the body's statements, the index of the first one past the docstring and the plain
    assignments before it); those assignments go into `assigned` by name, when it is given.
    Read for every function (unchanged_exit): one pass over the first statements, no copies."""
    stmts = getattr(fn.body, "body", ())
    i, n = 0, len(stmts)
    simple_line, expr_type, assign_type = cst.SimpleStatementLine, cst.Expr, cst.Assign
    while i < n:
        stmt = stmts[i]
        if type(stmt) is not simple_line:
            break
        small = stmt.body  # type: ignore[attr-defined]
        docstring = assigns = True
        for x in small:
            x_type = type(x)
            if x_type is not expr_type or type(x.value) not in _DOCSTRINGS:  # type: ignore[attr-defined]
                docstring = False
            if x_type is not assign_type:
                assigns = False
        if docstring:
            i += 1
            continue
        if not assigns:
            break
        if assigned is not None:
            for x in small:
                for t in x.targets:  # type: ignore[attr-defined]
                    if type(t.target) is cst.Name:
                        assigned[t.target.value] = x.value  # type: ignore[attr-defined]
        i += 1
    return stmts, i


def _first_guard(fn: cst.FunctionDef) -> Tuple[Optional[cst.If], dict, list]:
    """The first `if` of a function past its docstring and the assignments that compute its
    test: (the `if`, those assignments by name, the statements after it)."""
    assigned: dict = {}
    stmts, i = _guard_index(fn, assigned)
    if i >= len(stmts) or type(stmts[i]) is not cst.If:
        return None, assigned, []
    return stmts[i], assigned, list(stmts[i + 1:])  # type: ignore[return-value]


def _returns(guard: cst.If) -> bool:
    body = list(getattr(guard.body, "body", ()))
    return bool(body) and type(body[-1]) is cst.SimpleStatementLine and any(
        type(x) is cst.Return for x in body[-1].body)  # type: ignore[attr-defined]


def change_guarded(fn: cst.FunctionDef) -> bool:
    """The function rebuilds only after a change check of its own: past its docstring and the
    assignments that compute the check, its body is `if <check>: ...` (and returns), or starts
    with `if <check>: return`. Airflow's `_refresh_dag_dir` lists the DAG folder only when
    `elapsed_time_since_refresh > self.dag_dir_list_interval`."""
    guard, assigned, rest = _first_guard(fn)
    if guard is None:
        return False
    words = list(names_below(guard.test))
    for name in list(words):
        if name in assigned:
            words.extend(names_below(assigned[name]))
    if not CHANGE_GUARD.search(" ".join(words)) and not compares_counterparts(guard.test):
        return False
    if _returns(guard):
        return True  # `if not changed: return` first: the rest runs on a change
    return guard.orelse is None and all(
        type(s) is cst.SimpleStatementLine and all(type(x) in (cst.Return, cst.Pass) for x in s.body) for s in rest)


def unchanged_exit(fn: cst.FunctionDef) -> bool:
    """The function starts with `if <old and new are equal>: return`: what follows (a write of
    the new values) runs only when they differ. Home Assistant's `_update_metadata` returns
    unless `old["name"] != new["name"] or ...` (its UPDATE, labelled FALSE in run 8, runs on
    a metadata change only, not per statistic)."""
    stmts, i = _guard_index(fn, None)
    if i >= len(stmts) or type(stmts[i]) is not cst.If:
        return False
    guard = stmts[i]
    return _returns(guard) and compares_counterparts(guard.test)  # type: ignore[arg-type,attr-defined]


def _key(expr: cst.BaseExpression) -> Optional[str]:
    """What a compared value is the value of: `old.name`, `old["name"]` -> "name"."""
    if type(expr) is cst.Attribute:
        return expr.attr.value  # type: ignore[attr-defined]
    if type(expr) is cst.Subscript and len(expr.slice) == 1:  # type: ignore[attr-defined]
        index = expr.slice[0].slice  # type: ignore[attr-defined]
        if type(index) is cst.Index and type(index.value) is cst.SimpleString:
            return index.value.value  # type: ignore[attr-defined]
    return None


def compares_counterparts(test: cst.BaseExpression) -> bool:
    """Whether a test compares values with their counterparts of another object with == or !=
    (`old["unit"] != new["unit"]`, `self.name == other.name`): a did-it-change check."""
    for node, _ in own_nodes(test):
        if type(node) is not cst.Comparison:
            continue
        left = node.left  # type: ignore[attr-defined]
        for target in node.comparisons:  # type: ignore[attr-defined]
            if type(target.operator) in (cst.Equal, cst.NotEqual):
                key = _key(left)
                if key is not None and key == _key(target.comparator) and (
                        _dotted_or_code(left) != _dotted_or_code(target.comparator)):
                    return True
            left = target.comparator
    return False


def _dotted_or_code(expr: cst.BaseExpression) -> str:
    return dotted_text(expr) or cst.Module([]).code_for_node(expr)


# ORM reads and writes that are one database round trip each (besides `<db>.execute`).
DJANGO_MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
DJANGO_QUERY_METHODS = frozenset({
    "get", "filter", "exclude", "all", "count", "exists", "first", "last", "get_or_create",
    "update_or_create", "create", "values", "values_list", "aggregate", "in_bulk", "raw",
    "update", "delete", "earliest", "latest", "order_by", "annotate", "only", "defer",
})
SESSION_RECEIVER = re.compile(r"(^|_)(session|sess|db_session|dbsession)s?$", re.I)
# Not `merge`: `session.merge(obj)` of an object the session already holds (loaded in the same
# session, the usual case in a loop over a query's results) finds it in the identity map and
# queues the changes for the one flush at commit: no round trip per call. Airflow's merge-in-loop
# findings (a loop over task instances just selected, then one commit) were all labelled FALSE.
SESSION_QUERY_METHODS = frozenset({"get", "execute", "query", "scalars", "scalar", "refresh"})
PEEWEE_QUERY_METHODS = frozenset({"get_by_id", "get_or_none"})


def orm_query(parts: Optional[List[str]], entity_first: bool = False) -> Optional[str]:
    """"django", "sqlalchemy" or "peewee" when a dotted call is an ORM query by its shape alone:
    `Model.objects.get(...)`, `session.execute(...)`, `Model.get_or_none(...)`.

    `self.objects` is never a Django manager (managers are not reachable from instances): it
    is the object's own mapping. `session.get(...)` is SQLAlchemy's `Session.get(Model, pk)`
    only when the caller saw a class as its first argument (`entity_first`); otherwise it is
    a dict's, an HTTP session's (requests) or a web framework session's `get`."""
    if not parts or len(parts) < 2:
        return None
    method, receiver = parts[-1], parts[-2]
    if receiver in DJANGO_MANAGERS and method in DJANGO_QUERY_METHODS and len(parts) >= 3:
        return None if parts[-3] == "self" else "django"
    if method in SESSION_QUERY_METHODS and SESSION_RECEIVER.search(receiver):
        if method == "get" and not entity_first:
            return None
        return "sqlalchemy"
    if method in PEEWEE_QUERY_METHODS and receiver[:1].isupper():
        return "peewee"
    return None


def name_effects(name: str) -> List[Tuple[str, str]]:
    """Effects suggested by a function's name alone: a heuristic, so low confidence."""
    found = []
    if COMMIT_NAME.match(name):
        found.append(("commit", "low"))
    if REBUILD_NAME.match(name):
        found.append(("rebuild", "medium"))
    return found


def call_effects(qualified: Optional[str], parts: Optional[List[str]],
                 args: Sequence[cst.Arg] = ()) -> List[Tuple[str, str]]:
    """Effects of one call, from its resolved name or the method it calls on a receiver."""
    found = []
    external = _EXTERNAL_CALLS.get(qualified or "")
    if external == "external-sleep":
        length = _sleep_literal(args)
        if length is None or length >= SLEEP_SECONDS[external]:
            found.append((external, "high"))
        elif length >= SLEEP_FLOOR:
            found.append(("external-sleep-short", "high"))
    elif external is not None:
        found.append((external, "high"))
    if qualified in SYNC_CALLS:
        found.append(("sync", "high"))
        found.append(("commit", "high"))
    elif qualified in PARSE_CALLS:
        found.append(("parse", "high"))
        if qualified in PARSE_CODE_CALLS:
            found.append(("parse-code", "high"))
    if parts and len(parts) >= 2:
        method = parts[-1]
        receiver = parts[-2]
        if method == "parse_stream":
            found.append(("record-parse", "high"))  # construct's declarative parse of a stream (PFL205)
        if method == "commit" and DB_RECEIVER.search(receiver):
            found.append(("commit", "high"))
        elif method in QUERY_METHODS and DB_RECEIVER.search(receiver):
            found.append(("query", "high"))
        elif orm_query(parts):
            found.append(("query", "high"))
    return found


def _sleep_literal(args: Sequence[cst.Arg]) -> Optional[float]:
    """The seconds of `time.sleep(0.5)`; None for a length the code computes."""
    if not args or type(args[0].value) not in (cst.Integer, cst.Float):
        return None
    try:
        return float(args[0].value.value)  # type: ignore[attr-defined]
    except ValueError:
        return None


# A `with` block that opens a transaction and commits (or releases a savepoint) when it
# exits: Django's `atomic()`, SQLAlchemy's `begin()`/`begin_nested()`, peewee's
# `atomic()`/`transaction()`, a project's own `transaction()`/`_transact()` helper.
# The effect of a @contextmanager that yields inside a transaction block: a caller's `with`
# block of it holds one open (rules/sync/sync_per_statement.py records it, requirements.py reads it).
HOLDS_TRANSACTION = "holds-transaction"
# The effect of a function with a `with cm():` block that loops over items, a prefix for the
# context manager's dotted name (`batches-in:pkg.deferred_logging`): a transaction that `cm`
# holds around its `yield` is one per batch there (requirements.py, `!batched-by-callers`).
BATCHES_IN = "batches-in:"
TRANSACTION_CM = re.compile(
    r"^_*(atomic|transact|transaction|begin|begin_nested|savepoint)$"
    # not atomic_open/atomic_write: a file written to a temporary name and renamed is no transaction
    r"|^_*atomic_(?!(open|write|file|save|replace|rename|dump|copy|move)(_|$))|_atomic$"
    r"|^_*(db_|sql_)?transaction_|_transaction$",
    re.I,
)
# A block that opens a SAVEPOINT inside the transaction already open: releasing it commits
# nothing and syncs nothing (SQLAlchemy's `begin_nested()`, a `savepoint()` helper). Code in it
# is still in a transaction (writes there wait for the outer commit), but one per item is not a
# commit per item: Airflow's per-row savepoint lets one conflicting row fail alone (run 8).
SAVEPOINT_CM = re.compile(r"^_*(begin_nested|savepoint|nested_transaction)$", re.I)
# `with conn:` on a DB-API connection commits when the block exits (sqlite3, psycopg).
CONNECTION = re.compile(r"(^|_)(conn|connection|cnx|con)$", re.I)


# Errors a savepoint lets one statement raise without aborting the enclosing transaction.
ROW_ERRORS = re.compile(r"(Integrity|Database|Data|Operational|Unique\w*|Constraint\w*)Error$|^IntegrityViolation$")


def caught_errors(stmt: cst.Try) -> List[Optional[List[str]]]:
    """Per handler of a `try`, the last names of the errors it catches (None for `except:`)."""
    out: List[Optional[List[str]]] = []
    for handler in stmt.handlers:
        caught = handler.type
        if caught is None:
            out.append(None)
            continue
        parts = caught.elements if type(caught) is cst.Tuple else [caught]
        out.append([(dotted_text(part.value if type(part) is cst.Element else part) or "").rpartition(".")[2]
                    for part in parts])
    return out


def outside_errors(handlers: Optional[List[Optional[List[str]]]]) -> bool:
    """Whether there are handlers and each catches only errors named for something other than
    the database (no `except:`, no `Exception`, no database error): a payment provider's, a
    lock's, the program's own."""
    if not handlers:
        return False
    return all(names is not None and all(name and not ROW_ERRORS.search(name) and name not in ("Exception", "BaseException")
                                         for name in names) for names in handlers)


def savepoint_block(expr: cst.BaseExpression) -> bool:
    """Whether a `with` item opens a savepoint (`session.begin_nested()`), not a transaction."""
    if type(expr) is not cst.Call or type(expr.func) is not cst.Attribute:  # type: ignore[attr-defined]
        return False
    return bool(SAVEPOINT_CM.match(expr.func.attr.value))  # type: ignore[attr-defined]


# A signal sent by a cron job or a beat schedule (pretix's `periodic_task`, sent by its
# `runperiodic` command): its receivers run once per period, not per request or item.
PERIODIC_SIGNAL = re.compile(r"periodic|cron|hourly|daily|nightly|weekly", re.I)
_PERIODIC_DECORATORS = frozenset({"periodic_task", "scheduled_job"})  # old Celery, APScheduler
# The effect of a function that registers periodic tasks (`sender.add_periodic_task(...)`).
REGISTERS_PERIODIC = "registers-periodic"


# Django signals sent once per `migrate` command: their receivers are part of that one run
# (pulpcore's access-policy and role population, labelled PLAUSIBLE in run 10).
MIGRATE_SIGNAL = re.compile(r"^(pre|post)_migrate$")
# The effect of a function that connects receivers to those signals (`post_migrate.connect(f)`).
REGISTERS_MIGRATE_HOOK = "registers-migrate-hook"
# Django's system-check registry: a check runs once per management command or server start.
SYSTEM_CHECK_REGISTERS = frozenset({"django.core.checks.register", "django.core.checks.registry.register",
                                    "django.core.checks.registry.CheckRegistry.register"})


def receiver_signal(expr: cst.BaseExpression, names: Tuple[str, ...] = ("receiver",)) -> Optional[cst.BaseExpression]:
    """The signal a decorator `@receiver(sig)` / `@receiver(signal=sig)` names (its `signal=`
    argument, else its first), or None when `expr` is not a call of one of `names`."""
    if type(expr) is not cst.Call or not expr.args:  # type: ignore[attr-defined]
        return None
    if (dotted_text(expr.func) or "").rpartition(".")[2] not in names:  # type: ignore[attr-defined]
        return None
    return next((a.value for a in expr.args if a.keyword is not None and a.keyword.value == "signal"),  # type: ignore[attr-defined]
                expr.args[0].value)  # type: ignore[attr-defined]


def migrate_hook_decorated(node: cst.FunctionDef) -> bool:
    """`@receiver(post_migrate)`, `@receiver(pre_migrate, sender=...)`: runs once per migrate."""
    for deco in node.decorators:
        signal = receiver_signal(deco.decorator)
        if signal is not None and MIGRATE_SIGNAL.match((dotted_text(signal) or "").rpartition(".")[2]):
            return True
    return False


def connects_migrate_hook(text: str) -> bool:
    """Whether a call, as written, connects a receiver to a migrate signal (`post_migrate.connect`)."""
    head, _, last = text.rpartition(".")
    return last == "connect" and bool(MIGRATE_SIGNAL.match(head.rpartition(".")[2]))


def periodic_decorated(node: cst.FunctionDef) -> bool:
    """Whether a decorator makes the function a periodic job: `@receiver(periodic_task)`,
    `@receiver(signal=cron_tick)`, `@periodic_task(run_every=...)`, `@sched.scheduled_job(...)`."""
    for deco in node.decorators:
        expr = deco.decorator
        call = expr if type(expr) is cst.Call else None
        name = dotted_text(call.func if call is not None else expr) or ""  # type: ignore[attr-defined]
        last = name.rpartition(".")[2]
        if last in _PERIODIC_DECORATORS:
            return True
        signal = receiver_signal(expr, ("receiver", "connect"))
        if signal is not None and PERIODIC_SIGNAL.search((dotted_text(signal) or "").rpartition(".")[2]):
            return True
    return False


def transaction_decorated(node: cst.FunctionDef) -> bool:
    """Whether a decorator holds a transaction open around the function's body
    (`@transaction.atomic`, `@transaction.atomic()`, peewee's `@db.atomic()`): what the body
    writes commits once when the call returns, as in a `with` block (pretix's views)."""
    for deco in node.decorators:
        expr = deco.decorator
        if type(expr) is cst.Call:
            expr = expr.func  # type: ignore[attr-defined]
        last = (dotted_text(expr) or "").rpartition(".")[2]
        if last and TRANSACTION_CM.search(last) and not SAVEPOINT_CM.match(last):
            return True
    return False


def transaction_block(expr: cst.BaseExpression) -> Optional[str]:
    """The text of a `with` item that opens a transaction committed when the block exits
    (`transaction.atomic()`, `session.begin()`, `lib.transaction()`, `with conn:`), or None."""
    if type(expr) is cst.Call:
        func = expr.func  # type: ignore[attr-defined]
        called = dotted_text(func)
        if called is None and type(func) is cst.Attribute:
            called = "..." + func.attr.value  # conn().atomic()
        last = (called or "").split(".")[-1]
        return f"{called}(...)" if called and TRANSACTION_CM.search(last) else None
    text = dotted_text(expr)
    if text and CONNECTION.search(text.split(".")[-1]):
        return text
    return None
