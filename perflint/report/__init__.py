"""Reporters: pure functions from a Result to text, one module per output format."""

from __future__ import annotations

import importlib
from typing import Callable, Dict, Optional

from perflint.finding import Finding
from perflint.units import format_time

Renderer = Callable[..., str]


def finding_text(f: Finding, fix_label: str = "fix") -> str:
    """A finding's message, its context line and its fix, one per line (annotation bodies)."""
    parts = [f.message]
    if f.context:
        parts.append(f.context)
    if f.cost > 0:
        parts.append(time_text(f))
    if f.measured is not None:
        parts.append(f.measured.describe())
    if f.fix:
        parts.append(f"{fix_label}: {f.fix}")
    return "\n".join(parts)


def time_text(f: Finding) -> str:
    """"estimated 11.2 ms per unit of work (112 µs per execution x 100 executions)"."""
    return (
        f"estimated {format_time(f.score)} per unit of work "
        f"({format_time(f.cost)} per execution x {f.frequency:,.4g} execution{'s' if f.frequency != 1 else ''})"
    )


# Output format -> the module (in this package) whose `render` writes it.
_MODULES = {"text": "text", "json": "json_format", "sarif": "sarif", "github": "github", "gitlab": "gitlab",
            "html": "html"}


def renderer(name: str) -> Optional[Renderer]:
    """The renderer of one output format, importing only its module: a JSON run loads neither
    rich nor the HTML report (about 0.3 s of start-up). None for a format this build lacks."""
    module = _MODULES.get(name)
    if module is None:
        return None
    try:
        return importlib.import_module(f"perflint.report.{module}").render
    except ImportError:
        return None


def renderers() -> Dict[str, Renderer]:
    """Every output format this build has, by name."""
    return {name: found for name in _MODULES if (found := renderer(name)) is not None}


FORMATS = ("text", "json", "sarif", "github", "gitlab", "html")
