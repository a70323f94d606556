"""Causes of FALSE and PLAUSIBLE warnings found in session ten (run 12: the never-seen
corpora Wagtail, Nautobot and Superset). Each test fails on the code before its change."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from perflint.cli import cli

WRITES = "from app.models import Item\n\ndef make_items(names):\n    for n in names:\n        Item.objects.create(name=n)\n"


def test_django_tests_module_and_testing_helpers_are_test_code(tmp_path: Path, monkeypatch) -> None:
    # Django's per-app `tests.py` and a package's `testing` helpers (Nautobot's
    # core/testing/, ipam/utils/testing.py) build fixtures: their loops are no hot path, so a
    # create() per item there is no warning. The same function in app code still is.
    app = tmp_path / "app"
    for rel in ("__init__.py", "testing/__init__.py", "utils/__init__.py"):
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text("")
    (app / "models.py").write_text("from django.db import models\n\nclass Item(models.Model):\n"
                                   "    name = models.CharField()\n")
    for rel in ("tests.py", "testing/mixins.py", "utils/testing.py", "loader.py"):
        (app / rel).write_text(WRITES)
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(cli, ["check", ".", "--format", "json", "--no-cache", "--exit-zero"])
    flagged = sorted((f["path"], f["line"], f["rule"]) for f in json.loads(out.output)["findings"])
    assert flagged == [("app/loader.py", 5, "PFL503")]


def found(src, code, files=None):
    from perflint.config import Config
    from perflint.testing import lint_sources

    sources = dict(files or {})
    sources["m.py"] = src
    return [(f.line, f.severity) for f in lint_sources(sources, select=(code,), config=Config(min_severity="note"))
            if f.rule == code and f.path == "m.py"]


# -- a while loop whose pass sleeps is a poll, whatever its test ----------------------------
POLL = '''
import time
from superset import db

def handle_cursor(cursor, query, interval):
    polled = cursor.poll()
    while polled.state in ("INITIALIZED", "RUNNING"):
        db.session.refresh(query)
        if query.progress < polled.progress:
            query.progress = polled.progress
            db.session.commit()
        time.sleep(interval)
        polled = cursor.poll()
'''


def test_a_loop_that_sleeps_each_pass_polls_and_walks_no_items():
    # Superset's Hive, Impala and Trino progress loops: a refresh and a commit per poll are
    # how a STOP and the progress reach other processes (labelled FALSE in run 12).
    assert found(POLL, "PFL503") == [] and found(POLL, "PFL402") == []
    # the same loop without the sleep walks something to its end: still per item
    busy = POLL.replace("        time.sleep(interval)\n", "")
    assert [sev for _, sev in found(busy, "PFL503")] == ["error"]


# -- a query on the model each pass picks ---------------------------------------------------
PER_MODEL = '''
def removable(tag, content_types):
    for ct in content_types:
        model = ct.model_class()
        if model.objects.filter(tags=tag).exists():
            return False
    return True

def in_use(choice, content_types):
    for ct in content_types:
        if ct.model_class().objects.filter(value=choice).exists():
            return True
    return False

def instances(models_by_id, ids_by_type):
    found = {}
    for type_id, ids in ids_by_type.items():
        try:
            model = models_by_id[type_id]
        except KeyError:
            model = None
        if model:
            found.update(model.objects.in_bulk(ids))
    return found

def one_model(tag, names):
    for name in names:
        model = Device
        if model.objects.filter(name=name, tags=tag).exists():
            return True
'''


def test_a_query_on_the_model_each_pass_binds_reads_another_table():
    # Nautobot's and Wagtail's checks per content type (labelled FALSE in run 12); a model
    # bound to one class in every pass is still one table, queried per item.
    assert found(PER_MODEL, "PFL503") == [(line_of(PER_MODEL, "name=name, tags=tag"), "error")]


def line_of(src, text):
    return next(i for i, line in enumerate(src.splitlines(), 1) if text in line)


# -- django-filter's Filter.filter runs once per request ------------------------------------
FILTERS = '''
import logging
import django_filters
from app.models import Locale

class LocaleFilter(django_filters.ChoiceFilter):
    def filter(self, qs, language_code):
        locale = Locale.objects.filter(language_code=language_code).first()
        return qs.filter(locale=locale)

class TagFilter(logging.Filter):
    def filter(self, record):
        record.tag = Locale.objects.filter(language_code=record.lang).first()
        return True
'''


def test_a_query_filter_library_filter_is_no_per_item_hook():
    # Wagtail's LocaleFilter.filter runs once per request (labelled FALSE in run 12); logging's
    # Filter.filter still runs once per record.
    assert found(FILTERS, "PFL503") == [(line_of(FILTERS, "record.lang"), "error")]


# -- a migration's RunPython step runs once ---------------------------------------------------
def test_a_function_a_migration_runs_is_run_once_code():
    # Nautobot's populate_default_cable_types: defined in utils, run by RunPython in a
    # migration (labelled PLAUSIBLE in run 12): one get_or_create per row of a fixed table.
    utils = ("from app.models import CableType\n\ndef populate(apps, schema_editor=None):\n"
             "    for name in NAMES:\n        CableType.objects.get_or_create(name=name)\n")
    migration = ("from django.db import migrations\nfrom m import populate\n\n"
                 "class Migration(migrations.Migration):\n"
                 "    operations = [migrations.RunPython(populate, migrations.RunPython.noop)]\n")
    assert [sev for _, sev in found(utils, "PFL503")] == ["error"]
    assert [sev for _, sev in found(utils, "PFL503", {"app/migrations/0002_cables.py": migration,
                                                       "app/migrations/__init__.py": ""})] == ["note"]


# -- a collection handed over in chunks -------------------------------------------------------
def test_a_loop_over_chunks_of_a_collection_makes_one_pass_per_chunk():
    # Wagtail's SpecificIterable: one `filter(pk__in=...)` per chunk is the batched form
    # (labelled FALSE in run 12); the byte chunks of one file are not chunks of a collection.
    from perflint.repetition import iterable_trips
    import libcst as cst

    def trips(text):
        return iterable_trips(cst.parse_expression(text), {}, set())

    assert trips("self._get_chunks(values_qs)") == (1.0, "self._get_chunks(): one pass per batch")
    assert trips("chunked(rows, 500)")[0] == 1.0
    assert trips("upload.chunks()")[0] is None and trips("f.chunks(8192)")[0] is None


# -- a finding that holds outside a transaction is traced along such a chain -------------------
TX_CHAINS = '''
from django.db import transaction
from app.models import Line

def build_lines(invoice, lines):
    for line in lines:
        line.pk = None
        line.save()

def cancel(order):
    with transaction.atomic():
        build_lines(order.invoice, order.lines)

def reissue(order):
    build_lines(order.invoice, order.lines)

def cancel_all(orders):
    for order in orders:
        cancel(order)

def reissue_all(orders):
    for order in orders:
        reissue(order)
'''


def test_the_trace_of_a_write_outside_a_transaction_avoids_the_chain_that_holds_one():
    # pretix's build_cancellation: as hot inside _cancel_order's atomic block as from
    # generate_invoice without one; the trace named the atomic chain (labelled FALSE in run 11)
    from perflint.config import Config
    from perflint.testing import lint_sources

    found = lint_sources({"m.py": TX_CHAINS}, select=("PFL402",), config=Config(min_severity="note"))
    (finding,) = [f for f in found if f.line == line_of(TX_CHAINS, "line.save()")]
    assert finding.severity == "error"
    assert [hop.function for hop in finding.trace][:2] == ["reissue_all", "reissue_all"]


# -- a materialised-path tree keeps its children's count --------------------------------------
def test_children_count_of_a_materialised_path_node_is_no_query():
    # treebeard's MP_Node (every wagtail Page) returns its `numchild` column; an adjacency-list
    # node counts its children with a query (Wagtail's chooser, labelled FALSE in run 12).
    src = ("from wagtail.models import Page\n\ndef counts(pages):\n    out = []\n    for page in pages:\n"
           "        out.append(page.get_children_count())\n        out.append(page.get_descendant_count())\n    return out\n")
    assert [line for line, _ in found(src, "PFL503")] == [7]
    adjacency = src.replace("from wagtail.models import Page", "from treebeard.al_tree import AL_Node")
    assert [line for line, _ in found(adjacency, "PFL503")] == [6]


# -- a relation the loop has just set ---------------------------------------------------------
RELATION_SET = '''
from django.db import models

class Task(models.Model):
    name = models.TextField()

class TaskSchedule(models.Model):
    last_task = models.ForeignKey(Task, null=True, on_delete=models.SET_NULL)
    owner = models.ForeignKey(Task, null=True, on_delete=models.SET_NULL, related_name="+")

def dispatch_scheduled(now):
    for schedule in TaskSchedule.objects.filter(next_dispatch__lte=now):
        schedule.last_task = Task.objects.create(name="x")
        print(schedule.last_task.pk, schedule.owner.pk)
'''


def test_a_relation_the_loop_has_just_set_is_no_query():
    # pulpcore's dispatch_scheduled_tasks sets `last_task` and reads its pk (labelled FALSE in
    # run 11); the relation the loop did not set is still read from the database per item.
    from perflint.config import Config
    from perflint.testing import lint_sources

    messages = [f.message for f in lint_sources({"m.py": RELATION_SET}, select=("PFL503",),
                                                config=Config(min_severity="note"))]
    assert any("schedule.owner reads a relation" in m for m in messages)
    assert not any("schedule.last_task reads a relation" in m for m in messages)


# -- a buffer flushed when it fills ----------------------------------------------------------
FLUSH = '''
from app.models import Redirect

class BatchCreator:
    def __init__(self, max_size):
        self.max_size = max_size
        self.items = []

    def add(self, item):
        self.items.append(item)
        if self.max_size and len(self.items) == self.max_size:
            self.process()

    def process(self):
        Redirect.objects.filter(automatically_created=True, site=self.site).delete()
        self.items.clear()

def create_redirects(pages):
    batch = BatchCreator(max_size=2000)
    for page in pages:
        batch.add(page)
    batch.process()
'''


def test_a_flush_when_a_buffer_fills_runs_once_per_batch():
    # Wagtail's BatchCreator.add processes its items when `max_size` of them are held: the
    # DELETE of clashes runs once per batch of redirects (labelled FALSE in run 12). The same
    # call made on every add is once per item.
    assert found(FLUSH, "PFL503") == []
    assert found(FLUSH.replace("self.max_size and len(self.items) == self.max_size",
                               "len(self.items) >= self.max_size"), "PFL503") == []
    every_add = FLUSH.replace("        if self.max_size and len(self.items) == self.max_size:\n            self.process()",
                              "        self.process()")
    assert [sev for _, sev in found(every_add, "PFL503")] == ["error"]


def test_dict_fromkeys_of_a_literal_has_its_length():
    # mlflow's `for username in dict.fromkeys((username, "admin")):` makes two trips, not 100
    # (labelled FALSE in run 11).
    from perflint.repetition import iterable_trips
    import libcst as cst

    assert iterable_trips(cst.parse_expression('dict.fromkeys((username, "admin"))'), {}, set())[0] == 2
    assert iterable_trips(cst.parse_expression("dict.fromkeys(names)"), {}, set())[0] is None
