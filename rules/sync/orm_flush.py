"""What PFL402 needs to judge an ORM session's `flush()` per item (SQLAlchemy's `Session.flush`,
Flask-SQLAlchemy's `db.session.flush`): is the flush a session's, and is it needed where it is?

A flush sends the pending INSERT/UPDATE/DELETE statements and runs the unit of work's bookkeeping;
the commit (or a flush after the loop) would send them anyway, batched. A flush per item is
needed, and not reported, where the next statements read what only the database gives the row
(its generated key, a server default: `obj.id` after `flush()`), where a query later in the same
pass must see the row, or where the flush is the statement a per-row `try`/`except
IntegrityError` (or a savepoint) is there to catch.
"""

from __future__ import annotations

import re
from typing import List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.effects import SESSION_QUERY_METHODS, SESSION_RECEIVER
from perflint.nodes import own_nodes
from perflint.ruleutil import method_name, receiver_text

# The effect recorded where the program turns the session's autoflush off (`autoflush=False`
# to a Session/sessionmaker, or in a dict of session options); requirements.py reads it
# program-wide (`program-effect:`).
AUTOFLUSH_OFF = "autoflush-off"
# Packages whose sessions flush: a `session.flush()` of a program that imports none of them is
# some other object's.
ORM_PACKAGES = ("sqlalchemy", "flask_sqlalchemy", "sqlmodel")

# Errors a per-row handler catches when the flush is there to raise them for that row.
_ROW_ERRORS = re.compile(r"(Integrity|Database|Data|Operational|Unique\w*|Constraint\w*|Flush)Error$"
                         r"|^IntegrityViolation$|^(Base)?Exception$")
# Queries on a session (autoflush runs before each): `session.query(...)`, `session.execute(...)`,
# `session.get(Model, pk)`, `session.scalars(...)`, and Flask-SQLAlchemy's `Model.query....`.
_QUERY_ATTRS = SESSION_QUERY_METHODS | {"query"}
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def session_flush(node: cst.Call) -> Optional[str]:
    """The receiver's text when `node` is `<session>.flush()` (with no argument, or the objects to
    flush): `session`, `self.session`, `db.session`, `DBSession`; None for a file's, a stream's, a
    handler's or a buffer's flush."""
    if method_name(node) != "flush" or len(node.args) > 1 or any(a.keyword is not None for a in node.args):
        return None
    receiver = receiver_text(node)
    if not receiver or not SESSION_RECEIVER.search(receiver.split(".")[-1]):
        return None
    return receiver


def autoflush_off(node: cst.CSTNode) -> bool:
    """`autoflush=False` passed to a call, or `"autoflush": False` in a dict display."""
    if type(node) is cst.Arg:
        return (node.keyword is not None and node.keyword.value == "autoflush"
                and type(node.value) is cst.Name and node.value.value == "False")
    if type(node) is cst.DictElement:
        key, value = node.key, node.value
        return (type(key) is cst.SimpleString and key.evaluated_value == "autoflush"
                and type(value) is cst.Name and value.value == "False")
    return False


def _is_session_query(node: cst.Call) -> bool:
    """A call that queries through a session: a query method on a session receiver, a chain
    that starts with one (`session.query(X).filter(...).first()`), or `Model.query....`."""
    func = node.func
    while type(func) is cst.Attribute:
        value = func.value
        name = func.attr.value
        if name in _QUERY_ATTRS and type(value) in (cst.Name, cst.Attribute):
            text = dotted_text(value) or ""
            last = text.split(".")[-1]
            if SESSION_RECEIVER.search(last) or (name == "query" and last[:1].isupper()):
                return True
        if type(value) is cst.Call:
            func = value.func
        else:
            func = value
    return False


def _added_names(scope: cst.CSTNode) -> Set[str]:
    """Names handed to a session's `add(x)` / `add_all([a, b])` in the scope."""
    out: Set[str] = set()
    for node, _ in own_nodes(scope):
        if type(node) is not cst.Call or method_name(node) not in ("add", "add_all") or not node.args:
            continue
        receiver = receiver_text(node) or ""
        if not SESSION_RECEIVER.search(receiver.split(".")[-1]):
            continue
        value = node.args[0].value
        items = [e.value for e in value.elements] if type(value) in (cst.List, cst.Tuple) else [value]
        out.update(item.value for item in items if type(item) is cst.Name)
    return out


