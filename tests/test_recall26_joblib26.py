"""Session twenty-six, value flow through joblib and list plumbing (gplearn's evolution loop).

`Parallel(n_jobs=n)(delayed(evolve)(parents, seeds[i]) for i in range(n))` runs `evolve` once
per item of the generator (the call binds evolve's parameters: `delayed_call`) and its value is
the list of evolve's results; `list(chain.from_iterable(xs))` and `chain(*xs)` hold the elements
of xs's elements, `list(xs)`/`tuple(xs)` xs's elements; `xs.append(x)` on a local the function
bound before, or on an attribute of `self`, makes xs hold x. With these, a program that breeds
objects in a worker, flattens the workers' lists and appends each generation to `self.history`
gives the worker's `parent.reproduce()` (parent an element of the previous generation, picked by
a nested function) an exact edge, where it was a guess by the method's name.

The buggy tests fail on the code before the change (a note: the edge into reproduce was by-name)."""

from __future__ import annotations

from conftest import rule_findings
from test_callgraph import program
from test_dispatch24 import kinds

PROGRAM = '''import copy


class Program:
    def __init__(self, nodes):
        self.nodes = nodes
        self.fitness = 0.0

    def reproduce(self):
        return copy.deepcopy(self.nodes)

    def mutate(self, rng):
        return [n for n in self.nodes if rng.random() > 0.1]
'''

EVOLVE = '''import itertools

from joblib import Parallel, delayed

from pkg.program import Program


def evolve(n_programs, parents, rng):
    def pick():
        best = max(range(len(parents)), key=lambda i: parents[i].fitness)
        return parents[best], best

    programs = []
    for i in range(n_programs):
        if parents is None:
            nodes = []
        else:
            parent, index = pick()
            if rng.random() < 0.5:
                nodes = parent.mutate(rng)
            else:
                nodes = parent.reproduce()
        programs.append(Program(nodes))
    return programs


class Estimator:
    def __init__(self, generations, n_jobs):
        self.generations = generations
        self.n_jobs = n_jobs

    def fit(self, rng):
        self.history = []
        for gen in range(self.generations):
            parents = self.history[gen - 1] if gen else None
            population = Parallel(n_jobs=self.n_jobs)(
                delayed(evolve)(10, parents, rng) for i in range(self.n_jobs))
            population = list(itertools.chain.from_iterable(population))
            self.history.append(population)
        return self
'''

MESSAGE = ("copy.deepcopy() of an attribute on every call: the structure is cloned each time this runs")


def clone_seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL101")]


def test_reproduce_called_through_joblib_and_a_flattened_generation_is_reported():
    files = {"pkg/__init__.py": "", "pkg/program.py": PROGRAM, "pkg/evolve.py": EVOLVE}
    assert clone_seen(files) == [("pkg/program.py", 10, "error", MESSAGE)]
    p = program(files)
    assert ("pkg.evolve.evolve", "exact", False) in kinds(p, "pkg.evolve.Estimator.fit")
    assert kinds(p, "pkg.evolve.evolve") == [
        ("pkg.evolve.evolve.pick", "exact", False),
        ("pkg.program.Program.__init__", "exact", False),
        ("pkg.program.Program.mutate", "exact", False),
        ("pkg.program.Program.reproduce", "exact", False),
    ]


def test_fixed_tree_shallow_copy_is_quiet():
    fixed = PROGRAM.replace("copy.deepcopy(self.nodes)", "self.nodes[:]")
    files = {"pkg/__init__.py": "", "pkg/program.py": fixed, "pkg/evolve.py": EVOLVE}
    assert clone_seen(files) == []


def test_own_delayed_is_not_joblib():
    # a function of the program named `delayed` is called as written (here it hands evolve
    # back, so fit calls evolve), but the list Parallel returns is not read as evolve's
    # results: an outside object, which appended to self.history says nothing, so parents
    # holds nothing known and reproduce is reached by its name only (a guess)
    own = EVOLVE.replace("from joblib import Parallel, delayed\n", "from joblib import Parallel\n\n\ndef delayed(fn):\n    return fn\n")
    files = {"pkg/__init__.py": "", "pkg/program.py": PROGRAM, "pkg/evolve.py": own}
    found = clone_seen(files)
    assert [(path, line, severity) for path, line, severity, _ in found] == [("pkg/program.py", 10, "note")]
    p = program(files)
    assert ("pkg.program.Program.reproduce", "by-name", True) in kinds(p, "pkg.evolve.evolve")


