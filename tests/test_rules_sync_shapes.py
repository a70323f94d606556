"""Sync family shapes from the recall set (issue 13): what a loop really repeats.

Each shape has a buggy, a fixed and a near-miss case, checked at the severity a user sees.
"""

from __future__ import annotations

from perflint.config import Config, RuleSettings
from perflint.testing import lint_sources

# Round costs: a sync 1 ms, so one per item of an unknown loop (x100) is 100 ms, an error.
NOTES = Config(min_severity="note", rules={"PFL401": RuleSettings(cost=1e-3), "PFL402": RuleSettings(cost=1e-3)})


def found(files, codes=("PFL401", "PFL402"), config=NOTES):
    if isinstance(files, str):
        files = {"m.py": files}
    return sorted((f.rule, f.function, f.line, f.severity) for f in lint_sources(files, select=codes, config=config))


# -- an atomic replacement's sync is one durable file write, not a sync per statement -------
LOCKFILE = """\
import os


class LockedFile:
    def __init__(self, name):
        self._name = name
        self._lock = name + ".lock"
        self._file = open(self._lock, "wb")

    def write(self, data):
        self._file.write(data)

    def close(self):
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._lock, self._name)


def set_refs(refs):
    for name, value in refs.items():
        f = LockedFile(name)
        f.write(value)
        f.close()
"""


def test_the_sync_of_an_atomic_replacement_is_quiet_however_often_a_loop_reaches_it():
    # One ref per file: each replacement must be durable on its own; nothing to batch.
    assert found(LOCKFILE) == []


def test_a_sync_that_is_not_followed_by_a_rename_is_still_a_sync_per_item():
    # Near miss: the same writer without the rename is an append log synced per record.
    appending = LOCKFILE.replace("        os.replace(self._lock, self._name)\n", "")
    assert [(rule, fn, sev) for rule, fn, _, sev in found(appending)] == [
        ("PFL401", "LockedFile.close", "error"),
        ("PFL402", "LockedFile.close", "error"),
    ]


def test_a_sync_per_written_line_before_one_rename_is_reported():
    # The buggy shape of an atomic writer: it syncs every line, then renames once.
    src = (
        "import os\n"
        "def save(path, lines):\n"
        "    with open(path + '.tmp', 'w') as f:\n"
        "        for line in lines:\n"
        "            f.write(line)\n"
        "            f.flush()\n"
        "            os.fdatasync(f.fileno())\n"
        "    os.replace(path + '.tmp', path)\n"
    )
    assert found(src) == [("PFL402", "save", 7, "error")]
    fixed = src.replace("            f.flush()\n            os.fdatasync(f.fileno())\n", "") \
        .replace("    os.replace(", "        f.flush()\n        os.fdatasync(f.fileno())\n    os.replace(")
    assert found(fixed) == []


def test_a_rename_before_the_sync_does_not_make_it_a_replacement():
    src = (
        "import os\n"
        "def rotate(path, records):\n"
        "    for rec in records:\n"
        "        append(path, rec)\n"
        "def append(path, rec):\n"
        "    os.replace(path, path + '.old')\n"
        "    with open(path, 'ab') as f:\n"
        "        f.write(rec)\n"
        "        os.fsync(f.fileno())\n"
    )
    assert ("PFL402", "append", 9, "error") in found(src)


# -- a function that opens its own transaction, called per item ------------------------------
STORE = """\
class Cache:
    def __init__(self, db):
        self._db = db

    def transact(self):
        return self._db.transaction()

    def push(self, value):
        with self._db.transaction():
            self._db.execute("INSERT INTO q VALUES (?)", (value,))


def extend(cache, values):
    for value in values:
        cache.push(value)


def run(db, values):
    extend(Cache(db), values)
"""


def test_a_transaction_per_call_reached_per_item_is_one_commit_per_item():
    (finding,) = lint_sources({"m.py": STORE}, select=("PFL402",), config=NOTES)
    assert (finding.function, finding.line, finding.severity) == ("Cache.push", 9, "error")
    assert "commits a transaction on every call of Cache.push" in finding.message
    assert [hop.function for hop in finding.trace][-1] == "extend"  # the loop that repeats it


def test_a_transaction_held_open_around_the_loop_makes_the_inner_block_nest():
    fixed = STORE.replace("    extend(Cache(db), values)\n",
                          "    with db.transaction():\n        extend(Cache(db), values)\n")
    assert found({"m.py": fixed}, ("PFL402",)) == []


def test_a_transaction_per_call_with_no_loop_on_the_way_or_per_batch_is_quiet():
    # Near misses: called once, and a block that loops over its batch itself.
    once = STORE.replace("    for value in values:\n        cache.push(value)\n", "    cache.push(values)\n")
    assert found({"m.py": once}, ("PFL402",)) == []
    batch = STORE.replace(
        "            self._db.execute(\"INSERT INTO q VALUES (?)\", (value,))\n",
        "            for v in value:\n                self._db.execute(\"INSERT INTO q VALUES (?)\", (v,))\n")
    assert found({"m.py": batch}, ("PFL402",)) == []


