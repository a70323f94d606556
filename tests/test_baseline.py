"""The baseline through the CLI: adopt perflint on a legacy repo, fail on new findings only."""

from __future__ import annotations

import json

from conftest import round_costs, write

STORE = (
    "import os\n"
    "\n"
    "\n"
    "def save_all(fd, chunks):\n"
    "    for chunk in chunks:\n"
    "        os.write(fd, chunk)\n"
    "        os.fsync(fd)\n"
)
CONFIG = 'min-severity = "warning"\n'


def project(tmp_path, store=STORE, config=CONFIG):
    """Scored with round costs (fsync 100 us, fsync over fdatasync 20 us): per row of an unknown
    loop PFL401 is a 2 ms warning and PFL402 a 10 ms error; twenty times in close(), 400 us and
    2 ms: a note and a warning."""
    root = write(tmp_path, {"pkg/__init__.py": "", "pkg/store.py": store})
    round_costs(root, config)
    return root


def check(cli, root, *args):
    return cli(["check", ".", "--no-cache", *args], root)


def make_baseline(cli, root, *args):
    r = cli(["baseline", ".", "--no-cache", *args], root)
    assert r.code == 0, r.err
    return r


def baseline_data(root, name=".perflint-baseline.json"):
    return json.loads((root / name).read_text(encoding="utf-8"))


