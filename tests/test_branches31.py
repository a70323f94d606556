"""One finding per cause, priced per pass (session 31): sites of one cause in different branches
of one `if` are alternatives, so the finding adds the costliest branch, not every branch (an
if/elif chain that sends one of three requests per item sends one; client31's iTunes warning
was priced as three)."""

from __future__ import annotations

import pytest

from perflint.config import Config
from perflint.testing import lint_sources

CONNECT = 3e-3  # connect-network, per execution


def only(src):
    found = [f for f in lint_sources({"m.py": src}, select=("PFL403",), config=Config(min_severity="note"))]
    assert len(found) == 1
    return found[0]


def test_sites_in_the_branches_of_an_if_elif_chain_count_once():
    f = only('''
import requests

def fetch(kind, url, items):
    for item in items:
        if kind == "get":
            requests.get(url)
        elif kind == "put":
            requests.put(url, data=item)
        else:
            requests.delete(url)
''')
    assert (f.line, len(f.related)) == (7, 2)
    assert f.cost == pytest.approx(CONNECT) and f.score == pytest.approx(CONNECT * 100 * 0.25)


def test_a_site_beside_an_if_runs_with_either_branch():
    f = only('''
import requests

def sync(url, items):
    for item in items:
        requests.get(url)
        if item:
            requests.put(url, data=item)
        else:
            requests.delete(url)
''')
    assert f.cost == pytest.approx(2 * CONNECT)


def test_sites_in_one_branch_all_run():
    # near miss: two requests in the same branch are both sent
    f = only('''
import requests

def sync(url, items):
    for item in items:
        if item:
            requests.get(url)
            requests.put(url, data=item)
''')
    assert f.cost == pytest.approx(2 * CONNECT)


def test_nested_ifs_take_the_costliest_path():
    f = only('''
import requests

def sync(url, items, full):
    for item in items:
        if full:
            requests.get(url)
            if item:
                requests.put(url, data=item)
        else:
            requests.delete(url)
''')
    assert f.cost == pytest.approx(2 * CONNECT)


def test_the_explanation_says_one_branch_runs(tmp_path, cli):
    (tmp_path / "m.py").write_text('''
import requests

def fetch(kind, url, items):
    for item in items:
        if kind == "get":
            requests.get(url)
        else:
            requests.delete(url)
''', encoding="utf-8")
    text = cli(["check", ".", "--select", "PFL403", "--no-cache", "--explain-scores", "--min-severity", "note"],
               tmp_path).out
    assert "summed over 2 sites of this cause, one branch of each `if`" in text
