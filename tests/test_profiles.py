"""Measured heat: real profiles (cProfile, pyinstrument, py-spy) of two workloads, joined to findings."""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from conftest import ROOT, run_cli
from test_formats import SCHEMA_PATH, validate

SHOP = ROOT / "fixtures" / "profiled"
SEEDSQL = ROOT / "fixtures" / "seedsql"
BENCH = ROOT / "bench" / "seedsql_bench.py"
ROWS = 200  # bench/seedsql_bench.py --sizes 200
ORDERS = 600  # fixtures/profiled/run.py ORDERS
PROFILERS = ("cprofile", "pyinstrument", "py-spy")

# The workloads: (script and arguments, folder to scan)
WORKLOADS = {
    "shop": ([str(SHOP / "run.py")], SHOP),
    # --static-only: the bench would otherwise profile its own phases (a profiler inside the profiler)
    "seedsql": ([str(BENCH), "--sizes", str(ROWS), "--static-only"], SEEDSQL),
}


def _memory_backed_tmpdir() -> Dict[str, str]:
    """The environment for a profiled workload, its temporary files in memory where Linux has it.

    The seedsql bench fsyncs every commit. On a disk another job keeps busy, each fsync can wait
    for seconds, the samplers' wall-clock profile becomes nearly all fsync, and every function
    drops under --unexplained's floor (a thousandth of the profile). On tmpfs an fsync returns at
    once, so the shares measure the workload's own work on any machine."""
    env = dict(os.environ)
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        env["TMPDIR"] = str(shm)
    return env


def _profile(profiler: str, argv, out: Path) -> str:
    """Run argv under a profiler, writing `out`; '' on success, else why it could not."""
    if profiler == "cprofile":
        cmd = [sys.executable, "-m", "cProfile", "-o", str(out), *argv]
    elif profiler == "pyinstrument":
        cmd = [sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", str(out), *argv]
    else:
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(spy).exists():
            return "py-spy is not installed (pip install 'perflint-cst[profile]')"
        # py-spy may attach after the shop's first tenth of a second (all of its quotes, on a
        # busy CI machine): run.py idles first, which py-spy leaves out of the profile.
        wait = ["--wait", "2"] if argv[0].endswith("run.py") else []
        cmd = [spy, "record", "--rate", "500", "--format", "speedscope", "-o", str(out), "--", sys.executable, *argv, *wait]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=_memory_backed_tmpdir())
    if proc.returncode != 0 or not out.exists():
        if profiler == "py-spy":  # ptrace refused (a container without CAP_SYS_PTRACE, yama)
            return f"py-spy could not trace the workload here: {(proc.stderr or proc.stdout).strip()[-300:]}"
        raise AssertionError(f"{cmd} failed: {proc.stderr}")
    return ""


@pytest.fixture(scope="session")
def profiles(tmp_path_factory) -> Dict[tuple, Path]:
    """Every workload under every profiler, once per session (each run is well under 2 s)."""
    folder = tmp_path_factory.mktemp("profiles")
    made: Dict[tuple, object] = {}
    suffix = {"cprofile": ".pstats", "pyinstrument": ".pyisession", "py-spy": ".speedscope.json"}
    for workload, (argv, _) in WORKLOADS.items():
        for profiler in PROFILERS:
            out = folder / f"{workload}{suffix[profiler]}"
            why = _profile(profiler, argv, out)
            made[workload, profiler] = out if not why else why
    return made


def _path(profiles, workload: str, profiler: str) -> Path:
    value = profiles[workload, profiler]
    if isinstance(value, str):
        pytest.skip(value)
    return value


@pytest.fixture(scope="session")
def checked(profiles):
    """`perflint check --profile P --unexplained --format json` per (workload, profiler), cached."""
    cache: Dict[tuple, dict] = {}

    def get(workload: str, profiler: str) -> dict:
        key = (workload, profiler)
        if key not in cache:
            path = _path(profiles, workload, profiler)
            r = run_cli(["check", ".", "--no-cache", "--exit-zero", "--min-severity", "note", "--format", "json",
                         "--profile", str(path), "--unexplained"], cwd=WORKLOADS[workload][1])
            assert r.code == 0, r.err
            cache[key] = r.json()
        return cache[key]

    return get


def _finding(report: dict, rule: str, function: str) -> dict:
    hits = [f for f in report["findings"] if f["rule"] == rule and f["function"] == function]
    assert len(hits) == 1, [(f["rule"], f["function"]) for f in report["findings"]]
    return hits[0]


