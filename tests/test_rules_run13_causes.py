"""Causes of FALSE warnings found in session eleven (run 13: the never-seen corpora Review
Board, django-oscar, AiiDA and SQLFluff). Each test fails on the code before its change."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code, files=None):
    sources = dict(files or {})
    sources["m.py"] = src
    return [(f.line, f.severity, f.message) for f in
            lint_sources(sources, select=(code,), config=Config(min_severity="note"))
            if f.rule == code and f.path == "m.py"]


# -- a ModelForm's save(commit=False) writes nothing ----------------------------------------
FORMSET = '''
def save_shared(wishlist, formset):
    for form in formset:
        shared = form.save(commit=False)
        shared.wishlist = wishlist
        shared.save()
'''


def test_save_without_commit_is_no_write() -> None:
    # django-oscar's wishlist view: the flagged line built the instance; nothing was written
    assert found(FORMSET, "PFL402") == []
    committed = FORMSET.replace("form.save(commit=False)", "form.save()")
    assert [line for line, _, _ in found(committed, "PFL402")] == [4]


# -- a commit after a read commits nothing --------------------------------------------------
PAGES = '''
class Results:
    def query_page(self):
        select = "SELECT id, code FROM icsd "
        statement = f"{select}{self.query} LIMIT {self.page * 100}, 100"
        self.cursor.execute(statement)
        self.db.commit()
        return self.cursor.fetchall()

    def all(self):
        out = []
        while self.more:
            out.extend(self.query_page())
        return out
'''


def test_commit_after_visible_reads_only_is_not_a_sync() -> None:
    # AiiDA's ICSD importer commits after each page's SELECT: no change, no sync
    assert found(PAGES, "PFL402") == []
    written = PAGES.replace('"SELECT id, code FROM icsd "', '"INSERT INTO seen SELECT id FROM icsd "')
    assert [(line, severity) for line, severity, _ in found(written, "PFL402")] == [(7, "error")]
    # a read beside another kind of write still commits that write
    added = PAGES.replace("self.db.commit()", "self.session.add(self.row)\n        self.db.commit()")
    assert [line for line, _, _ in found(added, "PFL402")] == [8]


# -- a deep copy of part of the caller's value ----------------------------------------------
SECTIONS = '''
import copy

class Parser:
    def _store_options(self, extra_data, section, key="options"):
        if section.options:
            extra_data[key] = copy.deepcopy(section.options)

    def parse(self, change):
        for section in change.files:
            self._store_options({}, section)
'''


def test_deepcopy_of_a_parameters_attribute_is_a_note() -> None:
    # Review Board's DiffX parser stores a copy of each section's options: a different
    # structure per call, the copy the stored data needs
    assert [(line, severity) for line, severity, _ in found(SECTIONS, "PFL101")] == [(7, "note")]
    assert "attribute of parameter 'section'" in found(SECTIONS, "PFL101")[0][2]
    # the same structure held by the object, copied per call, still warns
    own = SECTIONS.replace("copy.deepcopy(section.options)", "copy.deepcopy(self.options)")
    assert [(line, severity) for line, severity, _ in found(own, "PFL101")] == [(7, "warning")]


# -- one statement per group: the ids of the group or of the rows the pass collected --------
GROUPS = '''
from itertools import groupby
from app.models import QueueEntry, Unit

def drop_stale(queue):
    grouped = groupby(sorted(queue, key=lambda q: q.event_id), lambda q: q.event_id)
    for event_id, entries in grouped:
        QueueEntry.objects.filter(pk__in=[q.pk for q in entries]).delete()

def bulk_state(components, state):
    for component in components:
        to_update = []
        for unit in Unit.objects.filter(component=component):
            unit.state = state
            to_update.append(unit)
        Unit.objects.filter(pk__in=(u.pk for u in to_update)).update(state=state)
'''


def test_in_filter_over_a_group_is_one_statement_per_group() -> None:
    # pretix's sync queue and weblate's bulk edit: already the batched form (run 12, FALSE)
    assert [line for line, _, _ in found(GROUPS, "PFL503")] == [13]  # the inner loop's query per component
    per_item = GROUPS.replace("[q.pk for q in entries]", "[t.pk for t in event_id.tags]")
    assert 8 in [line for line, _, _ in found(per_item, "PFL503")]


# -- a pass that publishes progress, or re-reads a stop flag -------------------------------
BLOCKS = '''
from app import db
from app.models import QueryStatus

def execute_blocks(query, cursor, blocks):
    for i, block in enumerate(blocks):
        db.session.refresh(query)
        if query.status == QueryStatus.STOPPED:
            return None
        query.set_extra_json_key("progress", f"Running block {i + 1} of {len(blocks)}")
        db.session.commit()
        cursor.execute(block)

def run_statements(query, cursor, statements):
    for i, stmt in enumerate(statements):
        cursor.execute(stmt)
        query.progress = int(100 * (i + 1) / len(statements))
        db.session.commit()
'''


def test_progress_commits_and_stop_checks_are_the_point() -> None:
    # Superset's SQL Lab: the commit per block publishes progress to pollers, the refresh per
    # block sees a STOP asked by another process (labelled FALSE in run 12)
    assert found(BLOCKS, "PFL402") == [] and found(BLOCKS, "PFL503") == []
    quiet = BLOCKS.replace('query.set_extra_json_key("progress", ', "logger.info(") \
                  .replace("query.progress = ", "done = ")
    assert [line for line, _, _ in found(quiet, "PFL402")] == [11, 18]
    claimed = BLOCKS.replace("query.progress = ", "query.in_progress = ")
    assert [line for line, _, _ in found(claimed, "PFL402")] == [18]  # a state per item, not progress
    unchecked = BLOCKS.replace("        if query.status == QueryStatus.STOPPED:\n            return None\n", "")
    assert [line for line, _, _ in found(unchecked, "PFL503")] == [7]


def test_a_stop_check_function_is_no_query_per_item() -> None:
    # Superset's celery task hands the executor a `check_stopped()` it calls per statement
    src = ('from app import db\nfrom app.models import QueryStatus\n\n'
           'def make_check(query):\n    def check_stopped():\n        db.session.refresh(query)\n'
           '        return query.status == QueryStatus.STOPPED\n    return check_stopped\n\n'
           'def run(statements, check):\n    for s in statements:\n        if check():\n            break\n\n'
           'def main(query, statements):\n    run(statements, make_check(query))\n')
    assert found(src, "PFL503") == []
    assert [line for line, _, _ in found(src.replace("return query.status", "status = query.status"), "PFL503")] == [6]


# -- a context manager of the program that holds a transaction -----------------------------
HELD = '''
from contextlib import contextmanager
from django.db import transaction

@contextmanager
def deferred_logging():
    with transaction.atomic():
        yield

def bulk_edit(queryset, values):
    with deferred_logging():
        for obj in queryset.iterator(chunk_size=1000):
            obj.name = values["name"]
            obj.save()
'''


def test_save_inside_a_context_manager_holding_a_transaction() -> None:
    # Nautobot's bulk edit saves each object inside deferred_change_logging_for_bulk_operation(),
    # a @contextmanager that yields inside transaction.atomic() (run 12, FALSE)
    assert found(HELD, "PFL402") == []
    plain = HELD.replace("    with transaction.atomic():\n        yield", "    yield")
    assert [line for line, _, _ in found(plain, "PFL402")] == [13]
    # the context manager in another module
    helper = HELD.split("def bulk_edit")[0]
    user = "from app.logging import deferred_logging\n\ndef bulk_edit" + HELD.split("def bulk_edit")[1]
    assert found(user, "PFL402", {"app/__init__.py": "", "app/logging.py": helper}) == []
