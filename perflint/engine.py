"""Orchestrates a run: discover, phase 1 per file, phase 2 over the program, score, filter."""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Set, Tuple

import pathspec

from perflint import __version__
from perflint.analyze import Analyzer
from perflint.callgraph import Prelinked, Program
from perflint.config import Config, is_selected
from perflint.discovery import PACKAGING_MARKERS, discover
from perflint.costs import CostTable, load_costs
from perflint.finding import SEVERITY_RANK, Candidate, FileError, Finding, Location, Result
from perflint.registry import all_rules, select_rules
from perflint.requirements import OPERATION_TEXT, check_requires, per_operation
from perflint.rule import Rule
from perflint.scoring import LOCK_TEXT, Scorer, pinned_severity, verdict
from perflint.summary import MODULE_SCOPE, ModuleSummary
from perflint.suppression import is_suppressed

if TYPE_CHECKING:
    from perflint.baseline import Baseline
    from perflint.measured import ProfileIndex
    from perflint.profiles import Profile

UNUSED_SUPPRESSION = "PFL001"  # rules/meta/unused_suppression.py; checked here, after scoring



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
    program: Optional[Program]  # None when the result came whole from the cache (reuse=True)
    summaries: List[ModuleSummary]
    timings: Timings
    files: int = 0  # reported files and their lines (also known when summaries were not loaded)
    lines: int = 0


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
    profiles: Sequence["Profile"] = (),
    unexplained: int = 0,
    reuse: bool = False,
) -> Run:
    """Scan `paths` and return the scored, filtered, sorted result.

    `profiles` (loaded by perflint/profiles.py) give measured heat; `unexplained` > 0 also
    lists that many profiled functions with the most own time and no finding. With `reuse`
    (and a cache), a run whose inputs are all unchanged returns the last result as it was
    (perflint/runcache.py), with no program and no summaries: for callers that need only
    the result."""
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
    from perflint.cache import cache_exists, open_cache

    costs = config_costs(config)
    # The project comes along as context only from a cache that existed before this run.
    project_context = project_context and cache_dir is not None and cache_exists(cache_dir)
    cache = open_cache(cache_dir, rules) if cache_dir is not None else None
    try:
        files, report_only = _with_project_context(files, config, cache, project_context, timings, paths)
        key = None
        if reuse and cache is not None and not profiles:
            from perflint.runcache import scan_key

            key = scan_key(cache, files, report_only, discover_errors, config, costs, baseline, unexplained)
            hit = cache.linked(key) if key is not None else None
            if isinstance(hit, tuple) and len(hit) == 3 and isinstance(hit[0], Result):
                timings.mark("linked result (cache hit)", start)
                timings.counts.update({"linked result": "hit", "files analysed": 0, "cache hits": len(files)})
                return Run(hit[0], None, [], timings, files=hit[1], lines=hit[2])
        prelinked = Prelinked()
        summaries, stats = _phase_one(files, rules, config, select, ignore, jobs, cache, progress, prelinked)
        timings.counts.update(stats)
        reported = summaries if report_only is None else [s for s in summaries if s.path in report_only]
        start = timings.mark("phase 1 (parse + rules)", start)
        program = link(summaries, config, prelinked=prelinked)
        start = timings.mark("phase 2 (call graph + heat)", start)
        profile_index = None
        if profiles:
            from perflint.measured import build_index

            profile_index = build_index(profiles, program, config.root)
            start = timings.mark("profiles (match)", start)
        result = finalize(reported, program, config, rules, [FileError(p, m) for p, m in discover_errors],
                          baseline=baseline, costs=costs, profile_index=profile_index,
                          unexplained=unexplained)
        lines = sum(s.lines for s in reported)
        if key is not None:
            cache.put_linked(key, (result, len(reported), lines))  # type: ignore[union-attr]
            timings.counts["linked result"] = "stored"
        timings.mark("scoring", start)
    finally:
        if cache is not None:
            cache.close()
    return Run(result, program, reported, timings, files=len(reported), lines=lines)


