"""Reporters: pure functions from a Result to text, one module per output format."""

from __future__ import annotations

from typing import Callable, Dict

from perflint.finding import Result

Renderer = Callable[..., str]


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
    return found


FORMATS = ("text", "json", "sarif", "github", "gitlab")
