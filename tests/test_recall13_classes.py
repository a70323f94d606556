"""PFL105 class-built-per-call: a class factory (namedtuple, NamedTuple, make_dataclass, the
functional Enum) run on every call. The shape of dataclasses-json's per-object namedtuple
(bench/realbugs.toml: dataclasses-json-field-override-namedtuple-per-call)."""

from __future__ import annotations

import pytest

from perflint.testing import lint_sources


def found(src, config):
    return [f for f in lint_sources({"m.py": src}, select=("PFL105",), config=config) if f.rule == "PFL105"]


LOOP = "def decode_all(rows):\n    return [overrides(r) for r in rows]\n"


def test_fixed_fields_per_call_of_a_looped_helper_is_a_warning_at_the_factory(round_config):
    src = ("from collections import namedtuple\n"
           "def overrides(confs):\n"
           "    fields = ['letter_case', 'encoder', 'decoder']\n"
           "    Override = namedtuple('Override', fields)\n"
           "    return [Override(*c) for c in confs]\n" + LOOP)
    (f,) = found(src, round_config)
    assert (f.line, f.severity, f.confidence, f.frequency) == (4, "warning", "high", 100.0)
    assert f.cost == pytest.approx(8e-5)  # namedtuple-class, per execution
    assert f.message == ("namedtuple() creates the same class again on every call of overrides(): its fields never "
                         "change, and creating a class generates and executes its code")
    assert f.fix == "define the class once at module level and reuse it"
    assert [hop.function for hop in f.trace] == ["decode_all", "decode_all"]


def test_the_fixed_version_at_module_level_is_quiet(round_config):
    src = ("from collections import namedtuple\n"
           "Override = namedtuple('Override', ['letter_case', 'encoder', 'decoder'])\n"
           "def overrides(confs):\n    return [Override(*c) for c in confs]\n" + LOOP)
    assert found(src, round_config) == []


@pytest.mark.parametrize("src", [
    # memoised factory: one class per field tuple
    "import functools\nfrom collections import namedtuple\n@functools.lru_cache(maxsize=None)\n"
    "def overrides(names):\n    return namedtuple('Row', names)\n" + LOOP,
    # an enum member lookup is not a class
    "import enum\nclass Color(enum.Enum):\n    RED = 1\n"
    "def overrides(v):\n    return enum.Enum(v) if False else Color(v)\n" + LOOP,
    # a class body runs once
    "from collections import namedtuple\nclass Codec:\n    Override = namedtuple('Override', 'a b')\n"
    "def overrides(c):\n    return Codec.Override(c, c)\n" + LOOP,
    # a function of the program that happens to be called namedtuple
    "def namedtuple(name, fields):\n    return (name, fields)\n"
    "def overrides(c):\n    return namedtuple('Row', c)\n" + LOOP,
])
def test_near_misses_are_quiet(src, round_config):
    assert found(src, round_config) == []


def test_fields_from_the_call_are_medium_confidence_with_a_per_field_tuple_fix(round_config):
    src = ("from collections import namedtuple\n"
           "def overrides(cursor):\n"
           "    Row = namedtuple('Row', [d[0] for d in cursor.description])\n"
           "    return [Row(*r) for r in cursor]\n" + LOOP)
    (f,) = found(src, round_config)
    assert (f.line, f.confidence, f.severity) == (3, "medium", "warning")  # 80 us x 100 x 0.5 = 4 ms
    assert f.message.startswith("namedtuple() creates a new class on every call of overrides()")
    assert "lru_cache" in f.fix


def test_a_function_nothing_repeats_is_not_reported(round_config):
    src = ("from collections import namedtuple\n"
           "def main():\n    Row = namedtuple('Row', 'a b')\n    return Row(1, 2)\n")
    assert found(src, round_config) == []


def test_make_dataclass_and_functional_enum_have_their_own_costs(round_config):
    src = ("import enum\nfrom dataclasses import make_dataclass\nfrom typing import NamedTuple\n"
           "def overrides(v):\n"
           "    Rec = make_dataclass('Rec', ['a', 'b'])\n"
           "    Color = enum.Enum('Color', 'RED GREEN')\n"
           "    T = NamedTuple('T', a=int, b=str)\n"
           "    return Rec(v, v), Color(1), T(v, v)\n" + LOOP)
    (f,) = found(src, round_config)  # one cause in one function: one finding, the costliest site leads
    assert (f.line, f.severity) == (5, "error")  # make_dataclass: 0.6 ms x 100 = 60 ms per unit
    assert [loc.line for loc in f.related] == [6, 7]
    assert f.cost == pytest.approx(6e-4 + 1.5e-4 + 8e-5)


def test_functional_enum_speaks_of_members(round_config):
    src = ("import enum\n"
           "def overrides(v):\n    return enum.Enum('Color', ['RED', 'GREEN'])(v)\n" + LOOP)
    (f,) = found(src, round_config)
    assert f.cost == pytest.approx(1.5e-4)
    assert f.message == ("Enum() creates the same class again on every call of overrides(): its members never "
                         "change, and creating a class generates and executes its code")
