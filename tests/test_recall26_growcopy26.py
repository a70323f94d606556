"""Session twenty-six, clone family: pyparsing's ParseResults.__setitem__ (pyparsing/pyparsing,
bench/realbugs.toml `pyparsing-results-name-list-rebuilt-per-append`) recorded one more
occurrence of a results name by copying the whole list of occurrences held in the object's
dict (`self._tokdict[k] = self._tokdict.get(k, []) + [v]`): n occurrences of one name cost
n x n / 2 element copies. PFL107 grown-container-copied reports a long-lived list, tuple or
dict rebuilt from itself plus the elements the code shows, priced per element it holds
(`list-copy-element`, `dict-copy-element`) with the accumulator growth model: grown once per
call, it holds as many elements as the calls the loops around the call make in a row.

The case itself stays a note: nothing in pyparsing repeats __setitem__ in a loop the call
graph sees (a subscript store is not a call edge), and even with that edge the loops around it
are of unknown bound, 100 additions: 14 us.

The buggy tests fail on the code before the change (no PFL107)."""

from __future__ import annotations

import pytest

from conftest import rule_findings
from perflint.costs import load_costs


def seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL107")]


RESULTS = '''class Results:
    def __init__(self):
        self._names = {}

    def add(self, name, value):
        self._names[name] = self._names.get(name, []) + [value]


def collect(values):
    results = Results()
    for i in range(2000):
        results.add("item", values[i])
    return results
'''

KEYED_MESSAGE = ("list 'self._names[name]' is copied whole to add 1 element (old + [new]) on every call of add(): "
                 "it outlives the call and this assignment grows it, so a caller that repeats the call copies "
                 "quadratically")


# -- 1. a list per key of a long-lived dict, grown by copying ---------------------------------

def test_list_per_key_copied_per_addition_by_a_counted_loop_is_a_warning():
    found = rule_findings({"pkg/results.py": RESULTS}, "PFL107")
    assert [(f.path, f.line, f.severity, f.message) for f in found] == [
        ("pkg/results.py", 6, "warning", KEYED_MESSAGE)]
    # 2,000 calls in a row, each copying the 1,000 elements held on average
    assert found[0].cost == pytest.approx(load_costs()["list-copy-element"] * 1000)
    assert "setdefault(k, []).append(v)" in found[0].fix


def test_list_per_key_appended_in_place_is_quiet():
    fixed = RESULTS.replace("self._names[name] = self._names.get(name, []) + [value]",
                            "self._names.setdefault(name, []).append(value)")
    assert seen({"pkg/results.py": fixed}) == []


def test_list_per_key_repeated_by_an_unknown_loop_is_a_note():
    unknown = RESULTS.replace("for i in range(2000):\n        results.add(\"item\", values[i])",
                              "for value in values:\n        results.add(\"item\", value)")
    found = rule_findings({"pkg/results.py": unknown}, "PFL107")
    assert [(f.line, f.severity) for f in found] == [(6, "note")]
    # 100 calls (loop-trips), 50 elements held on average
    assert found[0].cost == pytest.approx(load_costs()["list-copy-element"] * 50)


def test_a_copy_into_a_local_or_a_local_accumulator_is_quiet():
    # the stored list is not rebuilt (a copy handed back), and a local fold is PFL206's
    local = RESULTS.replace("self._names[name] = self._names.get(name, []) + [value]",
                            "return self._names.get(name, []) + [value]")
    assert seen({"pkg/results.py": local}) == []
    fold = "def f(xs):\n    out = []\n    for x in xs:\n        out = out + [x]\n    return out\n"
    assert seen({"pkg/fold.py": fold}) == []


def test_a_default_that_is_not_empty_is_not_the_list_per_key():
    other = RESULTS.replace("self._names.get(name, [])", "self._names.get(name, [0])")
    assert seen({"pkg/results.py": other}) == []


# -- 2. an attribute list, and a dict merged per key --------------------------------------------

REGISTRY = '''class Registry:
    def __init__(self):
        self.handlers = {}
        self.order = []

    def register(self, key, handler):
        self.handlers = {**self.handlers, key: handler}

    def extend(self, values):
        for v in values:
            self.order = self.order + [v]


def build(pairs):
    reg = Registry()
    for i in range(3000):
        reg.register(pairs[i][0], pairs[i][1])
    return reg
'''


def test_dict_merged_per_key_and_list_grown_in_a_loop():
    found = rule_findings({"pkg/reg.py": REGISTRY}, "PFL107")
    assert [(f.line, f.severity, f.message) for f in found] == [
        (7, "warning", "dict 'self.handlers' is copied whole to add 1 element (a merge into a new dict) on every call of "
                     "register(): it outlives the call and this assignment grows it, so a caller that repeats the call "
                     "copies quadratically"),
        (11, "note", "list 'self.order' is copied whole to add 1 element (old + [new]) on every trip of the loop in "
                     "extend(): it grows by this assignment, so the loop copies quadratically"),
    ]
    costs = load_costs()
    assert found[0].cost == pytest.approx(costs["dict-copy-element"] * 1500)
    assert found[1].cost == pytest.approx(costs["list-copy-element"] * 50)


def test_dict_stored_in_place_and_list_appended_are_quiet():
    fixed = REGISTRY.replace("self.handlers = {**self.handlers, key: handler}", "self.handlers[key] = handler") \
        .replace("self.order = self.order + [v]", "self.order.append(v)")
    assert seen({"pkg/reg.py": fixed}) == []


def test_merge_that_spells_no_key_or_a_reset_per_call_is_quiet():
    # `{**self.opts, **extra}` need not grow the mapping; a list set afresh in the same call
    # holds one call's elements
    near = REGISTRY.replace("self.handlers = {**self.handlers, key: handler}",
                            "self.handlers = {**self.handlers, **handler}") \
        .replace("        for v in values:\n            self.order = self.order + [v]",
                 "        self.order = []\n        self.order = self.order + [values]")
    assert seen({"pkg/reg.py": near}) == []


def test_constructor_and_copy_methods_are_quiet():
    source = ("class A:\n    def __init__(self, xs):\n        self.xs = self.xs + [1]\n"
              "    def copy(self):\n        self.xs = self.xs + [2]\n"
              "def make(n):\n    for i in range(5000):\n        A(i).copy()\n")
    assert seen({"pkg/a.py": source}) == []


# -- 3. module-level containers ---------------------------------------------------------------

MODULE = '''REGISTRY = {}
ORDER = []


def register(name, value):
    REGISTRY[name] = REGISTRY.get(name, []) + [value]


def remember(value):
    global ORDER
    ORDER = ORDER + [value]


def load(values):
    for value in values:
        register("x", value)
        remember(value)
'''


def test_module_level_containers_grown_by_copying():
    assert [(line, severity) for _, line, severity, _ in seen({"pkg/mod.py": MODULE})] == [
        (6, "note"), (11, "note")]


def test_module_name_shadowed_by_a_local_is_quiet():
    local = MODULE.replace("    global ORDER\n", "").replace(
        "def register(name, value):\n", "def register(name, value):\n    REGISTRY = {}\n")
    assert seen({"pkg/mod.py": local}) == []
