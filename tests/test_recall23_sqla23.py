"""Session twenty-three, fastpath family: indexd's record listing (uc-cdis/indexd, bench/realbugs.toml,
indexd-list-records-lazy-relationships-n-plus-1) turned each row of `session.query(IndexRecord)`
into a document with a method of the row's class, `to_document_dict`, that read five
relationships declared with `relationship()` and no `lazy=`: SQLAlchemy loads each on first
access, one SELECT per relationship per record. The fix put `joinedload` options on the query.

PFL503's N+1 relation form knew Django only (a ForeignKey read per item of a queryset without
select_related). It now also reads SQLAlchemy declarative models: a relationship() attribute that
loads lazily (no `lazy=`, `lazy="select"`/`True`, or `lazy="dynamic"`), read per row of a loop
over a query of its model (`session.query(M)`, `M.query`, `session.scalars(select(M))`, a local
rebuilt through `.filter(...)`) whose options load no such relationship, either directly
(`row.children`) or in a method or property of the model that reads `self.children` (the
finding is at the looped call, its trace ends at the read).

Near misses stay quiet: the eager option on the query (the fix), a relationship eager by default
(`lazy="selectin"`, `"joined"`), a loop over a list rather than a query, a column read, a
relationship the loop sets itself or writes through (an append, a dynamic relationship's bulk
UPDATE), a loop that deletes each row, and a model of another module (not judged). The tests of the
buggy shapes fail on the code before the change."""

from __future__ import annotations

from conftest import rule_findings


def findings(files):
    return rule_findings(files, "PFL503")


def seen(source: str):
    return [(f.line, f.severity, f.message) for f in findings({"m.py": source}) if f.path == "m.py"]


MODELS = '''
from sqlalchemy import Column, ForeignKey, String
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import joinedload, relationship

Base = declarative_base()


class Record(Base):
    __tablename__ = "record"
    did = Column(String, primary_key=True)
    size = Column(String)
    urls = relationship("RecordUrl", backref="record", cascade="all, delete-orphan")
    acl = relationship("RecordAce", backref="record", cascade="all, delete-orphan")

    def to_document_dict(self):
        urls = [u.url for u in self.urls]
        acl = [a.ace for a in self.acl]
        return {"did": self.did, "size": self.size, "urls": urls, "acl": acl}


class RecordUrl(Base):
    __tablename__ = "record_url"
    did = Column(String, ForeignKey("record.did"), primary_key=True)
    url = Column(String, primary_key=True)
    url_metadata = relationship("RecordUrlMetadata", backref="record_url")


class RecordAce(Base):
    __tablename__ = "record_ace"
    did = Column(String, ForeignKey("record.did"), primary_key=True)
    ace = Column(String, primary_key=True)
'''

DRIVER = '''

class Driver:
    def ids(self, limit=100, start=None, negate_params=None):
        with self.session as session:
            query = session.query(Record)
            if start is not None:
                query = query.filter(Record.did > start)
            if negate_params:
                query = self._negate_filter(session, query, **negate_params)
            query = query.order_by(Record.did).limit(limit)
            return [i.to_document_dict() for i in query]

    def _negate_filter(self, session, query, size=None):
        return query.filter(Record.size != size)
'''

BUGGY = MODELS + DRIVER
CALL_LINE = BUGGY.splitlines().index("            return [i.to_document_dict() for i in query]") + 1
READ_LINE = BUGGY.splitlines().index("        urls = [u.url for u in self.urls]") + 1
METHOD = ("i.to_document_dict() reads lazily loaded relationships (acl, urls) of each Record of a query without "
          "an eager-load option for them: one SELECT per relationship per row (N+1)")


def test_a_model_method_reading_lazy_relationships_per_row_of_a_query_is_reported_at_the_call():
    found = findings({"m.py": BUGGY})
    assert [(f.line, f.severity, f.message) for f in found] == [(CALL_LINE, "error", METHOD)]
    # the trace goes down to the relationship read in the model's method
    assert (found[0].trace[-1].line, found[0].trace[-1].function) == (READ_LINE, "Record.to_document_dict")


def test_the_fix_joinedload_options_on_the_query_is_quiet():
    fixed = BUGGY.replace(
        "            query = session.query(Record)\n",
        "            query = session.query(Record)\n"
        "            query = query.options(joinedload(Record.urls).joinedload(RecordUrl.url_metadata))\n"
        "            query = query.options(joinedload(Record.acl))\n")
    assert fixed != BUGGY
    assert seen(fixed) == []


def test_an_option_for_one_relationship_leaves_the_other_reported():
    partly = BUGGY.replace("            query = session.query(Record)\n",
                           "            query = session.query(Record).options(selectinload(Record.urls))\n")
    assert partly != BUGGY
    assert seen(partly) == [(CALL_LINE, "error", "i.to_document_dict() reads lazily loaded relationship (acl) of "
                             "each Record of a query without an eager-load option for it: one SELECT per "
                             "relationship per row (N+1)")]


def test_relationships_eager_by_default_are_quiet():
    eager = BUGGY.replace('backref="record", cascade="all, delete-orphan")',
                          'backref="record", cascade="all, delete-orphan", lazy="selectin")')
    assert eager.count('lazy="selectin"') == 2
    assert seen(eager) == []
    joined = BUGGY.replace('cascade="all, delete-orphan")', 'cascade="all, delete-orphan", lazy="joined")')
    assert seen(joined) == []


