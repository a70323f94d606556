"""Causes of FALSE warnings found in session twelve (run 14: the never-seen corpora FlexGet,
django CMS, Kiwi TCMS, Misago and OctoPrint). Each test fails on the code before its change."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code):
    return [(f.line, f.severity, f.message) for f in
            lint_sources({"m.py": src}, select=(code,), config=Config(min_severity="note"))
            if f.rule == code and f.path == "m.py"]


# -- the else of `if self.x:` that fills self.x runs on a first use -------------------------
LOGIN = '''
from app.db import User


class Lister:
    def authenticate(self, session):
        if self.cookies:
            user = self.cookies
        else:
            user = session.query(User).filter(User.name == self.login).one_or_none()
            if user:
                self.cookies = user.cookies

    def add_all(self, entries, session):
        for entry in entries:
            self.authenticate(session)
            self.send(entry)
'''


def test_else_that_fills_the_tested_attribute_runs_once() -> None:
    # FlexGet's IMDb list login: the stored login is read once, then the cookies are kept
    assert [(line, severity) for line, severity, _ in found(LOGIN, "PFL503")] == [(10, "note")]
    # the else fills something else: every call of the loop queries again
    other = LOGIN.replace("self.cookies = user.cookies", "self.other = user.cookies")
    assert [(line, severity) for line, severity, _ in found(other, "PFL503")] == [(10, "error")]
    # `if self.cookies is not None:` reads the same way
    spelled = LOGIN.replace("if self.cookies:", "if self.cookies is not None:")
    assert [(line, severity) for line, severity, _ in found(spelled, "PFL503")] == [(10, "note")]


# -- one HTTP call to another service per web request is a note ------------------------------
ROUTES = '''
import psycopg2
import requests
from flask import Flask

app = Flask(__name__)


class Geo:
    def lookup(self, q):
        return requests.get("https://geo.example/q", params={"q": q}).json()


@app.route("/geo")
def geo():
    return Geo().lookup("x")


@app.route("/db")
def db():
    conn = psycopg2.connect("dbname=x")
    return conn.cursor().execute("SELECT 1")
'''

LOOPED = ROUTES + '''

@app.route("/geo-many")
def geo_many(queries):
    g = Geo()
    return [g.lookup(q) for q in queries]
'''


def test_http_call_once_per_request_is_a_note() -> None:
    # OctoPrint's backup restore and update-check overlays (FALSE), pretix's geocoding view
    # (PLAUSIBLE): the handshake is a small share of the remote call; a database connection
    # per request still costs more than the request's query
    assert [(line, severity) for line, severity, _ in found(ROUTES, "PFL403")] == [(11, "note"), (21, "warning")]
    # repeated within the request, the throwaway session is a connection per item
    assert [(line, severity) for line, severity, _ in found(LOOPED, "PFL403")] == [(11, "error"), (21, "warning")]


# -- a reload of the object in hand is not N+1 ---------------------------------------------
MOVES = '''
from app.models import Category


def move_children(target, new_parent):
    for child in target.get_children():
        child = Category.objects.get(pk=child.pk)
        child.move_to(new_parent, "last-child")
'''


def test_reload_of_the_loop_object_is_not_n_plus_one() -> None:
    # Misago's category delete: each tree move changes the next child's tree fields
    assert found(MOVES, "PFL503") == []
    # a lookup of another object per child is still one query per item
    other = MOVES.replace("child = Category.objects.get(pk=child.pk)", "parent = Category.objects.get(pk=child.parent_id)")
    assert [(line, severity) for line, severity, _ in found(other, "PFL503")] == [(7, "error")]
    sqla = MOVES.replace("Category.objects.get(pk=child.pk)", "session.get(Category, child.id)").replace(
        "def move_children(target, new_parent):", "def move_children(target, new_parent, session):")
    assert found(sqla, "PFL503") == []
    assert [line for line, _, _ in found(sqla.replace("child.id)", "child.parent_id)"), "PFL503")] == [7]


def test_else_that_fills_a_local_is_per_call() -> None:
    # pulpcore's upload: `content = self.retrieve(data)`, then `else: content = create(...)`
    src = '''
from app.models import Content


def upload(items, retrieve):
    for data in items:
        content = retrieve(data)
        if content is not None:
            content.touch()
        else:
            content = Content.objects.create(**data)
'''
    assert [(line, severity) for line, severity, _ in found(src, "PFL503")] == [(11, "error")]


# -- a loop over a parameter every caller passes as a one-item list --------------------------
COMMENTS = '''
from app.models import Comment


def add_comment(objs, text, user):
    for obj in objs:
        Comment.objects.create(object_pk=obj.pk, user=user, comment=text)


def close(bug, user):
    add_comment([bug], "closed", user)


def reopen(bug, user):
    add_comment([bug], "reopened", user)
'''


def test_loop_over_a_parameter_sized_by_every_caller() -> None:
    # Kiwi TCMS's comment helper: every caller passes [bug]; one insert per call
    assert found(COMMENTS, "PFL503") == []
    # one caller passes a list it built: the bound is unknown again
    built = COMMENTS + '''

def comment_all(bugs, user):
    add_comment(list(bugs), "bulk", user)
'''
    assert [(line, severity) for line, severity, _ in found(built, "PFL503")] == [(7, "error")]
    # sizes are the largest display passed: three items per call is still three inserts
    three = COMMENTS.replace('add_comment([bug], "closed", user)', 'add_comment([bug, bug.parent, bug.dup], "closed", user)')
    assert [(line, severity) for line, severity, _ in found(three, "PFL503")] == [(7, "note")]
