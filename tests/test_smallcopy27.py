"""Session twenty-seven, clone family: PFL101 priced every deep copy of an attribute as a modest
structure (100 elements at deepcopy-element). aiida's structure data deep-copied, per read,
attributes that hold a tuple of one to three floats or element names (blind labels: PLAUSIBLE,
about 3 us a copy; the 3-float `position` a warning, `weights` and `symbols` errors). When the
code shows what the attribute holds (every assignment in its class, through locals and this
module's functions, or its annotation), an atom is not reported and a tuple of scalars is priced
as the walk of its items (deepcopy-scalar-element per element, the tuple and each item). The
tests use round costs: deepcopy-element 1 us, deepcopy-scalar-element 0.2 us."""

from __future__ import annotations

from perflint.testing import lint_sources

SITE = '''
import copy
import numbers


def _weights_tuple(weights):
    if weights is None:
        out = (1.0,)
    elif isinstance(weights, numbers.Number):
        out = (weights,)
    else:
        out = tuple(float(i) for i in weights)
    return out


class Site:
    def __init__(self, position, name, weights):
        self._position = None
        self._name = str(name)
        self._weights = _weights_tuple(weights)
        self.set_position(position)

    def set_position(self, value):
        try:
            pos = tuple(float(i) for i in value)
            if len(pos) != 3:
                raise ValueError
        except (ValueError, TypeError):
            raise ValueError("three floats")
        self._position = pos

    def get_position(self):
        return copy.deepcopy(self._position)

    def get_name(self):
        return copy.deepcopy(self._name)

    def get_weights(self):
        return copy.deepcopy(self._weights)

    def trace(self, steps):
        out = []
        for step in steps:
            out.append((step, self.get_position(), self.get_name(), self.get_weights()))
        return out
'''

TUPLE = ("copy.deepcopy() of an attribute on every call: it holds a tuple of {}, which deepcopy walks "
         "item by item only to return the same tuple")
STRUCTURE = "copy.deepcopy() of an attribute on every call: the structure is cloned each time this runs"
FIX = ("return the tuple itself: it is immutable and holds scalars only, so copy.deepcopy walks its items and hands "
       "back the same object")


def seen(source: str, round_config):
    found = [f for f in lint_sources({"m.py": source}, select=("PFL101",), config=round_config) if f.rule == "PFL101"]
    return [(f.line, f.severity, round(f.cost * 1e9), f.message) for f in found]


def test_atoms_are_not_reported_and_scalar_tuples_are_priced_by_their_items(round_config):
    # position: 3 floats (the length check), 4 elements x 0.2 us; weights: floats of a length the
    # code does not show, the default 100 elements x 0.2 us; the name, a str, is handed back
    assert seen(SITE, round_config) == [
        (33, "note", 800, TUPLE.format("3 scalars")),
        (39, "warning", 20000, TUPLE.format("scalars")),
    ]
    found = [f for f in lint_sources({"m.py": SITE}, select=("PFL101",), config=round_config) if f.line == 33]
    assert found[0].fix == FIX


def test_fixed_getters_returning_the_tuples_are_quiet(round_config):
    fixed = SITE.replace("copy.deepcopy(self._position)", "self._position").replace(
        "copy.deepcopy(self._weights)", "self._weights")
    assert fixed != SITE
    assert seen(fixed, round_config) == []


def test_a_list_assigned_elsewhere_is_a_structure(round_config):
    # near miss: one more assignment of a list makes `_position` anything: the modest structure
    near = SITE.replace("    def get_position(self):\n",
                        "    def move(self, value):\n        self._position = list(value)\n\n    def get_position(self):\n")
    assert near != SITE
    assert [s for s in seen(near, round_config) if s[0] == 36] == [(36, "error", 100000, STRUCTURE)]


def test_an_attribute_of_that_name_assigned_by_other_code_is_a_structure(round_config):
    near = SITE + "\n\ndef rename(site, names):\n    site._name = {'names': names}\n"
    assert [s for s in seen(near, round_config) if s[0] == 36] == [(36, "error", 100000, STRUCTURE)]


def test_a_parameter_in_a_tuple_without_an_isinstance_test_is_unknown(round_config):
    near = SITE.replace("    elif isinstance(weights, numbers.Number):\n", "    elif weights:\n")
    assert near != SITE
    assert [s for s in seen(near, round_config) if s[0] == 39] == [(39, "error", 100000, STRUCTURE)]


def test_without_the_length_check_the_length_is_unknown(round_config):
    near = SITE.replace("            if len(pos) != 3:\n                raise ValueError\n", "")
    assert near != SITE
    assert [s for s in seen(near, round_config) if s[0] == 37] == [(37, "warning", 20000, TUPLE.format("scalars"))]


ANNOTATED = '''
import copy
from typing import FrozenSet, Optional, Tuple


class Color:
    rgb: Tuple[float, float, float]
    label: Optional[str]
    tags: FrozenSet[str]

    def __init__(self, rgb, label, tags):
        self.rgb = rgb
        self.label = label
        self.tags = tags

    def parts(self):
        return copy.deepcopy(self.rgb), copy.deepcopy(self.label), copy.deepcopy(self.tags)

    def frames(self, steps):
        return [self.parts() for step in steps]
'''


def test_annotations_say_what_the_attribute_holds(round_config):
    # a frozenset is rebuilt by deepcopy (not handed back): deepcopy-element, the default size
    assert seen(ANNOTATED, round_config) == [
        (17, "note", 800, TUPLE.format("3 scalars")),
        (17, "error", 100000, "copy.deepcopy() of an attribute on every call: it holds a frozenset of scalars, "
                              "which deepcopy rebuilds item by item although nothing can change it"),
    ]


def test_an_annotation_of_a_list_is_a_structure(round_config):
    near = ANNOTATED.replace("rgb: Tuple[float, float, float]", "rgb: list")
    assert near != ANNOTATED
    assert seen(near, round_config)[0] == (17, "error", 100000, STRUCTURE)


def test_a_class_attribute_a_subclass_may_override_is_a_structure(round_config):
    # `fields = ()` in a base class: subclasses elsewhere give their own, deep-copied per object
    near = SITE.replace("class Site:\n", "class Site:\n    _name = ()\n\n")
    assert near != SITE
    assert [s for s in seen(near, round_config) if s[0] == 38] == [(38, "error", 100000, STRUCTURE)]


def test_an_attribute_only_ever_none_here_is_a_structure(round_config):
    near = SITE.replace("        self._name = str(name)\n", "        self._name = None\n")
    assert near != SITE
    assert [s for s in seen(near, round_config) if s[0] == 36] == [(36, "error", 100000, STRUCTURE)]
