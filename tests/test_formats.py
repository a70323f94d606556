"""CI output formats: SARIF 2.1.0 (schema-validated), GitHub workflow commands, GitLab Code Quality.

Results come from the real CLI on a small project (PFL401+PFL402 on an fsync in a loop, a
multi-line PFL101, a parse error) and from Result/Finding objects built by hand for the
corner cases (escaping, notes, absolute paths, duplicate fingerprints).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Dict, List

import pytest
from conftest import round_costs, run_cli, write

from perflint.finding import FileError, Finding, Result, RuleInfo, TraceHop
from perflint.report import github, gitlab, renderers, sarif

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "shared/data/sarif-schema-2.1.0.json"

PROJECT = {
    "perflint.toml": "",
    "app/__init__.py": "",
    "app/store.py": (
        "import os\n"
        "\n"
        "\n"
        "def flush_all(fds):\n"
        "    for fd in fds:\n"
        "        os.fsync(fd)\n"
    ),
    "app/tree.py": (
        "import copy\n"
        "\n"
        "\n"
        "class Index:\n"
        "    def __init__(self):\n"
        "        self.tree = {}\n"
        "\n"
        "    def snapshots(self, keys):\n"
        "        out = []\n"
        "        for key in keys:\n"
        "            out.append(copy.deepcopy(\n"
        "                self.tree\n"
        "            ))\n"
        "        return out\n"
    ),
    "app/broken.py": "def broken(:\n    pass\n",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = write(tmp_path_factory.mktemp("fmt"), PROJECT)
    round_costs(root)  # fsync over fdatasync 20 us: PFL401 per row is a warning, as in every format below
    return root


@pytest.fixture(scope="module")
def outputs(project) -> Dict[str, str]:
    """The CLI's output in every format, for the same project."""
    out = {}
    for fmt in ("json", "sarif", "github", "gitlab"):
        r = run_cli(["check", "app", "--format", fmt], project)
        assert r.code == 1, (fmt, r.err)  # warnings fail the run by default
        out[fmt] = r.out
    return out


@pytest.fixture(scope="module")
def findings(outputs) -> List[dict]:
    data = json.loads(outputs["json"])
    assert [f["rule"] for f in data["findings"]] == ["PFL000", "PFL401", "PFL402", "PFL101"]
    return data["findings"]


@pytest.fixture(scope="module")
def schema():
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"SARIF schema not found at {SCHEMA_PATH} (the shared data folder beside the repo)")
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(schema, log) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def rule_info(code="PFL401", name="fsync-where-fdatasync", family="sync") -> RuleInfo:
    docs = (
        "Title line.\n\n## What it does\nFlags a thing\nacross two lines.\n\n"
        "## Why is this slow\nBecause.\n"
    )
    return RuleInfo(code=code, name=name, family=family, summary="Flags a thing across two lines.",
                    docs=docs, fix="do the other thing", default_severity="warning")


def finding(**overrides) -> Finding:
    base = dict(
        rule="PFL401", name="fsync-where-fdatasync", family="sync", severity="warning", score=100.0,
        confidence="high", path="pkg/db.py", line=10, column=5, end_line=10, end_column=17,
        function="Db.sync", message="os.fsync() in a loop", fix="use os.fdatasync()",
        trace=(TraceHop("pkg/db.py", 3, "Db.sync", "for loop"),), weight=10.0, heat=10.0,
        fingerprint="0123456789abcdef:1", context="in a for loop in Db.sync",
    )
    base.update(overrides)
    return Finding(**base)


def result(*findings_: Finding, errors=(), rules=None) -> Result:
    return Result(version="9.9.9", findings=tuple(findings_), errors=tuple(errors), files=1,
                  rules=(rule_info(),) if rules is None else tuple(rules))


def test_formats_are_registered():
    found = renderers()
    assert found["sarif"] is sarif.render
    assert found["github"] is github.render
    assert found["gitlab"] is gitlab.render


