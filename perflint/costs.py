"""The cost table: seconds one execution of each smell wastes, shipped or calibrated.

The shipped table (`perflint/data/costs.toml`) was measured by `bench/costs.py --write` on the
reference machine; `perflint calibrate` writes a file of the same format measured on the
user's machine, and `costs = "that/file.toml"` in the config makes a run use it. A file that
is unreadable, of another format, from another Python or lacking a key is an error (exit 2):
a silent fallback would score with numbers the user did not ask for.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

FORMAT = 1
SHIPPED = Path(__file__).with_name("data") / "costs.toml"

# Sizes assumed when a rule cannot see how big the data is (the size term of a cost).
# Rows and items of a table or result default to the config's loop-trips (the same unknown as
# a loop over rows: how much data); a structure's elements (a parsed tree, a store's items, a
# list) to a fixed, modest size: they are program state, not a table, and rarely grow with it.
DEFAULT_BYTES = 4096  # a page, a small document
DEFAULT_ELEMENTS = 100
# A call stack's depth at run time: an application inside a framework runs tens of frames deep.
DEFAULT_FRAMES = 30


class CostsError(Exception):
    """A calibration file that cannot be used; the message names the file and says why."""


@dataclass(frozen=True)
class CostTable:
    """key -> seconds per execution (or per unit of its size term), and where they came from."""

    costs: Mapping[str, float]
    source: str  # "shipped (reference machine ...)" or the calibration file's path
    meta: Mapping[str, Any] = field(default_factory=dict)
    # What the fix itself costs per execution, where measured: the base of a slowdown factor.
    fix: Mapping[str, float] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        return self.costs[key]

    def get(self, key: str, default: float = 0.0) -> float:
        return self.costs.get(key, default)


def required_keys() -> tuple:
    from perflint.calibrate import SPECS

    return tuple(spec.key for spec, _ in SPECS)


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def render_table(measured: Mapping[str, Mapping[str, float]], meta: Mapping[str, str]) -> str:
    """A calibration file (TOML) from `calibrate.measure()`'s result."""
    lines = [
        "# perflint cost table: seconds one execution of each smell wastes beyond its fix.",
        "# Written by `perflint calibrate` (or bench/costs.py --write); use it with",
        '# costs = "<this file>" in [tool.perflint]. Re-run calibrate after changing machine or Python.',
        "",
        "[calibration]",
        f"format = {FORMAT}",
    ]
    for key in ("perflint", "python", "implementation", "platform", "machine", "date"):
        if key in meta:
            lines.append(f'{key} = "{meta[key]}"')
    lines += ["", "[costs]"]
    for key in required_keys():
        lines.append(f'"{key}" = {measured[key]["cost"]:.4g}')
    lines += ["", "# what the smell and its fix each took, for the record", "[measured]"]
    for key in required_keys():
        m = measured[key]
        lines.append(f'"{key}" = {{ smell = {m["smell"]:.4g}, fix = {m["fix"]:.4g} }}')
    return "\n".join(lines) + "\n"


def machine_meta(version: str, date: str) -> Dict[str, str]:
    return {
        "perflint": version,
        "python": python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "date": date,
    }


def load_costs(path: Optional[Path] = None) -> CostTable:
    """The shipped table (path None) or a calibration file, validated."""
    shipped = path is None
    file = SHIPPED if shipped else Path(path)  # type: ignore[arg-type]
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CostsError(f"{file}: calibration file not found (run `perflint calibrate -o {file}`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CostsError(f"{file}: cannot read calibration file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CostsError(f"{file}: not a perflint calibration file (invalid TOML: {exc})") from None
    meta = data.get("calibration")
    costs = data.get("costs")
    if not isinstance(meta, dict) or not isinstance(costs, dict):
        raise CostsError(f"{file}: not a perflint calibration file (no [calibration] and [costs] tables)")
    if meta.get("format") != FORMAT:
        raise CostsError(
            f"{file}: calibration format {meta.get('format')!r}, this perflint reads format {FORMAT}: "
            "re-run `perflint calibrate`"
        )
    if not shipped and meta.get("python") != python_version():
        raise CostsError(
            f"{file}: calibrated on Python {meta.get('python')}, running on {python_version()}: "
            "costs differ between versions; re-run `perflint calibrate`"
        )
    missing = [k for k in required_keys() if k not in costs]
    if missing:
        raise CostsError(f"{file}: stale calibration, no cost for {', '.join(missing)}: re-run `perflint calibrate`")
    out: Dict[str, float] = {}
    for key, value in costs.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise CostsError(f"{file}: costs.{key} must be a non-negative number of seconds, got {value!r}")
        out[key] = float(value)
    fix: Dict[str, float] = {}
    measured = data.get("measured", {})
    if isinstance(measured, dict):
        for key, entry in measured.items():
            value = entry.get("fix") if isinstance(entry, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                fix[key] = float(value)
    where = "shipped defaults" if shipped else str(file)
    described = f"{where} (measured {meta.get('date', '?')}, Python {meta.get('python', '?')}, {meta.get('platform', '?')})"
    return CostTable(costs=out, source=described, meta=dict(meta), fix=fix)
