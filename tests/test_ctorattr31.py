"""Session thirty-one (ctorattr31): an `isinstance` test on an attribute of self that the
constructor stored from one of its parameters, settled by what the hot chain's caller passes
when it builds the receiver itself.

`if isinstance(self._chart_or_id, Chart): return` and then a query for the id: a caller that
builds `WarmChart(chart).run()` per Chart row it loaded never runs the query. The attribute
must keep what `__init__` stored from its parameter (ClassSummary.init_attrs): nothing else
binds it, or only code under the same test, which never runs while the test is settled
(ModuleSummary.attr_rebinds). What the caller passes is read as for a parameter
(pathcond30), and a loop's element is an instance of a model class when the loop iterates
rows of that class: a query, a local or an attribute of the caller's own every binding of
which is an empty display or such rows (guards.rows_class, element_locals, element_attrs).
Superset's ChartWarmUpCacheCommand.validate, reached per Slice row from the dataset warm-up,
was labelled FALSE in session 31.

Each test fails on the code before the change, or guards what it must leave quiet."""

from __future__ import annotations

from conftest import rule_findings

MODELS = '''
from django.db import models


class Chart(models.Model):
    title = models.CharField(max_length=10)
'''

WARM = '''
from app.models import Chart


class WarmChart:
    def __init__(self, chart_or_id, force=False):
        self._chart_or_id = chart_or_id
        self._force = force

    def run(self):
        self.validate()
        return self._chart_or_id.title

    def validate(self):
        if isinstance(self._chart_or_id, Chart):
            return
        chart = Chart.objects.get(pk=self._chart_or_id)
        self._chart_or_id = chart
'''

TABLE = '''
from app.models import Chart
from app.warm import WarmChart


class WarmTable:
    def __init__(self, name):
        self._name = name
        self._charts = []

    def run(self):
        self.validate()
        return [WarmChart(chart).run() for chart in self._charts]

    def validate(self):
        self._charts = Chart.objects.filter(table=self._name)
'''

GET = "Chart.objects.get() runs per call, and its callers run it in a loop: one database round trip per item (N+1 queries)"


def warm(table: str = TABLE, warm_code: str = WARM) -> list:
    files = {"app/models.py": MODELS, "app/warm.py": warm_code, "app/table.py": table}
    return [(f.line, f.severity, f.message) for f in rule_findings(files, "PFL503") if f.path == "app/warm.py"]


def test_an_id_passed_is_still_queried_per_item() -> None:
    ids = TABLE.replace("WarmChart(chart).run() for chart", "WarmChart(chart.pk).run() for chart")
    assert warm(ids) == [(17, "error", GET)]


def test_rows_the_caller_holds_are_not_queried_again() -> None:
    # `self._charts` is bound to [] and to Chart rows only: each element is a Chart, and
    # validate() returns before its query for a Chart
    assert warm() == [(17, "note", GET)]


def test_an_attribute_another_method_rebinds_says_nothing() -> None:
    rebound = WARM + '''
    def reset(self, pk):
        self._chart_or_id = pk
'''
    assert warm(warm_code=rebound) == [(17, "error", GET)]


def test_an_attribute_stored_under_a_test_says_nothing() -> None:
    # `if force: self._chart_or_id = chart_or_id`: an object built without it holds the
    # class's default, whatever the caller passed
    maybe = WARM.replace("        self._chart_or_id = chart_or_id\n",
                         "        if force:\n            self._chart_or_id = chart_or_id\n")
    maybe = maybe.replace("class WarmChart:\n", "class WarmChart:\n    _chart_or_id = 0\n\n")
    assert warm(warm_code=maybe) == [(20, "error", GET)]


def test_a_list_the_caller_fills_in_place_says_nothing() -> None:
    filled = TABLE.replace("        self.validate()\n", "        self.validate()\n        self._charts.append(3)\n")
    assert warm(filled) == [(17, "error", GET)]


def test_isa_branch_skipped_for_a_row_and_rebinding_under_it() -> None:
    # `if isinstance(self.x, int): self.x = Chart.objects.get(...)`: the rebinding runs only
    # under the test itself, so a Chart stays a Chart and the branch is never taken
    by_int = WARM.replace('''        if isinstance(self._chart_or_id, Chart):
            return
        chart = Chart.objects.get(pk=self._chart_or_id)
        self._chart_or_id = chart
''', '''        if isinstance(self._chart_or_id, int):
            self._chart_or_id = Chart.objects.get(pk=self._chart_or_id)
''')
    assert warm(warm_code=by_int) == [(16, "note", GET)]
    ids = TABLE.replace("WarmChart(chart).run() for chart", "WarmChart(chart.pk).run() for chart")
    assert warm(ids, by_int) == [(16, "error", GET)]


SQLA_MODELS = '''
from sqlalchemy import Column, Integer
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Slice(Base):
    __tablename__ = "slices"
    id = Column(Integer, primary_key=True)
    table_id = Column(Integer)
'''

EXTENSIONS = '''
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
'''

WARM_SLICE = '''
from app.extensions import db
from app.models import Slice


class WarmSlice:
    def __init__(self, slice_or_id):
        self._slice_or_id = slice_or_id

    def run(self):
        self.validate()
        return self._slice_or_id.id

    def validate(self):
        if isinstance(self._slice_or_id, Slice):
            return
        self._slice_or_id = db.session.query(Slice).filter_by(id=self._slice_or_id).one()
'''

VIEW = '''
from app.extensions import db
from app.models import Slice
from app.warm import WarmSlice


def warm_up(slice_id, table_id):
    slices: list[Slice] = []
    if slice_id:
        slices = db.session.query(Slice).filter_by(id=slice_id).all()
    else:
        slices = db.session.query(Slice).filter_by(table_id=table_id).all()
    return [WarmSlice(slc).run() for slc in slices]
'''

QUERY = "db.session.query() runs per call, and its callers run it in a loop: one database round trip per item (N+1 queries)"


def view(code: str = VIEW) -> list:
    files = {"app/models.py": SQLA_MODELS, "app/extensions.py": EXTENSIONS, "app/warm.py": WARM_SLICE,
             "app/views.py": code}
    return [(f.line, f.severity, f.message) for f in rule_findings(files, "PFL503") if f.path == "app/warm.py"]


def test_a_local_of_sqlalchemy_rows() -> None:
    assert view() == [(17, "note", QUERY)]


def test_a_query_of_a_column_gives_no_instances() -> None:
    ids = VIEW.replace("query(Slice).filter_by(table_id", "query(Slice.id).filter_by(table_id")
    assert view(ids) == [(17, "error", QUERY)]


def test_a_loop_that_rebinds_its_element_says_nothing() -> None:
    loop = "    out = []\n    for slc in slices:\n        {}out.append(WarmSlice(slc).run())\n    return out\n"
    rows = VIEW.replace("    return [WarmSlice(slc).run() for slc in slices]\n", loop.format(""))
    assert view(rows) == [(17, "note", QUERY)]
    rebound = VIEW.replace("    return [WarmSlice(slc).run() for slc in slices]\n", loop.format("slc = slc.id\n        "))
    assert view(rebound) == [(17, "error", QUERY)]
