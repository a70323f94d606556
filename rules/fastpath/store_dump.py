"""PFL504's second shape: every entry of a store read into a dict, to look up a few keys."""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from perflint.context import dotted_text
from perflint.nodes import own_nodes

# A receiver that reads from storage, not a collection in memory: whoosh's `ixreader`, a
# `reader`, a `db`/`database`, a `dbm` or `shelf`, a `searcher`.
_STORE = re.compile(r"(^|_)(ix|index_?)?(reader|db|database|dbm|shelf|searcher)$", re.I)
# A method that walks every entry it holds: `iter_field()`, `iteritems()`, `lexicon()`.
_READ_ALL = re.compile(r"^(iter(_?[a-z]\w*)?|lexicon)$")


def store_read_all(expr: cst.BaseExpression) -> Optional[str]:
    """`ixreader.iter_field()` when `expr` is a call that reads every entry of a store."""
    if type(expr) is not cst.Call or type(expr.func) is not cst.Attribute:
        return None
    method = expr.func.attr.value
    if not _READ_ALL.match(method):
        return None
    receiver = dotted_text(expr.func.value)
    if receiver is None or not _STORE.search(receiver.rpartition(".")[2]):
        return None
    return f"{receiver}.{method}()"


def dict_of_store(value: cst.BaseExpression) -> Optional[str]:
    """How a dict is filled from every entry of a store: `dict(<generator over a read>)`,
    `dict(<read>)` or `{k: v for k, v in <read>}`; None for anything else."""
    if type(value) is cst.DictComp:
        comp = value.for_in
        return store_read_all(comp.iter) if comp.inner_for_in is None else None
    if type(value) is not cst.Call or type(value.func) is not cst.Name or value.func.value != "dict":
        return None
    if len(value.args) != 1 or value.args[0].keyword is not None or value.args[0].star:
        return None
    arg = value.args[0].value
    if type(arg) is cst.GeneratorExp:
        return store_read_all(arg.for_in.iter) if arg.for_in.inner_for_in is None else None
    return store_read_all(arg)


def only_looked_up(cls: cst.ClassDef, attr: str) -> bool:
    """`self.<attr>` is assigned once in the class and otherwise only read one key at a time:
    `self.d[k]`, `self.d.get(k)`, `k in self.d`, also through a local alias in a method
    (`d = self.d` then `d[k]`). Iterating it, its size, passing it on or writing entries into
    it (a cache being filled) use more than a few keys."""
    assigned = lookups = 0
    for statement in cls.body.body:  # one walk per method: an alias is local to its method
        written, aliases = set(), set()
        for node, parent in own_nodes(statement, skip=(cst.ClassDef,)):
            kind = type(node)
            if kind is cst.Assign:
                written.update(id(t.target) for t in node.targets)
            elif kind is cst.AugAssign or kind is cst.AnnAssign or kind is cst.Del:
                written.add(id(node.target))
            if kind is cst.Name and node.value in aliases:
                if type(parent) is cst.Attribute and parent.attr is node or id(node) in written:
                    continue  # `x.d`, not the alias; the alias's own assignment
            elif kind is not cst.Attribute or node.attr.value != attr or type(node.value) is not cst.Name \
                    or node.value.value != "self":
                continue
            elif id(node) in written:
                assigned += 1
                continue
            elif type(parent) is cst.Assign and len(parent.targets) == 1 and type(parent.targets[0].target) is cst.Name:
                aliases.add(parent.targets[0].target.value)  # d = self.d
                continue
            if not _one_key(node, parent, written):
                return False
            lookups += 1
    return assigned == 1 and lookups > 0


def _one_key(node: cst.CSTNode, parent: Optional[cst.CSTNode], written: set) -> bool:
    """`node[k]` read (not written), `node.get(...)`, `k in node`."""
    up = type(parent)
    if up is cst.Subscript:
        return parent.value is node and id(parent) not in written and len(parent.slice) == 1 \
            and type(parent.slice[0].slice) is cst.Index
    if up is cst.Attribute:
        return parent.value is node and parent.attr.value == "get"
    if up is cst.ComparisonTarget:
        return parent.comparator is node and type(parent.operator) in (cst.In, cst.NotIn)
    return False
