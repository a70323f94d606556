"""The wheel carries perflint.rules inside perflint/, and nothing named rules or fixtures on top."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_layout(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=600,
    )
    wheel = next(tmp_path.glob("perflint_cst-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert "perflint" in tops
    assert "rules" not in tops and "fixtures" not in tops and "tests" not in tops
    assert "perflint/rules/sync/fsync_where_fdatasync.py" in names
    assert "perflint/rules/__init__.py" in names
    assert "perflint/data/costs.toml" in names  # the shipped cost table: no score without it
    assert "perflint/lsp/server.py" in names
    metadata = next(n for n in names if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Name: perflint-cst" in text
    assert "Requires-Dist: libcst" in text



def test_source_runs_on_the_oldest_python_declared():
    # requires-python says 3.9, and the machines here have 3.11 only. A slotted dataclass (3.10)
    # slipped in once: vermin reads every module for syntax and library use newer than that.
    oldest = re.search(r'requires-python = ">=(\d+\.\d+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    proc = subprocess.run(
        [shutil.which("vermin", path=str(Path(sys.executable).parent)) or "vermin", "-q", "--no-tips", "--eval-annotations", "--violations",
         f"-t={oldest}-", str(ROOT / "perflint"), str(ROOT / "rules")],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr
