"""Reporters: pure functions from a Result to text, one module per output format."""

from __future__ import annotations

from typing import Callable, Dict

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


def renderers() -> Dict[str, Renderer]:
    """Output formats by name (imported lazily so a run loads only the one it uses)."""
    from perflint.report import json_format, text

    found: Dict[str, Renderer] = {"text": text.render, "json": json_format.render}
    try:
        from perflint.report import sarif

        found["sarif"] = sarif.render
    except ImportError:
        pass
    try:
        from perflint.report import github

        found["github"] = github.render
    except ImportError:
        pass
    try:
        from perflint.report import gitlab

        found["gitlab"] = gitlab.render
    except ImportError:
        pass
    try:
        from perflint.report import html

        found["html"] = html.render
    except ImportError:
        pass
    return found


FORMATS = ("text", "json", "sarif", "github", "gitlab", "html")
