"""PFL509 constant-hash (session 31, from Evennia's Command.__hash__ in bench/realbugs.toml):
a __hash__ that ignores the instance while __eq__ compares its state puts every instance in
one hash bucket; priced per element of the set at the dunder's per-item heat."""

from __future__ import annotations

import pytest

from perflint.config import Config
from perflint.testing import lint_sources


def found(src):
    return [(f.line, f.severity, f.message)
            for f in lint_sources({"m.py": src}, select=("PFL509",), config=Config(min_severity="note"))
            if f.rule == "PFL509"]


def command(hash_body, eq_body="return self.key == other.key or bool(self.aliases & other.aliases)"):
    return f'''
class Command:
    def __init__(self, key, aliases=()):
        self.key, self.aliases = key, set(aliases)

    def __eq__(self, other):
        {eq_body}

    def __hash__(self):
        """Commands compare by key and alias."""
        {hash_body}


def merge(a, b):
    seen = set(a)
    return a + [c for c in b if c not in seen]
'''


MESSAGE = ("__hash__() returns the same hash for every instance while __eq__ compares their state: every instance "
           "falls into one hash bucket, so each set or dict lookup compares with all of them (O(n)) and building "
           "one is O(n²)")


def test_a_literal_hash_beside_a_state_comparing_eq_is_reported_at_the_return():
    assert found(command('return hash("command")')) == [(11, "note", MESSAGE)]
    f = lint_sources({"m.py": command('return hash("command")')}, select=("PFL509",),
                     config=Config(min_severity="note"))[0]
    # hash-collision-element x 100 elements (size unknown) x 100 (a protocol dunder runs per item)
    assert f.cost == pytest.approx(100 * 3.538e-08, rel=1e-3) and f.frequency == 100.0


@pytest.mark.parametrize("body", ["return 0", "return hash(self.__class__)", "return hash(type(self))",
                                  "return hash(('command', 1))"])
def test_other_constant_spellings(body):
    assert [line for line, _, _ in found(command(body))] == [11]


def test_the_fixed_version_hashing_the_key_is_quiet():
    assert found(command("return hash(self.key)")) == []


def test_a_class_whose_instances_are_all_equal_keeps_its_constant_hash():
    # near miss: __eq__ compares types only, so a set holds one instance
    assert found(command("return hash(type(self))", eq_body="return type(self) is type(other)")) == []
