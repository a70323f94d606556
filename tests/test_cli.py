"""The CLI as a user runs it: exit codes, JSON field by field, config and parse errors."""

from __future__ import annotations

import json

from conftest import round_costs, write

SMELLY = (
    "import os\n"
    "\n"
    "def load(fd, rows):\n"
    "    for row in rows:\n"
    "        os.write(fd, row)\n"
    "        os.fsync(fd)\n"
    "\n"
    "def close(fd):\n"
    "    os.fsync(fd)\n"
)


def test_json_output_matches_the_finding_model(tmp_path, cli):
    write(tmp_path, {"pages.py": SMELLY})
    round_costs(tmp_path)  # fsync 100 us, fsync over fdatasync 20 us
    r = cli(["check", ".", "--format", "json"], tmp_path)
    assert r.code == 1
    data = r.json()
    assert list(data) == ["version", "schema", "findings", "errors", "summary"]
    assert data["schema"] == 2
    # seconds per unit of work: 20 us x 100 (an unknown loop) and 100 us x 100
    assert data["summary"] == {"files": 1, "findings": {"error": 1, "warning": 1, "note": 0}, "score": 0.012}
    first = data["findings"][0]
    assert first == {
        "rule": "PFL401", "name": "fsync-where-fdatasync", "family": "sync", "severity": "warning",
        "score": 0.002, "confidence": "high", "path": "pages.py", "line": 6, "column": 9,
        "end_line": 6, "end_column": 21, "function": "load",
        "message": "os.fsync() also flushes file metadata; os.fdatasync() is enough for data files",
        "fix": first["fix"], "trace": [
            {"path": "pages.py", "line": 3, "function": "load",
             "note": "no callers in the scanned code: runs once per call (set `hot` if it runs per request or row)"},
            {"path": "pages.py", "line": 4, "function": "load", "note": "for loop, x100 (unknown bound: loop-trips)"},
        ],
        "cost": 2e-05, "frequency": 100.0, "related": [], "measured": None,
    }
    assert "fdatasync" in first["fix"]
    assert [f["rule"] for f in data["findings"]] == ["PFL401", "PFL402"]


def test_same_call_is_a_note_when_cold_and_a_warning_in_a_loop(tmp_path, cli):
    write(tmp_path, {"pages.py": SMELLY})
    round_costs(tmp_path)
    r = cli(["check", ".", "--format", "json", "--min-severity", "note"], tmp_path)
    sev = {(f["rule"], f["line"]): f["severity"] for f in r.json()["findings"]}
    assert sev[("PFL401", 9)] == "note"
    assert sev[("PFL401", 6)] == "warning"
    assert ("PFL402", 9) not in sev


def test_exit_codes(tmp_path, cli):
    write(tmp_path, {"clean.py": "def f():\n    return 1\n"})
    assert cli(["check", "."], tmp_path).code == 0
    write(tmp_path, {"pages.py": SMELLY})
    round_costs(tmp_path)  # fsync 100 us: x100 rows is 10 ms, an error
    assert cli(["check", "."], tmp_path).code == 1
    assert cli(["check", ".", "--exit-zero"], tmp_path).code == 0
    assert cli(["check", ".", "--fail-on", "error"], tmp_path).code == 1  # an fsync per row is an error
    assert cli(["check", ".", "--fail-on", "error", "--select", "PFL401"], tmp_path).code == 0
    assert cli(["check", ".", "--select", "PFL999"], tmp_path).code == 2
    assert cli(["check", ".", "--format", "nope"], tmp_path).code == 2


def test_text_output_has_location_context_trace_and_summary(tmp_path, cli):
    write(tmp_path, {"pages.py": SMELLY})
    round_costs(tmp_path)
    r = cli(["check", "."], tmp_path)
    assert ("pages.py:6:9: PFL401 os.fsync() also flushes file metadata; os.fdatasync() is enough for "
            "data files (fsync-where-fdatasync, warning, 2 ms/unit = 20 µs x 100)") in r.out
    assert "= in a for loop in load" in r.out
    assert "fix: use os.fdatasync(fd)" in r.out
    assert "Found 2 findings (1 error, 1 warning, 0 note) in 1 file; estimated 12 ms wasted per unit of work." in r.out
    assert "\x1b[" not in r.out  # no colour when not a terminal


def test_output_file(tmp_path, cli):
    write(tmp_path, {"pages.py": SMELLY})
    round_costs(tmp_path)
    r = cli(["check", ".", "--format", "json", "--output", "report.json"], tmp_path)
    assert r.out == ""
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["findings"] == {
        "error": 1, "warning": 1, "note": 0}