def _known_attrs(scope: cst.CSTNode, names: Set[str]) -> Set[Tuple[str, str]]:
    """(name, attribute) the code itself sets on an added object: `obj.arch = arch`, or
    `obj = Model(arch=arch)`: reading those back needs no flush."""
    out: Set[Tuple[str, str]] = set()
    for node, _ in own_nodes(scope):
        if type(node) is cst.AssignTarget and type(node.target) is cst.Attribute:
            target = node.target
            if type(target.value) is cst.Name and target.value.value in names:
                out.add((target.value.value, target.attr.value))
        elif type(node) is cst.Assign and type(node.value) is cst.Call:
            for t in node.targets:
                if type(t.target) is cst.Name and t.target.value in names:
                    out.update((t.target.value, a.keyword.value) for a in node.value.args if a.keyword is not None)
    return out


_KEY_ATTR = re.compile(r"^(id|pk|uuid|\w+_id)$")


def adds_before(scope: cst.CSTNode, flush: cst.Call) -> bool:
    """Whether the scope hands a new object to a session's `add()`/`add_all()` before the flush:
    the flush then sends pending INSERTs, which the commit would batch. (A flush after an UPDATE
    or a bulk DELETE, or after a relationship append, is left alone.)"""
    for node, _ in own_nodes(scope):
        if node is flush:
            return False
        if type(node) is cst.Call and method_name(node) in ("add", "add_all") and node.args:
            receiver = receiver_text(node) or ""
            if SESSION_RECEIVER.search(receiver.split(".")[-1]):
                return True
    return False


def needed_here(scope: cst.CSTNode, flush: cst.Call) -> Optional[str]:
    """Why the flush is needed at its place, from what follows it in the scope (the loop's body,
    or the function's when a caller's loop repeats it); None when nothing needs it.

    - the next statements read what the database gave an added row: an attribute of an added
      object that the code did not set itself (`obj.id`, a server default), a key attribute
      (`.id`, `.pk`, `.x_id`) of anything, or `session.refresh(obj)`; or they hand the added
      object on (to a call, a signal, a log line whose `%s` shows its key, a list, the caller):
      what receives it may read its key;
    - a query later in the same pass, which must see the row (with autoflush on, the query would
      flush it anyway: removing the explicit flush saves nothing)."""
    added = _added_names(scope)
    known = _known_attrs(scope, added)
    inside = {id(n) for n, _ in own_nodes(flush)}  # `flush([obj])`'s own argument is not after it
    owners: Set[int] = set()
    after = False
    for node, _ in own_nodes(scope):
        if node is flush:
            after = True
            continue
        if not after or id(node) in inside:
            continue
        kind = type(node)
        if kind is cst.Name and node.value in added and id(node) not in owners:
            return f"hands {node.value} on after the flush"  # to a call, a signal, a log line, a list, the caller
        if kind is cst.Attribute and type(node.value) is cst.Name:
            owners.add(id(node.value))  # judged here by the attribute read, not as the object handed on
            name, attr = node.value.value, node.attr.value
            if name in added and (name, attr) not in known:
                return f"reads {name}.{attr} after the flush"
            if _KEY_ATTR.match(attr) and name not in ("self", "cls"):
                return f"reads {name}.{attr} after the flush"
        elif kind is cst.Call:
            if method_name(node) == "refresh":
                return "refreshes an object after the flush"
            if _is_session_query(node):
                return "queries the session after the flush, in the same pass"
        elif kind is cst.Return and node.value is not None:
            value = node.value
            names = {value.value} if type(value) is cst.Name else (
                {e.value.value for e in value.elements if type(e.value) is cst.Name}
                if type(value) in (cst.Tuple, cst.List) else set())
            if names & added:
                return "returns the added object after the flush"
    return None


def queries_before(scope: cst.CSTNode, flush: cst.Call) -> bool:
    """Whether the scope queries through a session before the flush (a get-or-create's lookup):
    with autoflush on, that query would flush the previous item's row anyway."""
    for node, _ in own_nodes(scope):
        if node is flush:
            return False
        if type(node) is cst.Call and _is_session_query(node):
            return True
    return False


def commits_in(scope: cst.CSTNode) -> bool:
    """The scope commits a session too (`session.commit()`): PFL402 reports that commit, which
    flushes; the flush is part of the same per-item transaction."""
    for node, _ in own_nodes(scope):
        if type(node) is cst.Call and method_name(node) == "commit" and not node.args:
            return True
    return False


