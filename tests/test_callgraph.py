"""Call resolution, heat and traces across modules."""

from __future__ import annotations

from pathlib import Path

from perflint.analyze import Analyzer
from perflint.callgraph import Program
from perflint.discovery import SourceFile
from perflint.testing import lint_sources
from perflint.valueflow import ValueFlow


def summaries_of(files):
    analyzer = Analyzer([])
    summaries = []
    for path, src in sorted(files.items()):
        module = path[:-3].replace("/", ".")
        is_pkg = module.endswith(".__init__")
        module = module[: -len(".__init__")] if is_pkg else module
        summaries.append(analyzer.analyze_bytes(SourceFile(Path(path), path, module, is_pkg, False), src.encode()))
    return summaries


def program(files, hot=()):
    return Program(summaries_of(files), hot=hot)


def edges(p):
    return {(e.caller, e.callee) for es in p.edges.values() for e in es}


def test_resolves_imports_reexports_methods_super_and_attribute_types():
    p = program({
        "pkg/__init__.py": "from .pager import Pager\n",
        "pkg/pager.py": (
            "class Base:\n"
            "    def close(self):\n        pass\n"
            "class Pager(Base):\n"
            "    def __init__(self, path):\n        self.path = path\n"
            "    def get(self, n):\n        return self.read(n)\n"
            "    def read(self, n):\n        return n\n"
            "    def close(self):\n        super().close()\n"
        ),
        "pkg/table.py": (
            "from . import pager as pg\n"
            "from pkg import Pager\n"
            "class Table:\n"
            "    def __init__(self, path):\n        self.pf = Pager(path)\n"
            "    def row(self, n):\n        return self.pf.get(n)\n"
            "def helper(p: Pager):\n    return p.read(1)\n"
            "def make():\n    t = Table('x')\n    return t.row(1), pg.Pager('y')\n"
        ),
    })
    e = edges(p)
    assert ("pkg.table.Table.__init__", "pkg.pager.Pager.__init__") in e  # via re-export
    assert ("pkg.table.Table.row", "pkg.pager.Pager.get") in e  # attribute type
    assert ("pkg.pager.Pager.get", "pkg.pager.Pager.read") in e  # self.m()
    assert ("pkg.pager.Pager.close", "pkg.pager.Base.close") in e  # super()
    assert ("pkg.table.helper", "pkg.pager.Pager.read") in e  # annotation
    assert ("pkg.table.make", "pkg.table.Table.__init__") in e  # constructor
    assert ("pkg.table.make", "pkg.table.Table.row") in e  # local type
    assert ("pkg.table.make", "pkg.pager.Pager.__init__") in e  # module alias


def test_unresolvable_and_unknown_decorators_are_dropped_not_guessed():
    p = program({
        "m.py": (
            "import functools\n"
            "def register(f):\n    REG.append(f)\n    return wrapper\n"
            "@register\ndef a():\n    pass\n"
            "@functools.lru_cache()\ndef b():\n    pass\n"
            "def caller(x):\n    a()\n    b()\n    x.unknown()\n"
        ),
    })
    e = edges(p)
    assert ("m.caller", "m.b") in e
    assert ("m.caller", "m.a") not in e
    assert all(callee.startswith("m.") for _, callee in e)


def test_heat_is_a_fixed_point_and_recursion_safe():
    p = program({
        "m.py": (
            "def leaf():\n    pass\n"
            "def mid():\n    for i in range(3):\n        leaf()\n"
            "def top():\n    for j in range(3):\n        mid()\n"
            "def rec(n):\n    for i in range(n):\n        rec(n - 1)\n    leaf()\n"
        ),
    })
    assert p.heat["m.top"] == 1
    assert p.heat["m.mid"] == 3  # range(3): a literal bound is the trip count
    # recursion inside a loop multiplies like a loop, once: a tree walk, not an explosion
    assert p.heat["m.rec"] == 100
    assert p.heat["m.leaf"] == 100  # the hottest caller wins: rec (100) over mid's loop (3 x 3)