def link(summaries: Sequence[ModuleSummary], config: Config,
         checkpoint: Optional[Callable[[], None]] = None, prelinked: Optional[Prelinked] = None) -> Program:
    """Phase 2: the call graph with heat over every summary that parsed (scan, the server).

    Always the whole program: the value flow binds parameters across modules, so an edit in
    one module can change what a call in another resolves to. The language server relinks
    only when an edit changed what the call graph reads, and then in the background, with a
    `checkpoint` that abandons the link when a newer edit arrives (perflint/lsp/project.py)."""
    return Program(
        [s for s in summaries if s.error is None], loop_trips=config.loop_trips,
        nested_loop_trips=config.nested_loop_trips, data_bytes=config.data_bytes,
        hot=config.hot, roles=config.entry_roles,
        scoped_hot=scoped_hot(summaries, config), checkpoint=checkpoint, prelinked=prelinked,
    )


def _with_project_context(files, config, cache, project_context, timings, paths):
    """(files of the program, display paths to report or None for all).

    With `project_context`, when every path is a file inside `config.root` and a cache existed,
    the rest of the project comes along as context (from the cache; files not cached yet are
    analysed and cached), and only the given files are reported: a pre-commit run on changed
    files sees the same call graph and heat as a full scan."""
    if not (
        project_context
        and cache is not None
        and files
        and all(Path(p).is_file() for p in paths)
        and _is_project(config)
        and all(f.path == config.root or config.root in f.path.parents for f in files)
    ):
        return files, None
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
    return files, report_only


# What makes the root a project (not just the folder perflint was run in): a config file,
# packaging metadata (discovery's markers of a project root) or a repository.
_PROJECT_MARKERS = PACKAGING_MARKERS + (".git",)


def _is_project(config) -> bool:
    """Whether `config.root` is a project whose other files are context for the given ones.
    Without a config file the root is the working folder: `perflint check notes.py` run in a
    home folder or /tmp (where an earlier run left a cache) must not discover and analyse
    every tree below it (it did: 15 minutes and 3.7 GB for one file in /tmp)."""
    root = config.root
    return config.source is not None or any((root / marker).exists() for marker in _PROJECT_MARKERS)


def _phase_one(files, rules, config, select, ignore, jobs, cache, progress, prelinked=None):
    """Phase 1 (parallel, cached: perflint/parallel.py): (summaries, counts for -v)."""
    from perflint.parallel import run_phase_one

    summaries, stats = run_phase_one(
        files, Analyzer(rules), config=config, select=select, ignore=ignore,
        jobs=jobs, cache=cache, progress=progress, delivered=prelinked.add if prelinked is not None else None,
    )
    return summaries, {"files analysed": stats.misses, "cache hits": stats.hits, "cache": stats.cache,
                       "workers": stats.workers}


def _matches(patterns: Sequence[str], path: str) -> bool:
    return bool(patterns) and _spec(tuple(patterns)).match_file(path)


