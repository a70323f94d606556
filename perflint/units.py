"""Time units: parse "100us"/"10ms"/"2s" from config and print seconds for people."""

from __future__ import annotations

import re
from typing import Union

# value * scale: divide for sub-second units so "100us" is exactly 1e-4, not 9.999e-05
_DIVISORS = {"ns": 1e9, "us": 1e6, "µs": 1e6, "ms": 1e3, "s": 1.0}
_MULTIPLIERS = {"min": 60.0}
_TIME_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ns|us|µs|ms|s|min)\s*$")


class TimeError(ValueError):
    """A time value that cannot be read; the message says what is accepted."""


def parse_time(value: Union[str, int, float]) -> float:
    """Seconds from "100us", "10 ms", "2s", "1.5e-4s"; a bare number is seconds."""
    if isinstance(value, bool):
        raise TimeError(f"expected a time such as \"100us\" or \"10ms\", got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise TimeError(f"a time must not be negative, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise TimeError(f"expected a time such as \"100us\" or \"10ms\", got {value!r}")
    match = _TIME_RE.match(value)
    if match is None:
        raise TimeError(
            f"expected a time such as \"100us\", \"10ms\" or \"2s\" (units: ns, us, ms, s, min), got {value!r}"
        )
    number, unit = float(match.group(1)), match.group(2)
    if unit in _MULTIPLIERS:
        return number * _MULTIPLIERS[unit]
    return number / _DIVISORS[unit]


def format_time(seconds: float) -> str:
    """"850 ns", "12 µs", "3.4 ms", "1.2 s", "2.5 min": three significant digits at most."""
    if seconds != seconds or seconds < 0:  # NaN or negative: say so rather than lie
        return "?"
    if seconds == 0:
        return "0 s"
    for unit, scale in (("min", 60.0), ("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{_sig(seconds / scale)} {unit}"
    return f"{_sig(seconds / 1e-9)} ns"


def _sig(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".")
