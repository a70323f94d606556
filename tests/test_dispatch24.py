"""Session twenty-four, call graph: two kinds of dispatch the graph did not follow.

1. A method called on an element of a container the program builds from instances of its own
   classes: `self.by_encoding.get(enc).from_payload(p)` where the dict is a comprehension over
   a tuple of constructor calls (temporalio's CompositePayloadConverter shape), `table[k].run()`
   on a dict display, `item["check"].execute()` over a list of dicts, `d.values()`/`d.items()`/
   `d.pop(k)`, and a default parameter. Each element class's method is linked, as an edge of kind
   "bounded" that is no guess when the set is the program's own (read no parameter): one of them
   runs per call, as for an override. The value flow's bound of four values still applies: a
   container of five classes links none of them.
2. Functions handed to a scheduler with their arguments: `executor.submit(fn, x)`,
   `loop.run_in_executor(None, fn, x)`, `asyncio.to_thread(fn, x)`, `threading.Thread(target=fn,
   args=(x,))` are recorded as the call `fn(x)` (it binds fn's parameters), and the map forms
   (`pool.map(fn, items)`, `executor.map`, `map(fn, items)`, `imap`, `starmap`) as a call inside
   a per-item loop over the iterable, sized like a `for` over it.

The buggy tests fail on the code before the change (no edge, or heat 1)."""

from __future__ import annotations

from conftest import rule_findings
from test_callgraph import program


def seen(files, rule="PFL105"):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, rule)]


def kinds(p, caller):
    """(callee, kind, guess) of each edge out of `caller`, sorted."""
    return sorted((e.callee, e.kind, e.guess) for e in p.edges.get(caller, ()))


CONVERTERS = '''from pydantic import TypeAdapter


class JsonConverter:
    encoding = "json"

    def from_payload(self, payload, hint):
        return TypeAdapter(hint).validate_json(payload.data)


class RawConverter:
    encoding = "raw"

    def from_payload(self, payload, hint):
        return payload.data
'''

COMPOSITE = '''

class Composite:
    def __init__(self):
        self.by_encoding = {c.encoding: c for c in (JsonConverter(), RawConverter())}

    def from_payloads(self, payloads, hints):
        values = []
        for payload, hint in zip(payloads, hints):
            converter = self.by_encoding.get(payload.encoding)
            values.append(converter.from_payload(payload, hint))
        return values
'''

ADAPTER_MESSAGE = ("TypeAdapter() generates and compiles a pydantic core schema again on every call of "
                   "from_payload(); validating through a kept adapter costs a small fraction of that")


# -- 1. dispatch on an element of a container of the program's instances --------------------

def test_converter_taken_from_a_dict_of_instances_gets_the_loop_heat():
    files = {"pkg/conv.py": CONVERTERS + COMPOSITE}
    assert seen(files) == [("pkg/conv.py", 8, "warning", ADAPTER_MESSAGE)]
    p = program(files)
    assert kinds(p, "pkg.conv.Composite.from_payloads") == [
        ("pkg.conv.JsonConverter.from_payload", "bounded", False),
        ("pkg.conv.RawConverter.from_payload", "bounded", False),
    ]
    assert p.heat["pkg.conv.JsonConverter.from_payload"] == 100.0


def test_fixed_converter_with_a_kept_adapter_is_quiet():
    fixed = CONVERTERS.replace(
        "        return TypeAdapter(hint).validate_json(payload.data)",
        "        adapter = self._adapters.get(hint)\n"
        "        if adapter is None:\n"
        "            adapter = self._adapters[hint] = TypeAdapter(hint)\n"
        "        return adapter.validate_json(payload.data)",
    ).replace('    encoding = "json"\n', '    encoding = "json"\n\n    def __init__(self):\n        self._adapters = {}\n', 1)
    assert "self._adapters[hint] = TypeAdapter(hint)" in fixed
    assert seen({"pkg/conv.py": fixed + COMPOSITE}) == []


def test_near_miss_a_container_of_five_classes_is_over_the_bound():
    extra = "".join(f'''

class Other{i}:
    encoding = "o{i}"

    def from_payload(self, payload, hint):
        return payload.data
''' for i in range(3))
    composite = COMPOSITE.replace("(JsonConverter(), RawConverter())",
                                  "(JsonConverter(), RawConverter(), Other0(), Other1(), Other2())")
    files = {"pkg/conv.py": CONVERTERS + extra + composite}
    assert seen(files) == []
    assert kinds(program(files), "pkg.conv.Composite.from_payloads") == []


