"""Scoring, severities, overrides, the budget, explained scores, hot paths, unused suppressions."""

from __future__ import annotations

import re

from conftest import ROOT, write

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
    return write(tmp_path, {"perflint.toml": config, "pkg/__init__.py": "", **files})


def check(cli, root, *args):
    return cli(["check", ".", "--no-cache", *args], root)


# -- severities, pins, overrides, budget ------------------------------------------------
def test_score_thresholds_decide_severity_and_exit(tmp_path, cli):
    root = project(tmp_path, {"pkg/store.py": LOOP_SYNC}, 'fail-on = "error"\n')
    r = check(cli, root, "--format", "json")
    assert r.code == 0  # one loop: score 100, a warning; fail-on error
    assert {f["severity"] for f in r.json()["findings"]} == {"warning"}
    (root / "perflint.toml").write_text('fail-on = "error"\n[severity]\nerror = 100\n', encoding="utf-8")
    r = check(cli, root, "--format", "json")
    assert r.code == 1
    assert {f["severity"] for f in r.json()["findings"]} == {"error"}


def test_a_pinned_rule_severity_changes_the_exit_code(tmp_path, cli):
    root = project(tmp_path, {"pkg/store.py": LOOP_SYNC}, 'fail-on = "error"\n')
    assert check(cli, root).code == 0
    (root / "perflint.toml").write_text('fail-on = "error"\n[rules.PFL401]\nseverity = "error"\n', encoding="utf-8")
    r = check(cli, root, "--format", "json")
    assert r.code == 1
    sev = {f["rule"]: f["severity"] for f in r.json()["findings"]}
    assert sev == {"PFL401": "error", "PFL402": "warning"}
    # pinned below min-severity: hidden, and it no longer fails
    (root / "perflint.toml").write_text('[rules.PFL401]\nseverity = "note"\n[rules.PFL402]\nseverity = "note"\n',
                                        encoding="utf-8")
    r = check(cli, root)
    assert r.code == 0 and "No findings" in r.out


def test_an_override_by_path_changes_severity_selection_and_exit(tmp_path, cli):
    files = {"pkg/store.py": LOOP_SYNC, "pkg/legacy/__init__.py": "", "pkg/legacy/old.py": LOOP_SYNC,
             "tests/test_store.py": LOOP_SYNC}
    root = project(tmp_path, files)
    r = check(cli, root, "--format", "json", "--min-severity", "note")
    assert r.code == 1
    assert {f["path"] for f in r.json()["findings"]} == {"pkg/store.py", "pkg/legacy/old.py", "tests/test_store.py"}
    # a loop in a test does not make the test's own findings hot: notes there
    assert {f["severity"] for f in r.json()["findings"] if f["path"].startswith("tests/")} == {"note"}
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
    (root / "perflint.toml").write_text(config, encoding="utf-8")
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
    config = '[[overrides]]\nfiles = ["pkg/api/**"]\nhot = ["handle_*"]\n'
    root = project(tmp_path, files, config)
    r = check(cli, root, "--format", "json", "--min-severity", "note")
    by_path = {}
    for f in r.json()["findings"]:
        by_path.setdefault(f["path"], set()).add((f["rule"], f["severity"], f["score"]))
    assert by_path["pkg/api/views.py"] == {("PFL401", "warning", 100.0), ("PFL402", "warning", 100.0)}
    assert by_path["pkg/cli.py"] == {("PFL401", "note", 10.0)}  # not hot: once per call
    r = check(cli, root)
    assert "hot entry point (override hot = 'handle_*')" in r.out


def test_fail_on_and_max_score_budget(tmp_path, cli):
    root = project(tmp_path, {"pkg/store.py": LOOP_SYNC}, 'fail-on = "none"\n')
    assert check(cli, root).code == 0
    (root / "perflint.toml").write_text('fail-on = "none"\nmax-score = 150\n', encoding="utf-8")
    r = check(cli, root)
    assert r.code == 1
    assert "failing: total score 200.0 exceeds max-score = 150" in r.out
    (root / "perflint.toml").write_text('fail-on = "none"\nmax-score = 200\n', encoding="utf-8")
    assert check(cli, root).code == 0  # the budget is "exceeds", not "reaches"
    assert check(cli, root, "--fail-on", "warning").code == 1
    assert check(cli, root, "--fail-on", "warning", "--exit-zero").code == 0


