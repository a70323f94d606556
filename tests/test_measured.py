"""The profile join in-process: path-suffix and line/name matching, the pure apply step, loaders."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from perflint.config import load_config
from perflint.engine import scan
from perflint.measured import Site, apply_profile, build_index, unexplained
from perflint.profiles import Entry, Profile, ProfileError, load_profile
from perflint.registry import families, known_codes

SHOP = Path(__file__).resolve().parents[1] / "fixtures" / "profiled"


@pytest.fixture(scope="module")
def shop_run():
    old = Path.cwd()
    os.chdir(SHOP)
    try:
        config = load_config(SHOP / "perflint.toml", known_codes=known_codes(), known_families=families())
        # main() as a plain root (not a run-once CLI entry) and quote() reached from it (not an
        # uncalled public API method): the join divides by the calls of the trace's root
        config = replace(config, entry_roles={"cli-main": False, "public-api": False})
        yield scan([Path(".")], config)
    finally:
        os.chdir(old)


def _profile(*entries: Entry, counted: bool = True, line_is_first: bool = True, total: float = 1.0) -> Profile:
    return Profile("p.pstats", "pstats", tuple(entries), total, counted=counted, line_is_first=line_is_first)


@pytest.mark.parametrize("file", [
    "/home/ci/other-checkout/fixtures/profiled/shop/catalog.py",  # another checkout
    "/venv/lib/python3.11/site-packages/shop/catalog.py",  # installed
    "shop/catalog.py",  # relative, as `python -m cProfile run.py` records it
    "C:\\work\\shop\\catalog.py",  # written on Windows
])
def test_profile_paths_match_by_longest_suffix(shop_run, file):
    index = build_index([_profile(Entry(file, 16, "quote", 7, 0.5, 0.1))], shop_run.program, SHOP)
    assert index.times["shop.catalog.Catalog.quote"].calls == 7
    assert index.reports[0].matched == 1 and index.reports[0].outside == 0


def test_other_files_and_builtins_are_outside(shop_run):
    index = build_index([_profile(
        Entry("/usr/lib/python3.11/copy.py", 128, "deepcopy", 10, 0.4, 0.2),
        Entry("", 0, "<built-in method builtins.len>", 3, 0.0, 0.0),
        Entry("/x/shop/catalog.py", 12, "<dictcomp>", 1, 0.0, 0.0),
        # a bare file name is no evidence for shop/__init__.py: every package has one
        Entry("/usr/lib/python3.11/json/__init__.py", 1, "<module>", 1, 0.0, 0.0),
    )], shop_run.program, SHOP)
    report = index.reports[0]
    assert (report.matched, report.unmatched_in_scan, report.outside) == (0, 1, 3)
    assert index.covered == {"shop/catalog.py"}  # the comprehension still shows the module ran


def test_a_line_inside_the_body_finds_the_enclosing_function(shop_run):
    # py-spy records the line running, not the def: line 18 is inside Catalog.quote
    index = build_index([_profile(Entry("shop/catalog.py", 18, "quote", 0, 0.3, 0.3), counted=False,
                                  line_is_first=False)], shop_run.program, SHOP)
    assert index.times["shop.catalog.Catalog.quote"].counted is False


def test_module_level_maps_to_the_module_scope(shop_run):
    index = build_index([_profile(Entry("run.py", 1, "<module>", 1, 1.0, 0.01))], shop_run.program, SHOP)
    assert set(index.times) == {"run.<module>"}


def _sites(run):
    program = run.program
    sites = {}
    for f in run.result.findings:
        fid = program.function_id(next(m.module for m in program.modules.values() if m.path == f.path), f.function)
        loops = 10.0 if f.function == "Catalog.snapshots" else 1.0
        sites[f.fingerprint] = Site(fid, loops, pinned=False)
    return sites


def test_apply_profile_hands_measured_frequency_to_rescore(shop_run):
    index = build_index([_profile(
        Entry("run.py", 20, "main", 2, 1.0, 0.01),
        Entry("shop/catalog.py", 15, "quote", 50, 0.5, 0.1),
    )], shop_run.program, SHOP)
    seen = {}

    def rescore(f, frequency):
        seen[f.function] = frequency
        return replace(f, frequency=frequency)

    out = apply_profile(shop_run.result.findings, shop_run.program, index, rescore, _sites(shop_run))
    by_function = {f.function: f for f in out}
    # 50 calls of quote per 2 calls of main, its trace's root; no loop around the site in quote
    assert seen["Catalog.quote"] == 25.0
    assert by_function["Catalog.quote"].measured.calls == 50
    assert by_function["Catalog.quote"].measured.share == 0.5
    # snapshots: its module ran, it did not -> frequency 0, note
    assert seen["Catalog.snapshots"] == 0.0
    assert by_function["Catalog.snapshots"].measured.ran is False
    assert by_function["Catalog.snapshots"].severity == "note"
    # the inputs are untouched (frozen findings, a pure function)
    assert all(f.measured is None for f in shop_run.result.findings)


def test_root_not_in_profile_counts_per_run_times_static_loops(shop_run):
    index = build_index([_profile(
        Entry("shop/catalog.py", 15, "quote", 50, 0.5, 0.1),
        Entry("shop/catalog.py", 20, "snapshots", 4, 0.5, 0.1),
    )], shop_run.program, SHOP)
    seen = {}

    def rescore(f, frequency):
        seen[f.function] = frequency
        return f

    apply_profile(shop_run.result.findings, shop_run.program, index, rescore, _sites(shop_run))
    assert seen["Catalog.quote"] == 50.0  # its root, main, is not in the profile: calls per profile run
    assert seen["Catalog.snapshots"] == 10.0  # its own root: once per call, x 10 trips of its loop


def test_unexplained_skips_functions_with_findings(shop_run):
    index = build_index([_profile(
        Entry("shop/checksum.py", 8, "digest", 1, 0.6, 0.6),
        Entry("shop/catalog.py", 15, "quote", 50, 0.3, 0.3),
    )], shop_run.program, SHOP)
    rows = unexplained(index, shop_run.program, {"shop.catalog.Catalog.quote"})
    assert [(r["function"], r["path"], r["line"], r["calls"]) for r in rows] == [("digest", "shop/checksum.py", 8, 1)]


# -- loaders the real-profiler tests do not reach --------------------------------------------------
def test_evented_speedscope_counts_calls_and_recursion_once(tmp_path):
    doc = {
        "shared": {"frames": [{"name": "main", "file": "run.py", "line": 20}, {"name": "walk", "file": "t.py", "line": 3}]},
        "profiles": [{"type": "evented", "unit": "milliseconds", "startValue": 0, "endValue": 10, "events": [
            {"type": "O", "frame": 0, "at": 0}, {"type": "O", "frame": 1, "at": 1}, {"type": "O", "frame": 1, "at": 2},
            {"type": "C", "frame": 1, "at": 4}, {"type": "C", "frame": 1, "at": 5}, {"type": "O", "frame": 1, "at": 6},
            {"type": "C", "frame": 1, "at": 7}, {"type": "C", "frame": 0, "at": 10}]}],
    }
    path = tmp_path / "austin.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    profile = load_profile(path)
    assert profile.kind == "speedscope" and profile.counted
    walk = next(e for e in profile.entries if e.name == "walk")
    assert walk.calls == 2  # the nested open is recursion: a primitive call count
    assert walk.cumulative == pytest.approx(0.005)  # 1..5 and 6..7 ms
    assert profile.total == pytest.approx(0.010)


def test_evented_speedscope_from_a_sampler_has_no_call_counts(tmp_path):
    doc = {
        "exporter": "pyinstrument", "shared": {"frames": [{"name": "main", "file": "run.py", "line": 20}]},
        "profiles": [{"type": "evented", "unit": "seconds", "startValue": 0, "endValue": 1, "events": [
            {"type": "O", "frame": 0, "at": 0}, {"type": "C", "frame": 0, "at": 1}]}],
    }
    path = tmp_path / "pyinstrument.speedscope.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    profile = load_profile(path)
    assert not profile.counted  # one open per node of pyinstrument's aggregated tree, not per call
    assert profile.entries[0].cumulative == 1.0


def test_pyinstrument_tree_json_counts_recursion_once(tmp_path):
    leaf = {"function": "walk", "file_path": "t.py", "line_no": 3, "time": 0.2, "children": []}
    mid = {"function": "walk", "file_path": "t.py", "line_no": 3, "time": 0.5, "children": [leaf]}
    doc = {"root_frame": {"function": "main", "file_path": "run.py", "line_no": 20, "time": 1.0, "children": [mid]}}
    path = tmp_path / "pi.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    profile = load_profile(path)
    walk = next(e for e in profile.entries if e.name == "walk")
    assert (walk.cumulative, walk.own, walk.calls) == (0.5, 0.5, 0)
    assert profile.total == 1.0 and not profile.counted


def test_speedscope_with_a_non_time_unit_is_refused(tmp_path):
    path = tmp_path / "mem.json"
    path.write_text(json.dumps({"shared": {"frames": []}, "profiles": [
        {"type": "sampled", "unit": "bytes", "samples": [], "weights": []}]}), encoding="utf-8")
    with pytest.raises(ProfileError, match="speedscope unit 'bytes' is not a time unit"):
        load_profile(path)


def test_module_level_findings_are_not_demoted_when_the_import_came_first(shop_run):
    # quote ran, so shop/catalog.py is covered; its module level is not in the profile
    # (imported before profiling started): that says nothing about how often it runs.
    index = build_index([_profile(Entry("shop/catalog.py", 15, "quote", 50, 0.5, 0.1))], shop_run.program, SHOP)
    template = shop_run.result.findings[0]
    module_level = replace(template, function="<module>", fingerprint="module-level:1")
    sites = {"module-level:1": Site("shop.catalog.<module>")}
    (out,) = apply_profile([module_level], shop_run.program, index, lambda f, n: replace(f, severity="note"), sites)
    assert out == module_level
