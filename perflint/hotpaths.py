"""Where the time goes: findings grouped by the hot entry point their traces start from.

Findings whose traces start at the same root function share a hot path: one unit of work
of that root (a request, a row) pays for all of them. Each finding's score is already the
estimated seconds it wastes per unit of work, frequencies multiplied along its chain, so a
path's time is their sum. Where the cost table measured the fix as well as the smell, the
path also gets a slowdown factor: (fixed time + wasted time) / fixed time, over the
findings whose fix was measured (a lower bound when some were not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from perflint.finding import Finding
from perflint.units import format_time

if TYPE_CHECKING:
    from perflint.callgraph import Program

MAX_GROUPS = 5


@dataclass(frozen=True)
class Chain:
    functions: Tuple[str, ...]  # root -> ... -> the site's function
    marks: Tuple[Tuple[int, Tuple[Tuple[str, float], ...]], ...]  # (index in functions, (code, seconds)...)
    time: float  # seconds per unit of work of the findings on this chain


@dataclass(frozen=True)
class HotPath:
    root: str  # the root function
    where: str  # "path:line" of the root
    findings: Tuple[Finding, ...]
    time: float  # estimated seconds wasted per unit of work of the root
    chains: Tuple[Chain, ...]
    slowdown: Optional[float]  # (fixed + wasted) / fixed, where the fix's cost is known
    slowdown_partial: bool  # some findings' fix cost is unknown: the factor is a lower bound


def function_chain(f: Finding) -> List[str]:
    """The functions from a finding's trace root to its site, each once, in order."""
    names: List[str] = []
    for hop in f.trace:
        if not names or names[-1] != hop.function:
            names.append(hop.function)
    if not names or names[-1] != f.function:
        names.append(f.function)
    return names


def hot_paths(
    findings: Sequence[Finding], fixed_time: Mapping[str, float], limit: int = MAX_GROUPS
) -> List[HotPath]:
    """Groups of >= 2 findings that share a trace root, most time first (at most `limit`).

    `fixed_time`: fingerprint -> seconds per unit of work the fixed code would still spend."""
    out = []
    for (path, function), members in group_by_root(findings).items():
        if len(members) < 2:
            continue
        leads = [f for f, _ in _largest_per_site((f, f.score) for f in members)]
        wasted = sum(f.score for f in leads)
        known = [f for f in leads if fixed_time.get(f.fingerprint, 0.0) > 0]
        slowdown = None
        if known:
            fixed = sum(fixed_time[f.fingerprint] for f in known)
            slowdown = (fixed + sum(f.score for f in known)) / fixed
        out.append(
            HotPath(
                root=function,
                where=f"{path}:{members[0].trace[0].line}",
                findings=tuple(members),
                time=wasted,
                chains=tuple(_chains(members)),
                slowdown=slowdown,
                slowdown_partial=bool(known) and len(known) < len(leads),
            )
        )
    out.sort(key=lambda g: (-g.time, g.where, g.root))
    return out[:limit]


def _largest_per_site(timed: Iterable[Tuple[Finding, float]]) -> List[Tuple[Finding, float]]:
    """One site, one cost: fsync-where-fdatasync and sync-per-statement on the same call are two
    fixes of one operation, not two wastes; the finding with the larger time stands for the site."""
    by_site: Dict[Tuple[str, int], Tuple[Finding, float]] = {}
    for f, seconds in timed:
        site = (f.path, f.line)
        if site not in by_site or seconds > by_site[site][1]:
            by_site[site] = (f, seconds)
    return list(by_site.values())


def group_by_root(findings: Sequence[Finding]) -> Dict[Tuple[str, str], List[Finding]]:
    """(path, function) of each trace root -> the findings reached from it, in input order."""
    groups: Dict[Tuple[str, str], List[Finding]] = {}
    for f in findings:
        if f.rule == "PFL000" or not f.trace:
            continue  # no trace: not reached through anything hot
        root = f.trace[0]
        groups.setdefault((root.path, root.function), []).append(f)
    return groups


