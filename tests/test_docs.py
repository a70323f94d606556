"""Generated rule pages are current, and every config key is documented."""

from __future__ import annotations

from pathlib import Path

from perflint.docs import generate

ROOT = Path(__file__).resolve().parents[1]


def test_generated_rule_docs_are_current():
    stale = []
    for path, text in generate(ROOT).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(path.name)
    extra = {p.name for p in (ROOT / "docs" / "rules").glob("*.md")} - {p.name for p in generate(ROOT)}
    assert not stale and not extra, f"run `python -m perflint.docs`: stale {stale}, extra {sorted(extra)}"


def test_every_config_key_is_documented():
    from perflint.config import _KEYS

    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [key for key in sorted(_KEYS) if f"`{key}`" not in doc]
    assert not missing, missing
