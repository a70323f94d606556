"""SQLAlchemy declarative models of one file: which `relationship()` attributes load lazily, which
of a model's methods read them, and which relations a query's loader options load with the rows.

A relationship attribute loads its rows on first access, one SELECT per object, unless it is
declared eager (`lazy="joined"`, `"selectin"`, `"subquery"`, `"immediate"`, `False`) or loads
nothing (`"noload"`, `None`, `"raise"`, `"raise_on_sql"`, `"write_only"`). `lazy="dynamic"`
returns a query: each use of it is a query too. A query's `options(joinedload(M.rel))`,
`selectinload`, `subqueryload`, `immediateload` or `contains_eager` loads the relation with the
rows (and `noload`/`raiseload` loads nothing); `defaultload` and `lazyload` leave it lazy.
PFL503 (rules/fastpath/query_in_loop.py) reads these facts; this module only parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.nodes import own_nodes

# `lazy=` values: what reading the attribute does the first time on each object.
LAZY_SELECT = "select"  # one SELECT per object (the default, `lazy=True`)
LAZY_DYNAMIC = "dynamic"  # a query object: each use of it runs a query
_LAZY_VALUES = {"select": LAZY_SELECT, "dynamic": LAZY_DYNAMIC}
# Loader options that load the relation with the rows, or load nothing on access.
COVERING_LOADERS = frozenset({"joinedload", "selectinload", "subqueryload", "immediateload", "contains_eager",
                              "noload", "raiseload", "joinedload_all", "subqueryload_all", "selectinload_all"})
# Loader options that name a relation and leave it lazy (a path to go through).
_PATH_LOADERS = frozenset({"defaultload", "lazyload", "Load", "load_only", "defer", "undefer", "undefer_group",
                           "with_expression", "selectin_polymorphic"})
# Collection writes (`self.children.append(c)`), and a dynamic relationship's bulk UPDATE or
# DELETE (`self.items.filter_by(...).update(...)`): no read of the rows to prefetch.
_WRITES = frozenset({"append", "extend", "remove", "add", "discard", "clear", "pop", "insert", "update", "delete"})
# A helper the query is handed to whose name says it may add loader options.
_LOADING_HELPER = re.compile(r"(load|eager|option|prefetch|preload|include|fetch)", re.I)


@dataclass
class Model:
    """A class of this file that declares relationship() attributes."""

    name: str
    bases: Tuple[str, ...]
    relations: Dict[str, str] = field(default_factory=dict)  # attribute -> lazy kind ("" = no query per access)
    methods: Dict[str, cst.FunctionDef] = field(default_factory=dict, repr=False)


def relationship_kind(value: cst.BaseExpression, resolve: Callable[[cst.BaseExpression], Optional[str]],
                      sqlalchemy_file: bool) -> Optional[str]:
    """For a `relationship(...)` call of SQLAlchemy (`relationship`, `orm.relationship` in a
    file that names sqlalchemy, or Flask-SQLAlchemy's `db.relationship`): its lazy kind,
    LAZY_SELECT or LAZY_DYNAMIC, or "" when an access runs no query of its own (eager, no
    load, or a `lazy=` value that is not a literal). None when it is no relationship call."""
    if type(value) is not cst.Call:
        return None
    text = dotted_text(value.func) or ""
    if text.rpartition(".")[2] != "relationship":
        return None
    # the file's imports are not known before its traversal: a file that names sqlalchemy
    # (or flask_sqlalchemy), or Flask-SQLAlchemy's `db.relationship` anywhere
    resolved = resolve(value.func) or ""
    if not (resolved.startswith("sqlalchemy.") or sqlalchemy_file or text == "db.relationship"):
        return None
    for arg in value.args:
        if arg.keyword is None or arg.keyword.value != "lazy":
            continue
        lazy = arg.value
        if isinstance(lazy, cst.Name) and lazy.value == "True":
            return LAZY_SELECT
        if isinstance(lazy, cst.SimpleString) and isinstance(lazy.evaluated_value, str):
            return _LAZY_VALUES.get(lazy.evaluated_value, "")
        return ""  # False (joined), None (noload) or a value we cannot read
    return LAZY_SELECT


def file_models(module: cst.Module, resolve: Callable[[cst.BaseExpression], Optional[str]],
                source: str) -> Dict[str, Model]:
    """The top-level classes of a file that declare relationship() attributes (also through
    a base class of the same file), with their methods."""
    if "relationship" not in source:
        return {}
    sqlalchemy_file = "sqlalchemy" in source
    classes: Dict[str, Model] = {}
    for stmt in module.body:
        if type(stmt) is not cst.ClassDef:
            continue
        model = Model(stmt.name.value, tuple(dotted_text(b.value) or "" for b in stmt.bases))
        for item in stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else ():
            if type(item) is cst.FunctionDef:
                model.methods[item.name.value] = item
                continue
            if type(item) is not cst.SimpleStatementLine:
                continue
            for small in item.body:
                if type(small) is cst.Assign:
                    targets = [t.target for t in small.targets]
                    value = small.value
                elif type(small) is cst.AnnAssign and small.value is not None:
                    targets, value = [small.target], small.value
                else:
                    continue
                kind = relationship_kind(value, resolve, sqlalchemy_file)
                if kind is None:
                    continue
                for target in targets:
                    if type(target) is cst.Name:
                        model.relations[target.value] = kind
        classes[model.name] = model
    # inherit the relations and methods of bases of this file (a mixin or an abstract base)
    out: Dict[str, Model] = {}
    for name, model in classes.items():
        relations: Dict[str, str] = {}
        methods: Dict[str, cst.FunctionDef] = {}
        for klass in reversed(_file_mro(name, classes)):
            relations.update(classes[klass].relations)
            methods.update(classes[klass].methods)
        if relations:
            out[name] = Model(name, model.bases, relations, methods)
    return out


def _file_mro(name: str, classes: Dict[str, Model]) -> List[str]:
    """The class and its bases that this file defines, nearest first (depth-first)."""
    order: List[str] = []
    todo = [name]
    while todo and len(order) < 20:
        cur = todo.pop(0)
        if cur in order or cur not in classes:
            continue
        order.append(cur)
        todo[:0] = [b for b in classes[cur].bases if b in classes]
    return order


def lazy_reads(method: cst.FunctionDef, lazy: Set[str]) -> List[Tuple[str, cst.Attribute]]:
    """`self.<relation>` reads in a method's body of the given lazy relations, in source order
    (not an assignment to it, nor a write to its collection: `self.tags.append(t)`)."""
    params = method.params.params
    if not params or not lazy:
        return []
    self_name = params[0].name.value
    found: List[Tuple[str, cst.Attribute]] = []
    stores: Set[int] = set()
    parents: Dict[int, cst.CSTNode] = {}
    for node, parent in own_nodes(method.body):
        if parent is not None:
            parents[id(node)] = parent
        kind = type(node)
        if kind is cst.AssignTarget or kind is cst.Del:
            target = node.target
            if type(target) is cst.Attribute:
                stores.add(id(target))
        elif kind is cst.Attribute and type(node.value) is cst.Name and node.value.value == self_name \
                and node.attr.value in lazy and id(node) not in stores:
            found.append((node.attr.value, node))
    return [(name, node) for name, node in found if not _written(node, parents)]


def _written(node: cst.CSTNode, parents: Dict[int, cst.CSTNode]) -> bool:
    """The chain of calls on `self.<relation>` writes (`self.tags.append(t)`, a dynamic
    relationship's `self.items.filter_by(...).update(...)`): no rows read."""
    cur = node
    for _ in range(10):
        parent = parents.get(id(cur))
        if type(parent) is not cst.Attribute or parent.value is not cur:
            return False
        if parent.attr.value in _WRITES:
            return True
        call = parents.get(id(parent))
        if type(call) is not cst.Call or call.func is not parent:
            return False
        cur = call
    return False


def loader_cover(options: cst.Call) -> Optional[Set[str]]:
    """The relation names an `options(...)` call loads with the rows or never loads
    (`joinedload(M.urls).joinedload(U.meta)`: urls and meta; `selectinload("tags")`: tags);
    None when it may cover any relation (`"*"`, an option held in a name, `*opts`, a call
    we do not know)."""
    covered: Set[str] = set()
    for arg in options.args:
        if arg.star:
            return None
        names = _chain_cover(arg.value)
        if names is None:
            return None
        covered |= names
    return covered


def _chain_cover(expr: cst.BaseExpression) -> Optional[Set[str]]:
    covered: Set[str] = set()
    seen = 0
    while seen < 30:
        seen += 1
        if type(expr) is not cst.Call:
            return None
        func = expr.func
        loader = (dotted_text(func) or "").rpartition(".")[2] if type(func) is not cst.Attribute \
            or type(func.value) is not cst.Call else func.attr.value
        if loader not in COVERING_LOADERS and loader not in _PATH_LOADERS:
            return None
        for arg in expr.args:
            if arg.keyword is not None:
                continue
            value = arg.value
            if type(value) is cst.Attribute:
                if loader in COVERING_LOADERS:
                    covered.add(value.attr.value)
            elif type(value) is cst.SimpleString and isinstance(value.evaluated_value, str):
                text = value.evaluated_value
                if "*" in text:
                    return None  # a wildcard: every relation
                if loader in COVERING_LOADERS:
                    covered |= set(text.split("."))
            elif loader in COVERING_LOADERS:
                return None  # a relation we cannot name
        if type(func) is cst.Attribute and type(func.value) is cst.Call:
            expr = func.value  # `joinedload(A.b).joinedload(B.c)`: the part before
            continue
        return covered
    return None


def loading_helper(name: str) -> bool:
    """A function the query is handed to (`query = apply_options(query)`) that may add loader
    options, by its name."""
    return bool(_LOADING_HELPER.search(name))
