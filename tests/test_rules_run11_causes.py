"""Causes of FALSE findings found in session nine (run 11: run 10's remaining FALSE, and the
never-seen corpora Label Studio, CKAN and Mailman). Each test fails on the code before its
change."""

from __future__ import annotations

import pytest

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code):
    return [f for f in lint_sources({"m.py": src}, select=(code,), config=Config(min_severity="note"))
            if f.rule == code]


def at_warning(src, code):
    return [(f.line, f.severity) for f in found(src, code) if f.severity != "note"]


def line_of(src, text):
    return src.splitlines().index(next(line for line in src.splitlines() if text in line)) + 1


# -- loops over batches, in three more shapes -----------------------------------------------
BATCHES = '''
import itertools
from django.db import transaction

BATCH_SIZE = 1000

def batch_update(queryset, batch_size=500, **fields):
    ids = list(queryset.values_list("id", flat=True))
    for i in range(0, len(ids), batch_size):
        batch_ids = ids[i:i + batch_size]
        with transaction.atomic():
            queryset.model.objects.filter(id__in=batch_ids).update(**fields)

def batch_delete(queryset, batch_size=500):
    pks = queryset.values_list("pk", flat=True).iterator(chunk_size=batch_size)
    while True:
        batch = list(itertools.islice(pks, batch_size))
        if not batch:
            break
        with transaction.atomic():
            queryset.model.objects.filter(pk__in=batch).delete()

def counters(task_ids):
    page = 0
    while ids := task_ids[page * BATCH_SIZE:(page + 1) * BATCH_SIZE]:
        with transaction.atomic():
            Task.objects.filter(id__in=ids).update(done=True)
        page += 1
'''


def test_a_transaction_per_batch_is_not_one_per_item():
    # `range(0, n, batch_size)`, `islice(it, batch_size)` and a walrus slice by BATCH_SIZE each
    # take a batch per pass: one commit per batch is the batched form (Label Studio's
    # batch_update_with_retry, batch_delete and task counters, labelled FALSE in run 11)
    assert at_warning(BATCHES, "PFL402") == []
    unbatched = BATCHES.replace("range(0, len(ids), batch_size)", "range(0, len(ids), step)")
    assert at_warning(unbatched, "PFL402") == [(line_of(BATCHES, "with transaction.atomic"), "error")]


# -- a query on the model the loop picks ----------------------------------------------------
PER_TABLE = '''
def get_storage_classes(kind):
    return STORAGES[kind]

def all_storages(project):
    out = []
    for storage_class in get_storage_classes("import"):
        out += list(storage_class.objects.filter(project=project))
    return out

def counts(session, models):
    return [session.query(model).count() for model in models]
'''


def test_a_query_on_the_model_the_loop_picks_is_another_table_each_pass():
    # no one query reads several tables: there is nothing to fetch before the loop (Label
    # Studio's get_all_import_storage_objects, labelled FALSE in run 11)
    assert found(PER_TABLE, "PFL503") == []
    same_table = PER_TABLE.replace("storage_class.objects.filter(project=project)",
                                   "Storage.objects.filter(kind=storage_class)")
    assert [f.line for f in found(same_table, "PFL503")] == [line_of(same_table, "Storage.objects.filter")]


# -- a module cache filled once -------------------------------------------------------------
FILL_ONCE = '''
_pg_types = {}

def _cache_types(engine):
    if not _pg_types:
        with engine.begin() as conn:
            results = conn.execute("SELECT oid, typname FROM pg_type")
        for r in results:
            _pg_types[r[0]] = r[1]

def fields(engine, rows):
    for row in rows:
        _cache_types(engine)
'''


