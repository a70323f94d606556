"""Session twenty-three, sync family: faf's assign_release_to_builds (abrt/faf, bench/realbugs.toml)
flushed the SQLAlchemy session after adding each new link row, and run() calls that helper once
per build. PFL402 knew commits and fsyncs, not flushes. It now reports a session's `flush()` per
item of a loop (directly or through calls), priced at `orm-flush-network` (the unit of work's own
cost per flush, measured with SQLAlchemy against SQLite in memory, plus a server round trip), and
leaves the flushes that are needed where they are: one whose next statements read the row's
generated key, one a per-row `try`/`except IntegrityError` is there to catch, one a query later in
the pass must see, and one after a lookup per item where autoflush (on unless the program turns
it off) would flush the row anyway."""

from __future__ import annotations

from conftest import rule_findings

MSG = ("db.session.flush() runs once per iteration: the pending rows are sent one INSERT and one "
       "unit-of-work flush at a time instead of together")


def seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL402")]


STORAGE = '''
from sqlalchemy import create_engine
from sqlalchemy.orm import Session


class Database:
    def __init__(self, url, session_kwargs={"autoflush": False, "autocommit": True}):
        self.session = Session(create_engine(url), **session_kwargs)
'''

# faf's shape: run() loops over builds and calls a helper per build; the helper looks the link
# up, adds it when it is missing, and flushes.
ACTION = '''
from app.storage import Build, Link


class AssignRelease:
    def run(self, cmdline, db):
        builds = db.session.query(Build).filter(Build.release.like(cmdline.expression)).all()
        for build in builds:
            self._add_link(db, build, cmdline.arch)

    def _add_link(self, db, build, arch):
        link = db.session.query(Link).filter(Link.build_id == build.id).first()
        if not link:
            new = Link()
            new.build = build
            new.arch = arch
            db.session.add(new)
            db.session.flush()
'''


def test_flush_per_row_through_the_caller_where_the_program_turns_autoflush_off_is_reported():
    assert seen({"app/storage.py": STORAGE, "app/action.py": ACTION}) == [
        ("app/action.py", 18, "error", MSG)]


def test_the_same_flush_with_autoflush_on_is_quiet():
    # the next build's lookup would flush the previous link anyway: dropping the flush saves nothing
    default = STORAGE.replace('session_kwargs={"autoflush": False, "autocommit": True}', "session_kwargs={}")
    assert default != STORAGE
    assert seen({"app/storage.py": default, "app/action.py": ACTION}) == []


def test_autoflush_off_given_as_a_keyword_is_read_too():
    keyword = STORAGE.replace("Session(create_engine(url), **session_kwargs)",
                              "Session(create_engine(url), autoflush=False)")
    assert keyword != STORAGE
    assert seen({"app/storage.py": keyword, "app/action.py": ACTION}) == [("app/action.py", 18, "error", MSG)]


def test_fixed_flush_every_thousand_rows_and_once_after_the_loops_is_quiet():
    fixed = ACTION.replace("            self._add_link(db, build, cmdline.arch)\n",
                           "            self._add_link(db, build, cmdline.arch)\n        db.session.flush()\n")
    fixed = fixed.replace("            db.session.flush()\n",
                          "            self.uncommitted += 1\n            if self.uncommitted > 1000:\n"
                          "                self.uncommitted = 0\n                db.session.flush()\n")
    assert fixed.count("flush()") == 2
    assert seen({"app/storage.py": STORAGE, "app/action.py": fixed}) == []


LOOP = '''
from sqlalchemy.orm import Session


def load(db, rows):
    for row in rows:
        item = Item(name=row["name"])
        db.session.add(item)
        db.session.flush()
    db.session.commit()
'''


def test_flush_per_row_in_a_loop_is_reported():
    assert seen({"m.py": LOOP}) == [("m.py", 9, "error", MSG)]


def test_flush_then_reading_the_generated_key_is_quiet():
    reads_id = LOOP.replace("        db.session.flush()\n", "        db.session.flush()\n        ids.append(item.id)\n")
    assert reads_id != LOOP
    assert seen({"m.py": reads_id}) == []


