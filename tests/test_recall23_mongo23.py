"""Session twenty-three, rebuild family: MongoEngine's Document.save() (MongoEngine/mongoengine,
bench/realbugs.toml, mongoengine-ensure-indexes-per-save) called self.ensure_indexes() on every
save, behind the `auto_create_index` setting (on by default), and ensure_indexes sent one PyMongo
create_index() per declared index spec: a createIndexes round trip per index, before every write.
The fix creates indexes on a class's first use only, unless `auto_create_index_on_save` (off by
default) asks for the old behaviour.

PFL313 ddl-per-operation recognises the helper by its body (create_index on a collection of a
module that talks to MongoDB, CREATE INDEX / CREATE TABLE IF NOT EXISTS executed, metadata
.create_all), reports the call in the per-item method with the chain down to the statement, and
prices it per statement at `index-ddl-statement` (300 µs, an estimate; PR 2702 measured 194 µs a
createIndexes on a local server). A loop over declared specs counts as three statements: the
case's own shape is 900 µs per save, a note, and four statements written out reach the 1 ms
warning. Near misses: a flag or a set of done classes checked first, a helper that returns early
on a flag it sets, an opt-in setting that is off by default (the fixed tree), a first-use block
(`if not hasattr(cls, "_collection") or cls._collection is None:`), set-up code, and a
create_index of something that is not a collection. The tests of the buggy shapes fail on the
code before the change (PFL313 did not exist)."""

from __future__ import annotations

from perflint.config import Config
from perflint.repetition import once_reason
from perflint.testing import lint_sources

import libcst as cst

from conftest import rule_findings


def seen(source: str, path: str = "m.py"):
    return [(f.line, f.severity, round(f.score * 1e6), f.message) for f in rule_findings({path: source}, "PFL313")]


def trace(source: str):
    return [[(step.line, step.function, step.note) for step in f.trace]
            for f in lint_sources({"m.py": source}, select=("PFL313",), config=Config(min_severity="note"))
            if f.rule == "PFL313"]


SAVE_MSG = ("ensure_indexes() creates indexes or tables on the database server (see the trace), and it runs on "
            "every call of save(), once per document, row or request")

BUGGY = '''
import pymongo


class Document:
    @classmethod
    def _get_collection(cls):
        if not hasattr(cls, "_collection") or cls._collection is None:
            cls._collection = cls._get_db()[cls._meta["collection"]]
            if cls._meta.get("auto_create_index", True):
                cls.ensure_indexes()
        return cls._collection

    @classmethod
    def ensure_indexes(cls):
        collection = cls._get_collection()
        for spec in cls._meta["index_specs"]:
            spec = spec.copy()
            fields = spec.pop("fields")
            collection.create_index(fields, **spec)
        if cls._meta.get("allow_inheritance"):
            collection.create_index("_cls")

    def save(self):
        doc = self.to_mongo()
        if self._meta.get("auto_create_index", True):
            self.ensure_indexes()
        return self._get_collection().insert_one(doc).inserted_id
'''

# The fix: an opt-in setting, off by default; the first use still creates them.
FIXED = BUGGY.replace('''        if self._meta.get("auto_create_index", True):
            self.ensure_indexes()
        return''', '''        if self._meta.get("auto_create_index_on_save", False):
            self.ensure_indexes()
        else:
            self._get_collection()
        return''')

FOUR = '''
import pymongo


class Document:
    @classmethod
    def ensure_indexes(cls):
        coll = cls._get_collection()
        coll.create_index("a")
        coll.create_index("b")
        coll.create_index([("c", 1), ("d", -1)])
        coll.create_index("e", unique=True)

    def save(self):
        self.ensure_indexes()
        self._get_collection().insert_one(self.to_mongo())
'''


def test_ensure_indexes_per_save_is_reported_at_the_call_with_the_chain_to_create_index():
    # three declared specs (the loop's default) at 300 µs: 900 µs per save, under the 1 ms warning
    assert seen(BUGGY) == [(27, "note", 900, SAVE_MSG)]
    assert trace(BUGGY) == [[(20, "Document.ensure_indexes", "schema ddl here")]]


def test_four_index_statements_per_save_warn():
    assert seen(FOUR) == [(15, "warning", 1200, SAVE_MSG)]


def test_opt_in_setting_off_by_default_and_first_use_block_are_quiet():
    assert seen(FIXED) == []


GUARDED_FLAG = '''
import pymongo


class Document:
    _indexes_ensured = False

    @classmethod
    def ensure_indexes(cls):
        for spec in cls._meta["index_specs"]:
            cls._collection.create_index(spec["fields"])

    def save(self):
        if not self._indexes_ensured:
            self.ensure_indexes()
            type(self)._indexes_ensured = True
        self._collection.insert_one(self.to_mongo())
'''

