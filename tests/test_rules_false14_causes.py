"""General causes of FALSE warnings among run 14's labels (docs/precision.md, "Fourteenth
session: general causes of FALSE findings"). Each test shows the finding a user sees on a
small program (rule, line, severity or trip count) and a near miss where the finding must
stay. Each failed on the code before its change."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code=None):
    return [(f.line, f.rule, f.severity) for f in
            lint_sources({"m.py": src}, select=(code,) if code else None, config=Config(min_severity="note"))
            if f.path == "m.py" and (code is None or f.rule == code)]


def finding(src, code):
    (f,) = [f for f in lint_sources({"m.py": src}, select=(code,), config=Config(min_severity="note"))
            if f.path == "m.py" and f.rule == code]
    return f


# -- A: the code shows the work runs once per run of a loop, per group, per call or per process

# A branch of a loop that leaves the loop on every path runs for one item per run of the loop
# (pretix's payment change view: one provider matches the POSTed choice, and every branch
# under it returns).
PAY = '''
from django.db import transaction
from django.views import View


class PayChange(View):
    def post(self, request):
        for p in self.provider_forms:
            if p.identifier == request.POST.get("payment"):
                with transaction.atomic():
                    p.order.save()
                if p.ready:
                    return self.done()
                else:
                    return self.get(request)
        return self.get(request)
'''


def test_a_branch_that_leaves_the_loop_on_every_path_runs_once() -> None:
    # once per request: PFL402 needs a loop that repeats the transaction, and there is none
    assert found(PAY, "PFL402") == []
    # no else: when the provider is not ready the loop goes on to the next provider
    near = PAY.replace("                else:\n                    return self.get(request)\n", "")
    assert found(near, "PFL402") == [(10, "PFL402", "error")]
    # a try whose body returns and whose handler breaks leaves the loop too
    tried = PAY.replace("                if p.ready:\n                    return self.done()\n"
                        "                else:\n                    return self.get(request)\n",
                        "                try:\n                    return self.done()\n"
                        "                except ValueError:\n                    break\n")
    assert found(tried, "PFL402") == []
    # ... but not a handler that goes on to the next item
    tried_on = tried.replace("                    break\n", "                    continue\n")
    assert found(tried_on, "PFL402") == [(10, "PFL402", "error")]


# A done flag tested under a lock (MLflow's telemetry client fetches its config once, when it
# is first activated, not once per record).
TELEMETRY = '''
import threading
import requests


class Client:
    def __init__(self):
        self._lock = threading.Lock()
        self.is_active = False

    def activate(self):
        with self._lock:
            if self.is_active:
                return
            self.config = requests.get("https://example.com/config").json()
            self.is_active = True

    def add_record(self, record):
        self.activate()
        self.records.append(record)


def log_all(records):
    client = Client()
    for r in records:
        client.add_record(r)
'''


def test_a_done_flag_under_a_lock_runs_once() -> None:
    assert found(TELEMETRY, "PFL403") == []
    # the flag is never set: every record fetches the config again
    near = TELEMETRY.replace("            self.is_active = True\n", "")
    assert found(near, "PFL403") == [(15, "PFL403", "error")]


# A value kept in a module global, answered from it unless the caller asks for a reload
# (Prefect's collections: entry_points() once per process).
COLLECTIONS = '''
from importlib.metadata import entry_points

_collections = None


def load_collections(reload=False):
    global _collections
    if _collections is not None and not reload:
        return _collections
    _collections = {e.name: e.load() for e in entry_points(group="x.collections")}
    return _collections


def block_class(key):
    load_collections()
    return key


def lookup_all(keys):
    return [block_class(k) for k in keys]
'''


def test_a_memo_that_a_reload_flag_can_bypass_is_still_a_memo() -> None:
    assert found(COLLECTIONS, "PFL304") == []
    # the value is never kept: every lookup scans the installed distributions
    near = COLLECTIONS.replace("    _collections = {e.name", "    loaded = {e.name")
    assert found(near, "PFL304") == [(11, "PFL304", "error")]
    # the other conjunct is not a flag the caller passes: not a memo guard
    other = COLLECTIONS.replace("and not reload:", "and not _collections.get('stale'):")
    assert found(other, "PFL304") == [(11, "PFL304", "error")]


# A block that runs when the loop's key changes, and keeps the new key: a cache of the last
# value (pretix's notifications read the settings once per event and action type).
NOTIFY = '''
from app.models import LogEntry, Setting


def notify(ids):
    last_event = last_type = None
    for entry in LogEntry.objects.filter(id__in=ids).order_by("action_type", "event_id"):
        if last_event != entry.event or last_type != entry.action_type:
            last_event = entry.event
            last_type = entry.action_type
            settings = list(Setting.objects.filter(event=entry.event))
        entry.send(settings)
'''


def test_a_block_that_keeps_the_last_key_runs_once_per_key() -> None:
    f = finding(NOTIFY, "PFL503")
    assert (f.line, f.severity) == (11, "note")
    assert "changes (a cache of the last value)" in f.context
    # the block does not keep the key: it runs for every entry whose event differs from one
    near = NOTIFY.replace("            last_event = entry.event\n", "")
    assert found(near, "PFL503") == [(10, "PFL503", "error")]
    # a write per changed item stores into the item: still one write per item
    per_item = '''
from app.models import Log, Page


def move_all(ids, new_parent):
    for page in Page.objects.filter(id__in=ids):
        if page.parent != new_parent:
            page.parent = new_parent
            Log.objects.create(page=page, parent=new_parent)
'''
    assert found(per_item, "PFL503") == [(9, "PFL503", "error")]
    # a buffer emptied when it holds something is not a kept key: every call with results
    # writes them (QCoDeS's DataSaver.flush_data_to_database, a recall case)
    flush = '''
from app.models import Log


class Saver:
    def flush(self):
        if self._results != []:
            Log.objects.create(count=len(self._results))
            self._results = []


def save_all(rows):
    saver = Saver()
    for row in rows:
        saver._results.append(row)
        saver.flush()
'''
    assert found(flush, "PFL503") == [(8, "PFL503", "error")]


# A buffer emptied after its flush is not a kept key: `if self._rows != []:` and `self._rows
# = []` run on every flush (Qcodes' dataset saver; read as a cache of one entry, it made the
# flush cold and hid the commit per chunk below it, a real bug of the development set).
FLUSH = '''
import sqlite3


def atomic_transaction(conn, sql, *args):
    c = conn.cursor()
    c.execute(sql, args)
    conn.commit()
    return c


def insert_many(conn, chunks):
    for chunk in chunks:
        atomic_transaction(conn, "INSERT INTO t VALUES (?)", *chunk)


class Saver:
    def __init__(self, conn):
        self.conn = conn
        self._rows = []

    def flush(self):
        if self._rows != []:
            insert_many(self.conn, self._rows)
            self._rows = []

    def add(self, row):
        self._rows.append(row)
        self.flush()
'''


def test_a_buffer_emptied_after_its_flush_is_not_a_cache_of_the_last_value() -> None:
    f = finding(FLUSH, "PFL402")
    assert (f.line, f.severity) == (14, "error")
    assert "cache of the last value" not in f.context
    # keeping the value it compared with is a cache of one entry: the flush runs when it changes
    kept = FLUSH.replace("if self._rows != []:", "if self._rows != self.pending:").replace(
        "self._rows = []", "self._rows = self.pending")
    assert finding(kept, "PFL402").severity == "note"


# -- B: a branch that what the callers pass rules out -------------------------------------

# The right operand of `and` runs when the left is true (FlexGet's Gazelle plugin: the stored
# session is read only when `force` is left false; the per-search re-login forces it).
GAZELLE = '''
from app.db import Session, StoredSession


class Site:
    def resume_session(self):
        with Session() as session:
            return session.query(StoredSession).filter(StoredSession.url == self.url).one_or_none()

    def authenticate(self, force=False):
        if not force and self.resume_session():
            return
        self.login()

    def request(self, **params):
        r = self.http.get(self.url, params=params)
        if r.is_redirect:
            self.authenticate(force=True)
        return r

    def search(self, terms):
        for term in terms:
            self.request(q=term)
'''


def test_a_call_on_the_right_of_and_needs_what_the_left_needs() -> None:
    assert found(GAZELLE, "PFL503") == []
    # a caller that leaves `force` false in the loop does read the session per term
    near = GAZELLE.replace("self.authenticate(force=True)", "self.authenticate()")
    assert found(near, "PFL503") == [(8, "PFL503", "error")]


# `if database and table or query:` needs one of the three given (Superset's
# raise_for_access, called with `datasource=` only on a chart import).
ACCESS = '''
from app.models import Table


class Security:
    def check(self, database=None, table=None, query=None, datasource=None):
        if database and table or query:
            for name in self.tables(table, query):
                Table.objects.filter(name=name).first()
        if datasource:
            self.can(datasource)

    def can_access(self, datasource):
        self.check(datasource=datasource)


def import_all(items):
    security = Security()
    for item in items:
        security.can_access(item)
'''


def test_an_or_of_optional_parameters_needs_one_of_them() -> None:
    f = finding(ACCESS, "PFL503")
    assert (f.line, f.severity) == (9, "note")
    # a caller that passes one of them takes the branch per item
    near = ACCESS.replace("self.check(datasource=datasource)", "self.check(query=datasource)")
    assert found(near, "PFL503") == [(9, "PFL503", "error")]


LOOKUP = '''
from app.models import Table


class Security:
    def check(self, database=None, table=None, query=None, datasource=None):
        if query:
            self.lookup(query)
        if datasource:
            self.can(datasource)

    def lookup(self, table):
        return Table.objects.filter(name=table).first()

    def can_access(self, datasource):
        self.check(datasource=datasource)


def import_all(items, datasources):
    security = Security()
    for item in items:
        for ds in datasources:
            security.can_access(ds)


def run_queries(queries):
    security = Security()
    for q in queries:
        security.check(query=q)
'''


def test_the_trace_follows_the_callers_that_take_the_branch() -> None:
    # `lookup` runs per query of `run_queries`; the hottest caller of `check` (the import, x1000)
    # passes only `datasource` and never reaches it: the trace used to go through the import
    f = finding(LOOKUP, "PFL503")
    assert (f.line, f.severity, f.frequency) == (13, "error", 100.0)
    assert [hop.function for hop in f.trace] == ["run_queries", "run_queries", "Security.check"]


# A local flag set to True only under a test on parameters: `if flag:` needs what the test
# needed (Nautobot's custom field cleanup sweeps orphaned keys only when no field is given;
# its job calls it once per field with `field_id=`).
CLEANUP = '''
from app.models import CustomField


def _remove_orphaned_keys():
    return set(CustomField.objects.values_list("key", flat=True))


def cleanup(field_id=None, content_types=None, safe_change=False):
    is_all = False
    if field_id is None and content_types is None:
        is_all = True
    if is_all and not safe_change:
        _remove_orphaned_keys()


def run(fields):
    for f in fields:
        cleanup(field_id=f.pk)
'''


def test_a_local_flag_set_under_a_guard_carries_the_guard() -> None:
    assert found(CLEANUP, "PFL503") == []
    # a caller that leaves both out sweeps per field
    near = CLEANUP.replace("cleanup(field_id=f.pk)", "cleanup()")
    assert found(near, "PFL503") == [(6, "PFL503", "error")]
    # the flag is also set from something else: it says nothing about the callers
    other = CLEANUP.replace("    if is_all and", "    is_all = bool(field_id)\n    if is_all and")
    assert found(other, "PFL503") == [(6, "PFL503", "error")]
    # ... also when that comes after the test, or is an augmented assignment (Weblate's
    # `was_change |= component.create_translations_immediate(...)`)
    later = CLEANUP.replace("        _remove_orphaned_keys()\n", "        _remove_orphaned_keys()\n    is_all |= bool(content_types)\n")
    assert found(later, "PFL503") == [(6, "PFL503", "error")]


# -- A: a loop over another module's literal list ------------------------------------------

PHASES = {
    "app/__init__.py": "",
    "app/plugin.py": '''
task_phases = ["prepare", "start", "input", "metainfo", "filter", "download", "modify", "output", "learn", "exit"]


def register_task_phase(name, after):
    task_phases.insert(task_phases.index(after) + 1, name)
''',
    "app/task.py": '''
import copy
from app.plugin import task_phases


class Task:
    def execute(self):
        for phase in task_phases:
            self.run_phase(phase)
            if phase == "start":
                self.config_snapshot = copy.deepcopy(self.config)

    def run_phase(self, phase):
        pass
''',
}


def copies(files):
    return [(f.path, f.line, f.severity, f.frequency) for f in
            lint_sources(files, select=("PFL101",), config=Config(min_severity="note"))]


def test_a_loop_over_an_imported_literal_list_is_bounded_by_it() -> None:
    # FlexGet's task runs its ten phases: ten copies at most, and no evidence of repetition
    assert copies(PHASES) == [("app/task.py", 11, "note", 10.0)]
    # the imported name is built at run time: an unknown collection
    built = dict(PHASES)
    built["app/plugin.py"] = "task_phases = load_phases()\n"
    assert copies(built) == [("app/task.py", 11, "warning", 100.0)]


# -- C: not a commit: a transaction that only reads -----------------------------------------

LIBRARY = '''
import sqlite3


class Transaction:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.db.conn.commit()

    def query(self, sql, vals=()):
        return self.db.conn.execute(sql, vals).fetchall()

    def mutate(self, sql, vals=()):
        return self.db.conn.execute(sql, vals).lastrowid


class Database:
    def __init__(self, path):
        self.conn = sqlite3.connect(path)

    def transaction(self):
        return Transaction(self)

    def get_results(self, sql):
        with self.transaction() as tx:
            rows = tx.query(sql)
        return rows


def playlists(queries):
    db = Database("lib.db")
    for q in queries:
        db.get_results(q)
'''


def test_a_transaction_block_that_only_reads_is_not_a_commit() -> None:
    # beets' smart playlists run one read per query: no change to commit
    assert found(LIBRARY, "PFL402") == []
    # a write in the block commits per call of the loop
    near = LIBRARY.replace("rows = tx.query(sql)", "rows = tx.mutate(sql)")
    assert found(near, "PFL402") == [(30, "PFL402", "error")]
    # a call on anything else in the block may write: reported
    other = LIBRARY.replace("rows = tx.query(sql)", "rows = tx.query(sql)\n            self.log(sql)")
    assert found(other, "PFL402") == [(30, "PFL402", "error")]


# -- A: a retry loop that leaves in the `else:` of its `try` --------------------------------

RETRY = '''
import copy


def schedule(tasks, session):
    for task in tasks:
        for attempt in range(5):
            state = copy.deepcopy(task.state)
            try:
                session.commit()
            except OSError:
                session.rollback()
            else:
                break
'''


def test_a_try_that_breaks_in_its_else_makes_a_retry_loop() -> None:
    # Airflow's backfill commits each task's state with up to five attempts: three, a retry
    f = finding(RETRY, "PFL101")
    assert (f.line, f.frequency) == (8, 300.0)
    assert "a retry loop" in f.trace[-1].note
    # without the break, the five passes all run
    near = RETRY.replace("            else:\n                break\n", "")
    assert finding(near, "PFL101").frequency == 500.0
    # an else that leaves only on an error (an empty read) does not leave on success
    # (paho's packet reader, a recall case)
    erring = RETRY.replace("            else:\n                break\n",
                           "            else:\n                if state is None:\n                    return\n"
                           "                task.done = True\n")
    assert finding(erring, "PFL101").frequency == 500.0
