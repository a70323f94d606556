"""Scoring, severities, overrides, the budget, explained scores, hot paths, unused suppressions."""

from __future__ import annotations

import re

from conftest import ROOT, round_costs, write

from perflint.config import CONFIDENCE_FACTORS, DEFAULT_SEVERITY_THRESHOLDS, Config
from perflint.registry import all_rules

LOOP_SYNC = (
    "import os\n"
    "\n"
    "\n"
    "def save_all(fd, chunks):\n"
    "    for chunk in chunks:\n"
    "        os.write(fd, chunk)\n"
    "        os.fsync(fd)\n"
)
NESTED = (
    "import copy\n"
    "import os\n"
    "\n"
    "\n"
    "class Schema:\n"
    "    def __init__(self):\n"
    "        self.tables = {}\n"
    "\n"
    "    def reload(self):\n"
    "        with open('schema.json') as fh:\n"
    "            text = fh.read()\n"
    "        return copy.deepcopy(self.tables), text\n"
    "\n"
    "\n"
    "class Session:\n"
    "    def __init__(self, fd):\n"
    "        self.fd = fd\n"
    "        self.schema = Schema()\n"
    "\n"
    "    def commit(self):\n"
    "        os.fsync(self.fd)\n"
    "        self.schema.reload()\n"
    "\n"
    "    def executemany(self, rows):\n"
    "        for row in rows:\n"
    "            os.write(self.fd, row)\n"
    "            self.commit()\n"
)


def project(tmp_path, files, config=""):
    """A project scored with round costs (tests/conftest.py): fsync 100 us, fsync over
    fdatasync 20 us, a schema read 200 us, a deep-copied element 1 us."""
    root = write(tmp_path, {"pkg/__init__.py": "", **files})
    round_costs(root, config)
    return root


def set_config(root, config):
    (root / "perflint.toml").write_text(f'costs = "costs.toml"\n{config}', encoding="utf-8")


def check(cli, root, *args):
    return cli(["check", ".", "--no-cache", *args], root)


# -- severities, pins, overrides, budget ------------------------------------------------
def test_score_thresholds_decide_severity_and_exit(tmp_path, cli):
    # per unit of work: PFL401 20 us x 100 = 2 ms, PFL402 100 us x 100 = 10 ms
    root = project(tmp_path, {"pkg/store.py": LOOP_SYNC}, 'fail-on = "error"\n[severity]\nerror = "20ms"\n')
    r = check(cli, root, "--format", "json")
    assert r.code == 0  # both warnings; fail-on error
    assert [(f["rule"], f["severity"], f["score"]) for f in r.json()["findings"]] == [
        ("PFL401", "warning", 0.002), ("PFL402", "warning", 0.01)]
    set_config(root, 'fail-on = "error"\n[severity]\nerror = "2ms"\n')
    r = check(cli, root, "--format", "json")
    assert r.code == 1
    assert {f["severity"] for f in r.json()["findings"]} == {"error"}
    set_config(root, '[severity]\nwarning = "5ms"\nerror = "1s"\n')
    assert [f["rule"] for f in check(cli, root, "--format", "json").json()["findings"]] == ["PFL402"]


def test_a_pinned_rule_severity_changes_the_exit_code(tmp_path, cli):
    thresholds = '[severity]\nerror = "20ms"\n'
    root = project(tmp_path, {"pkg/store.py": LOOP_SYNC}, 'fail-on = "error"\n' + thresholds)
    assert check(cli, root).code == 0
    set_config(root, 'fail-on = "error"\n[rules.PFL401]\nseverity = "error"\n' + thresholds)
    r = check(cli, root, "--format", "json")
    assert r.code == 1
    sev = {f["rule"]: f["severity"] for f in r.json()["findings"]}
    assert sev == {"PFL401": "error", "PFL402": "warning"}
    # pinned below min-severity: hidden, and it no longer fails
    set_config(root, '[rules.PFL401]\nseverity = "note"\n[rules.PFL402]\nseverity = "note"\n')
    r = check(cli, root)
    assert r.code == 0 and "No findings" in r.out