GUARDED_SET = '''
import pymongo


class Document:
    _indexed = set()

    @classmethod
    def ensure_indexes(cls):
        for spec in cls._meta["index_specs"]:
            cls._collection.create_index(spec["fields"])

    def save(self):
        if type(self) not in self._indexed:
            self.ensure_indexes()
            self._indexed.add(type(self))
        self._collection.insert_one(self.to_mongo())
'''

EARLY_RETURN = '''
import pymongo


class Document:
    _ensured = False

    @classmethod
    def ensure_indexes(cls):
        if cls._ensured:
            return
        for spec in cls._meta["index_specs"]:
            cls._collection.create_index(spec["fields"])
        cls._ensured = True

    def save(self):
        self.ensure_indexes()
        self._collection.insert_one(self.to_mongo())
'''

SETUP_ONLY = '''
import pymongo


def ensure_indexes(db):
    db.events.create_index("tag")
    db.jobs.create_index("jid")
    db.returns.create_index("minion")
    db.returns.create_index("jid")


def setup(db):
    ensure_indexes(db)


def save_event(db, event):
    db.events.insert_one(event)
'''

OPT_IN_LOCAL = '''
import pymongo


def _get_conn(options):
    conn = pymongo.MongoClient(options.get("uri"))
    mdb = conn.get_database()
    indexes = options.get("indexes", False)
    if indexes:
        mdb.jobs.create_index("jid")
        mdb.events.create_index("tag")
    return mdb


def save_load(options, jid, load):
    mdb = _get_conn(options)
    mdb.jobs.insert_one({"jid": jid, "load": load})
'''

NOT_A_COLLECTION = '''
class IndexEntries:
    def create_index(self, builder):
        return []


class Builder:
    def write(self):
        return IndexEntries().create_index(self)
'''


def test_once_guards_are_quiet():
    assert seen(GUARDED_FLAG) == []
    assert seen(GUARDED_SET) == []
    assert seen(EARLY_RETURN) == []


def test_setup_opt_in_and_other_create_index_are_quiet():
    assert seen(SETUP_ONLY) == []
    assert seen(OPT_IN_LOCAL) == []
    assert seen(NOT_A_COLLECTION) == []


SQL_PUT = '''
import psycopg2


class Store:
    def _schema(self):
        self.conn.cursor().execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)")
        self.conn.cursor().execute("CREATE INDEX IF NOT EXISTS kv_v ON kv (v)")

    def put(self, k, v):
        self._schema()
        self.conn.cursor().execute("INSERT INTO kv VALUES (%s, %s)", (k, v))
        self.conn.commit()
'''


def test_sql_ddl_per_put_is_priced_per_statement():
    assert seen(SQL_PUT, "pkg/store.py") == [
        (11, "note", 600, "_schema() creates indexes or tables on the database server (see the trace), and it runs "
                          "on every call of put(), once per document, row or request")]
    # in a package that talks to SQLite only, the statement is an in-process catalog check
    local = SQL_PUT.replace("import psycopg2", "import sqlite3")
    assert [(line, sev) for line, sev, _, _ in seen(local, "pkg/store.py")] == [(11, "note")]
    assert seen(local, "pkg/store.py")[0][2] < 10


def test_first_use_test_of_two_parts_is_a_first_use():
    module = cst.parse_module('if not hasattr(cls, "_c") or cls._c is None:\n    cls._c = make()\n')
    stmt = module.body[0]
    assert once_reason(stmt.test, stmt.body) == "runs once, when cls._c is first needed"
    other = cst.parse_module('if not hasattr(cls, "_c") or force:\n    cls._c = make()\n').body[0]
    assert once_reason(other.test, other.body) is None


CREATE_ALL = '''
from sqlalchemy import Column, Integer, MetaData, Table

META = MetaData()


def save_event(engine, row):
    META.create_all(engine)
    with engine.begin() as conn:
        conn.execute(META.tables["events"].insert(), row)


def add_data(engine, name, rows):
    metadata = MetaData()
    table = Table(name, metadata, Column("id", Integer))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
'''

ERROR_PATH = '''
import pymongo


class Recorder:
    def _reset_schema(self):
        self.db.events.create_index("tag")
        self.db.events.create_index("time")

    def _handle_database_error(self, err):
        self._reset_schema()
'''


def test_create_all_of_a_fixed_schema_per_save_is_reported_in_place():
    # the schema the module keeps, created again per save (one statement counted); the table a
    # loading helper defines from its arguments is its job
    assert seen(CREATE_ALL) == [(8, "note", 300, "metadata.create_all() checks every table against the database "
                                                 "catalog on every call of save_event(), which runs once per "
                                                 "document, row or request")]


def test_error_path_is_quiet():
    assert seen(ERROR_PATH) == []
