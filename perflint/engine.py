"""Orchestrates a run: discover, phase 1 per file, phase 2 over the program, score, filter."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pathspec

from perflint import __version__
from perflint.analyze import Analyzer
from perflint.callgraph import Program
from perflint.config import Config, is_selected
from perflint.discovery import SourceFile, discover
from perflint.finding import SEVERITY_RANK, Candidate, FileError, Finding, Result
from perflint.registry import all_rules, select_rules
from perflint.rule import Rule
from perflint.scoring import rule_weight, score, severity_for
from perflint.summary import ModuleSummary
from perflint.suppression import is_suppressed

_CONF_RANK = {"low": 0, "medium": 1, "high": 2}
_CONF_NAME = {v: k for k, v in _CONF_RANK.items()}


@dataclass
class Timings:
    phases: Dict[str, float] = field(default_factory=dict)

    def mark(self, name: str, start: float) -> float:
        now = time.perf_counter()
        self.phases[name] = self.phases.get(name, 0.0) + now - start
        return now


@dataclass
class Run:
    """A finished run: the result reporters render, plus what `graph` and tests inspect."""

    result: Result
    program: Program
    summaries: List[ModuleSummary]
    timings: Timings


def scan(
    paths: Sequence[Path],
    config: Config,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    analyze_files: Optional[Sequence[Path]] = None,
    baseline: Optional["Baseline"] = None,
) -> Run:
    """Scan `paths` and return the scored, filtered, sorted result."""
    timings = Timings()
    start = time.perf_counter()
    rules = select_rules(config, select, ignore)
    discover_errors: List[Tuple[str, str]] = []
    files = discover(
        paths,
        root=config.root,
        exclude=config.exclude,
        test_patterns=config.test_patterns,
        respect_gitignore=config.respect_gitignore,
        errors=discover_errors,
    )
    start = timings.mark("discover", start)
    analyzer = Analyzer(rules)
    summaries = [analyzer.analyze(f) for f in files]
    start = timings.mark("phase 1 (parse + rules)", start)
    program = Program(
        [s for s in summaries if s.error is None], loop_factor=config.loop_factor, hot=config.hot,
        scoped_hot=scoped_hot(summaries, config),
    )
    start = timings.mark("phase 2 (call graph + heat)", start)
    result = finalize(summaries, program, config, rules, [FileError(p, m) for p, m in discover_errors],
                      baseline=baseline)
    timings.mark("scoring", start)
    return Run(result, program, summaries, timings)


def _matches(patterns: Sequence[str], path: str) -> bool:
    return bool(patterns) and pathspec.GitIgnoreSpec.from_lines(patterns).match_file(path)


def finalize(
    summaries: Sequence[ModuleSummary],
    program: Program,
    config: Config,
    rules: Sequence[Rule],
    extra_errors: Sequence[FileError] = (),
) -> Result:
    by_code = {type(r).CODE: type(r) for r in rules}
    findings: List[Finding] = []
    errors: List[FileError] = list(extra_errors)
    min_rank = SEVERITY_RANK[config.min_severity]
    for summary in sorted(summaries, key=lambda s: s.path):
        if summary.error is not None:
            errors.append(summary.error)
            findings.append(_parse_error_finding(summary.error))
            continue
        rel = _relative_to_root(summary.path, config.root)
        file_ignores = tuple(
            code for pattern, codes in config.per_file_ignores.items() if _matches([pattern], rel) for code in codes
        )
        overrides = [o for o in config.overrides if _matches(o.files, rel)]
        occurrences: Dict[str, int] = {}
        for cand in summary.candidates:
            rule = by_code.get(cand.rule)
            if rule is None:
                continue
            if not _selected_here(rule, file_ignores, overrides):
                continue
            if is_suppressed(summary.suppressions, cand.line, cand.rule):
                continue
            fid = program.function_id(summary.module, cand.function)
            confidence = _check_requires(program, fid, cand)
            if confidence is None:
                continue
            heat = program.site_heat(fid, cand.loops)
            weight = rule_weight(config, cand.rule, rule.WEIGHT)
            value = score(weight, heat, confidence)
            pinned = None
            for override in overrides:
                pinned = override.severity.get(cand.rule, pinned)
            severity = severity_for(config, cand.rule, value, pinned)
            if SEVERITY_RANK[severity] < min_rank:
                continue
            key = f"{cand.rule}|{summary.path}|{cand.function}|{cand.snippet}"
            digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
            occurrences[digest] = occurrences.get(digest, 0) + 1
            findings.append(
                Finding(
                    rule=cand.rule,
                    name=rule.NAME,
                    family=rule.FAMILY,
                    severity=severity,
                    score=value,
                    confidence=confidence,
                    path=summary.path,
                    line=cand.line,
                    column=cand.column,
                    end_line=cand.end_line,
                    end_column=cand.end_column,
                    function=_function_display(cand.function),
                    message=cand.message,
                    fix=cand.fix,
                    trace=program.trace(fid, cand.loops) if fid in program.functions else (),
                    weight=weight,
                    heat=heat,
                    fingerprint=f"{digest}:{occurrences[digest]}",
                    context=program.context(fid, cand.loops) if fid in program.functions else "",
                )
            )
    findings.sort(key=lambda f: f.sort_key)
    errors.sort(key=lambda e: (e.path, e.message))
    total = sum(f.score for f in findings)
    failed, reasons = _verdict(config, findings, total)
    infos = tuple(r.info() for r in all_rules())
    return Result(
        version=__version__,
        findings=tuple(findings),
        errors=tuple(errors),
        files=len(summaries),
        rules=infos,
        total_score=total,
        failed=failed,
        fail_reasons=tuple(reasons),
    )


def _relative_to_root(display: str, root: Path) -> str:
    path = Path(display)
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        return path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return display


def _selected_here(rule, file_ignores, overrides) -> bool:
    select: Tuple[str, ...] = ("ALL",)
    ignore: Tuple[str, ...] = tuple(file_ignores)
    for override in overrides:
        if override.select is not None:
            select = override.select
        ignore += tuple(override.ignore)
    return is_selected(rule.CODE, rule.FAMILY, select, ignore)


def _check_requires(program: Program, fid: str, cand: Candidate) -> Optional[str]:
    """The candidate's confidence after its phase-2 conditions, or None if one fails."""
    rank = _CONF_RANK[cand.confidence]
    for req in cand.requires:
        if req == "repeated":
            if not program.repeated(fid, cand.loops):
                return None
        elif req.startswith("fn:"):
            if fid not in program.functions:
                return None
            conf = program.effects(fid).get(req[3:])
            if conf is None:
                return None
            rank = min(rank, _CONF_RANK[conf])
        elif req.startswith("callee:"):
            # The callee's own effect (not its callees'): the call must be the rebuild,
            # the sync or the query itself, not merely lead to one.
            callee = program.resolve_target(cand.target)
            if callee is None:
                return None
            effect = req[7:]
            conf = program.functions[callee][1].effects.get(effect)
            if conf is None:
                return None
            if effect == "rebuild" and "parse" in program.effects(callee):
                conf = "high"  # named like a rebuild and re-parses: the body confirms it
            rank = min(rank, _CONF_RANK[conf])
        elif req == "external":
            if program.resolve_target(cand.target) is not None:
                return None  # an in-repo callee: its own body is analysed, with heat
        elif req.startswith("flag:"):
            if not program.has_class_attr(req[5:].split(",")):
                return None
        elif req.startswith("!fn:"):
            if fid in program.functions and req[4:] in program.effects(fid):
                return None
    return _CONF_NAME[rank]


def _verdict(config: Config, findings: Sequence[Finding], total: float) -> Tuple[bool, List[str]]:
    reasons = []
    if config.fail_on != "none":
        threshold = SEVERITY_RANK[config.fail_on]
        failing = [f for f in findings if SEVERITY_RANK[f.severity] >= threshold]
        if failing:
            reasons.append(f"{len(failing)} finding(s) at or above fail-on = {config.fail_on}")
    if config.max_score is not None and total > config.max_score:
        reasons.append(f"total score {total:.1f} exceeds max-score = {config.max_score:g}")
    return bool(reasons), reasons


def _parse_error_finding(error: FileError) -> Finding:
    return Finding(
        rule="PFL000",
        name="parse-error",
        family="error",
        severity="error",
        score=0.0,
        confidence="high",
        path=error.path,
        line=error.line,
        column=error.column,
        end_line=error.line,
        end_column=error.column,
        function="<module>",
        message=error.message,
        fix="fix the file so Python can parse it, or exclude it",
    )


def _function_display(qualname: str) -> str:
    return qualname