# -- the shop workload: counts, demotion, unexplained ---------------------------------------
def test_cprofile_counts_the_calls_of_the_flagged_function(checked):
    report = checked("shop", "cprofile")
    quote = _finding(report, "PFL101", "Catalog.quote")
    assert quote["measured"]["ran"] is True
    assert quote["measured"]["sampled"] is False
    assert quote["measured"]["calls"] == ORDERS  # run.py quotes ORDERS order lines
    # main() is a command-line entry (runs once, cold) and quote() an uncalled public API
    # method: one call of it is the unit of work, and the profile says it ran once per call
    assert quote["frequency"] == 1.0
    assert 0 < quote["measured"]["share"] < 1 and quote["measured"]["cumulative"] > 0


@pytest.mark.parametrize("profiler", PROFILERS)
def test_code_the_workload_never_runs_is_demoted_to_note(checked, profiler):
    report = checked("shop", profiler)
    snapshots = _finding(report, "PFL101", "Catalog.snapshots")
    assert snapshots["measured"]["ran"] is False
    assert snapshots["severity"] == "note"
    quote = _finding(report, "PFL101", "Catalog.quote")
    # what the profile ran keeps its measured frequency, not the demotion's zero
    assert quote["measured"]["ran"] is True and quote["frequency"] >= 1.0


@pytest.mark.parametrize("profiler", PROFILERS)
def test_unexplained_names_the_function_that_burns_time_without_a_finding(checked, profiler):
    rows = checked("shop", profiler)["unexplained"]
    assert rows[0]["function"] == "digest"
    assert rows[0]["path"] == "shop/checksum.py" and rows[0]["line"] == 8
    assert rows[0]["share"] > 0.2
    assert rows[0]["calls"] == (1 if profiler == "cprofile" else None)  # samplers count no calls
    assert "Catalog.quote" not in {r["function"] for r in rows}  # it carries a finding


@pytest.mark.parametrize("profiler", ("pyinstrument", "py-spy"))
def test_sampled_profiles_give_time_but_no_call_counts(checked, profiler):
    quote = _finding(checked("shop", profiler), "PFL101", "Catalog.quote")
    assert quote["measured"]["sampled"] is True
    assert quote["measured"]["calls"] is None
    assert quote["measured"]["cumulative"] > 0


def test_each_profile_reports_how_much_of_it_matched(checked):
    (entry,) = checked("shop", "cprofile")["profiles"]
    assert entry["format"] == "pstats"
    assert entry["matched"] >= 5  # the module levels, Catalog.__init__/quote, digest, main
    assert entry["functions"] == entry["matched"] + entry["unmatched_in_scan"] + entry["outside"]


# -- the seedsql workload (bench/seedsql_bench.py) -----------------------------------------------
def test_seedsql_findings_are_measured_with_the_workloads_call_counts(checked):
    report = checked("seedsql", "cprofile")
    # The slow twin runs: CREATE, ROWS inserts, ROWS primary-key lookups, then on a reopened
    # database 4 sanity queries and 23 probes; every statement autocommits once.
    statements = 1 + ROWS + ROWS + 4 + 23
    commit = _finding(report, "PFL301", "Session.commit")["measured"]
    assert commit["calls"] == statements
    # Pager.sync: once per commit, plus once when the first session creates the file.
    sync = _finding(report, "PFL402", "Pager.sync")
    assert sync["measured"]["calls"] == statements + 1
    # Its trace's root (Session.executemany) never ran: executions per profile run.
    assert sync["frequency"] == statements + 1
    select = _finding(report, "PFL501", "plan_select")["measured"]
    assert select["calls"] == ROWS + 4 + 23  # every SELECT is planned once


@pytest.mark.parametrize("profiler", ("pyinstrument", "py-spy"))
def test_seedsql_under_samplers_measures_the_hot_findings(checked, profiler):
    report = checked("seedsql", profiler)
    commit = _finding(report, "PFL301", "Session.commit")["measured"]
    # The commit's share: 0.03 with the database in memory (its schema rebuild and a free fsync),
    # up to 0.1 on a disk, and 0.0098 once on a fresh CI machine (a few samples of ~250 at 500 Hz).
    # A sampler that missed it entirely would give 0: any sample of it is the behaviour.
    assert commit["ran"] is True and commit["sampled"] is True and commit["share"] > 0
    assert report["profiles"][0]["matched"] > 0
    assert report["unexplained"], "the bench spends time in functions no rule flags"


def test_seedsql_unexplained_top_is_record_decoding(checked):
    rows = checked("seedsql", "cprofile")["unexplained"]
    assert rows[0]["function"] == "decode_record" and rows[0]["path"] == "seedsql/btree.py"


