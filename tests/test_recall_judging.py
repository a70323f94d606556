"""bench/recall.py's judgement: which findings count as catching a real bug (no scans run)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def recall():
    spec = importlib.util.spec_from_file_location("recall_bench", ROOT / "bench" / "recall.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["recall_bench"] = module
    spec.loader.exec_module(module)
    return module


SOURCE = '''\
import functools

class Store:
    @functools.lru_cache()
    def cached(self):
        return 1

    def save(self, rows):
        for row in rows:
            self.conn.commit()

def outer(items):
    def inner(x):
        return x
    return [inner(i) for i in items]
'''


@pytest.fixture()
def tree(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "store.py").write_text(SOURCE)
    return tmp_path


def test_function_spans_cover_decorators_and_nesting(recall):
    spans = recall.function_spans(SOURCE)
    assert spans["Store.cached"] == (4, 6)
    assert spans["Store.save"] == (8, 10)
    assert spans["outer.inner"] == (13, 14)
    assert recall.enclosing(spans, 10) == "Store.save"
    assert recall.enclosing(spans, 14) == "outer.inner"
    assert recall.enclosing(spans, 1) == "<module>"


def _case(**extra):
    case = {"id": "demo-commit", "family": "sync", "repo": "o/n", "buggy": "a" * 40,
            "fixed": "b" * 40, "path": "pkg/store.py", "function": "Store.save", "line": 10,
            "hot_caller": ""}
    case.update(extra)
    return case


def _finding(path, line, function, trace=(), severity="warning", rule="PFL402", family="sync"):
    return {"rule": rule, "family": family, "severity": severity, "path": path, "line": line, "function": function,
            "trace": [{"path": p, "line": ln, "function": f} for p, ln, f in trace]}


def test_only_a_finding_of_the_case_family_catches(recall, tree):
    # faf's per-row flush: an N+1 query in the same function is another bug, left by the fix
    assert not recall.matches(_finding("pkg/store.py", 10, "Store.save", rule="PFL503", family="fastpath"), _case(), tree)


def test_a_finding_in_the_function_span_catches(recall, tree):
    assert recall.matches(_finding("pkg/store.py", 10, "Store.save"), _case(), tree)


def test_a_trace_counts_only_where_it_ends(recall, tree):
    # Reported at a call site above, trace ending in the buggy function: caught.
    above = _finding("pkg/api.py", 3, "load", trace=[("pkg/api.py", 3, "load"), ("pkg/store.py", 9, "Store.save")])
    assert recall.matches(above, _case(), tree)
    # A cost deeper down whose trace merely crosses the buggy function: not this bug.
    below = _finding("pkg/codec.py", 40, "decode",
                     trace=[("pkg/api.py", 3, "load"), ("pkg/store.py", 9, "Store.save"), ("pkg/codec.py", 12, "read")])
    assert not recall.matches(below, _case(), tree)


def test_a_finding_at_the_hot_caller_needs_a_trace_to_the_function(recall, tree):
    case = _case(hot_caller="pkg/api.py:load")
    reaching = _finding("pkg/api.py", 5, "load", trace=[("pkg/store.py", 9, "Store.save"), ("pkg/x.py", 1, "f")])
    elsewhere = _finding("pkg/api.py", 5, "load", trace=[("pkg/x.py", 1, "f")])
    assert recall.matches(reaching, case, tree)
    assert not recall.matches(elsewhere, case, tree)


def test_cases_of_one_commit_share_one_scan(recall):
    bugs = [_case(id="demo-a"), _case(id="demo-b", path="other/mod.py", hot_caller="pkg/api.py:load")]
    trees = recall.needed_trees(bugs, [])
    assert [(t.commit[:1], t.folders) for t in trees] == [("a", ("other", "pkg")), ("b", ("other", "pkg"))]


def test_graph_reachability_and_node_lookup(recall):
    graph = {"nodes": [{"id": "pkg.store.Store.save", "path": "pkg/store.py", "line": 8, "heat": 10.0},
                       {"id": "pkg.api.load", "path": "pkg/api.py", "line": 1, "heat": 1.0},
                       {"id": "pkg.api.Loader.load", "path": "pkg/api.py", "line": 20, "heat": 1.0}],
             "edges": [{"caller": "pkg.api.load", "callee": "pkg.api.helper"},
                       {"caller": "pkg.api.helper", "callee": "pkg.store.Store.save"}]}
    assert recall.graph_node(graph, "pkg/api.py", "load", (1, 5))["id"] == "pkg.api.load"
    assert recall.graph_node(graph, "pkg/api.py", "load", (20, 25))["id"] == "pkg.api.Loader.load"
    assert recall.reaches(graph, "pkg.api.load", "pkg.store.Store.save")
    assert not recall.reaches(graph, "pkg.api.Loader.load", "pkg.store.Store.save")


def test_unknown_case_id_is_a_usage_error(recall, capsys):
    assert recall.main(["--id", "no-such-case"]) == 2
    assert "unknown case id(s): no-such-case" in capsys.readouterr().err


def test_a_missing_config_is_a_usage_error(recall, capsys, tmp_path):
    assert recall.main(["--config", str(tmp_path / "absent.toml")]) == 2
    assert "no config file at" in capsys.readouterr().err


def test_a_config_reaches_the_scan_and_keys_the_cache(recall, tmp_path):
    # A local mirror of one commit: the what-if config must change what the scan reports, and a
    # cached result of the default run must not answer for it.
    work = tmp_path / "work"
    (work / "pkg").mkdir(parents=True)
    (work / "pkg" / "store.py").write_text(SOURCE)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(work)]
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "demo"]):
        subprocess.run(git + args, check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    mirrors = tmp_path / "mirrors"
    (mirrors / "demo+repo").mkdir(parents=True)
    (work / ".git").rename(mirrors / "demo+repo" / "repo")
    tree = recall.Tree("demo/repo", commit, ("pkg",))
    cache = tmp_path / "cache"
    default = recall.run_perflint(tree, mirrors, cache, "fp", "check")
    assert "PFL402" in {f["rule"] for f in default}
    config = tmp_path / "whatif.toml"
    config.write_text('ignore = ["PFL402"]\n')
    whatif = recall.run_perflint(tree, mirrors, cache, "fp", "check", config)
    assert "PFL402" not in {f["rule"] for f in whatif}
    assert "PFL402" in {f["rule"] for f in recall.run_perflint(tree, mirrors, cache, "fp", "check")}
