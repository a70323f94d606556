"""An edit that only moved lines: the linked program stands, with the new line numbers.

Typing a new line (a comment, a blank line, a line of a docstring) moves every line below
it. Phase 2 reads line numbers only to report them (trace hops, contexts, explanations):
resolution, value flow, heat and effects read names, value expressions and loop bounds,
none of which hold a line. So when an edited file's new summary equals the linked one in
everything but line numbers, a whole relink would build the same program except for the
lines it reports. Those are carried into the linked summary's own objects (its functions,
classes, call sites and loops), which the program holds by reference, so every edge and
trace reads the new lines without relinking anything.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Dict, List, Optional, Tuple

from perflint.callgraph import Program
from perflint.finding import Loop
from perflint.summary import CallSite, ClassSummary, FunctionSummary, ModuleSummary

# What of a summary only scoring reads (from the reported file), never the call graph.
SCORING_ONLY = frozenset({"candidates", "suppressions", "lines"})
# Fields holding line numbers (or things that carry them): compared without the lines.
_MODULE_WITH_LINES = frozenset({"functions", "classes"})
_FUNCTION_WITH_LINES = frozenset({"line", "calls", "reads", "effect_lines"})
_SITE_WITH_LINES = frozenset({"line", "loops"})

ReadKey = Tuple[int, Tuple[Loop, ...]]


def same_for_linking(new: ModuleSummary, old: ModuleSummary) -> bool:
    """Whether phase 2 would read the same from both (every field but the scoring-only
    ones is compared, so a field added later counts until it is listed above)."""
    return all(
        getattr(new, f.name) == getattr(old, f.name) for f in fields(ModuleSummary) if f.name not in SCORING_ONLY
    )


def moved_lines_only(new: ModuleSummary, old: ModuleSummary) -> bool:
    """Whether `new` equals `old` for phase 2 once line numbers are left out, and each read
    site of a property (linked as a call at its line) still maps to one place."""
    if new.error is not None or old.error is not None:
        return False
    for f in fields(ModuleSummary):
        if f.name in SCORING_ONLY or f.name in _MODULE_WITH_LINES:
            continue
        if getattr(new, f.name) != getattr(old, f.name):
            return False
    if new.functions.keys() != old.functions.keys() or new.classes.keys() != old.classes.keys():
        return False
    for name, cls in old.classes.items():
        if _class_shape(new.classes[name]) != _class_shape(cls):
            return False
    for name, fn in old.functions.items():
        moved = new.functions[name]
        if _function_shape(moved) != _function_shape(fn) or _read_moves(fn, moved) is None:
            return False
    return True


def carry_lines(program: Program, new: ModuleSummary, old: ModuleSummary) -> None:
    """Give `old` (linked in `program`) the line numbers of `new`; `moved_lines_only(new, old)`
    must hold. The edges made from property reads are call sites the program built itself
    (at the read's line and loops): they are moved with the reads."""
    for name, cls in old.classes.items():
        cls.line = new.classes[name].line
    for name, fn in old.functions.items():
        moved = new.functions[name]
        reads = _read_moves(fn, moved)
        assert reads is not None
        moved_sites = {id(site) for site in fn.calls}  # moved below, with the summary's own
        for edge in program.edges.get(f"{old.module}.{name}", ()):
            site = edge.site
            if id(site) not in moved_sites:  # a read's site, shared by the edges of its targets
                moved_sites.add(id(site))
                site.line, site.loops = reads.get((site.line, site.loops), (site.line, site.loops))
        fn.line = moved.line
        for site, moved_site in zip(fn.calls, moved.calls):
            site.line, site.loops = moved_site.line, moved_site.loops
        fn.reads = [(line, loops, expr) for (line, loops, _), (_, _, expr) in zip(moved.reads, fn.reads)]
        fn.effect_lines = dict(moved.effect_lines)


def _read_moves(old: FunctionSummary, new: FunctionSummary) -> Optional[Dict[ReadKey, ReadKey]]:
    """Old (line, loops) of each read -> new; None when one old place went to two new ones."""
    out: Dict[ReadKey, ReadKey] = {}
    for (line, loops, _), (new_line, new_loops, _) in zip(old.reads, new.reads):
        if out.setdefault((line, loops), (new_line, new_loops)) != (new_line, new_loops):
            return None
    return out


def _no_lines(loops: Tuple[Loop, ...]) -> Tuple[Loop, ...]:
    return tuple(loop._replace(line=0) for loop in loops)


def _site_shape(site: CallSite) -> tuple:
    rest = tuple(getattr(site, f.name) for f in fields(CallSite) if f.name not in _SITE_WITH_LINES)
    return rest + (_no_lines(site.loops),)


def _function_shape(fn: FunctionSummary) -> tuple:
    rest = tuple(getattr(fn, f.name) for f in fields(FunctionSummary) if f.name not in _FUNCTION_WITH_LINES)
    calls: List[tuple] = [_site_shape(site) for site in fn.calls]
    reads = [(_no_lines(loops), expr) for _, loops, expr in fn.reads]
    return rest + (calls, reads, sorted(fn.effect_lines))


def _class_shape(cls: ClassSummary) -> tuple:
    return tuple(getattr(cls, f.name) for f in fields(ClassSummary) if f.name != "line")
