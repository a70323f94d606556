"""PFL304-PFL306: exact lines, messages, cost keys, sizes and severities (round costs)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from perflint.testing import lint_sources


def found(src, code, config):
    return [f for f in lint_sources({"m.py": src}, select=(code,), config=config) if f.rule == code]


# -- PFL304 entry-points-per-call -------------------------------------------------------------
def test_pfl304_scan_per_item_of_a_loop_is_an_error_with_the_measured_cost(round_config):
    src = ("from importlib.metadata import entry_points\n"
           "def build(name):\n"
           "    return [ep for ep in entry_points(group='g') if ep.name == name]\n"
           "def build_all(names):\n"
           "    return [build(n) for n in names]\n")
    (f,) = found(src, "PFL304", round_config)
    assert (f.line, f.severity, f.frequency) == (3, "error", 100.0)
    assert f.cost == pytest.approx(5e-3)  # entry-points-scan, per execution
    assert f.message == ("entry_points() finds and reads the metadata of every installed distribution on every "
                         "call; the installed packages do not change while the process runs")


def test_pfl304_pkg_resources_is_costed_per_distribution_walked(round_config):
    src = ("import pkg_resources\n"
           "def build(name):\n"
           "    return list(pkg_resources.iter_entry_points('g', name))\n")
    (f,) = found(src, "PFL304", round_config)
    # fetch-row (1 us, round costs) x 100 distributions, once: no loop, so a note
    assert (f.severity, f.cost) == ("note", pytest.approx(1e-4))
    assert f.message.startswith("pkg_resources.iter_entry_points() walks every installed distribution's entry points")


@pytest.mark.parametrize("src", [
    # memoised by functools.cache
    "from functools import cache\nfrom importlib import metadata\n@cache\ndef eps():\n"
    "    return metadata.entry_points(group='g')\n",
    # a hand-written memo guard
    "from importlib import metadata\n_EPS = {}\ndef eps(group):\n    if group in _EPS:\n        return _EPS[group]\n"
    "    _EPS[group] = result = metadata.entry_points(group=group)\n    return result\n",
])
def test_pfl304_memoised_is_not_reported(src, round_config):
    assert found(src, "PFL304", round_config) == []


# -- PFL305 hash-recomputed-per-call ----------------------------------------------------------
MARKER = ("def _fmt(m):\n"
          "    return ' and '.join(_fmt(x) if isinstance(x, list) else str(x) for x in m)\n"
          "class Marker:\n"
          "    def __str__(self):\n"
          "        return _fmt(self._markers)\n"
          "    def __hash__(self):\n"
          "        return hash(str(self))\n")


def test_pfl305_rendering_a_few_fields_is_sized_by_the_fields_and_stays_a_note(round_config):
    src = ("from urllib.parse import quote\n"
           "class URL:\n"
           "    def render(self):\n"
           "        return self.scheme + '://' + quote(self.host) + ':' + str(self.port) + quote(self.path)\n"
           "    def __repr__(self):\n"
           "        return self.render()\n"
           "    def __hash__(self):\n"
           "        return hash(str(self))\n")
    (f,) = found(src, "PFL305", round_config)
    # four fields rendered (scheme, host, port, path): 4 x 500 ns per hash, x100 lookups
    assert (f.line, f.severity, f.cost) == (8, "note", pytest.approx(2e-6))
    assert "through __repr__()" in f.message


def test_pfl305_cached_or_under_a_guard_is_not_reported(round_config):
    src = MARKER.replace("        return hash(str(self))\n",
                         "        if self._h is None:\n            self._h = hash(str(self))\n        return self._h\n")
    assert found(src, "PFL305", round_config) == []


# A configuration object hashing every attribute rendered as text (faucet's Conf before it kept
# its hash): the values are dicts, lists and other such objects, rendered on every lookup.
CONF = ("class Conf:\n"
        "    def __init__(self, conf):\n"
        "        self.__dict__.update(conf)\n"
        "    def __hash__(self):\n"
        "        return hash(frozenset(map(\n"
        "            str, [(k, v) for k, v in self.__dict__.items() if not k.startswith('dyn')])))\n"
        "    def __eq__(self, other):\n"
        "        return self.__hash__() == other.__hash__()\n")


@pytest.mark.parametrize("src, line, what", [
    # A recursive rendering, and every attribute of a configuration object rendered as text.
    (MARKER, 7, "re-renders str(self) through __str__()"),
    (CONF, 5, "stringifies every instance attribute (all of self.__dict__)"),
])
def test_pfl305_a_rendering_is_a_modest_structure_per_hash_and_a_warning(src, line, what, round_config):
    (f,) = found(src, "PFL305", round_config)
    assert (f.line, f.severity, f.frequency) == (line, "warning", 100.0)
    # serialize-roundtrip-element 500 ns (round costs) x 100 elements, per dict or set lookup
    assert f.cost == pytest.approx(5e-5)
    assert f.message == f"__hash__ {what} on every call, and dicts and sets hash on every lookup"


@pytest.mark.parametrize("expr, what", [
    ("tuple(repr(v) for v in vars(self).values())", "stringifies every instance attribute (all of vars(self))"),
    ("json.dumps(self.__dict__, sort_keys=True)", "stringifies every instance attribute (all of self.__dict__)"),
    ("tuple(copy.deepcopy(v) for v in self.__dict__.values())", "copies every instance attribute (all of self.__dict__)"),
])
def test_pfl305_other_walks_over_the_instance_dictionary_are_reported(expr, what, round_config):
    src = f"import copy, json\nclass Options:\n    def __hash__(self):\n        return hash({expr})\n"
    (f,) = found(src, "PFL305", round_config)
    assert (f.line, f.severity) == (4, "warning")
    assert f.message == f"__hash__ {what} on every call, and dicts and sets hash on every lookup"


@pytest.mark.parametrize("src", [
    # Two named scalar fields: nothing is rendered.
    "class Point:\n    def __hash__(self):\n        return hash((self.x, self.y))\n",
    # One key of the dictionary, rendered: a lookup, not a walk.
    "class Port:\n    def __hash__(self):\n        return hash(str(self.__dict__.get('number')))\n",
    # The whole dictionary hashed as it is: the values are hashed, not rendered.
    "class Tag:\n    def __hash__(self):\n        return hash(frozenset(self.__dict__.items()))\n",
    # The fixed shape: the rendering is kept once the configuration is final.
    "class Conf:\n"
    "    def conf_hash(self):\n"
    "        return hash(frozenset(map(str, self.__dict__.items())))\n"
    "    def __hash__(self):\n"
    "        if self.dyn_finalized:\n"
    "            if self.dyn_hash is None:\n"
    "                self.dyn_hash = self.conf_hash()\n"
    "            return self.dyn_hash\n"
    "        else:\n"
    "            return self.conf_hash()\n",
])
def test_pfl305_hashes_that_do_not_render_the_whole_instance_are_quiet(src, round_config):
    assert found(src, "PFL305", round_config) == []


# -- PFL306 aggregate-over-growing-list -------------------------------------------------------
def test_pfl306_sum_in_the_condition_of_a_loop_that_appends(round_config):
    src = ("def read_all(chunks, n):\n"
           "    buf = []\n"
           "    while sum(len(c) for c in buf) < n:\n"
           "        buf.append(next(chunks))\n"
           "    return b''.join(buf)\n")
    (f,) = found(src, "PFL306", round_config)
    assert f.line == 3
    assert f.message == ("the loop condition visits every element of buf on each pass, "
                         "and the loop appends to buf: quadratic in its length")
    # scan-row 50 ns (round costs) x 100 rows per pass, x100 passes of an unknown loop, in a
    # function that runs once: 0.5 ms, a note
    assert (f.severity, f.frequency, f.cost) == ("note", 100.0, pytest.approx(5e-6))


def test_pfl306_in_a_public_read_method_is_a_warning(round_config):
    src = ("class ChunkReader:\n"
           "    def read(self, n):\n"
           "        while sum(map(len, self._buffer)) < n:\n"
           "            self._buffer.append(next(self._iter))\n"
           "        return b''.join(self._buffer)\n")
    (f,) = found(src, "PFL306", round_config)
    # read() is an uncalled public API method: one call is the unit of work; its while loop
    # x100 (unknown), each test summing ~100 elements (50 ns each, round costs): 0.5 ms, a note.
    # A longer stream is what makes it a warning:
    assert (f.line, f.severity, f.frequency) == (3, "note", 100.0)
    (g,) = found(src, "PFL306", replace(round_config, loop_trips=1000))
    assert (g.severity, g.frequency) == ("error", 1000.0)


def test_pfl306_a_different_list_or_a_rebound_one_is_not_reported(round_config):
    src = ("def a(xs, ys, n):\n    while max(xs) < n:\n        ys.append(n)\n"
           "def b(xs, n):\n    while sum(xs) < n:\n        xs = xs + [1]\n"
           "def c(xs, n):\n    while len(xs) < n:\n        xs.append(1)\n")
    assert found(src, "PFL306", round_config) == []