def test_tests_are_not_heat_sources():
    analyzer = Analyzer([])
    prod = analyzer.analyze_bytes(SourceFile(Path("m.py"), "m.py", "m", False, False), b"def f():\n    pass\n")
    test = analyzer.analyze_bytes(
        SourceFile(Path("tests/test_m.py"), "tests/test_m.py", "test_m", False, True),
        b"from m import f\ndef test_f():\n    for i in range(100):\n        f()\n",
    )
    p = Program([prod, test])
    assert p.heat["m.f"] == 1


def test_tests_link_nothing():
    """A test's calls make no edge and bind no parameter of the code it exercises: a fake
    handed to a library function is not what production passes it. Its functions stay
    nodes (the library may call into a testing helper), with no callers from tests."""
    analyzer = Analyzer([])
    prod = analyzer.analyze_bytes(SourceFile(Path("m.py"), "m.py", "m", False, False), (
        "def run(handler, items):\n    for item in items:\n        handler(item)\n"
        "def main(items):\n    run(print, items)\n"
        "class Store:\n    def put(self, key):\n        return key\n"
    ).encode())
    test = analyzer.analyze_bytes(
        SourceFile(Path("tests/test_m.py"), "tests/test_m.py", "test_m", False, True),
        (b"from m import run, Store\ndef fake(item):\n    pass\n"
         b"def test_run():\n    run(fake, [1])\n    Store().put('k')\n"),
    )
    p = Program([prod, test])
    # run's handler is print (outside the program), never the test's fake
    assert edges(p) == {("m.main", "m.run")}
    assert "test_m.fake" in p.functions and "test_m.test_run" in p.functions
    assert p.callers["m.Store.put"] == [] and p.edges["test_m.test_run"] == []
    # what nothing outside the tests calls is the library's public API: its users call it
    assert p.roles["m.Store.put"].id == "public-api"


def test_a_loop_in_one_module_makes_a_function_in_another_hot():
    sync = "import os\ndef harden(fd):\n    os.fsync(fd)\n"
    cold = lint_sources({"pages.py": sync, "app.py": "from pages import harden\ndef close(fd):\n    harden(fd)\n"})
    hot = lint_sources({"pages.py": sync, "app.py": "from pages import harden\ndef load(fds):\n    for fd in fds:\n        harden(fd)\n"})
    cold_401 = [f for f in cold if f.rule == "PFL401"]
    hot_402 = [f for f in hot if f.rule == "PFL402"]
    assert [f.severity for f in cold_401] == ["note"]
    assert [f.severity for f in hot_402] in (["warning"], ["error"])  # an fsync (~100 us) per item of an unknown loop: x100
    assert [h.function for h in hot_402[0].trace] == ["load", "load"]
    assert "for loop" in hot_402[0].trace[1].note and "x100" in hot_402[0].trace[1].note
    assert hot_402[0].frequency == 100
    assert not [f for f in cold if f.rule == "PFL402"]
    assert [f.line for f in hot_402] == [3]


def test_hot_entry_points_from_config():
    from perflint.config import Config, RuleSettings

    src = "import os\nclass Session:\n    def execute(self, fd):\n        os.fsync(fd)\n"
    # one fsync per request where fdatasync would do: worth a warning on a disk where
    # fdatasync saves a millisecond (what `perflint calibrate` would measure there)
    calibrated = Config(min_severity="note", hot=("*.Session.execute",),
                        rules={"PFL401": RuleSettings(cost=1e-3)})
    f = next(f for f in lint_sources({"m.py": src}, config=calibrated) if f.rule == "PFL401")
    assert (f.severity, f.frequency, f.score) == ("warning", 1.0, 1e-3)
    assert "hot entry point" in f.trace[0].note
    # uncalled, a store's `put` is a public per-item API method: one call is the unit of work
    store = src.replace("class Session:\n    def execute(self, fd)", "class Journal:\n    def put(self, fd)")
    roles = Config(min_severity="note", rules={"PFL401": RuleSettings(cost=1e-3)})
    f = next(f for f in lint_sources({"m.py": store}, config=roles) if f.rule == "PFL401")
    assert (f.severity, f.frequency) == ("warning", 1.0) and "public API method" in f.trace[0].note
    # with that role off, nothing shows it to be hot: a note, whatever it costs
    cold = Config(min_severity="note", rules={"PFL401": RuleSettings(cost=1e-3)}, entry_roles={"public-api": False})
    f = next(f for f in lint_sources({"m.py": store}, config=cold) if f.rule == "PFL401")
    assert f.severity == "note" and f.trace == ()