def test_near_miss_a_dict_filled_from_a_parameter_is_a_merge_and_stays_a_guess():
    # the container holds what every caller passes (merged over call sites): a flow set, whose
    # heat is a guess, so the per-call adapter is a note at most. (Before, the value flow kept
    # the last round's evaluation of `self.by_encoding`, read before `make` bound `converters`,
    # and linked nothing here: ValueFlow._solve now evaluates afresh when that round changed.)
    composite = COMPOSITE.replace(
        "    def __init__(self):\n        self.by_encoding = {c.encoding: c for c in (JsonConverter(), RawConverter())}",
        "    def __init__(self, converters):\n        self.by_encoding = {c.encoding: c for c in converters}",
    ) + "\n\ndef make():\n    return Composite((JsonConverter(),)), Composite([RawConverter()])\n"
    files = {"pkg/conv.py": CONVERTERS + composite}
    assert seen(files) == [("pkg/conv.py", 8, "note", ADAPTER_MESSAGE)]
    assert kinds(program(files), "pkg.conv.Composite.from_payloads") == [
        ("pkg.conv.JsonConverter.from_payload", "bounded", True),
        ("pkg.conv.RawConverter.from_payload", "bounded", True),
    ]


SHAPES = '''
class A:
    def run(self, x):
        return x


class B:
    def run(self, x):
        return x


class Checks:
    HANDLERS = (A(), B())

    def __init__(self):
        self.items = [{"check": A(), "id": 1}, {"check": B(), "id": 2}]
        self.table = {"a": A(), "b": B()}

    def each_item(self):
        for item in self.items:
            item["check"].run(1)

    def by_key(self, key):
        return self.table[key].run(1)

    def class_tuple(self):
        for handler in self.HANDLERS:
            handler.run(1)

    def values_and_items(self):
        for handler in self.table.values():
            handler.run(1)
        for _, other in self.table.items():
            other.run(2)

    def popped(self, key):
        return self.table.pop(key).run(1)


def with_default(key, table={"a": A(), "b": B()}):
    return table[key].run(1)


def one_class(key):
    table = {"a": A(), "n": 1}
    return table[key].run(1)
'''

BOTH = [("m.A.run", "bounded", False), ("m.B.run", "bounded", False)]


def test_each_container_shape_links_the_method_of_every_element_class():
    p = program({"m.py": SHAPES})
    for caller in ("each_item", "by_key", "class_tuple", "popped"):
        assert kinds(p, f"m.Checks.{caller}") == BOTH, caller
    assert kinds(p, "m.Checks.values_and_items") == sorted(BOTH + BOTH)
    # one class in the container: an exact edge (the literal 1 holds nothing of the program)
    assert kinds(p, "m.one_class") == [("m.A.run", "exact", False)]


def test_a_default_parameter_links_its_elements_as_a_guess():
    # a caller may pass another table: what the parameter holds is merged, the heat a guess
    assert kinds(program({"m.py": SHAPES}), "m.with_default") == [
        ("m.A.run", "bounded", True), ("m.B.run", "bounded", True)]


def test_near_miss_a_container_of_outside_objects_links_nothing():
    source = SHAPES.replace('{"a": A(), "b": B()}', '{"a": open("a"), "b": dict()}')
    p = program({"m.py": source})
    assert kinds(p, "m.Checks.by_key") == []
    assert kinds(p, "m.Checks.popped") == []


# -- 2. functions handed to an executor, a thread or a map --------------------------------

HANDED = '''import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool


class Job:
    def run(self):
        return 1


def work(job):
    return job.run()


def per_item(job):
    return job.run()


def fixed_pair(job):
    return job.run()


def threaded(job, *, tag=None):
    return job.run()


def in_loop(job):
    return job.run()


async def in_thread(job):
    return job.run()


def submit_all(jobs):
    with ThreadPoolExecutor() as executor:
        executor.submit(work, Job())
        list(executor.map(per_item, jobs))
        for job in jobs:
            executor.submit(in_loop, job)
    with Pool() as pool:
        pool.map(fixed_pair, [Job(), Job()])
    threading.Thread(target=threaded, args=(Job(),), kwargs={"tag": "x"}).start()


async def run_async(loop):
    await loop.run_in_executor(None, work, Job())
    await asyncio.to_thread(in_thread, Job())
'''


