"""The wheel carries perflint.rules inside perflint/, and nothing named rules or fixtures on top."""

from __future__ import annotations

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