def test_a_module_cache_filled_under_if_not_runs_once():
    # `if not _pg_types:` then a loop filling it: the query runs on the first use only
    # (CKAN's datastore type cache, labelled FALSE in run 11)
    assert at_warning(FILL_ONCE, "PFL503") == []
    (finding,) = found(FILL_ONCE, "PFL503")
    assert "runs once, when _pg_types is first filled" in finding.context
    refilled = FILL_ONCE.replace("if not _pg_types:", "if rows:").replace("def _cache_types(engine)",
                                                                          "def _cache_types(engine, rows=1)")
    assert at_warning(refilled, "PFL503") == [(line_of(FILL_ONCE, "conn.execute"), "error")]


# -- protocol dunders of a lazy query sequence ----------------------------------------------
SEQUENCE = '''
from collections.abc import Sequence

class QuerySequence(Sequence):
    def __init__(self, session, query):
        self.session = session
        self._query = query

    def __len__(self):
        return self.session.scalars(select(func.count()).select_from(self._query)).one()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.session.scalars(self._query.slice(index.start, index.stop)).all()
        return self.session.scalars(self._query.offset(index).limit(1)).one()

    def __iter__(self):
        yield from self.session.scalars(self._query)

    def first_of(self, queries):
        return [self.session.scalars(q.limit(1)).one() for q in queries]
'''


def test_a_query_that_only_a_dunder_role_repeats_is_the_collections_design():
    # one COUNT per len(), one page per slice: the loop to fetch before is the collection's
    # user's, outside the scanned code (Mailman's QuerySequence, labelled FALSE in run 11); a
    # loop of the scanned code still makes an N+1
    assert [f.line for f in found(SEQUENCE, "PFL503")] == [line_of(SEQUENCE, "q.limit(1)")]


CLONES = '''
import copy

class Pages:
    def __getitem__(self, index):
        if isinstance(index, slice):
            return copy.deepcopy(self._rows[index])
        return copy.deepcopy(self._rows[index])

    def __iter__(self):
        return iter(self._rows)
'''


def test_getitem_beside_iter_and_the_slice_branch_run_once_per_use():
    # a class with its own __iter__ is iterated through it: __getitem__ serves an index or a
    # page per use; without __iter__, Python iterates through __getitem__, but a slice is still
    # one page per call, not one per item
    sliced, indexed = (line_of(CLONES, "self._rows[index])") + offset for offset in (0, 1))
    assert [(f.line, f.frequency, f.severity) for f in found(CLONES, "PFL101")] == [(sliced, 1.0, "note")]
    # without __iter__ the index runs per item; one finding for both sites, led by the costly one
    no_iter = CLONES[:CLONES.index("    def __iter__")]
    (f,) = found(no_iter, "PFL101")
    assert (f.line, f.frequency, [loc.line for loc in f.related]) == (indexed, 100.0, [sliced])


# -- a branch its callers' literal arguments choose -----------------------------------------
FLAGS = '''
def set_state(session, tasks, commit=False):
    if commit:
        altered = list(tasks)
    else:
        altered = session.scalars(preview).all()
    return altered

def mark_failed(session, tasks, commit=False):
    return set_state(session, tasks, commit=commit)

def action_set_failed(session, runs):
    for r in runs:
        mark_failed(session, r.tasks, commit=True)

def confirm_page(session, run, confirmed):
    return mark_failed(session, run.tasks, commit=confirmed)

class Manager:
    def add_position(self, item, seat=None):
        if isinstance(seat, str):
            seat = Seat.objects.get(guid=seat)
        return seat

    def set_addons(self, items):
        for it in items:
            self.add_position(it, seat=None)

def objects_for_user(user, perms, qs):
    if isinstance(perms, str):
        return qs.filter(perm=perms)
    for p in perms:
        qs &= Permission.objects.get(codename=p)
    return qs

def pages(users, qs):
    for u in users:
        objects_for_user(u, "core.change_task", qs)
'''


