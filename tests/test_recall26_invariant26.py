"""Session twenty-six, rebuild family: a decision-tree learner (Dod-o/Statistical-Learning-Method_Code,
bench/realbugs.toml `statlearn-decision-tree-entropy-per-feature`) computed the entropy of the
whole label set inside its loop over every feature, although the labels never change in that
loop; the fix computes it once before the loop. PFL318 invariant-call-in-loop reports a call, on
every trip of a loop, of a module-level function that walks a parameter and is pure as far as its
body shows, with arguments the loop neither rebinds nor may change; priced per element walked
(scan-row, size unknown: loop-trips) at the trips of the loops that leave the arguments alone.

The case stays a note: calcBestFeature has no caller that repeats it in the graph (heat 1), so its
loop's x100 over 100 elements is 221 us per unit of work.

The buggy tests fail on the code before the change (no PFL318)."""

from __future__ import annotations

from conftest import rule_findings


def seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL318")]


ENTROPY = '''import numpy as np


def entropy(labels):
    h = 0
    kinds = set([label for label in labels])
    for k in kinds:
        p = labels[labels == k].size / labels.size
        h += -1 * p * np.log2(p)
    return h


def conditional(column, labels):
    h = 0
    for v in set([x for x in column]):
        h += column[column == v].size / column.size * entropy(labels[column == v])
    return h


def best_feature(data, labels):
    best, gain = -1, -1
    for feature in range(data.shape[1]):
        base = entropy(labels)
        column = np.array(data[:, feature].flat)
        g = base - conditional(column, labels)
        if g > gain:
            best, gain = feature, g
    return best, gain
'''

ENTROPY_MESSAGE = ("entropy(labels) runs on every trip of the loop although the loop never changes its argument: "
                   "entropy() walks what it is given and changes nothing, so each trip computes the same result again")


# -- 1. the case's shape --------------------------------------------------------------------

def test_entropy_of_the_labels_per_feature_is_reported_at_its_call():
    assert seen({"pkg/tree.py": ENTROPY}) == [("pkg/tree.py", 23, "note", ENTROPY_MESSAGE)]


def test_the_finding_is_priced_per_element_walked_at_the_loop_trips():
    (finding,) = rule_findings({"pkg/tree.py": ENTROPY}, "PFL318")
    assert round(finding.cost * 1e9) == round(2.209e-08 * 100 * 1e9)  # scan-row x 100 rows (size unknown)
    assert finding.frequency == 100


HOT = ENTROPY + '''

def forest(tables, labels):
    return [best_feature(t, labels) for t in tables]
'''


def test_reached_from_a_loop_of_a_caller_it_stays_a_note():
    # the walked labels have no size in the code: low confidence, a note at any heat
    assert seen({"pkg/tree.py": HOT}) == [("pkg/tree.py", 23, "note", ENTROPY_MESSAGE)]


# -- 2. the fix -----------------------------------------------------------------------------

def test_the_entropy_computed_once_before_the_loop_is_quiet():
    fixed = HOT.replace("    for feature in range(data.shape[1]):\n        base = entropy(labels)\n",
                        "    base = entropy(labels)\n    for feature in range(data.shape[1]):\n")
    assert fixed != HOT
    assert seen({"pkg/tree.py": fixed}) == []


# -- 3. near misses -------------------------------------------------------------------------

def test_an_argument_the_loop_rebinds_is_quiet():
    src = HOT.replace("        base = entropy(labels)\n", "        labels = labels[1:]\n        base = entropy(labels)\n")
    assert seen({"pkg/tree.py": src}) == []


def test_an_argument_the_loop_hands_to_an_unknown_call_is_quiet():
    src = HOT.replace("        base = entropy(labels)\n", "        shuffle(labels)\n        base = entropy(labels)\n")
    src = src.replace("import numpy as np\n", "import numpy as np\nfrom random import shuffle\n")
    assert seen({"pkg/tree.py": src}) == []


def test_an_argument_the_loop_changes_in_place_is_quiet():
    src = HOT.replace("        base = entropy(labels)\n", "        labels.sort()\n        base = entropy(labels)\n")
    assert seen({"pkg/tree.py": src}) == []


def test_a_parameter_beside_a_call_that_may_change_it_through_another_reference_is_quiet():
    # the loop hands nothing the labels, but tree.grow() may hold them (a parameter is shared)
    src = HOT.replace("        base = entropy(labels)\n", "        tree.grow(feature)\n        base = entropy(labels)\n")
    src = src.replace("def best_feature(data, labels):", "def best_feature(data, labels, tree):")
    src = src.replace("best_feature(t, labels)", "best_feature(t, labels, t)")
    assert src.count("tree.grow") == 1
    assert seen({"pkg/tree.py": src}) == []


def test_a_value_made_in_the_function_beside_any_call_is_reported():
    # nothing else holds a label array the function made itself: other calls cannot change it
    src = HOT.replace("        base = entropy(labels)\n", "        tree.grow(feature)\n        base = entropy(mine)\n")
    src = src.replace("def best_feature(data, labels):\n", "def best_feature(data, labels, tree):\n    mine = np.array(labels)\n")
    src = src.replace("best_feature(t, labels)", "best_feature(t, labels, t)")
    assert [(line, severity) for _, line, severity, _ in seen({"pkg/tree.py": src})] == [(25, "note")]


