"""`perflint profile -- CMD`: run a Python command the user names under cProfile, keep the profile."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence

_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?(\.exe)?$")


class CommandError(Exception):
    """The command cannot be run under cProfile; the message says why, in one line."""


def profile_command(command: Sequence[str], output: Path) -> List[str]:
    """The argv that runs `command` under `python -m cProfile -o output`.

    - `python[3[.x]] ARGS`: that interpreter, with cProfile in front of ARGS (`-m mod`,
      `script.py`, ...); options before the script (`python -X dev x.py`) are kept.
    - `script.py ARGS`: this interpreter runs the script.
    - a console script on PATH (`pytest`, `flask`, ...) whose first line names a Python
      interpreter: that interpreter runs the script file, as its shebang would.
    Anything else (a binary, a shell script) is refused: cProfile only profiles Python."""
    if not command:
        raise CommandError("no command given: use `perflint profile -- CMD ARGS...`, e.g. `perflint profile -- pytest tests/`")
    head, rest = command[0], list(command[1:])
    cprofile = ["-m", "cProfile", "-o", str(output)]
    if _PYTHON.match(Path(head).name):
        options: List[str] = []
        while rest and rest[0].startswith("-") and rest[0] != "-m":
            if rest[0] in ("-c", "-"):
                raise CommandError(f"`{head} {rest[0]}` is not a script or module: cProfile runs `-m module` or a script file")
            options.append(rest.pop(0))
            if options[-1] in ("-X", "-W") and rest:
                options.append(rest.pop(0))
        if not rest:
            raise CommandError(f"`{head}` needs a script or `-m module` to profile")
        return [head, *options, *cprofile, *rest]
    if head.endswith(".py"):
        if not Path(head).is_file():
            raise CommandError(f"{head}: no such script")
        return [sys.executable, *cprofile, head, *rest]
    found = shutil.which(head)
    if found is None:
        raise CommandError(f"{head}: command not found")
    interpreter = _script_interpreter(Path(found))
    if interpreter is None:
        raise CommandError(
            f"{head} ({found}) is not a Python program; cProfile profiles Python only "
            "(for other programs: py-spy record --format speedscope -o profile.json -- CMD)"
        )
    return [*interpreter, *cprofile, found, *rest]


def _script_interpreter(path: Path) -> Optional[List[str]]:
    """The Python interpreter a script's shebang names (pip's `/bin/sh` trampoline too)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError:
        return None
    lines = head.decode("utf-8", "replace").splitlines()
    if not lines or not lines[0].startswith("#!"):
        return None
    words = shlex.split(lines[0][2:].strip())
    if words and Path(words[0]).name == "env" and len(words) > 1:
        words = words[1:]
        found = shutil.which(words[0])
        words[0] = found or words[0]
    if words and _PYTHON.match(Path(words[0]).name):
        return words[:1]
    # pip writes long interpreter paths as: #!/bin/sh / '''exec' /long/path/python "$0" "$@"
    if words and Path(words[0]).name == "sh" and len(lines) > 1 and lines[1].startswith("'''exec'"):
        exec_words = shlex.split(lines[1][len("'''exec'"):])
        if exec_words and _PYTHON.match(Path(exec_words[0]).name):
            return exec_words[:1]
    return None


def default_output(cache_dir: Path, command: Sequence[str]) -> Path:
    """.perflint_cache/profiles/<UTC time>-<command>.pstats"""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    words = [w for i, w in enumerate(command) if not w.startswith("-") and (i == 0 or command[i - 1] not in ("-X", "-W"))]
    name = Path(words[0]).name if words else "profile"
    if _PYTHON.match(name) and len(words) > 1:
        name = Path(words[1]).stem
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "profile"
    return cache_dir / "profiles" / f"{stamp}-{slug}.pstats"


def run(argv: Sequence[str]) -> int:
    """Run the profiled command in the foreground; its exit status comes back."""
    try:
        return subprocess.call(list(argv))
    except OSError as exc:
        raise CommandError(f"{argv[0]}: cannot run: {exc.strerror or exc}") from None
