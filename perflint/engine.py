"""Orchestrates a run: discover, phase 1 per file, phase 2 over the program, score, filter."""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Set, Tuple

import pathspec

from perflint import __version__
from perflint.analyze import Analyzer
from perflint.callgraph import Program
from perflint.config import Config, Override, is_selected
from perflint.discovery import discover
from perflint.finding import SEVERITY_RANK, Candidate, FileError, Finding, Result
from perflint.registry import all_rules, select_rules
from perflint.rule import Rule
from perflint.scoring import rule_weight, score, severity_for
from perflint.summary import ModuleSummary
from perflint.suppression import is_suppressed
from perflint.hotpaths import explain_score, heat_factors
from perflint.summary import MODULE_SCOPE

if TYPE_CHECKING:
    from perflint.baseline import Baseline

UNUSED_SUPPRESSION = "PFL001"  # rules/meta/unused_suppression.py; checked here, after scoring

_CONF_RANK = {"low": 0, "medium": 1, "high": 2}
_CONF_NAME = {v: k for k, v in _CONF_RANK.items()}


@dataclass
class Timings:
    phases: Dict[str, float] = field(default_factory=dict)
    counts: Dict[str, object] = field(default_factory=dict)  # phase 1: cache hits/misses, workers

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
    jobs: int = 1,
    cache_dir: Optional[Path] = None,
    project_context: bool = False,
    progress: Optional[object] = None,
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
    summaries, reported = _phase_one(files, rules, config, select, ignore, jobs, cache_dir,
                                     project_context, progress, timings, paths)
    start = timings.mark("phase 1 (parse + rules)", start)
    program = link(summaries, config)
    start = timings.mark("phase 2 (call graph + heat)", start)
    result = finalize(reported, program, config, rules, [FileError(p, m) for p, m in discover_errors],
                      baseline=baseline)
    timings.mark("scoring", start)
    return Run(result, program, reported, timings)


def link(summaries: Sequence[ModuleSummary], config: Config, previous: Optional[Program] = None) -> Program:
    """Phase 2: the call graph with heat over every summary that parsed (scan, the server;
    the server passes the program before the edit, whose unchanged links are reused)."""
    return Program(
        [s for s in summaries if s.error is None], loop_factor=config.loop_factor, hot=config.hot,
        scoped_hot=scoped_hot(summaries, config), previous=previous,
    )


def _phase_one(files, rules, config, select, ignore, jobs, cache_dir, project_context, progress, timings, paths):
    """Phase 1 (parallel, cached: perflint/parallel.py). Returns (all summaries, those to report).

    With `project_context`, when every path is a file inside `config.root` and a cache exists,
    the rest of the project comes along as context (from the cache; files not cached yet are
    analysed and cached), and only the given files are reported: a pre-commit run on changed
    files sees the same call graph and heat as a full scan."""
    from perflint.cache import cache_exists, open_cache
    from perflint.parallel import run_phase_one

    report_only = None
    if (
        project_context
        and cache_dir is not None
        and files
        and all(Path(p).is_file() for p in paths)
        and cache_exists(cache_dir)
        and all(f.path == config.root or config.root in f.path.parents for f in files)
    ):
        report_only = {f.display for f in files}
        began = time.perf_counter()
        project = discover(
            [config.root],
            root=config.root,
            exclude=config.exclude,
            test_patterns=config.test_patterns,
            respect_gitignore=config.respect_gitignore,
        )
        merged = {f.path: f for f in project}
        merged.update({f.path: f for f in files})
        files = sorted(merged.values(), key=lambda f: f.display)
        timings.counts["project context files"] = len(files) - len(report_only)
        timings.counts["project discovery (in phase 1)"] = f"{time.perf_counter() - began:.3f}s"
    cache = open_cache(cache_dir, rules) if cache_dir is not None else None
    try:
        summaries, stats = run_phase_one(
            files, Analyzer(rules), config=config, select=select, ignore=ignore,
            jobs=jobs, cache=cache, progress=progress,
        )
    finally:
        if cache is not None:
            cache.close()
    timings.counts.update(
        {"files analysed": stats.misses, "cache hits": stats.hits, "cache": stats.cache, "workers": stats.workers}
    )
    reported = summaries if report_only is None else [s for s in summaries if s.path in report_only]
    return summaries, reported


def _matches(patterns: Sequence[str], path: str) -> bool:
    return bool(patterns) and _spec(tuple(patterns)).match_file(path)