# -- explained scores ---------------------------------------------------------------------
def test_explain_scores_spells_out_the_formula(tmp_path, cli):
    root = project(tmp_path, {"pkg/store.py": LOOP_SYNC, "pkg/db.py": NESTED},
                   '[rules.PFL402]\nseverity = "error"\n')
    r = check(cli, root, "--explain-scores")
    assert (
        "score 100 = weight 10 x heat 10 (for loop in save_all line 5) x confidence high 1.0; "
        ">= warning 50 (error at 500)" in r.out
    )
    assert "severity error pinned by [rules.PFL402] severity" in r.out
    assert "score 100 = weight 20 x heat 10 (for loop in Session.executemany line 25) x confidence medium 0.5" in r.out
    assert "= weight" not in check(cli, root).out  # opt-in
    deep = "import os\n\ndef f(fd, grid):\n    for row in grid:\n        for cell in row:\n            os.fsync(fd)\n"
    (root / "pkg/deep.py").write_text(deep, encoding="utf-8")
    r = check(cli, root, "--explain-scores")
    assert ("score 1000 = weight 10 x heat 100 (10^2: for loop in f line 4, for loop in f line 5) "
            "x confidence high 1.0; >= error 500") in r.out


def test_explain_scores_names_a_cold_finding_and_loop_factor(tmp_path, cli):
    root = project(tmp_path, {"pkg/store.py": LOOP_SYNC}, 'loop-factor = 4\nmin-severity = "note"\n')
    r = check(cli, root, "--explain-scores")
    assert "score 40 = weight 10 x heat 4 (for loop in save_all line 5) x confidence high 1.0; < warning 50: note" in r.out


# -- hot paths ----------------------------------------------------------------------------
def test_hot_paths_group_findings_by_root_and_multiply_along_a_chain(tmp_path, cli):
    root = project(tmp_path, {"pkg/db.py": NESTED})
    r = check(cli, root)
    assert "Top hot paths" in r.out
    lines = r.out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("1. Session.executemany"))
    assert lines[head] == "1. Session.executemany (pkg/db.py:24): 4 findings, score 400, compound penalty x200"
    assert lines[head + 1].strip() == (
        "Session.executemany -> Session.commit [PFL301 x20] -> Schema.reload [PFL101 x10]  = x200"
    )
    assert lines[head + 2].strip() == "Session.executemany -> Session.commit [PFL401 x10, PFL402 x10]  = x100"
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

    def finding(rule, path, line, function, trace):
        return Finding(rule=rule, name="x", family="sync", severity="warning", score=100.0, confidence="high",
                       path=path, line=line, column=1, end_line=line, end_column=2, function=function,
                       message="m", fix="f", trace=tuple(TraceHop(*h) for h in trace))

    root = ("a.py", 1, "run", "no callers")
    outer = finding("PFL301", "a.py", 5, "commit", [root, ("a.py", 3, "run", "calls commit inside a for loop (line 2)")])
    inner = finding("PFL201", "b.py", 9, "read", [root, ("a.py", 3, "run", "calls commit inside a for loop (line 2)"),
                                                 ("a.py", 5, "commit", "calls read")])
    groups = hot_paths([outer, inner], {"PFL301": 20.0, "PFL201": 50.0})
    assert len(groups) == 1 and groups[0].penalty == 1000.0
    assert render_lines(groups, {"PFL301": 20.0, "PFL201": 50.0})[1].strip() == (
        "run -> commit [PFL301 x20] -> read [PFL201 x50]  = x1,000"
    )


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
    text = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    defaults = Config()
    assert f"`loop-factor` | {defaults.loop_factor:g}" in text
    assert f"`[severity] warning` | {DEFAULT_SEVERITY_THRESHOLDS['warning']:g}" in text
    assert f"`[severity] error` | {DEFAULT_SEVERITY_THRESHOLDS['error']:g}" in text
    for name, factor in CONFIDENCE_FACTORS.items():
        assert f"| {name} | {factor:g} |" in text
    assert f"`fail-on` | {defaults.fail_on}" in text
    assert f"`min-severity` | {defaults.min_severity}" in text
    assert "Every rule's weight is 10" in text and "penalty factor is its weight" in text
    from perflint.docs import rule_markdown

    for rule in all_rules():  # each weight is on the rule's page; a PENALTY apart must be named here
        assert f"weight: {rule.WEIGHT:g}" in rule_markdown(rule)
        if rule.PENALTY is not None and rule.PENALTY != rule.WEIGHT:
            assert f"{rule.CODE}" in text and f"{rule.PENALTY:g}" in text, rule.CODE
