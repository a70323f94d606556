"""Configuration: find, read and validate `[tool.perflint]` / `perflint.toml` into a frozen Config."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

from perflint.finding import SEVERITIES

DEFAULT_TEST_PATTERNS = (
    "tests/",
    "test/",
    "test_*.py",
    "*_test.py",
    "conftest.py",
    "bench*/",
    "examples/",
)
DEFAULT_SEVERITY_THRESHOLDS = {"warning": 50.0, "error": 500.0}
CONFIDENCE_FACTORS = {"high": 1.0, "medium": 0.5, "low": 0.25}


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""


@dataclass(frozen=True)
class RuleSettings:
    severity: Optional[str] = None
    weight: Optional[float] = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Override:
    """`[[tool.perflint.overrides]]`: settings that apply to files matching `files` globs."""

    files: Tuple[str, ...]
    select: Optional[Tuple[str, ...]] = None
    ignore: Tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)  # code -> pinned severity
    hot: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    select: Tuple[str, ...] = ("ALL",)
    ignore: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = ()
    per_file_ignores: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    hot: Tuple[str, ...] = ()
    loop_factor: float = 10.0
    min_severity: str = "warning"
    fail_on: str = "warning"
    max_score: Optional[float] = None
    severity: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SEVERITY_THRESHOLDS))
    rules: Mapping[str, RuleSettings] = field(default_factory=dict)
    baseline: Optional[str] = None
    test_patterns: Tuple[str, ...] = DEFAULT_TEST_PATTERNS
    respect_gitignore: bool = True
    overrides: Tuple[Override, ...] = ()
    entry_roles: Mapping[str, bool] = field(default_factory=dict)  # role id -> on/off
    root: Path = field(default_factory=Path.cwd)
    source: Optional[Path] = None  # the file this came from, None for defaults

    def with_cli(self, **changes: Any) -> "Config":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def cache_key(self) -> str:
        """What in the config changes results (for the result cache)."""
        items = sorted(
            (k, repr(v)) for k, v in self.__dict__.items() if k not in ("root", "source", "baseline")
        )
        return repr(items)


_KEYS = {
    "select", "ignore", "exclude", "per-file-ignores", "hot", "loop-factor", "min-severity",
    "fail-on", "max-score", "severity", "rules", "baseline", "test-patterns",
    "respect-gitignore", "overrides", "entry-roles",
}
_RULE_KEYS = {"severity", "weight"}


def find_config(start: Path) -> Optional[Path]:
    """The nearest perflint.toml, or pyproject.toml with [tool.perflint], at or above `start`."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for directory in (start, *start.parents):
        candidate = directory / "perflint.toml"
        if candidate.is_file():
            return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                return pyproject  # reported properly by load_config
            if "perflint" in data.get("tool", {}):
                return pyproject
    return None


def load_config(path: Optional[Path], *, known_codes: Iterable[str] = (), known_families: Iterable[str] = ()) -> Config:
    """Read and validate a config file (None: defaults rooted at the working directory)."""
    if path is None:
        return Config(root=Path.cwd())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("perflint", {})
        where = "[tool.perflint]"
    else:
        table = data
        where = "perflint.toml"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    return parse_config(table, path, where, set(known_codes), set(known_families))


def parse_config(table: Mapping[str, Any], path: Path, where: str, codes: set, families: set) -> Config:
    v = _Validator(path, where, codes, families)
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        v.fail(unknown[0], "unknown key")
    kwargs: Dict[str, Any] = {"root": path.parent.resolve(), "source": path}
    if "select" in table:
        kwargs["select"] = v.selectors("select", table["select"])
    if "ignore" in table:
        kwargs["ignore"] = v.selectors("ignore", table["ignore"])
    if "exclude" in table:
        kwargs["exclude"] = v.strings("exclude", table["exclude"])
    if "test-patterns" in table:
        kwargs["test_patterns"] = v.strings("test-patterns", table["test-patterns"])
    if "hot" in table:
        kwargs["hot"] = v.strings("hot", table["hot"])
    if "per-file-ignores" in table:
        pfi = table["per-file-ignores"]
        if not isinstance(pfi, dict):
            v.fail("per-file-ignores", "must be a table of glob = [codes]")
        kwargs["per_file_ignores"] = {
            str(k): v.selectors(f"per-file-ignores.{k}", val) for k, val in pfi.items()
        }
    if "loop-factor" in table:
        lf = v.number("loop-factor", table["loop-factor"])
        if lf < 1:
            v.fail("loop-factor", "must be at least 1")
        kwargs["loop_factor"] = lf
    for key, attr in (("min-severity", "min_severity"), ("fail-on", "fail_on")):
        if key in table:
            kwargs[attr] = v.severity(key, table[key], allow_none=(key == "fail-on"))
    if "max-score" in table:
        kwargs["max_score"] = v.number("max-score", table["max-score"])
    if "respect-gitignore" in table:
        if not isinstance(table["respect-gitignore"], bool):
            v.fail("respect-gitignore", "must be true or false")
        kwargs["respect_gitignore"] = table["respect-gitignore"]
    if "baseline" in table:
        if not isinstance(table["baseline"], str):
            v.fail("baseline", "must be a path string")
        kwargs["baseline"] = table["baseline"]
    if "severity" in table:
        kwargs["severity"] = v.thresholds(table["severity"])
    if "rules" in table:
        kwargs["rules"] = v.rules(table["rules"])
    if "overrides" in table:
        kwargs["overrides"] = v.overrides(table["overrides"])
    if "entry-roles" in table:
        kwargs["entry_roles"] = v.entry_roles(table["entry-roles"])
    return Config(**kwargs)


