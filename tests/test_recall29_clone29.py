"""Session twenty-nine, call graph: a call through an attribute or local annotated with an abstract
base class. check-jsonschema's checker (python-jsonschema/check-jsonschema, bench/realbugs.toml)
holds its schema loader in an attribute annotated with the loader's base class, whose
get_validator only raises NotImplementedError, and asks it for a validator once per instance
file; the edge ended at the base method, so the loader that builds a validator each time had no
heat. Such a method never runs (a subclass's instance answers the call): when the value flow
sees which classes are built and handed to the attribute (`Checker(build_loader(args))`, where
build_loader returns one of the loaders), the call is linked to their methods instead, one of
them per call ("bounded", as the overrides of a `self.m()`). With nothing built in sight, a
concrete base method, or too many classes, the edge stays as it was; so does an
`abc.abstractmethod` whose body is a docstring alone (linked, mlflow's job store got the
two errors session 25 judged FALSE). The reported tests fail on
the code before the change; the quiet ones are near misses."""

from __future__ import annotations

from test_callgraph import program
from test_recall25_cjs25 import CHECKER as CHECKER25, FIXED_LOADER, LOADER, MESSAGE, seen


def kinds(p, caller):
    return sorted((e.callee, e.kind, e.guess) for e in p.edges.get(caller, ()))


# the case as it is: the checker's attribute is annotated with the loader's base class
CHECKER = CHECKER25.replace("from loader import Loader\n", "from loader import LoaderBase\n").replace(
    "loader: Loader)", "loader: LoaderBase)")
assert CHECKER != CHECKER25

CLI = '''
from checker import Checker
from loader import Loader, LoaderBase, MetaLoader


def build_loader(args) -> LoaderBase:
    if args.meta:
        return MetaLoader()
    return Loader(args.reader)


def main(args):
    return Checker(build_loader(args)).run(args.files)
'''


def test_loader_built_and_handed_to_the_abstract_attribute_is_reached():
    files = {"loader.py": LOADER, "checker.py": CHECKER, "cli.py": CLI}
    assert seen(files) == [("loader.py", 22, "error", MESSAGE)]
    p = program(files)
    assert kinds(p, "checker.Checker.run") == [
        ("loader.Loader.get_validator", "bounded", False),
        ("loader.MetaLoader.get_validator", "bounded", False),
    ]
    assert p.heat["loader.Loader.get_validator"] == 100.0


ABSTRACT_DOCSTRING = LOADER.replace(
    "class LoaderBase:\n    def get_validator(self, path, doc):\n        raise NotImplementedError\n",
    "class LoaderBase(abc.ABC):\n    @abc.abstractmethod\n    def get_validator(self, path, doc):\n"
    "        \"\"\"A validator for doc.\"\"\"\n").replace("import functools\n", "import abc\nimport functools\n")


def test_a_stub_with_a_docstring_first_is_a_stub():
    loader = LOADER.replace("        raise NotImplementedError\n", "        \"\"\"A validator.\"\"\"\n        raise NotImplementedError\n")
    assert loader != LOADER
    assert seen({"loader.py": loader, "checker.py": CHECKER, "cli.py": CLI}) == [("loader.py", 23, "error", MESSAGE)]


def test_an_abstractmethod_with_a_docstring_alone_keeps_its_edge():
    # not taken as a stub (mlflow's job store: linked, it got the two errors session 25 judged FALSE)
    assert ABSTRACT_DOCSTRING != LOADER
    files = {"loader.py": ABSTRACT_DOCSTRING, "checker.py": CHECKER, "cli.py": CLI}
    assert seen(files) == []
    assert kinds(program(files), "checker.Checker.run") == [("loader.LoaderBase.get_validator", "exact", False)]


def test_validator_built_once_per_loader_is_quiet():
    # the fix: the builder is memoised on the loader, one validator serves every file
    assert seen({"loader.py": FIXED_LOADER, "checker.py": CHECKER, "cli.py": CLI}) == []


def test_a_base_method_that_runs_keeps_its_edge():
    # the base's own method does something: the annotation's answer stands, the loaders are not linked
    loader = LOADER.replace("        raise NotImplementedError\n", "        return None\n")
    assert loader != LOADER
    files = {"loader.py": loader, "checker.py": CHECKER, "cli.py": CLI}
    assert seen(files) == []
    assert kinds(program(files), "checker.Checker.run") == [("loader.LoaderBase.get_validator", "exact", False)]


def test_nothing_built_in_sight_keeps_the_edge_at_the_base():
    files = {"loader.py": LOADER, "checker.py": CHECKER}
    assert seen(files) == []
    assert kinds(program(files), "checker.Checker.run") == [("loader.LoaderBase.get_validator", "exact", False)]
