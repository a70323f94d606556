"""Where the cost hides: a score explained factor by factor, and findings grouped by hot path.

Two views for the text report, both pure:

* `explain_score` spells out score = weight x heat x confidence factor, with the loops (or
  the hot entry point) that make up the heat, and the threshold the score crossed.
* `hot_paths` groups findings whose traces start at the same root function. Smells on one
  chain compound: a rebuild per commit that reads pages with a fresh buffer per read costs
  the product of both slowdowns, per iteration of the loop at the root. Each rule has a
  penalty factor (`Rule.penalty()`: a rough "times slower than the fix" per execution,
  its WEIGHT unless it sets PENALTY); a chain's compound penalty is the product of the
  penalties of the findings on it (a finding is on another's chain when its site is a hop
  of that finding's trace, or the same line). Findings on sibling branches add up; they
  do not multiply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Tuple

from perflint.config import CONFIDENCE_FACTORS, Config
from perflint.finding import Finding, Loop

if TYPE_CHECKING:
    from perflint.callgraph import Program

DEFAULT_PENALTY = 10.0
MAX_GROUPS = 5


def _num(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else f"{value:.3g}"


# -- explain a score -------------------------------------------------------------------
def heat_factors(program: "Program", fid: str, loops: Sequence[Loop]) -> List[str]:
    """Why the site's heat is what it is: one item per factor of loop-factor, root first."""
    chain = program.hot_chain(fid)
    factors: List[str] = []
    root = chain[0].caller if chain else fid
    if root in program.functions and program.heat.get(root, 1.0) > 1.0 and root not in program.pred:
        factors.append(f"{_name(program, root)}: {program.root_note.get(root, 'hot entry point')}")
    for edge in chain:
        for kind, line in edge.site.loops:
            factors.append(f"{kind} in {_name(program, edge.caller)} line {line}")
    for kind, line in loops:
        factors.append(f"{kind} in {_name(program, fid)} line {line}")
    return factors


def _name(program: "Program", fid: str) -> str:
    entry = program.functions.get(fid)
    if entry is None:
        return fid
    qual = entry[1].qualname
    return "module level" if qual == "<module>" else qual


def explain_score(
    config: Config,
    weight: float,
    heat: float,
    confidence: str,
    value: float,
    severity: str,
    factors: Sequence[str],
    pinned_by: Optional[str] = None,
) -> str:
    """"score 100 = weight 10 x heat 10 (...) x confidence high 1.0; >= warning 50"."""
    if len(factors) > 1:
        why = f"{_num(config.loop_factor)}^{len(factors)}: {', '.join(factors)}"
    elif factors:
        why = factors[0]
    else:
        why = "no loop on the way"
    text = (
        f"score {_num(value)} = weight {_num(weight)} x heat {_num(heat)} ({why}) "
        f"x confidence {confidence} {CONFIDENCE_FACTORS[confidence]}"
    )
    warning, error = config.severity["warning"], config.severity["error"]
    if pinned_by is not None:
        return f"{text}; severity {severity} pinned by {pinned_by}"
    if value >= error:
        return f"{text}; >= error {_num(error)}"
    if value >= warning:
        return f"{text}; >= warning {_num(warning)} (error at {_num(error)})"
    return f"{text}; < warning {_num(warning)}: note"


# -- hot paths ------------------------------------------------------------------------
@dataclass(frozen=True)
class Chain:
    functions: Tuple[str, ...]  # root -> ... -> the site's function
    marks: Tuple[Tuple[int, Tuple[str, ...]], ...]  # (index in functions, rule codes found there)
    penalty: float  # product of the penalties of the findings on this chain


@dataclass(frozen=True)
class HotPath:
    root: str  # the root function
    where: str  # "path:line" of the root
    findings: Tuple[Finding, ...]
    score: float
    chains: Tuple[Chain, ...]
    penalty: float  # the largest compound penalty of its chains