def test_parse_error_is_reported_and_the_run_goes_on(tmp_path, cli):
    write(tmp_path, {"bad.py": "def f(:\n", "pages.py": SMELLY})
    round_costs(tmp_path)
    r = cli(["check", ".", "--format", "json"], tmp_path)
    data = r.json()
    assert r.code == 1
    assert data["errors"][0]["path"] == "bad.py"
    assert "syntax error" in data["errors"][0]["message"]
    pfl000 = [f for f in data["findings"] if f["rule"] == "PFL000"]
    assert pfl000 and pfl000[0]["name"] == "parse-error" and pfl000[0]["severity"] == "error"
    assert {f["rule"] for f in data["findings"]} == {"PFL000", "PFL401", "PFL402"}


def test_suppressions(tmp_path, cli):
    src = SMELLY.replace("os.fsync(fd)\n\ndef", "os.fsync(fd)  # perflint: ignore[PFL402]\n\ndef")
    write(tmp_path, {"pages.py": src})
    round_costs(tmp_path)
    rules = [f["rule"] for f in cli(["check", ".", "--format", "json"], tmp_path).json()["findings"]]
    assert rules == ["PFL401"]
    write(tmp_path, {"pages.py": SMELLY.replace("os.fsync(fd)\n\ndef", "os.fsync(fd)  # noqa: PFL401\n\ndef")})
    assert [f["rule"] for f in cli(["check", ".", "--format", "json"], tmp_path).json()["findings"]] == ["PFL402"]
    write(tmp_path, {"pages.py": SMELLY.replace("os.fsync(fd)\n\ndef", "os.fsync(fd)  # perflint: ignore\n\ndef")})
    assert cli(["check", ".", "--format", "json"], tmp_path).json()["findings"] == []


def test_select_ignore_by_code_prefix_and_family(tmp_path, cli):
    write(tmp_path, {"pages.py": SMELLY})
    round_costs(tmp_path)

    def rules(*args):
        return sorted({f["rule"] for f in cli(["check", ".", "--format", "json", *args], tmp_path).json()["findings"]})

    assert rules("--select", "PFL401") == ["PFL401"]
    assert rules("--ignore", "PFL40") == []
    assert rules("--select", "sync", "--ignore", "PFL402") == ["PFL401"]
    assert rules("--select", "clone") == []


def test_config_file_is_found_and_validated(tmp_path, cli):
    round_costs(tmp_path)  # costs.toml: fsync over fdatasync 20 us, so PFL401 per row is a warning
    (tmp_path / "perflint.toml").unlink()
    write(tmp_path, {"pkg/pages.py": SMELLY,
                     "pyproject.toml": "[tool.perflint]\ncosts = 'costs.toml'\nignore = ['PFL402']\n"})
    r = cli(["check", "pkg", "--format", "json"], tmp_path)
    assert {f["rule"] for f in r.json()["findings"]} == {"PFL401"}
    # perflint.toml wins over pyproject.toml
    write(tmp_path, {"perflint.toml": "costs = 'costs.toml'\nignore = ['PFL401']\n"})
    assert {f["rule"] for f in cli(["check", "pkg", "--format", "json"], tmp_path).json()["findings"]} == {"PFL402"}
    write(tmp_path, {"perflint.toml": "loop-factr = 3\n"})
    r = cli(["check", "pkg"], tmp_path)
    assert r.code == 2
    assert r.err.strip() == f"perflint: error: {tmp_path / 'perflint.toml'}: perflint.toml key 'loop-factr': unknown key"
    write(tmp_path, {"perflint.toml": "select = ['PFL777']\n"})
    r = cli(["check", "pkg"], tmp_path)
    assert r.code == 2 and "key 'select': unknown rule code" in r.err
    write(tmp_path, {"perflint.toml": "loop-trips = 'ten'\n"})
    r = cli(["check", "pkg"], tmp_path)
    assert r.code == 2 and "key 'loop-trips': must be a number" in r.err
    write(tmp_path, {"perflint.toml": "[severity]\nwarning = 50\n"})
    r = cli(["check", "pkg"], tmp_path)
    assert r.code == 2 and "key 'severity.warning': must be a time with a unit, such as \"100us\"" in r.err
    write(tmp_path, {"perflint.toml": "[severity]\nwarning = '50 parsecs'\n"})
    r = cli(["check", "pkg"], tmp_path)
    assert r.code == 2 and "key 'severity.warning': expected a time" in r.err
    write(tmp_path, {"perflint.toml": "[rules.PFL401]\nseverity = 'loud'\n"})
    r = cli(["check", "pkg"], tmp_path)
    assert r.code == 2 and "rules.PFL401.severity" in r.err
    write(tmp_path, {"perflint.toml": "min-severity = [\n"})
    r = cli(["check", "pkg"], tmp_path)
    assert r.code == 2 and "invalid TOML" in r.err and len(r.err.strip().splitlines()) == 1


