"""Shared test helpers: run the real CLI as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]


class CLIResult:
    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)


def run_cli(args: List[str], cwd: Path, env: Optional[dict] = None) -> CLIResult:
    full_env = dict(os.environ)
    full_env.pop("FORCE_COLOR", None)
    full_env["NO_COLOR"] = "1"
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "perflint", *args],
        cwd=str(cwd), capture_output=True, text=True, env=full_env, timeout=600,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return CLIResult(proc)


@pytest.fixture
def cli():
    return run_cli


def write(root: Path, files: dict) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