def function_chain(f: Finding) -> List[str]:
    """The function names from the trace root down to the finding's own function."""
    names: List[str] = []
    for hop in f.trace:
        if not names or names[-1] != hop.function:
            names.append(hop.function)
    if not names or names[-1] != f.function:
        names.append(f.function)
    return names


def hot_paths(
    findings: Sequence[Finding], penalties: Mapping[str, float], limit: int = MAX_GROUPS
) -> List[HotPath]:
    """Groups of >= 2 findings that share a trace root, worst first (at most `limit`)."""
    out = []
    for (path, function), members in group_by_root(findings).items():
        if len(members) < 2:
            continue
        root_line = members[0].trace[0].line
        chains = _chains(members, penalties)
        out.append(
            HotPath(
                root=function,
                where=f"{path}:{root_line}",
                findings=tuple(members),
                score=sum(f.score for f in members),
                chains=tuple(chains),
                penalty=max(c.penalty for c in chains),
            )
        )
    out.sort(key=lambda g: (-g.penalty, -g.score, g.where, g.root))
    return out[:limit]


def group_by_root(findings: Sequence[Finding]) -> Dict[Tuple[str, str], List[Finding]]:
    """(path, function) of each trace root -> the findings reached from it, in input order."""
    groups: Dict[Tuple[str, str], List[Finding]] = {}
    for f in findings:
        if f.rule == "PFL000" or not f.trace:
            continue  # no trace: not reached through anything hot
        root = f.trace[0]
        groups.setdefault((root.path, root.function), []).append(f)
    return groups


def _chains(members: Sequence[Finding], penalties: Mapping[str, float]) -> List[Chain]:
    def penalty(code: str) -> float:
        return penalties.get(code, DEFAULT_PENALTY)

    sites: Dict[Tuple[str, int], List[Finding]] = {}
    for f in members:
        sites.setdefault((f.path, f.line), []).append(f)
    # site -> the sites of other findings its trace passes through (nested smells)
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
        marks: Dict[int, List[str]] = {}
        product = 1.0
        for other in nested[site] + [site]:
            for f in sites[other]:
                product *= penalty(f.rule)
            index = _index_of(lead, names, other)
            marks.setdefault(index, []).extend(sorted({f.rule for f in sites[other]}))
        chains.append(
            Chain(tuple(names), tuple(sorted((i, tuple(c)) for i, c in marks.items())), product)
        )
    chains.sort(key=lambda c: (-c.penalty, c.functions))
    return chains


def _index_of(lead: Finding, names: Sequence[str], site: Tuple[str, int]) -> int:
    """Where in the chain of function names a site (a hop of the lead's trace) sits."""
    if site == (lead.path, lead.line):
        return len(names) - 1
    for hop in lead.trace:
        if (hop.path, hop.line) == site:
            return names.index(hop.function) if hop.function in names else len(names) - 1
    return len(names) - 1


def format_penalty(value: float) -> str:
    return f"x{value:,.0f}" if value >= 1 and value == int(value) else f"x{value:g}"


def render_lines(groups: Sequence[HotPath], penalties: Mapping[str, float]) -> List[str]:
    """Plain text lines for the text report (no markup)."""
    lines: List[str] = []
    for number, group in enumerate(groups, start=1):
        lines.append(
            f"{number}. {group.root} ({group.where}): {len(group.findings)} findings, "
            f"score {_num(group.score)}, compound penalty {format_penalty(group.penalty)}"
        )
        for chain in group.chains:
            marks = dict(chain.marks)
            parts = []
            for i, name in enumerate(chain.functions):
                codes = marks.get(i)
                if codes:
                    tag = ", ".join(f"{c} {format_penalty(penalties.get(c, DEFAULT_PENALTY))}" for c in codes)
                    parts.append(f"{name} [{tag}]")
                else:
                    parts.append(name)
            lines.append(f"   {' -> '.join(parts)}  = {format_penalty(chain.penalty)}")
    return lines
