"""The server's config: found and validated as `perflint check` does, errors located in the file."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Tuple

from perflint.config import Config, ConfigError, find_config, load_config
from perflint.registry import RuleError, families, known_codes

CONFIG_NAMES = ("pyproject.toml", "perflint.toml")

_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_KEY = re.compile(r"key '([^']+)'")


@dataclass(frozen=True)
class ConfigProblem:
    """Why the config cannot be used, and where: one diagnostic on the config file."""

    path: Path
    line: int  # 0-based, for the editor
    column: int  # 0-based
    message: str


def load_workspace_config(root: Path) -> Tuple[Optional[Config], Optional[ConfigProblem]]:
    """The config `perflint check` would use in `root`; on error, None and the problem."""
    path = find_config(root)
    try:
        config = load_config(path, known_codes=known_codes(), known_families=families())
    except (ConfigError, RuleError) as exc:
        where = path if path is not None else root / "pyproject.toml"
        return None, locate(where, str(exc))
    if path is None:
        config = replace(config, root=root)  # no config file: the workspace folder is the root
    return config, None


def locate(path: Path, message: str) -> ConfigProblem:
    """The line a config error is about: TOML's own position, else the line of the key named."""
    text = message
    prefix = f"{path}: "
    if text.startswith(prefix):
        text = text[len(prefix):]
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    match = _TOML_AT.search(text)
    if match is not None:
        return ConfigProblem(path, int(match.group(1)) - 1, int(match.group(2)) - 1, text)
    if "(at end of document)" in text:
        return ConfigProblem(path, max(len(lines) - 1, 0), 0, text)
    match = _KEY.search(text)
    if match is not None:
        found = _key_line(lines, match.group(1), path.name == "pyproject.toml")
        if found is not None:
            return ConfigProblem(path, found[0], found[1], text)
    return ConfigProblem(path, _table_line(lines, path.name == "pyproject.toml"), 0, text)


def _key_line(lines, dotted: str, in_pyproject: bool) -> Optional[Tuple[int, int]]:
    """Where `a.b[0].c` is set: the deepest segment found as `c = ...` or in a table header."""
    segments = [re.sub(r"\[\d+\]$", "", s) for s in dotted.split(".") if s]
    start = _table_line(lines, in_pyproject) if in_pyproject else 0
    for segment in reversed(segments):
        assign = re.compile(r"^\s*[\"']?" + re.escape(segment) + r"[\"']?\s*=")
        header = re.compile(r"^\s*\[\[?[^\]]*\b" + re.escape(segment) + r"[\"']?\s*\]\]?")
        for number in range(start, len(lines)):
            line = lines[number]
            if assign.search(line) or header.search(line):
                return number, len(line) - len(line.lstrip())
    return None


def _table_line(lines, in_pyproject: bool) -> int:
    if not in_pyproject:
        return 0
    for number, line in enumerate(lines):
        if line.strip().startswith("[tool.perflint"):
            return number
    return 0
