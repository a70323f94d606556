"""`--format json`: the DESIGN §5 finding model, keys in a fixed order, deterministic."""

from __future__ import annotations

import json

from perflint.finding import Result


def render(result: Result, **_: object) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
