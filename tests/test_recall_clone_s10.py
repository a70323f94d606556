"""Session ten, clone recall: fixed bugs of the clone family that perflint missed or kept at
note, moved by general model changes. Each test fails on the code before its change."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(files, code):
    """(path, line, severity) of every `code` finding, notes included."""
    return sorted((f.path, f.line, f.severity) for f in lint_sources(files, select=(code,), config=Config(min_severity="note"))
                  if f.rule == code)


# -- a recursion entered from a hot caller after it first ran cold ---------------------------
# packaging's marker evaluation: a marker is a tree walked by a recursive function, and a lock
# file's packages each evaluate theirs. The recursion was first counted from the placeholder
# heat 1 (x100 for its loop), and the hotter entry found later (x100 per package) was ignored
# because it did not beat that: which of the two won depended on the order of the names.
MARKERS = '''import re


class Specifier:
    _regex = re.compile(r"([<>=!~]+)(.*)")

    def __init__(self, spec):
        match = self._regex.fullmatch(spec)
        self._op, self._version = match.groups()

    def contains(self, item):
        return item == self._version


def _eval_op(lhs, op, rhs):
    spec = Specifier(f"{op}{rhs}")
    return spec.contains(lhs)


def _evaluate_markers(markers, environment):
    groups = [[]]
    for marker in markers:
        if isinstance(marker, list):
            groups[-1].append(_evaluate_markers(marker, environment))
        elif isinstance(marker, tuple):
            lhs, op, rhs = marker
            groups[-1].append(_eval_op(environment[lhs], op, rhs))
        elif marker == "or":
            groups.append([])
    return any(all(item) for item in groups)


class Marker:
    def __init__(self, markers):
        self._markers = markers

    def evaluate(self, environment):
        return _evaluate_markers(self._markers, environment)
'''
SPEC_LINE = 16  # Specifier(f"{op}{rhs}") in _eval_op

# `resolver` sorts after `markers`: the loop's heat reaches Marker.evaluate after the walk ran
RESOLVER = '''from pkg.markers import Marker


def select(requirements, environment):
    chosen = []
    for req in requirements:
        marker = Marker(req.markers)
        if marker.evaluate(environment):
            chosen.append(req)
    return chosen
'''


def _package(markers=MARKERS, resolver=RESOLVER):
    return {"pkg/__init__.py": "", "pkg/markers.py": markers, "pkg/resolver.py": resolver}


def test_a_recursive_walk_entered_per_item_multiplies_the_entry_and_the_walk():
    # buggy: x100 per requirement, x10 per marker of its tree: 1.68 us x 1000, a warning (was
    # a note, 168 us, the walk's x100 alone)
    assert found(_package(), "PFL102") == [("pkg/markers.py", SPEC_LINE, "warning")]
    (f,) = [f for f in lint_sources(_package(), select=("PFL102",), config=Config(min_severity="note"))
            if f.rule == "PFL102"]
    assert f.frequency == 1000.0
    assert [h.function for h in f.trace][:3] == ["select", "select", "Marker.evaluate"]
    # fixed: the specifiers kept by their text (packaging's lru_cache): quiet
    fixed = MARKERS.replace(
        "def _eval_op(lhs, op, rhs):\n    spec = Specifier(f\"{op}{rhs}\")\n",
        "@functools.lru_cache(maxsize=None)\ndef _specifier(text):\n    return Specifier(text)\n\n\n"
        "def _eval_op(lhs, op, rhs):\n    spec = _specifier(f\"{op}{rhs}\")\n",
    ).replace("import re\n", "import functools\nimport re\n")
    assert fixed != MARKERS
    assert found(_package(markers=fixed), "PFL102") == []
    # near miss: one marker evaluated per call, no loop enters the walk: only the walk's own
    # loop repeats the parse (x100, 168 us), a note as before
    single = RESOLVER.replace(
        "    chosen = []\n    for req in requirements:\n        marker = Marker(req.markers)\n"
        "        if marker.evaluate(environment):\n            chosen.append(req)\n    return chosen\n",
        "    marker = Marker(requirements[0].markers)\n    return marker.evaluate(environment)\n")
    assert single != RESOLVER
    assert found(_package(resolver=single), "PFL102") == [("pkg/markers.py", SPEC_LINE, "note")]


def test_recursion_heat_does_not_depend_on_the_order_of_names():
    # the same chain, the recursive function's name sorting first or last: one frequency
    src = ("import copy\nT = {'a': 1}\n"
           "def {walk}(node):\n"
           "    for child in node.children:\n"
           "        {walk}(child)\n"
           "    {leaf}(node)\n"
           "def {leaf}(node):\n"
           "    return copy.deepcopy(T)\n"
           "def {entry}(node):\n"
           "    return {walk}(node)\n"
           "def {run}(trees):\n"
           "    for tree in trees:\n"
           "        {entry}(tree)\n")
    frequencies = set()
    for names in ({"walk": "a_walk", "leaf": "b_leaf", "entry": "c_entry", "run": "d_run"},
                  {"walk": "d_walk", "leaf": "c_leaf", "entry": "b_entry", "run": "a_run"}):
        code = src
        for key, name in names.items():
            code = code.replace("{" + key + "}", name)
        (f,) = [f for f in lint_sources({"m.py": code}, select=("PFL101",), config=Config(min_severity="note"))
                if f.rule == "PFL101"]
        frequencies.add(f.frequency)
    assert frequencies == {1000.0}