def test_a_role_alone_is_not_a_loop_we_can_see():
    # `__getitem__` runs per item of some caller's loop, but that item is the caller's unit of
    # work: the transaction its lookup opens is not ours to batch.
    src = STORE.replace("def extend(cache, values):\n    for value in values:\n        cache.push(value)\n",
                        "class View:\n    def __getitem__(self, value):\n        return Cache(None).push(value)\n")
    assert found({"m.py": src}, ("PFL402",)) == []


def test_a_with_on_something_named_like_a_connection_that_runs_no_statement_is_not_a_transaction():
    src = STORE.replace("        with self._db.transaction():\n", "        with self._ensure_connection:\n") \
        .replace("self._db.execute(", "self._sock.send(")
    assert found({"m.py": src}, ("PFL402",)) == []


# -- a model instance that writes and commits itself, per item ----------------------------------
def test_a_model_saved_per_item_outside_a_transaction_commits_per_item():
    src = (
        "from beets.library import Library\n"
        "def update(lib: Library, query):\n"
        "    for item in lib.items(query):\n"
        "        item['plays'] = 1\n"
        "        item.store()\n"
    )
    assert found(src, ("PFL402",)) == [("PFL402", "update", 5, "error")]
    fixed = src.replace("    for item in", "    with lib.transaction():\n        for item in") \
        .replace("        item[", "            item[").replace("        item.store", "            item.store")
    assert found(fixed, ("PFL402",)) == []


def test_saving_to_a_path_or_a_receiver_that_is_not_the_loop_item_is_not_a_model_write():
    # Near misses: an image saved to a file, and one settings object saved after each change.
    images = "def export(images, folder):\n    for img in images:\n        img.save(folder + img.name)\n"
    settings = "def apply(settings, changes):\n    for key, value in changes:\n        settings.save()\n"
    assert found(images, ("PFL402",)) == [] and found(settings, ("PFL402",)) == []


def test_a_caller_holding_a_transaction_open_makes_the_item_saves_nest():
    src = (
        "from beets.library import Library\n"
        "def process(lib: Library, track):\n"
        "    for song in lib.items(track):\n"
        "        song.store()\n"
        "def update_all(lib: Library, tracks):\n"
        "    for track in tracks:\n"
        "        process(lib, track)\n"
    )
    assert [(r, fn, sev) for r, fn, _, sev in found(src, ("PFL402",))] == [("PFL402", "process", "error")]
    fixed = src.replace("    for track in tracks:\n        process(lib, track)\n",
                        "    with lib.transaction():\n        for track in tracks:\n            process(lib, track)\n")
    assert found(fixed, ("PFL402",)) == []


# Wagtail's page copy: the hottest chain copies pages for translation inside one atomic block,
# while the admin's copy view calls it with no transaction open, once per request.
COPY = """\
from django.db import transaction
from django.views import View


class Copier:
    def copy(self, page):
        for revision in page.revisions.all():
            revision.pk = None
            revision.save()


def translate_all(pages):
    with transaction.atomic():
        for page in pages:
            for child in page.get_children():
                Copier().copy(child)


class CopyView(View):
    def post(self, request):
        Copier().copy(self.page)
"""


def test_a_cooler_chain_that_holds_no_transaction_still_commits_per_item():
    (f,) = lint_sources({"m.py": COPY}, select=("PFL402",), config=Config(min_severity="note"))
    assert (f.line, f.severity, f.frequency) == (9, "error", 100.0)
    assert [hop.function for hop in f.trace] == ["CopyView.post", "CopyView.post", "Copier.copy"]
    # with only the chain inside the transaction, every commit nests
    nested = COPY[:COPY.index("class CopyView")]
    assert found(nested, ("PFL402",)) == []


def test_a_receiver_known_to_come_from_a_library_is_not_one_of_our_own_store_methods():
    # The program defines a store() of its own; the item still comes from an imported library.
    src = (
        "from beets.library import Library\n"
        "class Gain:\n"
        "    def store(self, write):\n"
        "        self.written = write\n"
        "def update(path, query):\n"
        "    for item in Library(path).items(query):\n"
        "        item.store()\n"
        "def unknown(things):\n"
        "    for thing in things:\n"
        "        thing.store()\n"
    )
    by_function = {fn: (conf_sev) for _, fn, _, conf_sev in found(src, ("PFL402",))}
    assert by_function == {"update": "error", "unknown": "note"}


