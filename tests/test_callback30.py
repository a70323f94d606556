"""Session thirty, calls of a function-valued parameter (callback30): a retry wrapper's `fn(*args)`
reaches every function the value flow merged over its callers, and heat through that call comes
only from the callers that pass the function called (Edge.param, Edge.hands, Program.param_edge).

mlflow's `_run_with_deadlock_retry(fn, ...)` is called with `_log_metrics_once` from a loop and
with `_log_spans_once` once: the span writer's N+1 query was counted x1000 and traced through the
metrics loop, a chain that cannot run (labelled FALSE in session 29).

Each test fails on the code before the change, or guards what it must leave alone."""

from __future__ import annotations

from conftest import rule_findings
from test_callgraph import edges, program

# Two writers called through one retry wrapper: the metrics one from a loop, the spans one once.
RETRY = {
    "store.py": (
        "class Store:\n"
        "    def _retry(self, fn, *args):\n"
        "        for attempt in range(3):\n"
        "            try:\n"
        "                return fn(*args)\n"
        "            except ValueError:\n"
        "                pass\n"
        "    def log_metrics(self, metrics):\n"
        "        return self._retry(self._write_metrics, metrics)\n"
        "    def _write_metrics(self, metrics):\n"
        "        return metrics\n"
        "    def log_spans(self, spans):\n"
        "        return self._retry(self._write_spans, spans)\n"
        "    def _write_spans(self, spans):\n"
        "        return spans\n"
    ),
    "loop.py": (
        "from store import Store\n"
        "def log_all(store: Store, batches):\n"
        "    for batch in batches:\n"
        "        store.log_metrics(batch)\n"
    ),
}


def test_a_called_parameter_heats_only_the_function_the_hot_caller_passes():
    p = program(RETRY)
    e = edges(p)
    # the wrapper's call of `fn` reaches both writers (the value flow merges its callers)
    assert ("store.Store._retry", "store.Store._write_metrics") in e
    assert ("store.Store._retry", "store.Store._write_spans") in e
    assert p.heat["store.Store._retry"] == 100.0  # the metrics loop
    assert p.heat["store.Store._write_metrics"] == 100.0
    # log_spans, which alone passes _write_spans, runs once: so does the span writer
    assert p.heat["store.Store._write_spans"] == 1.0
    chain = [(edge.caller, edge.callee) for edge in p.hot_chain("store.Store._write_metrics")]
    assert chain == [("loop.log_all", "store.Store.log_metrics"),
                     ("store.Store.log_metrics", "store.Store._retry"),
                     ("store.Store._retry", "store.Store._write_metrics")]
    # traced from the caller that passes it, not from the hotter metrics loop
    chain = [(edge.caller, edge.callee) for edge in p.hot_chain("store.Store._write_spans")]
    assert chain == [("store.Store.log_spans", "store.Store._retry"),
                     ("store.Store._retry", "store.Store._write_spans")]


def test_a_caller_that_passes_nothing_known_heats_every_function_the_parameter_holds():
    files = dict(RETRY)
    # a third caller hands on a function its own callers give it from outside the scan
    files["plugin.py"] = (
        "from store import Store\n"
        "def run_all(store: Store, jobs, hook):\n"
        "    for job in jobs:\n"
        "        store._retry(hook, job)\n"
    )
    p = program(files)
    assert p.heat["store.Store._write_metrics"] == 100.0
    assert p.heat["store.Store._write_spans"] == 100.0  # the hook may be it: kept, as before


def test_a_caller_that_passes_an_outside_function_heats_none_of_the_programs():
    files = dict(RETRY)
    files["plugin.py"] = (
        "import json\n"
        "from store import Store\n"
        "def dump_all(store: Store, rows):\n"
        "    for row in rows:\n"
        "        store._retry(json.dumps, row)\n"
    )
    p = program(files)
    assert p.heat["store.Store._retry"] == 100.0  # either loop
    assert p.heat["store.Store._write_metrics"] == 100.0
    assert p.heat["store.Store._write_spans"] == 1.0


MODELS = '''
from django.db import models


class Metric(models.Model):
    key = models.CharField(max_length=10)


class Span(models.Model):
    name = models.CharField(max_length=10)
'''

STORE = '''
from app.models import Metric, Span


class Store:
    def _retry(self, fn, *args):
        for attempt in range(3):
            try:
                return fn(*args)
            except ValueError:
                if attempt >= 2:
                    raise

    def log_metrics(self, metrics):
        return self._retry(self._write_metrics, metrics)

    def _write_metrics(self, metrics):
        return [Metric.objects.get(key=key) for key in metrics]

    def log_spans(self, spans):
        return self._retry(self._write_spans, spans)

    def _write_spans(self, spans):
        return [Span.objects.get(name=name) for name in spans]
'''

LOOP = '''
from app.store import Store


def log_all(store: Store, batches):
    for batch in batches:
        store.{method}(batch)
'''

METRIC = "Metric.objects.get() runs per iteration: one database round trip per item (N+1 queries)"
SPAN = "Span.objects.get() runs per iteration: one database round trip per item (N+1 queries)"


def queries(method: str) -> list:
    files = {"app/__init__.py": "", "app/models.py": MODELS, "app/store.py": STORE,
             "app/loop.py": LOOP.format(method=method)}
    return sorted(rule_findings(files, "PFL503"), key=lambda f: f.line)


def test_only_the_function_the_looping_caller_passes_is_repeated_by_its_loop():
    found = queries("log_metrics")
    assert [(f.line, f.severity, f.message, f.frequency) for f in found] == [
        (18, "error", METRIC, 1000.0),  # the caller's loop x100, then its own x10
        (24, "error", SPAN, 100.0),  # its own loop alone: log_spans runs once (was x1000)
    ]
    assert [hop.function for hop in found[1].trace] == [
        "Store.log_spans", "Store.log_spans", "Store._retry", "Store._write_spans"]


def test_the_looping_caller_that_passes_the_costly_function_keeps_it_repeated():
    found = queries("log_spans")
    assert [(f.line, f.severity, f.message, f.frequency) for f in found] == [
        (18, "error", METRIC, 100.0),
        (24, "error", SPAN, 1000.0),
    ]
    assert [hop.function for hop in found[1].trace] == [
        "log_all", "log_all", "Store.log_spans", "Store._retry", "Store._write_spans"]
