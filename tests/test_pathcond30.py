"""Session thirty, path conditions (pathcond30): an `isinstance` test on a parameter that the
hot chain's argument decides, because the caller passes an object it visibly builds.

`if isinstance(customer, int): customer = Customer.objects.get(pk=customer)` loads a row only
for callers that pass a key. A caller that passes `Customer(...)`, `Customer.objects.get(...)`
or a local every binding of which builds one (guards.built_locals) passes an instance of that
program class: not an int unless a base up its MRO says so (Program.built_instance). Past `if
isinstance(chart, Chart): return chart`, a caller that builds a Chart never gets (Superset's
ChartWarmUpCacheCommand.validate returns early for a Slice: labelled FALSE in session 30).
A parameter left out has its default: `device=None` is no int (pretix's `_cancel_order(o.pk,
user, ...)` leaves its device and token out: labelled FALSE in session 30).

Each test fails on the code before the change, or guards what it must leave quiet."""

from __future__ import annotations

from conftest import rule_findings

MODELS = '''
from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=10)


class Chart(models.Model):
    title = models.CharField(max_length=10)


class SubChart(Chart):
    pass


class Code(int):
    pass
'''

LOADERS = '''
from app.models import Chart, Customer


def load_customer(customer):
    if isinstance(customer, int):
        customer = Customer.objects.get(pk=customer)
    return customer


def load_chart(chart):
    if isinstance(chart, Chart):
        return chart
    return Chart.objects.get(pk=chart)
'''

RUN = '''
from app.loaders import load_chart, load_customer
from app.models import Chart, Code, Customer, SubChart


def run(pks, name):
    customer = Customer.objects.get(name=name)
    for pk in pks:
        load_customer(customer)
        load_chart(Chart(pk=pk))
'''

CUSTOMER = "Customer.objects.get() runs per call, and its callers run it in a loop: one database round trip per item (N+1 queries)"
CHART = "Chart.objects.get() runs per call, and its callers run it in a loop: one database round trip per item (N+1 queries)"


def loaders(run: str = RUN) -> list:
    files = {"app/models.py": MODELS, "app/loaders.py": LOADERS, "app/run.py": run}
    return [(f.line, f.severity, f.message) for f in rule_findings(files, "PFL503") if f.path == "app/loaders.py"]


def test_a_key_passed_is_still_loaded_per_item() -> None:
    keys = RUN.replace("load_customer(customer)", "load_customer(pk)").replace("load_chart(Chart(pk=pk))",
                                                                               "load_chart(pk)")
    assert loaders(keys) == [(7, "error", CUSTOMER), (14, "error", CHART)]


def test_an_object_the_caller_builds_decides_the_isinstance_branch() -> None:
    assert loaders() == [(7, "note", CUSTOMER), (14, "note", CHART)]
    # a subclass is an instance too: past the early return
    assert loaders(RUN.replace("Chart(pk=pk)", "SubChart(pk=pk)")) == [(7, "note", CUSTOMER), (14, "note", CHART)]


def test_built_object_near_misses() -> None:
    # a local also bound to something else (a parameter, a key) may be a key
    rebound = RUN.replace("    for pk in pks:\n", "    for pk in pks:\n        if not name:\n            customer = pk\n")
    assert loaders(rebound) == [(7, "error", CUSTOMER), (14, "note", CHART)]
    # an instance of a class that derives from int is an int
    coded = RUN.replace("load_customer(customer)", "load_customer(Code(pk))")
    assert loaders(coded) == [(7, "error", CUSTOMER), (14, "note", CHART)]
    # an instance of another program class is no Chart: the query runs
    other = RUN.replace("load_chart(Chart(pk=pk))", "load_chart(Customer(pk=pk))")
    assert loaders(other) == [(7, "note", CUSTOMER), (14, "error", CHART)]
    # a function's result, whatever its name says, shows no class
    made = RUN.replace("load_chart(Chart(pk=pk))", "load_chart(make_chart(pk))") + "\n\ndef make_chart(pk):\n    return pk\n"
    assert loaders(made) == [(7, "note", CUSTOMER), (14, "error", CHART)]


DEVICES = '''
from app.models import Customer


def load_device(customer, device=None):
    if isinstance(device, int):
        device = Customer.objects.get(pk=device)
    return customer, device


def run(pks):
    for pk in pks:
        load_device(pk)
'''


def devices(source: str = DEVICES) -> list:
    files = {"app/models.py": MODELS, "app/devices.py": source}
    return [(f.line, f.severity, f.message) for f in rule_findings(files, "PFL503")]


def test_a_parameter_left_out_has_its_default() -> None:
    assert devices() == [(7, "note", CUSTOMER)]


def test_left_out_near_misses() -> None:
    # passed by keyword or by position: the caller's value decides
    assert devices(DEVICES.replace("load_device(pk)", "load_device(pk, device=pk)")) == [(7, "error", CUSTOMER)]
    assert devices(DEVICES.replace("load_device(pk)", "load_device(pk, pk)")) == [(7, "error", CUSTOMER)]
    # a default that is an int takes the branch
    assert devices(DEVICES.replace("device=None", "device=0")) == [(7, "error", CUSTOMER)]


ERRORS = '''
from app.models import Customer


class Problem(Exception):
    pass


def explain(problem):
    if isinstance(problem, str):
        return Customer.objects.get(name=problem)
    return problem


def run(names):
    for name in names:
        explain(Problem(name))
'''


def test_a_builtin_base_other_than_a_scalar_is_no_scalar() -> None:
    files = {"app/models.py": MODELS, "app/errors.py": ERRORS}
    assert [(f.line, f.severity) for f in rule_findings(files, "PFL503")] == [(11, "note")]
    # a base that names a scalar type (or the stdlib's StrEnum) makes its instances one
    for base in ("str", "Exception, str", "enum.StrEnum"):
        source = ERRORS.replace("(Exception):", f"({base}):").replace("from app", "import enum\nfrom app")
        files = {"app/models.py": MODELS, "app/errors.py": source}
        assert [(f.line, f.severity) for f in rule_findings(files, "PFL503")] == [(12, "error")], base