def test_handed_functions_are_called_with_their_arguments():
    p = program({"h.py": HANDED})
    # the argument handed beside the function binds its parameter: job.run() is linked
    for fn in ("work", "threaded", "in_thread"):
        assert kinds(p, f"h.{fn}") == [("h.Job.run", "exact", False)], fn
    assert sorted((e.callee, e.site.line, [loop.kind for loop in e.site.loops])
                  for e in p.edges["h.submit_all"] if not e.callee.endswith("__init__")) == [
        ("h.fixed_pair", 43, ["per-item loop of pool.map()"]),
        ("h.in_loop", 41, ["for loop"]),
        ("h.per_item", 39, ["per-item loop of executor.map()"]),
        ("h.threaded", 44, []),
        ("h.work", 38, []),
    ]
    assert sorted(e.callee for e in p.edges["h.run_async"]) == ["h.in_thread", "h.work"]


def test_map_forms_run_once_per_item_sized_like_a_for_loop():
    p = program({"h.py": HANDED})
    assert p.heat["h.per_item"] == 100.0  # a parameter: unknown bound (loop-trips)
    assert p.heat["h.in_loop"] == 100.0
    assert p.heat["h.fixed_pair"] == 2.0  # a literal of two items
    assert p.heat["h.work"] == 1.0  # one submit: once


def test_near_miss_a_spread_or_a_series_map_binds_nothing():
    source = HANDED.replace("executor.submit(work, Job())", "executor.submit(*task_of(Job()))").replace(
        "list(executor.map(per_item, jobs))", "frame.map(per_item)")
    p = program({"h.py": source + "\n\ndef task_of(job):\n    return (work, job)\n"})
    assert kinds(p, "h.work") == [("h.Job.run", "exact", False)]  # still bound by run_in_executor
    callees = {e.callee for e in p.edges["h.submit_all"]}
    assert "h.work" not in callees  # where the function is in `*task`, nothing says
    # `frame.map(f)` walks its receiver, which is not in sight: the plain callback edge, once
    edge = [e for e in p.edges["h.submit_all"] if e.callee == "h.per_item"]
    assert [(e.site.line, [loop.kind for loop in e.site.loops]) for e in edge] == [(39, [])]


PER_ITEM_ADAPTER = '''from concurrent.futures import ThreadPoolExecutor

from pydantic import TypeAdapter


def decode_one(payload, hint=None):
    return TypeAdapter(hint).validate_json(payload)


def decode_all(payloads):
    with ThreadPoolExecutor() as executor:
        return list(executor.map(decode_one, payloads))
'''


def test_work_mapped_over_payloads_is_reported_through_the_map():
    message = ADAPTER_MESSAGE.replace("from_payload()", "decode_one()")
    assert seen({"pkg/dec.py": PER_ITEM_ADAPTER}) == [("pkg/dec.py", 7, "warning", message)]


def test_near_miss_work_submitted_once_is_quiet():
    once = PER_ITEM_ADAPTER.replace("list(executor.map(decode_one, payloads))",
                                    "executor.submit(decode_one, payloads).result()")
    assert seen({"pkg/dec.py": once}) == []


RUNNER = '''class Task:
    def __call__(self, parameters):
        return run_task(self, parameters)

    def map(self, runner, parameters):
        return runner.map(self, parameters)

    def map_fn(self, runner, parameters):
        return runner.map(run_task, parameters)


def run_task(task, parameters):
    return parameters


class Runner:
    def map(self, task, parameters):
        return [task for _ in parameters]


def flow(parameters):
    return Task().map(Runner(), parameters), Task().map_fn(Runner(), parameters)
'''


def test_near_miss_the_program_own_runner_and_a_handed_object_are_plain_callbacks():
    p = program({"r.py": RUNNER})
    # `runner.map(self, parameters)`: the runner is the program's (its map is linked as any
    # method), and what is handed is a Task object: the callback edge of before, once, unbound
    edges = {(e.callee, e.site.line, tuple(loop.kind for loop in e.site.loops)) for e in p.edges["r.Task.map"]}
    assert edges == {("r.Runner.map", 6, ()), ("r.Task.__call__", 6, ())}
    edges = {(e.callee, e.site.line, tuple(loop.kind for loop in e.site.loops)) for e in p.edges["r.Task.map_fn"]}
    assert edges == {("r.Runner.map", 9, ()), ("r.run_task", 9, ())}
    assert p.heat["r.run_task"] == 1.0  # not per item of a loop the runner's map may not make
