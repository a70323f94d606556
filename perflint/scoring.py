"""Score = weight x heat x confidence factor; severity from thresholds or a pinned value."""

from __future__ import annotations

from typing import Optional

from perflint.config import CONFIDENCE_FACTORS, Config


def rule_weight(config: Config, code: str, default: float) -> float:
    settings = config.rules.get(code)
    if settings is not None and settings.weight is not None:
        return settings.weight
    return default


def score(weight: float, heat: float, confidence: str) -> float:
    return weight * heat * CONFIDENCE_FACTORS[confidence]


def severity_for(config: Config, code: str, value: float, pinned: Optional[str] = None) -> str:
    """A pinned severity (override, then [rules.X]) wins; otherwise the score's threshold."""
    if pinned is not None:
        return pinned
    settings = config.rules.get(code)
    if settings is not None and settings.severity is not None:
        return settings.severity
    if value >= config.severity["error"]:
        return "error"
    if value >= config.severity["warning"]:
        return "warning"
    return "note"
