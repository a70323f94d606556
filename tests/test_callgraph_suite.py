"""The call-graph suite: one small program per feature, exact expected edges, both ways."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

from perflint.analyze import Analyzer
from perflint.callgraph import Program
from perflint.discovery import SourceFile

SUITE = Path(__file__).resolve().parents[1] / "fixtures" / "callgraph"
PRECISION_BAR = 0.99
RECALL_BAR = 0.80


def _folders() -> List[Path]:
    return sorted(p for p in SUITE.iterdir() if (p / "EDGES").is_file())


def _expected(folder: Path) -> Tuple[Set[Tuple[str, str]], Dict[Tuple[str, str], str]]:
    edges: Set[Tuple[str, str]] = set()
    kinds: Dict[Tuple[str, str], str] = {}
    for line in (folder / "EDGES").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("kind "):
            pair, _, kind = line[5:].partition(" = ")
            caller, _, callee = pair.partition(" -> ")
            kinds[(caller.strip(), callee.strip())] = kind.strip()
            continue
        caller, _, callee = line.partition(" -> ")
        edges.add((caller.strip(), callee.strip()))
    return edges, kinds


def link(folder: Path) -> Program:
    analyzer = Analyzer([])
    summaries = []
    for file in sorted(folder.rglob("*.py")):
        rel = file.relative_to(folder).as_posix()
        module = rel[:-3].replace("/", ".")
        is_pkg = module.endswith(".__init__") or module == "__init__"
        if is_pkg:
            module = module[: -len(".__init__")]
        summaries.append(analyzer.analyze_bytes(SourceFile(file, rel, module, is_pkg, False), file.read_bytes()))
    return Program(summaries)


def found_edges(program: Program) -> Dict[Tuple[str, str], str]:
    out: Dict[Tuple[str, str], str] = {}
    for caller in sorted(program.edges):
        for edge in program.edges[caller]:
            out.setdefault((edge.caller, edge.callee), getattr(edge, "kind", "exact"))
    return out


@pytest.fixture(scope="module")
def results():
    out = {}
    for folder in _folders():
        expected, kinds = _expected(folder)
        out[folder.name] = (expected, kinds, found_edges(link(folder)))
    return out


@pytest.mark.parametrize("name", [p.name for p in _folders()])
def test_no_false_edges(results, name):
    expected, _, found = results[name]
    assert sorted(set(found) - expected) == []


@pytest.mark.parametrize("name", [p.name for p in _folders()])
def test_expected_edges_and_kinds(results, name):
    expected, kinds, found = results[name]
    assert sorted(expected - set(found)) == []
    for pair, kind in kinds.items():
        assert found.get(pair) == kind, pair


def suite_figures(results) -> Tuple[int, int, int, int]:
    """(edges found, of them true, edges expected, of them found) over the whole suite."""
    found_n = true_n = expected_n = hit_n = 0
    for expected, _, found in results.values():
        found_n += len(found)
        true_n += len(set(found) & expected)
        expected_n += len(expected)
        hit_n += len(expected & set(found))
    return found_n, true_n, expected_n, hit_n


def test_suite_precision_and_recall_bars(results, capsys):
    found_n, true_n, expected_n, hit_n = suite_figures(results)
    precision = true_n / found_n if found_n else 1.0
    recall = hit_n / expected_n
    with capsys.disabled():
        print(f"\ncall-graph suite: precision {true_n}/{found_n} = {precision:.1%}, "
              f"recall {hit_n}/{expected_n} = {recall:.1%}")
    assert precision >= PRECISION_BAR
    assert recall >= RECALL_BAR