def test_an_override_by_path_changes_severity_selection_and_exit(tmp_path, cli):
    files = {"pkg/store.py": LOOP_SYNC, "pkg/legacy/__init__.py": "", "pkg/legacy/old.py": LOOP_SYNC,
             "tests/test_store.py": LOOP_SYNC}
    root = project(tmp_path, files)
    r = check(cli, root, "--format", "json", "--min-severity", "note")
    assert r.code == 1
    assert {f["path"] for f in r.json()["findings"]} == {"pkg/store.py", "pkg/legacy/old.py", "tests/test_store.py"}
    config = (
        'fail-on = "error"\n'
        "[[overrides]]\n"
        'files = ["pkg/store.py"]\n'
        'severity = { PFL402 = "error" }\n'
        "[[overrides]]\n"
        'files = ["pkg/legacy/**"]\n'
        'severity = { PFL401 = "note", PFL402 = "note" }\n'
        "[[overrides]]\n"
        'files = ["tests/**"]\n'
        'ignore = ["ALL"]\n'
    )
    # a loop in a test does not make the test's own findings hot: notes there
    assert {f["severity"] for f in r.json()["findings"] if f["path"].startswith("tests/")} == {"note"}
    set_config(root, config)
    r = check(cli, root, "--format", "json", "--min-severity", "note")
    assert r.code == 1
    got = {(f["path"], f["rule"]): f["severity"] for f in r.json()["findings"]}
    assert got == {
        ("pkg/store.py", "PFL401"): "warning", ("pkg/store.py", "PFL402"): "error",
        ("pkg/legacy/old.py", "PFL401"): "note", ("pkg/legacy/old.py", "PFL402"): "note",
    }
    (root / "pkg/store.py").write_text("import os\n", encoding="utf-8")
    assert check(cli, root).code == 0  # what is left is pinned to note (hidden) or ignored


def test_override_select_runs_only_those_rules_there(tmp_path, cli):
    files = {"pkg/store.py": LOOP_SYNC, "pkg/fast/__init__.py": "", "pkg/fast/io.py": LOOP_SYNC}
    config = '[[overrides]]\nfiles = ["pkg/fast/**"]\nselect = ["PFL402"]\n'
    root = project(tmp_path, files, config)
    got = {(f["path"], f["rule"]) for f in check(cli, root, "--format", "json").json()["findings"]}
    assert got == {("pkg/store.py", "PFL401"), ("pkg/store.py", "PFL402"), ("pkg/fast/io.py", "PFL402")}


def test_override_hot_makes_matching_functions_in_matching_files_hot(tmp_path, cli):
    handler = "import os\n\n\ndef handle_write(fd, data):\n    os.write(fd, data)\n    os.fsync(fd)\n"
    files = {"pkg/api/__init__.py": "", "pkg/api/views.py": handler, "pkg/cli.py": handler}
    # a disk where fdatasync saves 1 ms per sync (what `perflint calibrate` would measure there)
    config = '[rules.PFL401]\ncost = "1ms"\n[[overrides]]\nfiles = ["pkg/api/**"]\nhot = ["handle_*"]\n'
    root = project(tmp_path, files, config)
    r = check(cli, root, "--format", "json", "--min-severity", "note")
    by_path = {}
    for f in r.json()["findings"]:
        by_path.setdefault(f["path"], set()).add((f["rule"], f["severity"], f["score"], f["frequency"]))
    # once per request: 1 ms per unit of work. No PFL402: one sync per request is not one per row.
    assert by_path["pkg/api/views.py"] == {("PFL401", "warning", 0.001, 1.0)}
    assert by_path["pkg/cli.py"] == {("PFL401", "note", 0.001, 1.0)}  # not hot: nothing says it repeats
    r = check(cli, root)
    assert "hot entry point (override hot = 'handle_*')" in r.out