# -- every output format says "measured" ---------------------------------------------------------
@pytest.fixture(scope="session")
def shop_pstats(profiles) -> Path:
    return _path(profiles, "shop", "cprofile")


def _check(shop_pstats, *extra):
    return run_cli(["check", ".", "--no-cache", "--exit-zero", "--profile", str(shop_pstats), *extra], cwd=SHOP)


def test_text_report_prints_measured_and_the_profile_summary(shop_pstats):
    r = _check(shop_pstats, "--unexplained")
    assert r.code == 0
    lines = r.out.splitlines()
    at = lines.index(next(line for line in lines if "PFL101" in line and ":17:" in line))
    assert lines[at + 2].strip().startswith(f"measured: {ORDERS} calls, ")
    assert lines[at + 2].strip().endswith("of the profile)")
    assert "not run in the profile" in r.out
    assert any(line.startswith(f"Profile {shop_pstats} (pstats, ") for line in lines)
    assert "Unexplained time" in r.out
    assert any(line.strip().startswith("1. shop/checksum.py:8 digest: ") and line.endswith("1 call") for line in lines)


def test_github_sarif_and_gitlab_carry_measured(shop_pstats):
    github = _check(shop_pstats, "--format", "github").out
    assert f"measured: {ORDERS} calls, " in github
    sarif = json.loads(_check(shop_pstats, "--format", "sarif").out)
    if SCHEMA_PATH.is_file():  # the shared SARIF schema, as tests/test_formats.py uses it
        validate(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")), sarif)
    results = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r for r in sarif["runs"][0]["results"]}
    assert results[17]["properties"]["measured"].startswith(f"measured: {ORDERS} calls, ")
    assert results[17]["properties"]["measuredData"]["calls"] == ORDERS
    assert f"measured: {ORDERS} calls" in results[17]["message"]["text"]
    gitlab = json.loads(_check(shop_pstats, "--format", "gitlab", "--min-severity", "note").out)
    described = {i["location"]["lines"]["begin"]: i["description"] for i in gitlab}
    assert f"(measured: {ORDERS} calls, " in described[17]
    assert described[24].endswith("(not run in the profile)")


def test_json_without_profile_has_no_profile_keys(cli):
    r = cli(["check", ".", "--no-cache", "--exit-zero", "--format", "json"], SHOP)
    data = r.json()
    assert "profiles" not in data and "unexplained" not in data
    assert all(f["measured"] is None for f in data["findings"])


def test_pinned_severity_is_not_demoted(shop_pstats, tmp_path):
    config = tmp_path / "perflint.toml"
    config.write_text('min-severity = "note"\n[rules.PFL101]\nseverity = "warning"\n', encoding="utf-8")
    r = run_cli(["check", str(SHOP), "--no-cache", "--exit-zero", "--format", "json", "--config", str(config),
                 "--profile", str(shop_pstats)], cwd=tmp_path)
    snapshots = _finding(r.json(), "PFL101", "Catalog.snapshots")
    assert snapshots["measured"]["ran"] is False
    assert snapshots["severity"] == "warning"


def test_profile_from_config_is_used(shop_pstats, tmp_path):
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project)
    shutil.copy(shop_pstats, project / "run.pstats")
    (project / "perflint.toml").write_text('min-severity = "note"\nprofile = ["run.pstats"]\n', encoding="utf-8")
    r = run_cli(["check", ".", "--no-cache", "--exit-zero", "--format", "json"], cwd=project)
    # Another checkout: the profile's paths point into fixtures/, matched by path suffix.
    assert _finding(r.json(), "PFL101", "Catalog.quote")["measured"]["calls"] == ORDERS


