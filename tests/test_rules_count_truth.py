"""PFL507 count-as-truth-test (issue 13): a count of every row or element made only to ask whether
there is one. Exact lines, severities, frequencies and costs (round costs: orm-row 4 us,
count-row 50 ns, build-element 200 ns)."""

from __future__ import annotations

import pytest

from perflint.testing import lint_sources


def found(src, config, code="PFL507"):
    return [f for f in lint_sources({"m.py": src}, select=(code,), config=config) if f.rule == code]


# -- len() of a queryset, and a queryset tested for truth -----------------------------------------
def test_len_of_a_queryset_compared_with_zero_is_a_note_once_per_call(round_config):
    src = "def f(user):\n    if len(Post.objects.filter(owner=user)) > 0:\n        notify(user)\n"
    (f,) = found(src, round_config)
    # 100 rows of unknown count x orm-row 4 us = 400 us per call, once: under the 1 ms warning
    assert (f.line, f.severity, f.frequency) == (2, "note", 1.0)
    assert f.cost == pytest.approx(100 * 4e-6)
    assert f.message == ("len() of Post.objects.filter(...) (a Django queryset) is only tested for emptiness: "
                         "every row is fetched and built to answer whether there is one")


def test_len_of_a_queryset_per_item_is_a_warning(round_config):
    src = ("def f(users):\n    out = []\n    for u in users:\n"
           "        if len(Post.objects.filter(owner=u).order_by('-id')):\n            out.append(u)\n    return out\n")
    (f,) = found(src, round_config)
    assert (f.line, f.severity, f.frequency) == (4, "error", 100.0)
    assert f.message.startswith("len() of Post.objects.filter(...)... (a Django queryset)")


def test_exists_is_quiet(round_config):
    src = "def f(user):\n    if Post.objects.filter(owner=user).exists():\n        notify(user)\n"
    assert found(src, round_config) == []


def test_a_queryset_name_tested_for_truth_and_not_used_again(round_config):
    src = "def f(user):\n    qs = Post.objects.filter(owner=user)\n    if not qs:\n        return None\n    return 1\n"
    (f,) = found(src, round_config)
    assert (f.line, f.severity) == (3, "note")
    assert f.message == ("qs (Post.objects.filter(...), a Django queryset) is tested for truth and its rows are "
                         "not used: Django fetches every row and builds each to answer whether there is one")


@pytest.mark.parametrize("src", [
    # the rows are read after the test: len() filled the queryset's cache
    "def f(user):\n    qs = Post.objects.filter(owner=user)\n    if len(qs):\n        return list(qs)\n    return []\n",
    "def f(user):\n    qs = Post.objects.filter(owner=user)\n    if qs:\n        for p in qs:\n            p.touch()\n",
    # returned to the caller, who reads it
    "def f(user):\n    qs = Post.objects.filter(owner=user)\n    if qs:\n        return qs\n",
    # len() as a number
    "def f(user):\n    return len(Post.objects.filter(owner=user))\n",
    "def f(user):\n    if len(Post.objects.filter(owner=user)) > 5:\n        notify(user)\n",
    # a list in memory, a manager of self (not Django's)
    "def f(items):\n    if len(items) > 0:\n        return items[0]\n",
    "class C:\n    def f(self):\n        if len(self.objects.filter(x=1)):\n            return 1\n",
    # a single object, not a queryset
    "def f(pk):\n    if Post.objects.get(pk=pk):\n        return 1\n",
    # SQLAlchemy's Query has no __bool__: testing it is always true (a bug, not a cost)
    "def f(session):\n    if session.query(User).filter_by(a=1):\n        return 1\n",
])
def test_near_misses_are_quiet(src, round_config):
    assert found(src, round_config) == []


# -- count() and SELECT COUNT(*) tested for truth -------------------------------------------------
def test_count_tested_for_truth_is_a_note(round_config):
    src = "def f(user):\n    if Post.objects.filter(owner=user).count():\n        notify(user)\n"
    (f,) = found(src, round_config)
    # 100 rows x count-row 50 ns = 5 us: a note even per item of a modest loop
    assert (f.line, f.severity, f.cost) == (2, "note", pytest.approx(100 * 5e-8))
    assert f.message == ("Post.objects.filter(...).count() is only tested for emptiness: the database counts "
                         "every matching row where one would answer")


def test_sqlalchemy_count_and_raw_count(round_config):
    src = ("def f(session, name):\n    return session.query(User).filter_by(name=name).count() > 0\n"
           "def g(cur, n):\n    if cur.execute('SELECT COUNT(*) FROM t WHERE n = ?', (n,)).fetchone()[0]:\n"
           "        return True\n"
           "def h(user):\n    n = Post.objects.filter(owner=user).count()\n    if n == 0:\n        return None\n")
    assert [(f.line, f.severity) for f in found(src, round_config)] == [(2, "note"), (4, "note"), (7, "note")]


@pytest.mark.parametrize("src", [
    "def f(user):\n    return Post.objects.filter(owner=user).count()\n",
    "def f(user):\n    n = Post.objects.filter(owner=user).count()\n    if n:\n        log(n)\n",
    "def f(user):\n    if Post.objects.filter(owner=user).count() > 1:\n        notify(user)\n",
    "def f(cur):\n    if cur.execute('SELECT COUNT(*) FROM t').fetchone()[0] > 10:\n        return 1\n",
    "def f(words):\n    if words.count('x'):\n        return 1\n",
])
def test_count_near_misses_are_quiet(src, round_config):
    assert found(src, round_config) == []


# -- a class whose __len__ counts by work, tested for truth ---------------------------------------
TABLE = ("class Table:\n"
         "    def _read(self):\n"
         "        data = self._storage.read()\n"
         "        return {int(k): v for k, v in data.items()}\n"
         "    def __len__(self):\n"
         "        return len(self._read())\n"
         "{BOOL}"
         "def drain(table):\n"
         "    t = Table()\n"
         "    while t:\n"
         "        t.pop()\n")


def test_truth_test_of_an_object_whose_len_builds_is_a_warning_per_item(round_config):
    (f,) = found(TABLE.replace("{BOOL}", ""), round_config)
    # __len__ builds 100 elements of unknown count x build-element 200 ns = 20 us per test, x100 trips
    assert (f.line, f.severity, f.frequency) == (9, "warning", 100.0)
    assert f.cost == pytest.approx(100 * 2e-7)
    assert f.message == ("`t` (a Table) is tested for truth, and Table has no __bool__: every test calls __len__, "
                         "which builds a dict comprehension calling int() per element of data")


def test_a_class_with_bool_is_quiet(round_config):
    src = TABLE.replace("{BOOL}", "    def __bool__(self):\n        return bool(self._storage.read())\n")
    assert found(src, round_config) == []


@pytest.mark.parametrize("body", [
    "        return len(self._items)\n",  # a stored length: O(1)
    "        return self._count\n",
])
def test_a_cheap_len_is_quiet(body, round_config):
    src = ("class Bag:\n    def __len__(self):\n" + body +
           "def f():\n    b = Bag()\n    while b:\n        b.pop()\n")
    assert found(src, round_config) == []


def test_a_parameter_rebound_on_one_path_is_not_a_known_queryset(round_config):
    src = ("def f(user, qs=None):\n    if qs is None:\n        qs = Post.objects.filter(owner=user)\n"
           "    if qs:\n        notify(user)\n")
    assert found(src, round_config) == []