def test_fail_on_and_max_score_budget(tmp_path, cli):
    root = project(tmp_path, {"pkg/store.py": LOOP_SYNC}, 'fail-on = "none"\n')
    assert check(cli, root).code == 0
    set_config(root, 'fail-on = "none"\nmax-score = "10ms"\n')
    r = check(cli, root)
    assert r.code == 1
    assert "failing: total estimated time 12 ms per unit of work exceeds max-score = 10 ms" in r.out
    set_config(root, 'fail-on = "none"\nmax-score = "12ms"\n')
    assert check(cli, root).code == 0  # the budget is "exceeds", not "reaches"
    assert check(cli, root, "--fail-on", "warning").code == 1
    assert check(cli, root, "--fail-on", "warning", "--exit-zero").code == 0
    set_config(root, 'fail-on = "none"\nmax-score = 150\n')
    r = check(cli, root)
    assert r.code == 2 and "key 'max-score': must be a time with a unit" in r.err


# -- explained scores ---------------------------------------------------------------------
def test_explain_scores_spells_out_the_formula(tmp_path, cli):
    root = project(tmp_path, {"pkg/store.py": LOOP_SYNC, "pkg/db.py": NESTED},
                   '[rules.PFL401]\nseverity = "error"\n')
    r = check(cli, root, "--explain-scores")
    assert (
        "10 ms per unit of work = cost 100 µs [fsync 100 µs] x frequency 100 (for loop in save_all line 5 "
        "x100 (unknown bound: loop-trips)) x confidence high 1; >= error 10 ms" in r.out
    )
    assert "severity error pinned by [rules.PFL401] severity" in r.out
    # a rebuild named like one (medium confidence), per row of executemany, through commit()
    assert ("10 ms per unit of work = cost 200 µs [schema-read 200 µs] x frequency 100 (for loop in "
            "Session.executemany line 25 x100 (unknown bound: loop-trips)) x confidence medium 0.5; >= error 10 ms"
            in r.out)
    # a size term the rule cannot see: a modest structure of 100 elements
    assert "cost 100 µs [deepcopy-element 1 µs x 100 elements (size unknown: a modest structure)]" in r.out
    assert "per unit of work =" not in check(cli, root).out  # opt-in
    deep = ("import os\n\ndef f(fd, rows, cols):\n    for row in rows:\n        for col in cols:\n"
            "            os.fsync(fd)\n        for _ in range(3):\n            os.fdatasync(fd)\n")
    (root / "pkg/deep.py").write_text(deep, encoding="utf-8")
    r = check(cli, root, "--explain-scores")
    # an unknown loop inside an unknown loop counts nested-loop-trips (10), a literal range its bound
    assert ("frequency 1000 (for loop in f line 4 x100 (unknown bound: loop-trips); for loop in f line 5 "
            "x10 (unknown bound inside another: nested-loop-trips))") in r.out
    assert "frequency 300 (for loop in f line 4 x100 (unknown bound: loop-trips); for loop in f line 7 x3 (range(3)))" in r.out


def test_explain_scores_names_a_cold_finding_and_loop_trips(tmp_path, cli):
    root = project(tmp_path, {"pkg/store.py": LOOP_SYNC}, 'loop-trips = 4\nmin-severity = "note"\n')
    r = check(cli, root, "--explain-scores")
    assert ("80 µs per unit of work = cost 20 µs [fsync-over-fdatasync 20 µs] x frequency 4 (for loop in save_all "
            "line 5 x4 (unknown bound: loop-trips)) x confidence high 1; < warning 1 ms: note") in r.out
    cold = "import os\n\ndef close(fd):\n    os.fsync(fd)\n"
    (root / "pkg/cold.py").write_text(cold, encoding="utf-8")
    r = check(cli, root, "--explain-scores")
    assert ("20 µs per unit of work = cost 20 µs [fsync-over-fdatasync 20 µs] x frequency 1 (no loop on the way) "
            "x confidence high 1; note: no loop or hot entry point shows that it repeats") in r.out