def test_unflattened_generation_holds_lists_not_programs():
    # without the chain the generation is a list of the workers' lists: parent is a list and
    # holds no Program, so nothing is linked as an exact call of reproduce
    flat = EVOLVE.replace("            population = list(itertools.chain.from_iterable(population))\n", "")
    files = {"pkg/__init__.py": "", "pkg/program.py": PROGRAM, "pkg/evolve.py": flat}
    p = program(files)
    assert ("pkg.program.Program.reproduce", "exact", False) not in kinds(p, "pkg.evolve.evolve")
    assert [f.severity for f in rule_findings(files, "PFL101")] in ([], ["note"])


def test_append_to_a_parameter_binds_nothing():
    # the list a caller hands in is the caller's: appending to it says nothing of what it
    # held before, so its elements stay unknown in the function
    src = '''class A:
    def run(self):
        return 1


def fill(out):
    out.append(A())
    for item in out:
        item.run()


def local():
    out = []
    out.append(A())
    for item in out:
        item.run()
'''
    p = program({"pkg/__init__.py": "", "pkg/m.py": src})
    assert kinds(p, "pkg.m.local") == [("pkg.m.A.run", "exact", False)]
    assert ("pkg.m.A.run", "exact", False) not in kinds(p, "pkg.m.fill")


def test_list_tuple_and_star_chain_hold_elements():
    src = '''import itertools


class A:
    def run(self):
        return 1


class B:
    def go(self):
        return 2


def flat():
    groups = [[A()], [A()]]
    for item in itertools.chain(*groups):
        item.run()
    for item in tuple([B()]):
        item.go()


def rebound():
    items = [B()]
    items = list(items)
    for item in items:
        item.go()


def shadowed():
    def list(xs):
        return None
    for item in list([A()]):
        item.run()
'''
    p = program({"pkg/__init__.py": "", "pkg/m.py": src})
    assert ("pkg.m.A.run", "exact", False) in kinds(p, "pkg.m.flat")
    assert ("pkg.m.B.go", "exact", False) in kinds(p, "pkg.m.flat")
    assert ("pkg.m.B.go", "exact", False) in kinds(p, "pkg.m.rebound")
    assert ("pkg.m.A.run", "exact", False) not in kinds(p, "pkg.m.shadowed")


def test_appended_outside_objects_stay_unknown():
    # a list filled with a library's objects (ansible-test's coverage plugin) says nothing a
    # call could follow: its items stay unknown as before, so PFL402's model-write reading,
    # which takes a receiver known to come from outside for a library's model, stays a note
    # where the program defines a save() of its own
    plugin = '''import gc

import coverage


def configure():
    instances = []
    for obj in gc.get_objects():
        if isinstance(obj, coverage.Coverage):
            instances.append(obj)

    def on_exit():
        for instance in instances:
            instance.stop()
            instance.save()

    return on_exit
'''
    store = "class Store:\n    def save(self):\n        return 1\n"
    found = rule_findings({"pkg/__init__.py": "", "pkg/cov.py": plugin, "pkg/store.py": store}, "PFL402")
    assert [(f.path, f.line, f.severity) for f in found] == [("pkg/cov.py", 15, "note")]


def test_outside_objects_in_an_appended_tuple_stay_unknown():
    # reviewboard's draft update: `to_apply.append((draft, fields, values))` then
    # `for obj, fields, values in to_apply: obj.save(...)`, the draft an outside object here:
    # as for a plain append, it is not made "known to come from outside" by the tuple
    src = '''from lib import get_draft


def update(request, fields):
    to_apply = []
    draft = get_draft(request)
    to_apply.append((draft, fields, {}))
    for obj, update_fields, new_values in to_apply:
        if update_fields:
            obj.save(update_fields=sorted(update_fields))
'''
    store = "class Store:\n    def save(self):\n        return 1\n"
    found = rule_findings({"pkg/__init__.py": "", "pkg/api.py": src, "pkg/store.py": store}, "PFL402")
    assert [(f.path, f.line, f.severity) for f in found] == [("pkg/api.py", 10, "note")]
