"""perflint never crashes and never misleads: bad files, bad config, hostile trees.

Every test runs the real command line in a subprocess on a throw-away project and checks
the exit code, that no traceback reached stderr, that the problem is named (a PFL000
finding and an `errors` entry, or a one-line config error), and that the good file next
to the bad one is still reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

# fsync in a loop: PFL401 and PFL402 (warnings) on line 7.
GOOD = textwrap.dedent(
    """\
    import os


    def write_all(fd, chunks):
        for chunk in chunks:
            os.write(fd, chunk)
            os.fsync(fd)
    """
)
GOOD_LINE = 7


class Outcome:
    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self._json: Optional[dict] = None

    @property
    def json(self) -> dict:
        if self._json is None:
            self._json = json.loads(self.stdout)
        return self._json

    def findings(self, path: Optional[str] = None, rule: Optional[str] = None) -> List[dict]:
        return [
            f for f in self.json["findings"]
            if (path is None or f["path"] == path) and (rule is None or f["rule"] == rule)
        ]

    def errors(self, path: Optional[str] = None) -> List[dict]:
        return [e for e in self.json["errors"] if path is None or e["path"] == path]


def perflint(cwd: Path, *args: str, env: Optional[Dict[str, str]] = None, timeout: float = 300) -> Outcome:
    proc = subprocess.run(
        [sys.executable, "-m", "perflint", *args],
        cwd=cwd, capture_output=True, text=True, encoding="utf-8", errors="replace",
        env=env, timeout=timeout,
    )
    out = Outcome(proc)
    assert "Traceback" not in out.stderr, out.stderr
    assert "internal error" not in out.stderr, out.stderr
    return out


def check_json(cwd: Path, *args: str, **kw) -> Outcome:
    return perflint(cwd, "check", *args, "--format", "json", "--min-severity", "note", **kw)


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path / "good.py", GOOD)
    return tmp_path


def assert_good_reported(out: Outcome, path: str = "good.py") -> None:
    rules = {f["rule"] for f in out.findings(path) if f["line"] == GOOD_LINE}
    assert {"PFL401", "PFL402"} <= rules, out.stdout  # every severity is shown (--min-severity note)


def assert_file_error(out: Outcome, path: str, *words: str) -> dict:
    """`path` is in `errors` and has a PFL000 finding whose message has `words`."""
    errors = out.errors(path)
    assert len(errors) == 1, out.json["errors"]
    pfl000 = out.findings(path, "PFL000")
    assert len(pfl000) == 1, out.findings(path)
    assert pfl000[0]["severity"] == "error"
    assert pfl000[0]["message"] == errors[0]["message"]
    assert "\n" not in errors[0]["message"]
    for word in words:
        assert word in errors[0]["message"], errors[0]["message"]
    # nothing else is reported for an unparsable file
    assert [f["rule"] for f in out.findings(path)] == ["PFL000"]
    return pfl000[0]


# --- bad input ------------------------------------------------------------------------------


def test_syntax_error_is_pfl000_with_its_line(project: Path) -> None:
    write(project / "broken.py", "import os\n\n\ndef f(:\n    pass\n")
    out = check_json(project, ".")
    assert out.rc == 1
    finding = assert_file_error(out, "broken.py", "syntax error")
    assert finding["line"] in (4, 5)  # libcst points at the token after the `(`
    assert_good_reported(out)


def test_latin1_coding_cookie_parses_with_correct_lines(project: Path) -> None:
    data = (
        b"# -*- coding: latin-1 -*-\n"
        b"# caf\xe9 cr\xe8me\n"
        b"import os\n"
        b"\n"
        b"\n"
        b"def write_all(fd, chunks):\n"
        b"    label = '\xe9\xe8\xe0'\n"
        b"    for chunk in chunks:\n"
        b"        os.fsync(fd)\n"
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    write(project / "latin.py", data)
    out = check_json(project, ".")
    assert out.rc == 1
    assert out.errors() == []
    assert {(f["rule"], f["line"], f["column"]) for f in out.findings("latin.py")} == {
        ("PFL401", 9, 9), ("PFL402", 9, 9)
    }
    assert_good_reported(out)


def test_utf8_bom_parses_with_correct_lines(project: Path) -> None:
    write(project / "bom.py", b"\xef\xbb\xbf" + GOOD.encode())
    out = check_json(project, ".")
    assert out.errors() == []
    assert {(f["rule"], f["line"], f["column"]) for f in out.findings("bom.py")} == {
        ("PFL401", GOOD_LINE, 9), ("PFL402", GOOD_LINE, 9)
    }
    assert_good_reported(out)


@pytest.mark.parametrize("newline", ["\r\n", "\r", "mixed"], ids=["crlf", "cr", "mixed"])
def test_line_endings_give_the_same_lines(project: Path, newline: str) -> None:
    # Old Mac files end lines with a lone \r; Python counts it as a line break, so must we
    # (lines, end lines, and where a suppression comment applies).
    text = (
        "x = 1\ny = (1,\n 2)\nz = 1 + \\\n 2\ns = \'\'\'a\nb\'\'\'\n" + GOOD
        + "        os.fsync(fd)  # perflint: ignore[PFL401]\n        os.fsync(\n  fd)\n"
    )
    if newline == "mixed":
        parts = text.split("\n")
        # (never a lone \r right before a \n: that pair is one line break)
        data = "".join(p + ("\r\n", "\n", "\r")[i % 3] for i, p in enumerate(parts[:-1])) + parts[-1]
    else:
        data = text.replace("\n", newline)
    write(project / "endings.py", data.encode())
    write(project / "unix.py", text.encode())
    out = check_json(project, ".")
    assert out.errors() == []
    # every site, lead or related (one finding per cause), with its exact span
    spans = lambda name: sorted(
        [(f["rule"], f["line"], f["column"], f["end_line"], f["end_column"]) for f in out.findings(name)]
        + [(f["rule"], r["line"], r["column"], r["end_line"], r["end_column"])
           for f in out.findings(name) for r in f["related"]])
    assert spans("endings.py") == spans("unix.py")
    assert ("PFL401", 15, 9, 15, 21) not in spans("endings.py")  # suppressed on its own line
    assert ("PFL402", 15, 9, 15, 21) in spans("endings.py")
    assert_good_reported(out)


def test_invalid_utf8_without_cookie(project: Path) -> None:
    write(project / "bad_utf8.py", b"x = '\xff\xfe caf\xe9'\n")
    out = check_json(project, ".")
    assert out.rc == 1
    assert_file_error(out, "bad_utf8.py", "cannot decode")
    assert_good_reported(out)


def test_unknown_coding_cookie(project: Path) -> None:
    write(project / "cookie.py", b"# -*- coding: no-such-codec -*-\nx = 1\n")
    out = check_json(project, ".")
    assert_file_error(out, "cookie.py")
    assert_good_reported(out)


def test_nul_bytes(project: Path) -> None:
    write(project / "nul.py", b"x = 1\x00\ny = 2\n")
    out = check_json(project, ".")
    assert_file_error(out, "nul.py", "NUL")
    assert_good_reported(out)


def test_binary_file_named_py(project: Path) -> None:
    write(project / "blob.py", bytes(range(256)) * 64)
    write(project / "blob2.py", os.urandom(4096).replace(b"\x00", b"\x01"))  # no NUL either
    out = check_json(project, ".")
    assert_file_error(out, "blob.py")
    assert_file_error(out, "blob2.py")
    assert_good_reported(out)


def test_empty_and_whitespace_only_files(project: Path) -> None:
    write(project / "empty.py", b"")
    write(project / "pkg" / "__init__.py", b"")
    write(project / "blank.py", b"\n\n   \n\t\n")
    write(project / "comment.py", b"# only a comment, no newline at the end")
    out = check_json(project, ".")
    assert out.errors() == []
    assert out.json["summary"]["files"] == 5
    assert_good_reported(out)


def test_python2_syntax(project: Path) -> None:
    write(project / "py2.py", 'print "hello"\nexec "x = 1"\n')
    out = check_json(project, ".")
    assert out.rc == 1
    finding = assert_file_error(out, "py2.py", "syntax error")
    assert finding["line"] == 1
    assert_good_reported(out)


DEEP = {
    # CPython refuses all of these too ("too many nested parentheses", MemoryError, ...);
    # libcst's parser overflows the stack or takes minutes on them: perflint says so.
    "parens.py": "x = " + "(" * 500 + "1" + ")" * 500 + "\n",
    "parens5000.py": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
    "calls.py": "x = " + "f(" * 1000 + ")" * 1000 + "\n",
    "unary.py": "x = " + "-" * 100000 + "1\n",
    "lambdas.py": "f = " + "lambda: " * 10000 + "1\n",
}


def test_pathologically_nested_expressions(project: Path) -> None:
    for name, text in DEEP.items():
        write(project / name, text)
    out = check_json(project, ".", timeout=120)
    assert out.rc == 1
    for name in DEEP:
        assert_file_error(out, name, "nested")
    assert_good_reported(out)


def test_deep_but_legal_nesting_is_analysed(project: Path) -> None:
    # 100 nested lists (CPython's limit is 200), 99 nested ifs (CPython's is 100 indents),
    # a very long line and a long flat literal: all legal, all analysed.
    write(project / "lists.py", "x = " + "[" * 100 + "1" + "]" * 100 + "\n" + GOOD)
    ifs = "".join("    " * d + f"if x{d}:\n" for d in range(99)) + "    " * 99 + "pass\n"
    write(project / "ifs.py", ifs + GOOD)
    write(project / "longline.py", "x = [" + ", ".join(str(i) for i in range(20000)) + "]\n" + GOOD)
    write(project / "longexpr.py", "x = " + " + ".join(["a"] * 500) + "\n" + GOOD)
    write(project / "longstr.py", "x = '" + "ab" * 500_000 + "'\n" + GOOD)
    write(project / "attrs.py", "x = a" + ".b" * 300 + "\n" + GOOD)
    out = check_json(project, ".", timeout=240)
    assert out.errors() == [], out.json["errors"]
    for name in ("lists.py", "ifs.py", "longline.py", "longexpr.py", "longstr.py", "attrs.py"):
        lines = {f["line"] for f in out.findings(name)}
        first = {"lists.py": 1, "ifs.py": 100, "longline.py": 1, "longexpr.py": 1,
                 "longstr.py": 1, "attrs.py": 1}[name]
        assert lines == {first + GOOD_LINE}, (name, out.findings(name))
    assert_good_reported(out)


def test_too_many_indentation_levels(project: Path) -> None:
    ifs = "".join("    " * d + f"if x{d}:\n" for d in range(101)) + "    " * 101 + "pass\n"
    write(project / "ifs.py", ifs)
    out = check_json(project, ".")
    assert_file_error(out, "ifs.py", "indentation")
    assert_good_reported(out)


@pytest.mark.slow
def test_ten_megabyte_file(project: Path) -> None:
    parts = ["import os\n\n"]
    size = 0
    i = 0
    while size < 10_000_000:
        chunk = f"def f{i}(fd, xs):\n    total = 0\n    for x in xs:\n        total += x * {i}\n    return total\n\n\n"
        parts.append(chunk)
        size += len(chunk)
        i += 1
    parts.append(GOOD.replace("import os\n", ""))
    text = "".join(parts)
    write(project / "big.py", text)
    line = text.count("\n") - (GOOD.count("\n") - GOOD_LINE)
    out = check_json(project, "big.py", "good.py", "--no-cache", timeout=900)
    assert out.rc == 1
    assert out.errors() == []
    assert {(f["rule"], f["line"]) for f in out.findings("big.py")} == {("PFL401", line), ("PFL402", line)}
    assert_good_reported(out)


def test_unreadable_file(project: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop root from reading (see the symlink tests)")
    path = write(project / "secret.py", GOOD)
    path.chmod(0)
    try:
        out = check_json(project, ".")
    finally:
        path.chmod(0o644)
    assert_file_error(out, "secret.py", "cannot read")
    assert_good_reported(out)


def test_dangling_symlink_is_an_unreadable_file(project: Path) -> None:
    os.symlink(project / "gone.py", project / "dangling.py")
    out = check_json(project, ".")
    assert out.rc == 1
    assert_file_error(out, "dangling.py", "cannot read")
    assert_good_reported(out)
    # named on the command line, too
    out = check_json(project, "dangling.py", "good.py")
    assert_file_error(out, "dangling.py", "cannot read")
    assert_good_reported(out)


def test_symlink_loops_terminate(project: Path) -> None:
    os.symlink("..", project / "sub_loop")  # a folder link to the parent
    (project / "pkg").mkdir()
    os.symlink(project, project / "pkg" / "back")  # and to the project itself
    os.symlink("a.py", project / "b.py")  # file links in a cycle
    os.symlink("b.py", project / "a.py")
    os.symlink("self.py", project / "self.py")
    out = check_json(project, ".", timeout=60)
    for name in ("a.py", "b.py", "self.py"):
        assert_file_error(out, name, "cannot read")
    assert_good_reported(out)
    assert out.json["summary"]["files"] == 4


def test_missing_path_argument(project: Path) -> None:
    out = check_json(project, "nope.py", "good.py")
    assert out.errors("nope.py"), out.json["errors"]
    assert_good_reported(out)


def test_directory_named_like_a_module(project: Path) -> None:
    (project / "odd.py").mkdir()
    write(project / "odd.py" / "inner.py", GOOD)
    out = check_json(project, ".")
    assert out.errors() == []
    assert_good_reported(out)
    assert_good_reported(out, "odd.py/inner.py")


def test_file_deleted_between_discovery_and_analysis(tmp_path: Path) -> None:
    from perflint.analyze import Analyzer
    from perflint.discovery import SourceFile

    analyzer = Analyzer([])
    gone = SourceFile(tmp_path / "gone.py", "gone.py", "gone", False, False)
    summary = analyzer.analyze(gone)
    assert summary.error is not None
    assert "cannot read" in summary.error.message and "gone.py" == summary.error.path
    folder = SourceFile(tmp_path, "dir.py", "dir", False, False)  # a folder where a file was
    assert "cannot read" in analyzer.analyze(folder).error.message


def test_file_deleted_during_a_real_scan(project: Path) -> None:
    # The whole run in a subprocess, with discovery patched to delete a file it just found.
    write(project / "doomed.py", GOOD)
    script = textwrap.dedent(
        """\
        import sys
        import perflint.engine as engine
        from perflint.cli import main

        real = engine.discover

        def discover(*args, **kwargs):
            files = real(*args, **kwargs)
            for f in files:
                if f.path.name == "doomed.py":
                    f.path.unlink()
            return files

        engine.discover = discover
        sys.argv = ["perflint", "check", ".", "--format", "json", "--no-cache", "--min-severity", "note"]
        main()
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    out = Outcome(proc)
    assert out.rc == 1
    assert_file_error(out, "doomed.py", "cannot read")
    assert_good_reported(out)