def test_a_loop_over_a_list_not_a_query_is_quiet():
    listed = BUGGY.replace("    def ids(self, limit=100, start=None, negate_params=None):\n",
                           "    def ids(self, records, limit=100, start=None, negate_params=None):\n").replace(
        "            return [i.to_document_dict() for i in query]", "            return [i.to_document_dict() for i in records]")
    assert listed != BUGGY
    assert seen(listed) == []


def test_a_helper_that_adds_loader_options_is_not_taken_for_a_filter():
    helper = BUGGY.replace("        return query.filter(Record.size != size)",
                           "        return query.options(selectinload(Record.urls), selectinload(Record.acl))")
    assert helper != BUGGY
    assert seen(helper) == []


DIRECT = MODELS + '''

def report(session):
    for url in session.scalars(select(RecordUrl).where(RecordUrl.did != "")):
        print(url.url, len(url.url_metadata))


def sizes(session):
    return [r.size for r in session.query(Record).all()]
'''
DIRECT_LINE = DIRECT.splitlines().index("        print(url.url, len(url.url_metadata))") + 1


def test_a_lazy_relationship_read_per_row_is_reported_and_a_column_read_is_not():
    assert seen(DIRECT) == [(DIRECT_LINE, "error", "url.url_metadata lazily loads a relationship of each RecordUrl of "
                             "a query without an eager-load option for it: one SELECT per row (N+1)")]


def test_a_selectinload_of_the_relationship_read_is_quiet():
    fixed = DIRECT.replace("select(RecordUrl).where", "select(RecordUrl).options(selectinload(RecordUrl.url_metadata)).where")
    assert fixed != DIRECT
    assert seen(fixed) == []


def test_a_relationship_the_loop_sets_or_appends_to_is_quiet():
    sets = DIRECT.replace("        print(url.url, len(url.url_metadata))",
                          "        url.url_metadata = []\n        print(url.url, len(url.url_metadata))")
    assert seen(sets) == []
    appends = DIRECT.replace("        print(url.url, len(url.url_metadata))",
                             "        url.url_metadata.append(RecordUrl(url=url.url))")
    assert seen(appends) == []


FLASK = '''
from app import db


class Author(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    books = db.relationship("Book", lazy="dynamic")
    awards = db.relationship("Award", lazy=True)


def catalogue():
    out = []
    for author in Author.query.order_by(Author.id).all():
        out.append((author.id, author.books.count(), [a.name for a in author.awards]))
    return out
'''


def test_flask_sqlalchemy_dynamic_and_select_relationships_per_row_are_reported():
    line = FLASK.splitlines().index("        out.append((author.id, author.books.count(), [a.name for a in author.awards]))") + 1
    assert seen(FLASK) == [
        (line, "error", "author.books is a lazy='dynamic' relationship of each Author of the query: a query per row (N+1)"),
        (line, "error", "author.awards lazily loads a relationship of each Author of a query without an eager-load "
                        "option for it: one SELECT per row (N+1)"),
    ]


ELSEWHERE = '''
from pkg.models import Record


def listing(session):
    return [r.to_document_dict() for r in session.query(Record).limit(100)]
'''


def test_a_model_of_another_module_is_not_judged():
    # its relationships' laziness is not in the summaries; judged through its methods alone, the
    # form flagged Superset's deck.gl layers (a handful of charts, each computing its whole
    # visualisation beside one lazy read): PLAUSIBLE in session twenty-three
    assert findings({"pkg/__init__.py": "", "pkg/models.py": MODELS, "pkg/views.py": ELSEWHERE}) == []
    same_file = MODELS + ELSEWHERE.replace("from pkg.models import Record\n", "")
    assert [(f.line, f.severity) for f in findings({"m.py": same_file})] == [
        (same_file.splitlines().index("    return [r.to_document_dict() for r in session.query(Record).limit(100)]") + 1,
         "error")]


WRITES = MODELS.replace(
    '    acl = relationship("RecordAce", backref="record", cascade="all, delete-orphan")\n',
    '    acl = relationship("RecordAce", backref="record", cascade="all, delete-orphan")\n'
    '    aces = relationship("RecordAce", lazy="dynamic")\n\n'
    '    def reject(self, reason):\n'
    '        self.aces.filter_by(ace="x").update({RecordAce.ace: reason})\n'
    '        self.urls.append(RecordUrl(url=reason))\n') + \
    "\n\ndef reject_all(session, reason):\n    for r in session.query(Record):\n        r.reject(reason)\n"


def test_a_method_that_only_writes_through_its_relationships_is_quiet():
    # indico's Reservation.reject: a bulk UPDATE through a dynamic relationship, and an append
    assert "r.reject(reason)" in WRITES
    assert seen(WRITES) == []
    reads = WRITES.replace("        self.urls.append(RecordUrl(url=reason))\n", "        print(len(self.urls))\n")
    assert [(ln, sev) for ln, sev, _ in seen(reads)] == [(reads.splitlines().index("        r.reject(reason)") + 1, "error")]