def test_a_callee_that_changes_its_argument_is_quiet():
    src = HOT.replace("    kinds = set([label for label in labels])\n",
                      "    kinds = set([label for label in labels])\n    labels.append(0)\n")
    assert seen({"pkg/tree.py": src}) == []


def test_a_callee_that_writes_an_attribute_is_quiet():
    src = HOT.replace("    kinds = set([label for label in labels])\n",
                      "    kinds = set([label for label in labels])\n    labels.seen = True\n")
    assert seen({"pkg/tree.py": src}) == []


def test_a_memoised_callee_is_quiet():
    src = HOT.replace("def entropy(labels):", "@functools.lru_cache(None)\ndef entropy(labels):")
    src = src.replace("import numpy as np\n", "import functools\nimport numpy as np\n")
    assert seen({"pkg/tree.py": src}) == []


def test_a_callee_that_reads_its_argument_a_piece_at_a_time_is_quiet():
    # a loop that stops early over an iterator it is given consumes it: each call differs
    src = '''def varint(it):
    value = 0
    for b in it:
        value = value * 128 + (b & 127)
        if not b & 128:
            break
    return value


def decode(data, n):
    it = iter(data)
    return [varint(it) for _ in range(n)]
'''
    assert seen({"pkg/codec.py": src}) == []


def test_a_loop_inside_a_walk_of_the_same_item_repeats_nothing():
    # the innermost loop leaves the arguments alone but, nested in two unknown loops, the model
    # counts it once: the call repeats only as often as the outer loops, which change them
    src = '''def args_of(key, table):
    out = set()
    for item in table[key]:
        out.add(item)
    return out


def expand(table, groups):
    found = []
    for key in table:
        for name in groups:
            for match in groups[name]:
                found.append((match, args_of(key, table)))
    return found


def run(tables, groups):
    return [expand(t, groups) for t in tables]
'''
    assert seen({"pkg/state.py": src}) == []


def test_a_method_call_is_quiet():
    src = '''class Tree:
    def entropy(self, labels):
        return sum(x for x in labels)

    def best(self, data, labels):
        return [self.entropy(labels) for _ in data]
'''
    assert seen({"pkg/tree.py": src}) == []


def test_a_pure_walk_imported_from_another_module_is_reported():
    entropy = ENTROPY.split("\n\ndef conditional", 1)[0]
    files = {"pkg/__init__.py": "", "pkg/measure.py": entropy + "\n",
             "pkg/tree.py": "from pkg.measure import entropy\n\n\ndef gains(columns, labels):\n    out = []\n"
                            "    for column in columns:\n        out.append(entropy(labels) - len(column))\n    return out\n\n\n"
                            "def forest(tables, labels):\n    return [gains(t, labels) for t in tables]\n"}
    assert [(path, line, severity) for path, line, severity, _ in seen(files)] == [("pkg/tree.py", 7, "note")]


def test_an_imported_function_that_is_not_a_pure_walk_is_quiet():
    files = {"pkg/__init__.py": "", "pkg/measure.py": "def entropy(labels):\n    labels.sort()\n    return [x for x in labels]\n",
             "pkg/tree.py": "from pkg.measure import entropy\n\n\ndef run(labels, n):\n"
                            "    return [entropy(labels) for _ in range(n)]\n\n\n"
                            "def forest(tables, labels):\n    return [run(labels, t) for t in tables]\n"}
    assert seen(files) == []


SUMS = '''def total(xs):
    return sum(x * x for x in xs)


def scaled(xs, factors):
    return [total(xs) * f for f in factors]


def run(tables, factors):
    return [scaled(t, factors) for t in tables]
'''


def test_a_generator_drained_by_sum_is_a_whole_walk():
    assert [(line, severity) for _, line, severity, _ in seen({"pkg/sums.py": SUMS})] == [(6, "note")]


def test_a_generator_that_any_may_stop_early_is_quiet():
    src = SUMS.replace("return sum(x * x for x in xs)", "return any(x > 0 for x in xs)")
    assert seen({"pkg/sums.py": src}) == []


def test_a_callee_that_reads_a_module_list_a_call_in_the_loop_may_grow_is_quiet():
    src = '''SEEN = []


def register(x):
    SEEN.append(x)


def known(xs):
    return [x for x in xs if x in SEEN]


def run(items):
    xs = list(items)
    out = []
    for item in items:
        register(item)
        out.append(known(xs))
    return out


def many(tables):
    return [run(t) for t in tables]
'''
    assert seen({"pkg/reg.py": src}) == []


def test_a_callee_that_reads_a_module_constant_is_reported():
    src = '''LIMIT = 10


def small(xs):
    return [x for x in xs if x < LIMIT]


def run(items):
    xs = list(items)
    out = []
    for item in items:
        out.append(len(small(xs)) + item)
    return out


def many(tables):
    return [run(t) for t in tables]
'''
    assert [(line, severity) for _, line, severity, _ in seen({"pkg/reg.py": src})] == [(12, "note")]