def test_paths_with_spaces_and_non_ascii_names(tmp_path: Path) -> None:
    folder = tmp_path / "my project" / "módulos ünï"
    write(folder / "écrire données.py", GOOD)
    write(folder / "日本語.py", GOOD)
    out = check_json(tmp_path, ".")
    assert_good_reported(out, "my project/módulos ünï/écrire données.py")
    assert_good_reported(out, "my project/módulos ünï/日本語.py")
    text = perflint(tmp_path, "check", ".", "--no-trace")
    assert text.rc == 1
    assert f"my project/módulos ünï/écrire données.py:{GOOD_LINE}:9: PFL402" in text.stdout
    assert f"my project/módulos ünï/日本語.py:{GOOD_LINE}:9: PFL402" in text.stdout
    # an absolute path outside the working folder, given with spaces
    (tmp_path / "elsewhere").mkdir()
    out = check_json(tmp_path / "elsewhere", str(folder / "日本語.py"))
    assert_good_reported(out, (folder / "日本語.py").as_posix())


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that stores raw bytes")
@pytest.mark.parametrize("cache", [("--no-cache",), ()], ids=["no-cache", "cache"])
def test_file_name_that_is_not_utf8(project: Path, cache: Tuple[str, ...]) -> None:
    name = os.fsencode(project) + b"/caf\xe9.py"
    with open(name, "wb") as fh:
        fh.write(GOOD.encode())
    proc = subprocess.run(
        [sys.executable, "-m", "perflint", "check", ".", "--format", "json", "--min-severity", "note", *cache],
        cwd=project, capture_output=True, timeout=120,
    )
    assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr, proc.stderr
    data = json.loads(proc.stdout.decode("utf-8"))  # valid UTF-8, valid JSON
    paths = {f["path"] for f in data["findings"]}
    assert "caf\ufffd.py" in paths and "good.py" in paths