# -- a wrapper that commits the statement it is given ----------------------------------------------
WRAPPER = """\
def transaction(conn, sql, *args):
    cur = conn.cursor()
    cur.execute(sql, args)
    return cur


def atomic_transaction(conn, sql, *args):
    cur = transaction(conn, sql, *args)
    conn.commit()
    return cur


def insert_many(conn, table, chunks):
    for chunk in chunks:
        query = f"INSERT INTO {table} VALUES (?)"
        atomic_transaction(conn, query, *chunk)


def layouts(conn, ids):
    out = []
    for i in ids:
        sql = "SELECT name FROM layouts WHERE id = ?"
        out.append(atomic_transaction(conn, sql, i).fetchone())
    return out
"""


def test_a_commit_wrapper_is_reported_where_a_loop_hands_it_a_write():
    (finding,) = lint_sources({"m.py": WRAPPER}, select=("PFL402",), config=NOTES)
    assert (finding.function, finding.line, finding.severity) == ("insert_many", 16, "error")
    assert finding.message.startswith("atomic_transaction() commits the INSERT it is given")
    last = finding.trace[-1]
    assert (last.function, last.line) == ("atomic_transaction", 9)  # the trace ends at the commit


def test_a_commit_wrapper_handed_reads_or_run_in_one_transaction_is_quiet():
    # Near miss: the SELECT loop commits nothing. Fixed: the chunks run in one transaction.
    reads = WRAPPER[:WRAPPER.index("def insert_many")] + WRAPPER[WRAPPER.index("def layouts"):]
    assert found({"m.py": reads}, ("PFL402",)) == []
    fixed = WRAPPER.replace("        atomic_transaction(conn, query, *chunk)\n", "        transaction(conn, query, *chunk)\n") \
        .replace("    for chunk in chunks:\n", "    for chunk in chunks:  # committed once below\n") \
        .replace("def layouts", "def _after(conn):\n    conn.commit()\n\n\ndef layouts")
    assert found({"m.py": fixed}, ("PFL402",)) == []


# -- a connection per web request: a route is once per unit of work ------------------------------
ROUTE = """\
import psycopg2
from flask import Flask

app = Flask(__name__)
DATABASE = {"dbname": "park"}


def latest(city):
    with psycopg2.connect(**DATABASE) as conn:
        cur = conn.cursor()
        cur.execute("SELECT data FROM lots WHERE city = %s", (city,))
        return cur.fetchall()


@app.route("/<city>")
def get_lots(city):
    return latest(city)
"""


def test_a_connection_per_web_request_is_a_warning_with_the_route_in_its_trace():
    (f,) = lint_sources({"app.py": ROUTE}, select=("PFL403",), config=Config(min_severity="note"))
    assert (f.rule, f.function, f.line, f.severity, f.frequency) == ("PFL403", "latest", 9, "warning", 1.0)
    assert f.trace[0].function == "get_lots" and f.trace[0].note == "web route (runs once per request)"
    # fixed: a pool made once, a connection taken from it per request
    pooled = ROUTE.replace("with psycopg2.connect(**DATABASE) as conn:", "with POOL.getconn() as conn:") \
        .replace('DATABASE = {"dbname": "park"}', 'POOL = psycopg2.pool.SimpleConnectionPool(1, 10, dbname="park")')
    assert lint_sources({"app.py": pooled}, select=("PFL403",), config=Config(min_severity="note")) == []
    # near miss: the same function called once by a command-line main is no request
    cli = ROUTE.replace('@app.route("/<city>")\ndef get_lots(city):', 'def main(city):')
    assert lint_sources({"app.py": cli}, select=("PFL403",), config=Config(min_severity="note")) == []


# -- an HTTP connection per request: module-level requests.get() builds a throwaway Session --
LYRICS = {
    "lyrics/__init__.py": "",
    "lyrics/backends.py": """\
import requests


class Backend:
    def __init__(self, base):
        self.base = base

    def fetch_url(self, url):
        r = requests.get(url, timeout=10)
        return r.text if r.status_code == 200 else None

    def fetch(self, artist, title):
        return self.fetch_url(self.base + "/" + artist + "/" + title)
""",
    "lyrics/plugin.py": """\
from lyrics.backends import Backend


class LyricsPlugin:
    def __init__(self):
        self.backend = Backend("https://lyrics.example")

    def fetch_all(self, items):
        for item in items:
            item.lyrics = self.backend.fetch(item.artist, item.title)
""",
}


def http(files):
    return [(f.path, f.function, f.line, f.severity, f.confidence) for f in lint_sources(
        files, select=("PFL403",), config=Config(min_severity="note"))]


