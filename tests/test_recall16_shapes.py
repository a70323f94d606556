"""Session sixteen's shapes (bench/realbugs.toml): PFL101 on a local that aliases stored state
at the copy, through every binding that can reach it (tomlkit-super-table-merge-deepcopy), and
PFL305 on a `__hash__` over the fields of a recursive node class, which hashes the whole
subtree on every call (graphql-core-node-hash-uncached). The buggy form, the fixed form and
near misses; each buggy test fails on the code before the change (PFL101 read a local bound
in the function as a fresh value; PFL305 skipped every hash that reads fields)."""

from __future__ import annotations

import pytest

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, rule, config, name="m.py"):
    return [f for f in lint_sources({name: src}, select=(rule,), config=config) if f.rule == rule]


# -- PFL101: a document's merge deep-copies the stored table it found ---------------------
MERGE = '''import copy


class Table:
    def __init__(self):
        self.body = []

    def is_super(self):
        return not self.body

    def add(self, key, value):
        self.body.append((key, value))


class Document:
    def __init__(self):
        self._body = []
        self._index = {}

    def append(self, key, table):
        if key in self._index:
            idx = self._index[key]
            if isinstance(idx, tuple):
                entry = self._body[idx[-1]]
            else:
                entry = self._body[idx]
            current = entry[1]
            if isinstance(table, list):
                current = [current, *table]
                self._body[idx] = (key, current)
                return self
            if current.is_super():
                current = copy.deepcopy(current)
                for k, v in table.body:
                    current.add(k, v)
                self._body[idx] = (key, current)
                return self
        self._index[key] = len(self._body)
        self._body.append((key, table))
        return self


def parse(pairs):
    doc = Document()
    for key, table in pairs:
        doc.append(key, table)
    return doc
'''
MERGE_MESSAGE = ("copy.deepcopy() of 'current', a local bound to an attribute, on every call: the structure is "
                 "cloned each time this runs")


def test_a_local_bound_from_an_entry_of_stored_state_and_deep_copied_is_reported(round_config):
    # `current` is bound three times: from an entry of self._body (through `entry`, bound on
    # both branches of an if), to a list in a branch that returns, and by the copy itself;
    # only the first reaches the copy
    (f,) = found(MERGE, "PFL101", round_config)
    assert (f.line, f.severity, f.message) == (33, "error", MERGE_MESSAGE)
    assert f.cost == pytest.approx(1e-6 * 100)  # deepcopy-element x 100 elements (size unknown)
    assert f.frequency == 100  # parse's loop over the pairs


def test_the_merge_in_place_is_quiet(round_config):
    fixed = MERGE.replace("                current = copy.deepcopy(current)\n", "")
    assert found(fixed, "PFL101", round_config) == []


@pytest.mark.parametrize("rebind", [
    # a fresh table on some path to the copy: the copy may be of a value the call made
    "            if not current.is_super():\n                current = Table()\n",
    # a value a call returns: not visibly the stored one
    "            current = self.lookup(key)\n",
    # unpacked: one part of a value, not read
    "            _, current = entry\n",
])
def test_a_local_that_may_hold_something_else_at_the_copy_is_quiet(round_config, rebind):
    near = MERGE.replace("            if current.is_super():\n", rebind + "            if current.is_super():\n", 1)
    near = near.replace("                current = copy.deepcopy(current)\n",
                        "                current = copy.deepcopy(current)\n                return current\n")
    assert found(near, "PFL101", round_config) == []


def test_a_copy_of_the_previous_copy_around_a_loop_is_quiet(round_config):
    # the binding that reaches the copy on the second trip is the copy before it: a snapshot
    # per step, not the stored structure again
    src = ("import copy\n"
           "class Board:\n"
           "    def __init__(self):\n"
           "        self.start = {}\n"
           "    def play(self, moves):\n"
           "        state = self.start\n"
           "        for move in moves:\n"
           "            state = copy.deepcopy(state)\n"
           "            state[move] = True\n"
           "        return state\n")
    assert found(src, "PFL101", round_config) == []
    # the same loop copying the stored start each time is reported
    again = src.replace("            state = copy.deepcopy(state)\n", "            step = copy.deepcopy(state)\n")
    (f,) = found(again, "PFL101", round_config)
    assert (f.line, f.message) == (8, "copy.deepcopy() of 'state', a local bound to an attribute, on every call: "
                                      "the structure is cloned each time this runs")


@pytest.mark.parametrize("body, line", [
    # a handler that binds a fresh value: it may reach the copy
    ("        try:\n            x = self.t[k]\n        except KeyError:\n            x = {}\n"
     "        return copy.deepcopy(x)\n", None),
    # a handler that leaves: only the try body's binding reaches
    ("        try:\n            x = self.t[k]\n        except KeyError:\n            raise\n"
     "        return copy.deepcopy(x)\n", 8),
    # every branch binds stored state
    ("        if k:\n            x = self.a\n        elif k == 2:\n            x = self.b[k]\n        else:\n"
     "            x = self.c\n        return copy.deepcopy(x)\n", 10),
    # one branch binds a fresh list
    ("        if k:\n            x = self.a\n        elif k == 2:\n            x = []\n        else:\n"
     "            return None\n        return copy.deepcopy(x)\n", None),
    # rebound from a call before the copy, and bound in a loop's target
    ("        x = self.t\n        x = x.get(k)\n        return copy.deepcopy(x)\n", None),
    ("        for x in self.items:\n            pass\n        return copy.deepcopy(x)\n", None),
    # another package's configuration, handed out as a copy to change
    ("        from django.conf import settings\n        m = settings.JOB_MANIFEST\n"
     "        return copy.deepcopy(m)\n", None),
])
def test_the_bindings_that_reach_the_copy_decide(round_config, body, line):
    src = "import copy\nclass A:\n    def get(self, k):\n" + body
    assert [f.line for f in found(src, "PFL101", round_config)] == ([line] if line else [])


