"""Session thirty-one: the else of `if key in cache [and <fresh>]:` that fills the cache runs on a
miss only, as the body of `if key not in cache:` does (repetition.else_once_reason).

Found while measuring the agate31 branch: a call on the elements of mlflow's list of five
credential providers newly linked each provider's `get_config`. One of them reads an OAuth
token file only when the copy it keeps in os.environ (with an expiry time) is missing or stale,
in the else of such a test. That read became an error at 5,000 calls per unit of work (a FALSE
look: it runs once per five minutes). The tests fail on the code before the change."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code):
    return [(f.line, f.severity, f.message) for f in
            lint_sources({"m.py": src}, select=(code,), config=Config(min_severity="note"))
            if f.rule == code and f.path == "m.py"]


USERS = '''import time

from app.db import User


class Directory:
    def __init__(self):
        self.users = {}
        self.loaded = {}

    def user(self, session, name):
        if name in self.users and self.loaded[name] > time.time() - 300:
            found = self.users[name]
        else:
            found = session.query(User).filter(User.name == name).one_or_none()
            self.users[name] = found
            self.loaded[name] = time.time()
        return found

    def add_all(self, names, session):
        for name in names:
            self.user(session, name)
'''

QUERY_LINE = USERS.splitlines().index("            found = session.query(User).filter(User.name == name).one_or_none()") + 1


def test_else_of_a_hit_test_that_fills_the_cache_is_a_miss() -> None:
    # a cache with a time to live: the query runs when the entry is missing or stale
    assert [(line, severity) for line, severity, _ in found(USERS, "PFL503")] == [(QUERY_LINE, "note")]
    # the plain hit test, without the expiry, reads the same way
    plain = USERS.replace(" and self.loaded[name] > time.time() - 300:", ":")
    assert [(line, severity) for line, severity, _ in found(plain, "PFL503")] == [(QUERY_LINE, "note")]


def test_buggy_else_that_fills_another_container_queries_per_item() -> None:
    # the hit test checks one dict and the else fills another: every call may miss
    other = USERS.replace("            self.users[name] = found\n", "            self.seen[name] = found\n")
    assert [(line, severity) for line, severity, _ in found(other, "PFL503")] == [(QUERY_LINE, "error")]


def test_near_miss_an_or_of_tests_is_no_hit_test() -> None:
    # `name in self.users or force`: the else runs when neither holds, nothing says how often
    ored = USERS.replace(" and self.loaded[name] > time.time() - 300:", " or self.loaded:")
    assert [(line, severity) for line, severity, _ in found(ored, "PFL503")] == [(QUERY_LINE, "error")]