def test_a_module_level_http_get_per_item_is_a_connection_per_request():
    (f,) = lint_sources(LYRICS, select=("PFL403",), config=Config(min_severity="note"))
    assert (f.path, f.function, f.line, f.severity) == ("lyrics/backends.py", "Backend.fetch_url", 9, "error")
    assert f.message == ("requests.get() opens a new HTTP connection (a throwaway requests.Session) on every "
                         "call of fetch_url(), and it runs repeatedly")
    assert "requests.Session()" in f.fix
    assert any(hop.function == "LyricsPlugin.fetch_all" for hop in f.trace)
    # An error, not a dwarfed note: the connection setup is what the fix saves, so the request
    # it belongs to (perflint/effects.py's external-network effect) does not dwarf it.
    assert f.frequency == 100


def test_a_kept_session_is_not_reported():
    fixed = dict(LYRICS)
    fixed["lyrics/backends.py"] = LYRICS["lyrics/backends.py"].replace(
        "        self.base = base\n", "        self.base = base\n        self.session = requests.Session()\n").replace(
        "r = requests.get(", "r = self.session.get(")
    assert http(fixed) == []


def test_http_near_misses_a_module_function_is_a_note_and_a_single_call_nothing():
    # A plain function: the fix would be a module-global session, often for another host each time.
    module_fn = {"poll.py": "import httpx\ndef status(url):\n    return httpx.get(url).json()\n"
                            "def all_status(urls):\n    return [status(u) for u in urls]\n"}
    assert http(module_fn) == [("poll.py", "status", 3, "note", "low")]
    # One request per call of a method nothing repeats: no evidence it runs per item.
    once = dict(LYRICS)
    once["lyrics/plugin.py"] = LYRICS["lyrics/plugin.py"].replace(
        "        for item in items:\n            item.lyrics", "        item = items[0]\n        item.lyrics")
    assert http(once) == []


# -- a compare-and-swap that rewrites a lock-file target even when nothing changes ---------
REFS = {
    "refs/__init__.py": "",
    "refs/lockfile.py": """\
import os


class LockedFile:
    def __init__(self, name, mode):
        self._name = name
        self._lock = name + ".lock"
        self._file = open(self._lock, mode)

    def write(self, data):
        self._file.write(data)

    def abort(self):
        self._file.close()
        os.remove(self._lock)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self._file.closed:
            self._file.close()
            os.replace(self._lock, self._name)
""",
    "refs/container.py": """\
from refs.lockfile import LockedFile


class Refs:
    def read_ref(self, name):
        with open(self.path + name, "rb") as f:
            return f.read().strip()

    def set_if_equals(self, name, old_ref, new_ref):
        with LockedFile(self.path + name, "wb") as f:
            orig_ref = self.read_ref(name)
            if old_ref is not None and orig_ref != old_ref:
                f.abort()
                return False
            f.write(new_ref + b"\\n")
        return True

    def import_refs(self, other):
        for name, value in other.items():
            self.set_if_equals(name, None, value)
""",
}


def cas(files):
    return [(f.path, f.function, f.line, f.severity, f.confidence) for f in lint_sources(
        files, select=("PFL404",), config=Config(min_severity="note"))]


def test_a_compare_and_swap_that_rewrites_an_unchanged_value_per_item():
    (f,) = lint_sources(REFS, select=("PFL404",), config=Config(min_severity="note"))
    assert (f.path, f.function, f.line, f.severity, f.confidence) == (
        "refs/container.py", "Refs.set_if_equals", 10, "warning", "medium")
    assert f.message == ("set_if_equals() rewrites the file through LockedFile() even when new_ref equals the value "
                         "it just read (orig_ref): an unchanged value still pays the lock file, the write and the rename")
    assert any(hop.function == "Refs.import_refs" for hop in f.trace)


def test_the_unchanged_check_fixes_it():
    fixed = dict(REFS)
    fixed["refs/container.py"] = REFS["refs/container.py"].replace(
        "            f.write(new_ref", "            if new_ref == orig_ref:\n                f.abort()\n"
                                      "                return True\n            f.write(new_ref")
    assert cas(fixed) == []


def test_cas_near_misses_no_abort_no_check_or_no_repetition():
    # A writer that cannot give up the replacement is no compare-and-swap of a lock file.
    no_abort = dict(REFS)
    no_abort["refs/container.py"] = REFS["refs/container.py"].replace(
        "                f.abort()\n                return False", "                return False")
    assert cas(no_abort) == []
    # Only a test against None: nothing compares the value read with another value.
    no_check = dict(REFS)
    no_check["refs/container.py"] = REFS["refs/container.py"].replace("orig_ref != old_ref", "orig_ref is None")
    assert cas(no_check) == []
    # Set once, not per ref: no evidence it repeats.
    once = dict(REFS)
    once["refs/container.py"] = REFS["refs/container.py"].replace(
        "        for name, value in other.items():\n            self.set_if_equals(name, None, value)",
        "        self.set_if_equals(b'HEAD', None, other)")
    assert cas(once) == []