def test_except_handlers_are_cold():
    p = program({"m.py": "def leaf():\n    pass\ndef f(xs):\n    for x in xs:\n        try:\n            pass\n        except ValueError:\n            leaf()\n"})
    assert p.heat["m.leaf"] == 1


def test_class_scope_names_are_not_visible_in_methods():
    p = program({"m.py": "class Cache:\n    def set(self, k):\n        pass\n    def check(self):\n        seen = set()\n        self.set(1)\n"
                          "def outer():\n    def inner():\n        pass\n    inner()\n"})
    e = edges(p)
    assert ("m.Cache.check", "m.Cache.set") in e  # through self
    lines = [edge.site.line for edge in p.edges["m.Cache.check"]]
    assert lines == [6]  # not the builtin set() on line 5
    assert ("m.outer", "m.outer.inner") in e


def test_loops_in_tests_and_memoized_callees_do_not_heat():
    from perflint.config import Config

    src = "import os\ndef test_sync(fds):\n    for fd in fds:\n        os.fsync(fd)\n"
    analyzer_findings = lint_sources({"tests/test_x.py": src}, config=Config(min_severity="note"))
    # lint_sources marks nothing as a test; go through the engine's test patterns instead
    from perflint.analyze import Analyzer
    from perflint.engine import finalize
    from perflint.registry import select_rules

    config = Config(min_severity="note")
    rules = select_rules(config)
    summary = Analyzer(rules).analyze_bytes(
        SourceFile(Path("tests/test_x.py"), "tests/test_x.py", "test_x", False, True), src.encode())
    result = finalize([summary], Program([summary]), config, rules)
    assert {f.rule: f.severity for f in result.findings} == {"PFL401": "note"}  # no PFL402: not repeated
    # outside tests/ the same loop is evidence: an fsync per item (PFL402) is reported
    assert [f.severity for f in analyzer_findings if f.rule == "PFL402"] in (["warning"], ["error"])

    p = program({"m.py": "import functools\n@functools.lru_cache()\ndef load():\n    pass\n"
                          "def f(xs):\n    for x in xs:\n        load()\n"})
    assert p.heat["m.load"] == 1


def test_defaults_and_decorators_run_in_the_enclosing_scope():
    # A default is evaluated when the `def` runs: here once per name, inside build's loop.
    src = ("import copy\nTEMPLATE = {'a': [1, 2]}\n"
           "def build(names):\n    out = []\n    for n in names:\n"
           "        def h(x=copy.deepcopy(TEMPLATE)):\n            return x\n"
           "        out.append(h)\n    return out\n")
    f = next(f for f in lint_sources({"m.py": src}) if f.rule == "PFL101")
    assert (f.line, f.function, f.frequency) == (6, "build", 100.0)  # once per name: the loop's trips
    assert f.context == "in a for loop in build"


def test_mro_is_c3():
    p = program({"m.py": (
        "class A:\n    def m(self):\n        pass\n"
        "class B(A):\n    pass\n"
        "class C(A):\n    def m(self):\n        pass\n"
        "class D(B, C):\n    pass\n"
        "class E(D, A):\n    pass\n"
    )})
    assert p.mro("m.D") == ["m.D", "m.B", "m.C", "m.A"]
    assert p.mro("m.E") == ["m.E", "m.D", "m.B", "m.C", "m.A"]
    assert p.lookup_method("m.D", "m") == "m.C.m"  # depth-first would say A.m


def test_values_bound_in_later_rounds_reach_through_earlier_evaluations():
    # `fn` in c is bound only in the third round (main -> a -> b -> c); the module-level
    # `runner` and `Box` are evaluated in the first. Keeping what reads no parameter across
    # rounds (valueflow's `pure`) must not keep what c's `fn()` read before `fn` was bound.
    p = program({
        "m.py": (
            "def work():\n    pass\n"
            "def c(fn):\n    runner = Box\n    fn()\n    runner(fn).run()\n"
            "def b(fn):\n    c(fn)\n"
            "def a(fn):\n    b(fn)\n"
            "def main():\n    a(work)\n"
            "class Box:\n"
            "    def __init__(self, fn):\n        self.fn = fn\n"
            "    def run(self):\n        self.fn()\n"
        ),
    })
    found = edges(p)
    assert ("m.c", "m.work") in found
    assert ("m.c", "m.Box.__init__") in found and ("m.c", "m.Box.run") in found
    assert ("m.Box.run", "m.work") in found