def _chains(members: Sequence[Finding]) -> List[Chain]:
    """One chain per site that is not itself a hop of another finding's trace."""
    sites: Dict[Tuple[str, int], List[Finding]] = {}
    for f in members:
        sites.setdefault((f.path, f.line), []).append(f)
    nested: Dict[Tuple[str, int], List[Tuple[str, int]]] = {}
    covered = set()
    for site, here in sites.items():
        hops = {(hop.path, hop.line) for f in here for hop in f.trace}
        inner = [other for other in sites if other != site and other in hops]
        nested[site] = inner
        covered.update(inner)
    chains = []
    for site, here in sites.items():
        if site in covered:
            continue  # shown as a step of a longer chain
        lead = max(here, key=lambda f: len(f.trace))
        names = function_chain(lead)
        marks: Dict[int, List[Tuple[str, float]]] = {}
        total = 0.0
        for other in nested[site] + [site]:
            index = _index_of(lead, names, other)
            for f in sites[other]:
                total += f.score
                marks.setdefault(index, []).append((f.rule, f.score))
        chains.append(
            Chain(tuple(names), tuple(sorted((i, tuple(sorted(c))) for i, c in marks.items())), total)
        )
    chains.sort(key=lambda c: (-c.time, c.functions))
    return chains


def _index_of(lead: Finding, names: Sequence[str], site: Tuple[str, int]) -> int:
    """Where in the chain of function names a site (a hop of the lead's trace) sits."""
    if site == (lead.path, lead.line):
        return len(names) - 1
    for hop in lead.trace:
        if (hop.path, hop.line) == site:
            return names.index(hop.function) if hop.function in names else len(names) - 1
    return len(names) - 1


def format_slowdown(group: HotPath) -> str:
    if group.slowdown is None:
        return ""
    bound = ">= " if group.slowdown_partial else ""
    return f"; estimated {bound}x{group.slowdown:,.0f} slower than with the fixes" if group.slowdown >= 10 else (
        f"; estimated {bound}x{group.slowdown:.2g} slower than with the fixes"
    )


def render_lines(groups: Sequence[HotPath]) -> List[str]:
    """Plain text lines for the text report (no markup)."""
    lines: List[str] = []
    for number, group in enumerate(groups, start=1):
        lines.append(
            f"{number}. {group.root} ({group.where}): {len(group.findings)} findings, "
            f"{format_time(group.time)} per unit of work{format_slowdown(group)}"
        )
        for chain in group.chains:
            marks = dict(chain.marks)
            parts = []
            for i, name in enumerate(chain.functions):
                codes = marks.get(i)
                if codes:
                    tag = ", ".join(f"{c} {format_time(t)}" for c, t in codes)
                    parts.append(f"{name} [{tag}]")
                else:
                    parts.append(name)
            lines.append(f"   {' -> '.join(parts)}  = {format_time(chain.time)}")
    return lines


def time_from(program: "Program", modules: Mapping[str, str], findings: Sequence[Finding], root: str,
              confidence_factors: Mapping[str, float],
              ran: Optional[Set[str]] = None) -> Tuple[float, List[Tuple[Finding, float]]]:
    """Estimated seconds one call of `root` wastes: every finding it reaches, at the frequency
    it reaches it (not the finding's own hottest root), one per site.

    `modules`: path -> module name (to find each finding's function in the program). `ran`:
    the functions a profile of that entry point saw run; a finding elsewhere is on a branch
    the workload never takes (a SELECT planner under an INSERT workload)."""
    freq = program.frequencies_from(root)
    timed: List[Tuple[Finding, float]] = []
    for f in findings:
        module = modules.get(f.path)
        if module is None:
            continue
        fid = program.function_id(module, f.function)
        if fid not in freq or (ran is not None and fid not in ran):
            continue
        local = f.frequency / max(program.heat.get(fid, 1.0), 1e-12)  # the loops at the site itself
        seconds = f.cost * confidence_factors.get(f.confidence, 1.0) * local * freq[fid]
        timed.append((f, seconds))
    sites = sorted(_largest_per_site(timed), key=lambda item: (-item[1], item[0].sort_key))
    return sum(seconds for _, seconds in sites), sites
