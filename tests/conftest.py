"""Shared test helpers: run the real CLI as a user would; one rule's findings on in-memory sources."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]


def rule_findings(files: Dict[str, str], rule: str) -> list:
    """The findings of one rule, notes included, on a program given as {path: source}."""
    from perflint.config import Config
    from perflint.testing import lint_sources

    return [f for f in lint_sources(files, select=(rule,), config=Config(min_severity="note")) if f.rule == rule]


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


# Round cost numbers for tests that assert exact times: the shipped table is re-measured
# (bench/costs.py --write), and these tests are about the arithmetic, not the machine.
ROUND_COSTS = {
    "deepcopy-element": 1e-6, "deepcopy-scalar-element": 2e-7, "serialize-roundtrip-element": 5e-7, "parse-python-byte": 3e-7,
    "parse-data-byte": 1e-8, "regex-compile": 1e-4, "regex-compile-cached": 2e-7,
    "regex-compile-cached-pattern": 3e-7, "alphabet-index": 4e-8, "sql-text": 5e-6,
    "query-roundtrip": 5e-6, "query-roundtrip-network": 3e-4, "scan-row": 5e-8, "table-scan-row": 2e-6,
    "fetch-row": 1e-6, "list-membership-element": 1e-8, "fsync": 1e-4, "fsync-over-fdatasync": 2e-5,
    "commit": 1e-3, "connect": 1e-4, "connect-network": 3e-3, "open-file": 1e-5, "schema-read": 2e-4,
    "whole-file-dump-element": 1e-5, "buffer-alloc": 2e-7, "struct-format": 1e-8, "copy-byte": 5e-11, "list-copy-element": 2e-9, "list-shift-element": 2e-10, "dict-copy-element": 4e-9,
    "text-append-byte": 5e-11, "regex-search-byte": 1e-8, "find-byte": 1e-9, "entry-points-scan": 5e-3, "process-spawn": 1e-3,
    "build-element": 2e-7, "stat-path": 2e-6, "inspect-signature": 2e-5, "hash-collision-element": 4e-8, "stack-frame-record": 2e-5, "stack-frame-record-bare": 1e-5,
    "constant-table-element": 1e-7, "temp-file-write": 2e-4,
    "render-node-element": 1e-6, "hash-node-element": 2e-7, "parse-text-ctor": 2e-6, "record-parse": 4e-6, "schema-check-element": 2e-5,
    "orm-flush": 1.5e-4, "orm-flush-network": 4.5e-4, "index-ddl-statement": 3e-4,
    "namedtuple-class": 8e-5, "dataclass-class": 6e-4, "enum-class": 1.5e-4, "dataframe-mask-lookup": 1e-4,
    "typeadapter-build": 4e-5, "struct-layout": 2e-6, "lazy-proxy-class": 5e-5, "locale-parse": 3e-6, "jsonpath-parse": 5.6e-4,
    "css-translate": 3e-5,
    "sort-insert-element": 3e-9, "sort-insert-key-element": 4e-8, "rederive-element": 6e-9, "index-build-element": 5e-8,
    "orm-row": 4e-6, "count-row": 5e-8,
}


def round_costs_text() -> str:
    """A calibration file (perflint calibrate's format) holding ROUND_COSTS."""
    from perflint.costs import machine_meta, render_table

    measured = {k: {"cost": v, "smell": v, "fix": v / 100} for k, v in ROUND_COSTS.items()}
    return render_table(measured, machine_meta("test", "2026-01-01"))


def round_costs(root: Path, config: str = "") -> Path:
    """Write costs.toml (ROUND_COSTS) and a perflint.toml that uses it (plus `config`)."""
    (root / "costs.toml").write_text(round_costs_text(), encoding="utf-8")
    (root / "perflint.toml").write_text(f'costs = "costs.toml"\n{config}', encoding="utf-8")
    return root / "costs.toml"


@pytest.fixture(scope="session")
def round_config(tmp_path_factory):
    """A Config (every severity reported) scored with ROUND_COSTS, for in-process lint_sources."""
    from perflint.config import Config

    folder = tmp_path_factory.mktemp("round-costs")
    path = round_costs(folder)
    return Config(min_severity="note", costs=str(path))
