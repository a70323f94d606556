"""PFL405: an acknowledged single-document write to MongoDB per item of a loop (issue 13).

The shape of PyMongo's GridFS upload before PYTHON-4146 (one insert_one per 255 KiB chunk,
driven by write()'s loop), its fix (chunk documents buffered, insert_many per batch) and near
misses, checked at the severity a user sees.
"""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources

NOTES = Config(min_severity="note")


def found(source, path="store/grid.py"):
    return [(f.rule, f.line, f.severity, f.message) for f in
            lint_sources({path: source}, select=("PFL405",), config=NOTES)]


def sites(source):
    return [(rule, line, severity) for rule, line, severity, _ in found(source)]


# GridIn.write's loop over full chunks, under writelines' loop over pieces: heat 1000.
WRITE_LOOPS = """\
    def write(self, data):
        read = io.BytesIO(data).read
        to_write = read(self.chunk_size)
        while to_write and len(to_write) == self.chunk_size:
            self.__flush_data(to_write)
            to_write = read(self.chunk_size)
        self._buffer.write(to_write)

    def writelines(self, sequence):
        for line in sequence:
            self.write(line)

"""

GRID_BUGGY = """\
import io
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError


class GridIn:
    def __init__(self, coll: Collection, chunk_size=255 * 1024):
        self._chunks = coll.chunks
        self.chunk_size = chunk_size
        self._chunk_number = 0
        self._buffer = io.BytesIO()

    def __flush_data(self, data):
        if not data:
            return
        chunk = {"n": self._chunk_number, "data": data}
        try:
            self._chunks.insert_one(chunk)
        except DuplicateKeyError:
            raise ValueError("file exists")
        self._chunk_number += 1

""" + WRITE_LOOPS + """\
    def close(self):
        self.__flush_data(self._buffer.getvalue())
"""

GRID_FIXED = """\
import io
from pymongo.collection import Collection

_UPLOAD_BUFFER_SIZE = 32 * 1024 * 1024
_UPLOAD_BUFFER_CHUNKS = 100000


class GridIn:
    def __init__(self, coll: Collection, chunk_size=255 * 1024):
        self._chunks = coll.chunks
        self.chunk_size = chunk_size
        self._chunk_number = 0
        self._buffer = io.BytesIO()
        self._buffered_docs = []
        self._buffered_docs_size = 0

    def __flush_data(self, data, force=False):
        if data:
            self._buffered_docs.append({"n": self._chunk_number, "data": data})
            self._buffered_docs_size += len(data)
        if not self._buffered_docs:
            return
        if (
            force
            or self._buffered_docs_size >= _UPLOAD_BUFFER_SIZE
            or len(self._buffered_docs) >= _UPLOAD_BUFFER_CHUNKS
        ):
            self._chunks.insert_many(self._buffered_docs)
            self._buffered_docs = []
            self._buffered_docs_size = 0
        self._chunk_number += 1

""" + WRITE_LOOPS + """\
    def close(self):
        self.__flush_data(self._buffer.getvalue(), force=True)
"""


def test_gridfs_insert_one_per_chunk_is_an_error_through_the_write_loop():
    (f,) = lint_sources({"store/grid.py": GRID_BUGGY}, select=("PFL405",), config=NOTES)
    assert (f.rule, f.line, f.function, f.severity) == ("PFL405", 18, "GridIn.__flush_data", "error")
    assert f.message == ("self._chunks.insert_one() runs per call, and its callers run it in a loop: one "
                         "acknowledged round trip to the server per document")
    assert f.fix == ("batch the writes: collect the documents and call insert_many(docs, ordered=False) once per "
                     "batch, one round trip per batch")
    # writelines' loop (x100) around write's while loop over full chunks (x10), at the network
    # round trip's 300 us: 300 ms per unit of work
    assert f.frequency == 1000 and abs(f.cost - 3e-4) < 1e-12
    assert [hop.line for hop in f.trace][-1] == 27


def test_gridfs_chunks_buffered_and_written_with_insert_many_are_quiet():
    assert found(GRID_FIXED) == []


def test_insert_one_in_the_branch_that_flushes_a_full_buffer_is_a_note_at_most():
    # Near miss: still insert_one, but once per filled buffer (one document holds the batch).
    source = GRID_FIXED.replace("self._chunks.insert_many(self._buffered_docs)",
                                "self._chunks.insert_one({'chunks': self._buffered_docs})")
    source = source.replace("            force\n            or self._buffered_docs_size >= _UPLOAD_BUFFER_SIZE\n"
                            "            or len(self._buffered_docs) >= _UPLOAD_BUFFER_CHUNKS\n",
                            "            len(self._buffered_docs) >= self.batch_size\n")
    assert "insert_one" in source and "force\n" not in source
    # the frequency model's buffer-full branch (repetition.flush_reason): once per batch, so a
    # note at most, hidden at the default severity
    assert sites(source) == [("PFL405", 26, "note")]