@functools.lru_cache(maxsize=256)
def _spec(patterns: Tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def finalize(
    summaries: Sequence[ModuleSummary],
    program: Program,
    config: Config,
    rules: Sequence[Rule],
    extra_errors: Sequence[FileError] = (),
    *,
    baseline: Optional["Baseline"] = None,
) -> Result:
    """Score, suppress, apply the baseline and min-severity, decide the verdict.

    Findings are built at every severity first: fingerprints count every occurrence (a
    change of heat elsewhere does not renumber them), and the baseline matches accepted
    smells that cooled down to a note instead of calling them stale.
    """
    by_code = {type(r).CODE: type(r) for r in rules}
    findings: List[Finding] = []
    errors: List[FileError] = list(extra_errors)
    min_rank = SEVERITY_RANK[config.min_severity]
    scanned: Set[str] = set()
    explain_args: Dict[str, tuple] = {}
    meta = by_code.get(UNUSED_SUPPRESSION)
    for summary in sorted(summaries, key=lambda s: s.path):
        if summary.error is not None:
            errors.append(summary.error)
            findings.append(_parse_error_finding(summary.error))
            continue
        rel = _relative_to_root(summary.path, config.root)
        scanned.add(rel)
        file_ignores = tuple(
            code for pattern, codes in config.per_file_ignores.items() if _matches([pattern], rel) for code in codes
        )
        overrides = [o for o in config.overrides if _matches(o.files, rel)]
        occurrences: Dict[str, int] = {}
        used: Dict[int, Set[str]] = {}  # suppression line -> codes it actually hid
        for cand in summary.candidates:
            rule = by_code.get(cand.rule)
            if rule is None:
                continue
            if not _selected_here(rule, file_ignores, overrides):
                continue
            suppressed = is_suppressed(summary.suppressions, cand.line, cand.rule)
            if suppressed and meta is None:
                continue  # nobody asks whether the suppression was needed: skip phase 2 checks
            fid = program.function_id(summary.module, cand.function)
            confidence = _check_requires(program, fid, cand)
            if confidence is None:
                continue
            if suppressed:
                used.setdefault(cand.line, set()).add(cand.rule)
                continue
            heat = program.site_heat(fid, cand.loops)
            weight = rule_weight(config, cand.rule, rule.WEIGHT)
            value = score(weight, heat, confidence)
            pinned, pinned_by = _pinned(config, cand.rule, overrides)
            severity = severity_for(config, cand.rule, value, pinned)
            digest = _digest(cand.rule, rel, cand.function, cand.snippet)
            occurrences[digest] = occurrences.get(digest, 0) + 1
            fingerprint = f"{digest}:{occurrences[digest]}"
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
                    function=cand.function,
                    message=cand.message,
                    fix=cand.fix,
                    weight=weight,
                    heat=heat,
                    fingerprint=fingerprint,
                )  # trace and context: below, for the findings that are reported
            )
            explain_args[fingerprint] = (weight, heat, confidence, value, severity, fid, cand.loops, pinned_by)
        if meta is not None and summary.suppressions and _selected_here(meta, file_ignores, overrides):
            for finding, pinned_by in _unused_suppressions(
                summary, rel, config, by_code, meta, file_ignores, overrides, used, occurrences
            ):
                findings.append(finding)
                explain_args[finding.fingerprint] = (
                    finding.weight, 1.0, "high", finding.score, finding.severity, None, (), pinned_by
                )
    extra: Dict[str, object] = {}
    if baseline is not None:
        from perflint import baseline as baseline_file

        findings, matched = baseline_file.apply(findings, baseline)

        def in_scope(entry) -> bool:
            return entry.rule in by_code and entry.path in scanned

        stale = baseline_file.stale_entries(baseline, matched, in_scope)
        extra["baseline"] = str(baseline.path) if baseline.path is not None else ""
        extra["baselined"] = sum(matched.values())
        extra["stale_baseline"] = len(stale)
        extra["baseline_pruned"] = [e.to_json() for e in baseline_file.pruned(baseline, matched, in_scope)]
    findings = [f for f in findings if SEVERITY_RANK[f.severity] >= min_rank]
    findings.sort(key=lambda f: f.sort_key)
    errors.sort(key=lambda e: (e.path, e.message))
    explanations = {}
    for i, f in enumerate(findings):
        args = explain_args.get(f.fingerprint)
        if args is None:
            continue
        weight, heat, confidence, value, severity, fid, loops, pinned_by = args
        known = fid is not None and fid in program.functions
        if known:
            findings[i] = f = replace(f, trace=program.trace(fid, loops), context=program.context(fid, loops))
        explanations[f.fingerprint] = explain_score(
            config, weight, heat, confidence, value, severity, heat_factors(program, fid, loops) if known else [],
            pinned_by,
        )
    extra["explanations"] = explanations
    extra["penalties"] = {code: rule.penalty() for code, rule in sorted(by_code.items())}
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
        extra=extra,
    )