def test_the_fixed_point_settles_past_six_rounds():
    # A callback handed down a chain whose callers sort after their callees: each round binds
    # one more hop (the sorted pass reads a callee before its caller binds it), so the
    # deepest call is linked only in the ninth round (main binds f9, f9 binds f8, ...). The
    # solve used to stop after six rounds.
    src = "def work():\n    pass\n"
    src += "def f1(fn):\n    fn()\n"
    for i in range(2, 10):
        src += f"def f{i}(fn):\n    f{i - 1}(fn)\n"
    src += "def main():\n    f9(work)\n"
    p = program({"m.py": src})
    found = edges(p)
    assert ("m.f9", "m.f8") in found
    assert ("m.f1", "m.work") in found


def test_a_receiver_bound_by_an_unbound_call_is_a_parameter_guessed_or_not(monkeypatch):
    # A method's `self` is read as its class alone, and what reads it kept across rounds,
    # unless some call may bind it: phase 1 notes `Fake.step(...)` called with arguments
    # (and `step = Fake.step`, a stored value). A binding the guess missed starts the
    # fixed point again with every receiver a parameter, with the same result.
    source = (
        "class Real:\n    def go(self):\n        pass\n"
        "class Fake:\n    def step(self):\n        self.go()\n"
        "def main():\n    CALL\n"
    )
    for call in ("Fake.step(Real())", "step = Fake.step\n    step(Real())"):
        guessed = program({"m.py": source.replace("CALL", call)})
        assert ("m.Fake.step", "m.Real.go", "exact") in {(e.caller, e.callee, e.kind) for e in guessed.edges["m.Fake.step"]}
        assert guessed.flow._speculate  # the guess held: no second start
    monkeypatch.setattr(ValueFlow, "_guess_bound_receivers", lambda self: None)
    missed = program({"m.py": source.replace("CALL", "Fake.step(Real())")})
    assert ("m.Fake.step", "m.Real.go", "exact") in {(e.caller, e.callee, e.kind) for e in missed.edges["m.Fake.step"]}
    assert not missed.flow._speculate


def test_a_lambda_handed_back_to_the_parameter_it_calls_does_not_recurse_forever():
    # mlflow's convert_predict_fn returns `lambda request: predict_fn(**request)`, and a
    # caller converts the converted function again: the lambda is among the values of the
    # parameter its own body calls. Evaluating its call must stop at the cycle
    # (it was a RecursionError that ended the whole scan).
    p = program({
        "m.py": (
            "def predict(request):\n    pass\n"
            "def convert(predict_fn):\n    return lambda request: predict_fn(**request)\n"
            "def evaluate(fn, rows):\n"
            "    fn = convert(fn)\n    fn = convert(fn)\n"
            "    for row in rows:\n        fn(row)()\n"
            "def main():\n    evaluate(predict, [])\n"
        ),
    })
    assert {("m.main", "m.evaluate"), ("m.evaluate", "m.convert"), ("m.evaluate", "m.predict")} <= edges(p)


def test_a_sent_signal_calls_its_receivers():
    # `@receiver(sig)` (or a list of signals) registers with Django's dispatcher; each
    # `sig.send(...)`/`send_robust(...)` calls every receiver of that signal, and no other
    p = program({
        "pkg/__init__.py": "",
        "pkg/signals.py": "from django.dispatch import Signal\nevent_copy_data = Signal()\norder_paid = Signal()\n",
        "pkg/plugin.py": (
            "from django.dispatch import receiver\nfrom pkg.signals import event_copy_data\nfrom pkg import signals\n"
            "@receiver(event_copy_data, dispatch_uid='badges')\ndef copy_badges(sender, other, **kw):\n    pass\n"
            "@receiver([signals.order_paid, event_copy_data])\ndef both(sender, **kw):\n    pass\n"
            "def not_a_receiver(sender, **kw):\n    pass\n"
        ),
        "pkg/models.py": (
            "from pkg.signals import event_copy_data, order_paid\n"
            "class Event:\n    def copy_data_from(self, other):\n        event_copy_data.send(sender=self, other=other)\n"
            "    def paid(self):\n        order_paid.send_robust(sender=self)\n"
        ),
    })
    found = {e for e in edges(p) if e[0].startswith("pkg.models")}
    assert found == {("pkg.models.Event.copy_data_from", "pkg.plugin.copy_badges"),
                     ("pkg.models.Event.copy_data_from", "pkg.plugin.both"),
                     ("pkg.models.Event.paid", "pkg.plugin.both")}