def test_deprecated_loop_factor_and_weight_still_work_with_a_note(tmp_path, cli):
    root = project(tmp_path, {"pkg/store.py": LOOP_SYNC}, 'loop-factor = 10\n[rules.PFL402]\nweight = 20\n')
    r = check(cli, root, "--format", "json", "--min-severity", "note")
    assert r.code == 1
    assert ("'loop-factor' is deprecated and will be removed in the next release: loops now multiply by an "
            "estimated trip count; use 'loop-trips'") in r.err
    assert "'rules.PFL402.weight' is deprecated" in r.err and "set 'rules.PFL402.cost'" in r.err
    got = {f["rule"]: (f["frequency"], f["score"]) for f in r.json()["findings"]}
    # loop-factor 10 reads as loop-trips 10; weight 20 doubles the measured cost (weight / 10)
    assert got == {"PFL401": (10.0, 0.0002), "PFL402": (10.0, 0.002)}


# -- hot paths ----------------------------------------------------------------------------
def test_hot_paths_group_findings_by_root_and_add_their_time(tmp_path, cli):
    root = project(tmp_path, {"pkg/db.py": NESTED})
    r = check(cli, root)
    assert "Top hot paths" in r.out
    lines = r.out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("1. Session.executemany"))
    # PFL401 and PFL402 share the fsync: the site counts once, at the larger (10 ms)
    assert lines[head] == ("1. Session.executemany (pkg/db.py:24): 4 findings, 30 ms per unit of work; "
                           "estimated x76 slower than with the fixes")
    assert lines[head + 1].strip() == (
        "Session.executemany -> Session.commit [PFL301 10 ms] -> Schema.reload [PFL101 10 ms]  = 20 ms"
    )
    assert lines[head + 2].strip() == "Session.executemany -> Session.commit [PFL401 2 ms, PFL402 10 ms]  = 12 ms"
    assert not lines[head + 3].strip().startswith("Session.")


def test_hot_paths_need_two_findings_and_show_at_most_five_groups(tmp_path, cli):
    single = "import os\n\ndef only(fd, rows):\n    for r in rows:\n        os.fdatasync(fd)\n"
    root = project(tmp_path, {"pkg/one.py": single})
    assert "Top hot paths" not in check(cli, root).out
    many = {f"pkg/m{i}.py": LOOP_SYNC.replace("save_all", f"save_{i}") for i in range(7)}
    root = project(tmp_path / "many", many)
    out = check(cli, root).out
    groups = re.findall(r"^(\d)\. save_\d ", out, re.M)
    assert groups == ["1", "2", "3", "4", "5"]


def test_hot_path_module_unit():
    from perflint.finding import Finding, TraceHop
    from perflint.hotpaths import hot_paths, render_lines

    def finding(rule, path, line, function, trace, score):
        return Finding(rule=rule, name="x", family="sync", severity="warning", score=score, confidence="high",
                       path=path, line=line, column=1, end_line=line, end_column=2, function=function,
                       message="m", fix="f", trace=tuple(TraceHop(*h) for h in trace), fingerprint=rule)

    root = ("a.py", 1, "run", "no callers")
    outer = finding("PFL301", "a.py", 5, "commit", [root, ("a.py", 3, "run", "calls commit inside a for loop (line 2)")],
                    0.02)
    inner = finding("PFL201", "b.py", 9, "read", [root, ("a.py", 3, "run", "calls commit inside a for loop (line 2)"),
                                                 ("a.py", 5, "commit", "calls read")], 0.005)
    # the fixed code still spends 1 ms per unit of work on the first, nothing known of the second
    groups = hot_paths([outer, inner], {"PFL301": 0.001})
    assert len(groups) == 1 and groups[0].time == 0.025
    assert (groups[0].slowdown, groups[0].slowdown_partial) == (21.0, True)
    lines = render_lines(groups)
    assert lines[0] == "1. run (a.py:1): 2 findings, 25 ms per unit of work; estimated >= x21 slower than with the fixes"
    assert lines[1].strip() == "run -> commit [PFL301 20 ms] -> read [PFL201 5 ms]  = 25 ms"