def scoped_hot(summaries: Sequence[ModuleSummary], config: Config) -> Dict[str, Tuple[str, ...]]:
    """Module path -> the `hot` globs of the [[overrides]] whose `files` match that file."""
    with_hot = [o for o in config.overrides if o.hot]
    out: Dict[str, Tuple[str, ...]] = {}
    if not with_hot:
        return out
    for summary in summaries:
        if summary.error is not None:
            continue
        rel = _relative_to_root(summary.path, config.root)
        patterns = tuple(p for o in with_hot if _matches(o.files, rel) for p in o.hot)
        if patterns:
            out[summary.path] = patterns
    return out


def _digest(code: str, rel: str, function: str, snippet: str) -> str:
    """The fingerprint hash: rule, root-relative path, function, normalised code; no line."""
    key = f"{code}|{rel}|{function}|{snippet}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _pinned(config: Config, code: str, overrides: Sequence[Override]) -> Tuple[Optional[str], Optional[str]]:
    """A severity pinned for this code here (the last matching override wins, then [rules.X])."""
    pinned, by = None, None
    for override in overrides:
        if code in override.severity:
            pinned = override.severity[code]
            by = f"[[overrides]] files = {list(override.files)}"
    if pinned is None:
        settings = config.rules.get(code)
        if settings is not None and settings.severity is not None:
            pinned, by = settings.severity, f"[rules.{code}] severity"
    return pinned, by


def _unused_suppressions(summary, rel, config, by_code, meta, file_ignores, overrides, used, occurrences):
    """PFL001: suppression comments that hid no finding (only codes whose rule ran here)."""
    known = {r.CODE for r in all_rules()}

    def judged(code: str) -> bool:
        rule = by_code.get(code)
        return rule is not None and _selected_here(rule, file_ignores, overrides)

    every_rule_ran = all(judged(r.CODE) for r in all_rules() if r.DEFAULT_ENABLED)
    weight = rule_weight(config, meta.CODE, meta.WEIGHT)
    pinned, pinned_by = _pinned(config, meta.CODE, overrides)
    severity = pinned or "warning"
    for line in sorted(summary.suppressions):
        codes = summary.suppressions[line]
        hit = used.get(line, set())
        if codes is None:
            if hit or not every_rule_ran:
                continue
            problem, snippet = "`# perflint: ignore` suppresses nothing on this line", "*"
        else:
            if meta.CODE in codes:
                continue  # the comment itself asks not to be judged
            unknown = sorted(c for c in codes if c not in known)
            unused = sorted(c for c in codes if c in known and judged(c) and c not in hit)
            if not unknown and not unused:
                continue
            parts = []
            if unused:
                parts.append(f"{', '.join(unused)} suppress{'es' if len(unused) == 1 else ''} nothing on this line")
            if unknown:
                parts.append(f"unknown rule code{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
            problem, snippet = "; ".join(parts), ",".join(sorted(codes))
        digest = _digest(meta.CODE, rel, MODULE_SCOPE, f"suppression {snippet}")
        occurrences[digest] = occurrences.get(digest, 0) + 1
        finding = Finding(
            rule=meta.CODE,
            name=meta.NAME,
            family=meta.FAMILY,
            severity=severity,
            score=score(weight, 1.0, "high"),
            confidence="high",
            path=summary.path,
            line=line,
            column=1,
            end_line=line,
            end_column=1,
            function=MODULE_SCOPE,
            message=f"unused suppression: {problem}",
            fix=meta.FIX,
            weight=weight,
            heat=1.0,
            fingerprint=f"{digest}:{occurrences[digest]}",
        )
        yield finding, (pinned_by or "default (unused-suppression is a warning unless [rules.PFL001] severity pins it)")


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
        elif req == "external" or req.startswith("external:"):
            if program.resolve_target(cand.target) is not None:
                return None  # an in-repo callee: its own body is analysed, with heat
            method = req.partition(":")[2]
            if method and program.defines_method(method):
                # The scanned code has its own `commit()`s: this receiver may be one of them.
                rank = min(rank, _CONF_RANK["low"])
        elif req.startswith("flag:"):
            if not program.has_class_attr(req[5:].split(",")):
                return None
        elif req.startswith("attr-type:"):
            # attr-type:<dotted class>:<attr>:<Type>,<Type> -- that in-repo class declares the
            # attribute as an instance of one of these types (e.g. a Django ForeignKey field).
            _, cls_name, attr, types = req.split(":", 3)
            resolved = program.resolve_dotted(cls_name)
            if resolved is None or resolved[0] != "class":
                return None
            typ = program.attr_type(resolved[1], attr)
            if typ is None or typ.rsplit(".", 1)[-1] not in types.split(","):
                return None
        elif req.startswith("callee-reaches:"):
            # The call leaves the program (an external API), or the in-repo callee has the
            # effect itself or in its callees: a wrapper around cursor.execute() queries, an
            # in-process engine's own Session.execute() does not.
            callee = program.resolve_target(cand.target)
            if callee is not None and req[len("callee-reaches:"):] not in program.effects(callee):
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