def guarded_per_row(stack: List[cst.CSTNode], stop: Optional[cst.CSTNode]) -> Optional[str]:
    """A `try` whose handlers catch a database error (or any `Exception`) around the flush, or a
    savepoint / no-autoflush block, between the flush and `stop` (the loop, or the function):
    the flush is where that row's error is raised and handled. "savepoint", "try", or None."""
    for i in range(len(stack) - 1, 0, -1):
        outer = stack[i - 1]
        if outer is stop or type(outer) in _SCOPES:
            break
        if type(outer) is cst.Try and stack[i] is outer.body:
            for handler in outer.handlers:
                caught = handler.type
                if caught is None:
                    return "try"
                parts = caught.elements if type(caught) is cst.Tuple else [caught]
                for part in parts:
                    name = (dotted_text(part.value if type(part) is cst.Element else part) or "").rpartition(".")[2]
                    if _ROW_ERRORS.search(name):
                        return "try"
        if type(outer) is cst.With and stack[i] is outer.body:
            for item in outer.items:
                call = item.item
                if type(call) is cst.Call and method_name(call) in ("begin_nested", "savepoint"):
                    return "savepoint"
    return None


def in_no_autoflush(stack: List[cst.CSTNode]) -> bool:
    """Inside `with session.no_autoflush:`: queries in the block do not flush."""
    for i in range(len(stack) - 1, 0, -1):
        outer = stack[i - 1]
        if type(outer) in _SCOPES:
            break
        if type(outer) is cst.With and stack[i] is outer.body:
            if any(type(item.item) is cst.Attribute and item.item.attr.value == "no_autoflush" for item in outer.items):
                return True
    return False


def periodic(test: cst.BaseExpression) -> bool:
    """An `if` test that holds once per batch of items: a modulo (`if i % 100 == 0:`) or a count
    compared to a number above one (`if self.pending > 1000:`, `if len(rows) >= 500:`)."""
    for node, _ in own_nodes(test):
        kind = type(node)
        if kind is cst.BinaryOperation and type(node.operator) is cst.Modulo:
            return True
        if kind is cst.Comparison:
            sides = [node.left] + [c.comparator for c in node.comparisons]
            for side in sides:
                if type(side) is cst.Integer:
                    try:
                        if int(side.value.replace("_", ""), 0) > 1:
                            return True
                    except ValueError:
                        continue
    return False


def loops_before(scope: cst.CSTNode, flush: cst.CSTNode) -> bool:
    """Whether the scope runs a loop of its own before the flush: the flush then sends what that
    loop added, once per batch (a pass per problem type that adds its reports' rows)."""
    for node, _ in own_nodes(scope):
        if node is flush:
            return False
        if type(node) in (cst.For, cst.While):
            return True
    return False


def gets_or_creates(scope: cst.CSTNode, flush: cst.CSTNode) -> bool:
    """Whether the scope adds its row only when a lookup made before found none (`link =
    lookup(...)`; `if not link: session.add(Link(...))`), however the lookup is spelled (a
    session query, a model's `by_name()`): like a session query, that lookup autoflushes."""
    looked_up: Set[str] = set()
    for node, _ in own_nodes(scope):
        if node is flush:
            return False
        kind = type(node)
        if kind is cst.Assign and type(node.value) is cst.Call:
            looked_up.update(t.target.value for t in node.targets if type(t.target) is cst.Name)
        elif kind is cst.If and looked_up and (_names(node.test) & looked_up):
            for inner, _ in own_nodes(node.body):
                if type(inner) is cst.Call and method_name(inner) in ("add", "add_all"):
                    receiver = receiver_text(inner) or ""
                    if SESSION_RECEIVER.search(receiver.split(".")[-1]):
                        return True
    return False


def _names(expr: cst.CSTNode) -> Set[str]:
    return {n.value for n, _ in own_nodes(expr) if type(n) is cst.Name}


# A decorator that gives the function a session or a transaction of its own per call (Airflow's
# `@provide_session`, a `@with_session`, `@transactional`, `@atomic`): it commits what the
# function flushed when the call returns, so the flush is that commit's, once per call anyway.
_SESSION_DECORATOR = re.compile(r"session|transaction|atomic|commit", re.I)


def own_session_per_call(fn: Optional[cst.FunctionDef]) -> bool:
    return fn is not None and any(_SESSION_DECORATOR.search(dotted_text(d.decorator.func if type(d.decorator) is cst.Call
                                                                               else d.decorator) or "")
                                  for d in fn.decorators)
