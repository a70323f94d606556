"""Run rules on source text in memory: the harness behind VALID/INVALID and fixture tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from perflint.analyze import Analyzer
from perflint.callgraph import Program
from perflint.config import Config, RuleSettings
from perflint.discovery import SourceFile
from perflint.engine import finalize
from perflint.finding import Finding
from perflint.registry import select_rules


def lint_sources(
    files: Dict[str, str],
    *,
    select: Sequence[str] = ("ALL",),
    config: Optional[Config] = None,
    rule_options: Optional[Dict[str, Dict]] = None,
) -> List[Finding]:
    """Findings (every severity) for in-memory modules {"pkg/mod.py": source}."""
    config = config or Config(min_severity="note")
    if rule_options:
        rules = dict(config.rules)
        for code, options in rule_options.items():
            rules[code] = RuleSettings(options=options)
        config = replace(config, rules=rules)
    rules = select_rules(config, select)
    analyzer = Analyzer(rules)
    summaries = []
    for path, source in sorted(files.items()):
        module = path[:-3].replace("/", ".")
        is_package = module.endswith(".__init__")
        if is_package:
            module = module[: -len(".__init__")]
        file = SourceFile(Path(path), path, module, is_package, False)
        summaries.append(analyzer.analyze_bytes(file, source.encode("utf-8")))
    program = Program([s for s in summaries if s.error is None], loop_trips=config.loop_trips,
                      nested_loop_trips=config.nested_loop_trips, data_bytes=config.data_bytes,
                      hot=config.hot, roles=config.entry_roles)
    return list(finalize(summaries, program, config, rules).findings)
