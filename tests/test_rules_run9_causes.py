"""Causes of FALSE findings on code perflint was never tuned on (pretix, weblate, prefect, beets;
labelled in run 9)."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code):
    return [f for f in lint_sources({"m.py": src}, select=(code,), config=Config(min_severity="note"))
            if f.rule == code]


# -- a decorator that holds a transaction open around the body: one commit per call ----------
ATOMIC_VIEW = '''
from django.db import transaction

class EventView:
    @transaction.atomic
    def post(self, request):
        for form in self.formset:
            form.save()
        copy_all(request.items)

    def get(self, request):
        for form in self.formset:
            form.save()

def copy_all(items):
    for i in items:
        i.save()

@transaction.atomic()
def move(items):
    for i in items:
        i.save()
'''


def test_saves_in_a_function_decorated_with_atomic_commit_once():
    # post() and move() hold one transaction; copy_all() runs only inside post()'s
    (f,) = found(ATOMIC_VIEW, "PFL402")
    assert (f.line, f.function, f.message) == (13, "EventView.get", "form.save() writes and commits one transaction per iteration")


def test_a_decorator_that_opens_a_savepoint_or_names_no_transaction_does_not_hold_one():
    src = ATOMIC_VIEW.replace("@transaction.atomic()", "@log_calls()")
    assert sorted(f.line for f in found(src, "PFL402")) == [13, 22]


# -- a value drawn at random until it is unused: one pass, not one per item ------------------
RANDOM_CODES = '''
import secrets
from django.utils.crypto import get_random_string

def gen_code():
    while True:
        code = get_random_string(length=8)
        if not Voucher.objects.filter(code=code).exists():
            return code

def gen_serial():
    serial = secrets.token_hex(8)
    while Device.objects.filter(serial=serial).exists():
        serial = secrets.token_hex(8)
    return serial

def sample(n, pool):
    out = set()
    while len(out) < n:
        out.add(random.choice(pool))
        Log.objects.filter(x=1).count()
    return out

def drain(q):
    while q:
        item = q.pop()
        Device.objects.filter(serial=item).exists()
'''


def test_drawing_a_random_code_until_it_is_unused_is_one_pass():
    # sample() draws but checks nothing (it fills n slots); drain() checks but draws nothing
    assert [(f.line, f.function) for f in found(RANDOM_CODES, "PFL503")] == [(21, "sample"), (27, "drain")]


# -- code reached only from a run-once role is part of that one run --------------------------
RUN_ONCE = '''
from django.core.management.base import BaseCommand

class Command(BaseCommand):
    def handle(self, *args, **options):
        for name in options["names"]:
            Project.objects.get(name=name)
        self.import_watched(options["rows"])

    def import_watched(self, rows):
        for row in rows:
            Project.objects.get(slug=row)

def helper(rows):
    for row in rows:
        Project.objects.get(slug=row)
'''


def test_a_helper_called_only_from_a_management_command_is_part_of_its_one_run():
    by_line = {f.line: f for f in found(RUN_ONCE, "PFL503")}
    assert {line: f.severity for line, f in by_line.items()} == {7: "note", 12: "note", 16: "error"}
    assert by_line[12].trace[0].note == "called only from run-once code (a command, a main, setup): part of one run"


# -- a transaction per outer item that loops over its own batch; one nested in an open one ---
BATCH_TRANSACTIONS = '''
from django.db import transaction

def update_memory(components):
    for component in components:
        with transaction.atomic():
            for unit in component.units:
                unit.save()

def handle_events(events):
    with transaction.atomic():
        for event in events:
            with transaction.atomic():
                event.apply()

def _apply(payment):
    with transaction.atomic():
        payment.confirm()

def handle_bank(payments):
    with transaction.atomic():
        for p in payments:
            _apply(p)

def per_item(rows):
    for row in rows:
        with transaction.atomic():
            row.apply()
'''


def test_a_transaction_per_batch_is_not_a_commit_per_item_but_a_savepoint_per_item_is_reported():
    # _apply()'s block is nested in handle_bank()'s (not reported per call); handle_events()
    # opens a savepoint per event, two statements per row: reported
    assert [(f.line, f.function) for f in found(BATCH_TRANSACTIONS, "PFL402")] == [(13, "handle_events"), (27, "per_item")]


CLI_IMPORT = '''
def connections_import(args):
    for row in load(args.file):
        _import_one(row)

def _import_one(row):
    Connection.objects.get(conn_id=row)
'''


def test_a_command_function_of_a_cli_package_is_run_once():
    src = CLI_IMPORT
    files = {"pkg/__init__.py": "", "pkg/cli/__init__.py": "", "pkg/cli/commands/__init__.py": "",
             "pkg/cli/commands/connection_command.py": src, "pkg/other.py": src}
    got = {(f.path, f.severity) for f in lint_sources(files, select=("PFL503",), config=Config(min_severity="note"))}
    # the same code outside a CLI package: no callers, so one call is the unit and its loop x100
    assert got == {("pkg/other.py", "error")}


def test_a_lone_command_module_of_a_cli_package_is_a_tools_main_not_an_admin_command():
    # check-jsonschema's cli/main_command.py: execute(args) runs the tool over its input files,
    # its whole job (mined blind, session 24); two or more `*_command` modules beside it are a
    # CLI's admin commands, each run once (Airflow's shape without a commands folder)
    src = CLI_IMPORT.replace("connections_import", "execute")
    lone = {"pkg/__init__.py": "", "pkg/cli/__init__.py": "", "pkg/cli/main_command.py": src}
    several = dict(lone, **{"pkg/cli/user_command.py": src.replace("execute", "users")})
    config = Config(min_severity="note")
    assert {(f.path, f.severity) for f in lint_sources(lone, select=("PFL503",), config=config)} == {
        ("pkg/cli/main_command.py", "error")}
    # run once, as test_a_command_function_of_a_cli_package_is_run_once: nothing reported
    assert {(f.path, f.severity) for f in lint_sources(several, select=("PFL503",), config=config)} == set()


# -- keyset paging: one query per page of rows ------------------------------------------------
KEYSET = '''
import sqlalchemy as sa

async def cleanup(db, batch_size):
    query = sa.select(db.FlowRun).where(db.FlowRun.paused).order_by(db.FlowRun.id).limit(batch_size)
    last = 0
    while True:
        async with db.session_context() as session:
            result = await session.execute(query.where(db.FlowRun.id > last))
        runs = result.scalars().all()
        if not runs:
            break
        last = runs[-1].id

async def first_of_each(db, ids):
    n = 0
    while n < len(ids):
        async with db.session_context() as session:
            await session.execute(sa.select(db.FlowRun).where(db.FlowRun.id == ids[n]).limit(1))
        n += 1
'''


def test_keyset_paging_with_limit_is_one_query_per_page():
    assert [(f.line, f.function) for f in found(KEYSET, "PFL503")] == [(19, "first_of_each")]


def test_a_write_through_a_related_manager_is_not_a_relation_read():
    src = '''
from django.db import models

class Group(models.Model):
    projects = models.ManyToManyField("Project")
    owner = models.ForeignKey("User", on_delete=models.CASCADE)

def attach(project):
    for group in Group.objects.filter(auto=True):
        group.projects.add(project)
        print(group.owner.name)
'''
    assert [(f.line, f.message.split(" reads")[0]) for f in found(src, "PFL503")] == [(11, "group.owner")]


# -- a counted loop that tries the work and leaves on success is a retry loop ----------------
RETRY_ON_ERROR = '''
from django.db import transaction, DatabaseError

class Invoice:
    def save(self):
        for i in range(10):
            self.invoice_no = next_number(self.event)
            try:
                with transaction.atomic():
                    return self.store()
            except DatabaseError:
                if i == 9:
                    raise

def next_number(event):
    return Invoice.objects.filter(event=event).count()

def parse_all(rows):
    for i in range(len(rows)):
        try:
            Row.objects.get(pk=rows[i])
        except DatabaseError:
            continue
'''


def test_a_counted_loop_that_leaves_on_success_is_a_retry_loop():
    # parse_all() goes round per row whatever happens: still N+1 (and the `try` leaves nothing).
    # next_number() runs per attempt of save()'s retry loop: not a query to fetch before it
    # (it was a note at x3 until run 10, tests/test_rules_run10_causes.py)
    got = {(f.line, f.function, f.severity, f.frequency) for f in found(RETRY_ON_ERROR, "PFL503")}
    assert got == {(21, "parse_all", "error", 100.0)}


# -- bulk_create skips Model.save(): a model that overrides it is not batched by that fix ----
MODELS = '''
from django.db import models

class AuditLog(models.Model):
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        notify(self)

class Plain(models.Model):
    name = models.CharField(max_length=20)
'''
LOG_ALL = '''
from app.models import AuditLog, Plain

def log_all(users):
    for user in users:
        AuditLog.objects.create(name=user.name)
        Plain.objects.create(name=user.name)
'''


def test_create_per_item_of_a_model_with_its_own_save_is_not_reported():
    files = {"app/__init__.py": "", "app/models.py": MODELS, "app/audit.py": LOG_ALL}
    got = [(f.line, f.message.split(" runs")[0])
           for f in lint_sources(files, select=("PFL503",), config=Config(min_severity="note"))]
    assert got == [(7, "Plain.objects.create()")]


# -- a lock per item is deliberate -------------------------------------------------------------
LOCKS = '''
from django.db import transaction

def send_reminders(orders):
    for o in orders:
        with transaction.atomic():
            o = Order.objects.select_related("event").select_for_update(of=("self",)).get(pk=o.pk)
            o.reminder_sent = True
            o.save()

def mark_all(orders):
    for o in orders:
        with transaction.atomic():
            c = Customer.objects.filter(email=o.email).first()
            o.save()

def rerun(session, tis):
    for ti in tis:
        ti.refresh(lock_for_update=True, session=session)
        session.scalars(select(TI).where(TI.id == ti.id).with_for_update()).one()
'''


def test_a_row_locked_per_item_is_not_a_commit_or_query_to_batch():
    got = {(f.rule, f.line) for f in lint_sources({"m.py": LOCKS}, select=("PFL402", "PFL503"), config=Config(min_severity="note"))}
    assert got == {("PFL402", 13), ("PFL503", 14)}


def test_in_over_a_list_filled_before_the_query_is_a_batch_lookup():
    src = '''
def clear(session, tis):
    job_ids = []
    for ti in tis:
        job_ids.append(ti.job_id)
    if job_ids:
        session.execute(update(Job).where(Job.id.in_(job_ids)).values(state="restarting"))

def one(session, ti):
    session.execute(update(Job).where(Job.id.in_([ti.job_id])).values(state="restarting"))

def run(session, groups):
    for tis in groups:
        clear(session, tis)
        one(session, tis[0])
'''
    assert [(f.line, f.function) for f in found(src, "PFL503")] == [(10, "one")]


# -- periodic jobs run once per period --------------------------------------------------------
PERIODIC = '''
from celery import shared_task
from django.dispatch import receiver
from app.signals import periodic_task, order_placed

@receiver(signal=periodic_task)
def send_reminders(sender, **kwargs):
    for o in Order.objects.filter(reminded=False):
        Customer.objects.filter(email=o.email).first()

@receiver(order_placed)
def on_placed(sender, order, **kwargs):
    for p in order.positions.all():
        Customer.objects.filter(email=p.email).first()

@shared_task
def cleanup_suggestions():
    for s in Suggestion.objects.all():
        Unit.objects.filter(pk=s.unit_id).first()

@shared_task
def translate(unit_ids):
    for pk in unit_ids:
        Unit.objects.filter(pk=pk).first()

def setup_periodic_tasks(sender, **kwargs):
    sender.add_periodic_task(3600, cleanup_suggestions.s(), name="cleanup")
'''


def test_periodic_jobs_are_run_once_per_period():
    files = {"app/__init__.py": "", "app/signals.py": "periodic_task = object()\norder_placed = object()\n",
             "app/tasks.py": PERIODIC}
    got = {(f.function, f.severity) for f in lint_sources(files, select=("PFL503",), config=Config(min_severity="note"))}
    assert got == {("send_reminders", "note"), ("on_placed", "error"), ("cleanup_suggestions", "note"),
                   ("translate", "error")}


# -- a loop over batches makes one pass per batch ----------------------------------------------
BATCHES = '''
from django.db import transaction

def schedule(session, runs, size):
    for batch in batched_iterable(runs, size):
        with transaction.atomic():
            session.execute(insert(Run).values(batch))
        for run in batch:
            Log.objects.filter(run=run.pk).first()
'''


def test_a_loop_over_batches_is_one_pass_per_batch_but_its_items_are_data():
    got = {(f.rule, f.line, f.frequency) for f in lint_sources({"m.py": BATCHES}, select=("PFL402", "PFL503"),
                                                              config=Config(min_severity="note"))}
    assert got == {("PFL503", 9, 100.0)}


def test_bool_of_a_lazy_collection_runs_once_per_truth_test():
    src = '''
def exists_stmt(stmt, session):
    return session.scalar(select(literal(True)).select_from(stmt.subquery()))

def count_stmt(stmt, session):
    return session.scalar(select(func.count()).select_from(stmt.subquery()))

class LazyRows:
    def __bool__(self):
        return exists_stmt(self._stmt, session=self._session)

    def __len__(self):
        return count_stmt(self._stmt, session=self._session)
'''
    got = {(f.function, f.severity) for f in found(src, "PFL503")}
    # __len__ runs per item (x100), but only its role repeats the COUNT: the loop to fetch
    # before is the collection's user's, outside the scanned code (run 11, Mailman)
    assert got == set()
    looped = src + "\ndef sizes(stmts, session):\n    return [count_stmt(s, session) for s in stmts]\n"
    assert {(f.function, f.severity) for f in found(looped, "PFL503")} == {("count_stmt", "error")}


def test_a_write_after_a_did_it_change_check_runs_on_a_change_only():
    src = '''
def update_metadata(session, old, new, statistic_id):
    """Update metadata in the database."""
    if not (old["name"] != new["name"] or old["unit"] != new["unit"]):
        return None
    session.query(Meta).filter_by(statistic_id=statistic_id).update({Meta.name: new["name"]})

def update_always(session, old, new, statistic_id):
    if not new:
        return None
    session.query(Meta).filter_by(statistic_id=statistic_id).update({Meta.name: new["name"]})

def compile_all(session, pairs):
    for statistic_id, (old, new) in pairs.items():
        update_metadata(session, old, new, statistic_id)
        update_always(session, old, new, statistic_id)
'''
    got = {(f.function, f.severity) for f in found(src, "PFL503")}
    assert got == {("update_metadata", "note"), ("update_always", "error")}


def test_an_insert_per_row_whose_new_id_the_loop_reads_is_not_reported():
    src = '''
def add_requests(conn, table, builderids):
    ins = table.insert()
    brids = {}
    for builderid in builderids:
        r = conn.execute(ins, {"builderid": builderid})
        brids[builderid] = r.inserted_primary_key[0]
    return brids

def add_rows(conn, table, builderids):
    ins = table.insert()
    for builderid in builderids:
        conn.execute(ins, {"builderid": builderid})
'''
    assert [f.function for f in found(src, "PFL503")] == ["add_rows"]


def test_a_loop_over_an_imported_upper_case_constant_is_bounded_by_the_code():
    files = {"pkg/__init__.py": "", "pkg/schema.py": "STATISTICS_TABLES = make_tables()\n",
             "pkg/clean.py": (
                 "from pkg.schema import STATISTICS_TABLES\n"
                 "def cleanup(session, G):\n"
                 "    for table in STATISTICS_TABLES:\n"
                 "        Stats.objects.get(pk=table)\n"
                 "    for node in G:\n"
                 "        Stats.objects.filter(table=node).first()\n")}
    got = {(f.line, f.frequency) for f in lint_sources(files, select=("PFL503",), config=Config(min_severity="note"))}
    assert got == {(4, 10.0), (6, 100.0)}


def test_update_or_create_of_a_model_with_its_own_save_is_still_reported():
    models = MODELS.replace("class Plain(models.Model):", "class Meta(models.Model):\n    def save(self):\n        super().save()\n        self.event.cache.clear()\n\nclass Plain(models.Model):")
    files = {"app/__init__.py": "", "app/models.py": models,
             "app/bulk.py": "from app.models import Meta\ndef edit(dates, props):\n    for d in dates:\n        for p in props:\n            Meta.objects.update_or_create(date=d.pk, prop=p.pk)\n"}
    got = [(f.path, f.line) for f in lint_sources(files, select=("PFL503",), config=Config(min_severity="note"))]
    assert got == [("app/bulk.py", 5)]


def test_a_transaction_per_attempt_of_a_retry_loop_commits_once_per_call_unless_it_retries_a_database_error():
    src = '''
from django.db import transaction, DatabaseError

class Invoice:
    def save(self):
        for i in range(10):
            try:
                with transaction.atomic():
                    return self.store()
            except DatabaseError:
                if i == 9:
                    raise

def cancel_all(orders):
    with transaction.atomic():
        for o in orders:
            Invoice().save()

def invoice_all(orders):
    for o in orders:
        Invoice().save()
'''
    # Retried on a database error, each attempt takes a unique value that concurrent writers
    # contend for: one transaction around invoice_all()'s loop would hold every value taken
    # until it ends (pretix's invoice numbers, labelled FALSE in session 29)
    assert found(src, "PFL402") == []
    # retried on any error: nested in cancel_all()'s transaction, a savepoint; invoice_all()
    # commits per order
    broad = src.replace("except DatabaseError:", "except Exception:")
    got = [(f.line, f.message) for f in found(broad, "PFL402")]
    assert got == [(8, "`with transaction.atomic(...)` commits a transaction on every call of Invoice.save, which runs once per item")]