class _Validator:
    def __init__(self, path: Path, where: str, codes: set, families: set) -> None:
        self.path, self.where, self.codes, self.families = path, where, codes, families

    def fail(self, key: str, problem: str) -> None:
        raise ConfigError(f"{self.path}: {self.where} key '{key}': {problem}")

    def strings(self, key: str, value: Any) -> Tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.fail(key, "must be a list of strings")
        return tuple(value)

    def selectors(self, key: str, value: Any) -> Tuple[str, ...]:
        items = self.strings(key, value)
        for item in items:
            if not selector_known(item, self.codes, self.families):
                self.fail(key, f"unknown rule code, prefix or family {item!r}")
        return items

    def number(self, key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"must be a number, not {type(value).__name__}")
        return float(value)

    def severity(self, key: str, value: Any, allow_none: bool = False) -> str:
        allowed = SEVERITIES + (("none",) if allow_none else ())
        if value not in allowed:
            self.fail(key, f"must be one of {', '.join(allowed)}, not {value!r}")
        return value

    def thresholds(self, value: Any) -> Dict[str, float]:
        if not isinstance(value, dict):
            self.fail("severity", "must be a table with warning = N and error = N")
        out = dict(DEFAULT_SEVERITY_THRESHOLDS)
        for name, number in value.items():
            if name not in out:
                self.fail(f"severity.{name}", "unknown threshold (use warning, error)")
            out[name] = self.number(f"severity.{name}", number)
        if out["warning"] > out["error"]:
            self.fail("severity", "warning threshold must not exceed the error threshold")
        return out

    def rules(self, value: Any) -> Dict[str, RuleSettings]:
        if not isinstance(value, dict):
            self.fail("rules", "must be a table of [rules.PFLnnn] tables")
        out = {}
        for code, settings in value.items():
            key = f"rules.{code}"
            if self.codes and code not in self.codes:
                self.fail(key, "unknown rule code")
            if not isinstance(settings, dict):
                self.fail(key, "must be a table")
            severity = settings.get("severity")
            if severity is not None:
                severity = self.severity(f"{key}.severity", severity)
            weight = settings.get("weight")
            if weight is not None:
                weight = self.number(f"{key}.weight", weight)
                if weight < 0:
                    self.fail(f"{key}.weight", "must not be negative")
            options = {k: val for k, val in settings.items() if k not in _RULE_KEYS}
            out[code] = RuleSettings(severity=severity, weight=weight, options=options)
        return out

    def entry_roles(self, value: Any) -> Dict[str, bool]:
        from perflint.entrypoints import ROLES

        if not isinstance(value, dict):
            self.fail("entry-roles", "must be a table of role = true/false")
        for role, on in value.items():
            if role not in ROLES:
                self.fail(f"entry-roles.{role}", f"unknown role (known: {', '.join(sorted(ROLES))})")
            if not isinstance(on, bool):
                self.fail(f"entry-roles.{role}", "must be true or false")
        return dict(value)

    def overrides(self, value: Any) -> Tuple[Override, ...]:
        if not isinstance(value, list):
            self.fail("overrides", "must be an array of tables ([[tool.perflint.overrides]])")
        out = []
        for i, item in enumerate(value):
            key = f"overrides[{i}]"
            if not isinstance(item, dict):
                self.fail(key, "must be a table")
            unknown = sorted(set(item) - {"files", "select", "ignore", "severity", "hot"})
            if unknown:
                self.fail(f"{key}.{unknown[0]}", "unknown key")
            if "files" not in item:
                self.fail(f"{key}.files", "is required")
            severity = item.get("severity", {})
            if not isinstance(severity, dict):
                self.fail(f"{key}.severity", "must be a table of code = severity")
            pinned = {}
            for code, sev in severity.items():
                if self.codes and code not in self.codes:
                    self.fail(f"{key}.severity.{code}", "unknown rule code")
                pinned[code] = self.severity(f"{key}.severity.{code}", sev)
            out.append(
                Override(
                    files=self.strings(f"{key}.files", item["files"]),
                    select=self.selectors(f"{key}.select", item["select"]) if "select" in item else None,
                    ignore=self.selectors(f"{key}.ignore", item.get("ignore", [])),
                    severity=pinned,
                    hot=self.strings(f"{key}.hot", item.get("hot", [])),
                )
            )
        return tuple(out)


def selector_known(item: str, codes: set, families: set) -> bool:
    if item == "ALL" or item in families:
        return True
    if not codes:
        return True
    return any(code.startswith(item) for code in codes) and item.startswith("PFL")


def selector_matches(item: str, code: str, family: str) -> bool:
    return item == "ALL" or item == family or code.startswith(item)


def is_selected(code: str, family: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """ruff's rule: the most specific selector wins; on a tie, ignore wins."""

    def best(selectors: Sequence[str]) -> int:
        score = -1
        for item in selectors:
            if selector_matches(item, code, family):
                specificity = 0 if item == "ALL" else (1 if item == family else len(item))
                score = max(score, specificity)
        return score

    chosen, dropped = best(select), best(ignore)
    return chosen >= 0 and chosen > dropped