def test_config_keys_change_results(tmp_path, cli):
    write(tmp_path, {"pages.py": SMELLY})
    round_costs(tmp_path, "loop-trips = 1000\n[severity]\nwarning = '1ms'\nerror = '15ms'\n")
    data = cli(["check", ".", "--format", "json"], tmp_path).json()["findings"]
    # 20 us and 100 us per fsync, x1000 rows: 20 ms and 100 ms per unit of work
    assert [(f["rule"], f["severity"], f["frequency"]) for f in data] == [
        ("PFL401", "error", 1000.0), ("PFL402", "error", 1000.0)]
    round_costs(tmp_path, "[rules.PFL401]\nseverity = 'note'\n")
    data = cli(["check", ".", "--format", "json", "--min-severity", "note"], tmp_path).json()
    assert {f["severity"] for f in data["findings"] if f["rule"] == "PFL401"} == {"note"}
    write(tmp_path, {"perflint.toml": "per-file-ignores = {'pages.py' = ['sync']}\n"})
    assert cli(["check", ".", "--format", "json"], tmp_path).json()["findings"] == []
    write(tmp_path, {"perflint.toml": "exclude = ['pages.py']\n"})
    assert cli(["check", ".", "--format", "json"], tmp_path).json()["summary"]["files"] == 0
    write(tmp_path, {"perflint.toml": "costs = 'costs.toml'\nfail-on = 'error'\n"})
    assert cli(["check", "."], tmp_path).code == 1  # PFL402: an fsync (100 us) per row of an unknown loop
    write(tmp_path, {"perflint.toml": "fail-on = 'none'\n"})
    assert cli(["check", "."], tmp_path).code == 0
    write(tmp_path, {"perflint.toml": "min-severity = 'error'\n[severity]\nerror = '1s'\n"})
    assert cli(["check", ".", "--format", "json"], tmp_path).json()["findings"] == []


def test_gitignore_is_honoured(tmp_path, cli):
    write(tmp_path, {"gen/pages.py": SMELLY, "src/pages.py": SMELLY, ".gitignore": "gen/\n"})
    data = cli(["check", ".", "--format", "json"], tmp_path).json()
    assert {f["path"] for f in data["findings"]} == {"src/pages.py"}


def test_rules_and_explain(tmp_path, cli):
    r = cli(["rules", "--format", "json"], tmp_path)
    data = r.json()
    codes = [d["code"] for d in data]
    assert codes == sorted(codes)
    assert {"PFL101", "PFL201", "PFL301", "PFL401", "PFL402", "PFL501"} <= set(codes)
    assert all(set(d) >= {"code", "name", "family", "summary"} for d in data)
    text = cli(["rules"], tmp_path).out
    assert "PFL401  fsync-where-fdatasync" in text
    r = cli(["explain", "PFL401"], tmp_path)
    assert r.code == 0 and r.out.startswith("# PFL401 fsync-where-fdatasync")
    assert "## Why is this slow" in r.out and "## Use instead" in r.out
    assert cli(["explain", "fsync-where-fdatasync"], tmp_path).out == r.out
    bad = cli(["explain", "PFL999"], tmp_path)
    assert bad.code == 2 and "unknown rule" in bad.err


def test_graph_formats(tmp_path, cli):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "from pkg.b import g\ndef f(xs):\n    for x in xs:\n        g()\n",
                     "pkg/b.py": "def g():\n    pass\n"})
    pycg = cli(["graph", ".", "--format", "pycg"], tmp_path).json()
    assert pycg["pkg.a.f"] == ["pkg.b.g"]
    data = cli(["graph", ".", "--format", "json"], tmp_path).json()
    heat = {n["id"]: n["heat"] for n in data["nodes"]}
    assert heat["pkg.b.g"] == 100.0  # executions per call of pkg.a.f: an unknown loop, loop-trips
    assert data["edges"] == [{"caller": "pkg.a.f", "callee": "pkg.b.g", "path": "pkg/a.py", "line": 4,
                              "loops": ["for loop"], "trips": 100.0, "kind": "exact"}]
    assert "pkg.b.g  heat=100" in cli(["graph", "."], tmp_path).out


def test_version(tmp_path, cli):
    from perflint import __version__

    r = cli(["--version"], tmp_path)
    assert r.code == 0 and __version__ in r.out