# -- SARIF -----------------------------------------------------------------------------


def test_sarif_from_the_cli_validates_against_the_schema(outputs, schema):
    validate(schema, json.loads(outputs["sarif"]))


def test_sarif_tool_and_rules(outputs):
    from perflint import __version__
    from perflint.registry import all_rules
    from perflint.rule import parse_sections

    log = json.loads(outputs["sarif"])
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "perflint"
    assert driver["version"] == __version__
    assert driver["informationUri"] == "https://github.com/perflint-cst/perflint"
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(ids)
    known = {r.CODE: r for r in all_rules()}
    assert set(ids) == set(known) | {"PFL000"}  # every rule, plus the parse error that was used
    for descriptor in driver["rules"]:
        if descriptor["id"] == "PFL000":
            assert descriptor["defaultConfiguration"]["level"] == "error"
            continue
        rule = known[descriptor["id"]]
        assert descriptor["name"] == rule.NAME
        assert descriptor["shortDescription"]["text"] == rule.summary()
        what = " ".join(parse_sections(rule.docs())["What it does"].split())
        assert descriptor["fullDescription"]["text"] == what
        assert rule.FIX in descriptor["help"]["text"]
        assert rule.FIX in descriptor["help"]["markdown"]
        assert "## What it does" in descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["level"] == "warning"
        assert descriptor["properties"]["family"] == rule.FAMILY
        assert rule.FAMILY in descriptor["properties"]["tags"]
        assert descriptor["helpUri"].endswith(f"/docs/rules/{rule.CODE}.md")