def test_a_local_bound_to_a_parameter_is_a_note_of_low_confidence(round_config):
    src = ("import copy\n"
           "def render(options, rows):\n"
           "    base = options.defaults\n"
           "    return [copy.deepcopy(base) for r in rows]\n")
    (f,) = found(src, "PFL101", round_config)
    assert (f.line, f.confidence, f.message) == (
        4, "low", "copy.deepcopy() of 'base', a local bound to an attribute of parameter 'options', on every call: "
                  "the structure is cloned each time this runs")
    # the parameter itself, rebound by the copy: the same words as a parameter copied as it is
    src = ("import copy\n"
           "def sanitize(msg):\n"
           "    msg = copy.deepcopy(msg)\n"
           "    return msg\n")
    (f,) = found(src, "PFL101", round_config)
    assert (f.line, f.confidence, f.message) == (
        3, "low", "copy.deepcopy() of parameter 'msg' on every call: the structure is cloned each time this runs")


# -- PFL305: a syntax tree's node hashes every field, child nodes included -------------------
NODES = '''from typing import List, Optional, Tuple


class Node:
    __slots__ = ("loc",)
    keys: Tuple[str, ...] = ("loc",)

    def __init__(self, **kwargs):
        for key in self.keys:
            setattr(self, key, kwargs.get(key))

    def __hash__(self):
        return hash(tuple(getattr(self, key) for key in self.keys))


class NameNode(Node):
    __slots__ = ("value",)

    value: str


class FieldNode(Node):
    __slots__ = ("alias", "name", "selection_set")

    alias: Optional[NameNode]
    name: NameNode
    selection_set: Optional["SelectionSetNode"]


class SelectionSetNode(Node):
    __slots__ = ("selections",)

    selections: List[FieldNode]
'''
NODES_MESSAGE = ("__hash__ hashes its fields, which hold NameNode objects of the Node hierarchy: the whole subtree "
                 "on every call, and dicts and sets hash on every lookup")


def test_a_node_hashing_the_fields_its_subclasses_enumerate_is_reported(round_config):
    (f,) = found(NODES, "PFL305", round_config)
    assert (f.line, f.severity, f.message) == (13, "warning", NODES_MESSAGE)
    assert f.cost == pytest.approx(2e-7 * 100)  # hash-node-element x 100 nodes (size unknown)
    assert f.frequency == 100  # __hash__: once per dict or set lookup


def test_a_node_that_keeps_its_hash_is_quiet(round_config):
    fixed = NODES.replace(
        "    def __hash__(self):\n        return hash(tuple(getattr(self, key) for key in self.keys))\n",
        "    def __hash__(self):\n        if getattr(self, '_hash', None) is None:\n"
        "            self._hash = hash(tuple(getattr(self, key) for key in self.keys))\n"
        "        return self._hash\n")
    assert found(fixed, "PFL305", round_config) == []


EXPR = '''class Expr:
    def __init__(self, op: str, left: "Expr", right: "Expr", label: str):
        self.op = op
        self.left = left
        self.right = right
        self.label = label

    def __hash__(self):
        return hash((self.op, self.left, self.right))
'''


def test_a_binary_tree_hashing_its_children_is_a_note_of_medium_confidence(round_config):
    # one node kind's hash of named fields: its subtrees and its use as a key are not seen
    (f,) = found(EXPR, "PFL305", round_config)
    assert (f.line, f.confidence, f.message) == (
        9, "medium", "__hash__ hashes self.left, which holds Expr objects of the Expr hierarchy: the whole "
                     "subtree on every call, and dicts and sets hash on every lookup")
    assert f.score == pytest.approx(2e-7 * 100 * 100 * 0.5)
    # with the shipped costs (183 ns a node): 0.91 ms once per lookup, under the warning threshold
    (shipped,) = found(EXPR, "PFL305", Config(min_severity="note"))
    assert shipped.severity == "note"


@pytest.mark.parametrize("src", [
    # a flat value: scalar fields only
    "class Point:\n    def __init__(self, x: int, y: int):\n        self.x = x\n        self.y = y\n"
    "    def __hash__(self):\n        return hash((self.x, self.y))\n",
    # a node with a link to another node that the hash does not read
    "class Token:\n    def __init__(self, kind: str, value: str, prev: 'Token'):\n        self.kind = kind\n"
    "        self.value = value\n        self.prev = prev\n"
    "    def __hash__(self):\n        return hash((self.kind, self.value))\n",
    # fields that hold objects of another class, not of this hierarchy
    "class Location:\n    start: int\n    end: int\n"
    "class Span:\n    begin: Location\n    end: Location\n"
    "    def __hash__(self):\n        return hash((self.begin, self.end))\n",
    # a wrapper around one node of the hierarchy: a chain a few nodes long, not a tree
    "class Query:\n    pass\n"
    "class NotQuery(Query):\n    def __init__(self, subquery: Query):\n        self.subquery = subquery\n"
    "    def __hash__(self):\n        return hash(('not', hash(self.subquery)))\n",
    # a record enumerating scalar fields from its keys
    "class Row:\n    keys = ('a', 'b')\n    a: int\n    b: str\n"
    "    def __hash__(self):\n        return hash(tuple(getattr(self, k) for k in self.keys))\n",
])
def test_hashes_over_fields_that_hold_no_node_of_the_hierarchy_are_quiet(round_config, src):
    assert found(src, "PFL305", round_config) == []
