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

from perflint.datawalk import DEFAULT_DATA_BYTES
from perflint.finding import SEVERITIES
from perflint.units import TimeError, parse_time

# Test code and test support: Django's per-app `tests.py`, packages' `testing` helpers
# (twisted.internet.testing, nautobot.core.testing): they build fixtures, not hot paths.
DEFAULT_TEST_PATTERNS = (
    "tests/",
    "test/",
    "test_*.py",
    "*_test.py",
    "tests.py",
    "testing/",
    "testing.py",
    "conftest.py",
    "bench*/",
    "examples/",
)
# Estimated seconds wasted per unit of work (one request, row or message): see docs/scoring.md.
# Calibrated on real code (docs/precision.md): at 100 us most warnings were real patterns
# worth well under 1% of a unit of work; 1 ms is where a maintainer takes the patch.
DEFAULT_SEVERITY_THRESHOLDS = {"warning": 1e-3, "error": 10e-3}
DEFAULT_LOOP_TRIPS = 100.0
DEFAULT_NESTED_LOOP_TRIPS = 10.0
CONFIDENCE_FACTORS = {"high": 1.0, "medium": 0.5, "low": 0.25}


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""


@dataclass(frozen=True)
class RuleSettings:
    severity: Optional[str] = None
    weight: Optional[float] = None  # deprecated: scales the cost by weight / 10
    cost: Optional[float] = None  # seconds per execution, replacing the cost table's
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
    loop_trips: float = DEFAULT_LOOP_TRIPS
    nested_loop_trips: float = DEFAULT_NESTED_LOOP_TRIPS
    data_bytes: float = DEFAULT_DATA_BYTES  # a buffer a loop walks, when its size is unknown
    min_severity: str = "warning"
    fail_on: str = "warning"
    max_score: Optional[float] = None  # seconds per unit of work, summed over reported findings
    costs: Optional[str] = None  # a calibration file (`perflint calibrate`), relative to the config
    severity: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SEVERITY_THRESHOLDS))
    rules: Mapping[str, RuleSettings] = field(default_factory=dict)
    baseline: Optional[str] = None
    profile: Tuple[str, ...] = ()  # profile files (relative to the config's folder): measured heat
    test_patterns: Tuple[str, ...] = DEFAULT_TEST_PATTERNS
    respect_gitignore: bool = True
    overrides: Tuple[Override, ...] = ()
    entry_roles: Mapping[str, bool] = field(default_factory=dict)  # role id -> on/off
    root: Path = field(default_factory=Path.cwd)
    source: Optional[Path] = None  # the file this came from, None for defaults
    deprecations: Tuple[str, ...] = ()  # notes for keys that still work but are going away

    def with_cli(self, **changes: Any) -> "Config":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def cache_key(self) -> str:
        """What in the config changes results (for the result cache)."""
        items = sorted(
            (k, repr(v)) for k, v in self.__dict__.items() if k not in ("root", "source", "baseline", "deprecations", "profile")
        )
        return repr(items)


_KEYS = {
    "select", "ignore", "exclude", "per-file-ignores", "hot", "loop-trips", "nested-loop-trips", "data-bytes", "loop-factor",
    "min-severity", "fail-on", "max-score", "severity", "rules", "baseline", "test-patterns",
    "respect-gitignore", "overrides", "costs", "profile", "entry-roles",
}
_RULE_KEYS = {"severity", "weight", "cost"}


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
        v.deprecated(
            "'loop-factor' is deprecated and will be removed in the next release: loops now multiply "
            "by an estimated trip count; use 'loop-trips' (iterations assumed for a loop whose "
            f"bound is unknown, default {DEFAULT_LOOP_TRIPS:g}). Read as loop-trips = {lf:g} for now."
        )
        if "loop-trips" not in table:
            kwargs["loop_trips"] = lf
    if "loop-trips" in table:
        trips = v.number("loop-trips", table["loop-trips"])
        if trips < 1:
            v.fail("loop-trips", "must be at least 1")
        kwargs["loop_trips"] = trips
    if "nested-loop-trips" in table:
        nested = v.number("nested-loop-trips", table["nested-loop-trips"])
        if nested < 1:
            v.fail("nested-loop-trips", "must be at least 1")
        kwargs["nested_loop_trips"] = nested
    if "data-bytes" in table:
        data_bytes = v.number("data-bytes", table["data-bytes"])
        if data_bytes < 1:
            v.fail("data-bytes", "must be at least 1")
        kwargs["data_bytes"] = data_bytes
    if "costs" in table:
        if not isinstance(table["costs"], str):
            v.fail("costs", "must be the path of a calibration file (`perflint calibrate -o FILE`)")
        kwargs["costs"] = table["costs"]
    for key, attr in (("min-severity", "min_severity"), ("fail-on", "fail_on")):
        if key in table:
            kwargs[attr] = v.severity(key, table[key], allow_none=(key == "fail-on"))
    if "max-score" in table:
        kwargs["max_score"] = v.time("max-score", table["max-score"])
    if "respect-gitignore" in table:
        if not isinstance(table["respect-gitignore"], bool):
            v.fail("respect-gitignore", "must be true or false")
        kwargs["respect_gitignore"] = table["respect-gitignore"]
    if "baseline" in table:
        if not isinstance(table["baseline"], str):
            v.fail("baseline", "must be a path string")
        kwargs["baseline"] = table["baseline"]
    if "profile" in table:
        kwargs["profile"] = v.strings("profile", table["profile"])
        if not all(kwargs["profile"]):
            v.fail("profile", "must not contain an empty path")
    if "severity" in table:
        kwargs["severity"] = v.thresholds(table["severity"])
    if "rules" in table:
        kwargs["rules"] = v.rules(table["rules"])
    if "overrides" in table:
        kwargs["overrides"] = v.overrides(table["overrides"])
    if "entry-roles" in table:
        kwargs["entry_roles"] = v.entry_roles(table["entry-roles"])
    kwargs["deprecations"] = tuple(v.notes)
    return Config(**kwargs)


class _Validator:
    def __init__(self, path: Path, where: str, codes: set, families: set) -> None:
        self.path, self.where, self.codes, self.families = path, where, codes, families
        self.notes: list = []

    def deprecated(self, note: str) -> None:
        self.notes.append(f"{self.path}: {note}")

    def time(self, key: str, value: Any) -> float:
        """Seconds from "100us"/"10ms"; a bare number is refused: scores were unitless before."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.fail(key, f"must be a time with a unit, such as \"100us\" or \"10ms\" (scores are "
                           f"estimated time per unit of work now, not unitless numbers), got {value!r}")
        try:
            return parse_time(value)
        except TimeError as exc:
            self.fail(key, str(exc))
            raise  # unreachable: fail raises

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
            self.fail("severity", 'must be a table with warning = "100us" and error = "10ms"')
        out = dict(DEFAULT_SEVERITY_THRESHOLDS)
        for name, number in value.items():
            if name not in out:
                self.fail(f"severity.{name}", "unknown threshold (use warning, error)")
            out[name] = self.time(f"severity.{name}", number)
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
                self.deprecated(
                    f"'{key}.weight' is deprecated and will be removed in the next release: scores are "
                    f"time now; set '{key}.cost' (seconds one execution wastes, e.g. \"2ms\") instead. "
                    f"Read as the rule's measured cost x {weight:g}/10 for now."
                )
            cost = settings.get("cost")
            if cost is not None:
                cost = self.time(f"{key}.cost", cost)
            options = {k: val for k, val in settings.items() if k not in _RULE_KEYS}
            out[code] = RuleSettings(severity=severity, weight=weight, cost=cost, options=options)
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