def test_sarif_results_point_at_rules_locations_and_traces(outputs, findings):
    run = json.loads(outputs["sarif"])["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == [f["rule"] for f in findings]
    prints = set()
    for res, f in zip(results, findings):
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] == {"error": "error", "warning": "warning", "note": "note"}[f["severity"]]
        assert res["message"]["text"].startswith(f["message"])
        (loc,) = res["locations"]
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"] == {"uri": f["path"], "uriBaseId": "%SRCROOT%"}
        assert not phys["artifactLocation"]["uri"].startswith("/")
        region = phys["region"]
        assert (region["startLine"], region["startColumn"], region["endLine"]) == (
            f["line"], f["column"], f["end_line"])
        assert region["endColumn"] == max(f["end_column"], 1)
        fp = res["partialFingerprints"]["perflint/v1"]
        assert fp and fp not in prints
        prints.add(fp)
        props = res["properties"]
        assert props["score"] == f["score"]
        assert props["confidence"] == f["confidence"]
        assert props["family"] == f["family"]
        assert props["frequency"] == f["frequency"] >= 1 and props["cost"] == f["cost"]
        assert props["scoreUnit"] == "seconds per unit of work"
        if f["trace"]:
            (flow,) = res["codeFlows"]
            (thread,) = flow["threadFlows"]
            hops = thread["locations"]
            assert len(hops) == len(f["trace"])
            for hop, expected in zip(hops, f["trace"]):
                assert hop["location"]["message"]["text"] == expected["note"]
                hp = hop["location"]["physicalLocation"]
                assert hp["artifactLocation"] == {"uri": expected["path"], "uriBaseId": "%SRCROOT%"}
                assert hp["region"]["startLine"] == expected["line"]
        else:
            assert "codeFlows" not in res
    # the multi-line deepcopy keeps its full range
    deep = results[[f["rule"] for f in findings].index("PFL101")]
    region = deep["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 11 and region["endLine"] == 13


def test_sarif_parse_errors_are_notifications(outputs):
    run = json.loads(outputs["sarif"])["runs"][0]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert "syntax error" in note["message"]["text"]
    phys = note["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "app/broken.py", "uriBaseId": "%SRCROOT%"}
    assert phys["region"]["startLine"] >= 1


def test_sarif_is_deterministic(project, outputs):
    again = run_cli(["check", "app", "--format", "sarif"], project)
    assert again.out == outputs["sarif"]


def test_sarif_hand_built_corner_cases(schema):
    res = result(
        finding(),
        finding(rule="PFL999", name="made-up", family="fastpath", severity="note", path="/abs/x y.py",
                trace=(), fingerprint="", context=""),
        finding(path="odd dir/ü#1.py", line=3, column=9, end_line=3, end_column=2,
                fingerprint="fedcba9876543210:1"),
        errors=[FileError("gone.py", "no such file or directory")],
    )
    log = sarif.to_sarif(res)
    validate(schema, log)
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["PFL401", "PFL999"]
    first, made_up, odd = run["results"]
    assert run["tool"]["driver"]["rules"][made_up["ruleIndex"]]["id"] == "PFL999"
    assert made_up["level"] == "note"
    assert made_up["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "file:///abs/x%20y.py"}
    assert made_up["partialFingerprints"]["perflint/v1"]  # synthesised when the finding has none
    assert "codeFlows" not in made_up
    assert odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "odd%20dir/%C3%BC%231.py"
    region = odd["locations"][0]["physicalLocation"]["region"]
    assert region["endColumn"] >= region["startColumn"]
    descriptor = run["tool"]["driver"]["rules"][first["ruleIndex"]]
    assert descriptor["fullDescription"]["text"] == "Flags a thing across two lines."
    assert sarif.render(res) == sarif.render(res)
    # unknown kwargs are accepted and ignored
    assert sarif.render(res, color=True, show_trace=False) == sarif.render(res)


def test_sarif_of_an_empty_run(schema):
    log = json.loads(sarif.render(result()))
    validate(schema, log)
    assert log["runs"][0]["results"] == []
    assert "toolExecutionNotifications" not in log["runs"][0]["invocations"][0]


# -- GitHub ----------------------------------------------------------------------------

COMMAND_RE = re.compile(r"^::(?P<cmd>error|warning|notice) (?P<props>[^:\r\n]*)::(?P<msg>[^\r\n]*)$")
PROP_RE = re.compile(r"^(?P<key>file|line|endLine|col|endColumn|title)=(?P<value>[^,:\r\n]*)$")


def unescape(text: str) -> str:
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}[m.group(1)], text)


def parse_command(line: str) -> dict:
    m = COMMAND_RE.match(line)
    assert m, line
    props = {}
    for part in m.group("props").split(","):
        pm = PROP_RE.match(part)
        assert pm, (part, line)
        assert pm.group("key") not in props
        props[pm.group("key")] = unescape(pm.group("value"))
    if "col" in props or "endColumn" in props:
        assert props["line"] == props["endLine"], line  # columns only on single-line ranges
        assert int(props["endColumn"]) >= int(props["col"]), line
    return {"cmd": m.group("cmd"), "props": props, "message": unescape(m.group("msg"))}


def test_github_annotations_from_the_cli(outputs, findings):
    lines = outputs["github"].splitlines()
    assert outputs["github"].endswith("\n")
    # one line per finding; the parse error is already the PFL000 finding, not repeated
    assert len(lines) == len(findings)
    for line, f in zip(lines, findings):
        cmd = parse_command(line)
        assert cmd["cmd"] == {"error": "error", "warning": "warning", "note": "notice"}[f["severity"]]
        props = cmd["props"]
        assert props["file"] == f["path"]
        assert props["title"] == f"{f['rule']} {f['name']}"
        assert int(props["line"]) == f["line"] and int(props["endLine"]) == f["end_line"]
        assert cmd["message"].split("\n")[0] == f["message"]
        if f["rule"] != "PFL000":
            assert "\n" + "in a for loop in " in cmd["message"]
        assert cmd["message"].endswith("fix: " + f["fix"])
        if f["line"] == f["end_line"]:
            assert int(props["col"]) == f["column"]
            assert int(props["endColumn"]) == max(f["end_column"], f["column"])
        else:
            assert "col" not in props and "endColumn" not in props
    deep = parse_command(lines[[f["rule"] for f in findings].index("PFL101")])
    assert deep["props"]["line"] == "11" and deep["props"]["endLine"] == "13"
    assert "col" not in deep["props"] and "endColumn" not in deep["props"]


def test_github_escapes_properties_and_message():
    f = finding(path="we,ird:dir/100%.py", message="50% of rows: a, b\r\nnext line",
                name="fsync-where-fdatasync", fix="x: y, z", context="")
    line = github.render(result(f))
    assert line.count("\n") == 1  # one command, raw newlines never leak
    raw = line.rstrip("\n")
    assert "file=we%2Cird%3Adir/100%25.py," in raw
    assert raw.endswith("::50%25 of rows: a, b%0D%0Anext line%0Afix: x: y, z")
    cmd = parse_command(raw)
    assert cmd["props"]["file"] == "we,ird:dir/100%.py"
    assert cmd["message"] == "50% of rows: a, b\r\nnext line\nfix: x: y, z"


def test_github_severities_columns_and_errors():
    note = finding(severity="note")
    multi = finding(severity="error", line=4, end_line=6, column=9, end_column=2)
    backwards = finding(column=12, end_column=3)  # never endColumn < col
    lines = github.render(result(note, multi, backwards, errors=[FileError("gone.py", "no such file or directory")]),
                          color=True, show_trace=False).splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("::notice ")
    assert parse_command(lines[1])["props"] == {"file": "pkg/db.py", "line": "4", "endLine": "6",
                                                "title": "PFL401 fsync-where-fdatasync"}
    assert lines[1].startswith("::error ")
    assert parse_command(lines[2])["props"]["endColumn"] == "12"
    assert lines[3] == "::error file=gone.py,line=1::no such file or directory"
    assert github.render(result()) == ""


# -- GitLab ----------------------------------------------------------------------------


def test_gitlab_code_quality_from_the_cli(outputs, findings):
    sarif_prints = [r["partialFingerprints"]["perflint/v1"] for r in json.loads(outputs["sarif"])["runs"][0]["results"]]
    issues = json.loads(outputs["gitlab"])
    assert isinstance(issues, list) and len(issues) == len(findings)
    fps = [i["fingerprint"] for i in issues]
    assert len(set(fps)) == len(fps)
    for issue, f, sp in zip(issues, findings, sarif_prints):
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location",
                              "categories", "type", "engine_name"}
        assert issue["description"] == f"{f['rule']} {f['message']}"
        assert issue["check_name"] == f["rule"]
        assert re.fullmatch(r"[0-9a-f]{64}", issue["fingerprint"])
        assert issue["severity"] == {"note": "minor", "warning": "major", "error": "critical"}[f["severity"]]
        assert issue["location"] == {"path": f["path"], "lines": {"begin": f["line"], "end": f["end_line"]}}
        assert issue["categories"] == ["Performance"]
        assert issue["type"] == "issue"
        assert issue["engine_name"] == "perflint"
        assert f["fix"] in issue["content"]["body"]
        if f["rule"] != "PFL000":  # the SARIF fingerprint is perflint's own: tie them together
            expected = hashlib.sha256(f"{sp}|{f['path']}".encode()).hexdigest()
            assert issue["fingerprint"] == expected
    deep = issues[[f["rule"] for f in findings].index("PFL101")]
    assert deep["location"]["lines"] == {"begin": 11, "end": 13}


def test_gitlab_hand_built_corner_cases():
    same = finding()
    res = result(finding(severity="note"), same, same, finding(rule="PFL000", fingerprint="", severity="error"))
    issues = json.loads(gitlab.render(res, color=False))
    assert [i["severity"] for i in issues] == ["minor", "major", "major", "critical"]
    fps = [i["fingerprint"] for i in issues]
    assert len(set(fps)) == 4  # unique even when two findings share a fingerprint
    assert gitlab.render(res) == gitlab.render(res)
    assert json.loads(gitlab.render(result())) == []