def test_a_branch_that_callers_literal_arguments_rule_out_is_not_hot():
    # set_state's dry-run `else:` (line 6) is reached only through mark_failed(commit=commit)
    # from a loop that passes commit=True (Airflow's mark_tasks, labelled FALSE in run 10); a
    # `seat=None` never takes `isinstance(seat, str)` (pretix's add_position), and a string
    # literal never takes the else of `isinstance(perms, str)` (pulpcore's role_util)
    assert at_warning(FLAGS, "PFL503") == []
    flipped = FLAGS.replace("commit=True", "commit=False").replace("seat=None", "seat=it.seat") \
        .replace('"core.change_task"', "u.perms")
    assert at_warning(flipped, "PFL503") == [(line_of(FLAGS, text), "error") for text in (
        "session.scalars(preview)", "Seat.objects.get", "Permission.objects.get")]


@pytest.mark.parametrize("call, verdict", [
    ("set_state(s, t, commit=True)", False), ("set_state(s, t, True)", False), ("set_state(s, t)", True),
    ("set_state(s, t, commit=False)", True), ("set_state(s, t, commit=None)", True),
    ("set_state(s, t, commit=flag)", True), ("set_state(s, t, **kw)", True),
])
def test_flag_verdict_reads_literal_keyword_positional_and_default(call, verdict):
    import libcst as cst

    from perflint.guards import argument_facts, flag_verdict, passed_arguments

    node = cst.parse_expression(call)
    facts = argument_facts(node, ())
    assert flag_verdict(facts, passed_arguments(node), ("s", "t", "commit"), "falsy:commit:F", False) is verdict


# -- a transaction per item by design -------------------------------------------------------
PER_ITEM = '''
import asyncio
import sqlalchemy as sa
from django.db import transaction

def cancel_payments(order):
    for p in order.payments.filter(state="pending"):
        try:
            with transaction.atomic():
                p.payment_provider.cancel_payment(p)
                order.log_action("canceled", {"id": p.pk})
        except PaymentException:
            order.log_action("cancel-failed", {"id": p.pk})

async def _batch_delete(db, model, condition, batch_size):
    while True:
        async with db.session.begin() as session:
            subquery = sa.select(model.id).where(condition).limit(batch_size).scalar_subquery()
            result = await session.execute(sa.delete(model).where(model.id.in_(subquery)))
            deleted = result.rowcount
        if deleted == 0:
            break
        await asyncio.sleep(0)
'''


def test_a_transaction_per_item_that_isolates_a_failure_and_a_yield_between_batches():
    # a provider's failure rolls back only its own payment (pretix, run 10); `asyncio.sleep(0)`
    # yields between batches and does not make a batch delete a service loop (Prefect's vacuum)
    assert at_warning(PER_ITEM, "PFL402") == []
    db_error = PER_ITEM.replace("except PaymentException:", "except IntegrityError:")
    assert at_warning(db_error, "PFL402") == [(line_of(PER_ITEM, "with transaction.atomic"), "error")]
    from perflint.repetition import while_trips
    import libcst as cst
    loop = cst.parse_module(PER_ITEM[PER_ITEM.index("async def _batch_delete"):]).body[0].body.body[0]
    assert while_trips(loop)[1] == "a loop over batches: it repeats a chunked statement until it changes no rows"
    waiting = cst.parse_module(PER_ITEM[PER_ITEM.index("async def _batch_delete"):].replace("sleep(0)", "sleep(5)"))
    assert while_trips(waiting.body[0].body.body[0])[1].startswith("a service loop")


# -- a loop over an attribute every class defines as a literal ------------------------------
SHEETS = '''
class ListExporter:
    def render(self, form_data):
        out = []
        for s, label in self.sheets:
            out.append(self.iterate_sheet(form_data, s))
        return out

    @property
    def sheets(self):
        raise NotImplementedError()

    def iterate_sheet(self, form_data, sheet):
        raise NotImplementedError()

class OrderListExporter(ListExporter):
    @property
    def sheets(self):
        return (("orders", "Orders"), ("positions", "Order positions"), ("fees", "Order fees"))

    def iterate_sheet(self, form_data, sheet):
        return Order.objects.get(event=sheet)

class GiftCardExporter(ListExporter):
    sheets = [("cards", "Cards")]

    def iterate_sheet(self, form_data, sheet):
        return GiftCard.objects.get(kind=sheet)
'''