@functools.lru_cache(maxsize=256)
def _spec(patterns: Tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def config_costs(config: Config) -> CostTable:
    """The cost table the config names (relative to the config file), or the shipped one.
    Raises CostsError for a bad or stale file: the CLI turns it into exit 2."""
    if config.costs is None:
        return load_costs()
    path = Path(config.costs)
    if not path.is_absolute():
        base = config.source.parent if config.source is not None else config.root
        path = base / path
    return load_costs(path)


@dataclass
class _Scored:
    """A candidate that passed its checks, with its numbers: one member of a finding."""

    cand: Candidate
    rule: type
    fid: str
    confidence: str
    scored: object  # scoring.Scored


def finalize(
    summaries: Sequence[ModuleSummary],
    program: Program,
    config: Config,
    rules: Sequence[Rule],
    extra_errors: Sequence[FileError] = (),
    *,
    baseline: Optional["Baseline"] = None,
    costs: Optional[CostTable] = None,
    profile_index: Optional["ProfileIndex"] = None,
    unexplained: int = 0,
) -> Result:
    """Score, suppress, apply the baseline and min-severity, decide the verdict.

    Findings are built at every severity first: fingerprints count every occurrence (a
    change of heat elsewhere does not renumber them), and the baseline matches accepted
    smells that cooled down to a note instead of calling them stale.
    """
    by_code = {type(r).CODE: type(r) for r in rules}
    scorer = Scorer(config, costs if costs is not None else config_costs(config), program)
    findings: List[Finding] = []
    errors: List[FileError] = list(extra_errors)
    min_rank = SEVERITY_RANK[config.min_severity]
    scanned: Set[str] = set()
    explain_args: Dict[str, tuple] = {}
    fixed_time: Dict[str, float] = {}  # fingerprint -> seconds per unit of work the fixed code spends
    meta = by_code.get(UNUSED_SUPPRESSION)
    descents: Dict[str, Candidate] = {}  # findings whose cost sits in the callee: their trace ends there
    outside_tx: Set[str] = set()  # findings that hold only outside a transaction: traced along such a chain
    under_lock: Set[str] = set()  # findings counted per row lock (requirements' !under-lock)
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
        causes: Dict[tuple, List[_Scored]] = {}
        selected: Dict[str, bool] = {}  # rule code -> whether it runs on this file
        for cand in summary.candidates:
            rule = by_code.get(cand.rule)
            if rule is None:
                continue
            here = selected.get(cand.rule)
            if here is None:
                here = selected[cand.rule] = _selected_here(rule, file_ignores, overrides)
            if not here:
                continue
            suppressed = is_suppressed(summary.suppressions, cand.line, cand.rule)
            if suppressed and meta is None:
                continue  # nobody asks whether the suppression was needed: skip phase 2 checks
            fid = program.function_id(summary.module, cand.function)
            confidence = check_requires(program, fid, cand)
            if confidence is None:
                continue
            operation = per_operation(program, fid, cand)
            if operation:
                cand = replace(cand, per_item=operation)  # evidence: every operation of a client runs it
            if suppressed:
                used.setdefault(cand.line, set()).add(cand.rule)
                continue
            scored = scorer.score(cand.rule, rule.COST, cand, fid, confidence, overrides)
            confidence = scored.confidence
            # One finding per cause: the same rule and the same fix, in the same function,
            # under the same innermost loop (or in none), for the same cold reason.
            innermost = cand.loops[-1].line if cand.loops else None
            causes.setdefault((cand.rule, cand.fix, cand.function, innermost, cand.cold), []).append(
                _Scored(cand, rule, fid, confidence, scored)
            )
        for members in causes.values():
            finding, args, fixed = _finding_for_cause(members, summary.path, rel, occurrences, scorer)
            findings.append(finding)
            explain_args[finding.fingerprint] = args
            if "trace-callee" in members[0].cand.requires or any(
                    r.startswith("callee-path:") for r in members[0].cand.requires):
                descents[finding.fingerprint] = members[0].cand
            if any("outside-transaction" in m.cand.requires for m in members):
                outside_tx.add(finding.fingerprint)
            if any("!under-lock" in m.cand.requires for m in members):
                under_lock.add(finding.fingerprint)
            if fixed > 0:
                fixed_time[finding.fingerprint] = fixed
        if meta is not None and summary.suppressions and _selected_here(meta, file_ignores, overrides):
            for finding, pinned_by in _unused_suppressions(
                summary, rel, config, by_code, meta, file_ignores, overrides, used, occurrences
            ):
                findings.append(finding)
                explain_args[finding.fingerprint] = (None, (), "", 1, None, pinned_by, "")
    extra: Dict[str, object] = {}
    # -- measured heat (perflint/measured.py): profile call counts replace estimated frequency --
    if profile_index is not None:
        findings = _apply_measured(findings, program, scorer, profile_index, explain_args, extra, unexplained)
    # -- end measured heat ----------------------------------------------------------------------
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
        fid, loops, cold, members, scored, pinned_by, per_item = args
        known = fid is not None and fid in program.functions
        # a site whose guards rule out its function's hottest caller is traced from another
        program.chain_start = {fid: scored.chain_start} if scored is not None and scored.chain_start is not None else {}
        program.chain_guards = {fid: scored.chain_guards} if program.chain_start and scored.chain_guards else {}  # type: ignore[union-attr]
        program.chain_outside = {fid} if f.fingerprint in outside_tx else set()
        program.chain_unlocked = {fid} if f.fingerprint in under_lock and scored is not None and \
            LOCK_TEXT in scored.frequency_text else set()
        if known and not cold:
            findings[i] = f = replace(f, trace=program.trace(fid, loops), context=program.context(fid, loops))
        elif known:
            findings[i] = f = replace(f, context=f"{program.context(fid, loops)}; {cold}")
        if known and f.fingerprint in descents:
            hops = program.callee_hops(descents[f.fingerprint])
            if hops:
                findings[i] = f = replace(f, trace=f.trace + hops)
        if known and per_item and (not f.trace or per_item.startswith(OPERATION_TEXT)):
            # a trace shows the chain a per-item reason is about; a client's operations are not on it
            findings[i] = f = replace(f, context=f"{f.context}; {per_item}")
        if scored is None:
            explanations[f.fingerprint] = f"severity {f.severity}: {pinned_by}"
        elif f.measured is not None and (not f.measured.ran or not f.measured.sampled):
            # measured heat: the profile says how often, times the loops it cannot see at the site
            trips = program.site_trips(fid, loops) if known else 1.0
            how = f.measured.describe() + (f" x {trips:g} for the loops at the site" if loops and f.measured.ran else "")
            measured = replace(scored, frequency=f.frequency, score=f.score, severity=f.severity)
            explanations[f.fingerprint] = scorer.explain(measured, f.confidence, fid, loops, cold, members, per_item,
                                                         frequency_text=how)
        else:
            explanations[f.fingerprint] = scorer.explain(scored, f.confidence, fid, loops, cold, members, per_item)
    program.chain_start = {}
    program.chain_guards = {}
    program.chain_outside = set()
    program.chain_unlocked = set()
    extra["explanations"] = explanations
    extra["fixed_time"] = {f.fingerprint: fixed_time[f.fingerprint] for f in findings if f.fingerprint in fixed_time}
    extra["costs_source"] = scorer.costs.source
    total = sum(f.score for f in findings)
    failed, reasons = verdict(config, findings, total)
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


def _apply_measured(findings, program, scorer, index, explain_args, extra, unexplained) -> List[Finding]:
    """The profile join (measured.apply_profile) wired to the time model; explanations follow."""
    from perflint.config import CONFIDENCE_FACTORS
    from perflint.measured import Site, apply_profile, unexplained as unexplained_rows

    sites = {}
    for fp, (fid, loops, _cold, _members, scored, pinned_by, _per_item) in explain_args.items():
        if scored is not None:
            trips = program.site_trips(fid, loops) if fid in program.functions else 1.0
            sites[fp] = Site(fid, trips, pinned_by is not None)
    evidenced = {fp: args[4].evidenced for fp, args in explain_args.items() if args[4] is not None}

    def rescore(f: Finding, frequency: float) -> Finding:
        value = f.cost * frequency * CONFIDENCE_FACTORS[f.confidence]
        if sites[f.fingerprint].pinned:
            severity = f.severity
        else:  # measured: it ran this often; more than once per unit of work is repetition
            severity = scorer.severity(value, evidenced.get(f.fingerprint, False) or frequency > 1.0,
                                       None, f.confidence)
        return replace(f, heat=frequency, frequency=frequency, score=value, severity=severity)

    findings = apply_profile(findings, program, index, rescore, sites)
    extra["profiles"] = index.to_json()
    if unexplained:
        carrying = {sites[f.fingerprint].fid for f in findings if f.fingerprint in sites}
        extra["unexplained"] = unexplained_rows(index, program, carrying, unexplained)
    return findings


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


def _one_pass(members, value, depth: int = 0) -> float:
    """What one pass through the function spends on these sites: a site runs beside the others,
    but of sites in different branches of one `if` (Candidate.branches) only one branch runs, so
    that `if` adds its costliest branch, not every branch (an if/elif chain that sends one of
    three requests per call sends one)."""
    alone = 0.0
    under: Dict[int, Dict[int, list]] = {}
    for m in members:
        path = m.cand.branches
        if len(path) <= depth:
            alone += value(m)
        else:
            ordinal, branch = path[depth]
            under.setdefault(ordinal, {}).setdefault(branch, []).append(m)
    for branches in under.values():
        alone += max(_one_pass(group, value, depth + 1) for group in branches.values())
    return alone


def _finding_for_cause(members, path, rel, occurrences, scorer):
    """One finding for one cause: the costliest site leads (the first of equals), the others
    are related locations. Its time is the sum over the sites; its severity is the lead's
    reasoning on that sum. A cheap site does not lead: its trace would not show the repetition
    that makes the finding (a page query beside an index query per item)."""
    members = sorted(members, key=lambda m: (m.cand.line, m.cand.column))
    top = max(m.scored.score for m in members)
    lead = next(m for m in members if m.scored.score >= top * (1 - 1e-9))
    members = [lead] + [m for m in members if m is not lead]
    cand, rule, scored = lead.cand, lead.rule, lead.scored
    total = _one_pass(members, lambda m: m.scored.score)
    severity = scored.severity
    if len(members) > 1:
        cost = _one_pass(members, lambda m: m.scored.cost)
        severity = scorer.severity(total, any(m.scored.evidenced for m in members),
                                   scored.severity if scored.pinned_by else None, lead.confidence,
                                   scored.dwarfed(cost))
        scored = replace(scored, score=total, severity=severity, cost=cost)
    related = tuple(
        Location(path, m.cand.line, m.cand.column, m.cand.end_line, m.cand.end_column, m.cand.message)
        for m in members[1:]
    )
    message = cand.message
    if related:
        lines = ", ".join(str(loc.line) for loc in related)
        where = f"this {cand.loops[-1].kind}" if cand.loops else "this function"
        message = f"{message} (and {len(related)} more like it in {where}: line{'s' if len(related) > 1 else ''} {lines})"
    digest = _digest(cand.rule, rel, cand.function, cand.snippet)
    occurrences[digest] = occurrences.get(digest, 0) + 1
    fingerprint = f"{digest}:{occurrences[digest]}"
    finding = Finding(
        rule=cand.rule,
        name=rule.NAME,
        family=rule.FAMILY,
        severity=severity,
        score=total,
        confidence=lead.confidence,
        path=path,
        line=cand.line,
        column=cand.column,
        end_line=cand.end_line,
        end_column=cand.end_column,
        function=cand.function,
        message=message,
        fix=cand.fix,
        weight=0.0,
        heat=scored.frequency,
        fingerprint=fingerprint,
        cost=scored.cost,
        frequency=scored.frequency,
        related=related,
    )  # trace and context: in finalize, for the findings that are reported
    fixed = _one_pass(members, lambda m: scorer.fixed_time(m.rule.CODE, m.rule.COST, m.cand, m.scored.frequency, m.fid))
    # members as the explanation counts them: negative when only one branch of an `if` runs
    counted = len(members) if total >= sum(m.scored.score for m in members) * (1 - 1e-9) else -len(members)
    return finding, (lead.fid, cand.loops, cand.cold, counted, scored, scored.pinned_by, cand.per_item), fixed


def _unused_suppressions(summary, rel, config, by_code, meta, file_ignores, overrides, used, occurrences):
    """PFL001: suppression comments that hid no finding (only codes whose rule ran here)."""
    known = {r.CODE for r in all_rules()}

    def judged(code: str) -> bool:
        rule = by_code.get(code)
        return rule is not None and _selected_here(rule, file_ignores, overrides)

    every_rule_ran = all(judged(r.CODE) for r in all_rules() if r.DEFAULT_ENABLED)
    pinned, pinned_by = pinned_severity(config, meta.CODE, overrides)
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
            score=0.0,  # costs no time: it is about the code's hygiene, not its speed
            confidence="high",
            path=summary.path,
            line=line,
            column=1,
            end_line=line,
            end_column=1,
            function=MODULE_SCOPE,
            message=f"unused suppression: {problem}",
            fix=meta.FIX,
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
    return _is_selected(rule.CODE, rule.FAMILY, select, ignore)


# finalize asks per candidate (100k on Twisted) about a few dozen rules and selector sets
_is_selected = functools.lru_cache(maxsize=4096)(is_selected)


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

