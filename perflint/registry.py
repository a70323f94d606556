"""Rule discovery: walk perflint.rules once per run, validate every rule, select by config."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Dict, List, Sequence, Tuple, Type

from perflint.config import Config, is_selected
from perflint.rule import Rule


class RuleError(Exception):
    """A rule is malformed; the message says which and why."""


@lru_cache(maxsize=1)
def all_rules() -> Tuple[Type[Rule], ...]:
    """Every rule class in perflint.rules, sorted by code; raises RuleError on a bad one."""
    import perflint.rules as package

    found: Dict[str, Type[Rule]] = {}
    problems: List[str] = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
                and value.CODE
            ):
                problems.extend(value.validate())
                if value.CODE in found and found[value.CODE] is not value:
                    problems.append(f"duplicate code {value.CODE}: {found[value.CODE].__name__} and {value.__name__}")
                found[value.CODE] = value
    names = {}
    for rule in found.values():
        if rule.NAME in names:
            problems.append(f"duplicate name {rule.NAME}: {names[rule.NAME]} and {rule.CODE}")
        names[rule.NAME] = rule.CODE
    if problems:
        raise RuleError("invalid rules:\n  " + "\n  ".join(problems))
    return tuple(sorted(found.values(), key=lambda r: r.CODE))


def rule_by_code(code: str) -> Type[Rule]:
    for rule in all_rules():
        if rule.CODE == code or rule.NAME == code:
            return rule
    raise KeyError(code)


def known_codes() -> List[str]:
    return [r.CODE for r in all_rules()]


def families() -> List[str]:
    from perflint.rule import FAMILIES

    return list(FAMILIES)


def select_rules(config: Config, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> List[Rule]:
    """Instantiate the selected rules once for the run, with their configured options."""
    chosen = []
    sel = tuple(select) or config.select
    ign = tuple(config.ignore) + tuple(ignore)
    for rule in all_rules():
        explicitly = any(s != "ALL" and (s == rule.CODE or s == rule.FAMILY or rule.CODE.startswith(s)) for s in sel)
        if not rule.DEFAULT_ENABLED and not explicitly:
            continue
        if is_selected(rule.CODE, rule.FAMILY, sel, ign):
            settings = config.rules.get(rule.CODE)
            chosen.append(rule(dict(settings.options) if settings else None))
    return chosen
