"""Every rule's VALID and INVALID examples run as tests, and every rule's metadata is sound."""

from __future__ import annotations

import pytest

from perflint.config import Config, RuleSettings
from perflint.registry import all_rules
from perflint.rule import Invalid, Valid
from perflint.testing import lint_sources

CASES = []
for rule in all_rules():
    for i, example in enumerate(rule.VALID):
        CASES.append(pytest.param(rule, example, False, id=f"{rule.CODE}-valid-{i}"))
    for i, example in enumerate(rule.INVALID):
        CASES.append(pytest.param(rule, example, True, id=f"{rule.CODE}-invalid-{i}"))


def _config(example) -> Config:
    options = getattr(example, "config", None)
    rules = {}
    if options:
        rules = {r: RuleSettings(options=o) for r, o in options.items()} if all(
            isinstance(v, dict) for v in options.values()) else {}
    return Config(min_severity="note", rules=rules)


@pytest.mark.parametrize("rule,example,invalid", CASES)
def test_example(rule, example, invalid):
    code = example if isinstance(example, str) else example.code
    options = getattr(example, "config", None)
    findings = lint_sources({"example.py": code}, select=(rule.CODE,), config=Config(min_severity="note"),
                            rule_options={rule.CODE: options} if options else None)
    mine = [f for f in findings if f.rule == rule.CODE]
    if invalid:
        assert mine, f"{rule.CODE} should report on:\n{code}"
        if isinstance(example, Invalid) and example.line is not None:
            assert example.line in [f.line for f in mine], (
                f"{rule.CODE} reported lines {[f.line for f in mine]}, expected {example.line}:\n{code}")
        for f in mine:
            assert f.message and f.fix == f.fix.strip() and f.fix
    else:
        assert not mine, f"{rule.CODE} should not report on:\n{code}\ngot: {[(f.line, f.message) for f in mine]}"


def test_every_rule_is_well_formed():
    rules = all_rules()
    assert len({r.CODE for r in rules}) == len(rules)
    for rule in rules:
        assert rule.validate() == [], rule.validate()


def test_a_bad_rule_is_rejected_loudly():
    from perflint.rule import Rule

    class Broken(Rule):
        """Nothing.

        ## What it does
        x
        """

        CODE = "PFL199"
        NAME = "broken"
        FAMILY = "sync"

    problems = Broken.validate()
    assert any("outside the sync range" in p for p in problems)
    assert any("Why is this slow" in p for p in problems)
    assert any("FIX" in p for p in problems)