def test_prelinked_tables_give_the_same_program_in_any_arrival_order():
    # phase 1's parent works out each summary's ModuleTables as it arrives (Prelinked); the
    # program must not depend on that, nor on the order, nor on a function id two modules
    # claim (`a.b` defines `c.d`, `a.b.c` defines `d`: the later module's function wins)
    from perflint.callgraph import Prelinked

    files = {
        "a/b.py": (
            "class c:\n"
            "    def d(self, x):\n        self.x = x\n        return helper(x)\n"
            "    @property\n    def size(self):\n        return 1\n"
            "def helper(y):\n    return y\n"
            "def run(items):\n    for i in items:\n        c().d(i)\n        c().size\n"
        ),
        "a/b/c.py": "def d(v, w=None):\n    return v\ndef go(rows):\n    for r in rows:\n        d(r, w=1)\n",
        "a/b/__init__.py": "",
        "a/__init__.py": "",
    }
    plain = program(files)
    summaries = summaries_of(files)
    for order in (summaries, summaries[::-1]):
        prelinked = Prelinked()
        for summary in order:
            prelinked.add(summary)
        p = Program(summaries, prelinked=prelinked)
        assert p.graph_json() == plain.graph_json()
        assert p.heat == plain.heat
    partial = Prelinked()
    partial.add(summaries[0])  # the others are worked out when the program is built
    assert Program(summaries, prelinked=partial).graph_json() == plain.graph_json()


def test_a_guessed_chain_replaced_at_the_same_heat_is_not_kept_below_it():
    """`leaf`'s hottest chain ends exact (the per-item `__getitem__` calls `frobnicate_rows`
    by its class), but the queue first reached `frobnicate_rows` through a by-name guess at the
    same heat (x100 from a literal of 100 items). The guess was handed to `leaf` then, and the
    exact chain that replaced it, arriving at equal heat, did not pass the change on: `leaf`'s
    findings were low confidence (notes) for a guess its trace no longer shows."""
    hundred = ", ".join(["0"] * 100)
    p = program({"m.py": (
        "def leaf(r):\n    return r\n"
        "class Store:\n"
        "    def frobnicate_rows(self, rows):\n"
        "        for r in rows:\n"
        "            leaf(r)\n"
        "class Zed:\n"
        "    def __getitem__(self, i):\n"
        "        return Store().frobnicate_rows(self.rows)\n"
        "def A_driver(x, rows):\n"
        f"    for i in [{hundred}]:\n"
        "        x.frobnicate_rows(rows)\n"
    )})
    assert ("m.A_driver", "by-name", True) in {(e.caller, e.kind, e.guess) for e in p.edges["m.A_driver"]}
    assert p.pred["m.Store.frobnicate_rows"].caller == "m.Zed.__getitem__"
    assert p.pred["m.leaf"].caller == "m.Store.frobnicate_rows"
    assert not p.guessed.get("m.Store.frobnicate_rows", False)
    assert not p.guessed.get("m.leaf", False)


def test_a_classmethod_called_through_its_class_binds_the_class_not_the_first_argument():
    p = program({"m.py": (
        "class Payload:\n    pass\n"
        "class Result:\n"
        "    @classmethod\n"
        "    def from_json(cls, data):\n"
        "        return cls()\n"
        "def load():\n"
        "    return Result.from_json(Payload())\n")})
    bound = p.flow.param_in["m.Result.from_json"]
    assert bound.get("data") == frozenset({("I", "m.Payload", False)})
    assert "cls" not in bound  # the class itself, not Payload(): the call passes it