def test_ascii_only_stdout(project: Path) -> None:
    write(project / "ünï.py", GOOD)
    env = dict(os.environ, PYTHONIOENCODING="ascii")
    for fmt in ("text", "json"):
        out = perflint(project, "check", ".", "--format", fmt, env=env)
        assert out.rc == 1, out.stderr
        assert "good.py" in out.stdout


# --- bad config -----------------------------------------------------------------------------

BAD_CONFIGS: List[Tuple[str, str]] = [
    ("select = 'PFL999'", "select"),
    ("select = [1, 2]", "select"),
    ("select = ['nonsense']", "select"),
    ("ignore = ['PFL9']", "ignore"),
    ("ignore = 3", "ignore"),
    ("exclude = 3", "exclude"),
    ("exclude = [true]", "exclude"),
    ("test-patterns = {a = 1}", "test-patterns"),
    ("hot = 1.5", "hot"),
    ("per-file-ignores = ['x']", "per-file-ignores"),
    ("per-file-ignores = {'x.py' = 'PFL999'}", "per-file-ignores"),
    ("per-file-ignores = {'x.py' = [1]}", "per-file-ignores"),
    ("loop-factor = 'ten'", "loop-factor"),
    ("loop-factor = 0.5", "loop-factor"),
    ("loop-factor = true", "loop-factor"),
    ("min-severity = 'fatal'", "min-severity"),
    ("min-severity = 1", "min-severity"),
    ("fail-on = 'sometimes'", "fail-on"),
    ("fail-on = ['error']", "fail-on"),
    ("max-score = 'high'", "max-score"),
    ("respect-gitignore = 'yes'", "respect-gitignore"),
    ("baseline = 3", "baseline"),
    ("severity = 3", "severity"),
    ("severity = {warning = 600, error = 500}", "severity"),
    ("severity = {fatal = 5}", "severity.fatal"),
    ("severity = {warning = 'x'}", "severity.warning"),
    ("rules = 3", "rules"),
    ("rules = {PFL999 = {weight = 1}}", "rules.PFL999"),
    ("rules = {PFL401 = 3}", "rules.PFL401"),
    ("rules = {PFL401 = {weight = -1}}", "rules.PFL401.weight"),
    ("rules = {PFL401 = {weight = 'heavy'}}", "rules.PFL401.weight"),
    ("rules = {PFL401 = {severity = 'fatal'}}", "rules.PFL401.severity"),
    ("colour = 'red'", "colour"),
    ("overrides = {files = ['x']}", "overrides"),
    ("overrides = [3]", "overrides[0]"),
    ("overrides = [{select = ['PFL4']}]", "overrides[0].files"),
    ("overrides = [{files = 3}]", "overrides[0].files"),
    ("overrides = [{files = ['x'], select = ['PFL999']}]", "overrides[0].select"),
    ("overrides = [{files = ['x'], severity = {PFL401 = 'fatal'}}]", "overrides[0].severity.PFL401"),
    ("overrides = [{files = ['x'], severity = 'error'}]", "overrides[0].severity"),
    ("overrides = [{files = ['x'], bogus = 1}]", "overrides[0].bogus"),
]


