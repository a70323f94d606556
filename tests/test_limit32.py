"""Rows under a stated limit (repetition.limit_bound): a loop over a top-N query, a slice with a
stated stop or an islice makes at most N trips, not loop-trips (ckan's stats page, labelled in
run 14: "the trace's x100 is wrong, the rows come from a query with LIMIT 10")."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code="PFL503"):
    return {f.function: f for f in lint_sources({"m.py": src}, select=(code,), config=Config(min_severity="note"))
            if f.rule == code}


LIMITED = '''
import itertools
from collections import Counter
from sqlalchemy import select, func

class Stats:
    @classmethod
    def largest_groups(cls, limit: int = 10):
        s = select(pkg.c.owner, func.count(pkg.c.id)).group_by(pkg.c.owner).limit(limit)
        res_ids = Session.execute(s).fetchall()
        return [(Session.get(Group, str(gid)), val) for gid, val in res_ids]

def top(session):
    rows = session.query(T.id).order_by(T.n.desc()).limit(25).all()
    return [session.get(U, r.id) for r in rows]

def top_dj(n=10):
    for t in Tag.objects.order_by("-n")[:n]:
        User.objects.get(pk=t.user_id)

def first_page(qs, size=20):
    for x in itertools.islice(qs, size):
        Item.objects.get(pk=x)

def counted(words):
    for w, n in Counter(words).most_common(50):
        Word.objects.get(text=w)

def top5(session):
    for r in session.query(T.id).limit(5):
        session.get(U, r.id)
'''


def test_a_loop_over_rows_under_a_stated_limit_counts_the_limit():
    got = {name: (f.line, f.frequency, f.severity, f.trace[-1].note) for name, f in found(LIMITED).items()}
    assert got == {
        "Stats.largest_groups": (11, 10.0, "warning", "list comprehension, x10 (res_ids, at most 10 rows: a stated limit)"),
        "top": (15, 25.0, "warning", "list comprehension, x25 (rows, at most 25 rows: a stated limit)"),
        "top_dj": (19, 10.0, "warning", "for loop, x10 (a slice of at most 10 items: a stated limit)"),
        "first_page": (23, 20.0, "warning", "for loop, x20 (islice(20): at most 20 items, a stated limit)"),
        "counted": (27, 50.0, "error", "for loop, x50 (most_common(50): at most 50 items, a stated limit)"),
        # five rows are a handful, not evidence of a loop over data
        "top5": (31, 5.0, "note", "for loop, x5 (limit(5): at most 5 items, a stated limit)"),
    }


UNSTATED = '''
from sqlalchemy import select

class Stats:
    @classmethod
    def top_tags(cls, limit=10):
        limit = min(limit, 500)
        s = select(tag.c.id).limit(limit)
        res = Session.execute(s).fetchall()
        return [Session.get(Tag, t) for t, in res]

    @classmethod
    def all_groups(cls, limit=10):
        s = select(pkg.c.owner).limit(limit)
        s = select(pkg.c.owner)
        res_ids = Session.execute(s).fetchall()
        return [Session.get(Group, gid) for gid, in res_ids]

def pager(items, start=0, stop=None):
    for x in items[start:stop]:
        Item.objects.get(pk=x)

def every_other(items):
    for x in items[::2]:
        Item.objects.get(pk=x)

def times(n=3):
    for i in range(n):
        Item.objects.get(pk=i)
'''


def test_a_limit_the_code_does_not_state_leaves_the_bound_unknown():
    # a parameter rebound (min(limit, 500)), a statement rebound without its limit, a slice
    # without a stop or with a step; a parameter's default bounds a limit, not range(n)
    got = {name: f.trace[-1].note for name, f in found(UNSTATED).items()}
    assert set(got) == {"Stats.top_tags", "Stats.all_groups", "pager", "every_other", "times"}
    assert all(note.endswith("(unknown bound: loop-trips)") for note in got.values()), got


def test_a_parameter_changed_in_place_says_nothing_of_its_default():
    src = '''
def top(session, limit=10):
    limit += 90
    rows = session.query(T.id).limit(limit).all()
    return [session.get(U, r.id) for r in rows]
'''
    (f,) = found(src).values()
    assert f.trace[-1].note.endswith("(unknown bound: loop-trips)")
