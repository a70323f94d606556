"""The server's warm project in-process: buffers over disk summaries, relinking per edit,
and the pieces the protocol layer uses (ignore-comment edits, config error locations)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT, write
from perflint.callgraph import Program
from perflint.config import Config
from perflint.engine import link
from perflint.lsp.configuration import load_workspace_config
from perflint.lsp.edits import LineEdit, ignore_edit
from perflint.lsp.project import WarmProject

SEEDSQL = ROOT / "fixtures" / "seedsql"


@pytest.fixture(scope="module")
def seedsql(tmp_path_factory, request) -> WarmProject:
    import os

    old = os.getcwd()
    os.chdir(SEEDSQL)  # display paths as the server has them: relative to the project folder
    request.addfinalizer(lambda: os.chdir(old))
    config, problem = load_workspace_config(SEEDSQL)
    assert problem is None
    project = WarmProject(SEEDSQL, config, use_cache=False)
    assert project.load() >= 10
    project.relink()
    return project


@contextmanager
def session_open(project: WarmProject):
    """seedsql/session.py open in a buffer, as on disk and linked; closed and relinked after."""
    session = SEEDSQL / "seedsql" / "session.py"
    file = project.source_file(session)
    text = session.read_text(encoding="utf-8")
    try:
        project.set_buffer(file, text)
        yield file, text, project.relink()
    finally:
        project.close_buffer(file.display)
        project.relink()


def graph(program: Program):
    return program.graph_json(), sorted(program.heat.items())


def test_typing_within_a_line_keeps_the_program(seedsql: WarmProject):
    with session_open(seedsql) as (file, text, program):
        before = seedsql.findings([file.display, "seedsql/pager.py"]).findings
        # A docstring and a comment edited in place: no call, line or definition moves.
        typed = text.replace("once per parameter tuple", "once per parameter tuple (typed)")
        typed = typed.replace("# implicit transaction", "# an implicit transaction")
        assert typed != text and len(typed.splitlines()) == len(text.splitlines())
        seedsql.set_buffer(file, typed)
        assert seedsql.relink() is program
        assert seedsql.findings([file.display, "seedsql/pager.py"]).findings == before
        # A call added within the line: the program is linked again.
        seedsql.set_buffer(file, typed.replace("self.begin()  #", "self.begin(); self.commit()  #"))
        assert seedsql.relink() is not program


def _everything(project: WarmProject, program: Program, displays):
    """What a user sees of these files under `program`: findings with their traces, explanations."""
    kept = project.program
    project.program = program
    try:
        result = project.findings(displays)
    finally:
        project.program = kept
    return result.findings, result.extra["explanations"], graph(program)


def _whole_link(project: WarmProject) -> Program:
    merged = dict(project.disk)
    merged.update(project.parsed)
    return link([merged[path] for path in sorted(merged)], project.config)


REPORTED = ["seedsql/session.py", "seedsql/pager.py", "seedsql/planner.py"]


def test_new_lines_keep_the_program_and_report_the_moved_lines(seedsql: WarmProject):
    with session_open(seedsql) as (file, text, program):
        lines = text.splitlines(keepends=True)
        before = seedsql.findings(REPORTED).findings
        # A comment at the top and a blank line inside a function: everything below moves.
        inside = next(i for i, line in enumerate(lines) if line.startswith("    def ")) + 1
        moved = "# a new first line\n" + "".join(lines[:inside] + ["\n"] + lines[inside:])
        seedsql.set_buffer(file, moved)
        assert seedsql.update() is True
        assert seedsql.program is program
        after = _everything(seedsql, program, REPORTED)
        assert after == _everything(seedsql, _whole_link(seedsql), REPORTED)
        # The traces into session.py (from pager.py, planner.py and its own) moved with the lines.
        hops = {(f.path, f.rule): [hop.line for hop in f.trace if hop.path == file.display] for f in after[0]}
        old = {(f.path, f.rule): [hop.line for hop in f.trace if hop.path == file.display] for f in before}
        assert hops.keys() == old.keys() and hops[("seedsql/pager.py", "PFL402")]
        # (one line more above the first method's body, two below it)
        assert all([n - w for n, w in zip(hops[key], old[key])] == [1 + (w > inside) for w in old[key]]
                   for key in hops)
        # And back: the lines move again, still the same program.
        seedsql.set_buffer(file, text)
        assert seedsql.update() is True and seedsql.relink() is program
        assert _everything(seedsql, program, REPORTED) == _everything(seedsql, _whole_link(seedsql), REPORTED)


def test_a_call_graph_edit_is_provisional_until_the_whole_relink(seedsql: WarmProject):
    with session_open(seedsql) as (file, text, program):
        # A new line with a new call on it: lines move and the call graph changes.
        edited = text.replace("            self.begin()  #", "            self.commit()\n            self.begin()  #", 1)
        assert edited != text
        seedsql.set_buffer(file, edited)
        assert seedsql.update() is False
        assert seedsql.program is program  # the first stage scores against it
        assert seedsql.findings([file.display]).findings  # and gives the edited file its findings

        def abandon() -> None:
            raise KeyboardInterrupt("a newer edit")

        with pytest.raises(KeyboardInterrupt):
            seedsql.relink(abandon)
        assert seedsql.program is program and seedsql.update() is False  # nothing half done
        linked = seedsql.relink(lambda: None)
        assert linked is not program and seedsql.update() is True
        assert _everything(seedsql, linked, REPORTED) == _everything(seedsql, _whole_link(seedsql), REPORTED)


def test_a_buffer_that_does_not_parse_keeps_its_last_good_summary_in_the_graph(seedsql: WarmProject):
    with session_open(seedsql) as (file, text, _):
        seedsql.set_buffer(file, text + "\ndef broken(:\n")
        program = seedsql.relink()
        assert "seedsql.session.Session.executemany" in program.functions
        result = seedsql.findings([file.display, "seedsql/pager.py"])
        assert [(f.rule, f.path) for f in result.findings if f.rule == "PFL000"] == [("PFL000", "seedsql/session.py")]
        assert [f.line for f in result.findings if f.path == "seedsql/session.py"] == [len(text.splitlines()) + 2]
        assert ("PFL402", "seedsql/pager.py") in {(f.rule, f.path) for f in result.findings}


def test_new_unsaved_file_and_excluded_file(tmp_path: Path, monkeypatch):
    root = write(tmp_path, {"pyproject.toml": "[tool.perflint]\nexclude = [\"vendored/\"]\n",
                            "pkg/__init__.py": "", "vendored/lib.py": "x = 1\n"})
    monkeypatch.chdir(root)
    config, _ = load_workspace_config(root)
    project = WarmProject(root, config, use_cache=False)
    assert project.load() == 1
    assert project.source_file(root / "vendored" / "lib.py") is None
    new = project.source_file(root / "pkg" / "new.py")
    assert (new.display, new.module, new.is_test) == ("pkg/new.py", "pkg.new", False)


@pytest.mark.parametrize(
    "line, code, expected",
    [
        ("    os.fsync(fd)", "PFL402", LineEdit(0, 16, 16, "  # perflint: ignore[PFL402]")),
        ("    os.fsync(fd)   ", "PFL402", LineEdit(0, 16, 19, "  # perflint: ignore[PFL402]")),
        ("    os.fsync(fd)  # noqa: E501", "PFL402", LineEdit(0, 30, 30, "  # perflint: ignore[PFL402]")),
        ("    os.fsync(fd)  # perflint: ignore[PFL401]", "PFL402", LineEdit(0, 37, 43, "PFL401, PFL402")),
        ("    os.fsync(fd)  # perflint: ignore[PFL402]", "PFL402", None),
        ("    os.fsync(fd)  # perflint: ignore", "PFL402", None),
        ("    s = '# not a comment' + os.fsync(fd)", "PFL402",
         LineEdit(0, 40, 40, "  # perflint: ignore[PFL402]")),
        ("    x = os.fsync(fd) + \\", "PFL402", None),
    ],
)
def test_ignore_edit(line: str, code: str, expected):
    source = line + "\n" + ("    1\n" if line.endswith("\\") else "")
    assert ignore_edit(source, 1, code) == expected


def test_ignore_edit_never_lands_inside_a_string():
    source = 'cur.execute("""SELECT *\n  FROM t""")\n'
    assert ignore_edit(source, 1, "PFL503") is None
    assert ignore_edit(source, 2, "PFL503") == LineEdit(1, 12, 12, "  # perflint: ignore[PFL503]")


def test_config_errors_name_their_line(tmp_path: Path):
    root = write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n\n[tool.perflint]\nselect = ['PFL401']\n"
                                              "\n[tool.perflint.rules.PFL401]\nseverity = 'loud'\n"})
    config, problem = load_workspace_config(root)
    assert config is None
    assert (problem.line, problem.column) == (7, 0)
    assert problem.message == "[tool.perflint] key 'rules.PFL401.severity': must be one of note, warning, error, not 'loud'"
    write(tmp_path, {"perflint.toml": "# perflint\nselect = [\n"})
    config, problem = load_workspace_config(root)
    assert problem.path.name == "perflint.toml" and problem.line == 1
    assert problem.message.startswith("invalid TOML")
    (tmp_path / "perflint.toml").unlink()
    (tmp_path / "pyproject.toml").unlink()
    config, problem = load_workspace_config(root)
    assert problem is None and config == Config(root=root)


def test_initialization_options():
    from perflint.lsp.server import Options

    options, problems = Options.from_client({"debounceMs": 40, "cache": False, "jobs": 1})
    assert (options.debounce, options.cache, options.jobs, problems) == (0.04, False, 1, [])
    options, problems = Options.from_client(None)
    assert (options.debounce, options.cache, options.jobs, problems) == (0.15, True, 0, [])
    options, problems = Options.from_client({"debounceMs": "fast", "cache": 1, "jobs": -1, "color": True})
    assert (options.debounce, options.cache, options.jobs) == (0.15, True, 0)
    assert problems == [
        "debounceMs must be a number of milliseconds from 0 to 10000, not 'fast'",
        "cache must be true or false, not 1",
        "jobs must be a whole number, 0 for one per CPU, not -1",
        "unknown initializationOptions: color",
    ]


def test_hover_text_in_time_units():
    from perflint.finding import Finding, TraceHop
    from perflint.lsp.convert import hover_markdown

    finding = Finding(
        rule="PFL402", name="sync-per-statement", family="sync", severity="warning", score=0.013,
        confidence="high", path="app/storage.py", line=6, column=5, end_line=6, end_column=17,
        function="append_record", message="os.fsync() runs once per iteration", fix="sync once per batch",
        trace=(TraceHop("app/importer.py", 6, "import_rows", "calls append_record inside a for loop (line 5)"),),
        cost=1.3e-4, frequency=100.0, fingerprint="f:1",
    )
    text = hover_markdown([finding], {"f:1": "cost x frequency = 13 ms"})
    lines = text.splitlines()
    assert lines[0] == "**PFL402** `sync-per-statement` (warning): os.fsync() runs once per iteration"
    assert "- estimated cost: 130 µs per execution" in lines
    assert "- frequency: 100 executions per unit of work" in lines
    assert "- score: 13 ms per unit of work (confidence high)" in lines
    assert any(line.startswith("1. [app/importer.py:6](file://") and line.endswith(
        "#L6) `import_rows`: calls append\\_record inside a for loop (line 5)") for line in lines)
    assert "cost x frequency = 13 ms" in lines
    assert lines[-1].endswith("/docs/rules/PFL402.md)")