def test_profile_key_errors_name_the_key(tmp_path):
    (tmp_path / "perflint.toml").write_text("profile = 3\n", encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    r = run_cli(["check", "."], cwd=tmp_path)
    assert r.code == 2
    assert "key 'profile': must be a list of strings" in r.err
    (tmp_path / "perflint.toml").write_text('profile = ["gone.pstats"]\n', encoding="utf-8")
    r = run_cli(["check", "."], cwd=tmp_path)
    assert r.code == 2
    assert r.err.strip() == "perflint: error: profile gone.pstats: no such file (from `profile` in perflint.toml)"


# -- bad input ------------------------------------------------------------------------------------
def _bad_files(tmp_path: Path, shop_pstats: Path) -> Dict[str, bytes]:
    good = shop_pstats.read_bytes()
    return {
        "empty.pstats": b"",
        "truncated.pstats": good[: len(good) // 2],
        "image.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        "random.json": b'{"hello": [1, 2, 3]}',
        "truncated.json": b'{"profiles": [{"type": "sampled", ',
        "list.json": b"[1, 2]",
        # a dict marshalled with a type code this Python does not know (another version)
        "other-python.pstats": b"{)\x03\xff\xff\xff",
        "not-stats.pstats": marshal.dumps({"a": 1}),
    }


@pytest.mark.parametrize("name,message", [
    ("empty.pstats", "the file is empty"),
    ("truncated.pstats", "truncated pstats data"),
    ("image.png", "not a profile perflint reads"),
    ("random.json", "JSON, but neither a pyinstrument session"),
    ("truncated.json", "truncated or invalid JSON"),
    ("list.json", "not a profile perflint reads"),
    ("other-python.pstats", "written by another Python version?"),
    ("not-stats.pstats", "not pstats data"),
])
def test_bad_profiles_exit_2_with_one_line(shop_pstats, tmp_path, name, message):
    path = tmp_path / name
    path.write_bytes(_bad_files(tmp_path, shop_pstats)[name])
    r = run_cli(["check", ".", "--no-cache", "--profile", str(path)], cwd=SHOP)
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert r.err.startswith(f"perflint: error: profile {path}: ")
    assert message in r.err


def test_missing_and_folder_profiles(tmp_path):
    r = run_cli(["check", ".", "--no-cache", "--profile", "nope.pstats"], cwd=SHOP)
    assert r.code == 2 and r.err.strip() == "perflint: error: profile nope.pstats: no such file"
    r = run_cli(["check", ".", "--no-cache", "--profile", str(tmp_path)], cwd=SHOP)
    assert r.code == 2 and "is a folder, not a profile file" in r.err


def test_unexplained_needs_a_profile():
    r = run_cli(["check", ".", "--no-cache", "--unexplained"], cwd=SHOP)
    assert r.code == 2 and "--unexplained needs a profile" in r.err


def test_a_profile_of_other_code_warns_that_nothing_matched(profiles, tmp_path):
    other = _path(profiles, "seedsql", "cprofile")
    (tmp_path / "app.py").write_text("def handler():\n    return 1\n", encoding="utf-8")
    r = run_cli(["check", ".", "--no-cache", "--profile", str(other)], cwd=tmp_path)
    assert r.code == 0
    functions = json.loads(run_cli(["check", ".", "--no-cache", "--format", "json", "--profile", str(other)],
                                   cwd=tmp_path).out)["profiles"][0]["functions"]
    assert f"perflint: warning: profile {other}: none of its {functions:,} functions are in the scanned code" in r.err


# -- perflint profile -- CMD ------------------------------------------------------------------------
def test_profile_command_runs_pytest_and_prints_the_check_line(tmp_path):
    project = tmp_path / "shop"  # the walkthrough of docs/profiles.md, on a copy of the fixture
    shutil.copytree(SHOP, project)
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    r = run_cli(["profile", "--", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_shop.py"], cwd=project, env=env)
    assert r.code == 0, r.err
    check_line = r.out.strip().splitlines()[-1]
    assert check_line.startswith("perflint check --profile .perflint_cache/profiles/")
    assert check_line.endswith("-pytest.pstats")
    assert "1 passed" in r.out
    written = project / check_line.split()[-1]
    assert written.is_file()
    report = run_cli([*check_line.split()[1:], "--no-cache", "--exit-zero", "--format", "json"], cwd=project).json()
    assert _finding(report, "PFL101", "Catalog.quote")["measured"]["calls"] == ORDERS


def test_profile_command_runs_python_scripts_and_modules(tmp_path):
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project)
    r = run_cli(["profile", "--output", "a.pstats", "--", "run.py"], cwd=project)
    assert r.code == 0, r.err
    assert r.out.strip().splitlines()[-1] == "perflint check --profile a.pstats"
    r = run_cli(["profile", "-o", "b.pstats", "--", sys.executable, "-m", "shop.checksum"], cwd=project)
    assert r.code == 0, r.err
    assert (project / "b.pstats").is_file()


def test_profile_command_refuses_what_it_cannot_profile(tmp_path):
    r = run_cli(["profile"], cwd=tmp_path)
    assert r.code == 2 and "no command given" in r.err
    r = run_cli(["profile", "--", "no-such-command-xyz"], cwd=tmp_path)
    assert r.code == 2 and r.err.strip() == "perflint: error: no-such-command-xyz: command not found"
    r = run_cli(["profile", "--", "ls"], cwd=tmp_path)
    assert r.code == 2 and "is not a Python program" in r.err