def test_flush_then_reading_back_an_attribute_the_code_set_is_still_reported():
    reads_own = LOOP.replace("        db.session.flush()\n", "        db.session.flush()\n        log(item.name)\n")
    assert reads_own != LOOP
    assert seen({"m.py": reads_own}) == [("m.py", 9, "error", MSG)]


def test_flush_inside_a_per_row_try_that_catches_integrity_error_is_quiet():
    guarded = LOOP.replace("        db.session.add(item)\n        db.session.flush()\n",
                           "        try:\n            db.session.add(item)\n            db.session.flush()\n"
                           "        except IntegrityError:\n            db.session.rollback()\n")
    assert guarded != LOOP
    assert seen({"m.py": guarded}) == []


def test_a_query_later_in_the_pass_that_must_see_the_row_is_quiet():
    query = LOOP.replace("        db.session.flush()\n",
                         "        db.session.flush()\n        total = db.session.query(Item).count()\n")
    assert query != LOOP
    assert seen({"m.py": query}) == []


def test_flush_every_hundred_rows_is_quiet():
    periodic = LOOP.replace("    for row in rows:\n", "    for i, row in enumerate(rows):\n").replace(
        "        db.session.flush()\n", "        if i % 100 == 0:\n            db.session.flush()\n")
    assert periodic != LOOP
    assert seen({"m.py": periodic}) == []


def test_a_files_flush_in_a_loop_is_not_a_sessions():
    files = '''
import sys
from sqlalchemy.orm import Session


def dump(fh, rows):
    for row in rows:
        fh.write(row)
        fh.flush()
        sys.stdout.flush()
'''
    assert seen({"m.py": files}) == []


def test_a_session_flush_in_a_program_without_an_orm_is_not_reported():
    no_orm = LOOP.replace("from sqlalchemy.orm import Session\n", "import json\n")
    assert no_orm != LOOP
    assert seen({"m.py": no_orm}) == []


def test_a_get_or_create_through_a_model_lookup_with_autoflush_on_is_quiet():
    # `Tag.by_name()` queries too: with autoflush on, the next pass's lookup flushes the tag
    lookup = '''
from sqlalchemy.orm import Session


def tag_all(db, pkg, names):
    for name in names:
        tag = Tag.by_name(name)
        if not tag:
            tag = Tag(name=name)
            db.session.add(tag)
        pkg.tags.append(name)
        db.session.flush()
'''
    assert seen({"m.py": lookup}) == []


def test_a_helper_with_a_session_of_its_own_per_call_is_quiet():
    # `@provide_session` commits when the call returns: the flush is that commit's, once per call
    helper = '''
from sqlalchemy.orm import Session
from app.session import provide_session


@provide_session
def set_value(key, value, session=None):
    session.add(Variable(key=key, val=value))
    session.flush()


def import_all(values):
    for key, value in values.items():
        set_value(key, value)
'''
    assert seen({"m.py": helper}) == []
    assert seen({"m.py": helper.replace("@provide_session\n", "")}) == [
        ("m.py", 8, "error", MSG.replace("db.session", "session"))]


def test_flush_in_a_savepoint_per_row_is_quiet():
    savepoint = LOOP.replace("        db.session.add(item)\n        db.session.flush()\n",
                             "        with db.session.begin_nested():\n            db.session.add(item)\n"
                             "            db.session.flush()\n")
    assert savepoint != LOOP
    assert seen({"m.py": savepoint}) == []


def test_a_get_or_create_inside_no_autoflush_is_reported_without_the_program_setting():
    # the block turns autoflush off for its lookups: the explicit flush is the flush per row
    block = ACTION.replace("        link = db.session.query", "        with db.session.no_autoflush:\n"
                           "          link = db.session.query").replace(
        "        if not link:\n", "          if not link:\n").replace("            new", "              new").replace(
        "            db.session", "              db.session")
    assert "no_autoflush" in block
    default = STORAGE.replace('session_kwargs={"autoflush": False, "autocommit": True}', "session_kwargs={}")
    assert seen({"app/storage.py": default, "app/action.py": block}) == [("app/action.py", 19, "error", MSG)]