def _config_error(out: Outcome, config_name: str, key: Optional[str]) -> None:
    assert out.rc == 2, (out.rc, out.stdout, out.stderr)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert config_name in lines[0], lines[0]
    if key is not None:
        assert f"'{key}'" in lines[0] or key in lines[0], lines[0]
    assert out.stdout == ""


@pytest.mark.parametrize("line,key", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_perflint_toml(project: Path, line: str, key: str) -> None:
    write(project / "perflint.toml", line + "\n")
    _config_error(perflint(project, "check", ".", "--format", "json"), "perflint.toml", key)


@pytest.mark.parametrize("line,key", BAD_CONFIGS[::4], ids=[c[0] for c in BAD_CONFIGS[::4]])
def test_bad_pyproject_table(project: Path, line: str, key: str) -> None:
    write(project / "pyproject.toml", "[project]\nname = 'x'\n\n[tool.perflint]\n" + line + "\n")
    _config_error(perflint(project, "check", "."), "pyproject.toml", key)


@pytest.mark.parametrize(
    "name,text",
    [
        ("perflint.toml", "select = [\n"),
        ("perflint.toml", "min-severity = 'note'\nmin-severity = 'error'\n"),
        ("perflint.toml", b"select = ['PFL4']\n# \xff\xfe\n"),
        ("pyproject.toml", "[tool.perflint\nselect = 1\n"),
        ("pyproject.toml", "[tool]\nperflint = 3\n"),
    ],
    ids=["unclosed-array", "duplicate-key", "not-utf8", "bad-table-header", "not-a-table"],
)
def test_malformed_config_file(project: Path, name: str, text) -> None:
    write(project / name, text)
    _config_error(perflint(project, "check", "."), name, None)


def test_config_option_that_does_not_exist(project: Path) -> None:
    out = perflint(project, "check", ".", "--config", "missing.toml")
    _config_error(out, "missing.toml", None)


def test_config_that_is_a_folder(project: Path) -> None:
    (project / "cfg.toml").mkdir()
    out = perflint(project, "check", ".", "--config", "cfg.toml")
    assert out.rc == 2


def test_bad_cli_selector(project: Path) -> None:
    out = perflint(project, "check", ".", "--select", "PFL999")
    assert out.rc == 2 and "PFL999" in out.stderr and len(out.stderr.strip().splitlines()) == 1


# --- never executes, never phones home ------------------------------------------------------

MARKER_CODE = """\
import pathlib
pathlib.Path({marker!r}).write_text("executed: " + __name__)
"""


def test_scanned_code_is_never_imported_or_executed(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    code = MARKER_CODE.format(marker=str(marker)) + GOOD
    for rel in (
        "pkg/__init__.py", "pkg/mod.py", "conftest.py", "setup.py", "tests/conftest.py",
        "sitecustomize.py", "usercustomize.py", "perflint.py", "perflint/__init__.py",
        "click.py", "libcst.py", "os.py", "__main__.py", "pkg/__main__.py",
    ):
        write(tmp_path / rel, code)
    # .pth files are executed by `site` when they sit in a site folder; perflint must not care.
    write(tmp_path / "evil.pth", f"import pathlib; pathlib.Path({str(marker)!r}).write_text('pth')\n")
    write(tmp_path / "evil_pth.py", f"import pathlib; pathlib.Path({str(marker)!r}).write_text('pth')\n")
    write(tmp_path / "pyproject.toml", "[project]\nname = 'evil'\n[tool.perflint]\nmin-severity = 'note'\n")
    # Run from inside the project: the working folder is on sys.path for `-m`, so a
    # shadowing module there would run if perflint imported scanned files by name.
    env = dict(os.environ)
    env.pop("PYTHONSAFEPATH", None)
    proc = subprocess.run(
        [sys.executable, "-P", "-m", "perflint", "check", ".", "--format", "json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert not marker.exists(), marker.read_text()
    data = json.loads(proc.stdout)
    assert any(f["path"] == "pkg/mod.py" and f["rule"] == "PFL402" for f in data["findings"])
    # the other commands that read code
    for args in (("graph", "."), ("check", ".", "--select", "ALL", "--jobs", "2", "--format", "sarif")):
        proc = subprocess.run([sys.executable, "-P", "-m", "perflint", *args],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert not marker.exists(), (args, marker.read_text())


SITECUSTOMIZE = """\
import socket, os
_LOG = {log!r}
def _record(what):
    with open(_LOG, "a") as fh:
        fh.write(what + "\\n")
_real_connect = socket.socket.connect
def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _record("connect %r" % (address,))
    return _real_connect(self, address)
socket.socket.connect = connect
_real_gai = socket.getaddrinfo
def getaddrinfo(*args, **kwargs):
    _record("getaddrinfo %r" % (args,))
    return _real_gai(*args, **kwargs)
socket.getaddrinfo = getaddrinfo
_real_cc = socket.create_connection
def create_connection(*args, **kwargs):
    _record("create_connection %r" % (args,))
    return _real_cc(*args, **kwargs)
socket.create_connection = create_connection
_record("armed")
"""


def test_no_network_access(project: Path, tmp_path_factory) -> None:
    hooks = tmp_path_factory.mktemp("hooks")
    log = hooks / "net.log"
    write(hooks / "sitecustomize.py", SITECUSTOMIZE.format(log=str(log)))
    write(project / "client.py", "import urllib.request\nurllib.request.urlopen('http://example.com')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")]))
    for extra in ((), ("--jobs", "2"), ("--select", "ALL")):
        out = check_json(project, ".", *extra, env=env)
        assert_good_reported(out)
    calls = log.read_text().splitlines()
    assert calls and set(calls) == {"armed"}, calls  # the hook ran, and nothing else was recorded


# --- determinism ----------------------------------------------------------------------------


def _multi_file_project(root: Path) -> None:
    write(root / "app" / "__init__.py", "")
    write(root / "app" / "store.py", textwrap.dedent("""\
        import copy
        import os
        import sqlite3


        class Store:
            def __init__(self, path):
                self.conn = sqlite3.connect(path)
                self.fd = os.open(path + ".log", os.O_WRONLY)
                self._schema = {}

            def put(self, row):
                self.conn.execute("INSERT INTO t VALUES (?)", (row,))
                self.conn.commit()
                os.fsync(self.fd)

            def snapshot(self):
                return copy.deepcopy(self._schema)
        """))
    write(root / "app" / "service.py", textwrap.dedent("""\
        from app.store import Store


        def ingest(rows):
            store = Store("db")
            for row in rows:
                store.put(row)
                store.snapshot()


        def batch(batches):
            for rows in batches:
                ingest(rows)
        """))
    write(root / "good.py", GOOD)
    write(root / "broken.py", "def f(:\n")


def test_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    _multi_file_project(tmp_path)
    outputs = {}
    for fmt in ("json", "text"):
        for attempt, extra in enumerate(((), (), ("--no-cache",), ("--jobs", "1"), ("--jobs", "2"))):
            proc = subprocess.run(
                [sys.executable, "-m", "perflint", "check", ".", "--format", fmt, "--min-severity", "note", *extra],
                cwd=tmp_path, capture_output=True, timeout=120,
            )
            assert proc.returncode == 1, proc.stderr
            outputs.setdefault(fmt, set()).add(proc.stdout)
        assert len(outputs[fmt]) == 1, fmt
    data = json.loads(outputs["json"].pop())
    assert {f["path"] for f in data["findings"]} >= {"app/store.py", "good.py", "broken.py"}


# --- cache faults (the cache itself is tested in test_cache.py) -----------------------------


def test_two_concurrent_runs_on_one_cache(tmp_path: Path) -> None:
    _multi_file_project(tmp_path)
    for i in range(30):
        write(tmp_path / "more" / f"m{i}.py", GOOD.replace("write_all", f"write_{i}"))
    expected = perflint(tmp_path, "check", ".", "--format", "json", "--no-cache").stdout
    cache = tmp_path / "shared-cache"
    for round_ in range(2):  # a cold cache, then a warm one
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "perflint", "check", ".", "--format", "json", "--cache-dir", str(cache),
                 "--jobs", str(jobs)],
                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for jobs in (1, 2, 1)
        ]
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=300)
            assert "Traceback" not in stderr, stderr
            assert proc.returncode == 1, stderr
            assert stdout == expected
    assert (cache / "cache.sqlite3").is_file()