def test_a_loop_over_an_attribute_every_class_defines_as_a_literal_is_that_long():
    # pretix's exporters loop over their sheets (three at most): x3, not x100 (labelled FALSE
    # in run 10); the base's abstract property bounds nothing; one subclass that builds its
    # sheets at run time makes the bound unknown
    by_line = {f.line: f for f in found(SHEETS, "PFL503")}
    assert sorted((line, f.frequency) for line, f in by_line.items()) == [
        (line_of(SHEETS, "Order.objects.get"), 3.0), (line_of(SHEETS, "GiftCard.objects.get"), 3.0)]
    assert "x3 (self.sheets: a literal of at most 3 items in every class that defines it)" in \
        by_line[line_of(SHEETS, "Order.objects.get")].trace[1].note
    built = SHEETS.replace('sheets = [("cards", "Cards")]', "sheets = make_sheets()")
    assert sorted(f.frequency for f in found(built, "PFL503")) == [100.0, 100.0]


# -- a transaction helper two calls below a loop over batches -------------------------------
VACUUM = '''
import sqlalchemy as sa
from contextlib import asynccontextmanager

class Config:
    @asynccontextmanager
    async def begin_transaction(self, session):
        async with session.begin():
            yield

@asynccontextmanager
async def _maintenance_session(db, config: Config):
    async with db.session_context() as session:
        async with config.begin_transaction(session):
            yield session

async def _batch_delete(db, config, model, condition, batch_size):
    while True:
        async with _maintenance_session(db, config) as session:
            result = await session.execute(sa.delete(model).where(condition).limit(batch_size))
            deleted = result.rowcount
        if deleted == 0:
            break

async def _delete_run_batch(db, config, condition, limit):
    async with _maintenance_session(db, config) as session:
        return (await session.execute(sa.select(Run.id).where(condition).limit(limit))).scalars().all()

async def vacuum_events(db, config, overrides, batch_size):
    for event_type, days in overrides.items():
        await _batch_delete(db, config, Event, Event.type == event_type, batch_size)

async def vacuum_runs(db, config, eligible, batch_size):
    while True:
        run_ids = await _delete_run_batch(db, config, eligible, batch_size)
        if not run_ids:
            break
        await _batch_delete(db, config, Log, Log.run_id.in_(run_ids), batch_size)
'''


def test_a_transaction_helper_called_once_per_batch_two_calls_down_is_per_batch():
    # Prefect's vacuum: begin_transaction is called by _maintenance_session, which each batch
    # helper calls once per pass, and a loop that takes a batch from `_delete_run_batch()`
    # until it is empty is a loop over batches (FALSE in run 10)
    assert at_warning(VACUUM, "PFL402") == []
    per_item = VACUUM.replace("        if not run_ids:\n            break\n", "")
    assert at_warning(per_item, "PFL402") != []


def test_an_alembic_revision_runs_once():
    # `alembic/versions/<rev>_x.py`'s upgrade(): a migration, run once per database (Mailman's
    # pendable indexes, PFL504 labelled FALSE in run 11)
    from pathlib import Path

    from perflint.analyze import Analyzer
    from perflint.callgraph import Program
    from perflint.discovery import SourceFile

    src = ("revision = '47294d3a604'\n"
           "def upgrade():\n    for row in op.get_bind().execute(q).fetchall():\n        pass\n"
           "def helper():\n    pass\n")
    path = "pkg/database/alembic/versions/47294d3a604_pendable.py"
    summary = Analyzer([]).analyze_bytes(SourceFile(Path(path), path, path[:-3].replace("/", "."), False, False),
                                         src.encode())
    prog = Program([summary])
    roles = {fid.rpartition(".")[2]: role.id for fid, role in prog.roles.items()}
    assert roles.get("upgrade") == "migration" and "helper" not in roles