def test_the_same_write_in_a_module_that_does_not_talk_to_mongodb_is_not_a_collection():
    assert found(GRID_BUGGY.replace("from pymongo.collection import Collection\n", "")
                 .replace("from pymongo.errors import DuplicateKeyError\n", "")
                 .replace("coll: Collection", "coll").replace("DuplicateKeyError", "KeyError")) == []


def test_each_write_gets_its_own_batched_fix():
    source = ("import pymongo\n"
              "def sync(coll, rows):\n"
              "    for r in rows:\n"
              "        coll.update_one({'_id': r.id}, {'$set': r.fields}, upsert=True)\n"
              "        coll.replace_one({'_id': r.id}, r.doc)\n"
              "        coll.delete_one({'_id': r.old})\n")
    got = lint_sources({"m.py": source}, select=("PFL405",), config=NOTES)
    assert [(f.line, f.severity, f.message, f.fix) for f in got] == [
        (4, "error", "coll.update_one() runs per iteration: one acknowledged round trip to the server per document",
         "batch the writes: collect UpdateOne(filter, update) operations and call bulk_write(ops, ordered=False) "
         "once per batch, one round trip per batch"),
        (5, "error", "coll.replace_one() runs per iteration: one acknowledged round trip to the server per document",
         "batch the writes: collect ReplaceOne(filter, doc) operations and call bulk_write(ops, ordered=False) "
         "once per batch, one round trip per batch"),
        (6, "error", "coll.delete_one() runs per iteration: one acknowledged round trip to the server per document",
         "batch the writes: collect DeleteOne(filter) operations and call bulk_write(ops, ordered=False) once "
         "per batch, one round trip per batch"),
    ]


def test_a_motor_write_awaited_per_item_is_reported():
    source = ("from motor.motor_asyncio import AsyncIOMotorCollection\n"
              "async def mark(coll: AsyncIOMotorCollection, ids):\n"
              "    for i in ids:\n"
              "        await coll.update_one({'_id': i}, {'$set': {'done': True}})\n")
    assert sites(source) == [("PFL405", 4, "error")]


def test_a_write_in_an_except_handler_is_a_note_at_most():
    # Near miss: the loop repeats it, but only when something failed (the frequency model's
    # cold except handler): hidden at the default severity.
    source = ("import pymongo\n"
              "def forward(coll, sink, events):\n"
              "    for e in events:\n"
              "        try:\n"
              "            sink.send(e)\n"
              "        except IOError:\n"
              "            coll.insert_one({'failed': e})\n")
    assert sites(source) == [("PFL405", 7, "note")]


def test_one_write_per_batch_per_attempt_or_per_collection_is_quiet():
    batches = ("import pymongo\n"
               "def archive(coll, docs):\n"
               "    for batch in batched(docs, 500):\n"
               "        coll.insert_one({'items': batch})\n")
    retries = ("import pymongo\n"
               "def save(coll, doc):\n"
               "    for attempt in range(3):\n"
               "        try:\n"
               "            coll.replace_one({'_id': doc['_id']}, doc, upsert=True)\n"
               "            return\n"
               "        except pymongo.errors.AutoReconnect:\n"
               "            continue\n")
    collections = ("import pymongo\n"
                   "def touch(db, names, doc):\n"
                   "    for name in names:\n"
                   "        db[name].insert_one(doc)\n")
    assert found(batches) == found(retries) == found(collections) == []



def test_a_wrapper_of_the_program_is_reported_once_at_the_collection_write_inside_it():
    # The loop calls the program's own insert_one(); its body, reached per item, makes the
    # write: one finding there, not a second one at the loop's call of the wrapper.
    source = ("import pymongo\n"
              "class Store:\n"
              "    def __init__(self, coll):\n"
              "        self._coll = coll\n"
              "    def insert_one(self, doc):\n"
              "        return self._coll.insert_one(doc)\n"
              "def load(store: Store, docs):\n"
              "    for d in docs:\n"
              "        store.insert_one(d)\n")
    (f,) = lint_sources({"m.py": source}, select=("PFL405",), config=NOTES)
    assert (f.line, f.function, f.severity) == (6, "Store.insert_one", "error")
    assert [(hop.line, hop.function) for hop in f.trace][-1] == (9, "load")