# -- unused suppressions --------------------------------------------------------------------
SUPPRESSED = (
    "import os\n"
    "\n"
    "\n"
    "def save_all(fd, chunks):\n"
    "    for chunk in chunks:\n"
    "        os.fsync(fd)  # perflint: ignore[PFL401, PFL402]\n"
    "\n"
    "\n"
    "def once(fd):\n"
    "    os.fdatasync(fd)  # perflint: ignore[PFL402]\n"
    "\n"
    "\n"
    "def other():\n"
    "    return 1  # noqa: PFL999, E501\n"
    "\n"
    "\n"
    "def bare():\n"
    "    return 2  # perflint: ignore\n"
    "\n"
    "\n"
    "def partly(fd, chunks):\n"
    "    for chunk in chunks:\n"
    "        os.fdatasync(fd)  # noqa: PFL401, PFL402\n"
)


def test_unused_suppressions_are_reported_only_when_enabled(tmp_path, cli):
    root = project(tmp_path, {"pkg/a.py": SUPPRESSED})
    r = check(cli, root, "--format", "json", "--min-severity", "note")
    assert r.code == 0 and r.json()["findings"] == []
    (root / "perflint.toml").write_text('select = ["ALL", "PFL001"]\n', encoding="utf-8")
    r = check(cli, root, "--format", "json")
    assert r.code == 1
    got = [(f["line"], f["rule"], f["severity"], f["message"]) for f in r.json()["findings"]]
    assert got == [
        (10, "PFL001", "warning", "unused suppression: PFL402 suppresses nothing on this line"),
        (14, "PFL001", "warning", "unused suppression: unknown rule code PFL999"),
        (18, "PFL001", "warning", "unused suppression: `# perflint: ignore` suppresses nothing on this line"),
        (23, "PFL001", "warning", "unused suppression: PFL401 suppresses nothing on this line"),
    ]
    # a code whose rule did not run is not judged; a bare ignore needs every rule to have run
    (root / "perflint.toml").write_text('select = ["sync", "meta"]\nignore = ["PFL402"]\n', encoding="utf-8")
    got = [(f["line"], f["message"]) for f in check(cli, root, "--format", "json").json()["findings"]]
    assert got == [(14, "unused suppression: unknown rule code PFL999"),
                   (23, "unused suppression: PFL401 suppresses nothing on this line")]
    (root / "perflint.toml").write_text(
        'select = ["ALL", "PFL001"]\n[rules.PFL001]\nseverity = "note"\n', encoding="utf-8")
    assert check(cli, root).code == 0


def test_meta_rule_is_listed_and_explained(tmp_path, cli):
    r = cli(["rules"], tmp_path)
    assert re.search(r"^PFL001\s+unused-suppression\s+meta\s.*\(opt-in\)$", r.out, re.M)
    r = cli(["explain", "PFL001"], tmp_path)
    assert r.code == 0 and "RUF100" in r.out


# -- the documentation names every number the scoring uses -------------------------------------
def test_docs_scoring_documents_every_default():
    from perflint.calibrate import SPECS
    from perflint.costs import DEFAULT_BYTES, DEFAULT_ELEMENTS, load_costs
    from perflint.docs import rule_markdown
    from perflint.units import format_time

    text = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    defaults = Config()
    assert f"`loop-trips` | {defaults.loop_trips:g}" in text
    assert f"`nested-loop-trips` | {defaults.nested_loop_trips:g}" in text
    assert f"`[severity] warning` | {format_time(DEFAULT_SEVERITY_THRESHOLDS['warning'])}" in text
    assert f"`[severity] error` | {format_time(DEFAULT_SEVERITY_THRESHOLDS['error'])}" in text
    assert f"size of a structure | {DEFAULT_ELEMENTS}" in text and f"size of a text | {DEFAULT_BYTES}" in text
    for name, factor in CONFIDENCE_FACTORS.items():
        assert f"| {name} | {factor:g} |" in text
    assert f"`fail-on` | {defaults.fail_on}" in text
    assert f"`min-severity` | {defaults.min_severity}" in text
    shipped = load_costs()
    for spec, _ in SPECS:  # the cost table docs cite is the shipped one, every key of it
        assert f"| `{spec.key}` |" in text, spec.key
        assert f"**{format_time(shipped[spec.key])}**" in text, spec.key
    for rule in all_rules():  # each rule's page names its cost key
        if rule.COST:
            assert f"cost: `{rule.COST}`" in rule_markdown(rule)
