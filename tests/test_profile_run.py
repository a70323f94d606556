"""`perflint profile -- CMD`: which interpreter runs what, decided without running anything."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from perflint.profile_run import CommandError, default_output, profile_command

OUT = Path("/tmp/out.pstats")
CPROFILE = ["-m", "cProfile", "-o", str(OUT)]


def _script(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_python_with_options_and_module():
    assert profile_command(["python3", "-X", "dev", "-u", "app.py", "--port", "1"], OUT) == [
        "python3", "-X", "dev", "-u", *CPROFILE, "app.py", "--port", "1"]
    assert profile_command(["python3.12", "-m", "pkg.job", "x"], OUT) == ["python3.12", *CPROFILE, "-m", "pkg.job", "x"]


def test_a_script_runs_under_this_interpreter(tmp_path):
    script = _script(tmp_path, "job.py", "print(1)\n")
    assert profile_command([str(script), "a"], OUT) == [sys.executable, *CPROFILE, str(script), "a"]


def test_console_scripts_use_their_shebang_interpreter(tmp_path, monkeypatch):
    _script(tmp_path, "direct", "#!/opt/py/bin/python3.11\nimport sys\n")
    _script(tmp_path, "viaenv", "#!/usr/bin/env python3\nimport sys\n")
    _script(tmp_path, "longpath", "#!/bin/sh\n'''exec' /very/long/venv/bin/python \"$0\" \"$@\"\n' '''\nimport sys\n")
    _script(tmp_path, "shell", "#!/bin/sh\necho hi\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert profile_command(["direct", "-k", "x"], OUT) == ["/opt/py/bin/python3.11", *CPROFILE, str(tmp_path / "direct"), "-k", "x"]
    argv = profile_command(["viaenv"], OUT)
    assert Path(argv[0]).name.startswith("python3") and argv[1:] == [*CPROFILE, str(tmp_path / "viaenv")]
    assert profile_command(["longpath"], OUT)[0] == "/very/long/venv/bin/python"
    with pytest.raises(CommandError, match="is not a Python program"):
        profile_command(["shell"], OUT)


@pytest.mark.parametrize("command,message", [
    ([], "no command given"),
    (["python"], "needs a script or `-m module`"),
    (["python", "-c", "print(1)"], "is not a script or module"),
    (["missing.py"], "missing.py: no such script"),
])
def test_refused_commands(command, message):
    with pytest.raises(CommandError, match=message):
        profile_command(command, OUT)


def test_default_output_is_named_after_the_command(tmp_path):
    out = default_output(tmp_path, ["python", "-m", "pytest"])
    assert out.parent == tmp_path / "profiles"
    assert out.name.endswith("-pytest.pstats")
    assert default_output(tmp_path, ["pytest", "tests/x.py"]).name.endswith("-pytest.pstats")
    assert default_output(tmp_path, ["python3", "bench/run.py"]).name.endswith("-run.pstats")
    assert default_output(tmp_path, ["python3", "-X", "dev", "app.py"]).name.endswith("-app.pstats")