def test_baseline_file_is_sorted_stable_and_reviewable(tmp_path, cli):
    root = project(tmp_path, STORE + "\n\ndef close(fd):\n    for _ in range(20):\n        os.fsync(fd)\n")
    make_baseline(cli, root)
    text = (root / ".perflint-baseline.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == ["version", "perflint", "findings"]
    assert data["version"] == 1
    entries = data["findings"]
    assert [list(e) for e in entries] == [["rule", "path", "function", "fingerprint", "count", "message"]] * 3
    assert [(e["path"], e["function"], e["rule"]) for e in entries] == [
        ("pkg/store.py", "close", "PFL402"),  # its PFL401 is a note: below min-severity
        ("pkg/store.py", "save_all", "PFL401"), ("pkg/store.py", "save_all", "PFL402"),
    ]
    assert all(":" not in e["fingerprint"] and e["count"] == 1 for e in entries)
    assert text.startswith("{\n  \"version\": 1,\n") and text.endswith("}\n")
    make_baseline(cli, root)  # a second run writes the same bytes
    assert (root / ".perflint-baseline.json").read_text(encoding="utf-8") == text


def test_baseline_survives_lines_inserted_above(tmp_path, cli):
    root = project(tmp_path)
    assert check(cli, root).code == 1
    make_baseline(cli, root)
    r = check(cli, root, "--baseline", ".perflint-baseline.json")
    assert r.code == 0, r.out
    assert "2 known findings accepted by the baseline" in r.out
    (root / "pkg/store.py").write_text("import sys\n\n\nVERSION = sys.version\n" + STORE, encoding="utf-8")
    r = check(cli, root, "--baseline", ".perflint-baseline.json")
    assert r.code == 0, r.out
    assert "No findings" in r.out and "no longer occur" not in r.out


def test_baseline_from_the_config_key_and_from_another_folder(tmp_path, cli):
    root = project(tmp_path, config=CONFIG + 'baseline = ".perflint-baseline.json"\n')
    make_baseline(cli, root)
    assert check(cli, root).code == 0
    # run from a subfolder: paths in fingerprints are relative to the config root, not the cwd
    r = cli(["check", ".", "--no-cache"], root / "pkg")
    assert r.code == 0, r.out
    assert "no longer occur" not in r.out


def test_a_new_finding_in_a_baselined_function_still_fails(tmp_path, cli):
    root = project(tmp_path)
    make_baseline(cli, root)
    smellier = STORE.replace("import os\n", "import copy\nimport os\n\nTEMPLATE = load_template()\n").replace(
        "        os.write(fd, chunk)\n", "        os.write(fd, chunk)\n        header = copy.deepcopy(TEMPLATE)\n"
    )
    (root / "pkg/store.py").write_text(smellier, encoding="utf-8")
    r = check(cli, root, "--baseline", ".perflint-baseline.json", "--format", "json")
    assert r.code == 1
    findings = r.json()["findings"]
    assert [f["rule"] for f in findings] == ["PFL101"]
    # 100 deep-copied elements (1 us each) per row of an unknown loop: 10 ms, an error
    assert r.json()["summary"]["findings"] == {"error": 1, "warning": 0, "note": 0}


def test_a_second_identical_finding_in_one_function_still_fails(tmp_path, cli):
    root = project(tmp_path)
    make_baseline(cli, root)
    twice = STORE + "        os.fsync(fd)\n"
    (root / "pkg/store.py").write_text(twice, encoding="utf-8")
    r = check(cli, root, "--baseline", ".perflint-baseline.json", "--format", "json")
    assert r.code == 1
    new = r.json()["findings"]
    # one finding per cause: the fsync per row now has two sites, more than the one accepted
    assert sorted(f["rule"] for f in new) == ["PFL401", "PFL402"]
    assert {(f["line"], tuple(loc["line"] for loc in f["related"])) for f in new} == {(7, (8,))}
    # baselining it records one entry per smell with count 2 (its sites)
    make_baseline(cli, root)
    counts = {e["rule"]: e["count"] for e in baseline_data(root)["findings"]}
    assert counts == {"PFL401": 2, "PFL402": 2}
    assert check(cli, root, "--baseline", ".perflint-baseline.json").code == 0


def test_stale_entries_are_listed_and_prune_drops_them(tmp_path, cli):
    extra = "\n\ndef close(fd):\n    for _ in range(20):\n        os.fsync(fd)\n"
    root = project(tmp_path, STORE + extra)
    make_baseline(cli, root)
    assert len(baseline_data(root)["findings"]) == 3
    fixed = STORE.replace("        os.fsync(fd)\n", "") + "    os.fdatasync(fd)\n" + extra
    (root / "pkg/store.py").write_text(fixed, encoding="utf-8")
    r = check(cli, root, "--baseline", ".perflint-baseline.json")
    assert r.code == 0, r.out
    assert "2 baseline entries no longer occur; run `perflint baseline --prune`" in r.out
    r = check(cli, root, "--baseline", ".perflint-baseline.json", "--format", "json")
    assert "2 baseline entries no longer occur" in r.err
    # a cause that lost a site still fits its entry
    (root / "pkg/store.py").write_text(STORE + "        os.fsync(fd)\n" + extra, encoding="utf-8")
    make_baseline(cli, root)
    (root / "pkg/store.py").write_text(STORE + extra, encoding="utf-8")
    assert check(cli, root, "--baseline", ".perflint-baseline.json").code == 0
    (root / "pkg/store.py").write_text(fixed, encoding="utf-8")
    make_baseline(cli, root)
    (root / "pkg/store.py").write_text(STORE + extra, encoding="utf-8")
    make_baseline(cli, root)
    (root / "pkg/store.py").write_text(fixed, encoding="utf-8")
    # a new smell meanwhile: prune never adds it
    (root / "pkg/new.py").write_text("import os\n\ndef spin(fd):\n    while True:\n        os.fsync(fd)\n", encoding="utf-8")
    r = cli(["baseline", "--prune", "--no-cache"], root)
    assert r.code == 0, r.err
    entries = baseline_data(root)["findings"]
    assert [(e["function"], e["rule"]) for e in entries] == [("close", "PFL402")]
    r = check(cli, root, "--baseline", ".perflint-baseline.json")
    assert r.code == 1 and "no longer occur" not in r.out
    assert "pkg/new.py:5" in r.out


def test_prune_keeps_entries_outside_what_was_scanned(tmp_path, cli):
    root = project(tmp_path)
    write(root, {"other/__init__.py": "", "other/x.py": STORE})
    make_baseline(cli, root)
    (root / "pkg/store.py").write_text("import os\n", encoding="utf-8")
    r = cli(["baseline", "pkg", "--prune", "--no-cache"], root)
    assert r.code == 0, r.err
    assert {e["path"] for e in baseline_data(root)["findings"]} == {"other/x.py"}


def test_malformed_or_foreign_baselines_are_a_clear_error(tmp_path, cli):
    root = project(tmp_path)
    cases = {
        "old.json": ('{"version": 0, "findings": []}', "baseline format version 0 is not supported"),
        "new.json": ('{"version": 2, "perflint": "9.0", "findings": []}', "baseline format version 2 is not supported"),
        "broken.json": ('{"version": 1, "findings": [', "not a perflint baseline: invalid JSON"),
        "shape.json": ('[1, 2]', "not a perflint baseline"),
        "entry.json": ('{"version": 1, "findings": [{"rule": "PFL401"}]}', "findings[0] needs a string 'path'"),
        "count.json": ('{"version": 1, "findings": [{"rule": "PFL401", "path": "a.py", "fingerprint": "ab", "count": 0}]}',
                       "'count' must be a positive integer"),
    }
    for name, (text, message) in cases.items():
        (root / name).write_text(text, encoding="utf-8")
        r = check(cli, root, "--baseline", name)
        assert r.code == 2, (name, r.out)
        assert message in r.err and name in r.err, (name, r.err)
        assert len(r.err.strip().splitlines()) == 1, r.err
    r = check(cli, root, "--baseline", "missing.json")
    assert r.code == 2 and "baseline file not found" in r.err
    root2 = project(tmp_path / "cfg", config=CONFIG + 'baseline = "missing.json"\n')
    r = check(cli, root2)
    assert r.code == 2 and "missing.json" in r.err
    r = cli(["baseline", "--prune", "--no-cache"], root)
    assert r.code == 2 and "baseline file not found" in r.err


def test_baselined_findings_leave_every_format_and_the_budget(tmp_path, cli):
    root = project(tmp_path, config=CONFIG + 'max-score = "10ms"\n')
    assert check(cli, root, "--fail-on", "none").code == 1  # 12 ms > 10 ms
    make_baseline(cli, root)
    r = check(cli, root, "--baseline", ".perflint-baseline.json", "--format", "json")
    assert r.code == 0
    data = r.json()
    assert data["findings"] == [] and data["summary"]["score"] == 0.0
    assert list(data) == ["version", "schema", "findings", "errors", "summary"]
