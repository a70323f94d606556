"""PFL508 stack-inspected-per-call (session 31, from Rich's Console.log in bench/realbugs.toml):
the whole stack turned into frame records to read one caller, priced per frame at the default
depth, a warning only when something repeats the call."""

from __future__ import annotations

import pytest

from perflint.config import Config
from perflint.testing import lint_sources


def found(src):
    """(line, severity, times per unit of work, message) of each PFL508 finding."""
    return [(f.line, f.severity, f.frequency, f.message)
            for f in lint_sources({"m.py": src}, select=("PFL508",), config=Config(min_severity="note"))
            if f.rule == "PFL508"]


def program(body, imports="import inspect"):
    return f'''{imports}


class Process:
    def report(self, msg):
{body}
        self.logger.info("%s %s", caller, msg)

    def run(self, steps):
        for step in steps:
            self.report(step)
'''


def test_a_caller_read_from_the_whole_stack_in_a_looped_method_is_an_error():
    got = found(program("        caller = inspect.stack()[1].function"))
    assert got == [(6, "error", 100.0, "inspect.stack() builds a record of every frame on the stack on every call "
                                         "of report(), only to read one frame of it")]
    f = lint_sources({"m.py": program("        caller = inspect.stack()[1].function")}, select=("PFL508",))[0]
    # stack-frame-record x 30 frames (depth unknown) x 100 (run's loop)
    assert f.cost == pytest.approx(30 * 1.999e-05, rel=1e-3) and f.score == pytest.approx(100 * f.cost)


def test_context_zero_is_priced_without_source_lines():
    got = found(program("        caller = inspect.stack(context=0)[1].function"))
    assert got == [(6, "error", 100.0, "inspect.stack() builds a record of every frame on the stack (without "
                                         "source lines, still a frame record each) on every call of report(), only "
                                         "to read one frame of it")]
    f = lint_sources({"m.py": program("        caller = inspect.stack(context=0)[1].function")}, select=("PFL508",))[0]
    assert f.cost == pytest.approx(30 * 1.1e-05, rel=1e-3)


def test_the_fixed_version_walking_one_frame_is_quiet():
    assert found(program("        caller = sys._getframe(1).f_code.co_name", imports="import sys")) == []


def test_a_stack_walked_through_a_local_is_reported_where_it_is_built():
    body = "        stack = inspect.stack()\n        caller = [r.function for r in stack][1]"
    assert [(line, sev) for line, sev, _, _ in found(program(body))] == [(6, "error")]


def test_a_call_nothing_repeats_is_a_note():
    src = "import inspect\n\ndef origin():\n    return inspect.stack()[1].filename\n"
    assert found(src) == [(4, "note", 1.0, "inspect.stack() builds a record of every frame on the stack on every "
                                           "call of origin(), only to read one frame of it")]


def test_a_whole_stack_handed_on_is_left_alone():
    # near miss: the records themselves are printed
    assert found(program("        caller = '\\n'.join(map(str, inspect.stack()))")) == []


def test_a_generator_yielding_each_record_is_left_alone():
    body = ("        caller = next(frames())\n\n\ndef frames():\n    for info in inspect.stack():\n"
            "        if info.function != 'skip':\n            yield info\n\n\nclass Other:\n    def report(self, msg):\n"
            "        caller = 1")
    assert found(program(body)) == []


TEST_ONLY = '''import inspect
import os


def mark(order):
    if {guard}:
        for record in inspect.stack()[1:]:
            if "test_" in record.filename:
                return
    order.dirty = True


def save_all(orders):
    for order in orders:
        mark(order)
'''


@pytest.mark.parametrize("guard", ['"PYTEST_CURRENT_TEST" in os.environ', 'os.environ.get("PYTEST_CURRENT_TEST")',
                                   'os.getenv("PYTEST_CURRENT_TEST")'])
def test_a_stack_walked_only_under_a_test_runner_is_cold(guard):
    got = [(f.line, f.severity, f.frequency, f.context) for f in
           lint_sources({"m.py": TEST_ONLY.format(guard=guard)}, select=("PFL508",), config=Config(min_severity="note"))]
    assert got == [(7, "note", 1.0, "in mark; reached per iteration of a for loop in save_all; "
                                    "runs only under a test runner")]


def test_a_stack_walked_under_another_environment_test_still_counts():
    # near miss: a feature flag from the environment is not a test run
    src = TEST_ONLY.format(guard='"APP_TRACE_ORDERS" in os.environ')
    got = [(f.line, f.severity) for f in lint_sources({"m.py": src}, select=("PFL508",))]
    assert got == [(7, "error")]