def test_truncated_cache_database(tmp_path: Path) -> None:
    _multi_file_project(tmp_path)
    cache = tmp_path / "c"
    first = perflint(tmp_path, "check", ".", "--format", "json", "--cache-dir", str(cache))
    db = cache / "cache.sqlite3"
    assert db.is_file()
    for name in ("cache.sqlite3-wal", "cache.sqlite3-shm"):
        (cache / name).unlink(missing_ok=True)
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])
    second = perflint(tmp_path, "check", ".", "--format", "json", "--cache-dir", str(cache))
    assert second.rc == first.rc == 1
    assert second.stdout == first.stdout
    assert len([line for line in second.stderr.splitlines() if line.strip()]) <= 1
    db.write_bytes(b"this is not a database" * 100)
    third = perflint(tmp_path, "check", ".", "--format", "json", "--cache-dir", str(cache))
    assert third.stdout == first.stdout
    fourth = perflint(tmp_path, "check", ".", "--format", "json", "--cache-dir", str(cache))
    assert fourth.stdout == first.stdout and fourth.stderr.strip() == ""



def _run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    (cwd / "m.py").write_text("x = 1\n", encoding="utf-8")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)


def test_a_missing_dependency_names_what_to_install(tmp_path: Path) -> None:
    # an environment without a declared dependency (the review harness had no pathspec): one
    # line that says what to install, exit 2, no traceback
    proc = _run_python("import sys; sys.modules['pathspec'] = None\n"
                       "from perflint.cli import main; main(['check', '.', '--no-cache'])\n", tmp_path)
    assert (proc.returncode, proc.stderr.strip()) == (2, (
        "perflint: missing dependency 'pathspec' (cannot import pathspec): install perflint with its "
        "dependencies: python -m pip install perflint-cst"))


def test_a_missing_module_that_is_no_dependency_stays_an_internal_error(tmp_path: Path) -> None:
    proc = _run_python("import perflint.cli as c\n"
                       "def boom(*a, **k):\n    raise ModuleNotFoundError('No module named nothere', name='nothere')\n"
                       "c.cli.main = boom\nc.main(['check', '.'])\n", tmp_path)
    assert (proc.returncode, proc.stderr.strip()) == (2, "perflint: internal error: ModuleNotFoundError: No module named nothere")
